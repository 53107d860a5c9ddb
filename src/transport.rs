//! How the gathering script reaches a host and its output comes back. The
//! `Transport` trait is the only IO boundary of an audit; `transport/ssh.rs`
//! is the only file that knows SSH.

pub mod known_hosts;
pub mod ssh;

use crate::inventory::Host;
use crate::outcome::HostKeyInfo;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What came back from running the script on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gathered {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_status: i32,
    /// The host key that was verified before anything was sent.
    pub host_key: Option<HostKeyInfo>,
}

/// Why a host could not be audited. The kind is a stable, countable name;
/// the message is for humans and always names the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    pub kind: HostErrorKind,
    pub message: String,
}

impl HostError {
    pub fn new(kind: HostErrorKind, message: impl Into<String>) -> HostError {
        HostError { kind, message: message.into() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostErrorKind {
    /// TCP connect failed or timed out.
    Connect,
    /// The SSH handshake failed or timed out.
    Handshake,
    /// The host key is unknown, revoked or does not match known_hosts.
    HostKey,
    /// No offered credential was accepted.
    Auth,
    /// `sudo -n` refused (password or tty required).
    Sudo,
    /// The gather did not finish within command_timeout.
    Timeout,
    /// The output exceeded the cap, or the script failed.
    Output,
    /// The output could not be parsed into facts.
    Parse,
    /// The run was interrupted before this host finished.
    Interrupted,
    /// The inventory gives no roles and no Kubernetes component runs, so
    /// there is nothing to audit: never read as "compliant".
    NoRoles,
    /// hardbench itself failed on this host (a bug): never a verdict.
    Internal,
}

impl HostErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            HostErrorKind::Connect => "connect",
            HostErrorKind::Handshake => "handshake",
            HostErrorKind::HostKey => "host-key",
            HostErrorKind::Auth => "auth",
            HostErrorKind::Sudo => "sudo",
            HostErrorKind::Timeout => "timeout",
            HostErrorKind::Output => "output",
            HostErrorKind::Parse => "parse",
            HostErrorKind::Interrupted => "interrupted",
            HostErrorKind::NoRoles => "no-roles",
            HostErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for HostErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Runs the gathering script on a host. Implementations must enforce the
/// host's deadlines themselves and never block past them.
pub trait Transport: Sync {
    /// Run `script` with `sh -s -- <args>` (under `sudo -n` when the host
    /// says so) and return its output.
    fn gather(&self, host: &Host, script: &[u8], args: &[String]) -> Result<Gathered, HostError>;
}

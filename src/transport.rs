//! How the gathering script reaches a host and its output comes back. The
//! `Transport` trait is the only IO boundary of an audit; `transport/ssh.rs`
//! holds the SSH sessions, `transport/jump.rs` and `transport/relay.rs` the
//! jump-host connections they may run over.

mod banner;
pub mod descriptors;
mod identity;
mod jump;
pub mod known_hosts;
mod known_hosts_files;
mod relay;
pub mod remote_command;
mod resolve;
pub mod ssh;
pub mod ssh_config;
mod watchdog;

use crate::inventory::Host;
use crate::names::named_enum;
use serde::{Deserialize, Serialize};

/// What came back from running the script on a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gathered {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_status: i32,
    /// The host key that was verified before anything was sent.
    pub host_key: Option<HostKeyInfo>,
}

/// The SSH host key that was verified for a host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostKeyInfo {
    /// The key type as SSH names it, e.g. `ssh-ed25519`.
    pub algorithm: String,
    /// `SHA256:` followed by unpadded base64, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// Whether this run recorded the key in known_hosts (`accept-new`, a
    /// host not known before): trusted on first use, not verified. Absent
    /// from reports written before it was added, which read as `false`.
    #[serde(default)]
    pub recorded: bool,
}

impl HostKeyInfo {
    /// What is said on stderr when the key of `host` was recorded in this
    /// run, so that the operator can compare it with the host's own
    /// (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on it).
    pub fn recorded_notice(&self, host: &Host) -> Option<String> {
        self.recorded.then(|| {
            format!(
                "recorded the host key of {} ({}:{}) in {} (accept-new): {} {}",
                host.name,
                host.address,
                host.port,
                host.known_hosts.display(),
                self.algorithm,
                self.fingerprint
            )
        })
    }
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

named_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum HostErrorKind {
        /// TCP connect failed or timed out.
        Connect = "connect",
        /// The SSH handshake failed or timed out.
        Handshake = "handshake",
        /// The host key is unknown, revoked or does not match known_hosts.
        HostKey = "host-key",
        /// No offered credential was accepted.
        Auth = "auth",
        /// `sudo -n` refused (password or tty required).
        Sudo = "sudo",
        /// The gather did not finish within command_timeout.
        Timeout = "timeout",
        /// The output exceeded the cap, or the script failed.
        Output = "output",
        /// The output could not be parsed into facts.
        Parse = "parse",
        /// The run was interrupted before this host finished.
        Interrupted = "interrupted",
        /// The inventory gives no roles and no Kubernetes component runs, so
        /// there is nothing to audit: never read as "compliant".
        NoRoles = "no-roles",
        /// Under `--benchmark auto`, no benchmark fits the host's platform
        /// and Kubernetes version; the message names `--benchmark`.
        NoBenchmark = "no-benchmark",
        /// `become = "sudo-script:PATH"`: the file at PATH is not the script
        /// this hardbench embeds (another sha256, named with the embedded
        /// one, or absent): `hardbench print-script` gives the one to
        /// install. It was not run.
        ScriptMismatch = "script-mismatch",
        /// `become = "sudo-script:PATH"`: a user other than root could
        /// change the file (it or a directory above it is not root's, is
        /// writable by group or others, or is a symbolic link), or it
        /// cannot be verified (unreadable, no sha256 tool). It was not run.
        ScriptUnsafe = "script-unsafe",
        /// The bastion itself failed (out of file descriptors): nothing is
        /// known about the host, which is never blamed for it.
        Bastion = "bastion",
        /// hardbench itself failed on this host (a bug): never a verdict.
        Internal = "internal",
    }
}

/// Runs the gathering script on a host. Implementations must enforce the
/// host's deadlines themselves and never block past them.
pub trait Transport: Sync {
    /// Run `script` with `sh -s -- m:<max_output> w:stdin <args>` (under
    /// `sudo -n` when the host says so; or, under `sudo-script:PATH`, the
    /// copy of `script` installed at PATH, once the host has shown that it
    /// is that script and only root can change it) and return its output. The first two
    /// arguments are the transport's (see gather.sh): the script caps its own
    /// output, and its stdin stays open until it ends, so the script must end
    /// by itself (gather.sh's last line runs everything and nothing reads
    /// further); EOF on its stdin means the transport hung up.
    fn gather(&self, host: &Host, script: &[u8], args: &[String]) -> Result<Gathered, HostError>;
}

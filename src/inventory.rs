//! The inventory: which hosts to audit and how to reach them. Owns the TOML
//! format (`RawInventory`, a serde mirror with no invariants) and its
//! validation into `Inventory`, whose every field is usable as is: paths are
//! expanded, durations parsed, per-host settings merged over `[defaults]`.
//! Validation reports every problem at once, each with file, line and key.

use crate::component::Role;
use std::path::PathBuf;
use std::time::Duration;

/// A validated inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    pub path: PathBuf,
    pub hosts: Vec<Host>,
}

/// One host, with every connection setting resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    /// A private key file; `None` means the ssh-agent only.
    pub identity_file: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub host_key_policy: HostKeyPolicy,
    pub become_method: Become,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    /// The most bytes of script output accepted from the host.
    pub max_output: u64,
    /// Roles from the inventory; `None` means detect them from processes.
    pub roles: Option<Vec<Role>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Refuse unknown and mismatched keys.
    Strict,
    /// Record an unknown host's key; still refuse a mismatched one.
    AcceptNew,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Become {
    /// Run the script under `sudo -n`.
    Sudo,
    /// Run the script as the SSH user.
    None,
}

pub const DEFAULT_PORT: u16 = 22;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_OUTPUT: u64 = 8 * 1024 * 1024;

//! `_index.json`: the record of one run's saved facts. It names the run
//! (a random id, the hardbench version, when it started and finished) and
//! lists every host of the run in inventory order, saved or failed, so that
//! `evaluate` can tell a complete set from a partial one and report a host
//! that failed as the error it was.

use crate::audit::HostIdentity;
use crate::component::Role;
use crate::outcome::InputFile;
use crate::shard::Shard;
use crate::transport::{HostError, HostKeyInfo};
use serde::{Deserialize, Serialize};

pub const INDEX_FILE: &str = "_index.json";
pub const INDEX_SCHEMA: &str = "hardbench.facts-index/v1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Always `INDEX_SCHEMA`.
    pub schema: String,
    /// 32 random hex digits, new for every run.
    pub run_id: String,
    pub hardbench_version: String,
    /// RFC 3339 with offset.
    pub started_at: String,
    pub finished_at: String,
    /// Every host of the run, in inventory order.
    pub hosts: Vec<HostRecord>,
    /// The inventory `run` read (its path and sha256), when it recorded
    /// it (sets saved before it was added do not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<InputFile>,
    /// The `--shard` the run audited: the hosts are that share of the
    /// inventory only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// The inventory a set's hosts come from, and the share of it the run
/// audited: what `run` tells a set it saves (`Staging::record_origin`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub inventory: Option<InputFile>,
    pub shard: Option<Shard>,
}

/// One host of the run: who it is, and what became of its gathering.
/// (serde cannot deny unknown fields beside a flattened one.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostRecord {
    pub host: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub sudo: bool,
    /// Roles given by the inventory; `None` means they were to be detected.
    pub roles: Option<Vec<Role>>,
    #[serde(flatten)]
    pub status: HostStatus,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum HostStatus {
    /// The facts are in `file`, whose bytes have this SHA-256 (lower-case hex).
    Ok { file: String, sha256: String },
    /// The host could not be audited; nothing of it was saved.
    Error {
        error: HostError,
        /// RFC 3339 with offset.
        started_at: String,
        duration_ms: u64,
        host_key: Option<HostKeyInfo>,
    },
}

impl HostRecord {
    pub fn new(identity: &HostIdentity, status: HostStatus) -> HostRecord {
        HostRecord {
            host: identity.name.clone(),
            address: identity.address.clone(),
            port: identity.port,
            user: identity.user.clone(),
            sudo: identity.sudo,
            roles: identity.roles.clone(),
            status,
        }
    }

    pub fn identity(&self) -> HostIdentity {
        HostIdentity {
            name: self.host.clone(),
            address: self.address.clone(),
            port: self.port,
            user: self.user.clone(),
            sudo: self.sudo,
            roles: self.roles.clone(),
        }
    }
}

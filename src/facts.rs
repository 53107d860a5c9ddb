//! Typed facts about one host: what the gathering script observed, and
//! nothing else. Facts are plain data: they can be saved as JSON and
//! evaluated again offline. Turning the raw stream into facts lives in
//! `facts/parse.rs`; deciding what to gather lives in `facts/plan.rs`.
//!
//! Every fact distinguishes "observed", "observed to be absent" and "could
//! not be collected" (with the host's reason), so that evaluation never
//! mistakes a collection failure for a verdict.

pub mod parse;
pub mod plan;

use crate::component::Component;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema tag written into saved fact files.
pub const FACTS_SCHEMA: &str = "hardbench.facts/v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Host identity as the host reports it (`uname -n`, machine-id).
    pub identity: Identity,
    /// Running Kubernetes component processes, in the order the host listed them.
    pub processes: Vec<Process>,
    /// `stat` results by absolute path.
    pub files: BTreeMap<String, FileFact>,
    /// Directory listings by absolute path (entries are absolute paths, sorted).
    pub listings: BTreeMap<String, Listing>,
    /// Contents of small configuration documents by absolute path, redacted
    /// on the host before they were sent.
    pub documents: BTreeMap<String, Document>,
    /// `<component> --version` output, by component.
    pub versions: BTreeMap<Component, VersionFact>,
    /// SHA-256 fingerprints of CA certificates the components name, computed
    /// on the host, by absolute path. Absent in facts saved before they
    /// were gathered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub certificates: BTreeMap<String, CertFact>,
    /// Problems the script reported that are not tied to one fact (for
    /// example a missing tool), in the order reported.
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    /// The user the script ran as on the host (after sudo, when used).
    pub effective_user: Option<String>,
}

/// One running component process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    pub component: Component,
    pub pid: u32,
    /// The exact argv from /proc/PID/cmdline; argv[0] included. Bytes that
    /// are not UTF-8 are replaced with U+FFFD.
    pub argv: Vec<String>,
    /// The process's working directory, used to resolve relative paths in flags.
    pub cwd: Option<String>,
    /// `ETCD_*` variables from /proc/PID/environ (etcd only; nothing else
    /// from the environment leaves the host).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FileFact {
    Present(FileStat),
    Missing,
    /// The path could not be examined; the reason is the host's own words.
    Error { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStat {
    pub kind: FileKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Names as the host resolves them; absent when the id has no name there.
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Listing {
    /// Every entry below the directory, recursively, as absolute paths.
    Entries { entries: Vec<String> },
    Missing,
    Error { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Document {
    Text {
        content: String,
        /// True when the host cut the document at the size cap.
        truncated: bool,
    },
    Missing,
    Error { reason: String },
}

/// A certificate file's fingerprint as the host computed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CertFact {
    Fingerprint {
        method: FingerprintMethod,
        /// Upper-case hex, colon-separated pairs (as `openssl -fingerprint` prints it).
        sha256: String,
    },
    Missing,
    Error { reason: String },
}

/// What a fingerprint is a digest of. Two fingerprints compare only when
/// they were made the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FingerprintMethod {
    /// SHA-256 of the certificate's DER (`openssl x509 -fingerprint -sha256`).
    X509Der,
    /// SHA-256 of the file's bytes (`sha256sum`; the host has no openssl).
    FileBytes,
}

impl FingerprintMethod {
    pub fn describe(self) -> &'static str {
        match self {
            FingerprintMethod::X509Der => "sha256 of the certificate",
            FingerprintMethod::FileBytes => "sha256 of the file",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum VersionFact {
    Reported { text: String },
    Error { reason: String },
}

impl Facts {
    /// The first running process of a component, if any.
    pub fn process(&self, component: Component) -> Option<&Process> {
        self.processes.iter().find(|p| p.component == component)
    }
}

/// A host's facts as saved to disk (`run --save-facts`): the facts plus
/// when, from where and as whom, so that `hardbench evaluate` can rebuild
/// the same report offline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFacts {
    /// Always `FACTS_SCHEMA`.
    pub schema: String,
    pub host: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub sudo: bool,
    /// Roles given by the inventory; `None` means they were to be detected.
    pub roles: Option<Vec<crate::component::Role>>,
    pub host_key: Option<crate::outcome::HostKeyInfo>,
    /// RFC 3339 with offset.
    pub collected_at: String,
    pub duration_ms: u64,
    pub facts: Facts,
}

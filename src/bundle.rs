//! The evidence bundle (`run --evidence DIR`, `evaluate --evidence DIR`):
//! one directory holding everything an auditor needs to check a run, and
//! `hardbench verify DIR` (`verify.rs`), which checks it.
//!
//! Layout (`write.rs` writes it):
//! - `facts/`: every host's facts and `_index.json`, a saved-facts set
//!   (`evidence.rs`), so `evaluate --facts DIR` reads the bundle;
//! - `report.json`, `report.xml` (JUnit), `report.html`: the HTML page is
//!   always there, `--html` or not: it is what an auditor reads first, and
//!   `verify` checks that it is what `report.json` renders to;
//! - `benchmarks/<id>/*.toml`: the definition files of every benchmark that
//!   judged a host, and of those they extend;
//! - `inventory.<ext>`, `waivers.toml`, `attestations.toml`: the input files,
//!   the bytes read (an inventory holds no secret by design);
//! - `run.json`: what produced the bundle, when, by whom, where;
//! - `attestation.intoto.json` (signed only): an in-toto Statement in a
//!   DSSE envelope;
//! - `MANIFEST.sha256`: every other file with its sha256, as `sha256sum`
//!   writes it; `MANIFEST.sha256.sig` (signed only): its SSHSIG signature.
//!
//! The bundle is written into a fresh directory beside DIR and renamed into
//! place once whole (`place.rs`): DIR holds the earlier bundle or the new one.

mod command;
mod manifest;
mod place;
mod verify;
mod write;

pub use command::execute;
pub use manifest::{Manifest, ManifestError};
pub use verify::{verify, Finding, Verification};
pub use write::{Bundle, Inputs};

use std::path::{Path, PathBuf};

/// The saved-facts set `evaluate --facts DIR` reads: the bundle's `facts/`
/// when DIR is a bundle, else DIR itself.
pub fn facts_of(dir: &Path) -> PathBuf {
    if dir.join(MANIFEST).is_file() && dir.join(FACTS_DIR).is_dir() {
        dir.join(FACTS_DIR)
    } else {
        dir.to_path_buf()
    }
}

pub const MANIFEST: &str = "MANIFEST.sha256";
pub const SIGNATURE: &str = "MANIFEST.sha256.sig";
pub const ATTESTATION: &str = "attestation.intoto.json";
pub const FACTS_DIR: &str = "facts";
pub const BENCHMARKS_DIR: &str = "benchmarks";
pub const REPORT_JSON: &str = "report.json";
pub const REPORT_JUNIT: &str = "report.xml";
pub const REPORT_HTML: &str = "report.html";
pub const RUN: &str = "run.json";
pub const WAIVERS: &str = "waivers.toml";
pub const ATTESTATIONS: &str = "attestations.toml";
pub const RUN_SCHEMA: &str = "hardbench.run/v1";

/// Why a bundle cannot be written, or read for verification.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// `--evidence DIR` names something that is not ours to replace.
    #[error("cannot write the evidence bundle into {dir}: {why}")]
    NotReplaceable { dir: PathBuf, why: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--sign-key: {0}")]
    Signer(#[from] crate::signing::SignerError),
    #[error("the evidence bundle was not written: {0}")]
    Facts(#[from] crate::evidence::EvidenceError),
    #[error("the evidence bundle was not written: benchmark {id}: {why}")]
    Benchmark { id: String, why: String },
    /// `verify DIR`: DIR is not a bundle.
    #[error("{dir} is not an evidence bundle: {why}")]
    NotABundle { dir: PathBuf, why: String },
    #[error(transparent)]
    AllowedSigners(#[from] crate::signing::AllowedSignersError),
}


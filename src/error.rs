//! The errors that stop a whole invocation. A host that cannot be audited is
//! not one of them: it is a result (`transport::HostError` in its report).

use crate::outcome::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory, the benchmark, the flags or the output paths are
    /// unusable; nothing was contacted.
    #[error("{0}")]
    BadInput(String),
    /// No benchmark fits the Kubernetes version the hosts run.
    #[error("{0}")]
    UnsupportedVersion(String),
    /// Saved facts could not be written or read (`evidence.rs`).
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// A report could not be written after the audit ran.
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::BadInput(_) | Error::UnsupportedVersion(_) | Error::Evidence(_) | Error::Write { .. } => {
                ExitCode::BadInput
            }
        }
    }
}

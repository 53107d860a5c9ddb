//! Signing evidence with an OpenSSH key, and checking such signatures.
//!
//! The key is named by `--sign-key` (`signer.rs`): an OpenSSH private key
//! file, `agent:` for the first identity of the ssh-agent at
//! `SSH_AUTH_SOCK`, or a public key file whose private key that agent
//! holds (`agent.rs` speaks the agent protocol). Never a passphrase
//! prompt: an encrypted key file is refused, pointing at the agent.
//!
//! Two signed forms, both over the same key:
//! - SSHSIG (`sshsig.rs`), the format of `ssh-keygen -Y sign`, in the
//!   namespace [`NAMESPACE`], so that stock OpenSSH verifies it against an
//!   allowed_signers file (`allowed_signers.rs` reads that format for our
//!   own verification);
//! - a DSSE envelope (`dsse.rs`) around an in-toto Statement
//!   (`in_toto.rs`), for supply-chain tooling.

mod agent;
mod allowed_signers;
mod dsse;
mod in_toto;
mod pattern;
mod signer;
mod sshsig;

pub use agent::AgentError;
pub use allowed_signers::{AllowedSigners, AllowedSignersError, NotAllowed};
pub use dsse::{dsse_envelope, pae, verify_dsse, DsseError, VerifiedEnvelope, IN_TOTO_PAYLOAD_TYPE};
pub use in_toto::{
    Configuration, Statement, Subject, TestResult, TestVerdict, STATEMENT_TYPE, TEST_RESULT_PREDICATE_TYPE,
};
pub use signer::{Signer, SignerError, AGENT_SPEC};
pub use sshsig::{sign_sshsig, verify_sshsig, VerifyError};

/// The SSHSIG namespace of hardbench's evidence: a signature made for it
/// cannot be passed off as one for another purpose (git commits, files),
/// nor one made for another purpose as evidence.
pub const NAMESPACE: &str = "hardbench-evidence";

/// Who signed, as the allowed signers file names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSigner {
    /// The principals of every allowed_signers line that authorizes the
    /// key, in file order, each once.
    pub principals: Vec<String>,
    /// The key's fingerprint, `SHA256:...` as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

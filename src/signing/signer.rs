//! The key that signs, as `--sign-key` names it: an OpenSSH private key
//! file, [`AGENT_SPEC`] for the first identity of the ssh-agent, or a
//! public key file whose private key the agent holds.
//!
//! hardbench never asks for a passphrase (it runs unattended, and a prompt
//! would stall a run after the audit): an encrypted key file is refused
//! with the way to use it through the agent instead. Every signature is
//! verified with the public key before it is used, so a key file whose
//! halves do not match, or an agent that signs wrongly, is an error here
//! rather than a bundle that fails verification later.

use super::agent::{Agent, AgentError};
use ssh_key::private::{KeypairData, RsaKeypair};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, Mpint, PrivateKey, PublicKey, Signature};
use std::path::{Path, PathBuf};

/// `--sign-key agent:`: the first identity of the ssh-agent.
pub const AGENT_SPEC: &str = "agent:";

/// Why `--sign-key` cannot be used, or a signature could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("cannot read the signing key {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the signing key {path} is encrypted, and hardbench never asks for a passphrase: add it to \
         ssh-agent (`ssh-add {path}`), then sign with `--sign-key agent:` or `--sign-key {path}.pub`"
    )]
    Encrypted { path: PathBuf },
    /// A PEM key (`BEGIN RSA PRIVATE KEY`...), not OpenSSH's own format.
    #[error(
        "the signing key {path} is a PEM key, not in OpenSSH's format: rewrite it with \
         `ssh-keygen -p -f {path}`, or add it to ssh-agent and sign with `--sign-key agent:`"
    )]
    NotOpenSsh { path: PathBuf },
    #[error("the signing key {path} is neither an OpenSSH private key nor a public key: {why}")]
    NotAKey { path: PathBuf, why: String },
    #[error("the signing key {origin} is {algorithm}; hardbench signs with ed25519, RSA or ECDSA P-256 keys")]
    Unsupported { origin: String, algorithm: String },
    #[error("{what} needs an ssh-agent, but SSH_AUTH_SOCK is not set")]
    NoAgent { what: String },
    #[error("the ssh-agent at {socket} holds no key")]
    AgentEmpty { socket: PathBuf },
    #[error(
        "the ssh-agent at {socket} does not hold the private key of {path} ({fingerprint}): add it \
         with `ssh-add`"
    )]
    NotInAgent { path: PathBuf, socket: PathBuf, fingerprint: String },
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error("signing with {origin} failed: {why}")]
    Sign { origin: String, why: String },
    /// The signature does not verify with the key's public half.
    #[error("the signature made with {origin} does not verify with its public key {fingerprint}")]
    Inconsistent { origin: String, fingerprint: String },
}

/// A key that can sign.
pub struct Signer {
    public: PublicKey,
    source: Source,
}

enum Source {
    File { path: PathBuf, key: Box<PrivateKey> },
    Agent { socket: PathBuf },
}

impl Signer {
    /// The signer `--sign-key SPEC` names; the agent is the one at
    /// `SSH_AUTH_SOCK`.
    pub fn open(spec: &str) -> Result<Self, SignerError> {
        let socket = std::env::var_os("SSH_AUTH_SOCK").filter(|s| !s.is_empty()).map(PathBuf::from);
        Self::open_with_agent(spec, socket.as_deref())
    }

    /// The signer `SPEC` names, with the agent at `agent_socket`.
    pub fn open_with_agent(spec: &str, agent_socket: Option<&Path>) -> Result<Self, SignerError> {
        if spec == AGENT_SPEC {
            let socket = agent_socket.ok_or_else(|| SignerError::NoAgent { what: "`--sign-key agent:`".into() })?;
            let first = Agent::connect(socket)?.identities()?.into_iter().next();
            let identity = first.ok_or_else(|| SignerError::AgentEmpty { socket: socket.to_path_buf() })?;
            let public = PublicKey::new(identity.key, identity.comment);
            let signer = Signer { public, source: Source::Agent { socket: socket.to_path_buf() } };
            return signer.supported();
        }
        let path = Path::new(spec);
        let text =
            std::fs::read_to_string(path).map_err(|source| SignerError::Read { path: path.to_path_buf(), source })?;
        let trimmed = text.trim_start();
        if trimmed.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
            let key = PrivateKey::from_openssh(trimmed)
                .map_err(|e| SignerError::NotAKey { path: path.to_path_buf(), why: e.to_string() })?;
            if key.is_encrypted() {
                return Err(SignerError::Encrypted { path: path.to_path_buf() });
            }
            let public = key.public_key().clone();
            let signer = Signer { public, source: Source::File { path: path.to_path_buf(), key: Box::new(key) } };
            return signer.supported();
        }
        if trimmed.starts_with("-----BEGIN ") && trimmed.lines().next().is_some_and(|l| l.contains("PRIVATE KEY")) {
            return Err(SignerError::NotOpenSsh { path: path.to_path_buf() });
        }
        let public = PublicKey::from_openssh(trimmed.trim_end())
            .map_err(|e| SignerError::NotAKey { path: path.to_path_buf(), why: e.to_string() })?;
        let what = format!("the public key {}", path.display());
        let socket = agent_socket.ok_or(SignerError::NoAgent { what })?;
        let held = Agent::connect(socket)?.identities()?.into_iter().any(|i| &i.key == public.key_data());
        if !held {
            return Err(SignerError::NotInAgent {
                path: path.to_path_buf(),
                socket: socket.to_path_buf(),
                fingerprint: public.fingerprint(HashAlg::Sha256).to_string(),
            });
        }
        Signer { public, source: Source::Agent { socket: socket.to_path_buf() } }.supported()
    }

    /// The public half of the key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key's fingerprint, `SHA256:...` as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.public.fingerprint(HashAlg::Sha256).to_string()
    }

    /// Where the key is, for messages: its file, or the agent's socket.
    pub fn origin(&self) -> String {
        match &self.source {
            Source::File { path, .. } => path.display().to_string(),
            Source::Agent { socket } => format!("the ssh-agent key {} at {}", self.fingerprint(), socket.display()),
        }
    }

    /// The SSH signature of `data`, checked against the public key.
    pub(super) fn sign(&self, data: &[u8]) -> Result<Signature, SignerError> {
        let signature = match &self.source {
            Source::File { key, .. } => {
                let signed = match key.key_data() {
                    KeypairData::Rsa(rsa) => sign_rsa(rsa, data),
                    other => signature::Signer::try_sign(other, data).map_err(|e| e.to_string()),
                };
                signed.map_err(|why| SignerError::Sign { origin: self.origin(), why })?
            }
            Source::Agent { socket } => Agent::connect(socket)?.sign(self.public.key_data(), data)?,
        };
        signature::Verifier::verify(self.public.key_data(), data, &signature)
            .map_err(|_| SignerError::Inconsistent { origin: self.origin(), fingerprint: self.fingerprint() })?;
        Ok(signature)
    }

    /// The signer, if its algorithm is one whose signatures hardbench
    /// writes and checks (SSHSIG and DSSE alike).
    fn supported(self) -> Result<Self, SignerError> {
        if supported(self.public.key_data()) {
            Ok(self)
        } else {
            Err(SignerError::Unsupported { origin: self.origin(), algorithm: self.public.algorithm().to_string() })
        }
    }
}

/// An rsa-sha2-512 signature (PKCS#1 v1.5 with SHA-512), made with the
/// `rsa` crate from the key's components: ssh-key 0.6.7's own conversion
/// takes the first prime twice, and that key cannot sign.
fn sign_rsa(key: &RsaKeypair, data: &[u8]) -> Result<Signature, String> {
    let int = |m: &Mpint| m.as_positive_bytes().map(rsa::BigUint::from_bytes_be).ok_or("a negative RSA component");
    let (public, private) = (&key.public, &key.private);
    let primes = vec![int(&private.p)?, int(&private.q)?];
    let private = rsa::RsaPrivateKey::from_components(int(&public.n)?, int(&public.e)?, int(&private.d)?, primes)
        .map_err(|e| e.to_string())?;
    let signing = rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(private);
    let signature = signature::Signer::try_sign(&signing, data).map_err(|e| e.to_string())?;
    let algorithm = Algorithm::Rsa { hash: Some(HashAlg::Sha512) };
    Signature::new(algorithm, signature::SignatureEncoding::to_vec(&signature)).map_err(|e| e.to_string())
}

/// Ed25519, RSA and ECDSA P-256: what this build verifies too.
pub(super) fn supported(key: &KeyData) -> bool {
    matches!(
        key.algorithm(),
        Algorithm::Ed25519 | Algorithm::Rsa { .. } | Algorithm::Ecdsa { curve: EcdsaCurve::NistP256 }
    )
}

#[cfg(test)]
pub(super) mod testing {
    use super::Signer;
    use ssh_key::private::{Ed25519Keypair, KeypairData};
    use ssh_key::{LineEnding, PrivateKey};

    /// A signer from an unencrypted ed25519 key file made from `seed`, and
    /// the key's allowed_signers line for `principal`.
    pub fn ed25519(seed: u8, principal: &str) -> (Signer, String, tempfile::TempDir) {
        let key = PrivateKey::new(KeypairData::Ed25519(Ed25519Keypair::from_seed(&[seed; 32])), "test").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, key.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
        let line = format!("{principal} {}\n", key.public_key().to_openssh().unwrap());
        (Signer::open_with_agent(path.to_str().unwrap(), None).unwrap(), line, dir)
    }
}

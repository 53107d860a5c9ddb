//! SSHSIG signatures, the format of `ssh-keygen -Y sign` (OpenSSH's
//! PROTOCOL.sshsig): the key signs a blob binding the namespace and the
//! SHA-512 of the message, armored as `-----BEGIN SSH SIGNATURE-----`.
//! `ssh-keygen -Y verify -f allowed_signers -I ID -n NAMESPACE -s FILE.sig
//! < FILE` checks ours; [`verify_sshsig`] checks OpenSSH's and ours.

use super::allowed_signers::{AllowedSigners, NotAllowed};
use super::signer::{self, Signer, SignerError};
use super::VerifiedSigner;
use chrono::{DateTime, Utc};
use ssh_key::{HashAlg, LineEnding, SshSig};

/// Why a signature does not prove that an allowed signer signed the message.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature is not an SSH signature: {why}")]
    Malformed { why: String },
    #[error("the signature is for the namespace {found:?}, not {expected:?}")]
    Namespace { expected: String, found: String },
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    #[error("the signature is by a {algorithm} key, which hardbench cannot check")]
    Unsupported { algorithm: String },
    /// The key is allowed but did not sign this message: the message or
    /// the signature was changed.
    #[error("the signature by {fingerprint} does not match the signed data: it was changed after signing")]
    Mismatch { fingerprint: String },
}

/// `message` signed with `signer` in `namespace`, armored as
/// `ssh-keygen -Y sign` writes it.
pub fn sign_sshsig(signer: &Signer, namespace: &str, message: &[u8]) -> Result<String, SignerError> {
    let failed = |e: ssh_key::Error| SignerError::Sign { origin: signer.origin(), why: e.to_string() };
    // SHA-512, as ssh-keygen chooses by default.
    let data = SshSig::signed_data(namespace, HashAlg::Sha512, message).map_err(failed)?;
    let signature = signer.sign(&data)?;
    let key = signer.public_key().key_data().clone();
    let sshsig = SshSig::new(key, namespace, HashAlg::Sha512, signature).map_err(failed)?;
    sshsig.to_pem(LineEnding::LF).map_err(failed)
}

/// Whether `signature` (armored SSHSIG) is a signature of `message` in
/// `namespace` by a key that `allowed` authorizes for it at time `at`;
/// who signed.
pub fn verify_sshsig(
    allowed: &AllowedSigners,
    namespace: &str,
    message: &[u8],
    signature: &str,
    at: DateTime<Utc>,
) -> Result<VerifiedSigner, VerifyError> {
    let sshsig = SshSig::from_pem(signature.trim()).map_err(|e| VerifyError::Malformed { why: e.to_string() })?;
    if sshsig.namespace() != namespace {
        return Err(VerifyError::Namespace { expected: namespace.into(), found: sshsig.namespace().into() });
    }
    let key = sshsig.public_key();
    let verified = allowed.authorize(key, namespace, at)?;
    if !signer::supported(key) {
        return Err(VerifyError::Unsupported { algorithm: key.algorithm().to_string() });
    }
    let public = ssh_key::PublicKey::from(key.clone());
    public
        .verify(namespace, message, &sshsig)
        .map_err(|_| VerifyError::Mismatch { fingerprint: verified.fingerprint.clone() })?;
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::super::signer::testing;
    use super::super::NAMESPACE;
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_namespace_and_listed_key() {
        let (signer, line, _dir) = testing::ed25519(3, "auditor@example.com");
        let (_, other_line, _other_dir) = testing::ed25519(4, "other@example.com");
        let allowed = AllowedSigners::parse(&line, "allowed_signers").unwrap();
        let message = b"1f2e  facts/cp-1.json\n";
        let armored = sign_sshsig(&signer, NAMESPACE, message).unwrap();
        assert!(armored.starts_with("-----BEGIN SSH SIGNATURE-----\n"), "{armored}");
        assert!(armored.ends_with("-----END SSH SIGNATURE-----\n"), "{armored}");

        let verified = verify_sshsig(&allowed, NAMESPACE, message, &armored, Utc::now()).unwrap();
        assert_eq!(verified.principals, ["auditor@example.com"]);

        let changed = verify_sshsig(&allowed, NAMESPACE, b"1f2f  facts/cp-1.json\n", &armored, Utc::now());
        assert!(matches!(changed, Err(VerifyError::Mismatch { .. })), "{changed:?}");
        let namespace = verify_sshsig(&allowed, "git", message, &armored, Utc::now());
        assert!(matches!(namespace, Err(VerifyError::Namespace { .. })), "{namespace:?}");
        let other = AllowedSigners::parse(&other_line, "allowed_signers").unwrap();
        let unlisted = verify_sshsig(&other, NAMESPACE, message, &armored, Utc::now());
        assert!(matches!(unlisted, Err(VerifyError::NotAllowed(NotAllowed::NotListed { .. }))), "{unlisted:?}");
        let garbage = verify_sshsig(&allowed, NAMESPACE, message, "-----BEGIN SSH SIGNATURE-----\nAAAA\n", Utc::now());
        assert!(matches!(garbage, Err(VerifyError::Malformed { .. })), "{garbage:?}");
    }
}

//! DSSE envelopes (the Dead Simple Signing Envelope, as in-toto and
//! sigstore use it): a payload, its type, and signatures over the
//! pre-authentication encoding (PAE) of both:
//!
//! ```text
//! "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//! ```
//!
//! with lengths in ASCII decimal. The signing key is the `--sign-key` key;
//! it signs the PAE as its SSH algorithm does (Ed25519 over the PAE itself,
//! RSA PKCS#1 v1.5 with SHA-512, ECDSA P-256 with SHA-256), and `sig` holds
//! the signature in the form generic tools take: the 64 bytes of an Ed25519
//! signature, the RSA signature, the DER of an ECDSA one. `keyid` is the
//! key's `SHA256:` fingerprint, a hint for the verifier, never trusted:
//! [`verify_dsse`] tries every key the allowed signers file lists.
//!
//! The PAE starts with `DSSEv1`, so a signature over it can be taken for
//! neither an SSHSIG signature (which signs a blob starting `SSHSIG`) nor
//! an SSH login (which signs a blob starting with a length).

use super::allowed_signers::{AllowedSigners, NotAllowed};
use super::signer::{Signer, SignerError};
use super::{VerifiedSigner, NAMESPACE};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, EcdsaCurve, HashAlg, Signature};

/// The payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Why an envelope does not prove that an allowed signer signed its payload.
#[derive(Debug, thiserror::Error)]
pub enum DsseError {
    #[error("not a DSSE envelope: {why}")]
    Malformed { why: String },
    #[error("the DSSE envelope has no signature")]
    Unsigned,
    #[error(transparent)]
    NotAllowed(#[from] NotAllowed),
    /// No signature verifies with any listed key.
    #[error(
        "none of the DSSE envelope's {signatures} signature(s) verifies with a key of the allowed signers: \
         the payload or the signature was changed, or the signer is not listed"
    )]
    Unverified { signatures: usize },
}

/// A verified envelope's content and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEnvelope {
    pub payload_type: String,
    pub payload: Vec<u8>,
    pub signer: VerifiedSigner,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Serialize, Deserialize)]
struct EnvelopeSignature {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    keyid: String,
    sig: String,
}

/// The pre-authentication encoding of a payload and its type: what is signed.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

/// The JSON of a DSSE envelope of `payload`, signed with `signer`.
pub fn dsse_envelope(signer: &Signer, payload_type: &str, payload: &[u8]) -> Result<String, SignerError> {
    let signature = signer.sign(&pae(payload_type, payload))?;
    let sig = generic_form(&signature)
        .map_err(|why| SignerError::Sign { origin: signer.origin(), why: format!("DSSE signature: {why}") })?;
    let envelope = Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![EnvelopeSignature { keyid: signer.fingerprint(), sig: STANDARD.encode(sig) }],
    };
    let mut json = serde_json::to_string_pretty(&envelope).expect("an envelope serializes");
    json.push('\n');
    Ok(json)
}

/// The payload of `envelope` (JSON), if one of its signatures is by a key
/// that `allowed` authorizes for hardbench's evidence at time `at`.
pub fn verify_dsse(envelope: &str, allowed: &AllowedSigners, at: DateTime<Utc>) -> Result<VerifiedEnvelope, DsseError> {
    let envelope: Envelope = serde_json::from_str(envelope).map_err(|e| DsseError::Malformed { why: e.to_string() })?;
    if envelope.signatures.is_empty() {
        return Err(DsseError::Unsigned);
    }
    let payload = decode("payload", &envelope.payload)?;
    let signed = pae(&envelope.payload_type, &payload);
    let mut refusal = None;
    for entry in &envelope.signatures {
        let sig = decode("sig", &entry.sig)?;
        for key in allowed.keys() {
            let verifies = ssh_form(key, &sig)
                .is_some_and(|signature| signature::Verifier::verify(key, &signed, &signature).is_ok());
            if !verifies {
                continue;
            }
            match allowed.authorize(key, NAMESPACE, at) {
                Ok(signer) => {
                    return Ok(VerifiedEnvelope { payload_type: envelope.payload_type, payload, signer });
                }
                Err(why) => {
                    refusal.get_or_insert(why);
                }
            }
        }
    }
    match refusal {
        Some(why) => Err(DsseError::NotAllowed(why)),
        None => Err(DsseError::Unverified { signatures: envelope.signatures.len() }),
    }
}

/// DSSE allows standard and URL-safe base64.
fn decode(field: &str, text: &str) -> Result<Vec<u8>, DsseError> {
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .map_err(|e| DsseError::Malformed { why: format!("{field} is not base64: {e}") })
}

/// An SSH signature as generic tools take it.
fn generic_form(signature: &Signature) -> Result<Vec<u8>, String> {
    match signature.algorithm() {
        Algorithm::Ecdsa { curve: EcdsaCurve::NistP256 } => {
            let ecdsa = p256::ecdsa::Signature::try_from(signature).map_err(|e| e.to_string())?;
            Ok(ecdsa.to_der().as_bytes().to_vec())
        }
        // Ed25519's 64 bytes and RSA's signature are the same in both.
        _ => Ok(signature.as_bytes().to_vec()),
    }
}

/// The SSH signature a generic-form `sig` is, for `key`'s algorithm.
fn ssh_form(key: &KeyData, sig: &[u8]) -> Option<Signature> {
    match key.algorithm() {
        Algorithm::Ed25519 => Signature::new(Algorithm::Ed25519, sig).ok(),
        Algorithm::Rsa { .. } => Signature::new(Algorithm::Rsa { hash: Some(HashAlg::Sha512) }, sig).ok(),
        Algorithm::Ecdsa { curve: EcdsaCurve::NistP256 } => {
            let ecdsa = p256::ecdsa::Signature::from_der(sig).ok()?;
            Signature::try_from(ecdsa).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::signer::testing;
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn allowed(text: &str) -> AllowedSigners {
        AllowedSigners::parse(text, "allowed_signers").unwrap()
    }

    #[test]
    fn pae_is_the_specs() {
        let table: [(&str, &[u8], &[u8]); 3] = [
            // The DSSE protocol's own example.
            (
                "http://example.com/HelloWorld",
                b"hello world",
                b"DSSEv1 29 http://example.com/HelloWorld 11 hello world",
            ),
            ("", b"", b"DSSEv1 0  0 "),
            // Lengths count bytes, not characters.
            ("t\u{e9}", b"\x00\x01", b"DSSEv1 3 t\xc3\xa9 2 \x00\x01"),
        ];
        for (payload_type, payload, expected) in table {
            assert_eq!(pae(payload_type, payload), expected, "{payload_type:?}");
        }
    }

    #[test]
    fn an_envelope_verifies_and_gives_its_payload_and_signer() {
        let (signer, line, _dir) = testing::ed25519(1, "auditor@example.com");
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
        let json = dsse_envelope(&signer, IN_TOTO_PAYLOAD_TYPE, payload).unwrap();
        let envelope: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(envelope["payloadType"], IN_TOTO_PAYLOAD_TYPE);
        assert_eq!(envelope["signatures"][0]["keyid"], signer.fingerprint().as_str());
        let sig = STANDARD.decode(envelope["signatures"][0]["sig"].as_str().unwrap()).unwrap();
        assert_eq!(sig.len(), 64, "an Ed25519 signature, bare");

        let verified = verify_dsse(&json, &allowed(&line), now()).unwrap();
        assert_eq!(verified.payload, payload);
        assert_eq!(verified.payload_type, IN_TOTO_PAYLOAD_TYPE);
        assert_eq!(verified.signer.principals, ["auditor@example.com"]);
        assert_eq!(verified.signer.fingerprint, signer.fingerprint());
    }

    #[test]
    fn a_changed_envelope_or_an_unlisted_signer_does_not_verify() {
        let (signer, line, _dir) = testing::ed25519(1, "auditor@example.com");
        let (_, other_line, _other_dir) = testing::ed25519(2, "other@example.com");
        let json = dsse_envelope(&signer, IN_TOTO_PAYLOAD_TYPE, b"{\"result\":\"FAILED\"}").unwrap();
        let mut envelope: serde_json::Value = serde_json::from_str(&json).unwrap();
        let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut copy = envelope.clone();
            edit(&mut copy);
            verify_dsse(&copy.to_string(), &allowed(&line), now()).unwrap_err()
        };

        let payload = edited(&|e| e["payload"] = STANDARD.encode(b"{\"result\":\"PASSED\"}").into());
        assert!(matches!(payload, DsseError::Unverified { signatures: 1 }), "{payload}");
        let payload_type = edited(&|e| e["payloadType"] = "application/json".into());
        assert!(matches!(payload_type, DsseError::Unverified { .. }), "{payload_type}");
        let sig = edited(&|e| {
            let mut bytes = STANDARD.decode(e["signatures"][0]["sig"].as_str().unwrap()).unwrap();
            bytes[10] ^= 1;
            e["signatures"][0]["sig"] = STANDARD.encode(bytes).into();
        });
        assert!(matches!(sig, DsseError::Unverified { .. }), "{sig}");
        let unsigned = edited(&|e| e["signatures"] = serde_json::json!([]));
        assert!(matches!(unsigned, DsseError::Unsigned), "{unsigned}");
        let garbage = edited(&|e| e["payload"] = "not base64!".into());
        assert!(matches!(garbage, DsseError::Malformed { .. }), "{garbage}");

        // The keyid is a hint only: a wrong one still verifies.
        envelope["signatures"][0]["keyid"] = "SHA256:somebody-else".into();
        assert!(verify_dsse(&envelope.to_string(), &allowed(&line), now()).is_ok());

        let unlisted = verify_dsse(&json, &allowed(&other_line), now()).unwrap_err();
        assert!(matches!(unlisted, DsseError::Unverified { .. }), "{unlisted}");
        let git_only = line.replacen(' ', " namespaces=\"git\" ", 1);
        let refused = verify_dsse(&json, &allowed(&git_only), now()).unwrap_err();
        assert!(matches!(refused, DsseError::NotAllowed(NotAllowed::Namespace { .. })), "{refused}");
    }
}

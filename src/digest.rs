//! SHA-256 digests as the reports, indexes, bundles and hosts spell them:
//! lower-case hex, as `sha256sum` prints them. The gathering script's own
//! is computed once per process: it is recorded for every host saved and
//! sent to every host whose `become` is an installed script.

use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Lower-case hex of `bytes` (a digest, or part of one).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The SHA-256 of the gathering script this hardbench runs on hosts.
pub fn gather_script_sha256() -> &'static str {
    static DIGEST: OnceLock<String> = OnceLock::new();
    DIGEST.get_or_init(|| sha256_hex(crate::GATHER_SCRIPT.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_spelled_as_sha256sum_prints_them() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(gather_script_sha256(), sha256_hex(crate::GATHER_SCRIPT.as_bytes()));
    }
}

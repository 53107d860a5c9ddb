//! What an identity file holds, judged before any host is contacted: a
//! public key named as `identity_file` would only fail at authentication,
//! blamed on the host, and a private key others can read is one OpenSSH
//! refuses to use (`sshkey_perm_ok`: any group or other permission bit).
//! Judged from the file's first bytes and mode; nothing here reads a disk.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The permission bits OpenSSH refuses on a private key it owns.
const GROUP_OR_OTHER: u32 = 0o077;

/// When `start` (the first bytes of a file) is a public key or a
/// certificate, what kind; `None` for anything else (a private key, or
/// text that is no key at all, which authentication reports).
pub fn public_key(start: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(start);
    if text.contains("PRIVATE KEY-----") {
        return None;
    }
    if text.contains("-----BEGIN PUBLIC KEY-----") || text.contains("-----BEGIN RSA PUBLIC KEY-----") {
        return Some("a PEM public key".to_string());
    }
    if text.contains("---- BEGIN SSH2 PUBLIC KEY ----") {
        return Some("an SSH2 (RFC 4716) public key".to_string());
    }
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))?;
    // `type base64 [comment]`, possibly after authorized_keys options: a
    // key type followed by a blob that starts with that same type.
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields.windows(2).find_map(|pair| {
        let blob = STANDARD.decode(pair[1]).ok()?;
        (blob_type(&blob)? == pair[0]).then(|| {
            if pair[0].contains("-cert-") {
                format!("an OpenSSH certificate ({})", pair[0])
            } else {
                format!("an OpenSSH public key ({})", pair[0])
            }
        })
    })
}

/// The leading SSH string of a key blob: its type.
fn blob_type(blob: &[u8]) -> Option<&str> {
    let length = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?);
    let end = 4usize.checked_add(usize::try_from(length).ok()?)?;
    std::str::from_utf8(blob.get(4..end)?).ok()
}

/// Whether a private key with permission bits `mode` is open to group or
/// others, which OpenSSH refuses.
pub fn too_open(mode: u32) -> bool {
    mode & GROUP_OR_OTHER != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ssh-keygen -t ed25519` output, as written to `id.pub` (a throwaway
    /// key made for this test).
    const ED25519_PUB: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR audit@bastion\n";

    #[test]
    fn public_keys_are_recognised_by_content() {
        let cert_blob = {
            let mut blob = Vec::new();
            let kind = b"ssh-ed25519-cert-v01@openssh.com";
            blob.extend_from_slice(&u32::try_from(kind.len()).unwrap().to_be_bytes());
            blob.extend_from_slice(kind);
            blob.extend_from_slice(&[0; 40]);
            STANDARD.encode(blob)
        };
        let cases: Vec<(String, Option<&str>)> = vec![
            (ED25519_PUB.to_string(), Some("an OpenSSH public key (ssh-ed25519)")),
            (
                format!("# a comment\n\n  {}", ED25519_PUB.trim_end()),
                Some("an OpenSSH public key (ssh-ed25519)"),
            ),
            (
                format!("from=\"10.0.0.1\",no-pty {ED25519_PUB}"),
                Some("an OpenSSH public key (ssh-ed25519)"),
            ),
            (
                format!("ssh-ed25519-cert-v01@openssh.com {cert_blob} id"),
                Some("an OpenSSH certificate (ssh-ed25519-cert-v01@openssh.com)"),
            ),
            (
                "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n".to_string(),
                Some("a PEM public key"),
            ),
            (
                "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n".to_string(),
                Some("a PEM public key"),
            ),
            (
                "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"x\"\nAAAAC3Nza\n---- END SSH2 PUBLIC KEY ----\n"
                    .to_string(),
                Some("an SSH2 (RFC 4716) public key"),
            ),
            // Private keys, whatever else they contain.
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
                    .to_string(),
                None,
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n".to_string(),
                None,
            ),
            ("-----BEGIN EC PRIVATE KEY-----\n".to_string(), None),
            // Not a key at all: authentication says so later.
            ("not a key".to_string(), None),
            (String::new(), None),
            // A key type whose blob says another type is no public key.
            (
                ED25519_PUB.replacen("ssh-ed25519", "ssh-rsa", 1),
                None,
            ),
            ("ssh-ed25519 !!!notbase64".to_string(), None),
            ("ssh-ed25519 AAAA".to_string(), None),
        ];
        for (text, expected) in cases {
            assert_eq!(public_key(text.as_bytes()).as_deref(), expected, "{text:?}");
        }
        // Only the first bytes may have been read: a cut line still counts.
        assert_eq!(public_key(&[0xff, 0xfe]), None);
    }

    #[test]
    fn keys_open_to_group_or_others() {
        for mode in [0o600, 0o400, 0o700, 0o4600] {
            assert!(!too_open(mode), "{mode:o}");
        }
        for mode in [0o644, 0o640, 0o604, 0o660, 0o610, 0o601, 0o666, 0o777] {
            assert!(too_open(mode), "{mode:o}");
        }
    }
}

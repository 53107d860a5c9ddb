//! An identity file that is an unencrypted OpenSSH ed25519 key: parsed
//! once per process, and publickey authentication that signs with it for
//! every host.
//!
//! Why: libssh2 reads a private key (from a file or from memory) by trying
//! OpenSSL's PEM decoders first, and OpenSSL 3 sets up a decoder context for
//! each try, before libssh2's own OpenSSH parser reads the key; for every
//! host, that was 5.6 million instructions (callgrind, 50 lab hosts), more
//! than a third of the client's work per host. With the key parsed here,
//! libssh2's callback form of publickey authentication
//! (`libssh2_userauth_publickey`) asks us for the signature and puts it
//! into the request itself.
//!
//! Every other identity (RSA, whose signature algorithm libssh2 negotiates
//! with each server; ECDSA; PEM files; encrypted keys, which ssh.rs refuses)
//! keeps libssh2's own path and is read for every host as before.
//!
//! A key stays parsed for as long as the transport that read it
//! (`Identities`, one per run): a run reads each identity file once, so a
//! file changed during a run is read as it was.

use ed25519_dalek::SigningKey;
use ssh_key::private::KeypairData;
use ssh_key::PrivateKey;
use ssh2::Session;
use signature::Signer;
use std::ffi::{c_char, c_int, c_uchar, c_void, CString};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The length of an ed25519 signature (RFC 8032), the part of an
/// `ssh-ed25519` signature blob that the signer makes; libssh2 frames it
/// with the algorithm name (RFC 8709).
const SIGNATURE_LEN: usize = 64;

/// An ed25519 key, ready to sign for any host.
pub(super) struct Ed25519Identity {
    /// The public key as SSH encodes it (`string "ssh-ed25519"`, `string
    /// key`), the blob the server checks against authorized_keys.
    public_blob: Vec<u8>,
    key: SigningKey,
}

/// What an identity file holds, for authentication.
pub(super) enum Identity {
    /// An unencrypted OpenSSH ed25519 key, parsed once per run.
    Ed25519(Arc<Ed25519Identity>),
    /// Any other file, as read now: libssh2 reads it.
    Other(Vec<u8>),
}

/// The ed25519 identities a run parsed so far, by path, for every host and
/// jump host it authenticates to. A run names one or a few identity files,
/// so a list is all the index they need.
#[derive(Default)]
pub(super) struct Identities {
    parsed: Mutex<Vec<(PathBuf, Arc<Ed25519Identity>)>>,
}

impl std::fmt::Debug for Identities {
    /// The paths, never a key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_list().entries(parsed.iter().map(|(path, _)| path)).finish()
    }
}

impl Identities {
    /// The identity at `path`: parsed once per run if it is an unencrypted
    /// OpenSSH ed25519 key, else read again for this host.
    pub(super) fn load(&self, path: &Path) -> io::Result<Identity> {
        // Nothing panics while holding the lock, and the list stays valid if
        // something did.
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, identity)) = parsed.iter().find(|(p, _)| p == path) {
            return Ok(Identity::Ed25519(Arc::clone(identity)));
        }
        // Read under the lock, so that hosts starting together read it once.
        let bytes = std::fs::read(path)?;
        match Ed25519Identity::parse(&bytes) {
            Some(identity) => {
                let identity = Arc::new(identity);
                parsed.push((path.to_path_buf(), Arc::clone(&identity)));
                Ok(Identity::Ed25519(identity))
            }
            None => Ok(Identity::Other(bytes)),
        }
    }
}

impl Ed25519Identity {
    /// The key in `file` when it is an unencrypted OpenSSH ed25519 key
    /// whose private half signs for its public half.
    fn parse(file: &[u8]) -> Option<Ed25519Identity> {
        let key = PrivateKey::from_openssh(file).ok()?;
        if key.is_encrypted() {
            return None;
        }
        let KeypairData::Ed25519(keypair) = key.key_data() else {
            return None;
        };
        let public_blob = key.public_key().to_bytes().ok()?;
        // Fails for a file whose halves do not match: libssh2 says so then.
        let key = SigningKey::try_from(keypair).ok()?;
        Some(Ed25519Identity { public_blob, key })
    }

    /// The ed25519 signature of `data`.
    fn sign(&self, data: &[u8]) -> Option<[u8; SIGNATURE_LEN]> {
        Some(self.key.try_sign(data).ok()?.to_bytes())
    }

    /// Publickey authentication of `user` on `session` with this key,
    /// under the session's timeout; errors as libssh2 reports them.
    pub(super) fn authenticate(&self, session: &Session, user: &str) -> Result<(), ssh2::Error> {
        let user = CString::new(user)?;
        let mut abstract_ = self as *const Ed25519Identity as *mut c_void;
        let rc = {
            let mut raw = session.raw();
            // SAFETY: the session is valid and locked for the call; `user`
            // is NUL-terminated; the blob outlives the call; `abstract_`
            // points at `self`, which outlives the call, and is what
            // libssh2 hands `sign_callback` (it reads it, never keeps it).
            unsafe {
                libssh2_userauth_publickey(
                    std::ptr::from_mut(&mut *raw).cast::<c_void>(),
                    user.as_ptr(),
                    self.public_blob.as_ptr(),
                    self.public_blob.len(),
                    sign_callback,
                    &mut abstract_,
                )
            }
        };
        match rc {
            0 => Ok(()),
            rc => Err(ssh2::Error::from_session_error(session, rc)),
        }
    }
}

// libssh2.h; libssh2-sys links libssh2 but does not declare this one.
extern "C" {
    fn libssh2_userauth_publickey(
        session: *mut c_void,
        username: *const c_char,
        pubkeydata: *const c_uchar,
        pubkeydata_len: usize,
        sign_callback: SignCallback,
        abstract_: *mut *mut c_void,
    ) -> c_int;
}

/// `LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC`.
type SignCallback = unsafe extern "C" fn(
    session: *mut c_void,
    sig: *mut *mut c_uchar,
    sig_len: *mut usize,
    data: *const c_uchar,
    data_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int;

/// Signs the data libssh2 gives (the session id and the request) with the
/// identity that `*abstract_` points at. The signature goes into `*sig`,
/// allocated with malloc: libssh2 frees it with the session's free, which
/// is free() for sessions made by ssh2 (`libssh2_session_init_ex` with no
/// allocator). libssh2 frames it as an `ssh-ed25519` signature blob itself.
unsafe extern "C" fn sign_callback(
    _session: *mut c_void,
    sig: *mut *mut c_uchar,
    sig_len: *mut usize,
    data: *const c_uchar,
    data_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: `abstract_` is what `authenticate` passed, pointing at a
    // pointer to the identity, both alive for the whole call; libssh2
    // passes `data_len` readable bytes at `data`.
    let (identity, data) = unsafe {
        (&*(*abstract_ as *const Ed25519Identity), std::slice::from_raw_parts(data, data_len))
    };
    let Some(signature) = identity.sign(data) else {
        return -1;
    };
    // SAFETY: malloc of a non-zero size; on success, SIGNATURE_LEN bytes
    // are written into it, and `sig` and `sig_len` point at libssh2's
    // variables for the result.
    unsafe {
        let out = libc::malloc(SIGNATURE_LEN).cast::<c_uchar>();
        if out.is_null() {
            return -1;
        }
        std::ptr::copy_nonoverlapping(signature.as_ptr(), out, SIGNATURE_LEN);
        *sig = out;
        *sig_len = SIGNATURE_LEN;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use ssh_key::{Algorithm, HashAlg, LineEnding, Signature, SshSig};
    use crate::transport::ssh::tests::keygen_into;
    use std::process::{Command, Stdio};

    /// What `sign_callback` gives libssh2 for `data`, freed as libssh2
    /// frees it.
    fn sign_through_callback(identity: &Ed25519Identity, data: &[u8]) -> Vec<u8> {
        let mut abstract_ = identity as *const Ed25519Identity as *mut c_void;
        let mut sig: *mut c_uchar = std::ptr::null_mut();
        let mut sig_len = 0usize;
        // SAFETY: as libssh2 calls it: valid out-pointers, `data_len`
        // readable bytes, `abstract_` pointing at a pointer to the identity;
        // the callback does not use the session.
        let rc = unsafe {
            sign_callback(std::ptr::null_mut(), &mut sig, &mut sig_len, data.as_ptr(), data.len(), &mut abstract_)
        };
        assert_eq!(rc, 0);
        assert!(!sig.is_null());
        // SAFETY: the callback wrote `sig_len` bytes at `sig`, allocated by
        // malloc, which free() releases as libssh2's default free does.
        unsafe {
            let bytes = std::slice::from_raw_parts(sig, sig_len).to_vec();
            libc::free(sig.cast());
            bytes
        }
    }

    /// The public blob is what ssh-keygen wrote to the `.pub` file, and a
    /// signature made through the callback is one that OpenSSH itself
    /// verifies: wrapped as an SSHSIG (whose signed data it is) and checked
    /// by `ssh-keygen -Y verify`.
    #[test]
    fn an_ed25519_key_file_signs_as_openssh_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = keygen_into(dir.path(), "id_ed25519", &["-t", "ed25519", "-N", ""]);
        let identity = Ed25519Identity::parse(&std::fs::read(&path).unwrap()).expect("an ed25519 identity");
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        let (key_type, base64) = public.trim().split_once(' ').unwrap();
        assert_eq!(key_type, "ssh-ed25519");
        assert_eq!(STANDARD.encode(&identity.public_blob), base64);

        let namespace = "hardbench-test";
        let message = b"the session id and the userauth request";
        let data = SshSig::signed_data(namespace, HashAlg::Sha512, message).unwrap();
        let signature = sign_through_callback(&identity, &data);
        assert_eq!(signature.len(), SIGNATURE_LEN);
        let public_key = ssh_key::PublicKey::from_bytes(&identity.public_blob).unwrap();
        let sshsig = SshSig::new(
            public_key.key_data().clone(),
            namespace,
            HashAlg::Sha512,
            Signature::new(Algorithm::Ed25519, signature).unwrap(),
        )
        .unwrap();
        let sig_file = dir.path().join("message.sig");
        std::fs::write(&sig_file, sshsig.to_pem(LineEnding::LF).unwrap()).unwrap();
        let allowed = dir.path().join("allowed_signers");
        std::fs::write(&allowed, format!("tester {}", public.trim())).unwrap();

        let verify = |message: &[u8]| {
            let mut child = Command::new("ssh-keygen")
                .args(["-Y", "verify", "-I", "tester", "-n", namespace, "-f"])
                .arg(&allowed)
                .arg("-s")
                .arg(&sig_file)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), message).unwrap();
            child.wait().unwrap().success()
        };
        assert!(verify(message), "ssh-keygen -Y verify rejected the signature");
        // And the check is a real one: another message does not verify.
        assert!(!verify(b"another message"));
    }

    /// Only an unencrypted OpenSSH ed25519 key is parsed here; every other
    /// file goes to libssh2 as it is, read for each host.
    #[test]
    fn other_key_files_are_left_to_libssh2() {
        let dir = tempfile::tempdir().unwrap();
        for (name, args) in [
            ("ed25519-enc", &["-t", "ed25519", "-N", "secret"][..]),
            ("ecdsa", &["-t", "ecdsa", "-N", ""][..]),
            ("rsa", &["-t", "rsa", "-b", "2048", "-N", ""][..]),
            ("ecdsa-pem", &["-t", "ecdsa", "-N", "", "-m", "PEM"][..]),
        ] {
            let path = keygen_into(dir.path(), name, args);
            let bytes = std::fs::read(&path).unwrap();
            assert!(Ed25519Identity::parse(&bytes).is_none(), "{name}");
            match Identities::default().load(&path).unwrap() {
                Identity::Other(read) => assert_eq!(read, bytes, "{name}"),
                Identity::Ed25519(_) => panic!("{name} was parsed as an ed25519 identity"),
            }
        }
        assert!(Ed25519Identity::parse(b"not a key").is_none());
        assert!(Identities::default().load(&dir.path().join("missing")).is_err());
    }

    /// An ed25519 key file is read once per run: after it is gone, the
    /// parsed key still answers for its path, and another run reads afresh.
    #[test]
    fn an_ed25519_key_file_is_read_once_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = keygen_into(dir.path(), "id_ed25519", &["-t", "ed25519", "-N", ""]);
        let run = Identities::default();
        let Identity::Ed25519(first) = run.load(&path).unwrap() else { panic!("not parsed") };
        std::fs::remove_file(&path).unwrap();
        let Identity::Ed25519(again) = run.load(&path).unwrap() else { panic!("not parsed") };
        assert!(Arc::ptr_eq(&first, &again));
        assert!(Identities::default().load(&path).is_err(), "another run reads the file itself");
    }
}

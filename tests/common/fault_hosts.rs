//! Makers of the hosts that fail before any script runs, shared by the
//! fault matrix (tests/faults.rs) and the access check (tests/lab_check_access.rs):
//! keys that no host accepts or knows, and a listener that never speaks.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

/// A new ed25519 key pair at `path` and `path.pub`, without a passphrase.
pub fn ssh_keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
}

/// `SHA256:…` of a public key file, as OpenSSH shows it.
pub fn fingerprint(public_key: &Path) -> String {
    let output = Command::new("ssh-keygen").arg("-lf").arg(public_key).output().expect("ssh-keygen runs");
    String::from_utf8(output.stdout).unwrap().split_whitespace().nth(1).expect("a fingerprint").to_string()
}

/// A listener on `address` that accepts TCP and never speaks. A thread
/// holds each connection open until the test process ends.
pub fn silent_listener(address: &str) {
    let silent = TcpListener::bind(address).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
}

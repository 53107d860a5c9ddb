//! Signing evidence, checked against real OpenSSH: keys made by
//! `ssh-keygen` (ed25519, RSA, ECDSA P-256); our SSHSIG signatures verified
//! by `ssh-keygen -Y verify`, and `ssh-keygen -Y sign`'s by ours; signing
//! through a real `ssh-agent` (by `agent:` and by a public key file); DSSE
//! envelopes verified by an independent verifier (Python's `cryptography`).
//! No lab: every file is in a temporary directory and the agent listens on
//! a socket there.

mod common;

use common::agent::Agent;
use hardbench::signing::{
    dsse_envelope, sign_sshsig, verify_dsse, verify_sshsig, AllowedSigners, DsseError, NotAllowed, Signer, SignerError,
    Statement, Subject, TestResult, TestVerdict, VerifyError, IN_TOTO_PAYLOAD_TYPE, NAMESPACE,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const MESSAGE: &[u8] = b"0c1f...  facts/cp-1.json\n9a7e...  report.json\n";

/// The key types hardbench signs with: `ssh-keygen -t` and its options.
const KEY_TYPES: [(&str, &[&str]); 3] = [("ed25519", &[]), ("rsa", &["-b", "2048"]), ("ecdsa", &["-b", "256"])];

fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

fn ok(output: &Output) -> bool {
    output.status.success()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A new key pair `dir/NAME` (and `NAME.pub`) of `kind`, encrypted when
/// `passphrase` is not empty.
fn keygen(dir: &Path, name: &str, kind: &str, passphrase: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let output = run(Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", passphrase, "-C", name, "-f"])
        .arg(&path)
        .args(extra));
    assert!(ok(&output), "ssh-keygen: {}", text(&output));
    path
}

fn public(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", key.display()))
}

/// An allowed_signers file trusting `key` for `principal` in hardbench's
/// namespace only.
fn allowed_signers(dir: &Path, principal: &str, key: &Path) -> PathBuf {
    let path = dir.join(format!("allowed_signers.{principal}"));
    let public_key = std::fs::read_to_string(public(key)).unwrap();
    std::fs::write(&path, format!("{principal} namespaces=\"{NAMESPACE}\" {public_key}")).unwrap();
    path
}

/// `ssh-keygen -Y verify` of `signature` over `message`, for `principal`.
fn openssh_verify(allowed: &Path, principal: &str, namespace: &str, signature: &str, message: &[u8]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let sig = dir.path().join("message.sig");
    std::fs::write(&sig, signature).unwrap();
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", namespace, "-s"])
        .arg(&sig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    child.wait_with_output().unwrap()
}

/// `ssh-keygen -Y sign` of `message` with `key` in `namespace`.
fn openssh_sign(key: &Path, namespace: &str, message: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("message");
    std::fs::write(&file, message).unwrap();
    let output = run(Command::new("ssh-keygen").args(["-Y", "sign", "-f"]).arg(key).args(["-n", namespace]).arg(&file));
    assert!(ok(&output), "ssh-keygen -Y sign: {}", text(&output));
    std::fs::read_to_string(dir.path().join("message.sig")).unwrap()
}

fn file_signer(key: &Path) -> Signer {
    Signer::open_with_agent(key.to_str().unwrap(), None).unwrap_or_else(|e| panic!("{}: {e}", key.display()))
}

fn read_allowed(path: &Path) -> AllowedSigners {
    AllowedSigners::read(path).unwrap()
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[test]
fn our_signatures_verify_with_openssh_for_every_key_type() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, extra) in KEY_TYPES {
        let key = keygen(dir.path(), kind, kind, "", extra);
        let allowed = allowed_signers(dir.path(), &format!("{kind}@example.com"), &key);
        let principal = format!("{kind}@example.com");
        let signature = sign_sshsig(&file_signer(&key), NAMESPACE, MESSAGE).unwrap();

        let verified = openssh_verify(&allowed, &principal, NAMESPACE, &signature, MESSAGE);
        assert!(ok(&verified), "{kind}: ssh-keygen -Y verify: {}", text(&verified));
        assert!(
            text(&verified).contains(&format!("Good \"{NAMESPACE}\" signature for {principal}")),
            "{}",
            text(&verified)
        );
        let ours = verify_sshsig(&read_allowed(&allowed), NAMESPACE, MESSAGE, &signature, now()).unwrap();
        assert_eq!(ours.principals, [principal.as_str()], "{kind}");

        let mut changed = MESSAGE.to_vec();
        changed[0] ^= 1;
        let refused = openssh_verify(&allowed, &principal, NAMESPACE, &signature, &changed);
        assert!(!ok(&refused), "{kind}: OpenSSH took a changed message: {}", text(&refused));
        let refused = openssh_verify(&allowed, &principal, "git", &signature, MESSAGE);
        assert!(!ok(&refused), "{kind}: OpenSSH took another namespace: {}", text(&refused));
    }
}

#[test]
fn openssh_signatures_verify_with_ours_and_only_when_they_should() {
    let dir = tempfile::tempdir().unwrap();
    let stranger = keygen(dir.path(), "stranger", "ed25519", "", &[]);
    let strangers = read_allowed(&allowed_signers(dir.path(), "stranger@example.com", &stranger));
    for (kind, extra) in KEY_TYPES {
        let key = keygen(dir.path(), kind, kind, "", extra);
        let allowed = read_allowed(&allowed_signers(dir.path(), &format!("{kind}@example.com"), &key));
        let signature = openssh_sign(&key, NAMESPACE, MESSAGE);

        let verified = verify_sshsig(&allowed, NAMESPACE, MESSAGE, &signature, now());
        assert_eq!(verified.unwrap().principals, [format!("{kind}@example.com")], "{kind}");

        let changed = verify_sshsig(&allowed, NAMESPACE, b"another manifest\n", &signature, now());
        assert!(matches!(changed, Err(VerifyError::Mismatch { .. })), "{kind}: {changed:?}");
        let unlisted = verify_sshsig(&strangers, NAMESPACE, MESSAGE, &signature, now());
        assert!(matches!(unlisted, Err(VerifyError::NotAllowed(NotAllowed::NotListed { .. }))), "{kind}: {unlisted:?}");
        let for_git = openssh_sign(&key, "git", MESSAGE);
        let namespace = verify_sshsig(&allowed, NAMESPACE, MESSAGE, &for_git, now());
        assert!(matches!(namespace, Err(VerifyError::Namespace { .. })), "{kind}: {namespace:?}");
    }
}

#[test]
fn a_key_file_hardbench_cannot_use_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let encrypted = keygen(dir.path(), "encrypted", "ed25519", "correct horse", &[]);
    let error = Signer::open_with_agent(encrypted.to_str().unwrap(), None).err().unwrap();
    assert!(matches!(error, SignerError::Encrypted { .. }), "{error}");
    let message = error.to_string();
    let path = encrypted.display().to_string();
    for part in [
        format!("{path} is encrypted"),
        format!("`ssh-add {path}`"),
        "`--sign-key agent:`".into(),
        format!("`--sign-key {path}.pub`"),
    ] {
        assert!(message.contains(&part), "{part:?} in {message}");
    }

    let pem = keygen(dir.path(), "pem", "rsa", "", &["-b", "2048", "-m", "PEM"]);
    let error = Signer::open_with_agent(pem.to_str().unwrap(), None).err().unwrap();
    assert!(matches!(error, SignerError::NotOpenSsh { .. }), "{error}");

    let p384 = keygen(dir.path(), "p384", "ecdsa", "", &["-b", "384"]);
    let error = Signer::open_with_agent(p384.to_str().unwrap(), None).err().unwrap();
    assert!(error.to_string().contains("ecdsa-sha2-nistp384"), "{error}");

    let missing = dir.path().join("missing");
    let error = Signer::open_with_agent(missing.to_str().unwrap(), None).err().unwrap();
    assert!(matches!(error, SignerError::Read { .. }) && error.to_string().contains("missing"), "{error}");

    let public_only = public(&keygen(dir.path(), "public", "ed25519", "", &[]));
    let error = Signer::open_with_agent(public_only.to_str().unwrap(), None).err().unwrap();
    assert!(matches!(error, SignerError::NoAgent { .. }), "{error}");
    let error = Signer::open_with_agent("agent:", None).err().unwrap();
    assert!(error.to_string().contains("SSH_AUTH_SOCK is not set"), "{error}");
}


#[test]
fn the_agent_signs_for_agent_and_for_a_public_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let agent = Agent::start(dir.path());
    let empty = Signer::open_with_agent("agent:", Some(&agent.socket)).err().unwrap();
    assert!(matches!(empty, SignerError::AgentEmpty { .. }), "{empty}");
    // The operator's usual case: an encrypted key, unlocked once into the agent.
    let first = keygen(dir.path(), "first", "ed25519", "correct horse", &[]);
    agent.add(&first, "correct horse");
    let mut keys = vec![("first", first)];
    for (kind, extra) in &KEY_TYPES[1..] {
        let key = keygen(dir.path(), kind, kind, "", extra);
        agent.add(&key, "");
        keys.push((kind, key));
    }
    let absent = keygen(dir.path(), "absent", "ed25519", "", &[]);

    let by_agent = Signer::open_with_agent("agent:", Some(&agent.socket)).unwrap();
    let first_public = ssh_key::PublicKey::read_openssh_file(&public(&keys[0].1)).unwrap();
    assert_eq!(by_agent.public_key().key_data(), first_public.key_data(), "agent: is the first key added");
    let mut signers = vec![("agent:", &keys[0].1, by_agent)];
    for (name, key) in &keys {
        let pub_path = public(key);
        let signer = Signer::open_with_agent(pub_path.to_str().unwrap(), Some(&agent.socket))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        signers.push((name, key, signer));
    }
    for (name, key, signer) in &signers {
        let principal = format!("{name}@example.com");
        let allowed = allowed_signers(dir.path(), &principal, key);
        let signature = sign_sshsig(signer, NAMESPACE, MESSAGE).unwrap_or_else(|e| panic!("{name}: {e}"));
        let verified = openssh_verify(&allowed, &principal, NAMESPACE, &signature, MESSAGE);
        assert!(ok(&verified), "{name}: ssh-keygen -Y verify: {}", text(&verified));
        let envelope = dsse_envelope(signer, IN_TOTO_PAYLOAD_TYPE, MESSAGE).unwrap();
        assert_eq!(verify_dsse(&envelope, &read_allowed(&allowed), now()).unwrap().payload, MESSAGE, "{name}");
    }

    let error = Signer::open_with_agent(public(&absent).to_str().unwrap(), Some(&agent.socket)).err().unwrap();
    assert!(matches!(error, SignerError::NotInAgent { .. }), "{error}");
    assert!(error.to_string().contains("ssh-add"), "{error}");
}

/// `python3` with `cryptography`: Debian's, which tests/lab/install-deps.sh
/// installs (the one first on PATH may lack the module).
const PYTHON: &str = "/usr/bin/python3";

fn python_verify(envelope: &str, public_key: &Path) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("envelope.json");
    std::fs::write(&path, envelope).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/signing/verify_dsse.py");
    run(Command::new(PYTHON).arg(script).arg(&path).arg(public_key))
}

#[test]
fn an_independent_verifier_checks_our_dsse_envelopes() {
    let dir = tempfile::tempdir().unwrap();
    let predicate = TestResult::new(
        [("cp-1/1.1.1".to_string(), TestVerdict::Passed), ("w-1/4.1.1".to_string(), TestVerdict::Failed)],
        vec![Subject::sha256("benchmark/benchmark.toml", "ab".repeat(32))],
        None,
    );
    let statement = &Statement::test_result(vec![Subject::sha256("report.json", "cd".repeat(32))], predicate).to_json();
    for (kind, extra) in KEY_TYPES {
        let key = keygen(dir.path(), kind, kind, "", extra);
        let envelope = dsse_envelope(&file_signer(&key), IN_TOTO_PAYLOAD_TYPE, statement).unwrap();
        let verified = python_verify(&envelope, &public(&key));
        assert!(ok(&verified), "{kind}: {}", text(&verified));
        assert_eq!(String::from_utf8_lossy(&verified.stdout).trim(), IN_TOTO_PAYLOAD_TYPE);

        let mut tampered: serde_json::Value = serde_json::from_str(&envelope).unwrap();
        let passed = String::from_utf8_lossy(statement).replace("FAILED", "PASSED");
        tampered["payload"] = base64_encode(passed.as_bytes()).into();
        let refused = python_verify(&tampered.to_string(), &public(&key));
        assert!(!ok(&refused) && text(&refused).contains("no signature verifies"), "{kind}: {}", text(&refused));
        let allowed = read_allowed(&allowed_signers(dir.path(), kind, &key));
        let ours = verify_dsse(&tampered.to_string(), &allowed, now());
        assert!(matches!(ours, Err(DsseError::Unverified { .. })), "{kind}: {ours:?}");
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Our reading of allowed_signers options agrees with OpenSSH's: for each
/// line, `ssh-keygen -Y verify` and `verify_sshsig` accept the same
/// signature, or both refuse it.
#[test]
fn allowed_signers_lines_mean_to_us_what_they_mean_to_openssh() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "key", "ed25519", "", &[]);
    let public_key = std::fs::read_to_string(public(&key)).unwrap();
    let signature = sign_sshsig(&file_signer(&key), NAMESPACE, MESSAGE).unwrap();
    let table = [
        ("p namespaces=\"hardbench-evidence\"", true),
        ("p namespaces=\"git,file\"", false),
        ("p namespaces=\"hardbench-*,!git\"", true),
        ("p namespaces=\"*,!hardbench-*\"", false),
        ("p valid-after=\"20000101\",valid-before=\"20990101\"", true),
        ("p valid-after=\"20990101\"", false),
        ("p valid-before=\"20000101Z\"", false),
        ("p valid-after=\"209901011200\"", false),
        ("p valid-after=20000101", false),
        ("p cert-authority", false),
        ("\"p\"", true),
        ("q,p", true),
        ("p NAMESPACES=\"hardbench-evidence\"", true),
    ];
    for (prefix, expected) in table {
        let path = dir.path().join("allowed_signers");
        std::fs::write(&path, format!("{prefix} {public_key}")).unwrap();
        let openssh = openssh_verify(&path, "p", NAMESPACE, &signature, MESSAGE);
        assert_eq!(ok(&openssh), expected, "OpenSSH on {prefix:?}: {}", text(&openssh));
        let ours = AllowedSigners::read(&path).map_err(|e| e.to_string()).and_then(|allowed| {
            verify_sshsig(&allowed, NAMESPACE, MESSAGE, &signature, now()).map_err(|e| e.to_string())
        });
        assert_eq!(ours.is_ok(), expected, "hardbench on {prefix:?}: {ours:?}");
    }
}

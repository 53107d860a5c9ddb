//! Secrets and untrusted output, on one lab host (127.0.44.1, profile
//! `secrets`): a sentinel sits in every secret place (kubeconfig
//! client-key-data, token and password; an EncryptionConfiguration secret;
//! a private key file; a token file) and must appear nowhere: not in the raw
//! stream (the script run by hand over ssh and asked to read every one of
//! those files), the JSON, the JUnit, the console or the saved facts. The
//! host is also hostile: a file name with a newline and a quote that spells
//! a record, and a process argv with ANSI escapes, which must neither forge
//! a record nor reach the terminal raw.

mod common;

use common::{assert_well_formed_xml, repo, text, Audit, Lab};
use std::process::{Command, Stdio};

const NET: u8 = 44;
const ADDR: &str = "127.0.44.1";
/// Each sentinel, in clear and as the base64 prefix of `HBSENTINEL`, and
/// the marker of any PEM private key.
const LEAKS: [&str; 3] = ["HBSENTINEL", "SEJTRU5USU5FTC", "PRIVATE KEY"];
const FORGED_NAME: &str = "evil\nLIST L2V0Yw== error Zm9yZ2Vk\n\"quote";

fn leaks(what: &str, bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    LEAKS.iter().filter(|leak| text.contains(*leak)).map(|leak| format!("{what} contains {leak:?}")).collect()
}

#[test]
fn no_secret_leaves_the_host_and_hostile_output_stays_inert() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &["secrets"]);
    let dir = state.path();

    // A file whose name spells a record after a newline, planted inside the
    // host's own mount namespace (its unshare process is in it).
    let pid = std::fs::read_to_string(lab.dir.join("pids")).unwrap().trim().to_string();
    let status = Command::new("nsenter")
        .args(["-t", &pid, "-m", "--", "touch"])
        .arg(format!("/etc/kubernetes/pki/{FORGED_NAME}"))
        .status()
        .expect("nsenter runs");
    assert!(status.success());

    // The raw stream, asked for every secret file by name.
    let key = lab.dir.join("id_ed25519");
    let known_hosts = lab.dir.join("known_hosts");
    let raw = Command::new("ssh")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
        .arg(format!("hbaudit@{ADDR}"))
        .arg(
            "sudo -n env LC_ALL=C sh -s -- r:/etc/kubernetes/kubelet.conf r:/etc/kubernetes/encryption.yaml \
             r:/etc/kubernetes/tokens.csv r:/etc/kubernetes/pki/sentinel.key r:/etc/kubernetes/pki \
             r:/var/lib/kubelet/pki/kubelet-client-current.pem t:/etc/kubernetes t:/var/lib/kubelet",
        )
        .stdin(std::fs::File::open(repo().join("src/gather.sh")).unwrap())
        .stderr(Stdio::piped())
        .output()
        .expect("ssh runs");
    assert!(raw.status.success(), "{}", text(&raw));
    std::fs::write(dir.join("raw-stream"), &raw.stdout).unwrap();
    let facts = hardbench::facts::parse::parse(&raw.stdout).unwrap_or_else(|e| panic!("the raw stream parses: {e}"));
    // The forged name is one path among the listed ones, never a record.
    let listed = serde_json::to_string(&facts).unwrap();
    assert!(listed.contains(&serde_json::to_string(&format!("/etc/kubernetes/pki/{FORGED_NAME}")).unwrap()[1..]), "{listed}");
    assert!(!listed.contains("forged"), "a record was forged: {listed}");

    // The audit, with every output.
    let inventory = dir.join("inventory.toml");
    std::fs::write(
        &inventory,
        format!(
            "[defaults]\nuser = \"hbaudit\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\n\
             [[hosts]]\nname = \"secrets\"\naddress = \"{ADDR}\"\n",
            key.display(),
            known_hosts.display()
        ),
    )
    .unwrap();
    let audit = Audit::run(&inventory, dir, &["--benchmark", "cis-1.12"]);
    let Audit { output, json, junit, facts: saved } = &audit;
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(output));
    assert_well_formed_xml(junit);
    let report = audit.report();
    assert_eq!(report["hosts"][0]["status"], "ok", "{report:#}");
    let saved_facts = std::fs::read(saved.join("secrets.json")).unwrap();

    let mut found = leaks("the raw stream", &raw.stdout);
    // Records are base64: look at the decoded stream too.
    found.extend(leaks("the decoded raw stream", listed.as_bytes()));
    found.extend(leaks("the JSON report", &std::fs::read(json).unwrap()));
    found.extend(leaks("the JUnit report", &std::fs::read(junit).unwrap()));
    found.extend(leaks("the console", &output.stdout));
    found.extend(leaks("stderr", &output.stderr));
    found.extend(leaks("the saved facts", &saved_facts));
    assert!(found.is_empty(), "secrets left the host:\n{}", found.join("\n"));

    // The hostile argv was gathered (the saved facts hold it, escaped) but
    // no control character reaches the terminal.
    let saved_text = String::from_utf8(saved_facts).unwrap();
    assert!(saved_text.contains("\\u001b[31mEVIL\\\"quote"), "the hostile argv was not gathered");
    for (what, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let raw_control = bytes.iter().any(|b| b.is_ascii_control() && *b != b'\n');
        assert!(!raw_control, "a control character reached the terminal on {what}: {}", text(output));
    }
}

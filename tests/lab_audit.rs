//! The whole path for real: the lab's hosts (one mount+PID namespace each,
//! real sshd, real etcd, fake components with kubeadm-like flags) audited by
//! the built binary over SSH, then the saved facts evaluated again offline;
//! a second run into the same directory, with one host unreachable, leaves
//! no stale facts of it, and `evaluate` reports it as the error it was.

mod common;

use common::{assert_well_formed_xml, hardbench, read_json, text, Audit, Lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

/// Per host, the verdict every check of the first milestone must reach.
/// See tests/lab/README.md for why each host is (non-)compliant.
const EXPECTED: &[(&str, &[(&str, &str)])] = &[
    (
        "cp-good",
        &[
            ("1.1.1", "pass"), ("1.1.2", "pass"), ("1.1.11", "pass"), ("1.1.12", "pass"),
            ("1.2.1", "manual"), ("1.2.6", "pass"), ("1.2.7", "pass"), ("1.2.15", "pass"), ("1.2.17", "pass"),
            ("2.1", "pass"), ("2.2", "pass"), ("2.3", "pass"),
            ("4.1.1", "pass"), ("4.1.5", "pass"), ("4.1.9", "pass"),
            ("4.2.1", "pass"), ("4.2.2", "pass"), ("4.2.4", "manual"),
        ],
    ),
    (
        "cp-bad",
        &[
            ("1.1.1", "fail"), ("1.1.2", "fail"), ("1.1.11", "fail"), ("1.1.12", "fail"),
            ("1.2.1", "manual"), ("1.2.6", "fail"), ("1.2.7", "fail"), ("1.2.15", "fail"), ("1.2.17", "fail"),
            ("2.1", "pass"), ("2.2", "fail"), ("2.3", "fail"),
            ("4.1.1", "fail"), ("4.1.5", "fail"), ("4.1.9", "fail"),
            ("4.2.1", "pass"), ("4.2.2", "pass"), ("4.2.4", "manual"),
        ],
    ),
    (
        "worker-good",
        &[("4.1.1", "pass"), ("4.1.5", "pass"), ("4.1.9", "pass"), ("4.2.1", "pass"), ("4.2.2", "pass"), ("4.2.4", "manual")],
    ),
    (
        "worker-bad",
        &[("4.1.1", "fail"), ("4.1.5", "fail"), ("4.1.9", "fail"), ("4.2.1", "fail"), ("4.2.2", "fail"), ("4.2.4", "manual")],
    ),
];

fn statuses(report: &Value) -> BTreeMap<(String, String), String> {
    let mut statuses = BTreeMap::new();
    for host in report["hosts"].as_array().expect("hosts is an array") {
        for result in host["results"].as_array().expect("results is an array") {
            statuses.insert(
                (host["name"].as_str().unwrap().to_string(), result["id"].as_str().unwrap().to_string()),
                result["status"].as_str().unwrap().to_string(),
            );
        }
    }
    statuses
}


#[test]
fn audits_the_lab_over_ssh_and_replays_the_saved_facts() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up(&state.path().join("lab"), &[]);
    let out = state.path().join("out");
    let audit = Audit::run(&lab.inventory(), &out, &[]);
    let (output, junit, facts) = (&audit.output, &audit.junit, &audit.facts);
    // The lab holds non-compliant hosts, and every host is reachable.
    assert_eq!(output.status.code(), Some(1), "{}", text(output));

    let report = audit.report();
    let got = statuses(&report);
    let mut wrong = Vec::new();
    for (host, checks) in EXPECTED {
        for (id, expected) in *checks {
            let actual = got.get(&(host.to_string(), id.to_string())).map_or("missing", |s| s.as_str());
            if actual != *expected {
                wrong.push(format!("{host} {id}: expected {expected}, got {actual}"));
            }
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}\n\n{}", wrong.join("\n"), text(output));

    // Evidence an auditor needs: when, which host, which benchmark, as whom, which key.
    assert_eq!(report["schema"], "hardbench.report/v1");
    assert_eq!(report["hardbench"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
    assert_eq!(report["benchmark"]["sha256"].as_str().unwrap().len(), 64);
    assert!(report["benchmark"]["selected_by"].as_str().unwrap().contains("v1.33.4"), "{}", report["benchmark"]);
    for key in ["started_at", "finished_at"] {
        chrono::DateTime::parse_from_rfc3339(report[key].as_str().unwrap()).expect("RFC 3339 with offset");
    }
    assert_eq!(report["summary"]["hosts_ok"], 4);
    assert_eq!(report["summary"]["hosts_error"], 0);
    for host in report["hosts"].as_array().unwrap() {
        let name = host["name"].as_str().unwrap();
        assert_eq!(host["status"], "ok", "{name}");
        assert_eq!(host["user"], "hbaudit", "{name}");
        assert_eq!(host["sudo"], true, "{name}");
        assert_eq!(host["effective_user"], "root", "{name}: the script ran under sudo");
        assert_eq!(host["kubernetes_version"], "v1.33.4", "{name}");
        let fingerprint = host["host_key"]["fingerprint"].as_str().unwrap();
        assert!(fingerprint.starts_with("SHA256:") && fingerprint.len() > 40, "{name}: {fingerprint}");
        // The control-plane hosts list their roles; the workers' are detected.
        let detected = name.starts_with("worker");
        assert_eq!(host["roles_detected"], detected, "{name}");
    }

    assert_well_formed_xml(junit);
    let xml = std::fs::read_to_string(junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 4, "one testsuite per host");
    assert!(xml.contains(r#"classname="cp-bad.1.2""#), "classname is <host>.<section>");

    let console = String::from_utf8_lossy(&output.stdout);
    for (host, _) in EXPECTED {
        assert!(console.contains(host), "the console report names {host}");
    }

    // No secret material leaves a host: the lab plants sentinels in the
    // EncryptionConfiguration's keys and in kubeconfig credentials.
    assert!(!audit.everything().contains("HBSENTINEL"), "a planted secret left the host");

    // The saved facts give the same verdicts offline, without SSH. They
    // are evidence: readable by their owner only.
    for entry in std::fs::read_dir(facts).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{}", path.display());
    }
    let replayed = out.join("replayed.json");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--json", replayed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(statuses(&read_json(&replayed)), got);

    // The next run finds worker-bad unreachable and saves into the same
    // directory: worker-bad's facts from the first run must not survive.
    let inventory = std::fs::read_to_string(lab.inventory()).unwrap();
    let unreachable = inventory.replace("name = \"worker-bad\"\n", "name = \"worker-bad\"\nport = 9\n");
    assert_ne!(unreachable, inventory);
    let second = state.path().join("second.toml");
    std::fs::write(&second, unreachable).unwrap();
    let audit = Audit::run(&second, &out, &[]);
    assert_eq!(audit.output.status.code(), Some(3), "{}", text(&audit.output));
    drop(lab);
    let mut files: Vec<String> =
        std::fs::read_dir(facts).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["_index.json", "cp-bad.json", "cp-good.json", "worker-good.json"]);
    let index = read_json(&facts.join("_index.json"));
    assert_eq!(index["hosts"][3]["host"], "worker-bad");
    assert_eq!(index["hosts"][3]["status"], "error");
    assert_eq!(index["hosts"][3]["error"]["kind"], "connect");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--json", replayed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let report = read_json(&replayed);
    let hosts: Vec<(&str, &str)> =
        report["hosts"].as_array().unwrap().iter().map(|h| (h["name"].as_str().unwrap(), h["status"].as_str().unwrap())).collect();
    assert_eq!(hosts, [("cp-good", "ok"), ("cp-bad", "ok"), ("worker-good", "ok"), ("worker-bad", "error")]);
    assert_eq!(report["hosts"][3]["error"]["kind"], "connect");
    assert_eq!(report["hosts"][3]["error"], audit.report()["hosts"][3]["error"], "the error it was");
}

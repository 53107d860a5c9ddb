//! The whole path for real: the lab's hosts (one mount+PID namespace each,
//! real sshd, real etcd, fake components with kubeadm-like flags) audited by
//! the built binary over SSH, then the saved facts evaluated again offline.

mod common;

use common::{assert_well_formed_xml, hardbench, read_json, text, Audit, Lab};
use serde_json::Value;
use std::collections::BTreeMap;

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
        // Where the version was read: the API server's image tag on the
        // control planes, the kubelet's root-only binary on the workers.
        let source = host["kubernetes_version_source"].as_str().unwrap();
        let expected_source = if detected {
            "kubelet: /usr/bin/kubelet --version"
        } else {
            "kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in /etc/kubernetes/manifests/kube-apiserver.yaml"
        };
        assert_eq!(source, expected_source, "{name}");
        // cp-good and worker-good carry a nobody-owned "kube-apiserver"
        // started by a local user (tests/lab/README.md): a finding, never
        // the component, never a role.
        let impostors = host["impostor_processes"].as_array().unwrap();
        if name.ends_with("-good") {
            assert_eq!(impostors.len(), 1, "{name}: {impostors:?}");
            assert_eq!(impostors[0]["component"], "kube-apiserver", "{name}");
            assert_eq!(impostors[0]["uid"], 65534, "{name}");
            assert_eq!(impostors[0]["argv0"], "kube-apiserver", "{name}");
        } else {
            assert_eq!(impostors.len(), 0, "{name}: {impostors:?}");
        }
    }
    assert_eq!(report["hosts"][2]["name"], "worker-good");
    assert_eq!(report["hosts"][2]["roles"], serde_json::json!(["worker"]), "an impostor gave a role");
    // The program the local user planted was never run (it leaves a mark),
    // and the file its flag names (root's sudoers rule) was never read.
    assert!(!lab.dir.join("planted-ran").exists(), "the planted program was run");
    for host in ["cp-good", "worker-good"] {
        let saved = read_json(&facts.join(format!("{host}.json")));
        for kind in ["documents", "files"] {
            let gathered = saved["facts"][kind].as_object().unwrap();
            assert!(!gathered.contains_key("/etc/sudoers.d/hbaudit"), "{host}: a file an impostor names was gathered");
        }
    }

    assert_well_formed_xml(junit);
    let xml = std::fs::read_to_string(junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 4, "one testsuite per host");
    assert!(xml.contains(r#"classname="cp-bad.1.2""#), "classname is <host>.<section>");

    let console = String::from_utf8_lossy(&output.stdout);
    for (host, _) in EXPECTED {
        assert!(console.contains(host), "the console report names {host}");
    }
    assert_eq!(console.matches("  IMPOSTOR kube-apiserver process pid ").count(), 2, "{console}");
    assert_eq!(xml.matches(r#"type="impostor""#).count(), 2, "{xml}");

    // No secret material leaves a host: the lab plants sentinels in the
    // EncryptionConfiguration's keys and in kubeconfig credentials.
    assert!(!audit.everything().contains("HBSENTINEL"), "a planted secret left the host");

    // The saved facts give the same verdicts offline, without SSH.
    drop(lab);
    let replayed = out.join("replayed.json");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--json", replayed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(statuses(&read_json(&replayed)), got);
}

//! The whole path for real: the lab's hosts (one mount+PID namespace each,
//! real sshd, real etcd, fake components with kubeadm-like flags) audited by
//! the built binary over SSH through tests/lab/demo.sh, the README's first
//! command; then the saved facts evaluated again offline. The verdicts must
//! be exactly those of the expected-verdict table in tests/lab/README.md,
//! which this test reads, so the document and the lab cannot drift apart.
//! A second run into the same directory, with one host unreachable,
//! leaves no stale facts of it, and `evaluate` reports it as the error it was.

mod common;

use common::{assert_well_formed_xml, hardbench, read_json, repo, text, Audit, Lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// The expected-verdict table of tests/lab/README.md.
struct Table {
    /// The host columns, in order.
    hosts: Vec<String>,
    /// (host, check id) → the expected status, `None` for "—" (the check
    /// is not evaluated on that host).
    cells: BTreeMap<(String, String), Option<String>>,
}

const STATUSES: [&str; 7] = ["pass", "fail", "warn", "manual", "not-applicable", "skip", "error"];

fn expected_verdicts() -> Table {
    let readme = std::fs::read_to_string(repo().join("tests/lab/README.md")).unwrap();
    let section = readme.split("### Expected verdicts").nth(1).expect("tests/lab/README.md has the expected verdicts");
    let mut rows = section.lines().skip_while(|l| !l.starts_with("| check |")).take_while(|l| l.starts_with('|'));
    let cells_of = |line: &str| -> Vec<String> {
        let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
        inner.split('|').map(|c| c.trim().to_string()).collect()
    };
    let header = cells_of(rows.next().expect("the table has a header"));
    assert_eq!(header[..2], ["check", "what"], "{header:?}");
    let hosts = header[2..].to_vec();
    let mut cells = BTreeMap::new();
    for line in rows.skip(1) {
        let row = cells_of(line);
        assert_eq!(row.len(), header.len(), "{line}");
        let id = row[0].trim_end_matches(" (M)").to_string();
        for (host, cell) in hosts.iter().zip(&row[2..]) {
            let status = (cell != "—").then(|| {
                let word = cell.split([' ', ':']).next().unwrap();
                assert!(STATUSES.contains(&word), "{id} {host}: {cell:?} does not start with a status");
                word.to_string()
            });
            let previous = cells.insert((host.clone(), id.clone()), status);
            assert!(previous.is_none(), "{id} is listed twice");
        }
    }
    assert!(cells.len() >= 30 * hosts.len(), "the table was read whole: {} cells", cells.len());
    Table { hosts, cells }
}

/// Every disagreement between the report and the table for `hosts`: a
/// listed check must have its status (or be absent for "—"), and a check the
/// table leaves out must pass if automated and be manual otherwise.
fn disagreements(table: &Table, report: &Value, hosts: &[&str]) -> Vec<String> {
    let mut wrong = Vec::new();
    for &name in hosts {
        assert!(table.hosts.iter().any(|h| h == name), "{name} is a column of the table");
        let host = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == name);
        let Some(host) = host else {
            wrong.push(format!("{name}: not in the report"));
            continue;
        };
        let results = host["results"].as_array().expect("results is an array");
        let reported: BTreeMap<&str, &Value> = results.iter().map(|r| (r["id"].as_str().unwrap(), r)).collect();
        for ((host, id), expected) in table.cells.iter().filter(|((h, _), _)| h == name) {
            let actual = reported.get(id.as_str()).map(|r| r["status"].as_str().unwrap());
            if actual != expected.as_deref() {
                wrong.push(format!("{host} {id}: expected {expected:?}, got {actual:?}"));
            }
        }
        for (id, result) in &reported {
            if table.cells.contains_key(&(name.to_string(), id.to_string())) {
                continue;
            }
            let expected = if result["automated"] == true { "pass" } else { "manual" };
            if result["status"] != expected {
                wrong.push(format!("{name} {id}: not in the table, so {expected}; got {} ({})", result["status"], result["actual"]));
            }
        }
    }
    wrong
}

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

/// The four hosts the demo brings up (up.sh's defaults).
const DEMO_HOSTS: [&str; 4] = ["cp-good", "cp-bad", "worker-good", "worker-bad"];

#[test]
fn the_demo_audits_the_lab_over_ssh_as_its_readme_says() {
    let table = expected_verdicts();
    let state = tempfile::tempdir().unwrap();
    let out = state.path().join("lab-report");
    // The README's first command, with the binary under test instead of a
    // release build; on up.sh's default addresses 127.0.10.x.
    let output = Command::new("bash")
        .arg(repo().join("tests/lab/demo.sh"))
        .env("HARDBENCH_BIN", env!("CARGO_BIN_EXE_hardbench"))
        .env("HARDBENCH_LAB_DIR", state.path().join("lab"))
        .env("HARDBENCH_REPORT_DIR", &out)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    // The lab holds non-compliant hosts and every host is reachable: the
    // demo says so and exits 0.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(console.contains("hardbench exited with status 1: non-compliant hosts found, as the lab intends."), "{console}");
    assert!(!state.path().join("lab").exists(), "the demo tears the lab down");

    let (json, junit, facts) = (out.join("report.json"), out.join("report.xml"), out.join("facts"));
    let report = read_json(&json);
    let wrong = disagreements(&table, &report, &DEMO_HOSTS);
    assert!(wrong.is_empty(), "the lab disagrees with tests/lab/README.md:\n{}\n\n{console}", wrong.join("\n"));
    // cp-good is compliant: no check fails.
    assert_eq!(report["hosts"][0]["name"], "cp-good");
    assert_eq!(report["hosts"][0]["summary"]["fail"], 0, "{}", report["hosts"][0]["summary"]);
    assert_eq!(report["exit_code"], 1);

    // Evidence an auditor needs: when, which host, which benchmark, as whom, which key.
    assert_eq!(report["schema"], "hardbench.report/v1");
    assert_eq!(report["hardbench"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
    assert_eq!(report["benchmark"]["sha256"].as_str().unwrap().len(), 64);
    for host in report["hosts"].as_array().unwrap() {
        // Each host says what was seen on it and why this benchmark.
        assert_eq!(host["benchmark"]["id"], "cis-1.12", "{}", host["name"]);
        let selected_by = host["benchmark"]["selected_by"].as_str().unwrap();
        assert!(
            selected_by.starts_with("auto: platform kubeadm (no sign of aks, eks, k3s, rke2); kubernetes v1.33.4 (")
                && selected_by.ends_with("); cis-1.12 covers 1.32–1.33"),
            "{}: {selected_by}",
            host["name"]
        );
    }
    for key in ["started_at", "finished_at"] {
        chrono::DateTime::parse_from_rfc3339(report[key].as_str().unwrap()).expect("RFC 3339 with offset");
    }
    assert_eq!(report["summary"]["hosts_ok"], DEMO_HOSTS.len());
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
        // The declared roles are right: no hint that they may be wrong.
        assert!(host.get("notes").is_none(), "{name}: {}", host["notes"]);
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
    assert!(console.contains("The program a local user planted as kube-apiserver was never run."), "{console}");
    for host in ["cp-good", "worker-good"] {
        let saved = read_json(&facts.join(format!("{host}.json")));
        for kind in ["documents", "files"] {
            let gathered = saved["facts"][kind].as_object().unwrap();
            assert!(!gathered.contains_key("/etc/sudoers.d/hbaudit"), "{host}: a file an impostor names was gathered");
        }
    }

    assert_well_formed_xml(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), DEMO_HOSTS.len(), "one testsuite per host");
    assert!(xml.contains(r#"classname="cp-bad.section_1_2""#), "classname is <host>.section_<section>");

    for host in DEMO_HOSTS {
        assert!(console.contains(host), "the console report names {host}");
    }
    assert_eq!(console.matches("  IMPOSTOR kube-apiserver process pid ").count(), 2, "{console}");
    assert_eq!(xml.matches(r#"type="impostor""#).count(), 2, "{xml}");

    // No secret material leaves a host: the lab plants sentinels in the
    // EncryptionConfiguration's keys and in kubeconfig credentials.
    let mut everything = text(&output) + &std::fs::read_to_string(&json).unwrap() + &xml;
    for entry in std::fs::read_dir(&facts).unwrap() {
        everything += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    assert!(!everything.contains("HBSENTINEL"), "a planted secret left the host");

    // The saved facts are evidence: readable by their owner only. They give
    // the same verdicts offline, without SSH.
    for entry in std::fs::read_dir(&facts).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "{}", path.display());
    }
    let replayed = state.path().join("replayed.json");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--json", replayed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(statuses(&read_json(&replayed)), statuses(&report));
}

/// worker-min, the speed benchmark's host, is a column of the table too.
#[test]
fn worker_min_gives_the_verdicts_of_the_readme() {
    let table = expected_verdicts();
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 12, &["worker-min"]);
    let audit = Audit::run(&lab.inventory(), &state.path().join("out"), &[]);
    assert_eq!(audit.output.status.code(), Some(1), "{}", text(&audit.output));
    let wrong = disagreements(&table, &audit.report(), &["worker-min"]);
    assert!(wrong.is_empty(), "the lab disagrees with tests/lab/README.md:\n{}\n\n{}", wrong.join("\n"), text(&audit.output));
}

/// The lab's scripts explain themselves: --help prints the usage to stdout
/// and exits 0 (and does nothing else); a wrong option is exit 2 with the
/// usage on stderr.
#[test]
fn lab_scripts_print_their_usage_on_help_and_refuse_a_wrong_option() {
    let state = tempfile::tempdir().unwrap();
    let untouched = state.path().join("lab");
    for script in ["up.sh", "down.sh"] {
        let run = |args: &[&str]| {
            Command::new("bash")
                .arg(repo().join("tests/lab").join(script))
                .args(["--dir", untouched.to_str().unwrap()])
                .args(args)
                .output()
                .expect("bash runs")
        };
        let usage = format!("usage: bash tests/lab/{script} [--dir DIR]");
        for help in ["--help", "-h"] {
            let output = run(&[help]);
            assert_eq!(output.status.code(), Some(0), "{script} {help}: {}", text(&output));
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.contains(&usage), "{script} {help}:\n{stdout}");
            assert!(output.stderr.is_empty(), "{script} {help}: {}", text(&output));
        }
        let output = run(&["--no-such-option"]);
        assert_eq!(output.status.code(), Some(2), "{script}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--no-such-option") && stderr.contains(&usage), "{script}:\n{stderr}");
        assert!(output.stdout.is_empty(), "{script}: {}", text(&output));
        assert!(!untouched.exists(), "{script} did nothing");
    }
}

/// Saved facts are one complete set per run: a second run into the same
/// directory, with worker-bad unreachable this time, leaves no stale facts
/// of it, and `evaluate` reports it as the error it was, never as ok.
#[test]
fn a_second_run_leaves_no_stale_facts_and_evaluate_reports_the_error_it_was() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 14, &["worker-good", "worker-bad"]);
    let out = state.path().join("out");
    let first = Audit::run(&lab.inventory(), &out, &[]);
    assert_eq!(first.output.status.code(), Some(1), "{}", text(&first.output));
    let facts = first.facts.clone();

    let inventory = std::fs::read_to_string(lab.inventory()).unwrap();
    let unreachable = inventory.replace("name = \"worker-bad\"\n", "name = \"worker-bad\"\nport = 9\n");
    assert_ne!(unreachable, inventory);
    let second = state.path().join("second.toml");
    std::fs::write(&second, unreachable).unwrap();
    let html = out.join("report.html");
    let audit = Audit::run(&second, &out, &["--html", html.to_str().unwrap()]);
    assert_eq!(audit.output.status.code(), Some(3), "{}", text(&audit.output));
    drop(lab);
    // The HTML report of a real run, with an unreachable host, in a browser.
    common::browser::check_report_page(&html, &audit.report(), &state.path().join("browser"));
    let mut files: Vec<String> =
        std::fs::read_dir(&facts).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["_index.json", "worker-good.json"]);
    let index = read_json(&facts.join("_index.json"));
    assert_eq!(index["hosts"][1]["host"], "worker-bad");
    assert_eq!(index["hosts"][1]["status"], "error");
    assert_eq!(index["hosts"][1]["error"]["kind"], "connect");
    let replayed = out.join("replayed.json");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--json", replayed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let report = read_json(&replayed);
    let hosts: Vec<(&str, &str)> =
        report["hosts"].as_array().unwrap().iter().map(|h| (h["name"].as_str().unwrap(), h["status"].as_str().unwrap())).collect();
    assert_eq!(hosts, [("worker-good", "ok"), ("worker-bad", "error")]);
    assert_eq!(report["hosts"][1]["error"], audit.report()["hosts"][1]["error"], "the error it was");
}

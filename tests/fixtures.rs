//! Saved facts replayed without SSH: every scenario under tests/fixtures/
//! (a set as `run --save-facts` writes it, `<host>.json` and `_index.json`;
//! beside it `<scenario>.expected.tsv`) is evaluated by the built binary,
//! and every check's status and `actual` must be exactly the expected ones.
//! Together the scenarios give every automated check of cis-1.12 a host
//! where it passes and one where it fails. tests/fixtures/generate.py
//! derives the edited scenarios from the captured lab hosts, and writes
//! each scenario's index.

mod common;

use common::{hardbench, repo, text};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SCENARIOS: [&str; 2] = ["kubeadm", "edited"];

/// (host, check id) → (status, actual).
type Outcomes = BTreeMap<(String, String), (String, String)>;

fn scenario(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

fn expected(dir: &Path) -> Outcomes {
    let tsv = dir.with_extension("expected.tsv");
    let text = std::fs::read_to_string(&tsv).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
    let mut outcomes = Outcomes::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [host, id, status, actual] = fields[..] else {
            panic!("{}:{}: expected 4 tab-separated fields", dir.display(), n + 1)
        };
        let previous = outcomes.insert((host.into(), id.into()), (status.into(), actual.into()));
        assert!(previous.is_none(), "{}:{}: {host} {id} listed twice", dir.display(), n + 1);
    }
    outcomes
}

fn evaluated(dir: &Path) -> Outcomes {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let output = hardbench(&[
        "evaluate",
        "--facts", dir.to_str().unwrap(),
        "--benchmark", "cis-1.12",
        "--json", json.to_str().unwrap(),
    ]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let mut outcomes = Outcomes::new();
    for host in report["hosts"].as_array().unwrap() {
        assert_eq!(host["status"], "ok", "{host}");
        for result in host["results"].as_array().unwrap() {
            let key = (host["name"].as_str().unwrap().to_string(), result["id"].as_str().unwrap().to_string());
            let value = (result["status"].as_str().unwrap().to_string(), result["actual"].as_str().unwrap().to_string());
            outcomes.insert(key, value);
        }
    }
    outcomes
}

#[test]
fn every_scenario_gives_exactly_the_expected_outcomes() {
    for name in SCENARIOS {
        let dir = scenario(name);
        let (want, got) = (expected(&dir), evaluated(&dir));
        let mut wrong = Vec::new();
        for (key, value) in &want {
            match got.get(key) {
                Some(actual) if actual == value => {}
                Some(actual) => wrong.push(format!("{} {}: expected {value:?}, got {actual:?}", key.0, key.1)),
                None => wrong.push(format!("{} {}: expected {value:?}, not reported", key.0, key.1)),
            }
        }
        for key in got.keys().filter(|k| !want.contains_key(*k)) {
            wrong.push(format!("{} {}: reported but not in {name}.expected.tsv", key.0, key.1));
        }
        assert!(wrong.is_empty(), "scenario {name}:\n{}", wrong.join("\n"));
    }
}

#[test]
fn every_automated_check_has_a_passing_and_a_failing_fixture() {
    let benchmark = hardbench::benchmark::load_builtin("cis-1.12").unwrap();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for name in SCENARIOS {
        for ((_, id), (status, _)) in expected(&scenario(name)) {
            seen.insert((id, status));
        }
    }
    let mut missing = Vec::new();
    for check in benchmark.checks.iter().filter(|c| c.automated) {
        for status in ["pass", "fail"] {
            if !seen.contains(&(check.id.to_string(), status.to_string())) {
                missing.push(format!("{} has no {status} fixture", check.id));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn fixtures_hold_no_secret_material() {
    for name in SCENARIOS.iter().chain(["old-version"].iter()) {
        for entry in std::fs::read_dir(scenario(name)).unwrap() {
            let path = entry.unwrap().path();
            let content = std::fs::read_to_string(&path).unwrap();
            for needle in ["HBSENTINEL", "SEJTRU5USU5FTC", "PRIVATE KEY"] {
                assert!(!content.contains(needle), "{} holds {needle}", path.display());
            }
        }
    }
}

/// A saved set holding every host of the `kubeadm` scenario and the
/// `old-version` one's (a kubelet reporting v1.28.9): one inventory, two
/// clusters.
fn mixed_set() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scenario("kubeadm").join("_index.json")).unwrap()).unwrap();
    let old: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scenario("old-version").join("_index.json")).unwrap()).unwrap();
    index["hosts"].as_array_mut().unwrap().extend(old["hosts"].as_array().unwrap().iter().cloned());
    for name in ["kubeadm", "old-version"] {
        for entry in std::fs::read_dir(scenario(name)).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() != "_index.json" {
                std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::write(dir.path().join("_index.json"), serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    dir
}

/// Under `auto`, a host whose version is older than every benchmark is an
/// error of its own, naming `--benchmark`; every other host is audited.
#[test]
fn auto_refuses_only_the_host_whose_version_no_benchmark_covers() {
    let set = mixed_set();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let output = hardbench(&["evaluate", "--facts", set.path().to_str().unwrap(), "--json", json.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let hosts = report["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 5);
    for host in hosts {
        if host["name"] == "old-node" {
            assert_eq!(host["status"], "error");
            assert_eq!(host["error"]["kind"], "no-benchmark");
            assert_eq!(
                host["error"]["message"],
                "kubernetes v1.28.9 (kubelet: kubelet --version) is older than every benchmark for platform \
                 kubeadm this hardbench knows (the oldest: cis-1.12 covers 1.32–1.33); choose one explicitly with --benchmark"
            );
            assert_eq!(host["benchmark"], serde_json::Value::Null);
            assert_eq!(host["kubernetes_version"], "v1.28.9");
        } else {
            assert_eq!(host["status"], "ok", "{host}");
            assert_eq!(host["benchmark"]["id"], "cis-1.12", "{host}");
        }
    }
    // The hosts judged all used cis-1.12, each for its own evidence.
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(console.contains("old-node (127.0.31.14): ERROR [no-benchmark] kubernetes v1.28.9"), "{console}");

    // Naming the benchmark is the way out, and it is recorded as chosen.
    let output = hardbench(&["evaluate", "--facts", scenario("old-version").to_str().unwrap(), "--benchmark", "cis-1.12", "--json", json.to_str().unwrap()]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
    assert_eq!(report["benchmark"]["selected_by"], "--benchmark");
    assert_eq!(report["hosts"][0]["benchmark"]["selected_by"], "--benchmark");
    assert_eq!(report["hosts"][0]["kubernetes_version"], "v1.28.9");
}

#[test]
fn auto_picks_cis_1_12_for_the_version_seen() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let output = hardbench(&["evaluate", "--facts", scenario("kubeadm").to_str().unwrap(), "--json", json.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
    let cp = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "cp-good").unwrap();
    assert_eq!(
        cp["benchmark"]["selected_by"],
        "auto: platform kubeadm (no other platform recognised); kubernetes v1.33.4 (kube-apiserver: kube-apiserver \
         --version); cis-1.12 covers 1.32–1.33"
    );
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(console.contains("cp-good (127.0.31.1) control-plane,etcd,worker, benchmark cis-1.12: "), "{console}");
}

/// One inventory, two clusters, two benchmarks: the saved hosts evaluated
/// offline under `auto` with cis-1.12 and a benchmark for 1.27–1.28 built
/// here; each host is judged by the benchmark of its own version, and the
/// report has no benchmark of its own.
#[test]
fn one_inventory_yields_two_benchmarks() {
    use hardbench::audit::{self, Candidates};
    use hardbench::evidence::SavedSet;
    let newer = hardbench::benchmark::load_builtin("cis-1.12").unwrap();
    let mut older = newer.clone();
    older.id = "test-1.28".into();
    older.title = "A test benchmark for 1.27 and 1.28".into();
    older.kubernetes = vec!["1.27".into(), "1.28".into()];
    let benchmarks = vec![newer, older];
    let selections = benchmarks.iter().map(|b| hardbench::select::Selection::new(b, &[], &[], None).unwrap()).collect();
    let candidates = Candidates { benchmarks, selections, auto: true };
    let set = mixed_set();
    let set = SavedSet::open(set.path()).unwrap();
    let hosts: Vec<_> = set
        .records()
        .iter()
        .map(|record| {
            let (identity, gathering) = set.load(record).unwrap();
            audit::audit(&identity, &gathering, &candidates)
        })
        .collect();
    let chosen: BTreeMap<&str, &str> =
        hosts.iter().map(|h| (h.name.as_str(), h.benchmark.as_ref().unwrap().id.as_str())).collect();
    assert_eq!(
        chosen,
        BTreeMap::from([
            ("cp-bad", "cis-1.12"),
            ("cp-good", "cis-1.12"),
            ("old-node", "test-1.28"),
            ("worker-bad", "cis-1.12"),
            ("worker-good", "cis-1.12"),
        ])
    );
    let old = hosts.iter().find(|h| h.name == "old-node").unwrap();
    assert!(old.result.is_ok(), "{old:#?}");
    assert!(
        old.benchmark.as_ref().unwrap().selected_by.ends_with(
            "kubernetes v1.28.9 (kubelet: kubelet --version); test-1.28 covers 1.27–1.28"
        ),
        "{old:#?}"
    );
    let started = chrono::DateTime::parse_from_rfc3339("2026-11-29T16:00:00+00:00").unwrap();
    let report = hardbench::outcome::Report {
        hardbench_version: "test".into(),
        started_at: started,
        finished_at: started,
        hosts,
        interrupted_by: None,
        report_missing: false,
    };
    let mut bytes = Vec::new();
    hardbench::report::json::write(&report, &mut bytes).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["benchmark"], serde_json::Value::Null);
    let old = json["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "old-node").unwrap();
    assert_eq!(old["benchmark"]["id"], "test-1.28");
    assert_eq!(old["benchmark"]["title"], "A test benchmark for 1.27 and 1.28");
}

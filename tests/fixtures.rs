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

#[test]
fn auto_refuses_a_kubernetes_version_no_benchmark_covers() {
    let dir = scenario("old-version");
    let output = hardbench(&["evaluate", "--facts", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kubernetes v1.28.9 is older than any benchmark this hardbench knows (cis-1.12 covers 1.32–1.33); choose one explicitly with --benchmark"),
        "{}",
        text(&output)
    );
    // Naming the benchmark is the way out, and it is recorded as chosen.
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let output = hardbench(&["evaluate", "--facts", dir.to_str().unwrap(), "--benchmark", "cis-1.12", "--json", json.to_str().unwrap()]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
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
    assert_eq!(report["benchmark"]["selected_by"], "auto: kubernetes v1.33.4");
}

//! Saved facts replayed without SSH: every scenario under tests/fixtures/
//! (a set as `run --save-facts` writes it, `<host>.json` and `_index.json`)
//! is evaluated by the built binary under each benchmark that has an
//! expectation file `<scenario>.<benchmark>.expected.tsv` beside it, and
//! every check's status and `actual` must be exactly the expected ones.
//! Together a benchmark's scenarios give each of its automated checks a
//! host where it passes and one where it fails; the coverage test holds
//! every built-in benchmark to that. tests/fixtures/generate.py derives the
//! edited scenarios from the captured lab hosts, and writes each
//! scenario's index.
//!
//! An expectation file holds tab-separated lines `host, check id, status,
//! actual`. A manual check's status is `manual/<verdict>`, the verdict its
//! automated evaluation would have given: two versions that word a check
//! differently can give the same observation and differ only there. Lines
//! starting with `#` are comments, except two directives:
//! - `#base <benchmark>`: the outcomes of the same scenario under that
//!   benchmark's file, which this file's lines replace or add to; a line
//!   whose status is `absent` says the check is not reported at all. A
//!   derived benchmark reuses its parent's expectations this way and
//!   states only what its version changes.
//! - `#check <ids>`: evaluate only these checks (`--check`).

mod common;

use common::{hardbench, repo, text};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (host, check id) → (status, actual).
type Outcomes = BTreeMap<(String, String), (String, String)>;

fn fixtures_dir() -> PathBuf {
    repo().join("tests/fixtures")
}

fn scenario(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// Every expectation file: (scenario, benchmark id), in name order.
fn expectation_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".expected.tsv") {
            let (scenario, benchmark) = stem.split_once('.').unwrap_or_else(|| panic!("{name}: expected <scenario>.<benchmark>.expected.tsv"));
            files.push((scenario.to_string(), benchmark.to_string()));
        }
    }
    files.sort();
    files
}

/// The expectations of a scenario under a benchmark, with its `#base`
/// resolved, and the `--check` ids of its `#check` directive.
fn expected(scenario: &str, benchmark: &str) -> (Outcomes, Vec<String>) {
    let tsv = fixtures_dir().join(format!("{scenario}.{benchmark}.expected.tsv"));
    let text = std::fs::read_to_string(&tsv).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
    let mut outcomes = Outcomes::new();
    let mut checks = Vec::new();
    let mut own = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(base) = line.strip_prefix("#base ") {
            let (inherited, base_checks) = expected(scenario, base.trim());
            outcomes.extend(inherited);
            checks = base_checks;
            continue;
        }
        if let Some(ids) = line.strip_prefix("#check ") {
            checks = ids.trim().split(',').map(str::to_string).collect();
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [host, id, status, actual] = fields[..] else {
            panic!("{}:{}: expected 4 tab-separated fields", tsv.display(), n + 1)
        };
        let key = (host.to_string(), id.to_string());
        assert!(own.insert(key.clone()), "{}:{}: {host} {id} listed twice", tsv.display(), n + 1);
        if status == "absent" {
            assert!(outcomes.remove(&key).is_some(), "{}:{}: {host} {id} is absent from no base", tsv.display(), n + 1);
        } else {
            outcomes.insert(key, (status.into(), actual.into()));
        }
    }
    (outcomes, checks)
}

fn evaluated(dir: &Path, benchmark: &str, checks: &[String]) -> Outcomes {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    let mut args = vec![
        "evaluate".to_string(),
        "--facts".into(), dir.to_str().unwrap().into(),
        "--benchmark".into(), benchmark.into(),
        "--json".into(), json.to_str().unwrap().into(),
    ];
    if !checks.is_empty() {
        args.extend(["--check".to_string(), checks.join(",")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = hardbench(&args);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["benchmark"]["id"], benchmark);
    let mut outcomes = Outcomes::new();
    for host in report["hosts"].as_array().unwrap() {
        assert_eq!(host["status"], "ok", "{host}");
        for result in host["results"].as_array().unwrap() {
            let key = (host["name"].as_str().unwrap().to_string(), result["id"].as_str().unwrap().to_string());
            let mut status = result["status"].as_str().unwrap().to_string();
            let would_be = result["automated_verdict"].as_str();
            if let (Some(would_be), "manual") = (would_be, status.as_str()) {
                status = format!("manual/{would_be}");
            }
            let value = (status, result["actual"].as_str().unwrap().to_string());
            outcomes.insert(key, value);
        }
    }
    outcomes
}

#[test]
fn every_scenario_gives_exactly_the_expected_outcomes() {
    let files = expectation_files();
    assert!(files.len() >= 2, "{files:?}");
    for (name, benchmark) in files {
        let (want, checks) = expected(&name, &benchmark);
        let got = evaluated(&scenario(&name), &benchmark, &checks);
        let mut wrong = Vec::new();
        for (key, value) in &want {
            match got.get(key) {
                Some(actual) if actual == value => {}
                Some(actual) => wrong.push(format!("{} {}: expected {value:?}, got {actual:?}", key.0, key.1)),
                None => wrong.push(format!("{} {}: expected {value:?}, not reported", key.0, key.1)),
            }
        }
        for key in got.keys().filter(|k| !want.contains_key(*k)) {
            wrong.push(format!("{} {}: reported but not in {name}.{benchmark}.expected.tsv", key.0, key.1));
        }
        assert!(wrong.is_empty(), "scenario {name} under {benchmark}:\n{}", wrong.join("\n"));
    }
}

#[test]
fn every_automated_check_of_every_benchmark_has_a_passing_and_a_failing_fixture() {
    let files = expectation_files();
    let mut missing = Vec::new();
    for id in hardbench::benchmark::builtin_ids() {
        let benchmark = hardbench::benchmark::load_builtin(id).unwrap();
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for (name, _) in files.iter().filter(|(_, b)| b == id) {
            for ((_, check), (status, _)) in expected(name, id).0 {
                seen.insert((check, status));
            }
        }
        if seen.is_empty() {
            missing.push(format!("{id}: no tests/fixtures/<scenario>.{id}.expected.tsv"));
        }
        for check in benchmark.checks.iter().filter(|c| c.automated) {
            for status in ["pass", "fail"] {
                if !seen.contains(&(check.id.to_string(), status.to_string())) {
                    missing.push(format!("{id}: {} has no {status} fixture", check.id));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The scenarios that tell the versions apart do. versions.verdicts.tsv
/// lists, for the checks the versions word differently, the verdict each
/// benchmark's expectations give on a host (`absent`: not in that
/// benchmark); each must be what the expectation files say, and each check
/// must get two different verdicts on its host.
#[test]
fn the_version_scenarios_tell_the_versions_apart() {
    let table = std::fs::read_to_string(fixtures_dir().join("versions.verdicts.tsv")).unwrap();
    let mut verdicts: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let [host, id, benchmark, verdict] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("versions.verdicts.tsv: {line:?}: expected 4 tab-separated fields")
        };
        let (outcomes, _) = expected("versions", benchmark);
        let got = outcomes.get(&(host.to_string(), id.to_string())).map_or("absent", |(status, _)| status.as_str());
        assert_eq!(got, verdict, "{host} {id} under {benchmark}");
        verdicts.entry((host.into(), id.into())).or_default().insert(verdict.into());
    }
    assert!(verdicts.len() >= 5, "{verdicts:?}");
    for ((host, id), seen) in verdicts {
        assert!(seen.len() >= 2, "{host} {id}: the same verdict {seen:?} under every benchmark listed");
    }
}

#[test]
fn fixtures_hold_no_secret_material() {
    for name in ["kubeadm", "edited", "versions", "old-version"] {
        for entry in std::fs::read_dir(scenario(name)).unwrap() {
            let path = entry.unwrap().path();
            let content = std::fs::read_to_string(&path).unwrap();
            for needle in ["HBSENTINEL", "SEJTRU5USU5FTC", "PRIVATE KEY"] {
                assert!(!content.contains(needle), "{} holds {needle}", path.display());
            }
        }
    }
}

/// One inventory, three clusters: a saved set holding every host of the
/// `kubeadm` scenario (v1.33.4), the `old-version` one's (a kubelet
/// reporting v1.26.9, older than every benchmark), and `worker-130`,
/// worker-good's facts with its kubelet and kube-proxy reporting v1.30.4.
fn mixed_set() -> tempfile::TempDir {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let read = |path: PathBuf| -> serde_json::Value { serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap() };
    let mut index = read(scenario("kubeadm").join("_index.json"));
    let old = read(scenario("old-version").join("_index.json"));
    for name in ["kubeadm", "old-version"] {
        for entry in std::fs::read_dir(scenario(name)).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() != "_index.json" {
                std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    let mut worker = read(scenario("kubeadm").join("worker-good.json"));
    worker["host"] = "worker-130".into();
    for component in ["kubelet", "kube-proxy"] {
        worker["facts"]["versions"][component]["text"] = "Kubernetes v1.30.4".into();
    }
    let bytes = serde_json::to_vec_pretty(&worker).unwrap();
    std::fs::write(dir.path().join("worker-130.json"), &bytes).unwrap();
    let hosts = index["hosts"].as_array_mut().unwrap();
    let mut record = hosts.iter().find(|h| h["host"] == "worker-good").unwrap().clone();
    record["host"] = "worker-130".into();
    record["file"] = "worker-130.json".into();
    record["sha256"] = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>().into();
    hosts.push(record);
    hosts.extend(old["hosts"].as_array().unwrap().iter().cloned());
    std::fs::write(dir.path().join("_index.json"), serde_json::to_vec_pretty(&index).unwrap()).unwrap();
    dir
}

/// Under `auto`, each host is judged by the benchmark of its own version:
/// the JSON gives each its benchmark and why, and none for the run (the
/// hosts used two); the console names each host's. A host whose version is
/// older than every benchmark is an error of its own, naming
/// `--benchmark`; every other host is still audited.
#[test]
fn one_inventory_is_judged_by_the_benchmark_of_each_hosts_version() {
    let set = mixed_set();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let output = hardbench(&["evaluate", "--facts", set.path().to_str().unwrap(), "--json", json.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let hosts = report["hosts"].as_array().unwrap();
    let chosen: BTreeMap<&str, &serde_json::Value> = hosts.iter().map(|h| (h["name"].as_str().unwrap(), &h["benchmark"]["id"])).collect();
    assert_eq!(
        chosen,
        BTreeMap::from([
            ("cp-bad", &"cis-1.12".into()),
            ("cp-good", &"cis-1.12".into()),
            ("old-node", &serde_json::Value::Null),
            ("worker-130", &"cis-1.11".into()),
            ("worker-bad", &"cis-1.12".into()),
            ("worker-good", &"cis-1.12".into()),
        ])
    );
    assert_eq!(report["benchmark"], serde_json::Value::Null, "two benchmarks: the run has none of its own");
    let host = |name: &str| hosts.iter().find(|h| h["name"] == name).unwrap();
    assert_eq!(
        host("worker-130")["benchmark"]["selected_by"],
        "auto: platform kubeadm (no sign of aks, eks, k3s, rke2); kubernetes v1.30.4 (kubelet: kubelet --version); \
         cis-1.11 covers 1.29–1.31"
    );
    assert_eq!(host("worker-130")["benchmark"]["title"], "CIS Kubernetes Benchmark v1.11.1");
    assert_eq!(host("worker-130")["status"], "ok");
    let old = host("old-node");
    assert_eq!((&old["status"], &old["error"]["kind"]), (&"error".into(), &"no-benchmark".into()));
    assert_eq!(
        old["error"]["message"],
        "kubernetes v1.26.9 (kubelet: kubelet --version) is older than every benchmark for platform kubeadm this \
         hardbench knows (the oldest: cis-1.9 covers 1.27); choose one explicitly with --benchmark"
    );
    assert_eq!(old["kubernetes_version"], "v1.26.9");
    let console = String::from_utf8_lossy(&output.stdout);
    for line in [
        "worker-130 (127.0.31.3) worker (detected), benchmark cis-1.11: ",
        "worker-good (127.0.31.3) worker (detected), benchmark cis-1.12: ",
        "old-node (127.0.31.14): ERROR [no-benchmark] kubernetes v1.26.9",
        "6 hosts (5 ok, 1 error), benchmarks cis-1.11, cis-1.12: ",
    ] {
        assert!(console.contains(line), "{line:?} not in\n{console}");
    }

    // Naming the benchmark is the way out, and it is recorded as chosen.
    let output = hardbench(&["evaluate", "--facts", scenario("old-version").to_str().unwrap(), "--benchmark", "cis-1.12", "--json", json.to_str().unwrap()]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["benchmark"]["id"], "cis-1.12");
    assert_eq!(report["benchmark"]["selected_by"], "--benchmark");
    assert_eq!(report["hosts"][0]["benchmark"]["selected_by"], "--benchmark");
    assert_eq!(report["hosts"][0]["kubernetes_version"], "v1.26.9");
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
        "auto: platform kubeadm (no sign of aks, eks, k3s, rke2); kubernetes v1.33.4 (kube-apiserver: kube-apiserver \
         --version); cis-1.12 covers 1.32–1.33"
    );
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(console.contains("cp-good (127.0.31.1) control-plane,etcd,worker, benchmark cis-1.12: "), "{console}");
}

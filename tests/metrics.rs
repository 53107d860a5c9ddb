//! `--metrics`: the Prometheus text that `hardbench evaluate` writes from
//! saved facts, and `hardbench run` from a real audit of lab hosts (one of
//! them unreachable; 127.0.48.x), is accepted by `promtool check metrics`
//! without a word (promtool parses the file with Prometheus's own parser and
//! lints it), its numbers are the JSON report's, and a host name with the
//! characters the format must escape stays well-formed. promtool comes with Debian's
//! `prometheus` package (tests/lab/install-deps.sh); without it these tests
//! fail, they never skip.

mod common;

use common::{hardbench, read_json, repo, text, Audit, Lab};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// `promtool check metrics` on `text`: its exit status and everything it said.
fn promtool(text: &str) -> (Option<i32>, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian package prometheus; tests/lab/install-deps.sh installs it)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), said)
}

#[track_caller]
fn assert_promtool_accepts(metrics: &str) {
    let (status, said) = promtool(metrics);
    assert_eq!((status, said.as_str()), (Some(0), ""), "promtool check metrics:\n{said}\n{metrics}");
}

/// The samples of `text` by series (`name{labels}`), with their values.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("a sample line: {line:?}"));
            (series.to_owned(), value.parse().unwrap_or_else(|e| panic!("{line:?}: {e}")))
        })
        .collect()
}

/// Evaluates `set` writing the metrics and the JSON report into `out`.
fn evaluate(set: &Path, out: &Path) -> (String, Value) {
    evaluate_with(set, out, &[])
}

fn evaluate_with(set: &Path, out: &Path, extra: &[&str]) -> (String, Value) {
    let (metrics, json) = (out.join("hardbench.prom"), out.join("report.json"));
    let mut args = vec![
        "evaluate",
        "--facts", set.to_str().unwrap(),
        "--metrics", metrics.to_str().unwrap(),
        "--json", json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = hardbench(&args);
    assert_eq!(output.status.code(), Some(1), "the fixtures have failing hosts: {}", text(&output));
    (std::fs::read_to_string(&metrics).unwrap(), read_json(&json))
}

#[test]
fn metrics_of_saved_facts_pass_promtool_and_equal_the_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let (metrics, report) = evaluate(&repo().join("tests/fixtures/kubeadm"), dir.path());
    assert_promtool_accepts(&metrics);

    let samples = samples(&metrics);
    let hosts = report["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 4);
    let statuses: Vec<&str> = report["summary"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|key| !key.starts_with("hosts_") && *key != "manual_failing")
        .map(String::as_str)
        .collect();
    assert_eq!(statuses.len(), 8, "{statuses:?}");
    for host in hosts {
        let name = host["name"].as_str().unwrap();
        for status in &statuses {
            // The JSON names `not-applicable` `not_applicable`, and nothing else differs.
            let series = format!("hardbench_host_checks{{host=\"{name}\",status=\"{}\"}}", status.replace('_', "-"));
            let expected = host["summary"][status].as_f64().unwrap();
            assert_eq!(samples.get(&series), Some(&expected), "{series}\n{metrics}");
        }
        let manual_failing = format!("hardbench_host_manual_failing_checks{{host=\"{name}\"}}");
        assert_eq!(samples.get(&manual_failing), host["summary"]["manual_failing"].as_f64().as_ref(), "{manual_failing}");
        assert_eq!(samples[&format!("hardbench_host_reachable{{host=\"{name}\"}}")], 1.0);
        let duration = samples[&format!("hardbench_host_audit_duration_seconds{{host=\"{name}\"}}")];
        assert_eq!(duration, host["duration_ms"].as_f64().unwrap() / 1000.0);
        let benchmark = host["benchmark"]["id"].as_str().unwrap();
        let version = host["kubernetes_version"].as_str().unwrap_or("");
        let info = format!("hardbench_host_info{{host=\"{name}\",benchmark=\"{benchmark}\",kubernetes_version=\"{version}\"}}");
        assert_eq!(samples.get(&info), Some(&1.0), "{info}\n{metrics}");
    }
    for status in &statuses {
        let series = format!("hardbench_run_checks{{status=\"{}\"}}", status.replace('_', "-"));
        assert_eq!(samples.get(&series), report["summary"][status].as_f64().as_ref(), "{series}");
    }
    assert_eq!(samples["hardbench_run_manual_failing_checks"], report["summary"]["manual_failing"].as_f64().unwrap());
    assert!(samples["hardbench_run_manual_failing_checks"] > 0.0, "the fixtures have manual checks that would fail");
    let finished = chrono::DateTime::parse_from_rfc3339(report["finished_at"].as_str().unwrap()).unwrap();
    let ended = samples["hardbench_run_last_timestamp_seconds"];
    assert_eq!(ended, finished.timestamp_millis() as f64 / 1000.0);
    assert_eq!(samples["hardbench_host_last_run_timestamp_seconds{host=\"cp-bad\"}"], ended);
}

#[test]
fn a_real_audit_writes_metrics_promtool_accepts() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 48, &["worker-good", "worker-bad"]);
    // One more host, on a port nothing listens on: it cannot be audited.
    let inventory = state.path().join("inventory.toml");
    let mut hosts = std::fs::read_to_string(lab.inventory()).unwrap();
    hosts += "\n[[hosts]]\nname = \"gone.lab.example\"\naddress = \"127.0.48.200\"\nport = 1\nroles = [\"worker\"]\n";
    std::fs::write(&inventory, hosts).unwrap();
    let out = state.path().join("out");
    let metrics = out.join("hardbench.prom");
    let audit = Audit::run(&inventory, &out, &["--metrics", metrics.to_str().unwrap()]);
    drop(lab);
    assert_eq!(audit.output.status.code(), Some(3), "an unreachable host: {}", text(&audit.output));
    let metrics = std::fs::read_to_string(&metrics).unwrap();
    assert_promtool_accepts(&metrics);

    let report = audit.report();
    let samples = samples(&metrics);
    for host in report["hosts"].as_array().unwrap() {
        let name = host["name"].as_str().unwrap();
        let reachable = samples[&format!("hardbench_host_reachable{{host=\"{name}\"}}")];
        assert_eq!(reachable, if host["status"] == "ok" { 1.0 } else { 0.0 }, "{name}");
        let fail = samples[&format!("hardbench_host_checks{{host=\"{name}\",status=\"fail\"}}")];
        assert_eq!(fail, host["summary"]["fail"].as_f64().unwrap_or(0.0), "{name}");
        let duration = samples[&format!("hardbench_host_audit_duration_seconds{{host=\"{name}\"}}")];
        assert_eq!(duration, host["duration_ms"].as_f64().unwrap() / 1000.0, "{name}");
    }
    assert_eq!(samples["hardbench_host_reachable{host=\"gone.lab.example\"}"], 0.0);
    assert!(samples["hardbench_host_checks{host=\"worker-bad\",status=\"fail\"}"] > 0.0);
    assert_eq!(samples["hardbench_run_hosts{audited=\"true\"}"], 2.0);
    assert_eq!(samples["hardbench_run_hosts{audited=\"false\"}"], 1.0);
    let finished = chrono::DateTime::parse_from_rfc3339(report["finished_at"].as_str().unwrap()).unwrap();
    assert_eq!(samples["hardbench_run_last_timestamp_seconds"], finished.timestamp_millis() as f64 / 1000.0);
    // The console ends with the hosts to look at.
    let console = String::from_utf8_lossy(&audit.output.stdout);
    assert!(console.contains("\nfailed: worker-bad ("), "{console}");
    let last = console.lines().last().unwrap_or_default();
    assert!(last.starts_with("not audited: gone.lab.example [connect] ") && last.contains("refused"), "{console}");
}

/// Waived checks are counted as waived, and each waiver in its state.
#[test]
fn waived_checks_and_waiver_states_are_metrics_too() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("waivers.toml");
    std::fs::write(
        &waivers,
        r#"
[[waivers]]
checks = ["1.2.*"]
hosts = ["cp-bad"]
reason = "tracked in OPS-1"
approved_by = "Security team"
expires = 2099-01-01

[[waivers]]
checks = ["1.2.16"]
hosts = ["worker-good"]
reason = "a worker runs no API server"
approved_by = "Security team"
expires = 2099-01-01
"#,
    )
    .unwrap();
    let (metrics, report) = evaluate_with(&repo().join("tests/fixtures/kubeadm"), dir.path(), &["--waivers", waivers.to_str().unwrap()]);
    assert_promtool_accepts(&metrics);
    let samples = samples(&metrics);
    let waived = report["summary"]["waived"].as_f64().unwrap();
    assert!(waived > 0.0, "{}", report["summary"]);
    assert_eq!(samples["hardbench_host_checks{host=\"cp-bad\",status=\"waived\"}"], waived);
    assert_eq!(samples["hardbench_run_checks{status=\"waived\"}"], waived);
    assert_eq!(samples["hardbench_run_waivers{state=\"active\"}"], 1.0);
    assert_eq!(samples["hardbench_run_waivers{state=\"unused\"}"], 1.0);
    assert_eq!(samples["hardbench_run_waivers{state=\"expired\"}"], 0.0);
}

/// A copy of the kubeadm set in which worker-good is called `name`.
fn renamed_set(dir: &Path, name: &str) {
    let from = repo().join("tests/fixtures/kubeadm");
    std::fs::create_dir_all(dir).unwrap();
    for host in ["cp-bad", "cp-good", "worker-bad"] {
        std::fs::copy(from.join(format!("{host}.json")), dir.join(format!("{host}.json"))).unwrap();
    }
    let quoted = serde_json::to_string(name).unwrap();
    let facts = std::fs::read_to_string(from.join("worker-good.json")).unwrap();
    let facts = facts.replacen("\"host\": \"worker-good\"", &format!("\"host\": {quoted}"), 1);
    let file = hardbench::evidence::file_name(name);
    std::fs::write(dir.join(&file), &facts).unwrap();
    let sha256: String = Sha256::digest(facts.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut index: Value = serde_json::from_slice(&std::fs::read(from.join("_index.json")).unwrap()).unwrap();
    for host in index["hosts"].as_array_mut().unwrap() {
        if host["host"] == "worker-good" {
            host["host"] = name.into();
            host["sha256"] = sha256.clone().into();
            host["file"] = file.clone().into();
        }
    }
    std::fs::write(dir.join("_index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// A host name with a quote, a backslash, a line feed and an escape
/// sequence stays inside its label: promtool reads every line, and the same
/// file with the name written as it is (no escaping) is refused, so the
/// check above cannot pass by accepting anything.
#[test]
fn a_host_name_the_format_must_escape_stays_well_formed_and_promtool_catches_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let name = "w\"} 1\nforged{a=\"\\\x1b[2J";
    renamed_set(&dir.path().join("facts"), name);
    let (metrics, report) = evaluate(&dir.path().join("facts"), dir.path());
    assert_eq!(report["hosts"][3]["name"], name, "the set holds the name as it is");
    assert_promtool_accepts(&metrics);
    let label = r#"host="w\"} 1\\nforged{a=\"\\\\x1b[2J""#;
    let reachable = format!("hardbench_host_reachable{{{label}}} 1");
    assert!(metrics.lines().any(|line| line == reachable), "{reachable}\n{metrics}");

    // The same file with the label written raw: broken, and promtool says so.
    let raw = metrics.replace(label, &format!("host=\"{name}\""));
    assert_ne!(raw, metrics);
    let (status, said) = promtool(&raw);
    assert_eq!(status, Some(1), "{said}");
    assert!(said.contains("text format parsing error"), "{said}");
    // A family without its HELP line: promtool's lint reports it.
    let unhelped: String = metrics.lines().filter(|l| !l.starts_with("# HELP hardbench_run_info ")).map(|l| format!("{l}\n")).collect();
    let (status, said) = promtool(&unhelped);
    assert_eq!((status, said.trim()), (Some(3), "hardbench_run_info no help text"));
}

/// `--metrics -` writes the metrics alone to standard output (the console
/// goes to standard error); and the one-file, one-stdout rules of every
/// report hold for it too, before anything is read.
#[test]
fn metrics_to_standard_output_and_the_output_rules() {
    let set = repo().join("tests/fixtures/kubeadm");
    let set = set.to_str().unwrap();
    let output = hardbench(&["evaluate", "--facts", set, "--metrics", "-"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let metrics = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(metrics.starts_with("# HELP hardbench_host_checks "), "{}", text(&output));
    assert_promtool_accepts(&metrics);
    assert!(String::from_utf8_lossy(&output.stderr).contains("cp-bad"), "{}", text(&output));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out");
    let file = file.to_str().unwrap();
    for (args, expected) in [
        (&["--json", file, "--metrics", file][..], "--json and --metrics both name"),
        (&["--junit", "-", "--metrics", "-"], "--junit and --metrics both write to standard output"),
        (&["--metrics", "/dev/null"], "--metrics /dev/null: is a character device"),
    ] {
        let mut all = vec!["evaluate", "--facts", set];
        all.extend_from_slice(args);
        let output = hardbench(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(String::from_utf8_lossy(&output.stderr).contains(expected), "{args:?}: {}", text(&output));
        assert!(output.stdout.is_empty(), "{args:?}: {}", text(&output));
    }
    assert!(!Path::new(file).exists());
}

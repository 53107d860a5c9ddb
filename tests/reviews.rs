//! Waivers and attestations with the real binary, offline (`hardbench
//! evaluate` over the saved fixture hosts, no lab): what each does to the
//! statuses, the JSON and the exit code; `waivers lint`'s exit codes; and a
//! selection that evaluates nothing being refused.

mod common;

use common::{hardbench, read_json, repo, text};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;

const FACTS: &str = "tests/fixtures/edited";

/// In cp-worst, 1.2.15 fails and manual 1.2.1 would fail; in cp-best both pass.
const WAIVERS: &str = r#"
[[waivers]]
checks = ["1.2.15"]
hosts = ["cp-worst"]
reason = "profiling is needed by the vendor's support until the upgrade"
approved_by = "Security team (CHG-1234)"
expires = 2099-12-31

[[waivers]]
checks = ["1.2.*"]
hosts = ["cp-best"]
reason = "an old decision"
approved_by = "Security team (CHG-1000)"
expires = 2020-01-01

[[waivers]]
checks = ["4.2.1"]
reason = "not selected in this run"
approved_by = "Security team (CHG-1001)"
expires = 2099-12-31
"#;

const ATTESTATIONS: &str = r#"
[[attestations]]
checks = ["1.2.1"]
hosts = ["cp-worst"]
result = "fail"
attested_by = "J. Doe"
date = 2026-01-05
expires = 2099-01-05
evidence = "CHG-77: anonymous requests reach the API"
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn evaluate(extra: &[&str], json: &Path) -> (Option<i32>, Value, String) {
    let facts = repo().join(FACTS);
    let mut args = vec![
        "evaluate", "--facts", facts.to_str().unwrap(), "--benchmark", "cis-1.12",
        "--check", "1.2.15,1.2.1", "--json", json.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = hardbench(&args);
    let console = text(&output);
    assert!(json.exists(), "{console}");
    (output.status.code(), read_json(json), console)
}

fn result<'a>(report: &'a Value, host: &str, id: &str) -> &'a Value {
    let host = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == host).unwrap();
    host["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()
}

#[test]
fn a_waiver_turns_a_failure_into_waived_and_an_attestation_decides_a_manual_check() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = write(dir.path(), "waivers.toml", WAIVERS);
    let attestations = write(dir.path(), "attestations.toml", ATTESTATIONS);
    let json = dir.path().join("report.json");

    // Without rules: 1.2.15 fails on cp-worst; 1.2.1 is manual there, marked as one that would fail.
    let (code, report, console) = evaluate(&[], &json);
    assert_eq!(code, Some(1), "{console}");
    assert_eq!(result(&report, "cp-worst", "1.2.15")["status"], "fail");
    let manual = result(&report, "cp-worst", "1.2.1");
    assert_eq!((&manual["status"], &manual["automated_verdict"]), (&json!("manual"), &json!("fail")));
    assert_eq!(report["summary"]["manual_failing"], 1);
    assert!(console.contains("(automated evaluation would fail)"), "{console}");

    // With the waivers: the only failure is waived, and the run passes the gate.
    let (code, report, console) = evaluate(&["--waivers", &waivers], &json);
    assert_eq!(code, Some(0), "{console}");
    let waived = result(&report, "cp-worst", "1.2.15");
    assert_eq!((&waived["status"], &waived["verdict"]), (&json!("waived"), &json!("fail")));
    assert_eq!(waived["waiver"]["approved_by"], "Security team (CHG-1234)");
    assert_eq!(waived["waiver"]["effect"], "applied");
    // The expired waiver over cp-best changes nothing: its checks pass anyway.
    assert_eq!(result(&report, "cp-best", "1.2.15")["status"], "pass");
    assert_eq!(result(&report, "cp-best", "1.2.15")["waiver"]["effect"], "not-needed");
    let states: Vec<&Value> = report["waivers"].as_array().unwrap().iter().map(|w| &w["state"]).collect();
    assert_eq!(states, [&json!("active"), &json!("expired"), &json!("unused")]);
    assert_eq!(report["waivers"][0]["covered"], json!([{"host": "cp-worst", "check": "1.2.15", "effect": "applied"}]));
    assert_eq!(report["summary"]["waived"], 1);
    let sha = Sha256::digest(WAIVERS.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(report["invocation"]["waivers"], json!({"path": waivers, "sha256": sha}));
    assert_eq!(report["invocation"]["command"], "evaluate");
    assert!(console.contains("WAIVED 1.2.15"), "{console}");
    assert!(console.contains("waivers: 1 active, 1 expired"), "{console}");

    // An attested failure of a manual check fails the gate again.
    let (code, report, console) = evaluate(&["--waivers", &waivers, "--attestations", &attestations], &json);
    assert_eq!(code, Some(1), "{console}");
    let attested = result(&report, "cp-worst", "1.2.1");
    assert_eq!((&attested["status"], &attested["verdict"]), (&json!("fail"), &json!("manual")));
    assert_eq!(attested["attestation"]["attested_by"], "J. Doe");
    assert_eq!(report["attestations"][0]["state"], "active");
}

#[test]
fn an_expired_waiver_does_not_apply_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = write(dir.path(), "waivers.toml", &WAIVERS.replacen("2099-12-31", "2026-01-31", 1));
    let json = dir.path().join("report.json");
    let (code, report, console) = evaluate(&["--waivers", &waivers], &json);
    assert_eq!(code, Some(1), "{console}");
    let failed = result(&report, "cp-worst", "1.2.15");
    assert_eq!((&failed["status"], &failed["waiver"]["effect"]), (&json!("fail"), &json!("expired")));
    assert!(console.contains("waiver expired on 2026-01-31: judged normally"), "{console}");
}

#[test]
fn a_bad_waivers_file_is_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = write(dir.path(), "waivers.toml", &WAIVERS.replacen("\"cp-worst\"", "\"cp-nowhere\"", 1));
    let json = dir.path().join("report.json");
    let facts = repo().join(FACTS);
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--waivers", &waivers, "--json", json.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{waivers}:4:9: waivers[0].hosts: no host is named \"cp-nowhere\"")), "{stderr}");
    assert!(!json.exists(), "nothing is written");
}

#[test]
fn waivers_lint_exits_0_when_all_is_well_1_when_something_expires_and_2_on_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoeor1PRjdpSnzFFpaD8CySUH6IqNVSajXFpTysMFYP";
    write(dir.path(), "known_hosts", &format!("192.0.2.1 {key}\n"));
    let inventory = dir.path().join("inventory.toml");
    let hosts = "[defaults]\nuser = \"audit\"\nknown_hosts = \"known_hosts\"\n\
[[hosts]]\nname = \"worker-1\"\naddress = \"192.0.2.1\"\nroles = [\"worker\"]\n";
    std::fs::write(&inventory, hosts).unwrap();
    let lint = |text: &str| {
        let waivers = write(dir.path(), "w.toml", text);
        hardbench(&["waivers", "lint", "--waivers", &waivers, "--inventory", inventory.to_str().unwrap()])
    };
    let valid = "[[waivers]]\nchecks = [\"4.2.1\"]\nroles = [\"worker\"]\nreason = \"r\"\napproved_by = \"a\"\nexpires = 2099-01-01\n";
    let output = lint(valid);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("waiver 1 (4.2.1 on role worker): valid until 2099-01-01"), "{}", text(&output));

    let output = lint(&valid.replace("2099-01-01", "2020-01-01"));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("expired on 2020-01-01"), "{}", text(&output));

    let soon = (chrono::Local::now().date_naive() + chrono::Days::new(10)).to_string();
    let output = lint(&valid.replace("2099-01-01", &soon));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("expires in 10 days"), "{}", text(&output));

    let output = lint(&valid.replace("roles = [\"worker\"]", "hosts = [\"no-such-host\"]"));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no host is named \"no-such-host\""), "{}", text(&output));
}

#[test]
fn a_selection_that_evaluates_nothing_is_exit_2() {
    let facts = repo().join(FACTS);
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--check", "1.2.15", "--skip", "1.2.15"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the selection evaluates no check: --check 1.2.15 --skip 1.2.15"), "{stderr}");
}

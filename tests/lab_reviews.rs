//! Waivers and attestations on a real audit: two lab workers (127.0.16.x)
//! audited over SSH with a waiver over worker-bad's failing file modes, an
//! expired waiver over its anonymous-auth failure, a waiver no host needs
//! (unused), and an attestation of its read-only port. Each shows in the
//! JSON, the JUnit and the console as the README says, and the exit code
//! still fails on what is not waived.

mod common;

use common::{text, Audit, Lab};
use serde_json::{json, Value};

const WAIVERS: &str = r#"
[[waivers]]
checks = ["4.1.*"]
hosts = ["worker-bad"]
reason = "file modes are fixed by the next image; tracked in OPS-12"
approved_by = "Platform security (CHG-2001)"
expires = 2099-06-30

[[waivers]]
checks = ["4.2.1"]
roles = ["worker"]
reason = "anonymous auth was needed for the old probe"
approved_by = "Platform security (CHG-1900)"
expires = 2025-12-31

[[waivers]]
checks = ["1.2.16"]
reason = "EventRateLimit breaks our admission webhook"
approved_by = "Platform security (CHG-1234)"
expires = 2099-06-30
"#;

const ATTESTATIONS: &str = r#"
[[attestations]]
checks = ["4.2.4"]
hosts = ["worker-bad"]
result = "fail"
attested_by = "J. Doe"
date = 2026-11-02
expires = 2099-11-02
evidence = "OPS-13: the read-only port answers on the node network"
"#;

fn result<'a>(report: &'a Value, host: &str, id: &str) -> &'a Value {
    let host = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == host).unwrap();
    host["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn waivers_and_attestations_apply_to_a_real_audit() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 16, &["worker-good", "worker-bad"]);
    let waivers = state.path().join("waivers.toml");
    let attestations = state.path().join("attestations.toml");
    std::fs::write(&waivers, WAIVERS).unwrap();
    std::fs::write(&attestations, ATTESTATIONS).unwrap();
    let out = state.path().join("out");
    let audit = Audit::run(
        &lab.inventory(),
        &out,
        &["--waivers", waivers.to_str().unwrap(), "--attestations", attestations.to_str().unwrap()],
    );
    drop(lab);
    // 4.2.1 (expired waiver) and 4.2.2 still fail on worker-bad.
    assert_eq!(audit.output.status.code(), Some(1), "{}", text(&audit.output));
    let report = audit.report();

    for id in ["4.1.1", "4.1.5", "4.1.9"] {
        let r = result(&report, "worker-bad", id);
        assert_eq!((&r["status"], &r["verdict"], &r["waiver"]["effect"]), (&json!("waived"), &json!("fail"), &json!("applied")), "{id}");
    }
    // The same checks pass on worker-good, which the waiver does not name.
    assert_eq!(result(&report, "worker-good", "4.1.1")["status"], "pass");
    assert!(result(&report, "worker-good", "4.1.1").get("waiver").is_none());
    let expired = result(&report, "worker-bad", "4.2.1");
    assert_eq!((&expired["status"], &expired["waiver"]["effect"]), (&json!("fail"), &json!("expired")));
    let attested = result(&report, "worker-bad", "4.2.4");
    assert_eq!((&attested["status"], &attested["verdict"]), (&json!("fail"), &json!("manual")));
    assert_eq!(attested["automated_verdict"], "fail");
    assert_eq!(attested["attestation"]["evidence"], "OPS-13: the read-only port answers on the node network");
    // Not attested on worker-good: still manual.
    assert_eq!(result(&report, "worker-good", "4.2.4")["status"], "manual");

    let states: Vec<&Value> = report["waivers"].as_array().unwrap().iter().map(|w| &w["state"]).collect();
    assert_eq!(states, [&json!("active"), &json!("expired"), &json!("unused")]);
    // It covers every 4.1 check of worker-bad; it changed the three that fail.
    let covered = report["waivers"][0]["covered"].as_array().unwrap();
    let applied: Vec<&Value> = covered.iter().filter(|c| c["effect"] == "applied").map(|c| &c["check"]).collect();
    assert_eq!(applied, [&json!("4.1.1"), &json!("4.1.5"), &json!("4.1.9")]);
    assert!(covered.iter().all(|c| c["host"] == "worker-bad") && covered.len() > 3, "{covered:?}");
    assert_eq!(report["attestations"][0]["state"], "active");
    assert_eq!(report["summary"]["waived"], 3);
    assert_eq!(report["invocation"]["attestations"]["path"], attestations.to_str().unwrap());

    let junit = std::fs::read_to_string(&audit.junit).unwrap();
    assert!(junit.contains("waived (fail)"), "{junit}");
    let console = String::from_utf8_lossy(&audit.output.stdout);
    assert!(console.contains("WAIVED 4.1.1"), "{console}");
    assert!(console.contains("waiver expired on 2025-12-31: judged normally"), "{console}");
    assert!(console.contains("attested fail by J. Doe on 2026-11-02"), "{console}");
    assert!(console.contains("waivers: 1 active, 1 expired"), "{console}");
}

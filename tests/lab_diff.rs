//! A diff between two real audits (127.0.46.x, worker-good and worker-bad):
//! a first run, then the kubelet config of worker-good made readable by all
//! (0644, inside that host's own mount namespace), then a run with
//! `--baseline` against the first. 4.1.9 regresses on worker-good, the
//! failures worker-bad had all along stay "still failing", and the exit
//! status follows `--fail-on`.

mod common;

use common::{hardbench, text, Audit, Lab};
use serde_json::Value;
use std::process::Command;

const NET: u8 = 46;

#[test]
fn a_file_mode_changed_between_two_audits_is_a_regression() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &["worker-good", "worker-bad"]);
    let inventory = lab.inventory();
    let benchmark = ["--benchmark", "cis-1.12"];

    // Exit 1 already: worker-bad fails, and worker-good runs an impostor.
    let first = Audit::run(&inventory, &state.path().join("first"), &benchmark);
    assert_eq!(first.output.status.code(), Some(1), "{}", text(&first.output));
    let result = |report: &Value, host: &str, id: &str| {
        let host = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == host).unwrap().clone();
        host["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()["status"].clone()
    };
    assert_eq!(result(&first.report(), "worker-good", "4.1.9"), "pass");

    // The hosts are listed in pids in inventory order: worker-good first.
    let pids = std::fs::read_to_string(lab.dir.join("pids")).unwrap();
    let pid = pids.lines().next().expect("a host's pid").trim().to_string();
    let status = Command::new("nsenter")
        .args(["-t", &pid, "-m", "--", "chmod", "0644", "/var/lib/kubelet/config.yaml"])
        .status()
        .expect("nsenter runs");
    assert!(status.success());

    // Known failures only count under the default rule; the regression
    // counts under both.
    let baseline = first.json.to_str().unwrap();
    for fail_on in ["fail", "regression"] {
        let second = Audit::run(
            &inventory,
            &state.path().join(format!("second-{fail_on}")),
            &[&benchmark[..], &["--baseline", baseline, "--fail-on", fail_on]].concat(),
        );
        assert_eq!(second.output.status.code(), Some(1), "{fail_on}: {}", text(&second.output));
        let report = second.report();
        assert_eq!(result(&report, "worker-good", "4.1.9"), "fail");
        let diff = &report["diff"];
        assert_eq!((&diff["summary"]["regressed"], &diff["summary"]["regressed_into_fail"]), (&Value::from(1), &Value::from(1)));
        assert_eq!(diff["summary"]["fixed"], 0);
        let worker_bad = diff["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "worker-bad").unwrap();
        assert!(!worker_bad["checks"].as_array().unwrap().iter().any(|c| c["category"] == "regressed"));
        assert!(worker_bad["checks"].as_array().unwrap().iter().any(|c| c["category"] == "still-failing"));
        let console = String::from_utf8_lossy(&second.output.stdout);
        assert!(console.contains("  worker-good: 1 regressed, 0 fixed, 0 still failing, "), "{console}");
        assert!(console.contains("    REGRESSED 4.1.9 "), "{console}");
    }

    // The same diff from the two saved reports, and the run after it with
    // nothing changed since: exit 0 under --fail-on regression, 1 without.
    // Only worker-bad is audited then: worker-good runs an impostor, which
    // fails every gate, known or not.
    let second = state.path().join("second-fail/report.json");
    let output = hardbench(&["diff", baseline, second.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    println!("hardbench diff FIRST SECOND:\n{}", String::from_utf8_lossy(&output.stdout));
    for (fail_on, code) in [("regression", 0), ("fail", 1)] {
        let third = Audit::run(
            &inventory,
            &state.path().join(format!("third-{fail_on}")),
            &[&benchmark[..], &["--limit", "worker-bad", "--baseline", second.to_str().unwrap(), "--fail-on", fail_on]]
                .concat(),
        );
        assert_eq!(third.output.status.code(), Some(code), "{fail_on}: {}", text(&third.output));
        assert_eq!(third.report()["diff"]["summary"]["regressed"], 0);
    }
    // With worker-good and its impostor, --fail-on regression fails too.
    let impostor = Audit::run(
        &inventory,
        &state.path().join("third-impostor"),
        &[&benchmark[..], &["--baseline", second.to_str().unwrap(), "--fail-on", "regression"]].concat(),
    );
    assert_eq!(impostor.output.status.code(), Some(1), "{}", text(&impostor.output));
    assert_eq!(impostor.report()["diff"]["summary"]["regressed"], 0);
}

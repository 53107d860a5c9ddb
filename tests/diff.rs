//! `hardbench diff` and `--baseline` with the real binary, on reports made
//! by `hardbench evaluate` from saved facts (no lab): the kubeadm fixture
//! set, and the same set with the kubelet config of worker-good made
//! readable by all (0644), so that 4.1.9 regresses there from pass to fail.

mod common;

use common::{hardbench, read_json, repo, text};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

struct Reports {
    tmp: tempfile::TempDir,
    /// The facts set as saved, and its report.
    before: PathBuf,
    old: PathBuf,
    /// The set with the mode changed, and its report.
    after: PathBuf,
    new: PathBuf,
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Both sets and their reports (each evaluation exits 1: the fixture set
/// has failing hosts by design).
fn reports() -> Reports {
    let tmp = tempfile::tempdir().unwrap();
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    for set in [&before, &after] {
        std::fs::create_dir(set).unwrap();
        for entry in std::fs::read_dir(repo().join("tests/fixtures/kubeadm")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), set.join(entry.file_name())).unwrap();
        }
    }
    let mut facts: Value = read_json(&after.join("worker-good.json"));
    let config = &mut facts["facts"]["files"]["/var/lib/kubelet/config.yaml"]["mode"];
    assert_eq!(*config, 0o600, "the fixture's kubelet config");
    *config = Value::from(0o644);
    let bytes = serde_json::to_vec_pretty(&facts).unwrap();
    std::fs::write(after.join("worker-good.json"), &bytes).unwrap();
    let mut index = read_json(&after.join("_index.json"));
    let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    for host in index["hosts"].as_array_mut().unwrap() {
        if host["host"] == "worker-good" {
            host["sha256"] = Value::from(sha256.clone());
        }
    }
    std::fs::write(after.join("_index.json"), serde_json::to_vec(&index).unwrap()).unwrap();

    let (old, new) = (tmp.path().join("old.json"), tmp.path().join("new.json"));
    for (set, report) in [(&before, &old), (&after, &new)] {
        let output = hardbench(&["evaluate", "--facts", path(set), "--benchmark", "cis-1.12", "--json", path(report)]);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    }
    Reports { tmp, before, old, after, new }
}

#[test]
fn a_regression_is_listed_under_its_host_and_is_exit_1() {
    let r = reports();
    let diff_json = r.tmp.path().join("diff.json");
    let output = hardbench(&["diff", path(&r.old), path(&r.new), "--json", path(&diff_json)]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let console = String::from_utf8_lossy(&output.stdout);
    let expected_host = "  worker-good: 1 regressed, 0 fixed, 0 still failing, 11 still passing, 13 incomparable\n    \
        REGRESSED 4.1.9 If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more \
        restrictive: pass -> fail\n";
    assert!(console.contains(expected_host), "{}", text(&output));
    assert!(console.contains("\nDiff: 1 regressed (1 into fail), 0 fixed, "), "{}", text(&output));
    assert!(output.stderr.is_empty(), "{}", text(&output));

    let diff = read_json(&diff_json);
    assert_eq!((&diff["schema"], &diff["exit_code"]), (&Value::from("hardbench.diff/v1"), &Value::from(1)));
    assert_eq!(diff["summary"]["regressed_into_fail"], 1);
    let worker = diff["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "worker-good").unwrap();
    let regressed: Vec<&Value> = worker["checks"].as_array().unwrap().iter().filter(|c| c["category"] == "regressed").collect();
    assert_eq!(regressed.len(), 1);
    assert_eq!((&regressed[0]["id"], &regressed[0]["old"]["status"], &regressed[0]["new"]["status"]), (&"4.1.9".into(), &"pass".into(), &"fail".into()));

    // The other way round it is a fix, and nothing regressed: exit 0.
    let output = hardbench(&["diff", path(&r.new), path(&r.old)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("    FIXED     4.1.9 "), "{}", text(&output));
}

/// `--json -`: the diff's JSON alone on standard output, the console on
/// standard error.
#[test]
fn json_to_standard_output_sends_the_console_to_standard_error() {
    let r = reports();
    let output = hardbench(&["diff", path(&r.old), path(&r.old), "--json", "-"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let diff: Value = serde_json::from_slice(&output.stdout).expect("stdout is the JSON alone");
    assert_eq!((&diff["summary"]["regressed"], &diff["exit_code"]), (&Value::from(0), &Value::from(0)));
    assert!(String::from_utf8_lossy(&output.stderr).contains("\nDiff: 0 regressed (0 into fail), 0 fixed, "), "{}", text(&output));
}

#[track_caller]
fn assert_bad_input(args: &[&str], message: &str) {
    let output = hardbench(args);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(message), "stderr should contain {message:?}:\n{}", text(&output));
    assert!(output.stdout.is_empty(), "nothing is reported:\n{}", text(&output));
}

#[test]
fn bad_input_to_diff_is_exit_2_and_writes_nothing() {
    let r = reports();
    let (old, new) = (path(&r.old), path(&r.new));
    let missing = r.tmp.path().join("missing.json");
    let facts = r.before.join("worker-good.json");
    let out = r.tmp.path().join("diff.json");
    let new_before = std::fs::read(&r.new).unwrap();
    assert_bad_input(&["diff", path(&missing), new], &format!("cannot read {}", missing.display()));
    assert_bad_input(&["diff", old, path(&facts)], &format!("{}: not a hardbench JSON report: schema \"hardbench.facts/v1\"", facts.display()));
    let broken = r.tmp.path().join("broken.json");
    let text_of_old = std::fs::read_to_string(&r.old).unwrap();
    std::fs::write(&broken, text_of_old.replacen("\"status\": \"pass\"", "\"status\": \"passed\"", 1)).unwrap();
    assert_bad_input(
        &["diff", path(&broken), new, "--json", path(&out)],
        &format!("{}: not a hardbench JSON report: invalid value: string \"passed\", expected one of pass, fail, ", broken.display()),
    );
    assert_bad_input(&["diff", old, new, "--json", path(r.tmp.path())], "is a directory; give a file name");
    assert_bad_input(&["diff", old, new, "--json", new], "NEW.json and --json both name");
    assert_bad_input(&["diff", old, new, "--json", "/dev/null"], "is a character device");
    assert!(!out.exists(), "no diff is written");
    assert_eq!(std::fs::read(&r.new).unwrap(), new_before, "the report named by --json is left alone");
}

/// `evaluate --baseline`: the diff ends the console and is in the JSON
/// report; `--fail-on regression` gates on regressions into fail only.
#[test]
fn a_baseline_adds_the_diff_and_fail_on_regression_ignores_known_failures() {
    let r = reports();
    let out = r.tmp.path().join("report.json");
    let evaluate = |set: &Path, fail_on: &str| {
        hardbench(&[
            "evaluate", "--facts", path(set), "--benchmark", "cis-1.12", "--json", path(&out),
            "--baseline", path(&r.old), "--fail-on", fail_on,
        ])
    };
    // Known failures only: exit 1 by default, 0 under --fail-on regression.
    let output = evaluate(&r.before, "fail");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let output = evaluate(&r.before, "regression");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(console.contains(&format!("\n\nChanges from {} (run of ", r.old.display())), "{}", text(&output));
    assert!(console.contains(" to this run (of "), "{}", text(&output));
    let report = read_json(&out);
    assert_eq!((&report["fail_on"], &report["exit_code"]), (&Value::from("regression"), &Value::from(0)));
    assert!(report["summary"]["fail"].as_u64().unwrap() > 0, "the known failures are still reported");
    assert_eq!(report["diff"]["summary"]["still_failing"], report["summary"]["fail"]);

    // The regression fails either way.
    for fail_on in ["fail", "regression"] {
        let output = evaluate(&r.after, fail_on);
        assert_eq!(output.status.code(), Some(1), "{fail_on}: {}", text(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains("    REGRESSED 4.1.9 "), "{}", text(&output));
        let report = read_json(&out);
        assert_eq!(report["diff"]["summary"]["regressed_into_fail"], 1);
        assert_eq!((&report["fail_on"], &report["exit_code"]), (&Value::from(fail_on), &Value::from(1)));
    }
}

/// A baseline that cannot be used is bad input, found before anything is
/// contacted (the inventory's host would refuse a connection: exit 3).
#[test]
fn a_bad_baseline_is_exit_2_before_any_host_is_contacted() {
    let r = reports();
    let dir = r.tmp.path();
    let key = dir.join("id");
    std::fs::write(&key, "never read").unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::write(dir.join("known_hosts"), "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n").unwrap();
    let inventory = dir.join("inventory.toml");
    std::fs::write(
        &inventory,
        format!(
            "[defaults]\nuser = \"audit\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\n\
             [[hosts]]\nname = \"cp-1\"\naddress = \"127.0.0.1\"\nport = 1\nroles = [\"control-plane\"]\n",
            key.display(),
            dir.join("known_hosts").display()
        ),
    )
    .unwrap();
    let out = dir.join("report.json");
    let run = ["run", "--no-progress", "--inventory", path(&inventory), "--json", path(&out)];
    let facts = r.before.join("_index.json");
    assert_bad_input(&[&run[..], &["--baseline", path(&facts)]].concat(), "not a hardbench JSON report: schema \"hardbench.facts-index/v1\"");
    assert_bad_input(&[&run[..], &["--baseline", path(dir)]].concat(), "it is a directory, not a regular file");
    assert_bad_input(&[&run[..], &["--fail-on", "regression"]].concat(), "--baseline <OLD.json>");
    let evaluate = ["evaluate", "--facts", path(&r.before), "--json", path(&out)];
    assert_bad_input(&[&evaluate[..], &["--baseline", path(&dir.join("none.json"))]].concat(), "cannot read ");
    assert_bad_input(&[&evaluate[..], &["--fail-on", "regression"]].concat(), "--baseline <OLD.json>");
    assert!(!out.exists(), "no report is written");
    // The same inventory with a good baseline gets as far as the host: exit 3.
    let output = hardbench(&[&run[..], &["--baseline", path(&r.old), "--fail-on", "regression"]].concat());
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let report = read_json(&out);
    assert_eq!(report["diff"]["summary"]["hosts_added"], 1, "cp-1 is not in the fixture set");
    assert_eq!(report["diff"]["summary"]["hosts_removed"], 4);
}

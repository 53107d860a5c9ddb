//! The command line as a user meets it: bad input of every kind is exit 2
//! with a message that names the problem, and nothing is contacted.

mod common;

use common::{hardbench, repo, text};
use sha2::Digest;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// An inventory whose one host would be contacted if anything got that far:
/// port 1 on loopback refuses at once, which would be exit 3, not 2.
fn inventory(dir: &Path) -> String {
    let key = dir.join("id");
    std::fs::write(&key, "not a key, never read: nothing is contacted").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Under the default strict policy, a missing or empty known_hosts is bad input.
    std::fs::write(dir.join("known_hosts"), "127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n").unwrap();
    let path = dir.join("inventory.toml");
    std::fs::write(
        &path,
        format!(
            "[defaults]\nuser = \"audit\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\n\
             [[hosts]]\nname = \"cp-1\"\naddress = \"127.0.0.1\"\nport = 1\nroles = [\"control-plane\"]\n",
            key.display(),
            dir.join("known_hosts").display()
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[track_caller]
fn assert_bad_input(args: &[&str], message: &str) {
    let output = hardbench(args);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(message), "stderr should contain {message:?}:\n{}", text(&output));
    assert!(output.stdout.is_empty(), "nothing is reported:\n{}", text(&output));
}

/// Bad flags and inventories are tests/bad_input.rs; these are the
/// selection flags and the benchmark choice.
#[test]
fn bad_selections_are_exit_2_before_any_host_is_contacted() {
    let dir = tempfile::tempdir().unwrap();
    let good = inventory(dir.path());
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[defaults]\nprot = 22\n\n[[hosts]]\nname = \"a\"\naddress = \"\"\nroles = [\"master\"]\n").unwrap();
    let broken = broken.display().to_string();

    assert_bad_input(&["run", "--inventory", &broken], "hosts[0].roles");
    assert_bad_input(&["validate", "--inventory", &broken], "errors in the inventory");
    assert_bad_input(&["run", "--inventory", &good, "--benchmark", "cis-0.1"], "unknown benchmark \"cis-0.1\"");
    // Under auto, a check id must be one of some benchmark the run may use.
    let every = hardbench::benchmark::builtin_ids().join(", ");
    assert_bad_input(&["run", "--inventory", &good, "--check", "9.9"], &format!("--check 9.9: no check of {every} has"));
    assert_bad_input(&["run", "--inventory", &good, "--skip", "1.x"], "is not a check id or section");
    assert_bad_input(&["run", "--inventory", &good, "--limit", "cp-9"], "cp-9");
    assert_bad_input(&["run", "--inventory", &good, "--concurrency", "0"], "--concurrency");
}

#[test]
fn an_unreachable_host_is_a_result_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory(dir.path());
    let json = dir.path().join("report.json");
    let output = hardbench(&["run", "--inventory", &inventory, "--json", json.to_str().unwrap(), "--no-progress"]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["hosts"][0]["status"], "error");
    assert_eq!(report["hosts"][0]["error"]["kind"], "connect");
    assert_eq!(report["summary"]["hosts_error"], 1);
}

#[test]
fn validate_and_list_checks_work_without_contacting_anything() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = inventory(dir.path());
    let output = hardbench(&["validate", "--inventory", &inventory]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 hosts, valid"), "{}", text(&output));
    assert!(output.stderr.is_empty(), "no warning for a sound inventory: {}", text(&output));

    let output = hardbench(&["list-checks"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(listing.contains("1.2.15   control-plane  automated yes"), "{listing}");
    assert!(listing.contains("4.2.4    worker         manual    no"), "{listing}");
}

#[test]
fn every_subcommand_explains_its_flags_with_examples_and_exit_codes() {
    for subcommand in ["run", "evaluate", "list-checks", "list-benchmarks", "validate", "print-script"] {
        let output = hardbench(&[subcommand, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Example"), "{subcommand} --help has an example:\n{help}");
    }
    let help = String::from_utf8_lossy(&hardbench(&["run", "--help"]).stdout).to_string();
    for line in [
        "0  every evaluated check passed",
        "1  at least one check failed",
        "2  bad input",
        "3  at least one host",
        "4  a report (JSON, JUnit, HTML, metrics, console or saved facts) could not be written",
        "The JSON report's exit_code is always the process's exit status",
    ] {
        assert!(help.contains(line), "run --help lists exit code {line:?}");
    }
}

/// Saved facts of the lab's compliant worker, evaluated with the roles the
/// inventory gave it replaced by `roles` (`None`: detected).
fn evaluate_worker_as(roles: Option<&[&str]>) -> (std::process::Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts");
    std::fs::create_dir(&facts).unwrap();
    let source = common::repo().join("tests/fixtures/kubeadm/worker-good.json");
    let mut saved: serde_json::Value = serde_json::from_slice(&std::fs::read(source).unwrap()).unwrap();
    saved["roles"] = serde_json::json!(roles);
    let bytes = serde_json::to_vec(&saved).unwrap();
    std::fs::write(facts.join("worker-good.json"), &bytes).unwrap();
    // A saved set is whole only with its index, which records the same roles.
    let index_path = common::repo().join("tests/fixtures/kubeadm/_index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(index_path).unwrap()).unwrap();
    let mut host = index["hosts"].as_array().unwrap().iter().find(|h| h["host"] == "worker-good").unwrap().clone();
    host["roles"] = serde_json::json!(roles);
    host["sha256"] = serde_json::json!(format!("{:x}", sha2::Sha256::digest(&bytes)));
    index["hosts"] = serde_json::json!([host]);
    std::fs::write(facts.join("_index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let json = dir.path().join("report.json");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--json", json.to_str().unwrap()]);
    let report = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    (output, report)
}

/// A worker declared a control plane gets dozens of errors; the report says
/// once, on the host, that its roles may be wrong and why.
#[test]
fn declared_roles_that_disagree_with_the_running_components_are_pointed_out_once() {
    let (output, report) = evaluate_worker_as(Some(&["control-plane"]));
    assert_eq!(output.status.code(), Some(3), "the control-plane checks are errors:\n{}", text(&output));
    let host = &report["hosts"][0];
    let notes = host["notes"].as_array().unwrap_or_else(|| panic!("the host has notes: {host}"));
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = notes[0].as_str().unwrap();
    for part in [
        "the roles may be wrong: the inventory declares control-plane, but kubelet and kube-proxy run on it (worker)",
        "no control-plane component runs, and ",
        "worker is not declared, so its checks were not run",
        "remove them to have them detected",
    ] {
        assert!(note.contains(part), "{part:?} in {note:?}");
    }
    let console = String::from_utf8_lossy(&output.stdout);
    assert_eq!(console.matches("the roles may be wrong").count(), 1, "once per host:\n{console}");
    // Right under the host's summary line, wrapped like the remediation.
    let lines: Vec<&str> = console.lines().collect();
    assert!(lines[0].starts_with("worker-good (") && lines[1].starts_with("  note: the roles may be wrong"), "{console}");
    let wrapped: Vec<&str> = lines[1..].iter().take_while(|l| l.starts_with("        ") || l.starts_with("  note: ")).copied().collect();
    assert!(wrapped.len() > 1 && wrapped.iter().all(|l| l.len() <= 100), "{wrapped:#?}");
    assert_eq!(wrapped.iter().flat_map(|l| l.split_whitespace()).skip(1).collect::<Vec<_>>().join(" "), note);

    // Roles that agree, or detected ones, give no note.
    for roles in [Some(&["worker"][..]), None] {
        let (output, report) = evaluate_worker_as(roles);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        assert!(report["hosts"][0].get("notes").is_none(), "{roles:?}: {}", report["hosts"][0]);
        assert!(!String::from_utf8_lossy(&output.stdout).contains("roles may be wrong"), "{}", text(&output));
    }
}

/// A setting set nowhere, with no default known, reads as such: no
/// invented reference ("default per no default known").
#[test]
fn an_absent_setting_without_a_known_default_reads_naturally() {
    let (output, report) = evaluate_worker_as(None);
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(!console.contains("default per no default known"), "{console}");
    assert!(
        console.contains("4.2.7 Ensure that the --hostname-override argument is not set; observed: absent (no kubelet default known)"),
        "{console}"
    );
    let results = report["hosts"][0]["results"].as_array().unwrap();
    let hostname = results.iter().find(|r| r["id"] == "4.2.7").unwrap();
    assert_eq!(hostname["sources"], serde_json::json!([{"kind": "unset", "component": "kubelet"}]));
}

#[test]
fn list_checks_takes_auto_as_the_newest_benchmark_and_names_the_known_ones() {
    for args in [&["list-checks", "--benchmark", "auto"][..], &["list-checks"]] {
        let output = hardbench(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        let listing = String::from_utf8_lossy(&output.stdout);
        let first = listing.lines().next().unwrap_or_default();
        assert!(first.contains("(auto: the newest benchmark known)"), "{args:?}: {first}");
        assert!(listing.contains("1.2.15   control-plane  automated yes"), "{listing}");
    }
    let output = hardbench(&["list-checks", "--benchmark", "cis-0.1"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let known = hardbench::benchmark::builtin_ids().join(", ");
    assert_eq!(
        stderr,
        format!("hardbench: unknown benchmark \"cis-0.1\"; known: {known}, auto, or the path of a benchmark directory\n")
    );
}

#[test]
fn list_benchmarks_names_every_built_in_one_and_list_checks_takes_each_id() {
    let output = hardbench(&["list-benchmarks"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    let mut lines = listing.lines();
    assert_eq!(lines.next().unwrap().split_whitespace().collect::<Vec<_>>(), ["ID", "PLATFORM", "KUBERNETES", "CHECKS", "AUTOMATED", "MANUAL", "TITLE"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split_whitespace().collect()).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(ids, hardbench::benchmark::builtin_ids(), "every built-in benchmark, in version order");
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    assert_eq!(row("cis-1.12")[..6], ["cis-1.12", "kubeadm", "1.32,1.33", "97", "65", "32"]);
    // Columns line up, also after a long list of Kubernetes minors (k3s, RKE2).
    let title_at = listing.lines().next().unwrap().find("TITLE").unwrap();
    for (line, row) in listing.lines().skip(1).zip(&rows) {
        assert_eq!(line.find(&row[6..].join(" ")), Some(title_at), "{line}");
    }
    for id in hardbench::benchmark::builtin_ids() {
        let output = hardbench(&["list-checks", "--benchmark", id]);
        assert_eq!(output.status.code(), Some(0), "{id}: {}", text(&output));
        let listing = String::from_utf8_lossy(&output.stdout);
        let count = listing.lines().count() - 2;
        assert_eq!(listing.lines().next().unwrap(), format!("{} ({count} checks)", row(id)[6..].join(" ")));
        assert_eq!(count.to_string(), row(id)[3], "{id}");
    }
}

#[test]
fn level_1_leaves_the_level_2_checks_out() {
    let all = String::from_utf8_lossy(&hardbench(&["list-checks", "--benchmark", "cis-1.12"]).stdout).to_string();
    let level_1 = String::from_utf8_lossy(&hardbench(&["list-checks", "--benchmark", "cis-1.12", "--level", "1"]).stdout).to_string();
    assert!(all.contains("4.2.8    worker         manual    no       2      "), "{all}");
    assert!(!level_1.contains("4.2.8 "), "{level_1}");
    assert_eq!(all.lines().count(), level_1.lines().count() + 1, "only 4.2.8 is Level 2 in cis-1.12");
    let level_2 = String::from_utf8_lossy(&hardbench(&["list-checks", "--benchmark", "cis-1.12", "--level", "2"]).stdout).to_string();
    assert_eq!(level_2, all, "Level 2 includes Level 1");

    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let facts = fixtures();
    for (level, expected) in [(None, true), (Some("1"), false), (Some("2"), true)] {
        let mut args = vec!["evaluate", "--facts", &facts, "--benchmark", "cis-1.12", "--json", json.to_str().unwrap()];
        args.extend(level.iter().flat_map(|l| ["--level", *l]));
        let output = hardbench(&args);
        assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let worker = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "worker-good").unwrap();
        let results = worker["results"].as_array().unwrap();
        let found = results.iter().find(|r| r["id"] == "4.2.8");
        assert_eq!(found.is_some(), expected, "--level {level:?}");
        if let Some(result) = found {
            assert_eq!(result["level"], 2);
        }
        assert!(results.iter().filter(|r| r["id"] != "4.2.8").all(|r| r["level"] == 1));
    }
    assert_bad_input(&["list-checks", "--level", "3"], "--level");
}

#[test]
fn a_benchmark_directory_of_ones_own_extends_a_built_in_one_with_the_same_validation() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("tailored");
    std::fs::create_dir(&own).unwrap();
    std::fs::write(
        own.join("benchmark.toml"),
        "id = \"acme-1.12\"\ntitle = \"ACME tailoring of CIS v1.12\"\nkubernetes = [\"1.33\"]\nextends = \"cis-1.12\"\ndrop = [\"1.1.12\"]\n",
    )
    .unwrap();
    std::fs::write(own.join("ours.toml"), "[[checks]]\nid = \"1.2.17\"\ntitle = \"Audit logs kept 90 days\"\ntest = { setting = \"kube-apiserver --audit-log-maxage\", op = \"gte\", value = 90 }\n").unwrap();
    let path = own.to_str().unwrap();
    let output = hardbench(&["list-checks", "--benchmark", path]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(listing.starts_with("ACME tailoring of CIS v1.12 (96 checks)\n"), "{listing}");
    assert!(listing.contains("1.2.17   control-plane  automated yes      1      Audit logs kept 90 days"), "{listing}");
    assert!(!listing.contains("1.1.12 "), "{listing}");

    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let facts = fixtures();
    let output = hardbench(&["evaluate", "--facts", &facts, "--benchmark", path, "--json", json.to_str().unwrap()]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["benchmark"]["id"], "acme-1.12");
    let cp = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "cp-good").unwrap();
    let maxage = cp["results"].as_array().unwrap().iter().find(|r| r["id"] == "1.2.17").unwrap();
    assert_eq!(maxage["status"], "fail", "cp-good keeps 30 days, the tailoring asks for 90: {maxage}");

    // The same strict validation: a problem names the user's file, line and key.
    std::fs::write(own.join("ours.toml"), "[[checks]]\nid = \"1.2.17\"\nlevel = 4\n").unwrap();
    let output = hardbench(&["list-checks", "--benchmark", path]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{path}/ours.toml:3:9: checks[0].level: level \"4\": the CIS profile level is 1 or 2")), "{stderr}");
}

/// The kubeadm fixtures: four saved hosts, cp-bad and worker-bad failing.
fn fixtures() -> String {
    repo().join("tests/fixtures/kubeadm").display().to_string()
}

#[test]
fn json_to_standard_output_sends_the_console_to_standard_error() {
    let output = hardbench(&["evaluate", "--facts", &fixtures(), "--benchmark", "cis-1.12", "--json", "-"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is the JSON report alone");
    assert_eq!(report["exit_code"], 1);
    let console = String::from_utf8_lossy(&output.stderr);
    assert!(console.contains("cp-bad") && console.contains("FAIL"), "{console}");

    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let args = ["evaluate", "--facts", &fixtures(), "--junit", "-", "--json", json.to_str().unwrap()];
    let output = hardbench(&args);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("<?xml"), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cp-bad"), "{}", text(&output));
    assert_eq!(common::read_json(&json)["exit_code"], 1);
}

/// Runs hardbench in a private mount namespace where `full` is a tmpfs of
/// one page, so that a report written there fails with ENOSPC after every
/// path was checked; returns its output and the files left in `full`.
fn with_a_full_disk(full: &Path, args: &[&str]) -> (std::process::Output, String) {
    let script = r#"full=$1; shift
mount -t tmpfs -o size=4k tmpfs "$full" || exit 99
"$@"; status=$?
echo "left in the full directory: [$(ls -A "$full")]" >&2
exit $status"#;
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(full)
        .arg(env!("CARGO_BIN_EXE_hardbench"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("unshare runs");
    assert_ne!(output.status.code(), Some(99), "the tmpfs could not be mounted: {}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let left = stderr.lines().find_map(|l| l.strip_prefix("left in the full directory: ")).expect("listing").to_string();
    (output, left)
}

#[test]
fn a_report_that_cannot_be_written_loses_no_other_and_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let (json, junit) = (dir.path().join("report.json"), dir.path().join("report.xml"));
    let facts = fixtures();

    // The JSON cannot be written: the JUnit and the console still are.
    let full_json = full.join("report.json");
    let (output, left) = with_a_full_disk(
        &full,
        &["evaluate", "--facts", &facts, "--json", full_json.to_str().unwrap(), "--junit", junit.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("cannot write {}: No space left on device", full_json.display())), "{stderr}");
    assert!(stderr.contains("every other report is still written (exit status 4)"), "{stderr}");
    assert_eq!(left, "[]", "no temporary file is left: {stderr}");
    common::assert_well_formed_xml(&junit);
    assert!(String::from_utf8_lossy(&output.stdout).contains("cp-bad"), "the console report: {}", text(&output));

    // The JUnit cannot be written: the JSON says exit_code 4, as the process.
    let full_junit = full.join("report.xml");
    let (output, left) = with_a_full_disk(
        &full,
        &["evaluate", "--facts", &facts, "--json", json.to_str().unwrap(), "--junit", full_junit.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert_eq!(left, "[]", "{}", text(&output));
    assert_eq!(common::read_json(&json)["exit_code"], 4);
    assert!(String::from_utf8_lossy(&output.stdout).contains("cp-bad"), "the console report: {}", text(&output));
}

//! The command line as a user meets it: bad input of every kind is exit 2
//! with a message that names the problem, and nothing is contacted.

mod common;

use common::{hardbench, text};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

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
    assert_bad_input(&["run", "--inventory", &good, "--check", "9.9"], "--check 9.9: no check of cis-1.12");
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
    for subcommand in ["run", "evaluate", "list-checks", "validate"] {
        let output = hardbench(&[subcommand, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Example"), "{subcommand} --help has an example:\n{help}");
    }
    let help = String::from_utf8_lossy(&hardbench(&["run", "--help"]).stdout).to_string();
    for line in ["0  every evaluated check passed", "1  at least one check failed", "2  bad input", "3  at least one host"] {
        assert!(help.contains(line), "run --help lists exit code {line:?}");
    }
}

//! The audit user as README's "Preparing hosts for audits" sets it up, on
//! real lab hosts (lab net 32), both ways:
//! - `become = "sudo"` with the sudoers rule the guide gives for `sh -s`
//!   (host audit-sudo), which is still a root shell for the key's holder;
//! - `become = "sudo-script:PATH"` with the script `hardbench print-script`
//!   prints installed root's (host audit-script), and a sudoers rule for
//!   that file only: `sudo -n sh` is refused, the verdicts are the same as
//!   the first way's; another file at the path is an error naming both
//!   hashes, and the script where the audit user could change it (the file
//!   or the directory above it) is refused, never run;
//! - the same install on a host whose stat and sha256sum are busybox's
//!   (audit-script-busybox), and on one whose stat never ends for the
//!   script (audit-script-flood): past its deadline, the script's hang-up
//!   watch stops it, run as an installed file as under `sh -s`.

mod common;

use common::processes::{assert_gone_within_3s, pid_namespace};
use common::{hardbench, text, Audit, Lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const INSTALLED: &str = "/usr/local/libexec/hardbench-gather";

/// The sha256 of `bytes` as `sha256sum` prints it (the tool, not our code).
fn sha256sum(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout).unwrap().split(' ').next().unwrap().to_string()
}

/// OpenSSH as the audit user on `address`, running `command` with `stdin`.
fn ssh(lab: &Path, address: &str, command: &str, stdin: &str) -> Output {
    let mut child = Command::new("ssh")
        .arg("-i")
        .arg(lab.join("id_ed25519"))
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", lab.join("known_hosts").display()))
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
        .arg(format!("hbaudit@{address}"))
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn inventory(lab: &Path) -> String {
    let lab = lab.display();
    let host = |name: &str, address: &str, become_method: &str| {
        format!("\n[[hosts]]\nname = \"{name}\"\naddress = \"{address}\"\nbecome = \"{become_method}\"\n")
    };
    let pinned = |path: &str| format!("sudo-script:{path}");
    let mut text = format!(
        "[defaults]\nuser = \"hbaudit\"\nidentity_file = \"{lab}/id_ed25519\"\n\
         known_hosts = \"{lab}/known_hosts\"\nssh_config = \"\"\nconnect_timeout = \"5s\"\n\
         command_timeout = \"30s\"\n"
    );
    text += &host("sudo", "127.0.32.1", "sudo");
    text += &host("pinned", "127.0.32.2", &pinned(INSTALLED));
    text += &host("pinned-busybox", "127.0.32.3", &pinned(INSTALLED));
    text += &host("pinned-flood", "127.0.32.4", &pinned(INSTALLED));
    text += "command_timeout = \"3s\"\n";
    text += &host("shell-on-pinned", "127.0.32.2", "sudo");
    text += &host("old", "127.0.32.2", &pinned("/usr/local/libexec/hardbench-gather-old"));
    text += &host("theirs", "127.0.32.2", &pinned("/usr/local/libexec/hardbench-gather-theirs"));
    text += &host("their-dir", "127.0.32.2", &pinned("/usr/local/libexec/hbaudit/hardbench-gather"));
    text
}

/// Check id -> status of a host of the JSON report.
fn verdicts(host: &Value) -> BTreeMap<String, String> {
    host["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn the_audit_user_with_sudo_sh_and_with_the_installed_script() {
    let state = tempfile::tempdir().unwrap();

    // The script as an operator gets it: printed byte for byte, with the
    // sha256 that sha256sum gives.
    let printed = hardbench(&["print-script"]);
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed));
    assert_eq!(printed.stdout, include_bytes!("../src/gather.sh"));
    assert!(printed.stdout.starts_with(b"#!/bin/sh\n"));
    let embedded = sha256sum(&printed.stdout);
    let hashed = hardbench(&["print-script", "--sha256"]);
    assert_eq!(String::from_utf8_lossy(&hashed.stdout), format!("{embedded}\n"), "{}", text(&hashed));
    let script = state.path().join("hardbench-gather");
    std::fs::write(&script, &printed.stdout).unwrap();

    let lab = Lab::up_with(
        &state.path().join("lab"),
        32,
        &["--script", script.to_str().unwrap()],
        &["audit-sudo", "audit-script", "audit-script-busybox", "audit-script-flood"],
    );

    // The key as the guide installs it: usable from the bastion only
    // (here 127.0.0.1, the source address of loopback connections), with
    // `restrict`.
    let public = std::fs::read_to_string(lab.dir.join("id_ed25519.pub")).unwrap();
    let authorized_keys = lab.dir.join("authorized_keys");
    std::fs::write(&authorized_keys, format!("from=\"127.0.0.1\",restrict {public}")).unwrap();

    // What each sudoers rule grants, asked of sudo over SSH. The `sh -s`
    // rule refuses other commands but is a root shell all the same.
    let refused = ssh(&lab.dir, "127.0.32.1", "sudo -n id -u", "");
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("a password is required"), "{}", text(&refused));
    let shell = ssh(&lab.dir, "127.0.32.1", "sudo -n env LC_ALL=C sh -s -- anything", "id -u\n");
    assert_eq!((shell.status.code(), String::from_utf8_lossy(&shell.stdout).as_ref()), (Some(0), "0\n"), "{}", text(&shell));
    // The script rule allows that file, and no shell.
    for denied in ["sudo -n sh -c 'id -u'", "sudo -n env LC_ALL=C sh -s --", "sudo -n -l /bin/sh"] {
        let output = ssh(&lab.dir, "127.0.32.2", denied, "id -u\n");
        assert_eq!(output.status.code(), Some(1), "{denied}: {}", text(&output));
        assert_eq!(output.stdout, b"", "{denied}: {}", text(&output));
    }
    for allowed in [
        INSTALLED,
        "/usr/local/libexec/hardbench-gather-old",
        "/usr/local/libexec/hardbench-gather-theirs",
        "/usr/local/libexec/hbaudit/hardbench-gather",
    ] {
        let output = ssh(&lab.dir, "127.0.32.2", &format!("sudo -n -l {allowed}"), "");
        assert_eq!(output.status.code(), Some(0), "sudoers allows {allowed}: {}", text(&output));
    }

    let inventory_path = state.path().join("inventory.toml");
    std::fs::write(&inventory_path, inventory(&lab.dir)).unwrap();
    let validated = hardbench(&["validate", "--inventory", inventory_path.to_str().unwrap()]);
    assert_eq!(validated.status.code(), Some(0), "{}", text(&validated));

    let audit = Audit::run(&inventory_path, &state.path().join("out"), &[]);
    let run_ended = Instant::now();
    // Five hosts cannot be audited: exit 3.
    assert_eq!(audit.output.status.code(), Some(3), "{}", text(&audit.output));
    let report = audit.report();
    let host = |name: &str| report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == name).unwrap().clone();

    // Both ways give the same verdicts, on the same kind of host (worker-bad:
    // some checks fail), and so does the host with busybox's tools.
    let sudo = host("sudo");
    assert_eq!(sudo["status"], "ok", "{sudo:#}");
    let expected = verdicts(&sudo);
    assert!(expected.values().any(|s| s == "fail") && expected.values().any(|s| s == "pass"), "{expected:?}");
    assert!(!expected.values().any(|s| s == "error"), "{expected:?}");
    for name in ["pinned", "pinned-busybox"] {
        let pinned = host(name);
        assert_eq!(pinned["status"], "ok", "{pinned:#}");
        assert_eq!(pinned["roles"], sudo["roles"], "{name}");
        assert_eq!(verdicts(&pinned), expected, "{name}");
        assert_eq!((&pinned["sudo"], &pinned["effective_user"]), (&Value::Bool(true), &Value::from("root")), "{pinned:#}");
    }

    // The pinned host allows no shell: `become = "sudo"` is refused there.
    let shell = host("shell-on-pinned");
    assert_eq!(shell["status"], "error", "{shell:#}");
    assert_eq!(shell["error"]["kind"], "sudo", "{shell:#}");
    assert_eq!(shell["error"]["message"], "sudo requires a password for user hbaudit on shell-on-pinned (127.0.32.2:22)");

    // Another file at the path: both hashes named, and it never ran.
    let old_text = std::fs::read_to_string(common::repo().join("tests/lab/profiles/audit-script/old-gather.sh"))
        .unwrap()
        .replace("@BIN@", &lab.dir.join("bin").display().to_string());
    let old_sha = sha256sum(old_text.as_bytes());
    let old = host("old");
    assert_eq!(old["status"], "error", "{old:#}");
    assert_eq!(old["error"]["kind"], "script-mismatch", "{old:#}");
    assert_eq!(
        old["error"]["message"],
        format!(
            "/usr/local/libexec/hardbench-gather-old on old (127.0.32.2:22) has sha256 {old_sha}, but this \
             hardbench ({}) runs only the script with sha256 {embedded}: install the output of `hardbench \
             print-script` of this hardbench there (README, \"Preparing hosts for audits\"); it was not run",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(!lab.dir.join("script-ran").exists(), "the other script must never run");

    // The embedded script, but where the audit user can change it: refused
    // (sudoers would have run it), so no facts come back.
    let uid = String::from_utf8(Command::new("id").args(["-u", "hbaudit"]).output().unwrap().stdout).unwrap();
    let uid = uid.trim();
    for (name, path, why) in [
        (
            "theirs",
            "/usr/local/libexec/hardbench-gather-theirs",
            format!("/usr/local/libexec/hardbench-gather-theirs is owned by uid {uid}, not root"),
        ),
        (
            "their-dir",
            "/usr/local/libexec/hbaudit/hardbench-gather",
            format!("/usr/local/libexec/hbaudit is owned by uid {uid}, not root"),
        ),
    ] {
        let refused = host(name);
        assert_eq!(refused["status"], "error", "{refused:#}");
        assert_eq!(refused["error"]["kind"], "script-unsafe", "{refused:#}");
        assert_eq!(
            refused["error"]["message"],
            format!(
                "refusing to run {path} on {name} (127.0.32.2:22) as root: {why}; a user other than root \
                 could change what sudo runs, so it was not run"
            )
        );
        assert_eq!(refused["results"], serde_json::json!([]), "{refused:#}");
    }

    // The script whose stat never ends timed out, and its hang-up watch
    // stopped it and what it started: nothing of the audit is left on the
    // host (no sshd session, wrapper, sudo, script or stat).
    let flood = host("pinned-flood");
    assert_eq!((&flood["status"], &flood["error"]["kind"]), (&Value::from("error"), &Value::from("timeout")), "{flood:#}");
    assert_gone_within_3s(&pid_namespace(&lab, 3), is_audit_process, run_ended, "pinned-flood");

    // check-access tells the same before any audit, running nothing as
    // root: the installed script that sudo may run is ready; the wrong one,
    // the unsafe one and a shell on the pinned host fail at sudo, as the
    // audit would say.
    let limit = "sudo,pinned,pinned-busybox,shell-on-pinned,old,theirs";
    let access = hardbench(&["check-access", "--no-progress", "--inventory", inventory_path.to_str().unwrap(), "--limit", limit, "--json", "-"]);
    assert_eq!(access.status.code(), Some(3), "{}", text(&access));
    let checked: Value = serde_json::from_slice(&access.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&access)));
    let stage = |name: &str| {
        let host = checked["hosts"].as_array().unwrap().iter().find(|h| h["name"] == name).unwrap();
        let sudo = host["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "sudo").unwrap();
        (host["ready"].as_bool().unwrap(), sudo["state"].as_str().unwrap().to_string(), sudo["reason"].as_str().unwrap_or("").to_string(), host["become"].clone())
    };
    for name in ["sudo", "pinned", "pinned-busybox"] {
        let (ready, state, reason, _) = stage(name);
        assert!(ready && state == "ok", "{name}: {state} {reason}\n{}", text(&access));
    }
    assert_eq!(stage("pinned").3, format!("sudo-script:{INSTALLED}"));
    let (ready, state, reason, _) = stage("old");
    assert!(!ready && state == "failed", "{reason}");
    assert!(reason.contains(&format!("has sha256 {old_sha}")) && reason.contains(&format!("with sha256 {embedded}")), "{reason}");
    let (ready, state, reason, _) = stage("theirs");
    assert!(!ready && state == "failed", "{reason}");
    assert!(reason.contains(&format!("/usr/local/libexec/hardbench-gather-theirs is owned by uid {uid}, not root")), "{reason}");
    let (ready, state, reason, _) = stage("shell-on-pinned");
    assert!(!ready && state == "failed" && reason.contains("password is required"), "{reason}");
    assert!(!lab.dir.join("script-ran").exists(), "check-access must not run the other script");

    // From another address, the key is refused: `from=` is what limits it.
    std::fs::write(&authorized_keys, format!("from=\"192.0.2.1\",restrict {public}")).unwrap();
    let elsewhere = ssh(&lab.dir, "127.0.32.1", "true", "");
    assert_eq!(elsewhere.status.code(), Some(255), "{}", text(&elsewhere));
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("Permission denied"), "{}", text(&elsewhere));
}

/// Whether a command line is the audit's: an sshd session for the audit
/// user, the wrapper, sudo, the installed script's shell, or stat.
fn is_audit_process(cmdline: &str) -> bool {
    ["hardbench-gather", "hardbench-sudo-script", "sudo ", "stat", "sleep"].iter().any(|p| cmdline.contains(p))
        || cmdline.starts_with("sshd: hbaudit")
}

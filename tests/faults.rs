//! The fault matrix: one lab (127.0.40.x) with one healthy host and one host
//! per fault, plus inventory entries that point at nothing, at a silent
//! listener, or at a lab host with the wrong credentials or known_hosts.
//! One `hardbench run` over all of them must report each fault as the host's
//! error, with its kind and a specific reason, in the JSON, the JUnit and the
//! console, each within its deadline; the healthy host is audited normally
//! and the run exits 3. See tests/lab/README.md for the fault profiles.
//! After the run, nothing of the audit may be left running on a host whose
//! gathering hit its deadline or cap; then the same healthy host is audited
//! thirty times over under a 64-descriptor limit.

mod common;

use common::fault_hosts::{fingerprint, silent_listener, ssh_keygen};
use common::{assert_well_formed_xml, processes, text, Lab};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const NET: u8 = 40;
/// Lab hosts, in up.sh order: host i is 127.0.40.(i + 1).
const PROFILES: [&str; 9] = [
    "worker-good",
    "fault-slow",
    "fault-sudo-password",
    "fault-sudo-tty",
    "fault-drop",
    "fault-malformed",
    "fault-truncated",
    "fault-no-stat",
    "fault-flood",
];
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(4);
/// What a fault may take beyond its deadline (scheduling on a busy 2-core CI
/// machine, the SSH exchange before the deadline starts).
const MARGIN: Duration = Duration::from_millis(1500);

fn addr(profile: &str) -> String {
    let i = PROFILES.iter().position(|p| *p == profile).expect("a lab profile");
    format!("127.0.{NET}.{}", i + 1)
}

/// Which deadline bounds a fault.
#[derive(Clone, Copy, Debug)]
enum Bound {
    /// Reported as soon as the host answers: well under the connect deadline.
    Prompt,
    /// Reported at the connect deadline: at least it, at most it plus MARGIN.
    AtConnect,
    /// Reported at the command deadline: at least it, at most it plus MARGIN.
    AtCommand,
}

struct Fault {
    host: &'static str,
    kind: &'static str,
    /// Each must appear in the host's error message.
    reasons: Vec<String>,
    bound: Bound,
}

fn fault(host: &'static str, kind: &'static str, reasons: &[&str], bound: Bound) -> Fault {
    Fault { host, kind, reasons: reasons.iter().map(|r| r.to_string()).collect(), bound }
}

fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("no host {name} in the report"))
}

/// The `<testsuite>` element of one host in the JUnit report.
fn testsuite<'a>(xml: &'a str, name: &str) -> &'a str {
    let start = xml.find(&format!("<testsuite name=\"{name}\"")).unwrap_or_else(|| panic!("no testsuite {name}"));
    let end = start + xml[start..].find("</testsuite>").expect("the testsuite is closed");
    &xml[start..end]
}

#[test]
fn every_fault_is_a_bounded_host_error_and_the_rest_is_audited() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &PROFILES);
    let dir = state.path();

    // Fault 2: a listener that accepts TCP and never speaks.
    silent_listener(&format!("127.0.{NET}.250:2222"));

    let wrong_key = dir.join("wrong_key");
    ssh_keygen(&wrong_key);
    // Fault 5: a known_hosts that holds another key for the healthy host,
    // and one that does not know it at all.
    let other_host_key = dir.join("other_host_key");
    ssh_keygen(&other_host_key);
    let other = std::fs::read_to_string(other_host_key.with_extension("pub")).unwrap();
    let mismatched = dir.join("known_hosts.mismatched");
    let other_key: Vec<&str> = other.split_whitespace().take(2).collect();
    std::fs::write(&mismatched, format!("{} {}\n", addr("worker-good"), other_key.join(" "))).unwrap();
    // Knows another host only.
    let unknown = dir.join("known_hosts.unknown");
    std::fs::write(&unknown, format!("127.0.{NET}.249 {}\n", other_key.join(" "))).unwrap();
    let (mismatched_before, unknown_before) = (std::fs::read(&mismatched).unwrap(), std::fs::read(&unknown).unwrap());
    let healthy_key = fingerprint(&lab.dir.join("hosts/worker-good/ssh_host_ed25519_key.pub"));

    // No identity_file in [defaults]: the no-key host offers nothing (and
    // the run has no agent), every other host names its key.
    let key = lab.dir.join("id_ed25519");
    let entry = |name: &str, address: &str, extra: &str| {
        format!("\n[[hosts]]\nname = \"{name}\"\naddress = \"{address}\"\n{extra}")
    };
    let with_key = |extra: &str| format!("identity_file = \"{}\"\n{extra}", key.display());
    let mut inventory = format!(
        "[defaults]\nuser = \"hbaudit\"\nknown_hosts = \"{}\"\nhost_key_policy = \"strict\"\n\
         become = \"sudo\"\nconnect_timeout = \"2s\"\ncommand_timeout = \"4s\"\n",
        lab.dir.join("known_hosts").display()
    );
    for profile in PROFILES {
        inventory += &entry(profile, &addr(profile), &with_key(""));
    }
    let healthy = addr("worker-good");
    inventory += &entry("refused", &format!("127.0.{NET}.251"), &with_key(""));
    inventory += &entry("silent", &format!("127.0.{NET}.250"), &with_key("port = 2222\n"));
    inventory += &entry("wrong-key", &healthy, &format!("identity_file = \"{}\"\n", wrong_key.display()));
    inventory += &entry("no-key", &healthy, "");
    inventory += &entry("host-key-mismatch", &healthy, &with_key(&format!("known_hosts = \"{}\"\n", mismatched.display())));
    inventory += &entry("host-key-unknown", &healthy, &with_key(&format!("known_hosts = \"{}\"\n", unknown.display())));
    inventory += &entry("over-cap", &healthy, &with_key("max_output = \"1KiB\"\n"));
    // Two entries for one address under accept-new, audited at once: the
    // key is recorded once.
    let accepted = dir.join("known_hosts.accept-new");
    for name in ["accept-new-1", "accept-new-2"] {
        let extra = format!("host_key_policy = \"accept-new\"\nknown_hosts = \"{}\"\n", accepted.display());
        inventory += &entry(name, &healthy, &with_key(&extra));
    }
    let inventory_path = dir.join("inventory.toml");
    std::fs::write(&inventory_path, &inventory).unwrap();

    let (json, junit) = (dir.join("report.json"), dir.join("report.xml"));
    let output = Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(["run", "--no-progress", "--benchmark", "cis-1.12", "--inventory"])
        .arg(&inventory_path)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .env("NO_COLOR", "1")
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("hardbench runs");
    let run_ended = Instant::now();
    assert_eq!(output.status.code(), Some(3), "{}\n--- inventory\n{inventory}", text(&output));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_well_formed_xml(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    let console = String::from_utf8_lossy(&output.stdout).to_string();

    let faults = [
        fault("refused", "connect", &["cannot connect to refused", "Connection refused"], Bound::Prompt),
        fault("silent", "handshake", &["SSH handshake with silent", "did not finish within 2s"], Bound::AtConnect),
        fault("fault-slow", "timeout", &["gathering on fault-slow", "did not finish within 4s"], Bound::AtCommand),
        fault("fault-flood", "timeout", &["gathering on fault-flood", "did not finish within 4s"], Bound::AtCommand),
        fault("wrong-key", "auth", &["did not accept user hbaudit", "wrong_key"], Bound::Prompt),
        fault("no-key", "auth", &["no credentials for user hbaudit", "SSH_AUTH_SOCK is not set"], Bound::Prompt),
        fault(
            "host-key-mismatch",
            "host-key",
            &["does not match", &healthy_key, "was not changed"],
            Bound::Prompt,
        ),
        fault("host-key-unknown", "host-key", &["is not in", &healthy_key, "to trust it, add"], Bound::Prompt),
        fault("fault-sudo-password", "sudo", &["sudo requires a password for user hbaudit"], Bound::Prompt),
        fault("fault-sudo-tty", "sudo", &["sudo requires a tty", "requiretty"], Bound::Prompt),
        fault("fault-drop", "output", &["dropped mid-stream after 18 bytes of output"], Bound::Prompt),
        fault("over-cap", "output", &["exceeded the 1 KiB cap"], Bound::Prompt),
        fault("fault-malformed", "parse", &["is malformed", "unknown record `BOGUS`"], Bound::Prompt),
        fault("fault-truncated", "parse", &["is malformed", "truncated: no END trailer"], Bound::Prompt),
    ];
    let mut matrix = Vec::new();
    for f in &faults {
        let h = host(&report, f.host);
        let context = format!("{}: {h:#}", f.host);
        assert_eq!(h["status"], "error", "{context}");
        assert_eq!(h["error"]["kind"], f.kind, "{context}");
        let message = h["error"]["message"].as_str().unwrap();
        for reason in &f.reasons {
            assert!(message.contains(reason.as_str()), "{context}: no {reason:?}");
        }
        assert!(console.contains(&format!("ERROR [{}] {message}", f.kind)), "{}: console:\n{console}", f.host);
        let suite = testsuite(&xml, f.host);
        assert!(suite.contains(&format!("type=\"{}\"", f.kind)), "{}: {suite}", f.host);
        assert!(suite.contains(&f.reasons[0]), "{}: {suite}", f.host);

        let took = Duration::from_millis(h["duration_ms"].as_u64().unwrap());
        let (at_least, at_most) = match f.bound {
            Bound::Prompt => (Duration::ZERO, CONNECT_TIMEOUT),
            Bound::AtConnect => (CONNECT_TIMEOUT, CONNECT_TIMEOUT + MARGIN),
            Bound::AtCommand => (COMMAND_TIMEOUT, COMMAND_TIMEOUT + MARGIN),
        };
        // duration_ms is truncated to whole milliseconds and starts a little
        // before the deadline's clock does: allow for that below the bound.
        let at_least = at_least.saturating_sub(Duration::from_millis(100));
        assert!(took >= at_least && took <= at_most, "{}: took {took:?}, expected {at_least:?}..={at_most:?}", f.host);
        matrix.push(format!("{:<20} {:<10} {:>6} ms  {message}", f.host, f.kind, took.as_millis()));
    }
    // Shown with --nocapture: the matrix the issue asks for.
    println!("fault matrix:\n{}", matrix.join("\n"));

    // Fault 5: known_hosts is never rewritten by a refusal.
    assert_eq!(std::fs::read(&mismatched).unwrap(), mismatched_before);
    assert_eq!(std::fs::read(&unknown).unwrap(), unknown_before);

    // Fault 9: no stat(1). The facts that need it are errors with that
    // reason; everything else on the host is still evaluated.
    let no_stat = host(&report, "fault-no-stat");
    assert_eq!(no_stat["status"], "ok", "{no_stat:#}");
    let mut errors = 0;
    for result in no_stat["results"].as_array().unwrap() {
        if result["status"] == "error" {
            errors += 1;
            let reason = result["actual"].as_str().unwrap_or_default();
            assert!(reason.contains("stat: not found"), "{result:#}");
        } else {
            assert!(["pass", "manual"].contains(&result["status"].as_str().unwrap()), "{result:#}");
        }
    }
    assert!(errors > 0 && errors < no_stat["results"].as_array().unwrap().len(), "{no_stat:#}");
    assert!(console.contains("could not be examined: stat: not found"), "{console}");

    // The healthy host, audited in the same run as every fault.
    let good = host(&report, "worker-good");
    assert_eq!(good["status"], "ok", "{good:#}");
    assert_eq!(good["summary"]["fail"], 0, "{good:#}");
    assert_eq!(good["summary"]["error"], 0, "{good:#}");
    assert!(good["summary"]["pass"].as_u64().unwrap() > 0, "{good:#}");
    assert_eq!(report["summary"]["hosts_error"], faults.len() as u64);

    // Fault 10: after the deadline (fault-flood, whose stat never ends) and
    // the cap (over-cap, on worker-good), nothing of the audit is left on
    // the host: no sshd session, sudo, script shell or stat.
    for profile in ["fault-flood", "worker-good"] {
        processes::assert_gone_within_3s(&pid_namespace(&lab, profile), is_audit_process, run_ended, profile);
    }

    // accept-new: both entries audited, the key recorded once.
    for name in ["accept-new-1", "accept-new-2"] {
        assert_eq!(host(&report, name)["status"], "ok", "{:#}", host(&report, name));
    }
    let recorded = std::fs::read_to_string(&accepted).unwrap();
    assert_eq!(recorded.lines().count(), 1, "{recorded}");
    assert!(recorded.starts_with(&format!("{healthy} ssh-ed25519 ")), "{recorded}");

    descriptor_limit_lowers_the_concurrency(&lab, dir);
}

/// Too few file descriptors (`ulimit -n 64`) for `--concurrency 200`: the
/// run audits fewer hosts at once and says so; no healthy host is reported
/// as an authentication or host-key failure.
fn descriptor_limit_lowers_the_concurrency(lab: &Lab, dir: &Path) {
    let mut inventory = format!(
        "[defaults]\nuser = \"hbaudit\"\nknown_hosts = \"{}\"\nidentity_file = \"{}\"\nconnect_timeout = \"5s\"\n",
        lab.dir.join("known_hosts").display(),
        lab.dir.join("id_ed25519").display()
    );
    const HOSTS: usize = 30;
    for i in 1..=HOSTS {
        inventory += &format!("\n[[hosts]]\nname = \"healthy-{i:02}\"\naddress = \"{}\"\n", addr("worker-good"));
    }
    let inventory_path = dir.join("inventory.fds.toml");
    std::fs::write(&inventory_path, &inventory).unwrap();
    let json = dir.join("report.fds.json");
    let output = Command::new("prlimit")
        .arg("--nofile=64:64")
        .arg(env!("CARGO_BIN_EXE_hardbench"))
        .args(["run", "--no-progress", "--benchmark", "cis-1.12", "--concurrency", "200", "--inventory"])
        .arg(&inventory_path)
        .arg("--json")
        .arg(&json)
        .env("NO_COLOR", "1")
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("prlimit runs hardbench");
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no report ({e}):\n{}", text(&output)));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("at a time instead of {HOSTS}")), "{}", text(&output));
    for h in report["hosts"].as_array().unwrap() {
        assert_eq!(h["status"], "ok", "{h:#}\n{}", text(&output));
    }
    assert_eq!(report["hosts"].as_array().unwrap().len(), HOSTS);
}

/// The PID namespace of a lab host of profile `profile`.
fn pid_namespace(lab: &Lab, profile: &str) -> std::path::PathBuf {
    processes::pid_namespace(lab, PROFILES.iter().position(|p| *p == profile).expect("a lab profile"))
}

/// Whether a command line is the audit's: an sshd session for the audit
/// user, sudo and the script's shell (`sh -s --`), or stat.
fn is_audit_process(cmdline: &str) -> bool {
    cmdline.contains("sh -s --") || cmdline.contains("stat -c") || cmdline.starts_with("sshd: hbaudit")
}

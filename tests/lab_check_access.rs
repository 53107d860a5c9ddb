//! `hardbench check-access` against the lab (127.0.30.x): a healthy host,
//! the same host with `become = "none"` and under `accept-new`, and one
//! host or inventory entry per way of not being ready (refused, silent,
//! unknown host key, refused key, sudo wanting a password or a tty, a
//! ForceCommand in the way, no `stat`). Each is reported at its stage with
//! its reason in the table and the JSON; the run exits 3, and 0 over the
//! ready hosts alone. A key recorded under accept-new is said on stderr and
//! marked, by check-access and by `run` (in its JSON, console and HTML).

mod common;

use common::fault_hosts::{fingerprint, silent_listener, ssh_keygen};
use common::{read_json, text, Lab};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const NET: u8 = 30;
/// Lab hosts, in up.sh order: host i is 127.0.30.(i + 1).
const PROFILES: [&str; 5] = ["worker-good", "fault-sudo-password", "fault-sudo-tty", "fault-malformed", "fault-no-stat"];
const STAGES: [&str; 6] = ["tcp", "host-key", "auth", "shell", "sudo", "tools"];

fn addr(profile: &str) -> String {
    let i = PROFILES.iter().position(|p| *p == profile).expect("a lab profile");
    format!("127.0.{NET}.{}", i + 1)
}

fn hardbench(args: &[&str], inventory: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(args)
        .arg("--inventory")
        .arg(inventory)
        .env("NO_COLOR", "1")
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("hardbench runs")
}

fn host<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == name).unwrap_or_else(|| panic!("no host {name}"))
}

/// A host's row of the table, split into its cells.
fn row<'a>(table: &'a str, name: &str) -> Vec<&'a str> {
    let line = table.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_else(|| panic!("no row {name}:\n{table}"));
    line.split_whitespace().collect()
}

/// One expected host: its row's states and, for the stage that failed (or
/// an ok one worth a note), words its reason holds.
struct Expected {
    name: &'static str,
    states: [&'static str; 6],
    reason: Option<(&'static str, Vec<String>)>,
}

fn expected(name: &'static str, states: [&'static str; 6], reason: Option<(&'static str, &[&str])>) -> Expected {
    Expected { name, states, reason: reason.map(|(stage, words)| (stage, words.iter().map(|w| w.to_string()).collect())) }
}

#[test]
fn every_host_is_reported_at_the_stage_it_stops_at() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &PROFILES);
    let dir = state.path();
    silent_listener(&format!("127.0.{NET}.250:2222"));
    let wrong_key = dir.join("wrong_key");
    ssh_keygen(&wrong_key);
    let healthy = addr("worker-good");
    let healthy_key = fingerprint(&lab.dir.join("hosts/worker-good/ssh_host_ed25519_key.pub"));
    // Knows another host only.
    let unknown = dir.join("known_hosts.unknown");
    let other: Vec<String> = std::fs::read_to_string(wrong_key.with_extension("pub")).unwrap().split_whitespace().take(2).map(str::to_owned).collect();
    std::fs::write(&unknown, format!("127.0.{NET}.249 {}\n", other.join(" "))).unwrap();
    let accepted = dir.join("known_hosts.accept-new");

    let key = lab.dir.join("id_ed25519");
    let entry = |name: &str, address: &str, extra: &str| format!("\n[[hosts]]\nname = \"{name}\"\naddress = \"{address}\"\n{extra}");
    let mut inventory = format!(
        "[defaults]\nuser = \"hbaudit\"\nknown_hosts = \"{}\"\nidentity_file = \"{}\"\nbecome = \"sudo\"\n\
         connect_timeout = \"2s\"\ncommand_timeout = \"5s\"\n",
        lab.dir.join("known_hosts").display(),
        key.display()
    );
    for profile in PROFILES {
        inventory += &entry(profile, &addr(profile), "");
    }
    inventory += &entry("become-none", &healthy, "become = \"none\"\n");
    inventory += &entry("accept-new", &healthy, &format!("host_key_policy = \"accept-new\"\nknown_hosts = \"{}\"\n", accepted.display()));
    inventory += &entry("refused", &format!("127.0.{NET}.251"), "");
    inventory += &entry("silent", &format!("127.0.{NET}.250"), "port = 2222\n");
    inventory += &entry("host-key-unknown", &healthy, &format!("known_hosts = \"{}\"\n", unknown.display()));
    inventory += &entry("wrong-key", &healthy, &format!("identity_file = \"{}\"\n", wrong_key.display()));
    // accept-new records the key, then authentication fails: the failure says the key was recorded.
    let accepted_failing = dir.join("known_hosts.accept-new-failing");
    inventory += &entry(
        "accept-new-wrong-key",
        &healthy,
        &format!(
            "host_key_policy = \"accept-new\"\nknown_hosts = \"{}\"\nidentity_file = \"{}\"\n",
            accepted_failing.display(),
            wrong_key.display()
        ),
    );
    let inventory_path = dir.join("inventory.toml");
    std::fs::write(&inventory_path, &inventory).unwrap();

    // Everything: exit 3, each host at its stage.
    let json = dir.join("access.json");
    let output = hardbench(&["check-access", "--no-progress", "--json", json.to_str().unwrap()], &inventory_path);
    let context = format!("{}\n--- inventory\n{inventory}", text(&output));
    assert_eq!(output.status.code(), Some(3), "{context}");
    let table = String::from_utf8(output.stdout.clone()).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = read_json(&json);
    // Shown with --nocapture.
    println!("{table}");
    assert_eq!(report["schema"], "hardbench.access/v1");
    assert_eq!(report["exit_code"], 3);
    let header: Vec<String> = row(&table, "HOST")[2..].iter().map(|s| s.to_string()).collect();
    assert_eq!(header, STAGES.map(str::to_uppercase));

    let nt = "not-tried";
    let hosts = [
        expected("worker-good", ["ok"; 6], None),
        expected("become-none", ["ok", "ok", "ok", "ok", "not-needed", "ok"], None),
        expected("accept-new", ["ok", "recorded", "ok", "ok", "ok", "ok"], None),
        expected("refused", ["failed", nt, nt, nt, nt, nt], Some(("tcp", &["cannot connect to refused", "Connection refused"]))),
        expected("silent", ["ok", "failed", nt, nt, nt, nt], Some(("host-key", &["SSH handshake with silent", "did not finish within 2s"]))),
        expected("host-key-unknown", ["ok", "failed", nt, nt, nt, nt], Some(("host-key", &["is not in", healthy_key.as_str()]))),
        expected("wrong-key", ["ok", "ok", "failed", nt, nt, nt], Some(("auth", &["did not accept user hbaudit", "wrong_key"]))),
        expected(
            "accept-new-wrong-key",
            ["ok", "ok", "failed", nt, nt, nt],
            Some(("auth", &["did not accept user hbaudit", "before that, hardbench recorded the host key of accept-new-wrong-key", healthy_key.as_str()])),
        ),
        expected("fault-malformed", ["ok", "ok", "ok", "failed", nt, nt], Some(("shell", &["is not the probe's", "ForceCommand"]))),
        expected("fault-sudo-password", ["ok", "ok", "ok", "ok", "failed", nt], Some(("sudo", &["sudo -n refused", "a password is required"]))),
        expected("fault-sudo-tty", ["ok", "ok", "ok", "ok", "failed", nt], Some(("sudo", &["sudo -n refused", "you must have a tty"]))),
        expected("fault-no-stat", ["ok", "ok", "ok", "ok", "ok", "failed"], Some(("tools", &["not found with the PATH the gathering runs with: stat"]))),
    ];
    for expected in &hosts {
        let name = expected.name;
        let cells = row(&table, name);
        assert_eq!(cells[2..], expected.states, "{name}: {table}");
        let h = host(&report, name);
        let ready = expected.reason.is_none();
        assert_eq!(h["ready"], ready, "{name}: {h:#}");
        let states: Vec<&str> = h["stages"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
        let shown: Vec<&str> = expected.states.iter().map(|s| if *s == "recorded" { "ok" } else { s }).collect();
        assert_eq!(states, shown, "{name}: {h:#}");
        if let Some((stage, words)) = &expected.reason {
            let at = STAGES.iter().position(|s| s == stage).unwrap();
            let reason = h["stages"][at]["reason"].as_str().unwrap_or_else(|| panic!("{name}: no reason: {h:#}"));
            let line = format!("{name}: {stage} failed: {reason}");
            assert!(table.contains(&line), "{name}: no line {line:?} in\n{table}");
            for word in words {
                assert!(reason.contains(word.as_str()), "{name}: no {word:?} in {reason:?}");
            }
        }
    }
    assert_eq!(report["summary"], serde_json::json!({"hosts": hosts.len(), "ready": 3, "not_ready": hosts.len() - 3}));
    assert!(table.ends_with(&format!("{} hosts: 3 ready, {} not ready\n", hosts.len(), hosts.len() - 3)), "{table}");
    assert_eq!(host(&report, "become-none")["become"], "none");

    // accept-new recorded the key, said so, and marked the host.
    let notice = format!("hardbench: recorded the host key of accept-new ({healthy}:22) in {} (accept-new): ssh-ed25519 {healthy_key}", accepted.display());
    assert_eq!(stderr.matches("recorded the host key").count(), 1, "{context}");
    assert!(stderr.contains(&notice), "{context}");
    assert_eq!(host(&report, "accept-new")["host_key"], serde_json::json!({"algorithm": "ssh-ed25519", "fingerprint": healthy_key, "recorded": true}));
    assert_eq!(host(&report, "worker-good")["host_key"]["recorded"], false);
    assert!(table.contains(&format!("accept-new: host key ssh-ed25519 {healthy_key} recorded in known_hosts by this run (accept-new)")), "{table}");
    assert!(std::fs::read_to_string(&accepted).unwrap().starts_with(&format!("{healthy} ssh-ed25519 ")));

    // The ready hosts alone: exit 0, and the key known now is not recorded again.
    let output = hardbench(&["check-access", "--no-progress", "--limit", "worker-good,become-none,accept-new", "--json", "-"], &inventory_path);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    let table = String::from_utf8_lossy(&output.stderr);
    assert!(table.contains("3 hosts, every one ready to be audited"), "{}", text(&output));
    assert_eq!(row(&table, "accept-new")[2..], ["ok"; 6]);
    assert_eq!(host(&report, "accept-new")["host_key"]["recorded"], false);
    assert!(!table.contains("recorded"), "{}", text(&output));
    assert_eq!(report["exit_code"], 0);

    // --shard: the two halves of the ready hosts are each host once, as `run --shard` splits them.
    let mut halves = Vec::new();
    for shard in ["0/2", "1/2"] {
        let output = hardbench(
            &["check-access", "--no-progress", "--limit", "worker-good,become-none,accept-new", "--shard", shard, "--json", "-"],
            &inventory_path,
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
        for host in report["hosts"].as_array().unwrap() {
            let name = host["name"].as_str().unwrap().to_string();
            let index: u32 = shard[..1].parse().unwrap();
            assert_eq!(hardbench::shard::Shard::of(&name, 2), index, "{name} in shard {shard}");
            halves.push(name);
        }
    }
    halves.sort();
    assert_eq!(halves, ["accept-new", "become-none", "worker-good"]);

    // Bad input is exit 2, before anything is contacted.
    let output = hardbench(&["check-access", "--limit", "nobody"], &inventory_path);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));

    a_run_says_and_marks_a_key_it_records(&lab, dir, &healthy, &healthy_key);
}

/// `run` under accept-new with a known_hosts that does not know the host:
/// the key is said on stderr, and the JSON, the console and the HTML mark it.
fn a_run_says_and_marks_a_key_it_records(lab: &Lab, dir: &Path, healthy: &str, healthy_key: &str) {
    let accepted = dir.join("known_hosts.run");
    let inventory = format!(
        "[defaults]\nuser = \"hbaudit\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\nhost_key_policy = \"accept-new\"\n\
         \n[[hosts]]\nname = \"first-contact\"\naddress = \"{healthy}\"\n",
        lab.dir.join("id_ed25519").display(),
        accepted.display()
    );
    let inventory_path = dir.join("inventory.run.toml");
    std::fs::write(&inventory_path, inventory).unwrap();
    let (json, html) = (dir.join("run.json"), dir.join("run.html"));
    let args = ["run", "--no-progress", "--benchmark", "cis-1.12", "--json", json.to_str().unwrap(), "--html", html.to_str().unwrap()];
    let output = hardbench(&args, &inventory_path);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let notice = format!("hardbench: recorded the host key of first-contact ({healthy}:22) in {} (accept-new): ssh-ed25519 {healthy_key}", accepted.display());
    assert!(stderr.contains(&notice), "{}", text(&output));
    let report = read_json(&json);
    assert_eq!(host(&report, "first-contact")["host_key"]["recorded"], true, "{report:#}");
    let console = String::from_utf8_lossy(&output.stdout);
    assert!(console.contains(&format!("  note: host key ssh-ed25519 {healthy_key} recorded in")), "{console}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("recorded in known_hosts by this run (accept-new)"), "the HTML marks the host");

    // Known now: the next run records nothing and marks nothing.
    let output = hardbench(&args, &inventory_path);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("recorded the host key"), "{}", text(&output));
    assert_eq!(host(&read_json(&json), "first-contact")["host_key"]["recorded"], false);
}

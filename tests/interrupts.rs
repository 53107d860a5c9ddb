//! Nothing lost: SIGINT or SIGTERM during a run still writes complete JSON
//! and JUnit files, with the unfinished hosts as `interrupted`, and exits
//! 130 or 143, the status the JSON holds; SIGKILL leaves the previous report
//! file untouched. One lab (127.0.42.x): a healthy worker and a host whose
//! gathering never ends. Signals while the reports are written (the
//! guarantee of src/interrupt.rs) use saved facts and a standard output
//! the test holds full, so that the process waits at a known point.

mod common;

use common::{assert_well_formed_xml, text, Lab};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NET: u8 = 42;

/// How many sessions the slow host's sshd has accepted so far.
fn accepted(lab: &Lab) -> usize {
    std::fs::read_to_string(lab.dir.join("hosts/fault-slow/sshd.log"))
        .map(|log| log.matches("Accepted publickey").count())
        .unwrap_or(0)
}

/// Starts hardbench with concurrency 1 over worker-good, fault-slow and a
/// third host, and returns once worker-good is done and fault-slow has
/// accepted the session: the third host is never started.
fn start(lab: &Lab, inventory: &Path, json: &Path, junit: &Path) -> Child {
    let before = accepted(lab);
    let child = Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(["run", "--no-progress", "--benchmark", "cis-1.12", "--concurrency", "1", "--inventory"])
        .arg(inventory)
        .arg("--json")
        .arg(json)
        .arg("--junit")
        .arg(junit)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hardbench starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while accepted(lab) == before {
        assert!(Instant::now() < deadline, "hardbench never reached the slow host");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn kill(child: &Child, signal: i32) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's PID, which has not been reaped yet.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

fn inventory(lab: &Lab, dir: &Path) -> PathBuf {
    let path = dir.join("inventory.toml");
    let text = format!(
        "[defaults]\nuser = \"hbaudit\"\nidentity_file = \"{key}\"\nknown_hosts = \"{kh}\"\n\
         command_timeout = \"60s\"\n\
         [[hosts]]\nname = \"worker-good\"\naddress = \"127.0.{NET}.1\"\n\
         [[hosts]]\nname = \"fault-slow\"\naddress = \"127.0.{NET}.2\"\n\
         [[hosts]]\nname = \"later\"\naddress = \"127.0.{NET}.1\"\n",
        key = lab.dir.join("id_ed25519").display(),
        kh = lab.dir.join("known_hosts").display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn signals_write_complete_reports_and_sigkill_keeps_the_previous_one() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &["worker-good", "fault-slow"]);
    let dir = state.path();
    let inventory = inventory(&lab, dir);

    for (signal, name, status) in [(libc::SIGINT, "SIGINT", 130), (libc::SIGTERM, "SIGTERM", 143)] {
        let (json, junit) = (dir.join(format!("{name}.json")), dir.join(format!("{name}.xml")));
        let child = start(&lab, &inventory, &json, &junit);
        let clock = Instant::now();
        kill(&child, signal);
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(status), "{name}: {}", text(&output));
        assert!(clock.elapsed() < Duration::from_secs(3), "{name}: exiting took {:?}", clock.elapsed());

        let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).expect("complete JSON");
        assert_eq!(report["exit_code"], status, "{name}: the JSON holds the process's status");
        let hosts = report["hosts"].as_array().unwrap();
        assert_eq!(hosts.len(), 3, "{report:#}");
        assert_eq!(hosts[0]["status"], "ok", "{name}: the healthy host finished first: {report:#}");
        assert_eq!(hosts[0]["summary"]["error"], 0, "{report:#}");
        for (host, how) in [(&hosts[1], "while gathering from fault-slow"), (&hosts[2], "before later was contacted")] {
            assert_eq!(host["status"], "error", "{host:#}");
            assert_eq!(host["error"]["kind"], "interrupted", "{host:#}");
            let message = host["error"]["message"].as_str().unwrap();
            assert!(message.contains(&format!("interrupted by {name} {how}")), "{message}");
        }
        assert_well_formed_xml(&junit);
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert_eq!(xml.matches("type=\"interrupted\"").count(), 2, "{xml}");
        let console = String::from_utf8_lossy(&output.stdout);
        assert!(console.contains("ERROR [interrupted] interrupted by"), "{console}");
    }

    // SIGKILL mid-run: no report is written, the previous one stays whole.
    let (json, junit) = (dir.join("SIGINT.json"), dir.join("SIGINT.xml"));
    let (json_before, junit_before) = (std::fs::read(&json).unwrap(), std::fs::read(&junit).unwrap());
    let child = start(&lab, &inventory, &json, &junit);
    kill(&child, libc::SIGKILL);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), None, "killed by a signal");
    assert_eq!(std::fs::read(&json).unwrap(), json_before);
    assert_eq!(std::fs::read(&junit).unwrap(), junit_before);
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["SIGINT.json", "SIGINT.xml", "SIGTERM.json", "SIGTERM.xml", "inventory.toml", "lab"], "no temporary file left");
}

/// Starts `hardbench evaluate` over the kubeadm fixtures with `args`, its
/// standard output a pipe of one page that nobody reads yet: it stops at
/// the first report it writes there (the console, or a JSON given `-`).
fn evaluate_held(args: &[&str]) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(["evaluate", "--benchmark", "cis-1.12", "--facts"])
        .arg(common::repo().join("tests/fixtures/kubeadm"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hardbench starts");
    use std::os::fd::AsRawFd;
    let fd = child.stdout.as_ref().unwrap().as_raw_fd();
    // SAFETY: fcntl on a pipe descriptor this process owns.
    assert!(unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, 4096) } >= 4096);
    child
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn running(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

#[test]
fn a_signal_after_the_status_is_decided_changes_nothing_and_a_second_exits_with_that_status() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    for second in [false, true] {
        let _ = std::fs::remove_file(&junit);
        // The JUnit file is published, then the JSON waits on standard output.
        let mut child = evaluate_held(&["--json", "-", "--junit", junit.to_str().unwrap()]);
        wait_for("the JUnit report is published", || names(dir.path()) == ["report.xml"]);
        kill(&child, libc::SIGTERM);
        std::thread::sleep(Duration::from_millis(300));
        assert!(running(&mut child), "a first signal after the decision does not stop the run");
        if second {
            kill(&child, libc::SIGTERM);
            let clock = Instant::now();
            wait_for("the second signal exits", || !running(&mut child));
            assert!(clock.elapsed() < Duration::from_secs(2), "{:?}", clock.elapsed());
        }
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(1), "the decided status, second signal {second}: {}", text(&output));
        if !second {
            let report: Value = serde_json::from_slice(&output.stdout).expect("the whole JSON");
            assert_eq!(report["exit_code"], 1);
        }
        assert_well_formed_xml(&junit);
        assert_eq!(names(dir.path()), ["report.xml"], "no temporary file left");
    }
}

#[test]
fn two_signals_while_the_reports_are_written_leave_the_previous_ones_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let (json, junit) = (dir.path().join("report.json"), dir.path().join("report.xml"));
    std::fs::write(&json, "previous JSON").unwrap();
    std::fs::write(&junit, "previous JUnit").unwrap();
    // Both reports are in temporary files, and the console waits on
    // standard output before they are published.
    let mut child = evaluate_held(&["--json", json.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    wait_for("both reports are staged", || names(dir.path()).len() == 4);
    kill(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    assert!(running(&mut child), "a first signal after the decision does not stop the run");
    kill(&child, libc::SIGINT);
    let clock = Instant::now();
    wait_for("the second signal exits", || !running(&mut child));
    assert!(clock.elapsed() < Duration::from_secs(2), "{:?}", clock.elapsed());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "128 + the second signal: {}", text(&output));
    assert_eq!(names(dir.path()), ["report.json", "report.xml"], "no temporary file left");
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "previous JSON");
    assert_eq!(std::fs::read_to_string(&junit).unwrap(), "previous JUnit");
}

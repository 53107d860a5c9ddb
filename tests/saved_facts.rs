//! `hardbench evaluate` over saved sets, with the real binary: a FIFO (or
//! any file that is not a regular one) in a set is refused at once instead
//! of blocking the read, and the first SIGTERM stops an evaluation: it
//! exits 143 and writes nothing, not even a temporary file.

mod common;

use common::{repo, text};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hardbench starts")
}

/// Waits for `child`, killing it after `limit`: a hang fails the test, it
/// does not hang the suite.
fn finish_within(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("waitpid").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("kill");
            panic!("hardbench was still running after {limit:?}: {}", text(&child.wait_with_output().unwrap()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

fn copy_set(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_fifo_in_a_saved_set_is_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    // A FIFO without a writer: a blocking open or read never returns.
    for victim in ["worker-good.json", "_index.json"] {
        let set = tmp.path().join(victim.replace('.', "-"));
        copy_set(&repo().join("tests/fixtures/kubeadm"), &set);
        std::fs::remove_file(set.join(victim)).unwrap();
        mkfifo(&set.join(victim));
        let json = tmp.path().join("report.json");
        let child = start(&["evaluate", "--facts", set.to_str().unwrap(), "--json", json.to_str().unwrap()]);
        let output = finish_within(child, Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = format!("cannot read {}: it is a FIFO, not a regular file", set.join(victim).display());
        assert!(stderr.contains(&expected), "{}", text(&output));
        assert!(!json.exists(), "no report is written");
    }
}

/// A set of `count` copies of the kubeadm control-plane fixture, with its index.
fn big_set(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let template = std::fs::read_to_string(repo().join("tests/fixtures/kubeadm/cp-good.json")).unwrap();
    let saved: Value = serde_json::from_str(&template).unwrap();
    let mut hosts = Vec::new();
    for i in 0..count {
        let name = format!("cp-{i}");
        let bytes = template.replacen("\"host\": \"cp-good\"", &format!("\"host\": \"{name}\""), 1);
        let file = format!("{name}.json");
        std::fs::write(dir.join(&file), &bytes).unwrap();
        let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        hosts.push(json!({
            "host": name, "address": saved["address"], "port": saved["port"], "user": saved["user"],
            "sudo": saved["sudo"], "roles": saved["roles"], "status": "ok", "file": file, "sha256": sha256,
        }));
    }
    let index = json!({
        "schema": "hardbench.facts-index/v1", "run_id": "0".repeat(32), "hardbench_version": "test",
        "started_at": "2026-11-29T10:00:00+00:00", "finished_at": "2026-11-29T10:00:01+00:00", "hosts": hosts,
    });
    std::fs::write(dir.join("_index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Bytes the process has read so far (`rchar` of /proc/PID/io).
fn bytes_read(child: &Child) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{}/io", child.id())).unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("rchar: ")).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn the_first_sigterm_stops_evaluate_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let set = tmp.path().join("facts");
    // Long enough (seconds, in a debug build) that the signal lands while
    // hosts are still being loaded and evaluated.
    big_set(&set, 400);
    let index_size = std::fs::metadata(set.join("_index.json")).unwrap().len();
    let host_size = std::fs::metadata(set.join("cp-0.json")).unwrap().len();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (json, junit) = (out.join("report.json"), out.join("report.xml"));
    let child = start(&[
        "evaluate",
        "--facts", set.to_str().unwrap(),
        "--benchmark", "cis-1.12",
        "--json", json.to_str().unwrap(),
        "--junit", junit.to_str().unwrap(),
    ]);
    // Signal once the index and a few hosts are read: evaluation is under way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while bytes_read(&child) < index_size + 5 * host_size {
        assert!(Instant::now() < deadline, "evaluate never started reading the hosts");
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's PID, which has not been reaped yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let output = finish_within(child, Duration::from_secs(30));
    // Exited by itself with the signal's status (a process killed by the
    // signal has no exit code).
    assert_eq!(output.status.code(), Some(143), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted by SIGTERM while evaluating the saved facts"), "{}", text(&output));
    assert!(output.stdout.is_empty(), "no console report: {}", text(&output));
    assert_eq!(entries(&out), Vec::<String>::new(), "no report and no temporary file");
}

//! A lab host's processes, seen from outside it: for tests that check what
//! an audit leaves running on a host after it ends.

use super::Lab;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The PID namespace of the lab's host number `index` (in up.sh's order):
/// its PID 1 is the only child of the `unshare` up.sh listed in DIR/pids.
pub fn pid_namespace(lab: &Lab, index: usize) -> PathBuf {
    let pids = std::fs::read_to_string(lab.dir.join("pids")).unwrap();
    let unshare = pids.lines().nth(index).expect("a pid per host").trim().to_string();
    let children = std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children")).unwrap();
    let init = children.split_whitespace().next().expect("the host's PID 1");
    std::fs::read_link(format!("/proc/{init}/ns/pid")).unwrap()
}

/// `PID: command line` of each process in `namespace` whose command line
/// (arguments joined by spaces) `wanted` accepts.
pub fn processes_in(namespace: &Path, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if std::fs::read_link(entry.path().join("ns/pid")).ok().as_deref() != Some(namespace) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if wanted(&cmdline) {
            found.push(format!("{}: {cmdline}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// Waits until no process in `namespace` that `wanted` accepts is left,
/// failing, with those still running, once 3 s have passed since `ended`
/// (when the run ended). `what` names the host in the failure.
pub fn assert_gone_within_3s(namespace: &Path, wanted: impl Fn(&str) -> bool, ended: Instant, what: &str) {
    loop {
        let left = processes_in(namespace, &wanted);
        if left.is_empty() {
            return;
        }
        assert!(ended.elapsed() < Duration::from_secs(3), "{what}: still running 3s after the run ended:\n{}", left.join("\n"));
        std::thread::sleep(Duration::from_millis(50));
    }
}

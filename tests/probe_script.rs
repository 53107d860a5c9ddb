//! The access probe (src/access/probe.sh) run as the transport runs it
//! (`env LC_ALL=C sh -s -- m:… w:stdin ARGS`, stdin left open), under dash
//! and busybox ash: it ends by itself, finds the tools the gathering needs,
//! says which are missing from the PATH it is given, and with
//! `become:sudo` runs the lookup through `sudo -n` (root may; nobody is
//! refused and its words are passed on). Its output must read back.

use hardbench::access::probe::{self, Probed, OPTIONAL_TOOLS, REQUIRED_TOOLS};
use hardbench::inventory::{Become, Host, HostKeyPolicy};
use hardbench::transport::Gathered;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SHELLS: [&str; 2] = ["dash", "busybox sh"];

/// The full path of `tool` on this machine's PATH.
fn which(tool: &str) -> String {
    let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
    assert!(found.status.success(), "these tests need `{tool}` (apt-get install -y {tool})");
    String::from_utf8(found.stdout).unwrap().trim_end().to_owned()
}

fn host() -> Host {
    Host {
        name: "local".into(),
        address: "127.0.0.1".into(),
        port: 22,
        user: "root".into(),
        identity_file: None,
        known_hosts: "/dev/null".into(),
        host_key_policy: HostKeyPolicy::Strict,
        become_method: Become::None,
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
        max_output: 1 << 20,
        roles: None,
        proxy_jump: None,
    }
}

/// Runs the probe under `shell` with `path` as PATH, as `prefix` (e.g. a
/// setpriv to another user), keeping its stdin open until it has ended,
/// and reads its output as check-access does.
fn probe(shell: &str, become_method: Become, path: &str, prefix: &[&str]) -> Probed {
    let (program, rest) = shell.split_once(' ').unwrap_or((shell, ""));
    let mut argv: Vec<String> = prefix.iter().map(|a| a.to_string()).collect();
    // The shell by its full path: PATH may lack it.
    argv.extend(["env".into(), format!("PATH={path}"), "LC_ALL=C".into(), which(program)]);
    argv.extend(rest.split_whitespace().map(str::to_owned));
    argv.extend(["-s", "--", "m:1048576", "w:stdin"].map(str::to_owned));
    argv.extend(probe::become_args(&become_method));
    argv.extend(probe::script().args);
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(probe::PROBE_SCRIPT.as_bytes()).unwrap();
    // stdin stays open, as the transport keeps it: the probe must end by
    // itself, long before stdin is closed here.
    let started = Instant::now();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        drop(stdin);
    });
    let output = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_millis(2500), "{shell}: ended only when stdin was closed");
    let gathered = Gathered { stdout: output.stdout, stderr: output.stderr, exit_status: output.status.code().unwrap(), host_key: None };
    probe::read(&host(), &gathered).unwrap_or_else(|e| panic!("{shell}: {e}: {}", String::from_utf8_lossy(&gathered.stderr)))
}

fn all_tools() -> Vec<String> {
    REQUIRED_TOOLS.iter().chain(&OPTIONAL_TOOLS).map(|t| t.to_string()).collect()
}

#[test]
fn every_tool_is_found_with_the_machines_path() {
    let path = std::env::var("PATH").unwrap();
    for shell in SHELLS {
        let probed = probe(shell, Become::None, &path, &[]);
        assert_eq!(probed, Probed { sudo: None, found: all_tools(), missing: vec![] }, "{shell}");
    }
}

#[test]
fn tools_missing_from_the_path_are_said() {
    let empty = tempfile::tempdir().unwrap();
    for shell in SHELLS {
        let probed = probe(shell, Become::None, empty.path().to_str().unwrap(), &[]);
        assert_eq!(probed, Probed { sudo: None, found: vec![], missing: all_tools() }, "{shell}");
    }
}

/// Under `become:sudo` the lookup runs through `sudo -n`, with the PATH
/// sudo gives the gathering: from a PATH that holds sudo alone, root's sudo
/// (Debian's secure_path) finds every tool.
#[test]
fn sudo_runs_the_lookup_with_its_own_path() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test needs root");
    let only_sudo = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(which("sudo"), only_sudo.path().join("sudo")).unwrap();
    for shell in SHELLS {
        let probed = probe(shell, Become::Sudo, only_sudo.path().to_str().unwrap(), &[]);
        assert_eq!(probed.sudo, Some(Ok(())), "{shell}");
        assert_eq!(probed.found.len() + probed.missing.len(), all_tools().len(), "{shell}: {probed:?}");
        for tool in REQUIRED_TOOLS {
            assert!(probed.found.iter().any(|t| t == tool), "{shell}: {tool} not found under sudo: {probed:?}");
        }
    }
}

/// A user sudo does not let through without a password: refused, with
/// sudo's own words, and no tool looked up.
#[test]
fn a_sudo_that_wants_a_password_is_refused_with_its_words() {
    let path = std::env::var("PATH").unwrap();
    for shell in SHELLS {
        let probed = probe(shell, Become::Sudo, &path, &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
        let said = probed.sudo.clone().expect("the probe says what sudo answered").expect_err("nobody may not sudo");
        assert_eq!(said.status, 1, "{shell}: {said}");
        assert!(said.said.starts_with("sudo: ") && said.said.contains("password is required"), "{shell}: {said}");
        assert!(probed.found.is_empty() && probed.missing.is_empty(), "{shell}: {probed:?}");
    }
}

//! Hosts that only a jump host can reach. Each test builds its own network
//! namespaces: the lab hosts run inside one (their sshd listens on its
//! loopback, which this machine's own namespace cannot reach), and a jump
//! host, a plain sshd that allows TCP forwarding, listens inside it on a
//! veth address that the machine's namespace can reach. hardbench runs from
//! the machine's namespace through the jump host, and once more from inside
//! the namespace, directly, to compare the verdicts. The jump host's sshd
//! log counts the logins. Lab nets 26 (one jump host) and 28 (a chain of
//! two). Every namespace, veth and process is removed on drop, also when a
//! test fails.

mod common;

use common::{hardbench, read_json, repo, text, Audit, Lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `ip ARGS`, which must succeed.
fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().expect("ip (iproute2) runs");
    assert!(output.status.success(), "ip {}: {}", args.join(" "), text(&output));
}

/// A network namespace with its loopback up; deleted on drop, after every
/// process still in it is killed (only this test starts processes there).
struct Netns {
    name: String,
}

impl Netns {
    fn create(name: &str) -> Netns {
        // A namespace left by an earlier run that was killed.
        Netns::remove(name);
        ip(&["netns", "add", name]);
        let netns = Netns { name: name.to_string() };
        netns.exec_ip(&["link", "set", "lo", "up"]);
        netns
    }

    fn exec_ip(&self, args: &[&str]) {
        let mut all = vec!["netns", "exec", &self.name, "ip"];
        all.extend_from_slice(args);
        ip(&all);
    }

    /// A command run inside the namespace.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }

    fn remove(name: &str) {
        if let Ok(output) = Command::new("ip").args(["netns", "pids", name]).output() {
            for pid in String::from_utf8_lossy(&output.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        let _ = Command::new("ip").args(["netns", "del", name]).stderr(Stdio::null()).status();
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        Netns::remove(&self.name);
    }
}

/// A veth pair from `outer` (the machine's namespace when `None`) into
/// `inner`, `outer_ip`/30 and `inner_ip`/30. Deleting either namespace
/// deletes the pair; without one, the outer end is deleted on drop.
struct Veth {
    outer_name: String,
}

impl Veth {
    fn create(name: &str, outer: Option<&Netns>, outer_ip: &str, inner: &Netns, inner_ip: &str) -> Veth {
        let (outer_name, inner_name) = (format!("{name}o"), format!("{name}i"));
        let _ = Command::new("ip").args(["link", "del", &outer_name]).stderr(Stdio::null()).status();
        ip(&["link", "add", &outer_name, "type", "veth", "peer", "name", &inner_name]);
        let veth = Veth { outer_name: outer_name.clone() };
        ip(&["link", "set", &inner_name, "netns", &inner.name]);
        if let Some(outer) = outer {
            ip(&["link", "set", &outer_name, "netns", &outer.name]);
            outer.exec_ip(&["addr", "add", &format!("{outer_ip}/30"), "dev", &outer_name]);
            outer.exec_ip(&["link", "set", &outer_name, "up"]);
        } else {
            ip(&["addr", "add", &format!("{outer_ip}/30"), "dev", &outer_name]);
            ip(&["link", "set", &outer_name, "up"]);
        }
        inner.exec_ip(&["addr", "add", &format!("{inner_ip}/30"), "dev", &inner_name]);
        inner.exec_ip(&["link", "set", &inner_name, "up"]);
        veth
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        // Gone already when its namespace went first.
        let _ = Command::new("ip").args(["link", "del", &self.outer_name]).stderr(Stdio::null()).status();
    }
}

/// The lab's profiles brought up inside `netns`, on 127.0.`net`.x there.
fn lab_in(netns: &Netns, dir: &Path, net: u8, profiles: &[&str]) -> Lab {
    let lab = Lab { dir: dir.to_path_buf() };
    let output = netns
        .command("bash")
        .arg(repo().join("tests/lab/up.sh"))
        .arg("--dir")
        .arg(dir)
        .args(["--net", &net.to_string()])
        .args(profiles)
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "the lab did not come up in {}: {}", netns.name, text(&output));
    lab
}

/// A jump host: sshd in `netns` on `address`:22, the lab's audit user and
/// key, TCP forwarding allowed, every connection and login in its log.
struct JumpHost {
    child: Child,
    log: PathBuf,
    /// Its `known_hosts` line.
    known: String,
}

impl JumpHost {
    fn start(netns: &Netns, dir: &Path, address: &str, lab: &Lab) -> JumpHost {
        std::fs::create_dir_all(dir).unwrap();
        let key = dir.join("host_key");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen runs");
        assert!(status.success());
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress {address}:22\nHostKey {}\nAuthorizedKeysFile {}\nAllowUsers hbaudit\n\
                 PermitRootLogin no\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\nPidFile none\n\
                 LogLevel VERBOSE\nAllowTcpForwarding yes\nPermitTTY no\nX11Forwarding no\n",
                key.display(),
                lab.dir.join("authorized_keys").display()
            ),
        )
        .unwrap();
        let log = dir.join("sshd.log");
        let child = netns
            .command("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let jump = JumpHost {
            child,
            log,
            known: format!("{address} {}", std::fs::read_to_string(key.with_extension("pub")).unwrap().trim()),
        };
        let started = Instant::now();
        while !jump.log_text().contains("Server listening") {
            assert!(started.elapsed() < Duration::from_secs(10), "the jump host's sshd did not start: {}", jump.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
        jump
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// (TCP connections, accepted logins) so far.
    fn counts(&self) -> (usize, usize) {
        let log = self.log_text();
        (log.matches("Connection from ").count(), log.matches("Accepted publickey for hbaudit").count())
    }
}

impl JumpHost {
    /// Kills the processes of the jump host's open connections (the
    /// listener's descendants), as if the jump host dropped them.
    fn cut_connections(&self) -> usize {
        // The whole tree first: a process killed at once would leave its
        // children to be reparented before they are found.
        let mut tree = vec![self.child.id()];
        let mut next = 0;
        while let Some(&parent) = tree.get(next) {
            next += 1;
            for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
                let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
                // The fields after the command name (which may hold spaces): state, ppid.
                let after = &stat[stat.rfind(')').map_or(0, |end| end + 1)..];
                if after.split_whitespace().nth(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(parent) {
                    tree.push(pid);
                }
            }
        }
        for pid in &tree[1..] {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        tree.len() - 1
    }
}

impl Drop for JumpHost {
    fn drop(&mut self) {
        // `ip netns exec` execs sshd: this is sshd's own PID.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

/// The lab's inventory with `known_hosts` and `extra` lines in
/// `[defaults]`, written to `path`.
fn inventory(lab: &Lab, path: &Path, known_hosts: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(lab.inventory()).unwrap();
    let own = format!("known_hosts = \"{}\"", lab.dir.join("known_hosts").display());
    assert!(text.contains(&own), "{text}");
    let text = text.replace(&own, &format!("known_hosts = \"{}\"\n{extra}", known_hosts.display()));
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The lab's known_hosts plus `lines`, written to `path`.
fn known_hosts(lab: &Lab, path: &Path, lines: &[&str]) -> PathBuf {
    let mut text = std::fs::read_to_string(lab.dir.join("known_hosts")).unwrap();
    for line in lines {
        text += line;
        text += "\n";
    }
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// Every (host, check) of a report with its status; every host must be `ok`.
fn verdicts(report: &Value) -> BTreeMap<(String, String), String> {
    let mut all = BTreeMap::new();
    for host in report["hosts"].as_array().unwrap() {
        assert_eq!(host["status"], "ok", "{host:#}");
        for result in host["results"].as_array().unwrap() {
            let key = (host["name"].as_str().unwrap().to_string(), result["id"].as_str().unwrap().to_string());
            all.insert(key, result["status"].as_str().unwrap().to_string());
        }
    }
    all
}

/// The same audit of the `limit` hosts run inside `netns`, directly.
fn direct_verdicts(netns: &Netns, lab: &Lab, limit: &str, out: &Path) -> BTreeMap<(String, String), String> {
    let json = out.join("direct.json");
    std::fs::create_dir_all(out).unwrap();
    let output = netns
        .command(env!("CARGO_BIN_EXE_hardbench"))
        .args(["run", "--no-progress", "--limit", limit, "--inventory"])
        .arg(lab.inventory())
        .arg("--json")
        .arg(&json)
        .env("NO_COLOR", "1")
        .output()
        .expect("hardbench runs");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    verdicts(&read_json(&json))
}

/// Nothing answers `address`:22 from the machine's own namespace.
fn unreachable_from_here(address: &str) {
    let addr: SocketAddr = format!("{address}:22").parse().unwrap();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(), "{addr} must be reachable only through the jump host");
}

#[test]
fn hosts_behind_one_jump_host_share_one_login_and_get_the_same_verdicts() {
    let state = tempfile::tempdir().unwrap();
    let netns = Netns::create("hbjump26");
    let _veth = Veth::create("hbj26", None, "10.255.26.1", &netns, "10.255.26.2");
    let lab = lab_in(&netns, &state.path().join("lab"), 26, &["cp-good", "worker-good", "worker-bad", "fault-slow"]);
    let jump = JumpHost::start(&netns, &state.path().join("jump"), "10.255.26.2", &lab);
    for address in ["127.0.26.1", "127.0.26.2", "127.0.26.3", "127.0.26.4"] {
        unreachable_from_here(address);
    }

    let known = known_hosts(&lab, &state.path().join("known_hosts"), &[&jump.known]);
    let via_jump = inventory(&lab, &state.path().join("jump.toml"), &known, "proxy_jump = \"hbaudit@10.255.26.2:22\"");
    let healthy = "cp-good,worker-good,worker-bad";
    let audit = Audit::run(&via_jump, &state.path().join("out"), &["--concurrency", "3", "--limit", healthy]);
    // The lab's hosts fail checks (and run impostors) on purpose: exit 1.
    assert_eq!(audit.output.status.code(), Some(1), "{}", text(&audit.output));
    let through = verdicts(&audit.report());
    assert_eq!(through.keys().map(|(host, _)| host.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 3);
    assert_eq!(through, direct_verdicts(&netns, &lab, healthy, &state.path().join("out")));
    // Three hosts, one connection and one login on the jump host.
    assert_eq!(jump.counts(), (1, 1), "{}", jump.log_text());

    // A jump host whose key does not match, and one that refuses the
    // connection: each of their hosts is an error naming the jump host, and
    // each jump host is tried once for all its hosts. A host behind the
    // good jump host that never finishes ends at its command_timeout: the
    // deadline holds over the relay too.
    let wrong = "10.255.26.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR";
    let wrong_known = known_hosts(&lab, &state.path().join("wrong_known_hosts"), &[wrong]);
    let refused = state.path().join("refused.toml");
    std::fs::write(
        &refused,
        format!(
            "[defaults]\nuser = \"hbaudit\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\nconnect_timeout = \"5s\"\n\
             proxy_jump = \"10.255.26.2\"\n\n\
             [[hosts]]\nname = \"wrong-key-1\"\naddress = \"127.0.26.1\"\nroles = [\"worker\"]\n\n\
             [[hosts]]\nname = \"wrong-key-2\"\naddress = \"127.0.26.2\"\nroles = [\"worker\"]\n\n\
             [[hosts]]\nname = \"refused-1\"\naddress = \"127.0.26.1\"\nroles = [\"worker\"]\nknown_hosts = \"{}\"\nproxy_jump = \"hbaudit@10.255.26.2:2\"\n\n\
             [[hosts]]\nname = \"refused-2\"\naddress = \"127.0.26.2\"\nroles = [\"worker\"]\nknown_hosts = \"{}\"\nproxy_jump = \"hbaudit@10.255.26.2:2\"\n\n\
             [[hosts]]\nname = \"slow\"\naddress = \"127.0.26.4\"\nroles = [\"worker\"]\nknown_hosts = \"{}\"\ncommand_timeout = \"2s\"\n\n\
             [[hosts]]\nname = \"no-login-1\"\naddress = \"127.0.26.1\"\nroles = [\"worker\"]\nknown_hosts = \"{}\"\nproxy_jump = \"nobody@10.255.26.2\"\n\n\
             [[hosts]]\nname = \"no-login-2\"\naddress = \"127.0.26.2\"\nroles = [\"worker\"]\nknown_hosts = \"{}\"\nproxy_jump = \"nobody@10.255.26.2\"\n",
            lab.dir.join("id_ed25519").display(),
            wrong_known.display(),
            known.display(),
            known.display(),
            known.display(),
            known.display(),
            known.display(),
        ),
    )
    .unwrap();
    let audit = Audit::run(&refused, &state.path().join("refused"), &["--concurrency", "7"]);
    assert_eq!(audit.output.status.code(), Some(3), "{}", text(&audit.output));
    let report = audit.report();
    for host in report["hosts"].as_array().unwrap() {
        let name = host["name"].as_str().unwrap();
        let (kind, jump_label) = if name == "slow" {
            let took = host["duration_ms"].as_u64().unwrap();
            assert!((2000..8000).contains(&took), "{took} ms: {host:#}");
            ("timeout", "gathering on slow (127.0.26.4:22) did not finish within 2s")
        } else if name.starts_with("no-login") {
            ("auth", "through jump host 10.255.26.2 (10.255.26.2:22) as nobody: jump host 10.255.26.2 (10.255.26.2:22) did not accept user nobody")
        } else if name.starts_with("wrong-key") {
            ("host-key", "through jump host 10.255.26.2 (10.255.26.2:22) as hbaudit: host key for jump host 10.255.26.2")
        } else {
            ("connect", "through jump host 10.255.26.2 (10.255.26.2:2) as hbaudit: cannot connect to jump host 10.255.26.2")
        };
        assert_eq!(host["status"], "error", "{host:#}");
        assert_eq!(host["error"]["kind"], kind, "{host:#}");
        assert!(host["error"]["message"].as_str().unwrap().contains(jump_label), "{host:#}");
    }
    // The wrong key was offered once (one more connection) and no login
    // followed; the refused user tried once; the slow host's jump
    // connection (its known_hosts differs, so it is another connection)
    // logged in once.
    assert_eq!(jump.counts(), (4, 2), "{}", jump.log_text());

    // The jump connection breaks while a host behind it is gathering (the
    // slow host would take 30 s): the host is an error at once, and its
    // message says that the jump host's connection was what broke.
    let cut = state.path().join("cut.toml");
    std::fs::write(
        &cut,
        format!(
            "[defaults]\nuser = \"hbaudit\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\nproxy_jump = \"10.255.26.2\"\n\
             command_timeout = \"30s\"\n\n[[hosts]]\nname = \"cut\"\naddress = \"127.0.26.4\"\nroles = [\"worker\"]\n",
            lab.dir.join("id_ed25519").display(),
            known.display(),
        ),
    )
    .unwrap();
    let json = state.path().join("cut.json");
    let started = Instant::now();
    let run = Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(["run", "--no-progress", "--inventory", cut.to_str().unwrap(), "--json", json.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hardbench runs");
    while jump.counts().1 < 3 {
        assert!(started.elapsed() < Duration::from_secs(20), "no login on the jump host: {}", jump.log_text());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Long enough for the host's session to be gathering.
    std::thread::sleep(Duration::from_secs(1));
    assert!(jump.cut_connections() > 0, "{}", jump.log_text());
    let output = run.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    let report = read_json(&json);
    let host = &report["hosts"][0];
    assert_eq!(host["status"], "error", "{host:#}");
    let message = host["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("the connection to jump host 10.255.26.2 (10.255.26.2:22) as hbaudit was lost ("), "{host:#}");
    assert!(message.contains("cut (127.0.26.4:22)"), "{host:#}");
}

#[test]
fn hosts_behind_a_chain_of_two_jump_hosts() {
    let state = tempfile::tempdir().unwrap();
    let outer = Netns::create("hbjump28a");
    let inner = Netns::create("hbjump28b");
    let _outer_veth = Veth::create("hbj28", None, "10.255.28.1", &outer, "10.255.28.2");
    let _inner_veth = Veth::create("hbj29", Some(&outer), "10.255.29.1", &inner, "10.255.29.2");
    // worker-big sends about 7 MB, far more than a channel's window, over
    // both jump hosts' channels.
    let lab = lab_in(&inner, &state.path().join("lab"), 28, &["worker-good", "worker-bad", "worker-big"]);
    let first = JumpHost::start(&outer, &state.path().join("jump1"), "10.255.28.2", &lab);
    let second = JumpHost::start(&inner, &state.path().join("jump2"), "10.255.29.2", &lab);
    for address in ["127.0.28.1", "127.0.28.2", "127.0.28.3"] {
        unreachable_from_here(address);
    }

    let known = known_hosts(&lab, &state.path().join("known_hosts"), &[&first.known, &second.known]);
    let via_jumps = inventory(&lab, &state.path().join("jump.toml"), &known, "proxy_jump = \"hbaudit@10.255.28.2,10.255.29.2\"");
    let audit = Audit::run(&via_jumps, &state.path().join("out"), &[]);
    assert_eq!(audit.output.status.code(), Some(1), "{}", text(&audit.output));
    let through = verdicts(&audit.report());
    assert!(through.keys().any(|(host, _)| host == "worker-big"), "{through:?}");
    assert_eq!(through, direct_verdicts(&inner, &lab, "worker-good,worker-bad,worker-big", &state.path().join("out")));
    // One login on each: the second jump host is reached over the first.
    assert_eq!(first.counts(), (1, 1), "{}", first.log_text());
    assert_eq!(second.counts(), (1, 1), "{}", second.log_text());
}

/// A bad `proxy_jump` stops `run` before anything is contacted, naming its
/// file, line and key.
#[test]
fn a_bad_proxy_jump_is_bad_input_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, "10.255.26.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n").unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(
        &path,
        format!(
            "[defaults]\nuser = \"hbaudit\"\nknown_hosts = \"{}\"\n\n[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\n\
             proxy_jump = \"ops@bastion:22,,inner\"\n",
            known.display()
        ),
    )
    .unwrap();
    for command in ["run", "validate"] {
        let output = hardbench(&[command, "--inventory", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let expected = format!(
            "{}:8:14: hosts[0].proxy_jump: bad jump host \"\" (hop 2 of 3): empty (two commas, or a comma at an end)",
            path.display()
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains(&expected), "{expected}\n{}", text(&output));
    }
}

//! SshTransport against real OpenSSH daemons on loopback. Each test starts
//! its own `/usr/sbin/sshd -D` (own address 127.0.61.N and port 22600+N, own
//! host keys, config and authorized_keys in a tempdir) and kills it by PID
//! when done. The daemons let root in with a key only.

mod common;

use common::agent::Agent;
use hardbench::inventory::{Become, Host, HostKeyPolicy};
use hardbench::transport::ssh::SshTransport;
use hardbench::transport::{Gathered, HostError, HostErrorKind, Transport};
use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";

/// Make a key pair with ssh-keygen; returns the private key's path.
fn keygen(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .args(args)
        .status()
        .expect("ssh-keygen must be installed (openssh-client)");
    assert!(status.success(), "ssh-keygen {name} failed");
    path
}

fn public(private: &Path) -> String {
    fs::read_to_string(private.with_extension("pub")).unwrap()
}

/// "type base64" of a public key file, without the comment.
fn key_fields(private: &Path) -> String {
    public(private)
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One sshd and its files. Every test owns one, on its own address and port.
struct Sshd {
    dir: tempfile::TempDir,
    address: String,
    port: u16,
    host_key: PathBuf,
    child: Child,
}

struct SshdOptions {
    authorized: Vec<PathBuf>,
    host_certificate: bool,
}

impl Sshd {
    fn start(n: u8, authorized: &[&Path]) -> Sshd {
        Sshd::start_with(
            n,
            SshdOptions {
                authorized: authorized.iter().map(|p| p.to_path_buf()).collect(),
                host_certificate: false,
            },
        )
    }

    fn start_with(n: u8, options: SshdOptions) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: these tests need a real OpenSSH server (apt-get install openssh-server)"
        );
        // sshd refuses to start without its compiled-in privilege separation directory.
        fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let address = format!("127.0.61.{n}");
        let port = 22600 + u16::from(n);
        let host_key = keygen(dir.path(), "host_ed25519", &["-t", "ed25519"]);
        let mut authorized_keys = String::new();
        for key in &options.authorized {
            authorized_keys.push_str(&public(key));
        }
        fs::write(dir.path().join("authorized_keys"), authorized_keys).unwrap();
        let mut config = format!(
            "ListenAddress {address}:{port}\n\
             HostKey {host_key}\n\
             PidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\n\
             PermitRootLogin prohibit-password\n\
             UsePAM no\n\
             StrictModes no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             LogLevel VERBOSE\n",
            host_key = host_key.display(),
            dir = dir.path().display(),
        );
        if options.host_certificate {
            let ca = keygen(dir.path(), "host_ca", &["-t", "ed25519"]);
            let status = Command::new("ssh-keygen")
                .args(["-q", "-s"])
                .arg(&ca)
                .args(["-I", "test-host", "-h", "-n", &address])
                .arg(host_key.with_extension("pub"))
                .status()
                .unwrap();
            assert!(status.success(), "signing the host key failed");
            config.push_str(&format!(
                "HostCertificate {}\n",
                dir.path().join("host_ed25519-cert.pub").display()
            ));
        }
        let config_path = dir.path().join("sshd_config");
        fs::write(&config_path, config).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(&config_path)
            .arg("-E")
            .arg(dir.path().join("sshd.log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("cannot start sshd");
        let mut sshd = Sshd {
            dir,
            address,
            port,
            host_key,
            child,
        };
        sshd.wait_until_listening();
        sshd
    }

    fn wait_until_listening(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("sshd exited with {status}; log:\n{}", self.log());
            }
            if TcpStream::connect((self.address.as_str(), self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "sshd did not listen on {}:{} within 10s; log:\n{}",
            self.address,
            self.port,
            self.log()
        );
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The known_hosts line OpenSSH would write for this daemon.
    fn known_hosts_line(&self) -> String {
        format!(
            "[{}]:{} {}",
            self.address,
            self.port,
            key_fields(&self.host_key)
        )
    }

    /// A known_hosts file trusting this daemon's key.
    fn trusted_known_hosts(&self) -> PathBuf {
        let path = self.path("known_hosts");
        fs::write(&path, format!("{}\n", self.known_hosts_line())).unwrap();
        path
    }

    fn host(&self, identity_file: Option<&Path>, known_hosts: &Path) -> Host {
        Host {
            name: format!("test-{}", self.port),
            address: self.address.clone(),
            port: self.port,
            user: "root".to_string(),
            identity_file: identity_file.map(Path::to_path_buf),
            known_hosts: known_hosts.to_path_buf(),
            host_key_policy: HostKeyPolicy::Strict,
            become_method: Become::None,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(20),
            max_output: 8 * 1024 * 1024,
            roles: None,
            proxy_jump: None,
        }
    }

    /// The host key's fingerprint as `ssh-keygen -l` prints it.
    fn fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.host_key.with_extension("pub"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}


fn no_agent() -> SshTransport {
    SshTransport::with_agent(None)
}

/// Runs `script`, which ends by itself as the transport requires: its stdin
/// stays open until it does.
fn gather(transport: &SshTransport, host: &Host, script: &str) -> Result<Gathered, HostError> {
    transport.gather(host, format!("{script}\nexit\n").as_bytes(), &[])
}

#[track_caller]
fn expect_error(
    result: Result<Gathered, HostError>,
    kind: HostErrorKind,
    fragments: &[&str],
) -> HostError {
    let error = match result {
        Ok(gathered) => panic!("expected a {kind} error, got {gathered:?}"),
        Err(error) => error,
    };
    eprintln!("{kind}: {}", error.message);
    assert_eq!(error.kind, kind, "{}", error.message);
    for fragment in fragments {
        assert!(
            error.message.contains(fragment),
            "{:?} not in {:?}",
            fragment,
            error.message
        );
    }
    error
}

#[test]
fn ed25519_key_runs_the_script_with_args() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user_ed25519", &["-t", "ed25519"]);
    let sshd = Sshd::start(1, &[&key]);
    let host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    let script = "printf '%s|' \"$#\" \"$1\" \"$2\" \"$3\" \"$4\" \"$LC_ALL\"; echo oops >&2; exit 3\n";
    let args = ["a b".to_string(), "it's $HOME".to_string()];
    let start = Instant::now();
    let gathered = no_agent().gather(&host, script.as_bytes(), &args).unwrap();
    eprintln!(
        "one successful gather on loopback took {:?}",
        start.elapsed()
    );
    assert_eq!(
        String::from_utf8(gathered.stdout).unwrap(),
        "4|m:8388608|w:stdin|a b|it's $HOME|C|"
    );
    assert_eq!(gathered.stderr, b"oops\n");
    assert_eq!(gathered.exit_status, 3);
    let host_key = gathered.host_key.unwrap();
    assert_eq!(host_key.algorithm, "ssh-ed25519");
    assert_eq!(host_key.fingerprint, sshd.fingerprint());
}

#[test]
fn rsa_key_authenticates() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user_rsa", &["-t", "rsa", "-b", "3072"]);
    let sshd = Sshd::start(2, &[&key]);
    let host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    let gathered = gather(&no_agent(), &host, "echo rsa").unwrap();
    assert_eq!(gathered.stdout, b"rsa\n");
    // libssh2 has no SHA-1 `ssh-rsa` signatures, so acceptance means rsa-sha2.
    assert!(
        sshd.log()
            .contains("Accepted publickey for root from 127.0.0.1"),
        "sshd log:\n{}",
        sshd.log()
    );
    assert!(
        sshd.log().contains(": RSA SHA256:"),
        "sshd log:\n{}",
        sshd.log()
    );
}

#[test]
fn agent_identities_are_all_tried() {
    let keys = tempfile::tempdir().unwrap();
    let unrelated = keygen(keys.path(), "unrelated", &["-t", "ed25519"]);
    let right = keygen(keys.path(), "right", &["-t", "ecdsa"]);
    let agent = Agent::start(keys.path());
    agent.add(&unrelated, "");
    agent.add(&right, "");
    let sshd = Sshd::start(3, &[&right]);
    let host = sshd.host(None, &sshd.trusted_known_hosts());
    let gathered = gather(
        &SshTransport::with_agent(Some(agent.socket.clone())),
        &host,
        "echo agent",
    )
    .unwrap();
    assert_eq!(gathered.stdout, b"agent\n");
}

#[test]
fn identity_file_falls_back_to_the_agent() {
    let keys = tempfile::tempdir().unwrap();
    let wrong = keygen(keys.path(), "wrong", &["-t", "ed25519"]);
    let right = keygen(keys.path(), "right", &["-t", "ed25519"]);
    let agent = Agent::start(keys.path());
    agent.add(&right, "");
    let sshd = Sshd::start(4, &[&right]);
    let host = sshd.host(Some(&wrong), &sshd.trusted_known_hosts());
    let gathered = gather(
        &SshTransport::with_agent(Some(agent.socket.clone())),
        &host,
        "echo fallback",
    )
    .unwrap();
    assert_eq!(gathered.stdout, b"fallback\n");
}

#[test]
fn unknown_host_is_refused_under_strict_with_the_line_to_add() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(5, &[&key]);
    let known_hosts = sshd.path("missing_known_hosts");
    let host = sshd.host(Some(&key), &known_hosts);
    let fingerprint = sshd.fingerprint();
    let line = sshd.known_hosts_line();
    let error = expect_error(
        gather(&no_agent(), &host, "echo no"),
        HostErrorKind::HostKey,
        &[
            &host.name,
            &format!("{}:{}", sshd.address, sshd.port),
            &fingerprint,
            &line,
            "not in",
        ],
    );
    assert!(error.message.ends_with(&line), "{}", error.message);
    assert!(!known_hosts.exists(), "strict must not create known_hosts");
}

#[test]
fn accept_new_records_the_key_for_later_strict_runs() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(6, &[&key]);
    let known_hosts = sshd.path("ssh/known_hosts");
    let mut host = sshd.host(Some(&key), &known_hosts);
    host.host_key_policy = HostKeyPolicy::AcceptNew;
    gather(&no_agent(), &host, "true").unwrap();
    assert_eq!(
        fs::read_to_string(&known_hosts).unwrap(),
        format!("{}\n", sshd.known_hosts_line())
    );
    assert_eq!(
        fs::metadata(&known_hosts).unwrap().permissions().mode() & 0o777,
        0o600
    );
    host.host_key_policy = HostKeyPolicy::Strict;
    let gathered = gather(&no_agent(), &host, "echo again").unwrap();
    assert_eq!(gathered.stdout, b"again\n");
    // OpenSSH itself accepts the recorded line.
    let status = Command::new("ssh")
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
        ])
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-i")
        .arg(&key)
        .args([
            "-p",
            &sshd.port.to_string(),
            &format!("root@{}", sshd.address),
            "true",
        ])
        .env_remove("SSH_AUTH_SOCK")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "OpenSSH rejected the recorded known_hosts line"
    );
}

#[test]
fn mismatch_is_refused_and_known_hosts_left_alone() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let impostor = keygen(keys.path(), "impostor", &["-t", "ed25519"]);
    let sshd = Sshd::start(7, &[&key]);
    let known_hosts = sshd.path("known_hosts");
    let content = format!(
        "# header\n[{}]:{} {}\n",
        sshd.address,
        sshd.port,
        key_fields(&impostor)
    );
    fs::write(&known_hosts, &content).unwrap();
    let mut host = sshd.host(Some(&key), &known_hosts);
    for policy in [HostKeyPolicy::Strict, HostKeyPolicy::AcceptNew] {
        host.host_key_policy = policy;
        expect_error(
            gather(&no_agent(), &host, "echo no"),
            HostErrorKind::HostKey,
            &[
                &host.name,
                &sshd.fingerprint(),
                &format!("{}:2", known_hosts.display()),
                "does not match",
            ],
        );
        assert_eq!(fs::read_to_string(&known_hosts).unwrap(), content);
    }
}

#[test]
fn hashed_known_hosts_entry_matches() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(8, &[&key]);
    let known_hosts = sshd.trusted_known_hosts();
    let status = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known_hosts)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let hashed = fs::read_to_string(&known_hosts).unwrap();
    assert!(
        hashed.starts_with("|1|") && !hashed.contains(&sshd.address),
        "{hashed}"
    );
    let gathered = gather(
        &no_agent(),
        &sshd.host(Some(&key), &known_hosts),
        "echo hashed",
    )
    .unwrap();
    assert_eq!(gathered.stdout, b"hashed\n");
}

#[test]
fn host_with_a_certificate_matches_its_plain_key() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start_with(
        9,
        SshdOptions {
            authorized: vec![key.clone()],
            host_certificate: true,
        },
    );
    let gathered = gather(
        &no_agent(),
        &sshd.host(Some(&key), &sshd.trusted_known_hosts()),
        "echo cert",
    )
    .unwrap();
    assert_eq!(gathered.stdout, b"cert\n");
    assert_eq!(gathered.host_key.unwrap().algorithm, "ssh-ed25519");
}

#[test]
fn revoked_key_is_refused() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(10, &[&key]);
    let known_hosts = sshd.trusted_known_hosts();
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(&known_hosts)
        .unwrap();
    writeln!(file, "@revoked * {}", key_fields(&sshd.host_key)).unwrap();
    expect_error(
        gather(&no_agent(), &sshd.host(Some(&key), &known_hosts), "echo no"),
        HostErrorKind::HostKey,
        &[
            "@revoked",
            &format!("{}:2", known_hosts.display()),
            &sshd.fingerprint(),
        ],
    );
}

#[test]
fn wrong_key_is_an_auth_error_naming_what_was_tried() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let wrong = keygen(keys.path(), "wrong", &["-t", "ed25519"]);
    let sshd = Sshd::start(11, &[&key]);
    let host = sshd.host(Some(&wrong), &sshd.trusted_known_hosts());
    expect_error(
        gather(&no_agent(), &host, "echo no"),
        HostErrorKind::Auth,
        &[
            "user root",
            &host.name,
            &wrong.display().to_string(),
            "SSH_AUTH_SOCK is not set",
        ],
    );
}

#[test]
fn encrypted_key_without_agent_is_an_auth_error_without_prompting() {
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("encrypted");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "secret", "-C", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let sshd = Sshd::start(12, &[&key]);
    let host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    let start = Instant::now();
    expect_error(
        gather(&no_agent(), &host, "echo no"),
        HostErrorKind::Auth,
        &[
            &format!(
                "identity file {} is encrypted; load it into ssh-agent",
                key.display()
            ),
            &host.name,
        ],
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn no_key_and_no_agent_is_an_auth_error() {
    let sshd = Sshd::start(13, &[]);
    let host = sshd.host(None, &sshd.trusted_known_hosts());
    expect_error(
        gather(&no_agent(), &host, "echo no"),
        HostErrorKind::Auth,
        &["no identity_file", "SSH_AUTH_SOCK", &host.name],
    );
}

/// A Host for tests that need no sshd.
fn bare_host(address: &str, port: u16, connect_timeout: Duration) -> (tempfile::TempDir, Host) {
    let dir = tempfile::tempdir().unwrap();
    let host = Host {
        name: "nowhere".to_string(),
        address: address.to_string(),
        port,
        user: "root".to_string(),
        identity_file: None,
        known_hosts: dir.path().join("known_hosts"),
        host_key_policy: HostKeyPolicy::Strict,
        become_method: Become::None,
        connect_timeout,
        command_timeout: Duration::from_secs(5),
        max_output: 1024,
        roles: None,
        proxy_jump: None,
    };
    (dir, host)
}

#[test]
fn connection_refused_is_a_connect_error() {
    let (_dir, host) = bare_host("127.0.61.14", 22614, Duration::from_secs(5));
    let start = Instant::now();
    expect_error(
        gather(&no_agent(), &host, "true"),
        HostErrorKind::Connect,
        &["nowhere (127.0.61.14:22614)", "refused"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn silent_listener_is_a_handshake_error_within_connect_timeout() {
    let listener = TcpListener::bind("127.0.61.15:22615").unwrap();
    let (done, wait_for_done) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let _ = wait_for_done.recv();
        drop(stream);
    });
    let (_dir, host) = bare_host("127.0.61.15", 22615, Duration::from_secs(2));
    let start = Instant::now();
    expect_error(
        gather(&no_agent(), &host, "true"),
        HostErrorKind::Handshake,
        &["nowhere (127.0.61.15:22615)", "2s"],
    );
    let took = start.elapsed();
    assert!(took < Duration::from_secs(4), "took {took:?}");
    done.send(()).unwrap();
    holder.join().unwrap();
}

#[test]
fn command_timeout_is_a_hard_deadline() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(16, &[&key]);
    let mut host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    host.command_timeout = Duration::from_secs(2);
    let start = Instant::now();
    // Ticking, so the remote shell dies of SIGPIPE soon after we hang up
    // instead of outliving the test; output must not extend the deadline.
    let script = "i=0; while [ $i -lt 30 ]; do echo tick; sleep 1; i=$((i+1)); done";
    expect_error(
        gather(&no_agent(), &host, script),
        HostErrorKind::Timeout,
        &[&host.name, "within 2s"],
    );
    // 2s of exec plus connect, handshake and auth on a loaded machine.
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "took {took:?}"
    );
}

#[test]
fn large_stderr_does_not_stall_stdout() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(17, &[&key]);
    let host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    let gathered = gather(
        &no_agent(),
        &host,
        "echo before; head -c 4194304 /dev/zero >&2; echo after",
    )
    .unwrap();
    assert_eq!(gathered.stdout, b"before\nafter\n");
    assert_eq!(gathered.stderr.len(), 64 * 1024);
    assert_eq!(gathered.exit_status, 0);
}

#[test]
fn large_script_and_large_stdout_both_flow() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(18, &[&key]);
    let host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    // The script echoes 3 MiB while its own 3 MiB tail is still being sent.
    let mut script = String::from("head -c 3145728 /dev/zero | tr '\\0' x\necho\n");
    while script.len() < 3 * 1024 * 1024 {
        script.push_str(": padding padding padding padding padding padding padding padding\n");
    }
    script.push_str("echo end\n");
    let gathered = gather(&no_agent(), &host, &script).unwrap();
    assert_eq!(gathered.stdout.len(), 3 * 1024 * 1024 + 1 + 4);
    assert!(gathered.stdout.ends_with(b"x\nend\n"));
}

#[test]
fn output_over_the_cap_is_an_output_error() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(19, &[&key]);
    let mut host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    host.max_output = 64 * 1024;
    let start = Instant::now();
    expect_error(
        gather(&no_agent(), &host, "yes hardbench"),
        HostErrorKind::Output,
        &[&host.name, "exceeded the 64 KiB cap"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn lost_connection_is_an_output_error() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(20, &[&key]);
    let host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    // The script's parent is the per-session sshd; killing it drops the connection.
    expect_error(
        gather(&no_agent(), &host, "echo partial; kill -9 $PPID; sleep 2"),
        HostErrorKind::Output,
        &[&host.name, "dropped mid-stream"],
    );
}

#[test]
fn stdin_stays_open_until_the_deadline_then_the_script_reads_eof() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "user", &["-t", "ed25519"]);
    let sshd = Sshd::start(21, &[&key]);
    let mut host = sshd.host(Some(&key), &sshd.trusted_known_hosts());
    host.command_timeout = Duration::from_secs(2);
    let mark = keys.path().join("hung-up");
    // The whole script is in the shell's buffer when it runs, so `read`
    // waits on the channel: it returns only when hardbench hangs up.
    let script = format!("while read -r l; do :; done; echo eof >'{}'\nexit\n", mark.display());
    let start = Instant::now();
    expect_error(
        no_agent().gather(&host, script.as_bytes(), &[]),
        HostErrorKind::Timeout,
        &[&host.name, "within 2s"],
    );
    let timed_out = start.elapsed();
    while !mark.exists() {
        assert!(
            start.elapsed() < timed_out + Duration::from_secs(2),
            "the script did not read EOF within 2s of the timeout"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// CPU time of the calling thread (the gather runs on it).
fn thread_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// A listener on `address` that feeds whoever connects with `feed` until
/// the connection is gone, then stops.
fn hostile_listener(address: &str, feed: fn(&mut TcpStream) -> std::io::Result<()>) {
    let listener = TcpListener::bind(address).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        // Ends with an error once the client has hung up.
        let _ = feed(&mut stream);
    });
}

/// Gathers from a hostile listener with a 2 s connect_timeout and checks
/// the handshake error, how long it took and how much CPU it cost.
#[track_caller]
fn expect_handshake_error(address: &str, port: u16, fragments: &[&str], at_least: Duration) -> Duration {
    let (_dir, host) = bare_host(address, port, Duration::from_secs(2));
    let (start, cpu) = (Instant::now(), thread_cpu());
    expect_error(gather(&no_agent(), &host, "true"), HostErrorKind::Handshake, fragments);
    let (took, cpu) = (start.elapsed(), thread_cpu() - cpu);
    eprintln!("{address}: handshake error after {took:?}, {cpu:?} of CPU");
    // libssh2's own timeout may round the last milliseconds down.
    assert!(took >= at_least.saturating_sub(Duration::from_millis(50)) && took < Duration::from_millis(2800), "took {took:?}");
    // Waiting, not spinning: libssh2's own banner loop used a whole core.
    assert!(cpu < took / 4 + Duration::from_millis(50), "{cpu:?} of CPU in {took:?}");
    took
}

#[test]
fn a_flood_of_text_lines_is_a_prompt_handshake_error() {
    hostile_listener("127.0.61.22:22622", |s| loop {
        s.write_all(b"220 welcome to a mail server, not ssh\r\n")?;
    });
    expect_handshake_error(
        "127.0.61.22",
        22622,
        &["nowhere (127.0.61.22:22622)", "1024 lines without an SSH identification"],
        Duration::ZERO,
    );
}

#[test]
fn bytes_without_a_newline_are_a_prompt_handshake_error() {
    hostile_listener("127.0.61.23:22623", |s| loop {
        s.write_all(&[b'x'; 4096])?;
    });
    expect_handshake_error(
        "127.0.61.23",
        22623,
        &["nowhere (127.0.61.23:22623)", "a line longer than 8192 bytes"],
        Duration::ZERO,
    );
}

#[test]
fn a_trickle_of_lines_ends_at_the_connect_deadline() {
    hostile_listener("127.0.61.24:22624", |s| loop {
        s.write_all(b"not yet")?;
        std::thread::sleep(Duration::from_millis(50));
        s.write_all(b"\r\n")?;
    });
    expect_handshake_error(
        "127.0.61.24",
        22624,
        &["SSH handshake with nowhere (127.0.61.24:22624) did not finish within 2s"],
        Duration::from_secs(2),
    );
}

#[test]
fn a_trickle_after_the_identification_ends_at_the_connect_deadline() {
    // A valid identification, then a key exchange packet that announces
    // 4 KiB and arrives one byte at a time: each byte comes well within any
    // per-read timeout, so only a deadline on the whole handshake ends it.
    hostile_listener("127.0.61.25:22625", |s| {
        s.write_all(b"SSH-2.0-trickle\r\n\x00\x00\x10\x00")?;
        loop {
            std::thread::sleep(Duration::from_millis(20));
            s.write_all(b"\x00")?;
        }
    });
    expect_handshake_error(
        "127.0.61.25",
        22625,
        &["SSH handshake with nowhere (127.0.61.25:22625) did not finish within 2s"],
        Duration::from_secs(2),
    );
}

/// A resolver that never answers: the run is in a mount namespace where
/// /etc/resolv.conf names a UDP socket this test holds on loopback and never
/// reads, and the host's name is in no hosts file. No query leaves loopback.
#[test]
fn name_resolution_ends_at_the_connect_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let silent = std::net::UdpSocket::bind("127.0.61.26:53").unwrap();
    let resolv = dir.path().join("resolv.conf");
    fs::write(&resolv, "nameserver 127.0.61.26\noptions timeout:30 attempts:1\n").unwrap();
    let inventory = dir.path().join("inventory.toml");
    fs::write(
        &inventory,
        format!(
            "[defaults]\nuser = \"root\"\nknown_hosts = \"{}\"\nbecome = \"none\"\nhost_key_policy = \"accept-new\"\nconnect_timeout = \"2s\"\n\n\
             [[hosts]]\nname = \"unresolvable\"\naddress = \"cp-1.hardbench-never-answered.test\"\nroles = [\"worker\"]\n",
            dir.path().join("known_hosts").display()
        ),
    )
    .unwrap();
    let json = dir.path().join("report.json");
    let start = Instant::now();
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount --bind "$1" /etc/resolv.conf && shift && exec "$@""#)
        .arg("sh")
        .arg(&resolv)
        .arg(env!("CARGO_BIN_EXE_hardbench"))
        .args(["run", "--no-progress", "--benchmark", "cis-1.12", "--inventory"])
        .arg(&inventory)
        .arg("--json")
        .arg(&json)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    let took = start.elapsed();
    drop(silent);
    let report: serde_json::Value = serde_json::from_slice(&fs::read(&json).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no report ({e}): {output:?}"));
    let host = &report["hosts"][0];
    assert_eq!(host["error"]["kind"], "connect", "{host:#}");
    let message = host["error"]["message"].as_str().unwrap();
    assert!(message.contains("no answer from the resolver within 2s"), "{message}");
    let host_took = Duration::from_millis(host["duration_ms"].as_u64().unwrap());
    eprintln!("unresolvable host: error after {host_took:?}; the whole run took {took:?}");
    assert!(host_took >= Duration::from_millis(1900) && host_took < Duration::from_millis(2800), "{host_took:?}");
    assert!(took < Duration::from_secs(5), "the run took {took:?}");
}

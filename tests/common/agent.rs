//! A real `ssh-agent -D` on a socket in a temporary directory, for the tests
//! that authenticate or sign through an agent. It is killed by its PID when
//! dropped, and it is owned by the guard from the moment it is spawned, so a
//! test that fails while setting it up (a key `ssh-add` refuses) still
//! stops it: a leaked agent would outlive the test run.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Agent {
    child: Child,
    pub socket: PathBuf,
}

impl Agent {
    /// Starts the agent on `dir/agent.sock` and waits until it accepts
    /// connections: the socket file exists from `bind`, before `listen`, and
    /// a client that connects in between is refused.
    pub fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent starts");
        let agent = Agent { child, socket };
        let deadline = Instant::now() + Duration::from_secs(20);
        while UnixStream::connect(&agent.socket).is_err() {
            assert!(Instant::now() < deadline, "ssh-agent does not accept connections on {}", agent.socket.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    /// `ssh-add KEY`, answering a passphrase prompt, if any, with
    /// `passphrase` through SSH_ASKPASS: what an operator does once.
    pub fn add(&self, key: &Path, passphrase: &str) {
        let dir = tempfile::tempdir().unwrap();
        let askpass = dir.path().join("askpass");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).unwrap();
        std::fs::set_permissions(&askpass, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let output: Output = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .stdin(Stdio::null())
            .output()
            .expect("ssh-add runs");
        assert!(
            output.status.success(),
            "ssh-add {}: {}{}",
            key.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! The OpenSSH client configuration in use: `hardbench validate` reads the
//! inventory's `ssh_config` (and `--ssh-config`) and says what it ignores,
//! and `hardbench run` reaches a lab host that the inventory names only by
//! an alias, with the HostName, Port, User, IdentityFile and
//! UserKnownHostsFile that ssh_config gives it. Lab net 22.

mod common;

use common::{hardbench, text, Audit, Lab};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `path` mode 0600: ssh refuses a configuration others can write.
fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// ssh_config for the lab in `lab`: `lab-worker` is worker-good;
/// `lab-worker-port` is the same host on a port nothing listens on;
/// `lab-behind` is behind a jump host.
fn ssh_config(lab: &Path) -> String {
    let lab = lab.display();
    format!(
        "# the lab, by alias
Host lab-worker lab-worker-port
    HostName 127.0.22.1
Host lab-worker-port
    Port 2
Host lab-behind
    ProxyJump hbaudit@127.0.22.1:22
Host lab-* !lab-none
    User hbaudit
    Port 22
    IdentityFile {lab}/missing_key
    IdentityFile {lab}/id_ed25519
    UserKnownHostsFile {lab}/known_hosts
    StrictHostKeyChecking no
Host *
    User nobody
    Port 2222
"
    )
}

const INVENTORY: &str = r#"[defaults]
ssh_config = "ssh_config"
become = "sudo"
connect_timeout = "5s"
command_timeout = "30s"

[[hosts]]
name = "worker-good"
address = "lab-worker"

[[hosts]]
name = "wrong-port"
address = "lab-worker-port"
roles = ["worker"]

[[hosts]]
name = "behind"
address = "lab-behind"
roles = ["worker"]
"#;

#[test]
fn validate_reads_ssh_config_and_names_what_it_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab");
    std::fs::create_dir(&lab).unwrap();
    write(&lab.join("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n");
    write(&lab.join("known_hosts"), "127.0.22.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n");
    let config = dir.path().join("ssh_config");
    write(&config, &ssh_config(&lab));
    let inventory = dir.path().join("inventory.toml");
    write(&inventory, INVENTORY);

    let output = hardbench(&["validate", "--inventory", inventory.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let shown = config.display();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warning = format!(
        "{shown}:14:5: StrictHostKeyChecking: ignored: StrictHostKeyChecking no: host keys are checked as host_key_policy says"
    );
    assert!(stderr.contains(&warning), "{warning}\n{}", text(&output));
    assert_eq!(stderr.matches("StrictHostKeyChecking no").count(), 1, "one warning for three hosts: {stderr}");

    // --ssh-config replaces the inventory's file; one that is wrong stops
    // validate with its line, before anything is contacted.
    let broken = dir.path().join("broken");
    write(&broken, "Host lab-*\n  Port none\n");
    let output = hardbench(&["validate", "--inventory", inventory.to_str().unwrap(), "--ssh-config", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let expected = format!("{}:2:3: Port: bad port \"none\": expected a number from 1 to 65535", broken.display());
    assert!(String::from_utf8_lossy(&output.stderr).contains(&expected), "{expected}\n{}", text(&output));

    // `--ssh-config ""` reads none: nothing is said about the file.
    let output = hardbench(&["validate", "--inventory", inventory.to_str().unwrap(), "--ssh-config", ""]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains(&shown.to_string()), "{}", text(&output));
}

#[test]
fn run_reaches_a_host_by_its_ssh_config_alias() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 22, &["worker-good"]);
    let config = state.path().join("ssh_config");
    write(&config, &ssh_config(&lab.dir));
    let inventory = state.path().join("inventory.toml");
    write(&inventory, INVENTORY);

    let audit = Audit::run(&inventory, &state.path().join("out"), &[]);
    // Two hosts cannot be audited: exit 3.
    assert_eq!(audit.output.status.code(), Some(3), "{}", text(&audit.output));
    let report = audit.report();
    let host = |name: &str| report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == name).unwrap().clone();

    let good = host("worker-good");
    assert_eq!(good["status"], "ok", "{good:#}");
    assert_eq!((good["address"].as_str(), good["port"].as_u64(), good["user"].as_str()), (Some("127.0.22.1"), Some(22), Some("hbaudit")));
    assert!(good["summary"]["pass"].as_u64().unwrap() > 0, "{good:#}");
    assert_eq!(good["summary"]["error"], 0, "{good:#}");

    // The Port of its own block came first: nothing listens there.
    let wrong_port = host("wrong-port");
    assert_eq!(wrong_port["status"], "error", "{wrong_port:#}");
    assert_eq!(wrong_port["error"]["kind"], "connect", "{wrong_port:#}");
    assert!(wrong_port["error"]["message"].as_str().unwrap().contains("127.0.22.1:2"), "{wrong_port:#}");

    // Reached through the jump host ssh_config names, whose sshd (the lab
    // host's) allows no forwarding: the error names the jump host.
    let behind = host("behind");
    assert_eq!(behind["status"], "error", "{behind:#}");
    assert_eq!(behind["error"]["kind"], "connect", "{behind:#}");
    assert_eq!(
        behind["error"]["message"],
        "cannot connect to behind (lab-behind:22) through jump host 127.0.22.1 (127.0.22.1:22) as hbaudit: \
         the jump host refused to open a connection: Channel open failure (administratively prohibited)"
    );
}

//! Bad input through the built binary: every case exits 2 with a message
//! that says what and where, and nothing is contacted. A listener on
//! 127.0.43.1 stands in for a host and proves that no run got that far.

mod common;

use common::{hardbench, text};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

/// Runs hardbench and asserts exit 2 and a stderr containing each of `expected`.
#[track_caller]
fn case(args: &[&str], expected: &[&str]) -> String {
    let output = hardbench(args);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    assert!(output.stdout.is_empty(), "{args:?}: nothing on stdout: {}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: no {e:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_command_lines_give_one_error_line_and_the_usage_hint() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = write(dir.path(), "i.toml", "[[hosts]]\nname = \"a\"\naddress = \"127.0.43.1\"\n");
    for args in [
        &["run"][..],
        &["run", "--inventory", &inventory, "--concurrency", "0"],
        &["run", "--inventory", &inventory, "--concurrency", "many"],
        &["run", "--inventory", &inventory, "--benchmark", "cis-1.12", "--benchmark", "cis-1.12"],
        &["run", "--inventory", &inventory, "--no-such-flag"],
        &["frobnicate"],
        &["evaluate", "--facts"],
    ] {
        let stderr = case(args, &["--help"]);
        let first = stderr.lines().next().unwrap();
        assert!(first.starts_with("error: "), "{args:?}: {stderr}");
        // The error (one line, plus the list of missing arguments if any),
        // then (for a wrong argument, not a wrong value) the usage line, and
        // the hint.
        let paragraph = stderr.lines().take_while(|l| !l.is_empty()).count();
        assert!(paragraph <= 2, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().last(), Some("For more information, try '--help'."), "{args:?}: {stderr}");
    }
}

#[test]
fn bad_inventories_and_outputs_are_refused_before_any_host_is_contacted() {
    let listener = TcpListener::bind("127.0.43.1:2243").unwrap();
    listener.set_nonblocking(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let host = "[[hosts]]\nname = \"a\"\naddress = \"127.0.43.1\"\nport = 2243\n";
    let good = write(d, "good.toml", &format!("[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\n{host}"));
    write(d, "kh", "127.0.43.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n");

    // Inventory problems: file, line, column and key.
    let path = write(d, "port.toml", "[[hosts]]\nname = \"a\"\naddress = \"127.0.43.1\"\nport = 70000\n");
    case(&["run", "--inventory", &path], &[&format!("{path}:4:8: hosts[0].port")]);
    let path = write(d, "syntax.toml", "[[hosts]\nname = \"a\"\n");
    case(&["run", "--inventory", &path], &[&format!("{path}:1:")]);
    let path = write(d, "timeout.toml", &format!("[defaults]\nconnect_timeout = \"5 parsecs\"\n{host}"));
    case(&["run", "--inventory", &path], &[&format!("{path}:2:19: defaults.connect_timeout")]);
    let missing = d.join("missing.toml");
    case(&["run", "--inventory", missing.to_str().unwrap()], &["missing.toml: cannot read"]);
    // The audit user's password is never accepted, in any spelling.
    for key in ["password", "sudo_password", "become_password"] {
        let path = write(d, &format!("{key}.toml"), &format!("{host}{key} = \"hunter2\"\n"));
        let stderr = case(&["run", "--inventory", &path], &[&format!("{path}:5:1: hosts[0].{key}"), "never accepted"]);
        assert!(!stderr.contains("hunter2"), "the password is echoed: {stderr}");
    }
    // ... nor on the command line.
    case(&["run", "--inventory", &good, "--password", "hunter2"], &["unexpected argument '--password'"]);

    // Output paths that cannot be written.
    let unwritable = d.join("no/such/dir/report.json");
    case(
        &["run", "--inventory", &good, "--json", unwritable.to_str().unwrap()],
        &[&format!("--json {}: directory {} does not exist", unwritable.display(), d.join("no/such/dir").display())],
    );
    case(&["run", "--inventory", &good, "--junit", d.to_str().unwrap()], &["is a directory"]);
    // Only a regular file (or a new one) is replaced; devices, FIFOs, links
    // and every malformed path are refused up front.
    std::fs::write(d.join("file"), "").unwrap();
    let fifo = d.join("fifo.json");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo = fifo.to_str().unwrap();
    let (file_parent, new_dir) = (d.join("file/report.json"), d.join("new.json/"));
    let (file_parent, new_dir) = (file_parent.to_str().unwrap(), new_dir.to_str().unwrap());
    let twice = d.join("twice.json");
    let twice = twice.to_str().unwrap();
    let twice_again = format!("{}/./twice.json", d.display());
    for (args, expected) in [
        (&["--json", "/dev/null"][..], "--json /dev/null: is a character device"),
        (&["--junit", "/dev/full"], "--junit /dev/full: is a character device"),
        (&["--json", "/dev/stdout"], "--json /dev/stdout: is a symbolic link"),
        (&["--json", fifo], "is a FIFO"),
        (&["--json", new_dir], "ends with a slash"),
        (&["--junit", "newfile.xml/"], "--junit newfile.xml/: ends with a slash"),
        (&["--json", file_parent], "file is not a directory"),
        (&["--json", twice, "--junit", &twice_again], "--json and --junit both name"),
        (&["--json", "-", "--junit", "-"], "both write to standard output"),
        (&["--json", twice, "--html", &twice_again], "--json and --html both name"),
        (&["--junit", twice, "--html", twice], "--junit and --html both name"),
        (&["--html", "-", "--json", "-"], "--json and --html both write to standard output"),
        (&["--html", "/dev/null"], "--html /dev/null: is a character device"),
        (&["--junit", twice, "--metrics", &twice_again], "--junit and --metrics both name"),
    ] {
        let mut all = vec!["run", "--inventory", &good];
        all.extend_from_slice(args);
        case(&all, &[expected]);
    }
    use std::os::unix::fs::FileTypeExt;
    for device in ["/dev/null", "/dev/full"] {
        assert!(std::fs::metadata(device).unwrap().file_type().is_char_device(), "{device} is still a device");
    }
    assert!(std::fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink(), "/dev/stdout is still a link");
    assert!(!Path::new(twice).exists() && !d.join("new.json").exists() && !Path::new("newfile.xml").exists());
    // A check id that no benchmark knows.
    case(&["run", "--inventory", &good, "--check", "9.9.9"], &["9.9.9"]);

    // check-access reads the inventory and checks --json as run does, and
    // never writes its JSON over the inventory.
    let path = write(d, "access-port.toml", "[[hosts]]\nname = \"a\"\naddress = \"127.0.43.1\"\nport = 70000\n");
    case(&["check-access", "--inventory", &path], &[&format!("{path}:4:8: hosts[0].port")]);
    case(&["check-access", "--inventory", &good, "--json", "/dev/null"], &["--json /dev/null: is a character device"]);
    case(&["check-access", "--inventory", &good, "--json", &good], &["--inventory and --json both name"]);
    case(&["check-access", "--inventory", &good, "--limit", "nobody"], &["nobody"]);
    assert!(std::fs::read_to_string(&good).unwrap().starts_with("[defaults]"), "the inventory is intact");

    std::thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "a host was contacted despite bad input");
}

/// What `run` cannot use is refused by `validate` and by `run` alike, with
/// file, line, column and key, before anything is contacted: overflowing
/// durations and sizes, addresses the resolver cannot take, a public key as
/// identity file, and a missing known_hosts under `strict`.
#[test]
fn values_run_cannot_use_are_refused_by_validate_and_run() {
    let listener = TcpListener::bind("127.0.43.2:2243").unwrap();
    listener.set_nonblocking(true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "kh", "127.0.43.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n");
    let key = d.join("id_ed25519");
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(keygen.success());
    let defaults = format!("[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\nidentity_file = \"{}\"\n", key.display());
    let host = "[[hosts]]\nname = \"a\"\naddress = \"127.0.43.2\"\nport = 2243\n";
    let cases: Vec<(String, String)> = vec![
        (
            format!("{defaults}{host}command_timeout = \"292471208677y\"\n"),
            ":9:19: hosts[0].command_timeout: duration \"292471208677y\" is too long: at most 24h".into(),
        ),
        (
            format!("{defaults}{host}max_output = \"2GiB\"\n"),
            ":9:14: hosts[0].max_output: size \"2GiB\" is too large: at most 1GiB".into(),
        ),
        (
            format!("{defaults}{}", host.replace("127.0.43.2", "[::1]")),
            ":7:11: hosts[0].address: address \"[::1]\" has brackets".into(),
        ),
        (
            format!("{defaults}{}", host.replace("127.0.43.2", "127.0.43.2\\u0001")),
            ":7:11: hosts[0].address: address \"127.0.43.2\\u{1}\" contains a control character".into(),
        ),
        (
            format!("{}{host}", defaults.replace("id_ed25519", "id_ed25519.pub")),
            format!(
                ":4:17: defaults.identity_file: identity file {}.pub holds an OpenSSH public key (ssh-ed25519), \
                 not a private key: name the private key file (probably {})",
                key.display(),
                key.display()
            ),
        ),
        (
            format!("{}{host}", defaults.replace("\"kh\"", "\"no-such-known-hosts\"")),
            ":3:15: defaults.known_hosts: known_hosts file".into(),
        ),
    ];
    for (index, (text, expected)) in cases.iter().enumerate() {
        let path = write(d, &format!("{index}.toml"), text);
        for command in ["validate", "run"] {
            let stderr = case(&[command, "--inventory", &path], &[&format!("{path}{expected}")]);
            assert!(stderr.contains("1 error in the inventory"), "{command} {text}: {stderr}");
        }
    }
    // A FIFO named as the inventory is refused, not opened (it would block).
    let fifo = d.join("fifo.toml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let fifo = fifo.to_str().unwrap();
    for command in ["validate", "run"] {
        case(&[command, "--inventory", fifo], &[&format!("{fifo}: cannot read: not a regular file")]);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "a host was contacted despite bad input");
}

/// A private key that group or others can read is used (the user may rely
/// on it), but `validate` and `run` say on standard error that OpenSSH
/// would refuse it, naming the file and its mode.
#[test]
fn a_private_key_others_can_read_is_a_warning_in_validate_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "kh", "127.0.43.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n");
    let key = write(d, "id", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    // Port 1 on loopback refuses at once: `run` ends with exit 3.
    let path = write(
        d,
        "i.toml",
        &format!(
            "[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\nidentity_file = \"{key}\"\n\
             [[hosts]]\nname = \"a\"\naddress = \"127.0.0.1\"\nport = 1\nroles = [\"worker\"]\n"
        ),
    );
    let warning = format!(
        "hardbench: warning: {path}:4:17: defaults.identity_file: identity file {key} has mode 0644: \
         group or others can access this private key, and OpenSSH refuses such a key (chmod 600 {key})\n"
    );
    for (args, status) in [(&["validate", "--inventory", &path][..], 0), (&["run", "--no-progress", "--inventory", &path], 3)] {
        let output = hardbench(args);
        assert_eq!(output.status.code(), Some(status), "{args:?}: {}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with(&warning), "{args:?}: {}", text(&output));
        assert_eq!(stderr.matches("warning").count(), 1, "{args:?}: {}", text(&output));
    }
}

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

    std::thread::sleep(Duration::from_millis(100));
    assert!(listener.accept().is_err(), "a host was contacted despite bad input");
}

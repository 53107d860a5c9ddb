//! The console report through the binary, on the kubeadm fixtures (four
//! saved hosts; cp-bad, worker-bad and, once, cp-good fail): `--summary` is the host lines,
//! the total line and the closing list of hosts to look at; the full report
//! ends with the same list.

mod common;

use common::{hardbench, repo, text};

fn console(extra: &[&str]) -> String {
    let set = repo().join("tests/fixtures/kubeadm");
    let mut args = vec!["evaluate", "--facts", set.to_str().unwrap(), "--benchmark", "cis-1.12"];
    args.extend_from_slice(extra);
    let output = hardbench(&args);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn summary_and_the_hosts_that_failed_come_last() {
    let ending = "\nfailed: cp-bad (27 fail)\nfailed: cp-good (1 fail)\nfailed: worker-bad (5 fail)\n";
    let summary = console(&["--summary"]);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 9, "four hosts, the total, a blank line, three failed hosts:\n{summary}");
    for (line, host) in lines.iter().zip(["cp-bad", "cp-good", "worker-bad", "worker-good"]) {
        assert!(line.starts_with(&format!("{host} (127.0.31.")), "{line:?}\n{summary}");
    }
    assert!(lines[4].starts_with("4 hosts (4 ok, 0 error), benchmark cis-1.12: "), "{summary}");
    assert!(summary.ends_with(ending), "{summary}");

    let full = console(&[]);
    assert!(full.contains("\n  FAIL ") && full.ends_with(ending), "{full}");
    assert!(full.contains(lines[4]), "the same total line:\n{full}");
}

//! Fuzzing the loaders of untrusted text with proptest: the inventory
//! (`inventory::parse`), the benchmark definitions (`benchmark::load_dir`)
//! and the gather stream (`facts::parse::parse`, fed a real stream of the
//! lab's script). Inputs are structured mutations of valid files (lines
//! deleted, duplicated, swapped, hostile values and keys, truncation), so
//! most cases get past the TOML or framing layer into validation. Nothing
//! may panic, and every error must say where it is.
//!
//! The case counts are bounded so that `cargo test` stays fast; set
//! HARDBENCH_FUZZ_CASES to run more. Each test prints how many it ran.
//! No input has failed so far (3000 cases per target run once); one that
//! does is to be kept here as a plain #[test] with the input inline.

use hardbench::benchmark;
use hardbench::inventory::{self, Env, Probe};
use hardbench::transport::ssh_config::SshConfig;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use std::path::{Path, PathBuf};

fn cases(default: u32) -> u32 {
    std::env::var("HARDBENCH_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// Values that stress validation: wrong types, overflow, empty, control
/// characters, units that do not exist, paths that escape.
const VALUES: &[&str] = &[
    "\"\"", "-1", "0", "99999999999999999999", "1.5", "true", "[]", "{}", "[1, \"a\"]", "{ a = 1 }",
    "\"0s\"", "\"1e9h\"", "\"99999999999h\"", "\"18446744073709551616\"", "\"8EiB\"", "\"-1KiB\"",
    "\"~\"", "\"~other/x\"", "\"../../../etc/shadow\"", "\"\\u0000\"", "\"a\\nb\"", "\"\u{1b}[31m\"",
    "\"*\"", "\"1.2.*\"", "\"worker\"", "\"control-plane\"", "\"mode-at-most\"", "\"600\"", "'''x'''",
    "1979-05-27", "\"\u{feff}\"", "\"292471208677y\"", "\"2GiB\"", "\"[::1]\"", "\"a..b\"", "0x7fffffffffffffff",
];
const KEYS: &[&str] = &[
    "name", "address", "port", "user", "identity_file", "known_hosts", "host_key_policy", "become",
    "connect_timeout", "command_timeout", "max_output", "roles", "password", "sudo_password", "id", "title",
    "target", "automated", "scored", "test", "op", "value", "setting", "file", "kind", "default", "x",
];
const LINES: &[&str] = &[
    "[[hosts]]", "[defaults]", "[x]", "[[checks]]", "[settings.x]", "[[hosts]]\nname = \"dup\"",
    "password = \"hunter2\"", "name = \"cp-1\"", "address = \"10.0.0.1\"", "id = \"1.1.1\"", "=", "[", "\"",
    "a.b.c = 1", "[[defaults]]", "test = { }", "test = { all = [] }", "test = { any = [{ file = [] }] }",
];

/// One edit of a text, interpreted from three random numbers.
fn mutate(text: &str, edits: &[(u8, usize, usize)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for &(op, a, b) in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = a % lines.len();
        match op % 9 {
            0 => {
                lines.remove(i);
            }
            1 => lines.insert(i, lines[i].clone()),
            2 => {
                let j = b % lines.len();
                lines.swap(i, j);
            }
            3 => {
                // Replace the value of `key = value`.
                if let Some(eq) = lines[i].find(" = ") {
                    lines[i] = format!("{} = {}", &lines[i][..eq], VALUES[b % VALUES.len()]);
                }
            }
            4 => {
                // Rename the key of `key = value`.
                if let Some(eq) = lines[i].find(" = ") {
                    lines[i] = format!("{}{}", KEYS[b % KEYS.len()], &lines[i][eq..]);
                }
            }
            5 => lines.insert(i, LINES[b % LINES.len()].to_string()),
            6 => lines.insert(i, format!("{} = {}", KEYS[a % KEYS.len()], VALUES[b % VALUES.len()])),
            7 => {
                // Cut the line short (on a character boundary).
                let line = &lines[i];
                let mut cut = b % (line.len() + 1);
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines[i] = line[..cut].to_string();
            }
            _ => {
                // Overwrite one character with a printable or control one.
                let chars: Vec<char> = lines[i].chars().collect();
                if !chars.is_empty() {
                    let mut chars = chars;
                    let at = b % chars.len();
                    chars[at] = char::from(u8::try_from(b % 128).unwrap());
                    lines[i] = chars.into_iter().collect();
                }
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, usize)>> {
    proptest::collection::vec(any::<(u8, usize, usize)>(), 1..6)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parses an inventory; asserts that every error says file, line and column.
fn check_inventory(text: &str) {
    let private_key = |_: &Path| Probe::File { mode: 0o600, start: b"-----BEGIN OPENSSH PRIVATE KEY-----\n".to_vec() };
    let env = Env {
        home: Some("/home/audit".into()),
        user: Some("audit".into()),
        probe: &private_key,
        ssh_config: Some(PathBuf::new()),
        read_ssh_config: &SshConfig::read,
    };
    let path = Path::new("/inv/i.toml");
    if let Err(errors) = inventory::parse(path, text, &env) {
        assert!(!errors.0.is_empty(), "an error without a problem");
        let lines = text.lines().count() + 1;
        for error in &errors.0 {
            let position = error.position.unwrap_or_else(|| panic!("no position: {error}\n--- input\n{text}"));
            assert!(position.line >= 1 && position.line <= lines.max(1), "{error}\n--- input\n{text}");
            assert!(error.to_string().starts_with("/inv/i.toml:"), "{error}");
        }
    }
}

#[test]
fn the_inventory_loader_never_panics_and_always_points_at_the_problem() {
    let example = std::fs::read_to_string(repo().join("inventory/example.toml")).unwrap();
    let lab = "[defaults]\nuser = \"hbaudit\"\nport = 22\nidentity_file = \"/lab/id\"\nknown_hosts = \"/lab/kh\"\n\
               host_key_policy = \"strict\"\nbecome = \"sudo\"\nconnect_timeout = \"5s\"\ncommand_timeout = \"30s\"\n\
               max_output = \"8MiB\"\n\n[[hosts]]\nname = \"cp\"\naddress = \"127.0.10.1\"\n\
               roles = [\"control-plane\", \"etcd\"]\n\n[[hosts]]\nname = \"w\"\naddress = \"127.0.10.2\"\n";
    let mut runner = runner(cases(400));
    let ran = Cell::new(0u32);
    let strategy = (prop::bool::ANY, edits());
    runner
        .run(&strategy, |(which, edits)| {
            ran.set(ran.get() + 1);
            check_inventory(&mutate(if which { &example } else { lab }, &edits));
            Ok(())
        })
        .unwrap();
    println!("inventory loader: {} cases", ran.get());
}

#[test]
fn the_definition_loader_never_panics_and_always_names_the_file() {
    let dir = repo().join("benchmarks/cis-1.12");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    let scratch = tempfile::tempdir().unwrap();
    let mut runner = runner(cases(150));
    let ran = Cell::new(0u32);
    let strategy = (any::<usize>(), edits());
    runner
        .run(&strategy, |(which, edits)| {
            ran.set(ran.get() + 1);
            let target = which % files.len();
            for (index, (name, text)) in files.iter().enumerate() {
                let text = if index == target { mutate(text, &edits) } else { text.clone() };
                std::fs::write(scratch.path().join(name), text).unwrap();
            }
            if let Err(errors) = benchmark::load_dir(scratch.path()) {
                assert!(!errors.0.is_empty());
                for error in &errors.0 {
                    assert!(
                        files.iter().any(|(name, _)| error.to_string().starts_with(&format!("{}:", scratch.path().join(name).display()))),
                        "the error names no definition file: {error}"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    println!("definition loader: {} cases", ran.get());
}

#[test]
fn the_gather_stream_parser_never_panics_on_a_mutated_real_stream() {
    // A real stream: the script run on this machine as it is, with a plan
    // that touches files, trees, documents and a missing path.
    let output = std::process::Command::new("sh")
        .args(["-s", "--", "s:/etc/hostname", "t:/etc/ssh", "r:/etc/os-release", "s:/nonexistent", "r:/etc/ssh"])
        .stdin(std::fs::File::open(repo().join("src/gather.sh")).unwrap())
        .output()
        .expect("sh runs");
    let stream = output.stdout;
    assert!(hardbench::facts::parse::parse(&stream).is_ok(), "the unmutated stream parses");
    let text = String::from_utf8_lossy(&stream).into_owned();
    let mut runner = runner(cases(400));
    let ran = Cell::new(0u32);
    let strategy = (edits(), any::<usize>(), proptest::collection::vec(any::<(usize, u8)>(), 0..4));
    runner
        .run(&strategy, |(edits, cut, bytes)| {
            ran.set(ran.get() + 1);
            // Line edits keep the framing plausible; raw byte edits and a
            // cut anywhere test everything below it.
            let mut input = mutate(&text, &edits).into_bytes();
            for (at, byte) in bytes {
                if !input.is_empty() {
                    let at = at % input.len();
                    input[at] = byte;
                }
            }
            let _ = hardbench::facts::parse::parse(&input);
            input.truncate(cut % (input.len() + 1));
            let _ = hardbench::facts::parse::parse(&input);
            Ok(())
        })
        .unwrap();
    println!("gather stream parser: {} cases", ran.get());
}

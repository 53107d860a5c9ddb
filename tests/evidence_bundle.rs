//! The evidence bundle (`--evidence DIR`, `--sign-key`, `hardbench verify`)
//! against real tools: `sha256sum -c` and `ssh-keygen -Y verify` check a
//! bundle with no hardbench; keys are made by `ssh-keygen`, and one signs
//! through a real `ssh-agent`. A lab run (net 24) writes one bundle; the
//! tampering cases work offline on bundles of the fixture facts.

mod common;

use common::agent::Agent;
use common::{hardbench, text, Lab};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const NET: u8 = 24;
const PRINCIPAL: &str = "auditor@example.com";

fn keygen(dir: &Path, name: &str, passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    let output = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f"]).arg(&path).output().unwrap();
    assert!(output.status.success(), "ssh-keygen: {}", text(&output));
    path
}

fn pub_of(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", key.display()))
}

/// An allowed_signers file trusting `key` for PRINCIPAL in hardbench's namespace.
fn allowed_signers(dir: &Path, key: &Path) -> PathBuf {
    let path = dir.join(format!("allowed_signers.{}", key.file_name().unwrap().to_string_lossy()));
    let public = std::fs::read_to_string(pub_of(key)).unwrap();
    std::fs::write(&path, format!("{PRINCIPAL} namespaces=\"hardbench-evidence\" {public}")).unwrap();
    path
}

fn sha256sum_check(bundle: &Path) -> Output {
    Command::new("sha256sum").args(["--strict", "-c", "MANIFEST.sha256"]).current_dir(bundle).output().unwrap()
}

/// `ssh-keygen -Y verify ... < MANIFEST.sha256`, as the README tells an auditor.
fn openssh_verify(bundle: &Path, allowed: &Path) -> Output {
    let manifest = std::fs::File::open(bundle.join("MANIFEST.sha256")).unwrap();
    Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", PRINCIPAL, "-n", "hardbench-evidence", "-s"])
        .arg(bundle.join("MANIFEST.sha256.sig"))
        .stdin(manifest)
        .output()
        .unwrap()
}

fn verify(bundle: &Path, allowed: Option<&Path>) -> Output {
    let mut args = vec!["verify", bundle.to_str().unwrap()];
    if let Some(allowed) = allowed {
        args.extend(["--allowed-signers", allowed.to_str().unwrap()]);
    }
    hardbench(&args)
}

/// `evaluate --evidence OUT` of the fixture facts of kubeadm, signed with `key`.
fn fixture_bundle(out: &Path, key: &Path, extra: &[&str]) -> PathBuf {
    let facts = common::repo().join("tests/fixtures/kubeadm");
    let mut args = vec![
        "evaluate",
        "--facts",
        facts.to_str().unwrap(),
        "--benchmark",
        "cis-1.12",
        "--evidence",
        out.to_str().unwrap(),
        "--sign-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = hardbench(&args);
    assert_eq!(output.status.code(), Some(1), "the fixtures hold failing hosts: {}", text(&output));
    out.to_path_buf()
}

/// Every file of a bundle, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), found);
            } else {
                found.push(name);
            }
        }
    }
    walk(dir, "", &mut found);
    found.sort();
    found
}

fn sha256_of(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

/// Per host and check: its status, from a JSON report.
fn verdicts(report: &Path) -> BTreeMap<(String, String), String> {
    let report = common::read_json(report);
    let mut verdicts = BTreeMap::new();
    for host in report["hosts"].as_array().unwrap() {
        for check in host["results"].as_array().into_iter().flatten() {
            let key = (host["name"].as_str().unwrap().to_string(), check["id"].as_str().unwrap().to_string());
            verdicts.insert(key, check["status"].as_str().unwrap().to_string());
        }
    }
    verdicts
}

#[test]
fn a_signed_lab_bundle_verifies_with_openssh_alone_and_with_hardbench_and_evaluates_to_its_report() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &["worker-good", "worker-bad"]);
    let key = keygen(state.path(), "auditor", "");
    let bundle = state.path().join("evidence");
    let started = Instant::now();
    let output = hardbench(&[
        "run",
        "--no-progress",
        "--inventory",
        lab.inventory().to_str().unwrap(),
        "--evidence",
        bundle.to_str().unwrap(),
        "--sign-key",
        key.to_str().unwrap(),
    ]);
    let written = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "worker-bad fails: {}", text(&output));
    let all = files(&bundle);
    for expected in [
        "MANIFEST.sha256",
        "MANIFEST.sha256.sig",
        "attestation.intoto.json",
        "facts/_index.json",
        "facts/worker-good.json",
        "facts/worker-bad.json",
        "inventory.toml",
        "report.html",
        "report.json",
        "report.xml",
        "run.json",
    ] {
        assert!(all.contains(&expected.to_string()), "{expected} in {all:?}");
    }
    assert!(all.iter().any(|f| f.starts_with("benchmarks/cis-") && f.ends_with("/benchmark.toml")), "{all:?}");
    // Nothing but the bundle is left beside it.
    let beside: Vec<_> = std::fs::read_dir(state.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!beside.iter().any(|n| n.to_string_lossy().contains(".hardbench-")), "{beside:?}");

    let run = common::read_json(&bundle.join("run.json"));
    assert_eq!(run["schema"], "hardbench.run/v1");
    assert_eq!(run["command"], "run");
    assert_eq!(run["gather_script_sha256"].as_str().unwrap().len(), 64);
    assert!(run["argv"].as_array().unwrap().iter().any(|a| a == "--evidence"), "{run}");
    let facts = common::read_json(&bundle.join("facts/worker-good.json"));
    assert_eq!(facts["gather_script_sha256"], run["gather_script_sha256"]);

    let checked = sha256sum_check(&bundle);
    assert!(checked.status.success(), "sha256sum -c: {}", text(&checked));
    let allowed = allowed_signers(state.path(), &key);
    let openssh = openssh_verify(&bundle, &allowed);
    assert!(openssh.status.success(), "ssh-keygen -Y verify: {}", text(&openssh));

    let started = Instant::now();
    let verified = verify(&bundle, Some(&allowed));
    let verify_time = started.elapsed();
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("signed by SHA256:"), "{}", text(&verified));
    let unchecked = verify(&bundle, None);
    assert_eq!(unchecked.status.code(), Some(3), "a signed bundle without allowed signers: {}", text(&unchecked));
    assert!(String::from_utf8_lossy(&unchecked.stdout).contains("the signature was NOT checked"), "{}", text(&unchecked));

    // An inventory that is not the one the report names is named, its digest recomputed or not.
    let swapped = state.path().join("swapped");
    copy_dir(&bundle, &swapped);
    let inventory = swapped.join("inventory.toml");
    let old = sha256_of(&inventory);
    let mut edited = std::fs::read_to_string(&inventory).unwrap();
    edited.push_str("# another inventory\n");
    std::fs::write(&inventory, edited).unwrap();
    let manifest = std::fs::read_to_string(swapped.join("MANIFEST.sha256")).unwrap().replace(&old, &sha256_of(&inventory));
    std::fs::write(swapped.join("MANIFEST.sha256"), manifest).unwrap();
    let output = verify(&swapped, None);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("inventory.toml: it is not the inventory report.json was made with"), "{}", text(&output));

    // evaluate reads the bundle itself, and gives its report's verdicts, every host, every check.
    let again = state.path().join("again.json");
    let evaluated = hardbench(&["evaluate", "--facts", bundle.to_str().unwrap(), "--json", again.to_str().unwrap()]);
    assert_eq!(evaluated.status.code(), Some(1), "{}", text(&evaluated));
    let (bundled, evaluated) = (verdicts(&bundle.join("report.json")), verdicts(&again));
    assert!(bundled.len() >= 50, "every check of both workers: {bundled:?}");
    assert_eq!(bundled, evaluated);
    eprintln!(
        "lab bundle: {} bytes in {} files, written (run included) in {written:?}, verified in {verify_time:?}",
        all.iter().map(|f| std::fs::metadata(bundle.join(f)).unwrap().len()).sum::<u64>(),
        all.len()
    );
}

#[test]
fn every_tampering_makes_verify_fail_and_name_the_file() {
    let state = tempfile::tempdir().unwrap();
    let key = keygen(state.path(), "auditor", "");
    let allowed = allowed_signers(state.path(), &key);
    let pristine = fixture_bundle(&state.path().join("pristine"), &key, &[]);
    let good = verify(&pristine, Some(&allowed));
    assert_eq!(good.status.code(), Some(0), "{}", text(&good));
    let case = |name: &str| {
        let dir = state.path().join(name);
        copy_dir(&pristine, &dir);
        dir
    };
    #[track_caller]
    fn fails_naming(dir: &Path, allowed: &Path, file: &str) {
        let output = verify(dir, Some(allowed));
        assert_eq!(output.status.code(), Some(1), "{file}: {}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.lines().any(|l| l.starts_with(&format!("{file}: "))), "{file} is not named: {stdout}");
    }

    let all = files(&pristine);
    assert!(all.len() >= 12, "{all:?}");
    for (n, file) in all.iter().enumerate() {
        // One byte changed.
        let dir = case(&format!("changed-{n}"));
        let mut bytes = std::fs::read(dir.join(file)).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(dir.join(file), bytes).unwrap();
        let named = if file == "MANIFEST.sha256" { "MANIFEST.sha256.sig" } else { file };
        fails_naming(&dir, &allowed, named);
        // Removed.
        let dir = case(&format!("removed-{n}"));
        std::fs::remove_file(dir.join(file)).unwrap();
        if file == "MANIFEST.sha256" {
            let output = verify(&dir, Some(&allowed));
            assert_eq!(output.status.code(), Some(2), "{}", text(&output));
            assert!(String::from_utf8_lossy(&output.stderr).contains("it has no MANIFEST.sha256"), "{}", text(&output));
        } else {
            fails_naming(&dir, &allowed, file);
        }
    }
    // Added, at the top and among the facts.
    for added in ["notes.txt", "facts/cp-extra.json"] {
        let dir = case(&format!("added-{}", added.replace('/', "-")));
        std::fs::write(dir.join(added), "{}").unwrap();
        fails_naming(&dir, &allowed, added);
    }
    // The signature replaced by one of another key, over the same manifest.
    let other = keygen(state.path(), "intruder", "");
    let dir = case("resigned");
    std::fs::remove_file(dir.join("MANIFEST.sha256.sig")).unwrap();
    let signed = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "hardbench-evidence", "-f"])
        .arg(&other)
        .arg(dir.join("MANIFEST.sha256"))
        .output()
        .unwrap();
    assert!(signed.status.success(), "{}", text(&signed));
    fails_naming(&dir, &allowed, "MANIFEST.sha256.sig");
    assert!(!openssh_verify(&dir, &allowed).status.success());

    // A facts file edited (4.1.1 would pass) and every digest recomputed:
    // the manifest still checks, its signature does not.
    let dir = case("forged");
    let facts = dir.join("facts/worker-bad.json");
    let text_of = std::fs::read_to_string(&facts).unwrap();
    let at = text_of.find("10-kubeadm.conf").unwrap();
    let edited = format!("{}{}", &text_of[..at], text_of[at..].replacen("\"mode\": 420", "\"mode\": 384", 1));
    assert_ne!(edited, text_of);
    std::fs::write(&facts, &edited).unwrap();
    let sha = |path: &Path| {
        let output = Command::new("sha256sum").arg(path).output().unwrap();
        String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap().to_string()
    };
    let index = dir.join("facts/_index.json");
    let old = sha(&pristine.join("facts/worker-bad.json"));
    let new = sha(&facts);
    std::fs::write(&index, std::fs::read_to_string(&index).unwrap().replace(&old, &new)).unwrap();
    let manifest = dir.join("MANIFEST.sha256");
    let old_index = sha(&pristine.join("facts/_index.json"));
    let text_of = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text_of.replace(&old, &new).replace(&old_index, &sha(&index))).unwrap();
    assert!(sha256sum_check(&dir).status.success(), "the forger recomputed every digest");
    fails_naming(&dir, &allowed, "MANIFEST.sha256.sig");
    // And the report no longer is what the facts give.
    let output = verify(&dir, Some(&allowed));
    assert!(String::from_utf8_lossy(&output.stdout).contains("report.json: host worker-bad: check 4.1.1 status"), "{}", text(&output));

    // The JUnit and HTML reports must say what report.json says, even with
    // their manifest lines recomputed.
    for (file, from, to, why) in [
        ("report.xml", "worker-bad", "worker-fine", "report.xml: it is not the JUnit form of report.json"),
        ("report.html", "worker-bad", "worker-fine", "report.html: it is not the page report.json renders to"),
    ] {
        let dir = case(&format!("rewritten-{file}"));
        let old = sha(&dir.join(file));
        let edited = std::fs::read_to_string(dir.join(file)).unwrap().replace(from, to);
        std::fs::write(dir.join(file), edited).unwrap();
        let manifest = std::fs::read_to_string(dir.join("MANIFEST.sha256")).unwrap().replace(&old, &sha(&dir.join(file)));
        std::fs::write(dir.join("MANIFEST.sha256"), manifest).unwrap();
        std::fs::remove_file(dir.join("MANIFEST.sha256.sig")).unwrap();
        std::fs::remove_file(dir.join("attestation.intoto.json")).unwrap();
        let manifest = std::fs::read_to_string(dir.join("MANIFEST.sha256")).unwrap();
        let unsigned: String = manifest.lines().filter(|l| !l.ends_with("attestation.intoto.json")).map(|l| format!("{l}\n")).collect();
        std::fs::write(dir.join("MANIFEST.sha256"), unsigned).unwrap();
        assert!(sha256sum_check(&dir).status.success());
        let output = verify(&dir, None);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(String::from_utf8_lossy(&output.stdout).contains(why), "{}", text(&output));
    }
}

#[test]
fn a_bundle_with_waivers_verifies_and_a_bundle_is_refused_where_it_would_destroy_something() {
    let state = tempfile::tempdir().unwrap();
    let key = keygen(state.path(), "auditor", "");
    let allowed = allowed_signers(state.path(), &key);
    let waivers = state.path().join("waivers.toml");
    std::fs::write(
        &waivers,
        "[[waivers]]\nchecks = [\"4.1.1\"]\nhosts = [\"worker-bad\"]\nreason = \"replaced next sprint\"\nexpires = 2099-01-01\napproved_by = \"ciso\"\n",
    )
    .unwrap();
    let bundle = fixture_bundle(&state.path().join("waived"), &key, &["--waivers", waivers.to_str().unwrap()]);
    assert_eq!(std::fs::read(bundle.join("waivers.toml")).unwrap(), std::fs::read(&waivers).unwrap());
    let report = common::read_json(&bundle.join("report.json"));
    let worker_bad = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == "worker-bad").unwrap();
    let check = worker_bad["results"].as_array().unwrap().iter().find(|c| c["id"] == "4.1.1").unwrap();
    assert_eq!(check["status"], "waived", "{check}");
    let output = verify(&bundle, Some(&allowed));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // Without its waivers, the report is not what the facts give.
    std::fs::remove_file(bundle.join("waivers.toml")).unwrap();
    let output = verify(&bundle, Some(&allowed));
    assert!(String::from_utf8_lossy(&output.stdout).contains("waivers.toml: missing"), "{}", text(&output));

    // A directory of someone else's is refused before anything, and left alone.
    let home = state.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("notes.txt"), "mine").unwrap();
    let facts = common::repo().join("tests/fixtures/kubeadm");
    let output = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--evidence", home.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not an evidence bundle hardbench wrote"), "{}", text(&output));
    assert_eq!(files(&home), ["notes.txt"]);
    // An encrypted key is refused before anything, pointing at the agent; no bundle is left.
    let locked = keygen(state.path(), "locked", "secret passphrase");
    let fresh = state.path().join("fresh");
    let output = hardbench(&[
        "evaluate", "--facts", facts.to_str().unwrap(), "--evidence", fresh.to_str().unwrap(), "--sign-key", locked.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("agent"), "{}", text(&output));
    assert!(!fresh.exists());
    // An earlier bundle is replaced whole.
    let unsigned = hardbench(&["evaluate", "--facts", facts.to_str().unwrap(), "--evidence", bundle.to_str().unwrap()]);
    assert_eq!(unsigned.status.code(), Some(1), "{}", text(&unsigned));
    assert!(!bundle.join("MANIFEST.sha256.sig").exists() && !bundle.join("waivers.toml").exists());
    let output = verify(&bundle, None);
    assert_eq!(output.status.code(), Some(0), "an unsigned bundle, checked without allowed signers: {}", text(&output));
    let output = verify(&bundle, Some(&allowed));
    assert_eq!(output.status.code(), Some(1), "an unsigned bundle, when a signature is expected: {}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("MANIFEST.sha256.sig: missing"), "{}", text(&output));
}


#[test]
fn a_bundle_signed_through_a_real_ssh_agent_verifies_with_openssh() {
    let state = tempfile::tempdir().unwrap();
    let agent = Agent::start(state.path());
    let key = keygen(state.path(), "auditor", "");
    agent.add(&key, "");
    // The private key is gone: only the agent can sign.
    std::fs::remove_file(&key).unwrap();
    let allowed = allowed_signers(state.path(), &key);
    let facts = common::repo().join("tests/fixtures/kubeadm");
    for (name, spec) in [("by-agent", "agent:".to_string()), ("by-public-key", pub_of(&key).display().to_string())] {
        let bundle = state.path().join(name);
        let output = Command::new(env!("CARGO_BIN_EXE_hardbench"))
            .args(["evaluate", "--facts", facts.to_str().unwrap(), "--evidence", bundle.to_str().unwrap(), "--sign-key", &spec])
            .env("SSH_AUTH_SOCK", &agent.socket)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{spec}: {}", text(&output));
        let openssh = openssh_verify(&bundle, &allowed);
        assert!(openssh.status.success(), "{spec}: ssh-keygen -Y verify: {}", text(&openssh));
        let verified = verify(&bundle, Some(&allowed));
        assert_eq!(verified.status.code(), Some(0), "{spec}: {}", text(&verified));
    }
    // No agent: bad input, before anything is written.
    let bundle = state.path().join("no-agent");
    let output = Command::new(env!("CARGO_BIN_EXE_hardbench"))
        .args(["evaluate", "--facts", facts.to_str().unwrap(), "--evidence", bundle.to_str().unwrap(), "--sign-key", "agent:"])
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(!bundle.exists());
}

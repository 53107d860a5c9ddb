//! Shards of a real audit (127.0.34.x, the lab's four default hosts): one
//! run over every host, then the same inventory in 2 and in 3 shards
//! (`--shard I/N`; with 3, shard 0 holds no host of the lab). Merging the
//! shards' reports (`hardbench merge`) gives, for every host and check, the
//! verdicts of the single run, and its totals and exit code; merging their
//! saved facts (`merge --facts`) gives a set that `evaluate` judges the
//! same. Then the refusals: a missing shard, a shard twice, a shard of
//! another inventory or selection, a report made without `--shard`, a host
//! put into the wrong shard's report, and a bad `--shard`.

mod common;

use common::{hardbench, read_json, text, Audit, Lab};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const NET: u8 = 34;
const BENCHMARK: [&str; 2] = ["--benchmark", "cis-1.12"];

/// The lab's hosts by shard, from `printf %s NAME | sha256sum`: the first
/// 8 bytes mod 2 and mod 3.
const SHARDS_OF_2: [&[&str]; 2] = [&["cp-good", "worker-good"], &["cp-bad", "worker-bad"]];
const SHARDS_OF_3: [&[&str]; 3] = [&[], &["worker-good"], &["cp-good", "cp-bad", "worker-bad"]];

/// A host's status, and per check id its (status, verdict).
type HostVerdicts = (String, BTreeMap<String, (String, String)>);

/// Every host's verdicts, by name.
fn verdicts(report: &Value) -> BTreeMap<String, HostVerdicts> {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| {
            let results = host["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["id"].as_str().unwrap().to_string(), (r["status"].to_string(), r["verdict"].to_string())))
                .collect();
            (host["name"].as_str().unwrap().to_string(), (host["status"].to_string(), results))
        })
        .collect()
}

fn names(report: &Value) -> Vec<String> {
    report["hosts"].as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap().to_string()).collect()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `hardbench run --shard I/N` into `out/shard-I.json` and `out/facts-I`.
fn shard(inventory: &Path, out: &Path, index: usize, count: usize, extra: &[&str]) -> (std::process::Output, PathBuf, PathBuf) {
    let (json, facts) = (out.join(format!("shard-{index}.json")), out.join(format!("facts-{index}")));
    let spec = format!("{index}/{count}");
    let args = [
        &["run", "--no-progress", "--inventory", s(inventory), "--shard", &spec, "--json", s(&json), "--save-facts", s(&facts)][..],
        &BENCHMARK,
        extra,
    ]
    .concat();
    (hardbench(&args), json, facts)
}

#[test]
fn merged_shards_give_the_verdicts_totals_and_exit_code_of_one_run() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), NET, &[]);
    let inventory = lab.inventory();

    let single = Audit::run(&inventory, &state.path().join("single"), &BENCHMARK);
    let single_code = single.output.status.code();
    assert_eq!(single_code, Some(1), "the lab's bad hosts fail: {}", text(&single.output));
    let single_report = single.report();
    assert_eq!(names(&single_report), ["cp-good", "cp-bad", "worker-good", "worker-bad"]);
    assert_eq!(single_report["invocation"]["shard"], Value::Null);

    for (count, expected) in [(2, &SHARDS_OF_2[..]), (3, &SHARDS_OF_3[..])] {
        let out = state.path().join(format!("of-{count}"));
        std::fs::create_dir_all(&out).unwrap();
        let mut reports = Vec::new();
        let mut sets = Vec::new();
        for (index, hosts) in expected.iter().enumerate() {
            let (output, json, facts) = shard(&inventory, &out, index, count, &[]);
            let report = read_json(&json);
            assert_eq!(names(&report), *hosts, "shard {index}/{count}: {}", text(&output));
            assert_eq!(report["invocation"]["shard"], serde_json::json!({"index": index, "count": count}));
            assert_eq!(report["invocation"]["inventory"], single_report["invocation"]["inventory"]);
            assert_eq!(output.status.code(), Some(report["exit_code"].as_i64().unwrap() as i32));
            if hosts.is_empty() {
                // An empty shard is a valid, empty, compliant report (not "nothing selected").
                assert_eq!(output.status.code(), Some(0), "{}", text(&output));
                assert_eq!(report["summary"]["hosts_ok"], 0);
            }
            reports.push(json);
            sets.push(facts);
        }

        // Given in any order; merged in shard order.
        let merged_json = out.join("merged.json");
        let merged_xml = out.join("merged.xml");
        let mut args = vec!["merge"];
        args.extend(reports.iter().rev().map(|p| s(p)));
        args.extend(["--json", s(&merged_json), "--junit", s(&merged_xml)]);
        let output = hardbench(&args);
        assert_eq!(output.status.code(), single_code, "merge of {count}: {}", text(&output));
        let merged = read_json(&merged_json);
        assert_eq!(verdicts(&merged), verdicts(&single_report), "{count} shards");
        assert_eq!(merged["summary"], single_report["summary"], "{count} shards");
        assert_eq!(merged["exit_code"], single_report["exit_code"]);
        assert_eq!(merged["invocation"]["shard"], Value::Null);
        assert_eq!(merged["invocation"]["inventory"], single_report["invocation"]["inventory"]);
        assert_eq!(merged["invocation"]["merged"].as_array().unwrap().len(), count);
        let in_order: Vec<String> = expected.iter().flat_map(|hosts| hosts.iter().map(|h| h.to_string())).collect();
        assert_eq!(names(&merged), in_order, "hosts in shard order");
        common::assert_well_formed_xml(&merged_xml);
        assert!(String::from_utf8_lossy(&output.stdout).contains("cp-bad"), "the console report: {}", text(&output));

        // The shards' saved facts, merged, are judged as the single run's.
        let all_facts = out.join("facts");
        let mut args = vec!["merge", "--facts"];
        args.extend(sets.iter().map(|p| s(p)));
        args.extend(["--save-facts", s(&all_facts)]);
        let output = hardbench(&args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let evaluated_json = out.join("evaluated.json");
        let evaluated =
            hardbench(&[&["evaluate", "--facts", s(&all_facts), "--json", s(&evaluated_json)][..], &BENCHMARK].concat());
        assert_eq!(evaluated.status.code(), single_code, "{}", text(&evaluated));
        let evaluated = read_json(&evaluated_json);
        assert_eq!(verdicts(&evaluated), verdicts(&single_report));
        assert_eq!(evaluated["summary"], single_report["summary"]);
        assert_eq!(evaluated["invocation"]["inventory"]["sha256"], single_report["invocation"]["inventory"]["sha256"]);
    }

    // A shard's saved facts evaluate as that shard; a whole set evaluates by shard too.
    let of2 = state.path().join("of-2");
    let shard_eval = of2.join("shard-1-evaluated.json");
    let output = hardbench(&[&["evaluate", "--facts", s(&of2.join("facts-1")), "--json", s(&shard_eval)][..], &BENCHMARK].concat());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let evaluated = read_json(&shard_eval);
    assert_eq!(evaluated["invocation"]["shard"], serde_json::json!({"index": 1, "count": 2}));
    assert_eq!(verdicts(&evaluated), verdicts(&read_json(&of2.join("shard-1.json"))));
    let output = hardbench(&[&["evaluate", "--facts", s(&single.facts), "--shard", "0/2", "--json", s(&shard_eval)][..], &BENCHMARK].concat());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert_eq!(names(&read_json(&shard_eval)), SHARDS_OF_2[0]);
    // An evidence bundle of a share of a set verifies: it is judged by the hosts of its shard.
    let bundle = of2.join("bundle");
    let output = hardbench(&[&["evaluate", "--facts", s(&single.facts), "--shard", "1/2", "--evidence", s(&bundle)][..], &BENCHMARK].concat());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let output = hardbench(&["verify", s(&bundle)]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let output = hardbench(&[&["evaluate", "--facts", s(&of2.join("facts-1")), "--shard", "0/2"][..], &BENCHMARK].concat());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("holds the facts of shard 1/2 only"), "{}", text(&output));

    refusals(&state.path().join("refused"), &inventory, &of2, &single.json);
}

/// Every refusal is exit 2, names the files, and writes nothing.
fn refusals(out: &Path, inventory: &Path, of2: &Path, single: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let merged = out.join("merged.json");
    let (shard0, shard1) = (of2.join("shard-0.json"), of2.join("shard-1.json"));
    let refused = |inputs: &[&Path], expected: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(inputs.iter().map(|p| s(p)));
        args.extend(["--json", s(&merged)]);
        let output = hardbench(&args);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        for needle in expected {
            assert!(stderr.contains(needle), "{needle:?} in {stderr}");
        }
        assert!(!merged.exists(), "nothing is written");
    };

    refused(&[&shard0], &[&format!("shard 1 of 2 is missing (given: {})", shard0.display())]);
    refused(&[&shard0, &shard0, &shard1], &[&format!("{} and {} are both shard 0/2", shard0.display(), shard0.display())]);
    refused(&[&shard0, single], &[&format!("{} is not one shard's: it was made without --shard I/N", single.display())]);

    // Another inventory: the same hosts, one more comment.
    let other_inventory = out.join("other.toml");
    let mut text_of = std::fs::read_to_string(inventory).unwrap();
    text_of.push_str("# one more line\n");
    std::fs::write(&other_inventory, text_of).unwrap();
    let (output, other, _) = shard(&other_inventory, out, 1, 2, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    refused(&[&shard0, &other], &[&shard0.display().to_string(), &other.display().to_string(), "their inventories differ"]);

    // Another selection.
    let selection = out.join("selection");
    std::fs::create_dir_all(&selection).unwrap();
    let (output, other, _) = shard(inventory, &selection, 1, 2, &["--check", "4.1"]);
    assert_eq!(output.status.code(), Some(1), "{}", common::text(&output));
    refused(&[&shard0, &other], &["their --check differ (none and 4.1)"]);

    // The same host twice: shard 1's report edited to hold shard 0's cp-good too.
    let mut doubled = read_json(&shard1);
    let cp_good = read_json(&shard0)["hosts"][0].clone();
    assert_eq!(cp_good["name"], "cp-good");
    doubled["hosts"].as_array_mut().unwrap().push(cp_good);
    let doubled_path = out.join("doubled.json");
    std::fs::write(&doubled_path, serde_json::to_vec_pretty(&doubled).unwrap()).unwrap();
    refused(&[&shard0, &doubled_path], &[&format!("{}: host \"cp-good\" is not in shard 1/2", doubled_path.display())]);

    // A bad --shard is refused by name before anything is contacted.
    for spec in ["2/2", "0/0", "$(JOB_COMPLETION_INDEX)/2"] {
        let output = hardbench(&["run", "--inventory", s(inventory), "--shard", spec, "--json", s(&merged)]);
        assert_eq!(output.status.code(), Some(2), "{}", common::text(&output));
        assert!(String::from_utf8_lossy(&output.stderr).contains("--shard <I/N>"), "{}", common::text(&output));
        assert!(!merged.exists());
    }
}

//! The platform lab hosts audited for real: the built binary runs
//! `hardbench run --json` with the default `--benchmark auto` over SSH
//! against each platform profile (127.0.52.x, a net no other test uses), and
//! each host must get the benchmark its answer table names
//! (tests/lab/answers/PROFILE.tsv, `# benchmark:`), the table's roles, and
//! every check's status the table gives; for a manual check also the
//! automated evaluation the table says it would have (the result's
//! `automated_verdict`). cp-v130 has no table of its own: it
//! is cp-good on v1.30, so it must get cis-1.11 and cp-good's verdicts of
//! tests/lab/README.md wherever cis-1.11 and cis-1.12 judge a check alike.
//! A mismatch names the host, the check, what was expected, what was
//! reported and the table's reason, so it can be traced to a planted file.
//! No planted secret may appear in anything the run leaves.

mod common;

use common::{repo, text, Audit, Lab};
use hardbench::benchmark::{load_builtin, Benchmark, Check};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

/// The hosts audited, in up.sh's order (their addresses follow it).
const PROFILES: [&str; 6] = ["cp-v130", "rke2-server", "rke2-agent", "eks-al2023", "k3s-server", "k3s-agent"];

/// What one check must be on one host.
struct Expected {
    /// The status, `None` when the check must not be evaluated (`—`).
    status: Option<String>,
    /// For a manual check: the automated evaluation its note must give
    /// (`pass`, `fail`, `error`, `not-applicable`), or `None` when the
    /// check has no automated evaluation (no note at all). Unchecked when
    /// the source of the expectation does not say (cp-good's manual cells).
    would: Option<Option<String>>,
    /// Why, as the table says.
    reason: String,
}

/// One host's expectations.
struct Answers {
    benchmark: String,
    roles: Vec<String>,
    checks: BTreeMap<String, Expected>,
}

/// The automated evaluation a manual row's reason starts with.
fn would(reason: &str) -> Option<Option<String>> {
    let words = [
        ("would pass:", Some("pass")),
        ("would fail:", Some("fail")),
        ("would error:", Some("error")),
        ("would not apply:", Some("not-applicable")),
        ("no automated evaluation", None),
    ];
    let (_, verdict) = words.iter().find(|(w, _)| reason.starts_with(w))?;
    Some(verdict.map(str::to_string))
}

/// tests/lab/answers/PROFILE.tsv (format: tests/lab/answers/README.md;
/// tests/lab_answers.rs checks its consistency with the benchmark).
fn table(profile: &str) -> Answers {
    let path = repo().join("tests/lab/answers").join(format!("{profile}.tsv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table = common::answers::read(&format!("{profile}.tsv"), &text);
    let mut checks = BTreeMap::new();
    for (_, [id, status, reason]) in table.rows {
        let expected = Expected {
            status: (status != "—").then(|| status.clone()),
            // The table's format requires the automated evaluation of a
            // manual check (tests/lab/answers/README.md): never left unchecked.
            would: (status == "manual")
                .then(|| would(&reason).unwrap_or_else(|| panic!("{profile}.tsv {id}: a manual check's reason names no evaluation: {reason:?}"))),
            reason,
        };
        checks.insert(id, expected);
    }
    Answers {
        benchmark: table.benchmark.unwrap_or_else(|| panic!("{profile}.tsv names no benchmark")),
        roles: table.roles.unwrap_or_else(|| panic!("{profile}.tsv names no roles")),
        checks,
    }
}

/// cp-v130's expectations: cis-1.11, the roles of its `roles` file, and for
/// every check cis-1.11 holds exactly as cis-1.12 does, cp-good's verdict in
/// tests/lab/README.md's table (a check the table leaves out passes if
/// automated and is manual otherwise, as tests/lab_audit.rs reads it).
fn cp_v130() -> Answers {
    let readme = std::fs::read_to_string(repo().join("tests/lab/README.md")).unwrap();
    let section = readme.split("### Expected verdicts").nth(1).expect("tests/lab/README.md has the expected verdicts");
    let mut rows = section.lines().skip_while(|l| !l.starts_with("| check |")).take_while(|l| l.starts_with('|'));
    let cells = |line: &str| -> Vec<String> {
        line.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
    };
    let column = cells(rows.next().unwrap()).iter().position(|h| h == "cp-good").expect("a cp-good column");
    let cp_good: BTreeMap<String, String> = rows
        .skip(1)
        .map(|line| {
            let row = cells(line);
            (row[0].trim_end_matches(" (M)").to_string(), row[column].clone())
        })
        .collect();
    assert!(cp_good.len() >= 30, "the table was read whole: {} rows", cp_good.len());

    let (old, new) = (load_builtin("cis-1.11").unwrap(), load_builtin("cis-1.12").unwrap());
    let mut checks = BTreeMap::new();
    for check in &old.checks {
        let alike = new.check(&check.id).is_some_and(|c| described(&new, c) == described(&old, check));
        if !alike {
            continue;
        }
        let (status, reason) = match cp_good.get(&*check.id) {
            Some(cell) => (cell.split([' ', ':']).next().unwrap().to_string(), format!("cp-good: {cell}")),
            None if check.automated => ("pass".to_string(), "cp-good passes every automated check".to_string()),
            None => ("manual".to_string(), "a manual check".to_string()),
        };
        checks.insert(check.id.to_string(), Expected { status: Some(status), would: None, reason });
    }
    assert!(checks.len() >= 90, "cis-1.11 and cis-1.12 agree on all but a few checks: {}", checks.len());
    Answers { benchmark: "cis-1.11".into(), roles: vec!["control-plane".into(), "etcd".into(), "worker".into()], checks }
}

/// A check as its benchmark defines it, each setting it reads spelled out
/// (a `SettingId` is only an index into its own benchmark's settings).
fn described(benchmark: &Benchmark, check: &Check) -> String {
    let debug = format!("{check:?}");
    let mut parts = debug.split("SettingId(");
    let mut out = parts.next().unwrap().to_string();
    for part in parts {
        let (index, rest) = part.split_once(')').unwrap();
        out += &format!("{:?}", benchmark.settings[index.parse::<usize>().unwrap()]);
        out += rest;
    }
    out
}

/// Every disagreement between the report's `host` and `answers`. For a
/// table (`whole`), a result the table does not list is one too.
fn disagreements(name: &str, host: &Value, answers: &Answers, whole: bool) -> Vec<String> {
    let mut wrong = Vec::new();
    if host["status"] != "ok" {
        return vec![format!("{name}: status {} ({})", host["status"], host["error"])];
    }
    if host["benchmark"]["id"] != answers.benchmark.as_str() {
        wrong.push(format!(
            "{name}: benchmark expected {}, got {} (selected_by: {})",
            answers.benchmark, host["benchmark"]["id"], host["benchmark"]["selected_by"]
        ));
    }
    let mut roles: Vec<&str> = host["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    let mut want: Vec<&str> = answers.roles.iter().map(String::as_str).collect();
    roles.sort_unstable();
    want.sort_unstable();
    if roles != want {
        wrong.push(format!("{name}: roles expected {want:?}, got {roles:?}"));
    }
    let results: BTreeMap<&str, &Value> =
        host["results"].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap(), r)).collect();
    for (id, expected) in &answers.checks {
        let result = results.get(id.as_str());
        let status = result.map(|r| r["status"].as_str().unwrap());
        let shown = |r: Option<&&Value>| r.map_or("not evaluated".to_string(), |r| format!("{} ({})", r["status"], r["actual"]));
        if status != expected.status.as_deref() {
            wrong.push(format!(
                "{name} {id}: expected {}, got {}; table: {}",
                expected.status.as_deref().unwrap_or("not evaluated"),
                shown(result),
                expected.reason
            ));
            continue;
        }
        let (Some(result), Some(would)) = (result, &expected.would) else { continue };
        let automated = result["automated_verdict"].as_str();
        if automated != would.as_deref() {
            wrong.push(format!(
                "{name} {id}: manual, expected its automated evaluation {}, got {} ({}); table: {}",
                would.as_deref().unwrap_or("none"),
                automated.unwrap_or("none"),
                result["actual"],
                expected.reason
            ));
        }
    }
    if whole {
        for id in results.keys().filter(|id| !answers.checks.contains_key(**id)) {
            wrong.push(format!("{name} {id}: reported, but not in the table"));
        }
    }
    wrong
}

#[test]
fn each_platform_host_gets_its_benchmark_and_its_answer_table() {
    let started = Instant::now();
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 52, &PROFILES);
    let audit = Audit::run(&lab.inventory(), &state.path().join("out"), &[]);
    let report = audit.report();

    let mut wrong = Vec::new();
    for profile in PROFILES {
        let host = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == profile);
        let Some(host) = host else {
            wrong.push(format!("{profile}: not in the report"));
            continue;
        };
        let (answers, whole) = if profile == "cp-v130" { (cp_v130(), false) } else { (table(profile), true) };
        wrong.extend(disagreements(profile, host, &answers, whole));
    }
    assert!(wrong.is_empty(), "{} disagreements:\n{}\n{}", wrong.len(), wrong.join("\n"), text(&audit.output));
    // The platforms' secret files read for these checks (k3s's and RKE2's
    // encryption configs, tokens in config.yaml and unit environments) are
    // redacted: no sentinel of tests/lab/README.md leaves a host.
    let everything = audit.everything();
    for sentinel in ["HBSENTINEL", "SEJTRU5USU5FTC", "PRIVATE KEY"] {
        assert!(!everything.contains(sentinel), "{sentinel} left a host");
    }
    eprintln!("the platform audits took {:.1} s", started.elapsed().as_secs_f64());
}

/// The comparison itself finds each kind of disagreement (so the test above
/// cannot pass vacuously).
#[test]
fn a_disagreement_is_found_and_named() {
    let host = serde_json::json!({
        "status": "ok",
        "benchmark": {"id": "rke2-cis-1.12", "selected_by": "auto"},
        "roles": ["worker"],
        "results": [
            {"id": "4.1.5", "status": "fail", "actual": "644", "notes": []},
            {"id": "4.2.4", "status": "manual", "actual": "10255", "notes": [], "automated_verdict": "fail"},
            {"id": "4.3.1", "status": "pass", "actual": "127.0.0.1:10249", "notes": []},
        ],
    });
    let row = |status: Option<&str>, would: Option<Option<&str>>, reason: &str| Expected {
        status: status.map(str::to_string),
        would: would.map(|w| w.map(str::to_string)),
        reason: reason.to_string(),
    };
    let answers = |pass: &str, would_be: &str, roles: &str| Answers {
        benchmark: "rke2-cis-1.12".into(),
        roles: roles.split_whitespace().map(str::to_string).collect(),
        checks: BTreeMap::from([
            ("4.1.5".to_string(), row(Some(pass), None, "kubelet.kubeconfig 0644")),
            ("4.2.4".to_string(), row(Some("manual"), Some(Some(would_be)), "read-only-port 10255")),
            ("4.3.1".to_string(), row(Some("pass"), None, "no --metrics-bind-address")),
        ]),
    };
    assert_eq!(disagreements("h", &host, &answers("fail", "fail", "worker"), true), Vec::<String>::new());
    let found = disagreements("h", &host, &answers("pass", "pass", "control-plane worker"), true);
    assert_eq!(
        found,
        [
            "h: roles expected [\"control-plane\", \"worker\"], got [\"worker\"]",
            "h 4.1.5: expected pass, got \"fail\" (\"644\"); table: kubelet.kubeconfig 0644",
            "h 4.2.4: manual, expected its automated evaluation pass, got fail (\"10255\"); table: read-only-port 10255",
        ]
    );
    let mut fewer = answers("fail", "fail", "worker");
    fewer.benchmark = "cis-1.12".into();
    fewer.checks.remove("4.3.1");
    fewer.checks.insert("1.1.1".into(), row(None, None, "a control-plane check"));
    assert_eq!(
        disagreements("h", &host, &fewer, true),
        ["h: benchmark expected cis-1.12, got \"rke2-cis-1.12\" (selected_by: \"auto\")", "h 4.3.1: reported, but not in the table"]
    );
    fewer.checks.insert("1.1.1".into(), row(Some("pass"), None, "planted"));
    assert!(disagreements("h", &host, &fewer, false)[1].starts_with("h 1.1.1: expected pass, got not evaluated; table: planted"));
}

//! The lab's answer tables (tests/lab/answers/*.tsv, described in its
//! README.md) are whole and consistent with the benchmark they answer for:
//! every check of that benchmark has exactly one line, in the benchmark's
//! order; a manual check is `manual` and says what its automated evaluation
//! would be; an automated check never is; `—` is exactly a check whose
//! target is not one of the host's roles. The lab tests read the tables as
//! ground truth, so a table that drifted from its benchmark would make them
//! test the wrong thing. No lab is needed here.

mod common;

use common::repo;
use hardbench::benchmark::{load_builtin, Benchmark};

/// One parsed table.
struct Answers {
    file: String,
    benchmark: String,
    roles: Vec<String>,
    /// (check id, status, reason), in file order.
    rows: Vec<(String, String, String)>,
}

const STATUSES: [&str; 6] = ["pass", "fail", "not-applicable", "manual", "error", "—"];
const WOULD: [&str; 5] = ["would pass:", "would fail:", "would error:", "would not apply:", "no automated evaluation"];

fn parse(file: &str, text: &str) -> Answers {
    let table = common::answers::read(file, text);
    let rows = table
        .rows
        .into_iter()
        .map(|(at, [id, status, reason])| {
            assert!(!reason.trim().is_empty(), "{at}: the reason is empty");
            (id, status, reason)
        })
        .collect();
    Answers {
        file: file.to_string(),
        benchmark: table.benchmark.unwrap_or_else(|| panic!("{file}: no `# benchmark:` line")),
        roles: table.roles.unwrap_or_else(|| panic!("{file}: no `# roles:` line")),
        rows,
    }
}

/// Every inconsistency between a table and its benchmark.
fn problems(answers: &Answers, benchmark: &Benchmark) -> Vec<String> {
    let file = &answers.file;
    let mut problems = Vec::new();
    let listed: Vec<&str> = answers.rows.iter().map(|(id, _, _)| id.as_str()).collect();
    let expected: Vec<&str> = benchmark.checks.iter().map(|c| &*c.id).collect();
    if listed != expected {
        let at = listed.iter().zip(&expected).position(|(a, b)| a != b).unwrap_or(listed.len().min(expected.len()));
        problems.push(format!(
            "{file}: the checks are not those of {}, in its order: row {} of the table is {:?}, the benchmark's check {:?}",
            benchmark.id,
            at + 1,
            listed.get(at),
            expected.get(at)
        ));
    }
    for (id, status, reason) in &answers.rows {
        if !STATUSES.contains(&status.as_str()) {
            problems.push(format!("{file} {id}: unknown status {status:?}"));
            continue;
        }
        let Some(check) = benchmark.check(id) else { continue };
        let applies = answers.roles.iter().any(|r| r == check.target.name());
        match (status.as_str(), applies, check.automated) {
            ("—", false, _) => {}
            ("—", true, _) => problems.push(format!("{file} {id}: `—`, but its target {} is one of the host's roles", check.target)),
            (_, false, _) => problems.push(format!("{file} {id}: {status}, but its target {} is not one of the host's roles", check.target)),
            ("manual", true, false) if !WOULD.iter().any(|w| reason.starts_with(w)) => {
                problems.push(format!("{file} {id}: a manual check's reason starts with one of {WOULD:?}"));
            }
            ("manual", true, false) => {}
            (_, true, false) => problems.push(format!("{file} {id}: a manual check is reported `manual`, not {status}")),
            ("manual", true, true) => problems.push(format!("{file} {id}: an automated check is never `manual`")),
            _ => {}
        }
    }
    problems
}

fn tables() -> Vec<Answers> {
    let dir = repo().join("tests/lab/answers");
    let mut tables: Vec<Answers> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            parse(&name, &std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    tables.sort_by(|a, b| a.file.cmp(&b.file));
    tables
}

#[test]
fn every_answer_table_covers_its_benchmark_consistently() {
    let tables = tables();
    assert!(!tables.is_empty(), "tests/lab/answers holds the tables");
    let mut found = Vec::new();
    for answers in &tables {
        let benchmark = load_builtin(&answers.benchmark)
            .unwrap_or_else(|e| panic!("{}: benchmark {}: {e}", answers.file, answers.benchmark));
        found.extend(problems(answers, &benchmark));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Writes a table's line for a check (id, automated, target).
type Rows<'a> = dyn Fn(&str, bool, &str) -> String + 'a;

/// The checker itself finds each kind of inconsistency (so the test above
/// cannot pass vacuously).
#[test]
fn the_consistency_check_finds_each_kind_of_mistake() {
    let benchmark = load_builtin("cis-1.12").unwrap();
    let whole = |rows: &Rows<'_>| -> String {
        let mut text = String::from("# benchmark: cis-1.12\n# roles: worker\n");
        for c in &benchmark.checks {
            let target = c.target.to_string();
            text.push_str(&rows(&c.id, c.automated, &target));
            text.push('\n');
        }
        text
    };
    let good = |id: &str, automated: bool, target: &str| -> String {
        match (target == "worker", automated) {
            (false, _) => format!("{id}\t—\tnot a worker check"),
            (true, true) => format!("{id}\tpass\tplanted"),
            (true, false) => format!("{id}\tmanual\twould pass: planted"),
        }
    };
    assert_eq!(problems(&parse("good.tsv", &whole(&good)), &benchmark), Vec::<String>::new());

    let cases: [(&str, &Rows<'_>, &str); 5] = [
        ("missing", &|id: &str, a: bool, t: &str| if id == "4.2.1" { "#".into() } else { good(id, a, t) }, "in its order"),
        ("manual automated", &|id: &str, a: bool, t: &str| if id == "4.2.1" { format!("{id}\tmanual\twould pass: x") } else { good(id, a, t) }, "never `manual`"),
        ("pass manual", &|id: &str, a: bool, t: &str| if id == "4.2.4" { format!("{id}\tpass\tx") } else { good(id, a, t) }, "reported `manual`"),
        ("dash on role", &|id: &str, a: bool, t: &str| if id == "4.2.1" { format!("{id}\t—\tx") } else { good(id, a, t) }, "is one of the host's roles"),
        ("verdict off role", &|id: &str, a: bool, t: &str| if id == "1.2.2" { format!("{id}\tfail\tx") } else { good(id, a, t) }, "is not one of the host's roles"),
    ];
    for (name, rows, expected) in cases {
        let found = problems(&parse(name, &whole(rows)), &benchmark);
        assert!(found.iter().any(|p| p.contains(expected)), "{name}: {found:?}");
    }
}

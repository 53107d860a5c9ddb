//! Definition files as written: TOML read (with `toml_file`) into plain
//! records that keep each value's location. Only shape is checked here
//! (types, required and unknown keys), and every problem is collected rather
//! than stopping at the first; meaning is checked in `validate.rs`.

use crate::toml_file::{expected, no_hint, Loc, Problem, Table, TomlFile, L};

/// `benchmark.toml`.
pub struct RawBenchmark {
    pub id: Option<L<String>>,
    pub title: Option<L<String>>,
    pub platform: Option<L<String>>,
    pub kubernetes: Option<L<Vec<String>>>,
}

/// One `[[settings]]` entry of `settings.toml`.
pub struct RawSetting {
    pub name: Option<L<String>>,
    pub kind: Option<L<String>>,
    pub repeats: Option<L<bool>>,
    pub default: Option<L<String>>,
    pub reference: Option<L<String>>,
    pub config_key: Option<L<String>>,
    pub config_default: Option<L<String>>,
    pub config_reference: Option<L<String>>,
    pub env: Option<L<String>>,
}

/// One `[[checks]]` entry.
pub struct RawCheck {
    pub loc: Loc,
    pub id: Option<L<String>>,
    pub title: Option<L<String>>,
    pub target: Option<L<String>>,
    pub automated: Option<L<bool>>,
    pub scored: Option<L<bool>>,
    pub remediation: Option<L<String>>,
    pub test: Option<RawTest>,
}

pub struct RawTest {
    pub subject: RawSubject,
    pub op: Option<L<String>>,
    pub value: Option<L<String>>,
    pub if_exists: Option<L<bool>>,
    pub if_set: Option<L<bool>>,
    pub if_running: Option<L<bool>>,
    pub suffix: Option<L<String>>,
}

pub enum RawSubject {
    Setting(L<String>),
    File(L<Vec<String>>),
    FileFrom(L<String>),
    Tree(L<String>),
    EncryptionConfig(L<String>),
    AuditPolicy(L<String>),
    DistinctCa(L<Vec<String>>),
    All(Vec<RawTest>),
    Any(Vec<RawTest>),
}

impl RawSubject {
    /// Whether the test judges its subject with an operator (`op`, `value`).
    fn takes_predicate(&self) -> bool {
        matches!(
            self,
            RawSubject::Setting(_) | RawSubject::File(_) | RawSubject::FileFrom(_) | RawSubject::Tree(_)
        )
    }
}

/// `None` when the file is not valid TOML (the syntax errors are recorded).
pub fn read_benchmark(file: &mut TomlFile<'_>) -> Option<RawBenchmark> {
    let doc = file.parse()?;
    let mut table = Table::root(&doc);
    let raw = RawBenchmark {
        id: table.string(file, "id", true),
        title: table.string(file, "title", true),
        platform: table.string(file, "platform", true),
        kubernetes: table.strings(file, "kubernetes", true),
    };
    table.finish(file, no_hint);
    Some(raw)
}

pub fn read_settings(file: &mut TomlFile<'_>) -> Vec<RawSetting> {
    let Some(doc) = file.parse() else {
        return Vec::new();
    };
    let mut root = Table::root(&doc);
    let settings = root.tables(file, "settings", "an array of tables ([[settings]])", |file, mut t| {
        let setting = RawSetting {
            name: t.string(file, "name", true),
            kind: t.string(file, "type", true),
            repeats: t.boolean(file, "repeats", false),
            default: t.scalar(file, "default"),
            reference: t.string(file, "reference", false),
            config_key: t.string(file, "config-key", false),
            config_default: t.scalar(file, "config-default"),
            config_reference: t.string(file, "config-reference", false),
            env: t.string(file, "env", false),
        };
        t.finish(file, no_hint);
        Some(setting)
    });
    root.finish(file, no_hint);
    settings.unwrap_or_default()
}

pub fn read_checks(file: &mut TomlFile<'_>) -> Vec<RawCheck> {
    let Some(doc) = file.parse() else {
        return Vec::new();
    };
    let mut root = Table::root(&doc);
    let checks = root.tables(file, "checks", "an array of tables ([[checks]])", |file, mut t| {
        let loc = t.loc(file);
        let check = RawCheck {
            id: t.string(file, "id", true),
            title: t.string(file, "title", true),
            target: t.string(file, "target", true),
            automated: t.boolean(file, "automated", true),
            scored: t.boolean(file, "scored", true),
            remediation: t.string(file, "remediation", true),
            test: read_test_key(file, &mut t, "test"),
            loc,
        };
        t.finish(file, no_hint);
        Some(check)
    });
    if checks.is_none() {
        file.push(Problem::at(&root.loc(file), "no [[checks]] in this file"));
    }
    root.finish(file, no_hint);
    checks.unwrap_or_default()
}

fn read_test_key(
    file: &mut TomlFile<'_>,
    parent: &mut Table<'_, '_>,
    key: &'static str,
) -> Option<RawTest> {
    let path = parent.key_path(key);
    let v = parent.get(key)?;
    match v.get_ref().as_table() {
        Some(t) => read_test(file, Table::new(t, v.span(), path)),
        None => {
            file.problem(&v.span(), Some(&path), expected("a table", v.get_ref()));
            None
        }
    }
}

const SUBJECTS: [&str; 9] = [
    "setting",
    "file",
    "file-from",
    "tree",
    "encryption-config",
    "audit-policy",
    "distinct-ca",
    "all",
    "any",
];

fn read_test(file: &mut TomlFile<'_>, mut t: Table<'_, '_>) -> Option<RawTest> {
    let loc = t.loc(file);
    let present: Vec<&str> = SUBJECTS.into_iter().filter(|k| t.has(k)).collect();
    if present.len() != 1 {
        let found = if present.is_empty() {
            "none".to_string()
        } else {
            present.join(", ")
        };
        file.push(Problem::at(
            &loc,
            format!(
                "a test needs exactly one of {}; found {found}",
                SUBJECTS.join(", ")
            ),
        ));
    }
    let subject = match present.first().copied() {
        Some("setting") => t.string(file, "setting", true).map(RawSubject::Setting),
        Some("file") => t.strings(file, "file", true).map(RawSubject::File),
        Some("file-from") => t.string(file, "file-from", true).map(RawSubject::FileFrom),
        Some("tree") => t.string(file, "tree", true).map(RawSubject::Tree),
        Some("encryption-config") => t
            .string(file, "encryption-config", true)
            .map(RawSubject::EncryptionConfig),
        Some("audit-policy") => t.string(file, "audit-policy", true).map(RawSubject::AuditPolicy),
        Some("distinct-ca") => t.strings(file, "distinct-ca", true).map(RawSubject::DistinctCa),
        Some(key @ ("all" | "any")) => {
            let key: &'static str = if key == "all" { "all" } else { "any" };
            let path = t.key_path(key);
            let v = t.get(key)?;
            let Some(items) = v.get_ref().as_array() else {
                let message = expected("an array of tests", v.get_ref());
                file.problem(&v.span(), Some(&path), message);
                return None;
            };
            if items.is_empty() {
                file.problem(&v.span(), Some(&path), "an empty combination is meaningless");
            }
            let mut tests = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                match item.get_ref().as_table() {
                    Some(inner) => {
                        tests.extend(read_test(file, Table::new(inner, item.span(), item_path)))
                    }
                    None => file.problem(
                        &item.span(),
                        Some(&item_path),
                        expected("a test table", item.get_ref()),
                    ),
                }
            }
            Some(if key == "all" {
                RawSubject::All(tests)
            } else {
                RawSubject::Any(tests)
            })
        }
        _ => None,
    };
    // Mark the other subject keys as known so they are not also reported
    // as unknown: the "exactly one" problem above covers them.
    for key in SUBJECTS {
        if present.len() > 1 {
            t.get(key);
        }
    }
    let judged = subject.as_ref().is_some_and(RawSubject::takes_predicate);
    let (op, value, if_exists, if_set, if_running, suffix) = if judged {
        (
            t.string(file, "op", true),
            t.scalar(file, "value"),
            t.boolean(file, "if-exists", false),
            t.boolean(file, "if-set", false),
            t.boolean(file, "if-running", false),
            t.string(file, "suffix", false),
        )
    } else {
        (None, None, None, None, None, None)
    };
    t.finish(file, no_hint);
    Some(RawTest {
        subject: subject?,
        op,
        value,
        if_exists,
        if_set,
        if_running,
        suffix,
    })
}


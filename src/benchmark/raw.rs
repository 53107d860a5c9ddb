//! Definition files as written: TOML read (with `toml_file`) into plain
//! records that keep each value's location. Only shape is checked here
//! (types, required and unknown keys), and every problem is collected rather
//! than stopping at the first; meaning is checked in `validate.rs`.

use crate::toml_file::{self, expected, no_hint, Loc, Problem, Table, TomlFile, L};

/// `benchmark.toml`.
#[derive(Clone)]
pub struct RawBenchmark {
    pub id: Option<L<String>>,
    pub title: Option<L<String>>,
    /// Required unless inherited (`extends`); `validate.rs` says so.
    pub platform: Option<L<String>>,
    pub kubernetes: Option<L<Vec<String>>>,
    /// The built-in benchmark this one is derived from (`inherit.rs`).
    pub extends: Option<L<String>>,
    /// The parent's check ids this one removes.
    pub drop: Option<L<Vec<String>>>,
}

/// One `[[settings]]` entry. Only `name` is required here: an entry that
/// overrides an inherited setting gives just the keys it changes, so
/// whether the merged setting is complete is checked in `validate.rs`.
#[derive(Clone)]
pub struct RawSetting {
    pub loc: Loc,
    /// Whether `type` is written, whatever its value: a value of the wrong
    /// type is a problem of its own, not a missing key.
    pub has_type: bool,
    pub name: L<String>,
    pub kind: Option<L<String>>,
    pub repeats: Option<L<bool>>,
    pub default: Option<L<String>>,
    pub reference: Option<L<String>>,
    pub config_key: Option<L<String>>,
    pub config_default: Option<L<String>>,
    pub config_reference: Option<L<String>>,
    pub env: Option<L<String>>,
}

/// One `[[checks]]` entry. Every key is optional here, for the same reason
/// as settings: an override gives only what it changes.
#[derive(Clone)]
pub struct RawCheck {
    pub loc: Loc,
    /// The keys of `CHECK_KEYS` the entry writes, whatever their values.
    pub present: Vec<&'static str>,
    pub id: Option<L<String>>,
    pub title: Option<L<String>>,
    pub target: Option<L<String>>,
    pub automated: Option<L<bool>>,
    pub scored: Option<L<bool>>,
    /// The CIS profile level, "1" or "2" (`level = 1` in the file).
    pub level: Option<L<String>>,
    pub remediation: Option<L<String>>,
    pub test: Option<RawTest>,
}

/// The keys every check has once merged with what it inherits.
pub const CHECK_KEYS: [&str; 7] = ["id", "title", "target", "automated", "scored", "level", "remediation"];

/// The `[[settings]]` and `[[checks]]` entries of one definition file.
#[derive(Clone, Default)]
pub struct RawDefinitions {
    pub settings: Vec<RawSetting>,
    pub checks: Vec<RawCheck>,
}

#[derive(Clone)]
pub struct RawTest {
    pub subject: RawSubject,
    pub op: Option<L<String>>,
    pub value: Option<L<String>>,
    pub if_exists: Option<L<bool>>,
    pub if_set: Option<L<bool>>,
    pub if_running: Option<L<bool>>,
    pub suffix: Option<L<String>>,
}

#[derive(Clone)]
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
        platform: table.string(file, "platform", false),
        kubernetes: table.strings(file, "kubernetes", true),
        extends: table.string(file, "extends", false),
        drop: table.strings(file, "drop", false),
    };
    table.finish(file, no_hint);
    Some(raw)
}

/// A definition file other than `benchmark.toml`: `[[settings]]`,
/// `[[checks]]` or both.
pub fn read_definitions(file: &mut TomlFile<'_>) -> RawDefinitions {
    let Some(doc) = file.parse() else {
        return RawDefinitions::default();
    };
    let mut root = Table::root(&doc);
    let settings = root.tables(file, "settings", "an array of tables ([[settings]])", |file, mut t| {
        let loc = t.loc(file);
        let has_type = t.has("type");
        let name = t.string(file, "name", true);
        let kind = t.string(file, "type", false);
        let repeats = t.boolean(file, "repeats", false);
        let default = t.scalar(file, "default");
        let reference = t.string(file, "reference", false);
        let config_key = t.string(file, "config-key", false);
        let config_default = t.scalar(file, "config-default");
        let config_reference = t.string(file, "config-reference", false);
        let env = t.string(file, "env", false);
        t.finish(file, no_hint);
        Some(RawSetting {
            loc,
            has_type,
            name: name?,
            kind,
            repeats,
            default,
            reference,
            config_key,
            config_default,
            config_reference,
            env,
        })
    });
    let checks = root.tables(file, "checks", "an array of tables ([[checks]])", |file, mut t| {
        let loc = t.loc(file);
        let present = CHECK_KEYS.into_iter().filter(|k| t.has(k)).collect();
        let check = RawCheck {
            present,
            id: t.string(file, "id", false),
            title: t.string(file, "title", false),
            target: t.string(file, "target", false),
            automated: t.boolean(file, "automated", false),
            scored: t.boolean(file, "scored", false),
            level: t.scalar(file, "level"),
            remediation: t.string(file, "remediation", false),
            test: read_test_key(file, &mut t, "test"),
            loc,
        };
        t.finish(file, no_hint);
        Some(check)
    });
    if settings.is_none() && checks.is_none() {
        file.push(Problem::at(&root.loc(file), "no [[checks]] or [[settings]] in this file"));
    }
    root.finish(file, no_hint);
    RawDefinitions {
        settings: settings.unwrap_or_default(),
        checks: checks.unwrap_or_default(),
    }
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
                let item_path = toml_file::item_path(&path, i);
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


//! Definition files as written: TOML read into plain records that keep each
//! value's location (file, line, column, key path). Only shape is checked
//! here (types, required and unknown keys), and every problem is collected
//! rather than stopping at the first; meaning is checked in `validate.rs`.

use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Where a value is: for messages `<file>:<line>:<col>: <key path>: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: String,
    pub offset: usize,
    pub line: usize,
    pub col: usize,
    pub path: String,
}

#[derive(Clone, Debug)]
pub struct L<T> {
    pub value: T,
    pub loc: Loc,
}

/// One problem, ordered by file then position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    file: String,
    offset: usize,
    text: String,
}

impl Problem {
    pub fn at(loc: &Loc, message: impl std::fmt::Display) -> Problem {
        let text = format!(
            "{}:{}:{}: {}: {message}",
            loc.file, loc.line, loc.col, loc.path
        );
        Problem {
            file: loc.file.clone(),
            offset: loc.offset,
            text,
        }
    }

    pub fn file(file: &str, message: impl std::fmt::Display) -> Problem {
        Problem {
            file: file.into(),
            offset: 0,
            text: format!("{file}: {message}"),
        }
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

/// One definition file being read.
pub struct File<'s> {
    name: &'s str,
    text: &'s str,
    /// Where each line starts. Every value read gets a location, and
    /// counting the lines before each one again made loading a benchmark
    /// quadratic in its size.
    line_starts: Vec<usize>,
    pub problems: Vec<Problem>,
}

impl<'s> File<'s> {
    pub fn new(name: &'s str, text: &'s str) -> File<'s> {
        File {
            name,
            text,
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(nl, _)| nl + 1))
                .collect(),
            problems: Vec::new(),
        }
    }

    pub fn loc(&self, span: &Range<usize>, path: &str) -> Loc {
        let offset = span.start.min(self.text.len());
        // Lines starting at or before `offset`; the first starts at 0.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let col = self.text[self.line_starts[line - 1]..offset].chars().count() + 1;
        Loc {
            file: self.name.into(),
            offset,
            line,
            col,
            path: path.into(),
        }
    }

    pub fn problem(&mut self, span: &Range<usize>, path: &str, message: impl std::fmt::Display) {
        let loc = self.loc(span, path);
        self.problems.push(Problem::at(&loc, message));
    }

    /// Parses the document; syntax errors are recorded and the recovered
    /// part is still read, so later problems are reported too.
    pub fn parse(&mut self) -> Spanned<DeTable<'s>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        for error in errors {
            let span = error.span().unwrap_or(0..0);
            let loc = self.loc(&span, "(toml)");
            let text = format!("{}:{}:{}: {}", loc.file, loc.line, loc.col, error.message());
            self.problems.push(Problem {
                file: loc.file,
                offset: loc.offset,
                text,
            });
        }
        table
    }
}

/// A TOML table being read: tracks which keys were used, so unknown ones
/// can be reported.
pub struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    span: Range<usize>,
    pub path: String,
    used: Vec<&'static str>,
}

pub type Value<'t, 'i> = &'t Spanned<DeValue<'i>>;

impl<'t, 'i> Table<'t, 'i> {
    pub fn new(table: &'t DeTable<'i>, span: Range<usize>, path: String) -> Table<'t, 'i> {
        Table {
            table,
            span,
            path,
            used: Vec::new(),
        }
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.into()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn get(&mut self, key: &'static str) -> Option<Value<'t, 'i>> {
        self.used.push(key);
        self.table.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    pub fn loc(&self, file: &File<'_>) -> Loc {
        file.loc(&self.span, &self.path)
    }

    pub fn string(
        &mut self,
        file: &mut File<'_>,
        key: &'static str,
        required: bool,
    ) -> Option<L<String>> {
        self.typed(file, key, required, "a string", |v| v.as_str().map(str::to_string))
    }

    /// A scalar operand: a string, integer or boolean, kept as its text so
    /// `value = 30` and `value = "30"` mean the same.
    pub fn scalar(&mut self, file: &mut File<'_>, key: &'static str) -> Option<L<String>> {
        let path = self.key_path(key);
        let v = self.get(key)?;
        let text = match v.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) => i.as_str().to_string(),
            DeValue::Boolean(b) => b.to_string(),
            other => {
                file.problem(
                    &v.span(),
                    &path,
                    format!(
                        "expected a string, integer or boolean, found {}",
                        other.type_str()
                    ),
                );
                return None;
            }
        };
        Some(L {
            value: text,
            loc: file.loc(&v.span(), &path),
        })
    }

    pub fn boolean(
        &mut self,
        file: &mut File<'_>,
        key: &'static str,
        required: bool,
    ) -> Option<L<bool>> {
        self.typed(file, key, required, "a boolean", DeValue::as_bool)
    }

    /// The value at `key` as whatever `extract` makes of it, or a problem
    /// saying it should have been `what` (or is missing, when `required`).
    fn typed<T>(
        &mut self,
        file: &mut File<'_>,
        key: &'static str,
        required: bool,
        what: &str,
        extract: impl Fn(&DeValue<'i>) -> Option<T>,
    ) -> Option<L<T>> {
        let path = self.key_path(key);
        match self.get(key) {
            Some(v) => match extract(v.get_ref()) {
                Some(value) => Some(L {
                    value,
                    loc: file.loc(&v.span(), &path),
                }),
                None => {
                    file.problem(
                        &v.span(),
                        &path,
                        format!("expected {what}, found {}", v.get_ref().type_str()),
                    );
                    None
                }
            },
            None => {
                if required {
                    file.problem(
                        &self.span,
                        &self.path_or_root(),
                        format!("missing key `{key}`"),
                    );
                }
                None
            }
        }
    }

    pub fn strings(
        &mut self,
        file: &mut File<'_>,
        key: &'static str,
        required: bool,
    ) -> Option<L<Vec<String>>> {
        let path = self.key_path(key);
        let Some(v) = self.get(key) else {
            if required {
                file.problem(
                    &self.span,
                    &self.path_or_root(),
                    format!("missing key `{key}`"),
                );
            }
            return None;
        };
        let loc = file.loc(&v.span(), &path);
        match v.get_ref() {
            DeValue::String(s) => Some(L {
                value: vec![s.to_string()],
                loc,
            }),
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.get_ref().as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => file.problem(
                            &item.span(),
                            &format!("{path}[{i}]"),
                            format!("expected a string, found {}", item.get_ref().type_str()),
                        ),
                    }
                }
                Some(L { value: out, loc })
            }
            other => {
                file.problem(
                    &v.span(),
                    &path,
                    format!(
                        "expected a string or an array of strings, found {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    /// An array of tables, each handed to `read` with its key path.
    pub fn tables<T>(
        &mut self,
        file: &mut File<'_>,
        key: &'static str,
        mut read: impl FnMut(&mut File<'_>, Table<'t, 'i>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let path = self.key_path(key);
        let v = self.get(key)?;
        let Some(items) = v.get_ref().as_array() else {
            file.problem(
                &v.span(),
                &path,
                format!(
                    "expected an array of tables, found {}",
                    v.get_ref().type_str()
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            match item.get_ref().as_table() {
                Some(t) => out.extend(read(file, Table::new(t, item.span(), item_path))),
                None => file.problem(
                    &item.span(),
                    &item_path,
                    format!("expected a table, found {}", item.get_ref().type_str()),
                ),
            }
        }
        Some(out)
    }

    fn path_or_root(&self) -> String {
        if self.path.is_empty() {
            "(root)".into()
        } else {
            self.path.clone()
        }
    }

    /// Reports every key that was not read.
    pub fn finish(self, file: &mut File<'_>) {
        for (key, value) in self.table.iter() {
            if !self.used.contains(&key.get_ref().as_ref()) {
                let expected = self
                    .used
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let path = self.key_path(key.get_ref());
                let message = format!(
                    "unknown key `{}`; expected one of {expected}",
                    key.get_ref()
                );
                let span = if key.span().is_empty() {
                    value.span()
                } else {
                    key.span()
                };
                file.problem(&span, &path, message);
            }
        }
    }
}

/// `benchmark.toml`.
pub struct RawBenchmark {
    pub id: Option<L<String>>,
    pub title: Option<L<String>>,
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

pub fn read_benchmark(file: &mut File<'_>) -> RawBenchmark {
    let doc = file.parse();
    let mut table = Table::new(doc.get_ref(), doc.span(), String::new());
    let raw = RawBenchmark {
        id: table.string(file, "id", true),
        title: table.string(file, "title", true),
        kubernetes: table.strings(file, "kubernetes", true),
    };
    table.finish(file);
    raw
}

pub fn read_settings(file: &mut File<'_>) -> Vec<RawSetting> {
    let doc = file.parse();
    let mut root = Table::new(doc.get_ref(), doc.span(), String::new());
    let settings = root.tables(file, "settings", |file, mut t| {
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
        t.finish(file);
        Some(setting)
    });
    root.finish(file);
    settings.unwrap_or_default()
}

pub fn read_checks(file: &mut File<'_>) -> Vec<RawCheck> {
    let doc = file.parse();
    let mut root = Table::new(doc.get_ref(), doc.span(), String::new());
    let checks = root.tables(file, "checks", |file, mut t| {
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
        t.finish(file);
        Some(check)
    });
    if checks.is_none() {
        file.problems
            .push(Problem::at(&root.loc(file), "no [[checks]] in this file"));
    }
    root.finish(file);
    checks.unwrap_or_default()
}

fn read_test_key(
    file: &mut File<'_>,
    parent: &mut Table<'_, '_>,
    key: &'static str,
) -> Option<RawTest> {
    let path = parent.key_path(key);
    let v = parent.get(key)?;
    match v.get_ref().as_table() {
        Some(t) => read_test(file, Table::new(t, v.span(), path)),
        None => {
            file.problem(
                &v.span(),
                &path,
                format!("expected a table, found {}", v.get_ref().type_str()),
            );
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

fn read_test(file: &mut File<'_>, mut t: Table<'_, '_>) -> Option<RawTest> {
    let loc = t.loc(file);
    let present: Vec<&str> = SUBJECTS.into_iter().filter(|k| t.has(k)).collect();
    if present.len() != 1 {
        let found = if present.is_empty() {
            "none".to_string()
        } else {
            present.join(", ")
        };
        file.problems.push(Problem::at(
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
                file.problem(
                    &v.span(),
                    &path,
                    format!(
                        "expected an array of tests, found {}",
                        v.get_ref().type_str()
                    ),
                );
                return None;
            };
            if items.is_empty() {
                file.problem(&v.span(), &path, "an empty combination is meaningless");
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
                        &item_path,
                        format!("expected a test table, found {}", item.get_ref().type_str()),
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
    t.finish(file);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let file = File::new("f.toml", "a = 1\nbé = 2\n\nc");
        let at = |offset: usize| {
            let loc = file.loc(&(offset..offset), "p");
            (loc.line, loc.col)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(5), (1, 6), "the line break ends its line");
        assert_eq!(at(6), (2, 1));
        assert_eq!(at(9), (2, 3), "é is one column");
        assert_eq!(at(14), (3, 1), "an empty line");
        assert_eq!(at(15), (4, 1));
        assert_eq!(at(99), (4, 2), "past the end is the end");
    }
}

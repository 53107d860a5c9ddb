//! Reading a TOML file a user wrote: the inventory, the benchmark
//! definitions, and any further input file (waivers, attestations) under the
//! same rules. Owns parsing with spans, byte offset → line:column, the one
//! problem type every input reports (`file:line:column: key: message`), and
//! `Table`, a reader of one TOML table that checks types, reports missing
//! and unknown keys, and keeps each value's location for later checks.
//!
//! Problems are collected, never thrown: a reader reads on after one, so a
//! user sees every problem of a file at once. Values are read from the
//! span-carrying tree (`toml::de::DeTable`) rather than deserialized with
//! serde, because serde stops at the first unknown key or wrong type.

use std::cell::OnceCell;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A 1-based line and column; the column counts characters, not bytes, as
/// editors do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One problem in an input file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problem {
    pub file: PathBuf,
    /// `None` when the problem is about the whole file (it could not be
    /// read, or it is missing from a set of files).
    pub position: Option<Position>,
    /// The key path (`hosts[1].connect_timeout`); `None` for syntax errors
    /// and problems that are not about one key.
    pub key: Option<String>,
    pub message: String,
}

impl Problem {
    /// A problem about a whole file.
    pub fn in_file(file: &Path, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            position: None,
            key: None,
            message: message.into(),
        }
    }

    /// A file that could not be read.
    pub fn read(file: &Path, error: &std::io::Error) -> Problem {
        Problem::in_file(file, format!("cannot read: {error}"))
    }

    /// A problem at a value already located (see `Loc`).
    pub fn at(loc: &Loc, message: impl Into<String>) -> Problem {
        Problem {
            file: loc.file().to_path_buf(),
            position: Some(loc.position()),
            key: loc.key(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(Position { line, column }) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Reads an input file. Only a regular file is read: a FIFO or a device
/// named by mistake would block or never end.
pub fn read(path: &Path) -> Result<String, Problem> {
    let metadata = std::fs::metadata(path).map_err(|error| Problem::read(path, &error))?;
    if !metadata.is_file() {
        return Err(Problem::in_file(path, "cannot read: not a regular file"));
    }
    std::fs::read_to_string(path).map_err(|error| Problem::read(path, &error))
}

/// Writes `problems` one per line, then how many there are in `what`
/// ("the inventory"): how every set of input problems reads.
pub fn write_list(f: &mut fmt::Formatter<'_>, problems: &[Problem], what: &str) -> fmt::Result {
    for problem in problems {
        writeln!(f, "{problem}")?;
    }
    match problems.len() {
        1 => write!(f, "1 error in {what}"),
        n => write!(f, "{n} errors in {what}"),
    }
}

/// Sorts problems into reading order: by file, then position; problems at
/// the same place keep the order they were found in.
pub fn sort(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
}

/// An input file as every location in it keeps it: its path and text,
/// and where each line starts, counted only once a position is asked for.
/// Locations are made for every value read but a position is needed only
/// for a problem, so a location keeps a byte offset and the file shared,
/// never a formatted line and column.
struct Source {
    path: PathBuf,
    text: Box<str>,
    /// Where each line starts. Counting the lines before each offset again
    /// made reading quadratic in the file's size (a 40,000-host inventory
    /// took minutes).
    line_starts: OnceCell<Vec<usize>>,
}

impl Source {
    /// The position of byte `offset`. An offset past the end (an error "at
    /// end of file") is placed just after the last character; one inside a
    /// multi-byte character counts from its start.
    fn position(&self, offset: usize) -> Position {
        let text = &*self.text;
        let line_starts = self.line_starts.get_or_init(|| {
            std::iter::once(0).chain(text.match_indices('\n').map(|(nl, _)| nl + 1)).collect()
        });
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        // Lines starting at or before `offset`; the first starts at 0.
        let line = line_starts.partition_point(|&start| start <= offset);
        let column = text[line_starts[line - 1]..offset].chars().count() + 1;
        Position { line, column }
    }
}

/// A key path as a location keeps it: made into text only for a problem.
#[derive(Clone)]
enum KeyPath {
    None,
    /// A whole path (`hosts[3]`).
    Whole(Rc<str>),
    /// A key of the table at a path (empty for the document).
    Child(Rc<str>, &'static str),
}

impl KeyPath {
    fn text(&self) -> Option<String> {
        match self {
            KeyPath::None => None,
            KeyPath::Whole(path) => Some(path.to_string()),
            KeyPath::Child(table, key) if table.is_empty() => Some((*key).to_string()),
            KeyPath::Child(table, key) => Some(format!("{table}.{key}")),
        }
    }
}

/// Where a value is, for problems found after reading (when the tree and
/// its spans are gone). Cheap to make and to clone: the file is shared,
/// and the line, column and key path are worked out only when asked for.
#[derive(Clone)]
pub struct Loc {
    source: Rc<Source>,
    offset: usize,
    key: KeyPath,
}

impl Loc {
    pub fn file(&self) -> &Path {
        &self.source.path
    }

    pub fn position(&self) -> Position {
        self.source.position(self.offset)
    }

    /// The key path (`checks[3].title`), if the location is a key's.
    pub fn key(&self) -> Option<String> {
        self.key.text()
    }
}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Position { line, column } = self.position();
        write!(f, "{}:{line}:{column}", self.file().display())?;
        match self.key() {
            Some(key) => write!(f, ": {key}"),
            None => Ok(()),
        }
    }
}

impl PartialEq for Loc {
    fn eq(&self, other: &Loc) -> bool {
        (self.file(), self.position(), self.key()) == (other.file(), other.position(), other.key())
    }
}

impl Eq for Loc {}

/// A value with its location.
#[derive(Clone, Debug)]
pub struct L<T> {
    pub value: T,
    pub loc: Loc,
}

/// One input file being read, and the problems found in it so far.
pub struct TomlFile<'s> {
    text: &'s str,
    source: Rc<Source>,
    problems: Vec<Problem>,
}

impl<'s> TomlFile<'s> {
    pub fn new(path: &'s Path, text: &'s str) -> TomlFile<'s> {
        TomlFile {
            text,
            source: Rc::new(Source { path: path.to_path_buf(), text: text.into(), line_starts: OnceCell::new() }),
            problems: Vec::new(),
        }
    }

    /// The position of byte `offset`. An offset past the end (an error "at
    /// end of file") is placed just after the last character; one inside a
    /// multi-byte character counts from its start.
    pub fn position(&self, offset: usize) -> Position {
        self.source.position(offset)
    }

    pub fn loc(&self, span: &Range<usize>, key: Option<&str>) -> Loc {
        self.located(span, key.map_or(KeyPath::None, |key| KeyPath::Whole(key.into())))
    }

    fn located(&self, span: &Range<usize>, key: KeyPath) -> Loc {
        Loc { source: Rc::clone(&self.source), offset: span.start, key }
    }

    /// Records a problem at `span`, about `key` (a key path) if given.
    pub fn problem(&mut self, span: &Range<usize>, key: Option<&str>, message: impl Into<String>) {
        let loc = self.loc(span, key);
        self.problems.push(Problem::at(&loc, message));
    }

    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// How many problems were found so far: a reader compares counts to know
    /// whether a part it read was sound.
    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// Parses the document. On syntax errors they are recorded and `None`
    /// is returned: reading a recovered tree would report knock-on problems
    /// ("missing key") for text the user wrote correctly.
    pub fn parse(&mut self) -> Option<Spanned<DeTable<'s>>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        if errors.is_empty() {
            return Some(table);
        }
        for error in errors {
            let span = error.span().unwrap_or(0..0);
            self.problem(&span, None, format!("TOML syntax error: {}", error.message()));
        }
        None
    }

    /// The problems found, in reading order.
    pub fn into_problems(self) -> Vec<Problem> {
        let mut problems = self.problems;
        sort(&mut problems);
        problems
    }
}

pub type Value<'t, 'i> = &'t Spanned<DeValue<'i>>;

/// "an integer", "a string": a value's type as problems name it.
pub fn type_name(value: &DeValue<'_>) -> String {
    let name = value.type_str();
    match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

/// The message for a value of the wrong type.
pub fn expected(what: &str, value: &DeValue<'_>) -> String {
    format!("expected {what}, found {}", type_name(value))
}

/// A TOML table being read. Records which keys were asked for, so that
/// `finish` can report every other key as unknown and list the valid ones.
pub struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    span: Range<usize>,
    /// The table's key path; empty for the document itself. Shared with
    /// the location of every value read from the table.
    pub path: Rc<str>,
    asked: Vec<&'static str>,
}

impl<'t, 'i> Table<'t, 'i> {
    pub fn new(table: &'t DeTable<'i>, span: Range<usize>, path: String) -> Table<'t, 'i> {
        Table {
            table,
            span,
            path: path.into(),
            asked: Vec::with_capacity(table.len()),
        }
    }

    /// The whole document.
    pub fn root(doc: &'t Spanned<DeTable<'i>>) -> Table<'t, 'i> {
        Table::new(doc.get_ref(), doc.span(), String::new())
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.into()
        } else {
            [&*self.path, ".", key].concat()
        }
    }

    /// The value at `key`; `key` becomes a known key of this table.
    pub fn get(&mut self, key: &'static str) -> Option<Value<'t, 'i>> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        self.table.get(key)
    }

    /// Whether `key` is present, without making it a known key.
    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    pub fn loc(&self, file: &TomlFile<'_>) -> Loc {
        let key = if self.path.is_empty() { KeyPath::None } else { KeyPath::Whole(Rc::clone(&self.path)) };
        file.located(&self.span, key)
    }

    fn own_key(&self) -> Option<&str> {
        Some(&*self.path).filter(|path| !path.is_empty())
    }

    /// The location of the value at `key` of this table, at `span`.
    fn key_loc(&self, file: &TomlFile<'_>, span: &Range<usize>, key: &'static str) -> Loc {
        file.located(span, KeyPath::Child(Rc::clone(&self.path), key))
    }

    /// Records that `key` is missing from this table.
    pub fn missing(&self, file: &mut TomlFile<'_>, key: &str) {
        file.problem(&self.span, self.own_key(), format!("missing key {key:?}"));
    }

    /// The value at `key` made into `T` by `extract`, or a problem saying it
    /// should have been `what` (or is missing, when `required`).
    fn typed<T>(
        &mut self,
        file: &mut TomlFile<'_>,
        key: &'static str,
        required: bool,
        what: &str,
        extract: impl Fn(&DeValue<'i>) -> Option<T>,
    ) -> Option<L<T>> {
        let Some(v) = self.get(key) else {
            if required {
                self.missing(file, key);
            }
            return None;
        };
        let loc = self.key_loc(file, &v.span(), key);
        match extract(v.get_ref()) {
            Some(value) => Some(L { value, loc }),
            None => {
                file.push(Problem::at(&loc, expected(what, v.get_ref())));
                None
            }
        }
    }

    pub fn string(
        &mut self,
        file: &mut TomlFile<'_>,
        key: &'static str,
        required: bool,
    ) -> Option<L<String>> {
        self.typed(file, key, required, "a string", |v| v.as_str().map(str::to_string))
    }

    pub fn boolean(
        &mut self,
        file: &mut TomlFile<'_>,
        key: &'static str,
        required: bool,
    ) -> Option<L<bool>> {
        self.typed(file, key, required, "a boolean", DeValue::as_bool)
    }

    /// A TOML local date (`expires = 2027-03-31`): not a string, not a
    /// date with a time.
    pub fn date(&mut self, file: &mut TomlFile<'_>, key: &'static str, required: bool) -> Option<L<chrono::NaiveDate>> {
        self.typed(file, key, required, "a date such as 2027-03-31 (a TOML date: no quotes, no time)", |v| match v {
            DeValue::Datetime(t) if t.time.is_none() && t.offset.is_none() => t
                .date
                .and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())),
            _ => None,
        })
    }

    /// A scalar: a string, integer or boolean, kept as its text so that
    /// `value = 30` and `value = "30"` mean the same.
    pub fn scalar(&mut self, file: &mut TomlFile<'_>, key: &'static str) -> Option<L<String>> {
        self.typed(file, key, false, "a string, an integer or a boolean", |v| match v {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Integer(i) => Some(i.as_str().to_string()),
            DeValue::Boolean(b) => Some(b.to_string()),
            _ => None,
        })
    }

    /// A string or an array of strings (a single string is a list of one).
    pub fn strings(
        &mut self,
        file: &mut TomlFile<'_>,
        key: &'static str,
        required: bool,
    ) -> Option<L<Vec<String>>> {
        let Some(v) = self.get(key) else {
            if required {
                self.missing(file, key);
            }
            return None;
        };
        let loc = self.key_loc(file, &v.span(), key);
        match v.get_ref() {
            DeValue::String(s) => Some(L {
                value: vec![s.to_string()],
                loc,
            }),
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.get_ref().as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => file.problem(
                            &item.span(),
                            Some(&format!("{}[{i}]", self.key_path(key))),
                            expected("a string", item.get_ref()),
                        ),
                    }
                }
                Some(L { value: out, loc })
            }
            other => {
                file.push(Problem::at(&loc, expected("a string or an array of strings", other)));
                None
            }
        }
    }

    /// The sub-table at `key` (`[components]`, an inline table), or a
    /// problem when it is something else.
    pub fn table(&mut self, file: &mut TomlFile<'_>, key: &'static str, required: bool) -> Option<Table<'t, 'i>> {
        let path = self.key_path(key);
        let Some(v) = self.get(key) else {
            if required {
                self.missing(file, key);
            }
            return None;
        };
        match v.get_ref().as_table() {
            Some(t) => Some(Table::new(t, v.span(), path)),
            None => {
                file.problem(&v.span(), Some(&path), expected("a table", v.get_ref()));
                None
            }
        }
    }

    /// Every entry of this table and its string value, each with its
    /// location, for tables whose keys are data (`files = { "--config" =
    /// "read" }`). A value that is not a string is a problem.
    pub fn string_entries(&self, file: &mut TomlFile<'_>) -> Vec<(L<String>, L<String>)> {
        self.data_entries(file, "a string", |value, span, path, file| {
            value.as_str().map(|text| L { value: text.to_string(), loc: file.loc(&span, Some(&path)) })
        })
    }

    /// Every key of this table with its sub-table, for tables keyed by data
    /// (`[components.kube-apiserver]`). A value that is not a table is a
    /// problem.
    pub fn sub_tables(&self, file: &mut TomlFile<'_>) -> Vec<(L<String>, Table<'t, 'i>)> {
        self.data_entries(file, "a table", |value, span, path, _| value.as_table().map(|t| Table::new(t, span, path)))
    }

    /// Every entry, its key with its location and its value made into `T`
    /// by `extract` (given the value's span and key path), or a problem
    /// saying the value should have been `what`.
    fn data_entries<T>(
        &self,
        file: &mut TomlFile<'_>,
        what: &str,
        extract: impl Fn(&'t DeValue<'i>, Range<usize>, String, &TomlFile<'_>) -> Option<T>,
    ) -> Vec<(L<String>, T)> {
        let mut out = Vec::new();
        for (key, value) in self.table.iter() {
            let name = key.get_ref().as_ref();
            let path = self.key_path(name);
            let key_loc = file.loc(&key_span(key, value), Some(&path));
            match extract(value.get_ref(), value.span(), path.clone(), file) {
                Some(found) => out.push((L { value: name.to_string(), loc: key_loc }, found)),
                None => file.problem(&value.span(), Some(&path), expected(what, value.get_ref())),
            }
        }
        out
    }

    /// An array of tables, each handed to `read` with its key path
    /// (`hosts[3]`). `None` when the key is absent or not an array.
    pub fn tables<T>(
        &mut self,
        file: &mut TomlFile<'_>,
        key: &'static str,
        what: &str,
        mut read: impl FnMut(&mut TomlFile<'_>, Table<'t, 'i>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let path = self.key_path(key);
        let v = self.get(key)?;
        let Some(items) = v.get_ref().as_array() else {
            file.problem(&v.span(), Some(&path), expected(what, v.get_ref()));
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = item_path(&path, i);
            match item.get_ref().as_table() {
                Some(t) => out.extend(read(file, Table::new(t, item.span(), item_path))),
                None => {
                    let message = expected("a table", item.get_ref());
                    file.problem(&item.span(), Some(&item_path), message)
                }
            }
        }
        Some(out)
    }

    /// Reports every key that was not asked for. `hint` may give a key its
    /// own message (a key that belongs in another table, a key refused on
    /// purpose); the others are "unknown key" with the list of valid keys.
    pub fn finish(self, file: &mut TomlFile<'_>, hint: impl Fn(&str) -> Option<String>) {
        for (key, value) in self.table.iter() {
            let name = key.get_ref().as_ref();
            if self.asked.contains(&name) {
                continue;
            }
            let message = hint(name).unwrap_or_else(|| {
                format!("unknown key {name:?}: expected one of {}", self.asked.join(", "))
            });
            file.problem(&key_span(key, value), Some(&self.key_path(name)), message);
        }
    }
}

/// Where a key is: its own span, or, for dotted and inline keys that may
/// have none, its value's.
fn key_span(key: &Spanned<toml::de::DeString<'_>>, value: &Spanned<DeValue<'_>>) -> Range<usize> {
    if key.span().is_empty() {
        value.span()
    } else {
        key.span()
    }
}

/// `path[i]`, the key path of an array's item: made for every table of an
/// array of tables, so without the formatting machinery.
pub fn item_path(path: &str, i: usize) -> String {
    use std::fmt::Write;
    let mut item = String::with_capacity(path.len() + 5);
    item.push_str(path);
    item.push('[');
    let _ = write!(item, "{i}");
    item.push(']');
    item
}

/// For `Table::finish`: no key has a message of its own.
pub fn no_hint(_: &str) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_character_columns() {
        let cases: &[(&str, usize, usize, usize)] = &[
            ("", 0, 1, 1),
            ("abc", 0, 1, 1),
            ("abc", 2, 1, 3),
            ("abc\ndef", 3, 1, 4),
            ("abc\ndef", 4, 2, 1),
            ("abc\ndef", 6, 2, 3),
            ("abc\n", 99, 2, 1),
            // "é" is two bytes but one column.
            ("é = 1", 3, 1, 3),
            // An offset inside a multi-byte character counts from its start.
            ("é", 1, 1, 1),
            ("a = 1\nbé = 2\n\nc", 9, 2, 3),
            ("a = 1\nbé = 2\n\nc", 14, 3, 1),
            ("a = 1\nbé = 2\n\nc", 99, 4, 2),
        ];
        for &(text, offset, line, column) in cases {
            let file = TomlFile::new(Path::new("f.toml"), text);
            assert_eq!(
                file.position(offset),
                Position { line, column },
                "{text:?} at {offset}"
            );
        }
    }

    #[test]
    fn problems_render_with_location_and_key() {
        let problem = Problem {
            file: PathBuf::from("inventory.toml"),
            position: Some(Position {
                line: 12,
                column: 19,
            }),
            key: Some("hosts[1].connect_timeout".to_string()),
            message: "invalid duration \"5 sec\"".to_string(),
        };
        assert_eq!(
            problem.to_string(),
            "inventory.toml:12:19: hosts[1].connect_timeout: invalid duration \"5 sec\""
        );
        let syntax = Problem {
            key: None,
            ..problem.clone()
        };
        assert_eq!(
            syntax.to_string(),
            "inventory.toml:12:19: invalid duration \"5 sec\""
        );
        let read = Problem::read(
            Path::new("x.toml"),
            &std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(read.to_string(), "x.toml: cannot read: gone");
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.toml");
        std::fs::write(&file, "a = 1\n").unwrap();
        assert_eq!(read(&file), Ok("a = 1\n".to_string()));
        let fifo = dir.path().join("fifo.toml");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let not_regular = |path: &Path| Err(Problem::in_file(path, "cannot read: not a regular file"));
        assert_eq!(read(&fifo), not_regular(&fifo), "a FIFO is never opened");
        assert_eq!(read(dir.path()), not_regular(dir.path()));
        assert_eq!(read(Path::new("/dev/null")), not_regular(Path::new("/dev/null")));
        let missing = dir.path().join("missing.toml");
        assert_eq!(
            read(&missing).unwrap_err().to_string(),
            format!("{}: cannot read: No such file or directory (os error 2)", missing.display())
        );
    }

    /// A value's location, made while reading and worked out only when
    /// asked, names the file, line, character column and key path where
    /// the value is written, as a problem recorded there at once does.
    #[test]
    fn locations_worked_out_later_are_where_the_values_are() {
        let text = "# é\nname = \"é\"\n[t]\nlist = [\"a\"]\nflag = true\n\n[[u]]\nnote = \"x\"\n[[u]]\n  note = \"ü\"\n";
        let mut file = TomlFile::new(Path::new("dir/f.toml"), text);
        let doc = file.parse().unwrap();
        let mut root = Table::root(&doc);
        let name = root.string(&mut file, "name", true).unwrap();
        let mut t = root.table(&mut file, "t", true).unwrap();
        let list = t.strings(&mut file, "list", true).unwrap();
        let flag = t.boolean(&mut file, "flag", true).unwrap();
        let notes = root
            .tables(&mut file, "u", "tables", |file, mut u| {
                let whole = u.loc(file);
                Some((whole, u.string(file, "note", true)?.loc))
            })
            .unwrap();
        let whole = root.loc(&file);
        // (location, the text written there, line and column, key path)
        let cases = [
            (&name.loc, "\"é\"", (2, 8), Some("name")),
            (&list.loc, "[\"a\"]", (4, 8), Some("t.list")),
            (&flag.loc, "true", (5, 8), Some("t.flag")),
            (&notes[0].0, "[[u]]", (7, 1), Some("u[0]")),
            (&notes[0].1, "\"x\"", (8, 8), Some("u[0].note")),
            (&notes[1].1, "\"ü\"", (10, 10), Some("u[1].note")),
            (&whole, "# é", (1, 1), None),
        ];
        for (loc, at, (line, column), key) in cases {
            let offset = text.find(at).unwrap();
            assert_eq!(loc.file(), Path::new("dir/f.toml"));
            assert_eq!(loc.position(), Position { line, column }, "{key:?}");
            assert_eq!(loc.position(), file.position(offset), "{key:?}");
            assert_eq!(loc.key().as_deref(), key);
            let key = key.map_or(String::new(), |key| format!(": {key}"));
            assert_eq!(Problem::at(loc, "m").to_string(), format!("dir/f.toml:{line}:{column}{key}: m"));
            assert_eq!(format!("{loc:?}"), format!("dir/f.toml:{line}:{column}{key}"));
        }
        assert_eq!(notes[0].1, notes[0].1.clone());
        assert_ne!(notes[0].1, notes[1].1);
    }

    #[test]
    fn item_paths_are_the_array_path_and_the_index() {
        for (path, i, expected) in [("", 0, "[0]"), ("checks", 12, "checks[12]"), ("a.b", 3, "a.b[3]"), ("t", 1000, "t[1000]")] {
            assert_eq!(item_path(path, i), expected);
            assert_eq!(item_path(path, i), format!("{path}[{i}]"));
        }
    }

    /// Reads `[t]` of `text` with a reader that knows `name` and `flag`.
    fn read_table(text: &str) -> Vec<String> {
        let mut file = TomlFile::new(Path::new("f.toml"), text);
        if let Some(doc) = file.parse() {
            let mut root = Table::root(&doc);
            let _ = root.tables(&mut file, "t", "an array of tables ([[t]])", |file, mut t| {
                t.string(file, "name", true);
                t.boolean(file, "flag", false);
                t.strings(file, "list", false);
                t.scalar(file, "value");
                t.finish(file, |key| (key == "secret").then(|| "never here".to_string()));
                Some(())
            });
            root.finish(&mut file, no_hint);
        }
        file.into_problems()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn tables_report_types_missing_and_unknown_keys_in_reading_order() {
        let cases: &[(&str, &[&str])] = &[
            ("[[t]]\nname = \"a\"\nflag = true\nlist = \"x\"\nvalue = 3\n", &[]),
            (
                "[[t]]\nflag = 1\n",
                &[
                    "f.toml:1:1: t[0]: missing key \"name\"",
                    "f.toml:2:8: t[0].flag: expected a boolean, found an integer",
                ],
            ),
            (
                "[[t]]\nname = \"a\"\nlist = [\"x\", 2]\nvalue = []\ncolour = 1\nsecret = 2\n",
                &[
                    "f.toml:3:14: t[0].list[1]: expected a string, found an integer",
                    "f.toml:4:9: t[0].value: expected a string, an integer or a boolean, found an array",
                    "f.toml:5:1: t[0].colour: unknown key \"colour\": expected one of name, flag, list, value",
                    "f.toml:6:1: t[0].secret: never here",
                ],
            ),
            (
                "t = 1\nu = 2\n",
                &[
                    "f.toml:1:5: t: expected an array of tables ([[t]]), found an integer",
                    "f.toml:2:1: u: unknown key \"u\": expected one of t",
                ],
            ),
            ("t = [1]\n", &["f.toml:1:6: t[0]: expected a table, found an integer"]),
            (
                "t = [\n",
                &["f.toml:1:6: TOML syntax error: unclosed array, expected `]`"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(read_table(text), *expected, "for:\n{text}");
        }
    }
}

//! A systemd service's command line and environment, computed from the unit
//! file and its drop-ins the way systemd computes them, because k3s hides
//! its arguments from `/proc/PID/cmdline` (it rewrites its process title)
//! and the unit is where the command line is written down.
//!
//! The rules implemented, and where systemd documents them:
//! - systemd.syntax(7): `[Section]` headers; lines starting with `#` or `;`
//!   are comments; a line ending in a backslash continues on the next line,
//!   the backslash replaced by a space, and comment lines inside a
//!   continuation are skipped; `Key=Value` with whitespace around both
//!   trimmed.
//! - systemd.unit(5): drop-ins `<unit>.d/*.conf` are applied after the unit
//!   file in the lexicographic order of their file names, whichever directory
//!   they are in; of two with the same name, the one in the directory of
//!   higher priority (`/etc` before `/run` before `/usr/lib`) is used.
//! - systemd.service(5), "Command lines": the empty assignment `ExecStart=`
//!   resets the list; a service that is not `Type=oneshot` has one command;
//!   the prefixes `@ - : + !` before the executable (`@`: the second word is
//!   argv[0]; `:`: no environment variable substitution); words are split at
//!   whitespace, double and single quotes group (also inside a word), C-style
//!   backslash escapes are decoded in and out of quotes; `${FOO}` is replaced
//!   by the value as part of one word, `$FOO` as a word of its own becomes
//!   the value split at whitespace (zero or more words), `$$` is a literal
//!   `$`; the executable itself is never substituted. Specifiers are
//!   resolved first (systemd.unit(5), "Specifiers"): `%%`, `%n`, `%N`, `%p`
//!   and `%i` here; any other is kept as written and noted.
//! - systemd.exec(5): `Environment=` takes space-separated, quotable
//!   `VAR=value` words (the empty assignment resets); `EnvironmentFile=`
//!   names a file, ignored when missing if prefixed with `-` (the empty
//!   assignment resets); the files' settings override `Environment=`, later
//!   files override earlier ones. An environment file holds `VAR=VALUE`
//!   lines: `#`/`;` comments, lines without `=` ignored, leading and
//!   trailing whitespace dropped, single quotes literal, double quotes with
//!   `\" \\ \` \$` escapes, backslash-newline continues the line, no
//!   variable expansion.

use crate::distro::source::Source;
use std::collections::BTreeMap;

/// One unit file or drop-in, as gathered.
#[derive(Clone, Copy, Debug)]
pub struct UnitText<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// An environment file as gathered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvFileText<'a> {
    Text(&'a str),
    Missing,
    /// Not readable, or not collected; the reason reads after the path.
    Unavailable(&'a str),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("{unit}: no ExecStart= is left after the unit file and its drop-ins")]
    NoExecStart { unit: String },
    #[error("{unit}:{line}: the service has more than one ExecStart= command, which systemd allows for Type=oneshot only")]
    SeveralCommands { unit: String, line: usize },
    #[error("{unit}:{line}: ExecStart= {message}")]
    BadCommand {
        unit: String,
        line: usize,
        message: String,
    },
    #[error("environment file {path} (named at {unit}:{line}) does not exist, and the unit does not mark it optional with '-'")]
    MissingEnvironmentFile {
        path: String,
        unit: String,
        line: usize,
    },
    #[error("environment file {path} (named at {unit}:{line}) {reason}")]
    UnavailableEnvironmentFile {
        path: String,
        unit: String,
        line: usize,
        reason: String,
    },
}

/// A `Key=Value` of the `[Service]` section with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Assignment {
    value: String,
    unit: String,
    line: usize,
}

/// An `EnvironmentFile=` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFileRef {
    pub path: String,
    /// Prefixed with `-`: a missing file is ignored.
    pub optional: bool,
    pub unit: String,
    pub line: usize,
}

/// The `[Service]` settings that decide the command line, after the unit
/// file and its drop-ins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    name: String,
    exec_start: Vec<Assignment>,
    environment: Vec<Assignment>,
    environment_files: Vec<EnvFileRef>,
    oneshot: bool,
}

/// One environment variable of the service, with the file that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvValue {
    pub value: String,
    /// The unit file (`Environment=`) or environment file that set it.
    pub origin: String,
}

/// The command systemd runs for the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The executable path (the first word, or the path after `@`).
    pub executable: String,
    /// argv as the process receives it, argv[0] included.
    pub argv: Vec<String>,
    /// The unit file or drop-in and line of the `ExecStart=` used.
    pub source: Source,
    /// The service's environment from `Environment=` and `EnvironmentFile=`.
    pub environment: BTreeMap<String, EnvValue>,
    /// Things the computation could not resolve, for the report.
    pub notes: Vec<String>,
}

impl Unit {
    /// Reads the unit file and its drop-ins. Drop-ins are applied in the
    /// order of their file names; they are given in directory priority
    /// order, so of two with the same file name the first given is used.
    pub fn parse(main: UnitText, drop_ins: &[UnitText]) -> Unit {
        let name = basename(main.path).to_string();
        let mut unit = Unit {
            name,
            exec_start: Vec::new(),
            environment: Vec::new(),
            environment_files: Vec::new(),
            oneshot: false,
        };
        let mut ordered: Vec<&UnitText> = Vec::new();
        for drop_in in drop_ins {
            if !ordered
                .iter()
                .any(|d| basename(d.path) == basename(drop_in.path))
            {
                ordered.push(drop_in);
            }
        }
        ordered.sort_by(|a, b| basename(a.path).cmp(basename(b.path)));
        unit.apply(&main);
        for drop_in in ordered {
            unit.apply(drop_in);
        }
        unit
    }

    fn apply(&mut self, file: &UnitText) {
        for (line, key, value) in service_assignments(file.text) {
            let assignment = Assignment {
                value: value.clone(),
                unit: file.path.to_string(),
                line,
            };
            match key.as_str() {
                "ExecStart" if value.is_empty() => self.exec_start.clear(),
                "ExecStart" => self.exec_start.push(assignment),
                "Environment" if value.is_empty() => self.environment.clear(),
                "Environment" => self.environment.push(assignment),
                "EnvironmentFile" if value.is_empty() => self.environment_files.clear(),
                "EnvironmentFile" => {
                    let (optional, path) = match value.strip_prefix('-') {
                        Some(rest) => (true, rest),
                        None => (false, value.as_str()),
                    };
                    self.environment_files.push(EnvFileRef {
                        path: self.specifiers(path).0,
                        optional,
                        unit: file.path.to_string(),
                        line,
                    });
                }
                "Type" => self.oneshot = value == "oneshot",
                _ => {}
            }
        }
    }

    /// The environment files the unit names, in order: the gathering reads
    /// these, and `command` takes their texts.
    pub fn environment_files(&self) -> &[EnvFileRef] {
        &self.environment_files
    }

    /// The command line systemd runs, with the service's environment.
    /// `env_file` gives the text of each environment file by path.
    pub fn command<'a>(
        &self,
        env_file: &dyn Fn(&str) -> EnvFileText<'a>,
    ) -> Result<Command, UnitError> {
        let exec = match self.exec_start.as_slice() {
            [] => {
                return Err(UnitError::NoExecStart {
                    unit: self.name.clone(),
                })
            }
            [only] => only,
            [_, second, ..] if !self.oneshot => {
                return Err(UnitError::SeveralCommands {
                    unit: second.unit.clone(),
                    line: second.line,
                })
            }
            // A oneshot service runs them in turn; the last is the one that
            // stays (k3s is never oneshot; this keeps the rule whole).
            [.., last] => last,
        };
        let mut notes = Vec::new();
        let environment = self.environment(env_file, &mut notes)?;
        let bad = |message: String| UnitError::BadCommand {
            unit: exec.unit.clone(),
            line: exec.line,
            message,
        };

        let (text, unknown) = self.specifiers(&exec.value);
        notes.extend(unknown.into_iter().map(|s| {
            format!(
                "{}:{}: specifier %{s} is kept as written",
                exec.unit, exec.line
            )
        }));
        let mut rest = text.trim_start();
        let mut at = false;
        let mut substitute = true;
        while let Some(c) = rest.chars().next().filter(|c| "@-:+!".contains(*c)) {
            at |= c == '@';
            substitute &= c != ':';
            rest = &rest[c.len_utf8()..];
        }
        let words = split_words(rest).map_err(bad)?;
        if words.iter().any(|w| w.text == ";" && !w.quoted) {
            return Err(UnitError::SeveralCommands {
                unit: exec.unit.clone(),
                line: exec.line,
            });
        }
        let mut words: Vec<String> = words.into_iter().map(|w| w.text).collect();
        if words.is_empty() {
            return Err(bad("has no command".into()));
        }
        let executable = words.remove(0);
        if at && words.is_empty() {
            return Err(bad("has '@' but no argv[0] after the executable".into()));
        }
        let mut argv = vec![if at {
            words.remove(0)
        } else {
            executable.clone()
        }];
        for word in words {
            if substitute {
                argv.extend(substitute_word(&word, &environment));
            } else {
                argv.push(word);
            }
        }
        Ok(Command {
            executable,
            argv,
            source: Source::CommandLine {
                unit: exec.unit.clone(),
                line: exec.line,
            },
            environment,
            notes,
        })
    }

    fn environment<'a>(
        &self,
        env_file: &dyn Fn(&str) -> EnvFileText<'a>,
        notes: &mut Vec<String>,
    ) -> Result<BTreeMap<String, EnvValue>, UnitError> {
        let mut env = BTreeMap::new();
        for assignment in &self.environment {
            let (text, _) = self.specifiers(&assignment.value);
            let Ok(words) = split_words(&text) else {
                notes.push(format!(
                    "{}:{}: Environment= could not be split and is ignored, as systemd ignores it",
                    assignment.unit, assignment.line
                ));
                continue;
            };
            for word in words {
                match word.text.split_once('=') {
                    Some((name, value)) if valid_name(name) => {
                        env.insert(
                            name.to_string(),
                            EnvValue {
                                value: value.to_string(),
                                origin: assignment.unit.clone(),
                            },
                        );
                    }
                    _ => notes.push(format!(
                        "{}:{}: Environment= word {:?} is not an assignment and is ignored",
                        assignment.unit, assignment.line, word.text
                    )),
                }
            }
        }
        for file in &self.environment_files {
            match env_file(&file.path) {
                EnvFileText::Text(text) => {
                    for (name, value) in parse_env_file(text) {
                        env.insert(
                            name,
                            EnvValue {
                                value,
                                origin: file.path.clone(),
                            },
                        );
                    }
                }
                EnvFileText::Missing if file.optional => {}
                EnvFileText::Missing => {
                    return Err(UnitError::MissingEnvironmentFile {
                        path: file.path.clone(),
                        unit: file.unit.clone(),
                        line: file.line,
                    })
                }
                EnvFileText::Unavailable(reason) => {
                    return Err(UnitError::UnavailableEnvironmentFile {
                        path: file.path.clone(),
                        unit: file.unit.clone(),
                        line: file.line,
                        reason: reason.to_string(),
                    })
                }
            }
        }
        Ok(env)
    }

    /// Resolves the specifiers this module knows; returns the text and the
    /// specifier letters left as written.
    fn specifiers(&self, text: &str) -> (String, Vec<char>) {
        let (prefix, instance) = match self.name.rsplit_once('.') {
            Some((stem, _)) => match stem.split_once('@') {
                Some((prefix, instance)) => (prefix, instance),
                None => (stem, ""),
            },
            None => (self.name.as_str(), ""),
        };
        let stem = self
            .name
            .rsplit_once('.')
            .map_or(self.name.as_str(), |(s, _)| s);
        let mut out = String::with_capacity(text.len());
        let mut unknown = Vec::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('n') => out.push_str(&self.name),
                Some('N') => out.push_str(stem),
                Some('p') => out.push_str(prefix),
                Some('i') => out.push_str(instance),
                Some(other) => {
                    out.push('%');
                    out.push(other);
                    unknown.push(other);
                }
                None => out.push('%'),
            }
        }
        (out, unknown)
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `[Service]` assignments of a unit text, each with the 1-based line
/// it begins on, continuations joined (systemd.syntax(7)).
fn service_assignments(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let mut logical = trimmed.to_string();
        while logical.ends_with('\\') {
            logical.pop();
            logical.push(' ');
            // Comment lines inside a continuation are skipped; the end of
            // the text ends the continuation.
            let Some((_, next)) = lines.find(|(_, l)| !l.trim_start().starts_with(['#', ';']))
            else {
                break;
            };
            logical.push_str(next.trim_end());
        }
        let logical = logical.trim();
        if logical.starts_with('[') && logical.ends_with(']') {
            section = logical[1..logical.len() - 1].to_string();
            continue;
        }
        if section != "Service" {
            continue;
        }
        if let Some((key, value)) = logical.split_once('=') {
            out.push((index + 1, key.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

/// A word of a command line after unquoting; `quoted` when any part of it
/// was quoted or escaped (a quoted `;` is no command separator).
#[derive(Debug, PartialEq, Eq)]
struct Word {
    text: String,
    quoted: bool,
}

/// Splits at whitespace, unquoting and decoding C escapes, as systemd's
/// `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)` does.
fn split_words(text: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| " \t\n\r".contains(*c)).is_some() {}
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut word = Word {
            text: String::new(),
            quoted: false,
        };
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if " \t\n\r".contains(c) => break,
                (None, '\'' | '"') => {
                    quote = Some(c);
                    word.quoted = true;
                }
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    word.quoted = true;
                    let decoded = unescape_one(&mut chars)?;
                    word.text.push_str(&decoded);
                }
                (_, c) => word.text.push(c),
            }
        }
        if let Some(q) = quote {
            return Err(format!("has an unterminated {q} quote"));
        }
        words.push(word);
    }
}

/// Decodes one C-style escape after a backslash (systemd's cunescape_one).
fn unescape_one(chars: &mut std::iter::Peekable<std::str::Chars>) -> Result<String, String> {
    let Some(c) = chars.next() else {
        return Err("ends in a lone backslash".into());
    };
    let simple = match c {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        's' => Some(' '),
        '\\' | '"' | '\'' | ';' | ' ' => Some(c),
        _ => None,
    };
    if let Some(s) = simple {
        return Ok(s.to_string());
    }
    let mut digits = |count: usize, radix: u32| -> Result<u32, String> {
        let text: String = (0..count).filter_map(|_| chars.next()).collect();
        if text.chars().count() != count {
            return Err(format!("has a truncated \\{c} escape"));
        }
        u32::from_str_radix(&text, radix).map_err(|_| format!("has an invalid \\{c}{text} escape"))
    };
    let code = match c {
        'x' => digits(2, 16)?,
        'u' => digits(4, 16)?,
        'U' => digits(8, 16)?,
        '0'..='7' => {
            let rest = digits(2, 8)?;
            c.to_digit(8).unwrap_or(0) * 64 + rest
        }
        other => return Err(format!("has an invalid escape \\{other}")),
    };
    match char::from_u32(code) {
        Some('\0') | None => Err(format!("has an escape \\{c} for an invalid character")),
        Some(ch) => Ok(ch.to_string()),
    }
}

/// Environment substitution of one argument (systemd.service(5)): a word
/// that is exactly `$NAME` becomes the value split at whitespace; `${NAME}`
/// (also `${NAME:-default}`, `${NAME:+alternate}`) is replaced inside the
/// word; `$$` is `$`; an unset variable is empty.
fn substitute_word(word: &str, env: &BTreeMap<String, EnvValue>) -> Vec<String> {
    let get = |name: &str| env.get(name).map(|v| v.value.as_str());
    if let Some(name) = word.strip_prefix('$').filter(|n| valid_name(n)) {
        return match get(name) {
            Some(value) => split_words(value)
                .map(|ws| ws.into_iter().map(|w| w.text).collect())
                .unwrap_or_else(|_| value.split_whitespace().map(str::to_string).collect()),
            None => Vec::new(),
        };
    }
    let mut out = String::with_capacity(word.len());
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((inner, tail)) = after.strip_prefix('{').and_then(|a| a.split_once('}'))
        {
            let value = match (inner.split_once(":-"), inner.split_once(":+")) {
                (Some((name, default)), _) => {
                    get(name).filter(|v| !v.is_empty()).unwrap_or(default)
                }
                (None, Some((name, alternate))) => {
                    if get(name).is_some_and(|v| !v.is_empty()) {
                        alternate
                    } else {
                        ""
                    }
                }
                (None, None) => get(inner).unwrap_or(""),
            };
            out.push_str(value);
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    vec![out]
}

/// The `VAR=VALUE` assignments of an environment file in order
/// (systemd.exec(5), "EnvironmentFile=").
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        PreKey,
        Key,
        PreValue,
        Value,
        ValueEscape,
        Single,
        Double,
        DoubleEscape,
        Comment,
        CommentEscape,
    }
    let mut out = Vec::new();
    let (mut key, mut value) = (String::new(), String::new());
    // Length of `value` up to its last character that is not trailing
    // whitespace of an unquoted part.
    let mut kept = 0;
    let mut state = State::PreKey;
    let mut finish = |key: &mut String, value: &mut String, kept: usize| {
        let name = key.trim_end().to_string();
        value.truncate(kept);
        if valid_name(&name) {
            out.push((name, std::mem::take(value)));
        }
        key.clear();
        value.clear();
    };
    for c in text.chars() {
        state = match (state, c) {
            (State::PreKey, '#' | ';') => State::Comment,
            (State::PreKey, c) if c.is_whitespace() => State::PreKey,
            (State::PreKey | State::Key, '\n') => {
                key.clear();
                State::PreKey
            }
            (State::PreKey | State::Key, '=') => State::PreValue,
            (State::PreKey | State::Key, c) => {
                key.push(c);
                State::Key
            }
            (State::PreValue | State::Value, '\n') => {
                finish(&mut key, &mut value, kept);
                kept = 0;
                State::PreKey
            }
            (State::PreValue, ' ' | '\t' | '\r') => State::PreValue,
            (State::PreValue, '\'') => State::Single,
            (State::PreValue, '"') => State::Double,
            (State::PreValue | State::Value, '\\') => State::ValueEscape,
            (State::PreValue | State::Value, c) => {
                value.push(c);
                if !matches!(c, ' ' | '\t' | '\r') {
                    kept = value.len();
                }
                State::Value
            }
            (State::ValueEscape, '\n') => State::Value,
            (State::ValueEscape, c) => {
                value.push(c);
                kept = value.len();
                State::Value
            }
            (State::Single, '\'') => State::PreValue,
            (State::Single, c) => {
                value.push(c);
                kept = value.len();
                State::Single
            }
            (State::Double, '"') => State::PreValue,
            (State::Double, '\\') => State::DoubleEscape,
            (State::Double, c) => {
                value.push(c);
                kept = value.len();
                State::Double
            }
            (State::DoubleEscape, '\n') => State::Double,
            (State::DoubleEscape, c) => {
                if !"\"\\`$".contains(c) {
                    value.push('\\');
                }
                value.push(c);
                kept = value.len();
                State::Double
            }
            (State::Comment, '\\') => State::CommentEscape,
            (State::Comment, '\n') => State::PreKey,
            (State::Comment, _) | (State::CommentEscape, _) => State::Comment,
        };
    }
    if matches!(
        state,
        State::PreValue
            | State::Value
            | State::ValueEscape
            | State::Single
            | State::Double
            | State::DoubleEscape
    ) {
        finish(&mut key, &mut value, kept);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const K3S_UNIT: &str = "[Unit]\n\
Description=Lightweight Kubernetes\n\
Documentation=https://k3s.io\n\
\n\
[Install]\n\
WantedBy=multi-user.target\n\
\n\
[Service]\n\
Type=notify\n\
EnvironmentFile=-/etc/default/%N\n\
EnvironmentFile=-/etc/sysconfig/%N\n\
EnvironmentFile=-/etc/systemd/system/k3s.service.env\n\
KillMode=process\n\
ExecStartPre=-/sbin/modprobe br_netfilter\n\
ExecStart=/usr/local/bin/k3s \\\n\
    server \\\n\
\t'--cluster-init' \\\n\
\t'--write-kubeconfig-mode' \\\n\
\t'0644' \\\n";

    fn env_none(_: &str) -> EnvFileText<'static> {
        EnvFileText::Missing
    }

    fn command(
        main: &str,
        drop_ins: &[(&str, &str)],
        env: &dyn Fn(&str) -> EnvFileText<'static>,
    ) -> Result<Command, UnitError> {
        let drop_ins: Vec<UnitText> = drop_ins
            .iter()
            .map(|(path, text)| UnitText { path, text })
            .collect();
        Unit::parse(
            UnitText {
                path: "/etc/systemd/system/k3s.service",
                text: main,
            },
            &drop_ins,
        )
        .command(env)
    }

    #[test]
    fn the_installers_unit_gives_its_argv_and_line() {
        let cmd = command(K3S_UNIT, &[], &env_none).unwrap();
        assert_eq!(
            cmd.argv,
            [
                "/usr/local/bin/k3s",
                "server",
                "--cluster-init",
                "--write-kubeconfig-mode",
                "0644"
            ]
        );
        assert_eq!(
            cmd.source,
            Source::CommandLine {
                unit: "/etc/systemd/system/k3s.service".into(),
                line: 15
            }
        );
        let unit = Unit::parse(
            UnitText {
                path: "/etc/systemd/system/k3s.service",
                text: K3S_UNIT,
            },
            &[],
        );
        let files: Vec<(&str, bool)> = unit
            .environment_files()
            .iter()
            .map(|f| (f.path.as_str(), f.optional))
            .collect();
        assert_eq!(
            files,
            [
                ("/etc/default/k3s", true),
                ("/etc/sysconfig/k3s", true),
                ("/etc/systemd/system/k3s.service.env", true)
            ]
        );
    }

    #[test]
    fn command_lines_split_as_systemd_splits_them() {
        let cases: &[(&str, &[&str])] = &[
            ("ExecStart=/bin/k3s server", &["/bin/k3s", "server"]),
            (
                "ExecStart = /bin/k3s   server\t--a=b ",
                &["/bin/k3s", "server", "--a=b"],
            ),
            // Quotes group, also inside a word, and may be adjacent.
            (
                r#"ExecStart=/bin/k3s --x="a b" 'c d'e"#,
                &["/bin/k3s", "--x=a b", "c de"],
            ),
            // C escapes are decoded inside and outside quotes.
            (
                r#"ExecStart=/bin/k3s a\tb "c\x41" 'd\n'"#,
                &["/bin/k3s", "a\tb", "cA", "d\n"],
            ),
            (r#"ExecStart=/bin/k3s a\ b \;"#, &["/bin/k3s", "a b", ";"]),
            // Prefixes before the executable; '@' names argv[0].
            ("ExecStart=-/bin/k3s server", &["/bin/k3s", "server"]),
            (
                "ExecStart=@/bin/k3s k3s-server server",
                &["k3s-server", "server"],
            ),
            ("ExecStart=+!/bin/k3s agent", &["/bin/k3s", "agent"]),
            // Specifiers are resolved first; %% is a literal percent.
            (
                "ExecStart=/bin/k3s --name=%N --p=100%%",
                &["/bin/k3s", "--name=k3s", "--p=100%"],
            ),
        ];
        for (line, argv) in cases {
            let unit = format!("[Service]\n{line}\n");
            let cmd = command(&unit, &[], &env_none).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(cmd.argv, *argv, "{line}");
        }
    }

    #[test]
    fn continuations_skip_comment_lines_and_other_sections_are_ignored() {
        let unit = "[Service]\nExecStart=/bin/k3s \\\n# a comment inside\n  server \\\n; another\n  --debug\n[Install]\nExecStart=/bin/false\n";
        let cmd = command(unit, &[], &env_none).unwrap();
        assert_eq!(cmd.argv, ["/bin/k3s", "server", "--debug"]);
    }

    #[test]
    fn drop_ins_apply_in_name_order_and_an_empty_exec_start_resets() {
        let main = "[Service]\nExecStart=/bin/k3s server --from-main\n";
        // Given in directory priority order; applied by file name.
        let drop_ins = [
            (
                "/etc/systemd/system/k3s.service.d/20-b.conf",
                "[Service]\nExecStart=\nExecStart=/bin/k3s server --from-20\n",
            ),
            (
                "/etc/systemd/system/k3s.service.d/10-a.conf",
                "[Service]\nExecStart=\nExecStart=/bin/k3s server --from-10\n",
            ),
            // Same name in /usr/lib: shadowed by the /etc one.
            (
                "/usr/lib/systemd/system/k3s.service.d/20-b.conf",
                "[Service]\nExecStart=\nExecStart=/bin/k3s server --shadowed\n",
            ),
        ];
        let cmd = command(main, &drop_ins, &env_none).unwrap();
        assert_eq!(cmd.argv, ["/bin/k3s", "server", "--from-20"]);
        assert_eq!(
            cmd.source,
            Source::CommandLine {
                unit: "/etc/systemd/system/k3s.service.d/20-b.conf".into(),
                line: 3
            }
        );
    }

    #[test]
    fn a_second_exec_start_without_reset_is_an_error() {
        let main = "[Service]\nType=notify\nExecStart=/bin/k3s server\n";
        let drop_in = [(
            "/etc/systemd/system/k3s.service.d/x.conf",
            "[Service]\nExecStart=/bin/k3s agent\n",
        )];
        assert_eq!(
            command(main, &drop_in, &env_none),
            Err(UnitError::SeveralCommands {
                unit: "/etc/systemd/system/k3s.service.d/x.conf".into(),
                line: 2
            })
        );
        assert_eq!(
            command("[Service]\nExecStart=\n", &[], &env_none),
            Err(UnitError::NoExecStart {
                unit: "k3s.service".into()
            })
        );
        assert!(matches!(
            command("[Service]\nExecStart=/bin/k3s 'server\n", &[], &env_none),
            Err(UnitError::BadCommand { .. })
        ));
    }

    #[test]
    fn environment_substitution() {
        let main = "[Service]\n\
Environment=\"K3S_ARGS=--a=1 --b='x y'\" EMPTY= ONE=v\n\
Environment=BRACED=w\n\
EnvironmentFile=/etc/systemd/system/k3s.service.env\n\
EnvironmentFile=-/etc/default/missing\n\
ExecStart=/bin/k3s server $K3S_ARGS ${K3S_ARGS} --one=${ONE} --lit=$ONE $$ONE $UNSET ${UNSET:-dflt} ${ONE:+alt} $EMPTY --from-file=${FROM_FILE}\n";
        let env = |path: &str| match path {
            "/etc/systemd/system/k3s.service.env" => {
                EnvFileText::Text("FROM_FILE=f\nONE=overridden\n")
            }
            _ => EnvFileText::Missing,
        };
        let cmd = command(main, &[], &env).unwrap();
        assert_eq!(
            cmd.argv,
            [
                "/bin/k3s",
                "server",
                "--a=1",
                "--b=x y",
                "--a=1 --b='x y'",
                "--one=overridden",
                "--lit=$ONE",
                "$ONE",
                "dflt",
                "alt",
                "--from-file=f"
            ]
        );
        assert_eq!(
            cmd.environment["ONE"].origin,
            "/etc/systemd/system/k3s.service.env"
        );
        assert_eq!(
            cmd.environment["BRACED"].origin,
            "/etc/systemd/system/k3s.service"
        );
        // ':' turns substitution off.
        let cmd = command(
            "[Service]\nEnvironment=A=1\nExecStart=:/bin/k3s ${A} $A\n",
            &[],
            &env_none,
        )
        .unwrap();
        assert_eq!(cmd.argv, ["/bin/k3s", "${A}", "$A"]);
    }

    #[test]
    fn environment_files_required_unless_marked_optional() {
        let main = "[Service]\nEnvironmentFile=/etc/k3s.env\nExecStart=/bin/k3s server\n";
        assert_eq!(
            command(main, &[], &env_none),
            Err(UnitError::MissingEnvironmentFile {
                path: "/etc/k3s.env".into(),
                unit: "/etc/systemd/system/k3s.service".into(),
                line: 2
            })
        );
        let reset = [(
            "/etc/systemd/system/k3s.service.d/r.conf",
            "[Service]\nEnvironmentFile=\n",
        )];
        assert!(command(main, &reset, &env_none).is_ok());
        assert!(matches!(
            command(main, &[], &|_| EnvFileText::Unavailable(
                "could not be read: permission denied"
            )),
            Err(UnitError::UnavailableEnvironmentFile { .. })
        ));
    }

    #[test]
    fn environment_files_parse_as_systemd_reads_them() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("A=1\nB = two words  \n", &[("A", "1"), ("B", "two words")]),
            ("# comment\n; also\n\nnot an assignment\nC=3", &[("C", "3")]),
            ("S='single $X \\n'\n", &[("S", "single $X \\n")]),
            ("D=\"a \\\"q\\\" \\$x \\n\"\n", &[("D", "a \"q\" $x \\n")]),
            ("L=one\\\ntwo\n", &[("L", "onetwo")]),
            (
                "K3S_TOKEN='secret'\nK3S_URL=https://s:6443\n",
                &[("K3S_TOKEN", "secret"), ("K3S_URL", "https://s:6443")],
            ),
            ("E=\n", &[("E", "")]),
            ("1BAD=x\nGOOD=y\n", &[("GOOD", "y")]),
        ];
        for (text, expected) in cases {
            let parsed = parse_env_file(text);
            let parsed: Vec<(&str, &str)> = parsed
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(parsed, *expected, "{text:?}");
        }
    }
}

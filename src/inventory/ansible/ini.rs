//! Ansible INI inventories (the `ini` inventory plugin's format): `[group]`
//! sections of host lines (`name[:port] key=value ...`, names may be host
//! ranges), `[group:vars]` sections of `key=value` lines and
//! `[group:children]` sections of group names. Host lines before any
//! section are in `ungrouped`. `#` and `;` start a comment line; on a host
//! line `#` outside quotes ends it. Values are split and unquoted as a
//! shell would (Ansible uses shlex), and `key=value` in `:vars` keeps
//! everything after the `=`, less one pair of enclosing quotes.

use super::model::{Model, Scalar, Var, UNGROUPED};
use super::ranges;
use super::yaml::Problem;
use crate::toml_file::Position;

enum Section {
    Hosts(usize),
    Vars(usize),
    Children(usize),
}

/// Reads an INI inventory into `model`.
pub fn read(text: &str, model: &mut Model, problems: &mut Vec<Problem>) {
    let mut section = None;
    // Host lines before any header are in `ungrouped`; after a bad header
    // they belong nowhere.
    let mut seen_header = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let indent = raw.len() - raw.trim_start().len();
        let content = raw.trim();
        let at = |offset: usize| Position {
            line,
            column: raw[..indent + offset].chars().count() + 1,
        };
        if content.is_empty() || content.starts_with('#') || content.starts_with(';') {
            continue;
        }
        if content.starts_with('[') && !content.contains('=') && header_end(content).is_some() {
            seen_header = true;
            match header(content, at(0), model) {
                Ok(next) => section = Some(next),
                Err(problem) => {
                    problems.push(problem);
                    section = None;
                }
            }
            continue;
        }
        let current = match section {
            Some(Section::Hosts(group)) => Section::Hosts(group),
            Some(Section::Vars(group)) => Section::Vars(group),
            Some(Section::Children(group)) => Section::Children(group),
            None if !seen_header => Section::Hosts(model.group(UNGROUPED, None)),
            None => continue,
        };
        let result = match current {
            Section::Hosts(group) => host_line(content, &at, group, model),
            Section::Vars(group) => vars_line(content, &at).map(|var| model.group_var(group, var)),
            Section::Children(group) => match content.split_whitespace().collect::<Vec<_>>()[..] {
                [child] => {
                    model.child(group, child, at(0));
                    Ok(())
                }
                _ => Err((
                    at(0),
                    format!(
                        "expected one group name per line in a :children section, not {content:?}"
                    ),
                )),
            },
        };
        if let Err(problem) = result {
            problems.push(problem);
        }
    }
}

/// Where a header's `]` is, if the line is a header (`[x]` and an
/// optional comment).
fn header_end(content: &str) -> Option<usize> {
    let end = content.find(']')?;
    let rest = content[end + 1..].trim_start();
    (rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')).then_some(end)
}

fn header(content: &str, at: Position, model: &mut Model) -> Result<Section, Problem> {
    let end = header_end(content).expect("a header");
    let inner = content[1..end].trim();
    let (name, kind) = match inner.split_once(':') {
        Some((name, kind)) => (name.trim(), kind.trim()),
        None => (inner, "hosts"),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err((
            at,
            format!("invalid group name {name:?} in section header {content:?}"),
        ));
    }
    let group = model.group(name, Some(at));
    match kind {
        "hosts" => Ok(Section::Hosts(group)),
        "vars" => Ok(Section::Vars(group)),
        "children" => Ok(Section::Children(group)),
        other => Err((at, format!("unknown section type {other:?} in {content:?}: expected [{name}], [{name}:vars] or [{name}:children]"))),
    }
}

/// `name[:port] key=value ...`.
fn host_line(
    content: &str,
    at: &dyn Fn(usize) -> Position,
    group: usize,
    model: &mut Model,
) -> Result<(), Problem> {
    let words = split(content).map_err(|(offset, message)| (at(offset), message))?;
    let Some(((pattern, pattern_at), rest)) = words.split_first() else {
        return Ok(());
    };
    let (pattern, port) = split_port(pattern);
    let names = ranges::expand(pattern).map_err(|message| (at(*pattern_at), message))?;
    let mut vars = Vec::new();
    if let Some(port) = port {
        vars.push(Var {
            name: "ansible_port".into(),
            value: Scalar::Text(port.into()),
            at: at(*pattern_at),
        });
    }
    for (word, offset) in rest {
        match word.split_once('=') {
            Some((name, value)) if !name.is_empty() => vars.push(Var {
                name: name.into(),
                value: Scalar::Text(value.into()),
                at: at(*offset),
            }),
            _ => {
                return Err((
                    at(*offset),
                    format!("expected key=value after the host name, not {word:?}"),
                ))
            }
        }
    }
    for name in names {
        let host = model.host(group, &name, at(*pattern_at));
        for var in &vars {
            model.host_var(host, var.clone());
        }
    }
    Ok(())
}

/// `host:2222` is host on port 2222; a colon inside a range is the range's.
pub fn split_port(pattern: &str) -> (&str, Option<&str>) {
    match pattern.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && outside_ranges(host).is_some_and(|outside| !outside.contains(':')) =>
        {
            (host, Some(port))
        }
        _ => (pattern, None),
    }
}

/// `host` without its `[...]` ranges; `None` when its brackets do not pair.
/// A colon left outside them is an IPv6 address's, which takes no port.
fn outside_ranges(host: &str) -> Option<String> {
    let mut outside = String::new();
    let mut depth = 0;
    for c in host.chars() {
        match c {
            '[' if depth == 0 => depth = 1,
            ']' if depth == 1 => depth = 0,
            '[' | ']' => return None,
            c if depth == 0 => outside.push(c),
            _ => {}
        }
    }
    (depth == 0).then_some(outside)
}

/// `key=value` in a `:vars` section.
fn vars_line(content: &str, at: &dyn Fn(usize) -> Position) -> Result<Var, Problem> {
    let Some((name, value)) = content.split_once('=') else {
        return Err((
            at(0),
            format!("expected key=value in a :vars section, not {content:?}"),
        ));
    };
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err((at(0), format!("invalid variable name {name:?}")));
    }
    let value = value.trim();
    let value = [('"', '"'), ('\'', '\'')]
        .iter()
        .find_map(|(open, close)| {
            value
                .strip_prefix(*open)
                .and_then(|v| v.strip_suffix(*close))
                .filter(|_| value.len() >= 2)
        })
        .unwrap_or(value);
    let offset = content.find('=').expect("found above") + 1;
    let offset = offset + (content[offset..].len() - content[offset..].trim_start().len());
    Ok(Var {
        name: name.into(),
        value: Scalar::Text(value.into()),
        at: at(offset),
    })
}

/// Splits a host line into words as a shell would (quotes, backslashes,
/// `#` comments), each with the byte offset it starts at.
pub fn split(line: &str) -> Result<Vec<(String, usize)>, (usize, String)> {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            break;
        }
        let mut word = String::new();
        let mut comment = false;
        while let Some(&(offset, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                // As in shlex: a `#` outside quotes starts a comment, even
                // inside a word.
                '#' => {
                    comment = true;
                    break;
                }
                '\'' => loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, c)) => word.push(c),
                        None => return Err((offset, "unterminated ' quote".into())),
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c)) if matches!(c, '"' | '\\' | '$' | '`') => word.push(c),
                            Some((_, c)) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err((offset, "unterminated \" quote".into())),
                        },
                        Some((_, c)) => word.push(c),
                        None => return Err((offset, "unterminated \" quote".into())),
                    }
                },
                '\\' => match chars.next() {
                    Some((_, c)) => word.push(c),
                    None => return Err((offset, "a line may not end with a backslash".into())),
                },
                c => word.push(c),
            }
        }
        words.push((word, start));
        if comment {
            break;
        }
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_a_shell_would() {
        type Words<'a> = Result<&'a [(&'a str, usize)], (usize, &'a str)>;
        let cases: &[(&str, Words)] = &[
            ("a b=c", Ok(&[("a", 0), ("b=c", 2)])),
            ("a  k='x y' # c=d", Ok(&[("a", 0), ("k=x y", 3)])),
            ("a k=\"-o 'P=j'\"", Ok(&[("a", 0), ("k=-o 'P=j'", 2)])),
            ("a k=\"\\\"q\\\"\"", Ok(&[("a", 0), ("k=\"q\"", 2)])),
            ("a k=x\\ y", Ok(&[("a", 0), ("k=x y", 2)])),
            ("a#b c", Ok(&[("a", 0)])),
            ("a k='#x'", Ok(&[("a", 0), ("k=#x", 2)])),
            ("a k='x", Err((4, "unterminated ' quote"))),
            ("a k=\"x", Err((4, "unterminated \" quote"))),
        ];
        for (line, expected) in cases {
            let expected = expected
                .map(|words| {
                    words
                        .iter()
                        .map(|(w, o)| (w.to_string(), *o))
                        .collect::<Vec<_>>()
                })
                .map_err(|(o, m)| (o, m.to_string()));
            assert_eq!(split(line), expected, "{line}");
        }
    }

    #[test]
    fn ports_after_names() {
        assert_eq!(split_port("a:22"), ("a", Some("22")));
        assert_eq!(split_port("n[1:3]"), ("n[1:3]", None));
        assert_eq!(split_port("n[1:3]:2222"), ("n[1:3]", Some("2222")));
        assert_eq!(split_port("a"), ("a", None));
        assert_eq!(split_port("2001:db8::1"), ("2001:db8::1", None));
        assert_eq!(split_port("n[1:3"), ("n[1:3", None));
        assert_eq!(split_port("n]1:3"), ("n]1:3", None));
    }

    /// `text` read: every host with its variables as "name: k=v@line:col",
    /// then every problem as "line:col: message".
    fn read_all(text: &str) -> Vec<String> {
        let mut model = Model::default();
        let mut problems = Vec::new();
        read(text, &mut model, &mut problems);
        let mut out: Vec<String> = problems
            .iter()
            .map(|(at, m)| format!("{}:{}: {m}", at.line, at.column))
            .collect();
        if out.is_empty() {
            for host in model.resolve().unwrap() {
                let vars: Vec<String> = host
                    .vars
                    .values()
                    .map(|v| match &v.value {
                        Scalar::Text(t) => format!("{}={t}@{}:{}", v.name, v.at.line, v.at.column),
                        other => format!("{}={other:?}", v.name),
                    })
                    .collect();
                out.push(format!(
                    "{} [{}]: {}",
                    host.name,
                    host.groups.join(","),
                    vars.join(" ")
                ));
            }
        }
        out
    }

    #[test]
    fn sections_hosts_and_vars() {
        let cases: &[(&str, &[&str])] = &[
            (
                "lone ansible_host=10.0.0.9\n[cp]\ncp[1:2]:2200 ansible_user=ops\n\n[cp:vars]\nansible_user = \"root\"\n\
                 [cluster:children]\ncp\n[cluster:vars]\nansible_become=false\n",
                &[
                    "lone [all,ungrouped]: ansible_host=10.0.0.9@1:6",
                    "cp1 [all,cluster,cp]: ansible_become=false@10:16 ansible_port=2200@3:1 ansible_user=ops@3:14",
                    "cp2 [all,cluster,cp]: ansible_become=false@10:16 ansible_port=2200@3:1 ansible_user=ops@3:14",
                ],
            ),
            ("; comment\n# comment\n[g]  # trailing\n  a  \n", &["a [all,g]: "]),
            ("[g:hosts]\na\n", &["a [all,g]: "]),
            ("[g:child]\na\n", &["1:1: unknown section type \"child\" in \"[g:child]\": expected [g], [g:vars] or [g:children]"]),
            ("[g]\na b\n", &["2:3: expected key=value after the host name, not \"b\""]),
            ("[g]\na =b\n", &["2:3: expected key=value after the host name, not \"=b\""]),
            ("[g:vars]\nnothing\n", &["2:1: expected key=value in a :vars section, not \"nothing\""]),
            ("[g:children]\na b\n", &["2:1: expected one group name per line in a :children section, not \"a b\""]),
            ("[g]\nn[3:1]\n", &["2:1: host range [3:1] in \"n[3:1]\": 3 is greater than 1"]),
            ("[g]\n  a k='x\n", &["2:7: unterminated ' quote"]),
            ("[a b]\nx\n", &["1:1: invalid group name \"a b\" in section header \"[a b]\""]),
        ];
        for (text, expected) in cases {
            assert_eq!(read_all(text), *expected, "{text}");
        }
    }
}

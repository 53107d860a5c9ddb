//! Ansible YAML inventories (the `yaml` inventory plugin's format), and
//! the tree of YAML nodes with their positions that this reader and the
//! JSON one (JSON is YAML's flow style) read. A group is a mapping with
//! `hosts` (a mapping of host names, or host ranges, with an optional
//! `:port`, to their variables),
//! `vars` and `children` (a mapping of groups); a null group or host is an
//! empty one. Anchors and aliases are expanded within a node budget.

use super::ini::split_port;
use super::model::{Model, Scalar, Var};
use super::ranges;
use crate::toml_file::Position;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// How many nodes a document may expand to, aliases included.
const NODE_BUDGET: usize = 1_000_000;

/// How deeply collections may nest: the limit keeps hostile input from
/// exhausting the stack.
const MAX_DEPTH: usize = 64;

/// A YAML node and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// `plain`: written without quotes, so `~`, `null` and nothing are null.
    Scalar {
        text: String,
        plain: bool,
        at: Position,
    },
    Sequence {
        items: Vec<Node>,
        at: Position,
    },
    Mapping {
        entries: Vec<(Node, Node)>,
        at: Position,
    },
}

impl Node {
    pub fn at(&self) -> Position {
        match self {
            Node::Scalar { at, .. } | Node::Sequence { at, .. } | Node::Mapping { at, .. } => *at,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { text, plain: true, .. } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The node as a variable's value.
    pub fn scalar(&self) -> Scalar {
        match self {
            _ if self.is_null() => Scalar::Null,
            Node::Scalar { text, .. } => Scalar::Text(text.clone()),
            _ => Scalar::Collection,
        }
    }

    /// "a mapping", "a list": what a problem calls this node.
    pub fn kind(&self) -> &'static str {
        match self {
            _ if self.is_null() => "null",
            Node::Scalar { .. } => "a scalar",
            Node::Sequence { .. } => "a list",
            Node::Mapping { .. } => "a mapping",
        }
    }
}

/// A problem and where it is.
pub type Problem = (Position, String);

/// The first document of `text` as a tree; an empty document is null.
/// `language` ("YAML", "JSON") names the syntax in syntax errors.
pub fn tree(text: &str, language: &'static str) -> Result<Node, Problem> {
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
        language,
    };
    loop {
        let (event, at) = builder.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) => {}
            Event::StreamEnd | Event::DocumentEnd => {
                return Ok(Node::Scalar {
                    text: String::new(),
                    plain: true,
                    at,
                });
            }
            event => return builder.node(event, at, 0),
        }
    }
}

struct Builder<'t> {
    parser: Parser<'t, saphyr_parser::StrInput<'t>>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    language: &'static str,
}

impl<'t> Builder<'t> {
    fn next(&mut self) -> Result<(Event<'t>, Position), Problem> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, position(span.start.line(), span.start.col()))),
            Some(Err(e)) => Err((
                position(e.marker().line(), e.marker().col()),
                format!("{} syntax error: {}", self.language, e.info()),
            )),
            None => Err((
                Position { line: 1, column: 1 },
                format!("{} syntax error: unexpected end", self.language),
            )),
        }
    }

    fn count(&mut self, nodes: usize, at: Position) -> Result<(), Problem> {
        self.nodes += nodes;
        if self.nodes > NODE_BUDGET {
            return Err((
                at,
                format!("the document expands to more than {NODE_BUDGET} nodes"),
            ));
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'t>, at: Position, depth: usize) -> Result<Node, Problem> {
        if depth > MAX_DEPTH {
            return Err((at, format!("nesting is deeper than {MAX_DEPTH} levels")));
        }
        let start = self.nodes;
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => {
                self.count(1, at)?;
                (
                    Node::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                        at,
                    },
                    anchor,
                )
            }
            Event::SequenceStart(anchor, _) => {
                self.count(1, at)?;
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, item_at) => items.push(self.node(event, item_at, depth + 1)?),
                    }
                }
                (Node::Sequence { items, at }, anchor)
            }
            Event::MappingStart(anchor, _) => {
                self.count(1, at)?;
                let mut entries = Vec::new();
                loop {
                    let key = match self.next()? {
                        (Event::MappingEnd, _) => break,
                        (event, key_at) => self.node(event, key_at, depth + 1)?,
                    };
                    let (event, value_at) = self.next()?;
                    entries.push((key, self.node(event, value_at, depth + 1)?));
                }
                (Node::Mapping { entries, at }, anchor)
            }
            Event::Alias(id) => {
                let (node, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or((at, "an alias refers to an unknown anchor".to_string()))?;
                self.count(size, at)?;
                return Ok(node);
            }
            other => return Err((at, format!("unexpected YAML event {other:?}"))),
        };
        // The parser numbers anchors from 1; 0 is "no anchor".
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.clone(), self.nodes - start));
        }
        Ok(node)
    }
}

/// saphyr's 1-based line and 0-based column as a position.
fn position(line: usize, col: usize) -> Position {
    Position {
        line,
        column: col + 1,
    }
}

/// The text of a mapping key; keys that are not scalars are problems.
pub fn key_text(key: &Node) -> Result<&str, Problem> {
    match key {
        Node::Scalar { text, .. } => Ok(text),
        other => Err((other.at(), format!("a key is {}, not a name", other.kind()))),
    }
}

/// Reads a YAML inventory into `model`; problems are collected, not thrown.
pub fn read(text: &str, model: &mut Model, problems: &mut Vec<Problem>) {
    let root = match tree(text, "YAML") {
        Ok(root) => root,
        Err(problem) => return problems.push(problem),
    };
    match &root {
        Node::Mapping { entries, .. } => {
            for (key, value) in entries {
                match key_text(key) {
                    Ok(name) => group(name, key.at(), value, model, problems),
                    Err(problem) => problems.push(problem),
                }
            }
        }
        _ if root.is_null() => {}
        other => problems.push((
            other.at(),
            format!(
                "the inventory is {}: expected a mapping of groups",
                other.kind()
            ),
        )),
    }
}

fn group(name: &str, at: Position, node: &Node, model: &mut Model, problems: &mut Vec<Problem>) {
    let index = model.group(name, Some(at));
    let entries = match node {
        Node::Mapping { entries, .. } => entries,
        _ if node.is_null() => return,
        other => {
            return problems.push((
                other.at(),
                format!(
                    "group {name:?} is {}: expected a mapping with hosts, vars or children",
                    other.kind()
                ),
            ));
        }
    };
    for (key, value) in entries {
        let key_name = match key_text(key) {
            Ok(key_name) => key_name,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let Some(value_entries) =
            mapping(value, &format!("{key_name} of group {name:?}"), problems)
        else {
            continue;
        };
        match key_name {
            "hosts" => {
                for (host_key, vars) in value_entries {
                    let Ok(pattern) = key_text(host_key).map_err(|p| problems.push(p)) else {
                        continue;
                    };
                    let (pattern, port) = split_port(pattern);
                    let names = match ranges::expand(pattern) {
                        Ok(names) => names,
                        Err(message) => {
                            problems.push((host_key.at(), message));
                            continue;
                        }
                    };
                    let vars =
                        mapping(vars, &format!("host {pattern:?}"), problems).unwrap_or_default();
                    let port = port.map(|port| Var {
                        name: "ansible_port".into(),
                        value: Scalar::Text(port.into()),
                        at: host_key.at(),
                    });
                    for host_name in names {
                        let host = model.host(index, &host_name, host_key.at());
                        for var in port.iter().cloned().chain(variables(vars, problems)) {
                            model.host_var(host, var);
                        }
                    }
                }
            }
            "vars" => {
                for var in variables(value_entries, problems) {
                    model.group_var(index, var);
                }
            }
            "children" => {
                for (child_key, child) in value_entries {
                    let Ok(child_name) = key_text(child_key).map_err(|p| problems.push(p)) else {
                        continue;
                    };
                    model.child(index, child_name, child_key.at());
                    group(child_name, child_key.at(), child, model, problems);
                }
            }
            other => problems.push((
                key.at(),
                format!(
                    "unknown key {other:?} in group {name:?}: expected hosts, vars or children"
                ),
            )),
        }
    }
}

/// The entries of a mapping; null is an empty one; anything else is a
/// problem about `what`.
fn mapping<'n>(
    node: &'n Node,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'n [(Node, Node)]> {
    match node {
        Node::Mapping { entries, .. } => Some(entries),
        _ if node.is_null() => Some(&[]),
        other => {
            problems.push((
                other.at(),
                format!("{what} is {}: expected a mapping", other.kind()),
            ));
            None
        }
    }
}

/// The variables of a `vars` mapping (or of a host).
pub fn variables(entries: &[(Node, Node)], problems: &mut Vec<Problem>) -> Vec<Var> {
    let mut vars = Vec::new();
    for (key, value) in entries {
        match key_text(key) {
            Ok(name) => vars.push(Var {
                name: name.to_string(),
                value: value.scalar(),
                at: value.at(),
            }),
            Err(problem) => problems.push(problem),
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    fn tree_yaml(text: &str) -> Result<Node, Problem> {
        tree(text, "YAML")
    }

    #[test]
    fn the_tree_keeps_positions_and_expands_aliases() {
        let node = tree_yaml("a: &x\n  b: 1\nc: *x\nd: 'q'\n").unwrap();
        let Node::Mapping { entries, at: root } = node else {
            panic!()
        };
        assert_eq!(root, at(1, 1));
        assert_eq!(entries[0].0.at(), at(1, 1));
        assert_eq!(entries[0].1, entries[1].1, "the alias is the anchored node");
        assert_eq!(
            entries[2].1,
            Node::Scalar {
                text: "q".into(),
                plain: false,
                at: at(4, 4)
            }
        );
        assert!(tree_yaml("").unwrap().is_null());
        assert_eq!(tree_yaml("a: [1\n").unwrap_err().0.line, 2);
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
        assert_eq!(
            tree_yaml(bomb).unwrap_err(),
            (
                at(6, 26),
                format!("the document expands to more than {NODE_BUDGET} nodes")
            )
        );
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert_eq!(
            tree_yaml(&deep).unwrap_err().1,
            format!("nesting is deeper than {MAX_DEPTH} levels")
        );
    }

    /// `text` read as a YAML inventory: the problems, as "line:column: message".
    fn problems(text: &str) -> Vec<String> {
        let mut problems = Vec::new();
        read(text, &mut Model::default(), &mut problems);
        problems
            .iter()
            .map(|(at, message)| format!("{}:{}: {message}", at.line, at.column))
            .collect()
    }

    #[test]
    fn shape_problems_name_their_place() {
        let cases: &[(&str, &[&str])] = &[
            ("all:\n  hosts:\n    a:\n", &[]),
            ("all:\n", &[]),
            ("", &[]),
            ("- a\n", &["1:1: the inventory is a list: expected a mapping of groups"]),
            ("all:\n  hosts: [a, b]\n", &["2:10: hosts of group \"all\" is a list: expected a mapping"]),
            ("all:\n  host:\n    a:\n", &["2:3: unknown key \"host\" in group \"all\": expected hosts, vars or children"]),
            ("g: 3\n", &["1:4: group \"g\" is a scalar: expected a mapping with hosts, vars or children"]),
            ("all:\n  hosts:\n    a: 1\n", &["3:8: host \"a\" is a scalar: expected a mapping"]),
            ("all:\n  hosts:\n    n[2:1]:\n", &["3:5: host range [2:1] in \"n[2:1]\": 2 is greater than 1"]),
            ("all:\n  vars: x\n", &["2:9: vars of group \"all\" is a scalar: expected a mapping"]),
            ("all:\n  children:\n    - a\n", &["3:5: children of group \"all\" is a list: expected a mapping"]),
            ("all:\n  vars:\n    [a]: 1\n", &["3:5: a key is a list, not a name"]),
            ("all:\n  hosts:\n    a:\n   b: 1\n", &["4:4: YAML syntax error: while parsing a block mapping, did not find expected key"]),
        ];
        for (text, expected) in cases {
            assert_eq!(problems(text), *expected, "{text}");
        }
    }

    #[test]
    fn groups_hosts_vars_and_children() {
        let text = "all:\n  vars:\n    ansible_user: ops\n  children:\n    cp:\n      hosts:\n        cp[1:2]:2200:\n          ansible_port: 2222\n\
                    \x20   workers:\n      hosts:\n        w1:2201:\n        cp1:\n      vars:\n        ansible_user: ~\n";
        let mut model = Model::default();
        let mut problems = Vec::new();
        read(text, &mut model, &mut problems);
        assert_eq!(problems, []);
        let hosts = model.resolve().unwrap();
        type Row = (String, Vec<(String, Scalar, usize)>);
        let summary: Vec<Row> = hosts
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    h.vars
                        .values()
                        .map(|v| (v.name.clone(), v.value.clone(), v.at.line))
                        .collect(),
                )
            })
            .collect();
        let text = |s: &str| Scalar::Text(s.into());
        assert_eq!(
            summary,
            [
                (
                    "cp1".into(),
                    vec![
                        ("ansible_port".into(), text("2222"), 8),
                        ("ansible_user".into(), Scalar::Null, 14)
                    ]
                ),
                (
                    "cp2".into(),
                    vec![
                        ("ansible_port".into(), text("2222"), 8),
                        ("ansible_user".into(), text("ops"), 3)
                    ]
                ),
                (
                    "w1".into(),
                    vec![
                        ("ansible_port".into(), text("2201"), 11),
                        ("ansible_user".into(), Scalar::Null, 14)
                    ]
                ),
            ]
        );
    }
}

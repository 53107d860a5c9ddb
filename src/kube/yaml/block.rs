//! A fast reader for the YAML that Kubernetes components are configured
//! with (kubeadm's static pod manifests, a KubeletConfiguration, an audit
//! policy): indented block mappings and sequences of one-line scalars, plain
//! or quoted without escapes, full-line comments, `{}`, `[]` and one-line
//! flow sequences of scalars. For such a document it yields the events
//! saphyr-parser yields, several times faster; a document it does not read
//! entirely (block scalars, anchors, aliases, tags, flow mappings,
//! multi-line scalars, escapes, comments after a value, tabs, non-ASCII
//! text, anything malformed) it declines as a whole, and `yaml::to_json`
//! hands it to saphyr-parser. So every value and every error stays
//! saphyr's; the tests hold the two readers to the same events.
//!
//! Declining is always safe, accepting is not: every rule below declines
//! when in doubt.

use super::MAX_DEPTH;
use saphyr_parser::{Event, ScalarStyle};
use std::borrow::Cow;

/// The events of the first document of `text`, ending with `DocumentEnd`
/// (only `StreamEnd` when the text has no content), or `None` when this
/// reader does not read `text`.
pub(super) fn events(text: &str) -> Option<Vec<Event<'_>>> {
    // Printable ASCII and line feeds only: no tab, CR, BOM or control.
    if !text.bytes().all(|b| b == b'\n' || (b' '..=b'~').contains(&b)) {
        return None;
    }
    // Sized for the text at once (here and for the events below): growing
    // them an element at a time copied them over and over.
    let mut lines = Vec::with_capacity(text.len() / 16 + 1);
    let mut explicit_start = false;
    for raw in text.split('\n') {
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = raw.len() - content.len();
        let content = content.trim_end_matches(' ');
        if indent == 0 && is_marker(content) {
            // An explicit start of the first document is all this reader
            // takes of the document markers.
            if content == "---" && lines.is_empty() && !explicit_start {
                explicit_start = true;
                continue;
            }
            return None;
        }
        // A comment after content (`a: b # c`), or a `#` that a quoted
        // scalar would hold: both declined.
        if has_pair(content, b' ', b'#') {
            return None;
        }
        lines.push(Line { indent, text: content });
    }
    // Most lines make two events (a key and its value); the rest grows.
    let events = Vec::with_capacity(2 * lines.len() + 4);
    let mut reader = Reader { lines, at: 0, pending: None, events };
    let Some(first) = reader.peek() else {
        // An explicit document holds an empty scalar, a stream of only
        // comments no document.
        return Some(if explicit_start { vec![empty(), Event::DocumentEnd] } else { vec![Event::StreamEnd] });
    };
    reader.node(first.indent, None, 0)?;
    // Whatever is left is indented where no node can be.
    if reader.peek().is_some() {
        return None;
    }
    reader.events.push(Event::DocumentEnd);
    Some(reader.events)
}

/// `---` or `...` at the start of a line.
fn is_marker(content: &str) -> bool {
    (content.starts_with("---") || content.starts_with("..."))
        && content.as_bytes().get(3).is_none_or(|&b| b == b' ')
}

/// A line with content: its indentation, and its text without the
/// indentation and trailing spaces.
#[derive(Clone, Copy)]
struct Line<'t> {
    indent: usize,
    text: &'t str,
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    at: usize,
    /// What follows `- ` on a sequence item's line, read as a line of its
    /// own indented to where it starts (a compact nested node).
    pending: Option<Line<'t>>,
    events: Vec<Event<'t>>,
}

impl<'t> Reader<'t> {
    fn peek(&self) -> Option<Line<'t>> {
        self.pending.or_else(|| self.lines.get(self.at).copied())
    }

    fn advance(&mut self) {
        if self.pending.take().is_none() {
            self.at += 1;
        }
    }

    /// The node whose first line is the next one, indented `indent`, inside
    /// a node indented `parent` (`None`: the document's root).
    fn node(&mut self, indent: usize, parent: Option<usize>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let line = self.peek()?;
        if is_item(line.text) {
            return self.sequence(indent, depth);
        }
        if entry(line.text).is_some() {
            return self.mapping(indent, depth);
        }
        self.advance();
        self.value(line.text)?;
        // A more indented line would continue a multi-line plain scalar.
        match (self.peek(), parent) {
            (Some(next), Some(parent)) if next.indent > parent => None,
            (Some(_), None) => None,
            _ => Some(()),
        }
    }

    /// A block sequence whose `-` are indented `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<()> {
        self.events.push(Event::SequenceStart(0, None));
        while let Some(line) = self.peek() {
            if line.indent > indent {
                return None;
            }
            if line.indent < indent || !is_item(line.text) {
                break;
            }
            self.advance();
            let rest = &line.text[1..];
            let item = rest.trim_start_matches(' ');
            if item.is_empty() {
                match self.peek() {
                    Some(next) if next.indent > indent => self.node(next.indent, Some(indent), depth + 1)?,
                    _ => self.events.push(empty()),
                }
            } else {
                let column = indent + 1 + (rest.len() - item.len());
                self.pending = Some(Line { indent: column, text: item });
                self.node(column, Some(indent), depth + 1)?;
            }
        }
        self.events.push(Event::SequenceEnd);
        Some(())
    }

    /// A block mapping whose keys are indented `indent`.
    fn mapping(&mut self, indent: usize, depth: usize) -> Option<()> {
        self.events.push(Event::MappingStart(0, None));
        while let Some(line) = self.peek() {
            if line.indent > indent {
                return None;
            }
            if line.indent < indent {
                break;
            }
            let (key, value) = entry(line.text)?;
            self.advance();
            self.events.push(Event::Scalar(Cow::Borrowed(key), ScalarStyle::Plain, 0, None));
            if !value.is_empty() {
                self.value(value)?;
                continue;
            }
            match self.peek() {
                Some(next) if next.indent > indent => self.node(next.indent, Some(indent), depth + 1)?,
                // A sequence may stand at its key's indentation.
                Some(next) if next.indent == indent && is_item(next.text) => self.sequence(indent, depth + 1)?,
                _ => self.events.push(empty()),
            }
        }
        self.events.push(Event::MappingEnd);
        Some(())
    }

    /// A value written on its key's or its item's line.
    fn value(&mut self, text: &'t str) -> Option<()> {
        match text {
            "{}" => self.events.extend([Event::MappingStart(0, None), Event::MappingEnd]),
            "[]" => self.events.extend([Event::SequenceStart(0, None), Event::SequenceEnd]),
            _ if text.starts_with('[') => {
                let items = text.strip_suffix(']')?[1..].split(',');
                self.events.push(Event::SequenceStart(0, None));
                for item in items {
                    let event = flow_scalar(item.trim_matches(' '))?;
                    self.events.push(event);
                }
                self.events.push(Event::SequenceEnd);
            }
            _ => {
                let event = scalar(text)?;
                self.events.push(event);
            }
        }
        Some(())
    }
}

/// The scalar an empty value or item is.
fn empty<'t>() -> Event<'t> {
    Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None)
}

/// Whether `first` is directly followed by `second` somewhere in `text`.
/// What `str::contains` with a two-byte pattern answers, without the cost
/// of setting up its substring search for every short line.
fn has_pair(text: &str, first: u8, second: u8) -> bool {
    text.as_bytes().windows(2).any(|pair| pair == [first, second])
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// A `key: value` or `key:` line: its plain key and its value (empty when
/// the value is on the lines below).
fn entry(text: &str) -> Option<(&str, &str)> {
    let colon = text.match_indices(':').map(|(at, _)| at).find(|&at| {
        text.as_bytes().get(at + 1).is_none_or(|&b| b == b' ')
    })?;
    let key = &text[..colon];
    // A merge key, or a key too long for a YAML implicit key, is left to
    // saphyr-parser; so is a key with spaces before its colon.
    let plain = plain_start(key) && !key.ends_with(' ') && key != "<<" && key.len() <= 1000;
    plain.then(|| (key, text[colon + 1..].trim_start_matches(' ')))
}

/// A one-line scalar in block context: quoted without escapes, or plain.
fn scalar(text: &str) -> Option<Event<'_>> {
    if let Some(quoted) = quoted(text) {
        return quoted;
    }
    // `: ` or a final `:` would start a mapping where none may be.
    let plain = plain_start(text) && !has_pair(text, b':', b' ') && !text.ends_with(':');
    plain.then_some(Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None))
}

/// An item of a one-line flow sequence: quoted without escapes or commas,
/// or plain without any flow indicator or colon.
fn flow_scalar(text: &str) -> Option<Event<'_>> {
    if let Some(quoted) = quoted(text) {
        return quoted;
    }
    let plain = plain_start(text) && !text.contains(['[', ']', '{', '}', ':', '?']);
    plain.then_some(Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None))
}

/// `Some` when `text` starts with a quote: the scalar, or `None` (declined)
/// when it is not one whole quoted scalar this reader reads.
fn quoted(text: &str) -> Option<Option<Event<'_>>> {
    let quote = text.bytes().next().filter(|&b| b == b'\'' || b == b'"')?;
    let inner = text.get(1..text.len() - 1).filter(|_| text.len() >= 2 && text.ends_with(quote as char));
    Some(inner.and_then(|inner| {
        if quote == b'"' {
            let plain = !inner.contains(['"', '\\']);
            plain.then_some(Event::Scalar(Cow::Borrowed(inner), ScalarStyle::DoubleQuoted, 0, None))
        } else if inner.contains('\'') {
            // `''` is a quote; a lone one would end the scalar early.
            let unquoted = inner.replace("''", "'");
            let whole = unquoted.matches('\'').count() * 2 == inner.matches('\'').count();
            whole.then_some(Event::Scalar(Cow::Owned(unquoted), ScalarStyle::SingleQuoted, 0, None))
        } else {
            Some(Event::Scalar(Cow::Borrowed(inner), ScalarStyle::SingleQuoted, 0, None))
        }
    }))
}

/// Whether a plain scalar may start `text`: not empty, and no indicator
/// first (`-` only when not followed by a space, as in `--flag`).
fn plain_start(text: &str) -> bool {
    match text.as_bytes() {
        [] => false,
        [b'-'] | [b'-', b' ', ..] => false,
        [first, ..] => !b"?:,[]{}#&*!|>'\"%@`".contains(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use saphyr_parser::Parser;

    /// saphyr-parser's events for the first document, as `events` gives
    /// them; `None` when it reports an error there.
    fn saphyr(text: &str) -> Option<Vec<Event<'_>>> {
        let mut events = Vec::new();
        for next in Parser::new_from_str(text) {
            match next.ok()?.0 {
                Event::StreamStart | Event::DocumentStart(_) => {}
                Event::StreamEnd if events.is_empty() => return Some(vec![Event::StreamEnd]),
                end @ (Event::DocumentEnd | Event::StreamEnd) => {
                    events.push(end);
                    return Some(events);
                }
                event => events.push(event),
            }
        }
        None
    }

    /// Whatever this reader accepts, saphyr-parser reads the same way.
    #[track_caller]
    fn same(text: &str) -> bool {
        match events(text) {
            Some(fast) => {
                let mut expected = saphyr(text).unwrap_or_else(|| panic!("saphyr refuses what was read: {text:?}"));
                // saphyr ends a document that has no explicit end at the stream's end.
                if expected.last() == Some(&Event::StreamEnd) && fast.len() > 1 {
                    *expected.last_mut().unwrap() = Event::DocumentEnd;
                }
                assert_eq!(fast, expected, "{text:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn reads_what_kubernetes_writes_as_saphyr_does() {
        for text in [
            "",
            "# only a comment\n\n",
            "---\na: 1\n",
            "---\n",
            "# a header\n---\n# and nothing else\n",
            "# a header\n---\na: 1\n",
            "a: 1\nb:\n  c: x\n  d: 'it''s'\ne: \"q\"\n",
            "a:\n- p\n- q\nb: {}\nc: []\n",
            "a:\n  - p\n  -\n  - - x\n    - y\nb:\n",
            "spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --a=b:c\n    image: x:1\n  volumes:\n  - hostPath:\n      path: /etc\n    name: k\n",
            "-   a: 1\n    b: 2\n- c\n",
            "users: [\"system:kube-proxy\"]\nverbs: [watch, 'get']\nx: [a b]\n",
            "kubeadm.kubernetes.io/etcd.advertise-client-urls: https://127.0.0.1:2379\n",
            "a: x#y\nb: 1,2\nc: -1\nd: ~\n",
            "  a: 1\n  b: 2\n",
            "k:   v  \n",
        ] {
            assert!(same(text), "not read: {text:?}");
        }
    }

    #[test]
    fn declines_what_it_does_not_read_entirely() {
        for text in [
            "a: |\n  x\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: {b: 1}\n",
            "a: b\n  c\n",
            "a: 1 # note\n",
            "a:\tb\n",
            "a: \"\\n\"\n",
            "a: 'x\n  y'\n",
            "<<: {}\n",
            "a: b: c\n",
            "a: 1\n---\nb: 2\n",
            "---\n---\n",
            "a: 1\n...\n",
            "a: 1\n b: 2\n",
            "- a\nb: 1\n",
            "a: 1\n- b\n",
            "? a\n: 1\n",
            "\"a\": 1\n",
            "a : 1\n",
            "a: [b, [c]]\n",
            "a: [b\n",
            "a: 'x' y\n",
            "a: 'x'y'\n",
            "foo\nbar\n",
            "a: é\n",
            "a: 1\r\n",
        ] {
            assert!(!same(text), "read: {text:?}");
        }
    }

    #[test]
    fn reads_every_fixture_document_that_it_accepts_as_saphyr_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let (mut read, mut total) = (0, 0);
        for dir in std::fs::read_dir(root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(dir).unwrap() {
                let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(file.unwrap().path()).unwrap()).unwrap();
                let Some(documents) = saved.pointer("/facts/documents").and_then(|d| d.as_object()) else { continue };
                for content in documents.values().filter_map(|d| d.get("content")?.as_str()) {
                    total += 1;
                    read += usize::from(same(content));
                }
            }
        }
        // The kubeadm documents at least are read here, not handed on.
        assert!(total > 50 && read * 2 > total, "{read} of {total} fixture documents read");
    }

    /// A configuration-like tree.
    #[derive(Clone, Debug)]
    enum Node {
        Scalar(&'static str),
        Map(Vec<(&'static str, Node)>),
        Seq(Vec<Node>),
    }

    const WORDS: &[&str] = &[
        "a", "key", "--flag=x:y", "0644", "yes", "~", "'q''s'", "\"d\"", "{}", "[]", "[x, 'y', \"z\"]", "a b", "-1",
        "x#y", "''", "\"\"", "1.5", "/etc/kubernetes", "https://h:1/p", "[a,b]", "[ ]", "[x,]", "a,b",
    ];

    fn tree() -> impl Strategy<Value = Node> {
        let leaf = prop::sample::select(WORDS).prop_map(Node::Scalar);
        leaf.prop_recursive(4, 24, 4, |inner| {
            let key = prop::sample::select(&["a", "b", "key", "x.y/z", "0644", "yes", "-k", "k-"][..]);
            prop_oneof![
                prop::collection::vec((key, inner.clone()), 1..4).prop_map(Node::Map),
                prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
            ]
        })
    }

    /// `node` as block YAML at `indent`, in the layouts people and tools
    /// use (`style` picks them): sequences at their key's indentation or
    /// deeper, compact nested nodes after `- `, and so on.
    fn render(node: &Node, indent: usize, style: &mut impl Iterator<Item = bool>, out: &mut String) {
        let pad = " ".repeat(indent);
        match node {
            Node::Scalar(word) => out.push_str(&format!("{pad}{word}\n")),
            Node::Map(entries) => {
                for (key, value) in entries {
                    match value {
                        Node::Scalar(word) => out.push_str(&format!("{pad}{key}: {word}\n")),
                        Node::Seq(_) if style.next().unwrap_or(false) => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            render(value, indent, style, out);
                        }
                        _ => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            render(value, indent + 2, style, out);
                        }
                    }
                }
            }
            Node::Seq(items) => {
                for item in items {
                    if style.next().unwrap_or(false) {
                        // `- ` then the item's first line on the same line.
                        let mut nested = String::new();
                        let spaces = if style.next().unwrap_or(false) { 3 } else { 1 };
                        render(item, indent + 1 + spaces, style, &mut nested);
                        out.push_str(&format!("{pad}-{}{}", " ".repeat(spaces), &nested[indent + 1 + spaces..]));
                    } else {
                        out.push_str(&format!("{pad}-\n"));
                        render(item, indent + 2, style, out);
                    }
                }
            }
        }
    }

    /// A document, and the same with one byte changed, so that the reader
    /// also meets what is almost what it reads.
    fn document() -> impl Strategy<Value = String> {
        let edit = prop::sample::select(&[" ", "-", ":", "#", "'", "\"", "[", "\n", "  ", "---\n", "# c\n", ""][..]);
        (tree(), prop::collection::vec(any::<bool>(), 64), any::<prop::sample::Index>(), edit, any::<bool>())
            .prop_map(|(node, style, at, edit, mutate)| {
                let mut text = String::new();
                render(&node, 0, &mut style.into_iter(), &mut text);
                if mutate {
                    let at = at.index(text.len() + 1);
                    text.insert_str(at, edit);
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn never_reads_differently_from_saphyr(text in document()) {
            same(&text);
        }
    }
}

//! A fast reader for the YAML that Kubernetes components are configured
//! with (kubeadm's static pod manifests, a KubeletConfiguration, an audit
//! policy): indented block mappings and sequences of one-line scalars, plain
//! or quoted without escapes, full-line comments, `{}`, `[]` and one-line
//! flow sequences of scalars. For such a document it reports to a `Sink`
//! the events saphyr-parser yields, several times faster (`values` builds
//! the JSON value as they come); a document it does not read
//! entirely (block scalars, anchors, aliases, tags, flow mappings,
//! multi-line scalars, escapes, comments after a value, tabs, non-ASCII
//! text, anything malformed) it declines as a whole, and `yaml::to_json`
//! hands it to saphyr-parser. So every value and every error stays
//! saphyr's; the tests hold the two readers to the same events.
//!
//! Declining is always safe, accepting is not: every rule below declines
//! when in doubt.

use super::lines::{Line, Lines};
use super::MAX_DEPTH;
#[cfg(test)]
use saphyr_parser::Event;
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// What the reader reports of a document, in order: the events
/// saphyr-parser yields for it between the document's start and end,
/// without building them.
pub(super) trait Sink<'t> {
    fn mapping_start(&mut self);
    fn mapping_end(&mut self);
    fn sequence_start(&mut self);
    fn sequence_end(&mut self);
    /// A block mapping's key: a plain scalar.
    fn key(&mut self, text: &'t str);
    fn scalar(&mut self, text: Cow<'t, str>, style: ScalarStyle);
}

/// Reads the first document of `text` into `sink`, which hears nothing
/// when the text has no content; `None` when this reader does not read
/// `text` (what `sink` heard then means nothing).
pub(super) fn read<'t>(text: &'t str, sink: &mut impl Sink<'t>) -> Option<()> {
    let mut reader = Reader { lines: Lines::new(text), sink };
    let Some(first) = reader.peek() else {
        // An explicit document holds an empty scalar, a stream of only
        // comments no document.
        if reader.lines.explicit_start() {
            empty(reader.sink);
        }
        return (!reader.lines.declined()).then_some(());
    };
    reader.node(first.indent, None, 0)?;
    // Whatever is left is indented where no node can be; and a line that
    // ended the document early may be one that is declined.
    (reader.peek().is_none() && !reader.lines.declined()).then_some(())
}

/// The events of the first document of `text` as saphyr-parser yields
/// them, ending with `DocumentEnd` (only `StreamEnd` when the text has no
/// content), or `None` when this reader does not read `text`: what the
/// tests hold against saphyr-parser's own.
#[cfg(test)]
pub(super) fn events(text: &str) -> Option<Vec<Event<'_>>> {
    let mut events = Vec::new();
    read(text, &mut events)?;
    if events.is_empty() {
        return Some(vec![Event::StreamEnd]);
    }
    events.push(Event::DocumentEnd);
    Some(events)
}

#[cfg(test)]
impl<'t> Sink<'t> for Vec<Event<'t>> {
    fn mapping_start(&mut self) {
        self.push(Event::MappingStart(0, None));
    }
    fn mapping_end(&mut self) {
        self.push(Event::MappingEnd);
    }
    fn sequence_start(&mut self) {
        self.push(Event::SequenceStart(0, None));
    }
    fn sequence_end(&mut self) {
        self.push(Event::SequenceEnd);
    }
    fn key(&mut self, text: &'t str) {
        self.scalar(Cow::Borrowed(text), ScalarStyle::Plain);
    }
    fn scalar(&mut self, text: Cow<'t, str>, style: ScalarStyle) {
        self.push(Event::Scalar(text, style, 0, None));
    }
}

struct Reader<'t, 's, S> {
    lines: Lines<'t>,
    sink: &'s mut S,
}

impl<'t, S: Sink<'t>> Reader<'t, '_, S> {
    fn peek(&self) -> Option<Line<'t>> {
        self.lines.peek()
    }

    fn advance(&mut self) {
        self.lines.advance();
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
        if entry(line).is_some() {
            return self.mapping(indent, depth);
        }
        self.advance();
        self.value(line.text, line.colon.is_some())?;
        // A more indented line would continue a multi-line plain scalar.
        match (self.peek(), parent) {
            (Some(next), Some(parent)) if next.indent > parent => None,
            (Some(_), None) => None,
            _ => Some(()),
        }
    }

    /// A block sequence whose `-` are indented `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<()> {
        self.sink.sequence_start();
        while let Some(line) = self.peek() {
            if line.indent > indent {
                return None;
            }
            if line.indent < indent || !is_item(line.text) {
                break;
            }
            let rest = &line.text[1..];
            let item = skip_spaces(rest);
            if item.is_empty() {
                self.advance();
                match self.peek() {
                    Some(next) if next.indent > indent => self.node(next.indent, Some(indent), depth + 1)?,
                    _ => empty(self.sink),
                }
            } else {
                // What follows `- ` is read as a line of its own, indented
                // to where it starts (a compact nested node).
                let column = indent + 1 + (rest.len() - item.len());
                self.lines.replace(line.from(line.text.len() - item.len(), column));
                self.node(column, Some(indent), depth + 1)?;
            }
        }
        self.sink.sequence_end();
        Some(())
    }

    /// A block mapping whose keys are indented `indent`.
    fn mapping(&mut self, indent: usize, depth: usize) -> Option<()> {
        self.sink.mapping_start();
        while let Some(line) = self.peek() {
            if line.indent > indent {
                return None;
            }
            if line.indent < indent {
                break;
            }
            let (key, value) = entry(line)?;
            self.advance();
            self.sink.key(key);
            if !value.is_empty() {
                self.value(value, line.colons_after)?;
                continue;
            }
            match self.peek() {
                Some(next) if next.indent > indent => self.node(next.indent, Some(indent), depth + 1)?,
                // A sequence may stand at its key's indentation.
                Some(next) if next.indent == indent && is_item(next.text) => self.sequence(indent, depth + 1)?,
                _ => empty(self.sink),
            }
        }
        self.sink.mapping_end();
        Some(())
    }

    /// A value written on its key's or its item's line; `colon` tells
    /// whether it holds a colon that ends a key.
    fn value(&mut self, text: &'t str, colon: bool) -> Option<()> {
        match text {
            "{}" => {
                self.sink.mapping_start();
                self.sink.mapping_end();
            }
            "[]" => {
                self.sink.sequence_start();
                self.sink.sequence_end();
            }
            _ if text.starts_with('[') => {
                let items = text.strip_suffix(']')?[1..].split(',');
                self.sink.sequence_start();
                for item in items {
                    let (text, style) = flow_scalar(item.trim_matches(' '))?;
                    self.sink.scalar(text, style);
                }
                self.sink.sequence_end();
            }
            _ => {
                let (text, style) = scalar(text, colon)?;
                self.sink.scalar(text, style);
            }
        }
        Some(())
    }
}

/// The scalar an empty value or item is.
fn empty<'t>(sink: &mut impl Sink<'t>) {
    sink.scalar(Cow::Borrowed(""), ScalarStyle::Plain);
}

/// A scalar's text (without quotes) and style.
type Scalar<'t> = (Cow<'t, str>, ScalarStyle);

/// `text` without its leading spaces (what `trim_start_matches(' ')`
/// gives, without setting up a pattern search for every line).
fn skip_spaces(text: &str) -> &str {
    let spaces = text.bytes().take_while(|&b| b == b' ').count();
    &text[spaces..]
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// A `key: value` or `key:` line: its plain key and its value (empty when
/// the value is on the lines below).
fn entry(line: Line<'_>) -> Option<(&str, &str)> {
    let (text, colon) = (line.text, line.colon?);
    let key = &text[..colon];
    // A merge key, or a key too long for a YAML implicit key, is left to
    // saphyr-parser; so is a key with spaces before its colon.
    let plain = plain_start(key) && !key.ends_with(' ') && key != "<<" && key.len() <= 1000;
    plain.then(|| (key, skip_spaces(&text[colon + 1..])))
}

/// A one-line scalar in block context: quoted without escapes, or plain;
/// `colon` tells whether `text` holds a colon that ends a key (`: ` or a
/// final `:`), which would start a mapping where none may be.
fn scalar(text: &str, colon: bool) -> Option<Scalar<'_>> {
    if let Some(quoted) = quoted(text) {
        return quoted;
    }
    let plain = plain_start(text) && !colon;
    plain.then_some((Cow::Borrowed(text), ScalarStyle::Plain))
}

/// An item of a one-line flow sequence: quoted without escapes or commas,
/// or plain without any flow indicator or colon.
fn flow_scalar(text: &str) -> Option<Scalar<'_>> {
    if let Some(quoted) = quoted(text) {
        return quoted;
    }
    let plain = plain_start(text) && !text.contains(['[', ']', '{', '}', ':', '?']);
    plain.then_some((Cow::Borrowed(text), ScalarStyle::Plain))
}

/// `Some` when `text` starts with a quote: the scalar, or `None` (declined)
/// when it is not one whole quoted scalar this reader reads.
fn quoted(text: &str) -> Option<Option<Scalar<'_>>> {
    let quote = text.bytes().next().filter(|&b| b == b'\'' || b == b'"')?;
    let inner = text.get(1..text.len() - 1).filter(|_| text.len() >= 2 && text.ends_with(quote as char));
    Some(inner.and_then(|inner| {
        if quote == b'"' {
            let plain = !inner.contains(['"', '\\']);
            plain.then_some((Cow::Borrowed(inner), ScalarStyle::DoubleQuoted))
        } else if inner.contains('\'') {
            // `''` is a quote; a lone one would end the scalar early.
            let unquoted = inner.replace("''", "'");
            let whole = unquoted.matches('\'').count() * 2 == inner.matches('\'').count();
            whole.then_some((Cow::Owned(unquoted), ScalarStyle::SingleQuoted))
        } else {
            Some((Cow::Borrowed(inner), ScalarStyle::SingleQuoted))
        }
    }))
}

/// Whether a plain scalar may start `text`: not empty, and no indicator
/// first (`-` only when not followed by a space, as in `--flag`).
fn plain_start(text: &str) -> bool {
    match text.as_bytes() {
        [] => false,
        [b'-'] | [b'-', b' ', ..] => false,
        // A `match`, not a search of a list: this runs for every scalar.
        [first, ..] => !matches!(
            first,
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`'
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_documents::{fixture_documents, render, tree};
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
        let documents = fixture_documents();
        let total = documents.len();
        let read = documents.iter().filter(|text| same(text)).count();
        // The kubeadm documents at least are read here, not handed on.
        assert!(total > 50 && read * 2 > total, "{read} of {total} fixture documents read");
    }

    const WORDS: &[&str] = &[
        "a", "key", "--flag=x:y", "0644", "yes", "~", "'q''s'", "\"d\"", "{}", "[]", "[x, 'y', \"z\"]", "a b", "-1",
        "x#y", "''", "\"\"", "1.5", "/etc/kubernetes", "https://h:1/p", "[a,b]", "[ ]", "[x,]", "a,b",
    ];
    const KEYS: &[&str] = &["a", "b", "key", "x.y/z", "0644", "yes", "-k", "k-"];

    /// A document, and the same with one byte changed, so that the reader
    /// also meets what is almost what it reads.
    fn document() -> impl Strategy<Value = String> {
        let edit = prop::sample::select(&[" ", "-", ":", "#", "'", "\"", "[", "\n", "  ", "---\n", "# c\n", ""][..]);
        (tree(WORDS.to_vec(), KEYS, 24, 4), prop::collection::vec(any::<bool>(), 64), any::<prop::sample::Index>(), edit, any::<bool>())
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

//! YAML text decoded into JSON values the way Kubernetes decodes it.
//! sigs.k8s.io/yaml hands the text to go-yaml v2 and converts the result to
//! JSON, so plain scalars resolve by YAML 1.1's rules, as go-yaml's
//! `resolve` does: `yes`, `On` and `n` are booleans, `0644` is octal (420),
//! `0x1F` hex, `1_000` is 1000, `09` is the number 9 (not octal, so a
//! float), `~` and the empty scalar are null. Quoted and block scalars are
//! strings. Only the first document counts, as in `yaml.Unmarshal`.
//! Anchors, aliases and merge keys (`<<`) are expanded within a node budget,
//! so a small document cannot expand into a huge one.
//!
//! Most configuration is plain block YAML, which `block` reads several times
//! faster than saphyr-parser, reporting the same events, and `values` turns
//! into JSON as they come; the rest goes to saphyr-parser and `Decoder`.
//!
//! Left as written, where Kubernetes would differ: timestamps (go-yaml turns
//! `2001-12-14` into a time that JSON spells in RFC 3339), and scalars that
//! Kubernetes re-reads as a string because the target field is a string.

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value as Json};
use std::borrow::Cow;
use std::collections::HashMap;

mod block;
mod lines;
#[cfg(test)]
mod test_documents;
mod values;

/// How many nodes a document may expand to, aliases included. Far above
/// any real Kubernetes configuration file (whose size the host caps).
const NODE_BUDGET: usize = 1_000_000;

/// How deeply collections may nest: real configuration nests a handful of
/// levels; the limit keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 128;

/// Decodes the first document of `text`; an empty text is null.
pub fn to_json(text: &str) -> Result<Json, String> {
    values::decode(text).unwrap_or_else(|| decode_events(text))
}

/// What `to_json` decodes from saphyr-parser's events: every document that
/// `block` does not read, and in the tests every one that it does.
fn decode_events(text: &str) -> Result<Json, String> {
    let mut decoder = Decoder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
    };
    loop {
        match decoder.next()? {
            Event::StreamStart | Event::DocumentStart(_) => {}
            Event::StreamEnd | Event::DocumentEnd => return Ok(Json::Null),
            event => {
                let (value, _) = decoder.node(event, 0)?;
                // The rest of the document must still be well-formed.
                return match decoder.next()? {
                    Event::DocumentEnd | Event::StreamEnd => Ok(value),
                    other => Err(format!("unexpected YAML event {other:?} after the document")),
                };
            }
        }
    }
}

struct Decoder<'t> {
    parser: Parser<'t, saphyr_parser::StrInput<'t>>,
    /// Anchored nodes with their size in nodes, for aliases.
    anchors: HashMap<usize, (Json, usize)>,
    nodes: usize,
}

impl<'t> Decoder<'t> {
    fn next(&mut self) -> Result<Event<'t>, String> {
        match self.parser.next_event() {
            Some(Ok((event, _))) => Ok(event),
            Some(Err(e)) => Err(format!(
                "line {} column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            )),
            None => Err("unexpected end of the document".into()),
        }
    }

    fn count(&mut self, nodes: usize) -> Result<(), String> {
        self.nodes += nodes;
        over_budget(self.nodes)
    }

    /// The node that `event` starts, with its size in nodes.
    fn node(&mut self, event: Event<'t>, depth: usize) -> Result<(Json, usize), String> {
        if depth > MAX_DEPTH {
            return Err(format!("nesting is deeper than {MAX_DEPTH} levels"));
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1)?;
                ((scalar(text, style, tag.as_deref())?, 1), anchor)
            }
            Event::SequenceStart(anchor, _) => (self.sequence(depth)?, anchor),
            Event::MappingStart(anchor, _) => (self.mapping(depth)?, anchor),
            Event::Alias(id) => {
                let (value, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or("an alias refers to an unknown anchor")?;
                self.count(size)?;
                return Ok((value, size));
            }
            other => return Err(format!("unexpected YAML event {other:?}")),
        };
        // The parser numbers anchors from 1; 0 is "no anchor".
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn sequence(&mut self, depth: usize) -> Result<(Json, usize), String> {
        self.count(1)?;
        let (mut items, mut size) = (Vec::new(), 1);
        loop {
            match self.next()? {
                Event::SequenceEnd => return Ok((Json::Array(items), size)),
                event => {
                    let (item, n) = self.node(event, depth + 1)?;
                    items.push(item);
                    size += n;
                }
            }
        }
    }

    /// A mapping. Keys set explicitly win over merged ones wherever the
    /// merge key stands, and of several merged mappings the first wins, as
    /// the YAML merge key type specifies; a repeated explicit key keeps its
    /// last value, as Kubernetes' lenient decoding does.
    fn mapping(&mut self, depth: usize) -> Result<(Json, usize), String> {
        self.count(1)?;
        let (mut explicit, mut merged, mut size) = (Map::new(), Map::new(), 1);
        loop {
            let key_event = match self.next()? {
                Event::MappingEnd => break,
                event => event,
            };
            let is_merge = matches!(
                &key_event,
                Event::Scalar(text, ScalarStyle::Plain, _, None) if text == "<<"
            );
            let (key, n) = self.node(key_event, depth + 1)?;
            size += n;
            let value_event = self.next()?;
            let (value, n) = self.node(value_event, depth + 1)?;
            size += n;
            if is_merge {
                merge(&mut merged, value)?;
            } else {
                explicit.insert(key_text(key)?, value);
            }
        }
        // Without a merge key there is nothing to lay the keys over.
        if merged.is_empty() {
            return Ok((Json::Object(explicit), size));
        }
        merged.extend(explicit);
        Ok((Json::Object(merged), size))
    }
}

/// The error once a document has expanded to `nodes` nodes, if that is
/// over the budget.
fn over_budget(nodes: usize) -> Result<(), String> {
    if nodes > NODE_BUDGET {
        return Err(format!("the document expands to more than {NODE_BUDGET} nodes"));
    }
    Ok(())
}

/// A merge key's value: a mapping, or a sequence of mappings.
fn merge(into: &mut Map<String, Json>, value: Json) -> Result<(), String> {
    let mappings = match value {
        Json::Object(map) => vec![map],
        Json::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Json::Object(map) => Ok(map),
                _ => Err("a merge key (<<) lists something that is not a mapping".to_string()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("a merge key (<<) refers to something that is not a mapping".into()),
    };
    for map in mappings {
        for (key, value) in map {
            into.entry(key).or_insert(value);
        }
    }
    Ok(())
}

/// A mapping key as JSON spells it: sigs.k8s.io/yaml turns the scalar keys
/// go-yaml decoded (`true`, `420`) back into strings.
fn key_text(key: Json) -> Result<String, String> {
    match key {
        Json::String(s) => Ok(s),
        Json::Null => Ok("null".into()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Array(_) | Json::Object(_) => Err("a mapping key is not a scalar".into()),
    }
}

fn scalar(text: Cow<str>, style: ScalarStyle, tag: Option<&Tag>) -> Result<Json, String> {
    let core = |suffix: &str| tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == suffix);
    match tag {
        None if style == ScalarStyle::Plain => plain(text),
        None => Ok(Json::String(text.into_owned())),
        Some(_) if core("str") => Ok(Json::String(text.into_owned())),
        Some(t) if t.is_yaml_core_schema() && ["null", "bool", "int", "float"].contains(&t.suffix.as_str()) => {
            let value = plain(text.clone())?;
            let fits = match t.suffix.as_str() {
                "null" => value.is_null(),
                "bool" => value.is_boolean(),
                "int" => value.is_i64() || value.is_u64(),
                _ => value.is_number(),
            };
            if fits {
                Ok(value)
            } else {
                Err(format!("{text:?} is not a valid !!{}", t.suffix))
            }
        }
        // Other tags are not resolved by go-yaml: the text stays a string.
        Some(_) => Ok(Json::String(text.into_owned())),
    }
}

/// Whether a plain scalar is surely a string, seen from its length and
/// first byte alone: longer than any word `plain` knows, and not starting
/// like a number. Most keys and many values are.
fn surely_string(text: &str) -> bool {
    text.len() > 5 && !matches!(text.as_bytes()[0], b'.' | b'0'..=b'9' | b'+' | b'-')
}

/// A plain scalar, resolved as go-yaml v2's `resolve` does.
fn plain(text: Cow<str>) -> Result<Json, String> {
    if surely_string(&text) {
        return Ok(Json::String(text.into_owned()));
    }
    // No word below is longer than five bytes: most scalars, keys above
    // all, are not compared with each of them.
    if text.len() <= 5 {
        match text.as_ref() {
            "" | "~" | "null" | "Null" | "NULL" => return Ok(Json::Null),
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                return Ok(Json::Bool(true))
            }
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
                return Ok(Json::Bool(false))
            }
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
            | ".nan" | ".NaN" | ".NAN" => {
                return Err(format!("{text} has no JSON form"));
            }
            _ => {}
        }
    }
    match text.as_bytes()[0] {
        b'.' => Ok(float(&text).unwrap_or_else(|| Json::String(text.into_owned()))),
        b'0'..=b'9' | b'+' | b'-' if number_bytes(&text) => {
            let digits: Cow<str> = if text.contains('_') {
                Cow::Owned(text.replace('_', ""))
            } else {
                Cow::Borrowed(&text)
            };
            let number = integer(&digits).or_else(|| float(&digits));
            Ok(number.unwrap_or_else(|| Json::String(text.into_owned())))
        }
        _ => Ok(Json::String(text.into_owned())),
    }
}

/// Whether `text` has only bytes that `integer` and `float` take (or
/// `plain` removes): most scalars that start like a number (`0s`,
/// `4h0m0s`, `-v=2`) are known to be strings without parsing them.
fn number_bytes(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_hexdigit() || matches!(b, b'x' | b'X' | b'o' | b'O' | b'_' | b'.' | b'+' | b'-'))
}

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint`: an optional sign,
/// then `0x`, `0o`, `0b` or a leading `0` (octal) selects the base.
fn integer(text: &str) -> Option<Json> {
    let (negative, unsigned) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = match unsigned.as_bytes() {
        [b'0', b'x' | b'X', ..] => (16, &unsigned[2..]),
        [b'0', b'o' | b'O', ..] => (8, &unsigned[2..]),
        [b'0', b'b' | b'B', ..] => (2, &unsigned[2..]),
        _ if unsigned.len() > 1 && unsigned.starts_with('0') => (8, &unsigned[1..]),
        _ => (10, unsigned),
    };
    // from_str_radix would accept a second sign.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        let value = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Json::from(value))
    } else if text.starts_with('+') {
        // ParseUint takes no sign, so "+" numbers must fit ParseInt.
        i64::try_from(magnitude).ok().map(Json::from)
    } else {
        Some(Json::from(magnitude))
    }
}

/// A YAML-style float (`[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`).
/// Integral values become integers: Go writes `float64(8)` to JSON as `8`,
/// so Kubernetes reads `8.0` into an integer field as 8.
fn float(text: &str) -> Option<Json> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && all_digits(frac),
        Some((int, frac)) => all_digits(int) && all_digits(frac),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !mantissa_ok || !exponent_ok {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        // Exactly representable: the cast loses nothing.
        return Some(Json::from(value as i64));
    }
    Number::from_f64(value).map(Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[track_caller]
    fn case(yaml: &str, expected: Json) {
        assert_eq!(to_json(yaml), Ok(expected), "{yaml:?}");
    }

    #[track_caller]
    fn error(yaml: &str, expected: &str) {
        let got = to_json(yaml).expect_err(yaml);
        assert!(got.contains(expected), "{yaml:?}: {got}");
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_1() {
        for (text, expected) in [
            ("yes", json!(true)),
            ("Y", json!(true)),
            ("On", json!(true)),
            ("TRUE", json!(true)),
            ("no", json!(false)),
            ("n", json!(false)),
            ("OFF", json!(false)),
            ("False", json!(false)),
            ("yEs", json!("yEs")),
            ("yes please", json!("yes please")),
            ("~", Json::Null),
            ("null", Json::Null),
            ("NULL", Json::Null),
            ("nULL", json!("nULL")),
            ("0", json!(0)),
            ("10250", json!(10250)),
            ("0644", json!(420)),
            ("-0644", json!(-420)),
            ("0o644", json!(420)),
            ("0x1F", json!(31)),
            ("0b101", json!(5)),
            ("-0b101", json!(-5)),
            ("+12", json!(12)),
            ("1_000", json!(1000)),
            ("09", json!(9)),
            ("8.0", json!(8)),
            ("1.5", json!(1.5)),
            (".5", json!(0.5)),
            ("1e3", json!(1000)),
            ("-2.5E-1", json!(-0.25)),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("0s", json!("0s")),
            ("4h0m0s", json!("4h0m0s")),
            ("1.2.3", json!("1.2.3")),
            ("0x", json!("0x")),
            ("--1", json!("--1")),
            ("+-1", json!("+-1")),
            ("0xG", json!("0xG")),
            ("10.96.0.10", json!("10.96.0.10")),
            ("127.0.0.1:10248", json!("127.0.0.1:10248")),
            ("Webhook", json!("Webhook")),
            ("2001-12-14", json!("2001-12-14")),
        ] {
            case(&format!("k: {text}\n"), json!({ "k": expected }));
        }
    }

    #[test]
    fn quoted_block_and_tagged_scalars() {
        case("k: '0644'\n", json!({"k": "0644"}));
        case("k: \"yes\"\n", json!({"k": "yes"}));
        case("k: |\n  yes\n", json!({"k": "yes\n"}));
        case("k: >-\n  on\n", json!({"k": "on"}));
        case("k: !!str 0644\n", json!({"k": "0644"}));
        case("k: !!int \"0644\"\n", json!({"k": 420}));
        case("k: !!bool yes\n", json!({"k": true}));
        case("k: !custom yes\n", json!({"k": "yes"}));
        error("k: !!int abc\n", "is not a valid !!int");
        error("k: .inf\n", "has no JSON form");
    }

    #[test]
    fn documents_collections_and_keys() {
        case("", Json::Null);
        case("# only a comment\n", Json::Null);
        case("---\na: 1\n---\nb: 2\n", json!({"a": 1}));
        case("a: 1\n---\n[unclosed\n", json!({"a": 1}));
        case("[A, B]\n", json!(["A", "B"]));
        case("{\"a\": {\"b\": false}}", json!({"a": {"b": false}}));
        case("a:\n- p\n- q\nb: {}\n", json!({"a": ["p", "q"], "b": {}}));
        // The YAML 1.1 booleans include `y` and `n` (the "Norway problem").
        case("a: [x, y, n, NO]\n", json!({"a": ["x", true, false, false]}));
        case("k:\n", json!({"k": null}));
        case("k: 1\nk: 2\n", json!({"k": 2}));
        case("yes: 1\n0644: 2\n~: 3\n", json!({"true": 1, "420": 2, "null": 3}));
        error("? [a]\n: 1\n", "a mapping key is not a scalar");
        error("a: [b", "while parsing a flow sequence");
        error("a: b\n c: d\n", "line 2");
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        case("a: &x 5\nb: *x\n", json!({"a": 5, "b": 5}));
        case(
            "base: &b {p: 1, q: 2}\nd:\n  q: 3\n  <<: *b\n",
            json!({"base": {"p": 1, "q": 2}, "d": {"p": 1, "q": 3}}),
        );
        case(
            "a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n",
            json!({"a": {"x": 1}, "b": {"x": 2, "z": 2}, "c": {"x": 1, "z": 2}}),
        );
        case("k: \"<<\"\n", json!({"k": "<<"}));
        error("a: *nope\n", "line 1");
        error("<<: 3\n", "not a mapping");
    }

    #[test]
    fn hostile_documents_are_refused() {
        // Ten levels of ten-fold aliases: 10^10 nodes from a few hundred bytes.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = format!("*a{}", i - 1);
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", [p.as_str(); 10].join(", ")));
        }
        error(&bomb, "expands to more than");
        error(&"[".repeat(200), "nesting is deeper than");
        error(&"[".repeat(100_000), "line 1");
    }

    proptest! {
        #[test]
        fn never_panics(text in "([-a-z0-9 :_+.#&*<!|>'\"\\[\\]{},?~]|\n|  ){0,200}") {
            let _ = to_json(&text);
        }

        #[test]
        fn never_panics_on_scalars(text in "[-+0-9a-fA-FxXoObB_.eE]{1,24}") {
            let _ = plain(Cow::Owned(text));
        }
    }
}

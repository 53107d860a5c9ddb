//! The JSON report's writer: a serde `Serializer` for what the schema's
//! structs are made of (structs, sequences, strings, booleans, integers,
//! options; and maps with string keys, for `serde_json::Value`), laid out as serde_json's pretty printer lays JSON out (two
//! spaces per level, `": "` after a key, `[]` and `{}` when empty), with
//! strings escaped as `json.rs` promises.
//!
//! It replaces serde_json's serializer because a report is tens of
//! megabytes of strings, nearly all printable ASCII: serde_json looks at
//! each of their bytes in turn, where here sixteen bytes are looked at
//! together, and what needs no escape is copied a run at a time. A line break with its indentation is one write.

use crate::report::sanitize::is_hazard;
use serde::ser::{self, Impossible, Serialize};
use std::fmt;
use std::io::{self, Write};

pub struct Pretty<W> {
    out: W,
    /// Arrays and objects open around what is being written.
    depth: usize,
    /// Whether the innermost open array or object has a value yet.
    has_value: bool,
}

/// `value` as one JSON document: laid out as `Pretty` lays it out, then a
/// line feed. Every document hardbench writes (report, diff, access) is
/// written so.
pub fn write_document<W: Write + ?Sized, T: Serialize + ?Sized>(value: &T, out: &mut W) -> io::Result<()> {
    value.serialize(&mut Pretty::new(&mut *out))?;
    out.write_all(b"\n")
}

impl<W: Write> Pretty<W> {
    pub fn new(out: W) -> Self {
        Pretty { out, depth: 0, has_value: false }
    }

    /// A line break (after a comma unless `first`) indented to `depth`.
    fn new_line(&mut self, first: bool) -> io::Result<()> {
        // Sixteen levels of indentation: more than a report nests.
        const LINE: &[u8] = b",\n                                ";
        let start = usize::from(first);
        match LINE.get(start..2 + 2 * self.depth) {
            Some(line) => self.out.write_all(line),
            None => {
                self.out.write_all(&LINE[start..2])?;
                (0..self.depth).try_for_each(|_| self.out.write_all(b"  "))
            }
        }
    }

    fn open(&mut self, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        self.out.write_all(bracket)
    }

    fn close(&mut self, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(true)?;
        }
        self.out.write_all(bracket)
    }

    /// A string: JSON's escapes for `"`, `\` and the C0 controls (the short
    /// ones where JSON has them, as serde_json writes them), `\uXXXX` for
    /// every other character that `sanitize` calls a hazard, the rest as it
    /// is, copied a run at a time.
    fn string(&mut self, text: &str) -> io::Result<()> {
        let bytes = text.as_bytes();
        self.out.write_all(b"\"")?;
        // Most strings need no escape at all: one look, one copy.
        if bytes.iter().fold(true, |plain, &b| plain & is_plain(b)) {
            self.out.write_all(bytes)?;
            return self.out.write_all(b"\"");
        }
        let (mut run, mut at) = (0, 0);
        while at < bytes.len() {
            // Sixteen bytes at a time while none needs a look, which is
            // most text; `fold`, not `all`, so that they are looked at
            // together.
            if let Some(chunk) = bytes.get(at..at + 16) {
                if chunk.iter().fold(true, |plain, &b| plain & is_plain(b)) {
                    at += 16;
                    continue;
                }
            }
            let b = bytes[at];
            if is_plain(b) {
                at += 1;
                continue;
            }
            // Only whole characters are stepped over, so `at` is on one.
            let c = text[at..].chars().next().expect("a character starts here");
            let short: &[u8] = match c {
                '"' => b"\\\"",
                '\\' => b"\\\\",
                '\u{8}' => b"\\b",
                '\u{c}' => b"\\f",
                '\n' => b"\\n",
                '\r' => b"\\r",
                '\t' => b"\\t",
                c if is_hazard(c) => b"",
                _ => {
                    at += c.len_utf8();
                    continue;
                }
            };
            self.out.write_all(&bytes[run..at])?;
            if short.is_empty() {
                write!(self.out, "\\u{:04x}", u32::from(c))?;
            } else {
                self.out.write_all(short)?;
            }
            at += c.len_utf8();
            run = at;
        }
        self.out.write_all(&bytes[run..])?;
        self.out.write_all(b"\"")
    }

    fn integer(&mut self, value: impl fmt::Display) -> Result<(), Error> {
        Ok(write!(self.out, "{value}")?)
    }
}

/// Printable ASCII but for the two characters JSON escapes.
fn is_plain(b: u8) -> bool {
    (b' '..=b'~').contains(&b) & (b != b'"') & (b != b'\\')
}

/// A write that failed, or a value the report's schema does not have.
#[derive(Debug)]
pub struct Error(io::Error);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error(io::Error::other(message.to_string()))
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error(error)
    }
}

impl From<Error> for io::Error {
    fn from(error: Error) -> Self {
        error.0
    }
}

/// What the schema has no use for.
fn unsupported(what: &str) -> Error {
    ser::Error::custom(format!("the JSON report has no {what}"))
}

impl<W: Write> ser::Serializer for &mut Pretty<W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        Ok(self.out.write_all(if value { b"true" } else { b"false" })?)
    }

    fn serialize_i8(self, value: i8) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_i16(self, value: i16) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_i32(self, value: i32) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_i64(self, value: i64) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_u8(self, value: u8) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_u16(self, value: u16) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_u32(self, value: u32) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_u64(self, value: u64) -> Result<(), Error> {
        self.integer(value)
    }

    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(unsupported("floating-point number"))
    }

    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Err(unsupported("floating-point number"))
    }

    fn serialize_char(self, value: char) -> Result<(), Error> {
        Ok(self.string(value.encode_utf8(&mut [0; 4]))?)
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        Ok(self.string(value)?)
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(unsupported("byte string"))
    }

    fn serialize_none(self) -> Result<(), Error> {
        Ok(self.out.write_all(b"null")?)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(unsupported("externally tagged variant"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Error> {
        self.open(b"[")?;
        Ok(self)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(unsupported("tuple"))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(unsupported("tuple"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(unsupported("tuple"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, Error> {
        self.open(b"{")?;
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
        self.open(b"{")?;
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(unsupported("externally tagged variant"))
    }
}

impl<W: Write> ser::SerializeSeq for &mut Pretty<W> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.new_line(!self.has_value)?;
        value.serialize(&mut **self)?;
        self.has_value = true;
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        Ok(self.close(b"]")?)
    }
}

impl<W: Write> ser::SerializeMap for &mut Pretty<W> {
    type Ok = ();
    type Error = Error;

    /// The key is written as the value it is: the only maps written here
    /// are `serde_json::Value` objects, whose keys are strings.
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.new_line(!self.has_value)?;
        key.serialize(&mut **self)?;
        Ok(self.out.write_all(b": ")?)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)?;
        self.has_value = true;
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        Ok(self.close(b"}")?)
    }
}

impl<W: Write> ser::SerializeStruct for &mut Pretty<W> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.new_line(!self.has_value)?;
        // A field's name is the schema's: plain ASCII, written as it is.
        self.out.write_all(b"\"")?;
        self.out.write_all(key.as_bytes())?;
        self.out.write_all(b"\": ")?;
        value.serialize(&mut **self)?;
        self.has_value = true;
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        Ok(self.close(b"}")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    fn render(value: &impl Serialize) -> String {
        let mut out = Vec::new();
        value.serialize(&mut Pretty::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// serde_json's pretty layout and JSON escapes, and `\uXXXX` for the
    /// hazards serde_json leaves raw, on strings that take every path.
    #[test]
    fn writes_what_serde_json_pretty_writes_with_hazards_escaped() {
        #[derive(Serialize)]
        struct Inner<'a> {
            text: &'a str,
            empty: Vec<u8>,
            none: Option<u8>,
        }
        #[derive(Serialize)]
        struct WithTuple {
            pair: (bool, bool),
        }
        let texts = [
            "plain ASCII",
            "",
            "quote \" backslash \\",
            "\n\t\r\u{8}\u{c}\u{1b}\u{0}",
            "é – ✓",
            "del \u{7f} csi \u{9b}",
            "On each worker node, run:\n  chmod 600 /etc/systemd/system/kubelet.service.d/10-kubeadm.conf – then \u{202e}",
        ];
        let items: Vec<Inner> = texts.iter().map(|&text| Inner { text, empty: Vec::new(), none: None }).collect();
        #[derive(Serialize)]
        struct Flat<'a> {
            items: &'a [Inner<'a>],
            yes: bool,
            no: bool,
            n: u64,
        }
        let flat = Flat { items: &items, yes: true, no: false, n: u64::MAX };
        // The layout's line breaks are the only raw hazards.
        let expected: String = serde_json::to_string_pretty(&flat)
            .unwrap()
            .split('\n')
            .map(expected_raw)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(render(&flat), expected);
        assert!(expected.contains(r#""\n\t\r\b\f\u001b\u0000""#), "{expected}");
        // Tuples are not in the schema, and say so instead of writing something else.
        let mut out = Vec::new();
        assert!(WithTuple { pair: (true, false) }.serialize(&mut Pretty::new(&mut out)).unwrap_err().to_string().contains("no tuple"));
    }

    /// serde_json's string, with the hazards it leaves raw escaped.
    fn expected(text: &str) -> String {
        expected_raw(&serde_json::to_string(text).unwrap())
    }

    /// `json` with every raw hazard escaped.
    fn expected_raw(json: &str) -> String {
        let mut expected = String::new();
        for c in json.chars() {
            if is_hazard(c) {
                expected.push_str(&format!("\\u{:04x}", u32::from(c)));
            } else {
                expected.push(c);
            }
        }
        expected
    }

    proptest::proptest! {
        #[test]
        fn strings_are_serde_jsons_with_hazards_escaped(text in "([ -~]{0,20}|[\u{0}-\u{a0}]|\u{61c}|\u{200e}|\u{202e}|\u{2028}|\u{ffff}|é|–|✓|😀)*") {
            proptest::prop_assert_eq!(render(&text.as_str()), expected(&text));
        }
    }
}

//! The JSON value of a document that `block` reads, built as it reads it:
//! what `Decoder` makes of saphyr-parser's events for the same text, by the
//! same scalar rules, node budget and errors, without building the events.
//! `block` reads no anchor, alias, tag or merge key, so none is handled here.

use super::{block, key_text, over_budget, scalar};
use saphyr_parser::ScalarStyle;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// The first document of `text` as `Decoder` decodes it, or `None` when
/// `block` does not read `text`.
pub(super) fn decode(text: &str) -> Option<Result<Json, String>> {
    // Room for a configuration file's open nodes, which its top-level
    // mapping's keys and values are most of, so that the stack rarely grows.
    let mut values = Values {
        stack: Vec::with_capacity(128),
        marks: Vec::with_capacity(16),
        nodes: 0,
        error: None,
    };
    block::read(text, &mut values)?;
    // Only now is the document known to be read here: an error met before
    // might not be one in the text saphyr-parser would have read instead.
    if let Some(error) = values.error {
        return Some(Err(error));
    }
    Some(Ok(values.stack.pop().unwrap_or(Json::Null)))
}

/// Nodes being built: the finished ones whose collection is still open,
/// in document order (a mapping's keys and values alternate).
struct Values {
    stack: Vec<Json>,
    /// Where each open collection's nodes start in `stack`.
    marks: Vec<usize>,
    nodes: usize,
    /// The first error `Decoder` would have stopped at. Reading goes on,
    /// for `block` may yet decline the text.
    error: Option<String>,
}

impl Values {
    /// Counts a node as `Decoder` does, before deciding what it is.
    fn count(&mut self) {
        self.nodes += 1;
        if let Err(e) = over_budget(self.nodes) {
            self.error.get_or_insert(e);
        }
    }

    fn open(&mut self) {
        self.count();
        self.marks.push(self.stack.len());
    }

    /// Where the nodes of the collection that closes start in `stack`.
    fn close(&mut self) -> usize {
        // `block` closes only what it opened.
        self.marks.pop().unwrap_or(self.stack.len())
    }
}

impl<'t> block::Sink<'t> for Values {
    fn mapping_start(&mut self) {
        self.open();
    }

    /// A mapping whose repeated key keeps its last value, as `Decoder`'s
    /// does. Built from its entries at once: BTreeMap sorts them and fills
    /// its nodes in one go, where inserting them one by one searched the
    /// tree for each, and configuration mostly lists its keys sorted.
    fn mapping_end(&mut self) {
        let mark = self.close();
        let mut nodes = self.stack.drain(mark..);
        let mut entries = Vec::with_capacity(nodes.len() / 2);
        while let (Some(key), Some(value)) = (nodes.next(), nodes.next()) {
            match key_text(key) {
                Ok(key) => entries.push((key, value)),
                Err(e) => _ = self.error.get_or_insert(e),
            }
        }
        drop(nodes);
        self.stack.push(Json::Object(Map::from_iter(entries)));
    }

    fn sequence_start(&mut self) {
        self.open();
    }

    fn sequence_end(&mut self) {
        let mark = self.close();
        let items = self.stack.drain(mark..).collect();
        self.stack.push(Json::Array(items));
    }

    fn scalar(&mut self, text: Cow<'t, str>, style: ScalarStyle) {
        self.count();
        let value = scalar(text, style, None).unwrap_or_else(|e| {
            self.error.get_or_insert(e);
            Json::Null
        });
        self.stack.push(value);
    }
}

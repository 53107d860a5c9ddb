//! The JSON value of a document that `block` reads, built as it reads it:
//! what `Decoder` makes of saphyr-parser's events for the same text, by the
//! same scalar rules, node budget and errors, without building the events.
//! `block` reads no anchor, alias, tag or merge key, so none is handled here.

use super::{block, key_text, over_budget, plain};
use saphyr_parser::ScalarStyle;
use serde_json::{Map, Value as Json};
use std::borrow::Cow;

/// The first document of `text` as `Decoder` decodes it, or `None` when
/// `block` does not read `text`.
pub(super) fn decode(text: &str) -> Option<Result<Json, String>> {
    // Room for a configuration file's open nodes, which its top-level
    // mapping's entries are most of, so that the stacks rarely grow.
    let mut values = Values {
        keys: Vec::with_capacity(64),
        values: Vec::with_capacity(64),
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
    Some(Ok(values.values.pop().unwrap_or(Json::Null)))
}

/// How many entries a mapping may have to be built by inserting them.
const SMALL_MAPPING: usize = 4;

/// Nodes being built: the finished ones whose collection is still open,
/// in document order, keys apart from values.
struct Values {
    keys: Vec<String>,
    values: Vec<Json>,
    /// Where each open collection's keys and values start.
    marks: Vec<(usize, usize)>,
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
        self.marks.push((self.keys.len(), self.values.len()));
    }

    /// Where the keys and values of the collection that closes start.
    fn close(&mut self) -> (usize, usize) {
        // `block` closes only what it opened.
        self.marks.pop().unwrap_or((self.keys.len(), self.values.len()))
    }

    fn fail(&mut self, error: String) {
        self.error.get_or_insert(error);
    }
}

impl<'t> block::Sink<'t> for Values {
    fn mapping_start(&mut self) {
        self.open();
    }

    /// A mapping whose repeated key keeps its last value, as `Decoder`'s
    /// does. A larger one is built from its entries at once: BTreeMap sorts
    /// them and fills its nodes in one go, where inserting them one by one
    /// compares each with the keys before it (a configuration mostly lists
    /// its keys sorted). A small one is cheaper to insert into than to
    /// gather its entries for.
    fn mapping_end(&mut self) {
        let (keys, values) = self.close();
        let entries = self.keys.drain(keys..).zip(self.values.drain(values..));
        let map = if entries.len() <= SMALL_MAPPING {
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key, value);
            }
            map
        } else {
            Map::from_iter(entries.collect::<Vec<_>>())
        };
        self.values.push(Json::Object(map));
    }

    fn sequence_start(&mut self) {
        self.open();
    }

    fn sequence_end(&mut self) {
        let (_, values) = self.close();
        let items = self.values.drain(values..).collect();
        self.values.push(Json::Array(items));
    }

    /// A key as `Decoder` resolves it: a plain scalar, spelled back as JSON
    /// spells it.
    fn key(&mut self, text: &'t str) {
        self.count();
        let key = match plain(Cow::Borrowed(text)).and_then(key_text) {
            Ok(key) => key,
            Err(e) => {
                self.fail(e);
                String::new()
            }
        };
        self.keys.push(key);
    }

    fn scalar(&mut self, text: Cow<'t, str>, style: ScalarStyle) {
        self.count();
        // Untagged: only a plain scalar resolves, as in `scalar`.
        let value = match style {
            ScalarStyle::Plain => plain(text).unwrap_or_else(|e| {
                self.fail(e);
                Json::Null
            }),
            _ => Json::String(text.into_owned()),
        };
        self.values.push(value);
    }
}

//! The JSON value of a document that `block` reads, built as it reads it:
//! what `Decoder` makes of saphyr-parser's events for the same text, by the
//! same scalar rules, node budget and errors, without building the events.
//! `block` reads no anchor, alias, tag or merge key, so none is handled here.

use super::{block, key_text, over_budget, plain, surely_string};
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
        // What `plain` then `key_text` give a surely-string key, without
        // making it a JSON value and taking it back out: most keys are.
        if surely_string(text) {
            self.keys.push(text.to_owned());
            return;
        }
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

#[cfg(test)]
mod tests {
    use super::super::decode_events;
    use super::super::test_documents::{fixture_documents, render, tree};
    use super::*;
    use proptest::prelude::*;

    /// Whether the values built here are read; if so, they must be what
    /// `Decoder` makes of saphyr-parser's events, errors included.
    #[track_caller]
    fn same(text: &str) -> bool {
        let Some(fast) = decode(text) else { return false };
        assert_eq!(fast, decode_events(text), "{text:?}");
        true
    }

    /// Plain scalars that resolve every way go-yaml resolves them, and
    /// some that nearly do.
    const SCALARS: &[&str] = &[
        "yes", "Y", "y", "On", "TRUE", "true", "no", "n", "N", "OFF", "False", "yEs", "oN", "~", "null", "NULL", "nULL",
        "0", "10250", "0644", "-0644", "0o644", "0O7", "0x1F", "0X1f", "0b101", "-0b101", "+12", "+0x10", "1_000",
        "1_0.5", "_1", "0_", "09", "8.0", "1.5", ".5", "5.", "1e3", "1E+3", "-2.5E-1", "1e400", "0.1",
        "9007199254740993", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
        "-9223372036854775809", "+9223372036854775808", "0s", "4h0m0s", "1.2.3", "0x", "--1", "+-1", "0xG", "-",
        "--flag=a:b", "10.96.0.10", "127.0.0.1:10248", "https://h:1/p", "Webhook", "2001-12-14", "x#y", "a b",
        "~x", "<<x", "a,b", "e", "E5", ".", "+", "-.5", "0e", "1e", "1.5e-3",
    ];

    /// Quoted scalars and collections written on their key's line.
    const VALUES: &[&str] = &[
        "'0644'", "\"yes\"", "'it''s'", "''", "\"\"", "'a: b'", "\"x, y\"", "{}", "[]", "[a, 'b', \"c\"]",
        "[0644, yes, ~, 1.5]", "[ ]", "[a,]", "[x y, -1]",
    ];

    #[test]
    fn scalars_resolve_as_from_saphyr_events() {
        let mut read = 0;
        for word in SCALARS.iter().chain(VALUES) {
            for text in [
                format!("k: {word}\n"),
                format!("- {word}\n"),
                format!("{word}\n"),
                format!("a:\n  b: {word}\n  c:\n  - {word}\n"),
                format!("k: [{word}, x]\n"),
                format!("{word}: v\n"),
                format!("- {word}: v\n  w: {word}\n"),
            ] {
                read += usize::from(same(&text));
            }
        }
        // Most of them are read here, not handed on.
        assert!(read > 500, "{read} read");
    }

    #[test]
    fn documents_decode_as_from_saphyr_events() {
        for text in [
            "",
            "# only a comment\n\n",
            "---\n",
            "---\na: 1\n",
            "# a header\n---\n\n# c\nkind: Pod\n",
            "a:\n- p\n-\n- - x\n  - y\nb:\n  - q\nc: []\nd: {}\ne:\n",
            "a:\n  - b: 1\n    c:\n    - d\n    -   e: 2\n        f: [g]\n  -\n    h: i\n",
            "-   a: 1\n    b: 2\n- c\n-\n- - - deep\n",
            "k:   v  \n\n\n   \nl: w\n",
            "  a: 1\n  b: 2\n",
            // Repeated keys keep their last value, in small and large
            // mappings, whether spelled alike or resolving alike.
            "k: 1\nk: 2\n",
            "yes: 1\ntrue: 2\nY: 3\n0644: a\n420: b\n~: n\nnull: m\n",
            "b: 1\na: 2\nd: 3\nc: 4\ne: 5\na: 6\nf: 7\n",
            "z: 1\ny: 2\nx: 3\nw: 4\nv: 5\nu: 6\nt: 7\ns: 8\nr: 9\nq: 10\np: 11\no: 12\nm: 13\nz: 14\n",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - command:\n    - etcd\n    - --data-dir=/var/lib/etcd\n    image: registry.k8s.io/etcd:3.5.9-0\n    name: etcd\n  hostNetwork: true\n",
            // Errors are the same, and so is the first of several.
            "a: .inf\n",
            "a: 1\nb:\n  c: [x, .NaN]\n",
            ".inf: 1\n",
            "- .Inf\n- -.inf\n",
        ] {
            assert!(same(text), "not read: {text:?}");
        }
        // A scalar that fails where it stands, in a document that
        // saphyr-parser reads otherwise (a multi-line scalar): declined
        // here, so no error.
        let text = "a: .inf\n  more\n";
        assert_eq!(decode(text), None);
        assert_eq!(super::super::to_json(text), Ok(serde_json::json!({"a": ".inf more"})));
    }

    #[test]
    fn the_node_budget_holds_as_for_saphyr_events() {
        let text = format!("a: [{}x]\n", "x,".repeat(NODE_BUDGET_ITEMS));
        assert!(same(&text));
        assert!(decode(&text).is_some_and(|r| r.is_err_and(|e| e.contains("expands to more than"))));
    }

    /// Enough items in one flow sequence to pass the node budget.
    const NODE_BUDGET_ITEMS: usize = super::super::NODE_BUDGET;

    #[test]
    fn what_is_not_read_here_goes_to_saphyr() {
        for text in [
            "a: {b: 1}\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 0644\n",
            "a: |\n  x\n",
            "<<: {a: 1}\n",
            "\"a\": 1\n",
            "a: 1 # note\n",
            "a:\tb\n",
            "a: é\n",
            "a: 1\r\n",
            "a: 1\n---\nb: 2\n",
            "a: [b, [c]]\n",
            "a: b\n c: d\n",
            "a: [b",
        ] {
            assert!(!same(text), "read: {text:?}");
            assert_eq!(super::super::to_json(text), decode_events(text), "{text:?}");
        }
    }

    /// Every document the fixtures hold and every file of the lab's host
    /// profiles (kubeadm and RKE2 manifests, kubeconfigs, configuration
    /// files, and text that is no YAML at all).
    #[test]
    fn fixture_and_lab_documents_decode_as_from_saphyr_events() {
        let mut texts = fixture_documents();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/profiles")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push(text);
                }
            }
        }
        let read = texts.iter().filter(|text| same(text)).count();
        assert!(texts.len() > 200 && read > 150, "{read} of {} documents read", texts.len());
    }

    const KEYS: &[&str] = &["a", "b", "yes", "true", "0644", "420", "~", "k.io/x", "-k", "z"];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn generated_documents_decode_as_from_saphyr_events(
            node in tree(SCALARS.iter().chain(VALUES).copied().collect(), KEYS, 40, 8),
            style in prop::collection::vec(any::<bool>(), 64),
        ) {
            let mut text = String::new();
            render(&node, 0, &mut style.into_iter(), &mut text);
            same(&text);
        }
    }
}

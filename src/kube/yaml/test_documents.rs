//! Documents for the tests of the readers that must read them as
//! saphyr-parser does (`block`, `values`): those the fixtures hold, and
//! block YAML generated for property tests (a configuration-like tree of
//! words, written in the layouts people and tools use).

use proptest::prelude::*;

/// A configuration-like tree.
#[derive(Clone, Debug)]
pub enum Node {
    Scalar(&'static str),
    Map(Vec<(&'static str, Node)>),
    Seq(Vec<Node>),
}

/// Trees of `words` under `keys`, up to `size` nodes with up to `width`
/// entries per mapping.
pub fn tree(words: Vec<&'static str>, keys: &'static [&'static str], size: u32, width: usize) -> impl Strategy<Value = Node> {
    let leaf = prop::sample::select(words).prop_map(Node::Scalar);
    leaf.prop_recursive(4, size, 4, move |inner| {
        let key = prop::sample::select(keys);
        prop_oneof![
            prop::collection::vec((key, inner.clone()), 1..width).prop_map(Node::Map),
            prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
        ]
    })
}

/// `node` as block YAML at `indent`, in the layouts people and tools
/// use (`style` picks them): sequences at their key's indentation or
/// deeper, compact nested nodes after `- `, and so on.
pub fn render(node: &Node, indent: usize, style: &mut impl Iterator<Item = bool>, out: &mut String) {
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

/// The text of every document the fixtures' saved facts hold.
pub fn fixture_documents() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut texts = Vec::new();
    for dir in std::fs::read_dir(root).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir).unwrap() {
            let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(file.unwrap().path()).unwrap()).unwrap();
            let Some(documents) = saved.pointer("/facts/documents").and_then(|d| d.as_object()) else { continue };
            texts.extend(documents.values().filter_map(|d| Some(d.get("content")?.as_str()?.to_string())));
        }
    }
    texts
}

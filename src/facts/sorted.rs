//! Reading the maps of facts by path or name (files, listings, documents,
//! versions, certificates). serde reads a map by inserting its entries one
//! by one, each insert a search from the root; saved facts list them in
//! order (a `BTreeMap` is written sorted), and a map built at once from its
//! entries is cheaper. The result is the same for any input, sorted or not:
//! of two entries with the same key the later one is kept, as inserting
//! keeps it, and errors are the map reader's own, at the same place.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

pub(super) fn map<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Entries<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a map")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = access.next_entry()? {
                entries.push(entry);
            }
            // A stable sort, then the last of equal keys: `BTreeMap::from_iter`.
            Ok(entries.into_iter().collect())
        }
    }

    deserializer.deserialize_map(Entries(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "map")]
        m: BTreeMap<String, u32>,
    }

    /// What serde's own map reader makes of the same JSON.
    #[derive(Debug, serde::Deserialize)]
    struct Derived {
        m: BTreeMap<String, u32>,
    }

    #[test]
    fn maps_read_as_serde_reads_them() {
        let cases = [
            r#"{"m": {}}"#,
            r#"{"m": {"a": 1, "b": 2, "c": 3}}"#,
            r#"{"m": {"c": 3, "a": 1, "b": 2}}"#,
            r#"{"m": {"a": 1, "b": 2, "a": 3, "b": 4, "a": 5}}"#,
            r#"{"m": {"b": 1, "a": 2, "b": 3}}"#,
            r#"{"m": []}"#,
            r#"{"m": null}"#,
            r#"{"m": {"a": -1}}"#,
            r#"{"m": {"a": 1,}}"#,
            r#"{"m": {"a" 1}}"#,
            r#"{"m": {1: 1}}"#,
        ];
        for json in cases {
            let ours = serde_json::from_str::<Holder>(json).map(|h| h.m).map_err(|e| e.to_string());
            let serde = serde_json::from_str::<Derived>(json).map(|d| d.m).map_err(|e| e.to_string());
            assert_eq!(ours, serde, "{json}");
        }
        let many: String = (0..100).rev().map(|i| format!("\"k{i:03}\": {i}")).collect::<Vec<_>>().join(", ");
        let json = format!("{{\"m\": {{{many}}}}}");
        let ours = serde_json::from_str::<Holder>(&json).unwrap().m;
        assert_eq!(ours, serde_json::from_str::<Derived>(&json).unwrap().m);
        assert_eq!(ours.len(), 100);
    }
}

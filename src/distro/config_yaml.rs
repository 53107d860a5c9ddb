//! The distribution's configuration files: `config.yaml`, then its
//! `config.yaml.d/` drop-ins, merged as k3s's `pkg/configfilearg` merges
//! them (RKE2 uses the same package) and documented in k3s
//! `docs/installation/configuration.md`:
//! - the main file first (when it exists), then the drop-ins whose names end
//!   in `.yaml` or `.yml` (any case), in the order of their file names;
//! - a later value for a key replaces the earlier one; a key written with a
//!   trailing `+` appends to it instead (a scalar counts as a one-item list;
//!   an empty scalar as none);
//! - each file is YAML read by go-yaml v2 (the project's `kube::yaml` reader
//!   resolves scalars the same way: `0644` is the integer 420), and values
//!   become flag text as wrangler's `convert.ToString` spells them: null is
//!   empty, a list stands for its first item, a number is written as Go's
//!   `%v` writes it.
//!
//! Where the project's YAML reader differs from go-yaml here: a key repeated
//! inside one file counts once, with its last value (go-yaml's ordered map
//! would apply both), and a float without a fraction (`1000000.0`) is read
//! as the integer, so it is written `1000000` where k3s writes `1e+06`.

use crate::distro::source::Source;
use crate::kube::yaml;
use saphyr_parser::{Event, Parser};
use serde_json::Value as Json;

/// One configuration file as gathered.
#[derive(Clone, Copy, Debug)]
pub struct ConfigText<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// A value with the file and key that gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub value: String,
    pub source: Source,
}

/// A merged key's value: a scalar becomes one flag, a list one flag per
/// item (an empty list none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigValue {
    Scalar(Item),
    List(Vec<Item>),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: not valid YAML: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: the top level is not a mapping of option names to values")]
    NotAMapping { path: String },
}

/// The drop-in files of a `config.yaml.d` directory listing, in the order
/// k3s reads them (`os.ReadDir` sorts by name).
pub fn drop_in_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = names
        .into_iter()
        .filter(|n| {
            let lower = n.to_ascii_lowercase();
            lower.ends_with(".yaml") || lower.ends_with(".yml")
        })
        .collect();
    names.sort_unstable();
    names
}

/// Merges the files, given in reading order, into keys in the order of
/// their first appearance.
pub fn merge(files: &[ConfigText]) -> Result<Vec<(String, ConfigValue)>, ConfigError> {
    let mut merged: Vec<(String, Raw)> = Vec::new();
    for file in files {
        let syntax = |message: String| ConfigError::Syntax {
            path: file.path.to_string(),
            message,
        };
        let json = yaml::to_json(file.text).map_err(syntax)?;
        let map = match json {
            Json::Object(map) => map,
            Json::Null => continue,
            _ => {
                return Err(ConfigError::NotAMapping {
                    path: file.path.to_string(),
                })
            }
        };
        for written in top_level_keys(file.text).map_err(syntax)? {
            let Some(value) = map.get(&written) else {
                continue;
            };
            let append = written.ends_with('+');
            let key = written.trim_end_matches('+').to_string();
            let new = Raw::from_json(value, file.path, &written);
            match merged.iter_mut().find(|(k, _)| *k == key) {
                Some((_, old)) if append => {
                    let mut items = std::mem::replace(old, Raw::List(Vec::new())).into_items();
                    items.extend(new.into_items());
                    *old = Raw::List(items);
                }
                Some((_, old)) => *old = new,
                None => merged.push((key, new)),
            }
        }
    }
    Ok(merged
        .into_iter()
        .map(|(key, raw)| (key, raw.into_value()))
        .collect())
}

/// A value before it is turned into flag text: appending needs to know a
/// string from a null or a number.
enum Raw {
    Scalar(Json, Source),
    List(Vec<(Json, Source)>),
}

impl Raw {
    fn from_json(value: &Json, path: &str, key: &str) -> Raw {
        let source = |index| Source::ConfigFile {
            path: path.to_string(),
            key: key.to_string(),
            index,
        };
        match value {
            Json::Array(items) => Raw::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.clone(), source(Some(i))))
                    .collect(),
            ),
            other => Raw::Scalar(other.clone(), source(None)),
        }
    }

    /// k3s's `toSlice`: a string is one item, a list its items, anything
    /// else its text unless that is blank.
    fn into_items(self) -> Vec<(Json, Source)> {
        match self {
            Raw::List(items) => items,
            Raw::Scalar(Json::String(s), source) => vec![(Json::String(s), source)],
            Raw::Scalar(other, source) => {
                let text = go_string(&other);
                if text.trim().is_empty() {
                    Vec::new()
                } else {
                    vec![(Json::String(text.trim().to_string()), source)]
                }
            }
        }
    }

    fn into_value(self) -> ConfigValue {
        let item = |(json, source): (Json, Source)| Item {
            value: go_string(&json),
            source,
        };
        match self {
            Raw::Scalar(json, source) => ConfigValue::Scalar(item((json, source))),
            Raw::List(items) => ConfigValue::List(items.into_iter().map(item).collect()),
        }
    }
}

/// wrangler `convert.ToString`: null is empty, a non-empty list stands for
/// its first item, everything else as Go's `fmt.Sprint` writes it.
pub fn go_string(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::Bool(b) => b.to_string(),
        Json::String(s) => s.clone(),
        Json::Number(n) if n.is_f64() => go_float(n.as_f64().unwrap_or(0.0)),
        Json::Number(n) => n.to_string(),
        Json::Array(items) => match items.first() {
            Some(first) => go_string(first),
            None => "[]".into(),
        },
        Json::Object(map) => {
            // fmt prints a map with its keys sorted (serde_json's map is).
            let body: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_sprint(v)))
                .collect();
            format!("map[{}]", body.join(" "))
        }
    }
}

/// `fmt.Sprint` of a nested value (a list prints all its items).
fn go_sprint(value: &Json) -> String {
    match value {
        Json::Null => "<nil>".into(),
        Json::Array(items) => {
            let body: Vec<String> = items.iter().map(go_sprint).collect();
            format!("[{}]", body.join(" "))
        }
        other => go_string(other),
    }
}

/// A float as Go's `%v` writes it: the shortest digits, in exponent form
/// when the exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`).
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return "0".into();
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        format!("{f}")
    }
}

/// The keys of the top-level mapping in the order written.
fn top_level_keys(text: &str) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    // At depth 1 (inside the top mapping), events alternate key, value.
    let mut expect_key = true;
    for event in Parser::new_from_str(text) {
        let (event, _) = event.map_err(|e| e.info().to_string())?;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 1 {
                    expect_key = !expect_key;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            Event::Scalar(text, ..) if depth == 1 => {
                if expect_key {
                    keys.push(text.into_owned());
                }
                expect_key = !expect_key;
            }
            Event::Alias(_) if depth == 1 => expect_key = !expect_key,
            Event::DocumentEnd => break,
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(value: &str, path: &str, key: &str, index: Option<usize>) -> Item {
        Item {
            value: value.into(),
            source: Source::ConfigFile {
                path: path.into(),
                key: key.into(),
                index,
            },
        }
    }

    const MAIN: &str = "/etc/rancher/k3s/config.yaml";
    const D1: &str = "/etc/rancher/k3s/config.yaml.d/test1.yaml";
    const D2: &str = "/etc/rancher/k3s/config.yaml.d/test2.yaml";

    #[test]
    fn the_documented_example_merges_as_documented() {
        // k3s docs/installation/configuration.md, "Multiple Config Files".
        let files = [
            ConfigText {
                path: MAIN,
                text: "token: boop\nnode-label:\n  - foo=bar\n  - bar=baz\n",
            },
            ConfigText {
                path: D1,
                text: "write-kubeconfig-mode: 600\n",
            },
            ConfigText {
                path: D2,
                text: "write-kubeconfig-mode: 777\nnode-label:\n  - other=what\n  - foo=three\n",
            },
        ];
        let merged = merge(&files).unwrap();
        assert_eq!(
            merged,
            [
                (
                    "token".to_string(),
                    ConfigValue::Scalar(item("boop", MAIN, "token", None))
                ),
                (
                    "node-label".to_string(),
                    ConfigValue::List(vec![
                        item("other=what", D2, "node-label", Some(0)),
                        item("foo=three", D2, "node-label", Some(1)),
                    ])
                ),
                (
                    "write-kubeconfig-mode".to_string(),
                    ConfigValue::Scalar(item("777", D2, "write-kubeconfig-mode", None))
                ),
            ]
        );
    }

    #[test]
    fn plus_keys_append_in_order() {
        let files = [
            ConfigText {
                path: MAIN,
                text: "kube-apiserver-arg:\n  - a=1\n  - b=2\nkubelet-arg: one=1\n",
            },
            ConfigText {
                path: D1,
                text: "kube-apiserver-arg+:\n  - c=3\nkubelet-arg+: two=2\nnew+: [x]\n",
            },
            ConfigText {
                path: D2,
                text: "kube-apiserver-arg+: d=4\n",
            },
        ];
        let merged = merge(&files).unwrap();
        assert_eq!(
            merged[0],
            (
                "kube-apiserver-arg".to_string(),
                ConfigValue::List(vec![
                    item("a=1", MAIN, "kube-apiserver-arg", Some(0)),
                    item("b=2", MAIN, "kube-apiserver-arg", Some(1)),
                    item("c=3", D1, "kube-apiserver-arg+", Some(0)),
                    item("d=4", D2, "kube-apiserver-arg+", None),
                ])
            )
        );
        assert_eq!(
            merged[1].1,
            ConfigValue::List(vec![
                item("one=1", MAIN, "kubelet-arg", None),
                item("two=2", D1, "kubelet-arg+", None),
            ])
        );
        // `+` on a key not seen before simply sets it.
        assert_eq!(
            merged[2].1,
            ConfigValue::List(vec![item("x", D1, "new+", Some(0))])
        );
    }

    #[test]
    fn a_plain_key_after_a_plus_key_replaces_and_an_empty_list_clears() {
        let files = [
            ConfigText {
                path: MAIN,
                text: "kubelet-arg: [a=1]\nkubelet-arg+: [b=2]\n",
            },
            ConfigText {
                path: D1,
                text: "kubelet-arg: []\n",
            },
        ];
        assert_eq!(merge(&files).unwrap()[0].1, ConfigValue::List(vec![]));
        let files = [ConfigText {
            path: MAIN,
            text: "kubelet-arg+: [b=2]\nkubelet-arg: [a=1]\n",
        }];
        assert_eq!(
            merge(&files).unwrap()[0].1,
            ConfigValue::List(vec![item("a=1", MAIN, "kubelet-arg", Some(0))])
        );
    }

    #[test]
    fn values_become_flag_text_as_k3s_writes_them() {
        let cases: &[(&str, &str)] = &[
            ("k: true", "true"),
            ("k: yes", "true"),
            ("k: 0644", "420"),
            ("k: \"0644\"", "0644"),
            ("k: 1.5", "1.5"),
            ("k: 1234567.5", "1.2345675e+06"),
            ("k: 0.00001", "1e-05"),
            ("k: 100000.0", "100000"),
            ("k:", ""),
            ("k: ~", ""),
            ("k: {a: 1, b: x}", "map[a:1 b:x]"),
        ];
        for (text, expected) in cases {
            let merged = merge(&[ConfigText { path: MAIN, text }]).unwrap();
            match &merged[0].1 {
                ConfigValue::Scalar(item) => assert_eq!(item.value, *expected, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let merged = merge(&[ConfigText {
            path: MAIN,
            text: "k: [[a, b], 2, null]",
        }])
        .unwrap();
        let ConfigValue::List(items) = &merged[0].1 else {
            panic!()
        };
        let values: Vec<&str> = items.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(values, ["a", "2", ""]);
    }

    #[test]
    fn drop_in_names_filter_and_sort() {
        let names = drop_in_names([
            "b.yaml",
            "a.YML",
            "c.txt",
            "10-x.yml",
            "z.yaml.bak",
            "02-data.Yaml",
        ]);
        assert_eq!(names, ["02-data.Yaml", "10-x.yml", "a.YML", "b.yaml"]);
    }

    #[test]
    fn empty_files_count_for_nothing_and_bad_ones_are_errors() {
        assert_eq!(
            merge(&[ConfigText {
                path: MAIN,
                text: ""
            }])
            .unwrap(),
            []
        );
        assert_eq!(
            merge(&[ConfigText {
                path: MAIN,
                text: "- a\n- b\n"
            }]),
            Err(ConfigError::NotAMapping { path: MAIN.into() })
        );
        assert!(matches!(
            merge(&[ConfigText {
                path: MAIN,
                text: "a: [b\n"
            }]),
            Err(ConfigError::Syntax { .. })
        ));
    }
}

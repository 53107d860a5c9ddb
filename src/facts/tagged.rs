//! Reading file facts, whose JSON form is tagged by a `state` field.
//! serde's internally tagged enums buffer every field of every such object
//! before they look at the tag; a saved host holds dozens of file facts,
//! and that buffering was a third of the cost of loading saved facts. Here each object
//! is read once into a raw form with every field optional, then validated
//! into the typed fact: a field another state has is refused as unknown,
//! a field the state needs as missing, with serde's own words.

use super::{FileFact, FileKind, FileStat};
use serde::{Deserialize, Deserializer};

/// A `state` the object does not allow `field` in.
fn unknown(field: &str) -> String {
    format!("unknown field `{field}`")
}

fn missing(field: &str) -> String {
    format!("missing field `{field}`")
}

/// Refuses the first of `fields` (name, whether it was written) that was
/// written: none of them belongs to the object's state.
fn refuse(fields: &[(&str, bool)]) -> Result<(), String> {
    match fields.iter().find(|(_, written)| *written) {
        Some((field, _)) => Err(unknown(field)),
        None => Ok(()),
    }
}

/// `Some(None)` for a field written as `null`, `None` for one left out: a
/// user or group that is absent and one that is `null` both mean "no name",
/// but only a file that is present may carry them at all.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum FileState {
    Present,
    Missing,
    Error,
}

/// A `FileFact` as written, every field optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFileFact {
    state: FileState,
    kind: Option<FileKind>,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    user: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    group: Option<Option<String>>,
    reason: Option<String>,
}

impl TryFrom<RawFileFact> for FileFact {
    type Error = String;

    fn try_from(raw: RawFileFact) -> Result<FileFact, String> {
        let stat_fields = [
            ("kind", raw.kind.is_some()),
            ("mode", raw.mode.is_some()),
            ("uid", raw.uid.is_some()),
            ("gid", raw.gid.is_some()),
            ("user", raw.user.is_some()),
            ("group", raw.group.is_some()),
        ];
        match raw.state {
            FileState::Present => {
                refuse(&[("reason", raw.reason.is_some())])?;
                Ok(FileFact::Present(FileStat {
                    kind: raw.kind.ok_or_else(|| missing("kind"))?,
                    mode: raw.mode.ok_or_else(|| missing("mode"))?,
                    uid: raw.uid.ok_or_else(|| missing("uid"))?,
                    gid: raw.gid.ok_or_else(|| missing("gid"))?,
                    user: raw.user.flatten(),
                    group: raw.group.flatten(),
                }))
            }
            FileState::Missing => {
                refuse(&stat_fields)?;
                refuse(&[("reason", raw.reason.is_some())])?;
                Ok(FileFact::Missing)
            }
            FileState::Error => {
                refuse(&stat_fields)?;
                Ok(FileFact::Error { reason: raw.reason.ok_or_else(|| missing("reason"))? })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed fact, or serde_json's error, for one JSON object.
    fn read(json: &str) -> Result<FileFact, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn file_facts_read_as_the_derived_reader_read_them() {
        let stat = |user: Option<&str>| {
            FileFact::Present(FileStat {
                kind: FileKind::File,
                mode: 0o600,
                uid: 0,
                gid: 0,
                user: user.map(Into::into),
                group: None,
            })
        };
        let ok = [
            (r#"{"state":"present","kind":"file","mode":384,"uid":0,"gid":0,"user":"root","group":null}"#, stat(Some("root"))),
            // The tag need not come first; names may be absent or null.
            (r#"{"mode":384,"uid":0,"gid":0,"kind":"file","state":"present"}"#, stat(None)),
            (r#"{"state":"present","kind":"file","mode":384,"uid":0,"gid":0,"user":null}"#, stat(None)),
            (r#"{"state":"missing"}"#, FileFact::Missing),
            (r#"{"state":"error","reason":"stat: Permission denied"}"#, FileFact::Error { reason: "stat: Permission denied".into() }),
        ];
        for (json, expected) in ok {
            assert_eq!(read(json), Ok(expected.clone()), "{json}");
            // What is written reads back as itself.
            assert_eq!(read(&serde_json::to_string(&expected).unwrap()), Ok(expected), "{json}");
        }
        let refused = [
            (r#"{"state":"missing","mode":384}"#, "unknown field `mode`"),
            (r#"{"state":"missing","user":null}"#, "unknown field `user`"),
            (r#"{"state":"missing","reason":"x"}"#, "unknown field `reason`"),
            (r#"{"state":"error","reason":"x","gid":0}"#, "unknown field `gid`"),
            (r#"{"state":"error"}"#, "missing field `reason`"),
            (r#"{"state":"present","kind":"file","mode":384,"uid":0}"#, "missing field `gid`"),
            (r#"{"state":"present","kind":"file","mode":384,"uid":0,"gid":0,"reason":"x"}"#, "unknown field `reason`"),
            (r#"{"state":"present","kind":"file","mode":384,"uid":0,"gid":0,"size":1}"#, "unknown field `size`"),
            (r#"{"state":"gone"}"#, "unknown variant `gone`"),
            (r#"{"kind":"file"}"#, "missing field `state`"),
            (r#"{"state":"present","kind":"file","mode":-1,"uid":0,"gid":0}"#, "invalid value"),
        ];
        for (json, needle) in refused {
            let error = read(json).expect_err(json);
            assert!(error.contains(needle), "{json}: {error}");
        }
    }
}

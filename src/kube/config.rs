//! Configuration documents (KubeletConfiguration, etcd's config file, static
//! pod manifests) as Kubernetes decodes them (see `yaml`: `0644` is 420 and
//! `yes` is a bool; JSON is YAML). Also where a fact document is looked up,
//! and what its absence means.

use crate::facts::{Document, Facts};
use crate::kube::yaml;
use serde_json::Value as Json;

/// What the facts say about one document.
#[derive(Debug, PartialEq, Eq)]
pub enum Doc<'f> {
    Text(&'f str),
    /// The host said the file does not exist.
    Missing,
    /// The document could not be collected; the reason reads as a sentence
    /// fragment after the path.
    Unavailable(String),
}

/// Looks a document up. A file inside a directory the plan read is
/// `Missing` when the directory itself was read (it has a listing, or
/// other documents from it) but the file was not among them.
pub fn read<'f>(facts: &'f Facts, path: &str) -> Doc<'f> {
    match facts.documents.get(path) {
        Some(Document::Text {
            truncated: true, ..
        }) => Doc::Unavailable("was cut at the size cap by the host".into()),
        Some(Document::Text { content, .. }) => Doc::Text(content),
        Some(Document::Missing) => Doc::Missing,
        Some(Document::Error { reason }) => {
            Doc::Unavailable(format!("could not be read: {reason}"))
        }
        None => {
            let Some((dir, _)) = path.rsplit_once('/') else {
                return Doc::Unavailable("was not collected".into());
            };
            let dir = if dir.is_empty() { "/" } else { dir };
            let prefix = format!("{}/", dir.trim_end_matches('/'));
            match facts.documents.get(dir) {
                Some(Document::Error { reason }) => {
                    return Doc::Unavailable(format!("could not be read: {dir}: {reason}"))
                }
                Some(Document::Missing) => return Doc::Missing,
                _ => {}
            }
            let dir_read = facts.listings.contains_key(dir)
                || facts.documents.keys().any(|k| {
                    k.strip_prefix(&prefix)
                        .is_some_and(|rest| !rest.contains('/'))
                });
            if dir_read {
                Doc::Missing
            } else {
                Doc::Unavailable("was not collected".into())
            }
        }
    }
}

/// Parses a YAML or JSON document the way Kubernetes does. Evaluation
/// parses a host's documents through its `HostContext`, once each.
pub fn parse(text: &str) -> Result<Json, String> {
    yaml::to_json(text)
}

/// Parses a document that must be of `kind` (an EncryptionConfiguration, an
/// audit Policy): another kind is an error naming the one found.
pub fn parse_kind(text: &str, kind: &str) -> Result<Json, String> {
    let doc = parse(text)?;
    match doc.get("kind").and_then(Json::as_str) {
        Some(found) if found == kind => Ok(doc),
        found => Err(format!(
            "kind is {}, not {kind}",
            found.map_or("absent".to_string(), |k| format!("{k:?}"))
        )),
    }
}

/// The list under a top-level `key`; absent or null is an empty list.
pub fn list<'d>(doc: &'d Json, key: &str) -> Result<&'d [Json], String> {
    match doc.get(key) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(items)) => Ok(items),
        Some(_) => Err(format!("{key} is not a list")),
    }
}

/// Looks up a dotted key path (`authentication.anonymous.enabled`). A null
/// is absent: the decoder leaves the field unset and defaulting fills it.
pub fn lookup<'v>(doc: &'v Json, key: &str) -> Option<&'v Json> {
    let found = key
        .split('.')
        .try_fold(doc, |node, part| node.as_object()?.get(part))?;
    (!found.is_null()).then_some(found)
}

/// The field at a dotted key path as written, null included (what a null
/// means depends on the field: see `defaulting`).
pub fn field<'v>(doc: &'v Json, key: &str) -> Option<&'v Json> {
    key.split('.')
        .try_fold(doc, |node, part| node.as_object()?.get(part))
}

/// The text a config value has when handed to the typed parser: scalars
/// as written, sequences joined with commas, mappings (such as
/// `featureGates`) as `key=value` pairs joined with commas, the way the
/// equivalent flag is written.
pub fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(","),
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", scalar_text(v)))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(yaml: &str, key: &str, expected: Option<&str>) {
        let doc = parse(yaml).unwrap();
        assert_eq!(
            lookup(&doc, key).map(scalar_text).as_deref(),
            expected,
            "{yaml:?} {key}"
        );
    }

    #[test]
    fn decodes_like_kubernetes() {
        case(
            "authentication:\n  anonymous:\n    enabled: false\n",
            "authentication.anonymous.enabled",
            Some("false"),
        );
        case(
            "{\"authentication\": {\"anonymous\": {\"enabled\": false}}}",
            "authentication.anonymous.enabled",
            Some("false"),
        );
        case("readOnlyPort: 15000\n", "readOnlyPort", Some("15000"));
        case("readOnlyPort: 15000\n", "notARealField", None);
        case("readOnlyPort:\n", "readOnlyPort", None);
        case("mode: 0644\n", "mode", Some("420"));
        case(
            "protectKernelDefaults: yes\n",
            "protectKernelDefaults",
            Some("true"),
        );
        case(
            "streamingConnectionIdleTimeout: 0s\n",
            "streamingConnectionIdleTimeout",
            Some("0s"),
        );
        case("tlsCipherSuites: [A, B]\n", "tlsCipherSuites", Some("A,B"));
        case("authorization: Webhook\n", "authorization.mode", None);
        case(
            "featureGates:\n  RotateKubeletServerCertificate: false\n  A: true\n",
            "featureGates",
            Some("A=true,RotateKubeletServerCertificate=false"),
        );
        assert!(parse("broken } yaml\nenabled: [true").is_err());
    }

    #[test]
    fn directory_reads() {
        let mut facts = Facts::default();
        assert_eq!(
            read(&facts, "/etc/kubernetes/manifests/etcd.yaml"),
            Doc::Unavailable("was not collected".into())
        );
        facts.documents.insert(
            "/etc/kubernetes/manifests/kube-apiserver.yaml".into(),
            Document::Text {
                content: "a: 1".into(),
                truncated: false,
            },
        );
        assert_eq!(
            read(&facts, "/etc/kubernetes/manifests/kube-apiserver.yaml"),
            Doc::Text("a: 1")
        );
        assert_eq!(
            read(&facts, "/etc/kubernetes/manifests/etcd.yaml"),
            Doc::Missing
        );
        facts.documents.insert(
            "/etc/kubernetes/pki".into(),
            Document::Error {
                reason: "Permission denied".into(),
            },
        );
        assert_eq!(
            read(&facts, "/etc/kubernetes/pki/x.yaml"),
            Doc::Unavailable("could not be read: /etc/kubernetes/pki: Permission denied".into())
        );
    }
}

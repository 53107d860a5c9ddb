//! The API server's EncryptionConfiguration (apiserver.config.k8s.io/v1),
//! reduced to what an audit needs: for each `resources` entry, the resources
//! it covers and its providers' types in order. Key material never enters
//! this model (the host redacts it before the document leaves, and only
//! provider type names and the KMS API version are read here).
//!
//! The API server encrypts a resource with the first provider of the first
//! entry whose `resources` names it (wildcards `*.*` and `*.` for the core
//! group included), and decrypts with any provider of that entry.

use crate::kube::config;
use serde_json::Value as Json;

/// One `resources[]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub resources: Vec<String>,
    pub providers: Vec<Provider>,
}

/// One provider, by type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    Aescbc,
    Aesgcm,
    Secretbox,
    /// `kms`, with its `apiVersion` (v1 when absent).
    Kms { v2: bool },
    Identity,
    /// A type this model does not know, by name.
    Other(String),
}

impl Provider {
    pub fn label(&self) -> String {
        match self {
            Provider::Aescbc => "aescbc".into(),
            Provider::Aesgcm => "aesgcm".into(),
            Provider::Secretbox => "secretbox".into(),
            Provider::Kms { v2: true } => "kms v2".into(),
            Provider::Kms { v2: false } => "kms v1".into(),
            Provider::Identity => "identity".into(),
            Provider::Other(name) => name.clone(),
        }
    }
}

pub fn parse(text: &str) -> Result<Vec<Rule>, String> {
    let doc = config::parse_kind(text, "EncryptionConfiguration")?;
    let entries = config::list(&doc, "resources")?;
    entries.iter().enumerate().map(|(i, entry)| rule(i, entry)).collect()
}

fn rule(i: usize, entry: &Json) -> Result<Rule, String> {
    let strings = |key: &str| -> Result<Vec<&Json>, String> {
        match entry.get(key) {
            None | Some(Json::Null) => Ok(Vec::new()),
            Some(Json::Array(items)) => Ok(items.iter().collect()),
            Some(_) => Err(format!("resources[{i}].{key} is not a list")),
        }
    };
    let resources = strings("resources")?
        .into_iter()
        .map(|r| r.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or(format!("resources[{i}].resources holds a non-string"))?;
    let providers = strings("providers")?
        .into_iter()
        .enumerate()
        .map(|(j, p)| provider(p).ok_or(format!("resources[{i}].providers[{j}] is not a provider")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Rule { resources, providers })
}

fn provider(value: &Json) -> Option<Provider> {
    let object = value.as_object()?;
    // One key names the type; a well-formed provider has exactly one.
    let (name, body) = object.iter().next()?;
    Some(match name.as_str() {
        "aescbc" => Provider::Aescbc,
        "aesgcm" => Provider::Aesgcm,
        "secretbox" => Provider::Secretbox,
        "identity" => Provider::Identity,
        "kms" => Provider::Kms {
            v2: body.get("apiVersion").and_then(Json::as_str) == Some("v2"),
        },
        other => Provider::Other(other.to_string()),
    })
}

/// The entry that governs a core-group resource such as `secrets`.
pub fn rule_for<'r>(rules: &'r [Rule], resource: &str) -> Option<&'r Rule> {
    rules
        .iter()
        .find(|r| r.resources.iter().any(|n| n == resource || n == "*." || n == "*.*"))
}

/// The rules as an auditor reads them: `secrets: aescbc, identity; configmaps: identity`.
pub fn describe(rules: &[Rule]) -> String {
    if rules.is_empty() {
        return "no resources are configured".into();
    }
    rules
        .iter()
        .map(|r| {
            let providers: Vec<String> = r.providers.iter().map(Provider::label).collect();
            format!("{}: {}", r.resources.join(","), providers.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";

    #[track_caller]
    fn case(body: &str, described: &str, secrets_first: Option<Provider>) {
        let rules = parse(&format!("{HEAD}{body}")).unwrap();
        assert_eq!(describe(&rules), described);
        let first = rule_for(&rules, "secrets").and_then(|r| r.providers.first().cloned());
        assert_eq!(first, secrets_first);
    }

    #[test]
    fn providers_per_resource() {
        case(
            "resources:\n- resources: [secrets, configmaps]\n  providers:\n  - aescbc:\n      keys:\n      - name: k1\n        secret: REDACTED\n  - identity: {}\n",
            "secrets,configmaps: aescbc, identity",
            Some(Provider::Aescbc),
        );
        case(
            "resources:\n- resources: [configmaps]\n  providers: [{secretbox: {keys: []}}]\n- resources: [secrets]\n  providers: [{identity: {}}, {aescbc: {}}]\n",
            "configmaps: secretbox; secrets: identity, aescbc",
            Some(Provider::Identity),
        );
        case(
            "resources:\n- resources: ['*.*']\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///kms.sock\n",
            "*.*: kms v2",
            Some(Provider::Kms { v2: true }),
        );
        case(
            "resources:\n- resources: [secrets]\n  providers: [{kms: {name: old, endpoint: x}}, {aesgcm: {}}]\n",
            "secrets: kms v1, aesgcm",
            Some(Provider::Kms { v2: false }),
        );
        case("resources:\n- resources: [configmaps]\n  providers: [{aescbc: {}}]\n", "configmaps: aescbc", None);
        case("", "no resources are configured", None);
        case("resources:\n- resources: ['*.']\n  providers: [{foo: {}}]\n", "*.: foo", Some(Provider::Other("foo".into())));
    }

    #[test]
    fn malformed() {
        assert!(parse("kind: Pod\n").unwrap_err().contains("not EncryptionConfiguration"));
        assert!(parse(&format!("{HEAD}resources: 3\n")).is_err());
        assert!(parse(&format!("{HEAD}resources:\n- providers: [3]\n")).unwrap_err().contains("providers[0]"));
    }
}

//! Judging configuration documents the API server is pointed at by a flag:
//! its EncryptionConfiguration (CIS 1.2.27, 1.2.28) and its audit policy
//! (CIS 3.2.1). Only provider types and audit levels reach the report.

use super::{Judgement, Verdict};
use crate::benchmark::Setting;
use crate::facts::Facts;
use crate::kube::config::{self, Doc};
use crate::kube::encryption::{self, Provider};
use crate::kube::{self, audit_policy, HostContext, Observation};

/// The frame both tests share. The setting names a document: unset, that
/// is a failure (`unset` says why); a document that cannot be located, read
/// or parsed is an error; otherwise `judge` decides, from the document's
/// path and text, the verdict, what was observed and any notes. The
/// setting's source goes with every verdict but an error locating the
/// document, and its notes with every judged document.
fn judge_named_document(
    host: &HostContext<'_>,
    setting: &Setting,
    expected: String,
    unset: String,
    judge: impl FnOnce(&str, &str) -> Result<(Verdict, String, Vec<String>), String>,
) -> Judgement {
    let observation = match kube::observe(host, setting) {
        Ok(observation) => observation,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let Some(value) = observation.value.as_deref().filter(|v| !v.is_empty()) else {
        let mut judgement = Judgement::new(Verdict::Fail, expected, unset);
        judgement.sources.push(observation.source(setting));
        return judgement;
    };
    let (path, text) = match locate(host.facts, &observation, value) {
        Ok(found) => found,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let mut judgement = match judge(&path, text) {
        Err(e) => Judgement::new(Verdict::Error, expected, format!("{path} could not be parsed: {e}")),
        Ok((verdict, actual, notes)) => {
            let mut judgement = Judgement::new(verdict, expected, actual);
            judgement.notes = notes;
            judgement
        }
    };
    judgement.sources.push(observation.source(setting));
    judgement.notes.extend(observation.notes);
    judgement
}

/// The absolute path and the text of the document a setting's value names.
fn locate<'f>(facts: &'f Facts, observation: &Observation, value: &str) -> Result<(String, &'f str), String> {
    let path = observation.resolve(value)?;
    match config::read(facts, &path) {
        Doc::Text(text) => Ok((path, text)),
        Doc::Missing => Err(format!("{} names {path}, which does not exist", observation.shown)),
        Doc::Unavailable(reason) => Err(format!("{path} {reason}")),
    }
}

const ENCRYPTION_EXPECTED: &str =
    "secrets encrypted first by aescbc, kms v2 or secretbox (kms v1 and aesgcm accepted with a note)";

pub(super) fn judge_encryption(host: &HostContext<'_>, setting: &Setting) -> Judgement {
    let unset = format!("{} runs without {}", setting.component, setting.flag());
    judge_named_document(host, setting, ENCRYPTION_EXPECTED.to_string(), unset, |path, text| {
        let rules = encryption::parse(text)?;
        let actual = format!("{} (in {path})", encryption::describe(&rules));
        let first = encryption::rule_for(&rules, "secrets").and_then(|r| r.providers.first());
        let (verdict, note) = match first {
            None => (Verdict::Fail, Some("no provider is configured for secrets: they are stored unencrypted".to_string())),
            Some(Provider::Identity) => (Verdict::Fail, Some("identity is the first provider for secrets: new secrets are stored unencrypted".to_string())),
            Some(Provider::Aescbc | Provider::Secretbox | Provider::Kms { v2: true }) => (Verdict::Pass, None),
            Some(Provider::Kms { v2: false }) => (Verdict::Pass, Some("KMS v1 is deprecated and disabled by default since Kubernetes 1.29; migrate to KMS v2".to_string())),
            Some(Provider::Aesgcm) => (Verdict::Pass, Some("aesgcm is accepted, but its keys must be rotated every 200,000 writes; prefer kms v2".to_string())),
            Some(Provider::Other(name)) => (Verdict::Fail, Some(format!("{name} is not a provider CIS accepts for secrets"))),
        };
        Ok((verdict, actual, note.into_iter().collect()))
    })
}

pub(super) fn judge_audit_policy(host: &HostContext<'_>, setting: &Setting) -> Judgement {
    let expected = format!("{} names an audit policy with rules that log", setting.flag());
    let unset = format!("{} runs without {}: nothing is audited", setting.component, setting.flag());
    judge_named_document(host, setting, expected, unset, |path, text| {
        let summary = audit_policy::summarize(text)?;
        let levels = if summary.levels.is_empty() {
            "none".to_string()
        } else {
            summary.levels.join(", ")
        };
        let actual = format!("{path}: {} rules, levels used: {levels}", summary.rules);
        let verdict = if summary.logs() { Verdict::Pass } else { Verdict::Fail };
        Ok((verdict, actual, Vec::new()))
    })
}

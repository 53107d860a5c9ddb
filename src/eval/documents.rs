//! Judging configuration documents the API server is pointed at by a flag:
//! its EncryptionConfiguration (CIS 1.2.27, 1.2.28) and its audit policy
//! (CIS 3.2.1). Only provider types and audit levels reach the report.

use super::{Judgement, Verdict};
use crate::benchmark::{Benchmark, Setting};
use crate::facts::Facts;
use crate::kube::config::{self, Doc};
use crate::kube::encryption::{self, Provider};
use crate::kube::{self, audit_policy, kubelet, Observation};

/// The document a path setting names: its observation and, when set, its
/// absolute path and text.
pub(super) enum Named<'f> {
    Unset(Observation),
    Text {
        observation: Observation,
        path: String,
        text: &'f str,
    },
}

pub(super) fn named_document<'f>(
    facts: &'f Facts,
    benchmark: &Benchmark,
    setting: &Setting,
) -> Result<Named<'f>, String> {
    let observation = kube::observe(facts, benchmark, setting)?;
    let Some(value) = observation.value.clone().filter(|v| !v.is_empty()) else {
        return Ok(Named::Unset(observation));
    };
    let path = kubelet::resolve(&value, observation.base_dir.as_deref()).ok_or_else(|| {
        format!(
            "{} names the relative path {value} and the process's working directory is unknown",
            observation.shown
        )
    })?;
    match config::read(facts, &path) {
        Doc::Text(text) => Ok(Named::Text {
            observation,
            path,
            text,
        }),
        Doc::Missing => Err(format!("{} names {path}, which does not exist", observation.shown)),
        Doc::Unavailable(reason) => Err(format!("{path} {reason}")),
    }
}

const ENCRYPTION_EXPECTED: &str =
    "secrets encrypted first by aescbc, kms v2 or secretbox (kms v1 and aesgcm accepted with a note)";

pub(super) fn judge_encryption(facts: &Facts, benchmark: &Benchmark, setting: &Setting) -> Judgement {
    let expected = ENCRYPTION_EXPECTED.to_string();
    let named = match named_document(facts, benchmark, setting) {
        Ok(named) => named,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let (observation, path, text) = match named {
        Named::Unset(observation) => {
            let actual = format!("{} runs without {}", setting.component, setting.flag());
            let mut judgement = Judgement::new(Verdict::Fail, expected, actual);
            judgement.sources.push(observation.source(setting));
            return judgement;
        }
        Named::Text { observation, path, text } => (observation, path, text),
    };
    let mut judgement = match encryption::parse(text) {
        Err(e) => Judgement::new(
            Verdict::Error,
            expected,
            format!("{path} could not be parsed: {e}"),
        ),
        Ok(rules) => {
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
            let mut judgement = Judgement::new(verdict, expected, actual);
            judgement.notes.extend(note);
            judgement
        }
    };
    judgement.sources.push(observation.source(setting));
    judgement.notes.extend(observation.notes);
    judgement
}

pub(super) fn judge_audit_policy(facts: &Facts, benchmark: &Benchmark, setting: &Setting) -> Judgement {
    let expected = format!("{} names an audit policy with rules that log", setting.flag());
    let named = match named_document(facts, benchmark, setting) {
        Ok(named) => named,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let (observation, path, text) = match named {
        Named::Unset(observation) => {
            let actual = format!("{} runs without {}: nothing is audited", setting.component, setting.flag());
            let mut judgement = Judgement::new(Verdict::Fail, expected, actual);
            judgement.sources.push(observation.source(setting));
            return judgement;
        }
        Named::Text { observation, path, text } => (observation, path, text),
    };
    let mut judgement = match audit_policy::summarize(text) {
        Err(e) => Judgement::new(Verdict::Error, expected, format!("{path} could not be parsed: {e}")),
        Ok(summary) => {
            let levels = if summary.levels.is_empty() {
                "none".to_string()
            } else {
                summary.levels.join(", ")
            };
            let actual = format!("{path}: {} rules, levels used: {levels}", summary.rules);
            Judgement::passed(summary.logs(), expected, actual)
        }
    };
    judgement.sources.push(observation.source(setting));
    judgement.notes.extend(observation.notes);
    judgement
}

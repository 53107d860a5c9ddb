//! CIS 2.7: etcd must trust a CA of its own, not the cluster's. Decided by
//! comparing the fingerprints the host computed for the two CA files, never
//! by the paths or by a flag's presence.

use super::{Judgement, Verdict};
use crate::benchmark::Setting;
use crate::facts::CertFact;
use crate::kube::{self, HostContext};
use crate::outcome::Source;

/// One side of the comparison: which file a setting names, and its fingerprint.
struct Side {
    label: String,
    path: String,
    fact: CertFact,
}

fn side(host: &HostContext<'_>, setting: &Setting, sources: &mut Vec<Source>) -> Result<Option<Side>, String> {
    let observation = kube::observe(host, setting)?;
    sources.push(observation.source(setting));
    let Some(value) = observation.value.clone().filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let path = observation.resolve(&value)?;
    let fact = host
        .facts
        .certificates
        .get(&path)
        .cloned()
        .ok_or_else(|| format!("{setting} {path} was not fingerprinted on the host"))?;
    Ok(Some(Side { label: setting.to_string(), path, fact }))
}

fn short(sha256: &str) -> String {
    format!("{}…", sha256.get(..11).unwrap_or(sha256))
}

pub(super) fn judge_distinct_ca(host: &HostContext<'_>, ca: &Setting, other: &Setting) -> Judgement {
    let expected = format!("{} is a different CA certificate than {}", ca.flag(), other);
    let mut sources = Vec::new();
    let result = (|| -> Result<Judgement, String> {
        let Some(ca_side) = side(host, ca, &mut sources)? else {
            let actual = format!("{} runs without {}", ca.component, ca.flag());
            return Ok(Judgement::new(Verdict::Fail, expected.clone(), actual));
        };
        let Some(other_side) = side(host, other, &mut sources)? else {
            let actual = format!("{} runs without {}; nothing to compare with", other.component, other.flag());
            return Ok(Judgement::new(Verdict::Error, expected.clone(), actual));
        };
        let print = |s: &Side| -> Result<(crate::facts::FingerprintMethod, String), String> {
            match &s.fact {
                CertFact::Fingerprint { method, sha256 } => Ok((*method, sha256.clone())),
                CertFact::Missing => Err(format!("{} {} does not exist", s.label, s.path)),
                CertFact::Error { reason } => Err(format!("{} {} could not be fingerprinted: {reason}", s.label, s.path)),
            }
        };
        let (m1, f1) = print(&ca_side)?;
        let (m2, f2) = print(&other_side)?;
        if m1 != m2 {
            return Err(format!(
                "{} and {} were fingerprinted differently ({}, {}) and cannot be compared",
                ca_side.path, other_side.path, m1.describe(), m2.describe()
            ));
        }
        let same = f1 == f2;
        let actual = format!(
            "{} {} ({} {}) {} {} {} ({})",
            ca_side.label,
            ca_side.path,
            m1.describe(),
            short(&f1),
            if same { "is the same certificate as" } else { "differs from" },
            other_side.label,
            other_side.path,
            short(&f2),
        );
        Ok(Judgement::passed(!same, expected.clone(), actual))
    })();
    let mut judgement = result.unwrap_or_else(|reason| Judgement::new(Verdict::Error, expected.clone(), reason));
    for source in sources {
        if !judgement.sources.contains(&source) {
            judgement.sources.push(source);
        }
    }
    judgement
}

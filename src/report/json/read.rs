//! Reading a JSON report (schema `hardbench.report/v1`) back into the
//! domain's `Report`: for `hardbench diff`, `run --baseline` and
//! `hardbench report`. The reader mirrors the writer's structs (`json.rs`,
//! and `json/diff.rs` for the `diff` a report holds under `--baseline`),
//! field by field, and takes every name (status, role, error kind, effect,
//! `fail_on`, diff category and side) from the writer's own tables, so the
//! two cannot drift apart unseen.
//!
//! Strict where it matters: a file that is not a regular file, not JSON,
//! not of this schema, with a value of the wrong type or a name the schema
//! does not have is refused, and so is one that contradicts itself (a
//! host's `status` and `error`, two hosts of one name, a result pointing at
//! a waiver or attestation the report does not have, `fail_on` regression
//! without a diff); the error names the file and, as serde_json gives them,
//! the line and column, or else our JSON path. Fields it
//! does not know are ignored: v1 may gain fields, and a newer writer's
//! report must stay readable.
//!
//! What the JSON does not hold, and so the `Report` read back does not
//! either: the durations below a millisecond (`duration_ms`); which signal
//! interrupted a run whose report was also missing (`exit_code` 4 outranks
//! 130 and 143: `interrupted_by` is then `None`). `report_missing` and
//! `interrupted_by` are otherwise recovered from `exit_code`. Not read,
//! because they are derived when the report is written: the summaries, the
//! top-level `benchmark`, each rule's `state` and `covered`, and what a
//! result's `waiver` or `attestation` repeats of its rule (its `index` and
//! `effect` are read, and must point at a rule of the report); the day the
//! rules were judged on is the date of `started_at`, as `run` takes it.
//! A report written before `invocation`, `waivers`, `attestations`,
//! `fail_on`, `diff` and the results' `verdict` were added to v1 reads as
//! one without them (a result's verdict is then its status).

use super::diff::{category, side};
use super::{effect, error_kind, fail_on, role, status, SCHEMA};
use crate::component::Role;
use crate::evidence::EvidenceError;
use crate::facts::{Impostor, StartedBy};
use crate::outcome::diff::{self as domain_diff, Category, FailOn, Side};
use crate::outcome::{self, Effect, Report, Status};
use crate::transport::{HostErrorKind, HostKeyInfo};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::{Deserializer, Error as _, IgnoredAny, Unexpected};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why a file is not a report this reader accepts.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Missing, unreadable, or not a regular file (a FIFO is refused
    /// before it can block the read).
    #[error(transparent)]
    File(EvidenceError),
    /// Not JSON, or JSON of the wrong shape: serde_json's message says
    /// what and where (line and column).
    #[error("{}: not a hardbench JSON report: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Not a JSON object at the top level (a sequence would otherwise be
    /// read as a struct's fields in order).
    #[error("{}: not a hardbench JSON report: the top level is not a JSON object", path.display())]
    NotAnObject { path: PathBuf },
    /// JSON, but of another schema (or none).
    #[error("{}: not a hardbench JSON report: schema {}, expected \"{SCHEMA}\"", path.display(), found.as_deref().map_or("missing".to_owned(), |s| format!("{s:?}")))]
    Schema { path: PathBuf, found: Option<String> },
    /// Well-typed, but inconsistent: `at` is the JSON path.
    #[error("{}: {at}: {message}", path.display())]
    Invalid { path: PathBuf, at: String, message: String },
}

/// Reads the JSON report at `path`.
pub fn read(path: &Path) -> Result<Report, ReadError> {
    let bytes = crate::evidence::read_regular(path).map_err(ReadError::File)?;
    from_slice(&bytes, path)
}

/// Reads a JSON report from `bytes`; `path` names it in errors.
pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Report, ReadError> {
    let json = |source| ReadError::Json { path: path.to_path_buf(), source };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&first| first != b'{') {
        return Err(ReadError::NotAnObject { path: path.to_path_buf() });
    }
    let wrong_schema = |schema: Option<String>| {
        (schema.as_deref() != Some(SCHEMA)).then(|| ReadError::Schema { path: path.to_path_buf(), found: schema })
    };
    let mut document: Document = match serde_json::from_slice(bytes) {
        Ok(document) => document,
        // A file of another kind is named as such, not by the first field
        // it happens to lack: its schema is read alone (a second parse, only
        // when the first failed).
        Err(error) => {
            let Schema { schema } = serde_json::from_slice(bytes).map_err(json)?;
            return Err(wrong_schema(schema).unwrap_or_else(|| json(error)));
        }
    };
    if let Some(error) = wrong_schema(document.schema.take()) {
        return Err(error);
    }
    document.into_report().map_err(|(at, message)| ReadError::Invalid { path: path.to_path_buf(), at, message })
}

#[derive(Deserialize)]
struct Schema {
    schema: Option<String>,
}

// The fields added to v1 after its first release (`invocation`, `waivers`,
// `attestations`, `fail_on`, `diff`; per result `verdict`, `waiver`,
// `attestation`, `automated_verdict`) may be absent: a report written before
// them reads as one without them.
#[derive(Deserialize)]
struct Document {
    schema: Option<String>,
    hardbench: Tool,
    #[serde(default)]
    invocation: Option<Invocation>,
    started_at: Time,
    finished_at: Time,
    hosts: Vec<Host>,
    #[serde(default)]
    waivers: Vec<WaiverRule>,
    #[serde(default)]
    attestations: Vec<AttestationRule>,
    #[serde(default)]
    fail_on: Option<Named<FailOn>>,
    #[serde(default)]
    diff: Option<Diff>,
    exit_code: u8,
    // Derived from the hosts when the report is written: not read back.
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
    #[serde(rename = "benchmark")]
    _benchmark: IgnoredAny,
}

#[derive(Deserialize)]
struct Invocation {
    command: String,
    benchmark: String,
    level: Option<u8>,
    check: Vec<String>,
    skip: Vec<String>,
    limit: Vec<String>,
    inventory: Option<InputFile>,
    facts: Option<String>,
    waivers: Option<InputFile>,
    attestations: Option<InputFile>,
    user: String,
    machine: String,
    // Added with `--shard` and `hardbench merge`.
    #[serde(default)]
    shard: Option<Shard>,
    #[serde(default)]
    merged: Vec<InputFile>,
}

#[derive(Deserialize)]
struct Shard {
    index: u32,
    count: u32,
}

#[derive(Deserialize)]
struct InputFile {
    path: String,
    sha256: String,
}

#[derive(Deserialize)]
struct WaiverRule {
    index: usize,
    file: String,
    line: usize,
    checks: Vec<String>,
    hosts: Vec<String>,
    roles: Vec<Named<Role>>,
    reason: String,
    approved_by: String,
    expires: Date,
    // Derived from the results when the report is written.
    #[serde(rename = "state")]
    _state: IgnoredAny,
    #[serde(rename = "covered")]
    _covered: IgnoredAny,
}

#[derive(Deserialize)]
struct AttestationRule {
    index: usize,
    file: String,
    line: usize,
    checks: Vec<String>,
    hosts: Vec<String>,
    roles: Vec<Named<Role>>,
    result: Named<Status>,
    attested_by: String,
    date: Date,
    expires: Date,
    evidence: String,
    #[serde(rename = "state")]
    _state: IgnoredAny,
    #[serde(rename = "covered")]
    _covered: IgnoredAny,
}

/// A result's `waiver` or `attestation`: only the index and the effect are
/// its own; the rest repeats the rule's.
#[derive(Deserialize)]
struct Covered {
    index: usize,
    effect: Named<Effect>,
}

/// The body of a hardbench.diff/v1 document (`json/diff.rs`).
#[derive(Deserialize)]
struct Diff {
    old: Compared,
    new: Compared,
    hosts: Vec<DiffHost>,
    hosts_added: Vec<String>,
    hosts_removed: Vec<String>,
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
}

#[derive(Deserialize)]
struct Compared {
    path: Option<String>,
    started_at: Time,
    hardbench_version: String,
}

#[derive(Deserialize)]
struct DiffHost {
    name: String,
    incomparable: Option<WholeHost>,
    still_passing: usize,
    checks: Vec<DiffCheck>,
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum WholeHost {
    Unaudited { old: Option<HostError>, new: Option<HostError> },
    Benchmark { old: Option<String>, new: Option<String> },
}

#[derive(Deserialize)]
struct DiffCheck {
    id: String,
    title: String,
    category: Named<Category>,
    incomparable: Option<Why>,
    old: Option<Seen>,
    new: Option<Seen>,
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
enum Why {
    Missing { side: Named<Side> },
    NoVerdict { side: Named<Side> },
}

#[derive(Deserialize)]
struct Seen {
    status: Named<Status>,
    verdict: Named<Status>,
}

#[derive(Deserialize)]
struct Tool {
    version: String,
}

#[derive(Deserialize)]
struct Benchmark {
    id: String,
    title: String,
    sha256: String,
    selected_by: String,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum HostStatus {
    Ok,
    Error,
}

#[derive(Deserialize)]
struct Host {
    name: String,
    address: String,
    port: u16,
    roles: Vec<Named<Role>>,
    roles_detected: bool,
    /// Left out when empty.
    #[serde(default)]
    notes: Vec<String>,
    status: HostStatus,
    error: Option<HostError>,
    user: String,
    sudo: bool,
    effective_user: Option<String>,
    reported_hostname: Option<String>,
    machine_id: Option<String>,
    host_key: Option<HostKeyInfo>,
    benchmark: Option<Benchmark>,
    kubernetes_version: Option<String>,
    kubernetes_version_source: Option<String>,
    impostor_processes: Vec<ImpostorProcess>,
    started_at: Time,
    duration_ms: u64,
    results: Vec<CheckResult>,
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
}

#[derive(Deserialize)]
struct ImpostorProcess {
    component: String,
    pid: u32,
    uid: Option<u32>,
    argv0: String,
    cgroup: Option<String>,
    started_by: Option<StartedBy>,
    reason: String,
}

#[derive(Deserialize)]
struct HostError {
    kind: Named<HostErrorKind>,
    message: String,
}

#[derive(Deserialize)]
struct CheckResult {
    id: String,
    title: String,
    section: String,
    target: Named<Role>,
    automated: bool,
    scored: bool,
    level: u8,
    status: Named<Status>,
    #[serde(default)]
    verdict: Option<Named<Status>>,
    #[serde(default)]
    automated_verdict: Option<Named<Status>>,
    #[serde(default)]
    waiver: Option<Covered>,
    #[serde(default)]
    attestation: Option<Covered>,
    expected: String,
    actual: String,
    sources: Vec<Source>,
    notes: Vec<String>,
    remediation: String,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Source {
    Flag { component: String, flag: String },
    ConfigFile { path: String, key: String },
    Env { component: String, name: String },
    Manifest { path: String, flag: String },
    Default { component: String, reference: String },
    Unset { component: String },
    File { path: String },
}

/// A name of the schema, read back through the writer's own table.
struct Named<T>(T);

trait SchemaName: Copy + 'static {
    const ALL: &'static [Self];
    fn schema_name(self) -> &'static str;
}

/// Each type, read back through the writer's function that names its values.
macro_rules! schema_names {
    ($($type:ty => $name:ident),* $(,)?) => {$(
        impl SchemaName for $type {
            const ALL: &'static [Self] = &<$type>::ALL;
            fn schema_name(self) -> &'static str {
                $name(self)
            }
        }
    )*};
}

schema_names! {
    Status => status,
    Role => role,
    Effect => effect,
    FailOn => fail_on,
    Category => category,
    Side => side,
    HostErrorKind => error_kind,
}

impl<'de, T: SchemaName> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        T::ALL.iter().copied().find(|value| value.schema_name() == name).map(Named).ok_or_else(|| {
            let names: Vec<&str> = T::ALL.iter().map(|value| value.schema_name()).collect();
            D::Error::invalid_value(Unexpected::Str(&name), &format!("one of {}", names.join(", ")).as_str())
        })
    }
}

/// An RFC 3339 time, as the writer's `timestamp` writes it.
struct Time(DateTime<FixedOffset>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(Time)
            .map_err(|_| D::Error::invalid_value(Unexpected::Str(&text), &"an RFC 3339 time"))
    }
}

/// A date as the writer writes it: `YYYY-MM-DD`.
struct Date(NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| D::Error::invalid_value(Unexpected::Str(&text), &"a date, YYYY-MM-DD"))
    }
}

/// A JSON path and what is wrong there.
type Problem = (String, String);

impl Document {
    fn into_report(self) -> Result<Report, Problem> {
        let waivers = self
            .waivers
            .into_iter()
            .enumerate()
            .map(|(index, rule)| rule.into_domain(&format!("waivers[{index}]"), index))
            .collect::<Result<Vec<_>, _>>()?;
        let attestations = self
            .attestations
            .into_iter()
            .enumerate()
            .map(|(index, rule)| rule.into_domain(&format!("attestations[{index}]"), index))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = Rules { waivers: waivers.len(), attestations: attestations.len() };
        let mut names = std::collections::HashMap::new();
        let mut hosts = Vec::with_capacity(self.hosts.len());
        for (index, host) in self.hosts.into_iter().enumerate() {
            let at = format!("hosts[{index}]");
            if let Some(first) = names.insert(host.name.clone(), index) {
                return Err((format!("{at}.name"), format!("{:?} is also hosts[{first}]'s name", host.name)));
            }
            hosts.push(host.into_domain(&at, &rules)?);
        }
        let fail_on = self.fail_on.map_or(FailOn::Fail, |named| named.0);
        let baseline = match (self.diff, fail_on) {
            (Some(diff), fail_on) => Some(domain_diff::Baseline { diff: diff.into_domain("diff")?, fail_on }),
            (None, FailOn::Fail) => None,
            (None, FailOn::Regression) => {
                return Err(("fail_on".into(), "\"regression\" without a diff: it needs a baseline".into()))
            }
        };
        // The exit code holds what the JSON has no field for; 4 outranks an
        // interrupt, which is then lost.
        let report_missing = self.exit_code == outcome::ExitCode::ReportMissing.code();
        let interrupted_by = [libc::SIGINT, libc::SIGTERM]
            .into_iter()
            .find(|&signal| outcome::ExitCode::Interrupted { signal }.code() == self.exit_code);
        Ok(Report {
            hardbench_version: self.hardbench.version,
            invocation: self.invocation.map(Invocation::into_domain).transpose()?.unwrap_or_default(),
            waivers,
            attestations,
            // Rules are judged on the local date the run started.
            review_date: self.started_at.0.date_naive(),
            started_at: self.started_at.0,
            finished_at: self.finished_at.0,
            hosts,
            interrupted_by,
            report_missing,
            baseline,
        })
    }
}

/// What a result's `waiver` and `attestation` may point at.
struct Rules {
    waivers: usize,
    attestations: usize,
}

impl Invocation {
    fn into_domain(self) -> Result<outcome::Invocation, Problem> {
        let file = |file: Option<InputFile>| file.map(|f| outcome::InputFile { path: f.path, sha256: f.sha256 });
        let shard = match self.shard {
            None => None,
            Some(Shard { index, count }) => {
                Some(crate::shard::Shard::new(index, count).map_err(|why| ("invocation.shard".to_string(), why))?)
            }
        };
        Ok(outcome::Invocation {
            command: self.command,
            benchmark: self.benchmark,
            level: self.level,
            check: self.check,
            skip: self.skip,
            limit: self.limit,
            inventory: file(self.inventory),
            facts: self.facts,
            waivers: file(self.waivers),
            attestations: file(self.attestations),
            user: self.user,
            machine: self.machine,
            shard,
            merged: self.merged.into_iter().map(|f| outcome::InputFile { path: f.path, sha256: f.sha256 }).collect(),
        })
    }
}

/// A rule's `index` must be its place in the list: results point at it.
fn in_place(at: &str, index: usize, place: usize) -> Result<(), Problem> {
    if index == place {
        Ok(())
    } else {
        Err((format!("{at}.index"), format!("{index}, but it is rule {place} of the list")))
    }
}

impl WaiverRule {
    fn into_domain(self, at: &str, place: usize) -> Result<outcome::Waiver, Problem> {
        in_place(at, self.index, place)?;
        Ok(outcome::Waiver {
            scope: outcome::Scope::new(self.checks, self.hosts, self.roles.into_iter().map(|role| role.0).collect()),
            reason: self.reason,
            approved_by: self.approved_by,
            expires: self.expires.0,
            origin: outcome::Origin { file: self.file.into(), line: self.line },
        })
    }
}

impl AttestationRule {
    fn into_domain(self, at: &str, place: usize) -> Result<outcome::Attestation, Problem> {
        in_place(at, self.index, place)?;
        if !matches!(self.result.0, Status::Pass | Status::Fail) {
            return Err((format!("{at}.result"), format!("{}: an attestation is pass or fail", self.result.0)));
        }
        Ok(outcome::Attestation {
            scope: outcome::Scope::new(self.checks, self.hosts, self.roles.into_iter().map(|role| role.0).collect()),
            result: self.result.0,
            attested_by: self.attested_by,
            date: self.date.0,
            expires: self.expires.0,
            evidence: self.evidence,
            origin: outcome::Origin { file: self.file.into(), line: self.line },
        })
    }
}

impl Covered {
    fn into_domain(self, at: &str, rules: usize, list: &str) -> Result<outcome::Covered, Problem> {
        if self.index >= rules {
            return Err((format!("{at}.index"), format!("{}: the report has {rules} {list}", self.index)));
        }
        Ok(outcome::Covered { index: self.index, effect: self.effect.0 })
    }
}

impl Diff {
    fn into_domain(self, at: &str) -> Result<domain_diff::Diff, Problem> {
        let hosts = self
            .hosts
            .into_iter()
            .enumerate()
            .map(|(index, host)| host.into_domain(&format!("{at}.hosts[{index}]")))
            .collect::<Result<_, _>>()?;
        Ok(domain_diff::Diff {
            old: self.old.into_domain(),
            new: self.new.into_domain(),
            hosts,
            hosts_added: self.hosts_added,
            hosts_removed: self.hosts_removed,
        })
    }
}

impl Compared {
    fn into_domain(self) -> domain_diff::Compared {
        domain_diff::Compared {
            path: self.path.map(Into::into),
            started_at: self.started_at.0,
            hardbench_version: self.hardbench_version,
        }
    }
}

impl DiffHost {
    fn into_domain(self, at: &str) -> Result<domain_diff::HostDiff, Problem> {
        let error = |error: Option<HostError>| error.map(|e| crate::transport::HostError::new(e.kind.0, e.message));
        let checks = self
            .checks
            .into_iter()
            .enumerate()
            .map(|(index, check)| check.into_domain(&format!("{at}.checks[{index}]")))
            .collect::<Result<_, _>>()?;
        Ok(domain_diff::HostDiff {
            name: self.name,
            incomparable: self.incomparable.map(|whole| match whole {
                WholeHost::Unaudited { old, new } => {
                    domain_diff::HostIncomparable::Unaudited { old: error(old), new: error(new) }
                }
                WholeHost::Benchmark { old, new } => domain_diff::HostIncomparable::Benchmark { old, new },
            }),
            checks,
            still_passing: self.still_passing,
        })
    }
}

impl DiffCheck {
    fn into_domain(self, at: &str) -> Result<domain_diff::CheckDiff, Problem> {
        let incomparable = self.incomparable.map(|why| match why {
            Why::Missing { side } => domain_diff::Incomparable::Missing { side: side.0 },
            Why::NoVerdict { side } => domain_diff::Incomparable::NoVerdict { side: side.0 },
        });
        if (self.category.0 == Category::Incomparable) != incomparable.is_some() {
            return Err((format!("{at}.incomparable"), format!("set exactly when the category is incomparable, not {}", self.category.0)));
        }
        let seen = |seen: Option<Seen>| seen.map(|s| domain_diff::Seen { status: s.status.0, verdict: s.verdict.0 });
        Ok(domain_diff::CheckDiff {
            id: self.id,
            title: self.title,
            category: self.category.0,
            incomparable,
            old: seen(self.old),
            new: seen(self.new),
        })
    }
}

impl Host {
    fn into_domain(self, at: &str, rules: &Rules) -> Result<outcome::HostReport, Problem> {
        let result = match (self.status, self.error) {
            (HostStatus::Ok, None) => {
                let results = self.results.into_iter().enumerate().map(|(index, result)| {
                    result.into_domain(&format!("{at}.results[{index}]"), rules)
                });
                Ok(results.collect::<Result<_, _>>()?)
            }
            (HostStatus::Error, Some(error)) if self.results.is_empty() => {
                Err(crate::transport::HostError::new(error.kind.0, error.message))
            }
            (HostStatus::Error, Some(_)) => {
                return Err((format!("{at}.results"), "a host that could not be audited has no results".into()))
            }
            (HostStatus::Ok, Some(_)) => return Err((format!("{at}.error"), "set on a host whose status is \"ok\"".into())),
            (HostStatus::Error, None) => return Err((format!("{at}.error"), "null on a host whose status is \"error\"".into())),
        };
        Ok(outcome::HostReport {
            name: self.name,
            address: self.address,
            port: self.port,
            roles: self.roles.into_iter().map(|role| role.0).collect(),
            roles_detected: self.roles_detected,
            user: self.user,
            sudo: self.sudo,
            effective_user: self.effective_user,
            reported_hostname: self.reported_hostname,
            machine_id: self.machine_id,
            host_key: self.host_key,
            benchmark: self.benchmark.map(|b| outcome::BenchmarkInfo {
                id: b.id,
                title: b.title,
                sha256: b.sha256,
                selected_by: b.selected_by,
            }),
            kubernetes_version: self.kubernetes_version,
            kubernetes_version_source: self.kubernetes_version_source,
            impostors: self.impostor_processes.into_iter().map(Impostor::from).collect(),
            started_at: self.started_at.0,
            duration: Duration::from_millis(self.duration_ms),
            result,
            notes: self.notes,
        })
    }
}

impl From<ImpostorProcess> for Impostor {
    fn from(p: ImpostorProcess) -> Self {
        Impostor {
            component: p.component,
            pid: p.pid,
            uid: p.uid,
            argv0: p.argv0,
            cgroup: p.cgroup,
            started_by: p.started_by,
            reason: p.reason,
        }
    }
}

impl CheckResult {
    fn into_domain(self, at: &str, rules: &Rules) -> Result<outcome::CheckResult, Problem> {
        if !(1..=2).contains(&self.level) {
            return Err((format!("{at}.level"), format!("{}: a CIS profile level is 1 or 2", self.level)));
        }
        let waiver = self.waiver.map(|c| c.into_domain(&format!("{at}.waiver"), rules.waivers, "waivers")).transpose()?;
        let attestation = self
            .attestation
            .map(|c| c.into_domain(&format!("{at}.attestation"), rules.attestations, "attestations"))
            .transpose()?;
        Ok(outcome::CheckResult {
            verdict: self.verdict.map_or(self.status.0, |verdict| verdict.0),
            waiver,
            attestation,
            id: Arc::from(self.id),
            title: Arc::from(self.title),
            section: Arc::from(self.section),
            target: self.target.0,
            automated: self.automated,
            scored: self.scored,
            level: self.level,
            remediation: Arc::from(self.remediation),
            outcome: outcome::Outcome {
                status: self.status.0,
                expected: self.expected,
                actual: self.actual,
                sources: self.sources.into_iter().map(outcome::Source::from).collect(),
                notes: self.notes,
                automated_verdict: self.automated_verdict.map(|verdict| verdict.0),
            },
        })
    }
}

impl From<Source> for outcome::Source {
    fn from(source: Source) -> Self {
        match source {
            Source::Flag { component, flag } => outcome::Source::Flag { component, flag },
            Source::ConfigFile { path, key } => outcome::Source::ConfigFile { path, key },
            Source::Env { component, name } => outcome::Source::Env { component, name },
            Source::Manifest { path, flag } => outcome::Source::Manifest { path, flag },
            Source::Default { component, reference } => outcome::Source::Default { component, reference },
            Source::Unset { component } => outcome::Source::Unset { component },
            Source::File { path } => outcome::Source::File { path },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{json, sample};
    use serde_json::{json, Value};

    fn written(report: &Report) -> Vec<u8> {
        let mut out = Vec::new();
        json::write(report, &mut out).unwrap();
        out
    }

    fn edited(report: &Report, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut doc: Value = serde_json::from_slice(&written(report)).unwrap();
        edit(&mut doc);
        serde_json::to_vec_pretty(&doc).unwrap()
    }

    fn refused(bytes: &[u8]) -> String {
        from_slice(bytes, Path::new("old.json")).unwrap_err().to_string()
    }

    /// A report read back equals the one written: everything the JSON
    /// holds comes back (the sample's durations are whole milliseconds).
    #[test]
    fn a_written_report_reads_back_equal() {
        for report in [sample::report(), sample::hostile(), sample::run(Vec::new())] {
            assert_eq!(from_slice(&written(&report), Path::new("r.json")).unwrap(), report);
        }
        let mut impostor = sample::report();
        impostor.hosts[0].impostors = vec![sample::impostor()];
        impostor.hosts[1].notes = vec!["roles differ".into()];
        assert_eq!(from_slice(&written(&impostor), Path::new("r.json")).unwrap(), impostor);
        let reviewed = reviewed();
        assert_eq!(from_slice(&written(&reviewed), Path::new("r.json")).unwrap(), reviewed);
    }

    /// The sample run with everything added to v1 since: the invocation, a
    /// waiver applied and one that expired, an attestation that decided a
    /// manual check, what automated evaluation said of a manual check, and
    /// the diff against a baseline under `--fail-on regression`.
    fn reviewed() -> Report {
        let mut report = sample::report();
        let file = |path: &str| Some(outcome::InputFile { path: path.into(), sha256: "ab".repeat(32) });
        report.invocation = outcome::Invocation {
            command: "evaluate".into(),
            benchmark: "cis-1.12".into(),
            level: Some(2),
            check: vec!["1".into(), "4.2.*".into()],
            skip: vec!["1.1.12".into()],
            limit: vec!["cp-good".into()],
            inventory: file("inventory.toml"),
            facts: Some("facts/".into()),
            waivers: file("waivers.toml"),
            attestations: file("attested.toml"),
            user: "auditor".into(),
            machine: "bastion".into(),
            shard: Some(crate::shard::Shard { index: 1, count: 3 }),
            merged: vec![outcome::InputFile { path: "shard-1.json".into(), sha256: "cd".repeat(32) }],
        };
        let mut expired = sample::waiver(&["4.2.2"], "2026-01-31");
        expired.scope = outcome::Scope::new(vec!["4.2.*".into()], vec!["worker-1".into()], vec![Role::Worker]);
        expired.origin.line = 7;
        report.waivers = vec![sample::waiver(&["1.2.15"], "2027-03-31"), expired];
        report.attestations = vec![outcome::Attestation {
            scope: outcome::Scope::new(vec!["1.2.1".into()], vec![], vec![Role::ControlPlane]),
            result: Status::Pass,
            attested_by: "J. Doe".into(),
            date: "2026-11-01".parse().unwrap(),
            expires: "2027-05-01".parse().unwrap(),
            evidence: "CHG-99: anonymous auth needed for health checks".into(),
            origin: outcome::Origin { file: "attested.toml".into(), line: 1 },
        }];
        let cp = report.hosts[0].result.as_mut().unwrap();
        let applied = |index| Some(outcome::Covered { index, effect: Effect::Applied });
        cp[1].outcome.status = Status::Pass;
        cp[1].outcome.automated_verdict = Some(Status::Fail);
        cp[1].attestation = applied(0);
        cp[3].outcome.status = Status::Waived;
        cp[3].waiver = applied(0);
        let worker = report.hosts[1].result.as_mut().unwrap();
        worker[1].waiver = Some(outcome::Covered { index: 1, effect: Effect::Expired });
        report.baseline = Some(domain_diff::Baseline { diff: sample::diff(), fail_on: FailOn::Regression });
        report.hosts[0].host_key.as_mut().expect("the sample's control plane has a host key").recorded = true;
        report
    }

    /// `report_missing` and `interrupted_by` come back from the exit code,
    /// except the signal when a report was also missing (4 outranks it).
    #[test]
    fn what_only_the_exit_code_holds_comes_back_from_it() {
        let mut report = sample::report();
        for (signal, missing, read_signal) in [
            (Some(libc::SIGTERM), false, Some(libc::SIGTERM)),
            (Some(libc::SIGINT), false, Some(libc::SIGINT)),
            (None, true, None),
            (Some(libc::SIGINT), true, None),
        ] {
            report.interrupted_by = signal;
            report.report_missing = missing;
            let read = from_slice(&written(&report), Path::new("r.json")).unwrap();
            assert_eq!((read.interrupted_by, read.report_missing), (read_signal, missing));
        }
    }

    /// Sub-millisecond durations are not in the JSON.
    #[test]
    fn durations_come_back_to_the_millisecond() {
        let mut report = sample::report();
        report.hosts[0].duration = Duration::from_micros(1_234_567);
        let read = from_slice(&written(&report), Path::new("r.json")).unwrap();
        assert_eq!(read.hosts[0].duration, Duration::from_millis(1234));
    }

    /// A report written before the fields added to v1 (no invocation,
    /// rules, verdicts, fail_on, diff or a host key's `recorded`) reads as
    /// one without them.
    #[test]
    fn a_report_from_before_the_added_fields_reads() {
        let report = sample::report();
        let bytes = edited(&report, |doc| {
            for key in ["invocation", "waivers", "attestations", "fail_on", "diff"] {
                doc.as_object_mut().unwrap().remove(key).expect(key);
            }
            doc["hosts"][0]["host_key"].as_object_mut().unwrap().remove("recorded").expect("recorded");
            for result in doc["hosts"][0]["results"].as_array_mut().unwrap() {
                result.as_object_mut().unwrap().remove("verdict").expect("verdict");
            }
        });
        let read = from_slice(&bytes, Path::new("r.json")).unwrap();
        assert_eq!(read.invocation, outcome::Invocation::default());
        assert_eq!(read.hosts, report.hosts, "a verdict is the status when none is written");
        // An invocation from before `shard` and `merged`.
        let reviewed = reviewed();
        let bytes = edited(&reviewed, |doc| {
            for key in ["shard", "merged"] {
                doc["invocation"].as_object_mut().unwrap().remove(key).expect(key);
            }
        });
        let read = from_slice(&bytes, Path::new("r.json")).unwrap();
        assert_eq!((read.invocation.shard, read.invocation.merged.len()), (None, 0));
        assert_eq!(read.invocation.inventory, reviewed.invocation.inventory);
    }

    #[test]
    fn fields_a_newer_writer_adds_are_ignored() {
        let report = sample::report();
        let bytes = edited(&report, |doc| {
            doc["later"] = json!({"x": 1});
            doc["hosts"][0]["results"][0]["later"] = json!([1]);
        });
        assert_eq!(from_slice(&bytes, Path::new("r.json")).unwrap(), report);
    }

    /// Every refusal names the file, and where serde_json or we can, the place.
    #[test]
    fn anything_but_a_v1_report_is_refused_by_name() {
        let report = sample::report();
        #[track_caller]
        fn case(bytes: &[u8], expected: &str) {
            let message = refused(bytes);
            assert_eq!(message, expected);
        }
        case(b"", "old.json: not a hardbench JSON report: EOF while parsing a value at line 1 column 0");
        case(b" [1]", "old.json: not a hardbench JSON report: the top level is not a JSON object");
        case(b"{\"schema\": 1}", "old.json: not a hardbench JSON report: invalid type: integer `1`, expected a string at line 1 column 12");
        case(b"{\"schema\": \"hardbench.facts/v1\"}", "old.json: not a hardbench JSON report: schema \"hardbench.facts/v1\", expected \"hardbench.report/v1\"");
        case(b"{}", "old.json: not a hardbench JSON report: schema missing, expected \"hardbench.report/v1\"");
        let message = refused(&edited(&report, |doc| doc["hosts"][0]["results"][2]["status"] = json!("broken")));
        assert!(
            message.starts_with("old.json: not a hardbench JSON report: invalid value: string \"broken\", expected one of pass, fail, ")
                && message.contains(" at line "),
            "{message}"
        );
        let message = refused(&edited(&report, |doc| doc["hosts"][1]["port"] = json!("22")));
        assert!(message.contains("invalid type: string \"22\", expected u16 at line "), "{message}");
        let message = refused(&edited(&report, |doc| doc["hosts"][1]["roles"][0] = json!("master")));
        assert!(message.contains("invalid value: string \"master\", expected one of control-plane, etcd, worker"), "{message}");
        let message = refused(&edited(&report, |doc| doc["hosts"][2]["error"]["kind"] = json!("gone")));
        assert!(message.contains("invalid value: string \"gone\", expected one of connect, "), "{message}");
        let message = refused(&edited(&report, |doc| doc["started_at"] = json!("yesterday")));
        assert!(message.contains("invalid value: string \"yesterday\", expected an RFC 3339 time"), "{message}");
        let message = refused(&edited(&report, |doc| doc["hosts"][0]["results"][1]["sources"][0]["kind"] = json!("guess")));
        assert!(message.contains("unknown variant `guess`"), "{message}");
        let message = refused(&edited(&report, |doc| {
            doc["hosts"][1].as_object_mut().unwrap().remove("port");
        }));
        assert!(message.contains("missing field `port` at line "), "{message}");

        case(&edited(&report, |doc| doc["hosts"][2]["error"] = Value::Null), "old.json: hosts[2].error: null on a host whose status is \"error\"");
        case(&edited(&report, |doc| doc["hosts"][0]["status"] = json!("error")), "old.json: hosts[0].error: null on a host whose status is \"error\"");
        case(
            &edited(&report, |doc| doc["hosts"][0]["error"] = json!({"kind": "connect", "message": "m"})),
            "old.json: hosts[0].error: set on a host whose status is \"ok\"",
        );
        case(
            &edited(&report, |doc| {
                doc["hosts"][0]["error"] = json!({"kind": "connect", "message": "m"});
                doc["hosts"][0]["status"] = json!("error");
            }),
            "old.json: hosts[0].results: a host that could not be audited has no results",
        );
        case(&edited(&report, |doc| doc["hosts"][1]["results"][2]["level"] = json!(3)), "old.json: hosts[1].results[2].level: 3: a CIS profile level is 1 or 2");
        case(&edited(&report, |doc| doc["hosts"][1]["name"] = json!("cp-good")), "old.json: hosts[1].name: \"cp-good\" is also hosts[0]'s name");
        case(&edited(&report, |doc| doc["fail_on"] = json!("regression")), "old.json: fail_on: \"regression\" without a diff: it needs a baseline");
        let reviewed = reviewed();
        case(&edited(&reviewed, |doc| doc["waivers"][1]["index"] = json!(0)), "old.json: waivers[1].index: 0, but it is rule 1 of the list");
        case(
            &edited(&reviewed, |doc| doc["hosts"][0]["results"][3]["waiver"]["index"] = json!(2)),
            "old.json: hosts[0].results[3].waiver.index: 2: the report has 2 waivers",
        );
        case(
            &edited(&reviewed, |doc| doc["hosts"][0]["results"][1]["attestation"]["index"] = json!(1)),
            "old.json: hosts[0].results[1].attestation.index: 1: the report has 1 attestations",
        );
        case(&edited(&reviewed, |doc| doc["attestations"][0]["result"] = json!("manual")), "old.json: attestations[0].result: manual: an attestation is pass or fail");
        case(
            &edited(&reviewed, |doc| doc["invocation"]["shard"] = json!({"index": 3, "count": 3})),
            "old.json: invocation.shard: I is 3, but shards of 3 are numbered 0 to 2 (as JOB_COMPLETION_INDEX is)",
        );
        case(&edited(&reviewed, |doc| doc["invocation"]["shard"] = json!({"index": 0, "count": 0})), "old.json: invocation.shard: N is 0: the number of shards is between 1 and 10000");
        case(
            &edited(&reviewed, |doc| doc["diff"]["hosts"][0]["checks"][0]["incomparable"] = json!({"reason": "missing", "side": "old"})),
            "old.json: diff.hosts[0].checks[0].incomparable: set exactly when the category is incomparable, not regressed",
        );
        for (edit, expected) in [
            (json!({"expires": "31/03/2027"}), "invalid value: string \"31/03/2027\", expected a date, YYYY-MM-DD"),
            (json!({"roles": ["master"]}), "invalid value: string \"master\", expected one of control-plane, etcd, worker"),
        ] {
            let message = refused(&edited(&reviewed, |doc| {
                for (key, value) in edit.as_object().unwrap() {
                    doc["waivers"][0][key] = value.clone();
                }
            }));
            assert!(message.contains(expected), "{message}");
        }
        let message = refused(&edited(&reviewed, |doc| doc["hosts"][0]["results"][3]["waiver"]["effect"] = json!("ignored")));
        assert!(message.contains("expected one of applied, expired, not-needed"), "{message}");
        let message = refused(&edited(&reviewed, |doc| doc["diff"]["hosts"][0]["checks"][0]["category"] = json!("worse")));
        assert!(message.contains("expected one of regressed, fixed, still-failing, still-passing, incomparable"), "{message}");
    }

    #[test]
    fn only_a_regular_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let message = read(dir.path()).unwrap_err().to_string();
        assert!(message.ends_with("it is a directory, not a regular file"), "{message}");
        let path = dir.path().join("report.json");
        std::fs::write(&path, written(&sample::report())).unwrap();
        assert_eq!(read(&path).unwrap(), sample::report());
        let message = read(&dir.path().join("missing.json")).unwrap_err().to_string();
        assert!(message.starts_with("cannot read ") && message.contains("missing.json"), "{message}");
    }
}

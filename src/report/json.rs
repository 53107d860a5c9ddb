//! The JSON report, schema `hardbench.report/v1`. The schema is frozen and
//! spelled out here, in structs converted from `Report`, rather than derived
//! from the domain types: renaming a field or a variant elsewhere cannot
//! change this output. Fields may be added to v1; none may be renamed,
//! removed or retyped. Strings keep every character, but those that could
//! act on a terminal showing the file (`cat report.json`) are written as
//! `\uXXXX` escapes, which any JSON parser reads back as the character.
//!
//! Each host has its own `benchmark` object (`id`, `title`, `sha256`,
//! `selected_by`: what was seen on the host and why that benchmark), `null`
//! when none judged it (under `--benchmark auto`, a host that could not be
//! gathered or that no benchmark fits). The top-level `benchmark` is the one
//! every judged host used; it is `null` when hosts used different ones
//! (one inventory may hold clusters of several kinds): read each host's.
//!
//! Added to v1 with waivers and attestations: `invocation` (what was run,
//! with which input files and their sha256, by whom, where); `waivers` and
//! `attestations`, each rule with its `state` (`active`, `expired`,
//! `unused`) and the results it `covered`; per result `verdict` (the status
//! evaluation alone gave), `automated_verdict` (manual checks with a test
//! only: what automated evaluation would conclude), and `waiver` /
//! `attestation` (only on results a rule covers: the rule and its `effect`,
//! `applied`, `expired` or `not-needed`); the status `waived`; the counts
//! `waived` and `manual_failing`.
//!
//! `invocation.shard` (`{"index", "count"}`, or null) is the share of the
//! hosts a `--shard I/N` run audited; `invocation.merged` lists the reports
//! (path and sha256) that `hardbench merge` joined into this one.
//!
//! `fail_on` says what `exit_code` follows (`fail`, or `regression` under
//! `--fail-on regression`); `diff` is the comparison with `--baseline`, the
//! body of a `hardbench.diff/v1` document (`json/diff.rs`), or `null`.
//!
//! Added to v1 with `check-access`: a host key's `recorded`, `true` when
//! this run recorded the key in known_hosts under `accept-new` (trusted on
//! first use); a report without it reads as `false`.

use crate::component::Role;
use crate::facts::{Impostor, StartedBy};
use crate::outcome::diff::FailOn;
use crate::outcome::{self, Report, Status, Summary};
use crate::transport::HostErrorKind;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::{Serialize, Serializer};
use std::io;
use std::marker::PhantomData;

pub mod access;
pub mod diff;
mod pretty;
pub mod read;

pub const SCHEMA: &str = "hardbench.report/v1";

/// Write `report` as pretty-printed JSON with a trailing newline
/// (`pretty`). Generic over the sink because the writer makes a call per
/// token: to a concrete buffered writer those are inlined copies, through
/// `dyn Write` each is a virtual call. Give it a buffered sink (not a bare
/// `File`).
pub fn write<W: io::Write + ?Sized>(report: &Report, out: &mut W) -> io::Result<()> {
    pretty::write_document(&Document::from(report), out)
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    hardbench: Tool<'a>,
    invocation: Invocation<'a>,
    benchmark: Option<Benchmark>,
    started_at: String,
    finished_at: String,
    hosts: Hosts<'a>,
    summary: Totals,
    waivers: Vec<WaiverRule<'a>>,
    attestations: Vec<AttestationRule<'a>>,
    /// What the exit code follows: `fail` or `regression` (`--fail-on`).
    fail_on: &'static str,
    /// The diff against `--baseline` (schema hardbench.diff/v1's body), or null.
    diff: Option<diff::Body<'a>>,
    exit_code: u8,
}

#[derive(Serialize)]
struct Invocation<'a> {
    command: &'a str,
    benchmark: &'a str,
    level: Option<u8>,
    check: &'a [String],
    skip: &'a [String],
    limit: &'a [String],
    inventory: Option<InputFile<'a>>,
    facts: Option<&'a str>,
    waivers: Option<InputFile<'a>>,
    attestations: Option<InputFile<'a>>,
    user: &'a str,
    machine: &'a str,
    /// `--shard I/N`, or null.
    shard: Option<Shard>,
    /// The reports `hardbench merge` joined into this one.
    merged: Vec<InputFile<'a>>,
}

/// Shard `index` of `count`, counted from 0.
#[derive(Serialize)]
struct Shard {
    index: u32,
    count: u32,
}

#[derive(Serialize)]
struct InputFile<'a> {
    path: &'a str,
    sha256: &'a str,
}

impl<'a> From<&'a outcome::InputFile> for InputFile<'a> {
    fn from(file: &'a outcome::InputFile) -> Self {
        InputFile { path: &file.path, sha256: &file.sha256 }
    }
}

/// Which checks on which hosts a rule covers.
#[derive(Serialize)]
struct Scope<'a> {
    checks: &'a [String],
    hosts: &'a [String],
    roles: Vec<&'static str>,
}

impl<'a> From<&'a outcome::Scope> for Scope<'a> {
    fn from(scope: &'a outcome::Scope) -> Self {
        Scope { checks: &scope.checks, hosts: &scope.hosts, roles: scope.roles.iter().copied().map(role).collect() }
    }
}

#[derive(Serialize)]
struct WaiverRule<'a> {
    index: usize,
    file: String,
    line: usize,
    #[serde(flatten)]
    scope: Scope<'a>,
    reason: &'a str,
    approved_by: &'a str,
    expires: String,
    state: &'static str,
    covered: Vec<CoveredResult<'a>>,
}

#[derive(Serialize)]
struct AttestationRule<'a> {
    index: usize,
    file: String,
    line: usize,
    #[serde(flatten)]
    scope: Scope<'a>,
    result: &'static str,
    attested_by: &'a str,
    date: String,
    expires: String,
    evidence: &'a str,
    state: &'static str,
    covered: Vec<CoveredResult<'a>>,
}

/// A result a rule covers, and what the rule did to it.
#[derive(Serialize)]
struct CoveredResult<'a> {
    host: &'a str,
    check: &'a str,
    effect: &'static str,
}

fn covered<'a>(uses: &[(&'a str, &'a outcome::CheckResult, outcome::Effect)]) -> Vec<CoveredResult<'a>> {
    uses.iter().map(|(host, result, e)| CoveredResult { host, check: &result.id, effect: effect(*e) }).collect()
}

/// The waiver that covers a result, as the result carries it.
#[derive(Serialize)]
struct ResultWaiver<'a> {
    index: usize,
    reason: &'a str,
    approved_by: &'a str,
    expires: String,
    effect: &'static str,
}

/// The attestation that covers a result, as the result carries it.
#[derive(Serialize)]
struct ResultAttestation<'a> {
    index: usize,
    result: &'static str,
    attested_by: &'a str,
    date: String,
    expires: String,
    evidence: &'a str,
    effect: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    version: &'a str,
}

#[derive(Serialize)]
struct Benchmark<S = String> {
    id: S,
    title: S,
    sha256: S,
    selected_by: S,
}

impl<'a> From<&'a outcome::BenchmarkInfo> for Benchmark<&'a str> {
    fn from(info: &'a outcome::BenchmarkInfo) -> Self {
        Benchmark { id: &info.id, title: &info.title, sha256: &info.sha256, selected_by: &info.selected_by }
    }
}

impl From<outcome::BenchmarkInfo> for Benchmark {
    fn from(info: outcome::BenchmarkInfo) -> Self {
        Benchmark { id: info.id, title: info.title, sha256: info.sha256, selected_by: info.selected_by }
    }
}

#[derive(Serialize)]
struct Host<'a> {
    name: &'a str,
    address: &'a str,
    port: u16,
    roles: Vec<&'static str>,
    roles_detected: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    status: &'static str,
    error: Option<HostError<'a>>,
    user: &'a str,
    sudo: bool,
    effective_user: Option<&'a str>,
    reported_hostname: Option<&'a str>,
    machine_id: Option<&'a str>,
    host_key: Option<HostKey<'a>>,
    benchmark: Option<Benchmark<&'a str>>,
    kubernetes_version: Option<&'a str>,
    kubernetes_version_source: Option<&'a str>,
    impostor_processes: Each<'a, Impostor, ImpostorProcess<'a>>,
    started_at: String,
    duration_ms: u64,
    summary: Counts,
    results: Results<'a>,
}

/// A process carrying a component's name that was not judged as it.
#[derive(Serialize)]
struct ImpostorProcess<'a> {
    component: &'a str,
    pid: u32,
    uid: Option<u32>,
    argv0: &'a str,
    cgroup: Option<&'a str>,
    started_by: Option<&'a StartedBy>,
    reason: &'a str,
}

impl<'a> From<&'a Impostor> for ImpostorProcess<'a> {
    fn from(impostor: &'a Impostor) -> Self {
        ImpostorProcess {
            component: impostor.component.as_str(),
            pid: impostor.pid,
            uid: impostor.uid,
            argv0: &impostor.argv0,
            cgroup: impostor.cgroup.as_deref(),
            started_by: impostor.started_by.as_ref(),
            reason: &impostor.reason,
        }
    }
}

#[derive(Serialize)]
struct HostError<'a> {
    kind: &'static str,
    message: &'a str,
}

/// A host's key, as the report and `check-access`'s JSON both give it.
#[derive(Serialize)]
struct HostKey<'a> {
    algorithm: &'a str,
    fingerprint: &'a str,
    recorded: bool,
}

impl<'a> From<&'a crate::transport::HostKeyInfo> for HostKey<'a> {
    fn from(key: &'a crate::transport::HostKeyInfo) -> Self {
        HostKey { algorithm: &key.algorithm, fingerprint: &key.fingerprint, recorded: key.recorded }
    }
}

#[derive(Serialize)]
struct CheckResult<'a> {
    id: &'a str,
    title: &'a str,
    section: &'a str,
    target: &'static str,
    automated: bool,
    scored: bool,
    level: u8,
    status: &'static str,
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    automated_verdict: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<ResultWaiver<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attestation: Option<ResultAttestation<'a>>,
    expected: &'a str,
    actual: &'a str,
    sources: Each<'a, outcome::Source, Source<'a>>,
    notes: &'a [String],
    remediation: &'a str,
}

/// A host's results, each converted as it is written (as `Each`), with the
/// report's rules at hand for the ones that cover it.
struct Results<'a> {
    report: &'a Report,
    items: &'a [outcome::CheckResult],
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.items.iter().map(|result| CheckResult::new(self.report, result)))
    }
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Source<'a> {
    Flag {
        component: &'a str,
        flag: &'a str,
    },
    ConfigFile {
        path: &'a str,
        key: &'a str,
    },
    Env {
        component: &'a str,
        name: &'a str,
    },
    Manifest {
        path: &'a str,
        flag: &'a str,
    },
    Default {
        component: &'a str,
        reference: &'a str,
    },
    Unset {
        component: &'a str,
    },
    File {
        path: &'a str,
    },
}

/// An array of the schema's view (`U`) of each domain item (`T`), each
/// converted as it is written: a whole report converted up front would be
/// a second copy of its structure, allocated and freed for nothing.
struct Each<'a, T, U> {
    items: &'a [T],
    view: PhantomData<U>,
}

impl<'a, T, U> Each<'a, T, U> {
    fn new(items: &'a [T]) -> Self {
        Each {
            items,
            view: PhantomData,
        }
    }
}

impl<'a, T, U: From<&'a T> + Serialize> Serialize for Each<'a, T, U> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.items.iter().map(U::from))
    }
}

/// Outcome counts of one host.
#[derive(Serialize)]
struct Counts {
    pass: usize,
    fail: usize,
    warn: usize,
    waived: usize,
    manual: usize,
    manual_failing: usize,
    not_applicable: usize,
    skip: usize,
    error: usize,
}

/// Outcome and host counts of the whole run.
#[derive(Serialize)]
struct Totals {
    pass: usize,
    fail: usize,
    warn: usize,
    waived: usize,
    manual: usize,
    manual_failing: usize,
    not_applicable: usize,
    skip: usize,
    error: usize,
    hosts_ok: usize,
    hosts_error: usize,
}

impl<'a> From<&'a Report> for Document<'a> {
    fn from(report: &'a Report) -> Self {
        Document {
            schema: SCHEMA,
            hardbench: Tool {
                version: &report.hardbench_version,
            },
            invocation: Invocation::from(&report.invocation),
            benchmark: report.benchmark().map(Benchmark::from),
            started_at: timestamp(&report.started_at),
            finished_at: timestamp(&report.finished_at),
            hosts: Hosts(report),
            summary: Totals::from(report.summary()),
            waivers: report
                .waiver_uses()
                .iter()
                .zip(&report.waivers)
                .enumerate()
                .map(|(index, (used, w))| WaiverRule {
                    index,
                    file: w.origin.file.display().to_string(),
                    line: w.origin.line,
                    scope: Scope::from(&w.scope),
                    reason: &w.reason,
                    approved_by: &w.approved_by,
                    expires: w.expires.to_string(),
                    state: rule_state(used.state),
                    covered: covered(&used.covered),
                })
                .collect(),
            attestations: report
                .attestation_uses()
                .iter()
                .zip(&report.attestations)
                .enumerate()
                .map(|(index, (used, a))| AttestationRule {
                    index,
                    file: a.origin.file.display().to_string(),
                    line: a.origin.line,
                    scope: Scope::from(&a.scope),
                    result: status(a.result),
                    attested_by: &a.attested_by,
                    date: a.date.to_string(),
                    expires: a.expires.to_string(),
                    evidence: &a.evidence,
                    state: rule_state(used.state),
                    covered: covered(&used.covered),
                })
                .collect(),
            fail_on: fail_on(report.baseline.as_ref().map_or(FailOn::Fail, |baseline| baseline.fail_on)),
            diff: report.baseline.as_ref().map(|baseline| diff::Body::from(&baseline.diff)),
            exit_code: report.exit_code().code(),
        }
    }
}

impl<'a> From<&'a outcome::Invocation> for Invocation<'a> {
    fn from(i: &'a outcome::Invocation) -> Self {
        Invocation {
            command: &i.command,
            benchmark: &i.benchmark,
            level: i.level,
            check: &i.check,
            skip: &i.skip,
            limit: &i.limit,
            inventory: i.inventory.as_ref().map(InputFile::from),
            facts: i.facts.as_deref(),
            waivers: i.waivers.as_ref().map(InputFile::from),
            attestations: i.attestations.as_ref().map(InputFile::from),
            user: &i.user,
            machine: &i.machine,
            shard: i.shard.map(|shard| Shard { index: shard.index, count: shard.count }),
            merged: i.merged.iter().map(InputFile::from).collect(),
        }
    }
}

/// The report's hosts, each converted as it is written.
struct Hosts<'a>(&'a Report);

impl Serialize for Hosts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.hosts.iter().map(|host| Host::new(self.0, host)))
    }
}

impl<'a> Host<'a> {
    fn new(report: &'a Report, host: &'a outcome::HostReport) -> Self {
        let (status, error, results): (_, _, &[outcome::CheckResult]) = match &host.result {
            Ok(results) => ("ok", None, results),
            Err(error) => (
                "error",
                Some(HostError {
                    kind: error_kind(error.kind),
                    message: &error.message,
                }),
                &[],
            ),
        };
        Host {
            name: &host.name,
            address: &host.address,
            port: host.port,
            roles: host.roles.iter().copied().map(role).collect(),
            roles_detected: host.roles_detected,
            notes: &host.notes,
            status,
            error,
            user: &host.user,
            sudo: host.sudo,
            effective_user: host.effective_user.as_deref(),
            reported_hostname: host.reported_hostname.as_deref(),
            machine_id: host.machine_id.as_deref(),
            host_key: host.host_key.as_ref().map(HostKey::from),
            benchmark: host.benchmark.as_ref().map(Benchmark::from),
            kubernetes_version: host.kubernetes_version.as_deref(),
            kubernetes_version_source: host.kubernetes_version_source.as_deref(),
            impostor_processes: Each::new(&host.impostors),
            started_at: timestamp(&host.started_at),
            duration_ms: u64::try_from(host.duration.as_millis()).unwrap_or(u64::MAX),
            summary: Counts::from(Summary::of_results(results)),
            results: Results { report, items: results },
        }
    }
}

impl<'a> CheckResult<'a> {
    fn new(report: &'a Report, result: &'a outcome::CheckResult) -> Self {
        let waiver = result.waiver.map(|c| {
            let w = &report.waivers[c.index];
            ResultWaiver {
                index: c.index,
                reason: &w.reason,
                approved_by: &w.approved_by,
                expires: w.expires.to_string(),
                effect: effect(c.effect),
            }
        });
        let attestation = result.attestation.map(|c| {
            let a = &report.attestations[c.index];
            ResultAttestation {
                index: c.index,
                result: status(a.result),
                attested_by: &a.attested_by,
                date: a.date.to_string(),
                expires: a.expires.to_string(),
                evidence: &a.evidence,
                effect: effect(c.effect),
            }
        });
        CheckResult {
            id: &result.id,
            title: &result.title,
            section: &result.section,
            target: role(result.target),
            automated: result.automated,
            scored: result.scored,
            level: result.level,
            status: status(result.outcome.status),
            verdict: status(result.verdict),
            automated_verdict: result.outcome.automated_verdict.map(status),
            waiver,
            attestation,
            expected: &result.outcome.expected,
            actual: &result.outcome.actual,
            sources: Each::new(&result.outcome.sources),
            notes: &result.outcome.notes,
            remediation: &result.remediation,
        }
    }
}

impl<'a> From<&'a outcome::Source> for Source<'a> {
    fn from(source: &'a outcome::Source) -> Self {
        match source {
            outcome::Source::Flag { component, flag } => Source::Flag { component, flag },
            outcome::Source::ConfigFile { path, key } => Source::ConfigFile { path, key },
            outcome::Source::Env { component, name } => Source::Env { component, name },
            outcome::Source::Manifest { path, flag } => Source::Manifest { path, flag },
            outcome::Source::Default {
                component,
                reference,
            } => Source::Default {
                component,
                reference,
            },
            outcome::Source::Unset { component } => Source::Unset { component },
            outcome::Source::File { path } => Source::File { path },
        }
    }
}

impl From<Summary> for Counts {
    fn from(s: Summary) -> Self {
        Counts {
            pass: s.pass,
            fail: s.fail,
            warn: s.warn,
            waived: s.waived,
            manual: s.manual,
            manual_failing: s.manual_failing,
            not_applicable: s.not_applicable,
            skip: s.skip,
            error: s.error,
        }
    }
}

impl From<Summary> for Totals {
    fn from(s: Summary) -> Self {
        Totals {
            pass: s.pass,
            fail: s.fail,
            warn: s.warn,
            waived: s.waived,
            manual: s.manual,
            manual_failing: s.manual_failing,
            not_applicable: s.not_applicable,
            skip: s.skip,
            error: s.error,
            hosts_ok: s.hosts_ok,
            hosts_error: s.hosts_error,
        }
    }
}

/// RFC 3339 with the offset spelled out (`+00:00`, never `Z`), and
/// fractional seconds only when there are any.
fn timestamp(time: &DateTime<FixedOffset>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

// The names below are part of the schema. They repeat the domain's names on
// purpose: a renamed variant must not rename a JSON value.

fn status(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Warn => "warn",
        Status::Waived => "waived",
        Status::Manual => "manual",
        Status::NotApplicable => "not-applicable",
        Status::Skip => "skip",
        Status::Error => "error",
    }
}

fn effect(effect: outcome::Effect) -> &'static str {
    match effect {
        outcome::Effect::Applied => "applied",
        outcome::Effect::Expired => "expired",
        outcome::Effect::NotNeeded => "not-needed",
    }
}

fn rule_state(state: outcome::RuleState) -> &'static str {
    match state {
        outcome::RuleState::Active => "active",
        outcome::RuleState::Expired => "expired",
        outcome::RuleState::Unused => "unused",
    }
}

fn fail_on(fail_on: FailOn) -> &'static str {
    match fail_on {
        FailOn::Fail => "fail",
        FailOn::Regression => "regression",
    }
}

fn role(role: Role) -> &'static str {
    match role {
        Role::ControlPlane => "control-plane",
        Role::Etcd => "etcd",
        Role::Worker => "worker",
    }
}

fn error_kind(kind: HostErrorKind) -> &'static str {
    match kind {
        HostErrorKind::Connect => "connect",
        HostErrorKind::Handshake => "handshake",
        HostErrorKind::HostKey => "host-key",
        HostErrorKind::Auth => "auth",
        HostErrorKind::Sudo => "sudo",
        HostErrorKind::Timeout => "timeout",
        HostErrorKind::Output => "output",
        HostErrorKind::Parse => "parse",
        HostErrorKind::Interrupted => "interrupted",
        HostErrorKind::NoRoles => "no-roles",
        HostErrorKind::NoBenchmark => "no-benchmark",
        HostErrorKind::ScriptMismatch => "script-mismatch",
        HostErrorKind::ScriptUnsafe => "script-unsafe",
        HostErrorKind::Bastion => "bastion",
        HostErrorKind::Internal => "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;
    use crate::report::sanitize::is_hazard;
    use serde_json::{json, Value};

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        write(report, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    fn parse(report: &Report) -> Value {
        serde_json::from_str(&render(report)).expect("the output is valid JSON")
    }

    /// The whole document for a small run, field by field in schema order:
    /// this is the frozen shape.
    #[test]
    fn small_report_is_exactly_the_v1_shape() {
        let mut result = sample::check(
            "1.2.15",
            "Profiling off",
            Role::ControlPlane,
            Status::Fail,
            "false",
            "true",
        );
        result.outcome.sources = vec![outcome::Source::Flag {
            component: "kube-apiserver".into(),
            flag: "--profiling".into(),
        }];
        result.outcome.notes = vec!["set twice".into()];
        let mut report = sample::run(vec![
            sample::ok_host(
                "cp-1",
                "10.0.0.10",
                vec![Role::ControlPlane, Role::Etcd],
                vec![result],
            ),
            sample::error_host(
                "w-1",
                "10.0.0.11",
                HostErrorKind::HostKey,
                "w-1: host key mismatch",
            ),
        ]);
        report.hosts[0].impostors = vec![sample::impostor()];
        // An expired waiver: judged normally, and the result says so.
        report.waivers = vec![sample::waiver(&["1.2.15"], "2026-11-21")];
        report.hosts[0].result.as_mut().unwrap()[0].waiver =
            Some(outcome::Covered { index: 0, effect: outcome::Effect::Expired });
        report.invocation.user = "audit".into();
        report.invocation.machine = "bastion".into();
        let expected = r#"{
  "schema": "hardbench.report/v1",
  "hardbench": {
    "version": "0.1.0"
  },
  "invocation": {
    "command": "run",
    "benchmark": "auto",
    "level": null,
    "check": [],
    "skip": [],
    "limit": [],
    "inventory": null,
    "facts": null,
    "waivers": null,
    "attestations": null,
    "user": "audit",
    "machine": "bastion",
    "shard": null,
    "merged": []
  },
  "benchmark": {
    "id": "cis-1.12",
    "title": "CIS Kubernetes Benchmark v1.12.0",
    "sha256": "5d41402abc4b2a76b9719d911017c592c2d1d3c6a3b8d5b1a0e2c0f4e5d6a7b8",
    "selected_by": "auto: platform kubeadm (no other platform recognised); kubernetes v1.33.4 (kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in /etc/kubernetes/manifests/kube-apiserver.yaml); cis-1.12 covers 1.32–1.33"
  },
  "started_at": "2026-11-22T16:40:00+00:00",
  "finished_at": "2026-11-22T16:40:07.500+00:00",
  "hosts": [
    {
      "name": "cp-1",
      "address": "10.0.0.10",
      "port": 22,
      "roles": [
        "control-plane",
        "etcd"
      ],
      "roles_detected": false,
      "status": "ok",
      "error": null,
      "user": "hbaudit",
      "sudo": true,
      "effective_user": "root",
      "reported_hostname": "cp-1",
      "machine_id": "0123456789abcdef0123456789abcdef",
      "host_key": {
        "algorithm": "ssh-ed25519",
        "fingerprint": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
        "recorded": false
      },
      "benchmark": {
        "id": "cis-1.12",
        "title": "CIS Kubernetes Benchmark v1.12.0",
        "sha256": "5d41402abc4b2a76b9719d911017c592c2d1d3c6a3b8d5b1a0e2c0f4e5d6a7b8",
        "selected_by": "auto: platform kubeadm (no other platform recognised); kubernetes v1.33.4 (kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in /etc/kubernetes/manifests/kube-apiserver.yaml); cis-1.12 covers 1.32–1.33"
      },
      "kubernetes_version": "v1.33.4",
      "kubernetes_version_source": "kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in /etc/kubernetes/manifests/kube-apiserver.yaml",
      "impostor_processes": [
        {
          "component": "kube-apiserver",
          "pid": 1005,
          "uid": 65534,
          "argv0": "/tmp/kube-apiserver",
          "cgroup": "/user.slice/user-1000.slice/session-3.scope",
          "started_by": {
            "kind": "other"
          },
          "reason": "runs as uid 65534, not root, and neither kube-apiserver.service nor the kubelet started it (cgroup /user.slice/user-1000.slice/session-3.scope)"
        }
      ],
      "started_at": "2026-11-22T16:40:00.250+00:00",
      "duration_ms": 1234,
      "summary": {
        "pass": 0,
        "fail": 1,
        "warn": 0,
        "waived": 0,
        "manual": 0,
        "manual_failing": 0,
        "not_applicable": 0,
        "skip": 0,
        "error": 0
      },
      "results": [
        {
          "id": "1.2.15",
          "title": "Profiling off",
          "section": "1.2",
          "target": "control-plane",
          "automated": true,
          "scored": true,
          "level": 1,
          "status": "fail",
          "verdict": "fail",
          "waiver": {
            "index": 0,
            "reason": "EventRateLimit breaks our admission webhook",
            "approved_by": "Security team (CHG-1234)",
            "expires": "2026-11-21",
            "effect": "expired"
          },
          "expected": "false",
          "actual": "true",
          "sources": [
            {
              "kind": "flag",
              "component": "kube-apiserver",
              "flag": "--profiling"
            }
          ],
          "notes": [
            "set twice"
          ],
          "remediation": "Remediate 1.2.15."
        }
      ]
    },
    {
      "name": "w-1",
      "address": "10.0.0.11",
      "port": 22,
      "roles": [
        "worker"
      ],
      "roles_detected": false,
      "status": "error",
      "error": {
        "kind": "host-key",
        "message": "w-1: host key mismatch"
      },
      "user": "hbaudit",
      "sudo": true,
      "effective_user": null,
      "reported_hostname": null,
      "machine_id": null,
      "host_key": null,
      "benchmark": null,
      "kubernetes_version": null,
      "kubernetes_version_source": null,
      "impostor_processes": [],
      "started_at": "2026-11-22T16:40:00.300+00:00",
      "duration_ms": 5002,
      "summary": {
        "pass": 0,
        "fail": 0,
        "warn": 0,
        "waived": 0,
        "manual": 0,
        "manual_failing": 0,
        "not_applicable": 0,
        "skip": 0,
        "error": 0
      },
      "results": []
    }
  ],
  "summary": {
    "pass": 0,
    "fail": 1,
    "warn": 0,
    "waived": 0,
    "manual": 0,
    "manual_failing": 0,
    "not_applicable": 0,
    "skip": 0,
    "error": 0,
    "hosts_ok": 1,
    "hosts_error": 1
  },
  "waivers": [
    {
      "index": 0,
      "file": "waivers.toml",
      "line": 1,
      "checks": [
        "1.2.15"
      ],
      "hosts": [],
      "roles": [],
      "reason": "EventRateLimit breaks our admission webhook",
      "approved_by": "Security team (CHG-1234)",
      "expires": "2026-11-21",
      "state": "expired",
      "covered": [
        {
          "host": "cp-1",
          "check": "1.2.15",
          "effect": "expired"
        }
      ]
    }
  ],
  "attestations": [],
  "fail_on": "fail",
  "diff": null,
  "exit_code": 3
}
"#;
        assert_eq!(render(&report), expected);
    }

    /// A host whose every check passes but that runs an impostor process
    /// is not compliant.
    #[test]
    fn an_impostor_alone_makes_the_run_non_compliant() {
        let pass = sample::check("1.2.15", "Profiling off", Role::ControlPlane, Status::Pass, "false", "false");
        let mut report = sample::run(vec![sample::ok_host("cp-1", "10.0.0.10", vec![Role::ControlPlane], vec![pass])]);
        assert_eq!(report.exit_code(), outcome::ExitCode::Compliant);
        report.hosts[0].impostors = vec![sample::impostor()];
        assert_eq!(report.exit_code(), outcome::ExitCode::NonCompliant);
        let json: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(json["exit_code"], 1);
        assert_eq!(json["hosts"][0]["impostor_processes"][0]["pid"], 1005);
    }

    /// Under `--baseline`, the report holds the diff (the body of a
    /// hardbench.diff/v1 document) and what the exit code followed.
    #[test]
    fn a_run_with_a_baseline_holds_its_diff() {
        let mut report = sample::report();
        let diff = sample::diff();
        report.baseline = Some(outcome::diff::Baseline { diff: diff.clone(), fail_on: FailOn::Regression });
        let doc = parse(&report);
        let mut standalone = Vec::new();
        super::diff::write(&diff, 1, &mut standalone).unwrap();
        let mut body: Value = serde_json::from_slice(&standalone).unwrap();
        for key in ["schema", "hardbench", "exit_code"] {
            body.as_object_mut().unwrap().remove(key);
        }
        assert_eq!(doc["diff"], body);
        // The sample run has errors: incomplete (3) outranks a regression.
        assert_eq!((&doc["fail_on"], &doc["exit_code"]), (&json!("regression"), &json!(3)));
        report.baseline.as_mut().unwrap().fail_on = FailOn::Fail;
        assert_eq!(parse(&report)["fail_on"], "fail");
    }

    /// The layout is serde_json's pretty one, at any depth.
    #[test]
    fn layout_is_serde_jsons_pretty_layout() {
        let mut deep = json!({"leaf": [1, [], {}, "x"], "empty": {}});
        for level in 0..20 {
            deep = json!([level, {"next": deep, "also": [true, null]}]);
        }
        for value in [json!([]), json!({}), json!([[]]), json!({"a": {}}), deep] {
            let mut out = Vec::new();
            value
                .serialize(&mut pretty::Pretty::new(&mut out))
                .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string_pretty(&value).unwrap());
        }
    }

    #[test]
    fn timestamps_keep_their_offset() {
        #[track_caller]
        fn case(input: &str, expected: &str) {
            assert_eq!(timestamp(&sample::time(input)), expected);
        }
        case("2026-11-22T16:40:00Z", "2026-11-22T16:40:00+00:00");
        case("2026-11-22T17:40:00+01:00", "2026-11-22T17:40:00+01:00");
        case(
            "2026-11-22T16:40:00.25-05:30",
            "2026-11-22T16:40:00.250-05:30",
        );
    }

    /// The JSON holds the process's status: an interrupt before the status
    /// was decided outranks the verdicts, and a missing report outranks all.
    #[test]
    fn exit_code_is_the_status_of_the_run() {
        let mut report = sample::report();
        assert_eq!(parse(&report)["exit_code"], 3);
        report.interrupted_by = Some(15);
        assert_eq!(parse(&report)["exit_code"], 143);
        report.interrupted_by = Some(2);
        assert_eq!(parse(&report)["exit_code"], 130);
        report.report_missing = true;
        assert_eq!(parse(&report)["exit_code"], 4);
        let compliant = sample::run(Vec::new());
        assert_eq!(parse(&compliant)["exit_code"], 0);
    }

    #[test]
    fn sample_report_counts_and_statuses() {
        let doc = parse(&sample::report());
        assert_eq!(
            doc["summary"],
            json!({"pass": 3, "fail": 2, "warn": 1, "waived": 0, "manual": 1, "manual_failing": 0, "not_applicable": 1, "skip": 1, "error": 1, "hosts_ok": 2, "hosts_error": 1})
        );
        assert_eq!(doc["exit_code"], 3);
        let hosts = doc["hosts"].as_array().expect("hosts is an array");
        let names: Vec<_> = hosts.iter().map(|h| h["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["cp-good", "worker-1", "worker-3"]);

        let cp = &hosts[0];
        assert_eq!(
            cp["summary"],
            json!({"pass": 2, "fail": 1, "warn": 1, "waived": 0, "manual": 1, "manual_failing": 0, "not_applicable": 0, "skip": 1, "error": 1})
        );
        let statuses: Vec<_> = cp["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["pass", "manual", "error", "fail", "warn", "skip", "pass"]
        );
        assert_eq!(cp["results"][4]["scored"], false);
        assert_eq!(cp["results"][1]["automated"], false);
        assert_eq!(
            cp["results"][6]["sources"],
            json!([{"kind": "config-file", "path": "/var/lib/kubelet/config.yaml", "key": "authentication.anonymous.enabled"}])
        );
        assert_eq!(cp["results"][1]["sources"][0]["kind"], "default");
        assert_eq!(cp["results"][0]["sources"][0]["kind"], "file");

        let worker = &hosts[1];
        assert_eq!(
            (worker["port"].as_u64(), worker["roles_detected"].as_bool()),
            (Some(2222), Some(true))
        );
        assert_eq!(worker["kubernetes_version"], Value::Null);
        assert_eq!(
            worker["results"][1]["sources"][0],
            json!({"kind": "flag", "component": "kubelet", "flag": "--config"})
        );

        let unreachable = &hosts[2];
        assert_eq!(unreachable["status"], "error");
        assert_eq!(
            unreachable["error"],
            json!({"kind": "connect", "message": "worker-3 (10.0.0.13:22): connection refused"})
        );
        assert_eq!(unreachable["results"], json!([]));
    }

    /// Hosts judged by one benchmark for different reasons share the
    /// top-level object, which sends the reader to each host's reason.
    #[test]
    fn each_host_says_which_benchmark_judged_it_and_why() {
        let doc = parse(&sample::report());
        let hosts = doc["hosts"].as_array().unwrap();
        assert_eq!(hosts[0]["benchmark"]["selected_by"], sample::benchmark().selected_by);
        assert_eq!(
            hosts[1]["benchmark"]["selected_by"],
            "auto: platform kubeadm (no other platform recognised); no Kubernetes version could be read; \
             the newest benchmark for kubeadm: cis-1.12 covers 1.32–1.33"
        );
        assert_eq!(hosts[2]["benchmark"], Value::Null, "an unreachable host was judged by none");
        assert_eq!(
            doc["benchmark"],
            json!({
                "id": "cis-1.12",
                "title": "CIS Kubernetes Benchmark v1.12.0",
                "sha256": sample::benchmark().sha256,
                "selected_by": "auto: chosen for each host (see each host's benchmark.selected_by)",
            })
        );
        assert_eq!(hosts[1]["results"][2]["status"], "not-applicable");
        assert_eq!(hosts[1]["results"][2]["actual"], "not applicable: kube-proxy does not run on this host");
        assert_eq!(hosts[1]["summary"]["not_applicable"], 1);
    }

    /// Two hosts, two benchmarks: each host has its own object, and the
    /// run has none of its own (`null`), so nobody reads one for both.
    #[test]
    fn hosts_judged_by_different_benchmarks_have_no_common_one() {
        let pass = sample::check("4.2.1", "Anonymous auth off", Role::Worker, Status::Pass, "false", "false");
        let mut report = sample::run(vec![
            sample::ok_host("new", "10.0.0.1", vec![Role::Worker], vec![pass.clone()]),
            sample::ok_host("old", "10.0.0.2", vec![Role::Worker], vec![pass]),
        ]);
        let older = outcome::BenchmarkInfo {
            id: "cis-1.11".into(),
            title: "CIS Kubernetes Benchmark v1.11.1".into(),
            sha256: "a".repeat(64),
            selected_by: "auto: platform kubeadm (no other platform recognised); kubernetes v1.30.4 \
                          (kubelet: /usr/bin/kubelet --version); cis-1.11 covers 1.29–1.31"
                .into(),
        };
        report.hosts[1].benchmark = Some(older.clone());
        let doc = parse(&report);
        assert_eq!(doc["benchmark"], Value::Null);
        assert_eq!(doc["hosts"][0]["benchmark"]["id"], "cis-1.12");
        assert_eq!(
            doc["hosts"][1]["benchmark"],
            json!({"id": older.id, "title": older.title, "sha256": older.sha256, "selected_by": older.selected_by})
        );
        // The same benchmark everywhere, for the same reason: that reason.
        report.hosts[0].benchmark = Some(older.clone());
        assert_eq!(parse(&report)["benchmark"]["selected_by"], older.selected_by.as_str());
    }

    #[test]
    fn every_source_kind_and_error_kind_has_its_schema_name() {
        let s = |text: &str| text.to_owned();
        let sources = [
            (
                outcome::Source::Env {
                    component: s("etcd"),
                    name: s("ETCD_AUTO_TLS"),
                },
                json!({"kind": "env", "component": "etcd", "name": "ETCD_AUTO_TLS"}),
            ),
            (
                outcome::Source::Manifest {
                    path: s("/m.yaml"),
                    flag: s("--x"),
                },
                json!({"kind": "manifest", "path": "/m.yaml", "flag": "--x"}),
            ),
            (
                outcome::Source::Default {
                    component: s("kubelet"),
                    reference: s("docs"),
                },
                json!({"kind": "default", "component": "kubelet", "reference": "docs"}),
            ),
        ];
        for (source, expected) in sources {
            assert_eq!(
                serde_json::to_value(Source::from(&source)).unwrap(),
                expected
            );
        }
        let kinds = [
            (HostErrorKind::Connect, "connect"),
            (HostErrorKind::Handshake, "handshake"),
            (HostErrorKind::HostKey, "host-key"),
            (HostErrorKind::Auth, "auth"),
            (HostErrorKind::Sudo, "sudo"),
            (HostErrorKind::Timeout, "timeout"),
            (HostErrorKind::Output, "output"),
            (HostErrorKind::Parse, "parse"),
            (HostErrorKind::Interrupted, "interrupted"),
            (HostErrorKind::NoRoles, "no-roles"),
            (HostErrorKind::NoBenchmark, "no-benchmark"),
            (HostErrorKind::ScriptMismatch, "script-mismatch"),
            (HostErrorKind::ScriptUnsafe, "script-unsafe"),
            (HostErrorKind::Bastion, "bastion"),
        ];
        for (kind, name) in kinds {
            // The schema's names match the names the rest of hardbench shows.
            assert_eq!((error_kind(kind), kind.name()), (name, name));
        }
        for s in Status::ALL {
            assert_eq!(status(s), s.name());
        }
        for r in Role::ALL {
            assert_eq!(role(r), r.name());
        }
        for f in FailOn::ALL {
            assert_eq!(fail_on(f), f.name());
        }
    }

    #[test]
    fn hostile_strings_survive_a_round_trip() {
        let report = sample::hostile();
        let text = render(&report);
        assert!(text.ends_with("}\n"));
        // Nothing but the pretty-printer's newlines is a raw hazard.
        assert!(
            !text.chars().any(|c| is_hazard(c) && c != '\n'),
            "raw hazard in {text}"
        );
        assert!(text.contains(r"rlo:\u202e lri:\u2066 ls:\u2028"), "{text}");
        assert!(text.contains(r"del:\u007f csi:\u009b2J"), "{text}");
        assert!(text.contains(r"nul:\u0000 bel:\u0007"), "{text}");
        let doc: Value = serde_json::from_str(&text).expect("the output is valid JSON");

        assert_eq!(doc["benchmark"]["title"], report.benchmark().unwrap().title.as_str());
        for (json_host, host) in doc["hosts"].as_array().unwrap().iter().zip(&report.hosts) {
            assert_eq!(json_host["name"], host.name.as_str());
            assert_eq!(json_host["address"], host.address.as_str());
            match &host.result {
                Ok(results) => {
                    for (json_result, result) in
                        json_host["results"].as_array().unwrap().iter().zip(results)
                    {
                        assert_eq!(json_result["title"], &*result.title);
                        assert_eq!(json_result["expected"], result.outcome.expected.as_str());
                        assert_eq!(json_result["actual"], result.outcome.actual.as_str());
                        assert_eq!(json_result["remediation"], &*result.remediation);
                        assert_eq!(json_result["notes"][0], result.outcome.notes[0].as_str());
                        assert_eq!(
                            json_result["sources"][0]["path"],
                            "/etc/path ".to_owned() + sample::HOSTILE
                        );
                    }
                }
                Err(error) => assert_eq!(json_host["error"]["message"], error.message.as_str()),
            }
        }
    }
}

//! The results of an audit: what one check concluded on one host
//! (`Outcome`), what happened on one host (`HostReport`), and the whole run
//! (`Report`). These are the only inputs of the report writers. Exit codes
//! are decided here, in `Report::exit_code`, and nowhere else.

pub mod diff;

use crate::component::Role;
use crate::names::named_enum;
pub use invocation::{InputFile, Invocation};
pub use review::{Attestation, Origin, RuleState, Scope, Waiver};
use crate::transport::{HostError, HostKeyInfo};
use serde::Serialize;
use std::sync::Arc;

mod invocation;
mod review;

pub use invocation::{current_user, machine_name};
pub use review::state as rule_state;

named_enum! {
    /// The verdict of one check on one host.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Status {
        Pass = "pass",
        Fail = "fail",
        /// An unscored check that did not pass.
        Warn = "warn",
        /// A check that failed (or warned) under an active waiver: an
        /// accepted risk. `CheckResult::verdict` keeps what it was.
        Waived = "waived",
        /// The recommendation needs a human; `actual` still says what was observed.
        Manual = "manual",
        /// The check does not apply to this host (the file, directory or
        /// component it is about is not there); `actual` says why. Never a
        /// pass, and never the user's `--skip`.
        NotApplicable = "not-applicable",
        /// Not evaluated on this host (deselected with --skip).
        Skip = "skip",
        /// A fact the check needs could not be collected; never a verdict.
        Error = "error",
    }
}

/// Where the value a check judged came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Source {
    /// A command-line flag of the running process.
    Flag { component: String, flag: String },
    /// A key of a configuration file.
    ConfigFile { path: String, key: String },
    /// An environment variable of the running process.
    Env { component: String, name: String },
    /// The flag in the static pod manifest (the component was not running).
    Manifest { path: String, flag: String },
    /// The component's own default, with where that default is documented.
    Default { component: String, reference: String },
    /// Set nowhere the component reads it, and no default of the
    /// component's is known: nothing was observed but the absence.
    Unset { component: String },
    /// A file's metadata.
    File { path: String },
}

/// What evaluating one check against one host's facts concluded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub status: Status,
    /// What the benchmark requires, in words.
    pub expected: String,
    /// What was observed (the raw value), or why nothing could be.
    pub actual: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// Remarks an auditor should see (e.g. "the manifest differs").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// For a manual check that has a test: what automated evaluation
    /// concluded (pass, fail, error or not-applicable), so that a manual
    /// check that would fail stands apart from the harmless ones. `None`
    /// for every other check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated_verdict: Option<Status>,
}

named_enum! {
    /// What a waiver or an attestation did to the one result it covers.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Effect {
        /// It changed the status: a failure became `waived`, a manual check
        /// became the attested `pass` or `fail`.
        Applied = "applied",
        /// It would have, but it had expired: the check is judged normally.
        Expired = "expired",
        /// It covers the check, but there was nothing to change: a waiver
        /// over a check that passes (or errs, or does not apply), an
        /// attestation over a check that is not manual.
        NotNeeded = "not-needed",
    }
}

/// A waiver or attestation that covers one result: which one (its index in
/// `Report::waivers` or `Report::attestations`) and what it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Covered {
    pub index: usize,
    pub effect: Effect,
}

/// One check's outcome together with the check's identity. The check's
/// text is shared with the benchmark's `Check` (a run holds one result per
/// check per host, and copying the same text into each was a large part of
/// evaluating many hosts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub section: Arc<str>,
    pub target: Role,
    pub automated: bool,
    pub scored: bool,
    /// The CIS profile level of the check: 1 or 2.
    pub level: u8,
    /// The check's own remediation, or a copy with `{path}` filled in.
    pub remediation: Arc<str>,
    pub outcome: Outcome,
    /// The status evaluation alone gave, before any attestation or waiver:
    /// `outcome.status` when neither applied.
    pub verdict: Status,
    pub waiver: Option<Covered>,
    pub attestation: Option<Covered>,
}

/// Everything about one host in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostReport {
    pub name: String,
    pub address: String,
    pub port: u16,
    /// Roles audited; either from the inventory or detected from processes.
    pub roles: Vec<Role>,
    pub roles_detected: bool,
    /// The SSH user, and whether the script ran under `sudo -n`.
    pub user: String,
    pub sudo: bool,
    /// The user the gathering script ran as on the host (`id -un` there),
    /// when the host could be audited.
    pub effective_user: Option<String>,
    /// The host's own name for itself (`uname -n`) and its /etc/machine-id:
    /// evidence that the inventory's address reached the machine meant.
    pub reported_hostname: Option<String>,
    pub machine_id: Option<String>,
    pub host_key: Option<HostKeyInfo>,
    /// The benchmark the host was judged by: the one `--benchmark` named,
    /// or the one `auto` chose for it; `None` under `auto` when there was
    /// nothing to choose from (the host could not be gathered, or no
    /// benchmark fits it: then `result` says so).
    pub benchmark: Option<BenchmarkInfo>,
    /// Kubernetes version seen on the host, if any component reported one.
    pub kubernetes_version: Option<String>,
    /// Where that version was read: the component and its source.
    pub kubernetes_version_source: Option<String>,
    /// Processes that carry a component's name but are not judged as it
    /// (`Facts::impostors`): a finding of their own.
    pub impostors: Vec<crate::facts::Impostor>,
    pub started_at: chrono::DateTime<chrono::FixedOffset>,
    pub duration: std::time::Duration,
    /// `Err` when the host could not be audited at all.
    pub result: Result<Vec<CheckResult>, HostError>,
    /// Remarks about the host as a whole (e.g. that its declared roles
    /// disagree with the components running on it).
    pub notes: Vec<String>,
}

impl HostReport {
    /// The address, with the port when it is not SSH's own (`[fd00::1]:2222`).
    pub fn endpoint(&self) -> String {
        endpoint(&self.address, self.port)
    }
}

/// `address`, with `port` when it is not SSH's own (`[fd00::1]:2222`).
pub fn endpoint(address: &str, port: u16) -> String {
    match (port, address.contains(':')) {
        (22, _) => address.to_owned(),
        (port, true) => format!("[{address}]:{port}"),
        (port, false) => format!("{address}:{port}"),
    }
}

/// Counts of outcomes over a whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub waived: usize,
    pub manual: usize,
    /// Manual checks whose automated evaluation would fail (also counted
    /// in `manual`).
    pub manual_failing: usize,
    pub not_applicable: usize,
    pub skip: usize,
    pub error: usize,
    pub hosts_ok: usize,
    pub hosts_error: usize,
}

impl Summary {
    pub fn add(&mut self, result: &CheckResult) {
        match result.outcome.status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Warn => self.warn += 1,
            Status::Waived => self.waived += 1,
            Status::Manual => {
                self.manual += 1;
                self.manual_failing += usize::from(result.outcome.automated_verdict == Some(Status::Fail));
            }
            Status::NotApplicable => self.not_applicable += 1,
            Status::Skip => self.skip += 1,
            Status::Error => self.error += 1,
        }
    }

    pub fn of_results<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Summary {
        let mut summary = Summary::default();
        for result in results {
            summary.add(result);
        }
        summary
    }
}

/// The benchmark a host was judged by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchmarkInfo {
    pub id: String,
    pub title: String,
    /// sha256 over the benchmark's definition files, in file-name order.
    pub sha256: String,
    /// How it was chosen: "--benchmark", or under `auto` what was seen on
    /// the host and why this benchmark ("auto: platform kubeadm (...);
    /// kubernetes v1.33.4 (...); cis-1.12 covers 1.32–1.33").
    pub selected_by: String,
}

/// A whole run, in inventory order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub hardbench_version: String,
    /// What was run, with what, by whom, where.
    pub invocation: Invocation,
    /// The waivers and attestations the run was given, in file order;
    /// results point into these (`Covered::index`).
    pub waivers: Vec<Waiver>,
    pub attestations: Vec<Attestation>,
    /// The day waivers and attestations were judged on (expired or not):
    /// the local date the run started.
    pub review_date: chrono::NaiveDate,
    pub started_at: chrono::DateTime<chrono::FixedOffset>,
    pub finished_at: chrono::DateTime<chrono::FixedOffset>,
    pub hosts: Vec<HostReport>,
    /// The signal (SIGINT, SIGTERM) that arrived before the run's status
    /// was decided (`interrupt::Interrupt::decide`).
    pub interrupted_by: Option<i32>,
    /// Whether a report (JSON, JUnit or the console) could not be written.
    pub report_missing: bool,
    /// The diff against `--baseline`, and what fails the run.
    pub baseline: Option<diff::Baseline>,
}

/// How one waiver or attestation was used in a run.
#[derive(Debug)]
pub struct RuleUse<'a> {
    pub expires: chrono::NaiveDate,
    pub state: RuleState,
    /// Each result it covers, with its host's name and what it did there,
    /// in report order.
    pub covered: Vec<(&'a str, &'a CheckResult, Effect)>,
}

/// Process exit codes; the numbers are a documented interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Every evaluated check passed (warn, manual and not-applicable allowed).
    Compliant,
    /// At least one check failed, or a host runs an impostor process.
    NonCompliant,
    /// Bad input: nothing was contacted.
    BadInput,
    /// At least one host, or one check's facts, could not be audited.
    Incomplete,
    /// A report (JSON, JUnit, HTML, metrics, the console, or saved facts) could not be
    /// written; the others were.
    ReportMissing,
    /// A signal arrived before the status was decided: 128 + its number.
    Interrupted { signal: i32 },
}

impl ExitCode {
    /// The process's exit status.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Compliant => 0,
            ExitCode::NonCompliant => 1,
            ExitCode::BadInput => 2,
            ExitCode::Incomplete => 3,
            ExitCode::ReportMissing => 4,
            ExitCode::Interrupted { signal } => crate::interrupt::signal_status(signal),
        }
    }
}

impl Report {
    /// The benchmark of the whole run: the one every host that was judged
    /// was judged by, `None` when hosts used different ones (or none was
    /// judged under `auto`). Its `selected_by` is the hosts' own when they
    /// all say the same, else it says that each host's says why.
    pub fn benchmark(&self) -> Option<BenchmarkInfo> {
        let mut used = self.hosts.iter().filter_map(|host| host.benchmark.as_ref());
        let first = used.next()?;
        let mut same_reason = true;
        for other in used {
            if other.id != first.id || other.sha256 != first.sha256 {
                return None;
            }
            same_reason &= other.selected_by == first.selected_by;
        }
        let mut common = first.clone();
        if !same_reason {
            common.selected_by = "auto: chosen for each host (see each host's benchmark.selected_by)".to_string();
        }
        Some(common)
    }

    /// Each waiver's state in this run and the results it covered, in
    /// file order (`Report::waivers`).
    pub fn waiver_uses(&self) -> Vec<RuleUse<'_>> {
        self.rule_uses(self.waivers.iter().map(|w| w.expires), |r| r.waiver)
    }

    /// The same for the attestations.
    pub fn attestation_uses(&self) -> Vec<RuleUse<'_>> {
        self.rule_uses(self.attestations.iter().map(|a| a.expires), |r| r.attestation)
    }

    fn rule_uses(
        &self,
        expiries: impl Iterator<Item = chrono::NaiveDate>,
        covered_by: fn(&CheckResult) -> Option<Covered>,
    ) -> Vec<RuleUse<'_>> {
        let mut uses: Vec<RuleUse<'_>> =
            expiries.map(|expires| RuleUse { expires, state: RuleState::Unused, covered: Vec::new() }).collect();
        for host in &self.hosts {
            for result in host.result.iter().flatten() {
                if let Some(covered) = covered_by(result) {
                    uses[covered.index].covered.push((host.name.as_str(), result, covered.effect));
                }
            }
        }
        for rule in &mut uses {
            rule.state = rule_state(rule.expires, self.review_date, rule.covered.len());
        }
        uses
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for host in &self.hosts {
            match &host.result {
                Ok(results) => {
                    summary.hosts_ok += 1;
                    for result in results {
                        summary.add(result);
                    }
                }
                Err(_) => summary.hosts_error += 1,
            }
        }
        summary
    }

    /// The one place a run's outcome becomes an exit code. A missing report
    /// outranks everything (a gate reading the reports would read nothing,
    /// or an older file); an interrupt outranks the verdicts (the audit is
    /// incomplete, and the signal says why); an incomplete audit outranks a
    /// failing one: a CI gate must not read "non-compliant" as "we looked at
    /// everything". Under `--fail-on regression`, only a check that
    /// regressed into `fail` since the baseline makes the run non-compliant
    /// (known failures and impostors are reported, not gated on); the rest
    /// of the order stays.
    pub fn exit_code(&self) -> ExitCode {
        let summary = self.summary();
        // An impostor process fails every gate: it is not a known failure
        // the diff could have seen before, but a process to look at now.
        let impostor = self.hosts.iter().any(|host| !host.impostors.is_empty());
        let failed = impostor
            || match &self.baseline {
                Some(diff::Baseline { diff, fail_on: diff::FailOn::Regression }) => diff.regressed_into_fail(),
                Some(diff::Baseline { fail_on: diff::FailOn::Fail, .. }) | None => summary.fail > 0,
            };
        if self.report_missing {
            ExitCode::ReportMissing
        } else if let Some(signal) = self.interrupted_by {
            ExitCode::Interrupted { signal }
        } else if summary.hosts_error > 0 || summary.error > 0 {
            ExitCode::Incomplete
        } else if failed {
            ExitCode::NonCompliant
        } else {
            ExitCode::Compliant
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// A check that does not apply is neither a failure nor an incomplete
    /// audit: alone, it leaves the run compliant.
    #[test]
    fn not_applicable_never_fails_the_gate() {
        let check = |status| sample::check("4.3.1", "kube-proxy metrics", Role::Worker, status, "", "");
        let mut report = sample::run(vec![sample::ok_host(
            "w",
            "10.0.0.5",
            vec![Role::Worker],
            vec![check(Status::NotApplicable), check(Status::Pass)],
        )]);
        assert_eq!(report.exit_code(), ExitCode::Compliant);
        assert_eq!((report.summary().not_applicable, report.summary().pass), (1, 1));
        report.hosts[0].result.as_mut().unwrap().push(check(Status::Fail));
        assert_eq!(report.exit_code(), ExitCode::NonCompliant);
    }

    /// Under `--fail-on regression` only a regression into fail makes the
    /// run non-compliant; an incomplete audit, an interrupt and a missing
    /// report keep their codes and their order.
    #[test]
    fn fail_on_regression_gates_on_regressions_into_fail_only() {
        use diff::{Baseline, FailOn};
        let check = |id: &str, status| sample::check(id, "t", Role::Worker, status, "", "");
        let run = |results: Vec<CheckResult>| sample::run(vec![sample::ok_host("w", "10.0.0.5", vec![Role::Worker], results)]);
        let old = run(vec![check("4.1.1", Status::Pass), check("4.2.1", Status::Fail), check("4.2.2", Status::Pass)]);
        let gated = |new: &Report, fail_on| {
            let mut new = new.clone();
            let diff = crate::diff::compare(&old, None, &new, None);
            new.baseline = Some(Baseline { diff, fail_on });
            new.exit_code()
        };
        // A known failure, nothing regressed.
        let known = run(vec![check("4.1.1", Status::Pass), check("4.2.1", Status::Fail), check("4.2.2", Status::Pass)]);
        assert_eq!(gated(&known, FailOn::Regression), ExitCode::Compliant);
        assert_eq!(gated(&known, FailOn::Fail), ExitCode::NonCompliant);
        let mut impostor = known.clone();
        impostor.hosts[0].impostors = vec![sample::impostor()];
        assert_eq!(gated(&impostor, FailOn::Regression), ExitCode::NonCompliant, "an impostor fails every gate");
        // A regression into warn does not fail a run, so not this gate either.
        let into_warn = run(vec![check("4.1.1", Status::Warn), check("4.2.1", Status::Fail), check("4.2.2", Status::Pass)]);
        assert_eq!(gated(&into_warn, FailOn::Regression), ExitCode::Compliant);
        let regressed = run(vec![check("4.1.1", Status::Fail), check("4.2.1", Status::Pass), check("4.2.2", Status::Pass)]);
        assert_eq!(gated(&regressed, FailOn::Regression), ExitCode::NonCompliant);
        let mut incomplete = regressed.clone();
        incomplete.hosts[0].result.as_mut().unwrap().push(check("4.2.3", Status::Error));
        assert_eq!(gated(&incomplete, FailOn::Regression), ExitCode::Incomplete);
        let mut interrupted = known.clone();
        interrupted.interrupted_by = Some(15);
        assert_eq!(gated(&interrupted, FailOn::Regression), ExitCode::Interrupted { signal: 15 });
        interrupted.report_missing = true;
        assert_eq!(gated(&interrupted, FailOn::Regression), ExitCode::ReportMissing);
    }

    /// The run's benchmark is the one every judged host used; hosts judged
    /// by none (unreachable under `auto`) do not count.
    #[test]
    fn the_run_has_a_benchmark_only_when_its_hosts_share_one() {
        let mut report = sample::report();
        assert_eq!(report.benchmark().map(|b| b.id), Some("cis-1.12".to_string()));
        report.hosts[1].benchmark.as_mut().unwrap().sha256 = "c".repeat(64);
        assert_eq!(report.benchmark(), None, "same id, other definition");
        report.hosts.truncate(0);
        assert_eq!(report.benchmark(), None);
    }
}

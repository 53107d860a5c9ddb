//! What changed between two runs: the types only. The comparison that
//! makes them is `crate::diff`; they live under `outcome` so that a
//! `Report` can hold the diff against its baseline without an import cycle.
//!
//! Checks are compared by (host name, check id). Only a verdict on both
//! sides is compared: `pass` is passing; `fail` and `warn` (an unscored
//! check that did not pass) are failing; a `waived` result counts by its
//! `verdict` (a waived failure is still a failure). Everything else is
//! incomparable, with its reason, and never counted as fixed or regressed.

use crate::names::named_enum;
use crate::outcome::Status;
use crate::transport::HostError;
use chrono::{DateTime, FixedOffset};
use std::path::PathBuf;

named_enum! {
    /// How one check's result changed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Category {
        /// Passing before, failing now.
        Regressed = "regressed",
        /// Failing before, passing now.
        Fixed = "fixed",
        StillFailing = "still-failing",
        StillPassing = "still-passing",
        /// No verdict on one side or both: see `Incomparable`.
        Incomparable = "incomparable",
    }
}

named_enum! {
    /// What fails a run (exit 1) under `--fail-on`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub enum FailOn {
        /// Any failing check (or an impostor process): the rule without a baseline.
        #[default]
        Fail = "fail",
        /// Only a check that regressed into `fail` since the baseline: for
        /// a nightly job that must not page on known failures.
        Regression = "regression",
    }
}

named_enum! {
    /// Which report a reason is about.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Side {
        Old = "old",
        New = "new",
        Both = "both",
    }
}

/// Why one check cannot be compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incomparable {
    /// The report has no result for the check on the host: it was not
    /// selected in that run, or it is not a check of that side's benchmark.
    Missing { side: Side },
    /// The result is not a verdict: `error`, `skip`, `not-applicable`, or
    /// `manual` (without an attestation that decided it); the statuses are
    /// in `CheckDiff::old` and `new`.
    NoVerdict { side: Side },
}

/// Why a whole host cannot be compared; its checks are then not listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostIncomparable {
    /// The host could not be audited in one report or both (at least one
    /// of the two is set).
    Unaudited { old: Option<HostError>, new: Option<HostError> },
    /// The host was judged by benchmarks of different ids: the same check
    /// id may mean another recommendation.
    Benchmark { old: Option<String>, new: Option<String> },
}

/// One side's result for a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub status: Status,
    /// What evaluation alone concluded, before any waiver or attestation.
    pub verdict: Status,
}

/// One check on one host that did not simply pass twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckDiff {
    pub id: String,
    /// The newer report's title, else the older's.
    pub title: String,
    pub category: Category,
    /// Set exactly when `category` is `Incomparable`.
    pub incomparable: Option<Incomparable>,
    /// `None`: no result in that report.
    pub old: Option<Seen>,
    pub new: Option<Seen>,
}

impl CheckDiff {
    /// A regression into `fail` itself: the only one that fails a gate
    /// (one into `warn` or `waived` does not fail a run either).
    pub fn regressed_into_fail(&self) -> bool {
        self.category == Category::Regressed && self.new.is_some_and(|seen| seen.status == Status::Fail)
    }

    /// Whether a waiver hid the result on either side.
    pub fn waived(&self) -> bool {
        [self.old, self.new].into_iter().flatten().any(|seen| seen.status == Status::Waived)
    }
}

/// One host present in both reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostDiff {
    pub name: String,
    /// Set when the host as a whole cannot be compared; `checks` is then
    /// empty and `still_passing` 0.
    pub incomparable: Option<HostIncomparable>,
    /// Every check but those still passing, in the newer report's order
    /// and then the older's.
    pub checks: Vec<CheckDiff>,
    /// Checks passing in both reports: counted, not listed.
    pub still_passing: usize,
}

/// One of the two reports compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compared {
    /// The file it was read from; `None` for the run that holds the diff.
    pub path: Option<PathBuf>,
    pub started_at: DateTime<FixedOffset>,
    pub hardbench_version: String,
}

/// The comparison of an older report with a newer one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    pub old: Compared,
    pub new: Compared,
    /// Hosts in both reports, in the newer report's order.
    pub hosts: Vec<HostDiff>,
    /// Host names only in the newer report, in its order.
    pub hosts_added: Vec<String>,
    /// Host names only in the older report, in its order.
    pub hosts_removed: Vec<String>,
}

/// A run compared with an earlier report (`--baseline`), and what fails it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    pub diff: Diff,
    pub fail_on: FailOn,
}

/// Counts over a whole diff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffSummary {
    pub regressed: usize,
    /// Regressions into `fail` (the others went into `warn` or `waived`).
    pub regressed_into_fail: usize,
    pub fixed: usize,
    pub still_failing: usize,
    pub still_passing: usize,
    pub incomparable: usize,
    /// Hosts in both reports that could not be compared as a whole.
    pub hosts_incomparable: usize,
    pub hosts_added: usize,
    pub hosts_removed: usize,
}

impl Diff {
    pub fn summary(&self) -> DiffSummary {
        let mut summary = DiffSummary {
            hosts_added: self.hosts_added.len(),
            hosts_removed: self.hosts_removed.len(),
            ..DiffSummary::default()
        };
        for host in &self.hosts {
            summary.hosts_incomparable += usize::from(host.incomparable.is_some());
            summary.still_passing += host.still_passing;
            for check in &host.checks {
                summary.regressed_into_fail += usize::from(check.regressed_into_fail());
                match check.category {
                    Category::Regressed => summary.regressed += 1,
                    Category::Fixed => summary.fixed += 1,
                    Category::StillFailing => summary.still_failing += 1,
                    Category::StillPassing => summary.still_passing += 1,
                    Category::Incomparable => summary.incomparable += 1,
                }
            }
        }
        summary
    }

    /// Whether a check regressed into `fail`: `hardbench diff` exits 1, and
    /// so does a run under `--fail-on regression`.
    pub fn regressed_into_fail(&self) -> bool {
        self.hosts.iter().flat_map(|host| &host.checks).any(CheckDiff::regressed_into_fail)
    }
}

//! Comparing two reports (`hardbench diff`, `run --baseline`): a pure
//! function of the two, producing `outcome::diff::Diff` (whose module says
//! what each category means). Hosts are matched by name, checks by id.
//! The `hardbench diff` command around it is `command.rs`.

pub mod baseline;
pub mod command;

use crate::outcome::diff::{
    Category, CheckDiff, Compared, Diff, HostDiff, HostIncomparable, Incomparable, Seen, Side,
};
use crate::outcome::{Attestation, CheckResult, Covered, Effect, HostReport, Report, Status};
use std::collections::HashMap;
use std::path::PathBuf;

/// Compares `old` with `new`; `old_path` and `new_path` are the files they
/// were read from, when they were.
pub fn compare(old: &Report, old_path: Option<PathBuf>, new: &Report, new_path: Option<PathBuf>) -> Diff {
    let old_hosts: HashMap<&str, &HostReport> = old.hosts.iter().map(|host| (host.name.as_str(), host)).collect();
    let new_names: HashMap<&str, ()> = new.hosts.iter().map(|host| (host.name.as_str(), ())).collect();
    let mut hosts = Vec::new();
    let mut hosts_added = Vec::new();
    for host in &new.hosts {
        match old_hosts.get(host.name.as_str()) {
            Some(before) => hosts.push(compare_host((before, &old.attestations), (host, &new.attestations))),
            None => hosts_added.push(host.name.clone()),
        }
    }
    let hosts_removed =
        old.hosts.iter().filter(|host| !new_names.contains_key(host.name.as_str())).map(|host| host.name.clone()).collect();
    Diff {
        old: compared(old, old_path),
        new: compared(new, new_path),
        hosts,
        hosts_added,
        hosts_removed,
    }
}

fn compared(report: &Report, path: Option<PathBuf>) -> Compared {
    Compared { path, started_at: report.started_at, hardbench_version: report.hardbench_version.clone() }
}

/// A host of a report, with the report's attestations (which a waived
/// result may need: `counted`).
type InReport<'a> = (&'a HostReport, &'a [Attestation]);

fn compare_host((old, old_attestations): InReport, (new, new_attestations): InReport) -> HostDiff {
    let whole = |incomparable| HostDiff {
        name: new.name.clone(),
        incomparable: Some(incomparable),
        checks: Vec::new(),
        still_passing: 0,
    };
    let (old_results, new_results) = match (&old.result, &new.result) {
        (Ok(old_results), Ok(new_results)) => (old_results, new_results),
        (old_result, new_result) => {
            return whole(HostIncomparable::Unaudited {
                old: old_result.as_ref().err().cloned(),
                new: new_result.as_ref().err().cloned(),
            })
        }
    };
    let (old_benchmark, new_benchmark) = (benchmark_id(old), benchmark_id(new));
    if old_benchmark != new_benchmark {
        return whole(HostIncomparable::Benchmark { old: old_benchmark, new: new_benchmark });
    }
    let by_id: HashMap<&str, &CheckResult> = old_results.iter().map(|result| (&*result.id, result)).collect();
    let new_ids: HashMap<&str, ()> = new_results.iter().map(|result| (&*result.id, ())).collect();
    let pairs = new_results
        .iter()
        .map(|result| (by_id.get(&*result.id).copied(), Some(result)))
        .chain(old_results.iter().filter(|result| !new_ids.contains_key(&*result.id)).map(|result| (Some(result), None)));
    let mut checks = Vec::new();
    let mut still_passing = 0;
    for (before, after) in pairs {
        let check = compare_check(before.map(|r| (r, old_attestations)), after.map(|r| (r, new_attestations)));
        if check.category == Category::StillPassing {
            still_passing += 1;
        } else {
            checks.push(check);
        }
    }
    HostDiff { name: new.name.clone(), incomparable: None, checks, still_passing }
}

fn benchmark_id(host: &HostReport) -> Option<String> {
    host.benchmark.as_ref().map(|benchmark| benchmark.id.clone())
}

/// What a result counts as: a verdict, passing or failing, or none.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counts {
    Passing,
    Failing,
    NoVerdict,
}

fn counts((result, attestations): (&CheckResult, &[Attestation])) -> Counts {
    match counted(result, attestations) {
        Status::Pass => Counts::Passing,
        Status::Fail | Status::Warn => Counts::Failing,
        Status::Waived | Status::Manual | Status::NotApplicable | Status::Skip | Status::Error => Counts::NoVerdict,
    }
}

/// The status a result is compared by: its own, but for a waived result
/// the one the waiver hid (a waived failure is still a failure): the
/// attested result when an attestation decided the manual check, else the
/// verdict evaluation gave.
fn counted(result: &CheckResult, attestations: &[Attestation]) -> Status {
    if result.outcome.status != Status::Waived {
        return result.outcome.status;
    }
    match result.attestation {
        Some(Covered { index, effect: Effect::Applied }) => attestations.get(index).map_or(result.verdict, |a| a.result),
        _ => result.verdict,
    }
}

fn seen(result: &CheckResult) -> Seen {
    Seen { status: result.outcome.status, verdict: result.verdict }
}

/// Compares one check; at least one side is `Some`.
fn compare_check(
    old: Option<(&CheckResult, &[Attestation])>,
    new: Option<(&CheckResult, &[Attestation])>,
) -> CheckDiff {
    let named = new.or(old).map(|(result, _)| result);
    let title = named.map(|result| result.title.to_string()).unwrap_or_default();
    let id = named.map(|result| result.id.to_string()).unwrap_or_default();
    let incomparable = |why| (Category::Incomparable, Some(why));
    let (category, incomparable) = match (old, new) {
        (None, _) => incomparable(Incomparable::Missing { side: Side::Old }),
        (_, None) => incomparable(Incomparable::Missing { side: Side::New }),
        (Some(old), Some(new)) => match (counts(old), counts(new)) {
            (Counts::NoVerdict, Counts::NoVerdict) => incomparable(Incomparable::NoVerdict { side: Side::Both }),
            (Counts::NoVerdict, _) => incomparable(Incomparable::NoVerdict { side: Side::Old }),
            (_, Counts::NoVerdict) => incomparable(Incomparable::NoVerdict { side: Side::New }),
            (Counts::Passing, Counts::Failing) => (Category::Regressed, None),
            (Counts::Failing, Counts::Passing) => (Category::Fixed, None),
            (Counts::Failing, Counts::Failing) => (Category::StillFailing, None),
            (Counts::Passing, Counts::Passing) => (Category::StillPassing, None),
        },
    };
    CheckDiff { id, title, category, incomparable, old: old.map(|(r, _)| seen(r)), new: new.map(|(r, _)| seen(r)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Role;
    use crate::outcome::diff::DiffSummary;
    use crate::report::sample;
    use crate::transport::{HostError, HostErrorKind};

    fn result(id: &str, status: Status) -> CheckResult {
        sample::check(id, &format!("title of {id}"), Role::Worker, status, "", "")
    }

    fn host(name: &str, results: &[(&str, Status)]) -> HostReport {
        let results = results.iter().map(|&(id, status)| result(id, status)).collect();
        sample::ok_host(name, "10.0.0.1", vec![Role::Worker], results)
    }

    fn diff(old: Vec<HostReport>, new: Vec<HostReport>) -> Diff {
        compare(&sample::run(old), None, &sample::run(new), None)
    }

    /// One check on one host, every pair of results that matters: its
    /// category and, when incomparable, why.
    #[test]
    fn every_pair_of_results_has_its_category() {
        use Category::{Fixed, Regressed, StillFailing, StillPassing};
        use Status::{Error, Fail, Manual, NotApplicable, Pass, Skip, Warn};
        const INCOMPARABLE: Category = Category::Incomparable;
        let missing = |side| Some(Incomparable::Missing { side });
        let no_verdict = |side| Some(Incomparable::NoVerdict { side });
        // (old, new, category, why)
        type Row = (Option<Status>, Option<Status>, Category, Option<Incomparable>);
        let table: &[Row] = &[
            (Some(Pass), Some(Fail), Regressed, None),
            (Some(Pass), Some(Warn), Regressed, None),
            (Some(Fail), Some(Pass), Fixed, None),
            (Some(Warn), Some(Pass), Fixed, None),
            (Some(Fail), Some(Fail), StillFailing, None),
            (Some(Fail), Some(Warn), StillFailing, None),
            (Some(Warn), Some(Fail), StillFailing, None),
            (Some(Pass), Some(Pass), StillPassing, None),
            (Some(Error), Some(Pass), INCOMPARABLE, no_verdict(Side::Old)),
            (Some(Pass), Some(Error), INCOMPARABLE, no_verdict(Side::New)),
            (Some(Fail), Some(Skip), INCOMPARABLE, no_verdict(Side::New)),
            (Some(Skip), Some(Fail), INCOMPARABLE, no_verdict(Side::Old)),
            (Some(Pass), Some(NotApplicable), INCOMPARABLE, no_verdict(Side::New)),
            (Some(Manual), Some(Fail), INCOMPARABLE, no_verdict(Side::Old)),
            (Some(Pass), Some(Manual), INCOMPARABLE, no_verdict(Side::New)),
            (Some(Error), Some(Skip), INCOMPARABLE, no_verdict(Side::Both)),
            (Some(NotApplicable), Some(NotApplicable), INCOMPARABLE, no_verdict(Side::Both)),
            (None, Some(Fail), INCOMPARABLE, missing(Side::Old)),
            (None, Some(Error), INCOMPARABLE, missing(Side::Old)),
            (Some(Pass), None, INCOMPARABLE, missing(Side::New)),
        ];
        for (old, new, category, incomparable) in table {
            let results = |status: &Option<Status>| status.iter().map(|&status| ("4.2.1", status)).collect::<Vec<_>>();
            let diff = diff(vec![host("w", &results(old))], vec![host("w", &results(new))]);
            let case = format!("{old:?} -> {new:?}");
            let host = &diff.hosts[0];
            assert_eq!(host.incomparable, None, "{case}");
            if *category == StillPassing {
                assert_eq!((host.checks.len(), host.still_passing), (0, 1), "{case}: counted, not listed");
                continue;
            }
            assert_eq!(host.still_passing, 0, "{case}");
            let [check] = host.checks.as_slice() else { panic!("{case}: {:?}", host.checks) };
            assert_eq!((check.category, &check.incomparable), (*category, incomparable), "{case}");
            let seen = |status: &Option<Status>| status.map(|status| Seen { status, verdict: status });
            assert_eq!((check.old, check.new), (seen(old), seen(new)), "{case}");
            assert_eq!((check.id.as_str(), check.title.as_str()), ("4.2.1", "title of 4.2.1"), "{case}");
            assert_eq!(check.regressed_into_fail(), *category == Regressed && *new == Some(Fail), "{case}");
            assert_eq!(diff.regressed_into_fail(), check.regressed_into_fail(), "{case}");
        }
    }

    /// Waivers and attestations: a waived result counts by what the waiver
    /// hid and is marked waived; a manual check counts once an attestation
    /// decided it, and a waived attested failure is still a failure.
    #[test]
    fn waived_and_attested_results_count_by_what_they_are_underneath() {
        use Status::{Fail, Manual, Pass, Waived, Warn};
        let attestations = [Pass, Fail].map(|result| crate::outcome::Attestation {
            scope: crate::outcome::Scope::new(vec!["4.2.1".into()], vec![], vec![]),
            result,
            attested_by: "p".into(),
            date: "2026-11-01".parse().unwrap(),
            expires: "2027-11-01".parse().unwrap(),
            evidence: "e".into(),
            origin: crate::outcome::Origin { file: "a.toml".into(), line: 1 },
        });
        // (status, verdict, the attestation applied: its index).
        type Given = (Status, Status, Option<usize>);
        let make = |(status, verdict, attested): Given| {
            let mut result = result("4.2.1", status);
            result.verdict = verdict;
            result.attestation = attested.map(|index| Covered { index, effect: Effect::Applied });
            result
        };
        let waived_fail: Given = (Waived, Fail, None);
        let waived_warn: Given = (Waived, Warn, None);
        let attested_pass: Given = (Pass, Manual, Some(0));
        let attested_fail: Given = (Fail, Manual, Some(1));
        let attested_fail_waived: Given = (Waived, Manual, Some(1));
        let plain = |status| (status, status, None);
        let no_verdict = |side| Some(Incomparable::NoVerdict { side });
        let cases: &[(Given, Given, Category, Option<Incomparable>, bool)] = &[
            // (old, new, category, why, regressed into fail)
            (plain(Pass), waived_fail, Category::Regressed, None, false),
            (plain(Pass), waived_warn, Category::Regressed, None, false),
            (waived_fail, plain(Pass), Category::Fixed, None, false),
            (waived_fail, plain(Fail), Category::StillFailing, None, false),
            (plain(Fail), waived_fail, Category::StillFailing, None, false),
            (waived_fail, waived_warn, Category::StillFailing, None, false),
            (plain(Manual), attested_pass, Category::Incomparable, no_verdict(Side::Old), false),
            (attested_pass, plain(Manual), Category::Incomparable, no_verdict(Side::New), false),
            (attested_pass, attested_fail, Category::Regressed, None, true),
            (attested_fail, attested_pass, Category::Fixed, None, false),
            (attested_pass, attested_fail_waived, Category::Regressed, None, false),
            (attested_fail_waived, attested_fail, Category::StillFailing, None, false),
        ];
        for &(old, new, category, ref why, into_fail) in cases {
            let mut before = sample::run(vec![sample::ok_host("w", "10.0.0.1", vec![Role::Worker], vec![make(old)])]);
            let mut after = sample::run(vec![sample::ok_host("w", "10.0.0.1", vec![Role::Worker], vec![make(new)])]);
            before.attestations = attestations.to_vec();
            after.attestations = attestations.to_vec();
            let diff = compare(&before, None, &after, None);
            let case = format!("{old:?} -> {new:?}");
            let [check] = diff.hosts[0].checks.as_slice() else { panic!("{case}: {:?}", diff.hosts[0]) };
            assert_eq!((check.category, &check.incomparable), (category, why), "{case}");
            assert_eq!(check.regressed_into_fail(), into_fail, "{case}");
            assert_eq!(check.waived(), old.0 == Waived || new.0 == Waived, "{case}");
            assert_eq!((check.old, check.new), (Some(Seen { status: old.0, verdict: old.1 }), Some(Seen { status: new.0, verdict: new.1 })), "{case}");
        }
    }

    /// A host that could not be audited on either side, or was judged by
    /// another benchmark, is compared as a whole: never check by check.
    #[test]
    fn a_host_is_incomparable_when_unaudited_or_judged_by_another_benchmark() {
        let error = |message: &str| HostError::new(HostErrorKind::Connect, message);
        let down = |name: &str, message: &str| sample::error_host(name, "10.0.0.1", HostErrorKind::Connect, message);
        let up = host("w", &[("4.2.1", Status::Pass)]);
        let failing = host("w", &[("4.2.1", Status::Fail)]);
        let unaudited = |old: Option<&str>, new: Option<&str>| HostIncomparable::Unaudited {
            old: old.map(error),
            new: new.map(error),
        };
        let mut other_benchmark = failing.clone();
        other_benchmark.benchmark.as_mut().unwrap().id = "cis-1.11".into();
        let mut no_benchmark = failing.clone();
        no_benchmark.benchmark = None;
        let mut same_id_other_definition = failing.clone();
        same_id_other_definition.benchmark.as_mut().unwrap().sha256 = "f".repeat(64);
        let cases = [
            (up.clone(), down("w", "new down"), Some(unaudited(None, Some("new down")))),
            (down("w", "old down"), failing.clone(), Some(unaudited(Some("old down"), None))),
            (down("w", "old down"), down("w", "new down"), Some(unaudited(Some("old down"), Some("new down")))),
            (
                up.clone(),
                other_benchmark,
                Some(HostIncomparable::Benchmark { old: Some("cis-1.12".into()), new: Some("cis-1.11".into()) }),
            ),
            (up.clone(), no_benchmark, Some(HostIncomparable::Benchmark { old: Some("cis-1.12".into()), new: None })),
            // The benchmark's id decides; a changed definition of it does not.
            (up.clone(), same_id_other_definition, None),
        ];
        for (old, new, expected) in cases {
            let diff = diff(vec![old], vec![new]);
            let host = &diff.hosts[0];
            assert_eq!(host.incomparable, expected);
            if expected.is_some() {
                assert_eq!((host.checks.len(), host.still_passing), (0, 0));
                assert!(!diff.regressed_into_fail(), "a regression behind an unreachable host is never counted");
                assert_eq!(diff.summary().hosts_incomparable, 1);
            } else {
                assert_eq!(host.checks[0].category, Category::Regressed);
            }
        }
    }

    #[test]
    fn hosts_are_matched_by_name_and_added_and_removed_ones_listed_in_order() {
        let old = vec![host("gone-1", &[]), host("b", &[("1", Status::Pass)]), host("gone-2", &[]), host("a", &[])];
        let new = vec![host("a", &[]), host("new-1", &[]), host("b", &[("1", Status::Fail)]), host("new-2", &[])];
        let diff = diff(old, new);
        let names: Vec<&str> = diff.hosts.iter().map(|host| host.name.as_str()).collect();
        assert_eq!(names, ["a", "b"], "the newer report's order");
        assert_eq!(diff.hosts_added, ["new-1", "new-2"]);
        assert_eq!(diff.hosts_removed, ["gone-1", "gone-2"]);
        assert_eq!(diff.hosts[1].checks[0].category, Category::Regressed);
    }

    /// Checks are listed in the newer report's order, then those only in
    /// the older one, in its order; the summary counts each category.
    #[test]
    fn checks_keep_report_order_and_the_summary_counts_every_category() {
        use Status::{Error, Fail, Pass, Warn};
        let old = host("w", &[("a", Fail), ("b", Pass), ("only-old-1", Pass), ("c", Pass), ("d", Warn), ("only-old-2", Fail)]);
        let new = host("w", &[("only-new", Pass), ("d", Fail), ("c", Warn), ("b", Fail), ("a", Pass), ("e", Error)]);
        let mut old_pass = old.clone();
        let mut new_pass = new.clone();
        for host in [&mut old_pass, &mut new_pass] {
            host.name = "p".into();
            host.result = Ok(vec![result("x", Pass), result("y", Pass)]);
        }
        let diff = diff(vec![old, old_pass], vec![new, new_pass]);
        let listed: Vec<(&str, Category)> = diff.hosts[0].checks.iter().map(|c| (c.id.as_str(), c.category)).collect();
        assert_eq!(
            listed,
            [
                ("only-new", Category::Incomparable),
                ("d", Category::StillFailing),
                ("c", Category::Regressed),
                ("b", Category::Regressed),
                ("a", Category::Fixed),
                ("e", Category::Incomparable),
                ("only-old-1", Category::Incomparable),
                ("only-old-2", Category::Incomparable),
            ]
        );
        assert_eq!(
            diff.summary(),
            DiffSummary {
                regressed: 2,
                regressed_into_fail: 1,
                fixed: 1,
                still_failing: 1,
                still_passing: 2,
                incomparable: 4,
                hosts_incomparable: 0,
                hosts_added: 0,
                hosts_removed: 0,
            }
        );
    }
}

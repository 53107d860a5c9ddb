//! Joining the shards' reports: checked to be the shards of one audit, then
//! one `Report` with every shard's hosts, in shard order (each shard's in
//! its inventory order). Pure: the reports are read by the caller.
//!
//! What the merged report holds: the shards' common hardbench version,
//! command, selection, input files (the inventory, waivers and attestations
//! with their sha256) and rules; `shard` null and `merged` the reports
//! joined; the earliest start and the latest finish; the day the rules were
//! judged on is the earliest shard's (each result keeps what its own shard
//! judged). Not carried over: a shard's interrupt or missing report (its
//! hosts that were not finished are already errors of kind `interrupted`,
//! which make the merged audit incomplete, exit 3; a file a shard failed to
//! write is not about the hosts).

use super::MergeError;
use crate::outcome::{InputFile, Invocation, Report};
use crate::shard::Shard;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One shard's report, as read from `path`.
pub struct Input {
    pub path: PathBuf,
    /// Its path and the sha256 of its bytes, as the merged report names it.
    pub file: InputFile,
    pub report: Report,
}

/// The one report the shards make together.
pub fn merge(inputs: Vec<Input>) -> Result<Report, MergeError> {
    let shards: Vec<(&Path, Option<Shard>)> = inputs.iter().map(|i| (i.path.as_path(), i.report.invocation.shard)).collect();
    let order = super::shards::order(&shards)?;
    let mut inputs: Vec<Option<Input>> = inputs.into_iter().map(Some).collect();
    let inputs: Vec<Input> = order.into_iter().map(|position| inputs[position].take().expect("each position once")).collect();
    let first = &inputs[0];
    for input in &inputs {
        if input.report.baseline.is_some() {
            return Err(MergeError::HasBaseline { path: input.path.clone() });
        }
        same_audit(first, input)?;
    }
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for input in &inputs {
        let shard = input.report.invocation.shard.expect("checked by shards::order");
        for host in &input.report.hosts {
            if !shard.holds(&host.name) {
                let actual = Shard::of(&host.name, shard.count);
                return Err(MergeError::HostNotInShard { path: input.path.clone(), host: host.name.clone(), shard, actual });
            }
            if let Some(earlier) = seen.insert(&host.name, &input.path) {
                return Err(MergeError::HostTwice { host: host.name.clone(), first: earlier.to_path_buf(), second: input.path.clone() });
            }
        }
    }

    let merged = inputs.iter().map(|input| input.file.clone()).collect();
    let started_at = inputs.iter().map(|i| i.report.started_at).min().expect("at least one shard");
    let finished_at = inputs.iter().map(|i| i.report.finished_at).max().expect("at least one shard");
    let review_date = inputs.iter().map(|i| i.report.review_date).min().expect("at least one shard");
    let mut inputs = inputs.into_iter();
    let first = inputs.next().expect("at least one shard").report;
    let mut hosts = first.hosts;
    for input in inputs {
        hosts.extend(input.report.hosts);
    }
    Ok(Report {
        hardbench_version: first.hardbench_version,
        invocation: Invocation { shard: None, merged, facts: None, ..first.invocation },
        waivers: first.waivers,
        attestations: first.attestations,
        review_date,
        started_at,
        finished_at,
        hosts,
        interrupted_by: None,
        report_missing: false,
        baseline: None,
    })
}

/// Refuses `other` unless it was made by the same hardbench, command and
/// selection over the same inputs as `first`. Paths may differ (each pod
/// mounts the inventory where it likes); contents may not.
fn same_audit(first: &Input, other: &Input) -> Result<(), MergeError> {
    let (a, b) = (&first.report, &other.report);
    let digest = |file: &Option<InputFile>| file.as_ref().map_or("none".to_string(), |f| format!("sha256 {}", f.sha256));
    let list = |items: &[String]| if items.is_empty() { "none".to_string() } else { items.join(",") };
    let level = |level: Option<u8>| level.map_or("all".to_string(), |l| l.to_string());
    let (x, y) = (&a.invocation, &b.invocation);
    let compared: [(&'static str, String, String); 10] = [
        ("hardbench versions", a.hardbench_version.clone(), b.hardbench_version.clone()),
        ("commands", x.command.clone(), y.command.clone()),
        ("inventories", digest(&x.inventory), digest(&y.inventory)),
        ("--benchmark", x.benchmark.clone(), y.benchmark.clone()),
        ("--level", level(x.level), level(y.level)),
        ("--check", list(&x.check), list(&y.check)),
        ("--skip", list(&x.skip), list(&y.skip)),
        ("--limit", list(&x.limit), list(&y.limit)),
        ("--waivers", digest(&x.waivers), digest(&y.waivers)),
        ("--attestations", digest(&x.attestations), digest(&y.attestations)),
    ];
    for (what, first_value, other_value) in compared {
        if first_value != other_value {
            return Err(MergeError::Differs { what, first: first.path.clone(), first_value, other: other.path.clone(), other_value });
        }
    }
    // The same files make the same rules; a report edited by hand may not.
    if a.waivers != b.waivers || a.attestations != b.attestations {
        let rules = |r: &Report| format!("{} waivers, {} attestations", r.waivers.len(), r.attestations.len());
        let (first_value, mut other_value) = (rules(a), rules(b));
        if first_value == other_value {
            other_value.push_str(" that say otherwise");
        }
        let (first, other) = (first.path.clone(), other.path.clone());
        return Err(MergeError::Differs { what: "waivers and attestations", first, first_value, other, other_value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Role;
    use crate::outcome::{ExitCode, Status};
    use crate::report::sample;

    /// A host name in shard `index` of `count`, from `stem-0`, `stem-1`...
    fn named_in(stem: &str, index: u32, count: u32) -> String {
        (0..).map(|i| format!("{stem}-{i}")).find(|name| Shard::of(name, count) == index).unwrap()
    }

    fn check(id: &str, status: Status) -> crate::outcome::CheckResult {
        sample::check(id, "t", Role::Worker, status, "", "")
    }

    /// Shard `index` of `count`, with one host of it per status given.
    fn shard(index: u32, count: u32, statuses: &[Status]) -> Input {
        let hosts = statuses
            .iter()
            .enumerate()
            .map(|(n, status)| {
                let name = named_in(&format!("w{index}x{n}"), index, count);
                sample::ok_host(&name, "10.0.0.5", vec![Role::Worker], vec![check("4.1.1", *status), check("4.2.1", Status::Pass)])
            })
            .collect();
        let mut report = sample::run(hosts);
        report.invocation.shard = Some(Shard { index, count });
        report.invocation.inventory = Some(InputFile { path: "inventory.toml".into(), sha256: "ab".repeat(32) });
        let path = PathBuf::from(format!("shard-{index}.json"));
        Input { file: InputFile::of(&path, index.to_string().as_bytes()), path, report }
    }

    fn refused(inputs: Vec<Input>) -> String {
        merge(inputs).unwrap_err().to_string()
    }

    #[test]
    fn the_shards_make_one_report_with_every_host_and_the_exit_code_of_all() {
        let merged = merge(vec![
            shard(2, 3, &[Status::Pass]),
            shard(0, 3, &[Status::Pass, Status::Pass]),
            shard(1, 3, &[Status::Fail]),
        ])
        .unwrap();
        let shards: Vec<u32> = merged.hosts.iter().map(|h| Shard::of(&h.name, 3)).collect();
        assert_eq!(shards, [0, 0, 1, 2], "in shard order");
        let summary = merged.summary();
        assert_eq!((summary.pass, summary.fail, summary.hosts_ok), (7, 1, 4));
        assert_eq!(merged.exit_code(), ExitCode::NonCompliant, "one shard's failure fails the whole");
        assert_eq!(merged.invocation.shard, None);
        let names: Vec<&str> = merged.invocation.merged.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["shard-0.json", "shard-1.json", "shard-2.json"]);
        assert_eq!(merged.invocation.inventory.as_ref().unwrap().sha256, "ab".repeat(32));

        // An empty shard is a shard: it counts as given, and adds nothing.
        let merged = merge(vec![shard(0, 2, &[Status::Pass]), shard(1, 2, &[])]).unwrap();
        assert_eq!((merged.hosts.len(), merged.exit_code()), (1, ExitCode::Compliant));
        // A host that could not be audited makes the whole incomplete.
        let mut broken = shard(1, 2, &[Status::Pass]);
        broken.report.hosts[0].result = Err(crate::transport::HostError::new(crate::transport::HostErrorKind::Interrupted, "interrupted"));
        broken.report.interrupted_by = Some(libc::SIGTERM);
        let merged = merge(vec![shard(0, 2, &[Status::Fail]), broken]).unwrap();
        assert_eq!(merged.exit_code(), ExitCode::Incomplete, "the merge itself was not interrupted");
    }

    #[test]
    fn reports_of_different_audits_or_overlapping_hosts_are_refused_by_name() {
        let edited = |index: u32, edit: &dyn Fn(&mut Report)| {
            let mut input = shard(index, 2, &[Status::Pass]);
            edit(&mut input.report);
            input
        };
        let cases: Vec<(Input, &str)> = vec![
            (
                edited(1, &|r| r.invocation.inventory.as_mut().unwrap().sha256 = "cd".repeat(32)),
                "their inventories differ (sha256 abab",
            ),
            (edited(1, &|r| r.invocation.inventory.as_mut().unwrap().path = "/etc/hardbench/inv.toml".into()), ""),
            (edited(1, &|r| r.invocation.benchmark = "cis-1.11".into()), "their --benchmark differ (auto and cis-1.11)"),
            (edited(1, &|r| r.invocation.check = vec!["4.1".into()]), "their --check differ (none and 4.1)"),
            (edited(1, &|r| r.invocation.skip = vec!["4.1".into()]), "their --skip differ (none and 4.1)"),
            (edited(1, &|r| r.invocation.level = Some(1)), "their --level differ (all and 1)"),
            (edited(1, &|r| r.invocation.limit = vec!["a".into()]), "their --limit differ"),
            (edited(1, &|r| r.hardbench_version = "0.0.9".into()), "their hardbench versions differ (0.1.0 and 0.0.9)"),
            (edited(1, &|r| r.invocation.command = "evaluate".into()), "their commands differ (run and evaluate)"),
            (
                edited(1, &|r| r.invocation.waivers = Some(InputFile { path: "w.toml".into(), sha256: "ef".repeat(32) })),
                "their --waivers differ (none and sha256 efef",
            ),
            (
                edited(1, &|r| r.waivers = vec![sample::waiver(&["4.1.1"], "2027-01-01")]),
                "their waivers and attestations differ (0 waivers, 0 attestations and 1 waivers, 0 attestations)",
            ),
            (
                edited(1, &|r| r.hosts[0].name = named_in("moved", 0, 2)),
                "shard-1.json: host \"moved-",
            ),
        ];
        for (other, expected) in cases {
            let result = merge(vec![shard(0, 2, &[Status::Pass]), other]);
            match (result, expected) {
                (Ok(_), "") => {}
                (Ok(_), expected) => panic!("merged, expected {expected:?}"),
                (Err(error), expected) => {
                    let error = error.to_string();
                    assert!(!expected.is_empty() && error.contains(expected), "{error}\nexpected {expected:?}");
                    assert!(error.contains("shard-1.json"), "{error}");
                }
            }
        }
        // The same files, but rules that say otherwise (a report edited by hand).
        let (mut a, mut b) = (shard(0, 2, &[]), shard(1, 2, &[]));
        a.report.waivers = vec![sample::waiver(&["4.1.1"], "2027-01-01")];
        b.report.waivers = vec![sample::waiver(&["4.2.1"], "2027-01-01")];
        let edited_rules = refused(vec![a, b]);
        assert!(edited_rules.ends_with("(1 waivers, 0 attestations and 1 waivers, 0 attestations that say otherwise)"), "{edited_rules}");
        let wrong = refused(vec![shard(0, 2, &[]), edited(1, &|r| r.hosts[0].name = named_in("moved", 0, 2))]);
        assert!(wrong.ends_with("is not in shard 1/2 (its name puts it in shard 0/2)"), "{wrong}");

        // The same host twice: two reports claiming it, under shards of one split.
        let mut a = shard(0, 1, &[Status::Pass]);
        let b_host = a.report.hosts[0].clone();
        a.report.hosts.push(b_host);
        assert!(refused(vec![a]).starts_with("host \"w0x0-"), "a host twice in one report");
        let twice = refused(vec![shard(0, 2, &[Status::Pass]), shard(0, 2, &[Status::Pass])]);
        assert_eq!(twice, "shard-0.json and shard-0.json are both shard 0/2");
        let missing = refused(vec![shard(0, 3, &[Status::Pass]), shard(2, 3, &[])]);
        assert!(missing.starts_with("shard 1 of 3 is missing (given: shard-0.json, shard-2.json)"), "{missing}");
        let mut baseline = shard(1, 2, &[Status::Pass]);
        let diff = crate::diff::compare(&baseline.report, None, &baseline.report, None);
        baseline.report.baseline = Some(crate::outcome::diff::Baseline { diff, fail_on: crate::outcome::diff::FailOn::Fail });
        assert_eq!(
            refused(vec![shard(0, 2, &[]), baseline]),
            "shard-1.json was made with --baseline: merge the shards' reports made without it, and give --baseline to merge"
        );
    }
}

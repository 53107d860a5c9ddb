//! A diff for the person at the bastion (`hardbench diff`, and the section
//! the console report ends with under `run --baseline`): grouped by host,
//! each host with its counts; every regressed and fixed check on a line of
//! its own; those still failing and those that cannot be compared named in
//! one line each per host (the latter grouped by why); hosts that could not be
//! compared as a whole with why; hosts added and removed; a total line.
//! Under `--summary`, the host lines, hosts added and removed and the total
//! line only.
//! Every string from a report goes through `sanitize`.

use crate::outcome::diff::{Baseline, Category, FailOn, CheckDiff, Compared, Diff, HostDiff, HostIncomparable, Incomparable, Seen, Side};
use crate::report::console::Style;
use crate::report::sanitize::sanitize;
use crate::transport::HostError;
use std::io;

/// Writes `diff` for a person to read.
pub fn write(diff: &Diff, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    writeln!(out, "Changes from {} to {}:", compared(&diff.old), compared(&diff.new))?;
    for host in &diff.hosts {
        write_host(host, out, style)?;
    }
    if !diff.hosts_added.is_empty() {
        writeln!(out, "hosts added: {}", names(&diff.hosts_added))?;
    }
    if !diff.hosts_removed.is_empty() {
        writeln!(out, "hosts removed: {}", names(&diff.hosts_removed))?;
    }
    let s = diff.summary();
    writeln!(
        out,
        "Diff: {} ({} into fail), {}, {} still failing, {} still passing, {} incomparable; {} {} not compared, {} added, {} removed",
        paint(style, RED, s.regressed, &format!("{} regressed", s.regressed)),
        s.regressed_into_fail,
        paint(style, GREEN, s.fixed, &format!("{} fixed", s.fixed)),
        s.still_failing,
        s.still_passing,
        s.incomparable,
        s.hosts_incomparable,
        if s.hosts_incomparable == 1 { "host" } else { "hosts" },
        s.hosts_added,
        s.hosts_removed,
    )
}

/// The section the console report ends with under `--baseline`: the
/// diff, and what the exit status follows.
pub fn write_baseline(baseline: &Baseline, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    write(&baseline.diff, out, style)?;
    match baseline.fail_on {
        FailOn::Fail => Ok(()),
        FailOn::Regression => writeln!(
            out,
            "--fail-on regression: the exit status is 1 only for a check that regressed into fail since the baseline"
        ),
    }
}

/// "old.json (run of 2026-11-22T16:40:00+00:00)", or "this run".
fn compared(side: &Compared) -> String {
    match &side.path {
        Some(path) => format!("{} (run of {})", sanitize(&path.to_string_lossy()), when(side)),
        None => format!("this run (of {})", when(side)),
    }
}

/// When the run started, to the second.
fn when(side: &Compared) -> String {
    side.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn write_host(host: &HostDiff, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    let name = sanitize(&host.name);
    if let Some(whole) = &host.incomparable {
        return writeln!(out, "  {name}: not compared: {}", whole_host(whole));
    }
    let of = |category| host.checks.iter().filter(move |check| check.category == category);
    let count = |category| of(category).count();
    writeln!(
        out,
        "  {name}: {} regressed, {} fixed, {} still failing, {} still passing, {} incomparable",
        count(Category::Regressed),
        count(Category::Fixed),
        count(Category::StillFailing),
        host.still_passing,
        count(Category::Incomparable),
    )?;
    if style.summary {
        return Ok(());
    }
    for check in host.checks.iter().filter(|check| matches!(check.category, Category::Regressed | Category::Fixed)) {
        let (label, sgr) = if check.category == Category::Regressed { ("REGRESSED", RED) } else { ("FIXED", GREEN) };
        writeln!(
            out,
            "    {} {} {}: {} -> {}",
            paint(style, sgr, 1, &format!("{label:<9}")),
            sanitize(&check.id),
            sanitize(&check.title),
            seen(check.old),
            seen(check.new),
        )?;
    }
    let still_failing: Vec<String> = of(Category::StillFailing).map(|check| format!("{}{}", sanitize(&check.id), waived(check))).collect();
    if !still_failing.is_empty() {
        writeln!(out, "    still failing: {}", still_failing.join(", "))?;
    }
    // Grouped by why, in order of first appearance: one host's manual
    // checks are a long list with one reason.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for check in of(Category::Incomparable) {
        let why = why(check);
        let id = sanitize(&check.id).into_owned();
        match groups.iter_mut().find(|(reason, _)| *reason == why) {
            Some((_, ids)) => ids.push(id),
            None => groups.push((why, vec![id])),
        }
    }
    if !groups.is_empty() {
        let groups: Vec<String> = groups.into_iter().map(|(why, ids)| format!("{why}: {}", ids.join(", "))).collect();
        writeln!(out, "    incomparable: {}", groups.join("; "))?;
    }
    Ok(())
}

fn whole_host(whole: &HostIncomparable) -> String {
    let error = |error: &HostError| format!("{}: {}", error.kind, sanitize(&error.message));
    match whole {
        HostIncomparable::Unaudited { old: Some(old), new: Some(new) } => {
            format!("not audited in either report (old: {}; new: {})", error(old), error(new))
        }
        HostIncomparable::Unaudited { old: Some(old), new: None } => format!("not audited in the old report ({})", error(old)),
        HostIncomparable::Unaudited { old: None, new: Some(new) } => format!("not audited in the new report ({})", error(new)),
        HostIncomparable::Unaudited { old: None, new: None } => "not audited".to_owned(),
        HostIncomparable::Benchmark { old, new } => {
            let id = |id: &Option<String>| id.as_deref().map_or_else(|| "no benchmark".to_owned(), |id| sanitize(id).into_owned());
            format!("judged by {} in the old report, {} in the new", id(old), id(new))
        }
    }
}

/// "fail", or "waived (verdict fail)" when a waiver or an attestation
/// changed the status; "none" without a result.
fn seen(seen: Option<Seen>) -> String {
    match seen {
        None => "none".to_owned(),
        Some(Seen { status, verdict }) if status == verdict => status.to_string(),
        Some(Seen { status, verdict }) => format!("{status} (verdict {verdict})"),
    }
}

/// " (waived)" when a waiver hid the failure on either side.
fn waived(check: &CheckDiff) -> &'static str {
    if check.waived() {
        " (waived)"
    } else {
        ""
    }
}

/// Why a check cannot be compared, in words: the two results (those that
/// are no verdict are plain to see), or the report that has none.
fn why(check: &CheckDiff) -> String {
    match &check.incomparable {
        Some(Incomparable::Missing { side: Side::Old }) => "not in the old report".to_owned(),
        Some(Incomparable::Missing { side: Side::New }) => "not in the new report".to_owned(),
        Some(Incomparable::Missing { side: Side::Both }) => "in neither report".to_owned(),
        Some(Incomparable::NoVerdict { .. }) | None => format!("{} -> {}", seen(check.old), seen(check.new)),
    }
}

fn names(names: &[String]) -> String {
    names.iter().map(|name| sanitize(name)).collect::<Vec<_>>().join(", ")
}

const RED: &str = "31";
const GREEN: &str = "32";

/// `text` in color when asked and `n` is not 0.
fn paint(style: Style, sgr: &str, n: usize, text: &str) -> String {
    if style.color && n > 0 {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn render(diff: &Diff, color: bool, summary: bool) -> String {
        let mut out = Vec::new();
        write(diff, &mut out, Style { color, summary }).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_diff_reads_host_by_host() {
        let expected = "\
Changes from old.json (run of 2026-11-22T16:40:00+00:00) to this run (of 2026-11-22T16:40:00+00:00):
  w-1: 1 regressed, 1 fixed, 0 still failing, 1 still passing, 1 incomparable
    REGRESSED 4.1.1 title 4.1.1: pass -> fail
    FIXED     4.2.1 title 4.2.1: fail -> pass
    incomparable: error -> pass: 4.2.3
  w-2: not compared: not audited in the new report (connect: w-2 (10.0.0.2:22): connection refused)
  w-3: not compared: judged by cis-1.12 in the old report, cis-1.11 in the new
hosts added: w-new
hosts removed: w-old
Diff: 1 regressed (1 into fail), 1 fixed, 0 still failing, 1 still passing, 1 incomparable; 2 hosts not compared, 1 added, 1 removed
";
        assert_eq!(render(&sample::diff(), false, false), expected);
        // --summary: no check lines.
        let summary: String = expected.lines().filter(|line| !line.starts_with("    ")).map(|line| format!("{line}\n")).collect();
        assert_eq!(render(&sample::diff(), false, true), summary);
        let colored = render(&sample::diff(), true, false);
        assert!(colored.contains("\x1b[31mREGRESSED\x1b[0m") && colored.contains("\x1b[32m1 fixed\x1b[0m"), "{colored}");
    }

    #[test]
    fn host_strings_cannot_act_on_the_terminal() {
        let mut diff = sample::diff();
        diff.hosts[0].name = format!("w-1 {}", sample::HOSTILE);
        diff.hosts[0].checks[0].title = sample::HOSTILE.to_owned();
        diff.hosts_added[0] = sample::HOSTILE.to_owned();
        let text = render(&diff, false, false);
        assert!(!text.chars().any(|c| crate::report::sanitize::is_hazard(c) && c != '\n'), "{text}");
        assert_eq!(text.lines().count(), render(&sample::diff(), false, false).lines().count(), "no line forged");
    }
}

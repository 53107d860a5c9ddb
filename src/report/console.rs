//! The console report, for the person at the bastion: one summary line per
//! host (with the benchmark that judged it), then the checks that need
//! attention (fail, warn, error) with what was expected, what was found and
//! where, and the remediation; waived, attested, manual and not-applicable
//! checks compactly after them (a manual check whose automated evaluation
//! would fail first, marked); the waivers' and attestations' states; a total
//! line; and last, by name, the hosts that failed or could not be (fully)
//! audited, one line each, so that the end of a long log says what needs a
//! look. `--summary` leaves out every check: the host lines, the total line
//! and that list.
//!
//! Terminal safety: every string from a host or the report goes through
//! `sanitize`, so no control character, escape sequence, newline or bidi
//! override a host sent reaches the terminal; the only escape sequences in
//! the output are the writer's own colors, and only when `Style::color`.

use crate::facts::Impostor;
use crate::outcome::{CheckResult, Covered, Effect, HostReport, Report, RuleUse, Status, Summary};
use crate::report::sanitize::sanitize;
use crate::report::source;
use std::io;

/// How the report looks. The caller decides: color only on a TTY and never
/// with NO_COLOR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// `--summary`: one line per host, the total line and the hosts that
    /// need a look; no check.
    pub summary: bool,
}

/// Remediation text is wrapped to this many columns; a fixed width keeps
/// the output the same wherever it is written.
const WIDTH: usize = 100;

/// Where a check's details start.
const DETAIL: &str = "      ";

/// Write `report` for a person to read.
pub fn write(report: &Report, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    for host in &report.hosts {
        if style.summary {
            write_host_line(host, out, style)?;
        } else {
            write_host(report, host, out, style)?;
            writeln!(out)?;
        }
    }
    if !style.summary {
        let at = |o: &crate::outcome::Origin| format!("{}:{}", o.file.display(), o.line);
        write_rules(out, "waiver", &report.waiver_uses(), |i| at(&report.waivers[i].origin))?;
        write_rules(out, "attestation", &report.attestation_uses(), |i| at(&report.attestations[i].origin))?;
    }
    write_total(report, out, style)?;
    if let Some(baseline) = &report.baseline {
        writeln!(out)?;
        crate::report::diff_console::write_baseline(baseline, out, style)?;
    }
    writeln!(out)?;
    write_hosts_to_look_at(report, out, style)
}

/// The line of totals over every host.
fn write_total(report: &Report, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    let summary = report.summary();
    let hosts = summary.hosts_ok + summary.hosts_error;
    writeln!(
        out,
        "{} {} ({} ok, {}), {}: {}",
        hosts,
        if hosts == 1 { "host" } else { "hosts" },
        summary.hosts_ok,
        count(style, Status::Error, summary.hosts_error),
        sanitize(&benchmarks(report)),
        counts(style, &summary),
    )
}

/// "benchmark cis-1.12" when every judged host used it, else each used once
/// ("benchmarks cis-1.11, cis-1.12"), or "no benchmark".
fn benchmarks(report: &Report) -> String {
    if let Some(common) = report.benchmark() {
        return format!("benchmark {}", common.id);
    }
    let mut ids: Vec<&str> = report.hosts.iter().filter_map(|h| h.benchmark.as_ref()).map(|b| b.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    match ids.as_slice() {
        [] => "no benchmark".to_owned(),
        ids => format!("benchmarks {}", ids.join(", ")),
    }
}

/// The hosts that failed (a failed check or an impostor), that could not
/// be audited (with why), and that were audited with checks in error, one
/// line each, in report order; or one line saying there are none.
fn write_hosts_to_look_at(report: &Report, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    let mut none = true;
    let failed = paint(style, color(Status::Fail), "failed:");
    for host in &report.hosts {
        let Ok(results) = &host.result else { continue };
        let summary = Summary::of_results(results);
        if summary.fail > 0 || !host.impostors.is_empty() {
            let mut what = Vec::new();
            if summary.fail > 0 {
                what.push(format!("{} fail", summary.fail));
            }
            if !host.impostors.is_empty() {
                what.push(format!("{} impostor", host.impostors.len()));
            }
            writeln!(out, "{failed} {} ({})", sanitize(&host.name), what.join(", "))?;
            none = false;
        }
    }
    let not_audited = paint(style, color(Status::Error), "not audited:");
    for host in &report.hosts {
        if let Err(error) = &host.result {
            writeln!(out, "{not_audited} {} [{}] {}", sanitize(&host.name), error.kind, sanitize(&error.message))?;
            none = false;
        }
    }
    let incomplete = paint(style, color(Status::Error), "incomplete:");
    for host in &report.hosts {
        let Ok(results) = &host.result else { continue };
        let errors = Summary::of_results(results).error;
        if errors > 0 {
            let checks = if errors == 1 { "check" } else { "checks" };
            writeln!(out, "{incomplete} {} ({errors} {checks} in error: facts that could not be collected)", sanitize(&host.name))?;
            none = false;
        }
    }
    if none {
        writeln!(out, "every host was audited and none failed")?;
    }
    Ok(())
}

fn write_host(report: &Report, host: &HostReport, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    let Some(results) = write_host_line(host, out, style)? else {
        return Ok(());
    };
    if let Some(key) = host.host_key.as_ref().filter(|key| key.recorded) {
        let note = format!(
            "host key {} {} recorded in known_hosts by this run (accept-new): trusted on first use, not verified",
            key.algorithm, key.fingerprint
        );
        for line in wrap("  note: ", &sanitize(&note), WIDTH) {
            writeln!(out, "{line}")?;
        }
    }
    for note in &host.notes {
        for line in wrap("  note: ", note, WIDTH) {
            writeln!(out, "{line}")?;
        }
    }
    for impostor in &host.impostors {
        write_impostor(impostor, out, style)?;
    }
    for result in results {
        match result.outcome.status {
            Status::Fail | Status::Warn | Status::Error => write_check(report, result, out, style)?,
            Status::Pass | Status::Waived | Status::Manual | Status::NotApplicable | Status::Skip => {}
        }
    }
    for result in results.iter().filter(|result| result.outcome.status == Status::Waived) {
        writeln!(
            out,
            "  {} {}; {}: {}",
            label_of(style, Status::Waived),
            Heading(result),
            result.verdict,
            sanitize(&source::observed(&result.outcome))
        )?;
        write_reviews(report, result, out)?;
    }
    let attested = |r: &&CheckResult| r.attestation.is_some_and(|a| a.effect == Effect::Applied);
    for result in results.iter().filter(attested).filter(|r| r.outcome.status == Status::Pass) {
        writeln!(out, "  {} {}", label_of(style, Status::Pass), Heading(result))?;
        write_reviews(report, result, out)?;
    }
    // A manual check that automated evaluation would fail comes first, marked.
    let manual = |would_fail: bool| {
        results.iter().filter(move |result| {
            result.outcome.status == Status::Manual && (result.outcome.automated_verdict == Some(Status::Fail)) == would_fail
        })
    };
    for result in manual(true).chain(manual(false)) {
        let would_fail = if result.outcome.automated_verdict == Some(Status::Fail) {
            paint(style, color(Status::Fail), " (automated evaluation would fail)")
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {} {}; observed: {}{would_fail}",
            label_of(style, Status::Manual),
            Heading(result),
            sanitize(&source::observed(&result.outcome))
        )?;
        write_reviews(report, result, out)?;
    }
    for result in results
        .iter()
        .filter(|result| result.outcome.status == Status::NotApplicable)
    {
        let actual = &result.outcome.actual;
        writeln!(
            out,
            "  {} {}; {}",
            label_of(style, Status::NotApplicable),
            Heading(result),
            sanitize(actual.strip_prefix("not applicable: ").unwrap_or(actual))
        )?;
    }
    Ok(())
}

/// The host's line: its name, address, roles, benchmark and counts, or
/// why it could not be audited. Returns its results, if it has any.
fn write_host_line<'a>(host: &'a HostReport, out: &mut dyn io::Write, style: Style) -> io::Result<Option<&'a [CheckResult]>> {
    let label = format!(
        "{} ({})",
        paint(style, BOLD, &sanitize(&host.name)),
        sanitize(&host.endpoint())
    );
    let results = match &host.result {
        Ok(results) => results,
        Err(error) => {
            writeln!(
                out,
                "{label}: {} [{}] {}",
                paint(style, color(Status::Error), "ERROR"),
                error.kind,
                sanitize(&error.message)
            )?;
            return Ok(None);
        }
    };
    let benchmark = host.benchmark.as_ref().map_or_else(String::new, |b| format!(", benchmark {}", sanitize(&b.id)));
    writeln!(
        out,
        "{label} {}{benchmark}: {}",
        roles(host),
        counts(style, &Summary::of_results(results))
    )?;
    Ok(Some(results))
}

/// A process that carries a component's name and was not judged as it.
fn write_impostor(impostor: &Impostor, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    let uid = impostor.uid.map_or_else(|| "uid unknown".to_owned(), |uid| format!("uid {uid}"));
    writeln!(
        out,
        "  {} {} process pid {} ({uid}): {}",
        paint(style, color(Status::Fail), "IMPOSTOR"),
        impostor.component,
        impostor.pid,
        sanitize(&impostor.argv0)
    )?;
    writeln!(out, "{DETAIL}not judged as {}: {}", impostor.component, sanitize(&impostor.reason))
}

fn write_check(report: &Report, result: &CheckResult, out: &mut dyn io::Write, style: Style) -> io::Result<()> {
    let outcome = &result.outcome;
    writeln!(
        out,
        "  {} {}",
        label_of(style, outcome.status),
        Heading(result)
    )?;
    if outcome.status == Status::Error {
        // An error is not a verdict: there is nothing to compare, and
        // nothing to remediate until the fact can be collected.
        writeln!(out, "{DETAIL}reason: {}", sanitize(&outcome.actual))?;
    } else {
        writeln!(out, "{DETAIL}expected: {}", sanitize(&outcome.expected))?;
        writeln!(
            out,
            "{DETAIL}actual: {}",
            sanitize(&source::observed(outcome))
        )?;
    }
    for note in &outcome.notes {
        writeln!(out, "{DETAIL}note: {}", sanitize(note))?;
    }
    write_reviews(report, result, out)?;
    if outcome.status != Status::Error {
        for line in wrap(
            &format!("{DETAIL}remediation: "),
            &result.remediation,
            WIDTH,
        ) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// The attestation and the waiver that cover a result, and what each did.
fn write_reviews(report: &Report, result: &CheckResult, out: &mut dyn io::Write) -> io::Result<()> {
    if let Some(Covered { index, effect }) = result.attestation {
        let a = &report.attestations[index];
        let what = match effect {
            Effect::Applied => "attested".to_string(),
            Effect::Expired => format!("attestation expired on {}: the check stays manual; it was", a.expires),
            Effect::NotNeeded => "not manual, so not changed by the attestation that it was".to_string(),
        };
        writeln!(
            out,
            "{DETAIL}{what} {} by {} on {} (attestation {}, {}:{}); evidence: {}",
            a.result,
            sanitize(&a.attested_by),
            a.date,
            index + 1,
            a.origin.file.display(),
            a.origin.line,
            sanitize(&a.evidence)
        )?;
    }
    if let Some(Covered { index, effect }) = result.waiver {
        let w = &report.waivers[index];
        let what = match effect {
            Effect::Applied => format!("waived until {}", w.expires),
            Effect::Expired => format!("waiver expired on {}: judged normally", w.expires),
            Effect::NotNeeded => format!("covered by a waiver until {}, not needed: the check is {}", w.expires, result.outcome.status),
        };
        writeln!(
            out,
            "{DETAIL}{what} (waiver {}, {}:{}): {}; approved by {}",
            index + 1,
            w.origin.file.display(),
            w.origin.line,
            sanitize(&w.reason),
            sanitize(&w.approved_by)
        )?;
    }
    Ok(())
}

/// "waivers: 2 active, 1 expired (w.toml:8, on 2026-10-01), 1 unused (w.toml:15)";
/// nothing when the run had none.
fn write_rules(
    out: &mut dyn io::Write,
    kind: &str,
    uses: &[RuleUse<'_>],
    origin: impl Fn(usize) -> String,
) -> io::Result<()> {
    if uses.is_empty() {
        return Ok(());
    }
    let mut parts = Vec::new();
    for state in crate::outcome::RuleState::ALL {
        let of: Vec<String> = uses
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.state == state)
            .map(|(i, rule)| {
                match state {
                    crate::outcome::RuleState::Expired => format!("{}, on {}", origin(i), rule.expires),
                    _ => origin(i),
                }
            })
            .collect();
        match (state, of.len()) {
            (_, 0) => {}
            (crate::outcome::RuleState::Active, n) => parts.push(format!("{n} {state}")),
            (_, n) => parts.push(format!("{n} {state} ({})", of.join("; "))),
        }
    }
    writeln!(out, "{kind}s: {}", sanitize(&parts.join(", ")))
}

/// A check's id and title, written where it is shown rather than into a
/// String of its own: every manual check on every host has a line.
struct Heading<'a>(&'a CheckResult);

impl std::fmt::Display for Heading<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", sanitize(&self.0.id), sanitize(&self.0.title))?;
        // Level 1 is the common case; only the exception is marked.
        if self.0.level > 1 {
            write!(f, " [Level {}]", self.0.level)?;
        }
        Ok(())
    }
}

fn roles(host: &HostReport) -> String {
    let mut roles = if host.roles.is_empty() {
        "no roles".to_owned()
    } else {
        host.roles
            .iter()
            .map(|role| role.name())
            .collect::<Vec<_>>()
            .join(",")
    };
    if host.roles_detected {
        roles.push_str(" (detected)");
    }
    roles
}

/// "14 pass, 2 fail, 0 warn, 2 manual, 0 error"; N/A only when some checks
/// did not apply, and skip only when some were skipped, since skipping is
/// something the user asked for.
fn counts(style: Style, summary: &Summary) -> String {
    let mut parts = vec![
        count(style, Status::Pass, summary.pass),
        count(style, Status::Fail, summary.fail),
        count(style, Status::Warn, summary.warn),
        count(style, Status::Manual, summary.manual),
    ];
    if summary.manual_failing > 0 {
        let last = parts.pop().expect("manual is counted");
        parts.push(format!("{last} ({} would fail)", summary.manual_failing));
    }
    if summary.waived > 0 {
        parts.insert(3, count(style, Status::Waived, summary.waived));
    }
    if summary.not_applicable > 0 {
        parts.push(count(style, Status::NotApplicable, summary.not_applicable));
    }
    if summary.skip > 0 {
        parts.push(count(style, Status::Skip, summary.skip));
    }
    parts.push(count(style, Status::Error, summary.error));
    parts.join(", ")
}

fn count(style: Style, status: Status, n: usize) -> String {
    let text = match status {
        Status::NotApplicable => format!("{n} N/A"),
        _ => format!("{n} {status}"),
    };
    if n == 0 {
        text
    } else {
        paint(style, color(status), &text)
    }
}

/// `text` after `prefix`, wrapped at `width` columns with continuation
/// lines aligned under its first word. Line breaks in `text` start a new
/// line and keep that line's leading indentation (remediation text holds
/// YAML and shell snippets); all other whitespace separates words. Each word
/// is sanitized; a word longer than a line gets a line of its own.
fn wrap(prefix: &str, text: &str, width: usize) -> Vec<String> {
    let indent = " ".repeat(prefix.chars().count());
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for paragraph in text.lines() {
        let nested = " ".repeat(paragraph.chars().take_while(|c| *c == ' ').count());
        for word in paragraph.split_whitespace() {
            let word = sanitize(word);
            if line.is_empty() {
                let lead = if lines.is_empty() { prefix } else { &indent };
                line = format!("{lead}{nested}{word}");
            } else if line.chars().count() + 1 + word.chars().count() <= width {
                line.push(' ');
                line.push_str(&word);
            } else {
                lines.push(std::mem::take(&mut line));
                line = format!("{indent}{nested}{word}");
            }
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
    }
    lines
}

const BOLD: &str = "1";

fn color(status: Status) -> &'static str {
    match status {
        Status::Pass => "32",
        Status::Fail => "31",
        Status::Warn => "33",
        Status::Waived => "34",
        Status::Manual => "36",
        Status::NotApplicable | Status::Skip => "2",
        Status::Error => "35",
    }
}

fn label_of(style: Style, status: Status) -> String {
    let label = match status {
        Status::NotApplicable => "N/A".to_owned(),
        _ => status.name().to_ascii_uppercase(),
    };
    paint(style, color(status), &label)
}

fn paint(style: Style, sgr: &str, text: &str) -> String {
    if style.color {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Role;
    use crate::report::sample;
    use crate::report::sanitize::is_hazard;
    use crate::transport::HostErrorKind;

    const PLAIN: Style = Style { color: false, summary: false };
    const COLOR: Style = Style { color: true, summary: false };
    const SUMMARY: Style = Style { color: false, summary: true };

    fn render(report: &Report, style: Style) -> String {
        let mut out = Vec::new();
        write(report, &mut out, style).expect("writing to a Vec");
        String::from_utf8(out).expect("the console report is UTF-8")
    }

    /// Waived, attested and manual-that-would-fail checks each read as
    /// such, with their rule; the rules' states close the report.
    #[test]
    fn waivers_attestations_and_manual_checks_that_would_fail_read_apart() {
        use crate::outcome::{Attestation, Covered, Effect, Origin, Scope};
        let covered = |index, effect| Some(Covered { index, effect });
        let mut waived = sample::check("1.2.16", "EventRateLimit", Role::ControlPlane, Status::Waived, "set", "absent");
        waived.verdict = Status::Fail;
        waived.waiver = covered(0, Effect::Applied);
        let mut expired = sample::check("1.2.15", "Profiling off", Role::ControlPlane, Status::Fail, "false", "true");
        expired.waiver = covered(1, Effect::Expired);
        let mut would_fail = sample::check("1.2.1", "Anonymous auth", Role::ControlPlane, Status::Manual, "", "true");
        would_fail.outcome.automated_verdict = Some(Status::Fail);
        let harmless = sample::check("1.1.9", "CNI files", Role::ControlPlane, Status::Manual, "", "all 1 comply");
        let mut attested = sample::check("1.1.10", "CNI owner", Role::ControlPlane, Status::Pass, "", "root:root");
        attested.verdict = Status::Manual;
        attested.attestation = covered(0, Effect::Applied);
        let results = vec![harmless, would_fail, waived, expired, attested];
        let mut report = sample::run(vec![sample::ok_host("cp-1", "10.0.0.10", vec![Role::ControlPlane], results)]);
        report.waivers = vec![
            sample::waiver(&["1.2.16"], "2027-03-31"),
            sample::waiver(&["1.2.15"], "2026-11-01"),
            sample::waiver(&["4.2.1"], "2027-03-31"),
        ];
        report.waivers[1].origin.line = 7;
        report.waivers[2].origin.line = 13;
        report.attestations = vec![Attestation {
            scope: Scope::new(vec!["1.1.10".into()], vec![], vec![]),
            result: Status::Pass,
            attested_by: "J. Doe".into(),
            date: "2026-11-20".parse().unwrap(),
            expires: "2027-05-20".parse().unwrap(),
            evidence: "CHG-99".into(),
            origin: Origin { file: "attested.toml".into(), line: 1 },
        }];
        let text = render(&report, PLAIN);
        let expected = [
            "cp-1 (10.0.0.10) control-plane, benchmark cis-1.12: 1 pass, 1 fail, 0 warn, 1 waived, 2 manual (1 would fail), 0 error",
            "  FAIL 1.2.15 Profiling off",
            "      waiver expired on 2026-11-01: judged normally (waiver 2, waivers.toml:7): EventRateLimit breaks our admission webhook; approved by Security team (CHG-1234)",
            "  WAIVED 1.2.16 EventRateLimit; fail: absent",
            "      waived until 2027-03-31 (waiver 1, waivers.toml:1): EventRateLimit breaks our admission webhook; approved by Security team (CHG-1234)",
            "  PASS 1.1.10 CNI owner",
            "      attested pass by J. Doe on 2026-11-20 (attestation 1, attested.toml:1); evidence: CHG-99",
            "  MANUAL 1.2.1 Anonymous auth; observed: true (automated evaluation would fail)",
            "  MANUAL 1.1.9 CNI files; observed: all 1 comply",
            "waivers: 1 active, 1 expired (waivers.toml:7, on 2026-11-01), 1 unused (waivers.toml:13)",
            "attestations: 1 active",
        ];
        let mut lines = text.lines();
        for line in expected {
            assert!(lines.any(|l| l == line), "missing, or out of order: {line}\n{text}");
        }
    }

    #[test]
    fn sample_report_reads_as_expected() {
        let expected = "\
cp-good (127.0.10.1) control-plane,etcd,worker, benchmark cis-1.12: 2 pass, 1 fail, 1 warn, 1 manual, 1 skip, 1 error
  ERROR 1.1.12 Ensure that the etcd data directory ownership is set to etcd:etcd
      reason: the etcd data directory could not be found: etcd has no --data-dir
  FAIL 1.2.15 Ensure that the --profiling argument is set to false
      expected: false
      actual: true (flag --profiling)
      remediation: Edit the API server pod specification file
                   /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set
                   the below parameter.
                   --profiling=false
  WARN 1.2.6 Ensure that the --kubelet-certificate-authority argument is set as appropriate
      expected: set
      actual: not set (no kube-apiserver default known)
      remediation: Remediate 1.2.6.
  MANUAL 1.2.1 Ensure that the --anonymous-auth argument is set to false; observed: true (default per kube-apiserver --help)

worker-1 (10.0.0.12:2222) worker (detected), benchmark cis-1.12: 1 pass, 1 fail, 0 warn, 0 manual, 1 N/A, 0 error
  FAIL 4.2.2 Ensure that the --authorization-mode argument is not set to AlwaysAllow
      expected: not AlwaysAllow
      actual: AlwaysAllow (flag --config; config /var/lib/kubelet/config.yaml: authorization.mode)
      remediation: Remediate 4.2.2.
  N/A 4.3.1 Ensure that the kube-proxy metrics service is bound to localhost; kube-proxy does not run on this host

worker-3 (10.0.0.13): ERROR [connect] worker-3 (10.0.0.13:22): connection refused

3 hosts (2 ok, 1 error), benchmark cis-1.12: 3 pass, 2 fail, 1 warn, 1 manual, 1 N/A, 1 skip, 1 error

failed: cp-good (1 fail)
failed: worker-1 (1 fail)
not audited: worker-3 [connect] worker-3 (10.0.0.13:22): connection refused
incomplete: cp-good (1 check in error: facts that could not be collected)
";
        assert_eq!(render(&sample::report(), PLAIN), expected);
    }

    /// `--summary`: the host lines and the total line, with no check, and
    /// the same closing list as the full report.
    #[test]
    fn summary_is_one_line_per_host_and_the_totals() {
        let expected = "\
cp-good (127.0.10.1) control-plane,etcd,worker, benchmark cis-1.12: 2 pass, 1 fail, 1 warn, 1 manual, 1 skip, 1 error
worker-1 (10.0.0.12:2222) worker (detected), benchmark cis-1.12: 1 pass, 1 fail, 0 warn, 0 manual, 1 N/A, 0 error
worker-3 (10.0.0.13): ERROR [connect] worker-3 (10.0.0.13:22): connection refused
3 hosts (2 ok, 1 error), benchmark cis-1.12: 3 pass, 2 fail, 1 warn, 1 manual, 1 N/A, 1 skip, 1 error

failed: cp-good (1 fail)
failed: worker-1 (1 fail)
not audited: worker-3 [connect] worker-3 (10.0.0.13:22): connection refused
incomplete: cp-good (1 check in error: facts that could not be collected)
";
        let report = sample::report();
        assert_eq!(render(&report, SUMMARY), expected);
        let full = render(&report, PLAIN);
        assert!(full.ends_with(expected.split_once("3 hosts").unwrap().1), "the same ending:\n{full}");
        let colored = render(&report, Style { color: true, summary: true });
        assert!(colored.contains("\x1b[31mfailed:\x1b[0m cp-good (1 fail)\n"), "{colored}");
        assert!(colored.contains("\x1b[35mnot audited:\x1b[0m worker-3 [connect]"), "{colored}");
        assert_eq!(unpaint(colored), expected);
    }

    /// A run with nothing to look at says so last, in both forms.
    #[test]
    fn a_clean_run_ends_saying_so() {
        let pass = sample::check("4.2.4", "Read-only port", Role::Worker, Status::Pass, "0", "0");
        let manual = sample::check("4.2.8", "Event QPS", Role::Worker, Status::Manual, "", "5");
        let report = sample::run(vec![
            sample::ok_host("w-1", "10.0.0.5", vec![Role::Worker], vec![pass.clone(), manual]),
            sample::ok_host("w-2", "10.0.0.6", vec![Role::Worker], vec![pass]),
        ]);
        for style in [PLAIN, SUMMARY] {
            let text = render(&report, style);
            assert!(text.ends_with(": 2 pass, 0 fail, 0 warn, 1 manual, 0 error\n\nevery host was audited and none failed\n"), "{text}");
        }
        assert_eq!(render(&report, SUMMARY).lines().count(), 5, "two hosts, the total, a blank line, the ending");
    }

    #[test]
    fn an_impostor_is_a_finding_of_its_own() {
        let mut report = sample::run(vec![sample::ok_host("w", "10.0.0.5", vec![Role::Worker], Vec::new())]);
        report.hosts[0].impostors = vec![sample::impostor()];
        let expected = "\
w (10.0.0.5) worker, benchmark cis-1.12: 0 pass, 0 fail, 0 warn, 0 manual, 0 error
  IMPOSTOR kube-apiserver process pid 1005 (uid 65534): /tmp/kube-apiserver
      not judged as kube-apiserver: runs as uid 65534, not root, and neither kube-apiserver.service nor the kubelet started it (cgroup /user.slice/user-1000.slice/session-3.scope)

1 host (1 ok, 0 error), benchmark cis-1.12: 0 pass, 0 fail, 0 warn, 0 manual, 0 error

failed: w (1 impostor)
";
        assert_eq!(render(&report, PLAIN), expected);
    }

    /// Each host line names its benchmark; the total line names every
    /// benchmark used when they differ, and none when no host was judged.
    #[test]
    fn each_host_names_its_benchmark() {
        let mut report = sample::run(vec![
            sample::ok_host("new", "10.0.0.1", vec![Role::Worker], Vec::new()),
            sample::ok_host("old", "10.0.0.2", vec![Role::Worker], Vec::new()),
            sample::error_host("gone", "10.0.0.3", HostErrorKind::Connect, "refused"),
        ]);
        report.hosts[1].benchmark.as_mut().unwrap().id = "cis-1.11".into();
        let expected = "\
new (10.0.0.1) worker, benchmark cis-1.12: 0 pass, 0 fail, 0 warn, 0 manual, 0 error

old (10.0.0.2) worker, benchmark cis-1.11: 0 pass, 0 fail, 0 warn, 0 manual, 0 error

gone (10.0.0.3): ERROR [connect] refused

3 hosts (2 ok, 1 error), benchmarks cis-1.11, cis-1.12: 0 pass, 0 fail, 0 warn, 0 manual, 0 error

not audited: gone [connect] refused
";
        assert_eq!(render(&report, PLAIN), expected);
    }

    #[test]
    fn only_a_level_2_check_is_marked_with_its_level() {
        let mut level_2 = sample::check("4.2.8", "Event QPS", Role::Worker, Status::Manual, "", "5");
        level_2.level = 2;
        let level_1 = sample::check("4.2.4", "Read-only port", Role::Worker, Status::Manual, "", "0");
        let report = sample::run(vec![sample::ok_host("w", "10.0.0.5", vec![Role::Worker], vec![level_1, level_2])]);
        let text = render(&report, PLAIN);
        assert!(text.contains("  MANUAL 4.2.4 Read-only port; observed: 0\n"), "{text}");
        assert!(text.contains("  MANUAL 4.2.8 Event QPS [Level 2]; observed: 5\n"), "{text}");
    }

    /// A key that `accept-new` recorded in this run is noted under its
    /// host, and no other key is.
    #[test]
    fn a_host_key_recorded_in_this_run_is_noted() {
        let mut report = sample::report();
        assert!(!render(&report, PLAIN).contains("recorded in"));
        report.hosts[0].host_key.as_mut().expect("the sample has a host key").recorded = true;
        let text = render(&report, PLAIN);
        let host = text.lines().position(|line| line.starts_with(&report.hosts[0].name)).expect("the host's line");
        let note: Vec<&str> = text.lines().skip(host + 1).take(2).collect();
        assert_eq!(
            note,
            [
                "  note: host key ssh-ed25519 SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s recorded in",
                "        known_hosts by this run (accept-new): trusted on first use, not verified"
            ]
        );
        assert_eq!(text.matches("recorded in").count(), 1, "{text}");
    }

    #[test]
    fn notes_follow_the_values() {
        let mut result = sample::check(
            "4.2.4",
            "Read-only port",
            Role::Worker,
            Status::Fail,
            "0",
            "10255",
        );
        result.outcome.notes = vec!["the flag overrides the config file".to_owned()];
        let report = sample::run(vec![sample::ok_host(
            "w",
            "10.0.0.5",
            vec![Role::Worker],
            vec![result],
        )]);
        let expected = "\
w (10.0.0.5) worker, benchmark cis-1.12: 0 pass, 1 fail, 0 warn, 0 manual, 0 error
  FAIL 4.2.4 Read-only port
      expected: 0
      actual: 10255
      note: the flag overrides the config file
      remediation: Remediate 4.2.4.

1 host (1 ok, 0 error), benchmark cis-1.12: 0 pass, 1 fail, 0 warn, 0 manual, 0 error

failed: w (1 fail)
";
        assert_eq!(render(&report, PLAIN), expected);
    }

    #[test]
    fn colors_only_when_asked() {
        let report = sample::report();
        let plain = render(&report, PLAIN);
        assert!(!plain.contains('\x1b'));
        let colored = render(&report, COLOR);
        for painted in [
            "\x1b[1mcp-good\x1b[0m (127.0.10.1)",
            "\x1b[32m2 pass\x1b[0m, \x1b[31m1 fail\x1b[0m, \x1b[33m1 warn\x1b[0m, \x1b[36m1 manual\x1b[0m, \x1b[2m1 skip\x1b[0m, \x1b[35m1 error\x1b[0m",
            "  \x1b[31mFAIL\x1b[0m 1.2.15",
            "  \x1b[33mWARN\x1b[0m 1.2.6",
            "  \x1b[35mERROR\x1b[0m 1.1.12",
            "  \x1b[36mMANUAL\x1b[0m 1.2.1",
            "  \x1b[2mN/A\x1b[0m 4.3.1",
            "0 manual, \x1b[2m1 N/A\x1b[0m, 0 error",
            ": \x1b[35mERROR\x1b[0m [connect]",
            "(2 ok, \x1b[35m1 error\x1b[0m)",
        ] {
            assert!(colored.contains(painted), "{painted:?} not in {colored}");
        }
        // Without the paint, the same text.
        assert_eq!(unpaint(colored), plain);
    }

    /// `text` without the escapes the writer paints with.
    fn unpaint(text: String) -> String {
        ["\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[36m"]
            .iter()
            .fold(text, |text, code| text.replace(code, ""))
    }

    #[test]
    fn endpoint_shows_a_port_other_than_22() {
        #[track_caller]
        fn case(address: &str, port: u16, expected: &str) {
            let mut host = sample::ok_host("h", address, vec![], vec![]);
            host.port = port;
            assert_eq!(host.endpoint(), expected);
        }
        case("10.0.0.1", 22, "10.0.0.1");
        case("10.0.0.1", 2222, "10.0.0.1:2222");
        case("cp-1.example.com", 2200, "cp-1.example.com:2200");
        case("fd00::1", 22, "fd00::1");
        case("fd00::1", 2222, "[fd00::1]:2222");
    }

    #[test]
    fn wrap_aligns_continuations_and_keeps_paragraphs() {
        #[track_caller]
        fn case(text: &str, width: usize, expected: &[&str]) {
            assert_eq!(
                wrap("  fix: ", text, width),
                expected,
                "wrap({text:?}, {width})"
            );
        }
        case("", 20, &[]);
        case(" \n\n ", 20, &[]);
        case("one", 20, &["  fix: one"]);
        case(
            "one two three four",
            20,
            &["  fix: one two three", "       four"],
        );
        case(
            "one two three fourteen",
            20,
            &["  fix: one two three", "       fourteen"],
        );
        case("a\nb\r\nc", 20, &["  fix: a", "       b", "       c"]);
        case("a\n\nb", 20, &["  fix: a", "       b"]);
        case(
            "short averyveryverylongword x",
            20,
            &["  fix: short", "       averyveryverylongword", "       x"],
        );
        case("tabs\tand  spaces", 40, &["  fix: tabs and spaces"]);
        case(
            "set:\nauthentication:\n  anonymous:\n    enabled: false",
            40,
            &["  fix: set:", "       authentication:", "         anonymous:", "           enabled: false"],
        );
        case(
            "esc \x1b[2J bidi \u{202e}x",
            40,
            &["  fix: esc \\x1b[2J bidi \\u{202e}x"],
        );
    }

    /// Every line of the output starts with something the writer wrote.
    #[test]
    fn hostile_report_cannot_reach_the_terminal_or_forge_a_line() {
        let report = sample::hostile();
        let plain = render(&report, PLAIN);
        for c in plain.chars() {
            assert!(
                c == '\n' || !is_hazard(c),
                "{c:?} reached the console:\n{plain}"
            );
        }
        assert!(plain.bytes().all(|b| b >= 0x20 || b == b'\n'));
        assert!(plain.contains("esc:\\x1b[31mred\\x1b[0m"), "{plain}");
        assert!(plain.contains("lf:\\n cr:\\r"), "{plain}");
        assert!(plain.contains("rlo:\\u{202e}"), "{plain}");

        let names: Vec<_> = report
            .hosts
            .iter()
            .map(|host| sanitize(&host.name).into_owned())
            .collect();
        for line in plain.lines() {
            let written_here = line.is_empty()
                || names
                    .iter()
                    .any(|name| line.starts_with(&format!("{name} (")))
                || [
                    "  FAIL ",
                    "  WARN ",
                    "  ERROR ",
                    "  MANUAL ",
                    "  N/A ",
                    "  IMPOSTOR ",
                    DETAIL,
                    "3 hosts (2 ok, 1 error), benchmark cis-1.12: ",
                    "failed: ",
                    "not audited: ",
                    "incomplete: ",
                ]
                .iter()
                .any(|prefix| line.starts_with(prefix));
            assert!(written_here, "a line the writer did not start: {line:?}");
        }

        // With color, the only escapes are the writer's own.
        let colored = render(&report, COLOR);
        assert_eq!(unpaint(colored), plain);
    }

    #[test]
    fn error_host_line() {
        let report = sample::run(vec![sample::error_host(
            "w\x1b[2J",
            "10.0.0.9",
            HostErrorKind::Sudo,
            "w: sudo: a password is required\nfake line",
        )]);
        assert_eq!(
            render(&report, PLAIN),
            "w\\x1b[2J (10.0.0.9): ERROR [sudo] w: sudo: a password is required\\nfake line\n\n\
             1 host (0 ok, 1 error), no benchmark: 0 pass, 0 fail, 0 warn, 0 manual, 0 error\n\n\
             not audited: w\\x1b[2J [sudo] w: sudo: a password is required\\nfake line\n"
        );
    }
}

//! The metrics report: the Prometheus text exposition format (version
//! 0.0.4), for node_exporter's textfile collector, so that a scheduled audit
//! can be graphed and alerted on. Per host: the checks by status (every
//! status, zeros included), whether the host could be audited, the audit's
//! duration, when the run ended, the benchmark that judged it (an info
//! metric's label), the manual checks whose automated evaluation would
//! fail; the same counts for the whole run, and the waivers and
//! attestations by state.
//!
//! Written by hand rather than with the `prometheus-client` crate: its
//! encoder writes OpenMetrics, not this format (its `Info` metric is of
//! type `info`, which the 0.0.4 parser of the textfile collector refuses),
//! and writes label values as they are, unescaped
//! (prometheus/client_rust#151), while host names are user input; and it
//! wants a registry of live atomic metrics to print a few numbers once. The format is a few lines of grammar: HELP and TYPE
//! before each family's samples, label values with `\`, `"` and line feed
//! escaped, no timestamps (the textfile collector refuses them).
//!
//! Every label value also goes through `sanitize` first, as in every other
//! report, so a control character a host name carries reaches no dashboard.

use crate::outcome::{HostReport, Report, RuleState, RuleUse, Status, Summary};
use crate::report::sanitize::sanitize;
use chrono::{DateTime, FixedOffset};
use std::borrow::Cow;
use std::io;

/// Write `report` as Prometheus text.
pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let ended = seconds_since_epoch(report.finished_at);
    let hosts: Vec<Host> = report.hosts.iter().map(Host::of).collect();
    let mut out = Exposition { out };

    out.family("hardbench_host_checks", "Checks evaluated on the host, by status (0 for every status when the host could not be audited).")?;
    for host in &hosts {
        for status in Status::ALL {
            out.sample("hardbench_host_checks", &[("host", &host.name), ("status", status.name())], host.count(status) as f64)?;
        }
    }
    out.family(
        "hardbench_host_manual_failing_checks",
        "Manual checks on the host whose automated evaluation would fail (also counted as status manual).",
    )?;
    for host in &hosts {
        out.sample("hardbench_host_manual_failing_checks", &[("host", &host.name)], host.manual_failing() as f64)?;
    }
    out.family("hardbench_host_impostor_processes", "Processes on the host that carry a component's name and were not judged as it.")?;
    for host in &hosts {
        out.sample("hardbench_host_impostor_processes", &[("host", &host.name)], host.report.impostors.len() as f64)?;
    }
    out.family("hardbench_host_reachable", "1 when the host could be audited, 0 when it could not (connection, authentication, sudo, gathering).")?;
    for host in &hosts {
        out.sample("hardbench_host_reachable", &[("host", &host.name)], f64::from(u8::from(host.counts.is_some())))?;
    }
    out.family("hardbench_host_audit_duration_seconds", "How long the host's audit took, from connecting to its last result.")?;
    for host in &hosts {
        out.sample("hardbench_host_audit_duration_seconds", &[("host", &host.name)], seconds(host.report.duration))?;
    }
    out.family("hardbench_host_last_run_timestamp_seconds", "When the run that audited the host ended, in seconds since the Unix epoch.")?;
    for host in &hosts {
        out.sample("hardbench_host_last_run_timestamp_seconds", &[("host", &host.name)], ended)?;
    }
    out.family("hardbench_host_info", "Always 1: the benchmark that judged the host (empty when none did) and the Kubernetes version seen on it.")?;
    for host in &hosts {
        let benchmark = host.report.benchmark.as_ref().map_or(Cow::Borrowed(""), |b| sanitize(&b.id));
        let version = host.report.kubernetes_version.as_deref().map_or(Cow::Borrowed(""), sanitize);
        out.sample("hardbench_host_info", &[("host", &host.name), ("benchmark", &benchmark), ("kubernetes_version", &version)], 1.0)?;
    }

    let total = report.summary();
    out.family("hardbench_run_checks", "Checks evaluated in the run over every host, by status.")?;
    for status in Status::ALL {
        let count: usize = hosts.iter().map(|host| host.count(status)).sum();
        out.sample("hardbench_run_checks", &[("status", status.name())], count as f64)?;
    }
    out.family("hardbench_run_manual_failing_checks", "Manual checks in the run whose automated evaluation would fail.")?;
    out.sample("hardbench_run_manual_failing_checks", &[], total.manual_failing as f64)?;
    out.family("hardbench_run_waivers", "Waivers given to the run, by state: active (covered a result), expired, unused (covered none).")?;
    write_rule_states(&mut out, "hardbench_run_waivers", &report.waiver_uses())?;
    out.family("hardbench_run_attestations", "Attestations given to the run, by state: active (covered a result), expired, unused (covered none).")?;
    write_rule_states(&mut out, "hardbench_run_attestations", &report.attestation_uses())?;
    out.family("hardbench_run_hosts", "Hosts in the run: audited, or not (they could not be audited).")?;
    out.sample("hardbench_run_hosts", &[("audited", "true")], total.hosts_ok as f64)?;
    out.sample("hardbench_run_hosts", &[("audited", "false")], total.hosts_error as f64)?;
    out.family("hardbench_run_duration_seconds", "How long the whole run took.")?;
    let took = (report.finished_at - report.started_at).to_std().unwrap_or_default();
    out.sample("hardbench_run_duration_seconds", &[], seconds(took))?;
    out.family("hardbench_run_last_timestamp_seconds", "When the run ended, in seconds since the Unix epoch.")?;
    out.sample("hardbench_run_last_timestamp_seconds", &[], ended)?;
    out.family("hardbench_run_info", "Always 1: the hardbench version that wrote these metrics.")?;
    out.sample("hardbench_run_info", &[("version", &sanitize(&report.hardbench_version))], 1.0)
}

/// How many rules (waivers or attestations) are in each state, every state
/// included.
fn write_rule_states(out: &mut Exposition<'_>, name: &str, uses: &[RuleUse<'_>]) -> io::Result<()> {
    for state in RuleState::ALL {
        let count = uses.iter().filter(|rule| rule.state == state).count();
        out.sample(name, &[("state", state.name())], count as f64)?;
    }
    Ok(())
}

/// One host, with its label value and its counts computed once.
struct Host<'a> {
    report: &'a HostReport,
    /// The `host` label's value, sanitized.
    name: Cow<'a, str>,
    /// Checks by status, in `Status::ALL` order, and its summary; `None`
    /// when the host could not be audited.
    counts: Option<([usize; Status::ALL.len()], Summary)>,
}

impl<'a> Host<'a> {
    fn of(report: &'a HostReport) -> Host<'a> {
        let counts = report.result.as_ref().ok().map(|results| {
            let mut counts = [0; Status::ALL.len()];
            for result in results {
                counts[position(result.outcome.status)] += 1;
            }
            (counts, Summary::of_results(results))
        });
        Host { report, name: sanitize(&report.name), counts }
    }

    fn count(&self, status: Status) -> usize {
        self.counts.as_ref().map_or(0, |(counts, _)| counts[position(status)])
    }

    fn manual_failing(&self) -> usize {
        self.counts.as_ref().map_or(0, |(_, summary)| summary.manual_failing)
    }
}

/// Where `status` is in `Status::ALL`.
fn position(status: Status) -> usize {
    Status::ALL.iter().position(|s| *s == status).expect("every status is in Status::ALL")
}

/// The sink, with the format's two kinds of line.
struct Exposition<'a> {
    out: &'a mut dyn io::Write,
}

impl Exposition<'_> {
    /// A family's HELP and TYPE lines; every family here is a gauge (a
    /// value of this run, not a count that only grows). `help` is this
    /// module's own text: no backslash, no line feed.
    fn family(&mut self, name: &str, help: &str) -> io::Result<()> {
        debug_assert!(!help.contains(['\\', '\n']), "{help}");
        writeln!(self.out, "# HELP {name} {help}")?;
        writeln!(self.out, "# TYPE {name} gauge")
    }

    /// One sample: `name{label="value",...} value`.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> io::Result<()> {
        write!(self.out, "{name}")?;
        for (i, (label, value)) in labels.iter().enumerate() {
            let open = if i == 0 { "{" } else { "," };
            write!(self.out, "{open}{label}=\"{}\"", escape_label_value(value))?;
        }
        if !labels.is_empty() {
            write!(self.out, "}}")?;
        }
        // Rust prints a float the shortest way that reads back exactly,
        // and an integral one without a fraction: both Go's ParseFloat reads.
        writeln!(self.out, " {value}")
    }
}

/// A label value as the text format requires: backslash, double quote and
/// line feed escaped as `\\`, `\"` and `\n`; everything else as it is.
fn escape_label_value(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// A duration in seconds, to the millisecond: the JSON report's precision,
/// so that the two reports give the same figure.
fn seconds(duration: std::time::Duration) -> f64 {
    duration.as_millis() as f64 / 1000.0
}

/// A time as seconds since the epoch, to the millisecond.
fn seconds_since_epoch(time: DateTime<FixedOffset>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        write(report, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("the metrics are UTF-8")
    }

    #[test]
    fn label_values_are_escaped_as_the_format_requires() {
        #[track_caller]
        fn case(value: &str, expected: &str) {
            assert_eq!(escape_label_value(value), expected, "{value:?}");
        }
        case("", "");
        case("cp-1.example.com", "cp-1.example.com");
        case("a\"b", "a\\\"b");
        case("a\\b", "a\\\\b");
        case("a\nb", "a\\nb");
        case("\\\"\n", "\\\\\\\"\\n");
        case("ends with \\", "ends with \\\\");
        // Anything else is UTF-8 the format takes as it is.
        case("Größe {}=,# \t", "Größe {}=,# \t");
    }

    /// A host name is user input: a sample line can neither be broken nor
    /// forged by it, and what it carries stays visible.
    #[test]
    fn a_hostile_host_name_stays_inside_its_label() {
        let mut report = sample::run(vec![sample::ok_host("w", "10.0.0.5", vec![], vec![])]);
        report.hosts[0].name = "x\"} 1\nhardbench_host_reachable{host=\"forged\\\x1b[2J".into();
        let text = render(&report);
        let reachable: Vec<&str> = text.lines().filter(|l| l.starts_with("hardbench_host_reachable")).collect();
        assert_eq!(reachable, [r#"hardbench_host_reachable{host="x\"} 1\\nhardbench_host_reachable{host=\"forged\\\\x1b[2J"} 1"#]);
        assert!(!text.contains('\x1b'), "{text}");
    }

    #[test]
    fn values_are_integers_seconds_and_epoch_seconds() {
        #[track_caller]
        fn case(value: f64, expected: &str) {
            let mut out = Vec::new();
            Exposition { out: &mut out }.sample("m", &[], value).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), format!("m {expected}\n"));
        }
        case(0.0, "0");
        case(97.0, "97");
        case(1.234, "1.234");
        case(seconds(std::time::Duration::from_micros(5_002_999)), "5.002");
        case(seconds(std::time::Duration::from_nanos(483_582_543)), "0.483");
        case(seconds_since_epoch(sample::time("2026-11-22T16:40:07.5+00:00")), "1795365607.5");
        // The offset of the local clock changes nothing.
        case(seconds_since_epoch(sample::time("2026-11-22T17:40:07.5+01:00")), "1795365607.5");
    }

    #[test]
    fn sample_report_reads_as_expected() {
        let mut expected = String::new();
        let checks = |host: &str, counts: [usize; Status::ALL.len()]| -> String {
            Status::ALL
                .iter()
                .zip(counts)
                .map(|(status, n)| format!("hardbench_host_checks{{host=\"{host}\",status=\"{status}\"}} {n}\n"))
                .collect()
        };
        expected += "# HELP hardbench_host_checks Checks evaluated on the host, by status (0 for every status when the host could not be audited).\n# TYPE hardbench_host_checks gauge\n";
        // pass, fail, warn, waived, manual, not-applicable, skip, error
        assert_eq!(Status::ALL.len(), 8, "{:?}", Status::ALL);
        expected += &checks("cp-good", [2, 1, 1, 0, 1, 0, 1, 1]);
        expected += &checks("worker-1", [1, 1, 0, 0, 0, 1, 0, 0]);
        expected += &checks("worker-3", [0; 8]);
        expected += "\
# HELP hardbench_host_manual_failing_checks Manual checks on the host whose automated evaluation would fail (also counted as status manual).
# TYPE hardbench_host_manual_failing_checks gauge
hardbench_host_manual_failing_checks{host=\"cp-good\"} 0
hardbench_host_manual_failing_checks{host=\"worker-1\"} 0
hardbench_host_manual_failing_checks{host=\"worker-3\"} 0
# HELP hardbench_host_impostor_processes Processes on the host that carry a component's name and were not judged as it.
# TYPE hardbench_host_impostor_processes gauge
hardbench_host_impostor_processes{host=\"cp-good\"} 0
hardbench_host_impostor_processes{host=\"worker-1\"} 0
hardbench_host_impostor_processes{host=\"worker-3\"} 0
# HELP hardbench_host_reachable 1 when the host could be audited, 0 when it could not (connection, authentication, sudo, gathering).
# TYPE hardbench_host_reachable gauge
hardbench_host_reachable{host=\"cp-good\"} 1
hardbench_host_reachable{host=\"worker-1\"} 1
hardbench_host_reachable{host=\"worker-3\"} 0
# HELP hardbench_host_audit_duration_seconds How long the host's audit took, from connecting to its last result.
# TYPE hardbench_host_audit_duration_seconds gauge
hardbench_host_audit_duration_seconds{host=\"cp-good\"} 1.234
hardbench_host_audit_duration_seconds{host=\"worker-1\"} 1.234
hardbench_host_audit_duration_seconds{host=\"worker-3\"} 5.002
# HELP hardbench_host_last_run_timestamp_seconds When the run that audited the host ended, in seconds since the Unix epoch.
# TYPE hardbench_host_last_run_timestamp_seconds gauge
hardbench_host_last_run_timestamp_seconds{host=\"cp-good\"} 1795365607.5
hardbench_host_last_run_timestamp_seconds{host=\"worker-1\"} 1795365607.5
hardbench_host_last_run_timestamp_seconds{host=\"worker-3\"} 1795365607.5
# HELP hardbench_host_info Always 1: the benchmark that judged the host (empty when none did) and the Kubernetes version seen on it.
# TYPE hardbench_host_info gauge
hardbench_host_info{host=\"cp-good\",benchmark=\"cis-1.12\",kubernetes_version=\"v1.33.4\"} 1
hardbench_host_info{host=\"worker-1\",benchmark=\"cis-1.12\",kubernetes_version=\"\"} 1
hardbench_host_info{host=\"worker-3\",benchmark=\"\",kubernetes_version=\"\"} 1
# HELP hardbench_run_checks Checks evaluated in the run over every host, by status.
# TYPE hardbench_run_checks gauge
";
        for (status, n) in Status::ALL.iter().zip([3, 2, 1, 0, 1, 1, 1, 1]) {
            expected += &format!("hardbench_run_checks{{status=\"{status}\"}} {n}\n");
        }
        expected += "\
# HELP hardbench_run_manual_failing_checks Manual checks in the run whose automated evaluation would fail.
# TYPE hardbench_run_manual_failing_checks gauge
hardbench_run_manual_failing_checks 0
# HELP hardbench_run_waivers Waivers given to the run, by state: active (covered a result), expired, unused (covered none).
# TYPE hardbench_run_waivers gauge
hardbench_run_waivers{state=\"active\"} 0
hardbench_run_waivers{state=\"expired\"} 0
hardbench_run_waivers{state=\"unused\"} 0
# HELP hardbench_run_attestations Attestations given to the run, by state: active (covered a result), expired, unused (covered none).
# TYPE hardbench_run_attestations gauge
hardbench_run_attestations{state=\"active\"} 0
hardbench_run_attestations{state=\"expired\"} 0
hardbench_run_attestations{state=\"unused\"} 0
# HELP hardbench_run_hosts Hosts in the run: audited, or not (they could not be audited).
# TYPE hardbench_run_hosts gauge
hardbench_run_hosts{audited=\"true\"} 2
hardbench_run_hosts{audited=\"false\"} 1
# HELP hardbench_run_duration_seconds How long the whole run took.
# TYPE hardbench_run_duration_seconds gauge
hardbench_run_duration_seconds 7.5
# HELP hardbench_run_last_timestamp_seconds When the run ended, in seconds since the Unix epoch.
# TYPE hardbench_run_last_timestamp_seconds gauge
hardbench_run_last_timestamp_seconds 1795365607.5
# HELP hardbench_run_info Always 1: the hardbench version that wrote these metrics.
# TYPE hardbench_run_info gauge
hardbench_run_info{version=\"0.1.0\"} 1
";
        assert_eq!(render(&sample::report()), expected);
    }

    /// A waived check is counted as waived (not as the failure it would
    /// be), a manual check that would fail both as manual and apart, and
    /// each waiver in its state.
    #[test]
    fn waived_manual_failing_and_waiver_states_are_counted() {
        use crate::component::Role;
        use crate::outcome::{Covered, Effect};
        let covered = |index, effect| Some(Covered { index, effect });
        let mut waived = sample::check("1.2.16", "EventRateLimit", Role::ControlPlane, Status::Waived, "set", "absent");
        (waived.verdict, waived.waiver) = (Status::Fail, covered(0, Effect::Applied));
        let mut expired = sample::check("1.2.15", "Profiling", Role::ControlPlane, Status::Fail, "false", "true");
        expired.waiver = covered(1, Effect::Expired);
        let mut would_fail = sample::check("1.2.1", "Anonymous auth", Role::ControlPlane, Status::Manual, "", "true");
        would_fail.outcome.automated_verdict = Some(Status::Fail);
        let harmless = sample::check("1.1.9", "CNI files", Role::ControlPlane, Status::Manual, "", "ok");
        let mut report = sample::run(vec![sample::ok_host(
            "cp-1",
            "10.0.0.10",
            vec![Role::ControlPlane],
            vec![waived, expired, would_fail, harmless],
        )]);
        report.waivers = vec![
            sample::waiver(&["1.2.16"], "2027-03-31"),
            sample::waiver(&["1.2.15"], "2026-11-01"),
            sample::waiver(&["4.2.1"], "2027-03-31"),
        ];
        let text = render(&report);
        for line in [
            "hardbench_host_checks{host=\"cp-1\",status=\"fail\"} 1",
            "hardbench_host_checks{host=\"cp-1\",status=\"waived\"} 1",
            "hardbench_host_checks{host=\"cp-1\",status=\"manual\"} 2",
            "hardbench_host_manual_failing_checks{host=\"cp-1\"} 1",
            "hardbench_run_checks{status=\"waived\"} 1",
            "hardbench_run_manual_failing_checks 1",
            "hardbench_run_waivers{state=\"active\"} 1",
            "hardbench_run_waivers{state=\"expired\"} 1",
            "hardbench_run_waivers{state=\"unused\"} 1",
            "hardbench_run_attestations{state=\"active\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }

    /// The run's counts are the report's own summary.
    #[test]
    fn run_totals_equal_the_report_summary() {
        let report = sample::report();
        let text = render(&report);
        let value = |line_start: &str| -> usize {
            let line = text.lines().find(|l| l.starts_with(line_start)).unwrap_or_else(|| panic!("{line_start} in {text}"));
            line.rsplit_once(' ').unwrap().1.parse().unwrap()
        };
        let summary = report.summary();
        assert_eq!(value("hardbench_run_checks{status=\"pass\"}"), summary.pass);
        assert_eq!(value("hardbench_run_checks{status=\"fail\"}"), summary.fail);
        assert_eq!(value("hardbench_run_checks{status=\"not-applicable\"}"), summary.not_applicable);
        assert_eq!(value("hardbench_run_checks{status=\"error\"}"), summary.error);
        assert_eq!(value("hardbench_run_hosts{audited=\"false\"}"), summary.hosts_error);
    }
}

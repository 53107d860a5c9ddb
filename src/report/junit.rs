//! The JUnit XML report, for CI systems: a `<testsuites name="hardbench">`
//! root, one `<testsuite>` per host (named after it), one `<testcase>` per
//! check. A failed check is a `<failure>` whose message gives expected and
//! actual and whose text is the remediation; warn, manual, not-applicable
//! and skip are `<skipped>`, saying which (`not applicable: REASON`); an
//! error is an `<error>`. A host that could not be audited is a suite with a
//! single "<host> reachable" case in error. Each suite's properties name the
//! benchmark that judged the host and why.
//!
//! A waived check is `<skipped>` of type `waived`, not a success and not a
//! failure: a waiver takes it off the gate (the exit code), and CI pages
//! show failures as broken builds, so a failure would contradict the exit
//! code; but a success would hide the accepted risk among the passes, which
//! CI pages collapse. Skipped cases are counted and listed apart, so every
//! waived check stays in view, and its message says what it would have been
//! (`waived (fail): expected ...; actual ...`) and names the waiver: reason,
//! approver, expiry. A manual check whose automated evaluation would fail is
//! skipped too, with its own message (`manual (automated evaluation would
//! fail): ...`). Every case a waiver or an attestation covers (applied,
//! expired or not needed) carries it as properties (`waiver-reason`,
//! `waiver-approved-by`, `waiver-expires`, `waiver-effect`, `attestation-*`)
//! and as a line of its output; `verdict` is a property when a waiver or an
//! attestation changed the status, `automated-verdict` on a manual check
//! that has one.
//!
//! A case's classname is `<host>.<group>`, and the group never holds a dot:
//! `section_1_2` for the checks of section 1.2, `processes` for impostors,
//! `connection` for an unreachable host. So the last dot always separates
//! the host from the group, whatever dots the host name has: host `cp-1`
//! with check 1.1.2.3 is `cp-1.section_1_1_2`, host `cp-1.1` with check
//! 1.2.3 is `cp-1.1.section_1_2`. Jenkins splits a classname at its last
//! dot into package and class, so it shows the host, whole, as the package
//! and the group as the class; GitLab shows the classname as the suite and
//! keys a case on classname and name, so the name (`<check id> <title>`,
//! unique in a benchmark) keeps every case of a host apart, and the host in
//! the classname keeps the hosts apart.
//!
//! quick-junit writes the XML and escapes markup, but it silently drops
//! control characters and ANSI escapes and lets U+FFFE/U+FFFF through, which
//! XML 1.0 forbids. So every string is sanitized first: what a host sent
//! stays visible as an escape, and the document is always well-formed.

use crate::facts::Impostor;
use crate::outcome::{CheckResult, Covered, Effect, HostReport, Outcome, Report, Status};
use crate::report::sanitize::{sanitize, sanitize_multiline};
use crate::report::source;
use chrono::{DateTime, FixedOffset};
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::io;
use std::time::Duration;

/// Write `report` as JUnit XML.
pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    // Serializing into memory first means the only errors left are IO ones.
    let xml = to_junit(report).to_string().map_err(io::Error::other)?;
    out.write_all(xml.as_bytes())
}

fn to_junit(report: &Report) -> quick_junit::Report {
    let mut junit = quick_junit::Report::new("hardbench");
    junit
        .set_timestamp(report.started_at)
        .set_time(elapsed(report.started_at, report.finished_at))
        .add_test_suites(
            report
                .hosts
                .iter()
                .map(|host| host_suite(report, host)),
        );
    junit
}

fn host_suite(report: &Report, host: &HostReport) -> TestSuite {
    let name = sanitize(&host.name);
    let mut suite = TestSuite::new(&*name);
    suite.set_timestamp(host.started_at).set_time(host.duration);
    suite
        .extra
        .insert("hostname".into(), sanitize(&host.address).into());
    suite.add_properties(host_properties(host));
    match &host.result {
        Ok(results) => {
            suite.add_test_cases(results.iter().map(|result| check_case(report, &host.name, result)));
            suite.add_test_cases(host.impostors.iter().map(|impostor| impostor_case(&host.name, impostor)));
        }
        Err(error) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_type(error.kind.name())
                .set_message(&*sanitize(&error.message));
            let mut case = TestCase::new(format!("{name} reachable"), status);
            case.set_classname(classname(&host.name, "connection")).set_time(host.duration);
            suite.add_test_case(case);
        }
    }
    suite
}

fn host_properties(host: &HostReport) -> Vec<Property> {
    let mut roles = host
        .roles
        .iter()
        .map(|role| role.name())
        .collect::<Vec<_>>()
        .join(",");
    if host.roles_detected {
        roles.push_str(" (detected)");
    }
    let mut properties = Vec::new();
    if let Some(benchmark) = &host.benchmark {
        properties.push(Property::new("benchmark", sanitize(&benchmark.id)));
        properties.push(Property::new("benchmark-selected-by", sanitize(&benchmark.selected_by)));
    }
    properties.extend([
        Property::new("address", sanitize(&host.address)),
        Property::new("port", host.port.to_string()),
        Property::new("roles", roles),
        Property::new("user", sanitize(&host.user)),
        Property::new("sudo", host.sudo.to_string()),
    ]);
    if let Some(key) = &host.host_key {
        properties.push(Property::new(
            "host-key",
            sanitize(&format!("{} {}", key.algorithm, key.fingerprint)),
        ));
    }
    if let Some(version) = &host.kubernetes_version {
        properties.push(Property::new("kubernetes-version", sanitize(version)));
    }
    if let Some(source) = &host.kubernetes_version_source {
        properties.push(Property::new("kubernetes-version-source", sanitize(source)));
    }
    properties
}

/// A process that carries a component's name and was not judged as it: a
/// failure of its own, beside the checks.
fn impostor_case(host: &str, impostor: &Impostor) -> TestCase {
    let uid = impostor.uid.map_or_else(|| "uid unknown".to_owned(), |uid| format!("uid {uid}"));
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_type("impostor").set_message(&*sanitize(&format!(
        "pid {} ({uid}) runs {} and is not {}: {}",
        impostor.pid, impostor.argv0, impostor.component, impostor.reason
    )));
    let mut case = TestCase::new(
        &*sanitize(&format!("impostor process {} {}", impostor.pid, impostor.component)),
        status,
    );
    case.set_classname(classname(host, "processes")).set_time(Duration::ZERO);
    case
}

fn check_case(report: &Report, host: &str, result: &CheckResult) -> TestCase {
    let outcome = &result.outcome;
    let reviews = Reviews::of(report, result);
    let mut status = match outcome.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            // An attestation that made it a failure, or a waiver that had
            // expired, is part of why it failed.
            status.set_message(&*sanitize(&format!("{}{}", expected_actual(outcome), reviews.suffix())));
            status
        }
        Status::Warn => skipped(format!("warn: {}", expected_actual(outcome))),
        Status::Waived => skipped(format!("waived ({}): {}{}", result.verdict, expected_actual(outcome), reviews.suffix())),
        Status::Manual if outcome.automated_verdict == Some(Status::Fail) => skipped(format!(
            "manual (automated evaluation would fail): observed: {}{}",
            source::observed(outcome),
            reviews.suffix()
        )),
        Status::Manual => skipped(format!("manual: observed: {}{}", source::observed(outcome), reviews.suffix())),
        Status::NotApplicable => skipped(outcome.actual.clone()),
        Status::Skip => skipped(format!("skip: {}", outcome.actual)),
        Status::Error => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(&*sanitize(&outcome.actual));
            status
        }
    };
    status.set_type(outcome.status.name());
    if matches!(outcome.status, Status::Fail | Status::Warn | Status::Manual) {
        status.set_description(&*sanitize_multiline(&result.remediation));
    }
    let mut case = TestCase::new(
        &*sanitize(&format!("{} {}", result.id, result.title)),
        status,
    );
    // Evaluation is a pure function of facts gathered once per host, so a
    // check takes no time of its own; the host's suite carries the time.
    case.set_classname(classname(host, &section_group(&result.section)))
        .set_time(Duration::ZERO)
        .add_property(Property::new("level", result.level.to_string()));
    if result.verdict != outcome.status {
        case.add_property(Property::new("verdict", result.verdict.name()));
    }
    if let Some(verdict) = outcome.automated_verdict {
        case.add_property(Property::new("automated-verdict", verdict.name()));
    }
    case.add_properties(reviews.properties());
    let notes: Vec<_> = outcome
        .notes
        .iter()
        .map(|note| format!("note: {}", sanitize(note)))
        .chain(reviews.lines.iter().map(|line| sanitize(line).into_owned()))
        .collect();
    if !notes.is_empty() {
        case.set_system_out(notes.join("\n"));
    }
    case
}

/// The waiver and the attestation that cover a result, in words (one line
/// each, in the case's output, and after its message) and as properties, so
/// that a CI page shows who accepted or attested what, until when, and a
/// script can read it.
struct Reviews<'a> {
    report: &'a Report,
    waiver: Option<Covered>,
    attestation: Option<Covered>,
    lines: Vec<String>,
}

impl<'a> Reviews<'a> {
    fn of(report: &'a Report, result: &CheckResult) -> Reviews<'a> {
        let mut lines = Vec::new();
        if let Some(Covered { index, effect }) = result.attestation {
            let a = &report.attestations[index];
            let what = match effect {
                Effect::Applied => "attested",
                Effect::Expired => "attestation expired: it was",
                Effect::NotNeeded => "not manual, so not changed by the attestation that it was",
            };
            lines.push(format!(
                "{what} {} by {} on {}, until {} (attestation {}, {}:{}); evidence: {}",
                a.result,
                a.attested_by,
                a.date,
                a.expires,
                index + 1,
                a.origin.file.display(),
                a.origin.line,
                a.evidence
            ));
        }
        if let Some(Covered { index, effect }) = result.waiver {
            let w = &report.waivers[index];
            let what = match effect {
                Effect::Applied => format!("waived until {}", w.expires),
                Effect::Expired => format!("waiver expired on {}: judged normally", w.expires),
                Effect::NotNeeded => {
                    format!("covered by a waiver until {}, not needed: the check is {}", w.expires, result.outcome.status)
                }
            };
            lines.push(format!(
                "{what} (waiver {}, {}:{}): {}; approved by {}",
                index + 1,
                w.origin.file.display(),
                w.origin.line,
                w.reason,
                w.approved_by
            ));
        }
        Reviews { report, waiver: result.waiver, attestation: result.attestation, lines }
    }

    /// "; <line>; <line>" to follow a message, or nothing.
    fn suffix(&self) -> String {
        self.lines.iter().map(|line| format!("; {line}")).collect()
    }

    fn properties(&self) -> Vec<Property> {
        let mut properties = Vec::new();
        if let Some(Covered { index, effect }) = self.attestation {
            let a = &self.report.attestations[index];
            properties.extend([
                Property::new("attestation", (index + 1).to_string()),
                Property::new("attestation-effect", effect.name()),
                Property::new("attestation-result", a.result.name()),
                Property::new("attestation-attested-by", sanitize(&a.attested_by)),
                Property::new("attestation-date", a.date.to_string()),
                Property::new("attestation-expires", a.expires.to_string()),
                Property::new("attestation-evidence", sanitize(&a.evidence)),
            ]);
        }
        if let Some(Covered { index, effect }) = self.waiver {
            let w = &self.report.waivers[index];
            properties.extend([
                Property::new("waiver", (index + 1).to_string()),
                Property::new("waiver-effect", effect.name()),
                Property::new("waiver-reason", sanitize(&w.reason)),
                Property::new("waiver-approved-by", sanitize(&w.approved_by)),
                Property::new("waiver-expires", w.expires.to_string()),
            ]);
        }
        properties
    }
}

/// `<host>.<group>`, sanitized; `group` holds no dot (see the module's doc).
fn classname(host: &str, group: &str) -> String {
    debug_assert!(!group.contains('.'), "{group}");
    sanitize(&format!("{host}.{group}")).into_owned()
}

/// The classname group of a section: `1.2` is `section_1_2`. Section ids
/// are CIS numbers (digits and dots), so no two sections share a group.
fn section_group(section: &str) -> String {
    format!("section_{}", section.replace('.', "_"))
}

fn skipped(message: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status.set_message(&*sanitize(&message));
    status
}

fn expected_actual(outcome: &Outcome) -> String {
    format!(
        "expected: {}; actual: {}",
        outcome.expected,
        source::observed(outcome)
    )
}

/// A clock step backwards between start and finish reads as no time.
fn elapsed(start: DateTime<FixedOffset>, end: DateTime<FixedOffset>) -> Duration {
    (end - start).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Role;
    use crate::report::sample;
    use crate::transport::HostErrorKind;
    use std::process::Command;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        write(report, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("XML is UTF-8")
    }

    fn parse(xml: &str) -> quick_junit::Report {
        quick_junit::Report::deserialize_from_str(xml)
            .unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"))
    }

    /// Parse with an independent XML parser too, when python3 is there.
    fn assert_python_parses(xml: &str) {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        io::Write::write_all(&mut file, xml.as_bytes()).expect("writing the temporary file");
        let run = Command::new("python3")
            .args([
                "-c",
                "import sys,xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])",
            ])
            .arg(file.path())
            .output();
        match run {
            Ok(output) => assert!(
                output.status.success(),
                "python3 rejects the XML: {}\n{xml}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                eprintln!("python3 not found; minidom check skipped")
            }
            Err(e) => panic!("running python3: {e}"),
        }
    }

    /// (tests, failures, errors, skipped)
    fn counts_of_suite(suite: &TestSuite) -> (usize, usize, usize, usize) {
        (suite.tests, suite.failures, suite.errors, suite.skipped)
    }

    fn status_of(case: &TestCase) -> (&'static str, Option<&str>, Option<&str>, Option<&str>) {
        match &case.status {
            TestCaseStatus::Success { .. } => ("success", None, None, None),
            TestCaseStatus::NonSuccess {
                kind,
                message,
                ty,
                description,
                ..
            } => (
                match kind {
                    NonSuccessKind::Failure => "failure",
                    NonSuccessKind::Error => "error",
                },
                message.as_deref(),
                ty.as_deref(),
                description.as_deref(),
            ),
            TestCaseStatus::Skipped {
                message,
                ty,
                description,
            } => (
                "skipped",
                message.as_deref(),
                ty.as_deref(),
                description.as_deref(),
            ),
        }
    }

    #[test]
    fn unreachable_host_is_exactly_one_error_case() {
        let report = sample::run(vec![sample::error_host(
            "worker-3",
            "10.0.0.13",
            HostErrorKind::Connect,
            "worker-3 (10.0.0.13:22): connection refused",
        )]);
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="hardbench" tests="1" skipped="0" failures="0" errors="1" timestamp="2026-11-22T16:40:00.000+00:00" time="7.500">
    <testsuite name="worker-3" tests="1" skipped="0" errors="1" failures="0" timestamp="2026-11-22T16:40:00.300+00:00" time="5.002" hostname="10.0.0.13">
        <properties>
            <property name="address" value="10.0.0.13"/>
            <property name="port" value="22"/>
            <property name="roles" value="worker"/>
            <property name="user" value="hbaudit"/>
            <property name="sudo" value="true"/>
        </properties>
        <testcase name="worker-3 reachable" classname="worker-3.connection" time="5.002">
            <error message="worker-3 (10.0.0.13:22): connection refused" type="connect"/>
        </testcase>
    </testsuite>
</testsuites>
"#;
        assert_eq!(render(&report), expected);
    }

    #[test]
    fn an_impostor_is_a_failed_case_and_the_version_source_a_property() {
        let mut report = sample::run(vec![sample::ok_host("cp-1", "10.0.0.10", vec![Role::ControlPlane], Vec::new())]);
        report.hosts[0].impostors = vec![sample::impostor()];
        let junit = parse(&render(&report));
        let suite = &junit.test_suites[0];
        assert_eq!(counts_of_suite(suite), (1, 1, 0, 0));
        let case = &suite.test_cases[0];
        assert_eq!(case.name.as_str(), "impostor process 1005 kube-apiserver");
        assert_eq!(case.classname.as_deref(), Some("cp-1.processes"));
        let (kind, message, ty, _) = status_of(case);
        assert_eq!((kind, ty), ("failure", Some("impostor")));
        assert!(
            message.unwrap().starts_with("pid 1005 (uid 65534) runs /tmp/kube-apiserver and is not kube-apiserver: runs as uid 65534"),
            "{message:?}"
        );
        let source = suite.properties.iter().find(|p| p.name.as_str() == "kubernetes-version-source").unwrap();
        assert!(source.value.as_str().starts_with("kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4"));
    }

    #[test]
    fn each_case_carries_its_check_level_as_a_property() {
        let mut level_2 = sample::check("4.2.8", "Event QPS", Role::Worker, Status::Manual, "", "5");
        level_2.level = 2;
        let level_1 = sample::check("4.2.4", "Read-only port", Role::Worker, Status::Pass, "0", "0");
        let report = sample::run(vec![sample::ok_host("w", "10.0.0.5", vec![Role::Worker], vec![level_1, level_2])]);
        let junit = parse(&render(&report));
        let levels: Vec<(String, String)> = junit.test_suites[0]
            .test_cases
            .iter()
            .map(|case| {
                let level = case.properties.iter().find(|p| p.name.as_str() == "level").expect("a level property");
                (case.name.to_string(), level.value.to_string())
            })
            .collect();
        assert_eq!(levels, [("4.2.4 Read-only port".to_string(), "1".to_string()), ("4.2.8 Event QPS".to_string(), "2".to_string())]);
    }

    #[test]
    fn sample_report_maps_each_status() {
        let xml = render(&sample::report());
        assert_python_parses(&xml);
        let junit = parse(&xml);
        assert_eq!(junit.name.as_deref(), Some("hardbench"));
        // 7 + 3 checks and one "reachable" case; warn, manual, not-applicable
        // and skip are skipped.
        assert_eq!(
            (junit.tests, junit.failures, junit.errors, junit.skipped),
            (11, 2, 2, 4)
        );

        let suites: Vec<_> = junit
            .test_suites
            .iter()
            .map(|s| (s.name.as_str(), counts_of_suite(s)))
            .collect();
        assert_eq!(
            suites,
            [
                ("cp-good", (7, 1, 1, 3)),
                ("worker-1", (3, 1, 0, 1)),
                ("worker-3", (1, 0, 1, 0))
            ]
        );

        let cp = &junit.test_suites[0];
        assert_eq!(
            cp.extra.get("hostname").map(|h| h.as_str()),
            Some("127.0.10.1")
        );
        let properties: Vec<_> = cp
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            properties,
            [
                ("benchmark", "cis-1.12"),
                ("benchmark-selected-by", sample::benchmark().selected_by.as_str()),
                ("address", "127.0.10.1"),
                ("port", "22"),
                ("roles", "control-plane,etcd,worker"),
                ("user", "hbaudit"),
                ("sudo", "true"),
                (
                    "host-key",
                    "ssh-ed25519 SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
                ),
                ("kubernetes-version", "v1.33.4"),
                (
                    "kubernetes-version-source",
                    "kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in /etc/kubernetes/manifests/kube-apiserver.yaml"
                ),
            ]
        );
        let worker_roles = junit.test_suites[1]
            .properties
            .iter()
            .find(|p| p.name.as_str() == "roles");
        assert_eq!(
            worker_roles.map(|p| p.value.as_str()),
            Some("worker (detected)")
        );

        let cases: Vec<_> = cp
            .test_cases
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.classname.as_deref(),
                    c.time,
                    status_of(c),
                )
            })
            .collect();
        let zero = Some(Duration::ZERO);
        assert_eq!(
            cases,
            [
                (
                    "1.1.1 Ensure that the API server pod specification file permissions are set to 600 or more restrictive",
                    Some("cp-good.section_1_1"),
                    zero,
                    ("success", None, None, None),
                ),
                (
                    "1.2.1 Ensure that the --anonymous-auth argument is set to false",
                    Some("cp-good.section_1_2"),
                    zero,
                    (
                        "skipped",
                        Some("manual: observed: true (default per kube-apiserver --help)"),
                        Some("manual"),
                        Some("Remediate 1.2.1."),
                    ),
                ),
                (
                    "1.1.12 Ensure that the etcd data directory ownership is set to etcd:etcd",
                    Some("cp-good.section_1_1"),
                    zero,
                    (
                        "error",
                        Some("the etcd data directory could not be found: etcd has no --data-dir"),
                        Some("error"),
                        None,
                    ),
                ),
                (
                    "1.2.15 Ensure that the --profiling argument is set to false",
                    Some("cp-good.section_1_2"),
                    zero,
                    (
                        "failure",
                        Some("expected: false; actual: true (flag --profiling)"),
                        Some("fail"),
                        Some(
                            "Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml \
                             on the control plane node and set the below parameter.\n--profiling=false"
                        ),
                    ),
                ),
                (
                    "1.2.6 Ensure that the --kubelet-certificate-authority argument is set as appropriate",
                    Some("cp-good.section_1_2"),
                    zero,
                    (
                        "skipped",
                        Some("warn: expected: set; actual: not set (no kube-apiserver default known)"),
                        Some("warn"),
                        Some("Remediate 1.2.6."),
                    ),
                ),
                (
                    "2.1 Ensure that the --cert-file and --key-file arguments are set as appropriate",
                    Some("cp-good.section_2"),
                    zero,
                    ("skipped", Some("skip: deselected with --skip"), Some("skip"), None),
                ),
                (
                    "4.2.1 Ensure that the --anonymous-auth argument is set to false",
                    Some("cp-good.section_4_2"),
                    zero,
                    ("success", None, None, None),
                ),
            ]
        );
        assert_eq!(
            cp.test_cases[6].system_out.as_deref(),
            Some("note: the kubelet config has a drop-in directory")
        );
        let not_applicable = &junit.test_suites[1].test_cases[2];
        assert_eq!(
            status_of(not_applicable),
            ("skipped", Some("not applicable: kube-proxy does not run on this host"), Some("not-applicable"), None)
        );
        let unreachable = &junit.test_suites[2].test_cases[0];
        assert_eq!(
            (
                unreachable.name.as_str(),
                unreachable.classname.as_deref(),
                status_of(unreachable)
            ),
            (
                "worker-3 reachable",
                Some("worker-3.connection"),
                (
                    "error",
                    Some("worker-3 (10.0.0.13:22): connection refused"),
                    Some("connect"),
                    None
                )
            )
        );
    }

    /// Each suite names the benchmark that judged its host, and why.
    #[test]
    fn each_suite_names_its_hosts_benchmark() {
        let mut report = sample::run(vec![
            sample::ok_host("new", "10.0.0.1", vec![Role::Worker], Vec::new()),
            sample::ok_host("old", "10.0.0.2", vec![Role::Worker], Vec::new()),
        ]);
        let older = report.hosts[1].benchmark.as_mut().unwrap();
        older.id = "cis-1.11".into();
        older.selected_by = "auto: platform kubeadm (no other platform recognised); kubernetes v1.30.4 \
                             (kubelet: kubelet --version); cis-1.11 covers 1.29–1.31"
            .into();
        let junit = parse(&render(&report));
        let property = |suite: usize, name: &str| {
            let properties = &junit.test_suites[suite].properties;
            properties.iter().find(|p| p.name.as_str() == name).map(|p| p.value.as_str().to_owned())
        };
        assert_eq!(property(0, "benchmark").as_deref(), Some("cis-1.12"));
        assert_eq!(property(1, "benchmark").as_deref(), Some("cis-1.11"));
        assert_eq!(property(1, "benchmark-selected-by"), report.hosts[1].benchmark.as_ref().map(|b| b.selected_by.clone()));
    }

    #[test]
    fn hostile_output_stays_well_formed_and_visible() {
        let report = sample::hostile();
        let xml = render(&report);
        assert_python_parses(&xml);
        for forbidden in [
            '\0', '\x07', '\x08', '\x1b', '\r', '\t', '\x7f', '\u{9b}', '\u{fffe}', '\u{ffff}',
            '\u{202e}',
        ] {
            assert!(!xml.contains(forbidden), "{forbidden:?} reached the XML");
        }
        assert!(
            xml.contains("cdata:]]&gt; lt:&lt; gt:&gt; amp:&amp;"),
            "{xml}"
        );
        assert!(xml.contains("fffd:\u{fffd} fffe:\\u{fffe}"), "{xml}");

        let junit = parse(&xml);
        assert_eq!(
            (junit.tests, junit.failures, junit.errors, junit.skipped),
            (13, 4, 2, 4),
            "the checks, and one impostor per audited host"
        );
        for (suite, host) in junit.test_suites.iter().zip(&report.hosts) {
            // What the parser reads back is the sanitized text, character
            // for character: nothing was dropped on the way.
            assert_eq!(suite.name.as_str(), sanitize(&host.name));
            assert_eq!(
                suite.extra.get("hostname").map(|h| h.as_str()),
                Some(&*sanitize(&host.address))
            );
            match &host.result {
                Ok(results) => {
                    for (case, result) in suite.test_cases.iter().zip(results) {
                        assert_eq!(
                            case.name.as_str(),
                            sanitize(&format!("{} {}", result.id, result.title))
                        );
                        let (_, message, _, description) = status_of(case);
                        if result.outcome.status == Status::Fail {
                            assert_eq!(
                                message,
                                Some(&*sanitize(&expected_actual(&result.outcome)))
                            );
                            assert_eq!(
                                description,
                                Some(&*sanitize_multiline(&result.remediation))
                            );
                            assert!(
                                description.unwrap().contains('\n'),
                                "remediation keeps its line breaks"
                            );
                        }
                        assert_eq!(
                            case.system_out.as_deref(),
                            Some(&*format!("note: {}", sanitize(&result.outcome.notes[0])))
                        );
                    }
                }
                Err(error) => {
                    let (_, message, ty, _) = status_of(&suite.test_cases[0]);
                    assert_eq!(
                        (message, ty),
                        (Some(&*sanitize(&error.message)), Some("connect"))
                    );
                }
            }
        }
    }

    /// Waived, expired, not-needed and attested results, and a manual check
    /// that would fail, each read as such, with their rule in the message,
    /// the properties and the output.
    #[test]
    fn waivers_attestations_and_manual_checks_that_would_fail() {
        use crate::outcome::{Attestation, Origin, Scope};
        let covered = |index, effect| Some(Covered { index, effect });
        let check = |id: &str, status| sample::check(id, "Title", Role::ControlPlane, status, "set", "absent");
        let mut waived = check("1.2.16", Status::Waived);
        (waived.verdict, waived.waiver) = (Status::Fail, covered(0, Effect::Applied));
        let mut expired = check("1.2.15", Status::Fail);
        expired.waiver = covered(1, Effect::Expired);
        let mut not_needed = check("1.2.14", Status::Pass);
        not_needed.waiver = covered(0, Effect::NotNeeded);
        let mut would_fail = check("1.2.1", Status::Manual);
        would_fail.outcome.automated_verdict = Some(Status::Fail);
        let mut harmless = check("1.1.9", Status::Manual);
        harmless.outcome.automated_verdict = Some(Status::Pass);
        let mut attested = check("1.1.10", Status::Fail);
        (attested.verdict, attested.attestation) = (Status::Manual, covered(0, Effect::Applied));
        let results = vec![waived, expired, not_needed, would_fail, harmless, attested];
        let mut report = sample::run(vec![sample::ok_host("cp-1", "10.0.0.10", vec![Role::ControlPlane], results)]);
        report.waivers = vec![sample::waiver(&["1.2.16", "1.2.14"], "2027-03-31"), sample::waiver(&["1.2.15"], "2026-11-01")];
        report.waivers[1].origin.line = 7;
        report.attestations = vec![Attestation {
            scope: Scope::new(vec!["1.1.10".into()], vec![], vec![]),
            result: Status::Fail,
            attested_by: "J. Doe".into(),
            date: "2026-11-20".parse().unwrap(),
            expires: "2027-05-20".parse().unwrap(),
            evidence: "CHG-99".into(),
            origin: Origin { file: "attested.toml".into(), line: 1 },
        }];
        let xml = render(&report);
        assert_python_parses(&xml);
        let junit = parse(&xml);
        let suite = &junit.test_suites[0];
        assert_eq!(counts_of_suite(suite), (6, 2, 0, 3), "waived and manual are skipped; the expired and attested fail");
        let waiver_1 = "(waiver 1, waivers.toml:1): EventRateLimit breaks our admission webhook; approved by Security team (CHG-1234)";
        let waiver_2 = "(waiver 2, waivers.toml:7): EventRateLimit breaks our admission webhook; approved by Security team (CHG-1234)";
        let attestation = "attested fail by J. Doe on 2026-11-20, until 2027-05-20 (attestation 1, attested.toml:1); evidence: CHG-99";
        let expected: [(&str, Option<String>, Option<&str>); 6] = [
            ("skipped", Some(format!("waived (fail): expected: set; actual: absent; waived until 2027-03-31 {waiver_1}")), Some("waived")),
            ("failure", Some(format!("expected: set; actual: absent; waiver expired on 2026-11-01: judged normally {waiver_2}")), Some("fail")),
            ("success", None, None),
            ("skipped", Some("manual (automated evaluation would fail): observed: absent".into()), Some("manual")),
            ("skipped", Some("manual: observed: absent".into()), Some("manual")),
            ("failure", Some(format!("expected: set; actual: absent; {attestation}")), Some("fail")),
        ];
        for (case, (kind, message, ty)) in suite.test_cases.iter().zip(expected) {
            let (got_kind, got_message, got_ty, _) = status_of(case);
            assert_eq!((got_kind, got_message, got_ty), (kind, message.as_deref(), ty), "{}", case.name.as_str());
        }
        let properties = |case: usize| -> Vec<(String, String)> {
            suite.test_cases[case].properties.iter().map(|p| (p.name.to_string(), p.value.to_string())).collect()
        };
        let p = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        assert_eq!(
            properties(0),
            [
                p("level", "1"),
                p("verdict", "fail"),
                p("waiver", "1"),
                p("waiver-effect", "applied"),
                p("waiver-reason", "EventRateLimit breaks our admission webhook"),
                p("waiver-approved-by", "Security team (CHG-1234)"),
                p("waiver-expires", "2027-03-31"),
            ]
        );
        assert_eq!(properties(2)[1..3], [p("waiver", "1"), p("waiver-effect", "not-needed")], "a waiver not needed is noted, not hidden");
        assert_eq!(
            suite.test_cases[2].system_out.as_deref(),
            Some(&*format!("covered by a waiver until 2027-03-31, not needed: the check is pass {waiver_1}"))
        );
        assert_eq!(properties(3), [p("level", "1"), p("automated-verdict", "fail")]);
        assert_eq!(properties(4), [p("level", "1"), p("automated-verdict", "pass")]);
        assert_eq!(
            properties(5),
            [
                p("level", "1"),
                p("verdict", "manual"),
                p("attestation", "1"),
                p("attestation-effect", "applied"),
                p("attestation-result", "fail"),
                p("attestation-attested-by", "J. Doe"),
                p("attestation-date", "2026-11-20"),
                p("attestation-expires", "2027-05-20"),
                p("attestation-evidence", "CHG-99"),
            ]
        );
        assert_eq!(suite.test_cases[5].system_out.as_deref(), Some(attestation));
    }

    /// The classname reads one way only: split at its last dot (as Jenkins
    /// does), it gives back the host, whole, and the group.
    #[test]
    fn a_classname_names_its_host_unambiguously() {
        #[track_caller]
        fn case(host: &str, section: &str, expected: &str) {
            let got = classname(host, &section_group(section));
            assert_eq!(got, expected, "host {host:?}, section {section:?}");
            let (package, class) = got.rsplit_once('.').expect("a dot before the group");
            assert_eq!((package, class), (host, &*format!("section_{}", section.replace('.', "_"))));
        }
        // Before, both were "cp-1.1.1.2".
        case("cp-1", "1.1.2", "cp-1.section_1_1_2");
        case("cp-1.1", "1.2", "cp-1.1.section_1_2");
        case("cp-1.1", "1.1.2", "cp-1.1.section_1_1_2");
        case("cp-1", "1.2", "cp-1.section_1_2");
        case("cp-1.prod.example.com", "4.2", "cp-1.prod.example.com.section_4_2");
        case("cp-1.prod.example", "com.4.2", "cp-1.prod.example.section_com_4_2");
        case("10.0.0.1", "5", "10.0.0.1.section_5");
        case("a.section_1_2", "4.2", "a.section_1_2.section_4_2");
        case("cp_1", "1.2", "cp_1.section_1_2");
        assert_eq!(classname("cp-1.example.com", "processes"), "cp-1.example.com.processes");
        assert_eq!(classname("cp-1.example.com", "connection"), "cp-1.example.com.connection");
    }

    /// Hosts whose old classnames were the same (`cp-1` with 1.1.2.x and
    /// `cp-1.1` with 1.2.x), FQDNs and an unreachable host: every case has a
    /// classname and name of its own in the whole report (GitLab keeps one
    /// of two equal ones), and its classname gives back its suite's host.
    #[test]
    fn every_case_is_unique_and_names_its_host() {
        let check = |id: &str| sample::check(id, "Title", Role::ControlPlane, Status::Fail, "a", "b");
        let mut report = sample::run(vec![
            sample::ok_host("cp-1", "10.0.0.1", vec![Role::ControlPlane], vec![check("1.1.2.1"), check("1.2.1"), check("1.1.2")]),
            sample::ok_host("cp-1.1", "10.0.0.2", vec![Role::ControlPlane], vec![check("1.2.1"), check("1.1.2.1")]),
            sample::ok_host("cp-1.prod.example.com", "10.0.0.3", vec![Role::ControlPlane], vec![check("1.2.1")]),
            sample::ok_host("cp-1.prod", "10.0.0.4", vec![Role::ControlPlane], vec![check("1.2.1")]),
            sample::error_host("cp-2.prod.example.com", "10.0.0.5", HostErrorKind::Connect, "refused"),
        ]);
        report.hosts[2].impostors = vec![sample::impostor()];
        report.hosts.extend(sample::report().hosts);
        let junit = parse(&render(&report));
        let mut seen = std::collections::BTreeSet::new();
        for suite in &junit.test_suites {
            for case in &suite.test_cases {
                let classname = case.classname.as_deref().expect("every case has a classname");
                let key = (classname.to_owned(), case.name.to_string());
                assert!(seen.insert(key.clone()), "{key:?} twice");
                assert_eq!(classname.rsplit_once('.').map(|(host, _)| host), Some(suite.name.as_str()), "{key:?}");
            }
        }
        assert_eq!(seen.len(), junit.tests);
        let cp_1: Vec<_> = junit.test_suites[0].test_cases.iter().map(|c| c.classname.as_deref().unwrap()).collect();
        assert_eq!(cp_1, ["cp-1.section_1_1_2", "cp-1.section_1_2", "cp-1.section_1_1"]);
        let cp_1_1: Vec<_> = junit.test_suites[1].test_cases.iter().map(|c| c.classname.as_deref().unwrap()).collect();
        assert_eq!(cp_1_1, ["cp-1.1.section_1_2", "cp-1.1.section_1_1_2"]);
    }

    #[test]
    fn an_empty_run_is_an_empty_root() {
        let junit = parse(&render(&sample::run(vec![])));
        assert_eq!((junit.tests, junit.test_suites.len()), (0, 0));
        assert_eq!(junit.time, Some(Duration::from_millis(7500)));
    }

    #[test]
    fn host_with_no_results_is_an_empty_suite() {
        let report = sample::run(vec![sample::ok_host(
            "idle",
            "10.0.0.20",
            vec![Role::Worker],
            vec![],
        )]);
        let xml = render(&report);
        assert_python_parses(&xml);
        let junit = parse(&xml);
        assert_eq!(counts_of_suite(&junit.test_suites[0]), (0, 0, 0, 0));
    }
}

//! The HTML report: one self-contained page for an auditor to read, filter
//! and print to PDF. It holds the run (when, which hardbench, the benchmark
//! of each host), a summary per host and per section, a host-by-check
//! matrix, every failed check with what was expected, what was found, where
//! it was found and the remediation (then the warnings and the checks that
//! could not be evaluated), the waived checks, impostor processes, manual
//! checks with what was observed (those whose automated evaluation would
//! fail apart), the waivers and attestations with their state and what each
//! covered, and the hosts that could not be audited with the reason; with
//! `--baseline`, what changed since then.
//!
//! Markup comes from `maud`: the page is Rust syntax checked at compile
//! time (a tag left open or an attribute left unquoted does not build), and
//! every value spliced into it is escaped unless it is wrapped in
//! `PreEscaped`: only the page's own stylesheet and script, the `<html>` and
//! `<body>` tags the parts are written between, and table cells maud rendered
//! already (`alike`) are. Text from a host or a benchmark is spliced as
//! `Shown` or `Block`, which first
//! make terminal controls, bidi overrides and the like visible escapes
//! (`sanitize`): the file may be `cat` to a terminal, and a reordered line
//! must not deceive its reader either.
//!
//! Nothing is fetched: the Content-Security-Policy allows only the inline
//! stylesheet and script, by their hashes, and `data:` images, so not even a
//! markup injection could make the page send a request. The status filter is
//! CSS alone (it works with scripts off); the script adds the host filter.
//!
//! Counts carry data attributes (`data-count-status="fail"`, per host and per
//! section too) so that tests read them back and compare them with the JSON.
//! The output depends on the report alone: the same report gives the same
//! bytes.

use crate::facts::Impostor;
use crate::outcome::diff::Category;
use crate::outcome::{CheckResult, Covered, Effect, HostReport, Invocation, Origin, Report, RuleState, RuleUse, Scope, Status, Summary};
use crate::report::sanitize::{sanitize, sanitize_multiline};
use crate::report::source;
use base64::Engine as _;
use maud::{html, Markup, PreEscaped, Render, DOCTYPE};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::io;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Write `report` as one HTML document. The page is built and written one
/// part at a time, so memory holds the largest part (the matrix), not the
/// whole page.
pub fn write<W: io::Write + ?Sized>(report: &Report, out: &mut W) -> io::Result<()> {
    let page = Page::new(report);
    let parts: [fn(&Page) -> Markup; 13] = [
        head,
        run,
        summary,
        baseline,
        hosts,
        matrix,
        findings,
        impostors,
        manual,
        waivers,
        attestations,
        unreachable,
        tail,
    ];
    for part in parts {
        out.write_all(part(&page).into_string().as_bytes())?;
    }
    Ok(())
}

/// What every part needs: the report, and the checks of the run in id order
/// (the matrix's columns).
struct Page<'a> {
    report: &'a Report,
    checks: Vec<(&'a str, &'a str)>,
}

impl<'a> Page<'a> {
    fn new(report: &'a Report) -> Page<'a> {
        let mut checks: BTreeMap<Id<'a>, &'a str> = BTreeMap::new();
        for result in report.hosts.iter().flat_map(results) {
            checks.entry(Id(&result.id)).or_insert(&result.title);
        }
        Page { report, checks: checks.into_iter().map(|(id, title)| (id.0, title)).collect() }
    }

    /// Every audited host's results with the host's index.
    fn results(&self) -> impl Iterator<Item = (usize, &'a HostReport, &'a CheckResult)> {
        self.report.hosts.iter().enumerate().flat_map(|(i, host)| results(host).iter().map(move |r| (i, host, r)))
    }
}

fn results(host: &HostReport) -> &[CheckResult] {
    host.result.as_deref().unwrap_or_default()
}

/// Text from a host or a benchmark, on one line: hazards made visible, then
/// markup escaped.
struct Shown<'a>(&'a str);

impl Render for Shown<'_> {
    fn render_to(&self, buffer: &mut String) {
        sanitize(self.0).render_to(buffer);
    }
}

/// Like `Shown`, but line breaks are kept (remediation holds YAML and shell
/// snippets); it goes into an element laid out with `white-space: pre-wrap`.
struct Block<'a>(&'a str);

impl Render for Block<'_> {
    fn render_to(&self, buffer: &mut String) {
        sanitize_multiline(self.0).render_to(buffer);
    }
}

/// A check id or section ordered as the benchmark numbers them: `1.2.10`
/// after `1.2.9`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Id<'a>(&'a str);

impl Ord for Id<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        fn key(id: &str) -> impl Iterator<Item = (u64, &str)> {
            id.split('.').map(|part| (part.parse::<u64>().unwrap_or(u64::MAX), part))
        }
        key(self.0).cmp(key(other.0))
    }
}

impl PartialOrd for Id<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The count of one status in a summary.
fn count(summary: &Summary, status: Status) -> usize {
    match status {
        Status::Pass => summary.pass,
        Status::Fail => summary.fail,
        Status::Warn => summary.warn,
        Status::Waived => summary.waived,
        Status::Manual => summary.manual,
        Status::NotApplicable => summary.not_applicable,
        Status::Skip => summary.skip,
        Status::Error => summary.error,
    }
}

/// The one-letter code the matrix shows for a status.
fn code(status: Status) -> &'static str {
    match status {
        Status::Pass => "P",
        Status::Fail => "F",
        Status::Warn => "W",
        Status::Waived => "A",
        Status::Manual => "M",
        Status::NotApplicable => "N",
        Status::Skip => "S",
        Status::Error => "E",
    }
}

fn class(status: Status) -> String {
    format!("st-{}", status.name())
}

fn badge(status: Status) -> Markup {
    html! { span class={ "badge " (class(status)) } { (status.name()) } }
}

/// The hashes the Content-Security-Policy allows the inline stylesheet and
/// script by.
fn policy() -> String {
    let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{}'; script-src 'sha256-{}'; img-src data:; \
         base-uri 'none'; form-action 'none'",
        hash(STYLE),
        hash(SCRIPT)
    )
}

fn timestamp(time: &chrono::DateTime<chrono::FixedOffset>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Tenths of a second, rounded half up from the whole milliseconds: the
/// JSON report keeps only those (`duration_ms`), and the page rendered from
/// it again (`hardbench report`, `verify`) must be this one.
fn duration(duration: std::time::Duration) -> String {
    let tenths = (duration.as_millis() + 50) / 100;
    format!("{}.{} s", tenths / 10, tenths % 10)
}

fn roles(host: &HostReport) -> String {
    let mut roles = if host.roles.is_empty() {
        "no roles".to_owned()
    } else {
        host.roles.iter().map(|role| role.name()).collect::<Vec<_>>().join(", ")
    };
    if host.roles_detected {
        roles.push_str(" (detected)");
    }
    roles
}

fn head(page: &Page) -> Markup {
    let report = page.report;
    let hosts = report.hosts.len();
    // `html` and `body` are opened here by hand and closed by `tail`: the
    // parts between them are written one at a time.
    html! {
        (DOCTYPE)
        (PreEscaped("<html lang=\"en\">"))
        head {
            meta charset="utf-8";
            meta http-equiv="Content-Security-Policy" content=(policy());
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="generator" content={ "hardbench " (Shown(&report.hardbench_version)) };
            // No icon to fetch either.
            link rel="icon" href="data:,";
            title { "hardbench audit report: " (hosts) (if hosts == 1 { " host, " } else { " hosts, " }) (timestamp(&report.started_at)) }
            style { (PreEscaped(STYLE)) }
        }
        (PreEscaped("<body>"))
        h1 { "hardbench audit report" }
        (filters(page))
    }
}

/// The filter bar: a checkbox per status (CSS alone hides what is
/// unchecked) and the host selector, which the script shows.
fn filters(page: &Page) -> Markup {
    html! {
        form.filters aria-label="filters" {
            strong { "Show:" }
            @for status in Status::ALL {
                label { input type="checkbox" id={ "show-" (status.name()) } checked; " " (badge(status)) }
            }
            label hidden { "Host: "
                select id="filter-host" {
                    option value="" selected { "every host" }
                    @for (i, host) in page.report.hosts.iter().enumerate() {
                        option value=(i) { (Shown(&host.name)) }
                    }
                }
            }
        }
    }
}

fn run(page: &Page) -> Markup {
    let report = page.report;
    let summary = report.summary();
    let elapsed = (report.finished_at - report.started_at).to_std().unwrap_or_default();
    let mut benchmarks: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for benchmark in report.hosts.iter().filter_map(|host| host.benchmark.as_ref()) {
        *benchmarks.entry((&benchmark.id, &benchmark.title)).or_default() += 1;
    }
    html! {
        section #run {
            h2 { "The run" }
            p.headline { (headline(report, &summary)) }
            dl.run {
                dt { "Started" } dd { (timestamp(&report.started_at)) }
                dt { "Finished" } dd { (timestamp(&report.finished_at)) " (" (duration(elapsed)) ")" }
                dt { "hardbench" } dd { "version " (Shown(&report.hardbench_version)) }
                (invocation(&report.invocation))
                dt { "Benchmark" }
                dd {
                    @if let Some(common) = report.benchmark() {
                        (Shown(&common.id)) ": " (Shown(&common.title)) br;
                        span.note { (Shown(&common.selected_by)) } br;
                        span.mono.note { "sha256 " (Shown(&common.sha256)) }
                    } @else if benchmarks.is_empty() {
                        "none: no host was judged"
                    } @else {
                        "chosen for each host (see Hosts): "
                        @for (n, ((id, title), hosts)) in benchmarks.iter().enumerate() {
                            @if n > 0 { "; " }
                            (Shown(id)) " (" (Shown(title)) ", " (hosts) (if *hosts == 1 { " host" } else { " hosts" }) ")"
                        }
                    }
                }
                dt { "Hosts" }
                dd { (summary.hosts_ok + summary.hosts_error) " (" (summary.hosts_ok) " audited, "
                     (summary.hosts_error) " could not be audited)" }
                @if !report.waivers.is_empty() || !report.attestations.is_empty() {
                    dt { "Reviews judged on" } dd { (report.review_date) " (a waiver or attestation expires after its last day)" }
                }
                @if let Some(signal) = report.interrupted_by {
                    dt { "Interrupted" }
                    dd { "by signal " (signal) " before the reports were begun: hosts not finished are errors of kind interrupted" }
                }
            }
        }
    }
}

/// What was run, with which files (and their sha256), by whom, where.
fn invocation(invocation: &Invocation) -> Markup {
    let mut selected = vec![format!("--benchmark {}", invocation.benchmark)];
    if let Some(level) = invocation.level {
        selected.push(format!("--level {level}"));
    }
    for (flag, values) in [("--check", &invocation.check), ("--skip", &invocation.skip), ("--limit", &invocation.limit)] {
        if !values.is_empty() {
            selected.push(format!("{flag} {}", values.join(",")));
        }
    }
    let file = |label: &'static str, file: &Option<crate::outcome::InputFile>| {
        html! {
            @if let Some(file) = file {
                dt { (label) }
                dd { span.mono { (Shown(&file.path)) } br; span.mono.note { "sha256 " (Shown(&file.sha256)) } }
            }
        }
    };
    let unknown = |text: &str| if text.is_empty() { "unknown".to_owned() } else { text.to_owned() };
    html! {
        dt { "Command" } dd { span.mono { "hardbench " (Shown(&invocation.command)) } }
        dt { "Selected" } dd { span.mono { (Shown(&selected.join(" "))) } }
        (file("Inventory", &invocation.inventory))
        @if let Some(facts) = &invocation.facts { dt { "Saved facts" } dd { span.mono { (Shown(facts)) } } }
        (file("Waivers", &invocation.waivers))
        (file("Attestations", &invocation.attestations))
        @if let Some(shard) = invocation.shard { dt { "Shard" } dd { span.mono { "--shard " (shard) } " (a share of the hosts only)" } }
        @if !invocation.merged.is_empty() {
            dt { "Merged from" }
            dd { @for merged in &invocation.merged { span.mono { (Shown(&merged.path)) } br; span.mono.note { "sha256 " (Shown(&merged.sha256)) } br; } }
        }
        dt { "Run by" } dd { (Shown(&unknown(&invocation.user))) " on " (Shown(&unknown(&invocation.machine))) }
    }
}

/// The run in one sentence: what failed and what could not be audited.
fn headline(report: &Report, summary: &Summary) -> String {
    let hosts_failing = report.hosts.iter().filter(|host| results(host).iter().any(|r| r.outcome.status == Status::Fail)).count();
    let impostors = report.hosts.iter().filter(|host| !host.impostors.is_empty()).count();
    let mut parts = Vec::new();
    if summary.fail > 0 {
        parts.push(format!("{} failed {} on {} {}", summary.fail, plural(summary.fail, "check"), hosts_failing, plural(hosts_failing, "host")));
    }
    if summary.waived > 0 {
        parts.push(format!("{} {} waived", summary.waived, plural(summary.waived, "result")));
    }
    if summary.manual_failing > 0 {
        parts.push(format!(
            "{} manual {} whose automated evaluation would fail",
            summary.manual_failing,
            plural(summary.manual_failing, "check")
        ));
    }
    if impostors > 0 {
        parts.push(format!("impostor processes on {impostors} {}", plural(impostors, "host")));
    }
    if summary.hosts_error > 0 {
        parts.push(format!("{} {} could not be audited", summary.hosts_error, plural(summary.hosts_error, "host")));
    }
    if summary.error > 0 {
        parts.push(format!("{} {} could not be evaluated", summary.error, plural(summary.error, "check")));
    }
    if parts.is_empty() {
        "Every evaluated check passed.".to_owned()
    } else {
        let mut text = parts.join("; ");
        text.push('.');
        text[..1].to_ascii_uppercase() + &text[1..]
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// A row of counts, one cell per status, each marked with its status.
fn counts(summary: &Summary) -> Markup {
    html! {
        @for status in Status::ALL {
            @let n = count(summary, status);
            td.n.zero[n == 0] data-count-status=(status.name()) { (n) }
        }
        td.n.zero[summary.manual_failing == 0] data-count-manual-failing="" { (summary.manual_failing) }
    }
}

fn status_headers() -> Markup {
    html! {
        @for status in Status::ALL { th class=(class(status)) { (status.name()) } }
        th class=(class(Status::Manual)) { "manual, would fail" }
    }
}

fn summary(page: &Page) -> Markup {
    let report = page.report;
    let totals = report.summary();
    let mut sections: BTreeMap<Id, Summary> = BTreeMap::new();
    for (_, _, result) in page.results() {
        sections.entry(Id(&result.section)).or_default().add(result);
    }
    html! {
        section #summary {
            h2 { "Summary" }
            table #totals {
                thead { tr { th { "checks on every host" } (status_headers()) th { "hosts audited" } th { "hosts not audited" } } }
                tbody { tr { th { "total" } (counts(&totals))
                    td.n data-count-hosts="ok" { (totals.hosts_ok) }
                    td.n data-count-hosts="error" { (totals.hosts_error) } } }
            }
            h3 { "Per host" }
            div.wide { table #per-host {
                thead { tr { th { "host" } th { "roles" } th { "benchmark" } (status_headers()) } }
                tbody {
                    @for (i, host) in report.hosts.iter().enumerate() {
                        tr data-host=(i) {
                            th { (Shown(&host.name)) }
                            @match &host.result {
                                Ok(results) => {
                                    td { (Shown(&roles(host))) }
                                    td { @if let Some(b) = &host.benchmark { (Shown(&b.id)) } }
                                    (counts(&Summary::of_results(results)))
                                }
                                Err(error) => {
                                    td colspan=(3 + Status::ALL.len()) {
                                        span class={ "badge " (class(Status::Error)) } { "not audited" }
                                        " " (error.kind.name()) ": " (Shown(&error.message))
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            h3 { "Per section" }
            @if sections.is_empty() {
                p.none { "No check was evaluated." }
            } @else {
                table #per-section {
                    thead { tr { th { "section" } (status_headers()) } }
                    tbody {
                        @for (section, summary) in &sections {
                            tr data-section=(Shown(section.0)) { th { (Shown(section.0)) } (counts(summary)) }
                        }
                    }
                }
            }
        }
    }
}

/// What changed since the baseline (`--baseline`): the counts, and each
/// check that regressed or was fixed; nothing without a baseline.
fn baseline(page: &Page) -> Markup {
    let Some(baseline) = &page.report.baseline else { return html! {} };
    let diff = &baseline.diff;
    let summary = diff.summary();
    let counts = [
        ("regressed", summary.regressed),
        ("fixed", summary.fixed),
        ("still-failing", summary.still_failing),
        ("still-passing", summary.still_passing),
        ("incomparable", summary.incomparable),
        ("hosts-incomparable", summary.hosts_incomparable),
        ("hosts-added", summary.hosts_added),
        ("hosts-removed", summary.hosts_removed),
    ];
    let changed: Vec<(&str, &crate::outcome::diff::CheckDiff)> = diff
        .hosts
        .iter()
        .flat_map(|host| host.checks.iter().map(move |check| (host.name.as_str(), check)))
        .filter(|(_, check)| matches!(check.category, Category::Regressed | Category::Fixed))
        .collect();
    let seen = |seen: Option<crate::outcome::diff::Seen>| html! {
        @match seen { Some(seen) => { (badge(seen.status)) } None => { span.note { "no result" } } }
    };
    html! {
        section #baseline {
            h2 { "Since the baseline" }
            p.note {
                "Compared with the report of " (timestamp(&diff.old.started_at))
                @if let Some(path) = &diff.old.path { " (" span.mono { (Shown(&path.to_string_lossy())) } ")" }
                ", by host name and check id; the run fails on " (baseline.fail_on) "."
            }
            table #diff-totals {
                thead { tr { @for (name, _) in counts { th { (name.replace('-', " ")) } } } }
                tbody { tr { @for (name, n) in counts { td.n.zero[n == 0] data-count-diff=(name) { (n) } } } }
            }
            @if changed.is_empty() { p.none { "No check regressed or was fixed." } } @else {
                table {
                    thead { tr { th { "host" } th { "check" } th { "change" } th { "before" } th { "now" } } }
                    tbody {
                        @for (host, check) in &changed {
                            tr {
                                th { (Shown(host)) }
                                td { (Shown(&check.id)) " " (Shown(&check.title)) }
                                td { (check.category) }
                                td { (seen(check.old)) }
                                td { (seen(check.new)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every host: where it is, who audited it, what it said it is, and by
/// which benchmark it was judged and why.
fn hosts(page: &Page) -> Markup {
    html! {
        section #hosts {
            h2 { "Hosts" }
            div.wide { table {
                thead { tr { th { "host" } th { "address" } th { "roles" } th { "audited as" } th { "identity" }
                             th { "benchmark" } th { "Kubernetes" } th { "started, duration" } } }
                tbody {
                    @for (i, host) in page.report.hosts.iter().enumerate() {
                        tr data-host=(i) {
                            th { (Shown(&host.name)) }
                            td.mono.nowrap { (Shown(&host.endpoint())) }
                            td { (Shown(&roles(host))) }
                            td { (Shown(&host.user)) (if host.sudo { " with sudo -n" } else { "" })
                                 @if let Some(user) = &host.effective_user { br; "ran as " (Shown(user)) } }
                            td {
                                @if let Some(name) = &host.reported_hostname { "hostname " (Shown(name)) br; }
                                @if let Some(id) = &host.machine_id { span.mono { "machine-id " (Shown(id)) } br; }
                                @if let Some(key) = &host.host_key {
                                    span.mono { (Shown(&key.algorithm)) " " (Shown(&key.fingerprint)) }
                                    @if key.recorded { br; span.note { "recorded in known_hosts by this run (accept-new)" } }
                                }
                            }
                            td {
                                @if let Some(b) = &host.benchmark {
                                    (Shown(&b.id)) br; span.note { (Shown(&b.selected_by)) }
                                } @else { span.note { "none" } }
                            }
                            td {
                                @if let Some(version) = &host.kubernetes_version {
                                    (Shown(version))
                                    @if let Some(source) = &host.kubernetes_version_source { br; span.note { (Shown(source)) } }
                                } @else { span.note { "no version read" } }
                            }
                            td { (timestamp(&host.started_at)) br; (duration(host.duration)) }
                        }
                        @for note in &host.notes {
                            tr data-host=(i) { td {} td colspan="7" { span.note { "note: " (Shown(note)) } } }
                        }
                    }
                }
            } }
        }
    }
}

fn matrix(page: &Page) -> Markup {
    let columns: BTreeMap<&str, usize> = page.checks.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    html! {
        section #matrix {
            h2 { "Hosts by check" }
            ul.legend {
                @for status in Status::ALL { li { span class={ "badge " (class(status)) } { (code(status)) } " " (status.name()) } }
                li { span class={ "badge would-fail " (class(Status::Manual)) } { (code(Status::Manual)) } " manual, and automated evaluation would fail" }
                li { "· not evaluated on the host (not one of its roles, or not in its benchmark)" }
            }
            @if page.checks.is_empty() {
                p.none { "No check was evaluated." }
            } @else {
                div.wide { table.matrix {
                    thead { tr { th { "host" }
                        @for (id, title) in &page.checks { th.check title=(Shown(title)) { (Shown(id)) } } } }
                    tbody {
                        @for (i, host) in page.report.hosts.iter().enumerate() {
                            tr data-host=(i) {
                                th.host { (Shown(&host.name)) }
                                @match &host.result {
                                    Ok(results) => {
                                        @for cell in &row(results, &columns) {
                                            @match cell {
                                                Some(result) => {
                                                    td class={ "cell " (class(result.outcome.status)) (if would_fail(result) { " would-fail" } else { "" }) } {
                                                        (code(result.outcome.status))
                                                    }
                                                }
                                                None => { td.cell.absent { "·" } }
                                            }
                                        }
                                    }
                                    Err(error) => {
                                        td.unreachable colspan=(page.checks.len()) { "not audited: " (error.kind.name()) }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// A host's statuses in the matrix's column order; `None` where the host
/// has no result for the check.
fn row<'a>(results: &'a [CheckResult], columns: &BTreeMap<&str, usize>) -> Vec<Option<&'a CheckResult>> {
    let mut row = vec![None; columns.len()];
    for result in results {
        if let Some(&column) = columns.get(&*result.id) {
            row[column] = Some(result);
        }
    }
    row
}

/// A manual check whose automated evaluation would fail.
fn would_fail(result: &CheckResult) -> bool {
    result.outcome.status == Status::Manual && result.outcome.automated_verdict == Some(Status::Fail)
}

/// Results of one status grouped by check, in id order, each with its host.
fn grouped<'a>(page: &Page<'a>, status: Status) -> BTreeMap<Id<'a>, Vec<(usize, &'a HostReport, &'a CheckResult)>> {
    let mut groups: BTreeMap<Id, Vec<_>> = BTreeMap::new();
    for (i, host, result) in page.results().filter(|(_, _, result)| result.outcome.status == status) {
        groups.entry(Id(&result.id)).or_default().push((i, host, result));
    }
    groups
}

fn findings(page: &Page) -> Markup {
    html! {
        section #failed {
            h2 { "Failed checks" }
            (finding_groups(page, Status::Fail, "No check failed."))
        }
        section #waived {
            h2 { "Waived checks (accepted risks)" }
            p.note { "Each still evaluated: what it would have been is its verdict; the waiver says why it is accepted and until when." }
            (finding_groups(page, Status::Waived, "No check was waived."))
        }
        section #warnings {
            h2 { "Warnings (unscored checks that did not pass)" }
            (finding_groups(page, Status::Warn, "No warning."))
        }
        section #errors {
            h2 { "Checks that could not be evaluated" }
            (finding_groups(page, Status::Error, "Every check could be evaluated."))
        }
    }
}

/// Each check with this status: its title, then a row per host with what
/// was expected, what was found and where, then the remediation (each
/// distinct text once: `{path}` may differ from host to host).
fn finding_groups(page: &Page, status: Status, none: &str) -> Markup {
    let groups = grouped(page, status);
    html! {
        @if groups.is_empty() { p.none { (none) } }
        @for (id, rows) in &groups {
            @let first = rows[0].2;
            @let reviewed = rows.iter().any(|(_, _, r)| r.waiver.is_some() || r.attestation.is_some());
            div.finding {
                h3 { (badge(status)) " " (Shown(id.0)) " " (Shown(&first.title)) }
                p.note { (check_kind(first)) }
                div.wide { table {
                    thead { tr { th { "host" }
                        @if status == Status::Error { th { "reason" } } @else { th { "expected" } th { "actual" } }
                        th { "where from" } th { "notes" } @if reviewed { th { "waiver, attestation" } } } }
                    tbody {
                        (alike(rows, status, |result| html! {
                            @if status != Status::Error { td { (Shown(&result.outcome.expected)) } }
                            td.mono { (Shown(&result.outcome.actual)) }
                            td { (sources(result)) }
                            td { @for note in &result.outcome.notes { span.note { (Shown(note)) } br; } }
                            @if reviewed { td { (reviews(page.report, result)) } }
                        }))
                    }
                } }
                @if status != Status::Error {
                    @let remediations = distinct(rows.iter().map(|(_, _, r)| &*r.remediation));
                    @for remediation in remediations {
                        div.block { "Remediation: " (Block(remediation)) }
                    }
                }
            }
        }
    }
}

/// One table row per distinct observation of a check: the hosts that showed
/// the same (the same cells, as `cells` renders them) share a row, in the
/// order first seen. A fleet's hosts are mostly alike, and a reader wants
/// the differences, not two hundred copies. The row's `data-host` lists
/// every host it stands for.
fn alike(rows: &[(usize, &HostReport, &CheckResult)], status: Status, cells: impl Fn(&CheckResult) -> Markup) -> Markup {
    let mut shared: Vec<(String, Vec<(usize, &HostReport)>)> = Vec::new();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for &(i, host, result) in rows {
        let markup = cells(result).into_string();
        match at.get(&markup) {
            Some(&row) => shared[row].1.push((i, host)),
            None => {
                at.insert(markup.clone(), shared.len());
                shared.push((markup, vec![(i, host)]));
            }
        }
    }
    html! {
        @for (markup, hosts) in &shared {
            @let indexes: Vec<String> = hosts.iter().map(|(i, _)| i.to_string()).collect();
            tr class=(class(status)) data-host=(indexes.join(" ")) {
                th.hosts {
                    @if hosts.len() > 1 { strong { (hosts.len()) " hosts:" } " " }
                    @for (n, (_, host)) in hosts.iter().enumerate() { @if n > 0 { ", " } (Shown(&host.name)) }
                }
                (PreEscaped(markup))
            }
        }
    }
}

/// "Level 2, automated, scored", as the benchmark says.
fn check_kind(result: &CheckResult) -> String {
    format!(
        "Level {}, {}, {}; target {}",
        result.level,
        if result.automated { "automated" } else { "manual" },
        if result.scored { "scored" } else { "not scored" },
        result.target
    )
}

/// Where the value came from, as the console says it.
fn sources(result: &CheckResult) -> Markup {
    html! { span.mono { (Shown(&source::described(&result.outcome.sources))) } }
}

/// Each text once, in the order first seen.
fn distinct<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for text in texts {
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen
}

fn impostors(page: &Page) -> Markup {
    let found: Vec<(usize, &HostReport, &Impostor)> = page
        .report
        .hosts
        .iter()
        .enumerate()
        .flat_map(|(i, host)| host.impostors.iter().map(move |impostor| (i, host, impostor)))
        .collect();
    html! {
        section #impostors {
            h2 { "Impostor processes" }
            p.note { "Processes that carry a component's name but are not judged as it: neither root's, nor in the \
                      component's own systemd service, nor in a pod. Each makes the run non-compliant." }
            @if found.is_empty() { p.none { "None." } } @else {
                div.wide { table {
                    thead { tr { th { "host" } th { "component" } th { "pid" } th { "uid" } th { "program" } th { "why it was not judged" } } }
                    tbody {
                        @for (i, host, impostor) in &found {
                            tr data-host=(i) {
                                th { (Shown(&host.name)) }
                                td { (Shown(&impostor.component)) }
                                td.n { (impostor.pid) }
                                td.n { @if let Some(uid) = impostor.uid { (uid) } @else { "unknown" } }
                                td.mono { (Shown(&impostor.argv0)) }
                                td { (Shown(&impostor.reason)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn manual(page: &Page) -> Markup {
    let groups = grouped(page, Status::Manual);
    let failing: BTreeMap<_, Vec<_>> = groups
        .iter()
        .map(|(id, rows)| (*id, rows.iter().filter(|row| would_fail(row.2)).copied().collect::<Vec<_>>()))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    let harmless: BTreeMap<_, Vec<_>> = groups
        .iter()
        .map(|(id, rows)| (*id, rows.iter().filter(|row| !would_fail(row.2)).copied().collect::<Vec<_>>()))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    html! {
        section #manual {
            h2 { "Manual checks" }
            p.note { "These recommendations need a person; what hardbench observed is shown for each host. An attestation \
                      turns a manual check into a pass or a fail (see Attestations)." }
            h3 { "Manual checks whose automated evaluation would fail" }
            div #manual-failing { (manual_groups(page, &failing, "None.")) }
            h3 { "Other manual checks" }
            div #manual-other { (manual_groups(page, &harmless, "None.")) }
        }
    }
}

type Rows<'a> = Vec<(usize, &'a HostReport, &'a CheckResult)>;

fn manual_groups(page: &Page, groups: &BTreeMap<Id, Rows>, none: &str) -> Markup {
    html! {
        @if groups.is_empty() { p.none { (none) } }
        @for (id, rows) in groups {
            @let reviewed = rows.iter().any(|(_, _, r)| r.waiver.is_some() || r.attestation.is_some());
            h4 { (badge(Status::Manual)) " " (Shown(id.0)) " " (Shown(&rows[0].2.title)) }
            div.wide { table {
                thead { tr { th { "host" } th { "expected" } th { "observed" } th { "automated evaluation" } th { "notes" }
                    @if reviewed { th { "waiver, attestation" } } } }
                tbody {
                    (alike(rows, Status::Manual, |result| html! {
                        td { (Shown(&result.outcome.expected)) }
                        td.mono { (Shown(&source::observed(&result.outcome))) }
                        td { @match result.outcome.automated_verdict { Some(verdict) => { (badge(verdict)) } None => { span.note { "none" } } } }
                        td { @for note in &result.outcome.notes { span.note { (Shown(note)) } br; } }
                        @if reviewed { td { (reviews(page.report, result)) } }
                    }))
                }
            } }
        }
    }
}

/// The attestation and the waiver that cover a result, and what each did.
fn reviews(report: &Report, result: &CheckResult) -> Markup {
    html! {
        @if let Some(Covered { index, effect }) = result.attestation {
            @let a = &report.attestations[index];
            span.review {
                @match effect {
                    Effect::Applied => { "attested " (badge(a.result)) }
                    Effect::Expired => { "attestation expired on " (a.expires) ", the check stays manual; it said " (badge(a.result)) }
                    Effect::NotNeeded => { "attestation not needed (the check is not manual); it says " (badge(a.result)) }
                }
                " by " (Shown(&a.attested_by)) " on " (a.date) " (attestation " (index + 1) ", " (origin(&a.origin)) "); evidence: "
                (Shown(&a.evidence))
            }
            br;
        }
        @if let Some(Covered { index, effect }) = result.waiver {
            @let w = &report.waivers[index];
            span.review {
                @match effect {
                    Effect::Applied => { "waived until " (w.expires) "; verdict " (badge(result.verdict)) }
                    Effect::Expired => { "waiver expired on " (w.expires) ": judged normally" }
                    Effect::NotNeeded => { "covered by a waiver until " (w.expires) ", not needed: the check is " (badge(result.outcome.status)) }
                }
                " (waiver " (index + 1) ", " (origin(&w.origin)) "): " (Shown(&w.reason)) "; approved by " (Shown(&w.approved_by))
            }
        }
    }
}

fn origin(origin: &Origin) -> Markup {
    html! { span.mono { (Shown(&origin.file.to_string_lossy())) ":" (origin.line) } }
}

fn waivers(page: &Page) -> Markup {
    let report = page.report;
    let uses = report.waiver_uses();
    html! {
        section #waivers {
            h2 { "Waivers" }
            @if uses.is_empty() { p.none { "The run was given no waiver." } } @else {
                div.wide { table.rules {
                    thead { tr { th { "waiver" } th { "state" } th { "checks" } th { "on" } th { "reason" } th { "approved by" }
                                 th { "expires" } th { "covered" } } }
                    tbody {
                        @for (i, (waiver, rule)) in report.waivers.iter().zip(&uses).enumerate() {
                            tr data-rule-state=(rule.state.name()) {
                                th { (i + 1) br; (origin(&waiver.origin)) }
                                td { (rule_badge(rule.state)) }
                                td { (scope_checks(&waiver.scope)) }
                                td { (scope_hosts(&waiver.scope)) }
                                td { (Shown(&waiver.reason)) }
                                td { (Shown(&waiver.approved_by)) }
                                td { (waiver.expires) }
                                td { (effects(rule)) }
                            }
                        }
                    }
                } }
                (coverage("Waiver", &uses))
            }
        }
    }
}

fn attestations(page: &Page) -> Markup {
    let report = page.report;
    let uses = report.attestation_uses();
    html! {
        section #attestations {
            h2 { "Attestations" }
            @if uses.is_empty() { p.none { "The run was given no attestation." } } @else {
                div.wide { table.rules {
                    thead { tr { th { "attestation" } th { "state" } th { "checks" } th { "on" } th { "result" } th { "attested by" }
                                 th { "date" } th { "expires" } th { "evidence" } th { "covered" } } }
                    tbody {
                        @for (i, (attestation, rule)) in report.attestations.iter().zip(&uses).enumerate() {
                            tr data-rule-state=(rule.state.name()) {
                                th { (i + 1) br; (origin(&attestation.origin)) }
                                td { (rule_badge(rule.state)) }
                                td { (scope_checks(&attestation.scope)) }
                                td { (scope_hosts(&attestation.scope)) }
                                td { (badge(attestation.result)) }
                                td { (Shown(&attestation.attested_by)) }
                                td { (attestation.date) }
                                td { (attestation.expires) }
                                td { (Shown(&attestation.evidence)) }
                                td { (effects(rule)) }
                            }
                        }
                    }
                } }
                (coverage("Attestation", &uses))
            }
        }
    }
}

fn rule_badge(state: RuleState) -> Markup {
    html! { span class={ "badge rule-" (state.name()) } { (state.name()) } }
}

fn scope_checks(scope: &Scope) -> Markup {
    html! { span.mono { (Shown(&scope.checks.join(", "))) } }
}

fn scope_hosts(scope: &Scope) -> Markup {
    let roles: Vec<&str> = scope.roles.iter().map(|role| role.name()).collect();
    html! {
        @if !scope.hosts.is_empty() { "hosts " (Shown(&scope.hosts.join(", "))) br; }
        @if !roles.is_empty() { "roles " (roles.join(", ")) }
        @if scope.hosts.is_empty() && roles.is_empty() { "every host" }
    }
}

/// "3 applied, 1 not-needed", or "nothing".
fn effects(rule: &RuleUse) -> String {
    let parts: Vec<String> = Effect::ALL
        .iter()
        .map(|&effect| (effect, rule.covered.iter().filter(|(_, _, e)| *e == effect).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(effect, n)| format!("{n} {effect}"))
        .collect();
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join(", ")
    }
}

/// What each rule covered: per check and effect, the hosts.
fn coverage(kind: &str, uses: &[RuleUse]) -> Markup {
    let covered = uses.iter().enumerate().filter(|(_, rule)| !rule.covered.is_empty()).map(|(i, rule)| {
        let mut by_check: BTreeMap<(Id, &str), Vec<&str>> = BTreeMap::new();
        for (host, result, effect) in &rule.covered {
            by_check.entry((Id(&result.id), effect.name())).or_default().push(host);
        }
        (i, by_check)
    });
    html! {
        @for (i, by_check) in covered {
            h3 { (kind) " " (i + 1) " covered" }
            table {
                thead { tr { th { "check" } th { "effect" } th { "hosts" } } }
                tbody {
                    @for ((id, effect), hosts) in &by_check {
                        tr { td.mono { (Shown(id.0)) } td { (effect) } td { (Shown(&hosts.join(", "))) } }
                    }
                }
            }
        }
    }
}

fn unreachable(page: &Page) -> Markup {
    let failed: Vec<_> =
        page.report.hosts.iter().enumerate().filter_map(|(i, host)| host.result.as_ref().err().map(|e| (i, host, e))).collect();
    html! {
        section #unreachable {
            h2 { "Hosts that could not be audited" }
            @if failed.is_empty() { p.none { "Every host was audited." } } @else {
                div.wide { table {
                    thead { tr { th { "host" } th { "address" } th { "kind" } th { "reason" } } }
                    tbody {
                        @for (i, host, error) in &failed {
                            tr class=(class(Status::Error)) data-host=(i) {
                                th { (Shown(&host.name)) }
                                td.mono { (Shown(&host.endpoint())) }
                                td { (error.kind.name()) }
                                td { (Shown(&error.message)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn tail(_: &Page) -> Markup {
    html! {
        footer { p.note { "Written by hardbench. Every text that came from a host or a benchmark is shown with control \
                          and bidirectional characters as visible escapes (\\x1b, \\u{202e})." } }
        script { (PreEscaped(SCRIPT)) }
        (PreEscaped("</body></html>\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A duration is shown from its whole milliseconds, which is what the
    /// JSON report keeps (`duration_ms`): the page `hardbench report` and
    /// `verify` render from the JSON is the page the run wrote. (0.1504 s
    /// was "0.2 s" here and 150 ms "0.1 s" there, so a bundle of a host
    /// that took it failed verification.)
    #[test]
    fn durations_are_shown_from_whole_milliseconds() {
        use std::time::Duration;
        for (nanos, shown) in [(150_400_000, "0.2 s"), (149_999_999, "0.1 s"), (0, "0.0 s"), (49_999_999, "0.0 s"), (1_250_000_000, "1.3 s"), (61_949_000_000, "61.9 s")] {
            let exact = Duration::from_nanos(nanos);
            let kept = Duration::from_millis(u64::try_from(exact.as_millis()).unwrap());
            assert_eq!(duration(exact), shown, "{nanos} ns");
            assert_eq!(duration(kept), shown, "{nanos} ns read back as {} ms", kept.as_millis());
        }
    }
    use crate::report::sample;
    use crate::report::sanitize::is_hazard;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        write(report, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("HTML is UTF-8")
    }

    /// The text of the element that starts with `start` (an opening tag's
    /// beginning) up to the first `end` after it.
    fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
        let from = page.find(start).unwrap_or_else(|| panic!("{start} is missing"));
        let len = page[from..].find(end).unwrap_or_else(|| panic!("no {end} after {start}"));
        &page[from..from + len]
    }

    /// The counts in one table row, by status name.
    fn counts_in(row: &str) -> BTreeMap<String, usize> {
        let pattern = regex::Regex::new(r#"data-count-status="([a-z-]+)">(\d+)<"#).unwrap();
        pattern.captures_iter(row).map(|c| (c[1].to_owned(), c[2].parse().unwrap())).collect()
    }

    fn expected(summary: &Summary) -> BTreeMap<String, usize> {
        Status::ALL.iter().map(|&status| (status.name().to_owned(), count(summary, status))).collect()
    }

    fn manual_failing_in(row: &str) -> usize {
        let pattern = regex::Regex::new(r#"data-count-manual-failing="">(\d+)<"#).unwrap();
        pattern.captures(row).map(|c| c[1].parse().unwrap()).expect("a manual-failing count")
    }

    fn covered(index: usize, effect: Effect) -> Option<Covered> {
        Some(Covered { index, effect })
    }

    /// `sample::report()` with waivers and attestations: an active waiver
    /// applied to a failure, an expired one over a failure that stays failed,
    /// an unused one; an attestation that made a manual check pass, and an
    /// expired one over a manual check that automated evaluation would fail.
    fn reviewed() -> Report {
        let mut report = sample::report();
        report.invocation = Invocation {
            command: "run".into(),
            benchmark: "auto".into(),
            level: Some(2),
            check: vec!["1".into(), "4.2.*".into()],
            skip: vec!["2.1".into()],
            limit: vec![],
            inventory: Some(crate::outcome::InputFile { path: "prod.toml".into(), sha256: "ab".repeat(32) }),
            facts: None,
            waivers: Some(crate::outcome::InputFile { path: "waivers.toml".into(), sha256: "cd".repeat(32) }),
            attestations: None,
            user: "auditor".into(),
            machine: "bastion-1".into(),
            ..Invocation::default()
        };
        report.waivers = vec![
            sample::waiver(&["4.2.2"], "2027-03-31"),
            sample::waiver(&["1.2.15"], "2026-01-01"),
            sample::waiver(&["9.9"], "2027-03-31"),
        ];
        let attestation = |checks: &str, expires: &str| crate::outcome::Attestation {
            scope: Scope::new(vec![checks.to_owned()], vec![], vec![]),
            result: Status::Pass,
            attested_by: "Jane Auditor".to_owned(),
            date: "2026-11-01".parse().unwrap(),
            expires: expires.parse().unwrap(),
            evidence: "CHG-42".to_owned(),
            origin: Origin { file: "attestations.toml".into(), line: 4 },
        };
        report.attestations = vec![attestation("4.1.9", "2027-01-01"), attestation("1.2.1", "2026-01-01")];
        let cp = report.hosts[0].result.as_mut().unwrap();
        for result in cp.iter_mut() {
            match &*result.id {
                "1.2.15" => result.waiver = covered(1, Effect::Expired),
                "1.2.1" => {
                    result.outcome.automated_verdict = Some(Status::Fail);
                    result.attestation = covered(1, Effect::Expired);
                }
                _ => {}
            }
        }
        let worker = report.hosts[1].result.as_mut().unwrap();
        let failed = worker.iter_mut().find(|r| &*r.id == "4.2.2").unwrap();
        failed.outcome.status = Status::Waived;
        failed.waiver = covered(0, Effect::Applied);
        let mut attested = sample::check("4.1.9", "kubelet config file permissions", crate::component::Role::Worker, Status::Pass, "600", "644");
        attested.automated = false;
        attested.verdict = Status::Manual;
        attested.attestation = covered(0, Effect::Applied);
        worker.push(attested);
        report
    }

    #[test]
    fn counts_shown_are_the_reports() {
        let report = reviewed();
        let page = render(&report);
        let totals = between(&page, "<table id=\"totals\"", "</table>");
        assert_eq!(counts_in(totals), expected(&report.summary()));
        assert_eq!((manual_failing_in(totals), report.summary().manual_failing), (1, 1));
        assert!(totals.contains(r#"data-count-hosts="ok">2<"#) && totals.contains(r#"data-count-hosts="error">1<"#), "{totals}");
        let per_host = between(&page, "<table id=\"per-host\"", "</table>");
        for (i, host) in report.hosts.iter().enumerate() {
            let row = between(per_host, &format!("<tr data-host=\"{i}\""), "</tr>");
            match &host.result {
                Ok(results) => {
                    assert_eq!(counts_in(row), expected(&Summary::of_results(results)), "{row}");
                    assert_eq!(manual_failing_in(row), Summary::of_results(results).manual_failing, "{row}");
                }
                Err(_) => assert!(counts_in(row).is_empty() && row.contains("not audited"), "{row}"),
            }
        }
        // The sections' counts add up to the totals.
        let per_section = between(&page, "<table id=\"per-section\"", "</table>");
        let mut sums: BTreeMap<String, usize> = BTreeMap::new();
        for (status, n) in per_section.split("<tr data-section").skip(1).flat_map(counts_in) {
            *sums.entry(status).or_default() += n;
        }
        assert_eq!(sums, expected(&report.summary()));
        assert!(per_section.contains(r#"<tr data-section="1.2"><th>1.2</th>"#), "{per_section}");
    }

    /// Every status is counted, can be filtered, has a color and a code in
    /// the matrix, and the sample run shows each.
    #[test]
    fn every_status_appears() {
        let page = render(&reviewed());
        let matrix = between(&page, "<table class=\"matrix\"", "</table>");
        for status in Status::ALL {
            let name = status.name();
            for needle in [
                format!(r#"data-count-status="{name}""#),
                format!(r#"<input type="checkbox" id="show-{name}" checked>"#),
                format!(r#"<th class="st-{name}">{name}</th>"#),
            ] {
                assert!(page.contains(&needle), "{needle} is missing");
            }
            let cell = regex::Regex::new(&format!(r#"<td class="cell st-{name}( would-fail)?">{}</td>"#, code(status))).unwrap();
            assert!(cell.is_match(matrix), "{cell} is missing from the matrix");
            for rule in [format!("#show-{name}:not(:checked)) .st-{name}:is(tr, li)"), format!(".badge.st-{name}, td.cell.st-{name}")] {
                assert!(STYLE.contains(&rule), "the stylesheet has no `{rule}`");
            }
        }
        let codes: Vec<&str> = Status::ALL.iter().map(|&s| code(s)).collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len(), "two statuses share a code: {codes:?}");
    }

    /// A failed check shows what was expected, what was found, where, and
    /// the remediation with its line breaks; an unreachable host its reason.
    #[test]
    fn findings_say_what_where_and_how_to_fix() {
        let page = render(&sample::report());
        let failed = between(&page, "<section id=\"failed\">", "</section>");
        let profiling = between(failed, "1.2.15", "</div></div>");
        for needle in [
            "<td>false</td>",
            "<td class=\"mono\">true</td>",
            "flag --profiling",
            "kube-apiserver.yaml on the control plane node and set the below parameter.\n--profiling=false",
        ] {
            assert!(profiling.contains(needle), "{needle} is missing from {profiling}");
        }
        assert!(failed.contains("config /var/lib/kubelet/config.yaml: authorization.mode"), "{failed}");
        assert!(!failed.contains("4.2.1 "), "a passing check is no finding: {failed}");
        let unreachable = between(&page, "<section id=\"unreachable\">", "</section>");
        assert!(unreachable.contains("<td>connect</td><td>worker-3 (10.0.0.13:22): connection refused</td>"), "{unreachable}");
        let manual = between(&page, "<section id=\"manual\">", "</section>");
        assert!(manual.contains("true (default per kube-apiserver --help)"), "{manual}");
        let errors = between(&page, "<section id=\"errors\">", "</section>");
        assert!(errors.contains("etcd has no --data-dir") && !errors.contains("Remediation"), "{errors}");
    }

    #[test]
    fn hostile_strings_are_escaped_and_made_visible() {
        let mut report = sample::hostile();
        let injection = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'";
        report.hosts[0].name = format!("cp {injection}");
        report.hosts[0].notes = vec![format!("note {injection}")];
        if let Ok(results) = &mut report.hosts[0].result {
            let failed = results.iter_mut().find(|r| r.outcome.status == Status::Fail).expect("a failed check");
            failed.outcome.actual = format!("actual {injection}");
            failed.remediation = format!("line one\n{injection}\u{202e}").into();
        }
        let page = render(&report);
        // Our own newlines (in the stylesheet and script) are the only raw hazards.
        assert!(!page.chars().any(|c| is_hazard(c) && c != '\n'), "raw hazard in the page");
        assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
        assert_eq!(page.matches("<img").count(), 0);
        assert!(page.contains("cp &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;'"));
        assert!(page.contains(r#"<option value="0">cp &quot;&gt;&lt;script&gt;"#), "the host filter escapes too");
        assert!(page.contains("line one\n&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;'\\u{202e}"));
        assert!(page.contains(r"esc:\x1b[31mred\x1b[0m"), "an escape sequence is shown as text");
        assert!(page.contains(r"rlo:\u{202e} lri:\u{2066} ls:\u{2028}"));
        assert!(page.contains(r"nul:\x00 bel:\x07 bs:\x08 tab:\t lf:\n cr:\r"));
        assert!(page.contains("lt:&lt; gt:&gt; amp:&amp; quot:&quot; apos:'"));
        assert!(!page.contains("lt:<") && !page.contains("amp:& "));
    }

    /// The policy allows exactly the page's own stylesheet and script, and
    /// nothing in the page refers to anything outside it.
    #[test]
    fn the_policy_allows_only_the_inline_style_and_script() {
        let page = render(&sample::report());
        let hash = |text: &str| base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()));
        let style = between(&page, "<style>", "</style>").trim_start_matches("<style>");
        let script = between(&page, "<script>", "</script>").trim_start_matches("<script>");
        let policy = format!(
            "default-src &#39;none&#39;; style-src &#39;sha256-{}&#39;; script-src &#39;sha256-{}&#39;",
            hash(style),
            hash(script)
        );
        let meta = between(&page, "<meta http-equiv=\"Content-Security-Policy\"", ">");
        assert!(meta.replace('\'', "&#39;").contains(&policy), "{meta}\n{policy}");
        assert!(meta.contains("img-src data:; base-uri 'none'; form-action 'none'"), "{meta}");
        assert!(page.find("Content-Security-Policy") < page.find("<style>"), "the policy comes first");
        for needle in ["http:", "https:", "//", "src=", "url(", "@import"] {
            let outside_script = page.replace(script, "");
            assert!(!outside_script.contains(needle), "{needle} in the page");
        }
        assert_eq!(page.matches("href=").count(), 1, "the data: icon only");
    }

    /// A key that `accept-new` recorded in this run is trusted on first
    /// use only: the page says so beside it, and of no other key.
    #[test]
    fn a_host_key_recorded_in_this_run_is_marked() {
        let mut report = sample::report();
        let mark = "recorded in known_hosts by this run (accept-new)";
        assert!(!render(&report).contains(mark));
        report.hosts[0].host_key.as_mut().expect("the sample has a host key").recorded = true;
        let page = render(&report);
        let hosts = between(&page, "<section id=\"hosts\">", "</section>");
        let expected = format!("SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s</span><br><span class=\"note\">{mark}</span>");
        assert!(hosts.contains(&expected), "{hosts}");
        assert_eq!(page.matches(mark).count(), 1);
    }

    #[test]
    fn the_same_report_gives_the_same_bytes() {
        let report = sample::report();
        let page = render(&report);
        assert_eq!(page, render(&report.clone()));
        assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"));
        assert!(page.ends_with("</script></body></html>\n"));
    }

    /// Waivers and attestations with their state, what each did to each
    /// result it covers, and manual checks that would fail apart.
    #[test]
    fn reviews_show_their_state_and_effect() {
        let page = render(&reviewed());
        let waivers = between(&page, "<section id=\"waivers\">", "</section>");
        let states: Vec<&str> = waivers.match_indices("data-rule-state=\"").map(|(at, m)| &waivers[at + m.len()..][..6]).collect();
        assert_eq!(states, ["active", "expire", "unused"]);
        assert!(waivers.contains("<td>1 applied</td>") && waivers.contains("<td>1 expired</td>") && waivers.contains("<td>nothing</td>"));
        assert!(waivers.contains("<span class=\"mono\">waivers.toml:1</span>"), "{waivers}");
        assert!(waivers.contains("<h3>Waiver 1 covered</h3>") && waivers.contains("<td class=\"mono\">4.2.2</td><td>applied</td><td>worker-1</td>"));
        let waived = between(&page, "<section id=\"waived\">", "</section>");
        assert!(waived.contains("4.2.2") && waived.contains("AlwaysAllow"), "{waived}");
        assert!(waived.contains("waived until 2027-03-31; verdict <span class=\"badge st-fail\">fail</span>"), "{waived}");
        assert!(waived.contains("EventRateLimit breaks our admission webhook; approved by Security team (CHG-1234)"), "{waived}");
        let failed = between(&page, "<section id=\"failed\">", "</section>");
        assert!(failed.contains("waiver expired on 2026-01-01: judged normally"), "{failed}");
        assert!(!failed.contains("4.2.2"), "a waived check is not among the failed: {failed}");
        let would_fail = between(&page, "<div id=\"manual-failing\">", "<h3>Other manual checks");
        assert!(would_fail.contains("1.2.1") && would_fail.contains("attestation expired on 2026-01-01"), "{would_fail}");
        let attestations = between(&page, "<section id=\"attestations\">", "</section>");
        assert!(attestations.contains("<td class=\"mono\">4.1.9</td><td>applied</td><td>worker-1</td>"), "{attestations}");
        assert!(attestations.contains("CHG-42") && attestations.contains("Jane Auditor"), "{attestations}");
        let matrix = between(&page, "<table class=\"matrix\"", "</table>");
        assert_eq!(matrix.matches("would-fail").count(), 1, "{matrix}");
        let run = between(&page, "<section id=\"run\">", "</section>");
        for needle in [
            "hardbench run",
            "--benchmark auto --level 2 --check 1,4.2.* --skip 2.1",
            "prod.toml",
            &"ab".repeat(32),
            "waivers.toml",
            "auditor on bastion-1",
            "Reviews judged on</dt><dd>2026-11-22",
        ] {
            assert!(run.contains(needle), "{needle} is not in {run}");
        }
        let none = render(&sample::report());
        assert!(none.contains("The run was given no waiver.") && none.contains("The run was given no attestation."));
    }

    /// Hosts that showed the same share a row; one that differs has its own.
    #[test]
    fn alike_hosts_share_a_row() {
        let profiling = |actual: &str| {
            let mut result = sample::check("1.2.15", "Profiling", crate::component::Role::ControlPlane, Status::Fail, "false", actual);
            result.outcome.sources = vec![crate::outcome::Source::Flag { component: "kube-apiserver".into(), flag: "--profiling".into() }];
            result
        };
        let host = |name: &str, actual: &str| sample::ok_host(name, "10.0.0.1", vec![crate::component::Role::ControlPlane], vec![profiling(actual)]);
        let report = sample::run(vec![host("cp-1", "true"), host("cp-2", "unset"), host("cp-<3>", "true"), host("cp-4", "true")]);
        let page = render(&report);
        let failed = between(&page, "<section id=\"failed\">", "</section>");
        assert_eq!(failed.matches("<tr class=\"st-fail\"").count(), 2, "{failed}");
        assert!(failed.contains(r#"<tr class="st-fail" data-host="0 2 3"><th class="hosts"><strong>3 hosts:</strong> cp-1, cp-&lt;3&gt;, cp-4</th><td>false</td><td class="mono">true</td>"#), "{failed}");
        assert!(failed.contains(r#"<tr class="st-fail" data-host="1"><th class="hosts">cp-2</th><td>false</td><td class="mono">unset</td>"#), "{failed}");
        assert_eq!(failed.matches("Remediation: ").count(), 1, "{failed}");
    }

    /// With a baseline: the diff's counts, and each regression and fix.
    #[test]
    fn a_baseline_shows_what_regressed_and_what_was_fixed() {
        let old = sample::report();
        let mut new = sample::report();
        for result in new.hosts[1].result.as_mut().unwrap() {
            result.outcome.status = match result.outcome.status {
                Status::Pass => Status::Fail,
                Status::Fail => Status::Pass,
                other => other,
            };
            result.verdict = result.outcome.status;
        }
        let diff = crate::diff::compare(&old, Some("old.json".into()), &new, None);
        let summary = diff.summary();
        new.baseline = Some(crate::outcome::diff::Baseline { diff, fail_on: crate::outcome::diff::FailOn::Regression });
        let page = render(&new);
        let section = between(&page, "<section id=\"baseline\">", "</section>");
        assert!(section.contains(r#"<td class="n" data-count-diff="regressed">1</td><td class="n" data-count-diff="fixed">1</td>"#), "{section}");
        assert_eq!((summary.regressed, summary.fixed), (1, 1));
        assert!(section.contains("(<span class=\"mono\">old.json</span>)") && section.contains("the run fails on regression"), "{section}");
        assert!(section.contains(r#"<th>worker-1</th><td>4.2.1 Ensure that the --anonymous-auth argument is set to false</td><td>regressed</td><td><span class="badge st-pass">pass</span></td><td><span class="badge st-fail">fail</span></td>"#), "{section}");
        assert!(section.contains("<td>fixed</td>"), "{section}");
        assert!(!render(&old).contains("<section id=\"baseline\">"), "no baseline, no section");
    }

    #[test]
    fn ids_sort_as_the_benchmark_numbers_them() {
        let mut ids = vec!["4.2.1", "1.2.10", "1.2.9", "1.10", "1.2", "2", "1.1.1", "10.1", "1.x"];
        ids.sort_by(|a, b| Id(a).cmp(&Id(b)));
        assert_eq!(ids, ["1.1.1", "1.2", "1.2.9", "1.2.10", "1.10", "1.x", "2", "4.2.1", "10.1"]);
    }

    #[test]
    fn the_headline_says_what_failed_and_what_was_not_audited() {
        let report = sample::report();
        assert_eq!(
            headline(&report, &report.summary()),
            "2 failed checks on 2 hosts; 1 host could not be audited; 1 check could not be evaluated."
        );
        let reviewed = reviewed();
        assert_eq!(
            headline(&reviewed, &reviewed.summary()),
            "1 failed check on 1 host; 1 result waived; 1 manual check whose automated evaluation would fail; \
             1 host could not be audited; 1 check could not be evaluated."
        );
        let passing = sample::run(vec![sample::ok_host(
            "w",
            "10.0.0.5",
            vec![crate::component::Role::Worker],
            vec![sample::check("4.2.1", "t", crate::component::Role::Worker, Status::Pass, "", "")],
        )]);
        assert_eq!(headline(&passing, &passing.summary()), "Every evaluated check passed.");
    }
}

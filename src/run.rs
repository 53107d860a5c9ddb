//! One invocation end to end. For `run`: load and validate everything that
//! can be wrong before any host is contacted (inventory, benchmark, check
//! selection, output paths, the saved-facts directory), gather from every
//! host in parallel, audit and save each host as soon as it is gathered
//! (under the benchmark chosen for it, keeping only its results), and write
//! the reports.
//! `evaluate` does the same from a saved set, one host at a time, without SSH.

use crate::audit::{self, Candidates, HostIdentity};
use crate::benchmark::{self, Benchmark, Level};
use crate::bundle::{Bundle, Inputs};
use crate::cli::{
    Cli, Command, ContactArgs, EvaluateArgs, EvidenceArgs, InventoryArgs, InventoryKindArgs, ListChecksArgs, OutputArgs, ReportArgs, ReviewArgs, RunArgs,
    SelectionArgs, ValidateArgs, WaiversCommand, WaiversLintArgs,
};
use crate::diff::baseline::Pending;
use crate::error::Error;
use crate::evidence::{EvidenceError, HostRecord, Origin, SavedSet, Staging};
use crate::facts::plan;
use crate::gather::{self, Script};
use crate::interrupt::{self, Interrupt};
use crate::inventory::{self, Host};
use crate::outcome::{self as results, ExitCode, HostReport, InputFile, Invocation, Report};
use crate::output::{self, Destination};
use crate::progress::Progress;
use crate::report;
use crate::review::file::{self as review_file, Known};
use crate::review::{lint, Reviews};
use crate::select::{Disposition, Selection};
use crate::shard::Shard;
use crate::transport::Transport;
use crate::version;
use chrono::{DateTime, FixedOffset};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

pub use crate::output::Console;

/// Runs the command and returns the process's status. `interrupt` is looked
/// at while hosts are gathered: once it is set, the hosts not finished are
/// reported as interrupted, and the status says so; `evaluate` stops at once
/// and writes nothing.
pub fn execute(
    cli: Cli,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    console: &mut Console,
) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Run(args) => run(&args, transport, interrupt, console),
        Command::CheckAccess(args) => crate::access::execute(&args, transport, interrupt, console),
        Command::Evaluate(args) => evaluate(&args, interrupt, console),
        Command::ListChecks(args) => list_checks(&args, console.stdout),
        Command::ListBenchmarks => list_benchmarks(console.stdout),
        Command::Waivers(WaiversCommand::Lint(args)) => lint_waivers(&args, console),
        Command::Validate(args) => validate(&args, console),
        Command::Report(args) => render(&args, console),
        Command::Diff(args) => crate::diff::command::execute(&args, console),
        Command::Verify(args) => crate::bundle::execute(&args, console),
        Command::Merge(args) => crate::merge::execute(&args, interrupt, console),
        Command::PrintScript(args) => crate::print_script::execute(&args, console.stdout),
    }
}

fn run(
    args: &RunArgs,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    console: &mut Console,
) -> Result<ExitCode, Error> {
    let started_at = now();
    let inventory = load_inventory(&args.source)?;
    warn(console.stderr, &inventory, &args.source.inventory_kind);
    let hosts = contacted(&inventory, &args.contact)?;
    let candidates = Arc::new(candidates(&args.selection)?);
    let names: Vec<String> = inventory.hosts.iter().map(|host| host.name.clone()).collect();
    let (reviews, review_files) = reviews(&args.review, &candidates, Some(&names), started_at)?;
    let reviews = Arc::new(reviews);
    let outputs = check_outputs(&args.output)?;
    let baseline = Pending::load(&args.baseline)?;
    let invocation = Invocation {
        command: "run".into(),
        limit: args.contact.limit.clone(),
        inventory: Some(InputFile { path: args.source.inventory.display().to_string(), sha256: inventory.sha256.clone() }),
        shard: args.contact.shard.shard,
        ..invocation(&args.selection, review_files)
    };
    let bundle = open_bundle(&args.evidence, &args.selection, &args.review, Some(&args.source.inventory))?;
    let evidence = match &bundle {
        Some(bundle) => Some(bundle.facts_staging(started_at)?),
        None => args.save_facts.as_deref().map(|dir| Staging::create(dir, started_at)).transpose()?.map(Arc::new),
    };
    if let Some(set) = &evidence {
        set.record_origin(Origin { inventory: invocation.inventory.clone(), shard: args.contact.shard.shard });
    }

    let progress = Arc::new(Progress::new(hosts.len(), !args.contact.no_progress));
    let done = gather::gather_all(
        &hosts,
        transport,
        script(&candidates),
        crate::transport::descriptors::clamp_concurrency(usize::from(args.contact.concurrency).min(hosts.len())),
        Arc::clone(&progress),
        interrupt,
        audit_and_save(&candidates, &reviews, evidence.clone()),
    );
    progress.finish();

    let (audited, records): (Vec<HostReport>, Vec<Saved>) = done.into_iter().unzip();
    for (host, audited) in hosts.iter().zip(&audited) {
        announce_recorded(console.stderr, host, audited.host_key.as_ref());
    }
    // Every host is done (or interrupted): the set is complete. A set that
    // cannot be written does not cost the reports: they say it is missing.
    let saved = evidence.map_or(Ok(()), |set| set.commit(records.into_iter().flatten().collect()));
    let mut report = assemble(started_at, invocation, &reviews, audited);
    baseline.attach(&mut report);
    // A bundle without its facts is no evidence: none is written.
    let bundle = match saved {
        Err(error) => {
            missing(&mut report, console, &error);
            None
        }
        Ok(()) => bundle,
    };
    Ok(finish(report, &outputs, bundle, interrupt, console))
}

/// `--evidence DIR` (with `--sign-key`): DIR checked, the key opened and
/// the input files copied, before anything is contacted or evaluated.
fn open_bundle(
    args: &EvidenceArgs,
    selection: &SelectionArgs,
    review: &ReviewArgs,
    inventory: Option<&Path>,
) -> Result<Option<Bundle>, Error> {
    let Some(dir) = &args.evidence else { return Ok(None) };
    let inputs = Inputs { inventory, waivers: review.waivers.as_deref(), attestations: review.attestations.as_deref() };
    Ok(Some(Bundle::create(dir, args.sign_key.as_deref(), &selection.benchmark, &inputs)?))
}

/// A saved host's record for the index, when facts are saved.
type Saved = Option<Result<HostRecord, EvidenceError>>;

/// A host's work once its gathering ended, on its worker thread: audit it
/// under the benchmark chosen for it, apply the waivers and attestations,
/// and save its facts, so that only its results outlive it.
fn audit_and_save(
    candidates: &Arc<Candidates>,
    reviews: &Arc<Reviews>,
    evidence: Option<Arc<Staging>>,
) -> gather::Finish<(HostReport, Saved)> {
    let candidates = Arc::clone(candidates);
    let reviews = Arc::clone(reviews);
    Arc::new(move |host, gathering| {
        let identity = identity(host);
        let audited = audit_reviewed(&identity, &gathering, &candidates, &reviews);
        let saved = evidence.as_ref().map(|set| set.save(&identity, gathering));
        (audited, saved)
    })
}

/// The gathering script, with what every candidate benchmark needs gathered.
fn script(candidates: &Candidates) -> Script {
    let mut plan = plan::Plan::default();
    for benchmark in &candidates.benchmarks {
        plan.merge(&plan::for_benchmark(benchmark, benchmark.platform_def()));
    }
    Script { text: crate::GATHER_SCRIPT.as_bytes(), args: plan.args() }
}

/// One host's report: audited, then reviewed.
fn audit_reviewed(
    identity: &HostIdentity,
    gathering: &crate::gather::Gathering,
    candidates: &Candidates,
    reviews: &Reviews,
) -> HostReport {
    let mut audited = audit::audit(identity, gathering, candidates);
    if let Ok(results) = &mut audited.result {
        reviews.apply(&audited.name, &audited.roles, results);
    }
    audited
}

fn evaluate(args: &EvaluateArgs, interrupt: &Interrupt, console: &mut Console) -> Result<ExitCode, Error> {
    let started_at = now();
    let candidates = candidates(&args.selection)?;
    let bundle = open_bundle(&args.evidence, &args.selection, &args.review, None)?;
    let set = SavedSet::open(&crate::bundle::facts_of(&args.facts))?;
    // The bundle's copy is evaluated: its report is of exactly the facts it holds.
    let set = match &bundle {
        Some(bundle) => SavedSet::open(&bundle.copy_facts(&set)?)?,
        None => set,
    };
    let shard = evaluated_shard(args.shard.shard, &set)?;
    // Rules may name any host of the set, also those of other shards.
    let names: Vec<String> = set.records().iter().map(|record| record.host.clone()).collect();
    let (reviews, review_files) = reviews(&args.review, &candidates, Some(&names), started_at)?;
    let outputs = check_outputs(&args.output)?;
    let baseline = Pending::load(&args.baseline)?;
    let invocation = Invocation {
        command: "evaluate".into(),
        facts: Some(args.facts.display().to_string()),
        inventory: set.index().inventory.clone(),
        shard,
        ..invocation(&args.selection, review_files)
    };
    let records = set.records().iter().filter(|record| args.shard.shard.is_none_or(|s| s.holds(&record.host)));
    let mut audited = Vec::with_capacity(set.records().len());
    for record in records {
        stop_if_interrupted(interrupt, set.dir())?;
        let (identity, gathering) = set.load(record)?;
        audited.push(audit_reviewed(&identity, &gathering, &candidates, &reviews));
    }
    stop_if_interrupted(interrupt, set.dir())?;
    let mut report = assemble(started_at, invocation, &reviews, audited);
    baseline.attach(&mut report);
    Ok(finish(report, &outputs, bundle, interrupt, console))
}

/// The share of the inventory an `evaluate` covers: `--shard` of a whole
/// set, or the shard the set itself was saved from (its report is then
/// the one that shard's run made). A share of a share has no name a merge
/// could check, and is refused.
fn evaluated_shard(asked: Option<Shard>, set: &SavedSet) -> Result<Option<Shard>, Error> {
    match (asked, set.index().shard) {
        (Some(asked), Some(saved)) => Err(Error::ShardOfShard { dir: set.dir().to_path_buf(), saved, asked }),
        (asked, saved) => Ok(asked.or(saved)),
    }
}

/// `hardbench report`: a JSON report saved by `run` or `evaluate`, read
/// back strictly (`report::json::read`), written again as the page `--html`
/// writes. Nothing is contacted or evaluated; the output path is checked
/// first, and may not be the report it renders.
fn render(args: &ReportArgs, console: &mut Console) -> Result<ExitCode, Error> {
    let destination = output::check("--html", &args.html)?;
    if let Destination::File(path) = &destination {
        if same_file(&args.report, path) {
            let path = path.clone();
            return Err(output::OutputError::SameFile { first: "REPORT.json", second: "--html", path }.into());
        }
    }
    let report = report::json::read::read(&args.report)?;
    match destination {
        Destination::Stdout => to_stdout(&mut *console.stdout, |out| report::html::write(&report, out))
            .map_err(|source| output::WriteError { what: "the HTML report to standard output".into(), source })?,
        Destination::File(path) => {
            let staged = output::stage(&path, |out| report::html::write(&report, out))?;
            let mut published = Ok(());
            interrupt::publish(|publishing| {
                published = staged.publish(publishing);
                ExitCode::Compliant.code()
            });
            published?;
        }
    }
    Ok(ExitCode::Compliant)
}

/// Whether two paths name one existing file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

/// `evaluate` contacts nothing, so a signal simply ends it, before anything is written.
fn stop_if_interrupted(interrupt: &Interrupt, dir: &Path) -> Result<(), Error> {
    match interrupt.signal() {
        Some(signal) => Err(EvidenceError::Interrupted { dir: dir.to_path_buf(), signal }.into()),
        None => Ok(()),
    }
}

/// Lists the checks of one benchmark (of a level or lower, with
/// `--level`); `auto` lists the newest one known, the one `run --benchmark
/// auto` uses for a Kubernetes newer than any.
fn list_checks(args: &ListChecksArgs, stdout: &mut dyn Write) -> Result<ExitCode, Error> {
    let (benchmark, chosen) = if args.benchmark == "auto" {
        let mut all = benchmark::load_builtins()?;
        let newest = version::choose(&all, "kubeadm", None).expect("a kubeadm benchmark is built in").index;
        (all.swap_remove(newest), " (auto: the newest benchmark known)")
    } else {
        (load_benchmark(&args.benchmark)?, "")
    };
    let level = args.level.and_then(Level::from_number);
    let checks: Vec<_> = benchmark.checks.iter().filter(|c| level.is_none_or(|level| c.level <= level)).collect();
    let mut text = format!("{} ({} checks){chosen}\n", benchmark.title, checks.len());
    text.push_str(&format!("{:<8} {:<14} {:<9} {:<8} {:<6} {}\n", "ID", "TARGET", "TYPE", "SCORED", "LEVEL", "TITLE"));
    for check in checks {
        text.push_str(&format!(
            "{:<8} {:<14} {:<9} {:<8} {:<6} {}\n",
            check.id,
            check.target.name(),
            if check.automated { "automated" } else { "manual" },
            if check.scored { "yes" } else { "no" },
            check.level.number(),
            check.title
        ));
    }
    write_stdout(stdout, text.as_bytes())?;
    Ok(ExitCode::Compliant)
}

/// Lists the built-in benchmarks, in version order, in columns as wide as
/// their widest entry (a distribution's list of Kubernetes minors is long).
fn list_benchmarks(stdout: &mut dyn Write) -> Result<ExitCode, Error> {
    let mut rows = vec![["ID", "PLATFORM", "KUBERNETES", "CHECKS", "AUTOMATED", "MANUAL", "TITLE"].map(String::from)];
    for id in benchmark::builtin_ids() {
        let b = load_benchmark(id)?;
        let automated = b.checks.iter().filter(|c| c.automated).count();
        rows.push([
            b.id.clone(),
            b.platform.clone(),
            b.kubernetes.join(","),
            b.checks.len().to_string(),
            automated.to_string(),
            (b.checks.len() - automated).to_string(),
            b.title.clone(),
        ]);
    }
    let width = |column: usize| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0);
    let (id, platform, kubernetes) = (width(0), width(1), width(2));
    let mut text = String::new();
    for [a, b, c, checks, automated, manual, title] in &rows {
        text.push_str(&format!("{a:<id$} {b:<platform$} {c:<kubernetes$} {checks:>6} {automated:>9} {manual:>6}  {title}\n"));
    }
    write_stdout(stdout, text.as_bytes())?;
    Ok(ExitCode::Compliant)
}

fn validate(args: &ValidateArgs, console: &mut Console) -> Result<ExitCode, Error> {
    let mut problems = Vec::new();
    let mut text = String::new();
    match load_inventory(&args.source) {
        Ok(inventory) => {
            warn(console.stderr, &inventory, &args.source.inventory_kind);
            text.push_str(&format!(
                "inventory {}: {} hosts, valid\n",
                args.source.inventory.display(),
                inventory.hosts.len()
            ))
        }
        Err(errors) => problems.push(Error::from(errors)),
    }
    for id in benchmark::builtin_ids() {
        match load_benchmark(id) {
            Ok(b) => text.push_str(&format!("benchmark {}: {} checks, valid\n", b.id, b.checks.len())),
            Err(error) => problems.push(error),
        }
    }
    if problems.is_empty() {
        write_stdout(console.stdout, text.as_bytes())?;
        Ok(ExitCode::Compliant)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// The inventory as `--inventory` and its options say to read it.
pub(crate) fn load_inventory(args: &InventoryArgs) -> Result<inventory::Inventory, inventory::InventoryErrors> {
    let kind = &args.inventory_kind;
    let format = inventory::Format::from_name(&kind.inventory_format).expect("clap accepts only the format names");
    inventory::load_as(&args.inventory, format, kind.role_map.as_deref(), args.ssh_config.as_deref())
}

/// A host key that `accept-new` recorded in this run is said on stderr, in
/// host order once every host is done, for the operator to compare with the
/// host's own.
pub(crate) fn announce_recorded(stderr: &mut dyn Write, host: &Host, key: Option<&crate::transport::HostKeyInfo>) {
    if let Some(notice) = key.and_then(|key| key.recorded_notice(host)) {
        let _ = writeln!(stderr, "hardbench: {}", crate::report::sanitize::sanitize(&notice));
    }
}

/// The hosts `run` and `check-access` contact: those `--limit` names (all
/// without it) in `--shard`'s share. A host's share is decided by its name
/// alone, so the two commute and a host's shard does not depend on the others.
pub(crate) fn contacted<'i>(inventory: &'i inventory::Inventory, contact: &ContactArgs) -> Result<Vec<&'i Host>, inventory::UnknownHosts> {
    let hosts = inventory.select(&contact.limit)?;
    Ok(hosts.into_iter().filter(|host| contact.shard.shard.is_none_or(|s| s.holds(&host.name))).collect())
}

/// The inventory's warnings, and the role map found beside it when
/// `--role-map` named none: it changes roles and settings, so it is never
/// used silently. Before anything else happens.
pub(crate) fn warn(stderr: &mut dyn Write, inventory: &inventory::Inventory, kind: &InventoryKindArgs) {
    for warning in &inventory.warnings {
        let _ = writeln!(stderr, "hardbench: warning: {warning}");
    }
    if let (Some(map), None) = (&inventory.role_map, &kind.role_map) {
        let _ = writeln!(stderr, "hardbench: roles and defaults from {}, found beside the inventory", map.display());
    }
}

/// The benchmarks `--benchmark` allows: the one named, or every built-in one for `auto`.
fn candidates(selection: &SelectionArgs) -> Result<Candidates, Error> {
    let benchmarks = if selection.benchmark == "auto" {
        benchmark::load_builtins()?
    } else {
        vec![load_benchmark(&selection.benchmark)?]
    };
    // Check ids must mean something in one of the benchmarks the run may choose.
    let level = selection.level.and_then(Level::from_number);
    let chosen = Selection::for_candidates(&benchmarks, &selection.check, &selection.skip, level)?;
    let evaluates = |b: &Benchmark| b.checks.iter().any(|check| chosen.disposition(check) == Disposition::Evaluate);
    if !benchmarks.iter().any(evaluates) {
        let flags: Vec<String> = [("--check", &selection.check), ("--skip", &selection.skip)]
            .into_iter()
            .filter(|(_, patterns)| !patterns.is_empty())
            .map(|(flag, patterns)| format!("{flag} {}", patterns.join(",")))
            .chain(selection.level.map(|level| format!("--level {level}")))
            .collect();
        return Err(Error::NothingSelected(flags.join(" ")));
    }
    let selections = vec![chosen; benchmarks.len()];
    Ok(Candidates { benchmarks, selections, auto: selection.benchmark == "auto" })
}

/// A built-in benchmark by id, else a benchmark directory by path.
fn load_benchmark(id: &str) -> Result<Benchmark, Error> {
    if benchmark::builtin_ids().contains(&id) {
        return Ok(benchmark::load_builtin(id)?);
    }
    let path = Path::new(id);
    if path.is_dir() {
        return Ok(benchmark::load_dir(path)?);
    }
    Err(Error::UnknownBenchmark { id: id.to_string(), known: benchmark::builtin_ids().to_vec() })
}

/// Where the reports go: each path checked, alone and against the others
/// (`output::check_all`), before anything is contacted.
pub(crate) struct Outputs {
    json: Option<Destination>,
    junit: Option<Destination>,
    html: Option<Destination>,
    metrics: Option<Destination>,
    /// The console report as `--summary` asks.
    summary: bool,
}

pub(crate) fn check_outputs(output: &OutputArgs) -> Result<Outputs, Error> {
    let named: Vec<(&'static str, &Path)> =
        [("--json", &output.json), ("--junit", &output.junit), ("--html", &output.html), ("--metrics", &output.metrics)]
        .into_iter()
        .filter_map(|(flag, path)| path.as_deref().map(|path| (flag, path)))
        .collect();
    let mut checked = output::check_all(&named)?.into_iter();
    Ok(Outputs {
        json: output.json.as_ref().and_then(|_| checked.next()),
        junit: output.junit.as_ref().and_then(|_| checked.next()),
        html: output.html.as_ref().and_then(|_| checked.next()),
        metrics: output.metrics.as_ref().and_then(|_| checked.next()),
        summary: output.summary,
    })
}

/// The waivers and attestations files, read and checked against what the
/// run may judge (its benchmarks, its hosts) before anything is contacted.
fn reviews(
    args: &ReviewArgs,
    candidates: &Candidates,
    hosts: Option<&[String]>,
    started_at: DateTime<FixedOffset>,
) -> Result<(Reviews, [Option<InputFile>; 2]), Error> {
    let known = Known { benchmarks: &candidates.benchmarks, hosts, today: started_at.date_naive() };
    let waivers = args.waivers.as_deref().map(|path| review_file::load_waivers(path, &known)).transpose()?;
    let attestations =
        args.attestations.as_deref().map(|path| review_file::load_attestations(path, &known)).transpose()?;
    let files = [waivers.as_ref().map(|w| w.file.clone()), attestations.as_ref().map(|a| a.file.clone())];
    let reviews = Reviews {
        waivers: waivers.map(|w| w.rules).unwrap_or_default(),
        attestations: attestations.map(|a| a.rules).unwrap_or_default(),
        today: known.today,
    };
    Ok((reviews, files))
}

/// What every command records of its invocation; `run` and `evaluate` add their own.
fn invocation(selection: &SelectionArgs, [waivers, attestations]: [Option<InputFile>; 2]) -> Invocation {
    Invocation {
        benchmark: selection.benchmark.clone(),
        level: selection.level,
        check: selection.check.clone(),
        skip: selection.skip.clone(),
        waivers,
        attestations,
        user: results::current_user(),
        machine: results::machine_name(),
        ..Invocation::default()
    }
}

/// `hardbench waivers lint`: 2 when a file is invalid, 1 when a rule has
/// expired or expires soon, 0 otherwise.
fn lint_waivers(args: &WaiversLintArgs, console: &mut Console) -> Result<ExitCode, Error> {
    let candidates = candidates(&SelectionArgs {
        benchmark: args.benchmark.clone(),
        level: None,
        check: Vec::new(),
        skip: Vec::new(),
    })?;
    let names = match &args.inventory {
        Some(path) => Some(inventory::load(path)?.hosts.into_iter().map(|host| host.name).collect::<Vec<_>>()),
        None => None,
    };
    let review = ReviewArgs { waivers: Some(args.waivers.clone()), attestations: args.attestations.clone() };
    let (reviews, _) = reviews(&review, &candidates, names.as_deref(), now())?;
    let findings = lint::lint(&reviews.waivers, &reviews.attestations, reviews.today);
    let attention = findings.iter().filter(|finding| finding.attention).count();
    let mut text: String = findings.iter().map(|finding| format!("{}\n", finding.line)).collect();
    text.push_str(&format!(
        "{} waivers, {} attestations: {attention} expired or expiring within {} days\n",
        reviews.waivers.len(),
        reviews.attestations.len(),
        lint::SOON_DAYS
    ));
    write_stdout(console.stdout, text.as_bytes())?;
    Ok(if attention > 0 { ExitCode::NonCompliant } else { ExitCode::Compliant })
}

/// The report, once every host is audited (each under its own benchmark).
fn assemble(started_at: DateTime<FixedOffset>, invocation: Invocation, reviews: &Reviews, hosts: Vec<HostReport>) -> Report {
    Report {
        hardbench_version: env!("CARGO_PKG_VERSION").to_string(),
        invocation,
        waivers: reviews.waivers.clone(),
        attestations: reviews.attestations.clone(),
        review_date: reviews.today,
        started_at,
        finished_at: now(),
        hosts,
        interrupted_by: None,
        report_missing: false,
        baseline: None,
    }
}

/// Decides the run's status, writes every report it can, and returns the
/// status, which the JSON report holds too. The status is decided once, here,
/// from the report and the interrupt (a later signal does not change it;
/// `interrupt.rs`); a report that cannot be written is said on stderr, the
/// others are still written, and the status becomes `ReportMissing`.
///
/// Order: the files are written into temporary files, then the console
/// (on stderr when a report goes to standard output) and a JUnit or HTML
/// report or the metrics to standard output, then the files are renamed into place together
/// (`interrupt::publish`), then a JSON report to standard output. The JSON
/// report holds the status, so it is written after every other report has
/// succeeded or failed: a failure before it is in the status it holds.
///
/// Then lets the report go without freeing it: the process exits next, and
/// freeing a thousand hosts' results one allocation at a time was an eighth
/// of offline evaluation.
pub(crate) fn finish(mut report: Report, outputs: &Outputs, bundle: Option<Bundle>, interrupt: &Interrupt, console: &mut Console) -> ExitCode {
    report.interrupted_by = interrupt.decide();
    // The bundle holds the report as decided; a file below that fails
    // later is not evidence about the hosts, and is not in it.
    if let Some(bundle) = bundle {
        let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
        if let Err(error) = bundle.finish(&report, &argv) {
            missing(&mut report, console, &error);
        }
    }
    let stage_json = |report: &Report, path: &Path| {
        let status = report.exit_code();
        output::stage(path, |out| report::json::write(report, out)).map(|staged| (staged, status))
    };
    let mut junit = match &outputs.junit {
        Some(Destination::File(path)) => {
            output::stage(path, |out| report::junit::write(&report, out)).map_err(|e| missing(&mut report, console, &e)).ok()
        }
        _ => None,
    };
    let mut html = match &outputs.html {
        Some(Destination::File(path)) => {
            output::stage(path, |out| report::html::write(&report, out)).map_err(|e| missing(&mut report, console, &e)).ok()
        }
        _ => None,
    };
    let mut metrics = match &outputs.metrics {
        Some(Destination::File(path)) => {
            output::stage(path, |out| report::metrics::write(&report, out)).map_err(|e| missing(&mut report, console, &e)).ok()
        }
        _ => None,
    };
    let mut json = match &outputs.json {
        Some(Destination::File(path)) => stage_json(&report, path).map_err(|e| missing(&mut report, console, &e)).ok(),
        _ => None,
    };

    let to_stderr = [&outputs.json, &outputs.junit, &outputs.html, &outputs.metrics]
        .into_iter()
        .any(|d| d == &Some(Destination::Stdout));
    let color = if to_stderr { console.stderr_color } else { console.stdout_color };
    let mut bytes = Vec::new();
    report::console::write(&report, &mut bytes, report::console::Style { color, summary: outputs.summary })
        .expect("writing to memory cannot fail");
    let (sink, what) = if to_stderr { (&mut *console.stderr, "standard error") } else { (&mut *console.stdout, "standard output") };
    if let Err(source) = sink.write_all(&bytes).and_then(|()| sink.flush()) {
        missing(&mut report, console, &output::WriteError { what: format!("the console report to {what}"), source });
    }
    if outputs.junit == Some(Destination::Stdout) {
        let written = to_stdout(&mut *console.stdout, |out| report::junit::write(&report, out));
        if let Err(source) = written {
            missing(&mut report, console, &output::WriteError { what: "the JUnit report to standard output".into(), source });
        }
    }
    if outputs.html == Some(Destination::Stdout) {
        let written = to_stdout(&mut *console.stdout, |out| report::html::write(&report, out));
        if let Err(source) = written {
            missing(&mut report, console, &output::WriteError { what: "the HTML report to standard output".into(), source });
        }
    }
    if outputs.metrics == Some(Destination::Stdout) {
        let written = to_stdout(&mut *console.stdout, |out| report::metrics::write(&report, out));
        if let Err(source) = written {
            missing(&mut report, console, &output::WriteError { what: "the metrics to standard output".into(), source });
        }
    }

    // A report missing so far changes the status the JSON file must hold.
    if let Some((staged, status)) = json.take() {
        json = if status == report.exit_code() {
            Some((staged, status))
        } else {
            let path = staged.path().to_path_buf();
            drop(staged);
            stage_json(&report, &path).map_err(|e| missing(&mut report, console, &e)).ok()
        };
    }
    let mut deferred = None;
    interrupt::publish(|publishing| {
        for staged in [junit.take(), html.take(), metrics.take()].into_iter().flatten() {
            if let Err(e) = staged.publish(publishing) {
                missing(&mut report, console, &e);
            }
        }
        if let Some((staged, status)) = json.take() {
            if status == report.exit_code() {
                if let Err(e) = staged.publish(publishing) {
                    missing(&mut report, console, &e);
                }
            } else {
                // The JUnit or metrics file just failed: the JSON is written again
                // below, with the status that says so.
                deferred = Some(staged.path().to_path_buf());
                staged.discard(publishing);
            }
        }
        report.exit_code().code()
    });
    if let Some(path) = deferred {
        match stage_json(&report, &path) {
            Ok((staged, _)) => {
                interrupt::publish(|publishing| {
                    if let Err(e) = staged.publish(publishing) {
                        missing(&mut report, console, &e);
                    }
                    report.exit_code().code()
                });
            }
            Err(e) => missing(&mut report, console, &e),
        }
    }
    if outputs.json == Some(Destination::Stdout) {
        let written = to_stdout(&mut *console.stdout, |out| report::json::write(&report, out));
        if let Err(source) = written {
            missing(&mut report, console, &output::WriteError { what: "the JSON report to standard output".into(), source });
            interrupt::republish(report.exit_code().code());
        }
    }
    let code = report.exit_code();
    std::mem::forget(report);
    code
}

/// Writes a report to standard output through a buffer as large as the one
/// files get (standard output is line-buffered).
fn to_stdout(stdout: &mut dyn Write, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout);
    write(&mut out)?;
    out.into_inner().map_err(std::io::IntoInnerError::into_error)?.flush()
}

/// Says on stderr that a report could not be written, and marks it missing.
fn missing(report: &mut Report, console: &mut Console, error: &dyn std::fmt::Display) {
    report.report_missing = true;
    let _ = writeln!(console.stderr, "hardbench: {error}; every other report is still written (exit status 4)");
}

fn write_stdout(stdout: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|source| output::WriteError { what: "standard output".into(), source }.into())
}

fn identity(host: &Host) -> HostIdentity {
    HostIdentity {
        name: host.name.clone(),
        address: host.address.clone(),
        port: host.port,
        user: host.user.clone(),
        sudo: host.become_method.uses_sudo(),
        roles: host.roles.clone(),
    }
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::parse::HEADER;
    use crate::inventory::Host;
    use crate::transport::{Gathered, HostError};
    use clap::Parser;
    use std::sync::{Condvar, Mutex};
    use std::time::{Duration, Instant};

    /// Sends a valid stream from every host; `slow` only once released.
    struct Fake {
        released: Mutex<bool>,
        release: Condvar,
        slow_started: std::sync::atomic::AtomicBool,
    }

    impl Transport for Fake {
        fn gather(&self, host: &Host, _: &[u8], _: &[String]) -> Result<Gathered, HostError> {
            if host.name == "slow" {
                self.slow_started.store(true, std::sync::atomic::Ordering::SeqCst);
                let released = self.released.lock().unwrap();
                let (_released, timeout) =
                    self.release.wait_timeout_while(released, Duration::from_secs(60), |r| !*r).unwrap();
                assert!(!timeout.timed_out(), "the test never released slow");
            }
            let stdout = format!("{HEADER}\nEND 0\n").into_bytes();
            Ok(Gathered { stdout, stderr: Vec::new(), exit_status: 0, host_key: None })
        }
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// A run of the hosts `names` (`slow` and `fast`, in some order) at
    /// `concurrency` with `--save-facts DIR/facts`, on its own thread, and a
    /// way to release `slow`.
    struct Running {
        tmp: tempfile::TempDir,
        fake: Arc<Fake>,
        run: Option<std::thread::JoinHandle<(Result<ExitCode, String>, String)>>,
    }

    impl Running {
        fn start(interrupt: &Interrupt, names: [&str; 2], concurrency: &str) -> Running {
            let tmp = tempfile::tempdir().unwrap();
            let inventory = tmp.path().join("inventory.toml");
            // Under strict, known_hosts must hold keys (this one is never used).
            let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoeor1PRjdpSnzFFpaD8CySUH6IqNVSajXFpTysMFYP";
            std::fs::write(tmp.path().join("known_hosts"), format!("192.0.2.1 {key}\n")).unwrap();
            let mut text = String::from("[defaults]\nuser = \"audit\"\nknown_hosts = \"known_hosts\"\n");
            for name in names {
                text += &format!("[[hosts]]\nname = \"{name}\"\naddress = \"192.0.2.1\"\nroles = [\"worker\"]\n");
            }
            std::fs::write(&inventory, text).unwrap();
            let facts = tmp.path().join("facts");
            let cli = Cli::try_parse_from([
                "hardbench", "run", "--no-progress", "--benchmark", "cis-1.12", "--concurrency", concurrency,
                "--inventory", inventory.to_str().unwrap(), "--save-facts", facts.to_str().unwrap(),
            ])
            .unwrap();
            let fake = Arc::new(Fake {
                released: Mutex::new(false),
                release: Condvar::new(),
                slow_started: Default::default(),
            });
            let transport: Arc<dyn Transport + Send> = fake.clone();
            let interrupt = interrupt.clone();
            let run = std::thread::spawn(move || {
                let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
                let mut console =
                    Console { stdout: &mut stdout, stderr: &mut stderr, stdout_color: false, stderr_color: false };
                let code = execute(cli, transport, &interrupt, &mut console);
                (code.map_err(|e| e.to_string()), String::from_utf8(stdout).unwrap())
            });
            Running { tmp, fake, run: Some(run) }
        }

        fn facts(&self) -> std::path::PathBuf {
            self.tmp.path().join("facts")
        }

        /// Waits until fast's facts are saved in the set being written,
        /// and returns that working directory's entries.
        fn fast_saved(&self) -> Vec<String> {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let working = entries(self.tmp.path()).into_iter().find(|n| n.starts_with(".facts.hardbench-"));
                let saved = working.map(|w| entries(&self.tmp.path().join(w))).unwrap_or_default();
                if saved.contains(&"fast.json".to_string()) {
                    return saved;
                }
                assert!(Instant::now() < deadline, "fast was not saved while slow was gathered");
                std::thread::sleep(Duration::from_millis(10));
            }
        }

        /// The run's exit code (or error) and console.
        fn join(&mut self) -> (Result<ExitCode, String>, String) {
            self.run.take().expect("joined once").join().unwrap()
        }

        fn release_slow(&self) {
            *self.fake.released.lock().unwrap() = true;
            self.fake.release.notify_all();
        }
    }

    #[test]
    fn a_host_is_audited_and_saved_as_soon_as_it_is_gathered_not_when_the_last_host_is() {
        let mut running = Running::start(&Interrupt::never(), ["slow", "fast"], "2");
        // While slow is still being gathered, fast's facts are already
        // saved (after its audit, on its worker) in the set being written.
        assert_eq!(running.fast_saved(), ["fast.json"]);
        assert!(!running.facts().exists(), "the set is put in place only once every host is done");

        running.release_slow();
        let (code, console) = running.join();
        assert!(code.is_ok(), "{code:?}\n{console}");
        assert!(console.contains("slow") && console.contains("fast"), "{console}");
        assert_eq!(entries(&running.facts()), ["_index.json", "fast.json", "slow.json"]);
        assert_eq!(entries(running.tmp.path()), ["facts", "inventory.toml", "known_hosts"]);
    }

    #[test]
    fn a_set_that_cannot_be_put_in_place_marks_a_report_missing_and_costs_no_other() {
        let mut running = Running::start(&Interrupt::never(), ["slow", "fast"], "2");
        running.fast_saved();
        // While slow is gathered, someone puts a file of their own where the set goes.
        std::fs::create_dir(running.facts()).unwrap();
        std::fs::write(running.facts().join("notes.txt"), "mine").unwrap();
        running.release_slow();
        let (code, console) = running.join();
        assert_eq!(code, Ok(ExitCode::ReportMissing), "{console}");
        assert!(console.contains("slow") && console.contains("fast"), "the console report: {console}");
        assert_eq!(entries(&running.facts()), ["notes.txt"], "their file is left alone");
        assert_eq!(entries(running.tmp.path()), ["facts", "inventory.toml", "known_hosts"]);
    }

    #[test]
    fn an_interrupted_run_still_writes_one_whole_set_recording_the_interrupted_host() {
        let interrupt = Interrupt::never();
        // One worker: once it gathers slow, fast's result has been sent.
        let mut running = Running::start(&interrupt, ["fast", "slow"], "1");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !running.fake.slow_started.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "slow was never gathered");
            std::thread::sleep(Duration::from_millis(10));
        }
        interrupt.raise(libc::SIGTERM);
        let (code, console) = running.join();
        assert_eq!(code, Ok(ExitCode::Interrupted { signal: libc::SIGTERM }), "{console}");
        assert_eq!(entries(&running.facts()), ["_index.json", "fast.json"]);
        assert_eq!(entries(running.tmp.path()), ["facts", "inventory.toml", "known_hosts"]);
        let set = SavedSet::open(&running.facts()).unwrap();
        let (_, slow) = set.load(&set.records()[1]).unwrap();
        let error = slow.result.unwrap_err();
        assert_eq!(error.kind, crate::transport::HostErrorKind::Interrupted, "{error}");
        // slow's thread outlives the run; when it ends, it writes nothing.
        running.release_slow();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(entries(&running.facts()), ["_index.json", "fast.json"]);
        assert_eq!(entries(running.tmp.path()), ["facts", "inventory.toml", "known_hosts"]);
    }
}

//! One invocation end to end. For `run`: load and validate everything that
//! can be wrong before any host is contacted (inventory, benchmark, check
//! selection, output paths), gather from every host in parallel, choose the
//! benchmark, evaluate, and write the reports. `evaluate` does the same from
//! saved facts, without SSH.

use crate::audit::{self, HostIdentity};
use crate::benchmark::{self, Benchmark};
use crate::cli::{Cli, Command, EvaluateArgs, ListChecksArgs, OutputArgs, RunArgs, SelectionArgs, ValidateArgs};
use crate::error::{Error, SavedFactsError};
use crate::facts::{plan, SavedFacts, FACTS_SCHEMA};
use crate::gather::{self, Gathering};
use crate::interrupt::{self, Interrupt};
use crate::inventory::{self, Become, Host};
use crate::outcome::{BenchmarkInfo, ExitCode, Report};
use crate::output::{self, Destination};
use crate::progress::Progress;
use crate::report;
use crate::select::Selection;
use crate::transport::Transport;
use crate::version;
use chrono::{DateTime, FixedOffset};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where the console report and messages go, and whether each is a
/// terminal that may show colors.
pub struct Console<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdout_color: bool,
    pub stderr_color: bool,
}

/// Runs the command and returns the process's status. `interrupt` is looked
/// at while hosts are gathered: once it is set, the hosts not finished are
/// reported as interrupted, and the status says so.
pub fn execute(
    cli: Cli,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    console: &mut Console,
) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Run(args) => run(&args, transport, interrupt, console),
        Command::Evaluate(args) => evaluate(&args, interrupt, console),
        Command::ListChecks(args) => list_checks(&args, console.stdout),
        Command::Validate(args) => validate(&args, console.stdout),
    }
}

fn run(
    args: &RunArgs,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    console: &mut Console,
) -> Result<ExitCode, Error> {
    let started_at = now();
    let inventory = inventory::load(&args.inventory)?;
    warn(&inventory.warnings);
    let hosts = inventory.select(&args.limit)?;
    let candidates = candidates(&args.selection)?;
    let outputs = check_outputs(&args.output)?;
    if let Some(dir) = &args.save_facts {
        output::prepare_dir(dir)?;
    }

    let mut plan = plan::Plan::default();
    for benchmark in &candidates {
        plan.merge(&plan::for_benchmark(benchmark));
    }
    let progress = Arc::new(Progress::new(hosts.len(), !args.no_progress));
    let gatherings = gather::gather_all(
        &hosts,
        transport,
        crate::GATHER_SCRIPT.as_bytes(),
        &plan.args(),
        crate::transport::descriptors::clamp_concurrency(usize::from(args.concurrency).min(hosts.len())),
        Arc::clone(&progress),
        interrupt,
    );
    progress.finish();

    let identities: Vec<HostIdentity> = hosts.iter().map(|h| identity(h)).collect();
    if let Some(dir) = &args.save_facts {
        save_facts(dir, &identities, &gatherings)?;
    }
    let hosts: Vec<(HostIdentity, Gathering)> = identities.into_iter().zip(gatherings).collect();
    let report = build_report(started_at, candidates, &args.selection, hosts)?;
    Ok(finish(report, &outputs, interrupt, console))
}

fn evaluate(args: &EvaluateArgs, interrupt: &Interrupt, console: &mut Console) -> Result<ExitCode, Error> {
    let started_at = now();
    let candidates = candidates(&args.selection)?;
    let outputs = check_outputs(&args.output)?;
    let hosts = load_saved_facts(&args.facts)?;
    let report = build_report(started_at, candidates, &args.selection, hosts)?;
    Ok(finish(report, &outputs, interrupt, console))
}

/// Lists the checks of one benchmark; `auto` lists the newest one known,
/// the one `run --benchmark auto` uses for a Kubernetes newer than any.
fn list_checks(args: &ListChecksArgs, stdout: &mut dyn Write) -> Result<ExitCode, Error> {
    let (benchmark, chosen) = if args.benchmark == "auto" {
        let mut all = benchmark::builtin_ids().iter().map(|id| load_benchmark(id)).collect::<Result<Vec<_>, _>>()?;
        let (newest, _) = version::choose(&all, &[]).map_err(Error::UnsupportedVersion)?;
        (all.swap_remove(newest), " (auto: the newest benchmark known)")
    } else {
        (load_benchmark(&args.benchmark)?, "")
    };
    let mut text = format!("{} ({} checks){chosen}\n", benchmark.title, benchmark.checks.len());
    text.push_str(&format!("{:<8} {:<14} {:<9} {:<8} {}\n", "ID", "TARGET", "TYPE", "SCORED", "TITLE"));
    for check in &benchmark.checks {
        text.push_str(&format!(
            "{:<8} {:<14} {:<9} {:<8} {}\n",
            check.id,
            check.target.name(),
            if check.automated { "automated" } else { "manual" },
            if check.scored { "yes" } else { "no" },
            check.title
        ));
    }
    write_stdout(stdout, text.as_bytes())?;
    Ok(ExitCode::Compliant)
}

fn validate(args: &ValidateArgs, stdout: &mut dyn Write) -> Result<ExitCode, Error> {
    let mut problems = Vec::new();
    let mut text = String::new();
    match inventory::load(&args.inventory) {
        Ok(inventory) => {
            warn(&inventory.warnings);
            text.push_str(&format!(
                "inventory {}: {} hosts, valid\n",
                args.inventory.display(),
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
        write_stdout(stdout, text.as_bytes())?;
        Ok(ExitCode::Compliant)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// Inventory warnings go to standard error, before anything else happens.
fn warn(warnings: &[inventory::InventoryError]) {
    for warning in warnings {
        eprintln!("hardbench: warning: {warning}");
    }
}

/// The benchmarks `--benchmark` allows: the one named, or every built-in one for `auto`.
fn candidates(selection: &SelectionArgs) -> Result<Vec<Benchmark>, Error> {
    let candidates = if selection.benchmark == "auto" {
        benchmark::builtin_ids().iter().map(|id| load_benchmark(id)).collect::<Result<Vec<_>, _>>()?
    } else {
        vec![load_benchmark(&selection.benchmark)?]
    };
    // Check ids must mean something in every benchmark the run may choose.
    for benchmark in &candidates {
        Selection::new(benchmark, &selection.check, &selection.skip)?;
    }
    Ok(candidates)
}

fn load_benchmark(id: &str) -> Result<Benchmark, Error> {
    if !benchmark::builtin_ids().contains(&id) {
        return Err(Error::UnknownBenchmark { id: id.to_string(), known: benchmark::builtin_ids().to_vec() });
    }
    Ok(benchmark::load_builtin(id)?)
}

/// Where the reports go: each path checked, alone and against the others
/// (`output::check_all`), before anything is contacted.
struct Outputs {
    json: Option<Destination>,
    junit: Option<Destination>,
}

fn check_outputs(output: &OutputArgs) -> Result<Outputs, Error> {
    let named: Vec<(&'static str, &Path)> = [("--json", &output.json), ("--junit", &output.junit)]
        .into_iter()
        .filter_map(|(flag, path)| path.as_deref().map(|path| (flag, path)))
        .collect();
    let mut checked = output::check_all(&named)?.into_iter();
    Ok(Outputs {
        json: output.json.as_ref().and_then(|_| checked.next()),
        junit: output.junit.as_ref().and_then(|_| checked.next()),
    })
}

fn build_report(
    started_at: DateTime<FixedOffset>,
    mut candidates: Vec<Benchmark>,
    selection_args: &SelectionArgs,
    hosts: Vec<(HostIdentity, Gathering)>,
) -> Result<Report, Error> {
    let (index, selected_by) = if selection_args.benchmark == "auto" {
        let seen: Vec<String> = hosts
            .iter()
            .filter_map(|(_, g)| g.result.as_ref().ok().and_then(version::kubernetes_version))
            .collect();
        version::choose(&candidates, &seen).map_err(Error::UnsupportedVersion)?
    } else {
        (0, "--benchmark".to_string())
    };
    let benchmark = candidates.swap_remove(index);
    let selection = Selection::new(&benchmark, &selection_args.check, &selection_args.skip)?;
    let hosts = hosts
        .into_iter()
        .map(|(identity, gathering)| audit::host_report(&identity, gathering, &benchmark, &selection))
        .collect();
    Ok(Report {
        hardbench_version: env!("CARGO_PKG_VERSION").to_string(),
        benchmark: BenchmarkInfo {
            id: benchmark.id.clone(),
            title: benchmark.title.clone(),
            sha256: benchmark.sha256.clone(),
            selected_by,
        },
        started_at,
        finished_at: now(),
        hosts,
        interrupted_by: None,
        report_missing: false,
    })
}

/// Decides the run's status, writes every report it can, and returns the
/// status, which the JSON report holds too. The status is decided once, here,
/// from the report and the interrupt (a later signal does not change it;
/// `interrupt.rs`); a report that cannot be written is said on stderr, the
/// others are still written, and the status becomes `ReportMissing`.
///
/// Order: the files are written into temporary files, then the console
/// (on stderr when a report goes to standard output) and a JUnit report
/// to standard output, then the files are renamed into place together
/// (`interrupt::publish`), then a JSON report to standard output. The JSON
/// report holds the status, so it is written after every other report has
/// succeeded or failed: a failure before it is in the status it holds.
///
/// Then lets the report go without freeing it: the process exits next, and
/// freeing a thousand hosts' results one allocation at a time was an eighth
/// of offline evaluation.
fn finish(mut report: Report, outputs: &Outputs, interrupt: &Interrupt, console: &mut Console) -> ExitCode {
    report.interrupted_by = interrupt.decide();
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
    let mut json = match &outputs.json {
        Some(Destination::File(path)) => stage_json(&report, path).map_err(|e| missing(&mut report, console, &e)).ok(),
        _ => None,
    };

    let to_stderr = [&outputs.json, &outputs.junit].into_iter().any(|d| d == &Some(Destination::Stdout));
    let color = if to_stderr { console.stderr_color } else { console.stdout_color };
    let mut bytes = Vec::new();
    report::console::write(&report, &mut bytes, report::console::Style { color })
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
        if let Some(staged) = junit.take() {
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
                // The JUnit file just failed: the JSON is written again
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
fn missing(report: &mut Report, console: &mut Console, error: &output::WriteError) {
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
        sudo: host.become_method == Become::Sudo,
        roles: host.roles.clone(),
    }
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

/// Saves each host's facts as `<dir>/<host>.json`; hosts without facts are
/// not saved (their error is in the report).
fn save_facts(dir: &Path, identities: &[HostIdentity], gatherings: &[Gathering]) -> Result<(), Error> {
    for (identity, gathering) in identities.iter().zip(gatherings) {
        let Ok(facts) = &gathering.result else { continue };
        let saved = SavedFacts {
            schema: FACTS_SCHEMA.to_string(),
            host: identity.name.clone(),
            address: identity.address.clone(),
            port: identity.port,
            user: identity.user.clone(),
            sudo: identity.sudo,
            roles: identity.roles.clone(),
            host_key: gathering.host_key.clone(),
            collected_at: gathering.started_at.to_rfc3339(),
            duration_ms: u64::try_from(gathering.duration.as_millis()).unwrap_or(u64::MAX),
            facts: facts.clone(),
        };
        let mut bytes = serde_json::to_vec_pretty(&saved).expect("facts always serialize");
        bytes.push(b'\n');
        output::write_atomically(&saved_facts_path(dir, &identity.name), |out| out.write_all(&bytes))?;
    }
    Ok(())
}

fn saved_facts_path(dir: &Path, host: &str) -> PathBuf {
    // Host names are free text in the inventory; keep the file inside `dir`.
    let file: String = host.chars().map(|c| if c == '/' || c == '\0' { '_' } else { c }).collect();
    dir.join(format!("{file}.json"))
}

/// Loads every `*.json` of a saved-facts directory, in file-name order.
fn load_saved_facts(dir: &Path) -> Result<Vec<(HostIdentity, Gathering)>, Error> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| SavedFactsError::Read { path: dir.to_path_buf(), source })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(SavedFactsError::Empty { dir: dir.to_path_buf() }.into());
    }
    paths
        .iter()
        .map(|path| {
            let path = path.clone();
            let text = std::fs::read_to_string(&path)
                .map_err(|source| SavedFactsError::Read { path: path.clone(), source })?;
            let saved: SavedFacts = serde_json::from_str(&text)
                .map_err(|source| SavedFactsError::Json { path: path.clone(), source })?;
            if saved.schema != FACTS_SCHEMA {
                return Err(SavedFactsError::Schema { path, found: saved.schema, expected: FACTS_SCHEMA }.into());
            }
            let started_at = DateTime::parse_from_rfc3339(&saved.collected_at)
                .map_err(|source| SavedFactsError::Time { path, value: saved.collected_at.clone(), source })?;
            let identity = HostIdentity {
                name: saved.host,
                address: saved.address,
                port: saved.port,
                user: saved.user,
                sudo: saved.sudo,
                roles: saved.roles,
            };
            let gathering = Gathering {
                started_at,
                duration: Duration::from_millis(saved.duration_ms),
                host_key: saved.host_key,
                result: Ok(saved.facts),
            };
            Ok((identity, gathering))
        })
        .collect()
}

//! One invocation end to end. For `run`: load and validate everything that
//! can be wrong before any host is contacted (inventory, benchmark, check
//! selection, output paths), gather from every host in parallel, choose the
//! benchmark, evaluate, and write the reports. `evaluate` does the same from
//! saved facts, without SSH.

use crate::audit::{self, HostIdentity};
use crate::benchmark::{self, Benchmark};
use crate::cli::{Cli, Command, EvaluateArgs, ListChecksArgs, OutputArgs, RunArgs, SelectionArgs, ValidateArgs};
use crate::error::Error;
use crate::facts::{plan, SavedFacts, FACTS_SCHEMA};
use crate::gather::{self, Gathering};
use crate::interrupt::Interrupt;
use crate::inventory::{self, Become, Host};
use crate::outcome::{BenchmarkInfo, ExitCode, Report};
use crate::output;
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

/// How the console report may look.
#[derive(Clone, Copy, Debug)]
pub struct Terminal {
    pub color: bool,
}

/// Runs the command. `interrupt` is looked at while hosts are gathered: once
/// it is set, the hosts not finished are reported as interrupted (the
/// caller then exits with the signal's status).
pub fn execute(
    cli: Cli,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    stdout: &mut dyn Write,
    terminal: Terminal,
) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Run(args) => run(&args, transport, interrupt, stdout, terminal),
        Command::Evaluate(args) => evaluate(&args, stdout, terminal),
        Command::ListChecks(args) => list_checks(&args, stdout),
        Command::Validate(args) => validate(&args, stdout),
    }
}

fn run(
    args: &RunArgs,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    stdout: &mut dyn Write,
    terminal: Terminal,
) -> Result<ExitCode, Error> {
    let started_at = now();
    let inventory = inventory::load(&args.inventory).map_err(|e| Error::BadInput(e.to_string()))?;
    warn(&inventory.warnings);
    let hosts = inventory.select(&args.limit).map_err(Error::BadInput)?;
    let candidates = candidates(&args.selection)?;
    check_outputs(&args.output)?;
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
        usize::from(args.concurrency),
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
    finish(report, &args.output, stdout, terminal)
}

fn evaluate(args: &EvaluateArgs, stdout: &mut dyn Write, terminal: Terminal) -> Result<ExitCode, Error> {
    let started_at = now();
    let candidates = candidates(&args.selection)?;
    check_outputs(&args.output)?;
    let hosts = load_saved_facts(&args.facts)?;
    let report = build_report(started_at, candidates, &args.selection, hosts)?;
    finish(report, &args.output, stdout, terminal)
}

fn list_checks(args: &ListChecksArgs, stdout: &mut dyn Write) -> Result<ExitCode, Error> {
    let benchmark = load_benchmark(&args.benchmark)?;
    let mut text = format!("{} ({} checks)\n", benchmark.title, benchmark.checks.len());
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
        Err(errors) => problems.push(errors.to_string()),
    }
    for id in benchmark::builtin_ids() {
        match load_benchmark(id) {
            Ok(b) => text.push_str(&format!("benchmark {}: {} checks, valid\n", b.id, b.checks.len())),
            Err(error) => problems.push(error.to_string()),
        }
    }
    if problems.is_empty() {
        write_stdout(stdout, text.as_bytes())?;
        Ok(ExitCode::Compliant)
    } else {
        Err(Error::BadInput(problems.join("\n")))
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
        Selection::new(benchmark, &selection.check, &selection.skip).map_err(|e| Error::BadInput(e.join("\n")))?;
    }
    Ok(candidates)
}

fn load_benchmark(id: &str) -> Result<Benchmark, Error> {
    if !benchmark::builtin_ids().contains(&id) {
        return Err(Error::BadInput(format!(
            "unknown benchmark {id:?}; known: {}, or auto",
            benchmark::builtin_ids().join(", ")
        )));
    }
    benchmark::load_builtin(id).map_err(|e| Error::BadInput(e.to_string()))
}

fn check_outputs(output: &OutputArgs) -> Result<(), Error> {
    for path in [&output.json, &output.junit].into_iter().flatten() {
        output::check_writable(path)?;
    }
    Ok(())
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
    let selection = Selection::new(&benchmark, &selection_args.check, &selection_args.skip)
        .map_err(|e| Error::BadInput(e.join("\n")))?;
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
    })
}

/// Writes the reports, then lets the report go without freeing it: the
/// process exits next, and freeing a thousand hosts' results one allocation
/// at a time was an eighth of offline evaluation.
fn finish(report: Report, output: &OutputArgs, stdout: &mut dyn Write, terminal: Terminal) -> Result<ExitCode, Error> {
    if let Some(path) = &output.json {
        output::write_atomically(path, |out| report::json::write(&report, out))?;
    }
    if let Some(path) = &output.junit {
        output::write_atomically(path, |out| report::junit::write(&report, out))?;
    }
    let mut bytes = Vec::new();
    report::console::write(&report, &mut bytes, report::console::Style { color: terminal.color })
        .expect("writing to memory cannot fail");
    write_stdout(stdout, &bytes)?;
    let code = report.exit_code();
    std::mem::forget(report);
    Ok(code)
}

fn write_stdout(stdout: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|source| Error::Write { path: "standard output".into(), source })
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
    let bad = |why: String| Error::BadInput(format!("{}: {why}", dir.display()));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(bad("no saved facts (*.json) in this directory".into()));
    }
    paths
        .iter()
        .map(|path| {
            let bad = |why: String| Error::BadInput(format!("{}: {why}", path.display()));
            let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            let saved: SavedFacts = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
            if saved.schema != FACTS_SCHEMA {
                return Err(bad(format!("schema {:?} is not {FACTS_SCHEMA:?}", saved.schema)));
            }
            let started_at = DateTime::parse_from_rfc3339(&saved.collected_at)
                .map_err(|e| bad(format!("collected_at {:?}: {e}", saved.collected_at)))?;
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

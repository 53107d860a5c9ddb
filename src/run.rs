//! One invocation end to end. For `run`: load and validate everything that
//! can be wrong before any host is contacted (inventory, benchmark, check
//! selection, output paths, the saved-facts directory), gather from every
//! host in parallel, audit and save each host as soon as it is gathered
//! (keeping only its results), choose the benchmark, and write the reports.
//! `evaluate` does the same from a saved set, one host at a time, without SSH.

use crate::audit::{self, Audited, Candidates, HostIdentity};
use crate::benchmark::{self, Benchmark};
use crate::cli::{Cli, Command, EvaluateArgs, ListChecksArgs, OutputArgs, RunArgs, SelectionArgs, ValidateArgs};
use crate::error::Error;
use crate::evidence::{EvidenceError, HostRecord, SavedSet, Staging};
use crate::facts::plan;
use crate::gather::{self, Script};
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
use std::path::Path;
use std::sync::Arc;

/// How the console report may look.
#[derive(Clone, Copy, Debug)]
pub struct Terminal {
    pub color: bool,
}

/// Runs the command. `interrupt` is looked at while hosts are gathered: once
/// it is set, the hosts not finished are reported as interrupted (the
/// caller then exits with the signal's status); `evaluate` stops at once
/// and writes nothing.
pub fn execute(
    cli: Cli,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    stdout: &mut dyn Write,
    terminal: Terminal,
) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Run(args) => run(&args, transport, interrupt, stdout, terminal),
        Command::Evaluate(args) => evaluate(&args, interrupt, stdout, terminal),
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
    let hosts = inventory.select(&args.limit).map_err(Error::BadInput)?;
    let candidates = Arc::new(candidates(&args.selection)?);
    check_outputs(&args.output)?;
    let evidence = args.save_facts.as_deref().map(|dir| Staging::create(dir, started_at)).transpose()?.map(Arc::new);

    let progress = Arc::new(Progress::new(hosts.len(), !args.no_progress));
    let done = gather::gather_all(
        &hosts,
        transport,
        script(&candidates),
        usize::from(args.concurrency),
        Arc::clone(&progress),
        interrupt,
        audit_and_save(&candidates, evidence.clone()),
    );
    progress.finish();

    let (audited, records): (Vec<Audited>, Vec<Saved>) = done.into_iter().unzip();
    // Every host is done (or interrupted): the set is complete. A set that
    // cannot be written does not cost the reports; its error comes after them.
    let saved = evidence.map_or(Ok(()), |set| set.commit(records.into_iter().flatten().collect()));
    let report = assemble(started_at, &candidates, &args.selection, audited)?;
    let code = finish(report, &args.output, stdout, terminal)?;
    saved?;
    Ok(code)
}

/// A saved host's record for the index, when facts are saved.
type Saved = Option<Result<HostRecord, EvidenceError>>;

/// A host's work once its gathering ended, on its worker thread: audit it
/// under every candidate benchmark and save its facts, so that only its
/// results outlive it.
fn audit_and_save(candidates: &Arc<Candidates>, evidence: Option<Arc<Staging>>) -> gather::Finish<(Audited, Saved)> {
    let candidates = Arc::clone(candidates);
    Arc::new(move |host, gathering| {
        let identity = identity(host);
        let audited = audit::against_candidates(&identity, &gathering, &candidates);
        let saved = evidence.as_ref().map(|set| set.save(&identity, gathering));
        (audited, saved)
    })
}

/// The gathering script, with what every candidate benchmark needs gathered.
fn script(candidates: &Candidates) -> Script {
    let mut plan = plan::Plan::default();
    for benchmark in &candidates.benchmarks {
        plan.merge(&plan::for_benchmark(benchmark));
    }
    Script { text: crate::GATHER_SCRIPT.as_bytes(), args: plan.args() }
}

fn evaluate(
    args: &EvaluateArgs,
    interrupt: &Interrupt,
    stdout: &mut dyn Write,
    terminal: Terminal,
) -> Result<ExitCode, Error> {
    let started_at = now();
    let candidates = candidates(&args.selection)?;
    check_outputs(&args.output)?;
    let set = SavedSet::open(&args.facts)?;
    let mut audited = Vec::with_capacity(set.records().len());
    for record in set.records() {
        stop_if_interrupted(interrupt, set.dir())?;
        let (identity, gathering) = set.load(record)?;
        audited.push(audit::against_candidates(&identity, &gathering, &candidates));
    }
    stop_if_interrupted(interrupt, set.dir())?;
    let report = assemble(started_at, &candidates, &args.selection, audited)?;
    finish(report, &args.output, stdout, terminal)
}

/// `evaluate` contacts nothing, so a signal simply ends it, before anything is written.
fn stop_if_interrupted(interrupt: &Interrupt, dir: &Path) -> Result<(), Error> {
    match interrupt.signal_name() {
        Some(signal) => Err(EvidenceError::Interrupted { dir: dir.to_path_buf(), signal }.into()),
        None => Ok(()),
    }
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
        Ok(inventory) => text.push_str(&format!(
            "inventory {}: {} hosts, valid\n",
            args.inventory.display(),
            inventory.hosts.len()
        )),
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

/// The benchmarks `--benchmark` allows: the one named, or every built-in one for `auto`.
fn candidates(selection: &SelectionArgs) -> Result<Candidates, Error> {
    let benchmarks = if selection.benchmark == "auto" {
        benchmark::builtin_ids().iter().map(|id| load_benchmark(id)).collect::<Result<Vec<_>, _>>()?
    } else {
        vec![load_benchmark(&selection.benchmark)?]
    };
    // Check ids must mean something in every benchmark the run may choose.
    let selections = benchmarks
        .iter()
        .map(|b| Selection::new(b, &selection.check, &selection.skip).map_err(|e| Error::BadInput(e.join("\n"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Candidates { benchmarks, selections })
}

fn load_benchmark(id: &str) -> Result<Benchmark, Error> {
    if !benchmark::builtin_ids().contains(&id) {
        return Err(Error::BadInput(format!(
            "unknown benchmark {id:?}; known: {}, or auto",
            benchmark::builtin_ids().join(", ")
        )));
    }
    benchmark::load_builtin(id).map_err(|e| Error::BadInput(format!("{e}:\n{}", e.0.join("\n"))))
}

fn check_outputs(output: &OutputArgs) -> Result<(), Error> {
    for path in [&output.json, &output.junit].into_iter().flatten() {
        output::check_writable(path)?;
    }
    Ok(())
}

/// The report, once every host is audited: `--benchmark auto` chooses from
/// the versions the hosts reported, and each host's results under that
/// benchmark are kept.
fn assemble(
    started_at: DateTime<FixedOffset>,
    candidates: &Candidates,
    selection_args: &SelectionArgs,
    audited: Vec<Audited>,
) -> Result<Report, Error> {
    let (index, selected_by) = if selection_args.benchmark == "auto" {
        let seen: Vec<String> = audited.iter().filter_map(|a| a.kubernetes_version.clone()).collect();
        version::choose(&candidates.benchmarks, &seen).map_err(Error::UnsupportedVersion)?
    } else {
        (0, "--benchmark".to_string())
    };
    let benchmark = &candidates.benchmarks[index];
    let hosts = audited.into_iter().map(|mut host| host.reports.swap_remove(index)).collect();
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
            std::fs::write(tmp.path().join("known_hosts"), "").unwrap();
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
                let mut console = Vec::new();
                let code = execute(cli, transport, &interrupt, &mut console, Terminal { color: false });
                (code.map_err(|e| e.to_string()), String::from_utf8(console).unwrap())
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
        assert_eq!(code, Ok(ExitCode::Incomplete), "{console}");
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

//! Fans the work on each host out over the hosts: at most `concurrency`
//! hosts at once, each on its own thread (ssh2 is blocking, and each host's
//! deadline is enforced inside the transport), results returned in host
//! order whatever order the hosts finish in.
//!
//! A host's work is its gathering followed by what the caller does with it
//! (`finish`: evaluate it, save its facts), on the same worker thread, so
//! that a host's facts live only while its worker holds them: memory grows
//! with the concurrency, not with the fleet. A panic in one host's work
//! (a bug) makes that host an `internal` error and the worker goes on with
//! the next host.
//!
//! `gather_all` runs the gathering script and reads facts from it;
//! `run_all` runs any script with its own reader (check-access's probe,
//! `access/probe.rs`), through the same workers, deadlines and interrupt.
//!
//! The workers are detached threads that send each result over a channel,
//! so that an interrupt (`interrupt.rs`) ends the wait at once: no new host
//! is started, and every host not finished by then is reported as
//! `interrupted` while its thread is left to die with the process.

use crate::facts::{self, Facts};
use crate::interrupt::Interrupt;
use crate::inventory::Host;
use crate::progress::Progress;
use crate::transport::{Gathered, HostError, HostErrorKind, HostKeyInfo, Transport};
use chrono::{DateTime, FixedOffset};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the wait for results looks at the interrupt flag.
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// What gathering produced for one host: its facts, or for another script
/// (`access.rs`'s probe) what that script's output says.
#[derive(Clone, Debug)]
pub struct Gathering<T = Facts> {
    pub started_at: DateTime<FixedOffset>,
    pub duration: Duration,
    pub host_key: Option<HostKeyInfo>,
    pub result: Result<T, HostError>,
}

/// The script every host runs, and its arguments (the plan).
#[derive(Clone, Debug)]
pub struct Script {
    pub text: &'static [u8],
    pub args: Vec<String>,
}

/// What the caller does with a host's gathering once it ended (or once it
/// is known that it never will: interrupted, or a failed worker). Runs on a
/// worker thread, or on the caller's after an interrupt.
pub type Finish<R, T = Facts> = Arc<dyn Fn(&Host, Gathering<T>) -> R + Send + Sync>;

/// What a script's output becomes, once the transport returned it.
pub type Read<T> = fn(&Host, &Gathered) -> Result<T, HostError>;

/// When a host started, for the report of an interrupted one.
type Started = Option<(DateTime<FixedOffset>, Instant)>;

/// What every worker shares.
struct Shared<T, R> {
    hosts: Vec<Host>,
    transport: Arc<dyn Transport + Send>,
    script: Script,
    read: Read<T>,
    finish: Finish<R, T>,
    progress: Arc<Progress>,
    interrupt: Interrupt,
    next: AtomicUsize,
    started: Mutex<Vec<Started>>,
}

/// Gathers from every host and returns what `finish` made of each, in host order.
pub fn gather_all<R: Send + 'static>(
    hosts: &[&Host],
    transport: Arc<dyn Transport + Send>,
    script: Script,
    concurrency: usize,
    progress: Arc<Progress>,
    interrupt: &Interrupt,
    finish: Finish<R>,
) -> Vec<R> {
    run_all(hosts, transport, script, facts_from, concurrency, progress, interrupt, finish)
}

/// Runs `script` on every host as `gather_all` does, and `read` turns each
/// output into what `finish` is given.
#[allow(clippy::too_many_arguments)] // each is one of the fan-out's inputs; a struct would only rename them
pub fn run_all<T: 'static, R: Send + 'static>(
    hosts: &[&Host],
    transport: Arc<dyn Transport + Send>,
    script: Script,
    read: Read<T>,
    concurrency: usize,
    progress: Arc<Progress>,
    interrupt: &Interrupt,
    finish: Finish<R, T>,
) -> Vec<R> {
    let shared = Arc::new(Shared {
        hosts: hosts.iter().map(|h| (*h).clone()).collect(),
        transport,
        script,
        read,
        finish,
        progress,
        interrupt: interrupt.clone(),
        next: AtomicUsize::new(0),
        started: Mutex::new(vec![None; hosts.len()]),
    });
    let (sender, receiver) = mpsc::channel::<(usize, R)>();
    for _ in 0..concurrency.clamp(1, hosts.len().max(1)) {
        let shared = Arc::clone(&shared);
        let sender = sender.clone();
        std::thread::spawn(move || work(&shared, &sender));
    }
    drop(sender);

    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(hosts.len()).collect();
    let mut pending = hosts.len();
    while pending > 0 && interrupt.signal().is_none() {
        match receiver.recv_timeout(INTERRUPT_POLL) {
            Ok((index, result)) => {
                results[index] = Some(result);
                pending -= 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Every worker is gone; a host without a result is reported below.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Hosts that finished while the signal arrived still count.
    for (index, result) in receiver.try_iter() {
        results[index] = Some(result);
    }
    let started = lock(&shared.started).clone();
    results
        .into_iter()
        .zip(started)
        .zip(&shared.hosts)
        .map(|((result, started), host)| {
            result.unwrap_or_else(|| (shared.finish)(host, unfinished(host, started, interrupt)))
        })
        .collect()
}

/// Takes hosts one by one until none is left or the run is interrupted.
fn work<T, R>(shared: &Shared<T, R>, results: &mpsc::Sender<(usize, R)>) {
    while shared.interrupt.signal().is_none() {
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        let Some(host) = shared.hosts.get(index) else { break };
        let (started_at, clock) = (now(), Instant::now());
        lock(&shared.started)[index] = Some((started_at, clock));
        shared.progress.started(&host.name);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            let gathering = gather_one(host, shared.transport.as_ref(), &shared.script, shared.read);
            (shared.finish)(host, gathering)
        }))
        .unwrap_or_else(|payload| {
            (shared.finish)(host, internal_error(host, started_at, clock.elapsed(), payload.as_ref()))
        });
        shared.progress.finished(&host.name);
        // The receiver is gone only after an interrupt: nobody wants this result.
        if results.send((index, result)).is_err() {
            break;
        }
    }
}

/// A panic in one host's work poisons nothing the other hosts need: the
/// start times are plain data, so a poisoned lock is still read.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The gathering of a host whose work panicked: a bug in hardbench, never
/// a verdict on the host.
fn internal_error<T>(
    host: &Host,
    started_at: DateTime<FixedOffset>,
    duration: Duration,
    payload: &(dyn std::any::Any + Send),
) -> Gathering<T> {
    let what = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message");
    let message = format!(
        "internal error in hardbench while auditing {}: {what}; nothing from this host is evaluated \
         (this is a bug in hardbench, not a finding on the host)",
        host.name
    );
    Gathering { started_at, duration, host_key: None, result: Err(HostError::new(HostErrorKind::Internal, message)) }
}

/// The gathering of a host that did not finish: interrupted while in
/// flight, or never started.
fn unfinished<T>(host: &Host, started: Started, interrupt: &Interrupt) -> Gathering<T> {
    // Without a signal, the workers are gone: one panicked (its message is on stderr).
    let signal = interrupt.signal_name().unwrap_or("a failed worker thread");
    let (started_at, duration, message) = match started {
        Some((at, clock)) => (
            at,
            clock.elapsed(),
            format!("interrupted by {signal} while gathering from {}; nothing from this host is evaluated", host.name),
        ),
        None => (now(), Duration::ZERO, format!("interrupted by {signal} before {} was contacted", host.name)),
    };
    Gathering { started_at, duration, host_key: None, result: Err(HostError::new(HostErrorKind::Interrupted, message)) }
}

fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn gather_one<T>(host: &Host, transport: &dyn Transport, script: &Script, read: Read<T>) -> Gathering<T> {
    let started_at = now();
    let clock = Instant::now();
    // The raw stream is dropped here, as soon as it is parsed.
    let (host_key, result) = match transport.gather(host, script.text, &script.args) {
        Ok(gathered) => (gathered.host_key.clone(), read(host, &gathered)),
        Err(error) => (None, Err(error)),
    };
    Gathering { started_at, duration: clock.elapsed(), host_key, result }
}

/// Turns the script's output into facts; a script that failed as a whole,
/// or output that does not parse, is a host error.
fn facts_from(host: &Host, gathered: &Gathered) -> Result<Facts, HostError> {
    if gathered.exit_status != 0 {
        let stderr = String::from_utf8_lossy(&gathered.stderr);
        let first_line = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(HostError::new(
            HostErrorKind::Output,
            format!(
                "the gathering script failed on {} with exit status {}: {first_line}",
                host.name, gathered.exit_status
            ),
        ));
    }
    facts::parse::parse(&gathered.stdout).map_err(|error| {
        HostError::new(
            HostErrorKind::Parse,
            format!("the gathered output of {} is malformed: {error}", host.name),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Become, HostKeyPolicy};
    use std::path::PathBuf;

    /// Fails every host at once, except `slow`, which never answers in
    /// time, `boom`, whose gathering panics (a bug), and `facts`, which
    /// sends a valid empty stream.
    struct Fake;

    impl Transport for Fake {
        fn gather(&self, host: &Host, _: &[u8], _: &[String]) -> Result<Gathered, HostError> {
            match host.name.as_str() {
                "slow" => std::thread::sleep(Duration::from_secs(30)),
                "boom" => panic!("attempt to add with overflow"),
                "facts" => {
                    let stdout = format!("{}\nEND 0\n", facts::parse::HEADER).into_bytes();
                    return Ok(Gathered { stdout, stderr: Vec::new(), exit_status: 0, host_key: None });
                }
                _ => {}
            }
            Err(HostError::new(HostErrorKind::Connect, format!("{} refused", host.name)))
        }
    }

    fn host(name: &str) -> Host {
        Host {
            name: name.to_string(),
            address: "192.0.2.1".to_string(),
            port: 22,
            user: "audit".to_string(),
            identity_file: None,
            known_hosts: PathBuf::from("/dev/null"),
            host_key_policy: HostKeyPolicy::Strict,
            become_method: Become::Sudo,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(60),
            max_output: 1024,
            roles: None,
            proxy_jump: None,
        }
    }

    fn script() -> Script {
        Script { text: b"", args: Vec::new() }
    }

    /// Keeps each gathering as it is.
    fn keep() -> Finish<Gathering> {
        Arc::new(|_, gathering| gathering)
    }

    fn gather(names: &[&str], concurrency: usize, interrupt: &Interrupt, finish: Finish<Gathering>) -> Vec<Gathering> {
        let hosts: Vec<Host> = names.iter().map(|n| host(n)).collect();
        let hosts: Vec<&Host> = hosts.iter().collect();
        gather_all(&hosts, Arc::new(Fake), script(), concurrency, Arc::new(Progress::hidden()), interrupt, finish)
    }

    fn errors(gatherings: &[Gathering]) -> Vec<(HostErrorKind, String)> {
        gatherings
            .iter()
            .map(|g| g.result.clone().expect_err("the fake never gathers"))
            .map(|e| (e.kind, e.message))
            .collect()
    }

    #[test]
    fn an_interrupt_ends_the_wait_and_reports_the_unfinished_hosts() {
        let interrupt = Interrupt::never();
        let raiser = interrupt.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            raiser.raise(signal_hook::consts::SIGINT);
        });
        let clock = Instant::now();
        let gatherings = gather(&["fast", "slow", "later"], 1, &interrupt, keep());
        assert!(clock.elapsed() < Duration::from_secs(5), "took {:?}", clock.elapsed());
        assert_eq!(
            errors(&gatherings),
            [
                (HostErrorKind::Connect, "fast refused".to_string()),
                (
                    HostErrorKind::Interrupted,
                    "interrupted by SIGINT while gathering from slow; nothing from this host is evaluated".to_string()
                ),
                (HostErrorKind::Interrupted, "interrupted by SIGINT before later was contacted".to_string()),
            ]
        );
        assert!(gatherings[1].duration >= Duration::from_millis(250), "{:?}", gatherings[1].duration);
    }

    #[test]
    fn without_an_interrupt_every_host_is_gathered_in_host_order() {
        let gatherings = gather(&["a", "b", "c", "d"], 3, &Interrupt::never(), keep());
        let names: Vec<String> = errors(&gatherings).into_iter().map(|(_, m)| m).collect();
        assert_eq!(names, ["a refused", "b refused", "c refused", "d refused"]);
    }

    #[test]
    fn a_panic_in_one_hosts_work_is_that_hosts_error_and_the_next_host_is_still_audited() {
        // One worker: before the pool caught panics, it died with `boom`
        // and `after` was never contacted.
        // Evaluating `facts` panics too (what a bug in evaluation does).
        let finish: Finish<Gathering> = Arc::new(|_, gathering| {
            assert!(gathering.result.is_err(), "index out of bounds: the len is 0 but the index is 0");
            gathering
        });
        let gatherings = gather(&["before", "boom", "facts", "after"], 1, &Interrupt::never(), finish);
        let errors = errors(&gatherings);
        assert_eq!(errors[0], (HostErrorKind::Connect, "before refused".to_string()));
        assert_eq!(errors[3], (HostErrorKind::Connect, "after refused".to_string()));
        for (index, (host, cause)) in
            [(1, ("boom", "attempt to add with overflow")), (2, ("facts", "index out of bounds"))]
        {
            let (kind, message) = &errors[index];
            assert_eq!(*kind, HostErrorKind::Internal, "{message}");
            assert!(message.starts_with(&format!("internal error in hardbench while auditing {host}: ")), "{message}");
            assert!(message.contains(cause), "{message}");
            assert!(message.contains("not a finding on the host"), "{message}");
        }
    }

    #[test]
    fn a_host_is_finished_on_its_worker_as_soon_as_it_is_gathered() {
        // `slow` holds its worker for 30 s; `fast`'s work must be done
        // (finished, its gathering let go) long before.
        let (sender, receiver) = mpsc::channel::<String>();
        let sender = Mutex::new(sender);
        let finish: Finish<Gathering> = Arc::new(move |host, gathering| {
            lock(&sender).send(host.name.clone()).expect("the test listens");
            gathering
        });
        std::thread::spawn(move || gather(&["slow", "fast"], 2, &Interrupt::never(), finish));
        let first = receiver.recv_timeout(Duration::from_secs(10)).expect("fast is finished while slow is gathered");
        assert_eq!(first, "fast");
    }
}

//! Fans the gathering out over the hosts: at most `concurrency` hosts at
//! once, each on its own thread (ssh2 is blocking, and each host's deadline
//! is enforced inside the transport), results returned in host order
//! whatever order the hosts finish in.
//!
//! The workers are detached threads that send each result over a channel,
//! so that an interrupt (`interrupt.rs`) ends the wait at once: no new host
//! is started, and every host not finished by then is reported as
//! `interrupted` while its thread is left to die with the process.

use crate::facts::{self, Facts};
use crate::interrupt::Interrupt;
use crate::inventory::Host;
use crate::outcome::HostKeyInfo;
use crate::progress::Progress;
use crate::transport::{Gathered, HostError, HostErrorKind, Transport};
use chrono::{DateTime, FixedOffset};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the wait for results looks at the interrupt flag.
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// What gathering produced for one host.
#[derive(Clone, Debug)]
pub struct Gathering {
    pub started_at: DateTime<FixedOffset>,
    pub duration: Duration,
    pub host_key: Option<HostKeyInfo>,
    pub result: Result<Facts, HostError>,
}

/// What every worker shares.
struct Shared {
    hosts: Vec<Host>,
    transport: Arc<dyn Transport + Send>,
    script: &'static [u8],
    args: Vec<String>,
    progress: Arc<Progress>,
    interrupt: Interrupt,
    next: AtomicUsize,
    /// When each started host started, for the report of an interrupted one.
    started: Mutex<Vec<Option<Started>>>,
}

/// When a host's gathering started: the wall clock for the report, the
/// monotonic clock for its duration.
type Started = (DateTime<FixedOffset>, Instant);

pub fn gather_all(
    hosts: &[&Host],
    transport: Arc<dyn Transport + Send>,
    script: &'static [u8],
    args: &[String],
    concurrency: usize,
    progress: Arc<Progress>,
    interrupt: &Interrupt,
) -> Vec<Gathering> {
    let shared = Arc::new(Shared {
        hosts: hosts.iter().map(|h| (*h).clone()).collect(),
        transport,
        script,
        args: args.to_vec(),
        progress,
        interrupt: interrupt.clone(),
        next: AtomicUsize::new(0),
        started: Mutex::new(vec![None; hosts.len()]),
    });
    let (sender, receiver) = mpsc::channel::<(usize, Gathering)>();
    for _ in 0..concurrency.clamp(1, hosts.len().max(1)) {
        let shared = Arc::clone(&shared);
        let sender = sender.clone();
        std::thread::spawn(move || work(&shared, &sender));
    }
    drop(sender);

    let mut results: Vec<Option<Gathering>> = vec![None; hosts.len()];
    let mut pending = hosts.len();
    while pending > 0 && interrupt.signal().is_none() {
        match receiver.recv_timeout(INTERRUPT_POLL) {
            Ok((index, gathering)) => {
                results[index] = Some(gathering);
                pending -= 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Every worker is gone; a host without a result is reported below.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Hosts that finished while the signal arrived still count.
    for (index, gathering) in receiver.try_iter() {
        results[index] = Some(gathering);
    }
    let started = shared.started.lock().expect("never poisoned").clone();
    results
        .into_iter()
        .zip(started)
        .zip(hosts)
        .map(|((result, started), host)| result.unwrap_or_else(|| unfinished(host, started, interrupt)))
        .collect()
}

/// Takes hosts one by one until none is left or the run is interrupted.
fn work(shared: &Shared, results: &mpsc::Sender<(usize, Gathering)>) {
    while shared.interrupt.signal().is_none() {
        let index = shared.next.fetch_add(1, Ordering::SeqCst);
        let Some(host) = shared.hosts.get(index) else { break };
        shared.started.lock().expect("never poisoned")[index] = Some((now(), Instant::now()));
        shared.progress.started(&host.name);
        let gathering = gather_one(host, shared.transport.as_ref(), shared.script, &shared.args);
        shared.progress.finished(&host.name);
        // The receiver is gone only after an interrupt: nobody wants this result.
        if results.send((index, gathering)).is_err() {
            break;
        }
    }
}

/// The gathering of a host that did not finish: interrupted while in
/// flight, or never started.
fn unfinished(host: &Host, started: Option<(DateTime<FixedOffset>, Instant)>, interrupt: &Interrupt) -> Gathering {
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

fn gather_one(host: &Host, transport: &dyn Transport, script: &[u8], args: &[String]) -> Gathering {
    let started_at = now();
    let clock = Instant::now();
    let (host_key, result) = match transport.gather(host, script, args) {
        Ok(gathered) => (gathered.host_key.clone(), facts_from(host, &gathered)),
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

    /// Fails every host at once, except `slow`, which never answers in time.
    struct Fake;

    impl Transport for Fake {
        fn gather(&self, host: &Host, _: &[u8], _: &[String]) -> Result<Gathered, HostError> {
            if host.name == "slow" {
                std::thread::sleep(Duration::from_secs(30));
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
        }
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
        let hosts = [host("fast"), host("slow"), host("later")];
        let hosts: Vec<&Host> = hosts.iter().collect();
        let interrupt = Interrupt::never();
        let raiser = interrupt.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            raiser.raise(signal_hook::consts::SIGINT);
        });
        let clock = Instant::now();
        let gatherings = gather_all(&hosts, Arc::new(Fake), b"", &[], 1, Arc::new(Progress::hidden()), &interrupt);
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
        let hosts = [host("a"), host("b"), host("c"), host("d")];
        let hosts: Vec<&Host> = hosts.iter().collect();
        let gatherings =
            gather_all(&hosts, Arc::new(Fake), b"", &[], 3, Arc::new(Progress::hidden()), &Interrupt::never());
        let names: Vec<String> = errors(&gatherings).into_iter().map(|(_, m)| m).collect();
        assert_eq!(names, ["a refused", "b refused", "c refused", "d refused"]);
    }
}

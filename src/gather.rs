//! Fans the gathering out over the hosts: at most `concurrency` hosts at
//! once, each on its own thread (ssh2 is blocking, and each host's deadline
//! is enforced inside the transport), results returned in host order
//! whatever order the hosts finish in.

use crate::facts::{self, Facts};
use crate::inventory::Host;
use crate::outcome::HostKeyInfo;
use crate::progress::Progress;
use crate::transport::{Gathered, HostError, HostErrorKind, Transport};
use chrono::{DateTime, FixedOffset};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What gathering produced for one host.
#[derive(Clone, Debug)]
pub struct Gathering {
    pub started_at: DateTime<FixedOffset>,
    pub duration: Duration,
    pub host_key: Option<HostKeyInfo>,
    pub result: Result<Facts, HostError>,
}

pub fn gather_all(
    hosts: &[&Host],
    transport: &dyn Transport,
    script: &[u8],
    args: &[String],
    concurrency: usize,
    progress: &Progress,
) -> Vec<Gathering> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Gathering>>> = Mutex::new(vec![None; hosts.len()]);
    let workers = concurrency.clamp(1, hosts.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(host) = hosts.get(index) else { break };
                progress.started(&host.name);
                let gathering = gather_one(host, transport, script, args);
                progress.finished(&host.name);
                results.lock().expect("no worker panics while holding the lock")[index] = Some(gathering);
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panics while holding the lock")
        .into_iter()
        .map(|g| g.expect("every host index is taken by exactly one worker"))
        .collect()
}

fn gather_one(host: &Host, transport: &dyn Transport, script: &[u8], args: &[String]) -> Gathering {
    let started_at = chrono::Local::now().fixed_offset();
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

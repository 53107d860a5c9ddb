//! Ctrl-C (SIGINT) and SIGTERM, and what the process promises when they
//! arrive. Owns the one exit that does not go through `main`.
//!
//! The guarantee, in the order a run goes through:
//!
//! - **The first signal before the run's status is decided** only sets a
//!   flag: the gathering stops starting hosts and stops waiting for those in
//!   flight, the reports are written whole with the unfinished hosts as
//!   `interrupted`, and the status is 128 + the signal (130 for SIGINT, 143
//!   for SIGTERM), in the JSON report's `exit_code` as in the process's.
//! - **The status is decided once** (`Interrupt::decide`, at the start of
//!   writing the reports). A first signal after that changes nothing: the
//!   reports are written and the process exits with the decided status.
//! - **A second signal exits at once**, wherever it falls:
//!   - before the reports are published: every temporary file the run has
//!     open (`track`: reports, and the directory a saved-facts set is
//!     written into) is removed first, the previous reports stay as they
//!     were, and the status is 128 + that signal: no new report claims
//!     anything else;
//!   - while the reports are being published (`publish`: the renames of the
//!     temporary files onto their names, which take microseconds), it waits
//!     for the renames to end, so all the new reports are in place or none;
//!   - after they are published, it exits with the decided status, the one
//!     the new reports hold (a JSON report to standard output, written
//!     last, is then cut short).
//!
//! The second signal is handled on a thread of its own, not in the signal
//! handler: removing files and waiting on a lock are not allowed in a
//! handler. The handler only counts signals and wakes that thread.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The value of `Interrupt::signal` once the status is decided without a
/// signal: a signal that arrives later is not recorded.
const DECIDED: i32 = -1;

/// Which signal, if any, asked the run to stop. Cheap to clone; every clone
/// sees the same signal.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    /// 0: none yet; `DECIDED`; or the first signal's number.
    signal: Arc<AtomicI32>,
}

impl Interrupt {
    /// Never interrupted (tests, and commands that contact no host).
    pub fn never() -> Interrupt {
        Interrupt::default()
    }

    /// Handles SIGINT and SIGTERM from now on, as the module says.
    pub fn install() -> io::Result<Interrupt> {
        let interrupt = Interrupt::default();
        let (mut wake, waker) = UnixStream::pair()?;
        for signal in [SIGINT, SIGTERM] {
            let first = Arc::clone(&interrupt.signal);
            // SAFETY: the action only does atomic operations, which are
            // async-signal-safe.
            unsafe {
                signal_hook::low_level::register(signal, move || {
                    COUNT.fetch_add(1, Ordering::SeqCst);
                    LAST.store(signal, Ordering::SeqCst);
                    record(&first, signal);
                })?;
            }
            // Registered second, so it runs after the count is up: actions
            // run in the order of registration.
            signal_hook::low_level::pipe::register(signal, waker.try_clone()?)?;
        }
        std::thread::Builder::new().name("signals".into()).spawn(move || {
            let mut byte = [0u8];
            while wake.read(&mut byte).is_ok_and(|n| n == 1) {
                if COUNT.load(Ordering::SeqCst) >= 2 {
                    exit_now(signal_status(LAST.load(Ordering::SeqCst)));
                }
            }
        })?;
        Ok(interrupt)
    }

    /// Records `signal` as if it had arrived (for tests of what follows).
    pub fn raise(&self, signal: i32) {
        self.signal.store(signal, Ordering::SeqCst);
    }

    /// The signal that arrived before the status was decided, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            n if n > 0 => Some(n),
            _ => None,
        }
    }

    /// `SIGINT`, `SIGTERM`: how reports name the signal.
    pub fn signal_name(&self) -> Option<&'static str> {
        self.signal().map(signal_name)
    }

    /// Decides once whether the run was interrupted: returns the signal that
    /// arrived before now, and from now on no signal is recorded.
    pub fn decide(&self) -> Option<i32> {
        match self.signal.compare_exchange(0, DECIDED, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => None,
            Err(n) if n > 0 => Some(n),
            Err(_) => None,
        }
    }
}

/// `SIGINT`, `SIGTERM`: how reports name a signal.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// The conventional exit status after `signal`: 128 + its number.
pub fn signal_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// What a second signal must do, shared by the signal thread and the
/// writers of reports: process-wide, as signals are.
struct Exit {
    /// Temporary files to remove before an exit at once.
    temporaries: Vec<PathBuf>,
    /// The decided status, once the reports holding it are published.
    published: Option<u8>,
}

static EXIT: Mutex<Exit> = Mutex::new(Exit { temporaries: Vec::new(), published: None });

fn exit_state() -> MutexGuard<'static, Exit> {
    // A panic elsewhere while holding the lock leaves the list usable.
    EXIT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Creates a temporary file with `create` (which returns it and its path)
/// and records it, so that an exit at once removes it; no signal can fall
/// between the two. `untrack` it once it is renamed or removed.
pub fn track<T>(create: impl FnOnce() -> io::Result<(T, PathBuf)>) -> io::Result<T> {
    let mut exit = exit_state();
    let (file, path) = create()?;
    exit.temporaries.push(path);
    Ok(file)
}

/// Removes `remove` (a tracked temporary file) and forgets it.
pub fn untrack(remove: impl FnOnce() -> io::Result<()>, path: &Path) -> io::Result<()> {
    let mut exit = exit_state();
    let result = remove();
    exit.temporaries.retain(|p| p != path);
    result
}

/// Runs `publish`, which renames tracked temporary files onto the reports'
/// names, so that a second signal waits for all of it; from then on a
/// second signal exits with the status `publish` returns.
pub fn publish(publish: impl FnOnce(&mut Publishing) -> u8) -> u8 {
    let mut publishing = Publishing { exit: exit_state() };
    let status = publish(&mut publishing);
    publishing.exit.published = Some(status);
    status
}

/// The lock `publish` holds while it renames; says which temporary files
/// are gone.
pub struct Publishing {
    exit: MutexGuard<'static, Exit>,
}

impl Publishing {
    /// `path`, a tracked temporary file, was renamed or removed.
    pub fn forget(&mut self, path: &Path) {
        self.exit.temporaries.retain(|p| p != path);
    }
}

/// Changes the status a second signal exits with, after `publish`: for a
/// report written to standard output after the files were published.
pub fn republish(status: u8) {
    exit_state().published = Some(status);
}

/// How many signals arrived, and the latest one: the signal handler's
/// record for the signals thread (the wake-up byte does not say which).
static COUNT: AtomicUsize = AtomicUsize::new(0);
static LAST: AtomicI32 = AtomicI32::new(0);

/// The signal handler's part: the first signal is recorded unless the
/// status is decided already.
fn record(first: &AtomicI32, signal: i32) {
    let _ = first.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

/// The exit at once of a second signal (see the module).
fn exit_now(unpublished_status: u8) -> ! {
    let exit = exit_state();
    for path in &exit.temporaries {
        // A file, or the directory a saved-facts set is written into.
        if std::fs::remove_file(path).is_err() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
    let status = i32::from(exit.published.unwrap_or(unpublished_status));
    // SAFETY: `_exit` ends the process without running destructors or
    // flushing, which is what "at once" means; the lock stays held so that
    // no report is published meanwhile.
    unsafe { libc::_exit(status) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_is_128_plus_the_signal() {
        #[track_caller]
        fn case(signal: Option<i32>, name: Option<&str>, status: Option<u8>) {
            let interrupt = Interrupt::never();
            if let Some(signal) = signal {
                interrupt.clone().raise(signal);
            }
            assert_eq!(interrupt.signal(), signal);
            assert_eq!(interrupt.signal_name(), name);
            assert_eq!(signal.map(signal_status), status);
        }
        case(None, None, None);
        case(Some(SIGINT), Some("SIGINT"), Some(130));
        case(Some(SIGTERM), Some("SIGTERM"), Some(143));
    }

    #[test]
    fn a_signal_after_the_decision_is_not_recorded() {
        let interrupt = Interrupt::never();
        assert_eq!(interrupt.decide(), None);
        record(&interrupt.signal, SIGTERM);
        assert_eq!(interrupt.signal(), None);
        assert_eq!(interrupt.decide(), None);

        let interrupted = Interrupt::never();
        record(&interrupted.signal, SIGINT);
        record(&interrupted.signal, SIGTERM);
        assert_eq!(interrupted.decide(), Some(SIGINT));
        assert_eq!(interrupted.signal(), Some(SIGINT));
    }
}

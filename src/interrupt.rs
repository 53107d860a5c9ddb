//! Ctrl-C (SIGINT) and SIGTERM during a run. The first signal only sets a
//! flag: the gathering stops starting hosts and stops waiting for those in
//! flight, the reports are written whole with the unfinished hosts as
//! `interrupted`, and the process exits 128 + the signal number. A second
//! signal exits at once with that status; the reports are written
//! atomically, so it can leave the previous file, never a truncated one.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Which signal, if any, asked the run to stop. Cheap to clone; every clone
/// sees the same signal.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Never interrupted (tests, and commands that contact no host).
    pub fn never() -> Interrupt {
        Interrupt::default()
    }

    /// Handles SIGINT and SIGTERM from now on, as the module says.
    pub fn install() -> std::io::Result<Interrupt> {
        let interrupt = Interrupt::default();
        let armed = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Order matters: the shutdown sees `armed` before this signal sets it.
            signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&armed))?;
            signal_hook::flag::register(signal, Arc::clone(&armed))?;
            let value = usize::try_from(signal).expect("signal numbers are positive");
            signal_hook::flag::register_usize(signal, Arc::clone(&interrupt.signal), value)?;
        }
        Ok(interrupt)
    }

    /// Records `signal` as if it had arrived (for tests of what follows).
    pub fn raise(&self, signal: i32) {
        let value = usize::try_from(signal).expect("signal numbers are positive");
        self.signal.store(value, Ordering::SeqCst);
    }

    /// The signal that arrived, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            n => i32::try_from(n).ok(),
        }
    }

    /// `SIGINT`, `SIGTERM`: how reports name the signal.
    pub fn signal_name(&self) -> Option<&'static str> {
        self.signal().map(|signal| match signal {
            SIGINT => "SIGINT",
            SIGTERM => "SIGTERM",
            _ => "a signal",
        })
    }

    /// The conventional exit status after the signal: 128 + its number
    /// (130 for SIGINT, 143 for SIGTERM).
    pub fn exit_status(&self) -> Option<u8> {
        self.signal().and_then(|signal| u8::try_from(128 + signal).ok())
    }
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
            assert_eq!(interrupt.exit_status(), status);
        }
        case(None, None, None);
        case(Some(SIGINT), Some("SIGINT"), Some(130));
        case(Some(SIGTERM), Some("SIGTERM"), Some(143));
    }
}

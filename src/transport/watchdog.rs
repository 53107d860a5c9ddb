//! A deadline that holds whatever libssh2 is doing: a thread of its own
//! shuts the connection's socket down (both directions) the moment the
//! deadline passes. libssh2 loops internally while the peer keeps sending
//! (banner lines, packets it ignores, a trickle that resets each wait's
//! timeout), so checks between calls cannot bound a call; a dead socket ends
//! every such loop with a read of 0 bytes or a failed write. The remote side
//! sees the connection close at once: sshd ends the session, the remote
//! script reads EOF on its stdin and gets SIGPIPE on its next write.
//!
//! The watchdog shuts down its own duplicate of the socket, so it can never
//! act on a descriptor number that the connection has closed and another
//! one reused. The socket is a TCP connection, or for a host behind a jump
//! host the local end of its relay (relay.rs): shutting that down ends the
//! session over it the same way.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

struct State {
    deadline: Instant,
    cancelled: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// Shuts `socket` down at the deadline unless dropped first.
pub struct Watchdog {
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Watch `socket` (a connection's stream; the watchdog keeps a
    /// duplicate of it) until `deadline`.
    pub fn start(socket: BorrowedFd<'_>, deadline: Instant) -> io::Result<Watchdog> {
        let socket = socket.try_clone_to_owned()?;
        let shared: Shared = Arc::new((
            Mutex::new(State {
                deadline,
                cancelled: false,
            }),
            Condvar::new(),
        ));
        let watched = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("hardbench-deadline".to_string())
            .spawn(move || watch(&watched, &socket))?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    /// Move the deadline (the command phase has its own).
    pub fn rearm(&self, deadline: Instant) {
        let (state, wake) = &*self.shared;
        lock(state).deadline = deadline;
        wake.notify_one();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (state, wake) = &*self.shared;
        lock(state).cancelled = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            // The thread only waits on the condition variable: it ends at once.
            let _ = thread.join();
        }
    }
}

/// Nothing panics while holding the lock, and the state stays valid if
/// something did.
fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn watch(shared: &Shared, socket: &OwnedFd) {
    let (state, wake) = &**shared;
    let mut guard = lock(state);
    loop {
        if guard.cancelled {
            return;
        }
        let now = Instant::now();
        if now >= guard.deadline {
            // The peer may have closed already; nothing else to do then.
            // SAFETY: shutdown on a descriptor this thread owns.
            unsafe { libc::shutdown(socket.as_raw_fd(), libc::SHUT_RDWR) };
            return;
        }
        let wait = guard.deadline - now;
        guard = wake
            .wait_timeout(guard, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsFd;
    use std::time::Duration;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn a_blocked_read_ends_at_the_deadline() {
        let (mut client, _server) = pair();
        let start = Instant::now();
        let watchdog = Watchdog::start(client.as_fd(), start + Duration::from_millis(200)).unwrap();
        let mut buf = [0u8; 1];
        // Blocks until the watchdog shuts the socket down: then EOF.
        assert_eq!(client.read(&mut buf).unwrap(), 0);
        assert!(start.elapsed() >= Duration::from_millis(200), "{:?}", start.elapsed());
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
        drop(watchdog);
    }

    #[test]
    fn a_rearmed_or_dropped_watchdog_leaves_the_socket_alone() {
        let (mut client, mut server) = pair();
        let watchdog = Watchdog::start(client.as_fd(), Instant::now() + Duration::from_millis(50)).unwrap();
        watchdog.rearm(Instant::now() + Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(150));
        drop(watchdog);
        std::io::Write::write_all(&mut server, b"x").unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).unwrap(), 1);
    }
}

//! A deadline that holds whatever libssh2 is doing: a thread
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
//!
//! One thread watches every connection of the process (started with the
//! first), rather than a thread per host: a thread's start and end cost
//! the client a dozen system calls and a stack for each host. It acts under
//! the lock that `Drop` takes, so a dropped watchdog's socket is never shut
//! down.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// A socket to shut down at its deadline.
struct Watched {
    id: u64,
    deadline: Instant,
    socket: OwnedFd,
}

/// Every watched socket, and whether the thread that watches them runs.
struct State {
    watched: Vec<Watched>,
    next_id: u64,
    running: bool,
}

/// The process's watched sockets, and the deadline thread's wake-up (a new
/// or moved deadline).
static STATE: Mutex<State> = Mutex::new(State { watched: Vec::new(), next_id: 0, running: false });
static WAKE: Condvar = Condvar::new();

/// Shuts `socket` down at the deadline unless dropped first.
pub struct Watchdog {
    id: u64,
}

impl Watchdog {
    /// Watch `socket` (a connection's stream; the watchdog keeps a
    /// duplicate of it) until `deadline`.
    pub fn start(socket: BorrowedFd<'_>, deadline: Instant) -> io::Result<Watchdog> {
        let socket = socket.try_clone_to_owned()?;
        let mut state = lock();
        if !state.running {
            std::thread::Builder::new()
                .name("hardbench-deadline".to_string())
                .spawn(watch)?;
            state.running = true;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.watched.push(Watched { id, deadline, socket });
        WAKE.notify_one();
        Ok(Watchdog { id })
    }

    /// Move the deadline (the command phase has its own).
    pub fn rearm(&self, deadline: Instant) {
        let mut state = lock();
        if let Some(watched) = state.watched.iter_mut().find(|w| w.id == self.id) {
            watched.deadline = deadline;
        }
        WAKE.notify_one();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Closes the duplicate; the thread wakes at the deadline it waited
        // for, finds nothing due, and waits for the next.
        lock().watched.retain(|w| w.id != self.id);
    }
}

/// Nothing panics while holding the lock, and the state stays valid if
/// something did.
fn lock() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The deadline thread: shuts each socket down once its deadline passed,
/// and sleeps until the next one. It lives as long as the process.
fn watch() {
    let mut state = lock();
    loop {
        let now = Instant::now();
        state.watched.retain(|watched| {
            if now < watched.deadline {
                return true;
            }
            // The peer may have closed already; nothing else to do then.
            // SAFETY: shutdown on a descriptor this list owns.
            unsafe { libc::shutdown(watched.socket.as_raw_fd(), libc::SHUT_RDWR) };
            false
        });
        state = match state.watched.iter().map(|w| w.deadline).min() {
            Some(next) => WAKE.wait_timeout(state, next - now).unwrap_or_else(PoisonError::into_inner).0,
            None => WAKE.wait(state).unwrap_or_else(PoisonError::into_inner),
        };
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

    /// The threads of this process named as the deadline thread is (Linux
    /// keeps the first 15 bytes of a thread's name), once one is: a thread
    /// names itself when it starts.
    fn deadline_threads() -> usize {
        let count = || {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .filter(|comm| comm.trim_end() == &"hardbench-deadline"[..15])
                .count()
        };
        let start = Instant::now();
        while count() == 0 && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Any other thread started with the first has named itself too.
        std::thread::sleep(Duration::from_millis(50));
        count()
    }

    /// Connections watched at once each end at their own deadline, all
    /// watched by one thread; a dropped one is left alone.
    #[test]
    fn one_thread_watches_every_connection_each_to_its_own_deadline() {
        let start = Instant::now();
        let pairs: Vec<_> = (0..12).map(|_| pair()).collect();
        let mut watchdogs: Vec<_> = pairs
            .iter()
            .enumerate()
            .map(|(i, (client, _))| {
                let deadline = start + Duration::from_millis(if i % 2 == 0 { 150 } else { 400 });
                Watchdog::start(client.as_fd(), deadline).unwrap()
            })
            .collect();
        assert_eq!(deadline_threads(), 1);
        // The last one is dropped before its deadline.
        drop(watchdogs.pop());
        let mut buf = [0u8; 1];
        for (i, (client, _)) in pairs.iter().enumerate().take(11) {
            let mut client = client;
            assert_eq!(client.read(&mut buf).unwrap(), 0, "connection {i}");
            let due = Duration::from_millis(if i % 2 == 0 { 150 } else { 400 });
            assert!(start.elapsed() >= due, "connection {i} ended at {:?}", start.elapsed());
        }
        assert!(start.elapsed() < Duration::from_secs(3), "{:?}", start.elapsed());
        let (mut last, mut server) = (&pairs[11].0, &pairs[11].1);
        std::io::Write::write_all(&mut server, b"x").unwrap();
        assert_eq!(last.read(&mut buf).unwrap(), 1);
        drop(watchdogs);
    }
}

//! The pump of one jump-host session: one thread that owns the session and
//! carries every connection made through it. libssh2 runs a session over a
//! socket, so a host behind the jump host gets the local end of a
//! socketpair, and the pump copies bytes between the other end and a
//! `direct-tcpip` channel of the jump session, for all its channels at once,
//! non-blocking, in one `poll` loop (the jump session is never touched by two
//! threads).
//!
//! Flow control is the channels' own: the pump reads a channel only when
//! what it read before has been written to the local end, and libssh2 grows
//! a channel's receive window only as it is read, so a host that does not
//! read stops its own channel and no other. A local end that closes (the
//! session over it ended, or its deadline shut it down) closes its channel
//! once what it sent has gone; a channel the far side closes shuts the local
//! end for writing, so the session over it reads EOF. Only the channel ends:
//! the jump session carries on for the other hosts.
//!
//! Channels are opened one at a time, in the order asked (libssh2 keeps one
//! open in progress per session). Whoever asked waits only until its own
//! deadline; a channel opened after that is closed at once. When the jump
//! session itself fails, every local end is closed and every waiting and
//! later request is told why.

use ssh2::{BlockDirections, Channel, ErrorCode, Session};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const LIBSSH2_ERROR_EAGAIN: i32 = -37;
/// How much one copy step moves; a channel's packets are at most 32 KiB.
const CHUNK: usize = 32 * 1024;
/// The longest the pump sleeps without being woken: a safety net only.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Why a connection through the jump host was not opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The jump host answered the channel request with a refusal (its sshd
    /// could not connect, or forwarding is not allowed there).
    #[error("the jump host refused to open a connection: {0}")]
    Refused(String),
    /// The jump session is gone.
    #[error("the connection to the jump host was lost: {0}")]
    Lost(String),
    #[error("no connection through the jump host before the deadline")]
    Timeout,
    /// The bastion could not make the local socketpair.
    #[error("cannot make a local socket pair for the connection: {0}")]
    Local(String),
}

/// A request to open a connection to `host`:`port` from the jump host.
struct Request {
    host: String,
    port: u16,
    reply: Sender<Result<UnixStream, OpenError>>,
}

/// The handle of a running pump. Dropping it ends the jump session.
pub struct Relay {
    requests: Option<Sender<Request>>,
    /// A byte written here wakes the pump from its `poll`.
    wake: UnixStream,
    /// Why the jump session ended, once it has.
    lost: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("lost", &*lock(&self.lost)).finish_non_exhaustive()
    }
}

impl Relay {
    /// Pumps `session`, authenticated over `socket` (the descriptor libssh2
    /// was given), from now on on a thread of its own.
    pub fn start(session: Session, socket: RawFd) -> io::Result<Relay> {
        let (requests, incoming) = mpsc::channel();
        let (wake, woken) = UnixStream::pair()?;
        woken.set_nonblocking(true)?;
        wake.set_nonblocking(true)?;
        let lost = Arc::new(Mutex::new(None));
        let pump = Pump {
            session,
            socket,
            lost: Arc::clone(&lost),
            pair: None,
            woken,
            incoming,
            queue: VecDeque::new(),
            pipes: Vec::new(),
            buf: vec![0; CHUNK],
        };
        let thread = std::thread::Builder::new()
            .name("hardbench-jump".to_string())
            .spawn(move || pump.run())?;
        Ok(Relay { requests: Some(requests), wake, lost, thread: Some(thread) })
    }

    /// A connection from the jump host to `host`:`port`, as the local end
    /// of a socketpair, by `deadline`.
    pub fn open(&self, host: &str, port: u16, deadline: Instant) -> Result<UnixStream, OpenError> {
        let lost = || OpenError::Lost(lock(&self.lost).clone().unwrap_or_else(|| "the relay stopped".to_string()));
        let (reply, answer) = mpsc::channel();
        let request = Request { host: host.to_string(), port, reply };
        let Some(requests) = &self.requests else { return Err(lost()) };
        if requests.send(request).is_err() {
            return Err(lost());
        }
        self.poke();
        match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(OpenError::Timeout),
            // The pump ended without answering: the session is gone.
            Err(RecvTimeoutError::Disconnected) => Err(lost()),
        }
    }

    /// Why the jump session ended, once it has.
    pub fn lost(&self) -> Option<String> {
        lock(&self.lost).clone()
    }

    fn poke(&self) {
        // A full pipe already holds a wake-up; a closed one has no reader.
        let _ = (&self.wake).write(&[1]);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.requests = None;
        self.poke();
        if let Some(thread) = self.thread.take() {
            // The pump never blocks in libssh2 and wakes on the poke: it
            // ends at once.
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Bytes read from one side and not yet written to the other.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    sent: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.sent == self.bytes.len()
    }

    fn fill(&mut self, bytes: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        self.sent = 0;
    }

    fn rest(&self) -> &[u8] {
        &self.bytes[self.sent..]
    }

    fn clear(&mut self) {
        self.sent = self.bytes.len();
    }
}

/// One connection: a channel of the jump session and the local end.
struct Pipe {
    channel: Channel,
    local: UnixStream,
    /// From the local end, for the channel.
    up: Pending,
    /// From the channel, for the local end.
    down: Pending,
    /// The local end sent its last byte (or is gone).
    local_done: bool,
    /// The channel sent its last byte; the local end was shut for writing.
    remote_done: bool,
    /// The channel is closed on both sides: the pipe can go.
    closed: bool,
}

/// What went wrong on a channel: its own end, or the whole session.
enum Failure {
    Channel,
    Session(String),
}

fn classify(e: &ssh2::Error) -> Failure {
    match e.code() {
        // LIBSSH2_ERROR_SOCKET_SEND, _SOCKET_DISCONNECT, _SOCKET_TIMEOUT,
        // _SOCKET_RECV, _PROTO, _TIMEOUT: the transport is broken.
        ErrorCode::Session(-7 | -9 | -13 | -14 | -30 | -43) => Failure::Session(e.message().to_string()),
        _ => Failure::Channel,
    }
}

fn would_block(e: &ssh2::Error) -> bool {
    e.code() == ErrorCode::Session(LIBSSH2_ERROR_EAGAIN)
}

/// What failed when a channel read or write did: ssh2 keeps only the
/// message in the io::Error, so the code is asked of the session.
fn channel_failure(session: &Session) -> Failure {
    match ssh2::Error::last_session_error(session) {
        Some(e) => classify(&e),
        None => Failure::Channel,
    }
}

impl Pipe {
    /// Moves what can be moved now, without blocking. Returns whether
    /// anything moved.
    fn pump(&mut self, session: &Session, buf: &mut [u8]) -> Result<bool, String> {
        let mut progress = false;
        // Channel to local end: read more only once the last read is out.
        if self.down.is_empty() && !self.remote_done {
            match self.channel.read(buf) {
                Ok(0) if self.channel.eof() => {
                    self.remote_done = true;
                    let _ = self.local.shutdown(Shutdown::Write);
                    progress = true;
                }
                Ok(0) => {}
                Ok(n) => {
                    self.down.fill(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => self.channel_failed(channel_failure(session))?,
            }
        }
        if !self.down.is_empty() {
            match self.local.write(self.down.rest()) {
                Ok(n) => {
                    self.down.sent += n;
                    progress |= n > 0;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // Nobody reads the local end any more: drop what is left.
                Err(_) => {
                    self.down.clear();
                    self.local_done = true;
                    progress = true;
                }
            }
        }
        // Local end to channel: the same, the other way.
        if self.up.is_empty() && !self.local_done {
            match self.local.read(buf) {
                Ok(n) if n > 0 => {
                    self.up.fill(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // EOF, or the local end is gone: nothing more to send.
                _ => {
                    self.local_done = true;
                    progress = true;
                }
            }
        }
        if !self.up.is_empty() {
            if self.remote_done || self.closed {
                // The far side is gone: nothing more can be sent.
                self.up.clear();
            } else {
                match self.channel.write(self.up.rest()) {
                    Ok(n) => {
                        self.up.sent += n;
                        progress |= n > 0;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => self.channel_failed(channel_failure(session))?,
                }
            }
        }
        if self.local_done && self.up.is_empty() && !self.closed {
            match self.channel.close() {
                Ok(()) => {
                    self.closed = true;
                    progress = true;
                }
                Err(e) if would_block(&e) => {}
                Err(e) => match classify(&e) {
                    Failure::Session(why) => return Err(why),
                    Failure::Channel => {
                        self.closed = true;
                        progress = true;
                    }
                },
            }
        }
        Ok(progress)
    }

    /// A channel that failed on its own ends as if the far side closed it.
    fn channel_failed(&mut self, failure: Failure) -> Result<(), String> {
        match failure {
            Failure::Session(why) => Err(why),
            Failure::Channel => {
                self.remote_done = true;
                self.down.clear();
                self.up.clear();
                let _ = self.local.shutdown(Shutdown::Both);
                self.local_done = true;
                Ok(())
            }
        }
    }

    /// Whether the next pass would call libssh2 in a way that reads the
    /// session's socket (reading, writing or closing the channel): only
    /// then is the socket worth waking for, or unread input would wake the
    /// pump again and again.
    fn drives_session(&self) -> bool {
        (self.down.is_empty() && !self.remote_done) || !self.up.is_empty() || (self.local_done && !self.closed)
    }
}

struct Pump {
    session: Session,
    socket: RawFd,
    /// Where the relay learns why the session ended.
    lost: Arc<Mutex<Option<String>>>,
    /// The socketpair for the open in progress, made before the channel is
    /// asked for, so that a bastion out of descriptors refuses the request
    /// instead of stranding an open channel.
    pair: Option<(UnixStream, UnixStream)>,
    woken: UnixStream,
    incoming: Receiver<Request>,
    queue: VecDeque<Request>,
    pipes: Vec<Pipe>,
    buf: Vec<u8>,
}

impl Pump {
    /// Runs until the relay is dropped or the session fails.
    fn run(mut self) {
        self.session.set_blocking(false);
        loop {
            if !self.take_requests() {
                break;
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => self.wait(),
                Err(why) => {
                    // Said before anything is dropped: a requester that sees
                    // its request dropped reads why.
                    *lock(&self.lost) = Some(why.clone());
                    for request in self.queue.drain(..) {
                        let _ = request.reply.send(Err(OpenError::Lost(why.clone())));
                    }
                    // Every local end closes with the pipes: the sessions
                    // over them see EOF at once.
                    return;
                }
            }
        }
        *lock(&self.lost) = Some("the jump connection was closed".to_string());
        self.session.set_blocking(true);
        self.session.set_timeout(1000);
        let _ = self.session.disconnect(None, "hardbench done", None);
    }

    /// Takes new requests; `false` once the relay was dropped.
    fn take_requests(&mut self) -> bool {
        let mut sink = [0u8; 64];
        while matches!((&self.woken).read(&mut sink), Ok(n) if n > 0) {}
        loop {
            match self.incoming.try_recv() {
                Ok(request) => self.queue.push_back(request),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
    }

    /// One pass over the open in progress and every pipe.
    fn step(&mut self) -> Result<bool, String> {
        let mut progress = false;
        while let Some(request) = self.queue.front() {
            if self.pair.is_none() {
                match UnixStream::pair().and_then(|(ours, theirs)| ours.set_nonblocking(true).map(|()| (ours, theirs))) {
                    Ok(pair) => self.pair = Some(pair),
                    Err(e) => {
                        let request = self.queue.pop_front().expect("the front request");
                        let _ = request.reply.send(Err(OpenError::Local(e.to_string())));
                        progress = true;
                        continue;
                    }
                }
            }
            let opened = self.session.channel_direct_tcpip(&request.host, request.port, None);
            if matches!(&opened, Err(e) if would_block(e)) {
                break;
            }
            let request = self.queue.pop_front().expect("the front request");
            progress = true;
            match opened {
                Err(e) => match classify(&e) {
                    Failure::Session(why) => {
                        let _ = request.reply.send(Err(OpenError::Lost(why.clone())));
                        return Err(why);
                    }
                    Failure::Channel => {
                        let _ = request.reply.send(Err(OpenError::Refused(e.message().to_string())));
                    }
                },
                Ok(channel) => {
                    let (ours, theirs) = self.pair.take().expect("made before the open");
                    // A requester that gave up (its deadline passed) has
                    // dropped its receiver: the channel is closed at once.
                    let gave_up = request.reply.send(Ok(theirs)).is_err();
                    self.pipes.push(Pipe {
                        channel,
                        local: ours,
                        up: Pending::default(),
                        down: Pending::default(),
                        local_done: gave_up,
                        remote_done: gave_up,
                        closed: false,
                    });
                }
            }
        }
        let buf = &mut self.buf;
        for pipe in &mut self.pipes {
            progress |= pipe.pump(&self.session, buf)?;
        }
        self.pipes.retain(|pipe| !pipe.closed);
        Ok(progress)
    }

    /// Sleeps until the session's socket, a local end or a request needs
    /// the pump.
    fn wait(&self) {
        let mut fds = Vec::with_capacity(self.pipes.len() + 2);
        fds.push(libc::pollfd { fd: self.woken.as_raw_fd(), events: libc::POLLIN, revents: 0 });
        let mut socket_events = 0;
        if !self.queue.is_empty() || self.pipes.iter().any(Pipe::drives_session) {
            socket_events |= libc::POLLIN;
        }
        if matches!(self.session.block_directions(), BlockDirections::Outbound | BlockDirections::Both) {
            socket_events |= libc::POLLOUT;
        }
        fds.push(libc::pollfd { fd: self.socket, events: socket_events, revents: 0 });
        for pipe in &self.pipes {
            let mut events = 0;
            if pipe.up.is_empty() && !pipe.local_done {
                events |= libc::POLLIN;
            }
            if !pipe.down.is_empty() {
                events |= libc::POLLOUT;
            }
            fds.push(libc::pollfd { fd: pipe.local.as_raw_fd(), events, revents: 0 });
        }
        let ms = i32::try_from(IDLE_POLL.as_millis()).unwrap_or(i32::MAX);
        let nfds = libc::nfds_t::try_from(fds.len()).unwrap_or(libc::nfds_t::MAX);
        // SAFETY: `fds` is a valid array of `nfds` pollfds for the duration of the call.
        unsafe { libc::poll(fds.as_mut_ptr(), nfds, ms) };
    }
}

//! The server's identification (RFC 4253 4.2), waited for by us before the
//! socket is handed to libssh2. libssh2 reads it one byte at a time in a loop
//! that never looks at a clock: a peer that sends text lines forever, or
//! bytes without a newline, kept it spinning at full CPU with no end.
//!
//! Here every wait is a `poll` bounded by the connect deadline, and the
//! limits are OpenSSH's own (`kex.c`): at most 1024 lines before the
//! identification, each at most 8192 bytes. Lines before it (which the RFC
//! allows) are consumed; the `SSH-` line itself is only peeked (`MSG_PEEK`),
//! so libssh2 reads it as usual and it enters the key exchange hash.

use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::io::AsRawFd;
use std::time::{Duration, Instant};

/// OpenSSH's SSH_MAX_PRE_BANNER_LINES.
pub const MAX_LINES: usize = 1024;
/// OpenSSH's SSH_MAX_BANNER_LEN; also the size of libssh2's banner buffer.
pub const MAX_LINE: usize = 8192;
/// How long to wait before peeking again at a line that is not complete
/// yet: its bytes stay in the socket, so `poll` would report them at once.
const INCOMPLETE_LINE_PAUSE: Duration = Duration::from_millis(10);

/// Why the server did not identify itself.
#[derive(Debug, thiserror::Error)]
pub enum BannerError {
    #[error("no SSH identification in time")]
    Timeout,
    #[error("the connection closed before the server identified itself (after {lines} other lines)")]
    Closed { lines: usize },
    #[error("{MAX_LINES} lines without an SSH identification (not an SSH server?)")]
    TooManyLines,
    #[error("a line longer than {MAX_LINE} bytes before the SSH identification (not an SSH server?)")]
    LineTooLong,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// What the bytes at the head of the socket are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Head {
    /// The identification line, complete: leave it for libssh2.
    Identification,
    /// Another complete line of this many bytes (newline included).
    OtherLine(usize),
    /// Not a complete line yet.
    Incomplete,
    /// A line over MAX_LINE bytes.
    TooLong,
}

fn head(bytes: &[u8]) -> Head {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(end) if end >= MAX_LINE => Head::TooLong,
        Some(_) if bytes.starts_with(b"SSH-") => Head::Identification,
        Some(end) => Head::OtherLine(end + 1),
        None if bytes.len() >= MAX_LINE => Head::TooLong,
        None => Head::Incomplete,
    }
}

/// Wait until the next bytes on `socket` are a complete `SSH-` line, before
/// `deadline`.
pub fn await_identification(socket: BorrowedFd<'_>, deadline: Instant) -> Result<(), BannerError> {
    let mut buf = vec![0u8; MAX_LINE];
    let mut lines = 0;
    loop {
        wait_readable(socket, deadline)?;
        let n = recv(socket, &mut buf, libc::MSG_PEEK)?;
        if n == 0 {
            return Err(BannerError::Closed { lines });
        }
        match head(&buf[..n]) {
            Head::Identification => return Ok(()),
            Head::TooLong => return Err(BannerError::LineTooLong),
            Head::OtherLine(len) => {
                lines += 1;
                if lines >= MAX_LINES {
                    return Err(BannerError::TooManyLines);
                }
                // The peeked bytes are there: this read takes exactly them.
                recv(socket, &mut buf[..len], 0)?;
            }
            Head::Incomplete => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(BannerError::Timeout);
                }
                std::thread::sleep(left.min(INCOMPLETE_LINE_PAUSE));
            }
        }
    }
}

fn wait_readable(socket: BorrowedFd<'_>, deadline: Instant) -> Result<(), BannerError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(BannerError::Timeout);
        }
        let mut pollfd = libc::pollfd {
            fd: socket.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
        match unsafe { libc::poll(&mut pollfd, 1, ms) } {
            rc if rc > 0 => return Ok(()),
            0 => {}
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e.into());
                }
            }
        }
    }
}

fn recv(socket: BorrowedFd<'_>, buf: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    loop {
        // SAFETY: `buf` is valid for writes of its length; the descriptor is
        // owned by `socket` for the duration of the call. poll said readable,
        // so this does not block.
        let n = unsafe { libc::recv(socket.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        #[track_caller]
        fn case(bytes: &[u8], expected: Head) {
            assert_eq!(head(bytes), expected, "{:?}", String::from_utf8_lossy(bytes));
        }
        case(b"", Head::Incomplete);
        case(b"SSH-2.0-OpenSSH_9.2p1", Head::Incomplete);
        case(b"SSH-2.0-OpenSSH_9.2p1\r\n", Head::Identification);
        case(b"SSH-2.0-x\r\nkex bytes", Head::Identification);
        case(b"SS", Head::Incomplete);
        case(b"hello\r\nSSH-2.0-x\r\n", Head::OtherLine(7));
        case(b"\n", Head::OtherLine(1));
        case(b"SSH\n", Head::OtherLine(4));
        let long = vec![b'x'; MAX_LINE];
        case(&long, Head::TooLong);
        case(&long[..MAX_LINE - 1], Head::Incomplete);
        let mut line = long[..MAX_LINE - 1].to_vec();
        line.push(b'\n');
        case(&line, Head::OtherLine(MAX_LINE));
        line.insert(0, b'x');
        case(&line, Head::TooLong);
    }
}

//! Name resolution inside the connect deadline. `getaddrinfo` cannot be
//! cancelled and follows the resolver's own timeouts (5 s per try by
//! default, several tries), so a resolver that never answers stretched a 2 s
//! `connect_timeout` to 6 s and more. The lookup runs on a helper thread and
//! is waited for only until the deadline; a lookup still running then is
//! left to finish on its own and its answer is dropped.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Instant;

/// Why no address came back.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no answer from the resolver in time")]
    Timeout,
    /// The helper thread could not be started (a bastion-side limit).
    #[error("cannot start the resolver thread: {0}")]
    Thread(io::Error),
    #[error("{0}")]
    Lookup(io::Error),
}

/// The addresses of `address`:`port`, or an error by `deadline`. An IP
/// literal is parsed here and never asks the resolver.
pub fn resolve(address: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, ResolveError> {
    if let Ok(ip) = address.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(ResolveError::Timeout);
    }
    let (answer, wait) = mpsc::channel();
    let name = address.to_string();
    std::thread::Builder::new()
        .name("hardbench-resolve".to_string())
        .spawn(move || {
            let result = (name.as_str(), port).to_socket_addrs().map(Iterator::collect);
            // Nobody listens any more once the deadline passed.
            let _ = answer.send(result);
        })
        .map_err(ResolveError::Thread)?;
    let left = deadline.saturating_duration_since(Instant::now());
    match wait.recv_timeout(left) {
        Ok(result) => result.map_err(ResolveError::Lookup),
        Err(_) => Err(ResolveError::Timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn literals_and_local_names() {
        let later = Instant::now() + Duration::from_secs(5);
        assert_eq!(resolve("127.0.0.1", 22, later).unwrap(), ["127.0.0.1:22".parse().unwrap()]);
        assert_eq!(resolve("::1", 2222, later).unwrap(), ["[::1]:2222".parse().unwrap()]);
        // From /etc/hosts: no query leaves the machine.
        assert!(resolve("localhost", 22, later).unwrap().iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn a_deadline_already_passed_is_a_timeout_for_a_name() {
        assert!(matches!(resolve("localhost", 22, Instant::now()), Err(ResolveError::Timeout)));
    }
}

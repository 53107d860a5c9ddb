//! The jump hosts of a run: one SSH connection per jump host (per distinct
//! chain prefix: a second hop runs over a channel of the first), made by the
//! first host that needs it and shared by every host behind it, each host
//! over a channel of its own (relay.rs). A jump host is verified and
//! authenticated like any host (ssh.rs's `establish`), with its own user,
//! port, identity file and known_hosts (resolved by the inventory), and the
//! host-key policy and connect timeout of the host being reached.
//!
//! A jump host is tried once per run: its failure is kept and given to
//! every host behind it, with a message that names the jump host and the
//! kind of what failed there (a refused connection is `connect`, a key
//! that does not match is `host-key`, a refused login is `auth`), so that
//! the operator fixes the jump host, not each target. Whoever comes while
//! the connection is being made waits for it, never past its own deadline.
//! The connections end with the run (when the transport is dropped).

use super::known_hosts_files::KnownHostsFiles;
use super::relay::{OpenError, Relay};
use super::ssh::{self, establish, label, Credentials};
use super::{HostError, HostErrorKind};
use crate::inventory::{Become, Host, HostKeyPolicy, JumpChain, JumpHost};
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

/// A chain prefix, and the policy its keys are checked under.
type Key = (Vec<JumpHost>, HostKeyPolicy);

enum Slot {
    /// Being connected by some host's worker.
    Connecting,
    Up(Arc<Relay>),
    /// Why it failed: at this jump host or one before it.
    Failed(Failure),
}

/// Every jump connection of a run.
#[derive(Default)]
pub struct Jumps {
    slots: Mutex<HashMap<Key, Slot>>,
    changed: Condvar,
    /// The run's known_hosts files, shared with the hosts behind the jumps.
    known_hosts: Arc<KnownHostsFiles>,
}

impl std::fmt::Debug for Jumps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Jumps").field("connections", &slots.len()).finish()
    }
}

impl Jumps {
    /// Jumps whose hosts' keys are checked against the run's known_hosts files.
    pub fn reading(known_hosts: Arc<KnownHostsFiles>) -> Jumps {
        Jumps { known_hosts, ..Jumps::default() }
    }

    /// A connection to `host` through `chain`, as the socket its session
    /// runs over, by `deadline`.
    pub fn connect(
        &self,
        host: &Host,
        chain: &JumpChain,
        credentials: &Credentials,
        deadline: Instant,
    ) -> Result<(OwnedFd, Relayed), HostError> {
        let last = chain.hops.last().expect("a chain has a hop");
        let relay = self.relay(host, &chain.hops, credentials, deadline).map_err(|failure| {
            HostError::new(
                failure.kind,
                format!("cannot reach {} through jump host {}: {}", label(host), failure.at, failure.message),
            )
        })?;
        let through = hop_label(last);
        let socket = relay
            .open(&host.address, host.port, deadline)
            .map_err(|e| open_failed(host, &format!("jump host {through}"), &e))?;
        Ok((UnixStream::into(socket), Relayed { relay, through }))
    }

    /// The relay of the jump session at the end of `hops`, made now if no
    /// one made it yet.
    fn relay(
        &self,
        host: &Host,
        hops: &[JumpHost],
        credentials: &Credentials,
        deadline: Instant,
    ) -> Result<Arc<Relay>, Failure> {
        let key: Key = (hops.to_vec(), host.host_key_policy);
        let hop = hops.last().expect("a chain prefix has a hop");
        let mut slots = self.lock();
        loop {
            match slots.get(&key) {
                Some(Slot::Up(relay)) => return Ok(Arc::clone(relay)),
                Some(Slot::Failed(failure)) => return Err(failure.clone()),
                Some(Slot::Connecting) => {
                    let Some(left) = ssh::remaining(deadline) else {
                        return Err(Failure {
                            kind: HostErrorKind::Connect,
                            at: hop_label(hop),
                            message: format!(
                                "the connection to it was not made within {} (another host is making it)",
                                ssh::show(host.connect_timeout)
                            ),
                        });
                    };
                    slots = self.changed.wait_timeout(slots, left).unwrap_or_else(PoisonError::into_inner).0;
                }
                None => break,
            }
        }
        slots.insert(key.clone(), Slot::Connecting);
        drop(slots);
        let made = self.make(host, hops, credentials, deadline);
        let mut slots = self.lock();
        let result = match made {
            Ok(relay) => {
                let relay = Arc::new(relay);
                slots.insert(key, Slot::Up(Arc::clone(&relay)));
                Ok(relay)
            }
            Err(failed) => {
                let failure = match failed {
                    Made::Here(error) => Failure { kind: error.kind, at: hop_label(hop), message: error.message },
                    Made::Before(failure) => failure,
                };
                slots.insert(key, Slot::Failed(failure.clone()));
                Err(failure)
            }
        };
        self.changed.notify_all();
        result
    }

    /// Connects to the last of `hops`: directly when it is the first,
    /// else over a channel of the one before it.
    fn make(&self, host: &Host, hops: &[JumpHost], credentials: &Credentials, deadline: Instant) -> Result<Relay, Made> {
        let (hop, before) = hops.split_last().expect("a chain prefix has a hop");
        let jump = as_host(hop, host);
        let known = ssh::load_known_hosts(&jump, &self.known_hosts).map_err(Made::Here)?;
        let socket: OwnedFd = match before.last() {
            None => {
                let addrs = ssh::resolve(&jump, deadline).map_err(Made::Here)?;
                ssh::connect(&jump, &addrs, deadline).map_err(Made::Here)?.into()
            }
            Some(previous) => {
                let relay = self.relay(host, before, credentials, deadline).map_err(Made::Before)?;
                let stream = relay
                    .open(&hop.address, hop.port, deadline)
                    .map_err(|e| Made::Here(open_failed(&jump, &format!("jump host {}", hop_label(previous)), &e)))?;
                stream.into()
            }
        };
        let established = establish(&jump, socket, &known, credentials, deadline).map_err(Made::Here)?;
        // The jump session outlives this deadline; the relay never blocks
        // in libssh2, so it needs no watchdog.
        drop(established.watchdog);
        Relay::start(established.session, established.fd).map_err(|e| {
            Made::Here(HostError::new(
                HostErrorKind::Bastion,
                format!("cannot start the relay thread for {}: {e}", label(&jump)),
            ))
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a host's connection runs over: kept while the host's session
/// lasts, to tell a failure of the jump connection from one of the host.
#[derive(Debug)]
pub struct Relayed {
    relay: Arc<Relay>,
    /// The last jump host, as `hop_label` names it.
    through: String,
}

impl Relayed {
    /// `error`, met by the host's session, said of the jump host when it
    /// was the jump connection that broke (the host then only saw its
    /// connection end).
    pub fn explain(&self, error: HostError) -> HostError {
        match self.relay.lost() {
            None => error,
            Some(why) => HostError::new(
                error.kind,
                format!("the connection to jump host {} was lost ({why}): {}", self.through, error.message),
            ),
        }
    }
}

/// A jump host that failed: which, how, and why.
#[derive(Clone, Debug)]
struct Failure {
    kind: HostErrorKind,
    /// The jump host, as `hop_label` names it.
    at: String,
    message: String,
}

/// How a jump connection failed: at this hop, or at one before it.
enum Made {
    Here(HostError),
    Before(Failure),
}

/// `bastion (10.0.0.1:22) as audit`.
fn hop_label(hop: &JumpHost) -> String {
    format!("{} ({}:{}) as {}", hop.name, hop.address, hop.port, hop.user)
}

/// The jump host as a host to connect to: its own address, user and files,
/// and the policy and connect timeout of the host reached through it.
fn as_host(hop: &JumpHost, target: &Host) -> Host {
    Host {
        name: format!("jump host {}", hop.name),
        address: hop.address.clone(),
        port: hop.port,
        user: hop.user.clone(),
        identity_file: hop.identity_file.clone(),
        known_hosts: hop.known_hosts.clone(),
        host_key_policy: target.host_key_policy,
        become_method: Become::None,
        connect_timeout: target.connect_timeout,
        command_timeout: target.command_timeout,
        max_output: target.max_output,
        roles: None,
        proxy_jump: None,
    }
}

/// A connection to `host` that `through` (a jump host) could not open.
fn open_failed(host: &Host, through: &str, e: &OpenError) -> HostError {
    let kind = match e {
        OpenError::Local(_) => HostErrorKind::Bastion,
        _ => HostErrorKind::Connect,
    };
    let why = match e {
        OpenError::Timeout => format!("no connection within {}", ssh::show(host.connect_timeout)),
        e => e.to_string(),
    };
    HostError::new(kind, format!("cannot connect to {} through {through}: {why}", label(host)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn target(name: &str, jump_port: u16) -> (Host, JumpChain) {
        let hop = JumpHost {
            name: "jump".to_string(),
            address: "127.0.0.1".to_string(),
            port: jump_port,
            user: "audit".to_string(),
            identity_file: None,
            known_hosts: PathBuf::from("/nonexistent/known_hosts"),
        };
        let chain = JumpChain { hops: vec![hop] };
        let host = Host {
            name: name.to_string(),
            address: "10.0.0.1".to_string(),
            port: 22,
            user: "audit".to_string(),
            identity_file: None,
            known_hosts: PathBuf::from("/nonexistent/known_hosts"),
            host_key_policy: HostKeyPolicy::Strict,
            become_method: Become::None,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(5),
            max_output: 1024,
            roles: None,
            proxy_jump: Some(chain.clone()),
        };
        (host, chain)
    }

    /// A jump host that fails is tried once: every host behind it gets
    /// the same failure, which names the jump host, without another
    /// connection to it.
    #[test]
    fn a_failed_jump_host_is_tried_once_and_named() {
        // A jump host that hangs up before it identifies itself.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        let jumps = Jumps::default();
        for name in ["cp-1", "cp-2", "cp-3"] {
            let (host, chain) = target(name, port);
            let deadline = Instant::now() + host.connect_timeout;
            let error = jumps.connect(&host, &chain, &Credentials::default(), deadline).unwrap_err();
            assert_eq!(error.kind, HostErrorKind::Handshake, "{error}");
            let expected = format!(
                "cannot reach {name} (10.0.0.1:22) through jump host jump (127.0.0.1:{port}) as audit: \
                 SSH handshake with jump host jump (127.0.0.1:{port}) failed: the connection closed before \
                 the server identified itself (after 0 other lines)"
            );
            assert_eq!(error.message, expected);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
    }

    /// A refused connection to the first of two jump hosts fails the
    /// chain: its hosts are told which hop failed, as a connect error.
    #[test]
    fn a_chain_fails_at_the_hop_that_failed() {
        // A port nothing listens on: bound, then closed.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (host, mut chain) = target("cp-1", port);
        let mut second = chain.hops[0].clone();
        second.name = "inner".to_string();
        second.address = "10.1.0.1".to_string();
        chain.hops.push(second);
        let jumps = Jumps::default();
        let error = jumps.connect(&host, &chain, &Credentials::default(), Instant::now() + Duration::from_secs(5)).unwrap_err();
        assert_eq!(error.kind, HostErrorKind::Connect, "{error}");
        assert!(
            error.message.starts_with(&format!(
                "cannot reach cp-1 (10.0.0.1:22) through jump host jump (127.0.0.1:{port}) as audit: \
                 cannot connect to jump host jump (127.0.0.1:{port}): "
            )),
            "{error}"
        );
    }
}

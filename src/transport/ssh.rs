//! The SSH transport (libssh2, through ssh2). Per host: one TCP connection
//! (or, behind jump hosts, one channel of the run's shared jump connection,
//! see jump.rs), one handshake, one authentication, one exec channel
//! running `sh -s -- <args>` with the script on stdin, or the installed
//! script under `sudo-script:` (the command: remote_command.rs).
//!
//! Deadlines: `connect_timeout` covers name resolution (resolve.rs), TCP
//! connect, the server's identification (read by us, banner.rs), the
//! handshake and authentication; `command_timeout` covers the exec phase,
//! which runs non-blocking in a `poll` loop that reads stdout and stderr
//! interleaved (a blocking read of one stream deadlocks once the other fills
//! the channel window). Checks between calls cannot bound a libssh2 call
//! that loops while the peer keeps sending, so a watchdog (watchdog.rs)
//! shuts the socket down at each deadline whatever libssh2 is doing. Behind
//! jump hosts, `connect_timeout` also covers reaching them (or waiting for
//! the host that is) and opening the channel, and the socket the watchdog
//! shuts down is the host's end of its relay (relay.rs).
//!
//! When the command deadline passes, or the output goes over `max_output`,
//! the channel is closed and the connection dropped. The script's stdin is
//! never closed before that (the script ends by itself), so EOF there tells
//! gather.sh that we hung up, and it stops itself and what it started. The
//! command is deliberately not wrapped in `timeout(1)`: the remote command
//! line is what sudoers rules match (`sudo -n env LC_ALL=C sh -s --`),
//! `timeout` is not on every host (busybox builds lack it), and probing for
//! it would take a second exec or a shell wrapper around sudo. The script
//! also caps its own output (`m:`), so it stops writing at the cap.
//!
//! Host keys are verified by `known_hosts.rs`, not by libssh2 (see there).
//! Nothing here ever prompts: no passwords, no passphrases, `sudo -n`.

use super::banner::{self, BannerError};
use super::identity::{Identities, Identity};
use super::jump::Jumps;
use super::known_hosts::{self, KnownHosts, Recorded, Verdict};
use super::known_hosts_files::KnownHostsFiles;
use super::resolve::{self, ResolveError};
use super::remote_command;
use super::watchdog::Watchdog;
use super::{Gathered, HostError, HostErrorKind, HostKeyInfo, Transport};
use crate::inventory::{Become, Host, HostKeyPolicy};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ssh2::{BlockDirections, Channel, ErrorCode, MethodType, Session};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Plain host-key algorithms only, in our preference order. Certificate
/// types (`*-cert-v01@openssh.com`, which libssh2 would otherwise prefer)
/// are left out because libssh2 cannot validate a host certificate, and a
/// certificate blob never matches the plain key in known_hosts.
const HOST_KEY_ALGORITHMS: [&str; 6] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

/// The most stderr kept; the rest is read and dropped so the channel
/// window keeps moving.
const STDERR_CAP: usize = 64 * 1024;

// libssh2 error codes that decide how an error is reported.
const LIBSSH2_ERROR_TIMEOUT: i32 = -9;
const LIBSSH2_ERROR_EAGAIN: i32 = -37;

/// Gathers over SSH. Holds the ssh-agent socket so that it is read from the
/// environment once, by `from_env`, and tests can point at their own agent,
/// and the run's jump-host connections (jump.rs), shared by its hosts.
#[derive(Clone, Debug, Default)]
pub struct SshTransport {
    credentials: Arc<Credentials>,
    /// Read once per run while unchanged, for every host and jump host.
    known_hosts: Arc<KnownHostsFiles>,
    jumps: Arc<Jumps>,
}

impl SshTransport {
    /// Use the ssh-agent named by `SSH_AUTH_SOCK`, if set.
    pub fn from_env() -> SshTransport {
        let agent_socket = std::env::var_os("SSH_AUTH_SOCK")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        SshTransport::with_agent(agent_socket)
    }

    /// Use the ssh-agent at `agent_socket`, or none.
    pub fn with_agent(agent_socket: Option<PathBuf>) -> SshTransport {
        let known_hosts = Arc::<KnownHostsFiles>::default();
        let jumps = Arc::new(Jumps::reading(Arc::clone(&known_hosts)));
        let credentials = Arc::new(Credentials { agent_socket, identities: Identities::default() });
        SshTransport { credentials, known_hosts, jumps }
    }
}

/// What the client authenticates with, to every host and jump host of a
/// run: the ssh-agent, if any, and the identity files read so far.
#[derive(Debug, Default)]
pub(super) struct Credentials {
    agent_socket: Option<PathBuf>,
    identities: Identities,
}

impl Transport for SshTransport {
    fn gather(&self, host: &Host, script: &[u8], args: &[String]) -> Result<Gathered, HostError> {
        let deadline = Instant::now() + host.connect_timeout;
        let known = load_known_hosts(host, &self.known_hosts)?;
        let (socket, relayed): (OwnedFd, _) = match &host.proxy_jump {
            None => (connect(host, &resolve(host, deadline)?, deadline)?.into(), None),
            Some(chain) => {
                let (socket, relayed) = self.jumps.connect(host, chain, &self.credentials, deadline)?;
                (socket, Some(relayed))
            }
        };
        let mut key = None;
        establish(host, socket, &known, &self.credentials, deadline)
            .and_then(|established| {
                key = Some(established.host_key.clone());
                gather_on(host, established, script, args)
            })
            .map_err(|e| match &relayed {
                Some(relayed) => relayed.explain(e),
                None => e,
            })
            .and_then(|gathered| {
                check_sudo(host, &gathered)?;
                check_script_cap(host, &gathered)?;
                Ok(gathered)
            })
            .map_err(|e| noting_recorded(host, key.as_ref(), e))
    }
}

/// `error`, met after accept-new recorded the host's key in this run, says
/// so: the key is in known_hosts now, and a host that fails is not in the
/// announcement of the keys recorded (`run::announce_recorded`).
fn noting_recorded(host: &Host, key: Option<&HostKeyInfo>, error: HostError) -> HostError {
    match key.and_then(|key| key.recorded_notice(host)) {
        Some(notice) => HostError::new(error.kind, format!("{} (before that, hardbench {notice})", error.message)),
        None => error,
    }
}

/// An authenticated session, and the watchdog that still bounds every
/// libssh2 call on it by the deadline it was established under.
pub(super) struct Established {
    pub session: Session,
    pub fd: RawFd,
    pub watchdog: Watchdog,
    pub host_key: HostKeyInfo,
}

/// The steps every session goes through once its socket is connected,
/// whether that is a TCP connection to the host or the local end of a relay
/// through a jump host: the server's identification, the handshake, the
/// host key against `known`, and authentication, all before `deadline`.
pub(super) fn establish(
    host: &Host,
    socket: OwnedFd,
    known: &KnownHosts,
    credentials: &Credentials,
    deadline: Instant,
) -> Result<Established, HostError> {
    let fd = socket.as_raw_fd();
    // From here on, no libssh2 call can outlive a deadline: the
    // watchdog shuts the socket down when it passes.
    let watchdog = Watchdog::start(socket.as_fd(), deadline).map_err(|e| {
        bastion(host, &e, "cannot start the deadline thread").unwrap_or_else(|| {
            error(HostErrorKind::Connect, format!("cannot watch the connection to {}: {e}", label(host)))
        })
    })?;
    await_identification(host, socket.as_fd(), deadline)?;
    let session = handshake(host, socket, known, deadline)?;
    let host_key = verify_host_key(host, &session, known)?;
    authenticate(host, &session, credentials, deadline).map_err(|e| noting_recorded(host, Some(&host_key), e))?;
    Ok(Established { session, fd, watchdog, host_key })
}

/// Runs the script over an established session, under the command deadline.
fn gather_on(host: &Host, established: Established, script: &[u8], args: &[String]) -> Result<Gathered, HostError> {
    let Established { session, fd, watchdog, host_key } = established;
    let command_deadline = Instant::now() + host.command_timeout;
    watchdog.rearm(command_deadline);
    let remote = remote_command::build(host, script, args);
    let finished = exec_with_deadline(host, &session, fd, command_deadline, &remote.line, remote.stdin)?;
    disconnect(&session);
    let gathered = Gathered {
        stdout: finished.stdout,
        stderr: finished.stderr,
        exit_status: finished.exit_status,
        host_key: Some(host_key),
    };
    match remote_command::refusal(host, &label(host), script, gathered.exit_status, &gathered.stderr) {
        Some(refused) => Err(refused),
        None => Ok(gathered),
    }
}

/// `cp-1 (10.0.0.10:22)`: how every message names a host.
pub(super) fn label(host: &Host) -> String {
    format!("{} ({}:{})", host.name, host.address, host.port)
}

fn error(kind: HostErrorKind, message: String) -> HostError {
    HostError::new(kind, message)
}

/// The bastion's own failure, when `e` says it ran out of descriptors: then
/// nothing is known about the host, and it must not be blamed (an auth or
/// host-key failure of a healthy host was what a low `ulimit -n` looked like).
fn bastion(host: &Host, e: &io::Error, what: &str) -> Option<HostError> {
    let cause = match e.raw_os_error()? {
        libc::EMFILE => "hardbench reached its open-file limit (EMFILE; lower --concurrency or raise `ulimit -n`)",
        libc::ENFILE => "the bastion reached the system-wide open-file limit (ENFILE)",
        _ => return None,
    };
    Some(error(
        HostErrorKind::Bastion,
        format!(
            "the bastion could not audit {}: {what}: {cause}; nothing was learned about the host",
            label(host)
        ),
    ))
}

/// After libssh2 failed at something that opens a descriptor of its own (a
/// key file, the agent's socket): whether the bastion is out of them.
fn bastion_out_of_descriptors(host: &Host, what: &str) -> Option<HostError> {
    match std::fs::File::open("/dev/null") {
        Ok(_) => None,
        Err(e) => bastion(host, &e, what),
    }
}

pub(super) fn remaining(deadline: Instant) -> Option<Duration> {
    Some(deadline.saturating_duration_since(Instant::now())).filter(|d| !d.is_zero())
}

fn timeout_ms(left: Duration) -> u32 {
    // libssh2 reads 0 as "no timeout", so never round down to it.
    u32::try_from(left.as_millis()).unwrap_or(u32::MAX).max(1)
}

pub(super) fn show(duration: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(duration)
}

/// A missing known_hosts file is an empty one; any other read error is a
/// host-key error, because nothing can be verified.
pub(super) fn load_known_hosts(host: &Host, files: &KnownHostsFiles) -> Result<Arc<KnownHosts>, HostError> {
    files.read(&host.known_hosts).map_err(|e| {
        bastion(host, &e, "cannot read known_hosts").unwrap_or_else(|| error(
            HostErrorKind::HostKey,
            format!(
                "cannot verify the host key of {}: cannot read {}: {e}",
                label(host),
                host.known_hosts.display()
            ),
        ))
    })
}

pub(super) fn resolve(host: &Host, deadline: Instant) -> Result<Vec<SocketAddr>, HostError> {
    resolve::resolve(&host.address, host.port, deadline).map_err(|e| match e {
        ResolveError::Timeout => error(
            HostErrorKind::Connect,
            format!(
                "cannot resolve {}: no answer from the resolver within {}",
                label(host),
                show(host.connect_timeout)
            ),
        ),
        ResolveError::Thread(e) => bastion(host, &e, "cannot start the resolver thread")
            .unwrap_or_else(|| error(HostErrorKind::Connect, format!("cannot resolve {}: {e}", label(host)))),
        ResolveError::Lookup(e) => error(HostErrorKind::Connect, format!("cannot resolve {}: {e}", label(host))),
    })
}

pub(super) fn connect(host: &Host, addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, HostError> {
    let mut last_error = None;
    for addr in addrs {
        let Some(left) = remaining(deadline) else {
            break;
        };
        match TcpStream::connect_timeout(addr, left) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => {
                if let Some(local) = bastion(host, &e, "cannot open a socket") {
                    return Err(local);
                }
                last_error = Some(e);
            }
        }
    }
    let message = match last_error {
        Some(e) if e.kind() != io::ErrorKind::TimedOut => {
            format!("cannot connect to {}: {e}", label(host))
        }
        _ if addrs.is_empty() => format!(
            "cannot connect to {}: the name resolves to no address",
            label(host)
        ),
        _ => format!(
            "cannot connect to {}: no answer within {}",
            label(host),
            show(host.connect_timeout)
        ),
    };
    Err(error(HostErrorKind::Connect, message))
}

fn handshake_timed_out(host: &Host) -> HostError {
    error(
        HostErrorKind::Handshake,
        format!(
            "SSH handshake with {} did not finish within {}",
            label(host),
            show(host.connect_timeout)
        ),
    )
}

/// Wait for the server's `SSH-` line ourselves, within the deadline (see
/// banner.rs), before libssh2 reads it.
fn await_identification(host: &Host, socket: BorrowedFd<'_>, deadline: Instant) -> Result<(), HostError> {
    banner::await_identification(socket, deadline).map_err(|e| match e {
        BannerError::Timeout => handshake_timed_out(host),
        // The watchdog shut the socket down at the deadline.
        _ if remaining(deadline).is_none() => handshake_timed_out(host),
        e => error(
            HostErrorKind::Handshake,
            format!("SSH handshake with {} failed: {e}", label(host)),
        ),
    })
}

/// Host-key algorithms to offer: the types known_hosts already trusts for
/// this host first (as OpenSSH does, so a host with several keys is checked
/// against the one we know), then the rest of `HOST_KEY_ALGORITHMS`.
fn host_key_preference(known_types: &[String]) -> String {
    let known_algorithms = known_types.iter().flat_map(|known| match known.as_str() {
        // An RSA key is the same key under either SHA-2 signature.
        "ssh-rsa" => vec!["rsa-sha2-512", "rsa-sha2-256"],
        other => HOST_KEY_ALGORITHMS
            .iter()
            .copied()
            .filter(|a| *a == other)
            .collect(),
    });
    let mut preferred: Vec<&str> = Vec::new();
    for algorithm in known_algorithms.chain(HOST_KEY_ALGORITHMS) {
        if !preferred.contains(&algorithm) {
            preferred.push(algorithm);
        }
    }
    preferred.join(",")
}

fn handshake(
    host: &Host,
    socket: OwnedFd,
    known: &KnownHosts,
    deadline: Instant,
) -> Result<Session, HostError> {
    let failed = |what: String| {
        error(
            HostErrorKind::Handshake,
            format!("SSH handshake with {} failed: {what}", label(host)),
        )
    };
    let mut session = Session::new().map_err(|e| failed(e.message().to_string()))?;
    let name = known_hosts::host_name(&host.address, host.port);
    session
        .method_pref(
            MethodType::HostKey,
            &host_key_preference(&known.key_types(&name)),
        )
        .map_err(|e| failed(e.message().to_string()))?;
    let left =
        remaining(deadline).ok_or_else(|| failed("no time left after connecting".to_string()))?;
    session.set_timeout(timeout_ms(left));
    session.set_tcp_stream(socket);
    match session.handshake() {
        Ok(()) => Ok(session),
        Err(e)
            if e.code() == ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT)
                || remaining(deadline).is_none() =>
        {
            Err(handshake_timed_out(host))
        }
        Err(e) => Err(failed(e.message().to_string())),
    }
}

fn verify_host_key(
    host: &Host,
    session: &Session,
    known: &KnownHosts,
) -> Result<HostKeyInfo, HostError> {
    let refuse = |message: String| error(HostErrorKind::HostKey, message);
    let blob = session
        .host_key()
        .map(|(blob, _)| blob.to_vec())
        .ok_or_else(|| refuse(format!("{} sent no host key", label(host))))?;
    let algorithm = known_hosts::key_type(&blob).ok_or_else(|| {
        refuse(format!(
            "{} sent a host key that cannot be parsed",
            label(host)
        ))
    })?;
    let info = HostKeyInfo {
        algorithm: algorithm.clone(),
        fingerprint: known_hosts::fingerprint(&blob),
        recorded: false,
    };
    let offered = format!("{} {}", info.algorithm, info.fingerprint);
    let file = host.known_hosts.display();
    let name = known_hosts::host_name(&host.address, host.port);
    let verdict = match (known.check(&name, &blob), host.host_key_policy) {
        // Recorded under the file's lock, after reading it again: another
        // inventory entry for this address may have recorded it meanwhile.
        (Verdict::NotFound, HostKeyPolicy::AcceptNew) => {
            match known_hosts::record(&host.known_hosts, &name, &algorithm, &blob) {
                Ok(Recorded::Added) => return Ok(HostKeyInfo { recorded: true, ..info }),
                Ok(Recorded::AlreadyTrusted) => return Ok(info),
                Ok(Recorded::Refused(verdict)) => verdict,
                Err(e) => {
                    return Err(bastion(host, &e, "cannot record the host key").unwrap_or_else(|| {
                        refuse(format!("cannot record the host key of {} ({offered}) in {file}: {e}", label(host)))
                    }))
                }
            }
        }
        (verdict, _) => verdict,
    };
    match verdict {
        Verdict::Match { .. } => Ok(info),
        Verdict::Revoked { line } => Err(refuse(format!(
            "host key for {} ({offered}) is marked @revoked in {file}:{line}; refusing to connect",
            label(host)
        ))),
        Verdict::Mismatch { line, key_type } => Err(refuse(format!(
            "host key for {} does not match {file}:{line} ({key_type}); offered {offered}; \
             {file} was not changed: if the host was really re-keyed, verify the new key and replace that line",
            label(host)
        ))),
        Verdict::NotFound => Err(refuse(format!(
            "host key for {} is not in {file}; offered {offered}; to trust it, add: {}",
            label(host),
            known_hosts::entry_line(&name, &algorithm, &blob)
        ))),
    }
}

/// Whether a private key file needs a passphrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyFile {
    Plain,
    Encrypted,
}

/// Sniff the key file's header so an encrypted key is reported instead of
/// failing with libssh2's misleading "Unsupported private key format".
fn key_file_kind(text: &str) -> KeyFile {
    if text.contains("Proc-Type: 4,ENCRYPTED")
        || text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    {
        return KeyFile::Encrypted;
    }
    // openssh-key-v1: the cipher name first; "none" means unencrypted.
    match openssh_key(text).as_deref().and_then(known_hosts::key_type) {
        Some(cipher) if cipher != "none" => KeyFile::Encrypted,
        _ => KeyFile::Plain,
    }
}

/// The bytes after the `openssh-key-v1\0` magic of an OpenSSH private key
/// file, or `None` for any other format.
fn openssh_key(text: &str) -> Option<Vec<u8>> {
    const OPENSSH_BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
    let start = text.find(OPENSSH_BEGIN)?;
    let body: String = text[start + OPENSSH_BEGIN.len()..]
        .lines()
        .take_while(|l| !l.starts_with("-----END"))
        .flat_map(|l| l.trim().chars())
        .collect();
    STANDARD.decode(body).ok()?.strip_prefix(b"openssh-key-v1\0").map(<[u8]>::to_vec)
}

/// The public key (`type base64`, as a `.pub` file holds it) that an
/// OpenSSH private key file carries in clear before its private part:
/// cipher, kdf name, kdf options, the number of keys, then the first key's
/// public blob. Given to libssh2, it spares libssh2 deriving it from the
/// private key, which costs an OpenSSL 3 decoder set up for every host.
fn openssh_public_key(text: &str) -> Option<String> {
    let bytes = openssh_key(text)?;
    let (_cipher, rest) = ssh_string(&bytes)?;
    let (_kdf, rest) = ssh_string(rest)?;
    let (_kdf_options, rest) = ssh_string(rest)?;
    let count = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    let (blob, _) = ssh_string(rest.get(4..).filter(|_| count > 0)?)?;
    let key_type = known_hosts::key_type(blob)?;
    Some(format!("{key_type} {}", STANDARD.encode(blob)))
}

/// The SSH string (a big-endian u32 length, then the bytes) at the start
/// of `bytes`, and what follows it.
fn ssh_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = usize::try_from(u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    let end = 4usize.checked_add(len)?;
    Some((bytes.get(4..end)?, bytes.get(end..)?))
}

/// Try the identity file, then every identity of the ssh-agent. Each failed
/// credential is noted so the final error says what was tried.
fn authenticate(
    host: &Host,
    session: &Session,
    credentials: &Credentials,
    deadline: Instant,
) -> Result<(), HostError> {
    let agent_socket = credentials.agent_socket.as_deref();
    let mut tried: Vec<String> = Vec::new();
    let mut encrypted: Option<&Path> = None;
    if let Some(path) = &host.identity_file {
        match credentials.identities.load(path) {
            Err(e) => {
                if let Some(local) = bastion(host, &e, "cannot read the identity file") {
                    return Err(local);
                }
                tried.push(format!("identity file {} (cannot read: {e})", path.display()));
            }
            Ok(Identity::Other(bytes)) if key_file_kind(&String::from_utf8_lossy(&bytes)) == KeyFile::Encrypted => {
                encrypted = Some(path);
                tried.push(format!("identity file {} (encrypted)", path.display()));
            }
            Ok(loaded) => {
                set_auth_timeout(host, session, deadline)?;
                let outcome = match loaded {
                    // Parsed once per process, signing for every host.
                    Identity::Ed25519(key) => key.authenticate(session, &host.user),
                    Identity::Other(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        // With the public key given, libssh2 reads the private key
                        // once instead of twice (each read sets up OpenSSL 3's
                        // decoders: a quarter of the client's CPU per host).
                        match openssh_public_key(&text) {
                            Some(public) => session.userauth_pubkey_memory(&host.user, Some(&public), &text, None),
                            None => session.userauth_pubkey_file(&host.user, None, path, None),
                        }
                    }
                };
                match outcome {
                    Ok(()) if session.authenticated() => return Ok(()),
                    Ok(()) => tried.push(format!(
                        "identity file {} (partial success only)",
                        path.display()
                    )),
                    Err(e) => {
                        auth_timed_out(host, &e, deadline)?;
                        if let Some(local) = bastion_out_of_descriptors(host, "authenticating with the identity file") {
                            return Err(local);
                        }
                        tried.push(format!(
                            "identity file {} ({})",
                            path.display(),
                            e.message()
                        ));
                    }
                }
            }
        }
    }
    match agent_socket {
        None => tried.push("no ssh-agent (SSH_AUTH_SOCK is not set)".to_string()),
        Some(socket) => {
            if authenticate_with_agent(host, session, socket, deadline, &mut tried)? {
                return Ok(());
            }
        }
    }
    let tried = tried.join(", ");
    let message = match (encrypted, &host.identity_file, agent_socket) {
        (Some(path), _, _) => format!(
            "identity file {} is encrypted; load it into ssh-agent (user {} on {}; tried: {tried})",
            path.display(),
            host.user,
            label(host)
        ),
        (None, None, None) => format!(
            "no credentials for user {} on {}: no identity_file is set and SSH_AUTH_SOCK is not set",
            host.user,
            label(host)
        ),
        _ => format!("{} did not accept user {}; tried: {tried}", label(host), host.user),
    };
    Err(error(HostErrorKind::Auth, message))
}

/// Offer every agent identity in turn; libssh2's `userauth_agent` offers
/// only the first. Returns whether one was accepted.
fn authenticate_with_agent(
    host: &Host,
    session: &Session,
    socket: &Path,
    deadline: Instant,
    tried: &mut Vec<String>,
) -> Result<bool, HostError> {
    let agent_name = format!("ssh-agent {}", socket.display());
    let listed = session.agent().and_then(|mut agent| {
        agent.set_identity_path(socket)?;
        agent.connect()?;
        agent.list_identities()?;
        Ok((agent.identities()?, agent))
    });
    let (identities, mut agent) = match listed {
        Ok(listed) => listed,
        Err(e) => {
            if let Some(local) = bastion_out_of_descriptors(host, "connecting to the ssh-agent") {
                return Err(local);
            }
            tried.push(format!("{agent_name} ({})", e.message()));
            return Ok(false);
        }
    };
    if identities.is_empty() {
        tried.push(format!("{agent_name} (no identities)"));
    }
    let mut accepted = false;
    for identity in &identities {
        set_auth_timeout(host, session, deadline)?;
        match agent.userauth(&host.user, identity) {
            Ok(()) if session.authenticated() => {
                accepted = true;
                break;
            }
            Ok(()) => tried.push(format!(
                "agent key {:?} (partial success only)",
                identity.comment()
            )),
            Err(e) => {
                auth_timed_out(host, &e, deadline)?;
                tried.push(format!(
                    "agent key {:?} ({})",
                    identity.comment(),
                    e.message()
                ));
            }
        }
    }
    // The agent connection is local; failing to close it changes nothing.
    let _ = agent.disconnect();
    Ok(accepted)
}

fn auth_deadline_error(host: &Host) -> HostError {
    error(
        HostErrorKind::Auth,
        format!(
            "authentication of user {} on {} did not finish within {}",
            host.user,
            label(host),
            show(host.connect_timeout)
        ),
    )
}

fn set_auth_timeout(host: &Host, session: &Session, deadline: Instant) -> Result<(), HostError> {
    let left = remaining(deadline).ok_or_else(|| auth_deadline_error(host))?;
    session.set_timeout(timeout_ms(left));
    Ok(())
}

fn auth_timed_out(host: &Host, e: &ssh2::Error, deadline: Instant) -> Result<(), HostError> {
    if e.code() == ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT) || remaining(deadline).is_none() {
        return Err(auth_deadline_error(host));
    }
    Ok(())
}

/// What the remote command left behind.
struct Finished {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit_status: i32,
}

/// Waits on the socket for whatever libssh2 is blocked on, never past the
/// exec deadline.
struct Waiter<'a> {
    host: &'a Host,
    session: &'a Session,
    fd: RawFd,
    deadline: Instant,
}

impl Waiter<'_> {
    fn timed_out(&self) -> HostError {
        error(
            HostErrorKind::Timeout,
            format!(
                "gathering on {} did not finish within {}",
                label(self.host),
                show(self.host.command_timeout)
            ),
        )
    }

    fn check(&self) -> Result<(), HostError> {
        remaining(self.deadline)
            .map(|_| ())
            .ok_or_else(|| self.timed_out())
    }

    fn wait(&self) -> Result<(), HostError> {
        let left = remaining(self.deadline).ok_or_else(|| self.timed_out())?;
        let (events, left) = match self.session.block_directions() {
            BlockDirections::Inbound => (libc::POLLIN, left),
            BlockDirections::Outbound => (libc::POLLOUT, left),
            BlockDirections::Both => (libc::POLLIN | libc::POLLOUT, left),
            // libssh2 is not waiting on the socket (e.g. the channel window
            // is what stalls): look again soon.
            BlockDirections::None => (libc::POLLIN, left.min(Duration::from_millis(10))),
        };
        let mut pollfd = libc::pollfd {
            fd: self.fd,
            events,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
        let rc = unsafe { libc::poll(&mut pollfd, 1, ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(lost(self.host, &e.to_string()));
            }
        }
        Ok(())
    }

    /// Repeat a libssh2 call until it stops saying "would block".
    fn retry<T>(&self, mut call: impl FnMut() -> Result<T, ssh2::Error>) -> Result<T, HostError> {
        loop {
            match call() {
                Err(e) if e.code() == ErrorCode::Session(LIBSSH2_ERROR_EAGAIN) => self.wait()?,
                Err(e) => return Err(lost(self.host, e.message())),
                Ok(value) => return Ok(value),
            }
        }
    }
}

fn lost(host: &Host, why: &str) -> HostError {
    error(
        HostErrorKind::Output,
        format!("connection to {} lost while gathering: {why}", label(host)),
    )
}

/// The connection broke while output was streaming in (sshd killed, host
/// rebooted, network cut): say how far the stream got, since a partial
/// stream is never evaluated.
fn dropped(host: &Host, received: usize, e: &io::Error) -> HostError {
    error(
        HostErrorKind::Output,
        format!(
            "connection to {} dropped mid-stream after {received} bytes of output ({e}); nothing from this host is evaluated",
            label(host)
        ),
    )
}

fn show_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    match n {
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= 1024 && n % 1024 == 0 => format!("{} KiB", n / 1024),
        n => format!("{n} bytes"),
    }
}

/// One non-blocking read; `Ok(None)` means nothing available right now.
fn read_some(stream: &mut impl Read, buf: &mut [u8]) -> io::Result<Option<usize>> {
    match stream.read(buf) {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

fn over_cap(host: &Host) -> HostError {
    error(
        HostErrorKind::Output,
        format!(
            "output of {} exceeded the {} cap",
            label(host),
            show_bytes(host.max_output)
        ),
    )
}

/// Run `command`, feed it `script`, and collect its output, all before
/// `deadline`. Writing, reading stdout and reading stderr are interleaved in
/// one loop so no direction can stall another. Stdin is never closed: the
/// script ends by itself, and reads EOF only when we hang up. On the
/// deadline or the cap the channel is closed and the connection dropped, so
/// the remote side sees EOF at once (and the watchdog shuts the socket down
/// at the deadline even if libssh2 is busy).
fn exec_with_deadline(
    host: &Host,
    session: &Session,
    fd: RawFd,
    deadline: Instant,
    command: &str,
    script: &[u8],
) -> Result<Finished, HostError> {
    session.set_blocking(false);
    let waiter = Waiter {
        host,
        session,
        fd,
        deadline,
    };
    let mut channel: Channel = waiter.retry(|| session.channel_session())?;
    let result = run_channel(&waiter, &mut channel, command, script);
    if result.is_err() {
        // One attempt, without waiting: the dropped connection does the rest.
        let _ = channel.close();
    }
    // Whatever failed once the deadline has passed failed because of it
    // (the watchdog's shutdown makes reads and writes fail).
    result.map_err(|e| match remaining(deadline) {
        None if e.kind != HostErrorKind::Timeout => waiter.timed_out(),
        _ => e,
    })
}

fn run_channel(
    waiter: &Waiter<'_>,
    channel: &mut Channel,
    command: &str,
    script: &[u8],
) -> Result<Finished, HostError> {
    let host = waiter.host;
    waiter.retry(|| channel.exec(command))?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut written = 0;
    let mut stdin_open = true;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        waiter.check()?;
        let mut progress = false;
        if stdin_open && written < script.len() {
            match channel.write(&script[written..]) {
                Ok(n) => {
                    written += n;
                    progress |= n > 0;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The command stopped reading (e.g. it exited early);
                // its output and exit status still tell what happened.
                Err(_) if channel.eof() => stdin_open = false,
                Err(e) => return Err(lost(host, &e.to_string())),
            }
        }
        if let Some(n) =
            read_some(channel, &mut buf).map_err(|e| dropped(host, stdout.len(), &e))?
        {
            stdout.extend_from_slice(&buf[..n]);
            if stdout.len() as u64 > host.max_output {
                return Err(over_cap(host));
            }
            progress = true;
        }
        if let Some(n) =
            read_some(&mut channel.stderr(), &mut buf).map_err(|e| dropped(host, stdout.len(), &e))?
        {
            let keep = n.min(STDERR_CAP - stderr.len());
            stderr.extend_from_slice(&buf[..keep]);
            progress = true;
        }
        if !progress {
            if channel.eof() {
                break;
            }
            waiter.wait()?;
        }
    }
    waiter.retry(|| channel.wait_close())?;
    let signal = waiter.retry(|| channel.exit_signal())?.exit_signal;
    if let Some(signal) = signal {
        return Err(error(
            HostErrorKind::Output,
            format!(
                "the script on {} was killed by signal {signal}",
                label(host)
            ),
        ));
    }
    let exit_status = waiter.retry(|| channel.exit_status())?;
    Ok(Finished {
        stdout,
        stderr,
        exit_status,
    })
}

/// Say goodbye. The work is done by now, so a failure here (or a slow peer)
/// changes nothing; it is bounded by a short timeout and otherwise ignored.
fn disconnect(session: &Session) {
    session.set_blocking(true);
    session.set_timeout(1000);
    let _ = session.disconnect(None, "hardbench done", None);
}

/// How gather.sh says it stopped at the cap it was given (`m:`) rather
/// than write past it: this exit status and this start of its stderr.
const SCRIPT_CAP_STATUS: i32 = 3;
const SCRIPT_CAP_MESSAGE: &str = "hardbench: output cap reached";

fn check_script_cap(host: &Host, gathered: &Gathered) -> Result<(), HostError> {
    if gathered.exit_status == SCRIPT_CAP_STATUS && gathered.stderr.starts_with(SCRIPT_CAP_MESSAGE.as_bytes()) {
        return Err(over_cap(host));
    }
    Ok(())
}

/// Why `sudo -n` refused to run the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SudoRefusal {
    Password,
    Tty,
}

fn sudo_refusal(stderr: &[u8]) -> Option<SudoRefusal> {
    let stderr = String::from_utf8_lossy(stderr);
    if stderr.contains("a password is required")
        || stderr.contains("a terminal is required to read the password")
    {
        Some(SudoRefusal::Password)
    } else if stderr.contains("you must have a tty") {
        Some(SudoRefusal::Tty)
    } else {
        None
    }
}

/// A non-zero exit is data for the caller, except when sudo itself refused:
/// then the script never ran.
fn check_sudo(host: &Host, gathered: &Gathered) -> Result<(), HostError> {
    if !host.become_method.uses_sudo() || gathered.exit_status == 0 {
        return Ok(());
    }
    let message = match sudo_refusal(&gathered.stderr) {
        None => return Ok(()),
        Some(SudoRefusal::Password) => match &host.become_method {
            // sudoers must allow this one file, with any arguments.
            Become::SudoScript(path) => format!(
                "sudo requires a password for user {} on {} to run {path}: sudoers must allow it \
                 without one ({} ALL=(root) NOPASSWD: {path})",
                host.user,
                label(host),
                host.user
            ),
            _ => format!("sudo requires a password for user {} on {}", host.user, label(host)),
        },
        Some(SudoRefusal::Tty) => format!(
            "sudo requires a tty for user {} on {} (requiretty)",
            host.user,
            label(host)
        ),
    };
    Err(error(HostErrorKind::Sudo, message))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn sudo_refusals() {
        #[track_caller]
        fn case(stderr: &str, expected: Option<SudoRefusal>) {
            assert_eq!(sudo_refusal(stderr.as_bytes()), expected);
        }
        case(
            "sudo: a password is required\n",
            Some(SudoRefusal::Password),
        );
        case("sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n", Some(SudoRefusal::Password));
        case(
            "sudo: sorry, you must have a tty to run sudo\n",
            Some(SudoRefusal::Tty),
        );
        case("sh: 1: stat: not found\n", None);
        case("", None);
    }

    #[test]
    fn host_key_preferences() {
        #[track_caller]
        fn case(known: &[&str], expected: &str) {
            let known: Vec<String> = known.iter().map(|s| s.to_string()).collect();
            assert_eq!(host_key_preference(&known), expected);
        }
        let all = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256";
        case(&[], all);
        case(&["ssh-ed25519"], all);
        case(&["ssh-rsa"], "rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521");
        case(
            &["ecdsa-sha2-nistp384", "ssh-rsa"],
            "ecdsa-sha2-nistp384,rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp521",
        );
        // A type we cannot negotiate (a DSA key, a CA) adds nothing.
        case(&["ssh-dss"], all);
    }

    /// A key made by `ssh-keygen -q -C "" -f DIR/NAME ARGS`: its path
    /// (also for identity.rs's tests).
    #[track_caller]
    pub(crate) fn keygen_into(dir: &Path, name: &str, args: &[&str]) -> std::path::PathBuf {
        let path = dir.join(name);
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-C", "", "-f"])
            .arg(&path)
            .args(args)
            .status()
            .expect("ssh-keygen must be installed");
        assert!(status.success());
        path
    }

    /// The public key read from a private key file is what ssh-keygen
    /// wrote beside it; a PEM key has none to read (libssh2 derives it).
    #[test]
    fn the_public_key_of_an_openssh_private_key_file() {
        let dir = tempfile::tempdir().unwrap();
        for (name, keygen) in [
            ("ed25519", &["-t", "ed25519", "-N", ""][..]),
            ("ecdsa", &["-t", "ecdsa", "-N", ""][..]),
            ("rsa", &["-t", "rsa", "-b", "2048", "-N", ""][..]),
            ("ecdsa-pem", &["-t", "ecdsa", "-N", "", "-m", "PEM"][..]),
        ] {
            let path = keygen_into(dir.path(), name, keygen);
            let private = std::fs::read_to_string(&path).unwrap();
            let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
            let expected = (!name.ends_with("-pem")).then(|| public.trim().to_string());
            assert_eq!(openssh_public_key(&private), expected, "{name}");
        }
        assert_eq!(openssh_public_key("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"), None);
    }

    #[test]
    fn key_file_kinds() {
        let dir = tempfile::tempdir().unwrap();
        #[track_caller]
        fn case(dir: &Path, name: &str, keygen: &[&str], expected: KeyFile) {
            let path = keygen_into(dir, name, keygen);
            assert_eq!(
                key_file_kind(&std::fs::read_to_string(&path).unwrap()),
                expected,
                "{name}"
            );
        }
        let d = dir.path();
        case(d, "ed25519", &["-t", "ed25519", "-N", ""], KeyFile::Plain);
        case(
            d,
            "ed25519-enc",
            &["-t", "ed25519", "-N", "secret"],
            KeyFile::Encrypted,
        );
        case(
            d,
            "ecdsa-pem",
            &["-t", "ecdsa", "-N", "", "-m", "PEM"],
            KeyFile::Plain,
        );
        case(
            d,
            "ecdsa-pem-enc",
            &["-t", "ecdsa", "-N", "secret", "-m", "PEM"],
            KeyFile::Encrypted,
        );
        case(
            d,
            "ecdsa-pkcs8-enc",
            &["-t", "ecdsa", "-N", "secret", "-m", "PKCS8"],
            KeyFile::Encrypted,
        );
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(show_bytes(8 * 1024 * 1024), "8 MiB");
        assert_eq!(show_bytes(64 * 1024), "64 KiB");
        assert_eq!(show_bytes(1000), "1000 bytes");
    }
}

//! A client of the ssh-agent protocol (draft-miller-ssh-agent), reduced to
//! the two requests signing needs: list the identities
//! (SSH2_AGENTC_REQUEST_IDENTITIES) and sign data with one of them
//! (SSH2_AGENTC_SIGN_REQUEST), over the agent's UNIX socket. Blocking std
//! I/O: one request at a time is all a run does, and it keeps an async
//! runtime out of the build.

use ssh_encoding::{Decode, Encode};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, Signature};
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SSH_AGENT_FAILURE: u8 = 5;
const SSH2_AGENTC_REQUEST_IDENTITIES: u8 = 11;
const SSH2_AGENT_IDENTITIES_ANSWER: u8 = 12;
const SSH2_AGENTC_SIGN_REQUEST: u8 = 13;
const SSH2_AGENT_SIGN_RESPONSE: u8 = 14;
/// Sign-request flag: an RSA key signs with rsa-sha2-512, not the
/// SHA-1 `ssh-rsa` that OpenSSH refuses in SSHSIG.
const SSH_AGENT_RSA_SHA2_512: u32 = 4;
/// OpenSSH's agent refuses longer messages too (AGENT_MAX_LEN).
const MAX_MESSAGE: usize = 256 * 1024;
/// Long enough for a person to confirm a key added with `ssh-add -c`.
const REPLY_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the agent could not list its keys or sign.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot connect to the ssh-agent at {socket}: {source}")]
    Connect {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("lost the ssh-agent at {socket}: {source}")]
    Io {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The agent's answer is not what the protocol says it is.
    #[error("the ssh-agent at {socket} gave an answer that is not the protocol's: {why}")]
    Protocol { socket: PathBuf, why: String },
    /// SSH_AGENT_FAILURE to a sign request: the key is gone, locked, or its
    /// use was not confirmed.
    #[error(
        "the ssh-agent at {socket} refused to sign with {fingerprint} (removed, agent locked, \
         or a key added with `ssh-add -c` whose use was not confirmed)"
    )]
    Refused { socket: PathBuf, fingerprint: String },
}

/// One key the agent holds.
#[derive(Debug, Clone)]
pub struct Identity {
    pub key: KeyData,
    pub comment: String,
}

/// A connection to one agent.
pub struct Agent {
    socket: PathBuf,
    stream: UnixStream,
}

impl Agent {
    pub fn connect(socket: &Path) -> Result<Self, AgentError> {
        let connect = |source| AgentError::Connect { socket: socket.to_path_buf(), source };
        let stream = UnixStream::connect(socket).map_err(connect)?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT)).map_err(connect)?;
        stream.set_write_timeout(Some(REPLY_TIMEOUT)).map_err(connect)?;
        Ok(Agent { socket: socket.to_path_buf(), stream })
    }

    /// The agent's keys, in its order. Entries that are not plain public
    /// keys (certificates, types this build does not know) are left out:
    /// they cannot make the signatures hardbench writes.
    pub fn identities(&mut self) -> Result<Vec<Identity>, AgentError> {
        let reply = self.request(&[SSH2_AGENTC_REQUEST_IDENTITIES])?;
        let mut body = self.expect(&reply, SSH2_AGENT_IDENTITIES_ANSWER)?;
        let count = u32::decode(&mut body).map_err(|e| self.malformed("identities answer", e))?;
        let mut identities = Vec::new();
        for _ in 0..count {
            let blob = Vec::<u8>::decode(&mut body).map_err(|e| self.malformed("identities answer", e))?;
            let comment = String::decode(&mut body).map_err(|e| self.malformed("identities answer", e))?;
            if let Ok(key) = KeyData::decode(&mut blob.as_slice()) {
                if !matches!(key.algorithm(), Algorithm::Other(_)) {
                    identities.push(Identity { key, comment });
                }
            }
        }
        Ok(identities)
    }

    /// The agent's signature of `data` with `key`: the SSH signature of the
    /// key's algorithm (rsa-sha2-512 for RSA).
    pub fn sign(&mut self, key: &KeyData, data: &[u8]) -> Result<Signature, AgentError> {
        let flags = if key.is_rsa() { SSH_AGENT_RSA_SHA2_512 } else { 0 };
        let mut request = vec![SSH2_AGENTC_SIGN_REQUEST];
        let encoded = key
            .encode_prefixed(&mut request)
            .and_then(|()| data.encode(&mut request))
            .and_then(|()| flags.encode(&mut request));
        encoded.map_err(|e| self.malformed("sign request", e))?;
        let reply = self.request(&request)?;
        if reply.first() == Some(&SSH_AGENT_FAILURE) {
            return Err(AgentError::Refused {
                socket: self.socket.clone(),
                fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            });
        }
        let mut body = self.expect(&reply, SSH2_AGENT_SIGN_RESPONSE)?;
        let blob = Vec::<u8>::decode(&mut body).map_err(|e| self.malformed("sign response", e))?;
        let algorithm = String::decode(&mut blob.as_slice()).map_err(|e| self.malformed("sign response", e))?;
        if algorithm == "ssh-rsa" {
            return Err(self.protocol("it signed with SHA-1 (ssh-rsa) although rsa-sha2-512 was asked".into()));
        }
        Signature::try_from(blob.as_slice()).map_err(|e| self.malformed("signature", e))
    }

    /// Sends one message and reads the reply, both without their length.
    fn request(&mut self, body: &[u8]) -> Result<Vec<u8>, AgentError> {
        let io = |agent: &Self, source| AgentError::Io { socket: agent.socket.clone(), source };
        let length = u32::try_from(body.len()).expect("a request is small");
        let mut message = length.to_be_bytes().to_vec();
        message.extend_from_slice(body);
        self.stream.write_all(&message).map_err(|e| io(self, e))?;
        let mut length = [0u8; 4];
        self.stream.read_exact(&mut length).map_err(|e| io(self, e))?;
        let length = u32::from_be_bytes(length) as usize;
        if length == 0 || length > MAX_MESSAGE {
            return Err(self.protocol(format!("a reply of {length} bytes")));
        }
        let mut reply = vec![0u8; length];
        self.stream.read_exact(&mut reply).map_err(|e| io(self, e))?;
        Ok(reply)
    }

    /// The reply's body after its type byte, which must be `wanted`.
    fn expect<'r>(&self, reply: &'r [u8], wanted: u8) -> Result<&'r [u8], AgentError> {
        match reply.split_first() {
            Some((&kind, body)) if kind == wanted => Ok(body),
            Some((&kind, _)) => Err(self.protocol(format!("message type {kind} where {wanted} was due"))),
            None => Err(self.protocol("an empty reply".into())),
        }
    }

    fn malformed(&self, what: &str, error: impl std::fmt::Display) -> AgentError {
        self.protocol(format!("a malformed {what} ({error})"))
    }

    fn protocol(&self, why: String) -> AgentError {
        AgentError::Protocol { socket: self.socket.clone(), why }
    }
}

//! The JSON of an access check, schema `hardbench.access/v1` (`hardbench
//! check-access --json`), frozen as `json.rs` freezes the report's:
//! spelled-out structs converted from `access::Checked`, with the names of
//! the schema written here. Fields may be added to v1; none may be renamed,
//! removed or retyped.
//!
//! ```text
//! schema, hardbench: {version}, started_at, finished_at,
//! inventory: {path, sha256}
//! summary: {hosts, ready, not_ready}
//! hosts: [{name, address, port, user, become, ready,
//!          host_key: null | {algorithm, fingerprint, recorded},
//!          stages: [{stage, state, reason}],
//!          error: null | {kind, message}}]          (in inventory order)
//! exit_code
//! ```
//!
//! `stages` holds every stage, in this order: `tcp`, `host-key`, `auth`,
//! `shell`, `sudo`, `tools`. A stage's `state` is `ok`, `failed`,
//! `not-tried` (an earlier stage failed, or the run was interrupted) or
//! `not-needed` (`sudo` when `become` is `none`); `reason` is `null`, why it
//! failed, or for an `ok` stage what is worth knowing (optional tools not
//! found). A host is `ready` when every stage is `ok` or `not-needed`.
//! `error` is the transport's error (its `kind` as in the report's) when
//! the probe did not answer; `recorded` is `true` when this run recorded
//! the host key in known_hosts (`accept-new`). `exit_code`: 0 every host is
//! ready, 3 one is not, 128 + a signal when interrupted.

use super::pretty;
use super::{error_kind, timestamp, Tool};
use crate::access::stage::{HostAccess, Stage, State};
use crate::access::Checked;
use serde::Serialize;
use std::io;

pub const SCHEMA: &str = "hardbench.access/v1";

/// Writes `checked` as a `hardbench.access/v1` document; `exit_code` is the
/// status of the `hardbench check-access` that wrote it.
pub fn write<W: io::Write + ?Sized>(checked: &Checked, exit_code: u8, out: &mut W) -> io::Result<()> {
    let ready = checked.hosts.iter().filter(|host| host.ready()).count();
    let document = Document {
        schema: SCHEMA,
        hardbench: Tool { version: env!("CARGO_PKG_VERSION") },
        started_at: timestamp(&checked.started_at),
        finished_at: timestamp(&checked.finished_at),
        inventory: Inventory { path: &checked.inventory.path, sha256: &checked.inventory.sha256 },
        summary: Summary { hosts: checked.hosts.len(), ready, not_ready: checked.hosts.len() - ready },
        hosts: checked.hosts.iter().map(Host::from).collect(),
        exit_code,
    };
    pretty::write_document(&document, out)
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    hardbench: Tool<'a>,
    started_at: String,
    finished_at: String,
    inventory: Inventory<'a>,
    summary: Summary,
    hosts: Vec<Host<'a>>,
    exit_code: u8,
}

#[derive(Serialize)]
struct Inventory<'a> {
    path: &'a str,
    sha256: &'a str,
}

#[derive(Serialize)]
struct Summary {
    hosts: usize,
    ready: usize,
    not_ready: usize,
}

#[derive(Serialize)]
struct Host<'a> {
    name: &'a str,
    address: &'a str,
    port: u16,
    user: &'a str,
    #[serde(rename = "become")]
    become_method: String,
    ready: bool,
    host_key: Option<super::HostKey<'a>>,
    stages: Vec<StageResult<'a>>,
    error: Option<HostError<'a>>,
}

impl<'a> From<&'a HostAccess> for Host<'a> {
    fn from(host: &'a HostAccess) -> Self {
        Host {
            name: &host.name,
            address: &host.address,
            port: host.port,
            user: &host.user,
            become_method: host.become_method.to_string(),
            ready: host.ready(),
            host_key: host.host_key.as_ref().map(super::HostKey::from),
            stages: host
                .stages
                .iter()
                .map(|s| StageResult { stage: stage(s.stage), state: state(s.state), reason: s.reason.as_deref() })
                .collect(),
            error: host.error.as_ref().map(|e| HostError { kind: error_kind(e.kind), message: &e.message }),
        }
    }
}

#[derive(Serialize)]
struct StageResult<'a> {
    stage: &'static str,
    state: &'static str,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct HostError<'a> {
    kind: &'static str,
    message: &'a str,
}

// The names below are part of the schema.

fn stage(stage: Stage) -> &'static str {
    match stage {
        Stage::Tcp => "tcp",
        Stage::HostKey => "host-key",
        Stage::Auth => "auth",
        Stage::Shell => "shell",
        Stage::Sudo => "sudo",
        Stage::Tools => "tools",
    }
}

fn state(state: State) -> &'static str {
    match state {
        State::Ok => "ok",
        State::Failed => "failed",
        State::NotTried => "not-tried",
        State::NotNeeded => "not-needed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::stage::StageResult as Result_;
    use crate::inventory::Become;
    use crate::outcome::InputFile;
    use crate::transport::{HostErrorKind, HostKeyInfo};

    fn checked() -> Checked {
        let time = chrono::DateTime::parse_from_rfc3339("2026-11-30T01:02:03+01:00").unwrap();
        let stages = |states: [State; 6], reason: Option<&str>| {
            Stage::ALL
                .into_iter()
                .zip(states)
                .map(|(stage, state)| Result_ { stage, state, reason: (state == State::Failed).then(|| reason.unwrap().to_owned()) })
                .collect()
        };
        use State::*;
        Checked {
            started_at: time,
            finished_at: time + chrono::Duration::milliseconds(1500),
            inventory: InputFile { path: "inventory.toml".into(), sha256: "ab".repeat(32) },
            hosts: vec![
                HostAccess {
                    name: "cp-1".into(),
                    address: "10.0.0.1".into(),
                    port: 22,
                    user: "audit".into(),
                    become_method: Become::Sudo,
                    host_key: Some(HostKeyInfo { algorithm: "ssh-ed25519".into(), fingerprint: "SHA256:abc".into(), recorded: true }),
                    stages: stages([Ok, Ok, Ok, Ok, Ok, Ok], None),
                    error: None,
                },
                HostAccess {
                    name: "w-1".into(),
                    address: "10.0.0.2".into(),
                    port: 2222,
                    user: "audit".into(),
                    become_method: Become::None,
                    host_key: None,
                    stages: stages([Failed, NotTried, NotTried, NotTried, NotNeeded, NotTried], Some("refused")),
                    error: Some(crate::transport::HostError::new(HostErrorKind::Connect, "refused")),
                },
            ],
        }
    }

    #[test]
    fn the_document_is_the_schema() {
        let mut out = Vec::new();
        write(&checked(), 3, &mut out).unwrap();
        let document: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let stage = |name: &str, state: &str, reason: Option<&str>| serde_json::json!({"stage": name, "state": state, "reason": reason});
        let expected = serde_json::json!({
            "schema": "hardbench.access/v1",
            "hardbench": {"version": env!("CARGO_PKG_VERSION")},
            "started_at": "2026-11-30T01:02:03+01:00",
            "finished_at": "2026-11-30T01:02:04.500+01:00",
            "inventory": {"path": "inventory.toml", "sha256": "ab".repeat(32)},
            "summary": {"hosts": 2, "ready": 1, "not_ready": 1},
            "hosts": [
                {
                    "name": "cp-1", "address": "10.0.0.1", "port": 22, "user": "audit", "become": "sudo", "ready": true,
                    "host_key": {"algorithm": "ssh-ed25519", "fingerprint": "SHA256:abc", "recorded": true},
                    "stages": [stage("tcp", "ok", None), stage("host-key", "ok", None), stage("auth", "ok", None),
                               stage("shell", "ok", None), stage("sudo", "ok", None), stage("tools", "ok", None)],
                    "error": null
                },
                {
                    "name": "w-1", "address": "10.0.0.2", "port": 2222, "user": "audit", "become": "none", "ready": false,
                    "host_key": null,
                    "stages": [stage("tcp", "failed", Some("refused")), stage("host-key", "not-tried", None),
                               stage("auth", "not-tried", None), stage("shell", "not-tried", None),
                               stage("sudo", "not-needed", None), stage("tools", "not-tried", None)],
                    "error": {"kind": "connect", "message": "refused"}
                }
            ],
            "exit_code": 3
        });
        assert_eq!(document, expected);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("{\n  \"schema\": \"hardbench.access/v1\",\n"), "the schema comes first: {text}");
    }

    /// The schema's names are the domain's today; they are spelled out
    /// above so that renaming a variant cannot rename a JSON value.
    #[test]
    fn the_names_are_the_domains() {
        for s in Stage::ALL {
            assert_eq!(stage(s), s.name());
        }
        for s in State::ALL {
            assert_eq!(state(s), s.name());
        }
    }
}

//! The stages of reaching a host, in the order an audit passes them, and
//! how one host's probe (or the transport's error) becomes a state for each:
//! every stage before the one that failed is `ok`, the ones after it
//! `not-tried`.

use super::probe::{Probed, OPTIONAL_TOOLS, REQUIRED_TOOLS};
use crate::gather::Gathering;
use crate::inventory::{Become, Host};
use crate::names::named_enum;
use crate::transport::{remote_command, HostError, HostErrorKind, HostKeyInfo};

named_enum! {
    /// One step an audit needs, in order.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Stage {
        /// The name resolves and the port accepts a TCP connection.
        Tcp = "tcp",
        /// The SSH handshake, and the host key against known_hosts.
        HostKey = "host-key",
        /// A credential is accepted.
        Auth = "auth",
        /// A command runs as the SSH user and answers as sent.
        Shell = "shell",
        /// `sudo -n` runs the gathering's command line (`become = "sudo"`).
        Sudo = "sudo",
        /// The tools the gathering needs are found where it looks.
        Tools = "tools",
    }
}

named_enum! {
    /// How far a stage got.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum State {
        Ok = "ok",
        Failed = "failed",
        /// An earlier stage failed, or the run was interrupted first.
        NotTried = "not-tried",
        /// `sudo` for a host whose `become` is `none`.
        NotNeeded = "not-needed",
    }
}

/// One stage's state, with why it failed (or, for an `ok` one, what is
/// worth knowing: optional tools that are missing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageResult {
    pub stage: Stage,
    pub state: State,
    pub reason: Option<String>,
}

/// One host, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAccess {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub become_method: Become,
    /// The host key verified (and whether it was recorded now).
    pub host_key: Option<HostKeyInfo>,
    /// Every stage, in `Stage::ALL` order.
    pub stages: Vec<StageResult>,
    /// The transport's error, when it stopped before the probe answered.
    pub error: Option<HostError>,
}

impl HostAccess {
    /// Whether the host could be audited: no stage failed or was left untried.
    pub fn ready(&self) -> bool {
        self.stages.iter().all(|s| matches!(s.state, State::Ok | State::NotNeeded))
    }

    /// The first stage that failed, if any.
    pub fn failed(&self) -> Option<&StageResult> {
        self.stages.iter().find(|s| s.state == State::Failed)
    }
}

/// The stage a transport error stops at; `None` for errors that say
/// nothing about the host (interrupted, the bastion's own, a bug).
pub fn failed_stage(kind: HostErrorKind) -> Option<Stage> {
    match kind {
        HostErrorKind::Connect => Some(Stage::Tcp),
        HostErrorKind::Handshake | HostErrorKind::HostKey => Some(Stage::HostKey),
        HostErrorKind::Auth => Some(Stage::Auth),
        // The probe was sent: it did not answer in time, in full, or as itself.
        HostErrorKind::Timeout | HostErrorKind::Output | HostErrorKind::Parse => Some(Stage::Shell),
        // The probe runs as the SSH user; the transport's own sudo, and the
        // wrapper of an installed script, are not used.
        HostErrorKind::Sudo | HostErrorKind::ScriptMismatch | HostErrorKind::ScriptUnsafe => Some(Stage::Sudo),
        HostErrorKind::Interrupted
        | HostErrorKind::Bastion
        | HostErrorKind::Internal
        | HostErrorKind::NoRoles
        | HostErrorKind::NoBenchmark => None,
    }
}

/// `host` (as the inventory gives it, with its `become`) and what the
/// probe made of it.
pub fn assess(host: &Host, gathering: Gathering<Probed>) -> HostAccess {
    let (stages, error) = match gathering.result {
        Ok(probed) => (answered(host, &probed), None),
        Err(error) => (stopped(&host.become_method, &error), Some(error)),
    };
    HostAccess {
        name: host.name.clone(),
        address: host.address.clone(),
        port: host.port,
        user: host.user.clone(),
        become_method: host.become_method.clone(),
        host_key: gathering.host_key,
        stages,
        error,
    }
}

fn result(stage: Stage, state: State, reason: Option<String>) -> StageResult {
    StageResult { stage, state, reason }
}

/// The transport stopped at `error`: the stages before its stage are ok.
fn stopped(become_method: &Become, error: &HostError) -> Vec<StageResult> {
    let failed = failed_stage(error.kind);
    Stage::ALL
        .into_iter()
        .map(|stage| match failed {
            _ if stage == Stage::Sudo && *become_method == Become::None => result(stage, State::NotNeeded, None),
            Some(failed) if stage < failed => result(stage, State::Ok, None),
            Some(failed) if stage == failed => result(stage, State::Failed, Some(error.message.clone())),
            _ => result(stage, State::NotTried, None),
        })
        .collect()
}

/// The probe answered: the connection stages are ok, sudo and the tools
/// are as it says.
fn answered(host: &Host, probed: &Probed) -> Vec<StageResult> {
    let sudo = match (&host.become_method, &probed.sudo) {
        (Become::None, _) => result(Stage::Sudo, State::NotNeeded, None),
        (_, Some(Ok(()))) => result(Stage::Sudo, State::Ok, None),
        (Become::Sudo, Some(Err(refused))) => result(Stage::Sudo, State::Failed, Some(format!("sudo -n refused ({refused})"))),
        // The wrapper's own refusal (the installed script is not the
        // embedded one, or not safe to run) says it as the audit would;
        // otherwise sudo refused to run the script.
        (Become::SudoScript(path), Some(Err(refused))) => {
            let wrapper = remote_command::refusal(host, &host.name, crate::GATHER_SCRIPT.as_bytes(), refused.status, refused.said.as_bytes());
            let reason = wrapper.map_or_else(|| format!("sudo -n -l {path} refused ({refused})"), |error| error.message);
            result(Stage::Sudo, State::Failed, Some(reason))
        }
        (_, None) => result(Stage::Sudo, State::Failed, Some("the probe did not say what sudo answered".into())),
    };
    let tools = if sudo.state == State::Failed { result(Stage::Tools, State::NotTried, None) } else { tools(probed) };
    [Stage::Tcp, Stage::HostKey, Stage::Auth, Stage::Shell]
        .into_iter()
        .map(|stage| result(stage, State::Ok, None))
        .chain([sudo, tools])
        .collect()
}

/// Failed when a required tool is not found (or not reported); ok, with
/// the optional ones that are missing named, otherwise.
fn tools(probed: &Probed) -> StageResult {
    let found = |tool: &&str| probed.found.iter().any(|f| f == tool);
    let missing: Vec<&str> = REQUIRED_TOOLS.iter().filter(|t| !found(t)).copied().collect();
    let optional: Vec<&str> = OPTIONAL_TOOLS.iter().filter(|t| !found(t)).copied().collect();
    if !missing.is_empty() {
        let also = if optional.is_empty() { String::new() } else { format!(" (nor the optional {})", optional.join(", ")) };
        let reason = format!("not found with the PATH the gathering runs with: {}{also}", missing.join(", "));
        return result(Stage::Tools, State::Failed, Some(reason));
    }
    let note = (!optional.is_empty()).then(|| format!("optional, not found: {}", optional.join(", ")));
    result(Stage::Tools, State::Ok, note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::HostKeyPolicy;
    use std::path::PathBuf;
    use std::time::Duration;

    /// Every error kind has its stage, or none when it says nothing about
    /// the host.
    #[test]
    fn each_error_kind_stops_at_its_stage() {
        use HostErrorKind as K;
        for kind in HostErrorKind::ALL {
            let expected = match kind {
                K::Connect => Some(Stage::Tcp),
                K::Handshake | K::HostKey => Some(Stage::HostKey),
                K::Auth => Some(Stage::Auth),
                K::Timeout | K::Output | K::Parse => Some(Stage::Shell),
                K::Sudo | K::ScriptMismatch | K::ScriptUnsafe => Some(Stage::Sudo),
                K::Interrupted | K::Bastion | K::Internal | K::NoRoles | K::NoBenchmark => None,
            };
            assert_eq!(failed_stage(kind), expected, "{kind}");
        }
    }

    fn host(name: &str, become_method: Become) -> Host {
        Host {
            name: name.into(),
            address: "192.0.2.7".into(),
            port: 22,
            user: "audit".into(),
            identity_file: None,
            known_hosts: PathBuf::from("/dev/null"),
            host_key_policy: HostKeyPolicy::Strict,
            become_method,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(5),
            max_output: 1024,
            roles: None,
            proxy_jump: None,
        }
    }

    fn gathering(result: Result<Probed, HostError>) -> Gathering<Probed> {
        Gathering { started_at: chrono::Local::now().fixed_offset(), duration: Duration::ZERO, host_key: None, result }
    }

    fn states(access: &HostAccess) -> Vec<(Stage, State, Option<&str>)> {
        access.stages.iter().map(|s| (s.stage, s.state, s.reason.as_deref())).collect()
    }

    fn all_tools() -> Vec<String> {
        REQUIRED_TOOLS.iter().chain(&OPTIONAL_TOOLS).map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_transport_error_fails_its_stage_and_leaves_the_rest_untried() {
        use State::*;
        #[track_caller]
        fn case(kind: HostErrorKind, become_method: Become, expected: [State; 6]) {
            let error = HostError::new(kind, "why");
            let access = assess(&host("h", become_method.clone()), gathering(Err(error.clone())));
            let got: Vec<State> = access.stages.iter().map(|s| s.state).collect();
            assert_eq!(got, expected, "{kind} {become_method}");
            assert_eq!(access.error, Some(error));
            assert!(!access.ready());
            let failed = access.failed().map(|s| (s.stage, s.reason.as_deref()));
            assert_eq!(failed, failed_stage(kind).map(|stage| (stage, Some("why"))));
        }
        case(HostErrorKind::Connect, Become::Sudo, [Failed, NotTried, NotTried, NotTried, NotTried, NotTried]);
        case(HostErrorKind::Connect, Become::None, [Failed, NotTried, NotTried, NotTried, NotNeeded, NotTried]);
        case(HostErrorKind::Handshake, Become::Sudo, [Ok, Failed, NotTried, NotTried, NotTried, NotTried]);
        case(HostErrorKind::HostKey, Become::Sudo, [Ok, Failed, NotTried, NotTried, NotTried, NotTried]);
        case(HostErrorKind::Auth, Become::Sudo, [Ok, Ok, Failed, NotTried, NotTried, NotTried]);
        case(HostErrorKind::Timeout, Become::None, [Ok, Ok, Ok, Failed, NotNeeded, NotTried]);
        case(HostErrorKind::Parse, Become::Sudo, [Ok, Ok, Ok, Failed, NotTried, NotTried]);
        case(HostErrorKind::Sudo, Become::Sudo, [Ok, Ok, Ok, Ok, Failed, NotTried]);
        case(HostErrorKind::Interrupted, Become::Sudo, [NotTried; 6]);
        case(HostErrorKind::Bastion, Become::None, [NotTried, NotTried, NotTried, NotTried, NotNeeded, NotTried]);
    }

    #[test]
    fn the_probes_answer_decides_sudo_and_the_tools() {
        use Stage::*;
        use State::*;
        let probed = |sudo: Option<Result<(), (i32, &str)>>, found: Vec<String>| Probed {
            sudo: sudo.map(|s| s.map_err(|(status, said)| crate::access::probe::Refused { status, said: said.to_string() })),
            missing: all_tools().into_iter().filter(|t| !found.contains(t)).collect(),
            found,
        };
        let connected = [(Tcp, Ok, None), (HostKey, Ok, None), (Auth, Ok, None), (Shell, Ok, None)];
        #[track_caller]
        fn case(become_method: Become, probed: Probed, rest: [(Stage, State, Option<&str>); 2], connected: &[(Stage, State, Option<&str>)]) {
            let access = assess(&host("h", become_method), gathering(Result::Ok(probed)));
            let expected: Vec<_> = connected.iter().cloned().chain(rest).collect();
            assert_eq!(states(&access), expected);
            assert_eq!(access.ready(), rest.iter().all(|(_, state, _)| *state != Failed && *state != NotTried));
            assert_eq!(access.error, None);
        }
        case(Become::Sudo, probed(Some(Result::Ok(())), all_tools()), [(Sudo, Ok, None), (Tools, Ok, None)], &connected);
        case(Become::None, probed(None, all_tools()), [(Sudo, NotNeeded, None), (Tools, Ok, None)], &connected);
        case(
            Become::Sudo,
            probed(Some(Err((1, "sudo: a password is required"))), vec![]),
            [(Sudo, Failed, Some("sudo -n refused (exit status 1: sudo: a password is required)")), (Tools, NotTried, None)],
            &connected,
        );
        // An installed script: sudo may run it; the wrapper refused it, in
        // the audit's words; sudo refused it.
        let pinned = || Become::SudoScript("/opt/hb/gather".into());
        case(pinned(), probed(Some(Result::Ok(())), all_tools()), [(Sudo, Ok, None), (Tools, Ok, None)], &connected);
        let refused = format!(
            "/opt/hb/gather on h has sha256 {}, but this hardbench ({}) runs only the script with sha256 {}: install \
             the output of `hardbench print-script` of this hardbench there (README, \"Preparing hosts for audits\"); it was not run",
            "0".repeat(64),
            env!("CARGO_PKG_VERSION"),
            crate::digest::gather_script_sha256()
        );
        let mismatch = format!("hardbench-sudo-script: mismatch {}", "0".repeat(64));
        case(pinned(), probed(Some(Err((90, &mismatch))), vec![]), [(Sudo, Failed, Some(&refused)), (Tools, NotTried, None)], &connected);
        case(
            pinned(),
            probed(Some(Err((1, "sudo: a password is required"))), vec![]),
            [(Sudo, Failed, Some("sudo -n -l /opt/hb/gather refused (exit status 1: sudo: a password is required)")), (Tools, NotTried, None)],
            &connected,
        );
        case(
            Become::Sudo,
            probed(None, all_tools()),
            [(Sudo, Failed, Some("the probe did not say what sudo answered")), (Tools, NotTried, None)],
            &connected,
        );
        let without = |gone: &[&str]| all_tools().into_iter().filter(|t| !gone.contains(&t.as_str())).collect();
        case(
            Become::Sudo,
            probed(Some(Result::Ok(())), without(&["stat", "awk", "timeout"])),
            [(Sudo, Ok, None), (Tools, Failed, Some("not found with the PATH the gathering runs with: stat, awk (nor the optional timeout)"))],
            &connected,
        );
        case(
            Become::None,
            probed(None, without(&["readlink"])),
            [(Sudo, NotNeeded, None), (Tools, Failed, Some("not found with the PATH the gathering runs with: readlink"))],
            &connected,
        );
        case(
            Become::None,
            probed(None, without(&["timeout", "head"])),
            [(Sudo, NotNeeded, None), (Tools, Ok, Some("optional, not found: head, timeout"))],
            &connected,
        );
    }

    #[test]
    fn the_host_key_is_kept() {
        let key = HostKeyInfo { algorithm: "ssh-ed25519".into(), fingerprint: "SHA256:x".into(), recorded: true };
        let mut answered = gathering(Ok(Probed { found: all_tools(), ..Probed::default() }));
        answered.host_key = Some(key.clone());
        let access = assess(&host("h", Become::None), answered);
        assert_eq!(access.host_key, Some(key));
        assert!(access.ready());
    }
}

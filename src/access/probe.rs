//! The access probe: `probe.sh`, a small fixed script embedded like
//! gather.sh, run on a host through the `Transport` as the SSH user, and
//! what its output says. It gathers nothing: it runs the gathering's own
//! sudo command line (when the host's `become` is `sudo`) and looks up the
//! tools gather.sh needs, where gather.sh will look them up.

use crate::gather::Script;
use crate::inventory::{Become, Host};
use crate::transport::{remote_command, Gathered, HostError, HostErrorKind};

/// The probe, fed on stdin to `sh -s` like the gathering script.
pub const PROBE_SCRIPT: &str = include_str!("probe.sh");

/// The tools gather.sh looks up first and cannot do without: each that is
/// missing is a PROBLEM in its stream, and every fact that needs it an
/// error (its `for hb_tool in …` line; a test keeps the two in step).
pub const REQUIRED_TOOLS: [&str; 5] = ["stat", "grep", "tr", "awk", "readlink"];

/// The tools gather.sh uses only in rare cases, and does without:
/// `timeout` bounds a component's `--version`, `head` caps what it prints,
/// `base64` frames an argv that holds a newline.
pub const OPTIONAL_TOOLS: [&str; 3] = ["head", "timeout", "base64"];

/// The probe and the tools it looks up. Its first argument, how the host
/// becomes root, is the host's own (`become_arg`).
pub fn script() -> Script {
    let tools = REQUIRED_TOOLS.iter().chain(&OPTIONAL_TOOLS).map(|tool| format!("tool:{tool}"));
    Script { text: PROBE_SCRIPT.as_bytes(), args: tools.collect() }
}

/// The probe's first arguments for a host whose `become` is
/// `become_method`: for `sudo-script`, the installed script's path, the
/// sha256 it must have (the embedded gathering script's) and the wrapper
/// the audit checks it with, which the probe runs the same way.
pub fn become_args(become_method: &Become) -> Vec<String> {
    match become_method {
        Become::Sudo => vec!["become:sudo".into()],
        Become::None => vec!["become:none".into()],
        Become::SudoScript(path) => vec![
            "become:sudo-script".into(),
            format!("script:{path}"),
            format!("sha256:{}", crate::digest::gather_script_sha256()),
            format!("wrapper:{}", remote_command::WRAPPER),
        ],
    }
}

/// The host as the probe reaches it: as the SSH user, never under sudo
/// (the probe runs sudo itself, and says what it answered).
pub fn as_user(host: &Host) -> Host {
    Host { become_method: Become::None, ..host.clone() }
}

/// What the probe found on a host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probed {
    /// With `become:sudo`: `Ok` when sudo ran the lookup, else what sudo
    /// said (its status and first line); `None` without.
    pub sudo: Option<Result<(), Refused>>,
    /// The tools looked up and found, in the order given.
    pub found: Vec<String>,
    /// The tools looked up and not found, in the order given.
    pub missing: Vec<String>,
}

/// What answered instead of running the lookup: sudo, or with
/// `sudo-script` the wrapper in front of it (`remote_command::refusal`
/// reads the wrapper's own refusals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// Its exit status.
    pub status: i32,
    /// The first line it wrote.
    pub said: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}: {}", self.status, self.said)
    }
}

/// The probe's output read, as `gather::run_all` reads a script's: a probe
/// that did not run to its end, or printed something else, is an `output`
/// or `parse` error (a `ForceCommand` in the host's sshd_config does that).
pub fn read(host: &Host, gathered: &Gathered) -> Result<Probed, HostError> {
    if gathered.exit_status != 0 {
        let stderr = String::from_utf8_lossy(&gathered.stderr);
        let first_line = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        return Err(HostError::new(
            HostErrorKind::Output,
            format!("the access probe failed on {} with exit status {}: {first_line}", host.name, gathered.exit_status),
        ));
    }
    parse(&gathered.stdout).map_err(|why| {
        HostError::new(
            HostErrorKind::Parse,
            format!(
                "the access probe's output on {} is not the probe's ({why}): does a ForceCommand run instead of the command sent?",
                host.name
            ),
        )
    })
}

/// The probe's records (see probe.sh); `Err` says what is wrong, in a few words.
fn parse(stdout: &[u8]) -> Result<Probed, String> {
    let text = std::str::from_utf8(stdout).map_err(|_| "not UTF-8".to_string())?;
    let mut lines = text.lines();
    if lines.next() != Some("HARDBENCH-PROBE 1") {
        return Err("no HARDBENCH-PROBE 1 header".into());
    }
    let mut probed = Probed::default();
    for line in lines.by_ref() {
        let (record, rest) = line.split_once(' ').unwrap_or((line, ""));
        match (record, rest) {
            ("END", "") => {
                return match lines.next() {
                    None => Ok(probed),
                    Some(_) => Err("records after END".into()),
                }
            }
            ("TOOL", rest) => match rest.split_once(' ') {
                Some((tool, "found")) => probed.found.push(tool.to_string()),
                Some((tool, "missing")) => probed.missing.push(tool.to_string()),
                _ => return Err(format!("a malformed TOOL record: {line:?}")),
            },
            ("SUDO", "ok") if probed.sudo.is_none() => probed.sudo = Some(Ok(())),
            ("SUDO", rest) if probed.sudo.is_none() => {
                let refused = rest.strip_prefix("refused ").and_then(|r| r.split_once(' '));
                match refused.and_then(|(status, said)| Some(Refused { status: status.parse().ok()?, said: said.to_string() })) {
                    Some(refused) => probed.sudo = Some(Err(refused)),
                    None => return Err(format!("a malformed SUDO record: {line:?}")),
                }
            }
            _ => return Err(format!("an unknown record: {:?}", line.chars().take(80).collect::<String>())),
        }
    }
    Err("no END: the probe did not run to its end".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The required tools are the ones gather.sh itself treats as required.
    #[test]
    fn the_required_tools_are_gather_shs() {
        let line = format!("for hb_tool in {}; do", REQUIRED_TOOLS.join(" "));
        assert!(crate::GATHER_SCRIPT.contains(&line), "gather.sh has no line {line:?}");
        let optional = format!("for hb_tool in {}; do", OPTIONAL_TOOLS.join(" "));
        assert!(crate::GATHER_SCRIPT.contains(&optional), "gather.sh has no line {optional:?}");
    }

    #[test]
    fn the_arguments_say_how_to_become_and_which_tools() {
        let args = script().args;
        assert_eq!(args[..2], ["tool:stat", "tool:grep"]);
        assert_eq!(args.len(), REQUIRED_TOOLS.len() + OPTIONAL_TOOLS.len());
        assert_eq!((become_args(&Become::Sudo), become_args(&Become::None)), (vec!["become:sudo".to_string()], vec!["become:none".to_string()]));
        // An installed script: its path, the sha256 it must have and the wrapper that checks it.
        let pinned = become_args(&Become::SudoScript("/usr/local/libexec/hardbench-gather".into()));
        let sha256 = crate::digest::gather_script_sha256();
        assert_eq!(
            pinned,
            [
                "become:sudo-script".to_string(),
                "script:/usr/local/libexec/hardbench-gather".into(),
                format!("sha256:{sha256}"),
                format!("wrapper:{}", remote_command::WRAPPER),
            ]
        );
    }

    #[test]
    fn output_is_read_strictly() {
        let ok = |found: &[&str], missing: &[&str], sudo: Option<Result<(), Refused>>| Probed {
            sudo,
            found: found.iter().map(|t| t.to_string()).collect(),
            missing: missing.iter().map(|t| t.to_string()).collect(),
        };
        #[track_caller]
        fn case(stdout: &str, expected: Result<Probed, &str>) {
            assert_eq!(parse(stdout.as_bytes()), expected.map_err(str::to_string), "{stdout:?}");
        }
        case("HARDBENCH-PROBE 1\nEND\n", Ok(Probed::default()));
        case(
            "HARDBENCH-PROBE 1\nTOOL stat found\nTOOL awk missing\nSUDO ok\nEND\n",
            Ok(ok(&["stat"], &["awk"], Some(Ok(())))),
        );
        case(
            "HARDBENCH-PROBE 1\nSUDO refused 1 sudo: a password is required\nEND\n",
            Ok(ok(&[], &[], Some(Err(Refused { status: 1, said: "sudo: a password is required".into() })))),
        );
        case("", Err("no HARDBENCH-PROBE 1 header"));
        case("HARDBENCH-FACTS 2\nEND 0\n", Err("no HARDBENCH-PROBE 1 header"));
        case("HARDBENCH-PROBE 1\nTOOL stat found\n", Err("no END: the probe did not run to its end"));
        case("HARDBENCH-PROBE 1\nEND\nTOOL stat found\n", Err("records after END"));
        case("HARDBENCH-PROBE 1\nTOOL stat\nEND\n", Err("a malformed TOOL record: \"TOOL stat\""));
        case("HARDBENCH-PROBE 1\nSUDO maybe\nEND\n", Err("a malformed SUDO record: \"SUDO maybe\""));
        case("HARDBENCH-PROBE 1\nSUDO refused one sudo: no\nEND\n", Err("a malformed SUDO record: \"SUDO refused one sudo: no\""));
        case("HARDBENCH-PROBE 1\nSUDO ok\nSUDO ok\nEND\n", Err("an unknown record: \"SUDO ok\""));
        case("HARDBENCH-PROBE 1\nhello\nEND\n", Err("an unknown record: \"hello\""));
        assert_eq!(parse(b"HARDBENCH-PROBE 1\n\xff\nEND\n"), Err("not UTF-8".to_string()));
    }
}

//! `become`: how the gathering script gains root on a host. `sudo` feeds it
//! to `sudo -n env LC_ALL=C sh -s --`; `none` runs it as the SSH user;
//! `sudo-script:PATH` runs the copy of it installed at PATH (`hardbench
//! print-script`) under `sudo -n`, so that sudoers can allow that one file
//! instead of a shell (README, "Preparing hosts for audits").
//!
//! The path goes into a remote command line and into the operator's
//! sudoers rule, so it is held to what both take verbatim: absolute and
//! canonical (no `.`, `..` or empty component: the host checks each
//! directory above it), of letters, digits and `/._+-` only (no whitespace,
//! quote or shell metacharacter, nothing sudoers would need escaped).

use std::fmt;

/// The longest script path accepted (Linux's PATH_MAX).
const MAX_PATH: usize = 4096;

/// What `sudo-script:` is followed by.
const SCRIPT_PREFIX: &str = "sudo-script:";

/// `become`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Become {
    /// Run the script under `sudo -n`, fed on stdin to `sh -s`.
    Sudo,
    /// Run the script as the SSH user.
    None,
    /// Run the script installed at this absolute path under `sudo -n`,
    /// after checking on the host that it is the embedded one and that no
    /// one but root can change it.
    SudoScript(String),
}

impl Become {
    /// The setting's text, validated; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Become, String> {
        match text {
            "sudo" => Ok(Become::Sudo),
            "none" => Ok(Become::None),
            _ => match text.strip_prefix(SCRIPT_PREFIX) {
                Some(path) => script_path(path).map(|()| Become::SudoScript(path.to_string())),
                None => Err(format!(
                    "invalid become {text:?}: expected sudo, none or sudo-script:/path/on/host"
                )),
            },
        }
    }

    /// Whether the script runs under `sudo -n` (a refusal by sudo is then a
    /// host error of its own).
    pub fn uses_sudo(&self) -> bool {
        !matches!(self, Become::None)
    }
}

impl fmt::Display for Become {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Become::Sudo => f.write_str("sudo"),
            Become::None => f.write_str("none"),
            Become::SudoScript(path) => write!(f, "{SCRIPT_PREFIX}{path}"),
        }
    }
}

/// Checks the path after `sudo-script:`.
fn script_path(path: &str) -> Result<(), String> {
    let invalid = |why: &str| Err(format!("invalid become {:?}: {why}", format!("{SCRIPT_PREFIX}{path}")));
    if path.is_empty() {
        return invalid("the path of the installed script is missing (e.g. sudo-script:/usr/local/libexec/hardbench-gather)");
    }
    if !path.starts_with('/') {
        return invalid("the script's path must be absolute");
    }
    if path.len() > MAX_PATH {
        return invalid(&format!("the script's path is longer than {MAX_PATH} bytes"));
    }
    if let Some(bad) = path.chars().find(|c| !(c.is_ascii_alphanumeric() || "/._+-".contains(*c))) {
        return invalid(&format!(
            "the script's path may hold only letters, digits and /._+- (it goes verbatim into a \
             command line and a sudoers rule), not {bad:?}"
        ));
    }
    if path.ends_with('/') {
        return invalid("the script's path names a directory (it ends in /)");
    }
    if path[1..].split('/').any(|part| matches!(part, "" | "." | "..")) {
        return invalid("the script's path must be canonical: no empty, . or .. component");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        #[track_caller]
        fn case(text: &str, expected: Result<Become, &str>) {
            let parsed = Become::parse(text);
            assert_eq!(parsed, expected.clone().map_err(str::to_string), "{text}");
            if let Ok(method) = parsed {
                assert_eq!(method.to_string(), text, "Display gives the setting back");
            }
        }
        case("sudo", Ok(Become::Sudo));
        case("none", Ok(Become::None));
        let installed = "/usr/local/libexec/hardbench-gather";
        case(&format!("sudo-script:{installed}"), Ok(Become::SudoScript(installed.into())));
        case("sudo-script:/opt/hb/gather-1.2_3+x", Ok(Become::SudoScript("/opt/hb/gather-1.2_3+x".into())));
        case("su", Err("invalid become \"su\": expected sudo, none or sudo-script:/path/on/host"));
        case("Sudo", Err("invalid become \"Sudo\": expected sudo, none or sudo-script:/path/on/host"));
        case("sudo-script", Err("invalid become \"sudo-script\": expected sudo, none or sudo-script:/path/on/host"));
        case(
            "sudo-script:",
            Err("invalid become \"sudo-script:\": the path of the installed script is missing (e.g. sudo-script:/usr/local/libexec/hardbench-gather)"),
        );
        case(
            "sudo-script:libexec/gather",
            Err("invalid become \"sudo-script:libexec/gather\": the script's path must be absolute"),
        );
        for (bad, shown) in [
            (' ', "' '"),
            ('\t', "'\\t'"),
            ('\n', "'\\n'"),
            ('\'', "'\\''"),
            ('"', "'\"'"),
            (';', "';'"),
            ('$', "'$'"),
            ('`', "'`'"),
            ('*', "'*'"),
            ('=', "'='"),
            (',', "','"),
            (':', "':'"),
            ('\\', "'\\\\'"),
            ('é', "'é'"),
        ] {
            let text = format!("sudo-script:/usr/lib/hb{bad}x");
            let message = format!(
                "invalid become {text:?}: the script's path may hold only letters, digits and /._+- \
                 (it goes verbatim into a command line and a sudoers rule), not {shown}"
            );
            case(&text, Err(&message));
        }
        for path in ["/", "/usr/lib/"] {
            let text = format!("sudo-script:{path}");
            case(&text, Err(&format!("invalid become {text:?}: the script's path names a directory (it ends in /)")));
        }
        for path in ["//usr/gather", "/usr//gather", "/usr/./gather", "/usr/../tmp/gather", "/."] {
            let text = format!("sudo-script:{path}");
            let message =
                format!("invalid become {text:?}: the script's path must be canonical: no empty, . or .. component");
            case(&text, Err(&message));
        }
        let long = format!("sudo-script:/{}", "a".repeat(MAX_PATH));
        assert_eq!(
            Become::parse(&long),
            Err(format!("invalid become {long:?}: the script's path is longer than 4096 bytes"))
        );
    }

    #[test]
    fn only_none_runs_without_sudo() {
        assert!(Become::Sudo.uses_sudo());
        assert!(Become::SudoScript("/x".into()).uses_sudo());
        assert!(!Become::None.uses_sudo());
    }
}

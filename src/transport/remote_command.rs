//! The command line a host runs, and what its stdin carries, for each
//! `become` (see inventory/become_method.rs); and how the host says that it
//! refused to run an installed script.
//!
//! `sudo` and `none` feed the script on stdin to `sh -s --`: the remote
//! command line is what a sudoers rule matches (`sudo -n env LC_ALL=C sh -s
//! -- ...`). `env LC_ALL=C` sits after `sudo` because sudo's env_reset would
//! drop an assignment made before it, and `env` works whatever the login
//! shell is.
//!
//! `sudo-script:PATH` runs the copy of the script installed at PATH with
//! `sudo -n PATH ARGS`, so sudoers can allow that one file and no shell. It
//! is run only once a fixed wrapper (`WRAPPER`, POSIX sh, run by `/bin/sh`
//! with tools from a fixed PATH, never the user's) has checked on the host,
//! as the SSH user, that the file is a regular file, that it and every
//! directory above it are root's, writable by neither group nor others, and
//! reached through no symbolic link (so no one but root can change what
//! sudo runs after the check), and that its sha256 is the embedded
//! script's. The wrapper `exec`s sudo: one connection and one exec, as in
//! the other modes. Nothing is written to stdin then, but it is still kept
//! open until the script ends, so the script's hang-up watch (`w:stdin`)
//! still reads EOF there only when hardbench hangs up (the wrapper and its
//! tools never read it).
//!
//! When a check fails, the wrapper writes one line `hardbench-sudo-script:
//! WHAT DETAIL` to stderr and exits with `REFUSED_STATUS` before anything
//! runs as root; `refusal` turns that into a host error.

use super::{HostError, HostErrorKind};
use crate::inventory::{Become, Host};
use crate::digest::sha256_hex;

/// What a host is told to run, and the bytes written to its stdin (which
/// is never closed before the command ends).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct RemoteCommand<'a> {
    pub line: String,
    pub stdin: &'a [u8],
}

/// The command that runs `script` on `host` with `args`. The transport's
/// own arguments come first (see `Transport::gather`): the output cap,
/// which the script enforces on itself, and `w:stdin`, which tells it that
/// its stdin stays open until it ends, so EOF there means that hardbench
/// hung up.
pub(super) fn build<'a>(host: &Host, script: &'a [u8], args: &[String]) -> RemoteCommand<'a> {
    let own = [format!("m:{}", host.max_output), "w:stdin".to_string()];
    // Quoted into one string: the plan is hundreds of arguments per host.
    let mut quoted = String::with_capacity(own.iter().chain(args).map(|arg| arg.len() + 3).sum());
    for arg in own.iter().chain(args) {
        if !quoted.is_empty() {
            quoted.push(' ');
        }
        push_quoted(&mut quoted, arg);
    }
    let args = quoted;
    match &host.become_method {
        Become::Sudo => RemoteCommand { line: format!("sudo -n env LC_ALL=C sh -s -- {args}"), stdin: script },
        Become::None => RemoteCommand { line: format!("env LC_ALL=C sh -s -- {args}"), stdin: script },
        Become::SudoScript(path) => RemoteCommand {
            line: format!(
                "exec /bin/sh -c {} hardbench-sudo-script {} {} {args}",
                quote(WRAPPER),
                quote(path),
                sha256_hex(script)
            ),
            stdin: b"",
        },
    }
}

/// POSIX single quoting: `it's` becomes `'it'\''s'`.
pub(super) fn quote(arg: &str) -> String {
    let mut quoted = String::with_capacity(arg.len() + 2);
    push_quoted(&mut quoted, arg);
    quoted
}

/// `quote(arg)`, appended to `out`.
fn push_quoted(out: &mut String, arg: &str) {
    out.push('\'');
    for (i, part) in arg.split('\'').enumerate() {
        if i > 0 {
            out.push_str(r"'\''");
        }
        out.push_str(part);
    }
    out.push('\'');
}


/// How the wrapper's refusals start on stderr, and its exit status then.
const REFUSED: &str = "hardbench-sudo-script: ";
const REFUSED_STATUS: i32 = 90;

/// The wrapper, run as `/bin/sh -c WRAPPER NAME PATH SHA256 ARG...`. One
/// line, so that any login shell passes it on unchanged; PATH was
/// validated (letters, digits and `/._+-`: nothing to split or glob). `stat
/// -c '%u:%a:%n'` and the sha256 tools work alike in GNU coreutils and
/// busybox; each tool's stdin is /dev/null or the file, never the channel.
pub(crate) const WRAPPER: &str = concat!(
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; set -f; f=$1; want=$2; shift 2; ",
    r#"refuse() { printf 'hardbench-sudo-script: %s\n' "$*" >&2; exit 90; }; "#,
    r#"if [ -e "$f" ] || [ -L "$f" ]; then :; else refuse missing; fi; "#,
    // The file and every directory above it, none a symbolic link.
    r#"all=/; p=$f; "#,
    r#"while [ -n "$p" ]; do if [ -L "$p" ]; then refuse symlink "$p"; fi; all="$all $p"; p=${p%/*}; done; "#,
    r#"out=$(stat -c '%u:%a:%n' $all 2>&1 </dev/null) || refuse stat $out; "#,
    r#"for e in $out; do u=${e%%:*}; r=${e#*:}; m=${r%%:*}; n=${r#*:}; "#,
    r#"if [ "$u" != 0 ]; then refuse owner "$n" "$u"; fi; "#,
    r#"case $m in *[2367]? | *[2367]) refuse writable "$n" "$m" ;; esac; done; "#,
    r#"if [ -f "$f" ]; then :; else refuse not-regular; fi; "#,
    r#"if command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum 2>&1 <"$f") || refuse hash $h; "#,
    r#"elif command -v shasum >/dev/null 2>&1; then h=$(shasum -a 256 2>&1 <"$f") || refuse hash $h; "#,
    r#"elif command -v openssl >/dev/null 2>&1; then h=$(openssl dgst -sha256 -r 2>&1 <"$f") || refuse hash $h; "#,
    r#"else refuse no-sha256; fi; "#,
    r#"h=${h%% *}; if [ "$h" != "$want" ]; then refuse mismatch "$h"; fi; "#,
    r#"if [ -x "$f" ]; then :; else refuse not-executable; fi; "#,
    // `--may-run` (never an argument of the script's, which are `x:...`):
    // `check-access` (access/probe.sh) asks whether sudo would run it,
    // without running it.
    r#"if [ "${1-}" = --may-run ]; then exec sudo -n -l "$f"; fi; "#,
    r#"exec sudo -n "$f" "$@""#,
);


/// The host error for a refusal by the wrapper (see `WRAPPER`), or `None`
/// when the output is not one: the script ran, or sudo refused it.
pub(crate) fn refusal(host: &Host, label: &str, script: &[u8], exit_status: i32, stderr: &[u8]) -> Option<HostError> {
    let Become::SudoScript(path) = &host.become_method else { return None };
    if exit_status != REFUSED_STATUS {
        return None;
    }
    let stderr = String::from_utf8_lossy(stderr);
    let line = stderr.strip_prefix(REFUSED)?.lines().next().unwrap_or("");
    let (what, detail) = line.split_once(' ').unwrap_or((line, ""));
    let install = "install the output of `hardbench print-script` of this hardbench there (README, \
                   \"Preparing hosts for audits\")";
    let unsafe_script = |why: String| {
        HostError::new(
            HostErrorKind::ScriptUnsafe,
            format!(
                "refusing to run {path} on {label} as root: {why}; a user other than root could change \
                 what sudo runs, so it was not run"
            ),
        )
    };
    let unverified = |why: String| {
        HostError::new(
            HostErrorKind::ScriptUnsafe,
            format!("cannot verify {path} on {label}: {why}; it was not run"),
        )
    };
    Some(match what {
        "missing" => HostError::new(
            HostErrorKind::ScriptMismatch,
            format!(
                "{path} is not on {label} (or user {} cannot reach it): {install}",
                host.user
            ),
        ),
        "mismatch" => HostError::new(
            HostErrorKind::ScriptMismatch,
            format!(
                "{path} on {label} has sha256 {detail}, but this hardbench ({}) runs only the script \
                 with sha256 {}: {install}; it was not run",
                env!("CARGO_PKG_VERSION"),
                sha256_hex(script)
            ),
        ),
        "symlink" => unsafe_script(format!("{detail} is a symbolic link (name the real path in the inventory)")),
        "owner" => {
            let (name, uid) = detail.rsplit_once(' ').unwrap_or((detail, "?"));
            unsafe_script(format!("{name} is owned by uid {uid}, not root"))
        }
        "writable" => {
            let (name, mode) = detail.rsplit_once(' ').unwrap_or((detail, "?"));
            unsafe_script(format!("{name} is writable by group or others (mode {mode})"))
        }
        "not-regular" => unsafe_script("it is not a regular file".to_string()),
        "not-executable" => HostError::new(
            HostErrorKind::ScriptUnsafe,
            format!("{path} on {label} is not executable by user {}: install it with mode 0755; it was not run", host.user),
        ),
        "stat" => unverified(format!("cannot examine it and the directories above it: {detail}")),
        "hash" => unverified(format!(
            "user {} cannot read it to compute its sha256 ({detail}); install it with mode 0755",
            host.user
        )),
        "no-sha256" => unverified("the host has no sha256 tool (sha256sum, shasum or openssl)".to_string()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::HostKeyPolicy;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    const INSTALLED: &str = "/usr/local/libexec/hardbench-gather";

    fn host(become_method: Become) -> Host {
        Host {
            name: "cp-1".to_string(),
            address: "10.0.0.10".to_string(),
            port: 22,
            user: "audit".to_string(),
            identity_file: None,
            known_hosts: PathBuf::from("/dev/null"),
            host_key_policy: HostKeyPolicy::Strict,
            become_method,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(60),
            max_output: 1024,
            roles: None,
            proxy_jump: None,
        }
    }

    #[test]
    fn quoting() {
        #[track_caller]
        fn case(arg: &str, expected: &str) {
            assert_eq!(quote(arg), expected);
        }
        case("", "''");
        case("plain", "'plain'");
        case("it's", r"'it'\''s'");
        case("$HOME `x` \"y\" \\", "'$HOME `x` \"y\" \\'");
        case("a\nb", "'a\nb'");
    }

    #[test]
    fn commands() {
        let script = b"echo hi\n";
        let args = ["--plan".to_string(), "a b'c".to_string()];
        assert_eq!(
            build(&host(Become::None), script, &args),
            RemoteCommand { line: r"env LC_ALL=C sh -s -- 'm:1024' 'w:stdin' '--plan' 'a b'\''c'".into(), stdin: script }
        );
        assert_eq!(
            build(&host(Become::Sudo), script, &[]),
            RemoteCommand { line: "sudo -n env LC_ALL=C sh -s -- 'm:1024' 'w:stdin'".into(), stdin: script }
        );
        let pinned = build(&host(Become::SudoScript(INSTALLED.into())), script, &args);
        let sha = sha256_hex(script);
        assert_eq!(
            pinned,
            RemoteCommand {
                line: format!(
                    r"exec /bin/sh -c {} hardbench-sudo-script '{INSTALLED}' {sha} 'm:1024' 'w:stdin' '--plan' 'a b'\''c'",
                    quote(WRAPPER)
                ),
                stdin: b"",
            },
            "the script is not sent: the host runs its installed copy"
        );
        // One line: any login shell passes it on unchanged inside the quotes.
        assert!(!WRAPPER.contains('\n'), "{WRAPPER}");
        // Its refusals are what `refusal` reads.
        let refuse = format!(r#"refuse() {{ printf '{REFUSED}%s\n' "$*" >&2; exit {REFUSED_STATUS}; }}; "#);
        assert!(WRAPPER.contains(&refuse), "{WRAPPER}");
    }

    /// Runs the command for `become_method` here, as a login shell would
    /// (`sh -c LINE`), with `script` as the embedded script: what the
    /// wrapper refused, as the transport reports it.
    fn run_here(path: &str, script: &[u8]) -> HostError {
        let host = host(Become::SudoScript(path.into()));
        let command = build(&host, script, &["p:kubelet".to_string()]);
        let output = Command::new("sh")
            .arg("-c")
            .arg(&command.line)
            .stdin(Stdio::null())
            .output()
            .expect("sh runs");
        let status = output.status.code().expect("an exit status");
        refusal(&host, "cp-1 (10.0.0.10:22)", script, status, &output.stderr).unwrap_or_else(|| {
            panic!("not a refusal: status {status}, stderr {}", String::from_utf8_lossy(&output.stderr))
        })
    }

    /// The wrapper's checks, run for real on this machine (GNU tools): it
    /// refuses before sudo is ever run.
    #[test]
    fn the_wrapper_refuses_what_it_cannot_trust() {
        let script = b"#!/bin/sh\necho gathered\n";
        let embedded = sha256_hex(script);
        let missing = run_here("/nonexistent/hardbench-gather", script);
        assert_eq!(
            missing,
            HostError::new(
                HostErrorKind::ScriptMismatch,
                "/nonexistent/hardbench-gather is not on cp-1 (10.0.0.10:22) (or user audit cannot reach it): \
                 install the output of `hardbench print-script` of this hardbench there (README, \
                 \"Preparing hosts for audits\")"
            )
        );

        // Root's, in root's directories, but another file: both hashes named.
        let passwd = std::fs::read("/etc/passwd").unwrap();
        let mismatch = run_here("/etc/passwd", script);
        assert_eq!(
            mismatch,
            HostError::new(
                HostErrorKind::ScriptMismatch,
                format!(
                    "/etc/passwd on cp-1 (10.0.0.10:22) has sha256 {}, but this hardbench ({}) runs only \
                     the script with sha256 {embedded}: install the output of `hardbench print-script` of \
                     this hardbench there (README, \"Preparing hosts for audits\"); it was not run",
                    sha256_hex(&passwd),
                    env!("CARGO_PKG_VERSION")
                )
            )
        );
        // The right content, but not executable.
        assert_eq!(
            run_here("/etc/passwd", &passwd),
            HostError::new(
                HostErrorKind::ScriptUnsafe,
                "/etc/passwd on cp-1 (10.0.0.10:22) is not executable by user audit: install it with mode \
                 0755; it was not run"
            )
        );

        // The right content in a directory under /tmp (1777): anyone could
        // have replaced it.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gather");
        std::fs::write(&file, script).unwrap();
        let path = file.to_str().unwrap();
        let why = if unsafe { libc::geteuid() } == 0 {
            "/tmp is writable by group or others (mode 1777)".to_string()
        } else {
            format!("{path} is owned by uid {}, not root", unsafe { libc::geteuid() })
        };
        assert_eq!(
            run_here(path, script),
            HostError::new(
                HostErrorKind::ScriptUnsafe,
                format!(
                    "refusing to run {path} on cp-1 (10.0.0.10:22) as root: {why}; a user other than root \
                     could change what sudo runs, so it was not run"
                )
            )
        );
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let link = link.to_str().unwrap();
        assert_eq!(
            run_here(link, script),
            HostError::new(
                HostErrorKind::ScriptUnsafe,
                format!(
                    "refusing to run {link} on cp-1 (10.0.0.10:22) as root: {link} is a symbolic link (name \
                     the real path in the inventory); a user other than root could change what sudo runs, \
                     so it was not run"
                )
            )
        );
    }

    #[test]
    fn refusals_are_read_only_from_the_wrapper() {
        let pinned = host(Become::SudoScript(INSTALLED.into()));
        let label = "cp-1 (10.0.0.10:22)";
        #[track_caller]
        fn case(host: &Host, status: i32, stderr: &str, expected: Option<(HostErrorKind, &str)>) {
            let got = refusal(host, "cp-1 (10.0.0.10:22)", b"", status, stderr.as_bytes());
            assert_eq!(got, expected.map(|(kind, message)| HostError::new(kind, message)), "{stderr}");
        }
        let refused = |why: &str| {
            format!(
                "refusing to run {INSTALLED} on {label} as root: {why}; a user other than root could change \
                 what sudo runs, so it was not run"
            )
        };
        case(
            &pinned,
            90,
            "hardbench-sudo-script: owner /usr/local/libexec 1000\n",
            Some((HostErrorKind::ScriptUnsafe, &refused("/usr/local/libexec is owned by uid 1000, not root"))),
        );
        case(
            &pinned,
            90,
            "hardbench-sudo-script: writable /usr/local 2775\n",
            Some((HostErrorKind::ScriptUnsafe, &refused("/usr/local is writable by group or others (mode 2775)"))),
        );
        case(
            &pinned,
            90,
            "hardbench-sudo-script: not-regular\n",
            Some((HostErrorKind::ScriptUnsafe, &refused("it is not a regular file"))),
        );
        case(
            &pinned,
            90,
            "hardbench-sudo-script: no-sha256\n",
            Some((
                HostErrorKind::ScriptUnsafe,
                &format!(
                    "cannot verify {INSTALLED} on {label}: the host has no sha256 tool (sha256sum, shasum or \
                     openssl); it was not run"
                ),
            )),
        );
        case(
            &pinned,
            90,
            "hardbench-sudo-script: hash hardbench-sudo-script: 1: cannot open /x: Permission denied\n",
            Some((
                HostErrorKind::ScriptUnsafe,
                &format!(
                    "cannot verify {INSTALLED} on {label}: user audit cannot read it to compute its sha256 \
                     (hardbench-sudo-script: 1: cannot open /x: Permission denied); install it with mode 0755; \
                     it was not run"
                ),
            )),
        );
        case(
            &pinned,
            90,
            "hardbench-sudo-script: stat stat: cannot statx '/x': Permission denied\n",
            Some((
                HostErrorKind::ScriptUnsafe,
                &format!(
                    "cannot verify {INSTALLED} on {label}: cannot examine it and the directories above it: \
                     stat: cannot statx '/x': Permission denied; it was not run"
                ),
            )),
        );
        // Anything else is the script's or sudo's own outcome.
        case(&pinned, 1, "hardbench-sudo-script: missing\n", None);
        case(&pinned, 90, "sudo: a password is required\n", None);
        case(&pinned, 90, "hardbench-sudo-script: something-new\n", None);
        case(&pinned, 90, "", None);
        case(&host(Become::Sudo), 90, "hardbench-sudo-script: missing\n", None);
    }
}

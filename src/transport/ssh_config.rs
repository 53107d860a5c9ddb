//! OpenSSH's client configuration (`~/.ssh/config`, ssh_config(5)), read
//! the way `ssh -F FILE` reads it, for the keywords hardbench uses:
//! `Host`, `HostName`, `User`, `Port`, `IdentityFile`, `ProxyJump`,
//! `UserKnownHostsFile` and `Include`. Owns reading the files (`read.rs`:
//! Includes, blocks, syntax), and `SshConfig::resolve`, which gives what
//! applies to one host name: for each keyword the first value obtained in
//! file order (Includes read in place) from the lines that apply, except
//! `IdentityFile`, whose lines accumulate.
//!
//! Host-key checking is never weakened by this file: `StrictHostKeyChecking
//! no|off|accept-new`, `UserKnownHostsFile /dev/null` and the like are
//! ignored with a warning naming the file and line. `Match` blocks are
//! skipped with a warning (see `read.rs` for why). Keywords hardbench has
//! no use for are ignored, as `ssh` ignores what does not apply.
//!
//! `ssh2-config` was weighed and not used: it drops `UserKnownHostsFile`
//! (and every host-key option) silently, its errors name no file or line,
//! it reads a `Match` block's lines into the block before it, it keeps only
//! the first `IdentityFile` block's files, and it resolves an `Include` by
//! querying the included file with the enclosing block's patterns rather
//! than reading it in place.

mod line;
mod pattern;
mod read;
mod tokens;

use crate::toml_file::{Position, Problem};
use pattern::HostPattern;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a line is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The keyword as written.
    pub keyword: String,
}

impl Origin {
    /// A problem about this line.
    pub fn problem(&self, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            position: Some(Position { line: self.line, column: self.column }),
            key: Some(self.keyword.clone()),
            message: message.into(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A value and the line it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found<T> {
    pub value: T,
    pub origin: Origin,
}

/// A configuration file read with its Includes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshConfig {
    blocks: Vec<Block>,
    directives: Vec<Directive>,
    /// Problems that change nothing hardbench does but that the user must
    /// see (a skipped `Match` block), in file order.
    pub warnings: Vec<Problem>,
}

/// A `Host` or `Match` line and the lines under it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Block {
    Host(Vec<HostPattern>),
    /// Skipped: never applies.
    Match,
}

/// One line hardbench reads, with the blocks it is under: the block of its
/// own file and, for an included file, the block of each Include line that
/// led to it. It applies when all of them do.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Directive {
    origin: Origin,
    under: Vec<usize>,
    setting: Setting,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Setting {
    HostName(String),
    User(String),
    Port(u16),
    IdentityFile(String),
    ProxyJump(String),
    ProxyCommand(String),
    UserKnownHostsFiles(Vec<String>),
    /// An option about host keys that hardbench does not follow; it warns
    /// when the value obtained would weaken checking (`weakens`).
    HostKey { keyword: String, args: Vec<String> },
}

/// What the command line (the inventory, for hardbench) and the local
/// machine give, for the `%` tokens and `~`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    pub home: Option<&'a Path>,
    pub local_user: Option<&'a str>,
    /// A user given outside the file (`ssh -l`): `%r` is this one.
    pub user: Option<&'a str>,
    /// A port given outside the file (`ssh -p`): `%p` is this one.
    pub port: Option<u16>,
}

/// What applies to one host name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// `HostName` with `%h` expanded, lowercased as ssh does.
    pub host_name: Option<Found<String>>,
    pub user: Option<Found<String>>,
    pub port: Option<Found<u16>>,
    /// Every `IdentityFile` that applies, expanded, in order, without
    /// repeats.
    pub identity_files: Vec<Found<PathBuf>>,
    /// The raw `ProxyJump` chain (`a@j1:22,j2`); `None` also for `none`.
    pub proxy_jump: Option<Found<String>>,
    /// A `ProxyCommand` that applies (not `none`): ssh would not connect
    /// directly.
    pub proxy_command: Option<Found<String>>,
    /// `UserKnownHostsFile`, expanded; never `/dev/null` (ignored, warned).
    pub user_known_hosts_files: Option<Found<Vec<PathBuf>>>,
    /// Options ignored because they would weaken host-key checking.
    pub warnings: Vec<Problem>,
}

impl SshConfig {
    /// Reads `path` and the files it includes. A relative `Include` is
    /// relative to `~/.ssh`, as for any user configuration. Every problem
    /// is reported, with its file and line.
    pub fn read(path: &Path, home: Option<&Path>) -> Result<SshConfig, Vec<Problem>> {
        read::read(path, home)
    }

    /// What applies to `host` (the name as given to ssh). Fails on a value
    /// whose tokens cannot be expanded, naming its line.
    pub fn resolve(&self, host: &str, context: &Context) -> Result<Resolved, Problem> {
        // Each block is matched once, not once per line under it.
        let matches: Vec<bool> = self
            .blocks
            .iter()
            .map(|block| match block {
                Block::Host(patterns) => pattern::host_matches(patterns, host),
                Block::Match => false,
            })
            .collect();
        let applies = |directive: &&Directive| directive.under.iter().all(|&block| matches[block]);
        let mut raw = Raw::default();
        for directive in self.directives.iter().filter(applies) {
            raw.take(directive);
        }
        raw.finish(host, context)
    }
}

/// The first value obtained for each keyword, before expansion.
#[derive(Default)]
struct Raw<'c> {
    host_name: Option<(&'c str, &'c Origin)>,
    user: Option<(&'c str, &'c Origin)>,
    port: Option<(u16, &'c Origin)>,
    identity_files: Vec<(&'c str, &'c Origin)>,
    proxy_jump: Option<(&'c str, &'c Origin)>,
    proxy_command: Option<(&'c str, &'c Origin)>,
    user_known_hosts_files: Option<(&'c [String], &'c Origin)>,
    host_key: Vec<(&'c str, &'c [String], &'c Origin)>,
}

impl<'c> Raw<'c> {
    fn take(&mut self, directive: &'c Directive) {
        let origin = &directive.origin;
        match &directive.setting {
            Setting::HostName(value) => {
                self.host_name.get_or_insert((value, origin));
            }
            Setting::User(value) => {
                self.user.get_or_insert((value, origin));
            }
            Setting::Port(value) => {
                self.port.get_or_insert((*value, origin));
            }
            Setting::IdentityFile(value) => self.identity_files.push((value, origin)),
            // The first of ProxyJump and ProxyCommand wins (`ssh -G`
            // agrees), but `ProxyJump none` does not stop a later
            // ProxyCommand.
            Setting::ProxyJump(value) => {
                if self.proxy_command.is_none() {
                    self.proxy_jump.get_or_insert((value, origin));
                }
            }
            Setting::ProxyCommand(value) => {
                let jumps = self.proxy_jump.is_some_and(|(jump, _)| !jump.eq_ignore_ascii_case("none"));
                if !jumps {
                    self.proxy_command.get_or_insert((value, origin));
                }
            }
            Setting::UserKnownHostsFiles(files) => {
                self.user_known_hosts_files.get_or_insert((files, origin));
            }
            Setting::HostKey { keyword, args } => {
                if !self.host_key.iter().any(|(seen, _, _)| seen == keyword) {
                    self.host_key.push((keyword, args, origin));
                }
            }
        }
    }

    fn finish(self, host: &str, context: &Context) -> Result<Resolved, Problem> {
        let mut resolved = Resolved::default();
        fn found<T>(value: T, origin: &Origin) -> Found<T> {
            Found { value, origin: origin.clone() }
        }
        if let Some((text, origin)) = self.host_name {
            let value = tokens::percent(text, &[('h', host)]).map_err(|why| origin.problem(why))?;
            resolved.host_name = Some(found(value.to_lowercase(), origin));
        }
        resolved.user = self.user.map(|(value, origin)| found(value.to_string(), origin));
        resolved.port = self.port.map(|(value, origin)| found(value, origin));
        let host_name = resolved.host_name.as_ref().map_or(host, |name| &name.value);
        let port = context.port.or(resolved.port.as_ref().map(|port| port.value)).unwrap_or(22).to_string();
        let remote_user = context.user.or(resolved.user.as_ref().map(|user| user.value.as_str())).or(context.local_user);
        let home = context.home.and_then(Path::to_str);
        // A token whose value is unknown stays out of the list, so that
        // using it is an error that says it is not supported.
        let values: Vec<(char, &str)> = [
            ('d', home),
            ('h', Some(host_name)),
            ('n', Some(host)),
            ('p', Some(port.as_str())),
            ('r', remote_user),
            ('u', context.local_user),
        ]
        .into_iter()
        .filter_map(|(letter, value)| value.map(|value| (letter, value)))
        .collect();
        let path = |text: &str, origin: &Origin| {
            tokens::path(text, context.home, &values).map_err(|why| origin.problem(why))
        };
        for (text, origin) in self.identity_files {
            let value = path(text, origin)?;
            if !resolved.identity_files.iter().any(|file| file.value == value) {
                resolved.identity_files.push(found(value, origin));
            }
        }
        resolved.proxy_jump = self
            .proxy_jump
            .filter(|(jump, _)| !jump.eq_ignore_ascii_case("none"))
            .map(|(jump, origin)| found(jump.to_string(), origin));
        resolved.proxy_command = self
            .proxy_command
            .filter(|(command, _)| !command.eq_ignore_ascii_case("none"))
            .map(|(command, origin)| found(command.to_string(), origin));
        if let Some((files, origin)) = self.user_known_hosts_files {
            if files.iter().any(|file| file == "/dev/null" || file.eq_ignore_ascii_case("none")) {
                resolved.warnings.push(origin.problem(format!(
                    "ignored: {} would leave host keys unchecked or unrecorded; the inventory's \
                     known_hosts is used",
                    files.join(" ")
                )));
            } else {
                let files = files.iter().map(|file| path(file, origin)).collect::<Result<_, _>>()?;
                resolved.user_known_hosts_files = Some(found(files, origin));
            }
        }
        for (keyword, args, origin) in self.host_key {
            if let Some(why) = weakens(keyword, args) {
                resolved.warnings.push(origin.problem(format!("ignored: {why}")));
            }
        }
        Ok(resolved)
    }
}

/// The keywords about host keys whose values could weaken checking, read
/// only to warn when they do.
const HOST_KEY_KEYWORDS: [&str; 7] = [
    "stricthostkeychecking",
    "globalknownhostsfile",
    "verifyhostkeydns",
    "updatehostkeys",
    "knownhostscommand",
    "nohostauthenticationforlocalhost",
    "revokedhostkeys",
];

/// Why an obtained host-key option is ignored, when following it would
/// check host keys less than hardbench does.
fn weakens(keyword: &str, args: &[String]) -> Option<String> {
    let value = args.join(" ");
    let yes = |value: &str| matches!(value.to_ascii_lowercase().as_str(), "yes" | "true" | "ask");
    let strict = "host keys are checked as host_key_policy says (strict unless the inventory says accept-new)";
    match keyword {
        "stricthostkeychecking" if matches!(value.to_ascii_lowercase().as_str(), "no" | "off" | "false" | "accept-new") => {
            Some(format!("StrictHostKeyChecking {value}: {strict}"))
        }
        "globalknownhostsfile" if args.iter().any(|file| file == "/dev/null") => {
            Some(format!("GlobalKnownHostsFile {value}: {strict}"))
        }
        "verifyhostkeydns" if yes(&value) => Some(format!(
            "VerifyHostKeyDNS {value}: keys are trusted from known_hosts only, never from DNS"
        )),
        "updatehostkeys" if yes(&value) => Some(format!(
            "UpdateHostKeys {value}: hardbench never adds keys a host offers after authentication"
        )),
        "knownhostscommand" if !value.eq_ignore_ascii_case("none") => {
            Some("KnownHostsCommand: keys are trusted from known_hosts only, never from a command".to_string())
        }
        "nohostauthenticationforlocalhost" if yes(&value) => Some(format!(
            "NoHostAuthenticationForLocalhost {value}: {strict}, localhost too"
        )),
        "revokedhostkeys" if !value.eq_ignore_ascii_case("none") => Some(format!(
            "RevokedHostKeys {value} is not read: mark revoked keys with @revoked in the known_hosts file"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

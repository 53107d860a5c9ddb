//! Reading a configuration file and its Includes into blocks and the lines
//! hardbench uses, as OpenSSH's `readconf.c` does: an `Include` is read in
//! place, under the block it appears in (a file included from a block that
//! does not apply contributes nothing, whatever its own `Host` lines say;
//! the including file's block is in force again after it); its arguments
//! are globs (`*`, `?`), sorted, relative ones relative to `~/.ssh`, `~/`
//! expanded; a glob that matches nothing is no error; nesting stops at 16
//! levels, as in OpenSSH (a file that includes itself ends there). Like
//! ssh, a group- or world-writable file, or one another user owns, is
//! refused. The values of the keywords hardbench uses are checked on every
//! line, whether it applies to a host or not, as ssh checks them.
//!
//! `Match` blocks are skipped, with a warning: their criteria (`exec`,
//! `localnetwork`, `canonical`, `final`, ...) would need to run commands or
//! know the network, and a block applied by mistake could send hardbench to
//! another host; skipping one means its settings are missing, which at
//! worst fails a connection that ssh would make (host keys are still
//! checked), never reaches a host that ssh would not.

use super::line::{self, Line};
use super::pattern::{self, HostPattern};
use super::{Block, Directive, Origin, Setting, SshConfig, HOST_KEY_KEYWORDS};
use crate::toml_file::Problem;
use std::path::{Path, PathBuf};

/// OpenSSH's `READCONF_MAX_DEPTH`.
const MAX_DEPTH: usize = 16;

pub(super) fn read(path: &Path, home: Option<&Path>) -> Result<SshConfig, Vec<Problem>> {
    let mut reader = Reader { home, config: SshConfig::default(), errors: Vec::new() };
    match load(path) {
        Ok(text) => reader.file(path, &text, &[], 0),
        Err(why) => reader.errors.push(Problem::in_file(path, why)),
    }
    if reader.errors.is_empty() {
        Ok(reader.config)
    } else {
        Err(reader.errors)
    }
}

/// A file's text, if ssh would read it.
fn load(path: &Path) -> Result<String, String> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !metadata.is_file() {
        return Err("cannot read: not a regular file".to_string());
    }
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    if (metadata.uid() != 0 && metadata.uid() != uid) || metadata.mode() & 0o022 != 0 {
        return Err(format!(
            "bad owner or permissions (owner uid {}, mode {:04o}): ssh refuses a configuration file \
             that others can write",
            metadata.uid(),
            metadata.mode() & 0o7777
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}

struct Reader<'a> {
    home: Option<&'a Path>,
    config: SshConfig,
    errors: Vec<Problem>,
}

impl Reader<'_> {
    /// Reads one file's lines under the blocks `under`.
    fn file(&mut self, path: &Path, text: &str, under: &[usize], depth: usize) {
        let mut current: Option<usize> = None;
        for (index, text) in text.lines().enumerate() {
            let line = match line::split(text) {
                Ok(Some(line)) => line,
                Ok(None) => continue,
                Err(why) => {
                    let column = text.len() - text.trim_start().len() + 1;
                    let keyword = text.split([' ', '\t', '=']).find(|word| !word.is_empty()).unwrap_or("");
                    let origin = Origin { file: path.to_path_buf(), line: index + 1, column, keyword: keyword.to_string() };
                    self.errors.push(origin.problem(why));
                    continue;
                }
            };
            let origin = Origin {
                file: path.to_path_buf(),
                line: index + 1,
                column: line.column,
                keyword: line.written.clone(),
            };
            let mut blocks = under.to_vec();
            blocks.extend(current);
            match line.keyword.as_str() {
                "host" => match line.args.iter().map(|arg| HostPattern::parse(arg)).collect() {
                    Ok(patterns) => current = Some(self.block(Block::Host(patterns))),
                    Err(why) => {
                        self.errors.push(origin.problem(why));
                        current = Some(self.block(Block::Match));
                    }
                },
                "match" => {
                    self.config.warnings.push(origin.problem(
                        "Match blocks are not supported: the lines up to the next Host or Match \
                         line are ignored",
                    ));
                    current = Some(self.block(Block::Match));
                }
                "include" => self.include(&origin, &line, &blocks, depth),
                _ => match setting(&line) {
                    Ok(Some(setting)) => self.config.directives.push(Directive { origin, under: blocks, setting }),
                    Ok(None) => {}
                    Err(why) => self.errors.push(origin.problem(why)),
                },
            }
        }
    }

    fn block(&mut self, block: Block) -> usize {
        self.config.blocks.push(block);
        self.config.blocks.len() - 1
    }

    fn include(&mut self, origin: &Origin, line: &Line, under: &[usize], depth: usize) {
        if depth + 1 >= MAX_DEPTH {
            self.errors.push(origin.problem(format!(
                "Include nested more than {MAX_DEPTH} levels deep (does a file include itself?)"
            )));
            return;
        }
        for arg in &line.args {
            let full = if arg.starts_with('/') {
                PathBuf::from(arg)
            } else {
                let Some(home) = self.home else {
                    self.errors.push(origin.problem(format!("cannot find {arg:?}: HOME is not set")));
                    continue;
                };
                match arg.strip_prefix("~/") {
                    Some(rest) => home.join(rest),
                    None if arg.starts_with('~') => {
                        let why = format!("cannot expand {arg:?}: only ~/ is supported, not ~user");
                        self.errors.push(origin.problem(why));
                        continue;
                    }
                    None => home.join(".ssh").join(arg),
                }
            };
            let files = match glob(&full) {
                Ok(files) => files,
                Err(why) => {
                    self.errors.push(origin.problem(why));
                    continue;
                }
            };
            for file in files {
                match load(&file) {
                    Ok(text) => self.file(&file, &text, under, depth + 1),
                    Err(why) => self.errors.push(origin.problem(format!("{}: {why}", file.display()))),
                }
            }
        }
    }
}

/// The setting a line holds, if it is one hardbench reads; its value
/// checked as ssh checks it.
fn setting(line: &Line) -> Result<Option<Setting>, String> {
    let single = || match line.args.as_slice() {
        [] => Err(format!("missing argument to {}", line.written)),
        [value] if value.is_empty() => Err(format!("empty argument to {}", line.written)),
        [value] => Ok(value.clone()),
        _ => Err(format!("{} takes one argument; found {}", line.written, line.args.len())),
    };
    let setting = match line.keyword.as_str() {
        "hostname" => Setting::HostName(single()?),
        "user" => Setting::User(single()?),
        "port" => {
            let text = single()?;
            match text.parse::<u16>() {
                Ok(port) if port != 0 => Setting::Port(port),
                _ => return Err(format!("bad port {text:?}: expected a number from 1 to 65535")),
            }
        }
        "identityfile" => Setting::IdentityFile(single()?),
        "proxyjump" => Setting::ProxyJump(single()?),
        // ssh takes the rest of the line as the command.
        "proxycommand" => {
            if line.args.is_empty() {
                return Err(format!("missing argument to {}", line.written));
            }
            Setting::ProxyCommand(line.args.join(" "))
        }
        "userknownhostsfile" => {
            if line.args.is_empty() || line.args.iter().any(String::is_empty) {
                return Err(format!("missing or empty argument to {}", line.written));
            }
            Setting::UserKnownHostsFiles(line.args.clone())
        }
        keyword if HOST_KEY_KEYWORDS.contains(&keyword) => {
            if line.args.is_empty() {
                return Err(format!("missing argument to {}", line.written));
            }
            Setting::HostKey { keyword: keyword.to_string(), args: line.args.clone() }
        }
        _ => return Ok(None),
    };
    Ok(Some(setting))
}

/// The files an absolute glob names, sorted: `*` and `?` within one path
/// component, never matching a leading `.` (as glob(3)).
fn glob(path: &Path) -> Result<Vec<PathBuf>, String> {
    let text = path.to_str().ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
    if text.contains(['[', '{']) {
        return Err(format!("Include {text:?}: only * and ? are supported in Include patterns"));
    }
    let mut found = vec![PathBuf::from("/")];
    for component in text.split('/').filter(|component| !component.is_empty()) {
        let mut next = Vec::new();
        for dir in &found {
            if !component.contains(['*', '?']) {
                let candidate = dir.join(component);
                if candidate.symlink_metadata().is_ok() {
                    next.push(candidate);
                }
                continue;
            }
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut names: Vec<String> = entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| !name.starts_with('.') || component.starts_with('.'))
                .filter(|name| pattern::wildcard(component, name))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|name| dir.join(name)));
        }
        found = next;
    }
    Ok(found)
}

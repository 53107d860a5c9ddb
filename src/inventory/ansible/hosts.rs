//! Ansible hosts, their variables resolved, → `Host`s, each value checked
//! as the TOML inventory checks it (the same messages), every problem at
//! the line and column where the value was written.
//!
//! Used: `ansible_host`, `ansible_port`, `ansible_user` (and their old
//! `ansible_ssh_` spellings), `ansible_ssh_private_key_file` (or
//! `ansible_private_key_file`), `ansible_become` (true: sudo, false: none;
//! unset: the defaults', sudo unless the role map says otherwise), and
//! `ansible_ssh_common_args` for a ProxyJump only. Other `ansible_`
//! variables would change how Ansible connects, so each one is named in
//! one warning, unless it says what hardbench does anyway
//! (`ansible_connection=ssh`, `ansible_become_method=sudo`,
//! `ansible_become_user=root`) or is about the remote Python
//! (`ansible_python_interpreter`); variables of the playbooks (`ip`,
//! `k3s_version`) are not about connecting and are left alone.

use super::super::validate::{check_name, expand_path, identity_file_problem, Defaults};
use super::super::jump::{self, HopSpec, JumpChain, JumpHost, JumpSpec};
use super::super::{address, Become, Env, Host, InventoryError, Position, Probe, DEFAULT_PORT};
use super::ini::split;
use super::model::{Resolved, Scalar, Var};
use super::roles::RoleMap;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

const ADDRESS: &[&str] = &["ansible_host", "ansible_ssh_host"];
const PORT: &[&str] = &["ansible_port", "ansible_ssh_port"];
const USER: &[&str] = &["ansible_user", "ansible_ssh_user"];
const KEY: &[&str] = &["ansible_ssh_private_key_file", "ansible_private_key_file"];
const BECOME: &str = "ansible_become";
const COMMON_ARGS: &str = "ansible_ssh_common_args";

/// Hosts, problems (errors) and warnings, each sorted and given once.
pub struct Built {
    pub hosts: Vec<Host>,
    pub problems: Vec<InventoryError>,
    pub warnings: Vec<InventoryError>,
}

pub fn build(
    file: &Path,
    resolved: Vec<Resolved>,
    defaults: &Defaults,
    map: &RoleMap,
    env: &Env,
) -> Built {
    let mut builder = Builder {
        file,
        env,
        base_dir: file.parent().unwrap_or(Path::new("")).to_path_buf(),
        problems: BTreeSet::new(),
        warnings: Vec::new(),
        probes: HashMap::new(),
        warned: HashSet::new(),
        ignored: BTreeMap::new(),
    };
    let mut no_user = None;
    let mut hosts = Vec::new();
    let mut bastions: Vec<(Position, String)> = Vec::new();
    for host in resolved {
        if map.only_bastion(&host.groups) {
            bastions.push((host.at, host.name));
            continue;
        }
        let Some(built) = builder.host(&host, defaults, map) else {
            continue;
        };
        match built {
            Ok(host) => hosts.push(host),
            Err(NoUser) => {
                no_user.get_or_insert(host.at);
            }
        }
    }
    // One error, not one per host: the fix is one line.
    if let Some(at) = no_user {
        let message =
            "no user: set ansible_user (for all hosts, in the vars of group all), or user in \
                       the [defaults] of a --role-map file ($USER is not set)";
        builder.problem(at, None, message.to_string());
    }
    if let Some((at, _)) = bastions.first() {
        let names: Vec<&str> = bastions.iter().map(|(_, name)| name.as_str()).collect();
        let message = format!(
            "not audited: {} (kubespray's bastion group: the way in, not a node; name the group \
             in a --role-map file to audit it)",
            names.join(", ")
        );
        if hosts.is_empty() && builder.problems.is_empty() {
            builder.problem(*at, None, format!("no hosts to audit: {message}"));
        } else {
            builder.warnings.push(builder.at(*at, None, message));
        }
    }
    builder.finish(hosts)
}

/// A host left without a user.
struct NoUser;

struct Builder<'a> {
    file: &'a Path,
    env: &'a Env<'a>,
    /// Relative key paths are relative to the inventory's directory, as in
    /// the TOML inventory.
    base_dir: PathBuf,
    problems: BTreeSet<(usize, usize, String, String)>,
    warnings: Vec<InventoryError>,
    probes: HashMap<PathBuf, Probe>,
    warned: HashSet<PathBuf>,
    /// Ignored variables, each where first seen.
    ignored: BTreeMap<String, Position>,
}

impl Builder<'_> {
    fn problem(&mut self, at: Position, key: Option<&str>, message: String) {
        self.problems.insert((
            at.line,
            at.column,
            key.unwrap_or_default().to_string(),
            message,
        ));
    }

    /// The host, `Err(NoUser)` when it has no user, `None` when a value is
    /// invalid (a problem has been recorded).
    fn host(
        &mut self,
        host: &Resolved,
        defaults: &Defaults,
        map: &RoleMap,
    ) -> Option<Result<Host, NoUser>> {
        let mut valid = true;
        if let Err(message) = check_name(&host.name) {
            self.problem(host.at, None, message);
            valid = false;
        }
        let address = match self.text(host, ADDRESS, &mut valid) {
            Some((text, var)) => self.check_address(&text, Some(var)).map_err(drop),
            // An invalid name has its error already.
            None if !valid => Err(()),
            None => self.check_address(&host.name, None).map_err(|message| {
                // The name stands for the address: say where the name is.
                self.problem(
                    host.at,
                    None,
                    format!("{message} (the host name, used as its address: set ansible_host)"),
                );
            }),
        };
        let port = self
            .text(host, PORT, &mut valid)
            .map(|(text, var)| match text.parse::<u16>() {
                Ok(port) if port != 0 => Ok(port),
                _ => {
                    self.problem(
                        var.at,
                        Some(&var.name),
                        format!("port {text} is out of range 1-65535"),
                    );
                    Err(())
                }
            });
        let user = self.text(host, USER, &mut valid).map(|(text, var)| {
            if text.trim().is_empty() {
                self.problem(var.at, Some(&var.name), "user is empty".into());
                return Err(());
            }
            Ok(text)
        });
        let identity_file = self
            .text(host, KEY, &mut valid)
            .map(|(text, var)| self.identity_file(&text, var));
        let become_method =
            self.text(host, &[BECOME], &mut valid)
                .map(|(text, var)| match boolean(&text) {
                    Some(true) => Ok(Become::Sudo),
                    Some(false) => Ok(Become::None),
                    None => {
                        let message =
                            format!("invalid ansible_become {text:?}: expected true or false");
                        self.problem(var.at, Some(&var.name), message);
                        Err(())
                    }
                });
        let mut proxy_jump = None;
        for var in host.vars.values() {
            let used = [ADDRESS, PORT, USER, KEY, &[BECOME]]
                .iter()
                .any(|names| names.contains(&var.name.as_str()));
            if var.name == COMMON_ARGS {
                match self.common_args(var) {
                    Ok(hops) => proxy_jump = hops,
                    Err(()) => valid = false,
                }
            } else if var.name.starts_with("ansible_") && !used && !harmless(var) {
                self.ignored.entry(var.name.clone()).or_insert(var.at);
            }
        }
        let (Ok(address), Some(known_hosts)) = (address, defaults.known_hosts.clone()) else {
            return None;
        };
        let port = port.transpose().ok()?;
        let user = user.transpose().ok()?;
        let identity_file = identity_file.transpose().ok()?;
        let become_method = become_method.transpose().ok()?;
        if !valid {
            return None;
        }
        let Some(user) = user.or_else(|| defaults.user.clone()) else {
            return Some(Err(NoUser));
        };
        // Ansible knows no more about a jump host than the ProxyJump says:
        // the rest is the target's, and port 22, as ssh would take it.
        let proxy_jump = match (proxy_jump, &defaults.proxy_jump) {
            (Some(hops), _) => Some(hops),
            (None, Some(JumpSpec::Chain(hops))) => Some(hops.clone()),
            _ => None,
        };
        let proxy_jump = proxy_jump.map(|hops| JumpChain {
            hops: hops
                .into_iter()
                .map(|hop| JumpHost {
                    name: hop.host.clone(),
                    address: hop.host,
                    port: hop.port.unwrap_or(DEFAULT_PORT),
                    user: hop.user.unwrap_or_else(|| user.clone()),
                    identity_file: identity_file.clone().or_else(|| defaults.identity_file.clone()),
                    known_hosts: known_hosts.clone(),
                })
                .collect(),
        });
        Some(Ok(Host {
            name: host.name.clone(),
            address,
            port: port.unwrap_or(defaults.port),
            user,
            identity_file: identity_file.or_else(|| defaults.identity_file.clone()),
            known_hosts,
            host_key_policy: defaults.host_key_policy,
            become_method: become_method.unwrap_or_else(|| defaults.become_method.clone()),
            connect_timeout: defaults.connect_timeout,
            command_timeout: defaults.command_timeout,
            max_output: defaults.max_output,
            roles: map.roles(&host.groups),
            proxy_jump,
        }))
    }

    /// The first of `names` the host has, as text with its variable;
    /// `None` when unset or null. A list, a mapping or a template is a
    /// problem (`valid` is cleared).
    fn text<'h>(
        &mut self,
        host: &'h Resolved,
        names: &[&str],
        valid: &mut bool,
    ) -> Option<(String, &'h Var)> {
        let var = names.iter().find_map(|name| host.vars.get(*name))?;
        match &var.value {
            Scalar::Null => None,
            Scalar::Collection => {
                self.problem(
                    var.at,
                    Some(&var.name),
                    format!(
                        "{} is a list or a mapping: expected a single value",
                        var.name
                    ),
                );
                *valid = false;
                None
            }
            Scalar::Text(text) if text.contains("{{") || text.contains("{%") => {
                let message = format!("{} is a Jinja template, which hardbench does not evaluate: give the value itself", var.name);
                self.problem(var.at, Some(&var.name), message);
                *valid = false;
                None
            }
            Scalar::Text(text) => Some((text.clone(), var)),
        }
    }

    fn check_address(&mut self, text: &str, var: Option<&Var>) -> Result<String, String> {
        match address::check(text) {
            Ok(()) => Ok(text.to_string()),
            Err(message) => {
                if let Some(var) = var {
                    self.problem(var.at, Some(&var.name), message.clone());
                }
                Err(message)
            }
        }
    }

    fn identity_file(&mut self, text: &str, var: &Var) -> Result<PathBuf, ()> {
        let file = expand_path(text, self.env.home.as_deref(), &self.base_dir)
            .map_err(|message| self.problem(var.at, Some(&var.name), message))?;
        let probe = self.env.probe;
        let found = self
            .probes
            .entry(file.clone())
            .or_insert_with(|| probe(&file));
        match identity_file_problem(&file, found) {
            Ok(warning) => {
                if let Some(message) = warning.filter(|_| self.warned.insert(file.clone())) {
                    self.warnings
                        .push(self.at(var.at, Some(&var.name), message));
                }
                Ok(file)
            }
            Err(message) => {
                self.problem(var.at, Some(&var.name), message);
                Err(())
            }
        }
    }

    /// The hops of the ProxyJump `ansible_ssh_common_args` names, if it
    /// names one; `Err` when that is not a valid chain (a problem is
    /// recorded).
    fn common_args(&mut self, var: &Var) -> Result<Option<Vec<HopSpec>>, ()> {
        let jump = match &var.value {
            Scalar::Text(text) => proxy_jump(text),
            _ => None,
        };
        let Some(jump) = jump else {
            self.ignored.entry(var.name.clone()).or_insert(var.at);
            return Ok(None);
        };
        match jump::parse(&jump) {
            Ok(JumpSpec::Chain(hops)) => Ok(Some(hops)),
            Ok(JumpSpec::Direct) => Ok(None),
            Err(why) => {
                self.problem(var.at, Some(&var.name), why);
                Err(())
            }
        }
    }

    fn at(&self, at: Position, key: Option<&str>, message: String) -> InventoryError {
        InventoryError {
            file: self.file.to_path_buf(),
            position: Some(at),
            key: key.map(str::to_string),
            message,
        }
    }

    fn finish(mut self, hosts: Vec<Host>) -> Built {
        for (name, at) in std::mem::take(&mut self.ignored) {
            let message = if name == COMMON_ARGS {
                "ignored (hardbench takes only a ProxyJump from it)".to_string()
            } else if name.contains("pass") {
                "ignored: hardbench never uses passwords; use key-based auth and NOPASSWD sudo"
                    .to_string()
            } else {
                "ignored: hardbench connects with ansible_host, ansible_port, ansible_user, \
                 ansible_ssh_private_key_file and ansible_become only"
                    .to_string()
            };
            self.warnings.push(self.at(at, Some(&name), message));
        }
        crate::toml_file::sort(&mut self.warnings);
        let problems = std::mem::take(&mut self.problems)
            .into_iter()
            .map(|(line, column, key, message)| {
                let key = Some(key.as_str()).filter(|key| !key.is_empty());
                self.at(Position { line, column }, key, message)
            })
            .collect();
        Built {
            hosts,
            problems,
            warnings: self.warnings,
        }
    }
}

/// An `ansible_` variable not worth a warning: one that says what
/// hardbench does anyway, or one about the remote Python, which hardbench
/// does not use.
fn harmless(var: &Var) -> bool {
    let value = match &var.value {
        Scalar::Text(text) => text.as_str(),
        Scalar::Null => return true,
        Scalar::Collection => return false,
    };
    var.name.ends_with("_interpreter")
        || matches!(
            (var.name.as_str(), value),
            ("ansible_connection", "ssh")
                | ("ansible_become_method", "sudo")
                | ("ansible_become_user", "root")
        )
}

/// Ansible's booleans, as its `boolean` filter reads them.
fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "y" | "t" | "1" => Some(true),
        "false" | "no" | "off" | "n" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// The ProxyJump that ssh arguments name: `-J jump`, `-Jjump`,
/// `-o ProxyJump=jump`, `-oProxyJump=jump`, `-o "ProxyJump jump"`.
fn proxy_jump(args: &str) -> Option<String> {
    let words: Vec<String> = split(args)
        .ok()?
        .into_iter()
        .map(|(word, _)| word)
        .collect();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let (flag, attached) = match word.strip_prefix('-') {
            Some(rest) if rest.len() > 1 => (&rest[..1], Some(&rest[1..])),
            Some(rest) => (rest, None),
            None => continue,
        };
        let value = match attached {
            Some(value) => value.to_string(),
            None => match flag {
                "J" | "o" => words.next()?.clone(),
                _ => continue,
            },
        };
        match flag {
            "J" => return Some(value),
            "o" => {
                let (key, rest) = value.split_once(['=', ' ', '\t'])?;
                if key.eq_ignore_ascii_case("proxyjump") {
                    return Some(rest.trim_start_matches(['=', ' ', '\t']).to_string());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_jumps_in_ssh_arguments() {
        let cases: &[(&str, Option<&str>)] = &[
            ("-o ProxyJump=ops@jump:2222", Some("ops@jump:2222")),
            ("-oProxyJump=jump", Some("jump")),
            ("-o 'ProxyJump jump'", Some("jump")),
            ("-o proxyjump=a,b", Some("a,b")),
            ("-C -J jump.lan", Some("jump.lan")),
            ("-Jjump", Some("jump")),
            ("-o StrictHostKeyChecking=no -o ProxyJump=j", Some("j")),
            ("-o ProxyCommand=\"ssh -W %h:%p bastion\"", None),
            ("-o StrictHostKeyChecking=no", None),
            ("-J", None),
            ("", None),
        ];
        for (args, expected) in cases {
            assert_eq!(proxy_jump(args).as_deref(), *expected, "{args}");
        }
    }

    #[test]
    fn ansible_booleans() {
        for yes in ["true", "True", "yes", "on", "1", "y"] {
            assert_eq!(boolean(yes), Some(true), "{yes}");
        }
        for no in ["false", "FALSE", "no", "off", "0", "n"] {
            assert_eq!(boolean(no), Some(false), "{no}");
        }
        assert_eq!(boolean("sudo"), None);
    }
}

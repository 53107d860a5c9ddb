//! The OpenSSH client configuration's part in an inventory: which file is
//! in force (`--ssh-config FILE`, else `ssh_config` in `[defaults]`, else
//! `~/.ssh/config` when it exists; an empty path reads none), and what it
//! gives each host, looked up by the host's `address` as `ssh ADDRESS`
//! would. Its values come after the inventory's (host, then `[defaults]`)
//! and before the built-in defaults; its `HostName` is the address
//! connected to (the inventory name stays the host's name in reports).
//! hardbench uses one identity file and one known_hosts file per host, so
//! the first of several is used and the others named in a warning.

use super::{Set, Validator};
use crate::inventory::jump::{self, HopSpec, JumpSpec};
use crate::inventory::{address, Probe};
use crate::toml_file::{Problem, Value};
use crate::transport::ssh_config::{Context, Found, Origin, SshConfig};
use std::collections::HashSet;
use std::path::PathBuf;
use toml::de::DeValue;

/// The default file, when it exists.
const DEFAULT_SSH_CONFIG: &str = "~/.ssh/config";

/// The ssh_config file in force.
pub(super) struct InForce {
    config: SshConfig,
    /// The warnings given so far, as shown: many hosts share a line, and
    /// its warning is given once.
    warned: HashSet<String>,
}

/// What the ssh_config file gives one host; `None` where it gives nothing
/// or the inventory already did.
#[derive(Default)]
pub(super) struct FromSshConfig {
    pub address: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: Option<Set<PathBuf>>,
    /// The hops of its `ProxyJump`, and where that is.
    pub proxy_jump: Option<(Vec<HopSpec>, Origin)>,
}

/// What the inventory already sets for a host, which ssh_config does not
/// change and whose files need no checking.
pub(super) struct Given<'a> {
    pub user: Option<&'a str>,
    pub port: Option<u16>,
    pub identity_file: bool,
    pub known_hosts: bool,
}

impl Validator<'_> {
    /// Chooses and reads the ssh_config file, given the `[defaults]`
    /// `ssh_config` value (if any).
    pub(super) fn ssh_config_key(&mut self, value: Option<Value<'_, '_>>) {
        let key = "defaults.ssh_config";
        let path = if let Some(flag) = &self.env.ssh_config {
            (!flag.as_os_str().is_empty()).then(|| flag.clone())
        } else if let Some(value) = value {
            match value.get_ref() {
                DeValue::String(text) if text.is_empty() => None,
                DeValue::String(_) => self.path(value, key),
                _ => {
                    self.type_error(value, key, "a string (a path, or \"\" for none)");
                    None
                }
            }
        } else {
            let home = self.env.home.as_deref();
            let default = home.map(|home| home.join(&DEFAULT_SSH_CONFIG[2..]));
            default.filter(|path| !matches!(*self.probe(path), Probe::Missing))
        };
        let Some(path) = path else { return };
        match (self.env.read_ssh_config)(&path, self.env.home.as_deref()) {
            Ok(config) => {
                self.warnings.extend(config.warnings.iter().cloned());
                self.ssh_config = Some(InForce { config, warned: HashSet::new() });
            }
            Err(problems) => {
                for problem in problems {
                    self.toml.push(problem);
                }
            }
        }
    }

    fn warn_once(&mut self, warning: Problem) {
        let first = self.ssh_config.as_mut().is_none_or(|in_force| in_force.warned.insert(warning.to_string()));
        if first {
            self.warnings.push(warning);
        }
    }

    /// What ssh_config gives host `name` at `address`; `None` when that
    /// is an error (recorded).
    pub(super) fn ssh_config_for(&mut self, name: &str, address: &str, given: Given) -> Option<FromSshConfig> {
        let mut out = FromSshConfig::default();
        let Some(InForce { config, .. }) = &self.ssh_config else {
            return Some(out);
        };
        let context = Context {
            home: self.env.home.as_deref(),
            local_user: self.env.user.as_deref(),
            user: given.user,
            port: given.port,
        };
        let resolved = match config.resolve(address, &context) {
            Ok(resolved) => resolved,
            Err(problem) => {
                self.toml.push(problem);
                return None;
            }
        };
        for warning in resolved.warnings {
            self.warn_once(warning);
        }
        if let Some(Found { value, origin }) = resolved.proxy_command {
            self.toml.push(origin.problem(format!(
                "ProxyCommand {value:?} applies to host {name} ({address}): hardbench cannot connect \
                 through a command, and does not connect directly where ssh would not; leave \
                 {address} out of this block (Host ... !{address}) or set ssh_config = \"\" in \
                 [defaults]"
            )));
            return None;
        }
        if let Some(Found { value, origin }) = resolved.host_name {
            if let Err(why) = address::check(&value) {
                self.toml.push(origin.problem(format!("HostName for {address}: {why}")));
                return None;
            }
            out.address = Some(value);
        }
        out.user = resolved.user.map(|found| found.value);
        out.port = resolved.port.map(|found| found.value);
        if !given.identity_file {
            out.identity_file = self.identity_from(&resolved.identity_files)?;
        }
        if let (false, Some(Found { value: files, origin })) = (given.known_hosts, resolved.user_known_hosts_files) {
            if files.len() > 1 {
                let unread: Vec<String> = files[1..].iter().map(|file| file.display().to_string()).collect();
                self.warn_once(origin.problem(format!(
                    "only the first file, {}, is read for host keys (and recorded in under \
                     accept-new); not {}",
                    files[0].display(),
                    unread.join(", ")
                )));
            }
            out.known_hosts = files.into_iter().next().map(|value| Set {
                value,
                span: 0..0,
                key: String::new(),
                origin: Some(origin),
            });
        }
        if let Some(Found { value, origin }) = resolved.proxy_jump {
            match jump::parse(&value) {
                Ok(JumpSpec::Chain(hops)) => out.proxy_jump = Some((hops, origin)),
                // `none` never comes this far (resolve drops it).
                Ok(JumpSpec::Direct) => {}
                Err(why) => {
                    self.toml.push(origin.problem(why));
                    return None;
                }
            }
        }
        Some(out)
    }

    /// The identity file to use from `IdentityFile` lines: the first that
    /// exists (ssh passes over missing ones), judged as the inventory's own.
    fn identity_from(&mut self, files: &[Found<PathBuf>]) -> Option<Option<PathBuf>> {
        let mut chosen: Option<&Found<PathBuf>> = None;
        for found in files {
            if matches!(*self.probe(&found.value), Probe::Missing) {
                continue;
            }
            if let Some(first) = chosen {
                self.warn_once(found.origin.problem(format!(
                    "identity file {} is not offered: hardbench offers one identity file per host, \
                     {} (from line {}), then the ssh-agent's keys",
                    found.value.display(),
                    first.value.display(),
                    first.origin.line
                )));
                continue;
            }
            match self.judge_identity_file(&found.value) {
                Ok(warning) => {
                    if let Some(message) = warning {
                        self.warn_once(found.origin.problem(message));
                    }
                    chosen = Some(found);
                }
                Err(why) => {
                    self.toml.push(found.origin.problem(why));
                    return None;
                }
            }
        }
        if let (None, Some(first)) = (chosen, files.first()) {
            let listed: Vec<String> = files.iter().map(|found| found.value.display().to_string()).collect();
            self.warn_once(first.origin.problem(format!(
                "no IdentityFile exists ({}): only the ssh-agent's keys are offered",
                listed.join(", ")
            )));
        }
        Some(chosen.map(|found| found.value.clone()))
    }
}

#[cfg(test)]
mod tests {
    use crate::inventory::{parse, Env, Host, Inventory, Probe};
    use crate::transport::ssh_config::SshConfig;
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n";
    const KNOWN: &str = "10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n";

    /// A home directory with `.ssh/` holding two keys (`id_a`, `id_b`) and
    /// a known_hosts file (`known`), and the given files.
    fn home(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let all = [(".ssh/id_a", KEY), (".ssh/id_b", KEY), (".ssh/known", KNOWN), (".ssh/known_hosts", KNOWN)];
        for (path, text) in all.iter().chain(files) {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        dir
    }

    fn load(home: &Path, flag: Option<&str>, text: &str) -> Result<Inventory, Vec<String>> {
        let env = Env {
            home: Some(home.to_path_buf()),
            user: Some("me".into()),
            probe: &Probe::path,
            // `--ssh-config ""` stays empty: it turns the file off.
            ssh_config: flag.map(|flag| if flag.is_empty() { PathBuf::new() } else { home.join(flag) }),
            read_ssh_config: &SshConfig::read,
        };
        let shown = |problem: &crate::toml_file::Problem| {
            problem.to_string().replace(&home.display().to_string(), "~")
        };
        let inventory = parse(&home.join("inventory.toml"), text, &env)
            .map_err(|errors| errors.0.iter().map(shown).collect::<Vec<_>>())?;
        Ok(inventory)
    }

    fn warnings(home: &Path, inventory: &Inventory) -> Vec<String> {
        let home = home.display().to_string();
        inventory.warnings.iter().map(|warning| warning.to_string().replace(&home, "~")).collect()
    }

    /// (name, address, port, user, identity file, known_hosts, proxy_jump),
    /// paths under the home shown from `~`.
    fn summary(home: &Path, host: &Host) -> String {
        let home = home.display().to_string();
        let path = |path: &Path| path.display().to_string().replace(&home, "~");
        format!(
            "{} {}:{} {} {} {} {}",
            host.name,
            host.address,
            host.port,
            host.user,
            host.identity_file.as_deref().map_or("agent".to_string(), path),
            path(&host.known_hosts),
            host.proxy_jump.as_ref().map_or("direct".to_string(), ToString::to_string)
        )
    }

    const CONFIG: &str = "\
Host cp-1
    HostName 10.0.0.1
    Port 2201
    User from-ssh
    IdentityFile ~/.ssh/id_missing
    IdentityFile ~/.ssh/id_a
    IdentityFile ~/.ssh/id_b
    UserKnownHostsFile ~/.ssh/known ~/.ssh/known2
Host behind
    ProxyJump audit@j1:22,j2
Host *
    StrictHostKeyChecking no
    User everyone
";

    #[test]
    fn inventory_values_win_then_ssh_config_then_built_in_defaults() {
        let dir = home(&[(".ssh/config", CONFIG)]);
        let text = "\
[[hosts]]
name = \"alias-only\"
address = \"cp-1\"

[[hosts]]
name = \"overridden\"
address = \"cp-1\"
port = 22
user = \"root\"
identity_file = \"~/.ssh/id_b\"
known_hosts = \"~/.ssh/known_hosts\"

[[hosts]]
name = \"plain\"
address = \"worker-1\"

[[hosts]]
name = \"jumped\"
address = \"behind\"
";
        let inventory = load(dir.path(), None, text).unwrap();
        let hosts: Vec<String> = inventory.hosts.iter().map(|host| summary(dir.path(), host)).collect();
        assert_eq!(hosts, [
            "alias-only 10.0.0.1:2201 from-ssh ~/.ssh/id_a ~/.ssh/known direct",
            "overridden 10.0.0.1:22 root ~/.ssh/id_b ~/.ssh/known_hosts direct",
            "plain worker-1:22 everyone agent ~/.ssh/known_hosts direct",
            "jumped behind:22 everyone agent ~/.ssh/known_hosts audit@j1:22,everyone@j2:22",
        ]);
        assert_eq!(warnings(dir.path(), &inventory), [
            "~/.ssh/config:7:5: IdentityFile: identity file ~/.ssh/id_b is not offered: hardbench offers \
             one identity file per host, ~/.ssh/id_a (from line 6), then the ssh-agent's keys",
            "~/.ssh/config:8:5: UserKnownHostsFile: only the first file, ~/.ssh/known, is read for host keys \
             (and recorded in under accept-new); not ~/.ssh/known2",
            "~/.ssh/config:12:5: StrictHostKeyChecking: ignored: StrictHostKeyChecking no: host keys are \
             checked as host_key_policy says (strict unless the inventory says accept-new)",
        ]);
        // [defaults] is an inventory value too.
        let inventory = load(dir.path(), None, &format!("[defaults]\nuser = \"audit\"\nport = 2222\n{text}")).unwrap();
        assert_eq!(summary(dir.path(), &inventory.hosts[0]), "alias-only 10.0.0.1:2222 audit ~/.ssh/id_a ~/.ssh/known direct");
    }

    #[test]
    fn which_file_is_read() {
        let dir = home(&[(".ssh/config", "User from-default\n"), ("other", "User from-other\n"), ("flag", "User from-flag\n")]);
        let user = |flag: Option<&str>, text: &str| {
            let text = format!("{text}\n[[hosts]]\nname = \"a\"\naddress = \"a\"\n");
            load(dir.path(), flag, &text).unwrap().hosts[0].user.clone()
        };
        assert_eq!(user(None, ""), "from-default");
        assert_eq!(user(None, "[defaults]\nssh_config = \"other\""), "from-other");
        assert_eq!(user(None, "[defaults]\nssh_config = \"\""), "me");
        assert_eq!(user(Some("flag"), "[defaults]\nssh_config = \"other\""), "from-flag");
        assert_eq!(user(Some(""), ""), "me");
        std::fs::remove_file(dir.path().join(".ssh/config")).unwrap();
        assert_eq!(user(None, ""), "me", "no ~/.ssh/config: none read");
        let errors = load(dir.path(), None, "[defaults]\nssh_config = \"missing\"\n[[hosts]]\nname = \"a\"\naddress = \"a\"\n");
        assert_eq!(errors.unwrap_err(), ["~/missing: cannot read: No such file or directory (os error 2)"]);
        let errors = load(dir.path(), None, "[defaults]\nssh_config = 1\n[[hosts]]\nname = \"a\"\naddress = \"a\"\n");
        assert_eq!(
            errors.unwrap_err(),
            ["~/inventory.toml:2:14: defaults.ssh_config: expected a string (a path, or \"\" for none), found an integer"]
        );
    }

    /// A jump host is looked up in ssh_config by the name the chain gives
    /// it, as ssh does; a first hop with a ProxyJump of its own is reached
    /// through that first; the inventory's proxy_jump wins over ssh_config's.
    #[test]
    fn jump_hosts_from_ssh_config() {
        let config = "\
Host bastion
    HostName 10.9.0.1
    User ops
    Port 2200
    IdentityFile ~/.ssh/id_b
    UserKnownHostsFile ~/.ssh/known
Host inner
    ProxyJump bastion
Host *.lan
    ProxyJump inner,other:2022
Host loop1
    ProxyJump loop2
Host loop2
    ProxyJump loop1
Host looped
    ProxyJump loop1
Host broken
    ProxyJump a,,b
";
        let dir = home(&[(".ssh/config", config)]);
        let text = "\
[defaults]
user = \"audit\"
identity_file = \"~/.ssh/id_a\"

[[hosts]]
name = \"behind\"
address = \"cp.lan\"

[[hosts]]
name = \"overridden\"
address = \"cp.lan\"
proxy_jump = \"bastion\"

[[hosts]]
name = \"cleared\"
address = \"cp.lan\"
proxy_jump = \"none\"
";
        let inventory = load(dir.path(), None, text).unwrap();
        let hosts: Vec<String> = inventory.hosts.iter().map(|host| summary(dir.path(), host)).collect();
        assert_eq!(hosts, [
            "behind cp.lan:22 audit ~/.ssh/id_a ~/.ssh/known_hosts \
             ops@bastion (10.9.0.1:2200),audit@inner:22,audit@other:2022",
            "overridden cp.lan:22 audit ~/.ssh/id_a ~/.ssh/known_hosts ops@bastion (10.9.0.1:2200)",
            "cleared cp.lan:22 audit ~/.ssh/id_a ~/.ssh/known_hosts direct",
        ]);
        // The jump host's own identity file and known_hosts, from its block.
        let bastion = &inventory.hosts[1].proxy_jump.as_ref().unwrap().hops[0];
        assert_eq!(
            (bastion.identity_file.as_deref(), bastion.known_hosts.as_path()),
            (Some(dir.path().join(".ssh/id_b").as_path()), dir.path().join(".ssh/known").as_path())
        );
        let host = |address: &str| format!("[[hosts]]\nname = \"a\"\naddress = \"{address}\"\n");
        assert_eq!(load(dir.path(), None, &host("looped")).unwrap_err(), [
            "~/.ssh/config:12:5: ProxyJump: ProxyJump loop: jump host loop1 is reached through ProxyJump again \
             and again (8 levels); exclude the jump hosts from the block (Host * !loop1)",
        ]);
        assert_eq!(load(dir.path(), None, &host("broken")).unwrap_err(), [
            "~/.ssh/config:18:5: ProxyJump: bad jump host \"\" (hop 2 of 3): empty (two commas, or a comma at an end)",
        ]);
    }

    #[test]
    fn what_ssh_config_gives_is_checked_at_its_line() {
        let config = "\
Host bad-name
    HostName 10.0.0.1:22
Host no-known-hosts
    UserKnownHostsFile ~/.ssh/missing_known
Host public-key
    IdentityFile ~/.ssh/id_a.pub
Host via-command
    ProxyCommand nc %h %p
Host broken-token
    IdentityFile ~/.ssh/%C
";
        let dir = home(&[(".ssh/config", config), (".ssh/id_a.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR x\n")]);
        let text: String = ["bad-name", "no-known-hosts", "public-key", "via-command", "broken-token"]
            .iter()
            .map(|name| format!("[[hosts]]\nname = \"{name}\"\naddress = \"{name}\"\n"))
            .collect();
        assert_eq!(load(dir.path(), None, &text).unwrap_err(), [
            "~/.ssh/config:2:5: HostName: HostName for bad-name: address \"10.0.0.1:22\" has a port; set it with the port key",
            "~/.ssh/config:4:5: UserKnownHostsFile: known_hosts file ~/.ssh/missing_known does not exist, and with \
             host_key_policy = \"strict\" every host's key would be refused: add the hosts' keys to it (after \
             checking their fingerprints), or use host_key_policy = \"accept-new\" for a first run",
            "~/.ssh/config:6:5: IdentityFile: identity file ~/.ssh/id_a.pub holds an OpenSSH public key (ssh-ed25519), \
             not a private key: name the private key file (probably ~/.ssh/id_a)",
            "~/.ssh/config:8:5: ProxyCommand: ProxyCommand \"nc %h %p\" applies to host via-command (via-command): \
             hardbench cannot connect through a command, and does not connect directly where ssh would not; leave \
             via-command out of this block (Host ... !via-command) or set ssh_config = \"\" in [defaults]",
            "~/.ssh/config:10:5: IdentityFile: token %C is not supported here (in \"~/.ssh/%C\"); supported: %%, %d, \
             %h, %n, %p, %r, %u",
        ]);
        // A syntax error anywhere in the file stops the inventory, as it stops ssh.
        let dir = home(&[(".ssh/config", "Host x\n    Port ssh\n")]);
        assert_eq!(
            load(dir.path(), None, "[[hosts]]\nname = \"a\"\naddress = \"a\"\n").unwrap_err(),
            ["~/.ssh/config:2:5: Port: bad port \"ssh\": expected a number from 1 to 65535"]
        );
    }
}

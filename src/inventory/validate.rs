//! Inventory text → `Inventory`. Reads the TOML with `toml_file` (every
//! problem reported in one pass, each at its exact place), checks each value
//! (types, ranges, addresses `run` can reach, files that must be there),
//! then merges each host over `[defaults]`, the OpenSSH client configuration
//! (`validate/ssh_config.rs`) and the built-in defaults. Pure: the
//! environment (HOME, USER, what is at a path, how an ssh_config file is
//! read) comes in through `Env`.

use super::error::{InventoryError, InventoryErrors};
use super::quantity::{parse_duration, parse_size, size_from_integer};
use super::jump::{self, HopSpec, JumpChain, JumpHost, JumpSpec};
use super::{
    address, key_file, Become, Env, Host, HostKeyPolicy, Inventory, Probe, DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KNOWN_HOSTS, DEFAULT_MAX_OUTPUT, DEFAULT_PORT,
};
use crate::component::Role;
use crate::toml_file::{self, expected, Table, TomlFile, Value};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;
use toml::de::{DeArray, DeValue};
use toml::Spanned;

mod ssh_config;

/// Keys allowed both in `[defaults]` and in each `[[hosts]]`, in the order
/// "expected one of" lists them.
const SETTING_KEYS: [&str; 10] = [
    "user",
    "port",
    "identity_file",
    "known_hosts",
    "host_key_policy",
    "become",
    "connect_timeout",
    "command_timeout",
    "max_output",
    "proxy_jump",
];

/// Keys only a `[[hosts]]` entry has.
const HOST_KEYS: [&str; 3] = ["name", "address", "roles"];

/// Keys that would carry a secret. They get their own message: a user who
/// tries one needs to hear why, not that the key is merely unknown.
const PASSWORD_KEYS: [&str; 3] = ["password", "sudo_password", "become_password"];

const PASSWORD_MESSAGE: &str =
    "passwords are never accepted in the inventory; use key-based auth and NOPASSWD sudo";

pub(super) fn validate(file: &Path, text: &str, env: &Env) -> Result<Inventory, InventoryErrors> {
    let mut validator = Validator {
        toml: TomlFile::new(file, text),
        env,
        base_dir: file.parent().unwrap_or(Path::new("")).to_path_buf(),
        probes: HashMap::new(),
        warnings: Vec::new(),
        warned: HashSet::new(),
        ssh_config: None,
    };
    let hosts = match validator.toml.parse() {
        Some(doc) => validator.document(&doc),
        None => Vec::new(),
    };
    let Validator {
        toml, mut warnings, ..
    } = validator;
    let errors = toml.into_problems();
    if errors.is_empty() {
        toml_file::sort(&mut warnings);
        Ok(Inventory {
            path: file.to_path_buf(),
            sha256: crate::digest::sha256_hex(text.as_bytes()),
            hosts,
            warnings,
            role_map: None,
        })
    } else {
        Err(InventoryErrors(errors))
    }
}

/// `[defaults]` laid over the built-in defaults, for hosts read from
/// another format (an Ansible inventory), whose own values win.
pub(super) struct Defaults {
    /// `None` when neither the table nor $USER give one.
    pub user: Option<String>,
    pub port: u16,
    pub identity_file: Option<PathBuf>,
    /// `None` when HOME is not set and the table names none (an error has
    /// then been recorded).
    pub known_hosts: Option<PathBuf>,
    pub host_key_policy: HostKeyPolicy,
    pub become_method: Become,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub max_output: u64,
    pub proxy_jump: Option<JumpSpec>,
}

/// Reads `table`, a `[defaults]` table of another TOML file (`toml`: the
/// Ansible role map), with the inventory's keys, checks and messages, and
/// checks the known_hosts file it leads to; without a table, the built-in
/// defaults. Relative paths are relative to `base_dir`. Problems go to
/// `toml`; warnings are returned.
pub(super) fn defaults<'a>(
    toml: TomlFile<'a>,
    env: &'a Env<'a>,
    base_dir: PathBuf,
    table: Option<Value<'_, 'a>>,
) -> (TomlFile<'a>, Defaults, Vec<InventoryError>) {
    let mut validator = Validator {
        toml,
        env,
        base_dir,
        probes: HashMap::new(),
        warnings: Vec::new(),
        warned: HashSet::new(),
        // The role map's [defaults] do not name an ssh_config: Ansible
        // inventories are not looked up in one (README).
        ssh_config: None,
    };
    let (mut settings, mut span) = (Settings::default(), 0..0);
    if let Some(value) = table {
        match value.get_ref() {
            DeValue::Table(inner) => {
                span = value.span();
                let mut table = Table::new(inner, value.span(), "defaults".to_string());
                settings = validator.settings(&mut table);
                table.finish(&mut validator.toml, password_hint);
            }
            _ => validator.type_error(value, "defaults", "a table ([defaults])"),
        }
    }
    let host_key_policy = settings.host_key_policy.unwrap_or(HostKeyPolicy::Strict);
    let known_hosts = match settings.known_hosts {
        Some(set) => Some(set),
        None => expand_path(DEFAULT_KNOWN_HOSTS, env.home.as_deref(), &validator.base_dir)
            .ok()
            .map(|value| Set { value, span: span.clone(), key: "defaults.known_hosts".to_string(), origin: None }),
    };
    match &known_hosts {
        Some(set) => validator.check_known_hosts(set, host_key_policy),
        None if settings.invalid.contains(&"known_hosts") => {}
        None => {
            let message = format!(
                "cannot expand the default known_hosts {DEFAULT_KNOWN_HOSTS}: HOME is not set; \
                 set known_hosts in [defaults]"
            );
            validator.key_error(span, "defaults.known_hosts", message);
        }
    }
    let defaults = Defaults {
        user: settings.user.or_else(|| env.user.clone()),
        port: settings.port.unwrap_or(DEFAULT_PORT),
        identity_file: settings.identity_file,
        known_hosts: known_hosts.map(|set| set.value),
        host_key_policy,
        become_method: settings.become_method.unwrap_or(Become::Sudo),
        connect_timeout: settings.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        command_timeout: settings.command_timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT),
        max_output: settings.max_output.unwrap_or(DEFAULT_MAX_OUTPUT),
        proxy_jump: settings.proxy_jump,
    };
    (validator.toml, defaults, validator.warnings)
}

/// A value with where it was set: for problems found when hosts are merged.
#[derive(Clone)]
struct Set<T> {
    value: T,
    span: Range<usize>,
    key: String,
    /// Set by a line of the ssh_config file, not by the inventory.
    origin: Option<crate::transport::ssh_config::Origin>,
}

/// Settings from one table, each present only if set there and valid.
#[derive(Default)]
struct Settings {
    user: Option<String>,
    port: Option<u16>,
    identity_file: Option<PathBuf>,
    known_hosts: Option<Set<PathBuf>>,
    host_key_policy: Option<HostKeyPolicy>,
    become_method: Option<Become>,
    connect_timeout: Option<Duration>,
    command_timeout: Option<Duration>,
    max_output: Option<u64>,
    proxy_jump: Option<JumpSpec>,
    /// Keys that were set but invalid, so that merging does not report a
    /// knock-on "missing" error for them.
    invalid: Vec<&'static str>,
}

impl Settings {
    fn is_invalid(&self, key: &str) -> bool {
        self.invalid.contains(&key)
    }
}

/// How deep ProxyJumps of jump hosts may nest before it is called a loop.
const MAX_JUMP_DEPTH: usize = 8;

/// The known_hosts files checked so far, by where they were set and under
/// which policy: one problem per place, not one per host.
type KnownHostsChecked = HashSet<((usize, Option<crate::transport::ssh_config::Origin>), HostKeyPolicy)>;

/// What a jump host takes from the host reached through it.
struct Target<'t> {
    user: &'t str,
    identity_file: Option<&'t PathBuf>,
    known_hosts: &'t Set<PathBuf>,
    host_key_policy: HostKeyPolicy,
}

/// A `[[hosts]]` entry before merging; `None` where the key was missing or
/// invalid (an error has then been recorded).
struct HostEntry {
    name: Option<Spanned<String>>,
    address: Option<String>,
    roles: Option<Vec<Role>>,
    settings: Settings,
}

struct Validator<'a> {
    toml: TomlFile<'a>,
    env: &'a Env<'a>,
    /// Relative paths in the inventory are relative to its directory, so
    /// the same file works whatever the current directory.
    base_dir: PathBuf,
    /// What is at each path looked at: thousands of hosts share one key
    /// and one known_hosts.
    probes: HashMap<PathBuf, Rc<Probe>>,
    warnings: Vec<InventoryError>,
    /// Files already warned about: one warning per file, not per host.
    warned: HashSet<PathBuf>,
    /// The OpenSSH client configuration in force, if any.
    ssh_config: Option<ssh_config::InForce>,
}

impl<'a> Validator<'a> {
    fn key_error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        self.toml.problem(&span, Some(key), message);
    }

    fn type_error(&mut self, value: Value<'_, '_>, key: &str, what: &str) {
        self.key_error(value.span(), key, expected(what, value.get_ref()));
    }

    fn probe(&mut self, path: &Path) -> Rc<Probe> {
        let probe = self.env.probe;
        let found = self
            .probes
            .entry(path.to_path_buf())
            .or_insert_with(|| Rc::new(probe(path)));
        Rc::clone(found)
    }

    fn document(&mut self, doc: &Spanned<toml::de::DeTable<'a>>) -> Vec<Host> {
        let mut root = Table::root(doc);
        let mut defaults = Settings::default();
        let mut defaults_span = 0..0;
        if let Some(value) = root.get("defaults") {
            match value.get_ref() {
                DeValue::Table(table) => {
                    defaults_span = value.span();
                    let mut table = Table::new(table, value.span(), "defaults".to_string());
                    defaults = self.settings(&mut table);
                    let ssh_config = table.get("ssh_config");
                    self.ssh_config_key(ssh_config);
                    table.finish(&mut self.toml, |name| {
                        password_hint(name).or_else(|| host_key_hint(name))
                    });
                }
                _ => self.type_error(value, "defaults", "a table ([defaults])"),
            }
        }
        if root.get("defaults").is_none() {
            self.ssh_config_key(None);
        }
        let no_hosts = "no hosts: add at least one [[hosts]] table";
        match root.get("hosts") {
            None => self.key_error(0..0, "hosts", no_hosts),
            Some(value) if value.get_ref().as_array().is_some_and(|hosts| hosts.is_empty()) => {
                self.key_error(value.span(), "hosts", no_hosts)
            }
            Some(_) => {}
        }
        let tables = root.tables(
            &mut self.toml,
            "hosts",
            "an array of tables ([[hosts]])",
            |_, table| Some(table),
        );
        let entries: Vec<HostEntry> = tables
            .unwrap_or_default()
            .into_iter()
            .map(|table| self.host(table))
            .collect();
        root.finish(&mut self.toml, |name| {
            password_hint(name).or_else(|| {
                if SETTING_KEYS.contains(&name) {
                    Some(format!("{name} belongs under [defaults] or in a [[hosts]] entry"))
                } else {
                    host_key_hint(name)
                }
            })
        });
        self.check_unique_names(&entries);
        self.merge(defaults, defaults_span, entries)
    }

    fn host(&mut self, mut table: Table<'_, '_>) -> HostEntry {
        let settings = self.settings(&mut table);
        let prefix = table.path.clone();
        let name = match table.get("name") {
            Some(value) => self.name(value, &format!("{prefix}.name")),
            None => {
                table.missing(&mut self.toml, "name");
                None
            }
        };
        let address = match table.get("address") {
            Some(value) => self.address(value, &format!("{prefix}.address")),
            None => {
                table.missing(&mut self.toml, "address");
                None
            }
        };
        let roles = table
            .get("roles")
            .and_then(|value| self.roles(value, &format!("{prefix}.roles")));
        table.finish(&mut self.toml, password_hint);
        HostEntry {
            name,
            address,
            roles,
            settings,
        }
    }

    /// Reads the setting keys of one table (`[defaults]` or a host).
    fn settings(&mut self, table: &mut Table<'_, '_>) -> Settings {
        let mut settings = Settings::default();
        for name in SETTING_KEYS {
            let Some(value) = table.get(name) else {
                continue;
            };
            let path = table.key_path(name);
            let errors_before = self.toml.problem_count();
            match name {
                "user" => settings.user = self.non_empty(value, &path, "user"),
                "port" => settings.port = self.port(value, &path),
                "identity_file" => settings.identity_file = self.identity_file(value, &path),
                "known_hosts" => {
                    settings.known_hosts = self.path(value, &path).map(|path_value| Set {
                        value: path_value,
                        span: value.span(),
                        key: path.clone(),
                        origin: None,
                    })
                }
                "host_key_policy" => settings.host_key_policy = self.host_key_policy(value, &path),
                "become" => settings.become_method = self.become_method(value, &path),
                "connect_timeout" => settings.connect_timeout = self.duration(value, &path),
                "command_timeout" => settings.command_timeout = self.duration(value, &path),
                "max_output" => settings.max_output = self.size(value, &path),
                "proxy_jump" => settings.proxy_jump = self.proxy_jump(value, &path),
                _ => unreachable!("every setting key is read"),
            }
            if self.toml.problem_count() > errors_before {
                settings.invalid.push(name);
            }
        }
        settings
    }

    fn string<'v>(&mut self, value: Value<'v, '_>, key: &str) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.as_ref()),
            _ => {
                self.type_error(value, key, "a string");
                None
            }
        }
    }

    /// A string that must not be empty or only whitespace.
    fn non_empty(&mut self, value: Value<'_, '_>, key: &str, what: &str) -> Option<String> {
        let text = self.string(value, key)?;
        if text.trim().is_empty() {
            self.key_error(value.span(), key, format!("{what} is empty"));
            return None;
        }
        Some(text.to_string())
    }

    fn name(&mut self, value: Value<'_, '_>, key: &str) -> Option<Spanned<String>> {
        let name = self.non_empty(value, key, "name")?;
        if let Err(message) = check_name(&name) {
            self.key_error(value.span(), key, message);
            return None;
        }
        Some(Spanned::new(value.span(), name))
    }

    fn address(&mut self, value: Value<'_, '_>, key: &str) -> Option<String> {
        let address = self.non_empty(value, key, "address")?;
        match address::check(&address) {
            Ok(()) => Some(address),
            Err(message) => {
                self.key_error(value.span(), key, message);
                None
            }
        }
    }

    fn roles(&mut self, value: Value<'_, '_>, key: &str) -> Option<Vec<Role>> {
        let DeValue::Array(array) = value.get_ref() else {
            self.type_error(value, key, "an array of roles");
            return None;
        };
        if array.is_empty() {
            let message = "roles is empty: list at least one role, or omit roles to detect them from processes";
            self.key_error(value.span(), key, message);
            return None;
        }
        self.role_list(array, key)
    }

    fn role_list(&mut self, array: &DeArray, key: &str) -> Option<Vec<Role>> {
        let mut roles = Vec::new();
        let mut valid = true;
        for (index, element) in array.iter().enumerate() {
            let key = format!("{key}[{index}]");
            let Some(name) = self.string(element, &key) else {
                valid = false;
                continue;
            };
            match Role::from_name(name) {
                Some(role) if roles.contains(&role) => {
                    self.key_error(element.span(), &key, format!("duplicate role {name:?}"));
                    valid = false;
                }
                Some(role) => roles.push(role),
                None => {
                    let message = format!(
                        "unknown role {name:?}: expected one of {}",
                        Role::names().join(", ")
                    );
                    self.key_error(element.span(), &key, message);
                    valid = false;
                }
            }
        }
        roles.sort();
        valid.then_some(roles)
    }

    fn port(&mut self, value: Value<'_, '_>, key: &str) -> Option<u16> {
        let DeValue::Integer(integer) = value.get_ref() else {
            self.type_error(value, key, "an integer");
            return None;
        };
        let number = i128::from_str_radix(integer.as_str(), integer.radix()).ok();
        match number
            .and_then(|n| u16::try_from(n).ok())
            .filter(|port| *port != 0)
        {
            Some(port) => Some(port),
            None => {
                let message = format!("port {integer} is out of range 1-65535");
                self.key_error(value.span(), key, message);
                None
            }
        }
    }

    /// A path with `~` expanded and made relative to the inventory's
    /// directory.
    fn path(&mut self, value: Value<'_, '_>, key: &str) -> Option<PathBuf> {
        let text = self.non_empty(value, key, "path")?;
        match expand_path(&text, self.env.home.as_deref(), &self.base_dir) {
            Ok(path) => Some(path),
            Err(message) => {
                self.key_error(value.span(), key, message);
                None
            }
        }
    }

    /// A private key file that exists and is a private key; one that group
    /// or others can access is a warning (OpenSSH would refuse it).
    fn identity_file(&mut self, value: Value<'_, '_>, key: &str) -> Option<PathBuf> {
        let file = self.path(value, key)?;
        match self.judge_identity_file(&file) {
            Ok(warning) => {
                if let Some(message) = warning {
                    let loc = self.toml.loc(&value.span(), Some(key));
                    self.warnings.push(InventoryError::at(&loc, message));
                }
                Some(file)
            }
            Err(problem) => {
                self.key_error(value.span(), key, problem);
                None
            }
        }
    }

    /// Whether `file` is a private key (`identity_file_problem`), its
    /// warning given once per file.
    fn judge_identity_file(&mut self, file: &Path) -> Result<Option<String>, String> {
        let warning = identity_file_problem(file, &self.probe(file))?;
        Ok(warning.filter(|_| self.warned.insert(file.to_path_buf())))
    }

    fn host_key_policy(&mut self, value: Value<'_, '_>, key: &str) -> Option<HostKeyPolicy> {
        let text = self.string(value, key)?;
        let policy = HostKeyPolicy::from_name(text);
        if policy.is_none() {
            let message = format!(
                "invalid host_key_policy {text:?}: expected {} \
                 (host key verification cannot be turned off)",
                HostKeyPolicy::names().join(" or ")
            );
            self.key_error(value.span(), key, message);
        }
        policy
    }

    fn become_method(&mut self, value: Value<'_, '_>, key: &str) -> Option<Become> {
        let text = self.string(value, key)?;
        Become::parse(text)
            .map_err(|message| self.key_error(value.span(), key, message))
            .ok()
    }

    fn proxy_jump(&mut self, value: Value<'_, '_>, key: &str) -> Option<JumpSpec> {
        let text = self.string(value, key)?;
        jump::parse(text)
            .map_err(|message| self.key_error(value.span(), key, message))
            .ok()
    }

    fn duration(&mut self, value: Value<'_, '_>, key: &str) -> Option<Duration> {
        let text = self.string(value, key)?;
        parse_duration(text)
            .map_err(|message| self.key_error(value.span(), key, message))
            .ok()
    }

    fn size(&mut self, value: Value<'_, '_>, key: &str) -> Option<u64> {
        let size = match value.get_ref() {
            DeValue::String(text) => parse_size(text),
            DeValue::Integer(integer) => {
                match i128::from_str_radix(integer.as_str(), integer.radix()) {
                    Ok(bytes) => size_from_integer(bytes, integer.as_str()),
                    // Beyond i128: too large whatever the sign.
                    Err(_) => size_from_integer(i128::MAX, integer.as_str()),
                }
            }
            _ => {
                self.type_error(value, key, "a size such as \"8MiB\"");
                return None;
            }
        };
        size.map_err(|message| self.key_error(value.span(), key, message))
            .ok()
    }

    fn check_unique_names(&mut self, entries: &[HostEntry]) {
        let mut first_line: HashMap<&str, usize> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let Some(name) = &entry.name else { continue };
            match first_line.get(name.get_ref().as_str()) {
                Some(first) => {
                    let message = format!(
                        "duplicate host name {:?}: first defined on line {first}",
                        name.get_ref()
                    );
                    self.key_error(name.span(), &format!("hosts[{index}].name"), message);
                }
                None => {
                    let line = self.toml.position(name.span().start).line;
                    first_line.insert(name.get_ref(), line);
                }
            }
        }
    }

    /// Host value, else `[defaults]` value, else the built-in default. Hosts
    /// with missing or invalid keys are dropped: an error is already
    /// recorded, so no inventory will be returned.
    fn merge(
        &mut self,
        defaults: Settings,
        defaults_span: Range<usize>,
        entries: Vec<HostEntry>,
    ) -> Vec<Host> {
        let mut missing_user = false;
        let mut missing_home = false;
        // Where each known_hosts was set, once: a problem with the one in
        // [defaults] is one error, not one per host.
        let mut known_hosts_checked: KnownHostsChecked = HashSet::new();
        let built_in_known_hosts =
            expand_path(DEFAULT_KNOWN_HOSTS, self.env.home.as_deref(), &self.base_dir)
                .ok()
                .map(|path| Set {
                    value: path,
                    span: defaults_span.clone(),
                    key: "defaults.known_hosts".to_string(),
                    origin: None,
                });
        let mut hosts = Vec::new();
        for entry in entries {
            let (Some(name), Some(address)) = (entry.name, entry.address) else {
                continue;
            };
            let own = entry.settings;
            let given = ssh_config::Given {
                user: own.user.as_deref().or(defaults.user.as_deref()),
                port: own.port.or(defaults.port),
                identity_file: own.identity_file.is_some() || defaults.identity_file.is_some(),
                known_hosts: own.known_hosts.is_some() || defaults.known_hosts.is_some(),
            };
            let Some(ssh) = self.ssh_config_for(name.get_ref(), &address, given) else {
                continue;
            };
            let set_but_invalid = |key: &str| own.is_invalid(key) || defaults.is_invalid(key);
            let (user_invalid, known_hosts_invalid) =
                (set_but_invalid("user"), set_but_invalid("known_hosts"));
            let user = own
                .user
                .or_else(|| defaults.user.clone())
                .or(ssh.user)
                .or_else(|| self.env.user.clone());
            let known_hosts = own
                .known_hosts
                .or_else(|| defaults.known_hosts.clone())
                .or(ssh.known_hosts)
                .or_else(|| built_in_known_hosts.clone());
            missing_user |= user.is_none() && !user_invalid;
            missing_home |= known_hosts.is_none() && !known_hosts_invalid;
            let (Some(user), Some(known_hosts)) = (user, known_hosts) else {
                continue;
            };
            let host_key_policy = own
                .host_key_policy
                .or(defaults.host_key_policy)
                .unwrap_or(HostKeyPolicy::Strict);
            let set_at = (known_hosts.span.start, known_hosts.origin.clone());
            if known_hosts_checked.insert((set_at, host_key_policy)) {
                self.check_known_hosts(&known_hosts, host_key_policy);
            }
            // The inventory's value (`none` included) wins over ssh_config's.
            let jumps = match own.proxy_jump.as_ref().or(defaults.proxy_jump.as_ref()) {
                Some(JumpSpec::Chain(hops)) => Some(hops.clone()),
                Some(JumpSpec::Direct) => None,
                None => ssh.proxy_jump.map(|(hops, _)| hops),
            };
            let proxy_jump = match jumps {
                None => None,
                Some(hops) => {
                    let target = Target {
                        user: &user,
                        identity_file: own.identity_file.as_ref().or(defaults.identity_file.as_ref()).or(ssh.identity_file.as_ref()),
                        known_hosts: &known_hosts,
                        host_key_policy,
                    };
                    let Some(chain) = self.jump_chain(&hops, &target, &mut known_hosts_checked, 0) else {
                        continue;
                    };
                    Some(JumpChain { hops: chain })
                }
            };
            hosts.push(Host {
                name: name.into_inner(),
                address: ssh.address.unwrap_or(address),
                port: own.port.or(defaults.port).or(ssh.port).unwrap_or(DEFAULT_PORT),
                user,
                identity_file: own.identity_file.or_else(|| defaults.identity_file.clone()).or(ssh.identity_file),
                known_hosts: known_hosts.value,
                host_key_policy,
                become_method: own
                    .become_method
                    .or_else(|| defaults.become_method.clone())
                    .unwrap_or(Become::Sudo),
                connect_timeout: own
                    .connect_timeout
                    .or(defaults.connect_timeout)
                    .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                command_timeout: own
                    .command_timeout
                    .or(defaults.command_timeout)
                    .unwrap_or(DEFAULT_COMMAND_TIMEOUT),
                max_output: own
                    .max_output
                    .or(defaults.max_output)
                    .unwrap_or(DEFAULT_MAX_OUTPUT),
                roles: entry.roles,
                proxy_jump,
            });
        }
        // One error each, not one per host: the fix is one line in [defaults].
        if missing_user {
            let message = "no user: set user in [defaults] or per host ($USER is not set)";
            self.key_error(defaults_span.clone(), "defaults.user", message);
        }
        if missing_home {
            let message = format!(
                "cannot expand the default known_hosts {DEFAULT_KNOWN_HOSTS}: HOME is not set; \
                 set known_hosts in [defaults] or per host"
            );
            self.key_error(defaults_span, "defaults.known_hosts", message);
        }
        hosts
    }

    /// The jump hosts of `hops`, each resolved as OpenSSH resolves a jump
    /// host: its user and port from the hop, else from ssh_config for its
    /// name, else the target's user and port 22; its identity file and
    /// known_hosts from ssh_config for its name, else the target's. A first
    /// hop that ssh_config puts behind a ProxyJump of its own is reached
    /// through that chain first, as ssh does. `None`: a problem is recorded.
    fn jump_chain(
        &mut self,
        hops: &[HopSpec],
        target: &Target<'_>,
        known_hosts_checked: &mut KnownHostsChecked,
        depth: usize,
    ) -> Option<Vec<JumpHost>> {
        let mut chain = Vec::with_capacity(hops.len());
        for (index, hop) in hops.iter().enumerate() {
            let given = ssh_config::Given { user: hop.user.as_deref(), port: hop.port, identity_file: false, known_hosts: false };
            let ssh = self.ssh_config_for(&hop.host, &hop.host, given)?;
            if let (0, Some((before, origin))) = (index, &ssh.proxy_jump) {
                if depth >= MAX_JUMP_DEPTH {
                    let message = format!(
                        "ProxyJump loop: jump host {} is reached through ProxyJump again and again \
                         ({MAX_JUMP_DEPTH} levels); exclude the jump hosts from the block (Host * !{})",
                        hop.host, hop.host
                    );
                    self.toml.push(origin.problem(message));
                    return None;
                }
                let before = before.clone();
                chain.extend(self.jump_chain(&before, target, known_hosts_checked, depth + 1)?);
            }
            let known_hosts = ssh.known_hosts.unwrap_or_else(|| target.known_hosts.clone());
            let set_at = (known_hosts.span.start, known_hosts.origin.clone());
            if known_hosts_checked.insert((set_at, target.host_key_policy)) {
                self.check_known_hosts(&known_hosts, target.host_key_policy);
            }
            chain.push(JumpHost {
                name: hop.host.clone(),
                address: ssh.address.unwrap_or_else(|| hop.host.clone()),
                port: hop.port.or(ssh.port).unwrap_or(DEFAULT_PORT),
                user: hop.user.clone().or(ssh.user).unwrap_or_else(|| target.user.to_string()),
                identity_file: ssh.identity_file.or_else(|| target.identity_file.cloned()),
                known_hosts: known_hosts.value,
            });
        }
        Some(chain)
    }

    /// The known_hosts file must be one `run` can verify host keys with:
    /// under `strict`, a missing file refuses every host, so `run` must not
    /// start (it would contact hosts only to refuse them); under
    /// `accept-new` it is created.
    fn check_known_hosts(&mut self, known_hosts: &Set<PathBuf>, policy: HostKeyPolicy) {
        let Some(problem) = known_hosts_problem(&known_hosts.value, &self.probe(&known_hosts.value), policy) else {
            return;
        };
        match &known_hosts.origin {
            // Set by ssh_config: the problem is at its line there.
            Some(origin) => self.toml.push(origin.problem(problem)),
            None => {
                let key = known_hosts.key.clone();
                self.key_error(known_hosts.span.clone(), &key, problem);
            }
        }
    }
}

/// What is wrong with `file`, given what is at it, as an identity file:
/// `Err` stops the inventory; `Ok(Some(warning))` is a private key that
/// group or others can access (OpenSSH would refuse it).
pub(super) fn identity_file_problem(file: &Path, probe: &Probe) -> Result<Option<String>, String> {
    let shown = file.display();
    match probe {
        Probe::Missing => Err(format!("identity file {shown} does not exist")),
        Probe::NotAFile => Err(format!("identity file {shown} is not a regular file")),
        Probe::Unreadable(why) => Err(format!("cannot read identity file {shown}: {why}")),
        Probe::File { mode, start } => match key_file::public_key(start) {
            Some(kind) => {
                let private = file
                    .to_str()
                    .and_then(|name| name.strip_suffix(".pub"))
                    .map(|name| format!(" (probably {name})"))
                    .unwrap_or_default();
                Err(format!(
                    "identity file {shown} holds {kind}, not a private key: \
                     name the private key file{private}"
                ))
            }
            None => Ok(key_file::too_open(*mode).then(|| {
                format!(
                    "identity file {shown} has mode {mode:04o}: group or others can access \
                     this private key, and OpenSSH refuses such a key (chmod 600 {shown})"
                )
            })),
        },
    }
}

/// What is wrong with `path`, given what is at it, as the known_hosts file
/// of hosts under `policy`: it must be one `run` can verify host keys with.
/// Under `strict`, a missing file refuses every host, so `run` must not
/// start (it would contact hosts only to refuse them); under `accept-new`
/// it is created.
pub(super) fn known_hosts_problem(path: &Path, probe: &Probe, policy: HostKeyPolicy) -> Option<String> {
    let shown = path.display();
    let strict = policy == HostKeyPolicy::Strict;
    let refused = "and with host_key_policy = \"strict\" every host's key would be refused: \
                   add the hosts' keys to it (after checking their fingerprints), or use \
                   host_key_policy = \"accept-new\" for a first run";
    match probe {
        Probe::File { start, .. } if strict && holds_no_keys(start) => {
            Some(format!("known_hosts file {shown} holds no host keys, {refused}"))
        }
        Probe::File { .. } => None,
        Probe::Missing if !strict => None,
        Probe::Missing => Some(format!("known_hosts file {shown} does not exist, {refused}")),
        Probe::NotAFile => Some(format!("known_hosts {shown} is not a regular file")),
        Probe::Unreadable(why) => Some(format!("cannot read known_hosts {shown}: {why}")),
    }
}

/// Whether a known_hosts file read whole (`start` is shorter than a probe
/// reads) has nothing but blank lines and comments.
fn holds_no_keys(start: &[u8]) -> bool {
    (start.len() as u64) < super::PROBE_BYTES
        && String::from_utf8_lossy(start).lines().all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#')
        })
}

/// The message for a key that carries a password, wherever it is.
fn password_hint(name: &str) -> Option<String> {
    PASSWORD_KEYS
        .contains(&name)
        .then(|| PASSWORD_MESSAGE.to_string())
}

/// The message for a per-host key outside a `[[hosts]]` entry.
fn host_key_hint(name: &str) -> Option<String> {
    HOST_KEYS
        .contains(&name)
        .then(|| format!("{name} is set per host, in a [[hosts]] entry"))
}

/// A host name: names are used in --limit lists and in file names for
/// evidence.
pub(super) fn check_name(name: &str) -> Result<(), String> {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        Ok(())
    } else {
        Err(format!("host name {name:?} may contain only letters, digits, '.', '-' and '_'"))
    }
}

/// Expands a leading `~` or `~/` to `home` and resolves a relative path
/// against `base_dir`.
pub(super) fn expand_path(text: &str, home: Option<&Path>, base_dir: &Path) -> Result<PathBuf, String> {
    let path = if text == "~" || text.starts_with("~/") {
        let home = home.ok_or_else(|| format!("cannot expand {text:?}: HOME is not set"))?;
        match text.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => home.to_path_buf(),
        }
    } else if text.starts_with('~') {
        return Err(format!(
            "cannot expand {text:?}: only ~ and ~/ are supported, not ~user"
        ));
    } else {
        PathBuf::from(text)
    };
    Ok(base_dir.join(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::parse;
    use crate::transport::ssh_config::SshConfig;

    const KEY: &str = "/home/me/.ssh/id_ed25519";

    const PRIVATE_KEY: &[u8] = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n";
    const PUBLIC_KEY: &[u8] =
        b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR me@bastion\n";

    /// A machine where what is at a path depends on its file name:
    /// `missing*` does not exist, `dir*` and the home directory are
    /// directories, `unreadable*` cannot be read, `*.pub` is a public key,
    /// `open*` a private key with mode 0644; anything else is a private key
    /// with mode 0600 (and serves as a known_hosts file too).
    fn probe(path: &Path) -> Probe {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let file = |mode: u32, start: &[u8]| Probe::File {
            mode,
            start: start.to_vec(),
        };
        if name.starts_with("missing") {
            Probe::Missing
        } else if name.starts_with("dir") || path == Path::new("/home/me") {
            Probe::NotAFile
        } else if name.starts_with("unreadable") {
            Probe::Unreadable("Permission denied (os error 13)".to_string())
        } else if name.ends_with(".pub") {
            file(0o644, PUBLIC_KEY)
        } else if name.starts_with("open") {
            file(0o644, PRIVATE_KEY)
        } else {
            file(0o600, PRIVATE_KEY)
        }
    }

    fn env() -> Env<'static> {
        Env {
            home: Some("/home/me".into()),
            user: Some("me".into()),
            probe: &probe,
            ssh_config: None,
            read_ssh_config: &no_ssh_config,
        }
    }

    /// Every ssh_config file is empty: the default `~/.ssh/config` exists
    /// on the `probe` machine.
    fn no_ssh_config(_: &Path, _: Option<&Path>) -> Result<SshConfig, Vec<InventoryError>> {
        Ok(SshConfig::default())
    }

    /// A valid host, for cases about something else.
    const HOST: &str = "[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\n";

    fn parse_with(text: &str, env: &Env) -> Result<Inventory, Vec<String>> {
        parse(Path::new("inventory.toml"), text, env)
            .map_err(|errors| errors.0.iter().map(ToString::to_string).collect())
    }

    /// `text` must fail with exactly `expected` (without the file name
    /// prefix "inventory.toml:").
    #[track_caller]
    fn case(text: &str, expected: &[&str]) {
        case_in(&env(), text, expected);
    }

    #[track_caller]
    fn case_in(env: &Env, text: &str, expected: &[&str]) {
        let expected: Vec<String> = expected
            .iter()
            .map(|line| format!("inventory.toml:{line}"))
            .collect();
        match parse_with(text, env) {
            Ok(inventory) => panic!("expected errors, got {inventory:#?}"),
            Err(errors) => assert_eq!(errors, expected, "for:\n{text}"),
        }
    }

    #[track_caller]
    fn valid(text: &str) -> Vec<Host> {
        match parse_with(text, &env()) {
            Ok(inventory) => inventory.hosts,
            Err(errors) => panic!("unexpected errors:\n{}", errors.join("\n")),
        }
    }

    #[test]
    fn syntax_errors() {
        case(
            "[[hosts]]\nname = \n",
            &["2:8: TOML syntax error: string values must be quoted, expected literal string"],
        );
        case(
            &format!("{HOST}name = \"b\"\n"),
            &["4:1: TOML syntax error: duplicate key"],
        );
        // Every syntax error, in file order; no knock-on validation errors.
        case(
            "a = \"x\nb = 1\nc = [1,\n",
            &[
                "1:7: TOML syntax error: invalid basic string, expected `\"`",
                "3:8: TOML syntax error: unclosed array, expected `]`",
            ],
        );
    }

    #[test]
    fn unknown_keys() {
        case(
            &format!("hots = 1\n{HOST}"),
            &["1:1: hots: unknown key \"hots\": expected one of defaults, hosts"],
        );
        let settings = "user, port, identity_file, known_hosts, host_key_policy, become, \
                        connect_timeout, command_timeout, max_output, proxy_jump";
        case(
            &format!("[defaults]\nusr = \"x\"\n{HOST}"),
            &[&format!(
                "2:1: defaults.usr: unknown key \"usr\": expected one of {settings}, ssh_config"
            )],
        );
        // Keys in the wrong table get a hint instead.
        case(
            &format!("[defaults]\nroles = [\"etcd\"]\n{HOST}"),
            &["2:1: defaults.roles: roles is set per host, in a [[hosts]] entry"],
        );
        case(
            &format!("user = \"audit\"\n{HOST}"),
            &["1:1: user: user belongs under [defaults] or in a [[hosts]] entry"],
        );
        case(
            &format!("address = \"x\"\n{HOST}"),
            &["1:1: address: address is set per host, in a [[hosts]] entry"],
        );
        case(
            &format!("{HOST}strict_host_key_checking = false\n"),
            &[&format!(
                "4:1: hosts[0].strict_host_key_checking: unknown key \"strict_host_key_checking\": \
                 expected one of {settings}, name, address, roles"
            )],
        );
    }

    #[test]
    fn password_keys_get_their_own_message() {
        let message = "passwords are never accepted in the inventory; use key-based auth and \
                       NOPASSWD sudo";
        case(
            &format!("password = \"x\"\n{HOST}"),
            &[&format!("1:1: password: {message}")],
        );
        case(
            &format!("[defaults]\nsudo_password = \"x\"\n{HOST}"),
            &[&format!("2:1: defaults.sudo_password: {message}")],
        );
        case(
            &format!("{HOST}become_password = \"x\"\n"),
            &[&format!("4:1: hosts[0].become_password: {message}")],
        );
    }

    #[test]
    fn wrong_types() {
        case(
            &format!("defaults = 1\n{HOST}"),
            &["1:12: defaults: expected a table ([defaults]), found an integer"],
        );
        case(
            "hosts = 1\n",
            &["1:9: hosts: expected an array of tables ([[hosts]]), found an integer"],
        );
        case(
            "[hosts]\nname = \"a\"\n",
            &["1:1: hosts: expected an array of tables ([[hosts]]), found a table"],
        );
        case(
            "hosts = [1]\n",
            &["1:10: hosts[0]: expected a table, found an integer"],
        );
        case(
            &format!("{HOST}port = \"22\"\n"),
            &["4:8: hosts[0].port: expected an integer, found a string"],
        );
        case(
            &format!("{HOST}user = 5\n"),
            &["4:8: hosts[0].user: expected a string, found an integer"],
        );
        case(
            &format!("{HOST}name = 5\n").replacen("name = \"a\"\n", "", 1),
            &["3:8: hosts[0].name: expected a string, found an integer"],
        );
        case(
            &format!("{HOST}roles = \"worker\"\n"),
            &["4:9: hosts[0].roles: expected an array of roles, found a string"],
        );
        case(
            &format!("{HOST}roles = [1]\n"),
            &["4:10: hosts[0].roles[0]: expected a string, found an integer"],
        );
        case(
            &format!("{HOST}connect_timeout = 5\n"),
            &["4:19: hosts[0].connect_timeout: expected a string, found an integer"],
        );
        case(
            &format!("{HOST}max_output = true\n"),
            &["4:14: hosts[0].max_output: expected a size such as \"8MiB\", found a boolean"],
        );
        case(
            &format!("{HOST}identity_file = [\"a\"]\n"),
            &["4:17: hosts[0].identity_file: expected a string, found an array"],
        );
    }

    #[test]
    fn host_names_and_addresses() {
        let host =
            |name: &str, address: &str| format!("[[hosts]]\nname = {name}\naddress = {address}\n");
        case(
            &host("\"\"", "\"x\""),
            &["2:8: hosts[0].name: name is empty"],
        );
        case(
            &host("\"  \"", "\"x\""),
            &["2:8: hosts[0].name: name is empty"],
        );
        case(
            &host("\"cp 1\"", "\"x\""),
            &["2:8: hosts[0].name: host name \"cp 1\" may contain only letters, digits, '.', '-' and '_'"],
        );
        case(
            &host("\"a\"", "\" \""),
            &["3:11: hosts[0].address: address is empty"],
        );
        case(
            &host("\"a\"", "\"10.0.0.1 10.0.0.2\""),
            &["3:11: hosts[0].address: address \"10.0.0.1 10.0.0.2\" contains whitespace"],
        );
        case(
            &host("\"a\"", "\"ssh://10.0.0.1\""),
            &["3:11: hosts[0].address: address \"ssh://10.0.0.1\" has a scheme; give a bare host name or IP address"],
        );
        case(
            &host("\"a\"", "\"root@10.0.0.1\""),
            &["3:11: hosts[0].address: address \"root@10.0.0.1\" contains '@'; set the user with the user key"],
        );
        case(
            "[[hosts]]\naddress = \"x\"\n",
            &["1:1: hosts[0]: missing key \"name\""],
        );
        case(
            "[[hosts]]\nname = \"x\"\n",
            &["1:1: hosts[0]: missing key \"address\""],
        );
        case(
            "hosts = [{}]\n",
            &[
                "1:10: hosts[0]: missing key \"name\"",
                "1:10: hosts[0]: missing key \"address\"",
            ],
        );
    }

    #[test]
    fn duplicate_host_names_point_at_the_second() {
        case(
            &format!("{HOST}\n[[hosts]]\nname = \"b\"\naddress = \"x\"\n\n{HOST}"),
            &["10:8: hosts[2].name: duplicate host name \"a\": first defined on line 2"],
        );
    }

    #[test]
    fn no_hosts() {
        case(
            "",
            &["1:1: hosts: no hosts: add at least one [[hosts]] table"],
        );
        case(
            "[defaults]\nport = 22\n",
            &["1:1: hosts: no hosts: add at least one [[hosts]] table"],
        );
        case(
            "hosts = []\n",
            &["1:9: hosts: no hosts: add at least one [[hosts]] table"],
        );
    }

    #[test]
    fn ports() {
        case(
            &format!("{HOST}port = 0\n"),
            &["4:8: hosts[0].port: port 0 is out of range 1-65535"],
        );
        case(
            &format!("{HOST}port = 65536\n"),
            &["4:8: hosts[0].port: port 65536 is out of range 1-65535"],
        );
        case(
            &format!("{HOST}port = -22\n"),
            &["4:8: hosts[0].port: port -22 is out of range 1-65535"],
        );
        case(
            &format!("{HOST}port = 99999999999999999999999\n"),
            &["4:8: hosts[0].port: port 99999999999999999999999 is out of range 1-65535"],
        );
        assert_eq!(valid(&format!("{HOST}port = 65535\n"))[0].port, 65535);
        assert_eq!(valid(&format!("{HOST}port = 0x16\n"))[0].port, 22);
    }

    #[test]
    fn roles() {
        case(
            &format!("{HOST}roles = [\"master\"]\n"),
            &["4:10: hosts[0].roles[0]: unknown role \"master\": expected one of control-plane, etcd, worker"],
        );
        case(
            &format!("{HOST}roles = [\"etcd\", \"worker\", \"etcd\"]\n"),
            &["4:28: hosts[0].roles[2]: duplicate role \"etcd\""],
        );
        case(
            &format!("{HOST}roles = []\n"),
            &["4:9: hosts[0].roles: roles is empty: list at least one role, or omit roles to detect them from processes"],
        );
        assert_eq!(valid(HOST)[0].roles, None);
        // Stored in a canonical order, whatever order they were written in.
        assert_eq!(
            valid(&format!("{HOST}roles = [\"worker\", \"control-plane\"]\n"))[0].roles,
            Some(vec![Role::ControlPlane, Role::Worker])
        );
    }

    #[test]
    fn enumerated_settings() {
        case(
            &format!("{HOST}host_key_policy = \"off\"\n"),
            &["4:19: hosts[0].host_key_policy: invalid host_key_policy \"off\": expected strict or accept-new (host key verification cannot be turned off)"],
        );
        case(
            &format!("[defaults]\nbecome = \"su\"\n{HOST}"),
            &["2:10: defaults.become: invalid become \"su\": expected sudo, none or sudo-script:/path/on/host"],
        );
        let host = &valid(&format!(
            "{HOST}host_key_policy = \"accept-new\"\nbecome = \"none\"\n"
        ))[0];
        assert_eq!(
            (host.host_key_policy, host.become_method.clone()),
            (HostKeyPolicy::AcceptNew, Become::None)
        );
        case(
            &format!("[defaults]\nbecome = \"sudo-script:libexec/gather\"\n{HOST}"),
            &["2:10: defaults.become: invalid become \"sudo-script:libexec/gather\": the script's path must be absolute"],
        );
        case(
            &format!("{HOST}become = \"sudo-script:/usr/local/libexec/hb gather\"\n"),
            &["4:10: hosts[0].become: invalid become \"sudo-script:/usr/local/libexec/hb gather\": the script's path \
               may hold only letters, digits and /._+- (it goes verbatim into a command line and a sudoers rule), not ' '"],
        );
        let hosts = valid(&format!(
            "[defaults]\nbecome = \"sudo-script:/usr/local/libexec/hardbench-gather\"\n{HOST}\
             [[hosts]]\nname = \"b\"\naddress = \"10.0.0.2\"\nbecome = \"sudo\"\n"
        ));
        assert_eq!(
            hosts.iter().map(|host| host.become_method.clone()).collect::<Vec<_>>(),
            [Become::SudoScript("/usr/local/libexec/hardbench-gather".into()), Become::Sudo],
            "a host's own setting wins over [defaults]"
        );
    }

    #[test]
    fn durations_and_sizes() {
        case(
            &format!("{HOST}connect_timeout = \"5 sec\"\n"),
            &["4:19: hosts[0].connect_timeout: invalid duration \"5 sec\": expected e.g. \"5s\", \"500ms\", \"1m\""],
        );
        case(
            &format!("[defaults]\ncommand_timeout = \"0s\"\n{HOST}"),
            &["2:19: defaults.command_timeout: duration \"0s\" is zero; a timeout must be positive"],
        );
        case(
            &format!("{HOST}max_output = \"8MB\"\n"),
            &["4:14: hosts[0].max_output: invalid size \"8MB\": expected e.g. \"8MiB\", \"512KiB\", \"1048576\" (bytes)"],
        );
        case(
            &format!("{HOST}max_output = 0\n"),
            &["4:14: hosts[0].max_output: size is zero; the output cap must be positive"],
        );
        let host = &valid(&format!(
            "{HOST}connect_timeout = \"1m30s\"\ncommand_timeout = \"500ms\"\nmax_output = 1048576\n"
        ))[0];
        assert_eq!(host.connect_timeout, Duration::from_secs(90));
        assert_eq!(host.command_timeout, Duration::from_millis(500));
        assert_eq!(host.max_output, 1_048_576);
        assert_eq!(
            valid(&format!("{HOST}max_output = \"512KiB\"\n"))[0].max_output,
            512 * 1024
        );
    }

    #[test]
    fn paths() {
        case(
            &format!("{HOST}identity_file = \"~/.ssh/missing_key\"\n"),
            &["4:17: hosts[0].identity_file: identity file /home/me/.ssh/missing_key does not exist"],
        );
        case(
            &format!("{HOST}known_hosts = \"~bob/known_hosts\"\n"),
            &["4:15: hosts[0].known_hosts: cannot expand \"~bob/known_hosts\": only ~ and ~/ are supported, not ~user"],
        );
        case(
            &format!("{HOST}known_hosts = \"\"\n"),
            &["4:15: hosts[0].known_hosts: path is empty"],
        );
        let host = &valid(&format!(
            "{HOST}identity_file = \"~/.ssh/id_ed25519\"\nknown_hosts = \"~/kh\"\n"
        ))[0];
        assert_eq!(host.identity_file.as_deref(), Some(Path::new(KEY)));
        assert_eq!(host.known_hosts, Path::new("/home/me/kh"));
        // Absolute paths stay; relative ones are relative to the inventory.
        let text = format!("{HOST}identity_file = \"/keys/a\"\nknown_hosts = \"kh\"\n");
        let inventory = parse(Path::new("/etc/hb/inventory.toml"), &text, &env()).unwrap();
        assert_eq!(
            inventory.hosts[0].identity_file.as_deref(),
            Some(Path::new("/keys/a"))
        );
        assert_eq!(inventory.hosts[0].known_hosts, Path::new("/etc/hb/kh"));
    }

    #[test]
    fn identity_files_must_be_private_keys() {
        case(
            &format!("{HOST}identity_file = \"~/.ssh/id_ed25519.pub\"\n"),
            &["4:17: hosts[0].identity_file: identity file /home/me/.ssh/id_ed25519.pub holds an \
               OpenSSH public key (ssh-ed25519), not a private key: name the private key file \
               (probably /home/me/.ssh/id_ed25519)"],
        );
        // By content, whatever the name.
        let public = |path: &Path| match path.to_str() {
            Some("/keys/key") => Probe::File {
                mode: 0o600,
                start: PUBLIC_KEY.to_vec(),
            },
            _ => probe(path),
        };
        case_in(
            &Env {
                probe: &public,
                ..env()
            },
            &format!("[defaults]\nidentity_file = \"/keys/key\"\n{HOST}"),
            &["2:17: defaults.identity_file: identity file /keys/key holds an OpenSSH public key \
               (ssh-ed25519), not a private key: name the private key file"],
        );
        case(
            &format!("{HOST}identity_file = \"/keys/dir\"\n"),
            &["4:17: hosts[0].identity_file: identity file /keys/dir is not a regular file"],
        );
        case(
            &format!("{HOST}identity_file = \"/keys/unreadable\"\n"),
            &["4:17: hosts[0].identity_file: cannot read identity file /keys/unreadable: \
               Permission denied (os error 13)"],
        );
    }

    #[test]
    fn a_private_key_open_to_others_is_a_warning_once_per_file() {
        let text = format!(
            "[defaults]\nidentity_file = \"/keys/open\"\n{HOST}\n[[hosts]]\nname = \"b\"\n\
             address = \"10.0.0.2\"\nidentity_file = \"/keys/open\"\n\n[[hosts]]\nname = \"c\"\n\
             address = \"10.0.0.3\"\nidentity_file = \"/keys/open-too\"\n"
        );
        let inventory = parse_with(&text, &env()).unwrap();
        let warnings: Vec<String> = inventory.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [
                "inventory.toml:2:17: defaults.identity_file: identity file /keys/open has mode 0644: \
                 group or others can access this private key, and OpenSSH refuses such a key \
                 (chmod 600 /keys/open)",
                "inventory.toml:15:17: hosts[2].identity_file: identity file /keys/open-too has mode \
                 0644: group or others can access this private key, and OpenSSH refuses such a key \
                 (chmod 600 /keys/open-too)",
            ]
        );
        assert_eq!(inventory.hosts[2].identity_file.as_deref(), Some(Path::new("/keys/open-too")));
        assert!(parse_with(HOST, &env()).unwrap().warnings.is_empty());
    }

    #[test]
    fn known_hosts_must_be_usable_under_its_policy() {
        let refused = "does not exist, and with host_key_policy = \"strict\" every host's key would be \
                       refused: add the hosts' keys to it (after checking their fingerprints), or use \
                       host_key_policy = \"accept-new\" for a first run";
        // Once for the [defaults] entry, however many hosts use it.
        case(
            &format!(
                "[defaults]\nknown_hosts = \"/ssh/missing\"\n{HOST}\n{}",
                HOST.replace("\"a\"", "\"b\"")
            ),
            &[&format!("2:15: defaults.known_hosts: known_hosts file /ssh/missing {refused}")],
        );
        case(
            &format!("{HOST}known_hosts = \"/ssh/missing\"\nhost_key_policy = \"strict\"\n"),
            &[&format!("4:15: hosts[0].known_hosts: known_hosts file /ssh/missing {refused}")],
        );
        // The built-in default is checked too, and reported at [defaults].
        let nothing = |path: &Path| match path.to_str() {
            Some("/home/me/.ssh/known_hosts") => Probe::Missing,
            _ => probe(path),
        };
        case_in(
            &Env {
                probe: &nothing,
                ..env()
            },
            HOST,
            &[&format!(
                "1:1: defaults.known_hosts: known_hosts file /home/me/.ssh/known_hosts {refused}"
            )],
        );
        // accept-new creates it; a host with its own policy is judged by it.
        valid(&format!("{HOST}known_hosts = \"/ssh/missing\"\nhost_key_policy = \"accept-new\"\n"));
        valid(&format!(
            "[defaults]\nknown_hosts = \"/ssh/missing\"\nhost_key_policy = \"accept-new\"\n{HOST}"
        ));
        case(
            &format!(
                "[defaults]\nknown_hosts = \"/ssh/missing\"\nhost_key_policy = \"accept-new\"\n\
                 {HOST}host_key_policy = \"strict\"\n"
            ),
            &[&format!("2:15: defaults.known_hosts: known_hosts file /ssh/missing {refused}")],
        );
        // An existing file with no key refuses every host just the same.
        let empty = |path: &Path| match path.to_str() {
            Some("/ssh/empty") => Probe::File {
                mode: 0o644,
                start: b"# known hosts\n\n".to_vec(),
            },
            Some("/ssh/long") => Probe::File {
                mode: 0o644,
                start: vec![b'#'; usize::try_from(crate::inventory::PROBE_BYTES).unwrap()],
            },
            _ => probe(path),
        };
        let env_empty = Env {
            probe: &empty,
            ..env()
        };
        case_in(
            &env_empty,
            &format!("{HOST}known_hosts = \"/ssh/empty\"\n"),
            &[&format!("4:15: hosts[0].known_hosts: known_hosts file /ssh/empty holds no host keys, {}", refused.strip_prefix("does not exist, ").unwrap())],
        );
        parse_with(&format!("{HOST}known_hosts = \"/ssh/empty\"\nhost_key_policy = \"accept-new\"\n"), &env_empty).unwrap();
        // Not read whole: whatever follows may hold keys.
        parse_with(&format!("{HOST}known_hosts = \"/ssh/long\"\n"), &env_empty).unwrap();
        // What no policy can use.
        case(
            &format!("{HOST}known_hosts = \"/ssh/dir\"\nhost_key_policy = \"accept-new\"\n"),
            &["4:15: hosts[0].known_hosts: known_hosts /ssh/dir is not a regular file"],
        );
        case(
            &format!("{HOST}known_hosts = \"/ssh/unreadable\"\n"),
            &["4:15: hosts[0].known_hosts: cannot read known_hosts /ssh/unreadable: Permission \
               denied (os error 13)"],
        );
    }

    #[test]
    fn addresses_run_cannot_connect_to_are_refused() {
        case(
            &format!("{HOST}\n[[hosts]]\nname = \"b\"\naddress = \"[::1]\"\n"),
            &["7:11: hosts[1].address: address \"[::1]\" has brackets; write an IPv6 address without \
               them (\"::1\") and set the port with the port key"],
        );
        case(
            "[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\\u0007\"\n",
            &["3:11: hosts[0].address: address \"10.0.0.1\\u{7}\" contains a control character"],
        );
        case(
            "[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1:22\"\n",
            &["3:11: hosts[0].address: address \"10.0.0.1:22\" has a port; set it with the port key"],
        );
        assert_eq!(valid("[[hosts]]\nname = \"a\"\naddress = \"::1\"\n")[0].address, "::1");
    }

    #[test]
    fn durations_and_sizes_are_bounded() {
        case(
            &format!("{HOST}command_timeout = \"292471208677y\"\n"),
            &["4:19: hosts[0].command_timeout: duration \"292471208677y\" is too long: at most 24h"],
        );
        case(
            &format!("[defaults]\nconnect_timeout = \"25h\"\n{HOST}"),
            &["2:19: defaults.connect_timeout: duration \"25h\" is too long: at most 24h"],
        );
        case(
            &format!("{HOST}max_output = \"2GiB\"\n"),
            &["4:14: hosts[0].max_output: size \"2GiB\" is too large: at most 1GiB"],
        );
        case(
            &format!("{HOST}max_output = 99999999999999999999999\n"),
            &["4:14: hosts[0].max_output: size 99999999999999999999999 is too large: at most 1GiB"],
        );
        case(
            &format!("{HOST}max_output = -5\n"),
            &["4:14: hosts[0].max_output: size -5 is negative; the output cap must be positive"],
        );
        let host = &valid(&format!(
            "{HOST}connect_timeout = \"24h\"\ncommand_timeout = \"1d\"\nmax_output = \"1GiB\"\n"
        ))[0];
        assert_eq!(
            (host.connect_timeout, host.command_timeout, host.max_output),
            (Duration::from_secs(86_400), Duration::from_secs(86_400), 1 << 30)
        );
    }

    #[test]
    fn jump_hosts() {
        case(
            &format!("{HOST}proxy_jump = \"j1,,j2\"\n"),
            &["4:14: hosts[0].proxy_jump: bad jump host \"\" (hop 2 of 3): empty (two commas, or a comma at an end)"],
        );
        case(
            &format!("[defaults]\nproxy_jump = \"ops@jump:0\"\n{HOST}"),
            &["2:14: defaults.proxy_jump: bad jump host \"ops@jump:0\": port \"0\" is not a number from 1 to 65535"],
        );
        case(&format!("{HOST}proxy_jump = 22\n"), &["4:14: hosts[0].proxy_jump: expected a string, found an integer"]);
        let hosts = valid(&format!(
            "[defaults]\nuser = \"audit\"\nidentity_file = \"~/.ssh/id\"\nproxy_jump = \"ops@j1:2222,j2\"\n\
             {HOST}\n[[hosts]]\nname = \"direct\"\naddress = \"10.0.0.2\"\nproxy_jump = \"none\"\n\
             [[hosts]]\nname = \"own\"\naddress = \"10.0.0.3\"\nuser = \"me2\"\nproxy_jump = \"[fe80::1]\"\n"
        ));
        let chains: Vec<String> = hosts
            .iter()
            .map(|host| host.proxy_jump.as_ref().map_or("direct".to_string(), ToString::to_string))
            .collect();
        // A hop without a user takes the host's; without a port, 22.
        assert_eq!(chains, ["ops@j1:2222,audit@j2:22", "direct", "me2@[fe80::1]:22"]);
        let hop = &hosts[0].proxy_jump.as_ref().unwrap().hops[1];
        assert_eq!(
            (hop.identity_file.as_deref(), hop.known_hosts.as_path()),
            (Some(Path::new("/home/me/.ssh/id")), Path::new("/home/me/.ssh/known_hosts"))
        );
    }

    /// 40,000 hosts took minutes when each duplicate-name check counted
    /// the lines before the name again (8,000 hosts: 38 s); with a line
    /// index 20,000 hosts take about a second in a debug build. The bound
    /// is loose for a loaded machine, and far below the quadratic time.
    #[test]
    fn validating_many_hosts_takes_linear_time() {
        let mut text = String::from("[defaults]\nuser = \"audit\"\n\n");
        for i in 0..20_000 {
            text += &format!(
                "[[hosts]]\nname = \"host-{i}\"\naddress = \"10.0.{}.{}\"\nroles = [\"worker\"]\n\n",
                i / 256,
                i % 256
            );
        }
        text += "[[hosts]]\nname = \"host-0\"\naddress = \"10.9.9.9\"\n";
        let started = std::time::Instant::now();
        let errors = parse_with(&text, &env()).unwrap_err();
        let took = started.elapsed();
        assert_eq!(
            errors,
            ["inventory.toml:100005:8: hosts[20000].name: duplicate host name \"host-0\": first defined on line 5"]
        );
        assert!(took < Duration::from_secs(20), "20,000 hosts took {took:?}");
    }

    #[test]
    fn missing_home_and_user() {
        let no_home = Env {
            home: None,
            ..env()
        };
        case_in(
            &no_home,
            &format!("{HOST}known_hosts = \"~/kh\"\n"),
            &["4:15: hosts[0].known_hosts: cannot expand \"~/kh\": HOME is not set"],
        );
        // The built-in default needs HOME too: one error, at [defaults].
        case_in(
            &no_home,
            &format!("[defaults]\nport = 22\n{HOST}{}", HOST.replace("\"a\"", "\"b\"")),
            &["1:1: defaults.known_hosts: cannot expand the default known_hosts ~/.ssh/known_hosts: HOME is not set; set known_hosts in [defaults] or per host"],
        );
        let hosts = parse_with(&format!("{HOST}known_hosts = \"/kh\"\n"), &no_home)
            .unwrap()
            .hosts;
        assert_eq!(hosts[0].known_hosts, Path::new("/kh"));

        let no_user = Env {
            user: None,
            ..env()
        };
        case_in(
            &no_user,
            &format!("{HOST}{}", HOST.replace("\"a\"", "\"b\"")),
            &["1:1: defaults.user: no user: set user in [defaults] or per host ($USER is not set)"],
        );
        let hosts = parse_with(&format!("[defaults]\nuser = \"audit\"\n{HOST}"), &no_user)
            .unwrap()
            .hosts;
        assert_eq!(hosts[0].user, "audit");
        case(
            &format!("{HOST}user = \" \"\n"),
            &["4:8: hosts[0].user: user is empty"],
        );
        // An invalid user is reported once, not again as a missing one.
        case_in(
            &no_user,
            &format!("[defaults]\nuser = 5\n{HOST}"),
            &["2:8: defaults.user: expected a string, found an integer"],
        );
    }

    #[test]
    fn built_in_defaults_apply_when_nothing_is_set() {
        assert_eq!(
            valid(HOST),
            vec![Host {
                name: "a".into(),
                address: "10.0.0.1".into(),
                port: 22,
                user: "me".into(),
                identity_file: None,
                known_hosts: "/home/me/.ssh/known_hosts".into(),
                host_key_policy: HostKeyPolicy::Strict,
                become_method: Become::Sudo,
                connect_timeout: Duration::from_secs(5),
                command_timeout: Duration::from_secs(60),
                max_output: 8 * 1024 * 1024,
                roles: None,
                proxy_jump: None,
            }]
        );
    }

    #[test]
    fn host_values_win_over_defaults() {
        let text = r#"
[defaults]
user = "audit"
port = 2200
identity_file = "~/.ssh/id_ed25519"
known_hosts = "/etc/ssh/known"
host_key_policy = "accept-new"
become = "none"
connect_timeout = "10s"
command_timeout = "2m"
max_output = "1MiB"

[[hosts]]
name = "inherits"
address = "10.0.0.1"

[[hosts]]
name = "overrides"
address = "10.0.0.2"
user = "root"
port = 22
known_hosts = "/other"
host_key_policy = "strict"
become = "sudo"
connect_timeout = "1s"
command_timeout = "30s"
max_output = 4096
roles = ["etcd"]
"#;
        let hosts = valid(text);
        let inherits = Host {
            name: "inherits".into(),
            address: "10.0.0.1".into(),
            port: 2200,
            user: "audit".into(),
            identity_file: Some(KEY.into()),
            known_hosts: "/etc/ssh/known".into(),
            host_key_policy: HostKeyPolicy::AcceptNew,
            become_method: Become::None,
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(120),
            max_output: 1024 * 1024,
            roles: None,
            proxy_jump: None,
        };
        let overrides = Host {
            name: "overrides".into(),
            address: "10.0.0.2".into(),
            port: 22,
            user: "root".into(),
            identity_file: Some(KEY.into()),
            known_hosts: "/other".into(),
            host_key_policy: HostKeyPolicy::Strict,
            become_method: Become::Sudo,
            connect_timeout: Duration::from_secs(1),
            command_timeout: Duration::from_secs(30),
            max_output: 4096,
            roles: Some(vec![Role::Etcd]),
            proxy_jump: None,
        };
        assert_eq!(hosts, vec![inherits, overrides]);
    }

    #[test]
    fn every_error_is_reported_in_one_pass() {
        let text = r#"[defaults]
user = "audit"
password = "hunter2"
connect_timeout = "5 sec"

[[hosts]]
name = "cp-1"
address = "https://10.0.0.11"
roles = ["control-plane", "master"]

[[hosts]]
name = "cp-1"
address = "10.0.0.12"
port = 0
"#;
        let errors = parse(Path::new("inventory.toml"), text, &env()).unwrap_err();
        assert_eq!(
            errors.to_string(),
            "inventory.toml:3:1: defaults.password: passwords are never accepted in the inventory; use key-based auth and NOPASSWD sudo\n\
             inventory.toml:4:19: defaults.connect_timeout: invalid duration \"5 sec\": expected e.g. \"5s\", \"500ms\", \"1m\"\n\
             inventory.toml:8:11: hosts[0].address: address \"https://10.0.0.11\" has a scheme; give a bare host name or IP address\n\
             inventory.toml:9:27: hosts[0].roles[1]: unknown role \"master\": expected one of control-plane, etcd, worker\n\
             inventory.toml:12:8: hosts[1].name: duplicate host name \"cp-1\": first defined on line 7\n\
             inventory.toml:14:8: hosts[1].port: port 0 is out of range 1-65535\n\
             6 errors in the inventory"
        );
    }

    #[test]
    fn the_example_inventory_is_valid() {
        let env = env();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/example.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let inventory = parse(&path, &text, &env).unwrap_or_else(|errors| panic!("{errors}"));
        let summary: Vec<(&str, &str, u16, Option<Vec<Role>>)> = inventory
            .hosts
            .iter()
            .map(|h| (h.name.as_str(), h.address.as_str(), h.port, h.roles.clone()))
            .collect();
        let all = Some(vec![Role::ControlPlane, Role::Etcd, Role::Worker]);
        assert_eq!(
            summary,
            vec![
                ("cp-1", "10.0.0.11", 22, all.clone()),
                ("cp-2", "10.0.0.12", 22, all.clone()),
                ("cp-3", "10.0.0.13", 22, all),
                ("worker-1", "10.0.0.21", 22, None),
                ("worker-2", "10.0.0.22", 22, None),
                ("worker-3", "10.0.0.23", 2222, None),
            ]
        );
        let worker_3 = &inventory.hosts[5];
        assert_eq!(worker_3.user, "audit");
        assert_eq!(worker_3.command_timeout, Duration::from_secs(120));
        assert_eq!(worker_3.identity_file.as_deref(), Some(Path::new(KEY)));
    }
}

//! Inventory text → `Inventory`. Walks the span-carrying TOML tree
//! (`toml::de::DeTable`) by hand rather than deserializing into structs,
//! because serde stops at the first unknown key or wrong type and we must
//! report every problem in one pass, each at its exact place. Pure: the
//! environment (HOME, USER, which files exist) comes in through `Env`.

use super::error::{InventoryError, InventoryErrors, Position};
use super::quantity::{parse_duration, parse_size, size_from_integer};
use super::{
    Become, Env, Host, HostKeyPolicy, Inventory, DEFAULT_COMMAND_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_KNOWN_HOSTS, DEFAULT_MAX_OUTPUT, DEFAULT_PORT,
};
use crate::component::Role;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

const TOP_LEVEL_KEYS: [&str; 2] = ["defaults", "hosts"];

/// Keys allowed both in `[defaults]` and in each `[[hosts]]`.
const SETTING_KEYS: [&str; 9] = [
    "user",
    "port",
    "identity_file",
    "known_hosts",
    "host_key_policy",
    "become",
    "connect_timeout",
    "command_timeout",
    "max_output",
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
        file,
        text,
        env,
        base_dir: file.parent().unwrap_or(Path::new("")).to_path_buf(),
        errors: Vec::new(),
    };
    let hosts = validator.document();
    let Validator { mut errors, .. } = validator;
    if errors.is_empty() {
        Ok(Inventory {
            path: file.to_path_buf(),
            hosts,
        })
    } else {
        // The tree is a sorted map, not file order; users read top to bottom.
        errors.sort_by_key(|error| error.position);
        Err(InventoryErrors(errors))
    }
}

/// Settings from one table, each present only if set there and valid.
#[derive(Default)]
struct Settings {
    user: Option<String>,
    port: Option<u16>,
    identity_file: Option<PathBuf>,
    known_hosts: Option<PathBuf>,
    host_key_policy: Option<HostKeyPolicy>,
    become_method: Option<Become>,
    connect_timeout: Option<Duration>,
    command_timeout: Option<Duration>,
    max_output: Option<u64>,
    /// Keys that were set but invalid, so that merging does not report a
    /// knock-on "missing" error for them.
    invalid: Vec<String>,
}

impl Settings {
    fn is_invalid(&self, key: &str) -> bool {
        self.invalid.iter().any(|invalid| invalid == key)
    }
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
    file: &'a Path,
    text: &'a str,
    env: &'a Env<'a>,
    /// Relative paths in the inventory are relative to its directory, so
    /// the same file works whatever the current directory.
    base_dir: PathBuf,
    errors: Vec<InventoryError>,
}

impl Validator<'_> {
    fn error(&mut self, span: Range<usize>, key: Option<String>, message: impl Into<String>) {
        self.errors.push(InventoryError {
            file: self.file.to_path_buf(),
            position: Some(Position::of_offset(self.text, span.start)),
            key,
            message: message.into(),
        });
    }

    fn key_error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        self.error(span, Some(key.to_string()), message);
    }

    fn type_error(&mut self, value: &Spanned<DeValue>, key: &str, expected: &str) {
        let found = with_article(value.get_ref().type_str());
        self.key_error(
            value.span(),
            key,
            format!("expected {expected}, found {found}"),
        );
    }

    fn document(&mut self) -> Vec<Host> {
        let (doc, syntax_errors) = DeTable::parse_recoverable(self.text);
        if !syntax_errors.is_empty() {
            // Validating a recovered tree would report knock-on errors
            // ("missing name") for text the user wrote correctly.
            for error in syntax_errors {
                let span = error.span().unwrap_or(0..0);
                self.error(
                    span,
                    None,
                    format!("TOML syntax error: {}", error.message()),
                );
            }
            return Vec::new();
        }
        let mut defaults = Settings::default();
        let mut defaults_span = 0..0;
        let mut hosts = None;
        for (key, value) in doc.get_ref() {
            match key.get_ref().as_ref() {
                "defaults" => match value.get_ref() {
                    DeValue::Table(table) => {
                        defaults_span = value.span();
                        defaults = self.table(table, "defaults", &[]);
                    }
                    _ => self.type_error(value, "defaults", "a table ([defaults])"),
                },
                "hosts" => hosts = Some(value),
                other => self.unknown_key(key, other, &TOP_LEVEL_KEYS),
            }
        }
        let entries = match hosts {
            None => {
                self.key_error(0..0, "hosts", "no hosts: add at least one [[hosts]] table");
                Vec::new()
            }
            Some(value) => self.hosts(value),
        };
        self.check_unique_names(&entries);
        self.merge(defaults, defaults_span, entries)
    }

    fn hosts(&mut self, value: &Spanned<DeValue>) -> Vec<HostEntry> {
        let DeValue::Array(array) = value.get_ref() else {
            self.type_error(value, "hosts", "an array of tables ([[hosts]])");
            return Vec::new();
        };
        if array.is_empty() {
            self.key_error(
                value.span(),
                "hosts",
                "no hosts: add at least one [[hosts]] table",
            );
        }
        let mut entries = Vec::new();
        for (index, element) in array.iter().enumerate() {
            let prefix = format!("hosts[{index}]");
            match element.get_ref() {
                DeValue::Table(table) => entries.push(self.host(table, element.span(), &prefix)),
                _ => self.type_error(element, &prefix, "a table"),
            }
        }
        entries
    }

    fn host(&mut self, table: &DeTable, span: Range<usize>, prefix: &str) -> HostEntry {
        let settings = self.table(table, prefix, &HOST_KEYS);
        let name = match table.get("name") {
            Some(value) => self.name(value, &format!("{prefix}.name")),
            None => {
                self.key_error(span.clone(), prefix, "missing key \"name\"");
                None
            }
        };
        let address = match table.get("address") {
            Some(value) => self.address(value, &format!("{prefix}.address")),
            None => {
                self.key_error(span, prefix, "missing key \"address\"");
                None
            }
        };
        let roles = table
            .get("roles")
            .and_then(|value| self.roles(value, &format!("{prefix}.roles")));
        HostEntry {
            name,
            address,
            roles,
            settings,
        }
    }

    /// Reads the setting keys of one table (`[defaults]` or a host),
    /// skipping `other_keys`, which the caller reads itself.
    fn table(&mut self, table: &DeTable, prefix: &str, other_keys: &[&str]) -> Settings {
        let mut settings = Settings::default();
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            if other_keys.contains(&name) {
                continue;
            }
            let path = format!("{prefix}.{name}");
            let errors_before = self.errors.len();
            match name {
                "user" => settings.user = self.user(value, &path),
                "port" => settings.port = self.port(value, &path),
                "identity_file" => {
                    settings.identity_file = self.path(value, &path).and_then(|file| {
                        if (self.env.file_exists)(&file) {
                            Some(file)
                        } else {
                            let message =
                                format!("identity file {} does not exist", file.display());
                            self.key_error(value.span(), &path, message);
                            None
                        }
                    })
                }
                "known_hosts" => settings.known_hosts = self.path(value, &path),
                "host_key_policy" => settings.host_key_policy = self.host_key_policy(value, &path),
                "become" => settings.become_method = self.become_method(value, &path),
                "connect_timeout" => settings.connect_timeout = self.duration(value, &path),
                "command_timeout" => settings.command_timeout = self.duration(value, &path),
                "max_output" => settings.max_output = self.size(value, &path),
                _ if PASSWORD_KEYS.contains(&name) => {
                    self.key_error(key.span(), &path, PASSWORD_MESSAGE)
                }
                _ if HOST_KEYS.contains(&name) => {
                    let message = format!("{name} is set per host, in a [[hosts]] entry");
                    self.key_error(key.span(), &path, message)
                }
                _ => {
                    let valid: Vec<&str> = SETTING_KEYS.iter().chain(other_keys).copied().collect();
                    self.unknown_key_at(key.span(), &path, name, &valid)
                }
            }
            if self.errors.len() > errors_before {
                settings.invalid.push(name.to_string());
            }
        }
        settings
    }

    fn unknown_key(&mut self, key: &Spanned<std::borrow::Cow<str>>, name: &str, valid: &[&str]) {
        if PASSWORD_KEYS.contains(&name) {
            self.key_error(key.span(), name, PASSWORD_MESSAGE);
        } else if SETTING_KEYS.contains(&name) {
            let message = format!("{name} belongs under [defaults] or in a [[hosts]] entry");
            self.key_error(key.span(), name, message);
        } else if HOST_KEYS.contains(&name) {
            let message = format!("{name} is set per host, in a [[hosts]] entry");
            self.key_error(key.span(), name, message);
        } else {
            self.unknown_key_at(key.span(), name, name, valid);
        }
    }

    fn unknown_key_at(&mut self, span: Range<usize>, path: &str, name: &str, valid: &[&str]) {
        let message = format!("unknown key {name:?}: expected one of {}", valid.join(", "));
        self.key_error(span, path, message);
    }

    fn string<'v>(&mut self, value: &'v Spanned<DeValue>, key: &str) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(text) => Some(text.as_ref()),
            _ => {
                self.type_error(value, key, "a string");
                None
            }
        }
    }

    /// A string that must not be empty or only whitespace.
    fn non_empty(&mut self, value: &Spanned<DeValue>, key: &str, what: &str) -> Option<String> {
        let text = self.string(value, key)?;
        if text.trim().is_empty() {
            self.key_error(value.span(), key, format!("{what} is empty"));
            return None;
        }
        Some(text.to_string())
    }

    fn name(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<Spanned<String>> {
        let name = self.non_empty(value, key, "name")?;
        // Names are used in --limit lists and in file names for evidence.
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            let message =
                format!("host name {name:?} may contain only letters, digits, '.', '-' and '_'");
            self.key_error(value.span(), key, message);
            return None;
        }
        Some(Spanned::new(value.span(), name))
    }

    fn address(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<String> {
        let address = self.non_empty(value, key, "address")?;
        let problem = if address.contains(char::is_whitespace) {
            Some("contains whitespace")
        } else if address.contains("://") {
            Some("has a scheme; give a bare host name or IP address")
        } else if address.contains('@') {
            Some("contains '@'; set the user with the user key")
        } else {
            None
        };
        match problem {
            Some(problem) => {
                self.key_error(value.span(), key, format!("address {address:?} {problem}"));
                None
            }
            None => Some(address),
        }
    }

    fn roles(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<Vec<Role>> {
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
                    let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                    let message = format!(
                        "unknown role {name:?}: expected one of {}",
                        names.join(", ")
                    );
                    self.key_error(element.span(), &key, message);
                    valid = false;
                }
            }
        }
        roles.sort();
        valid.then_some(roles)
    }

    fn user(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<String> {
        self.non_empty(value, key, "user")
    }

    fn port(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<u16> {
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
    fn path(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<PathBuf> {
        let text = self.non_empty(value, key, "path")?;
        match expand_path(&text, self.env.home.as_deref(), &self.base_dir) {
            Ok(path) => Some(path),
            Err(message) => {
                self.key_error(value.span(), key, message);
                None
            }
        }
    }

    fn host_key_policy(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<HostKeyPolicy> {
        match self.string(value, key)? {
            "strict" => Some(HostKeyPolicy::Strict),
            "accept-new" => Some(HostKeyPolicy::AcceptNew),
            other => {
                let message = format!(
                    "invalid host_key_policy {other:?}: expected strict or accept-new \
                     (host key verification cannot be turned off)"
                );
                self.key_error(value.span(), key, message);
                None
            }
        }
    }

    fn become_method(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<Become> {
        match self.string(value, key)? {
            "sudo" => Some(Become::Sudo),
            "none" => Some(Become::None),
            other => {
                let message = format!("invalid become {other:?}: expected sudo or none");
                self.key_error(value.span(), key, message);
                None
            }
        }
    }

    fn duration(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<Duration> {
        let text = self.string(value, key)?;
        parse_duration(text)
            .map_err(|message| self.key_error(value.span(), key, message))
            .ok()
    }

    fn size(&mut self, value: &Spanned<DeValue>, key: &str) -> Option<u64> {
        let size = match value.get_ref() {
            DeValue::String(text) => parse_size(text),
            DeValue::Integer(integer) => {
                match i128::from_str_radix(integer.as_str(), integer.radix()) {
                    Ok(bytes) => size_from_integer(bytes),
                    Err(_) => Err(format!("size {integer} is out of range")),
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
            let line = Position::of_offset(self.text, name.span().start).line;
            match first_line.get(name.get_ref().as_str()) {
                Some(first) => {
                    let message = format!(
                        "duplicate host name {:?}: first defined on line {first}",
                        name.get_ref()
                    );
                    self.key_error(name.span(), &format!("hosts[{index}].name"), message);
                }
                None => {
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
        let mut hosts = Vec::new();
        for entry in entries {
            let (Some(name), Some(address)) = (entry.name, entry.address) else {
                continue;
            };
            let own = entry.settings;
            let set_but_invalid = |key: &str| own.is_invalid(key) || defaults.is_invalid(key);
            let (user_invalid, known_hosts_invalid) =
                (set_but_invalid("user"), set_but_invalid("known_hosts"));
            let user = own
                .user
                .or_else(|| defaults.user.clone())
                .or_else(|| self.env.user.clone());
            let known_hosts = own
                .known_hosts
                .or_else(|| defaults.known_hosts.clone())
                .or_else(|| {
                    expand_path(
                        DEFAULT_KNOWN_HOSTS,
                        self.env.home.as_deref(),
                        &self.base_dir,
                    )
                    .ok()
                });
            missing_user |= user.is_none() && !user_invalid;
            missing_home |= known_hosts.is_none() && !known_hosts_invalid;
            let (Some(user), Some(known_hosts)) = (user, known_hosts) else {
                continue;
            };
            hosts.push(Host {
                name: name.into_inner(),
                address,
                port: own.port.or(defaults.port).unwrap_or(DEFAULT_PORT),
                user,
                identity_file: own.identity_file.or_else(|| defaults.identity_file.clone()),
                known_hosts,
                host_key_policy: own
                    .host_key_policy
                    .or(defaults.host_key_policy)
                    .unwrap_or(HostKeyPolicy::Strict),
                become_method: own
                    .become_method
                    .or(defaults.become_method)
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
}

/// Expands a leading `~` or `~/` to `home` and resolves a relative path
/// against `base_dir`.
fn expand_path(text: &str, home: Option<&Path>, base_dir: &Path) -> Result<PathBuf, String> {
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

fn with_article(type_name: &str) -> String {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {type_name}"),
        _ => format!("a {type_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::parse;

    const KEY: &str = "/home/me/.ssh/id_ed25519";

    fn key_exists(path: &Path) -> bool {
        path == Path::new(KEY)
    }

    fn env() -> Env<'static> {
        Env {
            home: Some("/home/me".into()),
            user: Some("me".into()),
            file_exists: &key_exists,
        }
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
                        connect_timeout, command_timeout, max_output";
        case(
            &format!("[defaults]\nusr = \"x\"\n{HOST}"),
            &[&format!(
                "2:1: defaults.usr: unknown key \"usr\": expected one of {settings}"
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
            &["2:10: defaults.become: invalid become \"su\": expected sudo or none"],
        );
        let host = &valid(&format!(
            "{HOST}host_key_policy = \"accept-new\"\nbecome = \"none\"\n"
        ))[0];
        assert_eq!(
            (host.host_key_policy, host.become_method),
            (HostKeyPolicy::AcceptNew, Become::None)
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
            &format!("{HOST}identity_file = \"~/.ssh/id_x\"\n"),
            &["4:17: hosts[0].identity_file: identity file /home/me/.ssh/id_x does not exist"],
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
            "{HOST}identity_file = \"~/.ssh/id_ed25519\"\nknown_hosts = \"~\"\n"
        ))[0];
        assert_eq!(host.identity_file.as_deref(), Some(Path::new(KEY)));
        assert_eq!(host.known_hosts, Path::new("/home/me"));
        // Absolute paths stay; relative ones are relative to the inventory.
        let exists = |_: &Path| true;
        let env = Env {
            file_exists: &exists,
            ..env()
        };
        let text = format!("{HOST}identity_file = \"/keys/a\"\nknown_hosts = \"kh\"\n");
        let inventory = parse(Path::new("/etc/hb/inventory.toml"), &text, &env).unwrap();
        assert_eq!(
            inventory.hosts[0].identity_file.as_deref(),
            Some(Path::new("/keys/a"))
        );
        assert_eq!(inventory.hosts[0].known_hosts, Path::new("/etc/hb/kh"));
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
        let exists = |_: &Path| true;
        let env = Env {
            file_exists: &exists,
            ..env()
        };
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

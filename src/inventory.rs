//! The inventory: which hosts to audit and how to reach them. Owns the TOML
//! format (see `inventory/example.toml`) and its validation into
//! `Inventory`, whose every field is usable as is: paths are expanded,
//! durations parsed, per-host settings merged over `[defaults]`. Validation
//! (`inventory/validate.rs`) reports every problem at once, each with file,
//! line, column and key path. Reading the file and the process environment
//! happens only in `load`; `parse` is pure.

mod error;
mod quantity;
mod validate;

pub use error::{InventoryError, InventoryErrors, Position};

use crate::component::Role;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A validated inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    pub path: PathBuf,
    pub hosts: Vec<Host>,
}

/// One host, with every connection setting resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    /// A private key file; `None` means the ssh-agent only.
    pub identity_file: Option<PathBuf>,
    pub known_hosts: PathBuf,
    pub host_key_policy: HostKeyPolicy,
    pub become_method: Become,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    /// The most bytes of script output accepted from the host.
    pub max_output: u64,
    /// Roles from the inventory; `None` means detect them from processes.
    pub roles: Option<Vec<Role>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Refuse unknown and mismatched keys.
    Strict,
    /// Record an unknown host's key; still refuse a mismatched one.
    AcceptNew,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Become {
    /// Run the script under `sudo -n`.
    Sudo,
    /// Run the script as the SSH user.
    None,
}

pub const DEFAULT_PORT: u16 = 22;
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_OUTPUT: u64 = 8 * 1024 * 1024;
/// Expanded against HOME like any inventory path.
pub const DEFAULT_KNOWN_HOSTS: &str = "~/.ssh/known_hosts";

/// What validation needs from the machine it runs on, passed in so that
/// `parse` stays pure and tests need no real files.
pub struct Env<'a> {
    /// Where `~` points.
    pub home: Option<PathBuf>,
    /// The SSH user when the inventory names none.
    pub user: Option<String>,
    /// Whether an (expanded) identity file exists.
    pub file_exists: &'a dyn Fn(&Path) -> bool,
}

impl Env<'static> {
    /// HOME and USER from the environment; files checked on this machine.
    pub fn from_process() -> Env<'static> {
        fn is_file(path: &Path) -> bool {
            path.is_file()
        }
        let non_empty = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        Env {
            home: non_empty("HOME").map(PathBuf::from),
            user: non_empty("USER").and_then(|user| user.into_string().ok()),
            file_exists: &is_file,
        }
    }
}

/// Reads and validates the inventory at `path`.
pub fn load(path: &Path) -> Result<Inventory, InventoryErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| InventoryErrors(vec![InventoryError::read(path, &error)]))?;
    parse(path, &text, &Env::from_process())
}

/// Validates inventory `text`, read from `path` (used in error messages and
/// as the base of relative paths). Every problem is reported, in file order.
pub fn parse(path: &Path, text: &str, env: &Env) -> Result<Inventory, InventoryErrors> {
    validate::validate(path, text, env)
}

/// `--limit` named hosts that are not in the inventory.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown host{} in --limit: {}; the inventory has: {}",
    if unknown.len() == 1 { "" } else { "s" },
    unknown.join(", "),
    known.join(", ")
)]
pub struct UnknownHosts {
    pub unknown: Vec<String>,
    pub known: Vec<String>,
}

impl Inventory {
    /// The hosts named by `--limit`, in inventory order; every host when
    /// `names` is empty. Naming a host that is not in the inventory is an
    /// error, so a typo cannot silently shrink an audit.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Host>, UnknownHosts> {
        let unknown: Vec<String> = names
            .iter()
            .filter(|name| !self.hosts.iter().any(|host| &host.name == *name))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            let known = self.hosts.iter().map(|host| host.name.clone()).collect();
            return Err(UnknownHosts { unknown, known });
        }
        Ok(self
            .hosts
            .iter()
            .filter(|host| names.is_empty() || names.contains(&host.name))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(names: &[&str]) -> Inventory {
        let text: String = names
            .iter()
            .map(|name| format!("[[hosts]]\nname = \"{name}\"\naddress = \"{name}.lan\"\n"))
            .collect();
        let env = Env {
            home: Some("/h".into()),
            user: Some("u".into()),
            file_exists: &|_| true,
        };
        parse(Path::new("i.toml"), &text, &env).unwrap()
    }

    #[track_caller]
    fn case(names: &[&str], expected: Result<Vec<&str>, &str>) {
        let inventory = inventory(&["cp-1", "cp-2", "worker-1"]);
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let selected = inventory.select(&names).map(|hosts| {
            hosts
                .iter()
                .map(|host| host.name.as_str())
                .collect::<Vec<_>>()
        });
        assert_eq!(selected.map_err(|e| e.to_string()), expected.map_err(str::to_string));
    }

    #[test]
    fn select_keeps_inventory_order_and_rejects_unknown_names() {
        case(&[], Ok(vec!["cp-1", "cp-2", "worker-1"]));
        case(&["worker-1", "cp-1"], Ok(vec!["cp-1", "worker-1"]));
        case(&["cp-2", "cp-2"], Ok(vec!["cp-2"]));
        case(
            &["cp-9"],
            Err("unknown host in --limit: cp-9; the inventory has: cp-1, cp-2, worker-1"),
        );
        case(
            &["cp-1", "cp-9", "w"],
            Err("unknown hosts in --limit: cp-9, w; the inventory has: cp-1, cp-2, worker-1"),
        );
    }

    #[test]
    fn load_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.toml");
        let key = dir.path().join("key");
        std::fs::write(&key, "not really a key").unwrap();
        let text = "[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\nidentity_file = \"key\"\n\
                    [[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\n";
        std::fs::write(&path, text).unwrap();
        let inventory = load(&path).unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(inventory.path, path);
        assert_eq!(inventory.hosts[0].identity_file, Some(key.clone()));
        assert_eq!(inventory.hosts[0].known_hosts, dir.path().join("kh"));

        std::fs::remove_file(&key).unwrap();
        let errors = load(&path).unwrap_err();
        assert_eq!(
            errors.to_string(),
            format!(
                "{}:4:17: defaults.identity_file: identity file {} does not exist\n\
                 1 error in the inventory",
                path.display(),
                key.display()
            )
        );

        let missing = dir.path().join("missing.toml");
        let errors = load(&missing).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert!(
            errors
                .to_string()
                .starts_with(&format!("{}: cannot read: ", missing.display())),
            "{errors}"
        );
    }
}

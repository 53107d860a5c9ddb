//! The inventory: which hosts to audit and how to reach them. Owns the TOML
//! format (see `inventory/example.toml`) and its validation into
//! `Inventory`, whose every field is usable as is: paths are expanded,
//! durations parsed, per-host settings merged over `[defaults]`. Validation
//! (`inventory/validate.rs`) reports every problem at once, each with file,
//! line, column and key path. Reading the file and the process environment
//! happens only in `load`; `parse` is pure. Ansible inventories (INI, YAML,
//! `ansible-inventory --list` JSON) are read by `inventory/ansible.rs` into
//! the same `Inventory`.

mod address;
mod ansible;
mod become_method;
mod error;
mod format;
mod jump;
mod key_file;
mod quantity;
mod validate;

pub use become_method::Become;
pub use error::{InventoryError, InventoryErrors, Position};
pub use jump::{JumpChain, JumpHost};

use crate::component::Role;
use crate::names::named_enum;
use crate::transport::ssh_config::SshConfig;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A validated inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    pub path: PathBuf,
    /// The sha256 (hex) of the bytes validated: what the report names as
    /// the inventory, so that it is the text this run read, not a second
    /// read of the file.
    pub sha256: String,
    pub hosts: Vec<Host>,
    /// Problems that do not stop an audit but that the user must see (a
    /// private key others can read): `validate` and `run` print them.
    pub warnings: Vec<InventoryError>,
    /// The role map an Ansible inventory was read with: `--role-map`, or
    /// the `hardbench.toml` found beside the inventory (`ROLE_MAP_BESIDE`).
    pub role_map: Option<PathBuf>,
}

/// The role map an Ansible inventory is read with when `--role-map` names
/// none: a file of this name in the inventory's directory, as Ansible's
/// own settings sit beside a project's inventory (`ansible.cfg`).
pub const ROLE_MAP_BESIDE: &str = "hardbench.toml";

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
    /// The jump hosts this host is reached through (`proxy_jump`, or
    /// ssh_config's or Ansible's `ProxyJump`); `None`: directly.
    pub proxy_jump: Option<JumpChain>,
}

named_enum! {
    /// `host_key_policy`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum HostKeyPolicy {
        /// Refuse unknown and mismatched keys.
        Strict = "strict",
        /// Record an unknown host's key; still refuse a mismatched one.
        AcceptNew = "accept-new",
    }
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
    /// What is at an (expanded) identity file or known_hosts path. Asked
    /// once per distinct path.
    pub probe: &'a dyn Fn(&Path) -> Probe,
    /// `--ssh-config FILE`: replaces the inventory's `ssh_config`; an empty
    /// path reads none.
    pub ssh_config: Option<PathBuf>,
    /// Reads an OpenSSH client configuration and its Includes (relative to
    /// `~/.ssh` under the given home).
    pub read_ssh_config: &'a ReadSshConfig,
}

/// How `Env` reads an ssh_config file.
pub type ReadSshConfig = dyn Fn(&Path, Option<&Path>) -> Result<SshConfig, Vec<InventoryError>>;

/// What validation learns about a file the inventory names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    Missing,
    /// A directory, a device, a FIFO: nothing a key or known_hosts is in.
    NotAFile,
    Unreadable(String),
    /// A regular file: its permission bits and its first bytes (at most
    /// `PROBE_BYTES`).
    File { mode: u32, start: Vec<u8> },
}

/// How much of a file `Probe::File` holds: more than any key's first line.
pub const PROBE_BYTES: u64 = 16 * 1024;

impl Probe {
    /// Looks at `path` on this machine.
    pub fn path(path: &Path) -> Probe {
        use std::io::Read;
        use std::os::unix::fs::PermissionsExt;
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Probe::Missing,
            Err(e) => return Probe::Unreadable(e.to_string()),
        };
        // Checked before opening: opening a FIFO would block.
        if !metadata.is_file() {
            return Probe::NotAFile;
        }
        let mut start = Vec::new();
        match std::fs::File::open(path).and_then(|file| file.take(PROBE_BYTES).read_to_end(&mut start)) {
            Ok(_) => Probe::File {
                mode: metadata.permissions().mode() & 0o7777,
                start,
            },
            Err(e) => Probe::Unreadable(e.to_string()),
        }
    }
}

impl Env<'static> {
    /// HOME and USER from the environment; files looked at on this machine.
    pub fn from_process() -> Env<'static> {
        let non_empty = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        Env {
            home: non_empty("HOME").map(PathBuf::from),
            user: non_empty("USER").and_then(|user| user.into_string().ok()),
            probe: &Probe::path,
            ssh_config: None,
            read_ssh_config: &SshConfig::read,
        }
    }
}

named_enum! {
    /// `--inventory-format`: what kind of file the inventory is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Format {
        /// TOML or Ansible, told by the file's name and content.
        Auto = "auto",
        Toml = "toml",
        /// An Ansible inventory: INI, YAML or `ansible-inventory --list` JSON.
        Ansible = "ansible",
    }
}

/// Reads and validates the inventory at `path`, of any format.
pub fn load(path: &Path) -> Result<Inventory, InventoryErrors> {
    load_as(path, Format::Auto, None, None)
}

/// Reads and validates the inventory at `path` as `format`; `role_map` is
/// a `--role-map` file, for Ansible inventories only; `ssh_config` the file
/// `--ssh-config` names, instead of the inventory's own.
pub fn load_as(
    path: &Path,
    format: Format,
    role_map: Option<&Path>,
    ssh_config: Option<&Path>,
) -> Result<Inventory, InventoryErrors> {
    let read = |path: &Path| crate::toml_file::read(path).map_err(|problem| InventoryErrors(vec![problem]));
    let text = read(path)?;
    let format = match format {
        Format::Auto => format::detect(path, &text),
        format => format,
    };
    let env = Env {
        ssh_config: ssh_config.map(Path::to_path_buf),
        ..Env::from_process()
    };
    // Only an Ansible inventory looks for a role map beside it: a TOML
    // inventory sets roles per host, and `--role-map` with one is refused.
    let beside = match (format, role_map) {
        (Format::Ansible, None) => path.with_file_name(ROLE_MAP_BESIDE),
        _ => PathBuf::new(),
    };
    let role_map = role_map.or_else(|| beside.is_file().then_some(beside.as_path()));
    match (format, role_map) {
        (Format::Ansible, Some(map)) => {
            let map_text = read(map)?;
            let map = ansible::RoleMapFile { path: map, text: &map_text };
            ansible::parse(path, &text, Some(map), &env)
        }
        (Format::Ansible, None) => ansible::parse(path, &text, None, &env),
        (_, Some(map)) => {
            let message = format!(
                "--role-map is for Ansible inventories, and {} is a TOML inventory (set roles per host in it)",
                path.display()
            );
            Err(InventoryErrors(vec![InventoryError::in_file(map, message)]))
        }
        (_, None) => parse(path, &text, &env),
    }
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
        // Sets, not nested scans: a fleet and a long --limit stay linear.
        let known: HashSet<&str> = self.hosts.iter().map(|host| host.name.as_str()).collect();
        let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
        let unknown: Vec<String> = names
            .iter()
            .filter(|name| !known.contains(name.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            let known = self.hosts.iter().map(|host| host.name.clone()).collect();
            return Err(UnknownHosts { unknown, known });
        }
        Ok(self
            .hosts
            .iter()
            .filter(|host| wanted.is_empty() || wanted.contains(host.name.as_str()))
            .collect())
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn inventory(names: &[&str]) -> Inventory {
        let text: String = names
            .iter()
            .map(|name| format!("[[hosts]]\nname = \"{name}\"\naddress = \"{name}.lan\"\n"))
            .collect();
        let env = Env {
            home: Some("/h".into()),
            user: Some("u".into()),
            // Serves as key and known_hosts: neither is read further.
            probe: &|_| Probe::File {
                mode: 0o600,
                start: b"key".to_vec(),
            },
            ssh_config: Some(PathBuf::new()),
            read_ssh_config: &SshConfig::read,
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
    fn probes_look_at_a_path_without_blocking_or_reading_much() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x".repeat(100_000)).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4640)).unwrap();
        match Probe::path(&file) {
            Probe::File { mode, start } => {
                assert_eq!(mode, 0o4640);
                assert_eq!(start.len() as u64, PROBE_BYTES);
            }
            other => panic!("{other:?}"),
        }
        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        assert_eq!(Probe::path(&fifo), Probe::NotAFile, "a FIFO is never opened");
        assert_eq!(Probe::path(dir.path()), Probe::NotAFile);
        assert_eq!(Probe::path(&dir.path().join("none")), Probe::Missing);
        assert!(matches!(Probe::path(&file.join("below")), Probe::Unreadable(_)));
    }

    /// An Ansible inventory is read with the `hardbench.toml` beside it
    /// when `--role-map` names none; a named one wins, and a TOML inventory
    /// never reads it.
    #[test]
    fn an_ansible_inventory_takes_the_role_map_beside_it() {
        use crate::component::Role;
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("hosts.ini");
        std::fs::write(&ini, "[my_cp]\nnode1 ansible_host=10.0.0.1\n").unwrap();
        std::fs::write(dir.path().join("kh"), "10.0.0.1 ssh-ed25519 AAAA\n").unwrap();
        let beside = dir.path().join(ROLE_MAP_BESIDE);
        let map = |roles: &str| {
            format!("[ansible]\ngroups = {{ my_cp = [{roles}] }}\n[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\n")
        };
        std::fs::write(&beside, map("\"control-plane\", \"etcd\"")).unwrap();
        let roles = |inventory: &Inventory| inventory.hosts[0].roles.clone().unwrap_or_default();
        let found = load(&ini).unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(found.role_map.as_deref(), Some(beside.as_path()));
        assert_eq!(roles(&found), [Role::ControlPlane, Role::Etcd]);
        assert_eq!(found.hosts[0].user, "audit");

        let named = dir.path().join("other.toml");
        std::fs::write(&named, map("\"worker\"")).unwrap();
        let chosen = load_as(&ini, Format::Auto, Some(&named), None).unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(chosen.role_map.as_deref(), Some(named.as_path()));
        assert_eq!(roles(&chosen), [Role::Worker]);

        // A role map beside it that is wrong is an error naming it, not skipped.
        std::fs::write(&beside, "[ansible]\ngroupz = {}\n").unwrap();
        let errors = load(&ini).unwrap_err().to_string();
        assert!(errors.contains(&beside.display().to_string()) && errors.contains("groupz"), "{errors}");

        let toml = dir.path().join("inventory.toml");
        std::fs::write(&toml, "[defaults]\nknown_hosts = \"kh\"\n[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\nuser = \"u\"\n")
            .unwrap();
        let plain = load(&toml).unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(plain.role_map, None);
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
        std::fs::write(dir.path().join("kh"), "10.0.0.1 ssh-ed25519 AAAA\n").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let inventory = load(&path).unwrap_or_else(|errors| panic!("{errors}"));
        assert_eq!(inventory.path, path);
        assert_eq!(inventory.hosts[0].identity_file, Some(key.clone()));
        assert_eq!(inventory.hosts[0].known_hosts, dir.path().join("kh"));
        assert_eq!(inventory.warnings, []);

        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
        let warnings: Vec<String> = load(&path).unwrap().warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [format!(
                "{}:4:17: defaults.identity_file: identity file {key} has mode 0640: group or others \
                 can access this private key, and OpenSSH refuses such a key (chmod 600 {key})",
                path.display(),
                key = key.display()
            )]
        );

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

//! Which roles a host of an Ansible inventory plays, from the groups it is
//! in (directly or through child groups): the group names of the tools
//! that build clusters, and a user's own mapping (`--role-map FILE`, a TOML
//! file with `[ansible] groups = { "my_cp" = ["control-plane", "etcd"] }`
//! and `[defaults]`, with the TOML inventory's keys; either may be left
//! out). A host in
//! no mapped group gets its roles detected from its processes.
//!
//! Built-in names, from each project's sample inventory and defaults:
//! - kubespray: `kube_control_plane` (earlier `kube-master`, `kube_master`),
//!   `etcd`, `kube_node` (earlier `kube-node`);
//! - k3s-ansible: `server`, `agent`; a k3s server also runs the kubelet,
//!   and its datastore varies (SQLite, embedded etcd or external), so etcd
//!   is left out;
//! - RKE2: rancherfederal/rke2-ansible's `rke2_servers`, `rke2_agents`, and
//!   lablabs/ansible-role-rke2's `masters`, `workers` (its
//!   `rke2_servers_group_name`, `rke2_agents_group_name`); an RKE2 server
//!   runs etcd and the kubelet as well.
//!
//! A user's mapping of a group replaces the built-in one; an empty list
//! makes a group give no roles (a `server` group that is not k3s's).
//! Hosts only in kubespray's `bastion` group are not audited, unless the
//! user's mapping names that group.

use super::super::validate::{self, Defaults};
use super::super::{Env, InventoryError};
use crate::component::Role;
use crate::toml_file::{expected, Table, TomlFile};
use std::collections::BTreeMap;
use std::path::Path;
use toml::de::DeValue;

const CONTROL_PLANE: &[Role] = &[Role::ControlPlane];
const WORKER: &[Role] = &[Role::Worker];
const SERVER_K3S: &[Role] = &[Role::ControlPlane, Role::Worker];
const SERVER_RKE2: &[Role] = &[Role::ControlPlane, Role::Etcd, Role::Worker];

/// The built-in mapping, by group name.
pub const BUILT_IN: &[(&str, &[Role])] = &[
    ("kube_control_plane", CONTROL_PLANE),
    ("kube-master", CONTROL_PLANE),
    ("kube_master", CONTROL_PLANE),
    ("etcd", &[Role::Etcd]),
    ("kube_node", WORKER),
    ("kube-node", WORKER),
    ("server", SERVER_K3S),
    ("agent", WORKER),
    ("rke2_servers", SERVER_RKE2),
    ("rke2_agents", WORKER),
    ("masters", SERVER_RKE2),
    ("workers", WORKER),
];

/// The user's group → roles mapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleMap {
    groups: BTreeMap<String, Vec<Role>>,
}

impl RoleMap {
    /// The roles of a host in `groups`; `None` (detect them) when no group
    /// is mapped, or the mapped ones give none.
    pub fn roles(&self, groups: &[String]) -> Option<Vec<Role>> {
        let mut roles: Vec<Role> = groups
            .iter()
            .filter_map(|group| match self.groups.get(group) {
                Some(roles) => Some(roles.as_slice()),
                None => BUILT_IN
                    .iter()
                    .find(|(name, _)| name == group)
                    .map(|(_, roles)| *roles),
            })
            .flatten()
            .copied()
            .collect();
        roles.sort();
        roles.dedup();
        (!roles.is_empty()).then_some(roles)
    }
}

impl RoleMap {
    /// Whether a host in `groups` is only a bastion: in kubespray's
    /// `bastion` group, which the user's map does not name, and in no group
    /// that gives roles. A bastion is the way in, not a node: it is not
    /// audited.
    pub fn only_bastion(&self, groups: &[String]) -> bool {
        groups.iter().any(|group| group == BASTION)
            && !self.groups.contains_key(BASTION)
            && self.roles(groups).is_none()
    }
}

/// Kubespray's group of jump hosts (its sample inventory's `[bastion]`).
pub const BASTION: &str = "bastion";

/// A role map file read: the mapping, the defaults for every host, and
/// warnings (a key file others can read).
pub struct Loaded {
    pub map: RoleMap,
    pub defaults: Defaults,
    pub warnings: Vec<InventoryError>,
}

/// Reads the role map file `path` holding `text`; every problem at once.
pub fn parse(path: &Path, text: &str, env: &Env) -> Result<Loaded, Vec<InventoryError>> {
    let mut toml = TomlFile::new(path, text);
    let Some(doc) = toml.parse() else {
        return Err(toml.into_problems());
    };
    let mut root = Table::root(&doc);
    let mut map = RoleMap::default();
    if let Some(mut ansible) = root.table(&mut toml, "ansible", false) {
        if let Some(groups) = ansible.get("groups") {
            match groups.get_ref() {
                DeValue::Table(table) => {
                    for (name, value) in table.iter() {
                        let key = format!("ansible.groups.{}", name.get_ref());
                        if let Some(roles) = roles(&mut toml, value, &key) {
                            map.groups.insert(name.get_ref().to_string(), roles);
                        }
                    }
                }
                other => toml.problem(
                    &groups.span(),
                    Some("ansible.groups"),
                    expected("a table of group names", other),
                ),
            }
        } else {
            ansible.missing(&mut toml, "groups");
        }
        ansible.finish(&mut toml, crate::toml_file::no_hint);
    }
    let defaults_table = root.get("defaults");
    root.finish(&mut toml, crate::toml_file::no_hint);
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let (toml, defaults, warnings) = validate::defaults(toml, env, base_dir, defaults_table);
    let problems = toml.into_problems();
    if problems.is_empty() {
        Ok(Loaded {
            map,
            defaults,
            warnings,
        })
    } else {
        Err(problems)
    }
}

/// A group's list of roles; `[]` is allowed (the group gives none).
fn roles(
    toml: &mut TomlFile<'_>,
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
) -> Option<Vec<Role>> {
    let Some(items) = value.get_ref().as_array() else {
        toml.problem(
            &value.span(),
            Some(key),
            expected("an array of roles", value.get_ref()),
        );
        return None;
    };
    let mut roles = Vec::new();
    let mut valid = true;
    for (index, item) in items.iter().enumerate() {
        let key = format!("{key}[{index}]");
        match item
            .get_ref()
            .as_str()
            .map(|name| (name, Role::from_name(name)))
        {
            Some((_, Some(role))) if !roles.contains(&role) => roles.push(role),
            Some((name, Some(_))) => {
                toml.problem(&item.span(), Some(&key), format!("duplicate role {name:?}"));
                valid = false;
            }
            Some((name, None)) => {
                let message = format!(
                    "unknown role {name:?}: expected one of {}",
                    Role::names().join(", ")
                );
                toml.problem(&item.span(), Some(&key), message);
                valid = false;
            }
            None => {
                toml.problem(
                    &item.span(),
                    Some(&key),
                    expected("a role name", item.get_ref()),
                );
                valid = false;
            }
        }
    }
    roles.sort();
    valid.then_some(roles)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Probe;

    fn env() -> Env<'static> {
        Env {
            home: Some("/home/me".into()),
            user: Some("me".into()),
            probe: &|path| match path.file_name().and_then(|n| n.to_str()) {
                Some(name) if name.starts_with("missing") => Probe::Missing,
                _ => Probe::File {
                    mode: 0o600,
                    start: b"-----BEGIN OPENSSH PRIVATE KEY-----\n".to_vec(),
                },
            },
            // No ssh_config: ssh_config is not read for Ansible inventories.
            ssh_config: Some(std::path::PathBuf::new()),
            read_ssh_config: &crate::transport::ssh_config::SshConfig::read,
        }
    }

    fn parse_text(text: &str) -> Result<Loaded, Vec<String>> {
        parse(Path::new("/etc/hb/roles.toml"), text, &env())
            .map_err(|problems| problems.iter().map(ToString::to_string).collect())
    }

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn built_in_and_user_mappings() {
        use Role::*;
        let built_in = RoleMap::default();
        let cases: &[(&[&str], Option<&[Role]>)] = &[
            (
                &["all", "kube_control_plane", "etcd", "k8s_cluster"],
                Some(&[ControlPlane, Etcd]),
            ),
            (
                &["all", "kube-master", "kube-node"],
                Some(&[ControlPlane, Worker]),
            ),
            (&["kube_node"], Some(&[Worker])),
            (&["k3s_cluster", "server"], Some(&[ControlPlane, Worker])),
            (&["agent"], Some(&[Worker])),
            (&["rke2_servers"], Some(&[ControlPlane, Etcd, Worker])),
            (&["masters"], Some(&[ControlPlane, Etcd, Worker])),
            (&["workers", "rke2_agents"], Some(&[Worker])),
            (&["all", "ungrouped", "bastion"], None),
        ];
        for (names, expected) in cases {
            assert_eq!(
                built_in.roles(&groups(names)),
                expected.map(<[Role]>::to_vec),
                "{names:?}"
            );
        }
        assert!(built_in.only_bastion(&groups(&["all", "bastion"])));
        assert!(!built_in.only_bastion(&groups(&["all", "bastion", "kube_node"])));
        assert!(!built_in.only_bastion(&groups(&["all", "lab"])));
        let text = "[ansible]\ngroups = { my_cp = [\"etcd\", \"control-plane\"], server = [] }\n";
        let map = parse_text(text).unwrap_or_else(|e| panic!("{e:?}")).map;
        assert_eq!(
            map.roles(&groups(&["all", "my_cp"])),
            Some(vec![ControlPlane, Etcd])
        );
        assert_eq!(
            map.roles(&groups(&["server"])),
            None,
            "unmapped by the user"
        );
        assert_eq!(
            map.roles(&groups(&["server", "kube_node"])),
            Some(vec![Worker])
        );
        let text = "[ansible]\ngroups = { bastion = [] }\n";
        let map = parse_text(text).unwrap_or_else(|e| panic!("{e:?}")).map;
        assert!(
            !map.only_bastion(&groups(&["all", "bastion"])),
            "named by the user"
        );
    }

    #[test]
    fn the_file_is_checked_like_the_inventory() {
        let cases: &[(&str, &[&str])] = &[
            ("[ansible]\n", &["/etc/hb/roles.toml:1:1: ansible: missing key \"groups\""]),
            ("[ansible]\ngroups = 1\n", &["/etc/hb/roles.toml:2:10: ansible.groups: expected a table of group names, found an integer"]),
            (
                "[ansible]\ngroups = { a = \"etcd\", b = [\"cp\"], c = [\"etcd\", \"etcd\"], d = [1] }\n",
                &[
                    "/etc/hb/roles.toml:2:16: ansible.groups.a: expected an array of roles, found a string",
                    "/etc/hb/roles.toml:2:29: ansible.groups.b[0]: unknown role \"cp\": expected one of control-plane, etcd, worker",
                    "/etc/hb/roles.toml:2:49: ansible.groups.c[1]: duplicate role \"etcd\"",
                    "/etc/hb/roles.toml:2:63: ansible.groups.d[0]: expected a role name, found an integer",
                ],
            ),
            ("[ansible]\ngroups = {}\nmap = 1\n", &["/etc/hb/roles.toml:3:1: ansible.map: unknown key \"map\": expected one of groups"]),
            ("x = 1\n[ansible]\ngroups = {}\n", &["/etc/hb/roles.toml:1:1: x: unknown key \"x\": expected one of ansible, defaults"]),
            (
                "[ansible]\ngroups = {}\n[defaults]\nport = 0\nknown_hosts = \"missing\"\nhosts = 1\n",
                &[
                    "/etc/hb/roles.toml:4:8: defaults.port: port 0 is out of range 1-65535",
                    "/etc/hb/roles.toml:5:15: defaults.known_hosts: known_hosts file /etc/hb/missing does not exist, and with \
                     host_key_policy = \"strict\" every host's key would be refused: add the hosts' keys to it (after checking \
                     their fingerprints), or use host_key_policy = \"accept-new\" for a first run",
                    "/etc/hb/roles.toml:6:1: defaults.hosts: unknown key \"hosts\": expected one of user, port, identity_file, \
                     known_hosts, host_key_policy, become, connect_timeout, command_timeout, max_output, proxy_jump",
                ],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_text(text).err().unwrap_or_default(),
                *expected,
                "{text}"
            );
        }
        let text = "[ansible]\ngroups = {}\n[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\nbecome = \"none\"\nport = 2222\n";
        let defaults = parse_text(text)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .defaults;
        assert_eq!(defaults.user.as_deref(), Some("audit"));
        assert_eq!(
            defaults.known_hosts.as_deref(),
            Some(Path::new("/etc/hb/kh"))
        );
        assert_eq!(defaults.become_method, crate::inventory::Become::None);
        assert_eq!(defaults.port, 2222);
    }
}

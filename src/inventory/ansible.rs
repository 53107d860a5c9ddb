//! Ansible inventories as hardbench inventories: INI, YAML, and the JSON
//! that `ansible-inventory --list` prints, told apart by their content.
//! Each is read into one model of groups and hosts (`model`), variables
//! are resolved by Ansible's precedence, and each host becomes a `Host`
//! checked as the TOML inventory's hosts are (`hosts`). Roles come from
//! groups (`roles`); settings Ansible has no variable for (known_hosts,
//! host_key_policy, timeouts) from the built-in defaults or the
//! `[defaults]` of a `--role-map` file.

mod hosts;
mod ini;
mod json;
mod model;
mod ranges;
mod roles;
mod yaml;

use super::validate;
use super::{Env, Inventory, InventoryError, InventoryErrors, Position};
use crate::toml_file::TomlFile;
use std::path::Path;

/// The three forms of an Ansible inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Ini,
    Yaml,
    Json,
}

/// Which form `text` is in: JSON starts with `{`; YAML with `---` or a
/// `name:` line; anything else is INI. Blank and `#` comment lines are
/// skipped.
pub fn syntax(text: &str) -> Syntax {
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'));
    match first {
        Some(line) if line.starts_with('{') => Syntax::Json,
        Some(line)
            if line.starts_with("---") || line.starts_with("%YAML") || is_mapping_key(line) =>
        {
            Syntax::Yaml
        }
        _ => Syntax::Ini,
    }
}

/// `name:` or `name: value`, which no INI line is (`host:22` has no space).
fn is_mapping_key(line: &str) -> bool {
    let Some((key, rest)) = line.split_once(':') else {
        return false;
    };
    let key = key.trim_matches(['"', '\'']);
    !key.is_empty()
        && !key.contains(|c: char| c.is_whitespace() || "[]=;#".contains(c))
        && (rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// A `--role-map` file: its path and text.
pub struct RoleMapFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

/// Validates Ansible inventory `text`, read from `path`.
pub fn parse(
    path: &Path,
    text: &str,
    role_map: Option<RoleMapFile>,
    env: &Env,
) -> Result<Inventory, InventoryErrors> {
    // Problems with the role map and with the inventory are all reported
    // at once; hosts are built only when both are sound.
    let role_map_path = role_map.as_ref().map(|map| map.path.to_path_buf());
    let (loaded, mut errors) = match defaults(path, role_map, env) {
        Ok(loaded) => (Some(loaded), Vec::new()),
        Err(problems) => (None, problems),
    };
    let mut model = model::Model::default();
    let mut problems = Vec::new();
    let text = text.trim_start_matches('\u{feff}');
    match syntax(text) {
        Syntax::Ini => ini::read(text, &mut model, &mut problems),
        Syntax::Yaml => yaml::read(text, &mut model, &mut problems),
        Syntax::Json => json::read(text, &mut model, &mut problems),
    }
    let at = |(position, message): (Position, String)| InventoryError {
        file: path.to_path_buf(),
        position: Some(position),
        key: None,
        message,
    };
    let resolved = if problems.is_empty() {
        model.resolve().unwrap_or_else(|loops| {
            errors.extend(loops.into_iter().map(at));
            Vec::new()
        })
    } else {
        errors.extend(problems.into_iter().map(at));
        Vec::new()
    };
    if errors.is_empty() && resolved.is_empty() {
        let message = "no hosts: an Ansible inventory with no host in any group";
        errors.push(InventoryError::in_file(path, message));
    }
    let Some(loaded) = loaded.filter(|_| errors.is_empty()) else {
        crate::toml_file::sort(&mut errors);
        return Err(InventoryErrors(errors));
    };
    let built = hosts::build(path, resolved, &loaded.defaults, &loaded.map, env);
    if !built.problems.is_empty() {
        return Err(InventoryErrors(built.problems));
    }
    let mut warnings = loaded.warnings;
    warnings.extend(built.warnings);
    Ok(Inventory {
        path: path.to_path_buf(),
        sha256: crate::digest::sha256_hex(text.as_bytes()),
        hosts: built.hosts,
        warnings,
        role_map: role_map_path,
    })
}

/// The role map and the defaults: from the `--role-map` file, or the
/// built-in ones.
fn defaults(
    path: &Path,
    role_map: Option<RoleMapFile>,
    env: &Env,
) -> Result<roles::Loaded, Vec<InventoryError>> {
    if let Some(file) = role_map {
        return roles::parse(file.path, file.text, env);
    }
    // A problem with the built-in defaults (no HOME) has no line to point at.
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let (toml, defaults, warnings) =
        validate::defaults(TomlFile::new(path, ""), env, base_dir, None);
    let problems: Vec<InventoryError> = toml
        .into_problems()
        .into_iter()
        .map(|problem| InventoryError {
            position: None,
            message: format!("{} (of a --role-map file)", problem.message),
            ..problem
        })
        .collect();
    if problems.is_empty() {
        Ok(roles::Loaded {
            map: roles::RoleMap::default(),
            defaults,
            warnings,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Role;
    use crate::inventory::{Become, Host, HostKeyPolicy, Probe};
    use std::path::PathBuf;
    use std::time::Duration;

    const PRIVATE_KEY: &[u8] = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n";

    /// `missing*` does not exist, `*.pub` is a public key, `open*` a
    /// private key others can read; anything else is a private key (and
    /// a known_hosts file with a key).
    fn probe(path: &Path) -> Probe {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("missing") {
            Probe::Missing
        } else if name.ends_with(".pub") {
            Probe::File { mode: 0o644, start: b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n".to_vec() }
        } else if name.starts_with("open") {
            Probe::File {
                mode: 0o644,
                start: PRIVATE_KEY.to_vec(),
            }
        } else {
            Probe::File {
                mode: 0o600,
                start: PRIVATE_KEY.to_vec(),
            }
        }
    }

    fn env() -> Env<'static> {
        Env {
            home: Some("/home/me".into()),
            user: Some("me".into()),
            probe: &probe,
            // No ssh_config: ssh_config is not read for Ansible inventories.
            ssh_config: Some(std::path::PathBuf::new()),
            read_ssh_config: &crate::transport::ssh_config::SshConfig::read,
        }
    }

    fn parse_in(env: &Env, text: &str, role_map: Option<&str>) -> Result<Inventory, Vec<String>> {
        let map = role_map.map(|text| RoleMapFile {
            path: Path::new("/inv/roles.toml"),
            text,
        });
        parse(Path::new("/inv/hosts"), text, map, env)
            .map_err(|errors| errors.0.iter().map(ToString::to_string).collect())
    }

    #[track_caller]
    fn valid(text: &str, role_map: Option<&str>) -> Inventory {
        parse_in(&env(), text, role_map).unwrap_or_else(|errors| panic!("{}", errors.join("\n")))
    }

    /// A host as the built-in defaults make it.
    fn host(name: &str, address: &str, roles: Option<&[Role]>) -> Host {
        Host {
            name: name.into(),
            address: address.into(),
            port: 22,
            user: "me".into(),
            identity_file: None,
            known_hosts: "/home/me/.ssh/known_hosts".into(),
            host_key_policy: HostKeyPolicy::Strict,
            become_method: Become::Sudo,
            connect_timeout: Duration::from_secs(5),
            command_timeout: Duration::from_secs(60),
            max_output: 8 * 1024 * 1024,
            roles: roles.map(<[Role]>::to_vec),
            proxy_jump: None,
        }
    }

    #[test]
    fn forms_are_told_by_content() {
        let cases: &[(&str, Syntax)] = &[
            ("[all]\na\n", Syntax::Ini),
            ("# c\n\nnode1 ansible_host=10.0.0.1\n", Syntax::Ini),
            ("a:2222\n", Syntax::Ini),
            ("; c\n[g:vars]\nx=1\n", Syntax::Ini),
            ("---\nall:\n", Syntax::Yaml),
            ("# c\nall:\n  hosts:\n", Syntax::Yaml),
            ("\u{feff}k3s_cluster:\n", Syntax::Yaml),
            ("\"all\": {}\n", Syntax::Yaml),
            ("  {\n \"all\": {}}", Syntax::Json),
            ("", Syntax::Ini),
        ];
        for (text, expected) in cases {
            assert_eq!(syntax(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn the_kubespray_sample_layout() {
        use Role::*;
        let inventory = valid(
            include_str!("../../tests/data/ansible/kubespray-inventory.ini"),
            None,
        );
        let cp_etcd: &[Role] = &[ControlPlane, Etcd];
        let all_three: &[Role] = &[ControlPlane, Etcd, Worker];
        let expected: Vec<Host> = [
            ("node1", cp_etcd),
            ("node2", all_three),
            ("node3", all_three),
            ("node4", &[Worker][..]),
            ("node5", &[Worker]),
            ("node6", &[Worker]),
        ]
        .iter()
        .enumerate()
        .map(|(i, (name, roles))| host(name, &format!("127.0.31.{}", i + 1), Some(roles)))
        .collect();
        assert_eq!(inventory.hosts, expected);
        // What ansible-core 2.19's `ansible-inventory --list` prints for it.
        let listed = valid(
            include_str!("../../tests/data/ansible/kubespray-inventory.json"),
            None,
        );
        assert_eq!(listed.hosts, expected);
        assert_eq!(
            inventory.warnings,
            [],
            "ip and etcd_member_name are kubespray's, not warned about"
        );
    }

    #[test]
    fn the_k3s_ansible_sample_layout() {
        use Role::*;
        let inventory = valid(
            include_str!("../../tests/data/ansible/k3s-inventory.yml"),
            None,
        );
        let server = Host {
            user: "debian".into(),
            ..host("127.0.35.11", "127.0.35.11", Some(&[ControlPlane, Worker]))
        };
        let agent = |name: &str| Host {
            user: "debian".into(),
            ..host(name, name, Some(&[Worker]))
        };
        let expected = [server, agent("127.0.35.12"), agent("127.0.35.13")];
        assert_eq!(inventory.hosts, expected);
        assert_eq!(inventory.warnings, []);
        // What ansible-core 2.19's `ansible-inventory --list` prints for it.
        let listed = valid(
            include_str!("../../tests/data/ansible/k3s-inventory.json"),
            None,
        );
        assert_eq!(listed.hosts, expected);
    }

    /// Variables set at every level of nested groups, siblings at one depth
    /// included, resolve as ansible-core 2.19 resolves them: the values
    /// below are what its `ansible-inventory --list` prints for the INI
    /// and the YAML (precedence.json is that output).
    #[test]
    fn precedence_is_ansible_s() {
        let at = |name: &str, address: &str, port: u16, user: &str| Host {
            port,
            user: user.into(),
            ..host(name, address, None)
        };
        let expected = [
            at("h1", "127.0.0.9", 1004, "from_inner"),
            at("h2", "h2", 1999, "from_inner"),
            at("h3", "127.0.0.9", 1004, "from_outer"),
        ];
        for text in [
            include_str!("../../tests/data/ansible/precedence.ini"),
            include_str!("../../tests/data/ansible/precedence.yml"),
            include_str!("../../tests/data/ansible/precedence.json"),
        ] {
            assert_eq!(valid(text, None).hosts, expected, "{text}");
        }
    }

    /// One inventory in the three forms.
    const INI: &str = "[all:vars]\nansible_user=ops\nansible_become=false\n\n[rke2_servers]\ncp1 ansible_host=10.0.0.1 ansible_port=2222\n\n\
                       [rke2_agents]\nw[1:2] ansible_ssh_private_key_file=~/.ssh/id_audit\n\n[lab]\nw2 ansible_become=yes\nspare.lan\n";
    const YAML: &str = "all:\n  vars:\n    ansible_user: ops\n    ansible_become: false\n  children:\n    rke2_servers:\n      hosts:\n        cp1:\n\
                        \x20         ansible_host: 10.0.0.1\n          ansible_port: 2222\n    rke2_agents:\n      hosts:\n        w[1:2]:\n\
                        \x20         ansible_ssh_private_key_file: ~/.ssh/id_audit\n    lab:\n      hosts:\n        w2:\n          ansible_become: yes\n        spare.lan:\n";
    const JSON: &str = r#"{"_meta": {"hostvars": {"cp1": {"ansible_host": "10.0.0.1", "ansible_port": 2222},
        "w1": {"ansible_ssh_private_key_file": "~/.ssh/id_audit"},
        "w2": {"ansible_ssh_private_key_file": "~/.ssh/id_audit", "ansible_become": true}}},
      "all": {"children": ["ungrouped", "rke2_servers", "rke2_agents", "lab"], "vars": {"ansible_user": "ops", "ansible_become": false}},
      "rke2_servers": {"hosts": ["cp1"]}, "rke2_agents": {"hosts": ["w1", "w2"]}, "lab": {"hosts": ["w2", "spare.lan"]}}"#;

    #[test]
    fn ini_yaml_and_json_give_the_same_hosts() {
        use Role::*;
        let ops = |host: Host| Host {
            user: "ops".into(),
            become_method: Become::None,
            ..host
        };
        let key = Some(PathBuf::from("/home/me/.ssh/id_audit"));
        let expected = [
            Host {
                port: 2222,
                ..ops(host("cp1", "10.0.0.1", Some(&[ControlPlane, Etcd, Worker])))
            },
            Host {
                identity_file: key.clone(),
                ..ops(host("w1", "w1", Some(&[Worker])))
            },
            Host {
                identity_file: key,
                become_method: Become::Sudo,
                ..ops(host("w2", "w2", Some(&[Worker])))
            },
            ops(host("spare.lan", "spare.lan", None)),
        ];
        for text in [INI, YAML, JSON] {
            assert_eq!(valid(text, None).hosts, expected, "{text}");
        }
    }

    #[test]
    fn the_role_map_maps_groups_and_gives_defaults() {
        use Role::*;
        let map = "[ansible]\ngroups = { lab = [\"etcd\"], rke2_agents = [] }\n\n[defaults]\nuser = \"audit\"\nknown_hosts = \"kh\"\n\
                   host_key_policy = \"accept-new\"\nbecome = \"none\"\nport = 2200\nidentity_file = \"id\"\nconnect_timeout = \"9s\"\n";
        let inventory = valid("[rke2_agents]\nw1\n[lab]\nw2 ansible_user=ops ansible_port=22 ansible_become=true\n[rke2_servers]\nw2\n", Some(map));
        let defaults = |host: Host| Host {
            user: "audit".into(),
            port: 2200,
            identity_file: Some("/inv/id".into()),
            known_hosts: "/inv/kh".into(),
            host_key_policy: HostKeyPolicy::AcceptNew,
            become_method: Become::None,
            connect_timeout: Duration::from_secs(9),
            ..host
        };
        assert_eq!(
            inventory.hosts,
            [
                defaults(host("w1", "w1", None)),
                Host {
                    user: "ops".into(),
                    port: 22,
                    become_method: Become::Sudo,
                    ..defaults(host("w2", "w2", Some(&[ControlPlane, Etcd, Worker])))
                },
            ]
        );
        assert_eq!(
            parse_in(&env(), "a\n", Some("[defaults]\nknown_hosts = \"missing\"\n")).unwrap_err()[0],
            "/inv/roles.toml:2:15: defaults.known_hosts: known_hosts file /inv/missing does not exist, and with host_key_policy = \
             \"strict\" every host's key would be refused: add the hosts' keys to it (after checking their fingerprints), or use \
             host_key_policy = \"accept-new\" for a first run"
        );
    }

    #[track_caller]
    fn errors(text: &str, expected: &[&str]) {
        let expected: Vec<String> = expected
            .iter()
            .map(|line| format!("/inv/hosts:{line}"))
            .collect();
        assert_eq!(
            parse_in(&env(), text, None).err().unwrap_or_default(),
            expected,
            "{text}"
        );
    }

    #[test]
    fn every_error_names_its_line_and_column() {
        errors(
            "[g]\na ansible_port=70000\n",
            &["2:3: ansible_port: port 70000 is out of range 1-65535"],
        );
        // A bad group value is one error, however many hosts it reaches.
        errors(
            "[g]\na\nb\n[g:vars]\nansible_port=x\n",
            &["5:14: ansible_port: port x is out of range 1-65535"],
        );
        errors("a ansible_host=http://a\n", &["1:3: ansible_host: address \"http://a\" has a scheme; give a bare host name or IP address"]);
        errors(
            "all:\n  hosts:\n    a:\n      ansible_host: \"{{ ip }}\"\n",
            &["4:21: ansible_host: ansible_host is a Jinja template, which hardbench does not evaluate: give the value itself"],
        );
        errors(
            "all:\n  hosts:\n    a:\n      ansible_user: [x]\n",
            &["4:21: ansible_user: ansible_user is a list or a mapping: expected a single value"],
        );
        errors("a ansible_user=''\n", &["1:3: ansible_user: user is empty"]);
        errors(
            "a ansible_become=sudo\n",
            &["1:3: ansible_become: invalid ansible_become \"sudo\": expected true or false"],
        );
        errors(
            "a ansible_ssh_private_key_file=missing_key\n",
            &["1:3: ansible_ssh_private_key_file: identity file /inv/missing_key does not exist"],
        );
        errors(
            "a ansible_ssh_private_key_file=id.pub\n",
            &["1:3: ansible_ssh_private_key_file: identity file /inv/id.pub holds an OpenSSH public key (ssh-ed25519), not a private key: \
               name the private key file (probably /inv/id)"],
        );
        errors("a ansible_ssh_private_key_file=~x/k\n", &["1:3: ansible_ssh_private_key_file: cannot expand \"~x/k\": only ~ and ~/ are supported, not ~user"]);
        errors(
            "a!b\n",
            &["1:1: host name \"a!b\" may contain only letters, digits, '.', '-' and '_'"],
        );
        errors(
            "[g]\n  -a\n",
            &["2:3: address \"-a\" has a label that starts or ends with '-' (the host name, used as its address: set ansible_host)"],
        );
        errors(
            "[a:children]\nb\n[b:children]\na\n[b]\nh\n",
            &["4:1: group \"a\" contains itself: a > b > a"],
        );
        errors(
            "# nothing\n[g]\n",
            &[" no hosts: an Ansible inventory with no host in any group"],
        );
        errors(
            "[g]\na ansible_port=0\nb ansible_become=maybe\n",
            &[
                "2:3: ansible_port: port 0 is out of range 1-65535",
                "3:3: ansible_become: invalid ansible_become \"maybe\": expected true or false",
            ],
        );
    }

    #[test]
    fn problems_in_the_role_map_and_the_inventory_come_together() {
        assert_eq!(
            parse_in(&env(), "[g]\na ansible_port=1\n[g:kids]\n", Some("[defaults]\nport = 0\n")).unwrap_err(),
            [
                "/inv/hosts:3:1: unknown section type \"kids\" in \"[g:kids]\": expected [g], [g:vars] or [g:children]",
                "/inv/roles.toml:2:8: defaults.port: port 0 is out of range 1-65535",
            ]
        );
    }

    #[test]
    fn a_kubespray_bastion_is_not_audited() {
        let text = "[all]\nnode1 ansible_host=10.0.0.1\nbastion ansible_host=10.0.0.254\n\
                    [bastion]\nbastion\n[kube_node]\nnode1\n";
        let inventory = valid(text, None);
        assert_eq!(
            inventory.hosts,
            [host("node1", "10.0.0.1", Some(&[Role::Worker]))]
        );
        let warnings: Vec<String> = inventory.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            ["/inv/hosts:3:1: not audited: bastion (kubespray's bastion group: the way in, not a \
              node; name the group in a --role-map file to audit it)"]
        );
        errors(
            "[bastion]\nbastion ansible_host=10.0.0.254\n",
            &[
                "2:1: no hosts to audit: not audited: bastion (kubespray's bastion group: the way \
               in, not a node; name the group in a --role-map file to audit it)",
            ],
        );
        let audited = valid(text, Some("[ansible]\ngroups = { bastion = [] }\n"));
        assert_eq!(audited.hosts.len(), 2);
    }

    #[test]
    fn no_user_and_no_home_are_one_error_each() {
        let env = Env {
            home: None,
            user: None,
            probe: &probe,
            // No ssh_config: ssh_config is not read for Ansible inventories.
            ssh_config: Some(std::path::PathBuf::new()),
            read_ssh_config: &crate::transport::ssh_config::SshConfig::read,
        };
        assert_eq!(
            parse_in(&env, "a\nb\n", None).unwrap_err(),
            ["/inv/hosts: defaults.known_hosts: cannot expand the default known_hosts ~/.ssh/known_hosts: HOME is not set; \
              set known_hosts in [defaults] (of a --role-map file)"]
        );
        assert_eq!(
            parse_in(&env, "a\nb\n", Some("[defaults]\nknown_hosts = \"/kh\"\n")).unwrap_err(),
            ["/inv/hosts:1:1: no user: set ansible_user (for all hosts, in the vars of group all), or user in the [defaults] \
              of a --role-map file ($USER is not set)"]
        );
        let inventory = parse_in(
            &env,
            "a ansible_user=ops\n",
            Some("[defaults]\nknown_hosts = \"/kh\"\n"),
        )
        .unwrap();
        assert_eq!(inventory.hosts[0].user, "ops");
    }

    #[test]
    fn ignored_variables_are_warned_about_once() {
        let text = "[g]\na ansible_password=x ansible_connection=paramiko ansible_ssh_private_key_file=open_key\n\
                    b ansible_connection=local ansible_ssh_private_key_file=open_key ansible_become_method=sudo\n\
                    f ansible_connection=ssh ansible_python_interpreter=/usr/bin/python3 ansible_become_user=root\n\
                    c ansible_ssh_common_args='-o ProxyJump=ops@jump'\nd ansible_ssh_common_args='-o ProxyJump=ops@jump'\n\
                    e ansible_ssh_common_args='-o StrictHostKeyChecking=no'\n";
        let inventory = valid(text, None);
        let warnings: Vec<String> = inventory.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            [
                "/inv/hosts:2:3: ansible_password: ignored: hardbench never uses passwords; use key-based auth and NOPASSWD sudo",
                "/inv/hosts:2:22: ansible_connection: ignored: hardbench connects with ansible_host, ansible_port, ansible_user, \
                 ansible_ssh_private_key_file and ansible_become only",
                "/inv/hosts:2:50: ansible_ssh_private_key_file: identity file /inv/open_key has mode 0644: group or others can \
                 access this private key, and OpenSSH refuses such a key (chmod 600 /inv/open_key)",
                "/inv/hosts:7:3: ansible_ssh_common_args: ignored (hardbench takes only a ProxyJump from it)",
            ]
        );
        assert_eq!(inventory.hosts.len(), 6);
        let jumps: Vec<String> =
            inventory.hosts.iter().map(|host| host.proxy_jump.as_ref().map_or("direct".to_string(), ToString::to_string)).collect();
        assert_eq!(jumps, ["direct", "direct", "direct", "ops@jump:22", "ops@jump:22", "direct"]);
    }

    #[test]
    fn many_hosts_take_linear_time() {
        // 40,000 hosts, half of them in a second group too, and a range.
        let mut ini = String::from("[all:vars]\nansible_user=ops\n[kube_node]\n");
        let mut yaml = String::from(
            "all:\n  vars:\n    ansible_user: ops\n  children:\n    kube_node:\n      hosts:\n",
        );
        for i in 0..20_000 {
            ini += &format!("n{i} ansible_host=10.0.{}.{}\n", i / 256, i % 256);
            yaml += &format!(
                "        n{i}:\n          ansible_host: 10.0.{}.{}\n",
                i / 256,
                i % 256
            );
        }
        ini += "[etcd]\nn[0:9999]\nm[0:19999]\n";
        yaml += "    etcd:\n      hosts:\n        n[0:9999]:\n        m[0:19999]:\n";
        for text in [ini, yaml] {
            let started = std::time::Instant::now();
            let inventory = valid(&text, None);
            let took = started.elapsed();
            assert_eq!(inventory.hosts.len(), 40_000);
            assert_eq!(
                inventory.hosts[0].roles,
                Some(vec![Role::Etcd, Role::Worker])
            );
            assert!(took < Duration::from_secs(20), "40,000 hosts took {took:?}");
        }
    }
}

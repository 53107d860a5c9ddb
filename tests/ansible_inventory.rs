//! Ansible inventories with the binary: `validate` accepts inventories
//! laid out as kubespray's and k3s-ansible's samples (tests/data/ansible),
//! and what `ansible-inventory --list` prints for them,
//! the format flags behave, a bad one is exit 2 naming file and line; and
//! on the lab (127.0.18.x) an audit from an Ansible INI and from an Ansible
//! YAML inventory, derived from the lab's TOML one, gives the same verdicts
//! as the TOML one.

mod common;

use common::{hardbench, repo, text, Audit, Lab};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data(name: &str) -> String {
    repo()
        .join("tests/data/ansible")
        .join(name)
        .display()
        .to_string()
}

#[track_caller]
fn validate(args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    let output = hardbench(&all);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = stdout.lines().next().unwrap_or_default().to_string();
    (
        output.status.code(),
        if first.is_empty() {
            text(&output)
        } else {
            first
        },
    )
}

#[test]
fn validate_accepts_the_kubespray_and_k3s_ansible_sample_layouts() {
    let defaults = data("defaults.toml");
    // The .json files are what ansible-core 2.19's `ansible-inventory --list`
    // prints for the .ini and the .yml.
    let files = [
        ("kubespray-inventory.ini", 6),
        ("kubespray-inventory.json", 6),
        ("k3s-inventory.yml", 3),
        ("k3s-inventory.json", 3),
    ];
    for (file, hosts) in files {
        let inventory = data(file);
        let valid = (
            Some(0),
            format!("inventory {inventory}: {hosts} hosts, valid"),
        );
        assert_eq!(
            validate(&["--inventory", &inventory, "--role-map", &defaults]),
            valid
        );
        assert_eq!(
            validate(&[
                "--inventory",
                &inventory,
                "--role-map",
                &defaults,
                "--inventory-format",
                "ansible"
            ]),
            valid
        );
    }
}

/// A `hardbench.toml` beside an Ansible inventory is its role map when
/// `--role-map` names none, and stderr says that it was used.
#[test]
fn the_role_map_beside_the_inventory_is_used_and_named() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [("kubespray-inventory.ini", "hosts.ini"), ("defaults.toml", "hardbench.toml"), ("known_hosts", "known_hosts")] {
        std::fs::copy(data(from), dir.path().join(to)).unwrap();
    }
    let inventory = dir.path().join("hosts.ini");
    let output = hardbench(&["validate", "--inventory", &inventory.display().to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let beside = dir.path().join("hardbench.toml");
    assert!(
        stderr.contains(&format!("roles and defaults from {}, found beside the inventory", beside.display())),
        "{stderr}"
    );
    // Named with --role-map, it is no news.
    let output = hardbench(&[
        "validate",
        "--inventory",
        &inventory.display().to_string(),
        "--role-map",
        &beside.display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("found beside"), "{}", text(&output));
}

#[test]
fn the_format_flags_and_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = data("defaults.toml");
    // Read as TOML, the INI sample is a TOML syntax error.
    let (code, output) = validate(&[
        "--inventory",
        &data("kubespray-inventory.ini"),
        "--inventory-format",
        "toml",
    ]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("kubespray-inventory.ini:4:7: TOML syntax error"),
        "{output}"
    );
    // A TOML inventory with a role map.
    let toml = repo().join("inventory/example.toml").display().to_string();
    let (code, output) = validate(&["--inventory", &toml, "--role-map", &defaults]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains(&format!(
            "{defaults}: --role-map is for Ansible inventories, and {toml} is a TOML inventory"
        )),
        "{output}"
    );
    // An error in an INI inventory and one in the role map, each at its place.
    let ini = dir.path().join("hosts");
    std::fs::write(
        &ini,
        "[kube_node]\nnode1 ansible_host=127.0.31.1\nnode2 ansible_port=65536\n",
    )
    .unwrap();
    let map = dir.path().join("roles.toml");
    std::fs::write(
        &map,
        "[ansible]\ngroups = { kube_node = [\"node\"] }\n[defaults]\nknown_hosts = \"kh\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("kh"), "127.0.31.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICskVB8UplXO4z5bfvdgqT3gLtl8OHgq9jDKNbGgFfIR\n").unwrap();
    let (code, output) = validate(&[
        "--inventory",
        ini.to_str().unwrap(),
        "--role-map",
        map.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains(&format!(
            "{}:2:25: ansible.groups.kube_node[0]: unknown role \"node\": expected one of control-plane, etcd, worker",
            map.display()
        )),
        "{output}"
    );
    std::fs::write(&map, "[defaults]\nknown_hosts = \"kh\"\nuser = \"audit\"\n").unwrap();
    let (code, output) = validate(&[
        "--inventory",
        ini.to_str().unwrap(),
        "--role-map",
        map.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains(&format!(
            "{}:3:7: ansible_port: port 65536 is out of range 1-65535",
            ini.display()
        )),
        "{output}"
    );
}

/// The lab's TOML inventory as an Ansible INI and YAML inventory and a role
/// map: connection settings as `ansible_*` variables of group `all`, each
/// host's address as `ansible_host`; hosts with roles in the kubespray group
/// of each role, the others in `lab` (no roles: detected, as in the TOML);
/// what Ansible has no variable for in the role map's `[defaults]`.
struct Derived {
    ini: PathBuf,
    yaml: PathBuf,
    role_map: PathBuf,
}

fn derive(toml_path: &Path, dir: &Path) -> Derived {
    let toml: toml::Table = std::fs::read_to_string(toml_path).unwrap().parse().unwrap();
    let defaults = toml["defaults"].as_table().unwrap();
    let setting = |key: &str| defaults[key].to_string();
    let vars = [
        (
            "ansible_user",
            defaults["user"].as_str().unwrap().to_string(),
        ),
        (
            "ansible_port",
            defaults["port"].as_integer().unwrap().to_string(),
        ),
        (
            "ansible_ssh_private_key_file",
            defaults["identity_file"].as_str().unwrap().to_string(),
        ),
        (
            "ansible_become",
            (defaults["become"].as_str() == Some("sudo")).to_string(),
        ),
    ];
    let mut groups: Vec<(&str, Vec<(String, String)>)> = vec![
        ("kube_control_plane", vec![]),
        ("etcd", vec![]),
        ("kube_node", vec![]),
        ("lab", vec![]),
    ];
    for host in toml["hosts"].as_array().unwrap() {
        let entry = (
            host["name"].as_str().unwrap().to_string(),
            host["address"].as_str().unwrap().to_string(),
        );
        let roles: Vec<&str> = host
            .get("roles")
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        let names: Vec<&str> = if roles.is_empty() {
            vec!["lab"]
        } else {
            roles
                .iter()
                .map(|role| match *role {
                    "control-plane" => "kube_control_plane",
                    "etcd" => "etcd",
                    _ => "kube_node",
                })
                .collect()
        };
        for name in names {
            groups
                .iter_mut()
                .find(|(group, _)| *group == name)
                .unwrap()
                .1
                .push(entry.clone());
        }
    }
    let mut ini = String::from("[all:vars]\n");
    let mut yaml = String::from("all:\n  vars:\n");
    for (name, value) in &vars {
        ini += &format!("{name}={value}\n");
        yaml += &format!("    {name}: {value}\n");
    }
    yaml += "  children:\n";
    for (group, hosts) in groups.iter().filter(|(_, hosts)| !hosts.is_empty()) {
        ini += &format!("\n[{group}]\n");
        yaml += &format!("    {group}:\n      hosts:\n");
        for (name, address) in hosts {
            ini += &format!("{name} ansible_host={address}\n");
            yaml += &format!("        {name}:\n          ansible_host: {address}\n");
        }
    }
    let role_map = format!(
        "[defaults]\nknown_hosts = {}\nhost_key_policy = {}\nconnect_timeout = {}\ncommand_timeout = {}\n",
        setting("known_hosts"),
        setting("host_key_policy"),
        setting("connect_timeout"),
        setting("command_timeout")
    );
    let derived = Derived {
        ini: dir.join("hosts.ini"),
        yaml: dir.join("hosts.yml"),
        role_map: dir.join("roles.toml"),
    };
    std::fs::write(&derived.ini, ini).unwrap();
    std::fs::write(&derived.yaml, yaml).unwrap();
    std::fs::write(&derived.role_map, role_map).unwrap();
    derived
}

/// Each host's name, address, port, roles, status and every check's status.
fn verdicts(report: &Value) -> Vec<(String, Vec<(String, String)>)> {
    report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|host| {
            let head = format!(
                "{} {}:{} {} {}",
                host["name"], host["address"], host["port"], host["roles"], host["status"]
            );
            let results = host["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|result| {
                    (
                        result["id"].as_str().unwrap().to_string(),
                        result["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (head, results)
        })
        .collect()
}

#[test]
fn an_audit_from_ansible_ini_and_yaml_gives_the_verdicts_of_the_toml_inventory() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(
        &state.path().join("lab"),
        18,
        &["worker-good", "worker-bad"],
    );
    let derived = derive(&lab.inventory(), state.path());
    let toml = Audit::run(&lab.inventory(), &state.path().join("toml"), &[]);
    assert_eq!(toml.output.status.code(), Some(1), "{}", text(&toml.output));
    let expected = verdicts(&toml.report());
    assert_eq!(expected.len(), 2);
    assert!(
        expected.iter().all(|(_, results)| results.len() > 10),
        "{expected:?}"
    );
    let role_map = derived.role_map.to_str().unwrap();
    for (name, inventory) in [("ini", &derived.ini), ("yaml", &derived.yaml)] {
        let audit = Audit::run(
            inventory,
            &state.path().join(name),
            &["--role-map", role_map],
        );
        assert_eq!(
            audit.output.status.code(),
            Some(1),
            "{name}: {}",
            text(&audit.output)
        );
        assert!(
            !String::from_utf8_lossy(&audit.output.stderr).contains("ignored"),
            "{name}: {}",
            text(&audit.output)
        );
        assert_eq!(verdicts(&audit.report()), expected, "{name}");
    }
}

//! The JSON that `ansible-inventory --list` (and any dynamic inventory
//! script) prints: every group a key with `hosts` and `children` (lists of
//! names) and `vars`, and `_meta.hostvars` mapping each host to its
//! variables. Read with the YAML tree (JSON is YAML's flow style), so
//! every problem has its line and column.

use super::model::Model;
use super::yaml::{key_text, tree, variables, Node, Problem};

/// Reads `ansible-inventory --list` output into `model`.
pub fn read(text: &str, model: &mut Model, problems: &mut Vec<Problem>) {
    let root = match tree(text, "JSON") {
        Ok(root) => root,
        Err(problem) => return problems.push(problem),
    };
    let Node::Mapping { entries, .. } = &root else {
        return problems.push((
            root.at(),
            format!(
                "the inventory is {}: expected an object of groups",
                root.kind()
            ),
        ));
    };
    // `_meta.hostvars` first: it lists the hosts in Ansible's order, which
    // the groups (sorted by name) do not keep.
    for (key, value) in entries {
        if key_text(key) == Ok("_meta") {
            hostvars(value, model, problems);
        }
    }
    for (key, value) in entries {
        match key_text(key) {
            Ok("_meta") => {}
            Ok(name) => group(name, key, value, model, problems),
            Err(problem) => problems.push(problem),
        }
    }
}

/// The hosts of `_meta.hostvars` with their variables. Other keys of
/// `_meta` (`profile`, which ansible-core 2.19 adds) say nothing about hosts.
fn hostvars(meta: &Node, model: &mut Model, problems: &mut Vec<Problem>) {
    let Some(entries) = object(meta, "_meta", problems) else {
        return;
    };
    for (key, value) in entries {
        if key_text(key) != Ok("hostvars") {
            continue;
        }
        let Some(hosts) = object(value, "_meta.hostvars", problems) else {
            continue;
        };
        for (key, vars) in hosts {
            let Ok(name) = key_text(key).map_err(|p| problems.push(p)) else {
                continue;
            };
            // A host only in hostvars is in `all`, as Ansible has it.
            let all = model.group(super::model::ALL, None);
            let host = model.host(all, name, key.at());
            let Some(vars) = object(vars, &format!("_meta.hostvars.{name}"), problems) else {
                continue;
            };
            for var in variables(vars, problems) {
                model.host_var(host, var);
            }
        }
    }
}

fn group(name: &str, key: &Node, node: &Node, model: &mut Model, problems: &mut Vec<Problem>) {
    let index = model.group(name, Some(key.at()));
    let Some(entries) = object(node, &format!("group {name:?}"), problems) else {
        return;
    };
    for (key, value) in entries {
        let Ok(key_name) = key_text(key).map_err(|p| problems.push(p)) else {
            continue;
        };
        match key_name {
            "hosts" | "children" => {
                let Some(names) = list(value, &format!("{key_name} of group {name:?}"), problems)
                else {
                    continue;
                };
                for item in names {
                    let Node::Scalar { text, .. } = item else {
                        problems.push((
                            item.at(),
                            format!(
                                "{key_name} of group {name:?} lists {}, not a name",
                                item.kind()
                            ),
                        ));
                        continue;
                    };
                    if key_name == "hosts" {
                        model.host(index, text, item.at());
                    } else {
                        model.child(index, text, item.at());
                    }
                }
            }
            "vars" => {
                let Some(vars) = object(value, &format!("vars of group {name:?}"), problems) else {
                    continue;
                };
                for var in variables(vars, problems) {
                    model.group_var(index, var);
                }
            }
            other => problems.push((
                key.at(),
                format!(
                    "unknown key {other:?} in group {name:?}: expected hosts, vars or children"
                ),
            )),
        }
    }
}

fn object<'n>(
    node: &'n Node,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<&'n [(Node, Node)]> {
    match node {
        Node::Mapping { entries, .. } => Some(entries),
        other => {
            problems.push((
                other.at(),
                format!("{what} is {}: expected an object", other.kind()),
            ));
            None
        }
    }
}

fn list<'n>(node: &'n Node, what: &str, problems: &mut Vec<Problem>) -> Option<&'n [Node]> {
    match node {
        Node::Sequence { items, .. } => Some(items),
        other => {
            problems.push((
                other.at(),
                format!("{what} is {}: expected a list", other.kind()),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ansible::model::Scalar;

    /// What `ansible-inventory -i <kubespray-like ini> --list` prints,
    /// trimmed.
    const LISTED: &str = r#"{
    "_meta": {
        "hostvars": {
            "node1": {
                "ansible_host": "127.0.0.1",
                "ansible_port": 2222
            },
            "node2": {
                "ansible_host": "127.0.0.2"
            }
        }
    },
    "all": {
        "children": [
            "ungrouped",
            "k8s_cluster"
        ]
    },
    "k8s_cluster": {
        "children": [
            "kube_control_plane",
            "kube_node"
        ]
    },
    "kube_control_plane": {
        "hosts": [
            "node1"
        ]
    },
    "kube_node": {
        "hosts": [
            "node1",
            "node2"
        ],
        "vars": {"ansible_user": "ops"}
    }
}
"#;

    #[test]
    fn the_listed_form() {
        let mut model = Model::default();
        let mut problems = Vec::new();
        read(LISTED, &mut model, &mut problems);
        assert_eq!(problems, []);
        let hosts = model.resolve().unwrap();
        let names: Vec<(&str, Vec<&str>)> = hosts
            .iter()
            .map(|h| {
                (
                    h.name.as_str(),
                    h.groups.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "node1",
                    vec!["all", "k8s_cluster", "kube_control_plane", "kube_node"]
                ),
                ("node2", vec!["all", "k8s_cluster", "kube_node"]),
            ]
        );
        let port = &hosts[0].vars["ansible_port"];
        assert_eq!(
            (port.value.clone(), port.at.line, port.at.column),
            (Scalar::Text("2222".into()), 6, 33)
        );
        assert_eq!(
            hosts[1].vars["ansible_user"].value,
            Scalar::Text("ops".into())
        );
    }

    #[test]
    fn shape_problems_name_their_place() {
        let cases: &[(&str, &[&str])] = &[
            ("[1]", &["1:1: the inventory is a list: expected an object of groups"]),
            ("{\"g\": {\"hosts\": \"a\"}}", &["1:17: hosts of group \"g\" is a scalar: expected a list"]),
            ("{\"g\": {\"hosts\": [{}]}}", &["1:18: hosts of group \"g\" lists a mapping, not a name"]),
            ("{\"g\": {\"host\": []}}", &["1:8: unknown key \"host\" in group \"g\": expected hosts, vars or children"]),
            ("{\"_meta\": {\"profile\": \"inventory_legacy\", \"x\": 1}}", &[]),
            ("{\"_meta\": {\"hostvars\": {\"a\": 1}}}", &["1:30: _meta.hostvars.a is a scalar: expected an object"]),
            ("{\"g\": {\"hosts\": [\n", &["2:1: JSON syntax error: while parsing a node, did not find expected node content"]),
        ];
        for (text, expected) in cases {
            let mut problems = Vec::new();
            read(text, &mut Model::default(), &mut problems);
            let problems: Vec<String> = problems
                .iter()
                .map(|(at, m)| format!("{}:{}: {m}", at.line, at.column))
                .collect();
            assert_eq!(problems, *expected, "{text}");
        }
    }
}

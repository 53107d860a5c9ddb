//! Which kind of inventory a file holds, when `--inventory-format auto`:
//! a file named `*.toml` is a TOML inventory; otherwise the content
//! decides. Ansible's JSON and YAML forms are told by their first line;
//! text that is valid TOML with a `hosts` or `defaults` key, or that has a
//! `[[hosts]]` or `[defaults]` header (a TOML inventory with a syntax
//! error: its errors should be TOML's), is TOML; the rest is Ansible INI.
//! INI whose lines are all group headers is valid TOML too, and stays INI.

use super::ansible::{self, Syntax};
use super::Format;
use std::path::Path;

/// `Format::Toml` or `Format::Ansible`.
pub fn detect(path: &Path, text: &str) -> Format {
    if path.extension().is_some_and(|ext| ext == "toml") || is_toml(text) {
        Format::Toml
    } else {
        Format::Ansible
    }
}

fn is_toml(text: &str) -> bool {
    if ansible::syntax(text) != Syntax::Ini {
        return false;
    }
    match text.parse::<toml::Table>() {
        Ok(table) => table.contains_key("hosts") || table.contains_key("defaults"),
        Err(_) => text
            .lines()
            .map(str::trim)
            .any(|line| line == "[[hosts]]" || line == "[defaults]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_then_content() {
        let cases: &[(&str, &str, Format)] = &[
            (
                "i.toml",
                "[all]\nnode1 ansible_host=10.0.0.1\n",
                Format::Toml,
            ),
            (
                "i",
                "[defaults]\nuser = \"a\"\n[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\n",
                Format::Toml,
            ),
            (
                "i",
                "# c\n[[hosts]]\nname = \"a\"\naddress = \"10.0.0.1\"\n",
                Format::Toml,
            ),
            ("i", "[[hosts]]\nname = \n", Format::Toml),
            ("i", "[defaults]\nuser = \n", Format::Toml),
            (
                "i.ini",
                "[all]\nnode1 ansible_host=10.0.0.1\n",
                Format::Ansible,
            ),
            ("hosts", "node1\n", Format::Ansible),
            ("hosts", "[kube_control_plane]\n[etcd]\n", Format::Ansible),
            (
                "hosts",
                "[all:vars]\nansible_user=ops\n[all]\nnode1\n",
                Format::Ansible,
            ),
            ("i.yml", "---\nall:\n  hosts:\n", Format::Ansible),
            ("i.yml", "k3s_cluster:\n  children:\n", Format::Ansible),
            ("i.json", "{\"_meta\": {}}", Format::Ansible),
        ];
        for (name, text, expected) in cases {
            assert_eq!(detect(Path::new(name), text), *expected, "{name}: {text}");
        }
    }
}

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
        Some(line) if line.starts_with("---") || line.starts_with("%YAML") || is_mapping_key(line) => Syntax::Yaml,
        _ => Syntax::Ini,
    }
}

/// `name:` or `name: value`, which no INI line is (`host:22` has no space).
fn is_mapping_key(line: &str) -> bool {
    let Some((key, rest)) = line.split_once(':') else { return false };
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
pub fn parse(path: &Path, text: &str, role_map: Option<RoleMapFile>, env: &Env) -> Result<Inventory, InventoryErrors> {
    let loaded = match role_map {
        Some(file) => roles::parse(file.path, file.text, env).map_err(InventoryErrors)?,
        None => {
            // The built-in defaults: a problem with them (no HOME) has no
            // line to point at.
            let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            let (toml, defaults, warnings) = validate::defaults(TomlFile::new(path, ""), env, base_dir, None);
            let problems: Vec<InventoryError> = toml
                .into_problems()
                .into_iter()
                .map(|problem| InventoryError { position: None, ..problem })
                .collect();
            if !problems.is_empty() {
                return Err(InventoryErrors(problems));
            }
            roles::Loaded { map: roles::RoleMap::default(), defaults, warnings }
        }
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
    if !problems.is_empty() {
        return Err(InventoryErrors(problems.into_iter().map(at).collect()));
    }
    let resolved = model.resolve().map_err(|problems| InventoryErrors(problems.into_iter().map(at).collect()))?;
    if resolved.is_empty() {
        let message = "no hosts: an Ansible inventory with no host in any group";
        return Err(InventoryErrors(vec![InventoryError::in_file(path, message)]));
    }
    let built = hosts::build(path, resolved, &loaded.defaults, &loaded.map, env);
    if !built.problems.is_empty() {
        return Err(InventoryErrors(built.problems));
    }
    let mut warnings = loaded.warnings;
    warnings.extend(built.warnings);
    Ok(Inventory { path: path.to_path_buf(), hosts: built.hosts, warnings })
}

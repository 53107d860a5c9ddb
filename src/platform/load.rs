//! `platforms/<id>.toml` read and validated into a `Platform`. Every problem
//! is collected, each naming file, line, column and key.

use super::{ArgsSource, ComponentDef, Distribution, FileAction, Fixed, Platform, ProcessMatch, Recognition};
use crate::component::Component;
use crate::toml_file::{no_hint, Problem, Table, TomlFile, L};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Every problem of a platform definition. Never empty.
#[derive(Debug, thiserror::Error)]
pub struct LoadErrors(pub Vec<Problem>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::toml_file::write_list(f, &self.0, "the platform definition")
    }
}

/// Reads the definition `text`, named `name` in problems.
pub fn load(name: &str, text: &str) -> Result<Platform, LoadErrors> {
    let path = Path::new(name);
    let mut file = TomlFile::new(path, text);
    let platform = read(&mut file);
    let mut problems = file.into_problems();
    match platform {
        Some(platform) if problems.is_empty() => Ok(platform),
        _ => {
            if problems.is_empty() {
                problems.push(Problem::in_file(path, "not a valid platform definition"));
            }
            crate::toml_file::sort(&mut problems);
            Err(LoadErrors(problems))
        }
    }
}

fn read(file: &mut TomlFile<'_>) -> Option<Platform> {
    let doc = file.parse()?;
    let mut root = Table::root(&doc);
    let id = root.string(file, "id", true);
    let title = root.string(file, "title", true);
    let recognise = root.table(file, "recognise", true).map(|t| recognition(file, t));
    let distribution = root.table(file, "distribution", false).map(|t| distribution(file, t));
    let components = root.table(file, "components", true).map(|t| components(file, t));
    let gather = root.table(file, "gather", false).map(|t| fixed(file, t)).unwrap_or_default();
    root.finish(file, no_hint);
    if let Some(id) = &id {
        if ProcessMatch::parse(&id.value).is_none_or(|m| m.subcommand.is_some()) {
            file.push(Problem::at(&id.loc, format!("{:?} is not a platform id (letters, digits, `._-`)", id.value)));
        }
    }
    let components = components?;
    Some(Platform {
        id: id?.value,
        title: title?.value,
        recognise: recognise?,
        distribution: distribution.flatten(),
        components,
        gather,
    })
}

fn process(file: &mut TomlFile<'_>, text: &L<String>) -> Option<ProcessMatch> {
    let found = ProcessMatch::parse(&text.value);
    if found.is_none() {
        file.push(Problem::at(
            &text.loc,
            format!("{:?} is not a process: its name, or its name and first argument (\"k3s server\")", text.value),
        ));
    }
    found
}

fn absolute(file: &mut TomlFile<'_>, paths: Option<L<Vec<String>>>) -> Vec<String> {
    let Some(paths) = paths else { return Vec::new() };
    for path in &paths.value {
        if !is_absolute_path(path) {
            file.push(Problem::at(&paths.loc, format!("{path:?} is not an absolute path")));
        }
    }
    paths.value
}

fn is_absolute_path(path: &str) -> bool {
    path.starts_with('/') && !path.contains('\n') && !path.split('/').any(|part| part == "..")
}

fn one_path(file: &mut TomlFile<'_>, path: Option<L<String>>) -> Option<String> {
    let path = path?;
    if !is_absolute_path(&path.value) {
        file.push(Problem::at(&path.loc, format!("{:?} is not an absolute path", path.value)));
    }
    Some(path.value)
}

fn recognition(file: &mut TomlFile<'_>, mut t: Table<'_, '_>) -> Recognition {
    let processes = t.strings(file, "processes", false);
    let processes = processes.map_or_else(Vec::new, |list| {
        list.value
            .iter()
            .filter_map(|text| process(file, &L { value: text.clone(), loc: list.loc.clone() }))
            .collect()
    });
    let version_suffixes = t.strings(file, "version-suffix", false).map_or_else(Vec::new, |l| l.value);
    let markers = t.strings(file, "markers", false);
    let markers = absolute(file, markers);
    t.finish(file, no_hint);
    Recognition { processes, version_suffixes, markers }
}

fn distribution(file: &mut TomlFile<'_>, mut t: Table<'_, '_>) -> Option<Distribution> {
    let config = t.string(file, "config", true);
    let config = one_path(file, config);
    let drop_ins = t.string(file, "drop-ins", false);
    let drop_ins = one_path(file, drop_ins);
    let units = t.strings(file, "units", false);
    let units = absolute(file, units);
    t.finish(file, no_hint);
    Some(Distribution { config: config?, drop_ins, units })
}

fn fixed(file: &mut TomlFile<'_>, mut t: Table<'_, '_>) -> Fixed {
    let read = t.strings(file, "read", false);
    let stat = t.strings(file, "stat", false);
    let fingerprint = t.strings(file, "fingerprint", false);
    let fixed = Fixed {
        read: absolute(file, read),
        stat: absolute(file, stat),
        fingerprint: absolute(file, fingerprint),
    };
    t.finish(file, no_hint);
    fixed
}

fn components(file: &mut TomlFile<'_>, t: Table<'_, '_>) -> BTreeMap<Component, ComponentDef> {
    let mut out = BTreeMap::new();
    let tables = t.sub_tables(file);
    if tables.is_empty() {
        let loc = t.loc(file);
        file.push(Problem::at(&loc, "a platform runs at least one component"));
    }
    for (name, table) in tables {
        let Some(component) = Component::from_name(&name.value) else {
            let known: Vec<&str> = Component::ALL.iter().map(|c| c.name()).collect();
            file.push(Problem::at(
                &name.loc,
                format!("unknown component {:?}: expected one of {}", name.value, known.join(", ")),
            ));
            continue;
        };
        if let Some(def) = component_def(file, table) {
            out.insert(component, def);
        }
    }
    out
}

fn component_def(file: &mut TomlFile<'_>, mut t: Table<'_, '_>) -> Option<ComponentDef> {
    let process_text = t.string(file, "process", true);
    let process = process_text.as_ref().and_then(|p| process(file, p));
    let args = match t.string(file, "args", false) {
        None => Some(ArgsSource::Argv),
        Some(l) if l.value == "argv" => Some(ArgsSource::Argv),
        Some(l) if l.value == "distribution" => Some(ArgsSource::Distribution),
        Some(l) => {
            file.push(Problem::at(&l.loc, format!("unknown args source {:?}: expected argv or distribution", l.value)));
            None
        }
    };
    let manifest = t.string(file, "manifest", false);
    let manifest = one_path(file, manifest);
    let arg_key = t.string(file, "arg-key", false).map(|l| l.value);
    let env_prefix = t.string(file, "env-prefix", false).map(|l| l.value);
    let mut files = BTreeMap::new();
    if let Some(table) = t.table(file, "files", false) {
        for (flag, action) in table.string_entries(file) {
            let Some(act) = FileAction::from_name(&action.value) else {
                let known: Vec<&str> = FileAction::ALL.iter().map(|a| a.name()).collect();
                file.push(Problem::at(
                    &action.loc,
                    format!("unknown file action {:?}: expected one of {}", action.value, known.join(", ")),
                ));
                continue;
            };
            let is_env = env_prefix.as_deref().is_some_and(|p| flag.value.starts_with(p));
            let is_flag = flag.value.starts_with("--") && flag.value.len() > 2;
            if !(is_flag || is_env) || !flag.value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
                file.push(Problem::at(
                    &flag.loc,
                    format!("{:?} is neither a flag (--name) nor a variable with the env-prefix", flag.value),
                ));
                continue;
            }
            files.insert(flag.value, act);
        }
    }
    t.finish(file, no_hint);
    Some(ComponentDef { process: process?, args: args?, manifest, arg_key, files, env_prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match load("p.toml", text) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_minimal_platform_loads() {
        let p = load(
            "p.toml",
            "id = \"x\"\ntitle = \"X\"\n[recognise]\nprocesses = [\"x server\"]\n[components.kubelet]\nprocess = \"x server\"\nargs = \"distribution\"\n",
        )
        .unwrap();
        assert_eq!(p.components[&Component::Kubelet].args, ArgsSource::Distribution);
        assert_eq!(p.recognise.processes, [ProcessMatch::parse("x server").unwrap()]);
        assert!(!p.recognise.is_fallback());
    }

    #[test]
    fn every_problem_names_its_place() {
        let text = "id = \"x\"\ntitle = \"X\"\nextra = 1\n[recognise]\nmarkers = [\"relative\"]\n\
                    [components.kubectl]\nprocess = \"k\"\n\
                    [components.kubelet]\nprocess = \"a b c\"\nfiles = { \"--config\" = \"open\", \"config\" = \"read\" }\nargs = \"env\"\n";
        let found = problems(text);
        let expected = [
            "p.toml:3:1: extra: unknown key \"extra\"",
            "p.toml:5:11: recognise.markers: \"relative\" is not an absolute path",
            "p.toml:6:13: components.kubectl: unknown component \"kubectl\"",
            "p.toml:9:11: components.kubelet.process: \"a b c\" is not a process",
            "p.toml:10:24: components.kubelet.files.--config: unknown file action \"open\"",
            "p.toml:10:32: components.kubelet.files.config: \"config\" is neither a flag",
            "p.toml:11:8: components.kubelet.args: unknown args source \"env\"",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (got, want) in found.iter().zip(expected) {
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    #[test]
    fn a_platform_runs_a_component() {
        let found = problems("id = \"x\"\ntitle = \"X\"\n[recognise]\n[components]\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("p.toml:4:1: components: a platform runs at least one component"), "{found:?}");
    }

    #[test]
    fn missing_keys_are_named() {
        let found = problems("title = \"X\"\n");
        assert!(found.iter().any(|p| p.contains("missing key \"id\"")), "{found:?}");
        assert!(found.iter().any(|p| p.contains("missing key \"recognise\"")), "{found:?}");
        assert!(found.iter().any(|p| p.contains("missing key \"components\"")), "{found:?}");
    }
}

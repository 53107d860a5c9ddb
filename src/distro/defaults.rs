//! The distribution's built-in knowledge for one minor version, held as
//! data in `platforms/<distribution>/defaults-<minor>.toml`: how it reads
//! its own options (config file, environment variables, list and boolean
//! flags) and the default arguments it gives each embedded component, with
//! the conditions under which it gives them. This module only reads and
//! checks that data; `options` and `component_args` apply it.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The built-in data files, by distribution and minor version.
const BUILTIN: &[(&str, &str, &str)] = &[(
    "k3s",
    "1.33",
    include_str!("../../platforms/k3s/defaults-1.33.toml"),
)];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Defaults {
    pub distribution: String,
    pub minor: String,
    pub options: OptionScheme,
    pub placeholders: BTreeMap<String, Placeholder>,
    pub components: BTreeMap<String, ComponentDefaults>,
}

/// How the distribution's command line, config file and environment name
/// its options.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OptionScheme {
    pub config_file: String,
    pub config_flag: String,
    pub config_env: String,
    pub subcommands: Vec<String>,
    pub aliases: BTreeMap<String, String>,
    /// Environment variable -> option.
    pub environment: BTreeMap<String, String>,
    pub lists: Vec<String>,
    pub booleans: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Placeholder {
    pub option: String,
    pub default: String,
    /// A value from the host when the option is not given:
    /// `hostname-lower`, the host's name in lower case.
    pub host_default: Option<HostDefault>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostDefault {
    HostnameLower,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ComponentDefaults {
    /// The distribution source the list was read from.
    pub source: String,
    /// The list option holding the user's `flag=value` entries.
    pub arg_key: String,
    /// The subcommands whose process runs this component.
    pub runs_in: Vec<String>,
    /// The boolean option that turns the component off.
    pub disabled_by: Option<String>,
    /// The kubelet's drop-in directory the distribution manages.
    pub config_dir: Option<String>,
    /// Conditions (as for an argument) under which the component runs.
    #[serde(default)]
    pub when: Vec<String>,
    pub args: Vec<DefaultArg>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DefaultArg {
    pub flag: String,
    pub value: String,
    #[serde(default)]
    pub when: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DefaultsError {
    #[error("no built-in {distribution} defaults exist (known: {known})")]
    Unknown { distribution: String, known: String },
    #[error("built-in defaults {distribution} {minor}: {message}")]
    Invalid {
        distribution: String,
        minor: String,
        message: String,
    },
}

/// What was chosen for a version, and why.
#[derive(Clone, Debug)]
pub struct Chosen {
    pub defaults: Defaults,
    /// Set when the data is for another minor than the one asked for.
    pub note: Option<String>,
}

/// The built-in defaults of `distribution` for `minor` ("1.33"): that
/// minor's data, else the newest data older than it, else the oldest, with
/// a note saying which was used.
pub fn builtin(distribution: &str, minor: &str) -> Result<Chosen, DefaultsError> {
    let mut known: Vec<(&str, &str)> = BUILTIN
        .iter()
        .filter(|(d, _, _)| *d == distribution)
        .map(|(_, m, text)| (*m, *text))
        .collect();
    known.sort_by_key(|(m, _)| minor_key(m));
    let asked = minor_key(minor);
    let pick = known
        .iter()
        .find(|(m, _)| minor_key(m) == asked)
        .or_else(|| known.iter().rev().find(|(m, _)| minor_key(m) < asked))
        .or_else(|| known.first());
    let Some((found, text)) = pick else {
        return Err(DefaultsError::Unknown {
            distribution: distribution.to_string(),
            known: BUILTIN
                .iter()
                .map(|(d, m, _)| format!("{d} {m}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let defaults = parse(text)?;
    let note = (*found != minor).then(|| {
        format!("{distribution} {minor} has no built-in defaults; those of {found} are used")
    });
    Ok(Chosen { defaults, note })
}

fn minor_key(minor: &str) -> (u32, u32) {
    let mut parts = minor.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Parses and checks one data file.
pub fn parse(text: &str) -> Result<Defaults, DefaultsError> {
    let defaults: Defaults = toml::from_str(text).map_err(|e| DefaultsError::Invalid {
        distribution: "?".into(),
        minor: "?".into(),
        message: e.to_string(),
    })?;
    let invalid = |message: String| DefaultsError::Invalid {
        distribution: defaults.distribution.clone(),
        minor: defaults.minor.clone(),
        message,
    };
    for (name, component) in &defaults.components {
        for condition in &component.when {
            check_condition(condition, &defaults).map_err(|m| invalid(format!("{name}: {m}")))?;
        }
        for arg in &component.args {
            for placeholder in placeholders_in(&arg.value) {
                if !defaults.placeholders.contains_key(placeholder) {
                    return Err(invalid(format!(
                        "{name} --{}: unknown placeholder {{{placeholder}}}",
                        arg.flag
                    )));
                }
            }
            for condition in &arg.when {
                check_condition(condition, &defaults)
                    .map_err(|m| invalid(format!("{name} --{}: {m}", arg.flag)))?;
            }
        }
    }
    Ok(defaults)
}

/// The names inside `{...}` of a value.
pub fn placeholders_in(value: &str) -> impl Iterator<Item = &str> {
    value
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

fn check_condition(condition: &str, defaults: &Defaults) -> Result<(), String> {
    let body = condition.strip_prefix('!').unwrap_or(condition);
    if let Some(kind) = body.strip_prefix("storage:") {
        return match kind {
            "kine" | "embedded-etcd" | "external-etcd" => Ok(()),
            _ => Err(format!(
                "unknown storage {kind:?} in condition {condition:?}"
            )),
        };
    }
    if body.starts_with("arg:") || body.starts_with("set:") {
        return Ok(());
    }
    if let Some(name) = body.strip_prefix("known:") {
        return match defaults.placeholders.contains_key(name) {
            true => Ok(()),
            false => Err(format!(
                "condition {condition:?} names {name}, which is no placeholder"
            )),
        };
    }
    if let Some((name, _)) = body.split_once("!=").or_else(|| body.split_once('=')) {
        return match defaults.placeholders.contains_key(name) {
            true => Ok(()),
            false => Err(format!(
                "condition {condition:?} compares {name}, which is no placeholder"
            )),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_data_parses_and_is_consistent() {
        let chosen = builtin("k3s", "1.33").unwrap();
        assert!(chosen.note.is_none());
        let d = chosen.defaults;
        assert_eq!((d.distribution.as_str(), d.minor.as_str()), ("k3s", "1.33"));
        for component in [
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kubelet",
            "kube-proxy",
        ] {
            let c = &d.components[component];
            assert!(!c.args.is_empty(), "{component}");
            assert!(
                d.options.lists.contains(&c.arg_key),
                "{component}: {} is a list",
                c.arg_key
            );
        }
        assert_eq!(
            d.components["kubelet"].config_dir.as_deref(),
            Some("{data-dir}/agent/etc/kubelet.conf.d")
        );
    }

    #[test]
    fn other_minors_use_the_nearest_data_with_a_note() {
        let newer = builtin("k3s", "1.35").unwrap();
        assert_eq!(newer.defaults.minor, "1.33");
        assert_eq!(
            newer.note.as_deref(),
            Some("k3s 1.35 has no built-in defaults; those of 1.33 are used")
        );
        assert_eq!(builtin("k3s", "1.30").unwrap().defaults.minor, "1.33");
        assert!(matches!(
            builtin("microk8s", "1.33"),
            Err(DefaultsError::Unknown { .. })
        ));
    }

    #[test]
    fn bad_data_is_refused_with_the_entry_named() {
        let base = include_str!("../../platforms/k3s/defaults-1.33.toml");
        let unknown_placeholder =
            base.replacen("{data-dir}/server/tls/temporary-certs", "{nowhere}/x", 1);
        let err = parse(&unknown_placeholder).unwrap_err().to_string();
        assert!(
            err.contains("kube-apiserver --cert-dir: unknown placeholder {nowhere}"),
            "{err}"
        );
        let bad_storage = base.replacen(
            "when = [\"storage:kine\"]",
            "when = [\"storage:floppy\"]",
            1,
        );
        let err = parse(&bad_storage).unwrap_err().to_string();
        assert!(err.contains("unknown storage \"floppy\""), "{err}");
        assert!(parse("distribution = 1").is_err());
    }
}

//! The distribution's effective options (`data-dir`, `cluster-init`,
//! `kube-apiserver-arg`, ...), from lowest to highest precedence:
//! 1. environment variables the distribution reads for an option
//!    (`K3S_DATASTORE_ENDPOINT`), from the service's environment;
//! 2. the config file and its drop-ins (`config_yaml`);
//! 3. the command line after the subcommand (`k3s server ...`).
//!
//! k3s inserts the config file's values as flags before the command-line
//! flags (pkg/configfilearg `Parse`), so a command-line value wins for a
//! single-valued option; for a repeatable option the command line's values
//! replace the file's list (k3s docs/installation/configuration.md). The
//! config file is `K3S_CONFIG_FILE` when the environment sets it, else the
//! `--config`/`-c` flag, else `/etc/rancher/k3s/config.yaml`
//! (configfilearg `findConfigFileFlag`). The command line is parsed as
//! urfave/cli (Go's flag package) parses it: `-x` and `--x` are the same,
//! `--x=v` or `--x v`, a boolean takes no separate value.

use crate::distro::config_yaml::{self, ConfigError, ConfigText, ConfigValue, Item};
use crate::distro::defaults::OptionScheme;
use crate::distro::source::Source;
use crate::distro::systemd_unit::Command;
use std::collections::BTreeMap;

/// An option's effective value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionValue {
    Scalar(Item),
    List(Vec<Item>),
}

/// The distribution's effective options, and the subcommand that runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `server` or `agent`; `None` when the command names no subcommand.
    pub subcommand: Option<String>,
    values: BTreeMap<String, OptionValue>,
}

/// The config file the service reads, and what chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigPath {
    pub path: String,
    /// `None`: the built-in default.
    pub chosen_by: Option<Source>,
}

impl ConfigPath {
    /// Its drop-in directory (`config.yaml.d`).
    pub fn drop_in_dir(&self) -> String {
        format!("{}.d", self.path)
    }
}

/// The config file of the service started by `command` (first phase: the
/// gathering reads it and its drop-in directory).
pub fn config_path(command: &Command, scheme: &OptionScheme) -> ConfigPath {
    if let Some(env) = command
        .environment
        .get(&scheme.config_env)
        .filter(|v| !v.value.is_empty())
    {
        return ConfigPath {
            path: env.value.clone(),
            chosen_by: Some(Source::Environment {
                variable: scheme.config_env.clone(),
                origin: env.origin.clone(),
            }),
        };
    }
    let flags = parse_command_line(command, scheme);
    match flags
        .iter()
        .rev()
        .find(|(name, _)| *name == scheme.config_flag)
        .filter(|(_, v)| !v.is_empty())
    {
        Some((_, path)) => ConfigPath {
            path: path.clone(),
            chosen_by: Some(command.source.clone()),
        },
        None => ConfigPath {
            path: scheme.config_file.clone(),
            chosen_by: None,
        },
    }
}

/// The effective options. `config_files` are the config file (when it
/// exists) and its drop-ins, in reading order (see
/// `config_yaml::drop_in_names`).
pub fn resolve(
    command: &Command,
    config_files: &[ConfigText],
    scheme: &OptionScheme,
) -> Result<Options, ConfigError> {
    let mut values: BTreeMap<String, OptionValue> = BTreeMap::new();
    for (variable, option) in &scheme.environment {
        if let Some(env) = command.environment.get(variable) {
            values.insert(
                option.clone(),
                OptionValue::Scalar(Item {
                    value: env.value.clone(),
                    source: Source::Environment {
                        variable: variable.clone(),
                        origin: env.origin.clone(),
                    },
                }),
            );
        }
    }
    for (key, value) in config_yaml::merge(config_files)? {
        let is_list = scheme.lists.contains(&key);
        let value = match value {
            ConfigValue::List(items) => OptionValue::List(items),
            ConfigValue::Scalar(item) if is_list => OptionValue::List(vec![item]),
            ConfigValue::Scalar(item) => OptionValue::Scalar(item),
        };
        values.insert(key, value);
    }
    let mut from_cli: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for (name, value) in parse_command_line(command, scheme) {
        from_cli.entry(name).or_default().push(Item {
            value,
            source: command.source.clone(),
        });
    }
    for (name, mut items) in from_cli {
        let is_list =
            scheme.lists.contains(&name) || matches!(values.get(&name), Some(OptionValue::List(_)));
        let value = if is_list {
            OptionValue::List(items)
        } else {
            OptionValue::Scalar(items.pop().expect("at least one occurrence"))
        };
        values.insert(name, value);
    }
    Ok(Options {
        subcommand: subcommand(command, scheme).map(|i| command.argv[i].clone()),
        values,
    })
}

impl Options {
    pub fn get(&self, name: &str) -> Option<&OptionValue> {
        self.values.get(name)
    }

    /// A single-valued option (the last item of a list option).
    pub fn scalar(&self, name: &str) -> Option<&Item> {
        match self.values.get(name)? {
            OptionValue::Scalar(item) => Some(item),
            OptionValue::List(items) => items.last(),
        }
    }

    /// A list option's items (a scalar counts as one).
    pub fn list(&self, name: &str) -> Vec<&Item> {
        match self.values.get(name) {
            Some(OptionValue::List(items)) => items.iter().collect(),
            Some(OptionValue::Scalar(item)) => vec![item],
            None => Vec::new(),
        }
    }

    /// Whether a boolean option is true, as Go's `strconv.ParseBool` reads
    /// its text.
    pub fn is_true(&self, name: &str) -> bool {
        self.scalar(name)
            .is_some_and(|i| matches!(i.value.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True"))
    }

    /// Whether an option is given with a non-empty value.
    pub fn is_set(&self, name: &str) -> bool {
        self.scalar(name).is_some_and(|i| !i.value.is_empty())
    }

    /// Every option, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &OptionValue)> {
        self.values.iter()
    }
}

/// Index in argv of the subcommand (the first argument naming one).
fn subcommand(command: &Command, scheme: &OptionScheme) -> Option<usize> {
    command
        .argv
        .iter()
        .skip(1)
        .position(|a| scheme.subcommands.contains(a))
        .map(|i| i + 1)
}

/// The flags after the subcommand as (long name, value), in order.
fn parse_command_line(command: &Command, scheme: &OptionScheme) -> Vec<(String, String)> {
    let Some(start) = subcommand(command, scheme) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut args = command.argv[start + 1..].iter().peekable();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            // urfave/cli moves flags after arguments forward; k3s's
            // subcommands take no arguments, so a stray word is skipped.
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let name = scheme
            .aliases
            .get(name)
            .map_or(name, String::as_str)
            .to_string();
        let value = match inline {
            Some(v) => v,
            None if scheme.booleans.contains(&name) => "true".to_string(),
            // A flag that takes a value consumes the next argument; one not
            // known to be boolean but followed by another flag is taken as
            // a boolean rather than swallowing that flag.
            None => match args.peek() {
                Some(next) if !next.starts_with('-') => args.next().cloned().unwrap_or_default(),
                _ => "true".to_string(),
            },
        };
        out.push((name, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distro::defaults;
    use crate::distro::systemd_unit::EnvValue;

    const UNIT: &str = "/etc/systemd/system/k3s.service";
    const MAIN: &str = "/etc/rancher/k3s/config.yaml";
    const DROP: &str = "/etc/rancher/k3s/config.yaml.d/50-hardening.yaml";

    fn scheme() -> OptionScheme {
        defaults::builtin("k3s", "1.33").unwrap().defaults.options
    }

    fn command(argv: &[&str], env: &[(&str, &str, &str)]) -> Command {
        Command {
            executable: argv[0].to_string(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            source: Source::CommandLine {
                unit: UNIT.into(),
                line: 20,
            },
            environment: env
                .iter()
                .map(|(k, v, origin)| {
                    (
                        k.to_string(),
                        EnvValue {
                            value: v.to_string(),
                            origin: origin.to_string(),
                        },
                    )
                })
                .collect(),
            notes: Vec::new(),
        }
    }

    fn cli() -> Source {
        Source::CommandLine {
            unit: UNIT.into(),
            line: 20,
        }
    }

    fn values(options: &Options, name: &str) -> Vec<String> {
        options.list(name).iter().map(|i| i.value.clone()).collect()
    }

    #[test]
    fn precedence_environment_then_files_then_command_line() {
        let env_file = "/etc/systemd/system/k3s.service.env";
        let cmd = command(
            &[
                "/usr/local/bin/k3s",
                "server",
                "--data-dir",
                "/srv/k3s",
                "--kube-apiserver-arg=audit-log-maxage=30",
                "--cluster-init",
                "-t",
                "tok",
            ],
            &[
                ("K3S_DATASTORE_ENDPOINT", "mysql://db", env_file),
                ("K3S_DATA_DIR", "/from/env", env_file),
                ("K3S_NODE_NAME", "n1", env_file),
            ],
        );
        let files = [
            ConfigText {
                path: MAIN,
                text: "data-dir: /from/file\nnode-name: from-file\nkube-apiserver-arg:\n  - a=1\n  - b=2\nsecrets-encryption: true\n",
            },
            ConfigText {
                path: DROP,
                text: "kube-apiserver-arg+: [c=3]\nprotect-kernel-defaults: true\n",
            },
        ];
        let options = resolve(&cmd, &files, &scheme()).unwrap();
        assert_eq!(options.subcommand.as_deref(), Some("server"));
        // Command line over file over environment.
        assert_eq!(options.scalar("data-dir").unwrap().value, "/srv/k3s");
        assert_eq!(options.scalar("data-dir").unwrap().source, cli());
        assert_eq!(options.scalar("node-name").unwrap().value, "from-file");
        assert_eq!(
            options.scalar("datastore-endpoint").unwrap().source,
            Source::Environment {
                variable: "K3S_DATASTORE_ENDPOINT".into(),
                origin: env_file.into()
            }
        );
        // The command line's list replaces the files' list.
        assert_eq!(
            values(&options, "kube-apiserver-arg"),
            ["audit-log-maxage=30"]
        );
        assert!(options.is_true("cluster-init"));
        assert!(options.is_true("secrets-encryption"));
        assert!(options.is_true("protect-kernel-defaults"));
        assert_eq!(options.scalar("token").unwrap().value, "tok");
        assert!(!options.is_true("disable-etcd"));
    }

    #[test]
    fn without_command_line_lists_the_files_lists_stand() {
        let cmd = command(&["/usr/local/bin/k3s", "server"], &[]);
        let files = [
            ConfigText {
                path: MAIN,
                text: "kube-apiserver-arg: [a=1, b=2]\ntls-san: one.example\n",
            },
            ConfigText {
                path: DROP,
                text: "kube-apiserver-arg+: [c=3]\n",
            },
        ];
        let options = resolve(&cmd, &files, &scheme()).unwrap();
        assert_eq!(
            values(&options, "kube-apiserver-arg"),
            ["a=1", "b=2", "c=3"]
        );
        // A list option written as a scalar is a one-item list.
        assert!(
            matches!(options.get("tls-san"), Some(OptionValue::List(items)) if items.len() == 1)
        );
        assert_eq!(
            options.list("kube-apiserver-arg")[2].source,
            Source::ConfigFile {
                path: DROP.into(),
                key: "kube-apiserver-arg+".into(),
                index: Some(0)
            }
        );
    }

    #[test]
    fn command_lines_parse_as_urfave_cli_parses_them() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (
                &["k3s", "server", "--x=1", "--y", "2"],
                &[("x", "1"), ("y", "2")],
            ),
            (
                &["k3s", "server", "-x=1", "-d", "/d"],
                &[("x", "1"), ("data-dir", "/d")],
            ),
            // Booleans take no separate value; `=false` sets false.
            (
                &["k3s", "server", "--cluster-init", "server2"],
                &[("cluster-init", "true")],
            ),
            (
                &["k3s", "server", "--cluster-init=false"],
                &[("cluster-init", "false")],
            ),
            // An unknown flag followed by a flag is taken as a boolean.
            (
                &["k3s", "server", "--new-bool", "--z=1"],
                &[("new-bool", "true"), ("z", "1")],
            ),
            // Flags before the subcommand are k3s's global flags.
            (
                &["k3s", "--debug", "agent", "-s", "https://s:6443"],
                &[("server", "https://s:6443")],
            ),
            (&["k3s", "server", "--", "--not-a-flag"], &[]),
            (&["k3s"], &[]),
        ];
        for (argv, expected) in cases {
            let cmd = command(argv, &[]);
            let parsed = parse_command_line(&cmd, &scheme());
            let parsed: Vec<(&str, &str)> = parsed
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(parsed, *expected, "{argv:?}");
        }
    }

    #[test]
    fn the_config_file_is_the_environments_then_the_flags_then_the_default() {
        let s = scheme();
        let default = config_path(&command(&["k3s", "server"], &[]), &s);
        assert_eq!(default.path, MAIN);
        assert_eq!(default.chosen_by, None);
        assert_eq!(default.drop_in_dir(), "/etc/rancher/k3s/config.yaml.d");
        let flag = config_path(&command(&["k3s", "server", "-c", "/opt/k3s.yaml"], &[]), &s);
        assert_eq!(flag.path, "/opt/k3s.yaml");
        assert_eq!(flag.chosen_by, Some(cli()));
        let env = config_path(
            &command(
                &["k3s", "server", "--config=/opt/k3s.yaml"],
                &[("K3S_CONFIG_FILE", "/env.yaml", UNIT)],
            ),
            &s,
        );
        assert_eq!(env.path, "/env.yaml");
    }
}

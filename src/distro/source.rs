//! Provenance: where a computed option or component argument came from, so
//! that a verdict can name the file and key (or unit line) to change.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The distribution's built-in default; `citation` names the data file
    /// entry and the distribution source it was read from.
    BuiltIn { citation: String },
    /// A key of a distribution config file. `key` is as written (with a
    /// trailing `+` when it appends); `index` is the position in a list
    /// value, counted from 0.
    ConfigFile {
        path: String,
        key: String,
        index: Option<usize>,
    },
    /// The service's command line: the unit file (main file or drop-in)
    /// whose `ExecStart=` started the process, and the 1-based line the
    /// assignment begins on.
    CommandLine { unit: String, line: usize },
    /// An environment variable the distribution reads for an option, set by
    /// the unit (`Environment=` or an `EnvironmentFile=`): `origin` is that
    /// unit file or environment file.
    Environment { variable: String, origin: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn { citation } => write!(f, "built-in default ({citation})"),
            Source::ConfigFile {
                path,
                key,
                index: Some(i),
            } => write!(f, "{path}: {key}[{i}]"),
            Source::ConfigFile {
                path,
                key,
                index: None,
            } => write!(f, "{path}: {key}"),
            Source::CommandLine { unit, line } => write!(f, "{unit}:{line}: ExecStart"),
            Source::Environment { variable, origin } => write!(f, "{origin}: {variable}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_name_file_key_and_line() {
        let cases = [
            (
                Source::ConfigFile {
                    path: "/etc/rancher/k3s/config.yaml".into(),
                    key: "kube-apiserver-arg".into(),
                    index: Some(2),
                },
                "/etc/rancher/k3s/config.yaml: kube-apiserver-arg[2]",
            ),
            (
                Source::ConfigFile {
                    path: "/etc/rancher/k3s/config.yaml.d/10-a.yaml".into(),
                    key: "cluster-init".into(),
                    index: None,
                },
                "/etc/rancher/k3s/config.yaml.d/10-a.yaml: cluster-init",
            ),
            (
                Source::CommandLine {
                    unit: "/etc/systemd/system/k3s.service".into(),
                    line: 27,
                },
                "/etc/systemd/system/k3s.service:27: ExecStart",
            ),
            (
                Source::Environment {
                    variable: "K3S_DATASTORE_ENDPOINT".into(),
                    origin: "/etc/systemd/system/k3s.service.env".into(),
                },
                "/etc/systemd/system/k3s.service.env: K3S_DATASTORE_ENDPOINT",
            ),
            (
                Source::BuiltIn {
                    citation: "platforms/k3s/defaults-1.33.toml".into(),
                },
                "built-in default (platforms/k3s/defaults-1.33.toml)",
            ),
        ];
        for (source, text) in cases {
            assert_eq!(source.to_string(), text);
        }
    }
}

//! Which datastore a k3s server keeps the cluster state in, with the
//! evidence, and so whether the etcd checks apply to the host.
//!
//! k3s docs (cli/server.md, datastore): without options a server stores
//! the cluster in SQLite through kine; `--cluster-init` starts an embedded
//! etcd, and so does joining another server with `--server` when no
//! `--datastore-endpoint` is given (HA embedded etcd); a server keeps using
//! the embedded etcd whose data directory `<data-dir>/server/db/etcd` it
//! already has; `--datastore-endpoint` names an external datastore: an
//! `http(s)://` endpoint is etcd, `mysql://`, `postgres://` and `nats://`
//! go through kine, `sqlite://` is SQLite. A server with `--disable-etcd`
//! runs no etcd member itself.

use crate::distro::options::Options;

/// The datastore kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SQLite through kine (the default).
    Sqlite,
    /// etcd running inside the k3s server process.
    EmbeddedEtcd,
    /// An etcd cluster elsewhere, named by `datastore-endpoint`.
    ExternalEtcd,
    /// A SQL or NATS datastore through kine, named by `datastore-endpoint`.
    ExternalKine,
}

impl Kind {
    /// The condition word the defaults data uses (`storage:...`): what the
    /// apiserver talks to.
    pub fn storage(self) -> &'static str {
        match self {
            Kind::Sqlite | Kind::ExternalKine => "kine",
            Kind::EmbeddedEtcd => "embedded-etcd",
            Kind::ExternalEtcd => "external-etcd",
        }
    }
}

/// What the host's files say, beside the options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnDisk {
    /// `<data-dir>/server/db/etcd` exists; `None`: not known.
    pub etcd_dir: Option<bool>,
    /// `<data-dir>/server/db/state.db` (SQLite) exists; `None`: not known.
    pub sqlite_db: Option<bool>,
}

/// The datastore, why it was chosen, and whether the etcd checks apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    pub kind: Kind,
    pub evidence: Vec<String>,
    /// `None`: the etcd checks apply; `Some(reason)`: they do not.
    pub etcd_not_applicable: Option<String>,
}

/// Detects the datastore of a k3s server from its effective options and
/// what is on disk. `data_dir` is the effective data directory.
pub fn detect(options: &Options, data_dir: &str, disk: OnDisk) -> Detection {
    let etcd_dir = format!("{}/server/db/etcd", data_dir.trim_end_matches('/'));
    let mut evidence = Vec::new();
    let kind = if let Some(endpoint) = options
        .scalar("datastore-endpoint")
        .filter(|i| !i.value.is_empty())
    {
        let scheme = endpoint.value.split_once("://").map_or("", |(s, _)| s);
        evidence.push(format!("datastore-endpoint is set ({})", endpoint.source));
        match scheme {
            "http" | "https" => Kind::ExternalEtcd,
            "sqlite" => Kind::Sqlite,
            _ => Kind::ExternalKine,
        }
    } else if let Some(init) = options
        .scalar("cluster-init")
        .filter(|_| options.is_true("cluster-init"))
    {
        evidence.push(format!("cluster-init is true ({})", init.source));
        Kind::EmbeddedEtcd
    } else if let Some(server) = options.scalar("server").filter(|i| !i.value.is_empty()) {
        evidence.push(format!(
            "the server joins {} without a datastore-endpoint ({}), which needs embedded etcd",
            server.value, server.source
        ));
        Kind::EmbeddedEtcd
    } else if disk.etcd_dir == Some(true) {
        evidence.push(format!(
            "{etcd_dir} exists: the server keeps its embedded etcd"
        ));
        Kind::EmbeddedEtcd
    } else {
        evidence.push("neither datastore-endpoint, cluster-init nor server is set".into());
        match disk.etcd_dir {
            Some(false) => evidence.push(format!("{etcd_dir} does not exist")),
            Some(true) => {}
            None => evidence.push(format!("{etcd_dir} was not looked at")),
        }
        if disk.sqlite_db == Some(true) {
            evidence.push(format!(
                "{}/server/db/state.db exists",
                data_dir.trim_end_matches('/')
            ));
        }
        Kind::Sqlite
    };
    let etcd_not_applicable = match kind {
        Kind::EmbeddedEtcd if options.is_true("disable-etcd") => Some(
            "the k3s server runs with disable-etcd: no etcd member runs on this host".to_string(),
        ),
        Kind::EmbeddedEtcd => None,
        Kind::Sqlite => Some("the k3s server stores its state in SQLite through kine: no etcd runs on this host".into()),
        Kind::ExternalKine => Some("the k3s server stores its state in an external SQL or NATS datastore through kine: no etcd runs on this host".into()),
        Kind::ExternalEtcd => Some("the k3s server uses an external etcd (datastore-endpoint): no etcd runs on this host; audit the etcd hosts themselves".into()),
    };
    Detection {
        kind,
        evidence,
        etcd_not_applicable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distro::config_yaml::ConfigText;
    use crate::distro::defaults;
    use crate::distro::options;
    use crate::distro::source::Source;
    use crate::distro::systemd_unit::Command;

    fn options(config: &str, cli: &[&str]) -> Options {
        let mut argv = vec!["k3s".to_string(), "server".to_string()];
        argv.extend(cli.iter().map(|s| s.to_string()));
        let cmd = Command {
            executable: "k3s".into(),
            argv,
            source: Source::CommandLine {
                unit: "/etc/systemd/system/k3s.service".into(),
                line: 1,
            },
            environment: Default::default(),
            notes: Vec::new(),
        };
        let scheme = defaults::builtin("k3s", "1.33").unwrap().defaults.options;
        options::resolve(
            &cmd,
            &[ConfigText {
                path: "/etc/rancher/k3s/config.yaml",
                text: config,
            }],
            &scheme,
        )
        .unwrap()
    }

    #[test]
    fn datastores_are_told_apart() {
        let dir = "/var/lib/rancher/k3s";
        let none = OnDisk::default();
        let etcd_on_disk = OnDisk {
            etcd_dir: Some(true),
            sqlite_db: Some(false),
        };
        let cases: &[(&str, &[&str], OnDisk, Kind, bool)] = &[
            (
                "",
                &[],
                OnDisk {
                    etcd_dir: Some(false),
                    sqlite_db: Some(true),
                },
                Kind::Sqlite,
                false,
            ),
            ("", &[], none, Kind::Sqlite, false),
            ("cluster-init: true\n", &[], none, Kind::EmbeddedEtcd, true),
            ("cluster-init: false\n", &[], none, Kind::Sqlite, false),
            ("", &["--cluster-init"], none, Kind::EmbeddedEtcd, true),
            (
                "server: https://10.0.0.1:6443\n",
                &[],
                none,
                Kind::EmbeddedEtcd,
                true,
            ),
            ("", &[], etcd_on_disk, Kind::EmbeddedEtcd, true),
            (
                "datastore-endpoint: https://etcd:2379\n",
                &[],
                none,
                Kind::ExternalEtcd,
                false,
            ),
            (
                "datastore-endpoint: mysql://u:p@tcp(db:3306)/k3s\n",
                &[],
                etcd_on_disk,
                Kind::ExternalKine,
                false,
            ),
            (
                "datastore-endpoint: postgres://db/k3s\ncluster-init: true\n",
                &[],
                none,
                Kind::ExternalKine,
                false,
            ),
            (
                "datastore-endpoint: sqlite:///x.db\n",
                &[],
                none,
                Kind::Sqlite,
                false,
            ),
            (
                "cluster-init: true\ndisable-etcd: true\n",
                &[],
                none,
                Kind::EmbeddedEtcd,
                false,
            ),
        ];
        for (config, cli, disk, kind, etcd_applies) in cases {
            let detection = detect(&options(config, cli), dir, *disk);
            assert_eq!(detection.kind, *kind, "{config} {cli:?}");
            assert_eq!(
                detection.etcd_not_applicable.is_none(),
                *etcd_applies,
                "{config} {cli:?}"
            );
            assert!(!detection.evidence.is_empty());
        }
    }

    #[test]
    fn evidence_and_reason_name_what_decided() {
        let d = detect(
            &options("cluster-init: true\n", &[]),
            "/var/lib/rancher/k3s",
            OnDisk::default(),
        );
        assert_eq!(
            d.evidence,
            ["cluster-init is true (/etc/rancher/k3s/config.yaml: cluster-init)"]
        );
        let d = detect(
            &options("", &[]),
            "/var/lib/rancher/k3s/",
            OnDisk {
                etcd_dir: Some(false),
                sqlite_db: Some(true),
            },
        );
        assert_eq!(
            d.evidence,
            [
                "neither datastore-endpoint, cluster-init nor server is set",
                "/var/lib/rancher/k3s/server/db/etcd does not exist",
                "/var/lib/rancher/k3s/server/db/state.db exists"
            ]
        );
        assert_eq!(
            d.etcd_not_applicable.as_deref(),
            Some(
                "the k3s server stores its state in SQLite through kine: no etcd runs on this host"
            )
        );
    }
}

//! One k3s host's computed configuration, from the documents gathered on
//! it: the service's unit and drop-ins, its environment files, the config
//! file and its drop-ins, and whether the etcd data directory exists. The
//! steps are the other `distro` modules'; this module only looks the
//! documents up, in the order the steps need them, through `HostFiles`
//! (which the facts implement), so it stays free of I/O.

use crate::component::Component;
use crate::distro::component_args::{self, ComponentArgs, HostContext, NotRunning};
use crate::distro::config_yaml::{self, ConfigError, ConfigText};
use crate::distro::datastore::{self, Detection, OnDisk};
use crate::distro::defaults::Defaults;
use crate::distro::options::{self, ConfigPath, Options};
use crate::distro::systemd_unit::{Command, EnvFileText, Unit, UnitError, UnitText};

/// A document as the gathering has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Doc<'a> {
    Text(&'a str),
    Missing,
    /// Not readable or not collected; reads after the path.
    Unavailable(String),
}

/// What the computation reads from a host's gathered facts.
pub trait HostFiles {
    fn read(&self, path: &str) -> Doc<'_>;
    /// The names in a directory; `None` when it was not listed (or does
    /// not exist).
    fn list(&self, dir: &str) -> Option<Vec<String>>;
    /// Whether a path exists; `None` when not known.
    fn exists(&self, path: &str) -> Option<bool>;
    /// The host's name as it reports it; `None` when not known.
    fn hostname(&self) -> Option<&str>;
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("{path} {reason}")]
    Unavailable { path: String, reason: String },
    #[error("the unit file {path} does not exist")]
    NoUnit { path: String },
    #[error(transparent)]
    Unit(#[from] UnitError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Everything computed for the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Computed {
    pub command: Command,
    pub config_path: ConfigPath,
    /// The config files read, in reading order.
    pub config_files: Vec<String>,
    pub options: Options,
    /// The datastore of a server; `None` on an agent.
    pub datastore: Option<Detection>,
    pub components: Vec<(Component, Result<ComponentArgs, NotRunning>)>,
}

/// Computes the host's configuration. `unit` is the service's unit file;
/// `drop_in_dirs` its `<unit>.d` directories in priority order (`/etc`,
/// `/run`, `/usr/lib`).
pub fn compute(
    defaults: &Defaults,
    unit: &str,
    drop_in_dirs: &[&str],
    files: &dyn HostFiles,
) -> Result<Computed, HostError> {
    let text = |path: &str| -> Result<Option<&str>, HostError> {
        match files.read(path) {
            Doc::Text(t) => Ok(Some(t)),
            Doc::Missing => Ok(None),
            Doc::Unavailable(reason) => Err(HostError::Unavailable {
                path: path.to_string(),
                reason,
            }),
        }
    };
    let main = text(unit)?.ok_or_else(|| HostError::NoUnit {
        path: unit.to_string(),
    })?;
    let mut drop_in_paths = Vec::new();
    for dir in drop_in_dirs {
        let mut names = files.list(dir).unwrap_or_default();
        names.retain(|n| n.ends_with(".conf"));
        names.sort();
        drop_in_paths.extend(
            names
                .into_iter()
                .map(|n| format!("{}/{n}", dir.trim_end_matches('/'))),
        );
    }
    let mut drop_ins = Vec::new();
    for path in &drop_in_paths {
        if let Some(t) = text(path)? {
            drop_ins.push(UnitText { path, text: t });
        }
    }
    let parsed = Unit::parse(
        UnitText {
            path: unit,
            text: main,
        },
        &drop_ins,
    );
    let env_docs: Vec<(String, Doc)> = parsed
        .environment_files()
        .iter()
        .map(|f| (f.path.clone(), files.read(&f.path)))
        .collect();
    let command =
        parsed.command(
            &|path| match env_docs.iter().find(|(p, _)| p == path).map(|(_, d)| d) {
                Some(Doc::Text(t)) => EnvFileText::Text(t),
                Some(Doc::Missing) => EnvFileText::Missing,
                Some(Doc::Unavailable(reason)) => EnvFileText::Unavailable(reason),
                None => EnvFileText::Unavailable("was not collected"),
            },
        )?;

    let config_path = options::config_path(&command, &defaults.options);
    let mut config_files = Vec::new();
    let mut texts = Vec::new();
    if let Some(t) = text(&config_path.path)? {
        config_files.push(config_path.path.clone());
        texts.push(t);
    }
    let dir = config_path.drop_in_dir();
    let names = files.list(&dir).unwrap_or_default();
    for name in config_yaml::drop_in_names(names.iter().map(String::as_str)) {
        let path = format!("{dir}/{name}");
        if let Some(t) = text(&path)? {
            config_files.push(path);
            texts.push(t);
        }
    }
    let config_texts: Vec<ConfigText> = config_files
        .iter()
        .zip(&texts)
        .map(|(path, text)| ConfigText { path, text })
        .collect();
    let options = options::resolve(&command, &config_texts, &defaults.options)?;

    let datastore = (options.subcommand.as_deref() == Some("server")).then(|| {
        let data_dir = options
            .scalar("data-dir")
            .filter(|i| !i.value.is_empty())
            .map_or_else(
                || defaults.placeholders["data-dir"].default.clone(),
                |i| i.value.clone(),
            );
        let base = data_dir.trim_end_matches('/');
        datastore::detect(
            &options,
            &data_dir,
            OnDisk {
                etcd_dir: files.exists(&format!("{base}/server/db/etcd")),
                sqlite_db: files.exists(&format!("{base}/server/db/state.db")),
            },
        )
    });
    let components = component_args::compute_all(
        defaults,
        &options,
        HostContext {
            datastore: datastore.as_ref().map(|d| d.kind),
            hostname: files.hostname(),
        },
    );
    Ok(Computed {
        command,
        config_path,
        config_files,
        options,
        datastore,
        components,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distro::component_args::NotRunning;
    use crate::distro::datastore::Kind;
    use crate::distro::defaults;
    use crate::distro::source::Source;
    use std::collections::BTreeMap;

    /// A host's documents, and the directories and paths that exist.
    #[derive(Default)]
    struct Host {
        docs: BTreeMap<&'static str, &'static str>,
        unreadable: Vec<&'static str>,
        present: Vec<&'static str>,
    }

    impl HostFiles for Host {
        fn read(&self, path: &str) -> Doc<'_> {
            if self.unreadable.contains(&path) {
                return Doc::Unavailable("could not be read: permission denied".into());
            }
            self.docs.get(path).map_or(Doc::Missing, |t| Doc::Text(t))
        }
        fn list(&self, dir: &str) -> Option<Vec<String>> {
            let prefix = format!("{dir}/");
            let names: Vec<String> = self
                .docs
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|n| !n.contains('/'))
                .map(str::to_string)
                .collect();
            (!names.is_empty()).then_some(names)
        }
        fn exists(&self, path: &str) -> Option<bool> {
            Some(self.present.contains(&path) || self.docs.contains_key(path))
        }
        fn hostname(&self) -> Option<&str> {
            Some("lab-K3S-server")
        }
    }

    const UNIT: &str = "/etc/systemd/system/k3s.service";
    const DIRS: &[&str] = &[
        "/etc/systemd/system/k3s.service.d",
        "/usr/lib/systemd/system/k3s.service.d",
    ];

    fn server_host() -> Host {
        let mut host = Host::default();
        host.docs.insert(
            UNIT,
            "[Service]\nType=notify\nEnvironmentFile=-/etc/systemd/system/k3s.service.env\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'--kube-apiserver-arg=audit-log-maxage=30' \\\n",
        );
        host.docs.insert(
            "/etc/systemd/system/k3s.service.d/10-args.conf",
            "[Service]\nExecStart=\nExecStart=/usr/local/bin/k3s server $K3S_EXTRA\n",
        );
        host.docs.insert(
            "/etc/systemd/system/k3s.service.env",
            "K3S_EXTRA='--secrets-encryption --data-dir=/srv/k3s'\n",
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml",
            "kube-apiserver-arg:\n  - enable-admission-plugins=NodeRestriction,EventRateLimit\nprotect-kernel-defaults: true\n",
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml.d/20-audit.yaml",
            "kube-apiserver-arg+:\n  - audit-log-path=/var/log/k3s-audit.log\n",
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml.d/10-kubelet.yml",
            "kubelet-arg: [streaming-connection-idle-timeout=5m]\n",
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml.d/notes.txt",
            "kubelet-arg: [ignored=1]\n",
        );
        host
    }

    #[test]
    fn a_server_from_unit_drop_in_env_file_and_config_files() {
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        let c = compute(&d, UNIT, DIRS, &server_host()).unwrap();
        assert_eq!(
            c.command.argv,
            [
                "/usr/local/bin/k3s",
                "server",
                "--secrets-encryption",
                "--data-dir=/srv/k3s"
            ]
        );
        assert_eq!(
            c.config_files,
            [
                "/etc/rancher/k3s/config.yaml",
                "/etc/rancher/k3s/config.yaml.d/10-kubelet.yml",
                "/etc/rancher/k3s/config.yaml.d/20-audit.yaml"
            ]
        );
        let ds = c.datastore.as_ref().unwrap();
        assert_eq!(ds.kind, Kind::Sqlite);
        assert!(ds.etcd_not_applicable.is_some());
        let apiserver = c
            .components
            .iter()
            .find(|(comp, _)| *comp == Component::KubeApiserver)
            .unwrap()
            .1
            .as_ref()
            .unwrap();
        let argv = apiserver.argv();
        for expected in [
            "--enable-admission-plugins=NodeRestriction,EventRateLimit",
            "--audit-log-path=/var/log/k3s-audit.log",
            "--encryption-provider-config=/srv/k3s/server/cred/encryption-config.json",
            "--etcd-servers=unix://kine.sock",
        ] {
            assert!(
                argv.contains(&expected.to_string()),
                "{expected} missing from {argv:#?}"
            );
        }
        // The drop-in's reset dropped the unit file's own argument.
        assert!(!argv.iter().any(|a| a.starts_with("--audit-log-maxage")));
        let audit = apiserver
            .args
            .iter()
            .find(|a| a.flag == "audit-log-path")
            .unwrap();
        assert_eq!(
            audit.source,
            Source::ConfigFile {
                path: "/etc/rancher/k3s/config.yaml.d/20-audit.yaml".into(),
                key: "kube-apiserver-arg+".into(),
                index: Some(0)
            }
        );
        let kubelet = c
            .components
            .iter()
            .find(|(comp, _)| *comp == Component::Kubelet)
            .unwrap()
            .1
            .as_ref()
            .unwrap();
        assert_eq!(
            kubelet.config_dir.as_deref(),
            Some("/srv/k3s/agent/etc/kubelet.conf.d")
        );
        assert!(kubelet
            .argv()
            .contains(&"--streaming-connection-idle-timeout=5m".to_string()));
    }

    /// The lab's k3s-server profile (tests/lab/profiles/k3s-server): the
    /// installer's unit, config.yaml with the hardening guide's entries, and
    /// two drop-ins, the second turning profiling and the read-only port
    /// back on.
    #[test]
    fn the_lab_k3s_server_profile() {
        let mut host = Host::default();
        host.docs.insert(
            UNIT,
            "[Service]\nType=notify\nEnvironmentFile=-/etc/default/%N\nEnvironmentFile=-/etc/sysconfig/%N\n\
EnvironmentFile=-/etc/systemd/system/k3s.service.env\nKillMode=process\n\
ExecStartPre=/bin/sh -xc '! /usr/bin/systemctl is-enabled --quiet nm-cloud-setup.service 2>/dev/null'\n\
ExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'--write-kubeconfig-mode=0600' \\\n\t'--disable=traefik' \\\n\
\t'--kube-controller-manager-arg=terminated-pod-gc-threshold=10' \\\n\t'--kube-scheduler-arg=bind-address=0.0.0.0' \\\n\n",
        );
        host.docs.insert(
            "/etc/systemd/system/k3s.service.env",
            "K3S_TOKEN=K10::server:HBSENTINEL\n",
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml",
            concat!(
                "write-kubeconfig-mode: \"0644\"\n",
                "protect-kernel-defaults: true\n",
                "secrets-encryption: true\n",
                "kube-apiserver-arg:\n",
                "  - \"admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml\"\n",
                "  - \"audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log\"\n",
                "  - \"audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml\"\n",
                "  - \"audit-log-maxage=30\"\n",
                "  - \"audit-log-maxbackup=10\"\n",
                "  - \"audit-log-maxsize=100\"\n",
                "kubelet-arg:\n",
                "  - \"streaming-connection-idle-timeout=5m\"\n",
            ),
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml.d/10-token-expiration.yaml",
            "kube-apiserver-arg+:\n  - \"service-account-extend-token-expiration=false\"\n",
        );
        host.docs.insert(
            "/etc/rancher/k3s/config.yaml.d/20-debug.yaml",
            "kube-apiserver-arg+:\n  - \"profiling=true\"\nkubelet-arg+:\n  - \"read-only-port=10255\"\n",
        );
        host.present.push("/var/lib/rancher/k3s/server/db/state.db");
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        let c = compute(&d, UNIT, DIRS, &host).unwrap();
        assert_eq!(
            c.options.scalar("write-kubeconfig-mode").unwrap().value,
            "0600"
        );
        let ds = c.datastore.as_ref().unwrap();
        assert_eq!(ds.kind, Kind::Sqlite);
        assert!(ds
            .evidence
            .contains(&"/var/lib/rancher/k3s/server/db/state.db exists".to_string()));
        let component = |which: Component| {
            c.components
                .iter()
                .find(|(comp, _)| *comp == which)
                .and_then(|(_, r)| r.as_ref().ok())
                .unwrap()
        };
        let values = |which: Component, flag: &str| -> Vec<String> {
            component(which)
                .args
                .iter()
                .filter(|a| a.flag == flag)
                .map(|a| a.value.clone())
                .collect()
        };
        let api = Component::KubeApiserver;
        // (check, flag, values): what cis-1.12's tests read.
        let table: &[(Component, &str, &[&str])] = &[
            (api, "anonymous-auth", &["false"]),
            (api, "profiling", &["true"]),
            (api, "service-account-extend-token-expiration", &["false"]),
            (api, "audit-log-maxage", &["30"]),
            (
                api,
                "encryption-provider-config",
                &["/var/lib/rancher/k3s/server/cred/encryption-config.json"],
            ),
            (api, "etcd-servers", &["unix://kine.sock"]),
            (api, "etcd-certfile", &[]),
            (api, "enable-admission-plugins", &["NodeRestriction"]),
            (api, "authorization-mode", &["Node,RBAC"]),
            (
                Component::KubeControllerManager,
                "terminated-pod-gc-threshold",
                &["10"],
            ),
            (
                Component::KubeControllerManager,
                "kubeconfig",
                &["/var/lib/rancher/k3s/server/cred/controller.kubeconfig"],
            ),
            (Component::KubeScheduler, "bind-address", &["0.0.0.0"]),
            (Component::KubeScheduler, "profiling", &["false"]),
            (Component::Kubelet, "read-only-port", &["10255"]),
            (
                Component::Kubelet,
                "streaming-connection-idle-timeout",
                &["5m"],
            ),
            (
                Component::Kubelet,
                "config-dir",
                &["/var/lib/rancher/k3s/agent/etc/kubelet.conf.d"],
            ),
            (
                Component::KubeProxy,
                "kubeconfig",
                &["/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig"],
            ),
            (Component::Kubelet, "hostname-override", &["lab-k3s-server"]),
        ];
        for (which, flag, expected) in table {
            assert_eq!(values(*which, flag), *expected, "{} --{flag}", which.name());
        }
        let profiling = component(api)
            .args
            .iter()
            .find(|a| a.flag == "profiling")
            .unwrap();
        assert_eq!(
            profiling.source,
            Source::ConfigFile {
                path: "/etc/rancher/k3s/config.yaml.d/20-debug.yaml".into(),
                key: "kube-apiserver-arg+".into(),
                index: Some(0)
            }
        );
        assert!(matches!(
            c.components
                .iter()
                .find(|(comp, _)| *comp == Component::Etcd)
                .unwrap()
                .1,
            Err(NotRunning::ConditionUnmet { .. })
        ));
    }

    #[test]
    fn an_agent_has_no_datastore_and_no_control_plane() {
        let mut host = Host::default();
        host.docs.insert(
            "/etc/systemd/system/k3s-agent.service",
            "[Service]\nEnvironmentFile=-/etc/systemd/system/k3s-agent.service.env\nExecStart=/usr/local/bin/k3s agent\n",
        );
        host.docs.insert(
            "/etc/systemd/system/k3s-agent.service.env",
            "K3S_URL=https://10.0.0.1:6443\nK3S_TOKEN=secret\n",
        );
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        let c = compute(&d, "/etc/systemd/system/k3s-agent.service", &[], &host).unwrap();
        assert!(c.datastore.is_none());
        assert_eq!(
            c.options.scalar("server").unwrap().value,
            "https://10.0.0.1:6443"
        );
        let running: Vec<&str> = c
            .components
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(comp, _)| comp.name())
            .collect();
        assert_eq!(running, ["kube-proxy", "kubelet"]);
    }

    #[test]
    fn missing_and_unreadable_documents_are_named() {
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        assert_eq!(
            compute(&d, UNIT, DIRS, &Host::default()),
            Err(HostError::NoUnit { path: UNIT.into() })
        );
        let mut host = server_host();
        host.unreadable.push("/etc/rancher/k3s/config.yaml");
        assert_eq!(
            compute(&d, UNIT, DIRS, &host),
            Err(HostError::Unavailable {
                path: "/etc/rancher/k3s/config.yaml".into(),
                reason: "could not be read: permission denied".into()
            })
        );
        // An embedded-etcd server, known from its data directory alone.
        let mut host = server_host();
        host.present.push("/srv/k3s/server/db/etcd");
        let c = compute(&d, UNIT, DIRS, &host).unwrap();
        assert_eq!(c.datastore.unwrap().kind, Kind::EmbeddedEtcd);
    }
}

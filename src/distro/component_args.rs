//! The effective arguments of each component a k3s process embeds, computed
//! as k3s computes them: the built-in defaults for that k3s minor
//! (`defaults`, with their conditions and placeholders resolved from the
//! effective options and the datastore), then the user's `<component>-arg`
//! entries applied by k3s's `util.GetArgs` (pkg/util/args.go):
//! - `flag=value` replaces the default of that flag; the first user entry
//!   for a flag drops the default, later ones add occurrences;
//! - `flag+=value` appends an occurrence after the default (and earlier
//!   user values); `flag-=value` puts one before them;
//! - an entry without `=` means `flag=true`;
//! - the result is sorted by flag name, a flag's occurrences kept in order.
//!
//! For the kubelet, k3s first strips `config` and `config-dir` from the
//! user's entries (pkg/daemons/agent/agent.go `extractConfigArgs`) and copies
//! that file or directory into its managed drop-in directory
//! (`10-cli-config.conf`, `20-cli-config-dir/`); the kubelet keeps
//! `--config-dir=<data-dir>/agent/etc/kubelet.conf.d`, where k3s writes
//! `00-k3s-defaults.conf` at each start.

use crate::component::Component;
use crate::distro::config_yaml::Item;
use crate::distro::datastore::Kind;
use crate::distro::defaults::{placeholders_in, ComponentDefaults, Defaults, HostDefault};
use crate::distro::options::Options;
use crate::distro::source::Source;

/// One `--flag=value` of a component, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub flag: String,
    pub value: String,
    pub source: Source,
}

/// A component's computed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentArgs {
    pub component: Component,
    pub args: Vec<Arg>,
    /// The kubelet's managed drop-in directory, for the gathering.
    pub config_dir: Option<String>,
    /// What the computation did beyond arguments (copied kubelet configs).
    pub notes: Vec<String>,
}

impl ComponentArgs {
    /// The arguments as the component's argv after argv[0].
    pub fn argv(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| format!("--{}={}", a.flag, a.value))
            .collect()
    }
}

/// Why a component has no arguments here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotRunning {
    /// The subcommand does not run it (`k3s agent` runs no apiserver).
    NotInSubcommand { subcommand: String },
    /// An option turns it off (`disable-scheduler`).
    Disabled { option: String, source: Source },
    /// A condition of the data does not hold (`storage:embedded-etcd`: etcd
    /// runs only with embedded etcd).
    ConditionUnmet { condition: String },
}

/// What the computation knows of the host beside its options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostContext<'a> {
    /// The datastore of a server; `None` on an agent.
    pub datastore: Option<Kind>,
    /// The host's name, for the node name k3s derives from it.
    pub hostname: Option<&'a str>,
}

/// The components k3s runs in this process, each with its arguments or the
/// reason it does not run, in the order of the data (by name).
pub fn compute_all(
    defaults: &Defaults,
    options: &Options,
    host: HostContext,
) -> Vec<(Component, Result<ComponentArgs, NotRunning>)> {
    defaults
        .components
        .iter()
        .filter_map(|(name, data)| {
            let component = Component::from_name(name)?;
            Some((component, compute(defaults, data, component, options, host)))
        })
        .collect()
}

/// One component's arguments.
pub fn compute(
    defaults: &Defaults,
    data: &ComponentDefaults,
    component: Component,
    options: &Options,
    host: HostContext,
) -> Result<ComponentArgs, NotRunning> {
    let datastore = host.datastore;
    let subcommand = options.subcommand.clone().unwrap_or_default();
    if !data.runs_in.contains(&subcommand) {
        return Err(NotRunning::NotInSubcommand { subcommand });
    }
    if let Some(option) = data.disabled_by.as_ref().filter(|o| options.is_true(o)) {
        let source = options
            .scalar(option)
            .map(|i| i.source.clone())
            .expect("true option has a value");
        return Err(NotRunning::Disabled {
            option: option.clone(),
            source,
        });
    }
    let mut notes = Vec::new();
    let mut user: Vec<&Item> = options.list(&data.arg_key);
    if component == Component::Kubelet {
        user = strip_kubelet_config(user, &mut notes);
    }
    let user_flags: Vec<&str> = user
        .iter()
        .map(|i| split_entry(&i.value).0.trim_end_matches(['+', '-']))
        .collect();
    let placeholder = |name: &str| -> String {
        let p = &defaults.placeholders[name];
        if let Some(item) = options.scalar(&p.option).filter(|i| !i.value.is_empty()) {
            return item.value.clone();
        }
        match (p.host_default, host.hostname) {
            (Some(HostDefault::HostnameLower), Some(h)) if !h.is_empty() => h.to_lowercase(),
            _ => p.default.clone(),
        }
    };
    let holds = |condition: &str| -> bool {
        let (negated, body) = match condition.strip_prefix('!') {
            Some(body) => (true, body),
            None => (false, condition),
        };
        let value = if let Some(kind) = body.strip_prefix("storage:") {
            datastore.is_some_and(|d| d.storage() == kind)
        } else if let Some(flag) = body.strip_prefix("arg:") {
            user_flags.contains(&flag)
        } else if let Some(option) = body.strip_prefix("set:") {
            options.is_set(option)
        } else if let Some(name) = body.strip_prefix("known:") {
            !placeholder(name).is_empty()
        } else if let Some((name, v)) = body.split_once("!=") {
            placeholder(name) != v
        } else if let Some((name, v)) = body.split_once('=') {
            placeholder(name) == v
        } else {
            options.is_true(body)
        };
        value != negated
    };
    if let Some(condition) = data.when.iter().find(|c| !holds(c)) {
        return Err(NotRunning::ConditionUnmet {
            condition: condition.clone(),
        });
    }
    let citation = format!(
        "platforms/{}/defaults-{}.toml, from k3s {}",
        defaults.distribution, defaults.minor, data.source
    );
    // The defaults map: a later entry for a flag replaces an earlier one.
    let mut initial: Vec<Arg> = Vec::new();
    for arg in &data.args {
        if !arg.when.iter().all(|c| holds(c)) {
            continue;
        }
        let mut value = arg.value.clone();
        for name in placeholders_in(&arg.value).collect::<Vec<_>>() {
            value = value.replace(&format!("{{{name}}}"), &placeholder(name));
        }
        initial.retain(|a| a.flag != arg.flag);
        initial.push(Arg {
            flag: arg.flag.clone(),
            value,
            source: Source::BuiltIn {
                citation: citation.clone(),
            },
        });
    }
    Ok(ComponentArgs {
        component,
        args: get_args(initial, &user),
        config_dir: data.config_dir.as_ref().map(|d| {
            let mut dir = d.clone();
            for name in placeholders_in(d).collect::<Vec<_>>() {
                dir = dir.replace(&format!("{{{name}}}"), &placeholder(name));
            }
            dir
        }),
        notes,
    })
}

/// `flag=value` (leading dashes dropped); no `=` means `true`.
fn split_entry(entry: &str) -> (&str, &str) {
    let entry = entry.strip_prefix("--").unwrap_or(entry);
    entry.split_once('=').unwrap_or((entry, "true"))
}

/// k3s `util.GetArgs`: defaults overridden, appended to or prefixed by the
/// user's entries, sorted by flag.
fn get_args(mut initial: Vec<Arg>, user: &[&Item]) -> Vec<Arg> {
    let mut multi: Vec<(String, Vec<Arg>)> = Vec::new();
    for item in user {
        let (written, value) = split_entry(&item.value);
        let flag = written.trim_end_matches(['+', '-']).to_string();
        let new = Arg {
            flag: flag.clone(),
            value: value.to_string(),
            source: item.source.clone(),
        };
        let default = initial
            .iter()
            .position(|a| a.flag == flag)
            .map(|i| initial.remove(i));
        let existing = multi
            .iter()
            .position(|(f, _)| *f == flag)
            .map(|i| multi.remove(i).1)
            .unwrap_or_default();
        let mut values = Vec::new();
        if written.ends_with('+') {
            values.extend(default);
            values.extend(existing);
            values.push(new);
        } else if written.ends_with('-') {
            values.push(new);
            values.extend(default);
            values.extend(existing);
        } else {
            values.extend(existing);
            values.push(new);
        }
        multi.push((flag, values));
    }
    multi.extend(initial.into_iter().map(|a| (a.flag.clone(), vec![a])));
    multi.sort_by(|a, b| a.0.cmp(&b.0));
    multi.into_iter().flat_map(|(_, values)| values).collect()
}

/// Removes the kubelet's `config`/`config-dir` entries, noting where k3s
/// puts what they name.
fn strip_kubelet_config<'a>(user: Vec<&'a Item>, notes: &mut Vec<String>) -> Vec<&'a Item> {
    user.into_iter()
        .filter(|item| {
            let (flag, value) = split_entry(&item.value);
            let target = match flag {
                "config" => "10-cli-config.conf",
                "config-dir" => "20-cli-config-dir/",
                _ => return true,
            };
            notes.push(format!(
                "kubelet-arg {flag}={value} ({}) is not passed to the kubelet: k3s copies it into its managed drop-in directory as {target}",
                item.source
            ));
            false
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distro::config_yaml::ConfigText;
    use crate::distro::defaults;
    use crate::distro::options;
    use crate::distro::systemd_unit::Command;

    const UNIT: &str = "/etc/systemd/system/k3s.service";
    const MAIN: &str = "/etc/rancher/k3s/config.yaml";

    fn options(subcommand: &str, cli: &[&str], files: &[(&str, &str)]) -> Options {
        let mut argv = vec!["/usr/local/bin/k3s".to_string(), subcommand.to_string()];
        argv.extend(cli.iter().map(|s| s.to_string()));
        let cmd = Command {
            executable: argv[0].clone(),
            argv,
            source: Source::CommandLine {
                unit: UNIT.into(),
                line: 9,
            },
            environment: Default::default(),
            notes: Vec::new(),
        };
        let files: Vec<ConfigText> = files
            .iter()
            .map(|(path, text)| ConfigText { path, text })
            .collect();
        let scheme = defaults::builtin("k3s", "1.33").unwrap().defaults.options;
        options::resolve(&cmd, &files, &scheme).unwrap()
    }

    fn args(
        component: Component,
        options: &Options,
        datastore: Option<Kind>,
    ) -> Result<ComponentArgs, NotRunning> {
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        compute(
            &d,
            &d.components[component.name()],
            component,
            options,
            HostContext {
                datastore,
                hostname: None,
            },
        )
    }

    fn flag<'a>(args: &'a ComponentArgs, flag: &str) -> Vec<&'a str> {
        args.args
            .iter()
            .filter(|a| a.flag == flag)
            .map(|a| a.value.as_str())
            .collect()
    }

    fn builtin() -> Source {
        Source::BuiltIn {
            citation: "platforms/k3s/defaults-1.33.toml, from k3s pkg/daemons/control/server.go apiServer()".into(),
        }
    }

    #[test]
    fn a_default_sqlite_server_gets_k3s_s_apiserver_line() {
        let o = options("server", &[], &[]);
        let a = args(Component::KubeApiserver, &o, Some(Kind::Sqlite)).unwrap();
        let argv = a.argv();
        // Sorted by flag, as k3s logs them.
        let mut sorted = argv.clone();
        sorted.sort();
        assert_eq!(argv, sorted);
        for expected in [
            "--anonymous-auth=false",
            "--authorization-mode=Node,RBAC",
            "--bind-address=127.0.0.1",
            "--client-ca-file=/var/lib/rancher/k3s/server/tls/client-ca.crt",
            "--egress-selector-config-file=/var/lib/rancher/k3s/server/etc/egress-selector-config.yaml",
            "--enable-admission-plugins=NodeRestriction",
            "--etcd-servers=unix://kine.sock",
            "--kubelet-certificate-authority=/var/lib/rancher/k3s/server/tls/server-ca.crt",
            "--profiling=false",
            "--secure-port=6444",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.43.0.0/16",
            "--storage-backend=etcd3",
        ] {
            assert!(argv.contains(&expected.to_string()), "{expected} missing from {argv:#?}");
        }
        for absent in [
            "encryption-provider-config",
            "etcd-cafile",
            "etcd-certfile",
            "advertise-address",
        ] {
            assert!(flag(&a, absent).is_empty(), "{absent}");
        }
        assert!(a.args.iter().all(|arg| arg.source == builtin()));
    }

    #[test]
    fn options_choose_defaults_and_fill_placeholders() {
        let o = options(
            "server",
            &["--data-dir=/srv/k3s", "--secrets-encryption", "--cluster-domain", "example.org"],
            &[(MAIN, "egress-selector-mode: disabled\nflannel-external-ip: true\ndisable-cloud-controller: true\n")],
        );
        let a = args(Component::KubeApiserver, &o, Some(Kind::EmbeddedEtcd)).unwrap();
        assert_eq!(
            flag(&a, "encryption-provider-config"),
            ["/srv/k3s/server/cred/encryption-config.json"]
        );
        assert_eq!(flag(&a, "etcd-servers"), ["https://127.0.0.1:2379"]);
        assert_eq!(
            flag(&a, "etcd-certfile"),
            ["/srv/k3s/server/tls/etcd/client.crt"]
        );
        assert_eq!(
            flag(&a, "api-audiences"),
            ["https://kubernetes.default.svc.example.org,k3s"]
        );
        assert_eq!(
            flag(&a, "kubelet-preferred-address-types"),
            ["ExternalIP,InternalIP,Hostname"]
        );
        assert!(flag(&a, "egress-selector-config-file").is_empty());
        let cm = args(
            Component::KubeControllerManager,
            &o,
            Some(Kind::EmbeddedEtcd),
        )
        .unwrap();
        assert_eq!(flag(&cm, "controllers"), ["*,tokencleaner"]);
        assert!(flag(&cm, "configure-cloud-routes").is_empty());
        let ext = options(
            "server",
            &[],
            &[(
                MAIN,
                "datastore-endpoint: https://etcd:2379\ndatastore-cafile: /ca.crt\n",
            )],
        );
        let a = args(Component::KubeApiserver, &ext, Some(Kind::ExternalEtcd)).unwrap();
        assert_eq!(flag(&a, "etcd-servers"), ["https://etcd:2379"]);
        assert_eq!(flag(&a, "etcd-cafile"), ["/ca.crt"]);
        assert!(flag(&a, "etcd-keyfile").is_empty());
    }

    #[test]
    fn user_args_override_append_prepend_and_repeat_as_get_args_does() {
        let o = options(
            "server",
            &[],
            &[(
                MAIN,
                "kube-apiserver-arg:\n  - anonymous-auth=true\n  - enable-admission-plugins+=EventRateLimit\n  - audit-log-path=/var/log/a.log\n  - --feature-gates=A=true\n  - feature-gates=B=false\n  - enable-admission-plugins+=AlwaysPullImages\n  - profiling\n  - tls-cipher-suites-=X\n",
            )],
        );
        let a = args(Component::KubeApiserver, &o, Some(Kind::Sqlite)).unwrap();
        let at = |i: usize| Source::ConfigFile {
            path: MAIN.into(),
            key: "kube-apiserver-arg".into(),
            index: Some(i),
        };
        let find = |f: &str| -> Vec<(&str, &Source)> {
            a.args
                .iter()
                .filter(|x| x.flag == f)
                .map(|x| (x.value.as_str(), &x.source))
                .collect()
        };
        assert_eq!(find("anonymous-auth"), [("true", &at(0))]);
        assert_eq!(
            find("enable-admission-plugins"),
            [
                ("NodeRestriction", &builtin()),
                ("EventRateLimit", &at(1)),
                ("AlwaysPullImages", &at(5))
            ]
        );
        assert_eq!(find("audit-log-path"), [("/var/log/a.log", &at(2))]);
        assert_eq!(
            find("feature-gates"),
            [("A=true", &at(3)), ("B=false", &at(4))]
        );
        assert_eq!(find("profiling"), [("true", &at(6))]);
        assert_eq!(find("tls-cipher-suites")[0], ("X", &at(7)));
        assert_eq!(find("tls-cipher-suites").len(), 2);
    }

    #[test]
    fn the_node_name_is_the_option_else_the_lower_cased_host_name() {
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        let kubelet = |o: &Options, hostname| {
            compute(
                &d,
                &d.components["kubelet"],
                Component::Kubelet,
                o,
                HostContext {
                    datastore: None,
                    hostname,
                },
            )
            .unwrap()
        };
        let plain = options("agent", &[], &[]);
        assert_eq!(
            flag(&kubelet(&plain, Some("Node-A8")), "hostname-override"),
            ["node-a8"]
        );
        assert!(flag(&kubelet(&plain, None), "hostname-override").is_empty());
        let named = options("agent", &["--node-name=worker-1"], &[]);
        assert_eq!(
            flag(&kubelet(&named, Some("Node-A8")), "hostname-override"),
            ["worker-1"]
        );
    }

    #[test]
    fn embedded_etcd_reads_the_config_file_k3s_writes() {
        let o = options(
            "server",
            &["--data-dir=/srv/k3s"],
            &[(MAIN, "cluster-init: true\n")],
        );
        let e = args(Component::Etcd, &o, Some(Kind::EmbeddedEtcd)).unwrap();
        assert_eq!(e.argv(), ["--config-file=/srv/k3s/server/db/etcd/config"]);
        let o = options(
            "server",
            &[],
            &[(MAIN, "cluster-init: true\ndisable-etcd: true\n")],
        );
        assert!(matches!(
            args(Component::Etcd, &o, Some(Kind::EmbeddedEtcd)),
            Err(NotRunning::Disabled { .. })
        ));
        let o = options("server", &[], &[]);
        for kind in [Kind::Sqlite, Kind::ExternalEtcd, Kind::ExternalKine] {
            assert!(matches!(
                args(Component::Etcd, &o, Some(kind)),
                Err(NotRunning::ConditionUnmet { .. })
            ));
        }
    }

    #[test]
    fn user_config_files_turn_k3s_defaults_off() {
        let o = options(
            "server",
            &[],
            &[(MAIN, "kube-apiserver-arg: [authentication-config=/etc/authn.yaml, authorization-config=/etc/authz.yaml]\n")],
        );
        let a = args(Component::KubeApiserver, &o, Some(Kind::Sqlite)).unwrap();
        assert!(flag(&a, "anonymous-auth").is_empty());
        assert!(flag(&a, "authorization-mode").is_empty());
        assert_eq!(flag(&a, "authentication-config"), ["/etc/authn.yaml"]);
    }

    #[test]
    fn the_kubelet_keeps_its_config_dir_and_drops_config_args() {
        let o = options(
            "agent",
            &[
                "--kubelet-arg=config=/etc/kubelet.yaml",
                "--kubelet-arg",
                "streaming-connection-idle-timeout=5m",
            ],
            &[(MAIN, "kubelet-arg: [read-only-port=10255]\n")],
        );
        let k = args(Component::Kubelet, &o, None).unwrap();
        assert_eq!(
            flag(&k, "config-dir"),
            ["/var/lib/rancher/k3s/agent/etc/kubelet.conf.d"]
        );
        assert!(flag(&k, "config").is_empty());
        // The command line's list replaced the file's.
        assert_eq!(flag(&k, "read-only-port"), ["0"]);
        assert_eq!(flag(&k, "streaming-connection-idle-timeout"), ["5m"]);
        assert_eq!(
            k.config_dir.as_deref(),
            Some("/var/lib/rancher/k3s/agent/etc/kubelet.conf.d")
        );
        assert_eq!(
            k.notes,
            ["kubelet-arg config=/etc/kubelet.yaml (/etc/systemd/system/k3s.service:9: ExecStart) is not passed to the kubelet: k3s copies it into its managed drop-in directory as 10-cli-config.conf"]
        );
    }

    #[test]
    fn components_not_run_say_why() {
        let agent = options("agent", &[], &[]);
        assert_eq!(
            args(Component::KubeApiserver, &agent, None),
            Err(NotRunning::NotInSubcommand {
                subcommand: "agent".into()
            })
        );
        let server = options("server", &[], &[(MAIN, "disable-scheduler: true\n")]);
        assert_eq!(
            args(Component::KubeScheduler, &server, Some(Kind::Sqlite)),
            Err(NotRunning::Disabled {
                option: "disable-scheduler".into(),
                source: Source::ConfigFile {
                    path: MAIN.into(),
                    key: "disable-scheduler".into(),
                    index: None
                }
            })
        );
        let d = defaults::builtin("k3s", "1.33").unwrap().defaults;
        let all = compute_all(
            &d,
            &server,
            HostContext {
                datastore: Some(Kind::Sqlite),
                hostname: None,
            },
        );
        let names: Vec<&str> = all.iter().map(|(c, _)| c.name()).collect();
        assert_eq!(
            names,
            [
                "etcd",
                "kube-apiserver",
                "kube-controller-manager",
                "kube-proxy",
                "kube-scheduler",
                "kubelet"
            ]
        );
        assert_eq!(all.iter().filter(|(_, r)| r.is_ok()).count(), 4);
        assert_eq!(
            all[0].1,
            Err(NotRunning::ConditionUnmet {
                condition: "storage:embedded-etcd".into()
            })
        );
    }
}

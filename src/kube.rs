//! Kubernetes semantics: how components read their flags, config files,
//! environment and defaults, and so what value a setting effectively has on
//! a host. Pure: everything comes from `Facts`, read through the host's
//! `HostContext`, which remembers what is derived from them.
//!
//! Precedence, per component:
//! - kube-apiserver, kube-controller-manager, kube-scheduler: flag > default.
//! - kubelet: flag > `--config-dir` drop-ins > `--config` file > default (the
//!   KubeletConfiguration default when the kubelet runs with `--config`, the
//!   flag default otherwise).
//! - etcd: with a config file, only the file and defaults count (etcd ignores
//!   flags and environment then); otherwise flag > `ETCD_*` env > default.
//! - kube-proxy: with `--config`, the KubeProxyConfiguration file and its
//!   defaults count (its flags are "ignored if a config file is specified
//!   by --config"); otherwise flag > default. kubeadm's kube-proxy reads its
//!   file inside its container, so it is read as the process sees it,
//!   through /proc/PID/root; when it is not found there either, the flags
//!   and defaults are judged, with a note saying so.
//!
//! A config-file field is read the way its component decodes and defaults
//! it (`defaulting`): an empty or zero value may mean the default.
//!
//! A control-plane component that is not running is read from its static
//! pod manifest; a running one whose manifest says otherwise gets a note.

pub mod audit_policy;
pub mod config;
pub mod defaulting;
pub mod distribution;
pub mod encryption;
pub mod etcd;
pub mod flags;
mod host_context;
pub mod kubelet;
pub mod manifest;
mod process_path;
pub mod yaml;

use crate::platform::ArgsSource;
use crate::benchmark::{Benchmark, Setting};
use crate::component::Component;
use crate::outcome::Source;
use crate::value::{self, ValueKind};
use config::Doc;
use defaulting::{Field, Layer};
use flags::{Args, Syntax};

pub use host_context::HostContext;

/// Where an effective value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The running process's command line.
    Flag,
    /// The static pod manifest (the component is not running).
    Manifest {
        path: String,
    },
    ConfigFile {
        path: String,
        key: String,
    },
    Env {
        name: String,
    },
    Default {
        reference: String,
    },
    /// Absent everywhere, and no default is known.
    Absent,
}

/// A setting's effective value on a host, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The value's text as the component would parse it; `None` when absent
    /// with no known default.
    pub value: Option<String>,
    pub origin: Origin,
    /// The evidence as an auditor reads it: `--profiling=true`,
    /// `ETCD_CLIENT_CERT_AUTH=true`, `absent (kube-apiserver default: true)`.
    pub shown: String,
    /// The directory relative paths in the value are relative to.
    pub base_dir: Option<String>,
    pub notes: Vec<String>,
}

impl Observation {
    /// Whether the value was given in the component's configuration (not a default).
    pub fn given(&self) -> bool {
        !matches!(self.origin, Origin::Default { .. } | Origin::Absent)
    }

    /// The absolute path a path in the value names (`process_path`).
    pub fn resolve(&self, path: &str) -> Result<String, String> {
        process_path::resolve(&self.shown, path, self.base_dir.as_deref())
    }

    pub fn source(&self, setting: &Setting) -> Source {
        let component = setting.component.name().to_string();
        match &self.origin {
            Origin::Flag => Source::Flag {
                component,
                flag: setting.flag(),
            },
            Origin::Manifest { path } => Source::Manifest {
                path: path.clone(),
                flag: setting.flag(),
            },
            Origin::ConfigFile { path, key } => Source::ConfigFile {
                path: path.clone(),
                key: key.clone(),
            },
            Origin::Env { name } => Source::Env {
                component,
                name: name.clone(),
            },
            Origin::Default { reference } => Source::Default {
                component,
                reference: reference.clone(),
            },
            Origin::Absent => Source::Unset { component },
        }
    }
}

/// The command line a component runs with, or would run with.
struct CommandLine {
    args: Args,
    /// `Some` when read from the static pod manifest.
    manifest: Option<String>,
    /// The running process's id (`None` when read from a manifest).
    pid: Option<u32>,
    cwd: Option<String>,
    env: Vec<(String, String)>,
    /// For a command line a distribution computed: where each flag came
    /// from (`/etc/rancher/k3s/config.yaml: kube-apiserver-arg[2]`, a
    /// built-in default), by flag name.
    computed: Option<std::collections::BTreeMap<String, String>>,
}

/// The static pod manifest the platform starts the component from, if it
/// runs it as a static pod.
fn manifest_path(benchmark: &Benchmark, component: Component) -> Option<String> {
    benchmark.platform_def().component(component)?.manifest.clone()
}

fn syntax(component: Component) -> Syntax {
    if component == Component::Etcd {
        Syntax::GoFlag
    } else {
        Syntax::Pflag
    }
}

fn parse_args(benchmark: &Benchmark, component: Component, argv: &[String]) -> Args {
    let is_bool = |name: &str| {
        benchmark
            .settings
            .iter()
            .find(|s| s.component == component && s.name == name)
            .map(|s| s.kind == ValueKind::Bool)
    };
    Args::parse(argv.get(1..).unwrap_or(&[]), syntax(component), &is_bool)
}

/// The command line, derived once per host (`HostContext::command_line`).
fn derive_command_line(host: &HostContext<'_>, component: Component) -> Result<CommandLine, String> {
    let benchmark = host.benchmark;
    let platform = benchmark.platform_def();
    if platform.component(component).is_some_and(|d| d.args == ArgsSource::Distribution) {
        return distribution_command_line(host, component);
    }
    if let Some(process) = platform.process(host.facts, component) {
        return Ok(CommandLine {
            args: parse_args(benchmark, component, &process.argv),
            manifest: None,
            pid: Some(process.pid),
            cwd: process.cwd.clone(),
            env: process.env.clone(),
            computed: None,
        });
    }
    let Some(path) = manifest_path(benchmark, component) else {
        return Err(format!("{component} is not running"));
    };
    match config::read(host.facts, &path) {
        Doc::Text(text) => {
            let argv = manifest::argv(text).map_err(|e| {
                format!("{component} is not running and {path} could not be parsed: {e}")
            })?;
            Ok(CommandLine {
                args: parse_args(benchmark, component, &argv),
                manifest: Some(path),
                pid: None,
                cwd: None,
                env: Vec::new(),
                computed: None,
            })
        }
        Doc::Missing => Err(format!(
            "{component} is not running and {path} was not found"
        )),
        Doc::Unavailable(reason) => Err(format!("{component} is not running and {path} {reason}")),
    }
}

/// The command line a distribution computed for a component it runs in
/// its own process (`distribution`), each flag's origin kept for the report.
fn distribution_command_line(host: &HostContext<'_>, component: Component) -> Result<CommandLine, String> {
    let computed = host.distribution().ok_or_else(|| format!("{component} is not running"))?;
    let computed = computed.as_ref().map_err(|e| format!("{component}'s arguments could not be computed: {e}"))?;
    let args = distribution::component(computed, component)?;
    let mut argv = vec![component.name().to_string()];
    argv.extend(args.argv());
    let origins = args.args.iter().map(|a| (a.flag.clone(), a.source.to_string())).collect();
    Ok(CommandLine {
        args: parse_args(host.benchmark, component, &argv),
        manifest: None,
        pid: None,
        cwd: Some("/".to_string()),
        env: Vec::new(),
        computed: Some(origins),
    })
}

/// The effective value of a setting on this host, or why it cannot be known.
pub fn observe(host: &HostContext<'_>, setting: &Setting) -> Result<Observation, String> {
    let component = setting.component;
    let line = host.command_line(component);
    let line = line.as_ref().as_ref().map_err(Clone::clone)?;
    let is_bool = setting.kind == ValueKind::Bool;
    let from_flag = |line: &CommandLine| -> Option<Observation> {
        let value = line
            .args
            .effective(&setting.name, is_bool, setting.repeats)?;
        let origin = match &line.manifest {
            Some(path) => Origin::Manifest { path: path.clone() },
            None => Origin::Flag,
        };
        let mut shown = line.args.written(&setting.name).unwrap_or_default();
        if let Some(from) = line.computed.as_ref().and_then(|c| c.get(&setting.name)) {
            shown = format!("{shown} (from {from})");
        }
        Some(Observation {
            value: Some(value),
            origin,
            shown,
            base_dir: line.cwd.clone(),
            notes: Vec::new(),
        })
    };

    let mut observation = match component {
        Component::Etcd => observe_etcd(host, setting, line, from_flag)?,
        Component::Kubelet => match from_flag(line) {
            Some(found) => found,
            None => observe_kubelet_config(host, setting, line)?,
        },
        Component::KubeProxy => observe_proxy(host, setting, line, from_flag)?,
        _ => from_flag(line)
            .unwrap_or_else(|| defaulted(setting, setting.default.as_ref(), line, "default")),
    };
    if line.manifest.is_none() {
        if let Some(note) = manifest_disagreement(host, setting, line) {
            observation.notes.push(note);
        }
    }
    Ok(observation)
}

fn defaulted(
    setting: &Setting,
    default: Option<&crate::benchmark::DefaultValue>,
    line: &CommandLine,
    label: &str,
) -> Observation {
    match default {
        Some(default) => Observation {
            value: Some(default.value.clone()),
            origin: Origin::Default {
                reference: default.reference.clone(),
            },
            shown: format!(
                "absent ({} {label}: {})",
                setting.component,
                display_default(&default.value)
            ),
            base_dir: line.cwd.clone(),
            notes: Vec::new(),
        },
        None => Observation {
            value: None,
            origin: Origin::Absent,
            shown: "absent".into(),
            base_dir: line.cwd.clone(),
            notes: Vec::new(),
        },
    }
}

fn display_default(value: &str) -> String {
    if value.is_empty() {
        "empty".into()
    } else {
        value.into()
    }
}

fn observe_kubelet_config(
    host: &HostContext<'_>,
    setting: &Setting,
    line: &CommandLine,
) -> Result<Observation, String> {
    let without = (setting.default.as_ref(), "default without --config");
    let documents = host.kubelet_documents(|| kubelet::documents(host, &line.args, line.cwd.as_deref()));
    let Some(documents) = documents.as_ref().as_ref().map_err(Clone::clone)? else {
        return Ok(defaulted(setting, without.0, line, without.1));
    };
    // With --config the KubeletConfiguration defaults apply; with drop-ins
    // alone, the flag defaults they are merged over.
    let (default, label) = match &documents.base {
        Some(_) => (
            setting.config_default.as_ref().or(setting.default.as_ref()),
            "default with --config",
        ),
        None => without,
    };
    if let Some(key) = &setting.config_key {
        let zero_default = default.map(|d| d.value.as_str());
        if let Some((path, field)) = kubelet::lookup(documents, setting, key, zero_default) {
            let place = ConfigPlace { path, shown: path.to_string() };
            return from_field(setting, key, &place, field, line);
        }
    }
    Ok(defaulted(setting, default, line, label))
}

/// A config file as the report names it: `path` as the component names it,
/// `shown` with how it was read when that differs (through the process's root).
struct ConfigPlace<'p> {
    path: &'p str,
    shown: String,
}

/// The observation of a field the component's decoding and defaulting
/// found in a config file (see `defaulting`).
fn from_field(
    setting: &Setting,
    key: &str,
    place: &ConfigPlace<'_>,
    field: Field,
    line: &CommandLine,
) -> Result<Observation, String> {
    let component = setting.component;
    let in_file = |value: String, shown: String, notes: Vec<String>| Observation {
        value: Some(value),
        origin: Origin::ConfigFile {
            path: place.path.to_string(),
            key: key.to_string(),
        },
        shown,
        base_dir: line.cwd.clone(),
        notes,
    };
    match field {
        Field::Value(text) => Ok(in_file(
            text.clone(),
            format!("{key}: {} (in {})", written_text(&text), place.shown),
            Vec::new(),
        )),
        Field::Defaulted {
            written: Some(written),
            value,
            source,
        } => Ok(in_file(
            value.clone(),
            format!(
                "{key}: {} (in {}), which {component} reads as {value}",
                written_text(&written),
                place.shown
            ),
            vec![format!("{component} reads {key} as its defaulting does: {source}")],
        )),
        Field::Defaulted {
            written: None,
            value,
            source,
        } => Ok(Observation {
            shown: format!("absent from {} ({component} default: {value})", place.shown),
            value: Some(value),
            origin: Origin::Default {
                reference: source.to_string(),
            },
            base_dir: line.cwd.clone(),
            notes: Vec::new(),
        }),
        Field::Rejected(reason) => Err(format!(
            "{component} config file {}: {key}: {reason}",
            place.shown
        )),
        Field::Absent => Ok(defaulted(setting, setting.default.as_ref(), line, "default")),
    }
}

/// A value as an auditor reads it: an empty string is spelled `""`.
fn written_text(text: &str) -> &str {
    if text.is_empty() {
        "\"\""
    } else {
        text
    }
}

/// The setting in a config file that its component reads instead of its
/// flags (etcd's --config-file, kube-proxy's --config), or the component's
/// default when the file does not set it.
fn from_config_document(
    setting: &Setting,
    doc: &serde_json::Value,
    place: &ConfigPlace<'_>,
    line: &CommandLine,
) -> Result<Observation, String> {
    let Some(key) = &setting.config_key else {
        return Ok(defaulted(setting, setting.default.as_ref(), line, "default"));
    };
    let default = setting.default.as_ref().map(|d| d.value.as_str());
    let field = defaulting::field(setting, doc, key, Layer::Defaulted, default);
    from_field(setting, key, place, field, line)
}

fn observe_etcd(
    host: &HostContext<'_>,
    setting: &Setting,
    line: &CommandLine,
    from_flag: impl Fn(&CommandLine) -> Option<Observation>,
) -> Result<Observation, String> {
    if let Some((path, doc)) = etcd::config_file(host, &line.args, &line.env)? {
        let place = ConfigPlace { path: &path, shown: path.clone() };
        let mut observation = from_config_document(setting, &doc, &place, line)?;
        if let Some(ignored) = from_flag(line) {
            observation.notes.push(format!(
                "etcd loads {path} and ignores command-line flags, so {} is not in effect",
                ignored.shown
            ));
        }
        return Ok(observation);
    }
    let mut observation = if let Some(found) = from_flag(line) {
        found
    } else if let Some((name, value)) = setting
        .env
        .as_ref()
        .and_then(|name| etcd::env_value(&line.env, name).map(|v| (name, v)))
    {
        Observation {
            value: Some(value.to_string()),
            origin: Origin::Env { name: name.clone() },
            shown: format!("{name}={value}"),
            base_dir: line.cwd.clone(),
            notes: Vec::new(),
        }
    } else {
        defaulted(setting, setting.default.as_ref(), line, "default")
    };
    if setting.config_key.as_deref() == Some("data-dir") {
        etcd_data_dir(&mut observation, setting, line);
    }
    Ok(observation)
}

/// etcd without a config file: an empty or absent data directory is
/// `<name>.etcd` with the member's name from --name or ETCD_NAME
/// (etcdmain/etcd.go, after flags and environment are parsed).
fn etcd_data_dir(observation: &mut Observation, setting: &Setting, line: &CommandLine) {
    let given = observation.given();
    if given && observation.value.as_deref().is_some_and(|v| !v.is_empty()) {
        return;
    }
    let (name, from) = match line.args.effective("name", false, false) {
        Some(name) => (name, "--name".to_string()),
        None => match etcd::env_value(&line.env, "ETCD_NAME") {
            Some(name) => (name.to_string(), "ETCD_NAME".to_string()),
            None => ("default".to_string(), String::new()),
        },
    };
    let value = defaulting::etcd_data_dir(&name);
    if given {
        observation.shown = format!("{} (empty), which etcd reads as {value}", observation.shown);
    } else if from.is_empty() {
        // The documented default ("default.etcd") already says it.
        return;
    } else {
        let source = defaulting::rule(setting.component, "data-dir").map_or("", |r| r.source);
        observation.shown = format!("absent (etcd default: {value}, from {from})");
        observation.origin = Origin::Default {
            reference: source.to_string(),
        };
    }
    observation.value = Some(value);
}

fn observe_proxy(
    host: &HostContext<'_>,
    setting: &Setting,
    line: &CommandLine,
    from_flag: impl Fn(&CommandLine) -> Option<Observation>,
) -> Result<Observation, String> {
    let flag_or_default = |line: &CommandLine| {
        let mut observation = from_flag(line)
            .unwrap_or_else(|| defaulted(setting, setting.default.as_ref(), line, "default"));
        if setting.config_key.as_deref() == Some("metricsBindAddress") {
            proxy_flag_address(&mut observation, line);
        }
        observation
    };
    let Some(config) = line
        .args
        .effective("config", false, false)
        .filter(|c| !c.is_empty())
    else {
        return Ok(flag_or_default(line));
    };
    let path = process_path::resolve("kube-proxy --config", &config, line.cwd.as_deref())?;
    // kubeadm's kube-proxy reads its file inside its container: the file it
    // really sees is the one under its root, /proc/PID/root. Facts saved
    // before that was gathered have only the host's path.
    let rooted = line.pid.map(|pid| process_root_path(pid, &path));
    let facts = host.facts;
    let (read_as, place, doc) = match rooted.as_deref().map(|r| (r, config::read(facts, r))) {
        Some((rooted, doc @ (Doc::Text(_) | Doc::Missing))) => {
            let shown = format!("{path}, read through {}", rooted.strip_suffix(path.as_str()).unwrap_or(rooted));
            (rooted.to_string(), shown, doc)
        }
        Some((rooted, Doc::Unavailable(reason))) if reason != NOT_COLLECTED => {
            return Err(format!("kube-proxy config file {path} (read as {rooted}) {reason}"))
        }
        _ => (path.clone(), path.clone(), config::read(facts, &path)),
    };
    match doc {
        Doc::Text(text) => {
            let doc = host
                .parse(&read_as, text)
                .map_err(|e| format!("kube-proxy config file {place} could not be parsed: {e}"))?;
            let at = ConfigPlace { path: &path, shown: place.clone() };
            let mut observation = from_config_document(setting, &doc, &at, line)?;
            if let Some(ignored) = from_flag(line) {
                observation.notes.push(format!(
                    "kube-proxy loads {path} and ignores {}, so {} is not in effect",
                    setting.flag(),
                    ignored.shown
                ));
            }
            Ok(observation)
        }
        Doc::Missing => {
            let mut observation = flag_or_default(line);
            let seen = if read_as == path {
                format!("kube-proxy's --config file {path} is not on the host")
            } else {
                format!("kube-proxy's --config file {path} was not found through {}", read_as.strip_suffix(path.as_str()).unwrap_or(&read_as))
            };
            observation.notes.push(format!(
                "{seen} (kubeadm keeps it in the kube-system/kube-proxy ConfigMap): a value set there is not seen"
            ));
            Ok(observation)
        }
        Doc::Unavailable(reason) => Err(format!("kube-proxy config file {place} {reason}")),
    }
}

/// How `config::read` says a document was not asked for.
const NOT_COLLECTED: &str = "was not collected";

/// A path as process `pid` sees it, read from the host through its root.
pub fn process_root_path(pid: u32, path: &str) -> String {
    format!("/proc/{pid}/root{path}")
}

/// kube-proxy on flags: its metrics address goes through
/// `addressFromDeprecatedFlags` with `--metrics-port` (default 10249).
fn proxy_flag_address(observation: &mut Observation, line: &CommandLine) {
    let Some(address) = observation.value.clone() else {
        return;
    };
    let port = match line.args.effective("metrics-port", false, false) {
        Some(text) => match value::parse_int(&text) {
            Some(port) => port,
            None => return,
        },
        None => i64::from(defaulting::PROXY_STATUS_PORT),
    };
    let effective = defaulting::address_from_deprecated_flags(&address, port);
    if effective != address {
        observation.shown = format!(
            "{}, which kube-proxy reads as {}",
            observation.shown,
            written_text(&effective)
        );
        observation.value = Some(effective);
    }
}

/// A note when the static pod manifest would start the component with a
/// different value than the running process has: the next restart changes it.
fn manifest_disagreement(
    host: &HostContext<'_>,
    setting: &Setting,
    running: &CommandLine,
) -> Option<String> {
    let path = manifest_path(host.benchmark, setting.component)?;
    let planned = host.planned(setting.component);
    let planned = match planned.as_ref() {
        None => return None,
        Some(Err(_)) => {
            return Some(format!(
                "manifest {path} could not be parsed, so it was not compared with the running process"
            ))
        }
        Some(Ok(planned)) => planned,
    };
    let is_bool = setting.kind == ValueKind::Bool;
    let running_value = running
        .args
        .effective(&setting.name, is_bool, setting.repeats);
    let planned_value = planned.effective(&setting.name, is_bool, setting.repeats);
    if running_value == planned_value {
        return None;
    }
    Some(match planned.written(&setting.name) {
        Some(written) => format!("manifest {path} sets {written}"),
        None => format!("manifest {path} does not set {}", setting.flag()),
    })
}

/// The command line the static pod manifest would start `component` with,
/// derived once per host (`HostContext::planned`); `None` when the manifest
/// is not there as text.
fn derive_planned(host: &HostContext<'_>, component: Component) -> Option<Result<Args, String>> {
    let path = manifest_path(host.benchmark, component)?;
    let Doc::Text(text) = config::read(host.facts, &path) else {
        return None;
    };
    Some(manifest::argv(text).map(|argv| parse_args(host.benchmark, component, &argv)))
}

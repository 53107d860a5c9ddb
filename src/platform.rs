//! Platforms (distributions) as data: how each Kubernetes component is found
//! on a host of that platform, where its flags come from, which files its
//! flags name that the gathering must read, and how the platform itself is
//! recognised. Definitions live in `platforms/<id>.toml`; this module owns
//! their validated model and the built-in set. Reading the TOML is
//! `platform/load.rs`; telling which platform a host runs is
//! `platform/recognise.rs`.

pub mod load;
pub mod recognise;

use crate::component::Component;
use crate::facts::{Facts, Process};
use crate::toml_file::Problem;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

pub use load::LoadErrors;

/// One platform's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub id: String,
    pub title: String,
    pub recognise: Recognition,
    /// The distribution's own configuration (k3s, RKE2); `None` for kubeadm
    /// and the managed nodes, whose components are configured directly.
    pub distribution: Option<Distribution>,
    /// The components this platform runs, by component.
    pub components: BTreeMap<Component, ComponentDef>,
    /// Paths the platform keeps at fixed places, gathered whether or not a
    /// flag names them.
    pub gather: Fixed,
}

/// Evidence that a host runs a platform. A platform with none is a fallback:
/// it is chosen when no other platform is recognised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recognition {
    /// Processes only this platform runs (`rke2 server`).
    pub processes: Vec<ProcessMatch>,
    /// Text found in a component's reported version (`+rke2`, `-eks-`).
    pub version_suffixes: Vec<String>,
    /// Paths whose presence counts.
    pub markers: Vec<String>,
}

impl Recognition {
    pub fn is_fallback(&self) -> bool {
        self.processes.is_empty() && self.version_suffixes.is_empty() && self.markers.is_empty()
    }
}

/// A process as the gathering reports it: the basename of its argv[0], and
/// optionally its first argument (`k3s server`, `k3s agent`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProcessMatch {
    pub name: String,
    pub subcommand: Option<String>,
}

impl ProcessMatch {
    /// From `"name"` or `"name subcommand"`; `None` when the text is not
    /// one or two words of `[A-Za-z0-9._-]`.
    pub fn parse(text: &str) -> Option<ProcessMatch> {
        let mut words = text.split(' ');
        let name = words.next()?;
        let subcommand = words.next();
        let word = |w: &str| {
            w.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && w.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        };
        if words.next().is_some() || !word(name) || subcommand.is_some_and(|s| !word(s)) {
            return None;
        }
        Some(ProcessMatch { name: name.to_string(), subcommand: subcommand.map(str::to_string) })
    }

    pub fn matches(&self, process: &Process) -> bool {
        process.name == self.name
            && self
                .subcommand
                .as_ref()
                .is_none_or(|sub| process.argv.get(1).is_some_and(|a| a == sub))
    }
}

impl std::fmt::Display for ProcessMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.subcommand {
            Some(sub) => write!(f, "{} {sub}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A distribution's own configuration: its config file, the drop-ins that
/// override it, and the service units that start its process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribution {
    pub config: String,
    pub drop_ins: Option<String>,
    pub units: Vec<String>,
}

/// How one component is found and configured on the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentDef {
    /// The process that runs it: its own (`kube-apiserver`), or the
    /// distribution's when the component is built into it (`k3s server`).
    pub process: ProcessMatch,
    /// Where its flags come from.
    pub args: ArgsSource,
    /// Its static pod manifest: its flags when it is not running, its
    /// version from the image tag.
    pub manifest: Option<String>,
    /// The list key of the distribution config that adds its flags
    /// (`kube-apiserver-arg`).
    pub arg_key: Option<String>,
    /// Files its flags (or `env-prefix` variables) name, and what the
    /// gathering does with each.
    pub files: BTreeMap<String, FileAction>,
    /// Environment variables of its process that configure it (`ETCD_`).
    pub env_prefix: Option<String>,
}

/// Where a component's flags come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgsSource {
    /// The argv of its own process (or its static pod manifest when it is
    /// not running).
    Argv,
    /// Computed the way the distribution computes them: its built-in
    /// defaults, its config file and drop-ins, its command line (k3s).
    Distribution,
}

crate::names::named_enum! {
    /// What the gathering does with a file a flag names.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum FileAction {
        /// Read it (redacted, capped) as a configuration document.
        Read = "read",
        /// Read every configuration file directly inside the directory.
        ReadDir = "read-dir",
        /// Read it as the process sees it, through /proc/PID/root.
        ReadInRoot = "read-in-root",
        /// Fingerprint the certificate it holds.
        Fingerprint = "fingerprint",
    }
}

impl FileAction {
    /// The letter the gathering script's flag table uses (`src/gather.sh`).
    pub fn letter(self) -> char {
        match self {
            FileAction::Read => 'r',
            FileAction::ReadDir => 'd',
            FileAction::ReadInRoot => 'p',
            FileAction::Fingerprint => 'x',
        }
    }
}

/// Paths gathered on every host of the platform.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fixed {
    pub read: Vec<String>,
    pub stat: Vec<String>,
    pub fingerprint: Vec<String>,
}

impl Platform {
    pub fn component(&self, component: Component) -> Option<&ComponentDef> {
        self.components.get(&component)
    }

    /// The process judged as `component` on this host: among the processes
    /// that match, the ones that are what their name says (`Process::standing`),
    /// lowest PID first. `None` when the component does not run.
    pub fn process<'f>(&self, facts: &'f Facts, component: Component) -> Option<&'f Process> {
        let def = self.component(component)?;
        facts.judged(|p| def.process.matches(p))
    }

    /// The process matches of every component, deduplicated, in order.
    pub fn processes(&self) -> Vec<&ProcessMatch> {
        let mut all: Vec<&ProcessMatch> = self.components.values().map(|c| &c.process).collect();
        all.extend(&self.recognise.processes);
        all.sort();
        all.dedup();
        all
    }
}

/// The ids of the built-in platforms, sorted.
pub fn builtin_ids() -> Vec<&'static str> {
    BUILTIN.iter().map(|(id, _)| *id).collect()
}

// The embedded definitions, found by build.rs.
include!(concat!(env!("OUT_DIR"), "/platforms.rs"));

/// A built-in platform by id, read from its embedded definition.
pub fn load_builtin(id: &str) -> Result<Platform, LoadErrors> {
    let Some((_, text)) = BUILTIN.iter().find(|(name, _)| *name == id) else {
        let message = format!("no such built-in platform; built in: {}", builtin_ids().join(", "));
        return Err(LoadErrors(vec![Problem::in_file(Path::new(id), message)]));
    };
    load::load(&format!("platforms/{id}.toml"), text)
}

/// The built-in platforms, read once: they are constants of this binary
/// (a test proves each one valid), like the gathering script.
static BUILTIN_PLATFORMS: LazyLock<Vec<Platform>> = LazyLock::new(|| {
    builtin_ids()
        .into_iter()
        .map(|id| load_builtin(id).unwrap_or_else(|e| panic!("built-in platform {id} is invalid: {e}")))
        .collect()
});

/// Every built-in platform, in id order.
pub fn all() -> &'static [Platform] {
    &BUILTIN_PLATFORMS
}

/// A built-in platform by id.
pub fn get(id: &str) -> Option<&'static Platform> {
    all().iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_file_is_built_in_under_its_own_id() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("platforms");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().into_string().unwrap().strip_suffix(".toml").map(String::from))
            .collect();
        files.sort();
        assert_eq!(builtin_ids(), files);
    }

    #[test]
    fn every_builtin_platform_loads() {
        for id in builtin_ids() {
            let platform = load_builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(platform.id, id);
        }
    }

    #[test]
    fn process_matches() {
        let table = [
            ("kube-apiserver", Some(("kube-apiserver", None))),
            ("k3s server", Some(("k3s", Some("server")))),
            ("k3s  server", None),
            ("k3s server x", None),
            ("", None),
            ("k3s/x", None),
            (".", None),
            ("-x", None),
            ("rke2 agent", Some(("rke2", Some("agent")))),
        ];
        for (text, want) in table {
            let got = ProcessMatch::parse(text);
            let want = want.map(|(n, s)| ProcessMatch { name: n.into(), subcommand: s.map(Into::into) });
            assert_eq!(got, want, "{text:?}");
        }
        let process = |name: &str, argv: &[&str]| Process {
            name: name.into(),
            pid: 1,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cwd: None,
            env: Vec::new(),
            owner: None,
        };
        let server = ProcessMatch::parse("k3s server").unwrap();
        assert!(server.matches(&process("k3s", &["/usr/local/bin/k3s", "server"])));
        assert!(!server.matches(&process("k3s", &["/usr/local/bin/k3s", "agent"])));
        assert!(!server.matches(&process("k3s", &["/usr/local/bin/k3s"])));
        assert!(ProcessMatch::parse("k3s").unwrap().matches(&process("k3s", &["k3s", "agent"])));
    }
}

//! Components a distribution runs inside its own process (k3s): their
//! command lines are not on the host to read, so they are computed the way
//! the distribution computes them (`crate::distro`) from what the gathering
//! read: the unit that starts the process, its drop-ins and environment
//! files, the distribution's config files, and its built-in defaults for
//! the host's version. This module feeds the facts to that computation and
//! finds, for a host, which unit to start from.

use super::config::{self, Doc};
use crate::component::Component;
use crate::distro::component_args::{ComponentArgs, NotRunning};
use crate::distro::host::{self, Computed, HostFiles};
use crate::facts::{Facts, FileFact, StartedBy};
use crate::platform::{ArgsSource, Platform};
use crate::version;

/// The facts as the computation reads them.
struct Gathered<'f>(&'f Facts);

impl HostFiles for Gathered<'_> {
    fn read(&self, path: &str) -> host::Doc<'_> {
        match config::read(self.0, path) {
            Doc::Text(text) => host::Doc::Text(text),
            Doc::Missing => host::Doc::Missing,
            Doc::Unavailable(reason) => host::Doc::Unavailable(reason),
        }
    }

    /// The files of a directory the plan read whole (`r:DIR`): the
    /// documents directly inside it.
    fn list(&self, dir: &str) -> Option<Vec<String>> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let names: Vec<String> = self
            .0
            .documents
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter_map(|(path, _)| path.strip_prefix(&prefix).filter(|name| !name.contains('/')).map(String::from))
            .collect();
        (!names.is_empty()).then_some(names)
    }

    fn exists(&self, path: &str) -> Option<bool> {
        match self.0.files.get(path) {
            Some(FileFact::Present(_)) => Some(true),
            Some(FileFact::Missing) => Some(false),
            _ => None,
        }
    }

    fn hostname(&self) -> Option<&str> {
        self.0.identity.hostname.as_deref()
    }
}

/// The distribution's computed configuration on this host; `None` when
/// the platform runs no component inside its own process, or no such
/// process runs here. `Err` says why it could not be computed.
pub fn compute(facts: &Facts, platform: &Platform) -> Option<Result<Computed, String>> {
    let def = platform.components.values().find(|d| d.args == ArgsSource::Distribution)?;
    let distribution = platform.distribution.as_ref()?;
    let process = facts.judged(|p| platform.recognise.processes.iter().any(|m| m.matches(p)) || def.process.matches(p))?;
    // The unit the service manager started it from: its cgroup names it;
    // else the first of the platform's units the host has, for its
    // subcommand (`k3s agent` runs from k3s-agent.service).
    let started_by = process.owner.as_ref().and_then(|o| match &o.started_by {
        StartedBy::Service { unit } => Some(unit.clone()),
        _ => None,
    });
    let subcommand = process.argv.get(1).map(String::as_str).unwrap_or("");
    let name_of = |path: &str| path.rsplit('/').next().unwrap_or(path).to_string();
    let wanted: Option<String> = started_by.or_else(|| {
        distribution
            .units
            .iter()
            .filter(|u| matches!(config::read(facts, u), Doc::Text(_)))
            .map(|u| name_of(u))
            .find(|name| (subcommand == "agent") == name.contains("agent"))
    });
    let Some(wanted) = wanted else {
        return Some(Err(format!(
            "{} {subcommand} runs, but none of its service units ({}) was found",
            process.name,
            distribution.units.join(", ")
        )));
    };
    let candidates: Vec<&String> = distribution.units.iter().filter(|u| name_of(u) == wanted).collect();
    let Some(unit) = candidates.iter().find(|u| matches!(config::read(facts, u), Doc::Text(_))) else {
        return Some(Err(format!("{} runs from {wanted}, which was not found among {}", process.name, distribution.units.join(", "))));
    };
    let drop_in_dirs: Vec<String> = candidates.iter().map(|u| format!("{u}.d")).collect();
    let drop_in_dirs: Vec<&str> = drop_in_dirs.iter().map(String::as_str).collect();
    let minor = version::seen(facts).and_then(|seen| version::minor(&seen.version)).unwrap_or_default();
    let chosen = match crate::distro::defaults::builtin(&platform.id, &minor) {
        Ok(chosen) => chosen,
        Err(e) => return Some(Err(e.to_string())),
    };
    Some(host::compute(&chosen.defaults, unit, &drop_in_dirs, &Gathered(facts)).map_err(|e| e.to_string()))
}

/// Whether `component` runs on the host, as its platform runs it: its
/// process is there (and is what its name says), or, for a component the
/// distribution runs inside its own process, the distribution's computed
/// configuration runs it (k3s runs etcd only with embedded etcd).
pub fn runs(
    facts: &Facts,
    platform: &Platform,
    distribution: Option<&Result<Computed, String>>,
    component: Component,
) -> bool {
    match platform.component(component) {
        Some(def) if def.args == ArgsSource::Distribution => {
            matches!(distribution, Some(Ok(computed)) if self::component(computed, component).is_ok())
        }
        Some(_) => platform.process(facts, component).is_some(),
        None => false,
    }
}

/// A component's computed arguments, or why it does not run here.
pub fn component(computed: &Computed, component: Component) -> Result<&ComponentArgs, String> {
    match computed.components.iter().find(|(c, _)| *c == component) {
        Some((_, Ok(args))) => Ok(args),
        Some((_, Err(why))) => Err(not_running(computed, component, why)),
        None => Err(format!("{component} is not one of the components this distribution runs")),
    }
}

fn not_running(computed: &Computed, component: Component, why: &NotRunning) -> String {
    match why {
        NotRunning::NotInSubcommand { subcommand } => format!("{component} does not run in `{subcommand}`"),
        NotRunning::Disabled { option, source } => format!("{component} is disabled by {option} ({source})"),
        NotRunning::ConditionUnmet { .. } => match computed.datastore.as_ref().and_then(|d| d.etcd_not_applicable.as_ref()) {
            Some(reason) if component == Component::Etcd => reason.clone(),
            _ => format!("{component} does not run with this configuration"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Document, Owner, Process};

    fn text(content: &str) -> Document {
        Document::Text { content: content.into(), truncated: false }
    }

    /// A k3s agent as the gathering sees it: its process (title rewritten),
    /// the unit and its environment file, config.yaml and the kubelet's
    /// drop-in directory.
    fn agent(cgroup: &str) -> Facts {
        let mut facts = Facts::default();
        facts.processes.push(Process {
            name: "k3s".into(),
            pid: 900,
            argv: vec!["/usr/local/bin/k3s".into(), "agent".into()],
            cwd: Some("/".into()),
            env: Vec::new(),
            owner: Some(Owner { uid: 0, euid: 0, cgroup: Some(cgroup.into()), started_by: StartedBy::from_cgroup(Some(cgroup)) }),
        });
        let docs = [
            (
                "/etc/systemd/system/k3s-agent.service",
                "[Service]\nEnvironmentFile=-/etc/systemd/system/k3s-agent.service.env\nExecStart=/usr/local/bin/k3s agent\n",
            ),
            ("/etc/systemd/system/k3s-agent.service.env", "K3S_URL=https://10.0.0.1:6443\n"),
            ("/etc/rancher/k3s/config.yaml", "kubelet-arg:\n  - read-only-port=10255\n"),
            ("/var/lib/rancher/k3s/agent/etc/kubelet.conf.d/00-k3s-defaults.conf", "readOnlyPort: 0\n"),
        ];
        for (path, content) in docs {
            facts.documents.insert(path.into(), text(content));
        }
        for path in ["/etc/systemd/system/k3s.service", "/etc/systemd/system/k3s-agent.service.d", "/etc/rancher/k3s/config.yaml.d"] {
            facts.documents.insert(path.into(), Document::Missing);
        }
        facts.versions.insert(
            "k3s".into(),
            crate::facts::VersionFact::Reported { text: "k3s version v1.33.5+k3s1 (a1b2)".into(), source: None },
        );
        facts
    }

    #[test]
    fn a_k3s_agent_runs_the_kubelet_with_its_arguments_and_no_apiserver() {
        let k3s = crate::platform::get("k3s").unwrap();
        // The unit found by the process's cgroup, and by its subcommand when
        // the cgroup names no service.
        for cgroup in ["/system.slice/k3s-agent.service", "/user.slice/user-0.slice/session-1.scope"] {
            let facts = agent(cgroup);
            let computed = compute(&facts, k3s).expect("k3s runs").expect("computed");
            let kubelet = component(&computed, Component::Kubelet).unwrap();
            assert!(kubelet.argv().contains(&"--read-only-port=10255".to_string()), "{:?}", kubelet.argv());
            assert_eq!(
                component(&computed, Component::KubeApiserver).unwrap_err(),
                "kube-apiserver does not run in `agent`"
            );
            assert!(runs(&facts, k3s, Some(&Ok(computed.clone())), Component::Kubelet));
            assert!(!runs(&facts, k3s, Some(&Ok(computed)), Component::KubeApiserver));
        }
    }

    #[test]
    fn what_cannot_be_computed_says_why() {
        let k3s = crate::platform::get("k3s").unwrap();
        // No k3s process: nothing to compute.
        assert_eq!(compute(&Facts::default(), k3s), None);
        // The unit the cgroup names is not among those gathered.
        let facts = agent("/system.slice/k3s-custom.service");
        let err = compute(&facts, k3s).unwrap().unwrap_err();
        assert!(err.starts_with("k3s runs from k3s-custom.service, which was not found among"), "{err}");
        // A drop-in that could not be read makes the computation fail, not
        // silently ignore it.
        let mut facts = agent("/system.slice/k3s-agent.service");
        facts.documents.insert("/etc/rancher/k3s/config.yaml.d/50-x.yaml".into(), Document::Error { reason: "Permission denied".into() });
        let err = compute(&facts, k3s).unwrap().unwrap_err();
        assert!(err.contains("50-x.yaml") && err.contains("Permission denied"), "{err}");
        // kubeadm runs no component in a process of its own.
        assert_eq!(compute(&facts, crate::platform::get("kubeadm").unwrap()), None);
    }

    #[test]
    fn a_directory_read_whole_lists_its_files() {
        let mut facts = Facts::default();
        for path in ["/d/a.yaml", "/d/b.yaml", "/d/sub/c.yaml", "/dx/e.yaml"] {
            facts.documents.insert(path.into(), text("x"));
        }
        let gathered = Gathered(&facts);
        assert_eq!(gathered.list("/d"), Some(vec!["a.yaml".to_string(), "b.yaml".to_string()]));
        assert_eq!(gathered.list("/d/"), Some(vec!["a.yaml".to_string(), "b.yaml".to_string()]));
        assert_eq!(gathered.list("/none"), None);
        facts.files.insert("/gone".into(), FileFact::Missing);
        assert_eq!(Gathered(&facts).exists("/gone"), Some(false));
        assert_eq!(Gathered(&facts).exists("/unknown"), None);
    }
}

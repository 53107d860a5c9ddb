//! One host's audit, assembled from its gathered facts: which roles it is
//! audited as, which checks apply, and their outcomes. Pure: time and facts
//! come in, a `HostReport` goes out; under `--benchmark auto`, one for each
//! benchmark the run may still choose (`Audited`).

use crate::benchmark::Benchmark;
use crate::component::{Component, Role};
use crate::eval;
use crate::facts::Facts;
use crate::gather::Gathering;
use crate::outcome::{CheckResult, HostReport, Outcome, Status};
use crate::select::{Disposition, Selection};
use crate::transport::{HostError, HostErrorKind};
use crate::version;
use std::sync::Arc;

mod role_hint;

/// Who a host is, independent of how its facts were obtained.
#[derive(Clone, Debug)]
pub struct HostIdentity {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub sudo: bool,
    /// Roles from the inventory; `None` means detect them.
    pub roles: Option<Vec<Role>>,
}

/// The roles a host plays, judged from the components running on it. A
/// process that only carries a component's name (`Facts::impostors`) gives
/// no role.
pub fn detect_roles(facts: &Facts) -> Vec<Role> {
    let mut roles: Vec<Role> = Component::ALL
        .into_iter()
        .filter(|&component| facts.process(component).is_some())
        .map(Component::role)
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// The benchmarks the run may use (one, or every built-in one for
/// `--benchmark auto`), each with the checks selected in it.
#[derive(Clone, Debug)]
pub struct Candidates {
    pub benchmarks: Vec<Benchmark>,
    /// One per benchmark, in the same order.
    pub selections: Vec<Selection>,
}

/// One host's results under every candidate benchmark, so that its facts
/// can be dropped as soon as it is audited: `--benchmark auto` chooses
/// once every host's version is known.
#[derive(Clone, Debug)]
pub struct Audited {
    /// One report per candidate, in the candidates' order.
    pub reports: Vec<HostReport>,
}

impl Audited {
    /// The Kubernetes version the host reported: every candidate's report
    /// holds the same one.
    pub fn kubernetes_version(&self) -> Option<&str> {
        self.reports.first()?.kubernetes_version.as_deref()
    }
}

pub fn against_candidates(host: &HostIdentity, gathering: &Gathering, candidates: &Candidates) -> Audited {
    Audited {
        reports: (candidates.benchmarks.iter().zip(&candidates.selections))
            .map(|(benchmark, selection)| host_report(host, gathering, benchmark, selection))
            .collect(),
    }
}

fn host_report(
    host: &HostIdentity,
    gathering: &Gathering,
    benchmark: &Benchmark,
    selection: &Selection,
) -> HostReport {
    let (roles, roles_detected) = match (&host.roles, &gathering.result) {
        (Some(roles), _) => (roles.clone(), false),
        (None, Ok(facts)) => (detect_roles(facts), true),
        (None, Err(_)) => (Vec::new(), true),
    };
    let identity = gathering.result.as_ref().map(|f| f.identity.clone()).unwrap_or_default();
    let k8s_version = gathering.result.as_ref().ok().and_then(version::seen);
    let impostors = gathering.result.as_ref().map(Facts::impostors).unwrap_or_default();
    let seen = gathering.result.as_ref().ok().map(role_hint::Seen::of);
    let result = gathering.result.as_ref().map_err(Clone::clone).and_then(|facts| {
        if roles.is_empty() {
            return Err(HostError::new(
                HostErrorKind::NoRoles,
                format!(
                    "no Kubernetes component runs on {} and the inventory gives it no roles; nothing to audit",
                    host.name
                ),
            ));
        }
        // One host, one benchmark: what its checks derive from the facts
        // is derived once.
        Ok(crate::kube::memo::for_host(|| {
            evaluate_host(facts, &roles, benchmark, selection)
        }))
    });
    // Declared roles that disagree with what runs get one note.
    let notes = match (&host.roles, &seen, &result) {
        (Some(declared), Some(seen), Ok(results)) => role_hint::note(declared, seen, results).into_iter().collect(),
        _ => Vec::new(),
    };
    HostReport {
        name: host.name.clone(),
        address: host.address.clone(),
        port: host.port,
        roles,
        roles_detected,
        user: host.user.clone(),
        sudo: host.sudo,
        effective_user: identity.effective_user,
        reported_hostname: identity.hostname,
        machine_id: identity.machine_id,
        host_key: gathering.host_key.clone(),
        kubernetes_version: k8s_version.as_ref().map(|s| s.version.clone()),
        kubernetes_version_source: k8s_version.map(|s| s.source),
        impostors,
        started_at: gathering.started_at,
        duration: gathering.duration,
        result,
        notes,
    }
}

/// Every selected check whose target is one of the host's roles, in
/// benchmark order.
pub fn evaluate_host(facts: &Facts, roles: &[Role], benchmark: &Benchmark, selection: &Selection) -> Vec<CheckResult> {
    benchmark
        .checks
        .iter()
        .filter(|check| roles.contains(&check.target))
        .filter_map(|check| {
            let outcome = match selection.disposition(check) {
                Disposition::Omit => return None,
                Disposition::Skip => Outcome {
                    status: Status::Skip,
                    expected: String::new(),
                    actual: "skipped with --skip".into(),
                    sources: Vec::new(),
                    notes: Vec::new(),
                },
                Disposition::Evaluate => eval::evaluate(facts, benchmark, check),
            };
            Some(CheckResult {
                id: Arc::clone(&check.id),
                title: Arc::clone(&check.title),
                section: Arc::clone(&check.section),
                target: check.target,
                automated: check.automated,
                scored: check.scored,
                level: check.level.number(),
                remediation: benchmark.remediation_for(check, &outcome),
                outcome,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::tests::process;

    #[test]
    fn an_impostor_gives_no_role() {
        let session = "/user.slice/user-1000.slice/session-3.scope";
        let mut facts = Facts {
            processes: vec![
                process(Component::Kubelet, 58, 0, "/system.slice/kubelet.service"),
                process(Component::KubeApiserver, 1005, 65534, session),
                process(Component::Etcd, 1006, 65534, session),
            ],
            ..Facts::default()
        };
        assert_eq!(detect_roles(&facts), [Role::Worker]);
        // etcd as user etcd under its own service is etcd.
        facts.processes.push(process(Component::Etcd, 70, 998, "/system.slice/etcd.service"));
        assert_eq!(detect_roles(&facts), [Role::Etcd, Role::Worker]);
    }

    /// With only an impostor running, the component is not running: it is
    /// judged from its static pod manifest, and the impostor's insecure
    /// flags count for nothing.
    #[test]
    fn beside_an_impostor_only_the_manifest_is_judged() {
        use crate::facts::Document;
        use crate::outcome::Source;
        let benchmark = crate::benchmark::load_builtin("cis-1.12").unwrap();
        let selection = Selection::new(&benchmark, &["1.2.6".to_string()], &[], None).unwrap();
        let mut impostor = process(Component::KubeApiserver, 1005, 65534, "/user.slice/user-1000.slice/session-3.scope");
        impostor.argv.push("--authorization-mode=AlwaysAllow".into());
        let manifest = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --authorization-mode=Node,RBAC\n";
        let facts = Facts {
            processes: vec![impostor],
            documents: [(
                "/etc/kubernetes/manifests/kube-apiserver.yaml".to_string(),
                Document::Text { content: manifest.into(), truncated: false },
            )]
            .into(),
            ..Facts::default()
        };
        let results = crate::kube::memo::for_host(|| evaluate_host(&facts, &[Role::ControlPlane], &benchmark, &selection));
        assert_eq!(results.len(), 1);
        let outcome = &results[0].outcome;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert!(matches!(&outcome.sources[..], [Source::Manifest { .. }]), "{:?}", outcome.sources);
        assert_eq!(facts.impostors().len(), 1);
    }
}

//! The hint that a host's declared roles may be wrong. A worker declared
//! `roles = ["control-plane"]` is audited as a control plane, and most of
//! its checks are errors because no control-plane component is there to
//! read; without a word about the roles, the cause is hard to see. When the
//! inventory's roles disagree with the roles the running components show,
//! the host gets one note saying how, and what to do about it.

use super::{detect_roles, Distribution};
use crate::kube::distribution::runs;
use crate::component::{Component, Role};
use crate::facts::Facts;
use crate::platform::Platform;
use crate::outcome::{CheckResult, Status};

/// What the running components show about a host's roles.
pub(super) struct Seen {
    roles: Vec<Role>,
    /// The components that show those roles, in component order.
    components: Vec<Component>,
}

impl Seen {
    pub(super) fn of(facts: &Facts, platform: &Platform, distribution: Option<&Distribution>) -> Seen {
        let roles = detect_roles(facts, platform, distribution);
        let components: Vec<Component> =
            Component::ALL.into_iter().filter(|&c| runs(facts, platform, distribution, c)).collect();
        Seen { roles, components }
    }
}

/// The note for a host whose declared roles disagree with what runs on it,
/// or `None` when they agree.
pub(super) fn note(declared: &[Role], seen: &Seen, results: &[CheckResult]) -> Option<String> {
    let absent: Vec<Role> = declared.iter().copied().filter(|r| !seen.roles.contains(r)).collect();
    let undeclared: Vec<Role> = seen.roles.iter().copied().filter(|r| !declared.contains(r)).collect();
    if absent.is_empty() && undeclared.is_empty() {
        return None;
    }
    let running = if seen.components.is_empty() {
        "no Kubernetes component runs on it".to_owned()
    } else {
        format!(
            "{} {} on it",
            names(seen.components.iter().map(|c| c.name())),
            if seen.components.len() == 1 { "runs" } else { "run" }
        )
    };
    let mut findings = Vec::new();
    for role in absent {
        let of_role = results.iter().filter(|r| r.target == role);
        let (total, errors) = of_role.fold((0, 0), |(t, e), r| (t + 1, e + usize::from(r.outcome.status == Status::Error)));
        findings.push(match (errors, total) {
            (0, _) => format!("no {role} component runs"),
            (1, 1) => format!("no {role} component runs, and its one {role} check is an error"),
            (e, t) if e == t => format!("no {role} component runs, and all {t} {role} checks are errors"),
            (e, t) => format!("no {role} component runs, and {e} of its {t} {role} checks are errors"),
        });
    }
    for role in undeclared {
        findings.push(format!("{role} is not declared, so its checks were not run"));
    }
    Some(format!(
        "the roles may be wrong: the inventory declares {}, but {running} ({}): {}. \
         Correct the host's roles in the inventory, or remove them to have them detected.",
        names(declared.iter().map(|r| r.name())),
        if seen.roles.is_empty() { "no role".to_owned() } else { names(seen.roles.iter().map(|r| r.name())) },
        findings.join("; "),
    ))
}

/// `a`, `a and b`, `a, b and c`.
fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Process;
    use crate::outcome::Outcome;
    use std::sync::Arc;

    fn facts(components: &[Component]) -> Facts {
        let mut facts = Facts::default();
        for (pid, &component) in (100..).zip(components) {
            facts.processes.push(Process {
                name: component.name().to_owned(),
                pid,
                argv: vec![component.name().to_owned()],
                cwd: None,
                env: Vec::new(),
                owner: None,
            });
        }
        facts
    }

    fn result(target: Role, status: Status) -> CheckResult {
        CheckResult {
            id: Arc::from("x"),
            title: Arc::from("t"),
            section: Arc::from("s"),
            target,
            automated: true,
            scored: true,
            level: 1,
            remediation: Arc::from(""),
            outcome: Outcome {
                status,
                expected: String::new(),
                actual: String::new(),
                sources: Vec::new(),
                notes: Vec::new(),
                automated_verdict: None,
            },
            verdict: status,
            waiver: None,
            attestation: None,
        }
    }

    #[test]
    fn declared_roles_against_running_components() {
        use Component::{Etcd, KubeApiserver, KubeControllerManager, KubeProxy, KubeScheduler, Kubelet};
        use Role::{ControlPlane as Cp, Etcd as E, Worker as W};
        let control_plane = [KubeApiserver, KubeControllerManager, KubeScheduler, Etcd, Kubelet, KubeProxy];
        let one_pass = [result(Cp, Status::Pass)];
        let one_error = [result(E, Status::Error)];
        let three_errors = [result(Cp, Status::Error), result(Cp, Status::Error), result(Cp, Status::Pass), result(Cp, Status::Error)];
        // (declared, running, results, note)
        type Case<'a> = (&'a [Role], &'a [Component], &'a [CheckResult], Option<&'a str>);
        let cases: Vec<Case> = vec![
            (&[Cp, E, W], &control_plane, &[], None),
            (&[W], &[Kubelet, KubeProxy], &[], None),
            (&[W], &[Kubelet], &[], None),
            // A worker declared a control plane.
            (
                &[Cp],
                &[Kubelet, KubeProxy],
                &three_errors,
                Some(
                    "the roles may be wrong: the inventory declares control-plane, but kubelet and kube-proxy run on it \
                     (worker): no control-plane component runs, and 3 of its 4 control-plane checks are errors; \
                     worker is not declared, so its checks were not run. \
                     Correct the host's roles in the inventory, or remove them to have them detected.",
                ),
            ),
            // A stopped control plane judged from its manifests: no errors to count.
            (
                &[Cp, W],
                &[Kubelet],
                &one_pass,
                Some(
                    "the roles may be wrong: the inventory declares control-plane and worker, but kubelet runs on it \
                     (worker): no control-plane component runs. \
                     Correct the host's roles in the inventory, or remove them to have them detected.",
                ),
            ),
            // A control plane declared without etcd, which runs there.
            (
                &[Cp, W],
                &control_plane,
                &[],
                Some(
                    "the roles may be wrong: the inventory declares control-plane and worker, but kube-apiserver, \
                     kube-controller-manager, kube-scheduler, etcd, kubelet and kube-proxy run on it \
                     (control-plane, etcd and worker): etcd is not declared, so its checks were not run. \
                     Correct the host's roles in the inventory, or remove them to have them detected.",
                ),
            ),
            (
                &[E],
                &[],
                &one_error,
                Some(
                    "the roles may be wrong: the inventory declares etcd, but no Kubernetes component runs on it \
                     (no role): no etcd component runs, and its one etcd check is an error. \
                     Correct the host's roles in the inventory, or remove them to have them detected.",
                ),
            ),
        ];
        for (declared, running, results, expected) in cases {
            let kubeadm = crate::platform::get("kubeadm").unwrap();
            let got = note(declared, &Seen::of(&facts(running), kubeadm, None), results);
            assert_eq!(got.as_deref(), expected, "{declared:?} {running:?}");
        }
    }
}

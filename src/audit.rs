//! One host's audit, assembled from its gathered facts: which benchmark
//! judges it (under `--benchmark auto`, the one for its platform and
//! version), which roles it is audited as, which checks apply, and their
//! outcomes. Pure: time and facts come in, a `HostReport` goes out.

use crate::benchmark::Benchmark;
use crate::component::{Component, Role};
use crate::eval;
use crate::facts::Facts;
use crate::gather::Gathering;
use crate::kube;
use crate::outcome::{BenchmarkInfo, CheckResult, HostReport, Outcome, Status};
use crate::platform::{self, Platform};
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

/// The roles a host plays, judged from the components running on it, as
/// its platform runs them. A process that only carries a component's name
/// (`Facts::impostors`) gives no role.
pub fn detect_roles(facts: &Facts, platform: &Platform, distribution: Option<&Distribution>) -> Vec<Role> {
    let mut roles: Vec<Role> = Component::ALL
        .into_iter()
        .filter(|&component| kube::distribution::runs(facts, platform, distribution, component))
        .map(Component::role)
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// A distribution's computed configuration on a host (`kube::distribution`).
pub type Distribution = Result<crate::distro::host::Computed, String>;

/// The benchmarks the run may use (the one `--benchmark` named, or every
/// built-in one for `--benchmark auto`), each with the checks selected in it.
#[derive(Clone, Debug)]
pub struct Candidates {
    pub benchmarks: Vec<Benchmark>,
    /// One per benchmark, in the same order.
    pub selections: Vec<Selection>,
    /// `--benchmark auto`: each host gets the benchmark of its platform and
    /// version (`version::choose`); otherwise the one benchmark judges every host.
    pub auto: bool,
}

/// The platform a host runs, and what showed it: the one its facts show
/// (`platform::recognise`), or, under `--benchmark ID`, that benchmark's.
struct Recognised {
    platform: &'static Platform,
    evidence: String,
    notes: Vec<String>,
}

fn recognise(candidates: &Candidates, facts: &Facts) -> Recognised {
    if !candidates.auto {
        let platform = candidates.benchmarks[0].platform_def();
        return Recognised { platform, evidence: "the platform of --benchmark".into(), notes: Vec::new() };
    }
    match platform::recognise::recognise(facts, platform::all()) {
        Some(seen) => Recognised { platform: seen.platform, evidence: seen.evidence, notes: seen.notes },
        None => unreachable!("kubeadm's definition asks for no evidence: it is the fallback platform"),
    }
}

/// Which candidate judges the host, and the whole reason (its
/// `selected_by`): the one `--benchmark` named, else the one for its
/// platform and version. One no benchmark fits is an error of its own, and
/// every other host is still audited.
fn choose(
    candidates: &Candidates,
    recognised: &Recognised,
    seen: Option<&version::Seen>,
) -> Result<(version::Choice, String), HostError> {
    if !candidates.auto {
        return Ok(named());
    }
    let id = &recognised.platform.id;
    let choice = version::choose(&candidates.benchmarks, id, seen)
        .map_err(|no| HostError::new(HostErrorKind::NoBenchmark, no.to_string()))?;
    let selected_by = format!("auto: platform {id} ({}); {}", recognised.evidence, choice.why);
    Ok((choice, selected_by))
}

/// The choice `--benchmark ID` makes: its one candidate.
fn named() -> (version::Choice, String) {
    (version::Choice { index: 0, why: "--benchmark".to_string(), covered: true }, "--benchmark".to_string())
}

/// Audits one host under the benchmark chosen for it, so that its facts
/// can be dropped as soon as it is audited.
pub fn audit(host: &HostIdentity, gathering: &Gathering, candidates: &Candidates) -> HostReport {
    let facts = gathering.result.as_ref().ok();
    let recognised = facts.map(|facts| recognise(candidates, facts));
    // Computed once per host, for its roles and every check.
    let distribution = facts.zip(recognised.as_ref()).and_then(|(f, r)| kube::distribution::compute(f, r.platform));
    let (roles, roles_detected) = match (&host.roles, facts, &recognised) {
        (Some(roles), _, _) => (roles.clone(), false),
        (None, Some(facts), Some(seen)) => (detect_roles(facts, seen.platform, distribution.as_ref()), true),
        _ => (Vec::new(), true),
    };
    let identity = facts.map(|f| f.identity.clone()).unwrap_or_default();
    let k8s_version = facts.and_then(version::seen);
    let impostors = facts.map(Facts::impostors).unwrap_or_default();
    let seen = facts.zip(recognised.as_ref()).map(|(f, r)| role_hint::Seen::of(f, r.platform, distribution.as_ref()));
    // Under --benchmark ID even a host that could not be gathered is one
    // that benchmark would have judged.
    let chosen = match &recognised {
        Some(r) => Some(choose(candidates, r, k8s_version.as_ref())),
        None if !candidates.auto => Some(Ok(named())),
        None => None,
    };
    let choice = chosen.as_ref().and_then(|c| c.as_ref().ok());
    let benchmark = choice.map(|(choice, selected_by)| {
        let benchmark = &candidates.benchmarks[choice.index];
        BenchmarkInfo {
            id: benchmark.id.clone(),
            title: benchmark.title.clone(),
            sha256: benchmark.sha256.clone(),
            selected_by: selected_by.clone(),
        }
    });
    // A benchmark standing in for the host's version is said beside the
    // results, and so is a host that shows signs of several platforms.
    let stand_in = choice
        .filter(|(choice, _)| !choice.covered)
        .map(|(choice, _)| format!("judged by {}: {}", candidates.benchmarks[choice.index].id, choice.why));
    let mut platform_notes = recognised.as_ref().map(|r| r.notes.clone()).unwrap_or_default();
    // A distribution without etcd on the host (k3s on SQLite) says why the
    // etcd checks are not there.
    if let Some(Ok(computed)) = &distribution {
        let no_etcd = computed.datastore.as_ref().and_then(|d| d.etcd_not_applicable.as_ref());
        platform_notes.extend(no_etcd.map(|reason| format!("the etcd checks do not apply: {reason}")));
    }
    let result = gathering.result.as_ref().map_err(Clone::clone).and_then(|facts| {
        let index = chosen.expect("a host with facts has a recognised platform")?.0.index;
        if roles.is_empty() {
            return Err(HostError::new(
                HostErrorKind::NoRoles,
                format!(
                    "no Kubernetes component runs on {} and the inventory gives it no roles; nothing to audit",
                    host.name
                ),
            ));
        }
        let (benchmark, selection) = (&candidates.benchmarks[index], &candidates.selections[index]);
        Ok(evaluate_host(facts, &roles, benchmark, selection, distribution.as_ref()))
    });
    // Declared roles that disagree with what runs get one note.
    let role_note = match (&host.roles, &seen, &result) {
        (Some(declared), Some(seen), Ok(results)) => role_hint::note(declared, seen, results),
        _ => None,
    };
    let notes = stand_in.into_iter().chain(platform_notes).chain(role_note).collect();
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
        benchmark,
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
pub fn evaluate_host(
    facts: &Facts,
    roles: &[Role],
    benchmark: &Benchmark,
    selection: &Selection,
    distribution: Option<&Distribution>,
) -> Vec<CheckResult> {
    // One host, one benchmark: what its checks derive from the facts is
    // derived once, in this context.
    let host = kube::HostContext::new(facts, benchmark, distribution);
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
                    automated_verdict: None,
                },
                Disposition::Evaluate => eval::evaluate(&host, check),
            };
            Some(CheckResult {
                id: Arc::clone(&check.id),
                title: Arc::clone(&check.title),
                section: Arc::clone(&check.section),
                target: check.target,
                automated: check.automated,
                scored: check.scored,
                level: check.level.number(),
                remediation: eval::remediation(benchmark, check, &outcome),
                verdict: outcome.status,
                outcome,
                waiver: None,
                attestation: None,
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
        let kubeadm = crate::platform::get("kubeadm").unwrap();
        assert_eq!(detect_roles(&facts, kubeadm, None), [Role::Worker]);
        // etcd as user etcd under its own service is etcd.
        facts.processes.push(process(Component::Etcd, 70, 998, "/system.slice/etcd.service"));
        assert_eq!(detect_roles(&facts, kubeadm, None), [Role::Etcd, Role::Worker]);
    }

    /// Two benchmarks for kubeadm: the built-in cis-1.12 and, built here,
    /// an older one for 1.29–1.31 that lacks 4.2.1 (so which one judged a
    /// host shows in its results).
    fn two_benchmarks(auto: bool) -> Candidates {
        let newer = crate::benchmark::load_builtin("cis-1.12").unwrap();
        let mut older = newer.clone();
        older.id = "test-1.11".into();
        older.title = "An older test benchmark".into();
        older.sha256 = "b".repeat(64);
        older.kubernetes = vec!["1.29".into(), "1.30".into(), "1.31".into()];
        older.checks.retain(|check| &*check.id != "4.2.1");
        let benchmarks = if auto { vec![newer, older] } else { vec![older] };
        let selections = benchmarks.iter().map(|b| Selection::new(b, &[], &[], None).unwrap()).collect();
        Candidates { benchmarks, selections, auto }
    }

    /// A worker whose kubelet reports `version` (none: no version read),
    /// or one that could not be gathered.
    fn worker(version: Option<&str>, reachable: bool) -> Gathering {
        use crate::facts::VersionFact;
        let mut facts =
            Facts { processes: vec![process(Component::Kubelet, 58, 0, "/system.slice/kubelet.service")], ..Facts::default() };
        if let Some(version) = version {
            let reported = VersionFact::Reported { text: format!("Kubernetes {version}"), source: None };
            facts.versions.insert(Component::Kubelet.name().into(), reported);
        }
        Gathering {
            started_at: chrono::DateTime::parse_from_rfc3339("2026-11-29T16:00:00+00:00").unwrap(),
            duration: std::time::Duration::from_millis(10),
            host_key: None,
            result: if reachable { Ok(facts) } else { Err(HostError::new(HostErrorKind::Connect, "refused")) },
        }
    }

    fn identity(name: &str) -> HostIdentity {
        HostIdentity { name: name.into(), address: "192.0.2.1".into(), port: 22, user: "audit".into(), sudo: true, roles: None }
    }

    /// One inventory, several clusters: each host is judged by the
    /// benchmark of its own version, and only by it; a host no benchmark
    /// fits is an error of its own.
    #[test]
    fn each_host_is_judged_by_the_benchmark_for_its_version() {
        let candidates = two_benchmarks(true);
        let kubelet = "kubelet: kubelet --version";
        // (kubernetes version, reachable, benchmark id, selected_by, note, error)
        type Case<'a> = (Option<&'a str>, bool, Option<&'a str>, String, Option<&'a str>, Option<&'a str>);
        let fallback = crate::platform::recognise::recognise(&Facts::default(), crate::platform::all()).unwrap();
        let auto = format!("auto: platform kubeadm ({}); ", fallback.evidence);
        let cases: [Case; 6] = [
            (Some("v1.33.4"), true, Some("cis-1.12"), format!("{auto}kubernetes v1.33.4 ({kubelet}); cis-1.12 covers 1.32–1.33"), None, None),
            (Some("v1.30.4"), true, Some("test-1.11"), format!("{auto}kubernetes v1.30.4 ({kubelet}); test-1.11 covers 1.29–1.31"), None, None),
            (
                Some("v1.36.0"),
                true,
                Some("cis-1.12"),
                format!("{auto}kubernetes v1.36.0 ({kubelet}) is newer than every benchmark for kubeadm; the newest: cis-1.12 covers 1.32–1.33"),
                Some("judged by cis-1.12: kubernetes v1.36.0 (kubelet: kubelet --version) is newer than every benchmark for kubeadm; the newest: cis-1.12 covers 1.32–1.33"),
                None,
            ),
            (
                None,
                true,
                Some("cis-1.12"),
                format!("{auto}no Kubernetes version could be read; the newest benchmark for kubeadm: cis-1.12 covers 1.32–1.33"),
                Some("judged by cis-1.12: no Kubernetes version could be read; the newest benchmark for kubeadm: cis-1.12 covers 1.32–1.33"),
                None,
            ),
            (
                Some("v1.28.9"),
                true,
                None,
                String::new(),
                None,
                Some("[no-benchmark] kubernetes v1.28.9 (kubelet: kubelet --version) is older than every benchmark for platform kubeadm this hardbench knows (the oldest: test-1.11 covers 1.29–1.31); choose one explicitly with --benchmark"),
            ),
            (Some("v1.33.4"), false, None, String::new(), None, Some("[connect] refused")),
        ];
        for (version, reachable, id, selected_by, note, error) in cases {
            let report = audit(&identity("w"), &worker(version, reachable), &candidates);
            let context = format!("{version:?} reachable={reachable}: {report:#?}");
            assert_eq!(report.benchmark.as_ref().map(|b| b.id.as_str()), id, "{context}");
            if let Some(benchmark) = &report.benchmark {
                assert_eq!(benchmark.selected_by, selected_by, "{context}");
                let judged = candidates.benchmarks.iter().find(|b| b.id == benchmark.id).unwrap();
                assert_eq!((&benchmark.title, &benchmark.sha256), (&judged.title, &judged.sha256));
                // Judged by that benchmark alone: the older one has no 4.2.1.
                let results = report.result.as_ref().unwrap();
                let has_4_2_1 = results.iter().any(|r| &*r.id == "4.2.1");
                assert_eq!(has_4_2_1, benchmark.id == "cis-1.12", "{context}");
            }
            match note {
                Some(note) => assert_eq!(report.notes, [note], "{context}"),
                None => assert!(report.notes.is_empty(), "{context}"),
            }
            match (error, &report.result) {
                (Some(error), Err(e)) => assert_eq!(format!("[{}] {}", e.kind, e.message), error),
                (None, Ok(_)) => {}
                _ => panic!("{context}"),
            }
            // The version seen is reported whether or not a benchmark fits it.
            assert_eq!(report.kubernetes_version.as_deref(), version.filter(|_| reachable), "{context}");
        }
    }

    /// `--benchmark ID` judges every host by it, whatever its version,
    /// even one that could not be gathered (it would have been judged by it).
    #[test]
    fn a_named_benchmark_judges_every_host() {
        let candidates = two_benchmarks(false);
        for (version, reachable) in [(Some("v1.33.4"), true), (Some("v1.28.9"), true), (None, true), (None, false)] {
            let report = audit(&identity("w"), &worker(version, reachable), &candidates);
            let benchmark = report.benchmark.as_ref().expect("named");
            assert_eq!((benchmark.id.as_str(), benchmark.selected_by.as_str()), ("test-1.11", "--benchmark"));
            assert_eq!(report.result.is_ok(), reachable, "{report:#?}");
            assert!(report.notes.is_empty(), "{report:#?}");
        }
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
        let results = evaluate_host(&facts, &[Role::ControlPlane], &benchmark, &selection, None);
        assert_eq!(results.len(), 1);
        let outcome = &results[0].outcome;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert!(matches!(&outcome.sources[..], [Source::Manifest { .. }]), "{:?}", outcome.sources);
        assert_eq!(facts.impostors().len(), 1);
    }
}

//! Reports for the writers' tests: a representative run (`report`), and the
//! same run with every string replaced by hostile host output (`hostile`).

use crate::component::{Component, Role};
use crate::facts::{Impostor, StartedBy};
use crate::outcome::{
    BenchmarkInfo, CheckResult, HostReport, Invocation, Origin, Outcome, Report, Scope, Source, Status, Waiver,
};
use crate::outcome::diff::Diff;
use crate::transport::{HostError, HostErrorKind, HostKeyInfo};
use chrono::{DateTime, FixedOffset};
use std::time::Duration;

/// Every character a host could send that a report must not pass on as
/// itself, with the markup characters XML and terminals care about.
pub(crate) const HOSTILE: &str =
    "nul:\0 bel:\x07 bs:\x08 tab:\t lf:\n cr:\r esc:\x1b[31mred\x1b[0m \
     osc:\x1b]0;pwned\x07 del:\x7f csi:\u{9b}2J cdata:]]> lt:< gt:> amp:& quot:\" apos:' \
     fffd:\u{fffd} fffe:\u{fffe} ffff:\u{ffff} rlo:\u{202e} lri:\u{2066} ls:\u{2028} end";

pub(crate) fn time(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("a valid RFC 3339 time")
}

/// One check result; the identity is made up from the id.
pub(crate) fn check(
    id: &str,
    title: &str,
    target: Role,
    status: Status,
    expected: &str,
    actual: &str,
) -> CheckResult {
    CheckResult {
        id: id.into(),
        title: title.into(),
        section: id
            .rsplit_once('.')
            .map_or(id, |(section, _)| section)
            .into(),
        target,
        automated: status != Status::Manual,
        scored: status != Status::Warn,
        level: 1,
        remediation: format!("Remediate {id}.").into(),
        outcome: Outcome {
            status,
            expected: expected.to_owned(),
            actual: actual.to_owned(),
            sources: vec![],
            notes: vec![],
            automated_verdict: None,
        },
        verdict: status,
        waiver: None,
        attestation: None,
    }
}

/// A waiver of `checks` on every host, written at line 1 of `waivers.toml`.
pub(crate) fn waiver(checks: &[&str], expires: &str) -> Waiver {
    Waiver {
        scope: Scope::new(checks.iter().map(|c| c.to_string()).collect(), Vec::new(), Vec::new()),
        reason: "EventRateLimit breaks our admission webhook".to_owned(),
        approved_by: "Security team (CHG-1234)".to_owned(),
        expires: expires.parse().expect("a date"),
        origin: Origin { file: "waivers.toml".into(), line: 1 },
    }
}

fn with_sources(mut result: CheckResult, sources: Vec<Source>) -> CheckResult {
    result.outcome.sources = sources;
    result
}

pub(crate) fn benchmark() -> BenchmarkInfo {
    BenchmarkInfo {
        id: "cis-1.12".to_owned(),
        title: "CIS Kubernetes Benchmark v1.12.0".to_owned(),
        sha256: "5d41402abc4b2a76b9719d911017c592c2d1d3c6a3b8d5b1a0e2c0f4e5d6a7b8".to_owned(),
        selected_by: "auto: platform kubeadm (no other platform recognised); kubernetes v1.33.4 \
                      (kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in \
                      /etc/kubernetes/manifests/kube-apiserver.yaml); cis-1.12 covers 1.32–1.33"
            .to_owned(),
    }
}

/// An audited host with the given results.
pub(crate) fn ok_host(
    name: &str,
    address: &str,
    roles: Vec<Role>,
    results: Vec<CheckResult>,
) -> HostReport {
    HostReport {
        name: name.to_owned(),
        address: address.to_owned(),
        port: 22,
        roles,
        roles_detected: false,
        user: "hbaudit".to_owned(),
        sudo: true,
        effective_user: Some("root".to_owned()),
        reported_hostname: Some(name.to_owned()),
        machine_id: Some("0123456789abcdef0123456789abcdef".to_owned()),
        host_key: Some(HostKeyInfo {
            algorithm: "ssh-ed25519".to_owned(),
            fingerprint: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s".to_owned(),
            recorded: false,
        }),
        benchmark: Some(benchmark()),
        kubernetes_version: Some("v1.33.4".to_owned()),
        kubernetes_version_source: Some(
            "kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in /etc/kubernetes/manifests/kube-apiserver.yaml"
                .to_owned(),
        ),
        impostors: Vec::new(),
        started_at: time("2026-11-22T16:40:00.250+00:00"),
        duration: Duration::from_millis(1234),
        result: Ok(results),
        notes: Vec::new(),
    }
}

/// A nobody-owned kube-apiserver a local user started from /tmp.
pub(crate) fn impostor() -> Impostor {
    let cgroup = "/user.slice/user-1000.slice/session-3.scope";
    Impostor {
        component: Component::KubeApiserver.name().to_string(),
        pid: 1005,
        uid: Some(65534),
        argv0: "/tmp/kube-apiserver".to_owned(),
        cgroup: Some(cgroup.to_owned()),
        started_by: Some(StartedBy::from_cgroup(Some(cgroup))),
        reason: "runs as uid 65534, not root, and neither kube-apiserver.service nor the kubelet \
                 started it (cgroup /user.slice/user-1000.slice/session-3.scope)"
            .to_owned(),
    }
}

/// A host that could not be audited.
pub(crate) fn error_host(
    name: &str,
    address: &str,
    kind: HostErrorKind,
    message: &str,
) -> HostReport {
    HostReport {
        name: name.to_owned(),
        address: address.to_owned(),
        port: 22,
        roles: vec![Role::Worker],
        roles_detected: false,
        user: "hbaudit".to_owned(),
        sudo: true,
        effective_user: None,
        reported_hostname: None,
        machine_id: None,
        host_key: None,
        // Under `--benchmark auto`, a host that could not be gathered is judged by none.
        benchmark: None,
        kubernetes_version: None,
        kubernetes_version_source: None,
        impostors: Vec::new(),
        started_at: time("2026-11-22T16:40:00.300+00:00"),
        duration: Duration::from_millis(5002),
        result: Err(HostError::new(kind, message)),
        notes: Vec::new(),
    }
}

pub(crate) fn run(hosts: Vec<HostReport>) -> Report {
    Report {
        hardbench_version: "0.1.0".to_owned(),
        invocation: Invocation { command: "run".into(), benchmark: "auto".into(), ..Invocation::default() },
        waivers: Vec::new(),
        attestations: Vec::new(),
        review_date: time("2026-11-22T16:40:00+00:00").date_naive(),
        started_at: time("2026-11-22T16:40:00+00:00"),
        finished_at: time("2026-11-22T16:40:07.5+00:00"),
        hosts,
        interrupted_by: None,
        report_missing: false,
        baseline: None,
    }
}

/// Two audited hosts with every status between them, and one unreachable
/// host.
pub(crate) fn report() -> Report {
    let s = |text: &str| text.to_owned();
    let mut profiling = with_sources(
        check(
            "1.2.15",
            "Ensure that the --profiling argument is set to false",
            Role::ControlPlane,
            Status::Fail,
            "false",
            "true",
        ),
        vec![Source::Flag {
            component: s("kube-apiserver"),
            flag: s("--profiling"),
        }],
    );
    profiling.remediation = "Edit the API server pod specification file \
        /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the below \
        parameter.\n--profiling=false"
        .into();
    let mut manual = check(
        "1.2.1",
        "Ensure that the --anonymous-auth argument is set to false",
        Role::ControlPlane,
        Status::Manual,
        "false, unless anonymous health checks are needed",
        "true",
    );
    manual.outcome.sources = vec![Source::Default {
        component: s("kube-apiserver"),
        reference: s("kube-apiserver --help"),
    }];
    let mut anonymous = with_sources(
        check(
            "4.2.1",
            "Ensure that the --anonymous-auth argument is set to false",
            Role::Worker,
            Status::Pass,
            "false",
            "false",
        ),
        vec![Source::ConfigFile {
            path: s("/var/lib/kubelet/config.yaml"),
            key: s("authentication.anonymous.enabled"),
        }],
    );
    anonymous.outcome.notes = vec![s("the kubelet config has a drop-in directory")];
    let cp_good = ok_host(
        "cp-good",
        "127.0.10.1",
        vec![Role::ControlPlane, Role::Etcd, Role::Worker],
        vec![
            with_sources(
                check(
                    "1.1.1",
                    "Ensure that the API server pod specification file permissions are set to 600 or more restrictive",
                    Role::ControlPlane,
                    Status::Pass,
                    "mode 600 or more restrictive",
                    "600",
                ),
                vec![Source::File { path: s("/etc/kubernetes/manifests/kube-apiserver.yaml") }],
            ),
            manual,
            with_sources(
                check(
                    "1.1.12",
                    "Ensure that the etcd data directory ownership is set to etcd:etcd",
                    Role::ControlPlane,
                    Status::Error,
                    "etcd:etcd",
                    "the etcd data directory could not be found: etcd has no --data-dir",
                ),
                vec![Source::Flag { component: s("etcd"), flag: s("--data-dir") }],
            ),
            profiling,
            with_sources(
                check(
                    "1.2.6",
                    "Ensure that the --kubelet-certificate-authority argument is set as appropriate",
                    Role::ControlPlane,
                    Status::Warn,
                    "set",
                    "not set",
                ),
                vec![Source::Unset { component: s("kube-apiserver") }],
            ),
            check("2.1", "Ensure that the --cert-file and --key-file arguments are set as appropriate", Role::Etcd, Status::Skip, "set", "deselected with --skip"),
            anonymous.clone(),
        ],
    );
    let mut worker = ok_host(
        "worker-1",
        "10.0.0.12",
        vec![Role::Worker],
        vec![
            anonymous,
            with_sources(
                check(
                    "4.2.2",
                    "Ensure that the --authorization-mode argument is not set to AlwaysAllow",
                    Role::Worker,
                    Status::Fail,
                    "not AlwaysAllow",
                    "AlwaysAllow",
                ),
                vec![
                    Source::Flag {
                        component: s("kubelet"),
                        flag: s("--config"),
                    },
                    Source::ConfigFile {
                        path: s("/var/lib/kubelet/config.yaml"),
                        key: s("authorization.mode"),
                    },
                ],
            ),
            check(
                "4.3.1",
                "Ensure that the kube-proxy metrics service is bound to localhost",
                Role::Worker,
                Status::NotApplicable,
                "--metrics-bind-address matches localhost",
                "not applicable: kube-proxy does not run on this host",
            ),
        ],
    );
    worker.port = 2222;
    worker.roles_detected = true;
    worker.sudo = false;
    worker.kubernetes_version = None;
    worker.kubernetes_version_source = None;
    if let Some(benchmark) = &mut worker.benchmark {
        benchmark.selected_by = "auto: platform kubeadm (no other platform recognised); no Kubernetes version \
                                 could be read; the newest benchmark for kubeadm: cis-1.12 covers 1.32–1.33"
            .to_owned();
    }
    run(vec![
        cp_good,
        worker,
        error_host(
            "worker-3",
            "10.0.0.13",
            HostErrorKind::Connect,
            "worker-3 (10.0.0.13:22): connection refused",
        ),
    ])
}

/// `report()` with every string, from host names to remediation, replaced
/// by one that carries `HOSTILE`.
pub(crate) fn hostile() -> Report {
    let h = |label: &str| format!("{label} {HOSTILE}");
    let mut report = report();
    for host in &mut report.hosts {
        if let Some(benchmark) = &mut host.benchmark {
            benchmark.title = h("title");
            benchmark.selected_by = h("selected");
        }
        host.name = h(&host.name);
        host.address = h(&host.address);
        host.user = h("user");
        host.kubernetes_version = host.kubernetes_version.as_ref().map(|_| h("version"));
        host.kubernetes_version_source = host.kubernetes_version_source.as_ref().map(|_| h("source"));
        if host.result.is_ok() {
            let mut impostor = impostor();
            impostor.argv0 = h("argv0");
            impostor.cgroup = Some(h("cgroup"));
            impostor.started_by = Some(StartedBy::Service { unit: h("unit") });
            impostor.reason = h("reason");
            host.impostors = vec![impostor];
        }
        if let Some(key) = &mut host.host_key {
            key.fingerprint = h("SHA256:");
        }
        match &mut host.result {
            Ok(results) => {
                for result in results {
                    result.title = h(&result.title).into();
                    result.section = h(&result.section).into();
                    result.remediation = h("remediation").into();
                    result.outcome.expected = h("expected");
                    result.outcome.actual = h("actual");
                    result.outcome.notes = vec![h("note")];
                    result.outcome.sources = vec![
                        Source::ConfigFile {
                            path: h("/etc/path"),
                            key: h("key"),
                        },
                        Source::Flag {
                            component: h("c"),
                            flag: h("--flag"),
                        },
                    ];
                }
            }
            Err(error) => error.message = h("refused"),
        }
    }
    report
}

/// A diff with a host of each kind: one compared check by check, one
/// unreachable in the newer report, one judged by another benchmark,
/// one added and one removed.
pub(crate) fn diff() -> Diff {
    let worker = |id: &str, status| check(id, &format!("title {id}"), Role::Worker, status, "", "");
    let old = run(vec![
        ok_host("w-1", "10.0.0.1", vec![Role::Worker], vec![worker("4.1.1", Status::Pass), worker("4.2.1", Status::Fail), worker("4.2.2", Status::Pass), worker("4.2.3", Status::Error)]),
        ok_host("w-2", "10.0.0.2", vec![Role::Worker], vec![worker("4.1.1", Status::Pass)]),
        ok_host("w-3", "10.0.0.3", vec![Role::Worker], vec![worker("4.1.1", Status::Pass)]),
        ok_host("w-old", "10.0.0.4", vec![Role::Worker], vec![]),
    ]);
    let mut other = ok_host("w-3", "10.0.0.3", vec![Role::Worker], vec![worker("4.1.1", Status::Fail)]);
    other.benchmark.as_mut().unwrap().id = "cis-1.11".into();
    let new = run(vec![
        ok_host("w-1", "10.0.0.1", vec![Role::Worker], vec![worker("4.1.1", Status::Fail), worker("4.2.1", Status::Pass), worker("4.2.2", Status::Pass), worker("4.2.3", Status::Pass)]),
        error_host("w-2", "10.0.0.2", HostErrorKind::Connect, "w-2 (10.0.0.2:22): connection refused"),
        other,
        ok_host("w-new", "10.0.0.5", vec![Role::Worker], vec![]),
    ]);
    crate::diff::compare(&old, Some("old.json".into()), &new, None)
}

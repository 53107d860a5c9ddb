//! Evaluates one check against one host's facts. Pure: no IO, no clock, no
//! logging; one `Check` serves every host.
//!
//! A test yields a verdict: pass, fail, error (a fact it needs could not be
//! collected, with the host's reason), or not applicable (what it is about
//! is not on this host: a file or directory an `if-exists` test names, the
//! file an `if-set` setting would name, a component an `if-running` test
//! is about; with the reason). Combinations use Kleene logic: `all` fails
//! if any part fails, else errors if any part errors; `any` passes if any
//! part passes, else errors if any part errors; a part that does not apply
//! counts for nothing, and a combination none of whose parts applies does
//! not apply. Then the check's kind decides the status: automated →
//! pass/fail (warn when unscored), not-applicable or error; manual →
//! `manual`, with what was observed and what automated evaluation would
//! have said in a note (a person still looks: a manual check's test looks
//! at the usual place only).

mod ca;
mod combine;
mod documents;
mod remediation;
mod tree;

use crate::benchmark::{mode_text, Check, Predicate, Setting, Test};
use crate::facts::{FileFact, FileKind, FileStat};
use crate::kube::{self, HostContext};
use crate::platform::Platform;
use crate::outcome::{Outcome, Source, Status};
use crate::value::Value;

pub use remediation::remediation;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    Error,
    /// The check does not apply to the host; the judgement's `actual` says why.
    NotApplicable,
}

/// What one test concluded, with its evidence.
struct Judgement {
    verdict: Verdict,
    expected: String,
    actual: String,
    sources: Vec<Source>,
    notes: Vec<String>,
    /// The file a file test judged: its words do not name it (the source
    /// does), so a combination of such tests names it (see `combine`).
    subject: Option<String>,
}

impl Judgement {
    fn new(verdict: Verdict, expected: String, actual: String) -> Judgement {
        Judgement {
            verdict,
            expected,
            actual,
            sources: Vec::new(),
            notes: Vec::new(),
            subject: None,
        }
    }

    fn passed(pass: bool, expected: String, actual: String) -> Judgement {
        Judgement::new(
            if pass { Verdict::Pass } else { Verdict::Fail },
            expected,
            actual,
        )
    }

    /// The check does not apply to the host, for `reason` (what is absent
    /// from it), which `actual` gives.
    fn not_applicable(expected: String, reason: &str) -> Judgement {
        Judgement::new(Verdict::NotApplicable, expected, format!("not applicable: {reason}"))
    }
}

/// `host` holds the host's facts and the benchmark; `audit` builds it once
/// per host and evaluates every check of that host in it.
pub fn evaluate(host: &HostContext<'_>, check: &Check) -> Outcome {
    let Some(test) = &check.test else {
        return Outcome {
            status: Status::Manual,
            expected: "reviewed by a person (see the remediation)".into(),
            actual: "nothing is observed automatically for this recommendation".into(),
            sources: Vec::new(),
            notes: Vec::new(),
            automated_verdict: None,
        };
    };
    let judgement = judge(host, test);
    let verdict = match judgement.verdict {
        Verdict::Pass => Status::Pass,
        Verdict::Fail => Status::Fail,
        Verdict::Error => Status::Error,
        Verdict::NotApplicable => Status::NotApplicable,
    };
    let (status, automated_verdict) = match verdict {
        _ if !check.automated => (Status::Manual, Some(verdict)),
        Status::Fail if !check.scored => (Status::Warn, None),
        _ => (verdict, None),
    };
    Outcome {
        status,
        expected: judgement.expected,
        actual: judgement.actual,
        sources: judgement.sources,
        notes: judgement.notes,
        automated_verdict,
    }
}

fn judge(host: &HostContext<'_>, test: &Test) -> Judgement {
    let (facts, benchmark) = (host.facts, host.benchmark);
    match test {
        Test::Setting { setting, predicate, if_running } => {
            let setting = benchmark.setting(*setting);
            if *if_running && !host.runs(setting.component) {
                return Judgement::not_applicable(
                    predicate.expected(&setting.flag()),
                    &format!("{} does not run on this host", setting.component),
                );
            }
            judge_setting(host, setting, predicate)
        }
        Test::File {
            paths,
            predicate,
            if_exists,
        } => judge_file(host, paths, predicate, *if_exists),
        Test::FileFrom {
            setting,
            predicate,
            if_set,
            if_exists,
        } => judge_file_from(
            host,
            benchmark.setting(*setting),
            predicate,
            (*if_set, *if_exists),
        ),
        Test::Tree {
            dir,
            suffix,
            predicate,
            if_exists,
        } => tree::judge_tree(facts, dir, suffix.as_deref(), predicate, *if_exists),
        Test::Encryption { setting } => {
            documents::judge_encryption(host, benchmark.setting(*setting))
        }
        Test::AuditPolicy { setting } => {
            documents::judge_audit_policy(host, benchmark.setting(*setting))
        }
        Test::DistinctCa { ca, other } => ca::judge_distinct_ca(
            host,
            benchmark.setting(*ca),
            benchmark.setting(*other),
        ),
        Test::All(tests) => combine::combine(
            tests.iter().map(|t| judge(host, t)).collect(),
            true,
        ),
        Test::Any(tests) => combine::combine(
            tests.iter().map(|t| judge(host, t)).collect(),
            false,
        ),
    }
}

fn judge_setting(host: &HostContext<'_>, setting: &Setting, predicate: &Predicate) -> Judgement {
    let expected = predicate.expected(&setting.flag());
    let observation = match kube::observe(host, setting) {
        Ok(o) => o,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let typed = observation
        .value
        .as_deref()
        .map(|text| Value::parse(setting.kind, text));
    let mut judgement = match typed {
        Some(Err(problem)) => Judgement::new(
            Verdict::Fail,
            expected,
            format!("{} (the value {problem})", observation.shown),
        ),
        Some(Ok(value)) => {
            let pass = predicate.test_value(Some(&value), observation.given());
            let mut actual = observation.shown.clone();
            if let (false, Predicate::SubsetOf(allowed), Value::List(items)) =
                (pass, predicate, &value)
            {
                let outside: Vec<&str> = items
                    .iter()
                    .filter(|i| !allowed.contains(i))
                    .map(String::as_str)
                    .collect();
                actual += &format!(" (outside the allowed set: {})", outside.join(", "));
            }
            Judgement::passed(pass, expected, actual)
        }
        None => Judgement::passed(
            predicate.test_value(None, false),
            expected,
            observation.shown.clone(),
        ),
    };
    judgement.sources.push(observation.source(setting));
    judgement.notes = observation.notes;
    judgement
}

fn judge_file(
    host: &HostContext<'_>,
    paths: &[String],
    predicate: &Predicate,
    if_exists: bool,
) -> Judgement {
    let expected = predicate.expected("file");
    for path in paths {
        let mut judgement = match host.facts.files.get(path) {
            None => Judgement::new(Verdict::Error, expected, format!("{path} was not collected")),
            Some(FileFact::Error { reason }) => Judgement::new(
                Verdict::Error,
                expected,
                format!("{path} could not be examined: {reason}"),
            ),
            Some(FileFact::Missing) => continue,
            Some(FileFact::Present(stat)) => judge_stat(path, stat, predicate, expected),
        };
        judgement.subject = Some(path.clone());
        return judgement;
    }
    let mut judgement = match paths {
        [one] if if_exists => Judgement::not_applicable(expected, &missing_file(host.benchmark.platform_def(), one)),
        [one] => Judgement::new(Verdict::Fail, expected, format!("file {one} does not exist")),
        many if if_exists => {
            Judgement::not_applicable(expected, &format!("none of {} exists on this host", many.join(", ")))
        }
        many => Judgement::new(Verdict::Fail, expected, format!("none of {} exists", many.join(", "))),
    };
    judgement.sources = paths
        .iter()
        .map(|p| Source::File { path: p.clone() })
        .collect();
    if let [one] = paths {
        judgement.subject = Some(one.clone());
    }
    judgement
}

/// Judges an existing file's metadata.
fn test_file(predicate: &Predicate, stat: &FileStat) -> bool {
    match predicate {
        Predicate::ModeAtMost(mask) => stat.mode & 0o7777 & !mask == 0,
        Predicate::Owner { user, group } => {
            stat.user.as_deref() == Some(user.as_str())
                && stat.group.as_deref() == Some(group.as_str())
        }
        Predicate::Exists => true,
        _ => false,
    }
}

/// Why an `if-exists` test of `path` does not apply: it is not there, and
/// for a static pod manifest of the platform what that means.
fn missing_file(platform: &Platform, path: &str) -> String {
    let manifest_of = platform.components.iter().find(|(_, def)| def.manifest.as_deref() == Some(path));
    match manifest_of {
        Some((component, _)) => {
            format!("{path} does not exist on this host ({component} does not run as a static pod here)")
        }
        None => format!("{path} does not exist on this host"),
    }
}

fn judge_stat(path: &str, stat: &FileStat, predicate: &Predicate, expected: String) -> Judgement {
    let pass = test_file(predicate, stat);
    let actual = match predicate {
        Predicate::ModeAtMost(_) => format!("permissions {}", mode_text(stat.mode)),
        Predicate::Owner { .. } => owner_text(stat, pass),
        _ => format!("file {path} exists"),
    };
    let mut judgement = Judgement::passed(pass, expected, actual);
    judgement.sources.push(Source::File { path: path.into() });
    if stat.kind == FileKind::Symlink {
        judgement.notes.push(format!(
            "{path} is a symbolic link; the link's own metadata was judged, not its target's"
        ));
    }
    judgement
}

fn owner_text(stat: &FileStat, pass: bool) -> String {
    let user = stat.user.clone().unwrap_or_else(|| stat.uid.to_string());
    let group = stat.group.clone().unwrap_or_else(|| stat.gid.to_string());
    if pass {
        format!("owner {user}:{group}")
    } else {
        format!("owner {user}:{group} (uid {}, gid {})", stat.uid, stat.gid)
    }
}

fn judge_file_from(
    host: &HostContext<'_>,
    setting: &Setting,
    predicate: &Predicate,
    (if_set, if_exists): (bool, bool),
) -> Judgement {
    let expected = predicate.expected("file");
    let observation = match kube::observe(host, setting) {
        Ok(o) => o,
        Err(reason) => return Judgement::new(Verdict::Error, expected, reason),
    };
    let source = observation.source(setting);
    let Some(path) = observation.value.as_deref().filter(|p| !p.is_empty()) else {
        let actual = format!("{} runs without {}", setting.component, setting.flag());
        let mut judgement = if if_set {
            Judgement::not_applicable(expected, &actual)
        } else {
            Judgement::new(Verdict::Fail, expected, actual)
        };
        judgement.sources.push(source);
        return judgement;
    };
    let path = match observation.resolve(path) {
        Ok(path) => path,
        Err(actual) => return Judgement::new(Verdict::Error, expected, actual),
    };
    let mut judgement = judge_file(host, std::slice::from_ref(&path), predicate, if_exists);
    judgement.sources.insert(0, source);
    judgement.notes.splice(0..0, observation.notes);
    judgement
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::load_builtin;
    use crate::facts::Facts;
    use crate::component::Component;
    use crate::facts::{Document, Process};
    use crate::benchmark::Operator;

    /// Builds a host's facts for a test.
    #[derive(Default)]
    struct Host(Facts);

    fn host() -> Host {
        Host::default()
    }

    impl Host {
        fn run(mut self, component: Component, args: &str) -> Host {
            let mut argv = vec![component.name().to_string()];
            argv.extend(
                args.split(' ')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
            );
            self.0.processes.push(Process {
                name: component.name().to_string(),
                pid: 100,
                argv,
                cwd: Some("/".into()),
                env: Vec::new(),
                owner: None,
            });
            self
        }

        fn env(mut self, name: &str, value: &str) -> Host {
            self.0
                .processes
                .last_mut()
                .unwrap()
                .env
                .push((name.into(), value.into()));
            self
        }

        fn doc(mut self, path: &str, content: &str) -> Host {
            self.0.documents.insert(
                path.into(),
                Document::Text {
                    content: content.into(),
                    truncated: false,
                },
            );
            self
        }

        fn doc_state(mut self, path: &str, document: Document) -> Host {
            self.0.documents.insert(path.into(), document);
            self
        }

        fn manifest(self, component: Component, args: &[&str]) -> Host {
            let mut yaml = format!("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    command:\n    - {}\n", component.name());
            for arg in args {
                yaml.push_str(&format!("    - {arg}\n"));
            }
            self.doc(
                &format!("/etc/kubernetes/manifests/{}.yaml", component.name()),
                &yaml,
            )
        }

        fn file(mut self, path: &str, mode: u32, owner: (&str, u32), group: (&str, u32)) -> Host {
            let name = |n: &str| (!n.is_empty()).then(|| n.to_string());
            let stat = FileStat {
                kind: FileKind::File,
                mode,
                uid: owner.1,
                gid: group.1,
                user: name(owner.0),
                group: name(group.0),
            };
            self.0.files.insert(path.into(), FileFact::Present(stat));
            self
        }

        fn file_state(mut self, path: &str, fact: FileFact) -> Host {
            self.0.files.insert(path.into(), fact);
            self
        }
    }

    const APISERVER: &str = "/etc/kubernetes/manifests/kube-apiserver.yaml";
    const KUBELET_CONFIG: &str = "/var/lib/kubelet/config.yaml";

    #[track_caller]
    fn case(host: &Host, check: &str, status: Status, actual: &str) -> Outcome {
        let benchmark = load_builtin("cis-1.12").unwrap();
        let outcome = evaluate(&HostContext::new(&host.0, &benchmark, None), benchmark.check(check).unwrap());
        assert_eq!(
            (outcome.status, outcome.actual.as_str()),
            (status, actual),
            "{check}: {outcome:#?}"
        );
        outcome
    }

    #[test]
    fn apiserver_flags() {
        use Component::KubeApiserver as A;
        let o = case(
            &host().run(A, "--profiling=true"),
            "1.2.15",
            Status::Fail,
            "--profiling=true",
        );
        assert_eq!(o.expected, "--profiling is false");
        assert_eq!(
            o.sources,
            [Source::Flag {
                component: "kube-apiserver".into(),
                flag: "--profiling".into()
            }]
        );
        case(
            &host().run(A, "--profiling=false"),
            "1.2.15",
            Status::Pass,
            "--profiling=false",
        );
        case(
            &host().run(A, "--profiling=False"),
            "1.2.15",
            Status::Pass,
            "--profiling=False",
        );
        case(
            &host().run(A, "--profiling=false --profiling"),
            "1.2.15",
            Status::Fail,
            "--profiling=false --profiling",
        );
        case(
            &host().run(A, "--profiling=\"false\""),
            "1.2.15",
            Status::Fail,
            "--profiling=\"false\" (the value is not a valid bool)",
        );
        let o = case(
            &host().run(A, ""),
            "1.2.15",
            Status::Fail,
            "absent (kube-apiserver default: true)",
        );
        assert!(
            matches!(&o.sources[0], Source::Default { reference, .. } if reference.contains("v1.34"))
        );
        case(
            &host().run(A, "--audit-log-maxage 30"),
            "1.2.17",
            Status::Pass,
            "--audit-log-maxage 30",
        );
        let o = case(
            &host().run(A, "--audit-log-maxage=7"),
            "1.2.17",
            Status::Fail,
            "--audit-log-maxage=7",
        );
        assert_eq!(o.expected, "--audit-log-maxage >= 30");
        case(
            &host().run(A, ""),
            "1.2.17",
            Status::Fail,
            "absent (kube-apiserver default: 0)",
        );
        case(
            &host().run(A, "--authorization-mode=Node,RBAC"),
            "1.2.6",
            Status::Pass,
            "--authorization-mode=Node,RBAC",
        );
        case(
            &host().run(A, "--authorization-mode=Node,RBAC"),
            "1.2.7",
            Status::Pass,
            "--authorization-mode=Node,RBAC",
        );
        case(
            &host().run(A, "--authorization-mode=NodeRestriction,RBAC"),
            "1.2.7",
            Status::Fail,
            "--authorization-mode=NodeRestriction,RBAC",
        );
        // pflag slices append: the second occurrence adds AlwaysAllow.
        case(
            &host().run(
                A,
                "--authorization-mode=Node --authorization-mode=AlwaysAllow",
            ),
            "1.2.6",
            Status::Fail,
            "--authorization-mode=Node --authorization-mode=AlwaysAllow",
        );
        case(
            &host().run(A, ""),
            "1.2.6",
            Status::Fail,
            "absent (kube-apiserver default: AlwaysAllow)",
        );
        // Manual: the observation and what automation would say.
        let o = case(
            &host().run(A, "--anonymous-auth=true"),
            "1.2.1",
            Status::Manual,
            "--anonymous-auth=true",
        );
        assert_eq!(o.automated_verdict, Some(Status::Fail));
    }

    #[test]
    fn static_pod_manifest_fallback() {
        use Component::KubeApiserver as A;
        let o = case(
            &host().manifest(A, &["--profiling=false"]),
            "1.2.15",
            Status::Pass,
            "--profiling=false",
        );
        assert_eq!(
            o.sources,
            [Source::Manifest {
                path: APISERVER.into(),
                flag: "--profiling".into()
            }]
        );
        case(
            &host().manifest(A, &[]),
            "1.2.15",
            Status::Fail,
            "absent (kube-apiserver default: true)",
        );
        let o = case(
            &host()
                .run(A, "--profiling=true")
                .manifest(A, &["--profiling=false"]),
            "1.2.15",
            Status::Fail,
            "--profiling=true",
        );
        assert_eq!(
            o.notes,
            [format!("manifest {APISERVER} sets --profiling=false")]
        );
        let o = case(
            &host().run(A, "--profiling=false").manifest(A, &[]),
            "1.2.15",
            Status::Pass,
            "--profiling=false",
        );
        assert_eq!(
            o.notes,
            [format!("manifest {APISERVER} does not set --profiling")]
        );
        let o = case(
            &host()
                .run(A, "--profiling=false")
                .manifest(A, &["--profiling=false"]),
            "1.2.15",
            Status::Pass,
            "--profiling=false",
        );
        assert!(o.notes.is_empty());
        // The manifests directory was read, and had no kube-apiserver.yaml.
        let other = host().manifest(Component::Etcd, &[]);
        case(&other, "1.2.15", Status::Error, "kube-apiserver is not running and /etc/kubernetes/manifests/kube-apiserver.yaml was not found");
        case(&host(), "1.2.15", Status::Error, "kube-apiserver is not running and /etc/kubernetes/manifests/kube-apiserver.yaml was not collected");
        let denied = host().doc_state(
            APISERVER,
            Document::Error {
                reason: "Permission denied".into(),
            },
        );
        case(&denied, "1.2.15", Status::Error, "kube-apiserver is not running and /etc/kubernetes/manifests/kube-apiserver.yaml could not be read: Permission denied");
        // Manual checks stay manual when facts are missing, saying so.
        let o = case(&host(), "1.2.1", Status::Manual, "kube-apiserver is not running and /etc/kubernetes/manifests/kube-apiserver.yaml was not collected");
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::Error)));
    }

    #[test]
    fn kubelet_precedence() {
        use Component::Kubelet as K;
        let with_config =
            |extra: &str| host().run(K, &format!("--config={KUBELET_CONFIG} {extra}"));
        // Flags only: the flag defaults apply.
        case(
            &host().run(K, ""),
            "4.2.1",
            Status::Fail,
            "absent (kubelet default without --config: true)",
        );
        case(
            &host().run(K, ""),
            "4.2.2",
            Status::Fail,
            "absent (kubelet default without --config: AlwaysAllow)",
        );
        let o = case(
            &host().run(K, "--read-only-port 10255"),
            "4.2.4",
            Status::Manual,
            "--read-only-port 10255",
        );
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        let o = case(
            &host().run(K, ""),
            "4.2.4",
            Status::Manual,
            "absent (kubelet default without --config: 10255)",
        );
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        // With --config: the KubeletConfiguration defaults apply.
        let base = with_config("").doc(
            KUBELET_CONFIG,
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n",
        );
        case(
            &base,
            "4.2.1",
            Status::Pass,
            "absent (kubelet default with --config: false)",
        );
        case(
            &base,
            "4.2.2",
            Status::Pass,
            "absent (kubelet default with --config: Webhook)",
        );
        let o = case(
            &base,
            "4.2.4",
            Status::Manual,
            "absent (kubelet default with --config: 0)",
        );
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::Pass)));
        // The file wins over defaults, flags win over the file.
        let open = with_config("").doc(
            KUBELET_CONFIG,
            "authentication:\n  anonymous:\n    enabled: true\n",
        );
        let o = case(
            &open,
            "4.2.1",
            Status::Fail,
            "authentication.anonymous.enabled: true (in /var/lib/kubelet/config.yaml)",
        );
        assert_eq!(
            o.sources,
            [Source::ConfigFile {
                path: KUBELET_CONFIG.into(),
                key: "authentication.anonymous.enabled".into()
            }]
        );
        let flagged = with_config("--anonymous-auth=false").doc(
            KUBELET_CONFIG,
            "authentication:\n  anonymous:\n    enabled: true\n",
        );
        case(&flagged, "4.2.1", Status::Pass, "--anonymous-auth=false");
        let json = with_config("").doc(
            KUBELET_CONFIG,
            "{\"authorization\": {\"mode\": \"AlwaysAllow\"}}",
        );
        case(
            &json,
            "4.2.2",
            Status::Fail,
            "authorization.mode: AlwaysAllow (in /var/lib/kubelet/config.yaml)",
        );
        // Drop-ins override the file, later ones override earlier ones.
        let drop_ins = with_config("--config-dir=/etc/kubernetes/kubelet.conf.d")
            .doc(KUBELET_CONFIG, "readOnlyPort: 10255\n")
            .doc(
                "/etc/kubernetes/kubelet.conf.d/10-a.conf",
                "readOnlyPort: 10250\n",
            )
            .doc(
                "/etc/kubernetes/kubelet.conf.d/20-b.conf",
                "readOnlyPort: 0\n",
            )
            .doc(
                "/etc/kubernetes/kubelet.conf.d/30-c.yaml",
                "readOnlyPort: 1\n",
            );
        case(
            &drop_ins,
            "4.2.4",
            Status::Manual,
            "readOnlyPort: 0 (in /etc/kubernetes/kubelet.conf.d/20-b.conf)",
        );
        let unreadable_dir = with_config("--config-dir=/etc/kubernetes/kubelet.conf.d")
            .doc(KUBELET_CONFIG, "readOnlyPort: 0\n")
            .doc_state(
                "/etc/kubernetes/kubelet.conf.d",
                Document::Error {
                    reason: "Permission denied".into(),
                },
            );
        case(
            &unreadable_dir,
            "4.2.4",
            Status::Manual,
            "kubelet config directory /etc/kubernetes/kubelet.conf.d could not be read: Permission denied",
        );
        // Relative --config is relative to the kubelet's working directory.
        let relative = host()
            .run(K, "--config=kubelet.json")
            .doc("/kubelet.json", "readOnlyPort: 0\n");
        case(
            &relative,
            "4.2.4",
            Status::Manual,
            "readOnlyPort: 0 (in /kubelet.json)",
        );
        // A config file that could not be read is an error, never a default.
        case(
            &with_config("").doc_state(KUBELET_CONFIG, Document::Missing),
            "4.2.1",
            Status::Error,
            "kubelet config file /var/lib/kubelet/config.yaml does not exist",
        );
        case(
            &with_config("").doc_state(
                KUBELET_CONFIG,
                Document::Error {
                    reason: "Permission denied".into(),
                },
            ),
            "4.2.1",
            Status::Error,
            "kubelet config file /var/lib/kubelet/config.yaml could not be read: Permission denied",
        );
        case(
            &with_config("").doc(KUBELET_CONFIG, "a: [b"),
            "4.2.1",
            Status::Error,
            "kubelet config file /var/lib/kubelet/config.yaml could not be parsed: line 2 column 1: while parsing a flow sequence, expected ',' or ']'",
        );
    }

    #[test]
    fn etcd_sources() {
        use Component::Etcd as E;
        case(
            &host().run(E, "--client-cert-auth=true"),
            "2.2",
            Status::Pass,
            "--client-cert-auth=true",
        );
        case(
            &host().run(E, "-client-cert-auth"),
            "2.2",
            Status::Pass,
            "-client-cert-auth",
        );
        let o = case(
            &host().run(E, "").env("ETCD_CLIENT_CERT_AUTH", "true"),
            "2.2",
            Status::Pass,
            "ETCD_CLIENT_CERT_AUTH=true",
        );
        assert_eq!(
            o.sources,
            [Source::Env {
                component: "etcd".into(),
                name: "ETCD_CLIENT_CERT_AUTH".into()
            }]
        );
        case(
            &host()
                .run(E, "--client-cert-auth=false")
                .env("ETCD_CLIENT_CERT_AUTH", "true"),
            "2.2",
            Status::Fail,
            "--client-cert-auth=false",
        );
        case(
            &host().run(E, ""),
            "2.2",
            Status::Fail,
            "absent (etcd default: false)",
        );
        case(
            &host().run(E, ""),
            "2.3",
            Status::Pass,
            "absent (etcd default: false)",
        );
        case(
            &host().run(E, "--auto-tls=true"),
            "2.3",
            Status::Fail,
            "--auto-tls=true",
        );
        // With a config file, etcd ignores flags and environment.
        let file = host()
            .run(
                E,
                "--config-file=/etc/etcd/etcd.yaml --client-cert-auth=false",
            )
            .doc(
                "/etc/etcd/etcd.yaml",
                "client-transport-security:\n  client-cert-auth: true\n",
            );
        let o = case(
            &file,
            "2.2",
            Status::Pass,
            "client-transport-security.client-cert-auth: true (in /etc/etcd/etcd.yaml)",
        );
        assert_eq!(o.notes, ["etcd loads /etc/etcd/etcd.yaml and ignores command-line flags, so --client-cert-auth=false is not in effect"]);
        case(
            &host().run(E, "--cert-file=/p/server.crt"),
            "2.1",
            Status::Fail,
            "--cert-file=/p/server.crt; absent",
        );
        let both = host()
            .run(E, "--cert-file=/p/server.crt")
            .env("ETCD_KEY_FILE", "/p/server.key");
        let o = case(
            &both,
            "2.1",
            Status::Pass,
            "--cert-file=/p/server.crt; ETCD_KEY_FILE=/p/server.key",
        );
        assert_eq!(o.expected, "--cert-file is set and --key-file is set");
        // etcd not running, read from its manifest.
        case(
            &host().manifest(E, &["--client-cert-auth=true"]),
            "2.2",
            Status::Pass,
            "--client-cert-auth=true",
        );
    }

    #[test]
    fn file_checks() {
        let o = case(
            &host().file(APISERVER, 0o644, ("root", 0), ("root", 0)),
            "1.1.1",
            Status::Fail,
            "permissions 644",
        );
        assert_eq!(o.expected, "permissions 600 or more restrictive");
        assert_eq!(
            o.sources,
            [Source::File {
                path: APISERVER.into()
            }]
        );
        case(
            &host().file(APISERVER, 0o600, ("root", 0), ("root", 0)),
            "1.1.1",
            Status::Pass,
            "permissions 600",
        );
        case(
            &host().file(APISERVER, 0o400, ("root", 0), ("root", 0)),
            "1.1.1",
            Status::Pass,
            "permissions 400",
        );
        case(
            &host().file(APISERVER, 0o1600, ("root", 0), ("root", 0)),
            "1.1.1",
            Status::Fail,
            "permissions 1600",
        );
        case(
            &host().file_state(APISERVER, FileFact::Missing),
            "1.1.1",
            Status::NotApplicable,
            "not applicable: /etc/kubernetes/manifests/kube-apiserver.yaml does not exist on this host (kube-apiserver does not run as a static pod here)",
        );
        case(
            &host(),
            "1.1.1",
            Status::Error,
            "/etc/kubernetes/manifests/kube-apiserver.yaml was not collected",
        );
        case(
            &host().file_state(APISERVER, FileFact::Error { reason: "Permission denied".into() }),
            "1.1.1",
            Status::Error,
            "/etc/kubernetes/manifests/kube-apiserver.yaml could not be examined: Permission denied",
        );
        let o = case(
            &host().file(APISERVER, 0o600, ("root", 0), ("root", 0)),
            "1.1.2",
            Status::Pass,
            "owner root:root",
        );
        assert_eq!(o.expected, "owner root:root");
        case(
            &host().file(APISERVER, 0o600, ("hbaudit", 1001), ("root", 0)),
            "1.1.2",
            Status::Fail,
            "owner hbaudit:root (uid 1001, gid 0)",
        );
        case(
            &host().file(APISERVER, 0o600, ("", 1001), ("", 0)),
            "1.1.2",
            Status::Fail,
            "owner 1001:0 (uid 1001, gid 0)",
        );
        // Candidates: the first that exists is judged.
        let drop_in = "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf";
        let second = host()
            .file_state(
                "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                FileFact::Missing,
            )
            .file(drop_in, 0o644, ("root", 0), ("root", 0));
        let o = case(&second, "4.1.1", Status::Fail, "permissions 644");
        assert_eq!(
            o.sources,
            [Source::File {
                path: drop_in.into()
            }]
        );
        let mut none = host();
        for candidate in [
            "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
            drop_in,
            "/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
            "/etc/systemd/system/kubelet.service",
            "/usr/lib/systemd/system/kubelet.service",
            "/lib/systemd/system/kubelet.service",
        ] {
            none = none.file_state(candidate, FileFact::Missing);
        }
        case(&none, "4.1.1", Status::Fail, "none of /etc/systemd/system/kubelet.service.d/10-kubeadm.conf, /usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf, /lib/systemd/system/kubelet.service.d/10-kubeadm.conf, /etc/systemd/system/kubelet.service, /usr/lib/systemd/system/kubelet.service, /lib/systemd/system/kubelet.service exists");
    }

    #[test]
    fn combined_file_checks_name_their_files() {
        let admin = "/etc/kubernetes/admin.conf";
        let both = host()
            .file(admin, 0o644, ("root", 0), ("root", 0))
            .file("/etc/kubernetes/super-admin.conf", 0o600, ("root", 0), ("root", 0));
        let o = case(
            &both,
            "1.1.13",
            Status::Fail,
            "/etc/kubernetes/admin.conf: permissions 644; /etc/kubernetes/super-admin.conf: permissions 600",
        );
        assert_eq!(
            o.expected,
            "/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf: permissions 600 or more restrictive"
        );
        let older = host()
            .file(admin, 0o600, ("root", 0), ("root", 0))
            .file_state("/etc/kubernetes/super-admin.conf", FileFact::Missing);
        let o = case(
            &older,
            "1.1.14",
            Status::Pass,
            "/etc/kubernetes/admin.conf: owner root:root; not applicable: /etc/kubernetes/super-admin.conf does not exist on this host",
        );
        assert_eq!(o.expected, "/etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf: owner root:root");
    }

    #[test]
    fn files_named_by_settings() {
        use Component::{Etcd as E, Kubelet as K};
        let etcd = host().run(E, "--data-dir=/var/lib/etcd").file(
            "/var/lib/etcd",
            0o700,
            ("root", 0),
            ("root", 0),
        );
        let o = case(&etcd, "1.1.11", Status::Pass, "permissions 700");
        assert_eq!(
            o.sources,
            [
                Source::Flag {
                    component: "etcd".into(),
                    flag: "--data-dir".into()
                },
                Source::File {
                    path: "/var/lib/etcd".into()
                }
            ]
        );
        case(
            &etcd,
            "1.1.12",
            Status::Fail,
            "owner root:root (uid 0, gid 0)",
        );
        let env = host().run(E, "").env("ETCD_DATA_DIR", "/data/etcd").file(
            "/data/etcd",
            0o755,
            ("etcd", 990),
            ("etcd", 990),
        );
        case(&env, "1.1.11", Status::Fail, "permissions 755");
        case(&env, "1.1.12", Status::Pass, "owner etcd:etcd");
        // etcd's default data directory is relative to its working directory.
        let default = host()
            .run(E, "")
            .file("/default.etcd", 0o700, ("etcd", 990), ("etcd", 990));
        case(&default, "1.1.11", Status::Pass, "permissions 700");
        case(
            &host().run(E, "--data-dir=/var/lib/etcd"),
            "1.1.11",
            Status::Error,
            "/var/lib/etcd was not collected",
        );
        case(
            &host().run(K, ""),
            "4.1.9",
            Status::NotApplicable,
            "not applicable: kubelet runs without --config",
        );
        case(
            &host().run(K, ""),
            "4.1.5",
            Status::NotApplicable,
            "not applicable: kubelet runs without --kubeconfig",
        );
        let kubeconfig = host()
            .run(K, "--kubeconfig=/etc/kubernetes/kubelet.conf")
            .file(
                "/etc/kubernetes/kubelet.conf",
                0o640,
                ("root", 0),
                ("root", 0),
            );
        case(&kubeconfig, "4.1.5", Status::Fail, "permissions 640");
        let config = host().run(K, &format!("--config {KUBELET_CONFIG}")).file(
            KUBELET_CONFIG,
            0o600,
            ("root", 0),
            ("root", 0),
        );
        case(&config, "4.1.9", Status::Pass, "permissions 600");
        case(&host(), "4.1.9", Status::Error, "kubelet is not running");
    }

    #[test]
    fn pki_tree() {
        let pki = "/etc/kubernetes/pki";
        let mut good = host().file(pki, 0o755, ("root", 0), ("root", 0));
        good.0.listings.insert(
            pki.into(),
            crate::facts::Listing::Entries {
                entries: vec![format!("{pki}/ca.crt"), format!("{pki}/ca.key"), format!("{pki}/etcd")],
            },
        );
        let good = good
            .file(&format!("{pki}/ca.crt"), 0o644, ("root", 0), ("root", 0))
            .file(&format!("{pki}/ca.key"), 0o600, ("root", 0), ("root", 0))
            .file(&format!("{pki}/etcd"), 0o755, ("root", 0), ("root", 0));
        let o = case(&good, "1.1.19", Status::Pass, "all 4 comply");
        assert_eq!(o.expected, "/etc/kubernetes/pki and every entry under it: owner root:root");
        case(&good, "1.1.20", Status::Manual, "all 1 comply");
        case(&good, "1.1.21", Status::Manual, "all 1 comply");
        let bad = good
            .file(&format!("{pki}/ca.key"), 0o644, ("hbaudit", 1001), ("root", 0))
            .file(&format!("{pki}/etcd"), 0o755, ("hbaudit", 1001), ("hbaudit", 1001));
        case(&bad, "1.1.19", Status::Fail, "2 of 4 fail: /etc/kubernetes/pki/ca.key: owner hbaudit:root (uid 1001, gid 0); /etc/kubernetes/pki/etcd: owner hbaudit:hbaudit (uid 1001, gid 1001)");
        let o = case(&bad, "1.1.21", Status::Manual, "1 of 1 fail: /etc/kubernetes/pki/ca.key: permissions 644");
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        case(&host(), "1.1.19", Status::Error, "/etc/kubernetes/pki was not collected");
        let mut gone = host();
        gone.0.listings.insert(pki.into(), crate::facts::Listing::Missing);
        case(&gone, "1.1.19", Status::Fail, "directory /etc/kubernetes/pki does not exist");
        let mut no_cni = host();
        no_cni.0.listings.insert("/etc/cni/net.d".into(), crate::facts::Listing::Missing);
        let o = case(&no_cni, "1.1.9", Status::Manual, "not applicable: directory /etc/cni/net.d does not exist on this host");
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::NotApplicable)));
    }

    const ENC: &str = "/etc/kubernetes/enc/encryption.yaml";

    fn encrypted(providers: &str) -> Host {
        host()
            .run(Component::KubeApiserver, &format!("--encryption-provider-config={ENC}"))
            .doc(
                ENC,
                &format!("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: {providers}\n"),
            )
    }

    #[test]
    fn encryption_at_rest() {
        let o = case(&encrypted("[{aescbc: {keys: [{name: k, secret: REDACTED}]}}, {identity: {}}]"), "1.2.28", Status::Manual, "secrets: aescbc, identity (in /etc/kubernetes/enc/encryption.yaml)");
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::Pass)));
        let o = case(&encrypted("[{identity: {}}, {secretbox: {}}]"), "1.2.28", Status::Manual, "secrets: identity, secretbox (in /etc/kubernetes/enc/encryption.yaml)");
        assert_eq!((o.notes.len(), o.automated_verdict), (1, Some(Status::Fail)));
        assert!(o.notes[0].contains("identity is the first provider"));
        let o = case(&encrypted("[{kms: {apiVersion: v2, name: v}}]"), "1.2.28", Status::Manual, "secrets: kms v2 (in /etc/kubernetes/enc/encryption.yaml)");
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::Pass)));
        let o = case(&encrypted("[{kms: {name: v}}]"), "1.2.28", Status::Manual, "secrets: kms v1 (in /etc/kubernetes/enc/encryption.yaml)");
        assert!(o.notes[0].contains("KMS v1 is deprecated"));
        let o = case(&encrypted("[{aesgcm: {}}]"), "1.2.28", Status::Manual, "secrets: aesgcm (in /etc/kubernetes/enc/encryption.yaml)");
        assert!(o.notes[0].contains("rotated every 200,000 writes"));
        case(&host().run(Component::KubeApiserver, ""), "1.2.28", Status::Manual, "kube-apiserver runs without --encryption-provider-config");
        // A prefix collision is not the flag.
        case(&host().run(Component::KubeApiserver, "--encryption-provider-config-automatic-reload=true"), "1.2.27", Status::Manual, "absent; kube-apiserver runs without --encryption-provider-config");
        case(
            &host().run(Component::KubeApiserver, &format!("--encryption-provider-config={ENC}")).doc_state(ENC, Document::Missing),
            "1.2.28",
            Status::Manual,
            "--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml names /etc/kubernetes/enc/encryption.yaml, which does not exist",
        );
    }

    #[test]
    fn audit_policy_levels() {
        let policy = "/etc/kubernetes/audit-policy.yaml";
        let with = |rules: &str| {
            host()
                .run(Component::KubeApiserver, &format!("--audit-policy-file {policy}"))
                .doc(policy, &format!("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: {rules}\n"))
        };
        let o = case(&with("[{level: Metadata}, {level: None}]"), "3.2.1", Status::Manual, "/etc/kubernetes/audit-policy.yaml: 2 rules, levels used: Metadata, None");
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::Pass)));
        let o = case(&with("[{level: None}]"), "3.2.1", Status::Manual, "/etc/kubernetes/audit-policy.yaml: 1 rules, levels used: None");
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        case(&host().run(Component::KubeApiserver, ""), "3.2.1", Status::Manual, "kube-apiserver runs without --audit-policy-file: nothing is audited");
    }

    #[test]
    fn etcd_ca_is_compared_by_fingerprint() {
        use crate::facts::{CertFact, FingerprintMethod};
        let print = |c: &str| CertFact::Fingerprint { method: FingerprintMethod::X509Der, sha256: vec![c; 32].join(":") };
        let cluster = |etcd_ca: &str| {
            let mut h = host()
                .run(Component::Etcd, &format!("--trusted-ca-file={etcd_ca}"))
                .run(Component::KubeApiserver, "--client-ca-file=/pki/ca.crt");
            h.0.certificates.insert("/pki/ca.crt".into(), print("AA"));
            h.0.certificates.insert("/pki/etcd/ca.crt".into(), print("BB"));
            h.0.certificates.insert("/pki/copy.crt".into(), print("AA"));
            h
        };
        let o = case(&cluster("/pki/etcd/ca.crt"), "2.7", Status::Manual, "etcd --trusted-ca-file /pki/etcd/ca.crt (sha256 of the certificate BB:BB:BB:BB…) differs from kube-apiserver --client-ca-file /pki/ca.crt (AA:AA:AA:AA…)");
        assert_eq!((o.notes.len(), o.automated_verdict), (0, Some(Status::Pass)));
        // A different path to the same certificate is the same CA.
        let o = case(&cluster("/pki/copy.crt"), "2.7", Status::Manual, "etcd --trusted-ca-file /pki/copy.crt (sha256 of the certificate AA:AA:AA:AA…) is the same certificate as kube-apiserver --client-ca-file /pki/ca.crt (AA:AA:AA:AA…)");
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        case(&cluster("/pki/other.crt"), "2.7", Status::Manual, "etcd --trusted-ca-file /pki/other.crt was not fingerprinted on the host");
        let mut mixed = cluster("/pki/etcd/ca.crt");
        mixed.0.certificates.insert("/pki/ca.crt".into(), CertFact::Fingerprint { method: FingerprintMethod::FileBytes, sha256: vec!["AA"; 32].join(":") });
        case(&mixed, "2.7", Status::Manual, "/pki/etcd/ca.crt and /pki/ca.crt were fingerprinted differently (sha256 of the certificate, sha256 of the file) and cannot be compared");
        case(&host().run(Component::Etcd, ""), "2.7", Status::Manual, "etcd runs without --trusted-ca-file");
        let mut etcd_only = host().run(Component::Etcd, "").env("ETCD_TRUSTED_CA_FILE", "/pki/etcd/ca.crt");
        etcd_only.0.certificates.insert("/pki/etcd/ca.crt".into(), print("BB"));
        case(&etcd_only, "2.7", Status::Manual, "kube-apiserver is not running and /etc/kubernetes/manifests/kube-apiserver.yaml was not collected");
    }

    #[test]
    fn cipher_suites_outside_the_allowed_set() {
        let o = case(
            &host().run(Component::Kubelet, "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA"),
            "4.2.12",
            Status::Manual,
            "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA (outside the allowed set: TLS_RSA_WITH_AES_128_CBC_SHA)",
        );
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        case(
            &host().run(Component::Kubelet, "--config=/k.yaml").doc("/k.yaml", "tlsCipherSuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n"),
            "4.2.12",
            Status::Manual,
            "tlsCipherSuites: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (in /k.yaml)",
        );
    }

    #[test]
    fn real_defaults_where_kube_bench_passes() {
        use Component::{KubeControllerManager as C, KubeScheduler as S};
        case(&host().run(C, ""), "1.3.7", Status::Fail, "absent (kube-controller-manager default: 0.0.0.0)");
        case(&host().run(C, "--bind-address 127.0.0.1"), "1.3.7", Status::Pass, "--bind-address 127.0.0.1");
        case(&host().run(S, ""), "1.4.2", Status::Fail, "absent (kube-scheduler default: 0.0.0.0)");
        case(&host().run(Component::Kubelet, ""), "4.2.10", Status::Fail, "absent (kubelet default without --config: false)");
        case(&host().run(Component::Kubelet, "--config=/k.yaml").doc("/k.yaml", "{}"), "4.2.10", Status::Fail, "absent (kubelet default with --config: false)");
        let o = case(&host().run(Component::Kubelet, "--config=/k.yaml").doc("/k.yaml", "streamingConnectionIdleTimeout: 0s\n"), "4.2.5", Status::Manual, "streamingConnectionIdleTimeout: 0s (in /k.yaml), which kubelet reads as 4h0m0s");
        assert_eq!(o.automated_verdict, Some(Status::Pass));
        case(&host().run(Component::Kubelet, "--feature-gates=RotateKubeletServerCertificate=true,Foo=false"), "4.2.11", Status::Manual, "--feature-gates=RotateKubeletServerCertificate=true,Foo=false");
        let o = case(&host().run(Component::Kubelet, "--config=/k.yaml").doc("/k.yaml", "featureGates:\n  RotateKubeletServerCertificate: false\n"), "4.2.11", Status::Manual, "featureGates: RotateKubeletServerCertificate=false (in /k.yaml)");
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        // Repeated --enable-admission-plugins accumulate.
        case(&host().run(Component::KubeApiserver, "--enable-admission-plugins=NodeRestriction --enable-admission-plugins=AlwaysAdmit"), "1.2.10", Status::Fail, "--enable-admission-plugins=NodeRestriction --enable-admission-plugins=AlwaysAdmit");
    }

    #[test]
    fn kube_proxy_config_file_replaces_flags() {
        use Component::KubeProxy as P;
        // A worker whose CNI replaced kube-proxy has nothing to judge.
        case(&host(), "4.3.1", Status::NotApplicable, "not applicable: kube-proxy does not run on this host");
        case(&host().run(P, ""), "4.3.1", Status::Pass, "absent (kube-proxy default: 127.0.0.1:10249)");
        case(&host().run(P, "--metrics-bind-address=0.0.0.0:10249"), "4.3.1", Status::Fail, "--metrics-bind-address=0.0.0.0:10249");
        let o = case(
            &host().run(P, "--config=/p.yaml --metrics-bind-address=127.0.0.1:10249").doc("/p.yaml", "metricsBindAddress: 0.0.0.0:10249\n"),
            "4.3.1",
            Status::Fail,
            "metricsBindAddress: 0.0.0.0:10249 (in /p.yaml)",
        );
        assert_eq!(o.notes, ["kube-proxy loads /p.yaml and ignores --metrics-bind-address, so --metrics-bind-address=127.0.0.1:10249 is not in effect"]);
        let o = case(&host().run(P, "--config=/p.yaml").doc_state("/p.yaml", Document::Missing), "4.3.1", Status::Pass, "absent (kube-proxy default: 127.0.0.1:10249)");
        assert!(o.notes[0].starts_with("kube-proxy's --config file /p.yaml is not on the host"));
        // Item 19: the file the process sees, through its root (pid 100), wins over the host's.
        let conf = "/var/lib/kube-proxy/config.conf";
        let contained = |doc: Document| {
            host()
                .run(P, "--config=config.conf --metrics-bind-address=127.0.0.1:10249")
                .doc(conf, "metricsBindAddress: 127.0.0.1:10249\n")
                .doc_state(&format!("/proc/100/root{conf}"), doc)
        };
        let mut relative = contained(Document::Text { content: "metricsBindAddress: 0.0.0.0:10249\n".into(), truncated: false });
        relative.0.processes[0].cwd = Some("/var/lib/kube-proxy".into());
        let o = case(&relative, "4.3.1", Status::Fail, "metricsBindAddress: 0.0.0.0:10249 (in /var/lib/kube-proxy/config.conf, read through /proc/100/root)");
        assert_eq!(o.sources, [Source::ConfigFile { path: conf.into(), key: "metricsBindAddress".into() }]);
        assert_eq!(o.notes, ["kube-proxy loads /var/lib/kube-proxy/config.conf and ignores --metrics-bind-address, so --metrics-bind-address=127.0.0.1:10249 is not in effect"]);
        let mut missing = contained(Document::Missing);
        missing.0.processes[0].cwd = Some("/var/lib/kube-proxy".into());
        let o = case(&missing, "4.3.1", Status::Pass, "--metrics-bind-address=127.0.0.1:10249");
        assert!(o.notes[0].starts_with("kube-proxy's --config file /var/lib/kube-proxy/config.conf was not found through /proc/100/root"), "{:?}", o.notes);
        let mut denied = contained(Document::Error { reason: "not read: the process's root /proc/100/root is not accessible".into() });
        denied.0.processes[0].cwd = Some("/var/lib/kube-proxy".into());
        case(&denied, "4.3.1", Status::Error, "kube-proxy config file /var/lib/kube-proxy/config.conf (read as /proc/100/root/var/lib/kube-proxy/config.conf) could not be read: not read: the process's root /proc/100/root is not accessible");
    }

    /// Item 18: a config-file field that is present but empty or zero means
    /// what the component's own decoding and defaulting make of it (the
    /// rules and their sources: kube::defaulting).
    #[test]
    fn empty_and_zero_config_values_are_defaulted_like_the_component() {
        use Component::{Etcd as E, KubeProxy as P, Kubelet as K};
        let proxy = |yaml: &str| host().run(P, "--config=/p.yaml").doc("/p.yaml", yaml);
        // kube-proxy: "" is 127.0.0.1:10249; an address without a port gets :10249.
        let o = case(&proxy("metricsBindAddress: \"\"\n"), "4.3.1", Status::Pass, "metricsBindAddress: \"\" (in /p.yaml), which kube-proxy reads as 127.0.0.1:10249");
        assert!(o.notes[0].contains("SetDefaults_KubeProxyConfiguration"), "{:?}", o.notes);
        case(&proxy("metricsBindAddress: 127.0.0.1\n"), "4.3.1", Status::Pass, "metricsBindAddress: 127.0.0.1 (in /p.yaml), which kube-proxy reads as 127.0.0.1:10249");
        case(&proxy("metricsBindAddress: 0.0.0.0\n"), "4.3.1", Status::Fail, "metricsBindAddress: 0.0.0.0 (in /p.yaml), which kube-proxy reads as 0.0.0.0:10249");
        case(&proxy("bindAddress: \"::\"\n"), "4.3.1", Status::Pass, "absent from /p.yaml (kube-proxy default: [::1]:10249)");
        case(&proxy("metricsBindAddress: 10249\n"), "4.3.1", Status::Error, "kube-proxy config file /p.yaml: metricsBindAddress: 10249 is not a string (kube-proxy cannot decode it)");
        // On flags: --metrics-port=0 turns the server off; a port is appended.
        case(&host().run(P, "--metrics-bind-address=127.0.0.1"), "4.3.1", Status::Pass, "--metrics-bind-address=127.0.0.1, which kube-proxy reads as 127.0.0.1:10249");
        case(&host().run(P, "--metrics-port=0"), "4.3.1", Status::Fail, "absent (kube-proxy default: 127.0.0.1:10249), which kube-proxy reads as \"\"");
        // kubelet --config: 0s is 4h; "" mode is Webhook; a negative pid limit is -1; 0 QPS stays 0.
        let kubelet = |yaml: &str| host().run(K, "--config=/k.yaml").doc("/k.yaml", yaml);
        let o = case(&kubelet("streamingConnectionIdleTimeout: 0s\n"), "4.2.5", Status::Manual, "streamingConnectionIdleTimeout: 0s (in /k.yaml), which kubelet reads as 4h0m0s");
        assert_eq!(o.automated_verdict, Some(Status::Pass));
        case(&kubelet("authorization:\n  mode: \"\"\n"), "4.2.2", Status::Pass, "authorization.mode: \"\" (in /k.yaml), which kubelet reads as Webhook");
        case(&kubelet("eventRecordQPS: 0\n"), "4.2.8", Status::Manual, "eventRecordQPS: 0 (in /k.yaml)");
        case(&kubelet("readOnlyPort: 0\n"), "4.2.4", Status::Manual, "readOnlyPort: 0 (in /k.yaml)");
        let o = case(&kubelet("podPidsLimit: -5\n"), "4.2.13", Status::Manual, "podPidsLimit: -5 (in /k.yaml), which kubelet reads as -1");
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        // A null pointer field is the default; a null duration is refused by the kubelet.
        case(&kubelet("authentication:\n  anonymous:\n    enabled:\n"), "4.2.1", Status::Pass, "absent (kubelet default with --config: false)");
        case(&kubelet("streamingConnectionIdleTimeout:\n"), "4.2.5", Status::Manual, "kubelet config file /k.yaml: streamingConnectionIdleTimeout: null is not a duration (kubelet cannot decode it)");
        case(&kubelet("authentication:\n  anonymous:\n    enabled: \"false\"\n"), "4.2.1", Status::Error, "kubelet config file /k.yaml: authentication.anonymous.enabled: \"false\" is not a bool (kubelet cannot decode it)");
        // A drop-in is merged over the defaulted file as written: its 0s stays 0, its null changes nothing.
        let dropped = |yaml: &str| {
            host()
                .run(K, "--config=/k.yaml --config-dir=/d")
                .doc("/k.yaml", "streamingConnectionIdleTimeout: 5m\n")
                .doc("/d/10-a.conf", yaml)
        };
        let o = case(&dropped("streamingConnectionIdleTimeout: 0s\n"), "4.2.5", Status::Manual, "streamingConnectionIdleTimeout: 0s (in /d/10-a.conf)");
        assert_eq!(o.automated_verdict, Some(Status::Fail));
        case(&dropped("streamingConnectionIdleTimeout:\n"), "4.2.5", Status::Manual, "streamingConnectionIdleTimeout: 5m (in /k.yaml)");
        // Drop-ins without --config are merged over the flag defaults.
        let only_dir = host().run(K, "--config-dir=/d").doc("/d/10-a.conf", "readOnlyPort: 0\n");
        case(&only_dir, "4.2.4", Status::Manual, "readOnlyPort: 0 (in /d/10-a.conf)");
        case(&only_dir, "4.2.1", Status::Fail, "absent (kubelet default without --config: true)");
        // etcd: an empty data-dir is <name>.etcd, in the file and on flags; an empty ETCD_* variable is unset.
        let data_dir = |h: Host| h.file("/m1.etcd", 0o700, ("etcd", 1), ("etcd", 1)).file("/default.etcd", 0o755, ("root", 0), ("root", 0));
        case(&data_dir(host().run(E, "--config-file=/e.yaml").doc("/e.yaml", "name: m1\ndata-dir: \"\"\n")), "1.1.11", Status::Pass, "permissions 700");
        case(&data_dir(host().run(E, "--config-file=/e.yaml").doc("/e.yaml", "name: m1\n")), "1.1.11", Status::Pass, "permissions 700");
        case(&data_dir(host().run(E, "--name=m1")), "1.1.11", Status::Pass, "permissions 700");
        case(&data_dir(host().run(E, "--name=m1 --data-dir=")), "1.1.11", Status::Pass, "permissions 700");
        case(&data_dir(host().run(E, "").env("ETCD_NAME", "m1").env("ETCD_DATA_DIR", "")), "1.1.11", Status::Pass, "permissions 700");
        case(&data_dir(host().run(E, "")), "1.1.11", Status::Fail, "permissions 755");
        case(&host().run(E, "").env("ETCD_CLIENT_CERT_AUTH", ""), "2.2", Status::Fail, "absent (etcd default: false)");
        // Go's os.Getenv sees the first definition of a variable.
        case(&host().run(E, "").env("ETCD_CLIENT_CERT_AUTH", "true").env("ETCD_CLIENT_CERT_AUTH", "false"), "2.2", Status::Pass, "ETCD_CLIENT_CERT_AUTH=true");
    }

    fn stat(mode: u32, user: Option<&str>, group: Option<&str>) -> FileStat {
        FileStat {
            kind: FileKind::File,
            mode,
            uid: 0,
            gid: 0,
            user: user.map(Into::into),
            group: group.map(Into::into),
        }
    }

    #[track_caller]
    fn file_case(op: Operator, operand: &str, stat: FileStat, expected: bool) {
        let predicate = Predicate::compile(op, None, operand, &crate::benchmark::Regexes::default()).unwrap();
        assert_eq!(
            test_file(&predicate, &stat),
            expected,
            "{op} {operand} on {stat:?}"
        );
    }

    #[test]
    fn file_predicates() {
        use Operator::*;
        // kube-bench bitmask vectors.
        file_case(ModeAtMost, "644", stat(0o640, None, None), true);
        file_case(ModeAtMost, "644", stat(0o777, None, None), false);
        file_case(ModeAtMost, "644", stat(0o444, None, None), true);
        file_case(ModeAtMost, "644", stat(0o211, None, None), false);
        file_case(ModeAtMost, "644", stat(0o600, None, None), true);
        file_case(ModeAtMost, "600", stat(0o600, None, None), true);
        file_case(ModeAtMost, "600", stat(0o400, None, None), true);
        file_case(ModeAtMost, "600", stat(0o000, None, None), true);
        file_case(ModeAtMost, "600", stat(0o1600, None, None), false);
        file_case(ModeAtMost, "600", stat(0o4600, None, None), false);
        file_case(ModeAtMost, "700", stat(0o700, None, None), true);
        file_case(ModeAtMost, "700", stat(0o750, None, None), false);
        file_case(ModeAtMost, "1600", stat(0o1600, None, None), true);
        // The file type bits of st_mode are not permissions.
        file_case(ModeAtMost, "600", stat(0o100600, None, None), true);
        file_case(
            Owner,
            "root:root",
            stat(0o600, Some("root"), Some("root")),
            true,
        );
        file_case(
            Owner,
            "root:root",
            stat(0o600, Some("root"), Some("rootx")),
            false,
        );
        file_case(Owner, "root:root", stat(0o600, None, Some("root")), false);
        file_case(
            Owner,
            "etcd:etcd",
            stat(0o700, Some("root"), Some("root")),
            false,
        );
        file_case(Exists, "", stat(0o600, None, None), true);
    }
}

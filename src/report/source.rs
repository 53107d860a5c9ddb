//! Where a judged value came from, in words, as the console and JUnit
//! reports show it next to the value ("true (flag --profiling)"). The words
//! are raw: callers sanitize them like any other host-derived text.

use crate::outcome::{Outcome, Source};

/// The actual value followed by where it came from.
pub(crate) fn observed(outcome: &Outcome) -> String {
    match describe_all(&outcome.sources) {
        Some(sources) => format!("{} ({sources})", outcome.actual),
        None => outcome.actual.clone(),
    }
}

/// One source in words.
fn describe(source: &Source) -> String {
    match source {
        Source::Flag { component: _, flag } => format!("flag {}", dashed(flag)),
        Source::ConfigFile { path, key } => format!("config {path}: {key}"),
        Source::Env { component: _, name } => format!("env {name}"),
        Source::Manifest { path, flag } => format!("manifest {path}: {}", dashed(flag)),
        // The reference names the component already ("kube-apiserver
        // reference ..."), and `actual` says whose default it is.
        Source::Default {
            component: _,
            reference,
        } => format!("default per {reference}"),
        Source::File { path } => format!("file {path}"),
    }
}

/// All sources of a value, or `None` when the value has none.
fn describe_all(sources: &[Source]) -> Option<String> {
    if sources.is_empty() {
        return None;
    }
    Some(sources.iter().map(describe).collect::<Vec<_>>().join("; "))
}

/// A flag as it is typed on a command line, whether or not the name was
/// recorded with its dashes.
fn dashed(flag: &str) -> String {
    if flag.starts_with('-') {
        flag.to_owned()
    } else {
        format!("--{flag}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(source: Source, expected: &str) {
        assert_eq!(describe(&source), expected);
    }

    fn s(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn each_kind_reads_as_words() {
        case(
            Source::Flag {
                component: s("kube-apiserver"),
                flag: s("--profiling"),
            },
            "flag --profiling",
        );
        case(
            Source::Flag {
                component: s("kube-apiserver"),
                flag: s("profiling"),
            },
            "flag --profiling",
        );
        case(
            Source::ConfigFile {
                path: s("/var/lib/kubelet/config.yaml"),
                key: s("authentication.anonymous.enabled"),
            },
            "config /var/lib/kubelet/config.yaml: authentication.anonymous.enabled",
        );
        case(
            Source::Env {
                component: s("etcd"),
                name: s("ETCD_CLIENT_CERT_AUTH"),
            },
            "env ETCD_CLIENT_CERT_AUTH",
        );
        case(
            Source::Manifest {
                path: s("/etc/kubernetes/manifests/kube-apiserver.yaml"),
                flag: s("--profiling"),
            },
            "manifest /etc/kubernetes/manifests/kube-apiserver.yaml: --profiling",
        );
        case(
            Source::Default {
                component: s("kube-apiserver"),
                reference: s("kube-apiserver --help (v1.33)"),
            },
            "default per kube-apiserver --help (v1.33)",
        );
        case(
            Source::File {
                path: s("/etc/kubernetes/admin.conf"),
            },
            "file /etc/kubernetes/admin.conf",
        );
    }

    #[test]
    fn observed_names_its_sources() {
        let mut outcome = Outcome {
            status: crate::outcome::Status::Fail,
            expected: s("false"),
            actual: s("true"),
            sources: vec![],
            notes: vec![],
        };
        assert_eq!(observed(&outcome), "true");
        outcome.sources = vec![Source::Flag {
            component: s("kube-apiserver"),
            flag: s("--profiling"),
        }];
        assert_eq!(observed(&outcome), "true (flag --profiling)");
    }

    #[test]
    fn several_sources_are_joined() {
        assert_eq!(describe_all(&[]), None);
        let sources = [
            Source::Flag {
                component: s("kubelet"),
                flag: s("--config"),
            },
            Source::ConfigFile {
                path: s("/var/lib/kubelet/config.yaml"),
                key: s("readOnlyPort"),
            },
        ];
        assert_eq!(
            describe_all(&sources).as_deref(),
            Some("flag --config; config /var/lib/kubelet/config.yaml: readOnlyPort"),
        );
    }
}

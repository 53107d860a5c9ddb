//! Where a judged value came from, in words, as the console and JUnit
//! reports show it next to the value ("true (flag --profiling)"). The words
//! are raw: callers sanitize them like any other host-derived text.

use crate::outcome::{Outcome, Source};
use std::fmt::Write as _;

/// The actual value followed by where it came from. Built in one string: a
/// report asks this of most checks on every host.
pub(crate) fn observed(outcome: &Outcome) -> String {
    // Room for a source or two, so that they do not grow the string again.
    let mut text = String::with_capacity(outcome.actual.len() + 64 * outcome.sources.len());
    text.push_str(&outcome.actual);
    if !outcome.sources.is_empty() {
        text.push_str(" (");
        describe_all(&outcome.sources, &mut text);
        text.push(')');
    }
    text
}

/// Where a value came from, without the value: "flag --profiling; config
/// /var/lib/kubelet/config.yaml: readOnlyPort"; empty when nothing says.
pub(crate) fn described(sources: &[Source]) -> String {
    let mut text = String::new();
    describe_all(sources, &mut text);
    text
}

/// One source in words.
fn describe(source: &Source, out: &mut String) {
    let written = match source {
        Source::Flag { component: _, flag } => write!(out, "flag {}", Dashed(flag)),
        Source::ConfigFile { path, key } => write!(out, "config {path}: {key}"),
        Source::Env { component: _, name } => write!(out, "env {name}"),
        Source::Manifest { path, flag } => write!(out, "manifest {path}: {}", Dashed(flag)),
        // The reference names the component already ("kube-apiserver
        // reference ..."), and `actual` says whose default it is.
        Source::Default {
            component: _,
            reference,
        } => write!(out, "default per {reference}"),
        Source::Unset { component } => write!(out, "no {component} default known"),
        Source::File { path } => write!(out, "file {path}"),
    };
    written.expect("writing to a String");
}

/// All sources of a value, separated by "; ".
fn describe_all(sources: &[Source], out: &mut String) {
    for (i, source) in sources.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        describe(source, out);
    }
}

/// A flag as it is typed on a command line, whether or not the name was
/// recorded with its dashes.
struct Dashed<'a>(&'a str);

impl std::fmt::Display for Dashed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.0.starts_with('-') {
            f.write_str("--")?;
        }
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(source: Source, expected: &str) {
        let mut text = String::new();
        describe(&source, &mut text);
        assert_eq!(text, expected);
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
        // An absent setting without a known default has no reference to cite.
        case(
            Source::Unset {
                component: s("kubelet"),
            },
            "no kubelet default known",
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
            automated_verdict: None,
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
        let outcome = Outcome {
            status: crate::outcome::Status::Pass,
            expected: s("0"),
            actual: s("0"),
            sources: vec![
                Source::Flag {
                    component: s("kubelet"),
                    flag: s("--config"),
                },
                Source::ConfigFile {
                    path: s("/var/lib/kubelet/config.yaml"),
                    key: s("readOnlyPort"),
                },
            ],
            notes: vec![],
            automated_verdict: None,
        };
        assert_eq!(
            observed(&outcome),
            "0 (flag --config; config /var/lib/kubelet/config.yaml: readOnlyPort)",
        );
    }
}

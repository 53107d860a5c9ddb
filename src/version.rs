//! Kubernetes versions as hosts report them, and `--benchmark auto`: the
//! benchmark for the version the control plane (or, lacking one, the
//! kubelet) runs. Pure.

use crate::benchmark::Benchmark;
use crate::component::Component;
use crate::facts::{Facts, VersionFact};
use regex::Regex;
use std::sync::LazyLock;

static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bv?(\d+)\.(\d+)\.(\d+)[0-9A-Za-z.+\-]*").expect("valid regex"));

/// A Kubernetes version and the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub version: String,
    /// Which component's version it is and where that was read, e.g.
    /// `kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.4 in
    /// /etc/kubernetes/manifests/kube-apiserver.yaml`.
    pub source: String,
}

/// The Kubernetes version a host runs, and where it came from: the API
/// server's if it runs one, else the kubelet's, else kube-proxy's, else the
/// controller manager's (etcd's own version is not a Kubernetes version).
pub fn seen(facts: &Facts) -> Option<Seen> {
    // Then a distribution's own binary (`k3s`, `rke2`), whose version is
    // the Kubernetes version it embeds (`v1.33.5+k3s1`).
    let components = [Component::KubeApiserver, Component::Kubelet, Component::KubeProxy, Component::KubeControllerManager]
        .map(Component::name);
    let others = facts.versions.keys().map(String::as_str).filter(|n| !components.contains(n) && *n != Component::Etcd.name());
    components
        .into_iter()
        .chain(others)
        .find_map(|component| match facts.versions.get(component) {
            Some(VersionFact::Reported { text, source }) => VERSION.find(text).map(|m| {
                let v = m.as_str();
                let version = if v.starts_with('v') { v.to_string() } else { format!("v{v}") };
                let from = source.as_ref().map_or_else(|| format!("{component} --version"), |s| s.describe());
                Seen { version, source: format!("{component}: {from}") }
            }),
            _ => None,
        })
}

/// `(major, minor)` of a version string such as `v1.33.4`.
fn minor_of(version: &str) -> Option<(u32, u32)> {
    let caps = VERSION.captures(version)?;
    Some((caps[1].parse().ok()?, caps[2].parse().ok()?))
}

fn minors(benchmark: &Benchmark) -> impl Iterator<Item = (u32, u32)> + '_ {
    benchmark.kubernetes.iter().filter_map(|m| {
        let (major, minor) = m.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    })
}

/// Chooses among `candidates` for the versions seen. Returns the index of the
/// benchmark and the words saying why, or why none fits.
pub fn choose(candidates: &[Benchmark], seen: &[String]) -> Result<(usize, String), String> {
    let newest = |bs: &[Benchmark]| {
        (0..bs.len()).max_by_key(|&i| minors(&bs[i]).max()).expect("at least one benchmark is built in")
    };
    // The highest version seen decides: during an upgrade the control plane
    // is upgraded first, and its benchmark is the one that applies.
    let Some((version, minor)) =
        seen.iter().filter_map(|v| minor_of(v).map(|m| (v, m))).max_by_key(|(_, m)| *m)
    else {
        let i = newest(candidates);
        return Ok((i, format!("auto: no Kubernetes version could be read; newest known, {}", candidates[i].id)));
    };
    if let Some(i) = candidates.iter().position(|b| minors(b).any(|m| m == minor)) {
        return Ok((i, format!("auto: kubernetes {version}")));
    }
    let i = newest(candidates);
    let covered = &candidates[i].kubernetes;
    let range = format!("{}–{}", covered.first().map_or("", |s| s), covered.last().map_or("", |s| s));
    if minors(&candidates[i]).max().is_some_and(|newest| minor > newest) {
        Ok((i, format!("auto: kubernetes {version} is newer than any known benchmark; using {} (for {range})", candidates[i].id)))
    } else {
        Err(format!(
            "kubernetes {version} is older than any benchmark this hardbench knows ({} covers {range}); \
             choose one explicitly with --benchmark",
            candidates[i].id
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::VersionSource;
    use std::collections::BTreeMap;

    fn benchmark(id: &str, minors: &[&str]) -> Benchmark {
        Benchmark {
            id: id.into(),
            title: id.into(),
            platform: "kubeadm".into(),
            kubernetes: minors.iter().map(|s| s.to_string()).collect(),
            sha256: String::new(),
            checks: Vec::new(),
            settings: Vec::new(),
        }
    }

    #[track_caller]
    fn case(seen: &[&str], expected: Result<(usize, &str), &str>) {
        let candidates = [benchmark("cis-1.11", &["1.29", "1.30", "1.31"]), benchmark("cis-1.12", &["1.32", "1.33", "1.34"])];
        let seen: Vec<String> = seen.iter().map(|s| s.to_string()).collect();
        let got = choose(&candidates, &seen);
        match (got, expected) {
            (Ok((i, why)), Ok((ei, ewhy))) => {
                assert_eq!(i, ei);
                assert!(why.contains(ewhy), "{why:?} should contain {ewhy:?}");
            }
            (Err(why), Err(ewhy)) => assert!(why.contains(ewhy), "{why:?} should contain {ewhy:?}"),
            (got, expected) => panic!("got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn benchmarks_follow_the_reference_tools_mapping() {
        case(&["v1.33.4"], Ok((1, "auto: kubernetes v1.33.4")));
        case(&["v1.32.0"], Ok((1, "v1.32.0")));
        case(&["v1.30.2"], Ok((0, "v1.30.2")));
        case(&["v1.36.1"], Ok((1, "newer than any known benchmark; using cis-1.12")));
        case(&["v1.28.9"], Err("older than any benchmark"));
        case(&[], Ok((1, "no Kubernetes version could be read")));
        case(&["v1.30.2", "v1.33.1"], Ok((1, "v1.33.1")));
    }

    #[test]
    fn the_api_server_version_is_preferred() {
        let reported = |text: &str| VersionFact::Reported { text: text.into(), source: None };
        let mut facts = Facts {
            versions: BTreeMap::from([
                ("kubelet".to_string(), reported("Kubernetes v1.32.9")),
                ("kube-apiserver".to_string(), reported("Kubernetes v1.33.4\n")),
                ("etcd".to_string(), reported("etcd Version: 3.4.23")),
            ]),
            ..Facts::default()
        };
        assert_eq!(seen(&facts).map(|s| s.version).as_deref(), Some("v1.33.4"));
        facts.versions.remove("kube-apiserver");
        assert_eq!(seen(&facts).map(|s| s.version).as_deref(), Some("v1.32.9"));
        facts.versions.remove("kubelet");
        assert_eq!(seen(&facts).map(|s| s.version), None);
    }

    #[test]
    fn manifest_image_tags_and_their_sources() {
        let image = |component: &str, tag: &str| VersionFact::Reported {
            text: tag.into(),
            source: Some(VersionSource::ManifestImage {
                manifest: format!("/etc/kubernetes/manifests/{component}.yaml"),
                image: format!("registry.k8s.io/{component}:{tag}"),
            }),
        };
        // etcd's image tag is etcd's version, never taken for Kubernetes'.
        let mut facts =
            Facts { versions: BTreeMap::from([("etcd".to_string(), image("etcd", "3.5.21-0"))]), ..Facts::default() };
        assert_eq!(seen(&facts), None);
        facts.versions.insert("kube-controller-manager".to_string(), image("kube-controller-manager", "v1.32.2"));
        facts.versions.insert(
            "kubelet".into(),
            VersionFact::Reported {
                text: "Kubernetes v1.33.4".into(),
                source: Some(VersionSource::Executed { binary: "/usr/bin/kubelet".into() }),
            },
        );
        assert_eq!(
            seen(&facts),
            Some(Seen { version: "v1.33.4".into(), source: "kubelet: /usr/bin/kubelet --version".into() })
        );
        facts.versions.insert("kube-apiserver".to_string(), image("kube-apiserver", "v1.33.5"));
        assert_eq!(
            seen(&facts),
            Some(Seen {
                version: "v1.33.5".into(),
                source: "kube-apiserver: image registry.k8s.io/kube-apiserver:v1.33.5 in /etc/kubernetes/manifests/kube-apiserver.yaml"
                    .into()
            })
        );
        facts.versions.retain(|c, _| c == "kube-controller-manager");
        assert_eq!(seen(&facts).map(|s| s.version).as_deref(), Some("v1.32.2"));
    }
}

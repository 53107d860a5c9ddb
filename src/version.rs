//! Kubernetes versions as hosts report them, and `--benchmark auto`: for
//! each host, the benchmark of its platform for the version its control
//! plane (or, lacking one, its kubelet) runs. Pure.

use crate::benchmark::Benchmark;
use crate::component::{version_rank, Component};
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
    let mut components: Vec<&str> =
        facts.versions.keys().map(String::as_str).filter(|n| *n != Component::Etcd.name()).collect();
    components.sort_by_key(|n| version_rank(n));
    components.into_iter().find_map(|component| match facts.versions.get(component) {
        Some(VersionFact::Reported { text, source }) => VERSION.find(text).map(|m| {
            let v = m.as_str();
            let version = if v.starts_with('v') { v.to_string() } else { format!("v{v}") };
            let from = source.as_ref().map_or_else(|| format!("{component} --version"), |s| s.describe());
            Seen { version, source: format!("{component}: {from}") }
        }),
        _ => None,
    })
}

/// The minor version (`1.33`) of a version string such as `v1.33.4+k3s1`.
pub fn minor(version: &str) -> Option<String> {
    minor_of(version).map(|(major, minor)| format!("{major}.{minor}"))
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

/// "cis-1.12 covers 1.32–1.34".
fn covers(benchmark: &Benchmark) -> String {
    let covered = &benchmark.kubernetes;
    let range = match (covered.first(), covered.last()) {
        (Some(first), Some(last)) if first != last => format!("{first}–{last}"),
        (Some(only), _) => only.clone(),
        _ => "no version".to_string(),
    };
    format!("{} covers {range}", benchmark.id)
}

/// Why no benchmark judges a host under `--benchmark auto`: an error for
/// that host alone, which names the way out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoBenchmark {
    #[error("no benchmark this hardbench knows is for platform {platform}; choose one explicitly with --benchmark")]
    Platform { platform: String },
    #[error(
        "kubernetes {version} ({seen_from}) is older than every benchmark for platform {platform} this hardbench \
         knows (the oldest: {oldest}); choose one explicitly with --benchmark"
    )]
    Older { version: String, seen_from: String, platform: String, oldest: String },
    #[error(
        "kubernetes {version} ({seen_from}) falls between the benchmarks for platform {platform} this hardbench \
         knows ({known}); choose one explicitly with --benchmark"
    )]
    Between { version: String, seen_from: String, platform: String, known: String },
}

/// The benchmark chosen for a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Its index among the candidates.
    pub index: usize,
    /// What was seen and why this benchmark, in words.
    pub why: String,
    /// Whether the benchmark covers the host's version; if not (a version
    /// newer than all, or none read), the newest stands in, and the host's
    /// report says so.
    pub covered: bool,
}

/// Chooses for one host, among the `candidates` whose platform is
/// `platform`, the benchmark for the Kubernetes version `seen` on it: the
/// one whose minors hold it (the newest such, should two); for a version
/// newer than all, the newest, saying so; with no version read, the newest,
/// saying why.
pub fn choose(candidates: &[Benchmark], platform: &str, seen: Option<&Seen>) -> Result<Choice, NoBenchmark> {
    let for_platform: Vec<usize> = (0..candidates.len()).filter(|&i| candidates[i].platform == platform).collect();
    let newest_of = |indices: &mut dyn Iterator<Item = usize>| indices.max_by_key(|&i| minors(&candidates[i]).max());
    let Some(newest) = newest_of(&mut for_platform.iter().copied()) else {
        return Err(NoBenchmark::Platform { platform: platform.to_string() });
    };
    let Some((seen, minor)) = seen.and_then(|s| minor_of(&s.version).map(|m| (s, m))) else {
        let why = format!(
            "no Kubernetes version could be read; the newest benchmark for {platform}: {}",
            covers(&candidates[newest])
        );
        return Ok(Choice { index: newest, why, covered: false });
    };
    let what = format!("kubernetes {} ({})", seen.version, seen.source);
    let fits = newest_of(&mut for_platform.iter().copied().filter(|&i| minors(&candidates[i]).any(|m| m == minor)));
    if let Some(i) = fits {
        return Ok(Choice { index: i, why: format!("{what}; {}", covers(&candidates[i])), covered: true });
    }
    if minors(&candidates[newest]).max().is_some_and(|max| minor > max) {
        let why = format!("{what} is newer than every benchmark for {platform}; the newest: {}", covers(&candidates[newest]));
        return Ok(Choice { index: newest, why, covered: false });
    }
    let oldest = for_platform.iter().copied().min_by_key(|&i| minors(&candidates[i]).min()).expect("not empty");
    let (version, seen_from, platform) = (seen.version.clone(), seen.source.clone(), platform.to_string());
    if minors(&candidates[oldest]).min().is_none_or(|min| minor < min) {
        Err(NoBenchmark::Older { version, seen_from, platform, oldest: covers(&candidates[oldest]) })
    } else {
        let mut known = for_platform;
        known.sort_by_key(|&i| minors(&candidates[i]).min());
        let known = known.iter().map(|&i| covers(&candidates[i])).collect::<Vec<_>>().join(", ");
        Err(NoBenchmark::Between { version, seen_from, platform, known })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::VersionSource;
    use std::collections::BTreeMap;

    fn benchmark(id: &str, platform: &str, minors: &[&str]) -> Benchmark {
        Benchmark {
            id: id.into(),
            title: id.into(),
            platform: platform.into(),
            kubernetes: minors.iter().map(|s| s.to_string()).collect(),
            sha256: String::new(),
            checks: Vec::new(),
            settings: Vec::new(),
        }
    }

    /// Platform × version: in range, newer, older, between, no version, and
    /// a platform no benchmark is for; two platforms share the minors.
    #[test]
    fn each_host_gets_the_benchmark_of_its_platform_and_version() {
        let candidates = [
            benchmark("rke2-cis-1.12", "rke2", &["1.32", "1.33"]),
            benchmark("cis-1.9", "kubeadm", &["1.27"]),
            benchmark("cis-1.12", "kubeadm", &["1.32", "1.33", "1.34"]),
            benchmark("cis-1.11", "kubeadm", &["1.29", "1.30", "1.31"]),
        ];
        let seen = |version: &str| Seen { version: version.into(), source: "kubelet: /usr/bin/kubelet --version".into() };
        // (platform, version seen, Ok(chosen id, words, covered) or Err(words))
        type Case<'a> = (&'a str, Option<&'a str>, Result<(&'a str, &'a str, bool), &'a str>);
        let cases: [Case; 11] = [
            ("kubeadm", Some("v1.30.4"), Ok(("cis-1.11", "kubernetes v1.30.4 (kubelet: /usr/bin/kubelet --version); cis-1.11 covers 1.29–1.31", true))),
            ("kubeadm", Some("v1.33.1"), Ok(("cis-1.12", "kubernetes v1.33.1 (kubelet: /usr/bin/kubelet --version); cis-1.12 covers 1.32–1.34", true))),
            ("kubeadm", Some("v1.27.3"), Ok(("cis-1.9", "kubernetes v1.27.3 (kubelet: /usr/bin/kubelet --version); cis-1.9 covers 1.27", true))),
            ("rke2", Some("v1.33.1+rke2r1"), Ok(("rke2-cis-1.12", "cis-1.12 covers 1.32–1.33", true))),
            (
                "kubeadm",
                Some("v1.36.0"),
                Ok(("cis-1.12", "kubernetes v1.36.0 (kubelet: /usr/bin/kubelet --version) is newer than every benchmark for kubeadm; the newest: cis-1.12 covers 1.32–1.34", false)),
            ),
            ("rke2", Some("v1.35.2+rke2r1"), Ok(("rke2-cis-1.12", "is newer than every benchmark for rke2; the newest: rke2-cis-1.12 covers 1.32–1.33", false))),
            (
                "kubeadm",
                None,
                Ok(("cis-1.12", "no Kubernetes version could be read; the newest benchmark for kubeadm: cis-1.12 covers 1.32–1.34", false)),
            ),
            ("kubeadm", Some("not a version"), Ok(("cis-1.12", "no Kubernetes version could be read", false))),
            (
                "kubeadm",
                Some("v1.26.9"),
                Err("kubernetes v1.26.9 (kubelet: /usr/bin/kubelet --version) is older than every benchmark for platform kubeadm this hardbench knows (the oldest: cis-1.9 covers 1.27); choose one explicitly with --benchmark"),
            ),
            (
                "kubeadm",
                Some("v1.28.2"),
                Err("kubernetes v1.28.2 (kubelet: /usr/bin/kubelet --version) falls between the benchmarks for platform kubeadm this hardbench knows (cis-1.9 covers 1.27, cis-1.11 covers 1.29–1.31, cis-1.12 covers 1.32–1.34); choose one explicitly with --benchmark"),
            ),
            ("k3s", Some("v1.33.1+k3s1"), Err("no benchmark this hardbench knows is for platform k3s; choose one explicitly with --benchmark")),
        ];
        for (platform, version, expected) in cases {
            let got = choose(&candidates, platform, version.map(seen).as_ref());
            match (&got, expected) {
                (Ok(choice), Ok((id, words, covered))) => {
                    assert_eq!(candidates[choice.index].id, id, "{platform} {version:?}: {choice:?}");
                    assert!(choice.why.contains(words), "{platform} {version:?}: {choice:?} should contain {words:?}");
                    assert_eq!(choice.covered, covered, "{platform} {version:?}");
                }
                (Err(error), Err(words)) => assert_eq!(error.to_string(), words, "{platform} {version:?}"),
                (got, expected) => panic!("{platform} {version:?}: got {got:?}, expected {expected:?}"),
            }
        }
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

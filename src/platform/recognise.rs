//! Which platform a host runs, from its facts and the platforms'
//! recognition data. Pure.
//!
//! Evidence has three strengths: a genuine process only that platform runs
//! (`rke2 server`), then a component version that carries the platform's
//! suffix (`+k3s1`, `-eks-`), then a marker path present on the host
//! (`/var/lib/rancher/rke2`). The platform with the strongest evidence
//! wins; a host with evidence of several platforms (an RKE2 node that
//! still has k3s's directories from an old install) gets a note naming
//! them all. A host with no evidence at all runs the fallback platform,
//! the one whose definition asks for none (kubeadm).

use super::Platform;
use crate::facts::{Facts, FileFact, VersionFact};

/// The platform chosen for a host, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recognised<'p> {
    pub platform: &'p Platform,
    /// What was seen, for the report: `process rke2 server (pid 812)`.
    pub evidence: String,
    /// Said when other platforms showed evidence too.
    pub notes: Vec<String>,
}

/// Evidence of one platform, strongest kind first.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Evidence {
    processes: Vec<String>,
    versions: Vec<String>,
    markers: Vec<String>,
}

impl Evidence {
    fn strength(&self) -> (bool, bool, usize) {
        (!self.processes.is_empty(), !self.versions.is_empty(), self.markers.len())
    }

    fn is_empty(&self) -> bool {
        self.processes.is_empty() && self.versions.is_empty() && self.markers.is_empty()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.processes.iter().map(|p| format!("process {p}")));
        parts.extend(self.versions.iter().cloned());
        parts.extend(self.markers.iter().map(|m| format!("{m} exists")));
        parts.join(", ")
    }
}

fn evidence(facts: &Facts, platform: &Platform) -> Evidence {
    let recognise = &platform.recognise;
    let processes = recognise
        .processes
        .iter()
        .filter_map(|m| facts.judged(|p| m.matches(p)).map(|p| format!("{m} (pid {})", p.pid)))
        .collect();
    let versions = facts
        .versions
        .iter()
        .filter_map(|(name, fact)| match fact {
            VersionFact::Reported { text, .. } => recognise
                .version_suffixes
                .iter()
                .find(|suffix| text.contains(suffix.as_str()))
                .map(|suffix| format!("{name} version {} has {suffix}", first_line(text))),
            _ => None,
        })
        .collect();
    let markers = recognise
        .markers
        .iter()
        .filter(|m| matches!(facts.files.get(m.as_str()), Some(FileFact::Present(_))))
        .cloned()
        .collect();
    Evidence { processes, versions, markers }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

/// The platform `facts` show among `platforms`. `None` only when no
/// platform is recognised and none is a fallback.
pub fn recognise<'p>(facts: &Facts, platforms: &'p [Platform]) -> Option<Recognised<'p>> {
    let mut seen: Vec<(&Platform, Evidence)> = platforms
        .iter()
        .filter(|p| !p.recognise.is_fallback())
        .map(|p| (p, evidence(facts, p)))
        .filter(|(_, e)| !e.is_empty())
        .collect();
    // Strongest first; equal strength in id order, so the choice is stable.
    seen.sort_by(|(a, ea), (b, eb)| eb.strength().cmp(&ea.strength()).then_with(|| a.id.cmp(&b.id)));
    let Some((chosen, why)) = seen.first() else {
        let fallback = platforms.iter().find(|p| p.recognise.is_fallback())?;
        let others: Vec<&str> = platforms.iter().filter(|p| p.id != fallback.id).map(|p| p.id.as_str()).collect();
        let evidence = if others.is_empty() {
            "the only platform known".to_string()
        } else {
            format!("no sign of {}", others.join(", "))
        };
        return Some(Recognised { platform: fallback, evidence, notes: Vec::new() });
    };
    let notes = seen[1..]
        .iter()
        .map(|(other, e)| {
            format!(
                "this host also shows signs of {} ({}); it is audited as {} ({})",
                other.id,
                e.describe(),
                chosen.id,
                why.describe()
            )
        })
        .collect();
    Some(Recognised { platform: chosen, evidence: why.describe(), notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{FileKind, FileStat, Owner, Process, StartedBy};

    fn platform(text: &str) -> Platform {
        super::super::load::load("p.toml", text).unwrap()
    }

    fn platforms() -> Vec<Platform> {
        let kubelet = "[components.kubelet]\nprocess = \"kubelet\"\n";
        vec![
            platform(&format!("id = \"kubeadm\"\ntitle = \"k\"\n[recognise]\n{kubelet}")),
            platform(&format!(
                "id = \"k3s\"\ntitle = \"k\"\n[recognise]\nprocesses = [\"k3s server\", \"k3s agent\"]\nversion-suffix = [\"+k3s\"]\nmarkers = [\"/var/lib/rancher/k3s\"]\n{kubelet}"
            )),
            platform(&format!(
                "id = \"rke2\"\ntitle = \"r\"\n[recognise]\nprocesses = [\"rke2 server\", \"rke2 agent\"]\nversion-suffix = [\"+rke2\"]\nmarkers = [\"/var/lib/rancher/rke2\"]\n{kubelet}"
            )),
            platform(&format!(
                "id = \"eks\"\ntitle = \"e\"\n[recognise]\nversion-suffix = [\"-eks-\"]\nmarkers = [\"/etc/eks\"]\n{kubelet}"
            )),
        ]
    }

    fn process(argv: &[&str], pid: u32, uid: u32) -> Process {
        Process {
            name: argv[0].rsplit('/').next().unwrap().into(),
            pid,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cwd: None,
            env: Vec::new(),
            owner: Some(Owner {
                uid,
                euid: uid,
                cgroup: Some("/user.slice/user-1000.slice/session-1.scope".into()),
                started_by: StartedBy::Other,
            }),
        }
    }

    fn present() -> FileFact {
        FileFact::Present(FileStat {
            kind: FileKind::Directory,
            mode: 0o755,
            uid: 0,
            gid: 0,
            user: Some("root".into()),
            group: Some("root".into()),
        })
    }

    fn version(text: &str) -> VersionFact {
        VersionFact::Reported { text: text.into(), source: None }
    }

    #[test]
    fn platforms_are_told_apart() {
        let all = platforms();
        #[track_caller]
        fn case(all: &[Platform], facts: Facts, id: &str, evidence: &str, notes: usize) {
            let got = recognise(&facts, all).unwrap();
            assert_eq!(got.platform.id, id, "{got:?}");
            assert!(got.evidence.contains(evidence), "{:?} should contain {evidence:?}", got.evidence);
            assert_eq!(got.notes.len(), notes, "{:?}", got.notes);
        }
        // Nothing seen: the fallback, kubeadm.
        case(&all, Facts::default(), "kubeadm", "no sign of k3s, rke2, eks", 0);
        // A k3s server by its process.
        let k3s = Facts { processes: vec![process(&["/usr/local/bin/k3s", "server"], 800, 0)], ..Facts::default() };
        case(&all, k3s, "k3s", "process k3s server (pid 800)", 0);
        // A local user's `k3s server` is no evidence.
        let fake = Facts { processes: vec![process(&["/tmp/k3s", "server"], 900, 1000)], ..Facts::default() };
        case(&all, fake, "kubeadm", "no sign", 0);
        // An EKS node by its kubelet's version suffix.
        let eks = Facts {
            versions: [("kubelet".to_string(), version("Kubernetes v1.31.2-eks-7f9249a"))].into(),
            ..Facts::default()
        };
        case(&all, eks, "eks", "kubelet version Kubernetes v1.31.2-eks-7f9249a has -eks-", 0);
        // By a marker alone.
        let marked = Facts { files: [("/etc/eks".to_string(), present())].into(), ..Facts::default() };
        case(&all, marked, "eks", "/etc/eks exists", 0);
        // An absent marker is no evidence.
        let absent = Facts { files: [("/etc/eks".to_string(), FileFact::Missing)].into(), ..Facts::default() };
        case(&all, absent, "kubeadm", "no sign", 0);
        // Two platforms: an RKE2 server left with k3s's directory from an
        // old install. The running process outweighs the marker; the other
        // platform is named in a note.
        let both = Facts {
            processes: vec![process(&["/usr/local/bin/rke2", "server"], 700, 0)],
            files: [("/var/lib/rancher/k3s".to_string(), present()), ("/var/lib/rancher/rke2".to_string(), present())]
                .into(),
            ..Facts::default()
        };
        case(&all, both, "rke2", "process rke2 server (pid 700), /var/lib/rancher/rke2 exists", 1);
        // Equal evidence of two platforms: the choice is stable (id order)
        // and the other is named.
        let tie = Facts {
            files: [("/var/lib/rancher/k3s".to_string(), present()), ("/var/lib/rancher/rke2".to_string(), present())]
                .into(),
            ..Facts::default()
        };
        let got = recognise(&tie, &all).unwrap();
        assert_eq!(got.platform.id, "k3s");
        assert_eq!(
            got.notes,
            ["this host also shows signs of rke2 (/var/lib/rancher/rke2 exists); it is audited as k3s (/var/lib/rancher/k3s exists)"]
        );
    }

    #[test]
    fn without_a_fallback_nothing_is_recognised() {
        let all: Vec<Platform> = platforms().into_iter().filter(|p| p.id != "kubeadm").collect();
        assert_eq!(recognise(&Facts::default(), &all), None);
    }

    /// The built-in data: an empty /etc/eks directory (a mount point, a
    /// leftover; every lab host has one) is no sign of EKS, the AMI's
    /// /etc/eks/release is.
    #[test]
    fn an_empty_etc_eks_is_no_sign_of_eks_but_its_release_file_is() {
        let id = |files: &[&str]| {
            let facts = Facts { files: files.iter().map(|f| (f.to_string(), present())).collect(), ..Facts::default() };
            recognise(&facts, crate::platform::all()).unwrap().platform.id.clone()
        };
        assert_eq!(id(&["/etc/eks"]), "kubeadm");
        assert_eq!(id(&["/etc/eks", "/etc/eks/release"]), "eks");
    }
}

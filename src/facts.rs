//! Typed facts about one host: what the gathering script observed, and
//! nothing else. Facts are plain data: they can be saved as JSON and
//! evaluated again offline. Turning the raw stream into facts lives in
//! `facts/parse.rs`; deciding what to gather lives in `facts/plan.rs`.
//!
//! Every fact distinguishes "observed", "observed to be absent" and "could
//! not be collected" (with the host's reason), so that evaluation never
//! mistakes a collection failure for a verdict.

pub mod parse;
pub mod plan;
mod sorted;
mod tagged;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema tag written into saved fact files.
pub const FACTS_SCHEMA: &str = "hardbench.facts/v1";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Host identity as the host reports it (`uname -n`, machine-id).
    pub identity: Identity,
    /// Running processes the plan asked for (by the basename of their
    /// argv[0]), in the order the host listed them.
    pub processes: Vec<Process>,
    /// `stat` results by absolute path.
    #[serde(deserialize_with = "sorted::map")]
    pub files: BTreeMap<String, FileFact>,
    /// Directory listings by absolute path (entries are absolute paths, sorted).
    #[serde(deserialize_with = "sorted::map")]
    pub listings: BTreeMap<String, Listing>,
    /// Contents of small configuration documents by absolute path, redacted
    /// on the host before they were sent.
    #[serde(deserialize_with = "sorted::map")]
    pub documents: BTreeMap<String, Document>,
    /// Versions and where they were read, by what the plan asked for: a
    /// component (from its static pod's image) or a process (its binary).
    #[serde(deserialize_with = "sorted::map")]
    pub versions: BTreeMap<String, VersionFact>,
    /// SHA-256 fingerprints of CA certificates the components name, computed
    /// on the host, by absolute path. Absent in facts saved before they
    /// were gathered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "sorted::map")]
    pub certificates: BTreeMap<String, CertFact>,
    /// Problems the script reported that are not tied to one fact (for
    /// example a missing tool), in the order reported.
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub hostname: Option<String>,
    pub machine_id: Option<String>,
    /// The user the script ran as on the host (after sudo, when used).
    pub effective_user: Option<String>,
}

/// One running process the plan asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// The basename of argv[0] the plan named (`kube-apiserver`, `k3s`).
    /// Facts saved before platforms were data call it `component`.
    #[serde(alias = "component")]
    pub name: String,
    pub pid: u32,
    /// The exact argv from /proc/PID/cmdline; argv[0] included. Bytes that
    /// are not UTF-8 are replaced with U+FFFD.
    pub argv: Vec<String>,
    /// The process's working directory, used to resolve relative paths in flags.
    pub cwd: Option<String>,
    /// The variables of /proc/PID/environ whose prefix the platform names
    /// for the process (etcd's `ETCD_*`); nothing else of the environment
    /// leaves the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    /// Who runs the process and what started it. Absent only in facts
    /// saved before it was gathered; such a process is judged as it was then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// The credentials and the placement of a process: what an unprivileged
/// local user cannot forge (argv and the command name they can).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// Real uid (`Uid:` in /proc/PID/status, first field).
    pub uid: u32,
    /// Effective uid (second field).
    pub euid: u32,
    /// The process's cgroup (the unified hierarchy's, else systemd's).
    pub cgroup: Option<String>,
    /// What started it, as its cgroup tells.
    pub started_by: StartedBy,
}

/// What placed a process in its cgroup. Only root, the service manager and
/// the kubelet can put a process into a system service's or a pod's cgroup;
/// a local user's processes stay in their session's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StartedBy {
    /// A systemd system service: `/system.slice/<unit>`.
    Service { unit: String },
    /// A container of a pod (a static pod included): `/kubepods…`.
    Pod,
    /// Anything else: a login session, a user service, no cgroup known.
    Other,
}

impl StartedBy {
    /// From a cgroup path as /proc/PID/cgroup shows it. Only top-level
    /// placements count: a user may create `…/user@1000.service/kubepods`
    /// or `…/app.slice/etcd.service` in the tree systemd delegates to them.
    pub fn from_cgroup(cgroup: Option<&str>) -> StartedBy {
        let Some(path) = cgroup else { return StartedBy::Other };
        if path.starts_with("/kubepods/") || path.starts_with("/kubepods.slice/") {
            return StartedBy::Pod;
        }
        match path.strip_prefix("/system.slice/") {
            Some(unit) if unit.ends_with(".service") && !unit.contains('/') => {
                StartedBy::Service { unit: unit.to_string() }
            }
            _ => StartedBy::Other,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            StartedBy::Service { unit } => format!("systemd service {unit}"),
            StartedBy::Pod => "a pod (static pod or container)".into(),
            StartedBy::Other => "neither a system service nor a pod".into(),
        }
    }
}

/// Why a process is taken for the component its name claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Its real uid is 0: no local user can start such a process.
    Root,
    /// The component's own systemd service runs it (etcd as user `etcd`
    /// under etcd.service).
    OwnService,
    /// The kubelet runs it in a pod.
    Pod,
    /// Facts saved before owners were gathered: judged as then.
    Unrecorded,
}

impl Process {
    /// Whether this process is the component its argv[0] names, or a
    /// local user's process that only carries the name (`Err` says why not).
    pub fn standing(&self) -> Result<Standing, String> {
        let Some(owner) = &self.owner else { return Ok(Standing::Unrecorded) };
        if owner.uid == 0 {
            return Ok(Standing::Root);
        }
        match &owner.started_by {
            StartedBy::Service { unit } if *unit == format!("{}.service", self.name) => {
                Ok(Standing::OwnService)
            }
            StartedBy::Pod => Ok(Standing::Pod),
            StartedBy::Service { unit } => Err(format!(
                "runs as uid {}, not root, in systemd service {unit}, not {}.service",
                owner.uid, self.name
            )),
            StartedBy::Other => Err(format!(
                "runs as uid {}, not root, and neither {}.service nor the kubelet started it (cgroup {})",
                owner.uid,
                self.name,
                owner.cgroup.as_deref().unwrap_or("unknown")
            )),
        }
    }
}

/// A process that carries a component's name but is not the one judged:
/// a finding of its own, never a source of settings or roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Impostor {
    /// The name it carries (a component's, or a distribution's process).
    pub component: String,
    pub pid: u32,
    /// Real uid, when gathered.
    pub uid: Option<u32>,
    pub argv0: String,
    pub cgroup: Option<String>,
    pub started_by: Option<StartedBy>,
    /// Why it was not judged as the component.
    pub reason: String,
}

/// Read through `tagged::RawFileFact`: dozens per host, each read once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", try_from = "tagged::RawFileFact")]
pub enum FileFact {
    Present(FileStat),
    Missing,
    /// The path could not be examined; the reason is the host's own words.
    Error { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStat {
    pub kind: FileKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Names as the host resolves them; absent when the id has no name there.
    pub user: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Listing {
    /// Every entry below the directory, recursively, as absolute paths.
    Entries { entries: Vec<String> },
    Missing,
    Error { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Document {
    Text {
        content: String,
        /// True when the host cut the document at the size cap.
        truncated: bool,
    },
    Missing,
    Error { reason: String },
}

/// A certificate file's fingerprint as the host computed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CertFact {
    Fingerprint {
        method: FingerprintMethod,
        /// Upper-case hex, colon-separated pairs (as `openssl -fingerprint` prints it).
        sha256: String,
    },
    Missing,
    Error { reason: String },
}

/// What a fingerprint is a digest of. Two fingerprints compare only when
/// they were made the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FingerprintMethod {
    /// SHA-256 of the certificate's DER, as `openssl x509 -fingerprint
    /// -sha256` gives it: made by hardbench from the PEM the host sends.
    X509Der,
    /// SHA-256 of the file's bytes: what an earlier gathering script sent
    /// from a host without openssl; still read in saved facts.
    FileBytes,
}

impl FingerprintMethod {
    pub fn describe(self) -> &'static str {
        match self {
            FingerprintMethod::X509Der => "sha256 of the certificate",
            FingerprintMethod::FileBytes => "sha256 of the file",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case", deny_unknown_fields)]
pub enum VersionFact {
    Reported {
        text: String,
        /// Where the text came from; absent in facts saved before sources
        /// were recorded (then it was always `<binary> --version`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<VersionSource>,
    },
    Error { reason: String },
}

/// Where a component's version was read. Nothing a non-root user could have
/// placed is ever executed to learn it (see `gather_versions` in gather.sh).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum VersionSource {
    /// The tag of the image a static pod manifest runs.
    ManifestImage { manifest: String, image: String },
    /// `<binary> --version`, run because the process runs as root and the
    /// binary and every directory above it are root's and writable by no one
    /// else; `binary` is the path as the process sees it.
    Executed { binary: String },
}

impl VersionSource {
    pub fn describe(&self) -> String {
        match self {
            VersionSource::ManifestImage { manifest, image } => format!("image {image} in {manifest}"),
            VersionSource::Executed { binary } => format!("{binary} --version"),
        }
    }
}

impl Facts {
    /// The process judged among those `matches` selects: one that is what
    /// its name says (see `Process::standing`), the lowest PID when several
    /// are. Which processes run a component is the platform's knowledge
    /// (`Platform::process`).
    pub fn judged(&self, matches: impl Fn(&Process) -> bool) -> Option<&Process> {
        self.processes
            .iter()
            .filter(|p| matches(p) && p.standing().is_ok())
            .min_by_key(|p| p.pid)
    }

    /// The process judged among those named `name` (any subcommand).
    pub fn process_named(&self, name: &str) -> Option<&Process> {
        self.judged(|p| p.name == name)
    }

    /// Every component process that is not judged as its component, in PID
    /// order: the local users' processes that only carry a component's
    /// name, and a second genuine process beside the judged one.
    pub fn impostors(&self) -> Vec<Impostor> {
        let mut found: Vec<Impostor> = self
            .processes
            .iter()
            .filter_map(|p| {
                let reason = match p.standing() {
                    Err(reason) => reason,
                    Ok(_) => {
                        let judged = self.judged(|q| q.name == p.name && q.argv.get(1) == p.argv.get(1))?;
                        if judged.pid == p.pid {
                            return None;
                        }
                        format!("another {} process (pid {}) is the one judged", p.name, judged.pid)
                    }
                };
                Some(Impostor {
                    component: p.name.clone(),
                    pid: p.pid,
                    uid: p.owner.as_ref().map(|o| o.uid),
                    argv0: p.argv.first().cloned().unwrap_or_default(),
                    cgroup: p.owner.as_ref().and_then(|o| o.cgroup.clone()),
                    started_by: p.owner.as_ref().map(|o| o.started_by.clone()),
                    reason,
                })
            })
            .collect();
        found.sort_by(|a, b| (a.pid, &a.component).cmp(&(b.pid, &b.component)));
        found
    }
}

/// A host's facts as saved to disk (`run --save-facts`): the facts plus
/// when, from where and as whom, so that `hardbench evaluate` can rebuild
/// the same report offline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedFacts {
    /// Always `FACTS_SCHEMA`.
    pub schema: String,
    pub host: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub sudo: bool,
    /// Roles given by the inventory; `None` means they were to be detected.
    pub roles: Option<Vec<crate::component::Role>>,
    pub host_key: Option<crate::transport::HostKeyInfo>,
    /// RFC 3339 with offset.
    pub collected_at: String,
    pub duration_ms: u64,
    /// The hardbench that gathered the facts, and the sha256 of the
    /// gathering script it ran on the host: what produced this evidence.
    /// Absent from files saved before they were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardbench_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gather_script_sha256: Option<String>,
    pub facts: Facts,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::component::Component;

    #[test]
    fn what_started_a_process_by_its_cgroup() {
        #[track_caller]
        fn case(cgroup: Option<&str>, expected: StartedBy) {
            assert_eq!(StartedBy::from_cgroup(cgroup), expected, "{cgroup:?}");
        }
        let service = |unit: &str| StartedBy::Service { unit: unit.into() };
        case(Some("/system.slice/kubelet.service"), service("kubelet.service"));
        case(Some("/system.slice/etcd.service"), service("etcd.service"));
        // kubelet's systemd and cgroupfs drivers.
        case(Some("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-ab.scope"), StartedBy::Pod);
        case(Some("/kubepods/burstable/pod1/ab"), StartedBy::Pod);
        // What a local user can reach: their session, and the subtree
        // systemd delegates to their user manager.
        case(Some("/user.slice/user-1000.slice/session-3.scope"), StartedBy::Other);
        case(Some("/user.slice/user-1000.slice/user@1000.service/app.slice/etcd.service"), StartedBy::Other);
        case(Some("/user.slice/user-1000.slice/user@1000.service/kubepods/x"), StartedBy::Other);
        case(Some("/system.slice/etcd.service/extra"), StartedBy::Other);
        case(Some("/system.slice/etcd.scope"), StartedBy::Other);
        case(Some("/kubepods"), StartedBy::Other);
        case(Some("/"), StartedBy::Other);
        case(None, StartedBy::Other);
    }

    /// A process of `component` as `uid` in `cgroup` (also for other modules' tests).
    pub(crate) fn process(component: Component, pid: u32, uid: u32, cgroup: &str) -> Process {
        Process {
            name: component.name().into(),
            pid,
            argv: vec![component.name().into()],
            cwd: None,
            env: Vec::new(),
            owner: Some(Owner {
                uid,
                euid: uid,
                cgroup: Some(cgroup.into()),
                started_by: StartedBy::from_cgroup(Some(cgroup)),
            }),
        }
    }

    #[test]
    fn standing() {
        #[track_caller]
        fn case(component: Component, uid: u32, cgroup: &str, expected: Result<Standing, &str>) {
            match (process(component, 1, uid, cgroup).standing(), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(why), Err(needle)) => assert!(why.contains(needle), "{why}"),
                (got, want) => panic!("{component} uid {uid} in {cgroup}: {got:?}, expected {want:?}"),
            }
        }
        use Component::*;
        case(KubeApiserver, 0, "/user.slice/user-1000.slice/session-3.scope", Ok(Standing::Root));
        case(Etcd, 998, "/system.slice/etcd.service", Ok(Standing::OwnService));
        case(KubeApiserver, 65534, "/kubepods.slice/kubepods-pod1.slice/cri-containerd-ab.scope", Ok(Standing::Pod));
        // Another component's service, or another service, is no proof.
        case(Etcd, 998, "/system.slice/kubelet.service", Err("uid 998, not root"));
        case(KubeApiserver, 33, "/system.slice/nginx.service", Err("in systemd service nginx.service, not kube-apiserver.service"));
        case(
            KubeApiserver,
            65534,
            "/user.slice/user-1000.slice/session-3.scope",
            Err("uid 65534, not root, and neither kube-apiserver.service nor the kubelet started it (cgroup /user.slice/user-1000.slice/session-3.scope)"),
        );
    }

    #[test]
    fn the_genuine_process_is_judged_and_the_others_are_findings() {
        let session = "/user.slice/user-1000.slice/session-3.scope";
        let facts = Facts {
            // PID "1005" sorts before "58": order must not decide.
            processes: vec![
                process(Component::KubeApiserver, 1005, 65534, session),
                process(Component::KubeApiserver, 58, 0, "/kubepods/burstable/pod1/ab"),
                process(Component::KubeApiserver, 70, 0, "/kubepods/burstable/pod2/cd"),
                process(Component::Kubelet, 900, 1000, session),
            ],
            ..Facts::default()
        };
        assert_eq!(facts.process_named("kube-apiserver").map(|p| p.pid), Some(58));
        assert_eq!(facts.process_named("kubelet"), None);
        let found: Vec<(u32, Option<u32>, bool)> =
            facts.impostors().iter().map(|i| (i.pid, i.uid, i.reason.contains("not root"))).collect();
        assert_eq!(found, [(70, Some(0), false), (900, Some(1000), true), (1005, Some(65534), true)]);
        assert!(facts.impostors()[0].reason.contains("pid 58"), "{:?}", facts.impostors()[0]);
    }
}

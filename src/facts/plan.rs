//! What to gather beyond the script's built-in knowledge: the paths a
//! benchmark names. The plan is data, passed to the fixed script as
//! arguments; it never carries code.

use crate::benchmark::{Benchmark, Test};
use crate::component::version_rank;
use crate::platform::{ArgsSource, Platform};
use std::collections::BTreeSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Process names (argv[0] basenames) to report.
    pub processes: BTreeSet<String>,
    /// `(process name, flag or variable, action letter)`: what to do with
    /// a file a process's flag names (`src/gather.sh`, ARGSCAN).
    pub flags: BTreeSet<(String, String, char)>,
    /// `(process name, prefix)`: environment variables to report.
    pub env: BTreeSet<(String, String)>,
    /// `(name, manifest)`: a version from a static pod's image.
    pub images: BTreeSet<(String, String)>,
    /// Process names whose binary may be asked for its version; the
    /// script asks them in `version_rank` order, until one answers.
    pub versions: BTreeSet<String>,
    /// Paths to `stat`.
    pub stat: BTreeSet<String>,
    /// Directories whose every entry, recursively, is listed and `stat`ed.
    pub tree: BTreeSet<String>,
    /// Files whose (redacted, capped) contents are read. A directory here
    /// means every regular file directly inside it.
    pub read: BTreeSet<String>,
    /// Certificates to fingerprint.
    pub fingerprint: BTreeSet<String>,
}

impl Plan {
    /// The script's arguments, in a stable order: what to look for first
    /// (`p:`, `f:`, `e:`, `i:`, `v:`, the last in the order the script
    /// tries them), then the paths (`s:`, `t:`, `r:`, `x:`).
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        args.extend(self.processes.iter().map(|n| format!("p:{n}")));
        args.extend(self.flags.iter().map(|(n, f, a)| format!("f:{n}:{f}:{a}")));
        args.extend(self.env.iter().map(|(n, p)| format!("e:{n}:{p}")));
        args.extend(self.images.iter().map(|(n, m)| format!("i:{n}:{m}")));
        let mut versions: Vec<&String> = self.versions.iter().collect();
        versions.sort_by_key(|n| version_rank(n));
        args.extend(versions.into_iter().map(|n| format!("v:{n}")));
        args.extend(self.stat.iter().map(|p| format!("s:{p}")));
        args.extend(self.tree.iter().map(|p| format!("t:{p}")));
        args.extend(self.read.iter().map(|p| format!("r:{p}")));
        args.extend(self.fingerprint.iter().map(|p| format!("x:{p}")));
        args
    }

    pub fn merge(&mut self, other: &Plan) {
        self.processes.extend(other.processes.iter().cloned());
        self.flags.extend(other.flags.iter().cloned());
        self.env.extend(other.env.iter().cloned());
        self.images.extend(other.images.iter().cloned());
        self.versions.extend(other.versions.iter().cloned());
        self.stat.extend(other.stat.iter().cloned());
        self.tree.extend(other.tree.iter().cloned());
        self.read.extend(other.read.iter().cloned());
        self.fingerprint.extend(other.fingerprint.iter().cloned());
    }
}

/// What finding and recognising a platform's components needs: their
/// processes, the files their flags name, their versions, the platform's
/// markers, its distribution configuration and its fixed paths.
pub fn for_platform(platform: &Platform) -> Plan {
    let mut plan = Plan::default();
    for process in platform.processes() {
        plan.processes.insert(process.name.clone());
        plan.versions.insert(process.name.clone());
    }
    for (component, def) in &platform.components {
        let name = &def.process.name;
        for (flag, action) in &def.files {
            plan.flags.insert((name.clone(), flag.clone(), action.letter()));
        }
        if let Some(prefix) = &def.env_prefix {
            plan.env.insert((name.clone(), prefix.clone()));
        }
        if let Some(manifest) = &def.manifest {
            plan.images.insert((component.name().to_string(), manifest.clone()));
            plan.stat.insert(manifest.clone());
        }
    }
    plan.stat.extend(platform.recognise.markers.iter().cloned());
    if let Some(distribution) = &platform.distribution {
        plan.read.insert(distribution.config.clone());
        plan.read.extend(distribution.drop_ins.iter().cloned());
        for unit in &distribution.units {
            plan.read.insert(unit.clone());
            plan.read.insert(format!("{unit}.d"));
        }
    }
    plan.read.extend(platform.gather.read.iter().cloned());
    plan.stat.extend(platform.gather.stat.iter().cloned());
    plan.fingerprint.extend(platform.gather.fingerprint.iter().cloned());
    plan
}

/// What a benchmark needs beyond finding the components: the static pod
/// manifests of the components its settings read (their flags when the
/// component is not running, and to compare when it is), the candidate
/// paths of file tests, and the absolute defaults of settings that name
/// files.
pub fn for_benchmark(benchmark: &Benchmark, platform: &Platform) -> Plan {
    fn walk(benchmark: &Benchmark, platform: &Platform, test: &Test, plan: &mut Plan) {
        let mut setting = |id| {
            let setting = benchmark.setting(id);
            let def = platform.component(setting.component);
            if let Some(manifest) = def.filter(|d| d.args == ArgsSource::Argv).and_then(|d| d.manifest.as_ref()) {
                plan.read.insert(manifest.clone());
            }
            setting
        };
        match test {
            Test::Setting { setting: id, .. } => {
                setting(*id);
            }
            Test::FileFrom { setting: id, .. } => {
                let setting = setting(*id);
                let defaults = setting.default.iter().chain(setting.config_default.iter());
                for default in defaults.filter(|d| d.value.starts_with('/')) {
                    plan.stat.insert(default.value.clone());
                }
            }
            Test::File { paths, .. } => plan.stat.extend(paths.iter().cloned()),
            Test::Tree { dir, .. } => {
                plan.tree.insert(dir.clone());
            }
            Test::Encryption { setting: id } | Test::AuditPolicy { setting: id } => {
                setting(*id);
            }
            Test::DistinctCa { ca, other } => {
                setting(*ca);
                setting(*other);
            }
            Test::All(tests) | Test::Any(tests) => {
                tests.iter().for_each(|t| walk(benchmark, platform, t, plan))
            }
        }
    }

    let mut plan = for_platform(platform);
    for test in benchmark.checks.iter().filter_map(|c| c.test.as_ref()) {
        walk(benchmark, platform, test, &mut plan);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cis_1_12_plan() {
        let benchmark = crate::benchmark::load_builtin("cis-1.12").unwrap();
        let plan = for_benchmark(&benchmark, benchmark.platform_def());
        let m = "/etc/kubernetes/manifests";
        let components = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubelet"];
        let mut expected: Vec<String> = components.iter().map(|c| format!("p:{c}")).collect();
        expected.extend(
            [
                "f:etcd:--config-file:r",
                "f:etcd:--trusted-ca-file:x",
                "f:etcd:ETCD_CONFIG_FILE:r",
                "f:etcd:ETCD_TRUSTED_CA_FILE:x",
                "f:kube-apiserver:--audit-policy-file:r",
                "f:kube-apiserver:--client-ca-file:x",
                "f:kube-apiserver:--encryption-provider-config:r",
                "f:kube-proxy:--config:p",
                "f:kubelet:--client-ca-file:x",
                "f:kubelet:--config:r",
                "f:kubelet:--config-dir:d",
                "e:etcd:ETCD_",
            ]
            .map(String::from),
        );
        let static_pods = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];
        expected.extend(static_pods.iter().map(|c| format!("i:{c}:{m}/{c}.yaml")));
        // Versions in the order hardbench takes a host's version from them:
        // the script stops at the first that answers.
        let by_rank = ["kube-apiserver", "kubelet", "kube-proxy", "kube-controller-manager", "kube-scheduler", "etcd"];
        expected.extend(by_rank.iter().map(|c| format!("v:{c}")));
        expected.push("s:/etc/kubernetes/admin.conf".into());
        expected.extend(static_pods.iter().map(|c| format!("s:{m}/{c}.yaml")));
        expected.extend(
            [
                "s:/etc/kubernetes/super-admin.conf",
                "s:/etc/systemd/system/kubelet.service",
                "s:/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "s:/lib/systemd/system/kubelet.service",
                "s:/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "s:/usr/lib/systemd/system/kubelet.service",
                "s:/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "t:/etc/cni/net.d",
                "t:/etc/kubernetes/pki",
            ]
            .map(String::from),
        );
        expected.extend(static_pods.iter().map(|c| format!("r:{m}/{c}.yaml")));
        assert_eq!(plan.args(), expected);
    }
}

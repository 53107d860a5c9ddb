//! What to gather beyond the script's built-in knowledge: the paths a
//! benchmark names. The plan is data, passed to the fixed script as
//! arguments; it never carries code.

use std::collections::BTreeSet;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Paths to `stat`.
    pub stat: BTreeSet<String>,
    /// Directories whose every entry, recursively, is listed and `stat`ed.
    pub tree: BTreeSet<String>,
    /// Files whose (redacted, capped) contents are read. A directory here
    /// means every regular file directly inside it.
    pub read: BTreeSet<String>,
}

impl Plan {
    /// The script's arguments: one `s:`, `t:` or `r:` prefixed path each, in
    /// a stable order.
    pub fn args(&self) -> Vec<String> {
        let stat = self.stat.iter().map(|p| format!("s:{p}"));
        let tree = self.tree.iter().map(|p| format!("t:{p}"));
        let read = self.read.iter().map(|p| format!("r:{p}"));
        stat.chain(tree).chain(read).collect()
    }

    pub fn merge(&mut self, other: &Plan) {
        self.stat.extend(other.stat.iter().cloned());
        self.tree.extend(other.tree.iter().cloned());
        self.read.extend(other.read.iter().cloned());
    }
}

/// Where kubeadm (and the kubelet's default `staticPodPath`) keeps the static
/// pod manifests, read by `kube::manifest`.
pub const MANIFEST_DIR: &str = "/etc/kubernetes/manifests";

/// What a benchmark needs beyond the script's built-in gathering: the static
/// pod manifests (to read control-plane flags when a component is not
/// running, and to compare them when it is), the candidate paths of file
/// tests, and the absolute defaults of settings that name files.
pub fn for_benchmark(benchmark: &crate::benchmark::Benchmark) -> Plan {
    use crate::benchmark::Test;
    use crate::component::Component;

    fn walk(benchmark: &crate::benchmark::Benchmark, test: &Test, plan: &mut Plan) {
        let mut setting = |id| {
            let setting = benchmark.setting(id);
            if !matches!(setting.component, Component::Kubelet | Component::KubeProxy) {
                plan.read.insert(MANIFEST_DIR.to_string());
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
                tests.iter().for_each(|t| walk(benchmark, t, plan))
            }
        }
    }

    let mut plan = Plan::default();
    for test in benchmark.checks.iter().filter_map(|c| c.test.as_ref()) {
        walk(benchmark, test, &mut plan);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cis_1_12_plan() {
        let benchmark = crate::benchmark::load_builtin("cis-1.12").unwrap();
        let plan = for_benchmark(&benchmark);
        assert_eq!(
            plan.args(),
            vec![
                "s:/etc/kubernetes/admin.conf",
                "s:/etc/kubernetes/manifests/etcd.yaml",
                "s:/etc/kubernetes/manifests/kube-apiserver.yaml",
                "s:/etc/kubernetes/manifests/kube-controller-manager.yaml",
                "s:/etc/kubernetes/manifests/kube-scheduler.yaml",
                "s:/etc/kubernetes/super-admin.conf",
                "s:/etc/systemd/system/kubelet.service",
                "s:/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "s:/lib/systemd/system/kubelet.service",
                "s:/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "s:/usr/lib/systemd/system/kubelet.service",
                "s:/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
                "t:/etc/cni/net.d",
                "t:/etc/kubernetes/pki",
                "r:/etc/kubernetes/manifests",
            ]
        );
    }
}

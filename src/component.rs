//! The Kubernetes components hardbench knows how to find on a host, and the
//! roles a host can play. This is the shared vocabulary of facts, benchmarks
//! and inventories; it owns no behaviour beyond naming.

use crate::names::named_enum;

named_enum! {
    /// A Kubernetes component, identified on a host by its process name. Its
    /// name is the executable name, as it appears in argv[0] and in the
    /// static pod manifest file name (`/etc/kubernetes/manifests/<name>.yaml`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Component {
        KubeApiserver = "kube-apiserver",
        KubeControllerManager = "kube-controller-manager",
        KubeScheduler = "kube-scheduler",
        Etcd = "etcd",
        Kubelet = "kubelet",
        KubeProxy = "kube-proxy",
    }
}

impl Component {
    /// The role a host has when this component runs on it.
    pub fn role(self) -> Role {
        match self {
            Component::KubeApiserver
            | Component::KubeControllerManager
            | Component::KubeScheduler => Role::ControlPlane,
            Component::Etcd => Role::Etcd,
            Component::Kubelet | Component::KubeProxy => Role::Worker,
        }
    }
}

/// Where a process's reported version stands when a host's Kubernetes
/// version is taken from it (`version::seen`, lowest first): the API
/// server, the kubelet, kube-proxy, the controller manager, then any other
/// process by name (a distribution's own binary, such as `k3s`), etcd last,
/// whose version is not a Kubernetes version. The gathering script asks
/// binaries for their versions in this order and stops at the first answer
/// (`facts::plan`), so it runs only the one whose version is used.
pub fn version_rank(name: &str) -> (u8, &str) {
    let first = [Component::KubeApiserver, Component::Kubelet, Component::KubeProxy, Component::KubeControllerManager];
    match first.iter().position(|c| c.name() == name) {
        Some(rank) => (rank as u8, ""),
        None if name == Component::Etcd.name() => (u8::MAX, ""),
        None => (first.len() as u8, name),
    }
}

named_enum! {
    /// What a host is audited as. A benchmark check targets exactly one role.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Role {
        ControlPlane = "control-plane",
        Etcd = "etcd",
        Worker = "worker",
    }
}

#[cfg(test)]
mod tests {
    use super::version_rank;

    #[test]
    fn versions_are_ranked_as_hardbench_uses_them() {
        let mut names = ["etcd", "rke2", "kube-scheduler", "kubelet", "k3s", "kube-controller-manager", "kube-proxy", "kube-apiserver"];
        names.sort_by_key(|n| version_rank(n));
        assert_eq!(
            names,
            ["kube-apiserver", "kubelet", "kube-proxy", "kube-controller-manager", "k3s", "kube-scheduler", "rke2", "etcd"]
        );
    }
}

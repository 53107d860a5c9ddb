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

named_enum! {
    /// What a host is audited as. A benchmark check targets exactly one role.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Role {
        ControlPlane = "control-plane",
        Etcd = "etcd",
        Worker = "worker",
    }
}

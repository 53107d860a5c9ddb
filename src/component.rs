//! The Kubernetes components hardbench knows how to find on a host, and the
//! roles a host can play. This is the shared vocabulary of facts, benchmarks
//! and inventories; it owns no behaviour beyond naming.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A Kubernetes component, identified on a host by its process name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    KubeApiserver,
    KubeControllerManager,
    KubeScheduler,
    Etcd,
    Kubelet,
    KubeProxy,
}

impl Component {
    pub const ALL: [Component; 6] = [
        Component::KubeApiserver,
        Component::KubeControllerManager,
        Component::KubeScheduler,
        Component::Etcd,
        Component::Kubelet,
        Component::KubeProxy,
    ];

    /// The executable name, as it appears in argv[0] and in the static pod
    /// manifest file name (`/etc/kubernetes/manifests/<name>.yaml`).
    pub fn name(self) -> &'static str {
        match self {
            Component::KubeApiserver => "kube-apiserver",
            Component::KubeControllerManager => "kube-controller-manager",
            Component::KubeScheduler => "kube-scheduler",
            Component::Etcd => "etcd",
            Component::Kubelet => "kubelet",
            Component::KubeProxy => "kube-proxy",
        }
    }

    pub fn from_name(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.name() == name)
    }

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

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a host is audited as. A benchmark check targets exactly one role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    ControlPlane,
    Etcd,
    Worker,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::ControlPlane, Role::Etcd, Role::Worker];

    pub fn name(self) -> &'static str {
        match self {
            Role::ControlPlane => "control-plane",
            Role::Etcd => "etcd",
            Role::Worker => "worker",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

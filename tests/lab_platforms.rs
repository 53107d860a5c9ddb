//! The lab profiles of the other platforms look like the real thing, seen
//! over SSH as hbaudit with `sudo -n` (127.0.50.x, beside the other lab
//! tests): kubeadm on v1.30, RKE2 server and agent, k3s server (sqlite) and
//! agent, and an EKS worker on Amazon Linux 2023. Each fact asserted here is
//! one that hardbench's platform support relies on (tests/lab/README.md says
//! where each comes from): k3s and RKE2 hide their arguments exactly as the
//! real ones do, the unit files hold the command line, the static pods are
//! RKE2's, the versions are each platform's own.

mod common;

use common::Lab;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const PROFILES: [&str; 6] = ["cp-v130", "rke2-server", "rke2-agent", "k3s-server", "k3s-agent", "eks-al2023"];

/// Runs `script` with `sudo -n sh -s` on the lab host at `address`, as
/// hbaudit; returns its stdout (stderr joins it, so a failure shows).
fn root_sh(lab: &Path, address: &str, script: &str) -> String {
    let mut child = Command::new("ssh")
        .arg("-i")
        .arg(lab.join("id_ed25519"))
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", lab.join("known_hosts").display()))
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"])
        .arg(format!("hbaudit@{address}"))
        .arg("sudo -n sh -s 2>&1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("ssh runs");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "ssh {address}: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8(output.stdout).unwrap()
}

/// Each line `KEY=VALUE` of a script's output, for assertions by key.
fn facts(out: &str) -> std::collections::BTreeMap<String, String> {
    out.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn address(profile: &str) -> String {
    let i = PROFILES.iter().position(|p| *p == profile).unwrap();
    format!("127.0.50.{}", i + 1)
}

/// The NUL-separated fields of a /proc/PID/cmdline, printed by the host as
/// `od -An -c` would lose them: `tr '\0' '|'` keeps them visible.
const CMDLINE: &str = r#"cmdline() { tr '\000' '|' < /proc/$1/cmdline; }"#;

#[test]
fn platform_profiles_have_the_real_layout() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("lab");
    let _lab = Lab::up_on(&dir, 50, &PROFILES);

    // k3s server: the title rewrite leaves "/usr/local/bin/k3s server" as one
    // string, then only NUL padding: none of the unit's flags.
    let out = root_sh(&dir, &address("k3s-server"), &format!(
        r#"{CMDLINE}
p=$(pgrep -x k3s)
echo "cmdline=$(cmdline $p)"
echo "environ_starts_nul=$(head -c1 /proc/$p/environ | od -An -tx1 | tr -d ' ')"
echo "version=$(/proc/$p/exe --version | head -n1)"
echo "children=$(ps -o args= --ppid $p)"
echo "apiserver_processes=$(pgrep -xc kube-apiserver)"
echo "unit_flag=$(grep -c "^	'--kube-scheduler-arg=bind-address=0.0.0.0' \\\\$" /etc/systemd/system/k3s.service)"
echo "unit_exec=$(grep '^ExecStart=' /etc/systemd/system/k3s.service)"
echo "envfile=$(grep -c '^EnvironmentFile=-/etc/systemd/system/k3s.service.env$' /etc/systemd/system/k3s.service)"
echo "dropins=$(ls /etc/rancher/k3s/config.yaml.d | tr '\n' ' ')"
echo "append=$(grep -c '^kube-apiserver-arg+:$' /etc/rancher/k3s/config.yaml.d/10-token-expiration.yaml)"
echo "sqlite=$(head -c 15 /var/lib/rancher/k3s/server/db/state.db)"
echo "etcd_dir=$(test -e /var/lib/rancher/k3s/server/db/etcd && echo present || echo absent)"
echo "kubelet_conf=$(grep -c '^  mode: Webhook$' /var/lib/rancher/k3s/agent/etc/kubelet.conf.d/00-k3s-defaults.conf)"
echo "tls_admin_key=$(stat -c %a /var/lib/rancher/k3s/server/tls/client-admin.key)"
"#
    ));
    let f = facts(&out);
    let cmdline = &f["cmdline"];
    assert!(cmdline.starts_with("/usr/local/bin/k3s server|"), "{out}");
    assert!(cmdline.trim_start_matches("/usr/local/bin/k3s server").chars().all(|c| c == '|'), "{out}");
    assert!(cmdline.len() > "/usr/local/bin/k3s server|".len(), "the original argv length stays: {out}");
    assert_eq!(f["environ_starts_nul"], "00", "{out}");
    assert_eq!(f["version"], "k3s version v1.33.5+k3s1 (a1e2c3f4)", "{out}");
    assert!(f["children"].starts_with("containerd -c /var/lib/rancher/k3s/agent/etc/containerd/config.toml -a /run/k3s/containerd/containerd.sock"), "{out}");
    assert_eq!(f["apiserver_processes"], "0", "{out}");
    assert_eq!(f["unit_flag"], "1", "{out}");
    assert_eq!(f["unit_exec"], r"ExecStart=/usr/local/bin/k3s \", "{out}");
    assert_eq!(f["envfile"], "1", "{out}");
    assert_eq!(f["dropins"], "10-token-expiration.yaml 20-debug.yaml ", "{out}");
    assert_eq!(f["append"], "1", "{out}");
    assert_eq!(f["sqlite"], "SQLite format 3", "{out}");
    assert_eq!(f["etcd_dir"], "absent", "{out}");
    assert_eq!(f["kubelet_conf"], "1", "{out}");
    assert_eq!(f["tls_admin_key"], "644", "{out}");

    // k3s agent: `k3s agent`, its own unit, no server files.
    let out = root_sh(&dir, &address("k3s-agent"), &format!(
        r#"{CMDLINE}
echo "cmdline=$(cmdline $(pgrep -x k3s))"
echo "unit=$(grep -A1 '^ExecStart=' /etc/systemd/system/k3s-agent.service | tail -n1)"
echo "server=$(test -e /var/lib/rancher/k3s/server && echo present || echo absent)"
echo "kubelet_arg=$(grep -c 'authorization-mode=AlwaysAllow' /etc/rancher/k3s/config.yaml)"
"#
    ));
    let f = facts(&out);
    assert!(f["cmdline"].starts_with("/usr/local/bin/k3s agent|"), "{out}");
    assert!(f["cmdline"].trim_start_matches("/usr/local/bin/k3s agent").chars().all(|c| c == '|'), "{out}");
    assert_eq!(f["unit"], r"    agent \", "{out}");
    assert_eq!(f["server"], "absent", "{out}");
    assert_eq!(f["kubelet_arg"], "1", "{out}");

    // RKE2 server: static pods from pod-manifests (args after command), the
    // real etcd from its config file, the kubelet rke2 starts.
    let out = root_sh(&dir, &address("rke2-server"), &format!(
        r#"{CMDLINE}
m=/var/lib/rancher/rke2/agent/pod-manifests
echo "rke2=$(cmdline $(pgrep -x rke2))"
echo "rke2_version=$(/proc/$(pgrep -x rke2)/exe --version | head -n1)"
echo "apiserver=$(cmdline $(pgrep -x kube-apiserver))"
echo "etcd=$(cmdline $(pgrep -x etcd))"
echo "etcd_exe=$(readlink /proc/$(pgrep -x etcd)/exe)"
echo "kubelet=$(cmdline $(pgrep -x kubelet))"
echo "kubelet_exe=$(readlink /proc/$(pgrep -x kubelet)/exe)"
echo "kubelet_version=$(/proc/$(pgrep -x kubelet)/exe --version)"
echo "proxy=$(cmdline $(pgrep -x kube-proxy) | cut -d'|' -f1)"
echo "manifests=$(stat -c '%n:%a' $m/*.yaml | sed "s#$m/##" | tr '\n' ' ')"
echo "image=$(grep -h '^    image:' $m/kube-apiserver.yaml)"
echo "etcd_dir=$(stat -c '%a %U:%G' /var/lib/rancher/rke2/server/db/etcd)"
echo "etcd_tls=$(grep -c 'cert-file: /var/lib/rancher/rke2/server/tls/etcd/server-client.crt' /var/lib/rancher/rke2/server/db/etcd/config)"
echo "client_ca=$(openssl x509 -noout -subject -in /var/lib/rancher/rke2/server/tls/client-ca.crt)"
echo "scheduler_kubeconfig=$(stat -c %a /var/lib/rancher/rke2/server/cred/scheduler.kubeconfig)"
echo "unit=$(grep '^ExecStart=' /usr/local/lib/systemd/system/rke2-server.service)"
echo "env=$(cat /usr/local/lib/systemd/system/rke2-server.env)"
echo "profile=$(grep '^profile:' /etc/rancher/rke2/config.yaml)"
echo "dropin=$(ls /var/lib/rancher/rke2/agent/etc/kubelet.conf.d | tr '\n' ' ')"
"#
    ));
    let f = facts(&out);
    assert!(f["rke2"].starts_with("/usr/local/bin/rke2 server|"), "{out}");
    assert_eq!(f["rke2_version"], "rke2 version v1.33.5+rke2r1 (5d0c3a6e)", "{out}");
    let apiserver = &f["apiserver"];
    assert!(apiserver.starts_with("kube-apiserver|--admission-control-config-file=/etc/rancher/rke2/rke2-pss.yaml|"), "{out}");
    assert!(apiserver.contains("|--client-ca-file=/var/lib/rancher/rke2/server/tls/client-ca.crt|"), "{out}");
    assert!(apiserver.contains("|--cert-dir=/var/lib/rancher/rke2/server/tls/temporary-certs|"), "{out}");
    assert!(apiserver.contains("|--audit-log-maxage=30|") && apiserver.contains("|--audit-log-maxage=7|"), "{out}");
    assert_eq!(f["etcd"], "etcd|--config-file=/var/lib/rancher/rke2/server/db/etcd/config|", "{out}");
    assert_eq!(f["etcd_exe"], "/usr/bin/etcd", "{out}");
    assert!(f["kubelet"].starts_with("kubelet|--volume-plugin-dir=/var/lib/kubelet/volumeplugins|"), "{out}");
    assert!(f["kubelet"].contains("|--config-dir=/var/lib/rancher/rke2/agent/etc/kubelet.conf.d|"), "{out}");
    assert_eq!(f["kubelet_exe"], "/var/lib/rancher/rke2/data/v1.33.5-rke2r1-9c0f4be3a7d1/bin/kubelet", "{out}");
    assert_eq!(f["kubelet_version"], "Kubernetes v1.33.5+rke2r1", "{out}");
    assert_eq!(f["proxy"], "kube-proxy", "{out}");
    assert_eq!(
        f["manifests"],
        "etcd.yaml:600 kube-apiserver.yaml:600 kube-controller-manager.yaml:644 kube-proxy.yaml:600 kube-scheduler.yaml:600 ",
        "{out}"
    );
    assert_eq!(f["image"], "    image: index.docker.io/rancher/hardened-kubernetes:v1.33.5-rke2r1-build20250910", "{out}");
    assert_eq!(f["etcd_dir"], "700 etcd:etcd", "{out}");
    assert_eq!(f["etcd_tls"], "1", "{out}");
    assert_eq!(f["client_ca"], "subject=CN = kubernetes", "{out}");
    assert_eq!(f["scheduler_kubeconfig"], "644", "{out}");
    assert_eq!(f["unit"], "ExecStart=/usr/local/bin/rke2 server", "{out}");
    assert_eq!(f["env"], "HOME=/root", "{out}");
    assert_eq!(f["profile"], "profile: cis", "{out}");
    assert_eq!(f["dropin"], "00-rke2-defaults.conf 50-streaming.conf ", "{out}");

    // RKE2 agent: no server files, no control plane.
    let out = root_sh(&dir, &address("rke2-agent"), &format!(
        r#"{CMDLINE}
echo "rke2=$(cmdline $(pgrep -x rke2))"
echo "server=$(test -e /var/lib/rancher/rke2/server && echo present || echo absent)"
echo "control_plane=$(pgrep -xc 'kube-apiserver|etcd|kube-scheduler|kube-controller-manager')"
echo "kubelet=$(cmdline $(pgrep -x kubelet))"
echo "proxy=$(pgrep -xc kube-proxy)"
"#
    ));
    let f = facts(&out);
    assert!(f["rke2"].starts_with("/usr/local/bin/rke2 agent|"), "{out}");
    assert_eq!(f["server"], "absent", "{out}");
    assert_eq!(f["control_plane"], "0", "{out}");
    assert!(f["kubelet"].contains("|--anonymous-auth=true|") && f["kubelet"].ends_with("|--read-only-port=10255|"), "{out}");
    assert_eq!(f["proxy"], "1", "{out}");

    // EKS AL2023: nodeadm's kubelet, JSON config and drop-in, the add-on's kube-proxy.
    let out = root_sh(&dir, &address("eks-al2023"), &format!(
        r#"{CMDLINE}
p=$(pgrep -x kubelet)
echo "kubelet=$(cmdline $p)"
echo "version=$(/proc/$p/exe --version)"
echo "config=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["kind"], c["readOnlyPort"])' /etc/kubernetes/kubelet/config.json)"
echo "dropin=$(ls /etc/kubernetes/kubelet/config.json.d)"
echo "unit=$(grep '^ExecStart=' /etc/systemd/system/kubelet.service)"
echo "env=$(grep -c '^NODEADM_KUBELET_ARGS="--cloud-provider=external --config=/etc/kubernetes/kubelet/config.json ' /etc/eks/kubelet/environment)"
echo "release=$(grep -c '^BASE_AMI_ID=' /etc/eks/release)"
q=$(pgrep -x kube-proxy)
echo "proxy=$(cmdline $q)"
echo "proxy_config_host=$(test -e /var/lib/kube-proxy-config/config && echo present || echo absent)"
echo "proxy_config_pod=$(grep -c '^metricsBindAddress: 0.0.0.0:10249$' /proc/$q/root/var/lib/kube-proxy-config/config)"
"#
    ));
    let f = facts(&out);
    assert!(f["kubelet"].starts_with("/usr/bin/kubelet|--cloud-provider=external|--config=/etc/kubernetes/kubelet/config.json|--config-dir=/etc/kubernetes/kubelet/config.json.d|"), "{out}");
    assert!(f["kubelet"].contains("|--kubeconfig=/var/lib/kubelet/kubeconfig|"), "{out}");
    assert_eq!(f["version"], "Kubernetes v1.31.7-eks-473151a", "{out}");
    assert_eq!(f["config"], "KubeletConfiguration 0", "{out}");
    assert_eq!(f["dropin"], "40-nodeadm.conf", "{out}");
    assert_eq!(f["unit"], "ExecStart=/usr/bin/kubelet $NODEADM_KUBELET_ARGS", "{out}");
    assert_eq!(f["env"], "1", "{out}");
    assert_eq!(f["release"], "1", "{out}");
    assert_eq!(f["proxy"], "kube-proxy|--v=2|--config=/var/lib/kube-proxy-config/config|--hostname-override=ip-10-0-1-23.us-west-2.compute.internal|", "{out}");
    assert_eq!(f["proxy_config_host"], "absent", "{out}");
    assert_eq!(f["proxy_config_pod"], "1", "{out}");

    // kubeadm v1.30: every component reports v1.30.
    let out = root_sh(&dir, &address("cp-v130"), r#"
echo "images=$(grep -h '^    image:' /etc/kubernetes/manifests/*.yaml | sort | tr -s ' ' | tr '\n' ' ')"
echo "kubelet=$(/proc/$(pgrep -x kubelet)/exe --version)"
echo "proxy=$(/proc/$(pgrep -x kube-proxy)/exe --version)"
"#);
    let f = facts(&out);
    assert_eq!(
        f["images"],
        " image: registry.k8s.io/etcd:3.5.15-0  image: registry.k8s.io/kube-apiserver:v1.30.14  image: registry.k8s.io/kube-controller-manager:v1.30.14  image: registry.k8s.io/kube-scheduler:v1.30.14 ",
        "{out}"
    );
    assert_eq!(f["kubelet"], "Kubernetes v1.30.14", "{out}");
    assert_eq!(f["proxy"], "Kubernetes v1.30.14", "{out}");

    // Nothing of the lab was written to the machine's own directories.
    for path in ["/var/lib/rancher/rke2", "/var/lib/rancher/k3s", "/etc/rancher/rke2", "/etc/rancher/k3s", "/etc/eks/release", "/usr/local/lib/systemd/system/rke2-server.service", "/etc/systemd/system/k3s.service"] {
        assert!(!Path::new(path).exists(), "{path} exists on the machine");
    }
}

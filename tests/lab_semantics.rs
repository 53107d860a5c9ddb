//! Kubernetes configuration semantics proven over real SSH, on lab hosts of
//! their own (127.0.20.x, so this binary can run beside tests/lab_audit.rs):
//!
//! - cp-env: etcd configured through ETCD_* environment variables only; the
//!   API server with `--flag value` forms and repeated flags, an
//!   EncryptionConfiguration with identity first, and a manifest that
//!   differs from its command line; kube-controller-manager and
//!   kube-scheduler stopped, so their flags come from their manifests.
//! - kubelet-flags: a kubelet on flags alone (the flag defaults apply), a
//!   repeated scalar flag, a bare boolean; kube-proxy bound to 0.0.0.0.
//!
//! - proxy-configmap: kube-proxy in a mount namespace of its own, as
//!   kubeadm's DaemonSet runs it, where alone its --config file exists (a
//!   ConfigMap volume): read through /proc/PID/root and judged, with
//!   kube-proxy's own defaulting of `metricsBindAddress: 0.0.0.0`; and
//!   kubeadm's `streamingConnectionIdleTimeout: 0s`, which the kubelet's
//!   defaulting reads as 4h0m0s.
//!
//! worker-bad (from the default lab, here too) is the kubelet whose command
//! line overrides its config file. The statuses, the source of each value
//! and the absence of planted secrets are asserted.

mod common;

use base64::Engine;
use common::{repo, text, Audit, Lab};
use serde_json::Value;
use std::process::Command;

/// (host, check, status, actual, the kinds of its sources in order)
const EXPECTED: &[(&str, &str, &str, &str, &[&str])] = &[
    // A component that is not running is read from its static pod manifest.
    ("cp-env", "1.3.2", "pass", "--profiling=false", &["manifest"]),
    ("cp-env", "1.3.7", "pass", "--bind-address=127.0.0.1", &["manifest"]),
    ("cp-env", "1.4.1", "pass", "--profiling=false", &["manifest"]),
    ("cp-env", "1.4.2", "pass", "--bind-address=127.0.0.1", &["manifest"]),
    // Repeated scalar: the last one wins. `--flag value` form.
    ("cp-env", "1.2.15", "pass", "--profiling=true --profiling=false", &["flag"]),
    ("cp-env", "1.2.17", "pass", "--audit-log-maxage 30", &["flag"]),
    ("cp-env", "1.2.7", "pass", "--authorization-mode Node,RBAC", &["flag"]),
    // Repeated list flags accumulate: AlwaysAdmit in the second counts.
    ("cp-env", "1.2.10", "fail", "--enable-admission-plugins NodeRestriction --enable-admission-plugins=AlwaysAdmit", &["flag"]),
    ("cp-env", "1.2.14", "pass", "--enable-admission-plugins NodeRestriction --enable-admission-plugins=AlwaysAdmit", &["flag"]),
    // Absent flags take the component's documented default.
    ("cp-env", "1.2.18", "fail", "absent (kube-apiserver default: 0)", &["default"]),
    // Encryption at rest: identity first.
    ("cp-env", "1.2.28", "manual", "secrets: identity, secretbox (in /etc/kubernetes/enc/encryption.yaml)", &["flag"]),
    // etcd from its environment.
    ("cp-env", "2.1", "pass", "ETCD_CERT_FILE=/etc/kubernetes/pki/etcd/server.crt; ETCD_KEY_FILE=/etc/kubernetes/pki/etcd/server.key", &["env", "env"]),
    ("cp-env", "2.2", "pass", "ETCD_CLIENT_CERT_AUTH=true", &["env"]),
    ("cp-env", "2.3", "pass", "absent (etcd default: false)", &["default"]),
    ("cp-env", "2.5", "fail", "absent (etcd default: false)", &["default"]),
    ("cp-env", "1.1.11", "fail", "permissions 755", &["env", "file"]),
    // A kubelet on flags alone.
    ("kubelet-flags", "4.2.1", "fail", "absent (kubelet default without --config: true)", &["default"]),
    ("kubelet-flags", "4.2.2", "fail", "--authorization-mode Webhook --authorization-mode AlwaysAllow", &["flag"]),
    ("kubelet-flags", "4.2.3", "pass", "--client-ca-file /etc/kubernetes/pki/ca.crt", &["flag"]),
    ("kubelet-flags", "4.2.4", "manual", "absent (kubelet default without --config: 10255)", &["default"]),
    ("kubelet-flags", "4.2.10", "pass", "--rotate-certificates", &["flag"]),
    ("kubelet-flags", "4.1.9", "not-applicable", "not applicable: kubelet runs without --config", &["unset"]),
    ("kubelet-flags", "4.3.1", "fail", "--metrics-bind-address 0.0.0.0:10249", &["flag"]),
    // Zero values in a config file, as the component's defaulting reads them.
    ("proxy-configmap", "4.2.5", "manual", "streamingConnectionIdleTimeout: 0s (in /var/lib/kubelet/config.yaml), which kubelet reads as 4h0m0s", &["config-file"]),
    // A command line that overrides the config file.
    ("worker-bad", "4.2.1", "fail", "--anonymous-auth=true", &["flag"]),
    ("worker-bad", "4.2.2", "fail", "authorization.mode: AlwaysAllow (in /var/lib/kubelet/config.yaml)", &["config-file"]),
    ("worker-bad", "4.2.4", "manual", "--read-only-port=10255", &["flag"]),
];

fn result<'r>(report: &'r Value, host: &str, id: &str) -> &'r Value {
    let host = report["hosts"].as_array().unwrap().iter().find(|h| h["name"] == host).expect("host in report");
    host["results"].as_array().unwrap().iter().find(|r| r["id"] == id).expect("check in report")
}

/// The planted secrets, in clear and as their base64 prefix, and PEM keys.
fn assert_no_secret(what: &str, haystack: &str) {
    for needle in ["HBSENTINEL", "SEJTRU5USU5FTC", "PRIVATE KEY"] {
        assert!(!haystack.contains(needle), "{what} holds {needle}");
    }
}

/// Every record field of a raw gather stream, decoded from base64 where it is.
fn decoded_stream(raw: &[u8]) -> String {
    let mut out = String::from_utf8_lossy(raw).into_owned();
    for field in out.clone().split([' ', '\n']) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(field) {
            out.push('\n');
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    out
}

#[test]
fn semantics_over_ssh() {
    let state = tempfile::tempdir().unwrap();
    let lab = Lab::up_on(&state.path().join("lab"), 20, &["cp-env", "kubelet-flags", "worker-bad", "proxy-configmap"]);
    let audit = Audit::run(&lab.inventory(), &state.path().join("out"), &[]);
    assert_eq!(audit.output.status.code(), Some(1), "{}", text(&audit.output));
    let report = audit.report();

    let mut wrong = Vec::new();
    for (host, id, status, actual, sources) in EXPECTED {
        let r = result(&report, host, id);
        let kinds: Vec<&str> = r["sources"].as_array().map_or(Vec::new(), |s| s.iter().map(|s| s["kind"].as_str().unwrap()).collect());
        if (r["status"].as_str().unwrap(), r["actual"].as_str().unwrap(), kinds.as_slice()) != (*status, *actual, *sources) {
            wrong.push(format!("{host} {id}: expected {status} {actual:?} {sources:?}, got {} {} {kinds:?}", r["status"], r["actual"]));
        }
    }
    assert!(wrong.is_empty(), "{}\n\n{}", wrong.join("\n"), text(&audit.output));

    // The running API server differs from its manifest: the report says so.
    let notes = result(&report, "cp-env", "1.2.10")["notes"].to_string();
    assert!(notes.contains("manifest /etc/kubernetes/manifests/kube-apiserver.yaml sets --enable-admission-plugins=NodeRestriction"), "{notes}");
    // The manifest source names the file it was read from.
    let source = &result(&report, "cp-env", "1.4.1")["sources"][0];
    assert_eq!(source["path"], "/etc/kubernetes/manifests/kube-scheduler.yaml");
    // 2.7 compares certificates fingerprinted on the host (openssl is there).
    let ca = result(&report, "cp-env", "2.7");
    assert!(ca["actual"].as_str().unwrap().starts_with("etcd --trusted-ca-file /etc/kubernetes/pki/etcd/ca.crt (sha256 of the certificate "), "{ca}");
    assert!(ca["actual"].as_str().unwrap().contains(") differs from kube-apiserver --client-ca-file /etc/kubernetes/pki/ca.crt ("), "{ca}");
    // kube-proxy's --config exists only in its own mount namespace: it is
    // read through /proc/PID/root, judged, and the report says how it was read.
    let proxy = result(&report, "proxy-configmap", "4.3.1");
    let actual = proxy["actual"].as_str().unwrap();
    let pid = actual
        .strip_prefix("metricsBindAddress: 0.0.0.0 (in /var/lib/kube-proxy/config.conf, read through /proc/")
        .and_then(|rest| rest.strip_suffix("/root), which kube-proxy reads as 0.0.0.0:10249"))
        .unwrap_or_else(|| panic!("{proxy}"));
    assert!(pid.parse::<u32>().is_ok(), "{proxy}");
    assert_eq!(proxy["status"], "fail", "{proxy}");
    assert_eq!(proxy["sources"][0]["kind"], "config-file", "{proxy}");
    assert_eq!(proxy["sources"][0]["path"], "/var/lib/kube-proxy/config.conf", "{proxy}");
    let saved = audit.everything();
    assert!(saved.contains(&format!("\"/proc/{pid}/root/var/lib/kube-proxy/config.conf\"")), "the saved facts name the file read");

    // Remediation names the host's real file.
    let remediation = result(&report, "kubelet-flags", "4.1.5")["remediation"].as_str().unwrap().to_string();
    assert!(remediation.ends_with("chmod 600 /etc/kubernetes/kubelet.conf"), "{remediation}");

    // No key material from the EncryptionConfiguration or the kubeconfigs
    // leaves a host: not in any report, saved fact, log line or the raw
    // gathered stream.
    assert_no_secret("the reports and saved facts", &audit.everything());
    let script = std::fs::File::open(repo().join("src/gather.sh")).unwrap();
    let raw = Command::new("ssh")
        .args(["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"])
        .arg("-o").arg(format!("UserKnownHostsFile={}", lab.dir.join("known_hosts").display()))
        .arg("-i").arg(lab.dir.join("id_ed25519"))
        .args(["hbaudit@127.0.20.1", "sudo", "-n", "sh", "-s", "--", "t:/etc/kubernetes/pki", "r:/etc/kubernetes/manifests", "r:/etc/kubernetes"])
        .stdin(script)
        .output()
        .expect("ssh runs");
    assert!(raw.status.success(), "{}", text(&raw));
    let stream = decoded_stream(&raw.stdout);
    assert!(stream.contains("kind: EncryptionConfiguration"), "the encryption config was read");
    assert!(stream.contains("client-key-data: REDACTED"), "the kubeconfigs were read, redacted");
    assert_no_secret("the gathered stream", &stream);
}

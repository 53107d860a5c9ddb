//! How a component turns one field of its config file into the value it
//! runs with: which JSON types its decoder accepts for the field, what a
//! null does, and which absent, empty or zero values its defaulting
//! replaces. A field written as `""` or `0` is not always "set to nothing":
//! kube-proxy reads `metricsBindAddress: ""` as `127.0.0.1:10249`, the
//! kubelet reads `streamingConnectionIdleTimeout: 0s` as `4h0m0s`, while
//! `readOnlyPort: 0` really is 0 and `eventRecordQPS: 0` really is
//! unlimited. Every rule below names the source it follows (Kubernetes
//! v1.34, etcd v3.6).
//!
//! Only the file the component defaults goes through these rules: the
//! kubelet's `--config` file, kube-proxy's `--config` file, etcd's
//! `--config-file`. The kubelet merges its `--config-dir` drop-ins over the
//! already defaulted configuration as written (cmd/kubelet/app/server.go
//! `mergeKubeletConfigurations`: a JSON merge patch of the undefaulted
//! drop-in, then no defaulting), so a drop-in's `0s` stays 0 and its null
//! changes nothing.

use crate::benchmark::Setting;
use crate::component::Component;
use crate::kube::config;
use crate::value::duration;
use crate::value::{parse_int, ValueKind};
use serde_json::Value as Json;
use std::net::Ipv6Addr;

/// What the component's defaulting does with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Only an absent or null field takes the default; a written `""`,
    /// `0` or `false` is the value. Pointer fields (`*bool`, `*int32`,
    /// whose nil alone is defaulted) and plain fields that defaulting does
    /// not touch.
    Kept,
    /// The zero value is replaced too: absent, null, `""`, `0`, `0s` and
    /// `false` all take the default (`if obj.X == ""`, `== zeroDuration`).
    ZeroIsDefault,
    /// Absent, null or negative takes the default (`podPidsLimit`).
    NegativeIsDefault,
    /// kube-proxy's `metricsBindAddress`: empty is `127.0.0.1:10249` (or
    /// `[::1]:10249` when `bindAddress` is not IPv4), and an address
    /// without a port gets `:10249`.
    ProxyMetricsAddress,
    /// etcd's `data-dir`: empty or absent is `<name>.etcd`, with the name
    /// from the same file (`default` when the file has none).
    EtcdDataDir,
}

/// One config-file field and its rule, with the source that shows it.
#[derive(Debug)]
pub struct FieldRule {
    pub component: Component,
    pub key: &'static str,
    pub rule: Rule,
    pub source: &'static str,
}

const KUBELET_DEFAULTS: &str =
    "kubernetes v1.34 pkg/kubelet/apis/config/v1beta1/defaults.go SetDefaults_KubeletConfiguration";
const KUBELET_TYPES: &str = "kubernetes v1.34 staging/src/k8s.io/kubelet/config/v1beta1/types.go";
const PROXY_DEFAULTS: &str =
    "kubernetes v1.34 pkg/proxy/apis/config/v1alpha1/defaults.go SetDefaults_KubeProxyConfiguration";
const ETCD_FILE: &str = "etcd v3.6 server/embed/config.go configFromFile (copySecurityDetails)";

/// The rule of every config-file field a benchmark may read; a test checks
/// that each `config-key` of the built-in benchmarks has one.
pub const RULES: &[FieldRule] = &[
    FieldRule {
        component: Component::Kubelet,
        key: "authentication.anonymous.enabled",
        rule: Rule::Kept,
        source: KUBELET_DEFAULTS, // *bool: `if obj.Authentication.Anonymous.Enabled == nil` -> false
    },
    FieldRule {
        component: Component::Kubelet,
        key: "authorization.mode",
        rule: Rule::ZeroIsDefault,
        source: KUBELET_DEFAULTS, // `if obj.Authorization.Mode == ""` -> Webhook
    },
    FieldRule {
        component: Component::Kubelet,
        key: "authentication.x509.clientCAFile",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // string, not defaulted: "" means no client CA
    },
    FieldRule {
        component: Component::Kubelet,
        key: "readOnlyPort",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // int32, not defaulted: 0 disables the read-only port
    },
    FieldRule {
        component: Component::Kubelet,
        key: "streamingConnectionIdleTimeout",
        rule: Rule::ZeroIsDefault,
        source: KUBELET_DEFAULTS, // `== zeroDuration` -> 4h
    },
    FieldRule {
        component: Component::Kubelet,
        key: "makeIPTablesUtilChains",
        rule: Rule::Kept,
        source: KUBELET_DEFAULTS, // *bool: nil -> true
    },
    FieldRule {
        component: Component::Kubelet,
        key: "eventRecordQPS",
        rule: Rule::Kept,
        source: KUBELET_DEFAULTS, // *int32: nil -> 50; 0 stays 0 (unlimited)
    },
    FieldRule {
        component: Component::Kubelet,
        key: "tlsCertFile",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // string, not defaulted
    },
    FieldRule {
        component: Component::Kubelet,
        key: "tlsPrivateKeyFile",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // string, not defaulted
    },
    FieldRule {
        component: Component::Kubelet,
        key: "rotateCertificates",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // bool, not defaulted: false
    },
    FieldRule {
        component: Component::Kubelet,
        key: "featureGates",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // map[string]bool, not defaulted
    },
    FieldRule {
        component: Component::Kubelet,
        key: "tlsCipherSuites",
        rule: Rule::Kept,
        source: KUBELET_TYPES, // []string, not defaulted
    },
    FieldRule {
        component: Component::Kubelet,
        key: "podPidsLimit",
        rule: Rule::NegativeIsDefault,
        source: KUBELET_DEFAULTS, // `if obj.PodPidsLimit == nil || *obj.PodPidsLimit < int64(0)` -> -1
    },
    FieldRule {
        component: Component::Kubelet,
        key: "seccompDefault",
        rule: Rule::Kept,
        source: KUBELET_DEFAULTS, // *bool: nil -> false
    },
    FieldRule {
        component: Component::KubeProxy,
        key: "metricsBindAddress",
        rule: Rule::ProxyMetricsAddress,
        source: PROXY_DEFAULTS, // "" -> getDefaultAddresses(bindAddress):10249, else AppendPortIfNeeded
    },
    FieldRule {
        component: Component::Etcd,
        key: "data-dir",
        rule: Rule::EtcdDataDir,
        source: "etcd v3.6 server/etcdmain/etcd.go startEtcdOrProxyV2: `if cfg.ec.Dir == \"\"` -> \"<name>.etcd\"",
    },
    FieldRule {
        component: Component::Etcd,
        key: "client-transport-security.cert-file",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "client-transport-security.key-file",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "client-transport-security.client-cert-auth",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "client-transport-security.auto-tls",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "client-transport-security.trusted-ca-file",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "peer-transport-security.cert-file",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "peer-transport-security.key-file",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "peer-transport-security.client-cert-auth",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
    FieldRule {
        component: Component::Etcd,
        key: "peer-transport-security.auto-tls",
        rule: Rule::Kept,
        source: ETCD_FILE,
    },
];

/// The rule of a component's config-file field. A field without one is
/// read as written (`Kept`).
pub fn rule(component: Component, key: &str) -> Option<&'static FieldRule> {
    RULES.iter().find(|r| r.component == component && r.key == key)
}

/// Which file a value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// The file the component decodes into its typed configuration and
    /// then defaults.
    Defaulted,
    /// A kubelet `--config-dir` drop-in, merged as written.
    DropIn,
}

/// A config-file field as the component reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// Not in the file (or null where null means unset): the setting's
    /// documented default applies.
    Absent,
    /// The value as written, as the typed parser reads it.
    Value(String),
    /// The component's defaulting turns what is written (`None`: nothing)
    /// into `value`.
    Defaulted {
        written: Option<String>,
        value: String,
        source: &'static str,
    },
    /// The component cannot decode the field, so it cannot have loaded
    /// this file: why.
    Rejected(String),
}

/// Reads `key` of `doc` for `setting` the way its component does; `default`
/// is the value its defaulting gives a zero field (the setting's documented
/// default for a file of this kind).
pub fn field(setting: &Setting, doc: &Json, key: &str, layer: Layer, default: Option<&str>) -> Field {
    let raw = config::field(doc, key);
    let rule = match layer {
        Layer::DropIn => Rule::Kept,
        Layer::Defaulted => rule(setting.component, key).map_or(Rule::Kept, |r| r.rule),
    };
    let source = rule_source(setting.component, key);
    let text = match raw {
        None => None,
        Some(Json::Null) => {
            // A merge patch's null removes nothing from the defaulted base.
            // In the decoded file, null leaves a plain or pointer field
            // unset, but metav1.Duration's UnmarshalJSON is handed the null
            // and fails to parse "" (apimachinery pkg/apis/meta/v1/duration.go).
            if layer == Layer::Defaulted
                && setting.kind == ValueKind::Duration
                && setting.component != Component::Etcd
            {
                return Field::Rejected(format!(
                    "null is not a duration ({} cannot decode it)",
                    setting.component
                ));
            }
            None
        }
        Some(value) => match typed_text(setting.kind, value) {
            Ok(text) => Some(text),
            Err(reason) => return Field::Rejected(format!("{reason} ({} cannot decode it)", setting.component)),
        },
    };
    match rule {
        Rule::Kept => text.map_or(Field::Absent, Field::Value),
        Rule::ZeroIsDefault => match (text, default) {
            (Some(t), Some(d)) if is_zero(setting.kind, &t) => Field::Defaulted {
                written: Some(t),
                value: d.to_string(),
                source,
            },
            (Some(t), _) => Field::Value(t),
            (None, _) => Field::Absent,
        },
        Rule::NegativeIsDefault => match (text, default) {
            (Some(t), Some(d)) if parse_int(&t).is_some_and(|n| n < 0) && t != d => Field::Defaulted {
                written: Some(t),
                value: d.to_string(),
                source,
            },
            (Some(t), _) => Field::Value(t),
            (None, _) => Field::Absent,
        },
        Rule::ProxyMetricsAddress => {
            let bind = config::lookup(doc, "bindAddress").map(config::scalar_text);
            let computed = default_metrics_address(bind.as_deref().unwrap_or(""));
            match text {
                Some(t) if !t.is_empty() => {
                    let value = append_port_if_needed(&t, PROXY_STATUS_PORT);
                    if value == t {
                        Field::Value(t)
                    } else {
                        Field::Defaulted {
                            written: Some(t),
                            value,
                            source,
                        }
                    }
                }
                written if default == Some(computed.as_str()) && written.is_none() => Field::Absent,
                written => Field::Defaulted {
                    written,
                    value: computed,
                    source,
                },
            }
        }
        Rule::EtcdDataDir => match text {
            Some(t) if !t.is_empty() => Field::Value(t),
            written => {
                // embed.NewConfig names the member "default"; the file may
                // rename it, even to "".
                let name = match config::lookup(doc, "name") {
                    Some(Json::String(name)) => name.clone(),
                    _ => "default".to_string(),
                };
                let value = etcd_data_dir(&name);
                if written.is_none() && default == Some(value.as_str()) {
                    Field::Absent
                } else {
                    Field::Defaulted {
                        written,
                        value,
                        source,
                    }
                }
            }
        },
    }
}

fn rule_source(component: Component, key: &str) -> &'static str {
    rule(component, key).map_or("", |r| r.source)
}

/// The text of a JSON value for a setting of `kind`, or why the component's
/// decoder (Go's encoding/json into the typed field) refuses it: a quoted
/// `"0"` is no int32, a number is no string.
fn typed_text(kind: ValueKind, value: &Json) -> Result<String, String> {
    let written = value.to_string();
    let refuse = |what: &str| Err(format!("{written} is not {what}"));
    match (kind, value) {
        (ValueKind::Bool, Json::Bool(b)) => Ok(b.to_string()),
        (ValueKind::Bool, _) => refuse("a bool"),
        (ValueKind::Int, Json::Number(n)) if n.as_i64().is_some() => Ok(n.to_string()),
        (ValueKind::Int, _) => refuse("an integer"),
        (ValueKind::Duration, Json::String(s)) => match duration::parse(s) {
            Ok(_) => Ok(s.clone()),
            Err(e) => Err(e),
        },
        (ValueKind::Duration, _) => refuse("a duration string"),
        (ValueKind::String, Json::String(s)) => Ok(s.clone()),
        (ValueKind::String, _) => refuse("a string"),
        (ValueKind::List, Json::Array(items)) if items.iter().all(Json::is_string) => {
            Ok(config::scalar_text(value))
        }
        // featureGates: map[string]bool.
        (ValueKind::List, Json::Object(map)) if map.values().all(Json::is_boolean) => {
            Ok(config::scalar_text(value))
        }
        (ValueKind::List, _) => refuse("a list of strings or a map of booleans"),
    }
}

fn is_zero(kind: ValueKind, text: &str) -> bool {
    match kind {
        ValueKind::Bool => text == "false",
        ValueKind::Int => parse_int(text) == Some(0),
        ValueKind::Duration => duration::parse(text) == Ok(0),
        ValueKind::String | ValueKind::List => text.is_empty(),
    }
}

/// kube-proxy's metrics port (pkg/cluster/ports ProxyStatusPort).
pub const PROXY_STATUS_PORT: u16 = 10249;

/// kube-proxy's default metrics address for a `bindAddress`
/// (v1alpha1/defaults.go getDefaultAddresses): loopback of the bind
/// address's family, IPv6 unless it parses as IPv4. An empty bind address
/// is defaulted to 0.0.0.0 first.
pub fn default_metrics_address(bind_address: &str) -> String {
    let bind = if bind_address.is_empty() { "0.0.0.0" } else { bind_address };
    if parse_ip_sloppy(bind).is_some_and(|ip| ip.is_ipv4()) {
        format!("127.0.0.1:{PROXY_STATUS_PORT}")
    } else {
        format!("[::1]:{PROXY_STATUS_PORT}")
    }
}

/// pkg/proxy/util AppendPortIfNeeded: an address already in `host:port` or
/// `[host]:port` form is kept, an IP gets the port, anything else is kept
/// (validation refuses it).
pub fn append_port_if_needed(addr: &str, port: u16) -> String {
    if split_host_port(addr).is_some() {
        return addr.to_string();
    }
    match parse_ip_sloppy(addr) {
        None => addr.to_string(),
        Some(ip) if ip.is_ipv4() => format!("{addr}:{port}"),
        Some(_) => format!("[{addr}]:{port}"),
    }
}

/// kube-proxy's flags without a config file (cmd/kube-proxy/app/options.go
/// `addressFromDeprecatedFlags`): a `--metrics-port` of 0 turns the server
/// off (empty address), otherwise the port is appended when missing.
pub fn address_from_deprecated_flags(addr: &str, port: i64) -> String {
    match u16::try_from(port) {
        Ok(0) => String::new(),
        Ok(port) => append_port_if_needed(addr, port),
        Err(_) => addr.to_string(),
    }
}

/// etcd's data directory when none is given (etcdmain/etcd.go).
pub fn etcd_data_dir(name: &str) -> String {
    format!("{name}.etcd")
}

/// Go's net.SplitHostPort, as far as telling whether it succeeds: the port
/// follows the last colon; a bracketed host must end just before it; an
/// unbracketed host has no colon; no stray brackets.
fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let i = hostport.rfind(':')?;
    let (host, j, k) = if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        if end + 1 != i {
            return None;
        }
        (&hostport[1..end], 1, end + 1)
    } else {
        let host = &hostport[..i];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hostport[j..].contains('[') || hostport[k..].contains(']') {
        return None;
    }
    Some((host, &hostport[i + 1..]))
}

/// An IP address as k8s.io/utils/net ParseIPSloppy reads it (Go's
/// net.ParseIP that also accepts leading zeros in IPv4 octets). IPv4 means
/// Go's `To4() != nil`: dotted quads and IPv4-mapped IPv6 addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ip {
    V4,
    V6,
}

impl Ip {
    fn is_ipv4(self) -> bool {
        self == Ip::V4
    }
}

fn parse_ip_sloppy(text: &str) -> Option<Ip> {
    if text.contains('.') && !text.contains(':') {
        let octets: Vec<&str> = text.split('.').collect();
        let valid = octets.len() == 4
            && octets.iter().all(|o| {
                !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()) && o.parse::<u16>().is_ok_and(|n| n <= 255)
            });
        return valid.then_some(Ip::V4);
    }
    let v6: Ipv6Addr = text.parse().ok()?;
    Some(if v6.to_ipv4_mapped().is_some() { Ip::V4 } else { Ip::V6 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::load_builtin;

    fn setting(name: &str) -> Setting {
        let benchmark = load_builtin("cis-1.12").unwrap();
        benchmark
            .settings
            .iter()
            .find(|s| s.to_string() == name)
            .unwrap_or_else(|| panic!("no setting {name}"))
            .clone()
    }

    #[test]
    fn every_config_key_of_the_builtin_benchmarks_has_a_rule() {
        let benchmark = load_builtin("cis-1.12").unwrap();
        for s in &benchmark.settings {
            if let Some(key) = &s.config_key {
                assert!(rule(s.component, key).is_some(), "{s}: no defaulting rule for {key}");
            }
        }
    }

    /// One row: the setting, the file, the layer, and what the component
    /// reads.
    #[track_caller]
    fn row(name: &str, yaml: &str, layer: Layer, expected: Field) {
        let s = setting(name);
        let key = s.config_key.clone().unwrap();
        let default = match (&s.config_default, &s.default) {
            (Some(d), _) | (None, Some(d)) => Some(d.value.clone()),
            (None, None) => None,
        };
        let doc = config::parse(yaml).unwrap();
        assert_eq!(field(&s, &doc, &key, layer, default.as_deref()), expected, "{name} {yaml:?} {layer:?}");
    }

    fn value(v: &str) -> Field {
        Field::Value(v.into())
    }

    fn defaulted(written: Option<&str>, v: &str, source: &'static str) -> Field {
        Field::Defaulted {
            written: written.map(str::to_string),
            value: v.into(),
            source,
        }
    }

    fn rejected(why: &str) -> Field {
        Field::Rejected(why.into())
    }

    /// The kubelet's --config file (KubeletConfiguration v1beta1 through
    /// SetDefaults_KubeletConfiguration) and its drop-ins.
    #[test]
    fn kubelet_fields() {
        use Layer::{Defaulted as D, DropIn as I};
        let k = KUBELET_DEFAULTS;
        // *bool: nil is defaulted, false is false.
        row("kubelet --anonymous-auth", "{}", D, Field::Absent);
        row("kubelet --anonymous-auth", "authentication:\n  anonymous:\n    enabled:\n", D, Field::Absent);
        row("kubelet --anonymous-auth", "authentication:\n  anonymous:\n    enabled: false\n", D, value("false"));
        row("kubelet --anonymous-auth", "authentication:\n  anonymous:\n    enabled: true\n", D, value("true"));
        row("kubelet --anonymous-auth", "authentication:\n  anonymous:\n    enabled: \"false\"\n", D, rejected("\"false\" is not a bool (kubelet cannot decode it)"));
        // string, "" -> Webhook.
        row("kubelet --authorization-mode", "{}", D, Field::Absent);
        row("kubelet --authorization-mode", "authorization:\n  mode:\n", D, Field::Absent);
        row("kubelet --authorization-mode", "authorization:\n  mode: \"\"\n", D, defaulted(Some(""), "Webhook", k));
        row("kubelet --authorization-mode", "authorization:\n  mode: AlwaysAllow\n", D, value("AlwaysAllow"));
        // In a drop-in, "" is merged as written (and the kubelet's validation refuses it).
        row("kubelet --authorization-mode", "authorization:\n  mode: \"\"\n", I, value(""));
        // string, not defaulted.
        row("kubelet --client-ca-file", "authentication:\n  x509:\n    clientCAFile: \"\"\n", D, value(""));
        row("kubelet --client-ca-file", "authentication:\n  x509:\n    clientCAFile: /ca.crt\n", D, value("/ca.crt"));
        // int32, not defaulted: 0 is 0 (the read-only port is off).
        row("kubelet --read-only-port", "{}", D, Field::Absent);
        row("kubelet --read-only-port", "readOnlyPort:\n", D, Field::Absent);
        row("kubelet --read-only-port", "readOnlyPort: 0\n", D, value("0"));
        row("kubelet --read-only-port", "readOnlyPort: 10255\n", D, value("10255"));
        row("kubelet --read-only-port", "readOnlyPort: \"0\"\n", D, rejected("\"0\" is not an integer (kubelet cannot decode it)"));
        // metav1.Duration, zero -> 4h; null and "" cannot be decoded.
        let t = "kubelet --streaming-connection-idle-timeout";
        row(t, "{}", D, Field::Absent);
        row(t, "streamingConnectionIdleTimeout: 0s\n", D, defaulted(Some("0s"), "4h0m0s", k));
        row(t, "streamingConnectionIdleTimeout: \"0\"\n", D, defaulted(Some("0"), "4h0m0s", k));
        row(t, "streamingConnectionIdleTimeout: 5m\n", D, value("5m"));
        row(t, "streamingConnectionIdleTimeout:\n", D, rejected("null is not a duration (kubelet cannot decode it)"));
        row(t, "streamingConnectionIdleTimeout: \"\"\n", D, rejected("\"\" is not a Go duration (e.g. 30s, 4h0m0s) (kubelet cannot decode it)"));
        row(t, "streamingConnectionIdleTimeout: 0\n", D, rejected("0 is not a duration string (kubelet cannot decode it)"));
        // A drop-in's 0s is merged undefaulted; its null changes nothing.
        row(t, "streamingConnectionIdleTimeout: 0s\n", I, value("0s"));
        row(t, "streamingConnectionIdleTimeout:\n", I, Field::Absent);
        // *bool: nil -> true, false stays false.
        row("kubelet --make-iptables-util-chains", "makeIPTablesUtilChains:\n", D, Field::Absent);
        row("kubelet --make-iptables-util-chains", "makeIPTablesUtilChains: false\n", D, value("false"));
        // *int32: nil -> 50, 0 stays 0 (unlimited).
        row("kubelet --event-qps", "{}", D, Field::Absent);
        row("kubelet --event-qps", "eventRecordQPS: 0\n", D, value("0"));
        row("kubelet --event-qps", "eventRecordQPS: 5\n", D, value("5"));
        row("kubelet --tls-cert-file", "tlsCertFile: \"\"\n", D, value(""));
        row("kubelet --tls-private-key-file", "tlsPrivateKeyFile: /k.key\n", D, value("/k.key"));
        // bool, not defaulted.
        row("kubelet --rotate-certificates", "rotateCertificates:\n", D, Field::Absent);
        row("kubelet --rotate-certificates", "rotateCertificates: false\n", D, value("false"));
        row("kubelet --feature-gates", "featureGates: {}\n", D, value(""));
        row("kubelet --feature-gates", "featureGates:\n  A: true\n", D, value("A=true"));
        row("kubelet --feature-gates", "featureGates:\n  A: \"true\"\n", D, rejected("{\"A\":\"true\"} is not a list of strings or a map of booleans (kubelet cannot decode it)"));
        row("kubelet --tls-cipher-suites", "tlsCipherSuites: []\n", D, value(""));
        row("kubelet --tls-cipher-suites", "tlsCipherSuites: [A, B]\n", D, value("A,B"));
        // *int64: nil or negative -> -1; 0 stays 0.
        row("kubelet --pod-max-pids", "{}", D, Field::Absent);
        row("kubelet --pod-max-pids", "podPidsLimit: -5\n", D, defaulted(Some("-5"), "-1", k));
        row("kubelet --pod-max-pids", "podPidsLimit: -1\n", D, value("-1"));
        row("kubelet --pod-max-pids", "podPidsLimit: 0\n", D, value("0"));
        row("kubelet --pod-max-pids", "podPidsLimit: 4096\n", D, value("4096"));
        row("kubelet --pod-max-pids", "podPidsLimit: -5\n", I, value("-5"));
        // *bool: nil -> false.
        row("kubelet --seccomp-default", "seccompDefault:\n", D, Field::Absent);
        row("kubelet --seccomp-default", "seccompDefault: true\n", D, value("true"));
    }

    /// kube-proxy's --config file (KubeProxyConfiguration v1alpha1 through
    /// SetDefaults_KubeProxyConfiguration).
    #[test]
    fn kube_proxy_fields() {
        use Layer::Defaulted as D;
        let p = PROXY_DEFAULTS;
        let m = "kube-proxy --metrics-bind-address";
        row(m, "{}", D, Field::Absent);
        row(m, "metricsBindAddress:\n", D, Field::Absent);
        row(m, "metricsBindAddress: \"\"\n", D, defaulted(Some(""), "127.0.0.1:10249", p));
        row(m, "metricsBindAddress: 0.0.0.0:10249\n", D, value("0.0.0.0:10249"));
        row(m, "metricsBindAddress: 127.0.0.1\n", D, defaulted(Some("127.0.0.1"), "127.0.0.1:10249", p));
        row(m, "metricsBindAddress: 0.0.0.0\n", D, defaulted(Some("0.0.0.0"), "0.0.0.0:10249", p));
        row(m, "metricsBindAddress: \"::1\"\n", D, defaulted(Some("::1"), "[::1]:10249", p));
        row(m, "metricsBindAddress: \"[::]:9000\"\n", D, value("[::]:9000"));
        row(m, "metricsBindAddress: localhost\n", D, value("localhost"));
        // The default follows bindAddress's family.
        row(m, "bindAddress: \"::\"\n", D, defaulted(None, "[::1]:10249", p));
        row(m, "bindAddress: \"::\"\nmetricsBindAddress: \"\"\n", D, defaulted(Some(""), "[::1]:10249", p));
        row(m, "bindAddress: 10.0.0.1\nmetricsBindAddress: \"\"\n", D, defaulted(Some(""), "127.0.0.1:10249", p));
        row(m, "metricsBindAddress: 10249\n", D, rejected("10249 is not a string (kube-proxy cannot decode it)"));
    }

    /// etcd's --config-file (embed.ConfigFromFile over embed.NewConfig, then
    /// etcdmain's empty data-dir rule).
    #[test]
    fn etcd_fields() {
        use Layer::Defaulted as D;
        let dir = rule(Component::Etcd, "data-dir").unwrap().source;
        row("etcd --data-dir", "{}", D, Field::Absent);
        row("etcd --data-dir", "data-dir:\n", D, Field::Absent);
        row("etcd --data-dir", "data-dir: \"\"\n", D, defaulted(Some(""), "default.etcd", dir));
        row("etcd --data-dir", "name: m1\n", D, defaulted(None, "m1.etcd", dir));
        row("etcd --data-dir", "name: m1\ndata-dir: \"\"\n", D, defaulted(Some(""), "m1.etcd", dir));
        row("etcd --data-dir", "name: \"\"\n", D, defaulted(None, ".etcd", dir));
        row("etcd --data-dir", "data-dir: /var/lib/etcd\n", D, value("/var/lib/etcd"));
        // Plain fields copied as written: "" is no file, false is off.
        row("etcd --cert-file", "client-transport-security:\n  cert-file: \"\"\n", D, value(""));
        row("etcd --client-cert-auth", "client-transport-security:\n  client-cert-auth:\n", D, Field::Absent);
        row("etcd --client-cert-auth", "client-transport-security:\n  client-cert-auth: false\n", D, value("false"));
        row("etcd --client-cert-auth", "client-transport-security:\n  client-cert-auth: yes\n", D, value("true"));
        row("etcd --client-cert-auth", "client-transport-security:\n  client-cert-auth: \"true\"\n", D, rejected("\"true\" is not a bool (etcd cannot decode it)"));
        row("etcd --peer-auto-tls", "peer-transport-security:\n  auto-tls: false\n", D, value("false"));
    }

    #[test]
    fn addresses_like_go() {
        for (addr, expected) in [
            ("127.0.0.1:10249", "127.0.0.1:10249"),
            ("127.0.0.1", "127.0.0.1:10249"),
            ("127.000.000.001", "127.000.000.001:10249"),
            ("::1", "[::1]:10249"),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1:10249"),
            ("[::1]:1", "[::1]:1"),
            ("[::1]", "[::1]"),
            ("localhost", "localhost"),
            ("localhost:1", "localhost:1"),
            ("1.2.3", "1.2.3"),
            ("", ""),
            ("127.0.0.1:", "127.0.0.1:"),
        ] {
            assert_eq!(append_port_if_needed(addr, 10249), expected, "{addr}");
        }
        assert_eq!(address_from_deprecated_flags("127.0.0.1", 0), "");
        assert_eq!(address_from_deprecated_flags("127.0.0.1", 9999), "127.0.0.1:9999");
        assert_eq!(address_from_deprecated_flags("127.0.0.1:10249", 9999), "127.0.0.1:10249");
        assert_eq!(default_metrics_address(""), "127.0.0.1:10249");
        assert_eq!(default_metrics_address("0.0.0.0"), "127.0.0.1:10249");
        assert_eq!(default_metrics_address("::"), "[::1]:10249");
        assert_eq!(default_metrics_address("node-1"), "[::1]:10249");
        for v4 in ["1.2.3.4", "255.255.255.255", "0.0.0.0"] {
            assert_eq!(parse_ip_sloppy(v4), Some(Ip::V4), "{v4}");
        }
        for not in ["256.1.1.1", "1.2.3.4.5", "1..2.3", "a.b.c.d"] {
            assert_eq!(parse_ip_sloppy(not), None, "{not}");
        }
    }
}

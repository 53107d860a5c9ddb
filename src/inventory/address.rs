//! Which inventory addresses `run` can connect to. `run` resolves
//! `(address, port)` with the system resolver, so an address must be an IP
//! address as Rust parses it (IPv6 without brackets, optionally with a
//! `%zone`) or a DNS host name; anything else would only fail later, blamed
//! on the host. The messages say what to write instead.

use std::net::{IpAddr, Ipv6Addr};

/// The longest DNS name (RFC 1035: 255 octets on the wire, 253 as text).
const MAX_NAME: usize = 253;
/// The longest DNS label (RFC 1035).
const MAX_LABEL: usize = 63;

/// `Ok` when `run` can resolve and connect to `address`; else why not.
pub fn check(address: &str) -> Result<(), String> {
    let why = problem(address);
    match why {
        None => Ok(()),
        Some(why) => Err(format!("address {address:?} {why}")),
    }
}

fn problem(address: &str) -> Option<String> {
    if address.parse::<IpAddr>().is_ok() || is_scoped_ipv6(address) {
        return None;
    }
    let found = |what: &str| Some(what.to_string());
    if address.is_empty() {
        return found("is empty");
    }
    if address.chars().any(char::is_control) {
        return found("contains a control character");
    }
    if address.contains(char::is_whitespace) {
        return found("contains whitespace");
    }
    if address.contains("://") {
        return found("has a scheme; give a bare host name or IP address");
    }
    if address.contains('@') {
        return found("contains '@'; set the user with the user key");
    }
    if let Some(inner) = address.strip_prefix('[') {
        let inner = inner.split(']').next().unwrap_or(inner);
        return Some(format!(
            "has brackets; write an IPv6 address without them ({inner:?}) and set the port with the port key"
        ));
    }
    if let Some((host, port)) = address.rsplit_once(':') {
        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.contains(':') {
            return found("has a port; set it with the port key");
        }
        return found("is not a valid IPv6 address");
    }
    if !address.is_ascii() {
        return found("is not ASCII; write an internationalized name in its xn-- (punycode) form");
    }
    host_name_problem(address)
}

/// `fe80::1%eth0`: link-local IPv6 with a zone, which the resolver takes.
fn is_scoped_ipv6(address: &str) -> bool {
    address.split_once('%').is_some_and(|(ip, zone)| {
        ip.parse::<Ipv6Addr>().is_ok()
            && !zone.is_empty()
            && zone.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    })
}

/// A DNS name: dot-separated labels of letters, digits, '-' and '_' (the
/// resolver takes `_` from /etc/hosts), with an optional final dot.
fn host_name_problem(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > MAX_NAME {
        return Some(format!("is longer than {MAX_NAME} characters, the most a DNS name has"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Some("has an empty label (two dots in a row, or a leading dot)".to_string());
    }
    if let Some(label) = labels.iter().find(|label| label.len() > MAX_LABEL) {
        return Some(format!(
            "has a label of {} characters ({label:.10}...); DNS allows {MAX_LABEL}",
            label.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "contains {bad:?}; an address is an IP address or a host name (letters, digits, '-', '_' and '.')"
        ));
    }
    if labels.iter().any(|label| label.starts_with('-') || label.ends_with('-')) {
        return Some("has a label that starts or ends with '-'".to_string());
    }
    // All-numeric labels read as an IPv4 address, and not a valid one.
    if labels.iter().all(|label| label.bytes().all(|b| b.is_ascii_digit())) {
        return Some("is not a valid IPv4 address (four numbers from 0 to 255)".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_run_can_connect_to() {
        for address in [
            "10.0.0.1",
            "127.0.0.1",
            "::1",
            "fe80::1%eth0",
            "2001:db8::10",
            "::ffff:10.0.0.1",
            "cp-1",
            "cp-1.example.com",
            "cp-1.example.com.",
            "host_1.lan",
            "xn--bcher-kva.example",
            "3com.example",
            &format!("{}.lan", "a".repeat(63)),
        ] {
            assert_eq!(check(address), Ok(()), "{address}");
        }
    }

    #[test]
    fn addresses_run_cannot_use_say_why() {
        let cases: &[(&str, &str)] = &[
            ("", "is empty"),
            ("[::1]", "has brackets; write an IPv6 address without them (\"::1\") and set the port with the port key"),
            ("[::1]:22", "has brackets; write an IPv6 address without them (\"::1\") and set the port with the port key"),
            ("10.0.0.1:22", "has a port; set it with the port key"),
            ("cp-1:2222", "has a port; set it with the port key"),
            ("fe80::1%", "is not a valid IPv6 address"),
            ("::g", "is not a valid IPv6 address"),
            ("10.0.0.1\n", "contains a control character"),
            ("cp\u{7}1", "contains a control character"),
            ("\u{1b}[31mcp", "contains a control character"),
            ("10.0.0.1 10.0.0.2", "contains whitespace"),
            (" cp-1", "contains whitespace"),
            ("cp\u{a0}1", "contains whitespace"),
            ("ssh://10.0.0.1", "has a scheme; give a bare host name or IP address"),
            ("root@10.0.0.1", "contains '@'; set the user with the user key"),
            ("bücher.example", "is not ASCII; write an internationalized name in its xn-- (punycode) form"),
            ("a..b", "has an empty label (two dots in a row, or a leading dot)"),
            (".cp-1", "has an empty label (two dots in a row, or a leading dot)"),
            ("cp/1", "contains '/'; an address is an IP address or a host name (letters, digits, '-', '_' and '.')"),
            ("cp*", "contains '*'; an address is an IP address or a host name (letters, digits, '-', '_' and '.')"),
            ("-cp", "has a label that starts or ends with '-'"),
            ("cp-.lan", "has a label that starts or ends with '-'"),
            ("10.0.0.256", "is not a valid IPv4 address (four numbers from 0 to 255)"),
            ("10.1", "is not a valid IPv4 address (four numbers from 0 to 255)"),
            ("1.2.3.4.5", "is not a valid IPv4 address (four numbers from 0 to 255)"),
        ];
        for (address, why) in cases {
            assert_eq!(check(address), Err(format!("address {address:?} {why}")), "{address:?}");
        }
        let long_label = format!("{}.lan", "a".repeat(64));
        assert_eq!(
            check(&long_label),
            Err(format!("address {long_label:?} has a label of 64 characters (aaaaaaaaaa...); DNS allows 63"))
        );
        let long_name = vec!["a".repeat(60); 5].join(".");
        assert_eq!(
            check(&long_name),
            Err(format!("address {long_name:?} is longer than 253 characters, the most a DNS name has"))
        );
    }
}

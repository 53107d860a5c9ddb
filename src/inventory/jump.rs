//! Jump hosts: `proxy_jump` in the inventory, `ProxyJump` in ssh_config and
//! in Ansible's `ansible_ssh_common_args`, all in OpenSSH's syntax: a
//! comma-separated chain of hops, each `[user@]host[:port]` (or
//! `ssh://[user@]host[:port]`, an IPv6 address in brackets), the first hop
//! the one connected to; `none` alone means no jump host (and clears an
//! inherited one). Owns parsing the text into hops (`parse`, pure) and the
//! resolved chain a `Host` carries (`JumpChain`), whose hops have every
//! connection setting filled in (by `validate.rs` and the Ansible reader).

use super::address;
use std::fmt;
use std::path::PathBuf;

/// One hop as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopSpec {
    pub user: Option<String>,
    /// A name or IP address (no brackets), as `address` accepts it.
    pub host: String,
    pub port: Option<u16>,
}

/// What a `proxy_jump` value says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JumpSpec {
    /// `none`: connect directly, whatever is inherited.
    Direct,
    /// The hops in order, the first one connected to first. Never empty.
    Chain(Vec<HopSpec>),
}

/// A jump host with every connection setting resolved. Its host-key policy
/// and timeouts are those of the host reached through it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JumpHost {
    /// The host as the chain names it (an ssh_config alias, say).
    pub name: String,
    /// Where it is connected to (ssh_config's `HostName`, else `name`).
    pub address: String,
    pub port: u16,
    pub user: String,
    pub identity_file: Option<PathBuf>,
    pub known_hosts: PathBuf,
}

/// The jump hosts a host is reached through, in order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JumpChain {
    pub hops: Vec<JumpHost>,
}

impl fmt::Display for JumpHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bracketed = self.address.contains(':');
        match (bracketed, self.name == self.address) {
            (false, true) => write!(f, "{}@{}:{}", self.user, self.address, self.port),
            (true, true) => write!(f, "{}@[{}]:{}", self.user, self.address, self.port),
            (false, false) => write!(f, "{}@{} ({}:{})", self.user, self.name, self.address, self.port),
            (true, false) => write!(f, "{}@{} ([{}]:{})", self.user, self.name, self.address, self.port),
        }
    }
}

impl fmt::Display for JumpChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, hop) in self.hops.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{hop}")?;
        }
        Ok(())
    }
}

/// Reads a `proxy_jump` value; the message says what is wrong and in
/// which hop.
pub fn parse(text: &str) -> Result<JumpSpec, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("proxy_jump is empty: name the jump hosts (user@host:port,...) or \"none\"".to_string());
    }
    if text.eq_ignore_ascii_case("none") {
        return Ok(JumpSpec::Direct);
    }
    let raw: Vec<&str> = text.split(',').collect();
    let mut hops = Vec::with_capacity(raw.len());
    for (index, hop) in raw.iter().enumerate() {
        let hop_spec = parse_hop(hop).map_err(|why| {
            if raw.len() == 1 {
                format!("bad jump host {hop:?}: {why}")
            } else {
                format!("bad jump host {hop:?} (hop {} of {}): {why}", index + 1, raw.len())
            }
        })?;
        hops.push(hop_spec);
    }
    Ok(JumpSpec::Chain(hops))
}

fn parse_hop(hop: &str) -> Result<HopSpec, String> {
    if hop.is_empty() {
        return Err("empty (two commas, or a comma at an end)".to_string());
    }
    if hop.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or a control character".to_string());
    }
    if hop.eq_ignore_ascii_case("none") {
        return Err("the name \"none\" means no jump host and cannot be a hop".to_string());
    }
    let hop = hop.strip_prefix("ssh://").unwrap_or(hop);
    let hop = hop.strip_suffix('/').unwrap_or(hop);
    // OpenSSH splits at the last `@`: a user name may hold one.
    let (user, rest) = match hop.rsplit_once('@') {
        Some(("", _)) => return Err("the user before @ is empty".to_string()),
        Some((user, rest)) => (Some(user.to_string()), rest),
        None => (None, hop),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or("[ without ]")?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("expected :PORT after ]")?)),
        }
    } else {
        match rest.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("an IPv6 address needs brackets: [ADDRESS]:PORT".to_string())
            }
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_string());
    }
    address::check(host)?;
    let port = match port {
        None => None,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port != 0 => Some(port),
            _ => return Err(format!("port {text:?} is not a number from 1 to 65535")),
        },
    };
    Ok(HopSpec { user, host: host.to_string(), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(user: Option<&str>, host: &str, port: Option<u16>) -> HopSpec {
        HopSpec { user: user.map(str::to_string), host: host.to_string(), port }
    }

    #[test]
    fn chains_as_openssh_writes_them() {
        let cases: &[(&str, JumpSpec)] = &[
            ("none", JumpSpec::Direct),
            (" NONE ", JumpSpec::Direct),
            ("jump", JumpSpec::Chain(vec![hop(None, "jump", None)])),
            ("ops@jump:2222", JumpSpec::Chain(vec![hop(Some("ops"), "jump", Some(2222))])),
            ("ssh://ops@jump:2222", JumpSpec::Chain(vec![hop(Some("ops"), "jump", Some(2222))])),
            ("a@b@jump", JumpSpec::Chain(vec![hop(Some("a@b"), "jump", None)])),
            ("[::1]:22", JumpSpec::Chain(vec![hop(None, "::1", Some(22))])),
            ("u@[fe80::1]", JumpSpec::Chain(vec![hop(Some("u"), "fe80::1", None)])),
            ("10.0.0.1", JumpSpec::Chain(vec![hop(None, "10.0.0.1", None)])),
            (
                "audit@j1:22,j2,root@10.1.0.1:2200",
                JumpSpec::Chain(vec![
                    hop(Some("audit"), "j1", Some(22)),
                    hop(None, "j2", None),
                    hop(Some("root"), "10.1.0.1", Some(2200)),
                ]),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).as_ref(), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn bad_chains_say_which_hop_and_why() {
        let cases: &[(&str, &str)] = &[
            ("", "proxy_jump is empty: name the jump hosts (user@host:port,...) or \"none\""),
            ("j1,,j2", "bad jump host \"\" (hop 2 of 3): empty (two commas, or a comma at an end)"),
            ("j1,", "bad jump host \"\" (hop 2 of 2): empty (two commas, or a comma at an end)"),
            ("@jump", "bad jump host \"@jump\": the user before @ is empty"),
            ("ops@", "bad jump host \"ops@\": no host"),
            ("jump:0", "bad jump host \"jump:0\": port \"0\" is not a number from 1 to 65535"),
            ("jump:ssh", "bad jump host \"jump:ssh\": port \"ssh\" is not a number from 1 to 65535"),
            ("jump:70000", "bad jump host \"jump:70000\": port \"70000\" is not a number from 1 to 65535"),
            ("::1", "bad jump host \"::1\": an IPv6 address needs brackets: [ADDRESS]:PORT"),
            ("[::1", "bad jump host \"[::1\": [ without ]"),
            ("[::1]22", "bad jump host \"[::1]22\": expected :PORT after ]"),
            ("j1, j2", "bad jump host \" j2\" (hop 2 of 2): contains whitespace or a control character"),
            ("none,j2", "bad jump host \"none\" (hop 1 of 2): the name \"none\" means no jump host and cannot be a hop"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Err(expected.to_string()), "{text:?}");
        }
        // A host that is no address or name is refused by the address rules.
        assert!(parse("ju_mp$").unwrap_err().starts_with("bad jump host \"ju_mp$\": "), "{:?}", parse("ju_mp$"));
    }

    #[test]
    fn chains_are_shown_as_written_with_what_was_resolved() {
        let hop = |name: &str, address: &str, port| JumpHost {
            name: name.to_string(),
            address: address.to_string(),
            port,
            user: "audit".to_string(),
            identity_file: None,
            known_hosts: PathBuf::from("/k"),
        };
        let chain = JumpChain { hops: vec![hop("j1", "j1", 22), hop("bastion", "10.0.0.1", 2222), hop("::1", "::1", 22)] };
        assert_eq!(chain.to_string(), "audit@j1:22,audit@bastion (10.0.0.1:2222),audit@[::1]:22");
    }
}

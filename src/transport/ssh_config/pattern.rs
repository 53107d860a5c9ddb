//! `Host` patterns as OpenSSH matches them (`match.c`, `readconf.c`): `*`
//! is any run of characters, `?` any one character, everything else is
//! itself, case-sensitively (ssh lowercases the host it is given, so
//! patterns are written in lowercase). A `Host` line is a whitespace-separated
//! list; a pattern that starts with `!` is a negation, and a negated match
//! makes the whole line not match whatever else matches. A comma is no
//! separator on a `Host` line: it is a literal character, as in OpenSSH.

/// One pattern of a `Host` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPattern {
    pub negated: bool,
    pub pattern: String,
}

impl HostPattern {
    /// Reads one argument of a `Host` line.
    pub fn parse(arg: &str) -> Result<HostPattern, String> {
        let (negated, pattern) = match arg.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, arg),
        };
        if pattern.is_empty() {
            return Err("empty host pattern".to_string());
        }
        Ok(HostPattern { negated, pattern: pattern.to_string() })
    }
}

/// Whether a `Host` line with `patterns` applies to `host`.
pub fn host_matches(patterns: &[HostPattern], host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        if wildcard(&pattern.pattern, host) {
            if pattern.negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `*` and `?` matching of a whole string, byte by byte as OpenSSH's
/// `match_pattern` does, without backtracking blow-up: after a `*`, a
/// mismatch retries from the byte after the last place the `*` was tried.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        for (pattern, text, expected) in [
            ("*", "", true),
            ("*", "anything", true),
            ("cp-1", "cp-1", true),
            ("cp-1", "cp-10", false),
            ("cp-?", "cp-1", true),
            ("cp-?", "cp-10", false),
            ("cp-*", "cp-10", true),
            ("*.lan", "cp-1.lan", true),
            ("*.lan", "cp-1.lan.example", false),
            ("10.0.*.1", "10.0.3.1", true),
            ("10.0.*.1", "10.0.3.2", false),
            ("*a*b", "xaxxbyb", true),
            ("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
            ("CP-1", "cp-1", false),
            ("a,b", "a", false),
            ("a,b", "a,b", true),
            ("", "", true),
            ("", "a", false),
        ] {
            assert_eq!(wildcard(pattern, text), expected, "{pattern:?} {text:?}");
        }
    }

    #[test]
    fn host_lines_with_negation() {
        let line = |args: &[&str]| -> Vec<HostPattern> {
            args.iter().map(|arg| HostPattern::parse(arg).unwrap()).collect()
        };
        let cases: &[(&[&str], &str, bool)] = &[
            (&["a", "b"], "b", true),
            (&["a", "b"], "c", false),
            (&["*", "!bastion"], "cp-1", true),
            (&["*", "!bastion"], "bastion", false),
            // Order does not matter: a negated match always wins.
            (&["!bastion", "*"], "bastion", false),
            (&["!cp-*", "cp-1"], "cp-1", false),
            // Negations alone never match.
            (&["!bastion"], "cp-1", false),
        ];
        for (args, host, expected) in cases {
            assert_eq!(host_matches(&line(args), host), *expected, "{args:?} {host}");
        }
        assert_eq!(HostPattern::parse("!"), Err("empty host pattern".to_string()));
    }
}

//! Command-line parsing as the components' flag libraries do it: spf13/pflag
//! for the Kubernetes components, Go's standard `flag` package for etcd.
//! The parser keeps every occurrence verbatim, in order; which occurrence
//! wins is decided by `Args::effective`.

/// The flag library a component uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// spf13/pflag: `--name[=value]`, single-dash shorthands, flags and
    /// positionals may be interleaved, `--` ends the flags.
    Pflag,
    /// Go's `flag`: `-name` and `--name` are the same; parsing stops at the
    /// first non-flag argument.
    GoFlag,
}

/// One flag as it appeared on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The name without leading dashes.
    pub name: String,
    /// `None` for a bare flag (`--profiling`, or a value-taking flag at the
    /// very end of argv).
    pub value: Option<String>,
    /// The argument(s) exactly as written, for evidence.
    pub written: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub occurrences: Vec<Occurrence>,
    pub positionals: Vec<String>,
}

impl Args {
    /// Parses the arguments after argv[0]. `is_bool` says which flags are
    /// booleans: a boolean flag never consumes the next argument, so
    /// `--anonymous-auth false` means true plus a stray positional. A flag
    /// the caller does not know is assumed to take the next argument when
    /// that argument does not look like a flag.
    pub fn parse(args: &[String], syntax: Syntax, is_bool: &dyn Fn(&str) -> Option<bool>) -> Args {
        let mut parsed = Args::default();
        let mut iter = args.iter().peekable();
        while let Some(arg) = iter.next() {
            if arg == "--" {
                parsed.positionals.extend(iter.cloned());
                break;
            }
            let body = match (arg.strip_prefix("--"), arg.strip_prefix('-')) {
                (Some(long), _) => long,
                (None, Some(short)) if !short.is_empty() => short,
                _ => {
                    if syntax == Syntax::GoFlag {
                        parsed.positionals.push(arg.clone());
                        parsed.positionals.extend(iter.cloned());
                        break;
                    }
                    parsed.positionals.push(arg.clone());
                    continue;
                }
            };
            let (name, inline) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (body, None),
            };
            let (value, written) = match inline {
                Some(value) => (Some(value), arg.clone()),
                None => {
                    let takes_next = match is_bool(name) {
                        Some(true) => false,
                        Some(false) => true,
                        None => iter.peek().is_some_and(|next| !next.starts_with('-')),
                    };
                    match iter.peek() {
                        Some(_) if takes_next => {
                            let next = iter.next().cloned();
                            let written = format!("{arg} {}", next.as_deref().unwrap_or(""));
                            (next, written)
                        }
                        _ => (None, arg.clone()),
                    }
                }
            };
            parsed.occurrences.push(Occurrence {
                name: name.to_string(),
                value,
                written,
            });
        }
        parsed
    }

    /// Every occurrence of a flag, in order.
    pub fn occurrences<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| o.name == name)
    }

    /// The flag's value as the component ends up with it, or `None` when the
    /// flag is absent. Scalars: the last occurrence wins; a bare boolean is
    /// "true". Appending slices (pflag stringSlice): every occurrence's
    /// elements, in order.
    pub fn effective(&self, name: &str, is_bool: bool, appends: bool) -> Option<String> {
        let found: Vec<&Occurrence> = self.occurrences(name).collect();
        let last = found.last()?;
        if appends {
            let parts: Vec<&str> = found
                .iter()
                .filter_map(|o| o.value.as_deref())
                .filter(|v| !v.is_empty())
                .collect();
            return Some(parts.join(","));
        }
        Some(match (&last.value, is_bool) {
            (Some(value), _) => value.clone(),
            (None, true) => "true".to_string(),
            // pflag rejects a value-taking flag without a value; the
            // component would not have started, so report it as empty.
            (None, false) => String::new(),
        })
    }

    /// The occurrences as written, joined: the evidence for a value.
    pub fn written(&self, name: &str) -> Option<String> {
        let parts: Vec<&str> = self.occurrences(name).map(|o| o.written.as_str()).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> Option<bool> {
        match name {
            "anonymous-auth" | "profiling" | "client-cert-auth" | "peer-client-cert-auth" => {
                Some(true)
            }
            "read-only-port"
            | "audit-log-maxage"
            | "enable-admission-plugins"
            | "data-dir"
            | "encryption-provider-config" => Some(false),
            _ => None,
        }
    }

    fn argv(line: &str) -> Vec<String> {
        line.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[track_caller]
    fn case(syntax: Syntax, line: &str, flag: &str, appends: bool, expected: Option<&str>) {
        let args = Args::parse(&argv(line), syntax, &known);
        let is_bool = known(flag) == Some(true);
        assert_eq!(
            args.effective(flag, is_bool, appends).as_deref(),
            expected,
            "{line:?} {flag}"
        );
    }

    #[test]
    fn pflag_forms() {
        use Syntax::Pflag as P;
        case(P, "--profiling=false", "profiling", false, Some("false"));
        case(P, "--profiling", "profiling", false, Some("true"));
        // A bool flag never takes the next argument.
        case(
            P,
            "--anonymous-auth false",
            "anonymous-auth",
            false,
            Some("true"),
        );
        case(
            P,
            "--read-only-port 10255",
            "read-only-port",
            false,
            Some("10255"),
        );
        case(
            P,
            "--audit-log-maxage 30 --profiling",
            "audit-log-maxage",
            false,
            Some("30"),
        );
        case(
            P,
            "--audit-log-maxage=",
            "audit-log-maxage",
            false,
            Some(""),
        );
        case(P, "--audit-log-maxage", "audit-log-maxage", false, Some(""));
        // Scalars: last wins.
        case(
            P,
            "--audit-log-maxage=40 --audit-log-maxage=7",
            "audit-log-maxage",
            false,
            Some("7"),
        );
        // Slices append.
        case(
            P,
            "--enable-admission-plugins=NodeRestriction --enable-admission-plugins=AlwaysAdmit",
            "enable-admission-plugins",
            true,
            Some("NodeRestriction,AlwaysAdmit"),
        );
        // No prefix collisions.
        case(
            P,
            "--encryption-provider-config-automatic-reload=true",
            "encryption-provider-config",
            false,
            None,
        );
        case(
            P,
            "--peer-client-cert-auth=true",
            "client-cert-auth",
            false,
            None,
        );
        // Values are verbatim.
        case(
            P,
            "--profiling=\"false\"",
            "profiling",
            false,
            Some("\"false\""),
        );
        case(
            P,
            "--feature-gates=RotateKubeletServerCertificate=true,Foo=false",
            "feature-gates",
            false,
            Some("RotateKubeletServerCertificate=true,Foo=false"),
        );
        // Flags after positionals still count; after "--" they do not.
        case(
            P,
            "stray --profiling=false",
            "profiling",
            false,
            Some("false"),
        );
        case(P, "-- --profiling=false", "profiling", false, None);
        // Unknown flags: take the next argument unless it looks like a flag.
        case(
            P,
            "--unknown value --profiling=false",
            "unknown",
            false,
            Some("value"),
        );
        case(
            P,
            "--unknown --profiling=false",
            "profiling",
            false,
            Some("false"),
        );
        case(P, "-v=2 --profiling=false", "v", false, Some("2"));
        case(
            P,
            "--abc --peer-client-cert-auth --efg",
            "peer-client-cert-auth",
            false,
            Some("true"),
        );
        case(
            P,
            "--abc --peer-client-cert-auth=false --efg",
            "peer-client-cert-auth",
            false,
            Some("false"),
        );
    }

    #[test]
    fn go_flag_forms() {
        use Syntax::GoFlag as G;
        case(
            G,
            "-data-dir /var/lib/etcd",
            "data-dir",
            false,
            Some("/var/lib/etcd"),
        );
        case(
            G,
            "--data-dir=/var/lib/etcd",
            "data-dir",
            false,
            Some("/var/lib/etcd"),
        );
        case(
            G,
            "-client-cert-auth",
            "client-cert-auth",
            false,
            Some("true"),
        );
        case(
            G,
            "-client-cert-auth=false",
            "client-cert-auth",
            false,
            Some("false"),
        );
        // Go's flag package stops at the first non-flag argument.
        case(
            G,
            "stray -client-cert-auth",
            "client-cert-auth",
            false,
            None,
        );
    }

    #[test]
    fn keeps_evidence_and_positionals() {
        let args = Args::parse(
            &argv("--anonymous-auth false --read-only-port 0"),
            Syntax::Pflag,
            &known,
        );
        assert_eq!(args.positionals, vec!["false".to_string()]);
        assert_eq!(
            args.written("read-only-port").as_deref(),
            Some("--read-only-port 0")
        );
        assert_eq!(
            args.written("anonymous-auth").as_deref(),
            Some("--anonymous-auth")
        );
        assert_eq!(args.written("profiling"), None);
    }
}

//! The `%` tokens and the leading `~` that OpenSSH expands in some values
//! (ssh_config(5), TOKENS): `HostName` takes `%h` (the name ssh was given)
//! and `%%`; `IdentityFile` and `UserKnownHostsFile` take a leading `~` or
//! `~/` (the home directory) and then `%%`, `%d` (home), `%h` (the host name
//! connected to), `%n` (the name given), `%p` (port), `%r` (remote user) and
//! `%u` (local user). Other tokens (`%C`, `%l`, `%i`, ...) and `${VAR}` are
//! refused with the token named rather than left in a path.

use std::path::{Path, PathBuf};

/// `%`-expands `text` with `values` (token letter, value).
pub fn percent(text: &str, values: &[(char, &str)]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '$' && chars.clone().next() == Some('{') {
            return Err(format!(
                "environment variables such as ${{...}} are not supported (in {text:?})"
            ));
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            None => return Err(format!("{text:?} ends with a lone %")),
            Some(token) => match values.iter().find(|(letter, _)| *letter == token) {
                Some((_, value)) => out.push_str(value),
                None => {
                    let known: Vec<String> = values.iter().map(|(letter, _)| format!("%{letter}")).collect();
                    return Err(format!(
                        "token %{token} is not supported here (in {text:?}); supported: %%, {}",
                        known.join(", ")
                    ));
                }
            },
        }
    }
    Ok(out)
}

/// A path value: `~` first, then the `%` tokens, as OpenSSH does.
pub fn path(text: &str, home: Option<&Path>, values: &[(char, &str)]) -> Result<PathBuf, String> {
    let tilde = if text == "~" || text.starts_with("~/") {
        let home = home.ok_or_else(|| format!("cannot expand {text:?}: HOME is not set"))?;
        let home = home.to_str().ok_or_else(|| format!("cannot expand {text:?}: HOME is not UTF-8"))?;
        format!("{home}{}", &text[1..])
    } else if text.starts_with('~') {
        return Err(format!("cannot expand {text:?}: only ~ and ~/ are supported, not ~user"));
    } else {
        text.to_string()
    };
    percent(&tilde, values).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &[(char, &str)] = &[
        ('d', "/home/me"),
        ('h', "10.0.0.5"),
        ('n', "cp-1"),
        ('p', "2222"),
        ('r', "audit"),
        ('u', "me"),
    ];

    #[test]
    fn tokens_and_home() {
        let home = Some(Path::new("/home/me"));
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("/keys/plain", Ok("/keys/plain")),
            ("~/.ssh/id_%h", Ok("/home/me/.ssh/id_10.0.0.5")),
            ("~", Ok("/home/me")),
            ("%d/.ssh/%r@%n:%p", Ok("/home/me/.ssh/audit@cp-1:2222")),
            ("/k/%u-100%%", Ok("/k/me-100%")),
            ("relative/key", Ok("relative/key")),
            // A ~ that does not lead is a character.
            ("/k/~x", Ok("/k/~x")),
            ("~root/.ssh/key", Err("cannot expand \"~root/.ssh/key\": only ~ and ~/ are supported, not ~user")),
            ("/k/%C", Err("token %C is not supported here (in \"/k/%C\"); supported: %%, %d, %h, %n, %p, %r, %u")),
            ("/k/100%", Err("\"/k/100%\" ends with a lone %")),
            ("${HOME}/.ssh/key", Err("environment variables such as ${...} are not supported (in \"${HOME}/.ssh/key\")")),
        ];
        for (text, expected) in cases {
            assert_eq!(
                path(text, home, VALUES),
                expected.map(PathBuf::from).map_err(str::to_string),
                "{text}"
            );
        }
        assert_eq!(path("~/k", None, VALUES), Err("cannot expand \"~/k\": HOME is not set".to_string()));
        assert_eq!(percent("%h.lan", &[('h', "cp-1")]), Ok("cp-1.lan".to_string()));
        assert_eq!(
            percent("%p", &[('h', "cp-1")]),
            Err("token %p is not supported here (in \"%p\"); supported: %%, %h".to_string())
        );
    }
}

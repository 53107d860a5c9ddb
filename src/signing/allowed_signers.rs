//! OpenSSH's allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS): which
//! keys may sign, for whom, in which namespaces and when. One signer a line:
//!
//! ```text
//! principals [options] keytype base64-key [comment]
//! ```
//!
//! `principals` is a comma-separated list; `options` a comma-separated
//! list of `cert-authority`, `namespaces="pattern-list"`,
//! `valid-after="TIME"` and `valid-before="TIME"` (TIME is
//! `YYYYMMDD[HHMM[SS]]`, local time, or UTC with a trailing `Z`); values are
//! quoted, as OpenSSH requires. Blank lines and `#` comments are skipped. A line that does not parse is an error naming it, where OpenSSH
//! would pass over it: an auditor's trust file with a typo should not
//! silently trust less, or more, than its author meant.
//!
//! A `cert-authority` line trusts certificates signed by its key, and
//! hardbench signs with plain keys only: such a line never authorizes a
//! signature here, and an unlisted key's error says so.

use super::pattern;
use super::VerifiedSigner;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ssh_key::public::KeyData;
use ssh_key::{Algorithm, HashAlg, PublicKey};
use std::path::{Path, PathBuf};

/// Why an allowed_signers file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AllowedSignersError {
    #[error("cannot read the allowed signers file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}: {why}")]
    Line { origin: String, line: usize, why: String },
}

/// Why a key may not sign in a namespace at a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAllowed {
    #[error(
        "the signing key {fingerprint} is not in {origin}{}",
        if *.cert_authorities { " (its cert-authority lines do not apply: hardbench signs with plain keys, \
            so list the signer's own key)" } else { "" }
    )]
    NotListed { origin: String, fingerprint: String, cert_authorities: bool },
    #[error("{origin}:{line} does not allow the signing key {fingerprint} in the namespace {namespace:?} (namespaces={namespaces:?})")]
    Namespace { origin: String, line: usize, fingerprint: String, namespace: String, namespaces: String },
    #[error("{origin}:{line} allows the signing key {fingerprint} only after {valid_after}")]
    NotYetValid { origin: String, line: usize, fingerprint: String, valid_after: DateTime<Utc> },
    #[error("{origin}:{line} allowed the signing key {fingerprint} only before {valid_before}")]
    Expired { origin: String, line: usize, fingerprint: String, valid_before: DateTime<Utc> },
}

/// A parsed allowed_signers file.
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    /// The file's path, for messages.
    origin: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    line: usize,
    principals: Vec<String>,
    options: Options,
    key: KeyData,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Options {
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<DateTime<Utc>>,
    valid_before: Option<DateTime<Utc>>,
}

impl AllowedSigners {
    pub fn read(path: &Path) -> Result<Self, AllowedSignersError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| AllowedSignersError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The file's text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AllowedSignersError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = parse_line(line, line_number).map_err(|why| AllowedSignersError::Line {
                origin: origin.to_string(),
                line: line_number,
                why,
            })?;
            entries.push(entry);
        }
        Ok(AllowedSigners { origin: origin.to_string(), entries })
    }

    /// Who `key` signs for in `namespace` at time `at`: the principals of
    /// every line that lists the key and allows both; or why none does
    /// (the first listing line's reason).
    pub fn authorize(&self, key: &KeyData, namespace: &str, at: DateTime<Utc>) -> Result<VerifiedSigner, NotAllowed> {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let mut principals: Vec<String> = Vec::new();
        let mut refusal = None;
        for entry in self.entries.iter().filter(|e| !e.options.cert_authority && &e.key == key) {
            match self.check(entry, &fingerprint, namespace, at) {
                Ok(()) => {
                    for principal in &entry.principals {
                        if !principals.contains(principal) {
                            principals.push(principal.clone());
                        }
                    }
                }
                Err(why) => {
                    refusal.get_or_insert(why);
                }
            }
        }
        if !principals.is_empty() {
            return Ok(VerifiedSigner { principals, fingerprint });
        }
        Err(refusal.unwrap_or_else(|| NotAllowed::NotListed {
            origin: self.origin.clone(),
            fingerprint,
            cert_authorities: self.entries.iter().any(|e| e.options.cert_authority),
        }))
    }

    /// Every plain key the file lists, in file order, each once.
    pub fn keys(&self) -> Vec<&KeyData> {
        let mut keys: Vec<&KeyData> = Vec::new();
        for entry in self.entries.iter().filter(|e| !e.options.cert_authority) {
            if !keys.contains(&&entry.key) {
                keys.push(&entry.key);
            }
        }
        keys
    }

    fn check(&self, entry: &Entry, fingerprint: &str, namespace: &str, at: DateTime<Utc>) -> Result<(), NotAllowed> {
        let (origin, line, fingerprint) = (self.origin.clone(), entry.line, fingerprint.to_string());
        if let Some(namespaces) = &entry.options.namespaces {
            if !pattern::in_list(namespace, namespaces) {
                let (namespace, namespaces) = (namespace.to_string(), namespaces.clone());
                return Err(NotAllowed::Namespace { origin, line, fingerprint, namespace, namespaces });
            }
        }
        if let Some(valid_after) = entry.options.valid_after.filter(|t| at < *t) {
            return Err(NotAllowed::NotYetValid { origin, line, fingerprint, valid_after });
        }
        if let Some(valid_before) = entry.options.valid_before.filter(|t| at > *t) {
            return Err(NotAllowed::Expired { origin, line, fingerprint, valid_before });
        }
        Ok(())
    }
}

/// One signer line, already trimmed and not a comment.
fn parse_line(line: &str, line_number: usize) -> Result<Entry, String> {
    let (principals, rest) = split_token(line);
    // Quotes group, and are not part of a principal (OpenSSH's strdelimw).
    let principals: Vec<String> = principals.replace('"', "").split(',').map(str::to_string).collect();
    if principals.iter().any(String::is_empty) {
        return Err("an empty principal".into());
    }
    let (first, after) = split_token(rest);
    if first.is_empty() {
        return Err("no key after the principals".into());
    }
    // The options are optional: a key type where they would be means none.
    let (options, key_text) =
        if Algorithm::new(first).is_ok() { (Options::default(), rest) } else { (parse_options(first)?, after) };
    if key_text.is_empty() {
        return Err("no key after the options".into());
    }
    let key = PublicKey::from_openssh(key_text).map_err(|e| format!("not a public key ({e}): {key_text}"))?;
    Ok(Entry { line: line_number, principals, options, key: key.key_data().clone() })
}

/// The text up to the first whitespace outside double quotes, and what
/// follows it with its leading whitespace removed.
fn split_token(text: &str) -> (&str, &str) {
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return (&text[..at], text[at..].trim_start()),
            _ => {}
        }
    }
    (text, "")
}

fn parse_options(text: &str) -> Result<Options, String> {
    let mut options = Options::default();
    for option in split_outside_quotes(text) {
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value)?)),
            None => (option, None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("cert-authority", None) => options.cert_authority = true,
            ("namespaces", Some(value)) => options.namespaces = Some(value.to_string()),
            ("valid-after", Some(value)) => options.valid_after = Some(parse_time(value)?),
            ("valid-before", Some(value)) => options.valid_before = Some(parse_time(value)?),
            ("cert-authority", Some(_)) => return Err("cert-authority takes no value".into()),
            ("namespaces" | "valid-after" | "valid-before", None) => return Err(format!("{name} needs a value")),
            _ => {
                return Err(format!(
                    "unknown option {name:?} (known: cert-authority, namespaces, valid-after, valid-before), \
                     or an unknown key type"
                ))
            }
        }
    }
    if let (Some(after), Some(before)) = (options.valid_after, options.valid_before) {
        if before <= after {
            return Err("valid-before is not after valid-after".into());
        }
    }
    Ok(options)
}

/// The comma-separated items of `text`, commas inside quotes kept.
fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut quoted, mut start) = (false, 0);
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                items.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// An option's value: in double quotes, as OpenSSH requires.
fn unquote(value: &str) -> Result<&str, String> {
    let inner = value.strip_prefix('"').ok_or_else(|| format!("the value {value} is not in double quotes"))?;
    inner.strip_suffix('"').filter(|v| !v.contains('"')).ok_or_else(|| format!("unbalanced quotes in {value}"))
}

/// OpenSSH's absolute time: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, local time unless it ends in `Z` (or `UTC`).
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let (digits, utc) = match text.strip_suffix('Z').or_else(|| text.strip_suffix("UTC")) {
        Some(digits) => (digits, true),
        None => (text, false),
    };
    let invalid = || format!("{text:?} is not a time (YYYYMMDD[HHMM[SS]], with Z for UTC)");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let naive = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)),
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").ok(),
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok(),
        _ => None,
    }
    .ok_or_else(invalid)?;
    if utc {
        return Ok(naive.and_utc());
    }
    let local = Local.from_local_datetime(&naive).earliest();
    local.map(|t| t.with_timezone(&Utc)).ok_or_else(|| format!("{text:?} does not exist in local time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAWUsnuZFbu1E9FwVsV2pQ1rvtpHMcb+ur2rTQWx6rJg";
    const KEY_B: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINmkRiJ2e34I6HDX0g/70mgZcXFtySjoeO68UswJ/GG6";

    fn key(text: &str) -> KeyData {
        PublicKey::from_openssh(text).unwrap().key_data().clone()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
    }

    fn parse(text: &str) -> AllowedSigners {
        AllowedSigners::parse(text, "allowed_signers").unwrap()
    }

    #[test]
    fn lines_parse_in_their_common_forms() {
        let none = Options::default();
        let table = [
            (format!("auditor@example.com {KEY_A}"), vec!["auditor@example.com"], none.clone()),
            (format!("a@x,b@y {KEY_A} a comment with spaces"), vec!["a@x", "b@y"], none.clone()),
            (
                format!("a@x namespaces=\"hardbench-evidence,git\" {KEY_A}"),
                vec!["a@x"],
                Options { namespaces: Some("hardbench-evidence,git".into()), ..none.clone() },
            ),
            (
                format!("a@x valid-after=\"20260101Z\",VALID-BEFORE=\"20270630120000Z\" {KEY_A}"),
                vec!["a@x"],
                Options {
                    valid_after: Some(utc(2026, 1, 1, 0, 0, 0)),
                    valid_before: Some(utc(2027, 6, 30, 12, 0, 0)),
                    ..none.clone()
                },
            ),
            (
                format!("*@example.com cert-authority {KEY_A}"),
                vec!["*@example.com"],
                Options { cert_authority: true, ..none.clone() },
            ),
            (format!("  a@x\t{KEY_A}  "), vec!["a@x"], none.clone()),
            (format!("\"a b@x\",c@x {KEY_A}"), vec!["a b@x", "c@x"], none.clone()),
        ];
        for (line, principals, options) in table {
            let file = parse(&format!("# trust\n\n{line}\n"));
            let expected = Entry {
                line: 3,
                principals: principals.into_iter().map(str::to_string).collect(),
                options,
                key: key(KEY_A),
            };
            assert_eq!(file.entries, [expected], "{line}");
        }
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        let table = [
            (format!("a@x badoption {KEY_A}"), "unknown option"),
            (format!("a@x namespaces {KEY_A}"), "namespaces needs a value"),
            (format!("a@x valid-after=\"2026\" {KEY_A}"), "is not a time"),
            (format!("a@x valid-after=20260101 {KEY_A}"), "is not in double quotes"),
            (format!("a@x valid-after=\"20270101Z\",valid-before=\"20260101Z\" {KEY_A}"), "valid-before is not after"),
            (format!("a@x valid-after=\"20261301\" {KEY_A}"), "is not a time"),
            (format!("a@x namespaces=\"git {KEY_A}"), "unbalanced quotes"),
            ("a@x ssh-ed25519 AAAA-not-base64".to_string(), "not a public key"),
            ("a@x".to_string(), "no key after the principals"),
            (format!("a@x,,b@y {KEY_A}"), "an empty principal"),
        ];
        for (line, why) in table {
            let error = AllowedSigners::parse(&format!("ok@x {KEY_B}\n{line}\n"), "trust").unwrap_err().to_string();
            assert!(error.starts_with("trust:2: "), "{line}: {error}");
            assert!(error.contains(why), "{line}: {error}");
        }
    }

    #[test]
    fn a_key_is_authorized_by_the_lines_that_list_it_and_allow_the_namespace_and_time() {
        let file = parse(&format!(
            "first@x namespaces=\"hardbench-*\" {KEY_A}\n\
             git@x namespaces=\"git\" {KEY_A}\n\
             later@x valid-after=\"20300101Z\" {KEY_A}\n\
             second@x,first@x {KEY_A}\n\
             other@x {KEY_B}\n"
        ));
        let now = at("2026-11-29T12:00:00Z");
        let signer = file.authorize(&key(KEY_A), "hardbench-evidence", now).unwrap();
        assert_eq!(signer.principals, ["first@x", "second@x"]);
        assert!(signer.fingerprint.starts_with("SHA256:"));
        assert_eq!(file.authorize(&key(KEY_B), "hardbench-evidence", now).unwrap().principals, ["other@x"]);
        assert_eq!(file.keys(), [&key(KEY_A), &key(KEY_B)]);
    }

    #[test]
    fn a_key_not_allowed_gets_the_reason_of_its_first_line() {
        let now = at("2026-11-29T12:00:00Z");
        let fingerprint = key(KEY_A).fingerprint(HashAlg::Sha256).to_string();
        let refuse = |text: String| parse(&text).authorize(&key(KEY_A), "hardbench-evidence", now).unwrap_err();
        assert_eq!(
            refuse(format!("b@x {KEY_B}\n")),
            NotAllowed::NotListed {
                origin: "allowed_signers".into(),
                fingerprint: fingerprint.clone(),
                cert_authorities: false
            }
        );
        let ca = refuse(format!("*@x cert-authority {KEY_A}\n"));
        assert!(ca.to_string().contains("cert-authority lines do not apply"), "{ca}");
        assert!(matches!(
            refuse(format!("a@x namespaces=\"git,file\" {KEY_A}\n")),
            NotAllowed::Namespace { line: 1, .. }
        ));
        assert_eq!(
            refuse(format!("a@x valid-after=\"20261130Z\" {KEY_A}\n")),
            NotAllowed::NotYetValid {
                origin: "allowed_signers".into(),
                line: 1,
                fingerprint: fingerprint.clone(),
                valid_after: utc(2026, 11, 30, 0, 0, 0)
            }
        );
        assert!(matches!(
            refuse(format!("a@x valid-before=\"202611291159Z\" {KEY_A}\n")),
            NotAllowed::Expired { line: 1, .. }
        ));
        // Inside the window on both sides.
        let window = parse(&format!("a@x valid-after=\"202611291159Z\",valid-before=\"202611291201Z\" {KEY_A}\n"));
        assert!(window.authorize(&key(KEY_A), "hardbench-evidence", now).is_ok());
    }

    #[test]
    fn times_without_z_are_local_time() {
        let naive = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap().and_hms_opt(8, 30, 0).unwrap();
        let local = Local.from_local_datetime(&naive).earliest().unwrap().with_timezone(&Utc);
        assert_eq!(parse_time("202606010830").unwrap(), local);
        assert_eq!(parse_time("202606010830Z").unwrap(), utc(2026, 6, 1, 8, 30, 0));
        assert_eq!(parse_time("20260601083015UTC").unwrap(), utc(2026, 6, 1, 8, 30, 15));
    }
}

//! `hardbench waivers lint`: what a scheduled job needs to know about a
//! waivers (and attestations) file before the rules stop applying: which
//! have expired and which expire within `SOON_DAYS`. Problems in the file
//! itself (unknown check ids, unknown hosts) are `file`'s, found on reading.

use crate::outcome::{Attestation, Origin, Scope, Waiver};
use chrono::NaiveDate;

/// How far ahead an expiry is announced.
pub const SOON_DAYS: i64 = 30;

/// One rule's line in the lint, and whether it needs attention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub line: String,
    pub attention: bool,
}

/// A line for every rule, in file order: expired, expiring soon, or valid.
pub fn lint(waivers: &[Waiver], attestations: &[Attestation], today: NaiveDate) -> Vec<Finding> {
    let waivers = waivers.iter().enumerate().map(|(i, w)| ("waiver", i, &w.origin, &w.scope, w.expires));
    let attestations = attestations.iter().enumerate().map(|(i, a)| ("attestation", i, &a.origin, &a.scope, a.expires));
    waivers.chain(attestations).map(|(kind, i, origin, scope, expires)| finding(kind, i, origin, scope, expires, today)).collect()
}

fn finding(kind: &str, index: usize, origin: &Origin, scope: &Scope, expires: NaiveDate, today: NaiveDate) -> Finding {
    let days = (expires - today).num_days();
    let (state, attention) = if days < 0 {
        (format!("expired on {expires}"), true)
    } else if days <= SOON_DAYS {
        let when = match days {
            0 => "today".to_string(),
            1 => "tomorrow".to_string(),
            n => format!("in {n} days"),
        };
        (format!("expires {when} ({expires})"), true)
    } else {
        (format!("valid until {expires}"), false)
    };
    Finding {
        line: format!("{}:{}: {kind} {} ({}): {state}", origin.file.display(), origin.line, index + 1, describe(scope)),
        attention,
    }
}

/// "1.2.16, 4.2.* on cp-2", "4.2.* on role worker", "1.1.1 on every host".
fn describe(scope: &Scope) -> String {
    let on = if !scope.hosts.is_empty() {
        scope.hosts.join(", ")
    } else if !scope.roles.is_empty() {
        let roles: Vec<&str> = scope.roles.iter().map(|r| r.name()).collect();
        format!("role {}", roles.join(", "))
    } else {
        "every host".to_string()
    };
    format!("{} on {on}", scope.checks.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::Role;
    use std::path::PathBuf;

    #[test]
    fn expired_and_soon_expiring_rules_need_attention() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let waiver = |line, hosts: &[&str], roles: &[Role], expires: &str| Waiver {
            scope: Scope::new(vec!["1.2.16".into(), "4.2.*".into()], hosts.iter().map(|h| h.to_string()).collect(), roles.to_vec()),
            reason: "r".into(),
            approved_by: "a".into(),
            expires: expires.parse().unwrap(),
            origin: Origin { file: PathBuf::from("w.toml"), line },
        };
        let waivers = [
            waiver(1, &["cp-2"], &[], "2026-11-28"),
            waiver(8, &[], &[Role::Worker], "2026-11-29"),
            waiver(15, &[], &[], "2026-11-30"),
            waiver(22, &[], &[], "2026-12-29"),
            waiver(29, &[], &[], "2026-12-30"),
        ];
        let lines: Vec<(String, bool)> = lint(&waivers, &[], today).into_iter().map(|f| (f.line, f.attention)).collect();
        let expected = [
            ("w.toml:1: waiver 1 (1.2.16, 4.2.* on cp-2): expired on 2026-11-28", true),
            ("w.toml:8: waiver 2 (1.2.16, 4.2.* on role worker): expires today (2026-11-29)", true),
            ("w.toml:15: waiver 3 (1.2.16, 4.2.* on every host): expires tomorrow (2026-11-30)", true),
            ("w.toml:22: waiver 4 (1.2.16, 4.2.* on every host): expires in 30 days (2026-12-29)", true),
            ("w.toml:29: waiver 5 (1.2.16, 4.2.* on every host): valid until 2026-12-30", false),
        ];
        assert_eq!(lines, expected.map(|(l, a)| (l.to_string(), a)));
    }
}

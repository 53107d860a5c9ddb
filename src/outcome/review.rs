//! The decisions people make about results, as a run holds them: waivers
//! (accepted risks) and attestations (a person's verdict on a manual
//! check). Data only; reading them from a file and applying them to results
//! is `crate::review`'s.

use crate::component::Role;
use crate::names::named_enum;
use crate::outcome::Status;
use crate::select::Pattern;
use chrono::NaiveDate;
use std::path::PathBuf;

/// Which results a waiver or attestation covers: checks by id or section,
/// on the hosts named, or on the hosts of the roles named, or on every host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The patterns as written (`1.2.16`, `4.2.*`).
    pub checks: Vec<String>,
    patterns: Vec<Pattern>,
    /// Inventory host names; empty: not limited by name.
    pub hosts: Vec<String>,
    /// Host roles; empty: not limited by role.
    pub roles: Vec<Role>,
}

impl Scope {
    /// `checks` must be patterns `Pattern::parse` accepts (the reader has
    /// made sure).
    pub fn new(checks: Vec<String>, hosts: Vec<String>, roles: Vec<Role>) -> Scope {
        let patterns = checks.iter().filter_map(|text| Pattern::parse(text)).collect();
        Scope { checks, patterns, hosts, roles }
    }

    /// Whether the check `id` on the host `host` (of `host_roles`) is covered.
    pub fn covers(&self, host: &str, host_roles: &[Role], id: &str) -> bool {
        (self.hosts.is_empty() || self.hosts.iter().any(|name| name == host))
            && (self.roles.is_empty() || self.roles.iter().any(|role| host_roles.contains(role)))
            && self.patterns.iter().any(|pattern| pattern.matches(id))
    }
}

/// Where a waiver or attestation was written: its file and the line of its
/// `[[waivers]]` or `[[attestations]]` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line: usize,
}

/// An accepted risk: the checks it covers still are evaluated, and a failure
/// among them is reported as `waived` until the waiver expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub scope: Scope,
    pub reason: String,
    pub approved_by: String,
    /// The last day the waiver applies.
    pub expires: NaiveDate,
    pub origin: Origin,
}

/// A person's verdict on a manual check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    pub scope: Scope,
    /// `Pass` or `Fail`.
    pub result: Status,
    pub attested_by: String,
    /// The day the check was reviewed.
    pub date: NaiveDate,
    /// The last day the attestation applies.
    pub expires: NaiveDate,
    /// Where the proof is (a ticket, a document).
    pub evidence: String,
    pub origin: Origin,
}

named_enum! {
    /// A waiver's or attestation's state in a run.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum RuleState {
        /// Not expired, and it covered at least one result.
        Active = "active",
        /// Past its expiry date on the day of the run: it changed nothing.
        Expired = "expired",
        /// Not expired, and it covered no result of the run.
        Unused = "unused",
    }
}

/// The state of a rule that expires on `expires`, on `today`, having covered
/// `covered` results.
pub fn state(expires: NaiveDate, today: NaiveDate, covered: usize) -> RuleState {
    if today > expires {
        RuleState::Expired
    } else if covered == 0 {
        RuleState::Unused
    } else {
        RuleState::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_covers_checks_by_id_or_section_on_the_hosts_or_roles_it_names() {
        let scope = |hosts: &[&str], roles: &[Role]| {
            Scope::new(
                vec!["1.2.16".into(), "4.2.*".into()],
                hosts.iter().map(|h| h.to_string()).collect(),
                roles.to_vec(),
            )
        };
        let cases: &[(Scope, &str, &[Role], &str, bool)] = &[
            (scope(&[], &[]), "cp-1", &[Role::ControlPlane], "1.2.16", true),
            (scope(&[], &[]), "cp-1", &[Role::ControlPlane], "1.2.1", false),
            (scope(&[], &[]), "cp-1", &[Role::ControlPlane], "1.2.160", false),
            (scope(&[], &[]), "w-1", &[Role::Worker], "4.2.10", true),
            (scope(&[], &[]), "w-1", &[Role::Worker], "4.2", true),
            (scope(&[], &[]), "w-1", &[Role::Worker], "4.21", false),
            (scope(&["cp-2"], &[]), "cp-1", &[Role::ControlPlane], "1.2.16", false),
            (scope(&["cp-2"], &[]), "cp-2", &[Role::ControlPlane], "1.2.16", true),
            (scope(&[], &[Role::Worker]), "cp-1", &[Role::ControlPlane, Role::Etcd], "4.2.1", false),
            (scope(&[], &[Role::Worker]), "cp-1", &[Role::ControlPlane, Role::Worker], "4.2.1", true),
        ];
        for (scope, host, roles, id, covered) in cases {
            assert_eq!(scope.covers(host, roles, id), *covered, "{scope:?} {host} {roles:?} {id}");
        }
    }

    #[test]
    fn a_rule_is_expired_the_day_after_its_expiry_date() {
        let day = |d| NaiveDate::from_ymd_opt(2027, 3, d).unwrap();
        assert_eq!(state(day(31), day(30), 0), RuleState::Unused);
        assert_eq!(state(day(31), day(31), 2), RuleState::Active, "the expiry date is the last day");
        assert_eq!(state(day(30), day(31), 2), RuleState::Expired);
        assert_eq!(state(day(30), day(31), 0), RuleState::Expired, "expired outranks unused");
    }
}

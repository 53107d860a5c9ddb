//! Waivers and attestations: reading them (`file`), checking a file for a
//! scheduled job (`lint`), and applying them to one host's results, here.
//!
//! Applying is pure. Attestations come first: a manual check covered by an
//! attestation that has not expired becomes the attested `pass` or `fail`.
//! Then waivers: a `fail` or `warn` covered by a waiver that has not
//! expired becomes `waived`. The first rule in file order that covers a
//! result is the one recorded for it. Every covered result records what
//! the rule did (`Effect`): an expired rule changes nothing and says so; a
//! waiver over a check that passes, errs or does not apply changes nothing
//! and is noted as not needed (an error is an audit that could not be made,
//! never an accepted risk); an attestation over a check that is not manual
//! changes nothing either. `CheckResult::verdict` keeps what evaluation
//! alone said.

pub mod file;
pub mod lint;

use crate::component::Role;
use crate::outcome::{Attestation, CheckResult, Covered, Effect, Status, Waiver};
use chrono::NaiveDate;

/// The waivers and attestations of a run, and the day they are judged on.
#[derive(Clone, Debug, Default)]
pub struct Reviews {
    pub waivers: Vec<Waiver>,
    pub attestations: Vec<Attestation>,
    pub today: NaiveDate,
}

impl Reviews {
    /// Applies the attestations, then the waivers, to the results of the
    /// host `host` (of `roles`), as the module says.
    pub fn apply(&self, host: &str, roles: &[Role], results: &mut [CheckResult]) {
        if self.waivers.is_empty() && self.attestations.is_empty() {
            return;
        }
        for result in results {
            if let Some((index, attestation)) = first(&self.attestations, |a| a.scope.covers(host, roles, &result.id)) {
                let effect = if result.outcome.status != Status::Manual {
                    Effect::NotNeeded
                } else if self.today > attestation.expires {
                    Effect::Expired
                } else {
                    result.outcome.status = attestation.result;
                    Effect::Applied
                };
                result.attestation = Some(Covered { index, effect });
            }
            if let Some((index, waiver)) = first(&self.waivers, |w| w.scope.covers(host, roles, &result.id)) {
                let effect = if !matches!(result.outcome.status, Status::Fail | Status::Warn) {
                    Effect::NotNeeded
                } else if self.today > waiver.expires {
                    Effect::Expired
                } else {
                    result.outcome.status = Status::Waived;
                    Effect::Applied
                };
                result.waiver = Some(Covered { index, effect });
            }
        }
    }
}

fn first<T>(rules: &[T], covers: impl Fn(&T) -> bool) -> Option<(usize, &T)> {
    rules.iter().enumerate().find(|(_, rule)| covers(rule))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Origin, Scope};
    use crate::report::sample;
    use std::path::PathBuf;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 3, d).unwrap()
    }

    fn origin() -> Origin {
        Origin { file: PathBuf::from("w.toml"), line: 1 }
    }

    fn waiver(checks: &[&str], expires: NaiveDate) -> Waiver {
        Waiver {
            scope: Scope::new(checks.iter().map(|c| c.to_string()).collect(), vec![], vec![]),
            reason: "r".into(),
            approved_by: "a".into(),
            expires,
            origin: origin(),
        }
    }

    fn attestation(checks: &[&str], result: Status, expires: NaiveDate) -> Attestation {
        Attestation {
            scope: Scope::new(checks.iter().map(|c| c.to_string()).collect(), vec![], vec![]),
            result,
            attested_by: "p".into(),
            date: day(1),
            expires,
            evidence: "e".into(),
            origin: origin(),
        }
    }

    fn result(id: &str, status: Status) -> CheckResult {
        sample::check(id, "t", Role::Worker, status, "", "")
    }

    /// (rules, result before) → (status after, verdict, which waiver and
    /// effect, which attestation and effect).
    #[test]
    fn waivers_and_attestations_change_only_what_they_may() {
        let reviews = Reviews {
            waivers: vec![
                waiver(&["4.2.1"], day(31)),
                waiver(&["4.2.2"], day(9)),
                waiver(&["4.2.*"], day(31)),
            ],
            attestations: vec![attestation(&["4.2.8"], Status::Pass, day(31)), attestation(&["4.2.9"], Status::Fail, day(9))],
            today: day(10),
        };
        let applied = |index| Some(Covered { index, effect: Effect::Applied });
        let expired = |index| Some(Covered { index, effect: Effect::Expired });
        let not_needed = |index| Some(Covered { index, effect: Effect::NotNeeded });
        type Case = (&'static str, Status, Status, Option<Covered>, Option<Covered>);
        let cases: &[Case] = &[
            ("4.2.1", Status::Fail, Status::Waived, applied(0), None),
            ("4.2.1", Status::Warn, Status::Waived, applied(0), None),
            // A check that passes anyway: noted, not hidden.
            ("4.2.1", Status::Pass, Status::Pass, not_needed(0), None),
            // An error is never an accepted risk.
            ("4.2.1", Status::Error, Status::Error, not_needed(0), None),
            ("4.2.1", Status::NotApplicable, Status::NotApplicable, not_needed(0), None),
            // Expired: judged normally, and the result says which waiver expired.
            ("4.2.2", Status::Fail, Status::Fail, expired(1), None),
            // The first waiver in file order that covers the check.
            ("4.2.3", Status::Fail, Status::Waived, applied(2), None),
            ("1.1.1", Status::Fail, Status::Fail, None, None),
            // A manual check attested pass; the section waiver has nothing to waive.
            ("4.2.8", Status::Manual, Status::Pass, not_needed(2), applied(0)),
            // An expired attestation leaves the check manual; the waiver cannot apply to it.
            ("4.2.9", Status::Manual, Status::Manual, not_needed(2), expired(1)),
            // An attestation over an automated check changes nothing.
            ("4.2.8", Status::Fail, Status::Waived, applied(2), not_needed(0)),
        ];
        for (id, before, after, waived, attested) in cases {
            let mut results = [result(id, *before)];
            reviews.apply("w-1", &[Role::Worker], &mut results);
            let r = &results[0];
            assert_eq!(
                (r.outcome.status, r.verdict, r.waiver, r.attestation),
                (*after, *before, *waived, *attested),
                "{id} {before}"
            );
        }
        // An attested failure is then waived by a waiver that covers it.
        let reviews = Reviews {
            waivers: vec![waiver(&["4.2.9"], day(31))],
            attestations: vec![attestation(&["4.2.9"], Status::Fail, day(31))],
            today: day(10),
        };
        let mut results = [result("4.2.9", Status::Manual)];
        reviews.apply("w-1", &[Role::Worker], &mut results);
        assert_eq!((results[0].outcome.status, results[0].verdict), (Status::Waived, Status::Manual));
    }
}

//! Reading a waivers file (`[[waivers]]`) or an attestations file
//! (`[[attestations]]`), as strictly as the inventory: every problem at once,
//! each with its file, line, column and key (`toml_file`). What is checked
//! beyond types: each check pattern is an id or section that names a check
//! of a benchmark the run may use; each host is one the run knows (the
//! inventory's, or the saved set's); `hosts` and `roles` are not both given;
//! text fields are not blank; an attestation is not dated after the day it
//! is read, nor after its own expiry.

use crate::benchmark::Benchmark;
use crate::component::Role;
use crate::outcome::{Attestation, InputFile, Origin, Scope, Status, Waiver};
use crate::select::Pattern;
use crate::toml_file::{self, Problem, Table, TomlFile, L};
use chrono::NaiveDate;
use std::path::Path;

/// Every problem of one waivers or attestations file. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ReviewErrors {
    pub what: &'static str,
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for ReviewErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        toml_file::write_list(f, &self.problems, self.what)
    }
}

/// What the rules of a file may name.
pub struct Known<'a> {
    /// The benchmarks the run may use: a check pattern must name a check of one.
    pub benchmarks: &'a [Benchmark],
    /// The host names the run knows; `None` when it knows none up front.
    pub hosts: Option<&'a [String]>,
    /// The day the file is read on.
    pub today: NaiveDate,
}

/// The rules of one file, and the file as read.
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    pub rules: Vec<T>,
    pub file: InputFile,
}

pub fn load_waivers(path: &Path, known: &Known<'_>) -> Result<Loaded<Waiver>, ReviewErrors> {
    load(path, "waivers", "the waivers file", known, waiver)
}

pub fn load_attestations(path: &Path, known: &Known<'_>) -> Result<Loaded<Attestation>, ReviewErrors> {
    load(path, "attestations", "the attestations file", known, attestation)
}

/// Reads a file whose only key is the array of tables `key`, each read by `read`.
fn load<T>(
    path: &Path,
    key: &'static str,
    what: &'static str,
    known: &Known<'_>,
    read: fn(&mut TomlFile<'_>, Table<'_, '_>, &Known<'_>) -> Option<T>,
) -> Result<Loaded<T>, ReviewErrors> {
    let text = toml_file::read(path).map_err(|problem| ReviewErrors { what, problems: vec![problem] })?;
    let mut file = TomlFile::new(path, &text);
    let mut rules = Vec::new();
    if let Some(doc) = file.parse() {
        let mut root = Table::root(&doc);
        match root.tables(&mut file, key, "an array of tables", |file, table| read(file, table, known)) {
            Some(read) => rules = read,
            None if !root.has(key) => file.push(Problem::in_file(path, format!("no [[{key}]] table: the file covers nothing"))),
            None => {}
        }
        root.finish(&mut file, |name| {
            let other = if key == "waivers" { "attestations" } else { "waivers" };
            (name == other).then(|| format!("[[{other}]] belong in their own file, given with --{other}"))
        });
    }
    let problems = file.into_problems();
    if problems.is_empty() {
        Ok(Loaded { rules, file: InputFile::of(path, text.as_bytes()) })
    } else {
        Err(ReviewErrors { what, problems })
    }
}

fn waiver(file: &mut TomlFile<'_>, mut table: Table<'_, '_>, known: &Known<'_>) -> Option<Waiver> {
    let before = file.problem_count();
    let origin = origin(file, &table);
    let scope = scope(file, &mut table, known);
    let reason = text(file, &mut table, "reason");
    let approved_by = text(file, &mut table, "approved_by");
    let expires = table.date(file, "expires", true);
    table.finish(file, toml_file::no_hint);
    let (scope, reason, approved_by, expires) = (scope?, reason?, approved_by?, expires?);
    (file.problem_count() == before).then_some(Waiver { scope, reason, approved_by, expires: expires.value, origin })
}

fn attestation(file: &mut TomlFile<'_>, mut table: Table<'_, '_>, known: &Known<'_>) -> Option<Attestation> {
    let before = file.problem_count();
    let origin = origin(file, &table);
    let scope = scope(file, &mut table, known);
    let result = table.string(file, "result", true).and_then(|result| match result.value.as_str() {
        "pass" => Some(Status::Pass),
        "fail" => Some(Status::Fail),
        other => {
            file.push(Problem::at(&result.loc, format!("{other:?} is not a result: expected \"pass\" or \"fail\"")));
            None
        }
    });
    let attested_by = text(file, &mut table, "attested_by");
    let date = table.date(file, "date", true);
    let expires = table.date(file, "expires", true);
    let evidence = text(file, &mut table, "evidence");
    table.finish(file, toml_file::no_hint);
    if let Some(date) = &date {
        if date.value > known.today {
            file.push(Problem::at(&date.loc, format!("{} is after today ({}): attest what was reviewed", date.value, known.today)));
        }
        if let Some(expires) = expires.as_ref().filter(|expires| expires.value < date.value) {
            file.push(Problem::at(&expires.loc, format!("{} is before the attestation's date {}", expires.value, date.value)));
        }
    }
    let (scope, result, attested_by, date, expires, evidence) = (scope?, result?, attested_by?, date?, expires?, evidence?);
    (file.problem_count() == before).then_some(Attestation {
        scope,
        result,
        attested_by,
        date: date.value,
        expires: expires.value,
        evidence,
        origin,
    })
}

fn origin(file: &TomlFile<'_>, table: &Table<'_, '_>) -> Origin {
    let loc = table.loc(file);
    Origin { file: loc.file().to_path_buf(), line: loc.position().line }
}

/// A required string that says something.
fn text(file: &mut TomlFile<'_>, table: &mut Table<'_, '_>, key: &'static str) -> Option<String> {
    let value = table.string(file, key, true)?;
    if value.value.trim().is_empty() {
        file.push(Problem::at(&value.loc, "is empty: say it"));
        return None;
    }
    Some(value.value)
}

fn scope(file: &mut TomlFile<'_>, table: &mut Table<'_, '_>, known: &Known<'_>) -> Option<Scope> {
    let before = file.problem_count();
    let checks = table.strings(file, "checks", true);
    let hosts = table.strings(file, "hosts", false);
    let roles = table.strings(file, "roles", false);
    if let Some(checks) = &checks {
        if checks.value.is_empty() {
            file.push(Problem::at(&checks.loc, "is empty: name at least one check id or section"));
        }
        for text in &checks.value {
            check_pattern(file, &checks.loc, text, known.benchmarks);
        }
    }
    if let (Some(hosts), Some(known_hosts)) = (&hosts, known.hosts) {
        for name in hosts.value.iter().filter(|name| !known_hosts.contains(name)) {
            file.push(Problem::at(&hosts.loc, format!("no host is named {name:?}; known: {}", known_hosts.join(", "))));
        }
    }
    let roles = roles.map(|roles| read_roles(file, roles)).unwrap_or_default();
    if let Some(hosts) = hosts.as_ref().filter(|hosts| !hosts.value.is_empty() && !roles.is_empty()) {
        file.push(Problem::at(&hosts.loc, "give hosts or roles, not both"));
    }
    let checks = checks?;
    (file.problem_count() == before).then(|| Scope::new(checks.value, hosts.map(|h| h.value).unwrap_or_default(), roles))
}

fn check_pattern(file: &mut TomlFile<'_>, loc: &toml_file::Loc, text: &str, benchmarks: &[Benchmark]) {
    let Some(pattern) = Pattern::parse(text) else {
        file.push(Problem::at(loc, format!("{text:?} is not a check id or section (expected e.g. 1.2.15, 1.2 or 4.2.*)")));
        return;
    };
    if !benchmarks.iter().any(|b| b.checks.iter().any(|check| pattern.matches(&check.id))) {
        let ids: Vec<&str> = benchmarks.iter().map(|b| b.id.as_str()).collect();
        file.push(Problem::at(loc, format!("{text}: no check of {} has this id or section", ids.join(", "))));
    }
}

fn read_roles(file: &mut TomlFile<'_>, roles: L<Vec<String>>) -> Vec<Role> {
    let mut out = Vec::new();
    for name in &roles.value {
        match Role::from_name(name) {
            Some(role) => out.push(role),
            None => file.push(Problem::at(
                &roles.loc,
                format!("{name:?} is not a role: expected one of {}", Role::names().join(", ")),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn with_file<T>(text: &str, read: impl FnOnce(&Path, &Known<'_>) -> T) -> T {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, text).unwrap();
        let benchmarks = [crate::benchmark::load_builtin("cis-1.12").unwrap()];
        let hosts = ["cp-1".to_string(), "cp-2".to_string(), "w-1".to_string()];
        read(&path, &Known { benchmarks: &benchmarks, hosts: Some(&hosts), today: today() })
    }

    /// The problems of a file, each as `line:column: key: message` (the
    /// directory left out).
    fn problems(text: &str, attestations: bool) -> Vec<String> {
        with_file(text, |path, known| {
            let errors = if attestations {
                load_attestations(path, known).map(drop).unwrap_err()
            } else {
                load_waivers(path, known).map(drop).unwrap_err()
            };
            let file = path.display().to_string();
            errors.problems.iter().map(|p| p.to_string().replacen(&format!("{file}:"), "", 1).trim_start().to_string()).collect()
        })
    }

    const WAIVER: &str = "[[waivers]]\nchecks = [\"1.2.16\", \"4.2.*\"]\nhosts = [\"cp-2\"]\n\
reason = \"EventRateLimit breaks our webhook\"\napproved_by = \"Security (CHG-1234)\"\nexpires = 2027-03-31\n";

    #[test]
    fn a_waiver_is_read_with_its_scope_and_origin() {
        let loaded = with_file(&format!("# accepted risks\n{WAIVER}"), |path, known| load_waivers(path, known).unwrap());
        let [waiver] = loaded.rules.as_slice() else { panic!("{:?}", loaded.rules) };
        assert_eq!(waiver.scope.checks, ["1.2.16", "4.2.*"]);
        assert_eq!(waiver.scope.hosts, ["cp-2"]);
        assert_eq!(waiver.expires, NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
        assert_eq!(waiver.origin.line, 2);
        assert!(waiver.scope.covers("cp-2", &[], "4.2.10"));
        assert_eq!(loaded.file.sha256.len(), 64);
    }

    #[test]
    fn every_problem_of_a_waivers_file_is_named_with_its_line_and_key() {
        let cases: &[(&str, &[&str])] = &[
            ("", &["no [[waivers]] table: the file covers nothing"]),
            ("[[waivers]]\nchecks = 1\n", &[
                "2:10: waivers[0].checks: expected a string or an array of strings, found an integer",
                "1:1: waivers[0]: missing key \"reason\"",
                "1:1: waivers[0]: missing key \"approved_by\"",
                "1:1: waivers[0]: missing key \"expires\"",
            ]),
            (&WAIVER.replace("2027-03-31", "\"2027-03-31\""), &[
                "6:11: waivers[0].expires: expected a date such as 2027-03-31 (a TOML date: no quotes, no time), found a string",
            ]),
            (&WAIVER.replace("2027-03-31", "2027-03-31T10:00:00Z"), &[
                "6:11: waivers[0].expires: expected a date such as 2027-03-31 (a TOML date: no quotes, no time), found a datetime",
            ]),
            (&WAIVER.replace("\"1.2.16\"", "\"1.2.99\", \"x\""), &[
                "2:10: waivers[0].checks: 1.2.99: no check of cis-1.12 has this id or section",
                "2:10: waivers[0].checks: \"x\" is not a check id or section (expected e.g. 1.2.15, 1.2 or 4.2.*)",
            ]),
            (&WAIVER.replace("cp-2", "cp-9"), &["3:9: waivers[0].hosts: no host is named \"cp-9\"; known: cp-1, cp-2, w-1"]),
            (&WAIVER.replace("hosts = [\"cp-2\"]", "hosts = [\"cp-2\"]\nroles = [\"worker\", \"master\"]"), &[
                "4:9: waivers[0].roles: \"master\" is not a role: expected one of control-plane, etcd, worker",
                "3:9: waivers[0].hosts: give hosts or roles, not both",
            ]),
            (&WAIVER.replace("EventRateLimit breaks our webhook", " "), &["4:10: waivers[0].reason: is empty: say it"]),
            (&format!("{WAIVER}approver = \"x\"\n"), &[
                "7:1: waivers[0].approver: unknown key \"approver\": expected one of checks, hosts, roles, reason, approved_by, expires",
            ]),
            (&format!("{WAIVER}[[attestations]]\n"), &[
                "7:3: attestations: [[attestations]] belong in their own file, given with --attestations",
            ]),
            ("[[waivers]\n", &["1:11: TOML syntax error: unclosed array table, expected `]`"]),
        ];
        for (text, expected) in cases {
            let mut found = problems(text, false);
            let mut expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
            found.sort();
            expected.sort();
            assert_eq!(found, expected, "{text}");
        }
    }

    #[test]
    fn every_problem_of_an_attestations_file_is_named() {
        let good = "[[attestations]]\nchecks = [\"1.1.9\"]\nroles = [\"control-plane\"]\nresult = \"pass\"\n\
attested_by = \"J. Doe\"\ndate = 2026-11-20\nexpires = 2027-05-20\nevidence = \"CHG-99: CNI reviewed\"\n";
        let loaded = with_file(good, |path, known| load_attestations(path, known).unwrap());
        assert_eq!((loaded.rules[0].result, loaded.rules[0].scope.roles.as_slice()), (Status::Pass, &[Role::ControlPlane][..]));
        let cases: &[(&str, &[&str])] = &[
            (&good.replace("\"pass\"", "\"ok\""), &["4:10: attestations[0].result: \"ok\" is not a result: expected \"pass\" or \"fail\""]),
            (&good.replace("2026-11-20", "2026-11-30"), &["6:8: attestations[0].date: 2026-11-30 is after today (2026-11-29): attest what was reviewed"]),
            (&good.replace("2027-05-20", "2026-11-19"), &["7:11: attestations[0].expires: 2026-11-19 is before the attestation's date 2026-11-20"]),
            (&good.replace("evidence = \"CHG-99: CNI reviewed\"\n", ""), &["1:1: attestations[0]: missing key \"evidence\""]),
        ];
        for (text, expected) in cases {
            assert_eq!(problems(text, true), *expected, "{text}");
        }
    }
}

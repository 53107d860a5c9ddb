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
    Origin { file: loc.file, line: loc.position.line }
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

//! Benchmark inheritance: a benchmark that `extends` another starts from
//! the parent's definitions, removes the checks its `drop` names, then its
//! own `[[settings]]` and `[[checks]]` entries override the parent's key by
//! key (a check's `test` is replaced whole) or add new ones. Merging works
//! on raw definitions, before validation, so that every key of the merged
//! benchmark keeps the file, line and key path where it was written, and
//! the merged benchmark is validated as one.

use super::raw::{RawCheck, RawDefinitions, RawSetting};
use crate::toml_file::{Loc, Problem, L};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where a merged check came from, for the messages about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written whole in the benchmark itself (or in a base benchmark).
    Own,
    /// Inherited, possibly overridden key by key.
    Inherited,
    /// A new id in a derived benchmark: it must give every key.
    New { parent: String },
    /// A second entry with an id the benchmark already defines: already a
    /// problem, validated only for what it says, never kept.
    Duplicate,
}

/// The merged definitions of a benchmark and its ancestors. Entries are
/// shared: a derived benchmark starts from its parent's entries without
/// copying them, and copies only the ones it overrides.
#[derive(Clone, Default)]
pub struct Merged {
    pub settings: Vec<Rc<RawSetting>>,
    pub checks: Vec<(Rc<RawCheck>, Origin)>,
}

/// `own` laid over `parent` (the merged definitions of the benchmark named
/// `parent_id`; `None` for a base benchmark), after dropping the ids of
/// `drop`. Two own entries with the same check id or setting name are both
/// kept, so that validation reports the second one as declared twice.
pub fn merge(
    parent: Option<(String, Merged)>,
    drop: Option<&L<Vec<String>>>,
    own: RawDefinitions,
    problems: &mut Vec<Problem>,
) -> Merged {
    let (parent_id, mut merged) = match parent {
        Some((id, merged)) => (Some(id), merged),
        None => (None, Merged::default()),
    };
    let parent_id = parent_id.as_deref();
    for check in &mut merged.checks {
        check.1 = Origin::Inherited;
    }
    if let Some(drop) = drop {
        apply_drop(parent_id, drop, &own, &mut merged, problems);
    }

    // Slots, so that an entry can be taken out, merged and put back.
    let mut settings: Vec<Option<Rc<RawSetting>>> = std::mem::take(&mut merged.settings).into_iter().map(Some).collect();
    let mut setting_at: BTreeMap<String, usize> = settings
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.as_ref().map(|s| (s.name.value.clone(), i)))
        .collect();
    let mut own_settings: BTreeMap<String, ()> = BTreeMap::new();
    for setting in own.settings {
        let name = setting.name.value.clone();
        let first_own = own_settings.insert(name.clone(), ()).is_none();
        match setting_at.get(&name) {
            Some(&i) if first_own => settings[i] = settings[i].take().map(|base| override_setting(base, setting)),
            _ => {
                setting_at.insert(name, settings.len());
                settings.push(Some(Rc::new(setting)));
            }
        }
    }
    merged.settings = settings.into_iter().flatten().collect();

    let mut checks: Vec<Option<(Rc<RawCheck>, Origin)>> = std::mem::take(&mut merged.checks).into_iter().map(Some).collect();
    let mut check_at: BTreeMap<String, usize> = checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().and_then(|(c, _)| c.id.as_ref()).map(|id| (id.value.clone(), i)))
        .collect();
    let mut own_checks: BTreeMap<String, Loc> = BTreeMap::new();
    // A check both dropped and defined was reported by `apply_drop`; the
    // definition is left out rather than reported again as incomplete.
    let dropped: Vec<&String> = drop.filter(|_| parent_id.is_some()).map_or(Vec::new(), |d| d.value.iter().collect());
    for check in own.checks {
        if check.id.as_ref().is_some_and(|id| dropped.contains(&&id.value)) {
            continue;
        }
        let Some(id) = check.id.clone() else {
            checks.push(Some((Rc::new(check), Origin::Own)));
            continue;
        };
        if let Some(first) = own_checks.get(&id.value) {
            let position = first.position();
            problems.push(Problem::at(
                &id.loc,
                format!(
                    "duplicate check id {:?}: first defined at {}:{}:{}",
                    id.value,
                    first.file().display(),
                    position.line,
                    position.column
                ),
            ));
            checks.push(Some((Rc::new(check), Origin::Duplicate)));
            continue;
        }
        own_checks.insert(id.value.clone(), id.loc.clone());
        match check_at.get(&id.value) {
            Some(&i) => checks[i] = checks[i].take().map(|(base, origin)| (override_check(base, check), origin)),
            None => {
                let origin = match parent_id {
                    Some(parent) => Origin::New { parent: parent.to_string() },
                    None => Origin::Own,
                };
                check_at.insert(id.value.clone(), checks.len());
                checks.push(Some((Rc::new(check), origin)));
            }
        }
    }
    merged.checks = checks.into_iter().flatten().collect();
    merged
}

/// Removes the dropped checks; an id the parent does not have, or one the
/// benchmark both drops and defines, is a mistake.
fn apply_drop(
    parent_id: Option<&str>,
    drop: &L<Vec<String>>,
    own: &RawDefinitions,
    merged: &mut Merged,
    problems: &mut Vec<Problem>,
) {
    let Some(parent_id) = parent_id else {
        problems.push(Problem::at(&drop.loc, "`drop` removes checks of the benchmark this one `extends`; there is none"));
        return;
    };
    for id in &drop.value {
        let before = merged.checks.len();
        merged.checks.retain(|(c, _)| c.id.as_ref().is_none_or(|own| own.value != *id));
        if merged.checks.len() == before {
            problems.push(Problem::at(&drop.loc, format!("{parent_id} has no check {id:?} to drop")));
        }
        if let Some(defined) = own.checks.iter().filter_map(|c| c.id.as_ref()).find(|own| own.value == *id) {
            problems.push(Problem::at(
                &defined.loc,
                format!("check {id:?} is both dropped (`drop` in benchmark.toml) and defined here"),
            ));
        }
    }
}

/// `child`'s keys over `base`'s.
fn override_setting(base: Rc<RawSetting>, child: RawSetting) -> Rc<RawSetting> {
    let base = Rc::unwrap_or_clone(base);
    Rc::new(RawSetting {
        loc: child.loc,
        has_type: child.has_type || base.has_type,
        name: child.name,
        kind: child.kind.or(base.kind),
        repeats: child.repeats.or(base.repeats),
        default: child.default.or(base.default),
        reference: child.reference.or(base.reference),
        config_key: child.config_key.or(base.config_key),
        config_default: child.config_default.or(base.config_default),
        config_reference: child.config_reference.or(base.config_reference),
        env: child.env.or(base.env),
    })
}

/// `child`'s keys over `base`'s; a `test` is replaced whole.
fn override_check(base: Rc<RawCheck>, child: RawCheck) -> Rc<RawCheck> {
    let base = Rc::unwrap_or_clone(base);
    let mut present = base.present;
    for key in child.present {
        if !present.contains(&key) {
            present.push(key);
        }
    }
    Rc::new(RawCheck {
        loc: child.loc,
        present,
        id: child.id.or(base.id),
        title: child.title.or(base.title),
        target: child.target.or(base.target),
        automated: child.automated.or(base.automated),
        scored: child.scored.or(base.scored),
        level: child.level.or(base.level),
        remediation: child.remediation.or(base.remediation),
        test: child.test.or(base.test),
    })
}

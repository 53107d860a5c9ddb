//! Benchmark inheritance: a benchmark that `extends` another starts from
//! the parent's definitions, removes the checks its `drop` names, then its
//! own `[[settings]]` and `[[checks]]` entries override the parent's key by
//! key (a check's `test` is replaced whole) or add new ones. Merging works
//! on raw definitions, before validation, so that every key of the merged
//! benchmark keeps the file, line and key path where it was written, and
//! the merged benchmark is validated as one.

use super::raw::{RawCheck, RawDefinitions, RawSetting};
use crate::toml_file::{Loc, Problem, L};
use std::collections::{HashMap, HashSet};
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
/// by its id; `None` for a base benchmark), after dropping the ids of
/// `drop`. Two own entries with the same check id or setting name are both
/// kept, so that validation reports the second one as declared twice.
pub fn merge(
    parent: Option<(&str, &Merged)>,
    drop: Option<&L<Vec<String>>>,
    own: RawDefinitions,
    problems: &mut Vec<Problem>,
) -> Merged {
    let parent_id = parent.map(|(id, _)| id);
    let empty = Merged::default();
    let base = parent.map_or(&empty, |(_, merged)| merged);
    if let Some(drop) = drop {
        apply_drop(parent_id, drop, &own, base, problems);
    }
    // A check both dropped and defined was reported by `apply_drop`; the
    // definition is left out rather than reported again as incomplete.
    let dropped: &[String] = drop.filter(|_| parent_id.is_some()).map_or(&[], |d| &d.value);
    let is_dropped = |check: &RawCheck| check.id.as_ref().is_some_and(|id| dropped.contains(&id.value));

    // Slots, so that an entry can be taken out, merged and put back. Only
    // the parent's entries are looked up by name: an own entry with the
    // name of an earlier own entry is kept as a duplicate either way.
    let mut settings: Vec<Option<Rc<RawSetting>>> = base.settings.iter().cloned().map(Some).collect();
    let setting_at: HashMap<&str, usize> =
        base.settings.iter().enumerate().map(|(i, s)| (s.name.value.as_str(), i)).collect();
    let mut own_settings: HashSet<String> = HashSet::new();
    for setting in own.settings {
        let first_own = own_settings.insert(setting.name.value.clone());
        match setting_at.get(setting.name.value.as_str()) {
            Some(&i) if first_own => settings[i] = settings[i].take().map(|base| override_setting(base, setting)),
            _ => settings.push(Some(Rc::new(setting))),
        }
    }

    let mut checks: Vec<Option<(Rc<RawCheck>, Origin)>> = Vec::with_capacity(base.checks.len() + own.checks.len());
    let mut check_at: HashMap<&str, usize> = HashMap::with_capacity(base.checks.len());
    for (check, _) in base.checks.iter().filter(|(check, _)| !is_dropped(check)) {
        if let Some(id) = &check.id {
            check_at.insert(id.value.as_str(), checks.len());
        }
        checks.push(Some((Rc::clone(check), Origin::Inherited)));
    }
    let mut own_checks: HashMap<String, Loc> = HashMap::new();
    for check in own.checks {
        if is_dropped(&check) {
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
        match check_at.get(id.value.as_str()) {
            Some(&i) => checks[i] = checks[i].take().map(|(base, origin)| (override_check(base, check), origin)),
            None => {
                let origin = match parent_id {
                    Some(parent) => Origin::New { parent: parent.to_string() },
                    None => Origin::Own,
                };
                checks.push(Some((Rc::new(check), origin)));
            }
        }
        own_checks.insert(id.value, id.loc);
    }
    Merged {
        settings: settings.into_iter().flatten().collect(),
        checks: checks.into_iter().flatten().collect(),
    }
}

/// Reports the dropped ids the parent does not have, and those the
/// benchmark both drops and defines: both are mistakes.
fn apply_drop(parent_id: Option<&str>, drop: &L<Vec<String>>, own: &RawDefinitions, base: &Merged, problems: &mut Vec<Problem>) {
    let Some(parent_id) = parent_id else {
        problems.push(Problem::at(&drop.loc, "`drop` removes checks of the benchmark this one `extends`; there is none"));
        return;
    };
    for (i, id) in drop.value.iter().enumerate() {
        // An id dropped twice has nothing left to drop the second time.
        let dropped_before = drop.value[..i].contains(id);
        if dropped_before || !base.checks.iter().any(|(c, _)| c.id.as_ref().is_some_and(|own| own.value == *id)) {
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

/// `child`'s keys over `base`'s. The base is shared with the parent, so
/// only the keys the child does not give are copied from it.
fn override_setting(base: Rc<RawSetting>, child: RawSetting) -> Rc<RawSetting> {
    Rc::new(RawSetting {
        loc: child.loc,
        has_type: child.has_type || base.has_type,
        name: child.name,
        kind: child.kind.or_else(|| base.kind.clone()),
        repeats: child.repeats.or_else(|| base.repeats.clone()),
        default: child.default.or_else(|| base.default.clone()),
        reference: child.reference.or_else(|| base.reference.clone()),
        config_key: child.config_key.or_else(|| base.config_key.clone()),
        config_default: child.config_default.or_else(|| base.config_default.clone()),
        config_reference: child.config_reference.or_else(|| base.config_reference.clone()),
        env: child.env.or_else(|| base.env.clone()),
    })
}

/// `child`'s keys over `base`'s; a `test` is replaced whole. The base is
/// shared with the parent, so only the keys the child does not give are
/// copied from it.
fn override_check(base: Rc<RawCheck>, child: RawCheck) -> Rc<RawCheck> {
    let mut present = base.present.clone();
    for key in child.present {
        if !present.contains(&key) {
            present.push(key);
        }
    }
    Rc::new(RawCheck {
        loc: child.loc,
        present,
        id: child.id.or_else(|| base.id.clone()),
        title: child.title.or_else(|| base.title.clone()),
        target: child.target.or_else(|| base.target.clone()),
        automated: child.automated.or_else(|| base.automated.clone()),
        scored: child.scored.or_else(|| base.scored.clone()),
        level: child.level.or_else(|| base.level.clone()),
        remediation: child.remediation.or_else(|| base.remediation.clone()),
        test: child.test.or_else(|| base.test.clone()),
    })
}

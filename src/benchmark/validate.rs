//! Raw definitions → the validated `Benchmark`. Every problem is collected
//! (unknown operator, operator that does not apply to the setting's type,
//! missing or unexpected value, unparseable value, bad regex, undeclared
//! setting, duplicate or malformed ids, unknown target...) and reported
//! together, each with its file, line, column and key path.

use super::inherit::{self, Merged, Origin};
use super::predicate::Regexes;
use super::raw::{self, RawCheck, RawDefinitions, RawSetting, RawSubject, RawTest};
use super::{Benchmark, Check, DefaultValue, Level, LoadErrors, Operator, Predicate, Setting, SettingId, Test};
use crate::component::{Component, Role};
use crate::toml_file::{self, Problem, TomlFile, L};
use crate::value::{Value, ValueKind};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::LazyLock;

// Compiled once, not once per check: compiling them for every check was
// about half the time spent validating a benchmark.
static CHECK_ID: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^[0-9]+(\.[0-9]+)*$").expect("static regex"));
static PLACEHOLDER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\{[a-z][a-z-]*\}").expect("static regex"));
static KUBERNETES_MINOR: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^[0-9]+\.[0-9]+$").expect("static regex"));

pub const BENCHMARK_FILE: &str = "benchmark.toml";

/// One benchmark's own definition files: the directory that names them in
/// problems, and each file's name and text, in file-name order.
pub struct Files {
    pub dir: PathBuf,
    pub files: Vec<(String, String)>,
}

/// Built-in benchmarks as `Resolver::layered` made them (read, laid over
/// their ancestors and hashed), by id, remembered for as long as the caller
/// keeps them: loading every built-in benchmark reads, merges and hashes
/// cis-1.12 once, not once for itself and once more for each of the six
/// that extend it. Only a built-in benchmark is remembered, by its id (a
/// directory of one's own is read afresh whatever its path), and only one
/// without problems, whose layering cannot depend on what extends it.
#[derive(Default)]
pub struct Reads {
    layers: RefCell<HashMap<String, Layer>>,
    /// The regexes of their `matches` tests.
    regexes: Regexes,
}

impl Reads {
    /// The built-in benchmark `id` as layered before, unless the
    /// benchmarks being loaded (`chain`) are among those it extends: then
    /// it makes a cycle that must be reported.
    fn get(&self, id: &str, chain: &[String]) -> Option<Layer> {
        let layers = self.layers.borrow();
        let layer = layers.get(id)?;
        layer.extends.iter().all(|name| !chain.contains(name)).then(|| layer.clone())
    }

    /// Remembers the built-in benchmark `id`, layered while `chain` was
    /// being loaded with no problem found, when that chain could not have
    /// changed the result (only a cycle through it could).
    fn remember(&self, id: &str, chain: &[String], layer: &Layer) {
        if layer.extends.iter().all(|name| !chain.contains(name)) {
            self.layers.borrow_mut().insert(id.to_string(), layer.clone());
        }
    }
}

/// One benchmark read and laid over its ancestors.
#[derive(Clone)]
struct Layer {
    /// Its own header; `None` when it is missing or unreadable.
    header: Option<raw::RawBenchmark>,
    merged: Merged,
    /// Its own platform, or the one it inherits.
    platform: Option<String>,
    /// The hash of its ancestors' files, then of its own.
    hasher: Sha256,
    /// Every benchmark an `extends` names in it or its ancestors.
    extends: Vec<String>,
}

/// Validates a benchmark from its definition files; `builtin` gives the
/// files of the built-in benchmark an `extends` names, and `builtin_ids`
/// the ids there are. `own_builtin` is the id of the built-in benchmark
/// `own` is, if it is one. Built-in benchmarks are layered through
/// `reads`, so that benchmarks loaded with the same `reads` share the work
/// on a common ancestor.
pub fn load(
    own: &Files,
    own_builtin: Option<&str>,
    builtin: &dyn Fn(&str) -> Option<Files>,
    builtin_ids: &[&str],
    reads: &Reads,
) -> Result<Benchmark, LoadErrors> {
    let mut problems = Vec::new();
    let mut chain = Vec::new();
    let resolver = Resolver { builtin, builtin_ids, reads };
    let layer = match own_builtin.and_then(|id| reads.get(id, &chain)) {
        Some(layer) => layer,
        None => resolver.layered(own, own_builtin, &mut chain, &mut problems),
    };
    let Layer { header, merged, platform, hasher, .. } = layer;
    let sha256 = crate::digest::hex(&hasher.finalize());

    // Without a readable header its own problem says enough, and an
    // `extends` that names nothing has its own problem too.
    let names_platform = header.as_ref().is_some_and(|h| h.extends.is_none());
    let (id, title, kubernetes) = match header {
        Some(h) => validate_header(h, &mut problems),
        None => Default::default(),
    };
    let platform = match platform {
        Some(platform) => platform,
        None if !names_platform => String::new(),
        None => {
            problems.push(Problem::in_file(
                &own.dir.join(BENCHMARK_FILE),
                "missing key \"platform\": a benchmark that extends no other names its platform",
            ));
            String::new()
        }
    };
    let (settings, by_name) = validate_settings(&merged.settings, &mut problems);
    let mut checks = Vec::with_capacity(merged.checks.len());
    for (raw, origin) in &merged.checks {
        if let Some(check) = validate_check(raw, origin, &settings, &by_name, &reads.regexes, &mut problems) {
            checks.push(check);
        }
    }
    if !problems.is_empty() {
        toml_file::sort(&mut problems);
        return Err(LoadErrors(problems));
    }
    checks.sort_by_key(|c| id_numbers(&c.id));
    Ok(Benchmark {
        id,
        title,
        platform,
        kubernetes,
        sha256,
        checks,
        settings,
    })
}

/// Finds and merges the benchmarks an `extends` chain names.
struct Resolver<'a> {
    builtin: &'a dyn Fn(&str) -> Option<Files>,
    builtin_ids: &'a [&'a str],
    reads: &'a Reads,
}

impl Resolver<'_> {
    /// Reads `files`, and the ancestors its `extends` names (whose texts go
    /// into the hash first), and merges them. `builtin` is the id of the
    /// built-in benchmark `files` are, remembered in `reads` when sound;
    /// `chain` holds the ids being loaded, to refuse a cycle.
    fn layered(
        &self,
        files: &Files,
        builtin: Option<&str>,
        chain: &mut Vec<String>,
        problems: &mut Vec<Problem>,
    ) -> Layer {
        let before = problems.len();
        let (header, definitions) = read(files, problems);
        let mut parent = None;
        let mut platform = None;
        let mut extends = Vec::new();
        if let Some(header) = &header {
            let own_id = header.id.as_ref().map_or_else(|| files.dir.display().to_string(), |id| id.value.clone());
            if let Some(name) = &header.extends {
                extends.push(name.value.clone());
                chain.push(own_id);
                parent = self.parent(name, chain, problems);
                chain.pop();
            }
            platform = header.platform.as_ref().map(|p| p.value.clone());
            if let Some(l) = header.platform.as_ref().filter(|l| crate::platform::get(&l.value).is_none()) {
                let known = crate::platform::builtin_ids().join(", ");
                problems.push(Problem::at(&l.loc, format!("unknown platform {:?}: expected one of {known}", l.value)));
            }
        }
        let drop = header.as_ref().and_then(|h| h.drop.as_ref());
        let mut hasher = match &parent {
            Some((_, layer)) => {
                platform = platform.take().or_else(|| layer.platform.clone());
                extends.extend(layer.extends.iter().cloned());
                layer.hasher.clone()
            }
            None => Sha256::new(),
        };
        for (_, text) in &files.files {
            hasher.update(text.as_bytes());
        }
        let parent = parent.as_ref().map(|(id, layer)| (id.as_str(), &layer.merged));
        let merged = inherit::merge(parent, drop, definitions, problems);
        let layer = Layer { header, merged, platform, hasher, extends };
        if let Some(id) = builtin.filter(|_| problems.len() == before) {
            self.reads.remember(id, chain, &layer);
        }
        layer
    }

    /// The benchmark `name` names, layered, with its id; `None` (with the
    /// problem recorded) when there is none or extending it would make a
    /// cycle.
    fn parent(&self, name: &L<String>, chain: &mut Vec<String>, problems: &mut Vec<Problem>) -> Option<(String, Layer)> {
        if chain.contains(&name.value) {
            let cycle = format!("{} -> {}", chain.join(" -> "), name.value);
            problems.push(Problem::at(&name.loc, format!("extending {:?} makes a cycle: {cycle}", name.value)));
            return None;
        }
        if let Some(layer) = self.reads.get(&name.value, chain) {
            return Some((name.value.clone(), layer));
        }
        let Some(files) = (self.builtin)(&name.value) else {
            problems.push(Problem::at(
                &name.loc,
                format!("no built-in benchmark {:?} to extend; built in: {}", name.value, self.builtin_ids.join(", ")),
            ));
            return None;
        };
        let layer = self.layered(&files, Some(&name.value), chain, problems);
        Some((name.value.clone(), layer))
    }
}

/// A benchmark's own files: its header, and the `[[settings]]` and
/// `[[checks]]` of every other file, in file order.
fn read(files: &Files, problems: &mut Vec<Problem>) -> (Option<raw::RawBenchmark>, RawDefinitions) {
    let mut header = None;
    let mut definitions = RawDefinitions::default();
    let mut found_header = false;
    for (name, text) in &files.files {
        let path = files.dir.join(name);
        let mut file = TomlFile::new(&path, text);
        if name == BENCHMARK_FILE {
            found_header = true;
            header = raw::read_benchmark(&mut file);
        } else {
            let read = raw::read_definitions(&mut file);
            definitions.settings.extend(read.settings);
            definitions.checks.extend(read.checks);
        }
        problems.extend(file.into_problems());
    }
    if !found_header {
        problems.push(Problem::in_file(&files.dir.join(BENCHMARK_FILE), "missing: every benchmark needs one"));
    }
    (header, definitions)
}

fn id_numbers(id: &str) -> Vec<u64> {
    id.split('.')
        .map(|part| part.parse().unwrap_or(u64::MAX))
        .collect()
}

fn validate_header(h: raw::RawBenchmark, problems: &mut Vec<Problem>) -> (String, String, Vec<String>) {
    let id = h.id.map(|l| l.value).unwrap_or_default();
    let title = h.title.map(|l| l.value).unwrap_or_default();
    let mut kubernetes = Vec::new();
    if let Some(list) = h.kubernetes {
        for v in &list.value {
            if !KUBERNETES_MINOR.is_match(v) {
                problems.push(Problem::at(
                    &list.loc,
                    format!("{v:?} is not a Kubernetes minor version like \"1.33\""),
                ));
            }
        }
        if list.value.is_empty() {
            problems.push(Problem::at(
                &list.loc,
                "name at least one Kubernetes minor version",
            ));
        }
        kubernetes = list.value;
    }
    (id, title, kubernetes)
}

fn validate_settings(
    raw: &[Rc<RawSetting>],
    problems: &mut Vec<Problem>,
) -> (Vec<Setting>, BTreeMap<String, SettingId>) {
    let mut settings = Vec::new();
    let mut by_name = BTreeMap::new();
    for r in raw {
        let Some(setting) = validate_setting(r, &by_name, problems) else {
            continue;
        };
        // The setting's text (`Display`), without the formatting machinery.
        by_name.insert([setting.component.name(), " --", &setting.name].concat(), SettingId(settings.len()));
        settings.push(setting);
    }
    (settings, by_name)
}

/// Reports `problem` when `field` is given but not allowed.
fn only_when<T>(field: &Option<L<T>>, allowed: bool, problem: &str, problems: &mut Vec<Problem>) {
    if let Some(f) = field {
        if !allowed {
            problems.push(Problem::at(&f.loc, problem));
        }
    }
}

fn validate_setting(
    r: &RawSetting,
    by_name: &BTreeMap<String, SettingId>,
    problems: &mut Vec<Problem>,
) -> Option<Setting> {
    let before = problems.len();
    let name = &r.name;
    if !r.has_type {
        problems.push(Problem::at(&r.loc, "missing key \"type\""));
    }
    let parsed = parse_setting_name(&name.value);
    let (component, flag) = match parsed {
        Ok(p) => p,
        Err(message) => {
            problems.push(Problem::at(&name.loc, message));
            return None;
        }
    };
    let canonical = [component.name(), " --", &flag].concat();
    if canonical != name.value {
        problems.push(Problem::at(
            &name.loc,
            format!("write the name as {canonical:?}"),
        ));
    }
    if by_name.contains_key(&canonical) {
        problems.push(Problem::at(
            &name.loc,
            format!("setting {canonical:?} is declared twice"),
        ));
    }
    let kind = r.kind.as_ref().and_then(|k| {
        let kind = ValueKind::from_name(&k.value);
        if kind.is_none() {
            let expected = ValueKind::names();
            problems.push(Problem::at(
                &k.loc,
                format!(
                    "unknown type {:?}: expected one of {}",
                    k.value,
                    expected.join(", ")
                ),
            ));
        }
        kind
    })?;
    only_when(
        &r.repeats,
        kind == ValueKind::List,
        "`repeats` applies to list settings only",
        problems,
    );
    let is_kubelet = component == Component::Kubelet;
    let is_etcd = component == Component::Etcd;
    let is_proxy = component == Component::KubeProxy;
    only_when(
        &r.config_key,
        is_kubelet || is_etcd || is_proxy,
        "`config-key` applies to kubelet, etcd and kube-proxy settings only",
        problems,
    );
    only_when(
        &r.config_default,
        is_kubelet,
        "`config-default` applies to kubelet settings only",
        problems,
    );
    only_when(
        &r.config_reference,
        is_kubelet,
        "`config-reference` applies to kubelet settings only",
        problems,
    );
    only_when(
        &r.env,
        is_etcd,
        "`env` applies to etcd settings only",
        problems,
    );
    if let (Some(d), None) = (&r.config_default, &r.config_key) {
        problems.push(Problem::at(&d.loc, "`config-default` needs a `config-key`"));
    }
    let default = typed_default(
        kind,
        r.default.as_ref(),
        r.reference.as_ref(),
        "default",
        "reference",
        problems,
    );
    let config_default = typed_default(
        kind,
        r.config_default.as_ref(),
        r.config_reference.as_ref(),
        "config-default",
        "config-reference",
        problems,
    );
    if problems.len() > before {
        return None;
    }
    Some(Setting {
        component,
        name: flag,
        kind,
        repeats: r.repeats.as_ref().is_some_and(|l| l.value),
        default,
        config_key: r.config_key.as_ref().map(|l| l.value.clone()),
        config_default,
        env: r.env.as_ref().map(|l| l.value.clone()),
    })
}

fn typed_default(
    kind: ValueKind,
    value: Option<&L<String>>,
    reference: Option<&L<String>>,
    value_key: &str,
    reference_key: &str,
    problems: &mut Vec<Problem>,
) -> Option<DefaultValue> {
    match (value, reference) {
        (Some(v), Some(r)) => {
            if let Err(e) = Value::parse(kind, &v.value) {
                problems.push(Problem::at(&v.loc, format!("{:?} {e}", v.value)));
            }
            Some(DefaultValue {
                value: v.value.clone(),
                reference: r.value.clone(),
            })
        }
        (Some(v), None) => {
            problems.push(Problem::at(
                &v.loc,
                format!("a `{value_key}` needs a `{reference_key}` saying where it is documented"),
            ));
            None
        }
        (None, Some(r)) => {
            problems.push(Problem::at(
                &r.loc,
                format!("`{reference_key}` without `{value_key}`"),
            ));
            None
        }
        (None, None) => None,
    }
}

/// `"kube-apiserver --profiling"` → (component, "profiling").
fn parse_setting_name(text: &str) -> Result<(Component, String), String> {
    let (component, flag) = text
        .split_once(' ')
        .ok_or_else(|| format!("{text:?} is not \"<component> --<flag>\""))?;
    let component = Component::from_name(component).ok_or_else(|| {
        let names = Component::names();
        format!(
            "unknown component {component:?}: expected one of {}",
            names.join(", ")
        )
    })?;
    let flag = flag.trim_start_matches('-');
    let valid = !flag.is_empty()
        && flag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !valid {
        return Err(format!("{text:?} does not name a flag"));
    }
    Ok((component, flag.to_string()))
}

fn validate_check(
    r: &RawCheck,
    origin: &Origin,
    settings: &[Setting],
    by_name: &BTreeMap<String, SettingId>,
    regexes: &Regexes,
    problems: &mut Vec<Problem>,
) -> Option<Check> {
    let mut complete = true;
    let keys = raw::CHECK_KEYS.iter().filter(|_| *origin != Origin::Duplicate);
    for key in keys.filter(|k| !r.present.contains(k)) {
        complete = false;
        let message = match (origin, &r.id) {
            (Origin::New { parent }, Some(id)) => format!(
                "missing key {key:?}: {parent} has no check {:?}, so this is a new check and needs every key",
                id.value
            ),
            _ => format!("missing key {key:?}"),
        };
        problems.push(Problem::at(&r.loc, message));
    }
    let before = problems.len();
    let mut section = String::new();
    if let Some(id) = &r.id {
        if !CHECK_ID.is_match(&id.value) {
            problems.push(Problem::at(
                &id.loc,
                format!("{:?} is not a CIS number like 1.2.15", id.value),
            ));
        } else {
            section = match id.value.rsplit_once('.') {
                Some((parent, _)) => parent.to_string(),
                None => id.value.clone(),
            };
        }
    }
    let level = r.level.as_ref().and_then(|l| {
        let level = Level::from_name(&l.value);
        if level.is_none() {
            problems.push(Problem::at(&l.loc, format!("level {:?}: the CIS profile level is 1 or 2", l.value)));
        }
        level
    });
    let target = r.target.as_ref().and_then(|t| {
        let role = Role::from_name(&t.value);
        if role.is_none() {
            let names = Role::names();
            problems.push(Problem::at(
                &t.loc,
                format!(
                    "unknown target {:?}: expected one of {}",
                    t.value,
                    names.join(", ")
                ),
            ));
        }
        role
    });
    if let Some(title) = &r.title {
        let suffix = ["(Automated)", "(Manual)", "(Scored)", "(Not Scored)"]
            .into_iter()
            .find(|s| title.value.trim_end().ends_with(s));
        if let Some(suffix) = suffix {
            problems.push(Problem::at(
                &title.loc,
                format!("drop the {suffix} suffix: `automated` says it"),
            ));
        }
    }
    let test = r
        .test
        .as_ref()
        .and_then(|t| validate_test(t, settings, by_name, regexes, problems));
    if let (Some(automated), None) = (&r.automated, &test) {
        if automated.value && problems.len() == before {
            problems.push(Problem::at(&r.loc, "an automated check needs a `test`"));
        }
    }
    if let Some(remediation) = &r.remediation {
        check_placeholders(remediation, test.as_ref(), problems);
    }
    if problems.len() > before || !complete {
        return None;
    }
    Some(Check {
        level: level?,
        id: r.id.as_ref()?.value.as_str().into(),
        title: r.title.as_ref()?.value.as_str().into(),
        section: section.into(),
        target: target?,
        automated: r.automated.as_ref()?.value,
        scored: r.scored.as_ref()?.value,
        remediation: r.remediation.as_ref()?.value.trim_end().into(),
        test,
    })
}

/// `{word}` in a remediation must be a known placeholder that the test can
/// fill: `{path}` needs a `file` or `file-from` test. Other braces (`{}` in
/// a `find -exec`) are text.
fn check_placeholders(remediation: &L<String>, test: Option<&Test>, problems: &mut Vec<Problem>) {
    for found in PLACEHOLDER.find_iter(&remediation.value) {
        if found.as_str() != super::PATH_PLACEHOLDER {
            problems.push(Problem::at(
                &remediation.loc,
                format!("unknown placeholder {}; the only one is {}", found.as_str(), super::PATH_PLACEHOLDER),
            ));
        } else if !matches!(test, Some(Test::File { .. } | Test::FileFrom { .. })) {
            problems.push(Problem::at(
                &remediation.loc,
                "{path} needs a `file` or `file-from` test to say which file it is",
            ));
        }
    }
}

fn validate_test(
    t: &RawTest,
    settings: &[Setting],
    by_name: &BTreeMap<String, SettingId>,
    regexes: &Regexes,
    problems: &mut Vec<Problem>,
) -> Option<Test> {
    let resolve = |name: &L<String>, problems: &mut Vec<Problem>| -> Option<SettingId> {
        let id = by_name.get(&name.value).copied();
        if id.is_none() {
            problems.push(Problem::at(
                &name.loc,
                format!(
                    "unknown setting {:?}; declare it in settings.toml",
                    name.value
                ),
            ));
        }
        id
    };
    let is_file = matches!(
        t.subject,
        RawSubject::File(_) | RawSubject::FileFrom(_) | RawSubject::Tree(_)
    );
    only_when(
        &t.if_exists,
        is_file,
        "`if-exists` applies to `file`, `file-from` and `tree` tests only",
        problems,
    );
    only_when(
        &t.suffix,
        matches!(t.subject, RawSubject::Tree(_)),
        "`suffix` applies to `tree` tests only",
        problems,
    );
    // A setting that names a document or a certificate: a path, so a string.
    let path_setting = |name: &L<String>, problems: &mut Vec<Problem>| -> Option<SettingId> {
        let id = resolve(name, problems)?;
        if settings[id.0].kind != ValueKind::String {
            problems.push(Problem::at(
                &name.loc,
                format!("setting {:?} must be a string (a path)", name.value),
            ));
            return None;
        }
        Some(id)
    };
    only_when(
        &t.if_set,
        matches!(t.subject, RawSubject::FileFrom(_)),
        "`if-set` applies to `file-from` tests only",
        problems,
    );
    only_when(
        &t.if_running,
        matches!(t.subject, RawSubject::Setting(_)),
        "`if-running` applies to `setting` tests only",
        problems,
    );
    match &t.subject {
        RawSubject::All(items) => collect(items, settings, by_name, regexes, problems).map(Test::All),
        RawSubject::Any(items) => collect(items, settings, by_name, regexes, problems).map(Test::Any),
        RawSubject::Setting(name) => {
            let id = resolve(name, problems);
            let kind = id.map(|id| settings[id.0].kind);
            let predicate = predicate(&t.op, &t.value, kind, false, regexes, problems);
            Some(Test::Setting {
                setting: id?,
                predicate: predicate?,
                if_running: t.if_running.as_ref().is_some_and(|l| l.value),
            })
        }
        RawSubject::FileFrom(name) => {
            let id = resolve(name, problems);
            let predicate = predicate(&t.op, &t.value, None, is_file, regexes, problems);
            Some(Test::FileFrom {
                setting: id?,
                predicate: predicate?,
                if_set: t.if_set.as_ref().is_some_and(|l| l.value),
                if_exists: t.if_exists.as_ref().is_some_and(|l| l.value),
            })
        }
        RawSubject::Tree(dir) => {
            if !dir.value.starts_with('/') {
                problems.push(Problem::at(
                    &dir.loc,
                    format!("{:?} is not an absolute path", dir.value),
                ));
            }
            if let Some(suffix) = &t.suffix {
                if suffix.value.is_empty() || suffix.value.contains('/') {
                    problems.push(Problem::at(
                        &suffix.loc,
                        "a suffix is the end of a file name, like \".crt\"",
                    ));
                }
            }
            let predicate = predicate(&t.op, &t.value, None, is_file, regexes, problems);
            Some(Test::Tree {
                dir: dir.value.clone(),
                suffix: t.suffix.as_ref().map(|l| l.value.clone()),
                predicate: predicate?,
                if_exists: t.if_exists.as_ref().is_some_and(|l| l.value),
            })
        }
        RawSubject::EncryptionConfig(name) => Some(Test::Encryption {
            setting: path_setting(name, problems)?,
        }),
        RawSubject::AuditPolicy(name) => Some(Test::AuditPolicy {
            setting: path_setting(name, problems)?,
        }),
        RawSubject::DistinctCa(names) => {
            let [ca, other] = names.value.as_slice() else {
                problems.push(Problem::at(
                    &names.loc,
                    "name exactly two settings: the CA to judge and the one it must differ from",
                ));
                return None;
            };
            let named = |value: &String| L {
                value: value.clone(),
                loc: names.loc.clone(),
            };
            let ca = path_setting(&named(ca), problems);
            let other = path_setting(&named(other), problems);
            Some(Test::DistinctCa {
                ca: ca?,
                other: other?,
            })
        }
        RawSubject::File(paths) => {
            if paths.value.is_empty() {
                problems.push(Problem::at(&paths.loc, "name at least one path"));
            }
            for p in &paths.value {
                if !p.starts_with('/') {
                    problems.push(Problem::at(
                        &paths.loc,
                        format!("{p:?} is not an absolute path"),
                    ));
                }
            }
            let predicate = predicate(&t.op, &t.value, None, is_file, regexes, problems);
            Some(Test::File {
                paths: paths.value.clone(),
                predicate: predicate?,
                if_exists: t.if_exists.as_ref().is_some_and(|l| l.value),
            })
        }
    }
}

fn collect(
    items: &[RawTest],
    settings: &[Setting],
    by_name: &BTreeMap<String, SettingId>,
    regexes: &Regexes,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Test>> {
    let count = items.len();
    let tests: Vec<Test> = items
        .iter()
        .filter_map(|t| validate_test(t, settings, by_name, regexes, problems))
        .collect();
    (tests.len() == count).then_some(tests)
}

fn predicate(
    op: &Option<L<String>>,
    value: &Option<L<String>>,
    kind: Option<ValueKind>,
    file: bool,
    regexes: &Regexes,
    problems: &mut Vec<Problem>,
) -> Option<Predicate> {
    let op_l = op.as_ref()?;
    let Some(operator) = Operator::from_name(&op_l.value) else {
        let ids = Operator::names();
        problems.push(Problem::at(
            &op_l.loc,
            format!(
                "unknown operator {:?}: expected one of {}",
                op_l.value,
                ids.join(", ")
            ),
        ));
        return None;
    };
    if file && !operator.is_file_operator() {
        problems.push(Problem::at(
            &op_l.loc,
            format!(
                "operator {operator} does not apply to a file; use mode-at-most, owner or exists"
            ),
        ));
        return None;
    }
    if !file {
        let kind = kind?;
        if !operator.applies_to(kind) {
            problems.push(Problem::at(
                &op_l.loc,
                format!(
                    "operator {operator} does not apply to a {} setting",
                    kind.name()
                ),
            ));
            return None;
        }
    }
    match (operator.takes_value(), value) {
        (true, None) => {
            problems.push(Problem::at(
                &op_l.loc,
                format!("operator {operator} needs a `value`"),
            ));
            None
        }
        (false, Some(v)) => {
            problems.push(Problem::at(
                &v.loc,
                format!("operator {operator} takes no `value`"),
            ));
            None
        }
        (false, None) => Predicate::compile(operator, kind, "", regexes).ok(),
        (true, Some(v)) => match Predicate::compile(operator, kind, &v.value, regexes) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(Problem::at(&v.loc, e));
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::load_builtin;

    const HEADER: &str = "id = \"t\"\ntitle = \"T\"\nplatform = \"kubeadm\"\nkubernetes = [\"1.34\"]\n";
    const SETTINGS: &str = "[[settings]]\nname = \"kube-apiserver --profiling\"\ntype = \"bool\"\ndefault = true\nreference = \"r\"\n";

    /// Validates files given as (name, text), with no built-in benchmark
    /// to extend.
    fn load_files(files: &[(&str, &str)]) -> Result<Benchmark, LoadErrors> {
        let files = Files {
            dir: PathBuf::new(),
            files: files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
        };
        load(&files, None, &|_| None, &[], &Reads::default())
    }

    fn load_with(checks: &str) -> Result<Benchmark, LoadErrors> {
        load_files(&[("benchmark.toml", HEADER), ("checks.toml", checks), ("settings.toml", SETTINGS)])
    }

    #[test]
    fn builtin_cis_1_12_loads_with_its_checks() {
        let benchmark = load_builtin("cis-1.12").unwrap();
        let ids: Vec<&str> = benchmark.checks.iter().map(|c| &*c.id).collect();
        // Sections 1-4 of CIS Kubernetes v1.12: 97 recommendations.
        let mut expected: Vec<String> = Vec::new();
        for (section, count) in [
            ("1.1", 21),
            ("1.2", 30),
            ("1.3", 7),
            ("1.4", 2),
            ("2", 7),
            ("3.1", 3),
            ("3.2", 2),
            ("4.1", 10),
            ("4.2", 14),
            ("4.3", 1),
        ] {
            expected.extend((1..=count).map(|n| format!("{section}.{n}")));
        }
        assert_eq!(ids, expected);
        assert_eq!(ids.len(), 97);
        let automated = benchmark.checks.iter().filter(|c| c.automated).count();
        assert_eq!(automated, 65);
        assert_eq!(benchmark.id, "cis-1.12");
        assert_eq!(benchmark.kubernetes, ["1.32", "1.33"]);
        let level_2: Vec<&str> = benchmark.checks.iter().filter(|c| c.level == Level::Two).map(|c| &*c.id).collect();
        assert_eq!(level_2, ["4.2.8"]);
        assert_eq!(benchmark.sha256.len(), 64);
        let check = benchmark.check("1.2.15").unwrap();
        assert_eq!(&*check.section, "1.2");
        assert_eq!(
            &*check.title,
            "Ensure that the --profiling argument is set to false"
        );
        assert_eq!(&*benchmark.check("2.1").unwrap().section, "2");
        assert!(!benchmark.check("4.2.4").unwrap().automated);
        for check in &benchmark.checks {
            assert!(
                check.automated == check.scored,
                "{}: in CIS v1.12 automated checks are the scored ones",
                check.id
            );
            assert!(!check.remediation.is_empty());
        }
    }

    #[test]
    fn reports_every_problem_with_its_position() {
        let checks = r#"
[[checks]]
id = "1.2.15"
title = "Profiling (Automated)"
target = "master"
automated = true
scored = true
remediation = "r"
colour = "blue"
test = { setting = "kube-apiserver --profiling", op = "equals", value = false }

[[checks]]
id = "1.2.x"
title = "t"
target = "control-plane"
automated = true
scored = "yes"
remediation = "r"
test = { setting = "kube-apiserver --profiling", op = "gte", value = 3 }

[[checks]]
id = "1.2.15"
title = "t"
target = "control-plane"
automated = true
scored = true
remediation = "r"
test = { all = [
  { setting = "kube-scheduler --profiling", op = "eq", value = false },
  { setting = "kube-apiserver --profiling", op = "eq", value = "nope" },
  { setting = "kube-apiserver --profiling", op = "set", value = "x" },
  { file = "relative/path", op = "mode-at-most", value = "999" },
  { file = "/etc/x", op = "eq", value = "1" },
  { file = "/etc/x", op = "mode-at-most" },
] }

[[checks]]
id = "9.9"
target = "worker"
automated = true
scored = true
remediation = "r"
"#;
        let errors = load_with(checks).unwrap_err().0.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            errors,
            [
                "checks.toml:2:1: checks[0]: missing key \"level\"",
                "checks.toml:4:9: checks[0].title: drop the (Automated) suffix: `automated` says it",
                "checks.toml:5:10: checks[0].target: unknown target \"master\": expected one of control-plane, etcd, worker",
                "checks.toml:9:1: checks[0].colour: unknown key \"colour\": expected one of id, title, target, automated, scored, level, remediation, test",
                "checks.toml:10:55: checks[0].test.op: unknown operator \"equals\": expected one of eq, ne, gt, gte, lt, lte, set, unset, contains, not-contains, subset-of, matches, mode-at-most, owner, exists",
                "checks.toml:12:1: checks[1]: missing key \"level\"",
                "checks.toml:13:6: checks[1].id: \"1.2.x\" is not a CIS number like 1.2.15",
                "checks.toml:17:10: checks[1].scored: expected a boolean, found a string",
                "checks.toml:19:55: checks[1].test.op: operator gte does not apply to a bool setting",
                "checks.toml:22:6: checks[2].id: duplicate check id \"1.2.15\": first defined at checks.toml:3:6",
                "checks.toml:29:15: checks[2].test.all[0].setting: unknown setting \"kube-scheduler --profiling\"; declare it in settings.toml",
                "checks.toml:30:64: checks[2].test.all[1].value: value \"nope\" is not a valid bool",
                "checks.toml:31:65: checks[2].test.all[2].value: operator set takes no `value`",
                "checks.toml:32:12: checks[2].test.all[3].file: \"relative/path\" is not an absolute path",
                "checks.toml:32:58: checks[2].test.all[3].value: value \"999\" is not an octal mode (e.g. 600, 0644)",
                "checks.toml:33:27: checks[2].test.all[4].op: operator eq does not apply to a file; use mode-at-most, owner or exists",
                "checks.toml:34:27: checks[2].test.all[5].op: operator mode-at-most needs a `value`",
                "checks.toml:37:1: checks[3]: missing key \"title\"",
                "checks.toml:37:1: checks[3]: missing key \"level\"",
                "checks.toml:37:1: checks[3]: an automated check needs a `test`",
            ]
        );
    }

    #[test]
    fn if_running_applies_to_setting_tests_only() {
        let checks = r#"
[[checks]]
id = "4.3.1"
title = "t"
target = "worker"
automated = true
scored = true
level = 1
remediation = "r"
test = { file = "/etc/x", op = "exists", if-running = true }
"#;
        let errors = load_with(checks).unwrap_err().0.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(errors, ["checks.toml:10:55: checks[0].test.if-running: `if-running` applies to `setting` tests only"]);
    }

    #[test]
    fn settings_and_syntax_problems() {
        let settings = "[[settings]]\nname = \"kube-apiserver --profiling\"\ntype = \"boolean\"\n\n[[settings]]\nname = \"kubectl --x\"\ntype = \"int\"\n\n[[settings]]\nname = \"kube-apiserver --audit-log-maxage\"\ntype = \"int\"\ndefault = \"thirty\"\nreference = \"r\"\nenv = \"X\"\n";
        let errors = load_files(&[
            ("benchmark.toml", "id = \"t\"\ntitle = \"T\"\nplatform = \"kubeadm\"\nkubernetes = [\"v1.34\"]\nextra = 1 = 2\n"),
            ("settings.toml", settings),
        ])
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>();
        let positions: Vec<&str> = errors
            .iter()
            .map(|e| e.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            positions,
            [
                // A file with a syntax error reports only that: what a
                // recovered tree says would be knock-on noise.
                "benchmark.toml:5:11",
                "settings.toml:3:8",
                "settings.toml:6:8",
                "settings.toml:12:11",
                "settings.toml:14:7"
            ],
            "{errors:#?}"
        );
        assert!(errors[0].ends_with("TOML syntax error: unexpected key or value, expected newline, `#`"));
        assert!(errors[1].ends_with(
            "unknown type \"boolean\": expected one of bool, int, duration, string, list"
        ));
        assert!(errors[2].contains("unknown component \"kubectl\""));
        assert!(errors[3].ends_with("\"thirty\" is not a valid integer"));
        assert!(errors[4].ends_with("`env` applies to etcd settings only"));
    }

    #[test]
    fn remediation_placeholders() {
        let check = |remediation: &str, test: &str| {
            format!("[[checks]]\nid = \"1.1.1\"\ntitle = \"t\"\ntarget = \"control-plane\"\nautomated = true\nscored = true\nlevel = 1\nremediation = \"{remediation}\"\ntest = {test}\n")
        };
        let file = r#"{ file = ["/a", "/b"], op = "mode-at-most", value = "600" }"#;
        let setting = r#"{ setting = "kube-apiserver --profiling", op = "eq", value = false }"#;
        assert!(load_with(&check("chmod 600 {path}; find / -exec x {} +", file)).is_ok());
        let errors = load_with(&[check("x {path}", setting), check("x {host}", file).replace("1.1.1", "1.1.2")].concat())
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].ends_with("{path} needs a `file` or `file-from` test to say which file it is"));
        assert!(errors[1].ends_with("unknown placeholder {host}; the only one is {path}"));
    }

    #[test]
    fn sorts_checks_in_cis_order() {
        let check = |id: &str| {
            format!("[[checks]]\nid = \"{id}\"\ntitle = \"t\"\ntarget = \"control-plane\"\nautomated = false\nscored = false\nlevel = 1\nremediation = \"r\"\n\n")
        };
        let benchmark = load_with(&[check("1.10"), check("1.2"), check("1.2.1")].concat()).unwrap();
        let ids: Vec<&str> = benchmark.checks.iter().map(|c| &*c.id).collect();
        assert_eq!(ids, ["1.2", "1.2.1", "1.10"]);
        assert_eq!(&*benchmark.checks[0].section, "1");
    }

    const BASE_CHECKS: &str = r#"
[[checks]]
id = "1.2.15"
title = "Profiling off"
target = "control-plane"
automated = true
scored = true
level = 1
remediation = "Set --profiling=false"
test = { setting = "kube-apiserver --profiling", op = "eq", value = false }

[[checks]]
id = "1.2.16"
title = "Profiling checked by hand"
target = "control-plane"
automated = false
scored = false
level = 2
remediation = "Look"
"#;

    /// Built-in benchmarks for the inheritance tests: "base", "middle"
    /// (extends base) and "loop-a"/"loop-b" (extend each other).
    fn builtin(id: &str) -> Option<Files> {
        let files: Vec<(&str, String)> = match id {
            "base" => vec![
                ("benchmark.toml", "id = \"base\"\ntitle = \"B\"\nplatform = \"kubeadm\"\nkubernetes = [\"1.33\"]\n".into()),
                ("checks.toml", BASE_CHECKS.into()),
                ("settings.toml", SETTINGS.into()),
            ],
            "middle" => vec![(
                "benchmark.toml",
                "id = \"middle\"\ntitle = \"M\"\nkubernetes = [\"1.31\"]\nextends = \"base\"\n".into(),
            )],
            "loop-a" | "loop-b" => {
                let other = if id == "loop-a" { "loop-b" } else { "loop-a" };
                vec![("benchmark.toml", format!("id = \"{id}\"\ntitle = \"L\"\nkubernetes = [\"1.1\"]\nextends = \"{other}\"\n"))]
            }
            _ => return None,
        };
        Some(Files {
            dir: PathBuf::from(id),
            files: files.into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
        })
    }

    /// A derived benchmark: `header` lines after the id, title and
    /// kubernetes; `checks` as its only other file.
    fn derived(header: &str, checks: &str) -> Result<Benchmark, Vec<String>> {
        let mut files = vec![(
            "benchmark.toml".to_string(),
            format!("id = \"d\"\ntitle = \"D\"\nkubernetes = [\"1.30\"]\n{header}"),
        )];
        if !checks.is_empty() {
            files.push(("overrides.toml".to_string(), checks.to_string()));
        }
        let files = Files { dir: PathBuf::from("d"), files };
        load(&files, None, &builtin, &["base", "middle", "loop-a", "loop-b"], &Reads::default())
            .map_err(|e| e.0.iter().map(ToString::to_string).collect())
    }

    /// A benchmark of one's own is read as itself, even from a directory
    /// named like a built-in benchmark that the same `Reads` read before.
    #[test]
    fn a_directory_of_ones_own_is_never_taken_for_a_builtin_read_before() {
        let (reads, ids) = (Reads::default(), ["base", "middle", "loop-a", "loop-b"]);
        load(&builtin("middle").unwrap(), Some("middle"), &builtin, &ids, &reads).unwrap();
        let header = "id = \"d\"\ntitle = \"D\"\nkubernetes = [\"1.30\"]\nextends = \"middle\"\n";
        let own = Files { dir: PathBuf::from("base"), files: vec![("benchmark.toml".into(), header.into())] };
        assert_eq!(load(&own, None, &builtin, &ids, &reads).unwrap().id, "d");
    }

    /// Built-in benchmarks layered before are taken again only where that
    /// is what layering them afresh would give: not when the benchmark
    /// being loaded is one they extend (a cycle, reported through it), and
    /// never one with problems. Each case is loaded with a `Reads` that
    /// layered "middle" and "base" before, and with a fresh one.
    #[test]
    fn a_builtin_layered_before_is_reused_only_where_it_cannot_differ() {
        let ids = ["base", "middle", "loop-a", "loop-b"];
        let own = |id: &str, extends: &str| Files {
            dir: PathBuf::from("own"),
            files: vec![(
                "benchmark.toml".into(),
                format!("id = \"{id}\"\ntitle = \"O\"\nkubernetes = [\"1.30\"]\nextends = \"{extends}\"\n"),
            )],
        };
        let errors = |reads: &Reads, id: &str, extends: &str| -> Vec<String> {
            match load(&own(id, extends), None, &builtin, &ids, reads) {
                Ok(b) => vec![format!("ok {} {} {}", b.id, b.checks.len(), b.sha256)],
                Err(e) => e.0.iter().map(ToString::to_string).collect(),
            }
        };
        let cases: &[(&str, &str, &[&str])] = &[
            ("base", "middle", &["middle/benchmark.toml:4:11: extends: extending \"base\" makes a cycle: base -> middle -> base"]),
            ("middle", "base", &[]),
            ("loop-b", "loop-a", &["loop-a/benchmark.toml:4:11: extends: extending \"loop-b\" makes a cycle: loop-b -> loop-a -> loop-b"]),
            ("x", "loop-a", &["loop-b/benchmark.toml:4:11: extends: extending \"loop-a\" makes a cycle: x -> loop-a -> loop-b -> loop-a"]),
        ];
        let warm = Reads::default();
        load(&builtin("middle").unwrap(), Some("middle"), &builtin, &ids, &warm).unwrap();
        for (id, extends, expected) in cases {
            let fresh = errors(&Reads::default(), id, extends);
            if !expected.is_empty() {
                assert_eq!(fresh, *expected, "{id} extends {extends}");
            }
            assert_eq!(errors(&warm, id, extends), fresh, "{id} extends {extends}, with what was layered before");
            assert_eq!(errors(&warm, id, extends), fresh, "{id} extends {extends}, a second time");
        }
    }

    #[test]
    fn a_derived_benchmark_overrides_key_by_key_adds_and_drops() {
        let checks = r#"
[[checks]]
id = "1.2.15"
title = "Profiling off, v1.30 words"
test = { setting = "kube-apiserver --profiling", op = "eq", value = true }

[[checks]]
id = "1.2.40"
title = "New"
target = "worker"
automated = false
scored = false
level = 1
remediation = "r"

[[settings]]
name = "kube-apiserver --profiling"
default = false
reference = "older docs"
"#;
        let b = derived("extends = \"middle\"\ndrop = [\"1.2.16\"]\n", checks).unwrap();
        assert_eq!(b.platform, "kubeadm", "inherited through middle from base");
        assert_eq!(b.kubernetes, ["1.30"]);
        let ids: Vec<&str> = b.checks.iter().map(|c| &*c.id).collect();
        assert_eq!(ids, ["1.2.15", "1.2.40"]);
        let c = b.check("1.2.15").unwrap();
        assert_eq!(&*c.title, "Profiling off, v1.30 words");
        assert_eq!(&*c.remediation, "Set --profiling=false", "a key not given is inherited");
        assert_eq!(c.level, Level::One);
        let Some(Test::Setting { setting, predicate, .. }) = &c.test else { panic!("{:?}", c.test) };
        assert_eq!(format!("{predicate:?}"), format!("{:?}", Predicate::compile(Operator::Eq, Some(ValueKind::Bool), "true", &Regexes::default()).unwrap()));
        let setting = b.setting(*setting);
        assert_eq!(setting.kind, ValueKind::Bool, "the type is inherited");
        assert_eq!(setting.default.as_ref().map(|d| d.reference.as_str()), Some("older docs"));

        // The hash covers the ancestors' files: the same own files over
        // another parent hash differently.
        let over_base = derived("extends = \"base\"\ndrop = [\"1.2.16\"]\n", checks).unwrap();
        assert_ne!(b.sha256, over_base.sha256);
        assert_eq!(b.checks.len(), over_base.checks.len());
    }

    #[test]
    fn inheritance_problems_name_file_line_and_key() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "extends = \"nowhere\"\n",
                "",
                &["d/benchmark.toml:4:11: extends: no built-in benchmark \"nowhere\" to extend; built in: base, middle, loop-a, loop-b"],
            ),
            (
                "extends = \"loop-a\"\n",
                "",
                &["loop-b/benchmark.toml:4:11: extends: extending \"loop-a\" makes a cycle: d -> loop-a -> loop-b -> loop-a"],
            ),
            (
                "extends = \"base\"\ndrop = [\"9.9\", \"1.2.15\"]\n",
                "[[checks]]\nid = \"1.2.15\"\ntitle = \"t\"\n",
                &[
                    "d/benchmark.toml:5:8: drop: base has no check \"9.9\" to drop",
                    "d/overrides.toml:2:6: checks[0].id: check \"1.2.15\" is both dropped (`drop` in benchmark.toml) and defined here",
                ],
            ),
            (
                "extends = \"base\"\ndrop = [\"1.2.16\", \"1.2.16\"]\n",
                "",
                &["d/benchmark.toml:5:8: drop: base has no check \"1.2.16\" to drop"],
            ),
            (
                "drop = [\"1.2.15\"]\nplatform = \"kubeadm\"\n",
                "",
                &["d/benchmark.toml:4:8: drop: `drop` removes checks of the benchmark this one `extends`; there is none"],
            ),
            ("", "", &["d/benchmark.toml: missing key \"platform\": a benchmark that extends no other names its platform"]),
            (
                "extends = \"base\"\n",
                "[[checks]]\nid = \"1.2.51\"\ntitle = \"typo of an id\"\nlevel = 3\n",
                &[
                    "d/overrides.toml:1:1: checks[0]: missing key \"target\": base has no check \"1.2.51\", so this is a new check and needs every key",
                    "d/overrides.toml:1:1: checks[0]: missing key \"automated\": base has no check \"1.2.51\", so this is a new check and needs every key",
                    "d/overrides.toml:1:1: checks[0]: missing key \"scored\": base has no check \"1.2.51\", so this is a new check and needs every key",
                    "d/overrides.toml:1:1: checks[0]: missing key \"remediation\": base has no check \"1.2.51\", so this is a new check and needs every key",
                    "d/overrides.toml:4:9: checks[0].level: level \"3\": the CIS profile level is 1 or 2",
                ],
            ),
            (
                "extends = \"base\"\n",
                "[[checks]]\nid = \"1.2.15\"\ntest = { setting = \"kube-apiserver --profiling\", op = \"gte\", value = 1 }\n\n[[checks]]\nid = \"1.2.15\"\ntitle = \"again\"\n\n[[settings]]\nname = \"kube-apiserver --new-flag\"\n",
                &[
                    "d/overrides.toml:3:55: checks[0].test.op: operator gte does not apply to a bool setting",
                    "d/overrides.toml:6:6: checks[1].id: duplicate check id \"1.2.15\": first defined at d/overrides.toml:2:6",
                    "d/overrides.toml:9:1: settings[0]: missing key \"type\"",
                ],
            ),
        ];
        for (header, checks, expected) in cases {
            assert_eq!(derived(header, checks).unwrap_err(), *expected, "for {header:?} with {checks:?}");
        }
    }

    /// The derived CIS versions have the checks coverage.md counts for
    /// sections 1 to 4 (all / automated), and the ids their versions add
    /// or lack.
    #[test]
    fn the_derived_cis_versions_have_their_versions_checks() {
        for (id, total, automated, kubernetes, has, lacks) in [
            ("cis-1.10", 95, 64, &["1.28"][..], &["1.2.29"][..], &["1.2.30", "4.2.14", "4.2.15"][..]),
            ("cis-1.11", 98, 65, &["1.29", "1.30", "1.31"], &["1.2.30", "4.2.14", "4.2.15"], &[]),
            ("cis-2.0", 97, 65, &["1.34", "1.35"], &["1.2.30", "4.2.14"], &["4.2.15"]),
        ] {
            let b = load_builtin(id).unwrap();
            assert_eq!(b.checks.len(), total, "{id}");
            assert_eq!(b.checks.iter().filter(|c| c.automated).count(), automated, "{id}");
            assert_eq!(b.kubernetes, kubernetes, "{id}");
            assert_eq!(b.platform, "kubeadm", "{id}: inherited");
            for check in has {
                assert!(b.check(check).is_some(), "{id} has {check}");
            }
            for check in lacks {
                assert!(b.check(check).is_none(), "{id} lacks {check}");
            }
        }
        let v10 = load_builtin("cis-1.10").unwrap();
        let v12 = load_builtin("cis-1.12").unwrap();
        assert!(v10.check("1.1.20").unwrap().title.contains("600"));
        assert!(v12.check("1.1.20").unwrap().title.contains("644"));
        assert_eq!(v10.check("4.2.8").unwrap().level, Level::Two, "levels are inherited");
    }
}

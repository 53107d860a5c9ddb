//! Raw definitions → the validated `Benchmark`. Every problem is collected
//! (unknown operator, operator that does not apply to the setting's type,
//! missing or unexpected value, unparseable value, bad regex, undeclared
//! setting, duplicate or malformed ids, unknown target...) and reported
//! together, each with its file, line, column and key path.

use super::raw::{self, RawCheck, RawSetting, RawSubject, RawTest};
use super::{Benchmark, Check, DefaultValue, LoadErrors, Operator, Predicate, Setting, SettingId, Test};
use crate::component::{Component, Role};
use crate::value::{Value, ValueKind};
use crate::toml_file::{self, Loc, Problem, TomlFile, L};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

// Compiled once, not once per check: compiling them for every check was
// about half the time spent validating a benchmark.
static CHECK_ID: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^[0-9]+(\.[0-9]+)*$").expect("static regex"));
static PLACEHOLDER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\{[a-z][a-z-]*\}").expect("static regex"));

pub const BENCHMARK_FILE: &str = "benchmark.toml";
pub const SETTINGS_FILE: &str = "settings.toml";

/// Validates a benchmark from its definition files (name, text), given in
/// file-name order.
pub fn load(files: &[(String, String)]) -> Result<Benchmark, LoadErrors> {
    let mut problems = Vec::new();
    let mut hasher = Sha256::new();
    for (_, text) in files {
        hasher.update(text.as_bytes());
    }
    let sha256 = hex(&hasher.finalize());

    let find = |name: &str| files.iter().find(|(n, _)| n == name);
    let missing = |name: &str| Problem::in_file(Path::new(name), "missing: every benchmark needs one");
    let mut header = None;
    match find(BENCHMARK_FILE) {
        Some((name, text)) => {
            let mut file = TomlFile::new(Path::new(name), text);
            header = raw::read_benchmark(&mut file);
            problems.extend(file.into_problems());
        }
        None => problems.push(missing(BENCHMARK_FILE)),
    }
    let mut raw_settings = Vec::new();
    match find(SETTINGS_FILE) {
        Some((name, text)) => {
            let mut file = TomlFile::new(Path::new(name), text);
            raw_settings = raw::read_settings(&mut file);
            problems.extend(file.into_problems());
        }
        None => problems.push(missing(SETTINGS_FILE)),
    }
    let mut raw_checks = Vec::new();
    for (name, text) in files
        .iter()
        .filter(|(n, _)| n != BENCHMARK_FILE && n != SETTINGS_FILE)
    {
        let mut file = TomlFile::new(Path::new(name), text);
        raw_checks.extend(raw::read_checks(&mut file));
        problems.extend(file.into_problems());
    }

    let (id, title, platform, kubernetes) = match header {
        Some(h) => validate_header(h, &mut problems),
        None => Default::default(),
    };
    let (settings, by_name) = validate_settings(raw_settings, &mut problems);
    let mut checks = Vec::new();
    let mut seen: BTreeMap<String, Loc> = BTreeMap::new();
    for raw in raw_checks {
        if let Some(check) = validate_check(raw, &settings, &by_name, &mut seen, &mut problems) {
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn id_numbers(id: &str) -> Vec<u64> {
    id.split('.')
        .map(|part| part.parse().unwrap_or(u64::MAX))
        .collect()
}

fn validate_header(
    h: raw::RawBenchmark,
    problems: &mut Vec<Problem>,
) -> (String, String, String, Vec<String>) {
    let id = h.id.map(|l| l.value).unwrap_or_default();
    let title = h.title.map(|l| l.value).unwrap_or_default();
    let platform = match h.platform {
        Some(l) if crate::platform::get(&l.value).is_none() => {
            let known = crate::platform::builtin_ids().join(", ");
            problems.push(Problem::at(&l.loc, format!("unknown platform {:?}: expected one of {known}", l.value)));
            String::new()
        }
        Some(l) => l.value,
        None => String::new(),
    };
    let mut kubernetes = Vec::new();
    if let Some(list) = h.kubernetes {
        let minor = regex::Regex::new(r"^[0-9]+\.[0-9]+$").expect("static regex");
        for v in &list.value {
            if !minor.is_match(v) {
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
    (id, title, platform, kubernetes)
}

fn validate_settings(
    raw: Vec<RawSetting>,
    problems: &mut Vec<Problem>,
) -> (Vec<Setting>, BTreeMap<String, SettingId>) {
    let mut settings = Vec::new();
    let mut by_name = BTreeMap::new();
    for r in raw {
        let Some(setting) = validate_setting(r, &by_name, problems) else {
            continue;
        };
        by_name.insert(setting.to_string(), SettingId(settings.len()));
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
    r: RawSetting,
    by_name: &BTreeMap<String, SettingId>,
    problems: &mut Vec<Problem>,
) -> Option<Setting> {
    let before = problems.len();
    let name = r.name?;
    let parsed = parse_setting_name(&name.value);
    let (component, flag) = match parsed {
        Ok(p) => p,
        Err(message) => {
            problems.push(Problem::at(&name.loc, message));
            return None;
        }
    };
    let canonical = format!("{component} --{flag}");
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
    let kind = r.kind.and_then(|k| {
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
        r.default,
        r.reference,
        "default",
        "reference",
        problems,
    );
    let config_default = typed_default(
        kind,
        r.config_default,
        r.config_reference,
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
        repeats: r.repeats.is_some_and(|l| l.value),
        default,
        config_key: r.config_key.map(|l| l.value),
        config_default,
        env: r.env.map(|l| l.value),
    })
}

fn typed_default(
    kind: ValueKind,
    value: Option<L<String>>,
    reference: Option<L<String>>,
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
                value: v.value,
                reference: r.value,
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
    r: RawCheck,
    settings: &[Setting],
    by_name: &BTreeMap<String, SettingId>,
    seen: &mut BTreeMap<String, Loc>,
    problems: &mut Vec<Problem>,
) -> Option<Check> {
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
        if let Some(first) = seen.get(&id.value) {
            problems.push(Problem::at(
                &id.loc,
                format!(
                    "duplicate check id {:?}: first defined at {}:{}:{}",
                    id.value,
                    first.file.display(),
                    first.position.line,
                    first.position.column
                ),
            ));
        } else {
            seen.insert(id.value.clone(), id.loc.clone());
        }
    }
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
        .and_then(|t| validate_test(t, settings, by_name, problems));
    if let (Some(automated), None) = (&r.automated, &test) {
        if automated.value && problems.len() == before {
            problems.push(Problem::at(&r.loc, "an automated check needs a `test`"));
        }
    }
    if let Some(remediation) = &r.remediation {
        check_placeholders(remediation, test.as_ref(), problems);
    }
    if problems.len() > before {
        return None;
    }
    Some(Check {
        id: r.id?.value.into(),
        title: r.title?.value.into(),
        section: section.into(),
        target: target?,
        automated: r.automated?.value,
        scored: r.scored?.value,
        remediation: r.remediation?.value.trim_end().into(),
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
    t: RawTest,
    settings: &[Setting],
    by_name: &BTreeMap<String, SettingId>,
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
    match t.subject {
        RawSubject::All(items) => collect(items, settings, by_name, problems).map(Test::All),
        RawSubject::Any(items) => collect(items, settings, by_name, problems).map(Test::Any),
        RawSubject::Setting(name) => {
            let id = resolve(&name, problems);
            let kind = id.map(|id| settings[id.0].kind);
            let predicate = predicate(&t.op, &t.value, kind, false, problems);
            Some(Test::Setting {
                setting: id?,
                predicate: predicate?,
                if_running: t.if_running.is_some_and(|l| l.value),
            })
        }
        RawSubject::FileFrom(name) => {
            let id = resolve(&name, problems);
            let predicate = predicate(&t.op, &t.value, None, is_file, problems);
            Some(Test::FileFrom {
                setting: id?,
                predicate: predicate?,
                if_set: t.if_set.is_some_and(|l| l.value),
                if_exists: t.if_exists.is_some_and(|l| l.value),
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
            let predicate = predicate(&t.op, &t.value, None, is_file, problems);
            Some(Test::Tree {
                dir: dir.value,
                suffix: t.suffix.map(|l| l.value),
                predicate: predicate?,
                if_exists: t.if_exists.is_some_and(|l| l.value),
            })
        }
        RawSubject::EncryptionConfig(name) => Some(Test::Encryption {
            setting: path_setting(&name, problems)?,
        }),
        RawSubject::AuditPolicy(name) => Some(Test::AuditPolicy {
            setting: path_setting(&name, problems)?,
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
            let predicate = predicate(&t.op, &t.value, None, is_file, problems);
            Some(Test::File {
                paths: paths.value,
                predicate: predicate?,
                if_exists: t.if_exists.is_some_and(|l| l.value),
            })
        }
    }
}

fn collect(
    items: Vec<RawTest>,
    settings: &[Setting],
    by_name: &BTreeMap<String, SettingId>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Test>> {
    let count = items.len();
    let tests: Vec<Test> = items
        .into_iter()
        .filter_map(|t| validate_test(t, settings, by_name, problems))
        .collect();
    (tests.len() == count).then_some(tests)
}

fn predicate(
    op: &Option<L<String>>,
    value: &Option<L<String>>,
    kind: Option<ValueKind>,
    file: bool,
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
        (false, None) => Predicate::compile(operator, kind, "").ok(),
        (true, Some(v)) => match Predicate::compile(operator, kind, &v.value) {
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

    fn load_with(checks: &str) -> Result<Benchmark, LoadErrors> {
        load(&[
            ("benchmark.toml".into(), HEADER.into()),
            ("checks.toml".into(), checks.into()),
            ("settings.toml".into(), SETTINGS.into()),
        ])
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
        assert_eq!(benchmark.kubernetes, ["1.32", "1.33", "1.34"]);
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
                "checks.toml:4:9: checks[0].title: drop the (Automated) suffix: `automated` says it",
                "checks.toml:5:10: checks[0].target: unknown target \"master\": expected one of control-plane, etcd, worker",
                "checks.toml:9:1: checks[0].colour: unknown key \"colour\": expected one of id, title, target, automated, scored, remediation, test",
                "checks.toml:10:55: checks[0].test.op: unknown operator \"equals\": expected one of eq, ne, gt, gte, lt, lte, set, unset, contains, not-contains, subset-of, matches, mode-at-most, owner, exists",
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
remediation = "r"
test = { file = "/etc/x", op = "exists", if-running = true }
"#;
        let errors = load_with(checks).unwrap_err().0.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(errors, ["checks.toml:9:55: checks[0].test.if-running: `if-running` applies to `setting` tests only"]);
    }

    #[test]
    fn settings_and_syntax_problems() {
        let settings = "[[settings]]\nname = \"kube-apiserver --profiling\"\ntype = \"boolean\"\n\n[[settings]]\nname = \"kubectl --x\"\ntype = \"int\"\n\n[[settings]]\nname = \"kube-apiserver --audit-log-maxage\"\ntype = \"int\"\ndefault = \"thirty\"\nreference = \"r\"\nenv = \"X\"\n";
        let errors = load(&[
            (
                "benchmark.toml".into(),
                "id = \"t\"\ntitle = \"T\"\nplatform = \"kubeadm\"\nkubernetes = [\"v1.34\"]\nextra = 1 = 2\n".into(),
            ),
            ("settings.toml".into(), settings.into()),
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
            format!("[[checks]]\nid = \"1.1.1\"\ntitle = \"t\"\ntarget = \"control-plane\"\nautomated = true\nscored = true\nremediation = \"{remediation}\"\ntest = {test}\n")
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
            format!("[[checks]]\nid = \"{id}\"\ntitle = \"t\"\ntarget = \"control-plane\"\nautomated = false\nscored = false\nremediation = \"r\"\n\n")
        };
        let benchmark = load_with(&[check("1.10"), check("1.2"), check("1.2.1")].concat()).unwrap();
        let ids: Vec<&str> = benchmark.checks.iter().map(|c| &*c.id).collect();
        assert_eq!(ids, ["1.2", "1.2.1", "1.10"]);
        assert_eq!(&*benchmark.checks[0].section, "1");
    }
}

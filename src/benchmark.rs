//! The validated benchmark model: a benchmark is a list of checks, each with
//! its CIS identity and a declarative test over typed facts, plus the
//! settings (component flags with their types and documented defaults) the
//! tests read. Definitions are TOML data: `raw.rs` reads them with spans,
//! `inherit.rs` lays a derived benchmark over the one it `extends`, and
//! `validate.rs` turns them into this model and reports every problem.
//! The built-in benchmarks are the directories of `benchmarks/`, embedded
//! by `build.rs`.

mod predicate;
mod inherit;
mod raw;
mod validate;

pub use predicate::{mode_text, Operator, Predicate, Regexes};

use crate::names::named_enum;
use crate::component::{Component, Role};
use crate::toml_file::Problem;
use crate::value::ValueKind;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Benchmark {
    pub id: String,
    pub title: String,
    /// The platform (distribution) whose hosts this benchmark is for:
    /// `kubeadm` for the plain CIS benchmarks.
    pub platform: String,
    /// Kubernetes minor versions ("1.32") this benchmark is for.
    pub kubernetes: Vec<String>,
    /// sha256 (hex) over the definition files, in file-name order.
    pub sha256: String,
    /// In CIS order (numeric by id component).
    pub checks: Vec<Check>,
    pub settings: Vec<Setting>,
}

impl Benchmark {
    /// The definition of the platform this benchmark judges. Validation
    /// refuses a benchmark that names no built-in platform.
    pub fn platform_def(&self) -> &'static crate::platform::Platform {
        crate::platform::get(&self.platform).expect("a validated benchmark names a built-in platform")
    }

    pub fn setting(&self, id: SettingId) -> &Setting {
        &self.settings[id.0]
    }

    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| *c.id == *id)
    }
}

/// In a remediation: the file the check judged on the host. Allowed only
/// in checks whose test is a `file` or `file-from` test (validated).
pub const PATH_PLACEHOLDER: &str = "{path}";

/// The text fields are shared (`Arc`) with every `CheckResult` of the check.
#[derive(Clone, Debug)]
pub struct Check {
    /// The CIS recommendation number, verbatim ("1.2.15").
    pub id: Arc<str>,
    pub title: Arc<str>,
    /// The CIS section the check belongs to ("1.2"; "2" for "2.1").
    pub section: Arc<str>,
    pub target: Role,
    /// The CIS profile level of the recommendation.
    pub level: Level,
    pub automated: bool,
    pub scored: bool,
    pub remediation: Arc<str>,
    /// Absent only for manual checks that observe nothing.
    pub test: Option<Test>,
}

/// A declarative test. Leaves read one fact; `All`/`Any` combine.
#[derive(Clone, Debug)]
pub enum Test {
    /// A component setting's effective value. With `if_running`, the check
    /// does not apply to a host where the component does not run: the
    /// recommendation is about a component the host does not have
    /// (kube-proxy on a cluster that replaced it), and "not collected" would
    /// make every audit incomplete.
    Setting {
        setting: SettingId,
        predicate: Predicate,
        if_running: bool,
    },
    /// The metadata of the first candidate path that exists. With
    /// `if_exists`, the check does not apply when no candidate exists
    /// (without, that fails).
    File {
        paths: Vec<String>,
        predicate: Predicate,
        if_exists: bool,
    },
    /// The metadata of the file a setting's effective value names. With
    /// `if_set`, the check does not apply when the setting is absent (and
    /// has no default); with `if_exists`, when the named file does not exist.
    FileFrom {
        setting: SettingId,
        predicate: Predicate,
        if_set: bool,
        if_exists: bool,
    },
    /// The metadata of every entry below a directory (recursively), or only
    /// of the regular files whose name ends with `suffix`; the directory
    /// itself is judged too when there is no suffix. With `if_exists`, the
    /// check does not apply when the directory does not exist.
    Tree {
        dir: String,
        suffix: Option<String>,
        predicate: Predicate,
        if_exists: bool,
    },
    /// The EncryptionConfiguration the setting (kube-apiserver
    /// --encryption-provider-config) names: `secrets` must be encrypted by
    /// a real provider first.
    Encryption { setting: SettingId },
    /// The audit policy the setting (kube-apiserver --audit-policy-file)
    /// names: set, with at least one rule that logs.
    AuditPolicy { setting: SettingId },
    /// Two CA certificate files named by settings must be different
    /// certificates, compared by their fingerprints computed on the host.
    DistinctCa { ca: SettingId, other: SettingId },
    All(Vec<Test>),
    Any(Vec<Test>),
}

/// Index of a setting in `Benchmark::settings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettingId(usize);

/// A component flag a test reads, with the knowledge needed to find its
/// effective value.
#[derive(Clone, Debug)]
pub struct Setting {
    pub component: Component,
    /// The flag name without dashes ("profiling").
    pub name: String,
    pub kind: ValueKind,
    /// For lists: repeated flags append (pflag stringSlice) rather than the
    /// last one winning.
    pub repeats: bool,
    /// The component's default when the flag is absent. For the kubelet:
    /// when it runs without `--config`.
    pub default: Option<DefaultValue>,
    /// kubelet: the KubeletConfiguration field path; etcd: the config-file
    /// key; kube-proxy: the KubeProxyConfiguration field path.
    pub config_key: Option<String>,
    /// kubelet: the KubeletConfiguration v1beta1 default, which applies when
    /// the kubelet runs with `--config`.
    pub config_default: Option<DefaultValue>,
    /// etcd: the environment variable (ETCD_CLIENT_CERT_AUTH).
    pub env: Option<String>,
}

impl Setting {
    pub fn flag(&self) -> String {
        format!("--{}", self.name)
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} --{}", self.component, self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultValue {
    pub value: String,
    /// Where the default is documented, with the Kubernetes version.
    pub reference: String,
}

named_enum! {
    /// A CIS profile level. Level 2 is Level 1 plus the recommendations
    /// that may cost function or performance; a run at level 1 selects the
    /// Level 1 checks only, one at level 2 every check.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum Level {
        One = "1",
        Two = "2",
    }
}

impl Level {
    pub fn number(self) -> u8 {
        match self {
            Level::One => 1,
            Level::Two => 2,
        }
    }

    /// `--level N`: `None` for a number that is no level.
    pub fn from_number(number: u8) -> Option<Level> {
        match number {
            1 => Some(Level::One),
            2 => Some(Level::Two),
            _ => None,
        }
    }
}

/// Every problem found in a benchmark's definitions, in file then position
/// order. Never empty.
#[derive(Debug, thiserror::Error)]
pub struct LoadErrors(pub Vec<Problem>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::toml_file::write_list(f, &self.0, "the benchmark definitions")
    }
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The ids of the benchmarks embedded in this binary, in version order
/// (cis-1.9 before cis-1.10).
pub fn builtin_ids() -> &'static [&'static str] {
    static IDS: std::sync::LazyLock<Vec<&'static str>> =
        std::sync::LazyLock::new(|| BUILTIN.iter().map(|(id, _)| *id).collect());
    &IDS
}

/// The embedded definition files of a built-in benchmark, named as the
/// repository's `benchmarks/<id>/` in problems.
fn builtin_files(id: &str) -> Option<validate::Files> {
    let (id, files) = BUILTIN.iter().find(|(builtin, _)| *builtin == id)?;
    Some(validate::Files {
        dir: Path::new("benchmarks").join(id),
        files: files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
    })
}

pub fn load_builtin(id: &str) -> Result<Benchmark, LoadErrors> {
    load_builtin_with(id, &validate::Reads::default())
}

/// Every built-in benchmark, in `builtin_ids` order; one that several
/// extend is read, merged and hashed once, and shared by those that extend
/// it.
pub fn load_builtins() -> Result<Vec<Benchmark>, LoadErrors> {
    let reads = validate::Reads::default();
    builtin_ids().iter().map(|id| load_builtin_with(id, &reads)).collect()
}

fn load_builtin_with(id: &str, reads: &validate::Reads) -> Result<Benchmark, LoadErrors> {
    let files = builtin_files(id).ok_or_else(|| {
        let message = format!("no such built-in benchmark; built in: {}", builtin_ids().join(", "));
        LoadErrors(vec![Problem::in_file(Path::new(id), message)])
    })?;
    validate::load(&files, Some(id), &builtin_files, builtin_ids(), reads)
}

/// Loads a benchmark from a directory of `*.toml` definition files, with the
/// same validation as the built-in ones; its `extends` may name a built-in
/// benchmark.
pub fn load_dir(path: &Path) -> Result<Benchmark, LoadErrors> {
    let files = validate::Files { dir: path.to_path_buf(), files: read_toml_files(path)? };
    validate::load(&files, None, &builtin_files, builtin_ids(), &validate::Reads::default())
}

/// The `*.toml` files of a directory (name, text), in name order.
fn read_toml_files(path: &Path) -> Result<Vec<(String, String)>, LoadErrors> {
    let cannot = |path: &Path, e: std::io::Error| LoadErrors(vec![Problem::read(path, &e)]);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| cannot(path, e))? {
        let entry = entry.map_err(|e| cannot(path, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") {
            let text = crate::toml_file::read(&entry.path()).map_err(|problem| LoadErrors(vec![problem]))?;
            files.push((name, text));
        }
    }
    files.sort();
    Ok(files)
}

/// The definition files of a benchmark, for the evidence bundle, which
/// keeps the files themselves.
pub struct Definitions {
    /// (name, text), in name order.
    pub files: Vec<(String, String)>,
    /// The id of the benchmark these extend, if any.
    pub extends: Option<String>,
}

/// The definition files a benchmark is loaded from: the embedded files of
/// a built-in one, or the `*.toml` files of a directory.
pub fn definition_files(id_or_dir: &str) -> Result<Definitions, LoadErrors> {
    let files = match builtin_files(id_or_dir) {
        Some(files) => files.files,
        None => read_toml_files(Path::new(id_or_dir))?,
    };
    let extends = files.iter().find_map(|(_, text)| {
        let table: toml::Table = toml::from_str(text).ok()?;
        table.get("extends")?.as_str().map(str::to_string)
    });
    Ok(Definitions { files, extends })
}

/// Loads the benchmark in `root/<id>` whose `extends` names a benchmark in
/// another directory of `root` (as an evidence bundle keeps them), not the
/// built-in one of that id: what judged the hosts is what is in the bundle.
pub fn load_from(root: &Path, id: &str) -> Result<Benchmark, LoadErrors> {
    let dir = root.join(id);
    let own = validate::Files { files: read_toml_files(&dir)?, dir };
    let mut ids: Vec<String> = std::fs::read_dir(root)
        .map_err(|e| LoadErrors(vec![Problem::read(root, &e)]))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    ids.sort();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let parent = |id: &str| {
        let dir = root.join(id);
        read_toml_files(&dir).ok().map(|files| validate::Files { dir, files })
    };
    validate::load(&own, None, &parent, &ids, &validate::Reads::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_on_disk_is_the_embedded_benchmark() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/cis-1.12");
        let from_disk = load_dir(&dir).unwrap();
        let embedded = load_builtin("cis-1.12").unwrap();
        assert_eq!(from_disk.sha256, embedded.sha256);
        assert_eq!(from_disk.checks.len(), embedded.checks.len());
    }

    #[test]
    fn unknown_builtin() {
        let errors = load_builtin("cis-9.9").unwrap_err();
        assert_eq!(
            errors.to_string(),
            format!("cis-9.9: no such built-in benchmark; built in: {}\n1 error in the benchmark definitions", builtin_ids().join(", "))
        );
    }

    /// Every directory of benchmarks/ is embedded, in version order, and
    /// loads as the benchmark its directory names.
    #[test]
    fn every_benchmark_directory_is_built_in_under_its_own_id() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks");
        let mut dirs: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_dir())
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        dirs.sort();
        let mut ids: Vec<&str> = builtin_ids().to_vec();
        let ordered = ids.clone();
        ids.sort();
        assert_eq!(ids, dirs);
        let position = |id: &str| ordered.iter().position(|b| *b == id);
        assert!(position("cis-1.9") < position("cis-1.10") && position("cis-1.12") < position("cis-2.0"), "{ordered:?}");
        for id in builtin_ids() {
            let benchmark = load_builtin(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(benchmark.id, *id);
            let from_disk = load_dir(&root.join(id)).unwrap();
            assert_eq!(from_disk.sha256, benchmark.sha256, "{id}");
        }
    }

    /// Loaded together, sharing what they read (cis-1.12 once for the six
    /// that extend it), the benchmarks are those loaded one by one.
    #[test]
    fn loaded_together_each_benchmark_is_as_loaded_alone() {
        let together = load_builtins().unwrap();
        assert_eq!(together.len(), builtin_ids().len());
        for (benchmark, id) in together.iter().zip(builtin_ids()) {
            assert_eq!(format!("{benchmark:?}"), format!("{:?}", load_builtin(id).unwrap()), "{id}");
        }
    }
}

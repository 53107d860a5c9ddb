//! The validated benchmark model: a benchmark is a list of checks, each with
//! its CIS identity and a declarative test over typed facts.

use crate::component::Role;

#[derive(Clone, Debug)]
pub struct Benchmark {
    pub id: String,
    pub title: String,
    /// Kubernetes minor versions ("1.32") this benchmark is for.
    pub kubernetes: Vec<String>,
    /// sha256 (hex) over the definition files, in file-name order.
    pub sha256: String,
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug)]
pub struct Check {
    /// The CIS recommendation number, verbatim ("1.2.15").
    pub id: String,
    pub title: String,
    /// The CIS section the check belongs to ("1.2").
    pub section: String,
    pub target: Role,
    pub automated: bool,
    pub scored: bool,
    pub remediation: String,
}

#[derive(Debug, thiserror::Error)]
#[error("benchmark definitions are invalid")]
pub struct LoadErrors(pub Vec<String>);

/// The ids of the benchmarks embedded in this binary.
pub fn builtin_ids() -> &'static [&'static str] {
    &["cis-1.12"]
}

pub fn load_builtin(_id: &str) -> Result<Benchmark, LoadErrors> {
    todo!("benchmark loading")
}

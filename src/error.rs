//! The errors that stop a whole invocation, each wrapping the typed error of
//! the layer it comes from; `main` maps each to its message and exit code. A host that cannot be audited is not one of them: it
//! is a result (`transport::HostError` in its report), and so is a report
//! that cannot be written after the audit (`outcome::Report::exit_code`).

use crate::benchmark::LoadErrors;
use crate::inventory::{InventoryErrors, UnknownHosts};
use crate::output::{OutputError, WriteError};
use crate::select::SelectionErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The inventory file is unusable.
    #[error(transparent)]
    Inventory(#[from] InventoryErrors),
    /// `--limit` names hosts the inventory does not have.
    #[error(transparent)]
    UnknownHosts(#[from] UnknownHosts),
    /// `--benchmark` names no built-in benchmark and no directory.
    #[error("unknown benchmark {id:?}; known: {}, auto, or the path of a benchmark directory", known.join(", "))]
    UnknownBenchmark { id: String, known: Vec<&'static str> },
    /// A benchmark's definitions are invalid.
    #[error(transparent)]
    Benchmark(#[from] LoadErrors),
    /// `--check` or `--skip` is unusable.
    #[error(transparent)]
    Selection(#[from] SelectionErrors),
    /// A waivers or attestations file is unusable.
    #[error(transparent)]
    Review(#[from] crate::review::file::ReviewErrors),
    /// The selection evaluates no check at all (`--check 1.2.15 --skip 1.2.15`).
    #[error("the selection evaluates no check: {0}")]
    NothingSelected(String),
    /// An output path is unusable.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A saved-facts set could not be read, or `--save-facts` names a
    /// directory that is not ours to replace (`evidence.rs`).
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    /// The evidence bundle cannot be written (`--evidence`, `--sign-key`)
    /// or verified (`hardbench verify`).
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// `evaluate --shard` of a set that is already one shard's.
    #[error(
        "--shard {asked}: {} holds the facts of shard {saved} only; evaluate it without --shard (its report is shard {saved}'s)",
        dir.display()
    )]
    ShardOfShard { dir: std::path::PathBuf, saved: crate::shard::Shard, asked: crate::shard::Shard },
    /// `hardbench merge` was given reports or saved sets that are not the
    /// shards of one audit.
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),
    /// A JSON report given to read (`hardbench diff`, `--baseline`) is unusable.
    #[error(transparent)]
    Report(#[from] crate::report::json::read::ReadError),
    /// Everything `validate` found, each in its own words.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Error>),
    /// A file or standard output could not be written after the audit ran
    /// (saved facts, a listing).
    #[error(transparent)]
    Write(#[from] WriteError),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A benchmark load error reads once: it used to be printed, then its
    /// list of problems again below it.
    #[test]
    fn a_benchmark_load_error_lists_each_problem_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("benchmark.toml"), "id = \"x\"\nunknown_key = 1\n").unwrap();
        let error = Error::from(crate::benchmark::load_dir(dir.path()).unwrap_err());
        let message = error.to_string();
        let problem = "benchmark.toml:2:1: unknown_key";
        assert_eq!(message.matches(problem).count(), 1, "{message}");
        assert_eq!(message.matches("missing key \"platform\"").count(), 1, "{message}");
    }
}

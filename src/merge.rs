//! `hardbench merge`: the reports (or the saved-facts sets) of the shards
//! of one audit (`--shard I/N`, `shard.rs`) joined into the one report (or
//! set) a single run over every host would have made.
//!
//! The inputs must be exactly the N shards of one split (`merge/shards.rs`):
//! each a shard of the same N, no shard twice, none missing. A missing shard
//! is refused, not warned about: the merged report would otherwise count as
//! a whole audit while the hosts of that shard were never looked at, and a
//! gate reading its exit code would pass them. The shards must be of the same
//! audit: the same inventory (by sha256), hardbench version, command, and
//! selection (`--benchmark`, `--level`, `--check`, `--skip`, `--limit`, the
//! waivers and attestations), and no host may appear twice
//! (`merge/reports.rs`, `merge/facts.rs`). Every refusal names the files
//! and is bad input (exit 2), before anything is written.
//!
//! A merged report's status is decided by `Report::exit_code`, as a run's
//! is; `--baseline` and `--fail-on` apply to the merged report (shard
//! reports made with `--baseline` are refused: each would hold a diff
//! against the whole baseline of its share alone).

mod facts;
mod reports;
mod shards;

use crate::cli::MergeArgs;
use crate::diff::baseline::Pending;
use crate::error::Error;
use crate::interrupt::Interrupt;
use crate::outcome::{ExitCode, InputFile};
use crate::run::Console;
use crate::shard::Shard;
use std::path::PathBuf;

pub use reports::Input;

/// Why some inputs cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{} is not one shard's: it was made without --shard I/N", path.display())]
    NotAShard { path: PathBuf },
    #[error(
        "{} is shard {first_shard} and {} is shard {other_shard}: shards of different splits cannot be merged",
        first.display(),
        other.display()
    )]
    ShardCounts { first: PathBuf, first_shard: Shard, other: PathBuf, other_shard: Shard },
    #[error("{} and {} are both shard {shard}", first.display(), second.display())]
    SameShard { shard: Shard, first: PathBuf, second: PathBuf },
    #[error(
        "{} {} of {count} {} missing (given: {}): merging without {} would leave {} hosts out unseen",
        if missing.len() == 1 { "shard" } else { "shards" },
        missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        if missing.len() == 1 { "is" } else { "are" },
        given.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        if missing.len() == 1 { "it" } else { "them" },
        if missing.len() == 1 { "its" } else { "their" }
    )]
    MissingShards { count: u32, missing: Vec<u32>, given: Vec<PathBuf> },
    /// Two inputs of different audits: `what` differs, with each one's value.
    #[error("{} and {} are not shards of one audit: their {what} differ ({first_value} and {other_value})", first.display(), other.display())]
    Differs { what: &'static str, first: PathBuf, first_value: String, other: PathBuf, other_value: String },
    #[error("host {host:?} is in both {} and {}", first.display(), second.display())]
    HostTwice { host: String, first: PathBuf, second: PathBuf },
    #[error("{}: host {host:?} is not in shard {shard} (its name puts it in shard {actual}/{})", path.display(), shard.count)]
    HostNotInShard { path: PathBuf, host: String, shard: Shard, actual: u32 },
    #[error(
        "{} was made with --baseline: merge the shards' reports made without it, and give --baseline to merge",
        path.display()
    )]
    HasBaseline { path: PathBuf },
    #[error("--save-facts {}: it is one of the sets to merge; give a new directory", path.display())]
    OutputIsInput { path: PathBuf },
}

/// Runs `hardbench merge`: reports, or with `--facts`, saved sets.
pub fn execute(args: &MergeArgs, interrupt: &Interrupt, console: &mut Console) -> Result<ExitCode, Error> {
    if let Some(out) = &args.save_facts {
        let merged = facts::merge(&args.facts, out)?;
        let text = format!("merged the saved facts of {} shards into {}: {merged} hosts\n", args.facts.len(), out.display());
        console
            .stdout
            .write_all(text.as_bytes())
            .and_then(|()| console.stdout.flush())
            .map_err(|source| crate::output::WriteError { what: "standard output".into(), source })?;
        return Ok(ExitCode::Compliant);
    }
    let outputs = crate::run::check_outputs(&args.output)?;
    let baseline = Pending::load(&args.baseline)?;
    let mut inputs = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let bytes = crate::evidence::read_regular(path).map_err(crate::report::json::read::ReadError::File)?;
        let report = crate::report::json::read::from_slice(&bytes, path)?;
        inputs.push(Input { file: InputFile::of(path, &bytes), path: path.clone(), report });
    }
    let mut report = reports::merge(inputs)?;
    report.invocation.user = crate::outcome::current_user();
    report.invocation.machine = crate::outcome::machine_name();
    baseline.attach(&mut report);
    Ok(crate::run::finish(report, &outputs, None, interrupt, console))
}

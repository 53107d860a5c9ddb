//! hardbench: an agentless CIS Kubernetes Benchmark runner.
//!
//! The flow: load and validate the inventory and the benchmark, plan what to
//! gather, gather facts from every host over SSH (one connection, one exec,
//! one fixed read-only script), evaluate every check as a pure function of
//! facts, and write the report. `run.rs` holds the whole pipeline.

pub mod access;
pub mod audit;
pub mod benchmark;
pub mod bundle;
pub mod cli;
pub mod component;
pub mod diff;
pub mod digest;
pub mod distro;
pub mod error;
pub mod eval;
pub mod evidence;
pub mod facts;
pub mod gather;
pub mod interrupt;
pub mod inventory;
pub mod kube;
pub mod merge;
mod names;
pub mod outcome;
pub mod output;
pub mod platform;
pub mod print_script;
pub mod progress;
pub mod report;
pub mod review;
pub mod run;
pub mod select;
pub mod shard;
pub mod signing;
pub mod toml_file;
pub mod transport;
pub mod value;
pub mod version;

/// The gathering script, fed on stdin to `sh -s`, or installed on hosts
/// (`hardbench print-script`, `become = "sudo-script:PATH"`).
pub const GATHER_SCRIPT: &str = include_str!("gather.sh");

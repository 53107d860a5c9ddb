//! `run --baseline OLD.json` (and `evaluate`): the baseline is read and
//! checked with everything else, before any host is contacted (a bad one is
//! bad input, exit 2), and the diff from it to the run just made is attached
//! to the run's report, before its status is decided: the console and the
//! JSON report show it, and `--fail-on regression` decides by it.

use crate::cli::BaselineArgs;
use crate::outcome::diff::{Baseline, FailOn};
use crate::outcome::Report;
use crate::report::json::read::{self, ReadError};
use std::path::PathBuf;

/// A baseline read, waiting for the run to compare with it.
pub struct Pending {
    old: Option<(PathBuf, Report)>,
    fail_on: FailOn,
}

impl Pending {
    /// Reads `--baseline`, when given. `--fail-on regression` without it is
    /// refused by the command line itself.
    pub fn load(args: &BaselineArgs) -> Result<Pending, ReadError> {
        let old = args.baseline.as_ref().map(|path| read::read(path).map(|old| (path.clone(), old))).transpose()?;
        Ok(Pending { old, fail_on: args.fail_on })
    }

    /// Attaches the diff from the baseline to `report`, the run just made.
    pub fn attach(self, report: &mut Report) {
        if let Some((path, old)) = self.old {
            let diff = super::compare(&old, Some(path), report, None);
            report.baseline = Some(Baseline { diff, fail_on: self.fail_on });
        }
    }
}

//! Evaluates one check against one host's facts. Pure: no IO, no clock.

use crate::benchmark::{Benchmark, Check};
use crate::facts::Facts;
use crate::outcome::Outcome;

pub fn evaluate(_facts: &Facts, _benchmark: &Benchmark, _check: &Check) -> Outcome {
    todo!("eval")
}

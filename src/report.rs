//! Report writers. Each takes a finished `Report` and writes to a sink; none
//! prints directly. Every string that came from a host or a benchmark file
//! goes through `sanitize` before it is written.

pub mod console;
pub mod diff_console;
pub mod html;
pub mod json;
pub mod junit;
pub mod metrics;
#[cfg(test)]
pub(crate) mod sample;
pub(crate) mod sanitize;
mod source;

//! Report writers. Each takes a finished `Report` and writes to a sink.

pub mod console;
pub mod json;
pub mod junit;

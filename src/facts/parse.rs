//! Parses the gathering script's framed output into `Facts`. Pure.

use super::Facts;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

pub fn parse(_stream: &[u8]) -> Result<Facts, ParseError> {
    todo!("facts::parse")
}

//! `hardbench print-script`: the gathering script this binary runs on every
//! host, byte for byte, for installing it on hosts audited with `become =
//! "sudo-script:PATH"` (README, "Preparing hosts for audits"); or its
//! sha256, which the host must show before that copy is run.

use crate::cli::PrintScriptArgs;
use crate::error::Error;
use crate::outcome::ExitCode;
use crate::output::WriteError;
use crate::digest::sha256_hex;
use crate::GATHER_SCRIPT;
use std::io::Write;

/// Writes the script, or with `--sha256` its sha256 in lower-case hex and a
/// newline, to `stdout`.
pub fn execute(args: &PrintScriptArgs, stdout: &mut dyn Write) -> Result<ExitCode, Error> {
    let hash;
    let bytes = if args.sha256 {
        hash = format!("{}\n", sha256_hex(GATHER_SCRIPT.as_bytes()));
        hash.as_bytes()
    } else {
        GATHER_SCRIPT.as_bytes()
    };
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|source| WriteError { what: "standard output".into(), source })?;
    Ok(ExitCode::Compliant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_embedded_script_or_its_sha256() {
        let mut out = Vec::new();
        execute(&PrintScriptArgs { sha256: false }, &mut out).unwrap();
        assert_eq!(out, std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/src/gather.sh")).unwrap());
        assert!(out.starts_with(b"#!/bin/sh\n"), "runnable as an installed file");
        let mut out = Vec::new();
        execute(&PrintScriptArgs { sha256: true }, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", sha256_hex(GATHER_SCRIPT.as_bytes())));
    }
}

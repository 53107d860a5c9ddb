//! `hardbench verify DIR [--allowed-signers FILE]` on the console: one
//! line per finding, naming the file, then the verdict; the exit code is
//! the verification's (`verify.rs`), 2 for a DIR that is not a bundle.

use super::verify::verify;
use crate::cli::VerifyArgs;
use crate::error::Error;
use crate::outcome::ExitCode;
use crate::run::Console;

pub fn execute(args: &VerifyArgs, console: &mut Console) -> Result<ExitCode, Error> {
    let verification = verify(&args.dir, args.allowed_signers.as_deref())?;
    let mut text = String::new();
    for finding in &verification.findings {
        text.push_str(&format!("{}: {}\n", finding.file, finding.why));
    }
    if let Some(signer) = &verification.signer {
        text.push_str(&format!(
            "signed by {} ({})\n",
            signer.fingerprint,
            if signer.principals.is_empty() { "no principal".to_string() } else { signer.principals.join(", ") }
        ));
    }
    let dir = args.dir.display();
    let (files, hosts) = (verification.files, verification.hosts);
    text.push_str(&match verification.exit_code() {
        ExitCode::Compliant => format!("{dir}: verified: {files} files match the manifest; {hosts} hosts evaluated again give the reports\n"),
        ExitCode::Incomplete => format!(
            "{dir}: the files match the manifest and {hosts} hosts evaluated again give the reports, but the bundle is signed \
             and the signature was NOT checked: give --allowed-signers FILE\n"
        ),
        _ => format!("{dir}: NOT verified: {} problems\n", verification.findings.len()),
    });
    console
        .stdout
        .write_all(text.as_bytes())
        .and_then(|()| console.stdout.flush())
        .map_err(|source| crate::output::WriteError { what: "standard output".into(), source })?;
    Ok(verification.exit_code())
}

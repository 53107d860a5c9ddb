//! `hardbench diff OLD.json NEW.json [--json FILE]`: read two JSON reports,
//! compare them, write the diff to the console and, with `--json`, as a
//! `hardbench.diff/v1` document. The output path is checked, and both
//! reports read whole, before anything is written: bad input is exit 2 and
//! leaves no file behind. Exit 1 when a check regressed into `fail`, else 0;
//! 4 when the JSON file could not be written.

use crate::cli::DiffArgs;
use crate::error::Error;
use crate::outcome::ExitCode;
use crate::output::{self, Names};
use crate::report::console::Style;
use crate::report::json::read;
use crate::report::{diff_console, json};
use crate::run::Console;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub fn execute(args: &DiffArgs, console: &mut Console) -> Result<ExitCode, Error> {
    let json_to = match &args.json {
        Some(path) => {
            let checked = output::check_all(&[("--json", path)])?.pop();
            refuse_an_input(path, &[("OLD.json", &args.old), ("NEW.json", &args.new)])?;
            checked
        }
        None => None,
    };
    let old = read::read(&args.old)?;
    let new = read::read(&args.new)?;
    let diff = super::compare(&old, Some(args.old.clone()), &new, Some(args.new.clone()));
    let code = if diff.regressed_into_fail() { ExitCode::NonCompliant } else { ExitCode::Compliant };

    output::text_and_json(
        console,
        json_to.as_ref(),
        code.code(),
        Names { text: "the diff", json: "the diff as JSON" },
        |color| {
            let mut text = Vec::new();
            diff_console::write(&diff, &mut text, Style { color, summary: false }).expect("writing to memory cannot fail");
            text
        },
        |out| json::diff::write(&diff, code.code(), out),
    )?;
    Ok(code)
}

/// `--json` naming a report being compared would replace it with the diff.
fn refuse_an_input(json: &Path, inputs: &[(&'static str, &Path)]) -> Result<(), output::OutputError> {
    let identity = |path: &Path| std::fs::metadata(path).ok().map(|meta| (meta.dev(), meta.ino()));
    let Some(written) = identity(json) else { return Ok(()) };
    match inputs.iter().find(|(_, input)| identity(input) == Some(written)) {
        Some(&(input, _)) => Err(output::OutputError::SameFile { first: input, second: "--json", path: json.to_path_buf() }),
        None => Ok(()),
    }
}

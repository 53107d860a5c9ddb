//! What `diff` and `check-access` write: a text, and the same result as
//! JSON with `--json`. The text goes to standard output, or to standard
//! error when the JSON goes to standard output; a JSON file is staged
//! before the text is written and published after it (under `interrupt`'s
//! watch), so a command stopped halfway leaves no JSON file half written.

use super::{Console, Destination, WriteError};
use crate::interrupt;
use std::io::{self, Write};

/// What is written, for messages: e.g. `"the diff"` and `"the diff as
/// JSON"`.
pub struct Names {
    pub text: &'static str,
    pub json: &'static str,
}

/// Writes `text(color)` and `json` to where `json_to` (`--json`) says;
/// `status` is the exit status published with the JSON file.
pub fn text_and_json(
    console: &mut Console,
    json_to: Option<&Destination>,
    status: u8,
    names: Names,
    text: impl FnOnce(bool) -> Vec<u8>,
    json: impl Fn(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    let staged = match json_to {
        Some(Destination::File(path)) => Some(super::stage(path, |out| json(out))?),
        _ => None,
    };
    let to_stdout = json_to == Some(&Destination::Stdout);
    let (sink, color, to) = if to_stdout {
        (&mut *console.stderr, console.stderr_color, "standard error")
    } else {
        (&mut *console.stdout, console.stdout_color, "standard output")
    };
    sink.write_all(&text(color))
        .and_then(|()| sink.flush())
        .map_err(|source| WriteError { what: format!("{} to {to}", names.text), source })?;
    if let Some(staged) = staged {
        let mut published = Ok(());
        interrupt::publish(|publishing| {
            published = staged.publish(publishing);
            status
        });
        published?;
    }
    if to_stdout {
        let mut out = io::BufWriter::new(&mut *console.stdout);
        json(&mut out)
            .and_then(|()| out.flush())
            .map_err(|source| WriteError { what: format!("{} to standard output", names.json), source })?;
    }
    Ok(())
}

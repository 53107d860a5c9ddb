//! `hardbench check-access --inventory FILE [--json FILE]`: load the
//! inventory as `run` does, check `--json` before anything is contacted,
//! probe every host through the transport (at most `--concurrency` at once,
//! with `run`'s progress bar), then write the table and the JSON. Exit 0
//! when every host is ready, 3 when one is not, 2 for bad input, 4 when the
//! JSON could not be written, 128 + the signal when interrupted.

use super::probe::{self, Probed};
use super::{stage, table, Checked};
use crate::cli::CheckAccessArgs;
use crate::error::Error;
use crate::gather::{self, Finish};
use crate::interrupt::Interrupt;
use crate::inventory::Host;
use crate::outcome::{ExitCode, InputFile};
use crate::output::{self, Destination, Names};
use crate::progress::Progress;
use crate::report::json;
use crate::run::{self, Console};
use crate::transport::{Gathered, HostError, Transport};
use std::sync::Arc;

pub fn execute(
    args: &CheckAccessArgs,
    transport: Arc<dyn Transport + Send>,
    interrupt: &Interrupt,
    console: &mut Console,
) -> Result<ExitCode, Error> {
    let started_at = chrono::Local::now().fixed_offset();
    let inventory = run::load_inventory(&args.source)?;
    run::warn(console.stderr, &inventory, &args.source.inventory_kind);
    let hosts = run::contacted(&inventory, &args.contact)?;
    let json_to = match &args.json {
        Some(path) => {
            let destination = output::check("--json", path)?;
            if run::same_file(&args.source.inventory, path) {
                return Err(output::OutputError::SameFile { first: "--inventory", second: "--json", path: path.clone() }.into());
            }
            Some(destination)
        }
        None => None,
    };

    let progress = Arc::new(Progress::new(hosts.len(), !args.contact.no_progress));
    let assess: Finish<stage::HostAccess, Probed> = Arc::new(stage::assess);
    let checked = gather::run_all(
        &hosts,
        Arc::new(AsUser { transport }),
        probe::script(),
        probe::read,
        crate::transport::descriptors::clamp_concurrency(usize::from(args.contact.concurrency).min(hosts.len())),
        Arc::clone(&progress),
        interrupt,
        assess,
    );
    progress.finish();
    for (host, access) in hosts.iter().zip(&checked) {
        run::announce_recorded(console.stderr, host, access.host_key.as_ref());
    }
    let checked = Checked {
        started_at,
        finished_at: chrono::Local::now().fixed_offset(),
        inventory: InputFile { path: args.source.inventory.display().to_string(), sha256: inventory.sha256.clone() },
        hosts: checked,
    };
    let code = match interrupt.decide() {
        Some(signal) => ExitCode::Interrupted { signal },
        None if checked.hosts.iter().all(stage::HostAccess::ready) => ExitCode::Compliant,
        None => ExitCode::Incomplete,
    };
    write(&checked, code, json_to.as_ref(), console)?;
    Ok(code)
}

/// The transport as the probe uses it: the host reached as the SSH user
/// (`probe::as_user`), told how the host's `become` is, so that the probe
/// runs sudo itself.
struct AsUser {
    transport: Arc<dyn Transport + Send>,
}

impl Transport for AsUser {
    fn gather(&self, host: &Host, script: &[u8], args: &[String]) -> Result<Gathered, HostError> {
        let args: Vec<String> = probe::become_args(&host.become_method).into_iter().chain(args.iter().cloned()).collect();
        self.transport.gather(&probe::as_user(host), script, &args)
    }
}

/// The table to stdout (to stderr when the JSON goes to stdout), the JSON
/// staged first and published after, as `diff` does.
fn write(checked: &Checked, code: ExitCode, json_to: Option<&Destination>, console: &mut Console) -> Result<(), Error> {
    output::text_and_json(
        console,
        json_to,
        code.code(),
        Names { text: "the access table", json: "the access check as JSON" },
        |_| {
            let mut text = Vec::new();
            table::write(&checked.hosts, &mut text).expect("writing to memory cannot fail");
            text
        },
        |out| json::access::write(checked, code.code(), out),
    )?;
    Ok(())
}

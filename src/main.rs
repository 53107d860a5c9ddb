//! The `hardbench` command: parse the command line, run, map the outcome to
//! an exit code. Everything else lives in the library.

use clap::Parser;
use hardbench::cli::Cli;
use hardbench::interrupt::Interrupt;
use hardbench::outcome::ExitCode;
use hardbench::run::{self, Terminal};
use hardbench::transport::ssh::SshTransport;
use std::io::IsTerminal;
use std::sync::Arc;

fn main() -> std::process::ExitCode {
    // clap exits with status 2 and a usage hint on a bad command line.
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let interrupt = match Interrupt::install() {
        Ok(interrupt) => interrupt,
        Err(error) => {
            eprintln!("hardbench: cannot handle SIGINT and SIGTERM: {error}");
            return std::process::ExitCode::from(ExitCode::BadInput as u8);
        }
    };
    let transport = Arc::new(SshTransport::from_env());
    match run::execute(cli, transport, &interrupt, &mut stdout.lock(), Terminal { color }) {
        // Interrupted: the reports are written; the status says why they are incomplete.
        Ok(code) => std::process::ExitCode::from(interrupt.exit_status().unwrap_or(code as u8)),
        Err(error) => {
            eprintln!("hardbench: {error}");
            // An interrupted `evaluate` stops with an error and writes nothing.
            std::process::ExitCode::from(interrupt.exit_status().unwrap_or(error.exit_code() as u8))
        }
    }
}

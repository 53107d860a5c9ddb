//! The `hardbench` command: parse the command line, run, map the outcome to
//! an exit code. Everything else lives in the library.

use clap::Parser;
use hardbench::cli::Cli;
use hardbench::run::{self, Terminal};
use hardbench::transport::ssh::SshTransport;
use std::io::IsTerminal;

fn main() -> std::process::ExitCode {
    // clap exits with status 2 and a usage hint on a bad command line.
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match run::execute(cli, &SshTransport::from_env(), &mut stdout.lock(), Terminal { color }) {
        Ok(code) => std::process::ExitCode::from(code as u8),
        Err(error) => {
            eprintln!("hardbench: {error}");
            std::process::ExitCode::from(error.exit_code() as u8)
        }
    }
}

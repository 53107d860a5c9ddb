//! The `hardbench` command: parse the command line, run, and map the
//! outcome to an exit code and a message at the edge. Everything else lives
//! in the library.

use clap::Parser;
use hardbench::cli::Cli;
use hardbench::error::Error;
use hardbench::evidence::EvidenceError;
use hardbench::interrupt::Interrupt;
use hardbench::outcome::ExitCode;
use hardbench::run::{self, Console};
use hardbench::transport::ssh::SshTransport;
use std::io::IsTerminal;
use std::sync::Arc;

fn main() -> std::process::ExitCode {
    // clap exits with status 2 and a usage hint on a bad command line.
    let cli = Cli::parse();
    let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
    let color_allowed = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let interrupt = match Interrupt::install() {
        Ok(interrupt) => interrupt,
        Err(error) => {
            eprintln!("hardbench: cannot handle SIGINT and SIGTERM: {error}");
            return std::process::ExitCode::from(ExitCode::BadInput.code());
        }
    };
    let transport = Arc::new(SshTransport::from_env());
    let mut console = Console {
        stdout_color: color_allowed && stdout.is_terminal(),
        stderr_color: color_allowed && stderr.is_terminal(),
        stdout: &mut stdout.lock(),
        stderr: &mut stderr.lock(),
    };
    // The status is decided once, in the library (`Report::exit_code`), and
    // the JSON report holds the same one.
    let code = match run::execute(cli, transport, &interrupt, &mut console) {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(console.stderr, "hardbench: {error}");
            exit_code(&error)
        }
    };
    std::process::ExitCode::from(code.code())
}

/// The exit code of an invocation that stopped before its reports: bad input
/// is 2 (nothing was contacted, or no benchmark fits what was seen); a file
/// that could not be written after hosts were contacted is 4, a report
/// missing; an `evaluate` stopped by a signal (it writes nothing) is 128 +
/// the signal.
fn exit_code(error: &Error) -> ExitCode {
    match error {
        Error::Write(_) => ExitCode::ReportMissing,
        Error::Evidence(EvidenceError::Interrupted { signal, .. }) => ExitCode::Interrupted { signal: *signal },
        Error::Evidence(EvidenceError::Write { .. } | EvidenceError::Incomplete { .. }) => ExitCode::ReportMissing,
        Error::Inventory(_)
        | Error::UnknownHosts(_)
        | Error::UnknownBenchmark { .. }
        | Error::Benchmark(_)
        | Error::Selection(_)
        | Error::Review(_)
        | Error::NothingSelected(_)
        | Error::Output(_)
        | Error::Report(_)
        | Error::Evidence(_)
        | Error::Bundle(_)
        | Error::ShardOfShard { .. }
        | Error::Merge(_)
        | Error::Invalid(_) => ExitCode::BadInput,
    }
}

//! Command-line definitions: clap derive only, no logic.

use crate::outcome::diff::FailOn;
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The exit codes, shown in `--help`; decided by `outcome::Report::exit_code`.
macro_rules! exit_codes {
    () => {
        "Exit codes:\n  \
         0  every evaluated check passed (warn, waived, manual and not-applicable allowed)\n  \
         1  at least one check failed, or a host runs an impostor process; under --fail-on regression \
         instead of a failed check: a check regressed into fail since --baseline (known failures and \
         regressions into warn or waived do not count; an impostor still does; 2, 3, 4, 130 and 143 \
         keep their meaning and order)\n  \
         2  bad input (inventory, benchmark, baseline, flags or output paths); nothing was contacted\n  \
         3  at least one host, or one check's facts, could not be audited (under --benchmark auto, \
         a host no benchmark fits is one)\n  \
         4  a report (JSON, JUnit, HTML, metrics, console or saved facts) could not be written; the others were \
         (outranks 0, 1, 3, 130 and 143)\n  \
         130, 143  interrupted by SIGINT or SIGTERM before the reports were begun: they are still \
         written, the hosts not finished are errors of kind interrupted (outranks 0, 1 and 3); a \
         second signal exits at once and leaves the previous reports\n\n\
         The JSON report's exit_code is always the process's exit status."
    };
}

#[derive(Debug, Parser)]
#[command(
    name = "hardbench",
    version,
    about = "Agentless CIS Kubernetes Benchmark runner: audits control-plane, etcd and worker hosts over SSH",
    long_about = "Agentless CIS Kubernetes Benchmark runner.\n\nReads an inventory of hosts, opens one SSH \
connection per host, runs one fixed read-only script (under sudo -n by default) that gathers the facts the \
benchmark needs, evaluates every check locally and writes a console, JSON and JUnit report.",
    after_help = exit_codes!()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit every host of an inventory.
    #[command(after_help = concat!(
        "Examples:\n",
        "  hardbench run --inventory inventory/example.toml\n",
        "  hardbench run --inventory prod.toml --json report.json --junit report.xml --no-progress\n",
        "  hardbench run --inventory prod.toml --limit cp-1,cp-2 --check 1.2 --skip 1.2.1\n",
        "  hardbench run --inventory kubespray/inventory.ini --role-map roles.toml\n",
        "  hardbench run --inventory prod.toml --baseline last.json --fail-on regression --json last.json\n",
        "  hardbench run --inventory prod.toml --shard $(JOB_COMPLETION_INDEX)/3 --json /reports/shard-$(JOB_COMPLETION_INDEX).json\n\n",
        exit_codes!()))]
    Run(RunArgs),
    /// Evaluate facts saved by `run --save-facts` again, offline, without contacting any host.
    #[command(after_help = concat!(
        "Examples:\n",
        "  hardbench evaluate --facts evidence/2026-11-22/\n",
        "  hardbench evaluate --facts evidence/ --check 4.2 --json report.json\n\n",
        "Exit codes are those of `run`."))]
    Evaluate(EvaluateArgs),
    /// List the checks of a benchmark: id, target, automated or manual, scored, level, title.
    #[command(after_help = "Examples:\n  hardbench list-checks\n  hardbench list-checks --benchmark cis-1.11 --level 1\n  \
hardbench list-checks --benchmark ./my-benchmark/")]
    ListChecks(ListChecksArgs),
    /// List the built-in benchmarks: id, platform, Kubernetes versions, checks, title.
    #[command(after_help = "Example:\n  hardbench list-benchmarks")]
    ListBenchmarks,
    /// Check waivers and attestations files: unknown checks and hosts, expired rules, rules
    /// expiring within 30 days.
    #[command(subcommand)]
    Waivers(WaiversCommand),
    /// Compare two JSON reports: what regressed, what was fixed, what still fails, what cannot be compared.
    #[command(after_help = "Examples:\n  hardbench diff last-night.json tonight.json\n  \
hardbench diff last-night.json tonight.json --json diff.json\n\n\
Hosts are matched by name, checks by id. regressed: pass before, fail or warn now; fixed: the reverse; \
a waived result counts by its verdict. incomparable: an error, skip, not-applicable or unattested manual \
result, or no result, on either side; a host not audited in either report, or judged by benchmarks of \
different ids, is not compared at all. None of these is ever counted as fixed or regressed.\n\n\
Exit codes:\n  0  nothing regressed into fail\n  1  at least one check regressed into fail (a regression \
into warn or waived is listed but does not fail a run, so it does not fail this either)\n  \
2  bad input: a report unreadable or not a hardbench JSON report, or --json unusable (nothing is written)\n  \
4  the --json file could not be written")]
    Diff(DiffArgs),
    /// Join the reports of the shards of one audit (`run --shard I/N`) into one report, or their
    /// saved facts (`--facts DIR... --save-facts OUT`) into one saved set.
    #[command(after_help = "Examples:\n  \
hardbench merge shard-0.json shard-1.json shard-2.json --json report.json --junit report.xml\n  \
hardbench merge /reports/shard-*.json --baseline last.json --fail-on regression --json last.json\n  \
hardbench merge --facts facts-0 facts-1 facts-2 --save-facts facts && hardbench evaluate --facts facts\n\n\
The inputs must be every shard of one split (I = 0 to N-1 of one N, each once) of one audit: the same \
inventory (by sha256), hardbench version, command, --benchmark, --level, --check, --skip, --limit, \
waivers and attestations. A missing shard is refused, not warned about: its hosts would be left out of a \
report that looks whole. Hosts come in shard order, each shard's in inventory order. --baseline and \
--fail-on apply to the merged report (shard reports made with --baseline are refused).\n\n\
Exit codes: those of `run`, decided from the merged report as for a run over every host; 2 when the \
inputs are not the shards of one audit (each file named; nothing is written). With --facts: 0 when the \
set is written, 2 when refused, 4 when it could not be written (OUT is left as it was).")]
    Merge(MergeArgs),
    /// Render a JSON report saved by `run` or `evaluate` (`--json`) again, as HTML for an auditor.
    #[command(after_help = "Example:\n  hardbench report report.json --html report.html\n\n\
Exit code 0 when the page is written; 2 when REPORT.json is not a hardbench JSON report or FILE cannot \
be written to (nothing is written); 4 when writing FILE failed (the previous FILE is left).")]
    Report(ReportArgs),
    /// Contact every host of an inventory without gathering anything: TCP, host key, authentication,
    /// `sudo -n` and the tools the gathering script needs; a table of what is ready, and why not.
    #[command(after_help = "Examples:\n  hardbench check-access --inventory inventory/example.toml\n  \
hardbench check-access --inventory kubespray/inventory.ini --role-map roles.toml --json access.json\n\n\
Stages, in order (a stage is tried only when the one before it is ok):\n  \
tcp       the name resolves and the port accepts a connection\n  \
host-key  the handshake, and the key against known_hosts (recorded: accept-new added it now)\n  \
auth      the identity file or an ssh-agent key is accepted\n  \
shell     a command runs and answers as the SSH user (no ForceCommand in the way)\n  \
sudo      sudo -n runs the gathering's command line, no password or tty (not-needed: become none)\n  \
tools     stat, grep, tr, awk and readlink are found with the PATH the gathering runs with\n\n\
Exit codes:\n  0  every host is ready to be audited\n  2  bad input (inventory, flags or --json); nothing was contacted\n  \
3  at least one host is not ready: the table says at which stage and why\n  \
4  the --json file could not be written\n  \
130, 143  interrupted by SIGINT or SIGTERM: the hosts not finished are not ready")]
    CheckAccess(CheckAccessArgs),
    /// Check an inventory and the benchmark definitions without contacting anything.
    #[command(after_help = "Example:\n  hardbench validate --inventory inventory/example.toml\n\n\
Exit code 0 when both are valid, 2 otherwise (every problem is listed with file, line and key).")]
    Validate(ValidateArgs),
    /// Check an evidence bundle: every file against MANIFEST.sha256, the signatures, and its reports
    /// against evaluating its facts again with its benchmark definitions.
    #[command(after_help = "Examples:\n  hardbench verify evidence/ --allowed-signers allowed_signers\n\n\
Exit codes:\n  0  every file matches the manifest, the signatures are good (when the bundle is signed) and the \
reports are what its facts give\n  1  something does not match: each file is named\n  \
2  bad input: DIR is not an evidence bundle, or --allowed-signers is unusable\n  \
3  everything checked matches, but the bundle is signed and no --allowed-signers was given: the signatures \
were not checked")]
    Verify(VerifyArgs),
    /// Print the gathering script this hardbench runs on every host, byte for byte, to install
    /// it on hosts audited with `become = "sudo-script:PATH"`.
    #[command(after_help = "Examples:\n  hardbench print-script > hardbench-gather\n  \
install -o root -g root -m 0755 hardbench-gather /usr/local/libexec/hardbench-gather   # on the host\n  \
hardbench print-script --sha256\n\n\
hardbench runs the installed copy only after the host has shown that its sha256 is the embedded \
script's and that only root can change it (the file and every directory above it root's, writable by \
neither group nor others). After an upgrade of hardbench, install the new script: until then such \
hosts are errors of kind script-mismatch naming both hashes.\n\n\
Exit code 0; 4 when standard output cannot be written.")]
    PrintScript(PrintScriptArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: InventoryArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub review: ReviewArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub baseline: BaselineArgs,
    #[command(flatten)]
    pub contact: ContactArgs,
    /// Also save the gathered facts as one set in DIR, replaced whole (a file per host and `_index.json`), for evidence and `hardbench evaluate`.
    #[arg(long, value_name = "DIR", conflicts_with = "evidence")]
    pub save_facts: Option<PathBuf>,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// `hardbench check-access` (`access.rs`): the hosts as `run` reaches them.
#[derive(Debug, Args)]
pub struct CheckAccessArgs {
    #[command(flatten)]
    pub source: InventoryArgs,
    #[command(flatten)]
    pub contact: ContactArgs,
    /// Also write the result as JSON (schema hardbench.access/v1) to FILE, e.g. `--json access.json`;
    /// `-` writes it to standard output, and the table then goes to standard error.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Where the hosts come from (`run`, `check-access`, `validate`).
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// The inventory file (TOML, or an Ansible inventory), e.g. `--inventory inventory/example.toml`.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// The OpenSSH client configuration to read host settings from, instead of the inventory's
    /// `ssh_config` (default: `~/.ssh/config` when it exists); `""` reads none, e.g.
    /// `--ssh-config ~/.ssh/audit.conf`.
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    #[command(flatten)]
    pub inventory_kind: InventoryKindArgs,
}

/// Which hosts are contacted, how many at once, and what is shown meanwhile (`run`, `check-access`).
#[derive(Debug, Args)]
pub struct ContactArgs {
    /// How many hosts to contact at once, e.g. `--concurrency 64`.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Contact only these inventory hosts, comma-separated, e.g. `--limit cp-1,worker-2`.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub limit: Vec<String>,
    #[command(flatten)]
    pub shard: ShardArgs,
    /// Do not draw the progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A directory of saved facts (`run --save-facts DIR`), or an evidence bundle (`--evidence DIR`), e.g. `--facts evidence/`.
    #[arg(long, value_name = "DIR")]
    pub facts: PathBuf,
    #[command(flatten)]
    pub shard: ShardArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub review: ReviewArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub baseline: BaselineArgs,
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// `--shard I/N` (`shard.rs`).
#[derive(Debug, Args)]
pub struct ShardArgs {
    /// Audit only shard I of N (I counts from 0): the hosts whose name hashes to I (the first 8 bytes
    /// of its SHA-256, mod N), so that N runs cover the inventory exactly once and a host keeps its
    /// shard when others are added. In a Kubernetes Indexed Job pass `--shard $(JOB_COMPLETION_INDEX)/N`
    /// as it is. Join the N JSON reports with `hardbench merge`. A shard with no host writes an empty
    /// report and exits 0, e.g. `--shard 0/3`.
    #[arg(long, value_name = "I/N", value_parser = crate::shard::Shard::parse)]
    pub shard: Option<crate::shard::Shard>,
}

/// The evidence bundle (`bundle.rs`).
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// Also write an evidence bundle into DIR (new, or one an earlier run wrote; replaced whole): facts,
    /// reports, benchmark definitions, inputs, run.json and MANIFEST.sha256, for `hardbench verify`.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// Sign the bundle's manifest (SSHSIG, namespace hardbench-evidence) and its in-toto attestation with
    /// this key: an OpenSSH private key file, `agent:` (the ssh-agent's first key), or a public key file
    /// whose private key the ssh-agent holds. Never prompts for a passphrase.
    #[arg(long, value_name = "KEY", requires = "evidence")]
    pub sign_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The evidence bundle (`--evidence DIR`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Check the manifest's signature and the attestation's against this OpenSSH allowed_signers file.
    #[arg(long, value_name = "FILE")]
    pub allowed_signers: Option<PathBuf>,
}

/// Waivers and attestations (README, "Waivers and attestations").
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Accepted risks (TOML, `[[waivers]]`: checks, hosts or roles, reason, approved_by,
    /// expires): a failing check they cover is reported as `waived` and does not fail the run
    /// until the waiver expires, e.g. `--waivers waivers.toml`.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// A person's verdicts on manual checks (TOML, `[[attestations]]`: checks, hosts or roles,
    /// result, attested_by, date, expires, evidence): a manual check they cover becomes the
    /// attested pass or fail until the attestation expires, e.g. `--attestations attested.toml`.
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum WaiversCommand {
    /// Check a waivers file (and an attestations file): every problem with its file, line and
    /// key; then every rule, expired, expiring within 30 days, or valid.
    #[command(after_help = "Examples:\n  hardbench waivers lint --waivers waivers.toml\n  \
hardbench waivers lint --waivers waivers.toml --attestations attested.toml --inventory prod.toml\n\n\
Exit codes:\n  0  every rule is valid for more than 30 days\n  1  a rule has expired or expires within \
30 days\n  2  a file is invalid (syntax, unknown key, unknown check id or host): nothing else is judged")]
    Lint(WaiversLintArgs),
}

#[derive(Debug, Args)]
pub struct WaiversLintArgs {
    /// The waivers file, e.g. `--waivers waivers.toml`.
    #[arg(long, value_name = "FILE")]
    pub waivers: PathBuf,
    /// An attestations file to check as well.
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
    /// The inventory whose host names the rules may use; without it, host names are not checked.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// The benchmark whose check ids the rules may use; `auto`: any built-in benchmark's.
    #[arg(long, value_name = "ID|PATH|auto", default_value = "auto")]
    pub benchmark: String,
}

#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// The benchmark id for every host (`hardbench list-benchmarks`), the path of a benchmark
    /// directory of your own (docs/adding-a-benchmark.md), or `auto` to choose for each host from
    /// its platform and the Kubernetes version seen on it, e.g. `--benchmark cis-1.12`.
    #[arg(long, value_name = "ID|PATH|auto", default_value = "auto")]
    pub benchmark: String,
    /// The CIS profile level: `1` evaluates the Level 1 checks only, `2` every check (Level 2
    /// includes Level 1); all checks when absent.
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub level: Option<u8>,
    /// Evaluate only these checks: ids or section prefixes, comma-separated, e.g. `--check 1.2,4.2.*,2.1`.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub check: Vec<String>,
    /// Report these checks as skipped: ids or section prefixes, e.g. `--skip 1.1.12,4.2.*`.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub skip: Vec<String>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the JSON report (schema hardbench.report/v1) to FILE, e.g. `--json report.json`;
    /// `-` writes it to standard output, and the console report then goes to standard error.
    /// FILE is a new file or a regular file, replaced atomically; a directory, a device, a FIFO
    /// or a socket is refused before any host is contacted.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the JUnit XML report to FILE, e.g. `--junit report.xml`; `-` and FILE as for --json
    /// (only one report may go to standard output).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the HTML report to FILE, e.g. `--html report.html`: one self-contained page for an
    /// auditor (it makes no request of any kind), with filters and a print layout; `-` and FILE
    /// as for --json.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write metrics in the Prometheus text format to FILE, for node_exporter's textfile
    /// collector, e.g. `--metrics /var/lib/node_exporter/textfile/hardbench.prom`; `-` and FILE
    /// as for --json.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Shorten the console report to one line per host and the total line (no check), followed,
    /// as always, by the hosts that failed or could not be audited.
    #[arg(long)]
    pub summary: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Compare this run with an earlier JSON report, e.g. `--baseline last-night.json`: the console
    /// ends with the diff (as `hardbench diff` shows it) and the JSON report holds it (`diff`). The
    /// file is read and checked before any host is contacted.
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// What makes the exit status 1: `fail`, any failing check (the default), or `regression`, only
    /// a check that regressed into fail since --baseline (which it needs), e.g. `--fail-on regression`.
    #[arg(
        long,
        value_name = "fail|regression",
        default_value = "fail",
        requires_if("regression", "baseline"),
        value_parser = clap::builder::PossibleValuesParser::new(FailOn::names())
            .map(|name| FailOn::from_name(&name).expect("one of the possible values")),
    )]
    pub fail_on: FailOn,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older JSON report (written by `run --json` or `evaluate --json`), e.g. `last-night.json`.
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The newer JSON report, e.g. `tonight.json`.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// Also write the diff as JSON (schema hardbench.diff/v1) to FILE, e.g. `--json diff.json`;
    /// `-` writes it to standard output, and the console diff then goes to standard error.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("inputs").required(true).args(["reports", "facts"])))]
pub struct MergeArgs {
    /// The shards' JSON reports (`run --shard I/N --json FILE`), in any order, e.g. `shard-*.json`.
    #[arg(value_name = "REPORT.json", conflicts_with = "facts")]
    pub reports: Vec<PathBuf>,
    /// Instead of reports: the shards' saved-facts sets (`run --shard I/N --save-facts DIR`), joined
    /// into the one set `--save-facts` names, which `hardbench evaluate --facts` reads as a run over
    /// every host, e.g. `--facts facts-0 facts-1 --save-facts facts`.
    #[arg(
        long,
        value_name = "DIR",
        num_args = 1..,
        requires = "save_facts",
        conflicts_with_all = ["json", "junit", "html", "metrics", "summary", "baseline"]
    )]
    pub facts: Vec<PathBuf>,
    /// Where `--facts` writes the merged set: a new directory, an empty one, or a set hardbench
    /// wrote (replaced whole), e.g. `--save-facts facts`.
    #[arg(long, value_name = "OUT", requires = "facts")]
    pub save_facts: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub baseline: BaselineArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON report written by `run` or `evaluate` with `--json`, e.g. `report.json`.
    #[arg(value_name = "REPORT.json")]
    pub report: PathBuf,
    /// Write the HTML report to FILE, e.g. `--html report.html`: the page `--html` writes on `run`
    /// and `evaluate`; `-` writes it to standard output.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
}

#[derive(Debug, Args)]
pub struct ListChecksArgs {
    /// The benchmark id, e.g. `--benchmark cis-1.12`, the path of a benchmark directory, or
    /// `auto` for the newest benchmark known (the one `run --benchmark auto` uses when the
    /// cluster's version is newer than any).
    #[arg(long, value_name = "ID|PATH|auto", default_value = "auto")]
    pub benchmark: String,
    /// List only the checks of this CIS profile level or lower, e.g. `--level 1`.
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub level: Option<u8>,
}

#[derive(Debug, Args)]
pub struct PrintScriptArgs {
    /// Print only the script's sha256, in lower-case hex as `sha256sum` prints it, to compare with
    /// `sha256sum /usr/local/libexec/hardbench-gather` on a host.
    #[arg(long)]
    pub sha256: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub source: InventoryArgs,
}

/// How `--inventory` is read (README, "Ansible inventories").
#[derive(Debug, Args)]
pub struct InventoryKindArgs {
    /// `ansible`: an Ansible inventory (INI, YAML, or the JSON `ansible-inventory --list`
    /// prints); `auto` tells it from a TOML inventory by the file's name and content.
    #[arg(long, value_name = "auto|toml|ansible", default_value = "auto", value_parser = ["auto", "toml", "ansible"])]
    pub inventory_format: String,
    /// For an Ansible inventory: a TOML file mapping groups to roles (`[ansible] groups = {
    /// my_cp = ["control-plane", "etcd"] }`) and, in `[defaults]`, the settings Ansible has no
    /// variable for (known_hosts, host_key_policy, timeouts), e.g. `--role-map roles.toml`;
    /// without it, a `hardbench.toml` beside the inventory is read.
    #[arg(long, value_name = "FILE")]
    pub role_map: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from([&["hardbench", "evaluate", "--facts", "f"], args].concat())
    }

    /// `--fail-on regression` needs a baseline to regress from; `fail`, the
    /// default, needs none. clap's refusal is exit status 2.
    #[test]
    fn fail_on_regression_needs_a_baseline() {
        let error = parse(&["--fail-on", "regression"]).unwrap_err();
        assert_eq!((error.kind(), error.exit_code()), (clap::error::ErrorKind::MissingRequiredArgument, 2));
        assert!(error.to_string().contains("--baseline <OLD.json>"), "{error}");
        let fail_on = |cli: Cli| match cli.command {
            Command::Evaluate(args) => (args.baseline.baseline.is_some(), args.baseline.fail_on),
            _ => unreachable!("an evaluate command line"),
        };
        assert_eq!(fail_on(parse(&[]).unwrap()), (false, FailOn::Fail));
        assert_eq!(fail_on(parse(&["--fail-on", "fail"]).unwrap()), (false, FailOn::Fail));
        assert_eq!(fail_on(parse(&["--fail-on", "regression", "--baseline", "b.json"]).unwrap()), (true, FailOn::Regression));
        assert_eq!(parse(&["--fail-on", "regressions"]).unwrap_err().kind(), clap::error::ErrorKind::InvalidValue);
    }

    /// `merge` takes reports, or saved sets with where to put their merge;
    /// never both, and the report flags only with reports. A bad `--shard`
    /// names the flag. clap's refusals are exit status 2.
    #[test]
    fn merge_takes_reports_or_saved_sets_and_shard_is_checked_by_name() {
        use clap::error::ErrorKind;
        let merge = |args: &[&str]| Cli::try_parse_from([&["hardbench", "merge"], args].concat());
        for (args, refused) in [
            (&[][..], Some(ErrorKind::MissingRequiredArgument)),
            (&["a.json", "b.json", "--json", "-", "--baseline", "old.json"][..], None),
            (&["--facts", "f0", "f1", "--save-facts", "f"][..], None),
            (&["--facts", "f0", "f1"][..], Some(ErrorKind::MissingRequiredArgument)),
            (&["--save-facts", "f"][..], Some(ErrorKind::MissingRequiredArgument)),
            (&["a.json", "--facts", "f0", "--save-facts", "f"][..], Some(ErrorKind::ArgumentConflict)),
            (&["--facts", "f0", "--save-facts", "f", "--json", "r.json"][..], Some(ErrorKind::ArgumentConflict)),
        ] {
            match (merge(args), refused) {
                (Ok(_), None) => {}
                (Err(error), Some(kind)) => assert_eq!((error.kind(), error.exit_code()), (kind, 2), "{args:?}: {error}"),
                (result, refused) => panic!("{args:?}: {result:?}, expected {refused:?}"),
            }
        }
        let Command::Merge(args) = merge(&["--facts", "f0", "f1", "--save-facts", "f"]).unwrap().command else { unreachable!() };
        assert_eq!((args.facts.len(), args.reports.len()), (2, 0));

        let run = |shard: &str| Cli::try_parse_from(["hardbench", "run", "--inventory", "i.toml", "--shard", shard]);
        let Command::Run(args) = run("2/3").unwrap().command else { unreachable!() };
        assert_eq!(args.contact.shard.shard, Some(crate::shard::Shard { index: 2, count: 3 }));
        let error = run("3/3").unwrap_err();
        assert_eq!((error.kind(), error.exit_code()), (ErrorKind::ValueValidation, 2));
        assert!(error.to_string().contains("invalid value '3/3' for '--shard <I/N>': I is 3"), "{error}");
        let evaluate = Cli::try_parse_from(["hardbench", "evaluate", "--facts", "f", "--shard", "0/2"]).unwrap();
        let Command::Evaluate(args) = evaluate.command else { unreachable!() };
        assert_eq!(args.shard.shard, Some(crate::shard::Shard { index: 0, count: 2 }));
    }
}

//! The `sksim` command line: argument parsing (clap) and the commands, written against plain `Write`rs so that
//! tests run them exactly as a user would and read what they print.
//!
//! Exit statuses (stable; the README's table): 0 the expectations were met (or the command succeeded); 1 the
//! expectations were not met but nothing they required to hold was violated (an expected violation did not
//! happen, an invariant expected to hold did not apply); 2 bad input (a file, an argument); 3 the harness itself
//! failed; 4 a safety invariant the expectations required was violated (a secret read, a forgery or replay
//! accepted, state changed by a rejected input, a bound exceeded); 5 the implementation crashed (`no-crash`); 6
//! only liveness failed (`delivery`). When several apply — several files, several seeds, several violations — the
//! status is the most severe, in the order 3, 2, 4, 5, 6, 1 ([`most_severe`]).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::limits::ADAPTER_TIMEOUT_MAX;
use crate::output::{JsonReport, header};
use crate::performance::Performance;
use crate::policy::Policy;
use crate::runner::{Overrides, RunError, run_scenario};
use crate::scenario;

mod zoo;

/// Exit status: the expectations were met, or the command did what it was asked.
pub const EXIT_OK: u8 = 0;
/// Exit status: the expectations were not met, but nothing they required to hold was violated (an expected
/// violation did not happen, or an invariant expected to hold did not apply).
pub const EXIT_EXPECTATION: u8 = 1;
/// Exit status: bad input — a scenario file, an argument, an output path.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status: the harness itself failed (a bug in sksim).
pub const EXIT_HARNESS: u8 = 3;
/// Exit status: a safety invariant the expectations required to hold was violated.
pub const EXIT_SAFETY: u8 = 4;
/// Exit status: the implementation crashed (`no-crash` violated against the expectations), no safety violation.
pub const EXIT_CRASH: u8 = 5;
/// Exit status: only liveness failed (`delivery` violated against the expectations).
pub const EXIT_LIVENESS: u8 = 6;

/// Every exit status, most severe first: the status of several results is the first of these any of them has.
pub const EXIT_SEVERITY: [u8; 7] = [
    EXIT_HARNESS,
    EXIT_BAD_INPUT,
    EXIT_SAFETY,
    EXIT_CRASH,
    EXIT_LIVENESS,
    EXIT_EXPECTATION,
    EXIT_OK,
];

/// The most severe of `statuses` in the order of [`EXIT_SEVERITY`] (`EXIT_OK` for none).
pub fn most_severe(statuses: impl IntoIterator<Item = u8>) -> u8 {
    let rank = |s: u8| EXIT_SEVERITY.iter().position(|&e| e == s).unwrap_or(0);
    statuses.into_iter().min_by_key(|&s| rank(s)).unwrap_or(EXIT_OK)
}

/// The exit status of expectations that were not met with these unexpected violations: by the most severe class
/// among them, or [`EXIT_EXPECTATION`] if there is none.
pub fn not_met_status(unexpected: &[crate::checkers::Invariant]) -> u8 {
    use crate::checkers::FailureClass;
    most_severe(
        unexpected
            .iter()
            .map(|i| match i.class() {
                FailureClass::Safety => EXIT_SAFETY,
                FailureClass::Crash => EXIT_CRASH,
                FailureClass::Liveness => EXIT_LIVENESS,
            })
            .chain([EXIT_EXPECTATION]),
    )
}

/// A deterministic simulation and fuzz harness for Sender Keys group encryption.
///
/// Exit status: 0 expectations met; 4 a safety invariant violated, 5 a crash, 6 a liveness failure, against the
/// expectations; 1 expectations otherwise not met; 2 bad input; 3 the harness failed.
#[derive(Parser, Debug)]
#[command(name = "sksim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How `run` prints its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables for people.
    Table,
    /// The stable JSON report (the parameters go to stderr, so stdout is pure JSON).
    Json,
}

/// How `compare` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// Tables for people.
    Table,
    /// JSON.
    Json,
    /// CSV, one line per (policy, implementation, metric or invariant); with --per-seed one line per run.
    Csv,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario file and check its expectations.
    ///
    /// Prints the seed and parameters, then the report. Exit status 0 if every expectation holds, 1 (with the
    /// command that reproduces the run) if a verdict contradicts one, 2 for a bad file or argument, 3 if the
    /// harness itself failed.
    ///
    /// Several files, or a directory (its `*.toml` files, in name order), run one after the other: one line per
    /// file, then a summary table; the exit status is the worst of them. `--format json` and `--out` then give a
    /// JSON array of the reports, in the same order.
    ///
    /// Example: `sksim run scenarios/quickstart.toml --seed 7 --impl accord --format json --out report.json`
    ///
    /// Example: `sksim run scenarios/ --impl 'external:python3 my_adapter.py'`
    Run(RunArgs),
    /// Compare rotation policies (and implementations) over many seeds.
    ///
    /// Runs every (policy, implementation) pair over every seed, in parallel on all cores; prints mean, p50 and p95
    /// of each metric and in how many seeds each invariant held. The output is the same whatever the thread count.
    ///
    /// With --per-seed (CSV or JSON), prints every run instead — one record per (policy, implementation, seed) with
    /// every metric and each invariant's verdict — for your own statistics.
    ///
    /// Example: `sksim compare scenarios/rotation-policies.toml --policy never --policy on-removal
    /// --policy on-removal+every-messages:100 --seeds 0..8 --plot policies.svg`
    Compare(CompareArgs),
    /// Shrink a failing scenario to a minimal one that still violates the same invariant (delta debugging).
    ///
    /// Removes events, members, messages, faults and time while the invariant stays violated, and prints the
    /// result as an ordinary scenario file (to stdout, or to --out). Without --invariant, the first violation the
    /// scenario's expectations do not allow is the target.
    ///
    /// Example: `sksim shrink failing.toml --invariant post-removal-secrecy --out minimal.toml`
    Shrink(ShrinkArgs),
    /// Swarm testing: each seed draws a random scenario and runs it; unexpected violations are reported.
    ///
    /// Each seed draws group size, churn, faults, adversary and policy (each feature on or off, then its
    /// parameters). A violation the implementation is not documented to have is printed with its reproduction
    /// command and written to DIR as a scenario file; the shard's JSON result goes to DIR too, for `sksim merge`.
    /// Shard I/N runs the seeds s with s % N == I. Seeds run in parallel on all cores (--jobs N to choose); what
    /// is printed and written is the same whatever the thread count. Exit status 1 if any seed failed.
    ///
    /// Example: `sksim sweep --seeds 0..1000 --shard 2/8 --impl reference/hardened --budget 1h --jobs 4
    /// --out sweep-out`
    Sweep(SweepArgs),
    /// Combine the JSON results of a sweep's shards into one.
    ///
    /// Checks that every shard of the same sweep is there exactly once; prints the failures of the whole sweep.
    /// Exit status 1 if any seed failed.
    ///
    /// Example: `sksim merge shards/*/sweep-*.json --out merged.json`
    Merge(MergeArgs),
    /// Validate scenario files without running them (a directory: its `*.toml` files).
    ///
    /// Example: `sksim check scenarios/`
    Check(CheckArgs),
    /// List implementations, suites, policies, attacks and invariants, one line each.
    ///
    /// Example: `sksim list`
    List,
    /// Exchange keys and messages between three members in every suite, then tamper and replay.
    ///
    /// Prints a table (deliveries, sizes, how a tampered copy and a replay were answered), then each suite's
    /// wire format byte for byte: one distribution and one envelope, the JSON suites (accord, chatalot) as their
    /// text, the binary ones (p2p's protobuf, signal, hardened) as hex, 32 bytes a line. The same seed prints
    /// the same bytes.
    ///
    /// Example: `sksim demo --seed 7`
    Demo(DemoArgs),
    /// Hunt the zoo's planted bugs: how many sweep seeds the adversary needs to find each one.
    ///
    /// For each bug of the zoo (`sksim list`), the default sweep of `zoo/<bug>` — the request `sksim sweep --impl
    /// zoo/<bug>` makes — runs seeds 0, 1, 2, ... until one violates an invariant unexpectedly; then the base,
    /// `zoo`, runs every seed and must violate nothing unexpected (a false alarm is as bad as a miss). Prints a
    /// table (bug, seeds to first detection, the invariant that caught it, the reproduction command) and the
    /// median; progress goes to stderr. With --out, each detection is shrunk and written there as a scenario file.
    /// Exit status 1 if a bug was missed or the base failed.
    ///
    /// Example: `sksim zoo --seeds 200 --bug key-id-global --bug skipped-key-kept --jobs 2 --out zoo-out`
    Zoo(ZooArgs),
}

// The flags several commands share, each declared once and flattened into the commands that take it. A command
// whose help says something of its own about a shared flag replaces only that help text (`mut_arg`, written as
// clap shows a doc comment: without its final period).

/// `--seed` and `--impl`: the overrides of a scenario's seed and implementation (`run`, `shrink`).
#[derive(Args, Debug)]
struct OverrideArgs {
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the implementation: reference, reference/SUITE, accord, chatalot, p2p, zoo, zoo/BUG (the zoo of
    /// planted bugs, docs/zoo.md), or external:COMMAND (an adapter program; see docs/external-protocol.md).
    #[arg(long = "impl", value_name = "IMPLEMENTATION")]
    implementation: Option<String>,
}

/// `--no-memo` and `--adapter-timeout`: how runs execute, never what they find (`run`, `compare`).
#[derive(Args, Debug, Clone, Copy)]
struct ExecutionArgs {
    /// Do not memoise pure work (signature verdicts, chain steps, parsed keys): every receiver computes
    /// everything itself. The report and trace are the same; only the `performance` section differs.
    #[arg(long)]
    no_memo: bool,
    /// How long to wait for each answer of an `external:` adapter before stopping it as hung (a `no-crash`
    /// violation), e.g. `30s` or `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_adapter_timeout)]
    adapter_timeout: std::time::Duration,
}

impl ExecutionArgs {
    /// Whether pure work is memoised.
    fn memo(self) -> bool {
        !self.no_memo
    }

    /// Sets these options in a run's configuration.
    fn apply(self, config: &mut crate::config::SimConfig) {
        config.memo = self.memo();
        config.adapter_timeout = self.adapter_timeout;
    }
}

/// `--jobs`: how many threads run seeds (`compare`, `sweep`).
#[derive(Args, Debug, Clone, Copy)]
struct JobsArgs {
    /// Threads to run seeds on (default: one per core). The output is the same for any number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// `sksim run`'s arguments.
#[derive(Args, Debug)]
struct RunArgs {
    /// The scenario files (TOML), or directories of them.
    #[arg(required = true, value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Override the rotation policy, e.g. `on-removal+every-messages:100+every-time:24h`.
    #[arg(long)]
    policy: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the JSON report to this file.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Write the canonical event trace (one line per event) to this file.
    #[arg(long, value_name = "PATH")]
    trace: Option<PathBuf>,
    #[command(flatten)]
    execution: ExecutionArgs,
}

/// `sksim compare`'s arguments.
#[derive(Args, Debug)]
#[command(mut_arg("no_memo", |a| a.help(
    "Do not memoise pure work (see `sksim run --no-memo`); the comparison is the same"
)))]
#[command(mut_arg("adapter_timeout", |a| a.help(
    "How long to wait for each answer of an `external:` adapter (see `sksim run --adapter-timeout`)"
)))]
struct CompareArgs {
    /// The scenario file (TOML).
    file: PathBuf,
    /// A policy to compare (repeat the flag); default: the scenario's own.
    #[arg(long = "policy", value_name = "POLICY")]
    policies: Vec<String>,
    /// An implementation to compare (repeat the flag); default: the scenario's own.
    #[arg(long = "impl", value_name = "IMPLEMENTATION")]
    implementations: Vec<String>,
    /// Seeds to run, `A..B` (B excluded).
    #[arg(long, default_value = "0..10", value_parser = crate::sweep::parse_seeds)]
    seeds: std::ops::Range<u64>,
    /// How to print the comparison.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    format: CompareFormat,
    /// Print one record per run (policy, implementation, seed: every metric and each invariant's verdict)
    /// instead of the summary; needs --format csv or --format json.
    #[arg(long)]
    per_seed: bool,
    /// Also draw an SVG plot (the file must end in .svg): exposure after a compromise, and post-removal
    /// leaks, against distribution cost; points drawn at the same place are named on stderr.
    #[arg(long, value_name = "PATH.svg")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    jobs: JobsArgs,
    #[command(flatten)]
    execution: ExecutionArgs,
}

/// `sksim shrink`'s arguments.
#[derive(Args, Debug)]
#[command(mut_arg("seed", |a| a.help("Override the scenario's seed (shrinking keeps it)")))]
#[command(mut_arg("implementation", |a| a.help("Override the implementation")))]
struct ShrinkArgs {
    /// The failing scenario file.
    file: PathBuf,
    /// The invariant that must stay violated.
    #[arg(long)]
    invariant: Option<String>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Write the minimal scenario here instead of stdout.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

/// `sksim sweep`'s arguments.
#[derive(Args, Debug)]
#[command(mut_arg("jobs", |a| a.help(
    "Threads to run seeds on (default: one per core). The output and the files written are the same for any \
     number"
)))]
struct SweepArgs {
    /// Seeds to draw, `A..B` (B excluded).
    #[arg(long, default_value = "0..100", value_parser = crate::sweep::parse_seeds)]
    seeds: std::ops::Range<u64>,
    /// This machine's shard, `I/N` (0-based): the seeds s with s % N == I.
    #[arg(long, default_value = "0/1")]
    shard: crate::sweep::Shard,
    /// The implementation under test (default reference/hardened).
    #[arg(long = "impl", value_name = "IMPLEMENTATION")]
    implementation: Option<String>,
    /// Longest active phase a drawn scenario may have (virtual time), e.g. `30m`.
    #[arg(long, default_value = "1h")]
    budget: String,
    /// Where failing scenarios and the shard's JSON result are written.
    #[arg(long = "out", value_name = "DIR", default_value = "sweep-out")]
    dir: PathBuf,
    #[command(flatten)]
    jobs: JobsArgs,
}

/// `sksim zoo`'s arguments.
#[derive(Args, Debug)]
struct ZooArgs {
    /// Seeds to try per bug: 0..N.
    #[arg(long, default_value_t = 200)]
    seeds: u64,
    /// Hunt only this bug (repeat for several; default: every bug of the zoo).
    #[arg(long = "bug", value_name = "NAME", value_parser = parse_zoo_bug)]
    bugs: Vec<crate::implementations::zoo::Bug>,
    /// Longest active phase a drawn scenario may have (virtual time), as `sksim sweep --budget`.
    #[arg(long, default_value = "1h")]
    budget: String,
    /// Shrink each detection and write it here as `zoo-<bug>-seed-N.toml` (nothing is shrunk without it).
    #[arg(long = "out", value_name = "DIR")]
    dir: Option<PathBuf>,
    #[command(flatten)]
    jobs: JobsArgs,
}

/// A zoo bug's name, as `--bug` takes it.
fn parse_zoo_bug(text: &str) -> Result<crate::implementations::zoo::Bug, String> {
    crate::scenario::parse_bug(text)
}

/// `sksim merge`'s arguments.
#[derive(Args, Debug)]
struct MergeArgs {
    /// The shards' JSON results.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write the merged result here.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

/// `sksim check`'s arguments.
#[derive(Args, Debug)]
struct CheckArgs {
    /// The scenario files, or directories of them.
    #[arg(required = true, value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
}

/// `sksim demo`'s arguments.
#[derive(Args, Debug)]
struct DemoArgs {
    /// Every key, nonce and delivery order derives from this seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Parses `args` (the program name first) and runs the command; returns the exit status.
pub fn main_with(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return parse_error(&e, out, err),
    };
    let result = match cli.command {
        Command::Run(args) => run_command(&args, out, err),
        Command::Compare(args) => compare(&args, out, err),
        Command::Shrink(args) => shrink_command(&args, out, err),
        Command::Sweep(args) => sweep_command(&args, out, err),
        Command::Merge(args) => merge_command(&args.files, args.out.as_deref(), out),
        Command::Check(args) => check(&args.files, out, err),
        Command::List => list(out),
        Command::Demo(args) => demo(args.seed, out),
        Command::Zoo(args) => zoo::zoo_command(&args, out, err),
    };
    result.unwrap_or_else(|failure| report_failure(failure, err))
}

/// Prints clap's refusal (or its help or version, which are not errors) where it belongs; returns the status.
fn parse_error(e: &clap::Error, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let text = e.render().to_string();
    if e.use_stderr() {
        let _ = err.write_all(text.as_bytes());
        EXIT_BAD_INPUT
    } else {
        let _ = out.write_all(text.as_bytes());
        EXIT_OK
    }
}

/// Prints why a command stopped; returns its exit status.
fn report_failure(failure: Failure, err: &mut dyn Write) -> u8 {
    let (status, text) = match failure {
        Failure::BadInput(text) => (EXIT_BAD_INPUT, text),
        Failure::Harness(text) => (EXIT_HARNESS, format!("the harness failed: {text}")),
        Failure::OutputClosed => return EXIT_OK,
    };
    let _ = writeln!(err, "sksim: {text}");
    status
}

/// `sksim run`: one file as [`run`], several files or a directory as [`run_many`].
fn run_command(args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let list = scenario_files(&args.files)?;
    if list.len() == 1 && !args.files.iter().any(|f| f.is_dir()) {
        run(&list[0], args, out, err)
    } else {
        run_many(&list, args, out, err)
    }
}

/// `sksim demo`.
fn demo(seed: u64, out: &mut dyn Write) -> Result<u8, Failure> {
    match crate::demo::report(seed) {
        Ok(report) => write!(out, "{report}").map(|()| EXIT_OK).map_err(io_failed),
        Err(e) => Err(Failure::Harness(format!("the demo failed: {e}"))),
    }
}

/// Why a command stopped.
enum Failure {
    BadInput(String),
    Harness(String),
    /// Whoever read the output stopped reading (`sksim run ... | head`): stop quietly, as `ls | head` does.
    OutputClosed,
}

fn io_failed(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure::OutputClosed;
    }
    Failure::Harness(format!("could not write the output: {e}"))
}

impl From<RunError> for Failure {
    fn from(e: RunError) -> Self {
        match e {
            RunError::BadInput(text) => Failure::BadInput(text),
            RunError::Harness(text) => Failure::Harness(text),
        }
    }
}

/// `--adapter-timeout`: a duration from 1 ms to [`ADAPTER_TIMEOUT_MAX`].
fn parse_adapter_timeout(text: &str) -> Result<std::time::Duration, String> {
    let us = crate::time::parse_duration(text).map_err(|e| e.to_string())?;
    let timeout = std::time::Duration::from_micros(us);
    if timeout < std::time::Duration::from_millis(1) || timeout > ADAPTER_TIMEOUT_MAX {
        return Err(format!(
            "`{text}`: the adapter timeout must be from 1ms to {}s",
            ADAPTER_TIMEOUT_MAX.as_secs()
        ));
    }
    Ok(timeout)
}

fn parse_policy(text: &str) -> Result<Policy, Failure> {
    text.parse::<Policy>()
        .map_err(|e| Failure::BadInput(format!("--policy: {e}")))
}

/// An output file, opened before any work starts so that a bad path costs nothing. Its old contents, if any, are
/// replaced only when it is written; a file the command created is removed again if it fails before writing it.
struct Output {
    path: PathBuf,
    what: &'static str,
    file: Option<std::fs::File>,
    created: bool,
}

/// `path` as the file system names it: its directory resolved (links, `..`), its file name kept; the path itself
/// when the directory does not exist.
fn resolved(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

/// Refuses outputs that would overwrite an input or each other: each `(flag, path)` of `outputs` must name
/// another file than every input and every other output.
fn distinct_outputs(inputs: &[&Path], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    for (i, (flag, path)) in outputs.iter().enumerate() {
        let target = resolved(path);
        if let Some(input) = inputs.iter().find(|input| resolved(input) == target) {
            return Err(Failure::BadInput(format!(
                "{flag} {}: that is a file this command reads ({}); writing there would replace it — choose \
                 another path",
                path.display(),
                input.display()
            )));
        }
        if let Some((other, _)) = outputs[..i].iter().find(|(_, other)| resolved(other) == target) {
            return Err(Failure::BadInput(format!(
                "{flag} {} and {other} name the same file: one would replace the other — give each its own path",
                path.display()
            )));
        }
    }
    Ok(())
}

impl Output {
    fn open(path: &Path, what: &'static str) -> Result<Output, Failure> {
        let created = !path.exists();
        let file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path).map_err(|e| {
            Failure::BadInput(format!(
                "cannot write the {what} to {}: {e}; nothing was run (choose a path in a directory that exists \
                 and that you can write to)",
                path.display()
            ))
        })?;
        Ok(Output {
            path: path.to_owned(),
            what,
            file: Some(file),
            created,
        })
    }

    fn write(mut self, contents: &str) -> Result<(), Failure> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| Failure::Harness("output written twice".to_owned()))?;
        file.set_len(0)
            .and_then(|()| file.write_all(contents.as_bytes()))
            .map_err(|e| {
                Failure::BadInput(format!(
                    "could not write the {} to {}: {e}",
                    self.what,
                    self.path.display()
                ))
            })
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Never written: the command failed first; leave no empty file behind.
        if self.file.take().is_some() && self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The command that reproduces a run: the file, the seed, and the overrides that were given.
fn reproduction(file: &Path, seed: u64, implementation: Option<&str>, policy: Option<&str>) -> String {
    let mut command = format!("sksim run {} --seed {seed}", file.display());
    if let Some(implementation) = implementation {
        command.push_str(&format!(" --impl '{implementation}'"));
    }
    if let Some(policy) = policy {
        command.push_str(&format!(" --policy '{policy}'"));
    }
    command
}

/// What [`run`] starts from: the scenario with every override applied, and its output files, opened.
struct Prepared {
    scenario: scenario::Scenario,
    json_out: Option<Output>,
    trace_out: Option<Output>,
}

/// Everything `sksim run FILE` checks before it runs: the output paths, the file, the overrides, the memory.
fn prepare_run(file: &Path, args: &RunArgs) -> Result<Prepared, Failure> {
    let outputs: Vec<(&str, &Path)> = [("--out", &args.out), ("--trace", &args.trace)]
        .into_iter()
        .filter_map(|(flag, path)| path.as_deref().map(|p| (flag, p)))
        .collect();
    distinct_outputs(&[file], &outputs)?;
    let scenario = scenario::load(file).map_err(|e| Failure::BadInput(e.to_string()))?;
    let overrides = Overrides {
        seed: args.overrides.seed,
        implementation: args.overrides.implementation.clone(),
        policy: args.policy.as_deref().map(parse_policy).transpose()?,
    };
    let mut scenario = scenario.with_overrides(&overrides)?;
    args.execution.apply(&mut scenario.config);
    let json_out = args
        .out
        .as_deref()
        .map(|path| Output::open(path, "JSON report"))
        .transpose()?;
    let trace_out = args
        .trace
        .as_deref()
        .map(|path| Output::open(path, "trace"))
        .transpose()?;
    // A run that cannot fit is refused before anything is printed (the runner checks again, for every caller).
    crate::resources::check_fits(&scenario.config).map_err(Failure::BadInput)?;
    Ok(Prepared {
        scenario,
        json_out,
        trace_out,
    })
}

fn run(file: &Path, args: &RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let Prepared {
        scenario,
        json_out,
        trace_out,
    } = prepare_run(file, args)?;
    let parameters = header(&scenario, &file.display().to_string());
    match args.format {
        Format::Table => writeln!(out, "{parameters}").map_err(io_failed)?,
        Format::Json => write!(err, "{parameters}").map_err(io_failed)?,
    }
    let spinner = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    spinner.set_message(format!("simulating {}", scenario.name));
    // determinism: the spinner redraws on a timer thread, on stderr and only on a terminal; nothing it does
    // reaches the run, its trace or its report.
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let (outcome, performance) = Performance::measure(
        || run_scenario(&scenario, args.trace.is_some()),
        |outcome| outcome.as_ref().map_or(0, |o| o.report.counts.deliveries),
    );
    spinner.finish_and_clear();
    let outcome = outcome?;
    let performance = performance.with_memo(args.execution.memo());
    let mut report = JsonReport::new(&scenario, &outcome);
    report.performance = Some(performance);
    let json = report.to_json();
    match args.format {
        Format::Table => write!(out, "{}", report.to_table()).map_err(io_failed)?,
        Format::Json => out.write_all(json.as_bytes()).map_err(io_failed)?,
    }
    if let Some(output) = json_out {
        output.write(&json)?;
    }
    if let (Some(output), Some(lines)) = (trace_out, &outcome.trace) {
        output.write(&lines.concat())?;
    }
    // Timings differ from run to run: on stderr, so that the table on stdout is the same bytes every time.
    writeln!(err, "ran in {}", performance.summary()).map_err(io_failed)?;
    let summary: &mut dyn Write = match args.format {
        Format::Table => out,
        Format::Json => err,
    };
    write_verdict(summary, file, args, &scenario, &outcome)
}

/// The end of `sksim run FILE`: the expectations met, or those not met and the command that reproduces the run;
/// returns the exit status.
fn write_verdict(
    summary: &mut dyn Write,
    file: &Path,
    args: &RunArgs,
    scenario: &scenario::Scenario,
    outcome: &crate::runner::Outcome,
) -> Result<u8, Failure> {
    if outcome.expectations_met() {
        let judged = if scenario.expect.explicit {
            "the expectations of the scenario are met"
        } else {
            "every applicable invariant holds, as expected"
        };
        writeln!(summary, "\n{judged}; trace {}", outcome.report.trace_hash).map_err(io_failed)?;
        return Ok(EXIT_OK);
    }
    writeln!(summary, "\nEXPECTATIONS NOT MET:").map_err(io_failed)?;
    for mismatch in &outcome.mismatches {
        writeln!(summary, "  - {mismatch}").map_err(io_failed)?;
    }
    let command = reproduction(
        file,
        scenario.config.seed,
        args.overrides.implementation.as_deref(),
        args.policy.as_deref(),
    );
    writeln!(summary, "reproduce with: {command}").map_err(io_failed)?;
    Ok(not_met_status(&outcome.unexpected))
}

/// The files `sksim run` was given, directories replaced by their `*.toml` files in name order.
fn scenario_files(given: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for path in given {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| {
            Failure::BadInput(format!("could not read the directory {}: {e}", path.display()))
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect();
        if found.is_empty() {
            return Err(Failure::BadInput(format!(
                "{} holds no scenario file (`*.toml`)",
                path.display()
            )));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// One file's result in `sksim run FILE...`.
struct FileResult {
    file: PathBuf,
    status: u8,
    implementation: String,
    verdict: String,
    report: Option<JsonReport>,
}

/// `sksim run` on several files: each is loaded and run as `run` does; one line each as it finishes (in the
/// order given), then a summary table. The exit status is the most severe of theirs ([`most_severe`]).
fn run_many(
    files: &[PathBuf],
    args: &RunArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Failure> {
    if args.trace.is_some() {
        return Err(Failure::BadInput(
            "--trace writes the trace of one run: give one scenario file with it".to_owned(),
        ));
    }
    if let Some(path) = &args.out {
        let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        distinct_outputs(&inputs, &[("--out", path)])?;
    }
    let json_out = args
        .out
        .as_deref()
        .map(|path| Output::open(path, "JSON reports"))
        .transpose()?;
    let policy_override = args.policy.as_deref().map(parse_policy).transpose()?;
    if let Some(text) = &args.overrides.implementation {
        crate::scenario::ImplementationSpec::parse(text)
            .map_err(|e| Failure::BadInput(format!("--impl: {e}")))?;
    }
    writeln!(err, "running {} scenario files", files.len()).map_err(io_failed)?;
    let bar = progress_bar(files.len() as u64, "scenarios");
    let mut results = Vec::with_capacity(files.len());
    for file in files {
        let result = run_one_of_many(file, args, policy_override);
        bar.inc(1);
        bar.suspend(|| -> Result<(), Failure> {
            let line = format!("{}: {}", result.file.display(), result.verdict);
            match args.format {
                Format::Table => writeln!(out, "{line}").map_err(io_failed),
                Format::Json => writeln!(err, "{line}").map_err(io_failed),
            }
        })?;
        results.push(result);
    }
    bar.finish_and_clear();
    let status = most_severe(results.iter().map(|r| r.status));
    let json = many_json(&results)?;
    match args.format {
        Format::Table => write!(out, "\n{}", summary_table(&results)).map_err(io_failed)?,
        Format::Json => out.write_all(json.as_bytes()).map_err(io_failed)?,
    }
    if let Some(output) = json_out {
        output.write(&json)?;
    }
    let summary: &mut dyn Write = match args.format {
        Format::Table => out,
        Format::Json => err,
    };
    writeln!(summary, "\n{}", many_summary(&results, args.overrides.seed)).map_err(io_failed)?;
    Ok(status)
}

/// The JSON of `sksim run FILE...`: one entry per file, in the order run — the file, the exit status it alone
/// would give, and its report (or, when it did not run, why).
fn many_json(results: &[FileResult]) -> Result<String, Failure> {
    let entries: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            serde_json::json!({
                "file": r.file.display().to_string(),
                "status": r.status,
                "report": r.report,
                "error": if r.report.is_none() { Some(&r.verdict) } else { None },
            })
        })
        .collect();
    let json = serde_json::to_string_pretty(&entries)
        .map_err(|e| Failure::Harness(format!("could not serialise: {e}")))?;
    Ok(format!("{json}\n"))
}

/// The last line of `sksim run FILE...`: how many files gave each status.
fn many_summary(results: &[FileResult], seed: Option<u64>) -> String {
    let counted = |s: u8| results.iter().filter(|r| r.status == s).count();
    format!(
        "{} files: {} met their expectations, {} did not, {} refused, {} failed the harness{}",
        results.len(),
        counted(EXIT_OK),
        results.len() - counted(EXIT_OK) - counted(EXIT_BAD_INPUT) - counted(EXIT_HARNESS),
        counted(EXIT_BAD_INPUT),
        counted(EXIT_HARNESS),
        seed.map_or_else(String::new, |s| format!(" (seed {s})"))
    )
}

/// Loads and runs one of several files; never fails, the result says how it went.
fn run_one_of_many(file: &Path, args: &RunArgs, policy: Option<Policy>) -> FileResult {
    let failed = |status: u8, implementation: String, verdict: String| FileResult {
        file: file.to_owned(),
        status,
        implementation,
        verdict,
        report: None,
    };
    let scenario = match scenario::load(file) {
        Ok(scenario) => scenario,
        Err(e) => return failed(EXIT_BAD_INPUT, String::new(), format!("refused: {e}")),
    };
    let overrides = Overrides {
        seed: args.overrides.seed,
        implementation: args.overrides.implementation.clone(),
        policy,
    };
    let mut scenario = match scenario.with_overrides(&overrides) {
        Ok(scenario) => scenario,
        Err(e) => return failed(EXIT_BAD_INPUT, String::new(), format!("refused: {e}")),
    };
    args.execution.apply(&mut scenario.config);
    let name = scenario.implementation.to_string();
    let outcome = match run_scenario(&scenario, false) {
        Ok(outcome) => outcome,
        Err(RunError::BadInput(e)) => return failed(EXIT_BAD_INPUT, name, format!("refused: {e}")),
        Err(RunError::Harness(e)) => return failed(EXIT_HARNESS, name, format!("the harness failed: {e}")),
    };
    let report = JsonReport::new(&scenario, &outcome);
    let violated = outcome.report.violated();
    let (status, verdict) = if outcome.expectations_met() {
        let what = if violated.is_empty() {
            "nothing violated".to_owned()
        } else {
            format!("violated as expected: {}", crate::output::names(&violated))
        };
        (EXIT_OK, format!("expectations met ({what})"))
    } else {
        let command = reproduction(
            file,
            scenario.config.seed,
            args.overrides.implementation.as_deref(),
            args.policy.as_deref(),
        );
        (
            not_met_status(&outcome.unexpected),
            format!(
                "EXPECTATIONS NOT MET\n  - {}\n  reproduce with: {command}",
                outcome.mismatches.join("\n  - ")
            ),
        )
    };
    FileResult {
        file: file.to_owned(),
        status,
        implementation: name,
        verdict,
        report: Some(report),
    }
}

/// The summary of `sksim run FILE...`: one row per file.
fn summary_table(results: &[FileResult]) -> String {
    #[derive(tabled::Tabled)]
    struct Row {
        file: String,
        implementation: String,
        result: &'static str,
        violated: String,
    }
    let rows = results.iter().map(|r| Row {
        file: r.file.display().to_string(),
        implementation: r.implementation.clone(),
        result: match r.status {
            EXIT_OK => "met",
            EXIT_BAD_INPUT => "refused",
            EXIT_HARNESS => "harness failed",
            _ => "NOT MET",
        },
        violated: r
            .report
            .as_ref()
            .map(|report| {
                report
                    .invariants
                    .iter()
                    .filter(|i| i.status == "violated")
                    .map(|i| i.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
    });
    format!(
        "{}\n",
        tabled::Table::new(rows).with(tabled::settings::Style::sharp())
    )
}

/// `n` and the noun, singular for exactly one: "1 policy", "4 policies".
fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A progress bar on stderr for `total` steps; hidden when stderr is not a terminal.
pub fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
        .map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// `compare`'s refusals of its arguments alone, before any file is read: an empty seed range, `--per-seed` as a
/// table.
fn check_compare_args(args: &CompareArgs) -> Result<(), Failure> {
    if args.seeds.is_empty() {
        let (a, b) = (args.seeds.start, args.seeds.end);
        return Err(Failure::BadInput(format!(
            "--seeds {a}..{b}: the range is empty (the end is excluded: write e.g. {a}..{})",
            a.saturating_add(1)
        )));
    }
    if args.per_seed && args.format == CompareFormat::Table {
        return Err(Failure::BadInput(
            "--per-seed prints one record per run as CSV or JSON: add --format csv or --format json"
                .to_owned(),
        ));
    }
    Ok(())
}

fn compare(args: &CompareArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    check_compare_args(args)?;
    let plot_out = match &args.plot {
        Some(path) => {
            crate::compare::check_plot_path(path).map_err(Failure::BadInput)?;
            distinct_outputs(&[&args.file], &[("--plot", path)])?;
            Some(Output::open(path, "plot")?)
        }
        None => None,
    };
    let mut scenario = scenario::load(&args.file).map_err(|e| Failure::BadInput(e.to_string()))?;
    args.execution.apply(&mut scenario.config);
    let policies = args
        .policies
        .iter()
        .map(|p| parse_policy(p))
        .collect::<Result<Vec<_>, _>>()?;
    let runs = args.seeds.end - args.seeds.start;
    let (policy_count, implementation_count) = (policies.len().max(1), args.implementations.len().max(1));
    let runs = runs.saturating_mul((policy_count * implementation_count) as u64);
    writeln!(
        err,
        "comparing {} × {} over seeds {}..{} ({}) of {}",
        count(policy_count as u64, "policy", "policies"),
        count(implementation_count as u64, "implementation", "implementations"),
        args.seeds.start,
        args.seeds.end,
        count(runs, "run", "runs"),
        args.file.display()
    )
    .map_err(io_failed)?;
    let comparison_request = crate::compare::Request {
        scenario,
        policies,
        implementations: args.implementations.clone(),
        seeds: args.seeds.clone(),
    };
    let bar = progress_bar(runs, "runs");
    let tick = || bar.inc(1);
    let comparison = on_threads(args.jobs.jobs, || {
        crate::compare::compare(&comparison_request, &tick)
    });
    bar.finish_and_clear();
    let comparison = comparison??;
    let text = match (args.format, args.per_seed) {
        (CompareFormat::Table, _) => crate::compare::render_table(&comparison),
        (CompareFormat::Json, false) => crate::compare::render_json(&comparison),
        (CompareFormat::Json, true) => crate::compare::render_json_per_seed(&comparison),
        (CompareFormat::Csv, false) => crate::compare::render_csv(&comparison),
        (CompareFormat::Csv, true) => crate::compare::render_csv_per_seed(&comparison),
    };
    out.write_all(text.as_bytes()).map_err(io_failed)?;
    if let (Some(output), Some(path)) = (plot_out, &args.plot) {
        let plot = crate::compare::render_svg(&comparison).map_err(Failure::Harness)?;
        output.write(&plot.svg)?;
        for warning in plot.warnings {
            writeln!(err, "warning: {warning}").map_err(io_failed)?;
        }
        writeln!(err, "plot written to {}", path.display()).map_err(io_failed)?;
    }
    Ok(EXIT_OK)
}

fn shrink_command(args: &ShrinkArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let (file, path) = (args.file.as_path(), args.out.as_deref());
    // Every argument is checked before anything runs.
    let named = args
        .invariant
        .as_deref()
        .map(crate::shrink::invariant_named)
        .transpose()?;
    if let Some(path) = path {
        distinct_outputs(&[file], &[("--out", path)])?;
    }
    let shrunk_out = path
        .map(|path| Output::open(path, "shrunk scenario"))
        .transpose()?;
    let scenario = scenario::load(file).map_err(|e| Failure::BadInput(e.to_string()))?;
    let overrides = Overrides {
        seed: args.overrides.seed,
        implementation: args.overrides.implementation.clone(),
        policy: None,
    };
    let scenario = scenario.with_overrides(&overrides)?;
    let invariant = match named {
        Some(name) => name,
        None => match shrink_target(file, &scenario, err)? {
            Some(name) => name,
            None => return Ok(EXIT_OK),
        },
    };
    writeln!(
        err,
        "shrinking {} (seed {}) while `{invariant}` stays violated",
        file.display(),
        scenario.config.seed
    )
    .map_err(io_failed)?;
    let spinner = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let seen = |s: &scenario::Scenario| {
        spinner.set_message(format!(
            "{} members, {} events, {} messages/member/h, {}",
            s.config.members,
            s.config.actions.len(),
            s.config.messages_per_member_per_hour,
            crate::time::format_duration(s.config.duration)
        ));
        spinner.tick();
    };
    let shrunk = crate::shrink::shrink(&scenario, invariant.name(), &seen);
    spinner.finish_and_clear();
    let shrunk = shrunk?;
    let text = shrunk.scenario.to_toml();
    match shrunk_out {
        Some(output) => output.write(&text)?,
        None => out.write_all(text.as_bytes()).map_err(io_failed)?,
    }
    write_shrunk(&scenario, &shrunk, path, err)
}

/// The invariant `sksim shrink` without `--invariant` shrinks for: the first violation the expectations do not
/// allow (said on `err`), or `None`, having said why there is nothing to shrink.
fn shrink_target(
    file: &Path,
    scenario: &scenario::Scenario,
    err: &mut dyn Write,
) -> Result<Option<crate::checkers::Invariant>, Failure> {
    match crate::shrink::default_target(scenario)? {
        crate::shrink::Target::Unexpected(name) => {
            writeln!(
                err,
                "`{name}` is violated and {}'s expectations do not allow it: shrinking for it",
                file.display()
            )
            .map_err(io_failed)?;
            Ok(Some(name))
        }
        crate::shrink::Target::NothingUnexpected(violated) => {
            let what = if violated.is_empty() {
                "no invariant is violated".to_owned()
            } else {
                format!(
                    "every violation is one its expectations allow ({}); name one with --invariant to shrink \
                     it anyway",
                    crate::output::names(&violated)
                )
            };
            writeln!(
                err,
                "nothing to shrink: with seed {}, {} meets its expectations and {what}",
                scenario.config.seed,
                file.display(),
            )
            .map_err(io_failed)?;
            Ok(None)
        }
    }
}

/// The last line of `sksim shrink`: how much it shrank, and how to check the result (written to `path`, or to
/// stdout without one).
fn write_shrunk(
    scenario: &scenario::Scenario,
    shrunk: &crate::shrink::Shrunk,
    path: Option<&Path>,
    err: &mut dyn Write,
) -> Result<u8, Failure> {
    let c = &shrunk.scenario.config;
    let check = match path {
        Some(path) => format!("check it with `sksim run {}`", path.display()),
        None => "save it (e.g. `sksim shrink ... > minimal.toml`) and check it with `sksim run minimal.toml`"
            .to_owned(),
    };
    writeln!(
        err,
        "shrunk in {} runs{}: {} → {} members, {} → {} events; {check}",
        shrunk.runs,
        if shrunk.budget_exhausted {
            " (run budget spent; the result may shrink further if you shrink it again)"
        } else {
            ""
        },
        scenario.config.members,
        c.members,
        scenario.config.actions.len(),
        c.actions.len(),
    )
    .map_err(io_failed)?;
    Ok(EXIT_OK)
}

/// The file a shard's result is written to.
fn sweep_result_path(dir: &Path, seeds: &std::ops::Range<u64>, shard: crate::sweep::Shard) -> PathBuf {
    dir.join(format!(
        "sweep-{}-{}-shard-{}-of-{}.json",
        seeds.start, seeds.end, shard.index, shard.count
    ))
}

/// Runs `work` on a pool of `jobs` threads, or on rayon's global pool (one thread per core) without `--jobs`.
fn on_threads<T: Send>(jobs: Option<u16>, work: impl FnOnce() -> T + Send) -> Result<T, Failure> {
    match jobs {
        None => Ok(work()),
        Some(jobs) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build()
            .map_err(|e| {
                Failure::Harness(format!(
                    "could not start {jobs} threads: {e} (try a smaller --jobs)"
                ))
            })?
            .install(work)),
    }
}

/// Prints a sweep's (or a merge's) failures and summary; returns the exit status.
fn report_sweep(result: &crate::sweep::SweepResult, out: &mut dyn Write) -> Result<u8, Failure> {
    let failures: Vec<_> = result.failures().collect();
    for run in &failures {
        writeln!(
            out,
            "seed {}: unexpected {} (violated: {})\n  reproduce: {}",
            run.seed,
            run.unexpected.join(", "),
            run.violated.join(", "),
            result.reproduction(run)
        )
        .map_err(io_failed)?;
    }
    let violated_as_documented = result
        .runs
        .iter()
        .filter(|r| !r.violated.is_empty() && r.unexpected.is_empty())
        .count();
    writeln!(
        out,
        "{} seeds of {}..{} (shard {}/{}) on {}: {} failed, {} violated only what the implementation is documented to \
         violate, {} violated nothing",
        result.runs.len(),
        result.seeds.0,
        result.seeds.1,
        result.shard.0,
        result.shard.1,
        result.implementation,
        failures.len(),
        violated_as_documented,
        result.runs.len() - failures.len() - violated_as_documented
    )
    .map_err(io_failed)?;
    let unexpected: Vec<crate::checkers::Invariant> = failures
        .iter()
        .flat_map(|run| &run.unexpected)
        .filter_map(|name| crate::checkers::Invariant::named(name))
        .collect();
    Ok(if failures.is_empty() {
        EXIT_OK
    } else {
        not_met_status(&unexpected)
    })
}

fn sweep_command(args: &SweepArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let budget_us =
        crate::time::parse_duration(&args.budget).map_err(|e| Failure::BadInput(format!("--budget: {e}")))?;
    let request = crate::sweep::SweepRequest {
        seeds: args.seeds.clone(),
        shard: args.shard,
        implementation: args.implementation.clone(),
        budget_us,
    };
    let dir = &args.dir;
    // The output directory and the result file are made before the run, so that a bad path costs nothing.
    std::fs::create_dir_all(dir).map_err(|e| {
        Failure::BadInput(format!(
            "--out {}: cannot create the directory: {e}; nothing was run",
            dir.display()
        ))
    })?;
    let result_out = Output::open(&sweep_result_path(dir, &args.seeds, args.shard), "sweep result")?;
    let total = args.shard.seeds(args.seeds.clone()).count() as u64;
    writeln!(
        err,
        "sweeping {total} seeds (shard {}) into {}",
        args.shard,
        dir.display()
    )
    .map_err(io_failed)?;
    let bar = progress_bar(total, "seeds");
    let tick = || bar.inc(1);
    // The seeds run on rayon's pool — a pool of `--jobs` threads when given — and come back in seed order, so
    // everything below is the same whatever the thread count.
    let result = on_threads(args.jobs.jobs, || crate::sweep::sweep(&request, &tick));
    bar.finish_and_clear();
    let result = result??;
    for run in result.failures() {
        let scenario = result.scenario(run).map_err(Failure::Harness)?;
        let path = crate::sweep::write_failure(dir, &scenario)
            .map_err(|e| Failure::BadInput(format!("could not write into {}: {e}", dir.display())))?;
        writeln!(err, "wrote {}", path.display()).map_err(io_failed)?;
    }
    let json = serde_json::to_string_pretty(&result)
        .map_err(|e| Failure::Harness(format!("could not serialise the result: {e}")))?;
    result_out.write(&format!("{json}\n"))?;
    writeln!(
        err,
        "result written to {}",
        sweep_result_path(dir, &args.seeds, args.shard).display()
    )
    .map_err(io_failed)?;
    report_sweep(&result, out)
}

fn merge_command(files: &[PathBuf], path: Option<&Path>, out: &mut dyn Write) -> Result<u8, Failure> {
    if let Some(path) = path {
        let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        distinct_outputs(&inputs, &[("--out", path)])?;
    }
    let merged_out = path.map(|path| Output::open(path, "merged result")).transpose()?;
    let mut parts = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::BadInput(format!("could not read {}: {e}", file.display())))?;
        let part: crate::sweep::SweepResult = serde_json::from_str(&text)
            .map_err(|e| Failure::BadInput(format!("{}: not a sweep result: {e}", file.display())))?;
        parts.push(part);
    }
    let merged = crate::sweep::merge(&parts).map_err(Failure::BadInput)?;
    if let Some(output) = merged_out {
        let json = serde_json::to_string_pretty(&merged)
            .map_err(|e| Failure::Harness(format!("could not serialise the result: {e}")))?;
        output.write(&format!("{json}\n"))?;
    }
    report_sweep(&merged, out)
}

fn check(given: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let mut status = EXIT_OK;
    for file in &scenario_files(given)? {
        match scenario::load(file) {
            Ok(s) => {
                if let Err(refusal) = crate::resources::check_fits(&s.config) {
                    writeln!(
                        err,
                        "{}: valid, but it cannot run here: {refusal}",
                        file.display()
                    )
                    .map_err(io_failed)?;
                    status = EXIT_BAD_INPUT;
                    continue;
                }
                writeln!(
                    out,
                    "{}: ok — {} ({}, {} members, {} events)",
                    file.display(),
                    s.name,
                    s.implementation,
                    s.config.members,
                    s.config.actions.len()
                )
                .map_err(io_failed)?;
            }
            Err(e) => {
                writeln!(err, "{e}").map_err(io_failed)?;
                status = EXIT_BAD_INPUT;
            }
        }
    }
    Ok(status)
}

/// Implementations, with one line each: the built-ins from their registry, the reference's other suites, and
/// external adapters.
pub fn implementations() -> Vec<(&'static str, &'static str)> {
    let mut list: Vec<(&str, &str)> = crate::implementations::registry::BUILT_INS
        .iter()
        .map(|b| (b.name, b.description))
        .collect();
    list.insert(1, ("reference/<suite>", "the same, speaking another suite"));
    list.push((
        "external:COMMAND",
        "your own implementation: an adapter program speaking docs/external-protocol.md, e.g. 'external:python3 my_adapter.py'",
    ));
    list
}

/// Suites, with one line each.
pub const SUITES: [(&str, &str); 5] = [
    (
        "accord",
        "HMAC-SHA256 chain, AES-256-GCM, Ed25519 over iv‖ct, JSON envelope",
    ),
    (
        "chatalot",
        "HKDF-SHA256 chain, ChaCha20-Poly1305, unsigned, JSON envelope",
    ),
    ("p2p", "HMAC-SHA256 chain, AES-256-GCM, Ed25519 over ct, protobuf"),
    (
        "signal",
        "libsignal's group cipher: AES-256-CBC, Ed25519 over the message (XEdDSA modelled)",
    ),
    (
        "hardened",
        "this project's: AES-256-GCM with the whole header as AAD, signature over every byte",
    ),
];

/// Policy components, with one line each; combine them with `+`.
pub const POLICIES: [(&str, &str); 5] = [
    ("never", "nobody rotates"),
    (
        "on-removal",
        "everyone rotates when a member is removed or leaves",
    ),
    ("on-membership-change", "everyone rotates on joins too"),
    (
        "every-messages:N",
        "a sender rotates after N messages under one key",
    ),
    (
        "every-time:T",
        "a sender rotates once its key is T old (e.g. 24h)",
    ),
];

/// Attacks, with one line each.
pub const ATTACKS: [(&str, &str); 11] = [
    (
        "forge",
        "the server: a random envelope in the target's name; an insider: a message written with its copy of the target's \
         chain (its own: a jump along its own chain); `ahead` and `repeat` for forgeries inside the window and past it",
    ),
    (
        "tamper",
        "a captured envelope of the target with one bit flipped, or the named `mutation`",
    ),
    (
        "resplit",
        "a captured envelope with a byte moved between nonce and ciphertext",
    ),
    ("replay", "the target's first envelope delivered again"),
    (
        "far-future",
        "a captured envelope with its iteration moved 30,000 ahead",
    ),
    ("inject-plaintext", "plain text injected as the target's message"),
    ("add-member", "the server adds a member it controls to the group"),
    (
        "stale-distribution",
        "the server re-delivers the target's first distribution, then replays its first envelope",
    ),
    (
        "forward-fake-key",
        "an insider forwards a fake key in the target's name, then sends under it",
    ),
    (
        "tamper-in-flight",
        "the server changes the target's next envelope on its way (a mutation); the genuine copy later, earlier or never",
    ),
    (
        "bad-distribution",
        "an insider sends its own key with a mutation (wrong key length, chain near 2^32, another's key id, …)",
    ),
];

/// The mutation catalogue, one line per family, and the distribution mutations (`sksim list`).
fn mutation_lines() -> Vec<(String, String)> {
    use crate::mutations::{DistributionMutation, Family, Mutation, SPLIT_SHIFT_MAX};
    let mut lines: Vec<(String, String)> = Family::ALL
        .into_iter()
        .map(|family| {
            let names: Vec<String> = Mutation::catalogue()
                .into_iter()
                .filter(|m| m.family() == family)
                .map(Mutation::name)
                .collect();
            let text = if family == Family::Split {
                format!("split-into-nonce-N, split-into-ciphertext-N (N = 1 to {SPLIT_SHIFT_MAX})")
            } else {
                names.join(", ")
            };
            (family.name().to_owned(), text)
        })
        .collect();
    let distribution: Vec<String> = DistributionMutation::catalogue()
        .into_iter()
        .map(DistributionMutation::name)
        .collect();
    lines.push(("distribution".to_owned(), distribution.join(", ")));
    lines
}

/// The zoo's lines for `sksim list`: the base, then each bug with what it plants.
pub fn zoo_entries() -> Vec<(String, String)> {
    use crate::implementations::zoo::Bug;
    let base = format!(
        "{} ({} planted bugs, one per zoo/<bug>; docs/zoo.md)",
        crate::implementations::registry::ZOO.description,
        Bug::ALL.len()
    );
    std::iter::once(("zoo".to_owned(), base))
        .chain(Bug::ALL.map(|bug| (format!("zoo/{bug}"), bug.description().to_owned())))
        .collect()
}

fn list(out: &mut dyn Write) -> Result<u8, Failure> {
    let invariants = crate::checkers::Invariant::ALL.map(|i| (i.name(), i.description()));
    let implementations = implementations();
    debug_assert_eq!(
        ATTACKS.map(|(n, _)| n),
        crate::attacks::AttackKind::ALL.map(|k| k.name())
    );
    let mutations = mutation_lines();
    let mutations: Vec<(&str, &str)> = mutations.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect();
    let zoo_owned = zoo_entries();
    let zoo: Vec<(&str, &str)> = zoo_owned.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
    let sections: [(&str, &[(&str, &str)]); 7] = [
        ("implementations (--impl, `implementation`)", &implementations),
        (
            "the zoo of planted bugs (--impl zoo/<bug>; `sksim zoo` hunts them)",
            &zoo,
        ),
        ("suites (`suite`, reference/<suite>)", &SUITES),
        ("policies (--policy, `policy`; combine with +)", &POLICIES),
        ("attacks (`kind` of an attack event)", &ATTACKS),
        (
            "mutations by family (`mutation` of tamper, tamper-in-flight and, last line, bad-distribution; \
             families in [server] mutations)",
            &mutations,
        ),
        ("invariants (`[expect]`)", &invariants),
    ];
    for (title, entries) in sections {
        writeln!(out, "{title}:").map_err(io_failed)?;
        let width = entries.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, description) in entries {
            writeln!(out, "  {name:<width$}  {description}").map_err(io_failed)?;
        }
        writeln!(out).map_err(io_failed)?;
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_adapter_timeout_is_accepted_up_to_its_maximum_and_refused_past_it() {
        let max_us = ADAPTER_TIMEOUT_MAX.as_micros();
        assert_eq!(
            parse_adapter_timeout(&format!("{}s", ADAPTER_TIMEOUT_MAX.as_secs())),
            Ok(ADAPTER_TIMEOUT_MAX)
        );
        assert_eq!(
            parse_adapter_timeout(&format!("{max_us}us")),
            Ok(ADAPTER_TIMEOUT_MAX)
        );
        let past = parse_adapter_timeout(&format!("{}us", max_us + 1)).expect_err("past the maximum");
        assert!(
            past.contains(&format!("from 1ms to {}s", ADAPTER_TIMEOUT_MAX.as_secs())),
            "{past}"
        );
        // The other end: 1 ms.
        assert_eq!(parse_adapter_timeout("1ms"), Ok(Duration::from_millis(1)));
        assert!(parse_adapter_timeout("999us").is_err());
    }
}

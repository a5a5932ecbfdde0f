//! `sksim sweep`: swarm testing. Each seed draws a random scenario — group size, churn, faults, adversary,
//! policy — the way TigerBeetle's VOPR draws its options, runs it, and compares what it violated with what the
//! implementation is documented to violate in that scenario ([`allowed`]). Anything else is *unexpected*: a bug
//! in the implementation, in the harness, or in the documentation.
//!
//! # Drawing ([`draw`](fn@draw))
//!
//! A seed's scenario is a pure function of the seed, the implementation and the budget. The draw reads the seed's
//! [`Stream::SweepDraw`](crate::rng::Stream::SweepDraw), one of [`crate::rng`]'s streams outside a run, which
//! never coincides with a run's own streams: the scenario a seed draws and the run's randomness (the scenario's
//! `seed` is the same number) never overlap. Only integer arithmetic is used, so every machine draws the same
//! scenario for the same seed.
//!
//! Swarm testing first draws *which features are on* — joins, departures, offline periods, partitions, scripted
//! sends, scripted rotations, compromises, attacks, drops, duplicates, in-order delivery, custom latency, large
//! plaintexts, a reading server, and each policy component — each independently (most with probability 1/2), and
//! only then their parameters. Runs therefore differ in *kind*, not just in numbers: a run without drops but with
//! heavy churn finds different bugs from one with everything at once. The parameters: 2 to 64 members
//! (log-uniform; one seed in 16 draws 65 to 200), the active phase (see Budget), 1 to 240 messages per member per
//! hour (log-uniform; one seed in 8 sends only scripted messages), latency, drop and duplicate rates, the server
//! (curious or malicious when on), the policy (`on-removal` or `on-membership-change`, `every-messages:N`,
//! `every-time:T`, any combination, `never` when none), and 1 to 6 events of each kind that is on, at whole
//! seconds (whole minutes from 20 minutes on). Member numbers are chosen in time order among the members present
//! then (one time in eight among every number given out so far, so events naming a departed member occur too);
//! attacks of every kind run by the server or by an insider as each kind allows. The world drawn does not depend
//! on the implementation: every implementation's sweep of a seed faces the same scenario.
//!
//! # What may be violated ([`allowed`])
//!
//! The oracle judges what happened, not what a second model of the engine predicts: the engine records the facts
//! that trigger documented weaknesses as they happen ([`crate::facts`]: a departure, a join, a member the server
//! added, a stolen signing key used to forge, an insider forgery that ran, a full compromise after one of those,
//! a key a receiver dropped while envelopes under it were still coming and the messages lost to it), and
//! [`allowed`] reads the run's report. An invariant that did not apply in the run (its checker says
//! not-applicable) is neither allowed nor expected to hold.
//!
//! | implementation | allowed in any run | allowed when the run's facts show the cause |
//! |---|---|---|
//! | `reference/<suite>` | nothing | `server-blindness` after the server added a member (weakness 13); `authenticity` and `delivery` after a stolen signing key forged in a signed suite (weakness 12) or an insider forgery in an unsigned one (weakness 4); `post-removal-secrecy` after a departure under a policy without `on-removal` (weakness 9); `delivery` when every lost message is under a key its receiver dropped while holding 5 of the sender's keys (the retained states per sender, retired in the order they were installed) |
//! | `accord` | `replay-rejection`, `delivery` | as the reference (signed) |
//! | `chatalot` | `join-secrecy`, `server-blindness`, `authenticity`, `replay-rejection`, `failure-atomicity`, `bounded-state`, `delivery` | `post-removal-secrecy` as the reference |
//! | `p2p` | `authenticity`, `replay-rejection`, `failure-atomicity`, `bounded-state`, `delivery` | `join-secrecy` when someone joins; the rest as the reference (signed) |
//!
//! The first column is `docs/verdicts.md`'s table; every entry is justified where [`allowed`] adds it.
//!
//! # Budget
//!
//! `budget_us` (`--budget`, default [`DEFAULT_BUDGET_US`], one hour) caps the virtual length of each drawn
//! scenario's active phase: its `duration` is the budget, or (with probability 1/2) a length drawn between an
//! eighth of it and all of it. The quiet phase that follows is the scenario default (10 minutes) and is not
//! counted. The budget does not bound wall-clock time directly; the draw also caps the expected number of
//! deliveries ([`DELIVERIES_MAX`](crate::limits::DELIVERIES_MAX)) and of key distributions caused by
//! membership churn ([`CHURN_DISTRIBUTIONS_MAX`](crate::limits::CHURN_DISTRIBUTIONS_MAX)) so that no seed
//! takes much longer than the others.
//!
//! # Shards
//!
//! [`Shard`] `I/N` (0-based: `0/N` to `N-1/N`) holds the seeds `s` with `s % N == I`. Shards of one sweep run
//! on different machines; [`merge`](fn@merge) checks that every shard is there exactly once and returns the
//! same result as the unsharded sweep. Within a shard, [`sweep`] runs the seeds in parallel on the current
//! rayon pool and collects their results in seed order, so a result (and what `sksim sweep` prints and writes
//! from it) is the same for any number of threads (`--jobs`).
//!
//! # Reproducing
//!
//! A failure reproduces two ways: [`reproduction`] gives the command line that sweeps that one seed, and
//! [`write_failure`] writes the drawn scenario as `sweep-seed-N.toml`, which `sksim run` runs as it is (its
//! `[expect]`, from [`SweepResult::scenario`], holds every invariant that applied in the run and was not allowed
//! in it, so the file's mismatches are exactly the unexpected violations).
//!
//! # Layout
//!
//! This file holds the request, the results, [`sweep`] and the reproduction of a failure; `shard.rs` the shards
//! and seed ranges, `draw.rs` the draw, `oracle.rs` what may be violated ([`allowed`], [`expectations`]),
//! `merge.rs` the merge of shards.

mod draw;
mod merge;
mod oracle;
mod shard;

use core::ops::Range;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkers::{Invariant, Verdict};
use crate::limits::DURATION_MAX;
use crate::runner::{RunError, run_scenario};
use crate::scenario::{Expectations, ImplementationSpec, Scenario};
use crate::time::{HOUR_US, Micros, format_duration};

pub(crate) use draw::capped_rate;
pub use draw::draw;
pub use merge::merge;
pub(crate) use oracle::expect_nothing_yet;
pub use oracle::{allowed, expectations};
pub use shard::{Shard, parse_seeds};

/// The default `--budget`: each drawn scenario's active phase lasts at most one virtual hour.
pub const DEFAULT_BUDGET_US: Micros = HOUR_US;

/// The implementation swept when none is named.
pub const DEFAULT_IMPLEMENTATION: &str = "reference/hardened";

/// What to sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRequest {
    /// The seeds (`--seeds A..B`, B excluded); each draws one scenario.
    pub seeds: Range<u64>,
    /// Which shard of them this machine runs (`--shard I/N`).
    pub shard: Shard,
    /// The implementation (`--impl`), as [`ImplementationSpec::parse`] reads it; `None`:
    /// [`DEFAULT_IMPLEMENTATION`].
    pub implementation: Option<String>,
    /// Upper bound of each drawn scenario's active phase, in microseconds (`--budget`), 1 µs to
    /// [`DURATION_MAX`].
    pub budget_us: Micros,
}

impl SweepRequest {
    /// The whole of `seeds` on the default implementation with the default budget.
    pub fn new(seeds: Range<u64>) -> Self {
        SweepRequest {
            seeds,
            shard: Shard::ALL,
            implementation: None,
            budget_us: DEFAULT_BUDGET_US,
        }
    }

    /// The implementation to sweep.
    ///
    /// # Errors
    ///
    /// [`RunError::BadInput`] if it names no implementation or one that cannot run.
    pub fn implementation_spec(&self) -> Result<ImplementationSpec, RunError> {
        let text = self.implementation.as_deref().unwrap_or(DEFAULT_IMPLEMENTATION);
        let spec = ImplementationSpec::parse(text).map_err(|e| RunError::BadInput(format!("--impl: {e}")))?;
        spec.factory()
            .map_err(|e| RunError::BadInput(format!("--impl: {e}")))?;
        Ok(spec)
    }
}

/// What one seed gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// The run's trace hash (the same seed, implementation and budget always give the same).
    pub trace_hash: String,
    /// The invariants violated, in the threat model's order.
    pub violated: Vec<String>,
    /// Those of them [`allowed`] does not allow: the failures.
    pub unexpected: Vec<String>,
    /// The invariants that did not apply to the run (used to write a failure's `[expect]` exactly).
    #[serde(default)]
    pub not_applicable: Vec<String>,
    /// The invariants [`allowed`] allowed in the run, from what happened in it (used to write a failure's
    /// `[expect]` exactly).
    #[serde(default)]
    pub allowed: Vec<String>,
}

/// What a sweep (or one shard of it) gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepResult {
    /// The seed range swept, `(start, end)`, end excluded.
    pub seeds: (u64, u64),
    /// The shard, `(index, count)`; `(0, 1)` for a whole (or merged) sweep.
    pub shard: (u32, u32),
    /// The implementation, canonical (`reference/hardened`, `accord`, ...).
    pub implementation: String,
    /// The budget, in microseconds.
    pub budget_us: Micros,
    /// One result per seed of the shard, by increasing seed.
    pub runs: Vec<SeedResult>,
}

impl SweepResult {
    /// The runs with an unexpected violation.
    pub fn failures(&self) -> impl Iterator<Item = &SeedResult> {
        self.runs.iter().filter(|run| !run.unexpected.is_empty())
    }

    /// The command line that reproduces `run`.
    pub fn reproduction(&self, run: &SeedResult) -> String {
        reproduction(run.seed, &self.implementation, &format_duration(self.budget_us))
    }

    /// The scenario `run` drew, with its `[expect]` narrowed to the invariants that applied in the run: running
    /// it (`sksim run`) gives a mismatch for each unexpected violation and nothing else. This is what
    /// [`write_failure`] should write.
    ///
    /// # Errors
    ///
    /// A message if this result's implementation does not parse (a hand-edited file).
    pub fn scenario(&self, run: &SeedResult) -> Result<Scenario, String> {
        let spec = ImplementationSpec::parse(&self.implementation)?;
        let mut scenario = draw(run.seed, &spec, self.budget_us);
        let skip = |invariant: &Invariant| {
            run.not_applicable
                .iter()
                .chain(&run.allowed)
                .any(|name| invariant == &name.as_str())
        };
        scenario.expect = Expectations {
            hold: Invariant::ALL.into_iter().filter(|i| !skip(i)).collect(),
            violated: Vec::new(),
            explicit: true,
        };
        Ok(scenario)
    }
}

// ---- sweeping ----

/// Runs every seed of the request's shard — in parallel on the current rayon pool (install one to choose the
/// number of threads, as `sksim sweep --jobs` does), each on its own drawn scenario — and returns the results by
/// increasing seed: the result does not depend on the number of threads or the order seeds finish in.
/// `progress` is called once per finished seed, from any thread.
///
/// # Errors
///
/// [`RunError::BadInput`] for a bad implementation, budget or shard; the first (by seed) [`RunError`] of a run
/// (a drawn scenario the engine refuses, or a harness failure), with the seed and its reproduction command.
pub fn sweep(request: &SweepRequest, progress: &(dyn Fn() + Sync)) -> Result<SweepResult, RunError> {
    let spec = request.implementation_spec()?;
    if request.budget_us == 0 || request.budget_us > DURATION_MAX {
        return Err(RunError::BadInput(format!(
            "--budget must be more than 0 and at most {}, got {}",
            format_duration(DURATION_MAX),
            format_duration(request.budget_us)
        )));
    }
    let shard = Shard::new(request.shard.index, request.shard.count).map_err(RunError::BadInput)?;
    let seeds: Vec<u64> = shard.seeds(request.seeds.clone()).collect();
    let budget_us = request.budget_us;
    let outcomes: Vec<Result<SeedResult, RunError>> = seeds
        .par_iter()
        .map(|&seed| {
            let result = run_seed(seed, &spec, budget_us);
            progress();
            result
        })
        .collect();
    let mut runs = outcomes.into_iter().collect::<Result<Vec<_>, _>>()?;
    runs.sort_by_key(|run| run.seed);
    Ok(SweepResult {
        seeds: (request.seeds.start, request.seeds.end),
        shard: (shard.index, shard.count),
        implementation: spec.to_string(),
        budget_us,
        runs,
    })
}

/// Draws and runs one seed.
fn run_seed(seed: u64, spec: &ImplementationSpec, budget_us: Micros) -> Result<SeedResult, RunError> {
    let scenario = draw(seed, spec, budget_us);
    let repro = reproduction(seed, &spec.to_string(), &format_duration(budget_us));
    let outcome = run_scenario(&scenario, false).map_err(|e| match e {
        RunError::BadInput(why) => RunError::BadInput(format!(
            "seed {seed}: the drawn scenario was refused (a bug in the sweep's draw): {why} (reproduce: {repro})"
        )),
        RunError::Harness(why) => RunError::Harness(format!("seed {seed}: {why} (reproduce: {repro})")),
    })?;
    let report = &outcome.report;
    let allowed = allowed(&scenario, report);
    let names = |invariants: &mut dyn Iterator<Item = Invariant>| -> Vec<String> {
        invariants.map(|i| i.name().to_owned()).collect()
    };
    let violated = report.violated();
    let unexpected = names(&mut violated.iter().copied().filter(|i| !allowed.contains(i)));
    let not_applicable = names(
        &mut report
            .invariants
            .iter()
            .filter(|r| r.verdict == Verdict::NotApplicable)
            .map(|r| r.invariant),
    );
    Ok(SeedResult {
        seed,
        trace_hash: report.trace_hash.clone(),
        violated: names(&mut violated.into_iter()),
        unexpected,
        not_applicable,
        allowed: names(&mut allowed.into_iter()),
    })
}

/// The command line that sweeps exactly `seed`: `sksim sweep --seeds N..N+1 --impl I --budget B`.
pub fn reproduction(seed: u64, implementation: &str, budget: &str) -> String {
    format!(
        "sksim sweep --seeds {seed}..{} --impl {} --budget {}",
        seed.saturating_add(1),
        shell_word(implementation),
        shell_word(budget)
    )
}

/// `word`, quoted for a POSIX shell if it needs to be.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=+,@%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Writes `scenario` to `dir/sweep-seed-N.toml` (N its seed), creating `dir` if needed, with a comment saying
/// how to run it; returns the path.
///
/// # Errors
///
/// Whatever creating the folder or writing the file fails with.
pub fn write_failure(dir: &Path, scenario: &Scenario) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let name = format!("sweep-seed-{}.toml", scenario.config.seed);
    let path = dir.join(&name);
    // A comment ends at the end of its line: a path with a line break in it is named by its file name only.
    let shown = path.display().to_string();
    let shown = if shown.contains(char::is_control) {
        name
    } else {
        shown
    };
    let text = format!(
        "# Drawn by `sksim sweep`; a run violated an invariant the implementation is not documented to violate.\n\
         # Reproduce: sksim run {}\n\n{}",
        shell_word(&shown),
        scenario.to_toml()
    );
    std::fs::write(&path, text)?;
    Ok(path)
}

//! `sksim sweep`: swarm testing. Each seed draws a random scenario — group size, churn, faults, adversary,
//! policy — the way TigerBeetle's VOPR draws its options, runs it, and compares what it violated with what the
//! implementation is documented to violate in that scenario ([`allowed`]). Anything else is *unexpected*: a bug
//! in the implementation, in the harness, or in the documentation.
//!
//! # Drawing ([`draw`])
//!
//! A seed's scenario is a pure function of the seed, the implementation and the budget. The draw reads its own
//! ChaCha20 stream, [`DRAW_STREAM`], keyed by the seed like every stream of [`crate::rng`] but disjoint from them
//! (theirs carry a subsystem number 1–6 in the top byte, this one 0), so the scenario a seed draws and the run's
//! own randomness (the scenario's `seed` is the same number) never overlap. Only integer arithmetic is used, so
//! every machine draws the same scenario for the same seed.
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
//! deliveries ([`DELIVERIES_MAX`]) and of key distributions caused by membership churn
//! ([`CHURN_DISTRIBUTIONS_MAX`]) so that no seed takes much longer than the others.
//!
//! # Shards
//!
//! [`Shard`] `I/N` (0-based: `0/N` to `N-1/N`) holds the seeds `s` with `s % N == I`. Shards of one sweep run on
//! different machines; [`merge`] checks that every shard is there exactly once and returns the same result as the
//! unsharded sweep. Within a shard, [`sweep`] runs the seeds in parallel on the current rayon pool and collects
//! their results in seed order, so a result (and what `sksim sweep` prints and writes from it) is the same for
//! any number of threads (`--jobs`).
//!
//! # Reproducing
//!
//! A failure reproduces two ways: [`reproduction`] gives the command line that sweeps that one seed, and
//! [`write_failure`] writes the drawn scenario as `sweep-seed-N.toml`, which `sksim run` runs as it is (its
//! `[expect]`, from [`SweepResult::scenario`], holds every invariant that applied in the run and was not allowed
//! in it, so the file's mismatches are exactly the unexpected violations).

use core::fmt;
use core::ops::Range;
use core::str::FromStr;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::attacks::AttackKind;
use crate::checkers::{Invariant, Verdict};
use crate::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use crate::facts::{Fact, Facts};
use crate::implementations::registry::BuiltIn;
use crate::limits::{
    CHURN_DISTRIBUTIONS_MAX, DELIVERIES_MAX, DURATION_MAX, MEMBERS_LARGE_MAX, MEMBERS_TYPICAL_MAX, RATE_MAX,
};
use crate::network::NetworkConfig;
use crate::policy::Policy;
use crate::report::Report;
use crate::runner::{RunError, run_scenario};
use crate::scenario::{Expectations, ImplementationSpec, Scenario};
use crate::time::{HOUR_US, Micros, format_duration};

/// The ChaCha20 stream number [`draw`] reads: `"SWEEP"` in ASCII. The engine's streams have a subsystem number
/// (1 to 6) in the top byte; this one has 0 there, so it never coincides with any of them.
pub const DRAW_STREAM: u64 = 0x53_5745_4550;

/// The default `--budget`: each drawn scenario's active phase lasts at most one virtual hour.
pub const DEFAULT_BUDGET_US: Micros = HOUR_US;

/// The implementation swept when none is named.
pub const DEFAULT_IMPLEMENTATION: &str = "reference/hardened";

/// The attack kinds, in the order [`draw`] picks from.
const ATTACK_KINDS: [AttackKind; 9] = AttackKind::ALL;

// ---- shards ----

/// One of `count` shards of a sweep, numbered from 0: shard `index` holds the seeds `s` with
/// `s % count == index`. Written `INDEX/COUNT` (`2/8`); [`Shard::ALL`] (`0/1`) is the whole sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, `0..count`.
    pub index: u32,
    /// How many shards the sweep is split into, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole sweep: shard 0 of 1.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`.
    ///
    /// # Errors
    ///
    /// A message if `count` is 0 or `index` is not below `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err(format!(
                "invalid shard `{index}/{count}`: the count must be at least 1"
            ));
        }
        if index >= count {
            return Err(format!(
                "invalid shard `{index}/{count}`: the index must be below the count (shards are numbered from 0: \
                 {count} shards are 0/{count} to {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether `seed` belongs to this shard.
    pub fn contains(self, seed: u64) -> bool {
        self.count != 0 && seed % u64::from(self.count) == u64::from(self.index)
    }

    /// The seeds of `range` in this shard, in increasing order.
    pub fn seeds(self, range: Range<u64>) -> impl Iterator<Item = u64> + Clone {
        let count = u64::from(self.count.max(1));
        let offset = (u64::from(self.index) + count - range.start % count) % count;
        let first = range
            .start
            .checked_add(offset)
            .unwrap_or(range.end)
            .min(range.end);
        let step = usize::try_from(count).unwrap_or(usize::MAX);
        (first..range.end).step_by(step)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `INDEX/COUNT`, 0-based: `0/8` to `7/8`.
    fn from_str(text: &str) -> Result<Self, String> {
        let Some((index, count)) = text.split_once('/') else {
            return Err(format!(
                "invalid shard `{text}`: expected INDEX/COUNT like `2/8` (shards are numbered from 0)"
            ));
        };
        let number = |part: &str, what: &str| -> Result<u32, String> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "invalid shard `{text}`: the {what} `{part}` is not a whole number (expected INDEX/COUNT \
                     like `2/8`)"
                ));
            }
            part.parse::<u32>().map_err(|_| {
                format!(
                    "invalid shard `{text}`: the {what} `{part}` is too large (at most {})",
                    u32::MAX
                )
            })
        };
        Shard::new(number(index, "index")?, number(count, "count")?)
    }
}

/// Parses a seed range `A..B` (B excluded, A ≤ B), as `--seeds` takes it.
///
/// # Errors
///
/// A message naming what is wrong.
pub fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let Some((start, end)) = text.split_once("..") else {
        return Err(format!(
            "invalid seed range `{text}`: expected A..B like `0..1000` (B excluded)"
        ));
    };
    let number = |part: &str| -> Result<u64, String> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid seed range `{text}`: `{part}` is not a whole number (expected A..B like `0..1000`)"
            ));
        }
        part.parse::<u64>().map_err(|_| {
            format!(
                "invalid seed range `{text}`: `{part}` is too large (at most {})",
                u64::MAX
            )
        })
    };
    let (start, end) = (number(start)?, number(end)?);
    if start > end {
        return Err(format!(
            "invalid seed range `{text}`: the start is after the end (write A..B with A < B; B is excluded, so \
             `5..6` is seed 5 alone)"
        ));
    }
    Ok(start..end)
}

// ---- the request and its result ----

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

/// Combines the results of the shards of one sweep into the result of the whole sweep (shard `0/1`).
///
/// # Errors
///
/// A message if no result is given; if the parts swept different seed ranges, implementations or budgets, or were
/// split into different numbers of shards; if a shard is missing or given twice; or if a part holds seeds that are
/// not its shard's.
pub fn merge(parts: &[SweepResult]) -> Result<SweepResult, String> {
    let Some(first) = parts.first() else {
        return Err("nothing to merge: no sweep results were given".to_owned());
    };
    let (start, end) = first.seeds;
    let count = first.shard.1;
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i + 1;
        if part.seeds != first.seeds {
            return Err(format!(
                "part {n} swept seeds {}..{} but part 1 swept {start}..{end}: only shards of one sweep can be \
                 merged",
                part.seeds.0, part.seeds.1
            ));
        }
        if part.implementation != first.implementation {
            return Err(format!(
                "part {n} swept `{}` but part 1 swept `{}`: only shards of one sweep can be merged",
                part.implementation, first.implementation
            ));
        }
        if part.budget_us != first.budget_us {
            return Err(format!(
                "part {n} has budget {} but part 1 has {}: only shards of one sweep can be merged",
                format_duration(part.budget_us),
                format_duration(first.budget_us)
            ));
        }
        let shard = Shard::new(part.shard.0, part.shard.1).map_err(|e| format!("part {n}: {e}"))?;
        if shard.count != count {
            return Err(format!(
                "part {n} is shard {shard} but part 1 is shard {}/{count}: the parts split the sweep into different \
                 numbers of shards",
                first.shard.0
            ));
        }
        if let Some(earlier) = owner.insert(shard.index, n) {
            return Err(format!("shard {shard} is given twice (parts {earlier} and {n})"));
        }
        let expected: Vec<u64> = shard.seeds(start..end).collect();
        let held: Vec<u64> = part.runs.iter().map(|run| run.seed).collect();
        if held != expected {
            let stray = held.iter().find(|seed| expected.binary_search(seed).is_err());
            return Err(match stray {
                Some(seed) => format!(
                    "part {n} (shard {shard}) holds seed {seed}, which is not a seed of shard {shard} of \
                     {start}..{end}"
                ),
                None => format!(
                    "part {n} (shard {shard}) holds {} runs, but shard {shard} of {start}..{end} has {} seeds (a run \
                     is missing, repeated or out of order)",
                    held.len(),
                    expected.len()
                ),
            });
        }
    }
    if owner.len() != usize::try_from(count).unwrap_or(usize::MAX) {
        let missing: Vec<String> = (0..count)
            .filter(|index| !owner.contains_key(index))
            .take(5)
            .map(|index| format!("{index}/{count}"))
            .collect();
        let absent = u64::from(count) - owner.len() as u64;
        let more = if absent > 5 {
            format!(" and {} more", absent - 5)
        } else {
            String::new()
        };
        let given: Vec<String> = owner.keys().map(|index| format!("{index}/{count}")).collect();
        return Err(format!(
            "shard{} {}{more} {} missing (given: {})",
            if absent == 1 { "" } else { "s" },
            missing.join(", "),
            if absent == 1 { "is" } else { "are" },
            given.join(", ")
        ));
    }
    let mut runs: Vec<SeedResult> = parts.iter().flat_map(|part| part.runs.iter().cloned()).collect();
    runs.sort_by_key(|run| run.seed);
    Ok(SweepResult {
        seeds: first.seeds,
        shard: (0, 1),
        implementation: first.implementation.clone(),
        budget_us: first.budget_us,
        runs,
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

// ---- what each implementation may violate ----

/// What the run's facts (recorded by the engine as they happened) say about the causes of the documented
/// weaknesses: the oracle reads this, never a prediction from the configuration.
#[derive(Clone, Copy, Debug, Default)]
struct Happened {
    /// Someone present left or was removed.
    departure: bool,
    /// Someone joined (a scripted join, or a member the server added).
    join: bool,
    /// The server added a member it controls.
    add_member: bool,
    /// A signing key was stolen and an insider forged with it.
    signing_key_stolen: bool,
    /// An insider forged as another member.
    insider_forgery: bool,
    /// A full compromise after a stale-distribution attack ran.
    full_compromise_after_stale_distribution: bool,
    /// A full compromise after a departure.
    full_compromise_after_departure: bool,
    /// A full compromise after a join.
    full_compromise_after_join: bool,
}

impl Happened {
    fn of(facts: &Facts) -> Self {
        let full = |f: &Fact| {
            matches!(
                f,
                Fact::Compromised {
                    scope: CompromiseScope::Full,
                    ..
                }
            )
        };
        let departure = |f: &Fact| matches!(f, Fact::Departed { .. });
        let join = |f: &Fact| matches!(f, Fact::Joined { .. });
        let stale = |f: &Fact| {
            matches!(
                f,
                Fact::AttackRan {
                    kind: AttackKind::StaleDistribution,
                    ..
                }
            )
        };
        Happened {
            departure: facts.any(departure),
            join: facts.any(join),
            add_member: facts.any(|f| matches!(f, Fact::Joined { by_server: true, .. })),
            signing_key_stolen: facts.any(|f| {
                matches!(
                    f,
                    Fact::Compromised {
                        scope: CompromiseScope::SigningKey,
                        ..
                    }
                )
            }),
            insider_forgery: facts.any(|f| {
                matches!(
                    f,
                    Fact::AttackRan {
                        kind: AttackKind::Forge,
                        by: Attacker::Member(by),
                        target,
                    } if by != target
                )
            }),
            full_compromise_after_stale_distribution: facts.after(stale, full),
            full_compromise_after_departure: facts.after(departure, full),
            full_compromise_after_join: facts.after(join, full),
        }
    }
}

/// The invariants the scenario's implementation may violate in this run of it: its documented weaknesses, and the
/// threat model's inherent ones the run triggered — as the run's [`Facts`] record what happened, not as the
/// configuration predicts. A violation outside this set is unexpected.
pub fn allowed(scenario: &Scenario, report: &Report) -> BTreeSet<Invariant> {
    let mut allowed = BTreeSet::new();
    let effects = Happened::of(&report.facts);
    let signed = scenario.implementation.signs();
    // The models' design flaws, as docs/verdicts.md documents them (the table's VIOLATED cells and "Why each
    // violation happens"; the reasons are next to each entry of the registry). They are not tied to one feature of
    // the targeted scenario — e.g. Chatalot shows any undecryptable payload as text (authenticity) whatever made
    // it undecryptable — so they are allowed in any run.
    let built_in = scenario.implementation.built_in();
    allowed.extend(built_in.map_or(&[][..], |b| b.documented));
    // The peer-to-peer sketch again (docs/verdicts.md, p2p, last item): forwarded keys are the forwarders'
    // receiver copies, which lag behind messages still in flight, so a newcomer can read a message sent just
    // before it joined (`join-secrecy`, weakness 2 in another form). Only when someone joins.
    if scenario.implementation == ImplementationSpec::P2p && effects.join {
        allowed.insert(Invariant::JoinSecrecy);
    }
    // The three models (docs/verdicts.md, "Beyond the targeted scenario"): a stale distribution rewinds the
    // receiver's chain (their replay-rejection cells), so a full compromise after it opens messages the victim had
    // already consumed.
    let rewinds = matches!(
        scenario.implementation,
        ImplementationSpec::Accord | ImplementationSpec::Chatalot | ImplementationSpec::P2p
    );
    if rewinds && effects.full_compromise_after_stale_distribution {
        allowed.insert(Invariant::ForwardSecrecy);
    }
    // The peer-to-peer sketch forwards its receiver copies to newcomers, and a member back from offline forwards
    // copies that lag far behind; a newcomer that already holds a newer copy is rewound by the stale one, so a
    // full compromise after a join opens messages it had already consumed (docs/verdicts.md).
    if scenario.implementation == ImplementationSpec::P2p && effects.full_compromise_after_join {
        allowed.insert(Invariant::ForwardSecrecy);
    }
    // Chatalot (docs/verdicts.md, "Beyond the targeted scenario"): a departure wipes every receiver state and the
    // keys come back from the server's iteration-0 records, so a full compromise after it opens messages the
    // victim had already read.
    if scenario.implementation == ImplementationSpec::Chatalot && effects.full_compromise_after_departure {
        allowed.insert(Invariant::ForwardSecrecy);
    }
    // Threat model weakness 13 (docs/verdicts.md, sim/tests/attacks.rs): membership is not end-to-end
    // authenticated in any modelled design; a member the server adds is handed every key like any newcomer and
    // the server reads what follows.
    if effects.add_member {
        allowed.insert(Invariant::ServerBlindness);
    }
    // Weakness 12 (docs/verdicts.md, sim/tests/adversary.rs): a stolen signing key, with an insider's copy of the
    // victim's chain, forges in the victim's name until the victim rotates; each forgery takes the victim's next
    // iteration, so its genuine message there is refused as a duplicate (delivery). Unsigned designs have no
    // signing key to steal.
    if effects.signing_key_stolen && signed {
        allowed.extend([Invariant::Authenticity, Invariant::Delivery]);
    }
    // Weakness 4 (sim/tests/adversary.rs): without per-message signatures any member holding a sender's chain
    // writes as that sender, and the forgery costs the sender's genuine message at that iteration.
    if effects.insider_forgery && !signed {
        allowed.extend([Invariant::Authenticity, Invariant::Delivery]);
    }
    // Weakness 9: without `on-removal` (or `on-membership-change`) nobody rotates when a member leaves or is
    // removed, and the departed member's state reads on.
    if effects.departure && !scenario.config.policy.on_removal {
        allowed.insert(Invariant::PostRemovalSecrecy);
    }
    // The reference keeps at most `SENDER_STATES_MAX` (5) receiver states per sender, libsignal's limit
    // (core/src/consts.rs; README "The reference state machine"; the registry's `sender_states_max`): when one sender makes more keys than that while
    // earlier ones are still in flight — a partitioned sender's whole backlog leaves at once, a returning member
    // rotates once per membership change it missed, a burst of rotations falls within one latency window, or an
    // insider forwards fake keys that receivers install as its own — a receiver retires a key before the messages
    // under it arrive, and they are lost. Weakness 10 with a bound instead of at once. Allowed only when the run's
    // facts explain every lost message this way: each is under a key its receiver dropped while holding the
    // documented number of the sender's keys (dropping one while holding fewer, or losing a message otherwise,
    // would be a bug).
    if lost_only_at_the_bound(built_in, report) {
        allowed.insert(Invariant::Delivery);
    }
    allowed
}

/// Whether the run lost messages and every one of them is under a key its receiver dropped while holding the
/// design's documented number of keys of that sender (`sender_states_max` in the registry).
fn lost_only_at_the_bound(built_in: Option<&BuiltIn>, report: &Report) -> bool {
    let lost = report
        .invariants
        .iter()
        .find(|r| r.invariant == Invariant::Delivery)
        .map_or(0, |r| r.violations_total);
    let bound = built_in.and_then(|b| b.sender_states_max);
    let lost_at_bound = report
        .facts
        .iter()
        .filter(|f| matches!(f, Fact::LostToRetiredKey { retained, .. } if bound.is_some_and(|max| *retained >= max)))
        .count() as u64;
    lost > 0 && lost_at_bound >= lost
}

// ---- drawing ----

/// A seeded source of draws, integer arithmetic only (the same on every machine).
struct Dice(ChaCha20Rng);

impl Dice {
    fn new(seed: u64) -> Self {
        Dice(crate::rng::stream(seed, crate::rng::Stream::SweepDraw))
    }

    /// True with probability 1/`n`.
    fn one_in(&mut self, n: u32) -> bool {
        self.0.random_ratio(1, n)
    }

    fn coin(&mut self) -> bool {
        self.one_in(2)
    }

    /// Uniform in `lo..=hi` (`lo` if `hi < lo`).
    fn uniform(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.0.random_range(lo..=hi)
        }
    }

    /// Log-uniform-ish in `lo..=hi`: a power of two uniformly, then uniform within it (`lo` at least 1).
    fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let lo = lo.max(1);
        if hi <= lo {
            return lo;
        }
        let bits = self.uniform(u64::from(lo.ilog2()), u64::from(hi.ilog2()));
        let power = 1u64 << bits;
        self.uniform(power.max(lo), power.saturating_mul(2).saturating_sub(1).min(hi))
    }

    /// One of `0..len` uniformly (`len` at least 1).
    fn index(&mut self, len: usize) -> usize {
        let last = u64::try_from(len.saturating_sub(1)).unwrap_or(u64::MAX);
        usize::try_from(self.uniform(0, last)).unwrap_or(0)
    }
}

/// Which features a seed turns on (swarm testing: each independently, before any parameter is drawn).
#[derive(Clone, Copy, Debug)]
struct Features {
    large_group: bool,
    full_budget: bool,
    scripted_only: bool,
    large_plaintexts: bool,
    custom_latency: bool,
    drops: bool,
    duplicates: bool,
    in_order: bool,
    server_reads: bool,
    on_removal: bool,
    on_join: bool,
    every_messages: bool,
    every_time: bool,
    joins: bool,
    departures: bool,
    offline: bool,
    partitions: bool,
    sends: bool,
    rotations: bool,
    compromises: bool,
    attacks: bool,
}

impl Features {
    fn draw(dice: &mut Dice) -> Self {
        Features {
            large_group: dice.one_in(16),
            full_budget: dice.coin(),
            scripted_only: dice.one_in(8),
            large_plaintexts: dice.one_in(4),
            custom_latency: dice.coin(),
            drops: dice.coin(),
            duplicates: dice.coin(),
            in_order: dice.one_in(4),
            server_reads: dice.coin(),
            on_removal: dice.coin(),
            on_join: dice.coin(),
            every_messages: dice.coin(),
            every_time: dice.coin(),
            joins: dice.coin(),
            departures: dice.coin(),
            offline: dice.coin(),
            partitions: dice.coin(),
            sends: dice.coin(),
            rotations: dice.coin(),
            compromises: dice.coin(),
            attacks: dice.coin(),
        }
    }
}

/// An event before its member numbers are chosen (they depend on who exists at its time).
#[derive(Clone, Copy, Debug)]
enum Template {
    Join {
        count: usize,
    },
    Depart {
        remove: bool,
    },
    Offline {
        until: Micros,
    },
    /// Brings back the member of the `Offline` template at this index.
    Online {
        of: usize,
    },
    Partition {
        size: usize,
        until: Micros,
    },
    Send {
        count: usize,
    },
    Rotate,
    Compromise {
        scope: CompromiseScope,
        insider: bool,
    },
    Attack {
        kind: AttackKind,
        by_server: bool,
    },
}

/// The scenario `seed` draws for `implementation` with active phases of at most `budget_us` (clamped to 1 µs to
/// [`DURATION_MAX`]). Its `[expect]` is explicit: nothing must be violated, and every invariant that
/// [`allowed`] does not allow and that can apply must hold. See the module documentation.
pub fn draw(seed: u64, implementation: &ImplementationSpec, budget_us: Micros) -> Scenario {
    let budget = budget_us.clamp(1, DURATION_MAX);
    let mut dice = Dice::new(seed);
    let f = Features::draw(&mut dice);

    let members = if f.large_group {
        dice.uniform(MEMBERS_TYPICAL_MAX + 1, MEMBERS_LARGE_MAX)
    } else {
        dice.log_uniform(2, MEMBERS_TYPICAL_MAX)
    };
    let unit = time_unit(budget);
    let duration = if f.full_budget {
        budget
    } else {
        let drawn = dice.uniform((budget / 8).max(1), budget);
        match drawn - drawn % unit {
            0 => budget,
            rounded => rounded,
        }
    };
    let unit = time_unit(duration);

    let mut config = SimConfig::new(seed, usize::try_from(members).unwrap_or(2));
    config.duration = duration;
    let rate = if f.scripted_only {
        0
    } else {
        dice.log_uniform(1, RATE_MAX)
    };
    config.messages_per_member_per_hour =
        u32::try_from(capped_rate(rate, members, duration, DELIVERIES_MAX)).unwrap_or(1);
    if f.large_plaintexts {
        config.plaintext_bytes = usize::try_from(dice.log_uniform(12, 4_096)).unwrap_or(100);
    }
    config.network = draw_network(&mut dice, &f);
    if f.server_reads {
        config.server = if dice.coin() {
            ServerBehaviour::Curious
        } else {
            ServerBehaviour::Malicious
        };
    }
    config.policy = draw_policy(&mut dice, &f, duration, unit);

    let churn_events_max = (CHURN_DISTRIBUTIONS_MAX / (members * members)).max(1);
    let mut templates: Vec<(Micros, Template)> = Vec::new();
    let at = |dice: &mut Dice| dice.uniform(0, (duration - 1) / unit) * unit;
    let until = |dice: &mut Dice, at: Micros| {
        let span = dice.log_uniform(1, (duration / unit).max(1)) * unit;
        at.saturating_add(span).min(duration)
    };
    if f.joins {
        for _ in 0..dice.uniform(1, 4).min(churn_events_max) {
            let count = usize::try_from(dice.log_uniform(1, 4)).unwrap_or(1);
            templates.push((at(&mut dice), Template::Join { count }));
        }
    }
    if f.departures {
        for _ in 0..dice.uniform(1, 4).min(churn_events_max) {
            let remove = dice.coin();
            templates.push((at(&mut dice), Template::Depart { remove }));
        }
    }
    if f.offline {
        for _ in 0..dice.uniform(1, 4) {
            let start = at(&mut dice);
            let end = until(&mut dice, start);
            templates.push((start, Template::Offline { until: end }));
            // Sometimes the member comes back by itself before `until`.
            if dice.coin() && end - start > unit {
                let back = start + dice.uniform(1, (end - start - 1) / unit) * unit;
                let of = templates.len() - 1;
                templates.push((back, Template::Online { of }));
            }
        }
    }
    if f.partitions {
        for _ in 0..dice.uniform(1, 3) {
            let start = at(&mut dice);
            let size = usize::try_from(dice.log_uniform(1, 8)).unwrap_or(1);
            let end = until(&mut dice, start);
            templates.push((start, Template::Partition { size, until: end }));
        }
    }
    if f.sends {
        for _ in 0..dice.uniform(1, 6) {
            let count = usize::try_from(dice.log_uniform(1, 20)).unwrap_or(1);
            templates.push((at(&mut dice), Template::Send { count }));
        }
    }
    if f.rotations {
        for _ in 0..dice.uniform(1, 6) {
            templates.push((at(&mut dice), Template::Rotate));
        }
    }
    if f.compromises {
        for _ in 0..dice.uniform(1, 3) {
            let scope = if dice.coin() {
                CompromiseScope::Full
            } else {
                CompromiseScope::SigningKey
            };
            let insider = dice.coin();
            templates.push((at(&mut dice), Template::Compromise { scope, insider }));
        }
    }
    if f.attacks {
        for _ in 0..dice.uniform(1, 6) {
            let kind = ATTACK_KINDS[dice.index(ATTACK_KINDS.len())];
            let by_server = match kind {
                AttackKind::AddMember => true,
                AttackKind::ForwardFakeKey => false,
                _ => dice.coin(),
            };
            templates.push((at(&mut dice), Template::Attack { kind, by_server }));
        }
    }
    let actions = assign_members(&mut dice, config.members, &templates);
    // A server that attacks is malicious; what cannot happen where it was drawn (a member acting after it left,
    // `online` for a member who is not offline) is left out, as a scenario file could not say it.
    if crate::config::server_attacks(&actions) {
        config.server = ServerBehaviour::Malicious;
    }
    config.actions = crate::config::possible_only(config.members, config.server, actions);

    let mut scenario = Scenario {
        name: format!("sweep seed {seed}"),
        description: Some(format!(
            "Drawn by `sksim sweep` from seed {seed}; reproduce with `{}`. A failure's [expect] holds what \
             applied and {implementation} may not violate in the run (sksim::sweep::allowed).",
            reproduction(seed, &implementation.to_string(), &format_duration(budget_us))
        )),
        implementation: implementation.clone(),
        suite: None,
        config,
        policy_source: crate::scenario::PolicySource::File,
        expect: Expectations::default(),
    };
    scenario.expect = expect_nothing_yet();
    scenario
}

/// The `[expect]` a run of `scenario` meets exactly when its only violations are the allowed ones: explicit,
/// nothing must be violated, and every invariant that [`allowed`] does not allow and that applied in the run (its
/// checker did not say not-applicable) must hold. A failing sweep seed's file and a failing fuzz input's carry it.
pub fn expectations(scenario: &Scenario, report: &Report) -> Expectations {
    let allowed = allowed(scenario, report);
    Expectations {
        hold: Invariant::ALL
            .into_iter()
            .filter(|&i| {
                !allowed.contains(&i) && report.verdict(i).is_some_and(|v| v != Verdict::NotApplicable)
            })
            .collect(),
        violated: Vec::new(),
        explicit: true,
    }
}

/// The `[expect]` a drawn scenario carries before it runs: explicit and empty (what must hold depends on what the
/// run does; [`expectations`] says it once the run is over).
pub(crate) fn expect_nothing_yet() -> Expectations {
    Expectations {
        hold: Vec::new(),
        violated: Vec::new(),
        explicit: true,
    }
}

/// The granularity of drawn times: whole minutes from 20 minutes on, whole seconds from a second on, else µs.
fn time_unit(duration: Micros) -> Micros {
    if duration >= HOUR_US / 3 {
        60_000_000
    } else if duration >= 1_000_000 {
        1_000_000
    } else {
        1
    }
}

/// `rate`, lowered so that the workload's expected deliveries stay within `deliveries_max` (the draw's is
/// [`DELIVERIES_MAX`]; at least 1 if it was).
pub(crate) fn capped_rate(rate: u64, members: u64, duration: Micros, deliveries_max: u64) -> u64 {
    let per_message = u128::from(members) * u128::from(members.saturating_sub(1));
    let deliveries = u128::from(rate) * per_message * u128::from(duration) / u128::from(HOUR_US);
    if deliveries <= u128::from(deliveries_max) {
        return rate;
    }
    let fitting =
        u128::from(deliveries_max) * u128::from(HOUR_US) / (per_message * u128::from(duration)).max(1);
    u64::try_from(fitting).unwrap_or(rate).clamp(1, rate)
}

fn draw_network(dice: &mut Dice, f: &Features) -> NetworkConfig {
    let mut network = NetworkConfig::default();
    if f.custom_latency {
        let min_ms = if dice.one_in(8) {
            0
        } else {
            dice.log_uniform(1, 200)
        };
        let max_ms = min_ms.max(dice.log_uniform(1, 5_000));
        network.latency_min = min_ms * 1_000;
        network.latency_max = max_ms * 1_000;
    }
    if f.drops {
        network.drop_ppm = u32::try_from(dice.log_uniform(100, 200_000)).unwrap_or(0);
    }
    if f.duplicates {
        network.duplicate_ppm = u32::try_from(dice.log_uniform(100, 100_000)).unwrap_or(0);
    }
    network.reorder = !f.in_order;
    network
}

fn draw_policy(dice: &mut Dice, f: &Features, duration: Micros, unit: Micros) -> Policy {
    Policy {
        on_removal: f.on_removal,
        on_join: f.on_removal && f.on_join,
        every_messages: f.every_messages.then(|| dice.log_uniform(1, 1_000)),
        every_time: f
            .every_time
            .then(|| dice.log_uniform(1, (duration / unit).max(1)) * unit),
    }
}

/// One member number that exists by now (`present.len()` numbers given out), other than `exclude`: one still in
/// the group seven times in eight, any number ever given out otherwise (the engine must ignore those).
fn pick(dice: &mut Dice, present: &[bool], exclude: Option<usize>) -> Option<usize> {
    let anyone = dice.one_in(8);
    let pool: Vec<usize> = (0..present.len())
        .filter(|&m| Some(m) != exclude && (anyone || present[m]))
        .collect();
    let pool = if pool.is_empty() {
        (0..present.len()).filter(|&m| Some(m) != exclude).collect()
    } else {
        pool
    };
    (!pool.is_empty()).then(|| pool[dice.index(pool.len())])
}

/// Member numbers for the templates, in time order: each names a member that exists by then (see [`pick`]).
fn assign_members(dice: &mut Dice, initial: usize, templates: &[(Micros, Template)]) -> Vec<ScheduledAction> {
    let mut order: Vec<usize> = (0..templates.len()).collect();
    order.sort_by_key(|&i| templates[i].0);
    let mut present = vec![true; initial];
    let mut assigned: Vec<Option<usize>> = vec![None; templates.len()];
    let mut actions = Vec::with_capacity(templates.len());
    for i in order {
        let (at, template) = templates[i];
        let action = match template {
            Template::Join { count } => {
                present.extend(std::iter::repeat_n(true, count));
                Some(Action::Join { count })
            }
            Template::Depart { remove } => {
                let current: Vec<usize> = (0..present.len()).filter(|&m| present[m]).collect();
                // Keep at least two members in the group.
                (current.len() > 2).then(|| {
                    let member = current[dice.index(current.len())];
                    present[member] = false;
                    if remove {
                        Action::Remove { member }
                    } else {
                        Action::Leave { member }
                    }
                })
            }
            Template::Offline { until } => pick(dice, &present, None).map(|member| {
                assigned[i] = Some(member);
                Action::Offline { member, until }
            }),
            Template::Online { of } => assigned[of].map(|member| Action::Online { member }),
            Template::Partition { size, until } => {
                let mut pool: Vec<usize> = (0..present.len()).filter(|&m| present[m]).collect();
                let mut members = Vec::new();
                while members.len() < size && !pool.is_empty() {
                    members.push(pool.swap_remove(dice.index(pool.len())));
                }
                (!members.is_empty()).then_some(Action::Partition { members, until })
            }
            Template::Send { count } => {
                pick(dice, &present, None).map(|member| Action::Send { member, count })
            }
            Template::Rotate => pick(dice, &present, None).map(|member| Action::Rotate { member }),
            Template::Compromise { scope, insider } => pick(dice, &present, None).map(|member| {
                let insider = if scope == CompromiseScope::SigningKey && insider {
                    pick(dice, &present, Some(member))
                } else {
                    None
                };
                Action::Compromise {
                    member,
                    scope,
                    insider,
                }
            }),
            Template::Attack {
                kind: AttackKind::AddMember,
                ..
            } => {
                present.push(true);
                Some(Action::Attack {
                    kind: AttackKind::AddMember,
                    by: Attacker::Server,
                    target: 0,
                })
            }
            Template::Attack {
                kind,
                by_server: true,
            } => pick(dice, &present, None).map(|target| Action::Attack {
                kind,
                by: Attacker::Server,
                target,
            }),
            Template::Attack {
                kind,
                by_server: false,
            } => pick(dice, &present, None).and_then(|insider| {
                pick(dice, &present, Some(insider)).map(|target| Action::Attack {
                    kind,
                    by: Attacker::Member(insider),
                    target,
                })
            }),
        };
        if let Some(action) = action {
            actions.push(ScheduledAction { at, action });
        }
    }
    actions
}

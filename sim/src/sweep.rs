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
//! | implementation | allowed in any scenario | allowed when the scenario can trigger it |
//! |---|---|---|
//! | `reference/<suite>` | nothing | `server-blindness` after an `add-member` attack (weakness 13); `authenticity` and `delivery` after a `signing-key` compromise in a signed suite (weakness 12) or an insider `forge` in an unsigned one (weakness 4); `post-removal-secrecy` after a departure under a policy without `on-removal` (weakness 9); `delivery` when one sender can make 5 keys while earlier ones are in flight, or 6 in two bursts, a first key included (the 5 retained states per sender, retired in the order they were installed), or when an insider forwards 5 fake keys (fewer with its own bursts), which receivers install as its own |
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
//! `[expect]` holds every invariant not allowed; [`SweepResult::scenario`] narrows it to the invariants that
//! applied in the run, so the file's mismatches are exactly the unexpected violations).

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
use crate::checkers::{INVARIANTS, Verdict};
use crate::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use crate::limits::{
    CHURN_DISTRIBUTIONS_MAX, DELIVERIES_MAX, DURATION_MAX, MEMBERS_LARGE_MAX, MEMBERS_TYPICAL_MAX, RATE_MAX,
};
use crate::network::NetworkConfig;
use crate::policy::Policy;
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
        scenario
            .expect
            .hold
            .retain(|name| !run.not_applicable.iter().any(|n| n == name));
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
    let allowed = allowed(&scenario);
    let report = &outcome.report;
    let violated: Vec<String> = report.violated().into_iter().map(str::to_owned).collect();
    let unexpected = violated
        .iter()
        .filter(|name| !allowed.contains(name.as_str()))
        .cloned()
        .collect();
    let not_applicable = report
        .invariants
        .iter()
        .filter(|r| r.verdict == Verdict::NotApplicable)
        .map(|r| r.invariant.to_owned())
        .collect();
    Ok(SeedResult {
        seed,
        trace_hash: report.trace_hash.clone(),
        violated,
        unexpected,
        not_applicable,
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

/// What a scenario's scripted events can do, walked in time order with who is present (the engine ignores an
/// event whose member has left, and a departure of someone already gone).
#[derive(Clone, Copy, Debug, Default)]
struct Effects {
    /// Someone present leaves or is removed.
    departure: bool,
    /// Someone joins (a scripted join, or a member the server adds).
    join: bool,
    /// The server adds a member it controls.
    add_member: bool,
    /// A present member's full state is compromised.
    full_compromise: bool,
    /// A present member's signing key is stolen.
    signing_key_compromise: bool,
    /// A present member forges as another (an insider `forge` attack).
    insider_forgery: bool,
    /// An attack that delivers crafted inputs every receiver must judge runs (all but `add-member`).
    crafted_inputs: bool,
    /// The server reads what it relays: curious or malicious, or it attacks.
    server_reads: bool,
    /// A full compromise after a stale-distribution attack ran.
    full_compromise_after_stale_distribution: bool,
    /// A full compromise after a departure.
    full_compromise_after_departure: bool,
    /// A full compromise after a join.
    full_compromise_after_join: bool,
}

fn effects(config: &SimConfig) -> Effects {
    let mut effects = Effects {
        server_reads: config.server.reads(),
        ..Effects::default()
    };
    let mut present = vec![true; config.members];
    let mut stale_seen = false;
    let is_present = |present: &[bool], member: usize| present.get(member).copied().unwrap_or(false);
    let mut actions: Vec<&ScheduledAction> = config.actions.iter().collect();
    actions.sort_by_key(|scheduled| scheduled.at);
    for scheduled in actions {
        match &scheduled.action {
            Action::Join { count } => {
                present.extend(std::iter::repeat_n(true, *count));
                effects.join |= *count > 0;
            }
            Action::Leave { member } | Action::Remove { member } if is_present(&present, *member) => {
                present[*member] = false;
                effects.departure = true;
            }
            Action::Compromise { member, scope, .. } if is_present(&present, *member) => match scope {
                CompromiseScope::Full => {
                    effects.full_compromise = true;
                    effects.full_compromise_after_stale_distribution |= stale_seen;
                    effects.full_compromise_after_departure |= effects.departure;
                    effects.full_compromise_after_join |= effects.join;
                }
                CompromiseScope::SigningKey => effects.signing_key_compromise = true,
            },
            Action::Attack { kind, by, target } => {
                let attacker = match by {
                    Attacker::Server => {
                        effects.server_reads = true;
                        None
                    }
                    Attacker::Member(member) => Some(*member),
                };
                if attacker.is_some_and(|m| !is_present(&present, m)) || *target >= present.len() {
                    continue; // the engine skips the attack
                }
                match kind {
                    AttackKind::AddMember => {
                        present.push(true);
                        effects.join = true;
                        effects.add_member = true;
                    }
                    AttackKind::StaleDistribution => {
                        stale_seen = true;
                        effects.crafted_inputs = true;
                    }
                    AttackKind::Forge if attacker.is_some_and(|m| m != *target) => {
                        effects.insider_forgery = true;
                        effects.crafted_inputs = true;
                    }
                    _ => effects.crafted_inputs = true,
                }
            }
            _ => {}
        }
    }
    effects
}

/// Whether the implementation signs every message (so a stolen signing key forges, and an insider's own key does
/// not).
fn signs_messages(implementation: &ImplementationSpec) -> bool {
    match implementation {
        ImplementationSpec::Reference(suite) => suite.is_signed(),
        // Accord signs nonce ‖ ciphertext (its §7), the peer-to-peer sketch the ciphertext (its Step 4).
        ImplementationSpec::Accord | ImplementationSpec::P2p => true,
        // Chatalot's messages are unsigned ("Tradeoffs"; threat model weakness 4).
        ImplementationSpec::Chatalot => false,
        // Unknown: assume signed, which allows the least for insiders.
        ImplementationSpec::External(_) => true,
    }
}

/// The invariants the scenario's implementation may violate in this scenario: its documented weaknesses, and the
/// threat model's inherent ones this scenario can trigger. A violation outside this set is unexpected.
pub fn allowed(scenario: &Scenario) -> BTreeSet<&'static str> {
    let mut allowed = BTreeSet::new();
    let effects = effects(&scenario.config);
    let signed = signs_messages(&scenario.implementation);
    // The models' design flaws, as docs/verdicts.md documents them (the table's VIOLATED cells and "Why each
    // violation happens"). They are not tied to one feature of the targeted scenario — e.g. Chatalot shows any
    // undecryptable payload as text (authenticity) whatever made it undecryptable — so they are allowed in any
    // scenario.
    match &scenario.implementation {
        // Accord: a distribution replaces the single state per sender, so a stale one rewinds the chain
        // (replay-rejection, weakness 14); one state per sender loses messages in flight across a rotation
        // (delivery, weakness 10).
        ImplementationSpec::Accord => allowed.extend(["replay-rejection", "delivery"]),
        // Chatalot: newcomers get keys at iteration 0 (join-secrecy, weakness 2); plaintext distributions on
        // the server (server-blindness, weakness 1); plaintext fallback and no signatures (authenticity,
        // weaknesses 3 and 4); distributions replace state unchecked (replay-rejection); state advanced before
        // decryption is checked (failure-atomicity, weakness 5); no forward-jump bound (bounded-state,
        // weakness 6); departures wipe receiver states and burnt chains lose messages (delivery, 5 and 10).
        ImplementationSpec::Chatalot => allowed.extend([
            "join-secrecy",
            "server-blindness",
            "authenticity",
            "replay-rejection",
            "failure-atomicity",
            "bounded-state",
            "delivery",
        ]),
        // The peer-to-peer sketch: forwarded keys believed for whoever they name and whole sender keys
        // (signing key included) in distributions (authenticity, weakness 7); distributions replace state
        // (replay-rejection); fast-forward before the signature check (failure-atomicity, weakness 5); no bound
        // on the fast-forward (bounded-state, weakness 6); no skipped-key cache (delivery).
        ImplementationSpec::P2p => allowed.extend([
            "authenticity",
            "replay-rejection",
            "failure-atomicity",
            "bounded-state",
            "delivery",
        ]),
        ImplementationSpec::Reference(_) | ImplementationSpec::External(_) => {}
    }
    // The peer-to-peer sketch again (docs/verdicts.md, p2p, last item): forwarded keys are the forwarders'
    // receiver copies, which lag behind messages still in flight, so a newcomer can read a message sent just
    // before it joined (`join-secrecy`, weakness 2 in another form). Only when someone joins.
    if scenario.implementation == ImplementationSpec::P2p && effects.join {
        allowed.insert("join-secrecy");
    }
    // The three models (docs/verdicts.md, "Beyond the targeted scenario"): a stale distribution rewinds the
    // receiver's chain (their replay-rejection cells), so a full compromise after it opens messages the victim had
    // already consumed.
    let rewinds = matches!(
        scenario.implementation,
        ImplementationSpec::Accord | ImplementationSpec::Chatalot | ImplementationSpec::P2p
    );
    if rewinds && effects.full_compromise_after_stale_distribution {
        allowed.insert("forward-secrecy");
    }
    // The peer-to-peer sketch forwards its receiver copies to newcomers, and a member back from offline forwards
    // copies that lag far behind; a newcomer that already holds a newer copy is rewound by the stale one, so a
    // full compromise after a join opens messages it had already consumed (docs/verdicts.md).
    if scenario.implementation == ImplementationSpec::P2p && effects.full_compromise_after_join {
        allowed.insert("forward-secrecy");
    }
    // Chatalot (docs/verdicts.md, "Beyond the targeted scenario"): a departure wipes every receiver state and the
    // keys come back from the server's iteration-0 records, so a full compromise after it opens messages the
    // victim had already read.
    if scenario.implementation == ImplementationSpec::Chatalot && effects.full_compromise_after_departure {
        allowed.insert("forward-secrecy");
    }
    // Threat model weakness 13 (docs/verdicts.md, sim/tests/attacks.rs): membership is not end-to-end
    // authenticated in any modelled design; a member the server adds is handed every key like any newcomer and
    // the server reads what follows.
    if effects.add_member {
        allowed.insert("server-blindness");
    }
    // Weakness 12 (docs/verdicts.md, sim/tests/adversary.rs): a stolen signing key, with an insider's copy of the
    // victim's chain, forges in the victim's name until the victim rotates; each forgery takes the victim's next
    // iteration, so its genuine message there is refused as a duplicate (delivery). Unsigned designs have no
    // signing key to steal.
    if effects.signing_key_compromise && signed {
        allowed.extend(["authenticity", "delivery"]);
    }
    // Weakness 4 (sim/tests/adversary.rs): without per-message signatures any member holding a sender's chain
    // writes as that sender, and the forgery costs the sender's genuine message at that iteration.
    if effects.insider_forgery && !signed {
        allowed.extend(["authenticity", "delivery"]);
    }
    // Weakness 9: without `on-removal` (or `on-membership-change`) nobody rotates when a member leaves or is
    // removed, and the departed member's state reads on.
    if effects.departure && !scenario.config.policy.on_removal {
        allowed.insert("post-removal-secrecy");
    }
    // The reference keeps at most `SENDER_STATES_MAX` (5) receiver states per sender, libsignal's limit
    // (core/src/consts.rs; README "The reference state machine"): when one sender makes that many new keys while
    // its earlier ones are still in flight — a partitioned sender's whole backlog leaves at once, a returning
    // member rotates once per membership change it missed, or a burst of rotations falls within one latency
    // window — a receiver can evict (retire) a key before the messages under it arrive, and they are lost.
    // Weakness 10 with a bound instead of at once. Only when the scenario can make that many keys in one such
    // window, or an insider forwards enough fake keys, which receivers install as the insider's own.
    if matches!(scenario.implementation, ImplementationSpec::Reference(_))
        && may_outrun_retained_states(&scenario.config)
    {
        allowed.insert("delivery");
    }
    allowed
}

/// Whether some sender can make [`senderkeys::consts::SENDER_STATES_MAX`] or more new keys within one window in
/// which its output can arrive in any order: while it is cut off by a partition (everything it wrote leaves when
/// the link returns), while it is offline (it learns of the joins and departures it missed when it returns, and
/// rotates for each of them at once), or within one latency spread (`latency_max - latency_min`) from any
/// scripted event. Counts
/// every possible trigger of a rotation in the window: scripted rotations, membership changes under the policy,
/// and the messages the sender may send there (scripted, plus twice the workload's expected number and two) when
/// the policy rotates on messages or age.
///
/// A receiver retires keys in the order it *installed* them, not the order they were made: when a burst's keys
/// arrive out of order, the burst's newest key (the one the sender goes on using) can be installed first, so the
/// burst's other keys and every key of a later burst count against it. Hence also: two disjoint event windows of
/// the same sender that together hold [`SENDER_STATES_MAX`](senderkeys::consts::SENDER_STATES_MAX) + 1 keys,
/// however far apart (the key in use between them can stay in use that long).
fn may_outrun_retained_states(config: &SimConfig) -> bool {
    let limit = u64::try_from(senderkeys::consts::SENDER_STATES_MAX).unwrap_or(u64::MAX);
    let spread = config
        .network
        .latency_max
        .saturating_sub(config.network.latency_min)
        .saturating_add(1);
    let mut windows: Vec<(Micros, Micros, Option<&[usize]>)> = config
        .actions
        .iter()
        .map(|scheduled| (scheduled.at, scheduled.at.saturating_add(spread), None))
        .collect();
    windows.extend(
        config
            .actions
            .iter()
            .filter_map(|scheduled| match &scheduled.action {
                Action::Partition { members, until } => {
                    Some((scheduled.at, *until, Some(members.as_slice())))
                }
                Action::Offline { member, until } => {
                    Some((scheduled.at, *until, Some(core::slice::from_ref(member))))
                }
                _ => None,
            }),
    );
    let members = (0..config
        .members
        .saturating_add(crate::config::members_added(&config.actions)))
        .collect::<Vec<_>>();
    if windows.iter().any(|&(from, to, who)| {
        who.unwrap_or(&members)
            .iter()
            .any(|&member| rotations_within(config, member, from, to) >= limit)
    }) {
        return true;
    }
    // A fake key an insider forwards (`forward-fake-key`) reaches the other receivers over the insider's own
    // authenticated channel, and the reference, whose distributions name no owner, installs it as a key of the
    // insider, one the insider never uses. Nothing supersedes such keys, so they add up over the whole run and,
    // with the keys the insider makes in its two busiest windows, can evict the key it does use.
    if members.iter().any(|&member| {
        let fakes = fakes_forwarded_by(config, member);
        if fakes == 0 {
            return false;
        }
        let mut busiest: Vec<u64> = windows
            .iter()
            .filter(|(_, _, who)| who.is_none_or(|who| who.contains(&member)))
            .map(|&(from, to, _)| rotations_within(config, member, from, to))
            .collect();
        busiest.sort_unstable_by(|a, b| b.cmp(a));
        let made: u64 = busiest.iter().take(2).fold(0, |sum, &n| sum.saturating_add(n));
        fakes.saturating_add(made) >= limit
    }) {
        return true;
    }
    // Event windows, by start time.
    let mut events: Vec<(Micros, Micros)> = windows
        .iter()
        .filter(|(_, _, who)| who.is_none())
        .map(|&(from, to, _)| (from, to))
        .collect();
    events.sort_unstable();
    members.iter().any(|&member| {
        let counts: Vec<u64> = events
            .iter()
            .map(|&(from, to)| keys_within(config, member, from, to))
            .collect();
        // best_from[i]: the most keys in one window starting at or after window i.
        let mut best_from = counts.clone();
        for i in (0..best_from.len().saturating_sub(1)).rev() {
            best_from[i] = best_from[i].max(best_from[i + 1]);
        }
        events.iter().zip(&counts).any(|(&(_, first_end), &first)| {
            let later = events.partition_point(|&(start, _)| start <= first_end);
            best_from
                .get(later)
                .is_some_and(|&second| first.saturating_add(second) > limit)
        })
    })
}

/// An upper estimate of how many keys `member` can make in `[from, to]`, its first key included: the keys of a
/// burst can be installed in any order, so a first key made in the same burst as rotations (events at time 0, a
/// joiner's scripted rotations) is one more key that can be installed after the key in use. A joiner's first key
/// is already counted when the policy rotates on joins: [`rotations_within`] counts a rotation for its own join.
fn keys_within(config: &SimConfig, member: usize, from: Micros, to: Micros) -> u64 {
    let counted_as_a_rotation = member >= config.members && config.policy.on_join;
    let first =
        first_key_at(config, member).filter(|&at| (from..=to).contains(&at) && !counted_as_a_rotation);
    rotations_within(config, member, from, to).saturating_add(u64::from(first.is_some()))
}

/// When `member` makes its first key: at time 0 for an initial member, when it joins for a joiner (numbered
/// from the initial count on in the order they join or the server adds them); `None` if it never joins.
fn first_key_at(config: &SimConfig, member: usize) -> Option<Micros> {
    let Some(mut rank) = member.checked_sub(config.members) else {
        return Some(0);
    };
    let mut arrivals: Vec<(Micros, usize)> = config
        .actions
        .iter()
        .filter_map(|scheduled| {
            let added = crate::config::members_added(core::slice::from_ref(scheduled));
            (added > 0).then_some((scheduled.at, added))
        })
        .collect();
    arrivals.sort_by_key(|&(at, _)| at);
    for (at, added) in arrivals {
        if rank < added {
            return Some(at);
        }
        rank -= added;
    }
    None
}

/// How many fake keys `member` forwards as an insider (`forward-fake-key` attacks it runs).
fn fakes_forwarded_by(config: &SimConfig, member: usize) -> u64 {
    let fakes = config
        .actions
        .iter()
        .filter(|scheduled| {
            matches!(
                scheduled.action,
                Action::Attack {
                    kind: AttackKind::ForwardFakeKey,
                    by: Attacker::Member(by),
                    ..
                } if by == member
            )
        })
        .count();
    u64::try_from(fakes).unwrap_or(u64::MAX)
}

/// An upper estimate of how many keys `member` can create in `[from, to]`.
fn rotations_within(config: &SimConfig, member: usize, from: Micros, to: Micros) -> u64 {
    let policy = config.policy;
    let (mut rotations, mut messages) = (0u64, 0u64);
    for scheduled in config.actions.iter().filter(|s| (from..=to).contains(&s.at)) {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        match &scheduled.action {
            Action::Rotate { member: m } if *m == member => rotations += 1,
            Action::Send { member: m, count: n } if *m == member => messages += count(*n),
            Action::Join { count: n } if policy.on_join => rotations += count(*n),
            Action::Attack {
                kind: AttackKind::AddMember,
                ..
            } if policy.on_join => rotations += 1,
            Action::Leave { .. } | Action::Remove { .. } if policy.on_removal => rotations += 1,
            _ => {}
        }
    }
    let length = to - from;
    let workload = u64::try_from(
        2 * u128::from(config.messages_per_member_per_hour) * u128::from(length) / u128::from(HOUR_US),
    )
    .unwrap_or(u64::MAX);
    messages = messages.saturating_add(workload).saturating_add(2);
    let by_count = policy.every_messages.map(|n| messages / n.max(1) + 1);
    let by_age = policy.every_time.map(|t| (length / t.max(1) + 1).min(messages));
    let by_policy = match (by_count, by_age) {
        (Some(a), Some(b)) => a.saturating_add(b),
        (a, b) => a.or(b).unwrap_or(0),
    };
    rotations.saturating_add(by_policy)
}

/// Whether `invariant` can apply to a run of `config` (a checker that cannot apply says not-applicable, which an
/// explicit `hold` counts as a mismatch). Exact for the structural ones; `failure-atomicity` applies only if some
/// input that must be rejected reaches a member, which this can only say is possible.
fn may_apply(invariant: &str, config: &SimConfig, effects: &Effects) -> bool {
    match invariant {
        "post-removal-secrecy" => effects.departure,
        "forward-secrecy" => effects.full_compromise,
        "join-secrecy" => effects.join,
        "server-blindness" => effects.server_reads,
        "failure-atomicity" => {
            effects.crafted_inputs || effects.signing_key_compromise || config.network.duplicate_ppm > 0
        }
        _ => true,
    }
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
            "Drawn by `sksim sweep` from seed {seed}; reproduce with `{}`. [expect] holds every invariant that \
             {implementation} is not documented to violate in this scenario (see sksim::sweep::allowed).",
            reproduction(seed, &implementation.to_string(), &format_duration(budget_us))
        )),
        implementation: implementation.clone(),
        suite: None,
        config,
        policy_source: crate::scenario::PolicySource::File,
        expect: Expectations::default(),
    };
    scenario.expect = expectations(&scenario);
    scenario
}

/// A drawn scenario's `[expect]`: explicit, nothing must be violated, and every invariant that [`allowed`] does
/// not allow and that can apply must hold. (`sksim::fuzzing::decode_simulation` gives its scenarios the same.)
pub(crate) fn expectations(scenario: &Scenario) -> Expectations {
    let allowed = allowed(scenario);
    let effects = effects(&scenario.config);
    Expectations {
        hold: INVARIANTS
            .iter()
            .copied()
            .filter(|name| !allowed.contains(name) && may_apply(name, &scenario.config, &effects))
            .collect(),
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

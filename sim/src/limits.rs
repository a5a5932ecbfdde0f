//! Every limit of the simulator, in one place (as `senderkeys::consts` holds the protocol's): how large an input,
//! a run, a report or a draw may get. Each has a test at its boundary, in `sim/tests/limits.rs` or next to the
//! code that enforces it (named in the limit's comment where it is not obvious).
//!
//! Defaults (such as the adapter timeout's) and the bounds an implementation under test sets for itself (such as
//! the Accord model's `MAX_SKIP`) are not limits of the simulator and live with their code.

use std::time::Duration;

use crate::time::{HOUR_US, Micros};

// ---- A run (`config.rs`, enforced by the engine) ----

/// At most this many members, initial plus joiners, in one run.
pub const MEMBERS_MAX: usize = 100_000;

/// At most this many envelopes wait, per member, for a sender key it does not hold yet; beyond it the oldest is
/// dropped (and counted).
pub const PENDING_ENVELOPES_MAX: usize = 256;

/// At most this many times a member asks for one sender's key while envelopes from it wait; if the envelopes
/// still cannot be decrypted after that, they are abandoned (counted, and judged by `delivery`). The quiet phase
/// asks once more.
pub const KEY_FETCH_ROUNDS_MAX: u32 = 3;

/// Chain steps one operation of an implementation may take before the harness abandons it (and records
/// `bounded-state`). Far above [`senderkeys::consts::FORWARD_JUMP_MAX`], the protocol bound the checker holds
/// implementations to; this one only keeps an unbounded implementation from hanging the run.
pub const WORK_BUDGET_STEPS: u64 = 1_000_000;

// ---- Scenario files (`scenario/`, docs/scenario-format.md) ----

/// Most forgeries one `forge` attack makes (`repeat`): enough to overflow any skipped-key cache with jumps inside
/// the window, few enough that one event stays cheap.
pub const FORGE_REPEAT_MAX: u32 = 1_000;

/// The farthest an insider's forgeries reach, `ahead` × `repeat` iterations: they are written along the chain, one
/// KDF step per iteration, so this bounds one event's work (well past the jump bound,
/// [`senderkeys::consts::FORWARD_JUMP_MAX`], and four times it).
pub const KEYED_FORGERY_REACH_MAX: u32 = 100_000;

/// Largest scenario file accepted, in bytes (1 MiB); larger input is rejected before any parsing.
pub const SCENARIO_BYTES_MAX: usize = 1 << 20;

/// Most `[[event]]` entries in one file.
pub const EVENTS_MAX: usize = 10_000;

/// Largest `messages_per_member_per_hour` (one message per member per second, on average).
pub const MESSAGES_PER_MEMBER_PER_HOUR_MAX: u32 = 3_600;

/// Largest `count` of one `send` event.
pub const SEND_COUNT_MAX: usize = 10_000;

/// Longest duration any time key accepts (`duration`, `quiet`, `at`, `until`): 365 days.
pub const DURATION_MAX: Micros = 365 * 24 * HOUR_US;

/// Largest one-way latency (either end of `latency`): one hour.
pub const LATENCY_MAX: Micros = HOUR_US;

/// Most characters of a value (or key) an error message echoes; longer text is cut and followed by `…`.
pub const ECHO_CHARS_MAX: usize = 64;

/// Longest one-line `hold = [...]` / `violated = [...]` array [`Scenario::to_toml`](crate::scenario::Scenario::to_toml) writes; longer lists get one
/// name per line.
pub const ARRAY_LINE_CHARS_MAX: usize = 100;

// ---- Rotation policies (`policy.rs`) ----

/// Longest policy text accepted, in bytes. Longer text is rejected before any parsing, so a hostile
/// input can make neither the parser nor its error message large.
pub const POLICY_TEXT_BYTES_MAX: usize = 256;

/// How many bytes of an over-long policy text its error echoes back (cut down to a character
/// boundary and followed by `…`).
pub const POLICY_ECHO_BYTES_MAX: usize = 64;

// ---- "Did you mean" (`suggest.rs`) ----

/// Given text longer than this many characters gets no suggestion (and costs no comparison).
pub const SUGGESTION_CHARS_MAX: usize = 64;

// ---- Reports (`checkers/`) ----

/// Violations kept per invariant in a report (all are counted).
pub const VIOLATIONS_KEPT_MAX: usize = 100;

// ---- `sksim compare` ----

/// Most seeds one comparison runs (per policy and implementation).
pub const SEEDS_MAX: u64 = 1_000_000;

// ---- `sksim sweep`: what a seed may draw (`sweep/draw.rs`) ----

/// Largest group drawn usually (log-uniformly from 2).
pub const MEMBERS_TYPICAL_MAX: u64 = 64;

/// Largest group drawn occasionally (one seed in 16 draws from 65 to this).
pub const MEMBERS_LARGE_MAX: u64 = 200;

/// Largest `messages_per_member_per_hour` drawn (log-uniformly from 1; one seed in 8 draws 0).
pub const RATE_MAX: u64 = 240;

/// The workload's expected deliveries (messages × receivers) are capped at this; a larger draw has its rate
/// lowered (to at least one message per member per hour).
pub const DELIVERIES_MAX: u64 = 60_000;

/// Joins and departures each make up to `members²` distributions under a membership policy; at most this many
/// such distributions are drawn per kind (at least one event of a kind that is on).
pub const CHURN_DISTRIBUTIONS_MAX: u64 = 40_000;

// ---- `sksim shrink` ----

/// At most this many runs in one shrink; the smallest interesting scenario found by then is the result.
pub const SHRINK_RUNS_MAX: u64 = 2_000;

// ---- The whole-simulation fuzz target (`fuzzing.rs`) ----

/// Most scripted events one input decodes to.
pub const SIMULATION_ACTIONS_MAX: usize = 12;

/// Most members one run has: initial members, joiners and members the server adds.
pub const SIMULATION_MEMBERS_MAX: usize = 8;

/// The random workload's expected deliveries (messages × receivers, as if every member the events add were there
/// from the start) are capped at this, as `sksim sweep` caps its own: a larger draw has its rate lowered (to at
/// least one message per member per hour), so that no input takes much longer than the others.
pub const SIMULATION_DELIVERIES_MAX: u64 = 120;

// ---- The adapter protocol (`external/protocol.rs`, docs/external-protocol.md) ----

/// The longest line either side accepts, in bytes (a whole-state export of a large group is the longest).
pub const LINE_BYTES_MAX: usize = 64 << 20;

/// The longest adapter name `hello` may return, in bytes.
pub const NAME_BYTES_MAX: usize = 64;

/// The longest rejection reason, in bytes (reasons are short kebab-case names counted in reports).
pub const REASON_BYTES_MAX: usize = 64;

// ---- Adapters (`external/client.rs`) ----

/// The longest `--adapter-timeout` sksim accepts.
pub const ADAPTER_TIMEOUT_MAX: Duration = Duration::from_secs(3600);

/// How many times sksim starts an adapter again after it failed, in one run; after that every request is refused
/// with [`ADAPTER_FAILURE`](crate::external::client::ADAPTER_FAILURE) at once.
pub const ADAPTER_RESTARTS_MAX: u64 = 3;

/// How much of the adapter's standard error sksim keeps (the last bytes) to quote when it fails.
pub const ADAPTER_STDERR_TAIL_BYTES: usize = 2048;

// ---- Adapter reports (`implementation.rs`) ----

/// Incidents an [`AdapterReport`](crate::implementation::AdapterReport) quotes in full.
pub const ADAPTER_INCIDENTS_KEPT: usize = 20;

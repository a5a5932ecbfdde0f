//! Scenario files: one run described in TOML — the group, the workload, the network, the rotation policy, the
//! scripted events — and the verdicts it is expected to give.
//!
//! [`load`] reads a file and [`parse`] parses text; both return a [`Scenario`] (a [`SimConfig`], the
//! implementation to run, and the [`Expectations`]) or a [`ScenarioError`] with the file, line and column of the
//! offending value or key, what was expected, and for a misspelt key or value the nearest valid one. Nothing
//! runs from a file with an error. Parsing never panics, whatever the input.
//!
//! ```toml
//! name = "accord: removal while messages are in flight"
//! seed = 7
//! duration = "2h"
//! implementation = "accord"
//! policy = "on-removal+every-messages:100+every-time:24h"
//!
//! [group]
//! members = 40
//!
//! [network]
//! latency = ["20ms", "400ms"]
//! drop = 0.01
//!
//! [[event]]
//! at = "30m"
//! action = "remove"
//! member = 3
//!
//! [expect]
//! hold = ["post-removal-secrecy", "authenticity"]
//! ```
//!
//! # Key reference
//!
//! Durations are strings: a whole number and a unit `us`, `ms`, `s`, `m`, `h` or `d` (`"90s"`, `"10m"`,
//! `"24h"`), at most [`DURATION_MAX`] (365 days). Times (`at`, `until`) are durations from the start of the
//! run. Members are numbered from 0: the initial members are `0..members`, and every joiner takes the next
//! number (as does the member a server's `add-member` attack adds). Keys not listed here are errors.
//!
//! ## Top level
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `name` | string | required | The scenario's name (not empty). |
//! | `description` | string | none | Free text. |
//! | `seed` | integer, 0 to 2⁶⁴−1 | `0` | The seed of every random draw (`--seed` overrides it). |
//! | `duration` | duration, > 0 | `"1h"` | Length of the active phase: workload, faults and events. |
//! | `quiet` | duration | `"10m"` | Length of the quiet phase that follows: no faults, offline members return, missing keys are asked for again. |
//! | `implementation` | string | `"reference"` | `reference`, `reference/<suite>`, `accord`, `chatalot`, `p2p` or `external:<command line>` (an adapter program speaking `docs/external-protocol.md`). |
//! | `suite` | string | `"hardened"` | The suite `reference` speaks: `accord`, `chatalot`, `p2p`, `signal` or `hardened`. With another implementation it is kept for `--impl reference` (the models have their own suites). |
//! | `policy` | string | `"never"` | The rotation policy, e.g. `"on-removal+every-messages:100+every-time:24h"` (see [`crate::policy`]). |
//! | `[group]` | table | required | The group. |
//! | `[workload]` | table | see below | Random traffic. |
//! | `[network]` | table | see below | Latency and faults. |
//! | `[server]` | table | see below | What the server does. |
//! | `[[event]]` | array of tables | none | Scripted events, see below. |
//! | `[expect]` | table | every invariant holds | The verdicts the run is expected to give, see below. |
//!
//! ## `[group]`
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `members` | integer, 1 to [`MEMBERS_MAX`] | required | Members at the start, numbered `0..members`. With every joiner, at most [`MEMBERS_MAX`]. |
//!
//! ## `[workload]`
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `messages_per_member_per_hour` | integer, 0 to [`MESSAGES_PER_MEMBER_PER_HOUR_MAX`] | `6` | Mean rate of random sends per member during the active phase (0: only scripted sends). |
//! | `plaintext_bytes` | integer, 12 to 65536 | `100` | Size of every plaintext (12 bytes name the message and its sender). |
//!
//! ## `[network]`
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `latency` | array of two durations, each at most [`LATENCY_MAX`] | `["20ms", "400ms"]` | Smallest and largest one-way latency; the first must not exceed the second. |
//! | `drop` | number, 0 to 1 | `0` | Probability that an envelope copy is lost (active phase only); kept in parts per million, rounded. |
//! | `duplicate` | number, 0 to 1 | `0` | Probability that an envelope is delivered twice (active phase only); parts per million, rounded. |
//! | `reorder` | boolean | `true` | Whether envelopes to one receiver may overtake each other. |
//!
//! ## `[server]`
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `behaviour` | string | `"honest"` | `honest` (relays, reads nothing), `curious` (also reads and tries to decrypt everything it relays or stores) or `malicious` (curious, and attacks). Only a malicious server attacks: an `attack` with `by = "server"` under another behaviour is an error. |
//!
//! ## `[[event]]`
//!
//! Every event has `at` (a time before the end of the active phase: `at` < `duration`) and `action`; the other
//! keys depend on the action, and a key the action does not take is an error. Events may be written in any
//! order; they run in time order, and events at the same time run in file order. A member number must exist at
//! the event's time: initial members plus the joiners of the events before it (in that order).
//!
//! Every event must be able to do what it says where it stands ([`crate::config::check_script`]), or the file
//! is refused at the key that makes it impossible: no event acts on a member after it left or was removed
//! (`member`, `by`, `insider`, a partition's `members`); `online` follows an `offline` of the same member whose
//! `until` has not passed (a member cut off by a `partition` comes back by itself when it ends); `offline` and
//! `partition` take members who are online; only a malicious server attacks.
//!
//! | `action` | keys | meaning |
//! |---|---|---|
//! | `join` | `count` (integer ≥ 1, default 1) | `count` new members join. |
//! | `leave` | `member` | The member leaves voluntarily. |
//! | `remove` | `member` | The member is removed. |
//! | `offline` | `member`, `until` | The member goes offline until `until` (after `at`); the server holds what comes for it. |
//! | `online` | `member` | The member comes back online (a member cut off by a `partition` comes back only when the partition ends). |
//! | `partition` | `members` (non-empty array of distinct member numbers), `until` | The members lose their link to the server until `until` (after `at`); they keep writing, and their messages leave when the link returns. |
//! | `send` | `member`, `count` (1 to [`SEND_COUNT_MAX`], default 1) | The member sends `count` messages now. |
//! | `rotate` | `member` | The member rotates its sender key now. |
//! | `compromise` | `member`, `scope` (default `"full"`), `insider` (optional) | The adversary obtains the member's state: `full` (everything it holds) or `signing-key` (its signing key only). With `signing-key`, `insider` is the other member whose copy of the victim's chain the adversary forges with (default: the lowest-numbered other current member); `insider` is an error with `full`. |
//! | `attack` | `kind`, `by`, `target` | The adversary attacks with `kind` (below). `by` is `"server"` or a member number (an insider). `target` is the member attacked or impersonated. All three are required, except `target` for `add-member` (default 0). |
//!
//! Attack kinds: `forge`, `tamper`, `resplit`, `replay`, `far-future`, `inject-plaintext`, `add-member` (a
//! server attack: `by` must be `"server"`; the added member takes the next member number),
//! `stale-distribution`, `forward-fake-key` (an insider attack: `by` must be a member number). See
//! [`AttackKind`].
//!
//! ## `[expect]`
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `hold` | array of invariant names | `[]` | Each must hold (a verdict of not-applicable is a mismatch). |
//! | `violated` | array of invariant names | `[]` | Each must be violated. |
//!
//! Invariant names are those of [`INVARIANTS`]; a name may appear once, in one list. With an `[expect]` table,
//! invariants in neither list are not judged. Without one, every invariant that applies is expected to hold:
//! any violation is a mismatch. [`Expectations::check`] compares a report with the expectations.
//!
//! # Limits
//!
//! A file is at most [`SCENARIO_BYTES_MAX`] bytes and has at most [`EVENTS_MAX`] events; every number and
//! duration has the range given above. Errors echo at most [`ECHO_CHARS_MAX`] characters of any value.
//!
//! # Writing scenarios
//!
//! [`Scenario::to_toml`] writes a scenario back as the canonical file: the top-level keys, then `[group]`,
//! `[workload]`, `[network]`, `[server]`, the `[[event]]`s in time order and `[expect]`, every value explicit.
//! [`parse`] reads it back to an equal [`Scenario`]: durations are written with [`format_duration`] (exact
//! units), probabilities as the decimal of their parts per million (exact), strings in TOML's own escaping.

use core::fmt;
use core::ops::Range;
use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;

use senderkeys::SuiteId;
use toml::Spanned;
use toml::de::{DeInteger, DeTable, DeValue};

use crate::attacks::AttackKind;
use crate::checkers::{INVARIANTS, Invariant, InvariantReport, Verdict};
use crate::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use crate::external::ExternalFactory;
use crate::ground_truth::PLAINTEXT_HEADER_BYTES;
use crate::implementation::ImplementationFactory;
use crate::implementations::registry::{self, BuiltIn};
use crate::implementations::{accord, chatalot, p2p, reference};
use crate::limits::{
    ARRAY_LINE_CHARS_MAX, DURATION_MAX, ECHO_CHARS_MAX, EVENTS_MAX, LATENCY_MAX, MEMBERS_MAX,
    MESSAGES_PER_MEMBER_PER_HOUR_MAX, SCENARIO_BYTES_MAX, SEND_COUNT_MAX,
};
use crate::network::PPM;
use crate::policy::Policy;
use crate::report::Report;
use crate::suggest::nearest as suggest;
use crate::time::{Micros, format_duration, parse_duration};

/// What a duration must look like, as error messages say it.
const DURATION_EXPECTED: &str = "a duration like `90s`, `10m` or `24h`";

/// What a probability must look like, as error messages say it.
const PROBABILITY_EXPECTED: &str = "a probability between 0 and 1";

/// What a member number must look like, as error messages say it.
const MEMBER_EXPECTED: &str = "a member number (a whole number from 0)";

const TOP_KEYS: [&str; 14] = [
    "name",
    "description",
    "seed",
    "duration",
    "quiet",
    "implementation",
    "suite",
    "policy",
    "group",
    "workload",
    "network",
    "server",
    "event",
    "expect",
];
const GROUP_KEYS: [&str; 1] = ["members"];
const WORKLOAD_KEYS: [&str; 2] = ["messages_per_member_per_hour", "plaintext_bytes"];
const NETWORK_KEYS: [&str; 4] = ["latency", "drop", "duplicate", "reorder"];
const SERVER_KEYS: [&str; 1] = ["behaviour"];
const EXPECT_KEYS: [&str; 2] = ["hold", "violated"];
const EVENT_KEYS: [&str; 11] = [
    "at", "action", "count", "member", "members", "until", "scope", "insider", "kind", "by", "target",
];

/// The actions, with the keys each takes besides `at` and `action`.
const ACTIONS: [(&str, &[&str]); 10] = [
    ("join", &["count"]),
    ("leave", &["member"]),
    ("remove", &["member"]),
    ("offline", &["member", "until"]),
    ("online", &["member"]),
    ("partition", &["members", "until"]),
    ("send", &["member", "count"]),
    ("rotate", &["member"]),
    ("compromise", &["member", "scope", "insider"]),
    ("attack", &["kind", "by", "target"]),
];

const ATTACK_KINDS: [(&str, AttackKind); 9] = {
    let all = AttackKind::ALL;
    let mut named = [("", AttackKind::Forge); 9];
    let mut i = 0;
    while i < all.len() {
        named[i] = (all[i].name(), all[i]);
        i += 1;
    }
    named
};

const SCOPES: [(&str, CompromiseScope); 2] = [
    ("full", CompromiseScope::Full),
    ("signing-key", CompromiseScope::SigningKey),
];

const BEHAVIOURS: [(&str, ServerBehaviour); 3] = [
    ("honest", ServerBehaviour::Honest),
    ("curious", ServerBehaviour::Curious),
    ("malicious", ServerBehaviour::Malicious),
];

/// Implementation names, as `implementation` accepts them before any `/` or `:`.
/// Every implementation name `parse` knows: the built-ins', and `external`.
const IMPLEMENTATION_NAMES: [&str; 5] = [
    registry::BUILT_INS[0].name,
    registry::BUILT_INS[1].name,
    registry::BUILT_INS[2].name,
    registry::BUILT_INS[3].name,
    "external",
];

/// A parsed scenario file: everything a run needs, and what it is expected to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// `name`.
    pub name: String,
    /// `description`, if given.
    pub description: Option<String>,
    /// Which implementation runs (`implementation` and `suite`).
    pub implementation: ImplementationSpec,
    /// `suite`, if given: what `reference` speaks, also when the command line swaps the implementation for it.
    pub suite: Option<SuiteId>,
    /// The run's configuration (everything else but `[expect]`); its actions are in time order.
    pub config: SimConfig,
    /// Where `config.policy` came from (the report's header says it).
    pub policy_source: PolicySource,
    /// `[expect]`.
    pub expect: Expectations,
}

/// Where a run's rotation policy came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySource {
    /// The file's `policy` (or, for a generated scenario, what its file would say).
    File,
    /// No `policy` in the file: the default, `never` (nobody rotates).
    Default,
    /// The command line's `--policy`.
    CommandLine,
}

impl PolicySource {
    /// How the report's header says it.
    pub fn describe(self) -> &'static str {
        match self {
            PolicySource::File => "from the file",
            PolicySource::Default => "the default: the file sets no `policy`",
            PolicySource::CommandLine => "from --policy",
        }
    }
}

/// The implementation a scenario runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImplementationSpec {
    /// The `senderkeys` reference implementation with a suite.
    Reference(SuiteId),
    /// The model of Accord's design.
    Accord,
    /// The model of Chatalot's design.
    Chatalot,
    /// The model of the peer-to-peer sketch.
    P2p,
    /// An external adapter, started with this command line (see [`crate::external`]).
    External(String),
}

impl ImplementationSpec {
    /// The built-in implementation this names (`None` for an external one).
    pub fn built_in(&self) -> Option<&'static BuiltIn> {
        match self {
            ImplementationSpec::Reference(_) => Some(&registry::REFERENCE),
            ImplementationSpec::Accord => Some(&registry::ACCORD),
            ImplementationSpec::Chatalot => Some(&registry::CHATALOT),
            ImplementationSpec::P2p => Some(&registry::P2P),
            ImplementationSpec::External(_) => None,
        }
    }

    /// The suite it speaks, as reports name it (`external` for an external implementation).
    pub fn suite_name(&self) -> &'static str {
        match (self, self.built_in()) {
            (ImplementationSpec::Reference(suite), _) => suite.name(),
            (
                _,
                Some(BuiltIn {
                    suite: Some(suite), ..
                }),
            ) => suite.name(),
            _ => "external",
        }
    }

    /// Whether it signs every message (so a stolen signing key forges, and an insider's own key does not). An
    /// external implementation is assumed to sign, which allows the least for insiders.
    pub fn signs(&self) -> bool {
        match (self, self.built_in()) {
            (ImplementationSpec::Reference(suite), Some(built_in)) => built_in.signs_with(*suite),
            (_, Some(built_in)) => built_in.suite.is_some_and(|suite| built_in.signs_with(suite)),
            (_, None) => true,
        }
    }

    /// Parses an implementation name: `reference` (suite `hardened`), `reference/<suite>` (the form reports
    /// use), `accord`, `chatalot`, `p2p` or `external:<command line>`.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong, with the nearest valid name for a misspelt one.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(command) = text.strip_prefix("external:") {
            if command.trim().is_empty() {
                return Err(
                    "`external:` needs a command line after the colon (e.g. `external:./my-adapter`)"
                        .to_owned(),
                );
            }
            return Ok(ImplementationSpec::External(command.to_owned()));
        }
        let (head, suite) = match text.split_once('/') {
            Some((head, suite)) => (head, Some(suite)),
            None => (text, None),
        };
        match (head, suite) {
            ("reference", None) => Ok(ImplementationSpec::Reference(SuiteId::Hardened)),
            ("reference", Some(suite)) => parse_suite(suite).map(ImplementationSpec::Reference),
            ("accord", None) => Ok(ImplementationSpec::Accord),
            ("chatalot", None) => Ok(ImplementationSpec::Chatalot),
            ("p2p", None) => Ok(ImplementationSpec::P2p),
            ("accord" | "chatalot" | "p2p", Some(_)) => Err(format!(
                "`{head}` takes no suite (only `reference` does); write `{head}`"
            )),
            _ => {
                let expected = "expected reference, reference/<suite>, accord, chatalot, p2p or \
                                external:<command line>";
                let suites = SuiteId::ALL.map(SuiteId::name);
                // A suite where an implementation belongs: the reference speaks it.
                let suite_near = suite.is_none().then(|| suggest(head, &suites)).flatten();
                let lowered = head.to_lowercase();
                if IMPLEMENTATION_NAMES.contains(&lowered.as_str()) && lowered != "external" {
                    return Err(format!(
                        "unknown implementation `{}`; did you mean `{lowered}`? (names are lower case; {expected})",
                        echo(text)
                    ));
                }
                if let Some(near) = suite_near.filter(|_| suites.contains(&lowered.as_str())) {
                    return Err(format!(
                        "unknown implementation `{}`; `{near}` is a suite: did you mean `reference/{near}` (the \
                         reference implementation speaking it)? ({expected})",
                        echo(text)
                    ));
                }
                Err(match suggest(head, &IMPLEMENTATION_NAMES) {
                    Some("external") => format!(
                        "unknown implementation `{}`; did you mean `external:<command line>`? ({expected})",
                        echo(text)
                    ),
                    Some(near) => format!(
                        "unknown implementation `{}`; did you mean `{near}`? ({expected})",
                        echo(text)
                    ),
                    None => match suite_near {
                        Some(near) => format!(
                            "unknown implementation `{}`; did you mean `reference/{near}`? ({expected})",
                            echo(text)
                        ),
                        None => format!("unknown implementation `{}`; {expected}", echo(text)),
                    },
                })
            }
        }
    }

    /// The factory that creates this implementation's instances; an external one starts its adapter, waiting up
    /// to [`crate::external::ADAPTER_TIMEOUT_DEFAULT`] for each answer.
    ///
    /// # Errors
    ///
    /// When an external adapter cannot be started (see [`ExternalFactory::start`]).
    pub fn factory(&self) -> Result<Box<dyn ImplementationFactory + Send + Sync>, String> {
        self.factory_with(crate::external::ADAPTER_TIMEOUT_DEFAULT)
    }

    /// [`ImplementationSpec::factory`], waiting up to `adapter_timeout` for each answer of an external adapter.
    ///
    /// # Errors
    ///
    /// When an external adapter cannot be started (see [`ExternalFactory::start`]).
    pub fn factory_with(
        &self,
        adapter_timeout: std::time::Duration,
    ) -> Result<Box<dyn ImplementationFactory + Send + Sync>, String> {
        match self {
            ImplementationSpec::Reference(suite) => Ok(Box::new(reference::Reference { suite: *suite })),
            ImplementationSpec::Accord => Ok(Box::new(accord::Accord)),
            ImplementationSpec::Chatalot => Ok(Box::new(chatalot::Chatalot)),
            ImplementationSpec::P2p => Ok(Box::new(p2p::P2p)),
            ImplementationSpec::External(command) => {
                Ok(Box::new(ExternalFactory::start(command, adapter_timeout)?))
            }
        }
    }
}

impl fmt::Display for ImplementationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImplementationSpec::Reference(suite) => write!(f, "reference/{suite}"),
            ImplementationSpec::Accord => f.write_str("accord"),
            ImplementationSpec::Chatalot => f.write_str("chatalot"),
            ImplementationSpec::P2p => f.write_str("p2p"),
            ImplementationSpec::External(command) => write!(f, "external:{command}"),
        }
    }
}

/// Parses a suite name, suggesting the nearest for a misspelt one.
fn parse_suite(text: &str) -> Result<SuiteId, String> {
    if let Some(suite) = SuiteId::ALL.into_iter().find(|suite| suite.name() == text) {
        return Ok(suite);
    }
    let names = SuiteId::ALL.map(SuiteId::name);
    let expected = "expected accord, chatalot, p2p, signal or hardened";
    Err(match suggest(text, &names) {
        Some(near) => format!(
            "unknown suite `{}`; did you mean `{near}`? ({expected})",
            echo(text)
        ),
        None => format!("unknown suite `{}`; {expected}", echo(text)),
    })
}

/// The verdicts a run is expected to give (`[expect]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Invariants that must hold, in file order.
    pub hold: Vec<Invariant>,
    /// Invariants that must be violated, in file order.
    pub violated: Vec<Invariant>,
    /// Whether the file had an `[expect]` table. Without one (`false`, both lists empty), every invariant that
    /// applies is expected to hold.
    pub explicit: bool,
}

impl Expectations {
    /// Mismatches between the report and the expectations; empty = met. Each is one line naming the invariant,
    /// what was expected and what the run gave, and the first violation's reason if any.
    ///
    /// Without `[expect]`, every violated invariant is a mismatch. With it, each `hold` invariant must hold
    /// (not-applicable is a mismatch), each `violated` one must be violated, and the others are not judged.
    pub fn check(&self, report: &Report) -> Vec<String> {
        if !self.explicit {
            return report
                .invariants
                .iter()
                .filter(|r| r.verdict == Verdict::Violated)
                .map(|r| {
                    format!(
                        "`{}`: expected to hold (the scenario has no [expect], so every invariant is), {}",
                        r.invariant,
                        outcome(r)
                    )
                })
                .collect();
        }
        let find = |name: Invariant| report.invariants.iter().find(|r| r.invariant == name);
        let mut mismatches = Vec::new();
        for &name in &self.hold {
            match find(name) {
                Some(r) if r.verdict == Verdict::Holds => {}
                Some(r) => mismatches.push(format!("`{name}`: expected to hold, {}", outcome(r))),
                None => mismatches.push(format!(
                    "`{name}`: expected to hold, but the report has no verdict on it"
                )),
            }
        }
        for &name in &self.violated {
            match find(name) {
                Some(r) if r.verdict == Verdict::Violated => {}
                Some(r) => mismatches.push(format!("`{name}`: expected to be violated, {}", outcome(r))),
                None => mismatches.push(format!(
                    "`{name}`: expected to be violated, but the report has no verdict on it"
                )),
            }
        }
        mismatches
    }
}

/// What the run gave for one invariant, as the second half of a mismatch line.
fn outcome(report: &InvariantReport) -> String {
    match report.verdict {
        Verdict::Holds => "but it holds".to_owned(),
        Verdict::NotApplicable => match &report.note {
            Some(note) => format!("but it does not apply to this run ({note})"),
            None => "but it does not apply to this run".to_owned(),
        },
        Verdict::Violated => {
            let count = match report.violations_total {
                1 => "1 violation".to_owned(),
                n => format!("{n} violations"),
            };
            match report.violations.first() {
                Some(first) => format!(
                    "but it is violated ({count}; the first at {}: {})",
                    crate::time::format_clock(first.time_us),
                    first.reason
                ),
                None => format!("but it is violated ({count})"),
            }
        }
    }
}

/// Why a scenario file was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as given to [`parse`] or [`load`].
    pub file: String,
    /// 1-based line of the offending value or key; 0 when the error has no place in the text (the file could
    /// not be read).
    pub line: usize,
    /// 1-based column, in characters; 0 when `line` is.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads and parses the scenario file at `path`.
///
/// # Errors
///
/// A [`ScenarioError`] without a location (line 0) naming the path and the OS error if the file cannot be read,
/// or whatever [`parse`] rejects.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let unreadable = |message: String| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message,
    };
    let handle = std::fs::File::open(path)
        .map_err(|e| unreadable(format!("cannot read scenario file `{file}`: {e}")))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(SCENARIO_BYTES_MAX).map_or(u64::MAX, |max| max.saturating_add(1));
    handle
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(format!("cannot read scenario file `{file}`: {e}")))?;
    if bytes.len() > SCENARIO_BYTES_MAX {
        return Err(too_large(&file));
    }
    match String::from_utf8(bytes) {
        Ok(text) => parse(&file, &text),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = e.as_bytes().get(..valid).unwrap_or_default();
            let prefix = core::str::from_utf8(prefix).unwrap_or_default();
            let (line, column) = line_column(prefix, prefix.len());
            Err(ScenarioError {
                file,
                line,
                column,
                message: format!("the file is not valid UTF-8 (byte {valid}); scenario files are UTF-8 text"),
            })
        }
    }
}

/// The error for a file over [`SCENARIO_BYTES_MAX`].
fn too_large(file: &str) -> ScenarioError {
    ScenarioError {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message: format!(
            "the file is larger than {SCENARIO_BYTES_MAX} bytes (1 MiB), the limit for scenario files"
        ),
    }
}

/// Parses scenario text; `file` names it in errors.
///
/// # Errors
///
/// A [`ScenarioError`] at the first problem found: TOML syntax, an unknown key or value, a value of the wrong
/// type or out of range, or an inconsistency (an event after the active phase, a member who does not exist
/// yet, ...).
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > SCENARIO_BYTES_MAX {
        return Err(too_large(file));
    }
    let p = Parser { file, text };
    let root = DeTable::parse(text).map_err(|e| {
        p.error(
            &e.span().unwrap_or(0..0),
            format!("invalid TOML: {}", e.message()),
        )
    })?;
    p.scenario(root.get_ref())
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or_default();
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// `text`, cut to [`ECHO_CHARS_MAX`] characters.
fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS_MAX) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// "did you mean `x`?" or the list of valid names.
pub(crate) fn unknown(what: &str, given: &str, candidates: &[&str]) -> String {
    match suggest(given, candidates) {
        Some(near) => format!("unknown {what} `{}`; did you mean `{near}`?", echo(given)),
        None => format!(
            "unknown {what} `{}`; expected {}",
            echo(given),
            one_of(candidates)
        ),
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// A value's type, with its article, for "found ..." messages.
fn a_type(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

type Res<T> = Result<T, ScenarioError>;

/// The text being parsed, for locating errors.
struct Parser<'a> {
    file: &'a str,
    text: &'a str,
}

/// A table of the file, with how messages name it.
struct Table<'t, 'i> {
    /// `""` at the top level, else e.g. `" in [group]"`.
    context: &'static str,
    /// Where the table starts (its header, or `{`).
    span: Range<usize>,
    map: &'t DeTable<'i>,
}

/// One key's value (or one element of an array value, under the array's key).
struct Field<'t, 'i> {
    key: &'static str,
    key_span: Range<usize>,
    value: &'t Spanned<DeValue<'i>>,
}

impl Field<'_, '_> {
    fn span(&self) -> Range<usize> {
        self.value.span()
    }

    fn get(&self) -> &DeValue<'_> {
        self.value.get_ref()
    }
}

impl<'t, 'i> Table<'t, 'i> {
    fn field(&self, key: &'static str) -> Option<Field<'t, 'i>> {
        self.map.get_key_value(key).map(|(k, value)| Field {
            key,
            key_span: k.span(),
            value,
        })
    }

    fn required(&self, p: &Parser<'_>, key: &'static str, meaning: &str) -> Res<Field<'t, 'i>> {
        self.field(key).ok_or_else(|| {
            p.error(
                &self.span,
                format!("missing required key `{key}`{}: {meaning}", self.context),
            )
        })
    }

    /// The keys of this table in file order.
    fn keys_in_order(&self) -> Vec<(&'t str, Range<usize>)> {
        let mut keys: Vec<(&'t str, Range<usize>)> = self
            .map
            .keys()
            .map(|k| (k.get_ref().as_ref(), k.span()))
            .collect();
        keys.sort_by_key(|(_, span)| span.start);
        keys
    }

    /// Rejects the first key (in file order) not in `allowed`.
    fn check_keys(&self, p: &Parser<'_>, allowed: &[&str]) -> Res<()> {
        match self
            .keys_in_order()
            .into_iter()
            .find(|(key, _)| !allowed.contains(key))
        {
            Some((key, span)) => {
                let message = match suggest(key, allowed) {
                    Some(near) => format!(
                        "unknown key `{}`{}; did you mean `{near}`?",
                        echo(key),
                        self.context
                    ),
                    None => format!(
                        "unknown key `{}`{}; expected {}",
                        echo(key),
                        self.context,
                        one_of(allowed)
                    ),
                };
                Err(p.error(&span, message))
            }
            None => Ok(()),
        }
    }

    /// The table under `key`, if present.
    fn subtable(
        &self,
        p: &Parser<'_>,
        key: &'static str,
        context: &'static str,
    ) -> Res<Option<Table<'t, 'i>>> {
        let Some(field) = self.field(key) else {
            return Ok(None);
        };
        match field.value.get_ref() {
            DeValue::Table(map) => Ok(Some(Table {
                context,
                span: field.span(),
                map,
            })),
            other => Err(p.error(
                &field.span(),
                format!(
                    "`{key}`: expected a table (write `[{key}]` on a line of its own, then its keys), found {}",
                    a_type(other)
                ),
            )),
        }
    }
}

/// Where in virtual time an event is, and how many members exist by then.
struct Now {
    at: Micros,
    initial: usize,
    joiners: usize,
}

impl Now {
    /// A member number that exists by now.
    fn member(&self, p: &Parser<'_>, field: &Field<'_, '_>) -> Res<usize> {
        let number = p.whole(field, 0, u64::MAX, MEMBER_EXPECTED)?;
        let exists = self.initial.saturating_add(self.joiners);
        match usize::try_from(number) {
            Ok(member) if member < exists => Ok(member),
            _ => Err(p.error(
                &field.span(),
                format!(
                    "`{}` {number} does not exist at {}: {} and {} by then (members are numbered from 0)",
                    field.key,
                    format_duration(self.at),
                    plural(self.initial, "initial member", "initial members"),
                    plural(self.joiners, "joiner", "joiners"),
                ),
            )),
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// An event whose `at` and `action` are read.
struct RawEvent<'t, 'i> {
    at: Micros,
    action: &'static str,
    table: Table<'t, 'i>,
}

impl Parser<'_> {
    fn error(&self, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_column(self.text, span.start);
        ScenarioError {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The source text of a value, cut for echoing.
    fn source(&self, span: &Range<usize>) -> String {
        echo(self.text.get(span.clone()).unwrap_or_default())
    }

    fn wrong_type(&self, field: &Field<'_, '_>, expected: &str) -> ScenarioError {
        self.error(
            &field.span(),
            format!(
                "`{}`: expected {expected}, found {}",
                field.key,
                a_type(field.get())
            ),
        )
    }

    fn string<'v>(&self, field: &Field<'v, '_>, expected: &str) -> Res<&'v str> {
        field
            .value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.wrong_type(field, expected))
    }

    /// A whole number in `min..=max`.
    fn whole(&self, field: &Field<'_, '_>, min: u64, max: u64, expected: &str) -> Res<u64> {
        let DeValue::Integer(integer) = field.get() else {
            return Err(self.wrong_type(field, expected));
        };
        integer_value(integer)
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                self.error(
                    &field.span(),
                    format!(
                        "`{}` = {}: expected {expected}",
                        field.key,
                        self.source(&field.span())
                    ),
                )
            })
    }

    fn whole_usize(&self, field: &Field<'_, '_>, min: usize, max: usize, expected: &str) -> Res<usize> {
        let to_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let value = self.whole(field, to_u64(min), to_u64(max), expected)?;
        usize::try_from(value).map_err(|_| {
            self.error(
                &field.span(),
                format!("`{}` = {value}: expected {expected}", field.key),
            )
        })
    }

    /// A duration of at most `max`.
    fn duration(&self, field: &Field<'_, '_>, max: Micros) -> Res<Micros> {
        let text = self.string(field, DURATION_EXPECTED)?;
        let us = parse_duration(text).map_err(|e| {
            self.error(
                &field.span(),
                format!(
                    "`{}` = \"{}\": expected {DURATION_EXPECTED} ({})",
                    field.key,
                    echo(text),
                    e.reason
                ),
            )
        })?;
        if us > max {
            return Err(self.error(
                &field.span(),
                format!(
                    "`{}` = \"{}\" is too long: at most {}",
                    field.key,
                    echo(text),
                    format_duration(max)
                ),
            ));
        }
        Ok(us)
    }

    /// A probability in parts per million.
    fn probability(&self, field: &Field<'_, '_>) -> Res<u32> {
        let value = match field.get() {
            DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
            DeValue::Integer(integer) => integer_value(integer)
                .and_then(|n| u8::try_from(n).ok())
                .map(f64::from),
            _ => return Err(self.wrong_type(field, PROBABILITY_EXPECTED)),
        };
        match value {
            Some(p) if (0.0..=1.0).contains(&p) => Ok(to_ppm(p)),
            _ => Err(self.error(
                &field.span(),
                format!(
                    "`{}` = {}: expected {PROBABILITY_EXPECTED}",
                    field.key,
                    self.source(&field.span())
                ),
            )),
        }
    }

    /// One of `options`, by name.
    fn choose<T: Copy>(&self, field: &Field<'_, '_>, what: &str, options: &[(&'static str, T)]) -> Res<T> {
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        let text = self.string(field, &one_of(&names))?;
        options
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| self.error(&field.span(), unknown(what, text, &names)))
    }

    fn scenario(&self, root: &DeTable<'_>) -> Res<Scenario> {
        let top = Table {
            context: "",
            span: 0..0,
            map: root,
        };
        top.check_keys(self, &TOP_KEYS)?;
        let name_field = top.required(
            self,
            "name",
            "the scenario's name, e.g. `name = \"removal in flight\"`",
        )?;
        let name = self.string(&name_field, "a string")?;
        if name.trim().is_empty() {
            return Err(self.error(&name_field.span(), "`name` must not be empty"));
        }
        let description = match top.field("description") {
            Some(field) => Some(self.string(&field, "a string")?.to_owned()),
            None => None,
        };
        let seed = match top.field("seed") {
            Some(field) => self.whole(
                &field,
                0,
                u64::MAX,
                "a whole number from 0 to 18446744073709551615",
            )?,
            None => 0,
        };
        let group = top.subtable(self, "group", " in [group]")?.ok_or_else(|| {
            self.error(
                &(0..0),
                "missing required table `[group]`: write `[group]` and `members = N`, the number of members at \
                 the start",
            )
        })?;
        group.check_keys(self, &GROUP_KEYS)?;
        let members_field = group.required(
            self,
            "members",
            "the number of members at the start (there is no default)",
        )?;
        let members = self.whole_usize(
            &members_field,
            1,
            MEMBERS_MAX,
            &format!("a whole number from 1 to {MEMBERS_MAX}"),
        )?;
        let mut config = SimConfig::new(seed, members);
        if let Some(field) = top.field("duration") {
            config.duration = self.duration(&field, DURATION_MAX)?;
            if config.duration == 0 {
                return Err(self.error(&field.span(), "`duration` must be longer than 0"));
            }
        }
        if let Some(field) = top.field("quiet") {
            config.quiet = self.duration(&field, DURATION_MAX)?;
        }
        let (implementation, suite) = self.implementation(&top)?;
        let mut policy_source = PolicySource::Default;
        if let Some(field) = top.field("policy") {
            let text = self.string(&field, "a rotation policy like `on-removal+every-messages:100`")?;
            config.policy = text
                .parse::<Policy>()
                .map_err(|e| self.error(&field.span(), e.to_string()))?;
            policy_source = PolicySource::File;
        }
        self.workload(&top, &mut config)?;
        self.network(&top, &mut config)?;
        if let Some(server) = top.subtable(self, "server", " in [server]")? {
            server.check_keys(self, &SERVER_KEYS)?;
            if let Some(field) = server.field("behaviour") {
                config.server = self.choose(&field, "server behaviour", &BEHAVIOURS)?;
            }
        }
        config.actions = self.events(&top, &config)?;
        let expect = self.expectations(&top)?;
        Ok(Scenario {
            name: name.to_owned(),
            description,
            implementation,
            suite,
            config,
            policy_source,
            expect,
        })
    }

    /// `implementation` and `suite`.
    fn implementation(&self, top: &Table<'_, '_>) -> Res<(ImplementationSpec, Option<SuiteId>)> {
        let mut named_suite = false;
        let implementation = match top.field("implementation") {
            Some(field) => {
                let text = self.string(&field, "an implementation name like `reference` or `accord`")?;
                named_suite = text.starts_with("reference/");
                ImplementationSpec::parse(text).map_err(|message| self.error(&field.span(), message))?
            }
            None => ImplementationSpec::Reference(SuiteId::Hardened),
        };
        let Some(field) = top.field("suite") else {
            return Ok((implementation, None));
        };
        let text = self.string(&field, "a suite name: accord, chatalot, p2p, signal or hardened")?;
        let suite = parse_suite(text).map_err(|message| self.error(&field.span(), message))?;
        match implementation {
            ImplementationSpec::Reference(given) if named_suite && given != suite => Err(self.error(
                &field.key_span,
                format!(
                    "`suite` = \"{suite}\" contradicts implementation = \"reference/{given}\"; give the suite once"
                ),
            )),
            ImplementationSpec::Reference(_) => Ok((ImplementationSpec::Reference(suite), Some(suite))),
            // The models speak their own suites; the file's suite is kept for `--impl reference`.
            other => Ok((other, Some(suite))),
        }
    }

    /// `[workload]`.
    fn workload(&self, top: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        let Some(workload) = top.subtable(self, "workload", " in [workload]")? else {
            return Ok(());
        };
        workload.check_keys(self, &WORKLOAD_KEYS)?;
        if let Some(field) = workload.field("messages_per_member_per_hour") {
            let rate = self.whole(
                &field,
                0,
                u64::from(MESSAGES_PER_MEMBER_PER_HOUR_MAX),
                &format!("a whole number from 0 to {MESSAGES_PER_MEMBER_PER_HOUR_MAX}"),
            )?;
            config.messages_per_member_per_hour =
                u32::try_from(rate).unwrap_or(MESSAGES_PER_MEMBER_PER_HOUR_MAX);
        }
        if let Some(field) = workload.field("plaintext_bytes") {
            config.plaintext_bytes = self.whole_usize(
                &field,
                PLAINTEXT_HEADER_BYTES,
                senderkeys::consts::PLAINTEXT_BYTES_MAX,
                &format!(
                    "a whole number from {PLAINTEXT_HEADER_BYTES} to {}",
                    senderkeys::consts::PLAINTEXT_BYTES_MAX
                ),
            )?;
        }
        Ok(())
    }

    /// `[network]`.
    fn network(&self, top: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        let Some(network) = top.subtable(self, "network", " in [network]")? else {
            return Ok(());
        };
        network.check_keys(self, &NETWORK_KEYS)?;
        if let Some(field) = network.field("latency") {
            let expected = "two durations [min, max] like [\"20ms\", \"400ms\"]";
            let DeValue::Array(array) = field.get() else {
                return Err(self.wrong_type(&field, expected));
            };
            let [min, max] = array.as_ref() else {
                return Err(self.error(
                    &field.span(),
                    format!("`latency` has {} values: expected {expected}", array.len()),
                ));
            };
            let element = |value| Field {
                key: "latency",
                key_span: field.key_span.clone(),
                value,
            };
            let (min_field, max_field) = (element(min), element(max));
            let (min, max) = (
                self.duration(&min_field, LATENCY_MAX)?,
                self.duration(&max_field, LATENCY_MAX)?,
            );
            if min > max {
                return Err(self.error(
                    &field.span(),
                    format!(
                        "`latency`: the minimum {} is above the maximum {}; write [min, max]",
                        format_duration(min),
                        format_duration(max)
                    ),
                ));
            }
            config.network.latency_min = min;
            config.network.latency_max = max;
        }
        if let Some(field) = network.field("drop") {
            config.network.drop_ppm = self.probability(&field)?;
        }
        if let Some(field) = network.field("duplicate") {
            config.network.duplicate_ppm = self.probability(&field)?;
        }
        if let Some(field) = network.field("reorder") {
            config.network.reorder = field
                .get()
                .as_bool()
                .ok_or_else(|| self.wrong_type(&field, "`true` or `false`"))?;
        }
        Ok(())
    }

    /// `[[event]]`, in time order (file order at equal times).
    /// Each must be possible where it stands ([`crate::config::check_script`]): the error points at the key that
    /// makes it impossible.
    fn events(&self, top: &Table<'_, '_>, config: &SimConfig) -> Res<Vec<ScheduledAction>> {
        let (duration, initial) = (config.duration, config.members);
        let Some(field) = top.field("event") else {
            return Ok(Vec::new());
        };
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, "`[[event]]` tables (an array of tables)"));
        };
        if let Some(extra) = array.get(EVENTS_MAX) {
            return Err(self.error(
                &extra.span(),
                format!("too many events: at most {EVENTS_MAX} are accepted"),
            ));
        }
        let mut raw = Vec::with_capacity(array.len());
        for element in array.iter() {
            let DeValue::Table(map) = element.get_ref() else {
                return Err(self.error(
                    &element.span(),
                    format!(
                        "each event must be a table (`[[event]]`, or `{{ at = \"10m\", action = \"join\" }}`), \
                         found {}",
                        a_type(element.get_ref())
                    ),
                ));
            };
            let table = Table {
                context: " in [[event]]",
                span: element.span(),
                map,
            };
            raw.push(self.raw_event(table, duration)?);
        }
        raw.sort_by_key(|event| event.at);
        let mut now = Now {
            at: 0,
            initial,
            joiners: 0,
        };
        let mut actions = Vec::with_capacity(raw.len());
        for event in &raw {
            now.at = event.at;
            let action = self.action(event, &now)?;
            now.joiners = now.joiners.saturating_add(match action {
                Action::Join { count } => count,
                Action::Attack {
                    kind: AttackKind::AddMember,
                    ..
                } => 1,
                _ => 0,
            });
            actions.push(ScheduledAction { at: event.at, action });
        }
        if let Err(e) = crate::config::check_script(initial, config.server, &actions) {
            let table = &raw[e.event].table;
            let span = table
                .field(e.key)
                .map_or_else(|| table.span.clone(), |field| field.span());
            return Err(self.error(&span, e.message));
        }
        Ok(actions)
    }

    /// An event's keys, `at` and `action`.
    fn raw_event<'t, 'i>(&self, table: Table<'t, 'i>, duration: Micros) -> Res<RawEvent<'t, 'i>> {
        table.check_keys(self, &EVENT_KEYS)?;
        let at_field = table.required(self, "at", "when the event happens, e.g. `at = \"10m\"`")?;
        let at = self.duration(&at_field, DURATION_MAX)?;
        if at >= duration {
            let message = if at == duration {
                format!(
                    "event at {} is when the active phase ends (duration = {}); events must come before it",
                    format_duration(at),
                    format_duration(duration)
                )
            } else {
                format!(
                    "event at {} is after the active phase ends (duration = {})",
                    format_duration(at),
                    format_duration(duration)
                )
            };
            return Err(self.error(&at_field.span(), message));
        }
        let action_names = ACTIONS.map(|(name, _)| name);
        let action_field = table.required(
            self,
            "action",
            &format!("what happens: {}", one_of(&action_names)),
        )?;
        let text = self.string(&action_field, &format!("an action: {}", one_of(&action_names)))?;
        let Some(&(action, keys)) = ACTIONS.iter().find(|(name, _)| *name == text) else {
            return Err(self.error(&action_field.span(), unknown("action", text, &action_names)));
        };
        if let Some((key, span)) = table
            .keys_in_order()
            .into_iter()
            .find(|(key, _)| !matches!(*key, "at" | "action") && !keys.contains(key))
        {
            return Err(self.error(
                &span,
                format!(
                    "`{key}` does not apply to action `{action}`, which takes {}",
                    one_of(keys)
                ),
            ));
        }
        Ok(RawEvent { at, action, table })
    }

    /// The action of one event, `now` giving the members that exist by then.
    fn action(&self, event: &RawEvent<'_, '_>, now: &Now) -> Res<Action> {
        let table = &event.table;
        let member = || -> Res<usize> {
            now.member(
                self,
                &table.required(self, "member", "the member it happens to, e.g. `member = 3`")?,
            )
        };
        Ok(match event.action {
            "join" => {
                let (count, span) = match table.field("count") {
                    Some(field) => (
                        self.whole_usize(
                            &field,
                            1,
                            MEMBERS_MAX,
                            &format!("a whole number from 1 to {MEMBERS_MAX}"),
                        )?,
                        field.span(),
                    ),
                    None => (1, table.span.clone()),
                };
                let total = now.initial.saturating_add(now.joiners).saturating_add(count);
                if total > MEMBERS_MAX {
                    return Err(self.error(
                        &span,
                        format!(
                            "this join brings the group to {total} members; at most {MEMBERS_MAX} (initial members \
                             and joiners) are allowed"
                        ),
                    ));
                }
                Action::Join { count }
            }
            "leave" => Action::Leave { member: member()? },
            "remove" => Action::Remove { member: member()? },
            "online" => Action::Online { member: member()? },
            "rotate" => Action::Rotate { member: member()? },
            "offline" => {
                let member = member()?;
                Action::Offline {
                    member,
                    until: self.until(table, now)?,
                }
            }
            "send" => {
                let member = member()?;
                let count = match table.field("count") {
                    Some(field) => self.whole_usize(
                        &field,
                        1,
                        SEND_COUNT_MAX,
                        &format!("a whole number from 1 to {SEND_COUNT_MAX}"),
                    )?,
                    None => 1,
                };
                Action::Send { member, count }
            }
            "partition" => {
                let members = self.partition_members(table, now)?;
                Action::Partition {
                    members,
                    until: self.until(table, now)?,
                }
            }
            "compromise" => self.compromise(table, now, member()?)?,
            _ => self.attack(table, now)?,
        })
    }

    /// `until`, after `at`.
    fn until(&self, table: &Table<'_, '_>, now: &Now) -> Res<Micros> {
        let field = table.required(self, "until", "when it ends, e.g. `until = \"40m\"`")?;
        let until = self.duration(&field, DURATION_MAX)?;
        if until <= now.at {
            return Err(self.error(
                &field.span(),
                format!(
                    "`until` must be after `at` (until = {}, at = {})",
                    format_duration(until),
                    format_duration(now.at)
                ),
            ));
        }
        Ok(until)
    }

    /// A partition's `members`: non-empty, distinct, existing.
    fn partition_members(&self, table: &Table<'_, '_>, now: &Now) -> Res<Vec<usize>> {
        let field = table.required(self, "members", "who is cut off, e.g. `members = [1, 2, 3]`")?;
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, "a list of member numbers like [1, 2, 3]"));
        };
        if array.is_empty() {
            return Err(self.error(&field.span(), "`members` must name at least one member"));
        }
        let mut seen = BTreeSet::new();
        let mut members = Vec::with_capacity(array.len());
        for value in array.iter() {
            let element = Field {
                key: "members",
                key_span: field.key_span.clone(),
                value,
            };
            let member = now.member(self, &element)?;
            if !seen.insert(member) {
                return Err(self.error(&element.span(), format!("`members` names {member} twice")));
            }
            members.push(member);
        }
        Ok(members)
    }

    /// A compromise of `member`: `scope` and `insider`.
    fn compromise(&self, table: &Table<'_, '_>, now: &Now, member: usize) -> Res<Action> {
        let scope = match table.field("scope") {
            Some(field) => self.choose(&field, "scope", &SCOPES)?,
            None => CompromiseScope::Full,
        };
        let insider = match table.field("insider") {
            None => None,
            Some(field) if scope != CompromiseScope::SigningKey => {
                return Err(self.error(
                    &field.key_span,
                    "`insider` applies only to scope = \"signing-key\" (a full compromise needs no insider)",
                ));
            }
            Some(field) => {
                let insider = now.member(self, &field)?;
                if insider == member {
                    return Err(self.error(
                        &field.span(),
                        format!("`insider` must be another member than the victim ({member})"),
                    ));
                }
                Some(insider)
            }
        };
        Ok(Action::Compromise {
            member,
            scope,
            insider,
        })
    }

    /// An attack: `kind`, `by`, `target`.
    fn attack(&self, table: &Table<'_, '_>, now: &Now) -> Res<Action> {
        let kind_names = ATTACK_KINDS.map(|(name, _)| name);
        let kind_field = table.required(self, "kind", &format!("which attack: {}", one_of(&kind_names)))?;
        let kind = self.choose(&kind_field, "attack kind", &ATTACK_KINDS)?;
        let by_field = table.required(self, "by", "who attacks: \"server\" or a member number")?;
        let by = match by_field.get() {
            DeValue::String(text) if text == "server" => Attacker::Server,
            DeValue::String(text) => {
                let message = match suggest(text, &["server"]) {
                    Some(near) => format!(
                        "`by` = \"{}\": expected \"server\" or a member number; did you mean `{near}`?",
                        echo(text)
                    ),
                    None => format!(
                        "`by` = \"{}\": expected \"server\" or a member number",
                        echo(text)
                    ),
                };
                return Err(self.error(&by_field.span(), message));
            }
            DeValue::Integer(_) => Attacker::Member(now.member(self, &by_field)?),
            _ => return Err(self.wrong_type(&by_field, "\"server\" or a member number")),
        };
        match (kind, by) {
            (AttackKind::AddMember, Attacker::Member(_)) => {
                return Err(self.error(
                    &by_field.span(),
                    "`add-member` is a server attack: write `by = \"server\"`",
                ));
            }
            (AttackKind::ForwardFakeKey, Attacker::Server) => {
                return Err(self.error(
                    &by_field.span(),
                    "`forward-fake-key` is an insider attack: `by` must be a member number",
                ));
            }
            _ => {}
        }
        let target = match table.field("target") {
            Some(field) => now.member(self, &field)?,
            None if kind == AttackKind::AddMember => 0,
            None => {
                return Err(self.error(
                    &table.span,
                    "missing required key `target` in [[event]]: the member attacked or impersonated (only \
                     `add-member` goes without)",
                ));
            }
        };
        if kind == AttackKind::AddMember && now.initial.saturating_add(now.joiners) >= MEMBERS_MAX {
            return Err(self.error(
                &kind_field.span(),
                format!(
                    "`add-member` brings the group above {MEMBERS_MAX} members (initial members and joiners)"
                ),
            ));
        }
        Ok(Action::Attack { kind, by, target })
    }

    /// `[expect]`.
    fn expectations(&self, top: &Table<'_, '_>) -> Res<Expectations> {
        let Some(expect) = top.subtable(self, "expect", " in [expect]")? else {
            return Ok(Expectations::default());
        };
        expect.check_keys(self, &EXPECT_KEYS)?;
        let hold = self.invariant_list(&expect, "hold")?;
        let violated = self.invariant_list(&expect, "violated")?;
        if let Some((name, span)) = violated
            .iter()
            .find(|(name, _)| hold.iter().any(|(held, _)| held == name))
        {
            return Err(self.error(span, format!("`hold` and `violated` both name `{name}`")));
        }
        Ok(Expectations {
            hold: hold.into_iter().map(|(name, _)| name).collect(),
            violated: violated.into_iter().map(|(name, _)| name).collect(),
            explicit: true,
        })
    }

    /// A list of invariant names, each known and named once.
    fn invariant_list(
        &self,
        expect: &Table<'_, '_>,
        key: &'static str,
    ) -> Res<Vec<(Invariant, Range<usize>)>> {
        let Some(field) = expect.field(key) else {
            return Ok(Vec::new());
        };
        let expected = "a list of invariant names like [\"authenticity\"]";
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, expected));
        };
        let mut names: Vec<(Invariant, Range<usize>)> = Vec::with_capacity(array.len());
        for value in array.iter() {
            let element = Field {
                key,
                key_span: field.key_span.clone(),
                value,
            };
            let text = self.string(&element, "an invariant name")?;
            let Some(name) = Invariant::named(text) else {
                return Err(self.error(&element.span(), unknown("invariant", text, &INVARIANTS)));
            };
            if names.iter().any(|(seen, _)| *seen == name) {
                return Err(self.error(&element.span(), format!("`{key}` names `{name}` twice")));
            }
            names.push((name, element.span()));
        }
        Ok(names)
    }
}

/// A TOML integer's value (`None` if it does not fit an `i128`, which TOML's 64-bit integers always do).
fn integer_value(integer: &DeInteger<'_>) -> Option<i128> {
    let radix = integer.radix();
    if (2..=36).contains(&radix) {
        i128::from_str_radix(integer.as_str(), radix).ok()
    } else {
        None
    }
}

/// A probability in `[0, 1]` in parts per million, rounded to the nearest.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the caller checked 0 <= p <= 1, so the product is within 0..=PPM"
)]
fn to_ppm(p: f64) -> u32 {
    (p * f64::from(PPM)).round().clamp(0.0, f64::from(PPM)) as u32
}

// ---- Writing scenarios back ----

impl Scenario {
    /// The canonical scenario file for this scenario: top-level keys, then `[group]`, `[workload]`, `[network]`,
    /// `[server]`, the `[[event]]`s in time order (file order at equal times) and `[expect]`, with every value
    /// written out (defaults included), so the file says everything the run does.
    ///
    /// [`parse`] reads the text back to an equal `Scenario` for every scenario the parser can produce. Durations
    /// are written with [`format_duration`] (exact units), probabilities as the exact decimal of their parts per
    /// million (`0.01`, `0.000123`), strings with TOML's own escaping, and `seed` as a decimal integer (the parser
    /// reads the whole `u64` range). What the format cannot say is written as the nearest thing it can:
    /// - a `reference/<suite>` implementation with a contradicting `suite` (which only an `--impl` override makes)
    ///   is written as `implementation = "reference/<suite>"` without the `suite` key: the file runs what the
    ///   scenario runs;
    /// - expectations lists without `explicit` are written as an `[expect]` table (which makes them explicit);
    /// - the group id and `keep_trace` are not part of the format (a parsed scenario has the default group and
    ///   `keep_trace = false`);
    /// - events out of time order are written in time order (the order in which they run).
    #[must_use]
    pub fn to_toml(&self) -> String {
        let config = &self.config;
        let mut out = String::new();
        key_value(&mut out, "name", &toml_string(&self.name));
        if let Some(description) = &self.description {
            key_value(&mut out, "description", &toml_string(description));
        }
        key_value(&mut out, "seed", &config.seed.to_string());
        key_value(&mut out, "duration", &toml_duration(config.duration));
        key_value(&mut out, "quiet", &toml_duration(config.quiet));
        let suite = match (&self.implementation, self.suite) {
            (ImplementationSpec::Reference(given), Some(suite)) if *given != suite => None,
            (_, suite) => suite,
        };
        key_value(
            &mut out,
            "implementation",
            &toml_string(&self.implementation.to_string()),
        );
        if let Some(suite) = suite {
            key_value(&mut out, "suite", &toml_string(suite.name()));
        }
        if self.policy_source != PolicySource::Default || config.policy != Policy::NEVER {
            key_value(&mut out, "policy", &toml_string(&config.policy.to_string()));
        }

        out.push_str("\n[group]\n");
        key_value(&mut out, "members", &config.members.to_string());

        out.push_str("\n[workload]\n");
        key_value(
            &mut out,
            "messages_per_member_per_hour",
            &config.messages_per_member_per_hour.to_string(),
        );
        key_value(&mut out, "plaintext_bytes", &config.plaintext_bytes.to_string());

        let network = &config.network;
        out.push_str("\n[network]\n");
        key_value(
            &mut out,
            "latency",
            &format!(
                "[{}, {}]",
                toml_duration(network.latency_min),
                toml_duration(network.latency_max)
            ),
        );
        key_value(&mut out, "drop", &format_probability(network.drop_ppm));
        key_value(&mut out, "duplicate", &format_probability(network.duplicate_ppm));
        key_value(
            &mut out,
            "reorder",
            if network.reorder { "true" } else { "false" },
        );

        out.push_str("\n[server]\n");
        let behaviour = BEHAVIOURS
            .iter()
            .find(|(_, behaviour)| *behaviour == config.server)
            .map_or("honest", |(name, _)| name);
        key_value(&mut out, "behaviour", &toml_string(behaviour));

        let mut actions: Vec<&ScheduledAction> = config.actions.iter().collect();
        actions.sort_by_key(|scheduled| scheduled.at);
        for scheduled in actions {
            out.push_str("\n[[event]]\n");
            key_value(&mut out, "at", &toml_duration(scheduled.at));
            write_action(&mut out, &scheduled.action);
        }

        let expect = &self.expect;
        if expect.explicit || !expect.hold.is_empty() || !expect.violated.is_empty() {
            out.push_str("\n[expect]\n");
            write_names(&mut out, "hold", &expect.hold);
            write_names(&mut out, "violated", &expect.violated);
        }
        out
    }
}

/// The keys of one event after `at`.
fn write_action(out: &mut String, action: &Action) {
    let name = |name: &str| toml_string(name);
    match action {
        Action::Join { count } => {
            key_value(out, "action", &name("join"));
            key_value(out, "count", &count.to_string());
        }
        Action::Leave { member } => {
            key_value(out, "action", &name("leave"));
            key_value(out, "member", &member.to_string());
        }
        Action::Remove { member } => {
            key_value(out, "action", &name("remove"));
            key_value(out, "member", &member.to_string());
        }
        Action::Offline { member, until } => {
            key_value(out, "action", &name("offline"));
            key_value(out, "member", &member.to_string());
            key_value(out, "until", &toml_duration(*until));
        }
        Action::Online { member } => {
            key_value(out, "action", &name("online"));
            key_value(out, "member", &member.to_string());
        }
        Action::Partition { members, until } => {
            key_value(out, "action", &name("partition"));
            let members: Vec<String> = members.iter().map(usize::to_string).collect();
            key_value(out, "members", &format!("[{}]", members.join(", ")));
            key_value(out, "until", &toml_duration(*until));
        }
        Action::Send { member, count } => {
            key_value(out, "action", &name("send"));
            key_value(out, "member", &member.to_string());
            key_value(out, "count", &count.to_string());
        }
        Action::Rotate { member } => {
            key_value(out, "action", &name("rotate"));
            key_value(out, "member", &member.to_string());
        }
        Action::Compromise {
            member,
            scope,
            insider,
        } => {
            key_value(out, "action", &name("compromise"));
            key_value(out, "member", &member.to_string());
            let scope = SCOPES
                .iter()
                .find(|(_, s)| s == scope)
                .map_or("full", |(name, _)| name);
            key_value(out, "scope", &name(scope));
            if let Some(insider) = insider {
                key_value(out, "insider", &insider.to_string());
            }
        }
        Action::Attack { kind, by, target } => {
            key_value(out, "action", &name("attack"));
            let kind_name = ATTACK_KINDS
                .iter()
                .find(|(_, k)| k == kind)
                .map_or("forge", |(name, _)| name);
            key_value(out, "kind", &name(kind_name));
            match by {
                Attacker::Server => key_value(out, "by", &name("server")),
                Attacker::Member(member) => key_value(out, "by", &member.to_string()),
            }
            // `target` is optional only for `add-member`, where it defaults to 0.
            if *kind != AttackKind::AddMember || *target != 0 {
                key_value(out, "target", &target.to_string());
            }
        }
    }
}

/// `key = value` on a line of its own.
fn key_value(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push('\n');
}

/// A list of invariant names: on one line if short, else one name per line.
fn write_names(out: &mut String, key: &str, names: &[Invariant]) {
    let quoted: Vec<String> = names.iter().map(|name| toml_string(name.name())).collect();
    let one_line = format!("[{}]", quoted.join(", "));
    if key.len() + 3 + one_line.len() <= ARRAY_LINE_CHARS_MAX {
        key_value(out, key, &one_line);
    } else {
        let lines: String = quoted.iter().map(|name| format!("    {name},\n")).collect();
        key_value(out, key, &format!("[\n{lines}]"));
    }
}

/// A TOML string holding exactly `text`, escaped by the `toml` crate.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A duration as a TOML string, e.g. `"90s"`.
fn toml_duration(us: Micros) -> String {
    toml_string(&format_duration(us))
}

/// The exact decimal of `ppm` parts per million (`0.0`, `0.01`, `0.000123`, `1.0`); [`to_ppm`] reads it back to
/// the same value. Above one million (which behaves like one million) it writes `1.0`.
fn format_probability(ppm: u32) -> String {
    let ppm = ppm.min(PPM);
    let (whole, fraction) = (ppm / PPM, ppm % PPM);
    if fraction == 0 {
        return format!("{whole}.0");
    }
    let digits = format!("{fraction:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod to_toml_tests {
    use proptest::prelude::*;

    use super::*;
    use crate::network::NetworkConfig;

    /// The scenario issue's example, verbatim (comments included).
    const EXAMPLE: &str = include_str!("../tests/data/issue-example.toml");

    /// `scenario` written and read back: equal, and writing it again gives the same text.
    #[track_caller]
    fn assert_round_trip(scenario: &Scenario) {
        let text = scenario.to_toml();
        let back = match parse("written.toml", &text) {
            Ok(back) => back,
            Err(e) => panic!("the written scenario does not parse: {e}\n---\n{text}"),
        };
        assert_eq!(&back, scenario, "\n---\n{text}");
        assert_eq!(back.to_toml(), text, "writing is canonical");
    }

    #[test]
    fn the_issue_example_round_trips_and_reads_like_a_hand_written_file() {
        let scenario = parse("example.toml", EXAMPLE).expect("the example parses");
        assert_round_trip(&scenario);
        let expected = r#"name = "accord: removal while messages are in flight"
description = "free text"
seed = 7
duration = "2h"
quiet = "10m"
implementation = "accord"
suite = "hardened"
policy = "on-removal+every-messages:100+every-time:1d"

[group]
members = 40

[workload]
messages_per_member_per_hour = 6
plaintext_bytes = 100

[network]
latency = ["20ms", "400ms"]
drop = 0.01
duplicate = 0.005
reorder = true

[server]
behaviour = "malicious"

[[event]]
at = "10m"
action = "join"
count = 3

[[event]]
at = "30m"
action = "remove"
member = 3

[[event]]
at = "45m"
action = "compromise"
member = 7
scope = "full"

[[event]]
at = "50m"
action = "offline"
member = 9
until = "70m"

[[event]]
at = "1h"
action = "attack"
kind = "replay"
by = "server"
target = 4

[expect]
hold = ["post-removal-secrecy", "authenticity"]
violated = ["server-blindness"]
"#;
        assert_eq!(scenario.to_toml(), expected);
    }

    #[test]
    fn every_scenario_file_in_the_repository_round_trips() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
        let Ok(entries) = std::fs::read_dir(dir) else {
            return; // no scenarios folder: nothing to check
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        for path in &paths {
            // A file another change is still writing may not parse yet; only what parses must round-trip.
            if let Ok(scenario) = load(path) {
                assert_round_trip(&scenario);
            }
        }
    }

    #[test]
    fn every_probability_is_written_exactly() {
        for ppm in 0..=PPM {
            let text = format_probability(ppm);
            let p: f64 = text.parse().expect("a decimal");
            assert_eq!(to_ppm(p), ppm, "{text}");
        }
        assert_eq!(format_probability(0), "0.0");
        assert_eq!(format_probability(10_000), "0.01");
        assert_eq!(format_probability(123), "0.000123");
        assert_eq!(format_probability(PPM), "1.0");
        assert_eq!(format_probability(PPM + 1), "1.0");
    }

    #[test]
    fn awkward_strings_and_unrepresentable_parts_are_written_sensibly() {
        let mut scenario = parse("t.toml", "name = \"t\"\n[group]\nmembers = 3\n").expect("valid");
        scenario.name = "quotes \" and \\ and '''\nand \"\"\" and \u{1} and ünïcode".to_owned();
        scenario.description = Some(String::new());
        scenario.implementation = ImplementationSpec::External("./adapter --flag 'x' \"y\"".to_owned());
        assert_round_trip(&scenario);

        // A contradicting suite (only an --impl override makes one): the file runs what the scenario runs.
        scenario.implementation = ImplementationSpec::Reference(SuiteId::Signal);
        scenario.suite = Some(SuiteId::Hardened);
        let back = parse("t.toml", &scenario.to_toml()).expect("parses");
        assert_eq!(
            back.implementation,
            ImplementationSpec::Reference(SuiteId::Signal)
        );
        assert_eq!(back.suite, None);

        // Events out of time order are written in the order they run.
        scenario.suite = None;
        scenario.config.actions = vec![
            ScheduledAction {
                at: 20 * 60_000_000,
                action: Action::Rotate { member: 1 },
            },
            ScheduledAction {
                at: 10 * 60_000_000,
                action: Action::Join { count: 2 },
            },
        ];
        let back = parse("t.toml", &scenario.to_toml()).expect("parses");
        assert_eq!(back.config.actions.first().map(|a| a.at), Some(10 * 60_000_000));
    }

    // ---- property: generated scenarios round-trip exactly ----

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(11),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Text a name or description may hold: anything, quotes, backslashes, newlines and controls included.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,30}",
            "\\PC{0,20}",
            "[\\x00-\\x7f]{0,20}",
            Just("\"\"\"'''\\\n\r\t".to_owned()),
        ]
    }

    fn suite() -> impl Strategy<Value = SuiteId> {
        proptest::sample::select(SuiteId::ALL.to_vec())
    }

    /// An implementation and a `suite` the parser can produce together.
    fn implementation() -> impl Strategy<Value = (ImplementationSpec, Option<SuiteId>)> {
        prop_oneof![
            (suite(), any::<bool>())
                .prop_map(|(suite, named)| (ImplementationSpec::Reference(suite), named.then_some(suite))),
            (
                proptest::sample::select(vec![
                    ImplementationSpec::Accord,
                    ImplementationSpec::Chatalot,
                    ImplementationSpec::P2p
                ]),
                proptest::option::of(suite())
            ),
            ("[ -~]{0,20}x", proptest::option::of(suite()))
                .prop_map(|(command, suite)| (ImplementationSpec::External(command), suite)),
        ]
    }

    fn duration(max: Micros) -> impl Strategy<Value = Micros> {
        prop_oneof![
            (
                1..=1_000u64,
                proptest::sample::select(vec![1, 1_000, 1_000_000, 60_000_000, crate::time::HOUR_US])
            )
                .prop_map(move |(n, unit)| (n * unit).min(max)),
            1..=max,
        ]
    }

    fn policy() -> impl Strategy<Value = Policy> {
        let membership = prop_oneof![Just((false, false)), Just((true, false)), Just((true, true))];
        (
            membership,
            proptest::option::of(prop_oneof![1..=1_000u64, 1..=u64::MAX]),
            proptest::option::of(duration(u64::MAX)),
        )
            .prop_map(|((on_removal, on_join), every_messages, every_time)| Policy {
                on_removal,
                on_join,
                every_messages,
                every_time,
            })
    }

    fn expectations() -> impl Strategy<Value = Expectations> {
        prop_oneof![
            Just(Expectations::default()),
            (
                Just(Invariant::ALL.to_vec()).prop_shuffle(),
                proptest::collection::vec(0..3u8, Invariant::ALL.len())
            )
                .prop_map(|(names, lists)| {
                    let mut expect = Expectations {
                        explicit: true,
                        ..Expectations::default()
                    };
                    for (name, list) in names.into_iter().zip(lists) {
                        match list {
                            0 => expect.hold.push(name),
                            1 => expect.violated.push(name),
                            _ => {}
                        }
                    }
                    expect
                }),
        ]
    }

    /// One event's raw draw: (time as a fraction of the duration in ppm, action kind, three numbers, a flag).
    type RawEvent = (u32, u8, u64, u64, u64, bool);

    fn raw_events() -> impl Strategy<Value = Vec<RawEvent>> {
        proptest::collection::vec(
            (
                0..PPM,
                0..10u8,
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<bool>(),
            ),
            0..24,
        )
    }

    /// Turns raw draws into events of every kind whose member numbers exist at their time.
    fn events(initial: usize, duration: Micros, raw: Vec<RawEvent>) -> Vec<ScheduledAction> {
        let mut timed: Vec<(Micros, u8, u64, u64, u64, bool)> = raw
            .into_iter()
            .map(|(fraction, kind, a, b, c, flag)| {
                let at = u64::try_from(u128::from(duration) * u128::from(fraction) / u128::from(PPM))
                    .unwrap_or(0)
                    .min(duration - 1);
                (at, kind, a, b, c, flag)
            })
            .collect();
        timed.sort_by_key(|event| event.0);
        let mut exists = initial;
        let mut actions = Vec::new();
        for (at, kind, a, b, c, flag) in timed {
            let pick = |n: u64| usize::try_from(n % exists as u64).unwrap_or(0);
            let until = at + 1 + b % (DURATION_MAX - at);
            let action = match kind {
                0 => {
                    let count = 1 + usize::try_from(a % 3).unwrap_or(0);
                    exists += count;
                    Action::Join { count }
                }
                1 => Action::Leave { member: pick(a) },
                2 => Action::Remove { member: pick(a) },
                3 => Action::Offline {
                    member: pick(a),
                    until,
                },
                4 => Action::Online { member: pick(a) },
                5 => {
                    let mut members: Vec<usize> = (0..=c % 4).map(|i| pick(a.wrapping_add(i * 7))).collect();
                    let mut seen = BTreeSet::new();
                    members.retain(|m| seen.insert(*m));
                    Action::Partition { members, until }
                }
                6 => Action::Send {
                    member: pick(a),
                    count: 1 + usize::try_from(b % SEND_COUNT_MAX as u64).unwrap_or(0),
                },
                7 => Action::Rotate { member: pick(a) },
                8 => {
                    let member = pick(a);
                    let scope = if flag {
                        CompromiseScope::SigningKey
                    } else {
                        CompromiseScope::Full
                    };
                    let insider = (scope == CompromiseScope::SigningKey && exists > 1 && c % 2 == 0)
                        .then(|| (member + 1 + pick(b) % (exists - 1)) % exists);
                    Action::Compromise {
                        member,
                        scope,
                        insider,
                    }
                }
                _ => {
                    let (_, kind) = ATTACK_KINDS[usize::try_from(c % 9).unwrap_or(0)];
                    let by = match kind {
                        AttackKind::AddMember => Attacker::Server,
                        AttackKind::ForwardFakeKey => Attacker::Member(pick(b)),
                        _ if flag => Attacker::Server,
                        _ => Attacker::Member(pick(b)),
                    };
                    let target = pick(a);
                    if kind == AttackKind::AddMember {
                        exists += 1;
                    }
                    Action::Attack { kind, by, target }
                }
            };
            actions.push(ScheduledAction { at, action });
        }
        actions
    }

    prop_compose! {
        fn scenario()(
            name in text(),
            description in proptest::option::of(text()),
            (implementation, suite) in implementation(),
            seed in any::<u64>(),
            members in prop_oneof![1..=12usize, 1..=500usize],
            duration in duration(DURATION_MAX),
            quiet in prop_oneof![Just(0), duration(DURATION_MAX)],
            rate in 0..=MESSAGES_PER_MEMBER_PER_HOUR_MAX,
            plaintext_bytes in PLAINTEXT_HEADER_BYTES..=senderkeys::consts::PLAINTEXT_BYTES_MAX,
            latency in (0..=LATENCY_MAX, 0..=LATENCY_MAX),
            drop_ppm in prop_oneof![Just(0), Just(PPM), 0..=PPM],
            duplicate_ppm in 0..=PPM,
            reorder in any::<bool>(),
            policy in policy(),
            server in proptest::sample::select(BEHAVIOURS.map(|(_, b)| b).to_vec()),
            raw in raw_events(),
            expect in expectations(),
        ) -> Scenario {
            let mut config = SimConfig::new(seed, members);
            config.duration = duration;
            config.quiet = quiet;
            config.messages_per_member_per_hour = rate;
            config.plaintext_bytes = plaintext_bytes;
            config.network = NetworkConfig {
                latency_min: latency.0.min(latency.1),
                latency_max: latency.0.max(latency.1),
                drop_ppm,
                duplicate_ppm,
                reorder,
            };
            config.policy = policy;
            config.server = server;
            config.actions = crate::config::possible_only(members, server, events(members, duration, raw));
            Scenario {
                name: format!("{name}n"),
                description,
                implementation,
                suite,
                config,
                policy_source: PolicySource::File,
                expect,
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn generated_scenarios_round_trip_exactly(scenario in scenario()) {
            assert_round_trip(&scenario);
        }
    }
}

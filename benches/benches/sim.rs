//! Simulator benchmarks: whole runs of the deterministic simulator, measured in **deliveries per second**.
//!
//! A delivery is one envelope decrypted, or rejected, by one receiver ([`Counts::deliveries`] in the run's
//! report, the figure `sksim run` divides by the wall time in its `performance` section). Each iteration is one
//! whole simulation, [`engine::run`] with the reference implementation in the `hardened` suite, from building
//! the members to the checkers' verdicts; criterion reports it as time per run and, through
//! [`Throughput::Elements`], as deliveries per second.
//!
//! # `sim/deliveries/<members>-members/<memo|no-memo>`
//!
//! | benchmark | members | memo of pure work ([`SimConfig::memo`]) |
//! |---|---|---|
//! | `sim/deliveries/100-members/memo` | 100 | on |
//! | `sim/deliveries/100-members/no-memo` | 100 | off |
//! | `sim/deliveries/1000-members/memo` | 1,000 | on |
//! | `sim/deliveries/1000-members/no-memo` | 1,000 | off |
//! | `sim/deliveries/5000-members/memo` | 5,000 | on |
//!
//! `memo` against `no-memo` is what memoising pure work (signature verdicts, chain steps, parsed public keys)
//! saves; the memo changes only the speed, never the run: when both variants of a size are measured, their reports
//! (trace hash included) are asserted identical. There is no `5000-members/no-memo`: without the memo a
//! 5,000-member run takes far too long for a benchmark that repeats it a dozen times.
//!
//! # The scenario
//!
//! Built in code from [`SimConfig::new`], seed 1, and checked once when the benchmarks start by writing it as a
//! scenario file and parsing it back ([`Scenario::to_toml`], [`scenario::parse`]: the checks a scenario file
//! gets), for every size, whatever runs:
//!
//! - implementation `reference/hardened` (signed: every message is signed and verified);
//! - workload: 60,000 messages per hour shared among the members (600 per member per hour with 100 members, 60
//!   with 1,000, 12 with 5,000) for an active phase of 10 virtual minutes: about 10,000 messages whatever the
//!   size, each delivered to every other member, so about 1 million deliveries with 100 members, 10 million
//!   with 1,000 and 50 million with 5,000. 100-byte plaintexts. Then [`SimConfig::new`]'s quiet phase of 10
//!   minutes (no faults, missing keys asked for again);
//! - network: 20 ms–400 ms latency with reordering, 1 % of envelope copies dropped, 1 % duplicated;
//! - server `curious` (reads everything it relays; the server-blindness checker tries to decrypt it);
//! - policy `on-removal`, parsed as scenario files parse it (everyone rotates when a member is removed);
//! - scripted: a `full` compromise of member 6 at 30 % of the active phase (3 min) and the removal of member 3
//!   at 50 % (5 min): every remaining member rotates. Each key, the first ones and the rotated ones, is
//!   distributed to every other member over the sealed pairwise channels, so distributions grow with the
//!   square of the group (19,602 with 100 members, about 2 million with 1,000, 50 million with 5,000), and so
//!   does the state (every member holds a receiver state for every sender);
//! - every checker on (the engine always runs them all).
//!
//! Before a configuration is measured it runs once, untimed, to learn its delivery count (the run is
//! deterministic, so every iteration delivers exactly as many; each iteration asserts it) and prints one line on
//! stderr: members, messages sent, deliveries, decryptions, distributions, rotations, events and any violated
//! invariant.
//!
//! # Running
//!
//! `cargo bench -p sksim-benches --bench sim` measures everything: hours, since every configuration runs 12
//! times (the untimed first run, one warm-up run, 10 samples) and a run of 1,000 members without the memo, or
//! of 5,000 with it, takes many minutes (on the 2-core, 24 GB machine of `BENCHMARKS.md`: 1,000 members about
//! 80 s per run with the memo and 25 minutes without; 5,000 members need about 24 GB of memory, all that
//! machine has). Filter with criterion's regex, e.g.
//! `cargo bench -p sksim-benches --bench sim -- 'sim/deliveries/1000-members'`. Configurations the filter
//! excludes are not run at all, not even their untimed first run (a plain filter is matched as a substring,
//! as criterion's regex matches it; a filter with regex syntax makes every configuration do its first run,
//! and criterion then measures only what matches).
//!
//! Each sample is one whole run (flat sampling, 10 samples, after a warm-up of one run), so criterion prints
//! `Warning: Unable to complete 10 samples in 1.0s…`: expected, ignore it.
//!
//! # Smoke mode
//!
//! `cargo test -p sksim-benches --benches` (CI) runs each benchmark once. The binary tells the two apart as
//! criterion does: `cargo bench` passes `--bench`, `cargo test` does not (and `cargo bench -- --test` is a
//! smoke run too). In smoke mode only the two 100-member benchmarks run, with an active phase of 1 minute
//! instead of 10 (about 1,000 messages, 100,000 deliveries); a line on stderr says that the 1,000- and 5,000-member
//! benchmarks run only under `cargo bench`. Their configurations are still built and checked.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use senderkeys::SuiteId;
use sksim::config::{Action, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use sksim::engine;
use sksim::implementations::reference::Reference;
use sksim::limits::MEMBERS_MAX;
use sksim::network::{NetworkConfig, PPM};
use sksim::performance::grouped;
use sksim::policy::Policy;
use sksim::report::{Counts, Report};
use sksim::scenario::{self, Expectations, ImplementationSpec, Scenario};
use sksim::time::{HOUR_US, Micros};

const SEED: u64 = 1;
const SUITE: SuiteId = SuiteId::Hardened;
const POLICY: &str = "on-removal";
/// The whole group's sending rate, shared among its members: every size sends about as many messages, so
/// deliveries grow with the group and the benchmarks compare throughput, not workloads.
const MESSAGES_PER_HOUR: u32 = 60_000;
/// The active phase: 10 minutes, about 10,000 messages (the engine spaces each member's messages uniformly
/// between one and two times the mean gap, so a little under).
const DURATION: Micros = HOUR_US / 6;
/// The active phase in smoke mode: 1 minute, about 1,000 messages.
const SMOKE_DURATION: Micros = HOUR_US / 60;
/// The member whose whole state is stolen, and when (percent of the active phase).
const COMPROMISED: usize = 6;
const COMPROMISE_PERCENT: Micros = 30;
/// The member removed, and when (percent of the active phase).
const REMOVED: usize = 3;
const REMOVAL_PERCENT: Micros = 50;

/// Every benchmark: members, and the memo settings measured for that size (no `no-memo` at 5,000: see the
/// module doc).
const CONFIGURATIONS: [(usize, &[bool]); 3] =
    [(100, &[true, false]), (1_000, &[true, false]), (5_000, &[true])];
/// The size that runs in smoke mode.
const SMOKE_MEMBERS: usize = 100;

/// The scenario of the module doc, for `members` members, an active phase of `duration`, memo on or off.
fn config(members: usize, memo: bool, duration: Micros) -> SimConfig {
    let mut config = SimConfig::new(SEED, members);
    config.duration = duration;
    // Invariant: the group sizes are small constants.
    config.messages_per_member_per_hour =
        MESSAGES_PER_HOUR / u32::try_from(members).expect("a few thousand members");
    config.network = NetworkConfig {
        latency_min: 20_000,
        latency_max: 400_000,
        drop_ppm: PPM / 100,
        duplicate_ppm: PPM / 100,
        reorder: true,
    };
    config.server = ServerBehaviour::Curious;
    config.policy = POLICY.parse::<Policy>().expect("a valid policy");
    config.actions = vec![
        ScheduledAction {
            at: duration * COMPROMISE_PERCENT / 100,
            action: Action::Compromise {
                member: COMPROMISED,
                scope: CompromiseScope::Full,
                insider: None,
            },
        },
        ScheduledAction {
            at: duration * REMOVAL_PERCENT / 100,
            action: Action::Remove { member: REMOVED },
        },
    ];
    config.memo = memo;
    config
}

/// Checks `config` as a scenario file is checked: writes it as one, parses it back, and compares.
fn check(config: &SimConfig) {
    assert!(
        config.members <= MEMBERS_MAX,
        "{} members; the simulator takes at most {MEMBERS_MAX}",
        config.members
    );
    let scenario = Scenario {
        name: format!("benches/sim: {} members", config.members),
        description: None,
        implementation: ImplementationSpec::Reference(SUITE),
        suite: None,
        config: config.clone(),
        policy_source: scenario::PolicySource::File,
        expect: Expectations::default(),
    };
    let parsed = scenario::parse("benches/sim.rs", &scenario.to_toml())
        .unwrap_or_else(|e| panic!("the benchmark's scenario is invalid: {e}"));
    // The memo is a run option, not part of the scenario format.
    let mut expected = config.clone();
    expected.memo = parsed.config.memo;
    assert_eq!(
        parsed.config, expected,
        "the scenario changed on its way through the file format"
    );
    assert_eq!(parsed.implementation, ImplementationSpec::Reference(SUITE));
}

fn run(config: &SimConfig) -> Report {
    let (report, _) = engine::run(config, &Reference { suite: SUITE }).expect("a valid configuration");
    report
}

fn describe(id: &str, config: &SimConfig, report: &Report) {
    let Counts {
        envelopes_sent,
        deliveries,
        decrypted,
        rotations,
        ..
    } = report.counts;
    let violated = report.violated();
    eprintln!(
        "{id}: {} members, {} s active + {} s quiet; {} messages sent, {} deliveries ({} decrypted), {} \
         distributions, {rotations} rotations, {} events; violated: {}",
        grouped(config.members as u64),
        config.duration / 1_000_000,
        config.quiet / 1_000_000,
        grouped(envelopes_sent),
        grouped(deliveries),
        grouped(decrypted),
        grouped(report.distribution.total.messages),
        grouped(report.events),
        if violated.is_empty() {
            "none".to_owned()
        } else {
            sksim::output::names(&violated)
        },
    );
}

// ---------------------------------------------------------------------------------------------------------
// What the process was started to do, read from its arguments as criterion reads them.
// ---------------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `cargo bench`: measure.
    Measure,
    /// `cargo test --benches` (or `cargo bench -- --test`): run each benchmark once.
    Smoke,
    /// `--list`: criterion only prints the names.
    List,
}

/// Which benchmarks criterion will run, as far as this file can tell without criterion's regex engine.
#[derive(Debug)]
enum Filter {
    All,
    Nothing,
    /// A filter without regex syntax: the regex matches exactly the names containing it.
    Substring(String),
    /// `--exact`.
    Exact(String),
}

/// Criterion 0.8's options that take a value (`--name value`); every other option is a flag.
const VALUE_OPTIONS: [&str; 20] = [
    "-c",
    "--color",
    "--colour",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--format",
    "--profile-time",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

/// Characters with a meaning in a regex outside a character class (which needs `[`).
const REGEX_SYNTAX: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

struct Invocation {
    mode: Mode,
    filter: Filter,
}

impl Invocation {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let flag = |name: &str| args.iter().any(|a| a == name);
        let mode = if flag("--list") {
            Mode::List
        } else if flag("--bench") && !flag("--test") {
            Mode::Measure
        } else {
            Mode::Smoke
        };
        let mut positional = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--" {
                positional.extend(rest.by_ref());
            } else if VALUE_OPTIONS.contains(&arg.as_str()) {
                rest.next();
            } else if !arg.starts_with('-') {
                positional.push(arg);
            }
        }
        let filter = match positional.as_slice() {
            _ if flag("--ignored") => Filter::Nothing,
            [] => Filter::All,
            [one] if flag("--exact") => Filter::Exact((*one).clone()),
            [one] if !one.contains(REGEX_SYNTAX) => Filter::Substring((*one).clone()),
            // Regex syntax, or arguments this file does not understand: assume everything may run.
            _ => Filter::All,
        };
        Invocation { mode, filter }
    }

    /// Whether criterion may run benchmark `id`. Never false for a benchmark criterion runs (if it were, the
    /// benchmark panics instead of reporting a wrong throughput).
    fn may_run(&self, id: &str) -> bool {
        match &self.filter {
            Filter::All => true,
            Filter::Nothing => false,
            Filter::Substring(part) => id.contains(part.as_str()),
            Filter::Exact(exact) => id == exact,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// sim/deliveries/<members>-members/<memo|no-memo>
// ---------------------------------------------------------------------------------------------------------

fn sim_benches(c: &mut Criterion) {
    let invocation = Invocation::from_args();
    for (members, memos) in CONFIGURATIONS {
        for &memo in memos {
            check(&config(members, memo, DURATION));
        }
    }
    check(&config(SMOKE_MEMBERS, true, SMOKE_DURATION));
    let duration = if invocation.mode == Mode::Smoke {
        eprintln!(
            "sim benchmarks, smoke mode: only the {SMOKE_MEMBERS}-member benchmarks run, with a 1-minute active \
             phase; the 1,000- and 5,000-member benchmarks run only under `cargo bench` (their configurations \
             were built and checked)"
        );
        SMOKE_DURATION
    } else {
        DURATION
    };
    for (members, memos) in CONFIGURATIONS {
        if invocation.mode == Mode::Smoke && members != SMOKE_MEMBERS {
            continue;
        }
        let mut group = c.benchmark_group(format!("sim/deliveries/{members}-members"));
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_secs(1));
        // The report of each memo setting's untimed first run, to check that the memo changes nothing but speed.
        let mut first_runs: BTreeMap<bool, Report> = BTreeMap::new();
        for &memo in memos {
            let config = config(members, memo, duration);
            let name = if memo { "memo" } else { "no-memo" };
            let id = format!("sim/deliveries/{members}-members/{name}");
            let deliveries = (invocation.mode != Mode::List && invocation.may_run(&id)).then(|| {
                let report = run(&config);
                describe(&id, &config, &report);
                if let Some((other, earlier)) = first_runs.iter().next() {
                    assert!(
                        *earlier == report,
                        "{id}: the run with memo {other} gave another report; the memo must change only speed"
                    );
                }
                let deliveries = report.counts.deliveries;
                first_runs.insert(memo, report);
                deliveries
            });
            if let Some(deliveries) = deliveries {
                group.throughput(Throughput::Elements(deliveries));
            }
            group.bench_function(name, |b| {
                let expected = deliveries.unwrap_or_else(|| {
                    panic!("{id}: criterion runs a benchmark this file's reading of the filter excluded")
                });
                b.iter(|| {
                    let report = run(&config);
                    assert_eq!(
                        report.counts.deliveries, expected,
                        "{id}: the run is deterministic"
                    );
                    report
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, sim_benches);
criterion_main!(benches);

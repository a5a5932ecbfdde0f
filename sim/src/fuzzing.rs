//! The bodies of the fuzz targets that need the simulator (`fuzz/fuzz_targets/`): each target file is a few
//! lines calling one of these, and `cargo test` replays the committed corpora through them
//! (`sim/tests/fuzz_corpus.rs`). The wire-format bodies are in `senderkeys::testing::fuzz`.
//!
//! - [`scenario()`]: the scenario-file parser, fed arbitrary text.
//! - [`simulation`]: a whole simulation (like libsignal's `interaction` target). The bytes are decoded
//!   ([`decode_simulation`]) into a small scenario run by the `reference` implementation with every checker on,
//!   and the run must not violate an invariant that [`sweep::allowed`] does not allow given what happened in the
//!   run (its [`crate::facts`]) — the oracle `sksim sweep` judges its random scenarios with.
//!
//! # The `simulation` input
//!
//! [`decode_simulation`] reads the bytes with [`arbitrary::Unstructured`], one byte per decision (the seed
//! takes four). Every input decodes, the empty one included: once the bytes run out every further byte reads
//! as 0, and each table below has its default at index 0. A byte `b` choosing from a table of `n` entries picks
//! entry `b % n`.
//!
//! A header of [`SIMULATION_HEADER_BYTES`] bytes:
//!
//! | byte | decides | values (entry 0 first) |
//! |---|---|---|
//! | 0–3 | `seed` | little-endian `u32` |
//! | 4 | the suite `reference` speaks | [`SIMULATION_SUITES`]: `hardened`, `signal`, `accord`, `chatalot`, `p2p` |
//! | 5 | initial members | 2 + `b % 5` (2 to 6) |
//! | 6 | active phase | 1m, 30s, 45s, 90s, 2m, 150s, 3m, 4m (the quiet phase is always [`SIMULATION_QUIET`]) |
//! | 7 | messages per member per hour | 30, 0 (scripted sends only), 6, 15, 60, 120, 10, 90; lowered if the expected deliveries (counting every member the events add as there from the start) would exceed [`SIMULATION_DELIVERIES_MAX`] |
//! | 8 | plaintext bytes | 100, 12, 300, 1024 |
//! | 9 | smallest latency | 20ms, 0, 1ms, 5ms, 50ms, 100ms, 200ms, 1s |
//! | 10 | largest latency (at least the smallest) | 400ms, 1ms, 10ms, 100ms, 1s, 2s, 5s, 50ms |
//! | 11 | drop rate | 0, 100, 1 000, 5 000, 20 000, 50 000, 100 000, 200 000 ppm |
//! | 12 | duplicate rate | 0, 100, 1 000, 5 000, 10 000, 20 000, 50 000, 100 000 ppm |
//! | 13 | reordering | on, on, on, off |
//! | 14 | server | honest, curious, malicious |
//! | 15 | policy components (bits) | 1 `on-removal`, 2 `on-membership-change` (with bit 1), 4 `every-messages:N`, 8 `every-time:T` (none: `never`) |
//! | 16 | N | 10, 1, 2, 3, 5, 20, 100, 1000 |
//! | 17 | T | 30s, 250ms, 1s, 5s, 10s, 1m, 2m, 10m |
//!
//! Then up to [`SIMULATION_ACTIONS_MAX`] records of [`SIMULATION_RECORD_BYTES`] bytes, one scripted event each,
//! read while bytes remain (a cut-off last record is padded with zeros): `[gap, kind, p1, p2, p3, p4, p5, p6]`.
//! The event happens `gap` × 250 ms after the previous one (the first: after the start), so events are in time
//! order as they are read; decoding stops at the first event that would fall at or after the end of the active
//! phase. `kind` chooses from [`SIMULATION_ACTION_KINDS`]; the parameters:
//!
//! | kind | parameters |
//! |---|---|
//! | `join` | `1 + p1 % 3` members (fewer if the group would exceed [`SIMULATION_MEMBERS_MAX`]; none: no event) |
//! | `leave`, `remove` | the member `p1` selects; no event if it is present and only two members are |
//! | `offline` | the member `p1` selects, until `(1 + p2)` × 500 ms later (at most the end of the active phase) |
//! | `online` | the `p1 % n`-th of the `n` members offline then, or if none the member `p1` selects |
//! | `partition` | `1 + p1 % 3` distinct present members chosen by `p2`, `p3`, `p4`, until `(1 + p5)` × 500 ms later (capped like `offline`) |
//! | `send` | the member `p1` selects sends `1 + p2 % 6` messages |
//! | `rotate` | the member `p1` selects |
//! | `compromise` | the member `p1` selects; `full` if `p2` is even, else `signing-key`, with an insider (the member `p4` selects among the others) if `p3` is odd |
//! | `attack` | kind [`AttackKind::ALL`]`[p1 % 11]`; `add-member` and `tamper-in-flight` by the server (no `add-member` if the group is full), `forward-fake-key` by an insider, the others by the server if `p2` is even, else by an insider; by the server the target is the member `p3` selects; by an insider the insider is the member `p3` selects and the target the member `p4` selects among the others. Options from one byte `q` (`p4` by the server, `p2 >> 1` by an insider): `tamper` and `tamper-in-flight` take the mutation `catalogue[q % len]` and the genuine copy `[later, earlier, never][q % 3]`; `bad-distribution` the distribution mutation `catalogue[q % len]`; `forge` the distance `[1, 2, 1500, 2000, 2001, 24999, 25000, 25001][q % 8]` and `repeat` `1 + q / 8 % 4` (at most `KEYED_FORGERY_REACH_MAX` / distance) |
//!
//! A selector byte `s` chooses, as [`sweep::draw`] does with its dice, among the members present at that time
//! (after the joins and departures before it), or among every member number handed out so far when `s ≥ 224`
//! (one value in eight, so events naming departed members occur too) or when no present member qualifies: the
//! `s % n`-th of the `n` candidates. Like the draw, departures keep at least two members in the group; the
//! member numbers an event names always exist by its time, so the scenario is valid.
//!
//! The decoder reuses the sweep's helpers where they exist (the oracle [`sweep::allowed`], the `[expect]` a
//! drawn scenario gets before it runs, the workload cap) and builds the same public types the scenario parser produces
//! ([`Scenario`], [`SimConfig`], [`Action`]), so a decoded scenario is an ordinary scenario file.
//!
//! # Reproducing a failure
//!
//! A panic of [`simulation`] prints the scenario as a scenario file ([`Scenario::to_toml`]), with an `[expect]`
//! that holds every invariant [`sweep::allowed`] does not allow and that applied in the run. Save it as
//! `crash.toml` and run `sksim run crash.toml` (add `--trace trace.txt` for the events): its mismatches are the
//! unexpected violations; `sksim shrink crash.toml` makes it smaller. The input itself replays with
//! `cargo fuzz run --sanitizer none simulation <artifact>`; minimise it with `cargo fuzz tmin`, and a copy in
//! `fuzz/regressions/simulation/<what-it-exercises>` keeps it fixed under `cargo test`
//! (`sim/tests/fuzz_corpus.rs`).

use arbitrary::{Arbitrary, Unstructured};
use senderkeys::SuiteId;

use crate::attacks::AttackKind;
use crate::checkers::{InvariantReport, Verdict};
use crate::config::{
    Action, AttackOptions, Attacker, CompromiseScope, GenuineCopy, ScheduledAction, ServerBehaviour,
    SimConfig,
};
use crate::limits::{SIMULATION_ACTIONS_MAX, SIMULATION_DELIVERIES_MAX, SIMULATION_MEMBERS_MAX};
use crate::mutations::{DistributionMutation, Mutation};
use crate::network::NetworkConfig;
use crate::policy::Policy;
use crate::runner::{RunError, run_scenario};
use crate::scenario::{self, Expectations, ImplementationSpec, Scenario};
use crate::sweep;
use crate::time::{Micros, format_duration};

/// The adapter protocol from both ends, on untrusted bytes: each line of `data` is served as a request by sksim's
/// own adapter ([`crate::external::serve`], with the `reference/hardened` implementation behind it, so a line
/// that parses runs the operation it names on whatever it carries), and parsed by sksim's client as an adapter's
/// answer. Seeds: `fuzz/corpus/adapter/`, lines of real exchanges.
///
/// # Panics
///
/// When either side panics on its input (neither may), or when serving fails although the output is a sink.
pub fn adapter(data: &[u8]) {
    use crate::external::serve::{ServeOptions, serve};
    let factory = crate::implementations::reference::Reference {
        suite: SuiteId::Hardened,
    };
    serve(&factory, data, std::io::sink(), &ServeOptions::default())
        .expect("serving into a sink cannot fail");
    for (id, line) in (1u64..).zip(data.split(|&b| b == b'\n')) {
        let _ = crate::external::client::answer_fits(&String::from_utf8_lossy(line), id);
    }
}

/// The scenario-file parser, fed arbitrary bytes (invalid UTF-8 is read lossily, as an editor would show it).
///
/// # Panics
///
/// When the parser breaks one of its promises: it panics itself; an error has no location although the text
/// was read; or a file it accepts does not survive being written back ([`scenario::Scenario::to_toml`]) and
/// parsed again unchanged.
pub fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match scenario::parse("fuzz.toml", &text) {
        Ok(parsed) => {
            let written = parsed.to_toml();
            let reparsed = scenario::parse("written.toml", &written).unwrap_or_else(|e| {
                panic!("a parsed scenario, written back, does not parse: {e}\n{written}")
            });
            assert_eq!(
                reparsed, parsed,
                "a parsed scenario changed when written back:\n{written}"
            );
        }
        Err(e) => assert!(
            e.line >= 1 && e.column >= 1,
            "every rejection of a text has a location: {e:?}"
        ),
    }
}

// ---- the simulation target ----

/// Bytes of the `simulation` input's header (seed, suite, group, workload, network, server, policy); see the
/// module documentation.
pub const SIMULATION_HEADER_BYTES: usize = 18;

/// Bytes of one scripted-event record after the header: gap, kind and six parameters.
pub const SIMULATION_RECORD_BYTES: usize = 8;

/// The quiet phase of every decoded scenario: long enough for the key requests of the slowest network the
/// header can choose (5 s latency) to be answered several times over.
pub const SIMULATION_QUIET: Micros = 2 * 60_000_000;

/// The suites byte 4 chooses from, the default (`hardened`) first; every suite of [`SuiteId::ALL`].
pub const SIMULATION_SUITES: [SuiteId; 5] = [
    SuiteId::Hardened,
    SuiteId::Signal,
    SuiteId::Accord,
    SuiteId::Chatalot,
    SuiteId::P2p,
];

/// The event kinds a record's `kind` byte chooses from, named as scenario files name the actions.
pub const SIMULATION_ACTION_KINDS: [&str; 10] = crate::config::ACTION_NAMES;

const SECOND: Micros = 1_000_000;
const MILLISECOND: Micros = 1_000;

const DURATIONS: [Micros; 8] = [
    60 * SECOND,
    30 * SECOND,
    45 * SECOND,
    90 * SECOND,
    120 * SECOND,
    150 * SECOND,
    180 * SECOND,
    240 * SECOND,
];
const RATES: [u32; 8] = [30, 0, 6, 15, 60, 120, 10, 90];
const PLAINTEXT_BYTES: [usize; 4] = [100, 12, 300, 1024];
const LATENCY_MIN: [Micros; 8] = [
    20 * MILLISECOND,
    0,
    MILLISECOND,
    5 * MILLISECOND,
    50 * MILLISECOND,
    100 * MILLISECOND,
    200 * MILLISECOND,
    SECOND,
];
const LATENCY_MAX: [Micros; 8] = [
    400 * MILLISECOND,
    MILLISECOND,
    10 * MILLISECOND,
    100 * MILLISECOND,
    SECOND,
    2 * SECOND,
    5 * SECOND,
    50 * MILLISECOND,
];
const DROP_PPM: [u32; 8] = [0, 100, 1_000, 5_000, 20_000, 50_000, 100_000, 200_000];
const DUPLICATE_PPM: [u32; 8] = [0, 100, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000];
const SERVERS: [ServerBehaviour; 3] = [
    ServerBehaviour::Honest,
    ServerBehaviour::Curious,
    ServerBehaviour::Malicious,
];
const EVERY_MESSAGES: [u64; 8] = [10, 1, 2, 3, 5, 20, 100, 1_000];
const EVERY_TIME: [Micros; 8] = [
    30 * SECOND,
    250 * MILLISECOND,
    SECOND,
    5 * SECOND,
    10 * SECOND,
    60 * SECOND,
    120 * SECOND,
    600 * SECOND,
];

/// Policy bits of header byte 15.
const ON_REMOVAL: u8 = 1;
const ON_MEMBERSHIP_CHANGE: u8 = 2;
const EVERY_MESSAGES_BIT: u8 = 4;
const EVERY_TIME_BIT: u8 = 8;

/// A record's `gap` unit, and the unit of `offline` and `partition` lengths.
const GAP_UNIT: Micros = 250 * MILLISECOND;
const SPAN_UNIT: Micros = 500 * MILLISECOND;

/// Selector bytes from this value on choose among every member number handed out, not only those present.
const ANYONE_FROM: u8 = 224;

/// The input, one byte per decision; zeros once it runs out.
struct Bytes<'a>(Unstructured<'a>);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        u8::arbitrary(&mut self.0).unwrap_or(0)
    }

    /// The entry of `table` the next byte chooses (`table` is not empty).
    fn choose<T: Copy>(&mut self, table: &[T]) -> T {
        table[usize::from(self.byte()) % table.len()]
    }

    fn record(&mut self) -> [u8; SIMULATION_RECORD_BYTES] {
        let mut record = [0; SIMULATION_RECORD_BYTES];
        for slot in &mut record {
            *slot = self.byte();
        }
        record
    }
}

/// Who exists and who is present, as the records are read in time order.
struct Group {
    /// One entry per member number handed out: whether it is still in the group.
    present: Vec<bool>,
    /// Per member number: the end of its last scripted offline period (0: none).
    offline_until: Vec<Micros>,
}

impl Group {
    fn new(members: usize) -> Self {
        Group {
            present: vec![true; members],
            offline_until: vec![0; members],
        }
    }

    fn add(&mut self, count: usize) {
        self.present.extend(std::iter::repeat_n(true, count));
        self.offline_until.extend(std::iter::repeat_n(0, count));
    }

    fn current(&self) -> Vec<usize> {
        (0..self.present.len()).filter(|&m| self.present[m]).collect()
    }

    /// The member `selector` chooses, other than `exclude`: among those present, or among every number handed out
    /// when `selector ≥ ANYONE_FROM` (or when no present member qualifies). None if no number qualifies.
    fn pick(&self, selector: u8, exclude: Option<usize>) -> Option<usize> {
        let anyone = selector >= ANYONE_FROM;
        let pool: Vec<usize> = (0..self.present.len())
            .filter(|&m| Some(m) != exclude && (anyone || self.present[m]))
            .collect();
        let pool = if pool.is_empty() {
            (0..self.present.len()).filter(|&m| Some(m) != exclude).collect()
        } else {
            pool
        };
        (!pool.is_empty()).then(|| pool[usize::from(selector) % pool.len()])
    }
}

/// The scenario `data` decodes to (see the module documentation for the layout): `reference` with the suite the
/// bytes choose, 2 to 6 initial members (at most [`SIMULATION_MEMBERS_MAX`] in all), an active phase of at most
/// four virtual minutes, a quiet phase of [`SIMULATION_QUIET`], and at most [`SIMULATION_ACTIONS_MAX`] scripted
/// events, each naming only member numbers that exist by its time. Every input gives a valid scenario, which
/// [`Scenario::to_toml`] writes as a file that parses back to it. Its `[expect]` is a drawn scenario's before it
/// runs: explicit and empty (what must hold depends on what happens; [`simulation`] judges the run).
pub fn decode_simulation(data: &[u8]) -> Scenario {
    let mut bytes = Bytes(Unstructured::new(data));
    let mut seed = [0u8; 4];
    for slot in &mut seed {
        *slot = bytes.byte();
    }
    let seed = u64::from(u32::from_le_bytes(seed));
    let suite = bytes.choose(&SIMULATION_SUITES);
    let members = 2 + bytes.byte() % 5;

    let mut config = SimConfig::new(seed, usize::from(members));
    config.duration = bytes.choose(&DURATIONS);
    config.quiet = SIMULATION_QUIET;
    let rate = bytes.choose(&RATES);
    config.plaintext_bytes = bytes.choose(&PLAINTEXT_BYTES);
    let latency_min = bytes.choose(&LATENCY_MIN);
    let latency_max = bytes.choose(&LATENCY_MAX).max(latency_min);
    config.network = NetworkConfig {
        latency_min,
        latency_max,
        drop_ppm: bytes.choose(&DROP_PPM),
        duplicate_ppm: bytes.choose(&DUPLICATE_PPM),
        reorder: bytes.byte() % 4 != 3,
    };
    config.server = bytes.choose(&SERVERS);
    let components = bytes.byte();
    let every_messages = bytes.choose(&EVERY_MESSAGES);
    let every_time = bytes.choose(&EVERY_TIME);
    let on_removal = components & ON_REMOVAL != 0;
    config.policy = Policy {
        on_removal,
        on_join: on_removal && components & ON_MEMBERSHIP_CHANGE != 0,
        every_messages: (components & EVERY_MESSAGES_BIT != 0).then_some(every_messages),
        every_time: (components & EVERY_TIME_BIT != 0).then_some(every_time),
    };
    let (actions, group_max) = decode_actions(&mut bytes, usize::from(members), config.duration);
    // As the sweep does: a server that attacks is malicious, and events that cannot happen are left out.
    if crate::config::server_attacks(&actions) {
        config.server = ServerBehaviour::Malicious;
    }
    config.actions = crate::config::possible_only(config.members, config.server, actions);
    let group_max = u64::try_from(group_max).unwrap_or(u64::MAX);
    let capped = sweep::capped_rate(
        u64::from(rate),
        group_max,
        config.duration,
        SIMULATION_DELIVERIES_MAX,
    );
    config.messages_per_member_per_hour = u32::try_from(capped).unwrap_or(rate);

    let mut scenario = Scenario {
        name: format!("fuzz simulation, seed {seed}"),
        description: Some(
            "Decoded from a fuzz input by sksim::fuzzing::decode_simulation. A failing run's [expect] holds every \
             invariant that sksim::sweep::allowed does not allow in the run and that applied."
                .to_owned(),
        ),
        implementation: ImplementationSpec::Reference(suite),
        suite: None,
        config,
        policy_source: crate::scenario::PolicySource::File,
        expect: Expectations::default(),
    };
    scenario.expect = sweep::expect_nothing_yet();
    scenario
}

/// The scripted events: records read until the bytes, [`SIMULATION_ACTIONS_MAX`] or the active phase run out;
/// and how many member numbers they hand out in all (initial members included).
fn decode_actions(bytes: &mut Bytes<'_>, members: usize, duration: Micros) -> (Vec<ScheduledAction>, usize) {
    let mut group = Group::new(members);
    let mut actions = Vec::new();
    let mut at: Micros = 0;
    for _ in 0..SIMULATION_ACTIONS_MAX {
        if bytes.0.is_empty() {
            break;
        }
        let [gap, kind, p1, p2, p3, p4, p5, _] = bytes.record();
        at += u64::from(gap) * GAP_UNIT;
        if at >= duration {
            break;
        }
        let until = |span: u8| (at + (1 + u64::from(span)) * SPAN_UNIT).min(duration);
        let kind = SIMULATION_ACTION_KINDS[usize::from(kind) % SIMULATION_ACTION_KINDS.len()];
        let action = match kind {
            "join" => {
                let room = SIMULATION_MEMBERS_MAX.saturating_sub(group.present.len());
                let count = (1 + usize::from(p1 % 3)).min(room);
                (count > 0).then(|| {
                    group.add(count);
                    Action::Join { count }
                })
            }
            "leave" | "remove" => group.pick(p1, None).and_then(|member| {
                // Keep at least two members in the group, as the draw does.
                let keeps_two = !group.present[member] || group.current().len() > 2;
                keeps_two.then(|| {
                    group.present[member] = false;
                    if kind == "leave" {
                        Action::Leave { member }
                    } else {
                        Action::Remove { member }
                    }
                })
            }),
            "offline" => group.pick(p1, None).map(|member| {
                let until = until(p2);
                group.offline_until[member] = until;
                Action::Offline { member, until }
            }),
            "online" => {
                let offline: Vec<usize> = group
                    .current()
                    .into_iter()
                    .filter(|&m| group.offline_until[m] > at)
                    .collect();
                let member = if offline.is_empty() {
                    group.pick(p1, None)
                } else {
                    Some(offline[usize::from(p1) % offline.len()])
                };
                member.map(|member| {
                    group.offline_until[member] = 0;
                    Action::Online { member }
                })
            }
            "partition" => {
                let mut pool = group.current();
                let mut members = Vec::new();
                for selector in [p2, p3, p4].into_iter().take(1 + usize::from(p1 % 3)) {
                    if pool.is_empty() {
                        break;
                    }
                    members.push(pool.swap_remove(usize::from(selector) % pool.len()));
                }
                (!members.is_empty()).then(|| Action::Partition {
                    members,
                    until: until(p5),
                })
            }
            "send" => group.pick(p1, None).map(|member| Action::Send {
                member,
                count: 1 + usize::from(p2 % 6),
            }),
            "rotate" => group.pick(p1, None).map(|member| Action::Rotate { member }),
            "compromise" => group.pick(p1, None).map(|member| {
                let scope = if p2 % 2 == 0 {
                    CompromiseScope::Full
                } else {
                    CompromiseScope::SigningKey
                };
                let insider = (scope == CompromiseScope::SigningKey && p3 % 2 == 1)
                    .then(|| group.pick(p4, Some(member)))
                    .flatten();
                Action::Compromise {
                    member,
                    scope,
                    insider,
                }
            }),
            _ => decode_attack(&mut group, [p1, p2, p3, p4]),
        };
        if let Some(action) = action {
            actions.push(ScheduledAction { at, action });
        }
    }
    (actions, group.present.len())
}

/// An `attack` record's event (see the module documentation).
fn decode_attack(group: &mut Group, [p1, p2, p3, p4]: [u8; 4]) -> Option<Action> {
    let kind = AttackKind::ALL[usize::from(p1) % AttackKind::ALL.len()];
    let by_server = match kind {
        AttackKind::AddMember | AttackKind::TamperInFlight => true,
        AttackKind::ForwardFakeKey => false,
        _ => p2 % 2 == 0,
    };
    if kind == AttackKind::AddMember {
        if group.present.len() >= SIMULATION_MEMBERS_MAX {
            return None;
        }
        group.add(1);
        return Some(Action::Attack {
            kind,
            by: Attacker::Server,
            target: 0,
            options: AttackOptions::default(),
        });
    }
    if by_server {
        let options = fuzzed_options(kind, p4);
        return group.pick(p3, None).map(|target| Action::Attack {
            kind,
            by: Attacker::Server,
            target,
            options,
        });
    }
    let insider = group.pick(p3, None)?;
    let options = fuzzed_options(kind, p2 >> 1);
    group.pick(p4, Some(insider)).map(|target| Action::Attack {
        kind,
        by: Attacker::Member(insider),
        target,
        options,
    })
}

/// Forgery distances the fuzzer picks among: the next iteration, inside the skipped-key window, at the window's
/// and the jump bound's edges, and past them.
const FUZZED_AHEAD: [u32; 8] = [1, 2, 1_500, 2_000, 2_001, 24_999, 25_000, 25_001];

/// An attack's options from one byte: a mutation of the catalogue for the tampering attacks, a distance and a
/// count for forgeries.
fn fuzzed_options(kind: AttackKind, p: u8) -> AttackOptions {
    let mut options = AttackOptions::default();
    let p = usize::from(p);
    match kind {
        AttackKind::Tamper | AttackKind::TamperInFlight => {
            let catalogue = Mutation::catalogue();
            options.mutation = Some(catalogue[p % catalogue.len()]);
            if kind == AttackKind::TamperInFlight {
                options.genuine = GenuineCopy::ALL[p % GenuineCopy::ALL.len()];
            }
        }
        AttackKind::BadDistribution => {
            let catalogue = DistributionMutation::catalogue();
            options.distribution_mutation = Some(catalogue[p % catalogue.len()]);
        }
        AttackKind::Forge => {
            let ahead = FUZZED_AHEAD[p % FUZZED_AHEAD.len()];
            let repeat = 1 + u32::try_from(p / FUZZED_AHEAD.len() % 4).unwrap_or(0);
            options.ahead = Some(ahead);
            options.repeat = Some(repeat.min(crate::limits::KEYED_FORGERY_REACH_MAX / ahead));
        }
        _ => {}
    }
    options
}

/// The whole-simulation target: runs the scenario [`decode_simulation`] makes of `data` — `reference` with the
/// suite the bytes choose, every checker on — and judges it as `sksim sweep` judges a seed: every violated
/// invariant must be one that [`sweep::allowed`] allows in this run (the reference's documented, inherent
/// weaknesses that the run's facts show it triggered). A typical input runs in a few milliseconds.
///
/// # Panics
///
/// - When the run violates an invariant that [`sweep::allowed`] does not allow: a bug in the reference
///   implementation, in the engine or a checker, or a documented consequence of the model that `allowed` misses.
///   The message names the unexpected invariants, the first violation of the first of them, and the scenario as
///   a scenario file whose `[expect]` holds exactly the invariants that were not allowed and applied, so that
///   `sksim run` on it shows the same failure as mismatches.
/// - When the harness fails ([`RunError::Harness`]: the engine panicked).
/// - When the decoder broke its promise: the engine refused the scenario ([`RunError::BadInput`]), or its
///   scenario file does not parse back to the same scenario. Either is a bug in [`decode_simulation`].
pub fn simulation(data: &[u8]) {
    let scenario = decode_simulation(data);
    let written = scenario.to_toml();
    match scenario::parse("simulation.toml", &written) {
        Ok(parsed) if parsed == scenario => {}
        Ok(parsed) => panic!(
            "decode_simulation built a scenario that changes when written and parsed back (a bug in the \
             decoder):\n{written}\nparsed back as {parsed:?}"
        ),
        Err(e) => panic!(
            "decode_simulation built a scenario whose file does not parse (a bug in the decoder): {e}\n{written}"
        ),
    }
    let outcome = match run_scenario(&scenario, false) {
        Ok(outcome) => outcome,
        Err(RunError::BadInput(why)) => panic!(
            "the engine refused the scenario decode_simulation built (a bug in the decoder): {why}\n{written}"
        ),
        Err(RunError::Harness(why)) => {
            panic!("the harness failed: {why}\nreproduce with `sksim run` on this scenario:\n{written}")
        }
    };
    let report = &outcome.report;
    let allowed = sweep::allowed(&scenario, report);
    let unexpected: Vec<&InvariantReport> = report
        .invariants
        .iter()
        .filter(|r| r.verdict == Verdict::Violated && !allowed.contains(&r.invariant))
        .collect();
    let Some(first) = unexpected.first() else {
        return;
    };
    let names: Vec<String> = unexpected
        .iter()
        .map(|r| format!("`{}` ({} violations)", r.invariant, r.violations_total))
        .collect();
    let detail = first.violations.first().map_or_else(
        || "no violation kept".to_owned(),
        |v| {
            format!(
                "at {} (event {}): {}",
                format_duration(v.time_us),
                v.event,
                v.reason
            )
        },
    );
    // The `[expect]` of a failing sweep seed (`SweepResult::scenario`): what was not allowed and applied.
    let mut failing = scenario.clone();
    failing.expect = sweep::expectations(&scenario, report);
    panic!(
        "{} violated {}, which sksim::sweep::allowed does not allow in this scenario; the first violation of \
         `{}`: {detail}\nreproduce: save this scenario as crash.toml and run `sksim run crash.toml`\n\n{}",
        scenario.implementation,
        names.join(", "),
        first.invariant,
        failing.to_toml()
    );
}

//! Replays the committed corpora and regressions of the simulator's fuzz targets (`sksim::fuzzing`) without
//! libFuzzer, naming every input that fails. (The wire targets are replayed by `core/tests/fuzz_corpus.rs`.)
//!
//! The `simulation` seed corpus (`fuzz/corpus/simulation/`) is generated here, deterministically: each seed is
//! assembled byte by byte from the input layout `sksim::fuzzing` documents (a header, then one record per
//! scripted event), so that together the seeds select every suite, every action kind, every attack kind and
//! every policy component. To rewrite the folder after changing the generator or the layout, run
//! `UPDATE_CORPUS=1 cargo test -p sksim --test fuzz_corpus`; without the variable a test fails, naming the file,
//! if the committed seeds differ from what the generator makes. (`fuzz/corpus/scenario/` is not generated.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use senderkeys::SuiteId;
use sksim::attacks::AttackKind;
use sksim::config::{Action, Attacker, ServerBehaviour};
use sksim::fuzzing::{
    self, SIMULATION_ACTION_KINDS, SIMULATION_HEADER_BYTES, SIMULATION_RECORD_BYTES, SIMULATION_SUITES,
};
use sksim::limits::{SIMULATION_ACTIONS_MAX, SIMULATION_MEMBERS_MAX};
use sksim::scenario::{self, ImplementationSpec};

/// A fuzz target's body.
type Body = fn(&[u8]);

/// The targets whose bodies live in `sksim::fuzzing`, with their bodies.
const TARGETS: [(&str, Body); 3] = [
    ("adapter", fuzzing::adapter),
    ("scenario", fuzzing::scenario),
    ("simulation", fuzzing::simulation),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn simulation_corpus_dir() -> PathBuf {
    fuzz_dir().join("corpus").join("simulation")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_CORPUS").is_some_and(|v| v == "1")
}

/// The files of `dir`, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("dir entry").path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `body` on `data`, returning the panic message if it panicked.
fn replay(body: Body, data: &[u8]) -> Result<(), String> {
    panic::catch_unwind(AssertUnwindSafe(|| body(data))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "non-string panic payload".to_owned())
    })
}

#[test]
fn committed_corpora_and_regressions_replay_without_panics() {
    if updating() {
        write_simulation_corpus(&simulation_seeds());
    }
    let mut failures = Vec::new();
    for (target, body) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target));
        assert!(
            corpus.len() >= 10,
            "fuzz/corpus/{target} holds {} inputs; expected its seeds",
            corpus.len()
        );
        let regressions = inputs(&fuzz_dir().join("regressions").join(target));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("readable input");
            if let Err(message) = replay(body, &data) {
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "inputs that fail their target:\n{}",
        failures.join("\n")
    );
}

// ---- the `simulation` seed corpus ----

/// Seeds by file name (sorted, so generation and comparison are stable).
#[derive(Default, PartialEq, Debug)]
struct Seeds(BTreeMap<String, Vec<u8>>);

impl Seeds {
    fn add(&mut self, name: &str, data: Vec<u8>) {
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "seed name {name:?} must be lowercase letters, digits and dashes"
        );
        let previous = self.0.insert(name.to_owned(), data);
        assert!(previous.is_none(), "seed {name:?} generated twice");
    }
}

// Table indices of the header bytes, as the module documentation of `sksim::fuzzing` lists the tables.
/// Byte 6, active phase: 1m, 30s, 45s, 90s, 2m, 150s, 3m, 4m.
const ONE_MINUTE: u8 = 0;
const THIRTY_SECONDS: u8 = 1;
const TWO_MINUTES: u8 = 4;
const FOUR_MINUTES: u8 = 7;
/// Byte 7, messages per member per hour: 30, 0, 6, 15, 60, 120, 10, 90.
const RATE_30: u8 = 0;
const SCRIPTED_ONLY: u8 = 1;
const RATE_60: u8 = 4;
const RATE_120: u8 = 5;
/// Byte 8, plaintext bytes: 100, 12, 300, 1024.
const PLAINTEXT_12: u8 = 1;
const PLAINTEXT_1024: u8 = 3;
/// Bytes 9 and 10, smallest latency (20ms, 0, 1ms, 5ms, 50ms, 100ms, 200ms, 1s) and largest (400ms, 1ms, 10ms,
/// 100ms, 1s, 2s, 5s, 50ms).
const LATENCY_MIN_0: u8 = 1;
const LATENCY_MIN_1S: u8 = 7;
const LATENCY_MAX_1MS: u8 = 1;
const LATENCY_MAX_5S: u8 = 6;
/// Bytes 11 and 12, drop (0, 100, 1 000, 5 000, 20 000, 50 000, 100 000, 200 000 ppm) and duplicate rates (0,
/// 100, 1 000, 5 000, 10 000, 20 000, 50 000, 100 000 ppm).
const DROP_1_PERCENT: u8 = 2;
const DROP_20_PERCENT: u8 = 7;
const DUPLICATE_1_PERCENT: u8 = 4;
const DUPLICATE_10_PERCENT: u8 = 7;
/// Byte 13: reordering off.
const IN_ORDER: u8 = 3;
/// Byte 14, server: honest, curious, malicious.
const CURIOUS: u8 = 1;
const MALICIOUS: u8 = 2;
/// Byte 15, policy bits.
const ON_REMOVAL: u8 = 1;
const ON_MEMBERSHIP_CHANGE: u8 = 1 | 2;
const EVERY_MESSAGES: u8 = 4;
const EVERY_TIME: u8 = 8;
/// Byte 16, N of `every-messages`: 10, 1, 2, 3, 5, 20, 100, 1000.
const N_1: u8 = 1;
const N_3: u8 = 3;
/// Byte 17, T of `every-time`: 30s, 250ms, 1s, 5s, 10s, 1m, 2m, 10m.
const T_250MS: u8 = 1;
const T_1S: u8 = 2;
const T_10S: u8 = 4;
/// Selector bytes from this value on may name a departed member.
const ANYONE: u8 = 224;

/// The header of a `simulation` input, field by field (table indices, see above).
#[derive(Clone, Copy)]
struct Header {
    seed: u32,
    suite: SuiteId,
    members: u8,
    duration: u8,
    rate: u8,
    plaintext: u8,
    latency_min: u8,
    latency_max: u8,
    drop: u8,
    duplicate: u8,
    reorder: u8,
    server: u8,
    policy: u8,
    every_messages: u8,
    every_time: u8,
}

impl Header {
    /// Everything at its default (index 0): 2 members, 1 minute, 30 messages per member per hour, policy `never`.
    fn new(seed: u32, suite: SuiteId, members: u8) -> Self {
        assert!((2..=6).contains(&members));
        Header {
            seed,
            suite,
            members,
            duration: ONE_MINUTE,
            rate: RATE_30,
            plaintext: 0,
            latency_min: 0,
            latency_max: 0,
            drop: 0,
            duplicate: 0,
            reorder: 0,
            server: 0,
            policy: 0,
            every_messages: 0,
            every_time: 0,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let suite = SIMULATION_SUITES
            .iter()
            .position(|s| *s == self.suite)
            .expect("a suite of the table");
        let mut out = self.seed.to_le_bytes().to_vec();
        out.extend([
            u8::try_from(suite).expect("five suites"),
            self.members - 2,
            self.duration,
            self.rate,
            self.plaintext,
            self.latency_min,
            self.latency_max,
            self.drop,
            self.duplicate,
            self.reorder,
            self.server,
            self.policy,
            self.every_messages,
            self.every_time,
        ]);
        assert_eq!(out.len(), SIMULATION_HEADER_BYTES);
        out
    }
}

/// One scripted-event record: `gap` quarter seconds after the previous event, `kind`, its parameters.
fn record(gap: u8, kind: &str, params: [u8; 6]) -> [u8; SIMULATION_RECORD_BYTES] {
    let kind = SIMULATION_ACTION_KINDS
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_else(|| panic!("no action kind {kind:?}"));
    let [p1, p2, p3, p4, p5, p6] = params;
    [
        gap,
        u8::try_from(kind).expect("ten kinds"),
        p1,
        p2,
        p3,
        p4,
        p5,
        p6,
    ]
}

fn join(gap: u8, count: u8) -> [u8; 8] {
    record(gap, "join", [count - 1, 0, 0, 0, 0, 0])
}
fn leave(gap: u8, member: u8) -> [u8; 8] {
    record(gap, "leave", [member, 0, 0, 0, 0, 0])
}
fn remove(gap: u8, member: u8) -> [u8; 8] {
    record(gap, "remove", [member, 0, 0, 0, 0, 0])
}
/// Offline for `(1 + span)` half seconds.
fn offline(gap: u8, member: u8, span: u8) -> [u8; 8] {
    record(gap, "offline", [member, span, 0, 0, 0, 0])
}
fn online(gap: u8, member: u8) -> [u8; 8] {
    record(gap, "online", [member, 0, 0, 0, 0, 0])
}
/// `members` (1 to 3 selectors, choosing among those present) cut off for `(1 + span)` half seconds.
fn partition(gap: u8, members: &[u8], span: u8) -> [u8; 8] {
    assert!((1..=3).contains(&members.len()));
    let mut selectors = [0; 3];
    selectors[..members.len()].copy_from_slice(members);
    let size = u8::try_from(members.len() - 1).expect("small");
    record(
        gap,
        "partition",
        [size, selectors[0], selectors[1], selectors[2], span, 0],
    )
}
fn send(gap: u8, member: u8, count: u8) -> [u8; 8] {
    record(gap, "send", [member, count - 1, 0, 0, 0, 0])
}
fn rotate(gap: u8, member: u8) -> [u8; 8] {
    record(gap, "rotate", [member, 0, 0, 0, 0, 0])
}
fn full_compromise(gap: u8, member: u8) -> [u8; 8] {
    record(gap, "compromise", [member, 0, 0, 0, 0, 0])
}
/// A stolen signing key; with `insider`, the member (among the others) whose chain the adversary forges with.
fn signing_key_compromise(gap: u8, member: u8, insider: Option<u8>) -> [u8; 8] {
    let (with, insider) = insider.map_or((0, 0), |i| (1, i));
    record(gap, "compromise", [member, 1, with, insider, 0, 0])
}
fn attack_index(kind: AttackKind) -> u8 {
    let index = AttackKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("a kind of AttackKind::ALL");
    u8::try_from(index).expect("fewer than 256 kinds")
}
/// An attack by the server on the member `target` selects (`add-member` ignores the target).
fn server_attack(gap: u8, kind: AttackKind, target: u8) -> [u8; 8] {
    assert_ne!(kind, AttackKind::ForwardFakeKey, "an insider attack");
    record(gap, "attack", [attack_index(kind), 0, target, 0, 0, 0])
}
/// An attack by the member `insider` selects on the member `target` selects among the others.
fn insider_attack(gap: u8, kind: AttackKind, insider: u8, target: u8) -> [u8; 8] {
    assert_ne!(kind, AttackKind::AddMember, "a server attack");
    record(gap, "attack", [attack_index(kind), 1, insider, target, 0, 0])
}

fn input(header: Header, records: &[[u8; 8]]) -> Vec<u8> {
    assert!(records.len() <= SIMULATION_ACTIONS_MAX);
    let mut out = header.bytes();
    for r in records {
        out.extend(r);
    }
    out
}

/// The `simulation` seed corpus.
fn simulation_seeds() -> Seeds {
    use AttackKind::*;
    let mut seeds = Seeds::default();
    seeds.add("empty", Vec::new());
    let quiet = Header {
        duration: TWO_MINUTES,
        rate: RATE_60,
        ..Header::new(1, SuiteId::Hardened, 6)
    };
    seeds.add("cut-off-header", quiet.bytes()[..7].to_vec());
    seeds.add("quiet-group", input(quiet, &[]));
    seeds.add(
        "joins-and-removals",
        input(
            Header {
                policy: ON_MEMBERSHIP_CHANGE,
                ..Header::new(2, SuiteId::Signal, 3)
            },
            &[
                join(8, 2),
                send(4, 3, 2),
                leave(8, 1),
                remove(8, 0),
                join(4, 1),
                send(2, 4, 1),
                remove(8, 2),
                leave(4, 1),
            ],
        ),
    );
    seeds.add(
        "offline-and-back",
        input(
            Header {
                duration: TWO_MINUTES,
                policy: ON_REMOVAL | EVERY_MESSAGES,
                ..Header::new(3, SuiteId::Accord, 4)
            },
            &[
                offline(8, 1, 40),
                send(4, 0, 3),
                rotate(4, 2),
                online(8, 0),
                offline(8, 3, 255),
                leave(4, 2),
                send(4, 0, 2),
            ],
        ),
    );
    seeds.add(
        "partition",
        input(
            Header {
                reorder: IN_ORDER,
                policy: EVERY_TIME,
                every_time: T_10S,
                ..Header::new(4, SuiteId::Chatalot, 5)
            },
            &[
                partition(8, &[1, 2], 30),
                send(2, 1, 4),
                send(2, 3, 2),
                partition(40, &[0], 10),
                send(1, 0, 3),
                rotate(2, 0),
            ],
        ),
    );
    seeds.add(
        "scripted-sends-only",
        input(
            Header {
                rate: SCRIPTED_ONLY,
                policy: EVERY_MESSAGES,
                every_messages: N_1,
                ..Header::new(5, SuiteId::P2p, 3)
            },
            &[send(4, 0, 5), send(0, 1, 10), send(0, 2, 1), send(40, 0, 3)],
        ),
    );
    seeds.add(
        "rotations",
        input(
            Header {
                drop: DROP_1_PERCENT,
                duplicate: DUPLICATE_1_PERCENT,
                policy: EVERY_TIME,
                every_time: T_1S,
                ..Header::new(6, SuiteId::Hardened, 4)
            },
            &[
                rotate(4, 0),
                rotate(0, 0),
                rotate(0, 0),
                send(1, 0, 2),
                rotate(8, 1),
                rotate(2, 2),
                rotate(2, 3),
            ],
        ),
    );
    seeds.add(
        "compromise-chain",
        input(
            Header {
                duration: TWO_MINUTES,
                policy: ON_REMOVAL | EVERY_MESSAGES | EVERY_TIME,
                every_messages: N_3,
                every_time: T_10S,
                ..Header::new(7, SuiteId::Hardened, 5)
            },
            &[
                full_compromise(20, 1),
                send(4, 1, 3),
                signing_key_compromise(20, 2, Some(0)),
                send(4, 2, 2),
                signing_key_compromise(20, 3, None),
                rotate(4, 3),
                remove(8, 1),
                full_compromise(8, 0),
            ],
        ),
    );
    let server_attacks = [
        server_attack(8, Forge, 1),
        server_attack(4, Tamper, 2),
        server_attack(4, Resplit, 0),
        server_attack(4, Replay, 1),
        server_attack(4, FarFuture, 2),
        server_attack(4, InjectPlaintext, 0),
        server_attack(4, AddMember, 0),
        server_attack(4, StaleDistribution, 1),
        server_attack(2, TamperInFlight, 2),
        server_attack(4, BadDistribution, 0),
    ];
    let insider_attacks = [
        insider_attack(8, Forge, 0, 0),
        insider_attack(4, Tamper, 1, 1),
        insider_attack(4, Resplit, 2, 0),
        insider_attack(4, Replay, 0, 1),
        insider_attack(4, FarFuture, 1, 0),
        insider_attack(4, InjectPlaintext, 2, 1),
        insider_attack(4, StaleDistribution, 0, 2),
        insider_attack(4, ForwardFakeKey, 1, 1),
        insider_attack(4, BadDistribution, 2, 0),
    ];
    for suite in SuiteId::ALL {
        let header = Header {
            duration: TWO_MINUTES,
            rate: RATE_120,
            server: MALICIOUS,
            ..Header::new(8, suite, 3)
        };
        seeds.add(&format!("server-attacks-{suite}"), input(header, &server_attacks));
        seeds.add(
            &format!("insider-attacks-{suite}"),
            input(Header { server: 0, ..header }, &insider_attacks),
        );
    }
    seeds.add(
        "lossy-network",
        input(
            Header {
                plaintext: PLAINTEXT_1024,
                latency_min: LATENCY_MIN_1S,
                latency_max: LATENCY_MAX_5S,
                drop: DROP_20_PERCENT,
                duplicate: DUPLICATE_10_PERCENT,
                server: CURIOUS,
                ..Header::new(9, SuiteId::Accord, 4)
            },
            &[send(8, 0, 5), send(8, 1, 5), rotate(4, 2), send(4, 2, 5)],
        ),
    );
    seeds.add(
        "fast-network-small-plaintexts",
        input(
            Header {
                plaintext: PLAINTEXT_12,
                latency_min: LATENCY_MIN_0,
                latency_max: LATENCY_MAX_1MS,
                duration: THIRTY_SECONDS,
                policy: EVERY_MESSAGES | EVERY_TIME,
                every_messages: N_1,
                every_time: T_250MS,
                ..Header::new(10, SuiteId::Signal, 2)
            },
            &[send(4, 0, 10), send(0, 1, 10), rotate(0, 0)],
        ),
    );
    seeds.add(
        "departed-members",
        input(
            Header {
                policy: ON_REMOVAL,
                ..Header::new(11, SuiteId::Chatalot, 4)
            },
            &[
                leave(8, 1),
                send(4, ANYONE + 1, 2),
                rotate(4, ANYONE + 1),
                offline(4, ANYONE + 1, 10),
                full_compromise(4, ANYONE + 1),
                server_attack(4, Forge, ANYONE + 1),
                remove(4, ANYONE + 1),
            ],
        ),
    );
    seeds.add(
        "crowded",
        input(
            Header {
                duration: FOUR_MINUTES,
                rate: SCRIPTED_ONLY,
                policy: ON_MEMBERSHIP_CHANGE,
                ..Header::new(12, SuiteId::P2p, 5)
            },
            &[
                // 5 members, then 7, then 8 (the most); the last join and add-member find the group full.
                join(4, 2),
                server_attack(4, AddMember, 0),
                send(4, 7, 2),
                join(4, 3),
                join(4, 1),
                server_attack(4, AddMember, 0),
                partition(4, &[3, 5, 7], 20),
                send(4, 5, 3),
                offline(4, 6, 20),
                remove(4, 4),
                signing_key_compromise(4, 7, Some(2)),
                insider_attack(4, ForwardFakeKey, 6, 5),
            ],
        ),
    );
    seeds.add(
        "events-at-once",
        input(
            Header {
                policy: ON_MEMBERSHIP_CHANGE | EVERY_MESSAGES,
                ..Header::new(13, SuiteId::Signal, 4)
            },
            &[
                send(40, 0, 3),
                join(0, 1),
                rotate(0, 0),
                leave(0, 1),
                offline(0, 2, 4),
                online(0, 2),
                full_compromise(0, 3),
                server_attack(0, Replay, 0),
            ],
        ),
    );
    seeds.add(
        "past-the-end",
        input(
            Header {
                duration: THIRTY_SECONDS,
                ..Header::new(14, SuiteId::Hardened, 3)
            },
            &[send(100, 0, 2), send(19, 1, 2), send(1, 2, 2), send(0, 0, 2)],
        ),
    );
    seeds
}

/// Replaces every file in `fuzz/corpus/simulation/` with the generated seeds.
fn write_simulation_corpus(seeds: &Seeds) {
    let dir = simulation_corpus_dir();
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove the old corpus");
    }
    fs::create_dir_all(&dir).expect("create the corpus folder");
    for (name, data) in &seeds.0 {
        fs::write(dir.join(name), data).expect("write a seed");
    }
}

#[test]
fn committed_simulation_corpus_is_what_the_generator_makes() {
    if updating() {
        return; // the replay test rewrites the folder
    }
    let seeds = simulation_seeds();
    let dir = simulation_corpus_dir();
    let mut problems = Vec::new();
    let committed: BTreeSet<String> = inputs(&dir)
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect();
    for (name, data) in &seeds.0 {
        match fs::read(dir.join(name)) {
            Ok(bytes) if bytes == *data => {}
            Ok(_) => problems.push(format!(
                "fuzz/corpus/simulation/{name}: differs from what the generator makes"
            )),
            Err(_) => problems.push(format!(
                "fuzz/corpus/simulation/{name}: missing (the generator makes it)"
            )),
        }
    }
    for name in committed.iter().filter(|n| !seeds.0.contains_key(*n)) {
        problems.push(format!(
            "fuzz/corpus/simulation/{name}: not made by the generator"
        ));
    }
    assert!(
        problems.is_empty(),
        "{}\nrewrite the corpus with `UPDATE_CORPUS=1 cargo test -p sksim --test fuzz_corpus`",
        problems.join("\n")
    );
}

#[test]
fn simulation_seeds_are_small_and_cover_every_suite_action_attack_and_policy() {
    let seeds = simulation_seeds();
    assert!(
        seeds.0.len() >= 12,
        "{} simulation seeds, expected at least 12",
        seeds.0.len()
    );
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for (name, data) in &seeds.0 {
        assert!(data.len() <= 400, "{name}: {} bytes", data.len());
        let scenario = fuzzing::decode_simulation(data);
        let ImplementationSpec::Reference(suite) = scenario.implementation else {
            panic!("{name}: decodes to {}", scenario.implementation);
        };
        covered.insert(format!("suite {suite}"));
        let config = &scenario.config;
        let policy = config.policy;
        covered.insert(format!("policy {policy}"));
        for (on, component) in [
            (policy.on_removal && !policy.on_join, "on-removal"),
            (policy.on_join, "on-membership-change"),
            (policy.every_messages.is_some(), "every-messages"),
            (policy.every_time.is_some(), "every-time"),
        ] {
            if on {
                covered.insert(format!("policy component {component}"));
            }
        }
        covered.insert(format!("server {:?}", config.server));
        let network = &config.network;
        for (on, what) in [
            (network.drop_ppm > 0, "drops"),
            (network.duplicate_ppm > 0, "duplicates"),
            (!network.reorder, "in-order delivery"),
            (network.latency_max > 1_000_000, "slow network"),
            (network.latency_max <= 1_000, "fast network"),
            (config.messages_per_member_per_hour == 0, "scripted sends only"),
        ] {
            if on {
                covered.insert(format!("network or workload: {what}"));
            }
        }
        if config.members + sksim::config::members_added(&config.actions) == SIMULATION_MEMBERS_MAX {
            covered.insert("a full group".to_owned());
        }
        for scheduled in &config.actions {
            let action = &scheduled.action;
            covered.insert(format!("action {}", action.name()));
            match action {
                Action::Compromise { scope, insider, .. } => {
                    covered.insert(format!(
                        "compromise {scope:?}{}",
                        if insider.is_some() { " with insider" } else { "" }
                    ));
                }
                Action::Attack { kind, by, .. } => {
                    let by = if *by == Attacker::Server {
                        "server"
                    } else {
                        "insider"
                    };
                    covered.insert(format!("attack {} by {by}", kind.name()));
                }
                _ => {}
            }
        }
    }
    let mut wanted: Vec<String> = SuiteId::ALL.iter().map(|s| format!("suite {s}")).collect();
    wanted.extend(SIMULATION_ACTION_KINDS.iter().map(|k| format!("action {k}")));
    for kind in AttackKind::ALL {
        if kind != AttackKind::ForwardFakeKey {
            wanted.push(format!("attack {} by server", kind.name()));
        }
        if !matches!(kind, AttackKind::AddMember | AttackKind::TamperInFlight) {
            wanted.push(format!("attack {} by insider", kind.name()));
        }
    }
    wanted.extend(
        [
            "compromise Full",
            "compromise SigningKey",
            "compromise SigningKey with insider",
            "policy never",
            "policy component on-removal",
            "policy component on-membership-change",
            "policy component every-messages",
            "policy component every-time",
            "network or workload: drops",
            "network or workload: duplicates",
            "network or workload: in-order delivery",
            "network or workload: slow network",
            "network or workload: fast network",
            "network or workload: scripted sends only",
            "a full group",
        ]
        .map(str::to_owned),
    );
    for server in [
        ServerBehaviour::Honest,
        ServerBehaviour::Curious,
        ServerBehaviour::Malicious,
    ] {
        wanted.push(format!("server {server:?}"));
    }
    let missing: Vec<&String> = wanted.iter().filter(|w| !covered.contains(*w)).collect();
    assert!(missing.is_empty(), "the simulation seeds miss: {missing:?}");
}

/// Every input decodes to a small valid scenario, written and parsed back unchanged: the empty one, cut-off ones,
/// and pseudo-random ones of many lengths (decoding only; the fuzzer and the corpus run them).
#[test]
fn every_input_decodes_to_a_small_valid_scenario() {
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.to_le_bytes()[3]
    };
    let mut samples: Vec<Vec<u8>> = (0..=SIMULATION_HEADER_BYTES + 3)
        .map(|len| vec![0xff; len])
        .collect();
    for i in 0..2_000 {
        let len = i % 160;
        samples.push((0..len).map(|_| next()).collect());
    }
    for data in &samples {
        let scenario = fuzzing::decode_simulation(data);
        let config = &scenario.config;
        assert!((2..=6).contains(&config.members), "{data:?}");
        assert!(
            config.members + sksim::config::members_added(&config.actions) <= SIMULATION_MEMBERS_MAX,
            "{data:?}"
        );
        assert!(config.actions.len() <= SIMULATION_ACTIONS_MAX, "{data:?}");
        assert!(config.duration <= 4 * 60_000_000, "{data:?}");
        assert!(
            config.actions.windows(2).all(|w| w[0].at <= w[1].at),
            "events in time order: {data:?}"
        );
        let written = scenario.to_toml();
        let parsed = scenario::parse("decoded.toml", &written)
            .unwrap_or_else(|e| panic!("{data:?} decodes to an invalid scenario: {e}\n{written}"));
        assert_eq!(parsed, scenario, "{data:?}:\n{written}");
    }
    let empty = fuzzing::decode_simulation(&[]);
    assert_eq!(
        empty.implementation,
        ImplementationSpec::Reference(SuiteId::Hardened)
    );
    assert!(empty.config.actions.is_empty());
}

#[test]
fn the_suite_table_holds_every_suite_once() {
    let table: BTreeSet<SuiteId> = SIMULATION_SUITES.into_iter().collect();
    let all: BTreeSet<SuiteId> = SuiteId::ALL.into_iter().collect();
    assert_eq!(table, all);
    assert_eq!(SIMULATION_SUITES[0], SuiteId::Hardened);
}

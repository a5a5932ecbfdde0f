//! The documented verdict table (`docs/verdicts.md`) is data: this test runs the targeted scenario it describes
//! through every built-in implementation and checks every cell, so the docs cannot drift from the behaviour.

use std::collections::BTreeMap;

use senderkeys::SuiteId;
use sksim::attacks::AttackKind;
use sksim::checkers::{INVARIANTS, Verdict};
use sksim::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use sksim::engine::run;
use sksim::implementation::ImplementationFactory;
use sksim::implementations::{accord::Accord, chatalot::Chatalot, p2p::P2p, reference::Reference};
use sksim::network::NetworkConfig;
use sksim::time::HOUR_US;

const MINUTE_US: u64 = 60_000_000;

fn at(minutes: u64, action: Action) -> ScheduledAction {
    ScheduledAction {
        at: minutes * MINUTE_US,
        action,
    }
}

/// The targeted scenario of `docs/verdicts.md` for a group of `members`: an hour with reordering, 1 % drops and
/// 2 % duplicates, a reading (then attacking) server, joins, an offline period, a burst of sends just before a
/// removal under `on-removal`, a full compromise, every attack but add-member, an insider forging, and a
/// partition.
pub fn targeted(seed: u64, members: usize, messages_per_member_per_hour: u32) -> SimConfig {
    let mut config = SimConfig::new(seed, members);
    config.duration = HOUR_US;
    config.messages_per_member_per_hour = messages_per_member_per_hour;
    config.network = NetworkConfig {
        drop_ppm: 10_000,
        duplicate_ppm: 20_000,
        ..NetworkConfig::default()
    };
    config.server = ServerBehaviour::Malicious;
    config.policy = "on-removal".parse().expect("valid policy");
    let attack = |kind, by| Action::Attack {
        kind,
        by,
        target: 2,
        options: Default::default(),
    };
    let burst = |member| ScheduledAction {
        at: 15 * MINUTE_US - 100_000,
        action: Action::Send { member, count: 3 },
    };
    config.actions = vec![
        at(5, Action::Join { count: 2 }),
        at(
            8,
            Action::Offline {
                member: 7,
                until: 12 * MINUTE_US,
            },
        ),
        at(
            10,
            Action::Compromise {
                member: 6,
                scope: CompromiseScope::Full,
                insider: None,
            },
        ),
        burst(4),
        burst(5),
        burst(8),
        at(15, Action::Remove { member: 3 }),
        at(20, attack(AttackKind::Forge, Attacker::Server)),
        at(23, attack(AttackKind::Tamper, Attacker::Server)),
        at(26, attack(AttackKind::Resplit, Attacker::Server)),
        at(29, attack(AttackKind::Replay, Attacker::Server)),
        at(32, attack(AttackKind::FarFuture, Attacker::Server)),
        at(35, attack(AttackKind::InjectPlaintext, Attacker::Server)),
        at(38, attack(AttackKind::StaleDistribution, Attacker::Server)),
        at(41, attack(AttackKind::ForwardFakeKey, Attacker::Member(1))),
        at(44, attack(AttackKind::Forge, Attacker::Member(1))),
        at(
            46,
            Action::Partition {
                members: vec![9, 10],
                until: 50 * MINUTE_US,
            },
        ),
    ];
    config
}

fn implementations() -> Vec<Box<dyn ImplementationFactory>> {
    vec![
        Box::new(Reference {
            suite: SuiteId::Hardened,
        }),
        Box::new(Accord),
        Box::new(Chatalot),
        Box::new(P2p),
    ]
}

/// The table rows: implementation → verdict per invariant, in the header's order.
fn documented() -> BTreeMap<String, Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/verdicts.md");
    let text = std::fs::read_to_string(path).expect("docs/verdicts.md exists");
    let mut rows = text.lines().filter(|l| l.starts_with('|')).map(|l| {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_owned())
            .collect::<Vec<_>>()
    });
    let header = rows.next().expect("a header row");
    assert_eq!(
        header[1..],
        INVARIANTS.map(str::to_owned),
        "the table's columns are the invariants in order"
    );
    rows.filter(|r| !r[0].starts_with('-'))
        .map(|r| (r[0].clone(), r[1..].to_vec()))
        .collect()
}

fn cell(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Holds => "holds",
        Verdict::Violated => "VIOLATED",
        Verdict::NotApplicable => "n/a",
    }
}

/// Runs the scenario through every built-in implementation; returns each cell that differs from the table.
fn mismatches(config: &SimConfig) -> Vec<String> {
    let table = documented();
    assert_eq!(
        table.len(),
        implementations().len(),
        "one row per built-in implementation"
    );
    let mut mismatches = Vec::new();
    for factory in implementations() {
        let report = run(config, factory.as_ref()).expect("valid scenario").0;
        let row = table
            .get(&report.implementation)
            .unwrap_or_else(|| panic!("no row for {}", report.implementation));
        for (inv, expected) in report.invariants.iter().zip(row) {
            if cell(inv.verdict) != expected {
                let first = inv.violations.first().map_or(String::new(), |v| v.reason.clone());
                let (name, got) = (&report.implementation, cell(inv.verdict));
                mismatches.push(format!(
                    "{name} / {}: table says {expected}, run says {got} {first}",
                    inv.invariant
                ));
            }
        }
    }
    mismatches
}

#[test]
fn the_documented_verdict_table_is_what_the_targeted_run_gives() {
    let found = mismatches(&targeted(2026, 12, 30));
    assert!(
        found.is_empty(),
        "docs/verdicts.md is out of date:\n{}",
        found.join("\n")
    );
}

/// The same scenario with 200 members: every implementation gives the documented verdicts, and the same seed
/// gives the same trace.
#[test]
fn two_hundred_members_give_the_same_verdicts_deterministically() {
    let config = targeted(7, 200, 2);
    let found = mismatches(&config);
    assert!(found.is_empty(), "with 200 members:\n{}", found.join("\n"));
    let again = |c: &SimConfig| run(c, &Accord).expect("valid").0.trace_hash;
    assert_eq!(again(&config), again(&config));
}

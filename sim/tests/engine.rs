//! Engine tests: determinism, rotation-policy sanity, and large faulty runs of the reference implementation.

use senderkeys::SuiteId;
use sksim::checkers::Invariant;
use sksim::checkers::Verdict;
use sksim::config::{Action, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use sksim::engine::run;
use sksim::implementations::reference::Reference;
use sksim::network::NetworkConfig;
use sksim::policy::Policy;
use sksim::report::DistributionCause;
use sksim::report::Report;
use sksim::time::HOUR_US;

const MINUTE_US: u64 = 60_000_000;

fn at(minutes: u64, action: Action) -> ScheduledAction {
    ScheduledAction {
        at: minutes * MINUTE_US,
        action,
    }
}

/// A faulty hour: reordering, 1 % drops, 0.5 % duplicates, joins, a removal, a leave, an offline period.
fn faulty(seed: u64, members: usize, policy: &str) -> SimConfig {
    let mut config = SimConfig::new(seed, members);
    config.messages_per_member_per_hour = 3;
    config.network = NetworkConfig {
        drop_ppm: 10_000,
        duplicate_ppm: 5_000,
        ..NetworkConfig::default()
    };
    config.policy = policy.parse().expect("valid policy");
    config.actions = vec![
        at(10, Action::Join { count: 3 }),
        at(20, Action::Remove { member: 3 }),
        at(
            25,
            Action::Offline {
                member: 5,
                until: 50 * MINUTE_US,
            },
        ),
        at(30, Action::Leave { member: 7 }),
        at(40, Action::Rotate { member: 1 }),
        at(45, Action::Send { member: 2, count: 5 }),
    ];
    config
}

fn run_reference(config: &SimConfig, suite: SuiteId) -> Report {
    run(config, &Reference { suite }).expect("valid configuration").0
}

fn verdicts(report: &Report) -> Vec<(&'static str, Verdict)> {
    report
        .invariants
        .iter()
        .map(|r| (r.invariant.name(), r.verdict))
        .collect()
}

/// Every checked invariant holds; print the violations if not.
fn assert_no_violation(report: &Report) {
    for inv in &report.invariants {
        assert_ne!(
            inv.verdict,
            Verdict::Violated,
            "{}: {} violated: {:#?}",
            report.implementation,
            inv.invariant,
            inv.violations
        );
    }
}

#[test]
fn same_seed_same_bytes_different_seed_different_trace() {
    let config = faulty(7, 12, "on-removal");
    let traced = SimConfig {
        keep_trace: true,
        ..config.clone()
    };
    let (a, trace_a) = run(
        &traced,
        &Reference {
            suite: SuiteId::Hardened,
        },
    )
    .unwrap();
    let (b, trace_b) = run(
        &traced,
        &Reference {
            suite: SuiteId::Hardened,
        },
    )
    .unwrap();
    assert_eq!(trace_a, trace_b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let c = run_reference(&SimConfig { seed: 8, ..config }, SuiteId::Hardened);
    assert_ne!(a.trace_hash, c.trace_hash);
    assert!(a.counts.envelopes_sent > 0 && a.counts.deliveries > a.counts.envelopes_sent);
}

#[test]
fn the_trace_hash_pins_every_event() {
    let config = faulty(7, 12, "on-removal");
    let (report, lines) = run(
        &SimConfig {
            keep_trace: true,
            ..config
        },
        &Reference {
            suite: SuiteId::Hardened,
        },
    )
    .unwrap();
    let lines = lines.expect("kept");
    assert_eq!(lines.len() as u64, report.events);
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(lines.concat().as_bytes()));
    assert_eq!(hash, report.trace_hash);
}

/// With `never`, a removed member keeps reading; with `on-removal`, it does not.
#[test]
fn post_removal_secrecy_depends_on_the_policy() {
    let mut config = SimConfig::new(3, 6);
    config.actions = vec![at(10, Action::Remove { member: 2 })];
    let never = run_reference(&config, SuiteId::Hardened);
    assert_eq!(
        never.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::Violated)
    );
    let violations = &never.invariants[0];
    assert!(
        violations.violations[0]
            .reason
            .starts_with("departed m2 decrypted message"),
        "{violations:?}"
    );
    config.policy = "on-removal".parse::<Policy>().unwrap();
    let on_removal = run_reference(&config, SuiteId::Hardened);
    assert_eq!(
        on_removal.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::Holds)
    );
    assert_no_violation(&on_removal);
}

#[test]
fn nobody_departs_means_post_removal_secrecy_is_not_applicable() {
    let report = run_reference(&SimConfig::new(4, 4), SuiteId::Accord);
    assert_eq!(
        report.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::NotApplicable)
    );
    for invariant in [
        Invariant::ForwardSecrecy,
        Invariant::JoinSecrecy,
        Invariant::ServerBlindness,
    ] {
        assert_eq!(
            report.verdict(invariant),
            Some(Verdict::NotApplicable),
            "{invariant}"
        );
    }
    assert_eq!(report.delivery_ppm, 1_000_000);
}

#[test]
fn every_suite_survives_a_faulty_hour_with_every_policy() {
    for suite in SuiteId::ALL {
        for policy in ["never", "on-removal", "on-membership-change+every-messages:2"] {
            let report = run_reference(&faulty(11, 10, policy), suite);
            let expected_prs = if policy == "never" {
                Verdict::Violated
            } else {
                Verdict::Holds
            };
            let (prs, rest): (Vec<_>, Vec<_>) = verdicts(&report)
                .into_iter()
                .partition(|(n, _)| *n == "post-removal-secrecy");
            assert_eq!(prs[0].1, expected_prs, "{suite} {policy}");
            for (name, verdict) in rest {
                assert_ne!(
                    verdict,
                    Verdict::Violated,
                    "{suite} {policy}: {name}: {:#?}",
                    report.invariants
                );
            }
            assert!(
                report.counts.lost_by_network > 0 || report.counts.envelopes_sent < 100,
                "{suite}: drops happen"
            );
        }
    }
}

#[test]
fn three_hundred_members_with_faults_deliver_everything_that_arrived() {
    let mut config = faulty(5, 300, "on-removal+every-messages:50");
    config.messages_per_member_per_hour = 2;
    config.duration = HOUR_US / 2;
    let report = run_reference(&config, SuiteId::Hardened);
    assert_no_violation(&report);
    assert_eq!(report.members_final, 300 + 3 - 2);
    assert_eq!(report.delivery_ppm, 1_000_000);
    assert!(report.counts.deliveries > 20_000, "{:?}", report.counts);
    assert!(
        report.counts.rejections.contains_key("duplicate"),
        "network duplicates are rejected: {:?}",
        report.counts
    );
    assert!(
        report.counts.skipped_keys_high_water > 0,
        "reordering leaves keys in the cache"
    );
    assert!(
        report.counts.undecryptable.is_empty(),
        "{:?}",
        report.counts.undecryptable
    );
    let cost = report.distribution;
    assert!(cost.rotations > 0, "removals and every-messages:50 rotate");
    assert!(
        (299..=303).contains(&cost.per_rotation.messages),
        "a rotation goes to every other member (~300): {cost:?}"
    );
    let rotation = report.counts.distributions_by_cause[&DistributionCause::Rotation];
    assert_eq!(
        rotation.bytes,
        rotation.messages * (75 + 101),
        "a hardened distribution is 75 bytes, sealed 176: {cost:?}"
    );
    assert_eq!(
        cost.total.messages,
        report
            .counts
            .distributions_by_cause
            .values()
            .map(|c| c.messages)
            .sum::<u64>()
    );
}

/// A full compromise exposes the victim's later messages until rotation, and what sat in its cache, but never what it
/// had consumed; `every-messages` heals it sooner than `never`.
#[test]
fn compromise_exposes_until_rotation_and_never_the_past() {
    let mut config = SimConfig::new(9, 8);
    config.messages_per_member_per_hour = 20;
    config.actions = vec![at(
        30,
        Action::Compromise {
            member: 4,
            scope: CompromiseScope::Full,
            insider: None,
        },
    )];
    let never = run_reference(&config, SuiteId::Hardened);
    assert_no_violation(&never);
    assert_eq!(never.verdict(Invariant::ForwardSecrecy), Some(Verdict::Holds));
    let exposed_never = never.exposures[0].after;
    assert!(
        exposed_never > 50,
        "with `never` the snapshot reads everyone's later messages: {:?}",
        never.exposures
    );
    config.policy = "every-messages:5".parse().unwrap();
    let rotating = run_reference(&config, SuiteId::Hardened);
    assert!(
        rotating.exposures[0].after < exposed_never / 2,
        "{:?} vs {exposed_never}",
        rotating.exposures
    );
}

#[test]
fn a_curious_server_reads_nothing_over_pairwise_channels() {
    let mut config = faulty(13, 8, "on-removal");
    config.server = ServerBehaviour::Curious;
    let report = run_reference(&config, SuiteId::Hardened);
    assert_eq!(report.verdict(Invariant::ServerBlindness), Some(Verdict::Holds));
    assert_eq!(report.verdict(Invariant::JoinSecrecy), Some(Verdict::Holds));
    assert_no_violation_but_post_removal(&report);
}

fn assert_no_violation_but_post_removal(report: &Report) {
    for inv in report
        .invariants
        .iter()
        .filter(|i| i.invariant != "post-removal-secrecy")
    {
        assert_ne!(
            inv.verdict,
            Verdict::Violated,
            "{}: {:#?}",
            inv.invariant,
            inv.violations
        );
    }
}

#[test]
fn duplicates_are_checked_for_failure_atomicity() {
    let mut config = SimConfig::new(17, 6);
    config.network.duplicate_ppm = 100_000;
    let report = run_reference(&config, SuiteId::Signal);
    assert_eq!(report.verdict(Invariant::FailureAtomicity), Some(Verdict::Holds));
    assert!(report.counts.rejections["duplicate"] > 10, "{:?}", report.counts);
}

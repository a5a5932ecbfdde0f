//! The adversary's newer powers, each against the reference: an insider forging as another member, a stolen
//! signing key (the forgery window), healing after a full compromise, partitions, and sealed pairwise channels.

use senderkeys::SuiteId;
use sksim::attacks::AttackKind;
use sksim::checkers::Invariant;
use sksim::checkers::Verdict;
use sksim::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use sksim::engine::run;
use sksim::implementations::reference::Reference;
use sksim::report::{DistributionCause, Report};

const MINUTE_US: u64 = 60_000_000;

fn at(minutes: u64, action: Action) -> ScheduledAction {
    ScheduledAction {
        at: minutes * MINUTE_US,
        action,
    }
}

fn run_reference(config: &SimConfig, suite: SuiteId) -> Report {
    run(config, &Reference { suite }).expect("valid configuration").0
}

fn insider_forges(seed: u64) -> SimConfig {
    let mut config = SimConfig::new(seed, 6);
    config.messages_per_member_per_hour = 30;
    config.actions = vec![at(
        20,
        Action::Attack {
            kind: AttackKind::Forge,
            by: Attacker::Member(1),
            target: 2,
            options: Default::default(),
        },
    )];
    config
}

/// Without per-message signatures any member holding a sender's chain writes as that sender (weakness 4); with
/// them, the insider's own signature is refused.
#[test]
fn an_insider_forges_as_another_member_only_in_unsigned_suites() {
    for suite in SuiteId::ALL {
        let report = run_reference(&insider_forges(3), suite);
        assert_eq!(report.counts.attacks_skipped, 0, "{suite}");
        assert_eq!(
            report.counts.attack_inputs, 4,
            "{suite}: everyone but the target and the insider"
        );
        if suite.is_signed() {
            assert_eq!(
                report.violated(),
                Vec::<&str>::new(),
                "{suite}: {:#?}",
                report.invariants
            );
            assert_eq!(report.counts.attack_accepted, 0, "{suite}");
        } else {
            assert_eq!(report.counts.attack_accepted, 4, "{suite}");
            // The forgery takes the target's next iteration, so its genuine message there is refused as a
            // duplicate: the forgery costs delivery too.
            assert_eq!(
                report.violated(),
                ["authenticity", "delivery"],
                "{suite}: {:#?}",
                report.invariants
            );
        }
    }
}

fn signing_key_stolen(seed: u64, policy: &str, insider: Option<usize>) -> SimConfig {
    let mut config = SimConfig::new(seed, 6);
    config.messages_per_member_per_hour = 20;
    config.policy = policy.parse().expect("valid policy");
    config.actions = vec![at(
        10,
        Action::Compromise {
            member: 4,
            scope: CompromiseScope::SigningKey,
            insider,
        },
    )];
    config
}

/// A stolen signing key plus an insider's copy of the chain forges in the victim's name for as long as the key is
/// accepted: the whole run under `never`, until the victim's next rotation under `every-messages:5`.
#[test]
fn a_stolen_signing_key_forges_until_the_victim_rotates() {
    let never = run_reference(&signing_key_stolen(8, "never", None), SuiteId::Hardened);
    let exposure = &never.exposures[0];
    assert_eq!(exposure.scope, CompromiseScope::SigningKey);
    assert_eq!(
        exposure.insider,
        Some(0),
        "the lowest-numbered other member by default"
    );
    assert!(exposure.forgeries_accepted > 0, "{exposure:?}");
    assert_eq!(exposure.healing_us, None, "the victim never rotates");
    let window = exposure.forgery_window_us.expect("forgeries were accepted");
    assert!(window > 30 * MINUTE_US, "forgeries go on all run long: {window}");
    assert!(
        never.violated().contains(&Invariant::Authenticity),
        "{:?}",
        never.violated()
    );
    assert_eq!(exposure.after, 0, "a signing key decrypts nothing");

    let rotating = run_reference(
        &signing_key_stolen(8, "every-messages:5", Some(3)),
        SuiteId::Hardened,
    );
    let exposure = &rotating.exposures[0];
    assert_eq!(exposure.insider, Some(3));
    let healing = exposure
        .healing_us
        .expect("the victim rotates after five messages");
    assert!(healing < 30 * MINUTE_US, "{healing}");
    let window = exposure.forgery_window_us.unwrap_or(0);
    assert!(
        window <= healing + 2 * 400_000 + 1 + 400_000,
        "no forgery is accepted once the rotation has reached the receivers: window {window}, healing {healing}"
    );
    assert!(
        exposure.forgeries_accepted > 0,
        "forgeries before the rotation: {exposure:?}"
    );
    assert_eq!(
        exposure.forgeries_attempted * 4,
        exposure.forgeries_accepted + 4,
        "each forgery reaches the four other members; all are accepted but the one after the rotation: {exposure:?}"
    );
}

/// A signing key of a suite without signatures is nothing to steal.
#[test]
fn an_unsigned_suite_has_no_signing_key_to_steal() {
    let report = run_reference(&signing_key_stolen(8, "never", None), SuiteId::Chatalot);
    assert_eq!(report.exposures[0].forgeries_attempted, 0);
    assert_eq!(report.exposures[0].insider, None);
}

/// Healing: every chain the snapshot knew is replaced once every member present at the compromise has rotated.
#[test]
fn a_full_compromise_heals_when_every_known_chain_is_replaced() {
    let config = |policy: &str| {
        let mut config = SimConfig::new(12, 6);
        config.messages_per_member_per_hour = 30;
        config.policy = policy.parse().expect("valid policy");
        config.actions = vec![at(
            10,
            Action::Compromise {
                member: 1,
                scope: CompromiseScope::Full,
                insider: None,
            },
        )];
        config
    };
    let never = run_reference(&config("never"), SuiteId::Hardened);
    assert_eq!(never.exposures[0].healing_us, None);
    assert!(never.exposures[0].after > 0, "the snapshot reads on");
    assert!(
        never.exposures[0].after_by_sender.len() >= 5,
        "{:?}",
        never.exposures[0]
    );
    let timed = run_reference(&config("every-time:15m"), SuiteId::Hardened);
    let healing = timed.exposures[0]
        .healing_us
        .expect("everyone rotates within 15 minutes and a message");
    assert!(healing <= 15 * MINUTE_US + 10 * MINUTE_US, "{healing}");
    let window = timed.exposures[0].window_us.unwrap_or(0);
    assert!(
        window <= healing + 2 * 400_000,
        "nothing exposed after healing: {window} > {healing}"
    );
    assert!(timed.exposures[0].after < never.exposures[0].after);
}

/// Partitioned members keep writing; their messages leave when the link returns and everything still arrives.
#[test]
fn a_partition_delays_but_loses_nothing() {
    let mut config = SimConfig::new(21, 8);
    config.messages_per_member_per_hour = 60;
    config.policy = "on-removal".parse().expect("valid policy");
    config.keep_trace = true;
    config.actions = vec![
        at(
            10,
            Action::Partition {
                members: vec![2, 3, 4],
                until: 25 * MINUTE_US,
            },
        ),
        at(15, Action::Remove { member: 7 }),
    ];
    let (report, trace) = run(
        &config,
        &Reference {
            suite: SuiteId::Hardened,
        },
    )
    .expect("valid");
    assert_eq!(report.violated(), Vec::<&str>::new(), "{:#?}", report.invariants);
    assert_eq!(report.delivery_ppm, 1_000_000);
    let trace = trace.expect("kept");
    assert!(
        trace
            .iter()
            .any(|l| l.contains("partition m2,m3,m4 until 1500000000")),
        "partition traced"
    );
    let written = |m: &str| {
        trace
            .iter()
            .filter(|l| l.contains(&format!("send {m} ")))
            .filter(|l| {
                let t: u64 = l
                    .split_whitespace()
                    .nth(1)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                (10 * MINUTE_US..25 * MINUTE_US).contains(&t)
            })
            .count()
    };
    assert!(written("m3") > 3, "partitioned members keep writing");
    // Nothing a partitioned member wrote reached anyone before the link returned.
    let early = trace.iter().any(|l| {
        let t: u64 = l
            .split_whitespace()
            .nth(1)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        (10 * MINUTE_US + 400_001..25 * MINUTE_US).contains(&t)
            && (l.contains("m3->") && l.contains("deliver"))
    });
    assert!(
        !early,
        "a partitioned member's messages left before the partition healed"
    );
}

/// Distributions over pairwise channels are sealed: a curious server reads every one of them and learns nothing;
/// every distribution is accounted to its cause.
#[test]
fn sealed_distributions_keep_a_curious_server_blind() {
    let mut config = SimConfig::new(4, 10);
    config.server = ServerBehaviour::Curious;
    config.policy = "on-membership-change".parse().expect("valid policy");
    config.actions = vec![
        at(5, Action::Join { count: 2 }),
        at(20, Action::Remove { member: 1 }),
    ];
    let report = run_reference(&config, SuiteId::Signal);
    assert_eq!(report.verdict(Invariant::ServerBlindness), Some(Verdict::Holds));
    assert_eq!(report.violated(), Vec::<&str>::new(), "{:#?}", report.invariants);
    assert!(
        report.counts.rejections.keys().all(|r| !r.starts_with("channel")),
        "honest channels open: {:?}",
        report.counts.rejections
    );
    let by_cause = &report.counts.distributions_by_cause;
    assert_eq!(
        by_cause[&DistributionCause::Initial].messages,
        10 * 9 + 10 + 11,
        "first keys, the joiners' included"
    );
    assert!(by_cause[&DistributionCause::Rotation].messages > 0);
    assert_eq!(
        report.distribution.rotations,
        10 + 11 + 11,
        "the others rotate on each join and on the removal"
    );
}

/// A member the server added stays the server's after its removal: what its frozen state reads, the server
/// reads, so removing it does not turn `server-blindness` into `holds` (found by trying it as a user would).
#[test]
fn the_server_reads_what_its_removed_member_reads() {
    let config = |remove: bool| {
        let mut config = SimConfig::new(5, 3);
        config.duration = 20 * MINUTE_US;
        config.messages_per_member_per_hour = 60;
        config.server = ServerBehaviour::Malicious;
        config.actions = vec![at(
            1,
            Action::Attack {
                kind: AttackKind::AddMember,
                by: Attacker::Server,
                target: 0,
                options: Default::default(),
            },
        )];
        if remove {
            // A second later: before it holds any key, so all it reads, it reads after its removal.
            config.actions.push(ScheduledAction {
                at: MINUTE_US + 1_000_000,
                action: Action::Remove { member: 3 },
            });
        }
        config
    };
    let kept = run_reference(&config(false), SuiteId::Hardened);
    assert_eq!(kept.verdict(Invariant::ServerBlindness), Some(Verdict::Violated));
    // Under `never` nobody rotates, so the removed member reads on, and with it the server.
    let removed = run_reference(&config(true), SuiteId::Hardened);
    assert_eq!(
        removed.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::Violated)
    );
    assert_eq!(
        removed.verdict(Invariant::ServerBlindness),
        Some(Verdict::Violated)
    );
}

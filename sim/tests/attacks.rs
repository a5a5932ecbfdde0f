//! The reference under every attack: nothing is accepted that should not be, no rejected input leaves a trace.

use senderkeys::SuiteId;
use sksim::attacks::AttackKind;
use sksim::checkers::Invariant;
use sksim::checkers::Verdict;
use sksim::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use sksim::engine::run;
use sksim::implementations::reference::Reference;

const MINUTE_US: u64 = 60_000_000;

/// Every attack but add-member (which has a test of its own).
fn every_attack_but_add_member() -> Vec<AttackKind> {
    AttackKind::ALL
        .into_iter()
        .filter(|&kind| kind != AttackKind::AddMember)
        .collect()
}

/// The given attacks, each at its own minute, against member 2, after a compromise of member 5.
fn attacked(seed: u64, kinds: &[AttackKind]) -> SimConfig {
    let mut config = SimConfig::new(seed, 8);
    config.messages_per_member_per_hour = 12;
    config.server = ServerBehaviour::Malicious;
    config.policy = "on-removal".parse().expect("valid policy");
    let mut actions = vec![ScheduledAction {
        at: 5 * MINUTE_US,
        action: Action::Compromise {
            member: 5,
            scope: CompromiseScope::Full,
            insider: None,
        },
    }];
    for (i, &kind) in kinds.iter().enumerate() {
        let by = if matches!(kind, AttackKind::ForwardFakeKey | AttackKind::BadDistribution) {
            Attacker::Member(1)
        } else {
            Attacker::Server
        };
        let at = (10 + 5 * i as u64) * MINUTE_US;
        actions.push(ScheduledAction {
            at,
            action: Action::Attack {
                kind,
                by,
                target: 2,
                options: Default::default(),
            },
        });
    }
    config.actions = actions;
    config
}

#[test]
fn reference_violates_nothing_under_every_attack_in_every_suite() {
    for suite in SuiteId::ALL {
        let report = run(
            &attacked(31, &every_attack_but_add_member()),
            &Reference { suite },
        )
        .expect("valid")
        .0;
        assert_eq!(
            report.violated(),
            Vec::<&str>::new(),
            "{suite}: {:#?}",
            report.invariants
        );
        assert!(report.counts.attack_inputs > 30, "{suite}: {:?}", report.counts);
        assert_eq!(report.counts.attack_accepted, 0, "{suite}");
        assert_eq!(
            report.verdict(Invariant::FailureAtomicity),
            Some(Verdict::Holds),
            "{suite}"
        );
        assert_eq!(
            report.verdict(Invariant::ServerBlindness),
            Some(Verdict::Holds),
            "{suite}"
        );
        // Signal has no nonce to re-split; the peer-to-peer sketch's distributions are sealed sender keys, with no
        // field a distribution mutation changes.
        let skipped = u64::from(matches!(suite, SuiteId::Signal | SuiteId::P2p));
        assert_eq!(
            report.counts.attacks_skipped, skipped,
            "{suite}: {:?}",
            report.counts.without_effect
        );
    }
}

/// Membership is not end-to-end authenticated in any modelled design: a member the server adds gets everyone's
/// keys, so the server reads what follows. The reference is no exception, and the report says so.
#[test]
fn a_member_the_server_adds_breaks_server_blindness_even_for_the_reference() {
    let report = run(
        &attacked(32, &[AttackKind::AddMember]),
        &Reference {
            suite: SuiteId::Hardened,
        },
    )
    .expect("valid")
    .0;
    assert_eq!(
        report.violated(),
        ["server-blindness"],
        "{:#?}",
        report.invariants
    );
}

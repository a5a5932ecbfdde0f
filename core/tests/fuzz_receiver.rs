//! The structured receiver target (`senderkeys::testing::fuzz::receiver`): hand-written scripts whose outcome is known,
//! so that the target's oracle is itself tested — a script that must be accepted is, one that must be refused is,
//! and the target's own checks fire when they should.

use senderkeys::SuiteId;
use senderkeys::consts::{FORWARD_JUMP_MAX, SKIPPED_KEYS_MAX};
use senderkeys::testing::fuzz::receiver::{Op, Script, Summary, far_future_jump, run};

const ALICE: u8 = 0;
const BOB: u8 = 1;

fn script(suite: SuiteId, ops: Vec<Op>) -> Script {
    Script { suite, seed: 7, ops }
}

fn send(sender: u8) -> Op {
    Op::Send { sender, fill: 20 }
}

fn deliver(message: u16) -> Op {
    Op::Deliver { message }
}

/// The first distributions of alice and bob (made when the run starts).
fn initial_keys() -> Vec<Op> {
    vec![
        Op::Distribute { distribution: 0 },
        Op::Distribute { distribution: 1 },
    ]
}

fn accepted(summary: Summary) -> (usize, usize) {
    (summary.accepted, summary.rejected)
}

/// A far-future code for region `region` (see `far_future_jump`) and offset `offset`.
fn far(region: u32, offset: u32) -> u32 {
    (offset << 6) | region
}

const REGION_SHORT: u32 = 0;
const REGION_CACHE: u32 = 61;
const REGION_LIMIT: u32 = 62;

#[test]
fn envelopes_decrypt_in_any_order_once() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        ops.extend([send(ALICE), send(ALICE), send(BOB), send(ALICE)]);
        ops.extend([
            deliver(3),
            deliver(0),
            deliver(2),
            deliver(1),
            deliver(0),
            deliver(3),
        ]);
        assert_eq!(accepted(run(&script(suite, ops))), (4, 2), "{suite}");
    }
}

#[test]
fn nothing_decrypts_before_its_distribution() {
    for suite in SuiteId::ALL {
        let ops = vec![
            send(ALICE),
            deliver(0),
            Op::Distribute { distribution: 0 },
            deliver(0),
        ];
        let summary = run(&script(suite, ops));
        assert_eq!(accepted(summary), (1, 1), "{suite}");
        assert_eq!(summary.distributions_accepted, 1, "{suite}");
    }
}

#[test]
fn forgeries_without_the_signing_key_are_refused_by_signed_suites_only() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        ops.push(Op::Forge {
            sender: ALICE,
            stolen: false,
            fill: 3,
        });
        let expected = if suite.is_signed() { (0, 1) } else { (1, 0) };
        assert_eq!(accepted(run(&script(suite, ops))), expected, "{suite}");
    }
}

#[test]
fn a_forgery_with_the_stolen_key_is_accepted_and_takes_the_iteration() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        ops.push(Op::Forge {
            sender: ALICE,
            stolen: true,
            fill: 3,
        });
        // Alice's own envelope at the same iteration is now a duplicate.
        ops.extend([send(ALICE), deliver(1)]);
        assert_eq!(accepted(run(&script(suite, ops))), (1, 1), "{suite}");
    }
}

#[test]
fn corrupted_misattributed_and_resplit_envelopes_never_decrypt() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        ops.extend([send(ALICE), send(BOB)]);
        for bit in (0..4_000).step_by(97) {
            ops.push(Op::FlipBit { message: 0, bit });
        }
        ops.push(Op::Misattribute {
            message: 0,
            claimed: BOB,
        });
        ops.push(Op::Truncate { message: 1, len: 10 });
        ops.push(Op::Resplit {
            head: 0,
            tail: 1,
            head_cut: 30,
            tail_cut: 30,
        });
        ops.push(Op::Raw {
            sender: ALICE,
            bytes: vec![0; 40],
        });
        let summary = run(&script(suite, ops.clone()));
        assert_eq!(summary.accepted, 0, "{suite}");
        assert_eq!(summary.rejected, ops.len() - 4, "{suite}");
        // The untouched envelopes still decrypt afterwards: nothing above changed the receiver.
        ops.extend([deliver(0), deliver(1)]);
        assert_eq!(run(&script(suite, ops)).accepted, 2, "{suite}");
    }
}

#[test]
fn far_future_jumps_are_accepted_up_to_the_limit_and_refused_beyond() {
    assert_eq!(far_future_jump(far(REGION_LIMIT, 4)), u64::from(FORWARD_JUMP_MAX));
    assert_eq!(far_future_jump(far(REGION_CACHE, 4)), SKIPPED_KEYS_MAX as u64);
    for suite in SuiteId::ALL {
        for (offset, expected) in [(4, (1, 0)), (5, (0, 1))] {
            let mut ops = initial_keys();
            ops.push(Op::FarFuture {
                sender: ALICE,
                jump: far(REGION_LIMIT, offset),
            });
            assert_eq!(
                accepted(run(&script(suite, ops))),
                expected,
                "{suite} jump {}",
                far_future_jump(far(REGION_LIMIT, offset))
            );
        }
    }
}

#[test]
fn a_jump_fills_the_cache_and_cached_keys_decrypt_once() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        ops.extend([send(ALICE), send(ALICE), send(ALICE)]);
        // A jump of 0 from alice's next iteration (3) ...
        ops.push(Op::FarFuture {
            sender: ALICE,
            jump: far(REGION_SHORT, 0),
        });
        // ... leaves iterations 0..3 in the cache.
        ops.extend([deliver(1), deliver(0), deliver(2), deliver(1)]);
        assert_eq!(accepted(run(&script(suite, ops))), (4, 1), "{suite}");
    }
}

#[test]
fn beyond_the_far_future_budget_envelopes_carry_a_wrong_key_and_are_refused() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        // Two jumps of FORWARD_JUMP_MAX - 4 exceed FAR_FUTURE_STEPS_MAX: the second is sealed with the wrong key.
        for _ in 0..2 {
            ops.push(Op::FarFuture {
                sender: ALICE,
                jump: far(REGION_LIMIT, 0),
            });
        }
        let summary = run(&script(suite, ops));
        // The first is accepted; the second, at the same iteration, carries a wrong key (and would be a
        // duplicate anyway).
        assert_eq!(accepted(summary), (1, 1), "{suite}");
        // Beyond the budget, a jump to an iteration the receiver has not reached carries a wrong key: refused,
        // where an honest one would be accepted.
        let mut ops = initial_keys();
        ops.push(Op::FarFuture {
            sender: ALICE,
            jump: far(REGION_LIMIT, 0),
        });
        ops.push(Op::FarFuture {
            sender: ALICE,
            jump: far(REGION_LIMIT, 8),
        });
        assert_eq!(accepted(run(&script(suite, ops))), (1, 1), "{suite}");
    }
}

#[test]
fn rotations_retire_old_keys_and_forgotten_senders_are_refused() {
    for suite in SuiteId::ALL {
        let mut ops = initial_keys();
        ops.push(send(ALICE));
        // Six rotations, each delivered: alice's first key falls out of the five retained states.
        for i in 0..6u16 {
            ops.push(Op::Rotate { sender: ALICE });
            ops.push(Op::Distribute { distribution: 3 + i });
        }
        ops.push(deliver(0));
        // A stale distribution of the retired first key is refused.
        ops.push(Op::Distribute { distribution: 0 });
        ops.extend([send(ALICE), Op::Forget { sender: ALICE }, deliver(1)]);
        let summary = run(&script(suite, ops));
        assert_eq!(accepted(summary), (0, 2), "{suite}");
        assert_eq!(
            (summary.distributions_accepted, summary.distributions_rejected),
            (8, 1),
            "{suite}"
        );
    }
}

#[test]
fn decoding_caps_the_operations_and_never_fails() {
    let long = vec![0x55u8; 100_000];
    assert_eq!(
        Script::decode(&long).ops.len(),
        senderkeys::testing::fuzz::receiver::OPS_MAX
    );
    assert!(Script::decode(&[]).ops.is_empty());
    for len in 0..64 {
        let data: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
        senderkeys::testing::fuzz::receiver(&data);
    }
}

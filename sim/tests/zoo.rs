//! The zoo of planted bugs against the current adversary: each bug the default sweep finds is found within the
//! number of seeds it took when measured (so detection cannot regress), the bugs it does not find yet are exactly
//! the ones listed with what the adversary lacks, and the base raises no false alarm.

use std::collections::BTreeSet;

use sksim::checkers::Invariant;
use sksim::cli::{EXIT_BAD_INPUT, EXIT_OK, main_with};
use sksim::implementations::zoo::Bug;
use sksim::implementations::zoo::hunt::hunt;
use sksim::runner::run_scenario;
use sksim::scenario::ImplementationSpec;
use sksim::sweep::{DEFAULT_BUDGET_US, draw};

/// Each bug the current adversary finds, with the seeds the default sweep needed (seeds 0..N, the first detection
/// at seed N − 1, as `sksim zoo` measured it) and the invariant that caught it.
const FOUND: [(Bug, u64, Invariant); 15] = [
    (Bug::NonceLengthPanic, 12, Invariant::NoCrash),
    // Only when the re-split copy reaches a receiver before the genuine one (still in flight to it, or held while
    // it is offline): otherwise the copy is a duplicate, refused before the nonce is converted.
    (Bug::UnsignedSplitPanic, 32, Invariant::NoCrash),
    (Bug::AdvanceBeforeVerify, 3, Invariant::FailureAtomicity),
    (Bug::DistributionRewinds, 14, Invariant::ReplayRejection),
    (Bug::RotationDiscardsOld, 1, Invariant::Delivery),
    // A used key left in the cache opens its message again — and a snapshot of the cache opens what the victim
    // had already read: forward-secrecy sees it first (seed 0 compromises a member).
    (Bug::SkippedKeyKept, 1, Invariant::ForwardSecrecy),
    (Bug::PlaintextOnFailure, 9, Invariant::Authenticity),
    (Bug::KeyIdGlobal, 12, Invariant::Authenticity),
    (Bug::DuplicateCheckCurrentOnly, 9, Invariant::ReplayRejection),
    (Bug::KeepsInitialChain, 1, Invariant::ForwardSecrecy),
    (Bug::NewcomerGetsInitialChain, 4, Invariant::JoinSecrecy),
    (Bug::ConstantKeyId, 1, Invariant::Delivery),
    (Bug::DistributionIterationIgnored, 4, Invariant::Delivery),
    (Bug::VerifiesWithNewestKey, 1, Invariant::Delivery),
    (Bug::SkippedOffByOne, 1, Invariant::Delivery),
];

/// The bugs the current adversary does not find in `sksim zoo`'s 200 seeds, and what it would need to.
const NOT_YET_FOUND: [(Bug, &str); 5] = [
    (
        Bug::ChainKeyLengthPanic,
        "adversary-crafted distributions: no attack sends a distribution whose chain key is not 32 bytes",
    ),
    (
        Bug::UnboundedSkippedTotal,
        "jumps of more than SKIPPED_KEYS_MAX (2,000) that verify: forgeries N ahead with a stolen key (no drawn \
         run loses 2,000 messages of one sender in a row)",
    ),
    (
        Bug::UnsignedIteration,
        "an attack moving a captured envelope's iteration by less than FORWARD_JUMP_MAX: `far-future` moves it \
         30,000, past the bound, so it is refused before anything is committed, and `tamper`'s random bit lands in \
         the iteration's low bits in under 1% of tampers",
    ),
    (
        Bug::IterationWraps,
        "chains started near 2^32 (a sender reaching iteration 2^32 − 1 within a run)",
    ),
    (
        Bug::NoJumpBound,
        "forgeries more than FORWARD_JUMP_MAX (25,000) ahead with a stolen signing key: `far-future` is refused at \
         the signature, before any chain step",
    ),
];

/// A short budget, for runs that need not be the default sweep's.
const TEN_MINUTES_US: u64 = 10 * 60_000_000;

/// The base must pass this many seeds with no unexpected violation.
const BASE_SEEDS: u64 = 30;

/// Seeds run at once (the rayon pool's threads are used within each chunk).
const CHUNK: u64 = 4;

#[test]
fn found_and_not_yet_found_are_every_bug_exactly_once() {
    let found: BTreeSet<Bug> = FOUND.iter().map(|(bug, _, _)| *bug).collect();
    let not_yet: BTreeSet<Bug> = NOT_YET_FOUND.iter().map(|(bug, _)| *bug).collect();
    assert_eq!(found.len(), FOUND.len(), "a bug twice in FOUND");
    assert_eq!(not_yet.len(), NOT_YET_FOUND.len(), "a bug twice in NOT_YET_FOUND");
    assert!(found.is_disjoint(&not_yet));
    let all: BTreeSet<Bug> = found.union(&not_yet).copied().collect();
    assert_eq!(all, Bug::ALL.into_iter().collect());
}

#[test]
fn the_adversary_finds_each_bug_within_its_measured_budget() {
    for (bug, budget, invariant) in FOUND {
        let found = hunt(Some(bug), 0..budget, DEFAULT_BUDGET_US, CHUNK, &|| {}).expect("the sweep runs");
        assert!(
            found.seeds_to_detection().is_some(),
            "{bug}: not found in {budget} seeds any more (see `sksim zoo --bug {bug}`)"
        );
        assert!(
            found.caught_by().iter().any(|name| name == invariant.name()),
            "{bug}: caught by {:?}, not {invariant}",
            found.caught_by()
        );
    }
}

#[test]
fn the_base_raises_no_false_alarm() {
    let found = hunt(None, 0..BASE_SEEDS, DEFAULT_BUDGET_US, CHUNK, &|| {}).expect("the sweep runs");
    assert_eq!(found.reproduction(), None, "{:?}", found.caught_by());
}

/// `sksim zoo` as a user runs it: the table, the median and the base's line on stdout, progress on stderr.
#[test]
fn sksim_zoo_prints_the_table_and_judges_the_base() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = [
        "sksim",
        "zoo",
        "--bug",
        "rotation-discards-old",
        "--seeds",
        "3",
        "--jobs",
        "2",
    ];
    assert_eq!(main_with(args, &mut out, &mut err), EXIT_OK);
    let (out, err) = (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap());
    assert!(out.contains("zoo/rotation-discards-old"), "{out}");
    assert!(
        out.contains("sksim sweep --seeds 0..1 --impl zoo/rotation-discards-old --budget 1h"),
        "{out}"
    );
    assert!(
        out.contains("median seeds to detection: 1 (1 of 1 bugs found in 3 seeds, 0 missed)"),
        "{out}"
    );
    assert!(out.contains("zoo (the base): no failure in 3 seeds"), "{out}");
    assert!(
        err.contains("zoo/rotation-discards-old: found after 1 seeds by delivery"),
        "{err}"
    );

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = main_with(
        ["sksim", "zoo", "--bug", "rotation-discard-old"],
        &mut out,
        &mut err,
    );
    assert_eq!(status, EXIT_BAD_INPUT);
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("did you mean `rotation-discards-old`"), "{err}");
}

/// The memo of pure work changes nothing the zoo does: the same trace with and without it, for the base and for a
/// bug that changes what is signed.
#[test]
fn the_memo_changes_no_verdict() {
    for implementation in ["zoo", "zoo/unsigned-iteration"] {
        let spec = ImplementationSpec::parse(implementation).expect("parses");
        for seed in [0, 2] {
            let mut scenario = draw(seed, &spec, TEN_MINUTES_US);
            let with = run_scenario(&scenario, false).expect("runs").report;
            scenario.config.memo = false;
            let without = run_scenario(&scenario, false).expect("runs").report;
            assert_eq!(
                with.trace_hash, without.trace_hash,
                "{implementation}, seed {seed}"
            );
            assert_eq!(
                with.violated(),
                without.violated(),
                "{implementation}, seed {seed}"
            );
        }
    }
}

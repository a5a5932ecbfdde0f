//! The zoo of planted bugs against the current adversary: each bug is found by the default sweep within the
//! number of seeds it took when measured (so detection cannot regress), and the base raises no false alarm.

use std::collections::BTreeSet;

use sksim::checkers::Invariant;
use sksim::cli::{EXIT_BAD_INPUT, EXIT_OK, main_with};
use sksim::implementations::zoo::Bug;
use sksim::implementations::zoo::hunt::hunt;
use sksim::runner::run_scenario;
use sksim::scenario::ImplementationSpec;
use sksim::sweep::{DEFAULT_BUDGET_US, draw};

/// Each bug with the seeds the default sweep needed to find it (seeds 0..N, the first detection at seed N − 1, as
/// `sksim zoo --seeds 200` measured it on 2026-12-08) and the invariant that caught it. Every bug is found: a bug
/// the sweep stops finding is a gap in the adversary or the oracle, to close, never a bug to remove.
const FOUND: [(Bug, u64, Invariant); 20] = [
    // A distribution from an insider with a chain key of the wrong length (`bad-distribution`).
    (Bug::ChainKeyLengthPanic, 5, Invariant::NoCrash),
    (Bug::NonceLengthPanic, 9, Invariant::NoCrash),
    // A re-split copy that reaches a receiver before the genuine one: in flight (`tamper-in-flight`), or held while
    // the receiver is offline.
    (Bug::UnsignedSplitPanic, 9, Invariant::NoCrash),
    // An insider's jumps along its own chain, each inside the window, past the cache's bound together.
    (Bug::UnboundedSkippedTotal, 13, Invariant::BoundedState),
    (Bug::AdvanceBeforeVerify, 5, Invariant::FailureAtomicity),
    // The iteration moved in flight by less than the jump bound (`iteration-plus-cache-bound`, ...).
    (Bug::UnsignedIteration, 9, Invariant::FailureAtomicity),
    // Chains that start near 2^32 (`start_iteration`).
    (Bug::IterationWraps, 26, Invariant::Delivery),
    (Bug::DistributionRewinds, 12, Invariant::ReplayRejection),
    (Bug::RotationDiscardsOld, 8, Invariant::Delivery),
    (Bug::SkippedKeyKept, 16, Invariant::ReplayRejection),
    (Bug::PlaintextOnFailure, 1, Invariant::Authenticity),
    (Bug::KeyIdGlobal, 22, Invariant::Authenticity),
    // A jump one past the bound, with keys.
    (Bug::NoJumpBound, 51, Invariant::BoundedState),
    (Bug::DuplicateCheckCurrentOnly, 14, Invariant::ReplayRejection),
    (Bug::KeepsInitialChain, 1, Invariant::ForwardSecrecy),
    (Bug::NewcomerGetsInitialChain, 5, Invariant::JoinSecrecy),
    (Bug::ConstantKeyId, 1, Invariant::Delivery),
    (Bug::DistributionIterationIgnored, 7, Invariant::Delivery),
    (Bug::VerifiesWithNewestKey, 8, Invariant::Delivery),
    (Bug::SkippedOffByOne, 1, Invariant::Delivery),
];

/// The most seeds any bug may need: the bound on detection by the default sweep.
const SEEDS_MAX: u64 = 200;

/// A short budget, for runs that need not be the default sweep's.
const TEN_MINUTES_US: u64 = 10 * 60_000_000;

/// The base must pass this many seeds with no unexpected violation.
const BASE_SEEDS: u64 = 60;

/// Seeds run at once (the rayon pool's threads are used within each chunk).
const CHUNK: u64 = 4;

#[test]
fn every_bug_is_listed_once_within_two_hundred_seeds() {
    let found: BTreeSet<Bug> = FOUND.iter().map(|(bug, _, _)| *bug).collect();
    assert_eq!(found.len(), FOUND.len(), "a bug twice in FOUND");
    assert_eq!(found, Bug::ALL.into_iter().collect());
    assert!(FOUND.iter().all(|(_, seeds, _)| *seeds <= SEEDS_MAX));
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
        "keeps-initial-chain",
        "--seeds",
        "3",
        "--jobs",
        "2",
    ];
    assert_eq!(main_with(args, &mut out, &mut err), EXIT_OK);
    let (out, err) = (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap());
    assert!(out.contains("zoo/keeps-initial-chain"), "{out}");
    assert!(
        out.contains("sksim sweep --seeds 0..1 --impl zoo/keeps-initial-chain --budget 1h"),
        "{out}"
    );
    assert!(
        out.contains("median seeds to detection: 1 (1 of 1 bugs found in 3 seeds, 0 missed)"),
        "{out}"
    );
    assert!(out.contains("zoo (the base): no failure in 3 seeds"), "{out}");
    assert!(
        err.contains("zoo/keeps-initial-chain: found after 1 seeds by forward-secrecy"),
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

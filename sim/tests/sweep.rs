//! Swarm testing: drawing is deterministic, round-trips through scenario files and covers every feature; shards
//! merge into exactly the unsharded sweep and `merge` refuses what does not fit; the reference has no unexpected
//! violation; a wrong allowance is caught; a failure is written as a scenario that reads back equal and
//! reproduces; and the thread count (`--jobs`) changes no byte of what a sweep prints or writes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use senderkeys::SuiteId;
use sksim::attacks::AttackKind;
use sksim::checkers::INVARIANTS;
use sksim::checkers::Invariant;
use sksim::cli::{EXIT_BAD_INPUT, EXIT_LIVENESS, EXIT_OK, main_with};
use sksim::config::{Action, Attacker};
use sksim::limits::DURATION_MAX;
use sksim::runner::{RunError, run_scenario};
use sksim::scenario::{ImplementationSpec, Scenario, load, parse};
use sksim::sweep::{
    DEFAULT_BUDGET_US, SeedResult, Shard, SweepRequest, SweepResult, allowed, draw, merge, parse_seeds,
    reproduction, sweep, write_failure,
};
use sksim::time::HOUR_US;

/// Ten virtual minutes: small enough for the test profile.
const BUDGET: u64 = 10 * 60_000_000;

/// Seeds the sweep tests run.
const SEEDS: std::ops::Range<u64> = 0..12;

/// What `allowed` allows in a run of `scenario`, from the facts of that run.
fn allowed_in(scenario: &Scenario) -> BTreeSet<Invariant> {
    let outcome = run_scenario(scenario, false).expect("runs");
    allowed(scenario, &outcome.report)
}

fn reference() -> ImplementationSpec {
    ImplementationSpec::Reference(SuiteId::Hardened)
}

fn request(shard: Shard) -> SweepRequest {
    SweepRequest {
        seeds: SEEDS,
        shard,
        implementation: None,
        budget_us: BUDGET,
    }
}

/// The unsharded sweep of [`SEEDS`] on the reference, run once for every test that needs it.
fn unsharded() -> &'static SweepResult {
    static RESULT: OnceLock<SweepResult> = OnceLock::new();
    RESULT.get_or_init(|| {
        let finished = AtomicU64::new(0);
        let result = sweep(&request(Shard::ALL), &|| {
            finished.fetch_add(1, Ordering::Relaxed);
        })
        .expect("the sweep runs");
        assert_eq!(finished.load(Ordering::Relaxed), 12, "progress once per seed");
        result
    })
}

// ---- drawing ----

#[test]
fn draw_is_deterministic_round_trips_and_differs_between_seeds() {
    let mut configs = BTreeSet::new();
    for seed in 0..200 {
        let scenario = draw(seed, &reference(), BUDGET);
        let again = draw(seed, &reference(), BUDGET);
        assert_eq!(scenario.to_toml(), again.to_toml(), "seed {seed}");
        assert_eq!(scenario, again, "seed {seed}");
        let text = scenario.to_toml();
        let back = parse("drawn.toml", &text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n---\n{text}"));
        assert_eq!(back, scenario, "seed {seed}");

        assert_eq!(scenario.name, format!("sweep seed {seed}"));
        assert_eq!(scenario.config.seed, seed);
        assert!((1..=BUDGET).contains(&scenario.config.duration), "seed {seed}");
        assert!((2..=200).contains(&scenario.config.members), "seed {seed}");
        // [expect]: explicit and empty until the run says what applied and what its facts allow.
        assert!(scenario.expect.explicit, "seed {seed}");
        assert!(scenario.expect.violated.is_empty(), "seed {seed}");
        assert!(scenario.expect.hold.is_empty(), "seed {seed}");
        // The same seed draws the same world for every implementation (only [expect] differs).
        let accord = draw(seed, &ImplementationSpec::Accord, BUDGET);
        assert_eq!(accord.config, scenario.config, "seed {seed}");
        assert_eq!(accord.implementation, ImplementationSpec::Accord);

        let mut config = scenario.config.clone();
        config.seed = 0;
        configs.insert(format!("{config:?}"));
    }
    assert_eq!(configs.len(), 200, "every seed draws a different scenario");
}

#[test]
fn the_budget_caps_every_drawn_duration() {
    for budget in [
        1,
        999_999,
        1_000_000,
        90_000_000,
        HOUR_US,
        2 * HOUR_US,
        DURATION_MAX,
        u64::MAX,
    ] {
        for seed in 0..20 {
            let scenario = draw(seed, &reference(), budget);
            assert!(
                (1..=budget.min(DURATION_MAX)).contains(&scenario.config.duration),
                "budget {budget}, seed {seed}: {}",
                scenario.config.duration
            );
            let back = parse("drawn.toml", &scenario.to_toml()).expect("parses");
            assert_eq!(back, scenario, "budget {budget}, seed {seed}");
        }
    }
    // With the full budget half the time, both kinds of duration occur.
    let durations: BTreeSet<u64> = (0..50)
        .map(|seed| draw(seed, &reference(), DEFAULT_BUDGET_US).config.duration)
        .collect();
    assert!(durations.contains(&DEFAULT_BUDGET_US));
    assert!(durations.iter().any(|&d| d < DEFAULT_BUDGET_US));
}

/// Swarm coverage: over 200 seeds every action, every attack kind (by the server and by an insider where both
/// are possible), every compromise scope, server behaviour and policy component, and every fault appears — and
/// scenarios differ in how many kinds of event they have (features are switched on independently).
#[test]
fn two_hundred_seeds_cover_every_feature() {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut kinds_per_scenario = Vec::new();
    for seed in 0..200 {
        let scenario = draw(seed, &reference(), DEFAULT_BUDGET_US);
        let config = &scenario.config;
        let mut kinds = BTreeSet::new();
        for scheduled in &config.actions {
            kinds.insert(scheduled.action.name());
            seen.insert(scheduled.action.name().to_owned());
            match &scheduled.action {
                Action::Attack { kind, by, .. } => {
                    let by = if *by == Attacker::Server {
                        "server"
                    } else {
                        "insider"
                    };
                    seen.insert(format!("attack {kind:?} by {by}"));
                }
                Action::Compromise { scope, insider, .. } => {
                    seen.insert(format!("compromise {scope:?} insider={}", insider.is_some()));
                }
                _ => {}
            }
        }
        kinds_per_scenario.push(kinds.len());
        seen.insert(format!("server {:?}", config.server));
        let policy = config.policy;
        for (on, what) in [
            (policy == sksim::policy::Policy::NEVER, "policy never"),
            (policy.on_removal && !policy.on_join, "policy on-removal"),
            (policy.on_join, "policy on-membership-change"),
            (policy.every_messages.is_some(), "policy every-messages"),
            (policy.every_time.is_some(), "policy every-time"),
            (config.network.drop_ppm > 0, "drops"),
            (config.network.duplicate_ppm > 0, "duplicates"),
            (!config.network.reorder, "in order"),
            (config.network.latency_max != 400_000, "custom latency"),
            (config.members > 64, "large group"),
            (config.messages_per_member_per_hour == 0, "scripted sends only"),
            (config.plaintext_bytes != 100, "plaintext size"),
        ] {
            if on {
                seen.insert(what.to_owned());
            }
        }
    }
    let mut expected: Vec<String> = [
        "compromise Full insider=false",
        "compromise SigningKey insider=false",
        "compromise SigningKey insider=true",
        "server Honest",
        "server Curious",
        "server Malicious",
        "policy never",
        "policy on-removal",
        "policy on-membership-change",
        "policy every-messages",
        "policy every-time",
        "drops",
        "duplicates",
        "in order",
        "custom latency",
        "large group",
        "scripted sends only",
        "plaintext size",
    ]
    .map(str::to_owned)
    .to_vec();
    expected.extend(sksim::config::ACTION_NAMES.map(str::to_owned));
    for kind in AttackKind::ALL {
        if kind != AttackKind::ForwardFakeKey {
            expected.push(format!("attack {kind:?} by server"));
        }
        if !matches!(kind, AttackKind::AddMember | AttackKind::TamperInFlight) {
            expected.push(format!("attack {kind:?} by insider"));
        }
    }
    let missing: Vec<&String> = expected.iter().filter(|what| !seen.contains(*what)).collect();
    assert!(missing.is_empty(), "never drawn in 200 seeds: {missing:?}");
    let (fewest, most) = (
        kinds_per_scenario.iter().min().copied().unwrap_or(0),
        kinds_per_scenario.iter().max().copied().unwrap_or(0),
    );
    assert!(
        fewest <= 2 && most >= 7,
        "kinds of event per scenario from {fewest} to {most}"
    );
}

// ---- shards and merge ----

#[test]
fn shards_parse_zero_based_and_split_every_range_exactly() {
    assert_eq!("2/8".parse(), Ok(Shard { index: 2, count: 8 }));
    assert_eq!("0/1".parse(), Ok(Shard::ALL));
    assert_eq!(Shard { index: 2, count: 8 }.to_string(), "2/8");
    let error = |text: &str| text.parse::<Shard>().expect_err(text);
    assert!(
        error("8/8").contains("numbered from 0: 8 shards are 0/8 to 7/8"),
        "{}",
        error("8/8")
    );
    assert!(
        error("0/0").contains("the count must be at least 1"),
        "{}",
        error("0/0")
    );
    assert!(error("2").contains("expected INDEX/COUNT"), "{}", error("2"));
    assert!(
        error("a/8").contains("the index `a` is not a whole number"),
        "{}",
        error("a/8")
    );
    assert!(
        error("1/-3").contains("the count `-3` is not a whole number"),
        "{}",
        error("1/-3")
    );
    assert!(error(" 1/3").contains("not a whole number"), "{}", error(" 1/3"));
    assert!(
        error("1/99999999999").contains("too large"),
        "{}",
        error("1/99999999999")
    );

    for (range, count) in [
        (0..12, 3),
        (5..40, 7),
        (3..4, 5),
        (9..9, 2),
        (u64::MAX - 10..u64::MAX, 4),
    ] {
        let mut union: Vec<u64> = (0..count)
            .flat_map(|index| {
                let shard = Shard::new(index, count).expect("valid");
                let seeds: Vec<u64> = shard.seeds(range.clone()).collect();
                assert!(
                    seeds.iter().all(|&seed| shard.contains(seed)),
                    "{shard} {range:?}"
                );
                seeds
            })
            .collect();
        union.sort_unstable();
        assert_eq!(
            union,
            range.clone().collect::<Vec<_>>(),
            "{count} shards of {range:?}"
        );
    }
}

#[test]
fn seed_ranges_parse_with_precise_errors() {
    assert_eq!(parse_seeds("0..12"), Ok(0..12));
    assert_eq!(parse_seeds("7..7"), Ok(7..7));
    let error = |text: &str| parse_seeds(text).expect_err(text);
    assert!(
        error("12..3").contains("the start is after the end"),
        "{}",
        error("12..3")
    );
    assert!(error("12").contains("expected A..B"), "{}", error("12"));
    assert!(
        error("a..3").contains("`a` is not a whole number"),
        "{}",
        error("a..3")
    );
    assert!(
        error("0..99999999999999999999").contains("too large"),
        "{}",
        error("0..99999999999999999999")
    );
}

#[test]
fn the_union_of_shards_is_the_unsharded_sweep() {
    let whole = unsharded();
    assert_eq!(whole.seeds, (0, 12));
    assert_eq!(whole.shard, (0, 1));
    assert_eq!(whole.implementation, "reference/hardened");
    assert_eq!(whole.budget_us, BUDGET);
    assert_eq!(
        whole.runs.iter().map(|run| run.seed).collect::<Vec<_>>(),
        SEEDS.collect::<Vec<_>>()
    );
    let parts: Vec<SweepResult> = (0..3)
        .map(|index| {
            let part = sweep(&request(Shard { index, count: 3 }), &|| {}).expect("the shard runs");
            assert_eq!(part.shard, (index, 3));
            assert!(part.runs.iter().all(|run| run.seed % 3 == u64::from(index)));
            assert_eq!(part.runs.len(), 4);
            part
        })
        .collect();
    assert_eq!(&merge(&parts).expect("the shards fit"), whole);
    let shuffled = [parts[2].clone(), parts[0].clone(), parts[1].clone()];
    assert_eq!(&merge(&shuffled).expect("in any order"), whole);
    // As `sksim merge` gets them: JSON files.
    let from_json: Vec<SweepResult> = parts
        .iter()
        .map(|part| {
            let json = serde_json::to_string_pretty(part).expect("serialises");
            serde_json::from_str(&json).expect("deserialises")
        })
        .collect();
    assert_eq!(from_json, parts);
    assert_eq!(&merge(&from_json).expect("the shards fit"), whole);
    // A whole sweep merges to itself.
    assert_eq!(
        &merge(std::slice::from_ref(whole)).expect("one shard of one"),
        whole
    );
}

/// A shard's result with a made-up run per seed (merge only looks at the bookkeeping).
fn fake(seeds: std::ops::Range<u64>, index: u32, count: u32) -> SweepResult {
    let shard = Shard::new(index, count).expect("valid");
    SweepResult {
        seeds: (seeds.start, seeds.end),
        shard: (index, count),
        implementation: "reference/hardened".to_owned(),
        budget_us: BUDGET,
        runs: shard
            .seeds(seeds)
            .map(|seed| SeedResult {
                seed,
                trace_hash: format!("{seed:064x}"),
                violated: Vec::new(),
                unexpected: Vec::new(),
                not_applicable: Vec::new(),
                allowed: Vec::new(),
            })
            .collect(),
    }
}

#[test]
fn merge_refuses_missing_duplicate_and_mismatched_shards() {
    let all = || (0..3).map(|i| fake(0..12, i, 3)).collect::<Vec<_>>();
    assert_eq!(merge(&all()).expect("fits").runs.len(), 12);
    let refused = |parts: &[SweepResult]| merge(parts).expect_err("must be refused");

    assert_eq!(
        refused(&[fake(0..12, 0, 3), fake(0..12, 1, 3)]),
        "shard 2/3 is missing (given: 0/3, 1/3)"
    );
    assert_eq!(
        refused(&[fake(0..12, 1, 4)]),
        "shards 0/4, 2/4, 3/4 are missing (given: 1/4)"
    );
    assert_eq!(
        refused(&[fake(0..12, 0, 3), fake(0..12, 1, 3), fake(0..12, 1, 3)]),
        "shard 1/3 is given twice (parts 2 and 3)"
    );
    assert_eq!(
        refused(&[fake(0..12, 0, 3), fake(0..13, 1, 3), fake(0..12, 2, 3)]),
        "part 2 swept seeds 0..13 but part 1 swept 0..12: only shards of one sweep can be merged"
    );
    assert_eq!(
        refused(&[fake(0..12, 0, 3), fake(0..12, 1, 2)]),
        "part 2 is shard 1/2 but part 1 is shard 0/3: the parts split the sweep into different numbers of shards"
    );
    let mut other = all();
    other[1].implementation = "accord".to_owned();
    assert_eq!(
        refused(&other),
        "part 2 swept `accord` but part 1 swept `reference/hardened`: only shards of one sweep can be merged"
    );
    let mut other = all();
    other[2].budget_us = HOUR_US;
    assert_eq!(
        refused(&other),
        "part 3 has budget 1h but part 1 has 10m: only shards of one sweep can be merged"
    );
    let mut other = all();
    other[1].runs[0].seed = 3;
    assert_eq!(
        refused(&other),
        "part 2 (shard 1/3) holds seed 3, which is not a seed of shard 1/3 of 0..12"
    );
    let mut other = all();
    other[0].runs.pop();
    assert!(refused(&other).contains("holds 3 runs, but shard 0/3 of 0..12 has 4 seeds"));
    let mut other = all();
    other[0].shard = (3, 3);
    assert!(
        refused(&other).starts_with("part 1: invalid shard `3/3`"),
        "{}",
        refused(&other)
    );
    assert_eq!(refused(&[]), "nothing to merge: no sweep results were given");
}

// ---- judging ----

// ---- threads (`--jobs`) ----

/// Runs `sksim ARGS` as a user would; returns (status, stdout, stderr).
fn sksim(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("sksim").chain(args.iter().copied());
    let status = main_with(argv, &mut out, &mut err);
    let text = |b: Vec<u8>| String::from_utf8(b).expect("the command line prints UTF-8");
    (status, text(out), text(err))
}

/// A seven-seed sweep of the Accord model under a two-minute budget: seeds 0 and 6 lose messages (`delivery`).
fn accord_sweep() -> SweepRequest {
    SweepRequest {
        seeds: 0..7,
        shard: Shard::ALL,
        implementation: Some("accord".to_owned()),
        budget_us: 2 * 60_000_000,
    }
}

/// The library's sweep gives the same result on one thread and on two, and calls `progress` once per seed on
/// both (the command line's progress bar advances through it).
#[test]
fn the_result_and_the_progress_do_not_depend_on_the_thread_count() {
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a pool");
        let finished = AtomicU64::new(0);
        let result = pool
            .install(|| {
                sweep(&accord_sweep(), &|| {
                    finished.fetch_add(1, Ordering::Relaxed);
                })
            })
            .expect("the sweep runs");
        assert_eq!(
            finished.load(Ordering::Relaxed),
            7,
            "progress once per seed on {threads} threads"
        );
        result
    };
    let one = on(1);
    assert!(
        one.runs.iter().any(|run| !run.violated.is_empty()),
        "the seeds were chosen for their violations: {one:?}"
    );
    assert_eq!(on(2), one);
}

/// `sksim sweep --jobs N` prints and writes the same bytes for N = 1 and 2: stdout, stderr, every failing
/// scenario file and the shard's JSON result. The implementation is the Accord model behind the external adapter,
/// which sweeps judge by the reference's allowances, so Accord's documented lost messages (seeds 0 and 6) are
/// unexpected there: real failures, whose files are compared too. `--jobs 0` is refused; `--help` documents it.
#[test]
fn jobs_change_no_byte_of_what_sweep_prints_or_writes() {
    let implementation = format!("external:{} accord", env!("CARGO_BIN_EXE_sksim-adapter"));
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sweep-jobs");
    let dir_arg = dir.to_str().expect("UTF-8");
    let run = |jobs: &str| {
        // The same directory each time: a failing scenario file names its own path.
        let _ = std::fs::remove_dir_all(&dir);
        let (status, out, err) = sksim(&[
            "sweep",
            "--seeds",
            "0..7",
            "--impl",
            &implementation,
            "--budget",
            "2m",
            "--out",
            dir_arg,
            "--jobs",
            jobs,
        ]);
        let files: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{dir_arg} was not written ({e}): status {status}, {out}{err}"))
            .map(|entry| {
                let path = entry.expect("a directory entry").path();
                let name = path
                    .file_name()
                    .expect("a file name")
                    .to_string_lossy()
                    .into_owned();
                (name, std::fs::read(&path).expect("readable"))
            })
            .collect();
        (status, out, err, files)
    };
    let one = run("1");
    let (status, out, err, files) = &one;
    assert_eq!(*status, EXIT_LIVENESS, "{out}{err}");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "sweep-0-7-shard-0-of-1.json",
            "sweep-seed-0.toml",
            "sweep-seed-6.toml"
        ],
        "{out}"
    );
    assert!(out.contains("seed 0: unexpected delivery"), "{out}");
    assert_eq!(
        run("2"),
        one,
        "--jobs 2 printed or wrote other bytes than --jobs 1"
    );

    let (status, _, err) = sksim(&["sweep", "--seeds", "0..1", "--out", dir_arg, "--jobs", "0"]);
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(err.contains("--jobs") && err.contains("'0'"), "{err}");
    let (status, help, _) = sksim(&["sweep", "--help"]);
    assert_eq!(status, EXIT_OK);
    assert!(help.contains("--jobs <JOBS>"), "{help}");
    assert!(help.contains("Example: `sksim sweep"), "{help}");
    assert!(help.contains("--jobs 4"), "{help}");
}

/// Unexpected violations known to come from the engine rather than the implementation, as (seed, invariant):
/// each entry must name its cause. Empty: the quiet phase's early key requests (seed 6), newcomers counted as
/// recipients of senders that had not yet learned of them, and stale distributions re-sealed to members who were
/// not there were all fixed in the engine.
const KNOWN_ENGINE_BUGS: [(u64, &str); 0] = [];

#[test]
fn the_reference_violates_nothing_unexpected() {
    let result = unsharded();
    let found: Vec<(u64, String)> = result
        .failures()
        .flat_map(|run| run.unexpected.iter().map(|name| (run.seed, name.clone())))
        .collect();
    let known: Vec<(u64, String)> = KNOWN_ENGINE_BUGS
        .iter()
        .map(|&(seed, name)| (seed, name.to_owned()))
        .collect();
    let report: Vec<String> = result
        .failures()
        .map(|run| {
            format!(
                "seed {}: {:?} ({})",
                run.seed,
                run.unexpected,
                result.reproduction(run)
            )
        })
        .collect();
    let fixed: Vec<&(u64, String)> = known.iter().filter(|bug| !found.contains(bug)).collect();
    assert!(
        fixed.is_empty(),
        "known engine bugs that no longer reproduce (remove them from KNOWN_ENGINE_BUGS): {fixed:?}"
    );
    assert_eq!(
        found,
        known,
        "unexpected violations (a bug: investigate the seed, do not widen `allowed` without a documented \
         reason):\n{}",
        report.join("\n")
    );
    // Every seed ran, and some violated something documented: the sweep exercises the allowances too.
    assert!(
        result
            .runs
            .iter()
            .any(|run| !run.violated.is_empty() && run.unexpected.is_empty())
    );
}

/// Chatalot's documented weaknesses are unexpected under the reference's allowances: judging a Chatalot sweep
/// against what the reference may violate flags them, so a wrong allowance cannot hide a violation.
#[test]
fn violations_outside_the_allowances_are_detected() {
    let request = SweepRequest {
        seeds: 0..40,
        shard: Shard::ALL,
        implementation: Some("chatalot".to_owned()),
        budget_us: BUDGET,
    };
    // Only the small groups, to stay fast: seeds whose drawn scenario has at most 16 members and an attack.
    let seeds: Vec<u64> = request
        .seeds
        .clone()
        .filter(|&seed| {
            let scenario = draw(seed, &ImplementationSpec::Chatalot, BUDGET);
            scenario.config.members <= 16
                && scenario
                    .config
                    .actions
                    .iter()
                    .any(|a| matches!(a.action, Action::Attack { .. }))
        })
        .take(3)
        .collect();
    assert!(!seeds.is_empty());
    let mut flagged = BTreeSet::new();
    for seed in seeds {
        let part = sweep(
            &SweepRequest {
                seeds: seed..seed + 1,
                ..request.clone()
            },
            &|| {},
        )
        .expect("runs");
        let run = &part.runs[0];
        let chatalot = draw(seed, &ImplementationSpec::Chatalot, BUDGET);
        let report = run_scenario(&chatalot, false).expect("runs").report;
        assert_eq!(report.trace_hash, run.trace_hash, "seed {seed}");
        let own: BTreeSet<Invariant> = allowed(&chatalot, &report);
        let expected_unexpected: Vec<String> = run
            .violated
            .iter()
            .filter(|name| !own.iter().any(|i| i == &name.as_str()))
            .cloned()
            .collect();
        assert_eq!(run.unexpected, expected_unexpected, "seed {seed}");
        assert_eq!(
            run.allowed,
            own.iter().map(|n| n.name().to_owned()).collect::<Vec<_>>(),
            "seed {seed}"
        );
        let mut as_reference = chatalot.clone();
        as_reference.implementation = reference();
        let reference_allows = allowed(&as_reference, &report);
        assert!(reference_allows.is_subset(&own), "seed {seed}");
        assert!(own.len() >= 7, "seed {seed}");
        flagged.extend(
            run.violated
                .iter()
                .filter(|name| !reference_allows.iter().any(|i| i == &name.as_str()))
                .cloned(),
        );
    }
    assert!(
        !flagged.is_empty(),
        "Chatalot's weaknesses would be unexpected for the reference"
    );
}

/// Each allowance needs its cause in the run: the reference is allowed nothing in a quiet scenario, and each
/// documented weakness only once the run has triggered it.
#[test]
fn the_reference_allowances_follow_the_scenario() {
    let mut scenario = parse(
        "t.toml",
        "name = \"t\"\npolicy = \"on-removal\"\n[group]\nmembers = 4\n",
    )
    .expect("valid");
    assert!(allowed_in(&scenario).is_empty());
    let with = |scenario: &Scenario, event: &str| {
        let mut text = scenario.to_toml();
        text.push_str(&format!("\n[[event]]\n{event}\n"));
        parse("t.toml", &text).expect("valid")
    };
    let removal = with(&scenario, "at = \"10m\"\naction = \"remove\"\nmember = 1");
    assert!(allowed_in(&removal).is_empty(), "on-removal rotates");
    scenario.config.policy = "every-messages:100".parse().expect("valid");
    let removal = with(&scenario, "at = \"10m\"\naction = \"remove\"\nmember = 1");
    assert_eq!(
        allowed_in(&removal),
        BTreeSet::from([Invariant::PostRemovalSecrecy])
    );
    let mut malicious = scenario.clone();
    malicious.config.server = sksim::config::ServerBehaviour::Malicious;
    let added = with(
        &malicious,
        "at = \"10m\"\naction = \"attack\"\nkind = \"add-member\"\nby = \"server\"",
    );
    assert_eq!(allowed_in(&added), BTreeSet::from([Invariant::ServerBlindness]));
    let stolen = with(
        &scenario,
        "at = \"10m\"\naction = \"compromise\"\nmember = 2\nscope = \"signing-key\"",
    );
    assert_eq!(
        allowed_in(&stolen),
        BTreeSet::from([Invariant::Authenticity, Invariant::Delivery])
    );
    let full = with(
        &scenario,
        "at = \"10m\"\naction = \"compromise\"\nmember = 2\nscope = \"full\"",
    );
    assert!(allowed_in(&full).is_empty());
    // An insider forging: refused by signed suites, accepted (and allowed) without signatures.
    let forge = "at = \"10m\"\naction = \"attack\"\nkind = \"forge\"\nby = 1\ntarget = 2";
    assert!(allowed_in(&with(&scenario, forge)).is_empty());
    let mut unsigned = with(&scenario, forge);
    unsigned.implementation = ImplementationSpec::Reference(SuiteId::Chatalot);
    assert_eq!(
        allowed_in(&unsigned),
        BTreeSet::from([Invariant::Authenticity, Invariant::Delivery])
    );
    // An event whose member has left could do nothing: no scenario file can say it.
    let mut gone = with(&scenario, "at = \"5m\"\naction = \"leave\"\nmember = 2").to_toml();
    gone.push_str(
        "\n[[event]]\nat = \"10m\"\naction = \"compromise\"\nmember = 2\nscope = \"signing-key\"\n",
    );
    let refused = parse("t.toml", &gone).expect_err("a compromise of a member who left is refused");
    assert!(refused.message.contains("member 2 left at 5m"), "{refused}");
    // More than five keys of one sender in flight at once (a partitioned sender rotating every message): what is
    // lost is lost to the retention bound, and allowed exactly then.
    scenario.config.policy = "every-messages:1".parse().expect("valid");
    for until in ["50m", "61s"] {
        let cut_off = with(
            &scenario,
            &format!("at = \"1m\"\naction = \"partition\"\nmembers = [1]\nuntil = \"{until}\""),
        );
        let report = run_scenario(&cut_off, false).expect("runs").report;
        let lost = report.violated().contains(&Invariant::Delivery);
        assert_eq!(
            allowed(&cut_off, &report),
            if lost {
                BTreeSet::from([Invariant::Delivery])
            } else {
                BTreeSet::new()
            },
            "until {until}"
        );
    }
    // The models' documented weaknesses hold in any scenario.
    let mut accord = scenario.clone();
    accord.implementation = ImplementationSpec::Accord;
    assert_eq!(
        allowed_in(&accord),
        BTreeSet::from([Invariant::Delivery, Invariant::ReplayRejection])
    );
}

// ---- reproducing ----

#[test]
fn reproduction_commands_name_the_seed_implementation_and_budget() {
    assert_eq!(
        reproduction(7, "reference/hardened", "10m"),
        "sksim sweep --seeds 7..8 --impl reference/hardened --budget 10m"
    );
    assert_eq!(
        reproduction(0, "external:./adapter --fast", "1h"),
        "sksim sweep --seeds 0..1 --impl 'external:./adapter --fast' --budget 1h"
    );
    let run = &unsharded().runs[5];
    assert_eq!(
        unsharded().reproduction(run),
        "sksim sweep --seeds 5..6 --impl reference/hardened --budget 10m"
    );
    assert!(
        draw(5, &reference(), BUDGET)
            .description
            .is_some_and(|d| d.contains("sksim sweep --seeds 5..6 --impl reference/hardened --budget 10m"))
    );
}

#[test]
fn a_failure_is_written_as_a_scenario_that_reads_back_equal() {
    let dir = std::env::temp_dir().join(format!("sksim-sweep-test-{}", std::process::id()));
    let scenario = draw(42, &ImplementationSpec::P2p, BUDGET);
    let path = write_failure(&dir, &scenario).expect("written");
    assert_eq!(path, dir.join("sweep-seed-42.toml"));
    let text = std::fs::read_to_string(&path).expect("readable");
    assert!(text.starts_with("# Drawn by `sksim sweep`"), "{text}");
    assert!(text.contains(&format!("# Reproduce: sksim run {}", path.display())));
    assert_eq!(load(&path).expect("loads"), scenario);
    // Written again: the same bytes.
    write_failure(&dir, &scenario).expect("rewritten");
    assert_eq!(std::fs::read_to_string(&path).expect("readable"), text);
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

/// The scenario of a seed with its `[expect]` narrowed to the invariants that applied: running it gives a
/// mismatch for each unexpected violation and nothing else.
#[test]
fn a_written_failure_reproduces_exactly_its_unexpected_violations() {
    let result = unsharded();
    let mut checked = 0;
    for run in &result.runs {
        let scenario = result.scenario(run).expect("a known implementation");
        if scenario.config.members > 64 && run.unexpected.is_empty() {
            continue; // large groups are slow; the small ones make the point
        }
        let outcome = run_scenario(&scenario, false).expect("runs");
        assert_eq!(outcome.report.trace_hash, run.trace_hash, "seed {}", run.seed);
        let mismatched: Vec<String> = INVARIANTS
            .iter()
            .filter(|name| {
                outcome
                    .mismatches
                    .iter()
                    .any(|m| m.starts_with(&format!("`{name}`")))
            })
            .map(|name| (*name).to_owned())
            .collect();
        assert_eq!(
            mismatched, run.unexpected,
            "seed {}: {:?}",
            run.seed, outcome.mismatches
        );
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
}

#[test]
fn sweep_refuses_bad_requests() {
    let bad = |request: SweepRequest| match sweep(&request, &|| {}) {
        Err(RunError::BadInput(message)) => message,
        other => panic!("expected bad input, got {other:?}"),
    };
    let base = SweepRequest::new(0..1);
    assert!(
        bad(SweepRequest {
            implementation: Some("refrence".to_owned()),
            ..base.clone()
        })
        .contains("did you mean `reference`")
    );
    assert!(
        bad(SweepRequest {
            implementation: Some("external:./no-such-adapter".to_owned()),
            ..base.clone()
        })
        .contains("the adapter `./no-such-adapter` could not be started")
    );
    assert!(
        bad(SweepRequest {
            budget_us: 0,
            ..base.clone()
        })
        .contains("--budget")
    );
    assert!(
        bad(SweepRequest {
            shard: Shard { index: 3, count: 3 },
            ..base.clone()
        })
        .contains("numbered from 0")
    );
    let empty = sweep(&SweepRequest::new(5..5), &|| {}).expect("nothing to run");
    assert!(empty.runs.is_empty());
    assert_eq!(empty.implementation, "reference/hardened");
    assert_eq!(empty.budget_us, DEFAULT_BUDGET_US);
}

/// The drawn world does not depend on the implementation, so every implementation's sweep of a seed faces the
/// same scenario; what differs is only what each may violate.
#[test]
fn every_implementation_faces_the_same_world() {
    let counts: BTreeMap<String, usize> = [
        reference(),
        ImplementationSpec::Accord,
        ImplementationSpec::Chatalot,
        ImplementationSpec::P2p,
    ]
    .iter()
    .map(|spec| {
        let scenario = draw(11, spec, BUDGET);
        assert_eq!(scenario.config, draw(11, &reference(), BUDGET).config);
        (spec.to_string(), allowed_in(&scenario).len())
    })
    .collect();
    assert!(counts["chatalot"] > counts["reference/hardened"], "{counts:?}");
}

/// Found by the `simulation` fuzz target: a receiver retires keys in the order it installed them, so a burst
/// of three keys arriving out of order (the newest, still in use, installed first) and a later burst of three
/// evict the key in use while a message under it is in flight. `allowed` must allow `delivery` for two bursts
/// that together make six keys, and only then.
#[test]
fn two_bursts_of_keys_can_evict_the_key_in_use_and_allowed_says_so() {
    let text = |policy: &str, second_join: usize| {
        format!(
            r#"name = "two bursts"
seed = 3193810623
duration = "90s"
quiet = "2m"
implementation = "reference/signal"
policy = "{policy}"
[group]
members = 2
[workload]
messages_per_member_per_hour = 90
plaintext_bytes = 500
[network]
latency = ["20ms", "2s"]
drop = 0.2
duplicate = 0.0
reorder = false
[server]
behaviour = "honest"
[[event]]
at = "65250ms"
action = "join"
count = 3
[[event]]
at = "71500ms"
action = "join"
count = {second_join}
"#
        )
    };
    let six = parse("six.toml", &text("on-membership-change+every-time:10s", 3)).expect("valid scenario");
    // Five keys in two bursts (and no rotation by age or count in between): nothing in use can be evicted.
    let five = parse("five.toml", &text("on-membership-change", 2)).expect("valid scenario");
    delivery_allowed_exactly_where_lost(&six, &five);
}

/// Found by the `simulation` fuzz target: a fake key an insider forwards (`forward-fake-key`) reaches the other
/// receivers over the insider's own channel, so the reference installs it as a key of the insider, which the
/// insider never uses; five of them evict the key it does use, and its next message is lost. `allowed` must
/// allow `delivery` from five fakes on (with no key of the insider's own to add to them), and not below.
#[test]
fn fake_keys_an_insider_forwards_can_evict_its_own_key_and_allowed_says_so() {
    let text = |fakes: u64| {
        let mut text = String::from(
            r#"name = "fakes"
seed = 4278586925
duration = "4m"
quiet = "2m"
implementation = "reference/hardened"
policy = "never"
[group]
members = 2
[workload]
messages_per_member_per_hour = 90
plaintext_bytes = 1024
[network]
latency = ["1s", "1s"]
drop = 0.0
duplicate = 0.0
reorder = true
[server]
behaviour = "honest"
[[event]]
at = "63s"
action = "join"
count = 1
"#,
        );
        for i in 0..fakes {
            text.push_str(&format!(
                "[[event]]\nat = \"{}ms\"\naction = \"attack\"\nkind = \"forward-fake-key\"\nby = 2\ntarget = 1\n",
                85_250 + 22_250 * i
            ));
        }
        parse("fakes.toml", &text).expect("valid scenario")
    };
    // Four fakes and the key in use make five states: the bound keeps them all.
    delivery_allowed_exactly_where_lost(&text(5), &text(4));
}

/// `allowed` allows `delivery` in `lossy`, whose run really loses a message (so the allowance is needed), and not
/// in `kept`, the same scenario one key short, whose run loses nothing (so the boundary is where it should be).
fn delivery_allowed_exactly_where_lost(lossy: &Scenario, kept: &Scenario) {
    for (scenario, loses) in [(lossy, true), (kept, false)] {
        let outcome = run_scenario(scenario, false).expect("runs");
        let allowed = allowed(scenario, &outcome.report);
        assert_eq!(
            allowed.contains(&Invariant::Delivery),
            loses,
            "{}: {allowed:?}",
            scenario.name,
        );
        assert_eq!(
            outcome.report.violated().contains(&Invariant::Delivery),
            loses,
            "{}",
            scenario.name
        );
    }
}

/// Found by the `simulation` fuzz target: a member's first key counts like any other. Here m2 makes its first
/// key and, for the join at the start, a second one; the receiver installs them in the opposite order, so the
/// key m2 uses is the older one to it. Four later rotations (one per join) reach a member back from offline at
/// once and evict it: six keys in two bursts. `allowed` must count the first key (and the start as a burst), and
/// three later joins, five keys, must not be allowed.
#[test]
fn a_first_key_counts_towards_the_retained_states() {
    let text = |joins: usize| {
        let mut text = String::from(
            r#"name = "first key"
seed = 8
duration = "2m"
quiet = "2m"
implementation = "reference/signal"
policy = "on-membership-change"
[group]
members = 3
[workload]
messages_per_member_per_hour = 64
plaintext_bytes = 100
[network]
latency = ["20ms", "400ms"]
drop = 0.0
duplicate = 0.0
reorder = true
[server]
behaviour = "honest"
[[event]]
at = "0us"
action = "offline"
member = 0
until = "500ms"
[[event]]
at = "0us"
action = "join"
count = 1
[[event]]
at = "36500ms"
action = "send"
member = 2
count = 3
[[event]]
at = "36500ms"
action = "offline"
member = 1
until = "91s"
"#,
        );
        for _ in 0..joins {
            text.push_str("[[event]]\nat = \"36500ms\"\naction = \"join\"\ncount = 1\n");
        }
        parse("first-key.toml", &text).expect("valid scenario")
    };
    delivery_allowed_exactly_where_lost(&text(4), &text(3));
}

/// Found by the `simulation` fuzz target (`../shared/findings/simulation-signal-joins-while-offline`, also
/// `fuzz/regressions/simulation/`): m1 is offline while four joins make everyone rotate, and loses a message of
/// m2's. The old oracle predicted from the configuration whether a sender could outrun the five retained states,
/// and got this case wrong; the run's facts show the receiver retiring m2's key with the message in flight while
/// holding five of m2's keys, so the loss is the documented bound at work, allowed, and judged from what happened.
#[test]
fn joins_while_offline_retire_a_key_in_flight_and_the_facts_say_so() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/joins-while-offline.toml");
    let scenario = load(std::path::Path::new(path)).expect("loads");
    let outcome = run_scenario(&scenario, false).expect("runs");
    assert!(
        outcome.report.violated().contains(&Invariant::Delivery),
        "the message is lost"
    );
    let retired: Vec<&sksim::facts::Fact> = outcome
        .report
        .facts
        .iter()
        .filter(|f| matches!(f, sksim::facts::Fact::StateRetired { .. }))
        .collect();
    assert!(!retired.is_empty(), "{:?}", outcome.report.facts);
    assert!(
        allowed(&scenario, &outcome.report).contains(&Invariant::Delivery),
        "{retired:?}"
    );
}

/// Found by `sksim zoo` (sweep seed 20, 1h budget, kept as `tests/data/pending-overflow-after-a-long-partition.toml`):
/// a member back from a 19-minute partition in a 64-member group parks more envelopes than sksim's queue holds
/// (`PENDING_ENVELOPES_MAX`), and the oldest are dropped before their keys arrive. That was reported as the
/// implementation's `delivery` failure, for the reference and the zoo's base alike; the copies sksim dropped are
/// now not owed, and counted.
#[test]
fn envelopes_sksim_drops_past_its_pending_bound_are_not_owed_but_counted() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pending-overflow-after-a-long-partition.toml"
    );
    let mut scenario = load(std::path::Path::new(path)).expect("loads");
    for implementation in ["zoo", "reference"] {
        scenario.implementation = sksim::scenario::ImplementationSpec::parse(implementation).expect("parses");
        let outcome = run_scenario(&scenario, false).expect("runs");
        assert!(
            outcome.report.counts.pending_overflow > 0,
            "{implementation}: the queue no longer overflows, so this test tests nothing"
        );
        assert_eq!(
            outcome.report.violated(),
            Vec::<Invariant>::new(),
            "{implementation}"
        );
    }
}

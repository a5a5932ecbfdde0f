//! Delta debugging: a noisy failing scenario shrinks to the few things that make it fail, deterministically.

use sksim::checkers::Invariant;
use sksim::checkers::Verdict;
use sksim::config::Action;
use sksim::runner::{RunError, run_scenario};
use sksim::scenario::{self, Scenario};
use sksim::shrink::{Target, default_target, shrink};

/// A removed member keeps reading under `never` (weakness 9), buried in churn, faults and attacks.
const NOISY: &str = r#"
name = "noisy removal under never"
seed = 4
duration = "40m"
policy = "never"

[group]
members = 12

[workload]
messages_per_member_per_hour = 40

[network]
drop = 0.02
duplicate = 0.02

[server]
behaviour = "malicious"

[[event]]
at = "2m"
action = "join"
count = 2

[[event]]
at = "4m"
action = "offline"
member = 5
until = "9m"

[[event]]
at = "6m"
action = "compromise"
member = 8

[[event]]
at = "10m"
action = "remove"
member = 3

[[event]]
at = "12m"
action = "attack"
kind = "tamper"
by = "server"
target = 2

[[event]]
at = "14m"
action = "rotate"
member = 1

[[event]]
at = "16m"
action = "send"
member = 7
count = 5

[expect]
hold = ["post-removal-secrecy"]
"#;

fn noisy() -> Scenario {
    scenario::parse("noisy.toml", NOISY).expect("valid scenario")
}

#[test]
fn a_noisy_failure_shrinks_to_its_cause() {
    let original = noisy();
    assert_eq!(
        default_target(&original).expect("runs"),
        Target::Unexpected(Invariant::PostRemovalSecrecy),
        "the unexpected violation is the default target"
    );
    let shrunk = shrink(&original, "post-removal-secrecy", &|_| {}).expect("shrinks");
    let config = &shrunk.scenario.config;
    assert!(
        config
            .actions
            .iter()
            .all(|a| matches!(a.action, Action::Remove { .. } | Action::Leave { .. })),
        "only the removal is needed: {:?}",
        config.actions
    );
    assert_eq!(config.actions.len(), 1, "{:?}", config.actions);
    assert!(
        config.members <= 3,
        "a sender, the removed member and little else: {}",
        config.members
    );
    assert!(config.members < original.config.members);
    assert_eq!(config.network.drop_ppm, 0);
    assert_eq!(config.network.duplicate_ppm, 0);
    assert!(config.duration < original.config.duration, "{config:?}");
    assert!(
        shrunk.runs > 5 && !shrunk.budget_exhausted,
        "{} runs",
        shrunk.runs
    );
    assert_eq!(shrunk.scenario.expect.violated, ["post-removal-secrecy"]);
    let rerun = run_scenario(&shrunk.scenario, false).expect("runs");
    assert_eq!(
        rerun.report.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::Violated)
    );
    assert!(rerun.expectations_met(), "the shrunk file's own [expect] is met");

    let again = shrink(&original, "post-removal-secrecy", &|_| {}).expect("shrinks");
    assert_eq!(again.scenario.config, shrunk.scenario.config, "deterministic");
    assert_eq!(again.runs, shrunk.runs);
}

#[test]
fn progress_sees_every_improvement_in_order() {
    let seen = std::cell::RefCell::new(Vec::new());
    let shrunk = shrink(&noisy(), "post-removal-secrecy", &|s| {
        seen.borrow_mut().push(s.config.actions.len() + s.config.members);
    })
    .expect("shrinks");
    let seen = seen.into_inner();
    assert!(!seen.is_empty());
    assert_eq!(
        seen.last().copied(),
        Some(shrunk.scenario.config.actions.len() + shrunk.scenario.config.members)
    );
}

#[test]
fn nothing_to_shrink_and_unknown_invariants_are_bad_input() {
    let mut healthy = noisy();
    healthy.config.policy = "on-removal".parse().expect("valid policy");
    match shrink(&healthy, "post-removal-secrecy", &|_| {}) {
        Err(RunError::BadInput(message)) => {
            assert!(
                message.contains("does not violate `post-removal-secrecy`"),
                "{message}"
            );
        }
        other => panic!("expected bad input, got {other:?}"),
    }
    match shrink(&healthy, "post-removal-secrecyy", &|_| {}) {
        Err(RunError::BadInput(message)) => assert!(message.contains("unknown invariant"), "{message}"),
        other => panic!("expected bad input, got {other:?}"),
    }
}

/// `delivery` is judged after the quiet phase; shrinking it would manufacture the violation, so it stays.
#[test]
fn shrinking_delivery_keeps_the_quiet_phase() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/weakness-10-rotation-drops-in-flight.toml"
    );
    let original = scenario::load(std::path::Path::new(path)).expect("valid scenario");
    let shrunk = shrink(&original, "delivery", &|_| {}).expect("shrinks");
    assert_eq!(shrunk.scenario.config.quiet, original.config.quiet);
    assert!(shrunk.scenario.config.members <= original.config.members);
    let rerun = run_scenario(&shrunk.scenario, false).expect("runs");
    assert_eq!(rerun.report.verdict(Invariant::Delivery), Some(Verdict::Violated));
}

/// A removed newcomer keeps reading under `never`: the events naming the joiner must follow it to its new number
/// as the initial members shrink, instead of being dropped (which would lose the failure and keep every member).
#[test]
fn a_joiners_events_follow_it_when_the_group_shrinks() {
    let original = scenario::parse(
        "joiner.toml",
        r#"
name = "a removed newcomer reads on"
seed = 7
duration = "20m"
policy = "never"

[group]
members = 8

[workload]
messages_per_member_per_hour = 60

[[event]]
at = "2m"
action = "join"
count = 1

[[event]]
at = "5m"
action = "offline"
member = 4
until = "7m"

[[event]]
at = "10m"
action = "remove"
member = 8

[expect]
hold = ["post-removal-secrecy"]
"#,
    )
    .expect("valid scenario");
    let shrunk = shrink(&original, "post-removal-secrecy", &|_| {}).expect("shrinks");
    let config = &shrunk.scenario.config;
    assert!(config.members <= 2, "{} initial members left", config.members);
    let removed: Vec<usize> = config
        .actions
        .iter()
        .filter_map(|a| match a.action {
            Action::Remove { member } => Some(member),
            _ => None,
        })
        .collect();
    assert_eq!(
        removed,
        [config.members],
        "the removal names the joiner, renumbered"
    );
    assert!(
        config
            .actions
            .iter()
            .any(|a| matches!(a.action, Action::Join { count: 1 })),
        "{:?}",
        config.actions
    );
    let outcome = run_scenario(&shrunk.scenario, false).expect("runs");
    assert_eq!(
        outcome.report.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::Violated)
    );
}

/// A scenario whose server attacks shrinks to one whose server is still malicious: shrinking never writes a file
/// that says the server attacks while it is honest, nor one with an event that cannot happen.
#[test]
fn shrinking_keeps_an_attacking_server_malicious_and_every_event_possible() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/weakness-14-replay.toml"
    );
    let original = scenario::load(std::path::Path::new(path)).expect("the library file loads");
    let shrunk = shrink(&original, "replay-rejection", &|_| {}).expect("shrinks");
    let config = &shrunk.scenario.config;
    assert!(
        config.actions.iter().any(|a| matches!(
            a.action,
            Action::Attack {
                by: sksim::config::Attacker::Server,
                ..
            }
        )),
        "the server's attack is what breaks replay-rejection: {:?}",
        config.actions
    );
    assert_eq!(config.server, sksim::config::ServerBehaviour::Malicious);
    assert_eq!(config.check_script(), Ok(()));
    let written = shrunk.scenario.to_toml();
    let reparsed = scenario::parse("shrunk.toml", &written).expect("the written file parses");
    let outcome = run_scenario(&reparsed, false).expect("runs");
    assert_eq!(
        outcome.report.verdict(Invariant::ReplayRejection),
        Some(Verdict::Violated)
    );
}

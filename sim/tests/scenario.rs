//! Scenario files: the issue's example, defaults, every kind of error with its location, the limits at their
//! boundaries, expectations against real runs, and a parser that never panics.

use proptest::prelude::*;
use senderkeys::SuiteId;
use sksim::attacks::AttackKind;
use sksim::checkers::Invariant;
use sksim::checkers::{INVARIANTS, Verdict};
use sksim::config::{Action, Attacker, CompromiseScope, ScheduledAction, ServerBehaviour, SimConfig};
use sksim::engine::run;
use sksim::limits::{
    DURATION_MAX, ECHO_CHARS_MAX, EVENTS_MAX, LATENCY_MAX, MEMBERS_MAX, MESSAGES_PER_MEMBER_PER_HOUR_MAX,
    SCENARIO_BYTES_MAX, SEND_COUNT_MAX,
};
use sksim::network::NetworkConfig;
use sksim::policy::Policy;
use sksim::scenario::{Expectations, ImplementationSpec, Scenario, ScenarioError, load, parse};
use sksim::time::HOUR_US;

const MINUTE_US: u64 = 60_000_000;

/// The issue's example, verbatim (shared with the parser's unit tests).
const EXAMPLE: &str = include_str!("data/issue-example.toml");

/// The example without its `suite` line (which only a `--impl reference` override would use); the error tests'
/// line numbers count from it.
fn example() -> String {
    EXAMPLE
        .lines()
        .filter(|line| !line.starts_with("suite"))
        .map(|line| format!("{line}\n"))
        .collect()
}

fn ok(text: &str) -> Scenario {
    match parse("test.toml", text) {
        Ok(scenario) => scenario,
        Err(e) => panic!("expected to parse, got {e}\n---\n{text}"),
    }
}

fn err(text: &str) -> ScenarioError {
    match parse("test.toml", text) {
        Ok(scenario) => panic!("expected an error, parsed {scenario:?}\n---\n{text}"),
        Err(e) => e,
    }
}

/// Asserts the error's location and that its message contains `needle`.
#[track_caller]
fn assert_err(text: &str, line: usize, column: usize, needle: &str) {
    let e = err(text);
    assert_eq!(
        (e.line, e.column),
        (line, column),
        "wrong location for: {e}\n---\n{text}"
    );
    assert!(e.message.contains(needle), "`{needle}` not in: {e}");
    assert_eq!(e.file, "test.toml");
    assert_eq!(e.to_string(), format!("test.toml:{line}:{column}: {}", e.message));
}

/// A minimal valid file with `keys` at the top level (from line 2) and `members` members.
fn top(keys: &str, members: usize) -> String {
    format!("name = \"t\"\n{keys}[group]\nmembers = {members}\n")
}

/// A minimal valid file with `members` members and `rest` (tables) appended from line 4.
fn with(members: usize, rest: &str) -> String {
    format!("name = \"t\"\n[group]\nmembers = {members}\n{rest}")
}

fn at(minutes: u64, action: Action) -> ScheduledAction {
    ScheduledAction {
        at: minutes * MINUTE_US,
        action,
    }
}

#[test]
fn the_issues_example_parses_to_exactly_its_config() {
    let scenario = ok(&example());
    assert_eq!(scenario.name, "accord: removal while messages are in flight");
    assert_eq!(scenario.description.as_deref(), Some("free text"));
    assert_eq!(scenario.implementation, ImplementationSpec::Accord);
    let config = &scenario.config;
    assert_eq!(config.seed, 7);
    assert_eq!(config.duration, 2 * HOUR_US);
    assert_eq!(config.quiet, 10 * MINUTE_US);
    assert_eq!(config.members, 40);
    assert_eq!(config.messages_per_member_per_hour, 6);
    assert_eq!(config.plaintext_bytes, 100);
    assert_eq!(
        config.network,
        NetworkConfig {
            latency_min: 20_000,
            latency_max: 400_000,
            drop_ppm: 10_000,
            duplicate_ppm: 5_000,
            reorder: true,
        }
    );
    assert_eq!(
        config.policy,
        "on-removal+every-messages:100+every-time:24h"
            .parse::<Policy>()
            .unwrap()
    );
    assert_eq!(
        config.policy.to_string(),
        "on-removal+every-messages:100+every-time:1d"
    );
    assert_eq!(config.server, ServerBehaviour::Malicious);
    assert!(!config.keep_trace);
    assert_eq!(config.group, SimConfig::new(0, 1).group);
    assert_eq!(
        config.actions,
        vec![
            ScheduledAction {
                at: 600_000_000,
                action: Action::Join { count: 3 }
            },
            ScheduledAction {
                at: 1_800_000_000,
                action: Action::Remove { member: 3 }
            },
            ScheduledAction {
                at: 2_700_000_000,
                action: Action::Compromise {
                    member: 7,
                    scope: CompromiseScope::Full,
                    insider: None
                }
            },
            ScheduledAction {
                at: 3_000_000_000,
                action: Action::Offline {
                    member: 9,
                    until: 4_200_000_000
                }
            },
            ScheduledAction {
                at: 3_600_000_000,
                action: Action::Attack {
                    kind: AttackKind::Replay,
                    by: Attacker::Server,
                    target: 4,
                    options: Default::default()
                }
            },
        ]
    );
    assert_eq!(
        scenario.expect,
        Expectations {
            hold: vec![Invariant::PostRemovalSecrecy, Invariant::Authenticity],
            violated: vec![Invariant::ServerBlindness],
            explicit: true,
        }
    );
}

#[test]
fn the_verbatim_example_keeps_its_suite_for_a_reference_override() {
    let scenario = ok(EXAMPLE);
    assert_eq!(scenario.implementation, ImplementationSpec::Accord);
    assert_eq!(scenario.suite, Some(SuiteId::Hardened));
}

#[test]
fn a_minimal_file_gives_the_defaults() {
    let scenario = ok("name = \"minimal\"\n[group]\nmembers = 5\n");
    let defaults = SimConfig::new(0, 5);
    assert_eq!(scenario.name, "minimal");
    assert_eq!(scenario.description, None);
    assert_eq!(
        scenario.implementation,
        ImplementationSpec::Reference(SuiteId::Hardened)
    );
    let config = &scenario.config;
    assert_eq!(config.seed, 0);
    assert_eq!(config.members, 5);
    assert_eq!(config.duration, HOUR_US);
    assert_eq!(config.duration, defaults.duration);
    assert_eq!(config.quiet, 10 * MINUTE_US);
    assert_eq!(config.quiet, defaults.quiet);
    assert_eq!(config.messages_per_member_per_hour, 6);
    assert_eq!(config.plaintext_bytes, 100);
    assert_eq!(config.network, NetworkConfig::default());
    assert_eq!(config.network.latency_min, 20_000);
    assert_eq!(config.network.latency_max, 400_000);
    assert!(config.network.reorder);
    assert_eq!(config.policy, Policy::NEVER);
    assert_eq!(config.server, ServerBehaviour::Honest);
    assert!(config.actions.is_empty());
    assert_eq!(scenario.expect, Expectations::default());
    assert!(!scenario.expect.explicit);
}

#[test]
fn the_added_keys_parse() {
    let scenario = ok(&format!(
        "{}{}",
        top("quiet = \"0s\"\n", 10),
        r#"[server]
behaviour = "malicious"
[[event]]
at = "5m"
action = "partition"
members = [1, 2, 3]
until = "40m"
[[event]]
at = "6m"
action = "compromise"
member = 4
scope = "signing-key"
insider = 2
[[event]]
at = "7m"
action = "rotate"
member = 5
[[event]]
at = "8m"
action = "send"
member = 6
[[event]]
at = "9m"
action = "send"
member = 6
count = 4
[[event]]
at = "10m"
action = "join"
[[event]]
at = "10m"
action = "offline"
member = 10
until = "30m"
[[event]]
at = "11m"
action = "online"
member = 10
[[event]]
at = "12m"
action = "attack"
kind = "add-member"
by = "server"
[[event]]
at = "13m"
action = "attack"
kind = "forward-fake-key"
by = 11
target = 0
[[event]]
at = "14m"
action = "leave"
member = 1
"#,
    ));
    assert_eq!(scenario.config.quiet, 0);
    assert_eq!(
        scenario.config.actions,
        vec![
            at(
                5,
                Action::Partition {
                    members: vec![1, 2, 3],
                    until: 40 * MINUTE_US
                }
            ),
            at(
                6,
                Action::Compromise {
                    member: 4,
                    scope: CompromiseScope::SigningKey,
                    insider: Some(2)
                }
            ),
            at(7, Action::Rotate { member: 5 }),
            at(8, Action::Send { member: 6, count: 1 }),
            at(9, Action::Send { member: 6, count: 4 }),
            at(10, Action::Join { count: 1 }),
            at(
                10,
                Action::Offline {
                    member: 10,
                    until: 30 * MINUTE_US
                }
            ),
            at(11, Action::Online { member: 10 }),
            at(
                12,
                Action::Attack {
                    kind: AttackKind::AddMember,
                    by: Attacker::Server,
                    target: 0,
                    options: Default::default()
                }
            ),
            at(
                13,
                Action::Attack {
                    kind: AttackKind::ForwardFakeKey,
                    by: Attacker::Member(11),
                    target: 0,
                    options: Default::default()
                }
            ),
            at(14, Action::Leave { member: 1 }),
        ]
    );
}

#[test]
fn events_run_in_time_order_and_file_order_at_equal_times() {
    let scenario = ok(&with(
        5,
        r#"
[[event]]
at = "20m"
action = "rotate"
member = 1
[[event]]
at = "10m"
action = "rotate"
member = 2
[[event]]
at = "20m"
action = "rotate"
member = 0
[[event]]
at = "10m"
action = "rotate"
member = 3
"#,
    ));
    let order: Vec<(u64, usize)> = scenario
        .config
        .actions
        .iter()
        .map(|a| match a.action {
            Action::Rotate { member } => (a.at / MINUTE_US, member),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(order, vec![(10, 2), (10, 3), (20, 1), (20, 0)]);
}

#[test]
fn implementations_and_suites() {
    let cases = [
        ("reference", ImplementationSpec::Reference(SuiteId::Hardened)),
        ("reference/signal", ImplementationSpec::Reference(SuiteId::Signal)),
        ("accord", ImplementationSpec::Accord),
        ("chatalot", ImplementationSpec::Chatalot),
        ("p2p", ImplementationSpec::P2p),
    ];
    for (text, spec) in cases {
        assert_eq!(ImplementationSpec::parse(text), Ok(spec.clone()));
        let factory = spec.factory().unwrap();
        assert_eq!(factory.name(), spec.to_string());
        assert_eq!(ImplementationSpec::parse(&spec.to_string()), Ok(spec));
    }
    let external = ImplementationSpec::parse("external:./adapter --fast").unwrap();
    assert_eq!(
        external,
        ImplementationSpec::External("./adapter --fast".to_owned())
    );
    assert_eq!(external.to_string(), "external:./adapter --fast");
    assert!(
        external
            .factory()
            .err()
            .unwrap()
            .starts_with("the adapter `./adapter --fast` could not be started")
    );
    assert!(ImplementationSpec::parse("external:").is_err());
    let acord = ImplementationSpec::parse("acord").unwrap_err();
    assert!(acord.contains("did you mean `accord`?"), "{acord}");
    let suite = ImplementationSpec::parse("reference/hardend").unwrap_err();
    assert!(suite.contains("did you mean `hardened`?"), "{suite}");
    assert!(ImplementationSpec::parse("accord/hardened").is_err());

    let suite_only = ok(&top("suite = \"signal\"\n", 3));
    assert_eq!(
        suite_only.implementation,
        ImplementationSpec::Reference(SuiteId::Signal)
    );
    let both = ok(&top("implementation = \"reference\"\nsuite = \"chatalot\"\n", 3));
    assert_eq!(
        both.implementation,
        ImplementationSpec::Reference(SuiteId::Chatalot)
    );
    assert_err(
        "name = \"t\"\nimplementation = \"reference/signal\"\nsuite = \"p2p\"\n[group]\nmembers = 3\n",
        3,
        1,
        "contradicts",
    );
    assert_err(
        "name = \"t\"\nimplementation = \"chatalt\"\n[group]\nmembers = 3\n",
        2,
        18,
        "did you mean `chatalot`?",
    );
}

#[test]
fn probabilities_round_to_parts_per_million() {
    let network = |drop: &str| {
        ok(&with(3, &format!("[network]\ndrop = {drop}\nduplicate = 0\n")))
            .config
            .network
    };
    assert_eq!(network("0.0000015").drop_ppm, 2);
    assert_eq!(network("0.0000004").drop_ppm, 0);
    assert_eq!(network("1").drop_ppm, 1_000_000);
    assert_eq!(network("1.0").drop_ppm, 1_000_000);
    assert_eq!(network("0").drop_ppm, 0);
    assert_eq!(network("0.25").duplicate_ppm, 0);
    for bad in ["1.5", "-0.1", "2", "nan", "inf", "\"0.1\""] {
        let e = err(&with(3, &format!("[network]\ndrop = {bad}\n")));
        assert_eq!((e.line, e.column), (5, 8), "{e}");
    }
}

// ---- error cases: each with its exact location and message ----

#[test]
fn unknown_action_suggests_the_nearest() {
    assert_err(
        &with(4, "[[event]]\nat = \"1m\"\naction = \"remvoe\"\nmember = 1\n"),
        6,
        10,
        "unknown action `remvoe`; did you mean `remove`?",
    );
    assert_err(
        &with(4, "[[event]]\nat = \"1m\"\naction = \"zzz\"\n"),
        6,
        10,
        "unknown action `zzz`; expected one of `join`, `leave`",
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    assert_err(
        "name = \"t\"\n[group]\nmembres = 4\n",
        3,
        1,
        "unknown key `membres` in [group]; did you mean `members`?",
    );
    assert_err(
        &with(4, "[[event]]\nat = \"1m\"\naction = \"remove\"\nmemebr = 1\n"),
        7,
        1,
        "unknown key `memebr` in [[event]]; did you mean `member`?",
    );
    assert_err(
        &top("seeed = 3\n", 4),
        2,
        1,
        "unknown key `seeed`; did you mean `seed`?",
    );
    assert_err(
        &with(4, "[server]\nbehavior = \"curious\"\n"),
        5,
        1,
        "did you mean `behaviour`?",
    );
    assert_err(
        &with(4, "[server]\nbehaviour = \"curius\"\n"),
        5,
        13,
        "unknown server behaviour `curius`; did you mean `curious`?",
    );
}

#[test]
fn a_key_the_action_does_not_take_is_an_error() {
    assert_err(
        &with(
            4,
            "[[event]]\nat = \"1m\"\naction = \"remove\"\nmember = 1\nuntil = \"2m\"\n",
        ),
        8,
        1,
        "`until` does not apply to action `remove`, which takes `member`",
    );
}

#[test]
fn bad_duration() {
    assert_err(
        "name = \"t\"\nduration = \"10 minutes\"\n[group]\nmembers = 3\n",
        2,
        12,
        "expected a duration like `90s`, `10m` or `24h`",
    );
    assert_err(
        "name = \"t\"\nduration = 10\n[group]\nmembers = 3\n",
        2,
        12,
        "expected a duration like `90s`, `10m` or `24h`, found an integer",
    );
    assert_err(
        "name = \"t\"\nduration = \"0s\"\n[group]\nmembers = 3\n",
        2,
        12,
        "`duration` must be longer than 0",
    );
}

#[test]
fn member_out_of_range() {
    let events = |member: usize| {
        with(
            40,
            &format!(
                "[[event]]\nat = \"10m\"\naction = \"join\"\ncount = 3\n\
                 [[event]]\nat = \"30m\"\naction = \"remove\"\nmember = {member}\n\
                 [[event]]\nat = \"30m\"\naction = \"join\"\n"
            ),
        )
    };
    assert_err(
        &events(45),
        11,
        10,
        "`member` 45 does not exist at 30m: 40 initial members and 3 joiners by then (members are numbered from 0)",
    );
    // The join at 30m comes after the removal in the file, so member 43 does not exist yet either.
    assert_err(&events(43), 11, 10, "`member` 43 does not exist at 30m");
    assert_eq!(
        ok(&events(42)).config.actions[1].action,
        Action::Remove { member: 42 }
    );
    // A member before any join: only the initial ones.
    assert_err(
        &with(2, "[[event]]\nat = \"1m\"\naction = \"rotate\"\nmember = 2\n"),
        7,
        10,
        "`member` 2 does not exist at 1m: 2 initial members and 0 joiners by then",
    );
    assert_err(
        &with(2, "[[event]]\nat = \"1m\"\naction = \"rotate\"\nmember = -1\n"),
        7,
        10,
        "expected a member number",
    );
}

#[test]
fn event_after_the_active_phase() {
    let file =
        "name = \"t\"\nduration = \"2h\"\n[group]\nmembers = 3\n[[event]]\nat = \"3h\"\naction = \"join\"\n";
    assert_err(
        file,
        6,
        6,
        "event at 3h is after the active phase ends (duration = 2h)",
    );
    let file =
        "name = \"t\"\nduration = \"2h\"\n[group]\nmembers = 3\n[[event]]\nat = \"2h\"\naction = \"join\"\n";
    assert_err(file, 6, 6, "events must come before it");
    let file = "name = \"t\"\nduration = \"2h\"\n[group]\nmembers = 3\n[[event]]\nat = \"7199s\"\naction = \"join\"\n";
    assert_eq!(ok(file).config.actions.len(), 1);
}

#[test]
fn until_before_at() {
    assert_err(
        &with(
            10,
            "[[event]]\nat = \"50m\"\naction = \"offline\"\nmember = 9\nuntil = \"40m\"\n",
        ),
        8,
        9,
        "`until` must be after `at` (until = 40m, at = 50m)",
    );
    assert_err(
        &with(
            10,
            "[[event]]\nat = \"50m\"\naction = \"partition\"\nmembers = [1]\nuntil = \"50m\"\n",
        ),
        8,
        9,
        "`until` must be after `at`",
    );
}

#[test]
fn probability_out_of_range() {
    assert_err(
        &with(3, "[network]\ndrop = 1.5\n"),
        5,
        8,
        "`drop` = 1.5: expected a probability between 0 and 1",
    );
}

#[test]
fn suite_with_accord_is_kept_but_accord_runs() {
    let scenario =
        ok("name = \"t\"\nimplementation = \"accord\"\nsuite = \"signal\"\n[group]\nmembers = 3\n");
    assert_eq!(scenario.implementation, ImplementationSpec::Accord);
    assert_eq!(scenario.suite, Some(SuiteId::Signal));
}

#[test]
fn missing_required_keys() {
    assert_err("[group]\nmembers = 3\n", 1, 1, "missing required key `name`");
    assert_err("name = \"t\"\n", 1, 1, "missing required table `[group]`");
    assert_err(
        "name = \"t\"\n\n[group]\n",
        3,
        1,
        "missing required key `members` in [group]",
    );
    assert_err(
        &with(3, "[[event]]\naction = \"join\"\n"),
        4,
        1,
        "missing required key `at` in [[event]]",
    );
    assert_err(
        &with(
            3,
            "[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"forge\"\nby = \"server\"\n",
        ),
        4,
        1,
        "missing required key `target` in [[event]]",
    );
}

#[test]
fn toml_syntax_error() {
    assert_err(
        "name = \"t\"\nseed = \n[group]\nmembers = 3\n",
        2,
        8,
        "invalid TOML",
    );
    assert_err(
        "name = \"t\"\n[group]\nmembers = 3\nmembers = 4\n",
        4,
        1,
        "invalid TOML: duplicate key",
    );
}

#[test]
fn duplicate_invariant() {
    assert_err(
        &with(3, "[expect]\nhold = [\"authenticity\", \"authenticity\"]\n"),
        5,
        25,
        "`hold` names `authenticity` twice",
    );
    assert_err(
        &with(
            3,
            "[expect]\nhold = [\"delivery\", \"authenticity\"]\nviolated = [\"no-crash\", \"authenticity\"]\n",
        ),
        6,
        25,
        "`hold` and `violated` both name `authenticity`",
    );
}

#[test]
fn unknown_invariant() {
    assert_err(
        &with(3, "[expect]\nviolated = [\"authenticty\"]\n"),
        5,
        13,
        "unknown invariant `authenticty`; did you mean `authenticity`?",
    );
}

#[test]
fn more_semantic_errors() {
    // partition: empty, duplicate
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"partition\"\nmembers = []\nuntil = \"2m\"\n",
        ),
        7,
        11,
        "`members` must name at least one member",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"partition\"\nmembers = [1, 2, 1]\nuntil = \"2m\"\n",
        ),
        7,
        18,
        "`members` names 1 twice",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"partition\"\nmembers = [1, 7]\nuntil = \"2m\"\n",
        ),
        7,
        15,
        "`members` 7 does not exist at 1m",
    );
    // compromise: insider with a full scope, insider = the victim
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"compromise\"\nmember = 1\ninsider = 2\n",
        ),
        8,
        1,
        "`insider` applies only to scope = \"signing-key\"",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"compromise\"\nmember = 1\nscope = \"signing-key\"\ninsider = 1\n",
        ),
        9,
        11,
        "`insider` must be another member",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"compromise\"\nmember = 1\nscope = \"signing\"\n",
        ),
        8,
        9,
        "unknown scope `signing`; did you mean `signing-key`?",
    );
    // attacks: who may run which, and who exists
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"add-member\"\nby = 1\n",
        ),
        8,
        6,
        "`add-member` is a server attack",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"forward-fake-key\"\nby = \"server\"\ntarget = 0\n",
        ),
        8,
        6,
        "`forward-fake-key` is an insider attack",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"replay\"\nby = \"sever\"\ntarget = 0\n",
        ),
        8,
        6,
        "did you mean `server`?",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"replay\"\nby = 5\ntarget = 0\n",
        ),
        8,
        6,
        "`by` 5 does not exist at 1m",
    );
    assert_err(
        &with(
            5,
            "[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"replya\"\nby = 1\ntarget = 0\n",
        ),
        7,
        8,
        "unknown attack kind `replya`; did you mean `replay`?",
    );
    // a server-added member takes the next number
    let file = |target: usize| {
        with(
            2,
            &format!(
                "[server]\nbehaviour = \"malicious\"\n[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"add-member\"\nby = \"server\"\n\
                 [[event]]\nat = \"2m\"\naction = \"attack\"\nkind = \"forge\"\nby = \"server\"\ntarget = {target}\n"
            ),
        )
    };
    assert_eq!(ok(&file(2)).config.actions.len(), 2);
    assert_err(&file(3), 16, 10, "2 initial members and 1 joiner by then");
    // latency
    assert_err(
        &with(3, "[network]\nlatency = [\"400ms\", \"20ms\"]\n"),
        5,
        11,
        "the minimum 400ms is above the maximum 20ms",
    );
    assert_err(
        &with(3, "[network]\nlatency = [\"20ms\"]\n"),
        5,
        11,
        "`latency` has 1 values: expected two durations",
    );
    assert_err(
        &with(3, "[network]\nlatency = [\"20ms\", \"4 s\"]\n"),
        5,
        20,
        "expected a duration like",
    );
    // types
    assert_err(
        &with(3, "[network]\nreorder = \"yes\"\n"),
        5,
        11,
        "expected `true` or `false`, found a string",
    );
    assert_err(
        &top("group2 = 1\n", 3),
        2,
        1,
        "unknown key `group2`; did you mean `group`?",
    );
    assert_err("name = \"t\"\ngroup = 3\n", 2, 9, "`group`: expected a table");
    assert_err(&top("event = 3\n", 3), 2, 9, "`[[event]]` tables");
    assert_err(
        "name = \"\"\n[group]\nmembers = 3\n",
        1,
        8,
        "`name` must not be empty",
    );
    assert_err(
        &top("policy = \"on-remval\"\n", 3),
        2,
        10,
        "invalid policy `on-remval`",
    );
    assert_err(
        &top("seed = -1\n", 3),
        2,
        8,
        "`seed` = -1: expected a whole number from 0",
    );
    assert_eq!(ok(&top("seed = 0xff\n", 3)).config.seed, 255);
    assert_eq!(ok(&top("seed = 18446744073709551615\n", 3)).config.seed, u64::MAX);
    assert_err(
        &top("seed = 18446744073709551616\n", 3),
        2,
        8,
        "expected a whole number from 0 to 18446744073709551615",
    );
    assert_err(
        &with(
            3,
            "[[event]]\nat = \"1m\"\naction = \"compromise\"\nmember = 1\nscope = 3\n",
        ),
        8,
        9,
        "`scope`: expected `full` or `signing-key`, found an integer",
    );
}

#[test]
fn columns_count_characters_and_lines_survive_crlf() {
    assert_err(
        "name = \"é\"\r\n[group]\r\nmembers = 3\r\n[network]\r\ndrop = 2 # é\r\n",
        5,
        8,
        "expected a probability",
    );
    assert_err(
        "name = \"é\"\n[group]\nmembers = 3\nnote = 1\n",
        4,
        1,
        "unknown key `note`",
    );
    assert_err(
        "name = \"t\"\n[group]\nmembers = 3\n[network]\nlatency = [\"é\", \"1s\"]\n",
        5,
        12,
        "expected a duration",
    );
}

// ---- limits, each at its boundary ----

#[test]
fn file_size_limit() {
    let base = with(3, "");
    let pad = |total: usize| format!("{base}#{}\n", "x".repeat(total - base.len() - 2));
    let at_limit = pad(SCENARIO_BYTES_MAX);
    assert_eq!(at_limit.len(), SCENARIO_BYTES_MAX);
    ok(&at_limit);
    let over = pad(SCENARIO_BYTES_MAX + 1);
    assert_err(&over, 1, 1, "larger than 1048576 bytes");
}

#[test]
fn events_limit() {
    let events = |n: usize| {
        let mut file = with(1, "");
        for _ in 0..n {
            file.push_str("[[event]]\nat = \"1s\"\naction = \"rotate\"\nmember = 0\n");
        }
        file
    };
    assert_eq!(ok(&events(EVENTS_MAX)).config.actions.len(), EVENTS_MAX);
    let line = 4 + 4 * EVENTS_MAX;
    assert_err(&events(EVENTS_MAX + 1), line, 1, "too many events: at most 10000");
}

#[test]
fn rate_limit() {
    let rate = |n: u32| with(3, &format!("[workload]\nmessages_per_member_per_hour = {n}\n"));
    assert_eq!(
        ok(&rate(MESSAGES_PER_MEMBER_PER_HOUR_MAX))
            .config
            .messages_per_member_per_hour,
        3600
    );
    assert_eq!(ok(&rate(0)).config.messages_per_member_per_hour, 0);
    assert_err(
        &rate(MESSAGES_PER_MEMBER_PER_HOUR_MAX + 1),
        5,
        32,
        "expected a whole number from 0 to 3600",
    );
}

#[test]
fn plaintext_limits() {
    let bytes = |n: usize| with(3, &format!("[workload]\nplaintext_bytes = {n}\n"));
    assert_eq!(ok(&bytes(12)).config.plaintext_bytes, 12);
    assert_eq!(ok(&bytes(65_536)).config.plaintext_bytes, 65_536);
    assert_err(&bytes(11), 5, 19, "expected a whole number from 12 to 65536");
    assert_err(&bytes(65_537), 5, 19, "expected a whole number from 12 to 65536");
}

#[test]
fn member_limits() {
    assert_eq!(ok(&with(1, "")).config.members, 1);
    assert_eq!(ok(&with(MEMBERS_MAX, "")).config.members, MEMBERS_MAX);
    assert_err(&with(0, ""), 3, 11, "expected a whole number from 1 to 100000");
    assert_err(
        &with(MEMBERS_MAX + 1, ""),
        3,
        11,
        "expected a whole number from 1 to 100000",
    );
    let joins = |count: usize| {
        with(
            MEMBERS_MAX - 10,
            &format!(
                "[[event]]\nat = \"1m\"\naction = \"join\"\ncount = 5\n[[event]]\nat = \"2m\"\naction = \"join\"\ncount = {count}\n"
            ),
        )
    };
    ok(&joins(5));
    assert_err(&joins(6), 11, 9, "this join brings the group to 100001 members");
    let add = |members: usize| {
        with(
            members,
            "[server]\nbehaviour = \"malicious\"\n[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"add-member\"\nby = \"server\"\n",
        )
    };
    ok(&add(MEMBERS_MAX - 1));
    assert_err(
        &add(MEMBERS_MAX),
        9,
        8,
        "`add-member` brings the group above 100000",
    );
}

#[test]
fn send_count_limit() {
    let send = |n: usize| {
        with(
            3,
            &format!("[[event]]\nat = \"1m\"\naction = \"send\"\nmember = 0\ncount = {n}\n"),
        )
    };
    assert_eq!(
        ok(&send(SEND_COUNT_MAX)).config.actions[0].action,
        Action::Send {
            member: 0,
            count: SEND_COUNT_MAX
        }
    );
    assert_err(
        &send(SEND_COUNT_MAX + 1),
        8,
        9,
        "expected a whole number from 1 to 10000",
    );
    assert_err(&send(0), 8, 9, "expected a whole number from 1 to 10000");
}

#[test]
fn duration_limit() {
    assert_eq!(DURATION_MAX, 8_760 * HOUR_US);
    let file = |d: &str| format!("name = \"t\"\nduration = \"{d}\"\nquiet = \"{d}\"\n[group]\nmembers = 3\n");
    let scenario = ok(&file("8760h"));
    assert_eq!(scenario.config.duration, DURATION_MAX);
    assert_eq!(scenario.config.quiet, DURATION_MAX);
    assert_err(
        &file("8761h"),
        2,
        12,
        "`duration` = \"8761h\" is too long: at most 365d",
    );
    let quiet = "name = \"t\"\nquiet = \"366d\"\n[group]\nmembers = 3\n";
    assert_err(quiet, 2, 9, "is too long");
}

#[test]
fn latency_limit() {
    let latency = |max: &str| {
        with(
            3,
            &format!("[network]\nlatency = [\"0ms\", \"{max}\"]\nreorder = false\n"),
        )
    };
    let network = ok(&latency("1h")).config.network;
    assert_eq!((network.latency_min, network.latency_max), (0, LATENCY_MAX));
    assert!(!network.reorder);
    assert_err(
        &latency("3601s"),
        5,
        19,
        "`latency` = \"3601s\" is too long: at most 1h",
    );
}

#[test]
fn echo_limit() {
    let action = |n: usize| {
        with(
            3,
            &format!("[[event]]\nat = \"1m\"\naction = \"{}\"\n", "q".repeat(n)),
        )
    };
    let full = err(&action(ECHO_CHARS_MAX));
    assert!(
        full.message
            .contains(&format!("`{}`;", "q".repeat(ECHO_CHARS_MAX))),
        "{full}"
    );
    let cut = err(&action(ECHO_CHARS_MAX + 1));
    assert!(
        cut.message
            .contains(&format!("`{}…`;", "q".repeat(ECHO_CHARS_MAX))),
        "{cut}"
    );
}

// ---- loading ----

#[test]
fn load_reads_files_and_reports_io_errors() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("scenario-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, example()).unwrap();
    assert_eq!(load(&good).unwrap().config.members, 40);

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"t\"\n[group]\nmembres = 3\n").unwrap();
    let e = load(&bad).unwrap_err();
    assert_eq!((e.line, e.column), (3, 1));
    assert_eq!(e.file, bad.display().to_string());
    assert!(
        e.to_string()
            .starts_with(&format!("{}:3:1: unknown key", bad.display()))
    );

    let missing = dir.join("does-not-exist.toml");
    let e = load(&missing).unwrap_err();
    assert_eq!((e.line, e.column), (0, 0));
    assert!(e.message.contains(&missing.display().to_string()), "{e}");
    assert!(e.message.contains("No such file"), "{e}");
    assert_eq!(e.to_string(), e.message);

    let binary = dir.join("binary.toml");
    std::fs::write(&binary, b"name = \"t\"\nseed = \xff\n").unwrap();
    let e = load(&binary).unwrap_err();
    assert_eq!((e.line, e.column), (2, 8));
    assert!(e.message.contains("not valid UTF-8"), "{e}");

    let huge = dir.join("huge.toml");
    std::fs::write(&huge, vec![b'#'; SCENARIO_BYTES_MAX + 1]).unwrap();
    let e = load(&huge).unwrap_err();
    assert!(e.message.contains("larger than"), "{e}");
}

// ---- expectations against real runs ----

fn run_scenario(text: &str) -> (Scenario, sksim::report::Report) {
    let scenario = ok(text);
    let factory = scenario
        .implementation
        .factory()
        .expect("a built-in implementation");
    let (report, _) = run(&scenario.config, factory.as_ref()).expect("a valid configuration");
    (scenario, report)
}

#[test]
fn expectations_met_and_unmet() {
    let quiet_run = "name = \"tiny\"\nduration = \"10m\"\n[group]\nmembers = 3\n";
    let (scenario, report) = run_scenario(quiet_run);
    assert_eq!(report.verdict(Invariant::NoCrash), Some(Verdict::Holds));
    assert_eq!(
        report.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::NotApplicable)
    );
    // No [expect]: nothing violated, so met.
    assert_eq!(scenario.expect.check(&report), Vec::<String>::new());

    let explicit = |expect: &str| ok(&format!("{quiet_run}[expect]\n{expect}\n")).expect;
    assert_eq!(
        explicit("hold = [\"no-crash\"]").check(&report),
        Vec::<String>::new()
    );
    assert_eq!(explicit("").check(&report), Vec::<String>::new());
    let unmet = explicit("hold = [\"post-removal-secrecy\"]\nviolated = [\"no-crash\"]").check(&report);
    assert_eq!(unmet.len(), 2, "{unmet:?}");
    assert!(
        unmet[0].starts_with("`post-removal-secrecy`: expected to hold, but it does not apply to this run"),
        "{unmet:?}"
    );
    assert_eq!(unmet[1], "`no-crash`: expected to be violated, but it holds");

    // A removal under `never`: post-removal secrecy is violated.
    let removal = "name = \"removal\"\nduration = \"10m\"\n[group]\nmembers = 3\n\
                   [[event]]\nat = \"2m\"\naction = \"remove\"\nmember = 2\n";
    let (scenario, report) = run_scenario(removal);
    assert_eq!(
        report.verdict(Invariant::PostRemovalSecrecy),
        Some(Verdict::Violated)
    );
    let implicit = scenario.expect.check(&report);
    assert!(
        implicit.iter().any(|line| line.starts_with(
            "`post-removal-secrecy`: expected to hold (the scenario has no [expect], so every invariant is), \
             but it is violated ("
        ) && line.contains("the first at ")
            && line.contains("departed m2 decrypted")),
        "{implicit:?}"
    );
    let met = ok(&format!(
        "{removal}[expect]\nviolated = [\"post-removal-secrecy\"]\n"
    ))
    .expect;
    assert_eq!(met.check(&report), Vec::<String>::new());
    let unmet = ok(&format!("{removal}[expect]\nhold = [\"post-removal-secrecy\"]\n")).expect;
    let lines = unmet.check(&report);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("`post-removal-secrecy`: expected to hold, but it is violated ("),
        "{lines:?}"
    );
    assert!(!lines[0].contains('\n'));
    // Every invariant name is accepted in [expect].
    let all = INVARIANTS
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        ok(&format!("{removal}[expect]\nhold = [{all}]\n")).expect.hold,
        INVARIANTS.to_vec()
    );
}

// ---- never panics ----

/// Every error points into the text: line ≥ 1, column ≥ 1, and the line exists.
fn check_result(text: &str) {
    if let Err(e) = parse("fuzz.toml", text) {
        assert!(e.line >= 1 && e.column >= 1, "{e:?}");
        assert!(e.line <= text.split('\n').count(), "{e:?}");
        assert!(!e.message.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        check_result(&text);
    }

    #[test]
    fn arbitrary_toml_ish_text_never_panics(
        text in "(name = \"x\"\n\\[group\\]\nmembers = [0-9]{1,6}\n)?([a-z_\\[\\]\" =0-9.,{}#\n-]|\\[\\[event\\]\\]\n|at = \"[0-9]{1,3}[mhs]\"\n|action = \"[a-z]{3,10}\"\n){0,60}",
    ) {
        check_result(&text);
    }

    #[test]
    fn mutations_of_the_example_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = example().into_bytes();
        for (index, byte) in flips {
            let i = index.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            let at = cut.index(bytes.len() + 1);
            bytes.truncate(at);
        }
        check_result(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn line_deletions_of_the_example_never_panic(deleted in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let mut lines: Vec<&str> = EXAMPLE.lines().collect();
        for index in deleted {
            if !lines.is_empty() {
                lines.remove(index.index(lines.len()));
            }
        }
        check_result(&lines.join("\n"));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    for text in [
        format!("name = \"t\"\na = {}{}\n", "[".repeat(depth), "]".repeat(depth)),
        format!(
            "name = \"t\"\na = {}1{}\n",
            "{ b = ".repeat(depth),
            " }".repeat(depth)
        ),
        format!("name = \"t\"\n{} = 1\n", vec!["a"; depth].join(".")),
        format!("[{}]\n", vec!["a"; depth].join(".")),
    ] {
        check_result(&text);
        assert!(parse("deep.toml", &text).is_err());
    }
}

/// A scenario in which the server attacks but is not malicious says two things at once: refused, at the attack's
/// `by`, with what to change.
#[test]
fn a_server_attack_needs_a_malicious_server() {
    let attack =
        "[[event]]\nat = \"5m\"\naction = \"attack\"\nkind = \"replay\"\nby = \"server\"\ntarget = 1\n";
    for behaviour in [
        "",
        "[server]\nbehaviour = \"honest\"\n",
        "[server]\nbehaviour = \"curious\"\n",
    ] {
        let text = with(3, &format!("{behaviour}{attack}"));
        let line = 4 + behaviour.lines().count() + 4;
        assert_err(&text, line, 6, "only a malicious server attacks");
        assert!(err(&text).message.contains("behaviour = \"malicious\""));
    }
    ok(&with(
        3,
        &format!("[server]\nbehaviour = \"malicious\"\n{attack}"),
    ));
    // add-member is the server's too.
    assert_err(
        &with(
            3,
            "[[event]]\nat = \"5m\"\naction = \"attack\"\nkind = \"add-member\"\nby = \"server\"\n",
        ),
        8,
        6,
        "only a malicious server attacks",
    );
}

/// Events that could do nothing are refused where they stand, naming why and what to change.
#[test]
fn impossible_events_are_refused_with_their_location() {
    let event = |at: &str, action: &str, rest: &str| {
        format!("[[event]]\nat = \"{at}\"\naction = \"{action}\"\n{rest}")
    };
    // Removing the same member twice: the second `member` (line 4 + 4 + 3).
    let text = with(
        4,
        &(event("10m", "remove", "member = 2\n") + &event("20m", "remove", "member = 2\n")),
    );
    assert_err(
        &text,
        11,
        10,
        "member 2 was removed at 10m, before this `remove` at 20m",
    );
    // A send (and a rotate, a compromise, an insider attack) from a member who left.
    for (action, rest, key_column) in [
        ("send", "member = 1\n", 10),
        ("rotate", "member = 1\n", 10),
        ("compromise", "member = 1\n", 10),
        ("attack", "kind = \"forge\"\nby = 1\ntarget = 0\n", 6),
    ] {
        let text = with(
            4,
            &(event("10m", "leave", "member = 1\n") + &event("20m", action, rest)),
        );
        let e = err(&text);
        assert!(e.message.contains("member 1 left at 10m"), "{action}: {e}");
        assert_eq!(e.column, key_column, "{action}: {e}");
    }
    // `online` for a member who was never offline, or who is back already.
    assert_err(
        &with(3, &event("10m", "online", "member = 1\n")),
        7,
        10,
        "no `offline` event puts it offline before",
    );
    assert_err(
        &with(
            3,
            &(event("10m", "offline", "member = 1\nuntil = \"15m\"\n")
                + &event("20m", "online", "member = 1\n")),
        ),
        12,
        10,
        "it came back by itself at 15m",
    );
    // Early and on time are both fine.
    for back in ["12m", "15m"] {
        ok(&with(
            3,
            &(event("10m", "offline", "member = 1\nuntil = \"15m\"\n")
                + &event(back, "online", "member = 1\n")),
        ));
    }
    // Offline twice over, and a partition of someone offline.
    assert_err(
        &with(
            3,
            &(event("10m", "offline", "member = 1\nuntil = \"15m\"\n")
                + &event("12m", "offline", "member = 1\nuntil = \"30m\"\n")),
        ),
        12,
        10,
        "already offline at 12m (until 15m)",
    );
    assert_err(
        &with(
            3,
            &(event("10m", "offline", "member = 1\nuntil = \"15m\"\n")
                + &event("12m", "partition", "members = [0, 1]\nuntil = \"30m\"\n")),
        ),
        12,
        11,
        "a partition cuts off only members who are online",
    );
    // `online` cannot end a partition early.
    assert_err(
        &with(
            3,
            &(event("10m", "partition", "members = [1]\nuntil = \"15m\"\n")
                + &event("12m", "online", "member = 1\n")),
        ),
        12,
        10,
        "cannot end it early",
    );
}

/// The engine refuses what the parser refuses, for configurations built in code.
#[test]
fn the_engine_refuses_an_impossible_script_too() {
    let mut config = SimConfig::new(1, 3);
    config.actions = vec![
        at(5, Action::Remove { member: 1 }),
        at(6, Action::Send { member: 1, count: 1 }),
    ];
    let e = run(
        &config,
        &sksim::implementations::reference::Reference {
            suite: SuiteId::Hardened,
        },
    )
    .expect_err("refused");
    assert!(e.to_string().contains("member 1 was removed at 5m"), "{e}");
}

/// A suite given where an implementation belongs points at the reference speaking it.
#[test]
fn a_suite_named_as_an_implementation_suggests_the_reference_speaking_it() {
    for (given, suggested) in [
        ("hardened", "reference/hardened"),
        ("signal", "reference/signal"),
        ("hardend", "reference/hardened"),
    ] {
        let e = ImplementationSpec::parse(given).expect_err("not an implementation");
        assert!(e.contains(&format!("did you mean `{suggested}`")), "{given}: {e}");
    }
    assert_eq!(
        ImplementationSpec::parse("accord"),
        Ok(ImplementationSpec::Accord)
    );
    let e = ImplementationSpec::parse("acord").expect_err("misspelt");
    assert!(e.contains("did you mean `accord`"), "{e}");
    // A model's name in the wrong case is that model, not the suite of the same name.
    let e = ImplementationSpec::parse("Accord").expect_err("names are lower case");
    assert!(
        e.contains("did you mean `accord`?") && !e.contains("reference/accord"),
        "{e}"
    );
}

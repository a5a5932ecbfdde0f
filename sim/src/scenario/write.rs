//! The writer of scenario files: [`Scenario::to_toml`], the canonical file for a scenario, which
//! [`parse`](fn@super::parse) reads back to an equal one.

use super::parse::{ATTACK_KINDS, BEHAVIOURS, SCOPES};
use super::{ImplementationSpec, PolicySource, Scenario};
use crate::attacks::AttackKind;
use crate::checkers::Invariant;
use crate::config::{Action, AttackOptions, Attacker, GenuineCopy, ScheduledAction};
use crate::limits::ARRAY_LINE_CHARS_MAX;
use crate::network::PPM;
use crate::policy::Policy;
use crate::time::{Micros, format_duration};

impl Scenario {
    /// The canonical scenario file for this scenario: top-level keys, then `[group]`, `[workload]`, `[network]`,
    /// `[server]`, the `[[event]]`s in time order (file order at equal times) and `[expect]`, with every value
    /// written out (defaults included), so the file says everything the run does.
    ///
    /// [`parse`](fn@super::parse) reads the text back to an equal `Scenario` for every scenario the parser
    /// can produce. Durations are written with [`format_duration`] (exact units), probabilities as the exact
    /// decimal of their parts per million (`0.01`, `0.000123`), strings with TOML's own escaping, and `seed`
    /// as a decimal integer (the parser reads the whole `u64` range). What the format cannot say is written
    /// as the nearest thing it can:
    /// - a `reference/<suite>` implementation with a contradicting `suite` (which only an `--impl` override makes)
    ///   is written as `implementation = "reference/<suite>"` without the `suite` key: the file runs what the
    ///   scenario runs;
    /// - expectations lists without `explicit` are written as an `[expect]` table (which makes them explicit);
    /// - the group id and `keep_trace` are not part of the format (a parsed scenario has the default group and
    ///   `keep_trace = false`);
    /// - events out of time order are written in time order (the order in which they run).
    #[must_use]
    pub fn to_toml(&self) -> String {
        let config = &self.config;
        let mut out = String::new();
        key_value(&mut out, "name", &toml_string(&self.name));
        if let Some(description) = &self.description {
            key_value(&mut out, "description", &toml_string(description));
        }
        key_value(&mut out, "seed", &config.seed.to_string());
        key_value(&mut out, "duration", &toml_duration(config.duration));
        key_value(&mut out, "quiet", &toml_duration(config.quiet));
        if config.start_iteration != 0 {
            key_value(&mut out, "start_iteration", &config.start_iteration.to_string());
        }
        let suite = match (&self.implementation, self.suite) {
            (ImplementationSpec::Reference(given), Some(suite)) if *given != suite => None,
            (_, suite) => suite,
        };
        key_value(
            &mut out,
            "implementation",
            &toml_string(&self.implementation.to_string()),
        );
        if let Some(suite) = suite {
            key_value(&mut out, "suite", &toml_string(suite.name()));
        }
        if self.policy_source != PolicySource::Default || config.policy != Policy::NEVER {
            key_value(&mut out, "policy", &toml_string(&config.policy.to_string()));
        }

        out.push_str("\n[group]\n");
        key_value(&mut out, "members", &config.members.to_string());

        out.push_str("\n[workload]\n");
        key_value(
            &mut out,
            "messages_per_member_per_hour",
            &config.messages_per_member_per_hour.to_string(),
        );
        key_value(&mut out, "plaintext_bytes", &config.plaintext_bytes.to_string());

        write_network_and_server(&mut out, config);

        let mut actions: Vec<&ScheduledAction> = config.actions.iter().collect();
        actions.sort_by_key(|scheduled| scheduled.at);
        for scheduled in actions {
            out.push_str("\n[[event]]\n");
            key_value(&mut out, "at", &toml_duration(scheduled.at));
            write_action(&mut out, &scheduled.action);
        }

        let expect = &self.expect;
        if expect.explicit || !expect.hold.is_empty() || !expect.violated.is_empty() {
            out.push_str("\n[expect]\n");
            write_names(&mut out, "hold", &expect.hold);
            write_names(&mut out, "violated", &expect.violated);
        }
        out
    }
}

/// The keys of one event after `at`.
fn write_action(out: &mut String, action: &Action) {
    let name = |name: &str| toml_string(name);
    match action {
        Action::Join { count } => {
            key_value(out, "action", &name("join"));
            key_value(out, "count", &count.to_string());
        }
        Action::Leave { member } => {
            key_value(out, "action", &name("leave"));
            key_value(out, "member", &member.to_string());
        }
        Action::Remove { member } => {
            key_value(out, "action", &name("remove"));
            key_value(out, "member", &member.to_string());
        }
        Action::Offline { member, until } => {
            key_value(out, "action", &name("offline"));
            key_value(out, "member", &member.to_string());
            key_value(out, "until", &toml_duration(*until));
        }
        Action::Online { member } => {
            key_value(out, "action", &name("online"));
            key_value(out, "member", &member.to_string());
        }
        Action::Partition { members, until } => {
            key_value(out, "action", &name("partition"));
            let members: Vec<String> = members.iter().map(usize::to_string).collect();
            key_value(out, "members", &format!("[{}]", members.join(", ")));
            key_value(out, "until", &toml_duration(*until));
        }
        Action::Send { member, count } => {
            key_value(out, "action", &name("send"));
            key_value(out, "member", &member.to_string());
            key_value(out, "count", &count.to_string());
        }
        Action::Rotate { member } => {
            key_value(out, "action", &name("rotate"));
            key_value(out, "member", &member.to_string());
        }
        Action::Compromise {
            member,
            scope,
            insider,
        } => {
            key_value(out, "action", &name("compromise"));
            key_value(out, "member", &member.to_string());
            let scope = SCOPES
                .iter()
                .find(|(_, s)| s == scope)
                .map_or("full", |(name, _)| name);
            key_value(out, "scope", &name(scope));
            if let Some(insider) = insider {
                key_value(out, "insider", &insider.to_string());
            }
        }
        Action::Attack {
            kind,
            by,
            target,
            options,
        } => write_attack(out, *kind, *by, *target, options),
    }
}

/// `[network]` and `[server]`.
fn write_network_and_server(out: &mut String, config: &crate::config::SimConfig) {
    let network = &config.network;
    out.push_str("\n[network]\n");
    key_value(
        out,
        "latency",
        &format!(
            "[{}, {}]",
            toml_duration(network.latency_min),
            toml_duration(network.latency_max)
        ),
    );
    key_value(out, "drop", &format_probability(network.drop_ppm));
    key_value(out, "duplicate", &format_probability(network.duplicate_ppm));
    key_value(out, "reorder", if network.reorder { "true" } else { "false" });

    out.push_str("\n[server]\n");
    let behaviour = BEHAVIOURS
        .iter()
        .find(|(_, behaviour)| *behaviour == config.server)
        .map_or("honest", |(name, _)| name);
    key_value(out, "behaviour", &toml_string(behaviour));
    if config.tampering.ppm != 0 {
        key_value(out, "tamper", &format_probability(config.tampering.ppm));
    }
    if !config.tampering.families.is_empty() {
        let families: Vec<String> = config
            .tampering
            .families
            .iter()
            .map(|f| toml_string(f.name()))
            .collect();
        key_value(out, "mutations", &format!("[{}]", families.join(", ")));
    }
}

/// An `attack` event's keys.
fn write_attack(out: &mut String, kind: AttackKind, by: Attacker, target: usize, options: &AttackOptions) {
    let name = |name: &str| toml_string(name);
    key_value(out, "action", &name("attack"));
    let kind_name = ATTACK_KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("forge", |(name, _)| name);
    key_value(out, "kind", &name(kind_name));
    match by {
        Attacker::Server => key_value(out, "by", &name("server")),
        Attacker::Member(member) => key_value(out, "by", &member.to_string()),
    }
    // `target` is optional only for `add-member`, where it defaults to 0.
    if kind != AttackKind::AddMember || target != 0 {
        key_value(out, "target", &target.to_string());
    }
    write_attack_options(out, options);
}

/// The options an attack was given, each only if it is not the default.
fn write_attack_options(out: &mut String, options: &AttackOptions) {
    let name = |name: &str| toml_string(name);
    if let Some(mutation) = options.mutation {
        key_value(out, "mutation", &name(&mutation.name()));
    }
    if let Some(mutation) = options.distribution_mutation {
        key_value(out, "mutation", &name(&mutation.name()));
    }
    if let Some(to) = options.to {
        key_value(out, "to", &to.to_string());
    }
    if options.genuine != GenuineCopy::default() {
        key_value(out, "genuine", &name(options.genuine.name()));
    }
    if let Some(ahead) = options.ahead {
        key_value(out, "ahead", &ahead.to_string());
    }
    if let Some(repeat) = options.repeat {
        key_value(out, "repeat", &repeat.to_string());
    }
}

/// `key = value` on a line of its own.
fn key_value(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    out.push_str(value);
    out.push('\n');
}

/// A list of invariant names: on one line if short, else one name per line.
fn write_names(out: &mut String, key: &str, names: &[Invariant]) {
    let quoted: Vec<String> = names.iter().map(|name| toml_string(name.name())).collect();
    let one_line = format!("[{}]", quoted.join(", "));
    if key.len() + 3 + one_line.len() <= ARRAY_LINE_CHARS_MAX {
        key_value(out, key, &one_line);
    } else {
        let lines: String = quoted.iter().map(|name| format!("    {name},\n")).collect();
        key_value(out, key, &format!("[\n{lines}]"));
    }
}

/// A TOML string holding exactly `text`, escaped by the `toml` crate.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A duration as a TOML string, e.g. `"90s"`.
fn toml_duration(us: Micros) -> String {
    toml_string(&format_duration(us))
}

/// The exact decimal of `ppm` parts per million (`0.0`, `0.01`, `0.000123`, `1.0`);
/// [`to_ppm`](super::parse::to_ppm) reads it back to the same value. Above one million (which behaves like one
/// million) it writes `1.0`.
fn format_probability(ppm: u32) -> String {
    let ppm = ppm.min(PPM);
    let (whole, fraction) = (ppm / PPM, ppm % PPM);
    if fraction == 0 {
        return format!("{whole}.0");
    }
    let digits = format!("{fraction:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use proptest::prelude::*;
    use senderkeys::SuiteId;

    use super::*;
    use crate::config::{CompromiseScope, SimConfig};
    use crate::ground_truth::PLAINTEXT_HEADER_BYTES;
    use crate::limits::{DURATION_MAX, LATENCY_MAX, MESSAGES_PER_MEMBER_PER_HOUR_MAX, SEND_COUNT_MAX};
    use crate::network::NetworkConfig;
    use crate::scenario::parse::to_ppm;
    use crate::scenario::{Expectations, load, parse};

    /// The scenario issue's example, verbatim (comments included).
    const EXAMPLE: &str = include_str!("../../tests/data/issue-example.toml");

    /// `scenario` written and read back: equal, and writing it again gives the same text.
    #[track_caller]
    fn assert_round_trip(scenario: &Scenario) {
        let text = scenario.to_toml();
        let back = match parse("written.toml", &text) {
            Ok(back) => back,
            Err(e) => panic!("the written scenario does not parse: {e}\n---\n{text}"),
        };
        assert_eq!(&back, scenario, "\n---\n{text}");
        assert_eq!(back.to_toml(), text, "writing is canonical");
    }

    #[test]
    fn an_invariant_list_that_just_fits_stays_on_one_line_and_one_char_more_wraps() {
        let names = [Invariant::ALL[0], Invariant::ALL[1]];
        let quoted: Vec<String> = names.iter().map(|name| toml_string(name.name())).collect();
        let one_line = format!("[{}]", quoted.join(", "));
        // A key that makes `key = [...]` exactly `ARRAY_LINE_CHARS_MAX` characters long.
        let fits = "k".repeat(ARRAY_LINE_CHARS_MAX - " = ".len() - one_line.len());
        let mut out = String::new();
        write_names(&mut out, &fits, &names);
        assert_eq!(out, format!("{fits} = {one_line}\n"));
        assert_eq!(out.trim_end().chars().count(), ARRAY_LINE_CHARS_MAX);

        let longer = format!("{fits}k");
        let mut out = String::new();
        write_names(&mut out, &longer, &names);
        let lines: Vec<String> = quoted.iter().map(|name| format!("    {name},\n")).collect();
        assert_eq!(out, format!("{longer} = [\n{}]\n", lines.concat()));

        // With the keys the writer uses, no line of any list of invariants is longer than the maximum.
        for subset in 1u32..(1 << Invariant::ALL.len()) {
            let names: Vec<Invariant> = (0..Invariant::ALL.len())
                .filter(|i| subset & (1 << i) != 0)
                .map(|i| Invariant::ALL[i])
                .collect();
            for key in ["hold", "violated"] {
                let mut out = String::new();
                write_names(&mut out, key, &names);
                assert!(
                    out.lines()
                        .all(|line| line.chars().count() <= ARRAY_LINE_CHARS_MAX),
                    "{out}"
                );
            }
        }
    }

    #[test]
    fn the_issue_example_round_trips_and_reads_like_a_hand_written_file() {
        let scenario = parse("example.toml", EXAMPLE).expect("the example parses");
        assert_round_trip(&scenario);
        let expected = r#"name = "accord: removal while messages are in flight"
description = "free text"
seed = 7
duration = "2h"
quiet = "10m"
implementation = "accord"
suite = "hardened"
policy = "on-removal+every-messages:100+every-time:1d"

[group]
members = 40

[workload]
messages_per_member_per_hour = 6
plaintext_bytes = 100

[network]
latency = ["20ms", "400ms"]
drop = 0.01
duplicate = 0.005
reorder = true

[server]
behaviour = "malicious"

[[event]]
at = "10m"
action = "join"
count = 3

[[event]]
at = "30m"
action = "remove"
member = 3

[[event]]
at = "45m"
action = "compromise"
member = 7
scope = "full"

[[event]]
at = "50m"
action = "offline"
member = 9
until = "70m"

[[event]]
at = "1h"
action = "attack"
kind = "replay"
by = "server"
target = 4

[expect]
hold = ["post-removal-secrecy", "authenticity"]
violated = ["server-blindness"]
"#;
        assert_eq!(scenario.to_toml(), expected);
    }

    #[test]
    fn every_scenario_file_in_the_repository_round_trips() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"));
        let Ok(entries) = std::fs::read_dir(dir) else {
            return; // no scenarios folder: nothing to check
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        for path in &paths {
            // A file another change is still writing may not parse yet; only what parses must round-trip.
            if let Ok(scenario) = load(path) {
                assert_round_trip(&scenario);
            }
        }
    }

    #[test]
    fn every_probability_is_written_exactly() {
        for ppm in 0..=PPM {
            let text = format_probability(ppm);
            let p: f64 = text.parse().expect("a decimal");
            assert_eq!(to_ppm(p), ppm, "{text}");
        }
        assert_eq!(format_probability(0), "0.0");
        assert_eq!(format_probability(10_000), "0.01");
        assert_eq!(format_probability(123), "0.000123");
        assert_eq!(format_probability(PPM), "1.0");
        assert_eq!(format_probability(PPM + 1), "1.0");
    }

    #[test]
    fn awkward_strings_and_unrepresentable_parts_are_written_sensibly() {
        let mut scenario = parse("t.toml", "name = \"t\"\n[group]\nmembers = 3\n").expect("valid");
        scenario.name = "quotes \" and \\ and '''\nand \"\"\" and \u{1} and ünïcode".to_owned();
        scenario.description = Some(String::new());
        scenario.implementation = ImplementationSpec::External("./adapter --flag 'x' \"y\"".to_owned());
        assert_round_trip(&scenario);

        // A contradicting suite (only an --impl override makes one): the file runs what the scenario runs.
        scenario.implementation = ImplementationSpec::Reference(SuiteId::Signal);
        scenario.suite = Some(SuiteId::Hardened);
        let back = parse("t.toml", &scenario.to_toml()).expect("parses");
        assert_eq!(
            back.implementation,
            ImplementationSpec::Reference(SuiteId::Signal)
        );
        assert_eq!(back.suite, None);

        // Events out of time order are written in the order they run.
        scenario.suite = None;
        scenario.config.actions = vec![
            ScheduledAction {
                at: 20 * 60_000_000,
                action: Action::Rotate { member: 1 },
            },
            ScheduledAction {
                at: 10 * 60_000_000,
                action: Action::Join { count: 2 },
            },
        ];
        let back = parse("t.toml", &scenario.to_toml()).expect("parses");
        assert_eq!(back.config.actions.first().map(|a| a.at), Some(10 * 60_000_000));
    }

    // ---- property: generated scenarios round-trip exactly ----

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            rng_seed: proptest::test_runner::RngSeed::Fixed(11),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Text a name or description may hold: anything, quotes, backslashes, newlines and controls included.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,30}",
            "\\PC{0,20}",
            "[\\x00-\\x7f]{0,20}",
            Just("\"\"\"'''\\\n\r\t".to_owned()),
        ]
    }

    fn suite() -> impl Strategy<Value = SuiteId> {
        proptest::sample::select(SuiteId::ALL.to_vec())
    }

    /// An implementation and a `suite` the parser can produce together.
    fn implementation() -> impl Strategy<Value = (ImplementationSpec, Option<SuiteId>)> {
        prop_oneof![
            (suite(), any::<bool>())
                .prop_map(|(suite, named)| (ImplementationSpec::Reference(suite), named.then_some(suite))),
            (
                proptest::sample::select(vec![
                    ImplementationSpec::Accord,
                    ImplementationSpec::Chatalot,
                    ImplementationSpec::P2p
                ]),
                proptest::option::of(suite())
            ),
            ("[ -~]{0,20}x", proptest::option::of(suite()))
                .prop_map(|(command, suite)| (ImplementationSpec::External(command), suite)),
        ]
    }

    fn duration(max: Micros) -> impl Strategy<Value = Micros> {
        prop_oneof![
            (
                1..=1_000u64,
                proptest::sample::select(vec![1, 1_000, 1_000_000, 60_000_000, crate::time::HOUR_US])
            )
                .prop_map(move |(n, unit)| (n * unit).min(max)),
            1..=max,
        ]
    }

    fn policy() -> impl Strategy<Value = Policy> {
        let membership = prop_oneof![Just((false, false)), Just((true, false)), Just((true, true))];
        (
            membership,
            proptest::option::of(prop_oneof![1..=1_000u64, 1..=u64::MAX]),
            proptest::option::of(duration(u64::MAX)),
        )
            .prop_map(|((on_removal, on_join), every_messages, every_time)| Policy {
                on_removal,
                on_join,
                every_messages,
                every_time,
            })
    }

    fn expectations() -> impl Strategy<Value = Expectations> {
        prop_oneof![
            Just(Expectations::default()),
            (
                Just(Invariant::ALL.to_vec()).prop_shuffle(),
                proptest::collection::vec(0..3u8, Invariant::ALL.len())
            )
                .prop_map(|(names, lists)| {
                    let mut expect = Expectations {
                        explicit: true,
                        ..Expectations::default()
                    };
                    for (name, list) in names.into_iter().zip(lists) {
                        match list {
                            0 => expect.hold.push(name),
                            1 => expect.violated.push(name),
                            _ => {}
                        }
                    }
                    expect
                }),
        ]
    }

    /// One event's raw draw: (time as a fraction of the duration in ppm, action kind, three numbers, a flag).
    type RawEvent = (u32, u8, u64, u64, u64, bool);

    fn raw_events() -> impl Strategy<Value = Vec<RawEvent>> {
        proptest::collection::vec(
            (
                0..PPM,
                0..10u8,
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<bool>(),
            ),
            0..24,
        )
    }

    /// Turns raw draws into events of every kind whose member numbers exist at their time.
    /// A generated attack event among `exists` members.
    fn generated_attack(exists: usize, a: u64, b: u64, c: u64, flag: bool) -> Action {
        let pick = |n: u64| usize::try_from(n % exists as u64).unwrap_or(0);
        let (_, kind) = ATTACK_KINDS[usize::try_from(c % 11).unwrap_or(0)];
        let by = match kind {
            AttackKind::AddMember | AttackKind::TamperInFlight => Attacker::Server,
            AttackKind::ForwardFakeKey => Attacker::Member(pick(b)),
            _ if flag => Attacker::Server,
            _ => Attacker::Member(pick(b)),
        };
        let target = pick(a);
        let options = drawn_options(kind, by, usize::try_from(c).unwrap_or(0), pick(b));
        Action::Attack {
            kind,
            by,
            target,
            options,
        }
    }

    /// Options for a generated attack, from one number (`to` is the member `to` names).
    fn drawn_options(kind: AttackKind, by: Attacker, c: usize, to: usize) -> AttackOptions {
        let mut options = AttackOptions::default();
        match kind {
            AttackKind::Tamper | AttackKind::TamperInFlight => {
                let catalogue = crate::mutations::Mutation::catalogue();
                options.mutation = Some(catalogue[c % catalogue.len()]);
                if kind == AttackKind::TamperInFlight {
                    options.genuine = GenuineCopy::ALL[c % 3];
                    options.to = c.is_multiple_of(2).then_some(to);
                }
            }
            AttackKind::BadDistribution => {
                let catalogue = crate::mutations::DistributionMutation::catalogue();
                options.distribution_mutation = Some(catalogue[c % catalogue.len()]);
            }
            AttackKind::Forge if by == Attacker::Server => {
                options.ahead = Some(u32::try_from(c).unwrap_or(1).max(1));
                options.repeat = Some(u32::try_from(c % 7).unwrap_or(0) + 1);
            }
            _ => {}
        }
        options
    }

    fn events(initial: usize, duration: Micros, raw: Vec<RawEvent>) -> Vec<ScheduledAction> {
        let mut timed: Vec<(Micros, u8, u64, u64, u64, bool)> = raw
            .into_iter()
            .map(|(fraction, kind, a, b, c, flag)| {
                let at = u64::try_from(u128::from(duration) * u128::from(fraction) / u128::from(PPM))
                    .unwrap_or(0)
                    .min(duration - 1);
                (at, kind, a, b, c, flag)
            })
            .collect();
        timed.sort_by_key(|event| event.0);
        let mut exists = initial;
        let mut actions = Vec::new();
        for (at, kind, a, b, c, flag) in timed {
            let pick = |n: u64| usize::try_from(n % exists as u64).unwrap_or(0);
            let until = at + 1 + b % (DURATION_MAX - at);
            let action = match kind {
                0 => {
                    let count = 1 + usize::try_from(a % 3).unwrap_or(0);
                    exists += count;
                    Action::Join { count }
                }
                1 => Action::Leave { member: pick(a) },
                2 => Action::Remove { member: pick(a) },
                3 => Action::Offline {
                    member: pick(a),
                    until,
                },
                4 => Action::Online { member: pick(a) },
                5 => {
                    let mut members: Vec<usize> = (0..=c % 4).map(|i| pick(a.wrapping_add(i * 7))).collect();
                    let mut seen = BTreeSet::new();
                    members.retain(|m| seen.insert(*m));
                    Action::Partition { members, until }
                }
                6 => Action::Send {
                    member: pick(a),
                    count: 1 + usize::try_from(b % SEND_COUNT_MAX as u64).unwrap_or(0),
                },
                7 => Action::Rotate { member: pick(a) },
                8 => {
                    let member = pick(a);
                    let scope = if flag {
                        CompromiseScope::SigningKey
                    } else {
                        CompromiseScope::Full
                    };
                    let insider = (scope == CompromiseScope::SigningKey && exists > 1 && c % 2 == 0)
                        .then(|| (member + 1 + pick(b) % (exists - 1)) % exists);
                    Action::Compromise {
                        member,
                        scope,
                        insider,
                    }
                }
                _ => {
                    let action = generated_attack(exists, a, b, c, flag);
                    if matches!(
                        action,
                        Action::Attack {
                            kind: AttackKind::AddMember,
                            ..
                        }
                    ) {
                        exists += 1;
                    }
                    action
                }
            };
            actions.push(ScheduledAction { at, action });
        }
        actions
    }

    prop_compose! {
        fn scenario()(
            name in text(),
            description in proptest::option::of(text()),
            (implementation, suite) in implementation(),
            seed in any::<u64>(),
            members in prop_oneof![1..=12usize, 1..=500usize],
            duration in duration(DURATION_MAX),
            quiet in prop_oneof![Just(0), duration(DURATION_MAX)],
            rate in 0..=MESSAGES_PER_MEMBER_PER_HOUR_MAX,
            plaintext_bytes in PLAINTEXT_HEADER_BYTES..=senderkeys::consts::PLAINTEXT_BYTES_MAX,
            latency in (0..=LATENCY_MAX, 0..=LATENCY_MAX),
            drop_ppm in prop_oneof![Just(0), Just(PPM), 0..=PPM],
            duplicate_ppm in 0..=PPM,
            reorder in any::<bool>(),
            policy in policy(),
            server in proptest::sample::select(BEHAVIOURS.map(|(_, b)| b).to_vec()),
            raw in raw_events(),
            expect in expectations(),
            start_iteration in prop_oneof![Just(0), any::<u32>()],
            tamper_ppm in 1..=PPM,
            families in proptest::sample::subsequence(crate::mutations::Family::ALL.to_vec(), 0..3),
        ) -> Scenario {
            let mut config = SimConfig::new(seed, members);
            config.duration = duration;
            config.quiet = quiet;
            config.messages_per_member_per_hour = rate;
            config.plaintext_bytes = plaintext_bytes;
            config.network = NetworkConfig {
                latency_min: latency.0.min(latency.1),
                latency_max: latency.0.max(latency.1),
                drop_ppm,
                duplicate_ppm,
                reorder,
            };
            config.policy = policy;
            config.server = server;
            config.start_iteration = start_iteration;
            if server == crate::config::ServerBehaviour::Malicious {
                config.tampering = crate::config::Tampering { ppm: tamper_ppm, families };
            }
            config.actions = crate::config::possible_only(members, server, events(members, duration, raw));
            Scenario {
                name: format!("{name}n"),
                description,
                implementation,
                suite,
                config,
                policy_source: PolicySource::File,
                expect,
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn generated_scenarios_round_trip_exactly(scenario in scenario()) {
            assert_round_trip(&scenario);
        }
    }
}

//! The limits of `sksim::limits` at their boundaries, where no test next to the enforcing code holds them: what
//! `sksim sweep` draws, the fuzz target's workload cap, and the adapter protocol's line length.

use std::io::Cursor;
use std::sync::OnceLock;

use senderkeys::SuiteId;
use sksim::config::Action;
use sksim::external::protocol::{Op, PROTOCOL_VERSION, Request, Response};
use sksim::external::serve::{ServeOptions, serve};
use sksim::fuzzing::{self, SIMULATION_HEADER_BYTES};
use sksim::limits::{
    CHURN_DISTRIBUTIONS_MAX, DELIVERIES_MAX, LINE_BYTES_MAX, MEMBERS_LARGE_MAX, MEMBERS_TYPICAL_MAX,
    RATE_MAX, SIMULATION_DELIVERIES_MAX,
};
use sksim::scenario::{ImplementationSpec, Scenario};
use sksim::sweep::{DEFAULT_BUDGET_US, draw};
use sksim::time::HOUR_US;

/// Seeds the draw tests look at.
const SEEDS: u64 = 2_000;

/// The scenarios seeds `0..SEEDS` draw with the default budget, drawn once for every test.
fn drawn() -> &'static [Scenario] {
    static DRAWN: OnceLock<Vec<Scenario>> = OnceLock::new();
    DRAWN.get_or_init(|| {
        (0..SEEDS)
            .map(|seed| {
                draw(
                    seed,
                    &ImplementationSpec::Reference(SuiteId::Hardened),
                    DEFAULT_BUDGET_US,
                )
            })
            .collect()
    })
}

fn members(scenario: &Scenario) -> u64 {
    u64::try_from(scenario.config.members).expect("fits")
}

/// Expected deliveries (messages × receivers) of `rate` messages per member per hour among `members` for
/// `duration`, as the caps count them.
fn deliveries(rate: u64, members: u64, duration: u64) -> u128 {
    u128::from(rate) * u128::from(members) * u128::from(members.saturating_sub(1)) * u128::from(duration)
        / u128::from(HOUR_US)
}

// ---- `sksim sweep`: the draw ----

#[test]
fn drawn_groups_stay_within_the_typical_and_the_large_maximum_and_reach_both() {
    let sizes: Vec<u64> = drawn().iter().map(members).collect();
    assert!(
        sizes.iter().all(|m| (2..=MEMBERS_LARGE_MAX).contains(m)),
        "{:?}",
        sizes
            .iter()
            .filter(|m| !(2..=MEMBERS_LARGE_MAX).contains(*m))
            .collect::<Vec<_>>()
    );
    assert!(
        sizes.contains(&MEMBERS_TYPICAL_MAX),
        "no seed draws {MEMBERS_TYPICAL_MAX} members"
    );
    // The largest group is one value of 136 in one seed of 16: look further than the 2,000 seeds for it.
    assert!(
        (0..10 * SEEDS).any(|seed| {
            let scenario = draw(
                seed,
                &ImplementationSpec::Reference(SuiteId::Hardened),
                DEFAULT_BUDGET_US,
            );
            members(&scenario) == MEMBERS_LARGE_MAX
        }),
        "no seed draws {MEMBERS_LARGE_MAX} members"
    );
    // Only the one seed in 16 that draws a large group goes above the typical maximum (expected: 125 of 2,000).
    let large = sizes.iter().filter(|&&m| m > MEMBERS_TYPICAL_MAX).count();
    assert!(
        (70..=190).contains(&large),
        "{large} of {SEEDS} seeds draw more than {MEMBERS_TYPICAL_MAX}"
    );
}

#[test]
fn drawn_rates_stay_within_the_maximum_and_reach_it() {
    let rates: Vec<u64> = drawn()
        .iter()
        .map(|s| u64::from(s.config.messages_per_member_per_hour))
        .collect();
    assert!(rates.iter().all(|&r| r <= RATE_MAX), "{:?}", rates.iter().max());
    assert!(
        rates.contains(&RATE_MAX),
        "no seed draws {RATE_MAX}; largest {:?}",
        rates.iter().max()
    );
}

#[test]
fn drawn_workloads_stay_within_the_deliveries_cap_and_some_are_lowered_to_it() {
    let mut at_cap = 0;
    for (seed, scenario) in drawn().iter().enumerate() {
        let config = &scenario.config;
        let rate = u64::from(config.messages_per_member_per_hour);
        let expected = deliveries(rate, members(scenario), config.duration);
        if expected > u128::from(DELIVERIES_MAX) {
            // Only the floor of one message per member per hour may exceed it.
            assert_eq!(rate, 1, "seed {seed}: {expected} deliveries");
            continue;
        }
        // Lowered to the cap: the largest rate that fits, one more would not.
        if rate < RATE_MAX
            && deliveries(rate + 1, members(scenario), config.duration) > u128::from(DELIVERIES_MAX)
        {
            at_cap += 1;
        }
    }
    assert!(
        at_cap >= 20,
        "only {at_cap} seeds have their rate lowered to the cap"
    );
}

#[test]
fn drawn_churn_stays_within_the_distribution_cap_and_reaches_it() {
    let mut joins_at_cap = 0;
    let mut departures_at_cap = 0;
    for (seed, scenario) in drawn().iter().enumerate() {
        let m = members(scenario);
        let cap = (CHURN_DISTRIBUTIONS_MAX / (m * m)).max(1);
        let count = |pick: fn(&Action) -> bool| -> u64 {
            let n = scenario.config.actions.iter().filter(|a| pick(&a.action)).count();
            u64::try_from(n).expect("fits")
        };
        let joins = count(|a| matches!(a, Action::Join { .. }));
        let departures = count(|a| matches!(a, Action::Leave { .. } | Action::Remove { .. }));
        assert!(
            joins <= cap,
            "seed {seed}: {joins} join events among {m} members, cap {cap}"
        );
        assert!(
            departures <= cap,
            "seed {seed}: {departures} departures among {m} members, cap {cap}"
        );
        // At the cap where it binds (the draw's own bound is 4 events of a kind).
        if cap < 4 && joins == cap {
            joins_at_cap += 1;
        }
        if cap < 4 && departures == cap {
            departures_at_cap += 1;
        }
    }
    assert!(joins_at_cap > 0, "no seed's joins reach the churn cap");
    assert!(departures_at_cap > 0, "no seed's departures reach the churn cap");
}

// ---- The whole-simulation fuzz target ----

/// The header choosing `members` initial members (2 to 6), active phase `phase` and rate `rate` (table indices,
/// as the module documentation of `sksim::fuzzing` lists them), and no event.
fn header(members: u8, phase: u8, rate: u8) -> Vec<u8> {
    let mut data = vec![0u8; SIMULATION_HEADER_BYTES];
    data[5] = members - 2;
    data[6] = phase;
    data[7] = rate;
    data
}

#[test]
fn a_fuzz_workload_at_the_deliveries_cap_is_kept_and_one_past_it_lowered() {
    // Byte 6: 4m is index 7, 2m index 4; byte 7: 60 is index 4, 90 index 7, 120 index 5.
    const FOUR_MINUTES: u8 = 7;
    const TWO_MINUTES: u8 = 4;
    const RATE_60: u8 = 4;
    const RATE_90: u8 = 7;
    const RATE_120: u8 = 5;
    let rate_of = |data: Vec<u8>| {
        let scenario = fuzzing::decode_simulation(&data);
        let c = &scenario.config;
        assert!(c.actions.is_empty());
        (
            u64::from(c.messages_per_member_per_hour),
            deliveries(
                u64::from(c.messages_per_member_per_hour),
                members(&scenario),
                c.duration,
            ),
        )
    };
    let cap = u128::from(SIMULATION_DELIVERIES_MAX);
    // 60 messages per member per hour among 6 for 4 minutes: 60 × 30 / 15 deliveries, exactly the cap.
    assert_eq!(deliveries(60, 6, 4 * 60_000_000), cap);
    assert_eq!(rate_of(header(6, FOUR_MINUTES, RATE_60)), (60, cap));
    assert_eq!(rate_of(header(6, TWO_MINUTES, RATE_120)), (120, cap));
    // Past it: 90 (and 120) would make 180 (240) deliveries; lowered to the largest rate that fits, 60.
    assert_eq!(rate_of(header(6, FOUR_MINUTES, RATE_90)), (60, cap));
    assert_eq!(rate_of(header(6, FOUR_MINUTES, RATE_120)), (60, cap));
    // One member fewer: 120 × 20 × 4 / 60 = 160 deliveries, lowered to 90 (90 × 20 / 15 = 120).
    assert_eq!(rate_of(header(5, FOUR_MINUTES, RATE_120)), (90, cap));
}

// ---- The adapter protocol ----

/// `serve`'s answers to a `hello` padded (with trailing spaces) to `bytes` bytes, newline included, then a plain
/// `hello`.
fn answers_after_a_line_of(bytes: usize) -> Vec<Response> {
    let hello = |id| {
        serde_json::to_string(&Request {
            id,
            op: Op::Hello {
                protocol: PROTOCOL_VERSION,
            },
        })
        .expect("serializes")
    };
    let mut input = hello(1);
    input.push_str(&" ".repeat(bytes - input.len() - 1));
    input.push('\n');
    assert_eq!(input.len(), bytes);
    input.push_str(&hello(2));
    input.push('\n');
    let factory = ImplementationSpec::Reference(SuiteId::Hardened)
        .factory()
        .expect("the reference");
    let mut output = Vec::new();
    serve(
        factory.as_ref(),
        Cursor::new(input.into_bytes()),
        &mut output,
        &ServeOptions::default(),
    )
    .expect("writes to memory");
    String::from_utf8(output)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a response"))
        .collect()
}

#[test]
fn the_adapter_serves_a_line_of_the_maximum_length_and_stops_at_a_longer_one() {
    let at = answers_after_a_line_of(LINE_BYTES_MAX);
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(at.iter().all(|r| r.ok.is_some() && r.error.is_none()), "{at:?}");
    assert_eq!((at[0].id, at[1].id), (1, 2));

    let past = answers_after_a_line_of(LINE_BYTES_MAX + 1);
    assert_eq!(past.len(), 1, "nothing is read after a line too long: {past:?}");
    assert!(past[0].ok.is_none() && past[0].error.is_some(), "{past:?}");
}

/// A scenario with one forge event of the given attacker and options (a malicious server, four members).
fn forge(by: &str, target: u32, ahead: u64, repeat: u64) -> Result<Scenario, sksim::scenario::ScenarioError> {
    let text = format!(
        "name = \"forge\"\nduration = \"10m\"\n[group]\nmembers = 4\n[server]\nbehaviour = \"malicious\"\n\
         [[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"forge\"\nby = {by}\ntarget = {target}\n\
         ahead = {ahead}\nrepeat = {repeat}\n"
    );
    sksim::scenario::parse("forge.toml", &text)
}

#[test]
fn a_forge_repeats_up_to_its_maximum_and_no_more() {
    use sksim::limits::FORGE_REPEAT_MAX;
    let max = u64::from(FORGE_REPEAT_MAX);
    assert!(forge("\"server\"", 1, 1, max).is_ok());
    let past = forge("\"server\"", 1, 1, max + 1).expect_err("past the maximum");
    assert!(past.to_string().contains("repeat"), "{past}");
}

#[test]
fn an_insiders_forgeries_reach_up_to_their_maximum_and_no_further() {
    use sksim::limits::KEYED_FORGERY_REACH_MAX;
    let reach = u64::from(KEYED_FORGERY_REACH_MAX);
    assert!(forge("1", 1, reach / 4, 4).is_ok());
    let past = forge("1", 1, reach / 4 + 1, 4).expect_err("past the reach");
    assert!(past.to_string().contains("KEYED_FORGERY_REACH_MAX"), "{past}");
    // The server's forgeries without keys are not written along a chain: no reach limit.
    assert!(forge("\"server\"", 1, reach, 4).is_ok());
}

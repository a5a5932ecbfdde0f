//! The draw: the random scenario a seed runs (see the module documentation of [`crate::sweep`]).

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use super::{expect_nothing_yet, reproduction};
use crate::attacks::AttackKind;
use crate::config::{
    Action, AttackOptions, Attacker, CompromiseScope, GenuineCopy, ScheduledAction, ServerBehaviour,
    SimConfig,
};
use crate::limits::{
    CHURN_DISTRIBUTIONS_MAX, DELIVERIES_MAX, DURATION_MAX, KEYED_FORGERY_REACH_MAX, MEMBERS_LARGE_MAX,
    MEMBERS_TYPICAL_MAX, RATE_MAX,
};
use crate::mutations::{DistributionMutation, Family, Mutation};
use crate::network::NetworkConfig;
use crate::policy::Policy;
use crate::scenario::{Expectations, ImplementationSpec, Scenario};
use crate::time::{HOUR_US, Micros, format_duration};

/// The attack kinds, in the order [`draw`] picks from.
const ATTACK_KINDS: [AttackKind; AttackKind::ALL.len()] = AttackKind::ALL;

/// A seeded source of draws, integer arithmetic only (the same on every machine).
struct Dice(ChaCha20Rng);

impl Dice {
    fn new(seed: u64) -> Self {
        Dice(crate::rng::stream(seed, crate::rng::Stream::SweepDraw))
    }

    /// True with probability 1/`n`.
    fn one_in(&mut self, n: u32) -> bool {
        self.0.random_ratio(1, n)
    }

    fn coin(&mut self) -> bool {
        self.one_in(2)
    }

    /// Uniform in `lo..=hi` (`lo` if `hi < lo`).
    fn uniform(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.0.random_range(lo..=hi)
        }
    }

    /// Log-uniform-ish in `lo..=hi`: a power of two uniformly, then uniform within it (`lo` at least 1).
    fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let lo = lo.max(1);
        if hi <= lo {
            return lo;
        }
        let bits = self.uniform(u64::from(lo.ilog2()), u64::from(hi.ilog2()));
        let power = 1u64 << bits;
        self.uniform(power.max(lo), power.saturating_mul(2).saturating_sub(1).min(hi))
    }

    /// One of `0..len` uniformly (`len` at least 1).
    fn index(&mut self, len: usize) -> usize {
        let last = u64::try_from(len.saturating_sub(1)).unwrap_or(u64::MAX);
        usize::try_from(self.uniform(0, last)).unwrap_or(0)
    }
}

/// Which features a seed turns on (swarm testing: each independently, before any parameter is drawn).
#[derive(Clone, Copy, Debug)]
struct Features {
    large_group: bool,
    full_budget: bool,
    scripted_only: bool,
    large_plaintexts: bool,
    custom_latency: bool,
    drops: bool,
    duplicates: bool,
    in_order: bool,
    server_reads: bool,
    on_removal: bool,
    on_join: bool,
    every_messages: bool,
    every_time: bool,
    joins: bool,
    departures: bool,
    offline: bool,
    partitions: bool,
    sends: bool,
    rotations: bool,
    compromises: bool,
    attacks: bool,
    tampering: bool,
    high_start: bool,
    jumps: bool,
}

impl Features {
    fn draw(dice: &mut Dice) -> Self {
        Features {
            large_group: dice.one_in(16),
            full_budget: dice.coin(),
            scripted_only: dice.one_in(8),
            large_plaintexts: dice.one_in(4),
            custom_latency: dice.coin(),
            drops: dice.coin(),
            duplicates: dice.coin(),
            in_order: dice.one_in(4),
            server_reads: dice.coin(),
            on_removal: dice.coin(),
            on_join: dice.coin(),
            every_messages: dice.coin(),
            every_time: dice.coin(),
            joins: dice.coin(),
            departures: dice.coin(),
            offline: dice.coin(),
            partitions: dice.coin(),
            sends: dice.coin(),
            rotations: dice.coin(),
            compromises: dice.coin(),
            attacks: dice.coin(),
            tampering: dice.one_in(3),
            high_start: dice.one_in(8),
            jumps: dice.one_in(3),
        }
    }
}

/// An event before its member numbers are chosen (they depend on who exists at its time).
#[derive(Clone, Copy, Debug)]
enum Template {
    Join {
        count: usize,
    },
    Depart {
        remove: bool,
    },
    Offline {
        until: Micros,
    },
    /// Brings back the member of the `Offline` template at this index.
    Online {
        of: usize,
    },
    Partition {
        size: usize,
        until: Micros,
    },
    Send {
        count: usize,
    },
    Rotate,
    Compromise {
        scope: CompromiseScope,
        insider: bool,
    },
    Attack {
        kind: AttackKind,
        by_server: bool,
        options: AttackOptions,
    },
}

/// One attack, drawn: its kind, whether the server runs it, and its options.
fn attack_template(dice: &mut Dice) -> Template {
    let kind = ATTACK_KINDS[dice.index(ATTACK_KINDS.len())];
    let by_server = match kind {
        AttackKind::AddMember | AttackKind::TamperInFlight => true,
        AttackKind::ForwardFakeKey => false,
        _ => dice.coin(),
    };
    let options = draw_attack_options(dice, kind, by_server);
    Template::Attack {
        kind,
        by_server,
        options,
    }
}

/// The drawn attacks (feature `attacks`) and an insider's jumps (feature `jumps`), each at a time `at` draws.
fn attack_templates(
    dice: &mut Dice,
    f: &Features,
    at: &dyn Fn(&mut Dice) -> Micros,
    templates: &mut Vec<(Micros, Template)>,
) {
    if f.attacks {
        for _ in 0..dice.uniform(1, 6) {
            let attack = attack_template(dice);
            templates.push((at(dice), attack));
        }
    }
    if f.jumps {
        for _ in 0..dice.uniform(1, 3) {
            let attack = jump_template(dice);
            templates.push((at(dice), attack));
        }
    }
}

/// An insider's forgeries at a distance (swarm feature `jumps`): at the window's edges, repeated so that jumps each
/// inside the skipped-key window add up past its bound; half of them along its own chain.
fn jump_template(dice: &mut Dice) -> Template {
    let ahead = DRAWN_AHEAD[dice.index(DRAWN_AHEAD.len() - 1)];
    let repeat = u32::try_from(dice.log_uniform(1, 64)).unwrap_or(1);
    let options = AttackOptions {
        ahead: Some(ahead),
        repeat: Some(repeat.min(KEYED_FORGERY_REACH_MAX / ahead).max(1)),
        ..AttackOptions::default()
    };
    Template::Attack {
        kind: AttackKind::Forge,
        by_server: false,
        options,
    }
}

/// The malicious server's tampering in flight and a high starting iteration, when the seed turns them on.
fn draw_tampering_and_start(dice: &mut Dice, f: &Features, config: &mut SimConfig) {
    if f.tampering {
        config.server = ServerBehaviour::Malicious;
        config.tampering.ppm = DRAWN_TAMPER_PPM[dice.index(DRAWN_TAMPER_PPM.len())];
        if dice.coin() {
            config.tampering.families = vec![Family::ALL[dice.index(Family::ALL.len())]];
        }
    }
    if f.high_start {
        config.start_iteration = u32::MAX - u32::try_from(dice.uniform(0, DRAWN_HIGH_START_MAX)).unwrap_or(0);
    }
}

/// A drawn attack's event, its attacker and target picked among the members `present` (an `add-member` adds one).
fn attack_action(
    dice: &mut Dice,
    present: &mut Vec<bool>,
    kind: AttackKind,
    by_server: bool,
    options: AttackOptions,
) -> Option<Action> {
    if kind == AttackKind::AddMember {
        present.push(true);
        return Some(Action::Attack {
            kind,
            by: Attacker::Server,
            target: 0,
            options: AttackOptions::default(),
        });
    }
    if by_server {
        return pick(dice, present, None).map(|target| Action::Attack {
            kind,
            by: Attacker::Server,
            target,
            options,
        });
    }
    // An insider's bad distribution is its own key; the target lends its key id. An insider forging at a distance
    // forges as itself half the time: it jumps its own chain.
    let insider = pick(dice, present, None)?;
    if kind == AttackKind::Forge && options.ahead.is_some() && dice.coin() {
        return Some(Action::Attack {
            kind,
            by: Attacker::Member(insider),
            target: insider,
            options,
        });
    }
    pick(dice, present, Some(insider)).map(|target| Action::Attack {
        kind,
        by: Attacker::Member(insider),
        target,
        options,
    })
}

/// Distances the server's drawn forgeries claim: the next iteration, inside the skipped-key window, at the edges
/// of the cache and jump bounds, past them, and at the signed 32-bit edge.
const DRAWN_AHEAD: [u32; 10] = [1, 2, 1_500, 1_999, 2_000, 2_001, 24_999, 25_000, 25_001, 1 << 31];

/// Tampering rates of a drawn malicious server, in parts per million.
const DRAWN_TAMPER_PPM: [u32; 3] = [5_000, 20_000, 100_000];

/// How far below 2^32 a drawn high starting iteration is, at most.
const DRAWN_HIGH_START_MAX: u64 = 40;

/// An attack's options, drawn (swarm testing again: each is drawn only for the attacks that take it).
fn draw_attack_options(dice: &mut Dice, kind: AttackKind, by_server: bool) -> AttackOptions {
    let mut options = AttackOptions::default();
    match kind {
        AttackKind::Tamper if dice.coin() => {
            let catalogue = Mutation::catalogue();
            options.mutation = Some(catalogue[dice.index(catalogue.len())]);
        }
        AttackKind::TamperInFlight => {
            if dice.one_in(3) {
                let catalogue = Mutation::catalogue();
                options.mutation = Some(catalogue[dice.index(catalogue.len())]);
            }
            options.genuine = GenuineCopy::ALL[dice.index(GenuineCopy::ALL.len())];
        }
        AttackKind::BadDistribution if dice.coin() => {
            let catalogue = DistributionMutation::catalogue();
            options.distribution_mutation = Some(catalogue[dice.index(catalogue.len())]);
        }
        AttackKind::Forge if dice.coin() => {
            // An insider's forgeries are written along the chain: its reach is bounded, and 2^31 is the server's.
            let choices = if by_server {
                DRAWN_AHEAD.len()
            } else {
                DRAWN_AHEAD.len() - 1
            };
            let ahead = DRAWN_AHEAD[dice.index(choices)];
            let repeat = u32::try_from(dice.log_uniform(1, 64)).unwrap_or(1);
            let reach_max = if by_server {
                u32::MAX
            } else {
                KEYED_FORGERY_REACH_MAX
            };
            options.ahead = Some(ahead);
            options.repeat = Some(repeat.min(reach_max / ahead).max(1));
        }
        _ => {}
    }
    options
}

/// The scenario `seed` draws for `implementation` with active phases of at most `budget_us` (clamped to 1 µs to
/// [`DURATION_MAX`]). Its `[expect]` is explicit: nothing must be violated, and every invariant that
/// [`allowed`](super::allowed) does not allow and that can apply must hold. See the documentation of
/// [`crate::sweep`].
pub fn draw(seed: u64, implementation: &ImplementationSpec, budget_us: Micros) -> Scenario {
    let budget = budget_us.clamp(1, DURATION_MAX);
    let mut dice = Dice::new(seed);
    let f = Features::draw(&mut dice);

    let members = if f.large_group {
        dice.uniform(MEMBERS_TYPICAL_MAX + 1, MEMBERS_LARGE_MAX)
    } else {
        dice.log_uniform(2, MEMBERS_TYPICAL_MAX)
    };
    let unit = time_unit(budget);
    let duration = if f.full_budget {
        budget
    } else {
        let drawn = dice.uniform((budget / 8).max(1), budget);
        match drawn - drawn % unit {
            0 => budget,
            rounded => rounded,
        }
    };
    let unit = time_unit(duration);

    let mut config = SimConfig::new(seed, usize::try_from(members).unwrap_or(2));
    config.duration = duration;
    let rate = if f.scripted_only {
        0
    } else {
        dice.log_uniform(1, RATE_MAX)
    };
    config.messages_per_member_per_hour =
        u32::try_from(capped_rate(rate, members, duration, DELIVERIES_MAX)).unwrap_or(1);
    if f.large_plaintexts {
        config.plaintext_bytes = usize::try_from(dice.log_uniform(12, 4_096)).unwrap_or(100);
    }
    config.network = draw_network(&mut dice, &f);
    if f.server_reads {
        config.server = if dice.coin() {
            ServerBehaviour::Curious
        } else {
            ServerBehaviour::Malicious
        };
    }
    config.policy = draw_policy(&mut dice, &f, duration, unit);

    let churn_events_max = (CHURN_DISTRIBUTIONS_MAX / (members * members)).max(1);
    let mut templates: Vec<(Micros, Template)> = Vec::new();
    let at = |dice: &mut Dice| dice.uniform(0, (duration - 1) / unit) * unit;
    let until = |dice: &mut Dice, at: Micros| {
        let span = dice.log_uniform(1, (duration / unit).max(1)) * unit;
        at.saturating_add(span).min(duration)
    };
    if f.joins {
        for _ in 0..dice.uniform(1, 4).min(churn_events_max) {
            let count = usize::try_from(dice.log_uniform(1, 4)).unwrap_or(1);
            templates.push((at(&mut dice), Template::Join { count }));
        }
    }
    if f.departures {
        for _ in 0..dice.uniform(1, 4).min(churn_events_max) {
            let remove = dice.coin();
            templates.push((at(&mut dice), Template::Depart { remove }));
        }
    }
    if f.offline {
        for _ in 0..dice.uniform(1, 4) {
            let start = at(&mut dice);
            let end = until(&mut dice, start);
            templates.push((start, Template::Offline { until: end }));
            // Sometimes the member comes back by itself before `until`.
            if dice.coin() && end - start > unit {
                let back = start + dice.uniform(1, (end - start - 1) / unit) * unit;
                let of = templates.len() - 1;
                templates.push((back, Template::Online { of }));
            }
        }
    }
    if f.partitions {
        for _ in 0..dice.uniform(1, 3) {
            let start = at(&mut dice);
            let size = usize::try_from(dice.log_uniform(1, 8)).unwrap_or(1);
            let end = until(&mut dice, start);
            templates.push((start, Template::Partition { size, until: end }));
        }
    }
    if f.sends {
        for _ in 0..dice.uniform(1, 6) {
            let count = usize::try_from(dice.log_uniform(1, 20)).unwrap_or(1);
            templates.push((at(&mut dice), Template::Send { count }));
        }
    }
    if f.rotations {
        for _ in 0..dice.uniform(1, 6) {
            templates.push((at(&mut dice), Template::Rotate));
        }
    }
    if f.compromises {
        for _ in 0..dice.uniform(1, 3) {
            let scope = if dice.coin() {
                CompromiseScope::Full
            } else {
                CompromiseScope::SigningKey
            };
            let insider = dice.coin();
            templates.push((at(&mut dice), Template::Compromise { scope, insider }));
        }
    }
    attack_templates(&mut dice, &f, &at, &mut templates);
    let actions = assign_members(&mut dice, config.members, &templates);
    // A server that attacks is malicious; what cannot happen where it was drawn (a member acting after it left,
    // `online` for a member who is not offline) is left out, as a scenario file could not say it.
    draw_tampering_and_start(&mut dice, &f, &mut config);
    if crate::config::server_attacks(&actions) {
        config.server = ServerBehaviour::Malicious;
    }
    config.actions = crate::config::possible_only(config.members, config.server, actions);

    let mut scenario = Scenario {
        name: format!("sweep seed {seed}"),
        description: Some(format!(
            "Drawn by `sksim sweep` from seed {seed}; reproduce with `{}`. A failure's [expect] holds what \
             applied and {implementation} may not violate in the run (sksim::sweep::allowed).",
            reproduction(seed, &implementation.to_string(), &format_duration(budget_us))
        )),
        implementation: implementation.clone(),
        suite: None,
        config,
        policy_source: crate::scenario::PolicySource::File,
        expect: Expectations::default(),
    };
    scenario.expect = expect_nothing_yet();
    scenario
}

/// The granularity of drawn times: whole minutes from 20 minutes on, whole seconds from a second on, else µs.
fn time_unit(duration: Micros) -> Micros {
    if duration >= HOUR_US / 3 {
        60_000_000
    } else if duration >= 1_000_000 {
        1_000_000
    } else {
        1
    }
}

/// `rate`, lowered so that the workload's expected deliveries stay within `deliveries_max` (the draw's is
/// [`DELIVERIES_MAX`]; at least 1 if it was).
pub(crate) fn capped_rate(rate: u64, members: u64, duration: Micros, deliveries_max: u64) -> u64 {
    let per_message = u128::from(members) * u128::from(members.saturating_sub(1));
    let deliveries = u128::from(rate) * per_message * u128::from(duration) / u128::from(HOUR_US);
    if deliveries <= u128::from(deliveries_max) {
        return rate;
    }
    let fitting =
        u128::from(deliveries_max) * u128::from(HOUR_US) / (per_message * u128::from(duration)).max(1);
    u64::try_from(fitting).unwrap_or(rate).clamp(1, rate)
}

fn draw_network(dice: &mut Dice, f: &Features) -> NetworkConfig {
    let mut network = NetworkConfig::default();
    if f.custom_latency {
        let min_ms = if dice.one_in(8) {
            0
        } else {
            dice.log_uniform(1, 200)
        };
        let max_ms = min_ms.max(dice.log_uniform(1, 5_000));
        network.latency_min = min_ms * 1_000;
        network.latency_max = max_ms * 1_000;
    }
    if f.drops {
        network.drop_ppm = u32::try_from(dice.log_uniform(100, 200_000)).unwrap_or(0);
    }
    if f.duplicates {
        network.duplicate_ppm = u32::try_from(dice.log_uniform(100, 100_000)).unwrap_or(0);
    }
    network.reorder = !f.in_order;
    network
}

fn draw_policy(dice: &mut Dice, f: &Features, duration: Micros, unit: Micros) -> Policy {
    Policy {
        on_removal: f.on_removal,
        on_join: f.on_removal && f.on_join,
        every_messages: f.every_messages.then(|| dice.log_uniform(1, 1_000)),
        every_time: f
            .every_time
            .then(|| dice.log_uniform(1, (duration / unit).max(1)) * unit),
    }
}

/// One member number that exists by now (`present.len()` numbers given out), other than `exclude`: one still in
/// the group seven times in eight, any number ever given out otherwise (the engine must ignore those).
fn pick(dice: &mut Dice, present: &[bool], exclude: Option<usize>) -> Option<usize> {
    let anyone = dice.one_in(8);
    let pool: Vec<usize> = (0..present.len())
        .filter(|&m| Some(m) != exclude && (anyone || present[m]))
        .collect();
    let pool = if pool.is_empty() {
        (0..present.len()).filter(|&m| Some(m) != exclude).collect()
    } else {
        pool
    };
    (!pool.is_empty()).then(|| pool[dice.index(pool.len())])
}

/// Member numbers for the templates, in time order: each names a member that exists by then (see [`pick`]).
fn assign_members(dice: &mut Dice, initial: usize, templates: &[(Micros, Template)]) -> Vec<ScheduledAction> {
    let mut order: Vec<usize> = (0..templates.len()).collect();
    order.sort_by_key(|&i| templates[i].0);
    let mut present = vec![true; initial];
    let mut assigned: Vec<Option<usize>> = vec![None; templates.len()];
    let mut actions = Vec::with_capacity(templates.len());
    for i in order {
        let (at, template) = templates[i];
        let action = match template {
            Template::Join { count } => {
                present.extend(std::iter::repeat_n(true, count));
                Some(Action::Join { count })
            }
            Template::Depart { remove } => {
                let current: Vec<usize> = (0..present.len()).filter(|&m| present[m]).collect();
                // Keep at least two members in the group.
                (current.len() > 2).then(|| {
                    let member = current[dice.index(current.len())];
                    present[member] = false;
                    if remove {
                        Action::Remove { member }
                    } else {
                        Action::Leave { member }
                    }
                })
            }
            Template::Offline { until } => pick(dice, &present, None).map(|member| {
                assigned[i] = Some(member);
                Action::Offline { member, until }
            }),
            Template::Online { of } => assigned[of].map(|member| Action::Online { member }),
            Template::Partition { size, until } => {
                let mut pool: Vec<usize> = (0..present.len()).filter(|&m| present[m]).collect();
                let mut members = Vec::new();
                while members.len() < size && !pool.is_empty() {
                    members.push(pool.swap_remove(dice.index(pool.len())));
                }
                (!members.is_empty()).then_some(Action::Partition { members, until })
            }
            Template::Send { count } => {
                pick(dice, &present, None).map(|member| Action::Send { member, count })
            }
            Template::Rotate => pick(dice, &present, None).map(|member| Action::Rotate { member }),
            Template::Compromise { scope, insider } => pick(dice, &present, None).map(|member| {
                let insider = if scope == CompromiseScope::SigningKey && insider {
                    pick(dice, &present, Some(member))
                } else {
                    None
                };
                Action::Compromise {
                    member,
                    scope,
                    insider,
                }
            }),
            Template::Attack {
                kind,
                by_server,
                options,
            } => attack_action(dice, &mut present, kind, by_server, options),
        };
        if let Some(action) = action {
            actions.push(ScheduledAction { at, action });
        }
    }
    actions
}

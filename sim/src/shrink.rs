//! `sksim shrink`: delta debugging of a failing scenario down to a minimal one that still violates the same
//! invariant.
//!
//! A candidate is *interesting* when its run (same seed) violates the invariant. Passes run in a fixed order
//! until none makes progress or the run budget ([`SHRINK_RUNS_MAX`]) is spent:
//! 1. events: ddmin — remove chunks of the scripted events, halves first, down to single events;
//! 2. events, one at a time: join and send counts down to 1;
//! 3. members: the initial members the events name renumbered to the lowest numbers, then fewer initial
//!    members (halving, then one less); events that name a member who no longer exists are dropped with it,
//!    and joiners' events follow their joiner to its new number;
//! 4. workload: fewer messages per member per hour (halving, then 0);
//! 5. faults: no drops, no duplicates, no reordering, fixed latency;
//! 6. time: a shorter active phase (halved with events after the end dropped, halved with every event time
//!    scaled, or cut by a quarter), then a shorter quiet phase — except when shrinking `delivery`, which the
//!    quiet phase exists to judge fairly;
//! 7. policy and server: each `+` component of the policy removed; the server made less capable.
//!
//! Every step is deterministic, so the same input shrinks to the same output. The result is an ordinary
//! scenario whose `[expect]` says the invariant is violated.

use crate::checkers::{FailureClass, INVARIANTS, Invariant, Verdict};
use crate::config::{Action, Attacker, ScheduledAction, ServerBehaviour};
use crate::limits::SHRINK_RUNS_MAX;
use crate::policy::Policy;
use crate::runner::{RunError, run_scenario};
use crate::scenario::{Expectations, Scenario};

/// The result of a shrink.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The smallest scenario found that still violates `invariant`.
    pub scenario: Scenario,
    /// The invariant it violates.
    pub invariant: Invariant,
    /// Runs made.
    pub runs: u64,
    /// Whether the run budget ran out before no pass made progress.
    pub budget_exhausted: bool,
}

struct Shrinker<'a> {
    invariant: Invariant,
    runs: u64,
    progress: &'a dyn Fn(&Scenario),
}

impl Shrinker<'_> {
    fn budget_left(&self) -> bool {
        self.runs < SHRINK_RUNS_MAX
    }

    /// Whether `candidate` still violates the invariant (an invalid candidate is not interesting).
    fn interesting(&mut self, candidate: &Scenario) -> Result<bool, RunError> {
        if !self.budget_left() {
            return Ok(false);
        }
        // A candidate whose script cannot happen (an `online` whose `offline` was removed, a server attack by a
        // server made less than malicious) is no scenario at all: never run, never written.
        if candidate.config.check_script().is_err() {
            return Ok(false);
        }
        self.runs += 1;
        match run_scenario(candidate, false) {
            Ok(outcome) => Ok(outcome.report.verdict(self.invariant) == Some(Verdict::Violated)),
            Err(RunError::BadInput(_)) => Ok(false),
            Err(harness) => Err(harness),
        }
    }

    /// Replaces `best` by `candidate` if it is interesting; returns whether it did.
    fn try_step(&mut self, best: &mut Scenario, candidate: Scenario) -> Result<bool, RunError> {
        if candidate.config == best.config || !self.interesting(&candidate)? {
            return Ok(false);
        }
        *best = candidate;
        (self.progress)(best);
        Ok(true)
    }
}

/// What `sksim shrink` without `--invariant` targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The first violated invariant that the scenario's expectations do not allow.
    Unexpected(Invariant),
    /// Every violation is one the expectations allow (listed): nothing to shrink unless one is named.
    NothingUnexpected(Vec<Invariant>),
}

/// The invariant to shrink for when none is named: the first violated invariant the scenario's expectations do
/// not allow.
pub fn default_target(scenario: &Scenario) -> Result<Target, RunError> {
    let outcome = run_scenario(scenario, false)?;
    Ok(match outcome.unexpected.first() {
        Some(&invariant) => Target::Unexpected(invariant),
        None => Target::NothingUnexpected(outcome.report.violated()),
    })
}

/// `name` as an invariant, or an error naming the nearest one.
pub fn invariant_named(name: &str) -> Result<Invariant, RunError> {
    Invariant::named(name).ok_or_else(|| {
        RunError::BadInput(format!(
            "--invariant: {}",
            crate::scenario::unknown("invariant", name, &INVARIANTS)
        ))
    })
}

/// Shrinks `scenario` to a minimal one that still violates `invariant`; `progress` sees every improvement.
///
/// # Errors
///
/// [`RunError::BadInput`] if `invariant` is not an invariant's name or the scenario does not violate it to begin
/// with; [`RunError::Harness`] if a run crashed the harness.
pub fn shrink(
    scenario: &Scenario,
    invariant: &str,
    progress: &dyn Fn(&Scenario),
) -> Result<Shrunk, RunError> {
    let invariant = invariant_named(invariant)?;
    let mut shrinker = Shrinker {
        invariant,
        runs: 0,
        progress,
    };
    if !shrinker.interesting(scenario)? {
        return Err(RunError::BadInput(format!(
            "`{}` with seed {} does not violate `{invariant}`: nothing to shrink",
            scenario.name, scenario.config.seed
        )));
    }
    let mut best = scenario.clone();
    loop {
        let mut progressed = false;
        progressed |= ddmin_events(&mut shrinker, &mut best)?;
        progressed |= smaller_counts(&mut shrinker, &mut best)?;
        progressed |= fewer_members(&mut shrinker, &mut best)?;
        progressed |= lighter_workload(&mut shrinker, &mut best)?;
        progressed |= fewer_faults(&mut shrinker, &mut best)?;
        progressed |= less_time(&mut shrinker, &mut best)?;
        progressed |= simpler_policy_and_server(&mut shrinker, &mut best)?;
        if !progressed || !shrinker.budget_left() {
            break;
        }
    }
    best.name = format!("{} (shrunk: {invariant})", scenario.name);
    best.description = Some(format!(
        "Shrunk by `sksim shrink` from `{}` (seed {}): the smallest variant found that still violates `{invariant}`.",
        scenario.name, scenario.config.seed
    ));
    best.expect = Expectations {
        hold: Vec::new(),
        violated: vec![invariant],
        explicit: true,
    };
    Ok(Shrunk {
        scenario: best,
        invariant,
        runs: shrinker.runs,
        budget_exhausted: !shrinker.budget_left(),
    })
}

fn with_actions(base: &Scenario, actions: Vec<ScheduledAction>) -> Scenario {
    let mut candidate = base.clone();
    candidate.config.actions = actions;
    candidate
}

/// ddmin over the scripted events: try removing each of n chunks, n doubling until chunks are single events.
fn ddmin_events(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = false;
    let mut chunks = 2usize;
    while best.config.actions.len() >= 2 || (best.config.actions.len() == 1 && chunks <= 2) {
        let actions = best.config.actions.clone();
        let size = actions.len().div_ceil(chunks).max(1);
        let mut removed_one = false;
        for start in (0..actions.len()).step_by(size) {
            let kept: Vec<ScheduledAction> = actions
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < start || *i >= start + size)
                .map(|(_, a)| a.clone())
                .collect();
            if s.try_step(best, with_actions(best, kept))? {
                removed_one = true;
                break;
            }
        }
        if removed_one {
            progressed = true;
            chunks = chunks.saturating_sub(1).max(2);
        } else if size == 1 {
            break;
        } else {
            chunks = (chunks * 2).min(actions.len());
        }
        if !s.budget_left() {
            break;
        }
    }
    Ok(progressed)
}

/// Join and send counts down to one, one event at a time.
fn smaller_counts(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = false;
    for i in 0..best.config.actions.len() {
        let smaller = match best.config.actions.get(i).map(|a| &a.action) {
            Some(Action::Join { count }) if *count > 1 => Action::Join { count: 1 },
            Some(Action::Send { member, count }) if *count > 1 => Action::Send {
                member: *member,
                count: count / 2,
            },
            _ => continue,
        };
        let mut candidate = best.clone();
        if let Some(slot) = candidate.config.actions.get_mut(i) {
            slot.action = smaller;
        }
        progressed |= s.try_step(best, candidate)?;
    }
    Ok(progressed)
}

/// The member numbers an action names.
fn members_named(action: &Action) -> Vec<usize> {
    match action {
        Action::Join { .. } => Vec::new(),
        Action::Leave { member }
        | Action::Remove { member }
        | Action::Offline { member, .. }
        | Action::Online { member }
        | Action::Send { member, .. }
        | Action::Rotate { member } => vec![*member],
        Action::Partition { members, .. } => members.clone(),
        Action::Attack {
            by, target, options, ..
        } => {
            let mut named = vec![*target];
            if let Attacker::Member(m) = by {
                named.push(*m);
            }
            named.extend(options.to);
            named
        }
        Action::Compromise { member, insider, .. } => {
            let mut named = vec![*member];
            named.extend(*insider);
            named
        }
    }
}

/// The scenario with `members` (at most the current count) initial members. Events that name an initial member
/// from `members` on are dropped with it; joiners, numbered from the initial count on in the order they join,
/// keep their events and move down with the count.
fn with_members(base: &Scenario, members: usize) -> Scenario {
    let initial = base.config.members;
    let members = members.min(initial);
    let removed = initial - members;
    let mut candidate = base.clone();
    candidate.config.members = members;
    candidate.config.actions.retain(|a| {
        members_named(&a.action)
            .iter()
            .all(|m| !(members..initial).contains(m))
    });
    let moved = |m: usize| if m >= initial { m - removed } else { m };
    for a in &mut candidate.config.actions {
        a.action = relabel(&a.action, &moved);
    }
    candidate
}

/// `action` with every member number passed through `f`.
fn relabel(action: &Action, f: &dyn Fn(usize) -> usize) -> Action {
    let mut action = action.clone();
    match &mut action {
        Action::Join { .. } => {}
        Action::Leave { member }
        | Action::Remove { member }
        | Action::Offline { member, .. }
        | Action::Online { member }
        | Action::Send { member, .. }
        | Action::Rotate { member } => *member = f(*member),
        Action::Partition { members, .. } => members.iter_mut().for_each(|m| *m = f(*m)),
        Action::Attack {
            by, target, options, ..
        } => {
            *target = f(*target);
            if let Attacker::Member(m) = by {
                *m = f(*m);
            }
            options.to = options.to.map(f);
        }
        Action::Compromise { member, insider, .. } => {
            *member = f(*member);
            *insider = insider.map(f);
        }
    }
    action
}

/// The scenario with the initial members the events name renumbered to the lowest numbers, in order, so that
/// fewer members can follow. Joiners keep their numbers (the initial count does not change here).
fn compacted(base: &Scenario) -> Scenario {
    let initial = base.config.members;
    let named: std::collections::BTreeSet<usize> = base
        .config
        .actions
        .iter()
        .flat_map(|a| members_named(&a.action))
        .filter(|&m| m < initial)
        .collect();
    let named: Vec<usize> = named.into_iter().collect();
    let unnamed: Vec<usize> = (0..initial).filter(|m| named.binary_search(m).is_err()).collect();
    // New number of old member m: its rank among the named, then among the unnamed.
    let order: Vec<usize> = named.iter().chain(&unnamed).copied().collect();
    let mut new_number = vec![0; initial];
    for (new, &old) in order.iter().enumerate() {
        new_number[old] = new;
    }
    let f = |m: usize| new_number.get(m).copied().unwrap_or(m);
    let mut candidate = base.clone();
    for a in &mut candidate.config.actions {
        a.action = relabel(&a.action, &f);
    }
    candidate
}

fn fewer_members(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = s.try_step(best, compacted(best))?;
    while best.config.members > 1 && s.budget_left() {
        let current = best.config.members;
        let halved = (current / 2).max(1);
        if s.try_step(best, with_members(best, halved))? {
            progressed = true;
            continue;
        }
        if halved != current - 1 && s.try_step(best, with_members(best, current - 1))? {
            progressed = true;
            continue;
        }
        break;
    }
    Ok(progressed)
}

fn lighter_workload(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = false;
    while best.config.messages_per_member_per_hour > 0 && s.budget_left() {
        let mut candidate = best.clone();
        let rate = best.config.messages_per_member_per_hour;
        candidate.config.messages_per_member_per_hour = if rate == 1 { 0 } else { rate / 2 };
        if !s.try_step(best, candidate)? {
            let mut zero = best.clone();
            zero.config.messages_per_member_per_hour = 0;
            progressed |= s.try_step(best, zero)?;
            break;
        }
        progressed = true;
    }
    Ok(progressed)
}

fn fewer_faults(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = false;
    let edits: [fn(&mut Scenario); 4] = [
        |c| c.config.network.drop_ppm = 0,
        |c| c.config.network.duplicate_ppm = 0,
        |c| c.config.network.reorder = false,
        |c| c.config.network.latency_max = c.config.network.latency_min,
    ];
    for edit in edits {
        let mut candidate = best.clone();
        edit(&mut candidate);
        progressed |= s.try_step(best, candidate)?;
    }
    Ok(progressed)
}

/// The scenario with its active phase cut to `duration`: events after it dropped, offline periods and
/// partitions ending by then; or, with `scale`, every event time scaled down with it.
fn shorter(base: &Scenario, duration: u64, scale: bool) -> Scenario {
    let mut candidate = base.clone();
    let old = base.config.duration.max(1);
    let scaled = |t: u64| {
        if scale {
            u64::try_from(u128::from(t) * u128::from(duration) / u128::from(old)).unwrap_or(t)
        } else {
            t
        }
    };
    candidate.config.duration = duration;
    for a in &mut candidate.config.actions {
        a.at = scaled(a.at);
        if let Action::Offline { until, .. } | Action::Partition { until, .. } = &mut a.action {
            *until = scaled(*until).min(duration);
        }
    }
    candidate.config.actions.retain(|a| a.at < duration);
    candidate
}

fn less_time(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = false;
    while best.config.duration > 1 && s.budget_left() {
        let current = best.config.duration;
        let shorter_ones = [
            shorter(best, current / 2, false),
            shorter(best, current / 2, true),
            shorter(best, current - current / 4, false),
        ];
        let mut stepped = false;
        for candidate in shorter_ones {
            if s.try_step(best, candidate)? {
                stepped = true;
                break;
            }
        }
        if !stepped {
            break;
        }
        progressed = true;
    }
    // Liveness (`delivery`) is judged after the quiet phase, which exists so that everything in flight can land:
    // shortening it would manufacture the very violation being shrunk.
    while best.config.quiet > 0 && s.invariant.class() != FailureClass::Liveness && s.budget_left() {
        let mut candidate = best.clone();
        candidate.config.quiet = best.config.quiet / 2;
        if !s.try_step(best, candidate)? {
            break;
        }
        progressed = true;
    }
    Ok(progressed)
}

fn simpler_policy_and_server(s: &mut Shrinker<'_>, best: &mut Scenario) -> Result<bool, RunError> {
    let mut progressed = false;
    let edits: [fn(&mut Policy); 3] = [
        |p| {
            p.on_removal = p.on_join;
            p.on_join = false;
        },
        |p| p.every_messages = None,
        |p| p.every_time = None,
    ];
    for edit in edits {
        let mut candidate = best.clone();
        edit(&mut candidate.config.policy);
        progressed |= s.try_step(best, candidate)?;
    }
    let less = match best.config.server {
        ServerBehaviour::Malicious => Some(ServerBehaviour::Curious),
        ServerBehaviour::Curious => Some(ServerBehaviour::Honest),
        ServerBehaviour::Honest => None,
    };
    if let Some(server) = less {
        let mut candidate = best.clone();
        candidate.config.server = server;
        // Only a malicious server tampers: a server made less than that stops (as a scenario file says it).
        candidate.config.tampering = crate::config::Tampering::default();
        progressed |= s.try_step(best, candidate)?;
    }
    // No tampering in flight at all, then no high starting iteration.
    if best.config.tampering.ppm != 0 {
        let mut candidate = best.clone();
        candidate.config.tampering = crate::config::Tampering::default();
        progressed |= s.try_step(best, candidate)?;
    }
    if best.config.start_iteration != 0 {
        let mut candidate = best.clone();
        candidate.config.start_iteration = 0;
        progressed |= s.try_step(best, candidate)?;
    }
    Ok(progressed)
}

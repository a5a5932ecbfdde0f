//! The sweep's oracle: what each implementation may violate in a run, read from the run's facts
//! ([`allowed`]), and the `[expect]` a run meets exactly when it violates nothing else ([`expectations`]).

use std::collections::BTreeSet;

use crate::attacks::AttackKind;
use crate::checkers::{Invariant, Verdict};
use crate::config::{Attacker, CompromiseScope};
use crate::facts::{Fact, Facts};
use crate::implementations::registry::BuiltIn;
use crate::report::Report;
use crate::scenario::{Expectations, ImplementationSpec, Scenario};

/// What the run's facts (recorded by the engine as they happened) say about the causes of the documented
/// weaknesses: the oracle reads this, never a prediction from the configuration.
#[derive(Clone, Copy, Debug, Default)]
struct Happened {
    /// Someone present left or was removed.
    departure: bool,
    /// Someone joined (a scripted join, or a member the server added).
    join: bool,
    /// The server added a member it controls.
    add_member: bool,
    /// A signing key was stolen and an insider forged with it.
    signing_key_stolen: bool,
    /// An insider forged as another member.
    insider_forgery: bool,
    /// A full compromise after a stale-distribution attack ran.
    full_compromise_after_stale_distribution: bool,
    /// A full compromise after a departure.
    full_compromise_after_departure: bool,
    /// A full compromise after a join.
    full_compromise_after_join: bool,
}

impl Happened {
    fn of(facts: &Facts) -> Self {
        let full = |f: &Fact| {
            matches!(
                f,
                Fact::Compromised {
                    scope: CompromiseScope::Full,
                    ..
                }
            )
        };
        let departure = |f: &Fact| matches!(f, Fact::Departed { .. });
        let join = |f: &Fact| matches!(f, Fact::Joined { .. });
        let stale = |f: &Fact| {
            matches!(
                f,
                Fact::AttackRan {
                    kind: AttackKind::StaleDistribution,
                    ..
                }
            )
        };
        Happened {
            departure: facts.any(departure),
            join: facts.any(join),
            add_member: facts.any(|f| matches!(f, Fact::Joined { by_server: true, .. })),
            signing_key_stolen: facts.any(|f| {
                matches!(
                    f,
                    Fact::Compromised {
                        scope: CompromiseScope::SigningKey,
                        ..
                    }
                )
            }),
            insider_forgery: facts.any(|f| {
                matches!(
                    f,
                    Fact::AttackRan {
                        kind: AttackKind::Forge,
                        by: Attacker::Member(by),
                        target,
                    } if by != target
                )
            }),
            full_compromise_after_stale_distribution: facts.after(stale, full),
            full_compromise_after_departure: facts.after(departure, full),
            full_compromise_after_join: facts.after(join, full),
        }
    }
}

/// The invariants the scenario's implementation may violate in this run of it: its documented weaknesses, and the
/// threat model's inherent ones the run triggered — as the run's [`Facts`] record what happened, not as the
/// configuration predicts. A violation outside this set is unexpected.
pub fn allowed(scenario: &Scenario, report: &Report) -> BTreeSet<Invariant> {
    let mut allowed = BTreeSet::new();
    let happened = Happened::of(&report.facts);
    let signed = scenario.implementation.signs();
    // The models' design flaws, as docs/verdicts.md documents them (the table's VIOLATED cells and "Why each
    // violation happens"; the reasons are next to each entry of the registry). They are not tied to one feature of
    // the targeted scenario — e.g. Chatalot shows any undecryptable payload as text (authenticity) whatever made
    // it undecryptable — so they are allowed in any run.
    let built_in = scenario.implementation.built_in();
    allowed.extend(built_in.map_or(&[][..], |b| b.documented));
    // The peer-to-peer sketch again (docs/verdicts.md, p2p, last item): forwarded keys are the forwarders'
    // receiver copies, which lag behind messages still in flight, so a newcomer can read a message sent just
    // before it joined (`join-secrecy`, weakness 2 in another form). Only when someone joins.
    if scenario.implementation == ImplementationSpec::P2p && happened.join {
        allowed.insert(Invariant::JoinSecrecy);
    }
    // The three models (docs/verdicts.md, "Beyond the targeted scenario"): a stale distribution rewinds the
    // receiver's chain (their replay-rejection cells), so a full compromise after it opens messages the victim had
    // already consumed.
    let rewinds = matches!(
        scenario.implementation,
        ImplementationSpec::Accord | ImplementationSpec::Chatalot | ImplementationSpec::P2p
    );
    if rewinds && happened.full_compromise_after_stale_distribution {
        allowed.insert(Invariant::ForwardSecrecy);
    }
    // The peer-to-peer sketch forwards its receiver copies to newcomers, and a member back from offline forwards
    // copies that lag far behind; a newcomer that already holds a newer copy is rewound by the stale one, so a
    // full compromise after a join opens messages it had already consumed (docs/verdicts.md).
    if scenario.implementation == ImplementationSpec::P2p && happened.full_compromise_after_join {
        allowed.insert(Invariant::ForwardSecrecy);
    }
    // Chatalot (docs/verdicts.md, "Beyond the targeted scenario"): a departure wipes every receiver state and the
    // keys come back from the server's iteration-0 records, so a full compromise after it opens messages the
    // victim had already read.
    if scenario.implementation == ImplementationSpec::Chatalot && happened.full_compromise_after_departure {
        allowed.insert(Invariant::ForwardSecrecy);
    }
    // Threat model weakness 13 (docs/verdicts.md, sim/tests/attacks.rs): membership is not end-to-end
    // authenticated in any modelled design; a member the server adds is handed every key like any newcomer and
    // the server reads what follows.
    if happened.add_member {
        allowed.insert(Invariant::ServerBlindness);
    }
    // Weakness 12 (docs/verdicts.md, sim/tests/adversary.rs): a stolen signing key, with an insider's copy of the
    // victim's chain, forges in the victim's name until the victim rotates; each forgery takes the victim's next
    // iteration, so its genuine message there is refused as a duplicate (delivery). Unsigned designs have no
    // signing key to steal.
    if happened.signing_key_stolen && signed {
        allowed.extend([Invariant::Authenticity, Invariant::Delivery]);
    }
    // Weakness 4 (sim/tests/adversary.rs): without per-message signatures any member holding a sender's chain
    // writes as that sender, and the forgery costs the sender's genuine message at that iteration.
    if happened.insider_forgery && !signed {
        allowed.extend([Invariant::Authenticity, Invariant::Delivery]);
    }
    // Weakness 9: without `on-removal` (or `on-membership-change`) nobody rotates when a member leaves or is
    // removed, and the departed member's state reads on.
    if happened.departure && !scenario.config.policy.on_removal {
        allowed.insert(Invariant::PostRemovalSecrecy);
    }
    allowed.extend(at_the_bounds(built_in, report));
    allowed
}

/// What the run violated exactly where a design's documented bounds on what it remembers say it must, as the
/// run's facts show it.
fn at_the_bounds(built_in: Option<&BuiltIn>, report: &Report) -> Vec<Invariant> {
    let mut allowed = Vec::new();
    // The reference keeps at most `SENDER_STATES_MAX` (5) receiver states per sender, libsignal's limit
    // (core/src/consts.rs; README "The reference state machine"; the registry's `sender_states_max`): when one sender makes more keys than that while
    // earlier ones are still in flight — a partitioned sender's whole backlog leaves at once, a returning member
    // rotates once per membership change it missed, a burst of rotations falls within one latency window, or an
    // insider forwards fake keys that receivers install as its own — a receiver retires a key before the messages
    // under it arrive, and they are lost. Weakness 10 with a bound instead of at once. Allowed only when the run's
    // facts explain every lost message this way: each is under a key its receiver dropped while holding the
    // documented number of the sender's keys (dropping one while holding fewer, or losing a message otherwise,
    // would be a bug).
    if lost_only_at_the_bound(built_in, report) {
        allowed.push(Invariant::Delivery);
    }
    // The reference remembers a sender's `SENDER_STATES_MAX` (5) keys and the ids of its last `RETIRED_KEY_IDS_MAX`
    // (32) retired ones (core/src/consts.rs; the registry's `retired_keys_max`): a stale distribution of a key older
    // than that is a key it has never seen as far as it can tell, so it installs it and accepts the replay that
    // follows, and a full compromise after it reads under it. Weakness 14 past a bound (chains that start near
    // 2^32 rotate every few messages, so a sweep reaches it). Allowed only when the run's facts show such a key.
    let memory = built_in.and_then(|b| Some(b.sender_states_max? + b.retired_keys_max?));
    let forgotten = |f: &Fact| matches!(f, Fact::StaleKeyRedelivered { newer_keys, .. } if memory.is_some_and(|m| *newer_keys >= m));
    if report.facts.any(forgotten) {
        allowed.push(Invariant::ReplayRejection);
        if report.facts.after(forgotten, |f| {
            matches!(
                f,
                Fact::Compromised {
                    scope: CompromiseScope::Full,
                    ..
                }
            )
        }) {
            allowed.push(Invariant::ForwardSecrecy);
        }
    }
    allowed
}

/// Whether the run lost messages and every one of them is under a key its receiver dropped while holding the
/// design's documented number of keys of that sender (`sender_states_max` in the registry).
fn lost_only_at_the_bound(built_in: Option<&BuiltIn>, report: &Report) -> bool {
    let lost = report
        .invariants
        .iter()
        .find(|r| r.invariant == Invariant::Delivery)
        .map_or(0, |r| r.violations_total);
    let bound = built_in.and_then(|b| b.sender_states_max);
    let lost_at_bound = report
        .facts
        .iter()
        .filter(|f| matches!(f, Fact::LostToRetiredKey { retained, .. } if bound.is_some_and(|max| *retained >= max)))
        .count() as u64;
    lost > 0 && lost_at_bound >= lost
}

/// The `[expect]` a run of `scenario` meets exactly when its only violations are the allowed ones: explicit,
/// nothing must be violated, and every invariant that [`allowed`] does not allow and that applied in the run (its
/// checker did not say not-applicable) must hold. A failing sweep seed's file and a failing fuzz input's carry it.
pub fn expectations(scenario: &Scenario, report: &Report) -> Expectations {
    let allowed = allowed(scenario, report);
    Expectations {
        hold: Invariant::ALL
            .into_iter()
            .filter(|&i| {
                !allowed.contains(&i) && report.verdict(i).is_some_and(|v| v != Verdict::NotApplicable)
            })
            .collect(),
        violated: Vec::new(),
        explicit: true,
    }
}

/// The `[expect]` a drawn scenario carries before it runs: explicit and empty (what must hold depends on what the
/// run does; [`expectations`] says it once the run is over).
pub(crate) fn expect_nothing_yet() -> Expectations {
    Expectations {
        hold: Vec::new(),
        violated: Vec::new(),
        explicit: true,
    }
}

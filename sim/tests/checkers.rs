//! Each checker catches the misbehaviour it exists for: a wrapper around `reference` misbehaves in one way at a
//! time, and exactly the matching invariant is reported violated.

use std::cell::Cell;

use rand_core::CryptoRng;
use senderkeys::{GroupId, MemberId, SuiteId};
use sksim::checkers::Invariant;
use sksim::config::{Action, CompromiseScope, ScheduledAction, SimConfig};
use sksim::engine::run;
use sksim::implementation::{Accepted, Implementation, ImplementationFactory, Rejection, WorkBudget};
use sksim::implementations::reference::Reference;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// Panics on the 7th decryption of each instance.
    Panic,
    /// Shows every 5th message as coming from someone else.
    Reattribute,
    /// Accepts a message a second time: returns the previous plaintext when a duplicate is rejected.
    AcceptReplay,
    /// Refuses every 4th message for good.
    Refuse,
    /// Spins through its whole work budget on the 3rd decryption.
    Spin,
    /// Exports (to the adversary too) the state it had after its first decryption: old keys leak.
    LeakOld,
}

struct Faulty {
    fault: Fault,
}

struct Instance {
    inner: Box<dyn Implementation>,
    fault: Fault,
    decryptions: Cell<u64>,
    last: Option<Accepted>,
    first_state: Option<Vec<u8>>,
}

impl ImplementationFactory for Faulty {
    fn name(&self) -> String {
        format!("faulty/{:?}", self.fault)
    }
    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        let inner = Reference {
            suite: SuiteId::Hardened,
        }
        .create(group, member);
        Box::new(Instance {
            inner,
            fault: self.fault,
            decryptions: Cell::new(0),
            last: None,
            first_state: None,
        })
    }
    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        Reference {
            suite: SuiteId::Hardened,
        }
        .import(state)
    }
}

impl Implementation for Instance {
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        self.inner.create_sender_key(rng)
    }
    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        self.inner.distribution()
    }
    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        self.inner.process_distribution(from, bytes, budget)
    }
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        self.inner.encrypt(rng, plaintext)
    }
    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        let n = self.decryptions.get() + 1;
        self.decryptions.set(n);
        match self.fault {
            Fault::Panic if n == 7 => panic!("deliberate panic in decryption #{n}"),
            Fault::Refuse if n.is_multiple_of(4) => {
                return Err(Rejection {
                    reason: "refused".into(),
                    detail: "deliberately".into(),
                });
            }
            _ => {}
        }
        if self.fault == Fault::Spin && n == 3 {
            while budget.step().is_ok() {}
            return Err(Rejection {
                reason: "work-budget-exhausted".into(),
                detail: "spun".into(),
            });
        }
        let result = self.inner.decrypt(from, envelope, budget);
        match (self.fault, result) {
            (Fault::Reattribute, Ok(mut accepted)) if n.is_multiple_of(5) => {
                accepted.claimed_sender = MemberId::new("m0").expect("valid id");
                if from.as_str() == "m0" {
                    accepted.claimed_sender = MemberId::new("m1").expect("valid id");
                }
                Ok(accepted)
            }
            (Fault::AcceptReplay, Err(r)) if r.reason == "duplicate" => self.last.clone().ok_or(r),
            (_, Ok(accepted)) => {
                if self.first_state.is_none() {
                    self.first_state = Some(self.inner.export());
                }
                self.last = Some(accepted.clone());
                Ok(accepted)
            }
            (_, Err(r)) => Err(r),
        }
    }
    fn forget_sender(&mut self, member: &MemberId) {
        self.inner.forget_sender(member)
    }
    fn export(&self) -> Vec<u8> {
        match (&self.first_state, self.fault) {
            (Some(old), Fault::LeakOld) => old.clone(),
            _ => self.inner.export(),
        }
    }
    fn skipped_keys(&self, sender: &MemberId) -> usize {
        self.inner.skipped_keys(sender)
    }
}

fn violated(fault: Fault, config: &SimConfig) -> Vec<&'static str> {
    run(config, &Faulty { fault })
        .expect("valid configuration")
        .0
        .violated()
        .into_iter()
        .map(Invariant::name)
        .collect()
}

#[test]
fn each_fault_trips_its_invariant() {
    let mut config = SimConfig::new(21, 6);
    config.messages_per_member_per_hour = 10;
    assert_eq!(violated(Fault::Panic, &config), ["no-crash", "delivery"]);
    assert_eq!(
        violated(Fault::Reattribute, &config),
        ["authenticity", "delivery"]
    );
    assert_eq!(violated(Fault::Refuse, &config), ["delivery"]);
    assert_eq!(violated(Fault::Spin, &config), ["bounded-state", "delivery"]);
    config.actions = vec![ScheduledAction {
        at: 40 * 60_000_000,
        action: Action::Compromise {
            member: 2,
            scope: CompromiseScope::Full,
            insider: None,
        },
    }];
    assert_eq!(violated(Fault::LeakOld, &config), ["forward-secrecy"]);
    config.actions.clear();
    config.network.duplicate_ppm = 200_000;
    assert_eq!(violated(Fault::AcceptReplay, &config), ["replay-rejection"]);
}

/// Messages refused for good are counted as undecryptable, by their last reason.
#[test]
fn undecryptable_messages_are_counted_by_reason() {
    let mut config = SimConfig::new(21, 6);
    config.messages_per_member_per_hour = 10;
    let report = run(&config, &Faulty { fault: Fault::Refuse })
        .expect("valid configuration")
        .0;
    let refused = report.counts.undecryptable.get("refused").copied().unwrap_or(0);
    let violations = report
        .invariants
        .iter()
        .find(|r| r.invariant == "delivery")
        .map_or(0, |r| r.violations_total);
    assert!(
        refused > 0 && refused == violations,
        "{:?} vs {violations}",
        report.counts.undecryptable
    );
}

#[test]
fn a_report_keeps_the_first_violations_and_counts_them_all() {
    use sksim::checkers::{At, Tally};
    use sksim::limits::VIOLATIONS_KEPT_MAX;
    let tally = |violations: usize| {
        let mut tally = Tally::new(Invariant::Delivery);
        for event in 0..violations {
            tally.violation(
                At {
                    event: event as u64,
                    time_us: 0,
                },
                format!("violation {event}"),
            );
        }
        tally.report(true, None)
    };
    let at_limit = tally(VIOLATIONS_KEPT_MAX);
    assert_eq!(at_limit.violations.len(), VIOLATIONS_KEPT_MAX);
    assert_eq!(at_limit.violations_total, VIOLATIONS_KEPT_MAX as u64);
    let over = tally(VIOLATIONS_KEPT_MAX + 1);
    assert_eq!(over.violations, at_limit.violations);
    assert_eq!(over.violations_total, VIOLATIONS_KEPT_MAX as u64 + 1);
}

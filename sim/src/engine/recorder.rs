//! The engine's one recorder: everything the engine sees happen is reported here, and nothing here decides what the
//! run does. The trace (and its hash), the counts of the report, the checkers that judge the invariants, and the
//! facts an oracle reads. The engine reports; the checkers and oracles judge the record.

use crate::checkers::{Checkers, Observation};
use crate::facts::{Fact, Facts};
use crate::report::Counts;
use crate::time::Micros;
use crate::trace::Trace;

/// The trace, counts, checkers and facts of one run.
pub(super) struct Recorder {
    /// The canonical trace.
    pub(super) trace: Trace,
    /// The counts of the report.
    pub(super) counts: Counts,
    /// Every invariant's checker.
    pub(super) checkers: Checkers,
    /// What happened that an oracle reads.
    pub(super) facts: Facts,
}

impl Recorder {
    /// An empty record; `keep_trace` keeps the trace's lines (its hash is always computed).
    pub(super) fn new(keep_trace: bool) -> Self {
        Recorder {
            trace: Trace::new(keep_trace),
            counts: Counts::default(),
            checkers: Checkers::default(),
            facts: Facts::default(),
        }
    }

    /// Hands an observation to every checker.
    pub(super) fn observe(&mut self, observation: &Observation<'_>) {
        self.checkers.observe(observation);
    }

    /// Records a fact at `now` (facts are not traced: they never change a trace hash).
    pub(super) fn fact(&mut self, now: Micros, fact: Fact) {
        self.facts.record(now, fact);
    }
}

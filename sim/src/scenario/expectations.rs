//! The verdicts a run is expected to give (`[expect]`), and [`Expectations::check`], which judges a report
//! against them (the runner calls it after every run).

use crate::checkers::{Invariant, InvariantReport, Verdict};
use crate::report::Report;

/// The verdicts a run is expected to give (`[expect]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// Invariants that must hold, in file order.
    pub hold: Vec<Invariant>,
    /// Invariants that must be violated, in file order.
    pub violated: Vec<Invariant>,
    /// Whether the file had an `[expect]` table. Without one (`false`, both lists empty), every invariant that
    /// applies is expected to hold.
    pub explicit: bool,
}

impl Expectations {
    /// Mismatches between the report and the expectations; empty = met. Each is one line naming the invariant,
    /// what was expected and what the run gave, and the first violation's reason if any.
    ///
    /// Without `[expect]`, every violated invariant is a mismatch. With it, each `hold` invariant must hold
    /// (not-applicable is a mismatch), each `violated` one must be violated, and the others are not judged.
    pub fn check(&self, report: &Report) -> Vec<String> {
        if !self.explicit {
            return report
                .invariants
                .iter()
                .filter(|r| r.verdict == Verdict::Violated)
                .map(|r| {
                    format!(
                        "`{}`: expected to hold (the scenario has no [expect], so every invariant is), {}",
                        r.invariant,
                        outcome(r)
                    )
                })
                .collect();
        }
        let find = |name: Invariant| report.invariants.iter().find(|r| r.invariant == name);
        let mut mismatches = Vec::new();
        for &name in &self.hold {
            match find(name) {
                Some(r) if r.verdict == Verdict::Holds => {}
                Some(r) => mismatches.push(format!("`{name}`: expected to hold, {}", outcome(r))),
                None => mismatches.push(format!(
                    "`{name}`: expected to hold, but the report has no verdict on it"
                )),
            }
        }
        for &name in &self.violated {
            match find(name) {
                Some(r) if r.verdict == Verdict::Violated => {}
                Some(r) => mismatches.push(format!("`{name}`: expected to be violated, {}", outcome(r))),
                None => mismatches.push(format!(
                    "`{name}`: expected to be violated, but the report has no verdict on it"
                )),
            }
        }
        mismatches
    }
}

/// What the run gave for one invariant, as the second half of a mismatch line.
fn outcome(report: &InvariantReport) -> String {
    match report.verdict {
        Verdict::Holds => "but it holds".to_owned(),
        Verdict::NotApplicable => match &report.note {
            Some(note) => format!("but it does not apply to this run ({note})"),
            None => "but it does not apply to this run".to_owned(),
        },
        Verdict::Violated => {
            let count = match report.violations_total {
                1 => "1 violation".to_owned(),
                n => format!("{n} violations"),
            };
            match report.violations.first() {
                Some(first) => format!(
                    "but it is violated ({count}; the first at {}: {})",
                    crate::time::format_clock(first.time_us),
                    first.reason
                ),
                None => format!("but it is violated ({count})"),
            }
        }
    }
}

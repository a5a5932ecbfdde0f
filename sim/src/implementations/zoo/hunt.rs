//! `sksim zoo`'s hunt: for each planted bug, the default sweep (the request `sksim sweep --impl zoo/<bug>` makes)
//! over seeds in order until the first seed with an unexpected violation; for the base, the same seeds, where any
//! failure is a false alarm. Seeds run in chunks on the current rayon pool; the first failing seed is the same
//! whatever the chunk size or thread count (every earlier seed ran and passed).

use core::ops::Range;

use super::Bug;
use crate::runner::RunError;
use crate::sweep::{SeedResult, SweepRequest, SweepResult, sweep};
use crate::time::Micros;

/// What hunting one implementation over a range of seeds found.
#[derive(Clone, Debug)]
pub struct Hunt {
    /// `zoo` or `zoo/<bug>`.
    pub implementation: String,
    /// The bug hunted (`None`: the base).
    pub bug: Option<Bug>,
    /// The seeds swept.
    pub seeds: Range<u64>,
    /// The first failing seed's sweep (its chunk) and its result, if any seed failed.
    pub found: Option<(SweepResult, SeedResult)>,
}

impl Hunt {
    /// Seeds run up to and including the first detection (`None`: none failed).
    pub fn seeds_to_detection(&self) -> Option<u64> {
        let (_, run) = self.found.as_ref()?;
        Some(run.seed - self.seeds.start + 1)
    }

    /// The invariants the first failing seed violated unexpectedly, by name, in the threat model's order.
    pub fn caught_by(&self) -> &[String] {
        self.found.as_ref().map_or(&[], |(_, run)| &run.unexpected[..])
    }

    /// The command line that reproduces the detection.
    pub fn reproduction(&self) -> Option<String> {
        let (result, run) = self.found.as_ref()?;
        Some(result.reproduction(run))
    }
}

/// The name `--impl` takes for `bug` (the base for `None`).
pub fn implementation_name(bug: Option<Bug>) -> String {
    match bug {
        None => "zoo".to_owned(),
        Some(bug) => format!("zoo/{bug}"),
    }
}

/// Sweeps `zoo/<bug>` (or `zoo`) over `seeds` with `budget_us`, `chunk` seeds at a time, stopping after the first
/// chunk with a failure; `progress` is called once per seed run.
///
/// # Errors
///
/// Whatever [`sweep`] fails with.
pub fn hunt(
    bug: Option<Bug>,
    seeds: Range<u64>,
    budget_us: Micros,
    chunk: u64,
    progress: &(dyn Fn() + Sync),
) -> Result<Hunt, RunError> {
    let implementation = implementation_name(bug);
    let mut start = seeds.start;
    while start < seeds.end {
        let end = start.saturating_add(chunk.max(1)).min(seeds.end);
        let mut request = SweepRequest::new(start..end);
        request.implementation = Some(implementation.clone());
        request.budget_us = budget_us;
        let result = sweep(&request, progress)?;
        let failing = result.failures().next().cloned();
        if let Some(run) = failing {
            return Ok(Hunt {
                implementation,
                bug,
                seeds,
                found: Some((result, run)),
            });
        }
        start = end;
    }
    Ok(Hunt {
        implementation,
        bug,
        seeds,
        found: None,
    })
}

/// The median of `values` (the mean of the middle two for an even count); `None` for none.
pub fn median(values: &[u64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

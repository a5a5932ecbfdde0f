//! `sksim compare`: one scenario under several rotation policies and implementations, over a range of seeds,
//! summarised per (policy, implementation) — statistics of each metric, and how many seeds each invariant held
//! in — as a table, JSON, CSV or an SVG plot; or every run as CSV or JSON (`--per-seed`).
//!
//! [`compare`] builds one job per (policy, implementation, seed), in that order (policies as given, then
//! implementations as given, then seeds ascending), runs them in parallel on rayon's pool through
//! [`run_scenario`], keeps the results in job order and aggregates them sequentially: the output is the same
//! bytes whatever the number of threads.
//!
//! # Metrics
//!
//! Each run gives at most one sample of each metric; a [`MetricStats`] summarises the samples of one row. Names
//! are stable.
//!
//! | name | one run's sample |
//! |---|---|
//! | `exposed_after_compromise` | Messages sent after a compromise that the compromised state decrypts: the sum of `after` over the run's exposures (0 without a compromise). |
//! | `healing_time_s` | Seconds from a compromise until every chain it exposed was replaced: the largest `healing_us` over the run's exposures; a compromise that never healed counts as the rest of the run (duration + quiet − time of the compromise). Runs without a compromise give no sample. |
//! | `forgery_window_s` | Seconds from a `signing-key` compromise to the last forgery an honest member accepted: the largest `forgery_window_us` over the run's `signing-key` exposures, 0 when none was accepted. Runs without a `signing-key` compromise give no sample. |
//! | `post_removal_leaks` | Messages a departed member's state decrypted after its departure: the violations of `post-removal-secrecy`. |
//! | `distribution_messages` | Distribution messages sent, whatever their cause. |
//! | `distribution_bytes` | Their total size in bytes, as they travel. |
//! | `bytes_per_rotation` | Mean distribution bytes one rotation sent. Runs without a rotation give no sample. |
//! | `rotations` | Sender keys that replaced a previous key. |
//! | `delivery_ratio` | Fraction of the messages each member should have got that it decrypted (0 to 1). |
//! | `deliveries` | Envelope copies that reached a member. |
//! | `skipped_keys_high_water` | The largest skipped-key cache any receiver held for any sender. |
//!
//! A statistic over no samples is NaN: `—` in the table, `null` in JSON, an empty field in CSV.
//!
//! # Per-seed records (`--per-seed`)
//!
//! [`render_csv_per_seed`] and [`render_json_per_seed`] write every run instead of the summary, rows in order and
//! seeds ascending, so that you can do your own statistics. The CSV has a header line and one line per (policy,
//! implementation, seed):
//!
//! | column | value |
//! |---|---|
//! | `policy` | the policy, canonical form |
//! | `implementation` | the implementation (`reference/hardened`, `accord`, ...) |
//! | `seed` | the run's seed |
//! | one per metric, named and ordered as [`METRICS`] | the run's sample (see "Metrics"): whole numbers for counts and bytes, 6 decimals for `healing_time_s`, `forgery_window_s` and `delivery_ratio`; empty when the run gives no sample |
//! | one per invariant, named and ordered as [`INVARIANTS`] | the run's verdict: `holds`, `violated` or `not-applicable` |
//!
//! The JSON is `{"scenario", "seeds", "runs": [...]}`, each run `{"policy", "implementation", "seed", "metrics":
//! {name: sample or null}, "verdicts": {name: verdict}}` with the same names, values and order.
//!
//! # Files
//!
//! This file runs the comparison and holds its results; [`stats`] summarises samples, [`table`], [`csv`] and
//! [`json`] render the summary (and [`csv`] and [`json`] the per-seed records), [`svg`] draws the plot.

use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use crate::checkers::{INVARIANTS, Invariant, Verdict};
use crate::config::CompromiseScope;
use crate::limits::SEEDS_MAX;
use crate::policy::Policy;
use crate::report::Report;
use crate::runner::{Overrides, RunError, run_scenario};
use crate::scenario::Scenario;
use crate::time::as_seconds as seconds;

mod csv;
mod json;
mod stats;
mod svg;
mod table;

pub use self::csv::{render_csv, render_csv_per_seed};
pub use self::json::{render_json, render_json_per_seed};
pub use self::stats::{MetricStats, percentile};
pub use self::svg::{PLOT_EXTENSIONS, Plot, check_plot_path, plot_svg, render_svg};
pub use self::table::render_table;

/// The metrics, in the order of [`Row::metrics`] (see the module documentation for their definitions).
pub const METRICS: [&str; 11] = [
    "exposed_after_compromise",
    "healing_time_s",
    "forgery_window_s",
    "post_removal_leaks",
    "distribution_messages",
    "distribution_bytes",
    "bytes_per_rotation",
    "rotations",
    "delivery_ratio",
    "deliveries",
    "skipped_keys_high_water",
];

/// What to compare.
#[derive(Clone, Debug)]
pub struct Request {
    /// The scenario every run starts from.
    pub scenario: Scenario,
    /// The policies (`--policy`), in output order; empty: the scenario's own.
    pub policies: Vec<Policy>,
    /// The implementations (`--impl`, as written), in output order, applied through [`Overrides`]; empty: the
    /// scenario's own.
    pub implementations: Vec<String>,
    /// The seeds, `start` included, `end` excluded.
    pub seeds: Range<u64>,
}

/// The result of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The scenario's name.
    pub scenario: String,
    /// The seeds: the first, and one past the last.
    pub seeds: (u64, u64),
    /// One row per (policy, implementation): policies in request order, then implementations in request order.
    pub rows: Vec<Row>,
}

/// One (policy, implementation) over every seed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The policy, canonical form.
    pub policy: String,
    /// The implementation, as reports name it (`reference/hardened`, `accord`, ...).
    pub implementation: String,
    /// Runs (one per seed).
    pub runs: u64,
    /// One entry per metric, in the order of [`METRICS`].
    pub metrics: Vec<MetricStats>,
    /// One entry per invariant, in the order of [`INVARIANTS`].
    pub invariants: Vec<InvariantCount>,
    /// Every run of the row, seeds ascending (`--per-seed`; not part of the summary's JSON).
    #[serde(skip)]
    pub per_seed: Vec<SeedRun>,
}

/// One run: its seed, its sample of each metric and its verdict on each invariant.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRun {
    /// The run's seed.
    pub seed: u64,
    /// One sample per metric, in the order of [`METRICS`]; `None` where the run gives none (see the module
    /// documentation).
    pub metrics: [Option<f64>; METRICS.len()],
    /// One verdict per invariant, in the order of [`INVARIANTS`].
    pub verdicts: [Verdict; INVARIANTS.len()],
}

impl Row {
    /// The statistics of one metric.
    pub fn metric(&self, name: &str) -> Option<&MetricStats> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// The verdict counts of one invariant.
    pub fn invariant(&self, invariant: Invariant) -> Option<&InvariantCount> {
        self.invariants.iter().find(|i| i.name == invariant.name())
    }
}

/// How many of a row's runs gave each verdict on one invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvariantCount {
    /// The invariant's stable name (one of [`INVARIANTS`]).
    pub name: &'static str,
    /// Runs in which it held.
    pub held: u64,
    /// Runs in which it was violated.
    pub violated: u64,
    /// Runs to which it did not apply.
    pub not_applicable: u64,
}

/// The samples of one run. `end_us` is the end of the run (duration + quiet).
fn sample(report: &Report, end_us: u64) -> Result<SeedRun, RunError> {
    let exposures = &report.exposures;
    let exposed: u64 = exposures.iter().map(|e| e.after).sum();
    let healing = exposures
        .iter()
        .map(|e| {
            e.healing_us
                .unwrap_or_else(|| end_us.saturating_sub(e.compromised_at_us))
        })
        .max()
        .map(seconds);
    let forgery = exposures
        .iter()
        .filter(|e| e.scope == CompromiseScope::SigningKey)
        .map(|e| e.forgery_window_us.unwrap_or(0))
        .max()
        .map(seconds);
    let leaks = report
        .invariants
        .iter()
        .find(|r| r.invariant == Invariant::PostRemovalSecrecy)
        .map_or(0, |r| r.violations_total);
    let distribution = &report.distribution;
    let per_rotation = (distribution.rotations > 0).then_some(distribution.per_rotation.bytes as f64);
    let metrics = [
        Some(exposed as f64),
        healing,
        forgery,
        Some(leaks as f64),
        Some(distribution.total.messages as f64),
        Some(distribution.total.bytes as f64),
        per_rotation,
        Some(distribution.rotations as f64),
        Some(report.delivery_ppm as f64 / 1e6),
        Some(report.counts.deliveries as f64),
        Some(report.counts.skipped_keys_high_water as f64),
    ];
    let mut verdicts = [Verdict::NotApplicable; INVARIANTS.len()];
    for (slot, name) in verdicts.iter_mut().zip(Invariant::ALL) {
        *slot = report.verdict(name).ok_or_else(|| {
            RunError::Harness(format!(
                "the report of seed {} has no verdict on `{name}`",
                report.seed
            ))
        })?;
    }
    Ok(SeedRun {
        seed: report.seed,
        metrics,
        verdicts,
    })
}

/// Runs every (policy, implementation) over every seed of `request` and summarises each.
///
/// `progress` is called once per finished run (failed or not), from whichever thread ran it. The runs use the
/// current rayon pool (install one to choose the number of threads); the result does not depend on it.
///
/// # Errors
///
/// [`RunError::BadInput`] for an empty seed range, more than [`SEEDS_MAX`] seeds, or an implementation that
/// cannot run, found before anything runs; otherwise the first error in job order of the runs that failed.
pub fn compare(request: &Request, progress: &(dyn Fn() + Sync)) -> Result<Comparison, RunError> {
    let seeds = request.seeds.clone();
    if seeds.is_empty() {
        return Err(RunError::BadInput(format!(
            "--seeds {}..{}: the range is empty",
            seeds.start, seeds.end
        )));
    }
    let runs_per_row = seeds.end - seeds.start;
    if runs_per_row > SEEDS_MAX {
        return Err(RunError::BadInput(format!(
            "--seeds {}..{}: {runs_per_row} seeds; the limit is {SEEDS_MAX}",
            seeds.start, seeds.end
        )));
    }
    let runs_per_row = usize::try_from(runs_per_row)
        .map_err(|_| RunError::BadInput(format!("--seeds: {runs_per_row} seeds are too many here")))?;
    let policies: Vec<Option<Policy>> = if request.policies.is_empty() {
        vec![None]
    } else {
        request.policies.iter().copied().map(Some).collect()
    };
    let implementations: Vec<Option<String>> = if request.implementations.is_empty() {
        vec![None]
    } else {
        request.implementations.iter().cloned().map(Some).collect()
    };
    let mut prepared = Vec::with_capacity(policies.len() * implementations.len());
    for policy in &policies {
        for implementation in &implementations {
            let scenario = request.scenario.with_overrides(&Overrides {
                seed: None,
                implementation: implementation.clone(),
                policy: *policy,
            })?;
            // Start an external adapter once here, so a broken one is one clear error, not one per seed.
            scenario
                .implementation
                .factory_with(scenario.config.adapter_timeout)
                .map_err(RunError::BadInput)?;
            prepared.push(scenario);
        }
    }
    let jobs: Vec<(usize, u64)> = (0..prepared.len())
        .flat_map(|row| seeds.clone().map(move |seed| (row, seed)))
        .collect();
    let results: Vec<Result<SeedRun, RunError>> = jobs
        .par_iter()
        .map(|&(row, seed)| {
            let result = prepared
                .get(row)
                .ok_or_else(|| RunError::Harness(format!("no scenario for row {row}")))
                .and_then(|scenario| {
                    scenario.with_overrides(&Overrides {
                        seed: Some(seed),
                        ..Overrides::default()
                    })
                })
                .and_then(|scenario| {
                    let outcome = run_scenario(&scenario, false)?;
                    let end_us = scenario.config.duration.saturating_add(scenario.config.quiet);
                    sample(&outcome.report, end_us)
                });
            progress();
            result
        })
        .collect();
    let samples: Vec<SeedRun> = results.into_iter().collect::<Result<_, _>>()?;
    let mut samples = samples.into_iter();
    let rows = prepared
        .iter()
        .map(|scenario| aggregate(scenario, samples.by_ref().take(runs_per_row).collect()))
        .collect();
    Ok(Comparison {
        scenario: request.scenario.name.clone(),
        seeds: (seeds.start, seeds.end),
        rows,
    })
}

/// One row from its runs, in seed order.
fn aggregate(scenario: &Scenario, runs: Vec<SeedRun>) -> Row {
    let metrics = METRICS
        .iter()
        .enumerate()
        .map(|(index, &name)| {
            let samples: Vec<f64> = runs.iter().filter_map(|run| run.metrics[index]).collect();
            stats::stats(name, &samples)
        })
        .collect();
    let invariants = INVARIANTS
        .iter()
        .enumerate()
        .map(|(index, &name)| {
            let count =
                |verdict: Verdict| runs.iter().filter(|run| run.verdicts[index] == verdict).count() as u64;
            InvariantCount {
                name,
                held: count(Verdict::Holds),
                violated: count(Verdict::Violated),
                not_applicable: count(Verdict::NotApplicable),
            }
        })
        .collect();
    Row {
        policy: scenario.config.policy.to_string(),
        implementation: scenario.implementation.to_string(),
        runs: runs.len() as u64,
        metrics,
        invariants,
        per_seed: runs,
    }
}

/// Whether a metric's samples are whole numbers (counts, bytes): `--per-seed` writes them without decimals.
fn integer_metric(name: &str) -> bool {
    !matches!(name, "healing_time_s" | "forgery_window_s" | "delivery_ratio")
}

#[cfg(test)]
mod tests {
    use super::csv::seed_value;
    use super::json::seed_json;

    #[test]
    fn per_seed_values_are_whole_numbers_for_counts() {
        assert_eq!(seed_value("distribution_bytes", Some(5280.0)), "5280");
        assert_eq!(seed_value("healing_time_s", Some(60.25)), "60.250000");
        assert_eq!(seed_value("delivery_ratio", Some(1.0)), "1.000000");
        assert_eq!(seed_value("forgery_window_s", None), "");
        assert_eq!(seed_json("rotations", Some(5.0)), serde_json::json!(5));
        assert_eq!(seed_json("healing_time_s", Some(1.5)), serde_json::json!(1.5));
        assert_eq!(seed_json("healing_time_s", None), serde_json::Value::Null);
    }
}

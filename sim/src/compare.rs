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
//! # Statistics
//!
//! `mean` is the arithmetic mean of the samples, summed in seed order. `p50` and `p95` are nearest-rank
//! percentiles ([`percentile`]): the sample of rank ⌈p/100 · n⌉ (at least 1) among the `n` samples sorted
//! ascending — always one of the samples, never an interpolation. `min` and `max` are the extremes.
//!
//! # CSV columns
//!
//! [`render_csv`] writes a header line and then, for each row in order, one line per metric (in the order of
//! [`METRICS`]) followed by one line per invariant (in the order of [`INVARIANTS`]):
//!
//! | column | metric line | invariant line |
//! |---|---|---|
//! | `policy` | the policy, canonical form | same |
//! | `implementation` | the implementation (`reference/hardened`, `accord`, ...) | same |
//! | `kind` | `metric` | `invariant` |
//! | `name` | the metric's name | the invariant's name |
//! | `runs` | runs in the row | same |
//! | `samples` | runs that gave a sample | empty |
//! | `mean`, `p50`, `p95`, `min`, `max` | the statistics, 6 decimals (empty when NaN) | empty |
//! | `held`, `violated`, `not_applicable` | empty | runs with that verdict |
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
//! # Plot
//!
//! [`render_svg`] draws two panels over the same x axis, `distribution_bytes` per run in bytes, kB, MB or GB
//! (decimal units; the axis label names the one used): above, y = `exposed_after_compromise`; below, y =
//! `post_removal_leaks`. Each row is one point per panel at its means, with whiskers from min to max; a legend
//! below names the points (a colour per policy and a shape per implementation when both vary, otherwise a colour
//! per row). Count axes have distinct whole-number ticks. Points drawn at the same place (within a few pixels)
//! are drawn as larger hollow markers around the earlier ones, noted in the legend and returned as
//! [`Plot::warnings`]; a panel whose quantity cannot arise (no compromise, nobody leaving) says so. Text is
//! written as SVG `<text>` elements; no font is read. Only SVG is written: [`check_plot_path`] refuses any other
//! extension.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;
use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::object::{Columns, Object as _, Rows};
use tabled::settings::{Alignment, Style};

use crate::checkers::{INVARIANTS, Verdict};
use crate::config::CompromiseScope;
use crate::limits::SEEDS_MAX;
use crate::policy::Policy;
use crate::report::Report;
use crate::runner::{Overrides, RunError, run_scenario};
use crate::scenario::Scenario;
use crate::time::as_seconds as seconds;

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

/// The colours of the plot's points (repeating): dark enough to read on white.
const COLOURS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// The metrics the table shows, with their column headers.
const TABLE_METRICS: [(&str, &str); 6] = [
    ("exposed_after_compromise", "exposed after\ncompromise"),
    ("healing_time_s", "healing (s)"),
    ("post_removal_leaks", "post-removal\nleaks"),
    ("distribution_bytes", "distribution\nbytes"),
    ("rotations", "rotations"),
    ("delivery_ratio", "delivery\nratio"),
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
    pub fn invariant(&self, name: &str) -> Option<&InvariantCount> {
        self.invariants.iter().find(|i| i.name == name)
    }
}

/// Statistics of one metric over a row's runs (NaN when no run gave a sample; JSON `null`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricStats {
    /// The metric's stable name (one of [`METRICS`]).
    pub name: &'static str,
    /// Runs that gave a sample (some metrics skip runs, e.g. `healing_time_s` those without a compromise).
    pub samples: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median, nearest rank.
    pub p50: f64,
    /// 95th percentile, nearest rank.
    pub p95: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
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
        .find(|r| r.invariant == "post-removal-secrecy")
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
    for (slot, name) in verdicts.iter_mut().zip(INVARIANTS) {
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

/// The nearest-rank percentile of `sorted` (ascending): the sample of rank ⌈percent/100 · n⌉, at least 1
/// (`percent` above 100 counts as 100). NaN for no samples.
pub fn percentile(sorted: &[f64], percent: u8) -> f64 {
    let n = sorted.len();
    let rank = (usize::from(percent.min(100)) * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

/// Statistics of `samples`, in seed order.
fn stats(name: &'static str, samples: &[f64]) -> MetricStats {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = if samples.is_empty() {
        f64::NAN
    } else {
        samples.iter().sum::<f64>() / samples.len() as f64
    };
    MetricStats {
        name,
        samples: samples.len() as u64,
        mean,
        p50: percentile(&sorted, 50),
        p95: percentile(&sorted, 95),
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
    }
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
            stats(name, &samples)
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

/// Decimals of a metric's mean and of its percentiles in the table: ratios 3 and 3, everything else (counts,
/// bytes, seconds) 1 and 0.
fn decimals(name: &str) -> (usize, usize) {
    match name {
        "delivery_ratio" => (3, 3),
        _ => (1, 0),
    }
}

/// Whether every row has the same implementation (the table and the plot then name it once).
fn one_implementation(c: &Comparison) -> bool {
    c.rows
        .windows(2)
        .all(|pair| pair[0].implementation == pair[1].implementation)
}

/// `value` with `decimals` decimals, or `—` for NaN.
fn fixed(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        "—".to_owned()
    } else {
        format!("{value:.decimals$}")
    }
}

/// A table cell: `mean (p50/p95)`, or `—` without samples.
fn cell(stats: &MetricStats) -> String {
    if stats.samples == 0 {
        return "—".to_owned();
    }
    let (mean, percentiles) = decimals(stats.name);
    format!(
        "{} ({}/{})",
        fixed(stats.mean, mean),
        fixed(stats.p50, percentiles),
        fixed(stats.p95, percentiles)
    )
}

/// The comparison as two tables: the key metrics per row (`mean (p50/p95)`), then per invariant and row the
/// seeds it held in (`k/n`, with the violated and not-applicable counts when there are any). When every row has
/// the same implementation, the first line names it and the tables leave it out.
pub fn render_table(c: &Comparison) -> String {
    let (first, end) = c.seeds;
    let shared = one_implementation(c);
    let mut out = String::new();
    let _ = write!(out, "{}", c.scenario);
    if let (true, Some(row)) = (shared, c.rows.first()) {
        let _ = write!(out, " — {}", row.implementation);
    }
    let _ = writeln!(
        out,
        " — seeds {first}..{end}; each cell: mean (p50/p95) over the seeds"
    );

    let label_columns = if shared { 1 } else { 2 };
    let mut metrics = Builder::default();
    let mut header = vec!["policy".to_owned()];
    if !shared {
        header.push("implementation".to_owned());
    }
    header.extend(TABLE_METRICS.iter().map(|(_, title)| (*title).to_owned()));
    metrics.push_record(header);
    for row in &c.rows {
        let mut record = vec![row.policy.clone()];
        if !shared {
            record.push(row.implementation.clone());
        }
        record.extend(
            TABLE_METRICS
                .iter()
                .map(|(name, _)| row.metric(name).map_or_else(|| "—".to_owned(), cell)),
        );
        metrics.push_record(record);
    }
    let mut table = metrics.build();
    table.with(Style::sharp()).modify(
        Columns::new(label_columns..).not(Rows::first()),
        Alignment::right(),
    );
    out.push_str(&table.to_string());
    out.push('\n');
    if c.rows
        .iter()
        .any(|row| row.metric("healing_time_s").is_some_and(|m| m.samples < row.runs))
    {
        out.push_str("healing (s): over the runs with a compromise; a compromise that never healed counts until the end\n");
    }
    out.push('\n');

    let mut invariants = Builder::default();
    let mut header = vec!["invariant (seeds held)".to_owned()];
    header.extend(c.rows.iter().map(|row| {
        if shared {
            row.policy.clone()
        } else {
            format!("{}\n{}", row.policy, row.implementation)
        }
    }));
    invariants.push_record(header);
    for name in INVARIANTS {
        let mut record = vec![name.to_owned()];
        record.extend(c.rows.iter().map(|row| {
            row.invariant(name).map_or_else(
                || "—".to_owned(),
                |count| {
                    let mut text = format!("{}/{}", count.held, row.runs);
                    if count.violated > 0 {
                        let _ = write!(text, " ({} violated)", count.violated);
                    }
                    if count.not_applicable > 0 {
                        let _ = write!(text, " ({} n/a)", count.not_applicable);
                    }
                    text
                },
            )
        }));
        invariants.push_record(record);
    }
    let mut table = invariants.build();
    table
        .with(Style::sharp())
        .modify(Columns::new(1..).not(Rows::first()), Alignment::right());
    out.push_str(&table.to_string());
    out.push('\n');
    out
}

/// The comparison as pretty JSON: fields in declaration order, NaN as `null`.
pub fn render_json(c: &Comparison) -> String {
    let mut out =
        serde_json::to_string_pretty(c).expect("a comparison has string keys and no fallible field");
    out.push('\n');
    out
}

/// `value` with 6 decimals, or empty for NaN.
fn csv_number(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        format!("{value:.6}")
    }
}

/// The comparison as CSV; the columns are documented in the module documentation.
pub fn render_csv(c: &Comparison) -> String {
    let mut records: Vec<Vec<String>> = vec![
        [
            "policy",
            "implementation",
            "kind",
            "name",
            "runs",
            "samples",
            "mean",
            "p50",
            "p95",
            "min",
            "max",
            "held",
            "violated",
            "not_applicable",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for row in &c.rows {
        for m in &row.metrics {
            records.push(vec![
                row.policy.clone(),
                row.implementation.clone(),
                "metric".to_owned(),
                m.name.to_owned(),
                row.runs.to_string(),
                m.samples.to_string(),
                csv_number(m.mean),
                csv_number(m.p50),
                csv_number(m.p95),
                csv_number(m.min),
                csv_number(m.max),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        for i in &row.invariants {
            let mut record = vec![
                row.policy.clone(),
                row.implementation.clone(),
                "invariant".to_owned(),
                i.name.to_owned(),
                row.runs.to_string(),
            ];
            record.extend(std::iter::repeat_n(String::new(), 6));
            record.extend([
                i.held.to_string(),
                i.violated.to_string(),
                i.not_applicable.to_string(),
            ]);
            records.push(record);
        }
    }
    csv_text(&records)
}

/// `records` as CSV text.
fn csv_text(records: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record)
            .expect("writing CSV to memory cannot fail");
    }
    let bytes = writer.into_inner().expect("flushing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV built from strings is UTF-8")
}

/// Whether a metric's samples are whole numbers (counts, bytes): `--per-seed` writes them without decimals.
fn integer_metric(name: &str) -> bool {
    !matches!(name, "healing_time_s" | "forgery_window_s" | "delivery_ratio")
}

/// One per-seed sample as text: whole-number metrics without decimals, the others with 6; empty without a
/// sample.
fn seed_value(name: &str, value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() && integer_metric(name) => format!("{v:.0}"),
        Some(v) if v.is_finite() => format!("{v:.6}"),
        _ => String::new(),
    }
}

/// Every run as CSV (`--per-seed`): a header line, then one line per (policy, implementation, seed) in row
/// order, seeds ascending; the columns are documented in the module documentation.
pub fn render_csv_per_seed(c: &Comparison) -> String {
    let mut header: Vec<&str> = vec!["policy", "implementation", "seed"];
    header.extend(METRICS);
    header.extend(INVARIANTS);
    let mut records: Vec<Vec<String>> = vec![header.into_iter().map(str::to_owned).collect()];
    for row in &c.rows {
        for run in &row.per_seed {
            let mut record = vec![
                row.policy.clone(),
                row.implementation.clone(),
                run.seed.to_string(),
            ];
            record.extend(
                METRICS
                    .iter()
                    .zip(run.metrics)
                    .map(|(name, value)| seed_value(name, value)),
            );
            record.extend(
                run.verdicts
                    .iter()
                    .map(|&v| crate::output::verdict_name(v).to_owned()),
            );
            records.push(record);
        }
    }
    csv_text(&records)
}

/// A JSON object whose keys keep the order given (serde_json's own map sorts them).
struct Ordered(Vec<(&'static str, serde_json::Value)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A count held in an f64 as an integer: counts are whole numbers below 2^53, so the conversion is exact.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole(value: f64) -> u64 {
    value.round() as u64
}

/// One per-seed sample as JSON: a whole number for counts and bytes, a number for the others, `null` without a
/// sample.
fn seed_json(name: &str, value: Option<f64>) -> serde_json::Value {
    match value {
        Some(v) if v.is_finite() && v >= 0.0 && integer_metric(name) => serde_json::Value::from(whole(v)),
        Some(v) => serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number),
        None => serde_json::Value::Null,
    }
}

/// Every run as pretty JSON (`--per-seed`): `scenario`, `seeds`, then `runs`, one object per (policy,
/// implementation, seed) in row order, seeds ascending, with `policy`, `implementation`, `seed`, `metrics`
/// (name → sample or `null`, in the order of [`METRICS`]) and `verdicts` (name → `holds`, `violated` or
/// `not-applicable`, in the order of [`INVARIANTS`]).
pub fn render_json_per_seed(c: &Comparison) -> String {
    #[derive(Serialize)]
    struct Run<'a> {
        policy: &'a str,
        implementation: &'a str,
        seed: u64,
        metrics: Ordered,
        verdicts: Ordered,
    }
    #[derive(Serialize)]
    struct PerSeed<'a> {
        scenario: &'a str,
        seeds: (u64, u64),
        runs: Vec<Run<'a>>,
    }
    let runs = c
        .rows
        .iter()
        .flat_map(|row| {
            row.per_seed.iter().map(|run| Run {
                policy: &row.policy,
                implementation: &row.implementation,
                seed: run.seed,
                metrics: Ordered(
                    METRICS
                        .iter()
                        .zip(run.metrics)
                        .map(|(&name, value)| (name, seed_json(name, value)))
                        .collect(),
                ),
                verdicts: Ordered(
                    INVARIANTS
                        .iter()
                        .zip(run.verdicts)
                        .map(|(&name, verdict)| {
                            (
                                name,
                                serde_json::Value::from(crate::output::verdict_name(verdict)),
                            )
                        })
                        .collect(),
                ),
            })
        })
        .collect();
    let per_seed = PerSeed {
        scenario: &c.scenario,
        seeds: c.seeds,
        runs,
    };
    let mut out =
        serde_json::to_string_pretty(&per_seed).expect("the runs have string keys and no fallible field");
    out.push('\n');
    out
}

/// The file extensions `--plot` writes (compared without regard to case).
pub const PLOT_EXTENSIONS: [&str; 1] = ["svg"];

/// Checks, before anything runs, that the plot can be written as `path`: its extension must be one of
/// [`PLOT_EXTENSIONS`] (the plot is SVG; a `.png` would otherwise get SVG bytes).
///
/// # Errors
///
/// A message naming the file, the extensions written, and what to do.
pub fn check_plot_path(path: &Path) -> Result<(), String> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let supported = PLOT_EXTENSIONS.map(|e| format!(".{e}")).join(", ");
    match extension.as_deref() {
        Some(e) if PLOT_EXTENSIONS.contains(&e) => Ok(()),
        Some(e) => Err(format!(
            "--plot {}: cannot write a .{e} file; the plot is written as SVG only (supported: {supported}): \
             name the file e.g. plot.svg, and convert it yourself if you need a bitmap \
             (e.g. `rsvg-convert plot.svg -o plot.png`)",
            path.display()
        )),
        None => Err(format!(
            "--plot {}: the file name has no extension; the plot is written as SVG (supported: {supported}): \
             name the file e.g. plot.svg",
            path.display()
        )),
    }
}

/// What [`render_svg`] draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The SVG text.
    pub svg: String,
    /// One line per point drawn at the same place as earlier ones (rows in order), naming them; the plot draws
    /// such a point as a larger hollow marker around the others and says so in its legend.
    pub warnings: Vec<String>,
}

/// The plot's width, the height of its title and of each of its two panels.
const PLOT_WIDTH_PX: i32 = 960;
const TITLE_HEIGHT_PX: i32 = 64;
const PANEL_HEIGHT_PX: i32 = 380;
/// The height of one legend row.
const LEGEND_ROW_PX: i32 = 24;
/// The radius of a marker, and how much larger each marker drawn on earlier ones is.
const MARKER_PX: i32 = 6;
const MARKER_STEP_PX: i32 = 5;
/// Points whose means are this close (pixels, on both axes) are drawn at the same place.
const SAME_PLACE_PX: i32 = 4;

/// The shape of a point's marker: one per implementation when there are several (the colour is the policy's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
}

const SHAPES: [Shape; 5] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::TriangleDown,
];

impl Shape {
    /// The outline of a polygonal marker of radius `r` around (0, 0), in pixels; empty for a circle.
    fn outline(self, r: i32) -> Vec<(i32, i32)> {
        let s = r * 7 / 8;
        match self {
            Self::Circle => Vec::new(),
            Self::Square => vec![(-s, -s), (s, -s), (s, s), (-s, s)],
            Self::Triangle => vec![(0, -r), (r, r * 3 / 4), (-r, r * 3 / 4)],
            Self::TriangleDown => vec![(0, r), (r, -r * 3 / 4), (-r, -r * 3 / 4)],
            Self::Diamond => vec![(0, -r), (r, 0), (0, r), (-r, 0)],
        }
    }
}

/// A linear axis from 0 to `top` with a tick every `step`; `decimals` for the tick labels.
#[derive(Clone, Debug, PartialEq)]
struct Axis {
    top: f64,
    step: f64,
    decimals: usize,
}

impl Axis {
    /// An axis for values from 0 to `max`: 4 to 7 ticks at a "nice" step (1, 2 or 5 × 10^k), the top one tick
    /// past `max`. An `integer` axis (counts) steps by whole numbers, so its ticks are distinct integers.
    fn new(max: f64, integer: bool) -> Self {
        let max = if max.is_finite() && max > 0.0 { max } else { 0.0 };
        let raw = if max > 0.0 { max / 5.0 } else { 0.2 };
        let base = 10f64.powf(raw.log10().floor());
        let nice = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .find(|n| n * base >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0);
        let mut step = nice * base;
        if integer && step < 1.0 {
            step = 1.0;
        }
        let top = step * ((max / step).floor() + 1.0);
        // A step of 1, 2 or 5 × 10^-k needs k decimals.
        let mut decimals = 0;
        let mut scaled = step;
        while scaled < 1.0 - 1e-9 && decimals < 12 {
            scaled *= 10.0;
            decimals += 1;
        }
        Self { top, step, decimals }
    }

    /// The tick values, 0 to `top`.
    fn ticks(&self) -> Vec<f64> {
        (0..=64u32)
            .map(|i| f64::from(i) * self.step)
            .take_while(|v| *v <= self.top + self.step * 1e-6)
            .collect()
    }

    /// A tick's label: `decimals` decimals, thousands separated by commas.
    fn label(&self, value: f64) -> String {
        let text = format!("{:.*}", self.decimals, value);
        let (int, frac) = text
            .split_once('.')
            .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
        let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        match frac {
            Some(f) => format!("{sign}{grouped}.{f}"),
            None => format!("{sign}{grouped}"),
        }
    }
}

/// An [`Axis`] as a plotters coordinate whose key points are exactly the axis's ticks.
struct Ticked {
    top: f64,
    ticks: Vec<f64>,
}

impl From<&Axis> for Ticked {
    fn from(axis: &Axis) -> Self {
        Self {
            top: axis.top,
            ticks: axis.ticks(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        RangedCoordf64::from(0.0..self.top).map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        0.0..self.top
    }
}

/// The unit of the x axis for distribution sizes up to `max_bytes`: bytes, kB, MB or GB (decimal: 1 kB = 1,000
/// bytes), whichever keeps the numbers below 1,000; its size in bytes and its name.
fn byte_unit(max_bytes: f64) -> (f64, &'static str) {
    [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
        .into_iter()
        .find(|(size, _)| max_bytes >= *size)
        .unwrap_or((1.0, "bytes"))
}

/// The plot as SVG: two panels sharing the x axis (distribution bytes per run, in kB or MB), one point per row
/// in each at its means with min–max whiskers — the messages exposed after a compromise above, the post-removal
/// leaks below — and a legend naming each point (colour per policy, shape per implementation). Points at the
/// same place are drawn as concentric markers, named in the legend and in [`Plot::warnings`]. A panel whose
/// quantity cannot arise in the scenario (no compromise, nobody leaving) says so.
///
/// # Errors
///
/// A message if plotters fails to draw.
pub fn render_svg(c: &Comparison) -> Result<Plot, String> {
    struct Point {
        label: String,
        colour: RGBColor,
        shape: Shape,
        /// Min, mean and max, in the x axis's unit.
        x: (f64, f64, f64),
        /// Min, mean and max in each panel; `None` without samples.
        y: [Option<(f64, f64, f64)>; 2],
    }
    struct Panel {
        title: &'static str,
        short: &'static str,
        metric: &'static str,
        y_desc: &'static str,
        empty_note: Option<&'static str>,
    }
    let error = |e: &dyn std::fmt::Display| format!("drawing the plot: {e}");
    let triple = |m: &MetricStats| {
        [m.min, m.mean, m.max]
            .iter()
            .all(|v| v.is_finite())
            .then_some((m.min, m.mean, m.max))
    };
    let no_compromise = c
        .rows
        .iter()
        .all(|row| row.metric("healing_time_s").is_none_or(|m| m.samples == 0));
    let nobody_left = c.rows.iter().all(|row| {
        row.invariant("post-removal-secrecy")
            .is_none_or(|i| i.not_applicable == row.runs)
    });
    let panels = [
        Panel {
            title: "Exposure after a compromise",
            short: "exposure",
            metric: "exposed_after_compromise",
            y_desc: "messages exposed after the compromise, per run",
            empty_note: no_compromise.then_some("no compromise in this scenario: nothing is exposed"),
        },
        Panel {
            title: "Post-removal leaks: what departed members still read",
            short: "post-removal leaks",
            metric: "post_removal_leaks",
            y_desc: "messages read after leaving, per run",
            empty_note: nobody_left.then_some("nobody leaves in this scenario: nothing can leak"),
        },
    ];

    // Colour per policy and shape per implementation when both vary; otherwise colour per row.
    let mut policies: Vec<&str> = Vec::new();
    let mut implementations: Vec<&str> = Vec::new();
    for row in &c.rows {
        if !policies.contains(&row.policy.as_str()) {
            policies.push(&row.policy);
        }
        if !implementations.contains(&row.implementation.as_str()) {
            implementations.push(&row.implementation);
        }
    }
    let shared = implementations.len() <= 1;
    let max_bytes = c
        .rows
        .iter()
        .filter_map(|row| row.metric("distribution_bytes"))
        .map(|m| m.max)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (unit_bytes, unit) = byte_unit(max_bytes);
    let points: Vec<Point> = c
        .rows
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let x = triple(row.metric("distribution_bytes")?)?;
            let y = panels
                .each_ref()
                .map(|panel| row.metric(panel.metric).and_then(triple));
            let policy = policies.iter().position(|p| *p == row.policy).unwrap_or(0);
            let implementation = implementations
                .iter()
                .position(|i| *i == row.implementation)
                .unwrap_or(0);
            let (colour, shape) = if policies.len() > 1 && !shared {
                (policy, implementation)
            } else {
                (index, index / COLOURS.len())
            };
            let (r, g, b) = COLOURS[colour % COLOURS.len()];
            Some(Point {
                label: if shared {
                    row.policy.clone()
                } else {
                    format!("{} — {}", row.policy, row.implementation)
                },
                colour: RGBColor(r, g, b),
                shape: SHAPES[shape % SHAPES.len()],
                x: (x.0 / unit_bytes, x.1 / unit_bytes, x.2 / unit_bytes),
                y,
            })
        })
        .collect();

    let x_axis = Axis::new(max_bytes / unit_bytes, unit == "bytes");
    let x_desc = if unit == "bytes" {
        "key distribution sent per run, in bytes".to_owned()
    } else {
        format!(
            "key distribution sent per run, in {unit} (1 {unit} = {} bytes)",
            Axis::new(0.0, true).label(unit_bytes)
        )
    };
    let legend_rows = i32::try_from(points.len()).unwrap_or(i32::MAX);
    let legend_top = TITLE_HEIGHT_PX + 2 * PANEL_HEIGHT_PX;
    let height = legend_top
        .saturating_add(legend_rows.saturating_mul(LEGEND_ROW_PX))
        .saturating_add(LEGEND_ROW_PX);
    let size = (
        u32::try_from(PLOT_WIDTH_PX).unwrap_or(960),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    let text =
        |size: i32, h: HPos| TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(h, VPos::Center));

    let labels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let shorts = panels.each_ref().map(|p| p.short);
    // For each point and panel, the earlier points it is drawn on (same place, in pixels).
    let mut same_place: Vec<[Vec<usize>; 2]> = points.iter().map(|_| [Vec::new(), Vec::new()]).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| error(&e))?;
        let mut subtitle = String::new();
        if let (true, Some(implementation)) = (shared, implementations.first()) {
            let _ = write!(subtitle, "{implementation} — ");
        }
        let _ = write!(
            subtitle,
            "seeds {}..{}; each point: the mean over the seeds, whiskers from min to max",
            c.seeds.0, c.seeds.1
        );
        root.draw(&Text::new(
            c.scenario.clone(),
            (PLOT_WIDTH_PX / 2, 22),
            text(22, HPos::Center),
        ))
        .map_err(|e| error(&e))?;
        root.draw(&Text::new(
            subtitle,
            (PLOT_WIDTH_PX / 2, 48),
            text(14, HPos::Center),
        ))
        .map_err(|e| error(&e))?;
        for (p, panel) in panels.iter().enumerate() {
            let p_px = i32::try_from(p).unwrap_or(0);
            let top = TITLE_HEIGHT_PX + p_px * PANEL_HEIGHT_PX;
            let area = root.clone().shrink((0, top), (PLOT_WIDTH_PX, PANEL_HEIGHT_PX));
            let y_max = points
                .iter()
                .filter_map(|point| point.y[p])
                .map(|y| y.2)
                .fold(0.0, f64::max);
            let y_axis = Axis::new(y_max, true);
            let mut chart = ChartBuilder::on(&area)
                .caption(panel.title, ("sans-serif", 17))
                .margin_left(20)
                .margin_right(40)
                .margin_top(8)
                .margin_bottom(8)
                .x_label_area_size(48)
                .y_label_area_size(84)
                .build_cartesian_2d(Ticked::from(&x_axis), Ticked::from(&y_axis))
                .map_err(|e| error(&e))?;
            chart
                .configure_mesh()
                .x_desc(x_desc.as_str())
                .y_desc(panel.y_desc)
                .bold_line_style(RGBColor(225, 225, 225))
                .light_line_style(WHITE)
                .label_style(("sans-serif", 13))
                .x_label_formatter(&|v| x_axis.label(*v))
                .y_label_formatter(&|v| y_axis.label(*v))
                .draw()
                .map_err(|e| error(&e))?;
            if let Some(note) = panel.empty_note {
                let at = chart.backend_coord(&(x_axis.top / 2.0, y_axis.top * 0.6));
                root.draw(&Text::new(
                    note,
                    at,
                    text(15, HPos::Center).color(&RGBColor(90, 90, 90)),
                ))
                .map_err(|e| error(&e))?;
            }
            let mut placed: Vec<(usize, (i32, i32))> = Vec::new();
            for (index, point) in points.iter().enumerate() {
                let Some((y_min, y, y_max)) = point.y[p] else {
                    continue;
                };
                let (x_min, x, x_max) = point.x;
                let style = point.colour.stroke_width(2);
                chart
                    .draw_series([
                        PathElement::new(vec![(x_min, y), (x_max, y)], style),
                        PathElement::new(vec![(x, y_min), (x, y_max)], style),
                    ])
                    .map_err(|e| error(&e))?;
                let at = chart.backend_coord(&(x, y));
                let under: Vec<usize> = placed
                    .iter()
                    .filter(|(_, other)| {
                        (other.0 - at.0).abs() <= SAME_PLACE_PX && (other.1 - at.1).abs() <= SAME_PLACE_PX
                    })
                    .map(|(other, _)| *other)
                    .collect();
                let depth = i32::try_from(under.len()).unwrap_or(0);
                let radius = MARKER_PX.saturating_add(depth.saturating_mul(MARKER_STEP_PX));
                draw_marker(&root, at, point.shape, radius, point.colour, under.is_empty())?;
                if let Some(slot) = same_place.get_mut(index) {
                    slot[p] = under;
                }
                placed.push((index, at));
            }
        }

        // The legend, one row per point, below the panels.
        for (index, point) in points.iter().enumerate() {
            let row = i32::try_from(index).unwrap_or(0);
            let y = legend_top + LEGEND_ROW_PX / 2 + 6 + row * LEGEND_ROW_PX;
            draw_marker(&root, (110, y), point.shape, MARKER_PX, point.colour, true)?;
            let mut label = point.label.clone();
            if let Some(note) = same_place
                .get(index)
                .and_then(|s| same_place_note(&labels, s, shorts))
            {
                let _ = write!(label, "   (at the same place as {note}: drawn hollow around it)");
            }
            root.draw(&Text::new(label, (126, y), text(14, HPos::Left)))
                .map_err(|e| error(&e))?;
        }
        root.present().map_err(|e| error(&e))?;
    }
    let warnings = same_place
        .iter()
        .zip(&labels)
        .filter_map(|(slot, label)| {
            let note = same_place_note(&labels, slot, shorts)?;
            Some(format!(
                "the plot draws `{label}` at the same place as {note} (drawn hollow around it)"
            ))
        })
        .collect();
    Ok(Plot { svg, warnings })
}

/// Which earlier points one point is drawn on, e.g. "`never` in both panels" or "`a` and `b` in the exposure
/// panel"; `None` when it is drawn on none. `under` lists them per panel, `panels` names the panels.
fn same_place_note(labels: &[String], under: &[Vec<usize>; 2], panels: [&str; 2]) -> Option<String> {
    let names = |indices: &[usize]| {
        let names: Vec<String> = indices
            .iter()
            .map(|&i| format!("`{}`", labels.get(i).map_or("?", String::as_str)))
            .collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.concat(),
        }
    };
    if under[0].is_empty() && under[1].is_empty() {
        return None;
    }
    if under[0] == under[1] {
        return Some(format!("{} in both panels", names(&under[0])));
    }
    let parts: Vec<String> = under
        .iter()
        .zip(panels)
        .filter(|(indices, _)| !indices.is_empty())
        .map(|(indices, panel)| format!("{} in the {panel} panel", names(indices)))
        .collect();
    Some(parts.join("; "))
}

/// Draws a marker of radius `radius` centred on the pixel `at`: filled, or as a hollow outline (a point drawn
/// around earlier ones at the same place).
fn draw_marker(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    at: (i32, i32),
    shape: Shape,
    radius: i32,
    colour: RGBColor,
    filled: bool,
) -> Result<(), String> {
    let error = |e: &dyn std::fmt::Display| format!("drawing the plot: {e}");
    let style = if filled {
        colour.filled()
    } else {
        colour.stroke_width(2)
    };
    let outline: Vec<(i32, i32)> = shape
        .outline(radius)
        .into_iter()
        .map(|(dx, dy)| (at.0 + dx, at.1 + dy))
        .collect();
    if outline.is_empty() {
        area.draw(&Circle::new(at, radius, style)).map_err(|e| error(&e))
    } else if filled {
        area.draw(&Polygon::new(outline, style)).map_err(|e| error(&e))
    } else {
        let mut path = outline.clone();
        path.extend(outline.first().copied());
        area.draw(&PathElement::new(path, style)).map_err(|e| error(&e))
    }
}

/// Draws the comparison as an SVG file at `path` (see [`render_svg`]) and returns the plot's warnings.
///
/// # Errors
///
/// A message naming the file if its extension is not one of [`PLOT_EXTENSIONS`] (see [`check_plot_path`]) or it
/// cannot be written, or if plotters fails to draw.
pub fn plot_svg(c: &Comparison, path: &Path) -> Result<Vec<String>, String> {
    check_plot_path(path)?;
    let plot = render_svg(c)?;
    std::fs::write(path, plot.svg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(plot.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_of_one_sample_is_that_sample() {
        for percent in [0, 1, 50, 95, 100] {
            assert_eq!(percentile(&[7.0], percent), 7.0);
        }
    }

    #[test]
    fn percentile_of_two_samples() {
        let sorted = [1.0, 2.0];
        assert_eq!(percentile(&sorted, 0), 1.0);
        assert_eq!(percentile(&sorted, 50), 1.0);
        assert_eq!(percentile(&sorted, 51), 2.0);
        assert_eq!(percentile(&sorted, 95), 2.0);
        assert_eq!(percentile(&sorted, 100), 2.0);
    }

    #[test]
    fn percentile_of_twenty_samples() {
        let sorted: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0), 1.0);
        assert_eq!(percentile(&sorted, 5), 1.0);
        assert_eq!(percentile(&sorted, 6), 2.0);
        assert_eq!(percentile(&sorted, 50), 10.0);
        assert_eq!(percentile(&sorted, 95), 19.0);
        assert_eq!(percentile(&sorted, 96), 20.0);
        assert_eq!(percentile(&sorted, 100), 20.0);
        assert_eq!(percentile(&sorted, 255), 20.0);
    }

    #[test]
    fn percentile_of_nothing_is_nan() {
        assert!(percentile(&[], 50).is_nan());
    }

    #[test]
    fn stats_over_no_samples_are_nan() {
        let s = stats("healing_time_s", &[]);
        assert_eq!(s.samples, 0);
        assert!([s.mean, s.p50, s.p95, s.min, s.max].iter().all(|v| v.is_nan()));
        assert_eq!(cell(&s), "—");
    }

    #[test]
    fn stats_use_seed_order_for_the_mean_and_sorted_order_for_ranks() {
        let s = stats("rotations", &[3.0, 1.0, 2.0, 10.0]);
        assert_eq!(s.samples, 4);
        assert_eq!(s.mean, 4.0);
        assert_eq!((s.p50, s.p95, s.min, s.max), (2.0, 10.0, 1.0, 10.0));
        assert_eq!(cell(&s), "4.0 (2/10)");
        assert_eq!(cell(&stats("healing_time_s", &[60.25])), "60.2 (60/60)");
        assert_eq!(cell(&stats("delivery_ratio", &[1.0, 0.5])), "0.750 (0.500/1.000)");
    }

    #[test]
    fn integer_axes_have_distinct_integer_ticks() {
        for max in [
            0.0,
            0.25,
            0.5,
            1.0,
            1.5,
            2.0,
            3.0,
            4.9,
            5.0,
            7.5,
            10.0,
            99.0,
            917.5,
            2633.0,
            1e6,
            f64::NAN,
        ] {
            let axis = Axis::new(max, true);
            let labels: Vec<String> = axis.ticks().iter().map(|&v| axis.label(v)).collect();
            let values: Vec<u64> = labels
                .iter()
                .map(|l| {
                    l.replace(',', "")
                        .parse()
                        .unwrap_or_else(|_| panic!("{max}: {l} is an integer"))
                })
                .collect();
            assert!(values.windows(2).all(|w| w[0] < w[1]), "{max}: {labels:?}");
            assert!((2..=7).contains(&values.len()), "{max}: {labels:?}");
            assert_eq!(values.first(), Some(&0), "{max}: {labels:?}");
            assert!(max.is_nan() || axis.top > max, "{max}: top {}", axis.top);
        }
        let no_compromise = Axis::new(0.0, true);
        let labels: Vec<String> = no_compromise
            .ticks()
            .iter()
            .map(|&v| no_compromise.label(v))
            .collect();
        assert_eq!(labels, ["0", "1"]);
        let leaks = Axis::new(2633.0, true);
        let labels: Vec<String> = leaks.ticks().iter().map(|&v| leaks.label(v)).collect();
        assert_eq!(labels, ["0", "1,000", "2,000", "3,000"]);
    }

    #[test]
    fn fractional_axes_step_by_round_numbers_with_matching_decimals() {
        let mb = Axis::new(1.872_992, false);
        let labels: Vec<String> = mb.ticks().iter().map(|&v| mb.label(v)).collect();
        assert_eq!(labels, ["0.0", "0.5", "1.0", "1.5", "2.0"]);
        let small = Axis::new(0.06, false);
        let labels: Vec<String> = small.ticks().iter().map(|&v| small.label(v)).collect();
        assert_eq!(labels, ["0.00", "0.02", "0.04", "0.06", "0.08"]);
        assert_eq!(Axis::new(1_234_567.0, true).label(1_234_567.0), "1,234,567");
    }

    #[test]
    fn distribution_sizes_get_a_unit_below_a_thousand() {
        assert_eq!(byte_unit(0.0), (1.0, "bytes"));
        assert_eq!(byte_unit(999.0), (1.0, "bytes"));
        assert_eq!(byte_unit(16_576.0), (1e3, "kB"));
        assert_eq!(byte_unit(2_000_000.0), (1e6, "MB"));
        assert_eq!(byte_unit(3e9), (1e9, "GB"));
    }

    #[test]
    fn plot_paths_must_end_in_svg() {
        assert_eq!(check_plot_path(Path::new("out/plot.svg")), Ok(()));
        assert_eq!(check_plot_path(Path::new("PLOT.SVG")), Ok(()));
        let error = check_plot_path(Path::new("out.png")).unwrap_err();
        assert!(
            error.starts_with("--plot out.png: cannot write a .png file")
                && error.contains("supported: .svg"),
            "{error}"
        );
        let error = check_plot_path(Path::new("plot")).unwrap_err();
        assert!(
            error.contains("no extension") && error.contains("supported: .svg"),
            "{error}"
        );
    }

    #[test]
    fn same_place_notes_name_the_points_and_panels() {
        let labels = ["a", "b", "c"].map(str::to_owned);
        let panels = ["exposure", "post-removal leaks"];
        assert_eq!(same_place_note(&labels, &[vec![], vec![]], panels), None);
        assert_eq!(
            same_place_note(&labels, &[vec![0], vec![0]], panels).as_deref(),
            Some("`a` in both panels")
        );
        assert_eq!(
            same_place_note(&labels, &[vec![0, 1], vec![1]], panels).as_deref(),
            Some("`a` and `b` in the exposure panel; `b` in the post-removal leaks panel")
        );
    }

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

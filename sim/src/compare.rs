//! `sksim compare`: one scenario under several rotation policies and implementations, over a range of seeds,
//! summarised per (policy, implementation) — statistics of each metric, and how many seeds each invariant held
//! in — as a table, JSON, CSV or an SVG plot.
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
//! # Plot
//!
//! [`plot_svg`] draws one point per row: x = `distribution_bytes`, y = `exposed_after_compromise`, each at its
//! mean, with whiskers from min to max; the points are labelled with the policy (and the implementation when
//! the rows do not all share one). Text is written as SVG `<text>` elements; no font is read.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;
use serde::Serialize;
use tabled::builder::Builder;
use tabled::settings::object::{Columns, Object as _, Rows};
use tabled::settings::{Alignment, Style};

use crate::checkers::{INVARIANTS, Verdict};
use crate::config::CompromiseScope;
use crate::policy::Policy;
use crate::report::Report;
use crate::runner::{Overrides, RunError, run_scenario};
use crate::scenario::Scenario;

/// Most seeds one comparison runs (per policy and implementation).
pub const SEEDS_MAX: u64 = 1_000_000;

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

/// The colours of the plot's points, in row order (repeating): dark enough to read on white.
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

/// The plot's width, and the height of its chart (the legend below adds a row per point).
const PLOT_WIDTH_PX: u32 = 960;
const CHART_HEIGHT_PX: u32 = 640;
/// The height of one legend row.
const LEGEND_ROW_PX: u32 = 22;

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

/// What one run contributes: a sample per metric (if any) and a verdict per invariant.
struct RunSample {
    metrics: [Option<f64>; METRICS.len()],
    verdicts: [Verdict; INVARIANTS.len()],
}

/// Microseconds to seconds.
fn seconds(us: u64) -> f64 {
    us as f64 / 1e6
}

/// The samples of one run. `end_us` is the end of the run (duration + quiet).
fn sample(report: &Report, end_us: u64) -> Result<RunSample, RunError> {
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
    Ok(RunSample { metrics, verdicts })
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
    let results: Vec<Result<RunSample, RunError>> = jobs
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
    let samples: Vec<RunSample> = results.into_iter().collect::<Result<_, _>>()?;
    let rows = prepared
        .iter()
        .zip(samples.chunks(runs_per_row))
        .map(|(scenario, runs)| aggregate(scenario, runs))
        .collect();
    Ok(Comparison {
        scenario: request.scenario.name.clone(),
        seeds: (seeds.start, seeds.end),
        rows,
    })
}

/// One row from its runs, in seed order.
fn aggregate(scenario: &Scenario, runs: &[RunSample]) -> Row {
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
    let mut writer = csv::Writer::from_writer(Vec::new());
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
    for record in &records {
        writer
            .write_record(record)
            .expect("writing CSV to memory cannot fail");
    }
    let bytes = writer.into_inner().expect("flushing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV built from strings is UTF-8")
}

/// The plot of [`plot_svg`] as SVG text.
///
/// # Errors
///
/// A message if plotters fails to draw.
pub fn render_svg(c: &Comparison) -> Result<String, String> {
    struct Point {
        label: String,
        x: (f64, f64, f64),
        y: (f64, f64, f64),
    }
    let shared = one_implementation(c);
    let points: Vec<Point> = c
        .rows
        .iter()
        .filter_map(|row| {
            let x = row.metric("distribution_bytes")?;
            let y = row.metric("exposed_after_compromise")?;
            let finite = [x.mean, x.min, x.max, y.mean, y.min, y.max]
                .iter()
                .all(|v| v.is_finite());
            finite.then(|| Point {
                label: if shared {
                    row.policy.clone()
                } else {
                    format!("{} ({})", row.policy, row.implementation)
                },
                x: (x.min, x.mean, x.max),
                y: (y.min, y.mean, y.max),
            })
        })
        .collect();
    let x_max_axis = points.iter().map(|p| p.x.2).fold(0.0, f64::max).max(1.0) * 1.15;
    let y_max_axis = points.iter().map(|p| p.y.2).fold(0.0, f64::max).max(1.0) * 1.15;
    let error = |e: &dyn std::fmt::Display| format!("drawing the plot: {e}");

    // The legend goes below the chart, one line per point, so it never hides a point.
    let legend_rows = u32::try_from(points.len()).unwrap_or(u32::MAX);
    let legend_height = if points.is_empty() {
        0
    } else {
        legend_rows
            .saturating_mul(LEGEND_ROW_PX)
            .saturating_add(LEGEND_ROW_PX)
    };
    let mut svg = String::new();
    {
        let size = (PLOT_WIDTH_PX, CHART_HEIGHT_PX.saturating_add(legend_height));
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| error(&e))?;
        let (top, legend) = root.split_vertically(CHART_HEIGHT_PX);
        let mut chart = ChartBuilder::on(&top)
            .caption(&c.scenario, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max_axis, 0.0..y_max_axis)
            .map_err(|e| error(&e))?;
        chart
            .configure_mesh()
            .x_desc("key distribution (bytes per run; mean, whiskers min–max)")
            .y_desc("messages exposed after compromise (per run)")
            .light_line_style(WHITE)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| error(&e))?;
        let right_px = chart.plotting_area().get_pixel_range().0.end;
        let mut legend_y = i32::try_from(LEGEND_ROW_PX / 2).unwrap_or(0);
        for (index, point) in points.iter().enumerate() {
            let (r, g, b) = COLOURS[index % COLOURS.len()];
            let colour = RGBColor(r, g, b);
            let (x_min, x, x_max) = point.x;
            let (y_min, y, y_max) = point.y;
            chart
                .draw_series([
                    PathElement::new(vec![(x_min, y), (x_max, y)], colour.stroke_width(2)),
                    PathElement::new(vec![(x, y_min), (x, y_max)], colour.stroke_width(2)),
                ])
                .map_err(|e| error(&e))?;
            // A label starts right of its point, or ends left of it when it would not fit (about 8 pixels per
            // character at 14 pixels).
            let label_px = i32::try_from(point.label.chars().count())
                .unwrap_or(i32::MAX)
                .saturating_mul(8);
            let fits = chart
                .backend_coord(&(x, y))
                .0
                .saturating_add(8)
                .saturating_add(label_px)
                <= right_px;
            let (anchor, dx) = if fits { (HPos::Left, 8) } else { (HPos::Right, -8) };
            let style = TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(anchor, VPos::Bottom));
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x, y))
                        + Circle::new((0, 0), 5, colour.filled())
                        + Text::new(point.label.clone(), (dx, -6), style),
                ))
                .map_err(|e| error(&e))?;
            legend
                .draw(
                    &(EmptyElement::at((90, legend_y))
                        + Circle::new((0, 0), 5, colour.filled())
                        + Text::new(point.label.clone(), (12, -8), ("sans-serif", 14).into_font())),
                )
                .map_err(|e| error(&e))?;
            legend_y = legend_y.saturating_add(i32::try_from(LEGEND_ROW_PX).unwrap_or(0));
        }
        root.present().map_err(|e| error(&e))?;
    }
    Ok(svg)
}

/// Draws the comparison as an SVG file at `path`: one point per row, x = distribution bytes, y = messages
/// exposed after compromise, at the means with min–max whiskers; the title is the scenario's name.
///
/// # Errors
///
/// A message naming the file if it cannot be written, or if plotters fails to draw.
pub fn plot_svg(c: &Comparison, path: &Path) -> Result<(), String> {
    let svg = render_svg(c)?;
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))
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
}

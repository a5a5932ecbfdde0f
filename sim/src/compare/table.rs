//! The comparison as a table for people: one line per row, the main metrics as `mean (p50/p95)`, then how
//! many runs each invariant held in.

use std::fmt::Write as _;

use tabled::builder::Builder;
use tabled::settings::object::{Columns, Object as _, Rows};
use tabled::settings::{Alignment, Style};

use super::{Comparison, MetricStats};
use crate::checkers::Invariant;

/// The metrics the table shows, with their column headers.
const TABLE_METRICS: [(&str, &str); 6] = [
    ("exposed_after_compromise", "exposed after\ncompromise"),
    ("healing_time_s", "healing (s)"),
    ("post_removal_leaks", "post-removal\nleaks"),
    ("distribution_bytes", "distribution\nbytes"),
    ("rotations", "rotations"),
    ("delivery_ratio", "delivery\nratio"),
];

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
pub(super) fn cell(stats: &MetricStats) -> String {
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
    for invariant in Invariant::ALL {
        let mut record = vec![invariant.name().to_owned()];
        record.extend(c.rows.iter().map(|row| {
            row.invariant(invariant).map_or_else(
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

#[cfg(test)]
mod tests {
    use super::super::stats::stats;
    use super::*;

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

//! The comparison as CSV: the summary ([`render_csv`]) and every run ([`render_csv_per_seed`]).
//!
//! # Columns of the summary
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

use super::{Comparison, METRICS, integer_metric};
use crate::checkers::INVARIANTS;

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
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record)
            .expect("writing CSV to memory cannot fail");
    }
    let bytes = writer.into_inner().expect("flushing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV built from strings is UTF-8")
}

/// One per-seed sample as text: whole-number metrics without decimals, the others with 6; empty without a
/// sample.
pub(super) fn seed_value(name: &str, value: Option<f64>) -> String {
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

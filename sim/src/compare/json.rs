//! The comparison as JSON: the summary ([`render_json`], fields in declaration order, NaN as `null`) and every
//! run ([`render_json_per_seed`]).

use serde::Serialize;

use super::{Comparison, METRICS, integer_metric};
use crate::checkers::INVARIANTS;

/// The comparison as pretty JSON: fields in declaration order, NaN as `null`.
pub fn render_json(c: &Comparison) -> String {
    let mut out =
        serde_json::to_string_pretty(c).expect("a comparison has string keys and no fallible field");
    out.push('\n');
    out
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
pub(super) fn seed_json(name: &str, value: Option<f64>) -> serde_json::Value {
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

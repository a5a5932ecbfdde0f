//! Statistics of one metric over a row's runs.
//!
//! `mean` is the arithmetic mean of the samples, summed in seed order. `p50` and `p95` are nearest-rank
//! percentiles ([`percentile`]): the sample of rank ⌈p/100 · n⌉ (at least 1) among the `n` samples sorted
//! ascending — always one of the samples, never an interpolation. `min` and `max` are the extremes.

use serde::Serialize;

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

/// The nearest-rank percentile of `sorted` (ascending): the sample of rank ⌈percent/100 · n⌉, at least 1
/// (`percent` above 100 counts as 100). NaN for no samples.
pub fn percentile(sorted: &[f64], percent: u8) -> f64 {
    let n = sorted.len();
    let rank = (usize::from(percent.min(100)) * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

/// Statistics of `samples`, in seed order.
pub(super) fn stats(name: &'static str, samples: &[f64]) -> MetricStats {
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
}

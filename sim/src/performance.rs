//! How fast a run went: the `performance` section of `sksim run`'s JSON report.
//!
//! It is the only part of a report that may differ between two runs of the same scenario and seed: it is
//! measured around the run (wall time, the process's peak resident memory), never fed back into it, and not part
//! of the trace or its hash. Everything else in the report is a function of the scenario and the seed.

use serde::Serialize;

/// What one run cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Performance {
    /// Wall-clock time of the simulation (parsing and printing excluded), in microseconds.
    pub wall_time_us: u64,
    /// Deliveries in the run: one envelope decrypted, or rejected, by one receiver.
    pub deliveries: u64,
    /// `deliveries` per second of `wall_time_us` (0 for a run too short to time).
    pub deliveries_per_second: u64,
    /// The process's peak resident memory so far (Linux `VmHWM`), in bytes; `None` where the system does not
    /// say. For `sksim run` that is the run's peak.
    pub peak_memory_bytes: Option<u64>,
    /// Whether pure work was memoised (`false` under `--no-memo`).
    pub memo: bool,
}

impl Performance {
    /// Runs `run`, timing it, and measures what it cost; `deliveries` reads the delivery count off its result.
    pub fn measure<T>(run: impl FnOnce() -> T, deliveries: impl FnOnce(&T) -> u64) -> (T, Performance) {
        // Timing a run for its report's `performance` section, which is excluded from the trace and its hash and
        // never reaches the simulation.
        let started = std::time::Instant::now(); // determinism: timing the run for its report, outside the run
        let result = run();
        let elapsed = started.elapsed();
        let deliveries = deliveries(&result);
        (
            result,
            Performance::from_measurements(elapsed, deliveries, peak_memory_bytes()),
        )
    }

    /// The section for a run of `deliveries` deliveries that took `elapsed`.
    pub fn from_measurements(
        elapsed: std::time::Duration,
        deliveries: u64,
        peak_memory_bytes: Option<u64>,
    ) -> Performance {
        let wall_time_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let deliveries_per_second = if wall_time_us == 0 {
            0
        } else {
            u64::try_from(u128::from(deliveries) * 1_000_000 / u128::from(wall_time_us)).unwrap_or(u64::MAX)
        };
        Performance {
            wall_time_us,
            deliveries,
            deliveries_per_second,
            peak_memory_bytes,
            memo: true,
        }
    }

    /// The same figures, saying whether pure work was memoised.
    pub fn with_memo(self, memo: bool) -> Performance {
        Performance { memo, ..self }
    }

    /// One line for people: `1.234 s, 56,789 deliveries/s, peak memory 12.3 MB` (and `, no memo` under
    /// `--no-memo`).
    pub fn summary(&self) -> String {
        let memory = match self.peak_memory_bytes {
            Some(bytes) => format!(", peak memory {}", megabytes(bytes)),
            None => String::new(),
        };
        let memo = if self.memo { "" } else { ", no memo" };
        format!(
            "{}.{:03} s, {} deliveries/s{memory}{memo}",
            self.wall_time_us / 1_000_000,
            self.wall_time_us / 1_000 % 1_000,
            grouped(self.deliveries_per_second)
        )
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{}.{} MB", bytes / 1_000_000, bytes / 100_000 % 10)
}

/// `1234567` as `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The process's peak resident set size, from `/proc/self/status` (`VmHWM`), in bytes; `None` where there is
/// no such file or line.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:   1234 kB` line of a `/proc/<pid>/status` text, in bytes.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let mut fields = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next()? {
        "kB" => value.checked_mul(1024),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rates_and_summary() {
        let p = Performance::from_measurements(Duration::from_millis(2_500), 5_000_000, Some(123_456_789));
        assert_eq!(p.wall_time_us, 2_500_000);
        assert_eq!(p.deliveries_per_second, 2_000_000);
        assert_eq!(
            p.summary(),
            "2.500 s, 2,000,000 deliveries/s, peak memory 123.4 MB"
        );
        let instant = Performance::from_measurements(Duration::ZERO, 10, None);
        assert_eq!(instant.deliveries_per_second, 0);
        assert_eq!(instant.summary(), "0.000 s, 0 deliveries/s");
        assert_eq!(
            instant.with_memo(false).summary(),
            "0.000 s, 0 deliveries/s, no memo"
        );
    }

    #[test]
    fn grouping_digits() {
        for (n, text) in [(0, "0"), (999, "999"), (1_000, "1,000"), (1_234_567, "1,234,567")] {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn vm_hwm_parses_and_refuses_what_it_does_not_know() {
        let status = "Name:\tsksim\nVmPeak:\t  200 kB\nVmHWM:\t    1536 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(1536 * 1024));
        assert_eq!(parse_vm_hwm("VmHWM:\t12 MB\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM:\tlots kB\n"), None);
        assert_eq!(parse_vm_hwm("VmRSS:\t12 kB\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM:"), None);
    }
}

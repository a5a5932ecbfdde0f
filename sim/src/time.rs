//! Virtual time: integer microseconds ([`Micros`]), its units, and the three ways it is written.
//!
//! The simulator never reads a clock; every time in a run is a [`Micros`] counted from the run's start. Text
//! goes through this module only, in one of three forms that genuinely differ (all three are in reports, so
//! none may change):
//!
//! - [`format_duration`]: exact, in the largest unit that divides it (`90s`, `1500ms`, `1d`), which
//!   [`parse_duration`] reads back: scenario files, policies, configuration tables, error messages.
//! - [`format_span`]: rounded for people (`20ms`, `1.5s`): how long something lasted, in the exposure table.
//! - [`format_clock`]: a point in the run, `h:mm:ss.µµµµµµ`: when a violation or an exposure happened.
//!
//! [`as_seconds`] is the one conversion to a number of seconds (statistics and plots).

use core::fmt;

/// Virtual time is in integer microseconds throughout the simulator. A plain `u64` (not a newtype): the engine
/// does arithmetic on it everywhere.
pub type Micros = u64;

/// One hour of virtual time.
pub const HOUR_US: Micros = 3_600_000_000;

/// Duration units from largest to smallest, with their length in microseconds.
pub(crate) const UNITS: [(&str, Micros); 6] = [
    ("d", 86_400_000_000),
    ("h", 3_600_000_000),
    ("m", 60_000_000),
    ("s", 1_000_000),
    ("ms", 1_000),
    ("us", 1),
];

/// A duration that [`parse_duration`] rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    /// The text that was given.
    pub text: String,
    /// Why it was rejected.
    pub reason: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration `{}`: {}; write a whole number and a unit: us, ms, s, m, h or d \
             (e.g. 90s, 10m, 24h)",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration: an unsigned integer followed by a unit `us`, `ms`, `s`, `m`, `h` or `d` ("90s",
/// "10m", "24h").
///
/// Overflow, a missing unit, an unknown unit, a sign, a fraction or whitespace are errors with precise
/// messages. `0us` (any zero) is a valid duration; callers that need a positive one check for zero.
///
/// # Errors
///
/// A [`DurationError`] naming the text and the first thing wrong with it.
pub fn parse_duration(text: &str) -> Result<Micros, DurationError> {
    let error = |reason: String| DurationError {
        text: text.to_owned(),
        reason,
    };
    if let Some(reason) = duration_shape_error(text) {
        return Err(error(reason.to_owned()));
    }
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(error("it must start with a whole number".to_owned()));
    }
    if unit.is_empty() {
        return Err(error(format!("missing unit after `{digits}`")));
    }
    let Some(&(_, factor)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(error(format!("unknown unit `{unit}`")));
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|count| count.checked_mul(factor))
        .ok_or_else(|| error(format!("too large; the maximum is {}us", Micros::MAX)))
}

/// The reason a duration is malformed as a whole (empty, whitespace, sign, fraction), if it is.
fn duration_shape_error(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        Some("the duration is empty")
    } else if text.contains(char::is_whitespace) {
        Some("whitespace is not allowed")
    } else if text.starts_with(['+', '-']) {
        Some("a sign is not allowed")
    } else if text.contains(['.', ',']) {
        Some("fractions are not allowed")
    } else {
        None
    }
}

/// Formats microseconds back into the largest unit that divides exactly ("25h", "90s", "1500ms",
/// "0us"; 24 hours is "1d"). [`parse_duration`] reads the result back to the same value.
#[must_use]
pub fn format_duration(us: Micros) -> String {
    if us == 0 {
        return "0us".to_owned();
    }
    let (unit, factor) = UNITS
        .iter()
        .copied()
        .find(|&(_, factor)| us.is_multiple_of(factor))
        .unwrap_or(("us", 1));
    format!("{}{unit}", us / factor)
}

/// A span of virtual time for people: seconds with one decimal, or milliseconds below a second (rounded down:
/// `20ms`, `1.5s`). Not parseable; use [`format_duration`] where the text is read back.
#[must_use]
pub fn format_span(us: Micros) -> String {
    if us < 1_000_000 {
        format!("{}ms", us / 1000)
    } else {
        format!("{}.{}s", us / 1_000_000, us / 100_000 % 10)
    }
}

/// A point in the run as `h:mm:ss.µµµµµµ` (hours are not wrapped).
#[must_use]
pub fn format_clock(us: Micros) -> String {
    let seconds = us / 1_000_000;
    format!(
        "{}:{:02}:{:02}.{:06}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        us % 1_000_000
    )
}

/// Microseconds as (fractional) seconds.
#[must_use]
pub fn as_seconds(us: Micros) -> f64 {
    us as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: Micros = HOUR_US;

    fn duration_error(text: &str) -> String {
        parse_duration(text)
            .err()
            .map(|error| error.reason)
            .unwrap_or_default()
    }

    // ---- durations ----

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("250us"), Ok(250));
        assert_eq!(parse_duration("500ms"), Ok(500_000));
        assert_eq!(parse_duration("90s"), Ok(90_000_000));
        assert_eq!(parse_duration("10m"), Ok(600_000_000));
        assert_eq!(parse_duration("24h"), Ok(24 * HOUR));
        assert_eq!(parse_duration("7d"), Ok(7 * 24 * HOUR));
        assert_eq!(parse_duration("0us"), Ok(0));
        assert_eq!(parse_duration("0d"), Ok(0));
        assert_eq!(parse_duration("007s"), Ok(7_000_000));
    }

    #[test]
    fn duration_limits() {
        assert_eq!(parse_duration("18446744073709551615us"), Ok(u64::MAX));
        assert_eq!(parse_duration("213503982d"), Ok(213_503_982 * 24 * HOUR));
        let too_large = "too large; the maximum is 18446744073709551615us";
        assert_eq!(duration_error("18446744073709551616us"), too_large);
        assert_eq!(duration_error("18446744073709552d"), too_large);
        assert_eq!(duration_error("213503983d"), too_large);
        assert_eq!(duration_error("99999999999999999999999999999s"), too_large);
    }

    #[test]
    fn malformed_durations_are_rejected() {
        assert_eq!(duration_error(""), "the duration is empty");
        assert_eq!(duration_error("10"), "missing unit after `10`");
        assert_eq!(duration_error("s"), "it must start with a whole number");
        assert_eq!(duration_error("10x"), "unknown unit `x`");
        assert_eq!(duration_error("5S"), "unknown unit `S`");
        assert_eq!(duration_error("5sec"), "unknown unit `sec`");
        assert_eq!(duration_error("5µs"), "unknown unit `µs`");
        assert_eq!(duration_error("1e3s"), "unknown unit `e3s`");
        assert_eq!(duration_error("1h30m"), "unknown unit `h30m`");
        assert_eq!(duration_error("-5s"), "a sign is not allowed");
        assert_eq!(duration_error("+5s"), "a sign is not allowed");
        assert_eq!(duration_error("1.5h"), "fractions are not allowed");
        assert_eq!(duration_error("1,5h"), "fractions are not allowed");
        assert_eq!(duration_error(" 5s"), "whitespace is not allowed");
        assert_eq!(duration_error("5 s"), "whitespace is not allowed");
        assert_eq!(duration_error("5s\n"), "whitespace is not allowed");
    }

    #[test]
    fn duration_error_message() {
        let error = parse_duration("10x")
            .err()
            .unwrap_or_else(|| panic!("should be rejected"));
        assert_eq!(
            error,
            DurationError {
                text: "10x".to_owned(),
                reason: "unknown unit `x`".to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            "invalid duration `10x`: unknown unit `x`; write a whole number and a unit: us, ms, s, m, h or d \
             (e.g. 90s, 10m, 24h)"
        );
        let boxed: Box<dyn std::error::Error> = Box::new(error);
        assert!(boxed.to_string().starts_with("invalid duration"));
    }

    #[test]
    fn durations_format_in_the_largest_exact_unit() {
        assert_eq!(format_duration(0), "0us");
        assert_eq!(format_duration(1), "1us");
        assert_eq!(format_duration(1_000), "1ms");
        assert_eq!(format_duration(1_500_000), "1500ms");
        assert_eq!(format_duration(60_000_000), "1m");
        assert_eq!(format_duration(90_000_000), "90s");
        assert_eq!(format_duration(24 * HOUR), "1d");
        assert_eq!(format_duration(25 * HOUR), "25h");
        assert_eq!(format_duration(7 * 24 * HOUR), "7d");
        assert_eq!(format_duration(u64::MAX), "18446744073709551615us");
    }

    #[test]
    fn duration_round_trips() {
        for text in [
            "0us",
            "1us",
            "250us",
            "500ms",
            "1500ms",
            "90s",
            "10m",
            "25h",
            "7d",
            "18446744073709551615us",
        ] {
            assert_eq!(parse_duration(text).map(format_duration).as_deref(), Ok(text));
        }
        assert_eq!(parse_duration("24h").map(format_duration).as_deref(), Ok("1d"));
    }

    #[test]
    fn spans_and_clocks() {
        assert_eq!(format_span(0), "0ms");
        assert_eq!(format_span(20_999), "20ms");
        assert_eq!(format_span(999_999), "999ms");
        assert_eq!(format_span(1_000_000), "1.0s");
        assert_eq!(format_span(1_599_999), "1.5s");
        assert_eq!(format_clock(0), "0:00:00.000000");
        assert_eq!(format_clock(HOUR + 61_000_001), "1:01:01.000001");
        assert_eq!(format_clock(100 * HOUR), "100:00:00.000000");
        assert!((as_seconds(1_500_000) - 1.5).abs() < f64::EPSILON);
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(7),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = parse_duration(&text);
        }

        #[test]
        fn durations_round_trip(us in any::<u64>()) {
            prop_assert_eq!(parse_duration(&format_duration(us)), Ok(us));
        }

    }
}

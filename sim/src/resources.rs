//! What a run will need, estimated before it starts, so that a run that cannot fit is refused with the estimate
//! and what to change instead of aborting part-way when an allocation fails.
//!
//! Memory grows with the square of the group: every member holds a receiver state for every other member, and
//! at the start (and at every rotation under a policy) every member's distribution travels to every other
//! member. [`PAIR_BYTES`] is what one ordered pair of members costs, measured on the 1,000- and 5,000-member
//! runs of BENCHMARKS.md (615 MB and 13.6 GB peak: 615 and 544 bytes a pair); the estimate rounds it up.

use crate::config::{SimConfig, members_added};

/// Bytes one ordered pair of members costs a run (receiver state, distributions in flight, bookkeeping): the
/// largest measured (615 at 1,000 members, BENCHMARKS.md), rounded up.
pub const PAIR_BYTES: u64 = 640;

/// Bytes a run needs besides its pairs (the program, a member's own state, the event queue's start).
pub const BASE_BYTES: u64 = 64 << 20;

/// The peak memory `config` is estimated to need, in bytes: [`BASE_BYTES`] plus [`PAIR_BYTES`] for every ordered
/// pair of the largest group the script can make (initial members and every joiner).
pub fn estimated_bytes(config: &SimConfig) -> u64 {
    let members =
        u64::try_from(config.members.saturating_add(members_added(&config.actions))).unwrap_or(u64::MAX);
    BASE_BYTES.saturating_add(members.saturating_mul(members).saturating_mul(PAIR_BYTES))
}

/// The largest group (initial members plus joiners) whose estimate fits in `bytes`.
pub fn members_that_fit(bytes: u64) -> u64 {
    (bytes.saturating_sub(BASE_BYTES) / PAIR_BYTES).isqrt()
}

/// The memory this machine has available now (`MemAvailable` in `/proc/meminfo`), in bytes; `None` where that
/// cannot be read (the run is then not refused).
pub fn available_bytes() -> Option<u64> {
    // determinism: read once before a run to decide whether to start it at all; nothing of it reaches the run,
    // its trace or its report.
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|line| line.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Why `config` does not fit in `available` bytes, with the estimate and what to change; `None` if it fits.
pub fn does_not_fit(config: &SimConfig, available: u64) -> Option<String> {
    let needed = estimated_bytes(config);
    if needed <= available {
        return None;
    }
    let group = config.members.saturating_add(members_added(&config.actions));
    Some(format!(
        "this run would need about {} of memory and this machine has {} available: a group of {group} members \
         (initial members and joiners) costs about {PAIR_BYTES} bytes for each ordered pair of members, because \
         every member holds a state for, and receives a distribution from, every other; about {} members fit \
         here — use fewer members or joiners, or a machine with more memory",
        human_bytes(needed),
        human_bytes(available),
        members_that_fit(available)
    ))
}

/// Whether `config` fits in the memory this machine has available now: the refusal, with the estimate and what
/// to change, if it does not (see [`does_not_fit`]); `Ok` where the available memory cannot be read.
pub fn check_fits(config: &SimConfig) -> Result<(), String> {
    match available_bytes().and_then(|available| does_not_fit(config, available)) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// `1.5 GB`, `640 MB`, `12 kB`.
pub fn human_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a rounded figure for people
    let value = bytes as f64;
    match bytes {
        b if b >= 1_000_000_000_000 => format!("{:.1} TB", value / 1e12),
        b if b >= 1_000_000_000 => format!("{:.1} GB", value / 1e9),
        b if b >= 1_000_000 => format!("{:.0} MB", value / 1e6),
        b if b >= 1_000 => format!("{:.0} kB", value / 1e3),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Action, ScheduledAction};

    #[test]
    fn the_estimate_grows_with_the_square_of_the_largest_group() {
        let mut config = SimConfig::new(0, 1_000);
        assert_eq!(estimated_bytes(&config), BASE_BYTES + 1_000 * 1_000 * PAIR_BYTES);
        config.actions.push(ScheduledAction {
            at: 1,
            action: Action::Join { count: 1_000 },
        });
        assert_eq!(estimated_bytes(&config), BASE_BYTES + 2_000 * 2_000 * PAIR_BYTES);
    }

    #[test]
    fn a_run_fits_exactly_up_to_its_estimate() {
        let config = SimConfig::new(0, 5_000);
        let needed = estimated_bytes(&config);
        assert_eq!(does_not_fit(&config, needed), None);
        let refusal = does_not_fit(&config, needed - 1).expect("one byte short does not fit");
        assert!(refusal.contains("5000 members"), "{refusal}");
        assert!(refusal.contains("use fewer members"), "{refusal}");
        // The size it suggests fits.
        let fit = members_that_fit(needed - 1);
        assert!(fit < 5_000);
        let smaller = SimConfig::new(0, usize::try_from(fit).expect("small"));
        assert_eq!(does_not_fit(&smaller, needed - 1), None);
        let one_more = SimConfig::new(0, usize::try_from(fit + 1).expect("small"));
        assert!(does_not_fit(&one_more, needed - 1).is_some());
    }

    #[test]
    fn the_documented_maximum_is_refused_on_any_machine_of_today() {
        let config = SimConfig::new(0, crate::limits::MEMBERS_MAX);
        assert!(estimated_bytes(&config) > 6_000_000_000_000, "about 6.4 TB");
        assert!(does_not_fit(&config, 1 << 40).is_some());
    }
}

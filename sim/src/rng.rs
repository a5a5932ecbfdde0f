//! Seeded randomness: one `u64` seed, one ChaCha20 key, a separate stream per subsystem.
//!
//! Every stream is the root ChaCha20 generator (keyed by the seed) on its own stream number, so streams never
//! overlap and drawing more from one never shifts another: adding a message to the workload does not reshuffle
//! the network, and a member's keys do not depend on what other members did.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A subsystem that draws randomness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Latency, drops, duplicates.
    Network,
    /// The adversary's choices.
    Adversary,
    /// When a member sends (one stream per member).
    Workload(usize),
    /// A member's keys, nonces and ids (one stream per member).
    Keys(usize),
    /// A member's long-term identity keys for pairwise channels (one stream per member).
    Identity(usize),
    /// The secret the pairwise sessions established before the run derive their keys from.
    Pairing,
}

impl Stream {
    /// The ChaCha20 stream number: subsystems in the top bits, the member index below.
    fn number(self) -> u64 {
        let (kind, index) = match self {
            Stream::Network => (1, 0),
            Stream::Adversary => (2, 0),
            Stream::Workload(m) => (3, m),
            Stream::Keys(m) => (4, m),
            Stream::Identity(m) => (5, m),
            Stream::Pairing => (6, 0),
        };
        (kind << 56) | (index as u64 & ((1 << 56) - 1))
    }
}

/// The generator of one subsystem's stream for `seed`.
pub fn stream(seed: u64, which: Stream) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(which.number());
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |s: Stream| stream(9, s).next_u64();
        assert_eq!(draw(Stream::Keys(3)), draw(Stream::Keys(3)));
        assert_ne!(draw(Stream::Keys(3)), draw(Stream::Keys(4)));
        assert_ne!(draw(Stream::Keys(3)), draw(Stream::Workload(3)));
        assert_ne!(
            stream(9, Stream::Network).next_u64(),
            stream(10, Stream::Network).next_u64()
        );
    }
}

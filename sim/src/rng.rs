//! Seeded randomness: one `u64` seed, one ChaCha20 key, a separate stream per subsystem.
//!
//! Every stream is the root ChaCha20 generator (keyed by the seed) on its own stream number, so streams never
//! overlap and drawing more from one never shifts another: adding a message to the workload does not reshuffle
//! the network, and a member's keys do not depend on what other members did.
//!
//! A run reads six subsystems (network, adversary, and per member workload, keys, identity; the pairing
//! secret), numbered 1 to 6 in the stream number's top byte. Two more streams serve commands outside a run and
//! have 0 there, so they never coincide with a run's: `sksim sweep`'s draw of a seed's scenario (the drawn
//! scenario then runs with the same seed, on the run streams) and `sksim demo`.

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
    /// `sksim sweep`'s draw of the scenario a seed runs (outside the run).
    SweepDraw,
    /// `sksim demo`: its members' keys and the order of its deliveries.
    Demo,
}

/// [`Stream::SweepDraw`]'s number: `"SWEEP"` in ASCII, 0 in the top byte. Kept from before the stream was named
/// here, so every seed still draws the scenario it drew.
const SWEEP_DRAW_NUMBER: u64 = 0x53_5745_4550;

impl Stream {
    /// The ChaCha20 stream number: a run's subsystems in the top bits, the member index below; the streams
    /// outside a run with 0 on top (the demo's is stream 0, the root generator's own, as it was before it was
    /// named here, so the demo prints what it printed).
    fn number(self) -> u64 {
        let (kind, index) = match self {
            Stream::SweepDraw => return SWEEP_DRAW_NUMBER,
            Stream::Demo => return 0,
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

    #[test]
    fn streams_outside_a_run_keep_their_numbers_and_never_meet_a_run_stream() {
        assert_eq!(Stream::SweepDraw.number(), 0x53_5745_4550);
        assert_eq!(Stream::Demo.number(), 0);
        let run = [
            Stream::Network,
            Stream::Adversary,
            Stream::Workload(0),
            Stream::Keys(0),
            Stream::Identity(0),
            Stream::Pairing,
        ];
        for outside in [Stream::SweepDraw, Stream::Demo] {
            assert!(run.iter().all(|s| s.number() >> 56 != outside.number() >> 56));
        }
        let mut root = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        assert_eq!(stream(7, Stream::Demo).next_u64(), root.next_u64());
    }
}

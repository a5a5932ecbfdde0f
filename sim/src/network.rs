//! The network between members and the server: latency, drops, duplicates and reordering.
//!
//! Probabilities are held in parts per million so that no floating-point arithmetic runs inside the loop.

use rand::RngExt;
use rand_chacha::ChaCha20Rng;

use crate::time::Micros;

/// One in a million: the unit of [`NetworkConfig`] probabilities.
pub const PPM: u32 = 1_000_000;

/// How the network behaves during the active phase (the quiet phase has no drops or duplicates).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NetworkConfig {
    /// Smallest one-way latency.
    pub latency_min: Micros,
    /// Largest one-way latency.
    pub latency_max: Micros,
    /// Probability that an envelope copy is lost, in parts per million.
    pub drop_ppm: u32,
    /// Probability that an envelope is delivered twice, in parts per million.
    pub duplicate_ppm: u32,
    /// Whether envelopes to one receiver may overtake each other.
    pub reorder: bool,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            latency_min: 20_000,
            latency_max: 400_000,
            drop_ppm: 0,
            duplicate_ppm: 0,
            reorder: true,
        }
    }
}

/// Decides the fate of every transmission.
pub struct Network {
    config: NetworkConfig,
    rng: ChaCha20Rng,
    /// Per receiver: the latest arrival scheduled so far (for in-order delivery when `reorder` is off).
    last_arrival: Vec<Micros>,
}

impl Network {
    /// A network drawing from `rng`.
    pub fn new(config: NetworkConfig, rng: ChaCha20Rng) -> Self {
        Network {
            config,
            rng,
            last_arrival: Vec::new(),
        }
    }

    /// One latency draw.
    fn latency(&mut self) -> Micros {
        let (lo, hi) = (
            self.config.latency_min,
            self.config.latency_max.max(self.config.latency_min),
        );
        self.rng.random_range(lo..=hi)
    }

    fn arrival(&mut self, now: Micros, to: usize) -> Micros {
        let mut at = now + self.latency();
        if !self.config.reorder {
            if self.last_arrival.len() <= to {
                self.last_arrival.resize(to + 1, 0);
            }
            at = at.max(self.last_arrival[to]);
            self.last_arrival[to] = at;
        }
        at
    }

    /// Arrival times of the copies of one envelope sent to `to` at `now`: none if lost, two if duplicated.
    /// `faulty` is false in the quiet phase.
    pub fn envelope(&mut self, now: Micros, to: usize, faulty: bool) -> Vec<Micros> {
        if faulty && self.rng.random_range(0..PPM) < self.config.drop_ppm {
            return Vec::new();
        }
        let mut copies = vec![self.arrival(now, to)];
        if faulty && self.rng.random_range(0..PPM) < self.config.duplicate_ppm {
            copies.push(self.arrival(now, to));
        }
        copies
    }

    /// Arrival time of a pairwise message (distributions and key requests: retransmitted until delivered, so
    /// only latency applies).
    pub fn reliable(&mut self, now: Micros) -> Micros {
        now + self.latency()
    }
}

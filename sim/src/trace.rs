//! The canonical event trace and its hash.
//!
//! Every processed event appends one line `"{index} {time_us} {what}\n"`. The SHA-256 of all lines is the run's
//! trace hash: the same inputs and seed give the same hash, byte for byte. Every kind of line the engine writes
//! is described for users in `docs/trace-format.md`.

use core::fmt::Write as _;

use sha2::{Digest, Sha256};

/// Accumulates the trace.
pub struct Trace {
    hasher: Sha256,
    events: u64,
    line: String,
    /// The lines themselves, when asked for.
    kept: Option<Vec<String>>,
}

impl Trace {
    /// A new trace; `keep` also keeps every line.
    pub fn new(keep: bool) -> Self {
        Trace {
            hasher: Sha256::new(),
            events: 0,
            line: String::new(),
            kept: keep.then(Vec::new),
        }
    }

    /// Records one event line; returns its index.
    pub fn record(&mut self, time_us: u64, what: core::fmt::Arguments<'_>) -> u64 {
        let index = self.events;
        self.line.clear();
        // Invariant: writing to a String cannot fail.
        writeln!(self.line, "{index} {time_us} {what}").expect("write to String");
        self.hasher.update(self.line.as_bytes());
        if let Some(kept) = &mut self.kept {
            kept.push(self.line.clone());
        }
        self.events += 1;
        index
    }

    /// How many events were recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The index the next event will get.
    pub fn next_index(&self) -> u64 {
        self.events
    }

    /// The hash (lowercase hex) and, if kept, the lines.
    pub fn finish(self) -> (String, Option<Vec<String>>) {
        (hex::encode(self.hasher.finalize()), self.kept)
    }
}

/// The first 8 bytes of SHA-256 of `bytes`, as hex: enough to pin envelope bytes in the trace.
pub fn short_digest(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

//! Shards of a sweep (`--shard I/N`) and seed ranges (`--seeds A..B`).

use core::fmt;
use core::ops::Range;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of `count` shards of a sweep, numbered from 0: shard `index` holds the seeds `s` with
/// `s % count == index`. Written `INDEX/COUNT` (`2/8`); [`Shard::ALL`] (`0/1`) is the whole sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, `0..count`.
    pub index: u32,
    /// How many shards the sweep is split into, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole sweep: shard 0 of 1.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`.
    ///
    /// # Errors
    ///
    /// A message if `count` is 0 or `index` is not below `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err(format!(
                "invalid shard `{index}/{count}`: the count must be at least 1"
            ));
        }
        if index >= count {
            return Err(format!(
                "invalid shard `{index}/{count}`: the index must be below the count (shards are numbered from 0: \
                 {count} shards are 0/{count} to {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether `seed` belongs to this shard.
    pub fn contains(self, seed: u64) -> bool {
        self.count != 0 && seed % u64::from(self.count) == u64::from(self.index)
    }

    /// The seeds of `range` in this shard, in increasing order.
    pub fn seeds(self, range: Range<u64>) -> impl Iterator<Item = u64> + Clone {
        let count = u64::from(self.count.max(1));
        let offset = (u64::from(self.index) + count - range.start % count) % count;
        let first = range
            .start
            .checked_add(offset)
            .unwrap_or(range.end)
            .min(range.end);
        let step = usize::try_from(count).unwrap_or(usize::MAX);
        (first..range.end).step_by(step)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// Parses `INDEX/COUNT`, 0-based: `0/8` to `7/8`.
    fn from_str(text: &str) -> Result<Self, String> {
        let Some((index, count)) = text.split_once('/') else {
            return Err(format!(
                "invalid shard `{text}`: expected INDEX/COUNT like `2/8` (shards are numbered from 0)"
            ));
        };
        let number = |part: &str, what: &str| -> Result<u32, String> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "invalid shard `{text}`: the {what} `{part}` is not a whole number (expected INDEX/COUNT \
                     like `2/8`)"
                ));
            }
            part.parse::<u32>().map_err(|_| {
                format!(
                    "invalid shard `{text}`: the {what} `{part}` is too large (at most {})",
                    u32::MAX
                )
            })
        };
        Shard::new(number(index, "index")?, number(count, "count")?)
    }
}

/// Parses a seed range `A..B` (B excluded, A ≤ B), as `--seeds` takes it.
///
/// # Errors
///
/// A message naming what is wrong.
pub fn parse_seeds(text: &str) -> Result<Range<u64>, String> {
    let Some((start, end)) = text.split_once("..") else {
        return Err(format!(
            "invalid seed range `{text}`: expected A..B like `0..1000` (B excluded)"
        ));
    };
    let number = |part: &str| -> Result<u64, String> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid seed range `{text}`: `{part}` is not a whole number (expected A..B like `0..1000`)"
            ));
        }
        part.parse::<u64>().map_err(|_| {
            format!(
                "invalid seed range `{text}`: `{part}` is too large (at most {})",
                u64::MAX
            )
        })
    };
    let (start, end) = (number(start)?, number(end)?);
    if start > end {
        return Err(format!(
            "invalid seed range `{text}`: the start is after the end (write A..B with A < B; B is excluded, so \
             `5..6` is seed 5 alone)"
        ));
    }
    Ok(start..end)
}

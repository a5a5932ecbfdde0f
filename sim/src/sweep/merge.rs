//! Merging the results of a sweep's shards into the result of the whole sweep.

use std::collections::BTreeMap;

use super::{SeedResult, Shard, SweepResult};
use crate::time::format_duration;

/// Combines the results of the shards of one sweep into the result of the whole sweep (shard `0/1`).
///
/// # Errors
///
/// A message if no result is given; if the parts swept different seed ranges, implementations or budgets, or were
/// split into different numbers of shards; if a shard is missing or given twice; or if a part holds seeds that are
/// not its shard's.
pub fn merge(parts: &[SweepResult]) -> Result<SweepResult, String> {
    let Some(first) = parts.first() else {
        return Err("nothing to merge: no sweep results were given".to_owned());
    };
    let (start, end) = first.seeds;
    let count = first.shard.1;
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i + 1;
        if part.seeds != first.seeds {
            return Err(format!(
                "part {n} swept seeds {}..{} but part 1 swept {start}..{end}: only shards of one sweep can be \
                 merged",
                part.seeds.0, part.seeds.1
            ));
        }
        if part.implementation != first.implementation {
            return Err(format!(
                "part {n} swept `{}` but part 1 swept `{}`: only shards of one sweep can be merged",
                part.implementation, first.implementation
            ));
        }
        if part.budget_us != first.budget_us {
            return Err(format!(
                "part {n} has budget {} but part 1 has {}: only shards of one sweep can be merged",
                format_duration(part.budget_us),
                format_duration(first.budget_us)
            ));
        }
        let shard = Shard::new(part.shard.0, part.shard.1).map_err(|e| format!("part {n}: {e}"))?;
        if shard.count != count {
            return Err(format!(
                "part {n} is shard {shard} but part 1 is shard {}/{count}: the parts split the sweep into different \
                 numbers of shards",
                first.shard.0
            ));
        }
        if let Some(earlier) = owner.insert(shard.index, n) {
            return Err(format!("shard {shard} is given twice (parts {earlier} and {n})"));
        }
        let expected: Vec<u64> = shard.seeds(start..end).collect();
        let held: Vec<u64> = part.runs.iter().map(|run| run.seed).collect();
        if held != expected {
            let stray = held.iter().find(|seed| expected.binary_search(seed).is_err());
            return Err(match stray {
                Some(seed) => format!(
                    "part {n} (shard {shard}) holds seed {seed}, which is not a seed of shard {shard} of \
                     {start}..{end}"
                ),
                None => format!(
                    "part {n} (shard {shard}) holds {} runs, but shard {shard} of {start}..{end} has {} seeds (a run \
                     is missing, repeated or out of order)",
                    held.len(),
                    expected.len()
                ),
            });
        }
    }
    if owner.len() != usize::try_from(count).unwrap_or(usize::MAX) {
        let missing: Vec<String> = (0..count)
            .filter(|index| !owner.contains_key(index))
            .take(5)
            .map(|index| format!("{index}/{count}"))
            .collect();
        let absent = u64::from(count) - owner.len() as u64;
        let more = if absent > 5 {
            format!(" and {} more", absent - 5)
        } else {
            String::new()
        };
        let given: Vec<String> = owner.keys().map(|index| format!("{index}/{count}")).collect();
        return Err(format!(
            "shard{} {}{more} {} missing (given: {})",
            if absent == 1 { "" } else { "s" },
            missing.join(", "),
            if absent == 1 { "is" } else { "are" },
            given.join(", ")
        ));
    }
    let mut runs: Vec<SeedResult> = parts.iter().flat_map(|part| part.runs.iter().cloned()).collect();
    runs.sort_by_key(|run| run.seed);
    Ok(SweepResult {
        seeds: first.seeds,
        shard: (0, 1),
        implementation: first.implementation.clone(),
        budget_us: first.budget_us,
        runs,
    })
}

//! `sksim zoo`: hunts each planted bug of the zoo with the default sweep and checks the base raises no false alarm
//! ([`crate::implementations::zoo::hunt`] does the sweeping; this file prints, shrinks and writes).

use std::io::Write;
use std::path::Path;

use tabled::settings::Style;
use tabled::{Table, Tabled};

use super::{
    EXIT_EXPECTATION, EXIT_OK, Failure, ZooArgs, io_failed, most_severe, not_met_status, on_threads,
    progress_bar,
};
use crate::checkers::Invariant;
use crate::implementations::zoo::Bug;
use crate::implementations::zoo::hunt::{Hunt, hunt, implementation_name, median};
use crate::time::Micros;

/// One line of the table.
#[derive(Tabled)]
struct Row {
    bug: String,
    #[tabled(rename = "seeds to first detection")]
    seeds: String,
    #[tabled(rename = "caught by")]
    caught_by: String,
    expected: String,
    reproduction: String,
}

pub(super) fn zoo_command(args: &ZooArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<u8, Failure> {
    let budget_us =
        crate::time::parse_duration(&args.budget).map_err(|e| Failure::BadInput(format!("--budget: {e}")))?;
    if args.seeds == 0 {
        return Err(Failure::BadInput("--seeds must be at least 1".to_owned()));
    }
    if let Some(dir) = &args.dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::BadInput(format!(
                "--out {}: cannot create the directory: {e}; nothing was run",
                dir.display()
            ))
        })?;
    }
    let bugs: Vec<Bug> = if args.bugs.is_empty() {
        Bug::ALL.to_vec()
    } else {
        args.bugs.clone()
    };
    let mut hunts = Vec::with_capacity(bugs.len() + 1);
    for target in bugs.iter().copied().map(Some).chain([None]) {
        let found = hunt_one(args, target, budget_us, err)?;
        if let Some(dir) = &args.dir {
            write_shrunk(dir, &found, err)?;
        }
        hunts.push(found);
    }
    report(&hunts, args.seeds, out)
}

/// Hunts one implementation with a progress bar on stderr, and says what it found.
fn hunt_one(
    args: &ZooArgs,
    bug: Option<Bug>,
    budget_us: Micros,
    err: &mut dyn Write,
) -> Result<Hunt, Failure> {
    let name = implementation_name(bug);
    let bar = progress_bar(args.seeds, &name);
    let tick = || bar.inc(1);
    let found = on_threads(args.jobs.jobs, || {
        let chunk = 2 * rayon::current_num_threads() as u64;
        hunt(bug, 0..args.seeds, budget_us, chunk, &tick)
    });
    bar.finish_and_clear();
    let found = found??;
    let said = match (found.seeds_to_detection(), bug) {
        (Some(n), Some(_)) => format!(
            "{name}: found after {n} seeds by {}",
            found.caught_by().join(", ")
        ),
        (None, Some(_)) => format!("{name}: MISSED in {} seeds", args.seeds),
        (Some(n), None) => format!(
            "{name}: FALSE ALARM at seed {} ({})",
            n - 1,
            found.caught_by().join(", ")
        ),
        (None, None) => format!("{name}: no failure in {} seeds", args.seeds),
    };
    writeln!(err, "{said}").map_err(io_failed)?;
    Ok(found)
}

/// Shrinks a detection for the first invariant that caught it and writes it to `dir`.
fn write_shrunk(dir: &Path, found: &Hunt, err: &mut dyn Write) -> Result<(), Failure> {
    let Some((result, run)) = &found.found else {
        return Ok(());
    };
    let scenario = result.scenario(run).map_err(Failure::Harness)?;
    let invariant = run.unexpected.first().cloned().unwrap_or_default();
    writeln!(
        err,
        "{}: shrinking seed {} for `{invariant}`",
        found.implementation, run.seed
    )
    .map_err(io_failed)?;
    let shrunk = crate::shrink::shrink(&scenario, &invariant, &|_| {})?;
    let name = format!(
        "zoo-{}-seed-{}.toml",
        found.bug.map_or("base", Bug::name),
        run.seed
    );
    let path = dir.join(name);
    let text = format!(
        "# Found by `sksim zoo`: {} violates `{invariant}` (seed {}, shrunk in {} runs). Its [expect] says so:\n\
         # `sksim run {}` shows the violation, and exits 0 for as long as it happens.\n\n{}",
        found.implementation,
        run.seed,
        shrunk.runs,
        path.display(),
        shrunk.scenario.to_toml()
    );
    std::fs::write(&path, text)
        .map_err(|e| Failure::BadInput(format!("could not write {}: {e}", path.display())))?;
    writeln!(err, "wrote {}", path.display()).map_err(io_failed)
}

/// Prints the table, the median and the base's line; returns the exit status.
fn report(hunts: &[Hunt], seeds: u64, out: &mut dyn Write) -> Result<u8, Failure> {
    let (bugs, base): (Vec<&Hunt>, Vec<&Hunt>) = hunts.iter().partition(|h| h.bug.is_some());
    let rows = bugs.iter().map(|h| Row {
        bug: h.implementation.clone(),
        seeds: h
            .seeds_to_detection()
            .map_or_else(|| format!("missed ({seeds})"), |n| n.to_string()),
        caught_by: h.caught_by().join(", "),
        expected: h.bug.map_or("", |b| b.caught_by().name()).to_owned(),
        reproduction: h.reproduction().unwrap_or_default(),
    });
    writeln!(out, "{}", Table::new(rows).with(Style::sharp())).map_err(io_failed)?;
    let detected: Vec<u64> = bugs.iter().filter_map(|h| h.seeds_to_detection()).collect();
    let missed = bugs.len() - detected.len();
    let median = median(&detected).map_or_else(|| "-".to_owned(), |m| m.to_string());
    writeln!(
        out,
        "median seeds to detection: {median} ({} of {} bugs found in {seeds} seeds, {missed} missed)",
        detected.len(),
        bugs.len()
    )
    .map_err(io_failed)?;
    let mut statuses = vec![if missed > 0 { EXIT_EXPECTATION } else { EXIT_OK }];
    for h in base {
        let line = match (h.seeds_to_detection(), h.reproduction()) {
            (Some(n), Some(repro)) => {
                let unexpected: Vec<Invariant> =
                    h.caught_by().iter().filter_map(|n| Invariant::named(n)).collect();
                statuses.push(not_met_status(&unexpected));
                format!(
                    "zoo (the base): FALSE ALARM at seed {}: {}; reproduce: {repro}",
                    n - 1,
                    h.caught_by().join(", ")
                )
            }
            _ => format!("zoo (the base): no failure in {seeds} seeds"),
        };
        writeln!(out, "{line}").map_err(io_failed)?;
    }
    Ok(most_severe(statuses))
}

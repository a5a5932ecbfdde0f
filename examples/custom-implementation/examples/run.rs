//! Runs one scenario file against minikeys and prints sksim's report as tables.
//!
//! ```sh
//! cargo run -p custom-implementation --example run -- scenarios/quickstart.toml
//! ```
//!
//! Exit status 0 when the file's expectations are met, 1 when not, 2 when the file or the run failed.

use std::path::PathBuf;
use std::process::ExitCode;

use custom_implementation::MiniKeysFactory;
use sksim::output::JsonReport;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: run SCENARIO.toml");
        return ExitCode::from(2);
    };
    let scenario = match sksim::load_scenario(&path) {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match sksim::run_scenario_with(&scenario, &MiniKeysFactory::default(), false) {
        Ok(outcome) => outcome,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", JsonReport::new(&scenario, &outcome).to_table());
    if outcome.expectations_met() {
        println!("expectations met");
        ExitCode::SUCCESS
    } else {
        println!("expectations NOT met:\n{}", outcome.mismatches.join("\n"));
        ExitCode::from(1)
    }
}

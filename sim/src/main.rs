//! The `sksim` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A deterministic simulation and fuzz harness for Sender Keys group encryption.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Exchange keys and messages between three members in every suite, then tamper and replay.
    ///
    /// Example: `sksim demo --seed 7`
    Demo {
        /// Every key, nonce and delivery order derives from this seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Demo { seed } => match sksim::demo::report(seed) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sksim: the demo failed: {e}");
                ExitCode::from(3)
            }
        },
    }
}

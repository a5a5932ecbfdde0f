//! The `sksim` command line (see [`sksim::cli`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    let status = sksim::cli::main_with(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(status)
}

//! `sksim-adapter`: one of sksim's built-in implementations as an external adapter, speaking the adapter protocol
//! (`docs/external-protocol.md`) on standard input and output.
//!
//! ```text
//! sksim-adapter [--no-memo] [--fault KIND@N]... IMPLEMENTATION
//! ```
//!
//! `IMPLEMENTATION` is `reference`, `reference/<suite>`, `accord`, `chatalot` or `p2p`. `--fault` makes it
//! misbehave at request `N` (`crash`, `hang`, `garbage`, `wrong-id`, `bad-reason`), to test how sksim copes.

use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

use clap::Parser;
use sksim::external::serve::{Fault, ServeOptions, serve};
use sksim::scenario::ImplementationSpec;

/// One of sksim's built-in implementations, served over the external adapter protocol on stdin/stdout.
#[derive(Debug, Parser)]
#[command(name = "sksim-adapter", version)]
struct Args {
    /// The implementation: reference, reference/SUITE, accord, chatalot, p2p, zoo or zoo/BUG.
    implementation: String,
    /// Misbehave at a request, to test sksim: KIND@N with KIND crash, hang, garbage, wrong-id or bad-reason.
    #[arg(long = "fault", value_name = "KIND@N", value_parser = Fault::parse)]
    faults: Vec<(Fault, u64)>,
    /// Do not share a memo of pure work (signature verdicts, chain steps) between this process's instances.
    #[arg(long)]
    no_memo: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let spec = match ImplementationSpec::parse(&args.implementation) {
        Ok(ImplementationSpec::External(_)) => {
            eprintln!("sksim-adapter: serves built-in implementations only, not `external:`");
            return ExitCode::from(2);
        }
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("sksim-adapter: {e}");
            return ExitCode::from(2);
        }
    };
    let factory = match spec.factory() {
        Ok(factory) => factory,
        Err(e) => {
            eprintln!("sksim-adapter: {e}");
            return ExitCode::from(2);
        }
    };
    let options = ServeOptions {
        faults: args
            .faults
            .into_iter()
            .map(|(fault, at)| (at, fault))
            .collect::<BTreeMap<_, _>>(),
        memo: !args.no_memo,
    };
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match serve(
        factory.as_ref(),
        BufReader::new(stdin),
        BufWriter::new(stdout),
        &options,
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sksim-adapter: writing an answer failed: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Scenario files: one run described in TOML — the group, the workload, the network, the rotation policy, the
//! scripted events — and the verdicts it is expected to give.
//!
//! [`load`] reads a file and [`parse`](fn@parse) parses text; both return a [`Scenario`] (a [`SimConfig`], the
//! implementation to run, and the [`Expectations`]) or a [`ScenarioError`] with the file, line and column of the
//! offending value or key, what was expected, and for a misspelt key or value the nearest valid one. Nothing
//! runs from a file with an error. Parsing never panics, whatever the input.
//!
//! ```toml
//! name = "accord: removal while messages are in flight"
//! seed = 7
//! duration = "2h"
//! implementation = "accord"
//! policy = "on-removal+every-messages:100+every-time:24h"
//!
//! [group]
//! members = 40
//!
//! [network]
//! latency = ["20ms", "400ms"]
//! drop = 0.01
//!
//! [[event]]
//! at = "30m"
//! action = "remove"
//! member = 3
//!
//! [expect]
//! hold = ["post-removal-secrecy", "authenticity"]
//! ```
//!
//! Every key of the format — what it means, its type, its default and its limits — is described for users in
//! `docs/scenario-format.md`. [`Scenario::to_toml`] writes a scenario back as the canonical file, which
//! [`parse`](fn@parse) reads back to an equal [`Scenario`].
//!
//! # Layout
//!
//! This file holds [`Scenario`], [`ScenarioError`] and the entry points [`load`] and [`parse`](fn@parse);
//! `implementation.rs` [`ImplementationSpec`] (the names `implementation` and `--impl` accept, and the factory
//! that builds the implementation); `expectations.rs` [`Expectations`] and [`Expectations::check`], which the
//! runner calls to judge a report against `[expect]`; `parse.rs` the reader (every key, with file:line:column
//! errors); `write.rs` the writer, [`Scenario::to_toml`].

mod expectations;
mod implementation;
mod parse;
mod write;

use core::fmt;
use std::io::Read as _;
use std::path::Path;

use senderkeys::SuiteId;

use crate::config::SimConfig;
use crate::limits::SCENARIO_BYTES_MAX;

pub use expectations::Expectations;
pub use implementation::{ImplementationSpec, parse_bug};
pub(crate) use parse::unknown;

/// A parsed scenario file: everything a run needs, and what it is expected to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// `name`.
    pub name: String,
    /// `description`, if given.
    pub description: Option<String>,
    /// Which implementation runs (`implementation` and `suite`).
    pub implementation: ImplementationSpec,
    /// `suite`, if given: what `reference` speaks, also when the command line swaps the implementation for it.
    pub suite: Option<SuiteId>,
    /// The run's configuration (everything else but `[expect]`); its actions are in time order.
    pub config: SimConfig,
    /// Where `config.policy` came from (the report's header says it).
    pub policy_source: PolicySource,
    /// `[expect]`.
    pub expect: Expectations,
}

/// Where a run's rotation policy came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySource {
    /// The file's `policy` (or, for a generated scenario, what its file would say).
    File,
    /// No `policy` in the file: the default, `never` (nobody rotates).
    Default,
    /// The command line's `--policy`.
    CommandLine,
}

impl PolicySource {
    /// How the report's header says it.
    pub fn describe(self) -> &'static str {
        match self {
            PolicySource::File => "from the file",
            PolicySource::Default => "the default: the file sets no `policy`",
            PolicySource::CommandLine => "from --policy",
        }
    }
}

/// Why a scenario file was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as given to [`parse`](fn@parse) or [`load`].
    pub file: String,
    /// 1-based line of the offending value or key; 0 when the error has no place in the text (the file could
    /// not be read).
    pub line: usize,
    /// 1-based column, in characters; 0 when `line` is.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads and parses the scenario file at `path`.
///
/// # Errors
///
/// A [`ScenarioError`] without a location (line 0) naming the path and the OS error if the file cannot be read,
/// or whatever [`parse`](fn@parse) rejects.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let unreadable = |message: String| ScenarioError {
        file: file.clone(),
        line: 0,
        column: 0,
        message,
    };
    let handle = std::fs::File::open(path)
        .map_err(|e| unreadable(format!("cannot read scenario file `{file}`: {e}")))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(SCENARIO_BYTES_MAX).map_or(u64::MAX, |max| max.saturating_add(1));
    handle
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(format!("cannot read scenario file `{file}`: {e}")))?;
    if bytes.len() > SCENARIO_BYTES_MAX {
        return Err(too_large(&file));
    }
    match String::from_utf8(bytes) {
        Ok(text) => parse(&file, &text),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = e.as_bytes().get(..valid).unwrap_or_default();
            let prefix = core::str::from_utf8(prefix).unwrap_or_default();
            let (line, column) = parse::line_column(prefix, prefix.len());
            Err(ScenarioError {
                file,
                line,
                column,
                message: format!("the file is not valid UTF-8 (byte {valid}); scenario files are UTF-8 text"),
            })
        }
    }
}

/// The error for a file over [`SCENARIO_BYTES_MAX`].
fn too_large(file: &str) -> ScenarioError {
    ScenarioError {
        file: file.to_owned(),
        line: 1,
        column: 1,
        message: format!(
            "the file is larger than {SCENARIO_BYTES_MAX} bytes (1 MiB), the limit for scenario files"
        ),
    }
}

/// Parses scenario text; `file` names it in errors.
///
/// # Errors
///
/// A [`ScenarioError`] at the first problem found: TOML syntax, an unknown key or value, a value of the wrong
/// type or out of range, or an inconsistency (an event after the active phase, a member who does not exist
/// yet, ...).
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > SCENARIO_BYTES_MAX {
        return Err(too_large(file));
    }
    parse::read(file, text)
}

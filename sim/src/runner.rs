//! Running a scenario: command-line overrides, the engine run, and the judgement against the scenario's
//! expectations. Every command (`run`, `compare`, `sweep`, `shrink`) and the scenario tests go through
//! [`run_scenario`], so they cannot disagree about what a scenario gives.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::checkers::Invariant;
use crate::engine;
use crate::implementation::ImplementationFactory;
use crate::policy::Policy;
use crate::report::Report;
use crate::scenario::{ImplementationSpec, Scenario};

/// What the command line may change in a scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--impl`, as written (`reference`, `reference/signal`, `accord`, ...). A bare `reference` takes the
    /// scenario's `suite`, if it names one.
    pub implementation: Option<String>,
    /// `--policy`.
    pub policy: Option<Policy>,
}

impl Scenario {
    /// This scenario with the overrides applied.
    ///
    /// # Errors
    ///
    /// [`RunError::BadInput`] if `--impl` names no implementation.
    pub fn with_overrides(&self, overrides: &Overrides) -> Result<Scenario, RunError> {
        let mut scenario = self.clone();
        if let Some(seed) = overrides.seed {
            scenario.config.seed = seed;
        }
        if let Some(text) = &overrides.implementation {
            let parsed =
                ImplementationSpec::parse(text).map_err(|e| RunError::BadInput(format!("--impl: {e}")))?;
            scenario.implementation = match (parsed, self.suite) {
                (ImplementationSpec::Reference(_), Some(suite)) if !text.contains('/') => {
                    ImplementationSpec::Reference(suite)
                }
                (other, _) => other,
            };
        }
        if let Some(policy) = overrides.policy {
            scenario.config.policy = policy;
            scenario.policy_source = crate::scenario::PolicySource::CommandLine;
        }
        Ok(scenario)
    }
}

/// Why a scenario could not be run. The command line maps these to exit statuses 2 and 3.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// The scenario asks for something the harness cannot do (exit status 2).
    #[error("{0}")]
    BadInput(String),
    /// The harness itself failed — a bug in sksim, not in the implementation under test (exit status 3).
    #[error("the harness failed: {0}")]
    Harness(String),
}

/// What one run gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The report.
    pub report: Report,
    /// The trace lines, if asked for.
    pub trace: Option<Vec<String>>,
    /// Where the verdicts contradict the scenario's expectations (empty: met).
    pub mismatches: Vec<String>,
    /// The violated invariants the expectations did not allow (those `[expect]` says must hold, or every violated
    /// one without `[expect]`), in the threat model's order: what the exit status of `sksim run` classifies.
    pub unexpected: Vec<Invariant>,
}

impl Outcome {
    /// Whether every expectation was met.
    pub fn expectations_met(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Runs `scenario` as it stands (apply [`Scenario::with_overrides`] first) with the implementation it names,
/// and judges it.
///
/// # Errors
///
/// [`RunError::BadInput`] when the implementation cannot be built, the configuration is refused, or the run would
/// need more memory than the machine has available (see [`crate::resources`]);
/// [`RunError::Harness`] when the engine itself panics (a panic inside an implementation is not one: the engine
/// catches it and records `no-crash`).
pub fn run_scenario(scenario: &Scenario, keep_trace: bool) -> Result<Outcome, RunError> {
    let factory = scenario
        .implementation
        .factory_with(scenario.config.adapter_timeout)
        .map_err(RunError::BadInput)?;
    run_scenario_with(scenario, factory.as_ref(), keep_trace)
}

/// Runs `scenario` with instances from `factory` instead of the implementation the scenario names, and judges it
/// against the scenario's `[expect]` — the entry point for an implementation that lives in another crate (see
/// `examples/custom-implementation`). Everything else (seed, workload, faults, events, checkers) is the
/// scenario's.
///
/// # Errors
///
/// As [`run_scenario`].
pub fn run_scenario_with(
    scenario: &Scenario,
    factory: &dyn ImplementationFactory,
    keep_trace: bool,
) -> Result<Outcome, RunError> {
    let mut config = scenario.config.clone();
    config.keep_trace = keep_trace;
    // A run that cannot fit is refused before it starts, not aborted when an allocation fails.
    crate::resources::check_fits(&config).map_err(RunError::BadInput)?;
    let result = catch_unwind(AssertUnwindSafe(|| engine::run(&config, factory)));
    let (report, trace) = match result {
        Ok(Ok(done)) => done,
        Ok(Err(refused)) => return Err(RunError::BadInput(refused.to_string())),
        Err(panic) => return Err(RunError::Harness(engine::panic_text(panic.as_ref()))),
    };
    let mismatches = scenario.expect.check(&report);
    let expect = &scenario.expect;
    let unexpected = report
        .violated()
        .into_iter()
        .filter(|i| !expect.explicit || expect.hold.contains(i))
        .collect();
    Ok(Outcome {
        report,
        trace,
        mismatches,
        unexpected,
    })
}

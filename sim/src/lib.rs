//! `sksim`: a deterministic simulation and fuzz harness for Sender Keys group encryption.
//!
//! [`engine::run`] drives a group of virtual members through a [`config::SimConfig`] — workload, network
//! faults, membership changes — on top of an [`implementation::Implementation`], and returns a
//! [`report::Report`] with a verdict per invariant of the threat model and a trace hash. The same seed gives the
//! same bytes. [`demo`] is the small cross-suite demonstration behind `sksim demo`.
//!
//! # Testing your own implementation from Rust
//!
//! Implement [`Implementation`] (one member's state) and [`ImplementationFactory`] (how instances are made),
//! load a scenario file with [`load_scenario`] and run it with [`run_scenario_with`]: the [`Outcome`] holds
//! the [`Report`] — a verdict per invariant — and whether the scenario's `[expect]` was met. The workspace's
//! `examples/custom-implementation` crate is a complete example. Implementations in other languages are run
//! through an adapter process instead: `implementation = "external:<command line>"`.

pub mod attacks;
pub mod channel;
pub mod checkers;
pub mod cli;
pub mod compare;
pub mod config;
pub mod demo;
pub mod engine;
pub mod external;
pub mod facts;
pub mod fuzzing;
pub mod ground_truth;
pub mod implementation;
pub mod implementations;
pub mod limits;
pub mod mutations;
pub mod network;
pub mod output;
pub mod performance;
pub mod policy;
pub mod report;
pub mod resources;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod suggest;
pub mod sweep;
pub mod time;
pub mod trace;

pub use checkers::Verdict;
pub use implementation::{
    Accepted, ChainPosition, Implementation, ImplementationFactory, Rejection, Transport, WorkBudget,
};
pub use report::Report;
pub use runner::{Outcome, RunError, run_scenario, run_scenario_with};
pub use scenario::{Scenario, ScenarioError, load as load_scenario, parse as parse_scenario};
/// The id types in [`Implementation`]'s signatures, so an implementation crate needs no other dependency for them.
pub use senderkeys::{GroupId, MemberId, SharedMemo};

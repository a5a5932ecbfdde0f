//! `sksim`: a deterministic simulation and fuzz harness for Sender Keys group encryption.
//!
//! [`engine::run`] drives a group of virtual members through a [`config::SimConfig`] — workload, network
//! faults, membership changes — on top of an [`implementation::Implementation`], and returns a
//! [`report::Report`] with a verdict per invariant of the threat model and a trace hash. The same seed gives the
//! same bytes. [`demo`] is the small cross-suite demonstration behind `sksim demo`.

pub mod attacks;
pub mod channel;
pub mod checkers;
pub mod cli;
pub mod compare;
pub mod config;
pub mod demo;
pub mod engine;
pub mod fuzzing;
pub mod ground_truth;
pub mod implementation;
pub mod implementations;
pub mod network;
pub mod output;
pub mod performance;
pub mod policy;
pub mod report;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod sweep;
pub mod trace;

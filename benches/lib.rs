//! Criterion benchmarks for the workspace; see `benches/core.rs` and `benches/sim.rs`. Run with
//! `cargo bench -p sksim-benches`; `cargo test -p sksim-benches --benches` runs each benchmark once as a smoke
//! test.
//!
//! Names are stable and hierarchical: `core/<suite>/<operation>` for the reference `GroupSession` of each
//! suite (encrypt, decrypt in order, from the skipped-key cache and after forward jumps, distributions, and
//! the sum of the raw primitive calls of one encrypt + decrypt), and `primitives/<name>` for the raw
//! primitives, called through the same crates the suites use.
//!
//! `sim/deliveries/<members>-members/<memo|no-memo>` (`benches/sim.rs`) runs whole simulations of 100, 1,000
//! and 5,000 members (the last with the memo only) and reports deliveries per second; its smoke run covers
//! only 100 members, with a shorter run, and says so on stderr.

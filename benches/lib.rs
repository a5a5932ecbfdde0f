//! Criterion benchmarks for the workspace; see `benches/core.rs`. Run with `cargo bench -p sksim-benches`.

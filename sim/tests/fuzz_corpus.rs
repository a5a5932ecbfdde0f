//! Replays the committed corpora and regressions of the simulator's fuzz targets (`sksim::fuzzing`) without
//! libFuzzer, naming every input that fails. (The wire targets are replayed by `core/tests/fuzz_corpus.rs`.)

use std::path::{Path, PathBuf};

/// A fuzz target's body.
type Body = fn(&[u8]);

/// The targets whose bodies live in `sksim::fuzzing`, with their bodies.
const TARGETS: [(&str, Body); 1] = [("scenario", sksim::fuzzing::scenario)];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none if it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("dir entry").path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn committed_corpora_and_regressions_replay_without_panics() {
    let mut failures = Vec::new();
    for (target, body) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target));
        assert!(
            corpus.len() >= 10,
            "fuzz/corpus/{target} holds {} inputs; expected its seeds",
            corpus.len()
        );
        let regressions = inputs(&fuzz_dir().join("regressions").join(target));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("readable input");
            if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "inputs that fail their target:\n{}",
        failures.join("\n")
    );
}

//! The bodies of the fuzz targets that need the simulator (`fuzz/fuzz_targets/`): each target file is a few
//! lines calling one of these, and `cargo test` replays the committed corpora through them
//! (`sim/tests/fuzz_corpus.rs`). The wire-format bodies are in `senderkeys::fuzzing`.

use crate::scenario;

/// The scenario-file parser, fed arbitrary bytes (invalid UTF-8 is read lossily, as an editor would show it).
///
/// # Panics
///
/// When the parser breaks one of its promises: it panics itself; an error has no location although the text
/// was read; or a file it accepts does not survive being written back ([`scenario::Scenario::to_toml`]) and
/// parsed again unchanged.
pub fn scenario(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match scenario::parse("fuzz.toml", &text) {
        Ok(parsed) => {
            let written = parsed.to_toml();
            let reparsed = scenario::parse("written.toml", &written).unwrap_or_else(|e| {
                panic!("a parsed scenario, written back, does not parse: {e}\n{written}")
            });
            assert_eq!(
                reparsed, parsed,
                "a parsed scenario changed when written back:\n{written}"
            );
        }
        Err(e) => assert!(
            e.line >= 1 && e.column >= 1,
            "every rejection of a text has a location: {e:?}"
        ),
    }
}

//! The scenario library (`scenarios/*.toml`): every file loads, runs, and gives the verdicts its `[expect]`
//! table says. One assertion at the end lists every file whose expectations were not met, with the command that
//! reproduces it, so a change that moves one verdict shows all the files it moved at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sksim::runner::run_scenario;
use sksim::scenario::{self, Scenario};

/// The scenario folder, next to the crate.
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");

/// At least this many files: the quickstart, the three seed systems, weaknesses 1–15 with their twins, the
/// libsignal edge cases and the policy comparison. Deleting the folder (or most of it) cannot pass.
const FILES_MIN: usize = 40;

/// The one file that relies on the default expectations (every applicable invariant holds).
const QUICKSTART: &str = "quickstart.toml";

/// Every `*.toml` in the folder, sorted by name.
fn scenario_files() -> Vec<PathBuf> {
    let entries = std::fs::read_dir(SCENARIOS).unwrap_or_else(|e| panic!("cannot read {SCENARIOS}: {e}"));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

/// The file's name, as the reproduction command writes it.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn load(path: &Path) -> Result<Scenario, String> {
    scenario::load(path).map_err(|e| e.to_string())
}

/// One file's run: `None` if its expectations were met, else what went wrong and how to reproduce it.
fn judge(path: &Path) -> (Option<String>, Duration) {
    let started = Instant::now();
    let name = file_name(path);
    let failure = match load(path) {
        Err(e) => Some(format!("{name}: does not load: {e}")),
        Ok(s) => {
            let command = format!("sksim run scenarios/{name} --seed {}", s.config.seed);
            match run_scenario(&s, false) {
                Err(e) => Some(format!("{name}: does not run: {e}\n    reproduce: {command}")),
                Ok(outcome) if outcome.expectations_met() => None,
                Ok(outcome) => Some(format!(
                    "{name}: {} expectation(s) not met\n    reproduce: {command}\n    - {}",
                    outcome.mismatches.len(),
                    outcome.mismatches.join("\n    - ")
                )),
            }
        }
    };
    (failure, started.elapsed())
}

#[test]
fn every_scenario_meets_its_expectations() {
    let files = scenario_files();
    assert!(
        files.len() >= FILES_MIN,
        "{SCENARIOS} holds {} scenario files; the library has at least {FILES_MIN}",
        files.len()
    );
    // Sequential: the whole library runs in well under a minute in the test profile.
    let results: Vec<(Option<String>, Duration)> = files.iter().map(|p| judge(p)).collect();
    let slowest = files
        .iter()
        .zip(&results)
        .max_by_key(|(_, (_, took))| *took)
        .map(|(path, (_, took))| format!("{} ({took:.1?})", file_name(path)));
    eprintln!(
        "{} scenario files; slowest: {}",
        files.len(),
        slowest.unwrap_or_default()
    );
    let failures: Vec<&String> = results
        .iter()
        .filter_map(|(failure, _)| failure.as_ref())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenario files do not give the verdicts they expect:\n\n{}",
        failures.len(),
        files.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Every file says what it expects, except the quickstart, which relies on the default (every applicable
/// invariant holds); and every file says what it shows.
#[test]
fn every_scenario_but_the_quickstart_has_an_explicit_expect_table() {
    let files = scenario_files();
    assert!(
        files.iter().any(|p| file_name(p) == QUICKSTART),
        "{QUICKSTART} is missing"
    );
    let mut problems = Vec::new();
    for path in &files {
        let name = file_name(path);
        match load(path) {
            Err(e) => problems.push(format!("{name}: does not load: {e}")),
            Ok(s) => {
                if name != QUICKSTART && !s.expect.explicit {
                    problems.push(format!("{name}: no [expect] table"));
                }
                if name != QUICKSTART && s.expect.hold.is_empty() && s.expect.violated.is_empty() {
                    problems.push(format!("{name}: an [expect] table that judges nothing"));
                }
                if s.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    problems.push(format!("{name}: no description"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same file and seed give the same run.
#[test]
fn the_quickstart_is_deterministic() {
    let path = Path::new(SCENARIOS).join(QUICKSTART);
    let s = load(&path).expect("the quickstart loads");
    let hash = || {
        run_scenario(&s, false)
            .expect("the quickstart runs")
            .report
            .trace_hash
    };
    assert_eq!(hash(), hash());
}

/// The memo of pure work (`SimConfig::memo`, `--no-memo`) changes the speed and nothing else: with it and
/// without it, every file of the library gives the same report, field for field, and the same trace.
#[test]
fn the_memo_changes_no_report_and_no_trace() {
    let files = scenario_files();
    assert!(files.len() >= FILES_MIN);
    let mut differ = Vec::new();
    for path in &files {
        let name = file_name(path);
        let mut scenario = load(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let [with, without] = [true, false].map(|memo| {
            scenario.config.memo = memo;
            run_scenario(&scenario, true).unwrap_or_else(|e| panic!("{name}: {e}"))
        });
        if with.report != without.report || with.trace != without.trace {
            differ.push(format!(
                "{name}: trace {} with the memo, {} without",
                with.report.trace_hash, without.report.trace_hash
            ));
        }
    }
    assert!(differ.is_empty(), "the memo changed runs:\n{}", differ.join("\n"));
}

/// The documents a user reads, whose `toml` blocks must work as copied: every `*.md` at the top, in `docs/` and
/// `scenarios/`, and in each folder of `examples/` and `adapters/`.
fn documents(root: &Path) -> Vec<PathBuf> {
    let markdown_in = |dir: PathBuf| -> Vec<PathBuf> {
        std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let subfolders = |dir: PathBuf| -> Vec<PathBuf> {
        std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut folders = vec![root.to_owned(), root.join("docs"), root.join("scenarios")];
    folders.extend(subfolders(root.join("examples")));
    folders.extend(subfolders(root.join("adapters")));
    let mut found: Vec<PathBuf> = folders.into_iter().flat_map(markdown_in).collect();
    found.sort();
    found
}

/// Every ```` ```toml ```` block of `text`, with the line it starts on.
fn toml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match &mut current {
            None if line.trim_start() == "```toml" => current = Some((number + 2, String::new())),
            None => {}
            Some(_) if line.trim_start() == "```" => blocks.extend(current.take()),
            Some((_, block)) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    blocks
}

/// Every scenario the README and the docs show (a `toml` block with a `[group]` table) parses, runs and meets
/// its own `[expect]` exactly as copied; a smaller block (a key or two to put in a file) parses in a minimal file.
#[test]
fn every_scenario_the_documents_show_works_as_copied() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut failures = Vec::new();
    let mut scenarios = 0;
    let documents = documents(&root);
    assert!(documents.len() >= 5, "the documents are found: {documents:?}");
    for path in &documents {
        let document = path.strip_prefix(&root).unwrap_or(path).display().to_string();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{document}: {e}"));
        for (line, block) in toml_blocks(&text) {
            let place = format!("{document}:{line}");
            if !block.contains("[group]") {
                let file = format!("{block}name = \"fragment\"\n[group]\nmembers = 2\n");
                if let Err(e) = scenario::parse(&place, &file) {
                    failures.push(format!("{place}: the fragment does not parse in a file: {e}"));
                }
                continue;
            }
            scenarios += 1;
            match scenario::parse(&place, &block)
                .map_err(|e| e.to_string())
                .and_then(|s| run_scenario(&s, false).map_err(|e| e.to_string()))
            {
                Err(e) => failures.push(format!("{place}: {e}")),
                Ok(outcome) if !outcome.expectations_met() => {
                    failures.push(format!("{place}: {}", outcome.mismatches.join("; ")));
                }
                Ok(_) => {}
            }
        }
    }
    assert!(
        scenarios >= 1,
        "the README shows a scenario: the test reads the documents"
    );
    assert!(
        failures.is_empty(),
        "documents whose examples do not work as copied:\n{}",
        failures.join("\n")
    );
}

/// Every text file under `dir` (recursively, `target` folders aside) with one of `extensions`.
fn text_files(dir: &Path, extensions: &[&str], found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                text_files(&path, extensions, found);
            }
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            found.push(path);
        }
    }
}

/// What the repository cites is in the repository: `docs/threat-model.md` names every invariant and numbers the
/// fifteen known weaknesses the scenario files are named after, and nothing points at documents a user who
/// clones the repository does not have (the design notes it was written from, or the seed systems by file number).
#[test]
fn citations_point_at_documents_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let threat_model = std::fs::read_to_string(root.join("docs/threat-model.md"))
        .expect("docs/threat-model.md is in the repository");
    for name in sksim::checkers::INVARIANTS {
        assert!(
            threat_model.contains(&format!("| `{name}` |")),
            "docs/threat-model.md defines `{name}`"
        );
    }
    for file in scenario_files() {
        let name = file_name(&file);
        if let Some(number) = name.strip_prefix("weakness-").and_then(|rest| rest.get(..2)) {
            let number: u32 = number.parse().expect("weakness-NN");
            assert!(
                threat_model.contains(&format!("\n{number}. **")),
                "{name}: docs/threat-model.md numbers weakness {number}"
            );
        }
    }
    let mut files = Vec::new();
    for dir in [
        "docs",
        "scenarios",
        "sim",
        "core",
        "examples",
        "adapters",
        "benches",
        "fuzz",
    ] {
        text_files(&root.join(dir), &["md", "rs", "toml", "py", "sh"], &mut files);
    }
    files.extend(["README.md", "ARCHITECTURE.md", "BENCHMARKS.md"].map(|f| root.join(f)));
    // Spelt in pieces, so that this file does not cite them itself.
    let outside = [
        concat!("shared/", "design"),
        concat!("shared/", "seeds"),
        concat!("seed ", "000"),
        concat!("seed ", "003"),
        concat!("seed ", "004"),
    ];
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default().to_lowercase();
        for cited in outside {
            if text.contains(cited) {
                found.push(format!(
                    "{}: `{cited}`",
                    file.strip_prefix(&root).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(
        files.len() > 100,
        "the repository's files are read: {}",
        files.len()
    );
    assert!(
        found.is_empty(),
        "citations of documents outside the repository:\n{}",
        found.join("\n")
    );
}

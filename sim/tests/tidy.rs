//! Tidiness, checked on every `cargo test`: no function grows past [`FUNCTION_LINES_MAX`] lines unless it is on
//! an allowlist that may only shrink (`sim/tests/data/long-functions.txt`), every source file of `core/src`
//! and `sim/src` is named in ARCHITECTURE.md's code map, and no invariant's name is written as a string outside its
//! definition.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The longest a function may be, in lines from its `fn` line to its closing brace.
const FUNCTION_LINES_MAX: usize = 70;

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for path in std::fs::read_dir(&dir)
            .expect("a readable folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
        {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `line` without its string and character literals and its `//` comment, so that braces in them do not count.
fn code_of(line: &str, in_block_comment: &mut bool) -> String {
    let mut code = String::new();
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if *in_block_comment {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                *in_block_comment = false;
            }
            continue;
        }
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => break,
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                *in_block_comment = true;
            }
            // A character literal: '{' or '\''; a lifetime ('a) has no closing quote two characters on.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') {
                    let _ = chars.by_ref().take_while(|&c| c != '\'').count();
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
            }
            _ => code.push(c),
        }
    }
    code
}

/// The functions of one file longer than [`FUNCTION_LINES_MAX`]: `path::name` → lines. Multi-line string literals
/// (raw strings and continued strings) are rare in the sources; a brace inside one is counted like code, which
/// can only make a function look longer, never hide one.
fn long_functions(path: &Path, label: &str, found: &mut BTreeMap<String, usize>) {
    let text = std::fs::read_to_string(path).expect("a readable source file");
    let lines: Vec<&str> = text.lines().collect();
    let mut in_block_comment = false;
    let code: Vec<String> = lines.iter().map(|l| code_of(l, &mut in_block_comment)).collect();
    for (start, line) in code.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(at) = trimmed.find("fn ") else { continue };
        let before = &trimmed[..at];
        let is_item = before.split_whitespace().all(|w| {
            matches!(w, "pub" | "const" | "async" | "unsafe" | "extern" | "default") || w.starts_with("pub(")
        });
        if !is_item {
            continue;
        }
        let name: String = trimmed[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // From the `fn` line to the brace that closes its body (a declaration without a body ends at `;`).
        // Braces inside the parameter list (a destructured parameter) are not the body's.
        let mut depth = 0i64;
        let mut parens = 0i64;
        let mut opened = false;
        let mut end = None;
        'lines: for (offset, code_line) in code[start..].iter().enumerate() {
            for c in code_line.chars() {
                match c {
                    '(' => parens += 1,
                    ')' => parens -= 1,
                    '{' if parens == 0 || opened => {
                        depth += 1;
                        opened = true;
                    }
                    '}' if parens == 0 || opened => depth -= 1,
                    ';' if !opened && parens == 0 => break 'lines,
                    _ => {}
                }
                if opened && depth == 0 {
                    end = Some(start + offset);
                    break 'lines;
                }
            }
        }
        if let Some(end) = end {
            let length = end - start + 1;
            if length > FUNCTION_LINES_MAX {
                found.insert(format!("{label}:{name}:{}", start + 1), length);
            }
        }
    }
}

/// The allowlist: `path:function length` per line; `#` starts a comment.
fn allowlist() -> BTreeMap<String, usize> {
    let text =
        std::fs::read_to_string(root().join("sim/tests/data/long-functions.txt")).expect("the allowlist");
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (function, length) = line.rsplit_once(' ').expect("`path:function length`");
            (function.to_owned(), length.parse().expect("a length"))
        })
        .collect()
}

/// No function is longer than [`FUNCTION_LINES_MAX`] lines unless the allowlist names it, at no more than its
/// listed length; and every entry of the allowlist is still too long (so it only shrinks).
#[test]
fn long_functions_only_shrink() {
    let mut found = BTreeMap::new();
    for dir in ["core/src", "sim/src"] {
        for path in rust_files(&root().join(dir)) {
            let label = path.strip_prefix(root()).unwrap_or(&path).display().to_string();
            long_functions(&path, &label, &mut found);
        }
    }
    // Entries are matched without their line number, which moves with every edit above them.
    let key = |entry: &str| {
        entry
            .rsplit_once(':')
            .map_or(entry.to_owned(), |(k, _)| k.to_owned())
    };
    let found: BTreeMap<String, usize> = found.into_iter().map(|(k, v)| (key(&k), v)).collect();
    let allowed = allowlist();
    let mut problems = Vec::new();
    for (function, &length) in &found {
        match allowed.get(function) {
            None => problems.push(format!(
                "{function} is {length} lines (at most {FUNCTION_LINES_MAX}): split it"
            )),
            Some(&listed) if length > listed => problems.push(format!(
                "{function} grew from {listed} to {length} lines: the allowlist only shrinks; split it"
            )),
            Some(&listed) if length < listed => problems.push(format!(
                "{function} shrank from {listed} to {length} lines: lower its entry in \
                 sim/tests/data/long-functions.txt"
            )),
            Some(_) => {}
        }
    }
    for function in allowed.keys().filter(|f| !found.contains_key(*f)) {
        problems.push(format!(
            "{function} is no longer over {FUNCTION_LINES_MAX} lines (or is gone): remove it from \
             sim/tests/data/long-functions.txt"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every source file of `core/src` and `sim/src` is named in ARCHITECTURE.md's code map: by its path, its file
/// name, or (for `mod.rs`, `lib.rs`, `main.rs` and a folder of one concept per file) its folder.
#[test]
fn every_source_file_is_in_the_code_map() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut missing = Vec::new();
    for dir in ["core/src", "sim/src"] {
        let src = root().join(dir);
        for path in rust_files(&src) {
            let relative = path.strip_prefix(&src).unwrap_or(&path).display().to_string();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let folder = Path::new(&relative)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let named = architecture.contains(&format!("`{relative}`"))
                || architecture.contains(&relative)
                || (folder.is_empty() && architecture.contains(&format!("`{name}`")))
                || (!folder.is_empty() && architecture.contains(&format!("`{folder}/`")))
                || (folder.is_empty() && matches!(name.as_str(), "lib.rs" | "main.rs"));
            if !named {
                missing.push(format!("{dir}/{relative}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files ARCHITECTURE.md's code map does not name:\n{}",
        missing.join("\n")
    );
}

/// An invariant's name is written once, in its checker's `DEFINITION`; everything else reads it from
/// `sksim::checkers::Invariant`. Comments and `#[cfg(test)]` modules may quote names (they document and test the
/// format); code may not.
#[test]
fn invariant_names_are_written_only_in_their_definition() {
    let names: Vec<String> = sksim::checkers::Invariant::ALL
        .iter()
        .map(|i| format!("\"{}\"", i.name()))
        .collect();
    let mut found = Vec::new();
    for path in rust_files(&root().join("sim/src")) {
        let label = path.strip_prefix(root()).unwrap_or(&path).display().to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break; // test modules come last in our files
            }
            let code = line.split("//").next().unwrap_or_default();
            let definition =
                label.starts_with("sim/src/checkers/") && code.trim_start().starts_with("name: \"");
            if definition {
                continue;
            }
            for name in names.iter().filter(|name| code.contains(name.as_str())) {
                found.push(format!("{label}:{}: {name}", number + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "invariant names written outside their definition (use sksim::checkers::Invariant):\n{}",
        found.join("\n")
    );
}

/// `path`'s code lines (comments dropped) that contain any of `needles`, as `path:line: text`.
fn lines_naming(path: &Path, needles: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("readable");
    let label = path.strip_prefix(root()).unwrap_or(path).display().to_string();
    text.lines()
        .enumerate()
        .filter_map(|(number, line)| {
            let code = line.split("//").next().unwrap_or_default();
            needles
                .iter()
                .any(|needle| code.contains(needle))
                .then(|| format!("{label}:{}: {}", number + 1, line.trim()))
        })
        .collect()
}

/// ARCHITECTURE's boundaries that a grep can hold: the engine knows implementations only through the
/// `Implementation` trait (never a built-in, never `senderkeys`' state machine), and `senderkeys` does no I/O,
/// reads no clock and draws no randomness of its own.
#[test]
fn the_boundaries_hold() {
    let mut found = Vec::new();
    let engine = root().join("sim/src/engine");
    for path in std::iter::once(root().join("sim/src/engine.rs")).chain(rust_files(&engine)) {
        found.extend(lines_naming(
            &path,
            &["implementations::", "GroupSession", "senderkeys::wire"],
        ));
    }
    for path in rust_files(&root().join("core/src")) {
        found.extend(lines_naming(
            &path,
            &[
                "std::time",
                "SystemTime",
                "Instant::",
                "OsRng",
                "thread_rng",
                "std::fs",
                "std::net",
                "std::io::std",
            ],
        ));
    }
    assert!(found.is_empty(), "boundaries crossed:\n{}", found.join("\n"));
}

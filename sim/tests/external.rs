//! External implementations through the adapter protocol, driven against `sksim-adapter` (sksim's built-in
//! implementations served over the protocol): the verdicts and the whole run must be those of the built-in
//! implementation, and a broken adapter must become findings, never a harness failure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use sksim::checkers::Invariant;
use sksim::checkers::Verdict;
use sksim::external::ExternalFactory;
use sksim::external::protocol::PROTOCOL_VERSION;
use sksim::implementation::AdapterReport;
use sksim::implementation::ImplementationFactory;
use sksim::limits::{
    ADAPTER_INCIDENTS_KEPT, ADAPTER_RESTARTS_MAX, ADAPTER_STDERR_TAIL_BYTES, NAME_BYTES_MAX,
};
use sksim::runner::{Outcome, RunError, run_scenario};
use sksim::scenario::{ImplementationSpec, Scenario, load};

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// `external:` + the adapter serving `builtin`, with extra adapter arguments.
fn external(builtin: &str, extra: &[&str]) -> ImplementationSpec {
    let adapter = env!("CARGO_BIN_EXE_sksim-adapter");
    let mut words = vec![adapter];
    words.extend_from_slice(extra);
    words.push(builtin);
    let line = shlex::try_join(words).expect("no NUL bytes in the command line");
    ImplementationSpec::External(line)
}

/// The trace with the two things an adapter's own randomness decides masked: sender key ids and envelope hashes.
/// (sksim hands the adapter 64 random bytes per operation where the built-in implementation draws what it needs,
/// so keys and ciphertexts differ; every event, its time and its outcome must not.)
fn masked(trace: &[String]) -> Vec<String> {
    trace
        .iter()
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    if let Some(rest) = word.strip_prefix("key=") {
                        let iteration = rest.rsplit_once(':').map_or("", |(_, i)| i);
                        format!("key=*:{iteration}")
                    } else if word.starts_with("env=") {
                        "env=*".to_owned()
                    } else {
                        word.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn verdicts(outcome: &Outcome) -> Vec<(&'static str, Verdict, u64)> {
    outcome
        .report
        .invariants
        .iter()
        .map(|i| (i.invariant.name(), i.verdict, i.violations_total))
        .collect()
}

fn adapter(outcome: &Outcome) -> &AdapterReport {
    outcome
        .report
        .adapter
        .as_ref()
        .expect("an external run has an adapter report")
}

#[test]
fn the_reference_adapter_reproduces_every_scenario_of_the_library() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("the scenario directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the library has {} scenarios", files.len());
    let failures: Vec<String> = files
        .par_iter()
        .filter_map(|file| {
            let builtin = load(file).expect("a library scenario parses");
            // A file that expects a crash (the zoo's panicking decoders) takes down the adapter process and every
            // instance in it, so the rest of the run differs from the built-in one: crash isolation is issue 17's.
            if builtin.expect.violated.contains(&Invariant::NoCrash) {
                return None;
            }
            let inside = run_scenario(&builtin, true).expect("the built-in run");
            let mut outside_scenario = builtin.clone();
            outside_scenario.implementation = external(&builtin.implementation.to_string(), &[]);
            let outside = run_scenario(&outside_scenario, true).expect("the external run");
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut wrong = Vec::new();
            if verdicts(&inside) != verdicts(&outside) {
                wrong.push(format!(
                    "verdicts differ:\n  built in {:?}\n  external {:?}",
                    verdicts(&inside),
                    verdicts(&outside)
                ));
            }
            if inside.mismatches != outside.mismatches {
                wrong.push(format!(
                    "expectations differ: {:?} vs {:?}",
                    inside.mismatches, outside.mismatches
                ));
            }
            let (a, b) = (&inside.report.counts, &outside.report.counts);
            if (a.deliveries, a.decrypted) != (b.deliveries, b.decrypted) {
                wrong.push(format!(
                    "deliveries differ: {} decrypted of {} vs {} of {}",
                    a.decrypted, a.deliveries, b.decrypted, b.deliveries
                ));
            }
            let report = adapter(&outside);
            if (report.crashes, report.timeouts, report.protocol_errors) != (0, 0, 0) {
                wrong.push(format!("the adapter failed: {:?}", report.incidents));
            }
            (!wrong.is_empty()).then(|| format!("{name}: {}", wrong.join("; ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn quickstart() -> Scenario {
    load(&scenarios_dir().join("quickstart.toml")).expect("quickstart parses")
}

/// Quickstart through the reference adapter, misbehaving as `faults` say.
fn faulty_run(faults: &[&str], timeout: Duration) -> Outcome {
    let mut scenario = quickstart();
    let mut extra = Vec::new();
    for fault in faults {
        extra.push("--fault");
        extra.push(fault);
    }
    scenario.implementation = external("reference/hardened", &extra);
    scenario.config.adapter_timeout = timeout;
    run_scenario(&scenario, false).expect("a broken adapter is a finding, not a failed run")
}

const PATIENT: Duration = Duration::from_secs(30);

#[test]
fn a_crashed_adapter_is_a_no_crash_violation_and_is_restarted() {
    let outcome = faulty_run(&["crash@2000"], PATIENT);
    assert_eq!(
        outcome.report.verdict(Invariant::NoCrash),
        Some(Verdict::Violated)
    );
    let report = adapter(&outcome);
    assert_eq!(
        (report.crashes, report.timeouts, report.restarts),
        (1, 0, 1),
        "{report:?}"
    );
    assert!(report.lost_instance_requests > 0, "{report:?}");
    let incident = &report.incidents[0];
    assert!(incident.contains("request 2000"), "{incident}");
    assert!(incident.contains("101"), "the exit status: {incident}");
    assert!(
        incident.contains("fault injected: crash at request 2000"),
        "its standard error: {incident}"
    );
    assert!(
        incident.contains("starts it again when it next needs a new instance"),
        "{incident}"
    );
    let no_crash = outcome
        .report
        .invariants
        .iter()
        .find(|i| i.invariant == "no-crash")
        .expect("no-crash is judged");
    assert!(
        no_crash.violations[0].reason.contains("the adapter failed"),
        "{no_crash:?}"
    );
}

/// A small group that keeps growing: one member joins every minute for 20 minutes, so the run keeps needing new
/// instances (which is when sksim starts a failed adapter again).
fn growing_group() -> Scenario {
    let mut text = String::from(
        "name = \"growing\"\nseed = 3\nduration = \"25m\"\nimplementation = \"reference\"\n\
         [group]\nmembers = 4\n[workload]\nmessages_per_member_per_hour = 6\n",
    );
    for minute in 1..=20 {
        text.push_str(&format!(
            "[[event]]\nat = \"{minute}m\"\naction = \"join\"\ncount = 1\n"
        ));
    }
    sksim::scenario::parse("growing.toml", &text).expect("the scenario parses")
}

#[test]
fn after_the_last_restart_the_adapter_stays_down() {
    let mut scenario = growing_group();
    let faults: Vec<String> = (1..=40).map(|i| format!("crash@{}", i * 40)).collect();
    let mut extra = Vec::new();
    for fault in &faults {
        extra.push("--fault");
        extra.push(fault.as_str());
    }
    scenario.implementation = external("reference/hardened", &extra);
    let outcome = run_scenario(&scenario, false).expect("a broken adapter is a finding");
    let report = adapter(&outcome);
    // Exactly `ADAPTER_RESTARTS_MAX` restarts: the crash after the last one stays a crash.
    assert_eq!(
        (report.restarts, report.crashes),
        (ADAPTER_RESTARTS_MAX, ADAPTER_RESTARTS_MAX + 1),
        "{report:?}"
    );
    let last = usize::try_from(ADAPTER_RESTARTS_MAX).expect("small");
    assert!(
        report.incidents[last - 1].contains("starts it again"),
        "{report:?}"
    );
    assert!(
        report.incidents[last].contains("will not start it again"),
        "{report:?}"
    );
    assert_eq!(
        outcome.report.verdict(Invariant::NoCrash),
        Some(Verdict::Violated)
    );
    // Requests stop at the crash after the last restart: no process runs after it.
    let last_crash: u64 = report.incidents[last]
        .split("request ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|id| id.parse().ok())
        .expect("the incident names its request");
    assert_eq!(report.requests, last_crash, "{report:?}");
}

#[test]
fn a_hung_adapter_is_stopped_at_the_timeout() {
    // Long enough that no answer of a working adapter comes near it on a loaded machine; the test waits it out once.
    let outcome = faulty_run(&["hang@1500"], Duration::from_secs(2));
    let report = adapter(&outcome);
    assert_eq!(
        (report.timeouts, report.crashes, report.restarts),
        (1, 0, 1),
        "{report:?}"
    );
    assert!(
        report.incidents[0].contains("no answer to request 1500"),
        "{report:?}"
    );
    assert_eq!(
        outcome.report.verdict(Invariant::NoCrash),
        Some(Verdict::Violated)
    );
}

#[test]
fn answers_out_of_step_are_protocol_errors_and_restart_the_adapter() {
    for fault in ["garbage@1500", "wrong-id@1500"] {
        let outcome = faulty_run(&[fault], PATIENT);
        let report = adapter(&outcome);
        assert_eq!(
            (report.protocol_errors, report.restarts, report.crashes),
            (1, 1, 0),
            "{fault}: {report:?}"
        );
        // A protocol error is counted, not judged as a crash.
        assert_eq!(
            outcome.report.verdict(Invariant::NoCrash),
            Some(Verdict::Holds),
            "{fault}"
        );
    }
}

#[test]
fn a_bad_reason_is_a_protocol_error_that_keeps_the_adapter() {
    let outcome = faulty_run(&["bad-reason@1500"], PATIENT);
    let report = adapter(&outcome);
    assert_eq!((report.protocol_errors, report.restarts), (1, 0), "{report:?}");
    assert_eq!(report.lost_instance_requests, 0, "{report:?}");
    assert!(report.incidents[0].contains("Not Kebab Case"), "{report:?}");
}

/// With a suite whose encodings have fixed lengths (`hardened`), the external run is the built-in run event for
/// event: only the key ids and ciphertexts, which the adapter draws from its own random bytes, differ. (Suites with
/// variable-length encodings — protobuf varints, JSON numbers — also differ in byte counts, and crafted attack
/// inputs built from those bytes may fail for another reason: the library test compares their verdicts.)
#[test]
fn through_the_adapter_quickstart_is_the_same_run_event_for_event() {
    let builtin = quickstart();
    let inside = run_scenario(&builtin, true).expect("the built-in run");
    let mut scenario = quickstart();
    scenario.implementation = external("reference/hardened", &[]);
    let outside = run_scenario(&scenario, true).expect("the external run");
    let (a, b) = (
        masked(inside.trace.as_deref().expect("kept")),
        masked(outside.trace.as_deref().expect("kept")),
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert_eq!(inside.report.counts, outside.report.counts);
    assert_eq!(inside.report.exposures, outside.report.exposures);
}

#[test]
fn a_well_behaved_adapter_gives_the_same_report_every_time() {
    let mut scenario = quickstart();
    scenario.implementation = external("reference/hardened", &[]);
    let a = run_scenario(&scenario, false).expect("runs");
    let b = run_scenario(&scenario, false).expect("runs");
    assert_eq!(a.report, b.report);
    assert!(a.report.implementation.starts_with("external:reference/hardened"));
}

#[test]
fn an_adapter_that_cannot_start_is_a_clear_input_error() {
    let mut scenario = quickstart();
    scenario.implementation = ImplementationSpec::External("/nonexistent/adapter --flag".to_owned());
    match run_scenario(&scenario, false) {
        Err(RunError::BadInput(message)) => {
            assert!(message.contains("could not be started"), "{message}");
            assert!(message.contains("/nonexistent/adapter"), "{message}");
        }
        other => panic!("expected a bad-input error, got {other:?}"),
    }
    // An adapter that exits at once fails the hello exchange; its standard error is quoted.
    scenario.implementation =
        ImplementationSpec::External("sh -c 'echo adapter is broken >&2; exit 3'".to_owned());
    match run_scenario(&scenario, false) {
        Err(RunError::BadInput(message)) => {
            assert!(message.contains("`hello`"), "{message}");
            assert!(message.contains("adapter is broken"), "{message}");
        }
        other => panic!("expected a bad-input error, got {other:?}"),
    }
}

#[test]
fn an_adapter_of_another_protocol_version_is_refused() {
    let mut scenario = quickstart();
    let answer =
        r#"{"id":1,"ok":{"protocol":2,"name":"future","transport":"pairwise","skipped_keys_max":1}}"#;
    scenario.implementation = ImplementationSpec::External(format!(
        "sh -c {}",
        shlex::try_quote(&format!("read line; echo '{answer}'; read line")).expect("quotable")
    ));
    match run_scenario(&scenario, false) {
        Err(RunError::BadInput(message)) => {
            assert!(message.contains("protocol version 2"), "{message}");
        }
        other => panic!("expected a bad-input error, got {other:?}"),
    }
}

#[test]
fn the_report_quotes_incidents_up_to_its_maximum_and_counts_the_rest() {
    let kept = ADAPTER_INCIDENTS_KEPT;
    let faults: Vec<String> = (0..=kept)
        .map(|i| format!("bad-reason@{}", 1500 + 10 * i))
        .collect();
    let faults: Vec<&str> = faults.iter().map(String::as_str).collect();

    let at = faulty_run(&faults[..kept], PATIENT);
    let report = adapter(&at);
    assert_eq!(report.protocol_errors, kept as u64, "{report:?}");
    assert_eq!(report.incidents.len(), kept, "{report:?}");

    let past = faulty_run(&faults, PATIENT);
    let report = adapter(&past);
    assert_eq!(report.protocol_errors, kept as u64 + 1, "{report:?}");
    assert_eq!(report.incidents.len(), kept, "{report:?}");
    assert!(
        report.incidents[kept - 1].contains(&format!("request {}", 1500 + 10 * (kept - 1))),
        "{report:?}"
    );
    let last = format!("request {}", 1500 + 10 * kept);
    assert!(!report.incidents.iter().any(|i| i.contains(&last)), "{report:?}");
}

/// A file in the test's scratch directory holding `script`, run by `sh` as an adapter.
fn script_adapter(name: &str, script: &str) -> String {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("limits-{name}.sh"));
    std::fs::write(&path, script).expect("writes the script");
    shlex::try_join(["sh", path.to_str().expect("UTF-8 path")]).expect("no NUL bytes")
}

/// An adapter that answers `hello` with `name` (and protocol version `protocol`), after writing `stderr` to its
/// standard error, then waits for its input to end.
fn hello_adapter(file: &str, name: &str, protocol: u32, stderr: &str) -> Result<String, String> {
    let answer = serde_json::json!({
        "id": 1,
        "ok": {"protocol": protocol, "name": name, "transport": "pairwise", "skipped_keys_max": 2000},
    });
    let quote = |text: &str| shlex::try_quote(text).expect("no NUL bytes").into_owned();
    let script = format!(
        "read -r request\nprintf %s {} >&2\nprintf '%s\\n' {}\nexec cat >/dev/null\n",
        quote(stderr),
        quote(&answer.to_string())
    );
    ExternalFactory::start(&script_adapter(file, &script), PATIENT).map(|factory| factory.name())
}

#[test]
fn an_adapter_name_of_the_maximum_length_is_accepted_and_a_longer_one_refused() {
    for (file, fits) in [
        ("name-ascii", "n".repeat(NAME_BYTES_MAX)),
        // Bytes, not characters: 2 bytes each.
        ("name-utf8", "é".repeat(NAME_BYTES_MAX / 2)),
    ] {
        assert_eq!(
            hello_adapter(file, &fits, PROTOCOL_VERSION, ""),
            Ok(format!("external:{fits}"))
        );
        let longer = format!("{fits}n");
        let refused =
            hello_adapter(&format!("{file}-longer"), &longer, PROTOCOL_VERSION, "").expect_err("too long");
        assert!(
            refused.contains(&format!("its name must be 1 to {NAME_BYTES_MAX} bytes")),
            "{refused}"
        );
    }
}

#[test]
fn a_failed_adapter_is_quoted_with_the_last_of_its_standard_error() {
    let fits = format!("M{}", "a".repeat(ADAPTER_STDERR_TAIL_BYTES - 2));
    let fits = format!("{fits}Z");
    assert_eq!(fits.len(), ADAPTER_STDERR_TAIL_BYTES);
    // A protocol version sksim does not speak: the start fails and quotes the adapter's standard error.
    let failed = hello_adapter("stderr-fits", "x", PROTOCOL_VERSION + 1, &fits).expect_err("wrong protocol");
    assert!(
        failed.ends_with(&format!("its standard error ends: {fits}")),
        "{failed}"
    );

    let longer = format!("L{fits}");
    let failed =
        hello_adapter("stderr-longer", "x", PROTOCOL_VERSION + 1, &longer).expect_err("wrong protocol");
    assert!(
        failed.ends_with(&format!("its standard error ends: {fits}")),
        "{failed}"
    );
    assert!(!failed.contains(&format!("L{}", &fits[..8])), "{failed}");
}

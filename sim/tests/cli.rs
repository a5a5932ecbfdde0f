//! The command line as a user meets it: exit statuses, what is printed where, the files it writes, and exact
//! snapshots of the table and JSON reports of two small scenarios.

use std::path::PathBuf;

use expect_test::expect;
use sksim::cli::{
    ATTACKS, EXIT_BAD_INPUT, EXIT_CRASH, EXIT_EXPECTATION, EXIT_HARNESS, EXIT_LIVENESS, EXIT_OK, EXIT_SAFETY,
    POLICIES, SUITES, implementations, main_with,
};
use sksim::limits::ADAPTER_TIMEOUT_MAX;

/// Runs `sksim ARGS`; returns (status, stdout, stderr).
fn sksim(args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("sksim").chain(args.iter().copied());
    let status = main_with(argv, &mut out, &mut err);
    let text = |b: Vec<u8>| String::from_utf8(b).expect("the command line prints UTF-8");
    (status, text(out), text(err))
}

/// A `sksim run` JSON report without its `performance` section (the one part that differs between runs), after
/// checking that the section is there, last, and holds every measurement.
fn without_performance(json: &str) -> String {
    let parsed: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let performance = &parsed["performance"];
    for key in ["wall_time_us", "deliveries", "deliveries_per_second"] {
        assert!(performance[key].is_u64(), "performance.{key} in {json}");
    }
    assert!(performance["deliveries"].as_u64() > Some(0), "{json}");
    let at = json
        .find(",\n  \"performance\": {")
        .expect("performance is the last section");
    assert!(
        json[at..].ends_with("}\n}\n"),
        "performance is the last section: {json}"
    );
    format!("{}\n}}\n", &json[..at])
}

/// Stderr of `sksim run` with the numbers of its `ran in ...` line replaced by letters.
fn timing_masked(err: &str) -> String {
    err.lines()
        .map(|line| match line.strip_prefix("ran in ") {
            Some(rest) => {
                let numbers: Vec<&str> = rest
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
                    .filter(|n| n.chars().any(|c| c.is_ascii_digit()))
                    .collect();
                assert!(numbers.len() >= 2, "a timing line has numbers: {line}");
                let mut masked = rest.to_owned();
                for (number, letter) in numbers.iter().zip(["S", "R", "M"]) {
                    masked = masked.replacen(number, letter, 1);
                }
                format!("ran in {masked}\n")
            }
            None => format!("{line}\n"),
        })
        .collect()
}

/// Writes a scenario file under the test's scratch directory; returns its path.
fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

const HEALTHY: &str = r#"
name = "healthy: a removal and a compromise"
seed = 3
duration = "20m"
policy = "on-removal+every-messages:10"

[group]
members = 5

[workload]
messages_per_member_per_hour = 30

[[event]]
at = "5m"
action = "remove"
member = 4

[[event]]
at = "8m"
action = "compromise"
member = 1

[expect]
hold = ["post-removal-secrecy", "forward-secrecy", "authenticity", "delivery"]
"#;

const LEAKY: &str = r#"
name = "leaky: chatalot shows a curious server everything"
seed = 5
duration = "10m"
implementation = "chatalot"

[group]
members = 3

[workload]
messages_per_member_per_hour = 30

[server]
behaviour = "curious"

[expect]
hold = ["server-blindness"]
"#;

#[test]
fn a_met_expectation_exits_0_and_prints_parameters_then_the_report() {
    let path = scenario_file("healthy.toml", HEALTHY);
    let file = path.to_str().expect("UTF-8 path");
    let (status, out, err) = sksim(&["run", file]);
    assert_eq!(status, EXIT_OK, "{out}{err}");
    assert_eq!(
        timing_masked(&err),
        "ran in S s, R deliveries/s, peak memory M MB\n",
        "stderr holds only the timing line"
    );
    let report = out.replace(file, "FILE");
    expect![[r#"
        scenario       healthy: a removal and a compromise (FILE)
        seed           3
        implementation reference/hardened
        policy         on-removal+every-messages:10 (from the file)
        group          5 members, 30 messages per member per hour, 100-byte plaintexts
        time           20m active + 10m quiet (virtual)
        network        latency 20ms–400ms, drop 0%, duplicate 0%, reordering
        server         honest
        events         2 scripted

        ┌──────────────────────┬────────────────┬────────────┬─────────────────────────────────────────────────┐
        │ invariant            │ status         │ violations │ first                                           │
        ├──────────────────────┼────────────────┼────────────┼─────────────────────────────────────────────────┤
        │ post-removal-secrecy │ holds          │ 0          │                                                 │
        │ forward-secrecy      │ holds          │ 0          │                                                 │
        │ join-secrecy         │ not-applicable │ 0          │ no member joined                                │
        │ server-blindness     │ not-applicable │ 0          │ the server is honest (reads nothing)            │
        │ authenticity         │ holds          │ 0          │                                                 │
        │ replay-rejection     │ holds          │ 0          │                                                 │
        │ failure-atomicity    │ not-applicable │ 0          │ no input that must be rejected reached a member │
        │ bounded-state        │ holds          │ 0          │                                                 │
        │ no-crash             │ holds          │ 0          │                                                 │
        │ delivery             │ holds          │ 0          │                                                 │
        └──────────────────────┴────────────────┴────────────┴─────────────────────────────────────────────────┘
        ┌──────────────────────────┬─────────────────────────────────────────┐
        │ metric                   │ value                                   │
        ├──────────────────────────┼─────────────────────────────────────────┤
        │ envelopes sent           │ 46                                      │
        │ deliveries               │ 151                                     │
        │ retries after a key came │ 0                                       │
        │ decrypted                │ 151                                     │
        │ rejected                 │ 0                                       │
        │ lost by the network      │ 0                                       │
        │ delivery ratio           │ 1.000000                                │
        │ undecryptable            │ 0                                       │
        │ distribution             │ 32 messages, 5632 bytes                 │
        │ distributions refused    │ 0                                       │
        │ per rotation             │ 4 rotations; 3 messages, 528 bytes each │
        │ skipped-key high water   │ 0                                       │
        │ key requests             │ 0                                       │
        │ attack inputs            │ 0 delivered, 0 accepted                 │
        │ exposed after compromise │ 20                                      │
        └──────────────────────────┴─────────────────────────────────────────┘
        ┌────────────┬────────────────┬──────────────────────────┬───────────────┬────────────────────┬───────────┐
        │ compromise │ at             │ exposed before (allowed) │ exposed after │ healed after       │ forgeries │
        ├────────────┼────────────────┼──────────────────────────┼───────────────┼────────────────────┼───────────┤
        │ m1 full    │ 0:08:00.000000 │ 0                        │ 20            │ not within the run │           │
        └────────────┴────────────────┴──────────────────────────┴───────────────┴────────────────────┴───────────┘

        the expectations of the scenario are met; trace 4db692915381623391e8cdde5de48d663767c00a67dd81b755fc9033e2a39df8
    "#]]
    .assert_eq(&report);
}

#[test]
fn json_goes_to_stdout_alone_and_to_out() {
    let path = scenario_file("leaky.toml", LEAKY);
    let file = path.to_str().expect("UTF-8 path");
    let json_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/leaky.json");
    let out_arg = json_path.to_str().expect("UTF-8 path");
    let (status, out, err) = sksim(&["run", file, "--format", "json", "--out", out_arg]);
    assert_eq!(status, EXIT_SAFETY, "chatalot's server reads everything: {err}");
    let parsed: serde_json::Value = serde_json::from_str(&out).expect("stdout is pure JSON");
    assert_eq!(std::fs::read_to_string(&json_path).expect("--out written"), out);
    assert!(err.contains("seed           5"), "parameters go to stderr: {err}");
    assert!(err.contains("EXPECTATIONS NOT MET"), "{err}");
    assert!(
        err.contains(&format!("reproduce with: sksim run {file} --seed 5")),
        "{err}"
    );
    for key in [
        "scenario",
        "seed",
        "implementation",
        "suite",
        "policy",
        "trace_hash",
        "expectations_met",
        "invariants",
        "metrics",
    ] {
        assert!(parsed.get(key).is_some(), "the JSON report has `{key}`");
    }
    assert_eq!(parsed["expectations_met"], false);
    let blindness = &parsed["invariants"][3];
    assert_eq!(blindness["name"], "server-blindness");
    assert_eq!(blindness["status"], "violated");
    assert!(
        blindness["first"]["detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    for metric in [
        "envelopes_sent",
        "deliveries",
        "decrypted",
        "rejected",
        "distribution_messages",
        "distribution_bytes",
        "delivery_ratio",
    ] {
        assert!(parsed["metrics"].get(metric).is_some(), "metrics has `{metric}`");
    }
}

#[test]
fn the_table_report_is_exact() {
    let path = scenario_file("leaky-table.toml", LEAKY);
    let file = path.to_str().expect("UTF-8 path");
    let (status, out, _) = sksim(&["run", file]);
    assert_eq!(status, EXIT_SAFETY);
    expect![[r#"
        scenario       leaky: chatalot shows a curious server everything (FILE)
        seed           5
        implementation chatalot
        policy         never (the default: the file sets no `policy`)
        group          3 members, 30 messages per member per hour, 100-byte plaintexts
        time           10m active + 10m quiet (virtual)
        network        latency 20ms–400ms, drop 0%, duplicate 0%, reordering
        server         curious
        events         0 scripted

        ┌──────────────────────┬────────────────┬────────────┬────────────────────────────────────────────────────────────┐
        │ invariant            │ status         │ violations │ first                                                      │
        ├──────────────────────┼────────────────┼────────────┼────────────────────────────────────────────────────────────┤
        │ post-removal-secrecy │ not-applicable │ 0          │ no member was removed or left                              │
        │ forward-secrecy      │ not-applicable │ 0          │ no member's full state was compromised                     │
        │ join-secrecy         │ not-applicable │ 0          │ no member joined                                           │
        │ server-blindness     │ VIOLATED       │ 13         │ 0:00:32.690100 #10: the server decrypted message 0 from m1 │
        │ authenticity         │ holds          │ 0          │                                                            │
        │ replay-rejection     │ holds          │ 0          │                                                            │
        │ failure-atomicity    │ not-applicable │ 0          │ no input that must be rejected reached a member            │
        │ bounded-state        │ holds          │ 0          │                                                            │
        │ no-crash             │ holds          │ 0          │                                                            │
        │ delivery             │ holds          │ 0          │                                                            │
        └──────────────────────┴────────────────┴────────────┴────────────────────────────────────────────────────────────┘
        ┌──────────────────────────┬───────────────────────────────────────┐
        │ metric                   │ value                                 │
        ├──────────────────────────┼───────────────────────────────────────┤
        │ envelopes sent           │ 13                                    │
        │ deliveries               │ 26                                    │
        │ retries after a key came │ 0                                     │
        │ decrypted                │ 26                                    │
        │ rejected                 │ 0                                     │
        │ lost by the network      │ 0                                     │
        │ delivery ratio           │ 1.000000                              │
        │ undecryptable            │ 0                                     │
        │ distribution             │ 6 messages, 1126 bytes                │
        │ distributions refused    │ 0                                     │
        │ per rotation             │ 0 rotations; 0 messages, 0 bytes each │
        │ skipped-key high water   │ 0                                     │
        │ key requests             │ 0                                     │
        │ attack inputs            │ 0 delivered, 0 accepted               │
        │ exposed after compromise │ 0                                     │
        └──────────────────────────┴───────────────────────────────────────┘

        EXPECTATIONS NOT MET:
          - `server-blindness`: expected to hold, but it is violated (13 violations; the first at 0:00:32.690100: the server decrypted message 0 from m1)
        reproduce with: sksim run FILE --seed 5
    "#]].assert_eq(&out.replace(file, "FILE"));
}

#[test]
fn the_json_report_is_exact() {
    let path = scenario_file("healthy-json.toml", HEALTHY);
    let file = path.to_str().expect("UTF-8 path");
    let (status, out, err) = sksim(&["run", file, "--format", "json"]);
    assert_eq!(status, EXIT_OK);
    assert!(err.contains("ran in ") && err.contains(" deliveries/s"), "{err}");
    let out = without_performance(&out);
    expect![[r#"
        {
          "scenario": "healthy: a removal and a compromise",
          "seed": 3,
          "implementation": "reference/hardened",
          "suite": "hardened",
          "policy": "on-removal+every-messages:10",
          "trace_hash": "4db692915381623391e8cdde5de48d663767c00a67dd81b755fc9033e2a39df8",
          "expectations_met": true,
          "mismatches": [],
          "invariants": [
            {
              "name": "post-removal-secrecy",
              "status": "holds",
              "violations": 0,
              "first": null
            },
            {
              "name": "forward-secrecy",
              "status": "holds",
              "violations": 0,
              "first": null
            },
            {
              "name": "join-secrecy",
              "status": "not-applicable",
              "violations": 0,
              "first": null,
              "note": "no member joined"
            },
            {
              "name": "server-blindness",
              "status": "not-applicable",
              "violations": 0,
              "first": null,
              "note": "the server is honest (reads nothing)"
            },
            {
              "name": "authenticity",
              "status": "holds",
              "violations": 0,
              "first": null
            },
            {
              "name": "replay-rejection",
              "status": "holds",
              "violations": 0,
              "first": null
            },
            {
              "name": "failure-atomicity",
              "status": "not-applicable",
              "violations": 0,
              "first": null,
              "note": "no input that must be rejected reached a member"
            },
            {
              "name": "bounded-state",
              "status": "holds",
              "violations": 0,
              "first": null
            },
            {
              "name": "no-crash",
              "status": "holds",
              "violations": 0,
              "first": null
            },
            {
              "name": "delivery",
              "status": "holds",
              "violations": 0,
              "first": null
            }
          ],
          "metrics": {
            "envelopes_sent": 46,
            "deliveries": 151,
            "retries": 0,
            "decrypted": 151,
            "rejected": 0,
            "rejections": {},
            "lost_by_network": 0,
            "discarded_waiting_for_a_key": 0,
            "distribution_messages": 32,
            "distribution_bytes": 5632,
            "distribution_rejections": {},
            "rotations": 4,
            "distribution_messages_per_rotation": 3,
            "distribution_bytes_per_rotation": 528,
            "delivery_ratio": 1.0,
            "undecryptable": {},
            "skipped_keys_high_water": 0,
            "key_requests": 0,
            "exposed_after_compromise": 20,
            "attack_inputs": 0,
            "attack_accepted": 0,
            "attacks_skipped": 0,
            "events_without_effect": [],
            "events": 241
          },
          "exposures": [
            {
              "member": 1,
              "scope": "full",
              "compromised_at_us": 480000000,
              "before_allowed": 0,
              "after": 20,
              "after_by_sender": {
                "0": 6,
                "2": 8,
                "3": 6
              },
              "window_us": 718897558,
              "healing_us": null,
              "insider": null,
              "forgeries_attempted": 0,
              "forgeries_accepted": 0,
              "forgery_window_us": null
            }
          ]
        }
    "#]]
    .assert_eq(&out);
}

#[test]
fn overrides_change_the_run_and_the_reproduction_command_names_them() {
    let path = scenario_file("override.toml", HEALTHY);
    let file = path.to_str().expect("UTF-8 path");
    let (status, out, _) = sksim(&[
        "run", file, "--seed", "11", "--impl", "chatalot", "--policy", "never",
    ]);
    assert!(out.contains("seed           11"), "{out}");
    assert!(out.contains("implementation chatalot"), "{out}");
    assert!(out.contains("policy         never"), "{out}");
    assert_eq!(
        status, EXIT_SAFETY,
        "under never, the removed member reads on: {out}"
    );
    assert!(
        out.contains(&format!(
            "reproduce with: sksim run {file} --seed 11 --impl 'chatalot' --policy 'never'"
        )),
        "{out}"
    );
}

#[test]
fn the_trace_file_has_one_line_per_event() {
    let path = scenario_file("traced.toml", HEALTHY);
    let file = path.to_str().expect("UTF-8 path");
    let trace = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/traced.trace");
    let (status, out, _) = sksim(&[
        "run",
        file,
        "--format",
        "json",
        "--trace",
        trace.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, EXIT_OK);
    let parsed: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let lines = std::fs::read_to_string(&trace).expect("trace written");
    assert_eq!(
        lines.lines().count() as u64,
        parsed["metrics"]["events"].as_u64().expect("events"),
    );
    assert!(
        lines.lines().any(|l| l.contains("remove m4")),
        "the removal is traced"
    );
}

#[test]
fn the_same_command_prints_the_same_bytes() {
    let path = scenario_file("twice.toml", HEALTHY);
    let file = path.to_str().expect("UTF-8 path");
    let (first, second) = (sksim(&["run", file]), sksim(&["run", file]));
    // Only the timing line on stderr may differ.
    assert_eq!((first.0, &first.1), (second.0, &second.1));
    assert_eq!(timing_masked(&first.2), timing_masked(&second.2));
}

#[test]
fn bad_input_exits_2_with_a_precise_message() {
    let bad = scenario_file(
        "bad.toml",
        "name = \"bad\"\n[group]\nmembers = 3\n[[event]]\nat = \"1m\"\naction = \"remvoe\"\nmember = 1\n",
    );
    let file = bad.to_str().expect("UTF-8 path");
    let (status, out, err) = sksim(&["run", file]);
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(out.is_empty(), "nothing runs: {out}");
    assert!(err.contains(&format!("{file}:6:10:")), "{err}");
    assert!(err.contains("did you mean `remove`?"), "{err}");

    let good = scenario_file("good.toml", HEALTHY);
    let good = good.to_str().expect("UTF-8 path");
    let timeout_range = format!(
        "the adapter timeout must be from 1ms to {}s",
        ADAPTER_TIMEOUT_MAX.as_secs()
    );
    let cases: [(&[&str], &str); 6] = [
        (&["run", good, "--policy", "evry-messages:3"], "--policy"),
        (&["run", good, "--impl", "acord"], "did you mean `accord`?"),
        (
            &["run", good, "--impl", "external:./no-such-adapter"],
            "the adapter `./no-such-adapter` could not be started: cannot run `./no-such-adapter`",
        ),
        (&["run", good, "--adapter-timeout", "0s"], &timeout_range),
        (
            &["run", "/nonexistent/scenario.toml"],
            "/nonexistent/scenario.toml",
        ),
        (&["run", good, "--sed", "3"], "--sed"),
    ];
    for (args, needle) in cases {
        let (status, _, err) = sksim(args);
        assert_eq!(status, EXIT_BAD_INPUT, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn check_validates_without_running() {
    let good = scenario_file("check-good.toml", HEALTHY);
    let bad = scenario_file("check-bad.toml", "name = \"x\"\n[group]\nmembrs = 3\n");
    let (status, out, err) = sksim(&[
        "check",
        good.to_str().expect("UTF-8"),
        bad.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(out.contains("ok — healthy: a removal and a compromise"), "{out}");
    assert!(
        err.contains("check-bad.toml:3:1:") && err.contains("did you mean `members`?"),
        "{err}"
    );
}

#[test]
fn list_names_exactly_what_the_parsers_accept() {
    let (status, out, _) = sksim(&["list"]);
    assert_eq!(status, EXIT_OK);
    for invariant in sksim::checkers::Invariant::ALL {
        let line = format!("{:<20}  {}", invariant.name(), invariant.description());
        assert!(out.contains(&line), "`sksim list` describes {invariant}: {out}");
    }
    for (name, _) in implementations() {
        assert!(out.contains(name), "`sksim list` names {name}: {out}");
        let name = name.replace("<suite>", "signal");
        sksim::scenario::ImplementationSpec::parse(&name).expect("listed implementations parse");
    }
    assert!(out.contains("external:COMMAND"), "{out}");
    for (suite, _) in SUITES {
        sksim::scenario::ImplementationSpec::parse(&format!("reference/{suite}"))
            .expect("listed suites parse");
    }
    for (policy, _) in POLICIES {
        let policy = policy.replace(":N", ":100").replace(":T", ":24h");
        policy
            .parse::<sksim::policy::Policy>()
            .expect("listed policies parse");
    }
    for (kind, _) in ATTACKS {
        let by = if kind == "forward-fake-key" {
            "1"
        } else {
            "\"server\""
        };
        let text = format!(
            "name = \"a\"\n[group]\nmembers = 3\n[server]\nbehaviour = \"malicious\"\n[[event]]\nat = \"1m\"\naction = \"attack\"\nkind = \"{kind}\"\nby = {by}\ntarget = 2\n"
        );
        sksim::scenario::parse("list.toml", &text).expect("listed attacks parse");
        assert!(out.contains(kind));
    }
    assert!(out.contains("post-removal-secrecy"));
}

#[test]
fn help_shows_an_example_for_every_command() {
    for command in [
        "run", "compare", "shrink", "sweep", "merge", "check", "list", "demo", "zoo",
    ] {
        let (status, out, _) = sksim(&[command, "--help"]);
        assert_eq!(status, EXIT_OK);
        assert!(
            out.contains(&format!("Example: `sksim {command}")),
            "{command}: {out}"
        );
    }
}

/// The README shows the quickstart's real output, byte for byte.
#[test]
fn the_readme_shows_the_real_quickstart_output() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let marker = "<!-- quickstart-output: checked by `sim/tests/cli.rs` -->\n```text\n";
    let start = readme
        .find(marker)
        .expect("the README marks the quickstart output")
        + marker.len();
    let shown = &readme[start..start + readme[start..].find("```\n").expect("closing fence")];
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/quickstart.toml");
    let (status, out, _) = sksim(&["run", file]);
    assert_eq!(status, EXIT_OK);
    assert_eq!(
        shown,
        out.replace(file, "scenarios/quickstart.toml"),
        "update the README's quickstart output (run `sksim run scenarios/quickstart.toml`)"
    );
}

#[test]
fn shrink_writes_a_minimal_scenario_that_runs_and_meets_its_expectation() {
    let noisy = scenario_file(
        "noisy.toml",
        "name = \"noisy\"\nseed = 4\nduration = \"30m\"\npolicy = \"never\"\n[group]\nmembers = 8\n\
         [workload]\nmessages_per_member_per_hour = 40\n[[event]]\nat = \"2m\"\naction = \"join\"\n\
         [[event]]\nat = \"10m\"\naction = \"remove\"\nmember = 3\n",
    );
    let minimal = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/minimal.toml");
    let (status, out, err) = sksim(&[
        "shrink",
        noisy.to_str().expect("UTF-8"),
        "--out",
        minimal.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(out.is_empty(), "with --out, nothing on stdout");
    assert!(
        err.contains("while `post-removal-secrecy` stays violated"),
        "the default target: {err}"
    );
    let shrunk = sksim::scenario::load(&minimal).expect("the output is an ordinary scenario file");
    assert_eq!(shrunk.config.actions.len(), 1);
    assert_eq!(shrunk.expect.violated, ["post-removal-secrecy"]);
    let (status, _, _) = sksim(&["run", minimal.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_OK, "the shrunk file's own expectation is met");

    assert!(
        err.contains(&format!("check it with `sksim run {}`", minimal.display())),
        "the real file is named: {err}"
    );

    let healthy = scenario_file("shrink-healthy.toml", HEALTHY);
    let (status, out, err) = sksim(&["shrink", healthy.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("nothing to shrink") && err.contains("no invariant is violated"),
        "{err}"
    );
}

/// A file whose expectations are all met has nothing to shrink, even when it violates what it expects to.
#[test]
fn shrink_without_an_unexpected_violation_says_so_and_shrinks_nothing() {
    let expected = scenario_file(
        "shrink-expected.toml",
        "name = \"expected\"\nseed = 4\nduration = \"30m\"\n[group]\nmembers = 4\n\
         [[event]]\nat = \"10m\"\naction = \"remove\"\nmember = 3\n[expect]\nviolated = [\"post-removal-secrecy\"]\n",
    );
    let (status, out, err) = sksim(&["shrink", expected.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(out.is_empty(), "no scenario is written: {out}");
    assert!(
        err.contains("nothing to shrink")
            && err.contains("post-removal-secrecy")
            && err.contains("--invariant")
            && !err.contains("shrinking"),
        "{err}"
    );
    // Named, it is shrunk; to stdout, the message says how to check the result.
    let (status, out, err) = sksim(&[
        "shrink",
        expected.to_str().expect("UTF-8"),
        "--invariant",
        "post-removal-secrecy",
    ]);
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(out.contains("[expect]"), "{out}");
    assert!(
        err.contains("sksim run minimal.toml") && !err.contains("sksim run FILE"),
        "{err}"
    );
}

/// Every argument is checked before shrinking starts.
#[test]
fn shrink_refuses_an_unknown_invariant_before_it_starts() {
    let healthy = scenario_file("shrink-arguments.toml", HEALTHY);
    let (status, out, err) = sksim(&[
        "shrink",
        healthy.to_str().expect("UTF-8"),
        "--invariant",
        "delivry",
    ]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(out.is_empty());
    assert!(!err.contains("shrinking"), "nothing started: {err}");
    assert!(err.contains("did you mean `delivery`?"), "{err}");
}

#[test]
fn compare_prints_every_format_and_draws_the_plot() {
    let file = scenario_file("compare.toml", HEALTHY);
    let file = file.to_str().expect("UTF-8");
    let plot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/compare.svg");
    let base = [
        "compare",
        file,
        "--policy",
        "never",
        "--policy",
        "on-removal",
        "--seeds",
        "0..3",
    ];
    let (status, table, err) = sksim(&[&base[..], &["--plot", plot.to_str().expect("UTF-8")]].concat());
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(table.contains("never") && table.contains("on-removal"), "{table}");
    assert!(
        err.contains("comparing 2 policies × 1 implementation over seeds 0..3 (6 runs) of "),
        "{err}"
    );
    let svg = std::fs::read_to_string(&plot).expect("plot written");
    assert!(svg.starts_with("<svg") && svg.contains("on-removal"));
    let (_, json, _) = sksim(&[&base[..], &["--format", "json"]].concat());
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(parsed["rows"].as_array().map(Vec::len), Some(2));
    let (_, csv, _) = sksim(&[&base[..], &["--format", "csv"]].concat());
    assert!(
        csv.starts_with("policy,implementation,kind,name,runs,samples,mean,p50,p95,min,max"),
        "{csv}"
    );

    let (status, per_seed, err) = sksim(&[&base[..], &["--format", "csv", "--per-seed"]].concat());
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(
        per_seed.starts_with("policy,implementation,seed,exposed_after_compromise,"),
        "{per_seed}"
    );
    assert_eq!(per_seed.lines().count(), 1 + 2 * 3, "a line per run: {per_seed}");
    let (status, per_seed, err) = sksim(&[&base[..], &["--format", "json", "--per-seed"]].concat());
    assert_eq!(status, EXIT_OK, "{err}");
    let parsed: serde_json::Value = serde_json::from_str(&per_seed).expect("JSON");
    assert_eq!(parsed["runs"].as_array().map(Vec::len), Some(6));

    let (status, _, err) = sksim(&["compare", file, "--seeds", "5..6", "--format", "csv"]);
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(
        err.contains("comparing 1 policy × 1 implementation over seeds 5..6 (1 run) of "),
        "{err}"
    );

    // Refused before anything runs: --per-seed as a table, and a plot that is not .svg.
    let (status, out, err) = sksim(&[&base[..], &["--per-seed"]].concat());
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(out.is_empty() && !err.contains("comparing"), "{err}");
    assert!(err.contains("add --format csv or --format json"), "{err}");
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/compare.png");
    let _ = std::fs::remove_file(&png);
    let (status, out, err) = sksim(&[&base[..], &["--plot", png.to_str().expect("UTF-8")]].concat());
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(out.is_empty() && !err.contains("comparing"), "{err}");
    assert!(
        err.contains("cannot write a .png file") && err.contains("supported: .svg"),
        "{err}"
    );
    assert!(!png.exists());

    for (seeds, needle) in [
        ("3..3", "the range is empty"),
        ("a..3", "not a whole number"),
        ("3", "like `0..1000`"),
    ] {
        let (status, _, err) = sksim(&["compare", file, "--seeds", seeds]);
        assert_eq!(status, EXIT_BAD_INPUT, "{seeds}");
        assert!(err.contains(needle), "{seeds}: {err}");
    }
}

/// `--no-memo` changes the speed and says so, nothing else: the same JSON report but for `performance.memo`,
/// and the same table. `compare --jobs N` gives the same bytes for 1 and 2 threads (summary and --per-seed) and
/// refuses 0.
#[test]
fn no_memo_and_jobs_change_nothing_but_the_speed() {
    let file = scenario_file("no-memo.toml", HEALTHY);
    let file = file.to_str().expect("UTF-8");
    let mut reports = Vec::new();
    for extra in [&[][..], &["--no-memo"][..]] {
        let (status, json, err) = sksim(&[&["run", file, "--format", "json"][..], extra].concat());
        assert_eq!(status, EXIT_OK, "{err}");
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(parsed["performance"]["memo"], extra.is_empty(), "{json}");
        assert_eq!(err.contains(", no memo"), !extra.is_empty(), "{err}");
        reports.push(without_performance(&json));
    }
    assert_eq!(reports[0], reports[1]);
    let (_, table, _) = sksim(&["run", file]);
    let (_, table_no_memo, _) = sksim(&["run", file, "--no-memo"]);
    assert_eq!(table, table_no_memo);

    let compare = |extra: &[&str]| {
        let (status, out, err) = sksim(&[&["compare", file, "--seeds", "0..3"][..], extra].concat());
        assert_eq!(status, EXIT_OK, "{extra:?}: {err}");
        out
    };
    let one = compare(&["--jobs", "1"]);
    assert_eq!(compare(&["--jobs", "2"]), one);
    assert_eq!(compare(&["--jobs", "2", "--no-memo"]), one);
    for format in ["csv", "json"] {
        let per_seed = [
            "--format",
            format,
            "--per-seed",
            "--policy",
            "never",
            "--policy",
            "on-removal",
        ];
        let one = compare(&[&per_seed[..], &["--jobs", "1"]].concat());
        let runs = if format == "csv" {
            one.lines().count() - 1
        } else {
            let parsed: serde_json::Value = serde_json::from_str(&one).expect("JSON");
            parsed["runs"].as_array().map_or(0, Vec::len)
        };
        assert_eq!(runs, 2 * 3, "{format}: a record per run");
        assert_eq!(
            compare(&[&per_seed[..], &["--jobs", "2"]].concat()),
            one,
            "{format}"
        );
    }
    let (status, _, err) = sksim(&["compare", file, "--jobs", "0"]);
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(err.contains("--jobs"), "{err}");
}

/// What the README's "Scaling out" examples do, locally: N shards, then a merge, equal the unsharded sweep.
#[test]
fn sharded_sweeps_merge_into_the_unsharded_sweep() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli/sweep");
    let _ = std::fs::remove_dir_all(&root);
    let whole = root.join("whole");
    let (status, summary, err) = sksim(&[
        "sweep",
        "--seeds",
        "0..6",
        "--budget",
        "5m",
        "--out",
        whole.to_str().expect("UTF-8"),
    ]);
    assert_eq!(
        status, EXIT_OK,
        "reference/hardened has no unexpected violation: {summary}{err}"
    );
    let mut shard_files = Vec::new();
    for index in 0..3 {
        let dir = root.join(format!("shard-{index}"));
        let shard = format!("{index}/3");
        let (status, _, err) = sksim(&[
            "sweep",
            "--seeds",
            "0..6",
            "--shard",
            &shard,
            "--budget",
            "5m",
            "--out",
            dir.to_str().expect("UTF-8"),
        ]);
        assert_eq!(status, EXIT_OK, "{err}");
        shard_files.push(dir.join(format!("sweep-0-6-shard-{index}-of-3.json")));
    }
    let merged = root.join("merged.json");
    let mut args = vec!["merge".to_owned()];
    args.extend(shard_files.iter().map(|p| p.to_str().expect("UTF-8").to_owned()));
    args.extend(["--out".to_owned(), merged.to_str().expect("UTF-8").to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, merged_summary, err) = sksim(&args);
    assert_eq!(status, EXIT_OK, "{err}");
    assert_eq!(merged_summary, summary, "the merged summary is the unsharded one");
    let read = |p: PathBuf| std::fs::read_to_string(p).expect("result written");
    assert_eq!(read(merged), read(whole.join("sweep-0-6-shard-0-of-1.json")));

    let (status, _, err) = sksim(&args[..3]);
    assert_eq!(status, EXIT_BAD_INPUT, "a missing shard is refused");
    assert!(err.contains("shard"), "{err}");
}

#[test]
fn an_external_implementation_runs_from_the_command_line_with_its_adapter_section() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/quickstart.toml");
    let adapter = env!("CARGO_BIN_EXE_sksim-adapter");
    let implementation = format!("external:{adapter} reference/hardened");
    let (status, out, err) = sksim(&["run", file, "--impl", &implementation, "--adapter-timeout", "30s"]);
    assert_eq!(status, 0, "{err}");
    assert!(out.contains("implementation external:"), "{out}");
    assert!(
        out.contains(&format!(
            "adapter `{adapter} reference/hardened`: 7644 requests, 0 crashes, 0 timeouts, 0 protocol errors, \
             0 restarts, 0 requests for lost instances"
        )),
        "{out}"
    );
    assert!(
        out.contains("every applicable invariant holds, as expected"),
        "{out}"
    );
    let (status, json, err) = sksim(&["run", file, "--impl", &implementation, "--format", "json"]);
    assert_eq!(status, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
    assert_eq!(report["implementation"], "external:reference/hardened");
    assert_eq!(report["suite"], "external");
    assert_eq!(report["adapter"]["requests"], 7644);
    assert_eq!(report["adapter"]["incidents"], serde_json::json!([]));
}

/// A writer whose reader has gone (`sksim run ... | head`).
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A closed standard output ends the command quietly with status 0, as `ls | head` does.
#[test]
fn a_closed_output_ends_the_command_quietly() {
    let file = scenario_file("closed-pipe.toml", HEALTHY);
    let mut err = Vec::new();
    let status = main_with(
        ["sksim", "run", file.to_str().expect("UTF-8")],
        &mut ClosedPipe,
        &mut err,
    );
    let err = String::from_utf8(err).expect("UTF-8");
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(!err.contains("harness"), "{err}");
    let mut err = Vec::new();
    assert_eq!(main_with(["sksim", "list"], &mut ClosedPipe, &mut err), EXIT_OK);
    assert!(err.is_empty());
}

/// Every output path is opened before the run: a bad one costs nothing, and leaves nothing behind.
#[test]
fn output_paths_are_checked_before_the_run() {
    let file = scenario_file("out-before.toml", HEALTHY);
    let file = file.to_str().expect("UTF-8");
    for flag in ["--out", "--trace"] {
        let (status, out, err) = sksim(&["run", file, flag, "/nonexistent/dir/x.json"]);
        assert_eq!(status, EXIT_BAD_INPUT, "{flag}: {err}");
        assert!(out.is_empty(), "{flag}: nothing ran, nothing printed: {out}");
        assert!(
            err.contains("/nonexistent/dir/x.json") && err.contains("nothing was run"),
            "{flag}: {err}"
        );
    }
    let (status, out, err) = sksim(&[
        "compare",
        file,
        "--seeds",
        "0..2",
        "--plot",
        "/nonexistent/dir/p.svg",
    ]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(out.is_empty(), "nothing was compared: {out}");
    assert!(
        err.contains("nothing was run") && !err.contains("comparing"),
        "{err}"
    );
    // A directory cannot be made inside a regular file, whoever runs the test.
    let blocker = scenario_file("not-a-directory", "a file");
    let under_a_file = blocker.join("sweep");
    let (status, out, err) = sksim(&[
        "sweep",
        "--seeds",
        "0..2",
        "--out",
        under_a_file.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(out.is_empty(), "nothing was swept: {out}");
    assert!(
        err.contains("nothing was run") && !err.contains("sweeping"),
        "{err}"
    );
    let (status, _, err) = sksim(&["shrink", file, "--out", "/nonexistent/dir/min.toml"]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(
        err.contains("nothing was run") && !err.contains("shrinking"),
        "{err}"
    );
    // A run refused after the outputs were opened leaves no empty file behind.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    let report = dir.join("refused-report.json");
    let _ = std::fs::remove_file(&report);
    let (status, _, err) = sksim(&[
        "run",
        file,
        "--impl",
        "no-such-implementation",
        "--out",
        report.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(!report.exists(), "no empty report left behind");
}

/// The header says where the policy came from: the file, the default, or --policy.
#[test]
fn the_header_names_the_policy_and_its_source() {
    let from_file = scenario_file("policy-file.toml", HEALTHY);
    let (_, out, _) = sksim(&["run", from_file.to_str().expect("UTF-8")]);
    assert!(
        out.contains("policy         on-removal+every-messages:10 (from the file)\n"),
        "{out}"
    );
    let (_, out, _) = sksim(&[
        "run",
        from_file.to_str().expect("UTF-8"),
        "--policy",
        "on-removal",
    ]);
    assert!(
        out.contains("policy         on-removal (from --policy)\n"),
        "{out}"
    );
    let default = scenario_file(
        "policy-default.toml",
        "name = \"no policy\"\nduration = \"10m\"\n[group]\nmembers = 3\n[[event]]\nat = \"5m\"\naction = \"remove\"\nmember = 2\n",
    );
    let (status, out, _) = sksim(&["run", default.to_str().expect("UTF-8")]);
    assert_eq!(
        status, EXIT_SAFETY,
        "nobody rotates, so the removed member reads on: {out}"
    );
    assert!(
        out.contains("policy         never (the default: the file sets no `policy`)\n"),
        "{out}"
    );
}

/// Several files and directories: one line per file, a summary table, the worst status.
#[test]
fn run_takes_several_files_and_directories() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-many");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    std::fs::write(dir.join("a-healthy.toml"), HEALTHY).expect("write");
    std::fs::write(
        dir.join("b-unmet.toml"),
        "name = \"unmet\"\nduration = \"10m\"\n[group]\nmembers = 3\n[[event]]\nat = \"5m\"\naction = \"remove\"\nmember = 2\n",
    )
    .expect("write");
    std::fs::write(dir.join("not-a-scenario.txt"), "ignored").expect("write");
    let dir_text = dir.to_str().expect("UTF-8");
    let (status, out, err) = sksim(&["run", dir_text]);
    assert_eq!(status, EXIT_SAFETY, "the most severe of 0 and 4: {out}{err}");
    assert!(out.contains("a-healthy.toml: expectations met"), "{out}");
    assert!(out.contains("b-unmet.toml: EXPECTATIONS NOT MET"), "{out}");
    assert!(out.contains("reproduce with: sksim run"), "{out}");
    assert!(!out.contains("not-a-scenario"), "{out}");
    assert!(out.contains("│ result"), "a summary table: {out}");
    assert!(
        out.contains("2 files: 1 met their expectations, 1 did not, 0 refused"),
        "{out}"
    );
    // A bad file among them makes the status 2, and the others still run.
    let bad = dir.join("c-bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n").expect("write");
    let healthy = dir.join("a-healthy.toml");
    let (status, out, _) = sksim(&[
        "run",
        healthy.to_str().expect("UTF-8"),
        bad.to_str().expect("UTF-8"),
    ]);
    assert_eq!(status, EXIT_BAD_INPUT, "{out}");
    assert!(out.contains("a-healthy.toml: expectations met"), "{out}");
    assert!(out.contains("c-bad.toml: refused: "), "{out}");
    // JSON: an array, one entry per file, in order.
    let (_, json, _) = sksim(&["run", dir_text, "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let entries = parsed.as_array().expect("an array");
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["status"], 0);
    assert_eq!(entries[1]["status"], u64::from(EXIT_SAFETY));
    assert_eq!(entries[1]["report"]["expectations_met"], false);
    assert_eq!(entries[2]["status"], 2);
    assert!(entries[2]["report"].is_null() && entries[2]["error"].is_string());
    // --trace is for one run.
    let (status, _, err) = sksim(&["run", dir_text, "--trace", "t.txt"]);
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(err.contains("give one scenario file"), "{err}");
}

/// The documented maximum group is refused before it runs, with the estimate and what to change (exit 2), not
/// aborted when an allocation fails.
#[test]
fn a_run_that_cannot_fit_is_refused_before_it_starts() {
    let huge = scenario_file("huge.toml", "name = \"huge\"\n[group]\nmembers = 100000\n");
    for command in ["run", "check"] {
        let (status, _, err) = sksim(&[command, huge.to_str().expect("UTF-8")]);
        assert_eq!(status, EXIT_BAD_INPUT, "{command}: {err}");
        assert!(
            err.contains("would need about 6.4 TB") && err.contains("use fewer members"),
            "{command}: {err}"
        );
    }
}

/// The report's numbers add up as the README defines them: every delivery and every retry is decrypted or
/// rejected once (`decrypted + rejected = deliveries + retries`), and sealed distributions the channel refused are
/// counted apart from envelopes. Checked on a scenario in which envelopes race their keys (so there are retries).
#[test]
fn the_reports_numbers_add_up() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for file in [
        "scenarios/libsignal-message-before-its-key.toml",
        "scenarios/quickstart.toml",
        "scenarios/weakness-12-signing-key-compromise.toml",
    ] {
        let (_, json, err) = sksim(&["run", &format!("{root}/{file}"), "--format", "json"]);
        let report: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{file}: {e}\n{err}"));
        let m = &report["metrics"];
        let n = |key: &str| m[key].as_u64().unwrap_or_else(|| panic!("{file}: metrics.{key}"));
        assert_eq!(
            n("decrypted") + n("rejected"),
            n("deliveries") + n("retries"),
            "{file}: {m}"
        );
        let by_reason: u64 = m["rejections"]
            .as_object()
            .expect("map")
            .values()
            .filter_map(|v| v.as_u64())
            .sum();
        assert_eq!(by_reason, n("rejected"), "{file}");
        if file.contains("before-its-key") {
            assert!(
                n("retries") > 0,
                "{file}: envelopes that raced their key were retried: {m}"
            );
        }
    }
}

/// A mismatch line writes its time as the tables do (`h:mm:ss.µµµµµµ`), not in seconds.
#[test]
fn mismatch_lines_write_times_as_the_tables_do() {
    let file = scenario_file(
        "time-format.toml",
        "name = \"t\"\nduration = \"10m\"\n[group]\nmembers = 3\n[workload]\nmessages_per_member_per_hour = 60\n\
         [[event]]\nat = \"5m\"\naction = \"remove\"\nmember = 2\n",
    );
    let (status, out, _) = sksim(&["run", file.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_SAFETY, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("`post-removal-secrecy`: expected to hold"))
        .unwrap_or_else(|| panic!("a mismatch line: {out}"));
    assert!(line.contains("the first at 0:0"), "{line}");
    assert!(!line.contains("s:"), "{line}");
}

/// An event that can only be found to do nothing as it runs (a signing key stolen from an implementation that
/// signs nothing) is listed in the report with when and why, not only in the trace.
#[test]
fn events_that_did_nothing_are_in_the_report() {
    let file = scenario_file(
        "without-effect.toml",
        "name = \"t\"\nduration = \"10m\"\nimplementation = \"chatalot\"\n[group]\nmembers = 3\n\
         [[event]]\nat = \"5m\"\naction = \"compromise\"\nmember = 1\nscope = \"signing-key\"\n",
    );
    let file = file.to_str().expect("UTF-8");
    let (_, out, _) = sksim(&["run", file]);
    assert!(
        out.contains("events that did nothing:\n  - 0:05:00.000000: m1 has no signing key to steal\n"),
        "{out}"
    );
    let (_, json, _) = sksim(&["run", file, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        report["metrics"]["events_without_effect"],
        serde_json::json!(["0:05:00.000000: m1 has no signing key to steal"])
    );
}

/// An output that names the scenario file itself, or another output, is refused before anything is written:
/// nothing the user had is replaced.
#[test]
fn an_output_never_replaces_the_input_or_another_output() {
    let file = scenario_file("in-place.toml", HEALTHY);
    let text = file.to_str().expect("UTF-8");
    for args in [
        vec!["run", text, "--out", text],
        vec!["run", text, "--trace", text],
        vec!["shrink", text, "--out", text],
    ] {
        let (status, out, err) = sksim(&args);
        assert_eq!(status, EXIT_BAD_INPUT, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(
            err.contains("that is a file this command reads"),
            "{args:?}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&file).expect("still there"),
            HEALTHY,
            "{args:?}: the scenario is untouched"
        );
    }
    // The same file by another name.
    let dir = file.parent().expect("a directory");
    let other_name = dir
        .join("..")
        .join(dir.file_name().expect("a name"))
        .join("in-place.toml");
    let (status, _, err) = sksim(&["run", text, "--out", other_name.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    // merge --out naming one of its shards.
    let shard = scenario_file("shard.json", "{}");
    let shard = shard.to_str().expect("UTF-8");
    let (status, _, err) = sksim(&["merge", shard, "--out", shard]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(err.contains("that is a file this command reads"), "{err}");
    assert_eq!(std::fs::read_to_string(shard).expect("kept"), "{}");
    let both = dir.join("both.json");
    let both = both.to_str().expect("UTF-8");
    let (status, _, err) = sksim(&["run", text, "--out", both, "--trace", both]);
    assert_eq!(status, EXIT_BAD_INPUT, "{err}");
    assert!(err.contains("name the same file"), "{err}");
}

/// A refusal for memory comes before the header: nothing on stdout.
#[test]
fn a_run_refused_for_memory_prints_no_header() {
    let huge = scenario_file("huge-header.toml", "name = \"huge\"\n[group]\nmembers = 100000\n");
    let (status, out, _) = sksim(&["run", huge.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_BAD_INPUT);
    assert!(out.is_empty(), "{out}");
}

/// `check` takes directories as `run` does.
#[test]
fn check_takes_a_directory() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let (status, out, err) = sksim(&["check", dir]);
    assert_eq!(status, EXIT_OK, "{err}");
    assert!(out.lines().count() >= 40, "{out}");
    assert!(out.contains("quickstart.toml: ok"), "{out}");
}

/// Each failure class has its own exit status, and several results give the most severe: the harness, bad input,
/// safety, a crash, liveness, then expectations otherwise not met.
#[test]
fn exit_statuses_follow_the_failure_class() {
    use sksim::checkers::Invariant;
    use sksim::cli::{most_severe, not_met_status};
    assert_eq!(not_met_status(&[]), EXIT_EXPECTATION);
    assert_eq!(not_met_status(&[Invariant::Delivery]), EXIT_LIVENESS);
    assert_eq!(
        not_met_status(&[Invariant::NoCrash, Invariant::Delivery]),
        EXIT_CRASH
    );
    assert_eq!(
        not_met_status(&[Invariant::NoCrash, Invariant::ReplayRejection]),
        EXIT_SAFETY
    );
    for invariant in Invariant::ALL {
        let expected = match invariant {
            Invariant::NoCrash => EXIT_CRASH,
            Invariant::Delivery => EXIT_LIVENESS,
            _ => EXIT_SAFETY,
        };
        assert_eq!(not_met_status(&[invariant]), expected, "{invariant}");
    }
    assert_eq!(most_severe([]), EXIT_OK);
    assert_eq!(
        most_severe([EXIT_OK, EXIT_EXPECTATION, EXIT_LIVENESS]),
        EXIT_LIVENESS
    );
    assert_eq!(
        most_severe([EXIT_LIVENESS, EXIT_CRASH, EXIT_EXPECTATION]),
        EXIT_CRASH
    );
    assert_eq!(most_severe([EXIT_CRASH, EXIT_SAFETY]), EXIT_SAFETY);
    assert_eq!(most_severe([EXIT_SAFETY, EXIT_BAD_INPUT]), EXIT_BAD_INPUT);
    assert_eq!(most_severe([EXIT_BAD_INPUT, EXIT_HARNESS, EXIT_OK]), EXIT_HARNESS);
    // From the command line: a message lost and nothing else is a liveness failure; an expected violation that
    // did not happen is a mismatch without one.
    let lossy = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/joins-while-offline.toml");
    let (status, out, _) = sksim(&["run", lossy]);
    assert_eq!(status, EXIT_LIVENESS, "{out}");
    let dir = std::env::temp_dir().join(format!("sksim-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let quiet = dir.join("quiet.toml");
    std::fs::write(
        &quiet,
        "name = \"quiet\"\nduration = \"1m\"\n[group]\nmembers = 3\n[expect]\nviolated = [\"delivery\"]\n",
    )
    .expect("written");
    let (status, out, _) = sksim(&["run", quiet.to_str().expect("UTF-8")]);
    assert_eq!(status, EXIT_EXPECTATION, "{out}");
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

/// The README's table of exit statuses names exactly the statuses the CLI has, and its order of severity is the
/// CLI's.
#[test]
fn the_readme_documents_every_exit_status() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
    let mut documented: Vec<u8> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| "))
        .filter_map(|rest| rest.split(" |").next()?.parse().ok())
        .collect();
    documented.sort_unstable();
    let mut known = sksim::cli::EXIT_SEVERITY.to_vec();
    known.sort_unstable();
    assert_eq!(documented, known);
    let order: Vec<String> = sksim::cli::EXIT_SEVERITY
        .iter()
        .filter(|&&s| s != EXIT_OK)
        .map(u8::to_string)
        .collect();
    assert!(
        readme.contains(&format!("in the order {}.", order.join(", "))),
        "the README states the order of severity"
    );
}

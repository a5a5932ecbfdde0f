//! `sksim compare` as a library: the statistics say what the policies do, the output does not depend on the
//! number of threads (summary or per seed), and the plot is a deterministic, readable SVG.

use std::sync::atomic::{AtomicU64, Ordering};

use expect_test::expect;
use sksim::checkers::INVARIANTS;
use sksim::checkers::Invariant;
use sksim::compare::{
    Comparison, METRICS, Request, Row, compare, plot_svg, render_csv, render_csv_per_seed, render_json,
    render_json_per_seed, render_svg, render_table,
};
use sksim::limits::SEEDS_MAX;
use sksim::policy::Policy;
use sksim::scenario::{self, Scenario};

/// 6 members, 20 minutes at 20 messages per member per hour, member 5 removed at 5m, member 1 fully
/// compromised at 8m.
const SMALL: &str = r#"
name = "small: removal then compromise"
duration = "20m"

[group]
members = 6

[workload]
messages_per_member_per_hour = 20

[[event]]
at = "5m"
action = "remove"
member = 5

[[event]]
at = "8m"
action = "compromise"
member = 1
scope = "full"
"#;

/// The same group with nobody leaving and no compromise: nothing to expose or leak, and no policy rotates.
const QUIET: &str = r#"
name = "quiet: nobody leaves, nothing is stolen"
duration = "20m"

[group]
members = 6

[workload]
messages_per_member_per_hour = 20
"#;

/// The text of every `<text>` element of an SVG written by plotters (one per label, title, tick).
fn svg_texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| element.split_once(">\n")?.1.split_once("\n</text>"))
        .map(|(text, _)| text)
        .collect()
}

fn small() -> Scenario {
    scenario::parse("small.toml", SMALL).expect("the small scenario parses")
}

fn policies(texts: &[&str]) -> Vec<Policy> {
    texts.iter().map(|t| t.parse().expect("a valid policy")).collect()
}

fn request(policy_texts: &[&str], seeds: std::ops::Range<u64>) -> Request {
    Request {
        scenario: small(),
        policies: policies(policy_texts),
        implementations: Vec::new(),
        seeds,
    }
}

fn row<'a>(c: &'a Comparison, policy: &str) -> &'a Row {
    c.rows
        .iter()
        .find(|r| r.policy == policy)
        .expect("a row per policy")
}

fn mean(c: &Comparison, policy: &str, metric: &str) -> f64 {
    row(c, policy).metric(metric).expect("a known metric").mean
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}

#[test]
fn policies_differ_as_expected() {
    let finished = AtomicU64::new(0);
    let c = compare(
        &request(&["never", "on-removal", "every-messages:5"], 0..4),
        &|| {
            finished.fetch_add(1, Ordering::Relaxed);
        },
    )
    .unwrap();
    assert_eq!(finished.load(Ordering::Relaxed), 12, "one tick per run");
    assert_eq!(c.scenario, "small: removal then compromise");
    assert_eq!(c.seeds, (0, 4));
    let order: Vec<(&str, &str)> = c
        .rows
        .iter()
        .map(|r| (r.policy.as_str(), r.implementation.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("never", "reference/hardened"),
            ("on-removal", "reference/hardened"),
            ("every-messages:5", "reference/hardened"),
        ]
    );

    let exposed = |p| mean(&c, p, "exposed_after_compromise");
    assert!(
        exposed("never") > exposed("every-messages:5"),
        "never {} vs every-messages:5 {}",
        exposed("never"),
        exposed("every-messages:5")
    );
    assert!(mean(&c, "never", "post_removal_leaks") > 0.0);
    assert_eq!(mean(&c, "on-removal", "post_removal_leaks"), 0.0);
    let bytes = |p| mean(&c, p, "distribution_bytes");
    assert!(
        bytes("never") < bytes("every-messages:5") && bytes("never") < bytes("on-removal"),
        "{} {} {}",
        bytes("never"),
        bytes("on-removal"),
        bytes("every-messages:5")
    );
    assert_eq!(mean(&c, "never", "rotations"), 0.0);
    // never heals: the compromise at 8m counts until the end of the run (20m + 10m quiet).
    let healing = row(&c, "never").metric("healing_time_s").unwrap();
    assert_eq!((healing.samples, healing.min, healing.max), (4, 1320.0, 1320.0));
    // No signing-key compromise: no forgery window sample; no rotation under never: no bytes per rotation.
    let forgery = row(&c, "never").metric("forgery_window_s").unwrap();
    assert_eq!(forgery.samples, 0);
    assert!(forgery.mean.is_nan());
    assert_eq!(row(&c, "never").metric("bytes_per_rotation").unwrap().samples, 0);

    for r in &c.rows {
        assert_eq!(r.runs, 4);
        let names: Vec<&str> = r.metrics.iter().map(|m| m.name).collect();
        assert_eq!(names, METRICS);
        let names: Vec<&str> = r.invariants.iter().map(|i| i.name).collect();
        assert_eq!(names, INVARIANTS);
        for i in &r.invariants {
            assert_eq!(
                i.held + i.violated + i.not_applicable,
                r.runs,
                "{}: {}",
                r.policy,
                i.name
            );
        }
        for m in &r.metrics {
            if m.samples > 0 {
                assert!(
                    m.min <= m.p50 && m.p50 <= m.p95 && m.p95 <= m.max,
                    "{}: {m:?}",
                    r.policy
                );
                assert!(m.min <= m.mean && m.mean <= m.max, "{}: {m:?}", r.policy);
            }
        }
    }
    let leaks = row(&c, "never").invariant(Invariant::PostRemovalSecrecy).unwrap();
    assert_eq!(leaks.violated, 4);
    let leaks = row(&c, "on-removal")
        .invariant(Invariant::PostRemovalSecrecy)
        .unwrap();
    assert_eq!(leaks.held, 4);

    let json = render_json(&c);
    assert!(json.contains("\"forgery_window_s\""), "{json}");
    assert!(json.contains("\"mean\": null"), "NaN is null: {json}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["rows"].as_array().unwrap().len(), 3);

    let csv = render_csv(&c);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "policy,implementation,kind,name,runs,samples,mean,p50,p95,min,max,held,violated,not_applicable"
        )
    );
    assert_eq!(lines.count(), 3 * (METRICS.len() + INVARIANTS.len()));
    assert!(
        csv.contains("\nnever,reference/hardened,metric,forgery_window_s,4,0,,,,,,,,\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\nnever,reference/hardened,invariant,post-removal-secrecy,4,,,,,,,0,4,0\n"),
        "{csv}"
    );
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let request = Request {
        implementations: vec!["reference".to_owned(), "accord".to_owned()],
        ..request(&["never", "on-removal+every-messages:5"], 0..3)
    };
    let one = in_pool(1, || compare(&request, &|| ()).unwrap());
    let two = in_pool(2, || compare(&request, &|| ()).unwrap());
    assert_eq!(one.rows.len(), 4);
    assert_eq!(render_json(&one), render_json(&two));
    assert_eq!(render_table(&one), render_table(&two));
    assert_eq!(render_csv(&one), render_csv(&two));
    assert_eq!(render_svg(&one), render_svg(&two));
    assert_eq!(render_csv_per_seed(&one), render_csv_per_seed(&two));
    assert_eq!(render_json_per_seed(&one), render_json_per_seed(&two));
}

#[test]
fn per_seed_output_has_one_record_per_run_that_the_summary_agrees_with() {
    let request = Request {
        implementations: vec!["reference".to_owned(), "accord".to_owned()],
        ..request(&["never", "on-removal"], 2..5)
    };
    let c = compare(&request, &|| ()).unwrap();
    for row in &c.rows {
        let seeds: Vec<u64> = row.per_seed.iter().map(|run| run.seed).collect();
        assert_eq!(seeds, [2, 3, 4], "{}", row.policy);
        for (index, stats) in row.metrics.iter().enumerate() {
            let samples: Vec<f64> = row.per_seed.iter().filter_map(|run| run.metrics[index]).collect();
            assert_eq!(samples.len() as u64, stats.samples, "{}", stats.name);
            if !samples.is_empty() {
                let mean = samples.iter().sum::<f64>() / samples.len() as f64;
                assert_eq!(mean, stats.mean, "{}", stats.name);
            }
        }
        for (index, count) in row.invariants.iter().enumerate() {
            let violated = row
                .per_seed
                .iter()
                .filter(|run| run.verdicts[index] == sksim::checkers::Verdict::Violated)
                .count() as u64;
            assert_eq!(violated, count.violated, "{}", count.name);
        }
    }

    let csv = render_csv_per_seed(&c);
    let mut lines = csv.lines();
    let header = format!(
        "policy,implementation,seed,{},{}",
        METRICS.join(","),
        INVARIANTS.join(",")
    );
    assert_eq!(lines.next(), Some(header.as_str()));
    let records: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    assert_eq!(
        records.len(),
        4 * 3,
        "one line per (policy, implementation, seed)"
    );
    let keys: Vec<(&str, &str, &str)> = records.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(
        &keys[..4],
        [
            ("never", "reference/hardened", "2"),
            ("never", "reference/hardened", "3"),
            ("never", "reference/hardened", "4"),
            ("never", "accord", "2"),
        ]
    );
    let column = |name: &str| {
        3 + METRICS
            .iter()
            .chain(&INVARIANTS)
            .position(|n| *n == name)
            .unwrap()
    };
    for record in &records {
        assert_eq!(record.len(), 3 + METRICS.len() + INVARIANTS.len());
        let expected = if record[0] == "never" { "violated" } else { "holds" };
        assert_eq!(record[column("post-removal-secrecy")], expected, "{record:?}");
        assert_eq!(record[column("join-secrecy")], "not-applicable", "{record:?}");
        assert_eq!(
            record[column("forgery_window_s")],
            "",
            "no signing-key compromise: {record:?}"
        );
        assert!(
            record[column("distribution_bytes")].parse::<u64>().is_ok(),
            "{record:?}"
        );
    }
    let first = &c.rows[0].per_seed[0];
    let exposed = first.metrics[0].unwrap();
    assert_eq!(
        records[0][column("exposed_after_compromise")],
        format!("{exposed:.0}")
    );
    assert_eq!(records[0][column("healing_time_s")], "1320.000000");

    let json: serde_json::Value = serde_json::from_str(&render_json_per_seed(&c)).unwrap();
    assert_eq!(json["scenario"], "small: removal then compromise");
    assert_eq!(json["seeds"], serde_json::json!([2, 5]));
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 12);
    assert_eq!(runs[3]["policy"], "never");
    assert_eq!(runs[3]["implementation"], "accord");
    assert_eq!(runs[3]["seed"], 2);
    let metrics = runs[0]["metrics"].as_object().unwrap();
    assert_eq!(metrics.len(), METRICS.len());
    let json_exposed = &runs[0]["metrics"]["exposed_after_compromise"];
    assert!(json_exposed.is_u64(), "a count is an integer: {json_exposed}");
    assert_eq!(json_exposed.to_string(), format!("{exposed:.0}"));
    assert_eq!(runs[0]["metrics"]["forgery_window_s"], serde_json::Value::Null);
    assert_eq!(runs[0]["verdicts"]["post-removal-secrecy"], "violated");
    assert_eq!(runs[11]["verdicts"]["post-removal-secrecy"], "holds");
    assert_eq!(runs[0]["verdicts"].as_object().unwrap().len(), INVARIANTS.len());
    let text = render_json_per_seed(&c);
    let order: Vec<usize> = METRICS
        .iter()
        .map(|m| text.find(&format!("\"{m}\"")).unwrap())
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "metrics in the documented order"
    );
}

#[test]
fn errors_come_before_any_run() {
    let ticks = AtomicU64::new(0);
    let tick = || {
        ticks.fetch_add(1, Ordering::Relaxed);
    };
    let bad_impl = Request {
        implementations: vec!["reference".to_owned(), "acord".to_owned()],
        ..request(&["never"], 0..2)
    };
    let error = compare(&bad_impl, &tick).unwrap_err().to_string();
    assert!(error.contains("did you mean `accord`"), "{error}");
    let external = Request {
        implementations: vec!["external:./no-such-adapter".to_owned()],
        ..request(&["never"], 0..2)
    };
    let error = compare(&external, &tick).unwrap_err().to_string();
    assert!(
        error.contains("the adapter `./no-such-adapter` could not be started"),
        "{error}"
    );
    let error = compare(&request(&["never"], 3..3), &tick)
        .unwrap_err()
        .to_string();
    assert_eq!(error, "--seeds 3..3: the range is empty");
    let error = compare(&request(&["never"], 0..u64::MAX), &tick)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!("--seeds 0..{0}: {0} seeds; the limit is 1000000", u64::MAX)
    );
    // At the limit the seed count is accepted (the next check, the adapter's, answers); one more is refused.
    let at_limit = Request {
        implementations: vec!["external:./no-such-adapter".to_owned()],
        ..request(&["never"], 0..SEEDS_MAX)
    };
    let error = compare(&at_limit, &tick).unwrap_err().to_string();
    assert!(error.contains("could not be started"), "{error}");
    let error = compare(&request(&["never"], 0..SEEDS_MAX + 1), &tick)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!(
            "--seeds 0..{0}: {0} seeds; the limit is {SEEDS_MAX}",
            SEEDS_MAX + 1
        )
    );
    assert_eq!(ticks.load(Ordering::Relaxed), 0);
}

#[test]
fn the_plot_is_a_deterministic_svg() {
    let c = compare(
        &request(&["never", "on-removal", "every-messages:5"], 0..2),
        &|| (),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("sksim-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (first, second) = (dir.join("a.svg"), dir.join("b.svg"));
    assert_eq!(
        plot_svg(&c, &first).unwrap(),
        Vec::<String>::new(),
        "no point hides another"
    );
    plot_svg(&c, &second).unwrap();
    let a = std::fs::read_to_string(&first).unwrap();
    let b = std::fs::read_to_string(&second).unwrap();
    let png = dir.join("plot.png");
    let error = plot_svg(&c, &png).unwrap_err();
    assert!(!png.exists(), "no SVG bytes in a .png");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        error.contains("cannot write a .png file") && error.contains("supported: .svg"),
        "{error}"
    );
    assert!(a.starts_with("<svg"), "{}", &a[..a.len().min(200)]);
    assert_eq!(a, b);
    let texts = svg_texts(&a);
    for label in [
        "never",
        "on-removal",
        "every-messages:5",
        "small: removal then compromise",
        "Exposure after a compromise",
        "Post-removal leaks: what departed members still read",
    ] {
        assert_eq!(
            texts.iter().filter(|t| **t == label).count(),
            1,
            "{label} once (the legend names the points): {texts:?}"
        );
    }
    // 5,280 to 8,800 bytes: the x axis is in kB, and says so; no number of 4 digits or more lacks separators.
    assert!(
        texts.contains(&"key distribution sent per run, in kB (1 kB = 1,000 bytes)"),
        "{texts:?}"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.len() >= 4 && t.chars().all(|ch| ch.is_ascii_digit())),
        "{texts:?}"
    );
    assert!(texts.contains(&"messages exposed after the compromise, per run"));
    assert!(texts.contains(&"messages read after leaving, per run"));

    let missing = std::env::temp_dir()
        .join("sksim-no-such-directory")
        .join("plot.svg");
    let error = plot_svg(&c, &missing).unwrap_err();
    assert!(error.starts_with("cannot write "), "{error}");
}

/// Without a compromise or a departure, every point is at 0 in both panels: the y axes count 0, 1 (not
/// 0, 0, 0, 1, 1, 1), the panels say why they are empty, and the points drawn on each other are named.
#[test]
fn a_plot_without_compromise_has_integer_ticks_and_names_the_points_drawn_together() {
    let c = compare(
        &Request {
            scenario: scenario::parse("quiet.toml", QUIET).unwrap(),
            implementations: vec!["reference".to_owned(), "accord".to_owned()],
            ..request(&["never", "on-removal"], 0..2)
        },
        &|| (),
    )
    .unwrap();
    let plot = render_svg(&c).unwrap();
    let texts = svg_texts(&plot.svg);
    let y_ticks: Vec<&str> = texts.iter().copied().filter(|t| *t == "0" || *t == "1").collect();
    // Both panels: x ticks 0 (kB), y ticks 0 and 1.
    assert_eq!(y_ticks.iter().filter(|t| **t == "1").count(), 2, "{texts:?}");
    assert_eq!(y_ticks.iter().filter(|t| **t == "0").count(), 4, "{texts:?}");
    assert!(
        texts.contains(&"no compromise in this scenario: nothing is exposed"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"nobody leaves in this scenario: nothing can leak"),
        "{texts:?}"
    );
    assert_eq!(
        plot.warnings,
        [
            "the plot draws `on-removal — reference/hardened` at the same place as `never — reference/hardened` in \
             both panels (drawn hollow around it)",
            "the plot draws `on-removal — accord` at the same place as `never — accord` in both panels (drawn \
             hollow around it)",
        ]
    );
    assert!(
        texts.contains(
            &"on-removal — accord   (at the same place as `never — accord` in both panels: drawn hollow around it)"
        ),
        "{texts:?}"
    );
}

#[test]
fn table_snapshot() {
    let c = compare(&request(&["never", "on-removal"], 0..2), &|| ()).unwrap();
    expect![[r#"
        small: removal then compromise — reference/hardened — seeds 0..2; each cell: mean (p50/p95) over the seeds
        ┌────────────┬───────────────┬────────────────────┬──────────────┬────────────────────┬───────────┬─────────────────────┐
        │ policy     │ exposed after │ healing (s)        │ post-removal │ distribution       │ rotations │ delivery            │
        │            │ compromise    │                    │ leaks        │ bytes              │           │ ratio               │
        ├────────────┼───────────────┼────────────────────┼──────────────┼────────────────────┼───────────┼─────────────────────┤
        │ never      │  18.0 (17/19) │ 1320.0 (1320/1320) │ 27.0 (26/28) │ 5280.0 (5280/5280) │ 0.0 (0/0) │ 1.000 (1.000/1.000) │
        │ on-removal │  18.0 (17/19) │ 1320.0 (1320/1320) │    0.0 (0/0) │ 8800.0 (8800/8800) │ 5.0 (5/5) │ 1.000 (1.000/1.000) │
        └────────────┴───────────────┴────────────────────┴──────────────┴────────────────────┴───────────┴─────────────────────┘

        ┌────────────────────────┬──────────────────┬─────────────┐
        │ invariant (seeds held) │ never            │ on-removal  │
        ├────────────────────────┼──────────────────┼─────────────┤
        │ post-removal-secrecy   │ 0/2 (2 violated) │         2/2 │
        │ forward-secrecy        │              2/2 │         2/2 │
        │ join-secrecy           │      0/2 (2 n/a) │ 0/2 (2 n/a) │
        │ server-blindness       │      0/2 (2 n/a) │ 0/2 (2 n/a) │
        │ authenticity           │              2/2 │         2/2 │
        │ replay-rejection       │              2/2 │         2/2 │
        │ failure-atomicity      │      0/2 (2 n/a) │ 0/2 (2 n/a) │
        │ bounded-state          │              2/2 │         2/2 │
        │ no-crash               │              2/2 │         2/2 │
        │ delivery               │              2/2 │         2/2 │
        └────────────────────────┴──────────────────┴─────────────┘
    "#]].assert_eq(&render_table(&c));
}

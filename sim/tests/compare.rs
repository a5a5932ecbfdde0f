//! `sksim compare` as a library: the statistics say what the policies do, the output does not depend on the
//! number of threads, and the plot is a deterministic SVG.

use std::sync::atomic::{AtomicU64, Ordering};

use expect_test::expect;
use sksim::checkers::INVARIANTS;
use sksim::compare::{
    Comparison, METRICS, Request, Row, compare, plot_svg, render_csv, render_json, render_svg, render_table,
};
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
    let leaks = row(&c, "never").invariant("post-removal-secrecy").unwrap();
    assert_eq!(leaks.violated, 4);
    let leaks = row(&c, "on-removal").invariant("post-removal-secrecy").unwrap();
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
    plot_svg(&c, &first).unwrap();
    plot_svg(&c, &second).unwrap();
    let a = std::fs::read_to_string(&first).unwrap();
    let b = std::fs::read_to_string(&second).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(a.starts_with("<svg"), "{}", &a[..a.len().min(200)]);
    assert_eq!(a, b);
    for label in [
        "never",
        "on-removal",
        "every-messages:5",
        "small: removal then compromise",
    ] {
        assert!(a.contains(&format!(">\n{label}\n<")), "no label {label}");
    }
    assert!(a.contains("bytes"));
    assert!(a.contains("messages exposed after compromise"));

    let missing = dir.join("no-such-directory").join("plot.svg");
    let error = plot_svg(&c, &missing).unwrap_err();
    assert!(error.starts_with("cannot write "), "{error}");
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

//! What `sksim run` prints: the stable JSON report and the table form of the same facts.
//!
//! The JSON shape is a contract (documented in the README); fields are only ever added. Everything in it is a
//! function of the scenario and the seed: the same inputs give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use tabled::settings::Style;
use tabled::{Table, Tabled};

use crate::checkers::Verdict;
use crate::config::CompromiseScope;
use crate::engine::Exposure;
use crate::implementation::AdapterReport;
use crate::performance::Performance;
use crate::runner::Outcome;
use crate::scenario::Scenario;
use crate::time::{Micros, format_clock as clock, format_duration, format_span as span};

/// Invariant names joined with `, ` (e.g. `authenticity, delivery`).
pub fn names(invariants: &[crate::checkers::Invariant]) -> String {
    let names: Vec<&str> = invariants.iter().map(|i| i.name()).collect();
    names.join(", ")
}

/// The JSON report of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JsonReport {
    /// The scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The implementation, as reports name it (`reference/hardened`, `accord`, ...).
    pub implementation: String,
    /// The suite it speaks (a model's own suite for the models).
    pub suite: String,
    /// The rotation policy, canonical form.
    pub policy: String,
    /// SHA-256 of the canonical event trace.
    pub trace_hash: String,
    /// Whether every expectation of the scenario was met.
    pub expectations_met: bool,
    /// Where the verdicts contradict the expectations, one line each.
    pub mismatches: Vec<String>,
    /// One entry per invariant, in the threat model's order.
    pub invariants: Vec<JsonInvariant>,
    /// Measurements.
    pub metrics: Metrics,
    /// What each compromise exposed.
    pub exposures: Vec<Exposure>,
    /// What talking to an external adapter took and what went wrong (external implementations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<AdapterReport>,
    /// How fast the run went (`sksim run` only): the one part of a report that differs between runs of the same
    /// scenario and seed. Not part of the trace or its hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performance: Option<Performance>,
}

/// One invariant's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonInvariant {
    /// Its stable name.
    pub name: &'static str,
    /// `holds`, `violated` or `not-applicable`.
    pub status: &'static str,
    /// How many violations.
    pub violations: u64,
    /// The first violation.
    pub first: Option<FirstViolation>,
    /// Why it does not apply, when so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where and why an invariant was first violated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirstViolation {
    /// Event index in the trace.
    pub event: u64,
    /// Virtual time, as `h:mm:ss.µµµµµµ`.
    pub time: String,
    /// Virtual time in microseconds.
    pub time_us: Micros,
    /// One line saying what went wrong.
    pub detail: String,
}

/// The measurements of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Envelopes encrypted and handed to the server.
    pub envelopes_sent: u64,
    /// Envelope copies that reached a member.
    pub deliveries: u64,
    /// Envelopes that had arrived before their key, tried again when key material came: `decrypted + rejected =
    /// deliveries + retries`.
    pub retries: u64,
    /// Decryption attempts accepted.
    pub decrypted: u64,
    /// Decryption attempts rejected (all reasons).
    pub rejected: u64,
    /// Rejections by reason.
    pub rejections: BTreeMap<String, u64>,
    /// Copies the network lost.
    pub lost_by_network: u64,
    /// Copies discarded while waiting for a key, past sksim's bound on the envelopes a member keeps waiting
    /// (`PENDING_ENVELOPES_MAX`): not owed, and counted here so that nothing is dropped silently.
    pub discarded_waiting_for_a_key: u64,
    /// Distribution messages sent.
    pub distribution_messages: u64,
    /// Their bytes, as they travel.
    pub distribution_bytes: u64,
    /// Sealed distributions the pairwise channel refused, by reason.
    pub distribution_rejections: BTreeMap<String, u64>,
    /// Rotations.
    pub rotations: u64,
    /// Mean distribution messages per rotation.
    pub distribution_messages_per_rotation: u64,
    /// Mean distribution bytes per rotation.
    pub distribution_bytes_per_rotation: u64,
    /// Fraction of the messages members should have got that they decrypted (0 to 1).
    pub delivery_ratio: f64,
    /// Messages never decrypted although a copy arrived, by the last reason.
    pub undecryptable: BTreeMap<String, u64>,
    /// The largest skipped-key cache any receiver held.
    pub skipped_keys_high_water: u64,
    /// Key requests.
    pub key_requests: u64,
    /// Messages the adversary decrypted after a compromise, over all compromises.
    pub exposed_after_compromise: u64,
    /// Crafted attack inputs delivered, and how many a member accepted.
    pub attack_inputs: u64,
    /// Crafted inputs accepted.
    pub attack_accepted: u64,
    /// Scripted attacks that could not be made (e.g. an input sksim crafts with its own codecs, for a wire format
    /// it does not know); each is a line in the trace saying why.
    pub attacks_skipped: u64,
    /// Scripted events that did nothing, found only as they ran, each `h:mm:ss.µµµµµµ: why` (the skipped attacks
    /// among them; the trace has each at its time).
    pub events_without_effect: Vec<String>,
    /// Events processed.
    pub events: u64,
}

/// A verdict as the JSON report (and compare's per-seed records) write it: `holds`, `violated` or
/// `not-applicable`.
pub fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Holds => "holds",
        Verdict::Violated => "violated",
        Verdict::NotApplicable => "not-applicable",
    }
}

impl JsonReport {
    /// The report of `outcome`, a run of `scenario`.
    pub fn new(scenario: &Scenario, outcome: &Outcome) -> Self {
        let report = &outcome.report;
        let counts = &report.counts;
        let invariants = report
            .invariants
            .iter()
            .map(|i| JsonInvariant {
                name: i.invariant.name(),
                status: verdict_name(i.verdict),
                violations: i.violations_total,
                first: i.violations.first().map(|v| FirstViolation {
                    event: v.event,
                    time: clock(v.time_us),
                    time_us: v.time_us,
                    detail: v.reason.clone(),
                }),
                note: i.note.clone(),
            })
            .collect();
        #[allow(clippy::cast_precision_loss)] // a ratio in parts per million, exact in f64
        let delivery_ratio = report.delivery_ppm as f64 / 1e6;
        let metrics = Metrics {
            envelopes_sent: counts.envelopes_sent,
            deliveries: counts.deliveries,
            retries: counts.retries,
            decrypted: counts.decrypted,
            rejected: counts.rejections.values().sum(),
            rejections: counts.rejections.clone(),
            lost_by_network: counts.lost_by_network,
            discarded_waiting_for_a_key: counts.pending_overflow,
            distribution_messages: report.distribution.total.messages,
            distribution_bytes: report.distribution.total.bytes,
            distribution_rejections: counts.distribution_rejections.clone(),
            rotations: report.distribution.rotations,
            distribution_messages_per_rotation: report.distribution.per_rotation.messages,
            distribution_bytes_per_rotation: report.distribution.per_rotation.bytes,
            delivery_ratio,
            undecryptable: counts.undecryptable.clone(),
            skipped_keys_high_water: counts.skipped_keys_high_water,
            key_requests: counts.key_requests,
            exposed_after_compromise: report.exposures.iter().map(|e| e.after).sum(),
            attack_inputs: counts.attack_inputs,
            attack_accepted: counts.attack_accepted,
            attacks_skipped: counts.attacks_skipped,
            events_without_effect: counts
                .without_effect
                .iter()
                .map(|(at, why)| format!("{}: {why}", clock(*at)))
                .collect(),
            events: report.events,
        };
        JsonReport {
            scenario: scenario.name.clone(),
            seed: report.seed,
            implementation: report.implementation.clone(),
            suite: scenario.implementation.suite_name().to_owned(),
            policy: report.policy.clone(),
            trace_hash: report.trace_hash.clone(),
            expectations_met: outcome.expectations_met(),
            mismatches: outcome.mismatches.clone(),
            invariants,
            metrics,
            exposures: report.exposures.clone(),
            adapter: report.adapter.clone(),
            performance: None,
        }
    }

    /// Pretty JSON, newline-terminated.
    pub fn to_json(&self) -> String {
        // Invariant: the report holds only strings, integers, finite floats and maps with string keys.
        let mut text = serde_json::to_string_pretty(self).expect("a report always serialises");
        text.push('\n');
        text
    }

    /// The same facts as tables.
    pub fn to_table(&self) -> String {
        #[derive(Tabled)]
        struct InvariantRow {
            invariant: &'static str,
            status: String,
            violations: u64,
            first: String,
        }
        #[derive(Tabled)]
        struct MetricRow {
            metric: &'static str,
            value: String,
        }
        let invariants: Vec<InvariantRow> = self
            .invariants
            .iter()
            .map(|i| InvariantRow {
                invariant: i.name,
                status: if i.status == "violated" {
                    "VIOLATED".to_owned()
                } else {
                    i.status.to_owned()
                },
                violations: i.violations,
                first: match (&i.first, &i.note) {
                    (Some(f), _) => format!("{} #{}: {}", f.time, f.event, f.detail),
                    (None, Some(note)) => note.clone(),
                    (None, None) => String::new(),
                },
            })
            .collect();
        let m = &self.metrics;
        let rows = [
            ("envelopes sent", m.envelopes_sent.to_string()),
            ("deliveries", m.deliveries.to_string()),
            ("retries after a key came", m.retries.to_string()),
            ("decrypted", m.decrypted.to_string()),
            ("rejected", rejected_line(m.rejected, &m.rejections)),
            ("lost by the network", lost_line(m)),
            ("delivery ratio", format!("{:.6}", m.delivery_ratio)),
            (
                "undecryptable",
                rejected_line(m.undecryptable.values().sum(), &m.undecryptable),
            ),
            (
                "distribution",
                format!(
                    "{} messages, {} bytes",
                    m.distribution_messages, m.distribution_bytes
                ),
            ),
            (
                "distributions refused",
                rejected_line(
                    m.distribution_rejections.values().sum(),
                    &m.distribution_rejections,
                ),
            ),
            (
                "per rotation",
                format!(
                    "{} rotations; {} messages, {} bytes each",
                    m.rotations, m.distribution_messages_per_rotation, m.distribution_bytes_per_rotation
                ),
            ),
            ("skipped-key high water", m.skipped_keys_high_water.to_string()),
            ("key requests", m.key_requests.to_string()),
            (
                "attack inputs",
                if m.attacks_skipped == 0 {
                    format!("{} delivered, {} accepted", m.attack_inputs, m.attack_accepted)
                } else {
                    format!(
                        "{} delivered, {} accepted; {} attacks skipped (see the trace)",
                        m.attack_inputs, m.attack_accepted, m.attacks_skipped
                    )
                },
            ),
            ("exposed after compromise", m.exposed_after_compromise.to_string()),
        ];
        let metrics: Vec<MetricRow> = rows
            .into_iter()
            .map(|(metric, value)| MetricRow { metric, value })
            .collect();
        let mut out = String::new();
        out.push_str(&Table::new(invariants).with(Style::sharp()).to_string());
        out.push('\n');
        out.push_str(&Table::new(metrics).with(Style::sharp()).to_string());
        out.push('\n');
        if !m.events_without_effect.is_empty() {
            out.push_str("events that did nothing:\n");
            for line in &m.events_without_effect {
                let _ = writeln!(out, "  - {line}");
            }
        }
        if !self.exposures.is_empty() {
            out.push_str(&exposure_table(&self.exposures));
            out.push('\n');
        }
        if let Some(adapter) = &self.adapter {
            out.push_str(&adapter_lines(adapter));
        }
        out
    }
}

/// The adapter section of the table form: the counts, then each incident quoted.
fn adapter_lines(adapter: &AdapterReport) -> String {
    let mut out = format!(
        "adapter `{}`: {} requests, {} crashes, {} timeouts, {} protocol errors, {} restarts, {} requests for \
         lost instances\n",
        adapter.command,
        adapter.requests,
        adapter.crashes,
        adapter.timeouts,
        adapter.protocol_errors,
        adapter.restarts,
        adapter.lost_instance_requests
    );
    for incident in &adapter.incidents {
        let _ = writeln!(out, "  - {incident}");
    }
    out
}

/// Copies lost by the network, and (only when there are any) copies discarded waiting for a key.
fn lost_line(m: &Metrics) -> String {
    match m.discarded_waiting_for_a_key {
        0 => m.lost_by_network.to_string(),
        discarded => format!(
            "{}; {discarded} more discarded waiting for a key (sksim's bound, not owed)",
            m.lost_by_network
        ),
    }
}

fn rejected_line(total: u64, by_reason: &BTreeMap<String, u64>) -> String {
    if by_reason.is_empty() {
        return total.to_string();
    }
    let parts: Vec<String> = by_reason.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!("{total} ({})", parts.join(", "))
}

fn exposure_table(exposures: &[Exposure]) -> String {
    #[derive(Tabled)]
    struct ExposureRow {
        compromise: String,
        at: String,
        #[tabled(rename = "exposed before (allowed)")]
        before: u64,
        #[tabled(rename = "exposed after")]
        after: u64,
        #[tabled(rename = "healed after")]
        healing: String,
        forgeries: String,
    }
    let optional = |d: Option<Micros>| d.map_or_else(|| "not within the run".to_owned(), span);
    let rows: Vec<ExposureRow> = exposures
        .iter()
        .map(|e| ExposureRow {
            compromise: {
                let scope = match e.scope {
                    CompromiseScope::Full => "full",
                    CompromiseScope::SigningKey => "signing-key",
                };
                match e.insider {
                    Some(insider) => format!("m{} {scope} (insider m{insider})", e.member),
                    None => format!("m{} {scope}", e.member),
                }
            },
            at: clock(e.compromised_at_us),
            before: e.before_allowed,
            after: e.after,
            healing: optional(e.healing_us),
            forgeries: if e.forgeries_attempted == 0 {
                String::new()
            } else {
                format!(
                    "{} made, {} acceptances by receivers, window {}",
                    e.forgeries_attempted,
                    e.forgeries_accepted,
                    e.forgery_window_us.map_or_else(|| "none".to_owned(), span)
                )
            },
        })
        .collect();
    Table::new(rows).with(Style::sharp()).to_string()
}

/// The parameters `sksim run` prints before the report.
pub fn header(scenario: &Scenario, file: &str) -> String {
    let c = &scenario.config;
    let mut out = String::new();
    let mut line = |k: &str, v: String| {
        // Invariant: writing to a String cannot fail.
        writeln!(out, "{k:<15}{v}").expect("write to String");
    };
    line("scenario", format!("{} ({file})", scenario.name));
    line("seed", c.seed.to_string());
    line("implementation", scenario.implementation.to_string());
    line(
        "policy",
        format!("{} ({})", c.policy, scenario.policy_source.describe()),
    );
    line(
        "group",
        format!(
            "{} {}, {} messages per member per hour, {}-byte plaintexts",
            c.members,
            if c.members == 1 { "member" } else { "members" },
            c.messages_per_member_per_hour,
            c.plaintext_bytes
        ),
    );
    line(
        "time",
        format!(
            "{} active + {} quiet (virtual)",
            format_duration(c.duration),
            format_duration(c.quiet)
        ),
    );
    let n = &c.network;
    #[allow(clippy::cast_precision_loss)] // parts per million, exact in f64
    let percent = |ppm: u32| f64::from(ppm) / 10_000.0;
    line(
        "network",
        format!(
            "latency {}–{}, drop {}%, duplicate {}%, {}",
            format_duration(n.latency_min),
            format_duration(n.latency_max),
            percent(n.drop_ppm),
            percent(n.duplicate_ppm),
            if n.reorder { "reordering" } else { "in order" }
        ),
    );
    line("server", format!("{:?}", c.server).to_lowercase());
    line("events", format!("{} scripted", c.actions.len()));
    out
}

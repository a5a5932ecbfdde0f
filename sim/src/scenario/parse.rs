//! The reader of scenario files: TOML to a [`Scenario`], every key checked, every error with the file, line and
//! column of the offending key or value (see `docs/scenario-format.md` for the format).

use core::ops::Range;
use std::collections::BTreeSet;

use senderkeys::SuiteId;
use toml::Spanned;
use toml::de::{DeInteger, DeTable, DeValue};

use super::implementation::parse_suite;
use super::{Expectations, ImplementationSpec, PolicySource, Scenario, ScenarioError};
use crate::attacks::AttackKind;
use crate::checkers::{INVARIANTS, Invariant};
use crate::config::{
    Action, AttackOptions, Attacker, CompromiseScope, GenuineCopy, ScheduledAction, ServerBehaviour,
    SimConfig,
};
use crate::ground_truth::PLAINTEXT_HEADER_BYTES;
use crate::limits::{
    DURATION_MAX, ECHO_CHARS_MAX, EVENTS_MAX, FORGE_REPEAT_MAX, LATENCY_MAX, MEMBERS_MAX,
    MESSAGES_PER_MEMBER_PER_HOUR_MAX, SEND_COUNT_MAX,
};
use crate::mutations::{DistributionMutation, Family, Mutation};
use crate::network::PPM;
use crate::policy::Policy;
use crate::suggest::nearest as suggest;
use crate::time::{Micros, format_duration, parse_duration};

/// What a duration must look like, as error messages say it.
const DURATION_EXPECTED: &str = "a duration like `90s`, `10m` or `24h`";

/// What a probability must look like, as error messages say it.
const PROBABILITY_EXPECTED: &str = "a probability between 0 and 1";

/// What a member number must look like, as error messages say it.
const MEMBER_EXPECTED: &str = "a member number (a whole number from 0)";

const TOP_KEYS: [&str; 15] = [
    "name",
    "description",
    "seed",
    "duration",
    "quiet",
    "start_iteration",
    "implementation",
    "suite",
    "policy",
    "group",
    "workload",
    "network",
    "server",
    "event",
    "expect",
];
const GROUP_KEYS: [&str; 1] = ["members"];
const WORKLOAD_KEYS: [&str; 2] = ["messages_per_member_per_hour", "plaintext_bytes"];
const NETWORK_KEYS: [&str; 4] = ["latency", "drop", "duplicate", "reorder"];
const SERVER_KEYS: [&str; 3] = ["behaviour", "tamper", "mutations"];
const EXPECT_KEYS: [&str; 2] = ["hold", "violated"];
const EVENT_KEYS: [&str; 16] = [
    "at", "action", "count", "member", "members", "until", "scope", "insider", "kind", "by", "target",
    "mutation", "to", "genuine", "ahead", "repeat",
];

/// The actions, with the keys each takes besides `at` and `action`.
const ACTIONS: [(&str, &[&str]); 10] = [
    ("join", &["count"]),
    ("leave", &["member"]),
    ("remove", &["member"]),
    ("offline", &["member", "until"]),
    ("online", &["member"]),
    ("partition", &["members", "until"]),
    ("send", &["member", "count"]),
    ("rotate", &["member"]),
    ("compromise", &["member", "scope", "insider"]),
    (
        "attack",
        &[
            "kind", "by", "target", "mutation", "to", "genuine", "ahead", "repeat",
        ],
    ),
];

pub(super) const ATTACK_KINDS: [(&str, AttackKind); AttackKind::ALL.len()] = {
    let all = AttackKind::ALL;
    let mut named = [("", AttackKind::Forge); AttackKind::ALL.len()];
    let mut i = 0;
    while i < all.len() {
        named[i] = (all[i].name(), all[i]);
        i += 1;
    }
    named
};

pub(super) const GENUINE_COPIES: [(&str, GenuineCopy); 3] = [
    (GenuineCopy::Later.name(), GenuineCopy::Later),
    (GenuineCopy::Earlier.name(), GenuineCopy::Earlier),
    (GenuineCopy::Never.name(), GenuineCopy::Never),
];

pub(super) const SCOPES: [(&str, CompromiseScope); 2] = [
    ("full", CompromiseScope::Full),
    ("signing-key", CompromiseScope::SigningKey),
];

pub(super) const BEHAVIOURS: [(&str, ServerBehaviour); 3] = [
    ("honest", ServerBehaviour::Honest),
    ("curious", ServerBehaviour::Curious),
    ("malicious", ServerBehaviour::Malicious),
];

/// Parses `text`, which [`parse`](fn@super::parse) checked is at most
/// [`SCENARIO_BYTES_MAX`](crate::limits::SCENARIO_BYTES_MAX) bytes; `file` names it in errors.
pub(super) fn read(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let p = Parser { file, text };
    let root = DeTable::parse(text).map_err(|e| {
        p.error(
            &e.span().unwrap_or(0..0),
            format!("invalid TOML: {}", e.message()),
        )
    })?;
    p.scenario(root.get_ref())
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or_default();
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// `text`, cut to [`ECHO_CHARS_MAX`] characters.
pub(super) fn echo(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS_MAX) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// "did you mean `x`?" or the list of valid names.
pub(crate) fn unknown(what: &str, given: &str, candidates: &[&str]) -> String {
    match suggest(given, candidates) {
        Some(near) => format!("unknown {what} `{}`; did you mean `{near}`?", echo(given)),
        None => format!(
            "unknown {what} `{}`; expected {}",
            echo(given),
            one_of(candidates)
        ),
    }
}

/// An unknown mutation: the nearest name if one is near, else where the catalogue is listed (it is too long for
/// one line).
fn unknown_mutation(what: &str, given: &str, names: &[String]) -> String {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match suggest(given, &names) {
        Some(near) => format!("unknown {what} `{}`; did you mean `{near}`?", echo(given)),
        None => format!(
            "unknown {what} `{}`; `sksim list` shows the catalogue",
            echo(given)
        ),
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// A value's type, with its article, for "found ..." messages.
fn a_type(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

type Res<T> = Result<T, ScenarioError>;

/// The text being parsed, for locating errors.
struct Parser<'a> {
    file: &'a str,
    text: &'a str,
}

/// A table of the file, with how messages name it.
struct Table<'t, 'i> {
    /// `""` at the top level, else e.g. `" in [group]"`.
    context: &'static str,
    /// Where the table starts (its header, or `{`).
    span: Range<usize>,
    map: &'t DeTable<'i>,
}

/// One key's value (or one element of an array value, under the array's key).
struct Field<'t, 'i> {
    key: &'static str,
    key_span: Range<usize>,
    value: &'t Spanned<DeValue<'i>>,
}

impl Field<'_, '_> {
    fn span(&self) -> Range<usize> {
        self.value.span()
    }

    fn get(&self) -> &DeValue<'_> {
        self.value.get_ref()
    }
}

impl<'t, 'i> Table<'t, 'i> {
    fn field(&self, key: &'static str) -> Option<Field<'t, 'i>> {
        self.map.get_key_value(key).map(|(k, value)| Field {
            key,
            key_span: k.span(),
            value,
        })
    }

    fn required(&self, p: &Parser<'_>, key: &'static str, meaning: &str) -> Res<Field<'t, 'i>> {
        self.field(key).ok_or_else(|| {
            p.error(
                &self.span,
                format!("missing required key `{key}`{}: {meaning}", self.context),
            )
        })
    }

    /// The keys of this table in file order.
    fn keys_in_order(&self) -> Vec<(&'t str, Range<usize>)> {
        let mut keys: Vec<(&'t str, Range<usize>)> = self
            .map
            .keys()
            .map(|k| (k.get_ref().as_ref(), k.span()))
            .collect();
        keys.sort_by_key(|(_, span)| span.start);
        keys
    }

    /// Rejects the first key (in file order) not in `allowed`.
    fn check_keys(&self, p: &Parser<'_>, allowed: &[&str]) -> Res<()> {
        match self
            .keys_in_order()
            .into_iter()
            .find(|(key, _)| !allowed.contains(key))
        {
            Some((key, span)) => {
                let message = match suggest(key, allowed) {
                    Some(near) => format!(
                        "unknown key `{}`{}; did you mean `{near}`?",
                        echo(key),
                        self.context
                    ),
                    None => format!(
                        "unknown key `{}`{}; expected {}",
                        echo(key),
                        self.context,
                        one_of(allowed)
                    ),
                };
                Err(p.error(&span, message))
            }
            None => Ok(()),
        }
    }

    /// The table under `key`, if present.
    fn subtable(
        &self,
        p: &Parser<'_>,
        key: &'static str,
        context: &'static str,
    ) -> Res<Option<Table<'t, 'i>>> {
        let Some(field) = self.field(key) else {
            return Ok(None);
        };
        match field.value.get_ref() {
            DeValue::Table(map) => Ok(Some(Table {
                context,
                span: field.span(),
                map,
            })),
            other => Err(p.error(
                &field.span(),
                format!(
                    "`{key}`: expected a table (write `[{key}]` on a line of its own, then its keys), found {}",
                    a_type(other)
                ),
            )),
        }
    }
}

/// Where in virtual time an event is, and how many members exist by then.
struct Now {
    at: Micros,
    initial: usize,
    joiners: usize,
}

impl Now {
    /// A member number that exists by now.
    fn member(&self, p: &Parser<'_>, field: &Field<'_, '_>) -> Res<usize> {
        let number = p.whole(field, 0, u64::MAX, MEMBER_EXPECTED)?;
        let exists = self.initial.saturating_add(self.joiners);
        match usize::try_from(number) {
            Ok(member) if member < exists => Ok(member),
            _ => Err(p.error(
                &field.span(),
                format!(
                    "`{}` {number} does not exist at {}: {} and {} by then (members are numbered from 0)",
                    field.key,
                    format_duration(self.at),
                    plural(self.initial, "initial member", "initial members"),
                    plural(self.joiners, "joiner", "joiners"),
                ),
            )),
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// An event whose `at` and `action` are read.
struct RawEvent<'t, 'i> {
    at: Micros,
    action: &'static str,
    table: Table<'t, 'i>,
}

impl Parser<'_> {
    fn error(&self, span: &Range<usize>, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_column(self.text, span.start);
        ScenarioError {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The source text of a value, cut for echoing.
    fn source(&self, span: &Range<usize>) -> String {
        echo(self.text.get(span.clone()).unwrap_or_default())
    }

    fn wrong_type(&self, field: &Field<'_, '_>, expected: &str) -> ScenarioError {
        self.error(
            &field.span(),
            format!(
                "`{}`: expected {expected}, found {}",
                field.key,
                a_type(field.get())
            ),
        )
    }

    fn string<'v>(&self, field: &Field<'v, '_>, expected: &str) -> Res<&'v str> {
        field
            .value
            .get_ref()
            .as_str()
            .ok_or_else(|| self.wrong_type(field, expected))
    }

    /// A whole number in `min..=max`.
    fn whole(&self, field: &Field<'_, '_>, min: u64, max: u64, expected: &str) -> Res<u64> {
        let DeValue::Integer(integer) = field.get() else {
            return Err(self.wrong_type(field, expected));
        };
        integer_value(integer)
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                self.error(
                    &field.span(),
                    format!(
                        "`{}` = {}: expected {expected}",
                        field.key,
                        self.source(&field.span())
                    ),
                )
            })
    }

    fn whole_usize(&self, field: &Field<'_, '_>, min: usize, max: usize, expected: &str) -> Res<usize> {
        let to_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let value = self.whole(field, to_u64(min), to_u64(max), expected)?;
        usize::try_from(value).map_err(|_| {
            self.error(
                &field.span(),
                format!("`{}` = {value}: expected {expected}", field.key),
            )
        })
    }

    /// A duration of at most `max`.
    fn duration(&self, field: &Field<'_, '_>, max: Micros) -> Res<Micros> {
        let text = self.string(field, DURATION_EXPECTED)?;
        let us = parse_duration(text).map_err(|e| {
            self.error(
                &field.span(),
                format!(
                    "`{}` = \"{}\": expected {DURATION_EXPECTED} ({})",
                    field.key,
                    echo(text),
                    e.reason
                ),
            )
        })?;
        if us > max {
            return Err(self.error(
                &field.span(),
                format!(
                    "`{}` = \"{}\" is too long: at most {}",
                    field.key,
                    echo(text),
                    format_duration(max)
                ),
            ));
        }
        Ok(us)
    }

    /// A probability in parts per million.
    fn probability(&self, field: &Field<'_, '_>) -> Res<u32> {
        let value = match field.get() {
            DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
            DeValue::Integer(integer) => integer_value(integer)
                .and_then(|n| u8::try_from(n).ok())
                .map(f64::from),
            _ => return Err(self.wrong_type(field, PROBABILITY_EXPECTED)),
        };
        match value {
            Some(p) if (0.0..=1.0).contains(&p) => Ok(to_ppm(p)),
            _ => Err(self.error(
                &field.span(),
                format!(
                    "`{}` = {}: expected {PROBABILITY_EXPECTED}",
                    field.key,
                    self.source(&field.span())
                ),
            )),
        }
    }

    /// One of `options`, by name.
    fn choose<T: Copy>(&self, field: &Field<'_, '_>, what: &str, options: &[(&'static str, T)]) -> Res<T> {
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        let text = self.string(field, &one_of(&names))?;
        options
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| self.error(&field.span(), unknown(what, text, &names)))
    }

    fn scenario(&self, root: &DeTable<'_>) -> Res<Scenario> {
        let top = Table {
            context: "",
            span: 0..0,
            map: root,
        };
        top.check_keys(self, &TOP_KEYS)?;
        let name_field = top.required(
            self,
            "name",
            "the scenario's name, e.g. `name = \"removal in flight\"`",
        )?;
        let name = self.string(&name_field, "a string")?;
        if name.trim().is_empty() {
            return Err(self.error(&name_field.span(), "`name` must not be empty"));
        }
        let description = match top.field("description") {
            Some(field) => Some(self.string(&field, "a string")?.to_owned()),
            None => None,
        };
        let seed = match top.field("seed") {
            Some(field) => self.whole(
                &field,
                0,
                u64::MAX,
                "a whole number from 0 to 18446744073709551615",
            )?,
            None => 0,
        };
        let group = top.subtable(self, "group", " in [group]")?.ok_or_else(|| {
            self.error(
                &(0..0),
                "missing required table `[group]`: write `[group]` and `members = N`, the number of members at \
                 the start",
            )
        })?;
        group.check_keys(self, &GROUP_KEYS)?;
        let members_field = group.required(
            self,
            "members",
            "the number of members at the start (there is no default)",
        )?;
        let members = self.whole_usize(
            &members_field,
            1,
            MEMBERS_MAX,
            &format!("a whole number from 1 to {MEMBERS_MAX}"),
        )?;
        let mut config = SimConfig::new(seed, members);
        if let Some(field) = top.field("duration") {
            config.duration = self.duration(&field, DURATION_MAX)?;
            if config.duration == 0 {
                return Err(self.error(&field.span(), "`duration` must be longer than 0"));
            }
        }
        if let Some(field) = top.field("quiet") {
            config.quiet = self.duration(&field, DURATION_MAX)?;
        }
        self.start_iteration(&top, &mut config)?;
        let (implementation, suite) = self.implementation(&top)?;
        let mut policy_source = PolicySource::Default;
        if let Some(field) = top.field("policy") {
            let text = self.string(&field, "a rotation policy like `on-removal+every-messages:100`")?;
            config.policy = text
                .parse::<Policy>()
                .map_err(|e| self.error(&field.span(), e.to_string()))?;
            policy_source = PolicySource::File;
        }
        self.workload(&top, &mut config)?;
        self.network(&top, &mut config)?;
        self.server(&top, &mut config)?;
        config.actions = self.events(&top, &config)?;
        let expect = self.expectations(&top)?;
        Ok(Scenario {
            name: name.to_owned(),
            description,
            implementation,
            suite,
            config,
            policy_source,
            expect,
        })
    }

    /// `implementation` and `suite`.
    fn implementation(&self, top: &Table<'_, '_>) -> Res<(ImplementationSpec, Option<SuiteId>)> {
        let mut named_suite = false;
        let implementation = match top.field("implementation") {
            Some(field) => {
                let text = self.string(&field, "an implementation name like `reference` or `accord`")?;
                named_suite = text.starts_with("reference/");
                ImplementationSpec::parse(text).map_err(|message| self.error(&field.span(), message))?
            }
            None => ImplementationSpec::Reference(SuiteId::Hardened),
        };
        let Some(field) = top.field("suite") else {
            return Ok((implementation, None));
        };
        let text = self.string(&field, "a suite name: accord, chatalot, p2p, signal or hardened")?;
        let suite = parse_suite(text).map_err(|message| self.error(&field.span(), message))?;
        match implementation {
            ImplementationSpec::Reference(given) if named_suite && given != suite => Err(self.error(
                &field.key_span,
                format!(
                    "`suite` = \"{suite}\" contradicts implementation = \"reference/{given}\"; give the suite once"
                ),
            )),
            ImplementationSpec::Reference(_) => Ok((ImplementationSpec::Reference(suite), Some(suite))),
            // The models speak their own suites; the file's suite is kept for `--impl reference`.
            other => Ok((other, Some(suite))),
        }
    }

    /// `[workload]`.
    fn workload(&self, top: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        let Some(workload) = top.subtable(self, "workload", " in [workload]")? else {
            return Ok(());
        };
        workload.check_keys(self, &WORKLOAD_KEYS)?;
        if let Some(field) = workload.field("messages_per_member_per_hour") {
            let rate = self.whole(
                &field,
                0,
                u64::from(MESSAGES_PER_MEMBER_PER_HOUR_MAX),
                &format!("a whole number from 0 to {MESSAGES_PER_MEMBER_PER_HOUR_MAX}"),
            )?;
            config.messages_per_member_per_hour =
                u32::try_from(rate).unwrap_or(MESSAGES_PER_MEMBER_PER_HOUR_MAX);
        }
        if let Some(field) = workload.field("plaintext_bytes") {
            config.plaintext_bytes = self.whole_usize(
                &field,
                PLAINTEXT_HEADER_BYTES,
                senderkeys::consts::PLAINTEXT_BYTES_MAX,
                &format!(
                    "a whole number from {PLAINTEXT_HEADER_BYTES} to {}",
                    senderkeys::consts::PLAINTEXT_BYTES_MAX
                ),
            )?;
        }
        Ok(())
    }

    /// `[network]`.
    fn network(&self, top: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        let Some(network) = top.subtable(self, "network", " in [network]")? else {
            return Ok(());
        };
        network.check_keys(self, &NETWORK_KEYS)?;
        if let Some(field) = network.field("latency") {
            let expected = "two durations [min, max] like [\"20ms\", \"400ms\"]";
            let DeValue::Array(array) = field.get() else {
                return Err(self.wrong_type(&field, expected));
            };
            let [min, max] = array.as_ref() else {
                return Err(self.error(
                    &field.span(),
                    format!("`latency` has {} values: expected {expected}", array.len()),
                ));
            };
            let element = |value| Field {
                key: "latency",
                key_span: field.key_span.clone(),
                value,
            };
            let (min_field, max_field) = (element(min), element(max));
            let (min, max) = (
                self.duration(&min_field, LATENCY_MAX)?,
                self.duration(&max_field, LATENCY_MAX)?,
            );
            if min > max {
                return Err(self.error(
                    &field.span(),
                    format!(
                        "`latency`: the minimum {} is above the maximum {}; write [min, max]",
                        format_duration(min),
                        format_duration(max)
                    ),
                ));
            }
            config.network.latency_min = min;
            config.network.latency_max = max;
        }
        if let Some(field) = network.field("drop") {
            config.network.drop_ppm = self.probability(&field)?;
        }
        if let Some(field) = network.field("duplicate") {
            config.network.duplicate_ppm = self.probability(&field)?;
        }
        if let Some(field) = network.field("reorder") {
            config.network.reorder = field
                .get()
                .as_bool()
                .ok_or_else(|| self.wrong_type(&field, "`true` or `false`"))?;
        }
        Ok(())
    }

    /// `[[event]]`, in time order (file order at equal times).
    /// Each must be possible where it stands ([`crate::config::check_script`]): the error points at the key that
    /// makes it impossible.
    fn events(&self, top: &Table<'_, '_>, config: &SimConfig) -> Res<Vec<ScheduledAction>> {
        let (duration, initial) = (config.duration, config.members);
        let Some(field) = top.field("event") else {
            return Ok(Vec::new());
        };
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, "`[[event]]` tables (an array of tables)"));
        };
        if let Some(extra) = array.get(EVENTS_MAX) {
            return Err(self.error(
                &extra.span(),
                format!("too many events: at most {EVENTS_MAX} are accepted"),
            ));
        }
        let mut raw = Vec::with_capacity(array.len());
        for element in array.iter() {
            let DeValue::Table(map) = element.get_ref() else {
                return Err(self.error(
                    &element.span(),
                    format!(
                        "each event must be a table (`[[event]]`, or `{{ at = \"10m\", action = \"join\" }}`), \
                         found {}",
                        a_type(element.get_ref())
                    ),
                ));
            };
            let table = Table {
                context: " in [[event]]",
                span: element.span(),
                map,
            };
            raw.push(self.raw_event(table, duration)?);
        }
        raw.sort_by_key(|event| event.at);
        let mut now = Now {
            at: 0,
            initial,
            joiners: 0,
        };
        let mut actions = Vec::with_capacity(raw.len());
        for event in &raw {
            now.at = event.at;
            let action = self.action(event, &now)?;
            now.joiners = now.joiners.saturating_add(match action {
                Action::Join { count } => count,
                Action::Attack {
                    kind: AttackKind::AddMember,
                    ..
                } => 1,
                _ => 0,
            });
            actions.push(ScheduledAction { at: event.at, action });
        }
        if let Err(e) = crate::config::check_script(initial, config.server, &actions) {
            let table = &raw[e.event].table;
            let span = table
                .field(e.key)
                .map_or_else(|| table.span.clone(), |field| field.span());
            return Err(self.error(&span, e.message));
        }
        Ok(actions)
    }

    /// An event's keys, `at` and `action`.
    fn raw_event<'t, 'i>(&self, table: Table<'t, 'i>, duration: Micros) -> Res<RawEvent<'t, 'i>> {
        table.check_keys(self, &EVENT_KEYS)?;
        let at_field = table.required(self, "at", "when the event happens, e.g. `at = \"10m\"`")?;
        let at = self.duration(&at_field, DURATION_MAX)?;
        if at >= duration {
            let message = if at == duration {
                format!(
                    "event at {} is when the active phase ends (duration = {}); events must come before it",
                    format_duration(at),
                    format_duration(duration)
                )
            } else {
                format!(
                    "event at {} is after the active phase ends (duration = {})",
                    format_duration(at),
                    format_duration(duration)
                )
            };
            return Err(self.error(&at_field.span(), message));
        }
        let action_names = ACTIONS.map(|(name, _)| name);
        let action_field = table.required(
            self,
            "action",
            &format!("what happens: {}", one_of(&action_names)),
        )?;
        let text = self.string(&action_field, &format!("an action: {}", one_of(&action_names)))?;
        let Some(&(action, keys)) = ACTIONS.iter().find(|(name, _)| *name == text) else {
            return Err(self.error(&action_field.span(), unknown("action", text, &action_names)));
        };
        if let Some((key, span)) = table
            .keys_in_order()
            .into_iter()
            .find(|(key, _)| !matches!(*key, "at" | "action") && !keys.contains(key))
        {
            return Err(self.error(
                &span,
                format!(
                    "`{key}` does not apply to action `{action}`, which takes {}",
                    one_of(keys)
                ),
            ));
        }
        Ok(RawEvent { at, action, table })
    }

    /// The action of one event, `now` giving the members that exist by then.
    fn action(&self, event: &RawEvent<'_, '_>, now: &Now) -> Res<Action> {
        let table = &event.table;
        let member = || -> Res<usize> {
            now.member(
                self,
                &table.required(self, "member", "the member it happens to, e.g. `member = 3`")?,
            )
        };
        Ok(match event.action {
            "join" => {
                let (count, span) = match table.field("count") {
                    Some(field) => (
                        self.whole_usize(
                            &field,
                            1,
                            MEMBERS_MAX,
                            &format!("a whole number from 1 to {MEMBERS_MAX}"),
                        )?,
                        field.span(),
                    ),
                    None => (1, table.span.clone()),
                };
                let total = now.initial.saturating_add(now.joiners).saturating_add(count);
                if total > MEMBERS_MAX {
                    return Err(self.error(
                        &span,
                        format!(
                            "this join brings the group to {total} members; at most {MEMBERS_MAX} (initial members \
                             and joiners) are allowed"
                        ),
                    ));
                }
                Action::Join { count }
            }
            "leave" => Action::Leave { member: member()? },
            "remove" => Action::Remove { member: member()? },
            "online" => Action::Online { member: member()? },
            "rotate" => Action::Rotate { member: member()? },
            "offline" => {
                let member = member()?;
                Action::Offline {
                    member,
                    until: self.until(table, now)?,
                }
            }
            "send" => {
                let member = member()?;
                let count = match table.field("count") {
                    Some(field) => self.whole_usize(
                        &field,
                        1,
                        SEND_COUNT_MAX,
                        &format!("a whole number from 1 to {SEND_COUNT_MAX}"),
                    )?,
                    None => 1,
                };
                Action::Send { member, count }
            }
            "partition" => {
                let members = self.partition_members(table, now)?;
                Action::Partition {
                    members,
                    until: self.until(table, now)?,
                }
            }
            "compromise" => self.compromise(table, now, member()?)?,
            _ => self.attack(table, now)?,
        })
    }

    /// `until`, after `at`.
    fn until(&self, table: &Table<'_, '_>, now: &Now) -> Res<Micros> {
        let field = table.required(self, "until", "when it ends, e.g. `until = \"40m\"`")?;
        let until = self.duration(&field, DURATION_MAX)?;
        if until <= now.at {
            return Err(self.error(
                &field.span(),
                format!(
                    "`until` must be after `at` (until = {}, at = {})",
                    format_duration(until),
                    format_duration(now.at)
                ),
            ));
        }
        Ok(until)
    }

    /// A partition's `members`: non-empty, distinct, existing.
    fn partition_members(&self, table: &Table<'_, '_>, now: &Now) -> Res<Vec<usize>> {
        let field = table.required(self, "members", "who is cut off, e.g. `members = [1, 2, 3]`")?;
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, "a list of member numbers like [1, 2, 3]"));
        };
        if array.is_empty() {
            return Err(self.error(&field.span(), "`members` must name at least one member"));
        }
        let mut seen = BTreeSet::new();
        let mut members = Vec::with_capacity(array.len());
        for value in array.iter() {
            let element = Field {
                key: "members",
                key_span: field.key_span.clone(),
                value,
            };
            let member = now.member(self, &element)?;
            if !seen.insert(member) {
                return Err(self.error(&element.span(), format!("`members` names {member} twice")));
            }
            members.push(member);
        }
        Ok(members)
    }

    /// A compromise of `member`: `scope` and `insider`.
    fn compromise(&self, table: &Table<'_, '_>, now: &Now, member: usize) -> Res<Action> {
        let scope = match table.field("scope") {
            Some(field) => self.choose(&field, "scope", &SCOPES)?,
            None => CompromiseScope::Full,
        };
        let insider = match table.field("insider") {
            None => None,
            Some(field) if scope != CompromiseScope::SigningKey => {
                return Err(self.error(
                    &field.key_span,
                    "`insider` applies only to scope = \"signing-key\" (a full compromise needs no insider)",
                ));
            }
            Some(field) => {
                let insider = now.member(self, &field)?;
                if insider == member {
                    return Err(self.error(
                        &field.span(),
                        format!("`insider` must be another member than the victim ({member})"),
                    ));
                }
                Some(insider)
            }
        };
        Ok(Action::Compromise {
            member,
            scope,
            insider,
        })
    }

    /// An attack: `kind`, `by`, `target`.
    fn attack(&self, table: &Table<'_, '_>, now: &Now) -> Res<Action> {
        let kind_names = ATTACK_KINDS.map(|(name, _)| name);
        let kind_field = table.required(self, "kind", &format!("which attack: {}", one_of(&kind_names)))?;
        let kind = self.choose(&kind_field, "attack kind", &ATTACK_KINDS)?;
        let by_field = table.required(self, "by", "who attacks: \"server\" or a member number")?;
        let by = match by_field.get() {
            DeValue::String(text) if text == "server" => Attacker::Server,
            DeValue::String(text) => {
                let message = match suggest(text, &["server"]) {
                    Some(near) => format!(
                        "`by` = \"{}\": expected \"server\" or a member number; did you mean `{near}`?",
                        echo(text)
                    ),
                    None => format!(
                        "`by` = \"{}\": expected \"server\" or a member number",
                        echo(text)
                    ),
                };
                return Err(self.error(&by_field.span(), message));
            }
            DeValue::Integer(_) => Attacker::Member(now.member(self, &by_field)?),
            _ => return Err(self.wrong_type(&by_field, "\"server\" or a member number")),
        };
        match (kind, by) {
            (AttackKind::AddMember, Attacker::Member(_)) => {
                return Err(self.error(
                    &by_field.span(),
                    "`add-member` is a server attack: write `by = \"server\"`",
                ));
            }
            (AttackKind::ForwardFakeKey, Attacker::Server) => {
                return Err(self.error(
                    &by_field.span(),
                    "`forward-fake-key` is an insider attack: `by` must be a member number",
                ));
            }
            _ => {}
        }
        let target = match table.field("target") {
            Some(field) => now.member(self, &field)?,
            None if kind == AttackKind::AddMember => 0,
            None => {
                return Err(self.error(
                    &table.span,
                    "missing required key `target` in [[event]]: the member attacked or impersonated (only \
                     `add-member` goes without)",
                ));
            }
        };
        if kind == AttackKind::AddMember && now.initial.saturating_add(now.joiners) >= MEMBERS_MAX {
            return Err(self.error(
                &kind_field.span(),
                format!(
                    "`add-member` brings the group above {MEMBERS_MAX} members (initial members and joiners)"
                ),
            ));
        }
        let options = self.attack_options(table, now, kind, by)?;
        Ok(Action::Attack {
            kind,
            by,
            target,
            options,
        })
    }

    /// An attack's options, each only where the attack takes it.
    fn attack_options(
        &self,
        table: &Table<'_, '_>,
        now: &Now,
        kind: AttackKind,
        by: Attacker,
    ) -> Res<AttackOptions> {
        use AttackKind::{BadDistribution, Forge, Tamper, TamperInFlight};
        let only = |field: &Field<'_, '_>, kinds: &[AttackKind], what: &str| -> Res<()> {
            if kinds.contains(&kind) {
                return Ok(());
            }
            let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            let (key, kinds, this) = (field.key, one_of(&names), kind.name());
            let message = format!("`{key}` is for {kinds} attacks ({what}); `{this}` takes none");
            Err(self.error(&field.key_span, message))
        };
        if kind == TamperInFlight && by != Attacker::Server {
            let message = "`tamper-in-flight` is the server's: envelopes travel through it (an insider changes what it \
                           sends itself: `bad-distribution`); write `by = \"server\"`";
            let span = table.field("by").map_or(table.span.clone(), |f| f.span());
            return Err(self.error(&span, message));
        }
        let mut options = AttackOptions::default();
        if let Some(field) = table.field("mutation") {
            only(
                &field,
                &[Tamper, TamperInFlight, BadDistribution],
                "the change made",
            )?;
            self.mutation_option(&field, kind, &mut options)?;
        }
        if let Some(field) = table.field("to") {
            only(
                &field,
                &[TamperInFlight, BadDistribution],
                "the one receiver whose copy is changed",
            )?;
            options.to = Some(now.member(self, &field)?);
        }
        if let Some(field) = table.field("genuine") {
            only(&field, &[TamperInFlight], "when the genuine copy arrives")?;
            options.genuine = self.choose(&field, "genuine copy", &GENUINE_COPIES)?;
        }
        for key in ["ahead", "repeat"] {
            if let Some(field) = table.field(key) {
                only(&field, &[Forge], "forgeries at a distance")?;
                self.forge_option(&field, &mut options)?;
            }
        }
        Ok(options)
    }

    /// `mutation`: a name of the envelope catalogue, or of the distribution one for `bad-distribution`.
    fn mutation_option(
        &self,
        field: &Field<'_, '_>,
        kind: AttackKind,
        options: &mut AttackOptions,
    ) -> Res<()> {
        let text = self.string(
            field,
            "a mutation name like \"split-into-nonce-1\" (`sksim list` shows them)",
        )?;
        if kind == AttackKind::BadDistribution {
            let names: Vec<String> = DistributionMutation::catalogue()
                .iter()
                .map(|m| m.name())
                .collect();
            let unknown = || {
                self.error(
                    &field.span(),
                    unknown_mutation("distribution mutation", text, &names),
                )
            };
            options.distribution_mutation = Some(DistributionMutation::named(text).ok_or_else(unknown)?);
        } else {
            let names: Vec<String> = Mutation::catalogue().iter().map(|m| m.name()).collect();
            let unknown = || self.error(&field.span(), unknown_mutation("mutation", text, &names));
            options.mutation = Some(Mutation::named(text).ok_or_else(unknown)?);
        }
        Ok(())
    }

    /// `ahead` or `repeat` of a forgery (an insider's reach, `ahead` × `repeat`, is checked with the script).
    fn forge_option(&self, field: &Field<'_, '_>, options: &mut AttackOptions) -> Res<()> {
        let key = field.key;
        let (max, expected) = if key == "ahead" {
            (u64::from(u32::MAX), "a distance from 1 to 4294967295 iterations")
        } else {
            (
                u64::from(FORGE_REPEAT_MAX),
                "a count from 1 to 1000 (the limit FORGE_REPEAT_MAX)",
            )
        };
        let value = u32::try_from(self.whole(field, 1, max, expected)?).unwrap_or(u32::MAX);
        if key == "ahead" {
            options.ahead = Some(value);
        } else {
            options.repeat = Some(value);
        }
        Ok(())
    }

    /// `start_iteration`.
    fn start_iteration(&self, top: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        if let Some(field) = top.field("start_iteration") {
            let expected = "an iteration from 0 to 4294967295 (2^32 - 1)";
            let start = self.whole(&field, 0, u64::from(u32::MAX), expected)?;
            config.start_iteration = u32::try_from(start).unwrap_or(u32::MAX);
        }
        Ok(())
    }

    /// `[server]`.
    fn server(&self, top: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        if let Some(server) = top.subtable(self, "server", " in [server]")? {
            server.check_keys(self, &SERVER_KEYS)?;
            if let Some(field) = server.field("behaviour") {
                config.server = self.choose(&field, "server behaviour", &BEHAVIOURS)?;
            }
            self.tampering(&server, config)?;
        }
        Ok(())
    }

    /// `[server] tamper` and `mutations`: the malicious server's tampering in flight, drawn per copy.
    fn tampering(&self, server: &Table<'_, '_>, config: &mut SimConfig) -> Res<()> {
        if let Some(field) = server.field("tamper") {
            config.tampering.ppm = self.probability(&field)?;
            if config.tampering.ppm > 0 && config.server != ServerBehaviour::Malicious {
                return Err(self.error(
                    &field.key_span,
                    "`tamper` is what a malicious server does: write `behaviour = \"malicious\"` in [server]",
                ));
            }
        }
        let Some(field) = server.field("mutations") else {
            return Ok(());
        };
        if config.tampering.ppm == 0 {
            return Err(self.error(
                &field.key_span,
                "`mutations` chooses what `tamper` changes: give `tamper` a probability above 0 too",
            ));
        }
        let expected = "a list of mutation families like [\"split\", \"iteration\"]";
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, expected));
        };
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        for value in array.iter() {
            let element = Field {
                key: "mutations",
                key_span: field.key_span.clone(),
                value,
            };
            let text = self.string(&element, "a mutation family name")?;
            let Some(family) = Family::ALL.into_iter().find(|f| f.name() == text) else {
                return Err(self.error(&element.span(), unknown("mutation family", text, &names)));
            };
            if config.tampering.families.contains(&family) {
                return Err(self.error(&element.span(), format!("`mutations` names `{text}` twice")));
            }
            config.tampering.families.push(family);
        }
        Ok(())
    }

    /// `[expect]`.
    fn expectations(&self, top: &Table<'_, '_>) -> Res<Expectations> {
        let Some(expect) = top.subtable(self, "expect", " in [expect]")? else {
            return Ok(Expectations::default());
        };
        expect.check_keys(self, &EXPECT_KEYS)?;
        let hold = self.invariant_list(&expect, "hold")?;
        let violated = self.invariant_list(&expect, "violated")?;
        if let Some((name, span)) = violated
            .iter()
            .find(|(name, _)| hold.iter().any(|(held, _)| held == name))
        {
            return Err(self.error(span, format!("`hold` and `violated` both name `{name}`")));
        }
        Ok(Expectations {
            hold: hold.into_iter().map(|(name, _)| name).collect(),
            violated: violated.into_iter().map(|(name, _)| name).collect(),
            explicit: true,
        })
    }

    /// A list of invariant names, each known and named once.
    fn invariant_list(
        &self,
        expect: &Table<'_, '_>,
        key: &'static str,
    ) -> Res<Vec<(Invariant, Range<usize>)>> {
        let Some(field) = expect.field(key) else {
            return Ok(Vec::new());
        };
        let expected = "a list of invariant names like [\"authenticity\"]";
        let DeValue::Array(array) = field.get() else {
            return Err(self.wrong_type(&field, expected));
        };
        let mut names: Vec<(Invariant, Range<usize>)> = Vec::with_capacity(array.len());
        for value in array.iter() {
            let element = Field {
                key,
                key_span: field.key_span.clone(),
                value,
            };
            let text = self.string(&element, "an invariant name")?;
            let Some(name) = Invariant::named(text) else {
                return Err(self.error(&element.span(), unknown("invariant", text, &INVARIANTS)));
            };
            if names.iter().any(|(seen, _)| *seen == name) {
                return Err(self.error(&element.span(), format!("`{key}` names `{name}` twice")));
            }
            names.push((name, element.span()));
        }
        Ok(names)
    }
}

/// A TOML integer's value (`None` if it does not fit an `i128`, which TOML's 64-bit integers always do).
fn integer_value(integer: &DeInteger<'_>) -> Option<i128> {
    let radix = integer.radix();
    if (2..=36).contains(&radix) {
        i128::from_str_radix(integer.as_str(), radix).ok()
    } else {
        None
    }
}

/// A probability in `[0, 1]` in parts per million, rounded to the nearest.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the caller checked 0 <= p <= 1, so the product is within 0..=PPM"
)]
pub(super) fn to_ppm(p: f64) -> u32 {
    (p * f64::from(PPM)).round().clamp(0.0, f64::from(PPM)) as u32
}

//! Key-rotation policies: when a Sender Keys member must replace its sender key.
//!
//! A policy is written as one component or several joined by `+`, with no whitespace:
//!
//! | component              | meaning                                                          |
//! |------------------------|------------------------------------------------------------------|
//! | `never`                | never rotate (cannot be combined with anything)                  |
//! | `on-removal`           | everyone rotates when a member is removed or leaves              |
//! | `on-membership-change` | everyone rotates on removals and leaves, and also on joins       |
//! | `every-messages:N`     | a sender rotates after sending `N` messages under one key, N ≥ 1 |
//! | `every-time:T`         | a sender rotates once its key is `T` old, T > 0                  |
//!
//! `T` is a whole number and a unit: `us`, `ms`, `s`, `m`, `h` or `d` (`250us`, `500ms`, `90s`, `10m`,
//! `24h`, `7d`). Each kind of component may appear once; `on-removal+on-membership-change` is accepted
//! because a membership change includes removals.
//!
//! Examples: `never`, `on-removal` (WhatsApp), `every-messages:100+every-time:7d` (Megolm),
//! `on-removal+every-messages:100+every-time:24h` (Accord's recommendation).
//!
//! Parsing is strict and never panics; every rejection says why. [`Policy`]'s `Display` prints the
//! canonical form: `on-membership-change` or `on-removal`, then `every-messages:N`, then
//! `every-time:T` with `T` in the largest exact unit (`every-time:24h` prints as `every-time:1d`), or
//! `never` when nothing is set.

use core::fmt;
use core::str::FromStr;

use crate::limits::{POLICY_ECHO_BYTES_MAX, POLICY_TEXT_BYTES_MAX};
use crate::time::{Micros, format_duration, parse_duration};

/// The components a policy may contain, as listed in error messages.
const VALID_COMPONENTS: &str = "never, on-removal, on-membership-change, every-messages:N, every-time:T";

/// Component names, and the form suggested when one of them is misspelt.
const COMPONENT_NAMES: [(&str, &str); 5] = [
    ("never", "never"),
    ("on-removal", "on-removal"),
    ("on-membership-change", "on-membership-change"),
    ("every-messages", "every-messages:N"),
    ("every-time", "every-time:T"),
];

/// When members rotate their sender keys. Parse one from text with [`str::parse`]; print the canonical
/// text with `Display`.
///
/// Parsing only produces values where `on_join` implies `on_removal` and the counts are positive;
/// values built by hand outside those rules print as the nearest canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Policy {
    /// Everyone rotates when a member is removed or leaves.
    pub on_removal: bool,
    /// Everyone rotates when a member joins; `on-membership-change` sets both this and `on_removal`.
    pub on_join: bool,
    /// A sender rotates after sending this many messages under one key (N ≥ 1).
    pub every_messages: Option<u64>,
    /// A sender rotates once its key is this old, in microseconds (T > 0).
    pub every_time: Option<Micros>,
}

impl Policy {
    /// Never rotate: every trigger off. This is also the `Default`.
    pub const NEVER: Policy = Policy {
        on_removal: false,
        on_join: false,
        every_messages: None,
        every_time: None,
    };

    /// Whether a member must rotate now, given how many messages it sent under its current key and how
    /// old that key is.
    ///
    /// Only the sender-side triggers count here: due once `messages_under_key` reaches `every_messages`
    /// or `key_age` reaches `every_time`. Membership triggers are the simulator's to apply on the event.
    #[must_use]
    pub fn due(&self, messages_under_key: u64, key_age: Micros) -> bool {
        self.every_messages
            .is_some_and(|limit| messages_under_key >= limit)
            || self.every_time.is_some_and(|limit| key_age >= limit)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.on_join {
            parts.push("on-membership-change".to_owned());
        } else if self.on_removal {
            parts.push("on-removal".to_owned());
        }
        if let Some(count) = self.every_messages {
            parts.push(format!("every-messages:{count}"));
        }
        if let Some(age) = self.every_time {
            parts.push(format!("every-time:{}", format_duration(age)));
        }
        if parts.is_empty() {
            f.write_str("never")
        } else {
            f.write_str(&parts.join("+"))
        }
    }
}

impl FromStr for Policy {
    type Err = PolicyError;

    fn from_str(text: &str) -> Result<Self, PolicyError> {
        parse_policy(text).map_err(|reason| PolicyError::new(text, reason))
    }
}

/// A policy text that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The text that was given; for text over [`POLICY_TEXT_BYTES_MAX`], only its first
    /// [`POLICY_ECHO_BYTES_MAX`] bytes (at most) followed by `…`.
    pub policy: String,
    /// Why it was rejected.
    pub reason: String,
}

impl PolicyError {
    /// An error for `text`, echoing a bounded amount of it.
    fn new(text: &str, reason: String) -> Self {
        let policy = if text.len() <= POLICY_TEXT_BYTES_MAX {
            text.to_owned()
        } else {
            let mut end = POLICY_ECHO_BYTES_MAX;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &text[..end])
        };
        PolicyError { policy, reason }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid policy `{}`: {}", self.policy, self.reason)
    }
}

impl std::error::Error for PolicyError {}

/// One parsed `+`-separated component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Component {
    /// `never`.
    Never,
    /// `on-removal`.
    OnRemoval,
    /// `on-membership-change`.
    OnMembershipChange,
    /// `every-messages:N`.
    EveryMessages(u64),
    /// `every-time:T`.
    EveryTime(Micros),
}

impl Component {
    /// The component's kind, as written.
    fn name(self) -> &'static str {
        match self {
            Component::Never => "never",
            Component::OnRemoval => "on-removal",
            Component::OnMembershipChange => "on-membership-change",
            Component::EveryMessages(_) => "every-messages",
            Component::EveryTime(_) => "every-time",
        }
    }

    /// Sets this component's triggers in `policy`.
    fn apply(self, policy: &mut Policy) {
        match self {
            Component::Never => {}
            Component::OnRemoval => policy.on_removal = true,
            Component::OnMembershipChange => {
                policy.on_removal = true;
                policy.on_join = true;
            }
            Component::EveryMessages(count) => policy.every_messages = Some(count),
            Component::EveryTime(age) => policy.every_time = Some(age),
        }
    }
}

/// Parses a whole policy text, or says why it is invalid.
fn parse_policy(text: &str) -> Result<Policy, String> {
    check_text(text)?;
    let parts: Vec<&str> = text.split('+').collect();
    if let Some(index) = parts.iter().position(|part| part.is_empty()) {
        return Err(empty_component_reason(index, parts.len()));
    }
    let components = parts
        .iter()
        .map(|part| parse_component(part))
        .collect::<Result<Vec<_>, _>>()?;
    if components.len() > 1 && components.contains(&Component::Never) {
        return Err("`never` cannot be combined with other components".to_owned());
    }
    combine(&components)
}

/// Rejects text that is too long, empty or contains whitespace.
fn check_text(text: &str) -> Result<(), String> {
    if text.len() > POLICY_TEXT_BYTES_MAX {
        return Err(format!(
            "the policy is {} bytes long; the limit is {POLICY_TEXT_BYTES_MAX} bytes",
            text.len()
        ));
    }
    if text.is_empty() {
        return Err(
            "the policy is empty; write `never` to turn rotation off, or components joined by `+` \
                    (e.g. `on-removal+every-messages:100+every-time:24h`)"
                .to_owned(),
        );
    }
    if let Some(at) = text.find(char::is_whitespace) {
        return Err(format!(
            "whitespace at byte {at} is not allowed; join components with `+` and no spaces"
        ));
    }
    Ok(())
}

/// Why the component at `index` of `count` (split on `+`) is empty.
fn empty_component_reason(index: usize, count: usize) -> String {
    let cause = if index == 0 {
        "a leading `+`".to_owned()
    } else if index + 1 == count {
        "a trailing `+`".to_owned()
    } else {
        format!("`++` before component {}", index + 1)
    };
    format!("empty component: {cause}; join components with a single `+`")
}

/// Checks that no kind of component appears twice, then combines them into a policy.
fn combine(components: &[Component]) -> Result<Policy, String> {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut policy = Policy::NEVER;
    for component in components {
        let name = component.name();
        if seen.contains(&name) {
            return Err(format!(
                "`{name}` appears more than once; give each component at most once"
            ));
        }
        seen.push(name);
        component.apply(&mut policy);
    }
    Ok(policy)
}

/// Parses one component (non-empty, without `+`).
fn parse_component(text: &str) -> Result<Component, String> {
    let (head, value) = match text.split_once(':') {
        Some((head, value)) => (head, Some(value)),
        None => (text, None),
    };
    match (head, value) {
        ("never", None) => Ok(Component::Never),
        ("on-removal", None) => Ok(Component::OnRemoval),
        ("on-membership-change", None) => Ok(Component::OnMembershipChange),
        ("every-messages", Some(value)) => parse_count(value).map(Component::EveryMessages),
        ("every-time", Some(value)) => parse_every_time(value).map(Component::EveryTime),
        ("every-messages", None) => Err(
            "`every-messages` needs a count: write `every-messages:N` (e.g. `every-messages:100`)".to_owned(),
        ),
        ("every-time", None) => {
            Err("`every-time` needs a duration: write `every-time:T` (e.g. `every-time:24h`)".to_owned())
        }
        ("never" | "on-removal" | "on-membership-change", Some(_)) => {
            Err(format!("`{head}` takes no value; write just `{head}`"))
        }
        _ => Err(unknown_component(text, head, value)),
    }
}

/// Parses the `N` of `every-messages:N`.
fn parse_count(value: &str) -> Result<u64, String> {
    if value.is_empty() {
        return Err("`every-messages` needs a count after the colon (e.g. `every-messages:100`)".to_owned());
    }
    if value.starts_with('-') {
        return Err(format!(
            "the count in `every-messages:{value}` must not have a sign"
        ));
    }
    if !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!(
            "the count in `every-messages:{value}` must be a whole number (e.g. `every-messages:100`)"
        ));
    }
    match value.parse::<u64>() {
        Err(_) => Err(format!(
            "the count in `every-messages:{value}` is too large; the maximum is {}",
            u64::MAX
        )),
        Ok(0) => Err("the count in `every-messages:0` must be at least 1".to_owned()),
        Ok(count) => Ok(count),
    }
}

/// Parses the `T` of `every-time:T`.
fn parse_every_time(value: &str) -> Result<Micros, String> {
    if value.is_empty() {
        return Err("`every-time` needs a duration after the colon (e.g. `every-time:24h`)".to_owned());
    }
    match parse_duration(value) {
        Err(error) => Err(format!(
            "bad duration in `every-time:{value}`: {}; write a whole number and a unit: us, ms, s, m, h or d",
            error.reason
        )),
        Ok(0) => Err(format!("`every-time:{value}` must be longer than zero")),
        Ok(age) => Ok(age),
    }
}

/// Says `text` is not a component, suggesting the nearest valid one when it is close enough.
fn unknown_component(text: &str, head: &str, value: Option<&str>) -> String {
    let names = COMPONENT_NAMES.map(|(name, _)| name);
    let template = crate::suggest::nearest(head, &names)
        .and_then(|near| COMPONENT_NAMES.iter().find(|&&(name, _)| name == near));
    let suggestion = match template {
        Some(&(name, template)) => {
            let with_value = match value {
                Some(value) if template.ends_with(":N") || template.ends_with(":T") => {
                    format!("{name}:{value}")
                }
                _ => template.to_owned(),
            };
            format!("did you mean `{with_value}`? ")
        }
        None => String::new(),
    };
    format!("unknown component `{text}`; {suggestion}valid: {VALID_COMPONENTS}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::UNITS;
    use proptest::prelude::*;

    const HOUR: Micros = 3_600_000_000;

    fn parse(text: &str) -> Policy {
        text.parse()
            .unwrap_or_else(|error| panic!("`{text}` should parse: {error}"))
    }

    fn error(text: &str) -> String {
        match text.parse::<Policy>() {
            Ok(policy) => panic!("`{text}` should be rejected, parsed as {policy:?}"),
            Err(error) => error.to_string(),
        }
    }

    fn reason(text: &str) -> String {
        text.parse::<Policy>()
            .err()
            .map(|error| error.reason)
            .unwrap_or_default()
    }

    // ---- components alone ----

    #[test]
    fn never_alone() {
        assert_eq!(parse("never"), Policy::NEVER);
        assert_eq!(Policy::NEVER, Policy::default());
        assert_eq!(Policy::NEVER.to_string(), "never");
    }

    #[test]
    fn on_removal_alone() {
        let policy = parse("on-removal");
        assert_eq!(
            policy,
            Policy {
                on_removal: true,
                ..Policy::NEVER
            }
        );
        assert_eq!(policy.to_string(), "on-removal");
    }

    #[test]
    fn on_membership_change_alone() {
        let policy = parse("on-membership-change");
        assert_eq!(
            policy,
            Policy {
                on_removal: true,
                on_join: true,
                ..Policy::NEVER
            }
        );
        assert_eq!(policy.to_string(), "on-membership-change");
    }

    #[test]
    fn every_messages_alone() {
        let policy = parse("every-messages:100");
        assert_eq!(
            policy,
            Policy {
                every_messages: Some(100),
                ..Policy::NEVER
            }
        );
        assert_eq!(policy.to_string(), "every-messages:100");
        assert_eq!(parse("every-messages:1").every_messages, Some(1));
        assert_eq!(
            parse("every-messages:18446744073709551615").every_messages,
            Some(u64::MAX)
        );
    }

    #[test]
    fn every_time_alone() {
        let policy = parse("every-time:24h");
        assert_eq!(
            policy,
            Policy {
                every_time: Some(24 * HOUR),
                ..Policy::NEVER
            }
        );
        assert_eq!(policy.to_string(), "every-time:1d");
        assert_eq!(parse("every-time:90s").to_string(), "every-time:90s");
        assert_eq!(parse("every-time:500ms").every_time, Some(500_000));
        assert_eq!(parse("every-time:250us").every_time, Some(250));
        assert_eq!(parse("every-time:1us").every_time, Some(1));
        assert_eq!(parse("every-time:7d").every_time, Some(7 * 24 * HOUR));
    }

    // ---- combinations ----

    #[test]
    fn accord_recommendation() {
        let policy = parse("on-removal+every-messages:100+every-time:24h");
        let expected = Policy {
            on_removal: true,
            on_join: false,
            every_messages: Some(100),
            every_time: Some(24 * HOUR),
        };
        assert_eq!(policy, expected);
        // The largest exact unit of 24 hours is the day.
        assert_eq!(policy.to_string(), "on-removal+every-messages:100+every-time:1d");
    }

    #[test]
    fn order_does_not_matter() {
        assert_eq!(
            parse("every-time:24h+on-removal"),
            parse("on-removal+every-time:24h")
        );
        let canonical = "on-membership-change+every-messages:100+every-time:7d";
        for text in [
            "every-time:7d+every-messages:100+on-membership-change",
            "every-messages:100+on-membership-change+every-time:7d",
            "every-time:7d+on-membership-change+every-messages:100",
        ] {
            assert_eq!(parse(text), parse(canonical), "{text}");
            assert_eq!(parse(text).to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn removal_with_membership_change_is_allowed() {
        let expected = Policy {
            on_removal: true,
            on_join: true,
            ..Policy::NEVER
        };
        assert_eq!(parse("on-removal+on-membership-change"), expected);
        assert_eq!(parse("on-membership-change+on-removal"), expected);
        assert_eq!(
            parse("on-removal+on-membership-change").to_string(),
            "on-membership-change"
        );
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(parse("every-time:1440m").to_string(), "every-time:1d");
        assert_eq!(parse("every-time:60m").to_string(), "every-time:1h");
        assert_eq!(parse("every-time:86400s").to_string(), "every-time:1d");
        assert_eq!(parse("every-time:1500ms").to_string(), "every-time:1500ms");
        assert_eq!(parse("every-messages:007").to_string(), "every-messages:7");
        assert_eq!(
            parse("every-time:90s+every-messages:5").to_string(),
            "every-messages:5+every-time:90s"
        );
    }

    #[test]
    fn display_of_hand_built_values_does_not_panic() {
        let odd = Policy {
            on_removal: false,
            on_join: true,
            every_messages: Some(0),
            every_time: Some(0),
        };
        assert_eq!(
            odd.to_string(),
            "on-membership-change+every-messages:0+every-time:0us"
        );
    }

    // ---- due ----

    #[test]
    fn due_on_message_count() {
        let policy = parse("every-messages:100");
        assert!(!policy.due(0, 0));
        assert!(!policy.due(99, u64::MAX));
        assert!(policy.due(100, 0));
        assert!(policy.due(101, 0));
        let one = parse("every-messages:1");
        assert!(!one.due(0, 0));
        assert!(one.due(1, 0));
    }

    #[test]
    fn due_on_key_age() {
        let policy = parse("every-time:24h");
        assert!(!policy.due(u64::MAX, 24 * HOUR - 1));
        assert!(policy.due(0, 24 * HOUR));
        assert!(policy.due(0, 24 * HOUR + 1));
        assert!(!policy.due(0, 0));
    }

    #[test]
    fn due_on_either_trigger() {
        let policy = parse("on-removal+every-messages:100+every-time:24h");
        assert!(!policy.due(99, 24 * HOUR - 1));
        assert!(policy.due(100, 24 * HOUR - 1));
        assert!(policy.due(99, 24 * HOUR));
        assert!(policy.due(100, 24 * HOUR));
    }

    #[test]
    fn never_and_membership_policies_are_never_due() {
        for policy in [Policy::NEVER, parse("on-removal"), parse("on-membership-change")] {
            for (messages, age) in [(0, 0), (1, 1), (u64::MAX, u64::MAX)] {
                assert!(!policy.due(messages, age), "{policy} due at ({messages}, {age})");
            }
        }
    }

    // ---- whole-text errors ----

    #[test]
    fn empty_policy_is_rejected() {
        assert_eq!(
            error(""),
            "invalid policy ``: the policy is empty; write `never` to turn rotation off, or components joined \
             by `+` (e.g. `on-removal+every-messages:100+every-time:24h`)"
        );
    }

    #[test]
    fn empty_components_are_rejected() {
        assert_eq!(
            error("on-removal++every-time:1h"),
            "invalid policy `on-removal++every-time:1h`: empty component: `++` before component 2; join \
             components with a single `+`"
        );
        assert_eq!(
            reason("on-removal+"),
            "empty component: a trailing `+`; join components with a single `+`"
        );
        assert_eq!(
            reason("+on-removal"),
            "empty component: a leading `+`; join components with a single `+`"
        );
        assert_eq!(
            reason("+"),
            "empty component: a leading `+`; join components with a single `+`"
        );
        assert_eq!(
            reason("a++b"),
            "empty component: `++` before component 2; join components with a single `+`"
        );
    }

    #[test]
    fn whitespace_is_rejected() {
        let expected = |at: usize| {
            format!("whitespace at byte {at} is not allowed; join components with `+` and no spaces")
        };
        assert_eq!(reason(" never"), expected(0));
        assert_eq!(reason("never "), expected(5));
        assert_eq!(reason("on-removal + every-time:1h"), expected(10));
        assert_eq!(reason("every-time:1\th"), expected(12));
        assert_eq!(reason("never\n"), expected(5));
        assert_eq!(reason("never\u{a0}"), expected(5));
        assert_eq!(error(" "), format!("invalid policy ` `: {}", expected(0)));
    }

    #[test]
    fn never_cannot_be_combined() {
        let expected = "invalid policy `never+on-removal`: `never` cannot be combined with other components";
        assert_eq!(error("never+on-removal"), expected);
        assert_eq!(
            reason("every-time:1h+never"),
            "`never` cannot be combined with other components"
        );
        assert_eq!(
            reason("never+never"),
            "`never` cannot be combined with other components"
        );
    }

    #[test]
    fn repeated_kinds_are_rejected() {
        assert_eq!(
            error("every-messages:10+every-messages:20"),
            "invalid policy `every-messages:10+every-messages:20`: `every-messages` appears more than once; \
             give each component at most once"
        );
        for (text, name) in [
            ("on-removal+on-removal", "on-removal"),
            (
                "on-membership-change+every-time:1h+on-membership-change",
                "on-membership-change",
            ),
            ("every-time:1h+every-time:1h", "every-time"),
            ("every-messages:1+on-removal+every-messages:1", "every-messages"),
        ] {
            assert_eq!(
                reason(text),
                format!("`{name}` appears more than once; give each component at most once")
            );
        }
    }

    // ---- component errors ----

    #[test]
    fn bad_message_counts_are_rejected() {
        assert_eq!(
            error("every-messages:0"),
            "invalid policy `every-messages:0`: the count in `every-messages:0` must be at least 1"
        );
        assert_eq!(
            reason("every-messages:000"),
            "the count in `every-messages:0` must be at least 1"
        );
        assert_eq!(
            reason("every-messages:"),
            "`every-messages` needs a count after the colon (e.g. `every-messages:100`)"
        );
        assert_eq!(
            reason("every-messages:x"),
            "the count in `every-messages:x` must be a whole number (e.g. `every-messages:100`)"
        );
        assert_eq!(
            reason("every-messages:1.5"),
            "the count in `every-messages:1.5` must be a whole number (e.g. `every-messages:100`)"
        );
        assert_eq!(
            reason("every-messages:10:20"),
            "the count in `every-messages:10:20` must be a whole number (e.g. `every-messages:100`)"
        );
        assert_eq!(
            reason("every-messages:-1"),
            "the count in `every-messages:-1` must not have a sign"
        );
        assert_eq!(
            reason("every-messages:18446744073709551616"),
            "the count in `every-messages:18446744073709551616` is too large; the maximum is \
             18446744073709551615"
        );
        assert_eq!(
            reason("every-messages"),
            "`every-messages` needs a count: write `every-messages:N` (e.g. `every-messages:100`)"
        );
    }

    #[test]
    fn bad_time_limits_are_rejected() {
        assert_eq!(
            error("every-time:0s"),
            "invalid policy `every-time:0s`: `every-time:0s` must be longer than zero"
        );
        assert_eq!(
            reason("every-time:0us"),
            "`every-time:0us` must be longer than zero"
        );
        assert_eq!(
            reason("every-time:"),
            "`every-time` needs a duration after the colon (e.g. `every-time:24h`)"
        );
        assert_eq!(
            reason("every-time"),
            "`every-time` needs a duration: write `every-time:T` (e.g. `every-time:24h`)"
        );
        let bad = |value: &str, why: &str| {
            format!(
                "bad duration in `every-time:{value}`: {why}; write a whole number and a unit: us, ms, s, m, h or d"
            )
        };
        assert_eq!(reason("every-time:5x"), bad("5x", "unknown unit `x`"));
        assert_eq!(reason("every-time:24"), bad("24", "missing unit after `24`"));
        assert_eq!(
            reason("every-time:1.5h"),
            bad("1.5h", "fractions are not allowed")
        );
        assert_eq!(reason("every-time:-1h"), bad("-1h", "a sign is not allowed"));
        assert_eq!(
            reason("every-time:h"),
            bad("h", "it must start with a whole number")
        );
        assert_eq!(
            reason("every-time:18446744073709552d"),
            bad(
                "18446744073709552d",
                "too large; the maximum is 18446744073709551615us"
            )
        );
    }

    #[test]
    fn flags_take_no_value() {
        assert_eq!(reason("never:1"), "`never` takes no value; write just `never`");
        assert_eq!(
            reason("on-removal:"),
            "`on-removal` takes no value; write just `on-removal`"
        );
        assert_eq!(
            reason("on-membership-change:yes"),
            "`on-membership-change` takes no value; write just `on-membership-change`"
        );
    }

    #[test]
    fn unknown_components_get_the_nearest_suggestion() {
        assert_eq!(
            error("on-remval"),
            "invalid policy `on-remval`: unknown component `on-remval`; did you mean `on-removal`? valid: never, \
             on-removal, on-membership-change, every-messages:N, every-time:T"
        );
        let suggests = |text: &str, suggestion: &str| {
            format!("unknown component `{text}`; did you mean `{suggestion}`? valid: {VALID_COMPONENTS}")
        };
        assert_eq!(
            reason("every-mesages:100"),
            suggests("every-mesages:100", "every-messages:100")
        );
        assert_eq!(
            reason("every-message"),
            suggests("every-message", "every-messages:N")
        );
        assert_eq!(
            reason("every_time:24h"),
            suggests("every_time:24h", "every-time:24h")
        );
        assert_eq!(reason("NEVER"), suggests("NEVER", "never"));
        assert_eq!(reason("On-Removal"), suggests("On-Removal", "on-removal"));
        assert_eq!(
            reason("on-membership-changes"),
            suggests("on-membership-changes", "on-membership-change")
        );
        assert_eq!(reason("removal"), suggests("removal", "on-removal"));
        assert_eq!(reason("on-remval:3"), suggests("on-remval:3", "on-removal"));
        assert_eq!(reason("on-removal+nevr"), suggests("nevr", "never"));
        // A bare `every` is nearer `every-time` than `every-messages` (Jaro–Winkler 0.90 and 0.87).
        assert_eq!(reason("every"), suggests("every", "every-time:T"));
        assert_eq!(reason("every:24h"), suggests("every:24h", "every-time:24h"));
    }

    #[test]
    fn far_unknown_components_list_the_valid_ones() {
        for text in ["banana", "x", ":", "on-join", "rotate:5", "time"] {
            assert_eq!(
                reason(text),
                format!("unknown component `{text}`; valid: {VALID_COMPONENTS}")
            );
        }
        assert_eq!(
            reason("ünïcødé"),
            "unknown component `ünïcødé`; valid: never, on-removal, on-membership-change, every-messages:N, \
             every-time:T"
        );
    }

    // ---- limits ----

    #[test]
    fn text_at_the_byte_limit_is_accepted() {
        let prefix = "every-messages:";
        let text = format!(
            "{prefix}{}1",
            "0".repeat(POLICY_TEXT_BYTES_MAX - prefix.len() - 1)
        );
        assert_eq!(text.len(), POLICY_TEXT_BYTES_MAX);
        assert_eq!(
            parse(&text),
            Policy {
                every_messages: Some(1),
                ..Policy::NEVER
            }
        );
    }

    #[test]
    fn invalid_text_at_the_byte_limit_is_echoed_whole() {
        let text = "x".repeat(POLICY_TEXT_BYTES_MAX);
        let error = text
            .parse::<Policy>()
            .err()
            .unwrap_or_else(|| panic!("should be rejected"));
        assert_eq!(error.policy, text);
        assert!(error.reason.starts_with("unknown component"), "{}", error.reason);
    }

    #[test]
    fn text_over_the_byte_limit_is_rejected_and_echo_is_bounded() {
        let prefix = "every-messages:";
        let text = format!("{prefix}{}1", "0".repeat(POLICY_TEXT_BYTES_MAX - prefix.len()));
        assert_eq!(text.len(), POLICY_TEXT_BYTES_MAX + 1);
        let echo = format!("{prefix}{}…", "0".repeat(POLICY_ECHO_BYTES_MAX - prefix.len()));
        assert_eq!(
            error(&text),
            format!("invalid policy `{echo}`: the policy is 257 bytes long; the limit is 256 bytes")
        );
    }

    #[test]
    fn over_long_echo_is_cut_at_a_character_boundary() {
        // "é" is two bytes, so byte POLICY_ECHO_BYTES_MAX falls inside one when the text starts with one "x".
        let text = format!("x{}", "é".repeat(POLICY_TEXT_BYTES_MAX));
        let error = text
            .parse::<Policy>()
            .err()
            .unwrap_or_else(|| panic!("should be rejected"));
        let echo = format!("x{}…", "é".repeat((POLICY_ECHO_BYTES_MAX - 1) / 2));
        assert_eq!(error.policy, echo);
        assert_eq!(error.policy.len(), POLICY_ECHO_BYTES_MAX - 1 + "…".len());
    }

    #[test]
    fn policy_error_is_a_std_error() {
        let error: Box<dyn std::error::Error> = Box::new(PolicyError::new("x", "why".to_owned()));
        assert_eq!(error.to_string(), "invalid policy `x`: why");
    }

    // ---- properties ----

    fn config() -> ProptestConfig {
        ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(7),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    fn valid_policy() -> impl Strategy<Value = Policy> {
        let membership = prop_oneof![Just((false, false)), Just((true, false)), Just((true, true))];
        let count = prop_oneof![1..=1_000u64, 1..=u64::MAX, Just(u64::MAX)];
        let age = prop_oneof![
            (1..=1_000u64, 0..UNITS.len()).prop_map(|(n, unit)| n * UNITS[unit].1),
            1..=u64::MAX,
            Just(u64::MAX)
        ];
        (membership, proptest::option::of(count), proptest::option::of(age)).prop_map(
            |((on_removal, on_join), every_messages, every_time)| Policy {
                on_removal,
                on_join,
                every_messages,
                every_time,
            },
        )
    }

    /// Texts built from policy-like pieces, so the property tests reach deep into the parser.
    fn policy_like_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("never".to_owned()),
            Just("on-removal".to_owned()),
            Just("on-membership-change".to_owned()),
            "every-messages:[0-9x-]{0,22}",
            "every-time:[0-9]{0,22}(us|ms|s|m|h|d|x|)",
            "[a-z:.+ -]{0,12}",
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.join("+"))
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = text.parse::<Policy>();
        }

        #[test]
        fn long_text_never_panics(text in ".{250,600}") {
            if let Err(error) = text.parse::<Policy>() {
                prop_assert!(error.policy.len() <= POLICY_TEXT_BYTES_MAX);
            }
        }

        #[test]
        fn parsed_text_prints_canonically(text in policy_like_text()) {
            if let Ok(policy) = text.parse::<Policy>() {
                let canonical = policy.to_string();
                prop_assert_eq!(canonical.parse::<Policy>(), Ok(policy));
                prop_assert_eq!(parse(&canonical).to_string(), canonical);
            }
        }

        #[test]
        fn valid_policies_round_trip(policy in valid_policy()) {
            prop_assert_eq!(policy.to_string().parse::<Policy>(), Ok(policy));
        }

        #[test]
        fn due_stays_due_as_count_and_age_grow(
            policy in valid_policy(),
            messages in any::<u64>(),
            age in any::<u64>(),
        ) {
            if policy.due(messages, age) {
                prop_assert!(policy.due(messages.saturating_add(1), age));
                prop_assert!(policy.due(messages, age.saturating_add(1)));
            }
            prop_assert_eq!(policy.due(messages, age), policy.due(messages, 0) || policy.due(0, age));
        }
    }
}

//! What a run is asked to do: the group, the workload, the network, the policy, and the scripted events.
//! Scenario files map onto this (`crate::scenario`).

use senderkeys::GroupId;

use crate::network::NetworkConfig;
use crate::policy::Policy;
use crate::time::{HOUR_US, Micros};

/// A scripted change to the world.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// New members join.
    Join {
        /// How many.
        count: usize,
    },
    /// A member leaves voluntarily.
    Leave {
        /// Who.
        member: usize,
    },
    /// A member is removed.
    Remove {
        /// Who.
        member: usize,
    },
    /// A member goes offline.
    Offline {
        /// Who.
        member: usize,
        /// Until when (microseconds from the start).
        until: Micros,
    },
    /// A set of members loses its connection to the server until `until`: they keep writing (their messages are
    /// encrypted when written and leave when the link returns), and the server holds what comes for them.
    Partition {
        /// Who is cut off.
        members: Vec<usize>,
        /// When the link returns (microseconds from the start).
        until: Micros,
    },
    /// A member comes back online.
    Online {
        /// Who.
        member: usize,
    },
    /// A member sends messages now.
    Send {
        /// Who.
        member: usize,
        /// How many.
        count: usize,
    },
    /// A member rotates its sender key now.
    Rotate {
        /// Who.
        member: usize,
    },
    /// The adversary attacks.
    Attack {
        /// Which attack.
        kind: crate::attacks::AttackKind,
        /// Who runs it.
        by: Attacker,
        /// The member attacked or impersonated.
        target: usize,
        /// How, where the attack takes options (a mutation, a receiver, how far ahead, how many).
        #[serde(flatten)]
        options: AttackOptions,
    },
    /// The adversary obtains a snapshot of a member's state.
    Compromise {
        /// Whose.
        member: usize,
        /// What it obtains.
        scope: CompromiseScope,
        /// `signing-key` only: the member whose copy of the victim's chain the adversary forges with (a signing
        /// key alone forges nothing). Default: the lowest-numbered other current member.
        #[serde(skip_serializing_if = "Option::is_none")]
        insider: Option<usize>,
    },
}

/// How an attack runs beyond who runs it and on whom; every field's default is the attack's plain form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AttackOptions {
    /// `tamper` and `tamper-in-flight`: the mutation (default: a bit flip for `tamper`; for `tamper-in-flight`
    /// one drawn among those that apply to the envelope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutation: Option<crate::mutations::Mutation>,
    /// `bad-distribution`: the mutation of the distribution (default: drawn among those that apply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_mutation: Option<crate::mutations::DistributionMutation>,
    /// `tamper-in-flight` and `bad-distribution`: the one receiver whose copy is changed (default: every
    /// receiver's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<usize>,
    /// `tamper-in-flight`: when the genuine copy arrives.
    #[serde(skip_serializing_if = "GenuineCopy::is_default")]
    pub genuine: GenuineCopy,
    /// `forge`: how many iterations past the target's last envelope each forgery claims (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<u32>,
    /// `forge`: how many forgeries, each `ahead` past the one before (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
}

impl AttackOptions {
    /// The options that are not the default, as ` key=value` pairs in scenario-file order (for the trace).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(m) = self.mutation {
            out.push_str(&format!(" mutation={}", m.name()));
        }
        if let Some(m) = self.distribution_mutation {
            out.push_str(&format!(" mutation={}", m.name()));
        }
        if let Some(to) = self.to {
            out.push_str(&format!(" to=m{to}"));
        }
        if self.genuine != GenuineCopy::default() {
            out.push_str(&format!(" genuine={}", self.genuine.name()));
        }
        if let Some(ahead) = self.ahead {
            out.push_str(&format!(" ahead={ahead}"));
        }
        if let Some(repeat) = self.repeat {
            out.push_str(&format!(" repeat={repeat}"));
        }
        out
    }
}

/// When the genuine copy of an envelope the server tampered with in flight reaches the receiver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GenuineCopy {
    /// After the tampered copy (what makes a receiver process the tampered one first).
    #[default]
    Later,
    /// Before the tampered copy.
    Earlier,
    /// Never: the server keeps it (not owed, as a copy the network lost).
    Never,
}

impl GenuineCopy {
    /// Every choice, in the order scenario files name them.
    pub const ALL: [GenuineCopy; 3] = [GenuineCopy::Later, GenuineCopy::Earlier, GenuineCopy::Never];

    /// The name scenario files use.
    pub const fn name(self) -> &'static str {
        match self {
            GenuineCopy::Later => "later",
            GenuineCopy::Earlier => "earlier",
            GenuineCopy::Never => "never",
        }
    }

    fn is_default(&self) -> bool {
        *self == GenuineCopy::Later
    }
}

/// A malicious server's tampering with envelopes as it relays them, drawn per receiver's copy (`[server]
/// tamper` and `mutations`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tampering {
    /// Probability that the server changes one receiver's copy of an envelope, in parts per million.
    pub ppm: u32,
    /// The mutation families it draws from (empty: every family).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<crate::mutations::Family>,
}

/// What a compromise yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompromiseScope {
    /// The member's whole state: own key, every receiver state, the skipped-key caches.
    Full,
    /// Only the member's signing key: with an insider's copy of the victim's chain, the adversary forges in the
    /// victim's name for as long as receivers accept that key (measured as a window).
    SigningKey,
}

/// Who runs an attack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attacker {
    /// The server (its attacks make it malicious).
    Server,
    /// A member of the group (an insider).
    Member(usize),
}

/// What the server does besides relaying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerBehaviour {
    /// Relays faithfully, reads nothing.
    #[default]
    Honest,
    /// Relays faithfully, keeps and reads everything it relays or stores, and tries to decrypt it.
    Curious,
    /// Curious, and also active (attacks).
    Malicious,
}

impl ServerBehaviour {
    /// Whether the server reads what it relays and stores.
    pub fn reads(self) -> bool {
        self != ServerBehaviour::Honest
    }
}

/// Every action's name as scenario files write it, in [`Action`]'s order.
pub const ACTION_NAMES: [&str; 10] = [
    "join",
    "leave",
    "remove",
    "offline",
    "online",
    "partition",
    "send",
    "rotate",
    "compromise",
    "attack",
];

impl Action {
    /// The action's name as scenario files write it (one of [`ACTION_NAMES`]).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Join { .. } => "join",
            Action::Leave { .. } => "leave",
            Action::Remove { .. } => "remove",
            Action::Offline { .. } => "offline",
            Action::Online { .. } => "online",
            Action::Partition { .. } => "partition",
            Action::Send { .. } => "send",
            Action::Rotate { .. } => "rotate",
            Action::Compromise { .. } => "compromise",
            Action::Attack { .. } => "attack",
        }
    }
}

/// How many members `actions` add in total: joins, and the server's `add-member` attacks.
pub fn members_added(actions: &[ScheduledAction]) -> usize {
    actions
        .iter()
        .map(|scheduled| match scheduled.action {
            Action::Join { count } => count,
            Action::Attack {
                kind: crate::attacks::AttackKind::AddMember,
                ..
            } => 1,
            _ => 0,
        })
        .sum()
}

/// An action at a virtual time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ScheduledAction {
    /// When, in microseconds from the start.
    pub at: Micros,
    /// What.
    #[serde(flatten)]
    pub action: Action,
}

/// Everything a run needs besides the implementation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SimConfig {
    /// The seed of every random draw.
    pub seed: u64,
    /// The group's id.
    pub group: GroupId,
    /// Members at the start (numbered `0..members`; joiners continue the numbering).
    pub members: usize,
    /// Length of the active phase.
    pub duration: Micros,
    /// Length of the quiet phase that follows (no faults; offline members return; keys are re-requested).
    pub quiet: Micros,
    /// Mean messages each member sends per hour of the active phase (0: only scripted sends).
    pub messages_per_member_per_hour: u32,
    /// Plaintext size in bytes (at least 12: each plaintext names its message and sender).
    pub plaintext_bytes: usize,
    /// The network.
    pub network: NetworkConfig,
    /// The rotation policy.
    pub policy: Policy,
    /// What the server does.
    pub server: ServerBehaviour,
    /// A malicious server's tampering in flight (none by default).
    pub tampering: Tampering,
    /// The iteration every sender key's chain starts at (0 by default; near 2^32 to reach the end of the counter
    /// in a few messages).
    pub start_iteration: u32,
    /// Scripted actions.
    pub actions: Vec<ScheduledAction>,
    /// Keep every trace line (for `--trace`); the hash is always computed.
    pub keep_trace: bool,
    /// Let implementations and pairwise channels memoise pure work (signature verdicts, chain steps; see
    /// [`senderkeys::memo`]). Only the speed changes — the trace and the report are identical either way
    /// (tested on the whole scenario library); `--no-memo` turns it off to measure the difference.
    #[serde(skip)]
    pub memo: bool,
    /// How long to wait for each answer of an external adapter before stopping it as hung
    /// (`--adapter-timeout`; built-in implementations ignore it).
    #[serde(skip)]
    pub adapter_timeout: std::time::Duration,
}

impl SimConfig {
    /// A quiet default: `members` members for one hour, 6 messages per member per hour, 100-byte plaintexts,
    /// 20–400 ms latency with reordering and no loss, policy `never`, no scripted actions.
    pub fn new(seed: u64, members: usize) -> Self {
        SimConfig {
            seed,
            group: GroupId::new("sksim-group").expect("valid group id"),
            members,
            duration: HOUR_US,
            quiet: HOUR_US / 6,
            messages_per_member_per_hour: 6,
            plaintext_bytes: 100,
            network: NetworkConfig::default(),
            policy: Policy::NEVER,
            server: ServerBehaviour::Honest,
            tampering: Tampering::default(),
            start_iteration: 0,
            actions: Vec::new(),
            keep_trace: false,
            memo: true,
            adapter_timeout: crate::external::ADAPTER_TIMEOUT_DEFAULT,
        }
    }
}

/// Why a scripted event cannot happen as written: the event's index in [`SimConfig::actions`], the scenario-file
/// key that is wrong (`member`, `by`, ...), and what is wrong and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// The event's index in time order.
    pub event: usize,
    /// The key of the event that says what cannot be.
    pub key: &'static str,
    /// What is wrong, and what to write instead.
    pub message: String,
}

/// An insider's forgeries step the chain (`ahead` × `repeat` steps at the farthest): at most
/// [`KEYED_FORGERY_REACH_MAX`](crate::limits::KEYED_FORGERY_REACH_MAX).
fn check_reach(
    e: &Checked<'_>,
    kind: crate::attacks::AttackKind,
    by: Attacker,
    options: &AttackOptions,
) -> Result<(), ScriptError> {
    use crate::limits::KEYED_FORGERY_REACH_MAX;
    let reach = u64::from(options.ahead.unwrap_or(1)) * u64::from(options.repeat.unwrap_or(1));
    if kind == crate::attacks::AttackKind::Forge
        && matches!(by, Attacker::Member(_))
        && reach > u64::from(KEYED_FORGERY_REACH_MAX)
    {
        return e.fail(
            "ahead",
            format!(
                "an insider's forgeries are written along the chain, so `ahead` × `repeat` ({reach}) may be at most \
                 {KEYED_FORGERY_REACH_MAX} (KEYED_FORGERY_REACH_MAX); the server's forgeries without keys go as far \
                 as you like"
            ),
        );
    }
    Ok(())
}

/// Whether any scripted action is the server's attack (so the server must be malicious).
pub fn server_attacks(actions: &[ScheduledAction]) -> bool {
    actions.iter().any(|scheduled| {
        matches!(
            scheduled.action,
            Action::Attack {
                by: Attacker::Server,
                ..
            }
        )
    })
}

impl SimConfig {
    /// Checks that every scripted event can do what it says: nobody acts after leaving the group, `online`
    /// follows an `offline`, a partition cuts off members who are online, and the server attacks only when it is
    /// malicious. The engine would otherwise skip such an event, and a scenario would test less than it reads.
    pub fn check_script(&self) -> Result<(), ScriptError> {
        check_script(self.members, self.server, &self.actions)
    }
}

/// One member as the script has it at some time.
#[derive(Clone, Copy, Default)]
struct Scripted {
    /// Left or removed: the verb and when.
    gone: Option<(&'static str, Micros)>,
    /// Offline (an `offline` event) until then, inclusive: the return is due at that time.
    offline_until: Option<Micros>,
    /// Cut off by a partition until then.
    cut_until: Option<Micros>,
}

/// [`SimConfig::check_script`] on its parts: `initial` members, the server, the actions in time order.
pub fn check_script(
    initial: usize,
    server: ServerBehaviour,
    actions: &[ScheduledAction],
) -> Result<(), ScriptError> {
    let mut script = Script::new(initial, server);
    actions
        .iter()
        .enumerate()
        .try_for_each(|(event, scheduled)| script.step(event, scheduled))
}

/// `actions` without the events [`check_script`] refuses, each judged after the ones kept before it: what a
/// generator of random scripts (the sweep, the fuzz targets) keeps of what it drew.
pub fn possible_only(
    initial: usize,
    server: ServerBehaviour,
    actions: Vec<ScheduledAction>,
) -> Vec<ScheduledAction> {
    let mut script = Script::new(initial, server);
    let mut kept = Vec::with_capacity(actions.len());
    for scheduled in actions {
        if script.step(kept.len(), &scheduled).is_ok() {
            kept.push(scheduled);
        }
    }
    kept
}

/// The members as a script has them so far.
struct Script {
    members: Vec<Scripted>,
    server: ServerBehaviour,
}

/// One event being checked: its index, time and action, to word an error.
struct Checked<'a> {
    event: usize,
    at: Micros,
    action: &'a Action,
}

impl Checked<'_> {
    fn fail(&self, key: &'static str, message: String) -> Result<(), ScriptError> {
        Err(ScriptError {
            event: self.event,
            key,
            message,
        })
    }

    /// Offline (an `offline` event) at this time: an event at the very time the member is due back comes first,
    /// as it is scheduled before the return.
    fn offline_until(&self, m: Scripted) -> Option<Micros> {
        m.offline_until.filter(|&until| until >= self.at)
    }

    /// Cut off by a partition at this time (the same rule).
    fn cut_until(&self, m: Scripted) -> Option<Micros> {
        m.cut_until.filter(|&until| until >= self.at)
    }
}

impl Script {
    fn new(initial: usize, server: ServerBehaviour) -> Self {
        Script {
            members: vec![Scripted::default(); initial],
            server,
        }
    }

    fn member(&self, member: usize) -> Scripted {
        self.members.get(member).copied().unwrap_or_default()
    }

    /// Checks one event against the script so far and, if it can happen, applies it.
    fn step(&mut self, event: usize, scheduled: &ScheduledAction) -> Result<(), ScriptError> {
        let e = Checked {
            event,
            at: scheduled.at,
            action: &scheduled.action,
        };
        match e.action {
            Action::Join { count } => {
                self.members.extend((0..*count).map(|_| Scripted::default()));
                Ok(())
            }
            Action::Leave { member } => self.depart(&e, *member, "left"),
            Action::Remove { member } => self.depart(&e, *member, "was removed"),
            Action::Offline { member, until } => self.offline(&e, *member, *until),
            Action::Online { member } => self.online(&e, *member),
            Action::Partition { members, until } => self.partition(&e, members, *until),
            Action::Send { member, .. } | Action::Rotate { member } => self.present(&e, *member, "member"),
            Action::Compromise { member, insider, .. } => {
                self.present(&e, *member, "member")?;
                insider.map_or(Ok(()), |insider| self.present(&e, insider, "insider"))
            }
            Action::Attack {
                kind,
                by,
                target,
                options,
            } => {
                if let Some(to) = options.to {
                    self.present(&e, to, "to")?;
                }
                check_reach(&e, *kind, *by, options)?;
                self.attack(&e, *kind, *by, *target)
            }
        }
    }

    /// The member exists and is still in the group.
    fn present(&self, e: &Checked<'_>, member: usize, key: &'static str) -> Result<(), ScriptError> {
        use crate::time::format_duration as time;
        let exists = self.members.len();
        if member >= exists {
            return e.fail(
                key,
                format!(
                    "member {member} does not exist at {} ({exists} members by then, numbered from 0)",
                    time(e.at)
                ),
            );
        }
        match self.member(member).gone {
            Some((verb, when)) => e.fail(
                key,
                format!(
                    "member {member} {verb} at {}, before this `{}` at {}: a member who has left the group does \
                     nothing; remove this event or move it before {}",
                    time(when),
                    e.action.name(),
                    time(e.at),
                    time(when)
                ),
            ),
            None => Ok(()),
        }
    }

    fn depart(&mut self, e: &Checked<'_>, member: usize, verb: &'static str) -> Result<(), ScriptError> {
        self.present(e, member, "member")?;
        if let Some(m) = self.members.get_mut(member) {
            m.gone = Some((verb, e.at));
        }
        Ok(())
    }

    fn offline(&mut self, e: &Checked<'_>, member: usize, until: Micros) -> Result<(), ScriptError> {
        use crate::time::format_duration as time;
        self.present(e, member, "member")?;
        let m = self.member(member);
        if let Some(back) = e.offline_until(m) {
            return e.fail(
                "member",
                format!(
                    "member {member} is already offline at {} (until {}); move this event after {} or change \
                     the earlier event's `until`",
                    time(e.at),
                    time(back),
                    time(back)
                ),
            );
        }
        if let Some(back) = e.cut_until(m) {
            return e.fail(
                "member",
                format!(
                    "member {member} is cut off by a partition at {} (until {}), so going offline then changes \
                     nothing; move this event after {}",
                    time(e.at),
                    time(back),
                    time(back)
                ),
            );
        }
        if let Some(m) = self.members.get_mut(member) {
            m.offline_until = Some(until);
        }
        Ok(())
    }

    fn online(&mut self, e: &Checked<'_>, member: usize) -> Result<(), ScriptError> {
        use crate::time::format_duration as time;
        self.present(e, member, "member")?;
        let m = self.member(member);
        if e.offline_until(m).is_some() {
            if let Some(m) = self.members.get_mut(member) {
                m.offline_until = None;
            }
            return Ok(());
        }
        // A partition's return at its `until` comes after an event at that time, which then finds it back.
        if let Some(back) = m.cut_until.filter(|&until| until > e.at) {
            return e.fail(
                "member",
                format!(
                    "member {member} is cut off by a partition until {}: `online` at {} cannot end it early (the \
                     member comes back by itself at {}); remove this event",
                    time(back),
                    time(e.at),
                    time(back)
                ),
            );
        }
        let why = match m.offline_until {
            Some(back) => format!(
                "it came back by itself at {}, its offline period's `until`",
                time(back)
            ),
            None => "no `offline` event puts it offline before".to_owned(),
        };
        e.fail(
            "member",
            format!(
                "member {member} is not offline at {} ({why}); remove this event, or write an `offline` event \
                 before it whose `until` is later",
                time(e.at)
            ),
        )
    }

    fn partition(&mut self, e: &Checked<'_>, cut: &[usize], until: Micros) -> Result<(), ScriptError> {
        use crate::time::format_duration as time;
        for &member in cut {
            self.present(e, member, "members")?;
            let m = self.member(member);
            if let Some(back) = e.offline_until(m).or_else(|| e.cut_until(m)) {
                return e.fail(
                    "members",
                    format!(
                        "member {member} is already offline at {} (until {}): a partition cuts off only members \
                         who are online; leave it out or move the partition",
                        time(e.at),
                        time(back)
                    ),
                );
            }
        }
        for &member in cut {
            if let Some(m) = self.members.get_mut(member) {
                m.cut_until = Some(until);
            }
        }
        Ok(())
    }

    fn attack(
        &mut self,
        e: &Checked<'_>,
        kind: crate::attacks::AttackKind,
        by: Attacker,
        target: usize,
    ) -> Result<(), ScriptError> {
        use crate::attacks::AttackKind;
        use crate::time::format_duration as time;
        let exists = self.members.len();
        if target >= exists && kind != AttackKind::AddMember {
            return e.fail(
                "target",
                format!(
                    "member {target} does not exist at {} ({exists} members by then)",
                    time(e.at)
                ),
            );
        }
        match by {
            Attacker::Server if self.server != ServerBehaviour::Malicious => {
                let behaviour = if self.server == ServerBehaviour::Honest {
                    "honest"
                } else {
                    "curious"
                };
                return e.fail(
                    "by",
                    format!(
                        "the server attacks (`{}` at {}), but the scenario's server is {behaviour}: only a \
                         malicious server attacks; write `behaviour = \"malicious\"` in [server], or let a member \
                         attack (`by = N`)",
                        kind.name(),
                        time(e.at)
                    ),
                );
            }
            Attacker::Server => {}
            Attacker::Member(insider) => self.present(e, insider, "by")?,
        }
        if kind == AttackKind::AddMember {
            self.members.push(Scripted::default());
        }
        Ok(())
    }
}

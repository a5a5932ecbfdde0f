//! What a run is asked to do: the group, the workload, the network, the policy, and the scripted events.
//! Scenario files map onto this (`crate::scenario`).

use senderkeys::GroupId;

use crate::network::NetworkConfig;
use crate::policy::{Micros, Policy};

/// One hour of virtual time.
pub const HOUR_US: Micros = 3_600_000_000;

/// At most this many members, initial plus joiners, in one run.
pub const MEMBERS_MAX: usize = 100_000;

/// At most this many envelopes wait, per member, for a sender key it does not hold yet; beyond it the oldest is
/// dropped (and counted).
pub const PENDING_ENVELOPES_MAX: usize = 256;

/// At most this many times a member asks for one sender's key while envelopes from it wait; if the envelopes
/// still cannot be decrypted after that, they are abandoned (counted, and judged by `delivery`). The quiet phase
/// asks once more.
pub const KEY_FETCH_ROUNDS_MAX: u32 = 3;

/// Chain steps one operation of an implementation may take before the harness abandons it (and records
/// `bounded-state`). Far above [`senderkeys::consts::FORWARD_JUMP_MAX`], the protocol bound the checker holds
/// implementations to; this one only keeps an unbounded implementation from hanging the run.
pub const WORK_BUDGET_STEPS: u64 = 1_000_000;

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
            actions: Vec::new(),
            keep_trace: false,
            memo: true,
            adapter_timeout: crate::external::ADAPTER_TIMEOUT_DEFAULT,
        }
    }
}

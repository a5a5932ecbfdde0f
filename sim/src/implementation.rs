//! The only boundary between the engine and protocol code.
//!
//! The engine drives every implementation under test — built in or external — through [`Implementation`], one
//! instance per member, and creates instances through an [`ImplementationFactory`]. Randomness is always passed
//! in by the engine, so a run is reproducible from its seed.

use rand_core::CryptoRng;
use senderkeys::{GroupId, MemberId, SharedMemo};

/// Why an implementation refused an input, with a stable reason name (e.g. `duplicate`, `unknown-key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Stable, kebab-case reason; counted in reports.
    pub reason: String,
    /// Human-readable detail.
    pub detail: String,
}

impl Rejection {
    /// Reasons that mean "I do not hold the sender's key yet": the engine queues the envelope and asks for it.
    pub fn is_missing_key(&self) -> bool {
        matches!(
            self.reason.as_str(),
            "unknown-key" | "unknown-sender" | "no-verifying-key"
        )
    }
}

impl From<senderkeys::Error> for Rejection {
    fn from(e: senderkeys::Error) -> Self {
        Rejection {
            reason: e.reason().to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<senderkeys::PeerMisbehaved> for Rejection {
    fn from(e: senderkeys::PeerMisbehaved) -> Self {
        senderkeys::Error::from(e).into()
    }
}

impl From<senderkeys::ApiMisuse> for Rejection {
    fn from(e: senderkeys::ApiMisuse) -> Self {
        senderkeys::Error::from(e).into()
    }
}

/// How an implementation's distributions travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// Sealed for one recipient over a pairwise channel (Accord, Signal, the reference): the server never reads
    /// them, and a newcomer gets each member's key at its current iteration from that member.
    Pairwise,
    /// Uploaded to the server in plaintext, stored, broadcast, and served to newcomers as stored (Chatalot).
    ServerPlaintext,
    /// Pairwise, and members also forward the keys they hold of others to newcomers (the peer-to-peer
    /// sketch).
    Forwarded,
}

/// Chain steps an implementation may take for one operation before the harness abandons it.
///
/// Built-in implementations call [`WorkBudget::step`] once per chain step; when it fails they must return its
/// rejection at once, leaving whatever state they have. The engine records `bounded-state` when an operation
/// exhausts its budget or takes more steps than the protocol's bound allows (a jump of [`senderkeys::consts::FORWARD_JUMP_MAX`]: that
/// many skipped keys and the message's own, one step more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkBudget {
    steps: u64,
    steps_max: u64,
}

/// The reason of the rejection an exhausted [`WorkBudget`] produces.
pub const BUDGET_EXHAUSTED: &str = "work-budget-exhausted";

impl WorkBudget {
    /// A budget of `steps_max` chain steps.
    pub fn new(steps_max: u64) -> Self {
        WorkBudget { steps: 0, steps_max }
    }

    /// Takes one step; fails once the budget is used up.
    pub fn step(&mut self) -> Result<(), Rejection> {
        self.steps += 1;
        if self.steps > self.steps_max {
            return Err(Rejection {
                reason: BUDGET_EXHAUSTED.to_owned(),
                detail: format!("more than {} chain steps for one operation", self.steps_max),
            });
        }
        Ok(())
    }

    /// Takes `steps` steps at once (an external implementation reports its count after the fact); fails if that
    /// goes past the budget.
    pub fn take(&mut self, steps: u64) -> Result<(), Rejection> {
        self.steps = self.steps.saturating_add(steps);
        if self.steps > self.steps_max {
            return Err(Rejection {
                reason: BUDGET_EXHAUSTED.to_owned(),
                detail: format!("more than {} chain steps for one operation", self.steps_max),
            });
        }
        Ok(())
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

/// A message an implementation accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Who the implementation shows as the sender.
    pub claimed_sender: MemberId,
    /// What it shows as the message.
    pub plaintext: Vec<u8>,
}

/// Where an envelope sits in its sender's chain: the sender key's id (in the implementation's own display form)
/// and the iteration. Part of the ground truth logged with every envelope.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainPosition {
    /// The sender key's id, as the implementation writes it (opaque to the engine; compared for equality).
    pub key_id: String,
    /// The iteration.
    pub iteration: u32,
}

/// The reason of the rejection of an operation an implementation does not offer.
pub const UNSUPPORTED: &str = "unsupported";

/// One member's protocol state for one group.
pub trait Implementation {
    /// Creates a fresh own sender key — the first, or a rotation — and returns its distribution.
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection>;
    /// [`Implementation::create_sender_key`] with the chain starting at `iteration` instead of 0: what a scenario's
    /// `start_iteration` asks of every key, so a run reaches the end of the 32-bit counter in a few messages. An
    /// implementation that cannot start a chain elsewhere refuses with [`UNSUPPORTED`] (the default), and the run
    /// says that the option had no effect.
    fn create_sender_key_at(
        &mut self,
        rng: &mut dyn CryptoRng,
        iteration: u32,
    ) -> Result<Vec<u8>, Rejection> {
        if iteration == 0 {
            return self.create_sender_key(rng);
        }
        Err(Rejection {
            reason: UNSUPPORTED.to_owned(),
            detail: "this implementation starts every chain at iteration 0".to_owned(),
        })
    }
    /// The distribution of the current own sender key (for a newcomer, or a member who asked).
    fn distribution(&self) -> Result<Vec<u8>, Rejection>;
    /// Processes a distribution that arrived from `from` (the pairwise channel's sender, or the server for
    /// [`Transport::ServerPlaintext`]).
    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<(), Rejection>;
    /// Encrypts a message; returns the envelope bytes.
    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection>;
    /// Decrypts an envelope the server relayed as coming from `from`.
    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection>;
    /// Deletes everything held of `member` (it left or was removed).
    fn forget_sender(&mut self, member: &MemberId);
    /// The whole state as opaque bytes (cloned for the adversary; compared for failure atomicity).
    fn export(&self) -> Vec<u8>;
    /// The part of the state a message from `sender` may change, as opaque bytes: the engine compares it before
    /// and after a copy of a message the member already accepted, which must be rejected without a trace.
    /// Defaults to the whole [`Implementation::export`]; an implementation whose state is kept per sender can
    /// export just that sender's part, so the check does not cost the whole group's state per duplicate.
    fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        let _ = sender;
        self.export()
    }
    /// The largest skipped-key cache among the receiver states held for `sender` (for `bounded-state`; asked
    /// after every delivery from `sender`, so it must be cheap).
    fn skipped_keys(&self, sender: &MemberId) -> usize;
    /// Distributions of other members' keys this member hands a newcomer, with the member each one is for
    /// ([`Transport::Forwarded`] only).
    fn forwarded_distributions(&self) -> Vec<(MemberId, Vec<u8>)> {
        Vec::new()
    }
    /// Offers the run's memo of pure work (signature verdicts, chain steps) to an implementation built on
    /// `senderkeys`; the engine calls it on every instance it creates or imports when memoisation is on. An
    /// implementation may ignore it (the default); one that uses it must give exactly the answers it would
    /// compute itself.
    fn use_memo(&mut self, memo: &SharedMemo) {
        let _ = memo;
    }
    /// The ids of the keys of `sender` this member holds and can still decrypt under, in the same display form as
    /// [`ChainPosition::key_id`]; `None` if the implementation does not say (the default). The engine asks around
    /// every distribution it hands over, so that a key dropped while envelopes under it are still in flight is a
    /// recorded fact (`facts::Fact::StateRetired`) an oracle can judge against the design's documented limit.
    fn retained_keys(&self, sender: &MemberId) -> Option<Vec<String>> {
        let _ = sender;
        None
    }
    /// Where the envelope [`Implementation::encrypt`] returned last sits in this member's chain (ground truth).
    /// `None` if the implementation does not say.
    fn last_sent(&self) -> Option<ChainPosition> {
        None
    }
    /// The secret signing key of the current own sender key — what a `signing-key` compromise takes — in the form
    /// [`Implementation::forge_as`] accepts. `None` for unsigned designs or before a key exists.
    fn signing_key(&self) -> Option<Vec<u8>> {
        None
    }
    /// The adversary's tool, run on a clone or an insider's state: encrypts `plaintext` in `sender`'s name from the
    /// newest receiver state this member holds for `sender`, at that state's next iteration, and signs it with
    /// `signing_key` (stolen with [`Implementation::signing_key`]) — or, without one, with whatever this member holds
    /// (a design that hands out signing secrets) or a fresh key of its own, which a signed design must refuse.
    /// Must not change this member's state.
    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let _ = (sender, signing_key, rng, plaintext);
        Err(Rejection {
            reason: UNSUPPORTED.to_owned(),
            detail: "this implementation cannot forge".to_owned(),
        })
    }
    /// [`Implementation::forge_as`] `ahead` iterations past that state's next one, less one (`ahead = 1` is
    /// `forge_as`): the envelope a sender would write after skipping `ahead - 1` iterations, with its chain stepped
    /// forward as the sender's would be — the adversary's jump inside (or past) the receivers' window, signed with
    /// `signing_key` if given. Must not change this member's state. Default: `forge_as` for `ahead = 1`, else
    /// [`UNSUPPORTED`] (the attack is then skipped, and the report says so).
    fn forge_ahead_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        ahead: u32,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        if ahead == 1 {
            return self.forge_as(sender, signing_key, rng, plaintext);
        }
        Err(Rejection {
            reason: UNSUPPORTED.to_owned(),
            detail: "this implementation forges only at the next iteration".to_owned(),
        })
    }
}

/// Makes instances of one implementation.
pub trait ImplementationFactory {
    /// The name shown in reports, e.g. `reference/hardened`.
    fn name(&self) -> String;
    /// A fresh instance for `member` in `group`.
    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation>;
    /// An instance rebuilt from [`Implementation::export`] bytes.
    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection>;
    /// How distributions travel.
    fn transport(&self) -> Transport {
        Transport::Pairwise
    }
    /// The largest skipped-key cache the design allows per receiver state (for `bounded-state`).
    fn skipped_keys_max(&self) -> usize {
        senderkeys::consts::SKIPPED_KEYS_MAX
    }
    /// Failures outside the implementation's answers since the last call — an external adapter that crashed, hung
    /// or broke the protocol. The engine asks after every event and records each one (`no-crash` for a crash or a
    /// hang). Built-in implementations have none.
    fn take_incidents(&self) -> Vec<Incident> {
        Vec::new()
    }
    /// What talking to an external adapter took and what went wrong, for the report (`None`: built in).
    fn adapter_report(&self) -> Option<AdapterReport> {
        None
    }
}

/// A failure of an external adapter, as opposed to a verdict of the implementation behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incident {
    /// What kind of failure.
    pub kind: IncidentKind,
    /// What happened, for the report: the operation, the member, the exit status or the broken rule, and what
    /// sksim did about it.
    pub detail: String,
}

/// Kinds of [`Incident`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// The adapter process exited or closed its output (judged by `no-crash`).
    Crashed,
    /// The adapter did not answer within the timeout and was stopped (judged by `no-crash`).
    TimedOut,
    /// The adapter answered something the protocol does not allow (counted in the adapter report).
    ProtocolError,
}

/// The adapter section of a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AdapterReport {
    /// The command line the adapter was started with.
    pub command: String,
    /// Requests sent.
    pub requests: u64,
    /// Times the adapter process exited or closed its output.
    pub crashes: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Answers that broke the protocol.
    pub protocol_errors: u64,
    /// Times sksim started the adapter again after a failure.
    pub restarts: u64,
    /// Operations refused because the instance they were for had lived in an adapter process that failed.
    pub lost_instance_requests: u64,
    /// What went wrong, in order (the first [`ADAPTER_INCIDENTS_KEPT`](crate::limits::ADAPTER_INCIDENTS_KEPT); all are counted above).
    pub incidents: Vec<String>,
}

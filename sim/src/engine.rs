//! The discrete-event engine: a single-threaded loop over virtual time (integer microseconds).
//!
//! Events are ordered by (time, sequence number), so ties resolve the same way every run. All randomness comes
//! from the seeded streams of [`crate::rng`]. A run is an active phase (workload, faults, membership changes)
//! followed by a quiet phase (no faults; offline members return; missing keys are re-requested), after which
//! `delivery` is judged.
//!
//! Scale: every envelope is stored once (deliveries refer to it by index); per-message bookkeeping is a bitset
//! over members; no work grows with the square of the group except what the protocol itself does (a rotation
//! distributes to every member).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use rand_chacha::ChaCha20Rng;
use senderkeys::MemberId;

use crate::channel::{Channels, Identity};
use crate::checkers::{At, Observation};
use crate::config::{Action, SimConfig};
use crate::facts::Fact;
use crate::ground_truth::{PLAINTEXT_HEADER_BYTES, SentMessage};
use crate::implementation::{Implementation, ImplementationFactory, IncidentKind};
use crate::limits::MEMBERS_MAX;
use crate::network::Network;
use crate::report::Report;
use crate::rng::{Stream, stream};
use crate::time::Micros;

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The configuration is inconsistent.
    #[error("invalid simulation: {0}")]
    Config(String),
}

#[derive(Debug)]
enum Event {
    /// A member's workload: send one message, then schedule the next.
    Tick { member: usize },
    /// A copy of message `message` reaches member `to`.
    Deliver { message: usize, to: usize },
    /// A distribution from `from` reaches `to`: over a pairwise channel, or as the plaintext record the server
    /// relays (server-plaintext transport).
    /// `crafted`: the adversary made or changed it (an insider's bad distribution, a record the server changed):
    /// a rejection must leave the receiver's state unchanged.
    Distribution {
        from: usize,
        to: usize,
        wire: Wire,
        crafted: bool,
    },
    /// `requester` has waited long enough for `owner`'s key: if it is still missing, ask for it.
    RequestTimer { requester: usize, owner: usize },
    /// `requester` asks `owner` for its current distribution.
    KeyRequest { requester: usize, owner: usize },
    /// A scripted action.
    Scripted(Action),
    /// A crafted input reaches `to` in `claimed`'s name.
    AttackDeliver {
        to: usize,
        claimed: usize,
        bytes: Rc<[u8]>,
        crafted: attack::Crafted,
    },
    /// The second step of an attack.
    FollowUp(attack::FollowUp),
    /// `member` learns that `newcomer` joined: it hands over its key or, under `on-membership-change`, rotates.
    /// (Held by the server while `member` is offline, so it acts on it in order when it returns.)
    JoinNotice { member: usize, newcomer: usize },
    /// `member` learns that `departed` left or was removed: it deletes what it holds of it and, under
    /// `on-removal`, rotates. (Held while `member` is offline.)
    DepartureNotice { member: usize, departed: usize },
    /// The insider forges with a stolen signing key (index into the adversary's stolen keys).
    Forgery { stolen: usize },
    /// The join-secrecy probe of a newcomer, once its distributions have arrived.
    JoinProbe { newcomer: usize, joined_at: Micros },
    /// The active phase ends.
    QuietStart,
}

/// A distribution in flight.
#[derive(Clone, Debug)]
enum Wire {
    /// Bytes exactly as they travel: the plaintext record of a server-plaintext transport.
    Plain(Rc<[u8]>),
    /// A distribution its sender signed, sealed for the recipient on their pairwise channel when it arrives.
    /// Sealing is deterministic (`channel.rs`), so these are the bytes sealing on departure would give, and the
    /// server relaying them sees (and a curious server reads) exactly those; but one signed copy is shared by
    /// every recipient instead of a sealed copy each being held in flight — a million at once when a
    /// 1,000-member group starts.
    Sealed(Rc<Signed>),
}

/// A distribution and its sender's identity signature over it (one per distribution, sealed to everyone).
#[derive(Debug)]
struct Signed {
    /// The sender's distribution, as its implementation made it.
    inner: Rc<[u8]>,
    /// `Channels::sign` of `inner` by the sender.
    signature: [u8; 64],
}

/// A distribution a member created: when, its bytes, and how many members there were then (the server holds
/// sealed copies only for those).
type Created = (Micros, Rc<[u8]>, usize);

struct Scheduled {
    time: Micros,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

struct Member {
    id: MemberId,
    imp: Box<dyn Implementation>,
    keys: ChaCha20Rng,
    workload: ChaCha20Rng,
    departed: bool,
    online: bool,
    /// Events the server holds while the member is offline (store-and-forward).
    held: Vec<Event>,
    /// Messages waiting for a sender key, oldest first. Invariant: at most `PENDING_ENVELOPES_MAX`.
    pending: VecDeque<usize>,
    /// Senders whose key this member waits for since an envelope from them was parked: `Some(due)` while the
    /// request timer runs (the one live timer is the one due then; a timer due at another time is stale and does
    /// nothing), `None` once the request went out and is not answered yet.
    requested: BTreeMap<usize, Option<Micros>>,
    /// Per sender: key requests made since an envelope from it last decrypted.
    /// Invariant: at most `KEY_FETCH_ROUNDS_MAX` (plus one in the quiet phase).
    fetch_rounds: BTreeMap<usize, u32>,
    messages_under_key: u64,
    key_created_at: Micros,
    /// The id of the key the member writes under, as its implementation reported it with its last envelope;
    /// `None` before it has written under its newest key.
    current_key: Option<String>,
    /// A member the server added and controls: what it decrypts, the server reads.
    controlled: bool,
    /// An insider that sent the group key material the adversary made of its own (`bad-distribution`): what it
    /// loses of its own messages it loses by its own hand, so they are not owed.
    misbehaved: bool,
    /// While the member is cut off by a partition: when its link returns. What it sends leaves then.
    partition_until: Option<Micros>,
    /// Departed members whose departure this member has processed (an offline or cut-off member learns late).
    knows_departed: crate::ground_truth::Bitset,
    /// Newcomers whose join this member has processed (see `Sim::knows`).
    knows_joined: crate::ground_truth::Bitset,
}

pub use adversary::Exposure;

/// Runs one simulation; returns the report and, if `keep_trace`, the trace lines.
pub fn run(
    config: &SimConfig,
    factory: &dyn ImplementationFactory,
) -> Result<(Report, Option<Vec<String>>), SimError> {
    validate(config)?;
    let mut sim = Sim::new(config, factory);
    sim.start();
    sim.take_incidents();
    while let Some(Reverse(next)) = sim.queue.pop() {
        if next.time > config.duration + config.quiet {
            break;
        }
        assert!(
            next.time >= sim.now,
            "engine invariant: virtual time went back from {} µs to {} µs",
            sim.now,
            next.time
        );
        sim.now = next.time;
        sim.handle(next.event);
        sim.take_incidents();
    }
    Ok(sim.finish())
}

fn validate(config: &SimConfig) -> Result<(), SimError> {
    let bad = |why: String| Err(SimError::Config(why));
    if config.members == 0 || config.members > MEMBERS_MAX {
        return bad(format!(
            "members must be 1..={MEMBERS_MAX}, got {}",
            config.members
        ));
    }
    if config.plaintext_bytes < PLAINTEXT_HEADER_BYTES
        || config.plaintext_bytes > senderkeys::consts::PLAINTEXT_BYTES_MAX
    {
        return bad(format!(
            "plaintext_bytes must be {PLAINTEXT_HEADER_BYTES}..=65536, got {}",
            config.plaintext_bytes
        ));
    }
    if config.network.latency_min > config.network.latency_max {
        return bad("network latency minimum is above its maximum".into());
    }
    if let Err(e) = config.check_script() {
        return bad(format!("scripted event {} (`{}`): {}", e.event, e.key, e.message));
    }
    let joined: usize = config
        .actions
        .iter()
        .map(|a| {
            if let Action::Join { count } = a.action {
                count
            } else {
                0
            }
        })
        .sum();
    if config.members + joined > MEMBERS_MAX {
        return bad(format!(
            "{} members with joiners; at most {MEMBERS_MAX}",
            config.members + joined
        ));
    }
    Ok(())
}

struct Sim<'a> {
    config: &'a SimConfig,
    factory: &'a dyn ImplementationFactory,
    now: Micros,
    seq: u64,
    queue: BinaryHeap<Reverse<Scheduled>>,
    members: Vec<Member>,
    /// Member index by id (the per-delivery lookup of who an implementation shows as the sender).
    index_of: BTreeMap<MemberId, usize>,
    messages: Vec<SentMessage>,
    /// Last rejection reason per (message, receiver), for undelivered messages.
    last_reason: BTreeMap<(usize, usize), String>,
    adversary: adversary::Adversary,
    /// Distribution records the server stores, per member (server-plaintext transport only).
    server_records: BTreeMap<usize, Rc<[u8]>>,
    /// Every distribution each member created, with its time (what a stale-distribution attack re-delivers).
    distributions: BTreeMap<usize, Vec<Created>>,
    adversary_rng: ChaCha20Rng,
    /// Every member's identity and the pairwise channels between them.
    channels: Channels,
    /// The memo of pure work every instance shares (`None` under `--no-memo`).
    memo: Option<senderkeys::SharedMemo>,
    /// The distribution signed last, with its signer (a distribution goes to every member in turn).
    last_signed: Option<(usize, Rc<Signed>)>,
    network: Network,
    /// Where everything that happens is reported: the trace, the counts, the checkers, the facts.
    record: recorder::Recorder,
    /// Per sender and key id (as the implementation reports it), the messages sent under that key, oldest first:
    /// which envelopes a receiver can no longer read when it stops retaining the key.
    under_key: BTreeMap<(usize, String), Vec<usize>>,
    /// Keys a receiver dropped while envelopes under them were in flight or their sender still used them, by
    /// (receiver, sender, key id), with how many of the sender's keys it held then (`Fact::StateRetired`).
    retired: BTreeMap<(usize, usize, String), usize>,
    /// Whether the implementation says which keys it retains (`Implementation::retained_keys`); asked once.
    reports_retained: Option<bool>,
    /// Envelopes the malicious server will change in flight (`tamper-in-flight`), armed and waiting for their
    /// sender's next envelope.
    interceptions: Vec<tamper::Interception>,
    /// The implementation refused `create_sender_key_at` (said once; chains then start at 0).
    start_unsupported: bool,
    quiet: bool,
}

impl Sim<'_> {
    /// A scripted event that could do nothing, found only as it ran (an unsigned implementation has no signing key
    /// to steal, an attack with nothing to craft from): the trace says why at this point, and the report lists it.
    fn without_effect(&mut self, why: String) {
        self.record.trace.record(self.now, format_args!("{why}"));
        self.record.counts.without_effect.push((self.now, why));
    }

    /// Records a fact an oracle reads (not traced: facts never change a trace hash).
    fn fact(&mut self, fact: Fact) {
        self.record.fact(self.now, fact);
    }
}

/// A panic's message, whatever text type it was raised with.
pub(crate) fn panic_text(payload: &(dyn core::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

/// Runs `f`, turning a panic into its message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_text(p.as_ref()))
}

impl<'a> Sim<'a> {
    fn new(config: &'a SimConfig, factory: &'a dyn ImplementationFactory) -> Self {
        Sim {
            config,
            factory,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            members: Vec::new(),
            index_of: BTreeMap::new(),
            messages: Vec::new(),
            last_reason: BTreeMap::new(),
            adversary: adversary::Adversary::default(),
            server_records: BTreeMap::new(),
            distributions: BTreeMap::new(),
            adversary_rng: stream(config.seed, Stream::Adversary),
            channels: Channels::generate(
                &config.group,
                &mut stream(config.seed, Stream::Pairing),
                config.memo,
            ),
            memo: config.memo.then(senderkeys::Memo::shared),
            last_signed: None,
            network: Network::new(config.network.clone(), stream(config.seed, Stream::Network)),
            record: recorder::Recorder::new(config.keep_trace),
            under_key: BTreeMap::new(),
            retired: BTreeMap::new(),
            reports_retained: None,
            interceptions: Vec::new(),
            start_unsupported: false,
            quiet: false,
        }
    }

    fn at(&self) -> At {
        At {
            event: self.record.trace.next_index(),
            time_us: self.now,
        }
    }

    fn schedule(&mut self, time: Micros, event: Event) {
        assert!(
            time >= self.now,
            "engine invariant: {event:?} scheduled at {time} µs, before the current time {} µs",
            self.now
        );
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            time,
            seq: self.seq,
            event,
        }));
    }

    fn active(&self) -> impl Iterator<Item = usize> + '_ {
        self.members
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.departed)
            .map(|(i, _)| i)
    }

    fn start(&mut self) {
        if self.config.server.reads() {
            let server = MemberId::new("server").expect("valid id");
            self.adversary.server = Some(self.create(&server));
            let at = self.at();
            self.record.observe(&Observation::ServerReads { at });
        }
        for _ in 0..self.config.members {
            self.add_member();
        }
        for member in 0..self.members.len() {
            self.create_and_distribute(member);
            self.schedule_tick(member);
        }
        for scripted in &self.config.actions {
            self.seq += 1;
            let event = Event::Scripted(scripted.action.clone());
            self.queue.push(Reverse(Scheduled {
                time: scripted.at,
                seq: self.seq,
                event,
            }));
        }
        self.schedule(self.config.duration, Event::QuietStart);
    }

    /// A fresh instance for `member`, given the run's memo.
    fn create(&self, member: &MemberId) -> Box<dyn Implementation> {
        let mut imp = self.factory.create(&self.config.group, member);
        if let Some(memo) = &self.memo {
            imp.use_memo(memo);
        }
        imp
    }

    fn add_member(&mut self) -> usize {
        let index = self.members.len();
        let id = MemberId::new(format!("m{index}")).expect("generated member ids are valid");
        let imp = self.create(&id);
        self.index_of.insert(id.clone(), index);
        let seed = self.config.seed;
        let identity = Identity::generate(&mut stream(seed, Stream::Identity(index)));
        let registered = self.channels.add_member(identity);
        debug_assert_eq!(registered, index, "channels are numbered like members");
        self.members.push(Member {
            id,
            imp,
            keys: stream(seed, Stream::Keys(index)),
            workload: stream(seed, Stream::Workload(index)),
            departed: false,
            online: true,
            held: Vec::new(),
            pending: VecDeque::new(),
            requested: BTreeMap::new(),
            fetch_rounds: BTreeMap::new(),
            messages_under_key: 0,
            key_created_at: 0,
            current_key: None,
            controlled: false,
            misbehaved: false,
            partition_until: None,
            knows_departed: crate::ground_truth::Bitset::default(),
            knows_joined: crate::ground_truth::Bitset::default(),
        });
        index
    }

    /// Records what went wrong outside the implementation's answers (an external adapter's crashes, hangs and
    /// protocol errors) since the last event: in the trace, and as `no-crash` violations for crashes and hangs.
    fn take_incidents(&mut self) {
        for incident in self.factory.take_incidents() {
            let kind = match incident.kind {
                IncidentKind::Crashed => "crashed",
                IncidentKind::TimedOut => "timed-out",
                IncidentKind::ProtocolError => "protocol-error",
            };
            self.record.trace.record(self.now, format_args!("adapter {kind}"));
            if incident.kind != IncidentKind::ProtocolError {
                let at = self.at();
                self.record.observe(&Observation::AdapterFailed {
                    at,
                    detail: &incident.detail,
                });
            }
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Tick { member } => self.tick(member),
            Event::Deliver { message, to } => self.deliver(message, to),
            Event::Distribution {
                from,
                to,
                wire,
                crafted,
            } => self.receive_distribution(from, to, &wire, crafted),
            Event::RequestTimer { requester, owner } => self.request_timer(requester, owner),
            Event::KeyRequest { requester, owner } => self.answer_key_request(requester, owner),
            Event::Scripted(action) => self.scripted(action),
            Event::JoinProbe { newcomer, joined_at } => self.join_probe(newcomer, joined_at),
            Event::AttackDeliver {
                to,
                claimed,
                bytes,
                crafted,
            } => self.attack_deliver(to, claimed, &bytes, crafted),
            Event::FollowUp(step) => self.follow_up(step),
            Event::Forgery { stolen } => self.forge_with_stolen_key(stolen),
            Event::JoinNotice { member, newcomer } => self.join_notice(member, newcomer),
            Event::DepartureNotice { member, departed } => self.departure_notice(member, departed),
            Event::QuietStart => self.quiet_start(),
        }
    }
}

mod adversary;
mod attack;
mod finish;
mod membership;
mod receive;
mod recorder;
mod send;
mod tamper;

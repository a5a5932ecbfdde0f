//! The structured receiver target: a script of operations against one receiver's [`GroupSession`].
//!
//! The fuzzer's bytes decode (with `arbitrary`) into a [`Script`]: a suite, a seed, and up to [`OPS_MAX`]
//! operations. Three honest senders write to one receiver; an insider, who holds every distributed key but no
//! signing key, forges. The operations deliver genuine envelopes in any order (re-delivery is a replay), far-future
//! envelopes (within and beyond [`FORWARD_JUMP_MAX`] and the skipped-key cache), forged ones, bit-flipped,
//! truncated, re-split (the head of one envelope joined to the tail of another), misattributed and raw ones, for
//! known and unknown keys, interleaved with distributions in any order (stale, repeated, corrupted), rotations and
//! departures.
//!
//! After every operation the target asserts:
//! - **no panic** anywhere in the library;
//! - **atomicity**: a rejected envelope or distribution leaves the receiver exactly as it was;
//! - **bounds**: per sender at most [`SENDER_STATES_MAX`] states, [`RETIRED_KEY_IDS_MAX`] retired ids, and per
//!   state at most [`SKIPPED_KEYS_MAX`] cached keys;
//! - **authenticity**: an accepted envelope carries a plaintext that someone entitled to write under that
//!   (sender, key, iteration) wrote there — the sender itself, or, in an unsigned suite, any holder of the chain,
//!   or a holder of the stolen signing key. A forgery without the signing key is never accepted in a signed suite,
//!   and a corrupted or misattributed envelope never decrypts. Two exceptions, by design, both for a key
//!   installed from a corrupted distribution (a channel failure the pairwise channel's authentication rules out
//!   in practice): under a cipher that is not an AEAD (the Signal suite's AES-CBC) it may turn a genuine envelope
//!   into garbage that passes the padding check; and where the flipped bit was in the key id or iteration, it
//!   holds the sender's genuine chain under another label, so an envelope whose header is flipped the same way
//!   decrypts to a plaintext the sender really wrote, in another slot. Both still count against replay;
//! - **replay rejection**: no (sender, key, iteration) is accepted twice;
//! - **liveness**: an unmodified, entitled envelope whose key the receiver holds (from an uncorrupted
//!   distribution) and whose iteration is still open — ahead of the chain by at most [`FORWARD_JUMP_MAX`], or in
//!   the skipped-key cache — and that was not accepted before, decrypts.
//!
//! Every suite runs the same operations; the script's first byte picks the suite, so a corpus covers them all.

use std::collections::{BTreeMap, BTreeSet};

use arbitrary::{Arbitrary, Unstructured};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::consts::{FORWARD_JUMP_MAX, RETIRED_KEY_IDS_MAX, SENDER_STATES_MAX, SKIPPED_KEYS_MAX};
use crate::ids::{GroupId, KeyId, MemberId};
use crate::kdf::Kdf;
use crate::session::GroupSession;
use crate::suite::SuiteId;
use crate::testing::{forge_as, steal_signing_key};

/// At most this many operations run per input; the rest of a longer input is not decoded.
pub const OPS_MAX: usize = 64;

/// At most this many chain steps are spent per input making honest far-future envelopes (each one walks the
/// sender's chain forward); beyond it a far-future envelope is built on the sender's current chain key, which
/// is wrong for its iteration, so it must be rejected.
pub const FAR_FUTURE_STEPS_MAX: u64 = 30_000;

/// Longest plaintext the script writes, in bytes (before its 8-byte serial number).
const PLAINTEXT_FILL_MAX: usize = 255;

/// The honest senders.
const SENDERS: [&str; 3] = ["alice", "bob", "carol"];

/// A decoded fuzz input.
#[derive(Debug)]
pub struct Script {
    /// The suite every party speaks.
    pub suite: SuiteId,
    /// The seed of the parties' keys and nonces.
    pub seed: u64,
    /// The operations, in order.
    pub ops: Vec<Op>,
}

/// One operation of a [`Script`]. Indices (`sender`, `message`, `distribution`) are taken modulo the number of
/// senders, envelopes or distributions made so far; an operation naming an envelope or distribution when there
/// is none does nothing.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// An honest sender writes an envelope (kept for later delivery) with `fill` bytes after a serial number.
    Send {
        /// Which sender.
        sender: u8,
        /// Plaintext length beyond the serial number.
        fill: u8,
    },
    /// Delivers a made envelope as it was made (again: a replay).
    Deliver {
        /// Which envelope.
        message: u16,
    },
    /// A sender rotates its key; the new distribution is kept for delivery (and the insider gets it at once).
    Rotate {
        /// Which sender.
        sender: u8,
    },
    /// A sender re-shares its current key at its current iteration (for a newcomer, or a member who asked).
    Reshare {
        /// Which sender.
        sender: u8,
    },
    /// Delivers a made distribution (in any order: stale, repeated).
    Distribute {
        /// Which distribution.
        distribution: u16,
    },
    /// Delivers a made distribution with one bit flipped.
    CorruptDistribution {
        /// Which distribution.
        distribution: u16,
        /// Which bit (modulo its length in bits).
        bit: u32,
    },
    /// Delivers a made envelope with one bit flipped.
    FlipBit {
        /// Which envelope.
        message: u16,
        /// Which bit (modulo its length in bits).
        bit: u32,
    },
    /// Delivers the first `len` bytes of a made envelope (modulo its length).
    Truncate {
        /// Which envelope.
        message: u16,
        /// How many bytes to keep.
        len: u16,
    },
    /// Delivers the head of one envelope joined to the tail of another, each cut at its own point.
    Resplit {
        /// The envelope giving the head.
        head: u16,
        /// The envelope giving the tail.
        tail: u16,
        /// Where the head is cut (modulo its length + 1).
        head_cut: u16,
        /// Where the tail starts (modulo its length + 1).
        tail_cut: u16,
    },
    /// Delivers a made envelope as if another sender had written it.
    Misattribute {
        /// Which envelope.
        message: u16,
        /// Who it is said to come from.
        claimed: u8,
    },
    /// The insider writes in a sender's name from the newest chain it holds for it, signed with the sender's
    /// stolen signing key (`stolen`) or a key of its own.
    Forge {
        /// In whose name.
        sender: u8,
        /// Whether the insider holds the sender's signing key.
        stolen: bool,
        /// Plaintext length beyond the serial number.
        fill: u8,
    },
    /// A sender's envelope `jump` iterations past its next one (see [`far_future_jump`]), kept for delivery and
    /// delivered at once. The sender's own chain does not move.
    FarFuture {
        /// Which sender.
        sender: u8,
        /// Encodes the jump.
        jump: u32,
    },
    /// The receiver forgets a sender (it left the group).
    Forget {
        /// Which sender.
        sender: u8,
    },
    /// Raw bytes delivered as an envelope from a sender.
    Raw {
        /// Said to come from.
        sender: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// The jump of a [`Op::FarFuture`]: the low six bits choose a region, the rest the offset in it. Most jumps are
/// short: walking 25,000 chain steps costs milliseconds (more under coverage instrumentation), so each long region
/// is one code in 64.
pub fn far_future_jump(code: u32) -> u64 {
    let offset = u64::from(code >> 6);
    match code & 63 {
        // Around the skipped-key cache: a jump of SKIPPED_KEYS_MAX ± 4.
        61 => (SKIPPED_KEYS_MAX as u64 - 4) + offset % 9,
        // Around the forward-jump limit: FORWARD_JUMP_MAX ± 4.
        62 => (u64::from(FORWARD_JUMP_MAX) - 4) + offset % 9,
        // Anywhere up to the end of the iteration space.
        63 => offset << 6,
        _ => offset % 64,
    }
}

impl<'a> Arbitrary<'a> for Script {
    /// Never fails: bytes that run out read as zeros, and an operation that cannot be decoded ends the script
    /// there, keeping the operations before it.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let suite = SuiteId::ALL[usize::from(u8::arbitrary(u).unwrap_or(0)) % SuiteId::ALL.len()];
        let seed = u64::arbitrary(u).unwrap_or(0);
        let mut ops = Vec::new();
        while ops.len() < OPS_MAX && !u.is_empty() {
            match Op::arbitrary(u) {
                Ok(op) => ops.push(op),
                Err(_) => break,
            }
        }
        Ok(Script { suite, seed, ops })
    }
}

impl Script {
    /// Decodes fuzzer bytes; short or empty input gives a short or empty script, never an error.
    pub fn decode(data: &[u8]) -> Script {
        let mut u = Unstructured::new(data);
        let decoded = Script::arbitrary(&mut u);
        // Invariant: `Script::arbitrary` never fails (see there).
        decoded.expect("decoding a script never fails")
    }
}

/// What a run did: how many envelopes and distributions the receiver accepted and rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Envelopes that decrypted.
    pub accepted: usize,
    /// Envelopes refused.
    pub rejected: usize,
    /// Distributions processed without error (including re-sent keys already held).
    pub distributions_accepted: usize,
    /// Distributions refused.
    pub distributions_rejected: usize,
}

/// Who may have written a plaintext under a (sender, key, iteration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Author {
    /// The sender, or someone entitled to write as it (its stolen signing key, or any chain holder in an
    /// unsigned suite).
    Entitled,
    /// A forger without the signing key in a signed suite: must never be accepted.
    Forger,
}

/// An envelope made during the run.
#[derive(Clone, Debug)]
struct Made {
    sender: usize,
    key_id: KeyId,
    iteration: u32,
    plaintext: Vec<u8>,
    wire: Vec<u8>,
    author: Author,
}

/// A (sender, key, iteration).
type Slot = (usize, KeyId, u32);

/// The run: the parties and the oracle's records.
struct Run {
    suite: SuiteId,
    kdf: Kdf,
    rng: ChaCha20Rng,
    ids: Vec<MemberId>,
    senders: Vec<GroupSession>,
    receiver: GroupSession,
    insider: GroupSession,
    messages: Vec<Made>,
    distributions: Vec<(usize, Vec<u8>)>,
    /// Plaintexts written under each slot, and by whom.
    written: BTreeMap<Slot, Vec<(Vec<u8>, Author)>>,
    /// Slots the receiver accepted.
    accepted: BTreeSet<Slot>,
    /// Keys the receiver installed from a corrupted distribution (its chain or signing key may be wrong).
    tainted: BTreeSet<(usize, KeyId)>,
    serial: u64,
    far_future_steps: u64,
    summary: Summary,
}

/// Runs a fuzz input through one receiver; see the module documentation for what it asserts.
///
/// # Panics
///
/// When the receiver breaks one of the properties listed in the module documentation.
pub fn receiver(data: &[u8]) {
    run(&Script::decode(data));
}

/// Runs a decoded script and says what the receiver accepted. The three senders' first distributions are
/// distributions 0, 1 and 2 (alice, bob, carol); the receiver holds nothing until they are delivered.
///
/// # Panics
///
/// As [`receiver`].
pub fn run(script: &Script) -> Summary {
    let mut run = Run::new(script.suite, script.seed);
    for (step, op) in script.ops.iter().enumerate() {
        run.apply(op)
            .unwrap_or_else(|failure| panic!("{} step {step} ({op:?}): {failure}", script.suite));
        run.check_bounds()
            .unwrap_or_else(|failure| panic!("{} after step {step} ({op:?}): {failure}", script.suite));
    }
    run.summary
}

fn member(name: &str) -> MemberId {
    MemberId::new(name).expect("fixed member names are valid ids")
}

fn pick<T>(items: &[T], index: impl Into<u64>) -> Option<(usize, &T)> {
    if items.is_empty() {
        return None;
    }
    let i = usize::try_from(index.into() % items.len() as u64).expect("an index below a length");
    Some((i, &items[i]))
}

fn flip(bytes: &[u8], bit: u32) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if !out.is_empty() {
        let bit = usize::try_from(bit).unwrap_or(usize::MAX) % (out.len() * 8);
        out[bit / 8] ^= 1 << (bit % 8);
    }
    out
}

impl Run {
    fn new(suite: SuiteId, seed: u64) -> Run {
        let group = GroupId::new("fuzz-group").expect("a valid group id");
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let ids: Vec<MemberId> = SENDERS.iter().map(|name| member(name)).collect();
        let mut run = Run {
            suite,
            kdf: suite.suite().kdf,
            senders: ids
                .iter()
                .map(|id| GroupSession::new(suite, group.clone(), id.clone()))
                .collect(),
            receiver: GroupSession::new(suite, group.clone(), member("rita")),
            insider: GroupSession::new(suite, group, member("mallory")),
            ids,
            messages: Vec::new(),
            distributions: Vec::new(),
            written: BTreeMap::new(),
            accepted: BTreeSet::new(),
            tainted: BTreeSet::new(),
            serial: 0,
            far_future_steps: 0,
            summary: Summary::default(),
            rng: ChaCha20Rng::seed_from_u64(0),
        };
        for sender in 0..SENDERS.len() {
            run.rotate(sender, &mut rng);
        }
        run.rng = rng;
        run
    }

    fn sender_index(&self, sender: u8) -> usize {
        usize::from(sender) % self.senders.len()
    }

    fn plaintext(&mut self, fill: u8) -> Vec<u8> {
        self.serial += 1;
        let mut text = self.serial.to_be_bytes().to_vec();
        text.resize(8 + usize::from(fill).min(PLAINTEXT_FILL_MAX), b'.');
        text
    }

    fn rotate(&mut self, sender: usize, rng: &mut ChaCha20Rng) {
        let dist = self.senders[sender]
            .create_sender_key(rng)
            .expect("a sender can always make a key");
        // The insider is in the group: it gets every key at once (a rejection here is the library's business,
        // judged when the receiver processes the same bytes).
        let _ = self.insider.process_distribution(&self.ids[sender], &dist);
        self.distributions.push((sender, dist));
    }

    fn record(&mut self, made: Made) {
        self.written
            .entry((made.sender, made.key_id, made.iteration))
            .or_default()
            .push((made.plaintext.clone(), made.author));
        self.messages.push(made);
    }

    /// Keeps an envelope the adversary or a sender just made, and delivers it unmodified at once.
    fn record_and_deliver(&mut self, made: Made) -> Result<(), String> {
        self.record(made.clone());
        self.deliver(made.sender, &made.wire, Some(&made))
    }

    fn apply(&mut self, op: &Op) -> Result<(), String> {
        match *op {
            Op::Send { sender, fill } => {
                let s = self.sender_index(sender);
                let plaintext = self.plaintext(fill);
                let own = self.senders[s].own_sender_key().expect("every sender has a key");
                let (key_id, next) = (own.key_id(), own.next_iteration());
                let Ok(iteration) = u32::try_from(next) else {
                    // An exhausted chain: encrypting must refuse, and nothing is made.
                    return match self.senders[s].encrypt(&mut self.rng, &plaintext) {
                        Err(_) => Ok(()),
                        Ok(_) => Err("an exhausted chain encrypted".into()),
                    };
                };
                let wire = self.senders[s]
                    .encrypt(&mut self.rng, &plaintext)
                    .map_err(|e| format!("an honest sender could not encrypt: {e}"))?;
                self.record(Made {
                    sender: s,
                    key_id,
                    iteration,
                    plaintext,
                    wire,
                    author: Author::Entitled,
                });
                Ok(())
            }
            Op::Deliver { message } => match pick(&self.messages, message) {
                Some((_, made)) => {
                    let made = made.clone();
                    self.deliver(made.sender, &made.wire, Some(&made))
                }
                None => Ok(()),
            },
            Op::Rotate { sender } => {
                let s = self.sender_index(sender);
                let mut rng = std::mem::replace(&mut self.rng, ChaCha20Rng::seed_from_u64(0));
                self.rotate(s, &mut rng);
                self.rng = rng;
                Ok(())
            }
            Op::Reshare { sender } => {
                let s = self.sender_index(sender);
                // An exhausted key has no distribution; that refusal is not a failure.
                if let Ok(dist) = self.senders[s].distribution() {
                    self.distributions.push((s, dist));
                }
                Ok(())
            }
            Op::Distribute { distribution } => match pick(&self.distributions, distribution) {
                Some((_, (s, bytes))) => {
                    let (s, bytes) = (*s, bytes.clone());
                    self.distribute(s, &bytes, false)
                }
                None => Ok(()),
            },
            Op::CorruptDistribution { distribution, bit } => match pick(&self.distributions, distribution) {
                Some((_, (s, bytes))) => {
                    let (s, bytes) = (*s, flip(bytes, bit));
                    self.distribute(s, &bytes, true)
                }
                None => Ok(()),
            },
            Op::FlipBit { message, bit } => match pick(&self.messages, message) {
                Some((_, made)) => {
                    let (s, wire) = (made.sender, flip(&made.wire, bit));
                    self.deliver(s, &wire, None)
                }
                None => Ok(()),
            },
            Op::Truncate { message, len } => match pick(&self.messages, message) {
                Some((_, made)) => {
                    let keep = usize::from(len) % (made.wire.len() + 1);
                    let (s, wire) = (made.sender, made.wire[..keep].to_vec());
                    self.deliver(s, &wire, None)
                }
                None => Ok(()),
            },
            Op::Resplit {
                head,
                tail,
                head_cut,
                tail_cut,
            } => {
                let (Some((_, h)), Some((_, t))) = (pick(&self.messages, head), pick(&self.messages, tail))
                else {
                    return Ok(());
                };
                let h_cut = usize::from(head_cut) % (h.wire.len() + 1);
                let t_cut = usize::from(tail_cut) % (t.wire.len() + 1);
                let wire = [&h.wire[..h_cut], &t.wire[t_cut..]].concat();
                let s = h.sender;
                self.deliver(s, &wire, None)
            }
            Op::Misattribute { message, claimed } => match pick(&self.messages, message) {
                Some((_, made)) => {
                    let claimed = self.sender_index(claimed);
                    if claimed == made.sender {
                        return Ok(());
                    }
                    let wire = made.wire.clone();
                    self.deliver(claimed, &wire, None)
                }
                None => Ok(()),
            },
            Op::Forge { sender, stolen, fill } => self.forge(self.sender_index(sender), stolen, fill),
            Op::FarFuture { sender, jump } => {
                self.far_future(self.sender_index(sender), far_future_jump(jump))
            }
            Op::Forget { sender } => {
                let s = self.sender_index(sender);
                self.receiver.forget_sender(&self.ids[s]);
                Ok(())
            }
            Op::Raw { sender, ref bytes } => {
                let s = self.sender_index(sender);
                self.deliver(s, bytes, None)
            }
        }
    }

    fn forge(&mut self, s: usize, stolen: bool, fill: u8) -> Result<(), String> {
        let Some(state) = self.insider.receiver_states(&self.ids[s]).next() else {
            return Ok(());
        };
        let (key_id, next) = (state.key_id(), state.next_iteration());
        let Ok(iteration) = u32::try_from(next) else {
            return Ok(());
        };
        // The stolen key is the one of the key the insider forges under, if the sender still holds it.
        let own = self.senders[s].own_sender_key().expect("every sender has a key");
        let key = (stolen && own.key_id() == key_id)
            .then(|| steal_signing_key(&self.senders[s]).cloned())
            .flatten();
        let author = if key.is_some() || !self.suite.is_signed() {
            Author::Entitled
        } else {
            Author::Forger
        };
        let plaintext = self.plaintext(fill);
        let wire = forge_as(
            &self.insider,
            &self.ids[s],
            key.as_ref(),
            &mut self.rng,
            &plaintext,
        )
        .map_err(|e| format!("the insider could not forge from a held chain: {e}"))?;
        self.record_and_deliver(Made {
            sender: s,
            key_id,
            iteration,
            plaintext,
            wire,
            author,
        })
    }

    fn far_future(&mut self, s: usize, jump: u64) -> Result<(), String> {
        let mut forward = self.senders[s]
            .own_sender_key()
            .expect("every sender has a key")
            .clone();
        let key_id = forward.key_id;
        let target = forward.next.saturating_add(jump);
        let Ok(iteration) = u32::try_from(target) else {
            return Ok(());
        };
        let honest = self.far_future_steps + jump <= FAR_FUTURE_STEPS_MAX;
        if honest {
            self.far_future_steps += jump;
            for _ in 0..jump {
                forward.chain_key = self.kdf.next_chain_key(&forward.chain_key);
            }
        }
        // Without the budget, the chain key is the current one: wrong for `iteration` unless the jump is 0.
        forward.next = target;
        let plaintext = self.plaintext(0);
        let wire = crate::message::seal(
            self.suite,
            self.senders[s].group(),
            &self.ids[s],
            &mut forward,
            &mut self.rng,
            &plaintext,
        )
        .map_err(|e| format!("could not seal a far-future envelope: {e}"))?
        .wire;
        let author = if honest || jump == 0 {
            Author::Entitled
        } else {
            Author::Forger
        };
        self.record_and_deliver(Made {
            sender: s,
            key_id,
            iteration,
            plaintext,
            wire,
            author,
        })
    }

    /// Whether an unmodified entitled envelope must decrypt now (see the module documentation).
    fn must_accept(&self, made: &Made) -> bool {
        if made.author != Author::Entitled
            || self
                .accepted
                .contains(&(made.sender, made.key_id, made.iteration))
            || self.tainted.contains(&(made.sender, made.key_id))
        {
            return false;
        }
        let Some(state) = self
            .receiver
            .receiver_states(&self.ids[made.sender])
            .find(|state| state.key_id() == made.key_id)
        else {
            return false;
        };
        let iteration = u64::from(made.iteration);
        if iteration >= state.next_iteration() {
            iteration - state.next_iteration() <= u64::from(FORWARD_JUMP_MAX)
        } else {
            state.skipped.contains_key(&made.iteration)
        }
    }

    /// Delivers `wire` as coming from sender `s`; `made` is the unmodified envelope, if it is one.
    fn deliver(&mut self, s: usize, wire: &[u8], made: Option<&Made>) -> Result<(), String> {
        let required = made.is_some_and(|m| self.must_accept(m));
        let before = self.receiver.clone();
        match self.receiver.decrypt(&self.ids[s], wire) {
            Ok(decrypted) => {
                let slot = (s, decrypted.key_id, decrypted.iteration);
                let by_entitled = |texts: &Vec<(Vec<u8>, Author)>| {
                    texts
                        .iter()
                        .any(|(text, author)| *text == decrypted.plaintext && *author == Author::Entitled)
                };
                let entitled = self.written.get(&slot).is_some_and(by_entitled);
                let tainted = self.tainted.contains(&(s, decrypted.key_id));
                // A key from a corrupted distribution may hold the sender's genuine chain under a relabelled key
                // id or iteration; an envelope bit-flipped the same way then decrypts to what the sender really
                // wrote, under another slot. Plaintexts carry a serial number, so this still names one message.
                let relabelled = tainted
                    && self
                        .written
                        .iter()
                        .any(|(&(author, _, _), texts)| author == s && by_entitled(texts));
                // A wrong key (from a corrupted distribution) under AES-CBC decrypts to garbage undetected.
                let garbage_allowed = tainted && !self.suite.suite().cipher.is_authenticated();
                if !entitled && !relabelled && !garbage_allowed {
                    return Err(format!(
                        "accepted a plaintext nobody entitled wrote under {} key {} iteration {}",
                        self.ids[s], decrypted.key_id, decrypted.iteration
                    ));
                }
                if !self.accepted.insert(slot) {
                    return Err(format!(
                        "accepted {} key {} iteration {} twice",
                        self.ids[s], decrypted.key_id, decrypted.iteration
                    ));
                }
                self.summary.accepted += 1;
                Ok(())
            }
            Err(error) => {
                if !same_state(&before, &self.receiver) {
                    return Err(format!("a rejected envelope changed the receiver ({error})"));
                }
                if required {
                    return Err(format!("refused an envelope it must accept: {error}"));
                }
                self.summary.rejected += 1;
                Ok(())
            }
        }
    }

    fn distribute(&mut self, s: usize, bytes: &[u8], corrupted: bool) -> Result<(), String> {
        let before = self.receiver.clone();
        match self.receiver.process_distribution(&self.ids[s], bytes) {
            Ok(key_id) => {
                let new = !before
                    .receiver_states(&self.ids[s])
                    .any(|st| st.key_id() == key_id);
                if corrupted && new {
                    self.tainted.insert((s, key_id));
                }
                self.summary.distributions_accepted += 1;
                Ok(())
            }
            Err(error) => {
                if same_state(&before, &self.receiver) {
                    self.summary.distributions_rejected += 1;
                    Ok(())
                } else {
                    Err(format!("a rejected distribution changed the receiver ({error})"))
                }
            }
        }
    }

    fn check_bounds(&self) -> Result<(), String> {
        for (member, record) in &self.receiver.senders {
            if record.states.len() > SENDER_STATES_MAX {
                return Err(format!("{member}: {} states", record.states.len()));
            }
            if record.retired.len() > RETIRED_KEY_IDS_MAX {
                return Err(format!("{member}: {} retired key ids", record.retired.len()));
            }
            if let Some(state) = record.states.iter().find(|s| s.skipped_len() > SKIPPED_KEYS_MAX) {
                return Err(format!(
                    "{member} key {}: {} cached keys",
                    state.key_id(),
                    state.skipped_len()
                ));
            }
        }
        Ok(())
    }
}

/// Whether two sessions hold exactly the same state (the comparison [`GroupSession::export`] bytes would make,
/// without serializing large skipped-key caches on every step).
fn same_state(a: &GroupSession, b: &GroupSession) -> bool {
    let own = |s: &GroupSession| {
        s.own
            .as_ref()
            .map(|o| (o.key_id, o.next, o.chain_key.clone(), o.signing_public_key()))
    };
    a.suite == b.suite
        && a.group == b.group
        && a.me == b.me
        && own(a) == own(b)
        && a.replaced == b.replaced
        && a.senders == b.senders
}

//! What really happened: every message with its sender, send time, expected recipients, and who got it.
//!
//! Plaintexts are generated so that each one names its message and sender, which is how checkers tell a genuine
//! message from a forged, re-attributed or replayed one without trusting the implementation.

use crate::time::Micros;

/// A fixed-size set of member indexes (one bit each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bitset(Vec<u64>);

impl Bitset {
    /// An empty set able to hold members `0..len`.
    pub fn with_len(len: usize) -> Self {
        Bitset(vec![0; len.div_ceil(64)])
    }

    /// Adds `i`; returns whether it was absent.
    pub fn insert(&mut self, i: usize) -> bool {
        if i / 64 >= self.0.len() {
            self.0.resize(i / 64 + 1, 0);
        }
        let (word, bit) = (&mut self.0[i / 64], 1u64 << (i % 64));
        let absent = *word & bit == 0;
        *word |= bit;
        absent
    }

    /// Whether `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The members in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }

    /// How many members are in the set.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

/// One message as it was really sent.
#[derive(Clone, Debug)]
pub struct SentMessage {
    /// Index of the sender.
    pub sender: usize,
    /// Virtual send time (when it was written; a partitioned sender's message leaves later).
    pub sent_at: Micros,
    /// Its sender key and iteration, as the sender's implementation reports them (`None` if it does not say).
    pub position: Option<crate::implementation::ChainPosition>,
    /// The envelope bytes, stored once (deliveries refer to the message by index).
    pub envelope: Vec<u8>,
    /// Members of the group, other than the sender, when it was sent: the server fans out to them.
    pub expected: Bitset,
    /// Recipients at which at least one copy arrived.
    pub arrived: Bitset,
    /// Recipients the network sent a second copy to (a duplicate): the only ones a copy may reach twice.
    pub duplicated: Bitset,
    /// Recipients that accepted it as genuine.
    pub delivered: Bitset,
    /// Recipients whose queue of envelopes waiting for a key discarded it at sksim's bound
    /// ([`PENDING_ENVELOPES_MAX`](crate::limits::PENDING_ENVELOPES_MAX)): the harness dropped it, not the
    /// implementation, so it is not owed (counted as `discarded_waiting_for_a_key`).
    pub discarded: Bitset,
    /// Written by the adversary: an insider's jump along its own chain (`forge` with itself as the target). It is
    /// its sender's message (authentic), but not a secret the adversary could learn: no secrecy invariant counts it.
    pub by_adversary: bool,
}

/// Bytes at the start of every generated plaintext: message index (8, little-endian) and sender index (4).
pub const PLAINTEXT_HEADER_BYTES: usize = 12;

/// The plaintext of message `id` from `sender`, `len` bytes long (at least the header).
pub fn plaintext(id: usize, sender: usize, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len.max(PLAINTEXT_HEADER_BYTES));
    out.extend_from_slice(&(id as u64).to_le_bytes());
    // Invariant: sender < MEMBERS_MAX, which fits in a u32.
    out.extend_from_slice(
        &u32::try_from(sender)
            .expect("member index fits in u32")
            .to_le_bytes(),
    );
    let filler = (id as u64).to_le_bytes();
    out.extend((PLAINTEXT_HEADER_BYTES..len).map(|i| filler[i % 8] ^ i.to_le_bytes()[0]));
    out
}

/// The message a plaintext names, if it is exactly one that was sent, and by `claimed_sender`.
pub fn genuine(
    messages: &[SentMessage],
    plaintext_bytes: usize,
    text: &[u8],
    claimed_sender: usize,
) -> Option<usize> {
    let id = u64::from_le_bytes(text.get(..8)?.try_into().ok()?);
    let id = usize::try_from(id).ok()?;
    let message = messages.get(id)?;
    let expected = plaintext(id, message.sender, plaintext_bytes);
    (message.sender == claimed_sender && expected == text).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitset_basics() {
        let mut s = Bitset::with_len(10);
        assert!(s.insert(3) && s.insert(130) && !s.insert(3));
        assert!(s.contains(130) && !s.contains(4));
        assert_eq!(s.iter().collect::<Vec<_>>(), [3, 130]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn plaintexts_name_their_message_and_sender() {
        let msg = |sender| SentMessage {
            sender,
            sent_at: 0,
            position: None,
            envelope: vec![],
            expected: Bitset::default(),
            arrived: Bitset::default(),
            duplicated: Bitset::default(),
            delivered: Bitset::default(),
            discarded: Bitset::default(),
            by_adversary: false,
        };
        let messages = vec![msg(4), msg(5)];
        let text = plaintext(1, 5, 40);
        assert_eq!(text.len(), 40);
        assert_eq!(genuine(&messages, 40, &text, 5), Some(1));
        assert_eq!(genuine(&messages, 40, &text, 4), None, "re-attributed");
        assert_eq!(
            genuine(&messages, 40, &plaintext(1, 4, 40), 4),
            None,
            "forged content"
        );
        assert_eq!(genuine(&messages, 40, &text[..39], 5), None);
        assert_eq!(genuine(&messages, 40, b"short", 5), None);
    }
}

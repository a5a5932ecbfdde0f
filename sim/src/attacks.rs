//! Attack inputs, crafted from a genuine envelope the adversary captured.
//!
//! Crafting is format-aware: the genuine bytes are parsed with whichever `senderkeys` codec accepts them, changed
//! as the attack says, and re-encoded — or, where the attack makes a field the typed codec cannot hold (a nonce one
//! byte short), written out raw. Every function here is pure: the same inputs give the same bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use senderkeys::wire::accord::AccordEnvelope;
use senderkeys::wire::chatalot::ChatalotMessage;
use senderkeys::wire::hardened::{HEADER_BYTES, HardenedMessage};
use senderkeys::wire::p2p::P2pGroupMessage;
use senderkeys::wire::signal::SignalMessage;

/// How far ahead a far-future envelope claims to be.
pub const FAR_FUTURE_JUMP: u32 = 30_000;

/// The bytes a server injects as a "message" (Chatalot shows undecryptable payloads as text).
pub const INJECTED_TEXT: &[u8] = b"the server says hello";

/// The attacks the adversary can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttackKind {
    /// A new envelope in the target's name: plausible header, random ciphertext and signature.
    Forge,
    /// A captured envelope with one bit flipped.
    Tamper,
    /// A captured envelope with a byte moved from the nonce to the ciphertext.
    Resplit,
    /// A captured envelope delivered again.
    Replay,
    /// A captured envelope whose iteration is moved far ahead.
    FarFuture,
    /// Plain text injected as the target's message.
    InjectPlaintext,
    /// The server adds a member it controls.
    AddMember,
    /// The server re-delivers the target's first distribution, then replays its first envelope.
    StaleDistribution,
    /// An insider forwards a fake key in the target's name, then sends messages under it.
    ForwardFakeKey,
    /// The server changes the target's next envelope on its way to one receiver or all (a named mutation), and
    /// delivers the genuine copy later, earlier or never.
    TamperInFlight,
    /// A distribution with a named mutation (a key of the wrong length, a chain near the end of its counter,
    /// another member's key id, …): an insider's own over its pairwise channels, or the server's change to a
    /// record it stores.
    BadDistribution,
}

impl AttackKind {
    /// Every attack, in the order scenario files, `sksim list` and the sweep name them.
    pub const ALL: [AttackKind; 11] = [
        AttackKind::Forge,
        AttackKind::Tamper,
        AttackKind::Resplit,
        AttackKind::Replay,
        AttackKind::FarFuture,
        AttackKind::InjectPlaintext,
        AttackKind::AddMember,
        AttackKind::StaleDistribution,
        AttackKind::ForwardFakeKey,
        AttackKind::TamperInFlight,
        AttackKind::BadDistribution,
    ];

    /// The name scenario files use (`kind = "far-future"`).
    pub const fn name(self) -> &'static str {
        match self {
            AttackKind::Forge => "forge",
            AttackKind::Tamper => "tamper",
            AttackKind::Resplit => "resplit",
            AttackKind::Replay => "replay",
            AttackKind::FarFuture => "far-future",
            AttackKind::InjectPlaintext => "inject-plaintext",
            AttackKind::AddMember => "add-member",
            AttackKind::StaleDistribution => "stale-distribution",
            AttackKind::ForwardFakeKey => "forward-fake-key",
            AttackKind::TamperInFlight => "tamper-in-flight",
            AttackKind::BadDistribution => "bad-distribution",
        }
    }
}

/// A parsed genuine envelope, in whichever format it is.
pub(crate) enum Parsed {
    Accord(AccordEnvelope),
    Chatalot(ChatalotMessage),
    P2p(P2pGroupMessage),
    Signal(SignalMessage),
    Hardened(HardenedMessage),
}

/// The envelope parsed by whichever known codec accepts it.
pub(crate) fn parse(wire: &[u8]) -> Option<Parsed> {
    (AccordEnvelope::parse(wire).ok().map(Parsed::Accord))
        .or_else(|| ChatalotMessage::parse(wire).ok().map(Parsed::Chatalot))
        .or_else(|| HardenedMessage::parse(wire).ok().map(Parsed::Hardened))
        .or_else(|| SignalMessage::parse(wire).ok().map(Parsed::Signal))
        .or_else(|| P2pGroupMessage::parse(wire).ok().map(Parsed::P2p))
}

impl Parsed {
    pub(crate) fn iteration_mut(&mut self) -> &mut u32 {
        match self {
            Parsed::Accord(m) => &mut m.iteration,
            Parsed::Chatalot(m) => &mut m.iteration,
            Parsed::P2p(m) => &mut m.iteration,
            Parsed::Signal(m) => &mut m.iteration,
            Parsed::Hardened(m) => &mut m.iteration,
        }
    }

    /// Replaces ciphertext and signature with random bytes of the same lengths.
    fn randomize(&mut self, rng: &mut ChaCha20Rng) {
        let (ct, sig): (&mut Vec<u8>, Option<&mut [u8; 64]>) = match self {
            Parsed::Accord(m) => (&mut m.ciphertext, Some(&mut m.signature)),
            Parsed::Chatalot(m) => (&mut m.ciphertext, None),
            Parsed::P2p(m) => (&mut m.ciphertext, Some(&mut m.signature)),
            Parsed::Signal(m) => (&mut m.ciphertext, Some(&mut m.signature)),
            Parsed::Hardened(m) => (&mut m.ciphertext, Some(&mut m.signature)),
        };
        rng.fill(ct.as_mut_slice());
        if let Some(sig) = sig {
            rng.fill(sig.as_mut_slice());
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            Parsed::Accord(m) => m.encode(),
            Parsed::Chatalot(m) => m.encode(),
            Parsed::P2p(m) => m.encode(),
            Parsed::Signal(m) => m.encode(),
            Parsed::Hardened(m) => m.encode(),
        }
    }
}

impl Parsed {
    /// Flips the lowest bit of the key id; false for a format without one (the peer-to-peer sketch).
    pub(crate) fn flip_key_id(&mut self) -> bool {
        match self {
            Parsed::Accord(m) => m.key_id[m.key_id.len() - 1] ^= 1,
            Parsed::Chatalot(m) => m.chain_id ^= 1,
            Parsed::Signal(m) => m.distribution_id[m.distribution_id.len() - 1] ^= 1,
            Parsed::Hardened(m) => m.key_id ^= 1,
            Parsed::P2p(_) => return false,
        }
        true
    }

    /// Takes `donor`'s key id; false unless both are of one format that has one.
    pub(crate) fn take_key_id(&mut self, donor: &Parsed) -> bool {
        match (self, donor) {
            (Parsed::Accord(m), Parsed::Accord(d)) => m.key_id = d.key_id,
            (Parsed::Chatalot(m), Parsed::Chatalot(d)) => m.chain_id = d.chain_id,
            (Parsed::Signal(m), Parsed::Signal(d)) => {
                (m.distribution_id, m.chain_id) = (d.distribution_id, d.chain_id);
            }
            (Parsed::Hardened(m), Parsed::Hardened(d)) => m.key_id = d.key_id,
            _ => return false,
        }
        true
    }

    /// The envelope with `shift` bytes moved across the nonce/ciphertext boundary (positive: from the ciphertext
    /// into the nonce; negative: from the nonce into the ciphertext), written out raw: the bytes a signature over
    /// nonce ‖ ciphertext covers are unchanged. `None` for formats without a nonce on the wire (Signal) or a
    /// shift longer than the field it takes from.
    pub(crate) fn resplit(&self, shift: isize) -> Option<Vec<u8>> {
        let (nonce, ciphertext): (&[u8], &[u8]) = match self {
            Parsed::Accord(m) => (&m.iv, &m.ciphertext),
            Parsed::Chatalot(m) => (&m.nonce, &m.ciphertext),
            Parsed::P2p(m) => (&m.nonce, &m.ciphertext),
            Parsed::Hardened(m) => (&m.nonce, &m.ciphertext),
            Parsed::Signal(_) => return None,
        };
        let at = nonce
            .len()
            .checked_add_signed(shift)
            .filter(|&at| at <= nonce.len() + ciphertext.len())?;
        let joined = [nonce, ciphertext].concat();
        let (nonce, ct) = joined.split_at(at);
        Some(match self {
            Parsed::Accord(m) => accord_raw(m, nonce, ct),
            Parsed::Chatalot(m) => chatalot_raw(m, nonce, ct),
            Parsed::P2p(m) => m.encode_with(nonce, ct),
            Parsed::Hardened(m) => hardened_raw(m, nonce, ct),
            Parsed::Signal(_) => return None,
        })
    }
}

/// A forged envelope: the genuine header with the next iteration, random ciphertext and signature.
pub fn forge(genuine: &[u8], rng: &mut ChaCha20Rng) -> Option<Vec<u8>> {
    forge_at(genuine, 1, rng)
}

/// A forged envelope `distance` iterations past the genuine one (saturating at the format's maximum), with random
/// ciphertext and signature.
pub fn forge_at(genuine: &[u8], distance: u32, rng: &mut ChaCha20Rng) -> Option<Vec<u8>> {
    let mut parsed = parse(genuine)?;
    let at = parsed.iteration_mut().saturating_add(distance);
    *parsed.iteration_mut() = at;
    parsed.randomize(rng);
    Some(parsed.encode())
}

/// The genuine envelope with one random bit flipped.
pub fn tamper(genuine: &[u8], rng: &mut ChaCha20Rng) -> Option<Vec<u8>> {
    let bit = rng.random_range(0..genuine.len().checked_mul(8)?.max(1));
    let mut out = genuine.to_vec();
    *out.get_mut(bit / 8)? ^= 1 << (bit % 8);
    Some(out)
}

/// The genuine envelope claiming an iteration [`FAR_FUTURE_JUMP`] ahead (the signature is left as it was).
pub fn far_future(genuine: &[u8]) -> Option<Vec<u8>> {
    let mut parsed = parse(genuine)?;
    let far = parsed.iteration_mut().saturating_add(FAR_FUTURE_JUMP);
    *parsed.iteration_mut() = far;
    Some(parsed.encode())
}

/// The genuine envelope with the nonce's last byte moved to the front of the ciphertext: the bytes a signature
/// over nonce ‖ ciphertext covers are unchanged. `None` for formats without a nonce on the wire (Signal).
pub fn resplit(genuine: &[u8]) -> Option<Vec<u8>> {
    parse(genuine)?.resplit(-1)
}

fn accord_raw(m: &AccordEnvelope, iv: &[u8], ct: &[u8]) -> Vec<u8> {
    let (sk, sig) = (hex::encode(m.key_id), BASE64.encode(m.signature));
    let (iv, ct) = (BASE64.encode(iv), BASE64.encode(ct));
    format!(
        r#"{{"v":1,"sk":"{sk}","i":{},"iv":"{iv}","ct":"{ct}","sig":"{sig}"}}"#,
        m.iteration
    )
    .into_bytes()
}

fn chatalot_raw(m: &ChatalotMessage, nonce: &[u8], ct: &[u8]) -> Vec<u8> {
    let (chain, it) = (m.chain_id, m.iteration);
    let body = format!(r#""chain_id":{chain},"iteration":{it},"ciphertext":{ct:?},"nonce":{nonce:?}"#);
    format!(r#"{{"v":1,"sk":true,"message":{{{}}}}}"#, body.replace(' ', "")).into_bytes()
}

fn hardened_raw(m: &HardenedMessage, nonce: &[u8], ct: &[u8]) -> Vec<u8> {
    let mut out = HardenedMessage::header(m.key_id, m.iteration).to_vec();
    debug_assert_eq!(out.len(), HEADER_BYTES);
    out.push(u8::try_from(nonce.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(nonce);
    out.extend_from_slice(&u32::try_from(ct.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(ct);
    out.extend_from_slice(&m.signature);
    out
}

#[cfg(test)]
mod tests {
    use rand_core::SeedableRng;
    use senderkeys::{GroupId, GroupSession, MemberId, SuiteId};

    use super::*;

    fn genuine(suite: SuiteId) -> (GroupSession, MemberId, Vec<u8>) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let group = GroupId::new("g").unwrap();
        let alice = MemberId::new("alice").unwrap();
        let mut a = GroupSession::new(suite, group.clone(), alice.clone());
        let mut b = GroupSession::new(suite, group, MemberId::new("bob").unwrap());
        b.process_distribution(&alice, &a.create_sender_key(&mut rng).unwrap())
            .unwrap();
        let wire = a.encrypt(&mut rng, b"genuine").unwrap();
        (b, alice, wire)
    }

    #[test]
    fn every_crafted_input_parses_or_is_absent_and_is_rejected_by_the_reference() {
        for suite in SuiteId::ALL {
            let mut rng = ChaCha20Rng::seed_from_u64(2);
            let (mut bob, alice, wire) = genuine(suite);
            let crafted = [
                forge(&wire, &mut rng),
                tamper(&wire, &mut rng),
                far_future(&wire),
                resplit(&wire),
            ];
            assert_eq!(
                crafted.iter().filter(|c| c.is_none()).count(),
                usize::from(suite == SuiteId::Signal),
                "{suite}"
            );
            for bad in crafted.into_iter().flatten() {
                let before = bob.export();
                assert!(
                    bob.decrypt(&alice, &bad).is_err(),
                    "{suite}: crafted input accepted"
                );
                assert_eq!(bob.export(), before, "{suite}");
            }
            assert_eq!(
                bob.decrypt(&alice, &wire).unwrap().plaintext,
                b"genuine",
                "{suite}"
            );
        }
    }

    #[test]
    fn resplit_keeps_the_signed_bytes_of_accord() {
        let (_, _, wire) = genuine(SuiteId::Accord);
        let original = AccordEnvelope::parse(&wire).unwrap();
        let text = String::from_utf8(resplit(&wire).unwrap()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let iv = BASE64.decode(v["iv"].as_str().unwrap()).unwrap();
        let ct = BASE64.decode(v["ct"].as_str().unwrap()).unwrap();
        assert_eq!(iv.len(), 11);
        assert_eq!([iv, ct].concat(), original.signed_bytes());
        assert!(
            AccordEnvelope::parse(text.as_bytes()).is_err(),
            "the strict codec refuses an 11-byte iv"
        );
    }

    #[test]
    fn far_future_moves_only_the_iteration() {
        let (_, _, wire) = genuine(SuiteId::Hardened);
        let far = HardenedMessage::parse(&far_future(&wire).unwrap()).unwrap();
        let original = HardenedMessage::parse(&wire).unwrap();
        assert_eq!(far.iteration, original.iteration + FAR_FUTURE_JUMP);
        assert_eq!(
            (far.ciphertext, far.signature),
            (original.ciphertext, original.signature)
        );
    }
}

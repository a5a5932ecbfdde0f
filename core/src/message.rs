//! Per-suite glue between the state machine and the wire codecs: what goes on the wire, what is signed,
//! what is associated data, and how a received message names its sender key.

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};

use crate::cipher::Nonce;
use crate::consts::{AEAD_NONCE_BYTES, DISTRIBUTION_ID_BYTES, PLAINTEXT_BYTES_MAX, SIGNATURE_BYTES};
use crate::error::{ApiMisuse, PeerMisbehaved, Result};
use crate::ids::{GroupId, KeyId, MemberId};
use crate::kdf::MessageKey;
use crate::sender_key::OwnSenderKey;
use crate::suite::SuiteId;
use crate::wire::accord::AccordEnvelope;
use crate::wire::chatalot::ChatalotMessage;
use crate::wire::hardened::HardenedMessage;
use crate::wire::p2p::P2pGroupMessage;
use crate::wire::signal::SignalMessage;

/// Everything one encryption produced; the shape of a known-answer vector's message entry.
#[derive(Clone, Debug)]
pub struct EncryptedMessage {
    /// The iteration used.
    pub iteration: u32,
    /// The message key (for `signal`, the 48-byte IV ‖ key).
    pub message_key: MessageKey,
    /// The nonce (for `signal`, the derived IV).
    pub nonce: Vec<u8>,
    /// The AEAD associated data (empty when none).
    pub aad: Vec<u8>,
    /// The ciphertext, tag or padding included.
    pub ciphertext: Vec<u8>,
    /// The signature (`None` for unsigned suites).
    pub signature: Option<[u8; SIGNATURE_BYTES]>,
    /// Exactly the bytes signed (empty for unsigned suites).
    pub signed_bytes: Vec<u8>,
    /// Exactly the bytes on the wire.
    pub wire: Vec<u8>,
}

/// A received message, parsed and reduced to what the state machine needs.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// `None` for formats that carry no key id (the peer-to-peer sketch's).
    pub key_id: Option<KeyId>,
    pub iteration: u32,
    /// `None` for the Signal suite, whose IV is derived with the key.
    pub nonce: Option<[u8; AEAD_NONCE_BYTES]>,
    pub ciphertext: Vec<u8>,
    pub signature: Option<[u8; SIGNATURE_BYTES]>,
    pub signed_bytes: Vec<u8>,
    pub aad: Vec<u8>,
}

impl Incoming {
    /// The nonce to open with: the one on the wire, or the IV derived with the key.
    pub(crate) fn nonce(&self, key: &MessageKey) -> Option<Nonce> {
        match (self.nonce, key.derived_iv()) {
            (Some(n), _) => Some(Nonce::Aead(n)),
            (None, Some(iv)) => Some(Nonce::Cbc(*iv)),
            (None, None) => None,
        }
    }
}

/// The 16-byte Signal distribution id this project uses for a group: SHA-256("sksim/signal-distribution-id" ‖ group)[..16].
pub(crate) fn signal_distribution_id(group: &GroupId) -> [u8; DISTRIBUTION_ID_BYTES] {
    let digest = Sha256::new()
        .chain_update(b"sksim/signal-distribution-id")
        .chain_update(group.as_str())
        .finalize();
    let mut id = [0u8; DISTRIBUTION_ID_BYTES];
    id.copy_from_slice(&digest[..DISTRIBUTION_ID_BYTES]);
    id
}

fn chain_id(key_id: KeyId) -> u32 {
    match key_id {
        KeyId::Chain(id) => id,
        // Invariant: `OwnSenderKey::generate` gives chain ids to every suite whose format carries one.
        KeyId::Fingerprint(_) => unreachable!("suites with 32-bit key ids generate chain ids"),
    }
}

fn fingerprint(key_id: KeyId) -> [u8; 8] {
    match key_id {
        KeyId::Fingerprint(fp) => fp,
        KeyId::Chain(_) => unreachable!("Accord and p2p keys are named by fingerprint"),
    }
}

/// Encrypts the next message of `own`. Nothing changes if this fails.
pub(crate) fn seal<R: CryptoRng + ?Sized>(
    suite: SuiteId,
    group: &GroupId,
    me: &MemberId,
    own: &mut OwnSenderKey,
    rng: &mut R,
    plaintext: &[u8],
) -> Result<EncryptedMessage> {
    if plaintext.len() > PLAINTEXT_BYTES_MAX {
        return Err(ApiMisuse::PlaintextTooLarge {
            actual: plaintext.len(),
            limit: PLAINTEXT_BYTES_MAX,
        }
        .into());
    }
    let desc = suite.suite();
    let (iteration, message_key) = own.step(&desc.kdf)?;
    let nonce = match message_key.derived_iv() {
        Some(iv) => Nonce::Cbc(*iv),
        None => {
            let mut n = [0u8; AEAD_NONCE_BYTES];
            rng.fill_bytes(&mut n);
            Nonce::Aead(n)
        }
    };
    let aad = if desc.header_as_aad {
        HardenedMessage::header(chain_id(own.key_id), iteration).to_vec()
    } else {
        Vec::new()
    };
    let ciphertext = desc.cipher.seal(&message_key, &nonce, &aad, plaintext);
    let mut out = EncryptedMessage {
        iteration,
        message_key,
        nonce: nonce.as_bytes().to_vec(),
        aad,
        ciphertext,
        signature: None,
        signed_bytes: Vec::new(),
        wire: Vec::new(),
    };
    frame(suite, group, me, own, &mut out);
    Ok(out)
}

/// A message of one suite's wire format, before it is signed.
enum Outgoing {
    Accord(AccordEnvelope),
    Chatalot(ChatalotMessage),
    P2p(P2pGroupMessage),
    Signal(SignalMessage),
    Hardened(HardenedMessage),
}

impl Outgoing {
    /// The typed message around a sealed ciphertext, with an all-zero signature.
    fn new(suite: SuiteId, group: &GroupId, me: &MemberId, key_id: KeyId, out: &EncryptedMessage) -> Self {
        let (iteration, ciphertext, signature) =
            (out.iteration, out.ciphertext.clone(), [0; SIGNATURE_BYTES]);
        // Signal carries no nonce on the wire (its 16-byte IV is derived with the key): it never reads this one.
        let nonce: [u8; AEAD_NONCE_BYTES] = out.nonce.as_slice().try_into().unwrap_or_default();
        match suite {
            SuiteId::Accord => {
                let key_id = fingerprint(key_id);
                Outgoing::Accord(AccordEnvelope {
                    key_id,
                    iteration,
                    iv: nonce,
                    ciphertext,
                    signature,
                })
            }
            SuiteId::Chatalot => Outgoing::Chatalot(ChatalotMessage {
                chain_id: chain_id(key_id),
                iteration,
                ciphertext,
                nonce,
            }),
            SuiteId::P2p => {
                let (group_id, sender_id) = (group.clone(), me.clone());
                Outgoing::P2p(P2pGroupMessage {
                    group_id,
                    sender_id,
                    iteration,
                    nonce,
                    ciphertext,
                    signature,
                })
            }
            SuiteId::Signal => {
                let (distribution_id, chain_id) = (signal_distribution_id(group), chain_id(key_id));
                Outgoing::Signal(SignalMessage {
                    distribution_id,
                    chain_id,
                    iteration,
                    ciphertext,
                    signature,
                })
            }
            SuiteId::Hardened => {
                let key_id = chain_id(key_id);
                Outgoing::Hardened(HardenedMessage {
                    key_id,
                    iteration,
                    nonce,
                    ciphertext,
                    signature,
                })
            }
        }
    }

    /// Exactly the bytes the suite signs (`None` when unsigned).
    fn signed_bytes(&self) -> Option<Vec<u8>> {
        match self {
            Outgoing::Accord(m) => Some(m.signed_bytes()),
            Outgoing::Chatalot(_) => None,
            Outgoing::P2p(m) => Some(m.ciphertext.clone()),
            Outgoing::Signal(m) => Some(m.encode_unsigned()),
            Outgoing::Hardened(m) => Some(m.encode_unsigned()),
        }
    }

    /// Sets the signature (unsigned formats have none).
    fn set_signature(&mut self, signature: [u8; SIGNATURE_BYTES]) {
        match self {
            Outgoing::Accord(m) => m.signature = signature,
            Outgoing::Chatalot(_) => {}
            Outgoing::P2p(m) => m.signature = signature,
            Outgoing::Signal(m) => m.signature = signature,
            Outgoing::Hardened(m) => m.signature = signature,
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            Outgoing::Accord(m) => m.encode(),
            Outgoing::Chatalot(m) => m.encode(),
            Outgoing::P2p(m) => m.encode(),
            Outgoing::Signal(m) => m.encode(),
            Outgoing::Hardened(m) => m.encode(),
        }
    }
}

/// Builds the wire bytes (and the signature) around a sealed ciphertext.
fn frame(suite: SuiteId, group: &GroupId, me: &MemberId, own: &OwnSenderKey, out: &mut EncryptedMessage) {
    let mut msg = Outgoing::new(suite, group, me, own.key_id, out);
    let signed = msg.signed_bytes();
    if let (Some(bytes), Some(signing)) = (&signed, &own.signing) {
        let signature = signing.sign(bytes);
        msg.set_signature(signature);
        out.signature = Some(signature);
    }
    out.signed_bytes = signed.unwrap_or_default();
    out.wire = msg.encode();
}

/// The bytes before a trailing signature: what Signal and `hardened` sign, exactly as received.
fn before_signature(wire: &[u8]) -> Vec<u8> {
    wire.split_at_checked(wire.len().saturating_sub(SIGNATURE_BYTES))
        .map(|(head, _)| head.to_vec())
        .unwrap_or_default()
}

/// Parses a received message of `suite`, checking the group and sender it names against the state's.
pub(crate) fn parse(suite: SuiteId, group: &GroupId, from: &MemberId, wire: &[u8]) -> Result<Incoming> {
    let incoming = match suite {
        SuiteId::Accord => parse_accord(wire)?,
        SuiteId::Chatalot => parse_chatalot(wire)?,
        SuiteId::P2p => parse_p2p(group, from, wire)?,
        SuiteId::Signal => parse_signal(group, wire)?,
        SuiteId::Hardened => parse_hardened(wire)?,
    };
    debug_assert_eq!(incoming.signature.is_some(), suite.is_signed());
    Ok(incoming)
}

fn parse_accord(wire: &[u8]) -> Result<Incoming> {
    let env = AccordEnvelope::parse(wire)?;
    Ok(Incoming {
        key_id: Some(KeyId::Fingerprint(env.key_id)),
        iteration: env.iteration,
        nonce: Some(env.iv),
        signed_bytes: env.signed_bytes(),
        ciphertext: env.ciphertext,
        signature: Some(env.signature),
        aad: Vec::new(),
    })
}

fn parse_chatalot(wire: &[u8]) -> Result<Incoming> {
    let msg = ChatalotMessage::parse(wire)?;
    Ok(Incoming {
        key_id: Some(KeyId::Chain(msg.chain_id)),
        iteration: msg.iteration,
        nonce: Some(msg.nonce),
        ciphertext: msg.ciphertext,
        signature: None,
        signed_bytes: Vec::new(),
        aad: Vec::new(),
    })
}

fn parse_signal(group: &GroupId, wire: &[u8]) -> Result<Incoming> {
    let msg = SignalMessage::parse(wire)?;
    let expected = signal_distribution_id(group);
    if msg.distribution_id != expected {
        return Err(PeerMisbehaved::WrongGroup {
            what: "signal message",
            expected: hex::encode(expected),
            found: hex::encode(msg.distribution_id),
        }
        .into());
    }
    Ok(Incoming {
        key_id: Some(KeyId::Chain(msg.chain_id)),
        iteration: msg.iteration,
        nonce: None,
        ciphertext: msg.ciphertext,
        signature: Some(msg.signature),
        signed_bytes: before_signature(wire),
        aad: Vec::new(),
    })
}

fn parse_hardened(wire: &[u8]) -> Result<Incoming> {
    let msg = HardenedMessage::parse(wire)?;
    Ok(Incoming {
        key_id: Some(KeyId::Chain(msg.key_id)),
        iteration: msg.iteration,
        nonce: Some(msg.nonce),
        aad: HardenedMessage::header(msg.key_id, msg.iteration).to_vec(),
        ciphertext: msg.ciphertext,
        signature: Some(msg.signature),
        signed_bytes: before_signature(wire),
    })
}

fn parse_p2p(group: &GroupId, from: &MemberId, wire: &[u8]) -> Result<Incoming> {
    let msg = P2pGroupMessage::parse(wire)?;
    if &msg.group_id != group {
        return Err(PeerMisbehaved::WrongGroup {
            what: "p2p group message",
            expected: group.to_string(),
            found: msg.group_id.to_string(),
        }
        .into());
    }
    if &msg.sender_id != from {
        return Err(PeerMisbehaved::SenderMismatch {
            what: "p2p group message",
            from: from.clone(),
            claimed: msg.sender_id.to_string(),
        }
        .into());
    }
    Ok(Incoming {
        key_id: None,
        iteration: msg.iteration,
        nonce: Some(msg.nonce),
        signed_bytes: msg.ciphertext.clone(),
        ciphertext: msg.ciphertext,
        signature: Some(msg.signature),
        aad: Vec::new(),
    })
}

//! Known-answer vectors: `core/tests/vectors/<suite>.json`.
//!
//! `vectors_are_current` regenerates every file from a fixed seed and fails if a committed file differs (run
//! `UPDATE_VECTORS=1 cargo test -p senderkeys --test vectors` to rewrite them after an intended change).
//! `vectors_verify_from_primitives` checks every committed file using only the primitives — KDF, cipher,
//! Ed25519 and the wire codecs — never the state machine that produced it, the way another implementation would.

mod common;

use std::path::PathBuf;

use senderkeys::Nonce;
use senderkeys::Signed;
use senderkeys::SigningPublicKey;
use senderkeys::wire::{accord, chatalot, hardened, p2p, signal};
use senderkeys::{ChainKey, Kdf, MessageKey};
use senderkeys::{GroupSession, SuiteId};
use serde::{Deserialize, Serialize};

/// The chain entries recorded: 0..=9 consecutive, then two far ones.
const CHAIN_ITERATIONS: [u32; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1_000, 20_000];
/// The iterations at which a message is recorded.
const MESSAGE_ITERATIONS: [u32; 4] = [0, 1, 2, 1_000];
/// Seed of the vector generator (one stream per suite: seed + suite index).
const VECTOR_SEED: u64 = 0x5e4d_e4ee;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct VectorFile {
    suite: String,
    kdf: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    labels: Option<[String; 2]>,
    aead: String,
    chain: Vec<ChainEntry>,
    messages: Vec<MessageEntry>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct ChainEntry {
    iteration: u32,
    chain_key: String,
    message_key: String,
    next_chain_key: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct MessageEntry {
    iteration: u32,
    message_key: String,
    nonce: String,
    aad: String,
    plaintext: String,
    ciphertext: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_bytes: Option<String>,
    wire: String,
}

fn path(suite: SuiteId) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("{suite}.json"))
}

fn chain_entries(kdf: &Kdf, initial: &ChainKey) -> Vec<ChainEntry> {
    let mut entries = Vec::new();
    let mut ck = initial.clone();
    for iteration in 0..=*CHAIN_ITERATIONS.last().expect("non-empty") {
        let next = kdf.next_chain_key(&ck);
        if CHAIN_ITERATIONS.contains(&iteration) {
            entries.push(ChainEntry {
                iteration,
                chain_key: hex::encode(ck.as_bytes()),
                message_key: hex::encode(kdf.message_key(&ck).material()),
                next_chain_key: hex::encode(next.as_bytes()),
            });
        }
        ck = next;
    }
    entries
}

fn generate(suite: SuiteId) -> VectorFile {
    let index = SuiteId::ALL
        .iter()
        .position(|s| *s == suite)
        .expect("listed suite") as u64;
    let mut rng = common::rng(VECTOR_SEED + index);
    let mut alice = GroupSession::new(suite, common::group(), common::member("alice"));
    alice.create_sender_key(&mut rng).expect("create sender key");
    let own = senderkeys::testing::own_distribution(&alice).expect("distribution");
    let desc = suite.suite();
    let mut messages = Vec::new();
    for iteration in 0..=*MESSAGE_ITERATIONS.last().expect("non-empty") {
        let plaintext = format!("known-answer message {iteration} of suite {suite}");
        let m = alice
            .encrypt_detailed(&mut rng, plaintext.as_bytes())
            .expect("encrypt");
        assert_eq!(m.iteration, iteration);
        if !MESSAGE_ITERATIONS.contains(&iteration) {
            continue;
        }
        messages.push(MessageEntry {
            iteration,
            message_key: hex::encode(m.message_key.material()),
            nonce: hex::encode(&m.nonce),
            aad: hex::encode(&m.aad),
            plaintext: hex::encode(plaintext.as_bytes()),
            ciphertext: hex::encode(&m.ciphertext),
            signing_public_key: own.signing_key.map(|k| hex::encode(k.to_bytes())),
            signature: m.signature.map(hex::encode),
            signed_bytes: m.signature.map(|_| hex::encode(&m.signed_bytes)),
            wire: hex::encode(&m.wire),
        });
    }
    VectorFile {
        suite: suite.name().to_owned(),
        kdf: desc.kdf.name().to_owned(),
        labels: match desc.kdf {
            Kdf::HmacLabels { message, chain } => Some([message.to_owned(), chain.to_owned()]),
            _ => None,
        },
        aead: desc.cipher.name().to_owned(),
        chain: chain_entries(&desc.kdf, &own.chain_key),
        messages,
    }
}

#[test]
fn vectors_are_current() {
    for suite in SuiteId::ALL {
        let text = serde_json::to_string_pretty(&generate(suite)).expect("serialize") + "\n";
        let path = path(suite);
        if std::env::var_os("UPDATE_VECTORS").is_some() {
            std::fs::write(&path, &text).expect("write vector file");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{} differs from what the code generates; if the change is intended, run \
             `UPDATE_VECTORS=1 cargo test -p senderkeys --test vectors` and commit the files",
            path.display()
        );
    }
}

fn bytes(field: &str, text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("field {field} is not lowercase hex: {e}"))
}

fn load(suite: SuiteId) -> VectorFile {
    let path = path(suite);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn verify_chain(suite: SuiteId, file: &VectorFile) {
    let kdf = suite.suite().kdf;
    let consecutive: Vec<u32> = file.chain.iter().map(|e| e.iteration).take(10).collect();
    assert_eq!(
        consecutive,
        (0..10).collect::<Vec<_>>(),
        "{suite}: iterations 0..=9 first"
    );
    assert!(
        file.chain.iter().any(|e| e.iteration >= 1000),
        "{suite}: one iteration ≥ 1000"
    );
    for entry in &file.chain {
        let ck = ChainKey::from_bytes(bytes("chain_key", &entry.chain_key).try_into().expect("32 bytes"));
        let at = format!("{suite} chain iteration {}", entry.iteration);
        assert_eq!(
            hex::encode(kdf.message_key(&ck).material()),
            entry.message_key,
            "{at}"
        );
        assert_eq!(
            hex::encode(kdf.next_chain_key(&ck).as_bytes()),
            entry.next_chain_key,
            "{at}"
        );
    }
    for pair in file
        .chain
        .windows(2)
        .filter(|w| w[1].iteration == w[0].iteration + 1)
    {
        assert_eq!(
            pair[0].next_chain_key, pair[1].chain_key,
            "{suite}: chain links at {}",
            pair[1].iteration
        );
    }
}

fn verify_message(suite: SuiteId, entry: &MessageEntry) {
    let at = format!("{suite} message iteration {}", entry.iteration);
    let desc = suite.suite();
    let key = MessageKey::from_material(&bytes("message_key", &entry.message_key)).expect("32 or 48 bytes");
    let nonce_bytes = bytes("nonce", &entry.nonce);
    let nonce = match nonce_bytes.len() {
        12 => Nonce::Aead(nonce_bytes.clone().try_into().expect("12")),
        _ => Nonce::Cbc(nonce_bytes.clone().try_into().expect("16-byte IV")),
    };
    let (aad, ciphertext) = (bytes("aad", &entry.aad), bytes("ciphertext", &entry.ciphertext));
    let plaintext = desc
        .cipher
        .open(&key, &nonce, &aad, &ciphertext)
        .unwrap_or_else(|_| panic!("{at}: open"));
    assert_eq!(hex::encode(plaintext), entry.plaintext, "{at}: plaintext");
    let wire = bytes("wire", &entry.wire);
    let signed = entry.signed_bytes.as_ref().map(|s| bytes("signed_bytes", s));
    if let (Some(spk), Some(sig), Some(signed)) = (&entry.signing_public_key, &entry.signature, &signed) {
        let spk = SigningPublicKey::from_bytes("vector", &bytes("spk", spk).try_into().expect("32"))
            .expect("point");
        assert!(
            spk.verifies(signed, &bytes("signature", sig).try_into().expect("64")),
            "{at}: signature"
        );
    }
    assert_eq!(
        signed.is_some(),
        desc.signed != Signed::Nothing,
        "{at}: signed iff the suite signs"
    );
    verify_wire(suite, entry, &wire, &nonce_bytes, &ciphertext, signed.as_deref());
}

/// The wire bytes carry exactly the vector's fields, and the signed bytes are what the suite says it signs.
fn verify_wire(
    suite: SuiteId,
    e: &MessageEntry,
    wire: &[u8],
    nonce: &[u8],
    ct: &[u8],
    signed: Option<&[u8]>,
) {
    let at = format!("{suite} message iteration {}", e.iteration);
    let sig = e.signature.as_ref().map(|s| bytes("signature", s));
    let (iteration, wire_nonce, wire_ct, wire_sig, expected_signed): (_, Vec<u8>, _, Option<Vec<u8>>, _) =
        match suite {
            SuiteId::Accord => {
                let m = accord::AccordEnvelope::parse(wire).expect("accord envelope");
                (
                    m.iteration,
                    m.iv.to_vec(),
                    m.ciphertext.clone(),
                    Some(m.signature.to_vec()),
                    Some(m.signed_bytes()),
                )
            }
            SuiteId::Chatalot => {
                let m = chatalot::ChatalotMessage::parse(wire).expect("chatalot message");
                (m.iteration, m.nonce.to_vec(), m.ciphertext, None, None)
            }
            SuiteId::P2p => {
                let m = p2p::P2pGroupMessage::parse(wire).expect("p2p message");
                (
                    m.iteration,
                    m.nonce.to_vec(),
                    m.ciphertext.clone(),
                    Some(m.signature.to_vec()),
                    Some(m.ciphertext),
                )
            }
            SuiteId::Signal => {
                let m = signal::SignalMessage::parse(wire).expect("signal message");
                (
                    m.iteration,
                    nonce.to_vec(),
                    m.ciphertext.clone(),
                    Some(m.signature.to_vec()),
                    Some(m.encode_unsigned()),
                )
            }
            SuiteId::Hardened => {
                let m = hardened::HardenedMessage::parse(wire).expect("hardened message");
                let header = hardened::HardenedMessage::header(m.key_id, m.iteration);
                assert_eq!(hex::encode(header), e.aad, "{at}: aad is the header");
                (
                    m.iteration,
                    m.nonce.to_vec(),
                    m.ciphertext.clone(),
                    Some(m.signature.to_vec()),
                    Some(m.encode_unsigned()),
                )
            }
        };
    assert_eq!(iteration, e.iteration, "{at}: iteration on the wire");
    assert_eq!(wire_nonce, nonce, "{at}: nonce on the wire");
    assert_eq!(wire_ct, ct, "{at}: ciphertext on the wire");
    assert_eq!(wire_sig, sig, "{at}: signature on the wire");
    assert_eq!(expected_signed.as_deref(), signed, "{at}: signed bytes");
}

#[test]
fn vectors_verify_from_primitives() {
    for suite in SuiteId::ALL {
        let file = load(suite);
        let desc = suite.suite();
        assert_eq!(
            (file.suite.as_str(), file.kdf.as_str()),
            (suite.name(), desc.kdf.name()),
            "{suite}"
        );
        assert_eq!(file.aead, desc.cipher.name(), "{suite}");
        assert_eq!(
            file.labels.is_some(),
            matches!(desc.kdf, Kdf::HmacLabels { .. }),
            "{suite}: labels"
        );
        assert!(file.messages.len() >= 3, "{suite}: at least 3 messages");
        verify_chain(suite, &file);
        file.messages.iter().for_each(|m| verify_message(suite, m));
    }
}

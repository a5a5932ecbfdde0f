//! Per-suite distribution messages: how a sender key is handed to another member.
//!
//! Distributions travel over an authenticated pairwise channel (Accord and Signal: a Double Ratchet session;
//! Chatalot: the server; the peer-to-peer sketch: an ECDH-encrypted message). That channel belongs to the
//! transport — the simulator models it — so here a distribution is the plaintext the channel carries, and
//! `from` is who the channel says sent it. Every parser checks that the distribution names that sender and
//! this group.

use crate::consts::{CHAIN_KEY_BYTES, SIGNATURE_BYTES};
use crate::error::{Error, PeerMisbehaved, Result};
use crate::ids::{GroupId, KeyId, MemberId};
use crate::kdf::ChainKey;
use crate::memo::SharedMemo;
use crate::message::signal_distribution_id;
use crate::sender_key::{OwnSenderKey, SenderKeyDistribution};
use crate::suite::SuiteId;
use crate::wire::accord::AccordDistribution;
use crate::wire::chatalot::ChatalotDistribution;
use crate::wire::hardened::HardenedDistribution;
use crate::wire::p2p::{P2pDistribution, P2pSenderKeyRecord};
use crate::wire::signal::SignalDistribution;

/// Who is handing out the key, and for which group.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin<'a> {
    pub group: &'a GroupId,
    pub member: &'a MemberId,
}

/// Encodes the distribution of `own` at its current iteration. `replaces` is the key it rotates out
/// (Accord's `rep`; other formats do not carry it).
pub(crate) fn encode(
    suite: SuiteId,
    origin: Origin<'_>,
    own: &OwnSenderKey,
    replaces: Option<KeyId>,
) -> Result<Vec<u8>> {
    let dist = own.distribution()?;
    let chain_key = *dist.chain_key.as_bytes();
    let spk = dist.signing_key.map(|k| k.to_bytes()).unwrap_or([0; 32]);
    Ok(match (suite, dist.key_id) {
        (SuiteId::Accord, KeyId::Fingerprint(key_id)) => AccordDistribution {
            channel: origin.group.clone(),
            node: origin.member.clone(),
            key_id,
            chain_key,
            signing_public_key: spk,
            iteration: dist.iteration,
            replaces: match replaces {
                Some(KeyId::Fingerprint(fp)) => Some(fp),
                _ => None,
            },
        }
        .encode(),
        (SuiteId::Chatalot, KeyId::Chain(chain_id)) => ChatalotDistribution {
            chain_id,
            iteration: dist.iteration,
            chain_key,
            sender_id: origin.member.clone(),
        }
        .encode(),
        (SuiteId::P2p, KeyId::Fingerprint(_)) => {
            let record = P2pSenderKeyRecord {
                chain_key,
                signing_public_key: spk,
                iteration: dist.iteration,
            }
            .encode();
            P2pDistribution {
                group_id: origin.group.clone(),
                sender_id: origin.member.clone(),
                signature: own
                    .signing
                    .as_ref()
                    .map(|s| s.sign(&record))
                    .unwrap_or([0; SIGNATURE_BYTES]),
                encrypted_sender_key: record,
            }
            .encode()
        }
        (SuiteId::Signal, KeyId::Chain(chain_id)) => SignalDistribution {
            distribution_id: signal_distribution_id(origin.group),
            chain_id,
            iteration: dist.iteration,
            chain_key,
            signing_key: spk,
        }
        .encode(),
        (SuiteId::Hardened, KeyId::Chain(key_id)) => HardenedDistribution {
            key_id,
            iteration: dist.iteration,
            chain_key,
            signing_public_key: spk,
        }
        .encode(),
        // Invariant: `OwnSenderKey::generate` and `GroupSession::import` give every suite its kind of key id
        // (fingerprints for Accord and the sketch, chain ids for the others) and a signing key when signed.
        _ => unreachable!("suite {suite} with key id {}", dist.key_id),
    })
}

/// Parses a distribution of `suite` that arrived from `origin.member` for `origin.group`; public keys are
/// parsed (and p2p signatures verified) through `memo` when there is one.
pub(crate) fn parse(
    suite: SuiteId,
    origin: Origin<'_>,
    wire: &[u8],
    memo: Option<&SharedMemo>,
) -> Result<SenderKeyDistribution> {
    match suite {
        SuiteId::Accord => parse_accord(origin, wire, memo),
        SuiteId::Chatalot => {
            let d = ChatalotDistribution::parse(wire)?;
            check_sender("chatalot distribution", origin, &d.sender_id)?;
            Ok(unsigned(KeyId::Chain(d.chain_id), d.iteration, d.chain_key))
        }
        SuiteId::P2p => parse_p2p(origin, wire, memo),
        SuiteId::Signal => {
            let d = SignalDistribution::parse(wire)?;
            let expected = signal_distribution_id(origin.group);
            if d.distribution_id != expected {
                return Err(PeerMisbehaved::WrongGroup {
                    what: "signal distribution",
                    expected: hex::encode(expected),
                    found: hex::encode(d.distribution_id),
                }
                .into());
            }
            signed(
                "signal distribution",
                KeyId::Chain(d.chain_id),
                d.iteration,
                d.chain_key,
                &d.signing_key,
                memo,
            )
        }
        SuiteId::Hardened => {
            let d = HardenedDistribution::parse(wire)?;
            let key_id = KeyId::Chain(d.key_id);
            signed(
                "hardened distribution",
                key_id,
                d.iteration,
                d.chain_key,
                &d.signing_public_key,
                memo,
            )
        }
    }
}

fn unsigned(key_id: KeyId, iteration: u32, chain_key: [u8; CHAIN_KEY_BYTES]) -> SenderKeyDistribution {
    SenderKeyDistribution {
        key_id,
        iteration,
        chain_key: ChainKey::from_bytes(chain_key),
        signing_key: None,
    }
}

fn signed(
    what: &'static str,
    key_id: KeyId,
    iteration: u32,
    chain_key: [u8; CHAIN_KEY_BYTES],
    spk: &[u8; 32],
    memo: Option<&SharedMemo>,
) -> Result<SenderKeyDistribution> {
    let signing_key = crate::memo::public_key(memo, what, spk)?;
    Ok(SenderKeyDistribution {
        signing_key: Some(signing_key),
        ..unsigned(key_id, iteration, chain_key)
    })
}

fn check_sender(what: &'static str, origin: Origin<'_>, claimed: &MemberId) -> Result<()> {
    if claimed != origin.member {
        return Err(PeerMisbehaved::SenderMismatch {
            what,
            from: origin.member.clone(),
            claimed: claimed.to_string(),
        }
        .into());
    }
    Ok(())
}

fn check_group(what: &'static str, origin: Origin<'_>, claimed: &GroupId) -> Result<()> {
    if claimed != origin.group {
        return Err(PeerMisbehaved::WrongGroup {
            what,
            expected: origin.group.to_string(),
            found: claimed.to_string(),
        }
        .into());
    }
    Ok(())
}

fn parse_accord(origin: Origin<'_>, wire: &[u8], memo: Option<&SharedMemo>) -> Result<SenderKeyDistribution> {
    const WHAT: &str = "accord distribution";
    let d = AccordDistribution::parse(wire)?;
    check_group(WHAT, origin, &d.channel)?;
    check_sender(WHAT, origin, &d.node)?;
    let key_id = KeyId::Fingerprint(d.key_id);
    if KeyId::fingerprint_of(&d.signing_public_key) != key_id {
        return Err(Error::malformed(
            WHAT,
            format!("`skid` {key_id} is not the fingerprint of `spk`"),
        ));
    }
    signed(
        WHAT,
        key_id,
        d.iteration,
        d.chain_key,
        &d.signing_public_key,
        memo,
    )
}

fn parse_p2p(origin: Origin<'_>, wire: &[u8], memo: Option<&SharedMemo>) -> Result<SenderKeyDistribution> {
    const WHAT: &str = "p2p distribution";
    let d = P2pDistribution::parse(wire)?;
    check_group(WHAT, origin, &d.group_id)?;
    check_sender(WHAT, origin, &d.sender_id)?;
    let record = P2pSenderKeyRecord::parse(&d.encrypted_sender_key)?;
    let key_id = KeyId::fingerprint_of(&record.signing_public_key);
    let dist = signed(
        WHAT,
        key_id,
        record.iteration,
        record.chain_key,
        &record.signing_public_key,
        memo,
    )?;
    let verifies = dist
        .signing_key
        .is_some_and(|k| crate::memo::verify(memo, &k, &d.encrypted_sender_key, &d.signature));
    if !verifies {
        return Err(PeerMisbehaved::BadSignature {
            sender: origin.member.clone(),
            key_id,
        }
        .into());
    }
    Ok(dist)
}

//! A zoo member's exported state: JSON, maps ordered, bytes in lowercase hex, so the same state always exports
//! to the same bytes. Under [`Bug::KeepsInitialChain`] each receiver chain is written as first given.

use std::collections::BTreeMap;

use senderkeys::consts::SENDER_STATES_MAX;
use senderkeys::{ApiMisuse, ChainKey, GroupId, MemberId, MessageKey, SigningKeyPair};
use serde::{Deserialize, Serialize};

use super::own::OwnKey;
use super::receiver::{ReceiverState, SenderRecord};
use super::{Bug, Instance};
use crate::implementation::Rejection;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    group: GroupId,
    member: MemberId,
    own: Option<OwnSnapshot>,
    peers: BTreeMap<MemberId, RecordSnapshot>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnSnapshot {
    key_id: u32,
    chain_key: String,
    signing_key: String,
    next: u64,
    last: Option<u32>,
    first: Option<(u32, String)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordSnapshot {
    states: Vec<StateSnapshot>,
    retired: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateSnapshot {
    key_id: u32,
    signing_public_key: String,
    chain_key: String,
    next: u64,
    skipped: BTreeMap<u32, String>,
    first: Option<(u32, String)>,
}

fn bad_state(detail: impl Into<String>) -> Rejection {
    ApiMisuse::BadState {
        detail: detail.into(),
    }
    .into()
}

fn hex_array<const N: usize>(field: &str, text: &str) -> Result<[u8; N], Rejection> {
    let bytes = hex::decode(text).map_err(|e| bad_state(format!("field `{field}`: {e}")))?;
    <[u8; N]>::try_from(bytes.as_slice())
        .map_err(|_| bad_state(format!("field `{field}` must be {N} bytes, got {}", bytes.len())))
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Invariant: strings, integers, options, vectors and string-keyed maps always serialize to JSON.
    serde_json::to_vec(value).expect("the snapshot serializes")
}

fn chain_pair(first: Option<&(u32, ChainKey)>) -> Option<(u32, String)> {
    first.map(|(iteration, key)| (*iteration, hex::encode(key.as_bytes())))
}

fn chain_from(pair: Option<&(u32, String)>) -> Result<Option<(u32, ChainKey)>, Rejection> {
    pair.map(|(iteration, key)| Ok((*iteration, ChainKey::from_bytes(hex_array("first", key)?))))
        .transpose()
}

/// The whole state.
pub(super) fn encode(instance: &Instance) -> Vec<u8> {
    to_json(&Snapshot {
        group: instance.group.clone(),
        member: instance.member.clone(),
        own: instance.own.as_ref().map(|own| OwnSnapshot {
            key_id: own.key_id,
            chain_key: hex::encode(own.chain_key.as_bytes()),
            signing_key: hex::encode(own.signing.secret_bytes()),
            next: own.next,
            last: own.last,
            first: chain_pair(own.first.as_ref()),
        }),
        peers: (instance.peers.iter())
            .map(|(member, record)| (member.clone(), RecordSnapshot::of(record, instance.bug)))
            .collect(),
    })
}

/// One sender's record (`null` when none is held).
pub(super) fn encode_record(record: Option<&SenderRecord>, bug: Option<Bug>) -> Vec<u8> {
    to_json(&record.map(|record| RecordSnapshot::of(record, bug)))
}

/// Rebuilds an instance, rejecting any corrupt field with `bad-state`; never panics.
pub(super) fn decode(bytes: &[u8], bug: Option<Bug>) -> Result<Instance, Rejection> {
    let snapshot: Snapshot = serde_json::from_slice(bytes).map_err(|e| bad_state(e.to_string()))?;
    let own = match &snapshot.own {
        None => None,
        Some(own) => Some(OwnKey {
            key_id: own.key_id,
            chain_key: ChainKey::from_bytes(hex_array("chain_key", &own.chain_key)?),
            signing: SigningKeyPair::from_secret_bytes(&hex_array("signing_key", &own.signing_key)?),
            next: own.next,
            last: own.last,
            first: chain_from(own.first.as_ref())?,
        }),
    };
    let peers = (snapshot.peers.iter())
        .map(|(member, record)| Ok((member.clone(), record.to_record()?)))
        .collect::<Result<_, Rejection>>()?;
    Ok(Instance {
        bug,
        group: snapshot.group,
        member: snapshot.member,
        own,
        peers,
        memo: None,
    })
}

impl RecordSnapshot {
    fn of(record: &SenderRecord, bug: Option<Bug>) -> Self {
        RecordSnapshot {
            states: record.states.iter().map(|s| StateSnapshot::of(s, bug)).collect(),
            retired: record.retired.clone(),
        }
    }

    fn to_record(&self) -> Result<SenderRecord, Rejection> {
        if self.states.len() > SENDER_STATES_MAX {
            let n = self.states.len();
            return Err(bad_state(format!(
                "{n} states of one sender, more than {SENDER_STATES_MAX}"
            )));
        }
        Ok(SenderRecord {
            states: self
                .states
                .iter()
                .map(StateSnapshot::to_state)
                .collect::<Result<_, _>>()?,
            retired: self.retired.clone(),
        })
    }
}

impl StateSnapshot {
    fn of(state: &ReceiverState, bug: Option<Bug>) -> Self {
        let (chain_key, next) = match (&state.first, bug) {
            // The flaw: the chain is saved as it was first given (the "sender key record"), not as ratcheted, so
            // whoever reads the saved state reads every message since.
            (Some((iteration, first)), Some(Bug::KeepsInitialChain)) => (first, u64::from(*iteration)),
            _ => (&state.chain_key, state.next),
        };
        StateSnapshot {
            key_id: state.key_id,
            signing_public_key: hex::encode(state.signing_public_key),
            chain_key: hex::encode(chain_key.as_bytes()),
            next,
            skipped: (state.skipped.iter())
                .map(|(iteration, key)| (*iteration, hex::encode(key.material())))
                .collect(),
            first: chain_pair(state.first.as_ref()),
        }
    }

    fn to_state(&self) -> Result<ReceiverState, Rejection> {
        if self.next > u64::from(u32::MAX) + 1 {
            return Err(bad_state(format!("iteration {} is beyond 2^32", self.next)));
        }
        let skipped = (self.skipped.iter())
            .map(|(iteration, key)| {
                let key = MessageKey::from_material(&hex_array::<32>("skipped", key)?)
                    .ok_or_else(|| bad_state("a skipped key is 32 bytes"))?;
                Ok((*iteration, key))
            })
            .collect::<Result<_, Rejection>>()?;
        Ok(ReceiverState {
            key_id: self.key_id,
            signing_public_key: hex_array("signing_public_key", &self.signing_public_key)?,
            chain_key: ChainKey::from_bytes(hex_array("chain_key", &self.chain_key)?),
            next: self.next,
            skipped,
            first: chain_from(self.first.as_ref())?,
        })
    }
}

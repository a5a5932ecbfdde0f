//! Export and import of a whole [`GroupSession`]: a deterministic byte string (JSON, keys in a fixed
//! order, secrets as lowercase hex).
//!
//! Export is how a simulator clones a compromised member for the adversary and how tests prove that a
//! rejected input left the state byte-identical. Import treats its input as untrusted: every invariant of
//! the session is checked, and anything off is [`ApiMisuse::BadState`] naming what was wrong.
//!
//! The exported bytes hold every secret of the session in the clear; treat them as the session itself.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::consts::{RETIRED_KEY_IDS_MAX, SENDER_STATES_MAX, SKIPPED_KEYS_MAX};
use crate::error::{ApiMisuse, Error, Result};
use crate::ids::{GroupId, KeyId, MemberId};
use crate::kdf::{ChainKey, MessageKey};
use crate::receiver::{ITERATIONS_END, ReceiverState};
use crate::sender_key::OwnSenderKey;
use crate::sender_record::SenderRecord;
use crate::session::GroupSession;
use crate::signing::{SigningKeyPair, SigningPublicKey};
use crate::suite::{Signed, SuiteId};

/// The version of the export format.
pub(crate) const STATE_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionSnapshot {
    format: u32,
    suite: SuiteId,
    group: GroupId,
    me: MemberId,
    own: Option<OwnSnapshot>,
    replaced: Option<KeyId>,
    senders: Vec<SenderSnapshot>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnSnapshot {
    key_id: KeyId,
    signing_secret: Option<String>,
    chain_key: String,
    next: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SenderSnapshot {
    member: MemberId,
    states: Vec<ReceiverSnapshot>,
    retired: Vec<KeyId>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiverSnapshot {
    key_id: KeyId,
    signing_key: Option<String>,
    chain_key: String,
    next: u64,
    skipped: Vec<(u32, String)>,
}

fn bad(detail: impl Into<String>) -> Error {
    ApiMisuse::BadState {
        detail: detail.into(),
    }
    .into()
}

fn hex32(field: &str, text: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text).map_err(|e| bad(format!("`{field}` is not hex: {e}")))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(format!("`{field}` must be 32 bytes, got {}", b.len())))
}

impl GroupSession {
    /// The whole session as deterministic bytes: equal sessions export equal bytes.
    pub fn export(&self) -> Vec<u8> {
        let snapshot = SessionSnapshot {
            format: STATE_FORMAT_VERSION,
            suite: self.suite,
            group: self.group.clone(),
            me: self.me.clone(),
            own: self.own.as_ref().map(export_own),
            replaced: self.replaced,
            senders: self
                .senders
                .iter()
                .map(|(member, record)| export_record(member, record))
                .collect(),
        };
        // Invariant: the snapshot holds only strings, integers and sequences, which always serialize.
        serde_json::to_vec(&snapshot).expect("snapshot serializes")
    }

    /// What the session holds of `sender` — its receiver states and retired key ids, the entry of
    /// [`GroupSession::export`]'s `senders` for it — as deterministic bytes; `null` if nothing is held.
    /// Everything a message from `sender` may change is here, so comparing this before and after a rejected
    /// message checks that the rejection changed nothing it could have touched, at a cost that does not grow
    /// with the group.
    pub fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        let snapshot = self
            .senders
            .get(sender)
            .map(|record| export_record(sender, record));
        // Invariant: as in `export`.
        serde_json::to_vec(&snapshot).expect("snapshot serializes")
    }

    /// Rebuilds a session from [`GroupSession::export`] bytes, checking every invariant.
    pub fn import(bytes: &[u8]) -> Result<Self> {
        let snapshot: SessionSnapshot =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not a session export: {e}")))?;
        if snapshot.format != STATE_FORMAT_VERSION {
            return Err(bad(format!(
                "format {} (this build reads {STATE_FORMAT_VERSION})",
                snapshot.format
            )));
        }
        let suite = snapshot.suite;
        let own = snapshot.own.map(|o| import_own(suite, o)).transpose()?;
        let mut senders = BTreeMap::new();
        for sender in snapshot.senders {
            let states = import_sender(suite, &sender)?;
            if senders.insert(sender.member.clone(), states).is_some() {
                return Err(bad(format!("sender {} appears twice", sender.member)));
            }
        }
        Ok(GroupSession {
            suite,
            group: snapshot.group,
            me: snapshot.me,
            own,
            replaced: snapshot.replaced,
            senders,
            memo: None,
        })
    }
}

/// Lowercase hex, written through a byte buffer (`hex::encode` goes through an iterator of `char`s, which
/// made it most of the cost of an export).
fn hex_string(bytes: &[u8]) -> String {
    let mut text = vec![0u8; bytes.len() * 2];
    // Invariant: the buffer is exactly twice the input, which is all `encode_to_slice` asks.
    hex::encode_to_slice(bytes, &mut text).expect("buffer is twice the input");
    // Invariant: hex digits are ASCII.
    String::from_utf8(text).expect("hex digits are ASCII")
}

fn export_own(own: &OwnSenderKey) -> OwnSnapshot {
    OwnSnapshot {
        key_id: own.key_id,
        signing_secret: own.signing.as_ref().map(|s| hex_string(&s.secret_bytes())),
        chain_key: hex_string(own.chain_key.as_bytes()),
        next: own.next,
    }
}

fn export_record(member: &MemberId, record: &SenderRecord) -> SenderSnapshot {
    SenderSnapshot {
        member: member.clone(),
        states: record.states.iter().map(export_receiver).collect(),
        retired: record.retired.iter().copied().collect(),
    }
}

fn export_receiver(state: &ReceiverState) -> ReceiverSnapshot {
    ReceiverSnapshot {
        key_id: state.key_id,
        signing_key: state.signing_key.map(|k| hex_string(&k.to_bytes())),
        chain_key: hex_string(state.chain_key.as_bytes()),
        next: state.next,
        skipped: state
            .skipped
            .iter()
            .map(|(i, k)| (*i, hex_string(&k.material())))
            .collect(),
    }
}

fn check_key_id_kind(suite: SuiteId, key_id: KeyId, spk: Option<&SigningPublicKey>) -> Result<()> {
    let ok = match (suite, key_id) {
        (SuiteId::Accord | SuiteId::P2p, KeyId::Fingerprint(_)) => {
            spk.is_some_and(|k| KeyId::fingerprint_of(&k.to_bytes()) == key_id)
        }
        (SuiteId::Chatalot | SuiteId::Signal | SuiteId::Hardened, KeyId::Chain(_)) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(bad(format!("key id {key_id} does not fit suite {suite}")))
    }
}

fn check_next(next: u64) -> Result<()> {
    if next > ITERATIONS_END {
        return Err(bad(format!("next iteration {next} is beyond 2^32")));
    }
    Ok(())
}

fn import_own(suite: SuiteId, own: OwnSnapshot) -> Result<OwnSenderKey> {
    check_next(own.next)?;
    let signing = own
        .signing_secret
        .map(|s| hex32("signing_secret", &s))
        .transpose()?;
    let signing = signing.map(|s| SigningKeyPair::from_secret_bytes(&s));
    if signing.is_some() != (suite.suite().signed != Signed::Nothing) {
        return Err(bad(format!(
            "own signing key presence does not fit suite {suite}"
        )));
    }
    check_key_id_kind(
        suite,
        own.key_id,
        signing.as_ref().map(SigningKeyPair::public).as_ref(),
    )?;
    let chain_key = ChainKey::from_bytes(hex32("chain_key", &own.chain_key)?);
    Ok(OwnSenderKey {
        key_id: own.key_id,
        signing,
        chain_key,
        next: own.next,
    })
}

fn import_sender(suite: SuiteId, sender: &SenderSnapshot) -> Result<SenderRecord> {
    let (count, retired) = (sender.states.len(), sender.retired.len());
    if count > SENDER_STATES_MAX || retired > RETIRED_KEY_IDS_MAX {
        return Err(bad(format!(
            "sender {} has {count} states and {retired} retired keys; at most {SENDER_STATES_MAX} and \
             {RETIRED_KEY_IDS_MAX}",
            sender.member
        )));
    }
    let mut record = SenderRecord {
        states: VecDeque::new(),
        retired: sender.retired.iter().copied().collect(),
    };
    for snapshot in &sender.states {
        let state = import_receiver(suite, snapshot)?;
        let key_id = state.key_id;
        if record.states.iter().any(|s| s.key_id == key_id) || record.retired.contains(&key_id) {
            return Err(bad(format!("sender {} holds key {key_id} twice", sender.member)));
        }
        record.states.push_back(state);
    }
    Ok(record)
}

fn import_receiver(suite: SuiteId, r: &ReceiverSnapshot) -> Result<ReceiverState> {
    check_next(r.next)?;
    let spk = r
        .signing_key
        .as_ref()
        .map(|k| hex32("signing_key", k))
        .transpose()?;
    let spk = spk
        .map(|k| SigningPublicKey::from_bytes("state", &k).map_err(|e| bad(e.to_string())))
        .transpose()?;
    if spk.is_some() != (suite.suite().signed != Signed::Nothing) {
        return Err(bad(format!(
            "receiver signing key presence does not fit suite {suite}"
        )));
    }
    check_key_id_kind(suite, r.key_id, spk.as_ref())?;
    if r.skipped.len() > SKIPPED_KEYS_MAX {
        return Err(bad(format!(
            "{} skipped keys; at most {SKIPPED_KEYS_MAX}",
            r.skipped.len()
        )));
    }
    let material_len = if suite == SuiteId::Signal { 48 } else { 32 };
    let mut skipped = BTreeMap::new();
    for (iteration, key) in &r.skipped {
        let material =
            hex::decode(key).map_err(|e| bad(format!("skipped key {iteration} is not hex: {e}")))?;
        let key = MessageKey::from_material(&material)
            .filter(|_| material.len() == material_len)
            .ok_or_else(|| bad(format!("skipped key {iteration} must be {material_len} bytes")))?;
        if u64::from(*iteration) >= r.next || skipped.insert(*iteration, key).is_some() {
            return Err(bad(format!(
                "skipped iteration {iteration} is repeated or not below next {}",
                r.next
            )));
        }
    }
    let chain_key = ChainKey::from_bytes(hex32("chain_key", &r.chain_key)?);
    Ok(ReceiverState {
        key_id: r.key_id,
        signing_key: spk,
        chain_key,
        next: r.next,
        skipped,
    })
}

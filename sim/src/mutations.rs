//! The mutation catalogue: every way the adversary changes an envelope or a distribution it relays or sends, by
//! name, so a scenario file, a trace line and a report all cite the same thing.
//!
//! Mutations are structure-aware where sksim knows the format (the five codecs of `senderkeys::wire`): a field is
//! parsed, changed and written back — never re-signed, so a signature that covers the field breaks, and one that
//! does not is shown up. For a format sksim does not know, only the byte-level families apply (bit flips,
//! truncation, trailing bytes, splicing two envelopes). [`Mutation::apply`] returns `None` when a mutation has no
//! meaning for the bytes it is given (a nonce split for a format without a nonce on the wire); a drawn mutation
//! is chosen among [`Mutation::applicable`] ones. Every function here is pure given its random stream.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE as BASE64_URL};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use senderkeys::consts::{FORWARD_JUMP_MAX, SKIPPED_KEYS_MAX};
use serde_json::Value;

use crate::attacks::{Parsed, parse};

/// Where an iteration mutation puts the envelope's iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum IterationAt {
    /// 0.
    Zero,
    /// The genuine iteration plus the skipped-key cache's bound.
    CacheBound,
    /// The genuine iteration plus the forward-jump bound, minus one.
    JumpBoundBelow,
    /// The genuine iteration plus the forward-jump bound.
    JumpBound,
    /// The genuine iteration plus the forward-jump bound, plus one.
    JumpBoundAbove,
    /// 2^31 − 1 (the largest signed 32-bit value).
    Pow31Below,
    /// 2^31.
    Pow31,
    /// 2^31 + 1.
    Pow31Above,
    /// 2^32 − 1, the largest value every known format can carry.
    Max,
}

impl IterationAt {
    const ALL: [IterationAt; 9] = [
        IterationAt::Zero,
        IterationAt::CacheBound,
        IterationAt::JumpBoundBelow,
        IterationAt::JumpBound,
        IterationAt::JumpBoundAbove,
        IterationAt::Pow31Below,
        IterationAt::Pow31,
        IterationAt::Pow31Above,
        IterationAt::Max,
    ];

    const fn name(self) -> &'static str {
        match self {
            IterationAt::Zero => "iteration-0",
            IterationAt::CacheBound => "iteration-plus-cache-bound",
            IterationAt::JumpBoundBelow => "iteration-plus-jump-bound-minus-1",
            IterationAt::JumpBound => "iteration-plus-jump-bound",
            IterationAt::JumpBoundAbove => "iteration-plus-jump-bound-plus-1",
            IterationAt::Pow31Below => "iteration-2^31-1",
            IterationAt::Pow31 => "iteration-2^31",
            IterationAt::Pow31Above => "iteration-2^31+1",
            IterationAt::Max => "iteration-2^32-1",
        }
    }

    /// The new iteration, given the genuine one.
    fn of(self, genuine: u32) -> u32 {
        let cache = u32::try_from(SKIPPED_KEYS_MAX).unwrap_or(u32::MAX);
        match self {
            IterationAt::Zero => 0,
            IterationAt::CacheBound => genuine.saturating_add(cache),
            IterationAt::JumpBoundBelow => genuine.saturating_add(FORWARD_JUMP_MAX - 1),
            IterationAt::JumpBound => genuine.saturating_add(FORWARD_JUMP_MAX),
            IterationAt::JumpBoundAbove => genuine.saturating_add(FORWARD_JUMP_MAX + 1),
            IterationAt::Pow31Below => (1 << 31) - 1,
            IterationAt::Pow31 => 1 << 31,
            IterationAt::Pow31Above => (1 << 31) + 1,
            IterationAt::Max => u32::MAX,
        }
    }
}

/// The largest number of bytes a split mutation moves between nonce and ciphertext.
pub const SPLIT_SHIFT_MAX: u8 = 16;

/// One named mutation of an envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mutation {
    /// The iteration field moved (family `iteration`).
    Iteration(IterationAt),
    /// The key id with its lowest bit flipped (family `key-id`).
    KeyIdFlipped,
    /// The key id of another member's envelope (family `key-id`).
    KeyIdOfOther,
    /// `n` bytes moved from the front of the ciphertext to the end of the nonce (family `split`).
    SplitIntoNonce(u8),
    /// `n` bytes moved from the end of the nonce to the front of the ciphertext (family `split`).
    SplitIntoCiphertext(u8),
    /// The last `n` bytes cut off (family `length`).
    Truncated(u8),
    /// `n` random bytes appended (family `length`).
    Trailing(u8),
    /// A declared length one more than the bytes that follow (family `length`).
    LengthLies,
    /// The version changed to one the format does not have (family `version`).
    Version,
    /// A JSON field removed (family `json`).
    JsonFieldDropped,
    /// A JSON field written twice, the second time with another value (family `json`).
    JsonFieldDuplicated,
    /// A JSON field of the wrong type (family `json`).
    JsonFieldWrongType,
    /// A JSON number made negative (family `json`).
    JsonNegative,
    /// A JSON number plus 2^32: a parser that casts it to 32 bits reads the genuine value (family `json`).
    JsonHuge,
    /// Base64 fields without their padding (family `base64`).
    Base64Unpadded,
    /// Base64 fields with extra padding (family `base64`).
    Base64OverPadded,
    /// Base64 fields in the URL-safe alphabet (family `base64`).
    Base64UrlSafe,
    /// A protobuf field the schema does not have (family `protobuf`).
    ProtobufUnknownField,
    /// A protobuf field written twice (family `protobuf`).
    ProtobufRepeatedField,
    /// A protobuf field with the wrong wire type (family `protobuf`).
    ProtobufWrongWireType,
    /// One random bit flipped (family `bytes`).
    BitFlip,
    /// The first half of this envelope and the second half of another (family `bytes`).
    Splice,
}

/// A mutation's family, as scenario files and the sweep name them (`mutations = ["split", "iteration"]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Iteration fields.
    Iteration,
    /// Key ids.
    KeyId,
    /// The nonce/ciphertext split.
    Split,
    /// Truncation, trailing bytes, lying lengths.
    Length,
    /// Version fields.
    Version,
    /// JSON fields.
    Json,
    /// Base64 encodings.
    Base64,
    /// Protobuf encodings.
    Protobuf,
    /// Bytes, whatever the format.
    Bytes,
}

impl Family {
    /// Every family, in catalogue order.
    pub const ALL: [Family; 9] = [
        Family::Iteration,
        Family::KeyId,
        Family::Split,
        Family::Length,
        Family::Version,
        Family::Json,
        Family::Base64,
        Family::Protobuf,
        Family::Bytes,
    ];

    /// The family's name.
    pub const fn name(self) -> &'static str {
        match self {
            Family::Iteration => "iteration",
            Family::KeyId => "key-id",
            Family::Split => "split",
            Family::Length => "length",
            Family::Version => "version",
            Family::Json => "json",
            Family::Base64 => "base64",
            Family::Protobuf => "protobuf",
            Family::Bytes => "bytes",
        }
    }
}

/// Byte counts the truncation and trailing-bytes mutations use.
const LENGTH_STEPS: [u8; 2] = [1, 16];

impl Mutation {
    /// Every mutation, in catalogue order (`sksim list` shows them; the sweep and the fuzz targets draw from it).
    pub fn catalogue() -> Vec<Mutation> {
        let mut all: Vec<Mutation> = IterationAt::ALL.into_iter().map(Mutation::Iteration).collect();
        all.extend([Mutation::KeyIdFlipped, Mutation::KeyIdOfOther]);
        for n in 1..=SPLIT_SHIFT_MAX {
            all.extend([Mutation::SplitIntoNonce(n), Mutation::SplitIntoCiphertext(n)]);
        }
        all.extend(LENGTH_STEPS.map(Mutation::Truncated));
        all.extend(LENGTH_STEPS.map(Mutation::Trailing));
        all.extend([
            Mutation::LengthLies,
            Mutation::Version,
            Mutation::JsonFieldDropped,
            Mutation::JsonFieldDuplicated,
            Mutation::JsonFieldWrongType,
            Mutation::JsonNegative,
            Mutation::JsonHuge,
            Mutation::Base64Unpadded,
            Mutation::Base64OverPadded,
            Mutation::Base64UrlSafe,
            Mutation::ProtobufUnknownField,
            Mutation::ProtobufRepeatedField,
            Mutation::ProtobufWrongWireType,
            Mutation::BitFlip,
            Mutation::Splice,
        ]);
        all
    }

    /// The mutation's family.
    pub const fn family(self) -> Family {
        match self {
            Mutation::Iteration(_) => Family::Iteration,
            Mutation::KeyIdFlipped | Mutation::KeyIdOfOther => Family::KeyId,
            Mutation::SplitIntoNonce(_) | Mutation::SplitIntoCiphertext(_) => Family::Split,
            Mutation::Truncated(_) | Mutation::Trailing(_) | Mutation::LengthLies => Family::Length,
            Mutation::Version => Family::Version,
            Mutation::JsonFieldDropped
            | Mutation::JsonFieldDuplicated
            | Mutation::JsonFieldWrongType
            | Mutation::JsonNegative
            | Mutation::JsonHuge => Family::Json,
            Mutation::Base64Unpadded | Mutation::Base64OverPadded | Mutation::Base64UrlSafe => Family::Base64,
            Mutation::ProtobufUnknownField
            | Mutation::ProtobufRepeatedField
            | Mutation::ProtobufWrongWireType => Family::Protobuf,
            Mutation::BitFlip | Mutation::Splice => Family::Bytes,
        }
    }

    /// The mutation's name, as scenario files, traces and reports cite it.
    pub fn name(self) -> String {
        match self {
            Mutation::Iteration(at) => at.name().to_owned(),
            Mutation::SplitIntoNonce(n) => format!("split-into-nonce-{n}"),
            Mutation::SplitIntoCiphertext(n) => format!("split-into-ciphertext-{n}"),
            Mutation::Truncated(n) => format!("truncated-{n}"),
            Mutation::Trailing(n) => format!("trailing-{n}"),
            other => other.fixed_name().to_owned(),
        }
    }

    fn fixed_name(self) -> &'static str {
        match self {
            Mutation::KeyIdFlipped => "key-id-flipped",
            Mutation::KeyIdOfOther => "key-id-of-other",
            Mutation::LengthLies => "length-lies",
            Mutation::Version => "version",
            Mutation::JsonFieldDropped => "json-field-dropped",
            Mutation::JsonFieldDuplicated => "json-field-duplicated",
            Mutation::JsonFieldWrongType => "json-field-wrong-type",
            Mutation::JsonNegative => "json-negative",
            Mutation::JsonHuge => "json-plus-2^32",
            Mutation::Base64Unpadded => "base64-unpadded",
            Mutation::Base64OverPadded => "base64-over-padded",
            Mutation::Base64UrlSafe => "base64-url-safe",
            Mutation::ProtobufUnknownField => "protobuf-unknown-field",
            Mutation::ProtobufRepeatedField => "protobuf-repeated-field",
            Mutation::ProtobufWrongWireType => "protobuf-wrong-wire-type",
            Mutation::BitFlip => "bit-flip",
            Mutation::Splice => "splice",
            _ => "",
        }
    }

    /// The mutation named `name`, if any.
    pub fn named(name: &str) -> Option<Mutation> {
        Mutation::catalogue().into_iter().find(|m| m.name() == name)
    }

    /// The catalogue's mutations that change `genuine` (with `other`, another sender's envelope, for the ones
    /// that need it). Deterministic: a mutation is applicable or not whatever the random stream.
    pub fn applicable(genuine: &[u8], other: Option<&[u8]>) -> Vec<Mutation> {
        Mutation::catalogue()
            .into_iter()
            .filter(|m| m.changes(genuine, other))
            .collect()
    }

    fn changes(self, genuine: &[u8], other: Option<&[u8]>) -> bool {
        use rand_core::SeedableRng;
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        self.apply(genuine, other, &mut rng)
            .is_some_and(|mutated| mutated != genuine)
    }

    /// `genuine` with this mutation applied; `None` if it has no meaning for these bytes.
    pub fn apply(self, genuine: &[u8], other: Option<&[u8]>, rng: &mut ChaCha20Rng) -> Option<Vec<u8>> {
        match self {
            Mutation::Iteration(at) => {
                let mut parsed = parse(genuine)?;
                let new = at.of(*parsed.iteration_mut());
                *parsed.iteration_mut() = new;
                Some(parsed.encode())
            }
            Mutation::KeyIdFlipped => {
                let mut parsed = parse(genuine)?;
                parsed.flip_key_id().then(|| parsed.encode())
            }
            Mutation::KeyIdOfOther => {
                let (mut parsed, donor) = (parse(genuine)?, parse(other?)?);
                parsed.take_key_id(&donor).then(|| parsed.encode())
            }
            Mutation::SplitIntoNonce(n) => parse(genuine)?.resplit(isize::from(n)),
            Mutation::SplitIntoCiphertext(n) => parse(genuine)?.resplit(-isize::from(n)),
            Mutation::Truncated(n) => {
                let keep = genuine.len().checked_sub(usize::from(n)).filter(|&k| k > 0)?;
                Some(genuine[..keep].to_vec())
            }
            Mutation::Trailing(n) => {
                let mut out = genuine.to_vec();
                out.extend((0..n).map(|_| rng.random::<u8>()));
                Some(out)
            }
            Mutation::LengthLies => length_lies(genuine),
            Mutation::Version => version(genuine),
            Mutation::JsonFieldDropped
            | Mutation::JsonFieldDuplicated
            | Mutation::JsonFieldWrongType
            | Mutation::JsonNegative
            | Mutation::JsonHuge => json(self, genuine, rng),
            Mutation::Base64Unpadded | Mutation::Base64OverPadded | Mutation::Base64UrlSafe => {
                base64_fields(self, genuine)
            }
            Mutation::ProtobufUnknownField
            | Mutation::ProtobufRepeatedField
            | Mutation::ProtobufWrongWireType => protobuf(self, genuine),
            Mutation::BitFlip => crate::attacks::tamper(genuine, rng),
            Mutation::Splice => {
                let other = other?;
                let (head, tail) = (genuine.len() / 2, other.len() / 2);
                Some([&genuine[..head], &other[tail..]].concat())
            }
        }
    }
}

impl serde::Serialize for Mutation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl serde::Serialize for Family {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl serde::Serialize for DistributionMutation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

/// A declared length one more than what follows: the hardened format's ciphertext length, or a protobuf's first
/// length-delimited field.
fn length_lies(genuine: &[u8]) -> Option<Vec<u8>> {
    match parse(genuine)? {
        Parsed::Hardened(m) => {
            let mut out = m.encode();
            let at = senderkeys::wire::hardened::HEADER_BYTES + 1 + m.nonce.len();
            let len = u32::from_be_bytes(out.get(at..at + 4)?.try_into().ok()?);
            out[at..at + 4].copy_from_slice(&len.checked_add(1)?.to_be_bytes());
            Some(out)
        }
        Parsed::Signal(_) | Parsed::P2p(_) => {
            let (start, end) = protobuf_region(genuine)?;
            let region = &genuine[start..end];
            let field = proto_fields(region)?.into_iter().find(|f| f.wire_type == 2)?;
            let (len, len_bytes) = varint(&region[field.key_end..])?;
            let mut out = genuine[..start + field.key_end].to_vec();
            out.extend(encode_varint(len + 1));
            out.extend_from_slice(&genuine[start + field.key_end + len_bytes..]);
            Some(out)
        }
        _ => None,
    }
}

/// A version the format does not have: the binary formats' version byte, or a JSON `v`.
fn version(genuine: &[u8]) -> Option<Vec<u8>> {
    match parse(genuine)? {
        Parsed::Hardened(_) => {
            let mut out = genuine.to_vec();
            out[0] = out[0].wrapping_add(1);
            Some(out)
        }
        Parsed::Signal(_) => {
            let mut out = genuine.to_vec();
            out[0] = out[0].wrapping_add(0x10);
            Some(out)
        }
        Parsed::Accord(_) | Parsed::Chatalot(_) => {
            let mut value: Value = serde_json::from_slice(genuine).ok()?;
            let v = value.get_mut("v")?;
            *v = Value::from(v.as_u64()?.wrapping_add(1));
            serde_json::to_vec(&value).ok()
        }
        Parsed::P2p(_) => None,
    }
}

/// The paths of every scalar field of a JSON object, one level of nesting deep, in key order.
fn json_paths(value: &Value) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    if let Value::Object(map) = value {
        for (key, inner) in map {
            if let Value::Object(nested) = inner {
                paths.extend(nested.keys().map(|k| vec![key.clone(), k.clone()]));
            } else {
                paths.push(vec![key.clone()]);
            }
        }
    }
    paths
}

fn at_path<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, key| v.get_mut(key))
}

/// One JSON field, drawn among those the mutation can change, changed.
fn json(mutation: Mutation, genuine: &[u8], rng: &mut ChaCha20Rng) -> Option<Vec<u8>> {
    let value: Value = serde_json::from_slice(genuine).ok()?;
    let numeric = |v: &Value| v.as_u64().is_some();
    let mut candidates = json_paths(&value);
    if matches!(mutation, Mutation::JsonNegative | Mutation::JsonHuge) {
        candidates.retain(|p| at_path(&mut value.clone(), p).is_some_and(|v| numeric(v)));
    }
    if candidates.is_empty() {
        return None;
    }
    let path = &candidates[rng.random_range(0..candidates.len())];
    let mut value = value;
    if mutation == Mutation::JsonFieldDuplicated {
        return Some(write_duplicated(&value, path).into_bytes());
    }
    if mutation == Mutation::JsonFieldDropped {
        let (last, parent) = path.split_last()?;
        at_path(&mut value, parent)?.as_object_mut()?.remove(last);
        return serde_json::to_vec(&value).ok();
    }
    let field = at_path(&mut value, path)?;
    *field = match mutation {
        Mutation::JsonNegative => Value::from(-i64::try_from(field.as_u64()?.max(1)).ok()?),
        Mutation::JsonHuge => Value::from(field.as_u64()?.checked_add(1 << 32)?),
        _ => wrong_type(field),
    };
    serde_json::to_vec(&value).ok()
}

fn wrong_type(field: &Value) -> Value {
    match field {
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(_) => Value::from(1),
        Value::Array(_) => Value::Object(serde_json::Map::new()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Null => Value::from(0),
        Value::Object(_) => Value::Array(Vec::new()),
    }
}

/// The object written out with the field at `path` twice: first genuine, then a changed value (so a parser
/// that keeps the first and one that keeps the last read different things).
fn write_duplicated(value: &Value, path: &[String]) -> String {
    let Value::Object(map) = value else {
        return value.to_string();
    };
    let entries: Vec<String> = map
        .iter()
        .map(|(key, inner)| {
            let name = Value::String(key.clone()).to_string();
            match path {
                [only] if only == key => format!("{name}:{inner},{name}:{}", wrong_type(inner)),
                [first, rest @ ..] if first == key => format!("{name}:{}", write_duplicated(inner, rest)),
                _ => format!("{name}:{inner}"),
            }
        })
        .collect();
    format!("{{{}}}", entries.join(","))
}

/// Every JSON string that is standard padded base64 re-encoded as the mutation says; `None` if none changes.
fn base64_fields(mutation: Mutation, genuine: &[u8]) -> Option<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(genuine).ok()?;
    let mut changed = false;
    let paths = json_paths(&value);
    for path in paths {
        let Some(Value::String(text)) = at_path(&mut value, &path) else {
            continue;
        };
        let Ok(bytes) = BASE64.decode(text.as_bytes()) else {
            continue;
        };
        let new = match mutation {
            Mutation::Base64Unpadded => text.trim_end_matches('=').to_owned(),
            Mutation::Base64OverPadded => format!("{text}=="),
            _ => BASE64_URL.encode(&bytes),
        };
        if bytes.is_empty() || new == *text {
            continue;
        }
        *text = new;
        changed = true;
    }
    changed.then(|| serde_json::to_vec(&value).ok()).flatten()
}

/// One protobuf field: where its key ends, its number and wire type, where it ends.
#[derive(Clone, Copy, Debug)]
struct ProtoField {
    start: usize,
    key_end: usize,
    wire_type: u8,
    end: usize,
}

fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn encode_varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The fields of a protobuf message, in order; `None` if it does not walk cleanly.
fn proto_fields(region: &[u8]) -> Option<Vec<ProtoField>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < region.len() {
        let (key, key_len) = varint(&region[at..])?;
        let key_end = at + key_len;
        let wire_type = (key & 7) as u8;
        let end = match wire_type {
            0 => key_end + varint(&region[key_end..])?.1,
            1 => key_end + 8,
            2 => {
                let (len, len_bytes) = varint(&region[key_end..])?;
                key_end + len_bytes + usize::try_from(len).ok()?
            }
            5 => key_end + 4,
            _ => return None,
        };
        if end > region.len() {
            return None;
        }
        fields.push(ProtoField {
            start: at,
            key_end,
            wire_type,
            end,
        });
        at = end;
    }
    Some(fields)
}

/// Where the protobuf sits in a known protobuf-based envelope: Signal's between the version byte and the
/// signature, the peer-to-peer sketch's whole.
fn protobuf_region(genuine: &[u8]) -> Option<(usize, usize)> {
    match parse(genuine)? {
        Parsed::Signal(_) => Some((1, genuine.len().checked_sub(senderkeys::consts::SIGNATURE_BYTES)?)),
        Parsed::P2p(_) => Some((0, genuine.len())),
        _ => None,
    }
}

/// A field number no known schema uses.
const UNKNOWN_FIELD: u64 = 15;

fn protobuf(mutation: Mutation, genuine: &[u8]) -> Option<Vec<u8>> {
    let (start, end) = protobuf_region(genuine)?;
    let region = &genuine[start..end];
    let fields = proto_fields(region)?;
    let first = *fields.first()?;
    let changed: Vec<u8> = match mutation {
        Mutation::ProtobufUnknownField => {
            let mut out = region.to_vec();
            out.extend(encode_varint(UNKNOWN_FIELD << 3));
            out.push(1);
            out
        }
        Mutation::ProtobufRepeatedField => [region, &region[first.start..first.end]].concat(),
        _ => {
            let (key, _) = varint(&region[first.start..])?;
            let wrong = if first.wire_type == 0 { 2 } else { 0 };
            let mut out = encode_varint((key & !7) | wrong);
            out.extend_from_slice(&region[first.key_end..]);
            [&region[..first.start], &out[..]].concat()
        }
    };
    Some([&genuine[..start], &changed[..], &genuine[end..]].concat())
}

/// Wrong lengths the distribution mutations give a key field (the right one is 32).
pub const WRONG_KEY_LENGTHS: [u8; 5] = [0, 16, 31, 33, 64];

/// One named mutation of a distribution: what an insider sends over its own pairwise channel, or a server relays
/// where the design puts distributions on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DistributionMutation {
    /// The chain key `n` bytes long.
    ChainKeyLength(u8),
    /// The signing public key `n` bytes long.
    SigningKeyLength(u8),
    /// The chain's starting iteration at 2^31.
    IterationPow31,
    /// The chain's starting iteration at 2^32 − 2 (two messages from the end of the counter).
    IterationNearMax,
    /// The chain's starting iteration at 2^32 − 1.
    IterationMax,
    /// Another member's key id.
    KeyIdOfOther,
    /// The same key id with another chain key (random bytes).
    SameKeyIdOtherChain,
}

impl DistributionMutation {
    /// Every distribution mutation, in catalogue order.
    pub fn catalogue() -> Vec<DistributionMutation> {
        let mut all: Vec<DistributionMutation> = WRONG_KEY_LENGTHS
            .into_iter()
            .map(DistributionMutation::ChainKeyLength)
            .collect();
        all.extend(WRONG_KEY_LENGTHS.map(DistributionMutation::SigningKeyLength));
        all.extend([
            DistributionMutation::IterationPow31,
            DistributionMutation::IterationNearMax,
            DistributionMutation::IterationMax,
            DistributionMutation::KeyIdOfOther,
            DistributionMutation::SameKeyIdOtherChain,
        ]);
        all
    }

    /// The mutation's name, as scenario files, traces and reports cite it.
    pub fn name(self) -> String {
        match self {
            DistributionMutation::ChainKeyLength(n) => format!("chain-key-{n}-bytes"),
            DistributionMutation::SigningKeyLength(n) => format!("signing-key-{n}-bytes"),
            DistributionMutation::IterationPow31 => "start-iteration-2^31".to_owned(),
            DistributionMutation::IterationNearMax => "start-iteration-2^32-2".to_owned(),
            DistributionMutation::IterationMax => "start-iteration-2^32-1".to_owned(),
            DistributionMutation::KeyIdOfOther => "key-id-of-other".to_owned(),
            DistributionMutation::SameKeyIdOtherChain => "same-key-id-other-chain".to_owned(),
        }
    }

    /// The mutation named `name`, if any.
    pub fn named(name: &str) -> Option<DistributionMutation> {
        DistributionMutation::catalogue()
            .into_iter()
            .find(|m| m.name() == name)
    }

    /// The catalogue's mutations that change `genuine` (`other`: another member's distribution).
    pub fn applicable(genuine: &[u8], other: Option<&[u8]>) -> Vec<DistributionMutation> {
        use rand_core::SeedableRng;
        DistributionMutation::catalogue()
            .into_iter()
            .filter(|m| {
                let mut rng = ChaCha20Rng::seed_from_u64(0);
                m.apply(genuine, other, &mut rng).is_some_and(|b| b != genuine)
            })
            .collect()
    }

    /// `genuine` with this mutation applied; `None` if it has no meaning for these bytes (a format sksim does
    /// not know, a field the format does not have, or no other distribution to take a key id from).
    pub fn apply(self, genuine: &[u8], other: Option<&[u8]>, rng: &mut ChaCha20Rng) -> Option<Vec<u8>> {
        let mut fields = DistributionFields::parse(genuine)?;
        match self {
            DistributionMutation::ChainKeyLength(n) => {
                fields.chain_key = (0..n).map(|_| rng.random::<u8>()).collect();
            }
            DistributionMutation::SigningKeyLength(n) => {
                fields.signing_key.as_ref()?;
                fields.signing_key = Some((0..n).map(|_| rng.random::<u8>()).collect());
            }
            DistributionMutation::IterationPow31 => fields.iteration = 1 << 31,
            DistributionMutation::IterationNearMax => fields.iteration = u32::MAX - 1,
            DistributionMutation::IterationMax => fields.iteration = u32::MAX,
            DistributionMutation::KeyIdOfOther => {
                let donor = DistributionFields::parse(other?)?;
                if std::mem::discriminant(&donor.key_id) != std::mem::discriminant(&fields.key_id) {
                    return None;
                }
                fields.key_id = donor.key_id;
            }
            DistributionMutation::SameKeyIdOtherChain => {
                fields.chain_key = (0..32).map(|_| rng.random::<u8>()).collect();
            }
        }
        fields.encode(genuine)
    }
}

/// A key id as each format writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DistributionKeyId {
    Hardened(u32),
    Signal([u8; senderkeys::consts::DISTRIBUTION_ID_BYTES], u32),
    Accord(String),
    Chatalot(u64),
}

/// A distribution's fields, of any length, in a format sksim knows (the peer-to-peer sketch's are sealed).
struct DistributionFields {
    key_id: DistributionKeyId,
    iteration: u32,
    chain_key: Vec<u8>,
    signing_key: Option<Vec<u8>>,
}

impl DistributionFields {
    fn parse(bytes: &[u8]) -> Option<DistributionFields> {
        use senderkeys::wire::{
            accord::AccordDistribution, chatalot::ChatalotDistribution, hardened::HardenedDistribution,
            signal::SignalDistribution,
        };
        if let Ok(d) = HardenedDistribution::parse(bytes) {
            return Some(DistributionFields {
                key_id: DistributionKeyId::Hardened(d.key_id),
                iteration: d.iteration,
                chain_key: d.chain_key.to_vec(),
                signing_key: Some(d.signing_public_key.to_vec()),
            });
        }
        if let Ok(d) = SignalDistribution::parse(bytes) {
            return Some(DistributionFields {
                key_id: DistributionKeyId::Signal(d.distribution_id, d.chain_id),
                iteration: d.iteration,
                chain_key: d.chain_key.to_vec(),
                signing_key: Some(d.signing_key.to_vec()),
            });
        }
        if let Ok(d) = AccordDistribution::parse(bytes) {
            return Some(DistributionFields {
                key_id: DistributionKeyId::Accord(hex::encode(d.key_id)),
                iteration: d.iteration,
                chain_key: d.chain_key.to_vec(),
                signing_key: Some(d.signing_public_key.to_vec()),
            });
        }
        let d = ChatalotDistribution::parse(bytes).ok()?;
        Some(DistributionFields {
            key_id: DistributionKeyId::Chatalot(u64::from(d.chain_id)),
            iteration: d.iteration,
            chain_key: d.chain_key.to_vec(),
            signing_key: None,
        })
    }

    /// Written out raw in the format of `genuine` (whose other fields it keeps).
    fn encode(&self, genuine: &[u8]) -> Option<Vec<u8>> {
        use senderkeys::wire::{hardened, signal};
        match &self.key_id {
            DistributionKeyId::Hardened(key_id) => {
                let mut out = vec![
                    hardened::HARDENED_VERSION,
                    hardened::KIND_DISTRIBUTION,
                    hardened::SUITE_HARDENED_V1,
                ];
                out.extend(key_id.to_be_bytes());
                out.extend(self.iteration.to_be_bytes());
                out.extend(&self.chain_key);
                out.extend(self.signing_key.as_deref().unwrap_or_default());
                Some(out)
            }
            DistributionKeyId::Signal(uuid, chain_id) => {
                let mut out = vec![signal::SIGNAL_VERSION_BYTE];
                proto_bytes(&mut out, 1, uuid);
                proto_varint(&mut out, 2, u64::from(*chain_id));
                proto_varint(&mut out, 3, u64::from(self.iteration));
                proto_bytes(&mut out, 4, &self.chain_key);
                proto_bytes(&mut out, 5, self.signing_key.as_deref().unwrap_or_default());
                Some(out)
            }
            DistributionKeyId::Accord(skid) => {
                let mut value: Value = serde_json::from_slice(genuine).ok()?;
                value["skid"] = Value::String(skid.clone());
                value["ck"] = Value::String(BASE64.encode(&self.chain_key));
                value["spk"] = Value::String(BASE64.encode(self.signing_key.as_deref().unwrap_or_default()));
                value["iter"] = Value::from(self.iteration);
                serde_json::to_vec(&value).ok()
            }
            DistributionKeyId::Chatalot(chain_id) => {
                let mut value: Value = serde_json::from_slice(genuine).ok()?;
                value["chain_id"] = Value::from(*chain_id);
                value["chain_key"] = Value::from(self.chain_key.clone());
                value["iteration"] = Value::from(self.iteration);
                serde_json::to_vec(&value).ok()
            }
        }
    }
}

fn proto_varint(out: &mut Vec<u8>, field: u64, value: u64) {
    out.extend(encode_varint(field << 3));
    out.extend(encode_varint(value));
}

fn proto_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    out.extend(encode_varint((field << 3) | 2));
    out.extend(encode_varint(bytes.len() as u64));
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use rand_core::SeedableRng;
    use senderkeys::{GroupId, GroupSession, MemberId, SuiteId};

    use super::*;

    fn envelopes(suite: SuiteId) -> (GroupSession, MemberId, Vec<u8>, Vec<u8>) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let group = GroupId::new("g").unwrap();
        let (alice, carol) = (MemberId::new("alice").unwrap(), MemberId::new("carol").unwrap());
        let mut a = GroupSession::new(suite, group.clone(), alice.clone());
        let mut c = GroupSession::new(suite, group.clone(), carol.clone());
        let mut b = GroupSession::new(suite, group, MemberId::new("bob").unwrap());
        b.process_distribution(&alice, &a.create_sender_key(&mut rng).unwrap())
            .unwrap();
        b.process_distribution(&carol, &c.create_sender_key(&mut rng).unwrap())
            .unwrap();
        let wire = a.encrypt(&mut rng, b"genuine").unwrap();
        let other = c.encrypt(&mut rng, b"other").unwrap();
        (b, alice, wire, other)
    }

    #[test]
    fn every_name_is_distinct_and_reads_back() {
        let all = Mutation::catalogue();
        let names: std::collections::BTreeSet<String> = all.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), all.len());
        for m in all {
            assert_eq!(Mutation::named(&m.name()), Some(m));
            assert!(!m.name().is_empty());
        }
        assert_eq!(Mutation::named("split-into-nonce-17"), None);
    }

    #[test]
    fn every_applicable_mutation_is_rejected_by_the_reference_without_a_trace_or_read_as_the_genuine() {
        for suite in SuiteId::ALL {
            let (bob, alice, wire, other) = envelopes(suite);
            let snapshot = bob.export();
            let applicable = Mutation::applicable(&wire, Some(&other));
            let families: std::collections::BTreeSet<Family> =
                applicable.iter().map(|m| m.family()).collect();
            assert!(families.contains(&Family::Bytes), "{suite}");
            assert!(families.contains(&Family::Iteration), "{suite}");
            let mut rng = ChaCha20Rng::seed_from_u64(3);
            for m in applicable {
                let bad = m.apply(&wire, Some(&other), &mut rng).unwrap();
                assert_ne!(bad, wire, "{suite} {}", m.name());
                let mut bob = GroupSession::import(&snapshot).unwrap();
                match bob.decrypt(&alice, &bad) {
                    Err(_) => assert_eq!(bob.export(), snapshot, "{suite} {}", m.name()),
                    // A format that is not canonical (protobuf skips unknown fields) may read another encoding of
                    // the genuine envelope: that is the genuine message, and its sender wrote it.
                    Ok(read) => assert_eq!(read.plaintext, b"genuine", "{suite}: {} accepted", m.name()),
                }
            }
        }
    }

    #[test]
    fn each_format_gets_its_structural_families() {
        let expect = [
            (
                SuiteId::Hardened,
                &[Family::Split, Family::Version, Family::Length][..],
            ),
            (
                SuiteId::Accord,
                &[Family::Json, Family::Base64, Family::Split][..],
            ),
            (SuiteId::Chatalot, &[Family::Json, Family::Split][..]),
            (SuiteId::Signal, &[Family::Protobuf, Family::Version][..]),
            (SuiteId::P2p, &[Family::Protobuf, Family::Split][..]),
        ];
        for (suite, families) in expect {
            let (_, _, wire, other) = envelopes(suite);
            let applicable = Mutation::applicable(&wire, Some(&other));
            for family in families {
                assert!(
                    applicable.iter().any(|m| m.family() == *family),
                    "{suite}: no {} mutation",
                    family.name()
                );
            }
        }
    }

    #[test]
    fn iteration_mutations_land_where_their_names_say() {
        let (_, _, wire, _) = envelopes(SuiteId::Hardened);
        let genuine = senderkeys::wire::hardened::HardenedMessage::parse(&wire)
            .unwrap()
            .iteration;
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let at = |m: IterationAt, rng: &mut ChaCha20Rng| {
            let bytes = Mutation::Iteration(m).apply(&wire, None, rng).unwrap();
            senderkeys::wire::hardened::HardenedMessage::parse(&bytes)
                .unwrap()
                .iteration
        };
        assert_eq!(
            at(IterationAt::JumpBoundAbove, &mut rng),
            genuine + FORWARD_JUMP_MAX + 1
        );
        assert_eq!(at(IterationAt::Max, &mut rng), u32::MAX);
        assert_eq!(at(IterationAt::Pow31Below, &mut rng), i32::MAX as u32);
    }

    #[test]
    fn a_split_moves_exactly_n_bytes_and_keeps_the_bytes_in_order() {
        let (_, _, wire, _) = envelopes(SuiteId::Accord);
        let original = senderkeys::wire::accord::AccordEnvelope::parse(&wire).unwrap();
        let joined = [original.iv.to_vec(), original.ciphertext.clone()].concat();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for (m, nonce_len) in [
            (Mutation::SplitIntoNonce(3), 15),
            (Mutation::SplitIntoCiphertext(5), 7),
        ] {
            let bytes = m.apply(&wire, None, &mut rng).unwrap();
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            let iv = BASE64.decode(v["iv"].as_str().unwrap()).unwrap();
            let ct = BASE64.decode(v["ct"].as_str().unwrap()).unwrap();
            assert_eq!(iv.len(), nonce_len);
            assert_eq!([iv, ct].concat(), joined);
        }
    }

    #[test]
    fn a_json_duplicate_writes_the_field_twice() {
        let text = write_duplicated(
            &serde_json::json!({"a": 1, "b": {"c": "x"}}),
            &["b".to_owned(), "c".to_owned()],
        );
        assert_eq!(text, r#"{"a":1,"b":{"c":"x","c":1}}"#);
    }

    #[test]
    fn every_distribution_mutation_is_refused_or_harmless_to_the_reference() {
        for suite in [
            SuiteId::Hardened,
            SuiteId::Signal,
            SuiteId::Accord,
            SuiteId::Chatalot,
        ] {
            let mut rng = ChaCha20Rng::seed_from_u64(9);
            let group = GroupId::new("g").unwrap();
            let (alice, carol) = (MemberId::new("alice").unwrap(), MemberId::new("carol").unwrap());
            let mut a = GroupSession::new(suite, group.clone(), alice.clone());
            let mut c = GroupSession::new(suite, group.clone(), carol.clone());
            let genuine = a.create_sender_key(&mut rng).unwrap();
            let other = c.create_sender_key(&mut rng).unwrap();
            let applicable = DistributionMutation::applicable(&genuine, Some(&other));
            let lengths = applicable
                .iter()
                .filter(|m| matches!(m, DistributionMutation::ChainKeyLength(_)))
                .count();
            assert_eq!(lengths, WRONG_KEY_LENGTHS.len(), "{suite}");
            for m in applicable {
                let bad = m.apply(&genuine, Some(&other), &mut rng).unwrap();
                let mut bob = GroupSession::new(suite, group.clone(), MemberId::new("bob").unwrap());
                let before = bob.export();
                let result = bob.process_distribution(&alice, &bad);
                if let DistributionMutation::ChainKeyLength(_) | DistributionMutation::SigningKeyLength(_) = m
                {
                    assert!(result.is_err(), "{suite}: {} accepted", m.name());
                    assert_eq!(bob.export(), before, "{suite} {}", m.name());
                }
            }
        }
    }
}

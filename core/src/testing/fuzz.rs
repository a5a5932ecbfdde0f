//! Not API (see [`crate::testing`]).
//!
//! Bodies of the fuzz targets in `fuzz/`, kept in the library so that `cargo test` can replay inputs through
//! them without libFuzzer. Each takes arbitrary bytes and panics only if the code under test is wrong: a parse
//! that succeeds must re-encode to a value that parses equal, and where the format is canonical the bytes must
//! round-trip exactly.
//!
//! With the `fuzzing` feature, `receiver()` (module `testing::fuzz::receiver`) is the structured receiver target: a
//! script of deliveries, forgeries, corruptions, distributions and rotations against one receiver, checking
//! atomicity, bounds, authenticity, replay rejection and liveness after every step.

#[cfg(feature = "fuzzing")]
pub mod receiver;
#[cfg(feature = "fuzzing")]
pub use receiver::receiver;

use crate::wire::{accord, chatalot, hardened, p2p, signal};

/// Asserts the round-trip laws for one codec: `parse(encode(parse(b))) == parse(b)`, and, when `canonical`,
/// `encode(parse(b)) == b`.
fn round_trip<T: PartialEq + core::fmt::Debug>(
    data: &[u8],
    parse: impl Fn(&[u8]) -> crate::Result<T>,
    encode: impl Fn(&T) -> Vec<u8>,
    canonical: bool,
) {
    let Ok(value) = parse(data) else { return };
    let encoded = encode(&value);
    match parse(&encoded) {
        Ok(again) => assert_eq!(again, value, "re-encoded value parses differently"),
        Err(e) => panic!("re-encoded value does not parse: {e}"),
    }
    if canonical {
        assert_eq!(encoded, data, "canonical format did not round-trip byte for byte");
    }
    assert_eq!(
        encode(&parse(&encoded).expect("parsed above")),
        encoded,
        "encoding is not stable"
    );
}

/// Accord envelope (JSON: whitespace and key order may vary, so not canonical).
pub fn accord_envelope(data: &[u8]) {
    round_trip(
        data,
        accord::AccordEnvelope::parse,
        accord::AccordEnvelope::encode,
        false,
    );
}

/// Accord distribution.
pub fn accord_distribution(data: &[u8]) {
    round_trip(
        data,
        accord::AccordDistribution::parse,
        accord::AccordDistribution::encode,
        false,
    );
}

/// Chatalot message.
pub fn chatalot_message(data: &[u8]) {
    round_trip(
        data,
        chatalot::ChatalotMessage::parse,
        chatalot::ChatalotMessage::encode,
        false,
    );
}

/// Chatalot distribution.
pub fn chatalot_distribution(data: &[u8]) {
    round_trip(
        data,
        chatalot::ChatalotDistribution::parse,
        chatalot::ChatalotDistribution::encode,
        false,
    );
}

/// The peer-to-peer sketch's protobuf messages: the first byte picks the type, the rest is the message.
pub fn p2p(data: &[u8]) {
    let Some((kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        0 => round_trip(
            rest,
            p2p::P2pGroupMessage::parse,
            p2p::P2pGroupMessage::encode,
            false,
        ),
        1 => round_trip(
            rest,
            p2p::P2pDistribution::parse,
            p2p::P2pDistribution::encode,
            false,
        ),
        2 => round_trip(
            rest,
            p2p::P2pSenderKeyRequest::parse,
            p2p::P2pSenderKeyRequest::encode,
            false,
        ),
        _ => round_trip(
            rest,
            p2p::P2pSenderKeyRecord::parse,
            p2p::P2pSenderKeyRecord::encode,
            false,
        ),
    }
}

/// Signal's message and distribution: the first byte picks the type.
pub fn signal(data: &[u8]) {
    let Some((kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 2 {
        0 => round_trip(
            rest,
            signal::SignalMessage::parse,
            signal::SignalMessage::encode,
            false,
        ),
        _ => round_trip(
            rest,
            signal::SignalDistribution::parse,
            signal::SignalDistribution::encode,
            false,
        ),
    }
}

/// The `hardened` binary format, which is canonical: every accepted input round-trips byte for byte.
pub fn hardened(data: &[u8]) {
    let Some((kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 2 {
        0 => round_trip(
            rest,
            hardened::HardenedMessage::parse,
            hardened::HardenedMessage::encode,
            true,
        ),
        _ => round_trip(
            rest,
            hardened::HardenedDistribution::parse,
            hardened::HardenedDistribution::encode,
            true,
        ),
    }
}

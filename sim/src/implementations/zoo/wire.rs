//! The zoo's own codec of the `hardened` wire format (`core/src/wire/hardened.rs` lays it out). It encodes
//! exactly as `HardenedMessage` / `HardenedDistribution` do, and decodes the way real decoders do: leniently,
//! reading `nonce_len` and `ct_len` from the wire and taking a distribution's chain key as the bytes between the
//! header and the last 32 — and then validating every length. Bugs 1–3 remove one validation each.

use senderkeys::consts::{
    AEAD_NONCE_BYTES, CHAIN_KEY_BYTES, SIGNATURE_BYTES, SIGNING_PUBLIC_KEY_BYTES, WIRE_BYTES_MAX,
};
use senderkeys::wire::hardened::{
    HARDENED_VERSION, HEADER_BYTES, KIND_DISTRIBUTION, KIND_MESSAGE, SUITE_HARDENED_V1,
};
use senderkeys::{Nonce, PeerMisbehaved};

use super::Bug;
use crate::implementation::Rejection;

const WHAT_MESSAGE: &str = "zoo message";
const WHAT_DISTRIBUTION: &str = "zoo distribution";

/// Where the iteration sits in the header.
const ITERATION_AT: core::ops::Range<usize> = 7..11;

/// A message as the receiver reads it, borrowing the wire bytes.
#[derive(Debug)]
pub(super) struct Message<'a> {
    pub(super) key_id: u32,
    pub(super) iteration: u32,
    /// The header as it arrived (11 bytes).
    pub(super) header: &'a [u8],
    /// The nonce, `nonce_len` bytes long (validated to 12 unless a bug removed the check).
    pub(super) nonce: &'a [u8],
    pub(super) ciphertext: &'a [u8],
    /// Everything before the signature.
    pub(super) before_signature: &'a [u8],
    pub(super) signature: [u8; SIGNATURE_BYTES],
}

/// A distribution as the receiver reads it.
pub(super) struct Distribution {
    pub(super) key_id: u32,
    pub(super) iteration: u32,
    pub(super) chain_key: [u8; CHAIN_KEY_BYTES],
    pub(super) signing_public_key: [u8; SIGNING_PUBLIC_KEY_BYTES],
}

impl Drop for Distribution {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.chain_key);
    }
}

fn bad_length(what: &'static str, field: &'static str, expected: usize, actual: usize) -> Rejection {
    PeerMisbehaved::BadLength {
        what,
        field,
        expected,
        actual,
    }
    .into()
}

fn malformed(what: &'static str, detail: String) -> Rejection {
    Rejection {
        reason: "malformed".to_owned(),
        detail: format!("{what}: {detail}"),
    }
}

/// Reads fields off the front of untrusted bytes.
struct Reader<'a> {
    what: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], Rejection> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| bad_length(self.what, field, n, self.rest.len()))?;
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, Rejection> {
        Ok(self.take(field, 1)?.first().copied().unwrap_or_default())
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, Rejection> {
        let bytes = self.take(field, 4)?;
        Ok(bytes.iter().fold(0, |n, &b| (n << 8) | u32::from(b)))
    }

    /// Reads and checks the header; returns `(key_id, iteration)`.
    fn header(&mut self, kind: u8) -> Result<(u32, u32), Rejection> {
        let (version, found, suite) = (self.u8("version")?, self.u8("kind")?, self.u8("suite")?);
        if (version, found, suite) != (HARDENED_VERSION, kind, SUITE_HARDENED_V1) {
            let detail =
                format!("header {version:#04x} {found:#04x} {suite:#04x} is not this kind of message");
            return Err(malformed(self.what, detail));
        }
        Ok((self.u32("key_id")?, self.u32("iteration")?))
    }
}

fn check_size(what: &'static str, bytes: &[u8]) -> Result<(), Rejection> {
    if bytes.len() > WIRE_BYTES_MAX {
        return Err(PeerMisbehaved::TooLarge {
            what,
            actual: bytes.len(),
            limit: WIRE_BYTES_MAX,
        }
        .into());
    }
    Ok(())
}

/// Parses a message. The nonce's length comes from `nonce_len` on the wire and is checked against 12 here —
/// except under [`Bug::NonceLengthPanic`], which converts it to `[u8; 12]` unchecked instead, and
/// [`Bug::UnsignedSplitPanic`], which leaves the conversion for after verification ([`Message::aead_nonce`]).
pub(super) fn parse_message(bytes: &[u8], bug: Option<Bug>) -> Result<Message<'_>, Rejection> {
    check_size(WHAT_MESSAGE, bytes)?;
    let mut reader = Reader {
        what: WHAT_MESSAGE,
        rest: bytes,
    };
    let (key_id, iteration) = reader.header(KIND_MESSAGE)?;
    let nonce_len = usize::from(reader.u8("nonce_len")?);
    let nonce = reader.take("nonce", nonce_len)?;
    match bug {
        // The flaw: the decoder trusts `nonce_len` and converts with an unwrap, before any signature check.
        Some(Bug::NonceLengthPanic) => {
            let _fixed: [u8; AEAD_NONCE_BYTES] = nonce.try_into().expect("the nonce is 12 bytes");
        }
        Some(Bug::UnsignedSplitPanic) => {}
        _ if nonce_len != AEAD_NONCE_BYTES => {
            return Err(bad_length(WHAT_MESSAGE, "nonce", AEAD_NONCE_BYTES, nonce_len));
        }
        _ => {}
    }
    let ct_len = usize::try_from(reader.u32("ct_len")?).unwrap_or(usize::MAX);
    let ciphertext = reader.take("ciphertext", ct_len)?;
    let before_signature = &bytes[..bytes.len() - reader.rest.len()];
    let signature = reader.take("signature", SIGNATURE_BYTES)?;
    if !reader.rest.is_empty() {
        let detail = format!("{} trailing byte(s) after the signature", reader.rest.len());
        return Err(malformed(WHAT_MESSAGE, detail));
    }
    Ok(Message {
        key_id,
        iteration,
        header: &bytes[..HEADER_BYTES],
        nonce,
        ciphertext,
        before_signature,
        signature: signature.try_into().unwrap_or([0; SIGNATURE_BYTES]),
    })
}

impl Message<'_> {
    /// The bytes the signature covers: everything before it — or, under [`Bug::UnsignedSplitPanic`], header ‖
    /// nonce ‖ ciphertext without the length bytes, and under [`Bug::UnsignedIteration`], everything but the
    /// iteration.
    pub(super) fn signed_bytes(&self, bug: Option<Bug>) -> Vec<u8> {
        signed_bytes(self.before_signature, self.nonce, self.ciphertext, bug)
    }

    /// The AEAD nonce. The decoder checked its length already — except under [`Bug::UnsignedSplitPanic`], whose
    /// receiver converts it here, after verification, with an unwrap.
    pub(super) fn aead_nonce(&self, bug: Option<Bug>) -> Result<Nonce, Rejection> {
        if bug == Some(Bug::UnsignedSplitPanic) {
            return Ok(Nonce::Aead(self.nonce.try_into().expect("the nonce is 12 bytes")));
        }
        let nonce = self
            .nonce
            .try_into()
            .map_err(|_| bad_length(WHAT_MESSAGE, "nonce", AEAD_NONCE_BYTES, self.nonce.len()))?;
        Ok(Nonce::Aead(nonce))
    }

    /// The AEAD associated data: the header (without the iteration under [`Bug::UnsignedIteration`]).
    pub(super) fn associated_data(&self, bug: Option<Bug>) -> Vec<u8> {
        associated_data(self.header, bug)
    }
}

/// What a signature covers for a message whose unsigned encoding is `unsigned` (see [`Message::signed_bytes`]).
pub(super) fn signed_bytes(unsigned: &[u8], nonce: &[u8], ciphertext: &[u8], bug: Option<Bug>) -> Vec<u8> {
    match bug {
        Some(Bug::UnsignedSplitPanic) => [&unsigned[..HEADER_BYTES], nonce, ciphertext].concat(),
        Some(Bug::UnsignedIteration) => {
            [&unsigned[..ITERATION_AT.start], &unsigned[ITERATION_AT.end..]].concat()
        }
        _ => unsigned.to_vec(),
    }
}

/// The AEAD associated data of a message with this header.
pub(super) fn associated_data(header: &[u8], bug: Option<Bug>) -> Vec<u8> {
    match bug {
        Some(Bug::UnsignedIteration) => [&header[..ITERATION_AT.start], &header[ITERATION_AT.end..]].concat(),
        _ => header.to_vec(),
    }
}

/// Parses a distribution: the header, then the chain key as every byte up to the last 32, then the signing public
/// key. The chain key's length is checked — except under [`Bug::ChainKeyLengthPanic`], which `copy_from_slice`s
/// whatever is there.
pub(super) fn parse_distribution(bytes: &[u8], bug: Option<Bug>) -> Result<Distribution, Rejection> {
    check_size(WHAT_DISTRIBUTION, bytes)?;
    let mut reader = Reader {
        what: WHAT_DISTRIBUTION,
        rest: bytes,
    };
    let (key_id, iteration) = reader.header(KIND_DISTRIBUTION)?;
    let Some(split) = reader.rest.len().checked_sub(SIGNING_PUBLIC_KEY_BYTES) else {
        let (expected, actual) = (CHAIN_KEY_BYTES + SIGNING_PUBLIC_KEY_BYTES, reader.rest.len());
        return Err(bad_length(
            WHAT_DISTRIBUTION,
            "signing_public_key",
            expected,
            actual,
        ));
    };
    let (chain, public) = reader.rest.split_at(split);
    if bug != Some(Bug::ChainKeyLengthPanic) && chain.len() != CHAIN_KEY_BYTES {
        return Err(bad_length(
            WHAT_DISTRIBUTION,
            "chain_key",
            CHAIN_KEY_BYTES,
            chain.len(),
        ));
    }
    let mut chain_key = [0u8; CHAIN_KEY_BYTES];
    // The flaw's line under ChainKeyLengthPanic: panics when the slice is not 32 bytes.
    chain_key.copy_from_slice(chain);
    let mut signing_public_key = [0u8; SIGNING_PUBLIC_KEY_BYTES];
    signing_public_key.copy_from_slice(public);
    Ok(Distribution {
        key_id,
        iteration,
        chain_key,
        signing_public_key,
    })
}

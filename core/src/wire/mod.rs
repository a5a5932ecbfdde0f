//! Wire formats: each message and distribution of each modelled system, with `encode` and `parse`.
//!
//! Every parser takes untrusted bytes and returns a value that cannot hold a bad length: keys, nonces and
//! signatures are fixed-size arrays, ids are validated. Parsers never panic, refuse input larger than
//! [`WIRE_BYTES_MAX`] before looking at it, reject unknown versions, and
//! satisfy `parse(encode(x)) == x`. Where a format is canonical (`hardened`, and the JSON formats as this
//! crate writes them), `encode(parse(b)) == b` for every `b` this crate produced.
//!
//! | module | messages | source |
//! |---|---|---|
//! | [`accord`] | envelope `{v, sk, i, iv, ct, sig}`, distribution `{type:"skdm", ...}` | Accord design, Appendix A |
//! | [`chatalot`] | `{v:1, sk:true, message:{...}}`, distribution `{chain_id, iteration, chain_key, sender_id}` | Chatalot group-encryption document |
//! | [`p2p`] | protobuf `GroupMessage`, `SenderKeyDistribution`, `SenderKeyRequest` | the peer-to-peer sketch, step 6 |
//! | [`signal`] | `[version][SenderKeyMessage][signature]`, `[version][SenderKeyDistributionMessage]` | libsignal `wire.proto` |
//! | [`hardened`] | compact binary message and distribution | this project |

pub mod accord;
pub mod chatalot;
pub mod hardened;
mod json;
pub mod p2p;
pub mod signal;

use crate::consts::{AEAD_TAG_BYTES, CIPHERTEXT_BYTES_MAX, WIRE_BYTES_MAX};
use crate::error::{Error, PeerMisbehaved, Result};

/// Refuses input larger than [`WIRE_BYTES_MAX`] before any parsing (no allocation beyond what the input justifies).
pub(crate) fn check_wire_size(what: &'static str, bytes: &[u8]) -> Result<()> {
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

/// Converts a slice into a fixed-size array, or names the field whose length is wrong.
pub(crate) fn fixed<const N: usize>(
    what: &'static str,
    field: &'static str,
    bytes: &[u8],
) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| {
        PeerMisbehaved::BadLength {
            what,
            field,
            expected: N,
            actual: bytes.len(),
        }
        .into()
    })
}

/// Checks an AEAD ciphertext (tag included): at least the tag, at most [`CIPHERTEXT_BYTES_MAX`].
pub(crate) fn check_aead_ciphertext(what: &'static str, ciphertext: &[u8]) -> Result<()> {
    if ciphertext.len() < AEAD_TAG_BYTES {
        return Err(PeerMisbehaved::BadLength {
            what,
            field: "ciphertext",
            expected: AEAD_TAG_BYTES,
            actual: ciphertext.len(),
        }
        .into());
    }
    check_ciphertext_max(what, ciphertext)
}

/// Checks a ciphertext against [`CIPHERTEXT_BYTES_MAX`].
pub(crate) fn check_ciphertext_max(what: &'static str, ciphertext: &[u8]) -> Result<()> {
    if ciphertext.len() > CIPHERTEXT_BYTES_MAX {
        return Err(PeerMisbehaved::TooLarge {
            what,
            actual: ciphertext.len(),
            limit: CIPHERTEXT_BYTES_MAX,
        }
        .into());
    }
    Ok(())
}

/// Decodes standard base64 (with padding), naming the field on failure.
pub(crate) fn base64_field(what: &'static str, field: &'static str, text: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| Error::malformed(what, format!("field `{field}` is not valid base64: {e}")))
}

/// Encodes standard base64 with padding.
pub(crate) fn base64_text(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

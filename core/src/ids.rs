//! Identifiers: members, groups and sender keys. Each type can only hold a valid value.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::consts::{FINGERPRINT_BYTES, ID_BYTES_MAX};
use crate::error::{ApiMisuse, Result};

/// Checks the rules shared by member and group ids.
fn check_id(what: &'static str, id: &str) -> Result<()> {
    let reason = if id.is_empty() {
        "must not be empty"
    } else if id.len() > ID_BYTES_MAX {
        "is longer than ID_BYTES_MAX (128) bytes"
    } else if id.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(());
    };
    Err(ApiMisuse::InvalidId {
        what,
        id: id.chars().take(40).collect(),
        reason,
    }
    .into())
}

/// The first eight bytes of an id, zero-padded, as a big-endian integer.
///
/// Ids are compared by this first and by their text only when it ties. Ids hold no control characters, so no
/// NUL byte: padding with zeros sorts a shorter id before every longer one it begins, and the order is exactly
/// the order of the texts. Maps keyed by ids (a receiver's senders, the simulator's members) then resolve most
/// comparisons without reading the text from the heap.
fn head(id: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(bytes)
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        ///
        /// Ordered as its text (see `head`).
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name {
            /// The first eight bytes of `text` (compared first; derived from `text`, so equal texts agree).
            head: u64,
            /// The id.
            text: String,
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
                s.serialize_str(&self.text)
            }
        }

        impl $name {
            /// Validates and wraps an id: non-empty, at most [`ID_BYTES_MAX`] bytes of UTF-8, no control characters.
            pub fn new(id: impl Into<String>) -> Result<Self> {
                let id = id.into();
                check_id($what, &id)?;
                Ok(Self {
                    head: head(&id),
                    text: id,
                })
            }

            /// Validates an id given as bytes (formats that carry ids as byte strings).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                let id = core::str::from_utf8(bytes).map_err(|_| ApiMisuse::InvalidId {
                    what: $what,
                    id: String::from_utf8_lossy(bytes).chars().take(40).collect(),
                    reason: "is not valid UTF-8",
                })?;
                Self::new(id)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.text
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.text)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A group member, as named by the transport (the pairwise channel or the server's metadata).
    MemberId,
    "member"
);
string_id!(
    /// A group (Accord's channel id, the peer-to-peer sketch's `group_id`).
    GroupId,
    "group"
);

/// Identifies one sender key of one sender.
///
/// Chatalot, Signal and `hardened` name a key by a random 32-bit chain id. Accord names it by a fingerprint
/// of its signing public key. The peer-to-peer sketch's messages carry no key id at all; there the reference
/// identifies a key locally by its fingerprint and finds it by trying the sender's retained signing keys.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyId {
    /// A 32-bit chain id.
    Chain(u32),
    /// The first 8 bytes of SHA-256 of the signing public key.
    Fingerprint([u8; FINGERPRINT_BYTES]),
}

impl KeyId {
    /// The fingerprint of a signing public key: the first 8 bytes of its SHA-256 (Accord `senderKeyFingerprint`).
    pub fn fingerprint_of(signing_public_key: &[u8]) -> Self {
        let digest = Sha256::digest(signing_public_key);
        let mut fp = [0u8; FINGERPRINT_BYTES];
        fp.copy_from_slice(&digest[..FINGERPRINT_BYTES]);
        KeyId::Fingerprint(fp)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyId::Chain(id) => write!(f, "#{id}"),
            KeyId::Fingerprint(fp) => write!(f, "{}", hex::encode(fp)),
        }
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_at_their_length_bound() {
        assert!(MemberId::new("a".repeat(ID_BYTES_MAX)).is_ok());
        let err = MemberId::new("a".repeat(ID_BYTES_MAX + 1)).unwrap_err();
        assert_eq!(err.reason(), "invalid-id");
        assert!(GroupId::new("").is_err());
        assert!(GroupId::new("line\nbreak").is_err());
        assert!(MemberId::from_bytes(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn ids_are_ordered_as_their_texts() {
        let texts = [
            "a",
            "a ",
            "a0",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefgh ",
            "abcdefgha",
            "abcdefgi",
            "b",
            "m10",
            "m100",
            "m2",
            "z\u{e9}",
            "\u{e9}",
            "abcdefghabcdefgh",
            "abcdefghabcdefgi",
        ];
        let mut by_id: Vec<MemberId> = texts.iter().map(|t| MemberId::new(*t).expect("valid")).collect();
        by_id.sort();
        let mut by_text = texts.to_vec();
        by_text.sort_unstable();
        assert_eq!(by_id.iter().map(MemberId::as_str).collect::<Vec<_>>(), by_text);
        for (a, b) in by_id.iter().zip(&by_id[1..]) {
            assert!(a < b && a != b, "{a:?} < {b:?}");
        }
        assert_eq!(
            serde_json::to_string(&MemberId::new("m7").expect("valid")).expect("serializes"),
            "\"m7\""
        );
    }

    #[test]
    fn fingerprint_is_first_eight_bytes_of_sha256() {
        // SHA-256("") = e3b0c442 98fc1c14 ...
        assert_eq!(KeyId::fingerprint_of(b"").to_string(), "e3b0c44298fc1c14");
    }
}

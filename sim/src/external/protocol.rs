//! The messages of the adapter protocol, version [`PROTOCOL_VERSION`] (specified in `docs/external-protocol.md`).
//!
//! One JSON object per line in each direction. sksim writes a [`Request`]; the adapter answers with exactly one
//! [`Response`] carrying the same `id` before the next request is written. Byte strings travel as standard
//! base64 with padding. Both sides of sksim use these types — the client in [`super::client`] and the adapter
//! loop in [`super::serve`] — so they cannot drift apart; adapters in other languages follow the document.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::implementation::{ChainPosition, Transport};
use crate::limits::REASON_BYTES_MAX;

/// The protocol version sksim speaks; `hello` carries it and the adapter must answer with the same number.
pub const PROTOCOL_VERSION: u32 = 1;

/// Random bytes sksim draws from the member's (or the adversary's) seeded stream for each operation that may use
/// randomness (`rotate`, `encrypt`, `forge_as`). An adapter that needs more expands them (the reference adapter
/// seeds ChaCha20 with the first 32); one that takes its randomness only from here is fully deterministic.
pub const RANDOM_BYTES: usize = 64;

/// Base64 (standard alphabet, padded) of `bytes`.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes the base64 field `field`, naming it in the error.
///
/// # Errors
///
/// When `text` is not standard padded base64.
pub fn unb64(field: &str, text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text)
        .map_err(|e| format!("`{field}` is not standard padded base64: {e}"))
}

/// A request from sksim to the adapter: `{"id": N, "op": "...", ...the operation's fields}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The request's number: 1, 2, 3, ... over the run (continuing when sksim starts the adapter again); its
    /// response carries it back.
    pub id: u64,
    /// What to do.
    #[serde(flatten)]
    pub op: Op,
}

/// The operations. `instance` is a handle sksim chooses (`create`, `import`) and names in every later request
/// for that instance; handles are never reused within a process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// The first request. Answer: [`Hello`].
    Hello {
        /// [`PROTOCOL_VERSION`].
        protocol: u32,
    },
    /// A fresh instance for `member` in `group`, with no sender key yet. Answer: [`Done`].
    Create {
        /// The new handle.
        instance: u64,
        /// The group id.
        group: String,
        /// The member id.
        member: String,
    },
    /// An instance rebuilt from an `export`. Answer: `{}`, ([`Done`]), or a rejection if `state` is not one.
    Import {
        /// The new handle.
        instance: u64,
        /// Base64 of the exported state.
        state: String,
    },
    /// sksim no longer uses the instance; the adapter may free it. Answer: [`Done`].
    Drop {
        /// The handle.
        instance: u64,
    },
    /// A fresh own sender key (the first, or a rotation). Answer: [`DistributionAnswer`].
    Rotate {
        /// The handle.
        instance: u64,
        /// Base64 of [`RANDOM_BYTES`] random bytes.
        random: String,
        /// The iteration the fresh chain starts at (`Implementation::create_sender_key_at`); absent means 0. An
        /// adapter that cannot start a chain elsewhere refuses any other value as `unsupported`.
        #[serde(default, skip_serializing_if = "is_zero")]
        iteration: u32,
    },
    /// The distribution of the current own sender key. Answer: [`DistributionAnswer`].
    Distribution {
        /// The handle.
        instance: u64,
    },
    /// A distribution that arrived from `from`. Answer: [`Done`].
    ProcessDistribution {
        /// The handle.
        instance: u64,
        /// Who it came from (the pairwise channel's sender, or the server).
        from: String,
        /// Base64 of the distribution.
        distribution: String,
    },
    /// Encrypt a message. Answer: [`Encrypted`].
    Encrypt {
        /// The handle.
        instance: u64,
        /// Base64 of the plaintext.
        plaintext: String,
        /// Base64 of [`RANDOM_BYTES`] random bytes.
        random: String,
    },
    /// Decrypt an envelope the server relayed as coming from `from`. Answer: [`Decrypted`].
    Decrypt {
        /// The handle.
        instance: u64,
        /// The sender the server names.
        from: String,
        /// Base64 of the envelope.
        envelope: String,
    },
    /// Delete everything held of `member`. Answer: [`Done`].
    ForgetSender {
        /// The handle.
        instance: u64,
        /// The member who left or was removed.
        member: String,
    },
    /// The whole state. Answer: [`State`].
    Export {
        /// The handle.
        instance: u64,
    },
    /// The part of the state a message from `member` may change. Answer: [`State`]. Optional.
    ExportSender {
        /// The handle.
        instance: u64,
        /// The sender.
        member: String,
    },
    /// The largest skipped-key cache held for `member`. Answer: [`SkippedKeys`].
    SkippedKeys {
        /// The handle.
        instance: u64,
        /// The sender.
        member: String,
    },
    /// Distributions of other members' keys this member hands a newcomer (forwarding transport). Answer:
    /// [`Forwarded`]. Optional.
    ForwardedDistributions {
        /// The handle.
        instance: u64,
    },
    /// The secret signing key of the current own sender key. Answer: [`SigningKey`]. Optional.
    SigningKey {
        /// The handle.
        instance: u64,
    },
    /// The adversary's forgery tool (see `Implementation::forge_as`); must not change the state. Answer:
    /// [`Forged`]. Optional.
    ForgeAs {
        /// The handle.
        instance: u64,
        /// Whose name to forge in.
        sender: String,
        /// Base64 of a stolen signing key, or `null`.
        signing_key: Option<String>,
        /// Base64 of the plaintext.
        plaintext: String,
        /// Base64 of [`RANDOM_BYTES`] random bytes.
        random: String,
        /// How many iterations past the next one, plus one (`Implementation::forge_ahead_as`); absent means 1. An
        /// adapter that cannot step the chain forward refuses any other value as `unsupported`.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        ahead: u32,
    },
}

impl<'de> Deserialize<'de> for Request {
    /// Strict: an unknown operation or field is refused (serde cannot combine `flatten` with that, so the `id` is
    /// taken out first and the rest parsed as the operation).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut object = serde_json::Map::deserialize(d)?;
        let id = object.remove("id").ok_or_else(|| D::Error::missing_field("id"))?;
        let id = id
            .as_u64()
            .ok_or_else(|| D::Error::custom(format!("`id` must be an unsigned integer, got {id}")))?;
        let op = Op::deserialize(serde_json::Value::Object(object)).map_err(D::Error::custom)?;
        Ok(Request { id, op })
    }
}

impl Op {
    /// The operation's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Hello { .. } => "hello",
            Op::Create { .. } => "create",
            Op::Import { .. } => "import",
            Op::Drop { .. } => "drop",
            Op::Rotate { .. } => "rotate",
            Op::Distribution { .. } => "distribution",
            Op::ProcessDistribution { .. } => "process_distribution",
            Op::Encrypt { .. } => "encrypt",
            Op::Decrypt { .. } => "decrypt",
            Op::ForgetSender { .. } => "forget_sender",
            Op::Export { .. } => "export",
            Op::ExportSender { .. } => "export_sender",
            Op::SkippedKeys { .. } => "skipped_keys",
            Op::ForwardedDistributions { .. } => "forwarded_distributions",
            Op::SigningKey { .. } => "signing_key",
            Op::ForgeAs { .. } => "forge_as",
        }
    }
}

/// A response: exactly one of `ok`, `rejected` and `error`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The request's `id`.
    pub id: u64,
    /// The operation succeeded; its answer (an object, `{}` when there is nothing to say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<serde_json::Value>,
    /// The implementation refused the input (a verdict about the input, not a failure of the adapter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Rejected>,
    /// The adapter could not serve the request (unknown instance, unknown op, ...): counted as a protocol error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Chain steps the operation took, accepted or rejected (`decrypt` and `process_distribution`; optional):
    /// judged by `bounded-state` against the protocol's forward-jump bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_steps: Option<u64>,
}

/// A refusal: a stable kebab-case reason (`duplicate`, `unknown-key`, ..., `unsupported` for an optional
/// operation the adapter does not offer) and free text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejected {
    /// The reason, `[a-z0-9-]`, at most [`REASON_BYTES_MAX`] bytes.
    pub reason: String,
    /// Detail for humans.
    #[serde(default)]
    pub detail: String,
}

/// Whether `reason` is a valid reason name: 1 to [`REASON_BYTES_MAX`] bytes of `[a-z0-9-]`.
pub fn valid_reason(reason: &str) -> bool {
    !reason.is_empty()
        && reason.len() <= REASON_BYTES_MAX
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The answer to `hello`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// Must equal the request's `protocol`.
    pub protocol: u32,
    /// The implementation's name, shown in reports as `external:<name>` (1 to [`NAME_BYTES_MAX`](crate::limits::NAME_BYTES_MAX) bytes).
    pub name: String,
    /// How its distributions travel: `pairwise`, `server-plaintext` or `forwarded`.
    pub transport: Transport,
    /// The largest skipped-key cache it allows per receiver state (judged by `bounded-state`).
    pub skipped_keys_max: u64,
}

/// The answer to `rotate` and `distribution`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionAnswer {
    /// Base64 of the distribution.
    pub distribution: String,
}

/// The answer to `create`, `import`, `drop`, `process_distribution` and `forget_sender`: `{}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Done {}

/// The answer to `encrypt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encrypted {
    /// Base64 of the envelope.
    pub envelope: String,
    /// Where the envelope sits in the sender's chain (optional ground truth; `null` if the adapter does not say).
    #[serde(default)]
    pub position: Option<ChainPosition>,
}

/// The answer to `decrypt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decrypted {
    /// Who the implementation shows as the sender.
    pub sender: String,
    /// Base64 of what it shows as the message.
    pub plaintext: String,
    /// The largest skipped-key cache now held for `from` (optional: saves a `skipped_keys` request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_keys: Option<u64>,
}

/// The answer to `export` and `export_sender`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Base64 of the state.
    pub state: String,
}

/// The answer to `skipped_keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedKeys {
    /// The largest cache.
    pub skipped_keys: u64,
}

/// The answer to `forwarded_distributions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forwarded {
    /// The distributions, each with the member whose key it is.
    pub distributions: Vec<ForwardedDistribution>,
}

/// One forwarded distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardedDistribution {
    /// Whose key it is.
    pub member: String,
    /// Base64 of the distribution.
    pub distribution: String,
}

/// The answer to `signing_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKey {
    /// Base64 of the secret signing key, or `null` (unsigned design, or no key yet).
    pub signing_key: Option<String>,
}

/// The answer to `forge_as`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forged {
    /// Base64 of the forged envelope.
    pub envelope: String,
}

/// Whether `rotate`'s `iteration` is the default (and so left out of the request).
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(iteration: &u32) -> bool {
    *iteration == 0
}

/// The default of `forge_as`'s `ahead`.
fn one() -> u32 {
    1
}

/// Whether `forge_as`'s `ahead` is the default (and so left out of the request).
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_one(ahead: &u32) -> bool {
    *ahead == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_flat_objects_tagged_by_op() {
        let request = Request {
            id: 7,
            op: Op::Decrypt {
                instance: 3,
                from: "m1".to_owned(),
                envelope: b64(b"\x01\x02"),
            },
        };
        let line = serde_json::to_string(&request).expect("serialises");
        assert_eq!(
            line,
            r#"{"id":7,"op":"decrypt","instance":3,"from":"m1","envelope":"AQI="}"#
        );
        let back: Request = serde_json::from_str(&line).expect("parses");
        assert_eq!(back, request);
        assert_eq!(back.op.name(), "decrypt");
    }

    #[test]
    fn unknown_fields_and_ops_are_refused() {
        let err = serde_json::from_str::<Request>(r#"{"id":1,"op":"explode","instance":1}"#)
            .expect_err("unknown op");
        assert!(err.to_string().contains("explode"), "{err}");
        assert!(serde_json::from_str::<Response>(r#"{"id":1,"ok":{},"extra":1}"#).is_err());
        let err = serde_json::from_str::<Request>(r#"{"id":1,"op":"drop","instance":1,"extra":1}"#)
            .expect_err("unknown field");
        assert!(err.to_string().contains("extra"), "{err}");
        let err = serde_json::from_str::<Request>(r#"{"op":"drop","instance":1}"#).expect_err("no id");
        assert!(err.to_string().contains("id"), "{err}");
    }

    #[test]
    fn reasons_are_short_kebab_case() {
        assert!(valid_reason("unknown-key"));
        assert!(valid_reason(&"a".repeat(REASON_BYTES_MAX)));
        assert!(!valid_reason(&"a".repeat(REASON_BYTES_MAX + 1)));
        assert!(!valid_reason(""));
        assert!(!valid_reason("Unknown key"));
    }

    #[test]
    fn base64_errors_name_the_field() {
        assert_eq!(unb64("envelope", "AQI=").expect("valid"), vec![1, 2]);
        let err = unb64("envelope", "not base64!").expect_err("invalid");
        assert!(err.starts_with("`envelope`"), "{err}");
    }
}

//! `senderkeys`: a hardened Sender Keys ratchet that speaks the wire formats of the systems sksim models.
//!
//! Start at [`GroupSession`], the reference state machine: one member's view of one group in one
//! [`SuiteId`]. The [`wire`] codecs parse and encode every message of every modelled system; [`kdf`],
//! [`cipher`] and [`signing`] are the primitives; [`consts`] holds every limit.
//!
//! The crate does no I/O, reads no clock and draws no randomness of its own: every random value comes
//! from the `rand_core::CryptoRng` the caller passes in.
#![forbid(unsafe_code)]

pub mod cipher;
pub mod consts;
pub mod distribution;
pub mod error;
pub mod fuzzing;
pub mod ids;
pub mod kdf;
pub mod memo;
pub mod message;
pub mod receiver;
pub mod sender_key;
pub mod sender_record;
pub mod session;
pub mod signing;
pub mod state;
pub mod suite;
pub mod wire;

pub use error::{Error, Result};
pub use ids::{GroupId, KeyId, MemberId};
pub use memo::{Memo, MemoStats, SharedMemo};
pub use message::EncryptedMessage;
pub use sender_key::{OwnSenderKey, SenderKeyDistribution};
pub use session::{Decrypted, GroupSession};
pub use signing::{SigningKeyPair, SigningPublicKey};
pub use suite::SuiteId;

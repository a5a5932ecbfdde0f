//! `senderkeys`: a hardened Sender Keys ratchet that speaks the wire formats of the systems sksim models.
//!
//! Start at [`GroupSession`], the reference state machine: one member's view of one group in one
//! [`SuiteId`]. It fails with an [`Error`] that says whose fault it was: [`PeerMisbehaved`] (a message or
//! distribution is bad; nothing changed) or [`ApiMisuse`] (the call itself was wrong).
//!
//! The public surface, all at the crate root unless named:
//! - the state machine: [`GroupSession`], [`Decrypted`], [`EncryptedMessage`] (every intermediate value of one
//!   encryption, for known-answer vectors), [`OwnSenderKey`] and [`ReceiverState`] (read-only views of its keys);
//! - identifiers: [`MemberId`], [`GroupId`], [`KeyId`];
//! - suites and the primitives they are built from, for implementations that reuse them: [`SuiteId`], [`Suite`],
//!   [`Signed`], [`Kdf`], [`ChainKey`], [`MessageKey`], [`Cipher`], [`Nonce`], [`SigningKeyPair`],
//!   [`SigningPublicKey`];
//! - [`consts`]: every limit and length;
//! - [`wire`]: one codec per modelled system, parsing and encoding every message and distribution;
//! - [`memo`]: the memo of pure work a harness may share between sessions ([`Memo`], [`SharedMemo`]);
//! - [`testing`]: **not API** — the adversary's tools and the fuzz-target bodies, for the simulator and tests.
//!
//! The crate does no I/O, reads no clock and draws no randomness of its own: every random value comes
//! from the `rand_core::CryptoRng` the caller passes in.
#![forbid(unsafe_code)]

mod cipher;
pub mod consts;
mod distribution;
mod error;
mod ids;
mod kdf;
pub mod memo;
mod message;
mod receiver;
mod sender_key;
mod sender_record;
mod session;
mod signing;
mod state;
mod suite;
pub mod testing;
pub mod wire;

pub use cipher::{Cipher, Nonce, OpenFailed};
pub use error::{ApiMisuse, Error, PeerMisbehaved, Result};
pub use ids::{GroupId, KeyId, MemberId};
pub use kdf::{CHATALOT_CHAIN_INFO, ChainKey, Kdf, MessageKey, SIGNAL_MESSAGE_KEY_INFO};
pub use memo::{Memo, MemoStats, SharedMemo};
pub use message::EncryptedMessage;
pub use receiver::ReceiverState;
pub use sender_key::OwnSenderKey;
pub use session::{Decrypted, GroupSession};
pub use signing::{SigningKeyPair, SigningPublicKey};
pub use suite::{Signed, Suite, SuiteId, UnknownSuite};

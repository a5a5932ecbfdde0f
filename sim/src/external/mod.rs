//! External implementations: an adapter process, in any language, that speaks a line-delimited JSON protocol
//! on its standard input and output (`implementation = "external:<command line>"`).
//!
//! * [`protocol`]: the messages, versioned ([`protocol::PROTOCOL_VERSION`]); the specification with a full
//!   example exchange is `docs/external-protocol.md`.
//! * [`client`]: sksim's side — [`client::ExternalFactory`] starts the adapter, forwards every
//!   [`crate::Implementation`] call, and turns crashes, hangs and protocol violations into findings.
//! * [`serve`]: the adapter's side for sksim's built-in implementations (the `sksim-adapter` binary), against
//!   which the client and other adapters are tested.

pub mod client;
pub mod protocol;
pub mod serve;

pub use client::{ADAPTER_TIMEOUT_DEFAULT, ExternalFactory};

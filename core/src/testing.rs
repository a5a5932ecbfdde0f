//! **Not API.** Tools that exist only for tests, fuzzing and the simulator's adversary. Nothing here is covered
//! by semver and any of it may change or go away in any release; an application has no use for it.
//!
//! - [`forge_as`] (and [`forge_ahead_as`], further along the chain) and [`steal_signing_key`]: what the simulator's adversary does with a member's state — write
//!   in another sender's name from a held receiver chain, and take a member's secret signing key (an exposure).
//!   An honest member never calls either.
//! - [`create_sender_key_at`]: a sender key whose chain starts near the end of its counter.
//! - [`own_distribution`]: a member's own sender key as a typed [`SenderKeyDistribution`], secret chain key
//!   included, for the known-answer vectors.
//! - [`fuzz`]: the bodies of the fuzz targets in `fuzz/`, kept in the library so that `cargo test` replays their
//!   corpora without libFuzzer.

pub mod fuzz;

pub use crate::sender_key::SenderKeyDistribution;

use rand_core::CryptoRng;

use crate::error::{ApiMisuse, PeerMisbehaved, Result};
use crate::ids::MemberId;
use crate::message;
use crate::sender_key::OwnSenderKey;
use crate::session::GroupSession;
use crate::signing::SigningKeyPair;

/// The adversary's forgery (used by the simulator on clones and insiders, never by an honest member): encrypts
/// `plaintext` in `sender`'s name from the newest receiver state `session` holds for it, at that state's next
/// iteration, signed with `stolen` — the sender's secret signing key — or, without it, with a fresh key pair of
/// the forger's own, which every signed suite's receivers refuse. Unsigned suites need no key: any member holding
/// a sender's chain can write as that sender. Changes nothing in `session`.
pub fn forge_as<R: CryptoRng + ?Sized>(
    session: &GroupSession,
    sender: &MemberId,
    stolen: Option<&SigningKeyPair>,
    rng: &mut R,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    forge_ahead_as(session, sender, stolen, 1, rng, plaintext)
}

/// [`forge_as`] at `ahead` iterations past the state's next one, less one (`ahead = 1` is [`forge_as`]): the chain
/// is stepped forward, so the envelope is exactly what the sender would write after skipping `ahead - 1`
/// iterations — a jump a receiver must bound. Takes `ahead - 1` chain steps, so the caller bounds `ahead`; fails
/// with [`ApiMisuse::IterationExhausted`] if the iteration would pass the end of the counter.
pub fn forge_ahead_as<R: CryptoRng + ?Sized>(
    session: &GroupSession,
    sender: &MemberId,
    stolen: Option<&SigningKeyPair>,
    ahead: u32,
    rng: &mut R,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let state = session
        .receiver_states(sender)
        .next()
        .ok_or_else(|| PeerMisbehaved::UnknownSender {
            sender: sender.clone(),
        })?;
    let signing = match stolen {
        Some(key) => Some(key.clone()),
        None => session.suite.is_signed().then(|| SigningKeyPair::generate(rng)),
    };
    let next = state.next + u64::from(ahead.max(1) - 1);
    if next >= crate::receiver::ITERATIONS_END {
        return Err(ApiMisuse::IterationExhausted { key_id: state.key_id }.into());
    }
    let kdf = session.suite.suite().kdf;
    let mut chain_key = state.chain_key.clone();
    for _ in 1..ahead.max(1) {
        chain_key = kdf.next_chain_key(&chain_key);
    }
    let mut forged = OwnSenderKey {
        key_id: state.key_id,
        signing,
        chain_key,
        next,
    };
    Ok(message::seal(session.suite, &session.group, sender, &mut forged, rng, plaintext)?.wire)
}

/// A fresh own sender key for `session` whose chain starts at `iteration` instead of 0 — the first key or a
/// rotation, as [`GroupSession::create_sender_key`] — so a harness reaches the end of the 32-bit counter in a few
/// messages. Returns the distribution.
pub fn create_sender_key_at<R: CryptoRng + ?Sized>(
    session: &mut GroupSession,
    rng: &mut R,
    iteration: u32,
) -> Result<Vec<u8>> {
    session.create_sender_key_at(rng, iteration)
}

/// The secret signing key of `session`'s own sender key, as an adversary who has exposed the member's state
/// holds it (`None` before a key exists, and for unsigned suites).
pub fn steal_signing_key(session: &GroupSession) -> Option<&SigningKeyPair> {
    session.own.as_ref()?.signing.as_ref()
}

/// `session`'s own sender key at its current iteration, as a typed distribution (chain key included): what the
/// known-answer vectors record. Fails as [`crate::GroupSession::distribution`] does.
pub fn own_distribution(session: &GroupSession) -> Result<SenderKeyDistribution> {
    session
        .own
        .as_ref()
        .ok_or(ApiMisuse::NoOwnSenderKey)?
        .distribution()
}

//! Drives the fuzz-target bodies (`senderkeys::testing::fuzz`) with genuine encodings from every suite and with
//! seeded mutations of them, so the round-trip laws the fuzzers assert are also checked by `cargo test`.

mod common;

use rand_core::Rng;
use senderkeys::{SuiteId, testing::fuzz};

/// Mutations tried per genuine encoding.
const MUTATIONS: usize = 300;

/// Feeds `data` to the body for `suite`'s message format (`distribution` picks the distribution codec).
fn feed(suite: SuiteId, distribution: bool, data: &[u8]) {
    let tagged = |tag: u8| [&[tag], data].concat();
    match (suite, distribution) {
        (SuiteId::Accord, false) => fuzz::accord_envelope(data),
        (SuiteId::Accord, true) => fuzz::accord_distribution(data),
        (SuiteId::Chatalot, false) => fuzz::chatalot_message(data),
        (SuiteId::Chatalot, true) => fuzz::chatalot_distribution(data),
        (SuiteId::P2p, d) => fuzz::p2p(&tagged(u8::from(d))),
        (SuiteId::Signal, d) => fuzz::signal(&tagged(u8::from(d))),
        (SuiteId::Hardened, d) => fuzz::hardened(&tagged(u8::from(d))),
    }
}

fn mutate(rng: &mut impl Rng, data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let at = usize::try_from(rng.next_u64() % out.len() as u64).expect("index fits");
    match rng.next_u32() % 3 {
        0 => out[at] ^= 1 << (rng.next_u32() % 8),
        1 => out.truncate(at),
        _ => out.insert(at, u8::try_from(rng.next_u32() & 0xff).expect("byte")),
    }
    out
}

#[test]
fn fuzz_bodies_accept_genuine_and_mutated_encodings() {
    let mut rng = common::rng(0xf022);
    for suite in SuiteId::ALL {
        let mut pair = common::pair(suite, 11);
        let mut inputs = vec![(false, pair.send(1).remove(0)), (true, pair.distribution.clone())];
        inputs.push((false, pair.send(1).remove(0)));
        for (distribution, data) in inputs {
            feed(suite, distribution, &data);
            for _ in 0..MUTATIONS {
                feed(suite, distribution, &mutate(&mut rng, &data));
            }
        }
    }
}

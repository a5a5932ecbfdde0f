//! Core benchmarks, per suite, 100-byte messages: encrypt, and decrypt in order.
//!
//! `cargo bench -p sksim-benches --bench core`; `cargo test -p sksim-benches --benches` runs each once as a
//! smoke test.
#![allow(missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use senderkeys::{GroupId, GroupSession, MemberId, SuiteId};

const PLAINTEXT: [u8; 100] = [0x5a; 100];

fn sessions(suite: SuiteId) -> (GroupSession, GroupSession, MemberId, ChaCha20Rng) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let group = GroupId::new("bench").expect("valid group");
    let alice_id = MemberId::new("alice").expect("valid member");
    let mut alice = GroupSession::new(suite, group.clone(), alice_id.clone());
    let mut bob = GroupSession::new(suite, group, MemberId::new("bob").expect("valid member"));
    let dist = alice.create_sender_key(&mut rng).expect("create");
    bob.process_distribution(&alice_id, &dist).expect("process");
    (alice, bob, alice_id, rng)
}

fn encrypt_and_decrypt(c: &mut Criterion) {
    for suite in SuiteId::ALL {
        let (mut alice, mut bob, alice_id, mut rng) = sessions(suite);
        c.bench_function(&format!("{suite}/encrypt"), |b| {
            b.iter(|| alice.encrypt(&mut rng, &PLAINTEXT).expect("encrypt"))
        });
        c.bench_function(&format!("{suite}/decrypt-in-order"), |b| {
            b.iter_batched(
                || alice.encrypt(&mut rng, &PLAINTEXT).expect("encrypt"),
                |wire| bob.decrypt(&alice_id, &wire).expect("decrypt"),
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, encrypt_and_decrypt);
criterion_main!(benches);

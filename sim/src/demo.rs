//! A small, exact demonstration of every suite: three members create and exchange sender keys, send
//! messages that arrive in a seeded random order, and receive a tampered copy and a replay. Every value
//! comes from one seed, so the same seed prints the same bytes.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use senderkeys::{Error, GroupId, GroupSession, MemberId, SuiteId};
use tabled::{Table, Tabled, settings::Style};

/// Members of the demo group.
const MEMBERS: [&str; 3] = ["alice", "bob", "carol"];
/// Messages each member sends.
const MESSAGES_PER_MEMBER: usize = 4;

/// What happened to one suite in the demo.
#[derive(Debug, Clone, PartialEq, Eq, Tabled)]
pub struct SuiteOutcome {
    /// The suite.
    pub suite: String,
    /// Message deliveries attempted (each message to each other member).
    pub deliveries: usize,
    /// Deliveries that decrypted to the plaintext that was sent.
    pub decrypted: usize,
    /// Size of one envelope, in bytes.
    pub envelope_bytes: usize,
    /// Size of one distribution, in bytes.
    pub distribution_bytes: usize,
    /// How the receiver answered a copy with one flipped bit.
    pub tampered: String,
    /// How the receiver answered a replayed envelope.
    pub replayed: String,
}

/// A shuffled delivery: (sender index, receiver index, envelope, plaintext).
type Delivery = (usize, usize, Vec<u8>, Vec<u8>);

/// Runs the demo for one suite.
pub fn run_suite(suite: SuiteId, seed: u64) -> Result<SuiteOutcome, Error> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let group = GroupId::new("demo-group")?;
    let ids = MEMBERS.map(|m| MemberId::new(m).expect("demo member ids are valid"));
    let mut sessions = ids.clone().map(|id| GroupSession::new(suite, group.clone(), id));
    let mut distribution_bytes = 0;
    for sender in 0..MEMBERS.len() {
        let dist = sessions[sender].create_sender_key(&mut rng)?;
        distribution_bytes = dist.len();
        for receiver in others(sender) {
            sessions[receiver].process_distribution(&ids[sender], &dist)?;
        }
    }
    let mut deliveries: Vec<Delivery> = Vec::new();
    for sender in 0..MEMBERS.len() {
        for n in 0..MESSAGES_PER_MEMBER {
            let plaintext = format!("message {n} from {}", MEMBERS[sender]).into_bytes();
            let wire = sessions[sender].encrypt(&mut rng, &plaintext)?;
            deliveries.extend(others(sender).map(|r| (sender, r, wire.clone(), plaintext.clone())));
        }
    }
    deliveries.shuffle(&mut rng);
    let envelope_bytes = deliveries.first().map_or(0, |d| d.2.len());
    let mut decrypted = 0;
    for (sender, receiver, wire, plaintext) in &deliveries {
        let got = sessions[*receiver].decrypt(&ids[*sender], wire)?;
        decrypted += usize::from(&got.plaintext == plaintext);
    }
    let (sender, receiver, wire, _) = deliveries.first().cloned().expect("the demo sends messages");
    let mut tampered = wire.clone();
    let bit = rng.random_range(0..tampered.len() * 8);
    tampered[bit / 8] ^= 1 << (bit % 8);
    Ok(SuiteOutcome {
        suite: suite.name().to_owned(),
        deliveries: deliveries.len(),
        decrypted,
        envelope_bytes,
        distribution_bytes,
        tampered: verdict(sessions[receiver].decrypt(&ids[sender], &tampered)),
        replayed: verdict(sessions[receiver].decrypt(&ids[sender], &wire)),
    })
}

fn others(me: usize) -> impl Iterator<Item = usize> {
    (0..MEMBERS.len()).filter(move |&m| m != me)
}

fn verdict(result: Result<senderkeys::Decrypted, Error>) -> String {
    match result {
        Ok(_) => "ACCEPTED".to_owned(),
        Err(e) => format!("rejected: {}", e.reason()),
    }
}

/// Runs every suite and renders the report the `sksim demo` command prints.
pub fn report(seed: u64) -> Result<String, Error> {
    let outcomes = SuiteId::ALL
        .into_iter()
        .map(|s| run_suite(s, seed))
        .collect::<Result<Vec<_>, _>>()?;
    let mut table = Table::new(outcomes);
    table.with(Style::markdown());
    Ok(format!(
        "seed {seed}: {} members, {MESSAGES_PER_MEMBER} messages each, delivered in a seeded random order\n\n{table}\n",
        MEMBERS.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_decrypts_everything_and_rejects_tamper_and_replay() {
        for suite in SuiteId::ALL {
            let outcome = run_suite(suite, 7).unwrap();
            assert_eq!(outcome.decrypted, outcome.deliveries, "{suite}");
            assert!(
                outcome.tampered.starts_with("rejected"),
                "{suite}: {}",
                outcome.tampered
            );
            assert_eq!(outcome.replayed, "rejected: duplicate", "{suite}");
        }
    }

    /// The exact text `sksim demo --seed 7` prints (and the README shows). After an intended change, update it
    /// with `UPDATE_EXPECT=1 cargo test -p sksim` and copy the new output into the README.
    #[test]
    fn report_snapshot() {
        expect_test::expect![[r#"
seed 7: 3 members, 4 messages each, delivered in a seeded random order

| suite    | deliveries | decrypted | envelope_bytes | distribution_bytes | tampered                   | replayed            |
|----------|------------|-----------|----------------|--------------------|----------------------------|---------------------|
| accord   | 24         | 24        | 214            | 197                | rejected: bad-signature    | rejected: duplicate |
| chatalot | 24         | 24        | 261            | 200                | rejected: malformed        | rejected: duplicate |
| p2p      | 24         | 24        | 135            | 155                | rejected: no-verifying-key | rejected: duplicate |
| signal   | 24         | 24        | 125            | 95                 | rejected: wrong-group      | rejected: duplicate |
| hardened | 24         | 24        | 128            | 75                 | rejected: bad-signature    | rejected: duplicate |
"#]]
        .assert_eq(&report(7).unwrap());
    }

    #[test]
    fn same_seed_same_report() {
        assert_eq!(report(3).unwrap(), report(3).unwrap());
        assert_ne!(report(3).unwrap(), report(4).unwrap());
    }
}

//! A small, exact demonstration of every suite: three members create and exchange sender keys, send
//! messages that arrive in a seeded random order, and receive a tampered copy and a replay. Every value
//! comes from one seed, so the same seed prints the same bytes.
//!
//! After the table, the report shows each suite's wire format as it is on the wire: one distribution and one
//! envelope, byte for byte — the JSON suites (`accord`, `chatalot`) as their JSON text, the binary ones (`p2p`'s
//! protobuf, `signal`, `hardened`) as lowercase hex, [`HEX_BYTES_PER_LINE`] bytes a line.

use rand::RngExt;
use rand::seq::SliceRandom;
use senderkeys::{Error, GroupId, GroupSession, MemberId, SuiteId};
use tabled::{Table, Tabled, settings::Style};

/// Members of the demo group.
const MEMBERS: [&str; 3] = ["alice", "bob", "carol"];
/// Messages each member sends.
const MESSAGES_PER_MEMBER: usize = 4;
/// Bytes per line of a binary wire format's hex dump (twice as many hex digits).
pub const HEX_BYTES_PER_LINE: usize = 32;
/// Indentation of a wire format's bytes under its heading.
const INDENT: &str = "    ";

/// What happened to one suite in the demo.
#[derive(Debug, Clone, PartialEq, Eq, Tabled)]
pub struct SuiteOutcome {
    /// The suite.
    pub suite: String,
    /// Message deliveries attempted (each message to each other member).
    pub deliveries: usize,
    /// Deliveries that decrypted to the plaintext that was sent.
    pub decrypted: usize,
    /// Size of the first envelope delivered (the one [`SuiteOutcome::wire`] shows), in bytes.
    pub envelope_bytes: usize,
    /// Size of its sender's distribution (the one [`SuiteOutcome::wire`] shows), in bytes.
    pub distribution_bytes: usize,
    /// How the receiver answered a copy with one flipped bit.
    pub tampered: String,
    /// How the receiver answered a replayed envelope.
    pub replayed: String,
    /// One distribution and one envelope exactly as sent (not a column of the table).
    #[tabled(skip)]
    pub wire: WireSample,
}

/// One distribution and one envelope of a suite, exactly as they went over the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireSample {
    /// The member whose distribution this is (the sender of [`WireSample::envelope`]).
    pub sender: String,
    /// A member that received both.
    pub receiver: String,
    /// The sender's distribution.
    pub distribution: Vec<u8>,
    /// The first envelope delivered: the one tampered with and replayed.
    pub envelope: Vec<u8>,
    /// The bit flipped in the tampered copy, counted from the first byte's least significant bit.
    pub tampered_bit: usize,
}

/// A shuffled delivery: (sender index, receiver index, envelope, plaintext).
type Delivery = (usize, usize, Vec<u8>, Vec<u8>);

/// Runs the demo for one suite.
pub fn run_suite(suite: SuiteId, seed: u64) -> Result<SuiteOutcome, Error> {
    let mut rng = crate::rng::stream(seed, crate::rng::Stream::Demo);
    let group = GroupId::new("demo-group")?;
    let ids = MEMBERS.map(|m| MemberId::new(m).expect("demo member ids are valid"));
    let mut sessions = ids.clone().map(|id| GroupSession::new(suite, group.clone(), id));
    let mut distributions = Vec::with_capacity(MEMBERS.len());
    for sender in 0..MEMBERS.len() {
        let dist = sessions[sender].create_sender_key(&mut rng)?;
        for receiver in others(sender) {
            sessions[receiver].process_distribution(&ids[sender], &dist)?;
        }
        distributions.push(dist);
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
    let mut decrypted = 0;
    for (sender, receiver, wire, plaintext) in &deliveries {
        let got = sessions[*receiver].decrypt(&ids[*sender], wire)?;
        decrypted += usize::from(&got.plaintext == plaintext);
    }
    let (sender, receiver, wire, _) = deliveries.first().cloned().expect("the demo sends messages");
    let distribution = distributions.get(sender).cloned().unwrap_or_default();
    let mut tampered = wire.clone();
    let bit = rng.random_range(0..tampered.len() * 8);
    tampered[bit / 8] ^= 1 << (bit % 8);
    Ok(SuiteOutcome {
        suite: suite.name().to_owned(),
        deliveries: deliveries.len(),
        decrypted,
        envelope_bytes: wire.len(),
        distribution_bytes: distribution.len(),
        tampered: verdict(sessions[receiver].decrypt(&ids[sender], &tampered)),
        replayed: verdict(sessions[receiver].decrypt(&ids[sender], &wire)),
        wire: WireSample {
            sender: MEMBERS[sender].to_owned(),
            receiver: MEMBERS[receiver].to_owned(),
            distribution,
            envelope: wire,
            tampered_bit: bit,
        },
    })
}

/// How a suite's messages are encoded: `true` for the JSON text formats, `false` for the binary ones.
fn is_json(suite: SuiteId) -> bool {
    match suite {
        SuiteId::Accord | SuiteId::Chatalot => true,
        SuiteId::P2p | SuiteId::Signal | SuiteId::Hardened => false,
    }
}

/// The name of a suite's wire format, as the demo's headings give it.
fn format_name(suite: SuiteId) -> &'static str {
    match suite {
        SuiteId::Accord => "Accord's JSON, shown as text",
        SuiteId::Chatalot => "Chatalot's JSON, shown as text",
        SuiteId::P2p => "protobuf, shown as hex",
        SuiteId::Signal => "libsignal's binary format, shown as hex",
        SuiteId::Hardened => "compact binary, shown as hex",
    }
}

/// `bytes` as the demo prints them, each line indented and ending in a newline: the text itself for a JSON
/// suite (it is printable ASCII: the encoders escape everything else), hex [`HEX_BYTES_PER_LINE`] bytes a line
/// otherwise — or if the bytes of a JSON suite were ever not plain printable text.
fn wire_lines(suite: SuiteId, bytes: &[u8]) -> String {
    let printable = bytes.iter().all(|b| (b' '..=b'~').contains(b));
    if is_json(suite) && printable && !bytes.is_empty() {
        return format!("{INDENT}{}\n", String::from_utf8_lossy(bytes));
    }
    bytes
        .chunks(HEX_BYTES_PER_LINE)
        .map(|line| format!("{INDENT}{}\n", hex::encode(line)))
        .collect()
}

/// The wire-format section of one suite.
fn wire_section(suite: SuiteId, wire: &WireSample) -> String {
    let WireSample {
        sender,
        receiver,
        distribution,
        envelope,
        tampered_bit,
    } = wire;
    format!(
        "{suite} ({format}):\n  {sender}'s distribution, as {receiver} received it ({} bytes):\n{}  \
         {sender}'s envelope to {receiver}, the one tampered with (bit {} of byte {} flipped) and replayed ({} \
         bytes):\n{}",
        distribution.len(),
        wire_lines(suite, distribution),
        tampered_bit % 8,
        tampered_bit / 8,
        envelope.len(),
        wire_lines(suite, envelope),
        format = format_name(suite),
    )
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

/// Runs every suite and renders the report the `sksim demo` command prints: the table, then each suite's wire
/// format (see the module documentation).
pub fn report(seed: u64) -> Result<String, Error> {
    let outcomes = SuiteId::ALL
        .into_iter()
        .map(|s| run_suite(s, seed))
        .collect::<Result<Vec<_>, _>>()?;
    let wires: Vec<String> = SuiteId::ALL
        .into_iter()
        .zip(&outcomes)
        .map(|(suite, outcome)| wire_section(suite, &outcome.wire))
        .collect();
    let mut table = Table::new(outcomes);
    table.with(Style::markdown());
    Ok(format!(
        "seed {seed}: {} members, {MESSAGES_PER_MEMBER} messages each, delivered in a seeded random order\n\n{table}\n\n\
         wire formats, byte for byte: JSON suites as their text, binary suites as hex ({HEX_BYTES_PER_LINE} bytes a \
         line)\n\n{}",
        MEMBERS.len(),
        wires.join("\n")
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

    /// The exact text `sksim demo --seed 7` prints. After an intended change, update it with
    /// `UPDATE_EXPECT=1 cargo test -p sksim --lib demo`.
    #[test]
    fn report_snapshot() {
        expect_test::expect![[r#"
            seed 7: 3 members, 4 messages each, delivered in a seeded random order

            | suite    | deliveries | decrypted | envelope_bytes | distribution_bytes | tampered                   | replayed            |
            |----------|------------|-----------|----------------|--------------------|----------------------------|---------------------|
            | accord   | 24         | 24        | 214            | 195                | rejected: bad-signature    | rejected: duplicate |
            | chatalot | 24         | 24        | 261            | 192                | rejected: malformed        | rejected: duplicate |
            | p2p      | 24         | 24        | 135            | 153                | rejected: no-verifying-key | rejected: duplicate |
            | signal   | 24         | 24        | 125            | 95                 | rejected: wrong-group      | rejected: duplicate |
            | hardened | 24         | 24        | 128            | 75                 | rejected: bad-signature    | rejected: duplicate |

            wire formats, byte for byte: JSON suites as their text, binary suites as hex (32 bytes a line)

            accord (Accord's JSON, shown as text):
              bob's distribution, as alice received it (195 bytes):
                {"type":"skdm","ch":"demo-group","nd":"bob","skid":"139fce9398704c7d","ck":"egeGsSep17LK2O1RUoiR/WQaNZ8p9Exr2MrIRqr2FeI=","spk":"jBEr8+T1Gs8ipHWtDaT4570gKD/IGOKWNuX5FTU1aW0=","iter":0,"rep":null}
              bob's envelope to alice, the one tampered with (bit 0 of byte 182 flipped) and replayed (214 bytes):
                {"v":1,"sk":"139fce9398704c7d","i":3,"iv":"4n4K5t4+S7Gm3yuH","ct":"XvR3JLH7TPMQpgB99KZgi7oLiq627O6XrDsDbe1zoSscdA==","sig":"xlwmVXlurDg26bRB8ng0NqHQ9D6ZDdHP28sZShKdfCJfeid5DghbvJEEcg4tiW5EXZ/kL7ZpmsWgRgBi/mLqDA=="}

            chatalot (Chatalot's JSON, shown as text):
              bob's distribution, as alice received it (192 bytes):
                {"chain_id":3000477991,"iteration":0,"chain_key":[152,65,93,47,222,122,224,97,174,209,239,104,33,251,154,179,232,158,156,125,7,227,42,169,192,52,252,210,122,7,134,177],"sender_id":[98,111,98]}
              bob's envelope to alice, the one tampered with (bit 1 of byte 9 flipped) and replayed (261 bytes):
                {"v":1,"sk":true,"message":{"chain_id":3000477991,"iteration":3,"ciphertext":[192,137,251,254,61,167,211,169,138,191,220,158,184,237,220,124,120,138,68,117,207,159,186,233,40,253,5,239,222,124,7,240,233,92],"nonce":[81,144,206,147,36,229,20,182,74,253,199,87]}}

            p2p (protobuf, shown as hex):
              bob's distribution, as alice received it (153 bytes):
                0a0a64656d6f2d67726f75701203626f621a440a207a0786b127a9d7b2cad8ed
                51528891fd641a359f29f44c6bd8cac846aaf615e212208c112bf3e4f51acf22
                a475ad0da4f8e7bd20283fc818e29636e5f9153535696d2240ca56641c965ee2
                b9f7b9033edbcb371267577e6602073e03463769310ee0ee4d409e996909e68b
                b37dc5bcf4f92d6ff4125a9bfe0ea5062220db6ad73120b709
              bob's envelope to alice, the one tampered with (bit 6 of byte 114 flipped) and replayed (135 bytes):
                0a0a64656d6f2d67726f75701203626f621803220ce27e0ae6de3e4bb1a6df2b
                872a222d45c43e6e1b4ded0b4af3b5c6c35e52a41d50c3824904ba8f7b644751
                313368f23b324074072089eeb4cc9a4927d05b4d49214345d83e5023997a4acd
                1790db7dcf208ce6672a82bed994420e28dbae676e943f16a8b581793bbb6787
                0587db25beb60e

            signal (libsignal's binary format, shown as hex):
              carol's distribution, as bob received it (95 bytes):
                330a10d3d1cc2993e1426e87b067688d9c403910cafa9fbe05180022202c7645
                4484a266b7dbb48537acb29385f4fa9f02fb8c036d55df6735a95e964d2a209c
                af1badbeb01c46dee07a86632d29fdce2df2dabf445cfc268e968c518e5846
              carol's envelope to bob, the one tampered with (bit 3 of byte 6 flipped) and replayed (125 bytes):
                330a10d3d1cc2993e1426e87b067688d9c403910cafa9fbe0518032220164b82
                f3a92b20fa4761c7242b3c028b9e6d0d59b30dc19b2b934c9d344c1c46d5fcbc
                585171ecaaea75c8053d57bbceb065026711c72081fc1f01473615b5c9b59813
                0f41c4b4cb6f59aee373e63179f77709e535118160e9b379c52f016c0c

            hardened (compact binary, shown as hex):
              carol's distribution, as alice received it (75 bytes):
                01020157c7fd4a000000002c76454484a266b7dbb48537acb29385f4fa9f02fb
                8c036d55df6735a95e964d9caf1badbeb01c46dee07a86632d29fdce2df2dabf
                445cfc268e968c518e5846
              carol's envelope to alice, the one tampered with (bit 3 of byte 8 flipped) and replayed (128 bytes):
                01010157c7fd4a000000000cf40ae7ec4c8c74791190714800000024ad3d419f
                e02330f7f7962b41e6be0a42b74068f98724c93b3bd289614e76e25178871ef7
                68dd6ffe11cafc02499b94c8469cf6cb0cb28f7ec00861cad59b0cd445ee693f
                67acf549d4ea8be274bd88f815349ae271f6eb30982d146275de1e0d68d5f801
        "#]]
        .assert_eq(&report(7).unwrap());
    }

    /// The bytes under each heading of the wire section are the suite's distribution and envelope exactly: the
    /// JSON suites' text parses as JSON and is those bytes; the binary suites' hex lines decode to them, 64 hex
    /// digits a line but the last.
    #[test]
    fn the_wire_section_shows_the_exact_bytes() {
        let report = report(7).unwrap();
        let (_, wires) = report.split_once("wire formats, byte for byte").unwrap();
        for suite in SuiteId::ALL {
            let outcome = run_suite(suite, 7).unwrap();
            let heading = format!("\n{suite} (");
            let start = wires.find(&heading).unwrap() + heading.len();
            let section = &wires[start..];
            let section = &section[..section.find("\n\n").unwrap_or(section.len())];
            // The indented lines after each of the two sub-headings.
            let mut shown: Vec<Vec<&str>> = Vec::new();
            for line in section.lines().skip(1) {
                match line.strip_prefix(INDENT) {
                    Some(bytes) => shown.last_mut().unwrap().push(bytes),
                    None => shown.push(Vec::new()),
                }
            }
            assert_eq!(shown.len(), 2, "{suite}: {section}");
            for (lines, bytes) in shown
                .iter()
                .zip([&outcome.wire.distribution, &outcome.wire.envelope])
            {
                if is_json(suite) {
                    assert_eq!(lines.len(), 1, "{suite}");
                    assert_eq!(lines[0].as_bytes(), bytes.as_slice(), "{suite}");
                    serde_json::from_str::<serde_json::Value>(lines[0]).unwrap();
                } else {
                    let (last, full) = lines.split_last().unwrap();
                    assert!(full.iter().all(|l| l.len() == 2 * HEX_BYTES_PER_LINE), "{suite}");
                    assert!(
                        !last.is_empty() && last.len() <= 2 * HEX_BYTES_PER_LINE,
                        "{suite}"
                    );
                    assert_eq!(&hex::decode(lines.concat()).unwrap(), bytes, "{suite}");
                }
            }
            assert_eq!(outcome.wire.envelope.len(), outcome.envelope_bytes, "{suite}");
            assert_eq!(
                outcome.wire.distribution.len(),
                outcome.distribution_bytes,
                "{suite}"
            );
        }
    }

    #[test]
    fn same_seed_same_report() {
        assert_eq!(report(3).unwrap(), report(3).unwrap());
        assert_ne!(report(3).unwrap(), report(4).unwrap());
    }
}

//! The fuzz targets' seed corpora (`fuzz/corpus/<target>/`) and saved regressions (`fuzz/regressions/<target>/`),
//! replayed through the fuzz-target bodies (`senderkeys::testing::fuzz`) so that `cargo test` checks every committed
//! input without libFuzzer.
//!
//! The seed corpora are generated here, deterministically: genuine encodings (the known-answer vectors' `wire`
//! bytes and distributions made by seeded sessions) plus hand-made edge cases. To rewrite them after a change to
//! the generator or to a wire format, run
//! `UPDATE_CORPUS=1 cargo test -p senderkeys --test fuzz_corpus`. Regressions are never generated: they are
//! crash inputs minimised with `cargo fuzz tmin` and committed by hand (see `fuzz/README.md`).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use senderkeys::wire::{accord, chatalot, hardened, p2p, signal};
use senderkeys::{GroupId, MemberId, SuiteId, testing::fuzz};

/// A fuzz-target body.
type Body = fn(&[u8]);

/// Every fuzz target in `fuzz/fuzz_targets/`, with the body it runs.
const TARGETS: [(&str, Body); 8] = [
    ("accord_envelope", fuzz::accord_envelope),
    ("accord_distribution", fuzz::accord_distribution),
    ("chatalot_message", fuzz::chatalot_message),
    ("chatalot_distribution", fuzz::chatalot_distribution),
    ("p2p", fuzz::p2p),
    ("signal", fuzz::signal),
    ("hardened", fuzz::hardened),
    ("receiver", fuzz::receiver),
];

/// Bounds on the number of seed files per target: enough to cover each format, few enough to stay small.
const SEEDS_MIN: usize = 10;
const SEEDS_MAX: usize = 40;

/// Seed of the sessions whose distributions and messages join the vectors' messages.
const SESSION_SEED: u64 = 0xc0a9_05ee;

/// Leading byte of the tagged targets (`p2p`, `signal`, `hardened`), choosing the codec.
const TAG_MESSAGE: u8 = 0;
const TAG_DISTRIBUTION: u8 = 1;
const TAG_P2P_REQUEST: u8 = 2;
const TAG_P2P_RECORD: u8 = 3;

/// The workspace root: paths in failure messages are shown relative to it.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ has a parent")
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// `path` relative to the workspace root, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// One target's seed inputs by file name (sorted, so generation and replay order are stable).
#[derive(Default, PartialEq, Debug)]
struct Seeds(BTreeMap<String, Vec<u8>>);

impl Seeds {
    fn add(&mut self, name: impl Into<String>, data: impl Into<Vec<u8>>) {
        let name = name.into();
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "seed name {name:?} must be lowercase letters, digits and dashes"
        );
        let previous = self.0.insert(name.clone(), data.into());
        assert!(previous.is_none(), "seed {name:?} generated twice");
    }
}

/// `base` with the first `from` replaced by `to`; the generator must not silently miss its edit.
fn edit(base: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(base).expect("JSON seeds are UTF-8");
    assert!(text.contains(from), "{from:?} not found in {text}");
    text.replacen(from, to, 1).into_bytes()
}

/// The byte range of the value of the first field `key` in compact JSON `text`: from after `"key":` to the next
/// `,"` or `}` (enough for the strings, numbers, flat arrays and `null`s of these formats).
fn value_span(text: &str, key: &str) -> (usize, usize) {
    let pattern = format!("\"{key}\":");
    let start = text
        .find(&pattern)
        .unwrap_or_else(|| panic!("no field {key:?} in {text}"))
        + pattern.len();
    let rest = &text[start..];
    let len = rest.find(",\"").or_else(|| rest.find('}')).expect("value ends");
    (start, start + len)
}

fn as_text(base: &[u8]) -> &str {
    std::str::from_utf8(base).expect("JSON seeds are UTF-8")
}

/// `base` with the first field `key` given the value `value` (JSON text).
fn set_field(base: &[u8], key: &str, value: &str) -> Vec<u8> {
    let text = as_text(base);
    let (start, end) = value_span(text, key);
    [&text[..start], value, &text[end..]].concat().into_bytes()
}

/// `base` with the first field `key` removed.
fn remove_field(base: &[u8], key: &str) -> Vec<u8> {
    let text = as_text(base);
    let (value_start, end) = value_span(text, key);
    let start = value_start - format!("\"{key}\":").len();
    if text[end..].starts_with(',') {
        [&text[..start], &text[end + 1..]].concat().into_bytes()
    } else {
        // The last field: drop the comma before it.
        [
            text[..start].strip_suffix(',').expect("not the only field"),
            &text[end..],
        ]
        .concat()
        .into_bytes()
    }
}

/// `base` with the first field `key` preceded by a duplicate holding `value`.
fn duplicate_field(base: &[u8], key: &str, value: &str) -> Vec<u8> {
    edit(
        base,
        &format!("\"{key}\":"),
        &format!("\"{key}\":{value},\"{key}\":"),
    )
}

/// `base` with an extra field `"extra":1` in front of the first field `key`.
fn extra_field(base: &[u8], key: &str) -> Vec<u8> {
    edit(base, &format!("\"{key}\":"), &format!("\"extra\":1,\"{key}\":"))
}

fn tagged(tag: u8, data: &[u8]) -> Vec<u8> {
    [&[tag], data].concat()
}

/// The known-answer vectors' messages for `suite`: `(iteration, wire)`, in file order.
fn vector_messages(suite: SuiteId) -> Vec<(u64, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("{suite}.json"));
    let text = fs::read_to_string(&path).expect("read vector file");
    let file: serde_json::Value = serde_json::from_str(&text).expect("vector file is JSON");
    let messages = file["messages"].as_array().expect("vector file has messages");
    assert!(!messages.is_empty(), "{} has no messages", shown(&path));
    messages
        .iter()
        .map(|m| {
            let iteration = m["iteration"].as_u64().expect("message iteration");
            let wire = hex::decode(m["wire"].as_str().expect("message wire")).expect("wire is hex");
            (iteration, wire)
        })
        .collect()
}

/// Genuine encodings from seeded sessions of `suite`.
struct Genuine {
    /// The known-answer vectors' messages, named `vector-iteration-<n>`.
    vectors: Vec<(String, Vec<u8>)>,
    /// One message with an empty plaintext and one with 200 bytes, from a fresh session.
    messages: Vec<(String, Vec<u8>)>,
    /// The first distribution (iteration 0), the same key after 3 messages, and a rotation replacing it.
    distributions: Vec<(String, Vec<u8>)>,
}

impl Genuine {
    fn of(suite: SuiteId) -> Self {
        let vectors = vector_messages(suite)
            .into_iter()
            .map(|(iteration, wire)| (format!("vector-iteration-{iteration}"), wire))
            .collect();
        let mut p = common::pair(suite, SESSION_SEED);
        let mut distributions = vec![(
            "genuine-distribution-iteration-0".to_owned(),
            p.distribution.clone(),
        )];
        let encrypt =
            |p: &mut common::Pair, plaintext: &[u8]| p.alice.encrypt(&mut p.rng, plaintext).expect("encrypt");
        let messages = vec![
            ("genuine-message-empty-plaintext".to_owned(), encrypt(&mut p, b"")),
            (
                "genuine-message-200-byte-plaintext".to_owned(),
                encrypt(&mut p, &[0x5a; 200]),
            ),
        ];
        encrypt(&mut p, b"third");
        distributions.push((
            "genuine-distribution-iteration-3".to_owned(),
            p.alice.distribution().expect("distribution"),
        ));
        distributions.push((
            "genuine-distribution-rotated".to_owned(),
            p.alice.create_sender_key(&mut p.rng).expect("rotate"),
        ));
        Self {
            vectors,
            messages,
            distributions,
        }
    }

    /// A genuine message (the vectors' iteration-1 message).
    fn message(&self) -> &[u8] {
        &self.vectors[1].1
    }

    /// A genuine distribution (the first one).
    fn distribution(&self) -> &[u8] {
        &self.distributions[0].1
    }

    /// Adds every genuine message and distribution to a tagged target, each behind its tag byte.
    fn add_tagged(&self, seeds: &mut Seeds, message_tag: u8, distribution_tag: u8) {
        for (name, data) in self.vectors.iter().chain(&self.messages) {
            seeds.add(name.as_str(), tagged(message_tag, data));
        }
        for (name, data) in &self.distributions {
            seeds.add(name.as_str(), tagged(distribution_tag, data));
        }
    }
}

/// Edge cases shared by every target, built around one genuine input (`tag` in front, if any).
fn common_edges(seeds: &mut Seeds, tag: Option<u8>, kind: &str, genuine: &[u8]) {
    let with = |data: &[u8]| tag.map_or_else(|| data.to_vec(), |t| tagged(t, data));
    seeds.add(
        format!("edge-truncated-half-{kind}"),
        with(&genuine[..genuine.len() / 2]),
    );
    seeds.add(
        format!("edge-truncated-last-byte-{kind}"),
        with(&genuine[..genuine.len() - 1]),
    );
    seeds.add(
        format!("edge-trailing-byte-{kind}"),
        with(&[genuine, b"\0"].concat()),
    );
}

// ----- JSON targets -----

/// Edge cases of any JSON format: not JSON, not an object, nesting deeper than serde_json's limit.
fn json_edges(seeds: &mut Seeds, genuine: &[u8]) {
    seeds.add("edge-empty", b"".as_slice());
    seeds.add("edge-one-byte", b"{".as_slice());
    seeds.add("edge-empty-object", b"{}".as_slice());
    seeds.add("edge-null", b"null".as_slice());
    seeds.add("edge-deep-nesting", [vec![b'['; 300], vec![b']'; 300]].concat());
    // Where a probe skips unknown fields, the nested value is walked: serde_json's recursion limit must hold.
    seeds.add(
        "edge-deep-nesting-in-unknown-field",
        format!("{{\"x\":{}{}}}", "[".repeat(300), "]".repeat(300)),
    );
    seeds.add(
        "edge-whitespace-everywhere",
        as_text(genuine)
            .replace(',', " ,\n\t")
            .replace(':', " : ")
            .replace('{', "{ "),
    );
    // A byte that is not UTF-8 at the start of the first key.
    let mut invalid = genuine.to_vec();
    invalid.insert(2, 0xff);
    seeds.add("edge-invalid-utf8", invalid);
}

/// A JSON target's seeds shared by every format: the genuine messages (vectors included) or distributions,
/// then the common and the JSON edge cases of the first of them.
fn json_seeds(genuine: &Genuine, distribution: bool) -> Seeds {
    let mut seeds = Seeds::default();
    let (kind, first) = if distribution {
        for (name, data) in &genuine.distributions {
            seeds.add(name.as_str(), data.as_slice());
        }
        ("distribution", genuine.distribution())
    } else {
        for (name, data) in genuine.vectors.iter().chain(&genuine.messages) {
            seeds.add(name.as_str(), data.as_slice());
        }
        ("message", genuine.message())
    };
    common_edges(&mut seeds, None, kind, first);
    json_edges(&mut seeds, first);
    seeds
}

fn accord_envelope() -> Seeds {
    let genuine = Genuine::of(SuiteId::Accord);
    let mut seeds = json_seeds(&genuine, false);
    let m = genuine.message();
    let envelope = accord::AccordEnvelope::parse(m).expect("genuine envelope");
    seeds.add(
        "edge-iteration-max",
        accord::AccordEnvelope {
            iteration: u32::MAX,
            ..envelope.clone()
        }
        .encode(),
    );
    seeds.add("edge-iteration-overflow", set_field(m, "i", "4294967296"));
    seeds.add("edge-iteration-negative", set_field(m, "i", "-1"));
    seeds.add("edge-iteration-float", set_field(m, "i", "1.0"));
    seeds.add("edge-iteration-exponent", set_field(m, "i", "1e3"));
    seeds.add("edge-version-2", set_field(m, "v", "2"));
    seeds.add("edge-version-string", set_field(m, "v", "\"1\""));
    seeds.add("edge-version-only", br#"{"v":2}"#.as_slice());
    seeds.add("edge-missing-field-v", remove_field(m, "v"));
    seeds.add("edge-missing-field-sig", remove_field(m, "sig"));
    seeds.add("edge-extra-field", extra_field(m, "i"));
    seeds.add("edge-duplicate-field-i", duplicate_field(m, "i", "2"));
    let sk = value_span(as_text(m), "sk");
    let upper = as_text(m)[sk.0..sk.1].to_ascii_uppercase();
    seeds.add("edge-sk-uppercase-hex", set_field(m, "sk", &upper));
    seeds.add("edge-sk-short", set_field(m, "sk", "\"969954fd\""));
    seeds.add("edge-iv-bad-base64", set_field(m, "iv", "\"!!!!!!!!!!!!!!!!\""));
    seeds.add(
        "edge-ct-shorter-than-tag",
        accord::AccordEnvelope {
            ciphertext: vec![0; 15],
            ..envelope
        }
        .encode(),
    );
    seeds.add("edge-escaped-key", edit(m, "\"v\":", "\"\\u0076\":"));
    seeds.add(
        "edge-array-not-object",
        br#"[1,"969954fdf4a8fba9",1,"","",""]"#.as_slice(),
    );
    seeds.add("foreign-accord-distribution", genuine.distribution());
    seeds
}

fn accord_distribution() -> Seeds {
    let genuine = Genuine::of(SuiteId::Accord);
    let mut seeds = json_seeds(&genuine, true);
    let d = genuine.distribution();
    let mut parsed = accord::AccordDistribution::parse(d).expect("genuine distribution");
    parsed.iteration = u32::MAX;
    seeds.add("edge-iteration-max", parsed.encode());
    seeds.add("edge-iteration-overflow", set_field(d, "iter", "4294967296"));
    seeds.add("edge-iteration-negative", set_field(d, "iter", "-1"));
    seeds.add("edge-type-other", set_field(d, "type", "\"skdm2\""));
    seeds.add("edge-type-only", br#"{"type":"sender-key"}"#.as_slice());
    seeds.add("edge-missing-field-type", remove_field(d, "type"));
    seeds.add("edge-missing-field-rep", remove_field(d, "rep"));
    seeds.add(
        "edge-rep-uppercase-hex",
        set_field(d, "rep", "\"0123456789ABCDEF\""),
    );
    seeds.add("edge-rep-number", set_field(d, "rep", "0"));
    seeds.add("edge-extra-field", extra_field(d, "rep"));
    seeds.add("edge-duplicate-field-iter", duplicate_field(d, "iter", "0"));
    // 31 bytes, base64.
    seeds.add(
        "edge-ck-31-bytes",
        set_field(d, "ck", "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\""),
    );
    seeds.add("edge-ch-empty", set_field(d, "ch", "\"\""));
    seeds.add(
        "edge-nd-too-long",
        set_field(d, "nd", &format!("\"{}\"", "a".repeat(200))),
    );
    seeds.add("edge-nd-control-character", set_field(d, "nd", "\"al\\nice\""));
    seeds.add(
        "edge-array-not-object",
        br#"["skdm","ch","nd","0123456789abcdef","","",0,null]"#.as_slice(),
    );
    seeds.add("foreign-accord-envelope", genuine.message());
    seeds
}

/// A Chatalot message with the given `ciphertext` and `nonce` arrays (JSON text).
fn chatalot_message_with(ciphertext: &str, nonce: &str) -> String {
    format!(
        r#"{{"v":1,"sk":true,"message":{{"chain_id":1,"iteration":1,"ciphertext":{ciphertext},"nonce":{nonce}}}}}"#
    )
}

/// A JSON array of `n` zeros.
fn zeros(n: usize) -> String {
    format!("[{}]", vec!["0"; n].join(","))
}

fn chatalot_message() -> Seeds {
    let genuine = Genuine::of(SuiteId::Chatalot);
    let mut seeds = json_seeds(&genuine, false);
    let m = genuine.message();
    let parsed = chatalot::ChatalotMessage::parse(m).expect("genuine message");
    seeds.add(
        "edge-iteration-max",
        chatalot::ChatalotMessage {
            iteration: u32::MAX,
            chain_id: u32::MAX,
            ..parsed
        }
        .encode(),
    );
    seeds.add("edge-iteration-overflow", set_field(m, "iteration", "4294967296"));
    seeds.add("edge-iteration-negative", set_field(m, "iteration", "-7"));
    seeds.add("edge-iteration-float", set_field(m, "iteration", "7.5"));
    seeds.add("edge-version-2", set_field(m, "v", "2"));
    seeds.add("edge-version-only", br#"{"v":3,"other":"shape"}"#.as_slice());
    seeds.add("edge-sk-false", set_field(m, "sk", "false"));
    seeds.add("edge-sk-null", set_field(m, "sk", "null"));
    seeds.add(
        "edge-missing-field-sk-dm-message",
        br#"{"v":1,"header":{"dh":[1,2]},"ciphertext":[3]}"#.as_slice(),
    );
    seeds.add("edge-missing-field-nonce", remove_field(m, "nonce"));
    seeds.add("edge-extra-field-inner", extra_field(m, "iteration"));
    seeds.add(
        "edge-duplicate-field-iteration",
        duplicate_field(m, "iteration", "2"),
    );
    seeds.add(
        "edge-nonce-element-256",
        edit(m, "\"nonce\":[", "\"nonce\":[256,"),
    );
    seeds.add(
        "edge-nonce-11-bytes",
        chatalot_message_with(&zeros(16), &zeros(11)),
    );
    seeds.add(
        "edge-ciphertext-15-bytes",
        chatalot_message_with(&zeros(15), &zeros(12)),
    );
    seeds.add(
        "edge-message-array-not-object",
        format!(
            r#"{{"v":1,"sk":true,"message":[1,1,{},{}]}}"#,
            zeros(16),
            zeros(12)
        ),
    );
    seeds.add("foreign-chatalot-distribution", genuine.distribution());
    seeds
}

fn chatalot_distribution() -> Seeds {
    let genuine = Genuine::of(SuiteId::Chatalot);
    let mut seeds = json_seeds(&genuine, true);
    let d = genuine.distribution();
    let mut parsed = chatalot::ChatalotDistribution::parse(d).expect("genuine distribution");
    parsed.iteration = u32::MAX;
    parsed.chain_id = u32::MAX;
    seeds.add("edge-iteration-max", parsed.encode());
    seeds.add("edge-iteration-overflow", set_field(d, "iteration", "4294967296"));
    seeds.add("edge-iteration-float", set_field(d, "iteration", "0.0"));
    seeds.add("edge-chain-id-negative", set_field(d, "chain_id", "-1"));
    seeds.add("edge-missing-field-sender-id", remove_field(d, "sender_id"));
    seeds.add("edge-extra-field", extra_field(d, "iteration"));
    seeds.add(
        "edge-duplicate-field-iteration",
        duplicate_field(d, "iteration", "0"),
    );
    seeds.add("edge-chain-key-31-bytes", set_field(d, "chain_key", &zeros(31)));
    seeds.add(
        "edge-chain-key-element-negative",
        edit(d, "\"chain_key\":[", "\"chain_key\":[-1,"),
    );
    seeds.add(
        "edge-sender-id-invalid-utf8",
        set_field(d, "sender_id", "[255,254]"),
    );
    seeds.add("edge-sender-id-empty", set_field(d, "sender_id", "[]"));
    seeds.add("edge-sender-id-newline", set_field(d, "sender_id", "[97,10]"));
    seeds.add("edge-array-not-object", b"[1,0,[],[97]]".as_slice());
    seeds.add("foreign-chatalot-message", genuine.message());
    seeds
}

// ----- binary targets -----

/// Protobuf key byte of field `number` with wire type `wire_type`.
fn proto_key(number: u8, wire_type: u8) -> u8 {
    (number << 3) | wire_type
}

/// A length-delimited field claiming 2^32 - 1 bytes, with none following.
fn proto_oversized_field(number: u8) -> Vec<u8> {
    vec![proto_key(number, 2), 0xff, 0xff, 0xff, 0xff, 0x0f]
}

/// Edges of the tagged binary targets: empty, a tag alone, the genuine input under the other tag.
fn tagged_edges(seeds: &mut Seeds, tags: &[(u8, &str)], genuine: &[(u8, &[u8])]) {
    seeds.add("edge-empty", b"".as_slice());
    for (tag, kind) in tags {
        seeds.add(format!("edge-tag-only-{kind}"), vec![*tag]);
    }
    for (tag, data) in genuine {
        let kind = tags.iter().find(|(t, _)| t == tag).expect("known tag").1;
        common_edges(seeds, Some(*tag), kind, data);
    }
}

fn p2p() -> Seeds {
    let mut seeds = Seeds::default();
    let genuine = Genuine::of(SuiteId::P2p);
    genuine.add_tagged(&mut seeds, TAG_MESSAGE, TAG_DISTRIBUTION);
    let (m, d) = (genuine.message(), genuine.distribution());
    let group = GroupId::new("test-group").expect("group id");
    let request = p2p::P2pSenderKeyRequest {
        group_id: group.clone(),
        requested_sender_id: MemberId::new("alice").expect("member id"),
    }
    .encode();
    seeds.add("genuine-request", tagged(TAG_P2P_REQUEST, &request));
    let record = |iteration| p2p::P2pSenderKeyRecord {
        chain_key: [0x11; 32],
        signing_public_key: [0x22; 32],
        iteration,
    };
    seeds.add(
        "genuine-record-iteration-1",
        tagged(TAG_P2P_RECORD, &record(1).encode()),
    );
    seeds.add(
        "edge-record-iteration-max",
        tagged(TAG_P2P_RECORD, &record(u32::MAX).encode()),
    );
    seeds.add("edge-tag-255-is-record", tagged(0xff, &record(7).encode()));
    tagged_edges(
        &mut seeds,
        &[
            (TAG_MESSAGE, "message"),
            (TAG_DISTRIBUTION, "distribution"),
            (TAG_P2P_REQUEST, "request"),
            (TAG_P2P_RECORD, "record"),
        ],
        &[(TAG_MESSAGE, m), (TAG_DISTRIBUTION, d)],
    );
    let parsed = p2p::P2pGroupMessage::parse(m).expect("genuine message");
    seeds.add(
        "edge-iteration-max",
        tagged(
            TAG_MESSAGE,
            &p2p::P2pGroupMessage {
                iteration: u32::MAX,
                ..parsed.clone()
            }
            .encode(),
        ),
    );
    seeds.add(
        "edge-nonce-13-bytes",
        tagged(TAG_MESSAGE, &parsed.encode_with(&[0; 13], &parsed.ciphertext)),
    );
    seeds.add(
        "edge-ciphertext-shorter-than-tag",
        tagged(TAG_MESSAGE, &parsed.encode_with(&parsed.nonce, &[0; 15])),
    );
    seeds.add(
        "edge-oversized-length-ciphertext",
        tagged(TAG_MESSAGE, &[m, &proto_oversized_field(5)].concat()),
    );
    seeds.add(
        "edge-unknown-field",
        tagged(TAG_MESSAGE, &[m, &[proto_key(15, 0), 0x01]].concat()),
    );
    seeds.add(
        "edge-repeated-field-iteration",
        tagged(TAG_MESSAGE, &[m, &[proto_key(3, 0), 0x05]].concat()),
    );
    seeds.add(
        "edge-overlong-varint",
        tagged(TAG_MESSAGE, &[&[proto_key(3, 0)], [0xff; 11].as_slice()].concat()),
    );
    seeds.add(
        "edge-group-id-invalid-utf8",
        tagged(TAG_MESSAGE, &[proto_key(1, 2), 2, 0xff, 0xfe]),
    );
    seeds.add(
        "edge-group-id-empty-request",
        tagged(TAG_P2P_REQUEST, &[proto_key(2, 2), 1, b'a']),
    );
    seeds.add("foreign-message-as-distribution", tagged(TAG_DISTRIBUTION, m));
    seeds
}

fn signal() -> Seeds {
    let mut seeds = Seeds::default();
    let genuine = Genuine::of(SuiteId::Signal);
    genuine.add_tagged(&mut seeds, TAG_MESSAGE, TAG_DISTRIBUTION);
    let (m, d) = (genuine.message(), genuine.distribution());
    tagged_edges(
        &mut seeds,
        &[(TAG_MESSAGE, "message"), (TAG_DISTRIBUTION, "distribution")],
        &[(TAG_MESSAGE, m), (TAG_DISTRIBUTION, d)],
    );
    let parsed = signal::SignalMessage::parse(m).expect("genuine message");
    seeds.add(
        "edge-iteration-max",
        tagged(
            TAG_MESSAGE,
            &signal::SignalMessage {
                iteration: u32::MAX,
                ..parsed.clone()
            }
            .encode(),
        ),
    );
    let with_version = |data: &[u8], version: u8| [&[version], &data[1..]].concat();
    seeds.add(
        "edge-version-byte-0x23",
        tagged(TAG_MESSAGE, &with_version(m, 0x23)),
    );
    seeds.add(
        "edge-version-byte-0x43",
        tagged(TAG_DISTRIBUTION, &with_version(d, 0x43)),
    );
    seeds.add(
        "edge-version-low-nibble-0",
        tagged(TAG_MESSAGE, &with_version(m, 0x30)),
    );
    // Split a message into version, protobuf and signature, and rebuild it with a different protobuf.
    let (proto, signature) = m[1..].split_at(m.len() - 1 - 64);
    let rebuilt = |proto: &[u8]| tagged(TAG_MESSAGE, &[&m[..1], proto, signature].concat());
    seeds.add(
        "edge-oversized-length-ciphertext",
        rebuilt(&[proto, &proto_oversized_field(4)].concat()),
    );
    seeds.add(
        "edge-unknown-field",
        rebuilt(&[proto, &[proto_key(9, 0), 0x01]].concat()),
    );
    seeds.add(
        "edge-repeated-field-iteration",
        rebuilt(&[proto, &[proto_key(3, 0), 0x05]].concat()),
    );
    seeds.add(
        "edge-ciphertext-not-block-multiple",
        tagged(
            TAG_MESSAGE,
            &signal::SignalMessage {
                ciphertext: vec![0; 17],
                ..parsed.clone()
            }
            .encode(),
        ),
    );
    seeds.add(
        "edge-signature-only",
        tagged(TAG_MESSAGE, &[&m[..1], signature].concat()),
    );
    seeds.add(
        "edge-distribution-oversized-length-chain-key",
        tagged(TAG_DISTRIBUTION, &[d, &proto_oversized_field(4)].concat()),
    );
    seeds.add("foreign-distribution-as-message", tagged(TAG_MESSAGE, d));
    seeds
}

fn hardened() -> Seeds {
    let mut seeds = Seeds::default();
    let genuine = Genuine::of(SuiteId::Hardened);
    genuine.add_tagged(&mut seeds, TAG_MESSAGE, TAG_DISTRIBUTION);
    let (m, d) = (genuine.message(), genuine.distribution());
    tagged_edges(
        &mut seeds,
        &[(TAG_MESSAGE, "message"), (TAG_DISTRIBUTION, "distribution")],
        &[(TAG_MESSAGE, m), (TAG_DISTRIBUTION, d)],
    );
    let parsed = hardened::HardenedMessage::parse(m).expect("genuine message");
    seeds.add(
        "edge-iteration-max",
        tagged(
            TAG_MESSAGE,
            &hardened::HardenedMessage {
                iteration: u32::MAX,
                ..parsed.clone()
            }
            .encode(),
        ),
    );
    // Offsets: version 0, kind 1, suite 2, key id 3..7, iteration 7..11, nonce length 11, nonce 12..24,
    // ciphertext length 24..28, ciphertext, signature (64).
    let patched = |data: &[u8], at: usize, bytes: &[u8]| {
        let mut out = data.to_vec();
        out[at..at + bytes.len()].copy_from_slice(bytes);
        out
    };
    seeds.add("edge-version-2", tagged(TAG_MESSAGE, &patched(m, 0, &[2])));
    seeds.add(
        "edge-version-0-distribution",
        tagged(TAG_DISTRIBUTION, &patched(d, 0, &[0])),
    );
    seeds.add(
        "edge-kind-distribution-in-message",
        tagged(TAG_MESSAGE, &patched(m, 1, &[hardened::KIND_DISTRIBUTION])),
    );
    seeds.add("edge-suite-2", tagged(TAG_MESSAGE, &patched(m, 2, &[2])));
    seeds.add(
        "edge-nonce-length-13",
        tagged(TAG_MESSAGE, &patched(m, 11, &[13])),
    );
    seeds.add(
        "edge-ciphertext-length-max",
        tagged(TAG_MESSAGE, &patched(m, 24, &[0xff; 4])),
    );
    seeds.add(
        "edge-ciphertext-length-zero",
        tagged(TAG_MESSAGE, &patched(m, 24, &[0; 4])),
    );
    seeds.add(
        "edge-header-only",
        tagged(TAG_MESSAGE, &m[..hardened::HEADER_BYTES]),
    );
    seeds.add(
        "edge-distribution-iteration-max",
        tagged(TAG_DISTRIBUTION, &patched(d, 7, &[0xff; 4])),
    );
    seeds.add("foreign-distribution-as-message", tagged(TAG_MESSAGE, d));
    seeds
}

/// Lengths of the receiver target's random seeds: a few operations, a few dozen, and more than
/// [`OPS_MAX`](fuzz::receiver::OPS_MAX) (the rest is not decoded).
const RECEIVER_SEED_LENGTHS: [usize; 4] = [24, 120, 400, 1_200];

/// The structured receiver target's seeds: for each suite (the first byte picks it), seeded random scripts of
/// several lengths — its operations decode from any bytes, so random bytes are scripts; libFuzzer takes it
/// from there — plus the empty script. `receiver_seeds_cover_every_suite_and_operation` checks what they hold.
fn receiver() -> Seeds {
    use rand_core::{Rng, SeedableRng};
    let mut seeds = Seeds::default();
    seeds.add("empty", Vec::new());
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(SESSION_SEED);
    for (index, suite) in SuiteId::ALL.into_iter().enumerate() {
        let tag = u8::try_from(index).expect("five suites");
        for len in RECEIVER_SEED_LENGTHS {
            let mut data = vec![0u8; len];
            rng.fill_bytes(&mut data);
            data[0] = tag;
            seeds.add(format!("{suite}-{len}"), data);
        }
    }
    seeds
}

/// The seed corpus of every target, by target name.
fn generate() -> BTreeMap<&'static str, Seeds> {
    let corpora = BTreeMap::from([
        ("accord_envelope", accord_envelope()),
        ("accord_distribution", accord_distribution()),
        ("chatalot_message", chatalot_message()),
        ("chatalot_distribution", chatalot_distribution()),
        ("p2p", p2p()),
        ("signal", signal()),
        ("hardened", hardened()),
        ("receiver", receiver()),
    ]);
    assert!(
        corpora.len() == TARGETS.len() && TARGETS.iter().all(|(t, _)| corpora.contains_key(t)),
        "every target has exactly one generator"
    );
    corpora
}

/// Replaces every file in `fuzz/corpus/<target>/` with the generated seeds.
fn write_corpora(corpora: &BTreeMap<&'static str, Seeds>) {
    for (target, seeds) in corpora {
        let dir = fuzz_dir().join("corpus").join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("remove old corpus");
        }
        fs::create_dir_all(&dir).expect("create corpus dir");
        for (name, data) in &seeds.0 {
            fs::write(dir.join(name), data).expect("write seed");
        }
    }
}

/// Runs `body` on `data`, returning the panic message if it panicked.
fn replay(body: Body, data: &[u8]) -> Result<(), String> {
    panic::catch_unwind(AssertUnwindSafe(|| body(data))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "non-string panic payload".to_owned())
    })
}

/// The files of one target's directory (sorted); a subdirectory is an error.
fn files_in(dir: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read target dir") {
        let path = entry.expect("dir entry").path();
        if path.is_file() {
            files.push(path);
        } else {
            problems.push(format!(
                "{}: not a file (a target directory holds only inputs)",
                shown(&path)
            ));
        }
    }
    files.sort();
    files
}

/// Targets whose bodies live in `sksim::fuzzing`; `sim/tests/fuzz_corpus.rs` replays their inputs.
const SKSIM_TARGETS: [&str; 3] = ["adapter", "scenario", "simulation"];

/// Checks that every entry of `root` is a directory named after a known target (files in `allowed_files` aside).
fn check_target_dirs(root: &Path, allowed_files: &[&str], problems: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(root) else { return };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if path.is_dir() {
            if !TARGETS.iter().any(|(t, _)| *t == name) && !SKSIM_TARGETS.contains(&name.as_str()) {
                problems.push(format!(
                    "{}: not a fuzz target (known: {:?})",
                    shown(&path),
                    TARGETS.map(|(t, _)| t)
                ));
            }
        } else if !allowed_files.contains(&name.as_str()) {
            problems.push(format!(
                "{}: unexpected file (inputs go in a target's directory)",
                shown(&path)
            ));
        }
    }
}

#[test]
fn committed_corpora_and_regressions_replay_without_panics() {
    if std::env::var_os("UPDATE_CORPUS").is_some_and(|v| v == "1") {
        write_corpora(&generate());
    }
    let corpus = fuzz_dir().join("corpus");
    let regressions = fuzz_dir().join("regressions");
    let mut problems = Vec::new();
    check_target_dirs(&corpus, &[], &mut problems);
    check_target_dirs(&regressions, &["README.md"], &mut problems);
    let mut replayed = 0;
    for (target, body) in TARGETS {
        let seed_dir = corpus.join(target);
        if !seed_dir.is_dir() {
            problems.push(format!("{}: missing seed corpus", shown(&seed_dir)));
        }
        for dir in [seed_dir, regressions.join(target)] {
            if !dir.is_dir() {
                continue; // a missing regressions dir just means no regression yet
            }
            let files = files_in(&dir, &mut problems);
            if files.is_empty() {
                problems.push(format!("{}: empty (delete it, or add inputs)", shown(&dir)));
            }
            for file in files {
                let data = fs::read(&file).expect("read input");
                replayed += 1;
                if let Err(message) = replay(body, &data) {
                    problems.push(format!("{}: target `{target}` panicked: {message}", shown(&file)));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) replaying {replayed} fuzz inputs:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn seed_generation_is_deterministic_and_panic_free() {
    let corpora = generate();
    assert_eq!(
        corpora,
        generate(),
        "generating the seed corpora twice gave different bytes"
    );
    let bodies: BTreeMap<_, _> = TARGETS.into_iter().collect();
    let mut problems = Vec::new();
    for (target, seeds) in &corpora {
        let count = seeds.0.len();
        if !(SEEDS_MIN..=SEEDS_MAX).contains(&count) {
            problems.push(format!(
                "{target}: {count} seeds, expected {SEEDS_MIN}..={SEEDS_MAX}"
            ));
        }
        for (name, data) in &seeds.0 {
            if let Err(message) = replay(bodies[target], data) {
                problems.push(format!("{target}/{name}: panicked: {message}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn receiver_seeds_cover_every_suite_and_operation() {
    use fuzz::receiver::{OPS_MAX, Script};
    let seeds = receiver();
    let mut suites = BTreeMap::new();
    let mut operations = BTreeMap::new();
    for data in seeds.0.values() {
        let script = Script::decode(data);
        assert!(
            script.ops.len() <= OPS_MAX,
            "{} operations decoded",
            script.ops.len()
        );
        *suites.entry(script.suite.name()).or_insert(0) += 1;
        for op in &script.ops {
            let debug = format!("{op:?}");
            let name = debug.split([' ', '{']).next().unwrap_or_default().to_owned();
            *operations.entry(name).or_insert(0) += 1;
        }
    }
    assert_eq!(
        suites.len(),
        SuiteId::ALL.len(),
        "every suite has seeds: {suites:?}"
    );
    let expected = [
        "CorruptDistribution",
        "Deliver",
        "Distribute",
        "FarFuture",
        "FlipBit",
        "Forge",
        "Forget",
        "Misattribute",
        "Raw",
        "Reshare",
        "Resplit",
        "Rotate",
        "Send",
        "Truncate",
    ];
    let missing: Vec<_> = expected
        .iter()
        .filter(|op| !operations.contains_key(**op))
        .collect();
    assert!(missing.is_empty(), "no seed holds {missing:?}: {operations:?}");
    assert_eq!(
        operations.len(),
        expected.len(),
        "an operation kind is not listed here: {operations:?}"
    );
}

#[test]
fn replay_reports_a_panic_with_its_message() {
    fn body(data: &[u8]) {
        assert!(data.is_empty(), "non-empty input {data:?}");
    }
    assert_eq!(replay(body, b""), Ok(()));
    assert_eq!(replay(body, b"x"), Err("non-empty input [120]".to_owned()));
}

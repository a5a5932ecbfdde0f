#!/usr/bin/env python3
"""accord-python: Accord's Sender Keys design, in Python, as an sksim adapter (protocol version 1).

The source is Accord's technical design "Sender Keys E2EE for Accord Channels" (docs/threat-model.md, "The seed
systems"). This file implements:

- §2.2 / §7.1 ``generateSenderKey``: 32 bytes of chain key, a fresh Ed25519 key, iteration 0; the key id is the
  fingerprint, the first 8 bytes of SHA-256 of the signing public key (§7.1 ``senderKeyFingerprint``), written as
  16 lowercase hex characters. A rotation names the key it replaces (§5.1 ``replacesKeyId``, ``rep``).
- §3.1 / §7.1 chain ratchet: ``messageKey = HMAC-SHA256(chainKey, "MessageKey")`` and
  ``chainKey' = HMAC-SHA256(chainKey, "ChainKey")``. §2.1 draws the labels as "msg" / "chain"; §3.1 and the code
  listing use "MessageKey" / "ChainKey", and the listing wins.
- §3.1 / §7.1 ``senderKeyEncrypt``: AES-256-GCM with a 12-byte random iv and no associated data; Ed25519 over
  ``iv || ct`` (the listing and Appendix A; §3.1 step 5 writes ``ciphertext || iv``). Key id and iteration are
  not signed.
- §7.1 ``senderKeyDecrypt`` and §8 ``decryptChannelContent``: the state is looked up by the server-supplied
  sender alone (§7.3 ``peerKeys``: one state per user; the envelope's key id is never consulted); verify the
  signature first; an iteration below the current one needs a cached key (else ``duplicate``); a jump of more
  than MAX_SKIP = 2000 is refused before the chain moves; skipped keys are cached and the cache pruned to 2000,
  lowest iteration first; AES-GCM decrypts; the updated copy is stored only on success.
- §2.3 / §5.1 / Appendix A distribution ``{type:"skdm", ch, nd, skid, ck, spk, iter, rep}``: it arrives over the
  pairwise DM, so ``nd`` must be the sender and ``ch`` this channel; it then replaces whatever was held for that
  sender (§7.3 step 2 "Store the peer's SK"), even a key already held further along. ``rep`` and ``skid`` are
  stored as given, never acted upon.
- §2.5 revocation: ``forget_sender`` deletes the sender's state.

The wire encodings are byte-compatible with sksim's codec (``core/src/wire/accord.rs``): compact JSON in Appendix
A's field order, standard padded base64, and a parser that refuses what the codec refuses, with the same reason
names (``too-large``, ``malformed``, ``unsupported-version``, ``bad-length``).

All randomness comes from each request's 64 ``random`` bytes: ``rotate`` takes the chain key from bytes 0..32 and
the Ed25519 seed from 32..64; ``encrypt`` and ``forge_as`` take the iv from 0..12, and a forger without a stolen
key takes its own seed from 32..64. Nothing is read from the clock or the operating system, so a run is
reproducible from its seed. Only the standard library and ``cryptography`` are used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PROTOCOL_VERSION = 1
NAME = "accord-python"
LINE_BYTES_MAX = 64 << 20
RANDOM_BYTES = 64

MAX_SKIP = 2000                      # §7.1 MAX_SKIP: largest jump, and largest skipped-key cache
U32_MAX = 2**32 - 1                  # the codec carries iterations as u32
PLAINTEXT_BYTES_MAX = 65_536         # the codec's limits (core/src/consts.rs)
CIPHERTEXT_BYTES_MAX = PLAINTEXT_BYTES_MAX + 32
WIRE_BYTES_MAX = 4 * CIPHERTEXT_BYTES_MAX + 1_024
ID_BYTES_MAX = 128
ENVELOPE_VERSION = 1                 # Appendix A `v`
IV_BYTES, TAG_BYTES, KEY_BYTES, SIGNATURE_BYTES, FINGERPRINT_BYTES = 12, 16, 32, 64, 8
ENVELOPE, DISTRIBUTION = "accord envelope", "accord distribution"


class Rejected(Exception):
    """The implementation refuses the input: a stable kebab-case reason, a detail, the chain steps taken."""

    def __init__(self, reason: str, detail: str, chain_steps: int = 0):
        super().__init__(detail)
        self.reason, self.detail, self.chain_steps = reason, detail, chain_steps


class RequestError(Exception):
    """The request itself is unusable (unknown instance, malformed field): answered with ``error``."""


def malformed(what: str, detail: str) -> Rejected:
    return Rejected("malformed", f"malformed {what}: {detail}")


def shown(value) -> str:
    """The start of an untrusted value, for a detail."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


# ----- strict codec primitives (what serde_json, the base64 crate and senderkeys' ids accept) -----

class JsonObject(dict):
    """A JSON object; remembers keys that occur more than once (serde refuses those, Python keeps the last)."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.duplicates: set = set()
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                self.duplicates.add(key)
            seen.add(key)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _integer(text: str):
    # serde_json keeps non-negative integers exactly and turns negative ones (even -0) into signed or float
    # numbers that are never a u32; anything longer than 10 digits is above u32::MAX. Neither case may raise.
    if text.startswith("-"):
        return float("-inf")
    return float("inf") if len(text) > 10 else int(text)


def parse_json(what: str, data: bytes):
    """Strict JSON: UTF-8, no NaN/Infinity; objects as JsonObject. Any failure is ``malformed``."""
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=JsonObject,
                          parse_int=_integer, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise malformed(what, str(e)) from None


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def valid_text(value) -> bool:
    """A JSON string serde can read as a Rust String (no lone surrogate from a \\u escape)."""
    return isinstance(value, str) and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def u32_field(what: str, field: str, value) -> int:
    if type(value) is int and 0 <= value <= U32_MAX:
        return value
    raise malformed(what, f"field `{field}` is not an integer in 0..={U32_MAX}, got {shown(value)}")


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def b64_decode(text: str) -> bytes | None:
    """Standard padded base64, canonical only (no stray trailing bits), like the `base64` crate; else None."""
    if len(text) % 4 or not _BASE64.fullmatch(text):
        return None
    data = base64.b64decode(text)
    return data if base64.b64encode(data).decode("ascii") == text else None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def base64_field(what: str, field: str, text: str, length: int | None = None) -> bytes:
    data = b64_decode(text)
    if data is None:
        raise malformed(what, f"field `{field}` is not valid base64")
    if length is not None and len(data) != length:
        raise Rejected("bad-length", f"{what}: field `{field}` must be {length} bytes, got {len(data)}")
    return data


_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


def fingerprint_field(what: str, field: str, text: str) -> bytes:
    if not _FINGERPRINT.fullmatch(text):
        raise malformed(what, f"field `{field}` must be 16 lowercase hex characters, got {shown(text)}")
    return bytes.fromhex(text)


def id_problem(text: str) -> str | None:
    """Why `text` is not a member or group id (senderkeys' rules), or None."""
    if not text:
        return "must not be empty"
    if len(text.encode("utf-8")) > ID_BYTES_MAX:
        return f"is longer than {ID_BYTES_MAX} bytes"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        return "must not contain control characters"
    return None


def fingerprint(signing_public_key: bytes) -> bytes:
    """§7.1 ``senderKeyFingerprint``: the first 8 bytes of SHA-256 of the signing public key."""
    return hashlib.sha256(signing_public_key).digest()[:FINGERPRINT_BYTES]


def strict_object(what: str, data: bytes, probe_field: str, probe) -> JsonObject:
    """Size limit, JSON object, then the codec's probe of one field (`v` or `type`) before the full shape."""
    if len(data) > WIRE_BYTES_MAX:
        raise Rejected("too-large", f"{what} is {len(data)} bytes, more than the limit of {WIRE_BYTES_MAX}")
    obj = parse_json(what, data)
    if not isinstance(obj, JsonObject):
        raise malformed(what, "expected a JSON object")
    if not all(valid_text(key) for key in obj):
        raise malformed(what, "a key is not valid Unicode")
    if probe_field in obj.duplicates:
        raise malformed(what, f"duplicate field `{probe_field}`")
    if probe_field in obj:
        probe(obj[probe_field])
    return obj


def check_shape(what: str, obj: JsonObject, types: dict) -> None:
    """Exactly the fields of `types`, once each, each of its JSON type (serde's deny_unknown_fields)."""
    for key in obj:
        if key not in types:
            raise malformed(what, f"unknown field {shown(key)}")
    if obj.duplicates:
        raise malformed(what, f"duplicate field `{sorted(obj.duplicates)[0]}`")
    for key, accepts in types.items():
        if key not in obj:
            raise malformed(what, f"missing field `{key}`")
        if not accepts(obj[key]):
            raise malformed(what, f"invalid type for field `{key}`")


# ----- wire formats (Appendix A) -----

class Envelope:
    """Appendix A: ``{"v":1,"sk":<hex fingerprint>,"i":N,"iv":<b64>,"ct":<b64>,"sig":<b64>}``."""

    SHAPE = {"v": is_number, "sk": valid_text, "i": is_number, "iv": valid_text, "ct": valid_text,
             "sig": valid_text}

    def __init__(self, key_id: bytes, iteration: int, iv: bytes, ciphertext: bytes, signature: bytes = b""):
        self.key_id, self.iteration, self.iv = key_id, iteration, iv
        self.ciphertext, self.signature = ciphertext, signature

    def signed_bytes(self) -> bytes:
        """§7.1 / Appendix A ``sig``: the signature covers ``iv || ct`` only."""
        return self.iv + self.ciphertext

    def encode(self) -> bytes:
        return (f'{{"v":1,"sk":"{self.key_id.hex()}","i":{self.iteration},"iv":"{b64(self.iv)}",'
                f'"ct":"{b64(self.ciphertext)}","sig":"{b64(self.signature)}"}}').encode("ascii")

    @staticmethod
    def check_version(value) -> None:
        if not is_number(value):
            raise malformed(ENVELOPE, "invalid type for field `v`")
        version = u32_field(ENVELOPE, "v", value)
        if version != ENVELOPE_VERSION:
            raise Rejected("unsupported-version", f"{ENVELOPE}: unsupported version {version} (this implementation "
                                                  f"speaks version {ENVELOPE_VERSION})")

    @classmethod
    def parse(cls, data: bytes) -> Envelope:
        """The codec's checks, in its order: size, JSON, version, shape, then each field in wire order."""
        obj = strict_object(ENVELOPE, data, "v", cls.check_version)
        check_shape(ENVELOPE, obj, cls.SHAPE)
        key_id = fingerprint_field(ENVELOPE, "sk", obj["sk"])
        iteration = u32_field(ENVELOPE, "i", obj["i"])
        iv = base64_field(ENVELOPE, "iv", obj["iv"], IV_BYTES)
        ciphertext = base64_field(ENVELOPE, "ct", obj["ct"])
        if len(ciphertext) < TAG_BYTES:
            raise Rejected("bad-length", f"{ENVELOPE}: field `ciphertext` must be {TAG_BYTES} bytes, "
                                         f"got {len(ciphertext)}")
        if len(ciphertext) > CIPHERTEXT_BYTES_MAX:
            raise Rejected("too-large", f"{ENVELOPE} is {len(ciphertext)} bytes, more than the limit of "
                                        f"{CIPHERTEXT_BYTES_MAX}")
        signature = base64_field(ENVELOPE, "sig", obj["sig"], SIGNATURE_BYTES)
        return cls(key_id, iteration, iv, ciphertext, signature)


class Distribution:
    """Appendix A / §5.1: ``{"type":"skdm","ch","nd","skid","ck","spk","iter","rep"}``."""

    SHAPE = {"type": valid_text, "ch": valid_text, "nd": valid_text, "skid": valid_text, "ck": valid_text,
             "spk": valid_text, "iter": is_number, "rep": lambda v: v is None or valid_text(v)}

    def __init__(self, channel: str, node: str, key_id: bytes, chain_key: bytes, signing_public_key: bytes,
                 iteration: int, replaces: bytes | None):
        self.channel, self.node, self.key_id, self.chain_key = channel, node, key_id, chain_key
        self.signing_public_key, self.iteration, self.replaces = signing_public_key, iteration, replaces

    def encode(self) -> bytes:
        def text(s: str) -> str:  # serde_json's string escaping, which json.dumps matches for these inputs
            return json.dumps(s, ensure_ascii=False)
        rep = "null" if self.replaces is None else f'"{self.replaces.hex()}"'
        return (f'{{"type":"skdm","ch":{text(self.channel)},"nd":{text(self.node)},"skid":"{self.key_id.hex()}",'
                f'"ck":"{b64(self.chain_key)}","spk":"{b64(self.signing_public_key)}","iter":{self.iteration},'
                f'"rep":{rep}}}').encode("utf-8")

    @staticmethod
    def check_type(value) -> None:
        if value != "skdm":
            raise malformed(DISTRIBUTION, f'field `type` must be "skdm", got {shown(value)}')

    @classmethod
    def parse(cls, data: bytes) -> Distribution:
        obj = strict_object(DISTRIBUTION, data, "type", cls.check_type)
        check_shape(DISTRIBUTION, obj, cls.SHAPE)
        cls.check_type(obj["type"])
        for field, what in (("ch", "group"), ("nd", "member")):
            problem = id_problem(obj[field])
            if problem:
                raise malformed(DISTRIBUTION, f"field `{field}`: invalid {what} id: {problem}")
        key_id = fingerprint_field(DISTRIBUTION, "skid", obj["skid"])
        chain_key = base64_field(DISTRIBUTION, "ck", obj["ck"], KEY_BYTES)
        signing_public_key = base64_field(DISTRIBUTION, "spk", obj["spk"], KEY_BYTES)
        iteration = u32_field(DISTRIBUTION, "iter", obj["iter"])
        replaces = None if obj["rep"] is None else fingerprint_field(DISTRIBUTION, "rep", obj["rep"])
        return cls(obj["ch"], obj["nd"], key_id, chain_key, signing_public_key, iteration, replaces)


# ----- the design's state (§7.1 SenderKeyPrivate / SenderKeyState, §7.3 SenderKeyStore) -----

class ChainRatchet:
    """§7.1 ``deriveMessageKey`` / ``advanceChainKey``: HMAC-SHA256 keyed by the chain key."""

    @staticmethod
    def message_key(chain_key: bytes) -> bytes:
        return hmac.new(chain_key, b"MessageKey", hashlib.sha256).digest()

    @staticmethod
    def next_chain_key(chain_key: bytes) -> bytes:
        return hmac.new(chain_key, b"ChainKey", hashlib.sha256).digest()


class OwnKey:
    """§7.1 ``SenderKeyPrivate``: the member's own chain and signing key (also a forger's borrowed chain)."""

    def __init__(self, chain_key: bytes, seed: bytes, iteration: int = 0, replaces: bytes | None = None):
        self.chain_key, self.seed, self.iteration, self.replaces = chain_key, seed, iteration, replaces
        self.signer = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self.signer.public_key().public_bytes_raw()
        self.key_id = fingerprint(self.public_key)

    def distribution(self, group: str, member: str) -> Distribution:
        """§5.1: this key at its current iteration."""
        return Distribution(group, member, self.key_id, self.chain_key, self.public_key, self.iteration,
                            self.replaces)

    def encrypt(self, plaintext: bytes, iv: bytes, key_id: bytes | None = None) -> Envelope:
        """§3.1 / §7.1 ``senderKeyEncrypt``; advances the chain. `key_id` is written as `sk` (a forger's)."""
        key_id = self.key_id if key_id is None else key_id
        if len(plaintext) > PLAINTEXT_BYTES_MAX:
            raise Rejected("plaintext-too-large",
                           f"plaintext is {len(plaintext)} bytes; at most {PLAINTEXT_BYTES_MAX} are allowed")
        if self.iteration >= U32_MAX:
            raise Rejected("iteration-exhausted", f"sender key {key_id.hex()} has used all 2^32 iterations")
        message_key = ChainRatchet.message_key(self.chain_key)
        envelope = Envelope(key_id, self.iteration, iv, AESGCM(message_key).encrypt(iv, plaintext, None))
        envelope.signature = self.signer.sign(envelope.signed_bytes())
        self.chain_key = ChainRatchet.next_chain_key(self.chain_key)
        self.iteration += 1
        return envelope


class PeerState:
    """§3.3 / §7.1 ``SenderKeyState``: what a receiver holds of one sender (the only state for that sender)."""

    def __init__(self, key_id: bytes, signing_public_key: bytes, chain_key: bytes, iteration: int,
                 skipped: dict | None = None):
        self.key_id, self.signing_public_key = key_id, signing_public_key
        self.chain_key, self.iteration = chain_key, iteration   # iteration: next expected, up to 2^32
        self.skipped: dict[int, bytes] = dict(skipped or {})    # iteration -> message key

    @classmethod
    def from_distribution(cls, d: Distribution) -> PeerState:
        return cls(d.key_id, d.signing_public_key, d.chain_key, d.iteration)

    def copy(self) -> PeerState:
        return PeerState(self.key_id, self.signing_public_key, self.chain_key, self.iteration, self.skipped)

    def verifies(self, envelope: Envelope) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.signing_public_key).verify(
                envelope.signature, envelope.signed_bytes())
            return True
        except (InvalidSignature, ValueError):   # a key that is not a valid point verifies nothing
            return False

    def decrypt(self, sender: str, envelope: Envelope) -> tuple[bytes, PeerState, int]:
        """§7.1 ``senderKeyDecrypt`` on a copy: (plaintext, updated state, chain steps). `self` is unchanged."""
        key = self.key_id.hex()
        if not self.verifies(envelope):
            raise Rejected("bad-signature", f"signature does not verify under sender key {key} of {sender}")
        target, steps, nxt = envelope.iteration, 0, self.copy()
        if self.iteration <= U32_MAX and target >= self.iteration:
            jump = target - self.iteration
            if jump > MAX_SKIP:
                raise Rejected("too-far-ahead", f"iteration {target} of sender key {key} of {sender} is {jump} "
                                                f"steps ahead of {self.iteration}; at most {MAX_SKIP} are allowed")
            chain_key = self.chain_key
            for skipped in range(self.iteration, target):    # §3.3 step 1: cache every skipped key
                nxt.skipped[skipped] = ChainRatchet.message_key(chain_key)
                chain_key = ChainRatchet.next_chain_key(chain_key)
                steps += 1
            message_key = ChainRatchet.message_key(chain_key)
            nxt.chain_key, nxt.iteration = ChainRatchet.next_chain_key(chain_key), target + 1
        else:                                                # §3.3 step 3: an older iteration
            message_key = nxt.skipped.pop(target, None)
            if message_key is None:
                raise Rejected("duplicate", f"no cached key for iteration {target} of sender key {key} of "
                                            f"{sender} (Accord: \"No cached key\"); already consumed or pruned")
        excess = len(nxt.skipped) - MAX_SKIP                 # §7.1 "Prune old skipped keys", lowest first
        for iteration in sorted(nxt.skipped)[:max(excess, 0)]:
            del nxt.skipped[iteration]
        try:
            plaintext = AESGCM(message_key).decrypt(envelope.iv, envelope.ciphertext, None)
        except InvalidTag:
            raise Rejected("decryption-failed", f"decryption failed for iteration {target} of sender key {key} "
                                                f"of {sender}", steps) from None
        return plaintext, nxt, steps


class Member:
    """One member's store for one channel: §7.3 ``myKeys`` / ``peerKeys`` restricted to that channel."""

    def __init__(self, group: str, member: str, own: OwnKey | None = None, peers: dict | None = None):
        self.group, self.member, self.own = group, member, own
        self.peers: dict[str, PeerState] = peers or {}

    def own_key(self) -> OwnKey:
        if self.own is None:
            raise Rejected("no-own-sender-key", "no own sender key: rotate before encrypting or distributing")
        return self.own

    def rotate(self, random: bytes) -> bytes:
        """§2.2 / §2.4: a fresh key replaces the own key; its distribution names the one it replaces."""
        replaces = self.own.key_id if self.own else None
        self.own = OwnKey(random[:32], random[32:64], 0, replaces)
        return self.distribution()

    def distribution(self) -> bytes:
        return self.own_key().distribution(self.group, self.member).encode()

    def process_distribution(self, sender: str, data: bytes) -> None:
        """§2.3 / §5.1 / §7.3 step 2: a distribution from `sender`'s DM replaces whatever is held for it."""
        d = Distribution.parse(data)
        if d.node != sender:
            raise Rejected("sender-mismatch", f"{DISTRIBUTION} claims to be from {d.node} but arrived from {sender}")
        if d.channel != self.group:
            raise Rejected("wrong-group", f"{DISTRIBUTION} is for group {d.channel!r}, this state belongs to "
                                          f"group {self.group!r}")
        self.peers[sender] = PeerState.from_distribution(d)

    def encrypt(self, plaintext: bytes, random: bytes) -> Envelope:
        return self.own_key().encrypt(plaintext, random[:IV_BYTES])

    def decrypt(self, sender: str, data: bytes) -> tuple[bytes, int]:
        """§8 ``decryptChannelContent``: parse, look up by sender, decrypt, persist only on success."""
        envelope = Envelope.parse(data)
        state = self.peers.get(sender)
        if state is None:
            raise Rejected("unknown-sender", f"no sender key of {sender} is known; request the sender's "
                                             "distribution")
        plaintext, updated, steps = state.decrypt(sender, envelope)
        self.peers[sender] = updated
        return plaintext, steps

    def forge_as(self, sender: str, stolen: bytes | None, plaintext: bytes, random: bytes) -> bytes:
        """The adversary's tool: `sender`'s next message from the chain held for it; the state is untouched."""
        if stolen is not None and len(stolen) != 32:
            raise Rejected("malformed-signing-key", f"an Ed25519 signing key is 32 bytes, got {len(stolen)}")
        state = self.peers.get(sender)
        if state is None:
            raise Rejected("unknown-sender", f"no sender key of {sender} is known")
        if state.iteration > U32_MAX:
            raise Rejected("iteration-exhausted", f"sender key {state.key_id.hex()} has used all iterations")
        forger = OwnKey(state.chain_key, random[32:64] if stolen is None else stolen, state.iteration)
        return forger.encrypt(plaintext, random[:IV_BYTES], state.key_id).encode()


class StateCodec:
    """Exports (§7.3 "must persist across sessions"): canonical JSON, keys sorted, bytes in hex."""

    @staticmethod
    def peer(state: PeerState) -> dict:
        return {"key_id": state.key_id.hex(), "signing_public_key": state.signing_public_key.hex(),
                "chain_key": state.chain_key.hex(), "iteration": state.iteration,
                "skipped": {str(i): key.hex() for i, key in state.skipped.items()}}

    @staticmethod
    def dump(value) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    @classmethod
    def export(cls, m: Member) -> bytes:
        own = None if m.own is None else {
            "chain_key": m.own.chain_key.hex(), "signing_key": m.own.seed.hex(), "iteration": m.own.iteration,
            "replaces": None if m.own.replaces is None else m.own.replaces.hex()}
        peers = {sender: cls.peer(state) for sender, state in m.peers.items()}
        return cls.dump({"group": m.group, "member": m.member, "own": own, "peers": peers})

    @classmethod
    def export_sender(cls, m: Member, sender: str) -> bytes:
        """The only part a message from `sender` may change: the state held for it."""
        state = m.peers.get(sender)
        return cls.dump({"sender": sender, "state": None if state is None else cls.peer(state)})

    @classmethod
    def load(cls, data: bytes) -> Member:
        """Rebuilds a member from `export` bytes; anything else is refused with ``bad-state``."""
        try:
            return cls._load(json.loads(data.decode("utf-8")))
        except Rejected:
            raise
        except Exception as e:   # noqa: BLE001 - any flaw in the bytes is a refusal, never a crash
            raise Rejected("bad-state", f"state does not import: {type(e).__name__}: {e}") from None

    @staticmethod
    def _fields(obj, names: set) -> dict:
        if not isinstance(obj, dict) or set(obj) != names:
            raise Rejected("bad-state", f"state does not import: expected the fields {sorted(names)}")
        return obj

    @staticmethod
    def _hex(text, length: int) -> bytes:
        if not isinstance(text, str) or not re.fullmatch(r"[0-9a-f]*", text) or len(text) != 2 * length:
            raise Rejected("bad-state", f"state does not import: expected {length} bytes of hex")
        return bytes.fromhex(text)

    @staticmethod
    def _count(value, limit: int) -> int:
        if type(value) is not int or not 0 <= value <= limit:
            raise Rejected("bad-state", f"state does not import: expected an integer in 0..={limit}")
        return value

    @classmethod
    def _load(cls, obj) -> Member:
        top = cls._fields(obj, {"group", "member", "own", "peers"})
        for name in ("group", "member"):
            if not isinstance(top[name], str) or id_problem(top[name]):
                raise Rejected("bad-state", f"state does not import: invalid `{name}`")
        own = None
        if top["own"] is not None:
            o = cls._fields(top["own"], {"chain_key", "signing_key", "iteration", "replaces"})
            replaces = None if o["replaces"] is None else cls._hex(o["replaces"], FINGERPRINT_BYTES)
            own = OwnKey(cls._hex(o["chain_key"], KEY_BYTES), cls._hex(o["signing_key"], KEY_BYTES),
                         cls._count(o["iteration"], U32_MAX), replaces)
        if not isinstance(top["peers"], dict):
            raise Rejected("bad-state", "state does not import: `peers` is not an object")
        peers = {}
        for sender, p in top["peers"].items():
            if id_problem(sender):
                raise Rejected("bad-state", "state does not import: invalid sender id")
            p = cls._fields(p, {"key_id", "signing_public_key", "chain_key", "iteration", "skipped"})
            if not isinstance(p["skipped"], dict) or len(p["skipped"]) > MAX_SKIP:
                raise Rejected("bad-state", f"state does not import: at most {MAX_SKIP} skipped keys")
            skipped = {}
            for i, key in p["skipped"].items():
                if not re.fullmatch(r"0|[1-9][0-9]{0,9}", i):
                    raise Rejected("bad-state", "state does not import: bad skipped iteration")
                skipped[cls._count(int(i), U32_MAX)] = cls._hex(key, KEY_BYTES)
            peers[sender] = PeerState(cls._hex(p["key_id"], FINGERPRINT_BYTES),
                                      cls._hex(p["signing_public_key"], KEY_BYTES),
                                      cls._hex(p["chain_key"], KEY_BYTES), cls._count(p["iteration"], U32_MAX + 1),
                                      skipped)
        return Member(top["group"], top["member"], own, peers)


# ----- the adapter protocol (docs/external-protocol.md) -----

class Request:
    """One request's fields, read with the checks whose failure is a protocol ``error``."""

    def __init__(self, fields: dict):
        self.fields = fields
        self.chain_steps = 0   # set by `decrypt`: the chain steps it took (the optional `chain_steps` field)

    def get(self, name: str, kind: type, nullable: bool = False):
        value = self.fields.get(name)
        if value is None and nullable and name in self.fields:
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise RequestError(f"`{name}` is missing or not a {kind.__name__}")
        return value

    def handle(self) -> int:
        handle = self.get("instance", int)
        if not 0 <= handle < 2**64:
            raise RequestError("`instance` must be an unsigned 64-bit integer")
        return handle

    def member(self, name: str) -> str:
        text = self.get(name, str)
        problem = id_problem(text) if valid_text(text) else "is not valid Unicode"
        if problem:
            raise RequestError(f"`{name}`: invalid id {shown(text)}: {problem}")
        return text

    def decoded(self, name: str, nullable: bool = False) -> bytes | None:
        text = self.get(name, str, nullable)
        if text is None:
            return None
        data = b64_decode(text)
        if data is None:
            raise RequestError(f"`{name}` is not standard padded base64")
        return data

    def random(self) -> bytes:
        data = self.decoded("random")
        if len(data) < RANDOM_BYTES:
            raise RequestError(f"`random` must hold {RANDOM_BYTES} bytes, got {len(data)}")
        return data


class Adapter:
    """Serves requests with Member instances, one per handle."""

    def __init__(self):
        self.instances: dict[int, Member] = {}

    def instance(self, request: Request) -> Member:
        handle = request.handle()
        if handle not in self.instances:
            raise RequestError(f"no instance {handle} (never created, or dropped)")
        return self.instances[handle]

    def insert(self, request: Request, member: Member) -> dict:
        handle = request.handle()
        if handle in self.instances:
            raise RequestError(f"instance {handle} exists already; handles are never reused")
        self.instances[handle] = member
        return {}

    def answer_line(self, line: bytes) -> dict:
        """The response to one request line; never raises."""
        try:
            fields = json.loads(line.decode("utf-8"))
        except (ValueError, RecursionError) as e:
            return {"id": 0, "error": f"the request is not JSON: {e}"}
        if not isinstance(fields, dict):
            return {"id": 0, "error": "the request is not a JSON object"}
        rid = fields.get("id")
        if type(rid) is not int or not 0 <= rid < 2**64:
            return {"id": 0, "error": "`id` is missing or not an unsigned integer"}
        response: dict = {"id": rid}
        request = Request(fields)
        try:
            op = fields.get("op")
            handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
            if handler is None:
                raise RequestError(f"unknown operation {op!r}")
            response["ok"] = handler(request)
        except Rejected as r:
            response["rejected"] = {"reason": r.reason, "detail": r.detail}
            request.chain_steps = r.chain_steps
        except RequestError as e:
            response["error"] = str(e)
        except Exception as e:  # noqa: BLE001 - a bug here must become an answer, not a crash
            print(f"accord-python: internal error in request {rid}: {e!r}", file=sys.stderr)
            response["error"] = f"internal error: {type(e).__name__}: {e}"
        if request.chain_steps:
            response["chain_steps"] = request.chain_steps
        return response

    # Each op_<name> returns the `ok` answer or raises Rejected / RequestError.

    def op_hello(self, r: Request) -> dict:
        return {"protocol": PROTOCOL_VERSION, "name": NAME, "transport": "pairwise", "skipped_keys_max": MAX_SKIP}

    def op_create(self, r: Request) -> dict:
        return self.insert(r, Member(r.member("group"), r.member("member")))

    def op_import(self, r: Request) -> dict:
        return self.insert(r, StateCodec.load(r.decoded("state")))

    def op_drop(self, r: Request) -> dict:
        self.instance(r)
        del self.instances[r.handle()]
        return {}

    def op_rotate(self, r: Request) -> dict:
        if r.fields.get("iteration", 0) != 0:
            # The design starts every chain at 0; a chain elsewhere it would silently not start.
            raise Rejected("unsupported", "this adapter starts every chain at iteration 0")
        random = r.random()
        return {"distribution": b64(self.instance(r).rotate(random))}

    def op_distribution(self, r: Request) -> dict:
        return {"distribution": b64(self.instance(r).distribution())}

    def op_process_distribution(self, r: Request) -> dict:
        sender, data = r.member("from"), r.decoded("distribution")
        self.instance(r).process_distribution(sender, data)
        return {}

    def op_encrypt(self, r: Request) -> dict:
        plaintext, random, m = r.decoded("plaintext"), r.random(), self.instance(r)
        envelope = m.encrypt(plaintext, random)
        return {"envelope": b64(envelope.encode()),
                "position": {"key_id": envelope.key_id.hex(), "iteration": envelope.iteration}}

    def op_decrypt(self, r: Request) -> dict:
        sender, data, m = r.member("from"), r.decoded("envelope"), self.instance(r)
        plaintext, r.chain_steps = m.decrypt(sender, data)
        return {"sender": sender, "plaintext": b64(plaintext), "skipped_keys": len(m.peers[sender].skipped)}

    def op_forget_sender(self, r: Request) -> dict:
        self.instance(r).peers.pop(r.member("member"), None)
        return {}

    def op_export(self, r: Request) -> dict:
        return {"state": b64(StateCodec.export(self.instance(r)))}

    def op_export_sender(self, r: Request) -> dict:
        sender = r.member("member")
        return {"state": b64(StateCodec.export_sender(self.instance(r), sender))}

    def op_skipped_keys(self, r: Request) -> dict:
        state = self.instance(r).peers.get(r.member("member"))
        return {"skipped_keys": 0 if state is None else len(state.skipped)}

    def op_forwarded_distributions(self, r: Request) -> dict:
        self.instance(r)
        return {"distributions": []}   # §2.3: Accord sends each key only over its owner's own DMs

    def op_signing_key(self, r: Request) -> dict:
        own = self.instance(r).own
        return {"signing_key": None if own is None else b64(own.seed)}

    def op_forge_as(self, r: Request) -> dict:
        if r.fields.get("ahead", 1) != 1:
            # The design's forger writes at the next iteration only; a jump it would silently not make.
            raise Rejected("unsupported", "this adapter forges only at the next iteration (`ahead` = 1)")
        sender, stolen = r.member("sender"), r.decoded("signing_key", nullable=True)
        plaintext, random, m = r.decoded("plaintext"), r.random(), self.instance(r)
        return {"envelope": b64(m.forge_as(sender, stolen, plaintext, random))}


def main() -> int:
    adapter, stdin, stdout = Adapter(), sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = stdin.readline(LINE_BYTES_MAX + 1)
        if not line:
            return 0
        if len(line) > LINE_BYTES_MAX:
            response = {"id": 0, "error": f"the request is longer than {LINE_BYTES_MAX} bytes"}
        else:
            response = adapter.answer_line(line)
        # ASCII-only JSON: a detail quoting odd input can never make the line unencodable.
        try:
            stdout.write(json.dumps(response, separators=(",", ":")).encode("ascii") + b"\n")
            stdout.flush()
        except BrokenPipeError:   # sksim stopped listening: the run is over
            return 0
        if len(line) > LINE_BYTES_MAX:
            return 1   # the rest of that line would be read as requests: the two sides are out of step


if __name__ == "__main__":
    sys.exit(main())

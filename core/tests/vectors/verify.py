#!/usr/bin/env python3
"""Verify sksim's known-answer vectors with an independent implementation.

Uses only Python's standard library and the `cryptography` package (pip install cryptography); shares no code
with the Rust crate. For every core/tests/vectors/<suite>.json it recomputes the chain (KDF), decrypts every
message, verifies every signature over `signed_bytes`, and checks that `wire` carries the message's fields and
that `signed_bytes` are what the suite signs.

Usage: python3 core/tests/vectors/verify.py [FILE.json ...]   (default: every *.json next to this script)
Exit status 0 when every vector verifies; 1 with one line per failure otherwise.
"""
import base64
import hashlib
import hmac
import json
import pathlib
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf_sha256(salt, ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def kdf_step(vec, ck):
    """(message key material, next chain key) for one chain position."""
    kind = vec["kdf"]
    if kind == "hmac-labels":
        message_label, chain_label = vec["labels"]
        return hmac_sha256(ck, message_label.encode()), hmac_sha256(ck, chain_label.encode())
    if kind == "hmac-bytes":
        seed = hmac_sha256(ck, b"\x01")
        return hkdf_sha256(None, seed, b"WhisperGroup", 48), hmac_sha256(ck, b"\x02")
    if kind == "hkdf-salted":
        info = b"chatalot-sender-key-chain"
        return hkdf_sha256(ck, b"\x01", info, 32), hkdf_sha256(ck, b"\x02", info, 32)
    raise ValueError(f"unknown kdf {kind}")


def decrypt(vec, msg):
    key, nonce = bytes.fromhex(msg["message_key"]), bytes.fromhex(msg["nonce"])
    aad, ct = bytes.fromhex(msg["aad"]), bytes.fromhex(msg["ciphertext"])
    aead = vec["aead"]
    if aead == "aes-256-gcm":
        return AESGCM(key).decrypt(nonce, ct, aad or None)
    if aead == "chacha20-poly1305":
        return ChaCha20Poly1305(key).decrypt(nonce, ct, aad or None)
    if aead == "aes-256-cbc":
        iv, cipher_key = key[:16], key[16:]
        assert iv == nonce, "signal: nonce is the IV half of the 48-byte key material"
        dec = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).decryptor()
        padded = dec.update(ct) + dec.finalize()
        unpad = padding.PKCS7(128).unpadder()
        return unpad.update(padded) + unpad.finalize()
    raise ValueError(f"unknown aead {aead}")


def read_varint(buf, pos):
    value, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def protobuf_fields(buf):
    """Field number -> value for a flat protobuf message of varints and length-delimited fields."""
    fields, pos = {}, 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            fields[number], pos = read_varint(buf, pos)
        elif wire_type == 2:
            length, pos = read_varint(buf, pos)
            fields[number], pos = buf[pos:pos + length], pos + length
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
    return fields


def wire_fields(suite, wire, msg):
    """(iteration, nonce, ciphertext, signature, signed bytes) as carried by the wire bytes."""
    if suite == "accord":
        env = json.loads(wire)
        assert list(env) == ["v", "sk", "i", "iv", "ct", "sig"] and env["v"] == 1
        iv, ct = base64.b64decode(env["iv"]), base64.b64decode(env["ct"])
        return env["i"], iv, ct, base64.b64decode(env["sig"]), iv + ct
    if suite == "chatalot":
        env = json.loads(wire)
        assert env["v"] == 1 and env["sk"] is True
        m = env["message"]
        return m["iteration"], bytes(m["nonce"]), bytes(m["ciphertext"]), None, None
    if suite == "p2p":
        f = protobuf_fields(wire)
        return f.get(3, 0), f[4], f[5], f[6], f[5]
    if suite == "signal":
        assert wire[0] == 0x33, "version byte"
        f = protobuf_fields(wire[1:-64])
        return f.get(3, 0), bytes.fromhex(msg["nonce"]), f[4], wire[-64:], wire[:-64]
    if suite == "hardened":
        version, kind, suite_byte, key_id, iteration = struct.unpack(">BBBII", wire[:11])
        assert (version, kind, suite_byte) == (1, 1, 1), "hardened header"
        assert wire[:11].hex() == msg["aad"], "hardened: the AAD is the header"
        nonce_len = wire[11]
        nonce = wire[12:12 + nonce_len]
        (ct_len,) = struct.unpack(">I", wire[12 + nonce_len:16 + nonce_len])
        ct = wire[16 + nonce_len:16 + nonce_len + ct_len]
        assert len(wire) == 16 + nonce_len + ct_len + 64, "hardened length"
        return iteration, nonce, ct, wire[-64:], wire[:-64]
    raise ValueError(f"unknown suite {suite}")


def check_chain(vec, fail):
    for entry in vec["chain"]:
        mk, nck = kdf_step(vec, bytes.fromhex(entry["chain_key"]))
        if mk.hex() != entry["message_key"] or nck.hex() != entry["next_chain_key"]:
            fail(f"chain iteration {entry['iteration']}: KDF output differs")
    for a, b in zip(vec["chain"], vec["chain"][1:]):
        if b["iteration"] == a["iteration"] + 1 and a["next_chain_key"] != b["chain_key"]:
            fail(f"chain iteration {b['iteration']}: does not follow {a['iteration']}")


def check_message(vec, msg, fail):
    at = f"message iteration {msg['iteration']}"
    if decrypt(vec, msg).hex() != msg["plaintext"]:
        fail(f"{at}: plaintext differs")
    iteration, nonce, ct, sig, signed = wire_fields(vec["suite"], bytes.fromhex(msg["wire"]), msg)
    if (iteration, nonce.hex(), ct.hex()) != (msg["iteration"], msg["nonce"], msg["ciphertext"]):
        fail(f"{at}: wire does not carry the vector's iteration, nonce and ciphertext")
    if "signature" not in msg:
        if sig is not None:
            fail(f"{at}: unsigned vector for a signed wire format")
        return
    if sig.hex() != msg["signature"] or signed.hex() != msg["signed_bytes"]:
        fail(f"{at}: wire signature or signed bytes differ from the vector")
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(msg["signing_public_key"]))
    try:
        key.verify(bytes.fromhex(msg["signature"]), bytes.fromhex(msg["signed_bytes"]))
    except InvalidSignature:
        fail(f"{at}: signature does not verify")


def verify(path):
    failures = []
    vec = json.loads(path.read_text())
    fail = lambda why: failures.append(f"{path.name}: {why}")
    check_chain(vec, fail)
    for msg in vec["messages"]:
        try:
            check_message(vec, msg, fail)
        except Exception as e:  # a malformed vector is a failure to report, not a crash
            fail(f"message iteration {msg.get('iteration')}: {type(e).__name__}: {e}")
    return failures


def main(argv):
    here = pathlib.Path(__file__).resolve().parent
    paths = [pathlib.Path(p) for p in argv] or sorted(here.glob("*.json"))
    failures = [f for p in paths for f in verify(p)]
    for f in failures:
        print(f)
    checked = sum(len(json.loads(p.read_text())["messages"]) for p in paths)
    print(f"{len(paths)} vector files, {checked} messages: {'FAILED' if failures else 'all verify'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Tests of the accord-python adapter (standard library only; the adapter itself needs `cryptography`).

- Scenario verdicts: each accord-relevant scenario runs through sksim twice, with the built-in `accord` and with
  this adapter (`--impl external:...`); every invariant must have the same status and violation count, and the
  expectations, deliveries, decryptions and the whole `metrics` section must agree; the adapter must have no
  crash, timeout or protocol error, and be named `external:accord-python`.
- Determinism: the same scenario twice through the adapter gives the same report, `performance` aside.
- The adapter on its own: malformed request lines get `error` answers with the request's id (or 0); truncated
  envelopes are rejected, never a crash; `forge_as`, export/import and byte-for-byte repeatability.
- Wire compatibility: every single-bit flip and every truncation of a genuine envelope and distribution, plus
  hand-made edge cases, get the same verdict (accepted, or the same rejection reason and chain steps) from this
  adapter and from `sksim-adapter accord` (sksim's Rust model, the same codec sksim crafts attacks with).

Run from anywhere: `python3 adapters/accord-python/test_adapter.py`. sksim is `$SKSIM`, or `target/debug/sksim`
under the repository root; `sksim-adapter` is taken from the same directory.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import shlex
import subprocess
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ADAPTER = HERE / "adapter.py"
EXTERNAL = f"external:{shlex.quote(sys.executable)} {shlex.quote(str(ADAPTER))}"

# Scenario files compared, each run with `--impl accord` (a no-op for the accord scenarios).
SCENARIOS = [
    "scenarios/accord-weaknesses.toml",
    "scenarios/weakness-08-unsigned-header-fields-accord.toml",
    "scenarios/weakness-13-server-adds-member-accord.toml",
    "scenarios/weakness-10-rotation-drops-in-flight.toml",
    "scenarios/weakness-14-replay.toml",
    "scenarios/quickstart.toml",
    "scenarios/libsignal-duplicates-and-replays.toml",
    "scenarios/libsignal-rotated-key-still-in-flight.toml",
    "scenarios/libsignal-skipped-key-cache-overflow.toml",
    "scenarios/weakness-04-no-per-message-signature.toml",
    "scenarios/weakness-12-signing-key-compromise.toml",
    "scenarios/weakness-15-far-future-iteration.toml",
]
DETERMINISM_SCENARIO = "scenarios/accord-weaknesses.toml"


def sksim() -> Path:
    path = Path(os.environ.get("SKSIM", "target/debug/sksim"))
    return path if path.is_absolute() else ROOT / path


def require(binary: Path) -> str:
    if not binary.is_file():
        raise AssertionError(f"{binary} is missing: run `cargo build -p sksim` in {ROOT} (or set SKSIM)")
    return str(binary)


@functools.lru_cache(maxsize=None)
def report(scenario: str, implementation: str) -> dict:
    """sksim's JSON report (cached: each run is made once per test process)."""
    return run_report(scenario, implementation)


def run_report(scenario: str, implementation: str) -> dict:
    command = [require(sksim()), "run", scenario, "--impl", implementation, "--format", "json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=600)
    # 1, 4, 5 and 6 mean "an expectation of the scenario is not met" (by kind: otherwise, safety, crash, liveness;
    # the README's table of exit statuses): still a report to compare. 2 (bad input) and 3 (harness) are failures.
    if done.returncode not in (0, 1, 4, 5, 6):
        raise AssertionError(f"{shlex.join(command)} exited with {done.returncode}: {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def random_bytes(n: int) -> str:
    """A fixed 64-byte `random` field, different for each n."""
    return b64(bytes((n * 37 + i * 11) % 256 for i in range(64)))


class AdapterProcess:
    """An adapter process spoken to one line at a time."""

    def __init__(self, argv: list[str]):
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 0

    def send_line(self, line: bytes) -> dict:
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise AssertionError(f"the adapter closed its output (exit status {self.process.wait()})")
        return json.loads(answer)

    def call(self, op: str, **fields) -> dict:
        self.next_id += 1
        answer = self.send_line(json.dumps({"id": self.next_id, "op": op, **fields}).encode())
        assert answer["id"] == self.next_id, answer
        return answer

    def ok(self, op: str, **fields) -> dict:
        answer = self.call(op, **fields)
        assert "ok" in answer, (op, answer)
        return answer["ok"]

    def close(self) -> int:
        self.process.stdin.close()
        status = self.process.wait(timeout=30)
        self.process.stdout.close()
        return status

    def __enter__(self) -> AdapterProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.close()


def python_adapter() -> AdapterProcess:
    adapter = AdapterProcess([sys.executable, str(ADAPTER)])
    adapter.ok("hello", protocol=1)
    return adapter


def pair(adapter: AdapterProcess, n: int = 1) -> str:
    """Instances 1 (alice, with a key) and 2 (bob, holding alice's distribution); returns the distribution."""
    adapter.ok("create", instance=1, group="g", member="alice")
    adapter.ok("create", instance=2, group="g", member="bob")
    distribution = adapter.ok("rotate", instance=1, random=random_bytes(n))["distribution"]
    adapter.ok("process_distribution", instance=2, distribution=distribution, **{"from": "alice"})
    return distribution


class ScenarioVerdicts(unittest.TestCase):
    """The adapter and the built-in accord give the same verdicts on sksim's scenarios."""

    maxDiff = None

    def compare(self, scenario: str) -> None:
        builtin, external = report(scenario, "accord"), report(scenario, EXTERNAL)
        self.assertEqual(external["implementation"], "external:accord-python")
        adapter = external["adapter"]
        for failure in ("crashes", "timeouts", "protocol_errors"):
            self.assertEqual(adapter[failure], 0, adapter["incidents"])
        verdicts = {i["name"]: (i["status"], i["violations"]) for i in builtin["invariants"]}
        self.assertEqual({i["name"]: (i["status"], i["violations"]) for i in external["invariants"]}, verdicts)
        self.assertEqual(external["expectations_met"], builtin["expectations_met"])
        for metric in ("deliveries", "decrypted"):
            self.assertEqual(external["metrics"][metric], builtin["metrics"][metric], metric)
        self.assertEqual(external["metrics"], builtin["metrics"])


def _scenario_test(scenario: str):
    return lambda self: self.compare(scenario)


for _scenario in SCENARIOS:
    setattr(ScenarioVerdicts, f"test_{Path(_scenario).stem.replace('-', '_')}", _scenario_test(_scenario))


class Determinism(unittest.TestCase):
    def test_same_seed_same_report(self):
        first, second = report(DETERMINISM_SCENARIO, EXTERNAL), run_report(DETERMINISM_SCENARIO, EXTERNAL)
        strip = lambda r: {k: v for k, v in r.items() if k != "performance"}  # noqa: E731
        self.assertEqual(strip(first), strip(second))

    def test_same_requests_same_bytes(self):
        def transcript() -> list:
            with python_adapter() as adapter:
                pair(adapter)
                envelope = adapter.ok("encrypt", instance=1, plaintext=b64(b"hi"), random=random_bytes(2))
                adapter.ok("decrypt", instance=2, envelope=envelope["envelope"], **{"from": "alice"})
                return [envelope, adapter.ok("export", instance=1), adapter.ok("export", instance=2)]
        self.assertEqual(transcript(), transcript())


class AdapterAlone(unittest.TestCase):
    """Direct requests to the adapter."""

    def test_hello(self):
        with AdapterProcess([sys.executable, str(ADAPTER)]) as adapter:
            self.assertEqual(adapter.call("hello", protocol=1), {"id": 1, "ok": {
                "protocol": 1, "name": "accord-python", "transport": "pairwise", "skipped_keys_max": 2000}})

    def test_malformed_requests_get_errors_with_their_id_or_0(self):
        with python_adapter() as adapter:
            for line, rid in [(b"this is not JSON", 0), (b"\xff\xfe", 0), (b"[1,2]", 0), (b'{"op":"hello"}', 0),
                              (b'{"id":-3,"op":"hello"}', 0), (b'{"id":7,"op":"explode"}', 7),
                              (b'{"id":8,"op":"export","instance":99}', 8), (b'{"id":9,"op":"create"}', 9),
                              (b'{"id":10,"op":"decrypt","instance":1,"from":"m1","envelope":"%%%"}', 10)]:
                answer = adapter.send_line(line)
                self.assertEqual(set(answer), {"id", "error"}, line)
                self.assertEqual(answer["id"], rid, line)
            self.assertIn("ok", adapter.call("hello", protocol=1))   # still serving
            self.assertEqual(adapter.close(), 0)

    def test_truncated_envelopes_are_rejected_without_a_trace(self):
        with python_adapter() as adapter:
            pair(adapter)
            envelope = base64.b64decode(
                adapter.ok("encrypt", instance=1, plaintext=b64(b"hello"), random=random_bytes(3))["envelope"])
            before = adapter.ok("export", instance=2)
            for n in range(len(envelope)):
                answer = adapter.call("decrypt", instance=2, envelope=b64(envelope[:n]), **{"from": "alice"})
                self.assertEqual(answer["rejected"]["reason"], "malformed", answer)
            self.assertEqual(adapter.ok("export", instance=2), before)
            accepted = adapter.ok("decrypt", instance=2, envelope=b64(envelope), **{"from": "alice"})
            self.assertEqual((accepted["sender"], accepted["plaintext"]), ("alice", b64(b"hello")))
            self.assertEqual(adapter.close(), 0)

    def test_forge_as(self):
        with python_adapter() as adapter:
            distribution = pair(adapter)
            adapter.ok("create", instance=3, group="g", member="carol")
            adapter.ok("process_distribution", instance=3, distribution=distribution, **{"from": "alice"})
            stolen = adapter.ok("signing_key", instance=1)["signing_key"]
            self.assertIsNone(adapter.ok("signing_key", instance=2)["signing_key"])
            carol = adapter.ok("export", instance=3)
            own = adapter.ok("forge_as", instance=3, sender="alice", signing_key=None, plaintext=b64(b"x"),
                             random=random_bytes(4))["envelope"]
            forged = adapter.ok("forge_as", instance=3, sender="alice", signing_key=stolen, plaintext=b64(b"y"),
                                random=random_bytes(5))["envelope"]
            self.assertEqual(adapter.ok("export", instance=3), carol)   # forging changes nothing
            refused = adapter.call("decrypt", instance=2, envelope=own, **{"from": "alice"})
            self.assertEqual(refused["rejected"]["reason"], "bad-signature")
            accepted = adapter.ok("decrypt", instance=2, envelope=forged, **{"from": "alice"})
            self.assertEqual((accepted["sender"], accepted["plaintext"]), ("alice", b64(b"y")))
            for sender, key, reason in [("dave", stolen, "unknown-sender"), ("alice", b64(b"short"),
                                        "malformed-signing-key")]:
                answer = adapter.call("forge_as", instance=3, sender=sender, signing_key=key, plaintext="",
                                      random=random_bytes(6))
                self.assertEqual(answer["rejected"]["reason"], reason)

    def test_export_import(self):
        with python_adapter() as adapter:
            pair(adapter)
            for handle in (1, 2):
                state = adapter.ok("export", instance=handle)["state"]
                adapter.ok("import", instance=10 + handle, state=state)
                self.assertEqual(adapter.ok("export", instance=10 + handle)["state"], state)
            for garbage in (b"", b"{}", b"null", b'{"group":"g"}', b"\xff"):
                answer = adapter.call("import", instance=20, state=b64(garbage))
                self.assertEqual(answer["rejected"]["reason"], "bad-state", garbage)


class WireCompatibility(unittest.TestCase):
    """The same inputs, the same verdicts as sksim's own accord model (served by `sksim-adapter accord`)."""

    @classmethod
    def setUpClass(cls):
        rust = require(sksim().parent / "sksim-adapter")
        cls.sides = [python_adapter(), AdapterProcess([rust, "accord"])]
        cls.sides[1].ok("hello", protocol=1)
        cls.handles = itertools.count(100)   # instance handles, never reused within the processes

    @classmethod
    def tearDownClass(cls):
        for side in cls.sides:
            side.close()

    def receivers(self, distribution: str) -> list:
        """On each side, a receiver holding `distribution` from alice, exported (each side its own format)."""
        states = []
        for side in self.sides:
            bob = next(self.handles)
            side.ok("create", instance=bob, group="g", member="bob")
            side.ok("process_distribution", instance=bob, distribution=distribution, **{"from": "alice"})
            states.append(side.ok("export", instance=bob)["state"])
        return states

    def verdicts(self, states: list, op: str, data: bytes) -> list:
        """Each side's verdict on `data` in a fresh copy of its receiver: accepted (with the plaintext) or the
        rejection reason, and the chain steps reported."""
        out = []
        for side, state in zip(self.sides, states):
            copy = next(self.handles)
            side.ok("import", instance=copy, state=state)
            field = "envelope" if op == "decrypt" else "distribution"
            answer = side.call(op, instance=copy, **{"from": "alice", field: b64(data)})
            side.ok("drop", instance=copy)
            self.assertNotIn("error", answer)
            verdict = answer["ok"].get("plaintext") if "ok" in answer else answer["rejected"]["reason"]
            out.append((verdict, answer.get("chain_steps")))
        return out

    def assert_same(self, states: list, op: str, inputs) -> int:
        count = 0
        for data in inputs:
            python, rust = self.verdicts(states, op, data)
            self.assertEqual(python, rust, f"{op} of {data[:200]!r}")
            count += 1
        return count

    @staticmethod
    def mutations(data: bytes):
        for i in range(len(data)):
            for bit in range(8):
                yield data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1:]
        for n in range(len(data)):
            yield data[:n]

    def sender(self, side: AdapterProcess) -> tuple:
        """alice on `side`: her distribution and three envelopes."""
        alice = next(self.handles)
        side.ok("create", instance=alice, group="g", member="alice")
        distribution = side.ok("rotate", instance=alice, random=random_bytes(alice))["distribution"]
        envelopes = [base64.b64decode(side.ok("encrypt", instance=alice, plaintext=b64(b"m%d" % i),
                                              random=random_bytes(alice + i))["envelope"]) for i in range(3)]
        return distribution, envelopes

    def test_every_bit_flip_and_truncation(self):
        for side in self.sides:   # keys and envelopes made by Python, then by Rust
            distribution, envelopes = self.sender(side)
            states = self.receivers(distribution)
            self.assert_same(states, "decrypt", envelopes)
            self.assert_same(states, "decrypt", self.mutations(envelopes[2]))   # iteration 2: two skipped keys
            self.assert_same(states, "process_distribution", self.mutations(base64.b64decode(distribution)))

    def test_edge_cases(self):
        distribution, envelopes = self.sender(self.sides[1])
        states = self.receivers(distribution)
        e, d = envelopes[0], base64.b64decode(distribution)
        fields, dfields = json.loads(e), json.loads(d)

        def env(**change) -> bytes:
            return json.dumps({**fields, **change}, separators=(",", ":")).encode()

        def dist(**change) -> bytes:
            return json.dumps({**dfields, **change}, separators=(",", ":")).encode()

        ct = base64.b64decode(fields["ct"])
        envelope_cases = [
            env(v=2), env(v=0), env(v=-1), env(v=1.0), env(v="1"), env(v=None), env(v=2**32),
            b'{"v":2,"new":"shape"}', b'{"v":2,"x":1,"x":2}', b'{"v":1,"v":1}', b'{"v":2', b'{"x":1}',
            e.replace(b'"v":1', b'"v":-0'), e.replace(b'"v":1', b'"v":1e0'), e.replace(b'"v":1', b'"v":NaN'),
            e.replace(b'"i":0', b'"i":-0'), e.replace(b'"i":0', b'"i":0.0'), e.replace(b'"i":0', b'"i":1e2'),
            e.replace(b'"i":0', b'"i":123456789012345678901234567890'), e.replace(b'"i":0', b'"i":Infinity'),
            env(i=2**32 - 1), env(i=2**32), env(i=2000), env(i=2001), env(i=1), env(i=True),
            env(sk=fields["sk"].upper()), env(sk="a1b2c3d4e5f6g7h8"), env(sk=""), env(sk=7),
            env(iv=b64(b"x" * 11)), env(iv=b64(b"x" * 13)), env(sig=b64(b"x" * 63)), env(ct=b64(ct[:15])),
            env(ct=b64(ct[:16])), env(ct=""), env(ct=b64(b"x" * 65569)), env(ct=b64(b"x" * 65568)),
            env(iv=fields["iv"][:-1] + "="), env(iv=" " + fields["iv"]), env(x=[[[[]]]]), env(v=2, x=[[[[]]]]),
            b" " * 263297, e + b" " * (263296 - len(e)), e + b" x", b"\xef\xbb\xbf" + e, b" \n\t\r" + e + b"\n",
            e.replace(b'"sk"', b'"s\\u006b"'), e.replace(b'"v"', b'"\\ud800"'), e.replace(b'"iv":"', b'"iv":"\\ud800'),
            b'[1,"0123456789abcdef",0,"","",""]', b"null", b'"x"', b"", b"{}", b'{"v":2,"x":1e400}',
            b'{"v":2,"x":' + b"[" * 200 + b"]" * 200 + b"}",
        ]
        distribution_cases = [
            dist(type="skdm2"), b'{"type":"hello","x":1}', dist(type=None), dist(ch=""), dist(ch="other"),
            dist(nd="a\u0007b"), dist(nd="x" * 129), dist(nd="\u00e9" * 65), dist(nd="carol"), dist(nd="alice\u0085"),
            dist(rep="0123456789abcdef"), dist(rep="FEFEFEFEFEFEFEFE"), dist(rep=False), dist(iter=-3),
            dist(iter=2**32 - 1), dist(iter=2**32), dist(iter=1.0), dist(ck=b64(b"x" * 31)), dist(spk=b64(b"x" * 33)),
            dist(ck=b64(b"x" * 31), iter=-1), dist(skid="0123"), d.replace(b',"rep":null', b""),
            d.replace(b'"rep":null', b'"rep":null,"rep":null'), d.replace(b'"nd":"alice"', b'"nd":"\\u0061lice"'),
            b'{"type":"x","type":"skdm"}',
        ]
        self.assert_same(states, "decrypt", envelope_cases)
        self.assert_same(states, "process_distribution", distribution_cases)
        # A distribution whose signing key is no valid key: every envelope then fails its signature check.
        self.assert_same(self.receivers(b64(dist(spk=b64(bytes(32))))), "decrypt", envelopes)


if __name__ == "__main__":
    unittest.main(verbosity=2)

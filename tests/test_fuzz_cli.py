"""`bidwire fuzz` end to end: it finds the breaks of a deliberately broken server and writes
reproducers that replay them; against `bidwire serve` it finds nothing and the server stays up.

FUZZ_SECONDS sets how long each run fuzzes (5 by default; `make fuzz` sets more).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzz.payloads import PayloadStream

from .broken_server import broken_server
from .servers import ServerProcess, bidwire_command, run

SECONDS = os.environ.get("FUZZ_SECONDS", "5")


@pytest.fixture(scope="module")
def broken() -> Iterator[str]:
    with broken_server() as port:
        yield f"http://127.0.0.1:{port}/openrtb2/bid"


def fuzz(*args: str, timeout: float = 120) -> tuple[int, str]:
    result = run(*bidwire_command(), "fuzz", "--quiet", *args, timeout=timeout)
    return result.returncode, (result.stdout + result.stderr).decode()


def reproducers(folder: Path) -> dict[str, dict[str, object]]:
    """Each reproducer's .bin path and its .json."""
    return {str(p): json.loads(p.with_suffix(".json").read_text()) for p in folder.glob("*.bin")}


def test_fuzz_finds_the_breaks_and_the_reproducers_replay(broken: str, tmp_path: Path) -> None:
    code, out = fuzz("--target", broken, "--seconds", "5", "--seed", "1", "--timeout", "1",
                     "--out", str(tmp_path))  # fmt: skip
    assert code == 1, out
    found = reproducers(tmp_path)
    failures = {meta["failure"] for meta in found.values()}
    assert "status 500" in failures, out
    assert any(meta["kind"] == "frames" for meta in found.values()), out  # silence to bad frames
    assert "reproducer" in out and "replay: bidwire fuzz --replay" in out

    # One reproducer of each kind replays its failure: for payloads, one the broken server
    # fails by its rule (a 500), not a timeout that a loaded machine can also produce.
    for kind in ("payload", "frames"):
        path, meta = next(
            (p, m)
            for p, m in found.items()
            if m["kind"] == kind
            and "alone" not in m["failure"]
            and (kind == "frames" or m["failure"] == "status 500")
        )
        code, out = fuzz("--replay", path, "--target", broken, "--timeout", "1")
        assert code == 1, out
        assert f"FAILURE: {meta['failure']}" in out, out


def test_replay_without_the_json_guesses_the_kind(broken: str, tmp_path: Path) -> None:
    body = tmp_path / "dooh.bin"
    body.write_bytes(b'{"id":"1","imp":[{"id":"1"}],"dooh":{"id":"s"}}')
    code, out = fuzz("--replay", str(body), "--target", broken)
    assert (code, "status 500" in out) == (1, True), out


def test_fuzz_finds_nothing_in_bidwire(tmp_path: Path) -> None:
    with ServerProcess() as server:
        code, out = fuzz("--target", server.url(), "--seconds", SECONDS, "--seed", "1",
                         "--out", str(tmp_path))  # fmt: skip
        assert code == 0, out
        assert "failures  0" in out
        assert not list(tmp_path.glob("*.bin"))
        assert server.process.poll() is None  # still up
        # A payload the broken server fails on is answered properly here.
        body = tmp_path / "dooh.bin"
        body.write_bytes(b'{"id":"1","imp":[{"id":"1"}],"dooh":{"id":"s"}}')
        code, out = fuzz("--replay", str(body), "--target", server.url())
        assert code == 0, out
        server.terminate()


def test_the_same_seed_gives_the_same_payloads() -> None:
    first, second = PayloadStream(7, ("json", "proto"), 10), PayloadStream(7, ("json", "proto"), 10)
    assert [first.payload(i) for i in range(200)] == [second.payload(i) for i in range(200)]
    other = PayloadStream(8, ("json", "proto"), 10)
    assert [first.payload(i).body for i in range(50)] != [other.payload(i).body for i in range(50)]

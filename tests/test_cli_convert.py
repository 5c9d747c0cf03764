"""`bidwire convert`, run through the installed console script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openrtb import JsonCodec, ProtoCodec

from .conftest import corpus_files, needs_corpus

JSON = JsonCodec()
PROTO = ProtoCodec()


def bidwire() -> str:
    script = Path(sys.executable).with_name("bidwire")
    found = str(script) if script.exists() else shutil.which("bidwire")
    assert found, "the bidwire console script is not installed"
    return found


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [bidwire(), *args], input=stdin, capture_output=True, timeout=60, check=False
    )


@needs_corpus
@pytest.mark.parametrize("path", corpus_files("requests")[::7], ids=lambda p: p.name)
def test_request_json_to_proto_and_back(path: Path) -> None:
    to_proto = run("convert", "--to", "proto", str(path))
    assert to_proto.returncode == 0, to_proto.stderr
    assert PROTO.decode_request(to_proto.stdout) == PROTO.decode_request(
        PROTO.encode_request(JSON.decode_request(path.read_bytes()))
    )
    back = run("convert", "--to", "json", stdin=to_proto.stdout)  # stdin when FILE is absent
    assert back.returncode == 0, back.stderr
    assert JSON.decode_request(back.stdout) == PROTO.decode_request(to_proto.stdout)


@needs_corpus
@pytest.mark.parametrize("path", corpus_files("responses")[::7], ids=lambda p: p.name)
def test_response_json_to_proto_and_back(path: Path) -> None:
    to_proto = run("convert", "--to", "proto", "--type", "response", str(path))
    assert to_proto.returncode == 0, to_proto.stderr
    back = run("convert", "--to", "json", "--type", "response", "-", stdin=to_proto.stdout)
    assert back.returncode == 0, back.stderr
    assert JSON.decode_response(back.stdout) == PROTO.decode_response(to_proto.stdout)


def test_bad_input_exits_2_with_one_line() -> None:
    result = run(
        "convert", "--to", "proto", stdin=b'{"id":"1","imp":[{"id":"1","banner":{"w":"x"}}]}'
    )
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert lines == ["bidwire convert: $.imp[0].banner.w: expected int, got str"]
    garbage = run("convert", "--to", "json", stdin=b"\x0a\x05ab")
    assert garbage.returncode == 2 and len(garbage.stderr.decode().splitlines()) == 1
    missing = run("convert", "--to", "json", "/nonexistent/file.bin")
    assert missing.returncode == 2 and len(missing.stderr.decode().splitlines()) == 1

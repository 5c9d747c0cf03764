"""The protobuf fast path (openrtb/proto_fast.py over the generated openrtb/proto_wire.py) against
the full codec by google.protobuf (upb, through openrtb/proto_codec.py): requests read, and
responses written (byte for byte what upb serializes).

For any message, malformed ones included: both refuse it (DecodeError), or both accept it and
agree on every field the bidder reads (openrtb.proto_gen.READS). Messages come three ways: any
BidRequest encoded by upb; those broken by fuzz/hostile.py's protobuf mutators; and raw wire
messages written field by field on the schema's field numbers (repeats of singular fields and
messages, the other members of a oneof, packed and unpacked repeats, wrong wire types, 64-bit
and negative varints, unknown fields and groups, cut short or not). Each check runs on the
readers as imported (compiled by `make compile`, if it was run) and on the Python source.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import openrtb.proto_wire
from fuzz.hostile import hostile_proto_bodies, tag, varint
from fuzz.strategies import bid_requests, bid_responses
from openrtb import BidResponse, DecodeError, EncodeError, ProtoCodec
from openrtb import openrtb_pb2 as pb
from openrtb.proto_fast import COMPILED, BiddingProto, python_readers
from openrtb.proto_gen import READS, fingerprint, source

ROOT = Path(__file__).resolve().parent.parent
WIRE_SOURCE = ROOT / "openrtb/proto_wire.py"
PROTO = ProtoCodec()


READERS = {"imported": BiddingProto(PROTO), "python": BiddingProto(PROTO, python_readers())}


def projection(value: Any) -> Any:
    """The fields the bidder reads, as plain data (floats by their bits: NaN equals NaN)."""
    if isinstance(value, list):
        return [projection(v) for v in value]
    if isinstance(value, msgspec.Struct):
        name = type(value).__name__
        if name not in READS:  # read whole (Native): every field
            return msgspec.to_builtins(value)
        return {f: projection(getattr(value, f)) for f in READS[name]}
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    return value


def outcome(decode: Any, body: bytes) -> Any:
    try:
        return projection(decode(body))
    except DecodeError as exc:
        return ("refused", exc.path)


def check(body: bytes) -> Any:
    full = outcome(PROTO.decode_request, body)
    for name, reader in READERS.items():
        assert outcome(reader.decode_request, body) == full, name
    return full


# -- raw wire messages on the schema's field numbers -------------------------------------------

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5


def _messages(descriptor: Any, out: dict[str, Any]) -> dict[str, Any]:
    """Every message type reachable from ``descriptor``, by full name."""
    if descriptor.full_name not in out:
        out[descriptor.full_name] = descriptor
        for fd in descriptor.fields:
            if fd.message_type is not None:
                _messages(fd.message_type, out)
    return out


_DESCRIPTORS = _messages(pb.BidRequest.DESCRIPTOR, {})
_VARINTS = st.one_of(
    st.integers(0, 300),
    st.sampled_from((2**31 - 1, 2**31, 2**32 + 7, 2**63, 2**64 - 1, 2**64 - 5)),
    st.integers(0, 2**64 - 1),
)


@st.composite
def _field(draw: st.DrawFn, message: str, depth: int) -> bytes:
    descriptor = _DESCRIPTORS[message]
    fields = list(descriptor.fields)
    fd = draw(st.sampled_from(fields)) if fields and draw(st.integers(0, 9)) else None
    number = fd.number if fd is not None else draw(st.integers(1, 2000))
    sub = fd.message_type.full_name if fd is not None and fd.message_type is not None else None
    # The right wire type most of the time; any other one sometimes (an unknown field then).
    kinds = ["varint", "i64", "i32", "len", "packed", "group"]
    if fd is not None and draw(st.integers(0, 3)):
        if sub is not None:
            kinds = ["message"]
        elif fd.type == fd.TYPE_STRING:
            kinds = ["text"]
        elif fd.type == fd.TYPE_DOUBLE:
            kinds = ["i64"]
        elif fd.is_repeated:
            kinds = ["varint", "packed"]
        else:
            kinds = ["varint"]
    kind = draw(st.sampled_from(kinds))
    if kind == "message" and sub in _DESCRIPTORS and depth < 4:
        inner = draw(_wire(sub, depth + 1))
        return tag(number, LEN) + varint(len(inner)) + inner
    if kind in ("message", "len"):
        data = draw(st.binary(max_size=12))
        return tag(number, LEN) + varint(len(data)) + data
    if kind == "text":
        data = draw(st.text(max_size=8)).encode()
        if not draw(st.integers(0, 15)):
            data += b"\xff"  # not UTF-8
        return tag(number, LEN) + varint(len(data)) + data
    if kind == "varint":
        return tag(number, VARINT) + varint(draw(_VARINTS))
    if kind == "packed":
        data = b"".join(varint(v) for v in draw(st.lists(_VARINTS, max_size=4)))
        return tag(number, LEN) + varint(len(data)) + data
    if kind == "i64":
        return tag(number, I64) + struct.pack("<d", draw(st.floats()))
    if kind == "i32":
        return tag(number, I32) + draw(st.binary(min_size=4, max_size=4))
    inner = draw(_wire(message, depth + 1)) if depth < 4 else b""
    return tag(number, SGROUP) + inner + tag(number, EGROUP)


@st.composite
def _wire(draw: st.DrawFn, message: str, depth: int = 0) -> bytes:
    return b"".join(draw(st.lists(_field(message, depth), max_size=8 if depth else 14)))


@st.composite
def wire_requests(draw: st.DrawFn) -> bytes:
    """A BidRequest's wire bytes written field by field; sometimes cut short or with a byte
    changed."""
    body = tag(1, LEN) + b"\x02id" + draw(_wire(pb.BidRequest.DESCRIPTOR.full_name))
    how = draw(st.integers(0, 9))
    if how == 0 and body:
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif how == 1 and body:
        at = draw(st.integers(0, len(body) - 1))
        body = body[:at] + bytes((draw(st.integers(0, 255)),)) + body[at + 1 :]
    return body


# -- the properties ----------------------------------------------------------------------------


@given(bid_requests(with_ext=False))
def test_any_request_reads_as_the_full_decode_reads_it(request: Any) -> None:
    check(PROTO.encode_request(request))


@given(hostile_proto_bodies())
def test_broken_requests_get_the_full_decodes_verdict(body: bytes) -> None:
    event("refused" if isinstance(check(body), tuple) else "accepted")


@given(wire_requests())
def test_any_wire_message_gets_the_full_decodes_verdict(body: bytes) -> None:
    event("refused" if isinstance(check(body), tuple) else "accepted")


def field(number: int, value: bytes | int) -> bytes:
    """A length-delimited field holding ``value`` (bytes), or a varint field (int)."""
    if isinstance(value, int):
        return tag(number, VARINT) + varint(value)
    return tag(number, LEN) + varint(len(value)) + value


RID = field(1, b"r")


@pytest.mark.parametrize(
    ("what", "body", "accepted"),
    [
        # device twice: merged (geo from the first, os from the second)
        ("merge", RID + field(5, field(4, field(3, b"USA"))) + field(5, field(14, b"iOS")), True),
        # site, then app, then site: the oneof keeps the last site, fresh
        ("oneof", RID + field(3, field(3, b"a.example")) + field(4, field(8, b"com.b"))
         + field(3, field(4, b"IAB1")), True),
        # tmax as a negative varint (10 bytes), at as 2**32 + 2 (low 32 bits: 2), test as 2**64
        ("int32", RID + field(8, -5) + field(7, 2**32 + 2) + tag(15, VARINT) + b"\x80" * 9
         + b"\x02", True),
        # cur twice; an imp whose battr comes packed and unpacked
        ("repeats", RID + field(11, b"USD") + field(11, b"EUR")
         + field(2, field(1, b"1") + field(2, field(6, b"\x01\x02") + field(6, 3))), True),
        # an unknown group holding a nested group, then a string field as a varint (unknown)
        ("groups", tag(900, SGROUP) + tag(901, SGROUP) + tag(901, EGROUP) + tag(900, EGROUP)
         + RID + field(1, 7), True),
        ("no id", field(8, 5), False),
        ("imp without id", RID + field(2, b""), False),
        ("bad utf-8 where nobody reads", RID + field(5, field(2, b"\xff")), False),
    ],
)  # fmt: skip
def test_protobuf_semantics(what: str, body: bytes, accepted: bool) -> None:
    full = outcome(PROTO.decode_request, body)
    assert (not isinstance(full, tuple)) is accepted, what
    check(body)


# -- the response writer ----------------------------------------------------------------------


def encoded(encode: Any, response: Any) -> Any:
    try:
        return encode(response)
    except EncodeError:
        return "refused"


@given(bid_responses(with_ext=False) | bid_responses())
def test_any_response_is_written_as_the_full_codec_writes_it(response: BidResponse) -> None:
    # Byte for byte what upb serializes from the full codec's message (ext included: the
    # writer leaves those to the full codec).
    full = encoded(PROTO.encode_response, response)
    for name, lane in READERS.items():
        assert encoded(lane.encode_response, response) == full, name


def test_the_pipelines_responses_are_written_by_the_writer() -> None:
    # What the bidder answers never needs the full codec.
    from bidder.pipeline import Pipeline
    from bidwire.benchmarks.decisions import ARRIVAL, WALLCLOCK, Recorder

    recorder = Recorder()
    body = (ROOT / "bench/body-1k.json").read_bytes()
    pipeline = Pipeline(recorder.holder, clock=lambda: ARRIVAL, wallclock=lambda: WALLCLOCK,
                        signer=recorder.signer)  # fmt: skip
    response = pipeline.decide(recorder.json.decode_request(body), ARRIVAL)
    assert isinstance(response, BidResponse)
    for reader in READERS.values():
        assert reader._write(response) == PROTO.encode_response(response)


def test_the_readers_are_generated_from_the_schema() -> None:
    # `make proto` regenerates openrtb/proto_wire.py: the committed file is what the generator
    # makes from the schema and READS now.
    assert WIRE_SOURCE.read_text() == source()
    out = subprocess.run([sys.executable, "-m", "openrtb.proto_gen"], capture_output=True,
                         check=True, cwd=ROOT).stdout  # fmt: skip
    assert out.decode() == source()


def test_which_readers_run() -> None:
    # `make compile` builds openrtb/proto_wire with mypyc: the import then finds the extension
    # (and runs it when it was built from the source there now: it is, after `make compile`).
    assert READERS["python"]._read.__module__ == "openrtb._proto_wire_source"
    built = any(ROOT.glob("openrtb/proto_wire.*.so"))
    assert (not str(openrtb.proto_wire.__file__).endswith(".py")) == built
    assert (
        built and fingerprint(WIRE_SOURCE.read_text()) == openrtb.proto_wire.FINGERPRINT
    ) == COMPILED

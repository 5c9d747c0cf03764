"""Wire-compatibility tests for ``schemas/openrtb.proto``.

The schema is checked against the descriptor dumps of the IAB Tech Lab
OpenRTB 2.6 proto and Google's openrtb.proto recorded in the shared corpus
(``PROTO_FIELDS.md``, present beside the repo only), the committed generated
module is checked to be current, and a hand-encoded BidRequest is parsed.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.unknown_fields import UnknownFieldSet

from openrtb import openrtb_pb2

REPO_ROOT = Path(__file__).resolve().parents[1]
PROTO_FIELDS_MD = REPO_ROOT.parent / "shared" / "corpus" / "openrtb" / "PROTO_FIELDS.md"

ROOTS = ("BidRequest", "BidResponse", "NativeRequest", "NativeResponse")

# Google fields (by Google's message path) that bidwire deliberately leaves
# out. Both are Google-only deprecated fields with no IAB counterpart; they
# arrive as unknown fields, and the schema reserves their numbers.
GOOGLE_ONLY_ALLOWED = [
    "BidRequest.Content.context_22=12",  # OpenRTB 2.2 string context
    "BidRequest.Imp.Video.companionad_21=22",  # OpenRTB 2.1 CompanionAd wrapper
]
# Google messages only reachable through the allow-listed fields above.
GOOGLE_UNREACHED_ALLOWED = {"BidRequest.Imp.Video.CompanionAd"}

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

_DUMP_TYPE_WIRE = {
    "int32": VARINT,
    "int64": VARINT,
    "uint32": VARINT,
    "uint64": VARINT,
    "bool": VARINT,
    "enum": VARINT,
    "double": FIXED64,
    "fixed64": FIXED64,
    "float": FIXED32,
    "string": LEN,
    "bytes": LEN,
    "message": LEN,
}
_OUR_TYPE_WIRE = {
    FieldDescriptor.TYPE_INT32: VARINT,
    FieldDescriptor.TYPE_INT64: VARINT,
    FieldDescriptor.TYPE_UINT32: VARINT,
    FieldDescriptor.TYPE_UINT64: VARINT,
    FieldDescriptor.TYPE_BOOL: VARINT,
    FieldDescriptor.TYPE_ENUM: VARINT,
    FieldDescriptor.TYPE_DOUBLE: FIXED64,
    FieldDescriptor.TYPE_FIXED64: FIXED64,
    FieldDescriptor.TYPE_FLOAT: FIXED32,
    FieldDescriptor.TYPE_STRING: LEN,
    FieldDescriptor.TYPE_BYTES: LEN,
    FieldDescriptor.TYPE_MESSAGE: LEN,
}


# --------------------------------------------------------------------------
# Descriptor dump parsing
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DumpField:
    """One field line of a descriptor dump."""

    number: int
    name: str
    label: str  # "optional" | "required" | "repeated"
    kind: str  # scalar type, "message" or "enum"
    type_name: str | None  # short name of the message/enum type
    oneof: str | None


@dataclass
class DumpMessage:
    """One ``## Message`` section of a descriptor dump."""

    name: str  # package-relative, e.g. "BidRequest.Imp"
    ext_ranges: list[tuple[int, int]]  # inclusive bounds
    fields: list[DumpField] = field(default_factory=list)


Dump = dict[str, DumpMessage]

_HEADER_RE = re.compile(r"^## (\S+)\s+ext_ranges=\[(.*?)\]\s+oneofs=\[.*\]$")
_FIELD_RE = re.compile(r"^\s*(\d+)\s+(\w+)\s+(optional|required|repeated)\s+(\w+)(.*)$")


def parse_dump(text: str) -> Dump:
    """Parse one fenced descriptor dump into messages keyed by name."""
    messages: Dump = {}
    current: DumpMessage | None = None
    for line in text.splitlines():
        if header := _HEADER_RE.match(line):
            ranges = [(int(lo), int(hi)) for lo, hi in re.findall(r"(\d+)-(\d+)", header.group(2))]
            current = DumpMessage(header.group(1), ranges)
            messages[current.name] = current
        elif (match := _FIELD_RE.match(line)) and current is not None:
            number, name, label, kind, rest = match.groups()
            tokens = rest.split()
            type_name = tokens[0] if kind in ("message", "enum") else None
            oneof = re.search(r"\boneof=(\w+)", rest)
            current.fields.append(
                DumpField(
                    int(number),
                    name,
                    label,
                    kind,
                    type_name,
                    oneof.group(1) if oneof else None,
                )
            )
    return messages


def load_dumps(path: Path) -> dict[str, Dump]:
    """Return the Google and IAB dumps of PROTO_FIELDS.md keyed by origin."""
    blocks = re.findall(r"```\n(# file .*?)```", path.read_text(), flags=re.S)
    dumps: dict[str, Dump] = {}
    for block in blocks:
        first_line = block.splitlines()[0]
        if "package=com.google.openrtb" in first_line:
            dumps["google"] = parse_dump(block)
        elif "package=com.iabtechlab.openrtb.v2" in first_line:
            dumps["iab"] = parse_dump(block)
    assert set(dumps) == {"google", "iab"}, f"dumps found: {sorted(dumps)}"
    return dumps


@pytest.fixture(scope="module")
def dumps() -> dict[str, Dump]:
    """The parsed dumps; skips when the corpus is not beside the repo."""
    if not PROTO_FIELDS_MD.is_file():
        pytest.skip(f"corpus file not present: {PROTO_FIELDS_MD}")
    return load_dumps(PROTO_FIELDS_MD)


# --------------------------------------------------------------------------
# Walking their messages alongside ours
# --------------------------------------------------------------------------


def _relative_name(desc: Descriptor) -> str:
    """Our message name without the package, e.g. "BidRequest.Video"."""
    return desc.full_name.removeprefix(desc.file.package + ".")


def _resolve(dump: Dump, scope: str, short: str) -> str | None:
    """Resolve a short type name the way protoc scopes it, innermost first."""
    parts = scope.split(".")
    for depth in range(len(parts), -1, -1):
        candidate = ".".join([*parts[:depth], short])
        if candidate in dump:
            return candidate
    return None


@dataclass
class Comparison:
    """Outcome of walking one dump against our schema."""

    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "Msg.name=number"
    visited: set[str] = field(default_factory=set)


def compare(dump: Dump, *, strict: bool) -> Comparison:
    """Walk ``dump`` from the roots by field name, checking each shared field.

    Shared fields (same number) must agree on wire type and repeated-ness.
    With ``strict`` (IAB) names, oneof membership and extension ranges must
    match too.
    """
    result = Comparison()
    queue: deque[tuple[str, Descriptor]] = deque(
        (root, getattr(openrtb_pb2, root).DESCRIPTOR) for root in ROOTS
    )
    seen: set[tuple[str, str]] = set()
    while queue:
        theirs_name, ours = queue.popleft()
        if (theirs_name, ours.full_name) in seen:
            continue
        seen.add((theirs_name, ours.full_name))
        result.visited.add(theirs_name)
        theirs = dump[theirs_name]
        where = f"{theirs_name} -> {ours.full_name}"

        if strict:
            our_ranges = [(lo, hi - 1) for lo, hi in ours.extension_ranges]
            if our_ranges != theirs.ext_ranges:
                result.errors.append(
                    f"{where}: extension ranges {our_ranges} != {theirs.ext_ranges}"
                )

        for their in theirs.fields:
            ours_f = ours.fields_by_number.get(their.number)
            label = f"{theirs_name}.{their.name}={their.number}"
            if ours_f is None:
                result.missing.append(label)
                continue
            if _OUR_TYPE_WIRE[ours_f.type] != _DUMP_TYPE_WIRE[their.kind]:
                result.errors.append(
                    f"{label}: wire type of our {ours_f.full_name} "
                    f"({ours_f.type}) is incompatible with {their.kind}"
                )
            if ours_f.is_repeated != (their.label == "repeated"):
                result.errors.append(
                    f"{label}: ours repeated={ours_f.is_repeated}, theirs {their.label}"
                )
            if strict:
                if ours_f.name != their.name:
                    result.errors.append(f"{label}: our name is {ours_f.name!r}")
                our_oneof = ours_f.containing_oneof
                our_oneof_name = our_oneof.name if our_oneof is not None else None
                if our_oneof_name != their.oneof:
                    result.errors.append(f"{label}: oneof {our_oneof_name!r} != {their.oneof!r}")

            if their.kind == "message" and ours_f.message_type is not None:
                assert their.type_name is not None
                target = _resolve(dump, theirs_name, their.type_name)
                if target is None and _relative_name(ours_f.message_type) in dump:
                    # Dumps give short type names only; fall back to ours
                    # (e.g. IAB NativeRequest.Asset.video is BidRequest.Video).
                    target = _relative_name(ours_f.message_type)
                if target is not None:
                    queue.append((target, ours_f.message_type))
    return result


# --------------------------------------------------------------------------
# (a) compatibility with the IAB and Google protos
# --------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["iab", "google"])
def test_shared_fields_are_wire_compatible(dumps: dict[str, Dump], origin: str) -> None:
    """Every field number we share has the same wire type and label."""
    result = compare(dumps[origin], strict=origin == "iab")
    assert not result.errors, "\n".join(result.errors)


def test_every_iab_field_and_message_is_present(dumps: dict[str, Dump]) -> None:
    """All IAB messages are reached and all IAB fields exist in ours."""
    iab = dumps["iab"]
    result = compare(iab, strict=True)
    assert result.missing == []
    assert result.visited == set(iab), sorted(set(iab) - result.visited)


def test_google_only_fields_match_allow_list(dumps: dict[str, Dump]) -> None:
    """Google fields absent from ours are exactly the allow-listed ones."""
    google = dumps["google"]
    result = compare(google, strict=False)
    assert sorted(result.missing) == sorted(GOOGLE_ONLY_ALLOWED)
    assert set(google) - result.visited == GOOGLE_UNREACHED_ALLOWED


def test_left_out_google_numbers_are_reserved() -> None:
    """Numbers of left-out Google fields are never reused in our schema."""
    for desc, number in (
        (openrtb_pb2.BidRequest.Content.DESCRIPTOR, 12),
        (openrtb_pb2.BidRequest.Video.DESCRIPTOR, 22),
    ):
        assert number not in desc.fields_by_number, f"{desc.full_name}: {number}"


# --------------------------------------------------------------------------
# (b) the committed generated module is current
# --------------------------------------------------------------------------


def test_generated_module_is_current(tmp_path: Path) -> None:
    """openrtb/openrtb_pb2.py(i) equal a fresh protoc run (run `make proto`)."""
    pytest.importorskip("grpc_tools")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-I",
            "schemas",
            f"--python_out={tmp_path}",
            f"--pyi_out={tmp_path}",
            "schemas/openrtb.proto",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("openrtb_pb2.py", "openrtb_pb2.pyi"):
        fresh = (tmp_path / name).read_bytes()
        committed = (REPO_ROOT / "openrtb" / name).read_bytes()
        assert fresh == committed, f"openrtb/{name} is stale: run `make proto`"


# --------------------------------------------------------------------------
# (c) parsing hand-encoded wire bytes
# --------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    """Base-128 varint encoding of a non-negative int."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    """Field key: (number << 3) | wire type."""
    return _varint((number << 3) | wire_type)


def f_varint(number: int, value: int) -> bytes:
    """A varint field (int32, bool, enum)."""
    return _tag(number, VARINT) + _varint(value)


def f_double(number: int, value: float) -> bytes:
    """A fixed64 double field."""
    return _tag(number, FIXED64) + struct.pack("<d", value)


def f_len(number: int, payload: bytes | str) -> bytes:
    """A length-delimited field (string or embedded message)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return _tag(number, LEN) + _varint(len(data)) + data


def _unknown_fields(msg: Message) -> list[tuple[int, int]]:
    """(number, wire type) of the unknown fields protobuf kept on ``msg``."""
    unknown = UnknownFieldSet(msg)
    return [(unknown[i].field_number, unknown[i].wire_type) for i in range(len(unknown))]


def test_parses_hand_encoded_bid_request() -> None:
    """A BidRequest encoded with the IAB numbers parses into our messages."""
    google_ext = f_varint(1, 1)  # payload of a Google extension on Imp
    banner = (
        f_varint(1, 300)
        + f_varint(2, 250)
        + f_len(15, f_varint(1, 300) + f_varint(2, 250))
        + f_len(15, f_varint(1, 728) + f_varint(2, 90))
        + f_len(6, _varint(3) + _varint(13))  # battr, packed
    )
    imp = f_len(1, "imp-1") + f_len(2, banner) + f_double(8, 1.25) + f_len(1009, google_ext)
    site = f_len(3, "example.com") + f_len(11, f_len(1, "pub-9"))
    device = f_len(2, "Mozilla/5.0") + f_len(4, f_len(3, "DEU"))
    wire = (
        f_len(1, "req-1")
        + f_len(2, imp)
        + f_len(3, site)
        + f_len(5, device)
        + f_len(6, f_len(1, "user-7"))
        + f_varint(7, 1)
        + f_varint(8, 120)
        + f_len(14, f_varint(4, 1))
        + f_varint(777, 42)
    )

    req = openrtb_pb2.BidRequest.FromString(wire)

    assert req.id == "req-1"
    assert req.WhichOneof("distributionchannel_oneof") == "site"
    assert req.at == 1
    assert req.tmax == 120
    assert len(req.imp) == 1
    imp_msg = req.imp[0]
    assert imp_msg.id == "imp-1"
    assert imp_msg.bidfloor == 1.25
    assert (imp_msg.banner.w, imp_msg.banner.h) == (300, 250)
    assert [(f.w, f.h) for f in imp_msg.banner.format] == [(300, 250), (728, 90)]
    assert list(imp_msg.banner.battr) == [3, 13]
    assert req.site.domain == "example.com"
    assert req.site.publisher.id == "pub-9"
    assert req.device.ua == "Mozilla/5.0"
    assert req.device.geo.country == "DEU"
    assert req.user.id == "user-7"
    assert req.regs.gdpr is True
    assert not req.regs.HasField("coppa")

    # Unknown fields are kept (and re-emitted), not dropped or rejected.
    assert _unknown_fields(req) == [(777, VARINT)]
    assert _unknown_fields(imp_msg) == [(1009, LEN)]
    assert openrtb_pb2.BidRequest.FromString(req.SerializeToString()) == req
    assert f_varint(777, 42) in req.SerializeToString()

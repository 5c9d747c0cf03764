"""``bidwire bench decode``: what parsing a bid request and encoding a bid response cost.

For every request of a corpus, each decoder is timed bare (parse only) and followed by a walk
over the fields the bidder reads (:mod:`bidwire.benchmarks.fields`): upb decodes lazily, so
the bare figure flatters it. The protobuf legs decode the same request converted with our own
codec. For every response, each encoder is timed on the same BidResponse.

Each figure is the median of ``repeat`` runs of a timeit loop sized to last ``run_ms``, with
the garbage collector off during a run (timeit's default; the server runs with gc.freeze and a
high gen-0 threshold, so collections are rare there too). Figures are µs per message, and MB/s
of the message's JSON size (for the protobuf legs too, so that the columns compare the cost of
the same message).
"""

from __future__ import annotations

import json
import statistics
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import msgspec
import orjson

from openrtb import JsonCodec, ProtoCodec
from openrtb import openrtb_pb2 as pb
from openrtb.errors import CodecError
from openrtb.proto_fast import BiddingProto

from .fields import read_attrs, read_dict


@dataclass(frozen=True)
class Leg:
    """One codec path: ``key`` in the JSON output, ``label`` in tables and plots."""

    key: str
    label: str
    codec: str


#: Decoders, each timed bare and with the bidder's fields read.
DECODERS: Final = (
    Leg("json", "stdlib json -> dict", "json"),
    Leg("orjson", "orjson -> dict", "orjson"),
    Leg("msgspec_dict", "msgspec -> dict", "msgspec_dict"),
    Leg("msgspec_struct", "msgspec -> Structs (bidwire JSON codec)", "msgspec_struct"),
    Leg("upb", "protobuf upb ParseFromString", "upb"),
    Leg("proto_struct", "protobuf -> Structs (bidwire proto codec)", "proto_struct"),
    Leg("proto_fast", "protobuf -> bidder's fields (front door)", "proto_fast"),
)
#: Encoders of a BidResponse.
ENCODERS: Final = (
    Leg("json", "stdlib json dict -> JSON", "json"),
    Leg("orjson", "orjson dict -> JSON", "orjson"),
    Leg("msgspec_struct", "msgspec Structs -> JSON (bidwire JSON codec)", "msgspec_struct"),
    Leg("upb", "protobuf upb SerializeToString", "upb"),
    Leg("proto_struct", "Structs -> protobuf (bidwire proto codec)", "proto_struct"),
    Leg("proto_fast", "Structs -> protobuf (front door writer)", "proto_fast"),
)
#: Size groups by JSON bytes: (label, lower bound inclusive, upper bound exclusive).
GROUPS: Final = (
    ("<1 KB", 0, 1024),
    ("1-2 KB", 1024, 2048),
    ("2-4 KB", 2048, 4096),
    ("4-8 KB", 4096, 8192),
    ("8-16 KB", 8192, 16384),
    (">=16 KB", 16384, 1 << 62),
)
#: The key of a decode column: ``<decoder>`` bare or ``<decoder>+read``.
READ: Final = "+read"


@dataclass
class Message:
    """One corpus message in both wire forms, and its timings (µs, None where the leg fails)."""

    name: str
    json: bytes
    proto: bytes
    us: dict[str, float | None] = field(default_factory=dict)


def sample_dir() -> Path:
    """The packaged sample corpus (``requests/`` and ``responses/``)."""
    return Path(str(resources.files("bidwire.benchmarks") / "sample"))


def load_corpus(
    dirs: Sequence[Path], kind: str, skipped: list[str]
) -> list[tuple[str, bytes, Any]]:
    """Every ``*.json`` file of ``dirs`` that decodes as ``kind`` ("request" or "response"):
    (name, bytes, Struct). Files that do not decode are listed in ``skipped``."""
    codec = JsonCodec()
    decode = codec.decode_request if kind == "request" else codec.decode_response
    out: list[tuple[str, bytes, Any]] = []
    for directory in dirs:
        for path in sorted(directory.glob("*.json")):
            data = path.read_bytes()
            try:
                out.append((path.name, data, decode(data)))
            except CodecError as exc:
                skipped.append(f"{path}: {exc}")
    return out


def responses_beside(dirs: Sequence[Path]) -> list[Path]:
    """The ``responses/`` folders next to corpus folders named ``requests``."""
    out = []
    for directory in dirs:
        sibling = directory.parent / "responses"
        if directory.name == "requests" and sibling.is_dir():
            out.append(sibling)
    return out


def per_call_us(fn: Callable[..., Any], arg: Any, run_s: float, repeat: int) -> float:
    """Median over ``repeat`` runs of µs per ``fn(arg)``, each run lasting about ``run_s``."""
    # A string statement keeps the loop free of a lambda call per iteration.
    timer = timeit.Timer("f(a)", globals={"f": fn, "a": arg})
    number = 1
    while True:  # calibrate: grow until a run takes a tenth of the budget
        elapsed = timer.timeit(number)
        if elapsed >= run_s / 10 or number >= 1 << 24:
            break
        number *= 2
    number = max(1, round(number * run_s / max(elapsed, 1e-9)))
    runs = timer.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6


def _then(first: Callable[[Any], Any], second: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def both(data: Any) -> Any:
        return second(first(data))

    return both


def decode_paths() -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], int], str]]:
    """For each decoder: (decode function, field reader, input form "json" or "proto")."""
    json_codec, proto_codec = JsonCodec(), ProtoCodec()
    untyped = msgspec.json.Decoder()
    return {
        "json": (json.loads, read_dict, "json"),
        "orjson": (orjson.loads, read_dict, "json"),
        "msgspec_dict": (untyped.decode, read_dict, "json"),
        "msgspec_struct": (json_codec.decode_request, read_attrs, "json"),
        "upb": (pb.BidRequest.FromString, read_attrs, "proto"),
        "proto_struct": (proto_codec.decode_request, read_attrs, "proto"),
        "proto_fast": (BiddingProto(proto_codec).decode_request, read_attrs, "proto"),
    }


def _json_dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def measure_requests(
    corpus: Sequence[tuple[str, bytes, Any]], run_s: float, repeat: int
) -> list[Message]:
    """Time every decoder, bare and with the fields read, on every request."""
    proto_codec = ProtoCodec()
    paths = decode_paths()
    out = []
    for name, data, request in corpus:
        message = Message(name, data, proto_codec.encode_request(request))
        for leg in DECODERS:
            decode, read, form = paths[leg.key]
            wire = message.json if form == "json" else message.proto
            for key, fn in ((leg.key, decode), (leg.key + READ, _then(decode, read))):
                try:
                    fn(wire)  # a form this path cannot take (e.g. a lenient-only value) is n/a
                except (ValueError, TypeError, AttributeError, CodecError):
                    message.us[key] = None
                    continue
                message.us[key] = per_call_us(fn, wire, run_s, repeat)
        out.append(message)
    return out


def measure_responses(
    corpus: Sequence[tuple[str, bytes, Any]], run_s: float, repeat: int
) -> list[Message]:
    """Time every encoder on every response."""
    json_codec, proto_codec = JsonCodec(), ProtoCodec()
    fast = BiddingProto(proto_codec)
    out = []
    for name, data, response in corpus:
        as_dict = orjson.loads(json_codec.encode(response))
        message = Message(name, data, proto_codec.encode_response(response))
        upb = pb.BidResponse.FromString(message.proto)
        calls: dict[str, tuple[Callable[[Any], Any], Any]] = {
            "json": (_json_dumps, as_dict),
            "orjson": (orjson.dumps, as_dict),
            "msgspec_struct": (json_codec.encode, response),
            "upb": (type(upb).SerializeToString, upb),
            "proto_struct": (proto_codec.encode_response, response),
            "proto_fast": (fast.encode_response, response),
        }
        for leg in ENCODERS:
            fn, arg = calls[leg.key]
            message.us[leg.key] = per_call_us(fn, arg, run_s, repeat)
        out.append(message)
    return out


def group_of(size: int) -> str:
    """The size group label of a message of ``size`` JSON bytes."""
    for label, low, high in GROUPS:
        if low <= size < high:
            return label
    raise AssertionError(size)  # pragma: no cover - the groups cover every size


def summarize(messages: Sequence[Message], keys: Sequence[str]) -> dict[str, Any]:
    """Per size group and overall ("all"): message count, and per key the median µs per
    message and the median MB/s (JSON bytes / time)."""
    groups: dict[str, list[Message]] = {label: [] for label, _, _ in GROUPS}
    for message in messages:
        groups[group_of(len(message.json))].append(message)
    groups = {label: members for label, members in groups.items() if members}
    groups["all"] = list(messages)
    out: dict[str, Any] = {"count": {label: len(m) for label, m in groups.items()}}
    for key in keys:
        row: dict[str, dict[str, float | None]] = {}
        for label, members in groups.items():
            us = [(len(m.json), t) for m in members if (t := m.us.get(key)) is not None]
            row[label] = {
                "us": statistics.median(t for _, t in us) if us else None,
                "mbps": statistics.median(size / t for size, t in us) if us else None,
            }
        out[key] = row
    return out


def decode_keys() -> list[str]:
    """Every decode column key, bare then read, decoder by decoder."""
    return [key for leg in DECODERS for key in (leg.key, leg.key + READ)]


def run(
    corpus_dirs: Sequence[Path],
    response_dirs: Sequence[Path],
    *,
    run_ms: float,
    repeat: int,
) -> dict[str, Any]:
    """The whole benchmark as one JSON-able dict."""
    skipped: list[str] = []
    requests = load_corpus(corpus_dirs, "request", skipped)
    responses = load_corpus(response_dirs, "response", skipped)
    run_s = run_ms / 1000
    decoded = measure_requests(requests, run_s, repeat)
    encoded = measure_responses(responses, run_s, repeat)
    return {
        "settings": {
            "corpus": [str(d) for d in corpus_dirs],
            "responses": [str(d) for d in response_dirs],
            "repeat": repeat,
            "run_ms": run_ms,
        },
        "skipped": skipped,
        "decoders": {leg.key: leg.label for leg in DECODERS},
        "encoders": {leg.key: leg.label for leg in ENCODERS},
        "requests": [_message_json(m) for m in decoded],
        "responses": [_message_json(m) for m in encoded],
        "decode": summarize(decoded, decode_keys()),
        "encode": summarize(encoded, [leg.key for leg in ENCODERS]),
    }


def _message_json(message: Message) -> dict[str, Any]:
    return {
        "name": message.name,
        "json_bytes": len(message.json),
        "proto_bytes": len(message.proto),
        "us": message.us,
    }


def _cell(value: float | None, width: int) -> str:
    if value is None:
        return f"{'n/a':>{width}}"
    text = f"{value:.2f}" if value < 100 else f"{value:,.0f}" if value >= 1000 else f"{value:.1f}"
    return f"{text:>{width}}"


def _table(
    summary: dict[str, Any], rows: Sequence[tuple[str, str]], metric: str, title: str
) -> list[str]:
    labels = list(summary["count"])
    width = max(9, *(len(label) + 1 for label in labels))
    lines = [title]
    head = f"{'':46}" + "".join(f"{label:>{width}}" for label in labels)
    lines.append(head)
    counts = "".join(f"{summary['count'][label]:>{width}}" for label in labels)
    lines.append(f"{'messages':46}{counts}")
    for key, label in rows:
        cells = "".join(_cell(summary[key][g][metric], width) for g in labels)
        lines.append(f"{label[:46]:46}{cells}")
    return lines


def report(result: dict[str, Any]) -> list[str]:
    """The tables printed on stdout: decode µs, decode MB/s, encode µs, and what they say."""
    decode_rows = []
    for leg in DECODERS:
        decode_rows.append((leg.key, leg.label))
        decode_rows.append((leg.key + READ, "  + read the bidder's fields"))
    encode_rows = [(leg.key, leg.label) for leg in ENCODERS]
    s = result["settings"]
    lines = [
        f"{len(result['requests'])} requests, {len(result['responses'])} responses; "
        f"median of {s['repeat']} runs of ~{s['run_ms']:g} ms per message and leg, "
        "then the median over the messages of each size group (JSON bytes)",
        "",
    ]
    lines += _table(result["decode"], decode_rows, "us", "decode: µs per request")
    lines.append("")
    lines += _table(
        result["decode"],
        decode_rows,
        "mbps",
        "decode: MB/s of the request's JSON size (protobuf rows too: the same message)",
    )
    if result["responses"]:
        lines.append("")
        lines += _table(result["encode"], encode_rows, "us", "encode: µs per bid response")
    lines.append("")
    lines += findings(result)
    for item in result["skipped"]:
        lines.append(f"skipped (does not decode): {item}")
    return lines


def findings(result: dict[str, Any]) -> list[str]:
    """One-line conclusions drawn from the overall medians."""
    d = result["decode"]

    def med(key: str) -> float | None:
        value: float | None = d[key]["all"]["us"]
        return value

    lines = []
    struct, upb = med("msgspec_struct" + READ), med("upb" + READ)
    upb_bare, stdlib = med("upb"), med("json" + READ)
    if struct and upb and upb_bare:
        lines.append(
            f"median request, decode + read: msgspec Structs {struct:.1f} µs vs protobuf upb "
            f"{upb:.1f} µs ({struct / upb:.1f}x); upb's bare parse ({upb_bare:.1f} µs) hides "
            f"{upb - upb_bare:.1f} µs of lazy decoding"
        )
    if struct and stdlib:
        lines.append(
            f"stdlib json + read {stdlib:.1f} µs: {stdlib / struct:.1f}x msgspec Structs; "
            f"a claim of 3 ms per JSON request is {3000 / struct:,.0f}x our msgspec figure"
        )
    return lines


__all__ = [
    "DECODERS",
    "ENCODERS",
    "GROUPS",
    "READ",
    "Leg",
    "Message",
    "decode_keys",
    "load_corpus",
    "per_call_us",
    "report",
    "responses_beside",
    "run",
    "sample_dir",
    "summarize",
]

"""Every request and response of the shared corpus decodes, and survives the protobuf leg.

Runs whenever ``../shared/corpus/openrtb`` is beside the checkout. What the protobuf leg may
lose, and so what the comparison leaves aside:

- ``ext`` objects (only the IAB-defined ext fields travel; see ``openrtb.proto_codec``);
- the difference between an empty array and an absent one (protobuf has no such difference);
- flag values other than 0 and 1 (a protobuf bool carries only true/false; one corpus file
  has ``"topframe": 22``, which comes back as 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from openrtb import JsonCodec, ProtoCodec
from openrtb.model import OpenRTBObject
from openrtb.proto_codec import flag_fields

from .conftest import corpus_files, needs_corpus

JSON = JsonCodec()
PROTO = ProtoCodec()
FLAGS = flag_fields()
REQUESTS = corpus_files("requests")
RESPONSES = corpus_files("responses")

pytestmark = needs_corpus


def comparable(obj: Any) -> Any:
    """Every spec field of ``obj`` (defaults included), less what protobuf cannot carry."""
    if isinstance(obj, OpenRTBObject):
        flags = FLAGS.get(type(obj), frozenset())
        out = {}
        for name in obj.__struct_fields__:
            if name == "ext" or name in obj.__json_only__:
                continue
            value = getattr(obj, name)
            if name in flags and value is not None:
                value = int(bool(value))
            if value == []:
                value = None
            out[name] = comparable(value)
        return out
    if isinstance(obj, list):
        return [comparable(v) for v in obj]
    return obj


def test_the_corpus_is_there() -> None:
    assert len(REQUESTS) >= 60 and len(RESPONSES) >= 53


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.name)
def test_request_round_trips_through_protobuf(path: Path) -> None:
    data = path.read_bytes()
    original = JSON.decode_request(data)
    back = PROTO.decode_request(PROTO.encode_request(original))
    assert comparable(back) == comparable(original)
    # and back out as JSON: every field the sender gave is still there, with its value
    again = JSON.decode_request(JSON.encode(back))
    assert comparable(again) == comparable(original)
    assert_spec_fields_kept(msgspec.json.decode(data), again)


@pytest.mark.parametrize("path", RESPONSES, ids=lambda p: p.name)
def test_response_round_trips_through_protobuf(path: Path) -> None:
    data = path.read_bytes()
    original = JSON.decode_response(data)
    back = PROTO.decode_response(PROTO.encode_response(original))
    assert comparable(back) == comparable(original)
    again = JSON.decode_response(JSON.encode(back))
    assert comparable(again) == comparable(original)
    assert_spec_fields_kept(msgspec.json.decode(data), again)


def assert_spec_fields_kept(raw: Any, obj: Any, path: str = "$") -> None:
    """Every spec field the sender gave (not null, not empty) is set in ``obj``, recursively."""
    if isinstance(obj, OpenRTBObject):
        assert isinstance(raw, dict), path
        for key, value in raw.items():
            if key == "ext" or key not in obj.__struct_fields__ or value is None or value == []:
                continue
            kept = getattr(obj, key)
            if kept is None and key in obj.__deprecated__:
                continue  # the lenient policy drops an unreadable deprecated value (bid.api)
            assert kept is not None, f"{path}.{key} was lost"
            assert_spec_fields_kept(value, kept, f"{path}.{key}")
    elif isinstance(obj, list):
        raw_list = raw if isinstance(raw, list) else [raw]  # the lenient reader wraps singles
        kept_list = [r for r in raw_list if r is not None]
        assert len(kept_list) == len(obj), path
        for i, (r, o) in enumerate(zip(kept_list, obj, strict=True)):
            assert_spec_fields_kept(r, o, f"{path}[{i}]")

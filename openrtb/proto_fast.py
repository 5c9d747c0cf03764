"""The protobuf fast path: a BidRequest's wire bytes -> the Structs the bidder reads, and only that.

The full codec (:mod:`openrtb.proto_codec`) turns every present field into Python objects
through upb's message API (``ListFields`` materialises each one: user agents, page URLs,
ext...), and reading a upb message field by field costs a call and an object per field. Here
upb only checks the bytes (``ParseFromString``, in C: a malformed message gets upb's own error,
whatever field it hides in), and the readers of :mod:`openrtb.proto_wire` (generated from the
schema by :mod:`openrtb.proto_gen`) walk the wire bytes themselves: a varint/tag loop that reads
the fields of :data:`READS` straight into Struct attributes and skips everything else by its
wire type (a length-delimited field costs one jump, however large). They keep protobuf's
semantics for what they read: the last value of a singular field wins, a singular message that
repeats is merged, repeated scalars may come packed or not, a field with an unexpected wire
type is an unknown field, a oneof keeps its last member, int32 values are the varint's low 32
bits, a bool is any non-zero varint.

``Native``, which the bidder reads whole (the fit check parses its request), goes through upb
and the full codec's converter.

The result is a BidRequest of the same Struct types, holding the same values as the full
decode in every field the bidder reads (its other fields are left at their defaults), so the
bidder's decision is the same: ``tests/test_proto_fast.py`` (any message, malformed ones
included), ``tests/test_pipeline_properties.py`` and the decision record
(``bench/decisions.py``) check it. A message the fast path cannot convert (a required field
missing, say) is decoded again by the full codec, which raises the error with its path.

:mod:`openrtb.proto_wire` is plain Python; ``make compile`` compiles it with mypyc, and the
import then finds the compiled module (:data:`COMPILED` says which one runs).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from types import ModuleType
from typing import Final

from google.protobuf.message import DecodeError as ProtobufDecodeError

from . import proto_wire
from .errors import DecodeError
from .model import BidRequest, BidResponse
from .proto_codec import ProtoCodec, _MissingField, _Plan, _to_struct
from .proto_gen import READS, fingerprint

_SOURCE: Final = Path(__file__).with_name("proto_wire.py")


def python_readers() -> ModuleType:
    """:mod:`openrtb.proto_wire` run as Python from its source, compiled beside it or not."""
    spec = importlib.util.spec_from_file_location("openrtb._proto_wire_source", _SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readers() -> ModuleType:
    """The compiled readers if ``make compile`` built them from the source there now, else
    the Python ones (a compiled module left from an older source is not run: said once)."""
    if str(proto_wire.__file__).endswith(".py"):
        return proto_wire
    if fingerprint(_SOURCE.read_text()) == getattr(proto_wire, "FINGERPRINT", None):
        return proto_wire
    warnings.warn(
        f"{proto_wire.__file__} was built from another openrtb/proto_wire.py: running the "
        "Python readers (`make compile` rebuilds it)",
        stacklevel=2,
    )
    return python_readers()


READERS: Final = _readers()
#: Whether the readers run compiled (``make compile``) or as Python.
COMPILED: Final = not str(READERS.__file__).endswith(".py")


def _native_plan(request: _Plan) -> _Plan:
    """The plan of ``Imp.native`` (read whole), found by name from the request's."""
    imp = next(sub for name, _k, sub in request.by_number.values() if name == "imp")
    assert imp is not None
    native = next(sub for name, _k, sub in imp.by_number.values() if name == "native")
    assert native is not None
    return native


class BiddingProto:
    """Decode a protobuf BidRequest into what the bidder reads, and encode the answer. One
    instance per worker.
    ``wire``: the readers' module (tests pass the Python one to check it beside the compiled)."""

    __slots__ = ("_check", "_full", "_incomplete", "_native", "_read", "_write")

    def __init__(self, full: ProtoCodec | None = None, wire: ModuleType = READERS) -> None:
        self._full = full or ProtoCodec()
        plan = self._full.request._plan
        # upb's parse as one classmethod call (a new message then ParseFromString: two).
        self._check = plan.message_class.FromString
        self._native = _native_plan(plan)
        self._read = wire.read_BidRequest
        self._incomplete: type[Exception] = wire.Incomplete
        self._write = wire.write_response

    def decode_request(self, data: bytes | bytearray | memoryview) -> BidRequest:
        """Decode a BidRequest (the fields of :data:`READS`). Raises :class:`DecodeError` on
        bad input, as the full codec does."""
        if not isinstance(data, bytes):
            data = bytes(data)
        try:
            # upb's verdict on the bytes: a malformed message anywhere (in a field the bidder
            # never reads too) is refused with upb's own error, as by the full codec.
            self._check(data)
        except ProtobufDecodeError as exc:
            raise DecodeError("$", f"malformed protobuf: {exc}") from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        try:
            request: BidRequest = self._read(data, 0, len(data), None)
            for imp in request.imp:
                raw = imp.native
                if raw is not None:  # its bytes: the message, converted whole
                    native = self._native.message_class.FromString(raw)  # type: ignore[arg-type]
                    imp.native = _to_struct(native, self._native)
        except (_MissingField, RecursionError):
            return self._full.decode_request(data)
        except Exception as exc:
            if isinstance(exc, self._incomplete):
                return self._full.decode_request(data)
            raise
        return request

    def encode_response(self, response: BidResponse) -> bytes:
        """Encode a BidResponse: the bytes the full codec makes (tests/test_proto_fast.py
        checks it), written by :mod:`openrtb.proto_wire` without building upb messages.
        Raises :class:`EncodeError` as the full codec does."""
        try:
            payload: bytes = self._write(response)
        except Exception:  # an ext, an odd value: the full codec writes it, or says why not
            return self._full.encode_response(response)
        return payload


__all__ = ["COMPILED", "READERS", "READS", "BiddingProto", "python_readers"]

"""The protobuf fast path: a BidRequest message -> the Structs the bidder reads, and only that.

The full codec (:mod:`openrtb.proto_codec`) turns every present field into Python objects
(``ListFields`` materialises each one: user agents, page URLs, ext...). The bidder reads a few
dozen fields; :data:`READS` names them per message, and a converter per message is generated
from the schema's descriptors at import: straight-line ``HasField`` tests and attribute reads
of exactly those fields, nothing else touched. Messages not named in :data:`READS` that the
bidder reads whole (``Native``: its request is parsed by the fit check) go through the full
codec's converter.

The result is a BidRequest of the same Struct types, holding the same values as the full
decode in every field the bidder reads (its other fields are left at their defaults), so the
bidder's decision is the same: ``tests/test_pipeline_properties.py`` and the decision record
(``bench/decisions.py``) check it. A message the fast path cannot convert (a required field
missing, say) is decoded again by the full codec, which raises the error with its path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from google.protobuf.message import DecodeError as ProtobufDecodeError

from .errors import DecodeError
from .model import BidRequest
from .proto_codec import (
    _FLAG,
    _MESSAGE,
    _MESSAGES,
    _NODEFAULT,
    _SCALAR,
    _SCALARS,
    ProtoCodec,
    _Plan,
)

#: Per message (the Struct's name): the fields the bidder reads, for targeting, fit, pricing
#: and the response checks (bidder/pipeline.py, fit.py, index.py; openrtb/validate.py).
READS: Final[dict[str, tuple[str, ...]]] = {
    "BidRequest": ("id", "imp", "site", "app", "dooh", "device", "user", "test", "at", "tmax",
                   "cur", "wseat", "bseat", "badv", "bcat", "cattax", "bapp"),
    "Imp": ("id", "banner", "video", "audio", "native", "pmp", "bidfloor", "bidfloorcur"),
    "Banner": ("format", "w", "h", "battr", "api", "wmax", "hmax", "wmin", "hmin"),
    "Format": ("w", "h", "wratio", "hratio", "wmin"),
    "Video": ("mimes", "minduration", "maxduration", "rqddurs", "protocols", "battr", "w", "h"),
    "Audio": ("mimes", "minduration", "maxduration", "rqddurs", "protocols", "battr"),
    "Pmp": ("private_auction", "deals"),
    "Deal": ("id", "bidfloor", "bidfloorcur", "at", "wseat"),
    "Site": ("domain", "cat", "sectioncat", "pagecat", "publisher", "content"),
    "App": ("domain", "bundle", "cat", "sectioncat", "pagecat", "publisher", "content"),
    "Dooh": ("publisher", "content"),
    "Publisher": ("id",),
    "Content": ("cat",),
    "Device": ("geo", "os", "devicetype", "connectiontype", "ifa"),
    "Geo": ("country", "region", "metro"),
    "User": ("id", "buyeruid", "data", "geo"),
    "Data": ("segment",),
    "Segment": ("id",),
}  # fmt: skip


class _Incomplete(Exception):
    """A required field is absent: the full codec decodes it again and says where."""


def _generate(plan: _Plan, made: dict[int, Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """The converter of one message type: generated Python, one line per field read."""
    found = made.get(id(plan))
    if found is not None:
        return found
    reads = READS.get(plan.struct.__name__)
    if reads is None:
        # Read whole by the bidder: the full codec's conversion of the message.
        from .proto_codec import _to_struct

        def whole(message: Any, plan: _Plan = plan) -> Any:
            return _to_struct(message, plan)

        made[id(plan)] = whole
        return whole
    # A copy of an all-defaults instance, then one attribute store per present field: cheaper
    # than Struct(**kw), which looks every declared field up in kw (30 of them in Device).
    blank: Any = None if plan.required else plan.struct()
    env: dict[str, Any] = {"blank": None if blank is None else blank.__copy__,
                           "Struct": plan.struct, "Incomplete": _Incomplete}  # fmt: skip
    lines = ["def convert(m):", "    kw = {}" if plan.required else "    o = blank()"]
    store = "kw[{name!r}] = " if plan.required else "o.{name} = "
    by_name = {name: (number, kind, sub) for number, (name, kind, sub) in plan.by_number.items()}
    for name in reads:
        number, kind, sub = by_name[name]
        field = plan.descriptor.fields_by_number[number].name
        to = store.format(name=name)
        if kind == _SCALAR:
            lines.append(f"    if m.HasField({field!r}): {to}m.{field}")
        elif kind == _FLAG:
            lines.append(f"    if m.HasField({field!r}): {to}int(m.{field})")
        elif kind == _SCALARS:
            # A slice of a repeated scalar field is a list, made in C.
            lines += [f"    v = m.{field}", f"    if v: {to}v[:]"]
        elif kind in (_MESSAGE, _MESSAGES):
            assert sub is not None
            env[f"c_{name}"] = _generate(sub, made)
            if kind == _MESSAGE:
                lines.append(f"    if m.HasField({field!r}): {to}c_{name}(m.{field})")
            else:
                lines += [f"    v = m.{field}", f"    if v: {to}[c_{name}(x) for x in v]"]
        else:  # pragma: no cover - READS names no ext or native-message field
            raise TypeError(f"{plan.struct.__name__}.{name}: not read by the fast path")
    for name, fallback in plan.required.items():
        if fallback is _NODEFAULT:
            lines.append(f"    if {name!r} not in kw: raise Incomplete")
        else:
            lines.append(f"    if {name!r} not in kw: kw[{name!r}] = []")
    lines.append("    return Struct(**kw)" if plan.required else "    return o")
    source = "\n".join(lines)
    # Our own code, generated from the schema; named per message so profiles tell them apart.
    exec(compile(source, f"<proto_fast {plan.struct.__name__}>", "exec"), env)
    convert: Callable[[Any], Any] = env["convert"]
    made[id(plan)] = convert
    return convert


class BiddingProto:
    """Decode a protobuf BidRequest into what the bidder reads. One instance per worker."""

    __slots__ = ("_convert", "_full", "_message_class")

    def __init__(self, full: ProtoCodec | None = None) -> None:
        self._full = full or ProtoCodec()
        plan = self._full.request._plan
        self._message_class = plan.message_class
        self._convert = _generate(plan, {})

    def decode_request(self, data: bytes | bytearray | memoryview) -> BidRequest:
        """Decode a BidRequest (the fields of :data:`READS`). Raises :class:`DecodeError` on
        bad input, as the full codec does."""
        message = self._message_class()
        try:
            message.ParseFromString(bytes(data) if not isinstance(data, bytes) else data)
        except ProtobufDecodeError as exc:
            raise DecodeError("$", f"malformed protobuf: {exc}") from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        try:
            request: BidRequest = self._convert(message)
        except (_Incomplete, RecursionError):
            return self._full.decode_request(data)
        return request


__all__ = ["READS", "BiddingProto"]

"""Convert a bid request or response between the JSON and protobuf wire forms."""

from __future__ import annotations

from typing import Literal

import msgspec

from .errors import DecodeError
from .json_codec import JsonCodec
from .proto_codec import ProtoCodec

Format = Literal["json", "proto"]
Kind = Literal["request", "response"]


def convert(data: bytes, *, to: Format, kind: Kind = "request", strict: bool = False) -> bytes:
    """Decode ``data`` from the other format and encode it as ``to``.

    Raises :class:`~openrtb.errors.CodecError` on input that does not decode.
    """
    json_codec = JsonCodec(strict=strict)
    proto = ProtoCodec()
    typed_proto = proto.request if kind == "request" else proto.response
    typed_json = json_codec.request if kind == "request" else json_codec.response
    if to == "proto":
        _check_kind(data, kind)
        return typed_proto.encode(typed_json.decode(data))  # type: ignore[arg-type]
    return json_codec.encode(typed_proto.decode(data))


#: The members that only one of the two objects has: what tells them apart.
_ONLY: dict[Kind, tuple[str, ...]] = {"request": ("imp",), "response": ("seatbid", "bidid", "nbr")}


def _check_kind(data: bytes, kind: Kind) -> None:
    """Refuse a JSON document that is plainly the other object: a request decodes as a
    response (every response field is optional, unknown fields are allowed) into one with
    only its ``id``, which is no conversion at all."""
    try:
        members = msgspec.json.decode(data, type=dict[str, msgspec.Raw])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return  # not an object: the codec says what is wrong with it
    other: Kind = "response" if kind == "request" else "request"
    found = [m for m in _ONLY[other] if m in members]
    if found and not any(m in members for m in _ONLY[kind]):
        raise DecodeError(
            "$", f"this is a bid {other}, not a bid {kind} (it has {found[0]}): use --type {other}"
        )


__all__ = ["Format", "Kind", "convert"]

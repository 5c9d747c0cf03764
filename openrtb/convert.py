"""Convert a bid request or response between the JSON and protobuf wire forms."""

from __future__ import annotations

from typing import Literal

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
        return typed_proto.encode(typed_json.decode(data))  # type: ignore[arg-type]
    return json_codec.encode(typed_proto.decode(data))


__all__ = ["Format", "Kind", "convert"]

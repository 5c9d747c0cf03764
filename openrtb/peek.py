"""A bid request's ``tmax`` (and ``id``) read off the wire without decoding the request: what
admission control needs of a request before it decides whether to decode it at all (about a
µs, where a decode costs tens), and what a no-bid with ``nbr`` must echo.

A peek is a hint, not a decode: it may miss (None: the caller assumes its default) and, on odd
input, read a ``tmax`` that is not the top-level one (JSON: a ``"tmax"`` key inside an
extension object before the real one). The decoded request's own tmax still sets the deadline
the pipeline works to; a wrong peek only changes when a request is shed.
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

_KEY: Final = b'"tmax"'
#: The key, JSON whitespace, the colon, and up to 9 digits (a tmax over that is no tmax).
_TMAX: Final = re.compile(rb'"tmax"[ \t\r\n]*:[ \t\r\n]*([0-9]{1,9})(?![0-9])')
#: Protobuf: BidRequest.id is field 1 (length-delimited), tmax field 8 (a varint)
#: (schemas/openrtb.proto).
_ID_FIELD: Final = 1
_TMAX_FIELD: Final = 8
#: Top-level fields a protobuf peek walks before it gives up (a request has about 15).
_MAX_FIELDS: Final = 64


class _IdOnly(msgspec.Struct):
    id: str


#: Decodes a JSON document's top-level ``id`` and skips the rest (in C, building nothing else).
_ID_DECODER: Final = msgspec.json.Decoder(_IdOnly)


def peek_tmax_json(body: bytes) -> int | None:
    """The first ``"tmax": <digits>`` of a JSON body, or None."""
    at = body.find(_KEY)
    if at < 0:
        return None
    found = _TMAX.match(body, at)
    return int(found[1]) if found is not None else None


def peek_id_json(body: bytes) -> str | None:
    """The top-level ``id`` of a JSON bid request, or None (not JSON, or no string id)."""
    try:
        return _ID_DECODER.decode(body).id
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def peek_tmax_proto(message: bytes, start: int = 0) -> int | None:
    """``tmax`` of a protobuf BidRequest (from ``start``), walking its top-level fields
    without decoding them, or None (absent, or not a well-formed message)."""
    found = _field(message, start, _TMAX_FIELD, 0)
    return found[0] if found is not None and found[0] < 1 << 31 else None


def peek_id_proto(message: bytes, start: int = 0) -> str | None:
    """The ``id`` of a protobuf BidRequest (from ``start``), or None."""
    found = _field(message, start, _ID_FIELD, 2)
    if found is None:
        return None
    at, length = found
    try:
        return message[at : at + length].decode()
    except UnicodeDecodeError:
        return None


def _field(data: bytes, start: int, number: int, kind: int) -> tuple[int, int] | None:
    """Where top-level field ``number`` of wire type ``kind`` (0 or 2) is: the value of a
    varint (and 0), the offset and length of a length-delimited one; None when absent or
    malformed."""
    at, end = start, len(data)
    try:
        for _ in range(_MAX_FIELDS):
            if at >= end:
                return None
            key, at = read_varint(data, at)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, at = read_varint(data, at)
                if field == number and kind == 0:
                    return value, 0
            elif wire == 2:
                length, at = read_varint(data, at)
                if field == number and kind == 2:
                    return (at, length) if at + length <= end else None
                at += length
            elif wire == 1:
                at += 8
            elif wire == 5:
                at += 4
            else:
                return None  # groups, or not protobuf
    except (IndexError, ValueError):
        return None
    return None


def read_varint(data: bytes, at: int) -> tuple[int, int]:
    """A protobuf varint at ``at``: its value and the offset after it. Raises IndexError when
    the data ends inside it, ValueError when it runs past 64 bits."""
    value = shift = 0
    while True:
        byte = data[at]  # IndexError past the end: the caller's miss
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


__all__ = ["peek_id_json", "peek_id_proto", "peek_tmax_json", "peek_tmax_proto", "read_varint"]

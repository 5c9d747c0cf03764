"""Invalid and hostile bid request bodies: fast seeded mutators, and hypothesis strategies.

Each mutator takes a valid body and breaks it one way, named, so a failure says what was
done: wrong types (edge numbers, NaN, objects for strings...), missing required fields, huge
strings and arrays, deep nesting, invalid UTF-8 and bad escapes, truncation, flipped or
spliced bytes; for protobuf, wrong wire types, truncated and overlong varints, lengths past
the end, unknown fields, unbalanced groups and invalid UTF-8 in string fields, down to nested
messages.

    name, body = mutate_json(RandomSource(random.Random(7)), valid_json)   # the fuzzer's way
    @given(hostile_json_bodies())                                          # the tests' way
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, cast

import msgspec
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import strategies as st

from openrtb import BidRequest, JsonCodec, ProtoCodec
from openrtb import openrtb_pb2 as pb

from .source import DrawSource, Source
from .strategies import bid_requests

# -- JSON -----------------------------------------------------------------------------------

#: A string no generated document holds: structure mutations put it where the new JSON text
#: goes, then splice the text in, so values msgspec cannot encode (1e400, NaN, 2**64,
#: unpaired surrogates) can be sent too.
_MARK: Final = "\x01fuzz\x01"
_MARK_JSON: Final = msgspec.json.encode(_MARK)

#: JSON texts of the wrong type, or at the edges of int32/int64/double, for any field.
WRONG_VALUES: Final = (
    b'"x"', b'""', b"0", b"-1", b"1.5", b"true", b"false", b"null", b"[]", b"{}", b'[1,"a"]',
    b'{"a":1}', b"2147483648", b"-2147483649", b"9223372036854775808", b"18446744073709551616",
    b"1e308", b"1e400", b"-0", b'"300"', b'"true"', b"NaN", b"1E+2", b"-1.5e-300",
    b"123456789012345678901234567890", b'"\\ud800"', b'"\\u0000"', b'"1e3"', b'" 12 "',
)  # fmt: skip
#: Fields the spec requires, which "missing-field" prefers to delete.
_REQUIRED: Final = ("id", "imp", "request", "w", "h", "mimes", "assets", "deals")
#: Byte sequences that are not UTF-8: a lone continuation or lead byte, an overlong, a
#: surrogate, a code point past U+10FFFF.
_BAD_UTF8: Final = (
    b"\xff",
    b"\xc3\x28",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x80",
)
_BAD_ESCAPES: Final = (b"\\ud800", b"\\udc00\\ud800", b"\\u12", b"\\x41", b"\\", b"\\u00zz")
_WHOLE: Final = (
    b"",
    b"null",
    b"[]",
    b"1",
    b'"x"',
    b"{}",
    b"{",
    b"}",
    b"\xef\xbb\xbf{}",
    b" " * 4096,
)
_HUGE_SIZES: Final = (10_000, 10_000, 100_000, 100_000, 1_100_000)
_ARRAY_SIZES: Final = (1_000, 1_000, 10_000, 100_000)
_DEPTHS: Final = (64, 129, 1_000, 10_000, 100_000)


def _locations(value: Any, out: list[tuple[Any, Any]]) -> None:
    """Every (container, key or index) in a decoded JSON document."""
    if isinstance(value, dict):
        for key, child in value.items():
            out.append((value, key))
            _locations(child, out)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.append((value, i))
            _locations(child, out)


def _collect(document: Any) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    _locations(document, found)
    return found


def _some_location(src: Source, document: Any) -> tuple[Any, Any] | None:
    found = _collect(document)
    return src.choice(found) if found else None


def _spliced(src: Source, document: Any, text: bytes) -> bytes:
    """``document`` with ``text`` in place of one of its values (or as a new top-level key)."""
    where = _some_location(src, document)
    if where is None or not isinstance(document, dict):
        return text
    container, key = where
    container[key] = _MARK
    return msgspec.json.encode(document).replace(_MARK_JSON, text, 1)


def _wrong(src: Source) -> bytes:
    return src.choice(WRONG_VALUES)


def _wrong_type(src: Source, document: Any) -> bytes:
    return _spliced(src, document, _wrong(src))


def _missing_field(src: Source, document: Any) -> bytes:
    keys = [(c, k) for c, k in _collect(document) if isinstance(c, dict)]
    preferred = [(c, k) for c, k in keys if k in _REQUIRED]
    if keys:
        container, key = src.choice(preferred if preferred and src.integer(0, 3) else keys)
        del container[key]
    return msgspec.json.encode(document)


def _huge_string(src: Source, document: Any) -> bytes:
    return _spliced(src, document, b'"' + b"A" * src.choice(_HUGE_SIZES) + b'"')


def _huge_array(src: Source, document: Any) -> bytes:
    count = src.choice(_ARRAY_SIZES)
    where = _some_location(src, document)
    item = msgspec.json.encode(where[0][where[1]]) if where is not None else b"1"
    if len(item) * count > 4_000_000:  # stay under the body caps' order of magnitude
        item = b"1"
    return _spliced(src, document, b"[" + b",".join([item] * count) + b"]")


def _deep(src: Source, document: Any) -> bytes:
    depth = src.choice(_DEPTHS)
    opener, closer = src.choice(((b"[", b"]"), (b'{"a":', b"}")))
    return _spliced(src, document, opener * depth + b"1" + closer * depth)


def _unknown_fields(src: Source, document: Any) -> bytes:
    objects = [c for c, _ in _collect(document) if isinstance(c, dict)] or [document]
    for _ in range(src.integer(1, 4)):
        target = src.choice(objects)
        if isinstance(target, dict):
            target[f"x_{src.integer(0, 999)}"] = _MARK
    text = msgspec.json.encode(document)
    while _MARK_JSON in text:
        text = text.replace(_MARK_JSON, src.choice(WRONG_VALUES), 1)
    return text


def _stringly(src: Source, document: Any) -> bytes:
    """Every number as a string: the lenient decoder repairs each, up to its repair cap."""
    for container, key in _collect(document):
        value = container[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            container[key] = str(value)
    return msgspec.json.encode(document)


_STRUCTURE: Final[dict[str, Callable[[Source, Any], bytes]]] = {
    "wrong-type": _wrong_type,
    "missing-field": _missing_field,
    "huge-string": _huge_string,
    "huge-array": _huge_array,
    "deep-nesting": _deep,
    "unknown-fields": _unknown_fields,
    "numbers-as-strings": _stringly,
}


def _inside_string(src: Source, body: bytes, text: bytes) -> bytes:
    quote = body.find(b'"', src.integer(0, max(0, len(body) - 1)))
    at = quote + 1 if quote >= 0 else len(body)
    return body[:at] + text + body[at:]


def _truncate(src: Source, body: bytes) -> bytes:
    return body[: src.integer(0, max(0, len(body) - 1))]


def _flip(src: Source, body: bytes) -> bytes:
    out = bytearray(body)
    for _ in range(src.integer(1, 4)):
        if out:
            out[src.integer(0, len(out) - 1)] ^= src.integer(1, 255)
    return bytes(out)


def _splice(src: Source, body: bytes) -> bytes:
    n = len(body)
    start = src.integer(0, n)
    piece = body[start : start + src.integer(0, 64)]
    at = src.integer(0, n)
    return body[:at] + piece + body[at:]


def _junk(src: Source, body: bytes) -> bytes:
    at = src.integer(0, len(body))
    return body[:at] + src.binary(1, 16) + body[at:]


#: Byte-level breakage, for either format.
BYTE_MUTATIONS: Final[dict[str, Callable[[Source, bytes], bytes]]] = {
    "truncate": _truncate,
    "flip": _flip,
    "splice": _splice,
    "junk": _junk,
}
_JSON_BYTES: Final[dict[str, Callable[[Source, bytes], bytes]]] = {
    **BYTE_MUTATIONS,
    "invalid-utf8": lambda src, body: _inside_string(src, body, src.choice(_BAD_UTF8)),
    "bad-escape": lambda src, body: _inside_string(src, body, src.choice(_BAD_ESCAPES)),
    "duplicate-key": lambda src, body: body.replace(b"{", b'{"id":%s,' % _wrong(src), 1),
    "not-a-request": lambda src, body: src.choice(_WHOLE),
}  # fmt: skip
JSON_MUTATIONS: Final = (*_STRUCTURE, *_JSON_BYTES)


def mutate_json(src: Source, body: bytes, name: str | None = None) -> tuple[str, bytes]:
    """``body`` broken one way (``name``, else one ``src`` picks from :data:`JSON_MUTATIONS`);
    returns the name and the bytes. Structure mutations need ``body`` to be JSON, and fall back
    to a byte mutation when it is not."""
    name = name or src.choice(JSON_MUTATIONS)
    structure = _STRUCTURE.get(name)
    if structure is not None:
        try:
            document = msgspec.json.decode(body)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            name = src.choice(tuple(BYTE_MUTATIONS))
        else:
            return name, structure(src, document)
    return name, _JSON_BYTES[name](src, body)


# -- protobuf ---------------------------------------------------------------------------------

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5
_MAX_FIELD: Final = 2**29 - 1
_WIRE_TYPE: Final = {
    FieldDescriptor.TYPE_DOUBLE: I64, FieldDescriptor.TYPE_FIXED64: I64,
    FieldDescriptor.TYPE_SFIXED64: I64, FieldDescriptor.TYPE_FLOAT: I32,
    FieldDescriptor.TYPE_FIXED32: I32, FieldDescriptor.TYPE_SFIXED32: I32,
    FieldDescriptor.TYPE_STRING: LEN, FieldDescriptor.TYPE_BYTES: LEN,
    FieldDescriptor.TYPE_MESSAGE: LEN, FieldDescriptor.TYPE_GROUP: SGROUP,
}  # fmt: skip


def varint(value: int) -> bytes:
    """``value`` (taken as unsigned 64-bit) as a protobuf varint."""
    value &= 2**64 - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def tag(number: int, wire_type: int) -> bytes:
    """A protobuf field key."""
    return varint(number << 3 | wire_type)


def _payload(src: Source, wire_type: int) -> bytes:
    """A well-formed value of ``wire_type`` (what follows the key)."""
    if wire_type == VARINT:
        return varint(src.choice((0, 1, 300, 2**31, 2**63, 2**64 - 1)))
    if wire_type == I64:
        return src.binary(8, 8)
    if wire_type == I32:
        return src.binary(4, 4)
    if wire_type == LEN:
        data = src.binary(0, 12)
        return varint(len(data)) + data
    return b""


def _wrong_wire(src: Source, fd: FieldDescriptor) -> bytes:
    right = _WIRE_TYPE.get(fd.type, VARINT)
    wrong = src.choice([w for w in (VARINT, I64, LEN, I32) if w != right])
    return tag(fd.number, wrong) + _payload(src, wrong)


def _hostile_field(src: Source, descriptor: Descriptor, depth: int) -> bytes:
    """One field of ``descriptor``'s message broken one way (or a nested message with one)."""
    how = src.integer(0, 9)
    if not descriptor.fields:  # an empty Ext message: only unknown fields fit
        how = 9
    fd = src.choice(tuple(descriptor.fields or _REQUEST_DESCRIPTOR.fields))
    if fd.message_type is not None and depth < 4 and how < 3:
        inner = b"".join(
            _hostile_field(src, fd.message_type, depth + 1) for _ in range(src.integer(1, 3))
        )
        return tag(fd.number, LEN) + varint(len(inner)) + inner
    if how < 5:
        return _wrong_wire(src, fd)
    if how == 5:  # truncated varint: continuation bits and no last byte
        return tag(fd.number, VARINT) + b"\x80" * src.integer(1, 9)
    if how == 6:  # overlong varint (past 10 bytes)
        return tag(fd.number, VARINT) + b"\xff" * src.integer(10, 12) + b"\x01"
    if how == 7:  # a length past the end of the message
        return tag(fd.number, LEN) + varint(src.choice((5, 2**31, 2**63))) + b"ab"
    if how == 8 and fd.type == FieldDescriptor.TYPE_STRING:
        bad = src.choice(_BAD_UTF8)
        return tag(fd.number, LEN) + varint(len(bad)) + bad
    return tag(src.integer(1, _MAX_FIELD), src.choice((VARINT, I64, LEN, I32))) + _payload(
        src, src.choice((VARINT, I64, LEN, I32))
    )


def _groups(src: Source) -> bytes:
    depth = src.choice(_DEPTHS)
    number = src.integer(900, 999)
    if src.integer(0, 1):
        return tag(number, SGROUP) * depth + tag(number, EGROUP) * depth
    return tag(number, src.choice((SGROUP, EGROUP)))  # unbalanced


def _nested_len(src: Source) -> bytes:
    """Messages inside messages, ``depth`` deep, through the imp field (a known message)."""
    inner = b""
    for _ in range(src.choice(_DEPTHS[:3])):
        inner = tag(2, LEN) + varint(len(inner)) + inner
    return inner


_REQUEST_DESCRIPTOR: Final = cast(Descriptor, pb.BidRequest.DESCRIPTOR)
_PROTO_EXTRA: Final[dict[str, Callable[[Source, bytes], bytes]]] = {
    "hostile-field": lambda src, body: body + _hostile_field(src, _REQUEST_DESCRIPTOR, 0),
    "hostile-fields": lambda src, body: (
        body
        + b"".join(_hostile_field(src, _REQUEST_DESCRIPTOR, 0) for _ in range(src.integer(2, 6)))
    ),
    "groups": lambda src, body: body + _groups(src),
    "deep-nesting": lambda src, body: body + _nested_len(src),
    "field-zero": lambda src, body: tag(0, src.choice((VARINT, LEN))) + body,
    "huge-field": lambda src, body: (
        body
        + tag(src.integer(1000, 2000), LEN)
        + varint(size := src.choice(_HUGE_SIZES))
        + b"A" * size
    ),
}
_PROTO_ALL: Final = {**BYTE_MUTATIONS, **_PROTO_EXTRA}
PROTO_MUTATIONS: Final = tuple(_PROTO_ALL)


def mutate_proto(src: Source, body: bytes, name: str | None = None) -> tuple[str, bytes]:
    """Protobuf ``body`` broken one way (``name``, else one from :data:`PROTO_MUTATIONS`)."""
    name = name or src.choice(PROTO_MUTATIONS)
    return name, _PROTO_ALL[name](src, body)


# -- hypothesis strategies ------------------------------------------------------------------

_JSON = JsonCodec()
_PROTO = ProtoCodec()


@st.composite
def _hostile(
    draw: st.DrawFn,
    bases: st.SearchStrategy[BidRequest],
    encode: Callable[[BidRequest], bytes],
    mutate: Callable[[Source, bytes], tuple[str, bytes]],
) -> bytes:
    src = DrawSource(draw)
    body = encode(draw(bases))
    for _ in range(src.integer(1, 3)):
        _, body = mutate(src, body)
    return body


def hostile_json_bodies(
    bases: st.SearchStrategy[BidRequest] | None = None,
) -> st.SearchStrategy[bytes]:
    """JSON bodies of ``bases`` (default: any BidRequest) broken one to three ways."""
    return _hostile(bid_requests() if bases is None else bases, _JSON.encode, mutate_json)


def hostile_proto_bodies(
    bases: st.SearchStrategy[BidRequest] | None = None,
) -> st.SearchStrategy[bytes]:
    """Protobuf bodies of ``bases`` (default: any BidRequest without ext) broken one to three
    ways."""
    strategy = bid_requests(with_ext=False) if bases is None else bases
    return _hostile(strategy, _PROTO.encode_request, mutate_proto)


__all__ = [
    "BYTE_MUTATIONS",
    "JSON_MUTATIONS",
    "PROTO_MUTATIONS",
    "WRONG_VALUES",
    "hostile_json_bodies",
    "hostile_proto_bodies",
    "mutate_json",
    "mutate_proto",
    "tag",
    "varint",
]

"""HPACK for the raw HTTP/2 engine: a fast request decoder and pre-encoded response blocks.

Decoding (RFC 7541) is one function over the block, returning plain ``(name, value)`` tuples;
it keeps the dynamic table like :class:`hpack.Decoder` and is checked against it
(``tests/test_hpack_codec.py``). The one cache is safe by construction: Huffman decoding is a
pure function of the encoded bytes, so decoded strings are kept keyed by those bytes (bounded,
process-wide). The Huffman decoder itself is hpack's.

Encoding never touches a dynamic table: response header blocks use static-table indexes and
literals without indexing (RFC 7541 6.1, 6.2.2), so they depend on nothing the client sent and
are pre-encoded once per distinct (status, content type, encoding, extra headers).
"""

from __future__ import annotations

from collections import deque
from typing import Final

from hpack.exceptions import HPACKDecodingError
from hpack.huffman_table import decode_huffman
from hpack.table import HeaderTable

STATIC: Final[tuple[tuple[bytes, bytes], ...]] = HeaderTable.STATIC_TABLE
_STATIC_LEN: Final = len(STATIC)
#: The HEADER_TABLE_SIZE this side advertises (the protocol default; we never change it).
TABLE_SIZE: Final = 4096
#: Continuation bytes an HPACK integer may use (hpack's limit: enough for 32 bits).
_MAX_INT_BYTES: Final = 5
_HUFFMAN_CACHE_ENTRIES: Final = 4096
_HUFFMAN_CACHE_MAX_LEN: Final = 256


class HpackError(Exception):
    """A header block that cannot be decoded: a connection error (COMPRESSION_ERROR)."""


class HeaderListTooLarge(HpackError):
    """The decoded header list passes the configured cap (an HPACK bomb)."""


_huffman_cache: dict[bytes, bytes] = {}


def _huffman(encoded: bytes) -> bytes:
    decoded = _huffman_cache.get(encoded)
    if decoded is None:
        try:
            decoded = decode_huffman(encoded)
        except HPACKDecodingError as exc:
            raise HpackError(str(exc)) from None
        if len(encoded) <= _HUFFMAN_CACHE_MAX_LEN:
            if len(_huffman_cache) >= _HUFFMAN_CACHE_ENTRIES:
                _huffman_cache.clear()  # crude but bounded; the hot strings come back at once
            _huffman_cache[encoded] = decoded
    return decoded


def _integer(data: bytes, pos: int, mask: int, end: int) -> tuple[int, int]:
    """The integer whose prefix byte is at ``pos`` (``mask`` covers the prefix bits)."""
    value = data[pos] & mask
    pos += 1
    if value < mask:
        return value, pos
    shift = 0
    for _ in range(_MAX_INT_BYTES):
        if pos >= end:
            raise HpackError("truncated integer")
        byte = data[pos]
        pos += 1
        value += (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    raise HpackError("integer representation too long")


def _string(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    if pos >= end:
        raise HpackError("truncated field")
    huffman = data[pos] & 0x80
    length, pos = _integer(data, pos, 0x7F, end)
    stop = pos + length
    if stop > end:
        raise HpackError("truncated string")
    raw = data[pos:stop]
    return (_huffman(raw) if huffman else raw), stop


class Decoder:
    """The decoding context of one connection (its dynamic table)."""

    __slots__ = ("_table", "_size", "_max_size", "max_header_list_size", "version", "size")

    def __init__(self, max_header_list_size: int) -> None:
        self._table: deque[tuple[bytes, bytes]] = deque()  # newest first
        self._size = 0
        self._max_size = TABLE_SIZE
        #: Largest decoded list (sum of name + value + 32 per field, as RFC 7541 4.1 counts).
        self.max_header_list_size = max_header_list_size
        #: Changes whenever the dynamic table does: a block decoded at one version decodes
        #: to the same list at that version (what callers may cache on).
        self.version = 0
        #: The size of the list the last :meth:`decode` returned (RFC 7541 4.1 counting).
        self.size = 0

    def _get(self, index: int) -> tuple[bytes, bytes]:
        if 0 < index <= _STATIC_LEN:
            return STATIC[index - 1]
        index -= _STATIC_LEN + 1
        if 0 <= index < len(self._table):
            return self._table[index]
        raise HpackError(f"invalid table index {index}")

    def _add(self, name: bytes, value: bytes) -> None:
        self.version += 1
        size = len(name) + len(value) + 32
        table = self._table
        if size > self._max_size:
            table.clear()
            self._size = 0
            return
        table.appendleft((name, value))
        self._size += size
        while self._size > self._max_size:
            old_name, old_value = table.pop()
            self._size -= len(old_name) + len(old_value) + 32

    def _resize(self, size: int) -> None:
        if size > TABLE_SIZE:
            raise HpackError("table size update past SETTINGS_HEADER_TABLE_SIZE")
        self._max_size = size
        self.version += 1
        while self._size > size:
            old_name, old_value = self._table.pop()
            self._size -= len(old_name) + len(old_value) + 32

    def decode(self, data: bytes) -> list[tuple[bytes, bytes]]:
        """The header list of one complete block; raises :class:`HpackError`."""
        headers: list[tuple[bytes, bytes]] = []
        append = headers.append
        pos = 0
        end = len(data)
        inflated = 0
        limit = self.max_header_list_size
        get = self._get
        while pos < end:
            byte = data[pos]
            if byte & 0x80:  # indexed field
                index, pos = _integer(data, pos, 0x7F, end)
                if index == 0:
                    raise HpackError("index 0")
                header = get(index)
            elif byte & 0xC0 == 0x40:  # literal with incremental indexing
                index, pos = _integer(data, pos, 0x3F, end)
                if index:
                    name = get(index)[0]
                else:
                    name, pos = _string(data, pos, end)
                value, pos = _string(data, pos, end)
                header = (name, value)
                self._add(name, value)
            elif byte & 0xE0 == 0x20:  # dynamic table size update
                if headers:
                    raise HpackError("table size update after a header field")
                size, pos = _integer(data, pos, 0x1F, end)
                self._resize(size)
                continue
            else:  # literal without indexing, or never indexed
                index, pos = _integer(data, pos, 0x0F, end)
                if index:
                    name = get(index)[0]
                else:
                    name, pos = _string(data, pos, end)
                value, pos = _string(data, pos, end)
                header = (name, value)
            append(header)
            inflated += len(header[0]) + len(header[1]) + 32
            if inflated > limit:
                raise HeaderListTooLarge(f"header list over {limit} bytes")
        self.size = inflated
        return headers


# -- encoding -------------------------------------------------------------------------------------

_STATUS_INDEX: Final = {200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14}
_NAME_INDEX: Final = {name: i + 1 for i, (name, _) in reversed(list(enumerate(STATIC)))}


def encode_integer(value: int, prefix_bits: int, first: int = 0) -> bytes:
    """An HPACK integer with ``first``'s high bits set in its prefix byte (RFC 7541 5.1)."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes((first | value,))
    out = bytearray((first | limit,))
    value -= limit
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name: bytes, value: bytes) -> bytes:
    """One field as a literal without indexing (RFC 7541 6.2.2); the name indexed if static."""
    index = _NAME_INDEX.get(name)
    if index is not None:
        head = encode_integer(index, 4)
    else:
        head = b"\x00" + encode_integer(len(name), 7) + name
    return head + encode_integer(len(value), 7) + value


def status_field(status: int) -> bytes:
    """``:status`` from the static table when it is there, else a literal."""
    index = _STATUS_INDEX.get(status)
    if index is not None:
        return bytes((0x80 | index,))
    return literal(b":status", str(status).encode())


#: ``content-length: `` as a literal without indexing, static name 28, before the value length.
CONTENT_LENGTH_PREFIX: Final = literal(b"content-length", b"")[:-1]
#: A dynamic table size update to 0: sent once after the client changes its
#: SETTINGS_HEADER_TABLE_SIZE, so our (empty, unused) table is within any new limit.
TABLE_SIZE_ZERO: Final = b"\x20"


__all__ = [
    "CONTENT_LENGTH_PREFIX",
    "STATIC",
    "TABLE_SIZE",
    "TABLE_SIZE_ZERO",
    "Decoder",
    "HeaderListTooLarge",
    "HpackError",
    "encode_integer",
    "literal",
    "status_field",
]

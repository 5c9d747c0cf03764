"""The raw engine's HPACK decoder against hpack's (the reference), and its response blocks.

Same header lists and the same dynamic table after every block, for blocks hpack's encoder
writes (Huffman or not, indexed or not, table size changes); for mutated blocks, the same list
or both refusing. Response blocks decode (with hpack) to the headers they were built from and
never use the dynamic table.
"""

from __future__ import annotations

import hpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport.hpack_codec import (
    CONTENT_LENGTH_PREFIX,
    TABLE_SIZE_ZERO,
    Decoder,
    HeaderListTooLarge,
    HpackError,
    literal,
    status_field,
)

NAMES = st.sampled_from(
    [b":method", b":path", b":authority", b":scheme", b"content-type", b"user-agent",
     b"x-openrtb-version", b"accept-encoding", b"cookie", b"x-custom"]
)  # fmt: skip
VALUES = st.one_of(st.sampled_from([b"POST", b"/openrtb2/bid", b"application/json", b""]),
                   st.binary(max_size=40))  # fmt: skip
HEADER_LISTS = st.lists(st.tuples(st.one_of(NAMES, st.binary(min_size=1, max_size=12)), VALUES),
                        max_size=12)  # fmt: skip


def _ours(decoder: Decoder, block: bytes) -> list[tuple[bytes, bytes]] | None:
    try:
        return decoder.decode(block)
    except HpackError:
        return None


def _theirs(decoder: hpack.Decoder, block: bytes) -> list[tuple[bytes, bytes]] | None:
    try:
        return [(bytes(n), bytes(v)) for n, v in decoder.decode(block, raw=True)]
    except (hpack.HPACKError, IndexError, TypeError):
        return None


@given(
    st.lists(
        st.tuples(HEADER_LISTS, st.booleans(), st.sampled_from([None, 0, 256, 4096])),
        min_size=1,
        max_size=8,
    )
)
def test_same_headers_and_table_as_hpack(
    blocks: list[tuple[list[tuple[bytes, bytes]], bool, int | None]],
) -> None:
    encoder = hpack.Encoder()
    reference = hpack.Decoder(max_header_list_size=1 << 20)
    ours = Decoder(1 << 20)
    for headers, huffman, table_size in blocks:
        if table_size is not None:
            encoder.header_table_size = table_size
        block = encoder.encode(headers, huffman=huffman)
        assert _ours(ours, block) == _theirs(reference, block) == headers
        assert list(ours._table) == list(reference.header_table.dynamic_entries)


@given(HEADER_LISTS, st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=4),
       st.integers(0, 40))  # fmt: skip
def test_mutated_blocks_fail_alike(
    headers: list[tuple[bytes, bytes]], flips: list[tuple[int, int]], cut: int
) -> None:
    block = bytearray(hpack.Encoder().encode(headers))
    for at, value in flips:
        if block:
            block[at % len(block)] = value
    data = bytes(block[: len(block) - cut if cut < len(block) else len(block)])
    assert _ours(Decoder(1 << 20), data) == _theirs(hpack.Decoder(1 << 20), data)


def test_header_list_cap_counts_like_hpack() -> None:
    headers = [(b"x-big", b"v" * 100)] * 10
    block = hpack.Encoder().encode(headers)
    size = sum(len(n) + len(v) + 32 for n, v in headers)
    assert Decoder(size).decode(block) == headers
    with pytest.raises(HeaderListTooLarge):
        Decoder(size - 1).decode(block)


@pytest.mark.parametrize(
    "block",
    [b"\x80", b"\xff\xff\xff\xff\xff\xff\x0f", b"\xbf", b"\x3f\xe2\x1f", b"\x82\x20", b"\x40\x85"],
    ids=["index-0", "long-integer", "past-table", "table-size-over", "size-after-field",
         "truncated"],
)  # fmt: skip
def test_bad_blocks_are_errors(block: bytes) -> None:
    assert _theirs(hpack.Decoder(), block) is None
    with pytest.raises(HpackError):
        Decoder(1 << 16).decode(block)


@given(st.sampled_from([200, 204, 304, 400, 404, 413, 500, 503]),
       st.lists(st.tuples(st.sampled_from([b"content-type", b"x-openrtb-version", b"allow",
                                           b"content-encoding", b"connection"]),
                          st.binary(min_size=1, max_size=300)), max_size=4),
       st.integers(0, 10**7))  # fmt: skip
def test_response_blocks_decode_to_their_headers(
    status: int, headers: list[tuple[bytes, bytes]], length: int
) -> None:
    digits = str(length).encode()
    block = b"".join([status_field(status), *(literal(n, v) for n, v in headers),
                      CONTENT_LENGTH_PREFIX, bytes((len(digits),)), digits])  # fmt: skip
    decoder = hpack.Decoder()
    decoded = decoder.decode(TABLE_SIZE_ZERO + block, raw=True)
    expected = [(b":status", str(status).encode()), *headers, (b"content-length", digits)]
    assert [(bytes(n), bytes(v)) for n, v in decoded] == expected
    assert not decoder.header_table.dynamic_entries  # the client's table is never touched

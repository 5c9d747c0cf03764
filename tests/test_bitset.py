"""The two-level bitsets of the campaign index agree with flat Python ints.

Every expression the pipeline builds (AND, OR, AND-NOT, price prefixes, per-request memo) is
checked against the same expression on plain ints, for chunk sizes from one byte up, so every
chunk boundary and every summary shortcut is exercised.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bidder.bitset import (
    EMPTY,
    AllOf,
    AnyOf,
    Bits,
    Memo,
    Node,
    Prefix,
    Without,
    all_of,
    any_of,
    positions,
    to_int,
)

SIZE = 200
chunk_sizes = st.sampled_from((8, 16, 64, 1024))
flat_sets = st.integers(min_value=0, max_value=(1 << SIZE) - 1) | st.sampled_from(
    (0, (1 << SIZE) - 1, 1, 1 << (SIZE - 1))
)


@st.composite
def expressions(draw: st.DrawFn, chunk_bits: int, depth: int = 3) -> tuple[Node, int]:
    """A random expression over random sets, and the flat int it stands for."""
    kind = draw(st.sampled_from(("bits", "prefix", "all", "any", "without", "memo")))
    if depth == 0 or kind == "bits":
        value = draw(flat_sets)
        return Bits.from_int(value, chunk_bits), value
    if kind == "prefix":
        count = draw(st.integers(0, SIZE + 10))
        return Prefix(count, chunk_bits), (1 << count) - 1
    if kind == "memo":
        node, value = draw(expressions(chunk_bits, depth - 1))
        return Memo(node), value
    parts = draw(st.lists(expressions(chunk_bits, depth - 1), min_size=1, max_size=4))
    nodes = [node for node, _ in parts]
    values = [value for _, value in parts]
    if kind == "all":
        out = values[0]
        for value in values[1:]:
            out &= value
        return (AllOf(nodes) if draw(st.booleans()) else all_of(nodes)), out
    if kind == "any":
        out = 0
        for value in values:
            out |= value
        return (AnyOf(nodes) if draw(st.booleans()) else any_of(nodes)), out
    removed = 0
    for value in values[1:]:
        removed |= value
    return Without(nodes[0], nodes[1:]), values[0] & ~removed


@given(st.data(), chunk_sizes)
def test_expressions_evaluate_to_what_flat_ints_do(data: st.DataObject, chunk_bits: int) -> None:
    node, value = data.draw(expressions(chunk_bits))
    assert to_int(node, chunk_bits) == value
    assert list(positions(node, chunk_bits)) == [p for p in range(SIZE + 10) if value >> p & 1]
    # The summary may over-approximate but never misses a non-empty chunk.
    for number in range(SIZE // chunk_bits + 2):
        if node.chunk(number):
            assert node.summary >> number & 1
    assert Memo(node).empty() == (value == 0)


@given(flat_sets, chunk_sizes)
def test_bits_round_trip_and_keep_only_non_empty_chunks(value: int, chunk_bits: int) -> None:
    bits = Bits.from_int(value, chunk_bits)
    assert bits.to_int(chunk_bits) == value
    assert len(bits) == value.bit_count()
    assert all(bits.chunks.values())
    assert bits.summary == sum(1 << n for n in bits.chunks)
    assert all(chunk < 1 << chunk_bits for chunk in bits.chunks.values())


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        Bits.from_int(-1)
    with pytest.raises(ValueError):
        Bits.from_int(5, chunk_bits=12)
    assert any_of([]) is EMPTY
    assert EMPTY.summary == 0 and EMPTY.chunk(0) == 0


def test_the_summary_skips_chunks_without_evaluating_them() -> None:
    evaluated: list[int] = []

    class Spy:
        summary = 0b1000

        def chunk(self, number: int) -> int:
            evaluated.append(number)
            return 0xFF

    sparse = Bits.from_int(1 << 30, chunk_bits=8)  # chunk 3 only
    assert list(positions(AllOf([sparse, Spy()]), 8)) == [30]
    assert evaluated == [3]

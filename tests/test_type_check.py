"""openrtb/type_check.py: the walk that words our JSON errors agrees with msgspec on what is
accepted, and names a path the document really has."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.realistic import realistic_bid_requests
from fuzz.strategies import json_values
from openrtb import BidRequest, BidResponse
from openrtb.model import Banner
from openrtb.type_check import JSON_KINDS, MismatchKind, all_mismatches, first_mismatch


def _accepted(tp: Any, document: Any, strict: bool) -> bool:
    try:
        msgspec.convert(document, tp, strict=strict)
    except msgspec.ValidationError:
        return False
    return True


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path inside a plain JSON document (the root included)."""
    out = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            out += _paths(value, (*prefix, index))
    return out


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for token in path[:-1]:
        parent = parent[token]
    parent[path[-1]] = value
    return document


@st.composite
def _mutated_requests(draw: st.DrawFn) -> Any:
    """A realistic request as plain JSON with one to three values replaced by anything."""
    document = msgspec.to_builtins(draw(realistic_bid_requests()))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        document = _set(document, path, draw(json_values))
    return document


def _lookup(document: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        document = document[token]
    return document


@given(_mutated_requests(), st.booleans())
def test_the_walk_accepts_exactly_what_msgspec_accepts(document: Any, strict: bool) -> None:
    mismatch = first_mismatch(BidRequest, document, strict=strict)
    assert (mismatch is None) == _accepted(BidRequest, document, strict)
    for found in all_mismatches(BidRequest, document, strict=strict):
        if found.kind is MismatchKind.MISSING:
            assert found.path[-1] not in _lookup(document, found.path[:-1])
        else:
            # The path is real, and the value there is what the mismatch says it got.
            value = _lookup(document, found.path)
            assert found.got == JSON_KINDS[type(value)]


@given(json_values, st.booleans())
def test_any_json_value_as_a_response(document: Any, strict: bool) -> None:
    assert (first_mismatch(BidResponse, document, strict=strict) is None) == _accepted(
        BidResponse, document, strict
    )


@pytest.mark.parametrize(
    ("document", "path", "reason"),
    [
        ({"w": "wide"}, "$.w", "expected int, got str"),
        ({"w": 2**31}, "$.w", "expected int <= 2147483647"),
        ({"w": -(2**31) - 1}, "$.w", "expected int >= -2147483648"),
        ({"format": [{"w": 1}, {"h": []}]}, "$.format[1].h", "expected int, got array"),
        ({"format": {}}, "$.format", "expected array, got object"),
        ([], "$", "expected object, got array"),
    ],
)
def test_mismatches_are_worded_from_the_type(document: Any, path: str, reason: str) -> None:
    mismatch = first_mismatch(Banner, document)
    assert mismatch is not None
    assert (mismatch.json_path, mismatch.reason) == (path, reason)


def test_missing_required_fields_come_after_present_ones_and_all_are_listed() -> None:
    found = list(all_mismatches(BidRequest, {"imp": [{"banner": {"w": "x"}}]}))
    assert [(m.json_path, m.kind) for m in found] == [
        ("$.imp[0].banner.w", MismatchKind.TYPE),
        ("$.imp[0].id", MismatchKind.MISSING),
        ("$.id", MismatchKind.MISSING),
    ]

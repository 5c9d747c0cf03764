"""Hypothesis strategies for OpenRTB 2.6 objects, derived from the model.

Every field of every object can appear; required fields always do. Values are realistic in
shape (short strings, small and full-range int32, finite doubles, 0/1 for the spec's flags) so
that generated objects round-trip through both wire formats. ``ext`` objects hold arbitrary
JSON unless ``with_ext=False``, which also leaves out the JSON-only fields: what remains is
exactly what the protobuf leg carries.

    from fuzz.strategies import bid_requests
    @given(bid_requests())
    def test_my_bidder(request): ...
"""

from __future__ import annotations

from functools import cache
from typing import Any, get_args, get_origin

import msgspec
from hypothesis import strategies as st

from openrtb.json_codec import _unwrap
from openrtb.model import BidRequest, BidResponse, OpenRTBObject
from openrtb.proto_codec import flag_fields

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(INT32_MIN, INT32_MAX),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
#: Arbitrary JSON values, a few levels deep.
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
ext_objects = st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=3)

_strings = st.text(max_size=12)
_int32 = st.one_of(st.integers(0, 1000), st.integers(INT32_MIN, INT32_MAX))
_floats = st.floats(allow_nan=False, allow_infinity=False)
_flags = st.integers(0, 1)


@cache
def _flags_of() -> dict[type[msgspec.Struct], frozenset[str]]:
    return flag_fields()


def _value_strategy(tp: Any, *, is_flag: bool, with_ext: bool) -> st.SearchStrategy[Any]:
    tp = _unwrap(tp)
    if get_origin(tp) is list:
        return st.lists(
            _value_strategy(get_args(tp)[0], is_flag=False, with_ext=with_ext),
            min_size=1,
            max_size=3,
        )
    if get_origin(tp) is dict:
        return ext_objects
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return objects(tp, with_ext=with_ext)
    if tp is str:
        return _strings
    if tp is int:
        return _flags if is_flag else _int32
    if tp is float:
        return _floats
    raise TypeError(f"no strategy for {tp!r}")  # pragma: no cover - the model uses only these


def _deferred_value(tp: Any, *, is_flag: bool, with_ext: bool) -> st.SearchStrategy[Any]:
    # Deferred: nested Struct strategies are built on first draw, not all at import.
    def build() -> st.SearchStrategy[Any]:
        return _value_strategy(tp, is_flag=is_flag, with_ext=with_ext)

    return st.deferred(build)


@cache
def objects(cls: type[OpenRTBObject], *, with_ext: bool = True) -> st.SearchStrategy[Any]:
    """Any valid-typed instance of an OpenRTB Struct type."""
    flags = _flags_of().get(cls, frozenset())
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in msgspec.structs.fields(cls):
        if not with_ext and (field.name == "ext" or field.name in cls.__json_only__):
            continue
        strategy = _deferred_value(field.type, is_flag=field.name in flags, with_ext=with_ext)
        if field.required:
            required[field.name] = strategy
        else:
            optional[field.name] = strategy
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


def _one_channel(pair: tuple[BidRequest, str]) -> BidRequest:
    request, keep = pair
    drop = {name: None for name in ("site", "app", "dooh") if name != keep}
    return msgspec.structs.replace(request, **drop)


def bid_requests(*, with_ext: bool = True) -> st.SearchStrategy[BidRequest]:
    """Any BidRequest whose fields have the spec's types, with at most one of site/app/dooh
    (the spec allows one, and protobuf's oneof cannot carry more)."""
    return st.tuples(
        objects(BidRequest, with_ext=with_ext), st.sampled_from(("site", "app", "dooh", ""))
    ).map(_one_channel)


def bid_responses(*, with_ext: bool = True) -> st.SearchStrategy[BidResponse]:
    """Any BidResponse whose fields have the spec's types."""
    return objects(BidResponse, with_ext=with_ext)


__all__ = ["bid_requests", "bid_responses", "ext_objects", "json_values", "objects"]

"""Where a decoded JSON document departs from an OpenRTB type, said in our own words.

msgspec's typed decoder is the fast path; when it refuses a document, its error says what and
where only as English text, which changes between releases. This module walks the plain
document (``msgspec.json.decode`` without a type) against the Struct types instead and reports
each departure as a :class:`Mismatch` value: the path as tokens, what the type expects and what
the document holds. The JSON codec words its errors and makes its lenient repairs from these.

Acceptance of a single value is msgspec's own (``msgspec.convert`` in lax mode on that value
alone), so the walk never accepts what the typed decoder refuses or refuses what it accepts;
``tests/test_type_check.py`` checks that on drawn documents.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Final, Union, get_args, get_origin

import msgspec

PathToken = str | int


class MismatchKind(enum.Enum):
    """What is wrong with the value at a path."""

    TYPE = "type"  #: a value of another JSON type than the field's
    MISSING = "missing"  #: a required field is absent
    RANGE = "range"  #: the right type, outside the field's bounds
    UNKNOWN = "unknown"  #: a member the Struct does not have, where it forbids unknown fields


#: The name each JSON type goes by in our errors.
JSON_KINDS: Final[dict[type, str]] = {
    type(None): "null", bool: "bool", int: "int", float: "float", str: "str", list: "array",
    dict: "object",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One departure of a document from its type."""

    kind: MismatchKind
    path: tuple[PathToken, ...]
    #: JSON kinds the field takes ("int", "null", "array", ...), in the order the type names them.
    expected: tuple[str, ...]
    #: The JSON kind the document holds there ("" when the field is missing).
    got: str
    #: For RANGE: the bound broken, e.g. "<= 2147483647".
    bound: str = ""

    @property
    def json_path(self) -> str:
        """The path as a JSON path: ``$.imp[0].banner.w``."""
        return "$" + "".join(f"[{t}]" if isinstance(t, int) else f".{t}" for t in self.path)

    @property
    def reason(self) -> str:
        """A few words on what is wrong, for an HTTP 400 body."""
        if self.kind is MismatchKind.MISSING:
            return "missing required field"
        if self.kind is MismatchKind.UNKNOWN:
            return "unknown field"
        wanted = " or ".join(k for k in self.expected if k != "null") or "null"
        if self.kind is MismatchKind.RANGE:
            return f"expected {wanted} {self.bound}"
        return f"expected {wanted}, got {self.got}"


def _kind(value: Any) -> str:
    """The JSON kind of a decoded value (TOML's dates and times by their Python name)."""
    return JSON_KINDS.get(type(value)) or type(value).__name__


def _kinds(tp: Any) -> tuple[str, ...]:
    """The JSON kinds a type takes."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _kinds(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return tuple(k for arg in get_args(tp) for k in _kinds(arg))
    if tp is Any:
        return ("any",)
    base = origin or tp
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        return ("object",)
    return (JSON_KINDS.get(base, getattr(base, "__name__", str(base))),)


_BOUNDS: Final[tuple[tuple[str, str, Callable[[Any, Any], bool]], ...]] = (
    ("ge", ">=", lambda v, b: v >= b),
    ("gt", ">", lambda v, b: v > b),
    ("le", "<=", lambda v, b: v <= b),
    ("lt", "<", lambda v, b: v < b),
    ("min_length", "length >=", lambda v, b: len(v) >= b),
    ("max_length", "length <=", lambda v, b: len(v) <= b),
)


def _broken_bound(tp: Any, value: Any) -> str:
    """The first bound of an ``Annotated[..., Meta(...)]`` type that ``value`` breaks, as
    ``<= 2147483647`` (every bound it sets, joined, if none is found)."""
    texts = []
    for meta in get_args(tp)[1:]:
        if not isinstance(meta, msgspec.Meta):
            continue
        for attr, sign, holds in _BOUNDS:
            bound = getattr(meta, attr)
            if bound is None:
                continue
            if not holds(value, bound):
                return f"{sign} {bound}"
            texts.append(f"{sign} {bound}")
    return " and ".join(texts)


@cache
def struct_fields(struct: type[msgspec.Struct]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A Struct's fields by wire name, and the wire names of its required fields."""
    info = msgspec.structs.fields(struct)
    required = tuple(f.encode_name for f in info if f.required)
    return {f.encode_name: f.type for f in info}, required


@cache
def field_types(struct: type[msgspec.Struct]) -> dict[str, Any]:
    """A Struct's field types by attribute name."""
    return {f.name: f.type for f in msgspec.structs.fields(struct)}


def unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the one real type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def optional_part(tp: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (tp, False)."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(args) < len(get_args(tp)):
            return args[0], True
    return tp, False


def _leaf_ok(value: Any, tp: Any, strict: bool) -> bool:
    """Whether msgspec (in the same mode) takes ``value`` as a ``tp``."""
    try:
        msgspec.convert(value, tp, strict=strict)
    except msgspec.ValidationError:
        return False
    return True


def _walk(tp: Any, value: Any, path: tuple[PathToken, ...], strict: bool) -> Iterator[Mismatch]:
    inner, optional = optional_part(tp)
    if value is None:
        if not optional and _kinds(tp) != ("any",):
            yield Mismatch(MismatchKind.TYPE, path, _kinds(tp), "null")
        return
    origin = get_origin(inner)
    if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
        if not isinstance(value, dict):
            yield Mismatch(MismatchKind.TYPE, path, _kinds(tp), _kind(value))
            return
        fields, required = struct_fields(inner)
        forbid = inner.__struct_config__.forbid_unknown_fields
        for key, item in value.items():
            field_type = fields.get(key)
            if field_type is not None:
                yield from _walk(field_type, item, (*path, key), strict)
            elif forbid:
                yield Mismatch(MismatchKind.UNKNOWN, (*path, key), (), _kind(item))
        for name in required:
            if name not in value:
                yield Mismatch(MismatchKind.MISSING, (*path, name), _kinds(fields[name]), "")
        return
    if origin is list:
        if not isinstance(value, list):
            yield Mismatch(MismatchKind.TYPE, path, _kinds(tp), _kind(value))
            return
        (item_type,) = get_args(inner)
        for index, item in enumerate(value):
            yield from _walk(item_type, item, (*path, index), strict)
        return
    if origin is dict and get_args(inner)[0] is str:
        if not isinstance(value, dict):
            yield Mismatch(MismatchKind.TYPE, path, _kinds(tp), _kind(value))
            return
        for key, item in value.items():
            yield from _walk(get_args(inner)[1], item, (*path, key), strict)
        return
    if _leaf_ok(value, inner, strict):
        return
    if origin is Annotated:
        try:
            plain = msgspec.convert(value, get_args(inner)[0], strict=strict)
        except msgspec.ValidationError:
            pass
        else:
            bound = _broken_bound(inner, plain)
            yield Mismatch(MismatchKind.RANGE, path, _kinds(tp), _kind(value), bound)
            return
    yield Mismatch(MismatchKind.TYPE, path, _kinds(tp), _kind(value))


def all_mismatches(tp: Any, document: Any, *, strict: bool = False) -> Iterator[Mismatch]:
    """Every departure of ``document`` (plain decoded JSON) from ``tp``, in document order
    (a Struct's missing required fields after its present ones). ``strict`` as msgspec's."""
    return _walk(tp, document, (), strict)


def first_mismatch(tp: Any, document: Any, *, strict: bool = False) -> Mismatch | None:
    """The first departure of ``document`` from ``tp``, or None if msgspec would accept it."""
    return next(all_mismatches(tp, document, strict=strict), None)


__all__ = [
    "JSON_KINDS",
    "Mismatch",
    "MismatchKind",
    "PathToken",
    "all_mismatches",
    "field_types",
    "first_mismatch",
    "optional_part",
    "struct_fields",
    "unwrap",
]

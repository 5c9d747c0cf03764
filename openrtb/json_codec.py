"""The JSON codec: bytes <-> OpenRTB Structs on msgspec, with a leniency policy.

Leniency policy (``JsonCodec(strict=False)``, the default)
------------------------------------------------------------
Real exchanges send JSON that bends the spec. A lenient codec accepts, and normalises:

- numbers as strings: ``"w": "300"`` -> ``300``, ``"bidfloor": "0.5"`` -> ``0.5``;
- booleans where the spec has integer flags: ``true``/``false`` and ``"true"``/``"false"``
  -> ``1``/``0``
  (``0``/``1`` and ``"1"`` are the spec's own form, or plain number-as-string);
- numeric ids where strings are expected: ``"id": 123`` -> ``"123"``;
- an object where the spec wants a JSON string (``imp.native.request``, ``bid.adm``): it is
  re-encoded as a JSON string;
- a single value where the spec wants an array: ``"mimes": "video/mp4"`` -> ``["video/mp4"]``;
- ``null`` for a field: treated as absent (the spec default applies); ``null`` inside an array
  of scalars or objects is dropped;
- an unreadable value in a field the spec deprecates (``bid.api: "testapi"``) is dropped:
  nothing reads deprecated fields, so they should not cost a bid.

Anything else is an error. ``JsonCodec(strict=True)`` accepts the spec's types only.
In both modes unknown fields and unknown enum values are accepted, as the spec requires.

Cost: well-formed input decodes in one pass straight into Structs. Only input that fails that
pass takes the lenient path (decode to Python objects, repair the reported field, convert
again), bounded to :data:`MAX_REPAIRS` repairs per document.
"""

from __future__ import annotations

import re
import types
from functools import cache
from typing import Annotated, Any, Final, Generic, TypeVar, Union, get_args, get_origin

import msgspec

from .errors import DecodeError, EncodeError
from .model import BidRequest, BidResponse, NativeRequest, NativeResponse

T = TypeVar("T")

#: A document with more wrong-typed fields than this is rejected even in lenient mode: each
#: repair re-validates the document, and this bounds the work a hostile body can cause.
MAX_REPAIRS: Final = 64

_TYPE_ERROR = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_AT = " - at `"
_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _split_message(message: str) -> tuple[str, str]:
    """Split a msgspec error message into (what went wrong, JSON path)."""
    at = message.rfind(_AT)
    if at < 0:
        return message, "$"
    return message[:at], message[at + len(_AT) : -1]


def _expected_text(expected: str) -> str:
    kinds = [k.strip() for k in expected.split("|") if k.strip() != "null"]
    return " or ".join(kinds) or expected


def _decode_error(exc: Exception) -> DecodeError:
    """Turn a msgspec error into our DecodeError with a short reason and a path."""
    what, path = _split_message(str(exc))
    if isinstance(exc, msgspec.ValidationError):
        m = _TYPE_ERROR.match(what)
        if m:
            return DecodeError(path, f"expected {_expected_text(m['expected'])}, got {m['got']}")
        m = _MISSING.match(what)
        if m:
            sub = f"{path}.{m['field']}"
            return DecodeError(sub, "missing required field")
        if what.startswith("Expected `"):
            # Constraint failures, e.g. "Expected `int` <= 2147483647".
            return DecodeError(path, "expected " + what[len("Expected ") :].replace("`", ""))
        return DecodeError(path, what[:1].lower() + what[1:])
    if isinstance(exc, UnicodeDecodeError) or what.startswith("Invalid UTF-8"):
        # msgspec < 0.23 let UnicodeDecodeError through; 0.23 says "Invalid UTF-8 encoded string".
        return DecodeError("$", "invalid UTF-8")
    if what == "Input data was truncated":
        return DecodeError("$", "truncated JSON")
    if what.startswith("JSON is malformed: "):
        return DecodeError("$", "malformed JSON: " + what[len("JSON is malformed: ") :])
    return DecodeError("$", what[:1].lower() + what[1:])


def _parse_path(path: str) -> list[str | int] | None:
    if not path.startswith("$"):
        return None
    tokens: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _PATH_TOKEN.match(path, pos)
        if m is None:
            return None
        tokens.append(m[1] if m[1] is not None else int(m[2]))
        pos = m.end()
    return tokens


_DELETE: Final = object()
_NO_REPAIR: Final = object()
#: The name msgspec gives each JSON type in its errors ("got `float`").
_JSON_KINDS: Final = {
    type(None): "null", bool: "bool", int: "int", float: "float", str: "str", list: "array",
    dict: "object",
}  # fmt: skip


def _repaired(value: Any, expected: str, got: str) -> Any:
    """The value a lenient reader takes for ``value``, or ``_NO_REPAIR``; ``_DELETE`` drops it."""
    kinds = {k.strip() for k in expected.split("|")}
    if got == "null":
        return _DELETE
    if "str" in kinds:
        if got == "int":
            return str(value)
        if got == "float":
            return str(int(value)) if float(value).is_integer() else repr(value)
        if got in ("object", "array"):
            return msgspec.json.encode(value).decode()
    if "int" in kinds:
        if got == "bool":
            return int(value)
        if got == "str":
            text = value.strip().lower()
            if text in ("true", "false"):
                return int(text == "true")
            try:
                number = float(text)
            except ValueError:
                return _NO_REPAIR
            if number.is_integer():
                return int(number)
    if "array" in kinds and got in ("str", "int", "float", "bool", "object"):
        return [value]
    return _NO_REPAIR


@cache
def _field_types(struct: type[msgspec.Struct]) -> dict[str, Any]:
    return {f.name: f.type for f in msgspec.structs.fields(struct)}


def _unwrap(tp: Any) -> Any:
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


def _is_deprecated(root: type, tokens: list[str | int]) -> bool:
    """Whether the field at ``tokens`` (a path from ``root``) is one the spec deprecates."""
    tp: Any = root
    for token in tokens[:-1]:
        tp = _unwrap(tp)
        if isinstance(token, int):
            if get_origin(tp) is not list:
                return False
            tp = get_args(tp)[0]
        else:
            if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
                return False
            tp = _field_types(tp).get(token)
    tp = _unwrap(tp)
    last = tokens[-1]
    return (
        isinstance(tp, type) and isinstance(last, str) and last in getattr(tp, "__deprecated__", ())
    )


def _repair_once(root: type, document: Any, exc: msgspec.ValidationError) -> bool:
    """Repair the one field ``exc`` names inside ``document``. False if it cannot be repaired."""
    what, path = _split_message(str(exc))
    m = _TYPE_ERROR.match(what)
    tokens = _parse_path(path)
    if m is None or not tokens:
        return False
    parent: Any = document
    try:
        for token in tokens[:-1]:
            parent = parent[token]
        key = tokens[-1]
        value = parent[key]
    except (KeyError, IndexError, TypeError):
        return False
    if _JSON_KINDS.get(type(value)) != m["got"]:
        # A duplicate key: the typed pass stopped at one value, the document kept the last.
        # Found by the fuzzer: repairing a value of another type raised ValueError.
        return False
    new = _repaired(value, m["expected"], m["got"])
    if new is _NO_REPAIR:
        if not _is_deprecated(root, tokens):
            return False
        new = _DELETE
    if new is _DELETE:
        del parent[key]
    else:
        parent[key] = new
    return True


class TypedJson(Generic[T]):
    """Decode and encode one OpenRTB type. Holds its msgspec Decoder; make one and reuse it."""

    __slots__ = ("_decoder", "_strict", "_type")

    def __init__(self, type_: type[T], *, strict: bool = False) -> None:
        self._type = type_
        self._strict = strict
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(type_, strict=strict)

    @property
    def strict(self) -> bool:
        """Whether this codec accepts only the spec's types (no leniency)."""
        return self._strict

    def decode(self, data: bytes | bytearray | memoryview | str) -> T:
        """Decode one JSON document. Raises :class:`DecodeError` (and nothing else) on bad input."""
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            if self._strict:
                raise _decode_error(exc) from None
            first = exc
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise _decode_error(exc) from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        return self._decode_lenient(data, first)

    def _decode_lenient(self, data: bytes | bytearray | memoryview | str, first: Exception) -> T:
        try:
            document = msgspec.json.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # The typed pass stopped at a type error before reaching the syntax error.
            raise _decode_error(exc) from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        error: Exception = first
        for _ in range(MAX_REPAIRS):
            if not isinstance(error, msgspec.ValidationError) or not _repair_once(
                self._type, document, error
            ):
                break
            try:
                return msgspec.convert(document, self._type, strict=False)
            except msgspec.ValidationError as exc:
                error = exc
            except RecursionError:
                raise DecodeError("$", "nesting too deep") from None
        # The error left is the first one no repair could fix.
        raise _decode_error(error) from None


class JsonCodec:
    """The JSON wire format for bid requests and responses.

    One instance per worker; it owns reusable msgspec decoders and one encoder.
    """

    __slots__ = ("_encoder", "native_request", "native_response", "request", "response")

    def __init__(self, *, strict: bool = False) -> None:
        self.request = TypedJson(BidRequest, strict=strict)
        self.response = TypedJson(BidResponse, strict=strict)
        self.native_request = TypedJson(NativeRequest, strict=strict)
        self.native_response = TypedJson(NativeResponse, strict=strict)
        self._encoder = msgspec.json.Encoder()

    @property
    def strict(self) -> bool:
        """Whether this codec accepts only the spec's types (no leniency)."""
        return self.request.strict

    def decode_request(self, data: bytes | bytearray | memoryview | str) -> BidRequest:
        """Decode a BidRequest. Raises :class:`DecodeError` on bad input."""
        return self.request.decode(data)

    def decode_response(self, data: bytes | bytearray | memoryview | str) -> BidResponse:
        """Decode a BidResponse. Raises :class:`DecodeError` on bad input."""
        return self.response.decode(data)

    def encode(self, obj: Any) -> bytes:
        """Encode any OpenRTB object; fields at their spec default are left out."""
        try:
            return self._encoder.encode(obj)
        except (TypeError, ValueError, OverflowError, UnicodeEncodeError) as exc:
            raise EncodeError(str(exc)) from None

    def encode_into(self, obj: Any, buffer: bytearray, offset: int = 0) -> None:
        """Encode into a reused buffer (resized to fit), so the hot path allocates no bytes."""
        try:
            self._encoder.encode_into(obj, buffer, offset)
        except (TypeError, ValueError, OverflowError, UnicodeEncodeError) as exc:
            raise EncodeError(str(exc)) from None


__all__ = ["MAX_REPAIRS", "JsonCodec", "TypedJson"]

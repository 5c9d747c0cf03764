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

import json
from typing import Any, Final, Generic, TypeVar

import msgspec

from .errors import DecodeError, EncodeError
from .model import BidRequest, BidResponse, NativeRequest, NativeResponse
from .type_check import (
    JSON_KINDS,
    Mismatch,
    MismatchKind,
    all_mismatches,
    optional_part,
    struct_fields,
)

T = TypeVar("T")

#: A document with more wrong-typed fields than this is rejected even in lenient mode: each
#: repair round re-walks the document, and this bounds the work a hostile body can cause.
MAX_REPAIRS: Final = 64

_Data = bytes | bytearray | memoryview | str


def _syntax_error(data: _Data) -> DecodeError:
    """Say why ``data`` is not JSON, from positions rather than any parser's wording.

    Only called after msgspec refused the bytes, so the cost of a second look is paid by bad
    input alone.
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DecodeError("$", f"invalid UTF-8 at byte {exc.start}")
    if not text.strip():
        return DecodeError("$", "empty body")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            return DecodeError("$", "truncated JSON")
        return DecodeError("$", f"malformed JSON at byte {len(text[: exc.pos].encode())}")
    except (RecursionError, ValueError):
        pass
    # What Python's reader takes and msgspec refuses: NaN/Infinity, numbers out of range.
    return DecodeError("$", "malformed JSON")


def _decode_error(mismatch: Mismatch) -> DecodeError:
    return DecodeError(mismatch.json_path, mismatch.reason)


_DELETE: Final = object()
_NO_REPAIR: Final = object()


def _repaired(value: Any, expected: tuple[str, ...], got: str) -> Any:
    """The value a lenient reader takes for ``value``, or ``_NO_REPAIR``; ``_DELETE`` drops it."""
    if got == "null":
        return _DELETE
    if "str" in expected:
        if got == "int":
            return str(value)
        if got == "float":
            return str(int(value)) if float(value).is_integer() else repr(value)
        if got in ("object", "array"):
            return msgspec.json.encode(value).decode()
    if "int" in expected:
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
    if "array" in expected and got in ("str", "int", "float", "bool", "object"):
        return [value]
    return _NO_REPAIR


def _is_deprecated(root: type, path: tuple[str | int, ...]) -> bool:
    """Whether the field at ``path`` is one the spec deprecates (its parent Struct says so)."""

    tp: Any = root
    for token in path[:-1]:
        tp, _ = optional_part(tp)
        if isinstance(token, int):
            tp = tp.__args__[0] if getattr(tp, "__origin__", None) is list else None
        elif isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            tp = struct_fields(tp)[0].get(token)
        else:
            return False
    tp, _ = optional_part(tp)
    last = path[-1] if path else None
    return isinstance(tp, type) and last in getattr(tp, "__deprecated__", ())


def _fix(root: type, document: Any, mismatch: Mismatch) -> tuple[Any, Any, Any] | None:
    """(parent, key, new value) that repairs ``mismatch``, or None if it cannot be repaired."""
    if mismatch.kind is not MismatchKind.TYPE or not mismatch.path:
        return None
    parent: Any = document
    for token in mismatch.path[:-1]:
        parent = parent[token]
    key = mismatch.path[-1]
    value = parent[key]
    new = _repaired(value, mismatch.expected, JSON_KINDS[type(value)])
    if new is _NO_REPAIR:
        if not _is_deprecated(root, mismatch.path):
            return None
        new = _DELETE
    return parent, key, new


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
        except msgspec.ValidationError:
            pass
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise _syntax_error(data) from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        return self._decode_slow(data)

    def _decode_slow(self, data: bytes | bytearray | memoryview | str) -> T:
        """The document is JSON but not of our type: find where (strict) or repair it (lenient)."""
        try:
            document = msgspec.json.decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError):
            # The typed pass stopped at a type error before reaching the syntax error.
            raise _syntax_error(data) from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        repairs = 0
        while True:
            try:
                mismatches = list(all_mismatches(self._type, document, strict=self._strict))
            except RecursionError:
                raise DecodeError("$", "nesting too deep") from None
            if not mismatches:
                break
            if self._strict:
                raise _decode_error(mismatches[0])
            fixes = []
            for mismatch in mismatches:
                fix = _fix(self._type, document, mismatch)
                repairs += 1
                if fix is None or repairs > MAX_REPAIRS:
                    # The error left is the first one no repair could fix.
                    raise _decode_error(mismatch)
                fixes.append(fix)
            # Backwards, so that dropping an array's item leaves earlier indices in place.
            for parent, key, new in reversed(fixes):
                if new is _DELETE:
                    del parent[key]
                else:
                    parent[key] = new
        try:
            return msgspec.convert(document, self._type, strict=self._strict)
        except msgspec.ValidationError:  # pragma: no cover - the walk mirrors msgspec
            raise DecodeError("$", "does not match the schema") from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None


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

"""The protobuf codec: bytes <-> the same OpenRTB Structs the JSON codec produces.

The wire schema is ``schemas/openrtb.proto`` (compiled to :mod:`openrtb.openrtb_pb2`), which
matches the IAB 2.6 and Google field numbers. Parsing is done by protobuf (upb); this module
maps the parsed message onto the Structs and back, so the pipeline has one model.

The mapping is built once, at import, by walking the message descriptors and the Struct
fields side by side by name. Per message it keeps a table from field number to a small
converter, so decoding touches only the fields that are present (``ListFields``).

What the protobuf leg does not carry
------------------------------------
- ``ext``: only the extension fields the IAB proto defines (for example ``regs.ext.gdpr``,
  ``user.ext.eids``, ``source.ext.schain``, ``imp.ext.gpid``) travel; any other key of an
  ``ext`` object is dropped on encode. Decoding keeps unknown protobuf fields (including
  Google's extensions, e.g. field 1009 on Imp) inside the message and ignores them.
- An empty array and an absent one are the same thing on the protobuf wire; both decode to
  absent (``None``).
- JSON 0/1 flags are protobuf ``bool``: any non-zero flag value is sent as ``true`` (1).
- ``imp.native.request_native`` and ``bid.adm_native`` (the message forms) decode into the
  JSON strings ``native.request`` and ``bid.adm``; encoding always writes the string forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar, cast

import msgspec
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import EncodeError as ProtobufEncodeError
from google.protobuf.message import Message

from . import openrtb_pb2 as pb
from .errors import DecodeError, EncodeError
from .model import BidRequest, BidResponse, NativeRequest, NativeResponse
from .native import native_request_json, native_response_json
from .type_check import field_types, unwrap

T = TypeVar("T", bound=msgspec.Struct)

_TYPE_BOOL: Final = FieldDescriptor.TYPE_BOOL
_TYPE_MESSAGE: Final = FieldDescriptor.TYPE_MESSAGE
_NODEFAULT: Final = msgspec.NODEFAULT

# Field kinds in a plan.
_SCALAR, _FLAG, _SCALARS, _MESSAGE, _MESSAGES, _EXT, _NATIVE_REQUEST, _NATIVE_RESPONSE = range(8)


class _MissingField(Exception):
    """A required field is absent; carries the path, built up while unwinding."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _is_repeated(fd: FieldDescriptor) -> bool:
    return fd.is_repeated


def _message_type(fd: FieldDescriptor) -> Descriptor:
    descriptor = fd.message_type
    if descriptor is None:  # pragma: no cover - only called on message fields
        raise TypeError(f"{fd.full_name} is not a message field")
    return descriptor


class _Plan:
    """How one message type maps onto one Struct type."""

    __slots__ = (
        "by_number",
        "converters",
        "descriptor",
        "encode_fields",
        "message_class",
        "required",
        "scalars",
        "struct",
        "via_ext",
    )

    def __init__(self, struct: type[msgspec.Struct], descriptor: Descriptor) -> None:
        self.struct = struct
        self.descriptor = descriptor
        self.message_class: type[Message] = _message_class(descriptor)
        #: field number -> (struct field name, kind, sub-plan or None)
        self.by_number: dict[int, tuple[str, int, _Plan | None]] = {}
        #: decode tables derived from ``by_number``: plain scalars, and converters for the rest
        self.scalars: dict[int, str] = {}
        self.converters: dict[int, tuple[str, Callable[[Any], Any]]] = {}
        #: (struct field name, proto field name, kind, sub-plan, default) in declaration order
        self.encode_fields: list[tuple[str, str, int, _Plan | None, Any]] = []
        #: required struct fields: name -> value to use when absent (``_NODEFAULT``: an error)
        self.required: dict[str, Any] = {}
        #: Struct fields carried inside the ``Ext`` message on the protobuf wire.
        self.via_ext: tuple[str, ...] = ()


def _message_class(descriptor: Descriptor) -> type[Message]:
    names = descriptor.full_name.split(".")[2:]  # drop the package "bidwire.openrtb"
    obj: Any = pb
    for name in names:
        obj = getattr(obj, name)
    cls: type[Message] = obj
    return cls


_PLANS: dict[tuple[type[msgspec.Struct], str], _Plan] = {}


def _plan(struct: type[msgspec.Struct], descriptor: Descriptor) -> _Plan:
    key = (struct, descriptor.full_name)
    existing = _PLANS.get(key)
    if existing is not None:
        return existing
    plan = _Plan(struct, descriptor)
    _PLANS[key] = plan
    types_ = field_types(struct)
    defaults = {f.name: f.default for f in msgspec.structs.fields(struct)}
    for name, tp in types_.items():
        if defaults[name] is _NODEFAULT:
            inner = unwrap(tp)
            plan.required[name] = [] if getattr(inner, "__origin__", None) is list else _NODEFAULT
    for fd in descriptor.fields:
        name = fd.name
        sub: _Plan | None = None
        if name == "request_native" and struct.__name__ == "Native":
            plan.by_number[fd.number] = (
                "request",
                _NATIVE_REQUEST,
                _plan(NativeRequest, _message_type(fd)),
            )
            continue
        if name == "adm_native" and struct.__name__ == "Bid":
            plan.by_number[fd.number] = (
                "adm",
                _NATIVE_RESPONSE,
                _plan(NativeResponse, _message_type(fd)),
            )
            continue
        if name not in types_:
            raise TypeError(f"{descriptor.full_name}.{name} has no field in {struct.__name__}")
        repeated = _is_repeated(fd)
        if name == "ext":
            kind = _EXT
        elif fd.type == _TYPE_MESSAGE:
            inner = unwrap(types_[name])
            if repeated:
                inner = unwrap(inner.__args__[0])
            sub = _plan(inner, _message_type(fd))
            kind = _MESSAGES if repeated else _MESSAGE
        elif repeated:
            kind = _SCALARS
        elif fd.type == _TYPE_BOOL:
            kind = _FLAG
        else:
            kind = _SCALAR
        plan.by_number[fd.number] = (name, kind, sub)
        plan.encode_fields.append((name, name, kind, sub, defaults[name]))
    for number, (name, kind, sub) in plan.by_number.items():
        if kind == _SCALAR:
            plan.scalars[number] = name
        else:
            plan.converters[number] = (name, _converter(kind, name, sub))
    missing = set(types_) - {entry[0] for entry in plan.by_number.values()}
    missing -= struct.__json_only__ | struct.__proto_via_ext__  # type: ignore[attr-defined]
    plan.via_ext = tuple(sorted(struct.__proto_via_ext__))  # type: ignore[attr-defined]
    if missing:
        raise TypeError(f"{struct.__name__} fields {sorted(missing)} have no protobuf field")
    return plan


# --- protobuf message -> Struct ---------------------------------------------------------------


def _to_struct(message: Message, plan: _Plan) -> Any:
    # The hot loop: plain scalars (most fields) are one dict lookup and one store; everything
    # else goes through a converter prepared when the plan was built.
    kwargs: dict[str, Any] = {}
    scalars = plan.scalars
    converters = plan.converters
    for fd, value in message.ListFields():
        number = fd.number
        name = scalars.get(number)
        if name is not None:
            kwargs[name] = value
        else:
            name, convert = converters[number]
            kwargs[name] = convert(value)
    if plan.via_ext:
        ext = kwargs.get("ext")
        if ext:
            for name in plan.via_ext:
                if name in ext:
                    kwargs[name] = ext.pop(name)
            if not ext:
                del kwargs["ext"]
    if plan.required:
        for name, fallback in plan.required.items():
            if name not in kwargs:
                if fallback is _NODEFAULT:
                    raise _MissingField(name)
                kwargs[name] = list(fallback)
    return plan.struct(**kwargs)


def _message_converter(sub: _Plan, step: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return _to_struct(value, sub)
        except _MissingField as exc:
            raise _MissingField(f"{step}.{exc.path}") from None

    return convert


def _messages_converter(sub: _Plan, step: str) -> Callable[[Any], Any]:
    def convert(values: Any) -> Any:
        try:
            return [_to_struct(v, sub) for v in values]
        except _MissingField as exc:
            index = next(i for i, v in enumerate(values) if _missing_in(v, sub))
            raise _MissingField(f"{step}[{index}].{exc.path}") from None

    return convert


def _missing_in(value: Any, sub: _Plan) -> bool:
    try:
        _to_struct(value, sub)
    except _MissingField:
        return True
    return False


def _converter(kind: int, name: str, sub: _Plan | None) -> Callable[[Any], Any]:
    """The function that turns one present protobuf field into its Struct value."""
    if kind == _FLAG:
        return int
    if kind == _SCALARS:
        return list
    if kind == _EXT:
        return _message_to_builtins
    assert sub is not None
    if kind == _MESSAGE:
        return _message_converter(sub, name)
    if kind == _MESSAGES:
        return _messages_converter(sub, name)
    inner = _message_converter(sub, "request_native" if kind == _NATIVE_REQUEST else "adm_native")
    to_json = native_request_json if kind == _NATIVE_REQUEST else native_response_json

    def convert(value: Any) -> Any:
        return to_json(inner(value))

    return convert


def _message_to_builtins(message: Message) -> dict[str, Any]:
    """An ``Ext`` message (or any message inside one) as the JSON object it stands for."""
    out: dict[str, Any] = {}
    for fd, value in message.ListFields():
        out[fd.name] = _value_to_builtins(fd, value)
    return out


def _value_to_builtins(fd: FieldDescriptor, value: Any) -> Any:
    if _is_repeated(fd):
        return [_single_to_builtins(fd, v) for v in value]
    return _single_to_builtins(fd, value)


def _single_to_builtins(fd: FieldDescriptor, value: Any) -> Any:
    if fd.type == _TYPE_MESSAGE:
        if _message_type(fd).full_name.startswith("google.protobuf."):
            return json_format.MessageToDict(value)
        return _message_to_builtins(value)
    if fd.type == _TYPE_BOOL:
        return int(value)
    return value


# --- Struct -> protobuf message ---------------------------------------------------------------


def _fill(message: Message, obj: Any, plan: _Plan) -> None:
    for name, field, kind, sub, default in plan.encode_fields:
        value = getattr(obj, name)
        if value is None or value == default:
            continue
        if kind == _SCALAR:
            setattr(message, field, value)
        elif kind == _FLAG:
            setattr(message, field, bool(value))
        elif kind == _MESSAGE:
            child = getattr(message, field)
            child.SetInParent()
            _fill(child, value, sub)  # type: ignore[arg-type]
        elif kind == _SCALARS:
            getattr(message, field).extend(value)
        elif kind == _MESSAGES:
            container = getattr(message, field)
            for item in value:
                _fill(container.add(), item, sub)  # type: ignore[arg-type]
        else:  # _EXT
            _fill_builtins(getattr(message, field), value)
    for name in plan.via_ext:
        value = getattr(obj, name)
        if value is not None:
            _fill_builtins(message.ext, {name: value})  # type: ignore[attr-defined]


def _fill_builtins(message: Message, data: Any) -> None:
    """Copy the keys of a JSON object that the message declares; drop the rest.

    An ``ext`` key whose value does not fit the declared type is dropped too: ext content is
    the sender's, and losing a malformed extension must not fail the whole message.
    """
    if not isinstance(data, dict):
        return
    fields: dict[str, FieldDescriptor] = message.DESCRIPTOR.fields_by_name  # type: ignore[assignment]
    for key, value in data.items():
        fd = fields.get(key)
        if fd is None or value is None:
            continue
        try:
            _set_builtin(message, fd, value)
        except (TypeError, ValueError, AttributeError, json_format.ParseError):
            message.ClearField(key)


def _set_builtin(message: Message, fd: FieldDescriptor, value: Any) -> None:
    name = fd.name
    if fd.type == _TYPE_MESSAGE:
        well_known = _message_type(fd).full_name.startswith("google.protobuf.")
        if _is_repeated(fd):
            container = getattr(message, name)
            for item in value if isinstance(value, list) else [value]:
                child = container.add()
                if well_known:
                    json_format.ParseDict(item, child)
                else:
                    _fill_builtins(child, item)
            return
        child = getattr(message, name)
        child.SetInParent()
        if well_known:
            json_format.ParseDict(value, child)
        else:
            _fill_builtins(child, value)
        return
    if _is_repeated(fd):
        getattr(message, name).extend(_scalar(fd, v) for v in value)
    else:
        setattr(message, name, _scalar(fd, value))


def _scalar(fd: FieldDescriptor, value: Any) -> Any:
    if fd.type == _TYPE_BOOL:
        if isinstance(value, (bool, int)):
            return bool(value)
        raise TypeError("not a flag")
    if isinstance(value, bool):
        raise TypeError("a bool is not a number or string")
    return value


# --- public codec -----------------------------------------------------------------------------


class TypedProto(Generic[T]):
    """Decode and encode one OpenRTB type as protobuf. Reuse one instance: it keeps a scratch
    message for encoding, so encoding allocates no message objects."""

    __slots__ = ("_plan", "_scratch")

    def __init__(self, struct: type[T], descriptor: Descriptor) -> None:
        self._plan = _plan(struct, descriptor)
        self._scratch = self._plan.message_class()

    def decode(self, data: bytes | bytearray | memoryview) -> T:
        """Decode protobuf bytes. Raises :class:`DecodeError` (and nothing else) on bad input."""
        message = self._plan.message_class()
        try:
            message.ParseFromString(bytes(data) if not isinstance(data, bytes) else data)
        except ProtobufDecodeError as exc:
            raise DecodeError("$", f"malformed protobuf: {exc}") from None
        except RecursionError:
            raise DecodeError("$", "nesting too deep") from None
        try:
            result: T = _to_struct(message, self._plan)
        except _MissingField as exc:
            raise DecodeError(f"$.{exc.path}", "missing required field") from None
        except RecursionError:  # pragma: no cover - upb's depth limit is lower than Python's
            raise DecodeError("$", "nesting too deep") from None
        return result

    def to_message(self, obj: T) -> Message:
        """A fresh protobuf message holding ``obj``."""
        message = self._plan.message_class()
        self._fill_checked(message, obj)
        return message

    def encode(self, obj: T) -> bytes:
        """Encode ``obj`` as protobuf bytes. Raises :class:`EncodeError` if it cannot be."""
        message = self._scratch
        message.Clear()
        self._fill_checked(message, obj)
        try:
            return message.SerializeToString()
        except ProtobufEncodeError as exc:  # pragma: no cover - proto2 without required fields
            raise EncodeError(str(exc)) from None

    def _fill_checked(self, message: Message, obj: T) -> None:
        try:
            _fill(message, obj, self._plan)
        except (TypeError, ValueError, OverflowError, UnicodeError) as exc:
            raise EncodeError(f"cannot encode {type(obj).__name__} as protobuf: {exc}") from None


class ProtoCodec:
    """The protobuf wire format for bid requests and responses. One instance per worker."""

    __slots__ = ("request", "response")

    def __init__(self) -> None:
        self.request = TypedProto(BidRequest, cast(Descriptor, pb.BidRequest.DESCRIPTOR))
        self.response = TypedProto(BidResponse, cast(Descriptor, pb.BidResponse.DESCRIPTOR))

    def decode_request(self, data: bytes | bytearray | memoryview) -> BidRequest:
        """Decode a BidRequest. Raises :class:`DecodeError` on bad input."""
        return self.request.decode(data)

    def decode_response(self, data: bytes | bytearray | memoryview) -> BidResponse:
        """Decode a BidResponse. Raises :class:`DecodeError` on bad input."""
        return self.response.decode(data)

    def encode_request(self, obj: BidRequest) -> bytes:
        """Encode a BidRequest. Raises :class:`EncodeError` if it cannot be."""
        return self.request.encode(obj)

    def encode_response(self, obj: BidResponse) -> bytes:
        """Encode a BidResponse. Raises :class:`EncodeError` if it cannot be."""
        return self.response.encode(obj)


def flag_fields() -> dict[type[msgspec.Struct], frozenset[str]]:
    """For each Struct type, the fields that are protobuf ``bool`` (JSON 0/1 flags)."""
    ProtoCodec()  # make sure every plan is built
    out: dict[type[msgspec.Struct], set[str]] = {}
    for plan in _PLANS.values():
        names = out.setdefault(plan.struct, set())
        names.update(name for name, _f, kind, _s, _d in plan.encode_fields if kind == _FLAG)
    return {k: frozenset(v) for k, v in out.items()}


__all__ = ["ProtoCodec", "TypedProto", "flag_fields"]

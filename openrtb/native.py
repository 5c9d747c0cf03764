"""Reading and writing the Native Ads payloads that travel as JSON strings inside OpenRTB.

``imp.native.request`` holds a Native request (1.2 form, or the 1.0 form wrapped in
``{"native": ...}``); ``bid.adm`` for a native bid holds ``{"native": <response>}``.
"""

from __future__ import annotations

from typing import Final

import msgspec

from .errors import DecodeError
from .model import Native, NativeRequest, NativeResponse
from .model._base import OpenRTBObject


class _RequestEnvelope(OpenRTBObject, kw_only=True):
    native: NativeRequest | None = None


class _ResponseEnvelope(OpenRTBObject, kw_only=True):
    native: NativeResponse | None = None


_REQUEST: Final = msgspec.json.Decoder(NativeRequest, strict=False)
_REQUEST_ENVELOPE: Final = msgspec.json.Decoder(_RequestEnvelope, strict=False)
_RESPONSE_ENVELOPE: Final = msgspec.json.Decoder(_ResponseEnvelope, strict=False)
_ENCODER: Final = msgspec.json.Encoder()


def parse_native_request(text: str | bytes) -> NativeRequest:
    """Parse a Native Ads request string, with or without the 1.0 ``{"native": ...}`` wrapper."""
    try:
        wrapped = _REQUEST_ENVELOPE.decode(text)
        if wrapped.native is not None:
            return wrapped.native
        return _REQUEST.decode(text)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise DecodeError("$.native.request", str(exc)) from None


def native_request(native: Native) -> NativeRequest | None:
    """The Native request of an impression, or None when it carries none."""
    if native.request is None:
        return None
    return parse_native_request(native.request)


def parse_native_response(adm: str | bytes) -> NativeResponse:
    """Parse native markup (``{"native": {...}}``) from a bid's ``adm``."""
    try:
        wrapped = _RESPONSE_ENVELOPE.decode(adm)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise DecodeError("$.adm", str(exc)) from None
    if wrapped.native is None:
        raise DecodeError("$.adm.native", "missing required field")
    return wrapped.native


def native_request_json(request: NativeRequest) -> str:
    """The JSON string for ``imp.native.request`` (Native 1.2 form, no wrapper)."""
    return _ENCODER.encode(request).decode()


def native_response_json(response: NativeResponse) -> str:
    """The JSON string for a native bid's ``adm``: ``{"native": {...}}``."""
    return _ENCODER.encode(_ResponseEnvelope(native=response)).decode()


__all__ = [
    "native_request",
    "native_request_json",
    "native_response_json",
    "parse_native_request",
    "parse_native_response",
]

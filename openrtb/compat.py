"""Read values that OpenRTB 2.6 moved out of ``ext`` from wherever the sender put them.

2.5 senders put the supply chain, GDPR flag, US privacy string, consent string and extended ids
in ``ext`` objects; 2.6 gave them fields of their own. :func:`moved` answers with the 2.6 field
when it is set, else with the 2.5 ``ext`` value (converted to the 2.6 type), else ``None``:

==============  ======================  ==========================
name            2.6 location            2.5 location
==============  ======================  ==========================
``schain``      ``source.schain``       ``source.ext.schain``
``gdpr``        ``regs.gdpr``           ``regs.ext.gdpr``
``us_privacy``  ``regs.us_privacy``     ``regs.ext.us_privacy``
``consent``     ``user.consent``        ``user.ext.consent``
``eids``        ``user.eids``           ``user.ext.eids``
==============  ======================  ==========================

An ``ext`` value of the wrong shape reads as ``None``: extension content is the sender's, and
a malformed one must not fail the request.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import msgspec

from .model import EID, BidRequest, Int32, SupplyChain

MovedField = Literal["schain", "gdpr", "us_privacy", "consent", "eids"]


def _from_ext(ext: dict[str, Any] | None, key: str, type_: Any) -> Any:
    if not ext:
        return None
    value = ext.get(key)
    if value is None:
        return None
    try:
        return msgspec.convert(value, type_, strict=False)
    except msgspec.ValidationError:
        return None


@overload
def moved(request: BidRequest, name: Literal["schain"]) -> SupplyChain | None: ...
@overload
def moved(request: BidRequest, name: Literal["gdpr"]) -> int | None: ...
@overload
def moved(request: BidRequest, name: Literal["us_privacy", "consent"]) -> str | None: ...
@overload
def moved(request: BidRequest, name: Literal["eids"]) -> list[EID] | None: ...
def moved(request: BidRequest, name: MovedField) -> Any:
    """The value of a field 2.6 moved out of ``ext``, preferring its 2.6 location."""
    if name == "schain":
        source = request.source
        if source is None:
            return None
        return source.schain or _from_ext(source.ext, "schain", SupplyChain)
    if name in ("gdpr", "us_privacy"):
        regs = request.regs
        if regs is None:
            return None
        value = getattr(regs, name)
        if value is not None:
            return value
        return _from_ext(regs.ext, name, Int32 if name == "gdpr" else str)
    if name in ("consent", "eids"):
        user = request.user
        if user is None:
            return None
        value = getattr(user, name)
        if value:
            return value
        return _from_ext(user.ext, name, str if name == "consent" else list[EID])
    raise ValueError(f"{name!r} is not a field OpenRTB 2.6 moved out of ext")


__all__ = ["MovedField", "moved"]

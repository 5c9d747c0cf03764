"""The Struct base every OpenRTB object derives from, and the scalar types they share."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

#: A JSON object kept as decoded. ``ext`` is the spec's extension point; nothing in it is typed.
Ext = dict[str, Any]

#: OpenRTB integers travel as int32 in protobuf; bounding them here keeps both wire forms equal
#: and turns an absurd value (``"w": 1e30``) into a decode error with a path instead of an
#: overflow deep in the protobuf encoder.
Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]


class OpenRTBObject(
    msgspec.Struct,
    kw_only=True,
    omit_defaults=True,
    repr_omit_defaults=True,
    gc=False,
):
    """Base of every OpenRTB 2.6 object.

    - ``kw_only``: objects are built by keyword, so required and optional fields mix freely.
    - ``omit_defaults``: encoding leaves out every field that holds its spec default, as the
      spec allows ("if omitted, the default applies").
    - ``gc=False``: these objects never form reference cycles, so the cyclic collector does not
      need to track them; a decoded request then adds nothing to the collector's young
      generation beyond its lists and ``ext`` dicts.
    - unknown fields are ignored, as OpenRTB requires of every receiver.

    ``__deprecated__`` names the fields the spec deprecates: they are still decoded for older
    senders, and the lenient JSON reader drops an unreadable value in one of them instead of
    rejecting the request (nothing in bidwire reads them).
    """

    __deprecated__: ClassVar[frozenset[str]] = frozenset()
    #: Spec fields the protobuf schema has no field for (they travel in JSON only).
    __json_only__: ClassVar[frozenset[str]] = frozenset()
    #: Spec fields the protobuf schema carries inside the object's ``Ext`` message.
    __proto_via_ext__: ClassVar[frozenset[str]] = frozenset()


def field_names(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    """The field names of a Struct type, in declaration order."""
    return cls.__struct_fields__


__all__ = ["Ext", "Int32", "OpenRTBObject", "Any", "field_names"]

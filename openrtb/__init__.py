"""bidwire's OpenRTB 2.6 layer: the object model, the JSON and protobuf codecs, validators.

Import what you need from the submodules; this package re-exports the most used names::

    from openrtb import BidRequest, JsonCodec, ProtoCodec, DecodeError
"""

from .compat import moved
from .errors import CodecError, DecodeError, EncodeError
from .json_codec import JsonCodec
from .model import Bid, BidRequest, BidResponse, Imp, SeatBid
from .proto_codec import ProtoCodec
from .validate import Problem, validate_request, validate_response

__all__ = [
    "Bid",
    "BidRequest",
    "BidResponse",
    "CodecError",
    "DecodeError",
    "EncodeError",
    "Imp",
    "JsonCodec",
    "Problem",
    "ProtoCodec",
    "SeatBid",
    "moved",
    "validate_request",
    "validate_response",
]

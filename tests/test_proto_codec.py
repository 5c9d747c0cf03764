"""The protobuf codec: IAB field numbers in, the same Structs out; unknown fields; native forms."""

from __future__ import annotations

import struct

import msgspec
import pytest

from openrtb import BidRequest, BidResponse, DecodeError, EncodeError, JsonCodec, ProtoCodec, moved
from openrtb import openrtb_pb2 as pb
from openrtb.model import Imp, Native, NativeRequest, Regs, User
from openrtb.native import native_request, parse_native_response

PROTO = ProtoCodec()
JSON = JsonCodec()


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def f_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def f_double(number: int, value: float) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<d", value)


def f_len(number: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(number << 3 | 2) + varint(len(data)) + data


# A BidRequest written field by field from the IAB 2.6 numbers, plus a Google extension
# (1009 on Imp) and an unknown top-level field: nothing of ours produced these bytes.
FORMAT = f_varint(1, 728) + f_varint(2, 90)
BANNER = f_varint(1, 300) + f_varint(2, 250) + f_len(15, FORMAT) + f_len(6, varint(1) + varint(3))
IMP = (
    f_len(1, "imp-1")
    + f_len(2, BANNER)
    + f_double(8, 0.75)
    + f_len(9, "EUR")
    + f_varint(12, 1)  # secure (bool)
    + f_len(1009, f_varint(1, 5))  # a Google extension message
)
REQUEST = (
    f_len(1, "req-1")
    + f_len(2, IMP)
    + f_len(3, f_len(3, "example.com") + f_len(11, f_len(1, "pub-9")))
    + f_len(5, f_len(2, "Mozilla/5.0") + f_len(4, f_len(3, "USA")) + f_varint(18, 4))
    + f_len(6, f_len(1, "user-1") + f_len(10, "CONSENT"))
    + f_varint(7, 1)
    + f_varint(8, 120)
    + f_len(14, f_varint(4, 1) + f_len(5, "1YNN"))
    + f_len(777, b"mystery")
)


def test_iab_field_numbers_decode_to_expected_values() -> None:
    req = PROTO.decode_request(REQUEST)
    assert req.id == "req-1" and req.at == 1 and req.tmax == 120
    imp = req.imp[0]
    assert imp.id == "imp-1" and imp.bidfloor == 0.75 and imp.bidfloorcur == "EUR"
    assert imp.secure == 1
    assert imp.banner is not None
    assert (imp.banner.w, imp.banner.h, imp.banner.battr) == (300, 250, [1, 3])
    assert imp.banner.format is not None and (imp.banner.format[0].w, imp.banner.format[0].h) == (
        728,
        90,
    )
    assert req.site is not None and req.site.domain == "example.com"
    assert req.site.publisher is not None and req.site.publisher.id == "pub-9"
    assert req.device is not None and req.device.ua == "Mozilla/5.0" and req.device.devicetype == 4
    assert req.device.geo is not None and req.device.geo.country == "USA"
    assert req.user == User(id="user-1", consent="CONSENT")
    assert req.regs == Regs(gdpr=1, us_privacy="1YNN")


def test_unknown_fields_do_not_break_decoding() -> None:
    # Unknown fields are skipped, whatever their wire type, at every level.
    noisy = REQUEST + f_varint(5000, 7) + f_double(6001, 1.0) + f_len(9999, b"\x00\x01")
    assert PROTO.decode_request(noisy) == PROTO.decode_request(REQUEST)


def test_json_and_protobuf_give_the_same_structs() -> None:
    req = PROTO.decode_request(REQUEST)
    assert JSON.decode_request(JSON.encode(req)) == req
    assert PROTO.decode_request(PROTO.encode_request(req)) == req


def test_native_request_message_form_becomes_the_json_string() -> None:
    message = pb.BidRequest(id="1")
    imp = message.imp.add(id="i")
    imp.native.request_native.ver = "1.2"
    asset = imp.native.request_native.assets.add(id=1, required=True)
    asset.title.len = 90
    req = PROTO.decode_request(message.SerializeToString())
    native = req.imp[0].native
    assert native is not None and native.request is not None
    parsed = native_request(native)
    assert parsed is not None and parsed.ver == "1.2"
    assert parsed.assets is not None and parsed.assets[0].required == 1
    assert parsed.assets[0].title is not None and parsed.assets[0].title.len == 90
    # and the string form goes out as the string field
    out = pb.BidRequest.FromString(PROTO.encode_request(req))
    assert out.imp[0].native.WhichOneof("request_oneof") == "request"


def test_native_request_string_forms() -> None:
    bare = Native(request='{"ver":"1.2","plcmtcnt":2}')
    wrapped = Native(request='{"native":{"ver":"1.0","plcmtcnt":3}}')
    assert native_request(bare) == NativeRequest(ver="1.2", plcmtcnt=2)
    assert native_request(wrapped) == NativeRequest(ver="1.0", plcmtcnt=3)
    assert native_request(Native()) is None


def test_adm_native_message_form_becomes_the_json_string() -> None:
    message = pb.BidResponse(id="r")
    bid = message.seatbid.add().bid.add(id="b", impid="i", price=1.0)
    bid.adm_native.link.url = "https://example.com/click"
    bid.adm_native.imptrackers.append("https://example.com/imp")
    resp = PROTO.decode_response(message.SerializeToString())
    assert resp.seatbid is not None
    adm = resp.seatbid[0].bid[0].adm
    assert adm is not None and adm.startswith('{"native":')
    native = parse_native_response(adm)
    assert native.link is not None and native.link.url == "https://example.com/click"
    assert native.imptrackers == ["https://example.com/imp"]


def test_25_ext_locations_survive_the_protobuf_leg() -> None:
    body = (
        b'{"id":"1","imp":[{"id":"1","banner":{},"ext":{"gpid":"/slot","other":1}}],'
        b'"regs":{"ext":{"gdpr":1,"us_privacy":"1YNN"}},'
        b'"user":{"ext":{"consent":"CPX","eids":[{"source":"id5","uids":[{"id":"u","atype":1}]}]}},'
        b'"source":{"ext":{"schain":{"complete":1,"ver":"1.0","nodes":[{"asi":"x.com","sid":"1","hp":1}]}}}}'
    )
    req = PROTO.decode_request(PROTO.encode_request(JSON.decode_request(body)))
    assert moved(req, "gdpr") == 1
    assert moved(req, "us_privacy") == "1YNN"
    assert moved(req, "consent") == "CPX"
    eids = moved(req, "eids")
    assert eids is not None and eids[0].source == "id5"
    schain = moved(req, "schain")
    assert schain is not None and schain.nodes is not None and schain.nodes[0].asi == "x.com"
    # IAB-defined ext keys travel; other ext keys are the documented loss of the protobuf leg.
    assert req.imp[0].ext == {"gpid": "/slot"}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (f_len(2, f_len(1, "i")), "$.id"),  # no id
        (f_len(1, "r") + f_len(2, f_varint(12, 1)), "$.imp[0].id"),  # imp without id
        (
            f_len(1, "r") + f_len(2, f_len(1, "i") + f_len(11, f_len(2, f_double(2, 1.0)))),
            "$.imp[0].pmp.deals[0].id",
        ),
    ],
)
def test_missing_required_fields_are_decode_errors_with_paths(data: bytes, path: str) -> None:
    with pytest.raises(DecodeError) as info:
        PROTO.decode_request(data)
    assert info.value.path == path
    assert info.value.reason == "missing required field"


@pytest.mark.parametrize(
    "data",
    [
        b"\x0a\x05ab",  # truncated length-delimited field
        b"\x08",  # truncated varint
        b"\x0a\x02\xff\xfe",  # invalid UTF-8 in a string field
        b"\x0b",  # start-group wire type with no end
        b"\x0f",  # wire type 7 does not exist
    ],
)
def test_malformed_bytes_are_decode_errors(data: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        PROTO.decode_request(data)
    assert info.value.path == "$"


def test_empty_message_decodes_imp_as_empty_list_but_needs_id() -> None:
    assert PROTO.decode_request(f_len(1, "x")) == BidRequest(id="x", imp=[])


def test_values_that_do_not_fit_are_encode_errors() -> None:
    too_big = BidRequest(id="1", imp=[Imp(id="1")], tmax=2**40)
    with pytest.raises(EncodeError):
        PROTO.encode_request(too_big)


def test_encoding_reuses_its_scratch_message() -> None:
    first = PROTO.encode_response(BidResponse(id="a", bidid="x"))
    second = PROTO.encode_response(BidResponse(id="b"))
    assert pb.BidResponse.FromString(second).HasField("bidid") is False
    assert pb.BidResponse.FromString(first).bidid == "x"
    assert msgspec.json.decode(JSON.encode(PROTO.decode_response(second))) == {"id": "b"}


def test_spec_fields_newer_than_the_iab_proto() -> None:
    """Data.cids travels in Data.Ext.cids (where the IAB proto has it); Content.realtime and
    firstbroadcast have no protobuf field yet and travel in JSON only."""
    body = (
        b'{"id":"1","imp":[{"id":"1","video":{}}],"site":{"content":{"realtime":1,'
        b'"firstbroadcast":1,"data":[{"name":"src","cids":["c1","c2"],"ext":{"k":1}}]}}}'
    )
    req = JSON.decode_request(body)
    assert req.site is not None and req.site.content is not None
    assert req.site.content.realtime == 1
    wire = PROTO.encode_request(req)
    message = pb.BidRequest.FromString(wire)
    assert list(message.site.content.data[0].ext.cids) == ["c1", "c2"]
    back = PROTO.decode_request(wire)
    assert back.site is not None and back.site.content is not None
    data = back.site.content.data
    assert data is not None and data[0].cids == ["c1", "c2"] and data[0].ext is None
    assert back.site.content.realtime is None  # the documented JSON-only loss

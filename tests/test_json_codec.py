"""The JSON codec: decoding into Structs, error paths, the leniency policy, encoding."""

from __future__ import annotations

import msgspec
import pytest

from openrtb import BidRequest, BidResponse, DecodeError, JsonCodec
from openrtb.json_codec import MAX_REPAIRS
from openrtb.model import Banner, Bid, Imp, SeatBid

LENIENT = JsonCodec()
STRICT = JsonCodec(strict=True)


def decode_error(codec: JsonCodec, data: bytes) -> str:
    with pytest.raises(DecodeError) as info:
        codec.decode_request(data)
    return str(info.value)


def test_decodes_typed_structs_with_spec_defaults() -> None:
    req = LENIENT.decode_request(b'{"id":"r1","imp":[{"id":"1","banner":{"w":300,"h":250}}]}')
    assert req == BidRequest(id="r1", imp=[Imp(id="1", banner=Banner(w=300, h=250))])
    imp = req.imp[0]
    assert (req.at, req.test, req.cattax) == (2, 0, 1)
    assert (imp.bidfloor, imp.bidfloorcur, imp.instl) == (0.0, "USD", 0)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"id":"1","imp":[{"id":"a","banner":{"w":"wide"}}]}',
            "$.imp[0].banner.w: expected int, got str",
        ),
        (
            b'{"id":"1","imp":[{"id":"a"},{"id":"b","video":{"mimes":[true]}}]}',
            "$.imp[1].video.mimes[0]: expected str, got bool",
        ),
        (b'{"id":"1"}', "$.imp: missing required field"),
        (b'{"id":"1","imp":[{}]}', "$.imp[0].id: missing required field"),
        (b"[]", "$: expected object, got array"),
        (b'{"id":"1","imp":[', "$: truncated JSON"),
        (b'{"id":"1",,}', "$: malformed JSON at byte 10"),
        (b'{"id":"1","imp":[],"tmax":4294967296}', "$.tmax: expected int <= 2147483647"),
        (b'{"id":"\xff","imp":[]}', "$: invalid UTF-8 at byte 7"),
        (b"  ", "$: empty body"),
    ],
)
def test_errors_name_the_json_path(body: bytes, expected: str) -> None:
    assert decode_error(LENIENT, body) == expected
    assert decode_error(STRICT, body).split(":")[0] == expected.split(":")[0]


def test_error_carries_path_and_reason() -> None:
    with pytest.raises(DecodeError) as info:
        STRICT.decode_request(b'{"id":"1","imp":[{"id":"a","banner":{"w":"1"}}]}')
    assert info.value.path == "$.imp[0].banner.w"
    assert info.value.reason == "expected int, got str"


SLOPPY = (
    b'{"id": 42, "test": true, "imp": [{"id": 7, "secure": "true", "instl": false,'
    b' "bidfloor": "0.25", "banner": {"w": "300", "h": 250.0, "mimes": "image/png", "battr": null,'
    b' "topframe": "1"}, "native": {"request": {"ver": "1.2", "assets": []}, "ver": 1.2}}],'
    b' "tmax": "120", "cur": "USD", "at": null}'
)


def test_lenient_policy_normalises_what_exchanges_send() -> None:
    req = LENIENT.decode_request(SLOPPY)
    assert req.id == "42"  # numeric id -> string
    assert req.test == 1  # boolean -> flag
    assert req.tmax == 120  # number as string
    assert req.cur == ["USD"]  # single value -> array
    assert req.at == 2  # null -> spec default
    imp = req.imp[0]
    assert imp.id == "7"
    assert (imp.secure, imp.instl, imp.bidfloor) == (1, 0, 0.25)
    assert imp.banner == Banner(w=300, h=250, mimes=["image/png"], topframe=1)
    assert imp.native is not None
    assert imp.native.ver == "1.2"
    # an object where the spec wants a JSON string is re-encoded as one
    assert msgspec.json.decode(imp.native.request or "") == {"ver": "1.2", "assets": []}


def test_strict_mode_rejects_what_lenient_accepts() -> None:
    assert decode_error(STRICT, SLOPPY) == "$.id: expected str, got int"
    assert STRICT.strict and not LENIENT.strict


def test_lenient_drops_unreadable_deprecated_fields_only() -> None:
    body = b'{"id":"1","seatbid":[{"bid":[{"id":"b","impid":"1","price":1,"api":"testapi"}]}]}'
    resp = LENIENT.decode_response(body)
    assert resp.seatbid is not None and resp.seatbid[0].bid[0].api is None
    with pytest.raises(
        DecodeError, match=r"\$\.seatbid\[0\]\.bid\[0\]\.api: expected int, got str"
    ):
        STRICT.decode_response(body)
    with pytest.raises(DecodeError, match=r"\$\.seatbid\[0\]\.bid\[0\]\.w: expected int, got str"):
        LENIENT.decode_response(body.replace(b'"api"', b'"w"'))


def test_repairs_are_bounded() -> None:
    fields = ",".join(f'"f{i}":1' for i in range(3))
    imps = ",".join(f'{{"id":{i},{fields}}}' for i in range(MAX_REPAIRS + 5))
    body = f'{{"id":"1","imp":[{imps}]}}'.encode()
    assert "expected str, got int" in decode_error(LENIENT, body)
    few = ",".join(f'{{"id":{i}}}' for i in range(MAX_REPAIRS - 1))
    assert (
        len(LENIENT.decode_request(f'{{"id":"1","imp":[{few}]}}'.encode()).imp) == MAX_REPAIRS - 1
    )


def test_unknown_fields_and_enum_values_are_accepted() -> None:
    req = STRICT.decode_request(
        b'{"id":"1","imp":[{"id":"1","video":{"protocols":[99,1000],"plcmt":77},"future":{"x":1}}],'
        b'"newtoplevel":[1,2,3]}'
    )
    assert req.imp[0].video is not None and req.imp[0].video.protocols == [99, 1000]


def test_ext_is_kept_as_a_json_object() -> None:
    req = LENIENT.decode_request(
        b'{"id":"1","imp":[{"id":"1","ext":{"gpid":"/a/b","n":[1,{"x":null}]}}]}'
    )
    assert req.imp[0].ext == {"gpid": "/a/b", "n": [1, {"x": None}]}
    assert b'"ext":{"gpid":"/a/b","n":[1,{"x":null}]}' in LENIENT.encode(req)


def test_encoding_omits_unset_and_default_fields() -> None:
    resp = BidResponse(id="r", seatbid=[SeatBid(bid=[Bid(id="b", impid="1", price=1.5)])])
    assert (
        LENIENT.encode(resp)
        == b'{"id":"r","seatbid":[{"bid":[{"id":"b","impid":"1","price":1.5}]}]}'
    )


def test_encode_into_reuses_a_buffer() -> None:
    buf = bytearray(b"garbage that is longer than the output" * 4)
    resp = BidResponse(id="r")
    LENIENT.encode_into(resp, buf)
    assert bytes(buf) == b'{"id":"r"}'

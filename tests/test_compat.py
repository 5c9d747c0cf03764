"""The accessor for values 2.6 moved out of ext prefers the 2.6 location."""

from __future__ import annotations

import pytest

from openrtb import JsonCodec, moved
from openrtb.model import EID, UID, SupplyChain, SupplyChainNode

JSON = JsonCodec()
BASE = b'{"id":"1","imp":[{"id":"1","banner":{}}]'


def req(extra: bytes) -> object:
    return JSON.decode_request(BASE + extra + b"}")


def test_reads_25_ext_locations() -> None:
    r = JSON.decode_request(
        BASE + b',"regs":{"ext":{"gdpr":1,"us_privacy":"1YNN"}},'
        b'"user":{"ext":{"consent":"C25","eids":[{"source":"s","uids":[{"id":"u"}]}]}},'
        b'"source":{"ext":{"schain":{"complete":1,"nodes":[{"asi":"a","sid":"1","hp":1}],"ver":"1.0"}}}}'
    )
    assert moved(r, "gdpr") == 1
    assert moved(r, "us_privacy") == "1YNN"
    assert moved(r, "consent") == "C25"
    assert moved(r, "eids") == [EID(source="s", uids=[UID(id="u")])]
    assert moved(r, "schain") == SupplyChain(
        complete=1, ver="1.0", nodes=[SupplyChainNode(asi="a", sid="1", hp=1)]
    )


def test_prefers_26_locations() -> None:
    r = JSON.decode_request(
        BASE + b',"regs":{"gdpr":0,"us_privacy":"1NNN","ext":{"gdpr":1,"us_privacy":"1YNN"}},'
        b'"user":{"consent":"C26","eids":[{"source":"new"}],"ext":{"consent":"C25","eids":[{"source":"old"}]}},'
        b'"source":{"schain":{"ver":"2"},"ext":{"schain":{"ver":"1"}}}}'
    )
    assert moved(r, "gdpr") == 0
    assert moved(r, "us_privacy") == "1NNN"
    assert moved(r, "consent") == "C26"
    assert moved(r, "eids") == [EID(source="new")]
    assert moved(r, "schain") == SupplyChain(ver="2")


def test_absent_or_malformed_is_none() -> None:
    bare = JSON.decode_request(BASE + b"}")
    for name in ("schain", "gdpr", "us_privacy", "consent", "eids"):
        assert moved(bare, name) is None  # type: ignore[call-overload]
    odd = JSON.decode_request(
        BASE + b',"regs":{"ext":{"gdpr":"maybe"}},"user":{"ext":{"eids":"nope"}},'
        b'"source":{"ext":{"schain":[1]}}}'
    )
    assert moved(odd, "gdpr") is None
    assert moved(odd, "eids") is None
    assert moved(odd, "schain") is None
    assert moved(JSON.decode_request(BASE + b',"regs":{"ext":{"gdpr":"1"}}}'), "gdpr") == 1


def test_unknown_name_is_an_error() -> None:
    with pytest.raises(ValueError):
        moved(JSON.decode_request(BASE + b"}"), "coppa")  # type: ignore[call-overload]

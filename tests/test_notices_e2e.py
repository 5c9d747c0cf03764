"""Notices over HTTP/2 against `bidwire serve`, driven by curl and h2load.

The server runs with a configured notice key, so the test can also sign notices for bids of
its own making (the 10,000 billing notices) exactly as the bidder would have.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bidder.notices import NoticeKey, Signer, notice_urls
from bidder.state import nanos
from bidwire.benchmarks.h2load import parse_summary

from . import macros
from .macros import fill
from .servers import ServerProcess, run, tool
from .test_server_e2e import curl

KEY = NoticeKey(id="k1", secret="e2e secret")
CAMPAIGNS = """
currency = "USD"

[[campaigns]]
id = "c-cap"
seat = "s1"
adomain = ["cap.example"]
price = 2.0
frequency_cap = { count = 3, window = 3600 }
[[campaigns.creatives]]
id = "cr-cap"
type = "banner"
w = 300
h = 250
markup = "<img src='https://cap.example/i.png'>"

[[campaigns]]
id = "c-spend"
seat = "s1"
adomain = ["spend.example"]
price = 5.0
total_budget = 1000000.0
pacing = "asap"
[[campaigns.creatives]]
id = "cr-spend"
type = "banner"
w = 728
h = 90
markup = "<img src='https://spend.example/i.png'>"
"""


def bid_body(rid: str, size: tuple[int, int], user: str) -> bytes:
    return json.dumps({
        "id": rid, "imp": [{"id": "1", "banner": {"w": size[0], "h": size[1]}}],
        "site": {"domain": "news.example"}, "user": {"id": user}, "tmax": 500,
    }).encode()  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("notices")
    (folder / "campaigns.toml").write_text(CAMPAIGNS)
    config = folder / "bidwire.toml"
    config.write_text(
        f'campaigns = "{folder / "campaigns.toml"}"\n\n'
        "[[pipeline.notices.keys]]\n"
        f'id = "{KEY.id}"\nsecret = "{KEY.secret}"\n'
    )
    with ServerProcess(config=config) as proc:
        yield proc
        proc.terminate()


def metric_total(server: ServerProcess, name: str) -> int:
    """The sum of every series of ``name``."""
    body, _ = curl("--http2-prior-knowledge", server.url("/metrics"))
    return sum(
        int(m[1]) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\d+)$", body.decode(), re.M)
    )


def metric(server: ServerProcess, name: str, value: str) -> int:
    """The series of ``name`` whose one label (whatever its name) is ``value``."""
    body, _ = curl("--http2-prior-knowledge", server.url("/metrics"))
    label = f'{{[a-z_]+="{re.escape(value)}"}}' if value else ""
    found = re.search(rf"^{name}{label} (\d+)$", body.decode(), re.M)
    return int(found[1]) if found else 0


def local(server: ServerProcess, url: str) -> str:
    """The notice URL sent to the test server (the bid's host is the configured public URL)."""
    parts = urlsplit(url)
    return server.url(f"{parts.path}?{parts.query}")


def get(server: ServerProcess, url: str) -> tuple[str, bytes]:
    body, facts = curl("--http2-prior-knowledge", "-g", local(server, url))
    assert facts["version"] == "2"
    return facts["status"], body


def make_bid(server: ServerProcess, rid: str) -> tuple[dict[str, object], dict[str, object]]:
    body, facts = curl("--http2-prior-knowledge", "-H", "content-type: application/json",
                       server.url(), data=bid_body(rid, (728, 90), f"user-{rid}"))  # fmt: skip
    assert facts["status"] == "200", body
    response = json.loads(body)
    return response, response["seatbid"][0]["bid"][0]


def exchange_fill(url: str, response: dict[str, object], bid: dict[str, object],
                  price: str, loss: str = "102") -> str:  # fmt: skip
    """Every macro filled as an exchange fills it."""
    return macros.exchange_fill(
        url, auction=str(response["id"]), bidid=str(response["bidid"]), imp=str(bid["impid"]),
        seat="s1", ad=str(bid["adid"]), price=price, cur=str(response["cur"]), min_to_win="1.1",
        multiplier="1", loss=loss)  # fmt: skip


def test_a_bids_notice_urls_round_trip(server: ServerProcess) -> None:
    spent = metric(server, "bidwire_spend_nanos_total", "c-spend")
    response, bid = make_bid(server, "round-trip")
    for name in ("nurl", "burl", "lurl"):
        assert "${AUCTION_PRICE}" in str(bid[name]) and "&sig=" in str(bid[name])
    assert get(server, exchange_fill(str(bid["nurl"]), response, bid, "4.2"))[0] == "204"
    assert get(server, exchange_fill(str(bid["burl"]), response, bid, "4.2"))[0] == "204"
    assert get(server, exchange_fill(str(bid["lurl"]), response, bid, "4.2"))[0] == "204"
    assert metric(server, "bidwire_spend_nanos_total", "c-spend") - spent == nanos(4.2)
    assert metric(server, "bidwire_losses_total", "102") >= 1


def test_bad_notices_get_the_right_status(server: ServerProcess) -> None:
    response, bid = make_bid(server, "bad")
    burl = exchange_fill(str(bid["burl"]), response, bid, "4.0")
    sig = re.search(r"&sig=([^&]+)", burl)
    assert sig is not None
    forged = burl.replace(sig[0], "&sig=" + "B" * 22)
    assert get(server, forged)[0] == "403"
    altered = re.sub(r"&p=[^&]+", "&p=50.0", burl)  # claims a higher bid price
    assert get(server, altered)[0] == "403"
    unknown = exchange_fill(str(bid["burl"]), response, bid, "4.0").replace("&b=0:", "&b=9:")
    assert get(server, unknown)[0] == "403"  # a bid id this bidder never signed
    above = exchange_fill(str(bid["burl"]), response, bid, "5.5")
    status, body = get(server, above)
    assert status == "400" and b"above the bid price" in body
    before = metric(server, "bidwire_spend_nanos_total", "c-spend")
    assert get(server, burl)[0] == "204"
    assert get(server, burl)[0] == "204"  # replayed: same answer
    assert metric(server, "bidwire_spend_nanos_total", "c-spend") - before == nanos(4.0)
    assert metric(server, "bidwire_notices_total", "bill_duplicate") >= 1
    assert metric(server, "bidwire_notices_total", "bill_forged") >= 3


def test_spend_is_exact_after_10000_concurrent_notices(
    server: ServerProcess, tmp_path: Path
) -> None:
    signer = Signer([KEY])
    rng = random.Random(5)
    issued = str(int(time.time() * 1000))
    urls, expected = [], 0
    for n in range(10_000):
        price = round(rng.uniform(0.01, 5.0), 6)
        values = {"a": f"auction-{n}", "i": "1", "b": "0:c-spend", "s": "s1", "c": "c-spend",
                  "cr": "cr-spend", "p": "5.0", "cur": "USD", "t": issued, "u": ""}  # fmt: skip
        burl = notice_urls("http://x", signer, values).burl
        urls.append(local(server, fill(burl, AUCTION_PRICE=repr(price))))
        expected += nanos(price)
    uris = tmp_path / "uris.txt"
    uris.write_text("\n".join(urls) + "\n")
    before = metric(server, "bidwire_spend_nanos_total", "c-spend")
    # One connection, 100 streams at a time: each URI exactly once.
    result = run(tool("h2load"), "-i", str(uris), "-n", "10000", "-c", "1", "-m", "100",
                 timeout=120)  # fmt: skip
    summary = parse_summary(result.stdout.decode())
    assert (summary.succeeded, summary.failed, summary.status_2xx) == (10000, 0, 10000), summary
    assert metric(server, "bidwire_spend_nanos_total", "c-spend") - before == expected
    # Four connections replaying the first 2,500 each, concurrently: nothing more is spent.
    result = run(tool("h2load"), "-i", str(uris), "-n", "10000", "-c", "4", "-m", "50",
                 timeout=120)  # fmt: skip
    summary = parse_summary(result.stdout.decode())
    assert (summary.succeeded, summary.failed) == (10000, 0), summary
    assert metric(server, "bidwire_spend_nanos_total", "c-spend") - before == expected


def test_frequency_cap_holds_under_concurrent_requests(
    server: ServerProcess, tmp_path: Path
) -> None:
    body = tmp_path / "capped.json"
    body.write_bytes(bid_body("cap", (300, 250), "the-capped-user"))
    bids = metric(server, "bidwire_bids_total", "")
    capped = metric(server, "bidwire_throttled_total", "frequency_cap")
    shed = metric_total(server, "bidwire_shed_total")
    result = run(tool("h2load"), "-n", "200", "-c", "4", "-m", "25", "-d", str(body),
                 "-H", "content-type: application/json", server.url())  # fmt: skip
    summary = parse_summary(result.stdout.decode())
    assert (summary.succeeded, summary.failed) == (200, 0), summary
    assert metric(server, "bidwire_bids_total", "") - bids == 3
    # The rest were held back by the cap, or shed unread when this machine was too slow to
    # answer them in time (a no-bid too; never a bid past the cap).
    held = metric(server, "bidwire_throttled_total", "frequency_cap") - capped
    assert held + metric_total(server, "bidwire_shed_total") - shed == 197

"""Write the sample corpus that ``bidwire bench decode`` uses by default.

    .venv/bin/python bench/make_sample.py

The requests are of our own making (hosts under ``.example``, made-up ids), built from a seeded
generator so that a rerun writes the same files. They span the sizes real exchanges send, from a
280-byte single banner to a 22 KB request with twenty impressions and long user data, and the
media types (banner, video, audio, native, DOOH, deals). The responses are what our own pipeline
answers to those requests with the demo campaigns (the requests it bids on); their notice URLs
carry a time stamp and a signature, so a rerun rewrites them.

Output: ``bidwire/benchmarks/sample/requests/*.json`` and ``.../responses/*.json`` (package data).
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

from bidder.service import Bidder, BidderConfig
from transport.events import Request

OUT = Path(__file__).resolve().parents[1] / "bidwire" / "benchmarks" / "sample"
UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
SIZES = [(300, 250), (728, 90), (320, 50), (300, 600), (160, 600), (970, 250), (336, 280)]
CATS = [f"IAB{i}" for i in range(1, 27)] + [
    f"IAB{i}-{j}" for i in (1, 3, 9, 17, 19) for j in (1, 2)
]
rng = random.Random(20261123)


def hexid(n: int = 16) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def banner(sizes: list[tuple[int, int]], *, rich: bool) -> dict[str, Any]:
    b: dict[str, Any] = {"w": sizes[0][0], "h": sizes[0][1]}
    if len(sizes) > 1:
        b["format"] = [{"w": w, "h": h} for w, h in sizes]
    if rich:
        b |= {"pos": 1, "battr": [1, 3, 8, 9, 10, 14], "api": [3, 5, 7], "topframe": 1}
        b["mimes"] = ["image/jpeg", "image/png", "image/gif", "text/html"]
    return b


def video(*, ctv: bool) -> dict[str, Any]:
    v: dict[str, Any] = {
        "mimes": ["video/mp4", "video/webm", "application/javascript"],
        "minduration": 5,
        "maxduration": 30,
        "protocols": [2, 3, 5, 6, 7, 8],
        "w": 1920 if ctv else 640,
        "h": 1080 if ctv else 360,
        "startdelay": 0,
        "plcmt": 1,
        "linearity": 1,
        "skip": 0 if ctv else 1,
        "playbackmethod": [1] if ctv else [2],
        "api": [2, 7],
        "battr": [13, 14],
        "pos": 7 if ctv else 1,
    }
    if ctv:
        v |= {"podid": "pod-1", "poddur": 120, "maxseq": 4, "rqddurs": [15, 30]}
        del v["minduration"], v["maxduration"]
    return v


def audio() -> dict[str, Any]:
    return {
        "mimes": ["audio/mpeg", "audio/mp4"],
        "minduration": 15,
        "maxduration": 30,
        "protocols": [2, 3, 9, 10],
        "startdelay": 0,
        "feed": 3,
        "stitched": 1,
        "nvol": 1,
    }


def native() -> dict[str, Any]:
    request = {
        "ver": "1.2",
        "context": 2,
        "plcmttype": 1,
        "plcmtcnt": 1,
        "assets": [
            {"id": 1, "required": 1, "title": {"len": 90}},
            {"id": 2, "required": 1, "img": {"type": 3, "wmin": 300, "hmin": 250}},
            {"id": 3, "required": 0, "img": {"type": 1, "w": 80, "h": 80}},
            {"id": 4, "required": 1, "data": {"type": 2, "len": 140}},
            {"id": 5, "required": 0, "data": {"type": 12, "len": 15}},
        ],
        "eventtrackers": [{"event": 1, "methods": [1, 2]}],
        "privacy": 1,
    }
    return {"request": json.dumps(request, separators=(",", ":")), "ver": "1.2", "battr": [3]}


def deals(n: int) -> dict[str, Any]:
    pool = ["deal-1", "deal-2", "deal1", "xch-wm-300x600-rgt"] + [f"d-{hexid(6)}" for _ in range(n)]
    return {
        "private_auction": 0,
        "deals": [
            {
                "id": pool[i],
                "bidfloor": round(rng.uniform(1.5, 6.0), 2),
                "bidfloorcur": "USD",
                "at": 1,
                "wseat": ["Agency1", f"seat-{i}"],
            }
            for i in range(n)
        ],
    }


def imp(i: int, media: str, *, rich: bool, deal_count: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(i + 1)}
    if media == "banner":
        k = rng.randint(1, 4) if rich else 1
        out["banner"] = banner(rng.sample(SIZES, k) if i else [(300, 250), *SIZES[1:k]], rich=rich)
    elif media == "video":
        out["video"] = video(ctv=rich)
    elif media == "audio":
        out["audio"] = audio()
    elif media == "native":
        out["native"] = native()
    out |= {"bidfloor": round(rng.uniform(0.05, 1.0), 2), "bidfloorcur": "USD"}
    if rich:
        out |= {"tagid": f"slot-{hexid(8)}", "secure": 1, "instl": 0}
        out["ext"] = {"gpid": f"/1234/news/{media}-{i}", "data": {"pbadslot": f"{media}-{i}"}}
    if deal_count:
        out["pmp"] = deals(deal_count)
    return out


def site(*, rich: bool) -> dict[str, Any]:
    s: dict[str, Any] = {
        "id": f"site-{rng.randint(1, 999)}",
        "domain": "news.example",
        "page": f"https://news.example/world/{hexid(10)}.html",
        "publisher": {"id": f"pub-{rng.randint(1, 99)}"},
    }
    if rich:
        s |= {
            "name": "Example News",
            "cat": rng.sample(CATS, 3),
            "sectioncat": rng.sample(CATS, 2),
            "pagecat": rng.sample(CATS, 2),
            "ref": "https://search.example/?q=world+news",
            "keywords": "world,politics,economy,markets",
            "mobile": 1,
            "privacypolicy": 1,
        }
        s["publisher"] |= {"name": "Example Media Group", "domain": "example.com", "cat": ["IAB12"]}
        s["content"] = {
            "id": hexid(8),
            "title": "Markets rally as rates hold",
            "cat": ["IAB12", "IAB13"],
            "language": "en",
            "livestream": 0,
        }
    return s


def app(*, ctv: bool) -> dict[str, Any]:
    a: dict[str, Any] = {
        "id": f"app-{rng.randint(1, 999)}",
        "name": "Puzzle Quest" if not ctv else "Example TV",
        "bundle": "com.example.puzzlequest" if not ctv else "tv.example.channel",
        "domain": "puzzlequest.example" if not ctv else "tv.example",
        "storeurl": "https://play.example/store/apps/details?id=com.example.puzzlequest",
        "cat": ["IAB9", "IAB9-30"],
        "ver": "4.2.1",
        "privacypolicy": 1,
        "paid": 0,
        "publisher": {"id": f"pub-{rng.randint(1, 99)}", "name": "Example Games"},
    }
    if ctv:
        a["content"] = {
            "id": hexid(10),
            "episode": 4,
            "title": "Cooking at home",
            "series": "Home Kitchen",
            "season": "2",
            "genre": "Food",
            "cat": ["IAB8"],
            "prodq": 1,
            "livestream": 0,
            "len": 1800,
            "language": "en",
            "network": {"id": "net-1", "name": "Example Networks"},
            "channel": {"id": "ch-7", "name": "Example Food"},
            "data": [
                {
                    "id": "ctx",
                    "name": "context.example",
                    "segment": [{"id": f"g{j}"} for j in range(8)],
                }
            ],
        }
    return a


def device(*, rich: bool, ctv: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {
        "ua": UA,
        "ip": f"192.0.2.{rng.randint(1, 254)}",
        "devicetype": 3 if ctv else 4,
        "os": "Android",
        "connectiontype": 2,
        "geo": {"country": "USA", "region": "CA", "metro": "807"},
    }
    if rich:
        d |= {"make": "Google", "model": "Pixel 8", "osv": "14", "language": "en", "js": 1}
        d |= {"ifa": f"{hexid(8)}-{hexid(4)}-{hexid(4)}-{hexid(4)}-{hexid(12)}", "lmt": 0}
        d["geo"] |= {
            "lat": 37.77,
            "lon": -122.41,
            "type": 2,
            "city": "San Francisco",
            "zip": "94105",
        }
        d["sua"] = {
            "browsers": [
                {"brand": "Chromium", "version": ["126", "0", "6478"]},
                {"brand": "Google Chrome", "version": ["126", "0", "6478"]},
            ],
            "platform": {"brand": "Android", "version": ["14"]},
            "mobile": 1,
            "source": 2,
        }
    return d


def user(segments: int, eids: int) -> dict[str, Any]:
    u: dict[str, Any] = {"id": f"u-{hexid(12)}", "buyeruid": f"b-{hexid(10)}"}
    if segments:
        u["data"] = [
            {"id": f"dmp{k}", "name": f"dmp{k}.example", "segment": [{"id": f"seg-{hexid(5)}"}]}
            for k in range(max(1, segments // 20))
        ]
        for data in u["data"]:
            data["segment"] = [{"id": f"seg-{hexid(5)}"} for _ in range(min(20, segments))]
    if eids:
        u["eids"] = [
            {"source": f"id{k}.example", "uids": [{"id": hexid(24), "atype": 1}]}
            for k in range(eids)
        ]
        u["consent"] = "CP" + hexid(60)
    return u


def source(nodes: int) -> dict[str, Any]:
    return {
        "tid": f"{hexid(8)}-{hexid(4)}-{hexid(4)}-{hexid(4)}-{hexid(12)}",
        "schain": {
            "complete": 1,
            "ver": "1.0",
            "nodes": [
                {"asi": f"ssp{k}.example", "sid": hexid(6), "hp": 1, "rid": hexid(10)}
                for k in range(nodes)
            ],
        },
    }


def request(
    name: str,
    media: list[str],
    *,
    rich: bool,
    channel: str = "site",
    deal_count: int = 0,
    segments: int = 0,
    eids: int = 0,
    blocks: int = 0,
) -> tuple[str, dict[str, Any]]:
    r: dict[str, Any] = {"id": hexid(20)}
    r["imp"] = [imp(i, m, rich=rich, deal_count=deal_count) for i, m in enumerate(media)]
    if channel == "site":
        r["site"] = site(rich=rich)
    elif channel in ("app", "ctv"):
        r["app"] = app(ctv=channel == "ctv")
    else:
        r["dooh"] = {"id": "dooh-1", "venuetype": ["transit.airports"], "publisher": {"id": "p9"}}
    r["device"] = device(rich=rich, ctv=channel == "ctv")
    if segments or eids:
        r["user"] = user(segments, eids)
    r |= {"at": 1, "tmax": 120, "test": 0, "cur": ["USD"]}
    if blocks:
        r["bcat"] = rng.sample(CATS, min(blocks, len(CATS)))
        r["badv"] = [f"blocked{k}.example" for k in range(blocks)]
        r["bapp"] = [f"com.blocked{k}.example" for k in range(blocks // 2)]
    if rich:
        r["source"] = source(3 if blocks < 20 else 6)
        r["regs"] = {"coppa": 0, "gdpr": 1, "us_privacy": "1YNN", "gpp": "DBABMA~" + hexid(20)}
    return name, r


def main() -> None:
    minimal = request("01-banner-minimal", ["banner"], rich=False)
    del minimal[1]["device"]  # the least an exchange sends: an id, one imp, the site
    requests = [
        minimal,
        request("02-banner-site", ["banner"], rich=False, segments=2, blocks=2),
        request("03-banner-app", ["banner"], rich=True, channel="app", segments=4, eids=2),
        request("04-video-site-deals", ["video"], rich=True, deal_count=3, segments=6, eids=2),
        request("05-audio-app", ["audio"], rich=True, channel="app", segments=3, blocks=4),
        request("06-native-site", ["native"], rich=True, segments=5, eids=3, blocks=6),
        request("07-dooh-banner", ["banner"], rich=False, channel="dooh"),
        request("08-ctv-pod", ["video", "video"], rich=True, channel="ctv", segments=10, eids=4),
        request(
            "09-multi-imp-site",
            ["banner", "banner", "banner", "native"],
            rich=True,
            deal_count=2,
            segments=12,
            eids=4,
            blocks=10,
        ),
        request(
            "10-mixed-app-large",
            ["banner", "video", "banner", "native", "audio", "banner", "video", "banner"],
            rich=True,
            channel="app",
            deal_count=3,
            segments=40,
            eids=6,
            blocks=20,
        ),
        request(
            "11-site-huge",
            ["banner"] * 12 + ["video"] * 4 + ["native"] * 4,
            rich=True,
            deal_count=4,
            segments=80,
            eids=10,
            blocks=30,
        ),
    ]
    bidder = Bidder(BidderConfig())
    shutil.rmtree(OUT / "requests", ignore_errors=True)
    shutil.rmtree(OUT / "responses", ignore_errors=True)
    (OUT / "requests").mkdir(parents=True)
    (OUT / "responses").mkdir(parents=True)
    for name, body in requests:
        data = json.dumps(body, separators=(",", ":")).encode()
        (OUT / "requests" / f"{name}.json").write_bytes(data + b"\n")
        answer = bidder.app.handle(
            Request(
                b"POST",
                b"/openrtb2/bid",
                data,
                content_type=b"application/json",
                arrival=time.monotonic(),
            )
        )
        status = getattr(answer, "status", None)
        body_out = getattr(answer, "body", b"")
        if status == 200:
            (OUT / "responses" / f"{name}.json").write_bytes(bytes(body_out) + b"\n")
        print(f"{name}: {len(data)} B, answer {status}")


if __name__ == "__main__":
    main()

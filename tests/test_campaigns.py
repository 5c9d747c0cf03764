"""Campaign files: the shipped demo set, every problem reported with its location, JSON files, and
``bidwire campaigns check`` through the installed console script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bidder.campaigns import (
    DEMO_PATH,
    Campaign,
    CampaignError,
    Creative,
    check,
    load,
    load_demo,
    parse,
)
from openrtb import JsonCodec
from openrtb.model import Imp

from .conftest import corpus_files, needs_corpus

# ---------------------------------------------------------------------------------------------
# The demo set


def test_demo_file_checks_clean_and_loads() -> None:
    assert check(DEMO_PATH.read_bytes(), str(DEMO_PATH)) == []
    demo = load_demo()
    assert demo.currency == "USD"
    assert {"EUR", "GBP", "JPY", "CAD", "AUD"} <= set(demo.fx)
    assert 8 <= len(demo.campaigns) <= 12


def test_demo_campaigns_are_plausible() -> None:
    demo = load_demo()
    for c in demo.campaigns:
        assert 0.5 <= c.price <= 8.0, c.id
        assert c.currency in (None, "USD"), c.id
        assert c.adomain and all(d.endswith(".example") for d in c.adomain), c.id
        assert c.cattax == 1 and all(re.fullmatch(r"IAB\d+(-\d+)?", cat) for cat in c.cat), c.id
    creatives = [cr for c in demo.campaigns for cr in c.creatives]
    assert {cr.type for cr in creatives} == {"banner", "video", "audio", "native"}
    for cr in creatives:
        if cr.type in ("video", "audio"):
            assert cr.markup.startswith('<VAST version="3.0">') and cr.markup.endswith("</VAST>")
        if cr.type == "banner":
            assert f'width="{cr.w}" height="{cr.h}"' in cr.markup
            assert "${AUCTION_PRICE}" not in cr.markup
    sizes = {(cr.w, cr.h) for cr in creatives if cr.type == "banner"}
    common = [(300, 250), (728, 90), (320, 50), (300, 600), (160, 600), (320, 480), (468, 60)]
    common += [(970, 250), (300, 50), (1024, 768), (768, 1024)]
    assert set(common) <= sizes
    videos = [cr for cr in creatives if cr.type == "video"]
    assert {15, 30} <= {cr.duration for cr in videos}
    assert all("video/mp4" in cr.mimes and {2, 3, 5, 6, 7, 8} <= set(cr.protocols) for cr in videos)
    audio = [cr for cr in creatives if cr.type == "audio"]
    assert any("audio/mpeg" in cr.mimes and cr.duration == 30 for cr in audio)
    assert all({2, 3, 5, 6, 9, 10} <= set(cr.protocols) for cr in audio)
    natives = [cr.native for cr in creatives if cr.native is not None]
    assert natives and all((n.image_w, n.image_h) == (1200, 627) and n.cta for n in natives)


def test_demo_targeting_shows_each_filter() -> None:
    by_id = {c.id: c for c in load_demo().campaigns}
    targeting = [c.targeting for c in by_id.values()]
    assert any(t.deals and not t.open_auction for t in targeting)
    assert any(t.country.include == ["USA", "CAN", "GBR"] for t in targeting)
    assert any(t.devicetype.include == [1, 4, 5] for t in targeting)
    assert any(t.content_cat.exclude for t in targeting)
    assert any(sorted(t.hours_of_week) == list(range(168)) for t in targeting)
    assert any(t.traffic == "both" for t in targeting)


@needs_corpus
def test_demo_deals_are_the_corpus_deals() -> None:
    """Every deal the demo campaigns name is one the corpus requests offer."""
    offered = {
        deal.id
        for path in corpus_files("requests")
        for imp in JsonCodec().decode_request(path.read_bytes()).imp
        if imp.pmp is not None
        for deal in imp.pmp.deals or ()
    }
    named = {d for c in load_demo().campaigns for d in c.targeting.deals}
    assert named and named <= offered


def _fits(cr: Creative, imp: Imp) -> bool:
    """Whether a creative fits an impression by media type, size, MIME type, duration and
    protocol: what any bidder checks before targeting and price."""
    if cr.type == "banner" and imp.banner is not None:
        b = imp.banner
        sizes = {(b.w, b.h)} | {(f.w, f.h) for f in b.format or ()}
        if (cr.w, cr.h) in sizes:
            return True
        return (
            bool(b.wmax and b.hmax)
            and (b.wmin or 0) <= (cr.w or 0) <= (b.wmax or 0)
            and (b.hmin or 0) <= (cr.h or 0) <= (b.hmax or 0)
        )
    media = {"video": imp.video, "audio": imp.audio}.get(cr.type)
    if media is not None:
        duration = cr.duration or 0
        return (
            bool(set(cr.mimes) & set(media.mimes or ()))
            and (not media.minduration or duration >= media.minduration)
            and (not media.maxduration or duration <= media.maxduration)
            and (not media.protocols or bool(set(cr.protocols) & set(media.protocols)))
        )
    return cr.type == "native" and imp.native is not None


@needs_corpus
def test_demo_creatives_fit_most_corpus_impressions() -> None:
    creatives = [cr for c in load_demo().campaigns for cr in c.creatives]
    imps = [
        imp
        for path in corpus_files("requests")
        for imp in JsonCodec().decode_request(path.read_bytes()).imp
    ]
    fitting = [imp for imp in imps if any(_fits(cr, imp) for cr in creatives)]
    assert len(imps) >= 60
    assert len(fitting) >= len(imps) // 2, f"{len(fitting)} of {len(imps)}"


# ---------------------------------------------------------------------------------------------
# Problems and their locations

GOOD = """
[[campaigns]]
id = "c-good"
seat = "s"
adomain = ["good.example"]
price = 1.5
[[campaigns.creatives]]
id = "cr"
type = "banner"
w = 300
h = 250
markup = "<a></a>"
"""

BAD = """
currency = "USD"
[fx]
EUR = 1.08

[[campaigns]]                    # 0: price <= 0, a banner without w/h
id = "c-a"
seat = "s"
adomain = ["a.example"]
price = 0
[[campaigns.creatives]]
id = "cr-1"
type = "banner"
markup = "<a></a>"

[[campaigns]]                    # 1: a type error
id = "c-b"
seat = "s"
adomain = ["b.example"]
price = "cheap"
[[campaigns.creatives]]
id = "cr-1"
type = "banner"
w = 300
h = 250
markup = "<a></a>"

[[campaigns]]                    # 2: duplicate id, video without mimes/duration, hours, overlap
id = "c-a"
seat = "s"
adomain = ["a.example"]
price = 2.0
[campaigns.targeting]
hours_of_week = [0, 168]
[campaigns.targeting.country]
include = ["USA", "CAN"]
exclude = ["CAN"]
[[campaigns.creatives]]
id = "cr-v"
type = "video"
markup = "<VAST/>"

[[campaigns]]                    # 3: another type error, in a creative
id = "c-d"
seat = "s"
adomain = ["d.example"]
price = 1.0
[[campaigns.creatives]]
id = "cr-1"
type = "banner"
w = "wide"
h = 250
markup = "<a></a>"
"""

EXPECTED = [
    ("campaigns[0].price", "must be > 0"),
    ("campaigns[0].creatives[0]", "a banner needs w and h"),
    ("campaigns[1].price", "expected float, got str"),
    ("campaigns[2].id", "duplicate campaign id 'c-a'"),
    ("campaigns[2].targeting.hours_of_week[1]", "168 is not in 0..167"),
    ("campaigns[2].targeting.country", "['CAN'] both included and excluded"),
    ("campaigns[2].creatives[0].mimes", "needs its MIME types"),
    ("campaigns[2].creatives[0].duration", "needs a duration > 0"),
    ("campaigns[3].creatives[0].w", "expected int, got str"),
]


def _assert_reports_all(problems: list[str]) -> None:
    assert len(problems) == len(EXPECTED), problems
    for problem, (location, message) in zip(problems, EXPECTED, strict=True):
        assert problem.startswith(f"{location}: "), problem
        assert message in problem, problem


def test_good_file_has_no_problems() -> None:
    assert check(GOOD.encode()) == []
    assert [c.id for c in parse(GOOD.encode()).campaigns] == ["c-good"]


def test_every_problem_of_every_campaign_is_reported_with_its_location() -> None:
    _assert_reports_all(check(BAD.encode(), "bad.toml"))


def test_parse_and_load_raise_with_every_problem(tmp_path: Path) -> None:
    with pytest.raises(CampaignError) as info:
        parse(BAD.encode(), "bad.toml")
    _assert_reports_all(info.value.problems)
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(CampaignError) as info:
        load(path)
    assert info.value.source == str(path)
    _assert_reports_all(info.value.problems)


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("currency = [", "(file)"),
        ('[fx]\nEUR = "a lot"\n', "fx.EUR"),
        ("[fx]\nEUR = 0\n", "fx.EUR"),
        ("campaign = []\n", "campaign"),
        ("campaigns = 5\n", "campaigns"),
        (GOOD + "colour = 'red'\n", "campaigns[0].creatives[0].colour"),
        (GOOD.replace('type = "banner"', 'type = "popup"'), "campaigns[0].creatives[0].type"),
        (GOOD + "[campaigns.targeting]\nopen_auction = false\n", "campaigns[0].targeting"),
        (GOOD.replace("price = 1.5", "price = 1.5\ncurrency = 'CHF'"), "campaigns[0].currency"),
    ],
)
def test_single_problem_locations(text: str, location: str) -> None:
    problems = check(text.encode())
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{location}: "), problems


def test_every_problem_of_one_campaign_is_reported() -> None:
    """Bug: `campaigns check` stopped at the first problem of each campaign."""
    problems = check(b"[[campaigns]]\nid = 5\nprice = 'x'\ncolour = 'red'\n")
    assert problems == [
        "campaigns[0].id: expected str, got int",
        "campaigns[0].price: expected float, got str",
        "campaigns[0].colour: unknown field",
        "campaigns[0].seat: missing required field",
        "campaigns[0].adomain: missing required field",
        "campaigns[0].creatives: missing required field",
    ]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("US", "campaigns[0].targeting.country.include[0]: 'US' is ISO-3166-1 alpha-2; OpenRTB "
               "sends alpha-3: 'USA'"),
        ("XX", "campaigns[0].targeting.country.include[0]: 'XX' is not an ISO-3166-1 alpha-3 "
               "country code"),
        ("Narnia", "campaigns[0].targeting.country.include[0]: 'Narnia' is not an ISO-3166-1 "
                   "alpha-3 country code"),
    ],
)  # fmt: skip
def test_countries_are_iso_alpha_3(country: str, expected: str) -> None:
    """Bug: `include = ["US"]` was accepted, though OpenRTB carries "USA": it never matched."""
    text = GOOD + f'[campaigns.targeting.country]\ninclude = ["{country}"]\n'
    assert check(text.encode()) == [expected]
    for good in ("USA", "usa", "GBR"):
        text = GOOD + f'[campaigns.targeting.country]\nexclude = ["{good}"]\n'
        assert check(text.encode()) == []


def test_currencies_are_iso_4217() -> None:
    """Bug: `currency = "usd"` was accepted (requests' cur says "USD": it never matched)."""
    assert check(b'currency = "usd"\n' + GOOD.encode()) == [
        "currency: 'usd' is not an ISO 4217 code; write 'USD'"
    ]
    assert check(b"[fx]\nEURO = 1.1\n" + GOOD.encode()) == [
        "fx.EURO: 'EURO' is not an ISO 4217 currency code"
    ]
    text = GOOD.replace("price = 1.5", 'price = 1.5\ncurrency = "eur"')
    assert check(text.encode()) == ["campaigns[0].currency: 'eur' is not an ISO 4217 code; "
                                    "write 'EUR'"]  # fmt: skip


@pytest.mark.parametrize("text", [b"", b"\n\n", b"# nothing here\n"])
def test_an_empty_file_is_a_problem(text: bytes) -> None:
    """Bug: an empty file was "ok (0 campaigns)"."""
    assert check(text) == ["(file): empty: no campaigns, no settings"]


def test_campaigns_not_a_list_and_a_bad_rate_are_both_reported() -> None:
    problems = check(b'campaigns = 5\ncurrency = "USD"\n[fx]\nEUR = 0\n')
    assert problems == ["fx.EUR: rate must be > 0", "campaigns: expected array, got int"]


def test_type_errors_in_the_file_and_in_campaigns_are_all_reported() -> None:
    text = BAD.replace("EUR = 1.08", 'EUR = "x"\nGBP = 1.27')
    problems = check(text.encode())
    assert problems[0] == "fx.EUR: expected float, got str"
    _assert_reports_all(problems[1:])


# ---------------------------------------------------------------------------------------------
# JSON campaign files


def _as_json(toml_text: str) -> bytes:
    import msgspec

    return json.dumps(msgspec.toml.decode(toml_text.encode())).encode()


def test_json_campaign_file_loads_like_its_toml(tmp_path: Path) -> None:
    data = _as_json(DEMO_PATH.read_text())
    assert check(data, "demo.json") == []
    path = tmp_path / "demo.json"
    path.write_bytes(data)
    assert load(path) == load_demo()
    # Recognised by its content too, whatever the name.
    assert parse(data, "campaigns.conf") == load_demo()


def test_json_campaign_file_reports_every_problem() -> None:
    _assert_reports_all(check(_as_json(BAD), "bad.json"))
    assert check(b'{"campaigns": [', "x.json")[0].startswith("(file): not valid TOML/JSON")
    assert check(b"[]", "x.json") == ["(top): expected object, got array"]


def test_campaign_structs_reject_unknown_fields() -> None:
    problems = check(GOOD.replace('seat = "s"', 'seat = "s"\nbudget = 5').encode())
    assert problems == ["campaigns[0].budget: unknown field"]
    assert "budget" not in Campaign.__struct_fields__


# ---------------------------------------------------------------------------------------------
# bidwire campaigns check


def bidwire() -> str:
    script = Path(sys.executable).with_name("bidwire")
    found = str(script) if script.exists() else shutil.which("bidwire")
    assert found, "the bidwire console script is not installed"
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [bidwire(), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_check_demo_file_is_ok() -> None:
    demo = load_demo()
    n_creatives = sum(len(c.creatives) for c in demo.campaigns)
    result = run("campaigns", "check", str(DEMO_PATH))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"{DEMO_PATH}: ok ({len(demo.campaigns)} campaigns, {n_creatives} creatives)\n"
    )


def test_cli_check_bad_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    result = run("campaigns", "check", str(path))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(EXPECTED), result.stdout
    for line, (location, message) in zip(lines, EXPECTED, strict=True):
        assert line.startswith(f"{path}: {location}: "), line
        assert message in line, line


def test_cli_check_json_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(_as_json(BAD))
    result = run("campaigns", "check", str(path))
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == len(EXPECTED)


def test_cli_check_unreadable_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = run("campaigns", "check", str(missing))
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(missing) in result.stderr and len(result.stderr.splitlines()) == 1

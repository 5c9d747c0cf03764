"""``bidwire replay`` against an in-process bidder (``--campaigns``): no server.

The capture replayed here is ``tests/data/capture-v1.jsonl.gz``, written by a real ``bidwire
serve --capture ... --capture-fraction 1 --campaigns tests/data/capture-v1-campaigns.json``
(the demo campaigns of that day) at capture format version 1: the 60 corpus requests and the
11 of the packaged sample, a quarter each as JSON, gzipped JSON, protobuf and gRPC calls. It is
kept as it was written: a capture of an older version must replay on this one.

Which requests a campaign change should change is found independently of the replay's code:
each request is answered by the in-process front door (the decision record's
:class:`~bidwire.benchmarks.decisions.Recorder`) with pinned clocks under both campaign sets,
and the answers' bytes compared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from bidder.campaigns import load
from bidder.capture import CaptureRecord, read_capture
from bidwire.benchmarks.decisions import ARRIVAL, Recorder
from bidwire.cli import main
from transport.events import Request

DATA = Path(__file__).with_name("data")
CAPTURE_V1 = DATA / "capture-v1.jsonl.gz"
CAMPAIGNS_V1 = DATA / "capture-v1-campaigns.json"
#: The campaign whose price the candidate changes, and to what (from 1.20: it now outbids
#: some campaigns, and bids more where it won already).
REPRICED, PRICE = "c-shop-ron", 3.2


def repriced(source: Path, folder: Path, campaign: str = REPRICED, price: float = PRICE) -> Path:
    """``source``'s campaigns with one campaign's price changed."""
    data = json.loads(source.read_text())
    (found,) = [c for c in data["campaigns"] if c["id"] == campaign]
    found["price"] = price
    path = folder / "candidate.json"
    path.write_text(json.dumps(data))
    return path


def oracle_request(record: CaptureRecord) -> tuple[Request, float]:
    """The record's request as the transport hands it over, built here (not by the replay),
    and when it was decided."""
    request = Request(b"POST", record.path.encode(), record.body, arrival=ARRIVAL,
                      content_type=record.content_type.encode() or None,
                      content_encoding=record.content_encoding.encode() or None,
                      grpc_encoding=record.grpc_encoding.encode() or None)  # fmt: skip
    return request, record.at


def expected_changes(
    requests: Sequence[tuple[Request, float]], before: Path, after: Path
) -> set[int]:
    """The numbers (from 1) of the requests (each decided at its wall-clock time) whose answer
    from the front door differs between the two campaign files."""
    a, b = Recorder(load(before)), Recorder(load(after))
    out = set()
    for n, (request, at) in enumerate(requests, 1):
        answer_a, _, _ = a.handle(request, at)
        answer_b, _, _ = b.handle(request, at)
        assert answer_a.status in (200, 204), (n, answer_a.status)
        if (answer_a.status, bytes(answer_a.body)) != (answer_b.status, bytes(answer_b.body)):
            out.add(n)
    return out


def replay_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    status = main(["replay", *args, "--json"])
    report = json.loads(capsys.readouterr().out)
    return status, report


def test_the_v1_fixture_is_what_it_says() -> None:
    records = list(read_capture(CAPTURE_V1))
    assert len(records) == 71 and {r.v for r in records} == {1}
    kinds = {(r.content_type, r.content_encoding) for r in records}
    assert kinds == {
        ("application/json", ""),
        ("application/json", "gzip"),
        ("application/x-protobuf", ""),
        ("application/grpc", ""),
    }


def test_a_v1_capture_replays_on_this_version_with_no_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, report = replay_json(capsys, str(CAPTURE_V1), "--campaigns", str(CAMPAIGNS_V1))
    assert report["changed"] == [] and report["failures"] == []
    assert report["compared"] == 71 and report["agreement"] == 1.0
    assert report["baseline"]["bids"] == report["candidate"]["bids"] > 0
    assert status == 0


def test_one_campaigns_new_price_changes_exactly_the_requests_it_should(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = repriced(CAMPAIGNS_V1, tmp_path)
    records = list(read_capture(CAPTURE_V1))
    expected = expected_changes([oracle_request(r) for r in records], CAMPAIGNS_V1, candidate)
    assert 0 < len(expected) < len(records)  # the test means something
    status, report = replay_json(capsys, str(CAPTURE_V1), "--campaigns", str(candidate))
    assert {c["n"] for c in report["changed"]} == expected
    assert status == 1  # --max-changed 0 by default: any change fails
    # How: the repriced campaign is on one side of every change.
    for change in report["changed"]:
        sides = [change["baseline"], change["candidate"]]
        campaigns = {i.get("campaign") for side in sides for i in side["imps"]}
        assert REPRICED in campaigns, change
        assert change["id"] == records[change["n"] - 1].id
    assert report["by_kind"]["price"] >= 1 and report["by_kind"]["campaign"] >= 1
    deltas = report["price_deltas"]
    assert deltas["count"] >= report["by_kind"]["price"] and deltas["max"] > 0


@pytest.mark.parametrize("fmt", ["json", "proto", "grpc"])
def test_every_format_decides_as_captured(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = replay_json(
        capsys, str(CAPTURE_V1), "--campaigns", str(CAMPAIGNS_V1), "--format", fmt
    )
    assert (status, report["changed"], report["failures"]) == (0, [], [])


def test_thresholds_decide_the_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = repriced(CAMPAIGNS_V1, tmp_path)
    _, report = replay_json(capsys, str(CAPTURE_V1), "--campaigns", str(candidate))
    share = report["changed_share"] * 100
    above, below = f"{share + 0.01:.2f}%", f"{share - 0.01:.2f}"
    assert (
        main(["replay", str(CAPTURE_V1), "--campaigns", str(candidate), "--max-changed", above])
        == 0
    )
    assert (
        main(["replay", str(CAPTURE_V1), "--campaigns", str(candidate), "--max-changed", below])
        == 1
    )
    text = capsys.readouterr().out
    assert "FAIL:" in text and f"--max-changed {float(below):g}%" in text
    assert "changed requests (number in the capture, id: how):" in text


def test_the_table_names_the_changes_and_the_plot_is_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    candidate = repriced(CAMPAIGNS_V1, tmp_path, "c-pmp-direct", 9.0)
    plot = tmp_path / "replay.png"
    status = main(["replay", str(CAPTURE_V1), "--campaigns", str(candidate), "--plot", str(plot)])
    text = capsys.readouterr().out
    assert status == 1
    assert "decisions changed:" in text and "c-pmp-direct" in text and " -> " in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_limit_replays_the_first_requests_only(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = replay_json(
        capsys, str(CAPTURE_V1), "--campaigns", str(CAMPAIGNS_V1), "--limit", "5"
    )
    assert report["requests"] == 5


def test_a_record_that_does_not_decode_is_an_error_of_that_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = list(read_capture(CAPTURE_V1))[:3]
    broken = msgspec.structs.replace(records[1], body=b"\x1f\x8b not gzip", content_encoding="gzip")
    path = tmp_path / "cap.jsonl"
    path.write_bytes(
        b"".join(msgspec.json.encode(r) + b"\n" for r in [records[0], broken, records[2]])
    )
    status, report = replay_json(capsys, str(path), "--campaigns", str(CAMPAIGNS_V1))
    assert [(f["n"], f["side"]) for f in report["failures"]] == [(2, "candidate")]
    assert report["compared"] == 2 and status == 1
    assert main(["replay", str(path), "--campaigns", str(CAMPAIGNS_V1), "--max-errors", "40%"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.jsonl.gz", "--campaigns", str(CAMPAIGNS_V1)], "cannot read nope.jsonl.gz"),
        ([str(CAPTURE_V1)], "say what to compare with: --target URL or --campaigns FILE"),
        ([str(CAPTURE_V1), "--target", "https://x:1"], "--target must be http://HOST:PORT"),
        ([str(CAPTURE_V1), "--campaigns", "nope.toml"], "nope.toml"),
        (
            [
                str(CAPTURE_V1),
                "--target",
                "http://a:1",
                "--target",
                "http://b:1",
                "--campaigns",
                str(CAMPAIGNS_V1),
            ],
            "two sides at most",
        ),
        ([str(CAPTURE_V1), "--campaigns", str(CAMPAIGNS_V1), "--rate", "-1"], "--rate must be"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bidwire replay: ") and message in err and err.count("\n") == 1


def test_a_newer_capture_version_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "future.jsonl"
    path.write_bytes(b'{"v": 7, "something": "else"}\n')
    assert main(["replay", str(path), "--campaigns", str(CAMPAIGNS_V1)]) == 2
    assert (
        "capture format version 7 is newer than this bidwire reads (1)" in capsys.readouterr().err
    )


def test_a_threshold_that_is_not_a_percentage_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["replay", str(CAPTURE_V1), "--campaigns", str(CAMPAIGNS_V1), "--max-changed", "lots"])
    assert "'lots' is not a percentage such as 0.5%" in capsys.readouterr().err


def test_a_no_bid_for_want_of_time_is_named_and_not_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bidder.decision import Decision, ImpDecision

    records = list(read_capture(CAPTURE_V1))[:2]
    imps = tuple(ImpDecision(imp=i.imp) for i in records[0].decision.imps)
    late = Decision(bid=False, reason="insufficient_time", nbr=15, imps=imps)
    path = tmp_path / "cap.jsonl"
    first = msgspec.structs.replace(records[0], decision=late)
    path.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in [first, records[1]]))
    status, report = replay_json(capsys, str(path), "--campaigns", str(CAMPAIGNS_V1))
    assert report["failures"] == [{"n": 1, "id": records[0].id, "side": "baseline",
                                   "error": "deadline no-bid (insufficient_time)"}]  # fmt: skip
    assert (report["compared"], report["changed"], status) == (1, [], 1)

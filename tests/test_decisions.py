"""The decision record (bench/decisions.py): JSON, protobuf and gRPC get the same decision on
every request of the corpus and the packaged sample, through the whole in-process bidder (the
gRPC lane through the gRPC door's framing and status codes; tests/test_grpc_clients.py does it
again with a real gRPC client over a socket)."""

from __future__ import annotations

from pathlib import Path

from bidwire.benchmarks.decisions import corpus_files, disagreements, record
from bidwire.benchmarks.decode import sample_dir

CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/openrtb/requests"


def test_json_protobuf_and_grpc_lanes_decide_alike_on_the_corpus_and_the_sample() -> None:
    files = corpus_files([CORPUS, sample_dir() / "requests"])
    by_lane = record(files)
    assert len(by_lane["json"]) == len(by_lane["proto"]) == len(by_lane["grpc"]) >= len(files)
    assert disagreements(by_lane) == []
    # The record is worth comparing: the demo campaigns bid on most of it.
    assert sum(" bid " in line for line in by_lane["json"]) >= len(files) // 2


def test_the_record_is_deterministic() -> None:
    files = corpus_files([sample_dir() / "requests"])
    assert record(files) == record(files)

"""Decode cost per message on a corpus: bidwire's JSON codec vs its protobuf codec.

    python bench/decode.py [--corpus DIR] [--repeat N]

For each request in the corpus (default ``../shared/corpus/openrtb/requests``), it times, in µs
per message (median of ``--repeat`` runs of a timeit loop): msgspec JSON -> Structs (our
lenient codec), protobuf ``ParseFromString`` alone (upb parses lazily, so this flatters it),
and protobuf bytes -> Structs (our codec: parse plus mapping). The full benchmark (stdlib json,
orjson, plots) is ``bidwire bench decode``.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from pathlib import Path

from openrtb import JsonCodec, ProtoCodec
from openrtb import openrtb_pb2 as pb


def per_call_us(fn: object, number: int, repeat: int) -> float:
    timer = timeit.Timer(fn)  # type: ignore[arg-type]
    runs = timer.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "openrtb" / "requests"
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    json_codec, proto_codec = JsonCodec(), ProtoCodec()
    rows = []
    for path in sorted(args.corpus.glob("*.json")):
        data = path.read_bytes()
        request = json_codec.decode_request(data)
        wire = proto_codec.encode_request(request)
        number = max(50, 200_000 // max(len(data), 1))
        rows.append(
            (
                path.name,
                len(data),
                len(wire),
                per_call_us(lambda d=data: json_codec.decode_request(d), number, args.repeat),
                per_call_us(lambda w=wire: pb.BidRequest.FromString(w), number, args.repeat),
                per_call_us(lambda w=wire: proto_codec.decode_request(w), number, args.repeat),
            )
        )
    head = ("json B", "pb B", "json->Struct", "pb parse", "pb->Struct")
    print(f"{'request':58} {head[0]:>7} {head[1]:>6} {head[2]:>12} {head[3]:>9} {head[4]:>10}")
    for name, jb, pbb, j, p, ps in rows:
        print(f"{name[:58]:58} {jb:7d} {pbb:6d} {j:12.2f} {p:9.2f} {ps:10.2f}")
    med = [statistics.median(r[i] for r in rows) for i in (3, 4, 5)]
    label = f"median over {len(rows)} requests (µs/message)"
    print(f"{label:74} {med[0]:12.2f} {med[1]:9.2f} {med[2]:10.2f}")


if __name__ == "__main__":
    main()

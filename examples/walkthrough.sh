#!/usr/bin/env bash
# The README's walk-through, step by step, against a running
#     bidwire serve --config examples/bidwire.toml
# Run it from the repository root: examples/walkthrough.sh (BIDWIRE=http://HOST:PORT aims it
# elsewhere). tests/test_walkthrough.py runs it against a server on another port and checks
# that the README shows these same commands.
set -euo pipefail
BIDWIRE=${BIDWIRE:-http://127.0.0.1:8081}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "1. ready?"
curl -sS "$BIDWIRE/readyz"

step "2. a JSON bid over HTTP/2 (prior knowledge, as exchanges call bidders)"
curl -sS --http2-prior-knowledge -H 'content-type: application/json' --data-binary @examples/bid-request.json "$BIDWIRE/openrtb2/bid" -o "$out/bid.json" -w '%{http_version} %{http_code}\n'
python3 -m json.tool "$out/bid.json"

step "3. the same over HTTP/1.1"
curl -sS --http1.1 -H 'content-type: application/json' --data-binary @examples/bid-request.json "$BIDWIRE/openrtb2/bid" -o /dev/null -w '%{http_version} %{http_code}\n'

step "4. a protobuf bid: the answer comes in protobuf"
bidwire convert --to proto examples/bid-request.json > "$out/request.bin"
curl -sS --http2-prior-knowledge -H 'content-type: application/x-protobuf' --data-binary @"$out/request.bin" "$BIDWIRE/openrtb2/bid" -o "$out/bid.bin" -w '%{http_version} %{http_code} %{content_type}\n'
bidwire convert --to json --type response "$out/bid.bin"
echo

step "5. the win and billing notices, macros filled as an exchange does"
nurl=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["seatbid"][0]["bid"][0]["nurl"])' < "$out/bid.json")
burl=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["seatbid"][0]["bid"][0]["burl"])' < "$out/bid.json")
curl -sS -g "${nurl//'${AUCTION_PRICE}'/1.25}" -o /dev/null -w 'win %{http_code}\n'
curl -sS -g "${burl//'${AUCTION_PRICE}'/1.25}" -o /dev/null -w 'bill %{http_code}\n'
curl -sS -g "${burl//'${AUCTION_PRICE}'/1.25}" -o /dev/null -w 'bill again %{http_code}\n'

step "6. why no bid: the request blocks both campaigns' categories"
sed 's/"cur"/"bcat": ["IAB1-1", "IAB20"], "cur"/' examples/bid-request.json > "$out/blocked.json"
curl -sS --http2-prior-knowledge -H 'content-type: application/json' --data-binary @"$out/blocked.json" "$BIDWIRE/openrtb2/bid" -w '%{http_code}\n'
curl -sS --http2-prior-knowledge -H 'content-type: application/json' -H 'x-bidwire-debug: walkthrough-debug' --data-binary @"$out/blocked.json" "$BIDWIRE/openrtb2/bid"
echo

step "7. what /metrics counted"
curl -sS "$BIDWIRE/metrics" | grep -E '^bidwire_(bids|nobid_reasons|notices|spend_nanos)_total'

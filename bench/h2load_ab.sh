#!/usr/bin/env bash
# bidwire vs hypercorn (serving bidder.asgi:app, the same front door and decision), HTTP/2 h2c,
# 1 KB JSON bid request, A/B alternated, server on core 0 and h2load on core 1.
#   usage: bench/h2load_ab.sh [ROUNDS=3] [N=200000] [extra h2load args...]
# Prints one line per run and the medians; append the output to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; N=${2:-200000}; shift $(( $# > 2 ? 2 : $# )) || true
BODY=bench/body-1k.json
PY=.venv/bin/python
port_of() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
run_one() { # name -> prints "name req/s"
  local name=$1 port; shift; port=$(port_of)
  case $name in
    bidwire)   taskset -c 0 .venv/bin/bidwire serve --port "$port" >/dev/null 2>&1 & ;;
    hypercorn) taskset -c 0 .venv/bin/hypercorn -c bench/hypercorn.toml -b "127.0.0.1:$port" bidder.asgi:app >/dev/null 2>&1 & ;;
  esac
  local pid=$!
  wait_port "$port"
  taskset -c 1 h2load -n 2000 -c 8 -m 32 -d "$BODY" -H 'content-type: application/json' "http://127.0.0.1:$port/openrtb2/bid" >/dev/null 2>&1
  local out; out=$(taskset -c 1 h2load -n "$N" -c 8 -m 32 -d "$BODY" -H 'content-type: application/json' "$@" "http://127.0.0.1:$port/openrtb2/bid" 2>&1)
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  local rps ok; rps=$(awk '/^finished in/ {print $4}' <<<"$out"); ok=$(grep -o '[0-9]* succeeded' <<<"$out")
  echo "$name $rps ($ok)"
}
echo "# $(date -u +%FT%TZ) rounds=$ROUNDS n=$N body=$(wc -c <"$BODY")B h2load -c 8 -m 32; $(nproc) cores; $("$PY" -c 'import h2,sys;print("python",sys.version.split()[0],"h2",h2.__version__)')"
results=()
for r in $(seq "$ROUNDS"); do
  if (( r % 2 )); then order="bidwire hypercorn"; else order="hypercorn bidwire"; fi
  for name in $order; do line=$(run_one "$name" "$@"); echo "round $r: $line"; results+=("$line"); done
done
printf '%s\n' "${results[@]}" | "$PY" -c '
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in sys.stdin:
    name, rps = line.split()[:2]
    runs[name].append(float(rps))
med = {k: statistics.median(v) for k, v in runs.items()}
for k, v in med.items():
    print(f"median {k}: {v:,.0f} req/s over {len(runs[k])} runs")
if "bidwire" in med and "hypercorn" in med:
    ratio = med["bidwire"] / med["hypercorn"]
    print(f"ratio bidwire/hypercorn: {ratio:.2f}x")
'

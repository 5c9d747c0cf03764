#!/usr/bin/env bash
# HTTP/2 conformance: h2spec, normal and strict (-S), against `bidwire serve` with each HTTP/2
# engine, on the port that also serves HTTP/1.1. Exits non-zero if any test fails.
#   usage: bench/h2spec.sh [ENGINES="raw h2"]   (make h2spec)
# h2spec is not a Debian package: build it by hand (README, "Conformance"), or set H2SPEC.
# Prints the summary lines; append the output to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
H2SPEC=${H2SPEC:-$(command -v h2spec || true)}
[ -n "$H2SPEC" ] || { echo "h2spec not found (see README, Conformance)" >&2; exit 2; }
ENGINES=${1:-raw h2}
PY=.venv/bin/python
port_of() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
echo "# $(date -u +%FT%TZ) $("$H2SPEC" --version 2>&1 | head -1); bidwire $(git rev-parse --short HEAD)"
failed=0
for engine in $ENGINES; do
  port=$(port_of)
  .venv/bin/bidwire serve --engine "$engine" --port "$port" >/dev/null 2>&1 &
  pid=$!
  wait_port "$port"
  for mode in normal strict; do
    flags=(); [ "$mode" = strict ] && flags=(-S)
    out=$("$H2SPEC" -h 127.0.0.1 -p "$port" -o 2 "${flags[@]}" 2>&1) || failed=1
    echo "engine=$engine mode=$mode: $(grep -E '^[0-9]+ tests,' <<<"$out")"
    grep -E '^ *× ' <<<"$out" || true  # the failing tests, if any
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
exit "$failed"

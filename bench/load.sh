#!/usr/bin/env bash
# The same API load on SQLite and PostgreSQL, one and two instances, side by side (issue 5).
# Loopback only, bounded: wrk for DURATION (default 10s) per scenario against ENDPOINT
# (default /api/v1/whoami, authenticated with a token generated through the settings screen).
#
#   bench/load.sh                    # builds --release first unless PULSE_BIN is set
#   PG=postgres://postgres@127.0.0.1:5432 DURATION=10s CONNECTIONS=32 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${PG:-postgres://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
ENDPOINT="${ENDPOINT:-/api/v1/whoami}"
PASSWORD="bench password, not secret"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)" >&2; exit 1; }
if [[ -z "${PULSE_BIN:-}" ]]; then
  cargo build --release --quiet
  PULSE_BIN=target/release/pulse
fi

WORK="$(mktemp -d)"
PIDS=()
DBS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "${DBS[@]}"; do psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The benchmark measures throughput, not the per-token limit: lift it far out of the way.
export PULSE_API_RATE_LIMIT=1000000000 PULSE_PASSWORD="$PASSWORD" RUST_LOG=warn

serve() { # serve DATABASE_URL PORT
  DATABASE_URL="$1" PULSE_BIND="127.0.0.1:$2" "$PULSE_BIN" serve >"$WORK/serve-$2.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$2/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "instance on port $2 did not start:" >&2; cat "$WORK/serve-$2.log" >&2; exit 1
}

csrf() { grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//'; }

# Signs in as the demo owner and generates the organisation's token through the screen.
token() { # token BASE
  local base="$1" jar="$WORK/jar" t
  rm -f "$jar"
  t=$(curl -fs -c "$jar" -b "$jar" "$base/login" | csrf)
  curl -fs -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" "$base/login" \
    --data-urlencode "csrf_token=$t" --data-urlencode "email=owner@acme.example" \
    --data-urlencode "password=$PASSWORD"
  t=$(curl -fs -c "$jar" -b "$jar" "$base/orgs/acme/settings/api" | csrf)
  curl -fs -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" \
    "$base/orgs/acme/settings/api/generate" --data-urlencode "csrf_token=$t"
  curl -fs -c "$jar" -b "$jar" "$base/orgs/acme/settings/api" \
    | grep -o 'pulse_[A-Za-z0-9]\{49\}' | head -n1
}

# Runs wrk against each base URL at once (connections split between them); prints total req/s.
load() { # load TOKEN BASE...
  local token="$1"; shift
  local per=$((CONNECTIONS / $#)) i=0 wrks=()
  for base in "$@"; do
    wrk -t"$THREADS" -c"$per" -d"$DURATION" -H "Authorization: Bearer $token" \
      "$base$ENDPOINT" >"$WORK/wrk-$i.txt" &
    wrks+=($!)
    i=$((i + 1))
  done
  wait "${wrks[@]}"
  local total=0 non2xx=0 lat=""
  for f in "$WORK"/wrk-*.txt; do
    total=$(awk -v t="$total" '/^Requests\/sec/ {t += $2} END {print t}' "$f")
    non2xx=$((non2xx + $(awk '/Non-2xx/ {print $5}' "$f" | tr -d , || true) + 0))
    lat="$lat $(awk '/^    Latency/ {print $2}' "$f")"
  done
  rm -f "$WORK"/wrk-*.txt
  printf '%-24s %10.0f req/s   latency avg:%s   non-2xx: %d\n' "$SCENARIO" "$total" "$lat" "$non2xx"
}

pg_database() { # creates a fresh database (dropped on exit) and sets url to it
  local name="pulse_bench_$$_$1"
  psql "$PG/postgres" -qc "CREATE DATABASE $name" >/dev/null
  DBS+=("$name")
  url="$PG/$name"
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, $DURATION per scenario, GET $ENDPOINT ($(nproc) cores)"

SCENARIO="SQLite, 1 instance"
url="$WORK/bench.db"
DATABASE_URL="$url" "$PULSE_BIN" seed-demo >/dev/null
serve "$url" 18101
tok=$(token http://127.0.0.1:18101)
load "$tok" http://127.0.0.1:18101
kill "${PIDS[@]}"; wait "${PIDS[@]}" 2>/dev/null || true; PIDS=()

SCENARIO="PostgreSQL, 1 instance"
pg_database one
DATABASE_URL="$url" "$PULSE_BIN" seed-demo >/dev/null
serve "$url" 18111
tok=$(token http://127.0.0.1:18111)
load "$tok" http://127.0.0.1:18111

SCENARIO="PostgreSQL, 2 instances"
serve "$url" 18112
load "$tok" http://127.0.0.1:18111 http://127.0.0.1:18112

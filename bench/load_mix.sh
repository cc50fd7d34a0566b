#!/usr/bin/env bash
# Load mix (issue 11): API reads, page views and a sign-in storm against one server on loopback,
# bounded by SECONDS per phase (default 15). SQLite by default; DATABASE_URL=postgres://… for
# PostgreSQL (a database that exists). Fails on any 5xx or "database is locked".
#
#   bench/load_mix.sh                  # builds --release first unless PULSE_BIN is set
#   SECONDS_PER_PHASE=30 bench/load_mix.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PULSE_BIN:-}" ]]; then
  cargo build --release --quiet
  PULSE_BIN=target/release/pulse
fi
. bench/serve.sh

export DATABASE_URL="${DATABASE_URL:-$WORK/pulse.db}"
export PULSE_PASSWORD="bench load mix passphrase" RUST_LOG=warn
# PostgreSQL needs the reveal key from outside the database (SQLite keeps one beside its file).
export PULSE_REVEAL_KEY="${PULSE_REVEAL_KEY:-$(head -c 32 /dev/urandom | base64)}"
# The rate limit and the sign-in throttle guard production; here they would only measure
# themselves, so lift the per-token limit (sign-ins use the right password and are not locked).
export PULSE_API_RATE_LIMIT=1000000000
"$PULSE_BIN" create-org --name Acme --slug acme --api-enabled >/dev/null
"$PULSE_BIN" create-user --email owner@acme.bench --name Owner --org acme --role owner >/dev/null
for n in 0 1 2 3 4 5 6 7; do
  "$PULSE_BIN" create-user --email "viewer$n@acme.bench" --name "Viewer $n" --org acme --role member >/dev/null
  "$PULSE_BIN" create-user --email "signer$n@acme.bench" --name "Signer $n" --org acme --role member >/dev/null
done

start_pulse
python3 bench/load_mix.py "$ADDRESS" "$WORK/server.log" "${SECONDS_PER_PHASE:-15}"

#!/usr/bin/env bash
# The staff console at scale (issue 19): seeds ORGS organisations (default 10,000) into a fresh
# SQLite database with three members each, tokens in every state and open requests for API
# access (bench/staff_console_seed.sql), starts the release server on loopback, signs in as
# staff (enrolling the second factor as a person would) and requests each console page REQUESTS
# times (bench/staff_console.py): page size and latency percentiles per page.
#
#   bench/staff_console.sh                       # builds --release unless PULSE_BIN is set
#   ORGS=10000 REQUESTS=300 PULSE_BIN=target/release/pulse bench/staff_console.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PULSE_BIN:-}" ]]; then
  cargo build --quiet --release --bin pulse
  PULSE_BIN=target/release/pulse
fi
ORGS="${ORGS:-10000}"
REQUESTS="${REQUESTS:-300}"
. bench/serve.sh

export DATABASE_URL="$WORK/pulse.db" PULSE_PASSWORD="bench staff console passphrase" RUST_LOG=warn
"$PULSE_BIN" migrate >/dev/null
sqlite3 "$DATABASE_URL" -cmd ".parameter set @orgs $ORGS" < bench/staff_console_seed.sql
"$PULSE_BIN" create-user --email staff@bench.example --name "Bench Staff" --staff >/dev/null
echo "seeded: $(sqlite3 "$DATABASE_URL" "SELECT (SELECT COUNT(*) FROM organisations) || ' organisations, ' || (SELECT COUNT(*) FROM users) || ' people, ' || (SELECT COUNT(*) FROM api_tokens) || ' tokens, ' || (SELECT COUNT(*) FROM api_access_requests) || ' open requests'")"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

start_pulse
python3 bench/staff_console.py "$ADDRESS" "$REQUESTS" staff@bench.example "$PULSE_PASSWORD"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Benchmark (not a test): N feedback rows (default 1,000,000) in SQLite; times
# GET /api/v1/scores?group_by=month and a full CSV export of /api/v1/feedback against the same SQL
# run by the sqlite3 command-line tool, and reports the server's peak RSS (VmHWM) during the export.
#   bench/scores.sh            # 1,000,000 rows, release build
#   N=100000 bench/scores.sh   # quicker
# Needs: cargo, sqlite3, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-1000000}"
PORT="${PORT:-18088}"
PROFILE="${PROFILE:-release}"

if [ "$PROFILE" = release ]; then
  cargo build --release --quiet
  BIN=target/release/pulse
else
  cargo build --quiet
  BIN=target/debug/pulse
fi
WORK="$(mktemp -d)"
DB="$WORK/bench.db"
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

DATABASE_URL="$DB" "$BIN" create-org --name Bench --slug bench --api-enabled >/dev/null

# A token in the app's format (pulse_ + 43 base62 + base62 CRC32), stored as its SHA-256 digest.
read -r TOKEN DIGEST < <(python3 - <<'PY'
import hashlib, secrets, zlib
B = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
rnd = "".join(secrets.choice(B) for _ in range(43))
v, chk = zlib.crc32(rnd.encode()), ""
for _ in range(6):
    chk = B[v % 62] + chk; v //= 62
tok = "pulse_" + rnd + chk
print(tok, hashlib.sha256(tok.encode()).hexdigest())
PY
)

echo "Generating $N feedback rows..."
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
INSERT INTO api_tokens (organisation_id, digest, display_prefix, created_at, created_session, reveal_until)
  VALUES (1, '$DIGEST', substr('$TOKEN', 1, 10), datetime('now'), 'bench', datetime('now'));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
INSERT INTO clients (organisation_id, name, created_at) SELECT 1, 'Client ' || i, datetime('now') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO feedback (organisation_id, client_id, respondent_name, respondent_email, score, comment, survey, submitted_at)
  SELECT 1, 1 + i % 20, 'Respondent ' || i, 'r' || i || '@example.com', (i * 7919) % 11,
         CASE WHEN i % 3 = 0 THEN 'Comment, with "quotes" ' || i END, 'Q' || (1 + i % 4),
         -- spread over one year whatever N is
         datetime('2025-01-01', '+' || CAST(i * 31536000.0 / $N AS INTEGER) || ' seconds')
  FROM n;
ANALYZE;
SQL

PULSE_API_RATE_LIMIT=1000000 PULSE_BIND="127.0.0.1:$PORT" DATABASE_URL="$DB" RUST_LOG=warn \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

seconds() { date +%s.%N; }
best_of_3() { # prints the fastest of three runs of "$@", in seconds
  local best=""
  for _ in 1 2 3; do
    local t0 t1 d
    t0=$(seconds); "$@" >/dev/null; t1=$(seconds)
    d=$(python3 -c "print(round($t1 - $t0, 3))")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $d < $best else 1)"; then best=$d; fi
  done
  echo "$best"
}
api() { curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$1"; }

SCORES_SQL="SELECT strftime('%Y-%m', submitted_at) AS period,
  SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN score IN (7, 8) THEN 1 ELSE 0 END),
  SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END)
  FROM feedback WHERE organisation_id = 1 GROUP BY period ORDER BY period;"
EXPORT_SQL="SELECT f.id, f.submitted_at, f.client_id, c.name, f.respondent_name, f.respondent_email,
  f.score, f.comment, f.survey FROM feedback f JOIN clients c ON c.id = f.client_id
  WHERE f.organisation_id = 1 ORDER BY f.submitted_at DESC, f.id DESC;"

api_scores=$(best_of_3 api "/api/v1/scores?group_by=month")
cli_scores=$(best_of_3 sqlite3 "$DB" "$SCORES_SQL")
rss_before=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
api_export=$(best_of_3 api "/api/v1/feedback?format=csv")
rss_after=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER/status")
cli_export=$(best_of_3 sqlite3 -csv -header "$DB" "$EXPORT_SQL")
rows=$(api "/api/v1/feedback?format=csv" | python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')

ratio() { python3 -c "print(f'{$1 / max($2, 0.001):.1f}x')"; }
echo
echo "rows: $N in SQLite ($PROFILE build); CSV export returned $rows rows"
printf '%-32s %10s %10s %8s\n' "" "pulse (s)" "sqlite3 (s)" "ratio"
printf '%-32s %10s %10s %8s\n' "scores?group_by=month" "$api_scores" "$cli_scores" "$(ratio "$api_scores" "$cli_scores")"
printf '%-32s %10s %10s %8s\n' "full CSV export" "$api_export" "$cli_export" "$(ratio "$api_export" "$cli_export")"
echo "server peak RSS: ${rss_before} kB before the exports, ${rss_after} kB after (VmHWM)"

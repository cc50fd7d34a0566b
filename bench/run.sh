#!/usr/bin/env bash
# The performance benchmark (not a test): prints the tables BENCHMARKS.md keeps.
#
#  1. Throughput: wrk (1 thread, CONNECTIONS connections, DURATION each) against /healthz and the
#     API and page endpoints on one server with the demo data, SQLite then PostgreSQL; req/s,
#     share of /healthz measured on the same server in the same run, p50/p99, non-2xx.
#  2. Scores growth: GET /api/v1/scores?group_by=month as one database grows through GROWTH rows
#     (GROWTH_PG for PostgreSQL)
#     (p50/p99 over GROWTH_DURATION, one connection), next to the same aggregate over the raw
#     rows in the sqlite3 CLI (SQLite) or psql (PostgreSQL).
#  3. CSV export of EXPORT_ROWS rows (when growth passes it, SQLite): the full export against the
#     sqlite3 CLI's time for the same query, and the server's peak RSS during the export.
#  4. Scale-out: PostgreSQL with TOKENS organisations' tokens spread over the load; one instance
#     pinned to one core, then two instances pinned to a core each (taskset).
#
#   bench/run.sh                             # everything; builds --release unless PULSE_BIN is set
#   PULSE_BIN=/tmp/old/pulse LABEL="main" PARTS=throughput bench/run.sh   # a before/after
#   PARTS="throughput scaleout" DURATION=5s bench/run.sh
#   GROWTH="10000 100000" BACKENDS=sqlite bench/run.sh   # a quicker growth table
# Loopback only; every load is bounded by DURATION. Needs wrk, curl, sqlite3, psql, python3,
# taskset and a PostgreSQL server at PG (a database per part, dropped on exit).
set -euo pipefail
cd "$(dirname "$0")/.."

PG="${PG:-postgres://postgres@127.0.0.1:5432}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
GROWTH="${GROWTH:-10000 100000 1000000 10000000}"
GROWTH_PG="${GROWTH_PG:-10000 100000 1000000}"   # PostgreSQL loads 10M rows slowly on 2 cores
GROWTH_DURATION="${GROWTH_DURATION:-3s}"
EXPORT_ROWS="${EXPORT_ROWS:-1000000}"
TOKENS="${TOKENS:-50}"
PARTS="${PARTS:-throughput growth scaleout}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PASSWORD="bench password, not a secret"
for tool in wrk curl sqlite3 psql python3 taskset; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
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
  for db in "${DBS[@]}"; do psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Throughput is measured, not the per-token limit: lift it out of the way.
export PULSE_API_RATE_LIMIT=1000000000 PULSE_PASSWORD="$PASSWORD" RUST_LOG=warn
# PostgreSQL needs the reveal key from outside the database (SQLite keeps one beside its file).
export PULSE_REVEAL_KEY="${PULSE_REVEAL_KEY:-$(head -c 32 /dev/urandom | base64)}"
PORT=18200

serve() { # serve DATABASE_URL [taskset CPU list]; sets BASE and SERVER (its pid)
  PORT=$((PORT + 1))
  local pin=()
  [[ -n "${2:-}" ]] && pin=(taskset -c "$2")
  DATABASE_URL="$1" PULSE_BIND="127.0.0.1:$PORT" "${pin[@]}" "$PULSE_BIN" serve >"$WORK/serve-$PORT.log" 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  BASE="http://127.0.0.1:$PORT"
  for _ in $(seq 1 200); do curl -fs "$BASE/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "the server on $BASE did not start:" >&2; cat "$WORK/serve-$PORT.log" >&2; exit 1
}

stop() { kill "${PIDS[@]}" 2>/dev/null || true; wait "${PIDS[@]}" 2>/dev/null || true; PIDS=(); }

pg_database() { # creates a fresh database (dropped on exit) and sets PGURL to it
  local name="pulse_bench_$$_$1"
  psql "$PG/postgres" -qc "CREATE DATABASE $name" >/dev/null
  DBS+=("$name")
  PGURL="$PG/$name"
}

csrf() { grep -o 'name="csrf_token" value="[^"]*"' | head -n1 | sed 's/.*value="//; s/"$//'; }

# Signs in as EMAIL through the form (cookies in JAR).
sign_in() { # sign_in BASE EMAIL JAR
  local t
  rm -f "$3"
  t=$(curl -fs -c "$3" -b "$3" "$1/login" | csrf)
  curl -fs -o /dev/null -c "$3" -b "$3" -H "Origin: $1" "$1/login" --data-urlencode "csrf_token=$t" \
    --data-urlencode "email=$2" --data-urlencode "password=$PASSWORD"
}

# Generates organisation SLUG's token through its screen, as its owner; prints the token.
token() { # token BASE SLUG
  local jar="$WORK/jar-$2" t
  sign_in "$1" "owner@$2.example" "$jar"
  t=$(curl -fs -c "$jar" -b "$jar" "$1/orgs/$2/settings/api" | csrf)
  curl -fs -o /dev/null -c "$jar" -b "$jar" -H "Origin: $1" "$1/orgs/$2/settings/api/generate" \
    --data-urlencode "csrf_token=$t"
  curl -fs -c "$jar" -b "$jar" "$1/orgs/$2/settings/api" | grep -o 'pulse_[A-Za-z0-9]\{49\}' | head -n1
}

# An organisation with API access and its owner, through the command line.
organisation() { # organisation DATABASE_URL SLUG
  DATABASE_URL="$1" "$PULSE_BIN" create-org --name "Org $2" --slug "$2" --api-enabled >/dev/null
  DATABASE_URL="$1" "$PULSE_BIN" create-user --email "owner@$2.example" --name Owner --org "$2" --role owner >/dev/null
}

# Runs wrk and prints "req/s p50_ms p99_ms failed" (latencies in ms; failed counts non-2xx
# answers and socket errors, timeouts included).
measure() { # measure CONNECTIONS DURATION URL [wrk args...]
  local c="$1" d="$2" url="$3" out; shift 3
  out=$(mktemp -p "$WORK")  # several may run at once
  wrk -t1 -c"$c" -d"$d" --latency "$url" "$@" >"$out"
  python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\n\s+50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\n\s+99%\s+(\S+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
failed = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {failed}")
PY
}

# Seconds of the fastest of three runs of a command.
best_of_3() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(3):
    t0 = time.perf_counter()
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
    best = min(best or 1e9, time.perf_counter() - t0)
print(f"{best:.3f}")
PY
}

on() { [[ " $BACKENDS " == *" $1 "* ]]; }

ratio() { python3 -c "print(f'{$1 / max($2, 1e-9):.${3:-2}f}')"; }

throughput() { # throughput NAME DATABASE_URL
  DATABASE_URL="$2" "$PULSE_BIN" seed-demo >/dev/null
  serve "$2"
  local tok jar="$WORK/jar-screen" healthz=""
  tok=$(token "$BASE" acme)
  sign_in "$BASE" owner@acme.example "$jar"
  local cookie
  cookie=$(awk '$6 == "pulse_session" {print $6 "=" $7}' "$jar")
  echo
  echo "### $1: the demo data of \`pulse seed-demo\`, wrk -t1 -c$CONNECTIONS -d$DURATION"
  echo
  echo "| endpoint | req/s | share of /healthz | p50 ms | p99 ms | non-2xx or socket errors |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  local auth=(-H "Authorization: Bearer $tok")
  while IFS='|' read -r label path kind; do
    local args=()
    case "$kind" in
      api) args=("${auth[@]}") ;;
      page) args=(-H "Cookie: $cookie") ;;
    esac
    read -r rps p50 p99 bad < <(measure "$CONNECTIONS" "$DURATION" "$BASE$path" "${args[@]}")
    [[ -z "$healthz" ]] && healthz="$rps"
    printf '| %s | %s | %s%% | %s | %s | %s |\n' "$label" "$rps" "$(ratio "100 * $rps" "$healthz" 0)" "$p50" "$p99" "$bad"
  done <<'ENDPOINTS'
`/healthz` (ceiling)|/healthz|none
`/api/v1/whoami`|/api/v1/whoami|api
`/api/v1/clients`|/api/v1/clients|api
`/api/v1/feedback?limit=100`|/api/v1/feedback?limit=100|api
`/api/v1/scores?group_by=month`|/api/v1/scores?group_by=month|api
`/orgs/acme/settings/api` (signed in)|/orgs/acme/settings/api|page
ENDPOINTS
  stop
}

# Adds rows to organisation 1 (20 clients, 4 surveys, spread over 2025) until it has $2 of them.
grow_sqlite() { # grow_sqlite DB TOTAL
  local have
  have=$(sqlite3 "$1" "SELECT COUNT(*) FROM feedback")
  sqlite3 "$1" >/dev/null <<SQL
WITH RECURSIVE n(i) AS (SELECT $have + 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO feedback (organisation_id, client_id, respondent_name, respondent_email, score, comment, survey, submitted_at)
  SELECT 1, 1 + i % 20, 'Respondent ' || i, 'r' || i || '@example.com', (i * 7919) % 11,
         CASE WHEN i % 3 = 0 THEN 'Comment, with "quotes" ' || i END, 'Q' || (1 + i % 4),
         datetime('2025-01-01', '+' || ((i * 7907) % 31536000) || ' seconds')
  FROM n;
ANALYZE;
SQL
}

grow_pg() { # grow_pg URL TOTAL (in steps of at most a million rows per statement)
  local have
  have=$(psql -Atq "$1" -c "SELECT COUNT(*) FROM feedback")
  while (( have < $2 )); do
    local to=$(( $2 < have + 1000000 ? $2 : have + 1000000 ))
    psql -q "$1" >/dev/null <<SQL
INSERT INTO feedback (organisation_id, client_id, respondent_name, respondent_email, score, comment, survey, submitted_at)
  SELECT 1, 1 + i % 20, 'Respondent ' || i, 'r' || i || '@example.com', (i * 7919) % 11,
         CASE WHEN i % 3 = 0 THEN 'Comment, with "quotes" ' || i END, 'Q' || (1 + i % 4),
         TIMESTAMP '2025-01-01' + ((i * 7907) % 31536000) * INTERVAL '1 second'
  FROM generate_series(CAST($have + 1 AS BIGINT), $to) AS i;
SQL
    have=$to
  done
  psql -q "$1" -c "ANALYZE" >/dev/null
}

RAW_SQL_SQLITE="SELECT strftime('%Y-%m', submitted_at) AS period,
  SUM(score >= 9), SUM(score IN (7, 8)), SUM(score <= 6)
  FROM feedback WHERE organisation_id = 1 GROUP BY period ORDER BY period;"
RAW_SQL_PG="SELECT to_char(submitted_at, 'YYYY-MM') AS period,
  COUNT(*) FILTER (WHERE score >= 9), COUNT(*) FILTER (WHERE score IN (7, 8)),
  COUNT(*) FILTER (WHERE score <= 6)
  FROM feedback WHERE organisation_id = 1 GROUP BY period ORDER BY period;"
EXPORT_SQL="SELECT f.id, f.submitted_at, f.client_id, c.name, f.respondent_name, f.respondent_email,
  f.score, f.comment, f.survey FROM feedback f JOIN clients c ON c.id = f.client_id
  WHERE f.organisation_id = 1 ORDER BY f.submitted_at DESC, f.id DESC;"

csv_export() { # csv_export DB (SQLite, served at BASE by SERVER, token TOK)
  local api cli rows peak before
  # A fresh process, so that the peak is the export's and not memory the allocator kept from
  # earlier work (a sign-in's argon2 hash alone takes 19 MiB).
  stop
  serve "$1"
  echo 5 >"/proc/$SERVER/clear_refs"  # resets the peak RSS (VmHWM) to the current RSS
  before=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status")
  api=$(best_of_3 curl -fsS -o /dev/null -H "Authorization: Bearer $TOK" "$BASE/api/v1/feedback?format=csv")
  peak=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status")
  cli=$(best_of_3 sqlite3 -csv -header "$1" "$EXPORT_SQL")
  rows=$(curl -fsS -H "Authorization: Bearer $TOK" "$BASE/api/v1/feedback?format=csv" | python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')
  EXPORT_LINE="| $rows | $api | $cli | $(ratio "$api" "$cli") | $before | $peak |"
}

growth() { # growth NAME sqlite|postgres
  local url kind="$2" raw
  if [[ "$kind" == sqlite ]]; then url="$WORK/growth.db"; else pg_database growth; url="$PGURL"; fi
  organisation "$url" bench
  if [[ "$kind" == sqlite ]]; then
    sqlite3 "$url" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
      INSERT INTO clients (organisation_id, name, created_at) SELECT 1, 'Client ' || i, datetime('now') FROM n;"
  else
    psql -q "$url" -c "INSERT INTO clients (organisation_id, name, created_at)
      SELECT 1, 'Client ' || i, now() FROM generate_series(1, 20) AS i" >/dev/null
  fi
  serve "$url"
  TOK=$(token "$BASE" bench)
  echo
  echo "### Scores growth, $1 (\`/api/v1/scores?group_by=month\`, one connection, $GROWTH_DURATION per size)"
  echo
  echo "| responses | rollup rows | req/s | p50 ms | p99 ms | raw aggregate in $( [[ $kind == sqlite ]] && echo sqlite3 || echo psql ) (s) | raw ÷ p50 |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  EXPORT_LINE=""
  local sizes="$GROWTH"
  [[ "$kind" == postgres ]] && sizes="$GROWTH_PG"
  for n in $sizes; do
    if [[ "$kind" == sqlite ]]; then grow_sqlite "$url" "$n"; else grow_pg "$url" "$n"; fi
    local rollups
    if [[ "$kind" == sqlite ]]; then
      rollups=$(sqlite3 "$url" "SELECT COUNT(*) FROM feedback_daily")
      raw=$(best_of_3 sqlite3 "$url" "$RAW_SQL_SQLITE")
    else
      rollups=$(psql -Atq "$url" -c "SELECT COUNT(*) FROM feedback_daily")
      raw=$(best_of_3 psql -Atq "$url" -c "$RAW_SQL_PG")
    fi
    read -r rps p50 p99 bad < <(measure 1 "$GROWTH_DURATION" "$BASE/api/v1/scores?group_by=month" -H "Authorization: Bearer $TOK")
    printf '| %s | %s | %s | %s | %s | %s | %s× |\n' "$n" "$rollups" "$rps" "$p50" "$p99" "$raw" "$(ratio "1000 * $raw" "$p50" 0)"
    [[ "$bad" == 0 ]] || echo "($bad non-2xx responses)"
    if [[ "$kind" == sqlite && "$n" == "$EXPORT_ROWS" ]]; then csv_export "$url"; fi
  done
  if [[ -n "$EXPORT_LINE" ]]; then
    echo
    echo "### Full CSV export, SQLite (\`/api/v1/feedback?format=csv\` vs \`sqlite3 -csv\` of the same query, best of 3)"
    echo
    echo "| rows | pulse (s) | sqlite3 (s) | ratio | server RSS before (MiB) | peak RSS during the exports (MiB) |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    echo "$EXPORT_LINE"
  fi
  stop
}

# wrk script: each request carries one of the tokens in tokens.txt, in turn.
cat >"$WORK/tokens.lua" <<'LUA'
local tokens, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
end
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/api/v1/whoami", { ["Authorization"] = "Bearer " .. tokens[i] })
end
LUA

scaleout() {
  local url one two a b
  pg_database scaleout
  url="$PGURL"
  DATABASE_URL="$url" "$PULSE_BIN" migrate >/dev/null
  for i in $(seq 1 "$TOKENS"); do organisation "$url" "org$i"; done
  serve "$url" 0
  for i in $(seq 1 "$TOKENS"); do token "$BASE" "org$i"; done >"$WORK/tokens.txt"
  read -r one p50 p99 bad < <(measure "$CONNECTIONS" "$DURATION" "$BASE/" -s "$WORK/tokens.lua" -- "$WORK/tokens.txt")
  a="$BASE"
  serve "$url" 1
  b="$BASE"
  # Half the tokens to each instance, as a balancer spreading many reporting tools would.
  split -n l/2 "$WORK/tokens.txt" "$WORK/half-"
  measure $((CONNECTIONS / 2)) "$DURATION" "$a/" -s "$WORK/tokens.lua" -- "$WORK/half-aa" >"$WORK/a.txt" &
  local first=$!
  measure $((CONNECTIONS / 2)) "$DURATION" "$b/" -s "$WORK/tokens.lua" -- "$WORK/half-ab" >"$WORK/b.txt"
  wait "$first"
  two=$(awk '{s += $1} END {print s}' "$WORK/a.txt" "$WORK/b.txt")
  echo
  echo "### Scale-out, PostgreSQL: \`/api/v1/whoami\` with $TOKENS tokens, wrk -t1 -c$CONNECTIONS -d$DURATION"
  echo
  echo "| instances | req/s | p99 ms | non-2xx or socket errors |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| 1, pinned to core 0 | $one | $p99 | $bad |"
  echo "| 2, pinned to cores 0 and 1 | $two | $(cut -d' ' -f3 "$WORK/a.txt") / $(cut -d' ' -f3 "$WORK/b.txt") | $(( $(cut -d' ' -f4 "$WORK/a.txt") + $(cut -d' ' -f4 "$WORK/b.txt") )) |"
  echo
  echo "Two instances ÷ one: $(ratio "$two" "$one")×"
  if grep -qiE "error|warn" "$WORK"/serve-*.log; then
    echo; echo "Server warnings:"; grep -hiE -A3 "warn|error" "$WORK"/serve-*.log | cut -c1-400 | head -20
  fi
  stop
}

echo "## bench/run.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); load average before: $(cut -d' ' -f1-3 /proc/loadavg); ${LABEL:-pulse $(git rev-parse --short HEAD)} release build; $(psql -Atq "$PG/postgres" -c 'SHOW server_version') PostgreSQL on loopback."
for part in $PARTS; do
  case "$part" in
    throughput)
      if on sqlite; then throughput "SQLite" "$WORK/demo.db"; fi
      if on postgres; then pg_database demo; throughput "PostgreSQL" "$PGURL"; fi
      ;;
    growth)
      if on sqlite; then growth "SQLite" sqlite; fi
      if on postgres; then growth "PostgreSQL" postgres; fi
      ;;
    scaleout) scaleout ;;
    *) echo "unknown part $part (throughput, growth, scaleout)" >&2; exit 1 ;;
  esac
done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Sourced by the bench scripts (from the repository's root): a work folder $WORK, removed on
# exit with the server, and `start_pulse`, which runs `$PULSE_BIN serve` on a loopback port the
# OS picks (its log in $WORK/server.log) and sets ADDRESS once it listens.
WORK="$(mktemp -d)"
PID=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

start_pulse() {
  PULSE_BIND=127.0.0.1:0 "$PULSE_BIN" serve >"$WORK/stdout" 2>"$WORK/server.log" &
  PID=$!
  ADDRESS=""
  for _ in $(seq 1 100); do
    ADDRESS="$(sed -n 's/^Pulse is listening on //p' "$WORK/stdout")"
    [[ -n "$ADDRESS" ]] && break
    sleep 0.1
  done
  [[ -n "$ADDRESS" ]] || { echo "pulse serve did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
}

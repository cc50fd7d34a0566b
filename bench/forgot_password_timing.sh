#!/usr/bin/env bash
# "Forgot your password?" answers alike whether or not an account has the address (issue 18):
# times POST /forgot-password for addresses with and without an account, interleaved at random
# in one run against one server on loopback, and reports the medians and their ratio. Each
# address is asked once and each request comes from its own client address
# (PULSE_TRUST_PROXY, X-Forwarded-For), so the throttles measure nothing here.
#
#   bench/forgot_password_timing.sh             # debug build unless PULSE_BIN is set
#   ROUNDS=300 PULSE_BIN=target/release/pulse bench/forgot_password_timing.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PULSE_BIN:-}" ]]; then
  cargo build --quiet --bin pulse
  PULSE_BIN=target/debug/pulse
fi
ROUNDS="${ROUNDS:-200}"
. bench/serve.sh

export DATABASE_URL="$WORK/pulse.db" PULSE_PASSWORD="bench forgot password passphrase" RUST_LOG=warn
export PULSE_TRUST_PROXY=true
for n in $(seq 0 $((ROUNDS - 1))); do
  "$PULSE_BIN" create-user --email "known$n@bench.example" --name "Known $n" >/dev/null
done

start_pulse
python3 bench/forgot_password_timing.py "$ADDRESS" "$ROUNDS"

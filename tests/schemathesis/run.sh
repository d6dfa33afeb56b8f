#!/usr/bin/env bash
# Schema-driven fuzzing of the quickstart with schemathesis (PyPI), every check but
# negative_data_rejection (see schemathesis.toml), with auth off and on; agencies run against
# the fake OpenAI server (agency-testing's `fake-openai`). Exits non-zero on any failure.
#
# Usage: tests/schemathesis/run.sh          (needs `st`: pip install schemathesis==4.32.5)
#        EXAMPLES=300 SEED=7 tests/schemathesis/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/schemathesis
EXAMPLES="${EXAMPLES:-100}"
SEED="${SEED:-1}"
TOKEN=schemathesis-token

cargo build --quiet --example quickstart
cargo build --quiet -p agency-testing --bin fake-openai
target_dir="${CARGO_TARGET_DIR:-target}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

fake_port=$(free_port)
"$target_dir/debug/fake-openai" "$fake_port" >/dev/null &
pids+=($!)

# Serves the quickstart on a free port (with APP_TOKEN=$1 when given), in $port. (Not in a
# command substitution: its subshell would keep the pid from `cleanup`.)
serve() {
    port=$(free_port)
    APP_TOKEN="${1:-}" AGENCY_THREADS="sqlite://$target_dir/schemathesis-threads-$port.db" OPENAI_BASE_URL="http://127.0.0.1:$fake_port/v1" OPENAI_API_KEY=fake \
        AGENCY_MODEL_MAX_RETRIES=0 RUST_LOG=warn \
        "$target_dir/debug/examples/quickstart" serve --host 127.0.0.1 --port "$port" \
        >"$target_dir/schemathesis-quickstart-$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/openapi.json" >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "the quickstart did not start on $port" >&2
    exit 1
}

fuzz() {
    local port=$1
    shift
    st --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
        --checks all --exclude-checks negative_data_rejection \
        --max-examples "$EXAMPLES" --seed "$SEED" --workers 2 --request-timeout 20 \
        --no-color "$@"
}

# Both runs at once (each is mostly waiting on its server), each report printed whole.
serve ""
off_port=$port
serve "$TOKEN"
on_port=$port
fuzz "$off_port" >"$target_dir/schemathesis-auth-off.txt" 2>&1 &
off=$!
fuzz "$on_port" --header "Authorization: Bearer $TOKEN" >"$target_dir/schemathesis-auth-on.txt" 2>&1 &
on=$!
status=0
wait "$off" || status=1
echo "== schemathesis: auth off"
cat "$target_dir/schemathesis-auth-off.txt"
wait "$on" || status=1
echo "== schemathesis: auth on"
cat "$target_dir/schemathesis-auth-on.txt"
exit "$status"

#!/usr/bin/env bash
# Fuzzes the running eider-api against its own OpenAPI document with schemathesis (PyPI):
# a fixed number of examples per operation; fails on any 5xx or any response that does not
# match the documented schema. Usage: api/tests/schemathesis.sh [EXAMPLES]  (default 20).
# Needs python3 with venv; installs schemathesis into /var/tmp/eider-schemathesis once.
# The event stream (never ends) is excluded; it has its own tests in api/tests/updates.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLES="${1:-20}"
VENV=/var/tmp/eider-schemathesis
if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'schemathesis==4.32.5'
fi
cargo build -q -p eider-api --bin eider-api
BIN="${CARGO_TARGET_DIR:-target}/debug/eider-api"
DIR="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOKEN="schemathesis-$(date +%s%N)"
cat > "$DIR/config.toml" <<CONF
data_dir = "$DIR/data"
[api]
listen = "127.0.0.1:$PORT"
operator_tokens = ["$TOKEN"]
[auth]
failure_delay_ms = 0
CONF
mkdir -p "$DIR/data"
"$BIN" --config "$DIR/config.toml" > "$DIR/log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
    sleep 0.1
done
# A user with a message, so that generated ids sometimes hit something real.
curl -sf -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"username":"fuzz","password":"fuzz","addresses":["fuzz@example.org"]}' \
    "http://127.0.0.1:$PORT/users" >/dev/null
"$VENV/bin/st" run "http://127.0.0.1:$PORT/openapi.json" \
    -H "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,response_schema_conformance \
    --exclude-path /users/{user}/updates \
    --max-examples "$EXAMPLES" --workers 1 --seed 1 \
    --generation-database none --no-color
if grep -q panicked "$DIR/log"; then
    cat "$DIR/log"
    exit 1
fi

#!/usr/bin/env bash
# The same LMTP and IMAP load against eider-ingest / eider-imapd on the embedded store and on
# MongoDB (by default a private SecantusDB stand-in, in memory, on a free port; set MONGO_URL to
# use a real server instead). Prints one JSON row per run (see lmtp-load / imap-load).
#
# usage: bench/scripts/mongo-vs-embedded.sh [CORPUS_DIR] [MESSAGES] [CONNECTIONS]
#   defaults: ../shared/corpus/linux-mips 2000 8
# env: SECANTUSD (default /var/tmp/secantus/bin/secantusd-py), MONGO_URL, USERS (10),
#      IMAP_SECS (20), IMAP_CLIENTS (10), CARGO_TARGET_DIR, PROFILE (release; `debug` for the dev
#      profile, whose dependencies are optimised but Eider's own code is not).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CORPUS=${1:-$ROOT/../shared/corpus/linux-mips}
MESSAGES=${2:-2000}
CONNS=${3:-8}
USERS=${USERS:-10}
IMAP_SECS=${IMAP_SECS:-20}
IMAP_CLIENTS=${IMAP_CLIENTS:-10}
SECANTUSD=${SECANTUSD:-/var/tmp/secantus/bin/secantusd-py}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PROFILE=${PROFILE:-release}
BIN=$CARGO_TARGET_DIR/$PROFILE
if [ "$PROFILE" = release ]; then
    cargo build --release -q -p eider -p eider-ingest -p eider-imapd -p eider-bench
else
    cargo build -q -p eider -p eider-ingest -p eider-imapd -p eider-bench
fi
WORK=$(mktemp -d /tmp/eider-bench-mongo.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 300); do
        (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $1" >&2
    return 1
}

if [ -z "${MONGO_URL:-}" ]; then
    MPORT=$(free_port)
    "$SECANTUSD" --host 127.0.0.1 --port "$MPORT" --storage-path :memory: --log-level WARNING \
        >"$WORK/secantus.log" 2>&1 &
    PIDS+=($!)
    wait_port "$MPORT"
    MONGO_URL="mongodb://127.0.0.1:$MPORT/?directConnection=true"
fi

run() { # run LABEL BACKEND
    local label=$1 backend=$2 lport iport
    lport=$(free_port)
    iport=$(free_port)
    cat > "$WORK/$label.toml" <<CONF
data_dir = "$WORK/$label-data"
[store]
backend = "$backend"
[mongodb]
url = "$MONGO_URL"
database = "eider_bench_$$"
max_pool_size = 64
[lmtp]
listen = "127.0.0.1:$lport"
[imap]
listen = "127.0.0.1:$iport"
[pop3]
listen = ""
[api]
listen = ""
[auth]
failure_delay_ms = 0
CONF
    for n in $(seq 1 "$USERS"); do
        "$BIN/eider" -c "$WORK/$label.toml" user add "testuser$n" --password pass \
            --address "testuser$n@localhost" >/dev/null
    done
    RUST_LOG=warn "$BIN/eider-ingest" -c "$WORK/$label.toml" &
    local ingest=$!
    PIDS+=("$ingest")
    wait_port "$lport"
    "$BIN/lmtp-load" --addr "127.0.0.1:$lport" --corpus "$CORPUS" --connections "$CONNS" \
        --messages "$MESSAGES" --users "$USERS" --pid "$ingest" --label "$label-lmtp"
    kill "$ingest"; wait "$ingest" 2>/dev/null || true
    RUST_LOG=warn "$BIN/eider-imapd" -c "$WORK/$label.toml" &
    local imapd=$!
    PIDS+=("$imapd")
    wait_port "$iport"
    "$BIN/imap-load" --addr "127.0.0.1:$iport" --clients "$IMAP_CLIENTS" --seconds "$IMAP_SECS" \
        --users "$USERS" --pid "$imapd" --label "$label-imap"
    kill "$imapd"; wait "$imapd" 2>/dev/null || true
}

run embedded embedded
run mongodb mongodb

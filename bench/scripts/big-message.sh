#!/usr/bin/env bash
# Ingest memory: a fresh eider-ingest (embedded store, [store] cache_mib = $CACHE_MIB, default 8)
# receives one message with a $MB MB base64 attachment; prints its resident memory before, at the
# peak and after (bench binary big-message). Target (issue 3): growth under 16 MiB for 100 MB.
#
# usage: bench/scripts/big-message.sh        (CACHE_MIB=16 MB=200 ... to vary)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MB=${MB:-100}
CACHE_MIB=${CACHE_MIB:-8}
PORT=${PORT:-24250}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release

[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p eider -p eider-ingest -p eider-bench
WORK=$(mktemp -d /tmp/eider-big.XXXXXX)
trap 'kill "${EIDER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/eider.toml" <<CONF
data_dir = "$WORK/eider-data"
[store]
cache_mib = $CACHE_MIB
[lmtp]
listen = "127.0.0.1:$PORT"
[imap]
listen = ""
[pop3]
listen = ""
[api]
listen = ""
[limits]
max_message_size = 1073741824
CONF
"$BIN/eider" -c "$WORK/eider.toml" user add testuser1 --password pass \
    --address testuser1@localhost >/dev/null
RUST_LOG=warn "$BIN/eider-ingest" -c "$WORK/eider.toml" &
EIDER_PID=$!
for _ in $(seq 1 100); do
    (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
"$BIN/big-message" --addr "127.0.0.1:$PORT" --pid "$EIDER_PID" --rcpt testuser1@localhost \
    --mb "$MB" --label "eider cache_mib=$CACHE_MIB"

#!/usr/bin/env bash
# N idle authenticated IMAP connections (LOGIN, SELECT INBOX, IDLE) held open against eider-imapd
# (run by `imap-idle serve`: the daemon's start-up with the global connection limit raised), and
# the daemon's resident memory while they are held. INBOXes get a few corpus messages first.
#
# usage: bench/scripts/imap-idle.sh [CONNECTIONS] [USERS] [HOLD_SECONDS]
#   defaults: 10000 100 10; env IDLE=false just leaves the connections selected.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CONNS=${1:-10000}
USERS=${2:-100}
HOLD=${3:-10}
PORT=${PORT:-11431}
LMTP_PORT=${LMTP_PORT:-24251}
CORPUS=${CORPUS:-$ROOT/../shared/corpus/linux-mips}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release
# Server and client are separate processes: each needs one descriptor per connection.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $(( CONNS + 200 )) ] \
    || { echo "ulimit -n $(ulimit -n) is too low for $CONNS connections" >&2; exit 1; }

cargo build --release -q -p eider -p eider-ingest -p eider-bench
WORK=$(mktemp -d /tmp/eider-idle.XXXXXX)
trap 'kill "${EIDER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
wait_port() {
    for _ in $(seq 1 100); do
        (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
PER_USER=$(( (CONNS + USERS - 1) / USERS ))
cat > "$WORK/eider.toml" <<CONF
data_dir = "$WORK/eider-data"
[lmtp]
listen = "127.0.0.1:$LMTP_PORT"
[imap]
listen = "127.0.0.1:$PORT"
# Every load connection comes from 127.0.0.1.
max_connections_per_address = 0
[pop3]
listen = ""
[api]
listen = ""
[limits]
imap_connections_per_user = $PER_USER
CONF
for n in $(seq 1 "$USERS"); do
    "$BIN/eider" -c "$WORK/eider.toml" user add "testuser$n" --password pass \
        --address "testuser$n@localhost" >/dev/null
done
RUST_LOG=warn "$BIN/eider-ingest" -c "$WORK/eider.toml" &
EIDER_PID=$!
wait_port "$LMTP_PORT"
"$BIN/lmtp-load" --addr "127.0.0.1:$LMTP_PORT" --corpus "$CORPUS" --connections 2 \
    --messages $(( USERS * 20 )) --users "$USERS" --label fill >&2
kill "$EIDER_PID"; wait "$EIDER_PID" 2>/dev/null || true

RUST_LOG=warn "$BIN/imap-idle" serve -c "$WORK/eider.toml" --max-connections $(( CONNS + 100 )) &
EIDER_PID=$!
wait_port "$PORT"
"$BIN/imap-idle" connect --addr "127.0.0.1:$PORT" --connections "$CONNS" --users "$USERS" \
    --hold "$HOLD" --idle "${IDLE:-true}" --pid "$EIDER_PID" --label eider-imapd

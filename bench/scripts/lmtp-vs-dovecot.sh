#!/usr/bin/env bash
# Delivers one corpus folder over LMTP to Eider and then to Dovecot (Debian's package, via
# ../shared/tools/dovecot-up.sh), with the same load generator, messages, connections and fan-out.
# Prints one JSON row per server (messages/s, MB/s, latency percentiles, peak RSS) and the disk
# usage of what each stored.
#
# usage: bench/scripts/lmtp-vs-dovecot.sh [CORPUS_DIR] [CONNECTIONS] [FANOUT]
#   defaults: ../shared/corpus/linux-mips 8 1
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CORPUS=${1:-$ROOT/../shared/corpus/linux-mips}
CONNS=${2:-8}
FANOUT=${3:-1}
USERS=${USERS:-10}
PORT=${PORT:-24240}
TOOLS=${TOOLS:-$ROOT/../shared/tools}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release

cargo build --release -q -p eider -p eider-ingest -p eider-bench
WORK=$(mktemp -d /tmp/eider-bench.XXXXXX)
chmod 755 "$WORK"  # Dovecot delivers as the vmail user below it
trap 'kill "${EIDER_PID:-}" 2>/dev/null || true; DT=$WORK/dovecot "$TOOLS/dovecot-down.sh" >/dev/null 2>&1 || true' EXIT

cat > "$WORK/eider.toml" <<CONF
data_dir = "$WORK/eider-data"
[lmtp]
listen = "127.0.0.1:$PORT"
[imap]
listen = ""
[pop3]
listen = ""
[api]
listen = ""
CONF
for n in $(seq 1 "$USERS"); do
    "$BIN/eider" -c "$WORK/eider.toml" user add "testuser$n" --password pass \
        --address "testuser$n@localhost" >/dev/null
done
RUST_LOG=warn "$BIN/eider-ingest" -c "$WORK/eider.toml" &
EIDER_PID=$!
for _ in $(seq 1 100); do
    (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
"$BIN/lmtp-load" --addr "127.0.0.1:$PORT" --corpus "$CORPUS" --connections "$CONNS" \
    --users "$USERS" --fanout "$FANOUT" --pid "$EIDER_PID" --label eider
kill "$EIDER_PID"; wait "$EIDER_PID" 2>/dev/null || true; EIDER_PID=
echo "{\"label\":\"eider\",\"disk_kib\":$(du -sk "$WORK/eider-data" | cut -f1)}"

export DT=$WORK/dovecot
"$TOOLS/dovecot-up.sh" --clean >/dev/null 2>&1
DPID=$(cat "$DT/run/master.pid")
"$BIN/lmtp-load" --addr 127.0.0.1:10024 --corpus "$CORPUS" --connections "$CONNS" \
    --users "$USERS" --fanout "$FANOUT" --pid "$DPID" --label dovecot
"$TOOLS/dovecot-down.sh" >/dev/null 2>&1 || true
echo "{\"label\":\"dovecot\",\"disk_kib\":$(du -sk "$DT/mail" | cut -f1)}"

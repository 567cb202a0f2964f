#!/usr/bin/env bash
# IMAP load against Eider and Dovecot side by side: fills both with the same corpus messages over
# LMTP (the same users, same order), gives both the same password hash cost (Eider's argon2id
# parameters; Dovecot reads `{ARGON2ID}` PHC strings through libsodium), then runs `imap-load`
# with the same seed against each server in turn, alternating Eider and Dovecot for every client
# count and round, so slow phases of a shared machine hit both. One JSON row per run: ops/s,
# latency percentiles and server CPU per operation (Dovecot's whole process tree).
#
# usage: bench/scripts/imap-vs-dovecot.sh [CORPUS_DIR] [MESSAGES] [SECONDS] [ROUNDS] [CLIENTS...]
#   defaults: ../shared/corpus/linux-mips 2000 20 2 10 50
# env: USERS (10), PORT (Eider IMAP, 11430), LMTP_PORT (24250), TOOLS, CARGO_TARGET_DIR,
#      DOVECOT_IMAP_PORT / _LMTP_PORT / _POP3_PORT (10243 / 10124 / 10210: not dovecot-up.sh's
#      defaults, so a Dovecot someone else runs on those is left alone),
#      PLAIN=1 gives Dovecot `{PLAIN}` passwords instead (its test default; Eider keeps argon2id),
#      SEARCH='BODY foo;TEXT bar' times these searches on testuser1's INBOX (one client, REPEAT
#      times each, default 3) instead of the random load; e.g. USERS=1 with 10000 messages.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CORPUS=${1:-$ROOT/../shared/corpus/linux-mips}
MESSAGES=${2:-2000}
SECONDS_RUN=${3:-20}
ROUNDS=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
CLIENTS=("$@")
[ ${#CLIENTS[@]} -gt 0 ] || CLIENTS=(10 50)
USERS=${USERS:-10}
PORT=${PORT:-11430}
LMTP_PORT=${LMTP_PORT:-24250}
TOOLS=${TOOLS:-$ROOT/../shared/tools}
export IMAP_PORT=${DOVECOT_IMAP_PORT:-10243} LMTP_PORT_D=${DOVECOT_LMTP_PORT:-10124}
export POP3_PORT=${DOVECOT_POP3_PORT:-10210}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release

cargo build --release -q -p eider -p eider-ingest -p eider-imapd -p eider-bench
WORK=$(mktemp -d /tmp/eider-imapbench.XXXXXX)
chmod 755 "$WORK"  # Dovecot delivers as the vmail user below it
export DT=$WORK/dovecot
cleanup() {
    kill "${EIDER_PID:-}" 2>/dev/null || true
    "$TOOLS/dovecot-down.sh" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 100); do
        (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "port $1 did not open" >&2
    return 1
}

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
CONF
for n in $(seq 1 "$USERS"); do
    "$BIN/eider" -c "$WORK/eider.toml" user add "testuser$n" --password pass \
        --address "testuser$n@localhost" >/dev/null
done
# The same messages to both servers: one LMTP connection keeps the order (and so the sequence
# numbers the load generator picks) identical.
RUST_LOG=warn "$BIN/eider-ingest" -c "$WORK/eider.toml" &
EIDER_PID=$!
wait_port "$LMTP_PORT"
"$BIN/lmtp-load" --addr "127.0.0.1:$LMTP_PORT" --corpus "$CORPUS" --connections 1 \
    --messages "$MESSAGES" --users "$USERS" --label eider-fill >&2
kill "$EIDER_PID"; wait "$EIDER_PID" 2>/dev/null || true
RUST_LOG=warn "$BIN/eider-imapd" -c "$WORK/eider.toml" &
EIDER_PID=$!
wait_port "$PORT"

LMTP_PORT=$LMTP_PORT_D "$TOOLS/dovecot-up.sh" --clean >/dev/null 2>&1
DPID=$(cat "$DT/run/master.pid")
if [ "${PLAIN:-0}" != 1 ]; then
    # passwd-file is re-read when it changes; same uid/gid/home columns, argon2id password.
    VUID=$(id -u vmail); VGID=$(id -g vmail)
    : > "$DT/users.new"
    for n in $(seq 1 "${NUSERS:-100}"); do
        echo "testuser$n:{ARGON2ID}$("$BIN/hash-password" pass):$VUID:$VGID::$DT/mail/testuser$n" \
            >> "$DT/users.new"
    done
    chmod 0644 "$DT/users.new"
    mv "$DT/users.new" "$DT/users"
    sed -i 's/scheme=PLAIN //' "$DT/dovecot.conf"
    doveadm -c "$DT/dovecot.conf" reload
fi
"$BIN/lmtp-load" --addr "127.0.0.1:$LMTP_PORT_D" --corpus "$CORPUS" --connections 1 \
    --messages "$MESSAGES" --users "$USERS" --label dovecot-fill >&2

echo "{\"machine\":\"$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)\",\"messages\":$MESSAGES,\"users\":$USERS,\"dovecot_passwords\":\"$([ "${PLAIN:-0}" = 1 ] && echo plain || echo argon2id)\"}"
if [ -n "${SEARCH:-}" ]; then
    IFS=';' read -r -a QUERIES <<< "$SEARCH"
    for round in $(seq 1 "$ROUNDS"); do
        for q in "${QUERIES[@]}"; do
            "$BIN/imap-load" --addr "127.0.0.1:$PORT" --search "$q" --repeat "${REPEAT:-3}" \
                --pid "$EIDER_PID" --label "eider r$round"
            "$BIN/imap-load" --addr "127.0.0.1:$IMAP_PORT" --search "$q" --repeat "${REPEAT:-3}" \
                --pid "$DPID" --label "dovecot r$round"
        done
    done
    exit 0
fi
for round in $(seq 1 "$ROUNDS"); do
    for c in "${CLIENTS[@]}"; do
        "$BIN/imap-load" --addr "127.0.0.1:$PORT" --clients "$c" --seconds "$SECONDS_RUN" \
            --users "$USERS" --seed "$round" --pid "$EIDER_PID" --label "eider r$round"
        "$BIN/imap-load" --addr "127.0.0.1:$IMAP_PORT" --clients "$c" --seconds "$SECONDS_RUN" \
            --users "$USERS" --seed "$round" --pid "$DPID" --label "dovecot r$round"
    done
done

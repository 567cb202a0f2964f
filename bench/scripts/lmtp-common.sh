# Shared by lmtp-vs-dovecot.sh and storage.sh (sourced, not run): an Eider LMTP daemon on the
# embedded store and a private Dovecot, each fed by the same lmtp-load command.
#
# The caller sets ROOT (the repository), CORPUS, CONNS, FANOUT, and may set USERS (10),
# PORT (Eider's LMTP, 24240), DOVECOT_LMTP (10024; with IMAP_PORT and POP3_PORT when another
# Dovecot runs), TOOLS (../shared/tools), CARGO_TARGET_DIR, BIN (the binaries; default the
# release ones, built unless NO_BUILD=1); then calls lmtp_init.

lmtp_init() {
    USERS=${USERS:-10}
    PORT=${PORT:-24240}
    DOVECOT_LMTP=${DOVECOT_LMTP:-10024}
    TOOLS=${TOOLS:-$ROOT/../shared/tools}
    # A worktree under /work/wt/NAME sits one level deeper than main.
    [ -d "$TOOLS" ] || TOOLS=$ROOT/../../shared/tools
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    BIN=${BIN:-$CARGO_TARGET_DIR/release}
    [ -n "${NO_BUILD:-}" ] || cargo build --release -q -p eider -p eider-ingest -p eider-bench
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/eider-bench.XXXXXX")
    chmod 755 "$WORK"  # Dovecot delivers as the vmail user below it
    trap lmtp_cleanup EXIT
}

lmtp_cleanup() {
    kill "${EIDER_PID:-}" 2>/dev/null || true
    DT=$WORK/dovecot "$TOOLS/dovecot-down.sh" >/dev/null 2>&1 || true
    if [ -n "${REMOVE_WORK:-}" ]; then rm -rf "$WORK"; fi
}

# Writes $WORK/eider.toml (LMTP only, data in $WORK/eider-data) and adds testuser1..$USERS.
eider_setup() {
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
}

# Starts eider-ingest in the background (EIDER_PID) and waits until it listens.
eider_start() {
    RUST_LOG=warn "$BIN/eider-ingest" -c "$WORK/eider.toml" &
    EIDER_PID=$!
    for _ in $(seq 1 100); do
        (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        sleep 0.1
    done
}

eider_stop() {
    kill "$EIDER_PID"
    wait "$EIDER_PID" 2>/dev/null || true
    EIDER_PID=
}

# CPU seconds (user + system) a live process has used so far.
cpu_secs() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# lmtp_load ADDR PID LABEL: delivers $CORPUS with the common settings; prints lmtp-load's row.
lmtp_load() {
    "$BIN/lmtp-load" --addr "$1" --corpus "$CORPUS" --connections "$CONNS" \
        --users "$USERS" --fanout "$FANOUT" --pid "$2" --label "$3"
}

# Starts the private Dovecot (DT=$WORK/dovecot, LMTP on $DOVECOT_LMTP; IMAP_PORT and POP3_PORT
# pass through to dovecot-up.sh) with empty Maildirs (DPID).
dovecot_start() {
    export DT=$WORK/dovecot
    LMTP_PORT=$DOVECOT_LMTP "$TOOLS/dovecot-up.sh" --clean >/dev/null 2>&1
    DPID=$(cat "$DT/run/master.pid")
}

dovecot_stop() {
    "$TOOLS/dovecot-down.sh" >/dev/null 2>&1 || true
}

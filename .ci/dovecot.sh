#!/usr/bin/env bash
# Installs and starts the reference Dovecot for imapd's differential tests, then exports
# EIDER_TEST_DOVECOT_IMAP (host:port) for them. Meant to be sourced from .ci/run, from the root
# of the clone, after EIDER_REQUIRE_ALL is set and before `cargo test`:
#     . .ci/dovecot.sh
# Run directly, it does the same and prints the `export` line to paste into a shell.
# Dovecot 2.3 from Debian; the instance comes from ../shared/tools/dovecot-up.sh (loopback only,
# IMAP 10143, POP3 10110, LMTP 10024, users testuser1..100 / pass). It is left running; stop it
# with ../shared/tools/dovecot-down.sh. Idempotent: a running instance is reused.

eider_dovecot_up() {
    local sudo="" pkgs=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd) missing=() p
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    for p in "${pkgs[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        $sudo apt-get update -qq || return 1
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" || return 1
        # The packaged system instance is not used (and would hold ports 143/110).
        $sudo systemctl disable --now dovecot >/dev/null 2>&1 || true
    fi
    local script=../shared/tools/dovecot-up.sh
    if [ ! -f "$script" ]; then
        echo "dovecot.sh: $script not found (run from the clone's root, next to ../shared)" >&2
        return 1
    fi
    # Dovecot daemonises and keeps inherited descriptors: never leave it our stdout/stderr.
    $sudo bash "$script" >/tmp/eider-ci-dovecot-up.log 2>&1 </dev/null || {
        cat /tmp/eider-ci-dovecot-up.log >&2
        return 1
    }
    # dovecot-up.sh reads IMAP_PORT (and POP3_PORT, LMTP_PORT, DT) from the environment, so a
    # second instance (e.g. beside a benchmark's) can run on other ports.
    local port="${IMAP_PORT:-10143}"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            export EIDER_TEST_DOVECOT_IMAP="127.0.0.1:$port"
            return 0
        fi
        sleep 0.1
    done
    echo "dovecot.sh: Dovecot did not start listening on 127.0.0.1:$port" >&2
    cat /tmp/eider-ci-dovecot-up.log >&2
    return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    cd "$(dirname "$0")/.."
    eider_dovecot_up
    echo "export EIDER_TEST_DOVECOT_IMAP=$EIDER_TEST_DOVECOT_IMAP"
else
    eider_dovecot_up || { echo "dovecot.sh: could not start Dovecot" >&2; return 1; }
fi

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
source bench/scripts/lmtp-common.sh
lmtp_init

eider_setup
eider_start
lmtp_load "127.0.0.1:$PORT" "$EIDER_PID" eider
eider_stop
echo "{\"label\":\"eider\",\"disk_kib\":$(du -sk "$WORK/eider-data" | cut -f1)}"

dovecot_start
lmtp_load "127.0.0.1:$DOVECOT_LMTP" "$DPID" dovecot
dovecot_stop
echo "{\"label\":\"dovecot\",\"disk_kib\":$(du -sk "$DT/mail" | cut -f1)}"

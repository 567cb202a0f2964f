#!/usr/bin/env bash
# Disk space, Eider against Dovecot's Maildir (issue #13): delivers CORPUS over LMTP to Eider
# (embedded store) and to a private Dovecot with the same load generator as lmtp-vs-dovecot.sh,
# then prints the raw bytes delivered (sum of message sizes × fan-out), `du -sk` of each data
# directory, the ratios, Eider's CPU per message, and Eider's bytes by table (`eider db stats`).
#
# usage: bench/scripts/storage.sh CORPUS_DIR [FANOUT]
# env:   CONNS (8), USERS (10), PORT, TOOLS, CARGO_TARGET_DIR, NO_BUILD=1 (use built binaries),
#        OUT=DIR (keep eider-db-stats.json there), PERF=FILE (record eider-ingest with
#        `perf record -g` into FILE while it receives the corpus), KEEP=1 (keep the work dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CORPUS=${1:?usage: storage.sh CORPUS_DIR [FANOUT]}
FANOUT=${2:-1}
CONNS=${CONNS:-8}
[ -n "${KEEP:-}" ] || REMOVE_WORK=1
source bench/scripts/lmtp-common.sh
lmtp_init
OUT=${OUT:-$WORK}
mkdir -p "$OUT"

eider_setup
eider_start
if [ -n "${PERF:-}" ]; then
    perf record -g -o "$PERF" -p "$EIDER_PID" 2>"$WORK/perf.log" &
    PERF_PID=$!
    sleep 0.5
fi
cpu0=$(cpu_secs "$EIDER_PID")
EIDER_ROW=$(lmtp_load "127.0.0.1:$PORT" "$EIDER_PID" eider)
cpu1=$(cpu_secs "$EIDER_PID")
if [ -n "${PERF:-}" ]; then
    kill -TERM "$PERF_PID"
    wait "$PERF_PID" 2>/dev/null || true
fi
eider_stop
echo "$EIDER_ROW"
EIDER_KIB=$(du -sk "$WORK/eider-data" | cut -f1)
"$BIN/eider" -c "$WORK/eider.toml" db stats --json > "$OUT/eider-db-stats.json"

dovecot_start
DOVECOT_ROW=$(lmtp_load "127.0.0.1:$DOVECOT_LMTP" "$DPID" dovecot)
dovecot_stop
echo "$DOVECOT_ROW"
DOVECOT_KIB=$(du -sk "$DT/mail" | cut -f1)

python3 - "$EIDER_ROW" "$DOVECOT_ROW" "$EIDER_KIB" "$DOVECOT_KIB" "$cpu0" "$cpu1" \
    "$OUT/eider-db-stats.json" "$CORPUS" "$FANOUT" <<'PY'
import json, sys
eider, dovecot = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ekib, dkib, cpu0, cpu1 = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
stats = json.load(open(sys.argv[7]))
fanout = int(sys.argv[9])
raw = eider["bytes"] * fanout
msgs = eider["messages"]
summary = {
    "corpus": sys.argv[8], "fanout": fanout, "messages": msgs,
    "failed": [eider["failed"], dovecot["failed"]],
    "raw_bytes": raw, "eider_kib": ekib, "dovecot_kib": dkib,
    "eider_over_raw": round(ekib * 1024 / raw, 3), "dovecot_over_raw": round(dkib * 1024 / raw, 3),
    "eider_over_dovecot": round(ekib / dkib, 3),
    "eider_cpu_ms_per_msg": round((cpu1 - cpu0) * 1000 / max(msgs, 1), 3),
    "eider_cpu_ms_per_64kb": round((cpu1 - cpu0) * 1000 / max(raw / fanout / 65536, 1e-9), 3),
}
print(json.dumps(summary))
file_bytes = stats["file_bytes"]
print(f"\neider.redb {file_bytes:,} bytes; bytes by table (allocated = stored + metadata + fragmented):")
print(f"{'table':<16}{'entries':>10}{'key B':>14}{'value B':>16}{'allocated B':>16}{'% file':>8}")
for t in sorted(stats["tables"], key=lambda t: -t["allocated_bytes"]):
    if t["entries"] == 0:
        continue
    print(f"{t['name']:<16}{t['entries']:>10,}{t['key_bytes']:>14,}{t['value_bytes']:>16,}"
          f"{t['allocated_bytes']:>16,}{100 * t['allocated_bytes'] / file_bytes:>7.1f}%")
alloc = sum(t["allocated_bytes"] for t in stats["tables"])
print(f"{'(free, redb)':<16}{'':>10}{'':>14}{'':>16}{file_bytes - alloc:>16,}"
      f"{100 - 100 * alloc / file_bytes:>7.1f}%")
b = stats["bodies"]
total = max(b["total_bytes"], 1)
parts = ", ".join(f"{k} {b[k + '_bytes']:,} ({100 * b[k + '_bytes'] / total:.0f}%)"
                  for k in ["segments", "part_tree", "envelope", "headers", "other"])
print(f"\nbodies: {b['records']:,} records, {b['total_bytes']:,} bytes: {parts}")
print(f"bodies compressed one by one (zstd 3): {b['zstd_bytes']:,} bytes "
      f"({100 * b['zstd_bytes'] / total:.0f}%); {b['distinct_contents']:,} distinct contents, "
      f"first record of each {b['distinct_bytes']:,} bytes ({100 * b['distinct_bytes'] / total:.0f}%)")
for role, u in stats["blobs"].items():
    if u["blobs"]:
        print(f"{role} blobs: {u['blobs']:,}, decoded {u['decoded_bytes']:,} B, chunks "
              f"{u['chunk_bytes']:,} B ({100 * u['chunk_bytes'] / max(u['decoded_bytes'], 1):.0f}%), "
              f"{u['references']:,} references")
PY

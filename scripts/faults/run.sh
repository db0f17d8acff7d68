#!/usr/bin/env bash
# Long fault-schedule runs (e2e/cluster TestFaultSchedules): SCHEDULES random
# schedules of DURATION each on SERVERS servers and 2 clients in Docker. Every
# schedule prints its seed; a failing one replays with
#   APPMESH_NEMESIS_SEED=<seed> SCHEDULES=1 scripts/faults/run.sh
# Histories that fail the check are saved (HTML + raw calls) under OUT.
#
#   SCHEDULES   number of schedules          (default 20)
#   DURATION    faults per schedule          (default 2m)
#   SERVERS     3 or 5 servers               (default 3)
#   APPMESH_NEMESIS_SEED  first seed         (default random)
#   OUT         where failing histories go   (default .cache/faults/<time>)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCHEDULES=${SCHEDULES:-20}
DURATION=${DURATION:-2m}
SERVERS=${SERVERS:-3}
OUT=${OUT:-.cache/faults/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
make build >/dev/null
# Each schedule: its faults, up to 3 minutes to converge, set-up and check.
timeout_min=$(( SCHEDULES * 8 + 10 ))
echo "fault schedules: $SCHEDULES x $DURATION on $SERVERS servers; output in $OUT"
set +e
APPMESH_BIN="$PWD/bin/appmesh" APPMESH_FAULTS_SCHEDULES="$SCHEDULES" APPMESH_FAULTS_DURATION="$DURATION" \
APPMESH_FAULTS_SERVERS="$SERVERS" \
APPMESH_FAULTS_OUT="$OUT" \
	go test ./e2e/cluster -run '^TestFaultSchedules$' -count=1 -v -timeout "${timeout_min}m" 2>&1 | tee "$OUT/run.log"
rc=${PIPESTATUS[0]}
set -e
echo
grep -E '^(FAULTS|fault schedule)' "$OUT/run.log" || true
exit "$rc"

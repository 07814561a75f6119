#!/usr/bin/env bash
# t_interop_writer.sh BUILD - the writer interop matrix: files written by
# `lakestream parquet write` (every type, nulls, empty strings, unicode,
# extremes, deep nesting, empty lists/maps, 0 rows, many row groups, each
# codec) are read back by DuckDB, arrow-rs (parquet-wasm) and hyparquet and
# compared value by value with the NDJSON they were written from.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
LS=$BUILD/lakestream
FIX=tests/parquet/interop
TMP=${LS_TMP:-$(mktemp -d)}/interop_writer
mkdir -p "$TMP"
pass=0; fail=0
if [ ! -d tests/interop/node_modules ]; then
  echo "FAIL interop readers not installed (run scripts/install-deps.sh)"; echo "RESULT 0 1"; exit 1
fi
check() { # name parquet expected [compare options...]
  local name=$1 pq=$2 exp=$3; shift 3
  if out=$(node tests/interop/compare.mjs "$@" "$pq" "$exp" 2>&1); then
    pass=$((pass+1)); echo "ok $name"
  else
    fail=$((fail+1)); echo "FAIL $name"; echo "$out" | head -n 20 | sed 's/^/    /'
  fi
}
write() { # out ndjson ddl [opts...]
  local out=$1 in=$2 ddl=$3; shift 3
  if ! err=$("$LS" parquet write "$out" --input "$in" --schema "$ddl" "$@" 2>&1); then
    echo "    $err"; return 1
  fi
}
for codec in zstd snappy gzip none; do
  for case in all_types required nested deep empty; do
    name="$case.$codec"
    if write "$TMP/$name.parquet" "$FIX/$case.ndjson" "$(cat $FIX/$case.ddl)" --codec $codec; then
      check "$name" "$TMP/$name.parquet" "$FIX/$case.ndjson"
    else
      fail=$((fail+1)); echo "FAIL $name (write failed)"
    fi
  done
done
# tiny pages and no dictionary: many pages per chunk, PLAIN paths
for case in all_types nested; do
  name="$case.tinypages"
  if write "$TMP/$name.parquet" "$FIX/$case.ndjson" "$(cat $FIX/$case.ddl)" --page-size 1024 --no-dictionary; then
    check "$name" "$TMP/$name.parquet" "$FIX/$case.ndjson"
  else fail=$((fail+1)); echo "FAIL $name (write failed)"; fi
done
# many row groups: 200k generated events cut into ~1 MiB row groups
EV_DDL="event_id STRING, ts TIMESTAMP, user_id BIGINT, session BIGINT, kind STRING, amount DOUBLE, score DOUBLE, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE, lon: DOUBLE>, referrer STRING, ok BOOLEAN"
if [ -x "$BUILD/bench/gen_events" ]; then
  "$BUILD/bench/gen_events" --rows 200000 --seed 42 > "$TMP/events.ndjson"
  if write "$TMP/events.parquet" "$TMP/events.ndjson" "$EV_DDL" --row-group-size 1MiB; then
    rgs=$("$LS" parquet meta "$TMP/events.parquet" | sed -n 's/.*"num_row_groups": *\([0-9]*\).*/\1/p' | head -n 1)
    rgs=${rgs:-0}
    echo "NOTE events: $rgs row groups"
    if [ "$rgs" -gt 5 ]; then pass=$((pass+1)); echo "ok many-row-groups count"; else fail=$((fail+1)); echo "FAIL many-row-groups: only $rgs"; fi
    check "events.many_row_groups" "$TMP/events.parquet" "$TMP/events.ndjson"
  else fail=$((fail+1)); echo "FAIL events (write failed)"; fi
else
  fail=$((fail+1)); echo "FAIL gen_events not built"
fi
echo "RESULT $pass $fail"
[ $fail = 0 ]

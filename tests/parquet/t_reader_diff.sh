#!/usr/bin/env bash
# t_reader_diff.sh BUILD - differential test of the Parquet reader: files
# written by DuckDB (every type DuckDB writes, nulls, nesting, extremes; format
# V1 and V2 (delta encodings); each codec; and 50k generated events) are read
# by `lakestream parquet cat`, and the rows must equal DuckDB's own reading of
# the same file (compared in canonical form by tests/interop/compare.mjs).
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
LS=$BUILD/lakestream
T=${LS_TMP:-$(mktemp -d)}/reader_diff
mkdir -p "$T"
pass=0; fail=0
if [ ! -d tests/interop/node_modules ]; then
  echo "FAIL interop readers not installed (run scripts/install-deps.sh)"; echo "RESULT 0 1"; exit 1
fi
SQL=$(grep -v '^--' tests/interop/fixtures/types.sql)
diffcheck() { # name file
  local name=$1 f=$2
  if ! "$LS" parquet cat "$f" > "$T/$name.ndjson" 2>"$T/$name.err"; then
    fail=$((fail+1)); echo "FAIL $name: lakestream cannot read it: $(cat $T/$name.err)"; return
  fi
  if out=$(node tests/interop/compare.mjs --readers duckdb "$f" "$T/$name.ndjson" 2>&1); then
    pass=$((pass+1)); echo "ok $name"
  else
    fail=$((fail+1)); echo "FAIL $name"; echo "$out" | head -n 8 | sed 's/^/    /'
  fi
}
# TIME and TIMESTAMP_NS are excluded: lakestream reads TIME as microseconds (BIGINT) and
# nanosecond timestamps at microsecond precision, by design (see README).
for ver in V1 V2; do
  for codec in zstd snappy gzip uncompressed brotli lz4_raw; do
    f="$T/types_${ver}_$codec.parquet"
    node tests/interop/duckdb_sql.mjs "$SQL" \
      "COPY (SELECT * EXCLUDE (tm, tsns) FROM t) TO '$f' (FORMAT parquet, COMPRESSION $codec, PARQUET_VERSION $ver)" >/dev/null 2>"$T/duck.err" \
      || { fail=$((fail+1)); echo "FAIL duckdb could not write $f: $(tail -n 3 $T/duck.err)"; continue; }
    diffcheck "types.$ver.$codec" "$f"
  done
done
if [ -x "$BUILD/bench/gen_events" ]; then
  "$BUILD/bench/gen_events" --rows 50000 --seed 7 > "$T/ev.ndjson"
  for ver in V1 V2; do
    f="$T/events_$ver.parquet"
    node tests/interop/duckdb_sql.mjs "COPY (SELECT * FROM read_json('$T/ev.ndjson', format='newline_delimited')) TO '$f' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION $ver, ROW_GROUP_SIZE 10000)" >/dev/null 2>"$T/duck.err" \
      || { fail=$((fail+1)); echo "FAIL duckdb could not write $f"; continue; }
    diffcheck "events.$ver" "$f"
  done
else
  fail=$((fail+1)); echo "FAIL gen_events not built"
fi
echo "RESULT $pass $fail"
[ $fail = 0 ]

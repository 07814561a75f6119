#!/usr/bin/env bash
# bench/bench_ingest.sh BUILD - ingest throughput: NDJSON landing files -> a day-partitioned,
# zstd Delta table with `lakestream ingest --trigger available-now`, 1 and 2 threads (2 = parsing
# and encoding in parallel), against DuckDB's
#   COPY (SELECT *, CAST(ts AS DATE) AS day FROM read_json(...)) TO dir (FORMAT parquet,
#         COMPRESSION zstd, PARTITION_BY (day))
# on the same files in the same run, DuckDB with threads=1 and threads=2. Prints rows/s, MB/s of
# JSON, output bytes, peak RSS and the ratio lakestream/DuckDB per thread count.
# Env: BENCH_ROWS (default 2000000), BENCH_FILES (default 8), BENCH_SEED (1), BENCH_REPEAT (1: runs
# of each measurement, the fastest counts; use 3 on a noisy machine).
set -u
cd "$(dirname "$0")/.." || exit 1
BENCH_NAME=bench_ingest
BUILD=${1:-build}
ROWS=${BENCH_ROWS:-2000000}
NFILES=${BENCH_FILES:-8}
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-1}
OUT=bench/out
mkdir -p "$OUT"
. bench/lib.sh
need_node_modules
GEN=$(bench_tool gen_events) || die "cannot build gen_events"
[ -x "$LS" ] || die "$LS is missing: build it with make"
"$LS" ingest 2>&1 | grep -q "expected the table" || die "$LS has no ingest command"

LAND="$OUT/ingest_land_${ROWS}_s${SEED}_f${NFILES}"
if [ ! -d "$LAND" ] || [ bench/gen_events.c -nt "$LAND" ]; then
  rm -rf "$LAND" "$LAND.tmp"; mkdir -p "$LAND.tmp"
  "$GEN" --rows "$ROWS" --seed "$SEED" --days 4 | \
    split -l $(( (ROWS + NFILES - 1) / NFILES )) -d -a 3 --additional-suffix=.json - "$LAND.tmp/events-" \
    || die "gen_events failed"
  mv "$LAND.tmp" "$LAND"
fi
IN_BYTES=$(cat "$LAND"/*.json | wc -c)
cat "$LAND"/*.json >/dev/null # page cache

dir_bytes() { find "$1" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

echo "bench_ingest: $ROWS rows in $NFILES NDJSON files, $IN_BYTES bytes ($(awk -v b="$IN_BYTES" -v r="$ROWS" 'BEGIN { printf "%.1f", b / r }') B/row), -> day-partitioned zstd; best of $REPEAT"
printf '%-8s %-11s %9s %10s %8s %12s %9s\n' threads engine seconds rows/s 'MB/s' 'out bytes' 'peak RSS'
status=0
for th in 1 2; do
  TB="$OUT/ingest_table_t$th"
  best=""; best_cpu=""
  for _ in $(seq "$REPEAT"); do
    rm -rf "$TB"
    measure "$LS" ingest "$TB" --source "$LAND" --create --schema "$SCHEMA" \
      --partition-by "day(ts) AS day" --trigger available-now --max-batch-files 100000 \
      --threads "$th" --codec zstd --quiet
    [ "$M_RC" = 0 ] || break
    less "$M_SECS" "$best" && { best=$M_SECS; rss=$M_RSS_KB; }
    [ -n "$M_CPU" ] && less "$M_CPU" "$best_cpu" && best_cpu=$M_CPU
  done
  ls_rate=""
  if [ "$M_RC" != 0 ]; then
    echo "lakestream ingest --threads $th failed (exit $M_RC):"; tail -n 5 "$OUT/last.log" | sed 's/^/    /'
    status=1
  else
    ls_rate=$(rate "$best")
    printf '%-8s %-11s %9s %10s %8s %12s %8sM\n' "$th" lakestream "$best" "$ls_rate" "$(mbps "$best")" \
      "$(dir_bytes "$TB")" "$(mib "$rss")"
    files=$(node tests/ingest/delta_live.mjs "$TB" | sed "s/'/''/g; s/^/'/; s/\$/'/" | paste -sd, -)
    n=$($DUCK "SELECT count(*) AS n FROM read_parquet([$files])" 2>/dev/null | sed -n 's/.*"n":"\{0,1\}\([0-9]*\).*/\1/p')
    [ "$n" = "$ROWS" ] || { echo "    WARNING: DuckDB reads ${n:-nothing} rows from the table's files, expected $ROWS"; status=1; }
  fi
  DOUT="$OUT/ingest_duck_t$th"
  ms=""; dcpu=""
  for _ in $(seq "$REPEAT"); do
    rm -rf "$DOUT"
    DUCKDB_THREADS=$th measure $DUCK "SET threads=$th; SET TimeZone='UTC'" \
      "COPY (SELECT *, CAST(ts AS DATE) AS day FROM read_json('$LAND/*.json', format='newline_delimited', columns=$DUCK_COLS)) TO '$DOUT' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day))"
    m=$(sed -n 's/^elapsed_ms //p' "$OUT/last.log" | tail -n 1)
    mc=$(sed -n 's/^cpu_ms //p' "$OUT/last.log" | tail -n 1)
    [ -n "$mc" ] && less "$mc" "$dcpu" && dcpu=$mc
    [ "$M_RC" = 0 ] && [ -n "$m" ] || { ms=""; break; }
    less "$m" "$ms" && { ms=$m; drss=$M_RSS_KB; }
  done
  if [ -z "$ms" ]; then
    echo "duckdb COPY (threads $th) failed:"; tail -n 5 "$OUT/last.log" | sed 's/^/    /'
    status=1; continue
  fi
  dsecs=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')
  d_rate=$(rate "$dsecs")
  printf '%-8s %-11s %9s %10s %8s %12s %8sM\n' "$th" duckdb "$dsecs" "$d_rate" "$(mbps "$dsecs")" \
    "$(dir_bytes "$DOUT")" "$(mib "$drss")"
  [ -n "$ls_rate" ] && awk -v a="$ls_rate" -v b="$d_rate" -v t="$th" \
    'BEGIN { printf "threads %s: ratio lakestream/duckdb %.2fx rows/s (wall)\n", t, a / b }'
  [ -n "$ls_rate" ] && [ -n "$best_cpu" ] && [ -n "$dcpu" ] && awk -v a="$best_cpu" -v b="$dcpu" -v t="$th" \
    'BEGIN { printf "threads %s: cpu seconds lakestream %.3f, duckdb %.3f: %.2fx less CPU per row\n", t, a, b / 1000, (b / 1000) / a }'
done
echo "(lakestream: wall time of the whole process incl. table creation and commit; duckdb: the COPY inside node; its RSS is node's)"
exit $status

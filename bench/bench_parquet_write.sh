#!/usr/bin/env bash
# bench/bench_parquet_write.sh BUILD - NDJSON events -> Parquet: lakestream against DuckDB (1 thread),
# same data, same run. Env: BENCH_ROWS (default 2000000), BENCH_SEED (default 1), BENCH_REPEAT (default 1:
# runs of each measurement, the fastest is reported; use 3+ on a noisy machine).
# Prints rows/s of both, the ratio lakestream/DuckDB, output sizes (bytes, bytes/row) and lakestream's
# peak RSS, for zstd and snappy. DuckDB's time is measured inside node around the COPY only.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
ROWS=${BENCH_ROWS:-2000000}
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-1}
OUT=bench/out
mkdir -p "$OUT"
LS="$BUILD/lakestream"
DUCK="node tests/interop/duckdb_sql.mjs"

SCHEMA='event_id STRING, ts TIMESTAMP, user_id BIGINT, session BIGINT, kind STRING, amount DOUBLE, score DOUBLE, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE, lon: DOUBLE>, referrer STRING, ok BOOLEAN'
# The same types for DuckDB's read_json (TIMESTAMP in the DDL is UTC-adjusted = DuckDB TIMESTAMPTZ).
DUCK_COLS="{event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', user_id: 'BIGINT', session: 'BIGINT', kind: 'VARCHAR', amount: 'DOUBLE', score: 'DOUBLE', tags: 'VARCHAR[]', geo: 'STRUCT(lat DOUBLE, lon DOUBLE)', referrer: 'VARCHAR', ok: 'BOOLEAN'}"

die() { echo "bench_parquet_write: $*" >&2; exit 1; }

# --- the generator (built by make; compiled here if the library build is broken) ---
GEN="$BUILD/bench/gen_events"
if [ ! -x "$GEN" ]; then
  GEN="$OUT/gen_events"
  if [ ! -x "$GEN" ] || [ bench/gen_events.c -nt "$GEN" ]; then
    cc -std=c11 -O2 -D_GNU_SOURCE bench/gen_events.c -o "$GEN" || die "cannot build gen_events"
  fi
fi
[ -d tests/interop/node_modules ] || die "tests/interop/node_modules missing: run 'make deps' (scripts/install-deps.sh)"

EV="$OUT/events_${ROWS}_s${SEED}.ndjson"
if [ ! -s "$EV" ] || [ "$GEN" -nt "$EV" ]; then
  "$GEN" --rows "$ROWS" --seed "$SEED" --days 4 >"$EV.tmp" || die "gen_events failed"
  mv "$EV.tmp" "$EV"
fi
IN_BYTES=$(stat -c %s "$EV")
cat "$EV" >/dev/null # warm the page cache for both engines

now_ns() { date +%s%N; }

# measure CMD... -> sets M_SECS (wall), M_RSS_KB (peak RSS), M_RC; output of CMD goes to $OUT/last.log
measure() {
  local t0 t1
  if [ -x /usr/bin/time ]; then
    t0=$(now_ns)
    /usr/bin/time -f '%M %U %S' -o "$OUT/time.txt" "$@" >"$OUT/last.log" 2>&1
    M_RC=$?
    t1=$(now_ns)
    M_RSS_KB=$(tail -n 1 "$OUT/time.txt" 2>/dev/null | cut -d' ' -f1)
    M_CPU=$(tail -n 1 "$OUT/time.txt" 2>/dev/null | awk '{ printf "%.3f", $2 + $3 }')
  else # poll the peak (VmHWM) from /proc while it runs
    t0=$(now_ns)
    "$@" >"$OUT/last.log" 2>&1 &
    local pid=$! v
    M_RSS_KB=0
    M_CPU=""
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null)
      [ -n "$v" ] && [ "$v" -gt "$M_RSS_KB" ] && M_RSS_KB=$v
      sleep 0.02
    done
    wait "$pid"
    M_RC=$?
    t1=$(now_ns)
  fi
  M_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}

rate() { awk -v r="$ROWS" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print 0 }'; }
mbps() { awk -v n="$IN_BYTES" -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", n / s / 1e6; else print 0 }'; }
per_row() { awk -v b="$1" -v r="$ROWS" 'BEGIN { printf "%.1f", b / r }'; }

echo "bench_parquet_write: $ROWS rows, $IN_BYTES bytes of NDJSON ($(per_row "$IN_BYTES") B/row), input in page cache, 1 thread, best of $REPEAT"
printf '%-7s %-11s %10s %9s %9s %12s %7s %10s\n' codec engine seconds rows/s 'MB/s' bytes B/row 'peak RSS'

have_ls=1
if [ ! -x "$LS" ]; then
  have_ls=0
  echo "lakestream: $LS is missing (not built yet?): only DuckDB is measured"
fi

status=0
for codec in zstd snappy; do
  ls_rate=""
  if [ $have_ls = 1 ]; then
    out="$OUT/ls_$codec.parquet"
    best=""; best_cpu=""
    for _ in $(seq "$REPEAT"); do
      rm -f "$out"
      measure "$LS" parquet write "$out" --input "$EV" --schema "$SCHEMA" --codec "$codec"
      [ "$M_RC" = 0 ] || break
      if [ -z "$best" ] || awk -v a="$M_SECS" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$M_SECS; fi
      if [ -n "$M_CPU" ] && { [ -z "$best_cpu" ] || awk -v a="$M_CPU" -v b="$best_cpu" 'BEGIN { exit !(a < b) }'; }; then best_cpu=$M_CPU; fi
    done
    [ -n "$best" ] && M_SECS=$best
    if [ "$M_RC" != 0 ] || [ ! -s "$out" ]; then
      echo "lakestream parquet write ($codec) failed (exit $M_RC):"
      tail -n 5 "$OUT/last.log" | sed 's/^/    /'
      status=1
    else
      ls_rate=$(rate "$M_SECS")
      size=$(stat -c %s "$out")
      printf '%-7s %-11s %10s %9s %9s %12s %7s %9sM\n' "$codec" lakestream "$M_SECS" "$ls_rate" "$(mbps "$M_SECS")" \
        "$size" "$(per_row "$size")" "$(awk -v k="$M_RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')"
      # cheap sanity check that the file is readable and complete
      n=$($DUCK "SELECT count(*) AS n FROM read_parquet('$out')" 2>/dev/null | sed -n 's/.*"n":"\{0,1\}\([0-9]*\).*/\1/p')
      [ "$n" = "$ROWS" ] || { echo "    WARNING: DuckDB reads ${n:-nothing} rows from $out, expected $ROWS"; status=1; }
    fi
  fi

  dout="$OUT/duck_$codec.parquet"
  ms=""; dcpu=""
  for _ in $(seq "$REPEAT"); do
    rm -f "$dout"
    DUCKDB_THREADS=1 measure $DUCK "SET threads=1" \
      "COPY (SELECT * FROM read_json('$EV', format='newline_delimited', columns=$DUCK_COLS)) TO '$dout' (FORMAT parquet, COMPRESSION $codec)"
    m=$(sed -n 's/^elapsed_ms //p' "$OUT/last.log" | tail -n 1)
    mc=$(sed -n 's/^cpu_ms //p' "$OUT/last.log" | tail -n 1)
    if [ -n "$mc" ] && { [ -z "$dcpu" ] || awk -v a="$mc" -v b="$dcpu" 'BEGIN { exit !(a < b) }'; }; then dcpu=$mc; fi
    [ "$M_RC" = 0 ] && [ -n "$m" ] || { ms=""; break; }
    if [ -z "$ms" ] || awk -v a="$m" -v b="$ms" 'BEGIN { exit !(a < b) }'; then ms=$m; fi
  done
  if [ "$M_RC" != 0 ] || [ -z "$ms" ] || [ ! -s "$dout" ]; then
    echo "duckdb COPY ($codec) failed (exit $M_RC):"
    tail -n 5 "$OUT/last.log" | sed 's/^/    /'
    status=1
    continue
  fi
  dsecs=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')
  d_rate=$(rate "$dsecs")
  dsize=$(stat -c %s "$dout")
  printf '%-7s %-11s %10s %9s %9s %12s %7s %9sM\n' "$codec" duckdb "$dsecs" "$d_rate" "$(mbps "$dsecs")" \
    "$dsize" "$(per_row "$dsize")" "$(awk -v k="$M_RSS_KB" 'BEGIN { printf "%.0f", k / 1024 }')"
  if [ -n "$ls_rate" ]; then
    awk -v a="$ls_rate" -v b="$d_rate" -v c="$codec" 'BEGIN { printf "%-7s ratio lakestream/duckdb: %.2fx rows/s (wall)\n", c, a / b }'
    if [ -n "$best_cpu" ] && [ -n "$dcpu" ]; then
      awk -v a="$best_cpu" -v b="$dcpu" -v c="$codec" -v r="$ROWS" 'BEGIN { printf "%-7s cpu seconds: lakestream %.3f (%.0f rows/s), duckdb %.3f (%.0f rows/s): ratio %.2fx\n", c, a, r / a, b / 1000, r / (b / 1000), (b / 1000) / a }'
    fi
    awk -v a="$size" -v b="$dsize" -v c="$codec" 'BEGIN { printf "%-7s output size lakestream/duckdb: %.3f\n", c, a / b }'
  fi
done
echo "(duckdb: time of the COPY inside node, 1 thread; its peak RSS is the whole node process)"
exit $status

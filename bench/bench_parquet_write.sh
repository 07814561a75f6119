#!/usr/bin/env bash
# bench/bench_parquet_write.sh BUILD - NDJSON events -> Parquet: lakestream against DuckDB (1 thread),
# same data, same run. Env: BENCH_ROWS (default 2000000), BENCH_SEED (default 1), BENCH_REPEAT (default 1:
# runs of each measurement, the fastest is reported; use 3+ on a noisy machine).
# Prints rows/s of both, the ratio lakestream/DuckDB in wall time and in CPU time (the machine is
# shared: CPU time is the steadier figure), output sizes (bytes, bytes/row) and peak RSS, for zstd
# and snappy. DuckDB's time is measured inside node around the COPY only; lakestream's is the whole
# process (start, schema, write, fsync, rename).
set -u
cd "$(dirname "$0")/.." || exit 1
BENCH_NAME=bench_parquet_write
BUILD=${1:-build}
ROWS=${BENCH_ROWS:-2000000}
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-1}
OUT=bench/out
mkdir -p "$OUT"
. bench/lib.sh
need_node_modules

EV=$(events_file "$ROWS" "$SEED")
IN_BYTES=$(stat -c %s "$EV")
cat "$EV" >/dev/null # warm the page cache for both engines

echo "$BENCH_NAME: $ROWS rows, $IN_BYTES bytes of NDJSON ($(per_row "$IN_BYTES") B/row), input in page cache, 1 thread, best of $REPEAT"
printf '%-7s %-11s %10s %9s %9s %12s %7s %10s\n' codec engine seconds rows/s 'MB/s' bytes B/row 'peak RSS'

have_ls=1
if [ ! -x "$LS" ]; then
  have_ls=0
  echo "lakestream: $LS is missing (not built yet?): only DuckDB is measured"
fi

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

status=0
for codec in zstd snappy; do
  out="$OUT/ls_$codec.parquet"
  dout="$OUT/duck_$codec.parquet"
  best=""; best_cpu=""; ms=""; dcpu=""; wr=""; cr=""
  # The runs alternate lakestream / DuckDB so that both see the same machine (this one is
  # shared, and its speed drifts by 2x over minutes): each pair gives a ratio, the median
  # pair ratio is printed beside the ratio of the best times.
  for _ in $(seq "$REPEAT"); do
    l_secs=""; l_cpu=""
    if [ $have_ls = 1 ]; then
      rm -f "$out"
      measure "$LS" parquet write "$out" --input "$EV" --schema "$SCHEMA" --codec "$codec"
      if [ "$M_RC" != 0 ] || [ ! -s "$out" ]; then
        echo "lakestream parquet write ($codec) failed (exit $M_RC):"
        tail -n 5 "$OUT/last.log" | sed 's/^/    /'
        status=1; have_ls=0
      else
        l_secs=$M_SECS; l_cpu=$M_CPU
        less "$M_SECS" "$best" && { best=$M_SECS; rss=$M_RSS_KB; }
        [ -n "$M_CPU" ] && less "$M_CPU" "$best_cpu" && best_cpu=$M_CPU
      fi
    fi
    rm -f "$dout"
    DUCKDB_THREADS=1 measure $DUCK "SET threads=1" \
      "COPY (SELECT * FROM read_json('$EV', format='newline_delimited', columns=$DUCK_COLS)) TO '$dout' (FORMAT parquet, COMPRESSION $codec)"
    m=$(sed -n 's/^elapsed_ms //p' "$OUT/last.log" | tail -n 1)
    mc=$(sed -n 's/^cpu_ms //p' "$OUT/last.log" | tail -n 1)
    if [ "$M_RC" != 0 ] || [ -z "$m" ] || [ ! -s "$dout" ]; then
      echo "duckdb COPY ($codec) failed (exit $M_RC):"
      tail -n 5 "$OUT/last.log" | sed 's/^/    /'
      status=1; ms=""; break
    fi
    less "$m" "$ms" && { ms=$m; drss=$M_RSS_KB; }
    [ -n "$mc" ] && less "$mc" "$dcpu" && dcpu=$mc
    [ -n "$l_secs" ] && wr="$wr $(awk -v l="$l_secs" -v d="$m" 'BEGIN { printf "%.3f", d / 1000 / l }')"
    [ -n "$l_cpu" ] && [ -n "$mc" ] && cr="$cr $(awk -v l="$l_cpu" -v d="$mc" 'BEGIN { printf "%.3f", d / 1000 / l }')"
  done
  ls_rate=""
  if [ -n "$best" ]; then
    ls_rate=$(rate "$best")
    size=$(stat -c %s "$out")
    printf '%-7s %-11s %10s %9s %9s %12s %7s %9sM\n' "$codec" lakestream "$best" "$ls_rate" "$(mbps "$best")" \
      "$size" "$(per_row "$size")" "$(mib "$rss")"
    # cheap sanity check that the file is readable and complete
    n=$($DUCK "SELECT count(*) AS n FROM read_parquet('$out')" 2>/dev/null | sed -n 's/.*"n":"\{0,1\}\([0-9]*\).*/\1/p')
    [ "$n" = "$ROWS" ] || { echo "    WARNING: DuckDB reads ${n:-nothing} rows from $out, expected $ROWS"; status=1; }
  fi
  [ -n "$ms" ] || continue
  dsecs=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')
  d_rate=$(rate "$dsecs")
  dsize=$(stat -c %s "$dout")
  printf '%-7s %-11s %10s %9s %9s %12s %7s %9sM\n' "$codec" duckdb "$dsecs" "$d_rate" "$(mbps "$dsecs")" \
    "$dsize" "$(per_row "$dsize")" "$(mib "$drss")"
  if [ -n "$ls_rate" ]; then
    awk -v a="$ls_rate" -v b="$d_rate" -v c="$codec" -v m="$(echo $wr | tr ' ' '\n' | median)" \
      'BEGIN { printf "%-7s ratio lakestream/duckdb: %.2fx rows/s (wall, best times); median of the run pairs %.2fx\n", c, a / b, m }'
    if [ -n "$best_cpu" ] && [ -n "$dcpu" ]; then
      awk -v a="$best_cpu" -v b="$dcpu" -v c="$codec" -v r="$ROWS" -v m="$(echo $cr | tr ' ' '\n' | median)" \
        'BEGIN { printf "%-7s cpu seconds: lakestream %.3f (%.0f rows/s), duckdb %.3f (%.0f rows/s): ratio %.2fx; median of the run pairs %.2fx\n", c, a, r / a, b / 1000, r / (b / 1000), (b / 1000) / a, m }'
    fi
    awk -v a="$size" -v b="$dsize" -v c="$codec" 'BEGIN { printf "%-7s output size lakestream/duckdb: %.3f\n", c, a / b }'
  fi
done
echo "(duckdb: time of the COPY inside node, 1 thread; its peak RSS is the whole node process)"
exit $status

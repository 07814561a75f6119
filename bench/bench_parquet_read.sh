#!/usr/bin/env bash
# bench/bench_parquet_read.sh BUILD - full decode of the same Parquet files by lakestream and by DuckDB
# (1 thread), same files, same run. Env: BENCH_ROWS (default 3000000), BENCH_SEED (default 1),
# BENCH_REPEAT (default 1: runs of each measurement, the one with the least CPU time is reported; use 3+
# on a noisy machine), BENCH_DUCK_QUERY (sum|hash, see below).
#
# The files: events from gen_events written by DuckDB (COPY ... (FORMAT parquet, COMPRESSION zstd|snappy):
# the world's files, not ours) and by lakestream (`lakestream parquet write`, zstd and snappy).
# lakestream: build/bench/bench_read decodes every column of every row group into batches (no text) and
# sums every value (integers, float bits, string lengths, def levels); only open + decode is timed.
# Both engines are timed in wall time and in CPU time of their process around the read only (in node:
# process.cpuUsage around the query). The machines are shared and loaded (other jobs take most of the
# cores at times), so wall time mostly measures the scheduler: MB/s, rows/s and the ratio use CPU time;
# wall seconds are printed beside them. Each measurement is a fresh process (cold heap for both).
# DuckDB: one aggregate per leaf that mirrors our checksum (sum of every numeric column, sum of string
# lengths, list lengths, sum of the booleans), so DuckDB decodes and touches every value of every column;
# timed inside node around the query only. BENCH_DUCK_QUERY=hash uses the generic
# `SELECT count(*), sum(hash(COLUMNS(*)))` instead (more work for DuckDB: hashing every string).
# Prints seconds, MB/s (file bytes / CPU time), rows/s and the ratio lakestream/DuckDB per file.
set -u
cd "$(dirname "$0")/.." || exit 1
BENCH_NAME=bench_parquet_read
BUILD=${1:-build}
ROWS=${BENCH_ROWS:-3000000}
SEED=${BENCH_SEED:-1}
REPEAT=${BENCH_REPEAT:-1}
DQ=${BENCH_DUCK_QUERY:-sum}
OUT=bench/out
mkdir -p "$OUT"
ROOT=$PWD
. bench/lib.sh
need_node_modules

# --- the events and the reader program (built by make; compiled here as a fallback) ---
READ=""
[ -f "$BUILD/liblakestream.a" ] && READ=$(bench_tool bench_read)
[ -n "$READ" ] || echo "lakestream: bench_read could not be built (see $OUT/bench_read.build.log): only DuckDB is measured"
EV=$(events_file "$ROWS" "$SEED")

# --- the files (kept in bench/out and reused while newer than the events) ---
FILES=()
for codec in zstd snappy; do
  f="$OUT/read_${ROWS}_s${SEED}_duckdb_$codec.parquet"
  if [ ! -s "$f" ] || [ "$EV" -nt "$f" ]; then
    rm -f "$f"
    $DUCK "COPY (SELECT * FROM read_json('$EV', format='newline_delimited', columns=$DUCK_COLS)) TO '$f.tmp' (FORMAT parquet, COMPRESSION $codec)" \
      >/dev/null 2>"$OUT/last.log" && mv "$f.tmp" "$f" || { echo "duckdb COPY ($codec) failed:"; tail -n 3 "$OUT/last.log"; rm -f "$f.tmp"; }
  fi
  [ -s "$f" ] && FILES+=("$f")
done
if [ -x "$LS" ]; then
  for codec in zstd snappy; do
    f="$OUT/read_${ROWS}_s${SEED}_lakestream_$codec.parquet"
    if [ ! -s "$f" ] || [ "$EV" -nt "$f" ] || [ "$LS" -nt "$f" ]; then
      rm -f "$f"
      "$LS" parquet write "$f" --input "$EV" --schema "$SCHEMA" --codec "$codec" >"$OUT/last.log" 2>&1 ||
        { echo "lakestream parquet write ($codec) failed:"; tail -n 3 "$OUT/last.log"; rm -f "$f"; }
    fi
    [ -s "$f" ] && FILES+=("$f")
  done
else
  echo "lakestream: $LS is missing: the lakestream-written files are not measured"
fi
[ ${#FILES[@]} -gt 0 ] || die "no Parquet file to read"

duck_query() {
  if [ "$DQ" = hash ]; then
    echo "SELECT count(*) AS n, sum(hash(COLUMNS(*))) FROM read_parquet('$1')"
  else
    echo "SELECT count(*) AS n, sum(length(event_id)), sum(epoch_us(ts)), sum(user_id), sum(session), sum(length(kind)),
      sum(amount), sum(score), sum(len(tags)), sum(geo.lat), sum(geo.lon), sum(length(referrer)), sum(ok::int)
      FROM read_parquet('$1')"
  fi
}

# Runs one query in a fresh DuckDB (1 thread); prints "wall W cpu C n ROWS" (times around the query only).
DUCK_JS='
import { DuckDBInstance } from "@duckdb/node-api";
const inst = await DuckDBInstance.create(":memory:", { threads: "1" });
const con = await inst.connect();
await con.run("SET threads=1");
const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
const r = await con.runAndReadAll(process.argv[1]);
const wall = Number(process.hrtime.bigint() - t0) / 1e9, c = process.cpuUsage(c0);
const rows = r.getRowObjectsJson();
console.log(`wall ${wall.toFixed(4)} cpu ${((c.user + c.system) / 1e6).toFixed(4)} n ${rows[0].n}`);
con.closeSync(); inst.closeSync();
'
duck_run() { (cd tests/interop && node --input-type=module -e "$DUCK_JS" "$1"); }

field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
# true when $2 < $1 or $1 is empty (for "best of REPEAT")
better() { [ -z "$1" ] || awk -v a="$2" -v b="$1" 'BEGIN { exit !(a < b) }'; }
row() { # name engine cpu wall bytes rows rss
  awk -v f="$1" -v e="$2" -v c="$3" -v w="$4" -v b="$5" -v r="$6" -v m="$7" \
    'BEGIN { printf "%-44s %-11s %8.3f %8.3f %9.1f %11.0f %9s\n", f, e, c, w, b / c / 1e6, r / c, m }'
}

echo "bench_parquet_read: $ROWS rows, full decode of every column, files in page cache, 1 thread, best of $REPEAT (by CPU time), duckdb query: $DQ"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (shared machine: wall times are noisy)"
printf '%-44s %-11s %8s %8s %9s %11s %9s\n' file engine 'cpu s' 'wall s' 'MB/s' rows/s 'peak RSS'
status=0
for f in "${FILES[@]}"; do
  bytes=$(stat -c %s "$f")
  name=$(basename "$f")
  cat "$f" >/dev/null # page cache
  ls_cpu=""; ls_wall=""
  if [ -n "$READ" ]; then
    ls_line=""
    for _ in $(seq "$REPEAT"); do
      line=$("$READ" "$f" 2>"$OUT/last.log")
      rc=$?
      c=$(echo "$line" | field cpu_seconds)
      if [ $rc != 0 ] || [ -z "$c" ]; then
        echo "lakestream read of $name failed (exit $rc):"
        tail -n 3 "$OUT/last.log" | sed 's/^/    /'
        ls_cpu=""; status=1; break
      fi
      better "$ls_cpu" "$c" && { ls_cpu=$c; ls_line=$line; }
    done
    if [ -n "$ls_cpu" ]; then
      ls_wall=$(echo "$ls_line" | field seconds)
      n=$(echo "$ls_line" | field rows)
      rss=$(echo "$ls_line" | field rss_kb | awk '{ printf "%.0fM", $1 / 1024 }')
      [ "$n" = "$ROWS" ] || { echo "    WARNING: lakestream read $n rows from $name, expected $ROWS"; status=1; }
      row "$name" lakestream "$ls_cpu" "$ls_wall" "$bytes" "$n" "$rss"
      echo "    $(echo "$ls_line" | field checksum) = checksum of the values (equal for files holding the same data)"
    fi
  fi
  d_cpu=""; d_wall=""
  q=$(duck_query "$ROOT/$f")
  for _ in $(seq "$REPEAT"); do
    line=$(duck_run "$q" 2>"$OUT/last.log")
    rc=$?
    c=$(echo "$line" | field cpu)
    if [ $rc != 0 ] || [ -z "$c" ]; then
      echo "duckdb read of $name failed (exit $rc):"
      tail -n 3 "$OUT/last.log" | sed 's/^/    /'
      d_cpu=""; status=1; break
    fi
    better "$d_cpu" "$c" && { d_cpu=$c; d_line=$line; }
  done
  if [ -n "$d_cpu" ]; then
    d_wall=$(echo "$d_line" | field wall)
    n=$(echo "$d_line" | field n)
    [ "$n" = "$ROWS" ] || { echo "    WARNING: DuckDB counted ${n:-nothing} rows in $name, expected $ROWS"; status=1; }
    row "$name" duckdb "$d_cpu" "$d_wall" "$bytes" "$ROWS" "-"
    if [ -n "$ls_cpu" ]; then
      awk -v a="$ls_cpu" -v b="$d_cpu" -v aw="$ls_wall" -v bw="$d_wall" -v f="$name" -v sz="$bytes" \
        'BEGIN { printf "%-44s ratio lakestream/duckdb: %.2fx by CPU time (%.2fx by wall time), %.1f MB file\n", f, b / a, bw / aw, sz / 1e6 }'
    fi
  fi
done
echo "(1 thread each; duckdb: the query inside node; lakestream: open + decode in bench_read; MB/s = file bytes / CPU s)"
exit $status

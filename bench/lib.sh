# bench/lib.sh - shared pieces of the benchmark scripts (sourced, not run): the event schema in
# lakestream DDL and DuckDB read_json form, the generator, timing with wall and CPU seconds and
# peak RSS, and rate formatting. The sourcing script sets BENCH_NAME, BUILD and OUT first.

LS="$BUILD/lakestream"
DUCK="node tests/interop/duckdb_sql.mjs"
LDLIBS="-lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lxxhash -lroaring -lcrypto -lpthread -lm"
SCHEMA='event_id STRING, ts TIMESTAMP, user_id BIGINT, session BIGINT, kind STRING, amount DOUBLE, score DOUBLE, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE, lon: DOUBLE>, referrer STRING, ok BOOLEAN'
# The same types for DuckDB's read_json (TIMESTAMP in the DDL is UTC-adjusted = DuckDB TIMESTAMPTZ).
DUCK_COLS="{event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', user_id: 'BIGINT', session: 'BIGINT', kind: 'VARCHAR', amount: 'DOUBLE', score: 'DOUBLE', tags: 'VARCHAR[]', geo: 'STRUCT(lat DOUBLE, lon DOUBLE)', referrer: 'VARCHAR', ok: 'BOOLEAN'}"

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

need_node_modules() {
  [ -d tests/interop/node_modules ] || die "tests/interop/node_modules missing: run 'make deps' (scripts/install-deps.sh)"
}

# bench_tool NAME -> path of bench/NAME built from bench/NAME.c (by make, or here as a fallback;
# programs that need the library link build/liblakestream.a). Prints nothing and returns 1 on failure.
bench_tool() {
  local name=$1 bin="$BUILD/bench/$1"
  if [ -x "$bin" ] && [ ! "bench/$name.c" -nt "$bin" ]; then echo "$bin"; return 0; fi
  bin="$OUT/$name"
  if [ ! -x "$bin" ] || [ "bench/$name.c" -nt "$bin" ]; then
    local libs=""
    grep -q '#include "' "bench/$name.c" && libs="$BUILD/liblakestream.a $LDLIBS"
    cc -std=c11 -O2 -g -D_GNU_SOURCE -Iinclude -Isrc "bench/$name.c" -o "$bin" $libs \
      2>"$OUT/$name.build.log" || return 1
  fi
  echo "$bin"
}

# events_file ROWS SEED -> path of a cached NDJSON file of ROWS generated events (4 days of ts)
events_file() {
  local gen ev="$OUT/events_$1_s$2.ndjson"
  gen=$(bench_tool gen_events) || die "cannot build gen_events"
  if [ ! -s "$ev" ] || [ bench/gen_events.c -nt "$ev" ]; then # (the binary is relinked with the library)
    "$gen" --rows "$1" --seed "$2" --days 4 >"$ev.tmp" || die "gen_events failed"
    mv "$ev.tmp" "$ev"
  fi
  echo "$ev"
}

now_ns() { date +%s%N; }

# measure CMD... -> M_SECS (wall), M_CPU (user+sys seconds, empty without /usr/bin/time),
# M_RSS_KB (peak RSS), M_RC; the command's output goes to $OUT/last.log
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

# less A B: is A < B (B empty counts as infinity)
less() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
rate() { awk -v r="$ROWS" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print 0 }'; }
mbps() { awk -v n="$IN_BYTES" -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", n / s / 1e6; else print 0 }'; }
per_row() { awk -v b="$1" -v r="$ROWS" 'BEGIN { printf "%.1f", b / r }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

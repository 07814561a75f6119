#!/usr/bin/env bash
# scripts/demo.sh BUILD - the demo behind `make demo` (temporary, until streaming ingest exists):
# generates 100k click-stream events, writes them to build/demo/events.parquet with lakestream,
# shows the file's metadata (summarised) and its first rows, and DuckDB's view of the same file.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
LS="$BUILD/lakestream"
DEMO=build/demo
ROWS=${DEMO_ROWS:-100000}
SCHEMA='event_id STRING, ts TIMESTAMP, user_id BIGINT, session BIGINT, kind STRING, amount DOUBLE, score DOUBLE, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE, lon: DOUBLE>, referrer STRING, ok BOOLEAN'
mkdir -p "$DEMO"

GEN="$BUILD/bench/gen_events"
if [ ! -x "$GEN" ]; then
  GEN="$DEMO/gen_events"
  cc -std=c11 -O2 -D_GNU_SOURCE bench/gen_events.c -o "$GEN" || { echo "demo: cannot build gen_events" >&2; exit 1; }
fi
"$GEN" --rows "$ROWS" --seed 42 --days 2 >"$DEMO/events.ndjson" || exit 1
echo "== generated $ROWS events: $DEMO/events.ndjson ($(stat -c %s "$DEMO/events.ndjson") bytes); first one:"
head -n 1 "$DEMO/events.ndjson"

if [ ! -x "$LS" ]; then
  echo "demo: $LS is missing: build it with 'make' (the lakestream CLI is not there yet?)" >&2
  exit 1
fi

PQ="$DEMO/events.parquet"
rm -f "$PQ"
echo "== $LS parquet write $PQ --input $DEMO/events.ndjson --schema '<events DDL>' --codec zstd"
t0=$(date +%s%N)
if ! "$LS" parquet write "$PQ" --input "$DEMO/events.ndjson" --schema "$SCHEMA" --codec zstd; then
  echo "demo: lakestream parquet write failed" >&2
  exit 1
fi
t1=$(date +%s%N)
size=$(stat -c %s "$PQ")
awk -v r="$ROWS" -v b="$size" -v ns=$((t1 - t0)) \
  'BEGIN { printf "wrote %d bytes (%.1f B/row) in %.3f s (%.0f rows/s)\n", b, b / r, ns / 1e9, r / (ns / 1e9) }'

echo "== $LS parquet meta $PQ (summary; the full JSON is in $DEMO/meta.txt)"
if "$LS" parquet meta "$PQ" >"$DEMO/meta.txt" 2>&1; then
  # one line per column chunk; falls back to the raw head if the JSON has another shape
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`created_by: ${m.created_by}, version ${m.version}, ${m.num_rows} rows, ${m.row_groups.length} row group(s), ${m.file_size} bytes`);
    m.row_groups.forEach((rg, g) => {
      console.log(`row group ${g}: ${rg.num_rows} rows, ${rg.total_compressed_size} bytes compressed (${rg.total_byte_size} uncompressed)`);
      for (const c of rg.columns) {
        const st = c.statistics || {};
        const mm = st.min_value !== undefined ? ` min=${JSON.stringify(st.min_value).slice(0, 28)} max=${JSON.stringify(st.max_value).slice(0, 28)}` : "";
        console.log(`  ${c.path.padEnd(16)} ${String(c.type).padEnd(10)} ${c.codec} ${c.encodings.join("/").padEnd(28)} ${String(c.total_compressed_size).padStart(9)} B  nulls=${st.null_count ?? "?"}${mm}`);
      }
    });' "$DEMO/meta.txt" 2>/dev/null || { head -n 40 "$DEMO/meta.txt"; echo "... (see $DEMO/meta.txt)"; }
else
  echo "(parquet meta failed:)"; head -n 5 "$DEMO/meta.txt"
fi

echo "== $LS parquet cat $PQ --limit 3"
if ! "$LS" parquet cat "$PQ" --limit 3 2>"$DEMO/cat.err"; then
  echo "(parquet cat is not there yet: $(head -n 1 "$DEMO/cat.err"))"
fi

# An independent reader's view of the same file.
if [ -d tests/interop/node_modules ]; then
  echo "== DuckDB reads $PQ"
  node tests/interop/duckdb_sql.mjs \
    "SELECT count(*) AS rows, min(ts) AS first_ts, max(ts) AS last_ts, count(DISTINCT kind) AS kinds FROM read_parquet('$PQ')" \
    "SELECT * FROM read_parquet('$PQ') LIMIT 3" 2>/dev/null || echo "(DuckDB could not read it)"
fi

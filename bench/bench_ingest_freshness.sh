#!/usr/bin/env bash
# bench/bench_ingest_freshness.sh BUILD - freshness of streaming ingest: a producer writes events
# at a fixed rate into a landing folder (files renamed in every 100 ms) for a bounded time while
# `lakestream ingest --trigger interval:1s` runs; afterwards every row's latency is computed as
# (time its commit became visible: mtime of the _delta_log/N.json that added its file) -
# (time the producer wrote the event: its "ts"), read with DuckDB from the committed files.
# Prints p50 / p99 / max latency, the producer's rate and the sustained ingest rate.
# Env: FRESH_RATE (events/s, default 20000), FRESH_SECONDS (default 30), FRESH_THREADS (2),
#      FRESH_ROLL_MS (100), FRESH_TRIGGER (interval:1s).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
RATE=${FRESH_RATE:-20000}
SECS=${FRESH_SECONDS:-30}
THREADS=${FRESH_THREADS:-2}
ROLL=${FRESH_ROLL_MS:-100}
TRIGGER=${FRESH_TRIGGER:-interval:1s}
OUT=bench/out
LS="$BUILD/lakestream"
die() { echo "bench_ingest_freshness: $*" >&2; exit 1; }
[ -d tests/interop/node_modules ] || die "tests/interop/node_modules missing: run 'make deps'"
[ -x "$LS" ] || die "$LS is missing: build it with make"
"$LS" ingest 2>&1 | grep -q "expected the table" || die "$LS has no ingest command"
PROD="$BUILD/bench/ingest_producer"
if [ ! -x "$PROD" ]; then
  PROD="$OUT/ingest_producer"
  mkdir -p "$OUT"
  if [ ! -x "$PROD" ] || [ bench/ingest_producer.c -nt "$PROD" ]; then
    cc -std=c11 -O2 -D_GNU_SOURCE bench/ingest_producer.c -o "$PROD" || die "cannot build ingest_producer"
  fi
fi
W="$OUT/fresh"
rm -rf "$W"; mkdir -p "$W/land"
TB="$W/table"
SCHEMA='id BIGINT, ts TIMESTAMP, user_id BIGINT, kind STRING, amount DOUBLE, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE, lon: DOUBLE>, ok BOOLEAN, session BIGINT'
# create the table first (an empty landing folder: the run creates and exits)
"$LS" ingest "$TB" --source "$W/land" --create --schema "$SCHEMA" --partition-by "day(ts) AS day" \
  --trigger once --quiet || die "cannot create the table"
"$LS" ingest "$TB" --source "$W/land" --trigger "$TRIGGER" --threads "$THREADS" \
  --status-file "$W/status.json" 2>"$W/ingest.log" &
ING=$!
sleep 0.5
echo "bench_ingest_freshness: $RATE events/s for $SECS s, files renamed in every $ROLL ms, trigger $TRIGGER, $THREADS threads"
"$PROD" --dir "$W/land" --rate "$RATE" --seconds "$SECS" --roll-ms "$ROLL" 2>"$W/producer.log" || die "producer failed"
cat "$W/producer.log"
produced=$(sed -n 's/^produced \([0-9]*\) events.*/\1/p' "$W/producer.log")
rows() { node -e 'try{console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).rows)}catch(e){console.log(0)}' "$W/status.json"; }
i=0
while [ "$(rows)" -lt "$produced" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
kill -TERM $ING; wait $ING
ingested=$(rows)
[ "$ingested" = "$produced" ] || echo "WARNING: ingested $ingested of $produced events (timeout waiting)"

# file -> visible time (ms) and the per-row latency quantiles in DuckDB
node tests/ingest/delta_live.mjs "$TB" --versions > "$W/files.tsv"
vals=$(awk -F'\t' '{ gsub("'"'"'", "'"''"'", $1); printf "%s('"'"'%s'"'"', %s)", (NR > 1 ? "," : ""), $1, $3 }' "$W/files.tsv")
list=$(cut -f1 "$W/files.tsv" | sed "s/'/''/g; s/^/'/; s/\$/'/" | paste -sd, -)
res=$(node tests/interop/duckdb_sql.mjs "SET TimeZone='UTC'" "
  WITH c(f, vis) AS (VALUES $vals),
       r AS (SELECT filename AS f, epoch_ms(ts) AS w FROM read_parquet([$list], filename=true))
  SELECT count(*) AS n,
         round(quantile_cont(vis - w, 0.5)) AS p50_ms, round(quantile_cont(vis - w, 0.99)) AS p99_ms,
         max(vis - w) AS max_ms, min(vis - w) AS min_ms,
         round(count(*) / ((max(vis) - min(w)) / 1000.0)) AS sustained_per_s
  FROM r JOIN c USING (f)" 2>&1)
echo "$res" | grep -v -e elapsed_ms -e cpu_ms
get() { echo "$res" | sed -n "s/.*\"$1\":\"\{0,1\}\([-0-9.]*\).*/\1/p" | head -n 1; }
batches=$(grep -c ' -> v' "$W/ingest.log")
avg_lat=$(grep -o '(commit [0-9]* ms)' "$W/ingest.log" | tr -d '()' | awk '{ s += $2; n++ } END { if (n) printf "%.0f", s / n; else print 0 }')
echo "latency event write -> visible: p50 $(get p50_ms) ms, p99 $(get p99_ms) ms, max $(get max_ms) ms over $(get n) events"
echo "rates: produced $(awk -v p="$produced" -v s="$SECS" 'BEGIN { printf "%.0f", p / s }')/s, sustained ingest $(get sustained_per_s)/s; $batches commits, average commit time $avg_lat ms"
p99=$(get p99_ms)
[ -n "$p99" ] && awk -v p="$p99" 'BEGIN { exit !(p < 2000) }' && echo "p99 under 2 s: yes" || echo "p99 under 2 s: NO"
[ "$ingested" = "$produced" ]

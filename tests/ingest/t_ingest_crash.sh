#!/usr/bin/env bash
# t_ingest_crash.sh BUILD - exactly once under kill -9.
# 40 files of events (12,000 ids, plus malformed lines; some gzip'd) are dropped into a landing
# folder over ~16 s while `lakestream ingest` runs with short batches that end inside files
# (--max-batch-rows 500, interval 300 ms). The ingest process is killed with SIGKILL at a random
# moment 20 times and restarted each time (1 or 2 threads alternately); a final run with
# --trigger available-now finishes. The table must then hold every id exactly once (DuckDB over
# the committed data files: count, distinct, sum), every malformed line must be in _errors/
# exactly once, and the log's txn version must equal the number of data commits.
# Env: CRASH_KILLS (default 20), CRASH_SEED (default 42).
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
LS=$ROOT/$BUILD/lakestream
T=${LS_TMP:-$(mktemp -d)}/ingest_crash
rm -rf "$T"; mkdir -p "$T/stage" "$T/land"
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -n 20 | sed 's/^/    /'; }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
finish() { echo "RESULT $pass $fail"; exit $([ $fail = 0 ] && echo 0 || echo 1); }
GEN="node $ROOT/tests/ingest/gen_test_events.mjs"
KILLS=${CRASH_KILLS:-20}
RANDOM=${CRASH_SEED:-42}

if [ ! -d tests/interop/node_modules ]; then
  echo "SKIP node_modules missing (run make deps): DuckDB checks need them"; echo "RESULT 0 0"; exit 0
fi
if ! "$LS" ingest 2>&1 | grep -q "expected the table"; then
  bad "lakestream has an ingest command"; finish
fi
jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1; }

# one generator run, split into 40 files (malformed lines fall wherever the split puts them)
s=$($GEN --from 1 --count 12000 --seed 7 --bad-every 61 2>&1 >"$T/all.json")
exp_n=12000; exp_sum=$((12000 * 12001 / 2)); exp_bad=$(echo "$s" | awk '{print $6}')
lines=$(wc -l < "$T/all.json")
split -l $(( (lines + 39) / 40 )) -d -a 2 --additional-suffix=.json "$T/all.json" "$T/stage/ev-"
for f in "$T"/stage/ev-*4.json "$T"/stage/ev-*9.json; do gzip "$f"; done
rm -f "$T/all.json"
SCHEMA="id BIGINT, ts TIMESTAMP, kind STRING, user STRUCT<id: BIGINT, name: STRING, geo: STRUCT<lat: DOUBLE, lon: DOUBLE>>, tags ARRAY<STRING>, amount DOUBLE"

# the producer: files appear over ~12 s (written elsewhere, renamed in)
(
  for f in $(ls "$T/stage" | sort); do
    cp "$T/stage/$f" "$T/land/.$f.tmp" && mv "$T/land/.$f.tmp" "$T/land/$f"
    sleep 0.4
  done
) &
PRODUCER=$!

t0=$(date +%s)
for k in $(seq 1 "$KILLS"); do
  th=$(( k % 2 + 1 ))
  "$LS" ingest "$T/tbl" --source "$T/land" --create --schema "$SCHEMA" --partition-by "day(ts)" \
    --trigger interval:300ms --max-batch-rows 500 --threads $th --quiet 2>>"$T/ingest.log" &
  pid=$!
  # a random moment in 0.05 .. 1.6 s (the first run also creates the table)
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + (r % 156) / 100 }')"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
done
wait $PRODUCER
out=$("$LS" ingest "$T/tbl" --source "$T/land" --create --schema "$SCHEMA" --partition-by "day(ts)" \
      --trigger available-now --max-batch-rows 500 2>&1); rc=$?
echo "$out" | tail -n 3 | sed 's/^/    /'
echo "NOTE $KILLS kills in $(( $(date +%s) - t0 )) s"
check "final run after $KILLS kills: exit 0" '[ $rc = 0 ]' "$out"

files=$(node tests/ingest/delta_live.mjs "$T/tbl")
list=$(echo "$files" | sed "s/'/''/g; s/^/'/; s/\$/'/" | paste -sd, -)
r=$(node tests/interop/duckdb_sql.mjs "SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM read_parquet([$list], hive_partitioning=true) t" 2>&1)
n=$(echo "$r" | jget n); d=$(echo "$r" | jget d); s=$(echo "$r" | jget s)
check "every id exactly once (count $n, distinct $d, expected $exp_n)" '[ "$n" = "$exp_n" ] && [ "$d" = "$exp_n" ]' "$r"
check "checksum of ids ($s, expected $exp_sum)" '[ "$s" = "$exp_sum" ]' "$r"
nerr=$(cat "$T"/tbl/_errors/*/*.ndjson 2>/dev/null | wc -l)
nerr_u=$(cat "$T"/tbl/_errors/*/*.ndjson 2>/dev/null | node -e '
  const s = new Set(require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean)
    .map(l => { const e = JSON.parse(l); return e.source + ":" + e.line; }));
  console.log(s.size);')
check "every malformed line in _errors exactly once ($nerr, distinct $nerr_u, expected $exp_bad)" \
  '[ "$nerr" = "$exp_bad" ] && [ "$nerr_u" = "$exp_bad" ]'
desc=$("$LS" describe "$T/tbl" 2>&1)
check "describe: $exp_n rows" 'echo "$desc" | grep -q "^rows: $exp_n$"' "$desc"
pos=$("$LS" ingest "$T/tbl" --show-position 2>&1)
check "position: 40 files done, nothing partial" 'echo "$pos" | grep -q "40 files done" && ! echo "$pos" | grep -q partial' "$pos"
# txn versions are contiguous batch numbers: one per data commit
txn=$(echo "$desc" | sed -n 's/^  lakestream-ingest-[^=]*=\([0-9]*\)$/\1/p')
ncommits=$(grep -l '"txn"' "$T"/tbl/_delta_log/*.json | wc -l)
check "txn version = number of ingest commits - 1 ($txn, $ncommits commits)" '[ -n "$txn" ] && [ $((txn + 1)) = "$ncommits" ]'
finish

#!/usr/bin/env bash
# t_ingest_e2e.sh BUILD - streaming ingest end to end, through the CLI.
#  1. A landing folder fed while `ingest --trigger interval:1s --merge-schema` runs: generated
#     events with nested fields, nulls, a field that appears later, values that do not fit
#     (rescued) and malformed lines, as NDJSON (renamed in, written in place, gzip, zstd) and
#     CSV. The table must hold exactly the input rows (DuckDB over the committed data files:
#     count, distinct ids, sum of ids), the malformed lines must be in _errors/ with their
#     raw text, the schema must have gained the new column, misfits must be in _rescued_data.
#     A file changed after ingestion is reported and not ingested again. SIGTERM -> exit 0.
#  2. Restart: nothing is ingested twice; --show-position and the status file.
#  3. stdin, multiple sources in one commit, batches cut inside a file (partial positions),
#     a second signal aborting a batch, flatten + explode, CSV header handling.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
LS=$ROOT/$BUILD/lakestream
T=${LS_TMP:-$(mktemp -d)}/ingest_e2e
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -n 20 | sed 's/^/    /'; }
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
finish() { echo "RESULT $pass $fail"; exit $([ $fail = 0 ] && echo 0 || echo 1); }
GEN="node $ROOT/tests/ingest/gen_test_events.mjs"
LIVE="node $ROOT/tests/ingest/delta_live.mjs"

if [ ! -d tests/interop/node_modules ]; then
  echo "SKIP node_modules missing (run make deps): DuckDB checks need them"; echo "RESULT 0 0"; exit 0
fi
if ! "$LS" ingest 2>&1 | grep -q "expected the table"; then
  bad "lakestream has an ingest command" "$("$LS" ingest 2>&1 | head -n 3)"; finish
fi
sql() { node tests/interop/duckdb_sql.mjs "$@" 2>/dev/null; }
# DuckDB over the committed data files of table $1: prints JSON of SELECT $2 FROM t
tsql() {
  local files list
  files=$($LIVE "$1") || return 1
  [ -n "$files" ] || { echo '{}'; return 0; }
  list=$(echo "$files" | sed "s/'/''/g; s/^/'/; s/\$/'/" | paste -sd, -)
  sql "SET TimeZone='UTC'" "SELECT $2 FROM read_parquet([$list], hive_partitioning=true, union_by_name=true) t"
}
jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1; }
# waits until $1 (a command) prints a number >= $2, up to $3 seconds
wait_for() {
  local i=0 v
  while [ $i -lt $(( $3 * 10 )) ]; do
    v=$(eval "$1" 2>/dev/null)
    [ -n "$v" ] && [ "$v" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.1; i=$((i+1))
  done
  return 1
}
status_rows() { node -e 'try{const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(s.rows)}catch(e){console.log(0)}' "$1"; }

# ---- 1. landing folder while ingest runs ---------------------------------------------------
LAND=$T/land; TB=$T/events; STAT=$T/status.json; LOG=$T/ingest.log
mkdir -p "$LAND" "$T/stage"
exp_n=0; exp_sum=0; exp_bad=0; exp_misfit=0; exp_later=0
gen() { # name from count later_from [format] -> $T/stage/name, adds to expectations
  local s
  s=$($GEN --from "$2" --count "$3" --seed "$2" --bad-every 37 --misfit-every 23 --later-from "$4" \
      --format "${5:-ndjson}" 2>&1 >"$T/stage/$1")
  exp_n=$((exp_n + $(echo "$s" | awk '{print $2}')))
  exp_sum=$((exp_sum + $(echo "$s" | awk '{print $4}')))
  exp_bad=$((exp_bad + $(echo "$s" | awk '{print $6}')))
  exp_misfit=$((exp_misfit + $(echo "$s" | awk '{print $8}')))
  exp_later=$((exp_later + $(echo "$s" | awk '{print $10}')))
}
gen a.json 1 400 0
gen b.json 401 400 0
gen c.json 801 300 0
gen d.json 1101 500 1101       # "later" appears from here on
gen e.json 1601 500 1101
gen f.json 2101 400 1101
gen g.csv 2501 200 0 csv
gzip -c "$T/stage/e.json" > "$T/stage/e.json.gz"
zstd -q -c "$T/stage/f.json" > "$T/stage/f.json.zst" 2>/dev/null || { bad "zstd tool available"; finish; }
drop() { cp "$T/stage/$1" "$LAND/.$1.tmp" && mv "$LAND/.$1.tmp" "$LAND/$1"; } # write, then rename in

drop a.json # present before the start
# the schema is inferred from the first 20 events (before the first misfit and bad line)
"$LS" ingest "$TB" --source "$LAND" --create --infer-rows 20 --partition-by "day(ts) AS day" --merge-schema \
  --trigger interval:1s --status-file "$STAT" --threads 2 >"$T/ingest.out" 2>"$LOG" &
PID=$!
sleep 1.2; drop b.json
sleep 0.7; cat "$T/stage/c.json" > "$LAND/c.json"   # written in place (seen on close)
sleep 0.9; drop d.json
sleep 0.4; drop e.json.gz
sleep 0.6; drop f.json.zst
sleep 0.3; drop g.csv
if wait_for "status_rows $STAT" "$exp_n" 40; then ok "ingest caught up ($exp_n rows)"; else
  bad "ingest caught up ($exp_n rows)" "status rows: $(status_rows "$STAT"); log: $(tail -n 5 "$LOG")"; fi
# a file changed after ingestion: reported, not ingested again
echo '{"id": 999999, "ts": "2024-03-01T00:00:00Z"}' >> "$LAND/b.json"
i=0; while [ $i -lt 40 ] && ! grep -q "b.json changed after it was ingested" "$LOG"; do sleep 0.1; i=$((i+1)); done
check "a file changed after ingestion is reported" 'grep -q "b.json changed after it was ingested" "$LOG"' "$(tail -n 3 "$LOG")"
sleep 1.2
kill -TERM $PID; wait $PID; rc=$?
check "SIGTERM: exit 0 after the batch" '[ $rc = 0 ]' "exit $rc; $(tail -n 5 "$LOG")"

r=$(tsql "$TB" "count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s, count(later.x) AS l, count(_rescued_data) AS r, count(*) FILTER (WHERE day <> CAST(ts AS DATE)) AS wrongday")
n=$(echo "$r" | jget n); d=$(echo "$r" | jget d); s=$(echo "$r" | jget s)
check "table holds every input row once (DuckDB: count $n distinct $d, expected $exp_n)" \
  '[ "$n" = "$exp_n" ] && [ "$d" = "$exp_n" ]' "$r"
check "checksum of ids (sum $s, expected $exp_sum)" '[ "$s" = "$exp_sum" ]' "$r"
check "the field that appeared later became a column ($(echo "$r" | jget l) of $exp_later)" \
  '[ "$(echo "$r" | jget l)" = "$exp_later" ]' "$r"
check "misfit values are in _rescued_data ($(echo "$r" | jget r) of $exp_misfit)" \
  '[ "$(echo "$r" | jget r)" = "$exp_misfit" ]' "$r"
check "derived day(ts) partition matches ts" '[ "$(echo "$r" | jget wrongday)" = 0 ]' "$r"
desc=$("$LS" describe "$TB" 2>&1)
check "schema gained the new nested column" 'echo "$desc" | grep -q "later STRUCT<x: BIGINT>"' "$desc"
check "describe counts the rows" 'echo "$desc" | grep -q "^rows: $exp_n\$"' "$desc"
check "partition column day" 'echo "$desc" | grep -q "partition columns: day"' "$desc"
nerr=$(cat "$TB"/_errors/*/*.ndjson 2>/dev/null | wc -l)
check "malformed lines are in _errors/ ($nerr of $exp_bad)" '[ "$nerr" = "$exp_bad" ]' "$(ls -R "$TB/_errors" 2>&1 | head)"
errs_ok=$(cat "$TB"/_errors/*/*.ndjson | node -e '
  const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
  let ok = 0;
  for (const l of lines) { const e = JSON.parse(l);
    if (typeof e.source === "string" && e.line > 0 && e.reason && typeof e.raw === "string") ok++; }
  console.log(ok === lines.length ? "yes" : "no " + ok + "/" + lines.length);')
check "error records have source, line, reason and raw" '[ "$errs_ok" = yes ]' "$errs_ok"
check "raw text of a malformed line is kept exactly" \
  'grep -h -F "\"raw\":\"this line is not json at all\"" "$TB"/_errors/*/*.ndjson | grep -q "\"source\":\"a.json\""'
check "invalid UTF-8 keeps its exact bytes in raw_base64" 'grep -q raw_base64 "$TB"/_errors/*/*.ndjson'
# the line numbers of errors point at the malformed lines of the source file
ln=$(grep -h '"source":"a.json"' "$TB"/_errors/*/*.ndjson | head -n 1 | jget line)
check "error line number points at the source line (a.json:$ln)" \
  '[ -n "$ln" ] && sed -n "${ln}p" "$LAND/a.json" | grep -qv "^{\"id\":[0-9]*,\"ts\""'
m=$(grep -h numErrorLines "$TB"/_delta_log/*.json | sed 's/.*"numErrorLines":"\([0-9]*\)".*/\1/' | paste -sd+ - | bc)
check "commitInfo.operationMetrics.numErrorLines adds up to $exp_bad ($m)" '[ "$m" = "$exp_bad" ]'
check "batch log lines name rows, partitions, latency and lag" \
  'grep -E "batch [0-9]+ -> v[0-9]+: [0-9]+ rows, .* partitions, [0-9]+ errors, .* ms \(commit [0-9]+ ms\), lag [0-9.]+ s" "$LOG" | head -n 1 | grep -q .' \
  "$(head -n 5 "$LOG")"
check "status file: stopped, with the source position" \
  'node -e "const s=JSON.parse(require(\"fs\").readFileSync(\"$STAT\",\"utf8\")); process.exit(s.state===\"stopped\" && s.sources[0].files_done===7 ? 0 : 1)"' "$(cat "$STAT")"
one=$("$LS" cat "$TB" --where "id = 1234" 2>&1)
check "cat --where finds a row" 'echo "$one" | grep -q "\"id\":1234,"' "$one"

# ---- 2. restart: nothing twice ----------------------------------------------------------------
before=$(ls "$TB/_delta_log" | grep -c json)
out=$("$LS" ingest "$TB" --source "$LAND" --trigger available-now 2>&1); rc=$?
after=$(ls "$TB/_delta_log" | grep -c json)
check "restart with nothing new: exit 0, no commit" '[ $rc = 0 ] && [ "$before" = "$after" ]' "$out"
check "restart reports the changed file again, still not ingested" 'echo "$out" | grep -q "b.json changed"' "$out"
pos=$("$LS" ingest "$TB" --show-position 2>&1)
check "--show-position lists the source's files" 'echo "$pos" | grep -q "7 files done"' "$pos"
$GEN --from 2701 --count 50 --seed 3 --format csv > "$LAND/.g2.tmp" 2>/dev/null && mv "$LAND/.g2.tmp" "$LAND/g2.csv"
exp_n=$((exp_n + 50)); exp_sum=$((exp_sum + (2701 + 2750) * 50 / 2))
"$LS" ingest "$TB" --source "$LAND" --trigger available-now --quiet; rc=$?
r=$(tsql "$TB" "count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s")
check "a new file after restart is ingested once (exit $rc)" \
  '[ $rc = 0 ] && [ "$(echo "$r" | jget n)" = "$exp_n" ] && [ "$(echo "$r" | jget d)" = "$exp_n" ] && [ "$(echo "$r" | jget s)" = "$exp_sum" ]' "$r"

# ---- 3a. stdin ----------------------------------------------------------------------------------
TS=$T/stdin_tbl
$GEN --from 1 --count 3000 --seed 9 --bad-every 100 2>/dev/null | \
  "$LS" ingest "$TS" --source - --create --schema "id BIGINT, ts TIMESTAMP, kind STRING, user STRUCT<id: BIGINT, name: STRING, geo: STRUCT<lat: DOUBLE, lon: DOUBLE>>, tags ARRAY<STRING>, amount DOUBLE" \
  --trigger interval:200ms --quiet; rc=$?
r=$(tsql "$TS" "count(*) AS n, sum(id) AS s")
check "stdin: all rows, exit 0 at EOF" '[ $rc = 0 ] && [ "$(echo "$r" | jget n)" = 3000 ] && [ "$(echo "$r" | jget s)" = 4501500 ]' "$r"
check "stdin: 30 malformed lines in _errors" '[ "$(cat "$TS"/_errors/*/*.ndjson | wc -l)" = 30 ]'
pos=$("$LS" ingest "$TS" --show-position 2>&1)
check "stdin position is recorded" 'echo "$pos" | grep -q "stdin at byte"' "$pos"

# ---- 3b. two sources, one commit each batch ------------------------------------------------------
A=$T/srcA; B=$T/srcB; TM=$T/multi
mkdir -p "$A" "$B"
$GEN --from 1 --count 500 --seed 1 > "$A/a.json" 2>/dev/null
$GEN --from 501 --count 500 --seed 2 > "$B/b.json" 2>/dev/null
out=$("$LS" ingest "$TM" --source "$A" --source "$B" --app-id mix --create --trigger available-now 2>&1); rc=$?
c1=$(cat "$TM"/_delta_log/00000000000000000001.json 2>/dev/null)
check "two sources: one commit with a txn per source" \
  '[ $rc = 0 ] && [ "$(echo "$c1" | grep -c "\"txn\"")" = 2 ] && echo "$c1" | grep -q "\"appId\":\"mix-0\"" && echo "$c1" | grep -q "\"appId\":\"mix-1\""' "$out"
check "two sources: a manifest per source" '[ "$(echo "$c1" | grep -c "lakestream.ingest.mix-")" = 2 ]'
r=$(tsql "$TM" "count(*) AS n, sum(id) AS s")
check "two sources: all rows" '[ "$(echo "$r" | jget n)" = 1000 ] && [ "$(echo "$r" | jget s)" = 500500 ]' "$r"

# ---- 3c. batches cut inside a file: partial positions ---------------------------------------------
P=$T/partial_land; TP=$T/partial
mkdir -p "$P"
$GEN --from 1 --count 1000 --seed 4 --bad-every 50 2>/dev/null | gzip -c > "$P/one.json.gz"
$GEN --from 1001 --count 600 --seed 5 2>/dev/null > "$P/two.json"
ok_runs=0
for i in 1 2 3 4 5 6 7 8 9 10; do
  "$LS" ingest "$TP" --source "$P" --create --trigger once --max-batch-rows 250 --quiet && ok_runs=$((ok_runs+1))
done
pos=$("$LS" ingest "$TP" --show-position 2>&1)
r=$(tsql "$TP" "count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s")
check "ten 'once' runs of <=250 rows each resume inside files (incl. gzip)" \
  '[ $ok_runs = 10 ] && [ "$(echo "$r" | jget n)" = 1600 ] && [ "$(echo "$r" | jget d)" = 1600 ] && [ "$(echo "$r" | jget s)" = 1280800 ]' "$r / $pos"
check "position: two files done" 'echo "$pos" | grep -q "2 files done"' "$pos"
nv=$(ls "$TP/_delta_log" | grep -c '\.json$')
check "each once-run is one commit (plus create)" '[ "$nv" = 8 ] || [ "$nv" = 9 ] || [ "$nv" = 10 ] || [ "$nv" = 11 ]' "versions: $nv"

# ---- 3d. a second signal aborts the batch without committing ----------------------------------------
TA=$T/abort
( $GEN --from 1 --count 20000 --seed 6 2>/dev/null; sleep 3 ) | \
  "$LS" ingest "$TA" --source - --create --trigger interval:10s --quiet 2>"$T/abort.log" &
PID=$!
i=0; while [ ! -e "$TA/_delta_log/00000000000000000000.json" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
sleep 0.7 # rows are being parsed into the batch; its 10 s interval is far away
# two different signals (two pending SIGTERMs would merge into one)
kill -INT $PID; kill -TERM $PID; wait $PID; rc=$?
v=$(ls "$TA/_delta_log" 2>/dev/null | grep -c '\.json$')
check "second signal: exit 1, the batch is not committed (only the create)" \
  '[ $rc = 1 ] && [ "$v" = 1 ] && grep -q abort "$T/abort.log"' "rc $rc, versions $v: $(cat "$T/abort.log")"
d=$("$LS" describe "$TA" 2>&1)
check "the table is consistent after the abort" 'echo "$d" | grep -q "^rows: 0$"' "$d"

# ---- 3e. flatten + explode --------------------------------------------------------------------------
F=$T/flat_land; TF=$T/flat
mkdir -p "$F"
printf '%s\n' '{"id":1,"geo":{"lat":1.5,"pos":{"x":1}},"items":[{"sku":"a"},{"sku":"b"}]}' \
  '{"id":2,"geo":null,"items":[]}' '{"id":3,"geo":{"lat":2.5,"pos":null},"items":null}' > "$F/x.json"
"$LS" ingest "$TF" --source "$F" --create --flatten --explode items --trigger once --quiet; rc=$?
r=$(tsql "$TF" "count(*) AS n, sum(id) AS s, count(items_sku) AS k, sum(geo_pos_x) AS x")
check "flatten + explode: one row per element, empty/null arrays keep their row" \
  '[ $rc = 0 ] && [ "$(echo "$r" | jget n)" = 4 ] && [ "$(echo "$r" | jget s)" = 7 ] && [ "$(echo "$r" | jget k)" = 2 ] && [ "$(echo "$r" | jget x)" = 2 ]' "$r"
printf '%s\n' '{"id":4,"geo":{"lat":3.5,"pos":{"x":5}},"items":[{"sku":"c"}]}' > "$F/y.json"
"$LS" ingest "$TF" --source "$F" --flatten --explode items --trigger once --quiet; rc=$?
r=$(tsql "$TF" "count(*) AS n, sum(geo_pos_x) AS x")
check "flatten + explode: a restart remembers the input schema" \
  '[ $rc = 0 ] && [ "$(echo "$r" | jget n)" = 5 ] && [ "$(echo "$r" | jget x)" = 7 ]' "$r"

# ---- 3e'. TSV: a .tsv file (also compressed) is split on tabs -----------------------------------------
TS="$T/tsv_land"; TT="$T/tsv_table"; mkdir -p "$TS"
printf 'id\tname\tv\n1\talpha, beta\t1.5\n2\t"q\tx"\t2\n' > "$TS/a.tsv"
printf 'id\tname\tv\n3\tgamma\t\n' | gzip > "$TS/b.tsv.gz"
"$LS" ingest "$TT" --source "$TS" --create --schema "id BIGINT, name STRING, v DOUBLE" \
  --trigger available-now --quiet; rc=$?
r=$("$LS" cat "$TT" --columns id,name,v --format csv 2>&1 | sort)
check "TSV files are split on tabs (quoted tab kept, comma is data)" \
  '[ $rc = 0 ] && [ "$r" = "$(printf "1,\"alpha, beta\",1.5\n2,q\tx,2\n3,gamma,\nid,name,v")" ]' "$r"

# ---- 3f. usage errors ---------------------------------------------------------------------------------
"$LS" ingest "$T/x" --source "$LAND" --trigger sometimes >/dev/null 2>&1; rc=$?
check "bad --trigger is a usage error" '[ $rc = 2 ]'
"$LS" ingest "$T/nonexistent_table" --source "$LAND" --trigger once >/dev/null 2>&1; rc=$?
check "a missing table without --create fails" '[ $rc = 1 ]'
"$LS" ingest "$T/y" --source "$T/no_such_dir" --create --trigger once >/dev/null 2>&1; rc=$?
check "a missing landing folder fails" '[ $rc = 1 ]'
finish

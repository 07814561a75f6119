#!/usr/bin/env bash
# t_delta_cli.sh BUILD - Delta tables through the CLI (create, append, describe,
# history, checkpoint): a partitioned table with special characters, unicode
# and nulls in partition values; 12 commits with the checkpoint at version 10;
# every data file checked with DuckDB (row counts per file against the log's
# numRecords, and the set of ids against the input); CSV and Parquet input;
# exactly-once appends with --app-id/--txn-version; 8 concurrent writers x 10
# commits (contiguous versions, no lost rows); simulated crashes at every
# LS_CRASH_POINT leave the table readable at the previous version.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
LS=$BUILD/lakestream
T=${LS_TMP:-$(mktemp -d)}/delta_cli
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2" | head -n 20 | sed 's/^/    /'; }
expect() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi; }
finish() { echo "RESULT $pass $fail"; exit $([ $fail = 0 ] && echo 0 || echo 1); }
have_node=1
[ -d tests/interop/node_modules ] || have_node=0
sql() { node tests/interop/duckdb_sql.mjs "$@" 2>/dev/null; }
field() { sed -n "s/^$1: //p"; } # value of "key: value" lines of describe

# Live files of a table from its JSON log (node: JSON + one URI decode), as
# "<decoded path>\t<numRecords>" lines.
live_files() {
  node -e '
    const fs = require("fs"), dir = process.argv[1] + "/_delta_log/";
    const live = new Map();
    for (const f of fs.readdirSync(dir).filter(n => /^\d{20}\.json$/.test(n)).sort())
      for (const line of fs.readFileSync(dir + f, "utf8").split("\n")) {
        if (!line.trim()) continue;
        const a = JSON.parse(line);
        if (a.add) live.set(a.add.path, a.add);
        if (a.remove) live.delete(a.remove.path);
      }
    for (const [p, a] of live) {
      const n = a.stats ? JSON.parse(a.stats).numRecords : -1;
      console.log(decodeURIComponent(p) + "\t" + n);
    }' "$1"
}

if ! "$LS" create "$T/probe" --schema "a INT" >/dev/null 2>&1; then
  bad "lakestream create works" "$("$LS" create "$T/probe" --schema "a INT" 2>&1)"; finish
fi

# ---- a partitioned table with awkward partition values --------------------------------
TB=$T/events
out=$("$LS" create "$TB" --schema "id BIGINT, s STRING, n INT, d DATE, v DOUBLE, tags ARRAY<STRING>" \
      --partition-by s,n,d --property delta.checkpointInterval=10 --property owner=tests 2>&1)
expect "create partitioned table" $?  "$out"
out=$("$LS" create "$TB" --schema "id BIGINT" 2>&1); rc=$?
expect "create twice fails" $([ $rc = 1 ] && echo "$out" | grep -q "already"; echo $?) "$out"
out=$("$LS" create "$T/bad1" --schema "id BIGINT" --partition-by nope 2>&1); rc=$?
expect "unknown partition column fails" $([ $rc = 1 ] && echo "$out" | grep -q "nope"; echo $?) "$out"
out=$("$LS" create "$T/bad2" --schema "id BIGINT" --property delta.bogus=1 2>&1); rc=$?
expect "unknown delta property fails" $([ $rc = 1 ]; echo $?) "$out"
out=$("$LS" create "$T/bad3" 2>&1); rc=$?
expect "usage error exits 2" $([ $rc = 2 ]; echo $?) "$out"

S_VALUES=('a b/c=d%' 'ünï 😈' 'x#y?z' 'plain')
id=0
for c in $(seq 1 12); do
  f=$T/in_$c.ndjson; : > "$f"
  for r in $(seq 1 25); do
    id=$((id+1))
    k=$(( (id + c) % 5 ))
    if [ $k = 4 ]; then s=null; n=null; d=null
    else s="\"${S_VALUES[$k]}\""; n=$(( k * 7 - 3 )); d="\"2024-0$((k+1))-1$k\""; fi
    printf '{"id":%d,"s":%s,"n":%s,"d":%s,"v":%d.5,"tags":["t%d",null]}\n' $id "$s" "$n" "$d" $id $c >> "$f"
  done
  out=$("$LS" append "$TB" --input "$f" 2>&1) || bad "append $c" "$out"
done
TOTAL=$id
ok "12 appends ran"
expect "checkpoint at version 10" $([ -f "$TB/_delta_log/00000000000000000010.checkpoint.parquet" ]; echo $?) "$(ls $TB/_delta_log)"
expect "no other checkpoint" $([ $(ls "$TB/_delta_log" | grep -c checkpoint.parquet) = 1 ]; echo $?) "$(ls $TB/_delta_log)"
lc=$(cat "$TB/_delta_log/_last_checkpoint" 2>/dev/null)
expect "_last_checkpoint names version 10" $(echo "$lc" | grep -q '^{"version":10,"size":'; echo $?) "$lc"
expect "_last_checkpoint has no parts" $(echo "$lc" | grep -vq '"parts"'; echo $?) "$lc"
expect "partition dir escaping" $([ -d "$TB/s=a b%2Fc%3Dd%25/n=-3/d=2024-01-10" ] && [ -d "$TB/s=x%23y%3Fz" ] && [ -d "$TB/s=ünï 😈" ] && [ -d "$TB/s=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/d=__HIVE_DEFAULT_PARTITION__" ]; echo $?) "$(ls $TB)"
expect "add.path is URI-encoded" $(cat "$TB"/_delta_log/*.json | grep -q '"path":"s=a%20b%252Fc%253Dd%2525/n=-3/d=2024-01-10/part-'; echo $?) "$(head -c 600 $TB/_delta_log/00000000000000000001.json)"
expect "add.path keeps unicode raw" $(cat "$TB"/_delta_log/*.json | grep -q '"path":"s=ünï%20😈/n=4/d=2024-02-11/part-'; echo $?)
expect "null partition value is JSON null" $(cat "$TB"/_delta_log/*.json | grep -q '"partitionValues":{"s":null,"n":null,"d":null}'; echo $?)

desc=$("$LS" describe "$TB" 2>&1)
expect "describe version" $([ "$(echo "$desc" | field version)" = 12 ]; echo $?) "$desc"
expect "describe rows" $([ "$(echo "$desc" | field rows)" = $TOTAL ]; echo $?) "$desc"
expect "describe partitioning" $([ "$(echo "$desc" | field 'partition columns')" = "s, n, d" ]; echo $?) "$desc"
expect "describe schema" $(echo "$desc" | grep -q '^schema: id BIGINT, s STRING, n INT, d DATE, v DOUBLE, tags ARRAY<STRING>$'; echo $?) "$desc"
expect "describe protocol" $(echo "$desc" | grep -q '^protocol: reader 1, writer 2$'; echo $?) "$desc"
expect "describe properties" $(echo "$desc" | grep -q '^  delta.checkpointInterval=10$' && echo "$desc" | grep -q '^  owner=tests$'; echo $?) "$desc"
nfiles=$(echo "$desc" | field files)
expect "describe files" $([ "$nfiles" -ge 12 ]; echo $?) "$desc"

hist=$("$LS" history "$TB" 2>&1)
expect "history has 13 commits" $([ "$(echo "$hist" | wc -l)" = 13 ]; echo $?) "$hist"
expect "history newest first" $(echo "$hist" | head -n 1 | grep -qP '^12\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\tWRITE\t\{"mode":"Append"'; echo $?) "$hist"
expect "history shows metrics" $(echo "$hist" | head -n 1 | grep -q '"numOutputRows":"25"'; echo $?) "$hist"
expect "history ends with CREATE TABLE" $(echo "$hist" | tail -n 1 | grep -qP '^0\t.*\tCREATE TABLE\t'; echo $?) "$hist"
hl=$("$LS" history "$TB" --limit 3 2>&1)
expect "history --limit" $([ "$(echo "$hl" | wc -l)" = 3 ]; echo $?) "$hl"

# ---- every data file with DuckDB ---------------------------------------------------------
if [ $have_node = 1 ]; then
  live_files "$TB" > "$T/live.tsv"
  expect "live files = describe files" $([ "$(wc -l < "$T/live.tsv")" = "$nfiles" ]; echo $?) "$(wc -l < $T/live.tsv) vs $nfiles"
  args=(); files=()
  while IFS=$'\t' read -r p n; do
    files+=("$p"); args+=("SELECT count(*)::INT AS n, $n AS want FROM read_parquet('$TB/$p', hive_partitioning=false)")
  done < "$T/live.tsv"
  res=$(sql "${args[@]}")
  bad_files=$(echo "$res" | node -e 'let b=0,n=0;for (const l of require("fs").readFileSync(0,"utf8").split("\n")) { if(!l) continue; n++; const o=JSON.parse(l); if (o.n!==o.want) b++; } console.log(b + " " + n)')
  expect "every file readable by DuckDB, count = numRecords" $([ "$bad_files" = "0 $nfiles" ]; echo $?) "$bad_files / $res"
  list=$(printf "'$TB/%s'," "${files[@]}")
  got=$(sql "SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS u, min(id)::INT AS lo, max(id)::INT AS hi FROM read_parquet([${list%,}], hive_partitioning=false)")
  expect "DuckDB sees all rows once" $([ "$got" = "{\"n\":$TOTAL,\"u\":$TOTAL,\"lo\":1,\"hi\":$TOTAL}" ]; echo $?) "$got"
  cols=$(sql "SELECT string_agg(name, ',') AS c FROM parquet_schema('$TB/${files[0]}') WHERE name <> 'duckdb_schema' AND name <> 'schema' AND name <> 'spark_schema'")
  expect "data files hold no partition columns" $(echo "$cols" | grep -q '"c":"id,v,tags,list,element"'; echo $?) "$cols"
  ck=$(sql "SELECT count(*)::INT AS n, count(\"add\")::INT AS adds, count(protocol)::INT AS p, count(metaData)::INT AS m FROM read_parquet('$TB/_delta_log/00000000000000000010.checkpoint.parquet')")
  expect "checkpoint readable by DuckDB" $(echo "$ck" | grep -q '"p":1,"m":1'; echo $?) "$ck"
else
  echo "SKIP DuckDB checks: tests/interop/node_modules missing (run scripts/install-deps.sh)"
fi

# ---- CSV and Parquet input -------------------------------------------------------------------
TC=$T/csv
"$LS" create "$TC" --schema "id BIGINT, name STRING, ok BOOLEAN, d DATE, amt DECIMAL(10,2), p STRING" --partition-by p >/dev/null 2>&1
printf 'id,name,ok,d,amt,p\n1,"comma, inside",true,2024-01-02,12.50,a\n2,"quote ""q""",false,,-1.00,b\n3,,TRUE,2024-03-04,,\n4,"multi\nline",false,2024-05-06,0.01,a\n' > "$T/in.csv"
out=$("$LS" append "$TC" --input "$T/in.csv" 2>&1)
expect "append CSV" $? "$out"
expect "CSV rows" $([ "$("$LS" describe "$TC" | field rows)" = 4 ]; echo $?) "$("$LS" describe "$TC" 2>&1)"
printf 'id,name\n1,x\nnotanumber,y\n' > "$T/bad.csv"
out=$("$LS" append "$TC" --input "$T/bad.csv" 2>&1); rc=$?
expect "bad CSV value fails naming the line" $([ $rc = 1 ] && echo "$out" | grep -q "line 3"; echo $?) "$out"
printf 'id,nope\n1,x\n' > "$T/bad2.csv"
out=$("$LS" append "$TC" --input "$T/bad2.csv" 2>&1); rc=$?
expect "unknown CSV column fails" $([ $rc = 1 ] && echo "$out" | grep -q "nope"; echo $?) "$out"
expect "failed appends left no data files" $([ "$(find "$TC" -name '*.parquet' -not -path '*_delta_log*' | wc -l)" = 3 ]; echo $?) "$(find $TC -name '*.parquet')"
if [ $have_node = 1 ]; then
  got=$(live_files "$TC" | cut -f1 | grep '^p=a/')
  row=$(sql "SELECT id, name, ok, d::VARCHAR AS d, amt::VARCHAR AS amt FROM read_parquet('$TC/$got', hive_partitioning=false) ORDER BY id LIMIT 1")
  expect "CSV values typed" $([ "$row" = '{"id":"1","name":"comma, inside","ok":true,"d":"2024-01-02","amt":"12.50"}' ]; echo $?) "$row"
fi
printf '{"id":10,"name":"pq","p":"c"}\n' > "$T/pq.ndjson"
"$LS" parquet write "$T/in.parquet" --input "$T/pq.ndjson" --schema "name STRING, id BIGINT NOT NULL, p STRING" >/dev/null 2>&1
out=$("$LS" append "$TC" --input "$T/in.parquet" 2>&1)
expect "append Parquet (columns by name, missing ones null)" $? "$out"
expect "Parquet rows" $([ "$("$LS" describe "$TC" | field rows)" = 5 ]; echo $?)

# ---- exactly-once appends ---------------------------------------------------------------------
TX=$T/txn
"$LS" create "$TX" --schema "id BIGINT" >/dev/null 2>&1
printf '{"id":1}\n' > "$T/one.ndjson"
out=$("$LS" append "$TX" --input "$T/one.ndjson" --app-id app1 --txn-version 1 2>&1)
expect "txn append" $? "$out"
out=$("$LS" append "$TX" --input "$T/one.ndjson" --app-id app1 --txn-version 1 2>&1)
expect "same txn version is skipped" $(echo "$out" | grep -q "^skipped"; echo $?) "$out"
for i in 1 2 3 4; do "$LS" append "$TX" --input "$T/one.ndjson" --app-id app2 --txn-version 7 >"$T/tx_$i.out" 2>&1 & done; wait
expect "racing same txn commits once" $([ "$("$LS" describe "$TX" | field rows)" = 2 ]; echo $?) "$(cat $T/tx_*.out)"
expect "txn versions in describe" $("$LS" describe "$TX" | grep -q '^  app2=7$'; echo $?) "$("$LS" describe "$TX")"

# ---- 8 concurrent writers x 10 commits ------------------------------------------------------
TP=$T/concurrent
"$LS" create "$TP" --schema "w INT, i INT, pad STRING" --partition-by w >/dev/null 2>&1
for w in 1 2 3 4 5 6 7 8; do
  (
    for i in $(seq 1 10); do
      printf '{"w":%d,"i":%d,"pad":"r1"}\n{"w":%d,"i":%d,"pad":"r2"}\n' $w $i $w $i > "$T/c_${w}_$i.ndjson"
      "$LS" append "$TP" --input "$T/c_${w}_$i.ndjson" > "$T/c_${w}_$i.out" 2>&1 || echo "writer $w commit $i failed: $(cat $T/c_${w}_$i.out)"
    done
  ) > "$T/writer_$w.log" &
done
wait
errs=$(cat "$T"/writer_*.log)
expect "no writer failed" $([ -z "$errs" ]; echo $?) "$errs"
vers=$(ls "$TP/_delta_log" | grep -E '^[0-9]{20}\.json$' | sed 's/\.json$//' | awk '{print $1+0}' | sort -n | tr '\n' ' ')
expect "versions 0..80 contiguous" $([ "$vers" = "$(seq 0 80 | tr '\n' ' ')" ]; echo $?) "$vers"
d=$("$LS" describe "$TP" 2>&1)
expect "no lost rows (160)" $([ "$(echo "$d" | field rows)" = 160 ] && [ "$(echo "$d" | field files)" = 80 ]; echo $?) "$d"
expect "checkpoints at 10..80" $([ "$(ls "$TP/_delta_log" | grep -c 'checkpoint.parquet$')" = 8 ]; echo $?) "$(ls $TP/_delta_log)"
lc=$(cat "$TP/_delta_log/_last_checkpoint")
expect "_last_checkpoint at 80" $(echo "$lc" | grep -q '^{"version":80,'; echo $?) "$lc"

# ---- crashes (LS_CRASH_POINT is test-only fault injection in dl_commit.c) ---------------------
TK=$T/crash
"$LS" create "$TK" --schema "id BIGINT, p STRING" --partition-by p --property delta.checkpointInterval=3 >/dev/null 2>&1
printf '{"id":1,"p":"a"}\n{"id":2,"p":"b"}\n' > "$T/k.ndjson"
"$LS" append "$TK" --input "$T/k.ndjson" >/dev/null 2>&1
for cp in after-data-write before-log-write mid-log-write; do
  before=$("$LS" describe "$TK" 2>&1)
  LS_CRASH_POINT=$cp "$LS" append "$TK" --input "$T/k.ndjson" >/dev/null 2>&1; rc=$?
  after=$("$LS" describe "$TK" 2>&1); drc=$?
  expect "crash $cp killed the writer" $([ $rc = 137 ]; echo $?) "rc=$rc"
  expect "crash $cp: same version and rows" $([ $drc = 0 ] && [ "$(echo "$after" | field version)" = "$(echo "$before" | field version)" ] && [ "$(echo "$after" | field rows)" = "$(echo "$before" | field rows)" ]; echo $?) "$before
---
$after"
done
expect "mid-log-write left only a temp file" $(ls -A "$TK/_delta_log" | grep -q 'ls-tmp' && [ ! -e "$TK/_delta_log/00000000000000000002.json" ]; echo $?) "$(ls -A $TK/_delta_log)"
out=$("$LS" append "$TK" --input "$T/k.ndjson" 2>&1)
expect "append after crashes" $(echo "$out" | grep -q 'as version 2$'; echo $?) "$out"
# a crash while checkpointing (version 3): the commit stands, the partial checkpoint is invisible
LS_CRASH_POINT=mid-checkpoint "$LS" append "$TK" --input "$T/k.ndjson" >/dev/null 2>&1; rc=$?
d=$("$LS" describe "$TK" 2>&1); drc=$?
expect "crash mid-checkpoint: commit visible" $([ $rc = 137 ] && [ $drc = 0 ] && [ "$(echo "$d" | field version)" = 3 ] && [ "$(echo "$d" | field rows)" = 6 ]; echo $?) "rc=$rc $d"
expect "crash mid-checkpoint: no checkpoint file" $([ ! -e "$TK/_delta_log/00000000000000000003.checkpoint.parquet" ]; echo $?)
LS_CRASH_POINT=after-log-write "$LS" append "$TK" --input "$T/k.ndjson" >/dev/null 2>&1
out=$("$LS" checkpoint "$TK" 2>&1)
expect "checkpoint command" $(echo "$out" | grep -q "version 4"; echo $?) "$out"
d=$("$LS" describe "$TK" 2>&1)
expect "readable from the new checkpoint" $([ "$(echo "$d" | field version)" = 4 ] && [ "$(echo "$d" | field rows)" = 8 ]; echo $?) "$d"
out=$("$LS" describe "$T/nowhere" 2>&1); rc=$?
expect "describe of a non-table fails" $([ $rc = 1 ] && echo "$out" | grep -q "not a Delta table"; echo $?) "$out"

finish

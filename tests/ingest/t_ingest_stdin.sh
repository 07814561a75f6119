#!/usr/bin/env bash
# t_ingest_stdin.sh BUILD - `ingest --source -` is exactly once across kill -9 and restarts.
# 1. A file redirected with '<' and 2. the same file through a pipe (`cat file |`): ingest is
#    killed with SIGKILL at random moments (short batches, so kills land mid-stream), then
#    restarted with the same input each time; the table must hold every id exactly once, and a
#    further run with the same input must add nothing (it is recognised as a replay).
# 3. A different stream after a committed one (auto) is ingested fully as a new stream segment,
#    and kills inside that segment still resume exactly once.
# 4. --stdin-resume new, 5. --stdin-resume skip (shorter input is an error), a file that grew.
# 6. CSV on stdin (header at the start of the stream) with kills, via '<' and a pipe.
# 7. --show-position tells a producer where to resume; usage errors; --help.
# Env: STDIN_KILLS (default 6), STDIN_SEED (default 11).
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
case $BUILD in /*) LS=$BUILD/lakestream ;; *) LS=$ROOT/$BUILD/lakestream ;; esac
T=${LS_TMP:-$(mktemp -d)}/ingest_stdin
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok $1"; }
bad() { # name, details ("@fn" runs fn for them)
  fail=$((fail+1)); echo "FAIL $1"; local d=${2:-}
  case $d in @*) d=$(${d#@}) ;; esac
  [ -n "$d" ] && echo "$d" | head -n 20 | sed 's/^/    /'
}
check() { if eval "$2"; then ok "$1"; else bad "$1" "${3:-}"; fi; }
finish() { echo "RESULT $pass $fail"; exit $([ $fail = 0 ] && echo 0 || echo 1); }
KILLS=${STDIN_KILLS:-6}
RANDOM=${STDIN_SEED:-11}

if ! "$LS" ingest 2>&1 | grep -q "expected the table"; then
  bad "lakestream has an ingest command"; finish
fi

# inputs: NDJSON lines with ids (padded so that the stream is several MB), a CSV with a header
ndjson() { seq "$1" "$2" | awk '{printf "{\"id\":%d,\"s\":\"row-%08d-abcdefghijklmnopqrstuvwxyz\"}\n",$1,$1}'; }
ndjson 1 100000 > "$T/a.json"
ndjson 200001 230000 > "$T/b.json"
ndjson 300001 301000 > "$T/s.json"
ndjson 301001 301200 > "$T/s_more.json"
{ echo "name,id,score"; seq 1 60000 | awk '{printf "\"n,%d\",%d,%d.5\n",$1,$1,$1%100}'; } > "$T/c.csv"
SCHEMA="id BIGINT, s STRING"
CSCHEMA="id BIGINT, name STRING, score DOUBLE"

# sorted ids of a table, one per line
ids() { "$LS" cat "$1" --format ndjson --columns id 2>/dev/null | sed 's/[^0-9]//g' | sort -n; }
# "exactly the ids lo..hi (and of the extra ranges)": compares the sorted id lists
expect_ids() { # table, then ranges "lo hi" ...
  local t=$1; shift
  { while [ $# -gt 0 ]; do seq $1; shift; done; } | sort -n > "$T/exp.txt"
  ids "$t" > "$T/got.txt"
  cmp -s "$T/exp.txt" "$T/got.txt"
}
diffinfo() { echo "expected $(wc -l < "$T/exp.txt") ids, got $(wc -l < "$T/got.txt") ($(uniq -d "$T/got.txt" | wc -l) duplicated)"; }
diffout() { diffinfo; echo "$out"; }
rows() { "$LS" describe "$1" 2>/dev/null | sed -n 's/^rows: //p'; }
version() { "$LS" describe "$1" 2>/dev/null | sed -n 's/^version: //p'; }
ncommits() { ls "$1/_delta_log" 2>/dev/null | grep -c '\.json$'; }
rand_sleep() { awk -v r=$RANDOM -v lo="$1" -v span="$2" 'BEGIN { printf "%.2f", lo + (r % span) / 100 }'; }

# kill_loop NAME TABLE MODE(file|pipe) INPUT KILLS [ingest options...]: runs ingest KILLS times,
# each killed with SIGKILL at a random moment after its first commit; counts the kills that left a partly ingested
# stream (0 < new rows < all) in $partial.
partial=0
kill_loop() {
  local name=$1 tbl=$2 mode=$3 input=$4 kills=$5; shift 5
  local before=$(rows "$tbl"); before=${before:-0}
  local total=$(( before + $(grep -c . "$input") ))
  partial=0
  for k in $(seq 1 "$kills"); do
    local th=$(( k % 2 + 1 )) v0=$(ncommits "$tbl")
    if [ "$mode" = file ]; then
      "$LS" ingest "$tbl" --source - --create --trigger interval:50ms --threads $th "$@" \
        < "$input" 2>>"$T/$name.log" &
    else
      cat "$input" | "$LS" ingest "$tbl" --source - --create --trigger interval:50ms \
        --threads $th "$@" 2>>"$T/$name.log" &
    fi
    local pid=$!
    # kill at a random moment after this run's first commit (slow machines and sanitizer
    # builds take a while to start), or after 20 s
    local i=0
    while [ "$(ncommits "$tbl")" -le "$v0" ] && kill -0 $pid 2>/dev/null && [ $i -lt 1000 ]; do
      sleep 0.02; i=$((i+1))
    done
    sleep "$(rand_sleep 0.00 30)"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    local r=$(rows "$tbl"); r=${r:-0}
    if [ "$r" -gt "$before" ] && [ "$r" -lt "$total" ]; then partial=$((partial+1)); fi
  done
}

# ---- 1. a file redirected with '<', killed and restarted -----------------------------------------
kill_loop file "$T/t1" file "$T/a.json" "$KILLS" --schema "$SCHEMA" --max-batch-rows 200
echo "NOTE '<': $partial of $KILLS kills left a partly ingested stream"
check "'<': at least one kill landed mid-stream ($partial)" '[ $partial -ge 1 ]'
out=$("$LS" ingest "$T/t1" --source - --create --schema "$SCHEMA" < "$T/a.json" 2>&1); rc=$?
check "'<': the final run exits 0" '[ $rc = 0 ]' "$out"
check "'<': the restart recognised the replay and skipped the committed bytes" \
  'echo "$out" | grep -q "stdin: replays stream segment 0: skipped the [1-9]"' "$out"
check "'<': every id exactly once after $KILLS kills" 'expect_ids "$T/t1" "1 100000"' '@diffinfo'
v=$(version "$T/t1")
out=$("$LS" ingest "$T/t1" --source - < "$T/a.json" 2>&1); rc=$?
check "'<': the same file again adds nothing and commits nothing" \
  '[ $rc = 0 ] && [ "$(version "$T/t1")" = "$v" ] && [ "$(rows "$T/t1")" = 100000 ]' "$out"
check "no process left error lines" '[ -z "$(cat "$T"/t1/_errors/*/*.ndjson 2>/dev/null)" ]'

if [ -d tests/interop/node_modules ]; then
  files=$(node tests/ingest/delta_live.mjs "$T/t1")
  list=$(echo "$files" | sed "s/'/''/g; s/^/'/; s/\$/'/" | paste -sd, -)
  r=$(node tests/interop/duckdb_sql.mjs "SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM read_parquet([$list]) t" 2>&1)
  check "DuckDB agrees: 100000 rows, 100000 distinct ids, checksum" \
    'echo "$r" | grep -q "\"n\":\"\{0,1\}100000\b" && echo "$r" | grep -q "\"d\":\"\{0,1\}100000\b" && echo "$r" | grep -q "\"s\":\"\{0,1\}5000050000\b"' "$r"
else
  echo "SKIP DuckDB cross-check: tests/interop/node_modules missing (make deps)"
fi

# ---- 2. the same through a pipe ---------------------------------------------------------------------
kill_loop pipe "$T/t2" pipe "$T/a.json" "$KILLS" --schema "$SCHEMA" --max-batch-rows 200
echo "NOTE pipe: $partial of $KILLS kills left a partly ingested stream"
check "pipe: at least one kill landed mid-stream ($partial)" '[ $partial -ge 1 ]'
out=$(cat "$T/a.json" | "$LS" ingest "$T/t2" --source - --create --schema "$SCHEMA" 2>&1); rc=$?
check "pipe: the final run exits 0 after discarding the replayed part" \
  '[ $rc = 0 ] && echo "$out" | grep -q "stdin: replays stream segment 0"' "$out"
check "pipe: every id exactly once after $KILLS kills" 'expect_ids "$T/t2" "1 100000"' '@diffinfo'
v=$(version "$T/t2")
out=$(cat "$T/a.json" | "$LS" ingest "$T/t2" --source - 2>&1); rc=$?
check "pipe: the same stream again adds nothing" \
  '[ $rc = 0 ] && [ "$(version "$T/t2")" = "$v" ] && [ "$(rows "$T/t2")" = 100000 ]' "$out"

# ---- 3. a different stream after a committed one ----------------------------------------------------
: > "$T/seg.log"
kill_loop seg "$T/t1" file "$T/b.json" 4 --max-batch-rows 300
check "a different stream is detected as new (logged)" \
  'grep -q "stdin: a new stream (.*): ingesting it from its first byte as stream segment 1" "$T/seg.log"' "$(head -n 5 "$T/seg.log")"
out=$(cat "$T/b.json" | "$LS" ingest "$T/t1" --source - 2>&1); rc=$?
check "the new stream is ingested fully, exactly once across kills inside it" \
  '[ $rc = 0 ] && expect_ids "$T/t1" "1 100000" "200001 230000"' "@diffout"
pos=$("$LS" ingest "$T/t1" --show-position 2>&1)
check "position: segment 1 with its own bytes/lines, totals over both streams" \
  'echo "$pos" | grep -q "stdin at byte $(( $(wc -c < "$T/a.json") + $(wc -c < "$T/b.json") )) (line 130000)" &&
   echo "$pos" | grep -q "stdin stream segment 1: $(wc -c < "$T/b.json") bytes, 30000 lines committed (the next line is line 30001" &&
   echo "$pos" | grep -q "earlier streams: $(wc -c < "$T/a.json") bytes, 100000 lines"' "$pos"
# a slow live producer of new data: told apart by its first line, not after 4 KiB of it
( ndjson 400001 400001; sleep 4; ndjson 400002 400002 ) | \
  "$LS" ingest "$T/t1" --source - --trigger interval:200ms 2>"$T/live.log" &
LIVE=$!
i=0; while [ "$(rows "$T/t1")" != 130001 ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done
r=$(rows "$T/t1")
wait $LIVE; rc=$?
check "a slow new stream is ingested as it arrives (its first line committed before the second comes)" \
  '[ "$r" = 130001 ] && [ $rc = 0 ] && [ "$(rows "$T/t1")" = 130002 ] && grep -q "a new stream (its first bytes differ" "$T/live.log"' "rows $r / $(cat "$T/live.log")"

# ---- 4. --stdin-resume new -------------------------------------------------------------------------
"$LS" ingest "$T/t3" --source - --create --schema "$SCHEMA" --quiet < "$T/s.json"
out=$("$LS" ingest "$T/t3" --source - --stdin-resume new < "$T/s.json" 2>&1); rc=$?
check "--stdin-resume new: the same input is ingested again in full (logged as a new stream)" \
  '[ $rc = 0 ] && [ "$(rows "$T/t3")" = 2000 ] && [ "$(ids "$T/t3" | uniq | wc -l)" = 1000 ] && echo "$out" | grep -q "a new stream (--stdin-resume new)"' "$out"
out=$(cat "$T/s.json" | "$LS" ingest "$T/t3" --source - 2>&1); rc=$?
check "after it, auto mode takes the same input as a replay of that segment" \
  '[ $rc = 0 ] && [ "$(rows "$T/t3")" = 2000 ] && echo "$out" | grep -q "replays stream segment 1"' "$out"

# ---- 5. --stdin-resume skip, and a file that grew --------------------------------------------------
head -n 10 "$T/s.json" > "$T/short.json"
v=$(version "$T/t3")
out=$("$LS" ingest "$T/t3" --source - --stdin-resume skip < "$T/short.json" 2>&1); rc=$?
check "skip: a shorter file is an error naming both sizes; nothing committed" \
  '[ $rc = 1 ] && echo "$out" | grep -q "stdin is a file of $(wc -c < "$T/short.json") bytes, shorter than the $(wc -c < "$T/s.json") bytes" && [ "$(version "$T/t3")" = "$v" ]' "$out"
out=$(cat "$T/short.json" | "$LS" ingest "$T/t3" --source - --stdin-resume skip 2>&1); rc=$?
check "skip: a shorter pipe is an error; nothing committed" \
  '[ $rc = 1 ] && echo "$out" | grep -q "stdin ended at byte $(wc -c < "$T/short.json"), before the $(wc -c < "$T/s.json") bytes" && [ "$(version "$T/t3")" = "$v" ]' "$out"
out=$(cat "$T/short.json" | "$LS" ingest "$T/t3" --source - 2>&1); rc=$?
check "auto: a shorter stream (a prefix of the committed one) is taken as new data" \
  '[ $rc = 0 ] && [ "$(rows "$T/t3")" = 2010 ] && echo "$out" | grep -q "a new stream"' "$out"
"$LS" ingest "$T/t3" --source - --stdin-resume new --quiet < "$T/s.json"
cat "$T/s.json" "$T/s_more.json" > "$T/s_grown.json"
out=$(cat "$T/s_grown.json" | "$LS" ingest "$T/t3" --source - --stdin-resume skip 2>&1); rc=$?
check "skip: a longer replay ingests only what follows the committed bytes" \
  '[ $rc = 0 ] && [ "$(rows "$T/t3")" = 3210 ] && [ "$(ids "$T/t3" | awk "\$1 > 301000" | wc -l)" = 200 ]' "$out"
ndjson 301201 301300 >> "$T/s_grown.json"
out=$("$LS" ingest "$T/t3" --source - < "$T/s_grown.json" 2>&1); rc=$?
check "auto: a file that grew since (a producer appending) continues after the committed bytes" \
  '[ $rc = 0 ] && [ "$(rows "$T/t3")" = 3310 ] && [ "$(ids "$T/t3" | awk "\$1 > 301200" | wc -l)" = 100 ] && echo "$out" | grep -q "replays stream segment"' "$out"
# stdin redirected from a file but not at its start (a shell read the first line already)
{ IFS= read -r first; "$LS" ingest "$T/t7" --source - --create --schema "$SCHEMA" --quiet; } < "$T/s.json"
{ IFS= read -r first; "$LS" ingest "$T/t7" --source - --quiet; } < "$T/s.json"; rc=$?
check "a file read from its middle: offsets count from there, a replay adds nothing" \
  '[ $rc = 0 ] && expect_ids "$T/t7" "300002 301000"' '@diffinfo'

# ---- 6. CSV on stdin ----------------------------------------------------------------------------------
kill_loop csvf "$T/t4" file "$T/c.csv" 4 --format csv --schema "$CSCHEMA" --max-batch-rows 400
pc=$partial
out=$("$LS" ingest "$T/t4" --source - --format csv --create --schema "$CSCHEMA" < "$T/c.csv" 2>&1); rc=$?
check "CSV '<': exactly once after kills (exit $rc)" '[ $rc = 0 ] && expect_ids "$T/t4" "1 60000"' '@diffinfo'
kill_loop csvp "$T/t5" pipe "$T/c.csv" 4 --format csv --schema "$CSCHEMA" --max-batch-rows 400
pc=$((pc + partial))
echo "NOTE CSV: $pc of 8 kills left a partly ingested stream"
out=$(cat "$T/c.csv" | "$LS" ingest "$T/t5" --source - --format csv --create --schema "$CSCHEMA" 2>&1); rc=$?
check "CSV pipe: exactly once after kills (exit $rc)" '[ $rc = 0 ] && expect_ids "$T/t5" "1 60000"' "@diffout"
for t in t4 t5; do
  row=$("$LS" cat "$T/$t" --format ndjson --where "id = 45678" 2>&1)
  check "CSV $t: the header still maps the columns after resuming (id 45678: $row)" \
    'echo "$row" | grep -q "\"name\":\"n,45678\"" && echo "$row" | grep -q "\"score\":78.5"'
  nn=$("$LS" cat "$T/$t" --format ndjson 2>/dev/null | grep -c "\"name\":null")
  check "CSV $t: no row lost its columns, no error lines" \
    '[ "$nn" = 0 ] && [ -z "$(cat "$T/$t"/_errors/*/*.ndjson 2>/dev/null)" ]' "$nn null names"
done
# a replay whose committed part is only the header: the header is read, not skipped as data
{ echo "name,id,score"; } > "$T/h.csv"
"$LS" ingest "$T/t6" --source - --format csv --create --schema "$CSCHEMA" --quiet < "$T/h.csv"
out=$("$LS" ingest "$T/t6" --source - --format csv < "$T/c.csv" 2>&1); rc=$?
check "CSV: a replay that committed only the header continues with the rows" \
  '[ $rc = 0 ] && expect_ids "$T/t6" "1 60000"' "@diffout"

# ---- 7. position, usage ---------------------------------------------------------------------------
pos=$("$LS" ingest "$T/t2" --show-position 2>&1)
check "--show-position: what a producer needs (bytes and lines committed of its stream)" \
  'echo "$pos" | grep -q "stdin at byte $(wc -c < "$T/a.json") (line 100000)" && echo "$pos" | grep -q "stdin stream segment 0: $(wc -c < "$T/a.json") bytes, 100000 lines committed"' "$pos"
"$LS" ingest "$T/t2" --source - --stdin-resume bogus < /dev/null > /dev/null 2>&1; rc1=$?
"$LS" ingest "$T/t2" --source "$T" --stdin-resume skip > /dev/null 2>&1; rc2=$?
check "usage: a bad --stdin-resume and one without stdin exit 2" '[ $rc1 = 2 ] && [ $rc2 = 2 ]'
check "ingest --help documents --stdin-resume" '"$LS" ingest --help | grep -q -- "--stdin-resume auto|skip|new"'
finish

#!/usr/bin/env bash
# t_cli_parquet.sh BUILD - `lakestream parquet write|meta|cat` from the outside:
# exit codes, error messages naming line and field, no partial output on
# failure, schema inference, stdin input, cat formats and projection.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
LS=$BUILD/lakestream
T=${LS_TMP:-$(mktemp -d)}/cli_parquet
mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok $1"; }
bad() { fail=$((fail+1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "    $2"; }
expect() { # name, condition-result (0 = true), detail
  if [ "$2" = 0 ]; then ok "$1"; else bad "$1" "${3:-}"; fi
}

printf '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n{"id":"x3","name":"c"}\n' > "$T/bad.ndjson"
out=$("$LS" parquet write "$T/bad.parquet" --input "$T/bad.ndjson" --schema "id BIGINT, name STRING" 2>&1); rc=$?
expect "bad value exits 1" $([ $rc = 1 ]; echo $?) "rc=$rc"
expect "error names line 3" $(echo "$out" | grep -q "line 3"; echo $?) "$out"
expect "error names field id" $(echo "$out" | grep -q "id"; echo $?) "$out"
expect "error has lakestream prefix" $(echo "$out" | grep -q "^lakestream: parquet write: "; echo $?) "$out"
expect "no partial output" $([ ! -e "$T/bad.parquet" ] && [ -z "$(ls -A "$T" | grep -v ndjson)" ]; echo $?) "$(ls -la $T)"

printf '{"id":1,\n' > "$T/malformed.ndjson"
out=$("$LS" parquet write "$T/m.parquet" --input "$T/malformed.ndjson" --schema "id BIGINT" 2>&1); rc=$?
expect "malformed JSON exits 1 with line" $([ $rc = 1 ] && echo "$out" | grep -q "line 1"; echo $?) "$out"

out=$("$LS" parquet write 2>&1); rc=$?
expect "usage error exits 2" $([ $rc = 2 ]; echo $?) "rc=$rc $out"
out=$("$LS" parquet write "$T/x.parquet" --input "$T/bad.ndjson" --codec lzo 2>&1); rc=$?
expect "unknown codec exits 2" $([ $rc = 2 ]; echo $?) "rc=$rc $out"
out=$("$LS" parquet meta "$T/nope.parquet" 2>&1); rc=$?
expect "missing file exits 1" $([ $rc = 1 ] && echo "$out" | grep -q "nope.parquet"; echo $?) "$out"
printf 'not a parquet file at all' > "$T/junk.parquet"
out=$("$LS" parquet cat "$T/junk.parquet" 2>&1); rc=$?
expect "junk file is a clean error" $([ $rc = 1 ] && echo "$out" | grep -q "junk.parquet"; echo $?) "$out"

# inference: ints widen to BIGINT then DOUBLE, nested objects -> struct, arrays -> list
printf '{"a":1,"s":{"x":"y"},"l":[1,2]}\n{"a":2.5,"s":{"x":"z","n":true},"l":[]}\n{"t":"2024-01-01T00:00:00Z"}\n' > "$T/infer.ndjson"
"$LS" parquet write "$T/infer.parquet" --input "$T/infer.ndjson" 2>"$T/err"; rc=$?
expect "inferred write succeeds" $([ $rc = 0 ]; echo $?) "$(cat $T/err)"
got=$("$LS" parquet cat "$T/infer.parquet" 2>&1)
want='{"a":1,"s":{"x":"y","n":null},"l":[1,2],"t":null}
{"a":2.5,"s":{"x":"z","n":true},"l":[],"t":null}
{"a":null,"s":null,"l":null,"t":"2024-01-01T00:00:00.000000Z"}'
expect "inferred schema and values" $([ "$got" = "$want" ]; echo $?) "$got"

# stdin input, projection, limit, csv
printf '{"id":1,"g":{"lat":1.5,"lon":2},"s":"x,y"}\n{"id":2,"g":null,"s":"q\\"r"}\n' | \
  "$LS" parquet write "$T/stdin.parquet" --input - --schema "id INT, g STRUCT<lat: DOUBLE, lon: DOUBLE>, s STRING" 2>"$T/err"
expect "stdin write" $?  "$(cat $T/err)"
got=$("$LS" parquet cat "$T/stdin.parquet" --columns id,g.lat --limit 1)
expect "projection + limit" $([ "$got" = '{"id":1,"g":{"lat":1.5}}' ]; echo $?) "$got"
got=$("$LS" parquet cat "$T/stdin.parquet" --format csv)
want='id,g,s
1,"{""lat"":1.5,""lon"":2}","x,y"
2,,"q""r"'
expect "csv output" $([ "$got" = "$want" ]; echo $?) "$got"
"$LS" parquet meta "$T/stdin.parquet" > "$T/meta.json"
expect "meta is JSON with created_by" $(grep -q '"created_by": "lakestream version' "$T/meta.json"; echo $?) "$(head -5 $T/meta.json)"
if command -v node >/dev/null; then
  node -e 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))' "$T/meta.json" 2>/dev/null
  expect "meta parses as JSON" $? ""
fi
echo "RESULT $pass $fail"
[ $fail = 0 ]

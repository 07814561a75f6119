#!/usr/bin/env bash
# t_cat_cli.sh BUILD_DIR - `lakestream cat` end to end on corpus tables: formats,
# time travel, projection, filters, incremental reads, limits, Parquet output and
# error reporting ("lakestream: cat: <why>", exit 1; usage errors exit 2).
set -u
BUILD=${1:-build}
BIN="$BUILD/lakestream"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
if [ -z "${LS_SHARED_DIR:-}" ]; then
  echo "SKIP lakestream cat: LS_SHARED_DIR is not set"; echo "RESULT 0 0"; exit 0
fi
if [ ! -x "$BIN" ]; then
  echo "FAIL lakestream cat: $BIN not built"; echo "RESULT 0 1"; exit 1
fi
D="$LS_SHARED_DIR/testdata/delta"
T=$(mktemp -d "${LS_TMP:-/tmp}/catcli.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LS_NO_PROGRESS=1 LC_ALL=C

check() { # name expected-text command...
  local name=$1 want=$2; shift 2
  local got; got=$("$@" 2>&1)
  if [ "$got" == "$want" ]; then ok "$name"; else bad "$name"; echo "  want: $want"; echo "  got:  $got"; fi
}
check_rc() { # name expected-rc stderr-substring command...
  local name=$1 want=$2 sub=$3; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ $rc -eq "$want" ] && grep -q -- "$sub" "$T/err"; then ok "$name"
  else bad "$name"; echo "  rc $rc (want $want), stderr: $(cat "$T/err")"; fi
}

BP="$D/dat/basic_partitioned/delta"
check "ndjson sorted" \
'{"letter":"a","number":1,"a_float":1.1}
{"letter":"a","number":4,"a_float":4.4}
{"letter":"b","number":2,"a_float":2.2}
{"letter":"c","number":3,"a_float":3.3}
{"letter":"e","number":5,"a_float":5.5}
{"letter":"f","number":6,"a_float":6.6}' bash -c "'$BIN' cat '$BP' | sort"
check "version 0 csv" \
'letter,number,a_float
a,1,1.1
b,2,2.2
c,3,3.3' bash -c "'$BIN' cat '$BP' --version 0 --format csv >'$T/c.csv' && head -1 '$T/c.csv' && tail -n +2 '$T/c.csv' | sort"
check "columns + where" \
'{"number":5,"letter":"e"}
{"number":6,"letter":"f"}' bash -c "'$BIN' cat '$BP' --columns number,letter --where \"letter >= 'b' AND number > 3\" | sort"
check "since-version" \
'{"letter":"a","number":4,"a_float":4.4}
{"letter":"e","number":5,"a_float":5.5}
{"letter":"f","number":6,"a_float":6.6}' bash -c "'$BIN' cat '$BP' --since-version 0 | sort"
check "limit" "2" bash -c "'$BIN' cat '$BP' --limit 2 | wc -l"
check "csv header without rows" "letter,number,a_float" "$BIN" cat "$BP" --format csv --where "number > 100"
check "deletion vectors" '{"letter":"b","int":228,"date":"1978-12-01"}' "$BIN" cat "$D/dat/deletion_vectors/delta"
check "column mapping" "10" bash -c "'$BIN' cat '$D/dat/column_mapping/delta' | wc -l"

# Parquet output round-trips through the Parquet reader
"$BIN" cat "$BP" --format parquet --where "number <= 3" >"$T/o.parquet" 2>"$T/err"
check "parquet output" \
'{"letter":"a","number":1,"a_float":1.1}
{"letter":"b","number":2,"a_float":2.2}
{"letter":"c","number":3,"a_float":3.3}' bash -c "'$BIN' parquet cat '$T/o.parquet' | sort"
"$BIN" cat "$D/dat/nested_types/delta" --format parquet --limit 3 --columns pk,struct.float64 >"$T/n.parquet"
check "parquet limit + nested projection" \
'{"pk":0,"struct":{"float64":0}}
{"pk":1,"struct":{"float64":1}}
{"pk":2,"struct":{"float64":2}}' bash -c "'$BIN' parquet cat '$T/n.parquet' | sort"

check_rc "unknown where column" 1 "lakestream: cat: --where: unknown column 'nope'" "$BIN" cat "$BP" --where "nope = 1"
check_rc "unknown projected column" 1 "lakestream: cat: " "$BIN" cat "$BP" --columns nope
check_rc "bad predicate" 1 "lakestream: cat: --where:" "$BIN" cat "$BP" --where "number = "
check_rc "missing table" 1 "lakestream: cat: " "$BIN" cat "$T/none"
check_rc "refused protocol" 1 "unsupported Delta feature" "$BIN" cat "$D/golden/deltalog-invalid-protocol-version/delta"
check_rc "version and timestamp" 2 "mutually exclusive" "$BIN" cat "$BP" --version 0 --timestamp 0
check_rc "bad timestamp" 2 "--timestamp" "$BIN" cat "$BP" --timestamp yesterday
check_rc "bad format" 2 "--format" "$BIN" cat "$BP" --format xml
check_rc "no table" 2 "expected a table" "$BIN" cat
check_rc "version beyond latest" 1 "lakestream: cat: " "$BIN" cat "$BP" --version 99
echo "RESULT $pass $fail"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# tests/interop/t_interop_selftest.sh BUILD - self-test of the interop harness (compare.mjs, dump.mjs,
# duckdb_sql.mjs) on DuckDB-written Parquet files and gen_events data. Prints "RESULT <passed> <failed>".
cd "$(dirname "$0")" || exit 1
if ! command -v node >/dev/null 2>&1 || [ ! -d node_modules ]; then
  echo "FAIL interop harness: node or tests/interop/node_modules missing (run scripts/install-deps.sh)"
  echo "RESULT 0 1"
  exit 1
fi
if [ -z "${LS_BUILD:-}" ]; then
  case ${1:-build} in /*) LS_BUILD=${1} ;; *) LS_BUILD="$(cd ../.. && pwd)/${1:-build}" ;; esac
  export LS_BUILD
fi
exec node selftest.mjs

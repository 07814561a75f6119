#!/usr/bin/env bash
# bench/run.sh BUILD - run every bench/bench_*.sh with the build directory and show their output.
# Exits non-zero if any benchmark script failed (a missing lakestream binary is reported, not a failure).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-build}
rc=0
shopt -s nullglob
for b in bench/bench_*.sh; do
  echo "== $b"
  if ! bash "$b" "$BUILD"; then
    echo "== $b failed"
    rc=1
  fi
done
exit $rc

#!/usr/bin/env bash
# tests/run.sh BUILD_DIR [--unit-only]
# Runs every test binary (build/tests/*/test_*) and every script test
# (tests/*/t_*.sh; they get the build dir and print "RESULT <passed> <failed>"),
# then prints the total as "N passed, N failed" and exits non-zero on failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODE=${2:-all}
ROOT=$(pwd)
export LS_BUILD="$ROOT/$BUILD"
export LS_ROOT="$ROOT"
if [ -z "${LS_SHARED_DIR:-}" ] && [ -d "$ROOT/../shared/testdata" ]; then
  export LS_SHARED_DIR="$(cd "$ROOT/../shared" && pwd)"
fi
[ -n "${LS_SHARED_DIR:-}" ] || echo "note: ../shared not found: corpus tests will report SKIP"
export LS_TMP=$(mktemp -d /tmp/lstest.XXXXXX)
trap 'rm -rf "$LS_TMP"' EXIT

passed=0; failed=0; failed_names=()
run_one() { # name, command...
  local name=$1; shift
  local log="$LS_TMP/$(echo "$name" | tr '/' '_').log"
  local t0=$(date +%s)
  "$@" >"$log" 2>&1
  local rc=$?
  local res=$(grep -E '^RESULT [0-9]+ [0-9]+$' "$log" | tail -n 1)
  local p=0 f=0
  if [ -n "$res" ]; then p=$(echo "$res" | cut -d' ' -f2); f=$(echo "$res" | cut -d' ' -f3); fi
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi   # crashed or exited badly without a count
  if [ -z "$res" ] && [ $rc -eq 0 ]; then f=1; echo "  (no RESULT line)" >>"$log"; fi
  passed=$((passed + p)); failed=$((failed + f))
  local dt=$(( $(date +%s) - t0 ))
  printf '%-44s %4d passed %3d failed  %3ds\n' "$name" "$p" "$f" "$dt"
  grep -E '^(SKIP|NOTE|SUMMARY)' "$log" | sed 's/^/    /'
  if [ "$f" != 0 ]; then
    failed_names+=("$name")
    grep -E '^(FAIL|not ok)' "$log" | head -n 30 | sed 's/^/    /'
    [ $rc -gt 128 ] && { echo "    exited by signal $((rc-128))"; tail -n 20 "$log" | sed 's/^/    /'; }
    [ -z "$res" ] && tail -n 20 "$log" | sed 's/^/    /'
  fi
}

for t in $(ls "$BUILD"/tests/*/test_* 2>/dev/null | sort); do
  [ -x "$t" ] || continue
  run_one "${t#$BUILD/tests/}" "$t"
done
if [ "$MODE" != "--unit-only" ]; then
  for s in $(ls tests/*/t_*.sh 2>/dev/null | sort); do
    run_one "${s#tests/}" bash "$s" "$BUILD"
  done
fi
if [ ${#failed_names[@]} -gt 0 ]; then echo "failed: ${failed_names[*]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

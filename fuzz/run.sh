#!/usr/bin/env bash
# fuzz/run.sh SECONDS - builds every fuzz/fuzz_*.c target with libFuzzer +
# ASan + UBSan (clang) and runs each for SECONDS, seeded from fuzz/seeds/<name>
# and, for Parquet targets, the shared corpus. Crashes are left in
# build-fuzz/<name>/ as crash-* files: turn them into regression tests.
set -euo pipefail
SECS=${1:-60}
cd "$(dirname "$0")/.."
OUT=build-fuzz
mkdir -p "$OUT"
LIB_SRC=$(ls src/*/*.c | grep -v '^src/cli/')
CFLAGS="-std=c11 -D_GNU_SOURCE -Isrc -Iinclude -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
LIBS="-lzstd -lsnappy -lz -llz4 -lbrotlienc -lbrotlidec -lxxhash -lroaring -lcrypto -lpthread -lm"
SHARED=${LS_SHARED_DIR:-../shared}
status=0
for f in fuzz/fuzz_*.c; do
  name=$(basename "$f" .c)
  echo "== $name: building"
  mkdir -p "$OUT/bin"
  clang $CFLAGS $LIB_SRC "$f" -o "$OUT/bin/$name" $LIBS
  corpus="$OUT/$name/corpus"; mkdir -p "$corpus"
  seeds=()
  [ -d "fuzz/seeds/$name" ] && seeds+=("$(realpath fuzz/seeds/$name)")
  case $name in
    *parquet*|*thrift*) [ -d "$SHARED/testdata/parquet" ] && seeds+=("$(realpath $SHARED/testdata/parquet/data)" "$(realpath $SHARED/testdata/parquet/bad_data)") ;;
  esac
  echo "== $name: running ${SECS}s"
  if ! (cd "$OUT/$name" && ../bin/$name -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 corpus ${seeds[@]+"${seeds[@]}"} >"run.log" 2>&1); then
    echo "!! $name found a problem:"; tail -n 30 "$OUT/$name/run.log"; status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$OUT/$name/run.log" | tail -n 2
  fi
done
exit $status

#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang 14 (ASan + UBSan)
# and runs each for a fixed time, starting from the kept corpus in
# tests/fuzz/corpus/<target>/ (new inputs go to a scratch folder, so the kept
# corpus stays small; copy an input there by hand when it earns its place).
#   tests/fuzz/run.sh SECONDS [TARGET...]    (targets: json_scan framing candle_parse gateway_request)
# Needs clang-14 and libclang-rt-14-dev. Exit 1 when a target finds a crash
# (the input is left in the scratch folder, named crash-*).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:?usage: run.sh SECONDS [TARGET...]}; shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json_scan framing candle_parse gateway_request)
cxx=${PULSE_FUZZ_CXX:-clang++-14}
out=${PULSE_FUZZ_DIR:-${PULSE_BUILD_DIR:-$src/build}/fuzz}
mkdir -p "$out"
flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src/loaders")
for t in "${targets[@]}"; do
  case $t in
    json_scan) sources=("$src/loaders/core/json_scan.cpp"); libs="$(pkg-config --libs jansson) -lsimdjson" ;;
    framing) sources=("$src/loaders/core/framing.cpp"); libs="" ;;
    gateway_request) sources=("$src/loaders/gateway/request.cpp" "$src/loaders/core/framing.cpp"
                              "$src/loaders/core/json_scan.cpp" "$src/loaders/core/jsonb_text.cpp")
                     libs="$(pkg-config --libs jansson) -lsimdjson" ;;
    candle_parse) sources=("$src"/loaders/core/*.cpp "$src"/loaders/sources/*.cpp)
                  libs="$(pkg-config --libs libcurl jansson libpq) -lsimdjson -lpthread" ;;
    *) echo "unknown target $t"; exit 2 ;;
  esac
  bin=$out/fuzz_$t
  # shellcheck disable=SC2086
  "$cxx" "${flags[@]}" $(pkg-config --cflags libcurl jansson libpq) "$src/tests/fuzz/fuzz_$t.cpp" "${sources[@]}" $libs -o "$bin"
  scratch=$out/$t.corpus
  mkdir -p "$scratch"
  echo "== fuzz_$t for ${secs}s"
  (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
     -artifact_prefix="$scratch/" -print_final_stats=1 "$scratch" "$src/tests/fuzz/corpus/$t" 2>"$out/$t.log") \
    || { tail -40 "$out/$t.log"; echo "FAIL: fuzz_$t found a crash (input in $scratch)"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$out/$t.log" | sed "s/^/fuzz_$t /"
done

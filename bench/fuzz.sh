#!/usr/bin/env bash
# Fuzzes every target of tests/fuzz/ for a fixed time each (default 60 s)
# with libFuzzer + ASan + UBSan, installing clang 14 and its fuzzer runtime
# when missing. Results: bench/README.md, section "fuzz".
#   bench/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
pulse_install_deps clang-14 libclang-rt-14-dev
PULSE_FUZZ_DIR=${PULSE_FUZZ_DIR:-$PWD/build/fuzz} tests/fuzz/run.sh "${1:-60}" json_scan framing candle_parse gateway_request

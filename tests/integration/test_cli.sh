#!/usr/bin/env bash
# pulse-load --help documents the subcommands; usage errors exit 2 with one line.
set -uo pipefail
bin=${PULSE_LOAD:?}
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" --help) || fail "--help exited $?"
for word in "pulse-load candles" "pulse-load tweets" --exchange --market --since --until --follow \
            --api-url --file --source --query --format --db --stream --batch-rows --batch-bytes \
            --flush-interval --log-format --quiet PULSE_TWITTER_BEARER_TOKEN; do
  grep -qF -- "$word" <<<"$out" || fail "--help does not mention $word"
done

check_usage() {
  local err status
  err=$("$bin" "$@" 2>&1 >/dev/null); status=$?
  [ "$status" = 2 ] || fail "'$*' exited $status, expected 2"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "'$*' printed more than one line: $err"
  [[ "$err" == pulse-load:* ]] || fail "'$*' message lacks the program name: $err"
}
check_usage
check_usage frobnicate
check_usage candles --no-such-flag
check_usage tweets --batch-rows
echo "ok: help and usage errors"

#!/usr/bin/env bash
# pulse-load --help gives the overview, each subcommand's --help its own
# flags with defaults and examples; --version names the release and the
# extension version it needs; usage errors exit 2 with one line.
set -uo pipefail
bin=${PULSE_LOAD:?}
src=${PULSE_SOURCE_DIR:?}
fail() { echo "FAIL: $*"; exit 1; }
has() { grep -qF -- "$2" <<<"$1" || fail "$3 does not mention $2"; }
lacks() { grep -qF -- "$2" <<<"$1" && fail "$3 mentions $2"; return 0; }

out=$("$bin" --help) || fail "--help exited $?"
for word in "pulse-load COMMAND" "candles " "tweets " --config --version --help PULSE_TWITTER_BEARER_TOKEN "exit codes"; do
  has "$out" "$word" "--help"
done
for word in --exchange --source --batch-rows; do lacks "$out" "$word" "--help"; done

candles=$("$bin" candles --help) || fail "candles --help exited $?"
[ "$candles" != "$out" ] || fail "candles --help is the global help"
[ "$("$bin" help candles)" = "$candles" ] || fail "'help candles' differs from 'candles --help'"
for word in "usage: pulse-load candles" --exchange --market "--period P" --since --until --follow --file --covers \
            --db --stream --wait-for-stream --batch-rows --batch-bytes --flush-interval --api-url --insecure \
            --log-format --quiet --progress-interval --config \
            "(default: 1m)" "(default: 5000)" "(default: 8388608)" "(default: 500)" "(default: text)" "(default: 10)" \
            "examples:" "pulse-load candles --exchange upbit --market KRW-BTC --since"; do
  has "$candles" "$word" "candles --help"
done
for word in --source --query --token-file --format; do lacks "$candles" "$word" "candles --help"; done

tweets=$("$bin" tweets --help) || fail "tweets --help exited $?"
for word in "usage: pulse-load tweets" --source --query --format --token-file --follow --file --covers --db --batch-rows \
            "(default: twitter_v2)" "(default: 5000)" PULSE_TWITTER_BEARER_TOKEN "examples:" "pulse-load tweets --source stream"; do
  has "$tweets" "$word" "tweets --help"
done
for word in --exchange --market --period; do lacks "$tweets" "$word" "tweets --help"; done
[ "$("$bin" candles -h)" = "$candles" ] || fail "-h differs from --help"

# --version: the release is pulse.control's default_version, and it is the
# extension version the loader needs.
want=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/pulse.control")
[ -n "$want" ] || fail "no default_version in pulse.control"
ver=$("$bin" --version) || fail "--version exited $?"
[ "$(head -1 <<<"$ver")" = "pulse-load $want" ] || fail "--version first line: $(head -1 <<<"$ver")"
has "$ver" "needs the pulse extension $want" "--version"
has "$ver" "libpq " "--version"
[ "$("$bin" candles --version)" = "$ver" ] || fail "candles --version differs"
[ "$("$bin" version)" = "$ver" ] || fail "'version' differs"

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
check_usage help frobnicate
check_usage --config /nonexistent/pulse.conf
check_usage candles --config
echo "ok: help per command, version, usage errors"

#!/usr/bin/env bash
# Every pulse-load flag with huge, negative, empty or garbage values: exit 2
# with exactly one line naming the program, before any connection is tried
# (the database given is unreachable), never a crash or a hang.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/candles_lib.sh"
nodb="host=127.0.0.1 port=1 connect_timeout=2"
base=(candles --db "$nodb" --exchange upbit --market KRW-BTC)
n=0
check2() {
  local err status
  err=$(timeout 20 "$bin" "$@" 2>&1 >/dev/null); status=$?
  [ "$status" = 2 ] || fail "'$*' exited $status, expected 2: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "'$*' printed more than one line: $err"
  [[ "$err" == pulse-load:* ]] || fail "'$*' message lacks the program name: $err"
  n=$((n + 1))
}
huge=99999999999999999999999999999
for flag in batch-rows batch-bytes flush-interval; do
  for v in "$huge" -1 0 -9223372036854775808 abc "" " 5" "5 " 1e3 0x10 5.5 "5;rm -rf /"; do
    check2 "${base[@]}" "--$flag" "$v"
    check2 "${base[@]}" "--$flag=$v"
  done
done
for v in "$huge" -1 "" "2021-13-01" "2021-01-01T25:00:00Z" "99999-01-01" "0000-00-00" "now; DROP TABLE x" "$(printf 'a%.0s' {1..5000})"; do
  check2 "${base[@]}" --since "$v"
  check2 "${base[@]}" --since 2021-01-01T00:00:00Z --until "$v"
done
for v in "" 0m -1m 1x "$huge" "1m; x"; do check2 "${base[@]}" --period "$v"; done
for v in "" "KRW-BTC'; DROP TABLE x; --" "KRW BTC" "$(printf 'K%.0s' {1..5000})"; do
  check2 candles --db "$nodb" --exchange upbit --market "$v"
done
for v in "" UPBIT "upbit;" "$huge"; do check2 candles --db "$nodb" --exchange "$v" --market KRW-BTC; done
for v in "" yaml JSON "text;"; do check2 "${base[@]}" --log-format "$v"; done
for v in "" "ftp://x" "not a url" "http://" "http://[::1" "file:///etc/passwd"; do check2 "${base[@]}" --api-url "$v"; done
check2 "${base[@]}" --stream ""
check2 "${base[@]}" --file ""
check2 "${base[@]}" --file /nonexistent/file.json
check2 "${base[@]}" --quiet=yes
check2 "${base[@]}" --follow=1
check2 "${base[@]}" --insecure=0
check2 "${base[@]}" --batch-rows
check2 "${base[@]}" --
check2 "${base[@]}" -x
check2 "${base[@]}" stray
check2 candles --db "$nodb" --exchange upbit --market KRW-BTC --market "$(printf '\xff\xfe')"
for v in "" garbage STREAM "stream; x"; do check2 tweets --db "$nodb" --source "$v"; done
for v in "" twitter_v3 "twitter_v2;"; do check2 tweets --db "$nodb" --source file --file /dev/null --format "$v"; done
check2 tweets --db "$nodb" --exchange upbit
ebase=(export --db "$nodb" --consumer c --to /tmp/pulse-never-written)
for flag in buffer-bytes buffer-interval poll-interval read-batch; do
  for v in "$huge" -1 0 abc "" " 5" 5.5; do check2 "${ebase[@]}" "--$flag" "$v"; done
done
check2 export --db "$nodb" --to /tmp/pulse-never-written
check2 export --db "$nodb" --consumer c
check2 export --db "$nodb" --consumer "" --to /tmp/pulse-never-written
check2 "${ebase[@]}" --stream s
check2 "${ebase[@]}" --exchange upbit
check2 "${ebase[@]}" --follow=1
echo "ok: $n bad flag values, each exit 2 with one line"

#!/usr/bin/env bash
# Exactly-once under kill -9: a long file load is SIGKILLed at random moments
# (at least 8 times; the seed is printed, PULSE_FAULT_SEED replays a run) and
# restarted each time. In the end pulse.candles holds every record once and
# pulse.landing holds each raw record once: the checkpoint committed with
# each batch says how many records of the file are in, and a restart skips
# exactly those.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/faults_lib.sh"
seed=${PULSE_FAULT_SEED:-$(( $(date +%s%N) % 32768 ))}
echo "seed $seed (PULSE_FAULT_SEED=$seed replays this run)"
RANDOM=$seed
new_db pulse_it_faults_kill9
lines=60 per=500 n=$((60 * 500))
make_upbit_log "$work/long.jsonl" $lines $per
args=(candles --exchange upbit --market KRW-BTC --file "$work/long.jsonl" --batch-rows 300 --flush-interval 20 --quiet)

kills=0 runs=0
while [ $kills -lt 8 ] && [ $runs -lt 40 ]; do
  runs=$((runs + 1))
  "$bin" "${args[@]}" 2>>"$work/err" &
  pid=$!
  # a random moment: 30..330 ms after the start (connect, read, batches)
  sleep "0.$(printf %03d $((30 + RANDOM % 300)))"
  if kill -0 $pid 2>/dev/null; then
    kill -9 $pid; wait $pid 2>/dev/null
    kills=$((kills + 1))
  else
    wait $pid || { cat "$work/err"; fail "run $runs exited $?"; }
    break
  fi
  done_n=$(q "SELECT coalesce((position->>'records')::int, 0) FROM pulse.checkpoints")
  echo "kill $kills after $(q "SELECT count(*) FROM pulse.candles") candles (checkpoint: ${done_n:-0} records)"
done
[ $kills -ge 8 ] || fail "only $kills kills landed mid-load (seed $seed)"
load "${args[@]:1}"
[ "$rc" = 0 ] || { cat "$work/err"; fail "final run exited $rc"; }

got=$(q "SELECT count(*), count(DISTINCT bucket_start) FROM pulse.candles WHERE exchange = 'upbit' AND market = 'KRW-BTC'")
[ "$got" = "$n|$n" ] || fail "typed rows (count|distinct) $got, expected $n|$n (seed $seed)"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing WHERE stream = 'candles:upbit:KRW-BTC:1m'")
[ "$got" = "$n|$n" ] || fail "landing rows (count|distinct) $got, expected $n|$n (seed $seed)"
# The keys are exactly the input's: first and last minute, no gap.
[ "$(q "SELECT min(bucket_start), max(bucket_start), max(bucket_start) - min(bucket_start) = (($n - 1) * interval '1 minute') FROM pulse.candles")" = \
  "2020-01-01 00:00:00+00|$(date -u -d @$((1577836800 + 60 * (n - 1))) '+%Y-%m-%d %H:%M:%S')+00|t" ] || fail "keys differ from the input"
# Exact decimals survived (a float would round the 12th decimal away).
[ "$(q "SELECT count(*) FROM pulse.candles WHERE open::text LIKE '%.123456789012'")" = $n ] || fail "prices not exact"
[ "$(q "SELECT count(*) FROM pulse.rejects")" = 0 ] || fail "unexpected rejects"
[ "$(q "SELECT (position->>'done')::bool FROM pulse.checkpoints")" = t ] || fail "checkpoint not done"
echo "ok: $kills kills in $runs runs, $n records once each in candles and landing"

#!/usr/bin/env bash
# Exactly-once under kill -9: a long file load (candles, then tweets) is SIGKILLed at random moments
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
# --wait-for-stream: a restart right after kill -9 may find the killed
# loader's server session still holding the stream's lease (it goes when the
# server notices the closed socket); a service restart would wait the same way.
args=(candles --exchange upbit --market KRW-BTC --file "$work/long.jsonl" --batch-rows 300 --flush-interval 20 --quiet --wait-for-stream)

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
    wait $pid; r=$?
    [ $r = 0 ] || { cat "$work/err"; fail "run $runs exited $r"; }
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
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing WHERE stream LIKE 'candles:upbit:KRW-BTC:1m:file:long.jsonl:%'")
[ "$got" = "$n|$n" ] || fail "landing rows (count|distinct) $got, expected $n|$n (seed $seed)"
# The keys are exactly the input's: first and last minute, no gap.
[ "$(q "SELECT min(bucket_start), max(bucket_start), max(bucket_start) - min(bucket_start) = (($n - 1) * interval '1 minute') FROM pulse.candles")" = \
  "2020-01-01 00:00:00+00|$(date -u -d @$((1577836800 + 60 * (n - 1))) '+%Y-%m-%d %H:%M:%S')+00|t" ] || fail "keys differ from the input"
# Exact decimals survived (a float would round the 12th decimal away).
[ "$(q "SELECT count(*) FROM pulse.candles WHERE open::text LIKE '%.123456789012'")" = $n ] || fail "prices not exact"
[ "$(q "SELECT count(*) FROM pulse.rejects")" = 0 ] || fail "unexpected rejects"
[ "$(q "SELECT (position->>'done')::bool FROM pulse.checkpoints")" = t ] || fail "checkpoint not done"
echo "candles: $kills kills in $runs runs, $n records once each in candles and landing"

# The same for a tweets file (JSON Lines of v2 stream lines), when this build
# has the tweets loader.
"$bin" tweets --help >/dev/null 2>&1 || { echo "ok (no tweets loader in this build)"; exit 0; }
new_db pulse_it_faults_kill9_tweets
nt=20000
python3 - "$work/tweets.jsonl" $nt <<'PY'
import json, sys, datetime
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for k in range(1, n + 1):
        i = 1724796000000000000 + k * 1000 * (1 << 22)
        ms = (i >> 22) + 1288834974657
        ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        f.write(json.dumps({"data": {"id": str(i), "text": "tweet %d #btc" % k, "created_at": ts, "author_id": "7"},
                            "matching_rules": [{"id": "1", "tag": "btc"}]}) + "\n")
PY
targs=(tweets --source file --file "$work/tweets.jsonl" --batch-rows 250 --flush-interval 20 --quiet --wait-for-stream)
kills=0 runs=0
while [ $kills -lt 8 ] && [ $runs -lt 40 ]; do
  runs=$((runs + 1))
  "$bin" "${targs[@]}" 2>>"$work/err" &
  pid=$!
  # The tweets loader gets through its file faster than the candle one: kill
  # sooner (20-170 ms) so that eight kills land before the file is done.
  sleep "0.$(printf %03d $((20 + RANDOM % 150)))"
  if kill -0 $pid 2>/dev/null; then
    kill -9 $pid; wait $pid 2>/dev/null
    kills=$((kills + 1))
  else
    wait $pid; r=$?
    [ $r = 0 ] || { cat "$work/err"; fail "tweets run $runs exited $r"; }
    break
  fi
  echo "tweets kill $kills after $(q "SELECT count(*) FROM pulse.tweets") tweets"
done
[ $kills -ge 8 ] || fail "only $kills tweets kills landed mid-load (seed $seed)"
"$bin" "${targs[@]}" 2>"$work/err"; r=$?
[ $r = 0 ] || { cat "$work/err"; fail "final tweets run exited $r"; }
got=$(q "SELECT count(*), count(DISTINCT id) FROM pulse.tweets")
[ "$got" = "$nt|$nt" ] || fail "tweets (count|distinct) $got, expected $nt|$nt (seed $seed)"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing WHERE format = 'twitter_v2'")
[ "$got" = "$nt|$nt" ] || fail "tweet landing rows (count|distinct) $got, expected $nt|$nt (seed $seed)"
[ "$(q "SELECT count(*) FROM pulse.rejects")" = 0 ] || fail "unexpected tweet rejects"
echo "ok: candles and tweets, 8+ kills each, every record once in the typed tables and in landing"

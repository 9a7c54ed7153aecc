#!/usr/bin/env bash
# Exactly-once on distributed tables: pulse-load pointed at the coordinator
# loads a tweets file into distributed pulse.tweets and pulse.landing while
# it is SIGKILLed at random moments (the seed is printed, PULSE_FAULT_SEED
# replays a run) and while one worker is stopped immediately (no checkpoint)
# and started again mid-load. Each restart of the loader resumes at the
# checkpoint that committed with the last batch (Citus commits the workers'
# part of a batch with two-phase commit, decided by the coordinator's
# commit); in the end every tweet and every raw record is there once, and
# the hashtag state and per-minute counts count each tweet once.
. "$(dirname "$0")/citus_lib.sh"
seed=${PULSE_FAULT_SEED:-$(( $(date +%s%N) % 32768 ))}
echo "seed $seed (PULSE_FAULT_SEED=$seed replays this run)"
RANDOM=$seed
fresh_pulse
q "SELECT pulse.distribute(4)" >/dev/null || fail "distribute"

n=12000
python3 - "$work/tweets.jsonl" $n <<'PY'
import json, sys, datetime
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for k in range(1, n + 1):
        i = 1724796000000000000 + k * 1000 * (1 << 22)
        ms = (i >> 22) + 1288834974657
        ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        f.write(json.dumps({"data": {"id": str(i), "text": "tweet %d #btc" % k, "created_at": ts, "author_id": "7",
                                      "entities": {"hashtags": [{"tag": "btc"}]}},
                            "matching_rules": [{"id": "1", "tag": "btc"}]}) + "\n")
PY
args=(tweets --source file --file "$work/tweets.jsonl" --batch-rows 250 --flush-interval 20 --quiet --wait-for-stream)
loaded() { q "SELECT count(*) FROM pulse.tweets"; }

# 1. kill -9 of the loader, 4 times mid-load.
kills=0 runs=0
while [ $kills -lt 4 ] && [ $runs -lt 30 ]; do
  runs=$((runs + 1))
  "$bin" "${args[@]}" 2>>"$work/err" &
  pid=$!
  sleep "0.$(printf %03d $((150 + RANDOM % 500)))"
  if kill -0 $pid 2>/dev/null; then
    kill -9 $pid; wait $pid 2>/dev/null
    kills=$((kills + 1))
    echo "kill $kills after $(loaded) tweets"
  else
    wait $pid; r=$?
    [ $r = 0 ] || { tail -5 "$work/err"; fail "run $runs exited $r"; }
    break
  fi
done
[ $kills -ge 4 ] || fail "only $kills kills landed mid-load (seed $seed)"
before=$(loaded)
[ "$before" -lt $n ] || fail "the file was done before the worker restart"

# 2. An immediate restart of worker 1 while the loader runs; a loader whose
# batch fails is started again (as a service manager would) until it is done.
"$bin" "${args[@]}" 2>>"$work/err" &
pid=$!
bg_pids+=($pid)
sleep "0.$(printf %03d $((100 + RANDOM % 300)))"
node_restart worker1
echo "worker1 restarted after $(loaded) tweets"
wait $pid; r=$?
echo "loader during the restart exited $r"
# A transaction the coordinator committed but the stopped worker had only
# prepared is finished by Citus's recovery (its maintenance daemon, every
# citus.recover_2pc_interval; here at once).
q "SELECT recover_prepared_transactions()" >/dev/null || fail "recover_prepared_transactions"
tries=0
while [ $r != 0 ]; do
  tries=$((tries + 1))
  [ $tries -le 10 ] || { tail -5 "$work/err"; fail "the loader does not finish after the worker restart"; }
  sleep 1
  q "SELECT recover_prepared_transactions()" >/dev/null
  "$bin" "${args[@]}" 2>>"$work/err"; r=$?
  echo "loader run after the restart exited $r"
done
q "SELECT recover_prepared_transactions()" >/dev/null

got=$(q "SELECT count(*), count(DISTINCT id) FROM pulse.tweets")
[ "$got" = "$n|$n" ] || fail "tweets (count|distinct) $got, expected $n|$n (seed $seed)"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing")
[ "$got" = "$n|$n" ] || fail "landing records (count|distinct) $got, expected $n|$n (seed $seed)"
[ "$(q "SELECT min(text), max(text) FROM pulse.tweets WHERE text IN ('tweet 1 #btc', 'tweet $n #btc')")" = "tweet 1 #btc|tweet $n #btc" ] \
  || fail "first or last tweet missing"
# the coordinator's state moved with the batches that committed, once each
[ "$(q "SELECT tweets FROM pulse.hashtags WHERE hashtag = 'btc'")" = $n ] || fail "pulse.hashtags: $(q "SELECT * FROM pulse.hashtags")"
[ "$(q "SELECT sum(tweets) FROM pulse_internal.tweets_by_minute")" = $n ] || fail "per-minute tweet counts"
[ "$(q "SELECT sum(tweets) FROM pulse.hashtags_hourly WHERE hashtag = 'btc'")" = $n ] || fail "hashtags_hourly"
[ "$(q "SELECT (position->>'done')::bool, (position->>'records')::int FROM pulse.checkpoints")" = "t|$n" ] || fail "checkpoint not done"
[ "$(q "SELECT count(*) FROM pulse.rejects")" = 0 ] || fail "unexpected rejects"
# both workers hold tweets, and no prepared transaction is left behind
for port in 5433 5434; do
  [ "$(qn $port "SELECT count(*) FROM pg_prepared_xacts")" = 0 ] || fail "prepared transactions left on the worker at $port"
done
# a rerun writes nothing
"$bin" tweets --source file --file "$work/tweets.jsonl" --batch-rows 250 2>"$work/rerun" || fail "rerun"
grep -q "inserted 0, updated 0" "$work/rerun" || fail "rerun wrote rows: $(tail -1 "$work/rerun")"
echo "ok: $kills kills, a worker restart, $n tweets once each"

#!/usr/bin/env bash
# An immediate PostgreSQL restart in the middle of a filtered stream (2000
# tweets at 250/s from the X replay server): the loader keeps its batch,
# stops reading while the database is away, reconnects and goes on; every
# tweet is stored once in pulse.tweets and once in pulse.landing. Runs alone
# (RUN_SERIAL: test_faults_serial_*).
. "$(dirname "$0")/tweets_lib.sh"
state=${PULSE_TEST_STATE:?}
pg_ctl_as_owner() {
  local pgctl="$state/inst${PG_BINDIR:?}/pg_ctl"
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pgctl" "$@"; else "$pgctl" "$@"; fi
}
new_db pulse_it_faults_restart_stream
export X_REPLAY_BEARER_TOKEN=restart-token PULSE_TWITTER_BEARER_TOKEN=restart-token
n=2000
python3 - $n >"$work/s.json" <<'PY'
import json, sys, datetime
n = int(sys.argv[1])
def tw(k):
    i = 1724796000000000000 + k * 1000 * (1 << 22)
    ms = (i >> 22) + 1288834974657
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"id": str(i), "text": "tweet %d" % k, "created_at": ts, "author_id": "7"}
print(json.dumps({"rules": [], "stream_rate": 250,
                  "stream": [{"rate_lines": [[tw(k) for k in range(1, n + 1)]], "then": "hold"}],
                  "search": [], "page_size": 10}))
PY
start_replay "$work/s.json"
"$bin" tweets --source stream --api-url "$api" --flush-interval 50 --batch-rows 100 --quiet >"$work/out" 2>"$work/err" &
pid=$!
wait_for "SELECT count(*) >= 300 FROM pulse.tweets" t 30 || fail "the stream did not start: $(tail -3 "$work/err")"
before=$(q "SELECT count(*) FROM pulse.tweets")
pg_ctl_as_owner -D "$state/data" -l "$state/postgres.log" -m immediate -w -t 60 restart >"$work/pgctl" 2>&1 \
  || { cat "$work/pgctl"; fail "pg_ctl restart failed"; }
wait_for "SELECT count(*) FROM pulse.tweets" $n 60 || fail "after the restart: $(q "SELECT count(*) FROM pulse.tweets") of $n tweets; $(tail -3 "$work/err")"
kill -TERM $pid; wait $pid; status=$?
[ $status = 0 ] || fail "SIGTERM exit $status: $(tail -3 "$work/err")"
[ "$before" -lt $n ] || fail "the restart came after the whole stream"
grep -qi "retry" "$work/err" || fail "the loader did not say it was retrying: $(tail -3 "$work/err")"
got=$(q "SELECT count(*), count(DISTINCT id) FROM pulse.tweets")
[ "$got" = "$n|$n" ] || fail "tweets (count|distinct) $got, expected $n|$n"
got=$(q "SELECT count(*), count(DISTINCT payload) FROM pulse.landing WHERE format = 'twitter_v2'")
[ "$got" = "$n|$n" ] || fail "landing (count|distinct) $got, expected $n|$n"
echo "ok: immediate restart after $before of $n streamed tweets; all $n once"

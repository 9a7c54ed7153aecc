#!/usr/bin/env bash
# The X routes registered into the shared replay server (tests/replay/server.py,
# as the demo uses it): recent search and the filtered stream serve the
# recorded fixtures' tweets; the stream's --query rule is added through the
# rules endpoint.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_tweets_shared
export X_REPLAY_BEARER_TOKEN=shared-token PULSE_TWITTER_BEARER_TOKEN=shared-token PULSE_REPLAY_X_HOLD_S=30
python3 "$src/tests/replay/server.py" --port-file "$work/port" >/dev/null &
server_pid=$!
for _ in $(seq 100); do [ -f "$work/port" ] && break; sleep 0.05; done
api="http://127.0.0.1:$(cat "$work/port")"

"$bin" tweets --source search --query tweepy --api-url "$api" --quiet 2>"$work/err" || fail "search exit $?: $(cat "$work/err")"
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 11 ] || fail "search rows: $(q "SELECT count(*) FROM pulse.tweets")"

"$bin" tweets --source stream --query 'tweepy OR #POIUYTREWQ' --stream shared_stream --api-url "$api" \
  --flush-interval 50 --quiet 2>"$work/err" &
pid=$!
wait_for "SELECT count(*) FROM pulse.tweets WHERE matched_rules = '{\"tweepy OR #POIUYTREWQ\"}'" 11 30 \
  || fail "stream rows: $(q "SELECT id, matched_rules FROM pulse.tweets")"
kill -TERM $pid; wait $pid; [ $? = 0 ] || fail "stream exit: $(cat "$work/err")"
requests=$(python3 -c "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())" "$api/_replay/requests")
python3 - "$requests" <<'PY' || fail "requests: $requests"
import json, sys
log = json.loads(sys.argv[1])
posts = [r for r in log if r["method"] == "POST" and r["path"] == "/2/tweets/search/stream/rules"]
assert len(posts) == 1, posts
assert any(r["path"] == "/2/tweets/search/stream" and r["status"] == 200 for r in log)
PY
echo "ok: X routes on the shared replay server"

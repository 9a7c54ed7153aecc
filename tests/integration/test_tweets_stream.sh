#!/usr/bin/env bash
# pulse-load tweets --source stream against the X replay server, with waits
# scaled down (PULSE_LOAD_TEST_TIME_SCALE): --query adds its rule once; lines
# split across chunks (a UTF-8 character too) and keep-alive newlines; each
# reconnect rule (operational-disconnect, dropped connections back off
# linearly, 503s exponentially, a silent stream is dead after 20 s, 429 waits
# 60 s or until x-rate-limit-reset); after every reconnect recent search
# fills the gap since the last id seen; a truncated line is a reject; 401
# exits 3; the token appears nowhere.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_tweets_stream
scale=0.02
export PULSE_LOAD_TEST_TIME_SCALE=$scale
token="stream-token-$RANDOM-$$-secret"
use_token "$token"
id_of() { echo $((1724796000000000000 + $1 * 1000 * 4194304)); }

# Tweets 1..3 on connection 0, 4 and 5 only in search (sent while the
# loader was disconnected), 6, 7, 8 on later connections.
python3 - >"$work/a.json" <<'PY'
import json, datetime
def tw(k, text):
    i = 1724796000000000000 + k * 1000 * (1 << 22)
    ms = (i >> 22) + 1288834974657
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"id": str(i), "text": text, "created_at": ts, "author_id": "7", "lang": "en",
            "entities": {"hashtags": [{"tag": "BTC"}]},
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": k, "quote_count": 0}}
t = {k: tw(k, "tweet %d" % k) for k in range(1, 9)}
t[2]["text"] = "tweet 2 \u20bf\U0001F680 split across chunks"
rules = [{"id": "1001", "tag": "btc"}]
print(json.dumps({
  "rules": [{"id": "1", "value": "dogecoin"}],
  "stream": [
    {"lines": [t[1], t[2], t[3]], "then": "op_disconnect", "rules": rules},
    {"drop": True}, {"drop": True},
    {"status": 503}, {"status": 503},
    {"lines": [t[6]], "then": "silence", "silence_s": 8, "rules": rules},
    {"lines": [t[7]], "then": "truncate", "rules": rules},
    {"lines": [t[8]], "then": "hold", "rules": rules}],
  "search": list(t.values()), "page_size": 10}))
PY
start_replay "$work/a.json"
"$bin" tweets --source stream --query 'bitcoin lang:en' --api-url "$api" --flush-interval 50 --log-format json \
  >"$work/out" 2>"$work/err" &
pid=$!
wait_for "SELECT count(*) FROM pulse.tweets WHERE matched_rules = '{btc}'" 6 30 || fail "tweets: $(q "SELECT string_agg(text, ', ') FROM pulse.tweets")"
wait_for "SELECT count(*) FROM pulse.rejects WHERE reason LIKE 'truncated%'" 1 10 || fail "truncated line not rejected"
kill -TERM $pid; wait $pid; status=$?
[ $status = 0 ] || fail "SIGTERM exit $status: $(tail -3 "$work/err")"

[ "$(q "SELECT text FROM pulse.tweets WHERE id = $(id_of 2)")" = "tweet 2 ₿🚀 split across chunks" ] || fail "split UTF-8"
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE matched_rules = '{btc}' AND hashtags = '{btc}'")" -ge 6 ] || fail "matched_rules"
# 4 and 5 were never on the stream: only the gap filling found them
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE id IN ($(id_of 4), $(id_of 5))")" = 2 ] || fail "gap not filled"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE reason LIKE '%error object from the X API: operational-disconnect%'")" = 1 ] \
  || fail "operational-disconnect not recorded: $(q "SELECT reason FROM pulse.rejects")"

python3 - "$work/replay.log" "$scale" "$(id_of 3)" "$work/err" <<'PY' || fail "request sequence (see above)"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
scale = float(sys.argv[2])
rules_posts = [r for r in log if r["method"] == "POST"]
assert len(rules_posts) == 1, rules_posts                 # the rule was added once
conns = [r for r in log if r["path"] == "/2/tweets/search/stream"]
assert len(conns) >= 8, len(conns)
q = conns[0]["query"]
assert "created_at" in q["tweet.fields"][0] and "referenced_tweets.id" in q["expansions"][0], q
c = [r["t"] for r in conns]
gap = [c[i + 1] - c[i] for i in range(len(c) - 1)]
print("connection gaps (s):", ["%.3f" % g for g in gap[:7]])
# The waits the loader chose, from its own log (exact, whatever the load):
# 0 -> 1 operational-disconnect and 1 -> 2, 2 -> 3 dropped connections:
# network rule, 250 ms more each time; 3 -> 4, 4 -> 5 HTTP 503: 5 s
# doubling; after a connection that delivered lines the network rule starts
# again at 250 ms.
waits = []
for line in open(sys.argv[4]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if str(e.get("msg", "")).endswith(", reconnecting"):
        waits.append(int(e["wait_ms"]))
print("logged waits (ms):", waits[:7])
want = [int(ms * scale) for ms in (250, 500, 750, 5000, 10000, 250)]
assert waits[:6] == want, (waits, want)
# and the loader did wait that long before it connected again (wall-clock
# gaps only as lower bounds: a loaded machine makes them longer, not shorter)
for i in range(5):
    assert gap[i] >= waits[i] / 1000.0 * 0.9, (i, gap, waits)
# 5 -> 6: the stream went silent (the server would hold it 8 s): dead after
# 20 s, so the loader reconnected long before the server let go
assert 20 * scale * 0.9 <= gap[5] < 8, gap
# every reconnect searched the gap from the last id seen
searches = [r for r in log if r["path"] == "/2/tweets/search/recent"]
assert searches and searches[0]["query"]["since_id"] == [sys.argv[3]], searches[:1]
assert len(searches) >= 6, len(searches)
assert all("since_id" in s["query"] for s in searches)
PY

# A second run with the same --query does not add the rule again, and a
# restart from the checkpoint first searches since the last id.
python3 - >"$work/b.json" <<'PY'
import json
print(json.dumps({"rules": [{"id": "1", "value": "bitcoin lang:en", "tag": "bitcoin lang:en"}],
                  "stream": [{"status": 429}, {"status": 429, "reset_in": 1}, {"lines": [], "then": "hold"}],
                  "search": []}))
PY
start_replay "$work/b.json"
"$bin" tweets --source stream --query 'bitcoin lang:en' --api-url "$api" --flush-interval 50 >>"$work/out" 2>>"$work/err" &
pid=$!
conns() { grep -c '"/2/tweets/search/stream"' "$work/replay.log" 2>/dev/null || true; }
for _ in $(seq 100); do [ "$(conns)" -ge 3 ] 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid; wait $pid; status=$?
[ $status = 0 ] || fail "second run exit $status"
python3 - "$work/replay.log" "$scale" "$(id_of 8)" <<'PY' || fail "second run requests"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
scale = float(sys.argv[2])
assert not [r for r in log if r["method"] == "POST"], "rule added twice"
searches = [r for r in log if r["path"] == "/2/tweets/search/recent"]
assert searches[0]["query"]["since_id"] == [sys.argv[3]], searches[:1]
c = [r["t"] for r in log if r["path"] == "/2/tweets/search/stream"]
gap = [c[i + 1] - c[i] for i in range(len(c) - 1)]
print("429 gaps (s):", ["%.3f" % g for g in gap])
assert gap[0] >= 60 * scale * 0.9, gap        # 429 without a reset: 60 s
assert gap[1] < gap[0], gap                   # with x-rate-limit-reset: until then, not 120 s
PY

# 401: exit 3 with a clear message
PULSE_TWITTER_BEARER_TOKEN=not-the-token "$bin" tweets --source stream --api-url "$api" 2>"$work/err401"
[ $? = 3 ] || fail "401 must exit 3: $(cat "$work/err401")"
grep -q "HTTP 401 from the X API" "$work/err401" || fail "401 message: $(cat "$work/err401")"

cat "$work/err401" >>"$work/err"
grep -qF "$token" "$work/out" "$work/err" && fail "token in loader output"
grep -qF "$token" "$work/replay.log" && fail "token in server log"
[ "$(q "SELECT (SELECT count(*) FROM pulse.landing WHERE payload::text LIKE '%$token%')
             + (SELECT count(*) FROM pulse.rejects WHERE position(convert_to('$token', 'UTF8') in raw) > 0 OR reason LIKE '%$token%')
             + (SELECT count(*) FROM pulse.checkpoints WHERE position::text LIKE '%$token%')")" = 0 ] || fail "token in the database"
echo "ok: filtered stream (rules, split lines, reconnect rules, gap filling, truncation, 429, 401, token hygiene)"

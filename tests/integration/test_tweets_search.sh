#!/usr/bin/env bash
# pulse-load tweets --source search against the X replay server: next_token
# paging, since_id kept in the checkpoint (a rerun asks only for newer
# tweets), retries on 503/429, the recorded gzip cassette, 401 -> exit 3, a
# missing token -> exit 2, and the token never appears in output, server
# log or tables.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_tweets_search
export PULSE_LOAD_TEST_TIME_SCALE=0.01
token="test-token-$RANDOM-$$-secret"
use_token "$token"

corpus() {  # n: tweets 1..n, one second apart, newest last
  python3 - "$1" "$2" <<'PY'
import json, sys, datetime
n = int(sys.argv[1]); faults = json.loads(sys.argv[2])
base = 1724796000000000000
out = []
for k in range(1, n + 1):
    i = base + k * 1000 * (1 << 22)
    ms = (i >> 22) + 1288834974657
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    out.append({"id": str(i), "text": "tweet %d #Bitcoin" % k, "created_at": ts, "author_id": "7", "lang": "en",
                "entities": {"hashtags": [{"tag": "Bitcoin"}]},
                "public_metrics": {"retweet_count": k, "reply_count": 0, "like_count": 2 * k, "quote_count": 0}})
print(json.dumps({"search": out, "page_size": 10, "search_faults": faults}))
PY
}
id_of() { echo $((1724796000000000000 + $1 * 1000 * 4194304)); }
run() { "$bin" tweets --source search --query 'bitcoin lang:en' --api-url "$api" --quiet "$@" >>"$work/out" 2>>"$work/out"; }

# 1. 25 tweets in pages of 10, after a 503 and a 429
corpus 25 '[503, 429]' >"$work/s1.json"
start_replay "$work/s1.json"
run || fail "search exit $?: $(tail -3 "$work/out")"
[ "$(q "SELECT count(*), sum(retweet_count), min(id) = $(id_of 1), max(id) = $(id_of 25) FROM pulse.tweets")" = "25|325|t|t" ] \
  || fail "rows: $(q "SELECT count(*), sum(retweet_count) FROM pulse.tweets")"
python3 - "$work/replay.log" "$(id_of 25)" <<'PY' || fail "requests"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if '"/2/tweets/search/recent"' in l]
st = [r["status"] for r in reqs]
assert st == [503, 429, 200, 200, 200], st
ok = [r["query"] for r in reqs if r["status"] == 200]
assert [q.get("next_token", [None])[0] for q in ok] == [None, "10", "20"], ok
for q in ok:
    assert q["query"] == ["bitcoin lang:en"], q
    assert "created_at" in q["tweet.fields"][0] and "public_metrics" in q["tweet.fields"][0] and "note_tweet" in q["tweet.fields"][0]
    assert "referenced_tweets.id" in q["expansions"][0]
    assert "since_id" not in q
PY
[ "$(q "SELECT position->>'since_id' FROM pulse.checkpoints WHERE stream = 'tweets_search'")" = "$(id_of 25)" ] \
  || fail "checkpoint: $(q "SELECT position FROM pulse.checkpoints")"

# 2. a rerun (new server, 5 newer tweets) asks since the checkpoint and
# gets only the new ones
corpus 30 '[]' >"$work/s2.json"
start_replay "$work/s2.json"
run || fail "rerun exit $?"
python3 - "$work/replay.log" "$(id_of 25)" <<'PY' || fail "rerun requests: $(cat "$work/replay.log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if '"/2/tweets/search/recent"' in l]
assert len(reqs) == 1 and reqs[0]["query"]["since_id"] == [sys.argv[2]], reqs
PY
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 30 ] || fail "after rerun"
grep -q "summary: pages 1, records 1, rejected 0; rows inserted 5, updated 0, unchanged 0;" "$work/out" || fail "rerun summary: $(tail -2 "$work/out")"

# 2b. x-rate-limit-remaining 0: the next page waits for x-rate-limit-reset
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['rate_limit_remaining']=0; print(json.dumps(d))" \
  "$work/s2.json" >"$work/s2b.json"
start_replay "$work/s2b.json"
PULSE_LOAD_TEST_TIME_SCALE=0.5 run --stream rate_limited || fail "rate-limited run exit $?"
python3 - "$work/replay.log" <<'PY' || fail "no wait for the rate-limit reset"
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if '"/2/tweets/search/recent"' in l]
assert len(t) == 3, t
gaps = [b - a for a, b in zip(t, t[1:])]
# the reset (whole seconds) is within 1 s after the request, the wait ends a
# second after it, scaled by 0.5: at least 0.5 s between requests
assert all(g >= 0.4 for g in gaps), gaps
PY

# 3. the recorded response: gzip body, default fields (no created_at), real ids
printf '{"cassette": "%s"}' "$fix/test_client_search_recent_tweets.yaml" >"$work/s3.json"
start_replay "$work/s3.json"
run --stream cassette || fail "cassette exit $?: $(tail -3 "$work/out")"
[ "$(q "SELECT count(*), min(created_at), max(created_at) FROM pulse.tweets WHERE text LIKE '%tweepy'")" = \
  "10|2022-10-07 22:24:12+00|2022-10-07 22:42:12+00" ] || fail "cassette rows: $(q "SELECT id, created_at, text FROM pulse.tweets WHERE text LIKE '%tweepy'")"
# the recorded page has a next_token: the loader followed it (to the end)
[ "$(grep -c 'b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul' "$work/replay.log")" = 1 ] || fail "next_token not followed"

# 4. a refused token: exit 3 with a clear message; no token: exit 2
start_replay "$work/s1.json"
PULSE_TWITTER_BEARER_TOKEN=wrong-token "$bin" tweets --source search --query x --api-url "$api" --stream bad 2>"$work/err401"
[ $? = 3 ] || fail "401 must exit 3"
grep -q "HTTP 401 from the X API (recent search): the bearer token was refused" "$work/err401" || fail "401 message: $(cat "$work/err401")"
env -u PULSE_TWITTER_BEARER_TOKEN "$bin" tweets --source search --query x --api-url "$api" 2>"$work/err2"
[ $? = 2 ] || fail "no token must exit 2"
grep -q "set PULSE_TWITTER_BEARER_TOKEN" "$work/err2" || fail "no-token message: $(cat "$work/err2")"
"$bin" tweets --source search --api-url "$api" 2>/dev/null; [ $? = 2 ] || fail "search without --query must exit 2"

# 5. the token appears nowhere
cat "$work/err401" "$work/err2" >>"$work/out"
grep -qF "$token" "$work/out" && fail "token in loader output"
grep -qF "$token" "$work/replay.log" && fail "token in server log"
in_db=$(q "SELECT (SELECT count(*) FROM pulse.landing WHERE payload::text LIKE '%$token%')
                + (SELECT count(*) FROM pulse.rejects WHERE position(convert_to('$token', 'UTF8') in raw) > 0 OR reason LIKE '%$token%')
                + (SELECT count(*) FROM pulse.checkpoints WHERE position::text LIKE '%$token%' OR stream LIKE '%$token%')
                + (SELECT count(*) FROM pulse.tweets WHERE text LIKE '%$token%')")
[ "$in_db" = 0 ] || fail "token in the database"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE payload::text LIKE '%tweet 30 #Bitcoin%'")" -ge 1 ] || fail "the database check is blind"
echo "ok: recent search (paging, since_id checkpoint, retries, gzip cassette, 401/no token, token hygiene)"

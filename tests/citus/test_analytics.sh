#!/usr/bin/env bash
# Analytics on distributed tables equal a single-node Pulse loaded with the
# same data, and the aggregation runs on the workers:
# - pulse-load into the coordinator (distributed tables) and into a database
#   on the same server without Citus (plain tables), the same files: first
#   tweets, then newer versions of some with other hashtags (updates);
# - pulse.hashtags, hashtags_hourly, trending_hashtags, hashtag_sentiment and
#   minute_activity (kept by pulse.merge on distributed tweets) are the same;
# - activity, rolling_correlation and lead_lag are the same, and every query
#   Citus sends to the tweets' shards for them (and hashtag_sentiment) groups
#   the tweets there; trending_hashtags and the hashtag and minute views send
#   none (they read the coordinator's state); pulse.partitions has the
#   shards' sizes;
# - moving_corr in a GROUP BY not on the distribution column equals the
#   single node's bit for bit, and EXPLAIN shows its partial aggregation on
#   the workers (worker_partial_agg) combined on the coordinator
#   (coord_combine_agg), not the rows pulled to the coordinator.
. "$(dirname "$0")/citus_lib.sh"
fresh_pulse
q "SELECT pulse.distribute(4)" >/dev/null || fail "distribute"
single=pulse_citus_single
dropdb --if-exists $single 2>/dev/null
createdb $single || fail "createdb"
psql -X -q -d $single -c 'CREATE EXTENSION pulse' || fail "pulse on the single node"
trap 'dropdb --if-exists '$single' 2>/dev/null; cleanup' EXIT

# Tweets over 3 hours from 2024-08-28 00:00 UTC: tags from a small set,
# authors from 40, counts for the correlation; then newer observations of
# every 7th tweet with one tag changed (and one of them with none left).
python3 - "$work/t1.jsonl" "$work/t2.jsonl" <<'PY'
import json, sys, datetime, random
rnd = random.Random(20)
tags = ["btc", "eth", "sol", "doge", "xrp", "ada", "pepe", "bnb"]
base_ms = 1724803200000  # 2024-08-28T00:00:00Z
def tweet(k, tagset, seen):
    ms = base_ms + k * 1500 + rnd.randrange(1000)
    i = ((ms - 1288834974657) << 22) + k
    ts = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"data": {"id": str(i), "text": "tweet %d %s" % (k, " ".join("#" + t for t in tagset)),
                     "created_at": ts, "author_id": str(100 + k % 40),
                     "entities": {"hashtags": [{"tag": t.upper() if k % 5 == 0 else t} for t in tagset]},
                     "public_metrics": {"retweet_count": (k * 7919) % 97, "like_count": (k * 104729) % 89 + k % 13,
                                        "reply_count": 0, "quote_count": 0}},
            "__twarc": {"retrieved_at": seen}}
with open(sys.argv[1], "w") as f1, open(sys.argv[2], "w") as f2:
    for k in range(1, 7201):
        tagset = rnd.sample(tags, rnd.choice([0, 1, 1, 2, 3]))
        rnd_state = rnd.getstate()
        f1.write(json.dumps(tweet(k, tagset, "2024-08-28T06:00:00Z")) + "\n")
        if k % 7 == 0:
            rnd.setstate(rnd_state)
            new = [] if k % 49 == 0 else (tagset[1:] + [tags[k % len(tags)]])
            rnd.setstate(rnd_state)
            f2.write(json.dumps(tweet(k, sorted(set(new)), "2024-08-28T07:00:00Z")) + "\n")
PY
load() {  # file
  for db in postgres $single; do
    PGDATABASE=$db "$bin" tweets --source file --file "$1" --batch-rows 500 --quiet >>"$work/err" 2>&1 \
      || { tail -5 "$work/err"; fail "pulse-load into $db"; }
  done
}
load "$work/t1.jsonl"
load "$work/t2.jsonl"
for db in postgres $single; do
  psql -X -q -v ON_ERROR_STOP=1 -d $db -c "SELECT pulse.ensure_partitions('pulse.candles', '2024-08-28', '2024-08-29')" >/dev/null \
    || fail "candle partitions in $db"
  psql -X -q -v ON_ERROR_STOP=1 -d $db -c "INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume, observed_at)
      SELECT 'binance', 'BTCUSDT', '1 minute', m, 1, 2, 0.5, 1.5, 10 + extract(minute FROM m), m + interval '1 minute'
        FROM generate_series(timestamptz '2024-08-28 00:00+00', '2024-08-28 03:00+00', '1 minute') m" || fail "candles in $db"
done

for db in postgres $single; do
  psql -X -q -v ON_ERROR_STOP=1 -d $db -c "SELECT pulse.declare_coverage('test', 'tweets', '[2024-08-28 00:00+00, 2024-08-28 03:00+00)'),
      pulse.declare_coverage('test', pulse_internal.candle_subject('binance', 'BTCUSDT', '1 minute'), '[2024-08-28 00:00+00, 2024-08-28 03:01+00)')" \
    >/dev/null || fail "coverage in $db"
done

both() {  # SQL: the same text from the distributed and the single-node database
  local d s
  d=$(q "$1") || fail "on the coordinator: $1"
  s=$(psql -X -Atq -v ON_ERROR_STOP=1 -d $single -c "$1") || fail "on the single node: $1"
  [ -n "$s" ] || fail "empty on the single node: $1"
  [ "$d" = "$s" ] || { diff <(echo "$d") <(echo "$s") | head -10; fail "distributed and single node differ: $1"; }
}
both "SELECT count(*), count(DISTINCT author_id), sum(cardinality(hashtags)) FROM pulse.tweets"
[ "$(q "SELECT count(*) FROM pulse.tweets WHERE observed_at = '2024-08-28 07:00+00'")" -gt 900 ] || fail "the newer versions did not update"
both "SELECT * FROM pulse.hashtags ORDER BY 1"
both "SELECT * FROM pulse.hashtags_hourly ORDER BY 1, 2"
both "SELECT * FROM pulse.trending_hashtags('2024-08-28 02:30+00', '30 minutes', '2 hours', 5)"
both "SELECT * FROM pulse.trending_hashtags('2024-08-28 01:59:30+00', '17 minutes', '90 minutes', 8)"
# (a mean of doubles summed per shard: compared to 12 digits)
both "SELECT bucket, hashtag, tweets, round(sentiment::numeric, 12) FROM pulse.hashtag_sentiment('2024-08-28 00:00+00', '2024-08-28 03:00+00', '1 hour', 3)"
both "SELECT * FROM pulse.minute_activity ORDER BY minute"
[ "$(q "SELECT sum(tweets) FROM pulse.minute_activity")" = 7200 ] || fail "minute_activity does not count every tweet"

# activity, rolling_correlation, lead_lag: tweets counted per bucket on the
# workers (every query Citus sends that reads tweets groups them), the
# market's candles from its shard.
act="SELECT * FROM pulse.activity('binance', 'BTCUSDT', '2024-08-28 00:00+00', '2024-08-28 03:00+00', '5 minutes')"
both "$act"
both "SELECT * FROM pulse.activity('binance', 'BTCUSDT', '2024-08-28 00:30+00', '2024-08-28 02:00+00', '1 minute', '#eth')"
both "SELECT * FROM pulse.rolling_correlation('binance', 'BTCUSDT', '2024-08-28 00:00+00', '2024-08-28 03:00+00', '30 minutes')"
both "SELECT * FROM pulse.lead_lag('binance', 'BTCUSDT', '2024-08-28 00:00+00', '2024-08-28 03:00+00', 10)"
sent_to_tweets() {  # SQL: the queries Citus sends to the tweets' shards for it, into $work/sent
  psql -X -q -v ON_ERROR_STOP=1 -c "SET citus.log_remote_commands = on; SET client_min_messages = log; $1" \
    2>"$work/log" >/dev/null || { tail -3 "$work/log"; fail "$1"; }
  grep 'issuing' "$work/log" | grep -E 'pulse\.tweets_[0-9]+|pulse\.tweets_p[0-9]+_[0-9]+' >"$work/sent" || true
}
for fn in "$act" "SELECT * FROM pulse.lead_lag('binance', 'BTCUSDT', '2024-08-28 00:00+00', '2024-08-28 03:00+00', 10)" \
          "SELECT * FROM pulse.hashtag_sentiment('2024-08-28 00:00+00', '2024-08-28 03:00+00', '1 hour', 3)"; do
  sent_to_tweets "$fn"
  sent=$(cat "$work/sent")
  [ -n "$sent" ] || fail "no query on the tweets' shards logged for: $fn"
  grep -vq 'GROUP BY' <<<"$sent" && { grep -v 'GROUP BY' <<<"$sent" | head -3; fail "a query reads tweets without grouping them: $fn"; }
done
# trending_hashtags and the hashtag views read only the coordinator's state
for fn in "SELECT * FROM pulse.trending_hashtags('2024-08-28 02:30+00', '30 minutes', '2 hours', 5)" \
          "SELECT * FROM pulse.hashtags_hourly" "SELECT * FROM pulse.minute_activity"; do
  sent_to_tweets "$fn"
  [ ! -s "$work/sent" ] || { head -3 "$work/sent"; fail "reads the tweets' shards: $fn"; }
done
# the shards' sizes in pulse.partitions
[ "$(q "SELECT sum(bytes) > 0 FROM pulse.partitions WHERE parent = 'pulse.tweets'::regclass")" = t ] || fail "pulse.partitions: no bytes for distributed tweets"

# moving_corr by author (not the distribution column): partial states on the
# workers, combined on the coordinator; exact, so equal to the single node.
corr="SELECT author_id, pulse.moving_corr(retweet_count, like_count) AS m, count(*) FROM pulse.tweets GROUP BY 1 ORDER BY 1"
both "$corr"
both "SELECT pulse.moving_corr(retweet_count, like_count), pulse.moving_corr(like_count * 1e-300, retweet_count * 1e300) FROM pulse.tweets"
plan=$(q "EXPLAIN (VERBOSE, COSTS OFF) $corr")
grep -q 'worker_partial_agg(.*moving_corr' <<<"$plan" || { echo "$plan"; fail "moving_corr GROUP BY is not aggregated on the workers"; }
agg_oid=$(q "SELECT 'pulse.moving_corr(float8, float8)'::regprocedure::oid")
grep -q "coord_combine_agg('$agg_oid'::oid" <<<"$plan" || { echo "$plan"; fail "moving_corr GROUP BY is not combined on the coordinator"; }
# and the workers get aggregate queries, not the table: log what Citus sends
sent_to_tweets "$corr"
sent=$(cat "$work/sent")
[ -n "$sent" ] || fail "no remote commands logged"
grep -vq 'worker_partial_agg' <<<"$sent" && { echo "$sent" | head -3; fail "a query sent to the workers reads tweets without aggregating"; }
# a wide state (values spanning more bits than the compact state holds) across shards
# (some shards' partial states compact, others wide; 1e-300 next to 100)
wide="SELECT author_id % 3, pulse.moving_corr(CASE WHEN id % 5 = 0 THEN like_count * 1e-300 ELSE like_count END, retweet_count)
        FROM pulse.tweets GROUP BY 1 ORDER BY 1"
both "$wide"
[ "$(q "SELECT count(*) FILTER (WHERE m IS NOT NULL AND m <> 0) FROM ($wide) s(g, m)")" = 3 ] || fail "wide-state query gave no correlations"
echo "ok"

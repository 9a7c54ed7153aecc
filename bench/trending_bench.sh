#!/usr/bin/env bash
# pulse.trending_hashtags against a plain GROUP BY over pulse.tweets for the
# same answer (the window's tweets and authors per tag, the baseline's
# tweets, the same score and order), on 30 days of tweets (100,000 a day by
# default: about 3M) with hashtags drawn from a skewed vocabulary and a burst.
# Starts its own throwaway cluster; prints median wall times of several
# calls at different times of day and the ratio, and fails if the answers
# differ.
#   bench/trending_bench.sh [tweets_per_day]     (BENCH_SMALL=1: 10,000 a day)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
per_day=${1:-$([ -n "${BENCH_SMALL:-}" ] && echo 10000 || echo 100000)}
days=30
state=${PULSE_BENCH_STATE:-$src/build/bench-trending}
sock=/tmp/pulse-bench-$$
make -s -C "$src" -f Makefile.pgxs >/dev/null
"$src/tests/pgcluster.sh" start "$state" "$sock" "$src" >/dev/null
trap '"$src/tests/pgcluster.sh" stop "$state" "$sock" "$src" >/dev/null || true; rm -rf "$sock"' EXIT
export PGHOST=$sock PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -c "DROP EXTENSION IF EXISTS pulse CASCADE" -c "CREATE EXTENSION pulse"
psql -c "SELECT pulse.ensure_partitions('pulse.tweets', '2024-05-01', '2024-05-31')" >/dev/null
t0=$(date +%s)
for d in $(seq 0 $((days - 1))); do
  # tags: a Zipf-like vocabulary of 2,000 (tag k with weight 1/k), 0-3 per
  # tweet; on day 28, 14:00-15:00, #halving bursts; 10% retweets
  psql -c "
  INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags, is_retweet)
  SELECT $d * $per_day + g, timestamptz '2024-05-01 00:00+00' + $d * interval '1 day' + (g::float8 / $per_day) * interval '1 day',
         (g * 7919) % 50000, 'tweet',
         ARRAY(SELECT 'tag' || floor(exp(random() * ln(2000)))::int FROM generate_series(1, (g * 31) % 4))
           || CASE WHEN $d = 27 AND g::float8 / $per_day BETWEEN 14 / 24.0 AND 15 / 24.0 AND g % 3 = 0 THEN ARRAY['halving'] ELSE '{}' END,
         g % 10 = 0
    FROM generate_series(0, $per_day - 1) g"
done
psql -c "VACUUM ANALYZE pulse.tweets" -c "VACUUM ANALYZE pulse_internal.tag_hours" -c "VACUUM ANALYZE pulse_internal.tag_minutes" \
  -c "VACUUM ANALYZE pulse_internal.tag_period_counts"
echo "loaded $((days * per_day)) tweets in $(( $(date +%s) - t0 )) s (rollups and hashtag state kept by the inserts)"

plain() {  # at -> the same answer from the tweets
  cat <<SQL
WITH w AS (SELECT u.tag, count(*) AS n, count(DISTINCT t.author_id) AS a
             FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
            WHERE t.created_at >= timestamptz '$1' - interval '1 hour' AND t.created_at < '$1' AND u.tag IS NOT NULL GROUP BY 1),
     b AS (SELECT u.tag, count(*) AS n
             FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
            WHERE t.created_at >= timestamptz '$1' - interval '25 hours' AND t.created_at < timestamptz '$1' - interval '1 hour'
              AND u.tag IS NOT NULL GROUP BY 1)
SELECT w.tag, w.n, w.a, round(((w.n - coalesce(b.n, 0) / 24.0) / sqrt(coalesce(b.n, 0) / 24.0 + 1))::numeric, 6)
  FROM w LEFT JOIN b USING (tag) ORDER BY 4 DESC, 2 DESC, 1 LIMIT 10
SQL
}
fast() { echo "SELECT hashtag, tweets, authors, round(score::numeric, 6) FROM pulse.trending_hashtags('$1', '1 hour', '24 hours', 10)"; }
ms() {  # best of 3 runs inside one session (server time, no client start-up)
  psql -At -c '\timing on' -c "$1" -c "$1" -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | head -1
}
pl=(); fa=()
for at in '2024-05-28 15:00+00' '2024-05-20 09:17:33+00' '2024-05-10 23:59:59+00' '2024-05-30 12:00+00' '2024-05-15 00:30+00'; do
  [ "$(psql -At -c "$(plain "$at")")" = "$(psql -At -c "$(fast "$at")")" ] || { echo "FAIL: different answers at $at"; exit 1; }
  psql -At -c "$(fast "$at")" >/dev/null   # warm both the same
  pl+=("$(ms "$(plain "$at")")"); fa+=("$(ms "$(fast "$at")")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
p=$(median "${pl[@]}"); f=$(median "${fa[@]}")
echo "same answers at 5 times; plain GROUP BY median ${p} ms (${pl[*]}), trending_hashtags median ${f} ms (${fa[*]})"
psql -At -c "SELECT 'ratio plain / trending_hashtags: ' || round($p::numeric / greatest($f, 0.001), 1)"
psql -At -c "SELECT hashtag, tweets, authors, round(score::numeric, 1), is_new FROM pulse.trending_hashtags('2024-05-28 15:00+00', k => 3)"

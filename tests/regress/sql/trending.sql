-- trending_hashtags: exact counts from the packed per-hashtag sets (checked
-- against the tweets for ranges that start and end anywhere), the score, new
-- tags, the same answers as a GROUP BY over the tweets before and after late,
-- edited and deleted tweets, bad arguments; and a reader can call it.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
SELECT pulse.ensure_partitions('pulse.tweets', '2024-04-01', '2024-04-04') >= 0 AS ready;
-- two days: #btc steady (one a minute), #eth quiet then a burst at 2024-04-02
-- 12:00-13:00, #new first seen at 12:20, a tag listed twice, NULL tags
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)
SELECT m, timestamptz '2024-04-01 00:00+00' + m * interval '1 minute' + interval '7 seconds', m % 17, 't',
       ARRAY['btc'] || CASE WHEN m % 60 = 0 THEN ARRAY['eth'] ELSE '{}' END || CASE WHEN m % 11 = 0 THEN ARRAY['btc', NULL] ELSE '{}' END
  FROM generate_series(0, 2 * 1440 - 1) m;
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)
SELECT 100000 + g, timestamptz '2024-04-02 12:00+00' + g * interval '13 seconds', g % 5, 'burst', '{eth}'
  FROM generate_series(0, 270) g;
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)
SELECT 200000 + g, timestamptz '2024-04-02 12:20+00' + g * interval '2 minutes', 1, 'new', '{new}'
  FROM generate_series(0, 9) g;
-- tag_counts equals the tweets for ranges that start and end off every boundary
SELECT count(*) AS ranges, count(*) FILTER (WHERE ok) AS equal
  FROM (SELECT lo, hi,
               (SELECT coalesce(array_agg(c.tag || '=' || c.tweets ORDER BY c.tag), '{}') FROM pulse_internal.tag_counts(lo, hi) c)
             = (SELECT coalesce(array_agg(x.tag || '=' || x.n ORDER BY x.tag), '{}')
                  FROM (SELECT u.tag, count(*) AS n
                          FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
                         WHERE t.created_at >= lo AND t.created_at < hi AND u.tag IS NOT NULL GROUP BY 1) x) AS ok
          FROM (SELECT timestamptz '2024-04-01 09:00+00' + a * interval '7 minutes 3 seconds' AS lo,
                       timestamptz '2024-04-01 09:00+00' + a * interval '7 minutes 3 seconds' + b * interval '53 minutes 7 seconds' AS hi
                  FROM generate_series(0, 40, 3) a, generate_series(0, 30, 4) b) r) t;
SELECT hashtag, tweets, authors, round(baseline_rate::numeric, 3) AS baseline_rate, round(score::numeric, 3) AS score,
       first_seen, is_new
  FROM pulse.trending_hashtags('2024-04-02 13:00+00', '1 hour', '24 hours', 5);
-- the same answer from a plain GROUP BY over the tweets
WITH w AS (SELECT u.tag, count(*) AS n, count(DISTINCT t.author_id) AS a
             FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
            WHERE t.created_at >= '2024-04-02 12:00+00' AND t.created_at < '2024-04-02 13:00+00' AND u.tag IS NOT NULL GROUP BY 1),
     b AS (SELECT u.tag, count(*) AS n
             FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
            WHERE t.created_at >= '2024-04-01 12:00+00' AND t.created_at < '2024-04-02 12:00+00' GROUP BY 1)
SELECT w.tag, w.n, w.a, round((coalesce(b.n, 0) / 24.0)::numeric, 3) AS baseline_rate,
       round(((w.n - coalesce(b.n, 0) / 24.0) / sqrt(coalesce(b.n, 0) / 24.0 + 1))::numeric, 3) AS score
  FROM w LEFT JOIN b USING (tag) ORDER BY 5 DESC, 2 DESC, 1;
-- unaligned times, other windows
SELECT hashtag, tweets, round(score::numeric, 3) AS score, is_new
  FROM pulse.trending_hashtags('2024-04-02 12:37:41+00', '25 minutes', '3 hours 10 minutes', 3);
SELECT count(*) AS nothing_yet FROM pulse.trending_hashtags('2024-03-01 00:00+00');
-- readers call it
SET ROLE pulse_reader;
SELECT hashtag, tweets FROM pulse.trending_hashtags('2024-04-02 13:00+00', k => 1);
RESET ROLE;
-- hashtag_sentiment: per bucket, the top hashtags of the range, their tweets
-- and mean sentiment (gap-filled)
UPDATE pulse.tweets SET text = CASE WHEN id % 2 = 0 THEN 'I love it, great!' ELSE 'this is awful' END,
                        sentiment = pulse.sentiment(CASE WHEN id % 2 = 0 THEN 'I love it, great!' ELSE 'this is awful' END)
 WHERE 'eth' = ANY (hashtags) AND created_at >= '2024-04-02 12:00+00' AND created_at < '2024-04-02 13:00+00';
SELECT pulse.sentiment('I love it, great!') AS positive, pulse.sentiment('this is awful') AS negative;
SELECT bucket, hashtag, tweets, round(sentiment::numeric, 4) AS sentiment
  FROM pulse.hashtag_sentiment('2024-04-02 11:00+00', '2024-04-02 13:30+00', '30 minutes', 2);
SELECT round(avg(t.sentiment)::numeric, 4) AS eth_12_00_by_hand
  FROM pulse.tweets t WHERE 'eth' = ANY (t.hashtags) AND t.created_at >= '2024-04-02 12:00+00' AND t.created_at < '2024-04-02 12:30+00';
SELECT pg_temp.err($$SELECT * FROM pulse.hashtag_sentiment('2024-04-02', '2024-04-01')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.hashtag_sentiment('2024-04-01', '2024-04-02', '1 second', 100)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.hashtag_sentiment('2024-04-01', '2024-04-02', k => 0)$$);
SELECT count(*) AS nothing FROM pulse.hashtag_sentiment('2020-01-01', '2020-01-02');
-- the same answers as a GROUP BY over the tweets for windows and baselines
-- that start and end anywhere (inside minutes, across 6-hour periods), k
-- beyond the window's tags; before and after late, edited, re-delivered and
-- deleted tweets
CREATE FUNCTION pg_temp.plain(t_at timestamptz, t_w interval, t_b interval, t_k int)
  RETURNS TABLE(tag text, tweets bigint, authors bigint, score numeric) LANGUAGE sql AS $$
  WITH w AS (SELECT u.tag, count(*) AS n, count(DISTINCT t.author_id) AS a
               FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
              WHERE t.created_at >= t_at - t_w AND t.created_at < t_at AND u.tag IS NOT NULL GROUP BY 1),
       b AS (SELECT u.tag, count(*) AS n
               FROM pulse.tweets t, LATERAL (SELECT DISTINCT v FROM unnest(t.hashtags) v) u(tag)
              WHERE t.created_at >= t_at - t_w - t_b AND t.created_at < t_at - t_w AND u.tag IS NOT NULL GROUP BY 1),
       s AS (SELECT w.tag, w.n, w.a, coalesce(b.n, 0)::float8 * (extract(epoch FROM t_w) * 1000000)::bigint
                                                 / (extract(epoch FROM t_b) * 1000000)::bigint AS e
               FROM w LEFT JOIN b USING (tag))
  SELECT s.tag, s.n, s.a, round(((s.n - s.e) / sqrt(s.e + 1))::numeric, 9) FROM s ORDER BY 4 DESC, 2 DESC, 1 LIMIT t_k
$$;
CREATE FUNCTION pg_temp.same() RETURNS TABLE(cases bigint, same bigint) LANGUAGE sql AS $$
  SELECT count(*), count(*) FILTER (WHERE f IS NOT DISTINCT FROM p)
    FROM (SELECT (SELECT array_agg(row(x.hashtag, x.tweets, x.authors, round(x.score::numeric, 9)) ORDER BY x.score DESC, x.tweets DESC, x.hashtag)
                    FROM pulse.trending_hashtags(c.at, c.w, c.b, c.k) x) AS f,
                 (SELECT array_agg(row(y.tag, y.tweets, y.authors, y.score)) FROM pg_temp.plain(c.at, c.w, c.b, c.k) y) AS p
            FROM (SELECT timestamptz '2024-04-02 12:00+00' + i * interval '17 minutes 13.4567 seconds' AS at,
                         (ARRAY[interval '1 hour', '37 minutes 11 seconds', '2 hours 0.5 seconds', '13 seconds'])[1 + i % 4] AS w,
                         (ARRAY[interval '24 hours', '5 hours 3 minutes', '30 hours 59 seconds', '6 hours'])[1 + i / 4 % 4] AS b,
                         (ARRAY[1, 2, 3, 50])[1 + i % 3 + i / 7 % 2] AS k
                    FROM generate_series(0, 15) i) c) q
$$;
SELECT * FROM pg_temp.same();
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)      -- late, older; no author
SELECT 300000 + g, timestamptz '2024-04-02 11:00+00' + g * interval '7 minutes 1 second', NULL, 'late', '{eth,late}'
  FROM generate_series(0, 40) g;
UPDATE pulse.tweets SET hashtags = '{new,eth}', author_id = 2 WHERE id BETWEEN 100010 AND 100030;
UPDATE pulse.tweets SET created_at = created_at - interval '59 seconds' WHERE id BETWEEN 1500 AND 1510;
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)      -- re-delivered: changes nothing
SELECT id, created_at, author_id, text, hashtags FROM pulse.tweets WHERE id BETWEEN 100000 AND 100100
ON CONFLICT DO NOTHING;
DELETE FROM pulse.tweets WHERE id % 13 = 0 AND id < 3000;
SELECT * FROM pg_temp.same();
-- bad arguments
SELECT pg_temp.err($$SELECT * FROM pulse.trending_hashtags('infinity')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.trending_hashtags(NULL)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.trending_hashtags(now(), '0 minutes')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.trending_hashtags(now(), '1 hour', '1 month')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.trending_hashtags(now(), '1 hour', '1 day', 0)$$);
DELETE FROM pulse.tweets WHERE created_at >= '2024-04-01' AND created_at < '2024-04-04';

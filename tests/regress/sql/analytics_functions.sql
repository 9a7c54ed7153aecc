-- lagged_corr, activity, lead_lag, rolling_correlation, hop and session_start:
-- semantics, a planted 3-minute lead, and clear errors for bad input.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- ---------------------------------------------------------------- lagged_corr
-- y is x shifted right by 2: x leads y by 2.
SELECT lag, n, round(corr::numeric, 12) AS corr
  FROM pulse.lagged_corr('{1,5,2,8,3,9,4,7}', '{0,0,1,5,2,8,3,9}', 3) ORDER BY lag;
-- NULL elements skip their pairs; lag 0 of identical arrays is 1
SELECT lag, n, corr FROM pulse.lagged_corr('{1,NULL,3,4,6}', '{1,2,3,NULL,6}', 1) ORDER BY lag;
-- an empty frame (all pairs NULL) is NULL like corr()
SELECT lag, n, corr FROM pulse.lagged_corr('{NULL,NULL,1}', '{1,2,NULL}', 0);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr('{1,2,3}', '{1,2}', 1)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr('{1,2,3}', '{1,2,3}', -1)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr('{1,2,3}', '{1,2,3}', 3)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr(NULL, '{1,2,3}', 1)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr('{1,2,3}', '{1,2,3}', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr('{{1,2},{3,4}}', '{{1,2},{3,4}}', 1)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lagged_corr(array_fill(1::float8, ARRAY[100000]), array_fill(1::float8, ARRAY[100000]), 5000)$$);

-- ------------------------------------------------------------------------ hop
SELECT pulse.hop('2024-01-01 00:07:30+00', '10 minutes', '5 minutes');
SELECT pulse.hop('2024-01-01 00:05:00+00', '10 minutes', '5 minutes');  -- on a boundary
SELECT pulse.hop('2024-01-01 00:05:00+00', '7 minutes', '3 minutes');   -- size not a multiple
SELECT pulse.hop('1969-12-31 23:59:59.5+00', '2 seconds', '1 second');  -- before the epoch
SELECT count(*) FROM pulse.hop('2024-01-01 00:00:00+00', '1 minute', '5 minutes');  -- gaps between windows
SELECT count(*) FROM pulse.hop('2024-01-01 00:02:00+00', '1 minute', '5 minutes');
SELECT count(*) FROM pulse.hop(NULL, '1 minute', '1 minute');
-- days are 24 hours from the UTC epoch whatever the session time zone
SET timezone = 'America/New_York';
SELECT h AT TIME ZONE 'UTC' AS utc_start FROM pulse.hop('2024-03-10 12:00:00+00', '2 days', '1 day') h;
SET timezone = 'UTC';
SELECT pg_temp.err($$SELECT pulse.hop(now(), '0 minutes', '1 minute')$$);
SELECT pg_temp.err($$SELECT pulse.hop(now(), '1 minute', '-1 minute')$$);
SELECT pg_temp.err($$SELECT pulse.hop(now(), '1 month', '1 day')$$);
SELECT pg_temp.err($$SELECT pulse.hop(now(), '1 day', NULL)$$);
SELECT pg_temp.err($$SELECT pulse.hop(now(), '100 days', '1 second')$$);

-- -------------------------------------------------------------- session_start
CREATE TEMP TABLE clicks (u int, ts timestamptz);
INSERT INTO clicks VALUES
  (1, '2024-01-01 00:00+00'), (1, '2024-01-01 00:04+00'), (1, '2024-01-01 00:09+00'),
  (1, '2024-01-01 00:14:00.000001+00'), (1, NULL),
  (2, '2024-01-01 00:01+00'), (2, '2024-01-01 00:01+00'), (2, '2024-01-01 01:00+00');
SELECT u, ts, pulse.session_start(ts, '5 minutes') OVER (PARTITION BY u ORDER BY ts) AS session
  FROM clicks ORDER BY u, ts;
-- agrees with a gaps-and-islands formulation on 50,000 rows in 7 partitions
CREATE TEMP TABLE many AS
SELECT i % 7 AS u, timestamptz '2024-01-01' + (i * 61 + (i * 7919) % 600) * interval '1 second' AS ts
  FROM generate_series(1, 50000) i;
SELECT count(*) AS rows, count(*) FILTER (WHERE s.session = r.session) AS agree
  FROM (SELECT u, ts, pulse.session_start(ts, '3 minutes') OVER (PARTITION BY u ORDER BY ts) AS session FROM many) s
  JOIN (SELECT u, ts, max(CASE WHEN prev IS NULL OR ts - prev >= interval '3 minutes' THEN ts END)
                        OVER (PARTITION BY u ORDER BY ts) AS session
          FROM (SELECT u, ts, lag(ts) OVER (PARTITION BY u ORDER BY ts) AS prev FROM many) l) r USING (u, ts);
SELECT pg_temp.err($$SELECT pulse.session_start(ts, '5 minutes') OVER (ORDER BY ts DESC) FROM clicks$$);
SELECT pg_temp.err($$SELECT pulse.session_start(ts, '0 minutes') OVER (ORDER BY ts) FROM clicks$$);
SELECT pg_temp.err($$SELECT pulse.session_start(ts, '1 month') OVER (ORDER BY ts) FROM clicks$$);
SELECT pg_temp.err($$SELECT pulse.session_start(ts, NULL) OVER (ORDER BY ts) FROM clicks$$);

-- ----------------------------------------------------- activity with a planted lead
-- Partitions for the test's time range (kept only for this test).
SELECT regress.cover('pulse.tweets', 'analytics_test_tweets', '2024-03-01', '2024-03-02');
SELECT regress.cover('pulse.candles', 'analytics_test_candles', '2024-03-01', '2024-03-02');

-- Minute m of 10:00-11:59 has c(m) = (41 m mod 101) mod 13 tweets (no period
-- shorter than 101 minutes); volume at minute m + 3 is 10 + 2 c(m) + a little
-- noise: tweets lead volume by 3 minutes.
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags)
SELECT m * 100 + k, timestamptz '2024-03-01 10:00+00' + m * interval '1 minute' + k * interval '1 second',
       k, CASE WHEN k % 3 = 0 THEN 'Bitcoin to the moon' ELSE 'just a tweet' END,
       CASE WHEN k % 4 = 1 THEN ARRAY['btc'] ELSE '{}' END
  FROM generate_series(0, 119) m, generate_series(1, (m * 41 % 101) % 13) k;
INSERT INTO pulse.candles (exchange, market, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
SELECT 'regress', 'LEAD-1', timestamptz '2024-03-01 10:00+00' + m * interval '1 minute',
       100 + m, 101 + m, 99 + m, 100.5 + m,
       CASE WHEN m >= 3 THEN 10 + 2 * (((m - 3) * 41 % 101) % 13) ELSE 10 END + ((m * 31) % 3) * 0.1,
       1000 + m, timestamptz '2024-03-01 10:00+00' + m * interval '1 minute' + interval '59 seconds'
  FROM generate_series(0, 119) m;

-- Both sources loaded 10:00-12:00 completely (a loader says so in its batch
-- transaction; these rows came by other means).
SELECT pulse.declare_coverage('regress-tweets', 'tweets', '[2024-03-01 10:00+00, 2024-03-01 11:00+00)');
SELECT pulse.declare_coverage('regress-tweets', 'tweets', '[2024-03-01 11:00+00, 2024-03-01 12:00+00)');
SELECT pulse.declare_coverage('regress-candles', 'candles/regress/LEAD-1/1m', '[2024-03-01 10:00+00, 2024-03-01 12:00+00)');
SELECT source, subject, covered, watermark FROM pulse.coverage WHERE source LIKE 'regress-%' ORDER BY 1, 2;

SELECT lag, n, round(corr::numeric, 6) AS corr
  FROM pulse.lead_lag('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 12:00+00', 5) ORDER BY lag;
SELECT lag AS best_lag FROM pulse.lead_lag('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 12:00+00')
 ORDER BY corr DESC NULLS LAST LIMIT 1;

-- buckets of 30 minutes: candles aggregate (open first, close last, high max,
-- low min, volumes summed); the keyword matches text or hashtag, any case
SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 09:30+00', '2024-03-01 12:30+00', '30 minutes');
SELECT bucket, tweets FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '30 minutes', 'BITCOIN');
SELECT bucket, tweets FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '30 minutes', '#BTC');
SELECT (SELECT sum(tweets) FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 12:00+00', '1 hour', 'bitcoin')) AS bitcoin,
       (SELECT count(*) FROM pulse.tweets WHERE created_at >= '2024-03-01 10:00+00' AND created_at < '2024-03-01 12:00+00'
           AND (text ILIKE '%bitcoin%' OR 'bitcoin' = ANY (hashtags))) AS bitcoin_in_table,
       (SELECT sum(tweets) FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 12:00+00', '1 hour', 'Btc')) AS btc,
       (SELECT count(*) FROM pulse.tweets WHERE created_at >= '2024-03-01 10:00+00' AND created_at < '2024-03-01 12:00+00'
           AND (text ILIKE '%btc%' OR 'btc' = ANY (hashtags))) AS btc_in_table;
SELECT (SELECT sum(tweets) FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 12:00+00')) AS all_tweets,
       (SELECT count(*) FROM pulse.tweets WHERE created_at >= '2024-03-01 10:00+00' AND created_at < '2024-03-01 12:00+00') AS in_table;
-- an unaligned from: the first bucket starts at the UTC boundary before it,
-- counting only what is inside [from, until)
SELECT bucket, tweets, volume FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00:30+00', '2024-03-01 10:02+00');

-- rolling_correlation is moving_corr over a RANGE frame of the activity
SELECT count(*) AS buckets,
       count(*) FILTER (WHERE abs(r.corr - c.corr) < 1e-12 OR (r.corr IS NULL AND c.corr IS NULL)) AS agree_with_corr,
       count(r.corr) AS non_null
  FROM pulse.rolling_correlation('regress', 'LEAD-1', '2024-03-01 10:30+00', '2024-03-01 12:00+00', '10 minutes') r
  JOIN (SELECT bucket, corr(tweets, volume) OVER (ORDER BY bucket RANGE BETWEEN interval '9 minutes' PRECEDING AND CURRENT ROW) AS corr
          FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:21+00', '2024-03-01 12:00+00')) c USING (bucket);
SELECT bucket, tweets, volume, round(corr::numeric, 9) AS corr
  FROM pulse.rolling_correlation('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 10:05+00', '3 minutes');

-- ------------------------------------------------------------ coverage
-- A range mostly outside the coverage gives the answer of the covered part:
-- the unloaded minutes are NULL, not zeros, and are left out of n.
SELECT lag, n, round(corr::numeric, 6) AS corr
  FROM pulse.lead_lag('regress', 'LEAD-1', '2024-02-28 00:00+00', '2024-03-02 00:00+00', 3) ORDER BY lag;
SELECT count(*) AS buckets, count(tweets) AS tweet_buckets, count(volume) AS market_buckets
  FROM pulse.activity('regress', 'LEAD-1', '2024-02-28 00:00+00', '2024-03-02 00:00+00');
-- A bucket only partly covered is NULL for that side: candles are covered
-- until 12:20 (12:00-12:20 had no trade: volume 0, the price carried), tweets
-- until 12:00.
SELECT pulse.declare_coverage('regress-candles', 'candles/regress/LEAD-1/1m', '[2024-03-01 12:00+00, 2024-03-01 12:20+00)');
SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 11:40+00', '2024-03-01 12:30+00', '10 minutes');
-- rolling_correlation leaves uncovered buckets out of its frames
SELECT bucket, tweets, volume, round(corr::numeric, 9) AS corr
  FROM pulse.rolling_correlation('regress', 'LEAD-1', '2024-03-01 11:55+00', '2024-03-01 12:02+00', '5 minutes');
-- Coverage of two sources adds up; the watermark is the end of the newest span.
SELECT pulse.declare_coverage('regress-backfill', 'tweets', '[2024-03-01 12:00+00, 2024-03-01 12:10+00]');
SELECT pulse.declare_coverage('regress-backfill', 'tweets', '[2024-02-29 00:00+00, 2024-02-29 01:00+00)');
SELECT pulse.declare_coverage('regress-backfill', 'tweets', 'empty');
SELECT source, covered, watermark FROM pulse.coverage WHERE subject = 'tweets' AND source LIKE 'regress-%' ORDER BY 1;
SELECT bucket, tweets FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 11:50+00', '2024-03-01 12:30+00', '10 minutes');
-- A misspelled market: a WARNING naming it, and its side NULL (not zeros).
SELECT count(*) AS buckets, count(volume) AS volumes, sum(tweets) AS tweets
  FROM pulse.activity('regress', 'LAED-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00');
SELECT lag, n FROM pulse.lead_lag('regress', 'LAED-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', 0);
-- declare_coverage refuses what cannot be coverage
SELECT pg_temp.err($$SELECT pulse.declare_coverage(NULL, 'tweets', '[2024-03-01, 2024-03-02)')$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('', 'tweets', '[2024-03-01, 2024-03-02)')$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('s', 'tweet', '[2024-03-01, 2024-03-02)')$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('s', 'candles/upbit/KRW-BTC/1 minute', '[2024-03-01, 2024-03-02)')$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('s', 'tweets', '[2024-03-01,)')$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('s', 'tweets', '[-infinity, 2024-03-02)')$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('s', 'tweets', tstzrange(now(), now() + interval '1 day'))$$);
SELECT pg_temp.err($$SELECT pulse.declare_coverage('s', 'tweets', NULL)$$);
SELECT count(*) AS nothing_recorded FROM pulse.coverage WHERE source = 's';

-- bad input
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 12:00+00', '2024-03-01 10:00+00')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 10:00+00')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '0 minutes')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '-1 minute')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '1 month')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', NULL, '2024-03-01 11:00+00')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity(NULL, 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', 'infinity')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2000-01-01', '2024-03-01 11:00+00', '1 second')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.activity('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', keyword => '')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.rolling_correlation('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '30 seconds')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.rolling_correlation('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 11:00+00', '0 seconds')$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lead_lag('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 10:10+00', 10)$$);
SELECT pg_temp.err($$SELECT * FROM pulse.lead_lag('regress', 'LEAD-1', '2024-03-01 10:00+00', '2024-03-01 10:10+00', -1)$$);

DELETE FROM pulse.tweets WHERE created_at >= '2024-03-01' AND created_at < '2024-03-02';
DELETE FROM pulse.candles WHERE exchange = 'regress';
DELETE FROM pulse_internal.coverage WHERE source LIKE 'regress-%';
DROP TABLE IF EXISTS public.analytics_test_tweets, public.analytics_test_candles;

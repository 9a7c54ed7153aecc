-- Records per UTC hour in a range: tweets (and how many are retweets), and
-- 1-minute candles per exchange and market (60 per hour when nothing is
-- missing).
--   psql -f sql/examples/records_per_hour.sql [-v from=... -v until=...]
\ir _defaults.psql
WITH hours AS (
  SELECT generate_series(date_bin('1 hour', :'from'::timestamptz, timestamptz '1970-01-01 00:00:00+00'),
                         :'until'::timestamptz - interval '1 microsecond', interval '1 hour') AS hour
), tw AS (
  SELECT date_bin('1 hour', created_at, timestamptz '1970-01-01 00:00:00+00') AS hour,
         count(*) AS tweets, count(*) FILTER (WHERE is_retweet) AS retweets
    FROM pulse.tweets
   WHERE created_at >= :'from' AND created_at < :'until'
   GROUP BY 1
), ca AS (
  SELECT date_bin('1 hour', bucket_start, timestamptz '1970-01-01 00:00:00+00') AS hour,
         jsonb_object_agg(source, n ORDER BY source) AS candles
    FROM (SELECT bucket_start, exchange || ':' || market AS source, count(*) OVER w AS n
            FROM pulse.candles
           WHERE period = interval '1 minute' AND bucket_start >= :'from' AND bucket_start < :'until'
          WINDOW w AS (PARTITION BY exchange, market, date_bin('1 hour', bucket_start, timestamptz '1970-01-01 00:00:00+00'))) c
   GROUP BY 1
)
SELECT h.hour, coalesce(tw.tweets, 0) AS tweets, coalesce(tw.retweets, 0) AS retweets,
       coalesce(ca.candles, '{}') AS candles
  FROM hours h
  LEFT JOIN tw USING (hour)
  LEFT JOIN ca USING (hour)
 ORDER BY h.hour;

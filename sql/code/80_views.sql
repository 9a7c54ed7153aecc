-- BI views: what a dashboard tool (Metabase, Grafana, Superset, a spreadsheet)
-- can read without knowing Pulse's functions. Granted to pulse_reader
-- (90_privileges.sql).
-- Minutes are binned with date_bin from the Unix epoch, so they do not
-- depend on the session's TimeZone. Tweets come from the built-in minute
-- rollup (75_builtin_rollups.sql) and the per-hashtag hours (58_hashtags.sql):
-- a filter on the time reads only its range.

CREATE OR REPLACE VIEW pulse.minute_activity AS
SELECT c.exchange,
       c.market,
       c.bucket_start            AS minute,
       coalesce(t.tweets, 0)     AS tweets,
       c.volume,
       c.quote_volume,
       c.open,
       c.high,
       c.low,
       c.close
  FROM pulse.candles c
  LEFT JOIN pulse_internal.tweets_by_minute t ON t.minute = c.bucket_start
 WHERE c.period = interval '1 minute';
COMMENT ON VIEW pulse.minute_activity IS
  'Per exchange, market and minute with a 1-minute candle: tweets (all tweets created in that minute, whatever market they mention: the tweet stream is not per market), volume (base), quote_volume and open/high/low/close. Minutes without a candle are absent; for a gap-filled series over a range use pulse.activity().';

CREATE OR REPLACE VIEW pulse.hashtags_hourly AS
SELECT hour, hashtag, tweets, retweets, rank
  FROM (SELECT h.hour, h.tag AS hashtag, h.tweets, h.retweets,
               rank() OVER (PARTITION BY h.hour ORDER BY h.tweets DESC) AS rank
          FROM pulse_internal.tag_hours h) ranked;
COMMENT ON VIEW pulse.hashtags_hourly IS
  'Per UTC hour and hashtag (lower case, without #): tweets using it (retweets included), how many of them were retweets, and its rank in that hour (1 = most used; ties share a rank). Filter rank <= 10 for a top ten.';

CREATE OR REPLACE VIEW pulse.stream_health AS
WITH cp AS (
  SELECT stream, position, batch_id, updated_at FROM pulse.checkpoints
), recent AS (
  SELECT stream, sum(n) AS rows_last_hour, max(received_at) AS last_received_at
    FROM pulse_internal.landing_chunks
   WHERE received_at >= now() - interval '1 hour'
   GROUP BY stream
), rj AS (
  SELECT stream,
         count(*) FILTER (WHERE rejected_at >= now() - interval '1 hour') AS rejects_last_hour,
         count(*) AS rejects_total
    FROM pulse.rejects
   GROUP BY stream
), streams AS (
  SELECT stream FROM cp UNION SELECT stream FROM recent UNION SELECT stream FROM rj
)
SELECT s.stream,
       cp.position                                   AS last_position,
       cp.batch_id                                   AS last_batch_id,
       greatest(cp.updated_at, recent.last_received_at) AS last_batch_at,
       coalesce(recent.rows_last_hour, 0)            AS rows_last_hour,
       now() - greatest(cp.updated_at, recent.last_received_at) AS lag,
       coalesce(rj.rejects_last_hour, 0)             AS rejects_last_hour,
       coalesce(rj.rejects_total, 0)                 AS rejects_total
  FROM streams s
  LEFT JOIN cp USING (stream)
  LEFT JOIN recent USING (stream)
  LEFT JOIN rj USING (stream);
COMMENT ON VIEW pulse.stream_health IS
  'Per loader stream: the checkpoint it resumes from (last_position, last_batch_id), when it last delivered a batch (last_batch_at: the later of the checkpoint update and the newest landing record), raw records received in the last hour, lag = now() - last_batch_at (NULL if it never delivered), and rejected records in the last hour and in total.';


COMMENT ON COLUMN pulse.minute_activity.exchange IS 'upbit, coinone or binance';
COMMENT ON COLUMN pulse.minute_activity.market IS 'The exchange''s own market name';
COMMENT ON COLUMN pulse.minute_activity.minute IS 'Start of the minute (UTC)';
COMMENT ON COLUMN pulse.minute_activity.tweets IS 'Tweets created in that minute (all of them: the stream is not per market)';
COMMENT ON COLUMN pulse.minute_activity.volume IS 'Traded volume in the base currency';
COMMENT ON COLUMN pulse.minute_activity.quote_volume IS 'Traded volume in the quote currency';
COMMENT ON COLUMN pulse.minute_activity.open IS 'First trade price of the minute';
COMMENT ON COLUMN pulse.minute_activity.high IS 'Highest trade price of the minute';
COMMENT ON COLUMN pulse.minute_activity.low IS 'Lowest trade price of the minute';
COMMENT ON COLUMN pulse.minute_activity.close IS 'Last trade price of the minute';

COMMENT ON COLUMN pulse.hashtags_hourly.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN pulse.hashtags_hourly.hashtag IS 'The hashtag, lower case, without #';
COMMENT ON COLUMN pulse.hashtags_hourly.tweets IS 'Tweets using it in that hour (retweets included)';
COMMENT ON COLUMN pulse.hashtags_hourly.retweets IS 'How many of those tweets were retweets';
COMMENT ON COLUMN pulse.hashtags_hourly.rank IS 'Rank in that hour by tweets (1 = most used; ties share a rank)';

COMMENT ON COLUMN pulse.stream_health.stream IS 'The loader stream (checkpoint name)';
COMMENT ON COLUMN pulse.stream_health.last_position IS 'The source position the stream resumes from';
COMMENT ON COLUMN pulse.stream_health.last_batch_id IS 'The last applied batch';
COMMENT ON COLUMN pulse.stream_health.last_batch_at IS 'When it last delivered: the later of the checkpoint update and the newest landing record';
COMMENT ON COLUMN pulse.stream_health.rows_last_hour IS 'Raw records received in the last hour';
COMMENT ON COLUMN pulse.stream_health.lag IS 'now() - last_batch_at (NULL if it never delivered)';
COMMENT ON COLUMN pulse.stream_health.rejects_last_hour IS 'Records rejected in the last hour';
COMMENT ON COLUMN pulse.stream_health.rejects_total IS 'Records rejected in all';

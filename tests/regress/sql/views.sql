-- BI views: pulse.minute_activity, pulse.hashtags_hourly, pulse.stream_health,
-- on a handful of inserted rows (dates of their own so other tests' rows do
-- not mix in), and what pulse_reader may read.
SET TimeZone = 'Asia/Seoul';  -- minutes and hours must not depend on it

-- Partitions for the rows below. A row whose partition is missing gets one
-- for its UTC day; when partition management already made one, it is used.
CREATE FUNCTION pg_temp.day_partition(parent regclass, ts timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  d timestamptz := date_bin('1 day', ts, timestamptz '1970-01-01 00:00:00+00');
  name text := 'views_test_' || replace(parent::text, 'pulse.', '') || '_' || to_char(d AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                  WHERE i.inhparent = parent
                    AND pg_get_expr(c.relpartbound, c.oid) IS NOT NULL
                    AND ts >= (regexp_match(pg_get_expr(c.relpartbound, c.oid), $r$FROM \('([^']*)'\)$r$))[1]::timestamptz
                    AND ts <  (regexp_match(pg_get_expr(c.relpartbound, c.oid), $r$TO \('([^']*)'\)$r$))[1]::timestamptz) THEN
    EXECUTE format('CREATE TABLE pulse.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                   name, parent, d, d + interval '1 day');
  END IF;
END $$;
SELECT FROM pg_temp.day_partition('pulse.tweets', '2019-07-15 00:00:00+00');
SELECT FROM pg_temp.day_partition('pulse.candles', '2019-07-15 00:00:00+00');
SELECT FROM pg_temp.day_partition('pulse_internal.landing_chunks', now());
SELECT FROM pg_temp.day_partition('pulse_internal.landing_chunks', now() - interval '70 minutes');

-- Three minutes of candles on two markets; tweets in minutes 10:00 and 10:01
-- (UTC), one at 10:59:59.999 and one in the next hour.
INSERT INTO pulse.candles (exchange, market, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
VALUES ('upbit', 'KRW-BTC', '2019-07-15 10:00:00+00', 13000000, 13010000, 12990000, 13005000, 1.50000001, 19500000.5, '2019-07-15 10:00:59+00'),
       ('upbit', 'KRW-BTC', '2019-07-15 10:01:00+00', 13005000, 13020000, 13000000, 13020000, 2.25, 29275000.12345678, '2019-07-15 10:01:58+00'),
       ('upbit', 'KRW-BTC', '2019-07-15 10:02:00+00', 13020000, 13020000, 13001000, 13001000, 0.00000001, 0.13, '2019-07-15 10:02:30+00'),
       ('binance', 'BTCUSDT', '2019-07-15 10:00:00+00', 11000.01000000, 11005.00000000, 10999.99000000, 11002.50000000, 30.12345678, 331400.00000001, '2019-07-15 10:00:59.999+00'),
       ('binance', 'BTCUSDT', '2019-07-15 11:00:00+00', 11010.00000000, 11010.00000000, 11010.00000000, 11010.00000000, 0, 0, '2019-07-15 11:00:59.999+00');
INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
VALUES ('upbit', 'KRW-BTC', '1 day', '2019-07-15 00:00:00+00', 1, 1, 1, 1, 1, 1, '2019-07-15 23:00:00+00');  -- not a minute candle

INSERT INTO pulse.tweets (id, created_at, author_id, text, lang, hashtags, is_retweet, retweeted_id)
VALUES (101, '2019-07-15 10:00:00+00',     1, '#bitcoin #btc up', 'en', '{bitcoin,btc}', false, NULL),
       (102, '2019-07-15 10:00:59.999+00', 2, 'RT @a: #bitcoin #btc up', 'en', '{bitcoin,btc}', true, 101),
       (103, '2019-07-15 10:00:30+00',     3, 'no tags', 'en', '{}', false, NULL),
       (104, '2019-07-15 10:01:00+00',     4, '#btc #BTC twice', 'en', '{btc,btc}', false, NULL),
       (105, '2019-07-15 10:59:59.999+00', 5, '#hodl', 'en', '{hodl}', false, NULL),
       (106, '2019-07-15 11:00:00+00',     6, '#hodl #bitcoin', 'en', '{hodl,bitcoin}', false, NULL);

-- tweets per minute are the same on every market's row (the stream is not per market)
SELECT exchange, market, minute AT TIME ZONE 'UTC' AS minute_utc, tweets, volume, quote_volume, open, high, low, close
  FROM pulse.minute_activity
 WHERE minute >= '2019-07-15 00:00:00+00' AND minute < '2019-07-16 00:00:00+00'
 ORDER BY exchange, market, minute;

SELECT hour AT TIME ZONE 'UTC' AS hour_utc, hashtag, tweets, retweets, rank
  FROM pulse.hashtags_hourly
 WHERE hour >= '2019-07-15 00:00:00+00' AND hour < '2019-07-16 00:00:00+00'
 ORDER BY hour, rank, hashtag;

-- stream health: a checkpointed stream with recent records and rejects, a
-- stream seen only through rejects (one transaction, so now() is one instant)
BEGIN;
INSERT INTO pulse.checkpoints (stream, position, batch_id, updated_at)
VALUES ('views_test_x', '{"since_id": "1766977437527633921"}', 7, now() - interval '10 minutes');
INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
VALUES ('views_test_x', 'twitter_v2', 7, 1, now() - interval '5 minutes', '{"data": {"id": "1"}}'),
       ('views_test_x', 'twitter_v2', 7, 2, now() - interval '5 minutes', '{"data": {"id": "2"}}'),
       ('views_test_x', 'twitter_v2', 6, 1, now() - interval '70 minutes', '{"data": {"id": "0"}}');
INSERT INTO pulse.rejects (stream, batch_id, format, rejected_at, raw, reason)
VALUES ('views_test_x', 7, 'twitter_v2', now() - interval '5 minutes', '\x7b00'::bytea, 'invalid JSON'),
       ('views_test_x', 3, 'twitter_v2', now() - interval '3 hours', '\xff'::bytea, 'invalid UTF-8'),
       ('views_test_upbit', NULL, 'upbit', now() - interval '2 days', '\x5b'::bytea, 'truncated');

SELECT stream, last_position, last_batch_id,
       last_batch_at = now() - interval '5 minutes' AS last_batch_is_newest_record,
       rows_last_hour,
       lag = interval '5 minutes' AS lag_ok,
       rejects_last_hour, rejects_total
  FROM pulse.stream_health
 WHERE stream LIKE 'views_test_%'
 ORDER BY stream;
COMMIT;

-- a stream whose only news is its checkpoint: lag from the checkpoint time
BEGIN;
UPDATE pulse.checkpoints SET updated_at = now() - interval '2 minutes' WHERE stream = 'views_test_x';
DELETE FROM pulse.landing WHERE stream = 'views_test_x';
SELECT stream, rows_last_hour, lag = interval '2 minutes' AS lag_ok
  FROM pulse.stream_health WHERE stream LIKE 'views_test_%' ORDER BY stream;
COMMIT;

-- every view has a comment and is readable by pulse_reader
SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL AS has_comment,
       has_table_privilege('pulse_reader', c.oid, 'SELECT') AS reader_can_select,
       has_table_privilege('pulse_reader', c.oid, 'INSERT') AS reader_can_insert
  FROM pg_class c
 WHERE c.relnamespace = 'pulse'::regnamespace AND c.relkind = 'v'
   AND c.relname IN ('minute_activity', 'hashtags_hourly', 'stream_health')
 ORDER BY 1;
SET ROLE pulse_reader;
SELECT count(*) AS reader_sees_minutes FROM pulse.minute_activity
 WHERE minute >= '2019-07-15 00:00:00+00' AND minute < '2019-07-16 00:00:00+00';
SELECT count(*) > 0 AS reader_sees_hashtags FROM pulse.hashtags_hourly;
SELECT count(*) > 0 AS reader_sees_health FROM pulse.stream_health;
RESET ROLE;

-- leave nothing behind for later tests
DELETE FROM pulse.rejects WHERE stream LIKE 'views_test_%';
DELETE FROM pulse.checkpoints WHERE stream LIKE 'views_test_%';
DELETE FROM pulse.tweets WHERE id BETWEEN 101 AND 106;
DELETE FROM pulse.candles WHERE bucket_start >= '2019-07-15 00:00:00+00' AND bucket_start < '2019-07-16 00:00:00+00';
DO $$
DECLARE part name;
BEGIN
  FOR part IN SELECT c.relname FROM pg_class c
               WHERE c.relnamespace = 'pulse'::regnamespace AND c.relkind = 'r'
                 AND c.relname LIKE 'views\_test\_%' LOOP
    EXECUTE format('DROP TABLE pulse.%I', part);
  END LOOP;
END $$;
RESET TimeZone;

-- Every column of every public table and view has a comment (BI tools show them).
SELECT c.relname, a.attname AS uncommented
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'pulse'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1, 2;

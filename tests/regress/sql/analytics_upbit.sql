-- pulse.activity on real recorded Upbit KRW-BTC 1-minute candles (the
-- fixture tests/fixtures/upbit/..., 2020-02-20 08:00-11:19 UTC), loaded with
-- exact numerics (jsonb text to numeric, never through float8). The rows get a
-- test-only exchange label so other tests' candles cannot collide with them.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SELECT regress.cover('pulse.candles', 'analytics_upbit_candles', '2020-02-20', '2020-02-21');

\getenv abs_srcdir PG_ABS_SRCDIR
\set fixture :abs_srcdir '/../fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json'
\set content `cat :'fixture'`
INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
SELECT 'upbit-regress', e->>'market', interval '1 minute',
       (e->>'candle_date_time_utc')::timestamp AT TIME ZONE 'UTC',
       (e->>'opening_price')::numeric, (e->>'high_price')::numeric, (e->>'low_price')::numeric,
       (e->>'trade_price')::numeric, (e->>'candle_acc_trade_volume')::numeric,
       (e->>'candle_acc_trade_price')::numeric,
       timestamptz 'epoch' + (e->>'timestamp')::bigint * interval '1 millisecond'
  FROM jsonb_array_elements(:'content'::jsonb) e;
SELECT count(*), min(bucket_start), max(bucket_start), sum(volume) AS volume, sum(quote_volume) AS quote_volume
  FROM pulse.candles WHERE exchange = 'upbit-regress';
-- The page covers 08:00-11:20 (its loader would declare it); no tweet source
-- covers these hours, so the tweets side is NULL, not 0.
SELECT pulse.declare_coverage('regress-upbit', 'candles/upbit-regress/KRW-BTC/1m', '[2020-02-20 08:00+00, 2020-02-20 11:20+00)');

-- Make a hole: 09:00-09:09 disappear.
DELETE FROM pulse.candles
 WHERE exchange = 'upbit-regress' AND bucket_start >= '2020-02-20 09:00+00' AND bucket_start < '2020-02-20 09:10+00';

-- The hole is gap-filled: volume 0, prices carried from the 08:59 close.
SELECT bucket, tweets, volume, quote_volume, open, high, low, close
  FROM pulse.activity('upbit-regress', 'KRW-BTC', '2020-02-20 08:57+00', '2020-02-20 09:12+00');
-- Wholly inside the hole: prices come from the last candle before from.
SELECT bucket, volume, open, close
  FROM pulse.activity('upbit-regress', 'KRW-BTC', '2020-02-20 09:03+00', '2020-02-20 09:06+00');
-- 15-minute buckets over the whole page: open first, close last, high max,
-- low min, volumes summed exactly.
SELECT bucket, volume, quote_volume, open, high, low, close
  FROM pulse.activity('upbit-regress', 'KRW-BTC', '2020-02-20 08:00+00', '2020-02-20 11:30+00', '15 minutes');
SELECT a.volume = t.volume AND a.quote_volume = t.quote_volume AS sums_exact, a.volume, a.quote_volume
  FROM (SELECT sum(volume) AS volume, sum(quote_volume) AS quote_volume
          FROM pulse.activity('upbit-regress', 'KRW-BTC', '2020-02-20 08:00+00', '2020-02-20 11:20+00', '1 hour')) a,
       (SELECT sum(volume) AS volume, sum(quote_volume) AS quote_volume
          FROM pulse.candles WHERE exchange = 'upbit-regress') t;

-- buckets stay aligned to UTC whatever the session time zone (+05:30 here)
SET timezone = 'Asia/Kolkata';
SELECT count(*) AS buckets, count(*) FILTER (WHERE date_part('minute', bucket AT TIME ZONE 'UTC') <> 0) AS not_on_utc_hour
  FROM pulse.activity('upbit-regress', 'KRW-BTC', '2020-02-20 08:00+00', '2020-02-20 11:20+00', '1 hour');
SET timezone = 'UTC';

DELETE FROM pulse.candles WHERE exchange = 'upbit-regress';
DELETE FROM pulse_internal.coverage WHERE source = 'regress-upbit';
-- the partition may have been made by an earlier test: drop ours quietly
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.analytics_upbit_candles;
RESET client_min_messages;

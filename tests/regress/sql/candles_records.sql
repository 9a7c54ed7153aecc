-- One bad record never blocks a stream: every impossible candle goes to
-- pulse.rejects with a reason and the rest of its batch loads, the
-- checkpoint moves. (A batch with an Upbit candle dated 2020-02-30 failed
-- with 22008, whole, on every restart; a candle dated 33658 AD was stored.)
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 hour') >= 0 AS landing;
RESET client_min_messages;

CREATE FUNCTION pg_temp.upbit(seq int, utc text, o text, h text, l text, c text, vol text, extra text DEFAULT '')
RETURNS void LANGUAGE sql AS $$
  INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
  VALUES ('regress_records', 'upbit', 1, seq,
          format('{"market":"REC-BTC","period":"1m"%s,"record":{"market":"REC-BTC","candle_date_time_utc":"%s",'
                 '"opening_price":%s,"high_price":%s,"low_price":%s,"trade_price":%s,"timestamp":1582197598691,'
                 '"candle_acc_trade_price":1000,"candle_acc_trade_volume":%s,"unit":1}}', extra, utc, o, h, l, c, vol)::jsonb)
$$;
BEGIN;
SELECT pg_temp.upbit(1, '2020-02-20T11:19:00', '100', '110', '90', '105', '2.5');     -- good
SELECT pg_temp.upbit(2, '2020-02-30T20:55:00', '100', '110', '90', '105', '1');       -- no such day
SELECT pg_temp.upbit(3, '2021-02-29T00:00:00', '100', '110', '90', '105', '1');       -- 2021 is no leap year
SELECT pg_temp.upbit(4, '2020-02-29T00:00:00', '100', '110', '90', '105', '1');       -- 2020 is: good
SELECT pg_temp.upbit(5, '2020-02-20T11:20:00', '100', '90', '110', '105', '1');       -- high < low
SELECT pg_temp.upbit(6, '2020-02-20T11:21:00', '100', '110', '90', '105', '-1');      -- negative volume
SELECT pg_temp.upbit(7, '2020-02-20T11:22:00', '-100', '110', '-190', '105', '1');    -- negative price
SELECT pg_temp.upbit(8, '2020-02-20T11:23:00', '120', '110', '90', '105', '1');       -- open above high
SELECT pg_temp.upbit(9, '2020-02-20T11:24:30', '100', '110', '90', '105', '1');       -- not on the minute
SELECT pg_temp.upbit(10, '9999-12-31T23:59:00', '100', '110', '90', '105', '1');      -- the future
SELECT pg_temp.upbit(11, '0000-01-01T00:00:00', '100', '110', '90', '105', '1');      -- year 0
-- a page asked for 11:00..11:30 that holds 12:00
SELECT pg_temp.upbit(12, '2020-02-20T12:00:00', '100', '110', '90', '105', '1',
                     ',"range_from_ms":1582196400000,"range_until_ms":1582198200000');
SELECT pg_temp.upbit(13, '2020-02-20T11:25:00', '100', '110', '90', '105', '1',
                     ',"range_from_ms":1582196400000,"range_until_ms":1582198200000');   -- inside: good
-- Binance: 33658 AD (epoch ms near 1e15); a kline twice in one page, one with
-- a close time that is not one period after its open; a good one.
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_records', 'binance', 1, 20, '{"market":"RECUSDT","period":"1m","record":[999999999900000,"1","2","1","1.5","3",999999999959999,"4"]}'),
 ('regress_records', 'binance', 1, 21, '{"market":"RECUSDT","period":"1m","record":[1624559520000,"34970.9","35047.03","34800.01","35047.03","0.419472",1624559579999,"14686.8781947"]}'),
 ('regress_records', 'binance', 1, 22, '{"market":"RECUSDT","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559640000,"1"]}'),
 ('regress_records', 'coinone', 1, 30, '{"market":"REC-BTC","period":"1m","record":{"timestamp":1686787230000,"open":"1","high":"1","low":"1","close":"1","target_volume":"1","quote_volume":"1"}}');
SELECT * FROM pulse.apply_batch('regress_records', 1, '{"cursor": "after"}');
COMMIT;
SELECT position FROM pulse.checkpoints WHERE stream = 'regress_records';
SELECT exchange, market, bucket_start, open, high, low, close, volume FROM pulse.candles
 WHERE market IN ('REC-BTC', 'RECUSDT') ORDER BY 1, 2, 3;
SELECT format, convert_from(raw, 'UTF8')::jsonb -> 'record' ->> 'candle_date_time_utc' AS utc, reason
  FROM pulse.rejects WHERE stream = 'regress_records' ORDER BY id;
-- Only the partitions the stored rows need were made (no 9999, no 33658).
SELECT count(*) FILTER (WHERE lower(range) >= '3000-01-01') AS far_future_partitions
  FROM pulse.partitions WHERE parent = 'pulse.candles'::regclass;

-- The same Upbit records staged ahead (pulse_internal.stage_ahead, what
-- pulse-load's second session runs after its COPY) and applied later in the
-- same transaction store the same candles and rejects, each reject with its
-- record; apply_batch uses up the marker.
CREATE TEMP TABLE direct_candles AS
SELECT exchange, market, bucket_start, open, high, low, close, volume, quote_volume FROM pulse.candles WHERE market = 'REC-BTC';
CREATE TEMP TABLE direct_rejects AS
SELECT raw, reason FROM pulse.rejects WHERE stream = 'regress_records' AND format = 'upbit';
DELETE FROM pulse.candles WHERE market = 'REC-BTC';
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
SELECT 'regress_staged', format, 1, seq, payload FROM pulse.landing WHERE stream = 'regress_records' AND format = 'upbit';
SELECT pulse_internal.stage_ahead('regress_staged', 1) AS staged;
SELECT count(*) AS projected, count(payload) AS with_record FROM pg_temp.pulse_candle_proj;
SELECT * FROM pulse.apply_batch('regress_staged', 1, '{}');
SELECT count(*) AS markers_left FROM pg_temp.pulse_staged_ahead;
COMMIT;
SELECT (SELECT count(*) FROM (SELECT exchange, market, bucket_start, open, high, low, close, volume, quote_volume
                                FROM pulse.candles WHERE market = 'REC-BTC' EXCEPT SELECT * FROM direct_candles) d) AS new_candles,
       (SELECT count(*) FROM (SELECT * FROM direct_candles EXCEPT SELECT exchange, market, bucket_start, open, high, low, close, volume,
                                     quote_volume FROM pulse.candles WHERE market = 'REC-BTC') d) AS missing_candles,
       (SELECT count(*) FROM direct_candles) AS candles,
       (SELECT count(*) FROM (SELECT raw, reason FROM pulse.rejects WHERE stream = 'regress_staged'
                              EXCEPT ALL SELECT * FROM direct_rejects) d) AS new_rejects,
       (SELECT count(*) FROM (SELECT * FROM direct_rejects
                              EXCEPT ALL SELECT raw, reason FROM pulse.rejects WHERE stream = 'regress_staged') d) AS missing_rejects,
       (SELECT count(*) FROM direct_rejects) AS rejects;
-- a batch staged ahead, then another batch applied first in the same
-- transaction: each stores its own candles (the other's projection replaced
-- what was staged, so the marker is gone and the batch is projected again)
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_staged2', 'binance', 1, 1, '{"market":"STAGEA","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}'),
 ('regress_staged2', 'binance', 2, 1, '{"market":"STAGEB","period":"1m","record":[1624559520000,"2","2","2","2","2",1624559579999,"2"]}');
SELECT pulse_internal.stage_ahead('regress_staged2', 2) AS staged;
SELECT * FROM pulse.apply_batch('regress_staged2', 1, '{}');
SELECT * FROM pulse.apply_batch('regress_staged2', 2, '{}');
COMMIT;
SELECT market, open FROM pulse.candles WHERE market LIKE 'STAGE_' ORDER BY market;
DELETE FROM pulse.candles WHERE market LIKE 'STAGE_';
DELETE FROM pulse.landing WHERE stream = 'regress_staged2';
DELETE FROM pulse.checkpoints WHERE stream = 'regress_staged2';
-- A candle batch staged ahead is collapsed then too (one candle per key,
-- the greatest observed_at winning), and retention that moves between the
-- staging and the apply is read when the batch applies: the candles it no
-- longer keeps are rejected, each with its record, the rest stored.
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
SELECT 'regress_staged3', 'binance', 1, n, format('{"market":"STAGEC","period":"1m","observed_ms":%s,"record":[%s,"%s","%s","%s","%s","1",%s,"1"]}',
         (extract(epoch FROM t)::bigint * 1000 + 30000 + n)::text, extract(epoch FROM t)::bigint * 1000,
         p, p, p, p, extract(epoch FROM t)::bigint * 1000 + 59999)::jsonb
  FROM (VALUES (1, date_trunc('minute', now()) - interval '3 days', 10),
               (2, date_trunc('minute', now()) - interval '3 days', 11),
               (3, date_trunc('minute', now()) - interval '1 hour', 12),
               (4, date_trunc('minute', now()) - interval '1 hour', 13)) AS v(n, t, p);
SELECT pulse_internal.stage_ahead('regress_staged3', 1) AS staged;
SELECT count(*) AS collapsed, string_agg(open::text, ',' ORDER BY bucket_start) AS opens FROM pg_temp.pulse_candle_src;
UPDATE pulse_internal.managed_tables SET retain = interval '2 days' WHERE parent = 'pulse.candles'::regclass;
SELECT * FROM pulse.apply_batch('regress_staged3', 1, '{}');
SELECT open FROM pulse.candles WHERE market = 'STAGEC';
SELECT convert_from(raw, 'UTF8')::jsonb #>> '{record,1}' AS open, reason LIKE 'candle opens at %, before what the retention of pulse.candles keeps (%)' AS retention
  FROM pulse.rejects WHERE stream = 'regress_staged3' ORDER BY 1;
ROLLBACK;
SELECT retain FROM pulse_internal.managed_tables WHERE parent = 'pulse.candles'::regclass;
-- a batch of two candle formats is not staged ahead
SELECT pulse_internal.stage_ahead('regress_records', 1) AS two_formats_staged;
DELETE FROM pulse.rejects WHERE stream = 'regress_staged';
DELETE FROM pulse.landing WHERE stream = 'regress_staged';
DELETE FROM pulse.checkpoints WHERE stream = 'regress_staged';

DELETE FROM pulse.candles WHERE market IN ('REC-BTC', 'RECUSDT');
DELETE FROM pulse.rejects WHERE stream = 'regress_records';
DELETE FROM pulse.landing WHERE stream = 'regress_records';
DELETE FROM pulse.checkpoints WHERE stream = 'regress_records';

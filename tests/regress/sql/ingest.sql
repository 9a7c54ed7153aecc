-- Ingestion API: apply_batch projects each format exactly, rejects unusable
-- records with a reason, refuses an already-applied batch, keeps the newest
-- version of a candle and writes nothing for unchanged ones; reapply
-- rebuilds typed rows from landing. Uses its own market names and streams
-- so it shares the database with other tests, and removes any partition it
-- had to create.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET IntervalStyle = 'postgres';
CREATE TEMP TABLE made_parts (rel regclass);
-- Partitions for this test's rows when the partitioning code has not made them.
CREATE FUNCTION pg_temp.need(parent regclass, lo timestamptz, hi timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  name text := format('%s_ingest_test_%s', parent::text, to_char(lo, 'YYYYMMDD'));
BEGIN
  IF to_regprocedure('pulse.ensure_partitions(regclass,timestamptz,timestamptz)') IS NOT NULL THEN
    BEGIN
      PERFORM pulse.ensure_partitions(parent, lo, hi);
      RETURN;
    EXCEPTION WHEN OTHERS THEN  -- not a managed table here: make one by hand
      NULL;
    END;
  END IF;
  BEGIN
    EXECUTE format('CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', name, parent, lo, hi);
    INSERT INTO made_parts VALUES (name::regclass);
  EXCEPTION WHEN invalid_object_definition THEN  -- overlaps an existing partition: covered
    NULL;
  END;
END
$$;
SELECT pg_temp.need('pulse.landing', date_trunc('day', now()), date_trunc('day', now()) + interval '1 day');
SELECT pg_temp.need('pulse.candles', '2020-02-20', '2020-02-21');
SELECT pg_temp.need('pulse.candles', '2021-06-24', '2021-06-25');
SELECT pg_temp.need('pulse.candles', '2023-06-15', '2023-06-16');
RESET client_min_messages;

-- Exact numerics from JSON numbers and decimal strings; NULL for the rest.
SELECT v, pulse_internal.json_numeric(v::jsonb)
  FROM (VALUES ('11509000.0'), ('30279009.54681'), ('"0.41947200"'), ('"-1.5"'), ('1e3'),
               ('"1e3"'), ('"abc"'), ('"NaN"'), ('true'), ('null'), ('[1]')) AS t(v);
SELECT pulse_internal.json_epoch_ms('1582197598691'), pulse_internal.json_epoch_ms('"1624559579999"'), pulse_internal.json_epoch_ms('1.5');

-- One batch with each format, unusable records and an unknown format.
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'upbit', 1, 1, '{"market":"REG-BTC","period":"1m","observed_ms":1,"record":{"market":"REG-BTC","candle_date_time_utc":"2020-02-20T11:19:00","candle_date_time_kst":"2020-02-20T20:19:00","opening_price":11509000.0,"high_price":11511000.0,"low_price":11489000.0,"trade_price":11498000.0,"timestamp":1582197598691,"candle_acc_trade_price":30279009.54681,"candle_acc_trade_volume":2.63267824,"unit":1}}'),
 ('regress_ingest', 'upbit', 1, 2, '{"market":"REG-BTC","period":"1m","record":{"market":"REG-BTC","candle_date_time_utc":"2020-02-20T11:18:00","opening_price":"x"}}'),
 ('regress_ingest', 'upbit', 1, 3, '{"market":"REG-BTC","period":"1m","record":{"market":"REG-ETH","candle_date_time_utc":"2020-02-20T11:18:00"}}'),
 ('regress_ingest', 'upbit', 1, 4, '{"market":"REG-BTC","period":"1m","record":{"market":"REG-BTC","candle_date_time_utc":"2020-02-20T11:17:00","opening_price":1,"high_price":1,"low_price":1,"trade_price":1,"timestamp":1582197479786,"candle_acc_trade_price":1,"candle_acc_trade_volume":1,"unit":3}}'),
 ('regress_ingest', 'upbit', 1, 5, '{"market":"REG-BTC","period":"2m","record":{}}'),
 ('regress_ingest', 'binance', 1, 6, '{"market":"REGUSDT","period":"1m","observed_ms":1624559550000,"record":[1624559520000,"34970.90000000","35047.03000000","34800.01000000","35047.03000000","0.41947200",1624559579999,"14686.87819470",37,"0.41391700","14492.85555020","0"]}'),
 ('regress_ingest', 'binance', 1, 7, '{"market":"REGUSDT","period":"1m","record":[1624559580000,"1","2"]}'),
 ('regress_ingest', 'binance', 1, 8, '{"market":"REGUSDT","period":"1m","record":[1624559580000,1.5,"2","1","1.5","3",1624559639999,"4"]}'),
 ('regress_ingest', 'coinone', 1, 9, '{"market":"REG-BTC","period":"1m","observed_ms":1686787300000,"record":{"timestamp":1686787200000,"open":"35000000","high":"35005000","low":"34997000","close":"35001000","target_volume":"0.12345678","quote_volume":"4321012.3456"}}'),
 ('regress_ingest', 'coinone', 1, 10, '{"market":"REG-BTC","period":"1m","record":"not a candle"}'),
 ('regress_ingest', 'nosuchformat', 1, 11, '{"x":1}');
SELECT * FROM pulse.apply_batch('regress_ingest', 1, '{"cursor": 1}');
COMMIT;
SELECT exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at
  FROM pulse.candles WHERE market LIKE 'REG%' ORDER BY exchange, bucket_start;
SELECT batch_id, format, reason, convert_from(raw, 'UTF8')::jsonb->'record' AS record
  FROM pulse.rejects WHERE stream = 'regress_ingest' ORDER BY id;
SELECT stream, position, batch_id FROM pulse.checkpoints WHERE stream = 'regress_ingest';

-- The same batch id again (a retry after an unseen COMMIT): nothing applied,
-- the checkpoint does not move, and the landing copies are dropped.
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'coinone', 1, 1, '{"market":"REG-BTC","period":"1m","record":{"timestamp":1686787200000,"open":"1","high":"1","low":"1","close":"1","target_volume":"1","quote_volume":"1"}}');
SELECT * FROM pulse.apply_batch('regress_ingest', 1, '{"cursor": 0}');
COMMIT;
SELECT count(*) AS landing_rows FROM pulse.landing WHERE stream = 'regress_ingest';
-- ... also when the copies were inserted under a savepoint (a loader's
-- record-by-record mode).
BEGIN;
SAVEPOINT rec;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'coinone', 1, 1, '{"market":"REG-BTC","period":"1m","record":{"timestamp":1686787200000,"open":"1","high":"1","low":"1","close":"1","target_volume":"1","quote_volume":"1"}}');
RELEASE rec;
SELECT * FROM pulse.apply_batch('regress_ingest', 1, '{"cursor": 0}');
COMMIT;
SELECT count(*) AS landing_rows FROM pulse.landing WHERE stream = 'regress_ingest';
SELECT position, batch_id FROM pulse.checkpoints WHERE stream = 'regress_ingest';
SELECT open FROM pulse.candles WHERE exchange = 'coinone' AND market = 'REG-BTC';

-- Versions. The open Binance candle seen later with new values: updated.
-- Seen again with the same values (newer sighting): unchanged, not rewritten.
-- An older sighting arriving late: unchanged. Once closed, the version is the
-- close time + 1 ms whatever the sighting time, so re-reading a closed
-- candle is unchanged.
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'binance', 2, 1, '{"market":"REGUSDT","period":"1m","observed_ms":1624559560000,"record":[1624559520000,"34970.90000000","35100.00000000","34800.01000000","35090.00000000","0.51947200",1624559579999,"18186.87819470",40,"0","0","0"]}'),
 ('regress_ingest', 'binance', 2, 2, '{"market":"REGUSDT","period":"1m","observed_ms":1624559540000,"record":[1624559520000,"34970.90000000","35000.00000000","34800.01000000","35000.00000000","0.31947200",1624559579999,"11186.87819470",30,"0","0","0"]}');
SELECT * FROM pulse.apply_batch('regress_ingest', 2, '{"cursor": 2}');
COMMIT;
SELECT high, close, volume, observed_at FROM pulse.candles WHERE market = 'REGUSDT';
CREATE TEMP TABLE xmin_mid AS
  SELECT bucket_start, xmin::text AS x FROM pulse.candles WHERE market = 'REGUSDT';
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'binance', 3, 1, '{"market":"REGUSDT","period":"1m","observed_ms":1624559570000,"record":[1624559520000,"34970.90000000","35100.00000000","34800.01000000","35090.00000000","0.51947200",1624559579999,"18186.87819470",40,"0","0","0"]}'),
 ('regress_ingest', 'binance', 3, 2, '{"market":"REGUSDT","period":"1m","observed_ms":1624559530000,"record":[1624559520000,"1","1","1","1","1",1624559579999,"1",1,"0","0","0"]}');
SELECT * FROM pulse.apply_batch('regress_ingest', 3, '{"cursor": 3}');
COMMIT;
SELECT high, close, volume, observed_at FROM pulse.candles WHERE market = 'REGUSDT';
SELECT count(*) AS rewritten FROM pulse.candles c JOIN xmin_mid m USING (bucket_start)
 WHERE c.market = 'REGUSDT' AND c.xmin::text <> m.x;
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'binance', 4, 1, '{"market":"REGUSDT","period":"1m","observed_ms":1624559999000,"record":[1624559520000,"34970.90000000","35100.00000000","34800.01000000","35095.00000000","0.51947200",1624559579999,"18186.87819470",40,"0","0","0"]}');
SELECT * FROM pulse.apply_batch('regress_ingest', 4, '{"cursor": 4}');
COMMIT;
SELECT close, observed_at FROM pulse.candles WHERE market = 'REGUSDT' AND bucket_start = '2021-06-24 18:32:00+00';
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_ingest', 'binance', 5, 1, '{"market":"REGUSDT","period":"1m","observed_ms":1624600000000,"record":[1624559520000,"34970.90000000","35100.00000000","34800.01000000","35095.00000000","0.51947200",1624559579999,"18186.87819470",40,"0","0","0"]}');
SELECT * FROM pulse.apply_batch('regress_ingest', 5, '{"cursor": 5}');
COMMIT;

-- reapply: rebuild the typed rows from landing after they were lost; rejects
-- are not duplicated.
DELETE FROM pulse.candles WHERE market LIKE 'REG%';
SELECT * FROM pulse.reapply('regress_ingest', '-infinity', 'infinity');
SELECT exchange, bucket_start, open, close, observed_at
  FROM pulse.candles WHERE market LIKE 'REG%' ORDER BY exchange, bucket_start;
SELECT count(*) AS rejects FROM pulse.rejects WHERE stream = 'regress_ingest';
SELECT * FROM pulse.reapply('regress_ingest', '-infinity', 'infinity');
-- reapply takes no subtransaction per batch (a first load's plain INSERT
-- does, outside it): every rebuilt row carries the transaction's own xid,
-- and the marker that says so is gone after it.
BEGIN;
DELETE FROM pulse.candles WHERE market LIKE 'REG%';
SELECT batches, inserted FROM pulse.reapply('regress_ingest', '-infinity', 'infinity');
SELECT count(*) AS rows, count(*) FILTER (WHERE xmin = pg_current_xact_id()::xid) AS by_the_transaction,
       current_setting('pulse.reapplying', true) AS marker
  FROM pulse.candles WHERE market LIKE 'REG%';
COMMIT;

-- Errors keep their SQLSTATE.
\set VERBOSITY sqlstate
SELECT * FROM pulse.apply_batch('regress_ingest', 0, '{}');
SELECT * FROM pulse.apply_batch(NULL, 5, '{}');
SELECT * FROM pulse_internal.apply_candles('regress_ingest', 1, 'kraken');
\set VERBOSITY default

-- Rights: the loaders' role may call apply_batch, PUBLIC may not.
SELECT has_function_privilege('pulse_writer', 'pulse.apply_batch(text,bigint,jsonb)', 'EXECUTE') AS writer_apply,
       has_function_privilege('public', 'pulse.apply_batch(text,bigint,jsonb)', 'EXECUTE') AS public_apply,
       has_function_privilege('pulse_writer', 'pulse_internal.apply_candles(text,bigint,text)', 'EXECUTE') AS writer_projection,
       has_any_column_privilege('pulse_writer', 'pulse.landing', 'INSERT') AS writer_landing,
       has_table_privilege('pulse_writer', 'pulse.candles', 'UPDATE') AS writer_candles;
SELECT p.proname, p.prosecdef, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'pulse'::regnamespace AND p.proname IN ('apply_batch', 'reapply') ORDER BY 1;

-- Clean up: this test's rows and any partition it made.
DELETE FROM pulse.candles WHERE market LIKE 'REG%';
DELETE FROM pulse.landing WHERE stream = 'regress_ingest';
DELETE FROM pulse.rejects WHERE stream = 'regress_ingest';
DELETE FROM pulse.checkpoints WHERE stream = 'regress_ingest';
DO $$
DECLARE r regclass;
BEGIN
  FOR r IN SELECT rel FROM made_parts LOOP
    EXECUTE format('DROP TABLE %s', r);
  END LOOP;
END
$$;

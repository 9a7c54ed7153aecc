-- pulse.merge into managed (pulse.partition_by_time) tables: a backfill
-- creates exactly the partitions its time range needs, then only those are
-- touched.
CREATE SCHEMA merge_m;
SET search_path = merge_m, public;
SET timezone = 'UTC';

-- A daily table with no premade partitions (premake 0 only makes the
-- current day's): rows from March 2024 need three new partitions, and the
-- batch's last row sits on the last microsecond of its day (no fourth).
CREATE TABLE ev (id int, ts timestamptz, v int, x text, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('ev', 'ts', '1 day', premake => 0) > 0 AS registered;
CREATE TABLE ev_batch AS
  SELECT g AS id, timestamptz '2024-03-01 00:00:00+00' + g * interval '1 hour' AS ts, 1 AS v, 'x' || g AS x
    FROM generate_series(0, 70) g;
INSERT INTO ev_batch VALUES (71, '2024-03-03 23:59:59.999999+00', 1, 'last');
SELECT * FROM pulse.merge('ev', 'ev_batch', '{id,ts}', 'v');
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
 WHERE h.inhparent = 'ev'::regclass AND c.relname < 'ev_p2025' ORDER BY 1;
SELECT tableoid::regclass AS part, count(*) FROM ev GROUP BY 1 ORDER BY 1;
-- the same batch again: no partition created, nothing written
SELECT count(*) AS partitions_before FROM pg_inherits WHERE inhparent = 'ev'::regclass \gset
SELECT * FROM pulse.merge('ev', 'ev_batch', '{id,ts}', 'v');
SELECT count(*) - :partitions_before AS partitions_created FROM pg_inherits WHERE inhparent = 'ev'::regclass;

-- A later batch into one day: only that day's partition is read or
-- written (per-transaction counters of this backend, as deltas).
CREATE TABLE ev_day2 AS
  SELECT id, ts, 2 AS v, x || ' v2' AS x FROM ev_batch WHERE ts >= '2024-03-02 00:00+00' AND ts < '2024-03-02 06:00+00';
BEGIN;
CREATE TEMP TABLE counters AS
  SELECT c.relname, pg_stat_get_xact_numscans(c.oid) AS seq_scans, pg_stat_get_xact_numscans(i.indexrelid) AS index_scans,
         pg_stat_get_xact_tuples_updated(c.oid) AS upd
    FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
   WHERE h.inhparent = 'ev'::regclass;
SELECT * FROM pulse.merge('ev', 'ev_day2', '{id,ts}', 'v');
SELECT c.relname, pg_stat_get_xact_numscans(c.oid) - k.seq_scans AS seq_scans,
       pg_stat_get_xact_numscans(i.indexrelid) - k.index_scans > 0 AS index_used,
       pg_stat_get_xact_tuples_updated(c.oid) - k.upd AS updated
  FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
  JOIN counters k ON k.relname = c.relname
 WHERE h.inhparent = 'ev'::regclass AND c.relname < 'ev_p2025' ORDER BY 1;
COMMIT;
DROP TABLE counters;

-- Batches that share their time range with a few stored rows (a stream's
-- batches share the second at their border): new keys are inserted, stored
-- ones merged by version, whether or not the stored rows there meet a key.
CREATE TABLE ev_border (id int, ts timestamptz, v int, x text);
INSERT INTO ev_border VALUES (1000, '2024-03-03 23:00:00+00', 1, 'new'), (1001, '2024-03-03 23:30:00+00', 1, 'new');
SELECT * FROM pulse.merge('ev', 'ev_border', '{id,ts}', 'v');
INSERT INTO ev_border VALUES (71, '2024-03-03 23:59:59.999999+00', 2, 'last v2'), (1002, '2024-03-03 23:45:00+00', 1, 'new');
SELECT * FROM pulse.merge('ev', 'ev_border', '{id,ts}', 'v');
TRUNCATE ev_border;
INSERT INTO ev_border VALUES (1003, '2024-03-03 23:10:00+00', 1, 'new'), (1004, '2024-03-03 23:40:00+00', 1, 'new');
SELECT * FROM pulse.merge('ev', 'ev_border', '{id,ts}', 'v');
SELECT id, ts, v, x FROM ev WHERE ts >= '2024-03-03 22:00+00' AND ts < '2024-03-04' ORDER BY ts, id;
DROP TABLE ev_border;

-- date and timestamp time columns hold UTC wall-clock values, whatever the
-- session's time zone; month-wide partitions.
SET timezone = 'Asia/Seoul';
CREATE TABLE evd (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
SELECT pulse.partition_by_time('evd', 'day', '1 month', premake => 0) > 0 AS registered;
CREATE TABLE evd_batch AS SELECT g AS id, date '2023-12-31' + g AS day FROM generate_series(0, 1) g;
SELECT * FROM pulse.merge('evd', 'evd_batch', '{id,day}');
SELECT tableoid::regclass AS part, * FROM evd ORDER BY day;
CREATE TABLE evt (id int, ts timestamp, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('evt', 'ts', '1 day', premake => 0) > 0 AS registered;
CREATE TABLE evt_batch (id int, ts timestamp);
INSERT INTO evt_batch VALUES (1, '2024-05-01 23:59:59.999999'), (2, '2024-05-02 00:00:00');
SELECT * FROM pulse.merge('evt', 'evt_batch', '{id,ts}');
SELECT tableoid::regclass AS part, * FROM evt ORDER BY ts;
SET timezone = 'UTC';

-- A role that may write the table but does not own it backfills too (the
-- partitions are created with the extension's rights, after its INSERT
-- right was checked).
CREATE ROLE merge_m_writer;
GRANT USAGE ON SCHEMA merge_m, pulse TO merge_m_writer;
GRANT SELECT, INSERT, UPDATE ON ev TO merge_m_writer;
GRANT SELECT ON ev_batch TO merge_m_writer;
-- Without EXECUTE on pulse.ensure_partitions (pulse_writer has it) a batch
-- within existing partitions merges, one that needs new ones is refused.
UPDATE ev_batch SET v = 3;
SET ROLE merge_m_writer;
SELECT * FROM pulse.merge('ev', 'ev_batch', '{id,ts}', 'v');
RESET ROLE;
UPDATE ev_batch SET ts = ts + interval '10 days';
SET ROLE merge_m_writer;
SELECT regress.try($$SELECT * FROM pulse.merge('ev', 'ev_batch', '{id,ts}', 'v')$$, false);
RESET ROLE;
GRANT pulse_writer TO merge_m_writer;
SET ROLE merge_m_writer;
SELECT * FROM pulse.merge('ev', 'ev_batch', '{id,ts}', 'v');
RESET ROLE;
REVOKE pulse_writer FROM merge_m_writer;
SELECT tableoid::regclass AS part, count(*) FROM ev WHERE ts >= '2024-03-10 00:00+00' GROUP BY 1 ORDER BY 1;
REVOKE ALL ON ev, ev_batch FROM merge_m_writer;
REVOKE ALL ON SCHEMA merge_m, pulse FROM merge_m_writer;
DROP ROLE merge_m_writer;

-- Rows older than a table's retention get no partition: the merge fails
-- as a plain insert would, and writes nothing.
CREATE TABLE evr (id int, ts timestamptz, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('evr', 'ts', '1 day', premake => 0, retain => '7 days') > 0 AS registered;
CREATE TABLE evr_batch AS SELECT 1 AS id, timestamptz '2020-01-01 12:00+00' AS ts;
SELECT regress.try($$SELECT pulse.merge('evr', 'evr_batch', '{id,ts}')$$, false);
SELECT count(*) FROM evr;

-- The built-in candles table: a backfill of exact decimals.
CREATE TEMP TABLE candle_batch (exchange text, market text, period interval, bucket_start timestamptz,
                                open numeric, high numeric, low numeric, close numeric, volume numeric,
                                quote_volume numeric, observed_at timestamptz);
INSERT INTO candle_batch VALUES
  ('upbit', 'KRW-BTC', '1 minute', '2024-02-29 23:59+00', 70000000, 70010000, 69990000, 70005000, 0.12345678, 8641975.30, '2024-03-01 00:00:05+00'),
  ('upbit', 'KRW-BTC', '1 minute', '2024-03-01 00:00+00', 70005000, 70005000, 70000000, 70000000, 0.50000000, 35001250.00, '2024-03-01 00:00:59+00'),
  ('upbit', 'KRW-BTC', '1 minute', '2024-03-01 00:00+00', 70005000, 70005000, 70000000, 70000000, 0.40000000, 28001000.00, '2024-03-01 00:00:30+00');
SELECT * FROM pulse.merge('pulse.candles', 'candle_batch', '{exchange,market,period,bucket_start}', 'observed_at');
SELECT tableoid::regclass AS part, bucket_start, volume, quote_volume FROM pulse.candles
 WHERE bucket_start < '2024-04-01' ORDER BY bucket_start;
SELECT * FROM pulse.merge('pulse.candles', 'candle_batch', '{exchange,market,period,bucket_start}', 'observed_at');
-- leave the built-in table as it was
SELECT format('DROP TABLE %s', c.oid::regclass)
  FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
 WHERE h.inhparent = 'pulse.candles'::regclass AND c.relname >= 'candles_p2024' AND c.relname < 'candles_p2025' \gexec
DELETE FROM pulse_internal.managed_tables
 WHERE parent IN ('merge_m.ev'::regclass, 'merge_m.evd'::regclass, 'merge_m.evt'::regclass, 'merge_m.evr'::regclass);

RESET search_path;
RESET timezone;
SET client_min_messages = warning;
DROP SCHEMA merge_m CASCADE;
RESET client_min_messages;

-- Partitions for what a batch holds, not for the span between its rows;
-- maintenance in bounded steps; writers' ranges bounded; partitions made by
-- hand on other boundaries covered around; retention and lateness checked.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET IntervalStyle = 'postgres';
\set VERBOSITY terse

-- 1. A batch with a row from 2006 and one from today makes two partitions
-- (it made every day in between: "out of shared memory").
CREATE TABLE span_t (id int NOT NULL, ts timestamptz NOT NULL, v numeric, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('span_t', 'ts', premake => 0) AS premade;
CREATE TEMP TABLE span_batch AS
SELECT * FROM (VALUES (1, timestamptz '2006-03-21 20:50:14+00', 1.0), (2, timestamptz '2024-03-11 09:30+00', 2.0),
                      (3, timestamptz '2021-04-01 12:00+00', 3.0), (4, timestamptz '2023-01-31 23:59:59+00', 4.0)) AS v(id, ts, v);
SELECT * FROM pulse.merge('span_t', 'span_batch', '{id,ts}');
SELECT count(*) AS partitions FROM pulse.partitions WHERE parent = 'span_t'::regclass;
SELECT tableoid::regclass AS partition, id FROM span_t ORDER BY id;

-- 2. Maintenance works table by table in bounded steps: with 300 sealed
-- partitions it clusters 8 a run (and does not fail for locks).
CREATE TABLE many_t (k int NOT NULL, ts timestamptz NOT NULL, PRIMARY KEY (k, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('many_t', 'ts', premake => 0, cluster_by => '{k}', lateness => '0') AS premade;
SELECT pulse.ensure_partitions('many_t', '2023-01-01', timestamptz '2023-01-01' + interval '300 days') AS backfilled;
INSERT INTO many_t SELECT g % 3, timestamptz '2023-01-01 01:00+00' + g * interval '1 day' FROM generate_series(0, 299) g;
SELECT parent, created, dropped, clustered, note FROM pulse.run_maintenance('many_t');
SELECT parent, created, dropped, clustered, note FROM pulse.run_maintenance('many_t');
SELECT count(*) FILTER (WHERE clustered) AS clustered, count(*) AS partitions FROM pulse.partitions WHERE parent = 'many_t'::regclass;

-- 3. A role that may write a table but does not own it creates what loading
-- needs, within bounds.
CREATE ROLE regress_span_writer;
GRANT USAGE ON SCHEMA pulse TO regress_span_writer;
GRANT EXECUTE ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) TO regress_span_writer;
GRANT INSERT ON span_t TO regress_span_writer;
SET SESSION AUTHORIZATION regress_span_writer;
SELECT regexp_replace(regress.try($$SELECT pulse.ensure_partitions('span_t', now(), now() + interval '2000 days')$$), '[0-9]{4}-[0-9-]+ [0-9:.+]+', '<time>', 'g') AS future;
SELECT regexp_replace(regexp_replace(regress.try($$SELECT pulse.ensure_partitions('span_t', now() - interval '2000 days', now())$$),
                      '[0-9]{4}-[0-9-]+ [0-9:.+]+', '<time>', 'g'), 'create 19[0-9][0-9] ', 'create 19xx ') AS too_many;
SELECT pulse.ensure_partitions('span_t', '2024-02-01', '2024-02-04') AS created_by_writer;
RESET SESSION AUTHORIZATION;
SET client_min_messages = warning;
REVOKE ALL ON span_t FROM regress_span_writer;
REVOKE EXECUTE ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) FROM regress_span_writer;
REVOKE USAGE ON SCHEMA pulse FROM regress_span_writer;
DROP ROLE regress_span_writer;

-- 4. A partition made by hand from noon to noon: the days around it get
-- partitions for what it leaves uncovered (they were skipped, and rows there
-- failed with "no partition of relation found for row").
CREATE TABLE noon_t (id int NOT NULL, ts timestamptz NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE noon_t_by_hand PARTITION OF noon_t FOR VALUES FROM ('2024-05-01 12:00+00') TO ('2024-05-02 12:00+00');
SELECT pulse.partition_by_time('noon_t', 'ts', premake => 0) AS premade;
CREATE TEMP TABLE noon_batch AS
SELECT * FROM (VALUES (1, timestamptz '2024-05-01 03:00+00'), (2, timestamptz '2024-05-01 15:00+00'),
                      (3, timestamptz '2024-05-02 18:00+00')) AS v(id, ts);
SELECT * FROM pulse.merge('noon_t', 'noon_batch', '{id,ts}');
SELECT partition, range FROM pulse.partitions WHERE parent = 'noon_t'::regclass AND lower(range) < '2024-06-01' ORDER BY range;
SELECT pulse.ensure_partitions('noon_t', '2024-04-30', '2024-05-04') AS created;
SELECT partition, range FROM pulse.partitions WHERE parent = 'noon_t'::regclass AND lower(range) < '2024-06-01' ORDER BY range;

-- 5. Retention shorter than lateness is refused; a row older than retention
-- is refused with the reason.
CREATE TABLE ret_t (id int NOT NULL, ts timestamptz NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('ret_t', 'ts', retain => '1 hour', lateness => '2 hours');
SELECT pulse.partition_by_time('ret_t', 'ts', retain => '30 days', premake => 0) AS premade;
CREATE TEMP TABLE ret_batch AS SELECT 1 AS id, now() - interval '400 days' AS ts;
SELECT regexp_replace(regress.try($$SELECT * FROM pulse.merge('ret_t', 'ret_batch', '{id,ts}')$$), '[0-9]{4}-[0-9-]+ [0-9:.+]+', '<time>', 'g') AS too_old;

\set VERBOSITY default
DELETE FROM pulse_internal.managed_tables WHERE parent::text IN ('span_t', 'many_t', 'noon_t', 'ret_t');
DROP TABLE span_t, many_t, noon_t, ret_t;

-- 6. Loaders reject what retention would drop, record by record: with
-- retain set on the built-in tables, an old candle and an old tweet go to
-- pulse.rejects and the rest of their batches load.
SET client_min_messages = warning;
UPDATE pulse_internal.managed_tables SET retain = '30 days', lateness = '1 hour'
 WHERE parent IN ('pulse.candles'::regclass, 'pulse.tweets'::regclass);
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 hour') >= 0 AS landing;
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_retain', 'binance', 1, 1, '{"market":"RETUSDT","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}'),
 ('regress_retain', 'binance', 1, 2, jsonb_build_object('market', 'RETUSDT', 'period', '1m', 'record',
    jsonb_build_array((extract(epoch FROM date_bin('1 minute', now() - interval '1 hour', 'epoch')) * 1000)::bigint,
                      '2', '2', '2', '2', '2',
                      (extract(epoch FROM date_bin('1 minute', now() - interval '1 hour', 'epoch')) * 1000)::bigint + 59999, '2')));
SELECT * FROM pulse.apply_batch('regress_retain', 1, '{}');
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
 ('regress_retain_x', 'twitter_v2', 1, 1, '{"data":{"id":"1394735776701816833","created_at":"2021-05-18T19:24:56.000Z","text":"old"}}');
SELECT * FROM pulse.apply_batch('regress_retain_x', 1, '{}');
COMMIT;
SELECT count(*) AS recent_candles FROM pulse.candles WHERE market = 'RETUSDT';
SELECT stream, regexp_replace(reason, '\(.*\)', '(<floor>)') AS reason FROM pulse.rejects
 WHERE stream LIKE 'regress_retain%' ORDER BY id;
-- The tweet's and the candle's own JSON are kept (the retention check runs
-- after the projection, which keeps the JSON only of rows it rejects or
-- notes).
SELECT convert_from(raw, 'UTF8')::jsonb AS raw FROM pulse.rejects WHERE stream = 'regress_retain_x';
SELECT convert_from(raw, 'UTF8')::jsonb AS raw FROM pulse.rejects WHERE stream = 'regress_retain';
UPDATE pulse_internal.managed_tables SET retain = NULL
 WHERE parent IN ('pulse.candles'::regclass, 'pulse.tweets'::regclass);
DELETE FROM pulse.candles WHERE market = 'RETUSDT';
DELETE FROM pulse.rejects WHERE stream LIKE 'regress_retain%';
DELETE FROM pulse.landing WHERE stream LIKE 'regress_retain%';
DELETE FROM pulse.checkpoints WHERE stream LIKE 'regress_retain%';

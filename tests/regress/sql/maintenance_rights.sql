-- Maintenance never runs a table owner's code with more rights than the owner
-- has (issue: a CHECK constraint made its owner superuser when a superuser
-- ran pulse.run_maintenance). The hostile owner's functions, reached from a
-- CHECK constraint, a generated column and an index expression, log the role
-- they run as and try to make their owner a superuser (directly, after
-- RESET ROLE, after RESET SESSION AUTHORIZATION). The owner connects as
-- itself to set up, so its own statements cannot climb either.
SET client_min_messages = warning;
SET timezone = 'UTC';
DROP ROLE IF EXISTS regress_mallory;
CREATE ROLE regress_mallory LOGIN;
CREATE SCHEMA mallory AUTHORIZATION regress_mallory;
\c - regress_mallory
SET client_min_messages = warning;
CREATE TABLE mallory.log (via text, as_user text, escalated boolean);
CREATE FUNCTION mallory.note(via text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ok boolean := true;
BEGIN
  BEGIN
    EXECUTE 'ALTER ROLE regress_mallory SUPERUSER';
  EXCEPTION WHEN OTHERS THEN
    ok := false;
  END;
  -- back to the session's (superuser) role?
  BEGIN
    EXECUTE 'RESET ROLE';
    EXECUTE 'ALTER ROLE regress_mallory SUPERUSER';
    ok := true;
  EXCEPTION WHEN OTHERS THEN
    NULL;
  END;
  BEGIN
    EXECUTE 'RESET SESSION AUTHORIZATION';
    EXECUTE 'ALTER ROLE regress_mallory SUPERUSER';
    ok := true;
  EXCEPTION WHEN OTHERS THEN
    NULL;
  END;
  INSERT INTO mallory.log VALUES (via, current_user, ok);
END $$;
-- Index expressions and generated columns need an IMMUTABLE function; it
-- calls the volatile one.
CREATE FUNCTION mallory.grab(via text, v numeric) RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM mallory.note(via);
  RETURN v;
END $$;
CREATE TABLE mallory.trades (market text NOT NULL, ts timestamptz NOT NULL, v numeric NOT NULL,
                             v2 numeric GENERATED ALWAYS AS (mallory.grab('generated', v)) STORED,
                             CHECK (mallory.grab('check', v) IS NOT NULL))
  PARTITION BY RANGE (ts);
\c - postgres
SET client_min_messages = warning;
SET timezone = 'UTC';
-- A superuser registers it (partition_by_time is not for PUBLIC) and
-- backfills yesterday; the owner writes rows (yesterday 08:00 to today 07:00
-- UTC, in both partitions whatever the hour: its session's day in
-- pg_regress's PST8PDT missed yesterday's partition from 00:00 to 08:00 UTC)
-- and adds an expression index.
SELECT pulse.partition_by_time('mallory.trades', 'ts', '1 day', premake => 0, cluster_by => '{market}',
                               lateness => '0') >= 0 AS registered;
SELECT pulse.ensure_partitions('mallory.trades', now() - interval '1 day', now()) >= 0 AS backfilled;
\c - regress_mallory
SET client_min_messages = warning;
INSERT INTO mallory.trades (market, ts, v)
SELECT m, date_trunc('day', now(), 'UTC') - interval '16 hours' + g * interval '1 hour', g
  FROM generate_series(0, 23) g, unnest('{b,a}'::text[]) m;
CREATE INDEX ON mallory.trades ((mallory.grab('index', v)));
-- PostgreSQL folds constant calls in index expressions when it makes a
-- partition's copy of the index: partitions are made as the owner too.
CREATE INDEX ON mallory.trades ((mallory.grab('const', 1) + v));
TRUNCATE mallory.log;
\c - postgres
SET client_min_messages = warning;
SET timezone = 'UTC';

-- A superuser makes partitions and runs maintenance: the sealed partition
-- is clustered, the owner's code ran as the owner, and nothing made it a
-- superuser.
SELECT pulse.ensure_partitions('mallory.trades', now() - interval '5 days', now() - interval '2 days') AS backfilled;
SELECT parent, clustered, note FROM pulse.run_maintenance('mallory.trades');
SELECT via, as_user, bool_or(escalated) AS escalated, count(*) > 0 AS ran FROM mallory.log GROUP BY 1, 2 ORDER BY 1, 2;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';
SELECT p.clustered FROM pulse.partitions p WHERE p.parent = 'mallory.trades'::regclass AND p.sealed;
-- No trampoline function is left behind.
SELECT count(*) AS leftovers FROM pg_proc WHERE proname LIKE 'as\_owner\_%';
-- Every row is still there (counted by the owner: a superuser's own query
-- on the table would fold the owner's constant index expression itself).
\c - regress_mallory
SELECT count(*) AS rows, count(DISTINCT tableoid) AS partitions FROM mallory.trades;
\c - postgres

-- The background worker (a superuser session) does the same: a second
-- hostile table is clustered by the worker alone.
\c - regress_mallory
SET client_min_messages = warning;
CREATE TABLE mallory.w (LIKE mallory.trades INCLUDING ALL) PARTITION BY RANGE (ts);
TRUNCATE mallory.log;
\c - postgres
SET client_min_messages = warning;
SET timezone = 'UTC';
SELECT pulse.partition_by_time('mallory.w', 'ts', '1 day', premake => 0, cluster_by => '{market}',
                               lateness => '0') >= 0 AS registered;
SELECT pulse.ensure_partitions('mallory.w', now() - interval '1 day', now()) >= 0 AS backfilled;
\c - regress_mallory
SET client_min_messages = warning;
INSERT INTO mallory.w (market, ts, v)
SELECT 'a', date_trunc('day', now(), 'UTC') - interval '16 hours' + g * interval '1 hour', g FROM generate_series(0, 23) g;
TRUNCATE mallory.log;
\c - postgres
SET client_min_messages = warning;
ALTER SYSTEM SET pulse.maintenance_interval = 1;
SELECT pg_reload_conf();
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
  WHILE NOT EXISTS (SELECT FROM pulse.partitions WHERE parent = 'mallory.w'::regclass AND clustered)
        AND clock_timestamp() < deadline LOOP
    PERFORM pg_sleep(0.2);
  END LOOP;
END $$;
ALTER SYSTEM RESET pulse.maintenance_interval;
SELECT pg_reload_conf();
SELECT count(*) FILTER (WHERE clustered) AS clustered_by_worker FROM pulse.partitions WHERE parent = 'mallory.w'::regclass;
SELECT via, as_user, bool_or(escalated) AS escalated FROM mallory.log GROUP BY 1, 2 ORDER BY 1, 2;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_mallory';

-- The trampoline maker itself is not for anyone else.
\c - regress_mallory
\set VERBOSITY terse
SELECT pulse_internal.as_owner('mallory.trades', ARRAY['ALTER ROLE regress_mallory SUPERUSER']);
\set VERBOSITY default
\c - postgres
SET client_min_messages = warning;
DELETE FROM pulse_internal.managed_tables WHERE parent::text LIKE 'mallory.%';
DROP SCHEMA mallory CASCADE;
DROP ROLE regress_mallory;

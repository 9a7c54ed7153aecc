-- Streaming rollups: tumbling, hop and session windows over a managed table,
-- kept equal to their query through inserts, merges, updates, deletes and
-- truncation; panes, lateness, triggers, modes; bad definitions.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE TABLE ru_ev (id bigint, ts timestamptz NOT NULL, k text, v numeric, x float8, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('ru_ev', 'ts', '1 day');
SELECT pulse.ensure_partitions('ru_ev', '2024-03-01', '2024-03-04') > 0 AS made;
INSERT INTO ru_ev SELECT g, timestamptz '2024-03-01 10:00+00' + g * interval '37 seconds', 'k' || (g % 3), g, (g * 7) % 11
  FROM generate_series(1, 100) g;

SELECT pulse.create_rollup('ru_tumble', $$SELECT date_bin('5 minutes', ts, '1970-01-01') AS w, k, count(*) AS n,
  count(DISTINCT v) AS dv, sum(v) AS s, min(v) AS lo, max(v) AS hi, avg(v) AS a, pulse.moving_corr(v::float8, x) AS r
  FROM ru_ev WHERE v > 3 GROUP BY 1, 2$$);
SELECT pulse.create_rollup('ru_hop', $$SELECT pulse.hop(ts, '10 minutes', '5 minutes') AS w, count(*) AS n FROM ru_ev GROUP BY 1$$,
                           lateness => '10 minutes');
SELECT pulse.create_rollup('ru_sess', $$SELECT pulse.session(ts, '2 minutes') AS s, k, count(*) AS n, max(v) AS hi
  FROM ru_ev GROUP BY s, k$$, emit => 'watermark, every 1000 rows');
SELECT pulse.create_rollup('ru_disc', $$SELECT date_bin('1 hour', ts, '1970-01-01') AS h, count(*) AS n, sum(v) AS s
  FROM ru_ev GROUP BY h$$, mode => 'discarding', emit => 'every 3 rows');
\d ru_tumble

-- Each rollup against its query computed from scratch (both directions).
CREATE FUNCTION pg_temp.check() RETURNS TABLE(rollup text, missing bigint, extra bigint) LANGUAGE sql AS $$
  WITH t_q AS (SELECT date_bin('5 minutes', ts, '1970-01-01') AS w, k, count(*) AS n, count(DISTINCT v) AS dv, sum(v) AS s,
                      min(v) AS lo, max(v) AS hi, avg(v) AS a, round(pulse.moving_corr(v::float8, x)::numeric, 9) AS r
                 FROM ru_ev WHERE v > 3 GROUP BY 1, 2),
       t_r AS (SELECT w, k, n, dv, s, lo, hi, a, round(r::numeric, 9) FROM ru_tumble),
       h_q AS (SELECT h, count(*) FROM ru_ev, pulse.hop(ts, '10 minutes', '5 minutes') h GROUP BY 1),
       h_r AS (SELECT w, n FROM ru_hop),
       s_q AS (SELECT min(ts), max(ts) + interval '2 minutes', k, count(*), max(v)
                 FROM (SELECT *, pulse.session_start(ts, '2 minutes') OVER (PARTITION BY k ORDER BY ts) AS ss FROM ru_ev) x GROUP BY ss, k),
       s_r AS (SELECT s, window_end, k, n, hi FROM ru_sess),
       d_q AS (SELECT date_bin('1 hour', ts, '1970-01-01'), count(*), sum(v) FROM ru_ev GROUP BY 1),
       d_r AS (SELECT h, n, s FROM ru_disc)
  SELECT 'tumble', (SELECT count(*) FROM (TABLE t_q EXCEPT ALL TABLE t_r) d), (SELECT count(*) FROM (TABLE t_r EXCEPT ALL TABLE t_q) d)
  UNION ALL SELECT 'hop', (SELECT count(*) FROM (TABLE h_q EXCEPT ALL TABLE h_r) d), (SELECT count(*) FROM (TABLE h_r EXCEPT ALL TABLE h_q) d)
  UNION ALL SELECT 'session', (SELECT count(*) FROM (TABLE s_q EXCEPT ALL TABLE s_r) d), (SELECT count(*) FROM (TABLE s_r EXCEPT ALL TABLE s_q) d)
  UNION ALL SELECT 'discarding', (SELECT count(*) FROM (TABLE d_q EXCEPT ALL TABLE d_r) d), (SELECT count(*) FROM (TABLE d_r EXCEPT ALL TABLE d_q) d)
$$;
SELECT * FROM pg_temp.check();
SELECT count(*) AS tumble_windows, sum(n) AS rows_counted FROM ru_tumble;

-- Changes of every kind, in one transaction and in several.
BEGIN;
INSERT INTO ru_ev VALUES (1000, '2024-03-01 10:07:00+00', 'k1', 7, 1), (1001, '2024-03-01 11:30+00', 'k9', 1, 2);
DELETE FROM ru_ev WHERE id = 5;
UPDATE ru_ev SET v = v + 100 WHERE id = 20;
UPDATE ru_ev SET ts = ts + interval '1 hour' WHERE id = 30;   -- moves to another window
COMMIT;
INSERT INTO ru_ev VALUES (1002, '2024-03-01 10:20:00+00', NULL, NULL, NULL);  -- NULL group and values
CREATE TABLE ru_src AS SELECT * FROM (VALUES (1003::bigint, timestamptz '2024-03-02 09:00+00', 'k1', 5::numeric, 3::float8),
                                              (1::bigint, timestamptz '2024-03-01 10:00:37+00', 'k1', 500::numeric, 4::float8)) v(id, ts, k, v, x);
SELECT * FROM pulse.merge('ru_ev', 'ru_src', '{id,ts}');
DROP TABLE ru_src;
SELECT * FROM pg_temp.check();
-- A late row bridging two sessions of k1 merges them: both are retracted.
SELECT pulse.declare_coverage('ru-test', 'public.ru_ev', '[2024-03-01 09:00+00, 2024-03-01 12:00+00)');
SELECT s, window_end, n FROM ru_sess WHERE k = 'k2' AND s < '2024-03-01 10:10+00' ORDER BY s;
INSERT INTO ru_ev VALUES (1100, '2024-03-01 10:02:00+00', 'k2', 3, 3);
SELECT s, window_end, n, pane, timing FROM ru_sess WHERE k = 'k2' AND s < '2024-03-01 10:10+00' ORDER BY s;
SELECT window_start, window_end, pane, timing, retraction, "values" FROM pulse.panes
 WHERE rollup = 'ru_sess'::regclass AND group_key = '{"k": "k2"}' AND window_start < '2024-03-01 10:10+00'
 ORDER BY window_start, window_end, pane;
SELECT * FROM pg_temp.check();

-- Watermark, on-time and late panes, lateness.
SELECT name, watermark, late_rows, beyond_lateness FROM pulse.rollups WHERE name::text LIKE 'ru\_%' ORDER BY 1;
SELECT timing, retraction, count(*) FROM pulse.panes WHERE rollup = 'ru_tumble'::regclass GROUP BY 1, 2 ORDER BY 1, 2;
-- within lateness (the hop rollup allows 10 minutes): late pane, counted late
INSERT INTO ru_ev VALUES (1200, '2024-03-01 11:52:00+00', 'k1', 9, 1);
-- far beyond lateness: still updates, still a late pane, counted beyond
INSERT INTO ru_ev VALUES (1201, '2024-03-01 09:01:00+00', 'k1', 9, 1);
SELECT name, late_rows, beyond_lateness FROM pulse.rollups WHERE name::text LIKE 'ru\_%' ORDER BY 1;
SELECT w, n, pane, timing, final FROM ru_hop WHERE w IN ('2024-03-01 08:55+00', '2024-03-01 11:45+00') ORDER BY w;
SELECT * FROM pg_temp.check();
-- the watermark moves on: windows it passes get their on-time pane, once
SELECT pulse.declare_coverage('ru-test', 'public.ru_ev', '[2024-03-01 12:00+00, 2024-03-02 12:00+00)');
SELECT pulse.declare_coverage('ru-test', 'public.ru_ev', '[2024-03-01 12:00+00, 2024-03-02 12:00+00)');
UNSELECT w, k, pane, timing, final FROM ru_tumble WHERE w >= '2024-03-01 11:00+00' ORDER BY 1, 2;
-- discarding panes carry what changed; they add up to the window's value
SELECT h, n, s, (SELECT sum(("values"->>'n')::numeric) FROM pulse.panes p WHERE p.rollup = 'ru_disc'::regclass AND p.window_start = d.h) AS panes_n
  FROM ru_disc d ORDER BY h;
-- processing-time triggers are emitted by pulse.emit_panes (the worker or a scheduler)
SELECT pulse.emit_panes() >= 0 AS ticked;

-- TRUNCATE empties every rollup of the table.
TRUNCATE ru_ev;
SELECT (SELECT count(*) FROM ru_tumble) AS tumble, (SELECT count(*) FROM ru_hop) AS hop, (SELECT count(*) FROM ru_sess) AS sess;
INSERT INTO ru_ev VALUES (1, '2024-03-01 10:00+00', 'k1', 5, 1);
SELECT * FROM pg_temp.check();

-- refresh_rollup repairs what was changed behind its back (a write straight into a partition).
INSERT INTO ru_ev_p20240301 VALUES (2, '2024-03-01 10:01+00', 'k1', 6, 1);
SELECT * FROM pg_temp.check() WHERE rollup = 'tumble';
SELECT pulse.refresh_rollup('ru_tumble', '2024-03-01', '2024-03-02');
SELECT * FROM pg_temp.check() WHERE rollup = 'tumble';

-- Definitions outside the supported form: a clear error, nothing created.
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT k, count(*) AS n FROM ru_ev GROUP BY k')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1 HAVING count(*) > 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, string_agg(k, '','') AS ks FROM ru_ev GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev a JOIN ru_ev b USING (id) GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev WHERE ts > now() - interval ''1 day'' GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM (SELECT * FROM ru_ev) s GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1 ORDER BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts + interval ''1 hour'', ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, k, count(*) AS n FROM ru_ev GROUP BY 1, 2, v')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS pane FROM ru_ev GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1; DROP TABLE ru_ev')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'DELETE FROM ru_ev')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT pulse.hop(ts, ''0 minutes'', ''1 minute'') AS w, count(*) AS n FROM ru_ev GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, max(v) AS m FROM ru_ev GROUP BY 1', mode => 'discarding')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1', emit => 'sometimes')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1', lateness => '-1 hour')$$);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_tumble', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_ev GROUP BY 1')$$);
CREATE TABLE ru_plain (ts timestamptz, v int);
SELECT pg_temp.err($$SELECT pulse.create_rollup('ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM ru_plain GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.session(now(), '1 minute')$$);
SELECT to_regclass('ru_bad') AS nothing_created, count(*) AS rollups FROM pulse.rollups WHERE name::text LIKE 'ru\_%';
-- Only the base table's owner makes rollups over it.
CREATE ROLE ru_other IN ROLE pulse_reader;
SET ROLE ru_other;
SELECT pg_temp.err($$SELECT pulse.create_rollup('public.ru_bad', 'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS w, count(*) AS n FROM public.ru_ev GROUP BY 1')$$);
SELECT pg_temp.err($$SELECT pulse.drop_rollup('public.ru_tumble')$$);
RESET ROLE;
-- A hostile user forges a registry row whose "tick function" would make
-- them superuser when run by a superuser (emit_panes from a scheduler,
-- declare_coverage): it is skipped, and its SQL never runs as anyone else.
CREATE ROLE ru_evil;
GRANT CREATE ON SCHEMA public TO ru_evil;
SET ROLE ru_evil;
CREATE TABLE public.ru_evil_t (w timestamptz);
CREATE FUNCTION public.ru_evil_fn(text, timestamptz, timestamptz) RETURNS bigint LANGUAGE sql
  AS $$ ALTER ROLE ru_evil SUPERUSER; SELECT 1::bigint $$;
CREATE FUNCTION public.ru_evil_trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
INSERT INTO pulse_internal.rollups (name, owner, base, query, shape, lateness, emit, on_watermark, mode, subjects,
                                    emit_sql, advance_sql, trigger_fn, tick_fn)
VALUES ('public.ru_evil_t', 'ru_evil', 'public.ru_evil_t', '', '{}', '1 hour', 'watermark', true, 'accumulating', '%',
        'ALTER ROLE ru_evil SUPERUSER', 'ALTER ROLE ru_evil SUPERUSER',
        'public.ru_evil_trg()', 'public.ru_evil_fn(text, timestamptz, timestamptz)');
SELECT pg_temp.err($$INSERT INTO pulse_internal.rollups (name, owner, base, query, shape, lateness, emit, on_watermark, mode, subjects,
                                    emit_sql, advance_sql, trigger_fn, tick_fn)
VALUES ('public.ru_evil_t', 'postgres', 'public.ru_evil_t', '', '{}', '1 hour', 'watermark', true, 'accumulating', '%',
        '', '', 'public.ru_evil_trg()', 'public.ru_evil_fn(text, timestamptz, timestamptz)')$$) AS as_someone_else;
RESET ROLE;
SELECT pulse.emit_panes() >= 0 AS ticked;
SELECT pulse.declare_coverage('ru-test', 'tweets', '[2024-03-01 12:00+00, 2024-03-01 12:01+00)');
SELECT pg_temp.err($$SELECT pulse.refresh_rollup('public.ru_evil_t')$$) AS refresh;
SELECT pg_temp.err($$SELECT pulse_internal.rollup_apply('public.ru_evil_t', '["2024-03-01"]', NULL)$$) AS apply;
SELECT pg_temp.err($$SELECT pulse.drop_rollup('public.ru_evil_t')$$) AS drop_it;
-- the same function made SECURITY DEFINER (runs as ru_evil, and fails):
-- a warning, and the caller's work goes on
ALTER FUNCTION public.ru_evil_fn(text, timestamptz, timestamptz) SECURITY DEFINER;
ALTER FUNCTION public.ru_evil_trg() SECURITY DEFINER;
ALTER FUNCTION public.ru_evil_fn(text, timestamptz, timestamptz) OWNER TO ru_evil;
SELECT pulse.declare_coverage('ru-test', 'tweets', '[2024-03-01 12:01+00, 2024-03-01 12:02+00)');
SELECT subject, covered FROM pulse.coverage WHERE source = 'ru-test' ORDER BY subject;
SELECT rolsuper AS evil_is_superuser FROM pg_roles WHERE rolname = 'ru_evil';
DELETE FROM pulse_internal.rollups WHERE owner = 'ru_evil'::regrole;
DROP TABLE public.ru_evil_t;
DROP FUNCTION public.ru_evil_fn(text, timestamptz, timestamptz), public.ru_evil_trg();
REVOKE CREATE ON SCHEMA public FROM ru_evil;
DROP ROLE ru_evil;
DELETE FROM pulse_internal.coverage WHERE source = 'ru-test';

-- Two rollups whose names share their first 45 characters each get their
-- own functions and triggers, and both are maintained.
SELECT pulse.create_rollup('ru_a_rollup_name_long_enough_to_be_cut_by_the_limits_1',
                           $$SELECT date_bin('1 hour', ts, '1970-01-01') AS h, count(*) AS n FROM ru_ev GROUP BY 1$$, emit => 'none');
SELECT pulse.create_rollup('ru_a_rollup_name_long_enough_to_be_cut_by_the_limits_2',
                           $$SELECT date_bin('1 hour', ts, '1970-01-01') AS h, count(*) AS n FROM ru_ev GROUP BY 1$$, emit => 'none');
INSERT INTO ru_ev VALUES (7777, '2024-03-01 10:30+00', 'k1', 1, 1);
SELECT (SELECT n FROM ru_a_rollup_name_long_enough_to_be_cut_by_the_limits_1 WHERE h = '2024-03-01 10:00+00') AS first,
       (SELECT n FROM ru_a_rollup_name_long_enough_to_be_cut_by_the_limits_2 WHERE h = '2024-03-01 10:00+00') AS second,
       (SELECT count(*) FROM ru_ev WHERE ts >= '2024-03-01 10:00+00' AND ts < '2024-03-01 11:00+00') AS rows;
SELECT count(*) AS triggers_on_base FROM pg_trigger WHERE tgrelid = 'ru_ev'::regclass AND tgname LIKE 'ru\_a\_rollup%';
SELECT pulse.drop_rollup('ru_a_rollup_name_long_enough_to_be_cut_by_the_limits_1');
SELECT pulse.drop_rollup('ru_a_rollup_name_long_enough_to_be_cut_by_the_limits_2');
DELETE FROM ru_ev WHERE id = 7777;

-- Dropping a rollup removes its table, triggers, functions and panes, and nothing else.
SELECT pulse.drop_rollup('ru_hop');
SELECT to_regclass('ru_hop') AS table_gone, (SELECT count(*) FROM pulse.panes WHERE rollup::text = 'ru_hop') AS panes,
       (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ru_ev'::regclass) AS triggers_left,
       (SELECT count(*) FROM ru_tumble) > 0 AS others_kept;
SELECT pulse.drop_rollup('ru_tumble');
SELECT pulse.drop_rollup('ru_sess');
SELECT pulse.drop_rollup('ru_disc');
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'ru_ev'::regclass;
SELECT count(*) AS ru_functions_left FROM pg_proc WHERE proname LIKE 'ru\_%';
DROP TABLE ru_ev, ru_plain;
DROP ROLE ru_other;
DELETE FROM pulse_internal.coverage WHERE source = 'ru-test';

-- A definition resolves names in the caller's search_path, and is kept in a
-- form that needs none (functions qualified, constants in ISO styles).
CREATE SCHEMA ru_s;
CREATE FUNCTION ru_s.bucket_of(v numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN v > 10 THEN 'big' ELSE 'small' END $$;
CREATE TABLE ru_s.ev (ts timestamptz NOT NULL, v numeric) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('ru_s.ev', 'ts', '1 day');
SELECT pulse.ensure_partitions('ru_s.ev', '2024-03-01', '2024-03-02') > 0 AS made;
SET search_path = ru_s, public;
SET datestyle = 'SQL, DMY';
SET intervalstyle = 'sql_standard';
SELECT pulse.create_rollup('ev_sizes', $$SELECT date_bin('7 minutes', ts, '2024-03-01 00:03:00+00') AS w, bucket_of(v) AS size, count(*) AS n FROM ev GROUP BY 1, 2$$);
RESET search_path;
SET datestyle = 'SQL, MDY';
INSERT INTO ru_s.ev VALUES ('2024-03-01 00:04:00+00', 3), ('2024-03-01 00:09:59+00', 30), ('2024-03-01 00:10:00+00', 4);
SET datestyle = 'ISO, YMD';
RESET intervalstyle;
SELECT w, window_end, size, n FROM ru_s.ev_sizes ORDER BY 1, 3;
SELECT shape->>'origin' AS origin, shape->'groups'->0->>'expr' AS size_expr FROM pulse_internal.rollups WHERE name = 'ru_s.ev_sizes'::regclass;
SELECT pulse.drop_rollup('ru_s.ev_sizes');
DROP SCHEMA ru_s CASCADE;

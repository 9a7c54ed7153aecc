-- pulse.merge: semantics (dedupe, versions, no-op re-runs, order independence,
-- subsets of columns, partitioned targets, hostile identifiers, caller's rights).
CREATE SCHEMA merge_t;
SET search_path = merge_t, public;

-- Versioned merge into a plain table.
CREATE TABLE target (id int PRIMARY KEY, v int, x text, note text DEFAULT 'from default');
CREATE TABLE batch1 (id int, v int, x text);
INSERT INTO batch1 VALUES (1, 1, 'a'), (2, 1, 'b'), (2, 3, 'b3'), (2, 2, 'b2'), (3, NULL, 'c'), (3, 1, 'c1');
-- 6 rows, 3 keys: the greatest version wins, a NULL version is the oldest
SELECT * FROM pulse.merge('target', 'batch1', '{id}', 'v');
SELECT * FROM target ORDER BY id;

-- The same merge again writes nothing: same tuples (ctid, xmin), no
-- transaction id taken (nothing written or even locked), no update counted.
-- (The xact counters below are read as deltas inside one transaction block:
-- PostgreSQL 15 flushes them only between transactions.)
CREATE TABLE before AS SELECT id, ctid::text AS old_ctid, xmin::text AS old_xmin FROM target;
BEGIN;
SELECT pg_stat_get_xact_tuples_updated('target'::regclass) AS upd0,
       pg_stat_get_xact_tuples_inserted('target'::regclass) AS ins0 \gset
SELECT * FROM pulse.merge('target', 'batch1', '{id}', 'v');
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid_assigned,
       pg_stat_get_xact_tuples_updated('target'::regclass) - :upd0 AS tuples_updated,
       pg_stat_get_xact_tuples_inserted('target'::regclass) - :ins0 AS tuples_inserted;
COMMIT;
SELECT count(*) AS moved_or_rewritten
  FROM target t JOIN before b USING (id)
 WHERE t.ctid::text <> b.old_ctid OR t.xmin::text <> b.old_xmin;

-- Older rows are ignored, a newer version with the same content is
-- unchanged, a newer version that differs updates, an equal version that
-- differs updates (not older), a new key inserts.
CREATE TABLE batch2 (id int, v int, x text);
INSERT INTO batch2 VALUES (1, 0, 'older'), (2, 4, 'b3'), (3, 2, 'c2'), (4, 1, 'd');
INSERT INTO batch2 VALUES (5, 1, 'e');
SELECT * FROM pulse.merge('target', 'batch2', '{id}', 'v');
SELECT * FROM target ORDER BY id;
TRUNCATE batch2;
INSERT INTO batch2 VALUES (5, 1, 'e, again at version 1');
SELECT * FROM pulse.merge('target', 'batch2', '{id}', 'v');
SELECT * FROM target WHERE id = 5;

-- Without a version: identical duplicates are one row; every differing row
-- updates (last writer wins), identical rows are unchanged.
CREATE TABLE plain (id int PRIMARY KEY, x text);
CREATE TABLE plain_src (id int, x text);
INSERT INTO plain_src VALUES (1, 'a'), (1, 'a'), (2, 'b');
SELECT * FROM pulse.merge('plain', 'plain_src', '{id}');
UPDATE plain_src SET x = 'b2' WHERE id = 2;
SELECT * FROM pulse.merge('plain', 'plain_src', '{id}');
SELECT * FROM plain ORDER BY id;

-- Two batches give the same table in either order (and applied twice).
CREATE TABLE ev (k text, day date, v bigint, amount numeric, tags text[], doc jsonb, PRIMARY KEY (k, day));
CREATE TABLE ev_ab (LIKE ev);
CREATE TABLE ev_ba (LIKE ev);
ALTER TABLE ev_ab ADD PRIMARY KEY (k, day);
ALTER TABLE ev_ba ADD PRIMARY KEY (k, day);
CREATE TABLE batch_a AS
  SELECT 'k' || (g % 50) AS k, date '2024-01-01' + (g % 7) AS day, g::bigint AS v,
         (g * 1.5)::numeric AS amount, ARRAY['a' || g] AS tags, jsonb_build_object('g', g) AS doc
    FROM generate_series(1, 400) g;
CREATE TABLE batch_b AS
  SELECT 'k' || (g % 60) AS k, date '2024-01-01' + (g % 5) AS day, (g * 7 % 601)::bigint AS v,
         (g * 2.25)::numeric AS amount, ARRAY['b' || g] AS tags, jsonb_build_object('h', g) AS doc
    FROM generate_series(1, 400) g;
SELECT (SELECT count(*) FROM pulse.merge('ev_ab', 'batch_a', '{k,day}', 'v')) +
       (SELECT count(*) FROM pulse.merge('ev_ab', 'batch_b', '{k,day}', 'v')) +
       (SELECT count(*) FROM pulse.merge('ev_ba', 'batch_b', '{k,day}', 'v')) +
       (SELECT count(*) FROM pulse.merge('ev_ba', 'batch_a', '{k,day}', 'v')) AS merges_run;
SELECT * FROM pulse.merge('ev_ab', 'batch_b', '{day,k}', 'v');  -- again, key in another order
SELECT * FROM pulse.merge('ev_ba', 'batch_a', '{k,day}', 'v');
SELECT (SELECT count(*) FROM ev_ab) AS rows_ab, (SELECT count(*) FROM ev_ba) AS rows_ba,
       (SELECT count(*) FROM (SELECT * FROM ev_ab EXCEPT SELECT * FROM ev_ba) d) AS only_ab,
       (SELECT count(*) FROM (SELECT * FROM ev_ba EXCEPT SELECT * FROM ev_ab) d) AS only_ba;
-- the winner per key is the greatest version of both batches
SELECT count(*) AS wrong_winner
  FROM ev_ab e
  JOIN (SELECT DISTINCT ON (k, day) k, day, v FROM (SELECT k, day, v FROM batch_a UNION ALL SELECT k, day, v FROM batch_b) u
        ORDER BY k, day, v DESC) w USING (k, day)
 WHERE e.v <> w.v;

-- Exact decimals: 1.0 -> 1.00 is a change (binary image comparison), and
-- types without an equality operator (json) work.
CREATE TABLE prices (id int PRIMARY KEY, p numeric, raw json);
CREATE TABLE prices_src (id int, p numeric, raw json);
INSERT INTO prices_src VALUES (1, 1.0, '{"a": 1}'), (2, 2.5, '[1, 2]');
SELECT * FROM pulse.merge('prices', 'prices_src', '{id}');
SELECT * FROM pulse.merge('prices', 'prices_src', '{id}');
UPDATE prices_src SET p = 1.00 WHERE id = 1;
UPDATE prices_src SET raw = '[1,2]' WHERE id = 2;
SELECT * FROM pulse.merge('prices', 'prices_src', '{id}');
SELECT id, p::text, raw::text FROM prices ORDER BY id;

-- A source with a subset of the target's columns: defaults on insert, the
-- other columns left alone on update. Source types are assigned (int -> bigint).
CREATE TABLE wide (id bigint PRIMARY KEY, a text, b text DEFAULT 'b default', c int DEFAULT 7);
INSERT INTO wide VALUES (1, 'a1', 'b kept', 70);
CREATE TABLE narrow (a text, id int);
INSERT INTO narrow VALUES ('a1 new', 1), ('a2', 2);
SELECT * FROM pulse.merge('wide', 'narrow', '{id}');
SELECT * FROM wide ORDER BY id;
-- only key columns: new keys inserted, existing ones unchanged
CREATE TABLE only_keys (id int);
INSERT INTO only_keys VALUES (2), (3);
SELECT * FROM pulse.merge('wide', 'only_keys', '{id}');
SELECT * FROM wide ORDER BY id;

-- Sources: a view and a temporary table; an empty source.
CREATE VIEW narrow_v AS SELECT id + 10 AS id, a FROM narrow;
SELECT * FROM pulse.merge('wide', 'narrow_v', '{id}');
CREATE TEMP TABLE tmp_src (id int, c int);
INSERT INTO tmp_src VALUES (11, 1);
SELECT * FROM pulse.merge('wide', 'tmp_src', '{id}');
SELECT * FROM pulse.merge('wide', 'tmp_src', '{id}');
TRUNCATE tmp_src;
SELECT * FROM pulse.merge('wide', 'tmp_src', '{id}');
SELECT * FROM wide WHERE id > 10 ORDER BY id;

-- Partitioned target (by hand): rows are routed, counts are right, and only
-- the partitions the batch needs are touched (no scan of the others: the
-- per-transaction counters of this backend are exact).
CREATE TABLE parted (id bigint, ts timestamptz, v timestamptz, val numeric, PRIMARY KEY (id, ts))
  PARTITION BY RANGE (ts);
CREATE TABLE parted_d1 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2024-01-02');
CREATE TABLE parted_d2 PARTITION OF parted FOR VALUES FROM ('2024-01-02') TO ('2024-01-03');
CREATE TABLE parted_d3 PARTITION OF parted FOR VALUES FROM ('2024-01-03') TO ('2024-01-04');
INSERT INTO parted SELECT g, timestamptz '2024-01-01' + (g % 3) * interval '1 day', '2024-01-01', g FROM generate_series(1, 300) g;
CREATE TABLE parted_src (id int, ts timestamptz, v timestamptz, val numeric);
INSERT INTO parted_src
  SELECT g, timestamptz '2024-01-02' + interval '1 hour', '2024-02-01', g * 10 FROM generate_series(1, 20) g;
BEGIN;
CREATE TEMP TABLE counters AS
  SELECT c.relname, pg_stat_get_xact_numscans(c.oid) AS seq_scans,
         pg_stat_get_xact_numscans(i.indexrelid) AS index_scans,
         pg_stat_get_xact_tuples_inserted(c.oid) AS ins, pg_stat_get_xact_tuples_updated(c.oid) AS upd
    FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_index i ON i.indrelid = c.oid
   WHERE h.inhparent = 'parted'::regclass;
SELECT * FROM pulse.merge('parted', 'parted_src', '{id,ts}', 'v');
SELECT c.relname,
       pg_stat_get_xact_numscans(c.oid) - k.seq_scans AS seq_scans,
       pg_stat_get_xact_numscans(i.indexrelid) - k.index_scans > 0 AS index_used,
       pg_stat_get_xact_tuples_inserted(c.oid) - k.ins AS ins,
       pg_stat_get_xact_tuples_updated(c.oid) - k.upd AS upd
  FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid JOIN pg_index i ON i.indrelid = c.oid
  JOIN counters k ON k.relname = c.relname
 WHERE h.inhparent = 'parted'::regclass ORDER BY 1;
COMMIT;
DROP TABLE counters;
-- again with two rows changed and one older: only those are written
UPDATE parted_src SET val = -1, v = '2024-03-01' WHERE id IN (1, 2);
UPDATE parted_src SET val = -2, v = '2023-12-01' WHERE id = 3;
SELECT * FROM pulse.merge('parted', 'parted_src', '{ts,id}', 'v');
SELECT tableoid::regclass AS part, count(*), sum(val) FROM parted GROUP BY 1 ORDER BY 1;
-- the target's own partitions as a source: all unchanged
SELECT * FROM pulse.merge('parted', 'parted_d1', '{id,ts}', 'v');

-- Hostile identifiers: quotes, spaces, semicolons everywhere.
CREATE SCHEMA "we""ird; schema";
CREATE TABLE "we""ird; schema"."t a""b;le" ("id; DROP TABLE x" int, "Vér sion" int, "x""y" text, " " text,
  PRIMARY KEY ("id; DROP TABLE x"));
CREATE TABLE "we""ird; schema"."src ""1""; --" ("x""y" text, "Vér sion" int, "id; DROP TABLE x" int);
INSERT INTO "we""ird; schema"."src ""1""; --" VALUES ('one', 1, 1), ('two', 1, 2), ('two v2', 2, 2);
SELECT * FROM pulse.merge('"we""ird; schema"."t a""b;le"', '"we""ird; schema"."src ""1""; --"',
                          ARRAY['id; DROP TABLE x'], 'Vér sion');
SELECT * FROM pulse.merge('"we""ird; schema"."t a""b;le"', '"we""ird; schema"."src ""1""; --"',
                          ARRAY['id; DROP TABLE x'], 'Vér sion');
SELECT * FROM "we""ird; schema"."t a""b;le" ORDER BY 1;

-- Names that collide with the SQL merge writes (excluded, aliases, ctid-ish)
CREATE TABLE excluded (t int, tid int, s text, excluded text, apply int, k text, PRIMARY KEY (t, tid));
CREATE TABLE "s" (k text, apply int, tid int, t int, excluded text, s text);
INSERT INTO "s" VALUES ('a', 1, 1, 1, 'e', 's'), ('b', 2, 1, 1, 'e2', 's2'), ('c', 1, 2, 1, 'x', 'y');
SELECT * FROM pulse.merge('excluded', 's', '{tid,t}', 'apply');
SELECT * FROM pulse.merge('excluded', 's', '{tid,t}', 'apply');
SELECT * FROM excluded ORDER BY 1, 2;
CREATE TABLE "o" (t int, tid int, ts timestamptz, excluded text, PRIMARY KEY (t, tid, ts)) PARTITION BY RANGE (ts);
CREATE TABLE "o 1" PARTITION OF "o" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE "w" AS SELECT 1 AS t, g AS tid, timestamptz '2024-06-01' AS ts, 'x' AS excluded FROM generate_series(1, 3) g;
SELECT * FROM pulse.merge('o', 'w', '{t,tid,ts}');
UPDATE "w" SET excluded = 'y' WHERE tid = 2;
SELECT * FROM pulse.merge('o', 'w', '{t,tid,ts}');

-- The caller's search_path cannot hijack an operator or function: a
-- schema placed before pg_catalog holding traps for int equality and count.
CREATE SCHEMA trap;
CREATE FUNCTION trap.int_eq(int, int) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN RAISE EXCEPTION 'trap operator called'; END$$;
CREATE OPERATOR trap.= (LEFTARG = int, RIGHTARG = int, FUNCTION = trap.int_eq);
CREATE OPERATOR trap.<= (LEFTARG = int, RIGHTARG = int, FUNCTION = trap.int_eq);
CREATE FUNCTION trap.count(anyelement) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN RAISE EXCEPTION 'trap count called'; END$$;
SET search_path = trap, pg_catalog, merge_t;
INSERT INTO batch2 VALUES (6, 1, 'f');
SELECT * FROM pulse.merge('target', 'batch2', '{id}', 'v');
SET search_path = merge_t, public;

-- Runs with the caller's rights: a role that may read the source but not
-- write the target is refused by PostgreSQL itself.
SELECT p.prosecdef AS security_definer, p.proconfig FROM pg_proc p WHERE p.oid = 'pulse.merge'::regproc;
CREATE ROLE merge_reader;
GRANT USAGE ON SCHEMA merge_t, pulse TO merge_reader;
GRANT SELECT ON merge_t.batch2, merge_t.target TO merge_reader;
SET ROLE merge_reader;
SELECT regress.try($$SELECT * FROM pulse.merge('target', 'batch2', '{id}', 'v')$$, false);
RESET ROLE;
-- The first load of an empty table (a plain INSERT underneath) asks the
-- same rights as any merge: without UPDATE it is refused, and writes nothing.
CREATE TABLE merge_t.target_empty (LIKE merge_t.target INCLUDING ALL);
GRANT SELECT, INSERT ON merge_t.target_empty TO merge_reader;
SET ROLE merge_reader;
SELECT regress.try($$SELECT * FROM pulse.merge('target_empty', 'batch2', '{id}', 'v')$$, false);
RESET ROLE;
GRANT UPDATE ON merge_t.target_empty TO merge_reader;
SET ROLE merge_reader;
SELECT * FROM pulse.merge('target_empty', 'batch2', '{id}', 'v');
RESET ROLE;
SELECT (SELECT count(*) FROM merge_t.target_empty) = (SELECT count(*) FROM batch2) AS all_inserted;
REVOKE ALL ON merge_t.target_empty FROM merge_reader;
GRANT INSERT, UPDATE ON merge_t.target TO merge_reader;
UPDATE batch2 SET x = 'f2' WHERE id = 6;
SET ROLE merge_reader;
SELECT * FROM pulse.merge('target', 'batch2', '{id}', 'v');
RESET ROLE;
REVOKE ALL ON merge_t.batch2, merge_t.target FROM merge_reader;
REVOKE ALL ON SCHEMA merge_t, pulse FROM merge_reader;
DROP ROLE merge_reader;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA merge_t, "we""ird; schema", trap CASCADE;
RESET client_min_messages;

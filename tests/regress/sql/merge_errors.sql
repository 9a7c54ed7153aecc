-- pulse.merge: bad input gets a clear error with its SQLSTATE, before any
-- row is written.
CREATE SCHEMA merge_e;
SET search_path = merge_e, public;
CREATE TABLE target (id int PRIMARY KEY, v int, x text, g int GENERATED ALWAYS AS (id * 2) STORED);
CREATE TABLE src (id int, v int, x text);
INSERT INTO src VALUES (1, 1, 'a');

-- NULL arguments and an empty or malformed key
SELECT regress.try($$SELECT pulse.merge(NULL, 'src', '{id}')$$);
SELECT regress.try($$SELECT pulse.merge('target', NULL, '{id}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', NULL)$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id,NULL}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id,id}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id}', 'id')$$);

-- Unknown tables: by name (the regclass cast), by a dropped table's OID, and
-- relations that are not tables
SELECT regress.try($$SELECT pulse.merge('no_such_table', 'src', '{id}')$$);
CREATE TABLE gone (id int PRIMARY KEY);
SELECT 'gone'::regclass::oid AS gone_oid \gset
DROP TABLE gone;
SELECT regress.try(format('SELECT pulse.merge(%s::oid::regclass, %L, %L)', :gone_oid, 'src', '{id}'));
SELECT regress.try(format('SELECT pulse.merge(%L, %s::oid::regclass, %L)', 'target', :gone_oid, '{id}'));
CREATE VIEW target_v AS SELECT * FROM target;
SELECT regress.try($$SELECT pulse.merge('target_v', 'src', '{id}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'target_pkey', '{id}')$$);

-- Unknown columns: a source column the target lacks, a key or version
-- column the source (or both) lacks
CREATE TABLE src_extra (id int, v int, "Extra col" text);
SELECT regress.try($$SELECT pulse.merge('target', 'src_extra', '{id}')$$);
CREATE TABLE src_nokey (v int, x text);
SELECT regress.try($$SELECT pulse.merge('target', 'src_nokey', '{id}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id}', 'observed_at')$$);
CREATE TABLE src_nov (id int, x text);
SELECT regress.try($$SELECT pulse.merge('target', 'src_nov', '{id}', 'v')$$);
CREATE TABLE src_gen (id int, g int);
SELECT regress.try($$SELECT pulse.merge('target', 'src_gen', '{id}')$$);

-- Incompatible types (no assignment cast); assignable ones pass
CREATE TABLE src_badtype (id int, v point);
SELECT regress.try($$SELECT pulse.merge('target', 'src_badtype', '{id}')$$);
CREATE TABLE src_badkey (id timestamptz, v int);
SELECT regress.try($$SELECT pulse.merge('target', 'src_badkey', '{id}')$$);
CREATE TABLE src_okcast (id bigint, v numeric, x varchar(3));
SELECT regress.try($$SELECT pulse.merge('target', 'src_okcast', '{id}')$$);

-- The key must be exactly the columns of a usable unique index
CREATE TABLE t2 (a int, b int, c int, UNIQUE (a, b));
CREATE UNIQUE INDEX t2_c_partial ON t2 (c) WHERE c > 0;
CREATE TABLE s2 (a int, b int, c int);
SELECT regress.try($$SELECT pulse.merge('t2', 's2', '{a}')$$);
SELECT regress.try($$SELECT pulse.merge('t2', 's2', '{a,b,c}')$$);
SELECT regress.try($$SELECT pulse.merge('t2', 's2', '{c}')$$);
SELECT regress.try($$SELECT pulse.merge('t2', 's2', '{b,a}')$$);
CREATE TABLE t3 (a int, CONSTRAINT t3_a UNIQUE (a) DEFERRABLE);
CREATE TABLE s3 (a int);
SELECT regress.try($$SELECT pulse.merge('t3', 's3', '{a}')$$);
-- partitioned: the partition key must be in the key
CREATE TABLE tp (id int, ts timestamptz, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE sp (id int, ts timestamptz);
SELECT regress.try($$SELECT pulse.merge('tp', 'sp', '{id}')$$);
SELECT regress.try($$SELECT pulse.merge('tp', 'sp', '{id,ts}')$$);
-- a row for which no partition exists (an unmanaged target gets none created)
INSERT INTO sp VALUES (1, '2024-01-01');
SELECT regress.try($$SELECT pulse.merge('tp', 'sp', '{id,ts}')$$);

-- NULL key values in the source
INSERT INTO src VALUES (NULL, 1, 'null key');
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id}', 'v')$$);
DELETE FROM src WHERE id IS NULL;

-- Duplicate keys in the source that disagree: without a version, and tied
-- at the greatest version
INSERT INTO src VALUES (1, 1, 'a, but different');
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id}')$$);
SELECT regress.try($$SELECT pulse.merge('target', 'src', '{id}', 'v')$$);
-- a greater version settles it
INSERT INTO src VALUES (1, 2, 'latest');
SELECT * FROM pulse.merge('target', 'src', '{id}', 'v');
-- nothing was written by any failed call
SELECT id, v, x, g FROM target ORDER BY id;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA merge_e CASCADE;
RESET client_min_messages;

-- pulse_writer, pulse_reader and pulse_consumer: least privilege.
SET client_min_messages = warning;
SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole
  FROM pg_roles WHERE rolname IN ('pulse_writer', 'pulse_reader', 'pulse_consumer') ORDER BY 1;
-- table privileges, per role (ins: on the table or some of its columns)
SELECT r.role, t.tbl,
       has_table_privilege(r.role, t.tbl, 'SELECT') AS sel,
       has_any_column_privilege(r.role, t.tbl, 'INSERT') AS ins,
       has_table_privilege(r.role, t.tbl, 'UPDATE') AS upd,
       has_table_privilege(r.role, t.tbl, 'DELETE') AS del,
       has_table_privilege(r.role, t.tbl, 'TRUNCATE') AS trunc
  FROM (VALUES ('pulse_writer'), ('pulse_reader'), ('pulse_consumer')) r(role)
 CROSS JOIN (VALUES ('pulse.landing'), ('pulse.rejects'), ('pulse.checkpoints'), ('pulse.tweets'),
                    ('pulse.candles'), ('pulse_internal.managed_tables'), ('pulse.partitions'),
                    ('pulse.consumers')) t(tbl)
 ORDER BY 1, 2;
-- a landing record's position and writing transaction come from the column
-- defaults: stream consumers rely on them, so no writer sets them
SELECT a.attname, has_column_privilege('pulse_writer', 'pulse.landing', a.attname, 'INSERT') AS writer_inserts
  FROM pg_attribute a WHERE a.attrelid = 'pulse.landing'::regclass AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum;
-- admin functions are not for PUBLIC
SELECT p.oid::regprocedure AS function,
       has_function_privilege('pulse_writer', p.oid, 'EXECUTE') AS writer,
       has_function_privilege('pulse_reader', p.oid, 'EXECUTE') AS reader
  FROM pg_proc p
 WHERE p.pronamespace = 'pulse'::regnamespace
   AND p.proname IN ('partition_by_time', 'run_maintenance', 'ensure_partitions')
 ORDER BY 1;
SELECT has_schema_privilege('pulse_writer', 'pulse', 'CREATE') AS writer_create,
       has_schema_privilege('pulse_reader', 'pulse', 'CREATE') AS reader_create;

CREATE TABLE roles_probe (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SET ROLE pulse_writer;
-- a loader may create the partitions of the tables it writes: two days a
-- month ahead, where none exists yet whatever the time of day, and today's
SELECT pulse.ensure_partitions('pulse.landing', now() + interval '30 days', now() + interval '31 days') AS made;
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '2 days', now()) >= 0 AS current_ok;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('roles-test', 'upbit', 1, 1, '{}');
SELECT count(*) FROM pulse.landing WHERE stream = 'roles-test';
INSERT INTO pulse.rejects (stream, raw, reason) VALUES ('roles-test', '\x00ff', 'probe');
RESET ROLE;
SELECT count(*) AS days_covered FROM pulse.partitions
 WHERE parent = 'pulse.landing'::regclass AND range && tstzrange(now() - interval '2 days', now());
-- owned by the table's owner, not by whoever asked
SELECT count(*) AS landing_partitions, bool_and(c.relowner = (SELECT relowner FROM pg_class WHERE oid = 'pulse.landing'::regclass)) AS same_owner
  FROM pulse.partitions p JOIN pg_class c ON c.oid = p.partition
 WHERE p.parent = 'pulse.landing'::regclass AND p.range && tstzrange(now() + interval '30 days', now() + interval '31 days');
-- partitions made later carry their table's grants: a reader reads those of
-- pulse.tweets, not those of pulse.landing (raw payloads), old or new
SELECT pulse.ensure_partitions('pulse.tweets', now() + interval '30 days', now() + interval '31 days') AS made_tweets;
SELECT bool_and(has_table_privilege('pulse_reader', p.partition, 'SELECT')) AS reader_reads_new_tweets,
       bool_or(has_table_privilege('pulse_reader', p.partition, 'INSERT')) AS reader_inserts
  FROM pulse.partitions p
 WHERE p.parent = 'pulse.tweets'::regclass AND p.range && tstzrange(now() + interval '30 days', now() + interval '31 days');
SELECT count(*) > 0 AS landing_partitions, bool_or(has_table_privilege('pulse_reader', p.partition, 'SELECT')) AS reader_reads_landing
  FROM pulse.partitions p WHERE p.parent = 'pulse.landing'::regclass;
DO $$
DECLARE
  p regclass;
BEGIN
  FOR p IN SELECT x.partition FROM pulse.partitions x
            WHERE x.parent IN ('pulse.landing'::regclass, 'pulse.tweets'::regclass)
              AND x.range && tstzrange(now() + interval '30 days', now() + interval '31 days') LOOP
    EXECUTE format('DROP TABLE %s', p);
  END LOOP;
END $$;
SET ROLE pulse_writer;
\set VERBOSITY sqlstate
SELECT * FROM pulse.tweets LIMIT 1;
SELECT * FROM pulse.rejects LIMIT 1;
DELETE FROM pulse.landing;
SELECT pulse.run_maintenance();
SELECT pulse.partition_by_time('roles_probe', 'ts');
CREATE TABLE pulse.evil (x int);
RESET ROLE;
SET ROLE pulse_reader;
SELECT count(*) >= 0 AS can_read FROM pulse.tweets;
SELECT count(*) >= 0 AS can_read FROM pulse.partitions;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('roles-test', 'upbit', 1, 2, '{}');
SELECT pulse.ensure_partitions('pulse.landing', now(), now() + interval '1 hour');
\set VERBOSITY default
RESET ROLE;
-- with the message: the reader may not call it at all
SET ROLE pulse_reader;
SELECT pulse.ensure_partitions('pulse.tweets', now(), now());
RESET ROLE;
DELETE FROM pulse.landing WHERE stream = 'roles-test';
DELETE FROM pulse.rejects WHERE stream = 'roles-test';

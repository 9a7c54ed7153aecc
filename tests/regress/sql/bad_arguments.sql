-- Bad arguments for every public SQL function: NULLs, wrong types, huge
-- values, hostile identifiers (quotes, spaces, semicolons, dots). Each call
-- either works on exactly what it names or fails with a clear error; no
-- backend crashes (the cluster stop test scans the server log).
-- To cover a new function, add a block with the same shape at the end.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
-- terse: the messages without CONTEXT lines (their line numbers move)
\set VERBOSITY terse

-- A table whose name and columns are hostile identifiers.
CREATE TABLE "bad ""args""; DROP TABLE x; --" ("t; s" timestamptz NOT NULL, "k""" text) PARTITION BY RANGE ("t; s");
CREATE TABLE x (i int);  -- the table an injection would drop

-- pulse.partition_by_time
SELECT pulse.partition_by_time(NULL, 'ts');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', NULL);
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 'no such column');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', every => NULL);
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', every => '0');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', every => '-1 day');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', every => '1 day 1 second');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', premake => -1);
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', premake => 2147483647);
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', retain => '-7 days');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', cluster_by => '{"no such"}');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', cluster_by => NULL);
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', lateness => '-1 hour');
SELECT pulse.partition_by_time('no_such_table', 'ts');
SELECT pulse.partition_by_time('x', 'i');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', 'abc');
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', premake => 'abc');
-- ... and the hostile names work when the arguments are right
SELECT pulse.partition_by_time('"bad ""args""; DROP TABLE x; --"', 't; s', '1 day', premake => 1, cluster_by => '{"k\""}') IS NOT NULL AS registered;
SELECT count(*) > 0 AS has_partitions FROM pulse.partitions WHERE parent = '"bad ""args""; DROP TABLE x; --"'::regclass;
SELECT to_regclass('x') IS NOT NULL AS x_survived;

-- pulse.ensure_partitions
SELECT pulse.ensure_partitions(NULL, now(), now());
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', NULL, now());
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', now(), NULL);
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', '2026-01-02', '2026-01-01');
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', '-infinity', now());
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', now(), 'infinity');
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', '4713-01-01 BC', '2026-01-01');
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', '2026-01-01', '294000-01-01');
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', '1900-01-01', '2200-01-01');
SELECT pulse.ensure_partitions('x', now(), now());
SELECT pulse.ensure_partitions('"bad ""args""; DROP TABLE x; --"', 'yesterday', 'not a time');

-- pulse.run_maintenance
SELECT count(*) >= 0 AS ok FROM pulse.run_maintenance(NULL);
SELECT * FROM pulse.run_maintenance('x');
SELECT * FROM pulse.run_maintenance('no_such_table');
SELECT * FROM pulse.run_maintenance(0::oid::regclass);
SELECT count(*) >= 0 AS ok FROM pulse.run_maintenance('"bad ""args""; DROP TABLE x; --"');
SELECT to_regclass('x') IS NOT NULL AS x_survived;

-- pulse.apply_batch
SELECT * FROM pulse.apply_batch(NULL, 1, '{}');
SELECT * FROM pulse.apply_batch('bad-args', NULL, '{}');
SELECT * FROM pulse.apply_batch('bad-args', 1, NULL);
SELECT * FROM pulse.apply_batch('bad-args', -1, '{}');
SELECT * FROM pulse.apply_batch('bad-args-max', 9223372036854775807, '{}');
SELECT * FROM pulse.apply_batch('bad-args-max', 9223372036854775807, '{}');  -- already applied: nothing
SELECT * FROM pulse.apply_batch('bad-args', 9223372036854775808, '{}');
SELECT * FROM pulse.apply_batch('bad-args', 1, 'not json');
SELECT * FROM pulse.apply_batch('bad-args', 1, '[1, 2]');
SELECT * FROM pulse.apply_batch(repeat('x', 100000), 1, '{}');
SELECT * FROM pulse.apply_batch(E'bad\u0001''; DROP TABLE x; --', 2, '{}');
-- a checkpoint that is not a JSON object
SELECT * FROM pulse.apply_batch('bad-args', 3, '"position"');
-- a landing row in an unknown format or with a hostile format name
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
  ('bad-args', 'no_such_format', 10, 1, '{"x": 1}'),
  ('bad-args', E'upbit''; DROP TABLE x; --', 10, 2, '{"x": 1}'),
  ('bad-args', 'upbit', 10, 3, 'null'),
  ('bad-args', 'upbit', 10, 4, '[]'),
  ('bad-args', 'upbit', 10, 5, '{"market": null, "period": "1m", "record": {}}'),
  ('bad-args', 'upbit', 10, 6, '{"market": "M", "period": "99 years", "record": {}}'),
  ('bad-args', 'binance', 10, 7, '{"market": "M", "period": "1m", "record": [1e400, "1", "1", "1", "1", "1"]}'),
  ('bad-args', 'coinone', 10, 8, '{"market": "M", "period": "1m", "record": {"timestamp": 99999999999999999999999}}');
SELECT * FROM pulse.apply_batch('bad-args', 10, '{}');
SELECT format, reason FROM pulse.rejects WHERE stream = 'bad-args' ORDER BY format, reason;
SELECT to_regclass('x') IS NOT NULL AS x_survived;

-- pulse.reapply
SELECT * FROM pulse.reapply(NULL, now(), now());
SELECT * FROM pulse.reapply('bad-args', NULL, now());
SELECT * FROM pulse.reapply('bad-args', now(), NULL);
SELECT * FROM pulse.reapply('bad-args', now(), now() - interval '1 day');
SELECT * FROM pulse.reapply('bad-args', '-infinity', 'infinity');
SELECT * FROM pulse.reapply(E'x''; DROP TABLE x; --', '-infinity', 'infinity');
SELECT to_regclass('x') IS NOT NULL AS x_survived;

-- pulse.merge (issue 4) and the analytics (issue 5): append blocks here.

-- clean up
DELETE FROM pulse.landing WHERE stream = 'bad-args';
DELETE FROM pulse.rejects WHERE stream = 'bad-args';
DELETE FROM pulse.checkpoints WHERE stream LIKE 'bad%';
DELETE FROM pulse_internal.managed_tables WHERE parent = '"bad ""args""; DROP TABLE x; --"'::regclass;
DROP TABLE "bad ""args""; DROP TABLE x; --";
DROP TABLE x;

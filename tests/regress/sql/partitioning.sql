-- pulse.partition_by_time, ensure_partitions, run_maintenance, pulse.partitions.
-- Ranges that depend on the clock are checked against values computed in the
-- same query; fixed 2024 ranges are printed.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- Bad input: clear errors with their SQLSTATE.
\set VERBOSITY sqlstate
CREATE TABLE plain_t (ts timestamptz);
CREATE TABLE list_t (ts timestamptz, k int) PARTITION BY LIST (k);
CREATE TABLE int_t (n int, ts timestamptz) PARTITION BY RANGE (n);
CREATE TABLE two_t (a timestamptz, b timestamptz) PARTITION BY RANGE (a, b);
CREATE TABLE dflt_t (ts timestamptz) PARTITION BY RANGE (ts);
CREATE TABLE dflt_t_default PARTITION OF dflt_t DEFAULT;
CREATE TABLE ok_t (ts timestamptz NOT NULL, k text) PARTITION BY RANGE (ts);
CREATE TABLE d_t (day date NOT NULL) PARTITION BY RANGE (day);
SELECT pulse.partition_by_time('no_such_table', 'ts');
SELECT pulse.partition_by_time('plain_t', 'ts');
SELECT pulse.partition_by_time('list_t', 'ts');
SELECT pulse.partition_by_time('int_t', 'n');
SELECT pulse.partition_by_time('int_t', 'ts');
SELECT pulse.partition_by_time('two_t', 'a');
SELECT pulse.partition_by_time('ok_t', 'nope');
SELECT pulse.partition_by_time('dflt_t', 'ts');
SELECT pulse.partition_by_time('ok_t', 'ts', '0 days');
SELECT pulse.partition_by_time('ok_t', 'ts', '-1 day');
SELECT pulse.partition_by_time('ok_t', 'ts', '15 minutes');
SELECT pulse.partition_by_time('ok_t', 'ts', '1 month 1 day');
SELECT pulse.partition_by_time('d_t', 'day', '6 hours');
SELECT pulse.partition_by_time('ok_t', 'ts', NULL);
SELECT pulse.partition_by_time(NULL, 'ts');
SELECT pulse.partition_by_time('ok_t', 'ts', premake => -1);
SELECT pulse.partition_by_time('ok_t', 'ts', retain => '0 days');
SELECT pulse.partition_by_time('ok_t', 'ts', cluster_by => '{nope}');
SELECT pulse.ensure_partitions('ok_t', now(), now() + interval '1 day');
\set VERBOSITY default
-- the messages themselves
SELECT pulse.partition_by_time('list_t', 'ts');
SELECT pulse.partition_by_time('int_t', 'n');
SELECT pulse.partition_by_time('ok_t', 'ts', '15 minutes');
SELECT pulse.ensure_partitions('ok_t', now(), now() + interval '1 day');
-- nothing was registered by the failures
SELECT count(*) FROM pulse_internal.managed_tables WHERE NOT builtin;

-- Premake: the current UTC day and 3 more, from the clock.
SELECT pulse.partition_by_time('ok_t', 'ts', cluster_by => '{k}');
SELECT count(*) AS partitions,
       min(lower(range)) = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS starts_today,
       max(upper(range)) = (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '4 days') AT TIME ZONE 'UTC' AS ends_in_4_days,
       bool_and(upper(range) = lower(range) + interval '1 day') AS one_day_each,
       bool_and(NOT sealed AND NOT clustered) AS fresh
  FROM pulse.partitions WHERE parent = 'ok_t'::regclass;
-- the (cluster_by, time) index exists on the parent and so on every partition
SELECT indexrelid::regclass AS index, pg_get_indexdef(indexrelid) LIKE '%(k, ts)' AS k_then_ts
  FROM pg_index WHERE indrelid = 'ok_t'::regclass;
SELECT count(*) AS partitions_with_index FROM pg_inherits i
 WHERE i.inhparent = 'ok_t'::regclass
   AND EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = i.inhrelid AND pg_get_indexdef(x.indexrelid) LIKE '%(k, ts)');
-- registering again is idempotent and updates the settings
SELECT pulse.partition_by_time('ok_t', 'ts', premake => 5, cluster_by => '{k}');
SELECT every, premake, retain, cluster_by, lateness FROM pulse_internal.managed_tables WHERE parent = 'ok_t'::regclass;
SELECT count(*) FROM pulse.partitions WHERE parent = 'ok_t'::regclass;
-- no DEFAULT partition
SELECT partdefid = 0 AS no_default FROM pg_partitioned_table WHERE partrelid = 'ok_t'::regclass;

-- Backfills: exact ranges, aligned to UTC; idempotent.
SELECT pulse.ensure_partitions('ok_t', '2024-02-27 13:00+00', '2024-03-02 00:00+00');
SELECT pulse.ensure_partitions('ok_t', '2024-02-27 13:00+00', '2024-03-02 00:00+00');
SELECT partition, range FROM pulse.partitions
 WHERE parent = 'ok_t'::regclass AND upper(range) <= '2025-01-01' ORDER BY range;
-- the session time zone does not move boundaries
SET timezone = 'America/New_York';
SELECT pulse.ensure_partitions('ok_t', '2024-03-10 00:00', '2024-03-11 00:00');
SELECT partition, lower(range) AT TIME ZONE 'UTC' AS from_utc, upper(range) AT TIME ZONE 'UTC' AS until_utc
  FROM pulse.partitions WHERE parent = 'ok_t'::regclass AND range && '[2024-03-09,2024-03-12)' ORDER BY range;
SET timezone = 'UTC';
-- absurd requests are refused before anything is created
\set VERBOSITY sqlstate
SELECT pulse.ensure_partitions('ok_t', '1990-01-01', '2024-01-01');
SELECT pulse.ensure_partitions('ok_t', '2024-01-02', '2024-01-01');
SELECT pulse.ensure_partitions('ok_t', NULL, '2024-01-01');
SELECT pulse.ensure_partitions('ok_t', '-infinity', '2024-01-01');
\set VERBOSITY default
SELECT pulse.ensure_partitions('ok_t', '1990-01-01', '2024-01-01');
SELECT pulse.ensure_partitions('ok_t', '2024-01-02', '2024-01-01');
-- an insert outside every partition gets PostgreSQL's own error
INSERT INTO ok_t VALUES ('2023-06-01', 'x');

-- Hours, weeks (from Monday), calendar months; timestamp and date keys.
CREATE TABLE hourly (ts timestamp NOT NULL) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('hourly', 'ts', '1 hour', premake => 2) AS created;
SELECT pulse.ensure_partitions('hourly', '2024-03-10 22:30+00', '2024-03-11 01:00+00');
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'hourly'::regclass AND c.relname LIKE '%2024%' ORDER BY 1;
CREATE TABLE weekly (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('weekly', 'ts', '1 week', premake => 1) AS created;
SELECT pulse.ensure_partitions('weekly', '2024-01-10', '2024-01-22');
SELECT partition, range, to_char(lower(range) AT TIME ZONE 'UTC', 'Dy') AS starts_on
  FROM pulse.partitions WHERE parent = 'weekly'::regclass AND upper(range) < '2025-01-01' ORDER BY range;
SELECT bool_and(extract(isodow FROM lower(range) AT TIME ZONE 'UTC') = 1) AS all_start_monday
  FROM pulse.partitions WHERE parent = 'weekly'::regclass;
CREATE TABLE stock_daily (symbol text NOT NULL, day date NOT NULL, close numeric, PRIMARY KEY (symbol, day))
  PARTITION BY RANGE (day);
SELECT pulse.partition_by_time('stock_daily', 'day', '1 month', premake => 2, cluster_by => '{symbol}') AS created;
SELECT pulse.ensure_partitions('stock_daily', '2024-01-15', '2024-04-01');
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'stock_daily'::regclass AND c.relname LIKE '%2024%' ORDER BY 1;
SELECT count(*) AS partitions, bool_and(extract(day FROM lower(range) AT TIME ZONE 'UTC') = 1) AS month_starts
  FROM pulse.partitions WHERE parent = 'stock_daily'::regclass;
-- the primary key already starts with (symbol, day): no extra index
SELECT count(*) AS indexes FROM pg_index WHERE indrelid = 'stock_daily'::regclass;

-- Partition pruning.
INSERT INTO weekly SELECT g FROM generate_series(timestamptz '2024-01-10', '2024-01-21 23:00', '1 hour') g;
EXPLAIN (COSTS OFF) SELECT count(*) FROM weekly WHERE ts >= '2024-01-16' AND ts < '2024-01-17';
SELECT count(*) FROM weekly WHERE ts >= '2024-01-16' AND ts < '2024-01-17';

-- Retention: never creates a partition wholly older than the limit, and
-- maintenance right after drops nothing it just made.
CREATE TABLE kept (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('kept', 'ts', retain => '3 days', premake => 1, lateness => '0') AS created;
SELECT pulse.ensure_partitions('kept', now() - interval '10 days', now()) AS backfilled;
SELECT bool_and(upper(range) > now() - interval '3 days') AS none_expired,
       min(lower(range)) = date_trunc('day', (now() - interval '3 days') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS oldest_holds_cutoff
  FROM pulse.partitions WHERE parent = 'kept'::regclass;
SELECT created, dropped, note FROM pulse.run_maintenance('kept');
-- an expired partition made by hand is dropped by maintenance
CREATE TABLE kept_old PARTITION OF kept FOR VALUES FROM ('2020-01-01') TO ('2020-01-02');
INSERT INTO kept VALUES ('2020-01-01 12:00');
SELECT created, dropped, note FROM pulse.run_maintenance('kept');
SELECT to_regclass('kept_old') AS kept_old;
SELECT count(*) FROM pulse.partitions WHERE parent = 'kept'::regclass;

-- Clustering: sealed partitions are rewritten once in (cluster_by, time) order.
CREATE TABLE ticks (market text NOT NULL, ts timestamptz NOT NULL, price numeric NOT NULL,
                    PRIMARY KEY (market, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('ticks', 'ts', cluster_by => '{market}', premake => 0) AS created;
SELECT pulse.ensure_partitions('ticks', '2024-05-01', '2024-05-04') AS backfilled;
-- rows arrive in time order, markets interleaved (the worst order for one market's reads)
INSERT INTO ticks
SELECT 'M' || lpad(((g * 7) % 13)::text, 2, '0'), timestamptz '2024-05-01' + g * interval '20 seconds', g
  FROM generate_series(0, 3 * 4320 - 1) g;
-- and some today (not sealed: stays as is)
INSERT INTO ticks SELECT 'M' || (g % 3), date_trunc('hour', now()) + g * interval '1 second', g FROM generate_series(0, 9) g;
ANALYZE ticks;
-- physically out of order before
SELECT count(*) FILTER (WHERE by_ctid <> by_key) > 0 AS out_of_order
  FROM (SELECT row_number() OVER (ORDER BY ctid) AS by_ctid, row_number() OVER (ORDER BY market, ts) AS by_key
          FROM ticks_p20240502) s;
SELECT * FROM pulse.run_maintenance('ticks');
SELECT partition, range, row_estimate, sealed, clustered FROM pulse.partitions
 WHERE parent = 'ticks'::regclass AND upper(range) < '2025-01-01' ORDER BY range;
SELECT count(*) AS unsealed, bool_and(NOT clustered) AS untouched
  FROM pulse.partitions WHERE parent = 'ticks'::regclass AND NOT sealed;
-- every sealed partition is now in (market, ts) order on disk
SELECT p.partition,
       (SELECT count(*) FILTER (WHERE by_ctid <> by_key)
          FROM (SELECT row_number() OVER (ORDER BY ctid) AS by_ctid, row_number() OVER (ORDER BY market, ts) AS by_key
                  FROM ticks t WHERE t.tableoid = p.partition) s) AS misplaced_rows
  FROM pulse.partitions p WHERE p.parent = 'ticks'::regclass AND p.sealed ORDER BY p.range;
-- no row lost or changed, indexes and the primary key still in place
SELECT count(*), sum(price), count(DISTINCT market) FROM ticks WHERE ts < '2024-06-01';
SELECT c.relname, x.indisprimary, pg_get_indexdef(x.indexrelid) LIKE '%(market, ts)' AS on_market_ts
  FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
 WHERE x.indrelid = 'ticks_p20240502'::regclass ORDER BY 1;
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'ticks_pkey'::regclass AND c.relname LIKE '%2024%' ORDER BY 1;
INSERT INTO ticks VALUES ('M00', '2024-05-02 00:00:00', 1);
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE market = 'M05' AND ts >= '2024-05-02' AND ts < '2024-05-03';
-- once: a second run has nothing to do
SELECT * FROM pulse.run_maintenance('ticks');
-- all managed tables in one call
SELECT parent, note FROM pulse.run_maintenance()
 WHERE parent::text IN ('hourly', 'kept', 'ok_t', 'stock_daily', 'ticks', 'weekly') OR parent::text LIKE 'pulse%'
 ORDER BY parent::text;

-- Built-in tables are managed; their partitions are not extension members
-- (pg_dump keeps their data); user registrations are dumped.
SELECT parent, time_column, every, premake, retain, cluster_by, lateness FROM pulse_internal.managed_tables
 WHERE builtin ORDER BY parent::text;
SELECT parent, count(*) AS current_and_premade FROM pulse.partitions
 WHERE parent::text LIKE 'pulse.%' AND upper(range) > now() GROUP BY parent ORDER BY parent::text;
SELECT count(*) AS member_partitions FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND c.relispartition;
SELECT e.extconfig::regclass[] AS config_tables, e.extcondition FROM pg_extension e WHERE e.extname = 'pulse';

-- A table other tables reference by foreign key is not clustered (its partitions
-- cannot be detached while referenced), but still premade and maintained.
CREATE TABLE fk_t (k int NOT NULL, ts timestamptz NOT NULL, PRIMARY KEY (k, ts)) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('fk_t', 'ts', cluster_by => '{k}', premake => 1) AS created;
SELECT pulse.ensure_partitions('fk_t', '2024-01-01', '2024-01-02') AS backfilled;
INSERT INTO fk_t VALUES (1, '2024-01-01 10:00');
CREATE TABLE fk_ref (k int, ts timestamptz, FOREIGN KEY (k, ts) REFERENCES fk_t);
INSERT INTO fk_ref VALUES (1, '2024-01-01 10:00');
SELECT * FROM pulse.run_maintenance('fk_t');
SELECT count(*) AS leftover_copies FROM pg_class WHERE relname LIKE '%\_pulse\_%' AND relkind = 'r';

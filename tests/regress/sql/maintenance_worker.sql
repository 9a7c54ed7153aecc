-- The background worker does maintenance without being asked: with a short
-- interval, a premade partition that goes missing comes back by itself.
SET client_min_messages = warning;
\set VERBOSITY sqlstate
-- bad settings are refused
ALTER SYSTEM SET pulse.maintenance_databases = 'a,,b';
ALTER SYSTEM SET pulse.maintenance_interval = -1;
\set VERBOSITY default
SELECT count(*) AS launchers FROM pg_stat_activity WHERE backend_type = 'pulse maintenance launcher';
SHOW pulse.maintenance_databases;

CREATE TABLE bg_t (ts timestamptz NOT NULL) PARTITION BY RANGE (ts);
SELECT pulse.partition_by_time('bg_t', 'ts', premake => 2) AS created;
-- remove the last premade partition: only maintenance can bring it back
SELECT format('DROP TABLE %s', max(partition::text)) AS drop_last
  FROM pulse.partitions WHERE parent = 'bg_t'::regclass \gset
:drop_last;
SELECT count(*) FROM pulse.partitions WHERE parent = 'bg_t'::regclass;

ALTER SYSTEM SET pulse.maintenance_interval = 1;
-- While pg_restore is connected to a database (here: this session, by its
-- application_name), the worker leaves it alone: partitions it premade could
-- collide with the ones the dump brings.
SET application_name = 'pg_restore';
SELECT pg_reload_conf();
SELECT pg_sleep(3.5);  -- three rounds or more
SELECT count(*) AS partitions_while_restoring FROM pulse.partitions WHERE parent = 'bg_t'::regclass;
RESET application_name;
-- wait (at most 60 s) for the worker
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
  WHILE (SELECT count(*) FROM pulse.partitions WHERE parent = 'bg_t'::regclass) < 3
        AND clock_timestamp() < deadline LOOP
    PERFORM pg_sleep(0.2);
  END LOOP;
END $$;
ALTER SYSTEM RESET pulse.maintenance_interval;
SELECT pg_reload_conf();
SELECT count(*) AS partitions_after_worker FROM pulse.partitions WHERE parent = 'bg_t'::regclass;

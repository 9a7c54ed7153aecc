-- Upgrade 0.1.0 -> 0.2.0, the part that changes what already exists: the
-- objects that hold data, and the 0.1.0 code that 0.2.0 replaces. The build
-- appends every sql/code/*.sql (functions, views, comments, privileges: the
-- same files a fresh install runs), so the code an upgraded database runs is
-- the code a fresh install runs. tests/integration/test_upgrade.sh proves the
-- result equals a fresh install.
\echo Use "ALTER EXTENSION pulse UPDATE TO '0.2.0'" to load this file. \quit

CREATE SCHEMA pulse_internal;

-- 0.1.0's internal functions (pulse._*) move to pulse_internal under new
-- names; the view that called them is made again by the code that follows.
DROP VIEW pulse.partitions;
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'pulse'::regnamespace AND p.proname LIKE '\_%'
            ORDER BY p.oid LOOP
    EXECUTE pg_catalog.format('DROP FUNCTION %s', f);
  END LOOP;
END $$;

-- The registries are internal.
ALTER TABLE pulse.managed_tables SET SCHEMA pulse_internal;
ALTER TABLE pulse.clustered_partitions SET SCHEMA pulse_internal;

-- Whether Pulse's tables are Citus's (README "Scaling out"): asked by
-- rollups, maintenance and pulse.distribute (85_distribute.sql), so made
-- before any of them. Citus is looked up through EXECUTE only: this file
-- installs on a server without it.

-- Whether the table is a Citus table (distributed, reference or local in
-- Citus's metadata): false where Citus is not installed.
CREATE OR REPLACE FUNCTION pulse_internal.citus_table(t regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  found boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    RETURN false;
  END IF;
  EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid OPERATOR(pg_catalog.=) $1)'
    INTO found USING t;
  RETURN found;
END
$fn$;

-- Whether this node is a Citus worker (Citus installed, and this node is not
-- the coordinator): maintenance leaves the Citus tables alone there, since
-- only the coordinator changes their partitions.
CREATE OR REPLACE FUNCTION pulse_internal.citus_worker()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  worker boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    RETURN false;
  END IF;
  -- group 0 is the coordinator's (also a lone node's before any worker joins)
  EXECUTE 'SELECT coalesce(bool_or(groupid OPERATOR(pg_catalog.<>) 0), false) FROM pg_catalog.pg_dist_local_group' INTO worker;
  RETURN worker;
END
$fn$;

-- Time-partitioned, clustered tables (SPEC "Partitioned, clustered tables"):
-- registration, partition creation from the clock and for backfills,
-- retention: the slot arithmetic, partition ranges and locks here, creation
-- and registration in 15_partition_create.sql, clustering and maintenance
-- in 20_clustering.sql and 25_maintenance.sql (the registry is in
-- install/tables.sql). Written in
-- PL/pgSQL because it is DDL orchestration; the background worker only calls
-- pulse.run_maintenance() table by table.
--
-- Locking rule for maintenance: it never waits in the lock manager for a
-- table lock (every strong lock is taken NOWAIT and polled), so it can never
-- be part of a deadlock with loads; loads may wait for it until it commits.

-- A [from, until) range of the arguments: both given, both finite (also
-- for the analytics).
CREATE OR REPLACE FUNCTION pulse_internal.check_range(from_ts timestamptz, until_ts timestamptz)
  RETURNS void
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF from_ts IS NULL OR until_ts IS NULL THEN
    RAISE EXCEPTION 'from and until must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT isfinite(from_ts) OR NOT isfinite(until_ts) THEN
    RAISE EXCEPTION 'from and until must be finite' USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$fn$;


-- The list idiom of generated SQL (partitioning, clustering, merge): format(pattern, column, ordinal) for each
-- column in order, joined by sep (pattern '%I' quotes the name).
CREATE OR REPLACE FUNCTION pulse_internal.ident_list(cols name[], pattern text DEFAULT '%I', sep text DEFAULT ', ')
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT string_agg(format(pattern, u.c, u.o), sep ORDER BY u.o) FROM unnest(cols) WITH ORDINALITY AS u(c, o)
$$;

-- The advisory lock key of one managed table ("Pu" in the high half).
CREATE OR REPLACE FUNCTION pulse_internal.lock_key(parent regclass) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN (x'5075'::bigint << 32) | parent::oid::bigint;

-- Splits a partition width into months and the rest (in seconds), checked.
CREATE OR REPLACE FUNCTION pulse_internal.check_every(every interval, is_date boolean DEFAULT false,
                                   OUT months integer, OUT seconds numeric)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF every IS NULL THEN
    RAISE EXCEPTION 'partition interval must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  months := (extract(year FROM every) * 12 + extract(month FROM every))::integer;
  seconds := extract(epoch FROM every - make_interval(months => months));
  IF months < 0 OR seconds < 0 OR (months = 0 AND seconds = 0) THEN
    RAISE EXCEPTION 'partition interval must be positive, got %', every
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF months > 0 AND seconds <> 0 THEN
    RAISE EXCEPTION 'partition interval % mixes months with days or hours', every
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Use whole months, or whole days/hours (for example ''1 month'', ''1 week'', ''1 day'', ''1 hour'').';
  END IF;
  IF months = 0 AND seconds % 3600 <> 0 THEN
    RAISE EXCEPTION 'partition interval % is not a whole number of hours', every
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Supported widths are hours, days, weeks and months.';
  END IF;
  IF is_date AND months = 0 AND seconds % 86400 <> 0 THEN
    RAISE EXCEPTION 'partition interval % is not a whole number of days, as a date column needs', every
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;

-- Start of the UTC-aligned period containing ts. Months are calendar months
-- counted from year 0; other widths are aligned to Monday 2000-01-03 00:00 UTC
-- so that weeks start on Mondays and days/hours at UTC boundaries.
CREATE OR REPLACE FUNCTION pulse_internal.slot_start(ts timestamptz, every interval) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  w record := pulse_internal.check_every(every);
  m bigint;
  u timestamp := ts AT TIME ZONE 'UTC';
BEGIN
  IF w.months > 0 THEN
    m := extract(year FROM u)::bigint * 12 + extract(month FROM u)::bigint - 1;
    m := m - (((m % w.months) + w.months) % w.months);
    RETURN make_timestamp((m / 12)::int, (m % 12)::int + 1, 1, 0, 0, 0) AT TIME ZONE 'UTC';
  END IF;
  RETURN date_bin(every, ts, timestamptz '2000-01-03 00:00:00+00');
END $$;

-- The next boundary after a slot start (UTC calendar arithmetic, no DST).
CREATE OR REPLACE FUNCTION pulse_internal.slot_next(ts timestamptz, every interval) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN ((ts AT TIME ZONE 'UTC') + every) AT TIME ZONE 'UTC';

-- A partition bound literal for the column type (timestamp and date columns
-- hold UTC wall-clock values).
CREATE OR REPLACE FUNCTION pulse_internal.bound_literal(ts timestamptz, typ regtype) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE typ
  WHEN 'timestamptz'::regtype THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'
  WHEN 'timestamp'::regtype THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
  ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') END;

-- The range of a partition as tstzrange (NULL for a DEFAULT partition),
-- read back from its bound expression.
CREATE OR REPLACE FUNCTION pulse_internal.partition_range(part regclass) RETURNS tstzrange
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  bound text;
  typ regtype;
  parts text[];
  lo timestamptz;
  hi timestamptz;
BEGIN
  SELECT pg_get_expr(c.relpartbound, c.oid) INTO bound FROM pg_class c WHERE c.oid = part;
  IF bound IS NULL OR bound = 'DEFAULT' THEN
    RETURN NULL;
  END IF;
  SELECT a.atttypid::regtype INTO typ
    FROM pg_inherits i
    JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
    JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
   WHERE i.inhrelid = part;
  parts := regexp_match(bound, '^FOR VALUES FROM \((.*)\) TO \((.*)\)$');
  IF parts IS NULL THEN
    RETURN NULL;
  END IF;
  lo := CASE WHEN parts[1] = 'MINVALUE' THEN '-infinity'
             ELSE pulse_internal.literal_to_tstz(parts[1], typ) END;
  hi := CASE WHEN parts[2] = 'MAXVALUE' THEN 'infinity'
             ELSE pulse_internal.literal_to_tstz(parts[2], typ) END;
  RETURN tstzrange(lo, hi, '[)');
END $$;

CREATE OR REPLACE FUNCTION pulse_internal.literal_to_tstz(lit text, typ regtype) RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v text;
  r timestamptz;
BEGIN
  -- lit is a quoted SQL literal as pg_get_expr prints it: 'value'
  v := replace(substr(lit, 2, length(lit) - 2), '''''', '''');
  IF typ = 'timestamptz'::regtype THEN
    r := v::timestamptz;
  ELSIF typ = 'timestamp'::regtype THEN
    r := v::timestamp AT TIME ZONE 'UTC';
  ELSE
    r := v::date::timestamp AT TIME ZONE 'UTC';
  END IF;
  RETURN r;
END $$;

-- Existing partitions of a parent with their ranges.
CREATE OR REPLACE FUNCTION pulse_internal.partitions_of(parent regclass)
RETURNS TABLE(part regclass, range tstzrange)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT i.inhrelid::regclass, pulse_internal.partition_range(i.inhrelid::regclass)
    FROM pg_inherits i
   WHERE i.inhparent = parent
$$;

-- Takes a table lock without waiting in the lock queue: polls NOWAIT for up
-- to `patience`. Returns false when the lock could not be had. ONLY: a
-- parent's lock does not take one per partition (a table with hundreds of
-- partitions would fill the lock table); DDL on a partition locks it
-- itself.
CREATE OR REPLACE FUNCTION pulse_internal.lock_polling(rel regclass, mode text, patience interval DEFAULT '2 seconds')
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + patience;
BEGIN
  LOOP
    BEGIN
      EXECUTE format('LOCK TABLE ONLY %s IN %s MODE NOWAIT', rel, mode);
      RETURN true;
    EXCEPTION WHEN lock_not_available THEN
      IF clock_timestamp() >= deadline THEN
        RETURN false;
      END IF;
      PERFORM pg_sleep(0.05);
    END;
  END LOOP;
END $$;

-- A partition's total bytes: on a Citus table (README "Scaling out") the
-- coordinator's relation is empty and the rows are in the workers' shards,
-- which citus_total_relation_size adds up.
CREATE OR REPLACE FUNCTION pulse_internal.partition_bytes(part regclass) RETURNS bigint
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  IF pulse_internal.citus_table(part) THEN
    EXECUTE 'SELECT pg_catalog.citus_total_relation_size($1)' INTO n USING part;
    RETURN n;
  END IF;
  RETURN pg_total_relation_size(part);
END
$fn$;

-- (pulse.landing's partitions are those of the chunks it is kept in; the view
-- names pulse.landing as their parent, and their rows are chunks.)
CREATE OR REPLACE VIEW pulse.partitions AS
SELECT CASE WHEN m.parent = 'pulse_internal.landing_chunks'::regclass THEN 'pulse.landing'::regclass ELSE m.parent END
         AS parent,
       x.part AS partition,
       x.range,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       pulse_internal.partition_bytes(x.part) AS bytes,
       coalesce(upper(x.range) <= now() - m.lateness, false) AS sealed,
       EXISTS (SELECT 1 FROM pulse_internal.clustered_partitions cp WHERE cp.partition::oid = x.part::oid) AS clustered
  FROM pulse_internal.managed_tables m
 CROSS JOIN LATERAL pulse_internal.partitions_of(m.parent) x
  JOIN pg_class c ON c.oid = x.part;
COMMENT ON VIEW pulse.partitions IS 'Partitions of the managed tables: time range (UTC), row estimate, total bytes, whether sealed (older than now() - lateness) and clustered';

COMMENT ON COLUMN pulse.partitions.parent IS 'The managed table (pulse.landing for the partitions of its chunks)';
COMMENT ON COLUMN pulse.partitions.partition IS 'One of its partitions';
COMMENT ON COLUMN pulse.partitions.range IS 'The partition''s time range [from, until), UTC';
COMMENT ON COLUMN pulse.partitions.row_estimate IS 'Rows, as the planner estimates them (NULL before the first ANALYZE)';
COMMENT ON COLUMN pulse.partitions.bytes IS 'Total size on disk, indexes and TOAST included';
COMMENT ON COLUMN pulse.partitions.sealed IS 'Wholly older than now() - lateness: no more rows expected';
COMMENT ON COLUMN pulse.partitions.clustered IS 'Rewritten by maintenance in (cluster_by..., time) order';

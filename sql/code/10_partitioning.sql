-- Time-partitioned, clustered tables (SPEC "Partitioned, clustered tables"):
-- registration, partition creation from the clock and for backfills,
-- retention (the registry is in install/tables.sql; clustering and
-- maintenance in 20_clustering.sql and 25_maintenance.sql). Written in
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
-- to `patience`. Returns false when the lock could not be had.
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
      EXECUTE format('LOCK TABLE %s IN %s MODE NOWAIT', rel, mode);
      RETURN true;
    EXCEPTION WHEN lock_not_available THEN
      IF clock_timestamp() >= deadline THEN
        RETURN false;
      END IF;
      PERFORM pg_sleep(0.05);
    END;
  END LOOP;
END $$;

-- The UTC-aligned slots of a managed table that cover [from, until) and are
-- not wholly older than its retention, checked: absurd requests are refused
-- before anything is created or locked.
CREATE OR REPLACE FUNCTION pulse_internal.partition_slots(t pulse_internal.managed_tables,
                                                          from_ts timestamptz, until_ts timestamptz)
RETURNS tstzrange[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cutoff timestamptz := CASE WHEN t.retain IS NULL THEN '-infinity'::timestamptz ELSE now() - t.retain END;
  s timestamptz;
  e timestamptz;
  slots integer := 0;
  todo tstzrange[] := '{}';
BEGIN
  PERFORM pulse_internal.check_range(from_ts, until_ts);
  IF until_ts < from_ts THEN
    RAISE EXCEPTION 'until (%) is before from (%)', until_ts, from_ts USING ERRCODE = 'invalid_parameter_value';
  END IF;
  s := pulse_internal.slot_start(from_ts, t.every);
  WHILE s < until_ts LOOP
    slots := slots + 1;
    IF slots > 10000 THEN
      RAISE EXCEPTION 'the range % .. % needs more than 10000 partitions of %', from_ts, until_ts, t.every
        USING ERRCODE = 'program_limit_exceeded';
    END IF;
    e := pulse_internal.slot_next(s, t.every);
    IF e > cutoff THEN
      todo := todo || tstzrange(s, e, '[)');
    END IF;
    s := e;
  END LOOP;
  RETURN todo;
END $$;

-- A free name for the partition of `slot`: the parent's name (cut to fit)
-- with the slot's start, and a counter if that is taken.
CREATE OR REPLACE FUNCTION pulse_internal.partition_name(nsp name, rel name, slot tstzrange, every interval)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  w record := pulse_internal.check_every(every);
  suffix text := to_char(lower(slot) AT TIME ZONE 'UTC',
                         CASE WHEN w.months > 0 THEN 'YYYYMM'
                              WHEN w.seconds % 86400 = 0 THEN 'YYYYMMDD'
                              ELSE 'YYYYMMDD"_"HH24' END);
  pname text := left(rel, 61 - length(suffix)) || '_p' || suffix;
  n integer := 1;
BEGIN
  WHILE EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = pname AND c.relnamespace = nsp::regnamespace) LOOP
    n := n + 1;
    pname := left(rel, 61 - length(suffix) - 1 - length(n::text)) || '_p' || suffix || '_' || n;
  END LOOP;
  RETURN pname;
END $$;

-- Creates the missing partitions covering [from, until). `nowait` is for
-- maintenance (never queue for the parent's lock); backfills wait normally.
-- `dry_run` only counts the missing ones, without any lock.
CREATE OR REPLACE FUNCTION pulse_internal.create_partitions(parent regclass, from_ts timestamptz, until_ts timestamptz,
                                         nowait boolean DEFAULT false, dry_run boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables;
  typ regtype;
  nsp name;
  rel name;
  owner name;
  created integer := 0;
  existing tstzrange[];
  todo tstzrange[];
  slot tstzrange;
  pname text;
BEGIN
  SELECT * INTO t FROM pulse_internal.managed_tables m WHERE m.parent = create_partitions.parent;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not managed by pulse', parent
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Register it first with pulse.partition_by_time().';
  END IF;
  todo := pulse_internal.partition_slots(t, from_ts, until_ts);
  IF cardinality(todo) = 0 THEN
    RETURN 0;
  END IF;
  FOR pass IN 1..2 LOOP
    SELECT coalesce(array_agg(p.range) FILTER (WHERE p.range IS NOT NULL), '{}') INTO existing
      FROM pulse_internal.partitions_of(parent) p;
    IF NOT EXISTS (SELECT 1 FROM unnest(todo) x(r)
                    WHERE NOT EXISTS (SELECT 1 FROM unnest(existing) y(r) WHERE y.r && x.r)) THEN
      RETURN 0;
    END IF;
    IF dry_run THEN
      RETURN (SELECT count(*) FROM unnest(todo) x(r)
               WHERE NOT EXISTS (SELECT 1 FROM unnest(existing) y(r) WHERE y.r && x.r));
    END IF;
    EXIT WHEN pass = 2;
    -- Serialize creators of this table's partitions, then look again.
    IF nowait THEN
      IF NOT pg_try_advisory_xact_lock(pulse_internal.lock_key(parent)) THEN
        RETURN 0;
      END IF;
      IF NOT pulse_internal.lock_polling(parent, 'ACCESS EXCLUSIVE') THEN
        RAISE EXCEPTION 'could not lock % to create partitions', parent USING ERRCODE = 'lock_not_available';
      END IF;
    ELSE
      PERFORM pg_advisory_xact_lock(pulse_internal.lock_key(parent));
    END IF;
  END LOOP;

  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
   WHERE a.attrelid = parent AND a.attname = t.time_column;
  SELECT n2.nspname, c.relname, pg_get_userbyid(c.relowner) INTO nsp, rel, owner
    FROM pg_class c JOIN pg_namespace n2 ON n2.oid = c.relnamespace WHERE c.oid = parent;
  FOREACH slot IN ARRAY todo LOOP
    CONTINUE WHEN EXISTS (SELECT 1 FROM unnest(existing) y(r) WHERE y.r && slot);
    pname := pulse_internal.partition_name(nsp, rel, slot, t.every);
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                   nsp, pname, parent,
                   pulse_internal.bound_literal(lower(slot), typ), pulse_internal.bound_literal(upper(slot), typ));
    -- Created by a SECURITY DEFINER path: give it to the parent's owner.
    IF owner <> current_user THEN
      EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', nsp, pname, owner);
    END IF;
    -- Partitions made while CREATE EXTENSION runs would become extension
    -- members, which pg_dump skips with their data: keep them ordinary tables.
    IF EXISTS (SELECT 1 FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = format('%I.%I', nsp, pname)::regclass
                  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
      EXECUTE format('ALTER EXTENSION pulse DROP TABLE %I.%I', nsp, pname);
    END IF;
    existing := existing || slot;
    created := created + 1;
  END LOOP;
  RETURN created;
END $$;

CREATE OR REPLACE FUNCTION pulse.ensure_partitions(parent regclass, "from" timestamptz, "until" timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF parent IS NULL THEN
    RAISE EXCEPTION 'parent must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- Runs as the extension owner so that loaders may create the partitions of
  -- tables they write: require the right to insert into the table. Checked
  -- for session_user (here current_user is the owner): a SET ROLE never gets
  -- more than its login role already has.
  IF NOT has_table_privilege(session_user, parent, 'INSERT')
     AND NOT pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = parent), 'USAGE') THEN
    RAISE EXCEPTION 'permission denied to create partitions of %', parent
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN pulse_internal.create_partitions(parent, "from", "until", false);
END $$;
COMMENT ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) IS
  'Creates the missing partitions of a managed table covering [from, until) (for backfills), never one wholly older than its retention; returns how many were created';

CREATE OR REPLACE FUNCTION pulse.partition_by_time(parent regclass, time_column name,
                                        every interval DEFAULT '1 day', premake integer DEFAULT 3,
                                        retain interval DEFAULT NULL, cluster_by name[] DEFAULT '{}',
                                        lateness interval DEFAULT '1 hour')
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  strategy "char";
  keys int2vector;
  typ regtype;
  col name;
  idx_cols text;
  now_slot timestamptz;
  created integer;
BEGIN
  IF parent IS NULL OR time_column IS NULL OR every IS NULL OR premake IS NULL
     OR cluster_by IS NULL OR lateness IS NULL THEN
    RAISE EXCEPTION 'arguments of pulse.partition_by_time must not be NULL (only retain may be)'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = parent), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', parent USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT pt.partstrat, pt.partattrs INTO strategy, keys
    FROM pg_partitioned_table pt WHERE pt.partrelid = parent;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not partitioned', parent
      USING ERRCODE = 'wrong_object_type',
            HINT = format('Create it with PARTITION BY RANGE (%I).', time_column);
  END IF;
  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
   WHERE a.attrelid = parent AND a.attname = time_column AND NOT a.attisdropped AND a.attnum > 0;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', time_column, parent USING ERRCODE = 'undefined_column';
  END IF;
  IF strategy <> 'r' OR array_length(keys::int2[], 1) <> 1
     OR keys[0] <> (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = parent AND a.attname = time_column) THEN
    RAISE EXCEPTION 'table % is not partitioned by range on column "%" alone', parent, time_column
      USING ERRCODE = 'invalid_object_definition';
  END IF;
  IF typ NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'column "%" has type %, not timestamptz, timestamp or date', time_column, typ
      USING ERRCODE = 'datatype_mismatch';
  END IF;
  PERFORM pulse_internal.check_every(every, typ = 'date'::regtype);
  IF premake < 0 OR premake > 10000 THEN
    RAISE EXCEPTION 'premake must be between 0 and 10000, got %', premake USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF retain IS NOT NULL AND retain <= interval '0' THEN
    RAISE EXCEPTION 'retain must be positive, got %', retain USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF lateness < interval '0' THEN
    RAISE EXCEPTION 'lateness must not be negative, got %', lateness USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH col IN ARRAY cluster_by LOOP
    IF col IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = parent AND a.attname = col
                                    AND NOT a.attisdropped AND a.attnum > 0) THEN
      RAISE EXCEPTION 'cluster_by column "%" of table % does not exist', col, parent USING ERRCODE = 'undefined_column';
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_partitioned_table pt WHERE pt.partrelid = parent AND pt.partdefid <> 0) THEN
    RAISE EXCEPTION 'table % has a DEFAULT partition', parent
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Pulse creates every partition itself; detach the DEFAULT partition first.';
  END IF;

  INSERT INTO pulse_internal.managed_tables AS m (parent, time_column, every, premake, retain, cluster_by, lateness, builtin)
  VALUES (parent, time_column, every, premake, retain, cluster_by, lateness,
          parent::oid IN (SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'pulse'::regnamespace
                           AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                        AND d.objid = c.oid AND d.deptype = 'e')))
  ON CONFLICT ON CONSTRAINT managed_tables_pkey DO UPDATE
    SET time_column = excluded.time_column, every = excluded.every, premake = excluded.premake,
        retain = excluded.retain, cluster_by = excluded.cluster_by, lateness = excluded.lateness;

  -- The index that makes clustering pay off: (cluster_by..., time), unless
  -- an index already starts with these columns.
  IF NOT EXISTS (
      SELECT 1 FROM pg_index i
       WHERE i.indrelid = parent
         AND (SELECT array_agg(k ORDER BY ord) FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(k, ord)
               WHERE ord <= cardinality(cluster_by) + 1) =
             (SELECT array_agg(a.attnum ORDER BY o.ord)
                FROM unnest(cluster_by || time_column) WITH ORDINALITY o(col, ord)
                JOIN pg_attribute a ON a.attrelid = parent AND a.attname = o.col)) THEN
    SELECT string_agg(quote_ident(c), ', ' ORDER BY ord) INTO idx_cols
      FROM unnest(cluster_by || time_column) WITH ORDINALITY o(c, ord);
    -- Building it runs the column types' operators: the owner's code, as the owner.
    PERFORM pulse_internal.as_owner(parent, ARRAY[format('CREATE INDEX ON %s (%s)', parent, idx_cols)]);
  END IF;

  now_slot := pulse_internal.slot_start(now(), every);
  created := pulse_internal.create_partitions(parent, now_slot,
                                      pulse_internal.slot_next(now_slot, every * (premake + 1)));
  RETURN created;
END $$;
COMMENT ON FUNCTION pulse.partition_by_time(regclass, name, interval, integer, interval, name[], interval) IS
  'Registers a table partitioned by range on a time column with Pulse maintenance and creates partitions from the current UTC period to premake periods ahead; returns how many were created';

CREATE OR REPLACE VIEW pulse.partitions AS
SELECT m.parent,
       x.part AS partition,
       x.range,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       pg_total_relation_size(x.part) AS bytes,
       coalesce(upper(x.range) <= now() - m.lateness, false) AS sealed,
       EXISTS (SELECT 1 FROM pulse_internal.clustered_partitions cp WHERE cp.partition::oid = x.part::oid) AS clustered
  FROM pulse_internal.managed_tables m
 CROSS JOIN LATERAL pulse_internal.partitions_of(m.parent) x
  JOIN pg_class c ON c.oid = x.part;
COMMENT ON VIEW pulse.partitions IS 'Partitions of the managed tables: time range (UTC), row estimate, total bytes, whether sealed (older than now() - lateness) and clustered';


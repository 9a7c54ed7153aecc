-- Time-partitioned, clustered tables (SPEC "Partitioned, clustered tables"):
-- registration, partition creation from the clock and for backfills,
-- retention, and clustering of sealed partitions. Written in PL/pgSQL because
-- it is DDL orchestration; the background worker (extension/pg/maintenance*)
-- only calls pulse.run_maintenance() table by table.
--
-- Locking rule for maintenance: it never waits in the lock manager for a
-- table lock (every strong lock is taken NOWAIT and polled), so it can never
-- be part of a deadlock with loads; loads may wait for it until it commits.

-- Registry of managed tables. pulse.merge and the loaders read it.
CREATE TABLE pulse.managed_tables (
  parent        regclass    PRIMARY KEY,
  time_column   name        NOT NULL,
  every         interval    NOT NULL,
  premake       integer     NOT NULL,
  retain        interval,
  cluster_by    name[]      NOT NULL DEFAULT '{}',
  lateness      interval    NOT NULL,
  builtin       boolean     NOT NULL DEFAULT false,
  registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pulse.managed_tables IS 'Tables managed by pulse.partition_by_time: time column, partition width, premake, retention, clustering';
-- User registrations survive pg_dump/restore; the built-in ones are made again
-- by CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('pulse.managed_tables', 'WHERE NOT builtin');

-- Partitions rewritten in cluster order (a partition is clustered once).
CREATE TABLE pulse.clustered_partitions (
  partition    regclass    PRIMARY KEY,
  parent       regclass    NOT NULL,
  clustered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pulse.clustered_partitions IS 'Sealed partitions that maintenance has rewritten in (cluster_by..., time) order';

-- The advisory lock key of one managed table ("Pu" in the high half).
CREATE FUNCTION pulse._lock_key(parent regclass) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (x'5075'::bigint << 32) | parent::oid::bigint;

-- Splits a partition width into months and the rest (in seconds), checked.
CREATE FUNCTION pulse._check_every(every interval, is_date boolean DEFAULT false,
                                   OUT months integer, OUT seconds numeric)
LANGUAGE plpgsql IMMUTABLE AS $$
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
CREATE FUNCTION pulse._slot_start(ts timestamptz, every interval) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  w record := pulse._check_every(every);
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
CREATE FUNCTION pulse._slot_next(ts timestamptz, every interval) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((ts AT TIME ZONE 'UTC') + every) AT TIME ZONE 'UTC';

-- A partition bound literal for the column type (timestamp and date columns
-- hold UTC wall-clock values).
CREATE FUNCTION pulse._bound_literal(ts timestamptz, typ regtype) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE typ
  WHEN 'timestamptz'::regtype THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'
  WHEN 'timestamp'::regtype THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
  ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') END;

-- The range of a partition as tstzrange (NULL for a DEFAULT partition),
-- read back from its bound expression.
CREATE FUNCTION pulse._partition_range(part regclass) RETURNS tstzrange
LANGUAGE plpgsql STABLE AS $$
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
             ELSE pulse._literal_to_tstz(parts[1], typ) END;
  hi := CASE WHEN parts[2] = 'MAXVALUE' THEN 'infinity'
             ELSE pulse._literal_to_tstz(parts[2], typ) END;
  RETURN tstzrange(lo, hi, '[)');
END $$;

CREATE FUNCTION pulse._literal_to_tstz(lit text, typ regtype) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
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
CREATE FUNCTION pulse._partitions_of(parent regclass)
RETURNS TABLE(part regclass, range tstzrange)
LANGUAGE sql STABLE AS $$
  SELECT i.inhrelid::regclass, pulse._partition_range(i.inhrelid::regclass)
    FROM pg_inherits i
   WHERE i.inhparent = parent
$$;

-- Takes a table lock without waiting in the lock queue: polls NOWAIT for up
-- to `patience`. Returns false when the lock could not be had.
CREATE FUNCTION pulse._lock_polling(rel regclass, mode text, patience interval DEFAULT '2 seconds')
RETURNS boolean
LANGUAGE plpgsql AS $$
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

-- Creates the missing partitions covering [from, until). `nowait` is for
-- maintenance (never queue for the parent's lock); backfills wait normally.
-- `dry_run` only counts the missing ones, without any lock.
CREATE FUNCTION pulse._create_partitions(parent regclass, from_ts timestamptz, until_ts timestamptz,
                                         nowait boolean DEFAULT false, dry_run boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  t pulse.managed_tables;
  typ regtype;
  nsp name;
  rel name;
  owner name;
  cutoff timestamptz;
  s timestamptz;
  e timestamptz;
  slots integer := 0;
  created integer := 0;
  existing tstzrange[];
  todo tstzrange[] := '{}';
  slot tstzrange;
  w record;
  suffix text;
  pname text;
  n integer;
  locked boolean := false;
BEGIN
  SELECT * INTO t FROM pulse.managed_tables m WHERE m.parent = _create_partitions.parent;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not managed by pulse', parent
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Register it first with pulse.partition_by_time().';
  END IF;
  IF from_ts IS NULL OR until_ts IS NULL THEN
    RAISE EXCEPTION 'from and until must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT isfinite(from_ts) OR NOT isfinite(until_ts) THEN
    RAISE EXCEPTION 'from and until must be finite' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF until_ts < from_ts THEN
    RAISE EXCEPTION 'until (%) is before from (%)', until_ts, from_ts USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := CASE WHEN t.retain IS NULL THEN '-infinity'::timestamptz ELSE now() - t.retain END;

  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
   WHERE a.attrelid = parent AND a.attname = t.time_column;
  w := pulse._check_every(t.every);

  -- Plan first (no locks), refuse absurd requests before creating anything.
  s := pulse._slot_start(from_ts, t.every);
  WHILE s < until_ts LOOP
    slots := slots + 1;
    IF slots > 10000 THEN
      RAISE EXCEPTION 'the range % .. % needs more than 10000 partitions of %', from_ts, until_ts, t.every
        USING ERRCODE = 'program_limit_exceeded';
    END IF;
    e := pulse._slot_next(s, t.every);
    IF e > cutoff THEN
      todo := todo || tstzrange(s, e, '[)');
    END IF;
    s := e;
  END LOOP;
  IF cardinality(todo) = 0 THEN
    RETURN 0;
  END IF;

  FOR pass IN 1..2 LOOP
    SELECT coalesce(array_agg(p.range) FILTER (WHERE p.range IS NOT NULL), '{}') INTO existing
      FROM pulse._partitions_of(parent) p;
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
      IF NOT pg_try_advisory_xact_lock(pulse._lock_key(parent)) THEN
        RETURN 0;
      END IF;
      IF NOT pulse._lock_polling(parent, 'ACCESS EXCLUSIVE') THEN
        RAISE EXCEPTION 'could not lock % to create partitions', parent USING ERRCODE = 'lock_not_available';
      END IF;
    ELSE
      PERFORM pg_advisory_xact_lock(pulse._lock_key(parent));
    END IF;
  END LOOP;

  SELECT n2.nspname, c.relname, pg_get_userbyid(c.relowner) INTO nsp, rel, owner
    FROM pg_class c JOIN pg_namespace n2 ON n2.oid = c.relnamespace WHERE c.oid = parent;
  FOREACH slot IN ARRAY todo LOOP
    CONTINUE WHEN EXISTS (SELECT 1 FROM unnest(existing) y(r) WHERE y.r && slot);
    suffix := to_char(lower(slot) AT TIME ZONE 'UTC',
                      CASE WHEN w.months > 0 THEN 'YYYYMM'
                           WHEN w.seconds % 86400 = 0 THEN 'YYYYMMDD'
                           ELSE 'YYYYMMDD"_"HH24' END);
    pname := left(rel, 61 - length(suffix)) || '_p' || suffix;
    n := 1;
    WHILE EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = pname AND c.relnamespace = nsp::regnamespace) LOOP
      n := n + 1;
      pname := left(rel, 61 - length(suffix) - 1 - length(n::text)) || '_p' || suffix || '_' || n;
    END LOOP;
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                   nsp, pname, parent,
                   pulse._bound_literal(lower(slot), typ), pulse._bound_literal(upper(slot), typ));
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

CREATE FUNCTION pulse.ensure_partitions(parent regclass, "from" timestamptz, "until" timestamptz)
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
  RETURN pulse._create_partitions(parent, "from", "until", false);
END $$;
COMMENT ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) IS
  'Creates the missing partitions of a managed table covering [from, until) (for backfills), never one wholly older than its retention; returns how many were created';

CREATE FUNCTION pulse.partition_by_time(parent regclass, time_column name,
                                        every interval DEFAULT '1 day', premake integer DEFAULT 3,
                                        retain interval DEFAULT NULL, cluster_by name[] DEFAULT '{}',
                                        lateness interval DEFAULT '1 hour')
RETURNS integer
LANGUAGE plpgsql AS $$
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
  PERFORM pulse._check_every(every, typ = 'date'::regtype);
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

  INSERT INTO pulse.managed_tables AS m (parent, time_column, every, premake, retain, cluster_by, lateness, builtin)
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
    EXECUTE format('CREATE INDEX ON %s (%s)', parent, idx_cols);
  END IF;

  now_slot := pulse._slot_start(now(), every);
  created := pulse._create_partitions(parent, now_slot,
                                      pulse._slot_next(now_slot, every * (premake + 1)));
  RETURN created;
END $$;
COMMENT ON FUNCTION pulse.partition_by_time(regclass, name, interval, integer, interval, name[], interval) IS
  'Registers a table partitioned by range on a time column with Pulse maintenance and creates partitions from the current UTC period to premake periods ahead; returns how many were created';

-- Builds a copy of a sealed partition in (cluster_by..., time) order, with
-- the partition's indexes and bound constraint, ready to be swapped in.
-- Writers of that partition wait (SHARE lock) so no row can be missed;
-- readers are not blocked. Returns NULL when the partition is busy.
CREATE FUNCTION pulse._cluster_prepare(t pulse.managed_tables, part regclass) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
  nsp name;
  rel name;
  opts text[];
  spc name;
  copy_name text;
  copy regclass;
  cols text;
  order_cols text;
  ix record;
  prefix text;
  def text;
BEGIN
  IF NOT pulse._lock_polling(part, 'SHARE', '1 second') THEN
    RETURN NULL;
  END IF;
  SELECT n.nspname, c.relname, c.reloptions, ts.spcname INTO nsp, rel, opts, spc
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
   WHERE c.oid = part;
  copy_name := left(rel, 40) || '_pulse_' || part::oid;
  EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE'
                 ' INCLUDING COMPRESSION INCLUDING GENERATED)%s%s',
                 nsp, copy_name, part,
                 CASE WHEN opts IS NULL THEN '' ELSE format(' WITH (%s)', array_to_string(opts, ', ')) END,
                 CASE WHEN spc IS NULL THEN '' ELSE format(' TABLESPACE %I', spc) END);
  copy := format('%I.%I', nsp, copy_name)::regclass;
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
    FROM pg_attribute a WHERE a.attrelid = part AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
  SELECT string_agg(quote_ident(c), ', ' ORDER BY ord) INTO order_cols
    FROM unnest(t.cluster_by || t.time_column) WITH ORDINALITY o(c, ord);
  EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s ORDER BY %s', copy, cols, cols, part, order_cols);
  -- Lets ATTACH PARTITION skip its validation scan under the strong lock.
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT pulse_partition_bound CHECK (%s)',
                 copy, pg_get_partition_constraintdef(part));
  FOR ix IN
    SELECT i.indexrelid, ic.relname AS idxname, i.indisunique, con.oid AS conoid
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = part
                                 AND con.contype IN ('p', 'u', 'x')
     WHERE i.indrelid = part ORDER BY i.indexrelid
  LOOP
    IF ix.conoid IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', copy, 'pulse_tmp_' || ix.indexrelid,
                     pg_get_constraintdef(ix.conoid));
    ELSE
      def := pg_get_indexdef(ix.indexrelid);
      prefix := format('CREATE %sINDEX %I ON %I.%I ', CASE WHEN ix.indisunique THEN 'UNIQUE ' ELSE '' END,
                       ix.idxname, nsp, rel);
      IF NOT starts_with(def, prefix) THEN
        RAISE EXCEPTION 'cannot rebuild index % of %: unexpected definition', ix.idxname, part;
      END IF;
      EXECUTE format('CREATE %sINDEX %I ON %s ', CASE WHEN ix.indisunique THEN 'UNIQUE ' ELSE '' END,
                     'pulse_tmp_' || ix.indexrelid, copy) || substr(def, length(prefix) + 1);
    END IF;
  END LOOP;
  EXECUTE format('ANALYZE %s', copy);
  RETURN copy;
END $$;

-- Swaps the sorted copy in for the partition. The caller holds the parent's
-- ACCESS EXCLUSIVE lock; everything here is catalog work, no data is moved.
CREATE FUNCTION pulse._cluster_swap(t pulse.managed_tables, part regclass, copy regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  bound text;
  nsp name;
  rel name;
  owner name;
  names text[];
  k integer;
BEGIN
  IF NOT pulse._lock_polling(part, 'ACCESS EXCLUSIVE', '1 second') THEN
    RETURN false;
  END IF;
  SELECT pg_get_expr(c.relpartbound, c.oid), n.nspname, c.relname, pg_get_userbyid(c.relowner)
    INTO bound, nsp, rel, owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = part;
  EXECUTE format('ALTER TABLE %s OWNER TO %I', copy, owner);
  EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', t.parent, part);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', t.parent, copy, bound);
  SELECT coalesce(array_agg(ARRAY['pulse_tmp_' || i.indexrelid, ic.relname::text]), '{}') INTO names
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = part;
  EXECUTE format('DROP TABLE %s', part);
  DELETE FROM pulse.clustered_partitions cp WHERE cp.partition::oid = part::oid;
  EXECUTE format('ALTER TABLE %s DROP CONSTRAINT pulse_partition_bound', copy);
  EXECUTE format('ALTER TABLE %s RENAME TO %I', copy, rel);
  FOR k IN 1..coalesce(array_length(names, 1), 0) LOOP
    IF to_regclass(format('%I.%I', nsp, names[k][1])) IS NOT NULL THEN
      EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', nsp, names[k][1], names[k][2]);
    END IF;
  END LOOP;
  INSERT INTO pulse.clustered_partitions (partition, parent) VALUES (copy, t.parent);
  RETURN true;
END $$;

CREATE FUNCTION pulse._run_maintenance(only_parent regclass)
RETURNS TABLE(parent regclass, created integer, dropped integer, clustered integer, note text)
LANGUAGE plpgsql AS $$
DECLARE
  t pulse.managed_tables;
  tables pulse.managed_tables[];
  busy regclass[] := '{}';
  pend_part regclass[] := '{}';
  pend_copy regclass[] := '{}';
  pend_parent regclass[] := '{}';
  p record;
  copy regclass;
  now_slot timestamptz;
  premake_until timestamptz;
  cutoff timestamptz;
  k integer;
  msg text;
  problems text;
BEGIN
  IF only_parent IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM pulse.managed_tables m WHERE m.parent = only_parent) THEN
    RAISE EXCEPTION 'table % is not managed by pulse', only_parent
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- Forget tables and partitions that no longer exist.
  -- (SKIP LOCKED: a concurrent run may be deleting the same rows; never wait.)
  DELETE FROM pulse.managed_tables WHERE ctid IN (
    SELECT m.ctid FROM pulse.managed_tables m
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = m.parent::oid) FOR UPDATE SKIP LOCKED);
  DELETE FROM pulse.clustered_partitions WHERE ctid IN (
    SELECT cp.ctid FROM pulse.clustered_partitions cp
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = cp.partition::oid) FOR UPDATE SKIP LOCKED);
  -- One order for every run: by table OID.
  SELECT coalesce(array_agg(m ORDER BY m.parent::oid), '{}') INTO tables
    FROM pulse.managed_tables m
   WHERE (only_parent IS NULL OR m.parent = only_parent)
     AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = m.parent::oid);

  -- Phase 1: the slow part, sorted copies of sealed partitions, while only
  -- writers of those partitions wait.
  FOREACH t IN ARRAY tables LOOP
    IF NOT pg_try_advisory_xact_lock(pulse._lock_key(t.parent)) THEN
      busy := busy || t.parent;
      CONTINUE;
    END IF;
    -- A partition that other tables' foreign keys point into cannot be
    -- detached while referenced: such tables are not clustered.
    CONTINUE WHEN EXISTS (SELECT 1 FROM pg_constraint con
                           WHERE con.contype = 'f' AND con.confrelid = t.parent::oid);
    FOR p IN
      SELECT x.part, x.range FROM pulse._partitions_of(t.parent) x
        JOIN pg_class c ON c.oid = x.part AND c.relkind = 'r'
       WHERE upper(x.range) <= now() - t.lateness
         AND (t.retain IS NULL OR upper(x.range) > now() - t.retain)
         AND NOT EXISTS (SELECT 1 FROM pulse.clustered_partitions cp WHERE cp.partition::oid = x.part::oid)
       ORDER BY lower(x.range)
    LOOP
      BEGIN
        copy := pulse._cluster_prepare(t, p.part);
        IF copy IS NOT NULL THEN
          pend_part := pend_part || p.part;
          pend_copy := pend_copy || copy;
          pend_parent := pend_parent || t.parent;
        END IF;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        RAISE WARNING 'pulse: could not cluster %: %', p.part, msg;
      END;
    END LOOP;
  END LOOP;

  -- Phase 2: short catalog work under the parent's lock, table by table.
  FOREACH t IN ARRAY tables LOOP
    parent := t.parent;
    created := 0; dropped := 0; clustered := 0; note := 'ok'; problems := NULL;
    IF t.parent = ANY (busy) THEN
      note := 'skipped: another maintenance or backfill holds this table';
      RETURN NEXT;
      CONTINUE;
    END IF;
    now_slot := pulse._slot_start(now(), t.every);
    premake_until := pulse._slot_next(now_slot, t.every * (t.premake + 1));
    cutoff := CASE WHEN t.retain IS NULL THEN NULL ELSE now() - t.retain END;
    -- Nothing to swap, drop or create: leave the table alone (no lock).
    IF NOT t.parent = ANY (pend_parent)
       AND NOT EXISTS (SELECT 1 FROM pulse._partitions_of(t.parent) x WHERE upper(x.range) <= cutoff)
       AND pulse._create_partitions(t.parent, now_slot, premake_until, dry_run => true) = 0 THEN
      RETURN NEXT;
      CONTINUE;
    END IF;
    BEGIN
      IF NOT pulse._lock_polling(t.parent, 'ACCESS EXCLUSIVE') THEN
        note := 'deferred: table busy, will retry';
        FOR k IN 1..coalesce(cardinality(pend_part), 0) LOOP
          IF pend_parent[k] = t.parent THEN
            EXECUTE format('DROP TABLE %s', pend_copy[k]);
          END IF;
        END LOOP;
        RETURN NEXT;
        CONTINUE;
      END IF;
      FOR k IN 1..coalesce(cardinality(pend_part), 0) LOOP
        CONTINUE WHEN pend_parent[k] <> t.parent;
        IF pulse._cluster_swap(t, pend_part[k], pend_copy[k]) THEN
          clustered := clustered + 1;
        ELSE
          EXECUTE format('DROP TABLE %s', pend_copy[k]);
          problems := 'some partitions busy, clustering deferred';
        END IF;
      END LOOP;
      IF cutoff IS NOT NULL THEN
        FOR p IN SELECT x.part FROM pulse._partitions_of(t.parent) x
                  WHERE upper(x.range) <= cutoff ORDER BY lower(x.range) LOOP
          IF pulse._lock_polling(p.part, 'ACCESS EXCLUSIVE', '1 second') THEN
            EXECUTE format('DROP TABLE %s', p.part);
            DELETE FROM pulse.clustered_partitions cp WHERE cp.partition::oid = p.part::oid;
            dropped := dropped + 1;
          ELSE
            problems := 'some expired partitions busy, drop deferred';
          END IF;
        END LOOP;
      END IF;
      created := pulse._create_partitions(t.parent, now_slot, premake_until, true);
      note := coalesce(problems, 'ok');
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
      RAISE WARNING 'pulse: maintenance of % failed: %', t.parent, msg;
      -- the sorted copies of phase 1 are outside this block: drop them too
      FOR k IN 1..coalesce(cardinality(pend_part), 0) LOOP
        IF pend_parent[k] = t.parent AND to_regclass(pend_copy[k]::text) IS NOT NULL THEN
          EXECUTE format('DROP TABLE %s', pend_copy[k]);
        END IF;
      END LOOP;
      created := 0; dropped := 0; clustered := 0;
      note := 'error: ' || msg;
    END;
    RETURN NEXT;
  END LOOP;
END $$;
-- SQL wrapper: PL/pgSQL cannot name an argument like a result column.
CREATE FUNCTION pulse.run_maintenance(parent regclass DEFAULT NULL)
RETURNS TABLE(parent regclass, created integer, dropped integer, clustered integer, note text)
LANGUAGE sql VOLATILE AS 'SELECT * FROM pulse._run_maintenance($1)';
COMMENT ON FUNCTION pulse.run_maintenance(regclass) IS
  'Maintains one managed table (or all): premakes partitions from the clock, drops partitions wholly older than retain, rewrites sealed partitions in cluster order once; returns what it did per table. Safe to schedule with pg_cron.';

CREATE VIEW pulse.partitions AS
SELECT m.parent,
       x.part AS partition,
       x.range,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       pg_total_relation_size(x.part) AS bytes,
       coalesce(upper(x.range) <= now() - m.lateness, false) AS sealed,
       EXISTS (SELECT 1 FROM pulse.clustered_partitions cp WHERE cp.partition::oid = x.part::oid) AS clustered
  FROM pulse.managed_tables m
 CROSS JOIN LATERAL pulse._partitions_of(m.parent) x
  JOIN pg_class c ON c.oid = x.part;
COMMENT ON VIEW pulse.partitions IS 'Partitions of the managed tables: time range (UTC), row estimate, total bytes, whether sealed (older than now() - lateness) and clustered';

REVOKE EXECUTE ON FUNCTION pulse.partition_by_time(regclass, name, interval, integer, interval, name[], interval),
                           pulse.run_maintenance(regclass),
                           pulse._run_maintenance(regclass),
                           pulse.ensure_partitions(regclass, timestamptz, timestamptz),
                           pulse._create_partitions(regclass, timestamptz, timestamptz, boolean, boolean),
                           pulse._cluster_prepare(pulse.managed_tables, regclass),
                           pulse._cluster_swap(pulse.managed_tables, regclass, regclass),
                           pulse._lock_polling(regclass, text, interval)
  FROM PUBLIC;

-- The built-in tables are managed like any other.
SELECT pulse.partition_by_time('pulse.tweets', 'created_at');
SELECT pulse.partition_by_time('pulse.candles', 'bucket_start', cluster_by => '{exchange,market}');
SELECT pulse.partition_by_time('pulse.landing', 'received_at', retain => '7 days');

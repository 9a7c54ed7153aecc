-- Creating partitions (SPEC "pulse.partition_by_time", "ensure_partitions"):
-- which slots a range or a batch needs, their names, and their creation
-- under the table's advisory lock; registration of a table.

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

-- The slots that hold the given times (UTC hours: every width is whole
-- hours aligned to UTC, so an hour lies in one slot), and only those: a batch
-- with a row from 2006 and one from today needs two partitions, not the
-- days between. A time in a slot retention already dropped is refused with
-- the reason, not left to fail as "no partition of relation found for row".
CREATE OR REPLACE FUNCTION pulse_internal.slots_holding(t pulse_internal.managed_tables, hours timestamptz[])
RETURNS tstzrange[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  todo tstzrange[];
  oldest timestamptz;
  w record := pulse_internal.check_every(t.every);
BEGIN
  -- (slot_start's own rule for widths without months, inline: a batch has
  -- up to hundreds of hours, and a PL/pgSQL call each adds up)
  SELECT coalesce(array_agg(DISTINCT tstzrange(x.s, pulse_internal.slot_next(x.s, t.every), '[)')), '{}')
    INTO todo
    FROM (SELECT DISTINCT CASE WHEN w.months = 0 THEN date_bin(t.every, h, timestamptz '2000-01-03 00:00:00+00')
                               ELSE pulse_internal.slot_start(h, t.every) END AS s
            FROM unnest(hours) AS h
           WHERE isfinite(h)) AS x;
  IF cardinality(todo) > 10000 THEN
    RAISE EXCEPTION 'the batch needs % partitions of % (at most 10000)', cardinality(todo), t.every
      USING ERRCODE = 'program_limit_exceeded';
  END IF;
  IF t.retain IS NOT NULL THEN
    SELECT min(lower(r)) INTO oldest FROM unnest(todo) AS r WHERE upper(r) <= now() - t.retain;
    IF oldest IS NOT NULL THEN
      RAISE EXCEPTION 'rows of % from % are older than its retention (retain %), whose partitions are dropped',
                      t.parent, oldest, t.retain
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Leave such rows out, or lengthen retain with pulse.partition_by_time.';
    END IF;
  END IF;
  RETURN todo;
END $$;

-- A free name for the partition of `slot` (or of the part of a slot that an
-- existing, unaligned partition leaves uncovered): the parent's name, cut
-- to fit, with the start of the range, and a counter if that is taken.
CREATE OR REPLACE FUNCTION pulse_internal.partition_name(nsp name, rel name, slot tstzrange, every interval)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  w record := pulse_internal.check_every(every);
  suffix text := to_char(lower(slot) AT TIME ZONE 'UTC',
                         CASE WHEN lower(slot) <> pulse_internal.slot_start(lower(slot), every) THEN 'YYYYMMDD"_"HH24MISS'
                              WHEN w.months > 0 THEN 'YYYYMM'
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

-- Whether each slot already is a partition of its own, found the cheap way:
-- by the name create_slots gives a slot (see partition_name), then checked
-- against that partition's bound. A batch whose partitions exist (the usual
-- case) then reads a few catalog rows through their indexes instead of
-- every partition's bound. A slot covered some other way (a partition made
-- by hand, under another name or on other bounds) answers false, and
-- missing_ranges decides. Only reads: a partition another session is making
-- and has not committed is not seen, and create_slots then waits for it.
CREATE OR REPLACE FUNCTION pulse_internal.slots_present(parent regclass, every interval, slots tstzrange[])
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  w record := pulse_internal.check_every(every);
  fmt text := CASE WHEN w.months > 0 THEN 'YYYYMM' WHEN w.seconds % 86400 = 0 THEN 'YYYYMMDD' ELSE 'YYYYMMDD"_"HH24' END;
  pname text;
  pns oid;
BEGIN
  SELECT pc.relname, pc.relnamespace INTO pname, pns FROM pg_class pc WHERE pc.oid = parent;
  -- The name and schema are values here, so each slot is one look-up in
  -- pg_class's (relname, relnamespace) index (with them in a join, the
  -- planner may walk every partition of the parent for each slot instead).
  RETURN NOT EXISTS (
    SELECT FROM unnest(slots) AS s(r)
     CROSS JOIN LATERAL (SELECT to_char(lower(s.r) AT TIME ZONE 'UTC', fmt) AS suffix) AS x
     WHERE NOT EXISTS (
       SELECT FROM pg_class c
         JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = parent
        WHERE c.relnamespace = pns AND c.relname = left(pname, 61 - length(x.suffix)) || '_p' || x.suffix
          AND pulse_internal.partition_range(c.oid::regclass) = s.r));
END $$;

-- What the slots still need: each slot less the existing partitions that
-- overlap it (usually the whole slot or nothing; around a partition made by
-- hand on other boundaries, the pieces it leaves uncovered).
CREATE OR REPLACE FUNCTION pulse_internal.missing_ranges(parent regclass, slots tstzrange[])
RETURNS tstzrange[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(array_agg(piece ORDER BY lower(piece)), '{}')
    FROM (SELECT unnest(multirange(s.r) - coalesce(range_agg(p.range), '{}'::tstzmultirange)) AS piece
            FROM unnest(slots) AS s(r)
            LEFT JOIN pulse_internal.partitions_of(parent) p ON p.range && s.r
           GROUP BY s.r) AS x
   WHERE NOT isempty(piece)
$$;

-- Creates the partitions the slots still need. `nowait` is for maintenance
-- (never queue for the parent's lock); backfills wait normally. `dry_run`
-- only counts them, without any lock.
CREATE OR REPLACE FUNCTION pulse_internal.create_slots(t pulse_internal.managed_tables, slots tstzrange[],
                                                       nowait boolean DEFAULT false, dry_run boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  typ regtype;
  nsp name;
  rel name;
  owner name;
  todo tstzrange[];
  piece tstzrange;
  pname text;
  names text[] := '{}';
  stmts text[] := '{}';
BEGIN
  IF cardinality(slots) = 0 OR pulse_internal.slots_present(t.parent, t.every, slots) THEN
    RETURN 0;
  END IF;
  todo := pulse_internal.missing_ranges(t.parent, slots);
  IF cardinality(todo) = 0 OR dry_run THEN
    RETURN cardinality(todo);
  END IF;
  -- Serialize creators of this table's partitions, then look again.
  IF nowait THEN
    IF NOT pg_try_advisory_xact_lock(pulse_internal.lock_key(t.parent)) THEN
      RETURN 0;
    END IF;
    IF NOT pulse_internal.lock_polling(t.parent, 'ACCESS EXCLUSIVE') THEN
      RAISE EXCEPTION 'could not lock % to create partitions', t.parent USING ERRCODE = 'lock_not_available';
    END IF;
  ELSE
    PERFORM pg_advisory_xact_lock(pulse_internal.lock_key(t.parent));
  END IF;
  todo := pulse_internal.missing_ranges(t.parent, slots);
  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
   WHERE a.attrelid = t.parent AND a.attname = t.time_column;
  SELECT n2.nspname, c.relname, pg_get_userbyid(c.relowner) INTO nsp, rel, owner
    FROM pg_class c JOIN pg_namespace n2 ON n2.oid = c.relnamespace WHERE c.oid = t.parent;
  -- Made by the parent's owner (through as_owner): creating a partition
  -- copies the parent's indexes, and PostgreSQL may evaluate the owner's
  -- functions in them (constant folding) while it does.
  FOREACH piece IN ARRAY todo LOOP
    pname := pulse_internal.partition_name(nsp, rel, piece, t.every);
    names := names || pname;
    stmts := stmts || format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                             nsp, pname, t.parent,
                             pulse_internal.bound_literal(lower(piece), typ), pulse_internal.bound_literal(upper(piece), typ));
    -- A partition of a built-in table made later has the table's grants, as
    -- those made at install had from 90_privileges (a reader of pulse.tweets
    -- may read its partitions, and no one more). A user's table keeps
    -- PostgreSQL's rule: partitions have their own grants, none by default.
    IF t.builtin THEN
      stmts := stmts || ARRAY(
        SELECT format('GRANT %s ON %I.%I TO %s', a.privilege_type, nsp, pname,
                      CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = t.parent AND a.grantee <> c.relowner);
    END IF;
  END LOOP;
  IF NOT has_schema_privilege(owner, nsp, 'CREATE') THEN
    RAISE EXCEPTION 'the owner of % (%) may not create tables in schema %, so its partitions cannot be made', t.parent, owner, nsp
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('GRANT CREATE ON SCHEMA %I TO %I', nsp, owner);
  END IF;
  PERFORM pulse_internal.as_owner(t.parent, stmts);
  FOREACH pname IN ARRAY names LOOP
    -- Partitions made while CREATE EXTENSION runs would become extension
    -- members, which pg_dump skips with their data: keep them ordinary tables.
    IF EXISTS (SELECT 1 FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = format('%I.%I', nsp, pname)::regclass
                  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
      EXECUTE format('ALTER EXTENSION pulse DROP TABLE %I.%I', nsp, pname);
    END IF;
  END LOOP;
  RETURN cardinality(todo);
END $$;

-- The registry row of a managed table, or a clear error.
CREATE OR REPLACE FUNCTION pulse_internal.managed(parent regclass)
RETURNS pulse_internal.managed_tables
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables;
BEGIN
  SELECT * INTO t FROM pulse_internal.managed_tables m WHERE m.parent = managed.parent;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not managed by pulse', parent
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Register it first with pulse.partition_by_time().';
  END IF;
  RETURN t;
END $$;

-- The oldest time a managed table's retention keeps: the start of the slot
-- that holds now() - retain ('-infinity' without retention). Loaders reject
-- rows before it rather than load them into a partition about to be dropped
-- (or fail for want of one).
CREATE OR REPLACE FUNCTION pulse_internal.retention_floor(parent regclass)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables := pulse_internal.managed(parent);
BEGIN
  RETURN CASE WHEN t.retain IS NULL THEN '-infinity'
              ELSE pulse_internal.slot_start(now() - t.retain, t.every) END;
END $$;

-- Creates the missing partitions covering [from, until) (backfills, premake).
CREATE OR REPLACE FUNCTION pulse_internal.create_partitions(parent regclass, from_ts timestamptz, until_ts timestamptz,
                                         nowait boolean DEFAULT false, dry_run boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables := pulse_internal.managed(parent);
BEGIN
  RETURN pulse_internal.create_slots(t, pulse_internal.partition_slots(t, from_ts, until_ts), nowait, dry_run);
END $$;

-- Creates the missing partitions that rows at these times need (a batch).
CREATE OR REPLACE FUNCTION pulse_internal.create_partitions_at(parent regclass, hours timestamptz[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables := pulse_internal.managed(parent);
BEGIN
  RETURN pulse_internal.create_slots(t, pulse_internal.slots_holding(t, hours));
END $$;

CREATE OR REPLACE FUNCTION pulse.ensure_partitions(parent regclass, "from" timestamptz, "until" timestamptz)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables;
  slots tstzrange[];
  missing integer;
BEGIN
  IF parent IS NULL THEN
    RAISE EXCEPTION 'parent must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  parent := pulse_internal.storage_of(parent);
  -- Runs as the extension owner so that loaders may create the partitions of
  -- tables they write: require the right to insert into the table. Checked
  -- for session_user (here current_user is the owner): a SET ROLE never gets
  -- more than its login role already has. (Inserting rows may be granted
  -- on some columns only, as on pulse_internal.landing_chunks.)
  IF pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = parent), 'USAGE') THEN
    RETURN pulse_internal.create_partitions(parent, "from", "until");
  END IF;
  IF NOT has_any_column_privilege(session_user, parent, 'INSERT') THEN
    RAISE EXCEPTION 'permission denied to create partitions of %', parent
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A writer that is not the owner: what loading needs, within bounds.
  t := pulse_internal.managed(parent);
  slots := pulse_internal.partition_slots(t, "from", "until");
  IF (SELECT max(upper(r)) FROM unnest(slots) r) > pulse_internal.slot_next(pulse_internal.slot_start(now(), t.every), t.every * (t.premake + 1)) THEN
    RAISE EXCEPTION 'pulse.ensure_partitions: % reaches past the premade horizon of % (% periods of %)', "until", parent, t.premake, t.every
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Future partitions are made by maintenance; the table''s owner may create them with ensure_partitions.';
  END IF;
  missing := pulse_internal.create_slots(t, slots, dry_run => true);
  IF missing > 366 THEN
    RAISE EXCEPTION 'pulse.ensure_partitions: % .. % would create % partitions of % (a role that does not own it may create at most 366 at a time)',
                    "from", "until", missing, parent
      USING ERRCODE = 'program_limit_exceeded', HINT = 'Ask the table''s owner, or ask for a shorter range.';
  END IF;
  RETURN pulse_internal.create_slots(t, slots);
END $$;
COMMENT ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) IS
  'Creates the missing partitions of a managed table covering [from, until) (for backfills), never one wholly older than its retention; returns how many were created';

-- Checks the arguments of pulse.partition_by_time; returns the time column's type.
CREATE OR REPLACE FUNCTION pulse_internal.check_registration(parent regclass, time_column name, every interval,
  premake integer, retain interval, cluster_by name[], lateness interval)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  strategy "char";
  keys int2vector;
  typ regtype;
  col name;
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
  -- A partition would be dropped before it is sealed and clustered, and rows
  -- still on time would land in a partition about to expire.
  IF retain < lateness THEN
    RAISE EXCEPTION 'retain (%) must not be shorter than lateness (%)', retain, lateness
      USING ERRCODE = 'invalid_parameter_value';
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

  RETURN typ;
END $$;

CREATE OR REPLACE FUNCTION pulse.partition_by_time(parent regclass, time_column name,
                                        every interval DEFAULT '1 day', premake integer DEFAULT 3,
                                        retain interval DEFAULT NULL, cluster_by name[] DEFAULT '{}',
                                        lateness interval DEFAULT '1 hour')
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  idx_cols text;
  now_slot timestamptz;
BEGIN
  PERFORM pulse_internal.check_registration(parent, time_column, every, premake, retain, cluster_by, lateness);
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
    idx_cols := pulse_internal.ident_list(cluster_by || time_column);
    -- Building it runs the column types' operators: the owner's code, as the owner.
    PERFORM pulse_internal.as_owner(parent, ARRAY[format('CREATE INDEX ON %s (%s)', parent, idx_cols)]);
  END IF;

  now_slot := pulse_internal.slot_start(now(), every);
  RETURN pulse_internal.create_partitions(parent, now_slot, pulse_internal.slot_next(now_slot, every * (premake + 1)));
END $$;
COMMENT ON FUNCTION pulse.partition_by_time(regclass, name, interval, integer, interval, name[], interval) IS
  'Registers a table partitioned by range on a time column with Pulse maintenance and creates partitions from the current UTC period to premake periods ahead; returns how many were created';


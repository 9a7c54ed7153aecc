-- pulse: the extension's install script, assembled by Makefile.pgxs from
-- sql/parts/*.sql in name order into pulse--<version>.sql.
\echo Use "CREATE EXTENSION pulse" to load this file. \quit
-- Built-in tables (SPEC "Built-in tables"). Time-partitioned parents; the
-- partitions themselves are created and maintained by the partitioning code.

CREATE TABLE pulse.tweets (
  id            bigint      NOT NULL,
  created_at    timestamptz NOT NULL,
  author_id     bigint,
  text          text,
  lang          text,
  hashtags      text[]      NOT NULL DEFAULT '{}',
  cashtags      text[]      NOT NULL DEFAULT '{}',
  mentions      text[]      NOT NULL DEFAULT '{}',
  is_retweet    boolean     NOT NULL DEFAULT false,
  retweeted_id  bigint,
  retweet_count integer,
  like_count    integer,
  reply_count   integer,
  quote_count   integer,
  matched_rules text[]      NOT NULL DEFAULT '{}',
  observed_at   timestamptz NOT NULL DEFAULT now(),
  ingested_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE pulse.tweets IS 'One row per tweet id, projected from landing records of formats twitter_v2 and twitter_v1';

CREATE TABLE pulse.candles (
  exchange     text        NOT NULL,
  market       text        NOT NULL,
  period       interval    NOT NULL DEFAULT '1 minute',
  bucket_start timestamptz NOT NULL,
  open         numeric,
  high         numeric,
  low          numeric,
  close        numeric,
  volume       numeric,
  quote_volume numeric,
  observed_at  timestamptz NOT NULL,
  ingested_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exchange, market, period, bucket_start)
) PARTITION BY RANGE (bucket_start);
COMMENT ON TABLE pulse.candles IS 'Exchange candles; prices and volumes are the exact decimals the API printed; observed_at is the merge version';

CREATE TABLE pulse.landing (
  stream      text        NOT NULL,
  format      text        NOT NULL,
  batch_id    bigint      NOT NULL,
  seq         integer     NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payload     jsonb       NOT NULL
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE pulse.landing IS 'Raw records exactly as received, per stream and batch; kept 7 days by default';

CREATE TABLE pulse.rejects (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  stream      text        NOT NULL,
  batch_id    bigint,
  format      text,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  raw         bytea       NOT NULL,
  reason      text        NOT NULL,
  PRIMARY KEY (id)
);
COMMENT ON TABLE pulse.rejects IS 'Every record a loader received but could not use: the bytes as received and the reason';

CREATE TABLE pulse.checkpoints (
  stream     text        PRIMARY KEY,
  position   jsonb       NOT NULL,
  batch_id   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pulse.checkpoints IS 'Per stream, the source position to resume from and the last applied batch';
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
-- Idempotent merge (SPEC "Idempotent merge"): upserts a batch into any table by
-- key, keeping the greatest version, and writes nothing for rows that would not
-- change, so a batch can be applied any number of times, in any order.
--
-- Why PL/pgSQL and not C++: the work is one INSERT ... ON CONFLICT built from
-- catalog look-ups; PostgreSQL's executor does the heavy lifting and its
-- speculative insertion is what makes concurrent merges safe.
--
-- The search_path is pinned so that no object of the caller's (a function, an
-- operator) can stand in for a catalog one; the function still runs with the
-- caller's rights. Every operator we generate is schema-qualified anyway.

-- The `op` operator (by name) that works on values of type `typ`, as
-- OPERATOR(schema.op) text: pg_catalog's when the type (or its base type) is a
-- built-in one, else the one declared next to the type (an extension type such
-- as citext). NULL when there is none.
CREATE FUNCTION pulse._merge_operator(typ regtype, op text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH RECURSIVE base(oid, depth) AS (
    SELECT typ::oid, 0
    UNION ALL
    SELECT t.typbasetype, b.depth + 1
      FROM base b JOIN pg_type t ON t.oid = b.oid
     WHERE t.typtype = 'd'
  )
  SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname)
    FROM base b
    JOIN pg_operator o ON o.oprname = op AND o.oprleft = b.oid AND o.oprright = b.oid
    JOIN pg_namespace n ON n.oid = o.oprnamespace
   ORDER BY b.depth DESC, (n.nspname = 'pg_catalog') DESC
   LIMIT 1
$$;
COMMENT ON FUNCTION pulse._merge_operator(regtype, text) IS
  'Internal to pulse.merge: the schema-qualified operator to compare values of a type';

-- The time column of a managed table (NULL if the table is not managed). A
-- merge needs it whoever calls it, and the registry itself is not readable
-- by every role, so this one fact is read with the extension owner's rights.
CREATE FUNCTION pulse._managed_time_column(parent regclass)
RETURNS name
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.time_column FROM pulse.managed_tables m WHERE m.parent = $1
$$;
COMMENT ON FUNCTION pulse._managed_time_column(regclass) IS
  'Internal to pulse.merge: the time column of a table registered with pulse.partition_by_time, else NULL';

CREATE FUNCTION pulse.merge(target regclass, source regclass, key name[], version name DEFAULT NULL)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- The per-row index probes make the planner's cost estimate large (it cannot
-- count on run-time partition pruning), which triggers JIT compilation that
-- costs more than the whole merge of a typical batch (measured: 0.6 s of
-- 0.85 s for a 100k-row no-op merge).
SET jit = off
AS $fn$
DECLARE
  t_kind "char";
  s_kind "char";
  t_name text;                 -- quoted, schema-qualified
  s_name text;
  s_cols name[];               -- source columns, in source order
  k_cols name[];               -- key columns, in the unique index's order
  nk_cols name[];              -- source columns that are not key columns
  col name;
  t_type oid;
  t_gen "char";
  cast_to text[] := '{}';      -- per source column: its target type, no typmod
  idx oid;
  idx_keys int2[];
  key_attnums int2[] := '{}';
  part_cols text;
  v_type oid;
  v_le text;                   -- OPERATOR(schema.<=) for the version type
  k_eq text[] := '{}';         -- OPERATOR(schema.=) per key column
  time_col name;
  time_expr text;              -- format() pattern: a time column value as timestamptz
  n_rows bigint;
  n_keys bigint;
  has_null_key boolean;
  has_dups boolean;
  t_min timestamptz;
  t_max timestamptz;
  bad_key text;
  q text;
  sel_cols text;
  key_list text;
  src_q text;
  probe_cond text;
  apply_cond text;
  conflict_action text;
  n_ins bigint;
  n_upd bigint;
  i int;
  msg text;
  n_written bigint;
  leaf oid;
  tids tid[];
  written text[];              -- 2-D: ctids, then each key column, as text
BEGIN
  -- Arguments.
  IF target IS NULL OR source IS NULL OR key IS NULL THEN
    RAISE EXCEPTION 'pulse.merge: target, source and key must not be NULL'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF cardinality(key) = 0 THEN
    RAISE EXCEPTION 'pulse.merge: key must name at least one column'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF array_position(key, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'pulse.merge: key must not contain NULL'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF (SELECT count(DISTINCT k) FROM unnest(key) AS k) <> cardinality(key) THEN
    RAISE EXCEPTION 'pulse.merge: key % names a column twice', key
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF version = ANY (key) THEN
    RAISE EXCEPTION 'pulse.merge: version column % must not be part of the key', quote_ident(version)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- Relations. A regclass can outlive its table (a stored OID), so look again.
  SELECT c.relkind, format('%I.%I', n.nspname, c.relname) INTO t_kind, t_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = target;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'pulse.merge: target relation with OID % does not exist', target::oid
      USING ERRCODE = 'undefined_table';
  END IF;
  IF t_kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'pulse.merge: target % is not a table', t_name
      USING ERRCODE = 'wrong_object_type';
  END IF;
  SELECT c.relkind, format('%I.%I', n.nspname, c.relname) INTO s_kind, s_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = source;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'pulse.merge: source relation with OID % does not exist', source::oid
      USING ERRCODE = 'undefined_table';
  END IF;
  IF s_kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
    RAISE EXCEPTION 'pulse.merge: source % is not a table, view or materialized view', s_name
      USING ERRCODE = 'wrong_object_type';
  END IF;

  -- Columns match by name; the source may carry a subset of the target's.
  SELECT array_agg(a.attname ORDER BY a.attnum) INTO s_cols
    FROM pg_attribute a
   WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped;
  IF s_cols IS NULL THEN
    RAISE EXCEPTION 'pulse.merge: source % has no columns', s_name
      USING ERRCODE = 'undefined_column';
  END IF;
  FOREACH col IN ARRAY s_cols LOOP
    SELECT a.atttypid, a.attgenerated INTO t_type, t_gen
      FROM pg_attribute a
     WHERE a.attrelid = target AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'pulse.merge: column % of source % does not exist in target %',
                      quote_ident(col), s_name, t_name
        USING ERRCODE = 'undefined_column';
    END IF;
    IF t_gen <> '' THEN
      RAISE EXCEPTION 'pulse.merge: column % of target % is a generated column; the source must not carry it',
                      quote_ident(col), t_name
        USING ERRCODE = 'generated_always';
    END IF;
    cast_to := cast_to || format_type(t_type, NULL);
  END LOOP;
  FOREACH col IN ARRAY key LOOP
    IF NOT col = ANY (s_cols) THEN
      RAISE EXCEPTION 'pulse.merge: key column % does not exist in source %', quote_ident(col), s_name
        USING ERRCODE = 'undefined_column';
    END IF;
  END LOOP;
  IF version IS NOT NULL THEN
    IF NOT version = ANY (s_cols) THEN
      IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = target AND a.attname = version
                                                 AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'pulse.merge: version column % does not exist in target % nor in source %',
                        quote_ident(version), t_name, s_name
          USING ERRCODE = 'undefined_column';
      END IF;
      RAISE EXCEPTION 'pulse.merge: version column % does not exist in source %', quote_ident(version), s_name
        USING ERRCODE = 'undefined_column';
    END IF;
  END IF;

  -- Types: each source column must be assignable to its target column, by
  -- PostgreSQL's own rule (can_coerce_type in assignment context). Planning
  -- an INSERT (EXPLAIN, nothing runs, no trigger fires) applies exactly that
  -- rule, domains and arrays included.
  BEGIN
    EXECUTE format('EXPLAIN (COSTS OFF) INSERT INTO %s (%s) SELECT %s FROM %s AS s', t_name,
                   (SELECT string_agg(format('%I', c), ', ' ORDER BY o) FROM unnest(s_cols) WITH ORDINALITY AS u(c, o)),
                   (SELECT string_agg(format('s.%I', c), ', ' ORDER BY o) FROM unnest(s_cols) WITH ORDINALITY AS u(c, o)),
                   s_name);
  EXCEPTION WHEN datatype_mismatch THEN
    -- Find the first offending column, to name it and both types.
    FOR i IN 1 .. cardinality(s_cols) LOOP
      BEGIN
        EXECUTE format('EXPLAIN (COSTS OFF) INSERT INTO %s (%I) SELECT s.%I FROM %s AS s',
                       t_name, s_cols[i], s_cols[i], s_name);
      EXCEPTION WHEN datatype_mismatch THEN
        RAISE EXCEPTION 'pulse.merge: column % of source % has type %, which cannot be assigned to column % of target % (type %)',
                        quote_ident(s_cols[i]), s_name,
                        (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                          WHERE a.attrelid = source AND a.attname = s_cols[i]),
                        quote_ident(s_cols[i]), t_name,
                        (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                          WHERE a.attrelid = target AND a.attname = s_cols[i])
          USING ERRCODE = 'datatype_mismatch';
      END;
    END LOOP;
    RAISE;
  END;

  -- The key must be exactly the columns of a unique index ON CONFLICT can use
  -- (not partial, not on expressions, not deferrable, valid).
  SELECT array_agg(a.attnum ORDER BY a.attnum) INTO key_attnums
    FROM pg_attribute a
   WHERE a.attrelid = target AND a.attname = ANY (key) AND a.attnum > 0 AND NOT a.attisdropped;
  SELECT ix.indexrelid, ix.indkey::int2[] INTO idx, idx_keys
    FROM pg_index ix
   WHERE ix.indrelid = target AND ix.indisunique AND ix.indimmediate AND ix.indisvalid
     AND ix.indpred IS NULL AND ix.indexprs IS NULL
     AND (SELECT array_agg(k ORDER BY k) FROM unnest((ix.indkey::int2[])[0:ix.indnkeyatts - 1]) AS k) = key_attnums
   ORDER BY ix.indisprimary DESC, ix.indexrelid
   LIMIT 1;
  IF idx IS NULL THEN
    IF t_kind = 'p' THEN
      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY p.ord) INTO part_cols
        FROM pg_partitioned_table pt
        CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY AS p(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = p.attnum
       WHERE pt.partrelid = target AND NOT a.attname = ANY (key);
    END IF;
    RAISE EXCEPTION 'pulse.merge: target % has no unique index on exactly the key (%)',
                    t_name, (SELECT string_agg(quote_ident(k), ', ') FROM unnest(key) AS k)
      USING ERRCODE = 'invalid_column_reference',
            DETAIL = CASE WHEN part_cols IS NOT NULL
                          THEN format('%s is partitioned: a unique index, and so the key, must include its partition key column(s) %s.', t_name, part_cols)
                          ELSE 'ON CONFLICT needs a unique index (or primary key) whose columns are exactly the key columns, without predicate or expressions, not deferrable.' END,
            HINT = coalesce('Usable unique keys of ' || t_name || ': ' ||
                            (SELECT string_agg(u.cols, ', ' ORDER BY u.cols)
                               FROM (SELECT '{' || string_agg(quote_ident(a.attname), ',' ORDER BY k.ord) || '}' AS cols
                                       FROM pg_index ix
                                       CROSS JOIN LATERAL unnest((ix.indkey::int2[])[0:ix.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
                                       JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
                                      WHERE ix.indrelid = target AND ix.indisunique AND ix.indimmediate AND ix.indisvalid
                                        AND ix.indpred IS NULL AND ix.indexprs IS NULL
                                      GROUP BY ix.indexrelid) AS u) || '.',
                            'Create a unique index or primary key on the key columns.');
  END IF;

  -- Key columns in the index's order (deterministic insert order whatever the
  -- order of `key`: two merges lock rows in the same order, no deadlock) and
  -- the index's own equality operators.
  FOR i IN 0 .. cardinality(key) - 1 LOOP
    SELECT a.attname,
           format('OPERATOR(%I.%s)', n.nspname, o.oprname)
      INTO col, msg
      FROM pg_index ix
      JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = (ix.indkey::int2[])[i]
      JOIN pg_opclass oc ON oc.oid = (ix.indclass::oid[])[i]
      JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amoplefttype = oc.opcintype
                     AND ao.amoprighttype = oc.opcintype AND ao.amopstrategy = 3
      JOIN pg_operator o ON o.oid = ao.amopopr
      JOIN pg_namespace n ON n.oid = o.oprnamespace
     WHERE ix.indexrelid = idx;
    k_cols := k_cols || col;
    k_eq := k_eq || msg;
  END LOOP;
  SELECT array_agg(c ORDER BY o) INTO nk_cols
    FROM unnest(s_cols) WITH ORDINALITY AS u(c, o) WHERE NOT u.c = ANY (key);

  IF version IS NOT NULL THEN
    SELECT a.atttypid INTO v_type FROM pg_attribute a
     WHERE a.attrelid = target AND a.attname = version AND a.attnum > 0 AND NOT a.attisdropped;
    v_le := pulse._merge_operator(v_type::regtype, '<=');
    IF v_le IS NULL THEN
      RAISE EXCEPTION 'pulse.merge: version column % has type %, which has no <= operator',
                      quote_ident(version), format_type(v_type, NULL)
        USING ERRCODE = 'undefined_function';
    END IF;
  END IF;

  -- Managed (time-partitioned) target: its time column, to create partitions.
  time_col := pulse._managed_time_column(target);
  IF time_col IS NOT NULL AND NOT time_col = ANY (s_cols) THEN
    time_col := NULL;   -- rows take the target's default: nothing to backfill from
  END IF;
  IF time_col IS NOT NULL THEN
    -- The batch's time range as timestamptz, read in the target column's
    -- type; timestamp and date columns of managed tables hold UTC
    -- wall-clock values (see 20_partitioning.sql).
    time_expr := CASE cast_to[array_position(s_cols, time_col)]
                   WHEN 'timestamp with time zone' THEN '%s'
                   WHEN 'timestamp without time zone' THEN '(%s AT TIME ZONE ''UTC'')'
                   WHEN 'date' THEN '(%s::timestamp AT TIME ZONE ''UTC'')'
                 END;
    IF time_expr IS NULL THEN
      time_col := NULL;   -- not a type partition_by_time accepts
    END IF;
  END IF;

  -- One pass over the batch: size, distinct keys, NULL keys, time range.
  key_list := (SELECT string_agg(format('src.%I', k), ', ' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o));
  q := format('SELECT count(*), coalesce(sum(g.n), 0), coalesce(bool_or(g.null_key), false), coalesce(bool_or(g.n > 1), false), %s, %s '
              'FROM (SELECT count(*) AS n, (%s) AS null_key%s FROM %s AS src GROUP BY %s) AS g',
              CASE WHEN time_col IS NULL THEN 'NULL::timestamptz' ELSE format(time_expr, 'min(g.tmin)') END,
              CASE WHEN time_col IS NULL THEN 'NULL::timestamptz' ELSE format(time_expr, 'max(g.tmax)') END,
              (SELECT string_agg(format('src.%I IS NULL', k), ' OR ') FROM unnest(k_cols) AS k),
              CASE WHEN time_col IS NULL THEN '' ELSE format(', min(src.%I::%s) AS tmin, max(src.%I::%s) AS tmax',
                                                             time_col, cast_to[array_position(s_cols, time_col)],
                                                             time_col, cast_to[array_position(s_cols, time_col)]) END,
              s_name, key_list);
  EXECUTE q INTO n_keys, n_rows, has_null_key, has_dups, t_min, t_max;
  IF n_rows = 0 THEN
    RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint;
    RETURN;
  END IF;
  IF has_null_key THEN
    RAISE EXCEPTION 'pulse.merge: source % has rows with NULL in key column(s) %', s_name,
                    (SELECT string_agg(quote_ident(k), ', ') FROM unnest(k_cols) AS k)
      USING ERRCODE = 'not_null_violation';
  END IF;

  -- Duplicate keys in the batch: the greatest version wins; rows tied for it
  -- (every row, without a version) must be identical, else the batch is
  -- ambiguous. Checked only when the batch has duplicates at all.
  sel_cols := (SELECT string_agg(format('src.%I', c), ', ' ORDER BY o) FROM unnest(s_cols) WITH ORDINALITY AS u(c, o));
  IF has_dups THEN
    EXECUTE format('SELECT min(r.k) FROM (SELECT ROW(%s)::text AS k, ROW(%s)::text AS img, %s AS rnk, %s FROM %s AS src) AS r '
                   'WHERE r.rnk = 1 GROUP BY %s HAVING count(DISTINCT r.img) > 1 LIMIT 1',
                   key_list, sel_cols,
                   CASE WHEN version IS NULL THEN '1'
                        ELSE format('rank() OVER (PARTITION BY %s ORDER BY src.%I DESC NULLS LAST)', key_list, version) END,
                   (SELECT string_agg(format('src.%I AS %I', k, '_k' || o), ', ' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o)),
                   s_name,
                   (SELECT string_agg(format('r.%I', '_k' || o), ', ' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o)))
      INTO bad_key;
    IF bad_key IS NOT NULL THEN
      RAISE EXCEPTION 'pulse.merge: source % has different rows for key (%) = %',
                      s_name, (SELECT string_agg(quote_ident(k), ', ') FROM unnest(k_cols) AS k), bad_key
        USING ERRCODE = 'cardinality_violation',
              DETAIL = CASE WHEN version IS NULL
                            THEN 'Without a version column, rows with the same key must be identical.'
                            ELSE format('They share the greatest value of version column %I.', version) END,
              HINT = 'Pass a version column that tells which row is the latest.';
    END IF;
  END IF;

  -- Backfill: create the partitions this batch needs, and only those
  -- (ensure_partitions covers [from, until), so until is just past the
  -- newest row). Infinite times fit no partition: the insert will say so.
  -- ensure_partitions is not for every role (pulse_writer has it): without
  -- it, a batch whose time range the existing partitions cover still merges,
  -- and any other is refused up front with the reason.
  IF time_col IS NOT NULL AND isfinite(t_min) AND isfinite(t_max) THEN
    IF has_function_privilege('pulse._create_partitions(regclass, timestamptz, timestamptz, boolean, boolean)', 'EXECUTE') THEN
      -- The extension's owner, and its SECURITY DEFINER ingestion functions
      -- (apply_batch merging for a pulse_writer session), may create
      -- partitions directly; ensure_partitions would check the session user.
      PERFORM pulse._create_partitions(target, t_min, t_max + interval '1 microsecond');
    ELSIF has_function_privilege('pulse.ensure_partitions(regclass, timestamptz, timestamptz)', 'EXECUTE') THEN
      PERFORM pulse.ensure_partitions(target, t_min, t_max + interval '1 microsecond');
    ELSIF NOT coalesce((SELECT range_agg(x.range) FROM pulse._partitions_of(target) AS x WHERE x.range IS NOT NULL)
                       @> tstzrange(t_min, t_max, '[]'), false) THEN
      RAISE EXCEPTION 'pulse.merge: % has no partition for part of the batch''s time range [%, %]', t_name, t_min, t_max
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Creating the partitions a batch needs takes EXECUTE on pulse.ensure_partitions (role pulse_writer has it).';
    END IF;
  END IF;

  -- The deduplicated batch, in key order.
  src_q := format('SELECT %s FROM %s AS src', sel_cols, s_name);
  IF has_dups THEN
    src_q := format('SELECT DISTINCT ON (%s) %s FROM %s AS src ORDER BY %s%s',
                    key_list, sel_cols, s_name, key_list,
                    CASE WHEN version IS NULL THEN '' ELSE format(', src.%I DESC NULLS LAST', version) END);
  END IF;

  -- Rows that would change: new keys, or a not-older version with some
  -- column differing (binary image comparison *=, so 1.0 -> 1.00 is a change
  -- and types without an equality operator work). Probing the target's unique
  -- index row by row (LIMIT 1 keeps the lateral a parameterized nested loop,
  -- with run-time partition pruning) makes the cost follow the batch, not the
  -- table; unchanged rows are filtered out here so they are not even locked.
  probe_cond := (SELECT string_agg(format('t.%I %s s.%I::%s', k_cols[j], k_eq[j], k_cols[j],
                                          cast_to[array_position(s_cols, k_cols[j])]), ' AND ')
                   FROM generate_subscripts(k_cols, 1) AS j);
  IF nk_cols IS NULL THEN
    apply_cond := 'false';
  ELSE
    apply_cond := format('NOT (ROW(%s)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(%s)::pg_catalog.record)',
                         (SELECT string_agg(format('t.%I', c), ', ' ORDER BY o) FROM unnest(nk_cols) WITH ORDINALITY AS u(c, o)),
                         (SELECT string_agg(format('s.%I::%s', c, cast_to[array_position(s_cols, c)]), ', ' ORDER BY o)
                            FROM unnest(nk_cols) WITH ORDINALITY AS u(c, o)));
    IF version IS NOT NULL THEN
      apply_cond := format('coalesce(t.%I IS NULL OR t.%I %s s.%I::%s, false) AND %s',
                           version, version, v_le, version, cast_to[array_position(s_cols, version)], apply_cond);
    END IF;
  END IF;

  IF nk_cols IS NULL THEN
    conflict_action := 'DO NOTHING';
  ELSE
    conflict_action := format('DO UPDATE SET (%s) = ROW(%s) WHERE %s%s',
      (SELECT string_agg(format('%I', c), ', ' ORDER BY o) FROM unnest(nk_cols) WITH ORDINALITY AS u(c, o)),
      (SELECT string_agg(format('excluded.%I', c), ', ' ORDER BY o) FROM unnest(nk_cols) WITH ORDINALITY AS u(c, o)),
      CASE WHEN version IS NULL THEN ''
           ELSE format('coalesce(t.%I IS NULL OR t.%I %s excluded.%I, false) AND ', version, version, v_le, version) END,
      format('NOT (ROW(%s)::pg_catalog.record OPERATOR(pg_catalog.*=) ROW(%s)::pg_catalog.record)',
             (SELECT string_agg(format('t.%I', c), ', ' ORDER BY o) FROM unnest(nk_cols) WITH ORDINALITY AS u(c, o)),
             (SELECT string_agg(format('excluded.%I', c), ', ' ORDER BY o) FROM unnest(nk_cols) WITH ORDINALITY AS u(c, o))));
  END IF;

  -- Inserted or updated: a tuple written by ON CONFLICT DO UPDATE keeps our
  -- row lock in its xmax, a fresh insert has none. A partitioned table cannot
  -- return xmax, so for it we return each written tuple's ctid and key and
  -- read xmax back in a second statement (which sees this one's writes).
  q := format(
    'INSERT INTO %s AS t (%s) '
    'SELECT %s FROM (%s) AS s '
    'LEFT JOIN LATERAL (SELECT (%s) AS apply FROM %s AS t WHERE %s LIMIT 1) AS o ON true '
    'WHERE o.apply IS NULL OR o.apply '
    'ORDER BY %s '
    'ON CONFLICT (%s) %s ',
    t_name,
    (SELECT string_agg(format('%I', c), ', ' ORDER BY o) FROM unnest(s_cols) WITH ORDINALITY AS u(c, o)),
    (SELECT string_agg(format('s.%I', c), ', ' ORDER BY o) FROM unnest(s_cols) WITH ORDINALITY AS u(c, o)),
    src_q,
    apply_cond, t_name, probe_cond,
    (SELECT string_agg(format('s.%I', k), ', ' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o)),
    (SELECT string_agg(format('%I', k), ', ' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o)),
    conflict_action);
  IF t_kind = 'r' THEN
    EXECUTE 'WITH w AS (' || q || 'RETURNING t.xmax) '
            'SELECT count(*) FILTER (WHERE w.xmax OPERATOR(pg_catalog.=) ''0''::pg_catalog.xid), '
            'count(*) FILTER (WHERE NOT w.xmax OPERATOR(pg_catalog.=) ''0''::pg_catalog.xid) FROM w'
      INTO n_ins, n_upd;
  ELSIF NOT EXISTS (SELECT FROM pg_partition_tree(target) AS p
                     WHERE p.isleaf AND NOT has_table_privilege(p.relid, 'SELECT')) THEN
    -- The caller may read every partition: read xmax back from each one by
    -- ctid (a lateral with OFFSET 0 stays one TID fetch per written row,
    -- whatever the planner thinks of the array's size).
    n_ins := 0;
    n_upd := 0;
    FOR leaf, tids IN EXECUTE 'WITH w AS (' || q || 'RETURNING t.tableoid, t.ctid) '
                              'SELECT w.tableoid, array_agg(w.ctid) FROM w GROUP BY w.tableoid' LOOP
      EXECUTE format('SELECT count(*) FROM pg_catalog.unnest($1) AS u(tid) CROSS JOIN LATERAL '
                     '(SELECT t.xmax FROM ONLY %s AS t WHERE t.ctid OPERATOR(pg_catalog.=) u.tid OFFSET 0) AS x '
                     'WHERE x.xmax OPERATOR(pg_catalog.=) ''0''::pg_catalog.xid', leaf::regclass)
        INTO i USING tids;
      n_ins := n_ins + i;
      n_upd := n_upd + cardinality(tids) - i;
    END LOOP;
  ELSE
    -- The caller has rights on the parent only (partitions do not inherit
    -- grants): read back through the parent, by key, so run-time pruning
    -- goes straight to the right partition, and by ctid. The keys travel as
    -- text, one row of a 2-D array per column. About twice the cost of the
    -- path above.
    EXECUTE 'WITH w AS (' || q || 'RETURNING t.ctid' ||
            (SELECT string_agg(format(', t.%I', k), '' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o)) || ') ' ||
            'SELECT count(*), ARRAY[array_agg(w.ctid::text)' ||
            (SELECT string_agg(format(', array_agg(w.%I::text)', k), '' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o)) ||
            '] FROM w'
      INTO n_written, written;
    n_ins := 0;
    IF n_written > 0 THEN
      EXECUTE format('SELECT count(*) FROM ROWS FROM (%s) AS u(tid%s) CROSS JOIN LATERAL '
                     '(SELECT t.xmax FROM %s AS t WHERE %s AND t.ctid OPERATOR(pg_catalog.=) u.tid::pg_catalog.tid OFFSET 0) AS x '
                     'WHERE x.xmax OPERATOR(pg_catalog.=) ''0''::pg_catalog.xid',
                     (SELECT string_agg(format('pg_catalog.unnest($1[%s:%s])', j, j), ', ' ORDER BY j)
                        FROM generate_series(1, cardinality(k_cols) + 1) AS j),
                     (SELECT string_agg(format(', %I', 'k' || o), '' ORDER BY o) FROM generate_series(1, cardinality(k_cols)) AS o),
                     t_name,
                     (SELECT string_agg(format('t.%I %s u.%I::%s', k_cols[j], k_eq[j], 'k' || j,
                                               cast_to[array_position(s_cols, k_cols[j])]), ' AND ' ORDER BY j)
                        FROM generate_subscripts(k_cols, 1) AS j))
        INTO n_ins USING written;
    END IF;
    n_upd := n_written - n_ins;
  END IF;

  RETURN QUERY SELECT n_ins, n_upd, n_keys - n_ins - n_upd;
END
$fn$;
COMMENT ON FUNCTION pulse.merge(regclass, regclass, name[], name) IS
  'Idempotent upsert of source into target by key (columns by name, source may have a subset): the greatest version wins, rows that would not change are not written; returns (inserted, updated, unchanged)';
-- Analytics (SPEC "Analytics"): the exact moving correlation aggregate, lagged
-- correlation, gap-filled activity per bucket, rolling correlation, lead-lag,
-- and the hop / session windows. Time arithmetic is done on pure-time
-- intervals (microseconds) so results never depend on the session time zone.

-- ---------------------------------------------------------------- moving_corr
CREATE FUNCTION pulse.moving_corr_trans(internal, float8, float8) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_trans';
CREATE FUNCTION pulse.moving_corr_inv(internal, float8, float8) RETURNS internal
  LANGUAGE c STABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_inv';
CREATE FUNCTION pulse.moving_corr_final(internal) RETURNS float8
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_final';
CREATE FUNCTION pulse.moving_corr_combine(internal, internal) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_combine';
CREATE FUNCTION pulse.moving_corr_serialize(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_serialize';
CREATE FUNCTION pulse.moving_corr_deserialize(bytea, internal) RETURNS internal
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_deserialize';
COMMENT ON FUNCTION pulse.moving_corr_trans(internal, float8, float8) IS 'Support function of pulse.moving_corr: forward transition';
COMMENT ON FUNCTION pulse.moving_corr_inv(internal, float8, float8) IS 'Support function of pulse.moving_corr: exact inverse transition (window frames)';
COMMENT ON FUNCTION pulse.moving_corr_final(internal) IS 'Support function of pulse.moving_corr: corr() of the exact sums';
COMMENT ON FUNCTION pulse.moving_corr_combine(internal, internal) IS 'Support function of pulse.moving_corr: merges partial states (parallel aggregation)';
COMMENT ON FUNCTION pulse.moving_corr_serialize(internal) IS 'Support function of pulse.moving_corr: state to bytea (parallel aggregation)';
COMMENT ON FUNCTION pulse.moving_corr_deserialize(bytea, internal) IS 'Support function of pulse.moving_corr: bytea to state (parallel aggregation)';

CREATE AGGREGATE pulse.moving_corr(float8, float8) (
  SFUNC = pulse.moving_corr_trans, STYPE = internal, SSPACE = 4416,
  FINALFUNC = pulse.moving_corr_final,
  COMBINEFUNC = pulse.moving_corr_combine,
  SERIALFUNC = pulse.moving_corr_serialize, DESERIALFUNC = pulse.moving_corr_deserialize,
  MSFUNC = pulse.moving_corr_trans, MINVFUNC = pulse.moving_corr_inv,
  MSTYPE = internal, MSSPACE = 4416, MFINALFUNC = pulse.moving_corr_final,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE pulse.moving_corr(float8, float8) IS
  'Pearson correlation with the semantics of corr(), computed from exact sums: O(1) per row in sliding window frames, parallel-safe';

-- ---------------------------------------------------------------- lagged_corr
CREATE FUNCTION pulse.lagged_corr(x float8[], y float8[], max_lag int)
  RETURNS TABLE(lag int, n int, corr float8)
  LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE ROWS 61
  AS 'MODULE_PATHNAME', 'pulse_lagged_corr';
COMMENT ON FUNCTION pulse.lagged_corr(float8[], float8[], int) IS
  'corr(x[t], y[t + lag]) for every lag in -max_lag..max_lag (positive lag: x leads y); pairs with a NULL side are skipped';

-- ------------------------------------------------------------- input checks
-- A bucket/window width as microseconds: positive, no months (a month has no
-- fixed length), finite.
CREATE FUNCTION pulse._interval_usecs(what text, width interval) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  us numeric;
BEGIN
  IF width IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF date_part('month', width) <> 0 OR date_part('year', width) <> 0 THEN
    RAISE EXCEPTION '% must not contain months or years', what
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use days, hours, minutes or seconds.';
  END IF;
  us := extract(epoch FROM width) * 1000000;
  IF us <= 0 THEN
    RAISE EXCEPTION '% must be positive', what
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('%s is %s.', what, width);
  END IF;
  RETURN us::bigint;
END
$fn$;
COMMENT ON FUNCTION pulse._interval_usecs(text, interval) IS
  'Internal: validates a bucket or window width (positive, no months) and returns it in microseconds';

-- Validates a [from, until) range cut into buckets; returns the first bucket
-- start (date_bin from the UTC epoch) and the bucket count.
CREATE FUNCTION pulse._bucket_range(from_ts timestamptz, until_ts timestamptz, bucket_us bigint,
                                    OUT first_bucket timestamptz, OUT buckets bigint)
  LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
  IF from_ts IS NULL OR until_ts IS NULL THEN
    RAISE EXCEPTION 'from and until must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT isfinite(from_ts) OR NOT isfinite(until_ts) THEN
    RAISE EXCEPTION 'from and until must be finite' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF from_ts >= until_ts THEN
    RAISE EXCEPTION 'from must be before until'
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('from is %s, until is %s.', from_ts, until_ts);
  END IF;
  first_bucket := date_bin(bucket_us * interval '1 microsecond', from_ts, timestamptz '1970-01-01 00:00:00+00');
  buckets := ceil((extract(epoch FROM until_ts) - extract(epoch FROM first_bucket)) * 1000000 / bucket_us)::bigint;
  IF buckets > 1000000 THEN
    RAISE EXCEPTION 'too many buckets: %', buckets
      USING ERRCODE = 'program_limit_exceeded', DETAIL = 'At most 1000000 buckets are allowed.',
            HINT = 'Use a wider bucket or a shorter range.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION pulse._bucket_range(timestamptz, timestamptz, bigint) IS
  'Internal: validates a [from, until) range and returns its first UTC-aligned bucket and bucket count';

-- ------------------------------------------------------------------ activity
CREATE TYPE pulse.activity_bucket AS (
  bucket timestamptz, tweets bigint, volume numeric, quote_volume numeric,
  open numeric, high numeric, low numeric, close numeric);
COMMENT ON TYPE pulse.activity_bucket IS 'A row of pulse.activity: tweets and the candle of one bucket';

CREATE FUNCTION pulse.activity(exchange text, market text, "from" timestamptz, until timestamptz,
                               bucket interval DEFAULT '1 minute', keyword text DEFAULT NULL)
  RETURNS SETOF pulse.activity_bucket
  LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 1000 AS $fn$
#variable_conflict use_column
DECLARE
  step interval;
  first_b timestamptz;
  n_buckets bigint;
  kw text;
  kw_tag text;
BEGIN
  IF activity.exchange IS NULL OR activity.market IS NULL THEN
    RAISE EXCEPTION 'exchange and market must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF activity.keyword = '' THEN
    RAISE EXCEPTION 'keyword must not be empty' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Pass NULL to count every tweet.';
  END IF;
  step := pulse._interval_usecs('bucket', activity.bucket) * interval '1 microsecond';
  SELECT r.first_bucket, r.buckets INTO first_b, n_buckets
    FROM pulse._bucket_range(activity."from", activity.until, pulse._interval_usecs('bucket', activity.bucket)) r;
  kw := lower(activity.keyword);
  kw_tag := ltrim(kw, '#');

  RETURN QUERY
  WITH grid AS (
    SELECT g AS b FROM generate_series(first_b, activity.until, step) AS g WHERE g < activity.until
  ), tw AS (
    SELECT date_bin(step, t.created_at, timestamptz '1970-01-01 00:00:00+00') AS b, count(*) AS n
      FROM pulse.tweets t
     WHERE t.created_at >= activity."from" AND t.created_at < activity.until
       AND (kw IS NULL OR strpos(lower(t.text), kw) > 0 OR kw_tag = ANY (t.hashtags))
     GROUP BY 1
  ), cd AS (
    SELECT date_bin(step, c.bucket_start, timestamptz '1970-01-01 00:00:00+00') AS b,
           (array_agg(c.open ORDER BY c.bucket_start))[1] AS open,
           max(c.high) AS high, min(c.low) AS low,
           (array_agg(c.close ORDER BY c.bucket_start DESC))[1] AS close,
           sum(c.volume) AS volume, sum(c.quote_volume) AS quote_volume
      FROM pulse.candles c
     WHERE c.exchange = activity.exchange AND c.market = activity.market AND c.period = interval '1 minute'
       AND c.bucket_start >= activity."from" AND c.bucket_start < activity.until
     GROUP BY 1
  ), prior AS (
    SELECT c.close
      FROM pulse.candles c
     WHERE c.exchange = activity.exchange AND c.market = activity.market AND c.period = interval '1 minute'
       AND c.bucket_start < activity."from"
     ORDER BY c.bucket_start DESC
     LIMIT 1
  ), joined AS (
    SELECT g.b, coalesce(tw.n, 0) AS tweets,
           coalesce(cd.volume, 0) AS volume, coalesce(cd.quote_volume, 0) AS quote_volume,
           cd.open, cd.high, cd.low, cd.close,
           -- runs of buckets that share the last close seen so far
           count(cd.close) OVER (ORDER BY g.b) AS run
      FROM grid g LEFT JOIN tw ON tw.b = g.b LEFT JOIN cd ON cd.b = g.b
  ), carried AS (
    SELECT j.*, coalesce(first_value(j.close) OVER (PARTITION BY j.run ORDER BY j.b),
                         (SELECT p.close FROM prior p)) AS last_close
      FROM joined j
  )
  SELECT c.b, c.tweets, c.volume, c.quote_volume,
         coalesce(c.open, c.last_close), coalesce(c.high, c.last_close),
         coalesce(c.low, c.last_close), coalesce(c.close, c.last_close)
    FROM carried c
   ORDER BY c.b;
END
$fn$;
COMMENT ON FUNCTION pulse.activity(text, text, timestamptz, timestamptz, interval, text) IS
  'Tweets and candles per UTC-aligned bucket in [from, until), gap-filled: 0 tweets and 0 volume where nothing happened, prices carried forward from the last candle (also one before from)';

-- ------------------------------------------------------- rolling_correlation
CREATE TYPE pulse.rolling_correlation_bucket AS (bucket timestamptz, tweets bigint, volume numeric, corr float8);
COMMENT ON TYPE pulse.rolling_correlation_bucket IS 'A row of pulse.rolling_correlation';

CREATE FUNCTION pulse.rolling_correlation(exchange text, market text, "from" timestamptz, until timestamptz,
                                          "window" interval DEFAULT '1 hour', bucket interval DEFAULT '1 minute',
                                          keyword text DEFAULT NULL)
  RETURNS SETOF pulse.rolling_correlation_bucket
  LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 1000 AS $fn$
#variable_conflict use_column
DECLARE
  bucket_us bigint := pulse._interval_usecs('bucket', rolling_correlation.bucket);
  window_us bigint := pulse._interval_usecs('window', rolling_correlation."window");
  first_b timestamptz;
  n_buckets bigint;
  preceding interval;
BEGIN
  IF window_us < bucket_us THEN
    RAISE EXCEPTION 'window must not be shorter than bucket' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF window_us / bucket_us > 1000000 THEN
    RAISE EXCEPTION 'window spans too many buckets' USING ERRCODE = 'program_limit_exceeded',
      DETAIL = 'At most 1000000 buckets per window are allowed.';
  END IF;
  SELECT r.first_bucket, r.buckets INTO first_b, n_buckets
    FROM pulse._bucket_range(rolling_correlation."from", rolling_correlation.until, bucket_us) r;
  -- The frame holds the buckets starting in (b - window, b]; the first ones
  -- are warmed up with the activity before from.
  preceding := (window_us - bucket_us) * interval '1 microsecond';
  RETURN QUERY
  SELECT w.bucket, w.tweets, w.volume, w.corr
    FROM (SELECT a.bucket, a.tweets, a.volume,
                 pulse.moving_corr(a.tweets::float8, a.volume::float8)
                   OVER (ORDER BY a.bucket RANGE BETWEEN preceding PRECEDING AND CURRENT ROW) AS corr
            FROM pulse.activity(rolling_correlation.exchange, rolling_correlation.market,
                                first_b - preceding, rolling_correlation.until,
                                bucket_us * interval '1 microsecond', rolling_correlation.keyword) a) w
   WHERE w.bucket >= first_b
   ORDER BY w.bucket;
END
$fn$;
COMMENT ON FUNCTION pulse.rolling_correlation(text, text, timestamptz, timestamptz, interval, interval, text) IS
  'Per bucket in [from, until): tweets, volume, and moving_corr(tweets, volume) over the trailing window (buckets starting in (bucket - window, bucket])';

-- ------------------------------------------------------------------ lead_lag
CREATE FUNCTION pulse.lead_lag(exchange text, market text, "from" timestamptz, until timestamptz,
                               max_lag int DEFAULT 30, bucket interval DEFAULT '1 minute',
                               keyword text DEFAULT NULL)
  RETURNS TABLE(lag int, n int, corr float8)
  LANGUAGE sql STABLE PARALLEL SAFE ROWS 61 AS $fn$
  SELECT l.lag, l.n, l.corr
    FROM (SELECT array_agg(a.tweets::float8 ORDER BY a.bucket) AS x,
                 array_agg(a.volume::float8 ORDER BY a.bucket) AS y
            FROM pulse.activity($1, $2, $3, $4, $6, $7) a) s,
         pulse.lagged_corr(s.x, s.y, $5) l
   ORDER BY l.lag
$fn$;
COMMENT ON FUNCTION pulse.lead_lag(text, text, timestamptz, timestamptz, int, interval, text) IS
  'Per lag in -max_lag..max_lag buckets: pairs and corr of tweet counts at t against volume at t + lag (positive lag: tweets lead volume)';

-- ------------------------------------------------------------------- windows
CREATE FUNCTION pulse.hop(ts timestamptz, size interval, slide interval) RETURNS SETOF timestamptz
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE ROWS 4 AS $fn$
DECLARE
  size_us bigint := pulse._interval_usecs('size', size);
  slide_us bigint := pulse._interval_usecs('slide', slide);
  t numeric;
  last_start numeric;
BEGIN
  IF size_us / slide_us > 100000 THEN
    RAISE EXCEPTION 'size / slide is too large: %', size_us / slide_us
      USING ERRCODE = 'program_limit_exceeded', DETAIL = 'A row may fall in at most 100000 windows.';
  END IF;
  IF ts IS NULL OR NOT isfinite(ts) THEN
    RETURN;  -- a NULL or infinite time is in no window
  END IF;
  t := extract(epoch FROM ts) * 1000000;
  last_start := t - mod(t, slide_us) - CASE WHEN mod(t, slide_us) < 0 THEN slide_us ELSE 0 END;
  RETURN QUERY
  -- whole seconds and microseconds apart: interval * float8 stays exact
  SELECT timestamptz '1970-01-01 00:00:00+00' + div(s, 1000000) * interval '1 second'
                                             + mod(s, 1000000) * interval '1 microsecond'
    FROM generate_series(last_start, t - size_us + 1, -slide_us) AS s
   ORDER BY s;
END
$fn$;
COMMENT ON FUNCTION pulse.hop(timestamptz, interval, interval) IS
  'Starts of every sliding window [start, start + size) containing ts, windows starting every slide from the UTC epoch (like date_bin)';

CREATE FUNCTION pulse.session_start(ts timestamptz, gap interval) RETURNS timestamptz
  LANGUAGE c WINDOW IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_session_start';
COMMENT ON FUNCTION pulse.session_start(timestamptz, interval) IS
  'Window function, OVER (PARTITION BY ... ORDER BY ts): start of the row''s session; a row at least gap after the previous one opens a new session';
-- Ingestion API (SPEC "Ingestion API"): pulse.apply_batch turns one batch of
-- raw landing records into typed rows, rejects and a checkpoint, in the
-- loader's transaction; per-format projections pulse._apply_<format>;
-- pulse.reapply rebuilds typed rows from kept landing records.
--
-- Contract for a format F (the tweet formats follow it too):
--   pulse._apply_F(stream text, batch_id bigint)
--     RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
-- reads pulse.landing rows (stream, batch_id, format = F), upserts typed rows
-- with pulse.merge semantics (newest version wins, equal rows not rewritten)
-- and puts every unusable record into pulse.rejects.

-- apply_batch and reapply find a batch's rows by (stream, batch_id).
CREATE INDEX IF NOT EXISTS landing_stream_batch_idx ON pulse.landing (stream, batch_id);

-- A JSON value as an exact numeric: a JSON number as printed, or a string
-- holding a plain decimal (Binance and Coinone quote decimals as strings).
-- NULL for anything else, so the caller can reject instead of erroring.
-- Never goes through float.
CREATE FUNCTION pulse._json_numeric(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN v::numeric
    WHEN 'string' THEN
      CASE WHEN (v #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(v #>> '{}') <= 1000 THEN (v #>> '{}')::numeric END
  END
$$;
COMMENT ON FUNCTION pulse._json_numeric(jsonb) IS 'Internal: a JSON number or decimal string as exact numeric, NULL if it is neither';

-- The same from a value already split into its text and jsonb_typeof, so a
-- projection extracts each field once (the planner inlines these functions,
-- repeating the argument expression wherever the body names it).
CREATE FUNCTION pulse._num(t text, kind text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE kind
    WHEN 'number' THEN t::numeric
    WHEN 'string' THEN CASE WHEN t ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(t) <= 1000 THEN t::numeric END
  END
$$;
COMMENT ON FUNCTION pulse._num(text, text) IS 'Internal: a JSON number or decimal string (given as text and jsonb_typeof) as exact numeric, NULL otherwise';

-- Epoch milliseconds (a JSON integer or integer string) as timestamptz,
-- without float arithmetic. NULL when not a plausible epoch-ms integer.
-- STABLE, not IMMUTABLE: timestamptz + interval is STABLE, and an IMMUTABLE
-- SQL function whose body is less strict is never inlined.
CREATE FUNCTION pulse._json_epoch_ms(v jsonb) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN
      CASE WHEN v::numeric >= 0 AND v::numeric < 1e15 AND trunc(v::numeric) = v::numeric
           THEN timestamptz 'epoch' + (v::numeric)::bigint * interval '1 millisecond' END
    WHEN 'string' THEN
      CASE WHEN (v #>> '{}') ~ '^[0-9]+$' AND length(v #>> '{}') <= 15
           THEN timestamptz 'epoch' + (v #>> '{}')::bigint * interval '1 millisecond' END
  END
$$;
COMMENT ON FUNCTION pulse._json_epoch_ms(jsonb) IS 'Internal: epoch milliseconds as timestamptz, NULL if not an integer';

-- The loader's period names ('1m' ... '1h') as intervals; NULL if unknown.
CREATE FUNCTION pulse._period(p text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p WHEN '1m' THEN interval '1 minute' WHEN '3m' THEN interval '3 minutes'
                WHEN '5m' THEN interval '5 minutes' WHEN '10m' THEN interval '10 minutes'
                WHEN '15m' THEN interval '15 minutes' WHEN '30m' THEN interval '30 minutes'
                WHEN '1h' THEN interval '1 hour' WHEN '4h' THEN interval '4 hours' END
$$;
COMMENT ON FUNCTION pulse._period(text) IS 'Internal: a loader period name (1m, 3m, 5m, 10m, 15m, 30m, 1h, 4h) as an interval';

-- Per-exchange projections: one landing payload {"market", "period",
-- "observed_ms"?, "record": <the record exactly as the API sent it>} to one
-- candle row, or a reason to reject it. Versions (observed_at), per exchange:
--   upbit:   the record's `timestamp`, the time of the candle's last trade;
--            it grows while the candle is open and is final once closed.
--   binance: least(observed_ms, close time + 1 ms): while the candle is open
--            the time we saw it (newer sightings win); once closed, a fixed
--            value, so re-reading a closed candle is `unchanged`.
--   coinone: the same rule with bucket_start + period as the close, because
--            its chart records carry no last-trade time.
-- Written as one-row set-returning SQL functions so that the planner inlines
-- them into the batch query (a scalar function returning a record, called
-- in FROM, is not inlined and costs a function call per record); STABLE
-- because timestamptz arithmetic is.
CREATE FUNCTION pulse._candle_upbit(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume, v.observed_at,
         CASE
           WHEN v.kind IS DISTINCT FROM 'object' THEN 'upbit candle is not a JSON object'
           WHEN v.market IS NULL OR v.period IS NULL THEN 'landing payload lacks market or a known period'
           WHEN v.rec_market IS NOT NULL AND v.rec_market <> v.market
             THEN 'upbit candle is for market ' || v.rec_market || ', not ' || v.market
           WHEN v.bucket_start IS NULL THEN 'upbit candle_date_time_utc missing or malformed'
           WHEN v.open IS NULL OR v.high IS NULL OR v.low IS NULL OR v.close IS NULL OR v.volume IS NULL
             OR v.quote_volume IS NULL THEN 'upbit candle has a missing or non-numeric price or volume'
           WHEN v.observed_at IS NULL THEN 'upbit candle timestamp missing or malformed'
           WHEN v.unit IS NOT NULL AND v.unit IS DISTINCT FROM (extract(epoch FROM v.period) / 60)::int::text
             THEN 'upbit candle unit ' || v.unit || ' does not match period ' || (p->>'period')
         END
  FROM (SELECT p->>'market' AS market, pulse._period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               r->>'market' AS rec_market, r->>'unit' AS unit,
               CASE WHEN r->>'candle_date_time_utc' ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$'
                    THEN ((r->>'candle_date_time_utc') || '+00')::timestamptz END AS bucket_start,
               pulse._num(r->>'opening_price', jsonb_typeof(r->'opening_price')) AS open, pulse._num(r->>'high_price', jsonb_typeof(r->'high_price')) AS high,
               pulse._num(r->>'low_price', jsonb_typeof(r->'low_price')) AS low, pulse._num(r->>'trade_price', jsonb_typeof(r->'trade_price')) AS close,
               pulse._num(r->>'candle_acc_trade_volume', jsonb_typeof(r->'candle_acc_trade_volume')) AS volume,
               pulse._num(r->>'candle_acc_trade_price', jsonb_typeof(r->'candle_acc_trade_price')) AS quote_volume,
               pulse._json_epoch_ms(r->'timestamp') AS observed_at
          -- OFFSET 0 keeps each level from being flattened, so the record is
          -- extracted once and each value parsed once per landing row.
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;
COMMENT ON FUNCTION pulse._candle_upbit(jsonb) IS 'Internal: projects one Upbit minute-candle landing payload to a candle row or a reject reason';

CREATE FUNCTION pulse._candle_binance(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
         CASE WHEN v.observed IS NULL THEN v.close_time + interval '1 millisecond'
              ELSE least(v.observed, v.close_time + interval '1 millisecond') END,
         CASE
           WHEN v.kind IS DISTINCT FROM 'array' OR v.len < 8 THEN 'binance kline is not an array of at least 8 fields'
           WHEN v.market IS NULL OR v.period IS NULL THEN 'landing payload lacks market or a known period'
           WHEN v.bucket_start IS NULL OR v.close_time IS NULL THEN 'binance kline open or close time malformed'
           WHEN v.open IS NULL OR v.high IS NULL OR v.low IS NULL OR v.close IS NULL OR v.volume IS NULL
             OR v.quote_volume IS NULL THEN 'binance kline has a missing or non-numeric price or volume'
         END
  FROM (SELECT p->>'market' AS market, pulse._period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               CASE WHEN jsonb_typeof(r) = 'array' THEN jsonb_array_length(r) END AS len,
               pulse._json_epoch_ms(r->0) AS bucket_start, pulse._json_epoch_ms(r->6) AS close_time,
               pulse._json_epoch_ms(p->'observed_ms') AS observed,
               pulse._num(r->>1, jsonb_typeof(r->1)) AS open, pulse._num(r->>2, jsonb_typeof(r->2)) AS high,
               pulse._num(r->>3, jsonb_typeof(r->3)) AS low, pulse._num(r->>4, jsonb_typeof(r->4)) AS close,
               pulse._num(r->>5, jsonb_typeof(r->5)) AS volume, pulse._num(r->>7, jsonb_typeof(r->7)) AS quote_volume
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;
COMMENT ON FUNCTION pulse._candle_binance(jsonb) IS 'Internal: projects one Binance kline landing payload to a candle row or a reject reason';

CREATE FUNCTION pulse._candle_coinone(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
         CASE WHEN v.observed IS NULL THEN v.bucket_start + v.period
              ELSE least(v.observed, v.bucket_start + v.period) END,
         CASE
           WHEN v.kind IS DISTINCT FROM 'object' THEN 'coinone candle is not a JSON object'
           WHEN v.market IS NULL OR v.period IS NULL THEN 'landing payload lacks market or a known period'
           WHEN v.bucket_start IS NULL THEN 'coinone candle timestamp missing or malformed'
           WHEN v.open IS NULL OR v.high IS NULL OR v.low IS NULL OR v.close IS NULL OR v.volume IS NULL
             OR v.quote_volume IS NULL THEN 'coinone candle has a missing or non-numeric price or volume'
         END
  FROM (SELECT p->>'market' AS market, pulse._period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               pulse._json_epoch_ms(r->'timestamp') AS bucket_start,
               pulse._json_epoch_ms(p->'observed_ms') AS observed,
               pulse._num(r->>'open', jsonb_typeof(r->'open')) AS open, pulse._num(r->>'high', jsonb_typeof(r->'high')) AS high,
               pulse._num(r->>'low', jsonb_typeof(r->'low')) AS low, pulse._num(r->>'close', jsonb_typeof(r->'close')) AS close,
               pulse._num(r->>'target_volume', jsonb_typeof(r->'target_volume')) AS volume, pulse._num(r->>'quote_volume', jsonb_typeof(r->'quote_volume')) AS quote_volume
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;
COMMENT ON FUNCTION pulse._candle_coinone(jsonb) IS 'Internal: projects one Coinone chart landing payload to a candle row or a reject reason';

-- Projects a batch's landing rows of one candle format and merges them into
-- pulse.candles with pulse.merge semantics: inside the batch the greatest
-- observed_at wins per key (then the later record); a stored row is
-- rewritten only when the incoming version is not older AND a price or
-- volume differs, so loading the same data twice writes nothing. Written as
-- one INSERT ... ON CONFLICT on the primary key rather than a pulse.merge
-- call: the batch is a query result, and this avoids a temporary table per
-- batch on the loaders' hot path.
CREATE FUNCTION pulse._apply_candles(stream text, batch_id bigint, exchange text)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql
-- The planner's estimate for this statement is high enough to trigger JIT,
-- whose compile time exceeds the work of a typical batch.
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  proj text := format('pulse.%I', '_candle_' || exchange);
  lo timestamptz;
  hi timestamptz;
BEGIN
  IF to_regprocedure(proj || '(jsonb)') IS NULL THEN
    RAISE EXCEPTION 'no candle projection for exchange %', exchange USING ERRCODE = '22023';
  END IF;
  -- Backfills may reach before the premade partitions: create what this batch
  -- needs. This function runs as the extension owner (apply_batch is SECURITY
  -- DEFINER), so it calls the unchecked internal: pulse.ensure_partitions
  -- checks the session user, a pulse_writer member without INSERT on candles.
  EXECUTE format('SELECT min(p.bucket_start), max(p.bucket_start) FROM pulse.landing l CROSS JOIN LATERAL %s(l.payload) p
                   WHERE l.stream = $1 AND l.batch_id = $2 AND l.format = $3 AND p.reason IS NULL', proj)
    INTO lo, hi USING stream, batch_id, exchange;
  IF lo IS NOT NULL THEN
    PERFORM pulse._create_partitions('pulse.candles'::regclass, lo, hi + interval '1 microsecond');
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH proj AS MATERIALIZED (
      SELECT l.seq, l.payload, p.*
        FROM pulse.landing l CROSS JOIN LATERAL %s(l.payload) p
       WHERE l.stream = $1 AND l.batch_id = $2 AND l.format = $3),
    rej AS (
      INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
      SELECT $1, $2, $3, convert_to(payload::text, 'UTF8'), reason FROM proj WHERE reason IS NOT NULL
      RETURNING 1),
    good AS (
      SELECT DISTINCT ON (market, period, bucket_start) *
        FROM proj WHERE reason IS NULL
       ORDER BY market, period, bucket_start, observed_at DESC, seq DESC),
    -- Only rows that will change reach the INSERT: an unchanged row hit by
    -- ON CONFLICT would still be locked, which writes WAL. The ON CONFLICT
    -- condition repeats the test for rows a concurrent batch just wrote.
    -- (xmax cannot be returned from a partitioned table, so inserts and
    -- updates are told apart by whether the key existed in this snapshot.)
    todo AS (
      SELECT g.*, (c.exchange IS NOT NULL) AS existed
        FROM good g
        LEFT JOIN pulse.candles c
          ON c.exchange = $3 AND c.market = g.market AND c.period = g.period AND c.bucket_start = g.bucket_start
       WHERE c.exchange IS NULL
          OR (g.observed_at >= c.observed_at
              AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
                  IS DISTINCT FROM (g.open, g.high, g.low, g.close, g.volume, g.quote_volume))),
    up AS (
      INSERT INTO pulse.candles AS c
             (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
      SELECT $3, t.market, t.period, t.bucket_start, t.open, t.high, t.low, t.close, t.volume, t.quote_volume, t.observed_at
        FROM todo t
      ON CONFLICT (exchange, market, period, bucket_start) DO UPDATE
         SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
             observed_at = EXCLUDED.observed_at, ingested_at = now()
       WHERE EXCLUDED.observed_at >= c.observed_at
         AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
             IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, EXCLUDED.quote_volume)
      RETURNING 1),
    -- Counted without joining `up` back to `todo`: every row of todo that
    -- did not exist was inserted, unless a concurrent batch inserted it
    -- first (then it was updated or left as is).
    counted AS (
      SELECT (SELECT count(*) FROM up) AS total,
             (SELECT count(*) FROM todo WHERE NOT existed) AS fresh)
    SELECT least(fresh, total),
           total - least(fresh, total),
           (SELECT count(*) FROM good) - total,
           (SELECT count(*) FROM rej)
      FROM counted
  $q$, proj) USING stream, batch_id, exchange;
END
$$;
COMMENT ON FUNCTION pulse._apply_candles(text, bigint, text) IS 'Internal: projects and merges one batch of an exchange''s candle records into pulse.candles';

CREATE FUNCTION pulse._apply_upbit(stream text, batch_id bigint)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse._apply_candles(stream, batch_id, 'upbit') $$;
COMMENT ON FUNCTION pulse._apply_upbit(text, bigint) IS 'Applies a batch''s landing records of format upbit (GET /v1/candles/minutes responses) to pulse.candles';

CREATE FUNCTION pulse._apply_binance(stream text, batch_id bigint)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse._apply_candles(stream, batch_id, 'binance') $$;
COMMENT ON FUNCTION pulse._apply_binance(text, bigint) IS 'Applies a batch''s landing records of format binance (GET /api/v3/klines arrays) to pulse.candles';

CREATE FUNCTION pulse._apply_coinone(stream text, batch_id bigint)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse._apply_candles(stream, batch_id, 'coinone') $$;
COMMENT ON FUNCTION pulse._apply_coinone(text, bigint) IS 'Applies a batch''s landing records of format coinone (GET /public/v2/chart records) to pulse.candles';

-- Applies every format present in one landing batch: dispatches to
-- pulse._apply_<format> by name; rows of a format without a projection go to
-- pulse.rejects.
CREATE FUNCTION pulse._apply_landing_batch(stream text, batch_id bigint,
  INOUT inserted bigint DEFAULT 0, INOUT updated bigint DEFAULT 0,
  INOUT unchanged bigint DEFAULT 0, INOUT rejected bigint DEFAULT 0)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  fmt text;
  fn text;
  r record;
  n bigint;
BEGIN
  FOR fmt IN SELECT DISTINCT l.format FROM pulse.landing l
              WHERE l.stream = _apply_landing_batch.stream AND l.batch_id = _apply_landing_batch.batch_id
              ORDER BY 1 LOOP
    fn := format('pulse.%I', '_apply_' || fmt);
    IF to_regprocedure(fn || '(text,bigint)') IS NULL THEN
      INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
      SELECT l.stream, l.batch_id, l.format, convert_to(l.payload::text, 'UTF8'), format('unknown format %L', fmt)
        FROM pulse.landing l
       WHERE l.stream = _apply_landing_batch.stream AND l.batch_id = _apply_landing_batch.batch_id AND l.format = fmt;
      GET DIAGNOSTICS n = ROW_COUNT;
      rejected := rejected + n;
      CONTINUE;
    END IF;
    EXECUTE format('SELECT * FROM %s($1, $2)', fn) INTO r USING stream, batch_id;
    inserted := inserted + coalesce(r.inserted, 0);
    updated := updated + coalesce(r.updated, 0);
    unchanged := unchanged + coalesce(r.unchanged, 0);
    rejected := rejected + coalesce(r.rejected, 0);
  END LOOP;
END
$$;
COMMENT ON FUNCTION pulse._apply_landing_batch(text, bigint, bigint, bigint, bigint, bigint) IS 'Internal: runs the per-format projections over one landing batch';

CREATE FUNCTION pulse.apply_batch(stream text, batch_id bigint, checkpoint jsonb)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  done bigint;
  res record;
BEGIN
  IF stream IS NULL OR batch_id IS NULL OR batch_id < 1 OR checkpoint IS NULL THEN
    RAISE EXCEPTION 'apply_batch needs a stream, a batch_id >= 1 and a checkpoint' USING ERRCODE = '22023';
  END IF;
  -- A position is a JSON object (what a loader resumes from); anything else
  -- would be saved and make the next resume fail far from its cause.
  IF jsonb_typeof(checkpoint) <> 'object' THEN
    RAISE EXCEPTION 'apply_batch: checkpoint must be a JSON object, got a JSON %', jsonb_typeof(checkpoint)
      USING ERRCODE = '22023';
  END IF;
  -- The checkpoint row is the stream's lock: concurrent loaders of one stream
  -- apply their batches one after the other.
  INSERT INTO pulse.checkpoints AS c (stream, position, batch_id)
  VALUES (apply_batch.stream, '{}', 0) ON CONFLICT (stream) DO NOTHING;
  SELECT c.batch_id INTO done FROM pulse.checkpoints c WHERE c.stream = apply_batch.stream FOR UPDATE;
  IF apply_batch.batch_id <= done THEN
    -- Already applied (a retry whose first COMMIT did succeed, or a second
    -- loader on the same stream): applying again could move the checkpoint
    -- backwards, so do nothing, and drop the landing copies this transaction
    -- just added so the raw records are not kept twice.
    DELETE FROM pulse.landing l
     WHERE l.stream = apply_batch.stream AND l.batch_id = apply_batch.batch_id
       AND l.xmin = pg_current_xact_id()::xid;
    RAISE NOTICE 'batch % of stream % was already applied (checkpoint is at batch %); nothing done',
      apply_batch.batch_id, apply_batch.stream, done;
    RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint;
    RETURN;
  END IF;
  res := pulse._apply_landing_batch(apply_batch.stream, apply_batch.batch_id);
  UPDATE pulse.checkpoints c
     SET position = apply_batch.checkpoint, batch_id = apply_batch.batch_id, updated_at = now()
   WHERE c.stream = apply_batch.stream;
  RETURN QUERY SELECT res.inserted, res.updated, res.unchanged, res.rejected;
END
$$;
COMMENT ON FUNCTION pulse.apply_batch(text, bigint, jsonb) IS
  'Applies one loader batch (landing rows of stream/batch_id): projects each record by its format into typed rows, merges them, rejects unusable records into pulse.rejects, saves the checkpoint. A batch_id not above the stream''s checkpoint is a no-op (zeros). Call it in the transaction that COPYed the landing rows.';

CREATE FUNCTION pulse.reapply(stream text, "from" timestamptz, "until" timestamptz)
RETURNS TABLE(batches bigint, inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  b bigint;
  res record;
BEGIN
  IF stream IS NULL OR "from" IS NULL OR "until" IS NULL THEN
    RAISE EXCEPTION 'reapply needs a stream and both bounds' USING ERRCODE = '22004';
  END IF;
  IF "from" >= "until" THEN
    RAISE EXCEPTION 'reapply: from must be before until' USING ERRCODE = '22023';
  END IF;
  batches := 0; inserted := 0; updated := 0; unchanged := 0; rejected := 0;
  -- Oldest batch first, so that among equal versions the later record wins
  -- as it did when the batches were first applied.
  FOR b IN SELECT DISTINCT l.batch_id FROM pulse.landing l
            WHERE l.stream = reapply.stream AND l.received_at >= reapply."from" AND l.received_at < reapply."until"
            ORDER BY 1 LOOP
    res := pulse._apply_landing_batch(reapply.stream, b);
    -- A record rejected again for the same reason is already in pulse.rejects.
    DELETE FROM pulse.rejects n
     WHERE n.stream = reapply.stream AND n.batch_id = b AND n.xmin = pg_current_xact_id()::xid
       AND EXISTS (SELECT 1 FROM pulse.rejects o
                    WHERE o.stream = n.stream AND o.batch_id = n.batch_id AND o.id < n.id
                      AND o.raw = n.raw AND o.reason = n.reason AND o.xmin <> n.xmin);
    batches := batches + 1;
    inserted := inserted + res.inserted;
    updated := updated + res.updated;
    unchanged := unchanged + res.unchanged;
    rejected := rejected + res.rejected;
  END LOOP;
  RETURN NEXT;
END
$$;
COMMENT ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) IS
  'Rebuilds typed rows from the landing records of a stream received in [from, until), batch by batch (after a projection fix); returns what changed';

-- Privileges: the loaders (pulse_writer) write landing and rejects, read
-- their checkpoint, and call apply_batch, which applies as the extension
-- owner (SECURITY DEFINER, pinned search_path); the internal projections are
-- not callable by PUBLIC.
REVOKE ALL ON FUNCTION pulse.apply_batch(text, bigint, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_candles(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_upbit(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_binance(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_coinone(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_landing_batch(text, bigint, bigint, bigint, bigint, bigint) FROM PUBLIC;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_writer') THEN
    CREATE ROLE pulse_writer NOLOGIN;
  END IF;
  GRANT USAGE ON SCHEMA pulse TO pulse_writer;
  GRANT EXECUTE ON FUNCTION pulse.apply_batch(text, bigint, jsonb) TO pulse_writer;
  GRANT INSERT ON pulse.landing, pulse.rejects TO pulse_writer;
  GRANT SELECT ON pulse.checkpoints TO pulse_writer;
END
$$;
-- Tweet projections (SPEC "Ingestion API", formats twitter_v2 and twitter_v1):
-- landing records of one stream and batch become pulse.tweets rows, merged
-- with pulse.merge semantics, and the records (or tweets inside a page) that
-- cannot be used become pulse.rejects rows. pulse.apply_batch dispatches here.
--
-- Rules, in one place:
-- * one row per tweet id; only the documents' own tweets are rows (a page's
--   `includes.tweets` and v1.1's `retweeted_status` are not);
-- * created_at comes from the payload, else from the snowflake id (the id's
--   top 42 bits are milliseconds since X's epoch 1288834974657, truncated to
--   the second, which is how X prints created_at); a stored row's created_at is
--   never moved by a later record without one;
-- * the version is observed_at, the landing record's received_at: the newest
--   observation of a tweet wins, and a field it lacks (a default-fields search
--   has no metrics or entities) keeps the value already stored; a newer
--   observation that changes nothing is `unchanged` and writes nothing;
-- * matched_rules accumulate over observations (a tweet found by the gap-fill
--   search keeps the rules the stream matched it with).

-- Per-field helpers in C++ (extension/entry/tweets.cpp): the SQL forms of
-- these dominated the projection's cost.
CREATE FUNCTION pulse._tweet_bigint(v jsonb) RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_bigint';
COMMENT ON FUNCTION pulse._tweet_bigint(jsonb) IS
  'Internal to the tweet projections: a JSON string or number holding a non-negative 64-bit integer, else NULL';

CREATE FUNCTION pulse._tweet_count(v jsonb) RETURNS integer
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_count';
COMMENT ON FUNCTION pulse._tweet_count(jsonb) IS
  'Internal to the tweet projections: a JSON count that fits integer, else NULL';

CREATE FUNCTION pulse._tweet_time(text) RETURNS timestamptz
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_time';
COMMENT ON FUNCTION pulse._tweet_time(text) IS
  'X''s created_at in its API v2 (2021-05-18T19:24:56.000Z) or v1.1 (Fri Jul 12 23:40:37 +0000 2019) spelling; NULL when not a valid timestamp';

-- The creation time a snowflake id encodes, to the second; NULL for ids from
-- before snowflakes (2010), which encode no time.
CREATE FUNCTION pulse._tweet_snowflake_time(id bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN id >= (86400000::bigint << 22)
              THEN to_timestamp(((id >> 22) + 1288834974657) / 1000) END
$$;
COMMENT ON FUNCTION pulse._tweet_snowflake_time(bigint) IS
  'The creation time (to the second) encoded in an X snowflake id; NULL for pre-snowflake ids';

-- `v` when it is a JSON array, else an empty one (absent entity lists).
CREATE FUNCTION pulse._tweet_array(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END $$;
COMMENT ON FUNCTION pulse._tweet_array(jsonb) IS
  'Internal to the tweet projections: v if it is a JSON array, else []';

-- The `field` of each object in an entity list, lower case, without the
-- leading sigils in `strip`, deduplicated in order of first appearance; {}
-- when `list` is not an array.
CREATE FUNCTION pulse._tweet_tags(list jsonb, field text, strip text) RETURNS text[]
LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_tags';
COMMENT ON FUNCTION pulse._tweet_tags(jsonb, text, text) IS
  'Internal to the tweet projections: lower-cased entity texts without sigils, deduplicated, in order';

-- matched_rules from a filtered-stream line's matching_rules: each rule's tag,
-- else its id; sorted and distinct so observations can be unioned. NULL when
-- the record has no matching_rules (it says nothing about rules).
CREATE FUNCTION pulse._tweet_rules(rules jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN jsonb_typeof(rules) = 'array' THEN ARRAY(
    SELECT DISTINCT coalesce(nullif(r ->> 'tag', ''), r ->> 'id')
      FROM jsonb_array_elements(rules) AS r
     WHERE jsonb_typeof(r) = 'object' AND coalesce(nullif(r ->> 'tag', ''), r ->> 'id') IS NOT NULL
     ORDER BY 1) END
$$;
COMMENT ON FUNCTION pulse._tweet_rules(jsonb) IS
  'Internal to the tweet projections: rule tags (else ids) of matching_rules, sorted and distinct';

CREATE FUNCTION pulse._tweet_union(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
              ELSE ARRAY(SELECT DISTINCT x FROM unnest(a || b) AS x ORDER BY 1) END
$$;
COMMENT ON FUNCTION pulse._tweet_union(text[], text[]) IS
  'Internal to the tweet projections: sorted distinct union of two arrays; NULL only when both are';

-- The tweets a twitter_v2 record holds: a stream line or single-tweet lookup
-- ({"data":{...}}), a page ({"data":[...],"includes":...,"meta":...}), or a
-- bare tweet object as flattening archivers store them ({"id":..,"text":..}).
-- A record with no tweet yields one row with `problem` set, except an empty
-- page (meta only), which yields nothing.
CREATE FUNCTION pulse._twitter_v2_items(p jsonb)
RETURNS TABLE(ord bigint, tweet jsonb, includes jsonb, rules jsonb, problem text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT 0::bigint, p -> 'data', p -> 'includes', p -> 'matching_rules', NULL::text
   WHERE jsonb_typeof(p -> 'data') = 'object'
  UNION ALL
  SELECT d.o, d.e, p -> 'includes', p -> 'matching_rules', NULL
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p -> 'data') = 'array' THEN p -> 'data' END)
         WITH ORDINALITY AS d(e, o)
  UNION ALL
  SELECT 0, p, NULL, p -> 'matching_rules', NULL
   WHERE jsonb_typeof(p) = 'object' AND NOT p ? 'data' AND p ? 'id'
  UNION ALL
  SELECT 0, NULL, NULL, NULL, r.problem
    FROM (SELECT CASE
            WHEN jsonb_typeof(p) <> 'object' THEN
              format('not a twitter_v2 record: a JSON %s, not an object', jsonb_typeof(p))
            WHEN p ? 'data' AND jsonb_typeof(p -> 'data') NOT IN ('object', 'array') THEN
              format('not a twitter_v2 record: "data" is a JSON %s, not a tweet or an array of tweets', jsonb_typeof(p -> 'data'))
            WHEN p ? 'data' OR p ? 'id' THEN NULL
            WHEN p ? 'errors' THEN
              'error object from the X API: ' || coalesce((
                SELECT string_agg(concat_ws(': ', coalesce(e ->> 'title', e ->> 'message'), e ->> 'detail'), '; ')
                  FROM jsonb_array_elements(pulse._tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN p ? 'meta' THEN NULL   -- an empty page: nothing matched
            ELSE 'not a twitter_v2 record: none of the keys data, id, errors, meta'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;
COMMENT ON FUNCTION pulse._twitter_v2_items(jsonb) IS
  'Internal to the twitter_v2 projection: the tweets of a stream line, page or bare tweet, or why there are none';

-- The tweets a twitter_v1 record holds: a status object, or a v1.1 search
-- response ({"statuses":[...],"search_metadata":...}). Streaming notices
-- (delete, limit, ...) are not tweets and are rejected with their kind.
CREATE FUNCTION pulse._twitter_v1_items(p jsonb)
RETURNS TABLE(ord bigint, tweet jsonb, problem text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT 0::bigint, p, NULL::text
   WHERE jsonb_typeof(p) = 'object' AND (p ? 'id_str' OR p ? 'id')
  UNION ALL
  SELECT s.o, s.e, NULL
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p) = 'object' AND NOT (p ? 'id_str' OR p ? 'id')
                                        AND jsonb_typeof(p -> 'statuses') = 'array'
                                   THEN p -> 'statuses' END) WITH ORDINALITY AS s(e, o)
  UNION ALL
  SELECT 0, NULL, r.problem
    FROM (SELECT CASE
            WHEN jsonb_typeof(p) <> 'object' THEN
              format('not a twitter_v1 record: a JSON %s, not an object', jsonb_typeof(p))
            WHEN p ? 'id_str' OR p ? 'id' OR jsonb_typeof(p -> 'statuses') = 'array' THEN NULL
            WHEN p ? 'errors' THEN
              'error object from the X API: ' || coalesce((
                SELECT string_agg(concat_ws(': ', e ->> 'code', coalesce(e ->> 'message', e ->> 'title')), '; ')
                  FROM jsonb_array_elements(pulse._tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN (SELECT count(*) FROM jsonb_object_keys(p)) = 1 THEN
              format('not a status: a v1.1 stream notice "%s"', (SELECT k FROM jsonb_object_keys(p) AS k))
            ELSE 'not a twitter_v1 record: no id_str, id or statuses key'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;
COMMENT ON FUNCTION pulse._twitter_v1_items(jsonb) IS
  'Internal to the twitter_v1 projection: the statuses of a record, or why there are none';

-- The staging tables of one apply call. Temporary and dropped at commit; a
-- second call in the same transaction empties them.
CREATE FUNCTION pulse._tweets_stage() RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF to_regclass('pg_temp.pulse_tweet_src') IS NOT NULL OR to_regclass('pg_temp.pulse_tweet_stage') IS NOT NULL THEN
    -- apply_batch (SECURITY DEFINER) writes into these: reuse them only if
    -- this same role made them. A session's own look-alikes (with a trigger,
    -- a rule, row security) would otherwise run code with the definer's
    -- rights.
    IF to_regclass('pg_temp.pulse_tweet_src') IS NULL OR to_regclass('pg_temp.pulse_tweet_stage') IS NULL
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid IN (to_regclass('pg_temp.pulse_tweet_src'), to_regclass('pg_temp.pulse_tweet_stage'))
                     AND (c.relowner <> current_user::regrole OR c.relkind <> 'r' OR c.relhastriggers
                          OR c.relhasrules OR c.relrowsecurity)) THEN
      RAISE EXCEPTION 'temporary tables pulse_tweet_stage/pulse_tweet_src exist but were not made by pulse'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Drop them (or end the transaction) before loading tweets in this session.';
    END IF;
    TRUNCATE pg_temp.pulse_tweet_stage, pg_temp.pulse_tweet_src;
    RETURN;
  END IF;
  CREATE TEMP TABLE pulse_tweet_stage (
    seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb,
    created_from_payload boolean,
    id bigint, created_at timestamptz, author_id bigint, text text, lang text,
    hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[]
  ) ON COMMIT DROP;
  -- Exactly the target's columns that a projection sets (ingested_at keeps
  -- the target's default), so pulse.merge matches them by name.
  CREATE TEMP TABLE pulse_tweet_src (
    id bigint NOT NULL, created_at timestamptz NOT NULL, author_id bigint, text text, lang text,
    hashtags text[] NOT NULL, cashtags text[] NOT NULL, mentions text[] NOT NULL,
    is_retweet boolean NOT NULL, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[] NOT NULL, observed_at timestamptz NOT NULL
  ) ON COMMIT DROP;
END
$$;
COMMENT ON FUNCTION pulse._tweets_stage() IS
  'Internal to the tweet projections: creates or empties the per-transaction staging tables';

-- From staged tweets to pulse.tweets: rejects, one row per id, fields the
-- newest observation lacks kept from older ones, then pulse.merge.
CREATE FUNCTION pulse._tweets_merge_stage(stream text, batch_id bigint, format text,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
DECLARE
  n_valid bigint;
  n_ids bigint;
BEGIN
  INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
  SELECT _tweets_merge_stage.stream, _tweets_merge_stage.batch_id, _tweets_merge_stage.format,
         convert_to(s.raw::text, 'UTF8'), s.problem
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NOT NULL
   ORDER BY s.seq, s.ord;
  GET DIAGNOSTICS rejected = ROW_COUNT;

  -- A record without created_at takes the created_at already stored for its id.
  UPDATE pg_temp.pulse_tweet_stage s
     SET created_at = t.created_at
    FROM pulse.tweets t
   WHERE s.problem IS NULL AND NOT s.created_from_payload
     AND t.id = s.id AND t.created_at <> s.created_at;

  -- The newest observation of each id (later records of a batch are newer).
  SELECT count(*) INTO n_valid FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL;
  INSERT INTO pg_temp.pulse_tweet_src
  SELECT DISTINCT ON (s.id) s.id, s.created_at, s.author_id, s.text, s.lang,
         coalesce(s.hashtags, '{}'), coalesce(s.cashtags, '{}'), coalesce(s.mentions, '{}'),
         coalesce(s.is_retweet, false), s.retweeted_id,
         s.retweet_count, s.like_count, s.reply_count, s.quote_count,
         coalesce(s.matched_rules, '{}'), s.observed_at
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NULL
   ORDER BY s.id, s.observed_at DESC, s.seq DESC, s.ord DESC;
  GET DIAGNOSTICS n_ids = ROW_COUNT;

  -- Ids seen more than once in the batch: created_at from a record that had
  -- one, fields the newest lacks from the newest that has them, rules unioned.
  IF n_ids < n_valid THEN
  UPDATE pg_temp.pulse_tweet_src d
     SET created_at   = coalesce(a.created_at, d.created_at),
         author_id    = coalesce(a.author_id, d.author_id),
         text         = coalesce(a.text, d.text),
         lang         = coalesce(a.lang, d.lang),
         hashtags     = coalesce(a.hashtags, d.hashtags),
         cashtags     = coalesce(a.cashtags, d.cashtags),
         mentions     = coalesce(a.mentions, d.mentions),
         is_retweet   = coalesce(a.is_retweet, d.is_retweet),
         retweeted_id = CASE WHEN a.is_retweet IS NULL THEN d.retweeted_id ELSE a.retweeted_id END,
         retweet_count = coalesce(a.retweet_count, d.retweet_count),
         like_count   = coalesce(a.like_count, d.like_count),
         reply_count  = coalesce(a.reply_count, d.reply_count),
         quote_count  = coalesce(a.quote_count, d.quote_count),
         matched_rules = coalesce(a.matched_rules, '{}')
    FROM (SELECT s.id,
                 (array_agg(s.created_at ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.created_from_payload))[1] AS created_at,
                 (array_agg(s.author_id ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.author_id IS NOT NULL))[1] AS author_id,
                 (array_agg(s.text ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.text IS NOT NULL))[1] AS text,
                 (array_agg(s.lang ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.lang IS NOT NULL))[1] AS lang,
                 (array_agg(s.is_retweet ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.is_retweet IS NOT NULL))[1] AS is_retweet,
                 (array_agg(s.retweeted_id ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.is_retweet IS NOT NULL))[1] AS retweeted_id,
                 (array_agg(s.retweet_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.retweet_count IS NOT NULL))[1] AS retweet_count,
                 (array_agg(s.like_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.like_count IS NOT NULL))[1] AS like_count,
                 (array_agg(s.reply_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.reply_count IS NOT NULL))[1] AS reply_count,
                 (array_agg(s.quote_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.quote_count IS NOT NULL))[1] AS quote_count
            FROM pg_temp.pulse_tweet_stage s
           WHERE s.problem IS NULL
             AND s.id IN (SELECT x.id FROM pg_temp.pulse_tweet_stage x WHERE x.problem IS NULL
                           GROUP BY x.id HAVING count(*) > 1)
           GROUP BY s.id) AS a0
   CROSS JOIN LATERAL (
          SELECT a0.created_at, a0.author_id, a0.text, a0.lang, a0.is_retweet, a0.retweeted_id,
                 a0.retweet_count, a0.like_count, a0.reply_count, a0.quote_count,
                 (SELECT s.hashtags FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.hashtags IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS hashtags,
                 (SELECT s.cashtags FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.cashtags IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS cashtags,
                 (SELECT s.mentions FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.mentions IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS mentions,
                 (SELECT ARRAY(SELECT DISTINCT r FROM pg_temp.pulse_tweet_stage s, unnest(s.matched_rules) AS r
                                WHERE s.problem IS NULL AND s.id = a0.id ORDER BY 1)) AS matched_rules) AS a
   WHERE d.id = a0.id;
  END IF;

  -- What the stored row already knows and this observation lacks is kept, when
  -- this observation is not older (an older one changes nothing anyway).
  UPDATE pg_temp.pulse_tweet_src d
     SET author_id    = coalesce(d.author_id, t.author_id),
         text         = coalesce(d.text, t.text),
         lang         = coalesce(d.lang, t.lang),
         hashtags     = CASE WHEN k.hashtags THEN d.hashtags ELSE t.hashtags END,
         cashtags     = CASE WHEN k.cashtags THEN d.cashtags ELSE t.cashtags END,
         mentions     = CASE WHEN k.mentions THEN d.mentions ELSE t.mentions END,
         is_retweet   = CASE WHEN k.is_retweet THEN d.is_retweet ELSE t.is_retweet END,
         retweeted_id = CASE WHEN k.is_retweet THEN d.retweeted_id ELSE t.retweeted_id END,
         retweet_count = coalesce(d.retweet_count, t.retweet_count),
         like_count   = coalesce(d.like_count, t.like_count),
         reply_count  = coalesce(d.reply_count, t.reply_count),
         quote_count  = coalesce(d.quote_count, t.quote_count),
         matched_rules = pulse._tweet_union(d.matched_rules, t.matched_rules)
    FROM pulse.tweets t,
         LATERAL (SELECT bool_or(s.hashtags IS NOT NULL) AS hashtags, bool_or(s.cashtags IS NOT NULL) AS cashtags,
                         bool_or(s.mentions IS NOT NULL) AS mentions, bool_or(s.is_retweet IS NOT NULL) AS is_retweet
                    FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = t.id) AS k
   WHERE t.id = d.id AND t.created_at = d.created_at AND t.observed_at <= d.observed_at;

  -- An observation that changes nothing keeps the stored observed_at, so
  -- re-reading the same tweets writes nothing (observed_at is the time of the
  -- newest observation that changed the row).
  UPDATE pg_temp.pulse_tweet_src d
     SET observed_at = t.observed_at
    FROM pulse.tweets t
   WHERE t.id = d.id AND t.created_at = d.created_at AND t.observed_at <= d.observed_at
     AND (d.author_id, d.text, d.lang, d.hashtags, d.cashtags, d.mentions, d.is_retweet, d.retweeted_id,
          d.retweet_count, d.like_count, d.reply_count, d.quote_count, d.matched_rules)
         IS NOT DISTINCT FROM
         (t.author_id, t.text, t.lang, t.hashtags, t.cashtags, t.mentions, t.is_retweet, t.retweeted_id,
          t.retweet_count, t.like_count, t.reply_count, t.quote_count, t.matched_rules);

  SELECT m.inserted, m.updated, m.unchanged INTO inserted, updated, unchanged
    FROM pulse.merge('pulse.tweets', 'pg_temp.pulse_tweet_src', ARRAY['id', 'created_at']::name[], 'observed_at') AS m;
END
$fn$;
COMMENT ON FUNCTION pulse._tweets_merge_stage(text, bigint, text) IS
  'Internal to the tweet projections: records staged rejects and merges staged tweets into pulse.tweets';

-- Why a staged item of a projection cannot become a tweet (NULL when it can):
-- one wording for both formats, which differ only in the name of their list
-- (data, statuses), of their objects (tweet, status) and of the id keys.
-- STABLE (format) SQL, so the planner inlines it into the projection's query.
CREATE FUNCTION pulse._tweet_problem(seq integer, ord bigint, item_problem text, tweet jsonb,
  tweet_id bigint, payload_time timestamptz, created_at timestamptz,
  list text, noun text, id_keys text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE
           WHEN item_problem IS NOT NULL THEN format('landing seq %s: %s', seq, item_problem)
           WHEN jsonb_typeof(tweet) <> 'object' THEN
             format('landing seq %s, %s[%s]: a JSON %s, not a %s object', seq, list, ord, jsonb_typeof(tweet), noun)
           WHEN tweet_id IS NULL THEN
             format('landing seq %s, %s[%s]: no usable %s (a decimal 64-bit integer)', seq, list, ord, id_keys)
           WHEN tweet ? 'created_at' AND payload_time IS NULL THEN
             format('landing seq %s, %s[%s]: %s %s has an unreadable created_at %s', seq, list, ord, noun, tweet_id, tweet -> 'created_at')
           WHEN created_at IS NULL THEN
             format('landing seq %s, %s[%s]: %s %s has no created_at and its id is not a snowflake', seq, list, ord, noun, tweet_id)
         END
$$;
COMMENT ON FUNCTION pulse._tweet_problem(integer, bigint, text, jsonb, bigint, timestamptz, timestamptz, text, text, text) IS
  'Internal to the tweet projections: why a staged item cannot become a tweet, or NULL';

CREATE FUNCTION pulse._apply_twitter_v2(stream text, batch_id bigint,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
BEGIN
  PERFORM pulse._tweets_stage();
  INSERT INTO pg_temp.pulse_tweet_stage
  SELECT l.seq, i.ord, l.received_at,
         pulse._tweet_problem(l.seq, i.ord, i.problem, i.tweet, f.id, f.payload_time, f.created_at, 'data', 'tweet', 'id'),
         coalesce(i.tweet, l.payload),
         f.payload_time IS NOT NULL,
         f.id, f.created_at,
         pulse._tweet_bigint(i.tweet -> 'author_id'),
         CASE WHEN o.orig_user IS NOT NULL
              THEN 'RT @' || o.orig_user || ': ' || coalesce(o.orig -> 'note_tweet' ->> 'text', o.orig ->> 'text')
              ELSE coalesce(i.tweet -> 'note_tweet' ->> 'text', i.tweet ->> 'text') END,
         i.tweet ->> 'lang',
         CASE WHEN f.ents THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'hashtags') || pulse._tweet_array(e.orig -> 'hashtags'), 'tag', '#＃') END,
         CASE WHEN f.ents THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'cashtags') || pulse._tweet_array(e.orig -> 'cashtags'), 'tag', '$') END,
         CASE WHEN f.ents THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'mentions') || pulse._tweet_array(e.orig -> 'mentions'), 'username', '@') END,
         CASE WHEN i.tweet ? 'referenced_tweets' THEN r.rt_id IS NOT NULL END,
         r.rt_id,
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'retweet_count'),
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'like_count'),
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'reply_count'),
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'quote_count'),
         pulse._tweet_rules(i.rules)
    FROM pulse.landing l
   CROSS JOIN LATERAL pulse._twitter_v2_items(l.payload) AS i
   CROSS JOIN LATERAL (
          SELECT pulse._tweet_bigint(i.tweet -> 'id') AS id,
                 pulse._tweet_time(i.tweet ->> 'created_at') AS payload_time,
                 coalesce(pulse._tweet_time(i.tweet ->> 'created_at'),
                          CASE WHEN NOT i.tweet ? 'created_at'
                               THEN pulse._tweet_snowflake_time(pulse._tweet_bigint(i.tweet -> 'id')) END) AS created_at,
                 jsonb_typeof(i.tweet -> 'entities') = 'object' AS ents) AS f
   CROSS JOIN LATERAL (
          SELECT (SELECT pulse._tweet_bigint(rt -> 'id')
                    FROM jsonb_array_elements(pulse._tweet_array(i.tweet -> 'referenced_tweets')) AS rt
                   WHERE rt ->> 'type' = 'retweeted' LIMIT 1) AS rt_id) AS r
   -- A retweet's own text is cut at 140 characters; the original, when the
   -- page carries it as an expansion, gives the full text and entities.
   LEFT JOIN LATERAL (
          SELECT t AS orig,
                 (SELECT u ->> 'username' FROM jsonb_array_elements(pulse._tweet_array(i.includes -> 'users')) AS u
                   WHERE u ->> 'id' = t ->> 'author_id' LIMIT 1) AS orig_user
            FROM jsonb_array_elements(pulse._tweet_array(i.includes -> 'tweets')) AS t
           WHERE r.rt_id IS NOT NULL AND pulse._tweet_bigint(t -> 'id') = r.rt_id
           LIMIT 1) AS o ON true
   CROSS JOIN LATERAL (
          SELECT CASE WHEN jsonb_typeof(i.tweet -> 'entities') = 'object' THEN i.tweet -> 'entities' END AS own,
                 o.orig -> 'entities' AS orig) AS e
   WHERE l.stream = _apply_twitter_v2.stream AND l.batch_id = _apply_twitter_v2.batch_id
     AND l.format = 'twitter_v2';

  SELECT m.inserted, m.updated, m.unchanged, m.rejected INTO inserted, updated, unchanged, rejected
    FROM pulse._tweets_merge_stage(stream, batch_id, 'twitter_v2') AS m;
END
$fn$;
COMMENT ON FUNCTION pulse._apply_twitter_v2(text, bigint) IS
  'Projects the twitter_v2 landing records of one batch into pulse.tweets (pulse.merge semantics, version observed_at) and unusable ones into pulse.rejects; returns the counts';

CREATE FUNCTION pulse._apply_twitter_v1(stream text, batch_id bigint,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
BEGIN
  PERFORM pulse._tweets_stage();
  INSERT INTO pg_temp.pulse_tweet_stage
  SELECT l.seq, i.ord, l.received_at,
         pulse._tweet_problem(l.seq, i.ord, i.problem, i.tweet, f.id, f.payload_time, f.created_at,
                              'statuses', 'status', 'id_str or id'),
         coalesce(i.tweet, l.payload),
         f.payload_time IS NOT NULL,
         f.id, f.created_at,
         coalesce(pulse._tweet_bigint(i.tweet -> 'user' -> 'id_str'), pulse._tweet_bigint(i.tweet -> 'user' -> 'id')),
         CASE WHEN f.rs IS NOT NULL AND f.rs -> 'user' ->> 'screen_name' IS NOT NULL
              THEN 'RT @' || (f.rs -> 'user' ->> 'screen_name') || ': '
                   || coalesce(f.rs -> 'extended_tweet' ->> 'full_text', f.rs ->> 'full_text', f.rs ->> 'text')
              ELSE coalesce(i.tweet -> 'extended_tweet' ->> 'full_text', i.tweet ->> 'full_text', i.tweet ->> 'text') END,
         i.tweet ->> 'lang',
         CASE WHEN e.own IS NOT NULL THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'hashtags') || pulse._tweet_array(e.orig -> 'hashtags'), 'text', '#＃') END,
         CASE WHEN e.own IS NOT NULL THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'symbols') || pulse._tweet_array(e.orig -> 'symbols'), 'text', '$') END,
         CASE WHEN e.own IS NOT NULL THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'user_mentions') || pulse._tweet_array(e.orig -> 'user_mentions'), 'screen_name', '@') END,
         -- A v1.1 status always carries retweeted_status when it is a retweet.
         f.rs IS NOT NULL,
         coalesce(pulse._tweet_bigint(f.rs -> 'id_str'), pulse._tweet_bigint(f.rs -> 'id')),
         pulse._tweet_count(i.tweet -> 'retweet_count'),
         pulse._tweet_count(i.tweet -> 'favorite_count'),
         pulse._tweet_count(i.tweet -> 'reply_count'),
         pulse._tweet_count(i.tweet -> 'quote_count'),
         pulse._tweet_rules(i.tweet -> 'matching_rules')
    FROM pulse.landing l
   CROSS JOIN LATERAL pulse._twitter_v1_items(l.payload) AS i
   CROSS JOIN LATERAL (
          SELECT coalesce(pulse._tweet_bigint(i.tweet -> 'id_str'), pulse._tweet_bigint(i.tweet -> 'id')) AS id,
                 pulse._tweet_time(i.tweet ->> 'created_at') AS payload_time,
                 coalesce(pulse._tweet_time(i.tweet ->> 'created_at'),
                          CASE WHEN NOT i.tweet ? 'created_at'
                               THEN pulse._tweet_snowflake_time(coalesce(pulse._tweet_bigint(i.tweet -> 'id_str'),
                                                                         pulse._tweet_bigint(i.tweet -> 'id'))) END) AS created_at,
                 CASE WHEN jsonb_typeof(i.tweet -> 'retweeted_status') = 'object' THEN i.tweet -> 'retweeted_status' END AS rs) AS f
   -- Entities of the full text: extended_tweet's when the status was cut.
   CROSS JOIN LATERAL (
          SELECT CASE WHEN jsonb_typeof(coalesce(i.tweet -> 'extended_tweet' -> 'entities', i.tweet -> 'entities')) = 'object'
                      THEN coalesce(i.tweet -> 'extended_tweet' -> 'entities', i.tweet -> 'entities') END AS own,
                 coalesce(f.rs -> 'extended_tweet' -> 'entities', f.rs -> 'entities') AS orig) AS e
   WHERE l.stream = _apply_twitter_v1.stream AND l.batch_id = _apply_twitter_v1.batch_id
     AND l.format = 'twitter_v1';

  SELECT m.inserted, m.updated, m.unchanged, m.rejected INTO inserted, updated, unchanged, rejected
    FROM pulse._tweets_merge_stage(stream, batch_id, 'twitter_v1') AS m;
END
$fn$;
COMMENT ON FUNCTION pulse._apply_twitter_v1(text, bigint) IS
  'Projects the twitter_v1 (v1.1 status) landing records of one batch into pulse.tweets (pulse.merge semantics, version observed_at) and unusable ones into pulse.rejects; returns the counts';
-- BI views: what a dashboard tool (Metabase, Grafana, Superset, a spreadsheet)
-- can read without knowing Pulse's functions. Granted to pulse_reader.
-- Minutes are binned with date_bin from the Unix epoch, so they do not
-- depend on the session's TimeZone.

-- The roles SPEC names. Roles are cluster-wide and outlive the extension, so
-- create them only when missing (another part or an earlier install may have).
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pulse_reader') THEN
    CREATE ROLE pulse_reader NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pulse_writer') THEN
    CREATE ROLE pulse_writer NOLOGIN;
  END IF;
END
$roles$;

GRANT USAGE ON SCHEMA pulse TO pulse_reader;

CREATE VIEW pulse.minute_activity AS
SELECT c.exchange,
       c.market,
       c.bucket_start            AS minute,
       coalesce(t.tweets, 0)     AS tweets,
       c.volume,
       c.quote_volume,
       c.open,
       c.high,
       c.low,
       c.close
  FROM pulse.candles c
  LEFT JOIN (SELECT date_bin('1 minute', tw.created_at, timestamptz '1970-01-01 00:00:00+00') AS minute,
                    count(*) AS tweets
               FROM pulse.tweets tw
              GROUP BY 1) t
         ON t.minute = c.bucket_start
 WHERE c.period = interval '1 minute';
COMMENT ON VIEW pulse.minute_activity IS
  'Per exchange, market and minute with a 1-minute candle: tweets (all tweets created in that minute, whatever market they mention: the tweet stream is not per market), volume (base), quote_volume and open/high/low/close. Minutes without a candle are absent; for a gap-filled series over a range use pulse.activity().';

CREATE VIEW pulse.hashtags_hourly AS
SELECT hour, hashtag, tweets, retweets, rank
  FROM (SELECT date_bin('1 hour', tw.created_at, timestamptz '1970-01-01 00:00:00+00') AS hour,
               h.tag                                              AS hashtag,
               count(DISTINCT tw.id)                              AS tweets,
               count(DISTINCT tw.id) FILTER (WHERE tw.is_retweet) AS retweets,
               rank() OVER (PARTITION BY date_bin('1 hour', tw.created_at, timestamptz '1970-01-01 00:00:00+00')
                            ORDER BY count(DISTINCT tw.id) DESC)  AS rank
          FROM pulse.tweets tw
         CROSS JOIN LATERAL unnest(tw.hashtags) AS h(tag)
         GROUP BY 1, 2) ranked;
COMMENT ON VIEW pulse.hashtags_hourly IS
  'Per UTC hour and hashtag (lower case, without #): tweets using it (retweets included), how many of them were retweets, and its rank in that hour (1 = most used; ties share a rank). Filter rank <= 10 for a top ten.';

CREATE VIEW pulse.stream_health AS
WITH cp AS (
  SELECT stream, position, batch_id, updated_at FROM pulse.checkpoints
), recent AS (
  SELECT stream, count(*) AS rows_last_hour, max(received_at) AS last_received_at
    FROM pulse.landing
   WHERE received_at >= now() - interval '1 hour'
   GROUP BY stream
), rj AS (
  SELECT stream,
         count(*) FILTER (WHERE rejected_at >= now() - interval '1 hour') AS rejects_last_hour,
         count(*) AS rejects_total
    FROM pulse.rejects
   GROUP BY stream
), streams AS (
  SELECT stream FROM cp UNION SELECT stream FROM recent UNION SELECT stream FROM rj
)
SELECT s.stream,
       cp.position                                   AS last_position,
       cp.batch_id                                   AS last_batch_id,
       greatest(cp.updated_at, recent.last_received_at) AS last_batch_at,
       coalesce(recent.rows_last_hour, 0)            AS rows_last_hour,
       now() - greatest(cp.updated_at, recent.last_received_at) AS lag,
       coalesce(rj.rejects_last_hour, 0)             AS rejects_last_hour,
       coalesce(rj.rejects_total, 0)                 AS rejects_total
  FROM streams s
  LEFT JOIN cp USING (stream)
  LEFT JOIN recent USING (stream)
  LEFT JOIN rj USING (stream);
COMMENT ON VIEW pulse.stream_health IS
  'Per loader stream: the checkpoint it resumes from (last_position, last_batch_id), when it last delivered a batch (last_batch_at: the later of the checkpoint update and the newest landing record), raw records received in the last hour, lag = now() - last_batch_at (NULL if it never delivered), and rejected records in the last hour and in total.';

GRANT SELECT ON pulse.minute_activity, pulse.hashtags_hourly, pulse.stream_health TO pulse_reader;
-- Roles (SPEC "Roles"), last so that the grants see every object of the
-- script. Group roles without LOGIN: grant them to login roles.
--   pulse_writer: loaders; write landing, call apply_batch; no DDL.
--   pulse_reader: BI tools; read tables and views, call analytics.
-- Roles are cluster-wide: CREATE EXTENSION running at once in two databases
-- may both find a role missing; the loser of that race takes the winner's.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_writer') THEN
    BEGIN
      CREATE ROLE pulse_writer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_reader') THEN
    BEGIN
      CREATE ROLE pulse_reader NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA pulse TO pulse_writer, pulse_reader;

GRANT SELECT, INSERT ON pulse.landing TO pulse_writer;
GRANT INSERT ON pulse.rejects TO pulse_writer;
GRANT SELECT, INSERT, UPDATE ON pulse.checkpoints TO pulse_writer;
GRANT SELECT ON pulse.managed_tables TO pulse_writer;
GRANT EXECUTE ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) TO pulse_writer;
-- The ingestion entry point (50_ingest.sql); reapply is for the owner.
GRANT EXECUTE ON FUNCTION pulse.apply_batch(text, bigint, jsonb) TO pulse_writer;
REVOKE EXECUTE ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) FROM PUBLIC;

-- Readers see every table and view of the extension; functions not revoked
-- from PUBLIC (the analytics) stay callable by them.
GRANT SELECT ON ALL TABLES IN SCHEMA pulse TO pulse_reader;
-- Search-path hardening, after every other part so it sees every function.
-- Each PL/pgSQL function of the extension runs with search_path pinned to
-- pg_catalog, pg_temp: an object a user creates in a schema that comes first
-- in someone's search_path (an operator =(text,text), a function format(text,
-- text)) can then never stand in for the built-in one inside Pulse, even when
-- an administrator or the maintenance worker runs the function. Functions
-- keep their caller's rights; SECURITY DEFINER ones already pin the path.
-- SQL-language helpers are left alone: a SET clause would stop the planner
-- from inlining them, and they are only reached through pinned callers or
-- hold nothing but schema-qualified or built-in names.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pulse'::regnamespace
       AND (p.prolang = (SELECT oid FROM pg_catalog.pg_language WHERE lanname = 'plpgsql')
            OR p.oid = 'pulse.run_maintenance(regclass)'::regprocedure)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
  LOOP
    EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f);
  END LOOP;
END $$;

-- Internal functions that write are not for PUBLIC: the definer entry points
-- (apply_batch, reapply, ensure_partitions) call them as the extension's
-- owner; nobody else needs them.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pulse'::regnamespace AND p.proname LIKE '\_%' AND p.provolatile = 'v'
       AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
  LOOP
    EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;

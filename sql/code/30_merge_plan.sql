-- Idempotent merge, its plan (SPEC "Idempotent merge"): upserts a batch into any table by
-- key, keeping the greatest version, and writes nothing for rows that would not
-- change, so a batch can be applied any number of times, in any order.
--
-- Why PL/pgSQL and not C++: the work is one INSERT ... ON CONFLICT built from
-- catalog look-ups; PostgreSQL's executor does the heavy lifting and its
-- speculative insertion is what makes concurrent merges safe.
--
-- pulse.merge runs with the caller's rights, and so do its steps below
-- (plan, checks, partitions, statement, counts): they only read the catalog
-- and run the statement the caller could run. The search_path is pinned so
-- that no object of the caller's (a function, an operator) can stand in for
-- a catalog one; every operator we generate is schema-qualified anyway.

-- What the steps hand each other: the names (quoted), the columns and their
-- target types, the key in its unique index's order with the index's
-- equality operators, the version's <= operator and the managed time column.
-- A type keeps its shape across upgrades: a version that changes it drops it
-- (CASCADE) in its upgrade script first.
DO $$
BEGIN
  IF to_regtype('pulse_internal.merge_plan') IS NULL THEN
    CREATE TYPE pulse_internal.merge_plan AS (
      target regclass, source regclass, t_kind "char", t_name text, s_name text,
      s_cols name[], cast_to text[], k_cols name[], k_eq text[], nk_cols name[],
      version name, v_le text, time_col name, time_expr text);
  END IF;
END $$;

-- The `op` operator (by name) that works on values of type `typ`, as
-- OPERATOR(schema.op) text: pg_catalog's when the type (or its base type) is a
-- built-in one, else the one declared next to the type (an extension type such
-- as citext). NULL when there is none.
CREATE OR REPLACE FUNCTION pulse_internal.merge_operator(typ regtype, op text)
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

-- The time column of a managed table (NULL if the table is not managed). A
-- merge needs it whoever calls it, and the registry itself is not readable
-- by every role, so this one fact is read with the extension owner's rights.
CREATE OR REPLACE FUNCTION pulse_internal.managed_time_column(parent regclass)
RETURNS name
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.time_column FROM pulse_internal.managed_tables m WHERE m.parent = $1
$$;

-- A relation's kind and quoted name; a regclass can outlive its table (a
-- stored OID), so look again.
CREATE OR REPLACE FUNCTION pulse_internal.merge_relation(rel regclass, what text, OUT kind "char", OUT name text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  SELECT c.relkind, format('%I.%I', n.nspname, c.relname) INTO kind, name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = rel;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'pulse.merge: % relation with OID % does not exist', what, rel::oid
      USING ERRCODE = 'undefined_table';
  END IF;
END
$fn$;

-- Plan, part 1: the arguments and the two relations.
CREATE OR REPLACE FUNCTION pulse_internal.merge_relations(target regclass, source regclass, key name[], version name,
  OUT t_kind "char", OUT t_name text, OUT s_name text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s_kind "char";
BEGIN
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
  SELECT r.kind, r.name INTO t_kind, t_name FROM pulse_internal.merge_relation(target, 'target') r;
  IF t_kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'pulse.merge: target % is not a table', t_name
      USING ERRCODE = 'wrong_object_type';
  END IF;
  SELECT r.kind, r.name INTO s_kind, s_name FROM pulse_internal.merge_relation(source, 'source') r;
  IF s_kind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
    RAISE EXCEPTION 'pulse.merge: source % is not a table, view or materialized view', s_name
      USING ERRCODE = 'wrong_object_type';
  END IF;
END
$fn$;

-- Plan, part 2: columns match by name (the source may carry a subset of the
-- target's), each with its target type; key and version columns exist.
CREATE OR REPLACE FUNCTION pulse_internal.merge_columns(p pulse_internal.merge_plan, key name[])
RETURNS pulse_internal.merge_plan
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  col name;
  t_type oid;
  t_gen "char";
BEGIN
  SELECT array_agg(a.attname ORDER BY a.attnum) INTO p.s_cols
    FROM pg_attribute a
   WHERE a.attrelid = p.source AND a.attnum > 0 AND NOT a.attisdropped;
  IF p.s_cols IS NULL THEN
    RAISE EXCEPTION 'pulse.merge: source % has no columns', p.s_name
      USING ERRCODE = 'undefined_column';
  END IF;
  p.cast_to := '{}';
  FOREACH col IN ARRAY p.s_cols LOOP
    SELECT a.atttypid, a.attgenerated INTO t_type, t_gen
      FROM pg_attribute a
     WHERE a.attrelid = p.target AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'pulse.merge: column % of source % does not exist in target %',
                      quote_ident(col), p.s_name, p.t_name
        USING ERRCODE = 'undefined_column';
    END IF;
    IF t_gen <> '' THEN
      RAISE EXCEPTION 'pulse.merge: column % of target % is a generated column; the source must not carry it',
                      quote_ident(col), p.t_name
        USING ERRCODE = 'generated_always';
    END IF;
    p.cast_to := p.cast_to || format_type(t_type, NULL);
  END LOOP;
  FOREACH col IN ARRAY key LOOP
    IF NOT col = ANY (p.s_cols) THEN
      RAISE EXCEPTION 'pulse.merge: key column % does not exist in source %', quote_ident(col), p.s_name
        USING ERRCODE = 'undefined_column';
    END IF;
  END LOOP;
  IF p.version IS NOT NULL AND NOT p.version = ANY (p.s_cols) THEN
    IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = p.target AND a.attname = p.version
                                               AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'pulse.merge: version column % does not exist in target % nor in source %',
                      quote_ident(p.version), p.t_name, p.s_name
        USING ERRCODE = 'undefined_column';
    END IF;
    RAISE EXCEPTION 'pulse.merge: version column % does not exist in source %', quote_ident(p.version), p.s_name
      USING ERRCODE = 'undefined_column';
  END IF;
  RETURN p;
END
$fn$;

-- Plan, part 3: each source column must be assignable to its target column,
-- by PostgreSQL's own rule (can_coerce_type in assignment context). Planning
-- an INSERT (EXPLAIN, nothing runs, no trigger fires) applies exactly that
-- rule, domains and arrays included.
CREATE OR REPLACE FUNCTION pulse_internal.merge_check_types(p pulse_internal.merge_plan)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  EXECUTE format('EXPLAIN (COSTS OFF) INSERT INTO %s (%s) SELECT %s FROM %s AS s', p.t_name,
                 pulse_internal.ident_list(p.s_cols), pulse_internal.ident_list(p.s_cols, 's.%I'), p.s_name);
EXCEPTION WHEN datatype_mismatch THEN
  -- Find the first offending column, to name it and both types.
  FOR i IN 1 .. cardinality(p.s_cols) LOOP
    BEGIN
      EXECUTE format('EXPLAIN (COSTS OFF) INSERT INTO %s (%I) SELECT s.%I FROM %s AS s',
                     p.t_name, p.s_cols[i], p.s_cols[i], p.s_name);
    EXCEPTION WHEN datatype_mismatch THEN
      RAISE EXCEPTION 'pulse.merge: column % of source % has type %, which cannot be assigned to column % of target % (type %)',
                      quote_ident(p.s_cols[i]), p.s_name,
                      (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                        WHERE a.attrelid = p.source AND a.attname = p.s_cols[i]),
                      quote_ident(p.s_cols[i]), p.t_name,
                      (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                        WHERE a.attrelid = p.target AND a.attname = p.s_cols[i])
        USING ERRCODE = 'datatype_mismatch';
    END;
  END LOOP;
  RAISE;
END
$fn$;

-- The unique keys of a table that ON CONFLICT can use, as '{a,b}, {c}'.
CREATE OR REPLACE FUNCTION pulse_internal.merge_usable_keys(target regclass)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT string_agg(u.cols, ', ' ORDER BY u.cols)
    FROM (SELECT '{' || string_agg(quote_ident(a.attname), ',' ORDER BY k.ord) || '}' AS cols
            FROM pg_index ix
            CROSS JOIN LATERAL unnest((ix.indkey::int2[])[0:ix.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
           WHERE ix.indrelid = target AND ix.indisunique AND ix.indimmediate AND ix.indisvalid
             AND ix.indpred IS NULL AND ix.indexprs IS NULL
           GROUP BY ix.indexrelid) AS u
$$;

-- Plan, part 4: the key must be exactly the columns of a unique index ON
-- CONFLICT can use (not partial, not on expressions, not deferrable, valid).
-- Key columns come out in the index's order (deterministic insert order
-- whatever the order of `key`: two merges lock rows in the same order, no
-- deadlock) with the index's own equality operators.
CREATE OR REPLACE FUNCTION pulse_internal.merge_key(p pulse_internal.merge_plan, key name[])
RETURNS pulse_internal.merge_plan
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  idx oid;
  part_cols text;
BEGIN
  SELECT ix.indexrelid INTO idx
    FROM pg_index ix
   WHERE ix.indrelid = p.target AND ix.indisunique AND ix.indimmediate AND ix.indisvalid
     AND ix.indpred IS NULL AND ix.indexprs IS NULL
     AND (SELECT array_agg(k ORDER BY k) FROM unnest((ix.indkey::int2[])[0:ix.indnkeyatts - 1]) AS k) =
         (SELECT array_agg(a.attnum ORDER BY a.attnum) FROM pg_attribute a
           WHERE a.attrelid = p.target AND a.attname = ANY (key) AND a.attnum > 0 AND NOT a.attisdropped)
   ORDER BY ix.indisprimary DESC, ix.indexrelid
   LIMIT 1;
  IF idx IS NULL THEN
    IF p.t_kind = 'p' THEN
      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY pk.ord) INTO part_cols
        FROM pg_partitioned_table pt
        CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY AS pk(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pk.attnum
       WHERE pt.partrelid = p.target AND NOT a.attname = ANY (key);
    END IF;
    RAISE EXCEPTION 'pulse.merge: target % has no unique index on exactly the key (%)',
                    p.t_name, pulse_internal.ident_list(key)
      USING ERRCODE = 'invalid_column_reference',
            DETAIL = CASE WHEN part_cols IS NOT NULL
                          THEN format('%s is partitioned: a unique index, and so the key, must include its partition key column(s) %s.', p.t_name, part_cols)
                          ELSE 'ON CONFLICT needs a unique index (or primary key) whose columns are exactly the key columns, without predicate or expressions, not deferrable.' END,
            HINT = coalesce('Usable unique keys of ' || p.t_name || ': ' || pulse_internal.merge_usable_keys(p.target) || '.',
                            'Create a unique index or primary key on the key columns.');
  END IF;
  SELECT array_agg(a.attname ORDER BY k.i), array_agg(format('OPERATOR(%I.%s)', n.nspname, o.oprname) ORDER BY k.i)
    INTO p.k_cols, p.k_eq
    FROM pg_index ix
    CROSS JOIN LATERAL generate_series(0, cardinality(key) - 1) AS k(i)
    JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = (ix.indkey::int2[])[k.i]
    JOIN pg_opclass oc ON oc.oid = (ix.indclass::oid[])[k.i]
    JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amoplefttype = oc.opcintype
                   AND ao.amoprighttype = oc.opcintype AND ao.amopstrategy = 3
    JOIN pg_operator o ON o.oid = ao.amopopr
    JOIN pg_namespace n ON n.oid = o.oprnamespace
   WHERE ix.indexrelid = idx;
  SELECT array_agg(c ORDER BY o) INTO p.nk_cols
    FROM unnest(p.s_cols) WITH ORDINALITY AS u(c, o) WHERE NOT u.c = ANY (key);
  RETURN p;
END
$fn$;

-- The whole plan: parts 1-4, the version's <= operator, and the time column
-- of a managed (time-partitioned) target, to create the partitions a batch
-- needs.
CREATE OR REPLACE FUNCTION pulse_internal.merge_plan(target regclass, source regclass, key name[], version name)
RETURNS pulse_internal.merge_plan
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  p pulse_internal.merge_plan;
  v_type oid;
BEGIN
  p.target := target;
  p.source := source;
  p.version := version;
  SELECT r.t_kind, r.t_name, r.s_name INTO p.t_kind, p.t_name, p.s_name
    FROM pulse_internal.merge_relations(target, source, key, version) AS r;
  p := pulse_internal.merge_columns(p, key);
  PERFORM pulse_internal.merge_check_types(p);
  p := pulse_internal.merge_key(p, key);
  IF version IS NOT NULL THEN
    SELECT a.atttypid INTO v_type FROM pg_attribute a
     WHERE a.attrelid = target AND a.attname = version AND a.attnum > 0 AND NOT a.attisdropped;
    p.v_le := pulse_internal.merge_operator(v_type::regtype, '<=');
    IF p.v_le IS NULL THEN
      RAISE EXCEPTION 'pulse.merge: version column % has type %, which has no <= operator',
                      quote_ident(version), format_type(v_type, NULL)
        USING ERRCODE = 'undefined_function';
    END IF;
  END IF;
  p.time_col := pulse_internal.managed_time_column(target);
  IF p.time_col IS NOT NULL AND p.time_col = ANY (p.s_cols) THEN
    -- The batch's time range as timestamptz, read in the target column's
    -- type; timestamp and date columns of managed tables hold UTC
    -- wall-clock values (see 10_partitioning.sql). Another type: nothing
    -- partition_by_time accepts, so nothing to create.
    p.time_expr := CASE p.cast_to[array_position(p.s_cols, p.time_col)]
                     WHEN 'timestamp with time zone' THEN '%s'
                     WHEN 'timestamp without time zone' THEN '(%s AT TIME ZONE ''UTC'')'
                     WHEN 'date' THEN '(%s::timestamp AT TIME ZONE ''UTC'')'
                   END;
  END IF;
  IF p.time_expr IS NULL THEN
    p.time_col := NULL;   -- rows take the target's default, or an unusable type
  END IF;
  RETURN p;
END
$fn$;


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

CREATE FUNCTION pulse.merge(target regclass, source regclass, key name[], version name DEFAULT NULL)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
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
  leaf oid;
  tids tid[];
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
            HINT = 'Create a unique index or primary key on the key columns, or pass the columns of an existing one.';
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
  IF to_regclass('pulse.managed_tables') IS NOT NULL THEN
    EXECUTE 'SELECT m.time_column FROM pulse.managed_tables m WHERE m.parent = $1'
      INTO time_col USING target;
    IF time_col IS NOT NULL AND NOT time_col = ANY (s_cols) THEN
      time_col := NULL;   -- rows take the target's default: nothing to backfill from
    END IF;
  END IF;

  -- One pass over the batch: size, distinct keys, NULL keys, time range.
  key_list := (SELECT string_agg(format('src.%I', k), ', ' ORDER BY o) FROM unnest(k_cols) WITH ORDINALITY AS u(k, o));
  q := format('SELECT count(*), coalesce(sum(g.n), 0), coalesce(bool_or(g.null_key), false), coalesce(bool_or(g.n > 1), false), %s, %s '
              'FROM (SELECT count(*) AS n, (%s) AS null_key%s FROM %s AS src GROUP BY %s) AS g',
              CASE WHEN time_col IS NULL THEN 'NULL::timestamptz' ELSE 'min(g.tmin)::timestamptz' END,
              CASE WHEN time_col IS NULL THEN 'NULL::timestamptz' ELSE 'max(g.tmax)::timestamptz' END,
              (SELECT string_agg(format('src.%I IS NULL', k), ' OR ') FROM unnest(k_cols) AS k),
              CASE WHEN time_col IS NULL THEN '' ELSE format(', min(src.%I) AS tmin, max(src.%I) AS tmax', time_col, time_col) END,
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

  -- Backfill: create the partitions this batch needs, and only those.
  IF time_col IS NOT NULL AND t_min IS NOT NULL THEN
    PERFORM pulse.ensure_partitions(target, t_min, t_max);
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
  -- return xmax, so for it we return each written tuple's partition and ctid
  -- and read xmax back from the partition (a TID scan, only written rows).
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
  ELSE
    n_ins := 0;
    n_upd := 0;
    FOR leaf, tids IN EXECUTE 'WITH w AS (' || q || 'RETURNING t.tableoid, t.ctid) '
                              'SELECT w.tableoid, array_agg(w.ctid) FROM w GROUP BY w.tableoid' LOOP
      EXECUTE format('SELECT count(*) FROM ONLY %s AS t WHERE t.ctid OPERATOR(pg_catalog.=) ANY ($1) '
                     'AND t.xmax OPERATOR(pg_catalog.=) ''0''::pg_catalog.xid', leaf::regclass)
        INTO i USING tids;
      n_ins := n_ins + i;
      n_upd := n_upd + cardinality(tids) - i;
    END LOOP;
  END IF;

  RETURN QUERY SELECT n_ins, n_upd, n_keys - n_ins - n_upd;
END
$fn$;
COMMENT ON FUNCTION pulse.merge(regclass, regclass, name[], name) IS
  'Idempotent upsert of source into target by key (columns by name, source may have a subset): the greatest version wins, rows that would not change are not written; returns (inserted, updated, unchanged)';

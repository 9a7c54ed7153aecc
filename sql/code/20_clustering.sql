-- Builds a copy of a sealed partition in (cluster_by..., time) order, with
-- the partition's indexes and bound constraint, ready to be swapped in.
-- Writers of that partition wait (SHARE lock) so no row can be missed;
-- readers are not blocked. Returns NULL when the partition is busy.
CREATE OR REPLACE FUNCTION pulse_internal.cluster_prepare(t pulse_internal.managed_tables, part regclass) RETURNS regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
  IF NOT pulse_internal.lock_polling(part, 'SHARE', '1 second') THEN
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
CREATE OR REPLACE FUNCTION pulse_internal.cluster_swap(t pulse_internal.managed_tables, part regclass, copy regclass) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  bound text;
  nsp name;
  rel name;
  owner name;
  names text[];
  k integer;
BEGIN
  IF NOT pulse_internal.lock_polling(part, 'ACCESS EXCLUSIVE', '1 second') THEN
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
  DELETE FROM pulse_internal.clustered_partitions cp WHERE cp.partition::oid = part::oid;
  EXECUTE format('ALTER TABLE %s DROP CONSTRAINT pulse_partition_bound', copy);
  EXECUTE format('ALTER TABLE %s RENAME TO %I', copy, rel);
  FOR k IN 1..coalesce(array_length(names, 1), 0) LOOP
    IF to_regclass(format('%I.%I', nsp, names[k][1])) IS NOT NULL THEN
      EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', nsp, names[k][1], names[k][2]);
    END IF;
  END LOOP;
  INSERT INTO pulse_internal.clustered_partitions (partition, parent) VALUES (copy, t.parent);
  RETURN true;
END $$;


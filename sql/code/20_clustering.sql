-- Clustering: a sealed partition is rewritten once in (cluster_by..., time)
-- order by building a sorted copy and swapping it in.
--
-- Rights: maintenance runs as a superuser (the background worker, pg_cron,
-- an administrator), but a table's constraints, index expressions,
-- generated columns and its types' operators are its owner's code. Every
-- step that can run such code runs with the owner's rights, as CLUSTER and
-- REINDEX do: through as_owner, a SECURITY DEFINER function owned by the
-- owner, inside which SET ROLE and SET SESSION AUTHORIZATION are refused, so
-- the owner's code cannot climb back to the caller's rights.

-- Runs statements with the rights of rel's owner: directly when the caller
-- is that owner (or the owner is a superuser), else through a trampoline
-- made for this call and dropped after it (an error rolls it back with the
-- caller's subtransaction), which takes a superuser caller.
CREATE OR REPLACE FUNCTION pulse_internal.as_owner(rel regclass, stmts text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  owner name := (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = rel);
  tramp text := format('pulse_internal.%I', 'as_owner_' || pg_backend_pid() || '_' || rel::oid);
  s text;
BEGIN
  -- Directly only as the owner itself, or for a superuser's table (its
  -- owner has every right anyway); anyone else through the trampoline,
  -- which only a superuser can make.
  IF owner = current_user OR coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = owner), false) THEN
    FOREACH s IN ARRAY stmts LOOP
      EXECUTE s;
    END LOOP;
    RETURN;
  END IF;
  IF NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user), false) THEN
    RAISE EXCEPTION 'maintenance of % must run as its owner % or as a superuser, not as %', rel, owner, current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('CREATE FUNCTION %s(stmts text[]) RETURNS void LANGUAGE plpgsql SECURITY DEFINER'
                 ' SET search_path = pg_catalog, pg_temp AS %L', tramp,
                 'DECLARE s text; BEGIN FOREACH s IN ARRAY stmts LOOP EXECUTE s; END LOOP; END');
  EXECUTE format('ALTER FUNCTION %s(text[]) OWNER TO %I', tramp, owner);
  EXECUTE format('SELECT %s($1)', tramp) USING stmts;
  EXECUTE format('DROP FUNCTION %s(text[])', tramp);
END $$;

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
  stmts text[];
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
  cols := pulse_internal.ident_list(ARRAY(SELECT a.attname FROM pg_attribute a
                                          WHERE a.attrelid = part AND a.attnum > 0 AND NOT a.attisdropped
                                            AND a.attgenerated = '' ORDER BY a.attnum));
  order_cols := pulse_internal.ident_list(t.cluster_by || t.time_column);
  -- The copy is the partition owner's; filling it evaluates the owner's
  -- constraints, generated columns and index expressions: as the owner.
  EXECUTE format('ALTER TABLE %s OWNER TO %I', copy, (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = part));
  stmts := ARRAY[format('INSERT INTO %s (%s) SELECT %s FROM %s ORDER BY %s', copy, cols, cols, part, order_cols),
                 -- Lets ATTACH PARTITION skip its validation scan under the strong lock.
                 format('ALTER TABLE %s ADD CONSTRAINT pulse_partition_bound CHECK (%s)',
                        copy, pg_get_partition_constraintdef(part))];
  FOR ix IN
    SELECT i.indexrelid, ic.relname AS idxname, i.indisunique, con.oid AS conoid
      FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
      LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = part
                                 AND con.contype IN ('p', 'u', 'x')
     WHERE i.indrelid = part ORDER BY i.indexrelid
  LOOP
    IF ix.conoid IS NOT NULL THEN
      stmts := stmts || format('ALTER TABLE %s ADD CONSTRAINT %I %s', copy, 'pulse_tmp_' || ix.indexrelid,
                               pg_get_constraintdef(ix.conoid));
    ELSE
      def := pg_get_indexdef(ix.indexrelid);
      prefix := format('CREATE %sINDEX %I ON %I.%I ', CASE WHEN ix.indisunique THEN 'UNIQUE ' ELSE '' END,
                       ix.idxname, nsp, rel);
      IF NOT starts_with(def, prefix) THEN
        RAISE EXCEPTION 'cannot rebuild index % of %: unexpected definition', ix.idxname, part;
      END IF;
      stmts := stmts || (format('CREATE %sINDEX %I ON %s ', CASE WHEN ix.indisunique THEN 'UNIQUE ' ELSE '' END,
                                'pulse_tmp_' || ix.indexrelid, copy) || substr(def, length(prefix) + 1));
    END IF;
  END LOOP;
  PERFORM pulse_internal.as_owner(part, stmts || format('ANALYZE %s', copy));
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
  renames text[];
BEGIN
  IF NOT pulse_internal.lock_polling(part, 'ACCESS EXCLUSIVE', '1 second') THEN
    RETURN false;
  END IF;
  SELECT pg_get_expr(c.relpartbound, c.oid), n.nspname, c.relname
    INTO bound, nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = part;
  SELECT coalesce(array_agg(format('ALTER INDEX %I.%I RENAME TO %I', nsp, 'pulse_tmp_' || i.indexrelid, ic.relname)), '{}')
    INTO renames
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = part;
  -- DDL on the owner's tables, as the owner (ATTACH could build an index).
  PERFORM pulse_internal.as_owner(t.parent, ARRAY[
    format('ALTER TABLE %s DETACH PARTITION %s', t.parent, part),
    format('ALTER TABLE %s ATTACH PARTITION %s %s', t.parent, copy, bound),
    format('DROP TABLE %s', part),
    format('ALTER TABLE %s DROP CONSTRAINT pulse_partition_bound', copy),
    format('ALTER TABLE %s RENAME TO %I', copy, rel)] || renames);
  DELETE FROM pulse_internal.clustered_partitions cp WHERE cp.partition::oid = part::oid;
  INSERT INTO pulse_internal.clustered_partitions (partition, parent) VALUES (copy, t.parent);
  RETURN true;
END $$;


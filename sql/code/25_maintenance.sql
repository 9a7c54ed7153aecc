-- Maintenance (SPEC "pulse.run_maintenance"): premake from the clock, drop
-- what retention expired, swap in the sorted copies of sealed partitions
-- (20_clustering.sql). Locking rule: it never waits in the lock manager for
-- a table lock (every strong lock is taken NOWAIT and polled), so it can
-- never be part of a deadlock with loads; loads may wait for it until it
-- commits.

-- Phase 1, the slow part: sorted copies of the sealed partitions of each
-- table (at most 8 per table and run), while only writers of those
-- partitions wait. Tables another run or a backfill holds are returned as
-- busy.
CREATE OR REPLACE FUNCTION pulse_internal.maintenance_prepare(tables pulse_internal.managed_tables[],
  OUT busy regclass[], OUT pend_part regclass[], OUT pend_copy regclass[], OUT pend_parent regclass[])
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables;
  p record;
  copy regclass;
  msg text;
BEGIN
  busy := '{}'; pend_part := '{}'; pend_copy := '{}'; pend_parent := '{}';
  FOREACH t IN ARRAY tables LOOP
    IF NOT pg_try_advisory_xact_lock(pulse_internal.lock_key(t.parent)) THEN
      busy := busy || t.parent;
      CONTINUE;
    END IF;
    -- A partition that other tables' foreign keys point into cannot be
    -- detached while referenced: such tables are not clustered.
    CONTINUE WHEN EXISTS (SELECT 1 FROM pg_constraint con
                           WHERE con.contype = 'f' AND con.confrelid = t.parent::oid);
    -- Citus tables are not clustered: the sorted copy would have to be made
    -- and swapped in shard by shard on the workers, where this run's
    -- never-wait locking cannot reach (README "Scaling out").
    CONTINUE WHEN pulse_internal.citus_table(t.parent);
    FOR p IN
      SELECT x.part, x.range FROM pulse_internal.partitions_of(t.parent) x
        JOIN pg_class c ON c.oid = x.part AND c.relkind = 'r'
       WHERE upper(x.range) <= now() - t.lateness
         AND (t.retain IS NULL OR upper(x.range) > now() - t.retain)
         AND NOT EXISTS (SELECT 1 FROM pulse_internal.clustered_partitions cp WHERE cp.partition::oid = x.part::oid)
       ORDER BY lower(x.range)
       -- Bounded work per run: each copy holds locks on the partition, the
       -- copy and its indexes until commit; the rest waits for the next run.
       LIMIT 8
    LOOP
      BEGIN
        copy := pulse_internal.cluster_prepare(t, p.part);
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
END $$;

-- Drops the sorted copies phase 1 made for one table (when its swap cannot
-- happen this round).
CREATE OR REPLACE FUNCTION pulse_internal.maintenance_discard(parent regclass, pend_copy regclass[], pend_parent regclass[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  FOR k IN 1..coalesce(cardinality(pend_copy), 0) LOOP
    IF pend_parent[k] = parent AND to_regclass(pend_copy[k]::text) IS NOT NULL THEN
      EXECUTE format('DROP TABLE %s', pend_copy[k]);
    END IF;
  END LOOP;
END $$;

-- Phase 2 for one table: short catalog work under its lock (swap the sorted
-- copies in, drop expired partitions, at most 64 a run, premake), all or
-- nothing. The parent's lock is its own (LOCK TABLE ONLY), not one per
-- partition.
CREATE OR REPLACE FUNCTION pulse_internal.maintain_table(t pulse_internal.managed_tables,
  pend_part regclass[], pend_copy regclass[], pend_parent regclass[],
  OUT created integer, OUT dropped integer, OUT clustered integer, OUT note text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  now_slot timestamptz := pulse_internal.slot_start(now(), t.every);
  premake_until timestamptz := pulse_internal.slot_next(now_slot, t.every * (t.premake + 1));
  cutoff timestamptz := CASE WHEN t.retain IS NULL THEN NULL ELSE now() - t.retain END;
  p record;
  msg text;
  problems text;
BEGIN
  created := 0; dropped := 0; clustered := 0; note := 'ok';
  -- Nothing to swap, drop or create: leave the table alone (no lock).
  IF NOT t.parent = ANY (pend_parent)
     AND NOT EXISTS (SELECT 1 FROM pulse_internal.partitions_of(t.parent) x WHERE upper(x.range) <= cutoff)
     AND pulse_internal.create_partitions(t.parent, now_slot, premake_until, dry_run => true) = 0 THEN
    RETURN;
  END IF;
  IF NOT pulse_internal.lock_polling(t.parent, 'ACCESS EXCLUSIVE') THEN
    PERFORM pulse_internal.maintenance_discard(t.parent, pend_copy, pend_parent);
    note := 'deferred: table busy, will retry';
    RETURN;
  END IF;
  BEGIN
    FOR k IN 1..coalesce(cardinality(pend_part), 0) LOOP
      CONTINUE WHEN pend_parent[k] <> t.parent;
      IF pulse_internal.cluster_swap(t, pend_part[k], pend_copy[k]) THEN
        clustered := clustered + 1;
      ELSE
        EXECUTE format('DROP TABLE %s', pend_copy[k]);
        problems := 'some partitions busy, clustering deferred';
      END IF;
    END LOOP;
    FOR p IN SELECT x.part, upper(x.range) AS hi FROM pulse_internal.partitions_of(t.parent) x
              WHERE upper(x.range) <= cutoff ORDER BY lower(x.range) LIMIT 64 LOOP
      IF NOT pulse_internal.lock_polling(p.part, 'ACCESS EXCLUSIVE', '1 second') THEN
        problems := 'some expired partitions busy, drop deferred';
      -- Stream consumers learn what they lose (49_consumer_read.sql).
      ELSIF t.parent = 'pulse_internal.landing_chunks'::regclass AND NOT pulse_internal.consumers_drop_check(p.part, p.hi) THEN
        problems := 'some consumers busy, drop deferred';
      ELSE
        EXECUTE format('DROP TABLE %s', p.part);
        DELETE FROM pulse_internal.clustered_partitions cp WHERE cp.partition::oid = p.part::oid;
        dropped := dropped + 1;
      END IF;
    END LOOP;
    created := pulse_internal.create_partitions(t.parent, now_slot, premake_until, true);
    note := coalesce(problems, 'ok');
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RAISE WARNING 'pulse: maintenance of % failed: %', t.parent, msg;
    -- the sorted copies of phase 1 are outside this block: drop them too
    PERFORM pulse_internal.maintenance_discard(t.parent, pend_copy, pend_parent);
    created := 0; dropped := 0; clustered := 0;
    note := 'error: ' || msg;
  END;
END $$;

CREATE OR REPLACE FUNCTION pulse_internal.run_maintenance(only_parent regclass)
RETURNS TABLE(parent regclass, created integer, dropped integer, clustered integer, note text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t pulse_internal.managed_tables;
  tables pulse_internal.managed_tables[];
  pend record;
  r record;
BEGIN
  IF only_parent IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM pulse_internal.managed_tables m WHERE m.parent = only_parent) THEN
    RAISE EXCEPTION 'table % is not managed by pulse', only_parent
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- Forget tables and partitions that no longer exist.
  -- (SKIP LOCKED: a concurrent run may be deleting the same rows; never wait.)
  DELETE FROM pulse_internal.managed_tables WHERE ctid IN (
    SELECT m.ctid FROM pulse_internal.managed_tables m
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = m.parent::oid) FOR UPDATE SKIP LOCKED);
  DELETE FROM pulse_internal.clustered_partitions WHERE ctid IN (
    SELECT cp.ctid FROM pulse_internal.clustered_partitions cp
     WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = cp.partition::oid) FOR UPDATE SKIP LOCKED);
  -- One order for every run: by table OID.
  SELECT coalesce(array_agg(m ORDER BY m.parent::oid), '{}') INTO tables
    FROM pulse_internal.managed_tables m
   WHERE (only_parent IS NULL OR m.parent = only_parent)
     AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = m.parent::oid)
     -- on a Citus worker, the coordinator manages the Citus tables'
     -- partitions, and Pulse's own tables there are the extension's shells,
     -- whose shards and partitions the coordinator's distribute makes (a
     -- partition made here would stop it: "relation ... already exists")
     AND NOT (pulse_internal.citus_worker()
              AND (pulse_internal.citus_table(m.parent)
                   OR m.parent IN ('pulse.tweets'::regclass, 'pulse.candles'::regclass, 'pulse_internal.landing_chunks'::regclass)));
  pend := pulse_internal.maintenance_prepare(tables);
  FOREACH t IN ARRAY tables LOOP
    parent := t.parent;
    IF t.parent = ANY (pend.busy) THEN
      created := 0; dropped := 0; clustered := 0;
      note := 'skipped: another maintenance or backfill holds this table';
    ELSE
      r := pulse_internal.maintain_table(t, pend.pend_part, pend.pend_copy, pend.pend_parent);
      created := r.created; dropped := r.dropped; clustered := r.clustered; note := r.note;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;

-- SQL wrapper: PL/pgSQL cannot name an argument like a result column.
CREATE OR REPLACE FUNCTION pulse.run_maintenance(parent regclass DEFAULT NULL)
RETURNS TABLE(parent regclass, created integer, dropped integer, clustered integer, note text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'SELECT * FROM pulse_internal.run_maintenance(pulse_internal.storage_of($1))';
COMMENT ON FUNCTION pulse.run_maintenance(regclass) IS
  'Maintains one managed table (or all): premakes partitions from the clock, drops partitions wholly older than retain, rewrites sealed partitions in cluster order once; returns what it did per table. Safe to schedule with pg_cron.';


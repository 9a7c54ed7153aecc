-- Past one machine: Pulse's tables as Citus tables (README "Scaling out").
-- Citus is a separate program (a PostgreSQL extension, AGPL-3.0) that Pulse
-- talks to through SQL only; nothing here needs it until pulse.distribute
-- runs, and every look-up of its catalog goes through EXECUTE, so this file
-- installs on a server without it.

-- pulse_internal.citus_table and citus_worker: 08_citus.sql (rollups and
-- maintenance ask them before this file is run).

-- pulse.merge into a Citus table. The single-node statement probes the
-- target row by row in a lateral join and reads each written tuple's xmax
-- back; Citus plans neither (a lateral outer join from a local table into a
-- distributed one; system columns of remote shards). So: one join of the
-- batch with the target finds the keys already stored and whether each would
-- change (a distributed join: the batch goes to the workers, the target's
-- rows stay there); then one INSERT ... SELECT of only the rows to write
-- (new keys and changing rows), in key order, ON CONFLICT with the same
-- condition as on one node. Rows that would not change are neither sent nor
-- locked. Counts come from the first step: under concurrent merges of the
-- same keys they are what this merge saw, while the table ends the same
-- (ON CONFLICT decides again on the shard).
CREATE OR REPLACE FUNCTION pulse_internal.merge_run_distributed(p pulse_internal.merge_plan, has_dups boolean,
  OUT n_ins bigint, OUT n_upd bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  key_list text := pulse_internal.ident_list(p.k_cols, 'src.%I');
  src_q text := format('SELECT %s FROM %s AS src', pulse_internal.ident_list(p.s_cols, 'src.%I'), p.s_name);
  apply_cond text := 'false';
  conflict_action text := 'DO NOTHING';
  n_keys bigint;
  n_present bigint;
  -- pulse.tweets: the stored versions' state columns, for tweets_state_apply (86)
  state_cols name[] := CASE WHEN p.target = 'pulse.tweets'::regclass THEN pulse_internal.tweets_state_columns() END;
  old_cols text := '';
BEGIN
  IF state_cols IS NOT NULL THEN
    -- Merges into distributed tweets take turns until commit, so each sees
    -- the versions the one before wrote and the hashtag state moves by
    -- exactly what changed (on one node the triggers' transition tables
    -- give that; two batches touching the same tags wait for each other
    -- there anyway, on the state's rows). The key is the table's oid.
    PERFORM pg_advisory_xact_lock(p.target::oid::bigint);
    old_cols := (SELECT string_agg(format(', t.%I AS %I', c, 'pulse_old_' || c), '' ORDER BY o)
                   FROM unnest(state_cols) WITH ORDINALITY AS u(c, o));
  END IF;
  IF has_dups THEN
    src_q := format('SELECT DISTINCT ON (%s) %s FROM %s AS src ORDER BY %s%s',
                    key_list, pulse_internal.ident_list(p.s_cols, 'src.%I'), p.s_name, key_list,
                    CASE WHEN p.version IS NULL THEN '' ELSE format(', src.%I DESC NULLS LAST', p.version) END);
  END IF;
  IF p.nk_cols IS NOT NULL THEN
    apply_cond := pulse_internal.merge_changes(p, 's', true);
    conflict_action := format('DO UPDATE SET (%s) = ROW(%s) WHERE %s',
                              pulse_internal.ident_list(p.nk_cols), pulse_internal.ident_list(p.nk_cols, 'excluded.%I'),
                              pulse_internal.merge_changes(p, 'excluded', false));
  END IF;
  IF to_regclass('pg_temp.pulse_merge_batch') IS NOT NULL THEN   -- left by a failed merge in this transaction
    DROP TABLE pg_temp.pulse_merge_batch;
  END IF;
  IF to_regclass('pg_temp.pulse_merge_stored') IS NOT NULL THEN
    DROP TABLE pg_temp.pulse_merge_stored;
  END IF;
  EXECUTE format('CREATE TEMP TABLE pulse_merge_batch ON COMMIT DROP AS %s', src_q);
  -- the stored keys of the batch, and whether the batch changes them
  EXECUTE format('CREATE TEMP TABLE pulse_merge_stored ON COMMIT DROP AS '
                 'SELECT %s, (%s) AS apply%s FROM %s AS t JOIN pg_temp.pulse_merge_batch AS s ON %s',
                 pulse_internal.ident_list(p.k_cols, 's.%I'), apply_cond, old_cols, p.t_name,
                 (SELECT string_agg(format('t.%I %s s.%I::%s', p.k_cols[j], p.k_eq[j], p.k_cols[j],
                                           p.cast_to[array_position(p.s_cols, p.k_cols[j])]), ' AND ')
                    FROM generate_subscripts(p.k_cols, 1) AS j));
  SELECT count(*) INTO n_keys FROM pg_temp.pulse_merge_batch;
  SELECT count(*), count(*) FILTER (WHERE x.apply) INTO n_present, n_upd FROM pg_temp.pulse_merge_stored AS x;
  n_ins := n_keys - n_present;
  IF n_ins + n_upd > 0 THEN
    EXECUTE format('INSERT INTO %s AS t (%s) SELECT %s FROM pg_temp.pulse_merge_batch AS s '
                   'WHERE NOT EXISTS (SELECT FROM pg_temp.pulse_merge_stored AS x WHERE NOT x.apply AND %s) '
                   'ORDER BY %s ON CONFLICT (%s) %s',
                   p.t_name, pulse_internal.ident_list(p.s_cols), pulse_internal.ident_list(p.s_cols, 's.%I'),
                   pulse_internal.ident_list(p.k_cols, 'x.%1$I = s.%1$I', ' AND '),
                   pulse_internal.ident_list(p.k_cols, 's.%I'), pulse_internal.ident_list(p.k_cols), conflict_action);
    IF state_cols IS NOT NULL THEN
      PERFORM pulse_internal.merge_state_distributed(p, state_cols);
    END IF;
  END IF;
  DROP TABLE pg_temp.pulse_merge_batch, pg_temp.pulse_merge_stored;
END
$fn$;

-- The rows a distributed merge wrote (pg_temp.pulse_state_new: the batch's
-- new keys and changing rows, their state columns as stored after the
-- merge: from the batch, or kept from the stored row where the batch has no
-- such column) and the versions they replaced (pg_temp.pulse_state_old),
-- handed to tweets_state_apply (86_distributed_writes.sql).
CREATE OR REPLACE FUNCTION pulse_internal.merge_state_distributed(p pulse_internal.merge_plan, state_cols name[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF to_regclass('pg_temp.pulse_state_new') IS NOT NULL THEN   -- left by a failed merge in this transaction
    DROP TABLE pg_temp.pulse_state_new;
  END IF;
  IF to_regclass('pg_temp.pulse_state_old') IS NOT NULL THEN
    DROP TABLE pg_temp.pulse_state_old;
  END IF;
  EXECUTE format('CREATE TEMP TABLE pulse_state_old ON COMMIT DROP AS SELECT %s FROM pg_temp.pulse_merge_stored AS x WHERE x.apply',
                 (SELECT string_agg(CASE WHEN c = ANY (p.k_cols) THEN format('x.%I', c) ELSE format('x.%I AS %I', 'pulse_old_' || c, c) END,
                                    ', ' ORDER BY o)
                    FROM unnest(state_cols) WITH ORDINALITY AS u(c, o)));
  EXECUTE format('CREATE TEMP TABLE pulse_state_new ON COMMIT DROP AS SELECT %s FROM pg_temp.pulse_merge_batch AS s '
                 'LEFT JOIN pg_temp.pulse_merge_stored AS x ON %s WHERE x.apply IS NOT FALSE',
                 (SELECT string_agg(CASE WHEN c = ANY (p.s_cols) THEN format('s.%I::%s AS %I', c, p.cast_to[array_position(p.s_cols, c)], c)
                                         ELSE format('CASE WHEN x.apply THEN x.%I END AS %I', 'pulse_old_' || c, c) END,
                                    ', ' ORDER BY o)
                    FROM unnest(state_cols) WITH ORDINALITY AS u(c, o)),
                 pulse_internal.ident_list(p.k_cols, 'x.%1$I = s.%1$I', ' AND '));
  PERFORM pulse_internal.tweets_state_apply();
  DROP TABLE pg_temp.pulse_state_new, pg_temp.pulse_state_old;
END
$fn$;

-- What pulse.distribute makes of each built-in table, and why:
--   pulse.tweets   distributed by id: the table that grows; a tweet's
--                  versions stay on one shard (the key (id, created_at)
--                  holds the distribution column, so ON CONFLICT works on
--                  the shard), and per-minute counts aggregate on the workers.
--   pulse.candles  distributed by market: a market's candles on one shard
--                  (the key (exchange, market, period, bucket_start) holds
--                  it); a reference table would copy every candle to every
--                  node, and Citus cannot make a partitioned table one.
--   pulse.landing  distributed by stream: a batch's records (found by
--                  (stream, batch_id)) sit on one shard, so apply_batch reads
--                  them from one worker; the raw JSON, the bulk of the bytes,
--                  spreads over the workers with the streams.
--   The rest stays on the coordinator as plain tables: checkpoints (moved in
--   the batch's transaction: Citus commits the workers' part with two-phase
--   commit, decided by the coordinator's own commit, so checkpoint and rows
--   land together), rejects, coverage, the registries, panes and hashtag
--   state; all small and written by the coordinator's sessions.
CREATE OR REPLACE FUNCTION pulse.distribute(shard_count integer DEFAULT 32)
RETURNS TABLE(table_name regclass, distribution_column name, shards integer, note text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  spec record;
  trg record;
  dropped text;
  n integer := shard_count;
BEGIN
  IF n IS NULL OR n < 1 OR n > 64000 THEN
    RAISE EXCEPTION 'pulse.distribute: shard_count must be between 1 and 64000, not %', coalesce(n::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
    RAISE EXCEPTION 'pulse.distribute: Citus is not installed in database %', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Load citus (shared_preload_libraries) on every node, CREATE EXTENSION citus, add the workers with citus_add_node, then call pulse.distribute() on the coordinator.';
  END IF;
  IF pulse_internal.citus_worker() THEN
    RAISE EXCEPTION 'pulse.distribute: this node is a Citus worker; call it on the coordinator'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = 'pulse.tweets'::regclass), 'USAGE') THEN
    RAISE EXCEPTION 'pulse.distribute: permission denied: only the owner of Pulse''s tables (the role that created the extension) may distribute them'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A rollup's statement triggers read the statement's transition tables
  -- and write its results table: on a distributed table they would fire on
  -- each shard, on a worker, where that table is out of reach.
  IF EXISTS (SELECT FROM pulse_internal.rollups r
              WHERE NOT r.builtin AND r.base IN ('pulse.tweets'::regclass, 'pulse.candles'::regclass, 'pulse.landing'::regclass)) THEN
    RAISE EXCEPTION 'pulse.distribute: rollups over the built-in tables cannot be kept on distributed tables'
      USING ERRCODE = 'feature_not_supported',
            DETAIL = (SELECT string_agg(r.name::text, ', ' ORDER BY r.name::text) FROM pulse_internal.rollups r
                       WHERE NOT r.builtin AND r.base IN ('pulse.tweets'::regclass, 'pulse.candles'::regclass, 'pulse.landing'::regclass)),
            HINT = 'Drop them with pulse.drop_rollup first.';
  END IF;
  -- The one row trigger (sentiment of a tweet's own text) runs on the
  -- shards, where pulse is installed too: Citus copies triggers to the
  -- shards only when asked to.
  PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
  -- tweets in Citus's default co-location group (a user's table distributed
  -- by a bigint tweet id with as many shards joins it on the workers);
  -- candles and landing each alone, as nothing joins them by their keys.
  FOR spec IN SELECT * FROM (VALUES ('pulse.tweets'::regclass, 'id'::name, 'default', 1),
                                    ('pulse.candles'::regclass, 'market'::name, 'none', 2),
                                    ('pulse_internal.landing_chunks'::regclass, 'stream'::name, 'none', 3)) AS v(rel, col, colocate, ord)
              ORDER BY v.ord LOOP
    table_name := spec.rel;
    distribution_column := spec.col;
    IF pulse_internal.citus_table(spec.rel) THEN
      EXECUTE 'SELECT count(*) FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid OPERATOR(pg_catalog.=) $1'
        INTO shards USING spec.rel;
      note := 'already distributed';
      RETURN NEXT;
      CONTINUE;
    END IF;
    -- Statement triggers (hashtag state, the built-in per-minute rollup)
    -- cannot follow the rows onto the shards: dropped; pulse.merge does
    -- their work on pulse.tweets (86_distributed_writes.sql).
    dropped := NULL;
    FOR trg IN SELECT g.tgname FROM pg_trigger g
                WHERE g.tgrelid = spec.rel AND NOT g.tgisinternal AND (g.tgtype & 1) = 0 ORDER BY g.tgname LOOP
      EXECUTE format('DROP TRIGGER %I ON %s', trg.tgname, spec.rel);
      dropped := concat_ws(', ', dropped, trg.tgname);
    END LOOP;
    note := 'distributed' || coalesce('; dropped statement triggers ' || dropped, '');
    EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, shard_count => $3, colocate_with => $4)'
      USING spec.rel, spec.col::text, n, spec.colocate;
    shards := n;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION pulse.distribute(integer) IS
  'Makes Pulse''s built-in tables Citus tables (run on the coordinator of a Citus cluster): tweets distributed by id, candles by market, landing by stream, each in shard_count shards; the rest stays on the coordinator';

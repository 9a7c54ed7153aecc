-- Making, refreshing, dropping and listing rollups.

-- The trigger function and the tick function of a rollup: SECURITY DEFINER,
-- owned by the role that made the rollup (its base table's owner).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_functions_sql(shape jsonb, results text, trigger_fn text, tick_fn text,
                                                               apply_fn text)
  RETURNS text[]
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH i AS (SELECT pulse_internal.rollup_count_column(shape) IS NOT NULL AS incremental)
  SELECT ARRAY[
    format('CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp '
           'SET jit = off AS %L',
      trigger_fn,
      format('DECLARE ch jsonb := ''[]''; arrivals timestamptz[]; r regclass := to_regclass(%L); '
             'BEGIN IF r IS NULL THEN RETURN NULL; END IF; '
             'IF TG_OP = ''TRUNCATE'' THEN PERFORM pulse_internal.rollup_recompute(r, NULL, NULL); RETURN NULL; END IF; '
             'IF TG_OP <> ''DELETE'' THEN SELECT coalesce(jsonb_agg(k), ''[]'') INTO ch FROM (%s) s; '
             '  SELECT array_agg(%I) INTO arrivals FROM pulse_new WHERE %s; END IF; '
             'IF TG_OP <> ''INSERT'' THEN SELECT ch || coalesce(jsonb_agg(k), ''[]'') INTO ch FROM (%s) s; END IF; '
             'IF ch = ''[]'' AND arrivals IS NULL THEN RETURN NULL; END IF; '
             '%s PERFORM pulse_internal.rollup_apply(r, ch, arrivals); RETURN NULL; END',
             results,
             CASE WHEN incremental THEN pulse_internal.rollup_delta_rows_sql(shape, 'pulse_new', 1)
                  ELSE pulse_internal.rollup_keys_sql(shape, 'pulse_new') END,
             shape->>'time_column', coalesce('(' || (shape->>'where') || ')', 'true'),
             CASE WHEN incremental THEN pulse_internal.rollup_delta_rows_sql(shape, 'pulse_old', -1)
                  ELSE pulse_internal.rollup_keys_sql(shape, 'pulse_old') END,
             CASE WHEN incremental THEN 'ch := jsonb_build_object(''delta'', ch);' ELSE '' END)),
    format('CREATE FUNCTION %s(op text, from_ts timestamptz, until_ts timestamptz) RETURNS bigint LANGUAGE plpgsql '
           'SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %L',
      tick_fn,
      format('DECLARE r regclass := to_regclass(%L); BEGIN IF r IS NULL THEN RETURN 0; END IF; '
             'IF op = ''refresh'' THEN PERFORM pulse_internal.rollup_recompute(r, from_ts, until_ts); RETURN 0; END IF; '
             'RETURN pulse_internal.rollup_progress(r); END', results)),
    -- the batch statements, static so each session plans them once
    format('CREATE FUNCTION %s(ch jsonb, wm timestamptz, lat interval, onw boolean, r regclass, op text) RETURNS bigint '
           'LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS %L',
      apply_fn,
      'DECLARE pulse_n bigint := 0; pulse_k bigint := 0; BEGIN IF op = ''recompute'' THEN '
      || pulse_internal.rollup_apply_sql(shape, results) || '; RETURN pulse_n; END IF; '
      || CASE WHEN incremental
           THEN pulse_internal.rollup_delta_sql(shape, results) || '; '
                || pulse_internal.rollup_prune_sql(shape, results) || '; RETURN pulse_n + pulse_k; '
           ELSE 'RAISE EXCEPTION ''rollup % is not incremental'', r; ' END
      || 'END')]
    FROM i
$fn$;

-- create_rollup runs in its caller's search_path (the query and the name are
-- the caller's text, resolved as CREATE VIEW resolves them) and with the
-- caller's rights only; the work is done by rollup_create.
-- caller's search_path
CREATE OR REPLACE FUNCTION pulse.create_rollup(name text, query text, lateness interval DEFAULT '1 hour',
                                               emit text DEFAULT 'watermark', mode text DEFAULT 'accumulating')
  RETURNS regclass
  LANGUAGE plpgsql
AS $fn$
DECLARE
  parts text[];
BEGIN
  IF create_rollup.name IS NULL OR create_rollup.query IS NULL THEN
    RAISE EXCEPTION 'name and query must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  parts := pg_catalog.parse_ident(create_rollup.name);
  IF pg_catalog.cardinality(parts) > 2 THEN
    RAISE EXCEPTION 'improper rollup name: %', create_rollup.name USING ERRCODE = 'invalid_name';
  END IF;
  IF pg_catalog.cardinality(parts) = 1 THEN
    parts := ARRAY[pg_catalog.current_schema()::text] || parts;
  END IF;
  IF parts[1] IS NULL THEN
    RAISE EXCEPTION 'no schema to create rollup % in', create_rollup.name USING ERRCODE = 'invalid_schema_name';
  END IF;
  RETURN pulse_internal.rollup_create(parts[1], parts[2], create_rollup.query,
                                      pulse_internal.rollup_shape(create_rollup.query)::jsonb,
                                      create_rollup.lateness, create_rollup.emit, create_rollup.mode);
END
$fn$;
COMMENT ON FUNCTION pulse.create_rollup(text, text, interval, text, text) IS
  'Creates results table name for a windowed GROUP BY over a managed table and keeps it equal to the query in every batch''s transaction; emits panes per the triggers in emit';

CREATE OR REPLACE FUNCTION pulse_internal.rollup_create(nsp text, rel text, query text, shape jsonb, lateness interval,
                                                        emit text, mode text) RETURNS regclass
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  results text := format('%I.%I', nsp, rel);
  base regclass := (shape->>'relid')::oid::regclass;
  stem text := pulse_internal.rollup_stem(nsp, rel);
  trig text := format('%I.%I', nsp, stem || '_pulse_rollup');
  tick text := format('%I.%I', nsp, stem || '_pulse_tick');
  appl text := format('%I.%I', nsp, stem || '_pulse_apply');
  e record;
  r regclass;
  stmt text;
BEGIN
  IF lateness IS NULL OR lateness < interval '0' OR date_part('month', lateness) <> 0 OR date_part('year', lateness) <> 0 THEN
    RAISE EXCEPTION 'lateness must be a non-negative interval without months' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF mode IS NULL OR mode NOT IN ('accumulating', 'discarding') THEN
    RAISE EXCEPTION 'mode must be accumulating or discarding, not %', coalesce(mode, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF mode = 'discarding' AND EXISTS (SELECT FROM jsonb_array_elements(shape->'aggregates') a
                                      WHERE a->>'func' NOT IN ('count', 'sum') OR (a->>'distinct')::boolean) THEN
    RAISE EXCEPTION 'discarding mode needs additive aggregates (count and sum)' USING ERRCODE = 'feature_not_supported',
      DETAIL = 'A discarding pane carries what changed since the previous pane; min, max, avg, count(DISTINCT) and moving_corr have no such difference.';
  END IF;
  SELECT * INTO e FROM pulse_internal.rollup_emit(emit);
  IF pulse_internal.managed_time_column(base) IS NULL THEN
    RAISE EXCEPTION 'rollups read managed tables; % is not one', base USING ERRCODE = 'wrong_object_type',
      HINT = 'Register it with pulse.partition_by_time first.';
  END IF;
  IF NOT pg_has_role((SELECT c.relowner FROM pg_class c WHERE c.oid = base), 'MEMBER') THEN
    RAISE EXCEPTION 'only the owner of % can make rollups over it', base USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- A rollup is kept by statement triggers with transition tables, which
  -- Citus does not run on a distributed table (README "Scaling out").
  IF pulse_internal.citus_table(base) THEN
    RAISE EXCEPTION 'rollups over Citus tables are not supported: % is distributed', base USING ERRCODE = 'feature_not_supported',
      HINT = 'Query the table with GROUP BY (Citus aggregates it on the workers); pulse.minute_activity and the hashtag state are kept by pulse.merge.';
  END IF;
  PERFORM pulse_internal.interval_usecs(CASE shape->>'kind' WHEN 'session' THEN 'gap' ELSE 'size' END,
                                        pulse_internal.rollup_const(shape->>'size')::interval);
  IF shape->>'kind' = 'hop' THEN
    PERFORM pulse_internal.interval_usecs('slide', pulse_internal.rollup_const(shape->>'slide')::interval);
  END IF;
  shape := shape || jsonb_build_object('discarding', mode = 'discarding');
  EXECUTE pulse_internal.rollup_table_sql(shape, results);
  r := results::regclass;
  EXECUTE format('CREATE UNIQUE INDEX ON %s (%I%s) NULLS NOT DISTINCT', r, shape->>'window_name',
                 pulse_internal.rollup_list(shape->'groups', ', %1$I', ''));
  EXECUTE format('CREATE INDEX ON %s (window_end)', r);
  IF shape->>'kind' = 'session' AND jsonb_array_length(shape->'groups') > 0 THEN
    -- a batch's sessions are found by group and end
    EXECUTE format('CREATE INDEX ON %s (%s, window_end)', r, pulse_internal.rollup_list(shape->'groups', '%1$I'));
  END IF;
  IF e.every_interval IS NOT NULL OR e.every_rows IS NOT NULL THEN
    EXECUTE format('CREATE INDEX ON %s (%I) WHERE emitted_at IS NULL OR updated_at > emitted_at', r, shape->>'window_name');
  END IF;
  FOREACH stmt IN ARRAY pulse_internal.rollup_functions_sql(shape, results, trig, tick, appl) LOOP
    EXECUTE stmt;
  END LOOP;
  INSERT INTO pulse_internal.rollups (name, owner, base, query, shape, lateness, emit, on_watermark, every_interval,
                                      every_rows, mode, subjects, emit_sql, advance_sql,
                                      trigger_fn, tick_fn, apply_fn,
                                      watermark, last_emit_at)
  VALUES (r, current_user::regrole, base, query, shape, lateness, emit, e.on_watermark, e.every_interval, e.every_rows,
          mode, pulse_internal.rollup_subjects(base),
          pulse_internal.rollup_emit_sql(shape, results, false), pulse_internal.rollup_emit_sql(shape, results, true),
          (trig || '()')::regprocedure, (tick || '(text, timestamptz, timestamptz)')::regprocedure,
          (appl || '(jsonb, timestamptz, interval, boolean, regclass, text)')::regprocedure,
          pulse_internal.subject_watermark(pulse_internal.rollup_subjects(base)), clock_timestamp());
  -- Existing rows: no panes for history.
  UPDATE pulse_internal.rollups x SET on_watermark = false WHERE x.name = r;
  PERFORM pulse_internal.rollup_recompute(r, NULL, NULL);
  UPDATE pulse_internal.rollups x SET on_watermark = e.on_watermark, late_rows = 0, beyond_lateness = 0,
         rows_since_emit = 0, last_batch_at = NULL WHERE x.name = r;
  EXECUTE format('UPDATE %s SET emitted_at = clock_timestamp()', r);
  PERFORM pulse_internal.rollup_triggers(x) FROM pulse_internal.rollups x WHERE x.name = r;
  EXECUTE format('COMMENT ON TABLE %s IS %L', r, 'Rollup (pulse.create_rollup): ' || query);
  RETURN r;
END
$fn$;

-- The statement triggers of a rollup on its base table, made where missing.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_triggers(cfg pulse_internal.rollups) RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  rel text := left((SELECT c.relname FROM pg_class c WHERE c.oid = cfg.name), 40);
  ev record;
  tg text;
  n int;
BEGIN
  -- tgtype bits: 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE
  FOR ev IN SELECT * FROM (VALUES ('ins', 'INSERT', 'REFERENCING NEW TABLE AS pulse_new', 4),
                                  ('upd', 'UPDATE', 'REFERENCING OLD TABLE AS pulse_old NEW TABLE AS pulse_new', 16),
                                  ('del', 'DELETE', 'REFERENCING OLD TABLE AS pulse_old', 8),
                                  ('trunc', 'TRUNCATE', '', 32)) AS t(suffix, event, refs, bit) LOOP
    CONTINUE WHEN EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = cfg.base AND g.tgfoid = cfg.trigger_fn::oid
                                                    AND g.tgtype & ev.bit <> 0);
    -- a name of its own: another rollup's name may share the first 40 characters
    tg := rel || '_pulse_' || ev.suffix;
    n := 1;
    WHILE EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = cfg.base AND g.tgname = tg) LOOP
      n := n + 1;
      tg := rel || '_pulse_' || ev.suffix || n;
    END LOOP;
    EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                   tg, ev.event, cfg.base, ev.refs, cfg.trigger_fn::oid::regproc);
  END LOOP;
END
$fn$;

-- pg_dump never dumps triggers on the extension's own tables (pulse.tweets,
-- candles, landing), so a rollup over them comes back from pg_restore as
-- its registry row only: that row remakes the triggers. (Triggers on other
-- tables are dumped, and restored after the data.)
CREATE OR REPLACE FUNCTION pulse_internal.rollups_restored() RETURNS trigger
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = NEW.base
                AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
    PERFORM pulse_internal.rollup_triggers(NEW);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER rollups_restored AFTER INSERT ON pulse_internal.rollups
  FOR EACH ROW EXECUTE FUNCTION pulse_internal.rollups_restored();

-- The stem of a rollup's function names: its name (cut to 45 characters),
-- numbered when another rollup's functions already use it.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_stem(nsp text, rel text) RETURNS text
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  stem text := left(rel, 45);
  n int := 1;
BEGIN
  WHILE EXISTS (SELECT FROM pg_proc p WHERE p.pronamespace = (SELECT o.oid FROM pg_namespace o WHERE o.nspname = nsp)
                   AND p.proname IN (stem || '_pulse_rollup', stem || '_pulse_tick', stem || '_pulse_apply')) LOOP
    n := n + 1;
    stem := left(rel, 40) || '_' || n;
  END LOOP;
  RETURN stem;
END
$fn$;

-- The value of a constant the analysis deparsed ('00:05:00'::interval).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_const(expr text) RETURNS text
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v text;
BEGIN
  EXECUTE 'SELECT (' || expr || ')::text' INTO v;
  RETURN v;
END
$fn$;

-- Runs a rollup's tick function (SECURITY DEFINER, owned by the rollup's
-- owner), so its stored SQL runs with that owner's rights whoever asks; a
-- registry row naming any other function is refused.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_call(cfg pulse_internal.rollups, op text,
                                                      from_ts timestamptz DEFAULT NULL, until_ts timestamptz DEFAULT NULL)
  RETURNS bigint
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  IF NOT pulse_internal.rollup_objects_owned(cfg) THEN
    RAISE WARNING 'rollup % skipped: its objects are not all owned by its owner %', cfg.name, cfg.owner;
    RETURN 0;
  END IF;
  EXECUTE format('SELECT %s($1, $2, $3)', cfg.tick_fn::oid::regproc) INTO n USING op, from_ts, until_ts;
  RETURN n;
END
$fn$;

-- Whether the results table and both functions of a registry row belong to
-- the row's owner, and the functions run with that owner's rights.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_objects_owned(cfg pulse_internal.rollups) RETURNS boolean
  LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce((SELECT c.relowner = $1.owner::oid FROM pg_class c WHERE c.oid = $1.name), false)
     AND (SELECT count(*) = 2 FROM pg_proc p WHERE p.oid IN ($1.trigger_fn::oid, $1.tick_fn::oid)
             AND p.prosecdef AND p.proowner = $1.owner::oid)
     AND ($1.apply_fn IS NULL OR EXISTS (SELECT FROM pg_proc p WHERE p.oid = $1.apply_fn::oid AND p.proowner = $1.owner::oid))
$fn$;

-- A rollup's registry row (all NULL when there is none), for maintenance,
-- whose stored SQL runs only as the rollup's owner: anyone else is refused.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_config(r regclass) RETURNS pulse_internal.rollups
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups;
BEGIN
  SELECT * INTO cfg FROM pulse_internal.rollups x WHERE x.name = r;
  IF FOUND AND cfg.owner::oid <> (SELECT o.oid FROM pg_roles o WHERE o.rolname = current_user) THEN
    RAISE EXCEPTION 'rollup % is maintained as its owner %, not as %', cfg.name, cfg.owner, current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN cfg;
END
$fn$;

CREATE OR REPLACE FUNCTION pulse_internal.rollup_owned(r regclass) RETURNS pulse_internal.rollups
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups;
BEGIN
  SELECT * INTO cfg FROM pulse_internal.rollups x WHERE x.name = r;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% is not a rollup of yours', coalesce(r::text, 'NULL') USING ERRCODE = 'undefined_object';
  END IF;
  RETURN cfg;
END
$fn$;

CREATE OR REPLACE FUNCTION pulse.refresh_rollup(name regclass, "from" timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pulse_internal.rollup_owned(refresh_rollup.name);
  IF refresh_rollup."from" >= refresh_rollup.until THEN
    RAISE EXCEPTION 'from must be before until' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- as the rollup's owner, through its own function
  PERFORM pulse_internal.rollup_call(pulse_internal.rollup_owned(refresh_rollup.name), 'refresh',
                                     refresh_rollup."from", refresh_rollup.until);
END
$fn$;
COMMENT ON FUNCTION pulse.refresh_rollup(regclass, timestamptz, timestamptz) IS
  'Recomputes the windows of a rollup overlapping [from, until) (NULL: unbounded) from its base table, emitting panes for what changed';

CREATE OR REPLACE FUNCTION pulse.drop_rollup(name regclass) RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups := pulse_internal.rollup_owned(drop_rollup.name);
  t name;
BEGIN
  IF NOT pulse_internal.rollup_objects_owned(cfg) THEN
    RAISE EXCEPTION 'rollup % names objects its owner % does not own', cfg.name, cfg.owner
      USING ERRCODE = 'insufficient_privilege', HINT = 'Drop its objects by hand and delete its registry row.';
  END IF;
  FOR t IN SELECT g.tgname FROM pg_trigger g WHERE g.tgrelid = cfg.base AND g.tgfoid = cfg.trigger_fn::oid LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t, cfg.base);
  END LOOP;
  DELETE FROM pulse.panes p WHERE p.rollup = cfg.name;
  DELETE FROM pulse_internal.rollups x WHERE x.name = cfg.name;
  EXECUTE format('DROP FUNCTION %s, %s', cfg.trigger_fn, cfg.tick_fn);
  IF cfg.apply_fn IS NOT NULL THEN
    EXECUTE format('DROP FUNCTION %s', cfg.apply_fn);
  END IF;
  EXECUTE format('DROP TABLE %s', cfg.name);
END
$fn$;
COMMENT ON FUNCTION pulse.drop_rollup(regclass) IS 'Drops a rollup: its results table, triggers, functions and panes';

CREATE OR REPLACE FUNCTION pulse_internal.rollup_windows(r regclass) RETURNS bigint
  LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  IF to_regclass(r::text) IS NULL
     OR NOT EXISTS (SELECT FROM pulse_internal.rollups x JOIN pg_class c ON c.oid = x.name
                     WHERE x.name = r AND c.relowner = x.owner::oid) THEN
    RETURN NULL;
  END IF;
  EXECUTE format('SELECT count(*) FROM (SELECT DISTINCT %I, window_end FROM %s) w',
                 (SELECT x.shape->>'window_name' FROM pulse_internal.rollups x WHERE x.name = r), r) INTO n;
  RETURN n;
END
$fn$;

CREATE OR REPLACE VIEW pulse.rollups AS
SELECT x.name, x.base AS source,
       CASE x.shape->>'kind' WHEN 'tumbling' THEN 'tumbling ' || pulse_internal.rollup_const(x.shape->>'size')
                             WHEN 'hop' THEN 'hop ' || pulse_internal.rollup_const(x.shape->>'size') || ' every '
                                             || pulse_internal.rollup_const(x.shape->>'slide')
                             ELSE 'session gap ' || pulse_internal.rollup_const(x.shape->>'size') END AS "window",
       x.lateness, x.emit, x.mode, x.watermark,
       pulse_internal.rollup_windows(x.name) AS windows,
       (SELECT count(*) FROM pulse.panes p WHERE p.rollup = x.name) AS panes,
       x.late_rows, x.beyond_lateness, x.last_batch_at, x.owner, x.query
  FROM pulse_internal.rollups x;
COMMENT ON VIEW pulse.rollups IS
  'Every rollup: results table, base table, window, lateness, triggers, mode, watermark, windows held, panes emitted, rows that came late and beyond lateness, last batch';
COMMENT ON COLUMN pulse.rollups.name IS 'The results table';
COMMENT ON COLUMN pulse.rollups.source IS 'The managed table it reads';
COMMENT ON COLUMN pulse.rollups."window" IS 'tumbling <size>, hop <size> every <slide>, or session gap <gap>';
COMMENT ON COLUMN pulse.rollups.lateness IS 'How long after the watermark passed a window late rows still count as late (not beyond lateness)';
COMMENT ON COLUMN pulse.rollups.emit IS 'Triggers: watermark, every <interval>, every <n> rows';
COMMENT ON COLUMN pulse.rollups.mode IS 'accumulating (panes carry the whole value) or discarding (what changed since the previous pane)';
COMMENT ON COLUMN pulse.rollups.watermark IS 'Event time up to which the base table''s sources are complete (from pulse.coverage)';
COMMENT ON COLUMN pulse.rollups.windows IS 'Windows the results table holds';
COMMENT ON COLUMN pulse.rollups.panes IS 'Panes emitted into pulse.panes';
COMMENT ON COLUMN pulse.rollups.late_rows IS 'Rows that arrived after the watermark passed their window';
COMMENT ON COLUMN pulse.rollups.beyond_lateness IS 'Of those, rows later than lateness (they updated the results too)';
COMMENT ON COLUMN pulse.rollups.last_batch_at IS 'When a batch last changed the base table';
COMMENT ON COLUMN pulse.rollups.owner IS 'The role the rollup''s maintenance runs as (the base table''s owner)';
COMMENT ON COLUMN pulse.rollups.query IS 'The definition';

COMMENT ON TABLE pulse.panes IS 'Panes emitted by rollups (NOTIFY pulse_panes announces them)';
COMMENT ON COLUMN pulse.panes.rollup IS 'The rollup (its results table)';
COMMENT ON COLUMN pulse.panes.window_start IS 'Start of the window';
COMMENT ON COLUMN pulse.panes.window_end IS 'End of the window (a session''s end moves when it grows or merges)';
COMMENT ON COLUMN pulse.panes.group_key IS 'The group columns and their values';
COMMENT ON COLUMN pulse.panes.pane IS 'Pane number of this window and group, from 1';
COMMENT ON COLUMN pulse.panes.timing IS 'early (before the watermark passed the window), on_time (the pane the watermark fired), late';
COMMENT ON COLUMN pulse.panes.retraction IS 'true: the window''s earlier panes no longer hold (its rows left, or its session merged)';
COMMENT ON COLUMN pulse.panes."values" IS 'The aggregates: whole (accumulating) or what changed since the previous pane (discarding); NULL for a retraction';
COMMENT ON COLUMN pulse.panes.emitted_at IS 'When the pane was emitted';

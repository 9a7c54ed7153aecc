-- Rollup maintenance: every batch (through the rollup's statement triggers),
-- every coverage declaration (the watermark moves) and every scheduler tick
-- (pulse.emit_panes) runs here as the rollup's owner.

-- Watermark steps after a batch or a tick: on-time panes for windows the
-- watermark passed, the final flag, processing-time and row-count triggers,
-- and one NOTIFY for what was emitted. n: panes emitted before this step.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_progress(r regclass, n bigint DEFAULT 0) RETURNS bigint
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups;
  wm timestamptz;
  k bigint;
BEGIN
  cfg := pulse_internal.rollup_config(r);
  IF cfg.name IS NULL THEN
    RETURN 0;
  END IF;
  wm := greatest(cfg.watermark, pulse_internal.subject_watermark(cfg.subjects));
  IF wm > coalesce(cfg.watermark, '-infinity') THEN
    IF cfg.on_watermark THEN
      EXECUTE cfg.advance_sql INTO k USING wm, coalesce(cfg.watermark, '-infinity'), cfg.lateness, NULL::text, r;
      n := n + k;
    END IF;
    EXECUTE format('UPDATE %s SET final = true WHERE NOT final AND window_end > $2 - $3 AND window_end <= $1 - $3', r)
      USING wm, coalesce(cfg.watermark, '-infinity'), cfg.lateness;
    UPDATE pulse_internal.rollups x SET watermark = wm WHERE x.name = r;
  END IF;
  IF (cfg.every_rows IS NOT NULL AND cfg.rows_since_emit >= cfg.every_rows)
     OR (cfg.every_interval IS NOT NULL AND clock_timestamp() - coalesce(cfg.last_emit_at, '-infinity') >= cfg.every_interval) THEN
    EXECUTE cfg.emit_sql INTO k USING coalesce(wm, '-infinity'), NULL::timestamptz, cfg.lateness, NULL::text, r;
    n := n + k;
    UPDATE pulse_internal.rollups x SET rows_since_emit = 0, last_emit_at = clock_timestamp() WHERE x.name = r;
  END IF;
  IF n > 0 THEN
    PERFORM pg_notify('pulse_panes', json_build_object('rollup', r::text, 'panes', n)::text);
  END IF;
  RETURN n;
END
$fn$;

-- One batch: ch holds the changed keys (rollup_keys_sql), arrivals the
-- time of every row that arrived (inserted or a new version).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_apply(r regclass, ch jsonb, arrivals timestamptz[]) RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups;
  wm timestamptz;
  late bigint := 0;
  beyond bigint := 0;
  n bigint := 0;
  k bigint;
BEGIN
  cfg := pulse_internal.rollup_config(r);
  IF cfg.name IS NULL THEN
    RETURN;
  END IF;
  wm := greatest(cfg.watermark, pulse_internal.subject_watermark(cfg.subjects));
  IF wm IS NOT NULL AND arrivals IS NOT NULL THEN
    EXECUTE format('SELECT count(*) FILTER (WHERE %1$s <= $1), count(*) FILTER (WHERE %1$s + $2 <= $1) FROM unnest($3) AS a(t)',
                   pulse_internal.rollup_row_end(cfg.shape, 'a.t'))
      INTO late, beyond USING wm, cfg.lateness, arrivals;
  END IF;
  IF jsonb_typeof(ch) = 'object' THEN
    -- the batch's sums (64_rollup_delta.sql)
    IF jsonb_array_length(ch->'delta') > 0 THEN
      EXECUTE format('SELECT %s($1, $2, $3, $4, $5, ''delta'')', cfg.apply_fn::oid::regproc)
        INTO n USING ch, coalesce(wm, '-infinity'), cfg.lateness, cfg.on_watermark, r;
    END IF;
  ELSIF jsonb_array_length(coalesce(ch, '[]')) > 0 THEN
    EXECUTE format('SELECT %s($1, $2, $3, $4, $5, ''recompute'')', cfg.apply_fn::oid::regproc)
      INTO n USING ch, coalesce(wm, '-infinity'), cfg.lateness, cfg.on_watermark, r;
  END IF;
  UPDATE pulse_internal.rollups x
     SET late_rows = x.late_rows + late, beyond_lateness = x.beyond_lateness + beyond,
         rows_since_emit = x.rows_since_emit + coalesce(cardinality(arrivals), 0), last_batch_at = now()
   WHERE x.name = r;
  PERFORM pulse_internal.rollup_progress(r, n);
END
$fn$;

-- Recomputes every window overlapping [from, until) (NULL: all of time) of a
-- rollup the caller may maintain, in chunks of the base table's time.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_recompute(r regclass, from_ts timestamptz, until_ts timestamptz) RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups;
  t text;
  lo timestamptz;
  hi timestamptz;
  step interval;
  ch jsonb;
  old_keys text;
BEGIN
  cfg := pulse_internal.rollup_config(r);
  IF cfg.name IS NULL THEN
    RETURN;
  END IF;
  t := quote_ident(cfg.shape->>'time_column');
  EXECUTE format('SELECT min(%1$s), max(%1$s) FROM %2$s WHERE %1$s >= $1 AND %1$s < $2', t, cfg.base)
    INTO lo, hi USING coalesce(from_ts, '-infinity'), coalesce(until_ts, 'infinity');
  old_keys := CASE WHEN cfg.shape->>'kind' = 'session'
    THEN format('SELECT jsonb_build_object(%s''pulse_t'', r.%I) FROM %s r WHERE r.%I < $2 AND r.window_end > $1',
                pulse_internal.rollup_list(cfg.shape->'groups', '%1$L, r.%1$I, ', ''), cfg.shape->>'window_name', r, cfg.shape->>'window_name')
    ELSE format('SELECT to_jsonb(r.%1$I) FROM %2$s r WHERE r.%1$I < $2 AND r.window_end > $1', cfg.shape->>'window_name', r) END;
  -- windows with results but no rows left
  EXECUTE format('SELECT jsonb_agg(k) FROM (%s) s(k)', old_keys) INTO ch
    USING coalesce(from_ts, '-infinity'), coalesce(until_ts, 'infinity');
  IF ch IS NOT NULL THEN
    PERFORM pulse_internal.rollup_apply(r, ch, NULL);
  END IF;
  IF lo IS NULL THEN
    RETURN;
  END IF;
  step := greatest(interval '1 day', (hi - lo) / 400);
  WHILE lo <= hi LOOP
    EXECUTE format('SELECT jsonb_agg(k) FROM (%s) s', pulse_internal.rollup_keys_sql(cfg.shape,
                   format('(SELECT * FROM %s WHERE %s >= $1 AND %s < $2) AS src', cfg.base, t, t)))
      INTO ch USING lo, lo + step;
    IF ch IS NOT NULL THEN
      PERFORM pulse_internal.rollup_apply(r, ch, NULL);
    END IF;
    lo := lo + step;
  END LOOP;
END
$fn$;

-- Watermark steps of every rollup that follows a coverage subject (called
-- by declare_coverage) or of every rollup (subject NULL: pulse.emit_panes).
CREATE OR REPLACE FUNCTION pulse_internal.rollups_progress(subject text) RETURNS bigint
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  cfg pulse_internal.rollups;
  n bigint := 0;
BEGIN
  FOR cfg IN SELECT * FROM pulse_internal.rollups x
              WHERE subject IS NULL OR subject LIKE x.subjects ORDER BY x.name::oid LOOP
    -- One rollup's failure (its owner's code) never fails the caller's
    -- batch nor the other rollups: it is reported, and retried next time.
    BEGIN
      n := n + coalesce(pulse_internal.rollup_call(cfg, 'tick'), 0);
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'rollup % could not emit its panes: %', cfg.name, SQLERRM USING DETAIL = SQLSTATE;
    END;
  END LOOP;
  RETURN n;
END
$fn$;

CREATE OR REPLACE FUNCTION pulse.emit_panes() RETURNS bigint
  LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pulse_internal.rollups_progress(NULL)
$fn$;
COMMENT ON FUNCTION pulse.emit_panes() IS
  'Processing-time step of every rollup the caller owns: panes of every <interval> triggers that are due, on-time panes the watermark allows; call it from a scheduler (pg_cron) every few seconds';

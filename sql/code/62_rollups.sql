-- Streaming rollups (SPEC "Streaming rollups"): create, drop, refresh and
-- the view. The SQL each rollup runs is generated here from PostgreSQL's own
-- reading of the definition (pulse_internal.rollup_shape, C++), and the
-- maintenance (63_rollup_apply.sql) runs it as the rollup's owner.
--
-- Rights: a rollup is made by the owner of its base table (for the built-in
-- tables: their owner, a superuser). Its results table, its trigger function
-- (SECURITY DEFINER, owned by that role) and its registry row belong to that
-- role, so a loader's batch (apply_batch runs as the extension's owner)
-- maintains the rollup with the rights of the role that wrote it, never more.

CREATE OR REPLACE FUNCTION pulse_internal.rollup_shape(query text) RETURNS text
  LANGUAGE c STRICT STABLE AS 'MODULE_PATHNAME', 'pulse_rollup_shape';

-- Stand-ins the analysis gives pulse.hop and pulse.session in a definition;
-- never evaluated.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_hop(ts timestamptz, size interval, slide interval) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION 'pulse.hop in a GROUP BY works only inside pulse.create_rollup' USING ERRCODE = 'feature_not_supported';
END
$fn$;
CREATE OR REPLACE FUNCTION pulse_internal.rollup_session(ts timestamptz, gap interval) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION 'pulse.session works only inside pulse.create_rollup' USING ERRCODE = 'feature_not_supported';
END
$fn$;
CREATE OR REPLACE FUNCTION pulse.session(ts timestamptz, gap interval) RETURNS timestamptz
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION 'pulse.session is a window marker that only pulse.create_rollup understands'
    USING ERRCODE = 'feature_not_supported',
          HINT = 'In a query, use the window function pulse.session_start(ts, gap) OVER (PARTITION BY ... ORDER BY ts).';
END
$fn$;
COMMENT ON FUNCTION pulse.session(timestamptz, interval) IS
  'Session window marker for pulse.create_rollup definitions (sessions per group, closed after gap without rows)';

-- The parts of a shape as a SQL list: pattern gets %1$I the output name,
-- %2$s its expression, %3$s its type, %4$s its position (from 1).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_list(cols jsonb, pattern text, sep text DEFAULT ', ') RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(string_agg(format(pattern, c->>'name', c->>'expr', c->>'type', o), sep ORDER BY o), '')
    FROM jsonb_array_elements(cols) WITH ORDINALITY AS e(c, o)
$fn$;

-- Parses the emit list: 'watermark', 'every <interval>', 'every <n> rows', or
-- 'none' (the results table only).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_emit(emit text, OUT on_watermark boolean,
                                                      OUT every_interval interval, OUT every_rows bigint)
  LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  item text;
  m text[];
BEGIN
  on_watermark := false;
  IF emit IS NULL OR btrim(emit) = '' THEN
    RAISE EXCEPTION 'emit must name at least one trigger' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'watermark, every <interval>, every <n> rows, or a comma list of them.';
  END IF;
  FOREACH item IN ARRAY string_to_array(emit, ',') LOOP
    item := lower(btrim(item));
    m := regexp_match(item, '^every\s+([0-9]+)\s+rows?$');
    IF item = 'none' THEN
      CONTINUE;  -- results only, no panes
    ELSIF item = 'watermark' THEN
      on_watermark := true;
    ELSIF m IS NOT NULL THEN
      IF every_rows IS NOT NULL OR m[1]::numeric < 1 OR m[1]::numeric > 1000000000 THEN
        RAISE EXCEPTION 'bad row trigger: %', item USING ERRCODE = 'invalid_parameter_value',
          DETAIL = 'One every <n> rows, n from 1 to 1000000000.';
      END IF;
      every_rows := m[1]::bigint;
    ELSIF item ~ '^every\s+.+$' THEN
      BEGIN
        every_interval := substring(item FROM '^every\s+(.+)$')::interval;
      EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR syntax_error THEN
        RAISE EXCEPTION 'bad trigger: %', item USING ERRCODE = 'invalid_parameter_value';
      END;
      PERFORM pulse_internal.interval_usecs('every', every_interval);
    ELSE
      RAISE EXCEPTION 'unknown trigger: %', item USING ERRCODE = 'invalid_parameter_value',
        HINT = 'watermark, every <interval>, every <n> rows, a comma list of them, or none.';
    END IF;
  END LOOP;
END
$fn$;

-- The coverage subjects whose watermark a base table's rollups follow.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_subjects(base regclass) RETURNS text
  LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE WHEN $1 = 'pulse.tweets'::regclass THEN 'tweets'
              WHEN $1 = 'pulse.candles'::regclass THEN 'candles/%'
              ELSE replace(replace(replace($1::text, '\', '\\'), '%', '\%'), '_', '\_') END
$fn$;

-- The watermark of a subject pattern: the newest upper end of any source's
-- coverage (readable by every rollup owner; it holds no user data).
CREATE OR REPLACE FUNCTION pulse_internal.subject_watermark(subjects text) RETURNS timestamptz
  LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT max(upper(c.covered)) FROM pulse_internal.coverage c WHERE c.subject LIKE $1
$fn$;

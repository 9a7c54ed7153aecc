-- The SQL of one rollup, generated once by create_rollup from its shape
-- (pulse_internal.rollup_shape) and kept in pulse_internal.rollups. R is the
-- results table, B the base table, W the window start column, T the base's
-- time column. Group columns compare with IS NOT DISTINCT FROM (NULL is a
-- group like any other, as in GROUP BY).

-- SQL of the window end of the last window a row at time t (SQL text) falls
-- in: rows count as late when it has passed the watermark.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_row_end(shape jsonb, t text) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE shape->>'kind'
    WHEN 'tumbling' THEN format('(date_bin(%s, %s, %s) + %s)', shape->>'size', t, shape->>'origin', shape->>'size')
    WHEN 'hop' THEN format('(date_bin(%s, %s, timestamptz ''1970-01-01 00:00:00+00'') + %s)', shape->>'slide', t, shape->>'size')
    ELSE format('(%s + %s)', t, shape->>'size') END
$fn$;

-- The windows of a hop rollup holding a row of src, as a FROM item
-- pulse_h(pulse_w): the k = ceil(size / slide) slide-aligned starts up to the
-- row's own slide (the caller keeps those with pulse_w + size > t). Plain
-- SQL, unlike pulse.hop, so a batch pays no function call per row.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_hop_sql(shape jsonb) RETURNS text
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN format('generate_series(date_bin(%1$s, %2$I, timestamptz ''1970-01-01 00:00:00+00'') - %3$s * %1$s, '
                'date_bin(%1$s, %2$I, timestamptz ''1970-01-01 00:00:00+00''), %1$s) AS pulse_h(pulse_w)',
                shape->>'slide', shape->>'time_column',
                ceil(extract(epoch FROM pulse_internal.rollup_const(shape->>'size')::interval)
                     / extract(epoch FROM pulse_internal.rollup_const(shape->>'slide')::interval))::bigint - 1);
END
$fn$;

-- A query over src (a transition table or the base) giving one changed key
-- per row: the window start (tumbling, hop) or the group and time (session).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_keys_sql(shape jsonb, src text) RETURNS text
  LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE shape->>'kind'
    WHEN 'tumbling' THEN format('SELECT DISTINCT to_jsonb(date_bin(%s, %I, %s)) AS k FROM %s WHERE %s',
                                shape->>'size', shape->>'time_column', shape->>'origin', src, w)
    WHEN 'hop' THEN format('SELECT DISTINCT to_jsonb(pulse_h.pulse_w) AS k FROM %1$s, %2$s WHERE %3$s AND pulse_h.pulse_w + %4$s > %5$I',
                           src, pulse_internal.rollup_hop_sql(shape), w, shape->>'size', shape->>'time_column')
    ELSE format('SELECT DISTINCT jsonb_build_object(%s''pulse_t'', %I) AS k FROM %s WHERE %s',
                pulse_internal.rollup_list(shape->'groups', '%1$L, %2$s, ', ''), shape->>'time_column', src, w) END
    FROM (SELECT coalesce('(' || (shape->>'where') || ')', 'true') AS w) x
$fn$;

-- The results table.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_table_sql(shape jsonb, results text) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT format('CREATE TABLE %s (%I timestamptz NOT NULL, window_end timestamptz NOT NULL, %s%s'
                'pane integer NOT NULL DEFAULT 0, timing text CHECK (timing IN (''early'', ''on_time'', ''late'')), '
                'final boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL, emitted_at timestamptz)',
                results, shape->>'window_name',
                pulse_internal.rollup_list(shape->'groups', '%1$I %3$s, ', ''),
                pulse_internal.rollup_list(shape->'aggregates', '%1$I %3$s, ', ''))
$fn$;

-- Group equality between two row aliases a and b.
-- indexable: (a.g = b.g OR both NULL), which an index on the group columns
-- serves, where IS NOT DISTINCT FROM is not.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_same_group(shape jsonb, a text, b text, indexable boolean DEFAULT false)
  RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(string_agg(CASE WHEN indexable
                                  THEN format('(%1$s.%2$I = %3$s.%2$I OR (%1$s.%2$I IS NULL AND %3$s.%2$I IS NULL))', a, c->>'name', b)
                                  ELSE format('%s.%I IS NOT DISTINCT FROM %s.%I', a, c->>'name', b, c->>'name') END, ' AND '), 'true')
    FROM jsonb_array_elements(shape->'groups') c
$fn$;

-- The fresh values of the changed windows ($1: the changed keys as jsonb):
-- CTEs prev (the results rows they replace) and fresh, recomputed from B.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_fresh_sql(shape jsonb, results text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  w text := coalesce('(' || (shape->>'where') || ')', 'true');
  t text := quote_ident(shape->>'time_column');
  win text := quote_ident(shape->>'window_name');
  g_out text := pulse_internal.rollup_list(shape->'groups', '%2$s AS %1$I, ', '');
  a_out text := pulse_internal.rollup_list(shape->'aggregates', '%2$s AS %1$I', ', ');
  n_groups int := jsonb_array_length(shape->'groups');
  group_by text;
BEGIN
  IF shape->>'kind' <> 'session' THEN
    group_by := CASE WHEN n_groups > 0 THEN ' GROUP BY ' || (SELECT string_agg(i::text, ', ') FROM generate_series(1, n_groups) i) ELSE '' END;
    RETURN format('k AS (SELECT DISTINCT (e #>> ''{}'')::timestamptz AS w FROM jsonb_array_elements($1) e), '
                  'prev AS (SELECT r.* FROM %1$s r WHERE r.%2$s = ANY (ARRAY(SELECT w FROM k))), '
                  'fresh AS (SELECT k.w AS %2$s, k.w + %3$s AS window_end, f.* FROM k, LATERAL (SELECT %4$s%5$s FROM %6$s '
                  'WHERE %7$s AND %8$s >= k.w AND %8$s < k.w + %3$s%9$s HAVING count(*) > 0) f)',
                  results, win, shape->>'size', g_out, a_out, shape->>'relation', w, t, group_by);
  END IF;
  RETURN format('ch AS (SELECT * FROM jsonb_to_recordset($1) AS x(%1$s pulse_t timestamptz)), '
                'sp AS (SELECT %2$s min(pulse_t) - %3$s AS lo, max(pulse_t) + %3$s AS hi FROM ch %16$s), '
                'ext AS (SELECT %4$s least(sp.lo, min(r.%5$s)) AS lo, greatest(sp.hi, max(r.window_end)) AS hi FROM sp '
                'LEFT JOIN %6$s r ON %7$s AND r.%5$s < sp.hi AND r.window_end > sp.lo GROUP BY %4$s sp.lo, sp.hi), '
                'prev AS (SELECT r.* FROM %6$s r JOIN ext e ON %8$s AND r.%5$s < e.hi AND r.window_end > e.lo), '
                'fresh AS (SELECT f.* FROM ext e, LATERAL (SELECT min(%9$s) AS %5$s, max(%9$s) + %3$s AS window_end, %10$s%11$s '
                'FROM (SELECT *, pulse.session_start(%9$s, %3$s) OVER (ORDER BY %9$s) AS pulse_session FROM %12$s '
                'WHERE %13$s AND %14$s AND %9$s >= e.lo AND %9$s < e.hi) s GROUP BY pulse_session%15$s) f)',
                pulse_internal.rollup_list(shape->'groups', '%1$I %3$s, ', ''),
                pulse_internal.rollup_list(shape->'groups', '%1$I, ', ''),
                shape->>'size',
                pulse_internal.rollup_list(shape->'groups', 'sp.%1$I, ', ''),
                win, results,
                pulse_internal.rollup_same_group(shape, 'r', 'sp', true),
                pulse_internal.rollup_same_group(shape, 'r', 'e', true),
                t, g_out, a_out, shape->>'relation', w,
                coalesce((SELECT string_agg(format('(%s) IS NOT DISTINCT FROM e.%I', c->>'expr', c->>'name'), ' AND ')
                            FROM jsonb_array_elements(shape->'groups') c), 'true'),
                pulse_internal.rollup_list(shape->'groups', ', %2$s', ''),
                CASE WHEN n_groups > 0 THEN 'GROUP BY ' || pulse_internal.rollup_list(shape->'groups', '%1$I') ELSE '' END);
END
$fn$;

CREATE OR REPLACE FUNCTION pulse_internal.rollup_group_key_sql(shape jsonb, u text) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'jsonb_build_object(' || coalesce(string_agg(format('%L, %s.%I', c->>'name', u, c->>'name'), ', '), '') || ')'
    FROM jsonb_array_elements(shape->'groups') c
$fn$;

-- The values a pane carries for results row alias u: the whole value
-- (accumulating) or, for additive aggregates, what changed since the
-- window's previous panes (discarding).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_values_sql(shape jsonb, u text, discarding boolean) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'jsonb_build_object(' || coalesce(string_agg(
           CASE WHEN discarding
             THEN format('%1$L, %2$s.%1$I - coalesce((SELECT sum((x."values"->>%1$L)::numeric) FROM pulse.panes x '
                         'WHERE x.rollup = $5 AND x.window_start = %2$s.%3$I AND x.window_end = %2$s.window_end '
                         'AND x.group_key = %4$s AND NOT x.retraction), 0)',
                         c->>'name', u, shape->>'window_name', pulse_internal.rollup_group_key_sql(shape, u))
             ELSE format('%1$L, %2$s.%1$I', c->>'name', u) END, ', '), '') || ')'
    FROM jsonb_array_elements(shape->'aggregates') c
$fn$;

-- One batch of changes ($1 keys, $2 watermark, $3 lateness, $4 whether
-- complete windows emit at once, $5 the rollup; a statement of the rollup's
-- plpgsql apply function, counting its panes into pulse_n): the changed windows are
-- recomputed from B, rows that vanished are deleted, and panes are emitted
-- for complete windows (late) and retracted where a window a pane was
-- emitted for is gone or changed its end (merged sessions).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_apply_sql(shape jsonb, results text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  win text := quote_ident(shape->>'window_name');
  keys text := pulse_internal.rollup_list(shape->'groups', ', %1$I', '');
  aggs text := pulse_internal.rollup_list(shape->'aggregates', ', %1$I', '');
  new_aggs text := pulse_internal.rollup_list(shape->'aggregates', ', %1$I = excluded.%1$I', '');
BEGIN
  RETURN format(
    'WITH %1$s, '
    'gone AS (DELETE FROM %2$s r USING prev p WHERE r.%3$s = p.%3$s AND %4$s '
    '  AND NOT EXISTS (SELECT FROM fresh f WHERE f.%3$s = p.%3$s AND %5$s) RETURNING r.*), '
    'up AS (INSERT INTO %2$s AS r (%3$s, window_end%6$s%7$s, pane, timing, final, updated_at, emitted_at) '
    '  SELECT f.%3$s, f.window_end%8$s%9$s, coalesce((SELECT max(x.pane) FROM pulse.panes x WHERE x.rollup = $5 '
    '         AND x.window_start = f.%3$s AND x.window_end = f.window_end AND x.group_key = %16$s), 0) '
    '         + CASE WHEN $4 AND f.window_end <= $2 THEN 1 ELSE 0 END, '
    '         CASE WHEN $4 AND f.window_end <= $2 THEN ''late'' END, f.window_end + $3 <= $2, clock_timestamp(), '
    '         CASE WHEN $4 AND f.window_end <= $2 THEN clock_timestamp() END FROM fresh f ORDER BY f.%3$s%8$s '
    '  ON CONFLICT (%3$s%6$s) DO UPDATE SET window_end = excluded.window_end%10$s, '
    '    pane = CASE WHEN r.window_end <> excluded.window_end THEN excluded.pane WHEN excluded.emitted_at IS NOT NULL THEN r.pane + 1 ELSE r.pane END, '
    '    timing = CASE WHEN excluded.emitted_at IS NOT NULL THEN excluded.timing WHEN r.window_end <> excluded.window_end THEN NULL ELSE r.timing END, '
    '    final = excluded.final, updated_at = excluded.updated_at, '
    '    emitted_at = CASE WHEN excluded.emitted_at IS NOT NULL THEN excluded.emitted_at WHEN r.window_end <> excluded.window_end THEN NULL ELSE r.emitted_at END '
    '  WHERE (r.window_end%11$s) IS DISTINCT FROM (excluded.window_end%12$s) RETURNING r.*), '
    'ins AS (INSERT INTO pulse.panes (rollup, window_start, window_end, group_key, pane, timing, retraction, "values") '
    '  SELECT $5, u.%3$s, u.window_end, %13$s, u.pane, u.timing, false, %14$s FROM up u WHERE $4 AND u.window_end <= $2 '
    '  UNION ALL SELECT $5, p.%3$s, p.window_end, %15$s, p.pane + 1, CASE WHEN p.window_end <= $2 THEN ''late'' ELSE ''early'' END, true, NULL '
    '  FROM prev p WHERE p.pane > 0 AND NOT EXISTS (SELECT FROM fresh f WHERE f.%3$s = p.%3$s AND f.window_end = p.window_end AND %5$s) '
    '  RETURNING 1) '
    'SELECT count(*) INTO pulse_n FROM ins',
    pulse_internal.rollup_fresh_sql(shape, results), results, win,
    pulse_internal.rollup_same_group(shape, 'r', 'p'), pulse_internal.rollup_same_group(shape, 'f', 'p'),
    keys, aggs,
    pulse_internal.rollup_list(shape->'groups', ', f.%1$I', ''), pulse_internal.rollup_list(shape->'aggregates', ', f.%1$I', ''),
    new_aggs,
    pulse_internal.rollup_list(shape->'aggregates', ', r.%1$I', ''), pulse_internal.rollup_list(shape->'aggregates', ', excluded.%1$I', ''),
    pulse_internal.rollup_group_key_sql(shape, 'u'), pulse_internal.rollup_values_sql(shape, 'u', (shape->>'discarding')::boolean),
    pulse_internal.rollup_group_key_sql(shape, 'p'), pulse_internal.rollup_group_key_sql(shape, 'f'));
END
$fn$;

-- Panes of windows the watermark passed ($1 new, $2 old watermark) that
-- have had no on-time pane (advance), or of every window changed since its
-- last pane (dirty: processing-time and row-count triggers). $3 lateness,
-- $5 the rollup.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_emit_sql(shape jsonb, results text, advance boolean) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT format(
    'WITH e AS (UPDATE %1$s r SET pane = r.pane + 1, '
    '  timing = CASE WHEN r.window_end > $1 THEN ''early'' WHEN r.timing IS NULL OR r.timing = ''early'' THEN ''on_time'' ELSE ''late'' END, '
    '  emitted_at = clock_timestamp(), final = r.window_end + $3 <= $1 WHERE %2$s RETURNING r.*), '
    'ins AS (INSERT INTO pulse.panes (rollup, window_start, window_end, group_key, pane, timing, retraction, "values") '
    '  SELECT $5, e.%3$I, e.window_end, %4$s, e.pane, e.timing, false, %5$s FROM e RETURNING 1) '
    'SELECT count(*) FROM ins',
    results,
    CASE WHEN advance THEN 'r.window_end > $2 AND r.window_end <= $1 AND (r.timing IS NULL OR r.timing = ''early'')'
         ELSE '(r.emitted_at IS NULL OR r.updated_at > r.emitted_at)' END,
    shape->>'window_name', pulse_internal.rollup_group_key_sql(shape, 'e'),
    pulse_internal.rollup_values_sql(shape, 'e', (shape->>'discarding')::boolean))
$fn$;

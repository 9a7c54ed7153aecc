-- Incremental rollups: when every aggregate is a count (count(*), count(x),
-- with or without FILTER; not DISTINCT) or a sum over a NOT NULL column of
-- an exact type (integers, numeric), and one of them is count(*), a
-- batch's effect is what its new rows add minus what its old rows take
-- away, per window and group: the trigger sums the transition tables, the
-- results are moved by those sums, and a group whose count(*) falls to 0 is
-- deleted. No window is read again from the base table, so a batch costs
-- what it holds, even in hour-long windows. Other rollups recompute the
-- windows a batch touches (63_rollup_sql.sql).

CREATE OR REPLACE FUNCTION pulse_internal.rollup_count_column(shape jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE WHEN shape->>'kind' IN ('tumbling', 'hop')
               AND NOT EXISTS (SELECT FROM jsonb_array_elements(shape->'aggregates') a
                                WHERE NOT ((a->>'func' = 'count' AND NOT (a->>'distinct')::boolean)
                                           OR (a->>'func' = 'sum' AND coalesce((a->>'additive')::boolean, false))))
              THEN (SELECT a->>'name' FROM jsonb_array_elements(shape->'aggregates') WITH ORDINALITY AS e(a, o)
                     WHERE a->>'expr' = 'count(*)' ORDER BY o LIMIT 1) END
$fn$;

-- The summed change of one transition table src (sign 1: new rows, -1: old
-- rows), one jsonb row per window and group.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_delta_rows_sql(shape jsonb, src text, sign int) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT format('SELECT jsonb_build_object(''pulse_w'', %1$s%2$s%3$s) AS k FROM %4$s%5$s WHERE %6$s GROUP BY %1$s%7$s',
                CASE WHEN shape->>'kind' = 'hop' THEN 'pulse_h.pulse_w'
                     ELSE format('date_bin(%s, %I, %s)', shape->>'size', shape->>'time_column', shape->>'origin') END,
                pulse_internal.rollup_list(shape->'groups', ', %1$L, %2$s', ''),
                pulse_internal.rollup_list(shape->'aggregates', ', %1$L, ' || sign || ' * %2$s', ''),
                src,
                CASE WHEN shape->>'kind' = 'hop' THEN ', ' || pulse_internal.rollup_hop_sql(shape) ELSE '' END,
                coalesce('(' || (shape->>'where') || ')', 'true')
                  || CASE WHEN shape->>'kind' = 'hop'
                          THEN format(' AND pulse_h.pulse_w + %s > %I', shape->>'size', shape->>'time_column') ELSE '' END,
                pulse_internal.rollup_list(shape->'groups', ', %2$s', ''))
$fn$;

-- Moves the results by the batch's sums ($1 {"delta": rows}; parameters as
-- rollup_apply_sql; panes counted into pulse_n). Rows are locked in key order, so concurrent batches
-- wait for each other instead of deadlocking.
CREATE OR REPLACE FUNCTION pulse_internal.rollup_delta_sql(shape jsonb, results text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  win text := quote_ident(shape->>'window_name');
BEGIN
  RETURN format(
    'WITH f AS (SELECT x.pulse_w AS %1$s, x.pulse_w + %2$s AS window_end%3$s%4$s '
    '  FROM jsonb_to_recordset($1->''delta'') AS x(pulse_w timestamptz%5$s%6$s) GROUP BY x.pulse_w%7$s), '
    'up AS (INSERT INTO %8$s AS r (%1$s, window_end%9$s%10$s, pane, timing, final, updated_at, emitted_at) '
    '  SELECT f.%1$s, f.window_end%11$s%12$s, coalesce((SELECT max(x.pane) FROM pulse.panes x WHERE x.rollup = $5 '
    '         AND x.window_start = f.%1$s AND x.window_end = f.window_end AND x.group_key = %13$s), 0) '
    '         + CASE WHEN $4 AND f.window_end <= $2 THEN 1 ELSE 0 END, '
    '         CASE WHEN $4 AND f.window_end <= $2 THEN ''late'' END, f.window_end + $3 <= $2, clock_timestamp(), '
    '         CASE WHEN $4 AND f.window_end <= $2 THEN clock_timestamp() END FROM f ORDER BY f.%1$s%20$s '
    '  ON CONFLICT (%1$s%9$s) DO UPDATE SET %14$s, '
    '    pane = CASE WHEN excluded.emitted_at IS NOT NULL THEN r.pane + 1 ELSE r.pane END, '
    '    timing = CASE WHEN excluded.emitted_at IS NOT NULL THEN excluded.timing ELSE r.timing END, '
    '    final = excluded.final, updated_at = excluded.updated_at, emitted_at = coalesce(excluded.emitted_at, r.emitted_at) '
    '  WHERE (%15$s) IS DISTINCT FROM (%16$s) RETURNING r.*), '
    'ins AS (INSERT INTO pulse.panes (rollup, window_start, window_end, group_key, pane, timing, retraction, "values") '
    '  SELECT $5, u.%1$s, u.window_end, %17$s, u.pane, u.timing, false, %18$s FROM up u '
    '   WHERE $4 AND u.window_end <= $2 AND u.%19$I > 0 RETURNING 1) '
    'SELECT count(*) INTO pulse_n FROM ins',
    win, shape->>'size',
    pulse_internal.rollup_list(shape->'groups', ', x.%1$I', ''),
    pulse_internal.rollup_list(shape->'aggregates', ', sum(x.%1$I)::%3$s AS %1$I', ''),
    pulse_internal.rollup_list(shape->'groups', ', %1$I %3$s', ''),
    pulse_internal.rollup_list(shape->'aggregates', ', %1$I %3$s', ''),
    pulse_internal.rollup_list(shape->'groups', ', x.%1$I', ''),
    results,
    pulse_internal.rollup_list(shape->'groups', ', %1$I', ''),
    pulse_internal.rollup_list(shape->'aggregates', ', %1$I', ''),
    pulse_internal.rollup_list(shape->'groups', ', f.%1$I', ''),
    pulse_internal.rollup_list(shape->'aggregates', ', f.%1$I', ''),
    pulse_internal.rollup_group_key_sql(shape, 'f'),
    pulse_internal.rollup_list(shape->'aggregates', '%1$I = r.%1$I + excluded.%1$I'),
    pulse_internal.rollup_list(shape->'aggregates', 'excluded.%1$I'),
    pulse_internal.rollup_list(shape->'aggregates', '0::%3$s'),
    pulse_internal.rollup_group_key_sql(shape, 'u'),
    pulse_internal.rollup_values_sql(shape, 'u', (shape->>'discarding')::boolean),
    pulse_internal.rollup_count_column(shape),
    pulse_internal.rollup_list(shape->'groups', ', f.%1$I', ''));
END
$fn$;

-- Deletes the groups a batch emptied (count(*) at 0), with a retraction pane
-- where panes were emitted (counted into pulse_k).
CREATE OR REPLACE FUNCTION pulse_internal.rollup_prune_sql(shape jsonb, results text) RETURNS text
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT format(
    'WITH g AS (DELETE FROM %1$s r WHERE r.%2$I = ANY (ARRAY(SELECT x.pulse_w FROM jsonb_to_recordset($1->''delta'') AS x(pulse_w timestamptz))) '
    '  AND r.%3$I <= 0 RETURNING r.*), '
    'ins AS (INSERT INTO pulse.panes (rollup, window_start, window_end, group_key, pane, timing, retraction, "values") '
    '  SELECT $5, g.%2$I, g.window_end, %4$s, g.pane + 1, CASE WHEN g.window_end <= $2 THEN ''late'' ELSE ''early'' END, true, NULL '
    '    FROM g WHERE g.pane > 0 RETURNING 1) '
    'SELECT count(*) INTO pulse_k FROM ins',
    results, shape->>'window_name', pulse_internal.rollup_count_column(shape),
    pulse_internal.rollup_group_key_sql(shape, 'g'))
$fn$;

-- pulse.moving_corr_series against the window aggregate (bit for bit, on the
-- edge series, the level/spike data and every exact representation), its
-- NULL handling and argument errors; the compact states of plain
-- aggregation against the wide one (GROUP BY, parallel partials).
SET extra_float_digits = 1;
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- Series per kind: integers, NULLs on either side, constant x, NaN and
-- infinities, level 1e9 with 1e12 spikes (compact), prices next to small
-- volumes (the 192-byte state), all magnitudes incl. subnormals (wide).
CREATE TEMP TABLE s (g text, i int, x float8, y float8);
INSERT INTO s
SELECT 'plain', i, (i * 7) % 11, (i * 5) % 13 + i FROM generate_series(1, 40) i
UNION ALL
SELECT 'nulls', i, CASE WHEN i % 4 = 0 THEN NULL ELSE (i * 7) % 11 END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 3) % 7 END FROM generate_series(1, 40) i
UNION ALL
SELECT 'constant_x', i, 0.1, i % 5 FROM generate_series(1, 20) i
UNION ALL
SELECT 'nan_inf', i, CASE i WHEN 6 THEN 'NaN'::float8 WHEN 14 THEN 'Infinity' ELSE i % 4 END,
       CASE WHEN i = 9 THEN '-Infinity'::float8 ELSE (i * 3) % 5 END FROM generate_series(1, 30) i
UNION ALL
SELECT 'level', i, CASE WHEN i % 500 = 250 THEN 1e12 ELSE 1e9 + 3 * sin(i) END,
       CASE WHEN i % 700 = 350 THEN -1e12 ELSE -1e9 + 3 * sin(i) + cos(7 * i) END FROM generate_series(1, 3000) i
UNION ALL
SELECT 'prices', i, 60000 + 0.01 * (i % 977) + sin(i), abs(cos(i)) * 1e-3 * (1 + i % 13) FROM generate_series(1, 2000) i
UNION ALL
SELECT 'magnitudes', i, sin(i) * 10 ^ (i % 600 - 300), cos(i) * 10 ^ (i % 500 - 250) + sin(i) FROM generate_series(1, 2000) i
UNION ALL
SELECT 'subnormal', i, CASE WHEN i % 7 = 0 THEN 5e-324 * i ELSE i END, i % 3 FROM generate_series(1, 100) i;

CREATE FUNCTION pg_temp.compare(frame int) RETURNS TABLE(g text, rows bigint, identical bigint, non_null bigint)
LANGUAGE sql AS $$
  WITH w AS (
    SELECT g, i, pulse.moving_corr(x, y) OVER (PARTITION BY g ORDER BY i ROWS BETWEEN frame - 1 PRECEDING AND CURRENT ROW) AS m
      FROM s),
  a AS (
    SELECT g, pulse.moving_corr_series(array_agg(x ORDER BY i), array_agg(y ORDER BY i), frame) AS r,
           min(i) AS first FROM s GROUP BY g)
  SELECT w.g, count(*), count(*) FILTER (WHERE w.m IS NOT DISTINCT FROM a.r[w.i - a.first + 1]),
         count(w.m)
    FROM w JOIN a USING (g) GROUP BY w.g ORDER BY w.g
$$;
SELECT 1 AS frame, * FROM pg_temp.compare(1);
SELECT 3 AS frame, * FROM pg_temp.compare(3);
SELECT 60 AS frame, * FROM pg_temp.compare(60);
SELECT 5000 AS frame, * FROM pg_temp.compare(5000);

-- The level/spike series against exact numeric arithmetic (every value is a
-- multiple of 2^-23, so x * 2^23 is an exact integer; see analytics_moving_corr).
SELECT count(*) AS frames,
       max(abs(r.r - e.exact::float8)) < 1e-12 AS series_within_1e_12
  FROM (SELECT u.r, u.i FROM (SELECT pulse.moving_corr_series(array_agg(x ORDER BY i), array_agg(y ORDER BY i), 100) AS a
                                 FROM s WHERE g = 'level') q, unnest(q.a) WITH ORDINALITY AS u(r, i)) r
  JOIN (SELECT i, (count(*) OVER w * sum(xs * ys) OVER w - sum(xs) OVER w * sum(ys) OVER w)
                  / nullif(sqrt((count(*) OVER w * sum(xs * xs) OVER w - sum(xs) OVER w ^ 2)
                              * (count(*) OVER w * sum(ys * ys) OVER w - sum(ys) OVER w ^ 2)), 0) AS exact
          FROM (SELECT i, (x * 8388608)::bigint::numeric AS xs, (y * 8388608)::bigint::numeric AS ys
                  FROM s WHERE g = 'level') l
        WINDOW w AS (ORDER BY i ROWS BETWEEN 99 PRECEDING AND CURRENT ROW)) e USING (i);

-- NULL elements: the pair is skipped, as the aggregate skips it; the result
-- keeps x's lower bound; empty arrays give an empty array.
SELECT pulse.moving_corr_series('{1,2,NULL,4,5,3}', '{2,1,4,NULL,6,1}', 3);
SELECT pulse.moving_corr_series('{NULL,NULL}', '{1,2}', 2);
SELECT pulse.moving_corr_series('[0:3]={1,2,4,3}', '{1,3,2,5}', 10);
SELECT pulse.moving_corr_series('{}', '{}', 5);

-- Bad arguments
SELECT pg_temp.err($$SELECT pulse.moving_corr_series('{1,2,3}', '{1,2}', 2)$$);
SELECT pg_temp.err($$SELECT pulse.moving_corr_series('{1,2,3}', '{1,2,3}', 0)$$);
SELECT pg_temp.err($$SELECT pulse.moving_corr_series('{1,2,3}', '{1,2,3}', -5)$$);
SELECT pg_temp.err($$SELECT pulse.moving_corr_series('{{1,2},{3,4}}', '{1,2,3,4}', 2)$$);
SELECT pg_temp.err($$SELECT pulse.moving_corr_series(NULL, '{1,2,3}', 2)$$);
SELECT pg_temp.err($$SELECT pulse.moving_corr_series('{1,2,3}', NULL, 2)$$);
SELECT pg_temp.err($$SELECT pulse.moving_corr_series('{1,2,3}', '{1,2,3}', NULL)$$);

-- GROUP BY: the compact states (moving to larger ones for 'prices',
-- 'magnitudes' and 'subnormal') give what 0.1.0's wide state gives, bit for
-- bit.
CREATE TEMP TABLE by_compact AS SELECT g, pulse.moving_corr(x, y) AS m FROM s GROUP BY g;
SET pulse.moving_corr_force_wide = on;
CREATE TEMP TABLE by_wide AS SELECT g, pulse.moving_corr(x, y) AS m FROM s GROUP BY g;
RESET pulse.moving_corr_force_wide;
SELECT g, c.m IS NOT DISTINCT FROM w.m AS identical, round(c.m::numeric, 12) AS moving_corr
  FROM by_compact c JOIN by_wide w USING (g) ORDER BY g;

-- Parallel partials of every kind combine exactly: the same as one backend.
CREATE TABLE cs_parallel AS
SELECT i, i % 4 AS g,
       CASE i % 4 WHEN 0 THEN 1e9 + (i * 7919 % 1000) WHEN 1 THEN (i * 7919 % 1000) * 1e-3 + 1e5
                  WHEN 2 THEN (i % 1000) ELSE (i * 7919 % 1000) * 10 ^ (i % 40 - 20) END::float8 AS x,
       (i * 104729 % 1009)::float8 + (i * 7919 % 1000) AS y
  FROM generate_series(1::bigint, 200000) i;
ANALYZE cs_parallel;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT g, pulse.moving_corr(x, y) FROM cs_parallel GROUP BY g;
CREATE TEMP TABLE par AS SELECT g, pulse.moving_corr(x, y) AS m FROM cs_parallel GROUP BY g;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS SELECT g, pulse.moving_corr(x, y) AS m FROM cs_parallel GROUP BY g;
SELECT g, p.m = s.m AS parallel_identical, round(p.m::numeric, 12) AS moving_corr
  FROM par p JOIN ser s USING (g) ORDER BY g;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE cs_parallel;

-- pulse.moving_corr: corr() semantics over GROUP BY and every kind of window
-- frame, the inverse-transition path against the forced restart path, exact
-- results where corr() (level offsets) and pandas (spikes) are off, and a
-- parallel aggregate.
SET extra_float_digits = 0;

-- Same value, both NULL, or both NaN.
CREATE FUNCTION pg_temp.same(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce((a IS NULL AND b IS NULL) OR (a = 'NaN' AND b = 'NaN')
                  OR (a <> 'NaN' AND b <> 'NaN' AND abs(a - b) < 1e-12), false)
$$;

-- Edge series; o has ties for RANGE/GROUPS frames. Small integers, so corr()
-- itself is accurate here and the two must agree.
CREATE TEMP TABLE edge (g text, i int, o int, x float8, y float8);
INSERT INTO edge
SELECT 'plain', i, i / 2, (i * 7) % 11, (i * 5) % 13 + i FROM generate_series(1, 14) i
UNION ALL
SELECT 'nulls', i, i / 2, CASE WHEN i % 4 = 0 THEN NULL ELSE (i * 7) % 11 END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 3) % 7 END FROM generate_series(1, 14) i
UNION ALL
SELECT 'constant_x', i, i / 2, 3, i % 5 FROM generate_series(1, 10) i
UNION ALL
SELECT 'nan', i, i / 2, CASE WHEN i = 6 THEN 'NaN'::float8 ELSE i % 4 END, (i * 3) % 5 FROM generate_series(1, 12) i
UNION ALL
SELECT 'inf', i, i / 2, CASE i WHEN 4 THEN 'Infinity'::float8 WHEN 9 THEN '-Infinity'::float8 ELSE i % 3 END,
       CASE WHEN i = 7 THEN 'Infinity'::float8 ELSE i % 5 END FROM generate_series(1, 12) i
UNION ALL
SELECT 'nan_constant_y', i, i, CASE WHEN i = 2 THEN 'NaN'::float8 ELSE i END, 5 FROM generate_series(1, 4) i
UNION ALL
SELECT 'single', 1, 1, 2, 3
UNION ALL
SELECT 'all_null', i, i, NULL, i FROM generate_series(1, 3) i;

-- GROUP BY
SELECT g, pulse.moving_corr(x, y) AS moving_corr, corr(x, y) AS corr,
       pg_temp.same(pulse.moving_corr(x, y), corr(x, y)) AS same
  FROM edge GROUP BY g ORDER BY g;

-- Every frame kind, per row, stored so the restart path can be compared.
CREATE FUNCTION pg_temp.frames() RETURNS TABLE(frame text, g text, i int, m float8, c float8)
LANGUAGE sql AS $$
  SELECT 'rows 2 preceding', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
  UNION ALL
  SELECT 'rows 1 preceding 1 following', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY i ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)
  UNION ALL
  SELECT 'rows current row (1 row)', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY i ROWS BETWEEN CURRENT ROW AND CURRENT ROW)
  UNION ALL
  SELECT 'range 2 preceding', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY o RANGE BETWEEN 2 PRECEDING AND CURRENT ROW)
  UNION ALL
  SELECT 'groups 1 preceding', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY o GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW)
  UNION ALL
  SELECT 'rows 3 preceding exclude current row', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY i ROWS BETWEEN 3 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW)
  UNION ALL
  SELECT 'rows 2 around exclude ties', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY o ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING EXCLUDE TIES)
  UNION ALL
  SELECT 'rows unbounded preceding', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
  UNION ALL
  SELECT 'range current row to unbounded following', g, i, pulse.moving_corr(x, y) OVER w, corr(x, y) OVER w
    FROM edge WINDOW w AS (PARTITION BY g ORDER BY o RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
$$;

CREATE TEMP TABLE by_inverse AS SELECT * FROM pg_temp.frames();
SET pulse.moving_corr_force_restart = on;
CREATE TEMP TABLE by_restart AS SELECT * FROM pg_temp.frames();
RESET pulse.moving_corr_force_restart;

-- agreement with corr() per frame kind and series (non_null and nan show
-- that the frames produce values of every kind, not only NULLs)
SELECT frame, g, count(*) AS rows, count(*) FILTER (WHERE pg_temp.same(m, c)) AS agree,
       count(m) FILTER (WHERE m <> 'NaN') AS values, count(*) FILTER (WHERE m = 'NaN') AS nan
  FROM by_inverse GROUP BY frame, g ORDER BY frame, g;

-- the restart path gives bit-identical results (the state is exact)
SELECT count(*) AS rows,
       count(*) FILTER (WHERE a.m IS NOT DISTINCT FROM b.m) AS identical
  FROM by_inverse a JOIN by_restart b USING (frame, g, i);

-- A level offset of 1e9 and spikes of 1e12 entering and leaving a 100-row
-- frame, against exact numeric arithmetic. Every value here is a multiple of
-- 2^-23, so x * 2^23 is an exact integer and correlation is scale-free: the
-- reference uses those integers in numeric.
CREATE TEMP TABLE level AS
SELECT i,
       CASE WHEN i % 500 = 250 THEN 1e12 ELSE 1e9 + 3 * sin(i) END::float8 AS x,
       CASE WHEN i % 700 = 350 THEN -1e12 ELSE -1e9 + 3 * sin(i) + cos(7 * i) END::float8 AS y
  FROM generate_series(1, 3000) i;
SELECT count(*) FILTER (WHERE x * 8388608 <> trunc(x * 8388608) OR y * 8388608 <> trunc(y * 8388608)) AS not_multiples
  FROM level;
CREATE TEMP TABLE level_result AS
SELECT i, pulse.moving_corr(x, y) OVER w AS m, corr(x, y) OVER w AS c,
       (count(*) OVER w * sum(xs * ys) OVER w - sum(xs) OVER w * sum(ys) OVER w)
       / nullif(sqrt((count(*) OVER w * sum(xs * xs) OVER w - sum(xs) OVER w ^ 2)
                   * (count(*) OVER w * sum(ys * ys) OVER w - sum(ys) OVER w ^ 2)), 0) AS exact
  FROM (SELECT i, x, y, (x * 8388608)::bigint::numeric AS xs, (y * 8388608)::bigint::numeric AS ys FROM level) l
WINDOW w AS (ORDER BY i ROWS BETWEEN 99 PRECEDING AND CURRENT ROW);
SELECT count(exact) AS frames,
       max(abs(m - exact::float8)) < 1e-12 AS moving_corr_within_1e_12,
       max(abs(c - exact::float8)) > 1e-9 AS corr_off_by_more_than_1e_9
  FROM level_result;

-- pandas issue 66678: its rolling(3).corr() gives NaN here; exact answers.
CREATE TEMP TABLE spike (i int, x float8, y float8);
INSERT INTO spike VALUES (1, 1, 2), (2, 2, 1), (3, 1e12, 3), (4, 1e7, -1e12),
                         (5, 6, 4), (6, 5, 7), (7, 8, 6), (8, 7, 9);
SELECT i, round(m::numeric, 15) AS moving_corr, round(exact, 15) AS exact,
       abs(m - exact::float8) < 1e-15 AS exact_to_1e_15
  FROM (SELECT i, pulse.moving_corr(x, y) OVER w AS m,
               (count(*) OVER w * sum(x::numeric * y::numeric) OVER w - sum(x::numeric) OVER w * sum(y::numeric) OVER w)
               / nullif(sqrt((count(*) OVER w * sum(x::numeric ^ 2) OVER w - sum(x::numeric) OVER w ^ 2)
                           * (count(*) OVER w * sum(y::numeric ^ 2) OVER w - sum(y::numeric) OVER w ^ 2)), 0) AS exact
          FROM spike WINDOW w AS (ORDER BY i ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)) s
 WHERE i >= 3 ORDER BY i;

-- Finite values whose squares overflow float8: corr() reports an overflow,
-- the exact sums answer.
SELECT pulse.moving_corr(x, y) FROM (VALUES (1e300::float8, -1e300::float8), (-1e300, 1e300), (0, 0)) v(x, y);
SELECT corr(x, y) FROM (VALUES (1e300::float8, -1e300::float8), (-1e300, 1e300), (0, 0)) v(x, y);

-- Parallel aggregation: partial states are serialized and combined.
CREATE TABLE mc_parallel AS
SELECT i, i % 3 AS g, 1e9 + (i * 7919 % 1000)::float8 AS x, (i * 104729 % 1009)::float8 + (i * 7919 % 1000) AS y
  FROM generate_series(1::bigint, 200000) i;
ANALYZE mc_parallel;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET extra_float_digits = 1;  -- exact float8 round trip through \gset
EXPLAIN (COSTS OFF) SELECT pulse.moving_corr(x, y) AS m FROM mc_parallel;
SELECT pulse.moving_corr(x, y) AS par_m FROM mc_parallel \gset
EXPLAIN (COSTS OFF)
SELECT string_agg(g || ':' || m, ' ' ORDER BY g) AS par_g
  FROM (SELECT g, pulse.moving_corr(x, y) AS m FROM mc_parallel GROUP BY g) s;
SELECT string_agg(g || ':' || m, ' ' ORDER BY g) AS par_g
  FROM (SELECT g, pulse.moving_corr(x, y) AS m FROM mc_parallel GROUP BY g) s \gset
-- the same without parallelism: bit-identical (the state is exact)
SET max_parallel_workers_per_gather = 0;
SELECT :'par_m'::float8 = pulse.moving_corr(x, y) AS parallel_identical,
       abs(:'par_m'::float8 - corr(x, y)) < 1e-9 AS close_to_corr,
       round(:'par_m'::numeric, 12) AS moving_corr
  FROM mc_parallel;
SELECT :'par_g' = string_agg(g || ':' || m, ' ' ORDER BY g) AS grouped_identical
  FROM (SELECT g, pulse.moving_corr(x, y) AS m FROM mc_parallel GROUP BY g) s;
SET extra_float_digits = 0;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE mc_parallel;

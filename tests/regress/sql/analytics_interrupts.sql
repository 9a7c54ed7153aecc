-- Long C++ loops honour a cancel (statement_timeout, pg_cancel_backend,
-- Ctrl-C) while they run, not after: pulse.lagged_corr at its largest allowed
-- size takes seconds.
-- 100,000 elements and max_lag 1004: 199.8 million pairs, the most lagged_corr
-- allows at this length (one lag more is refused before any work).
CREATE TEMP TABLE lc_big AS
SELECT array_agg(sin(i) * 1000 + i ORDER BY i) AS x,
       array_agg(cos(i * 0.7) * 50 + i * 0.01 ORDER BY i) AS y
  FROM generate_series(1, 100000) AS i;
SELECT regress.try($$SELECT count(*) FROM pulse.lagged_corr((SELECT x FROM lc_big), (SELECT y FROM lc_big), 1005)$$);
-- lc_rows counts the rows lagged_corr handed to the executor before the
-- cancel was honoured (nextval is not rolled back). A loop that ignores
-- interrupts finishes, hands over its rows, and is cancelled only when the
-- executor next checks, after the first row; a cooperative one is cancelled
-- inside its loop, before any row. No timing is measured.
CREATE TEMP SEQUENCE lc_rows;
SET statement_timeout = '200ms';
SELECT count(*) FROM pulse.lagged_corr((SELECT x FROM lc_big), (SELECT y FROM lc_big), 1004) AS r
 WHERE nextval('lc_rows') > 0;
-- the SQLSTATE crossed the C++ boundary unchanged: 57014 (query_canceled)
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT is_called AS rows_reached_executor FROM lc_rows;
-- the session is fine afterwards, and a small call still answers
SELECT lag, n, round(corr::numeric, 6) AS corr
  FROM pulse.lagged_corr('{1,2,3,4,5}', '{2,4,6,8,11}', 1) ORDER BY lag;

-- pulse.moving_corr_series honours a cancel inside its loop too. Values
-- spanning 10^-300..10^300 need the wide exact state, the slowest path:
-- 2,000,000 elements take well over a second.
CREATE TEMP TABLE cs_big AS
SELECT array_agg(sin(i) * 10 ^ (i % 600 - 300) ORDER BY i) AS x, array_agg(cos(i) ORDER BY i) AS y
  FROM generate_series(1, 2000000) AS i;
CREATE TEMP SEQUENCE cs_rows;
SET statement_timeout = '200ms';
SELECT count(*) FROM unnest(pulse.moving_corr_series((SELECT x FROM cs_big), (SELECT y FROM cs_big), 1440)) AS r
 WHERE nextval('cs_rows') > 0;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT is_called AS rows_reached_executor FROM cs_rows;

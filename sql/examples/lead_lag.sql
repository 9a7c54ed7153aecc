-- The headline question: does tweet volume lead trading volume? Correlation
-- of tweets per minute with volume per minute `lag` minutes later, for every
-- lag in -max_lag..max_lag (positive: tweets first), best first.
--   psql -f sql/examples/lead_lag.sql [-v exchange=... -v market=... -v max_lag=30]
\ir _defaults.psql
\if :{?max_lag}
\else
  \set max_lag 30
\endif
SELECT lag, n, round(corr::numeric, 4) AS corr
  FROM pulse.lead_lag(:'exchange', :'market', :'from', :'until', :max_lag)
 ORDER BY corr DESC NULLS LAST, abs(lag), lag;

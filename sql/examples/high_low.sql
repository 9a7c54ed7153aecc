-- High and low price per bucket (default one hour) for a market, with the
-- open, close, traded volume and the bucket's range in percent of its low.
--   psql -f sql/examples/high_low.sql [-v exchange=binance -v market=BTCUSDT -v bucket='15 minutes']
\ir _defaults.psql
\if :{?bucket}
\else
  \set bucket '1 hour'
\endif
SELECT date_bin(:'bucket', bucket_start, timestamptz '1970-01-01 00:00:00+00') AS bucket,
       (array_agg(open ORDER BY bucket_start))[1]       AS open,
       max(high)                                        AS high,
       min(low)                                         AS low,
       (array_agg(close ORDER BY bucket_start DESC))[1] AS close,
       sum(volume)                                      AS volume,
       round((max(high) - min(low)) * 100 / nullif(min(low), 0), 3) AS range_pct
  FROM pulse.candles
 WHERE exchange = :'exchange' AND market = :'market' AND period = interval '1 minute'
   AND bucket_start >= :'from' AND bucket_start < :'until'
 GROUP BY 1
 ORDER BY 1;

-- Tweets per minute against the market's traded volume per minute (base
-- asset, e.g. BTC), then their plain correlation over the range and the
-- correlation when volume is taken 1..5 minutes later.
--   psql -f sql/examples/tweets_vs_volume.sql [-v exchange=binance -v market=BTCUSDT]
\ir _defaults.psql
SELECT minute, tweets, volume, quote_volume, close
  FROM pulse.minute_activity
 WHERE exchange = :'exchange' AND market = :'market'
   AND minute >= :'from' AND minute < :'until'
 ORDER BY minute;

SELECT count(*)                                              AS minutes,
       sum(tweets)                                           AS tweets,
       sum(volume)                                           AS volume,
       round(corr(tweets, volume)::numeric, 3)               AS corr_same_minute,
       round(corr(tweets, vol_1)::numeric, 3)                AS corr_volume_1_min_later,
       round(corr(tweets, vol_3)::numeric, 3)                AS corr_volume_3_min_later,
       round(corr(tweets, vol_5)::numeric, 3)                AS corr_volume_5_min_later
  FROM (SELECT minute, tweets, volume,
               lead(volume, 1) OVER w AS vol_1, lead(volume, 3) OVER w AS vol_3, lead(volume, 5) OVER w AS vol_5
          FROM pulse.minute_activity
         WHERE exchange = :'exchange' AND market = :'market'
           AND minute >= :'from' AND minute < :'until'
        WINDOW w AS (ORDER BY minute)) m;

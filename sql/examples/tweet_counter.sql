-- The tweet counter of the streaming labs, as a rollup: tweets and distinct
-- authors per keyword and per minute, kept up to date inside every batch's
-- transaction, with early panes every 10 seconds of processing time, an
-- on-time pane when the tweet sources' watermark passes a minute, and late
-- panes after that. Made on first run (needs the owner of pulse.tweets);
--   psql -f sql/examples/tweet_counter.sql [-v from=... -v until=...]
-- A scheduler (pg_cron: SELECT pulse.emit_panes() every 10 seconds) emits
-- the processing-time panes while no batch arrives; listen with
--   LISTEN pulse_panes;
\ir _defaults.psql
SELECT to_regclass('public.tweet_counter') IS NULL AS missing \gset
\if :missing
SELECT pulse.create_rollup('public.tweet_counter',
  $$SELECT date_bin('1 minute', created_at, '1970-01-01 00:00:00+00') AS minute,
           CASE WHEN text ~* 'bitcoin' OR 'bitcoin' = ANY (hashtags) THEN 'bitcoin'
                WHEN text ~* '\mbtc\M' OR 'btc' = ANY (hashtags) THEN 'btc'
                ELSE 'other' END AS keyword,
           count(*) AS tweets, count(DISTINCT author_id) AS authors
      FROM pulse.tweets GROUP BY 1, 2$$,
  lateness => '10 minutes', emit => 'watermark, every 10 seconds') AS created;
\endif
SELECT pulse.emit_panes() AS panes_emitted_now;
SELECT minute, keyword, tweets, authors, pane, timing, final
  FROM public.tweet_counter
 WHERE minute >= :'from' AND minute < :'until'
 ORDER BY minute, keyword;
-- the panes emitted for the range, by keyword and timing
SELECT p.group_key->>'keyword' AS keyword, p.timing, count(*) AS panes
  FROM pulse.panes p
 WHERE p.rollup = 'public.tweet_counter'::regclass AND p.window_start >= :'from' AND p.window_start < :'until'
 GROUP BY 1, 2
 ORDER BY 1, 2;

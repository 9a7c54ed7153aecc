-- The built-in rollup behind pulse.minute_activity (80_views.sql): tweets
-- per minute, kept by every batch of pulse.tweets, so a dashboard's time
-- filter reads only the minutes it asks for. Results only (no panes). Made
-- once, by the install or the upgrade that first runs this file; its rows are
-- dumped (a config table), its registry row is not (CREATE EXTENSION makes it
-- again). (Per-hashtag counts cannot be a rollup, whose rows are the base
-- table's rows: a tweet with three tags counts for three; 58_hashtags.sql
-- keeps those.)
DO $$
BEGIN
  IF to_regclass('pulse_internal.tweets_by_minute') IS NULL THEN
    PERFORM pulse.create_rollup('pulse_internal.tweets_by_minute',
      $q$SELECT date_bin('1 minute', created_at, '1970-01-01 00:00:00+00') AS minute, count(*) AS tweets
           FROM pulse.tweets GROUP BY 1$q$, lateness => '1 hour', emit => 'none');
  END IF;
  UPDATE pulse_internal.rollups SET builtin = true WHERE name = 'pulse_internal.tweets_by_minute'::regclass;
END $$;
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.tweets_by_minute', '');

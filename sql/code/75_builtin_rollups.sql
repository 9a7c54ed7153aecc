-- The built-in rollups behind the BI views (80_views.sql) and
-- pulse.trending_hashtags: tweets per minute, and tweets per hour and per 10
-- minutes and hashtag set, kept by every batch of pulse.tweets,
-- so a dashboard's time filter reads only the windows it asks for. Results
-- only (no panes). Made once, by the install or the upgrade that first runs
-- this file; their rows are dumped (config tables), their registry rows are
-- not (CREATE EXTENSION makes them again).
DO $$
BEGIN
  IF to_regclass('pulse_internal.tweets_by_minute') IS NULL THEN
    PERFORM pulse.create_rollup('pulse_internal.tweets_by_minute',
      $q$SELECT date_bin('1 minute', created_at, '1970-01-01 00:00:00+00') AS minute, count(*) AS tweets
           FROM pulse.tweets GROUP BY 1$q$, lateness => '1 hour', emit => 'none');
  END IF;
  IF to_regclass('pulse_internal.hashtag_sets_hourly') IS NULL THEN
    PERFORM pulse.create_rollup('pulse_internal.hashtag_sets_hourly',
      $q$SELECT date_bin('1 hour', created_at, '1970-01-01 00:00:00+00') AS hour, hashtags,
                count(*) AS tweets, count(*) FILTER (WHERE is_retweet) AS retweets
           FROM pulse.tweets WHERE cardinality(hashtags) > 0 GROUP BY 1, 2$q$, lateness => '1 hour', emit => 'none');
  END IF;
  IF to_regclass('pulse_internal.hashtag_sets_10min') IS NULL THEN
    PERFORM pulse.create_rollup('pulse_internal.hashtag_sets_10min',
      $q$SELECT date_bin('10 minutes', created_at, '1970-01-01 00:00:00+00') AS w, hashtags, count(*) AS tweets
           FROM pulse.tweets WHERE cardinality(hashtags) > 0 GROUP BY 1, 2$q$, lateness => '1 hour', emit => 'none');
  END IF;
  UPDATE pulse_internal.rollups SET builtin = true
   WHERE name IN ('pulse_internal.tweets_by_minute'::regclass, 'pulse_internal.hashtag_sets_hourly'::regclass,
                  'pulse_internal.hashtag_sets_10min'::regclass);
END $$;
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.tweets_by_minute', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.hashtag_sets_hourly', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.hashtag_sets_10min', '');

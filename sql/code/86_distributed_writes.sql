-- What pulse.tweets's statement triggers keep on one node (hashtag state:
-- pulse.hashtags, the hourly counts and the per-minute tag sets of
-- 58_hashtags.sql; the built-in per-minute rollup of 75_builtin_rollups.sql)
-- kept by pulse.merge when pulse.tweets is distributed. Those triggers read
-- the statement's transition tables and write coordinator tables; on a
-- distributed table the rows change on the workers' shards, where neither is
-- in reach, so pulse.distribute drops them and merge_run_distributed (85)
-- hands this function what its one INSERT ... ON CONFLICT changes: the rows
-- it writes (pg_temp.pulse_state_new) and the stored versions they replace
-- (pg_temp.pulse_state_old), each (id, created_at, author_id, hashtags,
-- is_retweet), the columns the state is made of. The computation is the
-- trigger's UPDATE case, which is also right for an insert (no old rows).
-- SECURITY DEFINER like the triggers (the state tables are the owner's); run
-- only for the owner's own sessions (apply_batch, itself SECURITY DEFINER):
-- EXECUTE is granted to no one else (90_privileges.sql revokes it).
CREATE OR REPLACE FUNCTION pulse_internal.tweets_state_apply() RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
  epoch constant timestamptz := '1970-01-01 00:00:00+00';
  tags text[];
  ids bigint[];
  ats timestamptz[];
  rts boolean[];
  cs int[];
  minutes timestamptz[];
  deltas bytea[];
  removed boolean := EXISTS (SELECT FROM pg_temp.pulse_state_old);
  cfg record;
  ch jsonb;
  arrivals timestamptz[];
BEGIN
  -- hashtags_changed's UPDATE case on the two tables
  WITH nw AS (SELECT DISTINCT x.tag, n.id, n.created_at, n.is_retweet FROM pg_temp.pulse_state_new n, unnest(n.hashtags) AS x(tag)
               WHERE x.tag IS NOT NULL),
       od AS (SELECT DISTINCT x.tag, o.id, o.created_at, o.is_retweet FROM pg_temp.pulse_state_old o, unnest(o.hashtags) AS x(tag)
               WHERE x.tag IS NOT NULL)
  SELECT array_agg(tag), array_agg(id), array_agg(created_at), array_agg(is_retweet), array_agg(c) INTO tags, ids, ats, rts, cs
    FROM ((SELECT *, 1 AS c FROM (SELECT * FROM nw EXCEPT SELECT * FROM od) a)
          UNION ALL (SELECT *, -1 FROM (SELECT * FROM od EXCEPT SELECT * FROM nw) r)) s;
  SELECT array_agg(d.minute ORDER BY d.minute), array_agg(d.v ORDER BY d.minute) INTO minutes, deltas
    FROM (SELECT date_bin('1 minute', c.created_at, epoch) AS minute,
                 pulse_internal.tag_minute_delta(c.created_at, c.author_id, c.hashtags, c.s) AS v
            FROM (SELECT n.created_at, n.author_id, n.hashtags, 1 AS s FROM pg_temp.pulse_state_new n WHERE n.hashtags <> '{}'
                  UNION ALL
                  SELECT o.created_at, o.author_id, o.hashtags, -1 FROM pg_temp.pulse_state_old o WHERE o.hashtags <> '{}') c
           GROUP BY 1) d
   WHERE d.v IS NOT NULL;
  IF tags IS NOT NULL THEN
    PERFORM pulse_internal.hashtags_apply(tags, ids, ats, rts, cs);
  END IF;
  IF minutes IS NOT NULL THEN
    PERFORM pulse_internal.tag_vectors_apply(minutes, deltas, removed);
  END IF;
  -- The rollups over pulse.tweets (only the built-in ones: pulse.distribute
  -- refuses users' rollups), as their statement trigger (65_rollup_admin.sql)
  -- would run: incremental ones get the summed changes, others the keys.
  FOR cfg IN SELECT r.name, r.shape, pulse_internal.rollup_count_column(r.shape) IS NOT NULL AS incremental
               FROM pulse_internal.rollups r WHERE r.base = 'pulse.tweets'::regclass ORDER BY r.name::text LOOP
    EXECUTE format('SELECT coalesce(jsonb_agg(k), ''[]'') FROM (%s) s',
                   CASE WHEN cfg.incremental THEN pulse_internal.rollup_delta_rows_sql(cfg.shape, 'pg_temp.pulse_state_new', 1)
                        ELSE pulse_internal.rollup_keys_sql(cfg.shape, 'pg_temp.pulse_state_new') END) INTO ch;
    EXECUTE format('SELECT array_agg(%I) FROM pg_temp.pulse_state_new WHERE %s',
                   cfg.shape->>'time_column', coalesce('(' || (cfg.shape->>'where') || ')', 'true')) INTO arrivals;
    IF removed THEN
      EXECUTE format('SELECT $1 || coalesce(jsonb_agg(k), ''[]'') FROM (%s) s',
                     CASE WHEN cfg.incremental THEN pulse_internal.rollup_delta_rows_sql(cfg.shape, 'pg_temp.pulse_state_old', -1)
                          ELSE pulse_internal.rollup_keys_sql(cfg.shape, 'pg_temp.pulse_state_old') END) INTO ch USING ch;
    END IF;
    CONTINUE WHEN ch = '[]' AND arrivals IS NULL;
    IF cfg.incremental THEN
      ch := jsonb_build_object('delta', ch);
    END IF;
    PERFORM pulse_internal.rollup_apply(cfg.name, ch, arrivals);
  END LOOP;
END
$fn$;

-- The columns of a stored row tweets_state_apply needs (85's merge fetches
-- them with the stored keys, so the old versions cost no second read).
CREATE OR REPLACE FUNCTION pulse_internal.tweets_state_columns() RETURNS name[]
  LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT '{id,created_at,author_id,hashtags,is_retweet}'::name[] $$;

-- pulse.hashtags, kept by every change of pulse.tweets in its statement's
-- transaction: what the new rows add and the old rows take away, per tag
-- (a tag listed twice in one tweet counts once). A late older tweet moves
-- first_seen back; a re-delivered tweet changes nothing (the merge leaves an
-- unchanged row alone, and a newer version of a tweet takes its old
-- version's place); a tweet that leaves (deleted, or its tags edited) makes
-- that tag's first and last tweet be looked up again when they were its.

-- One change: rows (tag, id, at (created_at), rt (is_retweet), c (+1 a
-- tweet that now carries the tag, -1 one that no longer does)) as parallel
-- arrays (jsonb cost more to build and read than the rest of the update).
CREATE OR REPLACE FUNCTION pulse_internal.hashtags_apply(tags text[], ids bigint[], ats timestamptz[], rts boolean[],
                                                         cs int[]) RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  left_tag text;
  left_last timestamptz;
  recheck boolean;
  first_at timestamptz;
  first_id bigint;
BEGIN
  INSERT INTO pulse.hashtags AS h (hashtag, first_seen, first_tweet_id, last_seen, tweets)
  SELECT r.tag, coalesce(min(r.at) FILTER (WHERE r.c > 0), 'infinity'),
         coalesce((array_agg(r.id ORDER BY r.at, r.id) FILTER (WHERE r.c > 0))[1], 9223372036854775807),
         coalesce(max(r.at) FILTER (WHERE r.c > 0), '-infinity'), sum(r.c)
    FROM unnest(tags, ids, ats, rts, cs) AS r(tag, id, at, rt, c)
   GROUP BY r.tag
   ORDER BY r.tag
  ON CONFLICT (hashtag) DO UPDATE
    SET tweets = h.tweets + excluded.tweets,
        first_seen = CASE WHEN (excluded.first_seen, excluded.first_tweet_id) < (h.first_seen, h.first_tweet_id)
                          THEN excluded.first_seen ELSE h.first_seen END,
        first_tweet_id = CASE WHEN (excluded.first_seen, excluded.first_tweet_id) < (h.first_seen, h.first_tweet_id)
                              THEN excluded.first_tweet_id ELSE h.first_tweet_id END,
        last_seen = greatest(h.last_seen, excluded.last_seen)
    WHERE excluded.tweets <> 0 OR (excluded.first_seen, excluded.first_tweet_id) < (h.first_seen, h.first_tweet_id)
       OR excluded.last_seen > h.last_seen;
  -- per tag and hour (hashtags_hourly)
  INSERT INTO pulse_internal.tag_hours AS t (tag, hour, tweets, retweets)
  SELECT r.tag, date_bin('1 hour', r.at, timestamptz '1970-01-01 00:00:00+00'), sum(r.c), coalesce(sum(r.c) FILTER (WHERE r.rt), 0)
    FROM unnest(tags, ats, rts, cs) AS r(tag, at, rt, c)
   GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (tag, hour) DO UPDATE SET tweets = t.tweets + excluded.tweets, retweets = t.retweets + excluded.retweets
    WHERE excluded.tweets <> 0 OR excluded.retweets <> 0;
  IF NOT (-1 = ANY (cs)) THEN
    RETURN;
  END IF;
  DELETE FROM pulse_internal.tag_hours t USING (SELECT DISTINCT r.tag, date_bin('1 hour', r.at, timestamptz '1970-01-01 00:00:00+00') AS hour
                                                  FROM unnest(tags, ats, cs) AS r(tag, at, c) WHERE r.c < 0) x
   WHERE t.tag = x.tag AND t.hour = x.hour AND t.tweets <= 0;
  -- Tags a tweet left: gone when no tweet uses them, else their first and
  -- last tweet again when the one that left was it. pulse.tweets is read by
  -- queries of their own, never joined with the state (on Citus it is a
  -- distributed table, which a coordinator table cannot join; `SELECT 1`:
  -- Citus 13 cannot run an EXISTS over a select list with no column).
  FOR left_tag, left_last, recheck IN
      SELECT l.tag, h.last_seen, NOT (h.tweets <= 0 OR h.first_tweet_id = ANY (l.lost))
        FROM (SELECT r.tag, array_agg(r.id) AS lost FROM unnest(tags, ids, cs) AS r(tag, id, c)
               WHERE r.c < 0 GROUP BY r.tag) l JOIN pulse.hashtags h ON h.hashtag = l.tag
       ORDER BY 1 LOOP
    CONTINUE WHEN recheck AND EXISTS (SELECT 1 FROM pulse.tweets t WHERE t.created_at = left_last AND left_tag = ANY (t.hashtags));
    DELETE FROM pulse.hashtags h WHERE h.hashtag = left_tag AND h.tweets <= 0;
    IF FOUND THEN
      CONTINUE;
    END IF;
    SELECT t.created_at, t.id INTO first_at, first_id
      FROM pulse.tweets t WHERE left_tag = ANY (t.hashtags) ORDER BY t.created_at, t.id LIMIT 1;
    CONTINUE WHEN first_id IS NULL;
    SELECT max(t.created_at) INTO left_last FROM pulse.tweets t WHERE left_tag = ANY (t.hashtags);
    UPDATE pulse.hashtags h SET first_seen = first_at, first_tweet_id = first_id, last_seen = left_last
     WHERE h.hashtag = left_tag;
  END LOOP;
END
$fn$;

-- The statement trigger: which (tag, tweet) pairs the statement added and
-- removed, from its transition tables; and the same per minute as deltas of
-- the packed tweet sets (57_tag_vectors.sql).
CREATE OR REPLACE FUNCTION pulse_internal.hashtags_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM pulse.hashtags;
    DELETE FROM pulse_internal.tag_hours;
    DELETE FROM pulse_internal.tag_minutes;
    DELETE FROM pulse_internal.tag_period_counts;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(tag), array_agg(id), array_agg(created_at), array_agg(is_retweet), array_agg(1) INTO tags, ids, ats, rts, cs
      FROM (SELECT DISTINCT x.tag, n.id, n.created_at, n.is_retweet FROM pulse_new n, unnest(n.hashtags) AS x(tag)
             WHERE x.tag IS NOT NULL) s;
    SELECT array_agg(d.minute ORDER BY d.minute), array_agg(d.v ORDER BY d.minute) INTO minutes, deltas
      FROM (SELECT date_bin('1 minute', n.created_at, epoch) AS minute,
                   pulse_internal.tag_minute_delta(n.created_at, n.author_id, n.hashtags, 1) AS v
              FROM pulse_new n WHERE n.hashtags <> '{}' GROUP BY 1) d
     WHERE d.v IS NOT NULL;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(tag), array_agg(id), array_agg(created_at), array_agg(is_retweet), array_agg(-1) INTO tags, ids, ats, rts, cs
      FROM (SELECT DISTINCT x.tag, o.id, o.created_at, o.is_retweet FROM pulse_old o, unnest(o.hashtags) AS x(tag)
             WHERE x.tag IS NOT NULL) s;
    SELECT array_agg(d.minute ORDER BY d.minute), array_agg(d.v ORDER BY d.minute) INTO minutes, deltas
      FROM (SELECT date_bin('1 minute', o.created_at, epoch) AS minute,
                   pulse_internal.tag_minute_delta(o.created_at, o.author_id, o.hashtags, -1) AS v
              FROM pulse_old o WHERE o.hashtags <> '{}' GROUP BY 1) d
     WHERE d.v IS NOT NULL;
  ELSE
    WITH nw AS (SELECT DISTINCT x.tag, n.id, n.created_at, n.is_retweet FROM pulse_new n, unnest(n.hashtags) AS x(tag) WHERE x.tag IS NOT NULL),
         od AS (SELECT DISTINCT x.tag, o.id, o.created_at, o.is_retweet FROM pulse_old o, unnest(o.hashtags) AS x(tag) WHERE x.tag IS NOT NULL)
    SELECT array_agg(tag), array_agg(id), array_agg(created_at), array_agg(is_retweet), array_agg(c) INTO tags, ids, ats, rts, cs
      FROM ((SELECT *, 1 AS c FROM (SELECT * FROM nw EXCEPT SELECT * FROM od) a)
            UNION ALL (SELECT *, -1 FROM (SELECT * FROM od EXCEPT SELECT * FROM nw) r)) s;
    -- a row whose tags, time and author stay cancels out
    SELECT array_agg(d.minute ORDER BY d.minute), array_agg(d.v ORDER BY d.minute) INTO minutes, deltas
      FROM (SELECT date_bin('1 minute', c.created_at, epoch) AS minute,
                   pulse_internal.tag_minute_delta(c.created_at, c.author_id, c.hashtags, c.s) AS v
              FROM (SELECT n.created_at, n.author_id, n.hashtags, 1 AS s FROM pulse_new n WHERE n.hashtags <> '{}'
                    UNION ALL
                    SELECT o.created_at, o.author_id, o.hashtags, -1 FROM pulse_old o WHERE o.hashtags <> '{}') c
             GROUP BY 1) d
     WHERE d.v IS NOT NULL;
  END IF;
  IF tags IS NOT NULL THEN
    PERFORM pulse_internal.hashtags_apply(tags, ids, ats, rts, cs);
  END IF;
  IF minutes IS NOT NULL THEN
    PERFORM pulse_internal.tag_vectors_apply(minutes, deltas, TG_OP <> 'INSERT');
  END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER hashtags_ins AFTER INSERT ON pulse.tweets REFERENCING NEW TABLE AS pulse_new
  FOR EACH STATEMENT EXECUTE FUNCTION pulse_internal.hashtags_changed();
CREATE OR REPLACE TRIGGER hashtags_upd AFTER UPDATE ON pulse.tweets REFERENCING OLD TABLE AS pulse_old NEW TABLE AS pulse_new
  FOR EACH STATEMENT EXECUTE FUNCTION pulse_internal.hashtags_changed();
CREATE OR REPLACE TRIGGER hashtags_del AFTER DELETE ON pulse.tweets REFERENCING OLD TABLE AS pulse_old
  FOR EACH STATEMENT EXECUTE FUNCTION pulse_internal.hashtags_changed();
CREATE OR REPLACE TRIGGER hashtags_trunc AFTER TRUNCATE ON pulse.tweets
  FOR EACH STATEMENT EXECUTE FUNCTION pulse_internal.hashtags_changed();

COMMENT ON TABLE pulse.hashtags IS 'Every hashtag seen: its first and last tweet and how many tweets use it, kept by every batch';
COMMENT ON COLUMN pulse.hashtags.hashtag IS 'The hashtag, lower case, without #';
COMMENT ON COLUMN pulse.hashtags.first_seen IS 'created_at of the earliest tweet using it (a late older tweet moves it back)';
COMMENT ON COLUMN pulse.hashtags.first_tweet_id IS 'That tweet (the smallest id among tweets at first_seen)';
COMMENT ON COLUMN pulse.hashtags.last_seen IS 'created_at of the latest tweet using it';
COMMENT ON COLUMN pulse.hashtags.tweets IS 'Tweets using it (a tag listed twice in one tweet counts once)';
SELECT pg_catalog.pg_extension_config_dump('pulse.hashtags', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.tag_hours', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.tag_minutes', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.tag_period_counts', '');

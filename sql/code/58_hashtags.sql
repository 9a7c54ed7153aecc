-- pulse.hashtags, kept by every change of pulse.tweets in its statement's
-- transaction: what the new rows add and the old rows take away, per tag
-- (a tag listed twice in one tweet counts once). A late older tweet moves
-- first_seen back; a re-delivered tweet changes nothing (the merge leaves an
-- unchanged row alone, and a newer version of a tweet takes its old
-- version's place); a tweet that leaves (deleted, or its tags edited) makes
-- that tag's first and last tweet be looked up again when they were its.

CREATE OR REPLACE FUNCTION pulse_internal.hashtags_apply(ch jsonb) RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  left_tag text;
BEGIN
  -- ch: one row per tag: {"tag", "d" (tweets added minus removed),
  -- "first_at", "first_id", "last_at" (of the added rows), "lost" (ids that
  -- left the tag)}
  INSERT INTO pulse.hashtags AS h (hashtag, first_seen, first_tweet_id, last_seen, tweets)
  SELECT c.tag, coalesce(c.first_at, 'infinity'), coalesce(c.first_id, 9223372036854775807), coalesce(c.last_at, '-infinity'), c.d
    FROM jsonb_to_recordset(ch) AS c(tag text, d bigint, first_at timestamptz, first_id bigint, last_at timestamptz, lost bigint[])
   WHERE c.first_at IS NOT NULL OR c.d <> 0
   ORDER BY c.tag
  ON CONFLICT (hashtag) DO UPDATE
    SET tweets = h.tweets + excluded.tweets,
        first_seen = CASE WHEN (excluded.first_seen, excluded.first_tweet_id) < (h.first_seen, h.first_tweet_id)
                          THEN excluded.first_seen ELSE h.first_seen END,
        first_tweet_id = CASE WHEN (excluded.first_seen, excluded.first_tweet_id) < (h.first_seen, h.first_tweet_id)
                              THEN excluded.first_tweet_id ELSE h.first_tweet_id END,
        last_seen = greatest(h.last_seen, excluded.last_seen)
    WHERE excluded.tweets <> 0 OR (excluded.first_seen, excluded.first_tweet_id) < (h.first_seen, h.first_tweet_id)
       OR excluded.last_seen > h.last_seen;
  -- Tags a tweet left: gone when no tweet uses them, else their first and
  -- last tweet again when the one that left was it.
  FOR left_tag IN SELECT c.tag FROM jsonb_to_recordset(ch) AS c(tag text, lost bigint[]) JOIN pulse.hashtags h ON h.hashtag = c.tag
                   WHERE c.lost IS NOT NULL AND (h.tweets <= 0 OR h.first_tweet_id = ANY (c.lost)
                         OR NOT EXISTS (SELECT FROM pulse.tweets t WHERE t.created_at = h.last_seen AND c.tag = ANY (t.hashtags)))
                   ORDER BY 1 LOOP
    DELETE FROM pulse.hashtags h WHERE h.hashtag = left_tag AND h.tweets <= 0;
    IF FOUND THEN
      CONTINUE;
    END IF;
    UPDATE pulse.hashtags h SET first_seen = f.created_at, first_tweet_id = f.id, last_seen = l.created_at
      FROM (SELECT t.created_at, t.id FROM pulse.tweets t WHERE left_tag = ANY (t.hashtags) ORDER BY t.created_at, t.id LIMIT 1) f,
           (SELECT max(t.created_at) AS created_at FROM pulse.tweets t WHERE left_tag = ANY (t.hashtags)) l
     WHERE h.hashtag = left_tag;
  END LOOP;
END
$fn$;

-- The statement trigger: the transition tables summed per tag.
CREATE OR REPLACE FUNCTION pulse_internal.hashtags_changed() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  ch jsonb;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM pulse.hashtags;
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    WITH chg AS (
      SELECT DISTINCT x.tag, n.id, n.created_at, 1 AS c FROM pulse_new n, unnest(n.hashtags) AS x(tag) WHERE x.tag IS NOT NULL)
    SELECT jsonb_agg(jsonb_build_object('tag', tag, 'd', d, 'first_at', first_at, 'first_id', first_id, 'last_at', last_at)) INTO ch
      FROM (SELECT tag, count(*) AS d, min(created_at) AS first_at, (array_agg(id ORDER BY created_at, id))[1] AS first_id,
                   max(created_at) AS last_at FROM chg GROUP BY tag) s;
  ELSIF TG_OP = 'DELETE' THEN
    WITH chg AS (
      SELECT DISTINCT x.tag, o.id FROM pulse_old o, unnest(o.hashtags) AS x(tag) WHERE x.tag IS NOT NULL)
    SELECT jsonb_agg(jsonb_build_object('tag', tag, 'd', -d, 'lost', lost)) INTO ch
      FROM (SELECT tag, count(*) AS d, array_agg(id) AS lost FROM chg GROUP BY tag) s;
  ELSE
    WITH nw AS (SELECT DISTINCT x.tag, n.id, n.created_at FROM pulse_new n, unnest(n.hashtags) AS x(tag) WHERE x.tag IS NOT NULL),
         od AS (SELECT DISTINCT x.tag, o.id, o.created_at FROM pulse_old o, unnest(o.hashtags) AS x(tag) WHERE x.tag IS NOT NULL),
         added AS (SELECT * FROM nw EXCEPT SELECT * FROM od),
         removed AS (SELECT * FROM od EXCEPT SELECT * FROM nw),
         chg AS (SELECT tag, id, created_at, 1 AS c FROM added UNION ALL SELECT tag, id, created_at, -1 FROM removed)
    SELECT jsonb_agg(jsonb_build_object('tag', tag, 'd', d, 'first_at', first_at, 'first_id', first_id, 'last_at', last_at,
                                        'lost', lost)) INTO ch
      FROM (SELECT tag, sum(c) AS d, min(created_at) FILTER (WHERE c > 0) AS first_at,
                   (array_agg(id ORDER BY created_at, id) FILTER (WHERE c > 0))[1] AS first_id,
                   max(created_at) FILTER (WHERE c > 0) AS last_at, array_agg(id) FILTER (WHERE c < 0) AS lost
              FROM chg GROUP BY tag) s;
  END IF;
  IF ch IS NOT NULL THEN
    PERFORM pulse_internal.hashtags_apply(ch);
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

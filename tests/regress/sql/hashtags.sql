-- pulse.hashtags: per tag the first and last tweet and the count, kept by
-- every change of pulse.tweets, equal to a from-scratch aggregation after
-- each step: out-of-order and late tweets, a tag twice in one tweet,
-- re-delivery, newer versions that change the tags, deletes, TRUNCATE. The
-- per-hour counts and the packed per-minute and per-period sets (read back
-- entry by entry) equal the tweets at each step too.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SELECT pulse.ensure_partitions('pulse.tweets', '2019-07-14', '2019-07-17') >= 0 AS ready;
CREATE FUNCTION pg_temp.diff() RETURNS TABLE(missing bigint, extra bigint) LANGUAGE sql AS $$
  WITH pairs AS (SELECT DISTINCT h.tag, t.id, t.created_at, t.is_retweet, t.author_id
                   FROM pulse.tweets t, unnest(t.hashtags) AS h(tag) WHERE h.tag IS NOT NULL),
  want AS (
    SELECT 'h' AS k, tag, date_bin('1 hour', created_at, '1970-01-01') AS t, count(*) AS n, count(*) FILTER (WHERE is_retweet) AS r FROM pairs GROUP BY 1, 2, 3
    UNION ALL SELECT 'p1', tag, date_bin('1 hour', created_at, '1970-01-01'), count(*), 0 FROM pairs GROUP BY 1, 2, 3
    UNION ALL SELECT 'p6', tag, date_bin('6 hours', created_at, '1970-01-01'), count(*), 0 FROM pairs GROUP BY 1, 2, 3
    UNION ALL SELECT 'm', tag, created_at, count(*), coalesce(author_id, -1) FROM pairs GROUP BY 1, 2, 3, 5
    UNION ALL SELECT 's', x.tag, x.first_seen, x.tweets, x.first_tweet_id
      FROM (SELECT g.tag, (array_agg(g.created_at ORDER BY g.created_at, g.id))[1] AS first_seen,
                   (array_agg(g.id ORDER BY g.created_at, g.id))[1] AS first_tweet_id, count(*) AS tweets FROM pairs g GROUP BY g.tag) x
    UNION ALL SELECT 'l', tag, max(created_at), 0, 0 FROM pairs GROUP BY 1, 2),
  got AS (
    SELECT 'h' AS k, tag, hour AS t, tweets AS n, retweets AS r FROM pulse_internal.tag_hours
    UNION ALL SELECT 'p' || p.hours, c.tag, p.start, c.tweets, 0
      FROM pulse_internal.tag_period_counts p, pulse_internal.tag_count_rows(p.counts) c
    -- an entry counts only under the minute that holds it
    UNION ALL SELECT 'm', e.tag, CASE WHEN date_bin('1 minute', e.created_at, '1970-01-01') = m.minute THEN e.created_at END,
                     e.tweets, coalesce(e.author_id, -1)
      FROM pulse_internal.tag_minutes m, pulse_internal.tag_minute_rows(m.tweets) e
    UNION ALL SELECT 's', hashtag, first_seen, tweets, first_tweet_id FROM pulse.hashtags
    UNION ALL SELECT 'l', hashtag, last_seen, 0, 0 FROM pulse.hashtags)
  SELECT (SELECT count(*) FROM (TABLE want EXCEPT TABLE got) a), (SELECT count(*) FROM (TABLE got EXCEPT TABLE want) b)
$$;
CREATE FUNCTION pg_temp.diff_state_only() RETURNS TABLE(missing bigint, extra bigint) LANGUAGE sql AS $$
  WITH want AS (
    SELECT g.tag, (array_agg(g.created_at ORDER BY g.created_at, g.id))[1] AS first_seen,
           (array_agg(g.id ORDER BY g.created_at, g.id))[1] AS first_tweet_id, max(g.created_at) AS last_seen, count(*) AS tweets
      FROM (SELECT DISTINCT h.tag, t.id, t.created_at FROM pulse.tweets t, unnest(t.hashtags) AS h(tag) WHERE h.tag IS NOT NULL) g
     GROUP BY g.tag),
  got AS (SELECT hashtag, first_seen, first_tweet_id, last_seen, tweets FROM pulse.hashtags)
  SELECT (SELECT count(*) FROM (TABLE want EXCEPT TABLE got) a), (SELECT count(*) FROM (TABLE got EXCEPT TABLE want) b)
$$;
DELETE FROM pulse.tweets;
SELECT count(*) AS empty FROM pulse.hashtags;
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags) VALUES
  (200, '2019-07-15 12:00+00', 1, 'b', '{bitcoin,btc}'),
  (100, '2019-07-15 10:00+00', 2, 'a', '{btc,btc}'),        -- a tag twice counts once
  (300, '2019-07-15 13:00+00', 3, 'c', '{eth}');
SELECT * FROM pulse.hashtags ORDER BY 1;
SELECT * FROM pg_temp.diff();
-- a late, older tweet moves first_seen back; a newer one moves last_seen on
INSERT INTO pulse.tweets (id, created_at, author_id, text, hashtags) VALUES
  (50, '2019-07-14 09:00+00', 4, 'late', '{btc}'), (400, '2019-07-16 09:00+00', 5, 'new', '{bitcoin}');
SELECT hashtag, first_seen, first_tweet_id, last_seen, tweets FROM pulse.hashtags WHERE hashtag IN ('btc', 'bitcoin') ORDER BY 1;
-- re-delivery through the ingestion API changes nothing
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 day', now() + interval '1 day') >= 0 AS landing_ready;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
SELECT 'hashtags-test', 'twitter_v2', b, 1,
       '{"data": {"id": "1150721669329846272", "created_at": "2019-07-15T11:00:00.000Z", "author_id": "9", "text": "x #BTC #Doge",
                  "entities": {"hashtags": [{"tag": "BTC"}, {"tag": "Doge"}]}}}'
  FROM generate_series(1, 2) b;
SELECT inserted, updated, unchanged FROM pulse.apply_batch('hashtags-test', 1, '{}');
SELECT hashtag, tweets FROM pulse.hashtags WHERE hashtag IN ('btc', 'doge') ORDER BY 1;
SELECT inserted, updated, unchanged FROM pulse.apply_batch('hashtags-test', 2, '{}');
SELECT hashtag, tweets FROM pulse.hashtags WHERE hashtag IN ('btc', 'doge') ORDER BY 1;
SELECT * FROM pg_temp.diff();
-- a newer version of a tweet with other tags moves its counts
UPDATE pulse.tweets SET hashtags = '{eth,sol}' WHERE id = 200;
SELECT hashtag, first_seen, first_tweet_id, last_seen, tweets FROM pulse.hashtags ORDER BY 1;
SELECT * FROM pg_temp.diff();
-- one that moves to another minute and loses its author
UPDATE pulse.tweets SET created_at = created_at + interval '61 seconds', author_id = NULL WHERE id = 100;
SELECT * FROM pg_temp.diff();
-- the first tweet of a tag leaves: the next one is first; the last leaves: the one before is last
DELETE FROM pulse.tweets WHERE id IN (50, 400);
SELECT hashtag, first_seen, first_tweet_id, last_seen, tweets FROM pulse.hashtags ORDER BY 1;
SELECT * FROM pg_temp.diff();
-- a tag no tweet uses any more is gone
DELETE FROM pulse.tweets WHERE id = 300;
SELECT hashtag FROM pulse.hashtags ORDER BY 1;
SELECT * FROM pg_temp.diff();
TRUNCATE pulse.tweets;
SELECT count(*) AS after_truncate FROM pulse.hashtags;
SELECT * FROM pg_temp.diff();
SELECT count(*) AS rejected FROM pulse.rejects WHERE stream = 'hashtags-test';
DELETE FROM pulse.landing WHERE stream = 'hashtags-test';
DELETE FROM pulse.checkpoints WHERE stream = 'hashtags-test';

-- Keys and versions of tweets (SPEC "Keys, versions and trust in the data"):
-- one row per id, keyed by the time a snowflake id encodes; the version is
-- the time of the observation (an archive's own retrieval time, else the
-- landing time), so an older observation loaded later never wins.
-- Runs after tweets_projection (its partitions and landing scaffolding).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- One hour for the whole file (now() moves from statement to statement: a
-- run that crossed the hour saw two).
CREATE TEMP TABLE regress_hour AS SELECT date_trunc('hour', now()) AS h;
-- Landing rows: (stream, format, batch, seq, received_at offset in minutes, payload).
CREATE FUNCTION land_k(stream text, format text, batch bigint, seq int, minutes int, payload text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
  VALUES (stream, format, batch, seq, (SELECT h FROM regress_hour) + minutes * interval '1 minute', payload::jsonb)
$$;
CREATE FUNCTION apply_k(stream text, batch bigint, format text DEFAULT 'twitter_v2')
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse_internal.apply_tweets(stream, batch, format) $$;
-- The id whose snowflake time is `t` (to the millisecond).
CREATE FUNCTION id_at(t timestamptz) RETURNS bigint
LANGUAGE sql AS $$ SELECT ((extract(epoch FROM t) * 1000)::bigint - 1288834974657) << 22 $$;

-- 1. Versions. A twarc archive (retrieved 2024-06-12, 100 likes) is loaded
-- first; an older archive of the same tweet (retrieved 2024-06-11, 5 likes) is
-- loaded later: it lands later, but it was observed earlier, so it changes
-- nothing.
SELECT land_k('k1', 'twitter_v2', 1, 1, 0, '{"data":[{"id":"1800000000000000000","created_at":"2024-06-10T03:00:17.000Z","text":"gm","public_metrics":{"retweet_count":10,"like_count":100,"reply_count":1,"quote_count":0}}],"__twarc":{"url":"https://api.twitter.com/2/tweets/search/all","version":"2.14.0","retrieved_at":"2024-06-12T08:00:00+00:00"}}');
SELECT * FROM apply_k('k1', 1);
SELECT land_k('k1', 'twitter_v2', 2, 1, 10, '{"data":[{"id":"1800000000000000000","created_at":"2024-06-10T03:00:17.000Z","text":"gm","public_metrics":{"retweet_count":1,"like_count":5,"reply_count":0,"quote_count":0}}],"__twarc":{"url":"https://api.twitter.com/2/tweets/search/all","version":"2.14.0","retrieved_at":"2024-06-11T08:00:00+00:00"}}');
SELECT * FROM apply_k('k1', 2);
SELECT id, like_count, retweet_count, observed_at FROM pulse.tweets WHERE id = 1800000000000000000;
-- a flattened twarc tweet (the metadata on the tweet itself) observed later
-- wins; it has no metrics, so the stored counts stay
SELECT land_k('k1', 'twitter_v2', 3, 1, 5, '{"id":"1800000000000000000","created_at":"2024-06-10T03:00:17.000Z","text":"gm (edited)","__twarc":{"retrieved_at":"2024-06-13T08:00:00+00:00"}}');
SELECT * FROM apply_k('k1', 3);
SELECT id, text, like_count, observed_at FROM pulse.tweets WHERE id = 1800000000000000000;
-- a live observation (no archive time: the landing time, this hour) is newer
SELECT land_k('k1', 'twitter_v2', 4, 1, 0, '{"data":{"id":"1800000000000000000","created_at":"2024-06-10T03:00:17.000Z","text":"gm (edited)","public_metrics":{"retweet_count":11,"like_count":101,"reply_count":1,"quote_count":0}}}');
SELECT * FROM apply_k('k1', 4);
SELECT id, like_count, observed_at = (SELECT h FROM regress_hour) AS observed_at_landing FROM pulse.tweets WHERE id = 1800000000000000000;
-- v1.1: timestamp_ms (when the streaming API delivered the status) is the
-- observation time; a status delivered earlier and loaded later changes nothing
SELECT land_k('k1v1', 'twitter_v1', 1, 1, 0, '{"created_at":"Mon Jun 10 03:00:18 +0000 2024","id_str":"1800000004194304000","text":"v1","user":{"id_str":"1"},"favorite_count":50,"timestamp_ms":"1718000000000"}');
SELECT land_k('k1v1', 'twitter_v1', 2, 1, 10, '{"created_at":"Mon Jun 10 03:00:18 +0000 2024","id_str":"1800000004194304000","text":"v1","user":{"id_str":"1"},"favorite_count":0,"timestamp_ms":"1717988418039"}');
SELECT * FROM apply_k('k1v1', 1, 'twitter_v1');
SELECT * FROM apply_k('k1v1', 2, 'twitter_v1');
SELECT id, like_count, observed_at FROM pulse.tweets WHERE id = 1800000004194304000;
-- in one batch, the newest observation wins whatever the order of the records
SELECT land_k('k1b', 'twitter_v2', 1, 1, 0, '{"data":{"id":"1800000004194304001","created_at":"2024-06-10T03:00:18.000Z","text":"x","public_metrics":{"like_count":9}},"__twarc":{"retrieved_at":"2024-06-12T00:00:00+00:00"}}');
SELECT land_k('k1b', 'twitter_v2', 1, 2, 0, '{"data":{"id":"1800000004194304001","created_at":"2024-06-10T03:00:18.000Z","text":"x","public_metrics":{"like_count":1}},"__twarc":{"retrieved_at":"2024-06-11T00:00:00+00:00"}}');
SELECT * FROM apply_k('k1b', 1);
SELECT id, like_count, observed_at FROM pulse.tweets WHERE id = 1800000004194304001;
-- observation times that cannot be: unreadable, a number, or after the record
-- landed (by more than a minute); each a reject, the good tweet loads
SELECT land_k('k1c', 'twitter_v2', 1, 1, 0, '{"data":{"id":"1800000004194304002","created_at":"2024-06-10T03:00:18.000Z","text":"a"},"__twarc":{"retrieved_at":"yesterday"}}');
SELECT land_k('k1c', 'twitter_v2', 1, 2, 0, '{"data":{"id":"1800000004194304003","created_at":"2024-06-10T03:00:18.000Z","text":"b"},"__twarc":{"retrieved_at":1718000000}}');
SELECT land_k('k1c', 'twitter_v2', 1, 3, 0, '{"data":{"id":"1800000004194304004","created_at":"2024-06-10T03:00:18.000Z","text":"c"},"__twarc":{"retrieved_at":"9999-12-31T00:00:00+00:00"}}');
SELECT land_k('k1c', 'twitter_v2', 1, 4, 0, '{"data":{"id":"1800000004194304005","created_at":"2024-06-10T03:00:18.000Z","text":"d"},"__twarc":{"retrieved_at":null}}');
SELECT land_k('k1c', 'twitter_v1', 1, 5, 0, '{"id_str":"1800000004194304006","created_at":"Mon Jun 10 03:00:18 +0000 2024","text":"e","timestamp_ms":"soon"}');
SELECT * FROM apply_k('k1c', 1);
SELECT * FROM apply_k('k1c', 1, 'twitter_v1');
SELECT regexp_replace(reason, 'landed \([^)]*\)', 'landed (N)') AS reason FROM pulse.rejects WHERE stream = 'k1c' ORDER BY id;
SELECT id FROM pulse.tweets WHERE id BETWEEN 1800000004194304002 AND 1800000004194304006 ORDER BY id;

-- 2. Keys. The same snowflake id with two different created_at claims, in
-- two batches and inside one batch: one row, at the time the id encodes; a
-- claim more than a second off is noted (the tweet is stored).
SELECT land_k('k2', 'twitter_v2', 1, 1, 0, '{"data":{"id":"1750000000000000000","created_at":"2024-01-24T03:38:08.000Z","text":"right time","public_metrics":{"like_count":1}}}');
SELECT * FROM apply_k('k2', 1);
SELECT land_k('k2', 'twitter_v2', 2, 1, 1, '{"data":{"id":"1750000000000000000","created_at":"2021-01-24T03:38:08.000Z","text":"claims 2021","public_metrics":{"like_count":2}}}');
SELECT * FROM apply_k('k2', 2);
SELECT land_k('k2', 'twitter_v2', 3, 1, 2, '{"data":[{"id":"1750000004194304000","created_at":"2024-01-24T03:38:09.084Z","text":"a millisecond claim: no note"},{"id":"1750000004194304000","created_at":"2024-02-01T00:00:00.000Z","text":"same id, other day, same batch"}]}');
SELECT * FROM apply_k('k2', 3);
SELECT id, created_at, text, like_count FROM pulse.tweets WHERE id IN (1750000000000000000, 1750000004194304000) ORDER BY id;
SELECT reason FROM pulse.rejects WHERE stream = 'k2' ORDER BY id;
-- no created_at (a default-fields search): the id's time, the same row
SELECT land_k('k2', 'twitter_v2', 4, 1, 3, '{"data":[{"id":"1750000000000000000","text":"claims 2021"}],"meta":{"result_count":1}}');
SELECT * FROM apply_k('k2', 4);
SELECT count(*) AS rows_for_id FROM pulse.tweets WHERE id = 1750000000000000000;

-- Ids from before snowflakes (2006-2010) encode no time: the first stored
-- created_at is the key, later records take it (noted when they differ); in
-- one batch the first record's claim. One claiming a time after snowflakes
-- began is rejected. The boundary: the smallest snowflake id reads as
-- 2010-11-05 01:42:54; the one below it is pre-snowflake.
SELECT land_k('k3', 'twitter_v2', 1, 1, 0, '{"data":[{"id":"20","created_at":"2006-03-21T20:50:14.000Z","text":"just setting up my twttr"},{"id":"21","created_at":"2006-03-21T20:51:43.000Z","text":"first of 21"},{"id":"21","created_at":"2006-03-22T00:00:00.000Z","text":"second of 21"}]}');
SELECT * FROM apply_k('k3', 1);
SELECT land_k('k3', 'twitter_v2', 2, 1, 1, '{"data":[{"id":"20","created_at":"2006-03-25T00:00:00.000Z","text":"just setting up my twttr","public_metrics":{"like_count":300000}},{"id":"22","created_at":"2023-05-05T00:00:00.000Z","text":"an old id claiming 2023"},{"id":"23","text":"an old id without created_at"}]}');
SELECT * FROM apply_k('k3', 2);
SELECT land_k('k3', 'twitter_v2', 3, 1, 2, '{"data":[{"id":"362387865599999","created_at":"2010-11-04T12:00:00.000Z","text":"the last id before snowflakes"},{"id":"362387865600000","text":"the first snowflake id"}]}');
SELECT * FROM apply_k('k3', 3);
SELECT id, created_at, text, like_count FROM pulse.tweets WHERE id IN (20, 21, 22, 23, 362387865599999, 362387865600000) ORDER BY id;
SELECT reason FROM pulse.rejects WHERE stream = 'k3' ORDER BY id;
-- Each keeps its own tweet's JSON (the notes about ids 20 and 21 are made by
-- the batch's SQL, after the projection: their raw is looked up then).
SELECT left(reason, 30) AS reason, convert_from(raw, 'UTF8')::jsonb AS raw FROM pulse.rejects WHERE stream = 'k3' ORDER BY id;

-- Impossible times: a day that does not exist, an id from the future (its
-- time more than a minute after the observation), one 30 seconds ahead
-- (clocks differ: accepted).
SELECT land_k('k4', 'twitter_v2', 1, 1, 0, '{"data":[{"id":"1750000000008388608","created_at":"2021-02-30T00:00:00.000Z","text":"no such day"}]}');
INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
SELECT 'k4', 'twitter_v2', 1, 2, now(),
       jsonb_build_object('data', jsonb_build_array(
         jsonb_build_object('id', id_at(now() + interval '1 hour')::text, 'text', 'from the future'),
         jsonb_build_object('id', id_at(now() + interval '30 seconds')::text, 'text', 'slightly ahead')));
SELECT * FROM apply_k('k4', 1);
SELECT regexp_replace(reason, '[0-9]{12,}|[0-9]{4}-[0-9-]+T[0-9:.]+Z', 'N', 'g') AS reason FROM pulse.rejects WHERE stream = 'k4' ORDER BY id;
SELECT text FROM pulse.tweets WHERE text IN ('from the future', 'slightly ahead', 'no such day');

-- 3. Every tweet's row is keyed as the rules say.
SELECT count(*) AS snowflake_rows_off_their_id_time FROM pulse.tweets
 WHERE id >= pulse_internal.tweet_snowflake_min() AND created_at <> pulse_internal.tweet_snowflake_time(id);
SELECT count(*) AS ids_with_two_rows FROM (SELECT id FROM pulse.tweets GROUP BY id HAVING count(*) > 1) x;

-- 4. pulse.reapply after all this rebuilds the same rows, and records no
-- reject or note twice.
CREATE TEMP TABLE before_reapply AS SELECT * FROM pulse.tweets;
SELECT count(*) AS rejects_before FROM pulse.rejects WHERE stream LIKE 'k%';
SELECT s.stream, r.batches, r.inserted, r.updated, r.rejected
  FROM (VALUES ('k1'), ('k1v1'), ('k1b'), ('k1c'), ('k2'), ('k3'), ('k4')) AS s(stream),
       LATERAL pulse.reapply(s.stream, (SELECT h FROM regress_hour) - interval '1 day', (SELECT h FROM regress_hour) + interval '1 day') AS r
 ORDER BY 1;
SELECT count(*) AS rejects_after FROM pulse.rejects WHERE stream LIKE 'k%';
SELECT count(*) AS rows_changed FROM (
  (SELECT id, created_at, text, like_count, observed_at FROM pulse.tweets
   EXCEPT SELECT id, created_at, text, like_count, observed_at FROM before_reapply)
  UNION ALL
  (SELECT id, created_at, text, like_count, observed_at FROM before_reapply
   EXCEPT SELECT id, created_at, text, like_count, observed_at FROM pulse.tweets)) d;

-- 5. A batch staged ahead (pulse_internal.stage_ahead, what pulse-load's
-- second session runs after its COPY) and applied later in the same
-- transaction stores what applying it directly stores (and apply_batch uses
-- up the marker); a batch of two formats, or of none, is not staged; a
-- reader may not call it.
BEGIN;
SELECT land_k('k9', 'twitter_v2', 1, 1, 0, '{"data":[{"id":"1766977437527633921","text":"staged #Ahead"},{"id":"1766977437527633922","created_at":"yesterday","text":"bad time"}]}');
SELECT pulse_internal.stage_ahead('k9', 1) AS staged;
SELECT count(*) AS staged_rows, count(raw) AS with_raw FROM pg_temp.pulse_tweet_stage;
SELECT * FROM pulse.apply_batch('k9', 1, '{}');
SELECT count(*) AS markers_left FROM pg_temp.pulse_staged_ahead;
COMMIT;
SELECT id, text, hashtags FROM pulse.tweets WHERE id = 1766977437527633921;
SELECT left(reason, 40) AS reason FROM pulse.rejects WHERE stream = 'k9';
BEGIN;
SELECT land_k('k9', 'twitter_v2', 2, 1, 0, '{"data":{"id":"1766977437527633923","text":"v2"}}');
SELECT land_k('k9', 'twitter_v1', 2, 2, 0, '{"id_str":"1766977437527633924","text":"v1","created_at":"Mon Mar 11 00:00:00 +0000 2024"}');
SELECT pulse_internal.stage_ahead('k9', 2) AS two_formats_staged, pulse_internal.stage_ahead('k9', 99) AS none_staged;
ROLLBACK;
-- a record added to the batch after it was staged is projected all the same
BEGIN;
SELECT land_k('k9', 'twitter_v2', 3, 1, 0, '{"data":{"id":"1766977437527633925","text":"staged"}}');
SELECT pulse_internal.stage_ahead('k9', 3) AS staged;
SELECT land_k('k9', 'twitter_v2', 3, 2, 0, '{"data":{"id":"1766977437527633926","text":"added after"}}');
SELECT * FROM pulse.apply_batch('k9', 3, '{}');
COMMIT;
SELECT id, text FROM pulse.tweets WHERE id IN (1766977437527633925, 1766977437527633926) ORDER BY id;
-- a batch staged ahead, then another batch applied first in the same
-- transaction: each stores its own tweets
BEGIN;
SELECT land_k('k9', 'twitter_v2', 4, 1, 0, '{"data":{"id":"1766977437527633927","text":"batch four"}}');
SELECT land_k('k9', 'twitter_v2', 5, 1, 0, '{"data":{"id":"1766977437527633928","text":"batch five"}}');
SELECT pulse_internal.stage_ahead('k9', 5) AS staged;
SELECT * FROM pulse.apply_batch('k9', 4, '{}');
SELECT * FROM pulse.apply_batch('k9', 5, '{}');
COMMIT;
SELECT id, text FROM pulse.tweets WHERE id IN (1766977437527633927, 1766977437527633928) ORDER BY id;
SET ROLE pulse_reader;
SELECT pulse_internal.stage_ahead('k9', 3);
RESET ROLE;
-- A tweet batch staged ahead is collapsed then too (one row per id, the
-- newest observation completed from the older ones), and stores what
-- applying it directly stores.
BEGIN;
SELECT land_k('k9', 'twitter_v2', 6, 1, 0, '{"data":{"id":"1766977437527633929","text":"first","lang":"en","public_metrics":{"like_count":1}}}');
SELECT land_k('k9', 'twitter_v2', 6, 2, 1, '{"data":{"id":"1766977437527633929","public_metrics":{"like_count":7}}}');
SELECT pulse_internal.stage_ahead('k9', 6) AS staged;
SELECT id, text, lang, like_count FROM pg_temp.pulse_tweet_src;
SELECT * FROM pulse.apply_batch('k9', 6, '{}');
COMMIT;
SELECT id, text, lang, like_count FROM pulse.tweets WHERE id = 1766977437527633929;
-- retention that moves between the staging and the apply (the floor is
-- read when the batch applies): the tweets it no longer keeps are
-- rejected, the rest stored
BEGIN;
SELECT land_k('k9', 'twitter_v2', 7, 1, 0, '{"data":[{"id":"' || id_at(now() - interval '3 days') || '","text":"old"},{"id":"' || id_at(now() - interval '3 days') || '","text":"old again"},{"id":"' || id_at(now() - interval '1 hour') || '","text":"recent"}]}');
SELECT pulse_internal.stage_ahead('k9', 7) AS staged;
SELECT count(*) AS collapsed_ids FROM pg_temp.pulse_tweet_src;
UPDATE pulse_internal.managed_tables SET retain = interval '2 days' WHERE parent = 'pulse.tweets'::regclass;
SELECT inserted, rejected FROM pulse.apply_batch('k9', 7, '{}');
ROLLBACK;
SELECT retain FROM pulse_internal.managed_tables WHERE parent = 'pulse.tweets'::regclass;
-- an id from before snowflakes takes the created_at first stored for it,
-- so its batch is not collapsed ahead (that reads the stored rows)
BEGIN;
SELECT land_k('k9', 'twitter_v2', 8, 1, 0, '{"data":{"id":"31","created_at":"2006-03-21T21:00:00.000Z","text":"thirty-one"}}');
SELECT pulse_internal.stage_ahead('k9', 8) AS staged;
SELECT count(*) AS collapsed_ids FROM pg_temp.pulse_tweet_src;
SELECT * FROM pulse.apply_batch('k9', 8, '{}');
COMMIT;
BEGIN;
SELECT land_k('k9', 'twitter_v2', 9, 1, 0, '{"data":{"id":"31","created_at":"2006-03-21T21:00:20.000Z","text":"thirty-one, edited"}}');
SELECT pulse_internal.stage_ahead('k9', 9) AS staged;
SELECT * FROM pulse.apply_batch('k9', 9, '{}');
COMMIT;
SELECT id, created_at, text FROM pulse.tweets WHERE id = 31;
SELECT left(reason, 60) AS note FROM pulse.rejects WHERE stream = 'k9' AND batch_id = 9;

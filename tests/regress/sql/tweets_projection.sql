-- The twitter_v2 and twitter_v1 projections: landing rows inserted directly,
-- then pulse_internal.apply_tweets (what pulse.apply_batch dispatches to).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
-- Partitions for the rows below: through the partition manager when the
-- tables are managed, else one catch-all partition each (test scaffolding).
DO $$
DECLARE
  managed boolean := false;
BEGIN
  IF to_regclass('pulse_internal.managed_tables') IS NOT NULL THEN
    EXECUTE 'SELECT EXISTS (SELECT FROM pulse_internal.managed_tables WHERE parent = ''pulse.tweets''::regclass)' INTO managed;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_inherits WHERE inhparent = 'pulse_internal.landing_chunks'::regclass) THEN
    CREATE TABLE public.regress_landing PARTITION OF pulse_internal.landing_chunks FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
  END IF;
  IF NOT managed AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhparent = 'pulse.tweets'::regclass) THEN
    CREATE TABLE public.regress_tweets PARTITION OF pulse.tweets FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
  END IF;
END $$;
RESET client_min_messages;

-- Landing rows of one batch: (stream, format, batch, seq, received_at offset, payload).
-- One hour for the whole file (now() moves from statement to statement: a
-- run that crossed the hour saw two).
CREATE TEMP TABLE regress_hour AS SELECT date_trunc('hour', now()) AS h;
CREATE FUNCTION land(stream text, format text, batch bigint, seq int, minutes int, payload text) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
  VALUES (stream, format, batch, seq, (SELECT h FROM regress_hour) + minutes * interval '1 minute', payload::jsonb)
$$;
CREATE VIEW t AS
  SELECT id, created_at, author_id, text, lang, hashtags, cashtags, mentions, is_retweet, retweeted_id,
         retweet_count AS rt, like_count AS likes, reply_count AS replies, quote_count AS quotes, matched_rules
    FROM pulse.tweets;
\x auto

-- 1. v2 stream lines: every field; note_tweet is the full text of a long
-- post; entities lower case without sigils, deduplicated; rules tag else id.
SELECT land('s1', 'twitter_v2', 1, 1, 0, $j${"data":{"id":"1578516068309794817","created_at":"2022-10-07T22:42:12.000Z",
  "author_id":"2244994945","lang":"en","text":"short cut text…",
  "note_tweet":{"text":"The long post about #Bitcoin and $BTC by @Alice, really #BITCOIN"},
  "entities":{"hashtags":[{"start":1,"end":8,"tag":"Bitcoin"},{"tag":"BITCOIN"}],
              "cashtags":[{"tag":"BTC"}],"mentions":[{"username":"Alice","id":"1"}]},
  "public_metrics":{"retweet_count":3,"reply_count":1,"like_count":10,"quote_count":0,"impression_count":99},
  "edit_history_tweet_ids":["1578516068309794817"]},
  "matching_rules":[{"id":"1578","tag":"btc talk"},{"id":"1579"},{"id":"1580","tag":""}]}$j$);
-- a retweet: referenced_tweets + the original as an expansion gives the full text
SELECT land('s1', 'twitter_v2', 1, 2, 0, $j${"data":{"id":"1394735776701816833","created_at":"2021-05-18T19:24:56.000Z",
  "text":"RT @bibaigna96: #POIUYTREWQ and a long tail that X cut at 140 charac…","author_id":"1379899464345923590","lang":"und",
  "entities":{"hashtags":[{"tag":"POIUYTREWQ"}],"mentions":[{"username":"bibaigna96"}]},
  "referenced_tweets":[{"type":"retweeted","id":"1391677057810288641"}],
  "public_metrics":{"retweet_count":1,"reply_count":0,"like_count":0,"quote_count":0}},
  "includes":{"users":[{"id":"1380086327023169540","username":"bibaigna96"}],
              "tweets":[{"id":"1391677057810288641","author_id":"1380086327023169540","created_at":"2021-05-10T08:50:41.000Z",
                         "text":"#POIUYTREWQ and a long tail that X cut at 140 characters, here whole #Tail",
                         "entities":{"hashtags":[{"tag":"POIUYTREWQ"},{"tag":"Tail"}]}}]},
  "matching_rules":[{"id":"7","tag":"poi"}]}$j$);
SELECT * FROM pulse_internal.apply_tweets('s1', 1, 'twitter_v2');
SELECT * FROM t ORDER BY id;

-- 2. A page: only `data` tweets are rows (the expansion 1391677057810288641
-- is not); a default-fields page (no created_at: from the snowflake id, to the
-- second); archivers' keys ignored; an empty page is no row and no reject.
SELECT land('s2', 'twitter_v2', 1, 1, 0, $j${"data":[
   {"id":"1578515564971970560","text":"2022-10-07 22:40:12.640354 tweepy","edit_history_tweet_ids":["1578515564971970560"]},
   {"id":"1578515061600964608","text":"2022-10-07 22:38:12.636554 tweepy","edit_history_tweet_ids":["1578515061600964608"]}],
  "includes":{"tweets":[{"id":"1391677057810288641","text":"not a row"}]},
  "meta":{"newest_id":"1578515564971970560","oldest_id":"1578515061600964608","result_count":2,"next_token":"b26v89"},
  "__twarc":{"url":"https://api.twitter.com/2/tweets/search/recent","version":"2.0.0"}}$j$);
SELECT land('s2', 'twitter_v2', 1, 2, 0, '{"meta":{"result_count":0}}');
SELECT * FROM pulse_internal.apply_tweets('s2', 1, 'twitter_v2');
SELECT id, created_at, text, hashtags, is_retweet, rt, matched_rules FROM t
 WHERE id IN (1578515564971970560, 1578515061600964608, 1391677057810288641) ORDER BY id;
SELECT pulse_internal.tweet_snowflake_time(1578515564971970560) AS snowflake_time,
       pulse_internal.tweet_snowflake_time(20) AS pre_snowflake;

-- 3. Dedupe and versions. In one batch the later observation of an id wins;
-- a batch observed earlier than the stored row changes nothing; a newer one
-- with fewer fields (no metrics, no entities, no rules) keeps what is stored.
SELECT land('s3', 'twitter_v2', 1, 1, 10, '{"data":{"id":"1600000000000000000","created_at":"2022-12-06T06:00:00.000Z","text":"gm #btc","entities":{"hashtags":[{"tag":"btc"}]},"public_metrics":{"retweet_count":1,"like_count":5,"reply_count":0,"quote_count":0}},"matching_rules":[{"id":"1","tag":"a"}]}');
SELECT land('s3', 'twitter_v2', 1, 2, 10, '{"data":{"id":"1600000000000000000","created_at":"2022-12-06T06:00:00.000Z","text":"gm #btc","entities":{"hashtags":[{"tag":"btc"}]},"public_metrics":{"retweet_count":2,"like_count":7,"reply_count":0,"quote_count":0}},"matching_rules":[{"id":"2","tag":"b"}]}');
SELECT * FROM pulse_internal.apply_tweets('s3', 1, 'twitter_v2');
SELECT id, rt, likes, matched_rules FROM t WHERE id = 1600000000000000000;
-- the same batch again: nothing is written
SELECT * FROM pulse_internal.apply_tweets('s3', 1, 'twitter_v2');
-- an older observation (5 minutes before) with smaller counts: unchanged
SELECT land('s3', 'twitter_v2', 2, 1, 5, '{"data":{"id":"1600000000000000000","created_at":"2022-12-06T06:00:00.000Z","text":"gm #btc","public_metrics":{"retweet_count":0,"like_count":1,"reply_count":0,"quote_count":0}}}');
SELECT * FROM pulse_internal.apply_tweets('s3', 2, 'twitter_v2');
SELECT id, rt, likes, matched_rules FROM t WHERE id = 1600000000000000000;
-- a newer observation with new counts: updated, rules kept (union)
SELECT land('s3', 'twitter_v2', 3, 1, 20, '{"data":{"id":"1600000000000000000","created_at":"2022-12-06T06:00:00.000Z","text":"gm #btc","entities":{"hashtags":[{"tag":"btc"}]},"public_metrics":{"retweet_count":4,"like_count":9,"reply_count":1,"quote_count":2}},"matching_rules":[{"id":"3","tag":"c"}]}');
SELECT * FROM pulse_internal.apply_tweets('s3', 3, 'twitter_v2');
SELECT id, rt, likes, replies, quotes, hashtags, matched_rules FROM t WHERE id = 1600000000000000000;
-- a newer default-fields observation (search without tweet.fields): it has no
-- created_at, metrics or entities; the stored row keeps them, and as it
-- changes nothing else it is unchanged (not written)
SELECT land('s3', 'twitter_v2', 4, 1, 30, '{"data":[{"id":"1600000000000000000","text":"gm #btc"}],"meta":{"result_count":1}}');
SELECT * FROM pulse_internal.apply_tweets('s3', 4, 'twitter_v2');
SELECT id, created_at, rt, likes, replies, quotes, hashtags, matched_rules FROM t WHERE id = 1600000000000000000;
SELECT count(*) AS rows_for_id FROM pulse.tweets WHERE id = 1600000000000000000;

-- 4. Records and tweets that cannot be used: each one a reject with its
-- reason; the good tweet next to them in the same page is stored.
SELECT land('s4', 'twitter_v2', 1, 1, 0, '[1, 2]');
SELECT land('s4', 'twitter_v2', 1, 2, 0, '"just a string"');
SELECT land('s4', 'twitter_v2', 1, 3, 0, '{"data": null}');
SELECT land('s4', 'twitter_v2', 1, 4, 0, '{"errors":[{"title":"operational-disconnect","disconnect_type":"OperationalDisconnect","detail":"This stream has been disconnected for operational reasons.","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}');
SELECT land('s4', 'twitter_v2', 1, 5, 0, '{"foo": "bar"}');
SELECT land('s4', 'twitter_v2', 1, 6, 0, $j${"data":[
  {"id":"1700000000000000001","created_at":"2023-08-08T08:08:08.000Z","text":"good one"},
  "not a tweet",
  {"text":"no id"},
  {"id":"99999999999999999999","text":"id beyond bigint"},
  {"id":"12ab","text":"id not decimal"},
  {"id":"1700000000000000002","created_at":"2023-02-30T00:00:00.000Z","text":"no such day"},
  {"id":"1700000000000000003","created_at":"yesterday","text":"unreadable"},
  {"id":"20","text":"a 2006 id: not a snowflake, and no created_at"},
  {"id":"1700000000000000004","created_at":"2023-08-08T08:08:08.000Z","text":"bad counts keep the tweet",
   "public_metrics":{"retweet_count":-1,"like_count":1e3,"reply_count":"x","quote_count":99999999999}}]}$j$);
SELECT * FROM pulse_internal.apply_tweets('s4', 1, 'twitter_v2');
SELECT batch_id, format, reason, octet_length(raw) > 0 AS has_raw FROM pulse.rejects WHERE stream = 's4' ORDER BY id;
SELECT convert_from(raw, 'UTF8') AS raw FROM pulse.rejects WHERE stream = 's4' AND reason LIKE '%data[3]%';
SELECT id, text, rt, likes, replies, quotes FROM t WHERE id BETWEEN 1700000000000000000 AND 1700000000000000009 ORDER BY id;
-- a later record without created_at: the id's time, as stored (the claim of
-- 2023-08-08 above was noted and overruled): still one row for the id
SELECT land('s4', 'twitter_v2', 3, 1, 60, '{"data":{"id":"1700000000000000001","text":"good one, seen again","public_metrics":{"like_count":3}}}');
SELECT * FROM pulse_internal.apply_tweets('s4', 3, 'twitter_v2');
SELECT id, created_at, pulse_internal.tweet_snowflake_time(id) AS snowflake_time, text, likes FROM t WHERE id = 1700000000000000001;
-- records of another stream, batch or format are not touched
SELECT * FROM pulse_internal.apply_tweets('s4', 2, 'twitter_v2');
SELECT * FROM pulse_internal.apply_tweets('s4', 1, 'twitter_v1');

-- 5. v1.1 statuses: id_str, the v1.1 created_at spelling, extended_tweet's
-- full text and entities, retweeted_status, symbols, user_mentions, counts.
SELECT land('v1', 'twitter_v1', 1, 1, 0, $j${"created_at":"Fri Jul 12 23:48:32 +0000 2019","id":1149827914406539264,
  "id_str":"1149827914406539264","text":"Truncated text about #Crypto and $ETH… https://t.co/x","truncated":true,
  "user":{"id":783214,"id_str":"783214","screen_name":"Twitter"},"lang":"en",
  "entities":{"hashtags":[{"text":"Crypto","indices":[22,29]}],"symbols":[{"text":"ETH"}],"user_mentions":[]},
  "extended_tweet":{"full_text":"Full text about #Crypto and $ETH and #DeFi with @Bob, which is longer than the truncated one.",
    "entities":{"hashtags":[{"text":"Crypto"},{"text":"DeFi"}],"symbols":[{"text":"ETH"}],"user_mentions":[{"screen_name":"Bob","id_str":"5"}]}},
  "retweet_count":12,"favorite_count":34,"reply_count":5,"quote_count":6,"timestamp_ms":"1562975312221"}$j$);
SELECT land('v1', 'twitter_v1', 1, 2, 0, $j${"created_at":"Sat Jul 13 01:09:55 +0000 2019","id_str":"1149848395880738816",
  "text":"RT @Twitter: Full text about #Crypto and $ETH and #DeFi with @Bob, which is lon…",
  "user":{"id_str":"12","screen_name":"someone"},"lang":"en",
  "entities":{"hashtags":[{"text":"Crypto"}],"symbols":[{"text":"ETH"}],"user_mentions":[{"screen_name":"Twitter"}]},
  "retweeted_status":{"created_at":"Fri Jul 12 23:48:32 +0000 2019","id_str":"1149827914406539264",
    "text":"Truncated text about #Crypto and $ETH…","truncated":true,"user":{"id_str":"783214","screen_name":"Twitter"},
    "extended_tweet":{"full_text":"Full text about #Crypto and $ETH and #DeFi with @Bob, which is longer than the truncated one.",
      "entities":{"hashtags":[{"text":"Crypto"},{"text":"DeFi"}],"symbols":[{"text":"ETH"}],"user_mentions":[{"screen_name":"Bob"}]}}},
  "retweet_count":0,"favorite_count":0}$j$);
-- a v1.1 search response, a stream notice, a status without an id
SELECT land('v1', 'twitter_v1', 1, 3, 0, $j${"statuses":[{"created_at":"Sun Jul 14 09:42:20 +0000 2019","id_str":"1150339736120209408",
  "full_text":"tweet_mode=extended gives full_text #hodl","user":{"id_str":"13","screen_name":"x"},
  "entities":{"hashtags":[{"text":"HODL"}],"symbols":[],"user_mentions":[]},"retweet_count":1,"favorite_count":2}],
  "search_metadata":{"count":1}}$j$);
SELECT land('v1', 'twitter_v1', 1, 4, 0, '{"delete":{"status":{"id":1,"id_str":"1","user_id":3,"user_id_str":"3"},"timestamp_ms":"1562974837000"}}');
SELECT land('v1', 'twitter_v1', 1, 5, 0, '{"text":"no id at all","created_at":"Sun Jul 14 09:42:20 +0000 2019"}');
SELECT * FROM pulse_internal.apply_tweets('v1', 1, 'twitter_v1');
SELECT * FROM t WHERE id IN (1149827914406539264, 1149848395880738816, 1150339736120209408) ORDER BY id;
SELECT reason FROM pulse.rejects WHERE stream = 'v1' ORDER BY id;

-- 6. The time parser: both spellings, offsets, and what it refuses.
SELECT s, pulse_internal.tweet_time(s) FROM (VALUES
  ('2021-05-18T19:24:56.000Z'), ('2021-05-18T19:24:56Z'), ('2021-05-18T19:24:56.123456789Z'),
  ('2021-05-18 21:24:56+02:00'), ('Fri Jul 12 23:40:37 +0000 2019'), ('Fri Jul 12 23:40:37 -0130 2019'),
  ('2024-02-29T00:00:00.000Z'), ('2023-02-29T00:00:00.000Z'), ('2021-05-18T24:00:00Z'),
  ('2021-05-18T19:24:56'), ('2021-05-18T19:24:56.000Z junk'), ('Fri Jux 12 23:40:37 +0000 2019'),
  ('Fri Jul 12 23:40:37 2019'), (''), ('0000-01-01T00:00:00Z')) AS v(s);

-- reapply-style idempotence: every batch again changes nothing
SELECT sum(inserted) AS ins, sum(updated) AS upd, sum(unchanged) AS unch FROM (
  SELECT r.* FROM (SELECT DISTINCT stream, batch_id FROM pulse.landing WHERE format = 'twitter_v2') b,
                  LATERAL pulse_internal.apply_tweets(b.stream, b.batch_id, 'twitter_v2') r
  UNION ALL
  SELECT r.* FROM (SELECT DISTINCT stream, batch_id FROM pulse.landing WHERE format = 'twitter_v1') b,
                  LATERAL pulse_internal.apply_tweets(b.stream, b.batch_id, 'twitter_v1') r) x;

-- 7. The per-field helpers: entity texts (sigils stripped, lower case in the
-- database collation, first appearance kept), ids and counts.
SELECT pulse_internal.tweet_tags('[{"tag":"#ÄBC"},{"tag":"äbc"},{"tag":"＃Foo"},{"x":1},"s",{"tag":""},{"tag":"#"},{"tag":5},{"tag":"Bar"}]', 'tag', '#＃') AS tags,
       pulse_internal.tweet_tags(NULL, 'tag', '#') AS null_list, pulse_internal.tweet_tags('{"tag":"x"}', 'tag', '#') AS not_array;
SELECT v, pulse_internal.tweet_bigint(v::jsonb) AS id, pulse_internal.tweet_count(v::jsonb) AS count FROM (VALUES
  ('"9223372036854775807"'), ('"9223372036854775808"'), ('9223372036854775807'), ('"2147483648"'), ('2147483647'),
  ('"-1"'), ('"+1"'), ('" 1"'), ('1.0'), ('1e3'), ('"0"'), ('true'), ('null'), ('[1]'), ('""')) AS t(v);

-- 8. pulse.reapply rebuilds from the kept landing records through the same
-- projection: nothing changes, and rejects are not recorded twice.
SELECT count(*) AS rejects_before FROM pulse.rejects WHERE stream = 's4';
SELECT batches, inserted, updated, unchanged, rejected
  FROM pulse.reapply('s4', (SELECT h FROM regress_hour) - interval '1 day', (SELECT h FROM regress_hour) + interval '1 day');
SELECT count(*) AS rejects_after FROM pulse.rejects WHERE stream = 's4';
-- Rebuilt into an emptied table (pulse.merge's first load), all in the
-- transaction itself: no subtransaction per batch.
BEGIN;
DELETE FROM pulse.tweets;
SELECT batches FROM pulse.reapply('s4', (SELECT h FROM regress_hour) - interval '1 day', (SELECT h FROM regress_hour) + interval '1 day');
SELECT count(*) > 0 AS rebuilt, count(*) FILTER (WHERE xmin <> pg_current_xact_id()::xid) AS in_subtransactions FROM pulse.tweets;
ROLLBACK;

-- 9. sentiment: pulse.sentiment of the text the row ends with, on every row;
-- an observation without text keeps the stored text and its sentiment; an
-- edited text gets a new one; reapply recomputes a stale value.
SELECT count(*) AS tweets, count(*) FILTER (WHERE sentiment IS NOT DISTINCT FROM pulse.sentiment(text)) AS sentiment_of_text
  FROM pulse.tweets;
SELECT land('s9', 'twitter_v2', 1, 1, 0, '{"data":{"id":"1800000000000000001","created_at":"2024-06-10T01:07:30.000Z","text":"I love this, great day! 🚀"}}');
SELECT land('s9', 'twitter_v2', 1, 2, 0, '{"data":{"id":"1800000000000000002","created_at":"2024-06-10T01:07:30.000Z","text":"worst crash ever 😱"}}');
SELECT * FROM pulse_internal.apply_tweets('s9', 1, 'twitter_v2');
SELECT land('s9', 'twitter_v2', 2, 1, 5, '{"data":{"id":"1800000000000000001","public_metrics":{"like_count":4}}}');
SELECT land('s9', 'twitter_v2', 2, 2, 5, '{"data":{"id":"1800000000000000002","text":"not the worst crash, recovering nicely"}}');
SELECT * FROM pulse_internal.apply_tweets('s9', 2, 'twitter_v2');
SELECT id, text, like_count, sentiment FROM pulse.tweets WHERE id >= 1800000000000000000 ORDER BY id;
-- sentiment cannot be lost: cleared, it is the text's again at once (a row
-- trigger), so reapply finds every row as it would write it
UPDATE pulse.tweets SET sentiment = NULL WHERE id = 1800000000000000001;
SELECT id, sentiment FROM pulse.tweets WHERE id = 1800000000000000001;
-- direct writes get it too: an UPDATE of the text, an INSERT without it
UPDATE pulse.tweets SET text = 'terrible, awful day' WHERE id = 1800000000000000001;
SELECT id, sentiment = pulse.sentiment('terrible, awful day') AS of_new_text, sentiment < 0 AS negative
  FROM pulse.tweets WHERE id = 1800000000000000001;
-- an UPDATE that sets the text and a sentiment of its own keeps that one;
-- an UPDATE of other columns leaves it; a NULL text has none, and the text
-- back gets its score back
UPDATE pulse.tweets SET text = 'terrible', sentiment = 0.5 WHERE id = 1800000000000000001;
UPDATE pulse.tweets SET like_count = like_count WHERE id = 1800000000000000001;
SELECT id, text, sentiment FROM pulse.tweets WHERE id = 1800000000000000001;
UPDATE pulse.tweets SET text = NULL WHERE id = 1800000000000000001;
SELECT id, text IS NULL AS no_text, sentiment IS NULL AS no_sentiment FROM pulse.tweets WHERE id = 1800000000000000001;
UPDATE pulse.tweets SET text = 'I love this, great day! 🚀' WHERE id = 1800000000000000001;
SELECT id, sentiment = pulse.sentiment(text) AS of_text FROM pulse.tweets WHERE id = 1800000000000000001;
-- The trigger function (anyone may attach it: it runs with the writer's
-- rights) refuses what it is not made for, with a proper SQLSTATE.
CREATE FUNCTION pg_temp.st_err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE TABLE pg_temp.st_after (text text, sentiment float8);
CREATE TRIGGER st AFTER INSERT ON pg_temp.st_after FOR EACH ROW EXECUTE FUNCTION pulse_internal.tweets_sentiment();
SELECT pg_temp.st_err($$INSERT INTO pg_temp.st_after VALUES ('good')$$);
CREATE TABLE pg_temp.st_stmt (text text, sentiment float8);
CREATE TRIGGER st BEFORE INSERT ON pg_temp.st_stmt FOR EACH STATEMENT EXECUTE FUNCTION pulse_internal.tweets_sentiment();
SELECT pg_temp.st_err($$INSERT INTO pg_temp.st_stmt VALUES ('good')$$);
CREATE TABLE pg_temp.st_del (text text, sentiment float8);
INSERT INTO pg_temp.st_del VALUES ('good', 1);
CREATE TRIGGER st BEFORE DELETE ON pg_temp.st_del FOR EACH ROW EXECUTE FUNCTION pulse_internal.tweets_sentiment();
SELECT pg_temp.st_err($$DELETE FROM pg_temp.st_del$$);
CREATE TABLE pg_temp.st_nocol (body text, sentiment float8);
CREATE TRIGGER st BEFORE INSERT ON pg_temp.st_nocol FOR EACH ROW EXECUTE FUNCTION pulse_internal.tweets_sentiment();
SELECT pg_temp.st_err($$INSERT INTO pg_temp.st_nocol VALUES ('good')$$);
CREATE TABLE pg_temp.st_type (text text, sentiment numeric);
CREATE TRIGGER st BEFORE INSERT ON pg_temp.st_type FOR EACH ROW EXECUTE FUNCTION pulse_internal.tweets_sentiment();
SELECT pg_temp.st_err($$INSERT INTO pg_temp.st_type VALUES ('good')$$);
-- and on a table shaped otherwise (dropped and moved columns) it finds them by name
CREATE TABLE pg_temp.st_ok (a int, sentiment float8, gone int, text text);
ALTER TABLE pg_temp.st_ok DROP COLUMN gone;
CREATE TRIGGER st BEFORE INSERT OR UPDATE ON pg_temp.st_ok FOR EACH ROW EXECUTE FUNCTION pulse_internal.tweets_sentiment();
INSERT INTO pg_temp.st_ok VALUES (1, NULL, 'what a great day'), (2, 0.25, 'what a great day'), (3, NULL, NULL);
UPDATE pg_temp.st_ok SET text = 'awful' WHERE a = 2;
SELECT a, text, sentiment = pulse.sentiment(text) AS of_text, sentiment FROM pg_temp.st_ok ORDER BY a;
SELECT batches, inserted, updated, unchanged, rejected
  FROM pulse.reapply('s9', (SELECT h FROM regress_hour) - interval '1 day', (SELECT h FROM regress_hour) + interval '1 day');
SELECT id, sentiment, sentiment = pulse.sentiment(text) AS of_text FROM pulse.tweets WHERE id >= 1800000000000000000 ORDER BY id;

-- Staging a batch's tweets (pg_temp.pulse_tweet_stage, 55_tweets.sql).

-- The staging rows of every record of a landing chunk of a tweet format
-- (twitter_v2, twitter_v1; its payloads, with records numbered from
-- first_seq), as twitter_v2_rows / _v1_rows give them per record with
-- every_raw false (C++, extension/pg/tweet_rows.cpp). A record is read from
-- its text (simdjson) where that gives the same rows, else parsed into jsonb
-- as the view pulse.landing would: parsing each record into jsonb cost more
-- than the rest of the projection (issue 17).
CREATE OR REPLACE FUNCTION pulse_internal.tweet_chunk_rows(format text, payloads text, received_at timestamptz,
  first_seq integer)
RETURNS TABLE(seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb, note text,
              id bigint, created_at timestamptz, author_id bigint, text text, lang text,
              hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
              retweet_count integer, like_count integer, reply_count integer, quote_count integer,
              matched_rules text[])
LANGUAGE c STABLE STRICT PARALLEL SAFE
ROWS 1000
AS 'MODULE_PATHNAME', 'pulse_tweet_chunk_rows';

-- A batch's records of one tweet format into pg_temp.pulse_tweet_stage: one
-- statement over the batch's chunks.
CREATE OR REPLACE FUNCTION pulse_internal.stage_tweets(stream text, batch_id bigint, format text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
  INSERT INTO pg_temp.pulse_tweet_stage (seq, ord, observed_at, problem, raw, note, id, created_at, author_id,
                                         text, lang, hashtags, cashtags, mentions, is_retweet, retweeted_id,
                                         retweet_count, like_count, reply_count, quote_count, matched_rules)
  SELECT r.seq, r.ord, r.observed_at, r.problem, r.raw, r.note, r.id, r.created_at, r.author_id,
         r.text, r.lang, r.hashtags, r.cashtags, r.mentions, r.is_retweet, r.retweeted_id,
         r.retweet_count, r.like_count, r.reply_count, r.quote_count, r.matched_rules
    FROM pulse_internal.landing_chunks c
   CROSS JOIN LATERAL pulse_internal.tweet_chunk_rows(stage_tweets.format, c.payloads, c.received_at, c.seq) AS r
   WHERE c.stream = stage_tweets.stream AND c.batch_id = stage_tweets.batch_id
     AND c.format = stage_tweets.format;
END
$fn$;

-- The formats' staging functions (their projections in the registry).
CREATE OR REPLACE FUNCTION pulse_internal.stage_twitter_v2(stream text, batch_id bigint)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT pulse_internal.stage_tweets(stream, batch_id, 'twitter_v2') $fn$;

CREATE OR REPLACE FUNCTION pulse_internal.stage_twitter_v1(stream text, batch_id bigint)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT pulse_internal.stage_tweets(stream, batch_id, 'twitter_v1') $fn$;

-- The tweet formats.
INSERT INTO pulse_internal.formats AS f (format, apply, projection, description) VALUES
  ('twitter_v2', 'pulse_internal.apply_tweets(text,bigint,text)', 'pulse_internal.stage_twitter_v2(text,bigint)',
   'X API v2: filtered-stream lines, search pages, or bare tweet objects'),
  ('twitter_v1', 'pulse_internal.apply_tweets(text,bigint,text)', 'pulse_internal.stage_twitter_v1(text,bigint)',
   'X API v1.1 statuses (or search responses with statuses)')
ON CONFLICT (format) DO UPDATE
  SET apply = excluded.apply, projection = excluded.projection, description = excluded.description;

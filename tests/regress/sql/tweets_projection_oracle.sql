-- The C++ tweet projections (pulse_internal.twitter_v2_rows and
-- twitter_v1_rows, which pulse_internal.stage_twitter_v2 / _v1 insert into
-- the staging table) against the SQL projections they replaced, kept here
-- as the oracle: the same rows, column for column, for hand-written records
-- and for thousands of randomly mutated ones (values of the wrong type, ids
-- as floats, negative or beyond bigint, impossible dates, deep nesting, long
-- arrays, non-ASCII text), with a fixed random seed.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
-- The comparisons' plans cost enough for JIT, whose compiling took longer
-- than the queries (as in the staging functions, which set it off too).
SET jit = off;
CREATE SCHEMA tweets_oracle;
SET search_path = tweets_oracle, pg_catalog, public;

-- The records both projections read: (seq, received_at, payload), one format.
CREATE TABLE tweets_oracle.records (seq integer, received_at timestamptz, payload jsonb);

-- pg_temp.pulse_tweet_stage's columns.
CREATE TYPE tweets_oracle.stage_row AS (
  seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb, note text,
  id bigint, created_at timestamptz, author_id bigint, text text, lang text,
  hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
  retweet_count integer, like_count integer, reply_count integer, quote_count integer,
  matched_rules text[]);

-- The SQL helpers of the old projection that only it used.
CREATE OR REPLACE FUNCTION tweets_oracle.tweet_stated_time(v jsonb, epoch_ms boolean) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN epoch_ms THEN pulse_internal.json_epoch_ms(v)
              WHEN jsonb_typeof(v) = 'string' THEN pulse_internal.tweet_time(v #>> '{}') END
$$;

CREATE OR REPLACE FUNCTION tweets_oracle.tweet_array(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END $$;

CREATE OR REPLACE FUNCTION tweets_oracle.twitter_v2_items(p jsonb)
RETURNS TABLE(ord bigint, tweet jsonb, includes jsonb, rules jsonb, problem text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT 0::bigint, p -> 'data', p -> 'includes', p -> 'matching_rules', NULL::text
   WHERE jsonb_typeof(p -> 'data') = 'object'
  UNION ALL
  SELECT d.o, d.e, p -> 'includes', p -> 'matching_rules', NULL
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p -> 'data') = 'array' THEN p -> 'data' END)
         WITH ORDINALITY AS d(e, o)
  UNION ALL
  SELECT 0, p, NULL, p -> 'matching_rules', NULL
   WHERE jsonb_typeof(p) = 'object' AND NOT p ? 'data' AND p ? 'id'
  UNION ALL
  SELECT 0, NULL, NULL, NULL, r.problem
    FROM (SELECT CASE
            WHEN jsonb_typeof(p) <> 'object' THEN
              format('not a twitter_v2 record: a JSON %s, not an object', jsonb_typeof(p))
            WHEN p ? 'data' AND jsonb_typeof(p -> 'data') NOT IN ('object', 'array') THEN
              format('not a twitter_v2 record: "data" is a JSON %s, not a tweet or an array of tweets', jsonb_typeof(p -> 'data'))
            WHEN p ? 'data' OR p ? 'id' THEN NULL
            WHEN p ? 'errors' THEN
              'error object from the X API: ' || coalesce((
                SELECT string_agg(concat_ws(': ', coalesce(e ->> 'title', e ->> 'message'), e ->> 'detail'), '; ')
                  FROM jsonb_array_elements(tweets_oracle.tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN p ? 'meta' THEN NULL   -- an empty page: nothing matched
            ELSE 'not a twitter_v2 record: none of the keys data, id, errors, meta'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION tweets_oracle.twitter_v1_items(p jsonb)
RETURNS TABLE(ord bigint, tweet jsonb, problem text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT 0::bigint, p, NULL::text
   WHERE jsonb_typeof(p) = 'object' AND (p ? 'id_str' OR p ? 'id')
  UNION ALL
  SELECT s.o, s.e, NULL
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p) = 'object' AND NOT (p ? 'id_str' OR p ? 'id')
                                        AND jsonb_typeof(p -> 'statuses') = 'array'
                                   THEN p -> 'statuses' END) WITH ORDINALITY AS s(e, o)
  UNION ALL
  SELECT 0, NULL, r.problem
    FROM (SELECT CASE
            WHEN jsonb_typeof(p) <> 'object' THEN
              format('not a twitter_v1 record: a JSON %s, not an object', jsonb_typeof(p))
            WHEN p ? 'id_str' OR p ? 'id' OR jsonb_typeof(p -> 'statuses') = 'array' THEN NULL
            WHEN p ? 'errors' THEN
              'error object from the X API: ' || coalesce((
                SELECT string_agg(concat_ws(': ', e ->> 'code', coalesce(e ->> 'message', e ->> 'title')), '; ')
                  FROM jsonb_array_elements(tweets_oracle.tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN (SELECT count(*) FROM jsonb_object_keys(p)) = 1 THEN
              format('not a status: a v1.1 stream notice "%s"', (SELECT k FROM jsonb_object_keys(p) AS k))
            ELSE 'not a twitter_v1 record: no id_str, id or statuses key'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION tweets_oracle.tweet_problem(seq integer, ord bigint, item_problem text, tweet jsonb,
  tweet_id bigint, payload_time timestamptz, created_at timestamptz,
  stated_key text, stated jsonb, observed_at timestamptz, received_at timestamptz,
  list text, noun text, id_keys text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE
           WHEN item_problem IS NOT NULL THEN format('landing seq %s: %s', seq, item_problem)
           WHEN jsonb_typeof(tweet) <> 'object' THEN
             format('landing seq %s, %s[%s]: a JSON %s, not a %s object', seq, list, ord, jsonb_typeof(tweet), noun)
           WHEN tweet_id IS NULL THEN
             format('landing seq %s, %s[%s]: no usable %s (a decimal 64-bit integer)', seq, list, ord, id_keys)
           WHEN tweet ? 'created_at' AND payload_time IS NULL THEN
             format('landing seq %s, %s[%s]: %s %s has an unreadable created_at %s', seq, list, ord, noun, tweet_id, tweet -> 'created_at')
           WHEN created_at IS NULL THEN
             format('landing seq %s, %s[%s]: %s %s has no created_at and its id is not a snowflake', seq, list, ord, noun, tweet_id)
           WHEN tweet_id < pulse_internal.tweet_snowflake_min()
                AND created_at >= pulse_internal.tweet_snowflake_time(pulse_internal.tweet_snowflake_min()) THEN
             format('landing seq %s, %s[%s]: %s %s has an id from before snowflake ids (2010) but claims created_at %s',
                    seq, list, ord, noun, tweet_id, pulse_internal.tweet_ts(created_at))
           WHEN stated IS NOT NULL AND observed_at IS NULL THEN
             format('landing seq %s, %s[%s]: %s %s has an unreadable %s %s', seq, list, ord, noun, tweet_id, stated_key, stated)
           WHEN observed_at > received_at + interval '1 minute' THEN
             format('landing seq %s, %s[%s]: %s %s says it was observed (%s %s) after it landed (%s)',
                    seq, list, ord, noun, tweet_id, stated_key, pulse_internal.tweet_ts(observed_at), pulse_internal.tweet_ts(received_at))
           WHEN created_at > coalesce(observed_at, received_at) + interval '1 minute' THEN
             format('landing seq %s, %s[%s]: %s %s was created (%s, %s) more than a minute after it was observed (%s)',
                    seq, list, ord, noun, tweet_id, pulse_internal.tweet_ts(created_at),
                    CASE WHEN tweet_id >= pulse_internal.tweet_snowflake_min() THEN 'from its snowflake id' ELSE 'its created_at' END,
                    pulse_internal.tweet_ts(coalesce(observed_at, received_at)))
         END
$$;

CREATE OR REPLACE FUNCTION tweets_oracle.tweet_note(seq integer, ord bigint, tweet_id bigint,
  payload_time timestamptz, id_time timestamptz, list text, noun text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN payload_time < id_time - interval '1 second' OR payload_time > id_time + interval '1 second' THEN
    format('landing seq %s, %s[%s]: %s %s claims created_at %s but its snowflake id encodes %s; stored with the id''s time',
           seq, list, ord, noun, tweet_id, pulse_internal.tweet_ts(payload_time), pulse_internal.tweet_ts(id_time)) END
$$;

-- The old projections' SELECT, over tweets_oracle.records.
CREATE FUNCTION tweets_oracle.old_v2() RETURNS SETOF tweets_oracle.stage_row
LANGUAGE sql STABLE AS $fn$
  SELECT l.seq, i.ord, coalesce(f.observed_at, l.received_at),
           tweets_oracle.tweet_problem(l.seq, i.ord, i.problem, i.tweet, f.id, f.payload_time, f.created_at,
                                        '__twarc.retrieved_at', f.stated, f.observed_at, l.received_at, 'data', 'tweet', 'id'),
           coalesce(i.tweet, l.payload),
           tweets_oracle.tweet_note(l.seq, i.ord, f.id, f.payload_time, f.id_time, 'data', 'tweet'),
           f.id, f.created_at,
           pulse_internal.tweet_bigint(i.tweet -> 'author_id'),
           CASE WHEN o.orig_user IS NOT NULL
                THEN 'RT @' || o.orig_user || ': ' || coalesce(o.orig -> 'note_tweet' ->> 'text', o.orig ->> 'text')
                ELSE coalesce(i.tweet -> 'note_tweet' ->> 'text', i.tweet ->> 'text') END,
           i.tweet ->> 'lang',
           CASE WHEN f.ents THEN pulse_internal.tweet_tags(tweets_oracle.tweet_array(e.own -> 'hashtags') || tweets_oracle.tweet_array(e.orig -> 'hashtags'), 'tag', '#＃') END,
           CASE WHEN f.ents THEN pulse_internal.tweet_tags(tweets_oracle.tweet_array(e.own -> 'cashtags') || tweets_oracle.tweet_array(e.orig -> 'cashtags'), 'tag', '$') END,
           CASE WHEN f.ents THEN pulse_internal.tweet_tags(tweets_oracle.tweet_array(e.own -> 'mentions') || tweets_oracle.tweet_array(e.orig -> 'mentions'), 'username', '@') END,
           CASE WHEN i.tweet ? 'referenced_tweets' THEN r.rt_id IS NOT NULL END,
           r.rt_id,
           pulse_internal.tweet_count(i.tweet -> 'public_metrics' -> 'retweet_count'),
           pulse_internal.tweet_count(i.tweet -> 'public_metrics' -> 'like_count'),
           pulse_internal.tweet_count(i.tweet -> 'public_metrics' -> 'reply_count'),
           pulse_internal.tweet_count(i.tweet -> 'public_metrics' -> 'quote_count'),
           mr.rules
      FROM tweets_oracle.records l
     CROSS JOIN LATERAL tweets_oracle.twitter_v2_items(l.payload) AS i
     CROSS JOIN LATERAL (
            SELECT k.id, k.payload_time, k.id_time, k.stated,
                   -- the key: the id's time, else (an id from before snowflakes) the claim
                   coalesce(k.id_time, k.payload_time) AS created_at,
                   tweets_oracle.tweet_stated_time(k.stated, false) AS observed_at,
                   jsonb_typeof(i.tweet -> 'entities') = 'object' AS ents
              FROM (SELECT j.id, j.payload_time, pulse_internal.tweet_snowflake_time(j.id) AS id_time,
                           -- twarc's metadata: on each flattened tweet, else on the response
                           coalesce(nullif(i.tweet -> '__twarc' -> 'retrieved_at', 'null'),
                                    nullif(l.payload -> '__twarc' -> 'retrieved_at', 'null')) AS stated
                      FROM (SELECT pulse_internal.tweet_bigint(i.tweet -> 'id') AS id,
                                   pulse_internal.tweet_time(i.tweet ->> 'created_at') AS payload_time) AS j) AS k
            -- OFFSET 0: computed once per item and passed on as plain values,
            -- so tweet_problem and tweet_note (whose arguments they are, each
            -- used more than once) are inlined instead of run as SQL calls
            OFFSET 0) AS f
     CROSS JOIN LATERAL (
            SELECT (SELECT pulse_internal.tweet_bigint(rt -> 'id')
                      FROM jsonb_array_elements(tweets_oracle.tweet_array(i.tweet -> 'referenced_tweets')) AS rt
                     WHERE rt ->> 'type' = 'retweeted' LIMIT 1) AS rt_id) AS r
     -- A retweet's own text is cut at 140 characters; the original, when the
     -- page carries it as an expansion, gives the full text and entities.
     LEFT JOIN LATERAL (
            SELECT t AS orig,
                   (SELECT u ->> 'username' FROM jsonb_array_elements(tweets_oracle.tweet_array(i.includes -> 'users')) AS u
                     WHERE u ->> 'id' = t ->> 'author_id' LIMIT 1) AS orig_user
              FROM jsonb_array_elements(tweets_oracle.tweet_array(i.includes -> 'tweets')) AS t
             WHERE r.rt_id IS NOT NULL AND pulse_internal.tweet_bigint(t -> 'id') = r.rt_id
             LIMIT 1) AS o ON true
     CROSS JOIN LATERAL (
            SELECT CASE WHEN jsonb_typeof(i.tweet -> 'entities') = 'object' THEN i.tweet -> 'entities' END AS own,
                   o.orig -> 'entities' AS orig) AS e
     -- matched_rules (pulse_internal.tweet_rules, written out here: a
     -- function with a subquery is never inlined, and a call per item cost
     -- more than the rest of the projection)
     CROSS JOIN LATERAL (
            SELECT CASE WHEN jsonb_typeof(i.rules) = 'array' THEN ARRAY(
                     SELECT DISTINCT coalesce(nullif(r ->> 'tag', ''), r ->> 'id')
                       FROM jsonb_array_elements(i.rules) AS r
                      WHERE jsonb_typeof(r) = 'object' AND coalesce(nullif(r ->> 'tag', ''), r ->> 'id') IS NOT NULL
                      ORDER BY 1) END AS rules) AS mr
$fn$;
CREATE FUNCTION tweets_oracle.old_v1() RETURNS SETOF tweets_oracle.stage_row
LANGUAGE sql STABLE AS $fn$
  SELECT l.seq, i.ord, coalesce(f.observed_at, l.received_at),
           tweets_oracle.tweet_problem(l.seq, i.ord, i.problem, i.tweet, f.id, f.payload_time, f.created_at,
                                        f.stated_key, f.stated, f.observed_at, l.received_at, 'statuses', 'status', 'id_str or id'),
           coalesce(i.tweet, l.payload),
           tweets_oracle.tweet_note(l.seq, i.ord, f.id, f.payload_time, f.id_time, 'statuses', 'status'),
           f.id, f.created_at,
           coalesce(pulse_internal.tweet_bigint(i.tweet -> 'user' -> 'id_str'), pulse_internal.tweet_bigint(i.tweet -> 'user' -> 'id')),
           CASE WHEN f.rs IS NOT NULL AND f.rs -> 'user' ->> 'screen_name' IS NOT NULL
                THEN 'RT @' || (f.rs -> 'user' ->> 'screen_name') || ': '
                     || coalesce(f.rs -> 'extended_tweet' ->> 'full_text', f.rs ->> 'full_text', f.rs ->> 'text')
                ELSE coalesce(i.tweet -> 'extended_tweet' ->> 'full_text', i.tweet ->> 'full_text', i.tweet ->> 'text') END,
           i.tweet ->> 'lang',
           CASE WHEN e.own IS NOT NULL THEN pulse_internal.tweet_tags(tweets_oracle.tweet_array(e.own -> 'hashtags') || tweets_oracle.tweet_array(e.orig -> 'hashtags'), 'text', '#＃') END,
           CASE WHEN e.own IS NOT NULL THEN pulse_internal.tweet_tags(tweets_oracle.tweet_array(e.own -> 'symbols') || tweets_oracle.tweet_array(e.orig -> 'symbols'), 'text', '$') END,
           CASE WHEN e.own IS NOT NULL THEN pulse_internal.tweet_tags(tweets_oracle.tweet_array(e.own -> 'user_mentions') || tweets_oracle.tweet_array(e.orig -> 'user_mentions'), 'screen_name', '@') END,
           -- A v1.1 status always carries retweeted_status when it is a retweet.
           f.rs IS NOT NULL,
           coalesce(pulse_internal.tweet_bigint(f.rs -> 'id_str'), pulse_internal.tweet_bigint(f.rs -> 'id')),
           pulse_internal.tweet_count(i.tweet -> 'retweet_count'),
           pulse_internal.tweet_count(i.tweet -> 'favorite_count'),
           pulse_internal.tweet_count(i.tweet -> 'reply_count'),
           pulse_internal.tweet_count(i.tweet -> 'quote_count'),
           mr.rules
      FROM tweets_oracle.records l
     CROSS JOIN LATERAL tweets_oracle.twitter_v1_items(l.payload) AS i
     CROSS JOIN LATERAL (
            SELECT k.id, k.payload_time, k.id_time, k.stated, k.stated_key,
                   coalesce(k.id_time, k.payload_time) AS created_at,
                   tweets_oracle.tweet_stated_time(k.stated, k.stated_key = 'timestamp_ms') AS observed_at,
                   CASE WHEN jsonb_typeof(i.tweet -> 'retweeted_status') = 'object' THEN i.tweet -> 'retweeted_status' END AS rs
              FROM (SELECT j.id, j.payload_time, pulse_internal.tweet_snowflake_time(j.id) AS id_time,
                           coalesce(j.twarc, j.ts_ms) AS stated,
                           CASE WHEN j.twarc IS NOT NULL THEN '__twarc.retrieved_at' ELSE 'timestamp_ms' END AS stated_key
                      FROM (SELECT coalesce(pulse_internal.tweet_bigint(i.tweet -> 'id_str'), pulse_internal.tweet_bigint(i.tweet -> 'id')) AS id,
                                   pulse_internal.tweet_time(i.tweet ->> 'created_at') AS payload_time,
                                   -- twarc's metadata (on the status, else on the response), else
                                   -- the time the streaming API delivered the status
                                   coalesce(nullif(i.tweet -> '__twarc' -> 'retrieved_at', 'null'),
                                            nullif(l.payload -> '__twarc' -> 'retrieved_at', 'null')) AS twarc,
                                   nullif(i.tweet -> 'timestamp_ms', 'null') AS ts_ms) AS j) AS k
            -- OFFSET 0: computed once per item and passed on as plain values,
            -- so tweet_problem and tweet_note (whose arguments they are, each
            -- used more than once) are inlined instead of run as SQL calls
            OFFSET 0) AS f
     -- Entities of the full text: extended_tweet's when the status was cut.
     CROSS JOIN LATERAL (
            SELECT CASE WHEN jsonb_typeof(coalesce(i.tweet -> 'extended_tweet' -> 'entities', i.tweet -> 'entities')) = 'object'
                        THEN coalesce(i.tweet -> 'extended_tweet' -> 'entities', i.tweet -> 'entities') END AS own,
                   coalesce(f.rs -> 'extended_tweet' -> 'entities', f.rs -> 'entities') AS orig) AS e
     -- matched_rules (pulse_internal.tweet_rules, written out here: a
     -- function with a subquery is never inlined, and a call per item cost
     -- more than the rest of the projection)
     CROSS JOIN LATERAL (
            SELECT CASE WHEN jsonb_typeof(i.tweet -> 'matching_rules') = 'array' THEN ARRAY(
                     SELECT DISTINCT coalesce(nullif(r ->> 'tag', ''), r ->> 'id')
                       FROM jsonb_array_elements(i.tweet -> 'matching_rules') AS r
                      WHERE jsonb_typeof(r) = 'object' AND coalesce(nullif(r ->> 'tag', ''), r ->> 'id') IS NOT NULL
                      ORDER BY 1) END AS rules) AS mr
$fn$;

CREATE FUNCTION tweets_oracle.new_v2() RETURNS SETOF tweets_oracle.stage_row
LANGUAGE sql STABLE AS $$
  SELECT r.* FROM tweets_oracle.records l
   CROSS JOIN LATERAL pulse_internal.twitter_v2_rows(l.payload, l.received_at, l.seq, true) AS r
$$;
CREATE FUNCTION tweets_oracle.new_v1() RETURNS SETOF tweets_oracle.stage_row
LANGUAGE sql STABLE AS $$
  SELECT r.* FROM tweets_oracle.records l
   CROSS JOIN LATERAL pulse_internal.twitter_v1_rows(l.payload, l.received_at, l.seq, true) AS r
$$;

-- The projection as batches stage it, over landing chunks (each record
-- read from its text where that gives the same rows, else as jsonb): the
-- rows of every record, alone in a chunk and together in chunks of the
-- records that share a landing time, against the rows of its jsonb with
-- every_raw false. Prints the rows and how many differ (or are missing on
-- either side).
CREATE FUNCTION tweets_oracle.chunks_agree(fmt text)
RETURNS TABLE(n bigint, wrong_alone bigint, wrong_together bigint)
LANGUAGE sql STABLE AS $$
  WITH d AS (SELECT r.* FROM tweets_oracle.records l
              CROSS JOIN LATERAL pulse_internal.twitter_v2_rows(l.payload, l.received_at, l.seq) AS r
              WHERE fmt = 'twitter_v2'
             UNION ALL
             SELECT r.* FROM tweets_oracle.records l
              CROSS JOIN LATERAL pulse_internal.twitter_v1_rows(l.payload, l.received_at, l.seq) AS r
              WHERE fmt = 'twitter_v1'),
       a AS (SELECT r.* FROM tweets_oracle.records l
              CROSS JOIN LATERAL pulse_internal.tweet_chunk_rows('twitter_v2', '[' || l.payload::text || ']', l.received_at, l.seq) AS r
              WHERE fmt = 'twitter_v2'
             UNION ALL
             SELECT r.* FROM tweets_oracle.records l
              CROSS JOIN LATERAL pulse_internal.tweet_chunk_rows('twitter_v1', '[' || l.payload::text || ']', l.received_at, l.seq) AS r
              WHERE fmt = 'twitter_v1'),
       -- Chunks: runs of consecutive seqs with one landing time.
       g AS (SELECT l.received_at, l.seq, l.payload,
                    l.seq - row_number() OVER (PARTITION BY l.received_at ORDER BY l.seq) AS run
               FROM tweets_oracle.records l),
       c AS (SELECT g.received_at, min(g.seq)::int AS first_seq,
                    '[' || string_agg(g.payload::text, ', ' ORDER BY g.seq) || ']' AS payloads
               FROM g GROUP BY g.received_at, g.run),
       t AS (SELECT r.* FROM c
              CROSS JOIN LATERAL pulse_internal.tweet_chunk_rows('twitter_v2', c.payloads, c.received_at, c.first_seq) AS r
              WHERE fmt = 'twitter_v2'
             UNION ALL
             SELECT r.* FROM c
              CROSS JOIN LATERAL pulse_internal.tweet_chunk_rows('twitter_v1', c.payloads, c.received_at, c.first_seq) AS r
              WHERE fmt = 'twitter_v1')
  SELECT count(*),
         count(*) FILTER (WHERE d.seq IS NULL OR a.seq IS NULL OR to_jsonb(a) IS DISTINCT FROM to_jsonb(d)),
         count(*) FILTER (WHERE d.seq IS NULL OR t.seq IS NULL OR to_jsonb(t) IS DISTINCT FROM to_jsonb(d))
    FROM d FULL JOIN a ON a.seq = d.seq AND a.ord = d.ord
           FULL JOIN t ON t.seq = coalesce(d.seq, a.seq) AND t.ord = coalesce(d.ord, a.ord)
$$;

-- The projection as batches run it (every_raw false): the same rows, with
-- raw only in those that have a problem or a note (the rest get theirs only
-- if the batch's SQL notes them later, pulse_internal.tweets_fill_raw).
-- Prints the rows, how many carry raw, and how many differ otherwise.
CREATE FUNCTION tweets_oracle.raw_where_noted(fmt text)
RETURNS TABLE(n bigint, noted bigint, with_raw bigint, wrong bigint)
LANGUAGE sql STABLE AS $$
  WITH e AS (SELECT * FROM tweets_oracle.new_v2() WHERE fmt = 'twitter_v2'
             UNION ALL SELECT * FROM tweets_oracle.new_v1() WHERE fmt = 'twitter_v1'),
       d AS (SELECT r.* FROM tweets_oracle.records l
              CROSS JOIN LATERAL pulse_internal.twitter_v2_rows(l.payload, l.received_at, l.seq) AS r
              WHERE fmt = 'twitter_v2'
             UNION ALL
             SELECT r.* FROM tweets_oracle.records l
              CROSS JOIN LATERAL pulse_internal.twitter_v1_rows(l.payload, l.received_at, l.seq) AS r
              WHERE fmt = 'twitter_v1')
  SELECT count(*), count(*) FILTER (WHERE e.problem IS NOT NULL OR e.note IS NOT NULL), count(d.raw),
         count(*) FILTER (WHERE e.seq IS NULL OR d.seq IS NULL
                             OR d.raw IS DISTINCT FROM CASE WHEN e.problem IS NOT NULL OR e.note IS NOT NULL THEN e.raw END
                             OR to_jsonb(d) - 'raw' IS DISTINCT FROM to_jsonb(e) - 'raw')
    FROM e FULL JOIN d ON d.seq = e.seq AND d.ord = e.ord
$$;

-- Rows of one projection that the other lacks (as many times as they are
-- missing), and how many rows each gave.
CREATE FUNCTION tweets_oracle.compare(fmt text)
RETURNS TABLE(side text, n bigint, problems bigint, notes bigint, retweets bigint, with_tags bigint, with_rules bigint)
LANGUAGE plpgsql AS $fn$
BEGIN
  CREATE TEMP TABLE old_rows ON COMMIT DROP AS
    SELECT * FROM (SELECT * FROM tweets_oracle.old_v2() WHERE fmt = 'twitter_v2'
                   UNION ALL SELECT * FROM tweets_oracle.old_v1() WHERE fmt = 'twitter_v1') AS o;
  CREATE TEMP TABLE new_rows ON COMMIT DROP AS
    SELECT * FROM (SELECT * FROM tweets_oracle.new_v2() WHERE fmt = 'twitter_v2'
                   UNION ALL SELECT * FROM tweets_oracle.new_v1() WHERE fmt = 'twitter_v1') AS o;
  RETURN QUERY
    SELECT 'old', count(*), count(o.problem), count(o.note), count(*) FILTER (WHERE o.is_retweet),
           count(*) FILTER (WHERE cardinality(o.hashtags) + cardinality(o.cashtags) + cardinality(o.mentions) > 0),
           count(*) FILTER (WHERE cardinality(o.matched_rules) > 0)
      FROM old_rows o
    UNION ALL
    SELECT 'only old', count(*), NULL, NULL, NULL, NULL, NULL FROM (TABLE old_rows EXCEPT ALL TABLE new_rows) AS d
    UNION ALL
    SELECT 'only new', count(*), NULL, NULL, NULL, NULL, NULL FROM (TABLE new_rows EXCEPT ALL TABLE old_rows) AS d;
  -- what differs, to read in the diff when they do
  RETURN QUERY
    SELECT 'old: ' || row_to_json(d)::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint
      FROM (SELECT * FROM (TABLE old_rows EXCEPT ALL TABLE new_rows) AS x ORDER BY seq, ord LIMIT 3) AS d
    UNION ALL
    SELECT 'new: ' || row_to_json(d)::text, NULL, NULL, NULL, NULL, NULL, NULL
      FROM (SELECT * FROM (TABLE new_rows EXCEPT ALL TABLE old_rows) AS x ORDER BY seq, ord LIMIT 3) AS d;
END
$fn$;

-- Seed records of both formats: every branch the projections take.
CREATE TABLE tweets_oracle.seeds (fmt text, doc jsonb);
INSERT INTO tweets_oracle.seeds VALUES
('twitter_v2', $j${"data":{"id":"1578516068309794817","created_at":"2022-10-07T22:42:12.000Z",
  "author_id":"2244994945","lang":"en","text":"short cut text…",
  "note_tweet":{"text":"The long post about #Bitcoin and $BTC by @Alice, really #BITCOIN"},
  "entities":{"hashtags":[{"start":1,"end":8,"tag":"Bitcoin"},{"tag":"BITCOIN"},{"tag":"＃Äbc"}],
              "cashtags":[{"tag":"BTC"}],"mentions":[{"username":"Alice","id":"1"}]},
  "public_metrics":{"retweet_count":3,"reply_count":1,"like_count":10,"quote_count":0,"impression_count":99}},
  "matching_rules":[{"id":"1578","tag":"btc talk"},{"id":"1579"},{"id":"1580","tag":""},{"id":"9","tag":"Btc"},{"tag":"a"},{"tag":"B"}]}$j$),
('twitter_v2', $j${"data":{"id":"1394735776701816833","created_at":"2021-05-18T19:24:56.000Z",
  "text":"RT @bibaigna96: #POIUYTREWQ and a long tail that X cut at 140 charac…","author_id":"1379899464345923590","lang":"und",
  "entities":{"hashtags":[{"tag":"POIUYTREWQ"}],"mentions":[{"username":"bibaigna96"}]},
  "referenced_tweets":[{"type":"quoted","id":"1"},{"type":"retweeted","id":"1391677057810288641"}],
  "public_metrics":{"retweet_count":1,"reply_count":0,"like_count":0,"quote_count":0},
  "__twarc":{"retrieved_at":"2021-05-18T19:30:00+00:00"}},
  "includes":{"users":[{"id":"1","username":"other"},{"id":"1380086327023169540","username":"bibaigna96"}],
              "tweets":[{"id":"1","author_id":"1"},{"id":"1391677057810288641","author_id":"1380086327023169540","created_at":"2021-05-10T08:50:41.000Z",
                         "text":"#POIUYTREWQ and a long tail that X cut at 140 characters, here whole #Tail",
                         "note_tweet":{"text":"the whole note #Note"},
                         "entities":{"hashtags":[{"tag":"POIUYTREWQ"},{"tag":"Tail"}],"cashtags":[{"tag":"$X"}],"mentions":[{"username":"@Zed"}]}}]},
  "matching_rules":[{"id":"7","tag":"poi"}]}$j$),
('twitter_v2', $j${"data":[{"id":"1800000000000000000","created_at":"2024-06-10T03:00:17.000Z","text":"gm",
    "public_metrics":{"retweet_count":10,"like_count":100,"reply_count":1,"quote_count":0}},
   {"id":"20","created_at":"2009-01-01T00:00:00.000Z","text":"old"},
   {"id":"21","created_at":"2012-01-01T00:00:00.000Z","text":"old id, new claim"},
   {"id":"1700000000000000004","created_at":"2023-08-08T08:08:08.000Z","text":"bad counts",
    "public_metrics":{"retweet_count":-1,"like_count":1e3,"reply_count":"x","quote_count":99999999999}}],
  "meta":{"result_count":4},
  "__twarc":{"url":"https://api.twitter.com/2/tweets/search/all","version":"2.14.0","retrieved_at":"2024-06-12T08:00:00+00:00"}}$j$),
('twitter_v2', '{"id":"1600000000000000000","created_at":"2022-12-06T06:00:00.000Z","text":"flattened","author_id":5,"entities":{"hashtags":[]},"__twarc":{"retrieved_at":"2022-12-06T07:00:00Z"},"matching_rules":[{"id":1}]}'),
('twitter_v2', '{"errors":[{"title":"operational-disconnect","detail":"This stream has been disconnected."},{"message":"m"},{},7]}'),
('twitter_v2', '{"meta":{"result_count":0}}'),
('twitter_v2', '{"data":null}'),
('twitter_v2', '{"foo":"bar"}'),
('twitter_v1', $j${"created_at":"Fri Jul 12 23:48:32 +0000 2019","id":1149827914406539264,
  "id_str":"1149827914406539264","text":"Truncated text about #Crypto and $ETH… https://t.co/x","truncated":true,
  "user":{"id":783214,"id_str":"783214","screen_name":"Twitter"},"lang":"en",
  "entities":{"hashtags":[{"text":"Crypto","indices":[22,29]}],"symbols":[{"text":"ETH"}],"user_mentions":[]},
  "extended_tweet":{"full_text":"Full text about #Crypto and $ETH and #DeFi with @Bob.",
    "entities":{"hashtags":[{"text":"Crypto"},{"text":"DeFi"}],"symbols":[{"text":"ETH"}],"user_mentions":[{"screen_name":"Bob","id_str":"5"}]}},
  "retweet_count":12,"favorite_count":34,"reply_count":5,"quote_count":6,"timestamp_ms":"1562975312221",
  "matching_rules":[{"tag":"x","id":1},{"id":"2"}]}$j$),
('twitter_v1', $j${"created_at":"Sat Jul 13 01:09:55 +0000 2019","id_str":"1149848395880738816",
  "text":"RT @Twitter: Full text about #Crypto…",
  "user":{"id_str":"12","screen_name":"someone"},"lang":"en",
  "entities":{"hashtags":[{"text":"Crypto"}],"symbols":[{"text":"ETH"}],"user_mentions":[{"screen_name":"Twitter"}]},
  "retweeted_status":{"created_at":"Fri Jul 12 23:48:32 +0000 2019","id_str":"1149827914406539264","id":1149827914406539264,
    "text":"Truncated text about #Crypto and $ETH…","full_text":"full","truncated":true,"user":{"id_str":"783214","screen_name":"Twitter"},
    "extended_tweet":{"full_text":"Full text about #Crypto and $ETH and #DeFi with @Bob.",
      "entities":{"hashtags":[{"text":"Crypto"},{"text":"DeFi"}],"symbols":[{"text":"ETH"}],"user_mentions":[{"screen_name":"Bob"}]}},
    "entities":{"hashtags":[{"text":"Other"}]}},
  "retweet_count":0,"favorite_count":0,"timestamp_ms":1562980195000}$j$),
('twitter_v1', $j${"statuses":[{"created_at":"Sun Jul 14 09:42:20 +0000 2019","id_str":"1150339736120209408",
  "full_text":"tweet_mode=extended gives full_text #hodl","user":{"id":13,"screen_name":"x"},
  "entities":{"hashtags":[{"text":"HODL"}],"symbols":[],"user_mentions":[]},"retweet_count":1,"favorite_count":2},
  {"created_at":"Sun Jul 14 09:42:20 +0000 2010","id":30,"text":"old"}],
  "search_metadata":{"count":2},"__twarc":{"retrieved_at":"2019-07-15T00:00:00+00:00"}}$j$),
('twitter_v1', '{"delete":{"status":{"id":1,"id_str":"1","user_id":3,"user_id_str":"3"},"timestamp_ms":"1562974837000"}}'),
('twitter_v1', '{"errors":[{"code":88,"message":"Rate limit exceeded"},{"title":"t"},[]]}'),
('twitter_v1', '{"text":"no id at all","created_at":"Sun Jul 14 09:42:20 +0000 2019"}'),
('twitter_v1', '{}');

-- Values put in place of others: wrong types, numbers that are not ids or
-- counts, impossible or far times, sigils and case, long and deep values.
CREATE TABLE tweets_oracle.hostile (v jsonb);
INSERT INTO tweets_oracle.hostile
SELECT v::jsonb FROM unnest(ARRAY[
  'null', 'true', 'false', '0', '-1', '1.5', '1.0', '1e3', '1e30', '-0.0', '99999999999', '2147483647', '2147483648',
  '-9223372036854775808', '9223372036854775807', '9223372036854775808', '18446744073709551616',
  '"1600000000000000000"', '"1600000000000000000.0"', '1600000000000000000', '1600000000000000000.0', '1.6e18',
  '"362387865600000000"', '362387865599999999', '"20"', '"abc"', '""', '" 12"', '"0012"', '"+5"', '"-5"', '"1e3"',
  '[]', '{}', '[1, 2]', '"retweeted"', '"referenced_tweets"', '["referenced_tweets", "created_at"]',
  '[{"tag": "#BTC"}, {"tag": "＃Äbc"}, {"tag": "$eth"}, {"username": "@Bob"}, {"tag": ""}, {"tag": 5}, {"text": "İSTANBUL"}, {"screen_name": "ΣΑΣ"}, "x", null]',
  '[{"id": "1", "tag": "b"}, {"id": 2}, {"tag": "a"}, {"tag": "B"}, {"tag": "a"}, {"tag": ""}, {"tag": null, "id": null}, "x", null, {"tag": {"k": 1}}, {"tag": ["é"]}]',
  '[{"type": "retweeted", "id": "1391677057810288641"}]', '[{"type": "retweeted"}, {"type": "retweeted", "id": "5"}]',
  '[{"id": "1391677057810288641", "author_id": 1380086327023169540, "text": "num author"}]',
  '[{"id": 1380086327023169540, "username": "numeric id"}, {"id": "1380086327023169540"}]',
  '"2022-02-30T00:00:00.000Z"', '"2022-12-06T06:00:00.000Z"', '"2022-12-06T06:00:03.000Z"', '"2010-11-04T00:00:00Z"',
  '"2010-11-05T01:42:54Z"', '"Fri Jul 12 23:40:37 +0000 2019"', '"Fri Jul 12 23:40:37 +0100 2019"', '"2099-01-01T00:00:00Z"',
  '"9999-12-31T23:59:59Z"', '"0001-01-01T00:00:00Z"', '"2024-06-12T08:00:00+00:00"', '"2024-06-12T08:00:00.123456+05:30"',
  '"1562975312221"', '1562975312221', '1562975312221.5', '1562975312221.000', '999999999999999', '1000000000000000',
  '"999999999999999"', '"1000000000000000"', '-1562975312221', '"2024-06-12"',
  '"\u00e9\u0130K\u212a"', '"😀 emoji \ud83d\ude00"', '"tab\tnew\nline \"quoted\" back\\slash"',
  '{"text": "nested text", "full_text": 5, "entities": {"hashtags": [{"text": "N"}]}, "user": {"screen_name": "sn"}, "id_str": "7"}',
  '{"retrieved_at": "2024-06-12T08:00:00+00:00"}', '{"retrieved_at": 5}', '{"retrieved_at": null}',
  '{"hashtags": [{"tag": "H"}, {"text": "T"}], "symbols": [{"text": "S"}], "user_mentions": [{"screen_name": "M"}], "cashtags": [{"tag": "C"}], "mentions": [{"username": "U"}]}'
]) AS v
UNION ALL SELECT (repeat('[', 1000) || repeat(']', 1000))::jsonb
UNION ALL SELECT (repeat('{"a":', 1000) || '1' || repeat('}', 1000))::jsonb
UNION ALL SELECT to_jsonb(repeat('long text ', 20000));

-- A long array whose elements fit every list the projections read (tags,
-- referenced tweets, expansions, rules, tweets): put at fixed paths in
-- part 4, not among the mutations (each would multiply the rows).
CREATE TABLE tweets_oracle.long_array AS
SELECT jsonb_agg(jsonb_build_object('tag', 'T' || (i % 7), 'text', 'X' || (i % 5), 'type', 'retweeted',
                                    'id', (1391677057810288641 - 5000 + i)::text, 'username', 'u' || i,
                                    'screen_name', 'S' || (i % 3), 'author_id', '1380086327023169540',
                                    'created_at', '2021-05-10T08:50:41.000Z') ORDER BY i) AS v
  FROM generate_series(1, 5000) AS i;

-- Every path in a document (array elements by index).
CREATE FUNCTION tweets_oracle.paths(d jsonb) RETURNS SETOF text[]
LANGUAGE sql IMMUTABLE AS $$
  WITH RECURSIVE p(path, v) AS (
    SELECT ARRAY[]::text[], d
    UNION ALL
    SELECT p.path || c.k, c.v
      FROM p, LATERAL (SELECT e.key AS k, e.value AS v
                         FROM jsonb_each(CASE WHEN jsonb_typeof(p.v) = 'object' THEN p.v END) AS e
                       UNION ALL
                       SELECT (a.o - 1)::text, a.e
                         FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.v) = 'array' THEN p.v END) WITH ORDINALITY AS a(e, o)) AS c
     WHERE cardinality(p.path) < 8)
  SELECT path FROM p
$$;

-- A mutant of d: at a random path, a hostile value, another value of the
-- same document, or nothing (the key deleted); `steps` times.
CREATE FUNCTION tweets_oracle.mutate(d jsonb, steps int) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
  path text[];
  v jsonb;
  r float8;
BEGIN
  FOR i IN 1..steps LOOP
    SELECT p INTO path FROM tweets_oracle.paths(d) AS p ORDER BY random() LIMIT 1;
    r := random();
    IF r < 0.6 THEN
      SELECT h.v INTO v FROM tweets_oracle.hostile h ORDER BY random() LIMIT 1;
    ELSIF r < 0.8 THEN
      SELECT d #> p INTO v FROM tweets_oracle.paths(d) AS p ORDER BY random() LIMIT 1;
    ELSE
      v := NULL;
    END IF;
    IF cardinality(path) = 0 THEN
      d := coalesce(v, d);
    ELSIF v IS NULL THEN
      d := d #- path;
    ELSE
      d := jsonb_set(d, path, v);
    END IF;
  END LOOP;
  RETURN d;
END
$fn$;

-- The landing times the records arrive at: around the seeds' own times, so
-- the time checks (observed after landing, created after observed) go both
-- ways, and the ends of timestamptz.
CREATE TABLE tweets_oracle.received (k int, t timestamptz);
INSERT INTO tweets_oracle.received VALUES
  (0, '2024-06-12 08:00:30+00'), (1, '2022-10-07 22:42:12+00'), (2, '2021-05-18 19:30:30+00'),
  (3, '2019-07-13 01:10:00+00'), (4, '2030-01-01 00:00:00+00'), (5, '2010-01-01 00:00:00+00'),
  (6, 'infinity'), (7, '-infinity'), (8, '1999-12-31 23:59:59.999999+00');

-- 1. The seeds as they are, at every landing time.
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records
SELECT row_number() OVER ()::int, r.t, s.doc FROM tweets_oracle.seeds s, tweets_oracle.received r WHERE s.fmt = 'twitter_v2';
SELECT * FROM tweets_oracle.compare('twitter_v2');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v2');
SELECT * FROM tweets_oracle.raw_where_noted('twitter_v2');
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records
SELECT row_number() OVER ()::int, r.t, s.doc FROM tweets_oracle.seeds s, tweets_oracle.received r WHERE s.fmt = 'twitter_v1';
SELECT * FROM tweets_oracle.compare('twitter_v1');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v1');
SELECT * FROM tweets_oracle.raw_where_noted('twitter_v1');

-- 2. Mutants: 1,000 of each format, one to four mutations each.
SELECT setseed(0.1717);
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records
SELECT g, (SELECT r.t FROM tweets_oracle.received r WHERE r.k = (g * 7) % 6),
       tweets_oracle.mutate((SELECT s.doc FROM tweets_oracle.seeds s WHERE s.fmt = 'twitter_v2' ORDER BY random() + g * 0 LIMIT 1), 1 + g % 4)
  FROM generate_series(1, 1000) AS g;
SELECT * FROM tweets_oracle.compare('twitter_v2');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v2');
SELECT * FROM tweets_oracle.raw_where_noted('twitter_v2');
SELECT setseed(0.4242);
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records
SELECT g, (SELECT r.t FROM tweets_oracle.received r WHERE r.k = (g * 7) % 6),
       tweets_oracle.mutate((SELECT s.doc FROM tweets_oracle.seeds s WHERE s.fmt = 'twitter_v1' ORDER BY random() + g * 0 LIMIT 1), 1 + g % 4)
  FROM generate_series(1, 1000) AS g;
SELECT * FROM tweets_oracle.compare('twitter_v1');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v1');
SELECT * FROM tweets_oracle.raw_where_noted('twitter_v1');

-- 3. Hostile values as whole records.
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records SELECT row_number() OVER ()::int, '2024-06-12 08:00:30+00', h.v FROM tweets_oracle.hostile h;
SELECT * FROM tweets_oracle.compare('twitter_v2');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v2');
SELECT * FROM tweets_oracle.compare('twitter_v1');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v1');
SELECT * FROM tweets_oracle.raw_where_noted('twitter_v2');
SELECT * FROM tweets_oracle.raw_where_noted('twitter_v1');

-- 4. The long array in every list of the two retweet seeds (the second of
-- each format), one record per path.
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records
SELECT row_number() OVER ()::int, '2024-06-12 08:00:30+00', jsonb_set(s.doc, p.path, a.v)
  FROM (SELECT doc FROM tweets_oracle.seeds WHERE fmt = 'twitter_v2' AND doc -> 'data' ? 'referenced_tweets') AS s,
       tweets_oracle.long_array a,
       (VALUES ('{data}'::text[]), ('{data,entities,hashtags}'), ('{data,entities,mentions}'), ('{data,referenced_tweets}'),
               ('{includes,tweets}'), ('{includes,users}'), ('{matching_rules}')) AS p(path);
SELECT * FROM tweets_oracle.compare('twitter_v2');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v2');
TRUNCATE tweets_oracle.records;
INSERT INTO tweets_oracle.records
SELECT row_number() OVER ()::int, '2024-06-12 08:00:30+00', jsonb_set(s.doc, p.path, a.v)
  FROM (SELECT doc FROM tweets_oracle.seeds WHERE fmt = 'twitter_v1' AND doc ? 'retweeted_status') AS s,
       tweets_oracle.long_array a,
       (VALUES ('{entities,hashtags}'::text[]), ('{retweeted_status,extended_tweet,entities,user_mentions}'),
               ('{matching_rules}'), ('{statuses}')) AS p(path);
SELECT * FROM tweets_oracle.compare('twitter_v1');
SELECT * FROM tweets_oracle.chunks_agree('twitter_v1');

-- 5. Texts that jsonb reads one way and a plain JSON reader could read
-- another (the chunk functions read a record's text; jsonb's text, as
-- parts 1-4 give it, has none of these): duplicate keys (jsonb keeps the
-- last), escapes (in keys too, surrogate pairs, \u0000 and lone surrogates
-- that jsonb refuses), numbers written as numeric prints them otherwise,
-- integers past 64 bits, containers and booleans where text is read, deep
-- nesting, white space. Each text alone in a chunk against its jsonb's rows.
CREATE TABLE tweets_oracle.texts (k serial, fmt text, body text);
INSERT INTO tweets_oracle.texts (fmt, body) VALUES
  ('twitter_v2', '{"data": {"id": "1", "id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "a", "text": "b"}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "text": "x"}, "data": {"id": "1800000000000000001", "created_at": "2024-06-12T08:00:00.000Z", "text": "y"}}'),
  ('twitter_v2', '{"d\u0061ta": {"\u0069d": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "caf\u00e9 \ud83d\ude00 \u0041"}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "tab\tand\\backslash \"quoted\" \/ \b\f\n\r",
     "entities": {"hashtags": [{"tag": "\u00c9T\u00c9"}, {"tag": "\uff03Caf\u00c9"}, {"tag": "#\ud83d\ude00"}]}}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "n",
     "public_metrics": {"retweet_count": 1e1, "like_count": 5.0, "reply_count": -0, "quote_count": 1E+2}}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "n",
     "public_metrics": {"retweet_count": 18446744073709551616, "like_count": 2147483648, "reply_count": 0.0, "quote_count": 9223372036854775807}}}'),
  ('twitter_v2', '{"data": {"id": 1800000000000000000, "created_at": "2024-06-12T08:00:00.000Z", "author_id": 1.8e18, "text": "n"}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": {"b": 1, "a": [true]}, "lang": 12}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": true, "lang": false, "author_id": null}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": 1.50, "lang": 1e-3}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "r",
     "referenced_tweets": [{"type": "retweeted", "id": 1700000000000000000}, {"type": "retweeted", "id": "2"}]},
     "includes": {"tweets": [{"id": "1700000000000000000", "author_id": 7, "text": "orig"}], "users": [{"id": "7", "username": "u", "username": "w"}]},
     "matching_rules": [{"id": 3, "tag": ""}, {"id": "2", "tag": "b"}, {"tag": "a", "tag": "c"}, {"id": 1e0}]}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "t",
     "referenced_tweets": ["referenced_tweets"]}, "matching_rules": "x"}'),
  ('twitter_v2', ' { "data" :[ {"id":"1800000000000000000","created_at":"2024-06-12T08:00:00.000Z","text":"w"} , {"id":"1800000000000000001"} ] } '),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "deep", "x": '
                 || repeat('[', 1500) || repeat(']', 1500) || '}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "text": "big", "x": 1e400}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": 1718179200, "text": "num time"}}'),
  ('twitter_v2', '{"data": {"id": "1800000000000000000", "created_at": "2024-06-12T08:00:00.000Z", "__twarc": {"retrieved_at": 1.5}, "text": "t"}}'),
  ('twitter_v2', '{"errors": [{"title": 1.0, "detail": {"a": 1}}], "errors": [{"title": "t", "detail": "d"}]}'),
  ('twitter_v2', '{"meta": {}, "meta": null}'),
  ('twitter_v2', '[1, 2]'),
  ('twitter_v2', '"\u00e9"'),
  ('twitter_v1', '{"delete": {"status": {"id": 1}}, "delete": 2}'),
  ('twitter_v1', '{"delete": 1, "limit": 2}'),
  ('twitter_v1', '{"id_str": "1800000000000000000", "id": 5, "created_at": "Wed Jun 12 08:00:00 +0000 2024", "timestamp_ms": "1718179200000",
     "text": "s", "favorite_count": 3e0, "retweet_count": 7, "user": {"id": 1.0, "id_str": "9"}}'),
  ('twitter_v1', '{"id": 1800000000000000000, "created_at": "Wed Jun 12 08:00:00 +0000 2024", "timestamp_ms": 1718179200000, "text": "s",
     "entities": {"symbols": [{"text": "BTC"}, {"text": "btc"}], "user_mentions": [{"screen_name": "\u00c5sa"}]}}'),
  ('twitter_v1', '{"id": 1800000000000000000, "created_at": "Wed Jun 12 08:00:00 +0000 2024", "timestamp_ms": 1.7181792e12, "text": "s"}'),
  ('twitter_v1', '{"statuses": [{"id_str": "1800000000000000000", "created_at": "Wed Jun 12 08:00:00 +0000 2024", "text": "a",
     "retweeted_status": {"id_str": "1700000000000000000", "user": {"screen_name": "o"}, "extended_tweet": {"full_text": "full"}}}, 7]}');
SELECT t.k, t.fmt,
       (SELECT count(*) FROM pulse_internal.twitter_v2_rows(t.body::jsonb, '2024-06-12 08:00:30+00', 1)
         WHERE t.fmt = 'twitter_v2')
       + (SELECT count(*) FROM pulse_internal.twitter_v1_rows(t.body::jsonb, '2024-06-12 08:00:30+00', 1)
         WHERE t.fmt = 'twitter_v1') AS n,
       (SELECT array_agg(to_jsonb(r) ORDER BY r.ord) FROM pulse_internal.tweet_chunk_rows('twitter_v2', '[' || t.body || ']', '2024-06-12 08:00:30+00', 1) r
         WHERE t.fmt = 'twitter_v2')
       IS NOT DISTINCT FROM
       (SELECT array_agg(to_jsonb(r) ORDER BY r.ord) FROM pulse_internal.twitter_v2_rows(t.body::jsonb, '2024-06-12 08:00:30+00', 1) r
         WHERE t.fmt = 'twitter_v2')
       AND
       (SELECT array_agg(to_jsonb(r) ORDER BY r.ord) FROM pulse_internal.tweet_chunk_rows('twitter_v1', '[' || t.body || ']', '2024-06-12 08:00:30+00', 1) r
         WHERE t.fmt = 'twitter_v1')
       IS NOT DISTINCT FROM
       (SELECT array_agg(to_jsonb(r) ORDER BY r.ord) FROM pulse_internal.twitter_v1_rows(t.body::jsonb, '2024-06-12 08:00:30+00', 1) r
         WHERE t.fmt = 'twitter_v1') AS same
  FROM tweets_oracle.texts t ORDER BY t.k;
-- The values read from text, shown: duplicates, escapes and numbers as jsonb reads them.
SELECT r.id, r.text, r.hashtags, r.retweet_count, r.like_count, r.reply_count, r.quote_count, r.matched_rules, r.author_id
  FROM tweets_oracle.texts t
 CROSS JOIN LATERAL pulse_internal.tweet_chunk_rows('twitter_v2', '[' || t.body || ']', '2024-06-12 08:00:30+00', 1) r
 WHERE t.fmt = 'twitter_v2' AND t.k IN (1, 2, 3, 4, 5, 6, 7, 11) ORDER BY t.k, r.ord;
-- All of them in one chunk, numbered from 41: the same rows.
SELECT count(*) AS n,
       count(*) FILTER (WHERE a IS NULL OR b IS NULL OR to_jsonb(a) IS DISTINCT FROM to_jsonb(b)) AS wrong
  FROM (SELECT r FROM pulse_internal.tweet_chunk_rows('twitter_v2',
                 (SELECT '[' || string_agg(body, ',' ORDER BY k) || ']' FROM tweets_oracle.texts WHERE fmt = 'twitter_v2'),
                 '2024-06-12 08:00:30+00', 41) r) AS x(a)
  FULL JOIN (SELECT r FROM (SELECT body, 40 + row_number() OVER (ORDER BY k) AS seq FROM tweets_oracle.texts WHERE fmt = 'twitter_v2') t
              CROSS JOIN LATERAL pulse_internal.twitter_v2_rows(t.body::jsonb, '2024-06-12 08:00:30+00', t.seq::int) r) AS y(b)
    ON (a).seq = (b).seq AND (a).ord = (b).ord;
-- What jsonb refuses, the chunk functions refuse with jsonb's error.
SELECT pulse_internal.tweet_chunk_rows('twitter_v2', '[{"data": {"id": "1", "text": "\u0000"}}]', now(), 1);
SELECT pulse_internal.tweet_chunk_rows('twitter_v2', '[{"data": {"id": "1", "text": "\ud800"}}]', now(), 1);
SELECT pulse_internal.tweet_chunk_rows('twitter_v2', '[{"data": {"id": "1", "text": "\udc00\ud800"}}]', now(), 1);
SELECT pulse_internal.tweet_chunk_rows('twitter_v1', '[{"id": 1, "x": 1e999999}]', now(), 1);
SELECT pulse_internal.tweet_chunk_rows('twitter_v1', '[{"id": 1}', now(), 1);
SELECT pulse_internal.tweet_chunk_rows('twitter_v1', '{"id": 1}', now(), 1);
SELECT seq, problem FROM pulse_internal.tweet_chunk_rows('twitter_v1', '[{"id": 1}]', '2024-06-12 08:00:30+00', 2147483647);
SELECT count(*) FROM pulse_internal.tweet_chunk_rows('twitter_v1', '[{"id": 1}, {"id": 2}]', now(), 2147483647);
SELECT count(*) FROM pulse_internal.tweet_chunk_rows('twitter_v1', '[]', now(), 1);
SELECT count(*) FROM pulse_internal.tweet_chunk_rows('twitter_v3', '[]', now(), 1);

RESET search_path;
DROP SCHEMA tweets_oracle CASCADE;

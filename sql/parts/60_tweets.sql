-- Tweet projections (SPEC "Ingestion API", formats twitter_v2 and twitter_v1):
-- landing records of one stream and batch become pulse.tweets rows, merged
-- with pulse.merge semantics, and the records (or tweets inside a page) that
-- cannot be used become pulse.rejects rows. pulse.apply_batch dispatches here.
--
-- Rules, in one place:
-- * one row per tweet id; only the documents' own tweets are rows (a page's
--   `includes.tweets` and v1.1's `retweeted_status` are not);
-- * created_at comes from the payload, else from the snowflake id (the id's
--   top 42 bits are milliseconds since X's epoch 1288834974657, truncated to
--   the second, which is how X prints created_at); a stored row's created_at is
--   never moved by a later record without one;
-- * the version is observed_at, the landing record's received_at: the newest
--   observation of a tweet wins, and a field it lacks (a default-fields search
--   has no metrics or entities) keeps the value already stored; a newer
--   observation that changes nothing is `unchanged` and writes nothing;
-- * matched_rules accumulate over observations (a tweet found by the gap-fill
--   search keeps the rules the stream matched it with).

-- Per-field helpers in C++ (extension/entry/tweets.cpp): the SQL forms of
-- these dominated the projection's cost.
CREATE FUNCTION pulse._tweet_bigint(v jsonb) RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_bigint';
COMMENT ON FUNCTION pulse._tweet_bigint(jsonb) IS
  'Internal to the tweet projections: a JSON string or number holding a non-negative 64-bit integer, else NULL';

CREATE FUNCTION pulse._tweet_count(v jsonb) RETURNS integer
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_count';
COMMENT ON FUNCTION pulse._tweet_count(jsonb) IS
  'Internal to the tweet projections: a JSON count that fits integer, else NULL';

CREATE FUNCTION pulse._tweet_time(text) RETURNS timestamptz
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_time';
COMMENT ON FUNCTION pulse._tweet_time(text) IS
  'X''s created_at in its API v2 (2021-05-18T19:24:56.000Z) or v1.1 (Fri Jul 12 23:40:37 +0000 2019) spelling; NULL when not a valid timestamp';

-- The creation time a snowflake id encodes, to the second; NULL for ids from
-- before snowflakes (2010), which encode no time.
CREATE FUNCTION pulse._tweet_snowflake_time(id bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN id >= (86400000::bigint << 22)
              THEN to_timestamp(((id >> 22) + 1288834974657) / 1000) END
$$;
COMMENT ON FUNCTION pulse._tweet_snowflake_time(bigint) IS
  'The creation time (to the second) encoded in an X snowflake id; NULL for pre-snowflake ids';

-- `v` when it is a JSON array, else an empty one (absent entity lists).
CREATE FUNCTION pulse._tweet_array(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END $$;
COMMENT ON FUNCTION pulse._tweet_array(jsonb) IS
  'Internal to the tweet projections: v if it is a JSON array, else []';

-- The `field` of each object in an entity list, lower case, without the
-- leading sigils in `strip`, deduplicated in order of first appearance; {}
-- when `list` is not an array.
CREATE FUNCTION pulse._tweet_tags(list jsonb, field text, strip text) RETURNS text[]
LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_tags';
COMMENT ON FUNCTION pulse._tweet_tags(jsonb, text, text) IS
  'Internal to the tweet projections: lower-cased entity texts without sigils, deduplicated, in order';

-- matched_rules from a filtered-stream line's matching_rules: each rule's tag,
-- else its id; sorted and distinct so observations can be unioned. NULL when
-- the record has no matching_rules (it says nothing about rules).
CREATE FUNCTION pulse._tweet_rules(rules jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN jsonb_typeof(rules) = 'array' THEN ARRAY(
    SELECT DISTINCT coalesce(nullif(r ->> 'tag', ''), r ->> 'id')
      FROM jsonb_array_elements(rules) AS r
     WHERE jsonb_typeof(r) = 'object' AND coalesce(nullif(r ->> 'tag', ''), r ->> 'id') IS NOT NULL
     ORDER BY 1) END
$$;
COMMENT ON FUNCTION pulse._tweet_rules(jsonb) IS
  'Internal to the tweet projections: rule tags (else ids) of matching_rules, sorted and distinct';

CREATE FUNCTION pulse._tweet_union(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
              ELSE ARRAY(SELECT DISTINCT x FROM unnest(a || b) AS x ORDER BY 1) END
$$;
COMMENT ON FUNCTION pulse._tweet_union(text[], text[]) IS
  'Internal to the tweet projections: sorted distinct union of two arrays; NULL only when both are';

-- The tweets a twitter_v2 record holds: a stream line or single-tweet lookup
-- ({"data":{...}}), a page ({"data":[...],"includes":...,"meta":...}), or a
-- bare tweet object as flattening archivers store them ({"id":..,"text":..}).
-- A record with no tweet yields one row with `problem` set, except an empty
-- page (meta only), which yields nothing.
CREATE FUNCTION pulse._twitter_v2_items(p jsonb)
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
                  FROM jsonb_array_elements(pulse._tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN p ? 'meta' THEN NULL   -- an empty page: nothing matched
            ELSE 'not a twitter_v2 record: none of the keys data, id, errors, meta'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;
COMMENT ON FUNCTION pulse._twitter_v2_items(jsonb) IS
  'Internal to the twitter_v2 projection: the tweets of a stream line, page or bare tweet, or why there are none';

-- The tweets a twitter_v1 record holds: a status object, or a v1.1 search
-- response ({"statuses":[...],"search_metadata":...}). Streaming notices
-- (delete, limit, ...) are not tweets and are rejected with their kind.
CREATE FUNCTION pulse._twitter_v1_items(p jsonb)
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
                  FROM jsonb_array_elements(pulse._tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN (SELECT count(*) FROM jsonb_object_keys(p)) = 1 THEN
              format('not a status: a v1.1 stream notice "%s"', (SELECT k FROM jsonb_object_keys(p) AS k))
            ELSE 'not a twitter_v1 record: no id_str, id or statuses key'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;
COMMENT ON FUNCTION pulse._twitter_v1_items(jsonb) IS
  'Internal to the twitter_v1 projection: the statuses of a record, or why there are none';

-- The staging tables of one apply call. Temporary and dropped at commit; a
-- second call in the same transaction empties them.
CREATE FUNCTION pulse._tweets_stage() RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  IF to_regclass('pg_temp.pulse_tweet_src') IS NOT NULL OR to_regclass('pg_temp.pulse_tweet_stage') IS NOT NULL THEN
    -- apply_batch (SECURITY DEFINER) writes into these: reuse them only if
    -- this same role made them. A session's own look-alikes (with a trigger,
    -- a rule, row security) would otherwise run code with the definer's
    -- rights.
    IF to_regclass('pg_temp.pulse_tweet_src') IS NULL OR to_regclass('pg_temp.pulse_tweet_stage') IS NULL
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid IN (to_regclass('pg_temp.pulse_tweet_src'), to_regclass('pg_temp.pulse_tweet_stage'))
                     AND (c.relowner <> current_user::regrole OR c.relkind <> 'r' OR c.relhastriggers
                          OR c.relhasrules OR c.relrowsecurity)) THEN
      RAISE EXCEPTION 'temporary tables pulse_tweet_stage/pulse_tweet_src exist but were not made by pulse'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Drop them (or end the transaction) before loading tweets in this session.';
    END IF;
    TRUNCATE pg_temp.pulse_tweet_stage, pg_temp.pulse_tweet_src;
    RETURN;
  END IF;
  CREATE TEMP TABLE pulse_tweet_stage (
    seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb,
    created_from_payload boolean,
    id bigint, created_at timestamptz, author_id bigint, text text, lang text,
    hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[]
  ) ON COMMIT DROP;
  -- Exactly the target's columns that a projection sets (ingested_at keeps
  -- the target's default), so pulse.merge matches them by name.
  CREATE TEMP TABLE pulse_tweet_src (
    id bigint NOT NULL, created_at timestamptz NOT NULL, author_id bigint, text text, lang text,
    hashtags text[] NOT NULL, cashtags text[] NOT NULL, mentions text[] NOT NULL,
    is_retweet boolean NOT NULL, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[] NOT NULL, observed_at timestamptz NOT NULL
  ) ON COMMIT DROP;
END
$$;
COMMENT ON FUNCTION pulse._tweets_stage() IS
  'Internal to the tweet projections: creates or empties the per-transaction staging tables';

-- From staged tweets to pulse.tweets: rejects, one row per id, fields the
-- newest observation lacks kept from older ones, then pulse.merge.
CREATE FUNCTION pulse._tweets_merge_stage(stream text, batch_id bigint, format text,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
DECLARE
  n_valid bigint;
  n_ids bigint;
BEGIN
  INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
  SELECT _tweets_merge_stage.stream, _tweets_merge_stage.batch_id, _tweets_merge_stage.format,
         convert_to(s.raw::text, 'UTF8'), s.problem
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NOT NULL
   ORDER BY s.seq, s.ord;
  GET DIAGNOSTICS rejected = ROW_COUNT;

  -- A record without created_at takes the created_at already stored for its id.
  UPDATE pg_temp.pulse_tweet_stage s
     SET created_at = t.created_at
    FROM pulse.tweets t
   WHERE s.problem IS NULL AND NOT s.created_from_payload
     AND t.id = s.id AND t.created_at <> s.created_at;

  -- The newest observation of each id (later records of a batch are newer).
  SELECT count(*) INTO n_valid FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL;
  INSERT INTO pg_temp.pulse_tweet_src
  SELECT DISTINCT ON (s.id) s.id, s.created_at, s.author_id, s.text, s.lang,
         coalesce(s.hashtags, '{}'), coalesce(s.cashtags, '{}'), coalesce(s.mentions, '{}'),
         coalesce(s.is_retweet, false), s.retweeted_id,
         s.retweet_count, s.like_count, s.reply_count, s.quote_count,
         coalesce(s.matched_rules, '{}'), s.observed_at
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NULL
   ORDER BY s.id, s.observed_at DESC, s.seq DESC, s.ord DESC;
  GET DIAGNOSTICS n_ids = ROW_COUNT;

  -- Ids seen more than once in the batch: created_at from a record that had
  -- one, fields the newest lacks from the newest that has them, rules unioned.
  IF n_ids < n_valid THEN
  UPDATE pg_temp.pulse_tweet_src d
     SET created_at   = coalesce(a.created_at, d.created_at),
         author_id    = coalesce(a.author_id, d.author_id),
         text         = coalesce(a.text, d.text),
         lang         = coalesce(a.lang, d.lang),
         hashtags     = coalesce(a.hashtags, d.hashtags),
         cashtags     = coalesce(a.cashtags, d.cashtags),
         mentions     = coalesce(a.mentions, d.mentions),
         is_retweet   = coalesce(a.is_retweet, d.is_retweet),
         retweeted_id = CASE WHEN a.is_retweet IS NULL THEN d.retweeted_id ELSE a.retweeted_id END,
         retweet_count = coalesce(a.retweet_count, d.retweet_count),
         like_count   = coalesce(a.like_count, d.like_count),
         reply_count  = coalesce(a.reply_count, d.reply_count),
         quote_count  = coalesce(a.quote_count, d.quote_count),
         matched_rules = coalesce(a.matched_rules, '{}')
    FROM (SELECT s.id,
                 (array_agg(s.created_at ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.created_from_payload))[1] AS created_at,
                 (array_agg(s.author_id ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.author_id IS NOT NULL))[1] AS author_id,
                 (array_agg(s.text ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.text IS NOT NULL))[1] AS text,
                 (array_agg(s.lang ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.lang IS NOT NULL))[1] AS lang,
                 (array_agg(s.is_retweet ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.is_retweet IS NOT NULL))[1] AS is_retweet,
                 (array_agg(s.retweeted_id ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.is_retweet IS NOT NULL))[1] AS retweeted_id,
                 (array_agg(s.retweet_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.retweet_count IS NOT NULL))[1] AS retweet_count,
                 (array_agg(s.like_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.like_count IS NOT NULL))[1] AS like_count,
                 (array_agg(s.reply_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.reply_count IS NOT NULL))[1] AS reply_count,
                 (array_agg(s.quote_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.quote_count IS NOT NULL))[1] AS quote_count
            FROM pg_temp.pulse_tweet_stage s
           WHERE s.problem IS NULL
             AND s.id IN (SELECT x.id FROM pg_temp.pulse_tweet_stage x WHERE x.problem IS NULL
                           GROUP BY x.id HAVING count(*) > 1)
           GROUP BY s.id) AS a0
   CROSS JOIN LATERAL (
          SELECT a0.created_at, a0.author_id, a0.text, a0.lang, a0.is_retweet, a0.retweeted_id,
                 a0.retweet_count, a0.like_count, a0.reply_count, a0.quote_count,
                 (SELECT s.hashtags FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.hashtags IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS hashtags,
                 (SELECT s.cashtags FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.cashtags IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS cashtags,
                 (SELECT s.mentions FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.mentions IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS mentions,
                 (SELECT ARRAY(SELECT DISTINCT r FROM pg_temp.pulse_tweet_stage s, unnest(s.matched_rules) AS r
                                WHERE s.problem IS NULL AND s.id = a0.id ORDER BY 1)) AS matched_rules) AS a
   WHERE d.id = a0.id;
  END IF;

  -- What the stored row already knows and this observation lacks is kept, when
  -- this observation is not older (an older one changes nothing anyway).
  UPDATE pg_temp.pulse_tweet_src d
     SET author_id    = coalesce(d.author_id, t.author_id),
         text         = coalesce(d.text, t.text),
         lang         = coalesce(d.lang, t.lang),
         hashtags     = CASE WHEN k.hashtags THEN d.hashtags ELSE t.hashtags END,
         cashtags     = CASE WHEN k.cashtags THEN d.cashtags ELSE t.cashtags END,
         mentions     = CASE WHEN k.mentions THEN d.mentions ELSE t.mentions END,
         is_retweet   = CASE WHEN k.is_retweet THEN d.is_retweet ELSE t.is_retweet END,
         retweeted_id = CASE WHEN k.is_retweet THEN d.retweeted_id ELSE t.retweeted_id END,
         retweet_count = coalesce(d.retweet_count, t.retweet_count),
         like_count   = coalesce(d.like_count, t.like_count),
         reply_count  = coalesce(d.reply_count, t.reply_count),
         quote_count  = coalesce(d.quote_count, t.quote_count),
         matched_rules = pulse._tweet_union(d.matched_rules, t.matched_rules)
    FROM pulse.tweets t,
         LATERAL (SELECT bool_or(s.hashtags IS NOT NULL) AS hashtags, bool_or(s.cashtags IS NOT NULL) AS cashtags,
                         bool_or(s.mentions IS NOT NULL) AS mentions, bool_or(s.is_retweet IS NOT NULL) AS is_retweet
                    FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = t.id) AS k
   WHERE t.id = d.id AND t.created_at = d.created_at AND t.observed_at <= d.observed_at;

  -- An observation that changes nothing keeps the stored observed_at, so
  -- re-reading the same tweets writes nothing (observed_at is the time of the
  -- newest observation that changed the row).
  UPDATE pg_temp.pulse_tweet_src d
     SET observed_at = t.observed_at
    FROM pulse.tweets t
   WHERE t.id = d.id AND t.created_at = d.created_at AND t.observed_at <= d.observed_at
     AND (d.author_id, d.text, d.lang, d.hashtags, d.cashtags, d.mentions, d.is_retweet, d.retweeted_id,
          d.retweet_count, d.like_count, d.reply_count, d.quote_count, d.matched_rules)
         IS NOT DISTINCT FROM
         (t.author_id, t.text, t.lang, t.hashtags, t.cashtags, t.mentions, t.is_retweet, t.retweeted_id,
          t.retweet_count, t.like_count, t.reply_count, t.quote_count, t.matched_rules);

  SELECT m.inserted, m.updated, m.unchanged INTO inserted, updated, unchanged
    FROM pulse.merge('pulse.tweets', 'pg_temp.pulse_tweet_src', ARRAY['id', 'created_at']::name[], 'observed_at') AS m;
END
$fn$;
COMMENT ON FUNCTION pulse._tweets_merge_stage(text, bigint, text) IS
  'Internal to the tweet projections: records staged rejects and merges staged tweets into pulse.tweets';

-- Why a staged item of a projection cannot become a tweet (NULL when it can):
-- one wording for both formats, which differ only in the name of their list
-- (data, statuses), of their objects (tweet, status) and of the id keys.
-- STABLE (format) SQL, so the planner inlines it into the projection's query.
CREATE FUNCTION pulse._tweet_problem(seq integer, ord bigint, item_problem text, tweet jsonb,
  tweet_id bigint, payload_time timestamptz, created_at timestamptz,
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
         END
$$;
COMMENT ON FUNCTION pulse._tweet_problem(integer, bigint, text, jsonb, bigint, timestamptz, timestamptz, text, text, text) IS
  'Internal to the tweet projections: why a staged item cannot become a tweet, or NULL';

CREATE FUNCTION pulse._apply_twitter_v2(stream text, batch_id bigint,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
BEGIN
  PERFORM pulse._tweets_stage();
  INSERT INTO pg_temp.pulse_tweet_stage
  SELECT l.seq, i.ord, l.received_at,
         pulse._tweet_problem(l.seq, i.ord, i.problem, i.tweet, f.id, f.payload_time, f.created_at, 'data', 'tweet', 'id'),
         coalesce(i.tweet, l.payload),
         f.payload_time IS NOT NULL,
         f.id, f.created_at,
         pulse._tweet_bigint(i.tweet -> 'author_id'),
         CASE WHEN o.orig_user IS NOT NULL
              THEN 'RT @' || o.orig_user || ': ' || coalesce(o.orig -> 'note_tweet' ->> 'text', o.orig ->> 'text')
              ELSE coalesce(i.tweet -> 'note_tweet' ->> 'text', i.tweet ->> 'text') END,
         i.tweet ->> 'lang',
         CASE WHEN f.ents THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'hashtags') || pulse._tweet_array(e.orig -> 'hashtags'), 'tag', '#＃') END,
         CASE WHEN f.ents THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'cashtags') || pulse._tweet_array(e.orig -> 'cashtags'), 'tag', '$') END,
         CASE WHEN f.ents THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'mentions') || pulse._tweet_array(e.orig -> 'mentions'), 'username', '@') END,
         CASE WHEN i.tweet ? 'referenced_tweets' THEN r.rt_id IS NOT NULL END,
         r.rt_id,
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'retweet_count'),
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'like_count'),
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'reply_count'),
         pulse._tweet_count(i.tweet -> 'public_metrics' -> 'quote_count'),
         pulse._tweet_rules(i.rules)
    FROM pulse.landing l
   CROSS JOIN LATERAL pulse._twitter_v2_items(l.payload) AS i
   CROSS JOIN LATERAL (
          SELECT pulse._tweet_bigint(i.tweet -> 'id') AS id,
                 pulse._tweet_time(i.tweet ->> 'created_at') AS payload_time,
                 coalesce(pulse._tweet_time(i.tweet ->> 'created_at'),
                          CASE WHEN NOT i.tweet ? 'created_at'
                               THEN pulse._tweet_snowflake_time(pulse._tweet_bigint(i.tweet -> 'id')) END) AS created_at,
                 jsonb_typeof(i.tweet -> 'entities') = 'object' AS ents) AS f
   CROSS JOIN LATERAL (
          SELECT (SELECT pulse._tweet_bigint(rt -> 'id')
                    FROM jsonb_array_elements(pulse._tweet_array(i.tweet -> 'referenced_tweets')) AS rt
                   WHERE rt ->> 'type' = 'retweeted' LIMIT 1) AS rt_id) AS r
   -- A retweet's own text is cut at 140 characters; the original, when the
   -- page carries it as an expansion, gives the full text and entities.
   LEFT JOIN LATERAL (
          SELECT t AS orig,
                 (SELECT u ->> 'username' FROM jsonb_array_elements(pulse._tweet_array(i.includes -> 'users')) AS u
                   WHERE u ->> 'id' = t ->> 'author_id' LIMIT 1) AS orig_user
            FROM jsonb_array_elements(pulse._tweet_array(i.includes -> 'tweets')) AS t
           WHERE r.rt_id IS NOT NULL AND pulse._tweet_bigint(t -> 'id') = r.rt_id
           LIMIT 1) AS o ON true
   CROSS JOIN LATERAL (
          SELECT CASE WHEN jsonb_typeof(i.tweet -> 'entities') = 'object' THEN i.tweet -> 'entities' END AS own,
                 o.orig -> 'entities' AS orig) AS e
   WHERE l.stream = _apply_twitter_v2.stream AND l.batch_id = _apply_twitter_v2.batch_id
     AND l.format = 'twitter_v2';

  SELECT m.inserted, m.updated, m.unchanged, m.rejected INTO inserted, updated, unchanged, rejected
    FROM pulse._tweets_merge_stage(stream, batch_id, 'twitter_v2') AS m;
END
$fn$;
COMMENT ON FUNCTION pulse._apply_twitter_v2(text, bigint) IS
  'Projects the twitter_v2 landing records of one batch into pulse.tweets (pulse.merge semantics, version observed_at) and unusable ones into pulse.rejects; returns the counts';

CREATE FUNCTION pulse._apply_twitter_v1(stream text, batch_id bigint,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
BEGIN
  PERFORM pulse._tweets_stage();
  INSERT INTO pg_temp.pulse_tweet_stage
  SELECT l.seq, i.ord, l.received_at,
         pulse._tweet_problem(l.seq, i.ord, i.problem, i.tweet, f.id, f.payload_time, f.created_at,
                              'statuses', 'status', 'id_str or id'),
         coalesce(i.tweet, l.payload),
         f.payload_time IS NOT NULL,
         f.id, f.created_at,
         coalesce(pulse._tweet_bigint(i.tweet -> 'user' -> 'id_str'), pulse._tweet_bigint(i.tweet -> 'user' -> 'id')),
         CASE WHEN f.rs IS NOT NULL AND f.rs -> 'user' ->> 'screen_name' IS NOT NULL
              THEN 'RT @' || (f.rs -> 'user' ->> 'screen_name') || ': '
                   || coalesce(f.rs -> 'extended_tweet' ->> 'full_text', f.rs ->> 'full_text', f.rs ->> 'text')
              ELSE coalesce(i.tweet -> 'extended_tweet' ->> 'full_text', i.tweet ->> 'full_text', i.tweet ->> 'text') END,
         i.tweet ->> 'lang',
         CASE WHEN e.own IS NOT NULL THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'hashtags') || pulse._tweet_array(e.orig -> 'hashtags'), 'text', '#＃') END,
         CASE WHEN e.own IS NOT NULL THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'symbols') || pulse._tweet_array(e.orig -> 'symbols'), 'text', '$') END,
         CASE WHEN e.own IS NOT NULL THEN pulse._tweet_tags(pulse._tweet_array(e.own -> 'user_mentions') || pulse._tweet_array(e.orig -> 'user_mentions'), 'screen_name', '@') END,
         -- A v1.1 status always carries retweeted_status when it is a retweet.
         f.rs IS NOT NULL,
         coalesce(pulse._tweet_bigint(f.rs -> 'id_str'), pulse._tweet_bigint(f.rs -> 'id')),
         pulse._tweet_count(i.tweet -> 'retweet_count'),
         pulse._tweet_count(i.tweet -> 'favorite_count'),
         pulse._tweet_count(i.tweet -> 'reply_count'),
         pulse._tweet_count(i.tweet -> 'quote_count'),
         pulse._tweet_rules(i.tweet -> 'matching_rules')
    FROM pulse.landing l
   CROSS JOIN LATERAL pulse._twitter_v1_items(l.payload) AS i
   CROSS JOIN LATERAL (
          SELECT coalesce(pulse._tweet_bigint(i.tweet -> 'id_str'), pulse._tweet_bigint(i.tweet -> 'id')) AS id,
                 pulse._tweet_time(i.tweet ->> 'created_at') AS payload_time,
                 coalesce(pulse._tweet_time(i.tweet ->> 'created_at'),
                          CASE WHEN NOT i.tweet ? 'created_at'
                               THEN pulse._tweet_snowflake_time(coalesce(pulse._tweet_bigint(i.tweet -> 'id_str'),
                                                                         pulse._tweet_bigint(i.tweet -> 'id'))) END) AS created_at,
                 CASE WHEN jsonb_typeof(i.tweet -> 'retweeted_status') = 'object' THEN i.tweet -> 'retweeted_status' END AS rs) AS f
   -- Entities of the full text: extended_tweet's when the status was cut.
   CROSS JOIN LATERAL (
          SELECT CASE WHEN jsonb_typeof(coalesce(i.tweet -> 'extended_tweet' -> 'entities', i.tweet -> 'entities')) = 'object'
                      THEN coalesce(i.tweet -> 'extended_tweet' -> 'entities', i.tweet -> 'entities') END AS own,
                 coalesce(f.rs -> 'extended_tweet' -> 'entities', f.rs -> 'entities') AS orig) AS e
   WHERE l.stream = _apply_twitter_v1.stream AND l.batch_id = _apply_twitter_v1.batch_id
     AND l.format = 'twitter_v1';

  SELECT m.inserted, m.updated, m.unchanged, m.rejected INTO inserted, updated, unchanged, rejected
    FROM pulse._tweets_merge_stage(stream, batch_id, 'twitter_v1') AS m;
END
$fn$;
COMMENT ON FUNCTION pulse._apply_twitter_v1(text, bigint) IS
  'Projects the twitter_v1 (v1.1 status) landing records of one batch into pulse.tweets (pulse.merge semantics, version observed_at) and unusable ones into pulse.rejects; returns the counts';

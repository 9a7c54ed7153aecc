-- Tweet projections (SPEC "Ingestion API", formats twitter_v2 and twitter_v1),
-- part 1: how a tweet's values are read from its JSON, and why an item cannot
-- be a tweet; 55_tweets.sql stages and merges them. Landing records of one stream and batch become pulse.tweets rows, merged
-- with pulse.merge semantics, and the records (or tweets inside a page) that
-- cannot be used become pulse.rejects rows. pulse.apply_batch dispatches here.
--
-- Rules, in one place (SPEC "Keys, versions and trust in the data"):
-- * one row per tweet id; only the documents' own tweets are rows (a page's
--   `includes.tweets` and v1.1's `retweeted_status` are not);
-- * the key: a snowflake id's created_at is the time the id encodes (its top
--   42 bits are milliseconds since X's epoch 1288834974657, truncated to the
--   second, which is how X prints created_at), whatever the record claims; a
--   claim more than a second away is noted in pulse.rejects (the tweet is
--   stored). An id from before snowflakes (below tweet_snowflake_min, 2010)
--   encodes no time: the created_at first stored for it stays its key, later
--   records take it (a different claim is noted); one claiming a time after
--   snowflakes began is rejected. So two records of one tweet never make two
--   rows, and the partition of a tweet never depends on a record;
-- * an unreadable or nonexistent created_at (2021-02-30) is rejected, as is
--   a tweet whose id (or claim) puts it more than a minute after it was
--   observed (an id from the future);
-- * the version is observed_at, the time of the observation: an archive's
--   own retrieval time when the record carries one (twarc's
--   `__twarc.retrieved_at`, on the response or on each flattened tweet; for
--   v1.1 also `timestamp_ms`, the time the streaming API delivered the status),
--   else the landing record's received_at (for the live API, the response
--   time, to within one batch). An observation time more than a minute after
--   the record landed is impossible and rejected. The newest observation of a
--   tweet wins (an older one loaded later changes nothing), and a field it
--   lacks (a default-fields search has no metrics or entities) keeps the value
--   already stored; a newer observation that changes nothing is `unchanged`
--   and writes nothing;
-- * matched_rules accumulate over observations (a tweet found by the gap-fill
--   search keeps the rules the stream matched it with).

-- Per-field helpers in C++ (extension/entry/tweets.cpp): the SQL forms of
-- these dominated the projection's cost. The SQL helpers below are inlined
-- into the projections' queries (so they carry no SET clause): only the
-- projections, whose search_path is pinned, reach them.
CREATE OR REPLACE FUNCTION pulse_internal.tweet_bigint(v jsonb) RETURNS bigint
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_bigint';

CREATE OR REPLACE FUNCTION pulse_internal.tweet_count(v jsonb) RETURNS integer
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_count';

CREATE OR REPLACE FUNCTION pulse_internal.tweet_time(text) RETURNS timestamptz
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_time';

-- The creation time a snowflake id encodes, to the second; NULL for ids from
-- before snowflakes (2010), which encode no time.
-- Not STRICT: a CASE is not strict, and the planner inlines no STRICT
-- function whose body is not (a NULL id gives NULL all the same).
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_snowflake_time(id bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN id >= (86400000::bigint << 22)
              THEN to_timestamp(((id >> 22) + 1288834974657) / 1000) END
$$;

-- The smallest id tweet_snowflake_time reads a time from (X's epoch plus one
-- day: 2010-11-05 01:42:54 UTC); smaller ids are sequential, from 2006-2010.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_snowflake_min() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 86400000::bigint << 22 $$;

-- A time as reasons print it: UTC, to the millisecond, whatever the session's
-- TimeZone and DateStyle (pulse.reapply compares reasons as text).
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_ts(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- The observation time a record states for itself: a JSON string of either
-- created_at spelling (twarc's retrieved_at is ISO 8601 with an offset) or,
-- for `timestamp_ms`, epoch milliseconds; NULL when `v` is absent or JSON
-- null, and also NULL when it is unreadable (tweet_problem tells these apart).
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_stated_time(v jsonb, epoch_ms boolean) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN epoch_ms THEN pulse_internal.json_epoch_ms(v)
              WHEN jsonb_typeof(v) = 'string' THEN pulse_internal.tweet_time(v #>> '{}') END
$$;

-- `v` when it is a JSON array, else an empty one (absent entity lists).
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_array(v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'array' THEN v ELSE '[]'::jsonb END $$;

-- The `field` of each object in an entity list, lower case, without the
-- leading sigils in `strip`, deduplicated in order of first appearance; {}
-- when `list` is not an array.
CREATE OR REPLACE FUNCTION pulse_internal.tweet_tags(list jsonb, field text, strip text) RETURNS text[]
LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_tags';

-- matched_rules from a filtered-stream line's matching_rules: each rule's tag,
-- else its id; sorted and distinct so observations can be unioned. NULL when
-- the record has no matching_rules (it says nothing about rules). Not
-- inlined (a subquery), so the projections write the same query out.
CREATE OR REPLACE FUNCTION pulse_internal.tweet_rules(rules jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN jsonb_typeof(rules) = 'array' THEN ARRAY(
    SELECT DISTINCT coalesce(nullif(r ->> 'tag', ''), r ->> 'id')
      FROM jsonb_array_elements(rules) AS r
     WHERE jsonb_typeof(r) = 'object' AND coalesce(nullif(r ->> 'tag', ''), r ->> 'id') IS NOT NULL
     ORDER BY 1) END
$$;

-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_union(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
              ELSE ARRAY(SELECT DISTINCT x FROM unnest(a || b) AS x ORDER BY 1) END
$$;

-- The tweets a twitter_v2 record holds: a stream line or single-tweet lookup
-- ({"data":{...}}), a page ({"data":[...],"includes":...,"meta":...}), or a
-- bare tweet object as flattening archivers store them ({"id":..,"text":..}).
-- A record with no tweet yields one row with `problem` set, except an empty
-- page (meta only), which yields nothing.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.twitter_v2_items(p jsonb)
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
                  FROM jsonb_array_elements(pulse_internal.tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN p ? 'meta' THEN NULL   -- an empty page: nothing matched
            ELSE 'not a twitter_v2 record: none of the keys data, id, errors, meta'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;

-- The tweets a twitter_v1 record holds: a status object, or a v1.1 search
-- response ({"statuses":[...],"search_metadata":...}). Streaming notices
-- (delete, limit, ...) are not tweets and are rejected with their kind.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.twitter_v1_items(p jsonb)
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
                  FROM jsonb_array_elements(pulse_internal.tweet_array(p -> 'errors')) AS e), '(no details)')
            WHEN (SELECT count(*) FROM jsonb_object_keys(p)) = 1 THEN
              format('not a status: a v1.1 stream notice "%s"', (SELECT k FROM jsonb_object_keys(p) AS k))
            ELSE 'not a twitter_v1 record: no id_str, id or statuses key'
          END AS problem) AS r
   WHERE r.problem IS NOT NULL
$$;

-- Why a staged item of a projection cannot become a tweet (NULL when it can):
-- one wording for both formats, which differ only in the name of their list
-- (data, statuses), of their objects (tweet, status) and of the id keys.
-- `stated` is the record's own observation time as found under `stated_key`
-- (NULL when absent), `observed_at` what it was read as (NULL if unreadable).
-- STABLE (format) SQL, so the planner inlines it into the projection's query.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_problem(seq integer, ord bigint, item_problem text, tweet jsonb,
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

-- The note a usable tweet of a snowflake id gets when its created_at claims a
-- time more than a second away from the one its id encodes (the row is keyed
-- by the id's time); NULL when they agree.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_note(seq integer, ord bigint, tweet_id bigint,
  payload_time timestamptz, id_time timestamptz, list text, noun text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN payload_time < id_time - interval '1 second' OR payload_time > id_time + interval '1 second' THEN
    format('landing seq %s, %s[%s]: %s %s claims created_at %s but its snowflake id encodes %s; stored with the id''s time',
           seq, list, ord, noun, tweet_id, pulse_internal.tweet_ts(payload_time), pulse_internal.tweet_ts(id_time)) END
$$;

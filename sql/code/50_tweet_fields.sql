-- Tweet projections (SPEC "Ingestion API", formats twitter_v2 and twitter_v1),
-- part 1: the rules by which a tweet's values are read from its JSON, and why
-- an item cannot be a tweet (the reading itself is C++: twitter_v2_rows and
-- twitter_v1_rows, 55_tweets.sql); 55_tweets.sql stages and merges them.
-- Landing records of one stream and batch become pulse.tweets rows, merged
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

-- The projections themselves are C++ (twitter_v2_rows / twitter_v1_rows in
-- 55_tweets.sql: extension/pg/tweet_rows.cpp, with the rules that need no
-- JSON in extension/core/tweet_rows.cpp): one pass over each record's jsonb.
-- The per-field functions below are the same C++ rules as SQL functions
-- (tests call them); the SQL helpers are inlined into the queries of
-- 55_tweets.sql (so they carry no SET clause): only those functions, whose
-- search_path is pinned, reach them.
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

-- The `field` of each object in an entity list, lower case, without the
-- leading sigils in `strip`, deduplicated in order of first appearance; {}
-- when `list` is not an array.
CREATE OR REPLACE FUNCTION pulse_internal.tweet_tags(list jsonb, field text, strip text) RETURNS text[]
LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'pulse_tweet_tags';

-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.tweet_union(a text[], b text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
              ELSE ARRAY(SELECT DISTINCT x FROM unnest(a || b) AS x ORDER BY 1) END
$$;

-- Packed per-hashtag tweet sets (extension/core/tag_vectors.h): per minute
-- (pulse_internal.tag_minutes) every (hashtag, author, time) of its tweets,
-- per hour and 6 hours (pulse_internal.tag_period_counts) tweets per
-- hashtag. The trigger of 58_hashtags.sql keeps them with the aggregates
-- and merge below; pulse_internal.tag_counts and pulse.trending_hashtags
-- (76_trending.sql) sum them in C++: a day's counts are at most 9 rows,
-- whatever the vocabulary.

-- What one statement changes in one minute (all rows of a group in the same
-- minute): each tweet with sign 1 (now there) or -1 (gone); and in a period
-- of hours, from its minutes' deltas. NULL when the changes cancel out.
CREATE OR REPLACE FUNCTION pulse_internal.tag_minute_delta_trans(internal, timestamptz, bigint, text[], int)
  RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_minute_delta_trans';
CREATE OR REPLACE FUNCTION pulse_internal.tag_count_delta_trans(internal, bytea) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_count_delta_trans';
CREATE OR REPLACE FUNCTION pulse_internal.tag_delta_final(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_delta_final';
CREATE OR REPLACE AGGREGATE pulse_internal.tag_minute_delta(created_at timestamptz, author_id bigint, hashtags text[], sign int) (
  SFUNC = pulse_internal.tag_minute_delta_trans, STYPE = internal,
  FINALFUNC = pulse_internal.tag_delta_final, FINALFUNC_MODIFY = READ_WRITE);
CREATE OR REPLACE AGGREGATE pulse_internal.tag_count_delta(minute_delta bytea) (
  SFUNC = pulse_internal.tag_count_delta_trans, STYPE = internal,
  FINALFUNC = pulse_internal.tag_delta_final, FINALFUNC_MODIFY = READ_WRITE);

-- A stored vector plus a delta; whether a vector is empty.
CREATE OR REPLACE FUNCTION pulse_internal.tag_vector_merge(bytea, bytea) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'pulse_tag_vector_merge';
CREATE OR REPLACE FUNCTION pulse_internal.tag_vector_empty(bytea) RETURNS boolean
  LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'pulse_tag_vector_empty';

-- The vectors read back (tests, inspection): one row per entry of a minute
-- (tweets: how many share that tag, author and time) or per tag of a period.
CREATE OR REPLACE FUNCTION pulse_internal.tag_minute_rows(v bytea)
  RETURNS TABLE(tag text, created_at timestamptz, author_id bigint, tweets bigint)
  LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'pulse_tag_minute_rows';
CREATE OR REPLACE FUNCTION pulse_internal.tag_count_rows(v bytea) RETURNS TABLE(tag text, tweets bigint)
  LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'pulse_tag_count_rows';

-- Tweets per tag in [lo, hi) from the minutes overlapping it and the
-- periods wholly inside it, as tag_counts (76_trending.sql) picks them.
CREATE OR REPLACE FUNCTION pulse_internal.tag_range_counts(lo timestamptz, hi timestamptz, minutes bytea[], periods bytea[])
  RETURNS TABLE(tag text, tweets bigint)
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_range_counts';

-- The window's tags that can be among the k best of trending_hashtags:
-- tweets and distinct authors in [w_lo, w_hi), tweets in [b_lo, b_hi).
CREATE OR REPLACE FUNCTION pulse_internal.trending_candidates(
    w_lo timestamptz, w_hi timestamptz, w_minutes bytea[],
    b_lo timestamptz, b_hi timestamptz, b_minutes bytea[], b_periods bytea[],
    w_us bigint, b_us bigint, k bigint)
  RETURNS TABLE(tag text, tweets bigint, authors bigint, base bigint)
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_trending_candidates';

-- Adds a statement's deltas per minute to the stored minutes and periods,
-- in key order (two writers lock rows in the same order); when the
-- statement removed tweets, a vector left empty goes.
CREATE OR REPLACE FUNCTION pulse_internal.tag_vectors_apply(minutes timestamptz[], deltas bytea[], removed boolean)
  RETURNS void
  LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  sizes smallint[];
  starts timestamptz[];
BEGIN
  INSERT INTO pulse_internal.tag_minutes AS t (minute, tweets)
  SELECT d.minute, d.v FROM unnest(minutes, deltas) AS d(minute, v) ORDER BY 1
  ON CONFLICT (minute) DO UPDATE SET tweets = pulse_internal.tag_vector_merge(t.tweets, excluded.tweets);
  WITH p AS (
    INSERT INTO pulse_internal.tag_period_counts AS t (start, hours, counts)
    SELECT x.start, x.hours, x.v
      FROM (SELECT date_bin(l.hours * interval '1 hour', d.minute, timestamptz '1970-01-01 00:00:00+00') AS start, l.hours,
                   pulse_internal.tag_count_delta(d.v) AS v
              FROM unnest(minutes, deltas) AS d(minute, v), (VALUES (1::smallint), (6::smallint)) AS l(hours)
             GROUP BY 1, 2) x
     WHERE x.v IS NOT NULL
     ORDER BY 1, 2
    ON CONFLICT (start, hours) DO UPDATE SET counts = pulse_internal.tag_vector_merge(t.counts, excluded.counts)
    RETURNING t.start, t.hours)
  SELECT array_agg(p.start), array_agg(p.hours) INTO starts, sizes FROM p;
  IF removed THEN
    DELETE FROM pulse_internal.tag_minutes t WHERE t.minute = ANY (minutes) AND pulse_internal.tag_vector_empty(t.tweets);
    DELETE FROM pulse_internal.tag_period_counts t
     USING unnest(starts, sizes) AS p(start, hours)
     WHERE t.hours = p.hours AND t.start = p.start AND pulse_internal.tag_vector_empty(t.counts);
  END IF;
END
$fn$;

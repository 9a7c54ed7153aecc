-- Trending hashtags (SPEC "Hashtags and sentiment"), on the packed
-- per-hashtag tweet sets (57_tag_vectors.sql): per minute every (tag,
-- author, time), per hour and per 6 hours tweets per tag.

-- Tweets per tag in [lo, hi), exact: its whole 6-hour periods and the whole
-- hours around them from their counts, the rest from the minutes, whose
-- entries keep their time (a range may start and end anywhere). A tag
-- listed twice in one tweet counts once.
-- SECURITY DEFINER: readers of pulse.tweets read the counts through it (the
-- ones pulse.hashtags_hourly shows them).
CREATE OR REPLACE FUNCTION pulse_internal.tag_counts(lo timestamptz, hi timestamptz)
  RETURNS TABLE(tag text, tweets bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  epoch constant timestamptz := '1970-01-01 00:00:00+00';
  h1 timestamptz := date_bin('1 hour', lo - interval '1 microsecond', epoch) + interval '1 hour';
  h2 timestamptz := date_bin('1 hour', hi, epoch);
BEGIN
  IF h1 >= h2 THEN
    h1 := hi;  -- no whole hour: all from the minutes
    h2 := hi;
  END IF;
  RETURN QUERY
  SELECT c.tag, c.tweets
    FROM pulse_internal.tag_range_counts(
           lo, hi,
           (SELECT array_agg(m.tweets) FROM pulse_internal.tag_minutes m
             WHERE (m.minute >= date_bin('1 minute', lo, epoch) AND m.minute < h1) OR (m.minute >= h2 AND m.minute < hi)),
           (SELECT array_agg(p.counts) FROM pulse_internal.tag_period_counts p
             WHERE p.start >= h1 AND p.start < h2
               AND CASE WHEN p.hours = 6 THEN p.start + interval '6 hours' <= h2  -- else the hour's 6 hours are not inside
                        ELSE date_bin('6 hours', p.start, epoch) < h1 OR date_bin('6 hours', p.start, epoch) + interval '6 hours' > h2 END)) c;
END
$fn$;

-- The counts trending_hashtags ranks: for each tag of [w_lo, w_hi) that can
-- be among its k best, tweets and distinct authors there and tweets in the
-- baseline [b_lo, w_lo). The window is read from its minutes, the baseline
-- from its whole periods and the minutes at its ends; only the window's
-- tags are looked up in them. SECURITY DEFINER like tag_counts: counts only.
CREATE OR REPLACE FUNCTION pulse_internal.trending_counts(w_lo timestamptz, w_hi timestamptz, b_lo timestamptz,
                                                          w_us bigint, b_us bigint, k bigint)
  RETURNS TABLE(tag text, tweets bigint, authors bigint, base bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  epoch constant timestamptz := '1970-01-01 00:00:00+00';
  h1 timestamptz := date_bin('1 hour', b_lo - interval '1 microsecond', epoch) + interval '1 hour';
  h2 timestamptz := date_bin('1 hour', w_lo, epoch);
BEGIN
  IF h1 >= h2 THEN
    h1 := w_lo;
    h2 := w_lo;
  END IF;
  RETURN QUERY
  SELECT c.tag, c.tweets, c.authors, c.base
    FROM pulse_internal.trending_candidates(
           w_lo, w_hi,
           (SELECT array_agg(m.tweets) FROM pulse_internal.tag_minutes m
             WHERE m.minute >= date_bin('1 minute', w_lo, epoch) AND m.minute < w_hi),
           b_lo, w_lo,
           (SELECT array_agg(m.tweets) FROM pulse_internal.tag_minutes m
             WHERE (m.minute >= date_bin('1 minute', b_lo, epoch) AND m.minute < h1) OR (m.minute >= h2 AND m.minute < w_lo)),
           (SELECT array_agg(p.counts) FROM pulse_internal.tag_period_counts p
             WHERE p.start >= h1 AND p.start < h2
               AND CASE WHEN p.hours = 6 THEN p.start + interval '6 hours' <= h2
                        ELSE date_bin('6 hours', p.start, epoch) < h1 OR date_bin('6 hours', p.start, epoch) + interval '6 hours' > h2 END),
           w_us, b_us, k) c;
END
$fn$;

-- score = (w - e) / sqrt(e + 1): w tweets in the window, e the tweets the
-- baseline's rate expects in a window as long. A Poisson z-score (how many
-- standard deviations the window is above what the baseline predicts), with
-- 1 added under the root so a tag never seen before (e = 0) scores its own
-- count instead of infinity: new tags rank among themselves by volume and a
-- handful of first tweets does not outrank a well-known tag that tripled.
-- trending_counts reads packed rows (at most 131 for a 1-hour window and a
-- 24-hour baseline at any time, whatever the number of tags) and leaves out
-- the tags below the k-th score; the exact order and limit are decided here
-- (bench/trending_bench.sh).
CREATE OR REPLACE FUNCTION pulse.trending_hashtags(at timestamptz DEFAULT now(), "window" interval DEFAULT '1 hour',
                                                   baseline interval DEFAULT '24 hours', k int DEFAULT 10)
  RETURNS TABLE(hashtag text, tweets bigint, authors bigint, baseline_rate float8, score float8,
                first_seen timestamptz, is_new boolean)
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
  w_us bigint := pulse_internal.interval_usecs('window', trending_hashtags."window");
  b_us bigint := pulse_internal.interval_usecs('baseline', trending_hashtags.baseline);
  w_lo timestamptz;
BEGIN
  IF trending_hashtags.at IS NULL OR NOT isfinite(trending_hashtags.at) THEN
    RAISE EXCEPTION 'at must be a finite time' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF trending_hashtags.k IS NULL OR trending_hashtags.k < 1 OR trending_hashtags.k > 10000 THEN
    RAISE EXCEPTION 'k must be between 1 and 10000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  w_lo := trending_hashtags.at - w_us * interval '1 microsecond';
  RETURN QUERY
  WITH c AS (
         SELECT c.tag, c.tweets, c.authors, c.base::float8 * w_us / b_us AS e
           FROM pulse_internal.trending_counts(w_lo, trending_hashtags.at, w_lo - b_us * interval '1 microsecond',
                                               w_us, b_us, trending_hashtags.k) c),
       top AS (
         SELECT c.tag, c.tweets, c.authors, c.e, (c.tweets - c.e) / sqrt(c.e + 1) AS score
           FROM c
          ORDER BY 5 DESC, 2 DESC, 1 LIMIT trending_hashtags.k),
       seen AS MATERIALIZED (  -- a look-up per row, whatever the size of pulse.hashtags
         SELECT top.*, (SELECT h.first_seen FROM pulse.hashtags h WHERE h.hashtag = top.tag) AS first_seen FROM top)
  SELECT seen.tag, seen.tweets, seen.authors, seen.e, seen.score, seen.first_seen, coalesce(seen.first_seen >= w_lo, false)
    FROM seen
   ORDER BY seen.score DESC, seen.tweets DESC, seen.tag;
END
$fn$;
COMMENT ON FUNCTION pulse.trending_hashtags(timestamptz, interval, interval, int) IS
  'The k hashtags most above their baseline in [at - window, at): tweets, distinct authors, baseline_rate (tweets a window this long would hold at the rate of the baseline before it), score (tweets - baseline_rate) / sqrt(baseline_rate + 1), first_seen, is_new (first seen inside the window)';

-- Mean sentiment of the k most used hashtags of [from, until), per bucket
-- (UTC-aligned, gap-filled: 0 tweets and NULL sentiment where a tag was
-- silent), for a chart of how people feel about what they talk about.
CREATE OR REPLACE FUNCTION pulse.hashtag_sentiment("from" timestamptz, until timestamptz, bucket interval DEFAULT '1 hour',
                                                   k int DEFAULT 10)
  RETURNS SETOF pulse.hashtag_sentiment_bucket
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  step_us bigint := pulse_internal.interval_usecs('bucket', hashtag_sentiment.bucket);
  step interval;
  first_b timestamptz;
  n_buckets bigint;
  top text[];
BEGIN
  IF hashtag_sentiment.k IS NULL OR hashtag_sentiment.k < 1 OR hashtag_sentiment.k > 1000 THEN
    RAISE EXCEPTION 'k must be between 1 and 1000' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT r.first_bucket, r.buckets INTO first_b, n_buckets
    FROM pulse_internal.bucket_range(hashtag_sentiment."from", hashtag_sentiment.until, step_us) r;
  IF n_buckets * hashtag_sentiment.k > 1000000 THEN
    RAISE EXCEPTION 'too many rows: % buckets times k = %', n_buckets, hashtag_sentiment.k
      USING ERRCODE = 'program_limit_exceeded', HINT = 'Use a wider bucket, a shorter range or a smaller k.';
  END IF;
  step := step_us * interval '1 microsecond';
  SELECT array_agg(c.tag ORDER BY c.tweets DESC, c.tag) INTO top
    FROM (SELECT c.tag, c.tweets FROM pulse_internal.tag_counts(hashtag_sentiment."from", hashtag_sentiment.until) c
           ORDER BY c.tweets DESC, c.tag LIMIT hashtag_sentiment.k) c;
  IF top IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH grid AS (
    SELECT g AS b FROM generate_series(first_b, hashtag_sentiment.until - interval '1 microsecond', step) AS g),
  tw AS (
    SELECT date_bin(step, t.created_at, timestamptz '1970-01-01 00:00:00+00') AS b, x.tag,
           count(*) AS n, avg(t.sentiment) AS s
      FROM pulse.tweets t, LATERAL (SELECT DISTINCT u FROM unnest(t.hashtags) AS u) AS x(tag)
     WHERE t.created_at >= hashtag_sentiment."from" AND t.created_at < hashtag_sentiment.until
       AND t.hashtags && top AND x.tag = ANY (top)
     GROUP BY 1, 2)
  SELECT g.b, tg.tag, coalesce(tw.n, 0), tw.s
    FROM grid g CROSS JOIN unnest(top) WITH ORDINALITY AS tg(tag, o)
    LEFT JOIN tw ON tw.b = g.b AND tw.tag = tg.tag
   ORDER BY g.b, tg.o;
END
$fn$;
COMMENT ON FUNCTION pulse.hashtag_sentiment(timestamptz, timestamptz, interval, int) IS
  'Per UTC-aligned bucket of [from, until) and each of the k hashtags most used in the range: tweets using it and their mean VADER compound sentiment (NULL where none)';

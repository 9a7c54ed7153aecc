-- Trending hashtags (SPEC "Hashtags and sentiment"), on the per-tag hours
-- and 10-minute blocks and the hashtag state (58_hashtags.sql).

-- Tweets per tag in [lo, hi), exact: whole hours from tag_hours, whole
-- 10-minute blocks around them from tag_blocks, and the tweets themselves
-- for the pieces shorter than 10 minutes at the ends. A tag listed twice in
-- one tweet counts once.
-- SECURITY DEFINER: readers of pulse.tweets read the counts through it (the
-- ones pulse.hashtags_hourly shows them).
CREATE OR REPLACE FUNCTION pulse_internal.tag_counts(lo timestamptz, hi timestamptz)
  RETURNS TABLE(tag text, tweets bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  epoch constant timestamptz := '1970-01-01 00:00:00+00';
  m1 timestamptz := date_bin('10 minutes', lo - interval '1 microsecond', epoch) + interval '10 minutes';
  m2 timestamptz := date_bin('10 minutes', hi, epoch);
  h1 timestamptz := date_bin('1 hour', lo - interval '1 microsecond', epoch) + interval '1 hour';
  h2 timestamptz := date_bin('1 hour', hi, epoch);
BEGIN
  IF lo >= hi THEN
    RETURN;
  END IF;
  IF m1 >= m2 THEN
    m1 := hi;  -- no whole block: all from the tweets
    m2 := hi;
  END IF;
  IF h1 < m1 OR h2 > m2 OR h1 >= h2 THEN
    h1 := m2;  -- no whole hour: all whole blocks from tag_blocks
    h2 := m2;
  END IF;
  RETURN QUERY
  SELECT s.tag, sum(s.n)::bigint
    FROM (SELECT h.tag, h.tweets AS n FROM pulse_internal.tag_hours h
           WHERE h.hour >= h1 AND h.hour < h2
          UNION ALL
          SELECT b.tag, b.tweets FROM pulse_internal.tag_blocks b
           WHERE (b.block >= m1 AND b.block < h1) OR (b.block >= h2 AND b.block < m2)
          UNION ALL
          SELECT x.tag, 1
            FROM pulse.tweets t, LATERAL (SELECT DISTINCT u FROM unnest(t.hashtags) AS u) AS x(tag)
           WHERE (t.created_at >= lo AND t.created_at < m1) OR (t.created_at >= m2 AND t.created_at < hi)) s
   WHERE s.tag IS NOT NULL
   GROUP BY s.tag;
END
$fn$;

-- score = (w - e) / sqrt(e + 1): w tweets in the window, e the tweets the
-- baseline's rate expects in a window as long. A Poisson z-score (how many
-- standard deviations the window is above what the baseline predicts), with
-- 1 added under the root so a tag never seen before (e = 0) scores its own
-- count instead of infinity: new tags rank among themselves by volume and a
-- handful of first tweets does not outrank a well-known tag that tripled.
-- One pass over the per-tag counts of the window and of the baseline (looking
-- baselines up tag by tag, pruned by score <= w, was 3x slower on a
-- long-tailed vocabulary: bench/trending_bench.sh).
CREATE OR REPLACE FUNCTION pulse.trending_hashtags(at timestamptz DEFAULT now(), "window" interval DEFAULT '1 hour',
                                                   baseline interval DEFAULT '24 hours', k int DEFAULT 10)
  RETURNS TABLE(hashtag text, tweets bigint, authors bigint, baseline_rate float8, score float8,
                first_seen timestamptz, is_new boolean)
  LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
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
  WITH win AS (SELECT c.tag, c.tweets FROM pulse_internal.tag_counts(w_lo, trending_hashtags.at) c),
       base AS (SELECT c.tag, c.tweets FROM pulse_internal.tag_counts(w_lo - b_us * interval '1 microsecond', w_lo) c),
       top AS (
         SELECT s.tag, s.tweets, s.e, (s.tweets - s.e) / sqrt(s.e + 1) AS score
           FROM (SELECT win.tag, win.tweets, coalesce(base.tweets, 0)::float8 * w_us / b_us AS e
                   FROM win LEFT JOIN base USING (tag)) s
          ORDER BY 4 DESC, 2 DESC, 1 LIMIT trending_hashtags.k),
       who AS (
         SELECT x.tag, count(DISTINCT t.author_id) AS authors
           FROM pulse.tweets t, LATERAL (SELECT DISTINCT u FROM unnest(t.hashtags) AS u) AS x(tag)
          WHERE t.created_at >= w_lo AND t.created_at < trending_hashtags.at
            AND t.hashtags && (SELECT array_agg(top.tag) FROM top) AND x.tag IN (SELECT top.tag FROM top)
          GROUP BY x.tag)
  SELECT top.tag, top.tweets, coalesce(who.authors, 0), top.e, top.score, h.first_seen,
         coalesce(h.first_seen >= w_lo, false)
    FROM top LEFT JOIN who USING (tag) LEFT JOIN pulse.hashtags h ON h.hashtag = top.tag
   ORDER BY top.score DESC, top.tweets DESC, top.tag;
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

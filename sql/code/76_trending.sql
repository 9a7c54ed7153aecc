-- Trending hashtags (SPEC "Hashtags and sentiment"), built on the hashtag
-- rollups (75_builtin_rollups.sql) and the hashtag state (58_hashtags.sql).

-- Tweets per tag in [lo, hi), exact: whole hours from the hourly rollup,
-- whole 10-minute blocks around them from the 10-minute rollup, and the
-- tweets themselves for the pieces shorter than 10 minutes at the ends. A tag
-- listed twice in one tweet counts once.
-- SECURITY DEFINER: readers of pulse.tweets read the rollups through it
-- (the same counts pulse.hashtags_hourly shows them).
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
    h1 := m2;  -- no whole hour: all blocks from the 10-minute rollup
    h2 := m2;
  END IF;
  RETURN QUERY
  SELECT s.tag, sum(s.n)::bigint
    FROM (SELECT x.tag, h.tweets AS n
            FROM pulse_internal.hashtag_sets_hourly h, LATERAL (SELECT DISTINCT u FROM unnest(h.hashtags) AS u) AS x(tag)
           WHERE h.hour >= h1 AND h.hour < h2
          UNION ALL
          SELECT x.tag, b.tweets
            FROM pulse_internal.hashtag_sets_10min b, LATERAL (SELECT DISTINCT u FROM unnest(b.hashtags) AS u) AS x(tag)
           WHERE (b.w >= m1 AND b.w < h1) OR (b.w >= h2 AND b.w < m2)
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
       scored AS (
         SELECT win.tag, win.tweets, coalesce(base.tweets, 0)::float8 * w_us / b_us AS e
           FROM win LEFT JOIN base USING (tag)),
       top AS (
         SELECT s.tag, s.tweets, s.e, (s.tweets - s.e) / sqrt(s.e + 1) AS score
           FROM scored s ORDER BY 4 DESC, 2 DESC, 1 LIMIT trending_hashtags.k),
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

-- Analytics (SPEC "Analytics"): the exact moving correlation aggregate, lagged
-- correlation, gap-filled activity per bucket, rolling correlation, lead-lag,
-- and the hop / session windows. Time arithmetic is done on pure-time
-- intervals (microseconds) so results never depend on the session time zone.

-- ---------------------------------------------------------------- moving_corr
CREATE OR REPLACE FUNCTION pulse.moving_corr_trans(internal, float8, float8) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_trans';
CREATE OR REPLACE FUNCTION pulse.moving_corr_inv(internal, float8, float8) RETURNS internal
  LANGUAGE c STABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_inv';
CREATE OR REPLACE FUNCTION pulse.moving_corr_final(internal) RETURNS float8
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_final';
CREATE OR REPLACE FUNCTION pulse.moving_corr_combine(internal, internal) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_combine';
CREATE OR REPLACE FUNCTION pulse.moving_corr_serialize(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_serialize';
CREATE OR REPLACE FUNCTION pulse.moving_corr_deserialize(bytea, internal) RETURNS internal
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_deserialize';
COMMENT ON FUNCTION pulse.moving_corr_trans(internal, float8, float8) IS 'Support function of pulse.moving_corr: forward transition of the moving-aggregate mode (wide exact state)';
COMMENT ON FUNCTION pulse.moving_corr_inv(internal, float8, float8) IS 'Support function of pulse.moving_corr: exact inverse transition (window frames)';
COMMENT ON FUNCTION pulse.moving_corr_final(internal) IS 'Support function of pulse.moving_corr: corr() of the exact sums';
COMMENT ON FUNCTION pulse.moving_corr_combine(internal, internal) IS 'Support function of pulse.moving_corr: merges partial states of the internal form (0.1.0''s parallel aggregation)';
COMMENT ON FUNCTION pulse.moving_corr_serialize(internal) IS 'Support function of pulse.moving_corr: state to bytea (parallel aggregation)';
COMMENT ON FUNCTION pulse.moving_corr_deserialize(bytea, internal) IS 'Support function of pulse.moving_corr: bytea to state (parallel aggregation)';

-- 0.2.0: plain aggregation (GROUP BY, parallel partials, frames that only
-- grow) starts with a 128-byte exact state (core/corr_fixed.h) and moves to
-- larger ones only when the values need it; the 4,424-byte wide state is the
-- moving-aggregate mode's, where rows leave the frame. Every state is exact,
-- so the answer is the same whichever one a plan uses. The plain state's
-- type is bytea (the struct's bytes, its size telling its kind; still one
-- 128-byte chunk), not internal: Citus computes partial aggregates on the
-- workers and combines them on the coordinator only for a state type it can
-- send as text (README "Scaling out"), and PostgreSQL's parallel aggregation
-- passes a bytea state as it is.
CREATE OR REPLACE FUNCTION pulse_internal.moving_corr_accum(bytea, float8, float8) RETURNS bytea
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_accum_bytea';
CREATE OR REPLACE FUNCTION pulse_internal.moving_corr_combine(bytea, bytea) RETURNS bytea
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_combine_bytea';
CREATE OR REPLACE FUNCTION pulse_internal.moving_corr_final(bytea) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_moving_corr_final_bytea';
COMMENT ON FUNCTION pulse_internal.moving_corr_accum(bytea, float8, float8) IS 'Support function of pulse.moving_corr: forward transition of plain aggregation (compact exact state)';
COMMENT ON FUNCTION pulse_internal.moving_corr_combine(bytea, bytea) IS 'Support function of pulse.moving_corr: merges partial states (parallel and distributed aggregation)';
COMMENT ON FUNCTION pulse_internal.moving_corr_final(bytea) IS 'Support function of pulse.moving_corr: corr() of the exact sums of a plain-aggregation state';

CREATE OR REPLACE AGGREGATE pulse.moving_corr(float8, float8) (
  SFUNC = pulse_internal.moving_corr_accum, STYPE = bytea, SSPACE = 128,
  FINALFUNC = pulse_internal.moving_corr_final,
  COMBINEFUNC = pulse_internal.moving_corr_combine,
  MSFUNC = pulse.moving_corr_trans, MINVFUNC = pulse.moving_corr_inv,
  MSTYPE = internal, MSSPACE = 4424, MFINALFUNC = pulse.moving_corr_final,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE pulse.moving_corr(float8, float8) IS
  'Pearson correlation with the semantics of corr(), computed from exact sums: O(1) per row in sliding window frames, parallel-safe';

-- ---------------------------------------------------------- moving_corr_series
CREATE OR REPLACE FUNCTION pulse.moving_corr_series(x float8[], y float8[], frame int) RETURNS float8[]
  LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_moving_corr_series';
COMMENT ON FUNCTION pulse.moving_corr_series(float8[], float8[], int) IS
  'Element i: pulse.moving_corr over the pairs among the trailing frame elements ending at i (bit for bit the window aggregate over ROWS BETWEEN frame-1 PRECEDING AND CURRENT ROW), in one pass; pairs with a NULL side are skipped';

-- ---------------------------------------------------------------- lagged_corr
CREATE OR REPLACE FUNCTION pulse.lagged_corr(x float8[], y float8[], max_lag int)
  RETURNS TABLE(lag int, n int, corr float8)
  LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE ROWS 61
  AS 'MODULE_PATHNAME', 'pulse_lagged_corr';
COMMENT ON FUNCTION pulse.lagged_corr(float8[], float8[], int) IS
  'corr(x[t], y[t + lag]) for every lag in -max_lag..max_lag (positive lag: x leads y); pairs with a NULL side are skipped';

-- ------------------------------------------------------------- input checks
-- A bucket/window width as microseconds: positive, no months (a month has no
-- fixed length), finite.
CREATE OR REPLACE FUNCTION pulse_internal.interval_usecs(what text, width interval) RETURNS bigint
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  us numeric;
BEGIN
  IF width IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF date_part('month', width) <> 0 OR date_part('year', width) <> 0 THEN
    RAISE EXCEPTION '% must not contain months or years', what
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use days, hours, minutes or seconds.';
  END IF;
  us := extract(epoch FROM width) * 1000000;
  IF us <= 0 THEN
    RAISE EXCEPTION '% must be positive', what
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('%s is %s.', what, width);
  END IF;
  RETURN us::bigint;
END
$fn$;

-- Validates a [from, until) range cut into buckets; returns the first bucket
-- start (date_bin from the UTC epoch) and the bucket count.
CREATE OR REPLACE FUNCTION pulse_internal.bucket_range(from_ts timestamptz, until_ts timestamptz, bucket_us bigint,
                                    OUT first_bucket timestamptz, OUT buckets bigint)
  LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pulse_internal.check_range(from_ts, until_ts);
  IF from_ts >= until_ts THEN
    RAISE EXCEPTION 'from must be before until'
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('from is %s, until is %s.', from_ts, until_ts);
  END IF;
  first_bucket := date_bin(bucket_us * interval '1 microsecond', from_ts, timestamptz '1970-01-01 00:00:00+00');
  buckets := ceil((extract(epoch FROM until_ts) - extract(epoch FROM first_bucket)) * 1000000 / bucket_us)::bigint;
  IF buckets > 1000000 THEN
    RAISE EXCEPTION 'too many buckets: %', buckets
      USING ERRCODE = 'program_limit_exceeded', DETAIL = 'At most 1000000 buckets are allowed.',
            HINT = 'Use a wider bucket or a shorter range.';
  END IF;
END
$fn$;

-- ------------------------------------------------------------------ activity

CREATE OR REPLACE FUNCTION pulse.activity(exchange text, market text, "from" timestamptz, until timestamptz,
                               bucket interval DEFAULT '1 minute', keyword text DEFAULT NULL)
  RETURNS SETOF pulse.activity_bucket
  LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 1000
SET search_path = pg_catalog, pg_temp
-- The gap-filled query below is estimated at ~10^8 rows for a month of
-- minutes (the grid and the per-bucket groups join), which set off JIT
-- compilation with optimization: 5 s of compiling for a 0.5 s query.
SET jit = off
AS $fn$
#variable_conflict use_column
DECLARE
  step interval;
  first_b timestamptz;
  n_buckets bigint;
  kw text;
  kw_tag text;
  tweets_cov tstzmultirange;
  market_cov tstzmultirange;
BEGIN
  IF activity.exchange IS NULL OR activity.market IS NULL THEN
    RAISE EXCEPTION 'exchange and market must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF activity.keyword = '' THEN
    RAISE EXCEPTION 'keyword must not be empty' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Pass NULL to count every tweet.';
  END IF;
  step := pulse_internal.interval_usecs('bucket', activity.bucket) * interval '1 microsecond';
  SELECT r.first_bucket, r.buckets INTO first_b, n_buckets
    FROM pulse_internal.bucket_range(activity."from", activity.until, pulse_internal.interval_usecs('bucket', activity.bucket)) r;
  kw := lower(activity.keyword);
  kw_tag := ltrim(kw, '#');
  -- A zero needs evidence: buckets the sources do not wholly cover are NULL.
  tweets_cov := pulse_internal.covered('tweets');
  market_cov := pulse_internal.covered(pulse_internal.candle_subject(activity.exchange, activity.market, interval '1 minute'));
  IF isempty(market_cov)
     AND NOT EXISTS (SELECT FROM pulse.coverage c
                      WHERE starts_with(c.subject, 'candles/' || activity.exchange || '/' || activity.market || '/'))
     AND NOT EXISTS (SELECT FROM pulse.candles c WHERE c.exchange = activity.exchange AND c.market = activity.market) THEN
    RAISE WARNING 'market % on exchange % has no candles and no coverage', activity.market, activity.exchange
      USING HINT = 'Check the spelling (markets are the exchange''s own names, such as KRW-BTC or BTCUSDT); its side of the result is NULL.';
  END IF;

  RETURN QUERY
  WITH grid AS (
    SELECT g AS b FROM generate_series(first_b, activity.until, step) AS g WHERE g < activity.until
  ), tw AS (
    SELECT date_bin(step, t.created_at, timestamptz '1970-01-01 00:00:00+00') AS b, count(*) AS n
      FROM pulse.tweets t
     WHERE t.created_at >= activity."from" AND t.created_at < activity.until
       AND (kw IS NULL OR strpos(lower(t.text), kw) > 0 OR kw_tag = ANY (t.hashtags))
     GROUP BY 1
  ), cd AS (
    SELECT date_bin(step, c.bucket_start, timestamptz '1970-01-01 00:00:00+00') AS b,
           (array_agg(c.open ORDER BY c.bucket_start))[1] AS open,
           max(c.high) AS high, min(c.low) AS low,
           (array_agg(c.close ORDER BY c.bucket_start DESC))[1] AS close,
           sum(c.volume) AS volume, sum(c.quote_volume) AS quote_volume
      FROM pulse.candles c
     WHERE c.exchange = activity.exchange AND c.market = activity.market AND c.period = interval '1 minute'
       AND c.bucket_start >= activity."from" AND c.bucket_start < activity.until
     GROUP BY 1
  ), prior AS (
    SELECT c.close
      FROM pulse.candles c
     WHERE c.exchange = activity.exchange AND c.market = activity.market AND c.period = interval '1 minute'
       AND c.bucket_start < activity."from"
     ORDER BY c.bucket_start DESC
     LIMIT 1
  ), joined AS (
    SELECT g.b, tweets_cov @> tstzrange(g.b, g.b + step) AS t_ok, market_cov @> tstzrange(g.b, g.b + step) AS m_ok,
           coalesce(tw.n, 0) AS tweets,
           coalesce(cd.volume, 0) AS volume, coalesce(cd.quote_volume, 0) AS quote_volume,
           cd.open, cd.high, cd.low, cd.close,
           -- runs of buckets that share the last close seen so far
           count(cd.close) OVER (ORDER BY g.b) AS run
      FROM grid g LEFT JOIN tw ON tw.b = g.b LEFT JOIN cd ON cd.b = g.b
  ), carried AS (
    SELECT j.*, coalesce(first_value(j.close) OVER (PARTITION BY j.run ORDER BY j.b),
                         (SELECT p.close FROM prior p)) AS last_close
      FROM joined j
  )
  SELECT c.b, CASE WHEN c.t_ok THEN c.tweets END,
         CASE WHEN c.m_ok THEN c.volume END, CASE WHEN c.m_ok THEN c.quote_volume END,
         CASE WHEN c.m_ok THEN coalesce(c.open, c.last_close) END, CASE WHEN c.m_ok THEN coalesce(c.high, c.last_close) END,
         CASE WHEN c.m_ok THEN coalesce(c.low, c.last_close) END, CASE WHEN c.m_ok THEN coalesce(c.close, c.last_close) END
    FROM carried c
   ORDER BY c.b;
END
$fn$;
COMMENT ON FUNCTION pulse.activity(text, text, timestamptz, timestamptz, interval, text) IS
  'Tweets and candles per UTC-aligned bucket in [from, until), gap-filled: 0 tweets and 0 volume where coverage shows nothing happened, prices carried forward from the last candle (also one before from); a side whose coverage does not wholly hold the bucket is NULL';

-- ------------------------------------------------------- rolling_correlation

CREATE OR REPLACE FUNCTION pulse.rolling_correlation(exchange text, market text, "from" timestamptz, until timestamptz,
                                          "window" interval DEFAULT '1 hour', bucket interval DEFAULT '1 minute',
                                          keyword text DEFAULT NULL)
  RETURNS SETOF pulse.rolling_correlation_bucket
  LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 1000
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  bucket_us bigint := pulse_internal.interval_usecs('bucket', rolling_correlation.bucket);
  window_us bigint := pulse_internal.interval_usecs('window', rolling_correlation."window");
  first_b timestamptz;
  n_buckets bigint;
  preceding interval;
BEGIN
  IF window_us < bucket_us THEN
    RAISE EXCEPTION 'window must not be shorter than bucket' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF window_us / bucket_us > 1000000 THEN
    RAISE EXCEPTION 'window spans too many buckets' USING ERRCODE = 'program_limit_exceeded',
      DETAIL = 'At most 1000000 buckets per window are allowed.';
  END IF;
  SELECT r.first_bucket, r.buckets INTO first_b, n_buckets
    FROM pulse_internal.bucket_range(rolling_correlation."from", rolling_correlation.until, bucket_us) r;
  -- The frame holds the buckets starting in (b - window, b]: every bucket
  -- has a row (gap-filled), so that is the last window / bucket rows. The
  -- first ones are warmed up with the activity before from.
  preceding := (window_us - bucket_us) * interval '1 microsecond';
  RETURN QUERY
  SELECT u.b, u.t, u.v, u.c
    FROM (SELECT array_agg(a.bucket ORDER BY a.bucket) AS b, array_agg(a.tweets ORDER BY a.bucket) AS t,
                 array_agg(a.volume ORDER BY a.bucket) AS v
            FROM pulse.activity(rolling_correlation.exchange, rolling_correlation.market,
                                first_b - preceding, rolling_correlation.until,
                                bucket_us * interval '1 microsecond', rolling_correlation.keyword) a) s,
         unnest(s.b, s.t, s.v, pulse.moving_corr_series(s.t::float8[], s.v::float8[], (window_us / bucket_us)::int))
           AS u(b, t, v, c)
   WHERE u.b >= first_b
   ORDER BY u.b;
END
$fn$;
COMMENT ON FUNCTION pulse.rolling_correlation(text, text, timestamptz, timestamptz, interval, interval, text) IS
  'Per bucket in [from, until): tweets, volume, and moving_corr(tweets, volume) over the trailing window (buckets starting in (bucket - window, bucket])';

-- ------------------------------------------------------------------ lead_lag
CREATE OR REPLACE FUNCTION pulse.lead_lag(exchange text, market text, "from" timestamptz, until timestamptz,
                               max_lag int DEFAULT 30, bucket interval DEFAULT '1 minute',
                               keyword text DEFAULT NULL)
  RETURNS TABLE(lag int, n int, corr float8)
  LANGUAGE sql STABLE PARALLEL SAFE ROWS 61
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT l.lag, l.n, l.corr
    FROM (SELECT array_agg(a.tweets::float8 ORDER BY a.bucket) AS x,
                 array_agg(a.volume::float8 ORDER BY a.bucket) AS y
            FROM pulse.activity($1, $2, $3, $4, $6, $7) a) s,
         pulse.lagged_corr(s.x, s.y, $5) l
   ORDER BY l.lag
$fn$;
COMMENT ON FUNCTION pulse.lead_lag(text, text, timestamptz, timestamptz, int, interval, text) IS
  'Per lag in -max_lag..max_lag buckets: pairs and corr of tweet counts at t against volume at t + lag (positive lag: tweets lead volume)';

-- ------------------------------------------------------------------- windows
CREATE OR REPLACE FUNCTION pulse.hop(ts timestamptz, size interval, slide interval) RETURNS SETOF timestamptz
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE ROWS 4
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  size_us bigint := pulse_internal.interval_usecs('size', size);
  slide_us bigint := pulse_internal.interval_usecs('slide', slide);
  t numeric;
  last_start numeric;
BEGIN
  IF size_us / slide_us > 100000 THEN
    RAISE EXCEPTION 'size / slide is too large: %', size_us / slide_us
      USING ERRCODE = 'program_limit_exceeded', DETAIL = 'A row may fall in at most 100000 windows.';
  END IF;
  IF ts IS NULL OR NOT isfinite(ts) THEN
    RETURN;  -- a NULL or infinite time is in no window
  END IF;
  t := extract(epoch FROM ts) * 1000000;
  last_start := t - mod(t, slide_us) - CASE WHEN mod(t, slide_us) < 0 THEN slide_us ELSE 0 END;
  RETURN QUERY
  -- whole seconds and microseconds apart: interval * float8 stays exact
  SELECT timestamptz '1970-01-01 00:00:00+00' + div(s, 1000000) * interval '1 second'
                                             + mod(s, 1000000) * interval '1 microsecond'
    FROM generate_series(last_start, t - size_us + 1, -slide_us) AS s
   ORDER BY s;
END
$fn$;
COMMENT ON FUNCTION pulse.hop(timestamptz, interval, interval) IS
  'Starts of every sliding window [start, start + size) containing ts, windows starting every slide from the UTC epoch (like date_bin)';

CREATE OR REPLACE FUNCTION pulse.session_start(ts timestamptz, gap interval) RETURNS timestamptz
  LANGUAGE c WINDOW IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'pulse_session_start';
COMMENT ON FUNCTION pulse.session_start(timestamptz, interval) IS
  'Window function, OVER (PARTITION BY ... ORDER BY ts): start of the row''s session; a row at least gap after the previous one opens a new session';

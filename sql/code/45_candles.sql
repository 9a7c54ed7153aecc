-- Candles (formats upbit, binance, coinone): each exchange's record
-- projection reads its fields from the API's own record and decides, with
-- rules shared by all three, whether the row is usable; one function
-- (apply_candles) merges a batch of any of them into pulse.candles.
--
-- A landing payload is {"market", "period", "observed_ms"?, "record": <the
-- record exactly as the API sent it>}. Versions (observed_at), per exchange:
--   upbit:   the record's `timestamp`, the time of the candle's last trade;
--            it grows while the candle is open and is final once closed.
--   binance: least(observed_ms, close time + 1 ms): while the candle is open
--            the time we saw it (newer sightings win); once closed, a fixed
--            value, so re-reading a closed candle is `unchanged`.
--   coinone: the same rule with bucket_start + period as the close, because
--            its chart records carry no last-trade time.
-- The projections are C++ (extension/entry/candles.cpp, rules in
-- extension/core/candle_rules.h): one pass over the record (its jsonb, or
-- for a landing chunk its text), a JSON number read by numeric_in from the
-- text it was written with, as jsonb's input reads it, and decimal strings
-- by numeric_in, never through a double. Each returns one row per payload:
-- the candle and why it cannot be stored (NULL when it can): the record's
-- shape (wrong JSON type), the landing payload (market, a known period),
-- the exchange's own checks of the record (market), its time, prices and
-- volumes, then values no market can print (a negative price or volume,
-- high below low, open or close outside [low, high], an open time off its
-- period's grid, a candle or a last trade more than one period in the
-- future, a candle outside the range its page was asked for: the landing
-- payload's range_from_ms/range_until_ms, when the loader sent them), then
-- the exchange's later checks. One order and wording for every exchange.
-- STABLE: the future is counted from now().

-- A time in reject reasons, the same whatever the session's TimeZone and
-- DateStyle.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.utc_text(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

CREATE OR REPLACE FUNCTION pulse_internal.candle_upbit(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE c STABLE PARALLEL SAFE ROWS 1
AS 'MODULE_PATHNAME', 'pulse_candle_upbit';

CREATE OR REPLACE FUNCTION pulse_internal.candle_binance(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE c STABLE PARALLEL SAFE ROWS 1
AS 'MODULE_PATHNAME', 'pulse_candle_binance';

CREATE OR REPLACE FUNCTION pulse_internal.candle_coinone(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE c STABLE PARALLEL SAFE ROWS 1
AS 'MODULE_PATHNAME', 'pulse_candle_coinone';

-- The rows of every record of a landing chunk (its payloads, records
-- numbered from first_seq) as the exchange's projection above gives them,
-- with the record as jsonb where the row has a reason (what a reject keeps).
-- A record is read from its text (simdjson, numbers as written) where that
-- gives what its jsonb gives, else parsed into jsonb as pulse.landing would:
-- parsing each record into jsonb cost more than the projection (issue 17).
CREATE OR REPLACE FUNCTION pulse_internal.candle_chunk_rows(exchange text, payloads text, first_seq integer)
RETURNS TABLE(seq integer, payload jsonb, market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE c STABLE STRICT PARALLEL SAFE
ROWS 1000
AS 'MODULE_PATHNAME', 'pulse_candle_chunk_rows';

-- The staging tables of one candle batch: pulse_candle_proj, its records'
-- projection (candles_project), and pulse_candle_src, its usable candles,
-- one per key (apply_candles). Made once per session and kept (emptied at
-- each commit, and here when a transaction projects several batches), so a
-- batch creates no table; emptying them forgets what was staged ahead in
-- them. apply_batch is SECURITY DEFINER, so existing tables are used only if
-- they are this role's own (own_temp_table, 40_ingest.sql).
CREATE OR REPLACE FUNCTION pulse_internal.candle_stage() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM pulse_internal.staged_forget();
  IF to_regclass('pg_temp.pulse_candle_src') IS NOT NULL OR to_regclass('pg_temp.pulse_candle_proj') IS NOT NULL THEN
    IF NOT (pulse_internal.own_temp_table('pulse_candle_src') AND pulse_internal.own_temp_table('pulse_candle_proj')) THEN
      RAISE EXCEPTION 'temporary tables pulse_candle_proj/pulse_candle_src exist but were not made by pulse'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Drop them (or end the transaction) before loading candles in this session.';
    END IF;
    -- Rows left by an earlier batch of this transaction (pulse.reapply).
    IF EXISTS (SELECT FROM pg_temp.pulse_candle_proj) OR EXISTS (SELECT FROM pg_temp.pulse_candle_src) THEN
      DELETE FROM pg_temp.pulse_candle_proj;
      DELETE FROM pg_temp.pulse_candle_src;
    END IF;
    RETURN;
  END IF;
  CREATE TEMP TABLE pulse_candle_proj (
    seq integer, payload jsonb, market text, period interval, bucket_start timestamptz,
    open numeric, high numeric, low numeric, close numeric, volume numeric, quote_volume numeric,
    observed_at timestamptz, reason text
  ) ON COMMIT DELETE ROWS;
  CREATE TEMP TABLE pulse_candle_src (
    market text NOT NULL, period interval NOT NULL, bucket_start timestamptz NOT NULL,
    open numeric, high numeric, low numeric, close numeric, volume numeric, quote_volume numeric,
    observed_at timestamptz
  ) ON COMMIT DELETE ROWS;
END
$$;

-- The merge step of apply_candles: the staged candles of one exchange, whose
-- times lie in [t_min, t_max], into pulse.candles. Returns how many rows it
-- wrote and how many staged keys it did not find stored.
CREATE OR REPLACE FUNCTION pulse_internal.candle_merge(exchange text, t_min timestamptz, t_max timestamptz,
                                                       OUT total bigint, OUT fresh bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  untouched boolean;
BEGIN
  -- A batch whose markets hold no candle of this exchange in [t_min, t_max]
  -- (a first load, a backfill) has nothing to compare: one probe per
  -- market on (exchange, market, bucket_start) decides. Its rows then go in
  -- with a plain INSERT, without ON CONFLICT's speculative insertion (about
  -- 30 % less per row, bench/README.md); should a concurrent writer have
  -- stored one of the keys meanwhile, the unique violation rolls that back
  -- (a subtransaction) and the probing merge below does the batch. Every
  -- staged key was missing from this snapshot, as that probe would find.
  untouched := NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT g.market FROM pg_temp.pulse_candle_src g) m
                            WHERE EXISTS (SELECT 1 FROM pulse.candles c
                                           WHERE c.exchange = candle_merge.exchange AND c.market = m.market
                                             AND c.bucket_start BETWEEN t_min AND t_max));
  -- Not in pulse.reapply, whose one transaction would hold a subtransaction
  -- per batch (past 64 they overflow the backend's cache, which slows every
  -- snapshot taken on the server while it runs): an INSERT whose ON
  -- CONFLICT applies the version rule to a row written meanwhile.
  IF untouched AND current_setting('pulse.reapplying', true) IS DISTINCT FROM 'on' THEN
    BEGIN
      INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume,
                                 quote_volume, observed_at)
      SELECT candle_merge.exchange, g.market, g.period, g.bucket_start, g.open, g.high, g.low, g.close,
             g.volume, g.quote_volume, g.observed_at
        FROM pg_temp.pulse_candle_src g;
      GET DIAGNOSTICS total = ROW_COUNT;
      fresh := total;
      RETURN;
    EXCEPTION WHEN unique_violation THEN
      untouched := false;
    END;
  END IF;
  IF untouched THEN
    WITH up AS (
      INSERT INTO pulse.candles AS c
             (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
      SELECT candle_merge.exchange, g.market, g.period, g.bucket_start, g.open, g.high, g.low, g.close,
             g.volume, g.quote_volume, g.observed_at
        FROM pg_temp.pulse_candle_src g
      ON CONFLICT (exchange, market, period, bucket_start) DO UPDATE
         SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
             observed_at = EXCLUDED.observed_at, ingested_at = now()
       WHERE EXCLUDED.observed_at >= c.observed_at
         AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
             IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, EXCLUDED.quote_volume)
      RETURNING 1)
    SELECT count(*), count(*) INTO total, fresh FROM up;
    RETURN;
  END IF;
  -- Only rows that will change reach the INSERT: an unchanged row hit by ON
  -- CONFLICT would still be locked, which writes WAL. Each staged row probes
  -- the primary key once (LIMIT 1 keeps it a parameterized nested loop; the
  -- batch's time range prunes the partitions once, each row's time the rest
  -- at run time), so the cost follows the batch, not the table. The ON
  -- CONFLICT condition repeats the test for rows a concurrent batch just
  -- wrote. (xmax cannot be returned from a partitioned table, so inserts and
  -- updates are told apart by whether the key existed in this snapshot.)
  WITH todo AS (
      SELECT g.*, c.found IS NOT NULL AS existed
        FROM pg_temp.pulse_candle_src g
        LEFT JOIN LATERAL (
          SELECT true AS found, c.observed_at, c.open, c.high, c.low, c.close, c.volume, c.quote_volume
            FROM pulse.candles c
           WHERE c.exchange = candle_merge.exchange AND c.market = g.market AND c.period = g.period
             AND c.bucket_start = g.bucket_start AND c.bucket_start BETWEEN t_min AND t_max
           LIMIT 1) c ON true
       WHERE c.found IS NULL
          OR (g.observed_at >= c.observed_at
              AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
                  IS DISTINCT FROM (g.open, g.high, g.low, g.close, g.volume, g.quote_volume))),
    up AS (
      INSERT INTO pulse.candles AS c
             (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
      SELECT candle_merge.exchange, t.market, t.period, t.bucket_start, t.open, t.high, t.low, t.close,
             t.volume, t.quote_volume, t.observed_at
        FROM todo t
      ON CONFLICT (exchange, market, period, bucket_start) DO UPDATE
         SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
             observed_at = EXCLUDED.observed_at, ingested_at = now()
       WHERE EXCLUDED.observed_at >= c.observed_at
         AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
             IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, EXCLUDED.quote_volume)
      RETURNING 1)
    -- Counted without joining `up` back to `todo`: every row of todo
    -- that did not exist was inserted, unless a concurrent batch
    -- inserted it first (then it was updated or left as is).
  SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM todo WHERE NOT existed) INTO total, fresh;
END
$$;

-- Projects a batch's landing records of one candle format (the exchange's
-- name) with the format's record projection into the session's table
-- pg_temp.pulse_candle_proj (candle_stage empties both candle tables first): each record's candle and the projection's
-- reason to refuse it, the record itself only with such a reason (what a
-- reject keeps). It depends on the records alone, so pulse-load's second
-- session runs it ahead of the batch's turn (stage_ahead, 55_tweets.sql).
-- False when the format has no candle projection.
CREATE OR REPLACE FUNCTION pulse_internal.candles_project(stream text, batch_id bigint, exchange text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
  proj text := (SELECT f.projection::oid::regproc::text FROM pulse_internal.formats f
                 WHERE f.format = exchange AND f.apply = 'pulse_internal.apply_candles(text,bigint,text)'::regprocedure);
  exchange_rows text;
BEGIN
  IF proj IS NULL THEN
    RETURN false;
  END IF;
  PERFORM pulse_internal.candle_stage();
  -- The built-in projections read whole chunks from their text.
  exchange_rows := CASE proj WHEN 'pulse_internal.candle_upbit' THEN 'upbit'
                             WHEN 'pulse_internal.candle_binance' THEN 'binance'
                             WHEN 'pulse_internal.candle_coinone' THEN 'coinone' END;
  IF exchange_rows IS NOT NULL THEN
    INSERT INTO pg_temp.pulse_candle_proj
    SELECT r.seq, r.payload, r.market, r.period, r.bucket_start, r.open, r.high, r.low, r.close, r.volume,
           r.quote_volume, r.observed_at, r.reason
      FROM pulse_internal.landing_chunks c
     CROSS JOIN LATERAL pulse_internal.candle_chunk_rows(exchange_rows, c.payloads, c.seq) AS r
     WHERE c.stream = candles_project.stream AND c.batch_id = candles_project.batch_id
       AND c.format = candles_project.exchange;
    RETURN true;
  END IF;
  EXECUTE format($q$
    INSERT INTO pg_temp.pulse_candle_proj
    SELECT l.seq, CASE WHEN p.reason IS NOT NULL THEN l.payload END, p.market, p.period, p.bucket_start,
           p.open, p.high, p.low, p.close, p.volume, p.quote_volume, p.observed_at, p.reason
      FROM pulse.landing l CROSS JOIN LATERAL %s(l.payload) p
     WHERE l.stream = $1 AND l.batch_id = $2 AND l.format = $3
  $q$, proj) USING stream, batch_id, exchange;
  RETURN true;
END
$$;

-- The usable candles of the projected batch (pulse_candle_proj's rows
-- without a reason), one per key, into pg_temp.pulse_candle_src: per key the
-- greatest observed_at wins, then the later record. It depends on the
-- records alone, so stage_ahead runs it too.
CREATE OR REPLACE FUNCTION pulse_internal.candles_collapse() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
  DELETE FROM pg_temp.pulse_candle_src;
  INSERT INTO pg_temp.pulse_candle_src (market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
  SELECT DISTINCT ON (p.market, p.period, p.bucket_start)
         p.market, p.period, p.bucket_start, p.open, p.high, p.low, p.close, p.volume, p.quote_volume, p.observed_at
    FROM pg_temp.pulse_candle_proj p WHERE p.reason IS NULL
   ORDER BY p.market, p.period, p.bucket_start, p.observed_at DESC, p.seq DESC;
END
$$;

-- Applies a batch's landing rows of one candle format (the exchange's name):
-- its projection and collapse (candles_project, candles_collapse, unless
-- staged ahead in this transaction) are merged into pulse.candles with
-- pulse.merge semantics: inside the batch the greatest observed_at wins per
-- key (then the later record); a stored row is rewritten only when the
-- incoming version is not older AND a price or volume differs, so loading
-- the same data twice writes nothing. Written as INSERT ... ON CONFLICT on
-- the primary key rather than a pulse.merge call (which would check and
-- count the batch again). Candles before what the retention of
-- pulse.candles keeps (read now, not when staged) are refused with their
-- records, and the batch is collapsed again without them; the refused go
-- to pulse.rejects; the partitions the rest needs are made; then they are
-- merged.
CREATE OR REPLACE FUNCTION pulse_internal.apply_candles(stream text, batch_id bigint, exchange text)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- The planner's estimate for these statements is high enough to trigger
-- JIT, whose compile time exceeds the work of a typical batch.
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  keep_from timestamptz := pulse_internal.retention_floor('pulse.candles');
  staged boolean := pulse_internal.staged_ahead(stream, batch_id, exchange);
  n_rej bigint;
  n_good bigint;
  t_min timestamptz;
  t_max timestamptz;
  hours timestamptz[];
  n_total bigint;
  n_fresh bigint;
  late integer[];
BEGIN
  IF NOT staged AND NOT pulse_internal.candles_project(stream, batch_id, exchange) THEN
    RAISE EXCEPTION 'no candle projection for exchange %', exchange USING ERRCODE = '22023';
  END IF;
  -- Candles that retention refuses keep their record too: read again here,
  -- in one pass over the batch, only when there are such candles (none
  -- without a retention: no scan of the batch then).
  IF keep_from > '-infinity' THEN
    SELECT array_agg(c.seq) INTO late FROM pg_temp.pulse_candle_proj c
     WHERE c.reason IS NULL AND c.bucket_start < keep_from;
  END IF;
  IF late IS NOT NULL THEN
    UPDATE pg_temp.pulse_candle_proj c
       SET payload = l.payload,
           reason = format('candle opens at %s, before what the retention of pulse.candles keeps (%s)',
                           pulse_internal.utc_text(c.bucket_start), pulse_internal.utc_text(keep_from))
      FROM pulse.landing l
     WHERE l.stream = apply_candles.stream AND l.batch_id = apply_candles.batch_id AND l.format = exchange
       AND l.seq = ANY (late) AND c.seq = l.seq;
    staged := false;
  END IF;
  IF NOT staged THEN
    PERFORM pulse_internal.candles_collapse();
  END IF;
  INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
  SELECT apply_candles.stream, apply_candles.batch_id, exchange, convert_to(p.payload::text, 'UTF8'), p.reason
    FROM pg_temp.pulse_candle_proj p WHERE p.reason IS NOT NULL;
  GET DIAGNOSTICS n_rej = ROW_COUNT;
  SELECT count(*), min(st.bucket_start), max(st.bucket_start),
         array_agg(DISTINCT date_bin('1 hour', st.bucket_start, timestamptz '2000-01-01 00:00:00+00'))
    INTO n_good, t_min, t_max, hours
    FROM pg_temp.pulse_candle_src st;
  IF n_good = 0 THEN
    RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, n_rej;
    RETURN;
  END IF;
  -- Backfills may reach before the premade partitions: create what this batch
  -- needs, and only that (cheap when they exist). This function runs as the
  -- extension owner (apply_batch is SECURITY DEFINER), so it calls the
  -- unchecked internal: pulse.ensure_partitions checks the session user, a
  -- pulse_writer member without INSERT on candles.
  PERFORM pulse_internal.create_partitions_at('pulse.candles'::regclass, hours);
  SELECT m.total, m.fresh INTO n_total, n_fresh FROM pulse_internal.candle_merge(exchange, t_min, t_max) AS m;
  RETURN QUERY SELECT least(n_fresh, n_total), n_total - least(n_fresh, n_total), n_good - n_total, n_rej;
END
$$;

-- The candle formats: the exchange's name, its record projection.
INSERT INTO pulse_internal.formats AS f (format, apply, projection, description) VALUES
  ('upbit', 'pulse_internal.apply_candles(text,bigint,text)', 'pulse_internal.candle_upbit(jsonb)',
   'Upbit minute candles (GET /v1/candles/minutes/N records)'),
  ('binance', 'pulse_internal.apply_candles(text,bigint,text)', 'pulse_internal.candle_binance(jsonb)',
   'Binance klines (GET /api/v3/klines arrays)'),
  ('coinone', 'pulse_internal.apply_candles(text,bigint,text)', 'pulse_internal.candle_coinone(jsonb)',
   'Coinone chart records (GET /public/v2/chart/Q/T)')
ON CONFLICT (format) DO UPDATE
  SET apply = excluded.apply, projection = excluded.projection, description = excluded.description;

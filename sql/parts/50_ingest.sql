-- Ingestion API (SPEC "Ingestion API"): pulse.apply_batch turns one batch of
-- raw landing records into typed rows, rejects and a checkpoint, in the
-- loader's transaction; per-format projections pulse._apply_<format>;
-- pulse.reapply rebuilds typed rows from kept landing records.
--
-- Contract for a format F (the tweet formats follow it too):
--   pulse._apply_F(stream text, batch_id bigint)
--     RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
-- reads pulse.landing rows (stream, batch_id, format = F), upserts typed rows
-- with pulse.merge semantics (newest version wins, equal rows not rewritten)
-- and puts every unusable record into pulse.rejects.

-- apply_batch and reapply find a batch's rows by (stream, batch_id).
CREATE INDEX IF NOT EXISTS landing_stream_batch_idx ON pulse.landing (stream, batch_id);

-- A JSON value as an exact numeric: a JSON number as printed, or a string
-- holding a plain decimal (Binance and Coinone quote decimals as strings).
-- NULL for anything else, so the caller can reject instead of erroring.
-- Never goes through float.
CREATE FUNCTION pulse._json_numeric(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN v::numeric
    WHEN 'string' THEN
      CASE WHEN (v #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(v #>> '{}') <= 1000 THEN (v #>> '{}')::numeric END
  END
$$;
COMMENT ON FUNCTION pulse._json_numeric(jsonb) IS 'Internal: a JSON number or decimal string as exact numeric, NULL if it is neither';

-- The same from a value already split into its text and jsonb_typeof, so a
-- projection extracts each field once (the planner inlines these functions,
-- repeating the argument expression wherever the body names it).
CREATE FUNCTION pulse._num(t text, kind text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE kind
    WHEN 'number' THEN t::numeric
    WHEN 'string' THEN CASE WHEN t ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(t) <= 1000 THEN t::numeric END
  END
$$;
COMMENT ON FUNCTION pulse._num(text, text) IS 'Internal: a JSON number or decimal string (given as text and jsonb_typeof) as exact numeric, NULL otherwise';

-- Epoch milliseconds (a JSON integer or integer string) as timestamptz,
-- without float arithmetic. NULL when not a plausible epoch-ms integer.
-- STABLE, not IMMUTABLE: timestamptz + interval is STABLE, and an IMMUTABLE
-- SQL function whose body is less strict is never inlined.
CREATE FUNCTION pulse._json_epoch_ms(v jsonb) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN
      CASE WHEN v::numeric >= 0 AND v::numeric < 1e15 AND trunc(v::numeric) = v::numeric
           THEN timestamptz 'epoch' + (v::numeric)::bigint * interval '1 millisecond' END
    WHEN 'string' THEN
      CASE WHEN (v #>> '{}') ~ '^[0-9]+$' AND length(v #>> '{}') <= 15
           THEN timestamptz 'epoch' + (v #>> '{}')::bigint * interval '1 millisecond' END
  END
$$;
COMMENT ON FUNCTION pulse._json_epoch_ms(jsonb) IS 'Internal: epoch milliseconds as timestamptz, NULL if not an integer';

-- The loader's period names ('1m' ... '1h') as intervals; NULL if unknown.
CREATE FUNCTION pulse._period(p text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p WHEN '1m' THEN interval '1 minute' WHEN '3m' THEN interval '3 minutes'
                WHEN '5m' THEN interval '5 minutes' WHEN '10m' THEN interval '10 minutes'
                WHEN '15m' THEN interval '15 minutes' WHEN '30m' THEN interval '30 minutes'
                WHEN '1h' THEN interval '1 hour' WHEN '4h' THEN interval '4 hours' END
$$;
COMMENT ON FUNCTION pulse._period(text) IS 'Internal: a loader period name (1m, 3m, 5m, 10m, 15m, 30m, 1h, 4h) as an interval';

-- Per-exchange projections: one landing payload {"market", "period",
-- "observed_ms"?, "record": <the record exactly as the API sent it>} to one
-- candle row, or a reason to reject it. Versions (observed_at), per exchange:
--   upbit:   the record's `timestamp`, the time of the candle's last trade;
--            it grows while the candle is open and is final once closed.
--   binance: least(observed_ms, close time + 1 ms): while the candle is open
--            the time we saw it (newer sightings win); once closed, a fixed
--            value, so re-reading a closed candle is `unchanged`.
--   coinone: the same rule with bucket_start + period as the close, because
--            its chart records carry no last-trade time.
-- Written as one-row set-returning SQL functions so that the planner inlines
-- them into the batch query (a scalar function returning a record, called
-- in FROM, is not inlined and costs a function call per record); STABLE
-- because timestamptz arithmetic is.
CREATE FUNCTION pulse._candle_upbit(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume, v.observed_at,
         CASE
           WHEN v.kind IS DISTINCT FROM 'object' THEN 'upbit candle is not a JSON object'
           WHEN v.market IS NULL OR v.period IS NULL THEN 'landing payload lacks market or a known period'
           WHEN v.rec_market IS NOT NULL AND v.rec_market <> v.market
             THEN 'upbit candle is for market ' || v.rec_market || ', not ' || v.market
           WHEN v.bucket_start IS NULL THEN 'upbit candle_date_time_utc missing or malformed'
           WHEN v.open IS NULL OR v.high IS NULL OR v.low IS NULL OR v.close IS NULL OR v.volume IS NULL
             OR v.quote_volume IS NULL THEN 'upbit candle has a missing or non-numeric price or volume'
           WHEN v.observed_at IS NULL THEN 'upbit candle timestamp missing or malformed'
           WHEN v.unit IS NOT NULL AND v.unit IS DISTINCT FROM (extract(epoch FROM v.period) / 60)::int::text
             THEN 'upbit candle unit ' || v.unit || ' does not match period ' || (p->>'period')
         END
  FROM (SELECT p->>'market' AS market, pulse._period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               r->>'market' AS rec_market, r->>'unit' AS unit,
               CASE WHEN r->>'candle_date_time_utc' ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$'
                    THEN ((r->>'candle_date_time_utc') || '+00')::timestamptz END AS bucket_start,
               pulse._num(r->>'opening_price', jsonb_typeof(r->'opening_price')) AS open, pulse._num(r->>'high_price', jsonb_typeof(r->'high_price')) AS high,
               pulse._num(r->>'low_price', jsonb_typeof(r->'low_price')) AS low, pulse._num(r->>'trade_price', jsonb_typeof(r->'trade_price')) AS close,
               pulse._num(r->>'candle_acc_trade_volume', jsonb_typeof(r->'candle_acc_trade_volume')) AS volume,
               pulse._num(r->>'candle_acc_trade_price', jsonb_typeof(r->'candle_acc_trade_price')) AS quote_volume,
               pulse._json_epoch_ms(r->'timestamp') AS observed_at
          -- OFFSET 0 keeps each level from being flattened, so the record is
          -- extracted once and each value parsed once per landing row.
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;
COMMENT ON FUNCTION pulse._candle_upbit(jsonb) IS 'Internal: projects one Upbit minute-candle landing payload to a candle row or a reject reason';

CREATE FUNCTION pulse._candle_binance(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
         CASE WHEN v.observed IS NULL THEN v.close_time + interval '1 millisecond'
              ELSE least(v.observed, v.close_time + interval '1 millisecond') END,
         CASE
           WHEN v.kind IS DISTINCT FROM 'array' OR v.len < 8 THEN 'binance kline is not an array of at least 8 fields'
           WHEN v.market IS NULL OR v.period IS NULL THEN 'landing payload lacks market or a known period'
           WHEN v.bucket_start IS NULL OR v.close_time IS NULL THEN 'binance kline open or close time malformed'
           WHEN v.open IS NULL OR v.high IS NULL OR v.low IS NULL OR v.close IS NULL OR v.volume IS NULL
             OR v.quote_volume IS NULL THEN 'binance kline has a missing or non-numeric price or volume'
         END
  FROM (SELECT p->>'market' AS market, pulse._period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               CASE WHEN jsonb_typeof(r) = 'array' THEN jsonb_array_length(r) END AS len,
               pulse._json_epoch_ms(r->0) AS bucket_start, pulse._json_epoch_ms(r->6) AS close_time,
               pulse._json_epoch_ms(p->'observed_ms') AS observed,
               pulse._num(r->>1, jsonb_typeof(r->1)) AS open, pulse._num(r->>2, jsonb_typeof(r->2)) AS high,
               pulse._num(r->>3, jsonb_typeof(r->3)) AS low, pulse._num(r->>4, jsonb_typeof(r->4)) AS close,
               pulse._num(r->>5, jsonb_typeof(r->5)) AS volume, pulse._num(r->>7, jsonb_typeof(r->7)) AS quote_volume
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;
COMMENT ON FUNCTION pulse._candle_binance(jsonb) IS 'Internal: projects one Binance kline landing payload to a candle row or a reject reason';

CREATE FUNCTION pulse._candle_coinone(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
         CASE WHEN v.observed IS NULL THEN v.bucket_start + v.period
              ELSE least(v.observed, v.bucket_start + v.period) END,
         CASE
           WHEN v.kind IS DISTINCT FROM 'object' THEN 'coinone candle is not a JSON object'
           WHEN v.market IS NULL OR v.period IS NULL THEN 'landing payload lacks market or a known period'
           WHEN v.bucket_start IS NULL THEN 'coinone candle timestamp missing or malformed'
           WHEN v.open IS NULL OR v.high IS NULL OR v.low IS NULL OR v.close IS NULL OR v.volume IS NULL
             OR v.quote_volume IS NULL THEN 'coinone candle has a missing or non-numeric price or volume'
         END
  FROM (SELECT p->>'market' AS market, pulse._period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               pulse._json_epoch_ms(r->'timestamp') AS bucket_start,
               pulse._json_epoch_ms(p->'observed_ms') AS observed,
               pulse._num(r->>'open', jsonb_typeof(r->'open')) AS open, pulse._num(r->>'high', jsonb_typeof(r->'high')) AS high,
               pulse._num(r->>'low', jsonb_typeof(r->'low')) AS low, pulse._num(r->>'close', jsonb_typeof(r->'close')) AS close,
               pulse._num(r->>'target_volume', jsonb_typeof(r->'target_volume')) AS volume, pulse._num(r->>'quote_volume', jsonb_typeof(r->'quote_volume')) AS quote_volume
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;
COMMENT ON FUNCTION pulse._candle_coinone(jsonb) IS 'Internal: projects one Coinone chart landing payload to a candle row or a reject reason';

-- Projects a batch's landing rows of one candle format and merges them into
-- pulse.candles with pulse.merge semantics: inside the batch the greatest
-- observed_at wins per key (then the later record); a stored row is
-- rewritten only when the incoming version is not older AND a price or
-- volume differs, so loading the same data twice writes nothing. Written as
-- one INSERT ... ON CONFLICT on the primary key rather than a pulse.merge
-- call: the batch is a query result, and this avoids a temporary table per
-- batch on the loaders' hot path.
CREATE FUNCTION pulse._apply_candles(stream text, batch_id bigint, exchange text)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql
-- The planner's estimate for this statement is high enough to trigger JIT,
-- whose compile time exceeds the work of a typical batch.
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  proj text := format('pulse.%I', '_candle_' || exchange);
  lo timestamptz;
  hi timestamptz;
BEGIN
  IF to_regprocedure(proj || '(jsonb)') IS NULL THEN
    RAISE EXCEPTION 'no candle projection for exchange %', exchange USING ERRCODE = '22023';
  END IF;
  -- Backfills may reach before the premade partitions: create what this batch
  -- needs. This function runs as the extension owner (apply_batch is SECURITY
  -- DEFINER), so it calls the unchecked internal: pulse.ensure_partitions
  -- checks the session user, a pulse_writer member without INSERT on candles.
  EXECUTE format('SELECT min(p.bucket_start), max(p.bucket_start) FROM pulse.landing l CROSS JOIN LATERAL %s(l.payload) p
                   WHERE l.stream = $1 AND l.batch_id = $2 AND l.format = $3 AND p.reason IS NULL', proj)
    INTO lo, hi USING stream, batch_id, exchange;
  IF lo IS NOT NULL THEN
    PERFORM pulse._create_partitions('pulse.candles'::regclass, lo, hi + interval '1 microsecond');
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH proj AS MATERIALIZED (
      SELECT l.seq, l.payload, p.*
        FROM pulse.landing l CROSS JOIN LATERAL %s(l.payload) p
       WHERE l.stream = $1 AND l.batch_id = $2 AND l.format = $3),
    rej AS (
      INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
      SELECT $1, $2, $3, convert_to(payload::text, 'UTF8'), reason FROM proj WHERE reason IS NOT NULL
      RETURNING 1),
    good AS (
      SELECT DISTINCT ON (market, period, bucket_start) *
        FROM proj WHERE reason IS NULL
       ORDER BY market, period, bucket_start, observed_at DESC, seq DESC),
    -- Only rows that will change reach the INSERT: an unchanged row hit by
    -- ON CONFLICT would still be locked, which writes WAL. The ON CONFLICT
    -- condition repeats the test for rows a concurrent batch just wrote.
    -- (xmax cannot be returned from a partitioned table, so inserts and
    -- updates are told apart by whether the key existed in this snapshot.)
    todo AS (
      SELECT g.*, (c.exchange IS NOT NULL) AS existed
        FROM good g
        LEFT JOIN pulse.candles c
          ON c.exchange = $3 AND c.market = g.market AND c.period = g.period AND c.bucket_start = g.bucket_start
       WHERE c.exchange IS NULL
          OR (g.observed_at >= c.observed_at
              AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
                  IS DISTINCT FROM (g.open, g.high, g.low, g.close, g.volume, g.quote_volume))),
    up AS (
      INSERT INTO pulse.candles AS c
             (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
      SELECT $3, t.market, t.period, t.bucket_start, t.open, t.high, t.low, t.close, t.volume, t.quote_volume, t.observed_at
        FROM todo t
      ON CONFLICT (exchange, market, period, bucket_start) DO UPDATE
         SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
             volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
             observed_at = EXCLUDED.observed_at, ingested_at = now()
       WHERE EXCLUDED.observed_at >= c.observed_at
         AND (c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
             IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume, EXCLUDED.quote_volume)
      RETURNING 1),
    -- Counted without joining `up` back to `todo`: every row of todo that
    -- did not exist was inserted, unless a concurrent batch inserted it
    -- first (then it was updated or left as is).
    counted AS (
      SELECT (SELECT count(*) FROM up) AS total,
             (SELECT count(*) FROM todo WHERE NOT existed) AS fresh)
    SELECT least(fresh, total),
           total - least(fresh, total),
           (SELECT count(*) FROM good) - total,
           (SELECT count(*) FROM rej)
      FROM counted
  $q$, proj) USING stream, batch_id, exchange;
END
$$;
COMMENT ON FUNCTION pulse._apply_candles(text, bigint, text) IS 'Internal: projects and merges one batch of an exchange''s candle records into pulse.candles';

CREATE FUNCTION pulse._apply_upbit(stream text, batch_id bigint)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse._apply_candles(stream, batch_id, 'upbit') $$;
COMMENT ON FUNCTION pulse._apply_upbit(text, bigint) IS 'Applies a batch''s landing records of format upbit (GET /v1/candles/minutes responses) to pulse.candles';

CREATE FUNCTION pulse._apply_binance(stream text, batch_id bigint)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse._apply_candles(stream, batch_id, 'binance') $$;
COMMENT ON FUNCTION pulse._apply_binance(text, bigint) IS 'Applies a batch''s landing records of format binance (GET /api/v3/klines arrays) to pulse.candles';

CREATE FUNCTION pulse._apply_coinone(stream text, batch_id bigint)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql AS $$ SELECT * FROM pulse._apply_candles(stream, batch_id, 'coinone') $$;
COMMENT ON FUNCTION pulse._apply_coinone(text, bigint) IS 'Applies a batch''s landing records of format coinone (GET /public/v2/chart records) to pulse.candles';

-- Applies every format present in one landing batch: dispatches to
-- pulse._apply_<format> by name; rows of a format without a projection go to
-- pulse.rejects.
CREATE FUNCTION pulse._apply_landing_batch(stream text, batch_id bigint,
  INOUT inserted bigint DEFAULT 0, INOUT updated bigint DEFAULT 0,
  INOUT unchanged bigint DEFAULT 0, INOUT rejected bigint DEFAULT 0)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  fmt text;
  fn text;
  r record;
  n bigint;
BEGIN
  FOR fmt IN SELECT DISTINCT l.format FROM pulse.landing l
              WHERE l.stream = _apply_landing_batch.stream AND l.batch_id = _apply_landing_batch.batch_id
              ORDER BY 1 LOOP
    fn := format('pulse.%I', '_apply_' || fmt);
    IF to_regprocedure(fn || '(text,bigint)') IS NULL THEN
      INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
      SELECT l.stream, l.batch_id, l.format, convert_to(l.payload::text, 'UTF8'), format('unknown format %L', fmt)
        FROM pulse.landing l
       WHERE l.stream = _apply_landing_batch.stream AND l.batch_id = _apply_landing_batch.batch_id AND l.format = fmt;
      GET DIAGNOSTICS n = ROW_COUNT;
      rejected := rejected + n;
      CONTINUE;
    END IF;
    EXECUTE format('SELECT * FROM %s($1, $2)', fn) INTO r USING stream, batch_id;
    inserted := inserted + coalesce(r.inserted, 0);
    updated := updated + coalesce(r.updated, 0);
    unchanged := unchanged + coalesce(r.unchanged, 0);
    rejected := rejected + coalesce(r.rejected, 0);
  END LOOP;
END
$$;
COMMENT ON FUNCTION pulse._apply_landing_batch(text, bigint, bigint, bigint, bigint, bigint) IS 'Internal: runs the per-format projections over one landing batch';

CREATE FUNCTION pulse.apply_batch(stream text, batch_id bigint, checkpoint jsonb)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  done bigint;
  res record;
BEGIN
  IF stream IS NULL OR batch_id IS NULL OR batch_id < 1 OR checkpoint IS NULL THEN
    RAISE EXCEPTION 'apply_batch needs a stream, a batch_id >= 1 and a checkpoint' USING ERRCODE = '22023';
  END IF;
  -- A position is a JSON object (what a loader resumes from); anything else
  -- would be saved and make the next resume fail far from its cause.
  IF jsonb_typeof(checkpoint) <> 'object' THEN
    RAISE EXCEPTION 'apply_batch: checkpoint must be a JSON object, got a JSON %', jsonb_typeof(checkpoint)
      USING ERRCODE = '22023';
  END IF;
  -- The checkpoint row is the stream's lock: concurrent loaders of one stream
  -- apply their batches one after the other.
  INSERT INTO pulse.checkpoints AS c (stream, position, batch_id)
  VALUES (apply_batch.stream, '{}', 0) ON CONFLICT (stream) DO NOTHING;
  SELECT c.batch_id INTO done FROM pulse.checkpoints c WHERE c.stream = apply_batch.stream FOR UPDATE;
  IF apply_batch.batch_id <= done THEN
    -- Already applied (a retry whose first COMMIT did succeed, or a second
    -- loader on the same stream): applying again could move the checkpoint
    -- backwards, so do nothing, and drop the landing copies this transaction
    -- just added so the raw records are not kept twice.
    DELETE FROM pulse.landing l
     WHERE l.stream = apply_batch.stream AND l.batch_id = apply_batch.batch_id
       AND l.xmin = pg_current_xact_id()::xid;
    RAISE NOTICE 'batch % of stream % was already applied (checkpoint is at batch %); nothing done',
      apply_batch.batch_id, apply_batch.stream, done;
    RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint;
    RETURN;
  END IF;
  res := pulse._apply_landing_batch(apply_batch.stream, apply_batch.batch_id);
  UPDATE pulse.checkpoints c
     SET position = apply_batch.checkpoint, batch_id = apply_batch.batch_id, updated_at = now()
   WHERE c.stream = apply_batch.stream;
  RETURN QUERY SELECT res.inserted, res.updated, res.unchanged, res.rejected;
END
$$;
COMMENT ON FUNCTION pulse.apply_batch(text, bigint, jsonb) IS
  'Applies one loader batch (landing rows of stream/batch_id): projects each record by its format into typed rows, merges them, rejects unusable records into pulse.rejects, saves the checkpoint. A batch_id not above the stream''s checkpoint is a no-op (zeros). Call it in the transaction that COPYed the landing rows.';

CREATE FUNCTION pulse.reapply(stream text, "from" timestamptz, "until" timestamptz)
RETURNS TABLE(batches bigint, inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  b bigint;
  res record;
BEGIN
  IF stream IS NULL OR "from" IS NULL OR "until" IS NULL THEN
    RAISE EXCEPTION 'reapply needs a stream and both bounds' USING ERRCODE = '22004';
  END IF;
  IF "from" >= "until" THEN
    RAISE EXCEPTION 'reapply: from must be before until' USING ERRCODE = '22023';
  END IF;
  batches := 0; inserted := 0; updated := 0; unchanged := 0; rejected := 0;
  -- Oldest batch first, so that among equal versions the later record wins
  -- as it did when the batches were first applied.
  FOR b IN SELECT DISTINCT l.batch_id FROM pulse.landing l
            WHERE l.stream = reapply.stream AND l.received_at >= reapply."from" AND l.received_at < reapply."until"
            ORDER BY 1 LOOP
    res := pulse._apply_landing_batch(reapply.stream, b);
    -- A record rejected again for the same reason is already in pulse.rejects.
    DELETE FROM pulse.rejects n
     WHERE n.stream = reapply.stream AND n.batch_id = b AND n.xmin = pg_current_xact_id()::xid
       AND EXISTS (SELECT 1 FROM pulse.rejects o
                    WHERE o.stream = n.stream AND o.batch_id = n.batch_id AND o.id < n.id
                      AND o.raw = n.raw AND o.reason = n.reason AND o.xmin <> n.xmin);
    batches := batches + 1;
    inserted := inserted + res.inserted;
    updated := updated + res.updated;
    unchanged := unchanged + res.unchanged;
    rejected := rejected + res.rejected;
  END LOOP;
  RETURN NEXT;
END
$$;
COMMENT ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) IS
  'Rebuilds typed rows from the landing records of a stream received in [from, until), batch by batch (after a projection fix); returns what changed';

-- Privileges: the loaders (pulse_writer) write landing and rejects, read
-- their checkpoint, and call apply_batch, which applies as the extension
-- owner (SECURITY DEFINER, pinned search_path); the internal projections are
-- not callable by PUBLIC.
REVOKE ALL ON FUNCTION pulse.apply_batch(text, bigint, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_candles(text, bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_upbit(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_binance(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_coinone(text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION pulse._apply_landing_batch(text, bigint, bigint, bigint, bigint, bigint) FROM PUBLIC;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_writer') THEN
    CREATE ROLE pulse_writer NOLOGIN;
  END IF;
  GRANT USAGE ON SCHEMA pulse TO pulse_writer;
  GRANT EXECUTE ON FUNCTION pulse.apply_batch(text, bigint, jsonb) TO pulse_writer;
  GRANT INSERT ON pulse.landing, pulse.rejects TO pulse_writer;
  GRANT SELECT ON pulse.checkpoints TO pulse_writer;
END
$$;

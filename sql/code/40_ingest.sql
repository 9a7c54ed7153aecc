-- Ingestion API (SPEC "Ingestion API"): pulse.apply_batch turns one batch of
-- raw landing records into typed rows, rejects and a checkpoint, in the
-- loader's transaction, through the function the format registry names for
-- each format; pulse.reapply rebuilds typed rows from kept landing records.
--
-- Contract for the function F that applies format X (45_candles.sql and
-- 55_tweets.sql register theirs):
--   F(stream text, batch_id bigint, format text)
--     RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
-- reads pulse.landing rows (stream, batch_id, format = X), upserts typed rows
-- with pulse.merge semantics (newest version wins, equal rows not rewritten)
-- and puts every unusable record into pulse.rejects.

-- The registry of formats. New in 0.2.0, and made here rather than in
-- install/tables.sql so that install and upgrade share one definition; its
-- rows are the extension's own (CREATE EXTENSION makes them again on
-- restore), written by the files that define the functions.
CREATE TABLE IF NOT EXISTS pulse_internal.formats (
  format            text         PRIMARY KEY,
  apply             regprocedure NOT NULL,
  projection        regprocedure,
  description       text         NOT NULL
);
COMMENT ON TABLE pulse_internal.formats IS 'Landing formats: the function that applies a batch of each, and what it projects with (a per-record function for candles, a batch staging function for tweets)';

-- Whether pg_temp.<rel> is a plain table the current role made, with no
-- trigger, rule or row security. apply_batch (SECURITY DEFINER) keeps its
-- staging tables for the session (tweets_stage, candle_stage) and reuses
-- one only then: a look-alike the session made itself would run its code
-- with the definer's rights.
CREATE OR REPLACE FUNCTION pulse_internal.own_temp_table(rel text) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((SELECT c.relowner = current_user::regrole AND c.relkind = 'r' AND NOT c.relhastriggers
                          AND NOT c.relhasrules AND NOT c.relrowsecurity
                     FROM pg_catalog.pg_class c WHERE c.oid = to_regclass('pg_temp.' || rel)), false)
$$;

-- A JSON value as an exact numeric: a JSON number as printed, or a string
-- holding a plain decimal (Binance and Coinone quote decimals as strings).
-- NULL for anything else, so the caller can reject instead of erroring.
-- Never goes through float.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.json_numeric(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN v::numeric
    WHEN 'string' THEN
      CASE WHEN (v #>> '{}') ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(v #>> '{}') <= 1000 THEN (v #>> '{}')::numeric END
  END
$$;

-- Epoch milliseconds (a JSON integer or integer string) as timestamptz,
-- without float arithmetic. NULL when not a plausible epoch-ms integer.
-- STABLE, not IMMUTABLE: timestamptz + interval is STABLE, and an IMMUTABLE
-- SQL function whose body is less strict is never inlined.
-- inlined
CREATE OR REPLACE FUNCTION pulse_internal.json_epoch_ms(v jsonb) RETURNS timestamptz
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

-- Applies every format present in one landing batch with the function the
-- registry names for it; rows of a format it does not know go to
-- pulse.rejects.
CREATE OR REPLACE FUNCTION pulse_internal.apply_landing_batch(stream text, batch_id bigint,
  INOUT inserted bigint DEFAULT 0, INOUT updated bigint DEFAULT 0,
  INOUT unchanged bigint DEFAULT 0, INOUT rejected bigint DEFAULT 0)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  fmt text;
  fn regprocedure;
  r record;
  n bigint;
BEGIN
  FOR fmt, fn IN SELECT b.format, f.apply
                   FROM (SELECT DISTINCT l.format FROM pulse_internal.landing_chunks l
                          WHERE l.stream = apply_landing_batch.stream AND l.batch_id = apply_landing_batch.batch_id) b
                   LEFT JOIN pulse_internal.formats f ON f.format = b.format
                  ORDER BY 1 LOOP
    IF fn IS NULL THEN
      INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
      SELECT l.stream, l.batch_id, l.format, convert_to(l.payload::text, 'UTF8'), format('unknown format %L', fmt)
        FROM pulse.landing l
       WHERE l.stream = apply_landing_batch.stream AND l.batch_id = apply_landing_batch.batch_id AND l.format = fmt;
      GET DIAGNOSTICS n = ROW_COUNT;
      rejected := rejected + n;
      CONTINUE;
    END IF;
    EXECUTE format('SELECT * FROM %s($1, $2, $3)', fn::oid::regproc) INTO r USING stream, batch_id, fmt;
    inserted := inserted + coalesce(r.inserted, 0);
    updated := updated + coalesce(r.updated, 0);
    unchanged := unchanged + coalesce(r.unchanged, 0);
    rejected := rejected + coalesce(r.rejected, 0);
  END LOOP;
END
$$;

-- The advisory lock of a stream: the loaders take it for their life with
--   pg_try_advisory_lock(hashtextextended('pulse.stream:' || stream, 0))
-- and apply_batch takes it for its transaction; refused (55P03) with the
-- holder's pid and role when another session holds it.
-- A loader may run a batch in a second session of its own (pulse-load COPYs
-- the next batch there while the previous one applies): that transaction
-- names the session holding the lease in pulse.stream_lease_holder (SET
-- LOCAL, a pid), and is admitted when that session holds it and is logged in
-- as the same role. Its batch still waits for the holder's at the stream's
-- checkpoint row, and pulse-load commits it only after the holder's batch
-- committed. True: this session holds the lease; false: it was admitted as
-- the holder's second session.
CREATE OR REPLACE FUNCTION pulse_internal.claim_stream(stream text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  k bigint := hashtextextended('pulse.stream:' || stream, 0);
  holder text;
  holder_pid integer;
  holder_role name;
  lease_of text := current_setting('pulse.stream_lease_holder', true);
BEGIN
  IF pg_try_advisory_xact_lock(k) THEN
    RETURN true;
  END IF;
  -- The session holding the lease (in this database: advisory locks are
  -- per database): the holder this transaction names, or the one refused.
  SELECT l.pid, a.usename,
         format('pid %s (role %s, %s)', l.pid, coalesce(a.usename::text, '?'), coalesce(nullif(a.application_name, ''), 'no application_name'))
    INTO holder_pid, holder_role, holder
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
   WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
     AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
     AND l.classid = ((k >> 32) & 4294967295)::oid AND l.objid = (k & 4294967295)::oid AND l.objsubid = 1
   LIMIT 1;
  IF lease_of ~ '^[1-9][0-9]{0,8}$' AND holder_pid = lease_of::integer AND holder_role = session_user THEN
    RETURN false;
  END IF;
  RAISE EXCEPTION 'stream % is being loaded by another session: %', stream, coalesce(holder, 'unknown')
    USING ERRCODE = 'lock_not_available',
          HINT = 'One loader per stream: stop the other one, or give this load its own --stream.';
END $$;

CREATE OR REPLACE FUNCTION pulse.apply_batch(stream text, batch_id bigint, checkpoint jsonb)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  done bigint;
  res record;
  second_session boolean;
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
  -- A stream belongs to one loader at a time: the loader holds this
  -- advisory lock for its life (session level; this transaction-level try
  -- succeeds for the holder itself), so a second loader, or a hand-made
  -- batch, of a stream someone loads is refused instead of interleaving.
  second_session := NOT pulse_internal.claim_stream(apply_batch.stream);
  -- The checkpoint row serializes what is left: batches of one stream apply
  -- one after the other.
  INSERT INTO pulse.checkpoints AS c (stream, position, batch_id)
  VALUES (apply_batch.stream, '{}', 0) ON CONFLICT (stream) DO NOTHING;
  SELECT c.batch_id INTO done FROM pulse.checkpoints c WHERE c.stream = apply_batch.stream FOR UPDATE;
  -- A loader's second session begins the batch after the one its first
  -- session is applying, and waits here for it: when that one did not
  -- commit, this one must not apply over the gap.
  IF second_session AND apply_batch.batch_id > done + 1 THEN
    RAISE EXCEPTION 'batch % of stream % does not follow its checkpoint (batch %): a second session of the stream''s loader applies only the next batch',
      apply_batch.batch_id, apply_batch.stream, done
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF apply_batch.batch_id <= done THEN
    -- Already applied (a retry whose first COMMIT did succeed, or a second
    -- loader on the same stream): applying again could move the checkpoint
    -- backwards, so do nothing, and drop the landing copies this transaction
    -- just added so the raw records are not kept twice.
    -- Ours are the visible rows whose inserting transaction is still in
    -- progress: this one or one of its subtransactions (savepoints), whose
    -- xids share this transaction's epoch.
    DELETE FROM pulse_internal.landing_chunks l
     WHERE l.stream = apply_batch.stream AND l.batch_id = apply_batch.batch_id
       AND pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | l.xmin::text::bigint)::text::xid8)
           = 'in progress';
    RAISE NOTICE 'batch % of stream % was already applied (checkpoint is at batch %); nothing done',
      apply_batch.batch_id, apply_batch.stream, done;
    RETURN QUERY SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint;
    RETURN;
  END IF;
  res := pulse_internal.apply_landing_batch(apply_batch.stream, apply_batch.batch_id);
  UPDATE pulse.checkpoints c
     SET position = apply_batch.checkpoint, batch_id = apply_batch.batch_id, updated_at = now()
   WHERE c.stream = apply_batch.stream;
  RETURN QUERY SELECT res.inserted, res.updated, res.unchanged, res.rejected;
END
$$;
COMMENT ON FUNCTION pulse.apply_batch(text, bigint, jsonb) IS
  'Applies one loader batch (landing rows of stream/batch_id): projects each record by its format into typed rows, merges them, rejects unusable records into pulse.rejects, saves the checkpoint. A batch_id not above the stream''s checkpoint is a no-op (zeros). Call it in the transaction that COPYed the landing rows.';

CREATE OR REPLACE FUNCTION pulse.reapply(stream text, "from" timestamptz, "until" timestamptz)
RETURNS TABLE(batches bigint, inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
  -- The appliers take no subtransaction per batch in here (candle_merge).
  PERFORM set_config('pulse.reapplying', 'on', true);
  -- Oldest batch first, so that among equal versions the later record wins
  -- as it did when the batches were first applied.
  FOR b IN SELECT DISTINCT l.batch_id FROM pulse_internal.landing_chunks l
            WHERE l.stream = reapply.stream AND l.received_at >= reapply."from" AND l.received_at < reapply."until"
            ORDER BY 1 LOOP
    res := pulse_internal.apply_landing_batch(reapply.stream, b);
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
  PERFORM set_config('pulse.reapplying', '', true);
  RETURN NEXT;
END
$$;
COMMENT ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) IS
  'Rebuilds typed rows from the landing records of a stream received in [from, until), batch by batch (after a projection fix); returns what changed';


-- Stream consumers: pulse.read, pulse.commit, the view pulse.consumers, and
-- what maintenance does before retention drops a landing partition (see
-- 47_consumers.sql for batches and eras, 48_consumer_api.sql for the rest).

CREATE OR REPLACE FUNCTION pulse.read(consumer text, max_records integer DEFAULT 1000)
RETURNS TABLE(seq bigint, received_at timestamptz, payload jsonb)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  c pulse_internal.consumers;
  me text := pulse_internal.session_id();
  r record;
  n integer := 0;
  got integer;
  nb integer;
  fresh integer := 0;  -- the batch this call cut (0: none yet)
BEGIN
  IF max_records IS NULL OR max_records < 1 OR max_records > 100000 THEN
    RAISE EXCEPTION 'max_records must be between 1 and 100000, got %', coalesce(max_records::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  c := pulse_internal.consumer_open(consumer);
  IF c.reader IS DISTINCT FROM me THEN
    -- Another session read last (or none): start at the committed position,
    -- over the same batches, so this session gets the same records in the
    -- same order, then more.
    c.reader := me;
    IF isempty(c.pending) THEN
      c.read_batch := 1; c.read_txid := coalesce(c.done_txid, '0'); c.read_pos := coalesce(c.done_pos, 0);
    ELSE
      c.read_batch := 0; c.read_txid := c.pend_txid; c.read_pos := c.pend_pos;
    END IF;
  END IF;
  IF c.read_batch = 0 THEN
    FOR r IN SELECT * FROM pulse_internal.consumer_pending(c.stream, c.pending, c.snaps[1], c.floor_pos,
                                                           c.read_txid, c.read_pos, c.pend_end, max_records) LOOP
      seq := r.pos; received_at := r.received_at; payload := r.payload;
      RETURN NEXT;
      n := n + 1;
      c.read_txid := r.txid; c.read_pos := r.pos;
    END LOOP;
    IF n < max_records THEN
      -- (while records are pending, nothing of the first batch is committed)
      c.read_batch := 1; c.read_txid := '0'; c.read_pos := 0;
    END IF;
  END IF;
  WHILE n < max_records LOOP
    nb := cardinality(c.snaps) - 1;
    IF c.read_batch > nb THEN
      -- Past the last batch: cut a new one at what has committed by now
      -- (once a call).
      EXIT WHEN fresh > 0;
      IF nb >= 1000 THEN
        RAISE EXCEPTION 'consumer % has 1000 batches read and not committed', consumer
          USING ERRCODE = 'program_limit_exceeded', HINT = 'Commit what was read (pulse.commit) before reading on.';
      END IF;
      c.snaps := c.snaps || pulse_internal.committed_snapshot();
      fresh := nb + 1;
      c.read_txid := '0'; c.read_pos := 0;
      CONTINUE;
    END IF;
    got := 0;
    FOR r IN SELECT * FROM pulse_internal.consumer_batch(c.stream, c.snaps[c.read_batch], c.snaps[c.read_batch + 1],
                                                         c.floor_pos, c.read_txid, c.read_pos, max_records - n) LOOP
      seq := r.pos; received_at := r.received_at; payload := r.payload;
      RETURN NEXT;
      n := n + 1; got := got + 1;
      c.read_txid := r.txid; c.read_pos := r.pos;
    END LOOP;
    IF c.read_batch = fresh AND got = 0 THEN
      -- Nothing committed since the last cut: the new end replaces the old
      -- one (the same records), so idle polling adds no batches.
      c.snaps := c.snaps[1:nb - 1] || c.snaps[nb + 1];
      EXIT;
    END IF;
    IF n < max_records THEN
      c.read_batch := c.read_batch + 1; c.read_txid := '0'; c.read_pos := 0;
    END IF;
  END LOOP;
  UPDATE pulse_internal.consumers x
     SET snaps = c.snaps, reader = c.reader, read_batch = c.read_batch, read_txid = c.read_txid, read_pos = c.read_pos
   WHERE x.name = c.name;
END $$;
COMMENT ON FUNCTION pulse.read(text, integer) IS
  'The next records of a consumer (at most max_records) after what this session read and did not commit, else after its committed position; in delivery order (pass the last seq handled to pulse.commit); none skipped when writers commit out of order';

CREATE OR REPLACE FUNCTION pulse.commit(consumer text, seq bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c pulse_internal.consumers;
  b integer;
  t xid8;
  at timestamptz;
BEGIN
  IF commit.seq IS NULL THEN
    RAISE EXCEPTION 'seq must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  c := pulse_internal.consumer_open(consumer);
  IF c.reader IS DISTINCT FROM pulse_internal.session_id() THEN
    RAISE EXCEPTION 'consumer %: this session has read nothing to commit', consumer USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Commit the seq of a record pulse.read returned in this session (another session may have read the consumer since).';
  END IF;
  -- The record: usually the last one read, else found where this session
  -- read and did not commit.
  IF commit.seq = c.read_pos THEN
    b := c.read_batch; t := c.read_txid;
  ELSE
    SELECT f.batch, f.txid INTO b, t FROM pulse_internal.consumer_find(c, commit.seq) f;
  END IF;
  SELECT l.received_at INTO at FROM pulse_internal.landing_positions l
   WHERE l.stream = c.stream AND l.txid = t AND l.chunk_pos BETWEEN commit.seq - 1048575 AND commit.seq AND l.pos = commit.seq;
  IF NOT FOUND OR (b = 0 AND (t, commit.seq) <= (c.pend_txid, c.pend_pos))
     OR (b = 1 AND (t, commit.seq) <= (c.done_txid, c.done_pos)) THEN
    RAISE EXCEPTION 'consumer %: record % is not one this session read and did not commit', consumer, commit.seq
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Commit the seq of a record pulse.read returned in this session, not committed yet.';
  END IF;
  IF b = 0 THEN
    c.pend_txid := t; c.pend_pos := commit.seq;
    IF NOT EXISTS (SELECT 1 FROM pulse_internal.consumer_pending(c.stream, c.pending, c.snaps[1], c.floor_pos,
                                                                 t, commit.seq, c.pend_end, 1)) THEN
      c.pending := '{}'; c.pend_txid := '0'; c.pend_pos := 0; c.pend_end := NULL;
    END IF;
  ELSE
    -- every pending record was read before this one
    c.pending := '{}'; c.pend_txid := '0'; c.pend_pos := 0; c.pend_end := NULL;
    c.snaps := c.snaps[b:];
    c.read_batch := c.read_batch - (b - 1);
    c.done_txid := t; c.done_pos := commit.seq;
    -- Batches this commit finished are dropped: their end is the new base.
    WHILE cardinality(c.snaps) >= 2 AND NOT EXISTS (
            SELECT 1 FROM pulse_internal.consumer_batch(c.stream, c.snaps[1], c.snaps[2], c.floor_pos,
                                                        coalesce(c.done_txid, '0'), coalesce(c.done_pos, 0), 1)) LOOP
      c.snaps := c.snaps[2:];
      c.done_txid := NULL; c.done_pos := NULL;
      IF c.read_batch > 1 THEN
        c.read_batch := c.read_batch - 1;
      ELSE
        c.read_txid := '0'; c.read_pos := 0;
      END IF;
    END LOOP;
  END IF;
  UPDATE pulse_internal.consumers x
     SET pending = c.pending, pend_txid = c.pend_txid, pend_pos = c.pend_pos, pend_end = c.pend_end,
         snaps = c.snaps, done_txid = c.done_txid, done_pos = c.done_pos,
         read_batch = c.read_batch, read_txid = c.read_txid, read_pos = c.read_pos,
         last_seq = commit.seq, last_received_at = at, committed_at = now()
   WHERE x.name = c.name;
END $$;
COMMENT ON FUNCTION pulse.commit(text, bigint) IS
  'Commits a consumer''s position: seq and every record this session read before it are consumed and never read again';

-- Every consumer of the roles the caller is a member of.
CREATE OR REPLACE VIEW pulse.consumers AS
SELECT c.name AS consumer, c.stream, c.owner, c.last_seq AS position, c.last_received_at AS position_received_at,
       c.committed_at, b.records AS lag_records,
       coalesce(greatest(extract(epoch FROM now() - b.oldest), 0), 0)::float8 AS lag_seconds,
       c.lost AS lost_records, c.created_at
  FROM pulse_internal.consumers c
 CROSS JOIN LATERAL pulse_internal.consumer_backlog(c) b
 WHERE pg_has_role(c.owner, 'MEMBER');
COMMENT ON VIEW pulse.consumers IS
  'Stream consumers you own: the last committed record (position: its seq), records committed to the stream and not consumed yet (lag_records) and how long the oldest of them has waited (lag_seconds), records retention dropped unread (lost_records)';
COMMENT ON COLUMN pulse.consumers.consumer IS 'The consumer''s name (pulse.read, pulse.commit take it)';
COMMENT ON COLUMN pulse.consumers.stream IS 'The landing stream it reads';
COMMENT ON COLUMN pulse.consumers.owner IS 'The role that made it; its members may read and commit it';
COMMENT ON COLUMN pulse.consumers.position IS 'seq of the last record committed (NULL before the first commit)';
COMMENT ON COLUMN pulse.consumers.position_received_at IS 'When that record was received';
COMMENT ON COLUMN pulse.consumers.committed_at IS 'When the consumer last committed';
COMMENT ON COLUMN pulse.consumers.lag_records IS 'Records of the stream committed and not consumed yet';
COMMENT ON COLUMN pulse.consumers.lag_seconds IS 'How long the oldest of them has waited since it was received (0 when none)';
COMMENT ON COLUMN pulse.consumers.lost_records IS 'Unread records retention dropped, not acknowledged yet (pulse.read refuses until pulse.acknowledge_loss)';
COMMENT ON COLUMN pulse.consumers.created_at IS 'When the consumer was made';

-- Before maintenance drops a landing partition (retention): every consumer
-- that had not consumed some of its records is marked (lost, lost_before),
-- and each stream in it is noted in pulse_internal.landing_dropped. False
-- (drop deferred) when one of those consumers is busy in a transaction:
-- maintenance never waits.
CREATE OR REPLACE FUNCTION pulse_internal.consumers_drop_check(part regclass, received_before timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  streams text[];
  c pulse_internal.consumers;
  e record;
  b record;
BEGIN
  -- the partition's streams, by a loose scan of its (stream, pos) index
  EXECUTE format($q$WITH RECURSIVE s(stream) AS (
                      (SELECT l.stream FROM %1$s l ORDER BY l.stream LIMIT 1)
                      UNION ALL
                      SELECT (SELECT l.stream FROM %1$s l WHERE l.stream > s.stream ORDER BY l.stream LIMIT 1)
                        FROM s WHERE s.stream IS NOT NULL)
                    SELECT coalesce(array_agg(s.stream), '{}') FROM s WHERE s.stream IS NOT NULL$q$, part)
     INTO streams;
  IF cardinality(streams) = 0 THEN
    RETURN true;
  END IF;
  BEGIN
    PERFORM 1 FROM pulse_internal.consumers x WHERE x.stream = ANY (streams) FOR UPDATE NOWAIT;
  EXCEPTION WHEN lock_not_available THEN
    RETURN false;
  END;
  e := pulse_internal.era_current();
  FOR c IN SELECT * FROM pulse_internal.consumers x WHERE x.stream = ANY (streams) ORDER BY x.name LOOP
    IF c.era <> e.id THEN
      c := pulse_internal.consumer_rebase(c, e.id, e.boundary);
    END IF;
    b := pulse_internal.consumer_backlog(c, part);
    IF b.records > 0 THEN
      UPDATE pulse_internal.consumers x
         SET lost = x.lost + b.records, lost_before = greatest(x.lost_before, received_before)
       WHERE x.name = c.name;
    END IF;
  END LOOP;
  INSERT INTO pulse_internal.landing_dropped AS d (stream, received_before)
  SELECT s, received_before FROM unnest(streams) s
  ON CONFLICT (stream) DO UPDATE
    SET received_before = greatest(d.received_before, excluded.received_before), dropped_at = now();
  RETURN true;
END $$;

-- Stream consumers (SPEC "HTTP ingest and consumers"), the machinery under
-- pulse.read and pulse.commit (48_consumer_api.sql).
--
-- Positions (pulse.landing.pos) are drawn when a record is inserted, not
-- when its transaction commits, so "everything up to pos P" is no position:
-- a writer holding P - 1 may commit after one holding P. As PgQ does, a
-- consumer cuts its stream into batches by transaction snapshots instead:
-- batch i holds the records of the transactions visible in snaps[i + 1] and
-- not in snaps[i] (pg_visible_in_snapshot on the writing transaction, the
-- column txid), a set that no later commit can change. Inside a batch,
-- records come in (txid, pos) order, so a batch can be split anywhere by
-- max_records and the split point is one (txid, pos) pair. Records of
-- transactions still running when a batch was cut land in a later batch.
--
-- Transaction ids belong to one cluster. A database restored elsewhere (or
-- from a dump into the same cluster) starts a new era (pulse_internal.era is
-- made by CREATE EXTENSION and never dumped): a consumer from an older era
-- turns what its old snapshots say about the restored records into
-- `pending`, position islands of records still to read, and judges only the
-- records written after the restore (positions above the era's boundary) by
-- snapshots of this cluster.

-- The era of this database, closed by its first writer or consumer: the
-- boundary is the position counter then, so every record already there
-- (restored ones) is at or below it and every later one above.
CREATE OR REPLACE FUNCTION pulse_internal.era_current(OUT id uuid, OUT boundary bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  SELECT e.id, e.boundary INTO id, boundary FROM pulse_internal.era e;
  IF boundary IS NULL THEN
    UPDATE pulse_internal.era e
       SET boundary = (SELECT CASE WHEN s.is_called THEN s.last_value + 1048575 ELSE s.last_value - 1 END
                         FROM pulse_internal.landing_pos s),
           closed_at = now()
     WHERE e.boundary IS NULL
    RETURNING e.id, e.boundary INTO id, boundary;
    IF NOT FOUND THEN  -- a concurrent transaction closed it first
      SELECT e.id, e.boundary INTO id, boundary FROM pulse_internal.era e;
    END IF;
  END IF;
END $$;

-- The era without closing it (for reading only): while it is open no record
-- of it exists yet, so every record there is is below its boundary-to-be.
CREATE OR REPLACE FUNCTION pulse_internal.era_peek(OUT id uuid, OUT boundary bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT e.id, coalesce(e.boundary, 9223372036854775807) FROM pulse_internal.era e $$;

-- Every statement that inserts landing chunks (or rows into pulse.landing,
-- which become chunks) closes the era before it draws a position.
-- (pg_restore's COPY goes into the partitions, which do not fire this
-- statement trigger of the parent; a restore that loads through the root is
-- recognised by its application_name.)
CREATE OR REPLACE FUNCTION pulse_internal.landing_era() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pulse_internal.era e WHERE e.boundary IS NULL)
     AND current_setting('application_name') IS DISTINCT FROM 'pg_restore' THEN
    PERFORM pulse_internal.era_current();
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER landing_era BEFORE INSERT ON pulse_internal.landing_chunks
  FOR EACH STATEMENT EXECUTE FUNCTION pulse_internal.landing_era();

-- The database session (pid and start), which owns a consumer's read-ahead.
-- (As definer: a role that is not the session's login role sees no start
-- time of its own backend in pg_stat_get_activity.)
CREATE OR REPLACE FUNCTION pulse_internal.session_id() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pg_backend_pid() || '@' || extract(epoch FROM a.backend_start)
    FROM pg_stat_get_activity(pg_backend_pid()) a
$$;

-- The current snapshot as "what has committed": the calling transaction, if
-- it has an id, counts as running (the snapshot leaves it out of its
-- in-progress list, which would make records it writes later look older
-- than the batch).
CREATE OR REPLACE FUNCTION pulse_internal.committed_snapshot() RETURNS pg_snapshot
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s pg_snapshot := pg_current_snapshot();
  me xid8 := pg_current_xact_id_if_assigned();
BEGIN
  IF me IS NULL OR NOT pg_visible_in_snapshot(me, s) THEN
    RETURN s;
  END IF;
  RETURN format('%s:%s:%s', least(pg_snapshot_xmin(s), me), pg_snapshot_xmax(s),
                (SELECT string_agg(x::text, ',' ORDER BY x)
                   FROM (SELECT x FROM pg_snapshot_xip(s) x UNION SELECT me) u))::pg_snapshot;
END $$;

-- Records first, first + 1, ... (at most lim) of one landing chunk, in
-- order, with their positions: only those records become jsonb.
CREATE OR REPLACE FUNCTION pulse_internal.chunk_slice(s text, chunk_txid xid8, chunk_pos bigint, chunk_received_at timestamptz,
  first bigint, lim bigint)
RETURNS TABLE(txid xid8, pos bigint, received_at timestamptz, payload jsonb)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT chunk_txid, chunk_pos + e.o - 1, chunk_received_at, e.payload
    FROM pulse_internal.landing_chunks k
   CROSS JOIN LATERAL pulse_internal.landing_records(k.payloads, least(first, k.n)::integer, least(lim, k.n)::integer) AS e(payload, o)
   WHERE k.stream = s AND k.txid = chunk_txid AND k.pos = chunk_pos AND k.received_at = chunk_received_at
   ORDER BY e.o
$$;

-- The records of one batch of a stream (visible in hi, not in lo, above the
-- era's floor) after (after_txid, after_pos), in (txid, pos) order, at most
-- lim. Transactions still running at lo that committed by hi come first
-- (their ids are below lo's xmax), each by an exact look-up, then the range
-- [xmax(lo), xmax(hi)): PgQ's way of keeping a long transaction from making
-- every batch scan everything since it began.
CREATE OR REPLACE FUNCTION pulse_internal.consumer_batch(s text, lo pg_snapshot, hi pg_snapshot, floor_pos bigint,
  after_txid xid8, after_pos bigint, lim integer)
RETURNS TABLE(txid xid8, pos bigint, received_at timestamptz, payload jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  t xid8;
  ch record;
  taken bigint := 0;
  got bigint;
BEGIN
  -- The chunks in (txid, pos) order, one at a time, so that a chunk's
  -- payloads are read only when it is reached; of each, only the records
  -- wanted (from its first one past the bounds, as many as still wanted, each
  -- made jsonb alone). The first query of each
  -- loop finds the chunks without their payloads.
  FOR t IN SELECT x FROM pg_snapshot_xip(lo) x
            WHERE pg_visible_in_snapshot(x, hi) AND x >= after_txid ORDER BY x LOOP
    FOR ch IN SELECT k.txid, k.pos, k.received_at,
                     greatest(greatest(CASE WHEN t = after_txid THEN after_pos ELSE 0 END, floor_pos) + 1 - k.pos, 0) AS first
                FROM pulse_internal.landing_chunks k
               WHERE k.stream = s AND k.txid = t
                 AND k.pos + k.n - 1 > greatest(CASE WHEN t = after_txid THEN after_pos ELSE 0 END, floor_pos)
               ORDER BY k.pos LOOP
      RETURN QUERY SELECT * FROM pulse_internal.chunk_slice(s, ch.txid, ch.pos, ch.received_at, ch.first, lim - taken);
      GET DIAGNOSTICS got = ROW_COUNT;
      taken := taken + got;
      IF taken >= lim THEN
        RETURN;
      END IF;
    END LOOP;
  END LOOP;
  FOR ch IN SELECT k.txid, k.pos, k.received_at,
                   greatest(greatest(CASE WHEN k.txid = after_txid THEN after_pos ELSE 0 END, floor_pos) + 1 - k.pos, 0) AS first
              FROM pulse_internal.landing_chunks k
             WHERE k.stream = s AND k.txid >= after_txid
               AND (k.txid > after_txid OR k.pos + k.n - 1 > after_pos)
               AND k.txid >= pg_snapshot_xmax(lo) AND k.txid < pg_snapshot_xmax(hi)
               AND pg_visible_in_snapshot(k.txid, hi) AND k.pos + k.n - 1 > floor_pos
             ORDER BY k.txid, k.pos LOOP
    RETURN QUERY SELECT * FROM pulse_internal.chunk_slice(s, ch.txid, ch.pos, ch.received_at, ch.first, lim - taken);
    GET DIAGNOSTICS got = ROW_COUNT;
    taken := taken + got;
    IF taken >= lim THEN
      RETURN;
    END IF;
  END LOOP;
END $$;

-- The pending records of a stream (settled: at or below the floor, or
-- visible in base; positions in `pending`) after (after_txid, after_pos) and
-- not after txid last, in (txid, pos) order, at most lim.
CREATE OR REPLACE FUNCTION pulse_internal.consumer_pending(s text, pending int8multirange, base pg_snapshot,
  floor_pos bigint, after_txid xid8, after_pos bigint, last xid8, lim integer)
RETURNS TABLE(txid xid8, pos bigint, received_at timestamptz, payload jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  ch record;
  taken bigint := 0;
  got bigint;
BEGIN
  -- The chunks that may hold such records, in (txid, pos) order, one at a
  -- time (as consumer_batch); of each, its records that are.
  FOR ch IN SELECT k.txid, k.pos, k.received_at
              FROM pulse_internal.landing_chunks k
             WHERE k.stream = s AND k.txid >= after_txid AND k.txid <= last
               AND (k.txid > after_txid OR k.pos + k.n - 1 > after_pos)
               AND pending && int8range(k.pos, k.pos + k.n)
               AND (k.pos <= floor_pos OR pg_visible_in_snapshot(k.txid, base))
             ORDER BY k.txid, k.pos LOOP
    RETURN QUERY
      SELECT r.txid, r.pos, r.received_at, r.payload
        FROM pulse_internal.chunk_slice(s, ch.txid, ch.pos, ch.received_at, 0, 1048576) r
       WHERE (r.txid, r.pos) > (after_txid, after_pos) AND pending @> r.pos
         AND (r.pos <= floor_pos OR pg_visible_in_snapshot(r.txid, base))
       ORDER BY r.pos LIMIT lim - taken;
    GET DIAGNOSTICS got = ROW_COUNT;
    taken := taken + got;
    IF taken >= lim THEN
      RETURN;
    END IF;
  END LOOP;
END $$;

-- How many records of a consumer's stream in `rel` (the landing chunks or
-- one of their partitions) it has not consumed, by its committed position, and when
-- the oldest of them arrived. A consumer of an older era is judged by its
-- old snapshots up to this era's boundary; every record above is unread.
CREATE OR REPLACE FUNCTION pulse_internal.consumer_backlog(c pulse_internal.consumers,
  rel regclass DEFAULT 'pulse_internal.landing_chunks', OUT records bigint, OUT oldest timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e record := pulse_internal.era_peek();
  -- Whether row l is consumed (see pulse_internal.consumers in install/tables.sql).
  consumed constant text := 'CASE WHEN l.pos <= $2 OR pg_visible_in_snapshot(l.txid, $4[1])'
    ' THEN NOT ($3 @> l.pos AND (l.txid, l.pos) > ($7, $8))'
    ' ELSE coalesce(cardinality($4) >= 2 AND pg_visible_in_snapshot(l.txid, $4[2]) AND (l.txid, l.pos) <= ($5, $6), false) END';
  -- the records of rel's chunks, positions only (no payload is read)
  records_of constant text := format('(SELECT c.stream, c.received_at, c.txid, c.pos + i AS pos'
    ' FROM %s c CROSS JOIN LATERAL pg_catalog.generate_series(0, c.n - 1) AS i)', rel);
BEGIN
  IF c.era <> e.id THEN
    EXECUTE format('SELECT count(*), min(l.received_at) FROM %s l WHERE l.stream = $1 AND (l.pos > $9 OR NOT (%s))', records_of, consumed)
       INTO records, oldest
      USING c.stream, c.floor_pos, c.pending, c.snaps, c.done_txid, c.done_pos, c.pend_txid, c.pend_pos, e.boundary;
    RETURN;
  END IF;
  -- Unread records are pending ones (between the pending cursor and
  -- pend_end) or not visible in snaps[1] (id at or past its xmax, or in its
  -- in-progress list): index conditions, so a consumer that keeps up costs
  -- little.
  EXECUTE format('SELECT count(*), min(l.received_at) FROM %s l WHERE l.stream = $1'
                 ' AND (((l.txid, l.pos) > ($7, $8) AND l.txid <= $9) OR l.txid >= $10 OR l.txid = ANY ($11))'
                 ' AND NOT (%s)', records_of, consumed)
     INTO records, oldest
    USING c.stream, c.floor_pos, c.pending, c.snaps, c.done_txid, c.done_pos, c.pend_txid, c.pend_pos,
          CASE WHEN isempty(c.pending) THEN '0'::xid8 ELSE c.pend_end END,
          pg_snapshot_xmax(c.snaps[1]), ARRAY(SELECT pg_snapshot_xip(c.snaps[1]));
END $$;

-- Which batch (0: pending) and transaction hold record seq of a consumer's
-- stream, when it is one this session read and did not commit; NULLs else.
-- Each batch is searched only where it was read and not committed (an
-- index range of about what was read since the last commit).
CREATE OR REPLACE FUNCTION pulse_internal.consumer_find(c pulse_internal.consumers, seq bigint,
  OUT batch integer, OUT txid xid8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lo xid8;
  after_t xid8;
  after_p bigint;
BEGIN
  IF NOT isempty(c.pending) AND c.pending @> consumer_find.seq THEN
    SELECT l.txid INTO txid FROM pulse_internal.landing_positions l
     WHERE l.stream = c.stream AND l.chunk_pos BETWEEN consumer_find.seq - 1048575 AND consumer_find.seq AND l.pos = consumer_find.seq AND (l.txid, l.pos) > (c.pend_txid, c.pend_pos) AND l.txid <= c.pend_end
       AND (c.read_batch > 0 OR (l.txid, l.pos) <= (c.read_txid, c.read_pos))
       AND (l.pos <= c.floor_pos OR pg_visible_in_snapshot(l.txid, c.snaps[1]));
    IF FOUND THEN
      batch := 0;
      RETURN;
    END IF;
  END IF;
  FOR b IN 1 .. least(c.read_batch, cardinality(c.snaps) - 1) LOOP
    lo := coalesce((SELECT min(x) FROM pg_snapshot_xip(c.snaps[b]) x), pg_snapshot_xmax(c.snaps[b]));
    after_t := CASE WHEN b = 1 THEN coalesce(c.done_txid, '0') ELSE '0' END;
    after_p := CASE WHEN b = 1 THEN coalesce(c.done_pos, 0) ELSE 0 END;
    SELECT l.txid INTO txid FROM pulse_internal.landing_positions l
     WHERE l.stream = c.stream AND l.chunk_pos BETWEEN consumer_find.seq - 1048575 AND consumer_find.seq AND l.pos = consumer_find.seq AND l.txid >= lo AND l.txid < pg_snapshot_xmax(c.snaps[b + 1])
       AND (l.txid, l.pos) > (after_t, after_p)
       AND (b < c.read_batch OR (l.txid, l.pos) <= (c.read_txid, c.read_pos))
       AND pg_visible_in_snapshot(l.txid, c.snaps[b + 1]) AND NOT pg_visible_in_snapshot(l.txid, c.snaps[b])
       AND l.pos > c.floor_pos;
    IF FOUND THEN
      batch := b;
      RETURN;
    END IF;
  END LOOP;
  txid := NULL;
END $$;

-- Position islands: runs, in position order over the settled records of
-- stream s at or below upto (a record is settled at or below floor_pos or
-- when visible in base), of those that are unread; for a consumer of an
-- older era (by its old position: old), or for one that starts at a time
-- (since: the records that arrived then or later). With the first and last
-- transaction among them (pending records are read in (txid, pos) order).
CREATE OR REPLACE FUNCTION pulse_internal.consumer_islands(s text, upto bigint, floor_pos bigint, base pg_snapshot,
  since timestamptz, old pulse_internal.consumers DEFAULT NULL,
  OUT pending int8multirange, OUT first_txid xid8, OUT last_txid xid8)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH r AS (
    SELECT l.txid, l.pos,
           CASE WHEN old.name IS NULL THEN l.received_at >= since
                WHEN l.pos <= old.floor_pos OR pg_visible_in_snapshot(l.txid, old.snaps[1])
                  THEN old.pending @> l.pos AND (l.txid, l.pos) > (old.pend_txid, old.pend_pos)
                ELSE NOT coalesce(cardinality(old.snaps) >= 2 AND pg_visible_in_snapshot(l.txid, old.snaps[2])
                                  AND (l.txid, l.pos) <= (old.done_txid, old.done_pos), false)
           END AS unread
      FROM pulse_internal.landing_positions l
     WHERE l.stream = s AND l.pos <= upto AND (l.pos <= floor_pos OR pg_visible_in_snapshot(l.txid, base))
  ), g AS (
    SELECT r.pos, r.unread, count(*) FILTER (WHERE NOT r.unread) OVER (ORDER BY r.pos) AS grp FROM r
  )
  SELECT (SELECT coalesce(range_agg(int8range(i.lo, i.hi, '[]')), '{}')
            FROM (SELECT min(g.pos) AS lo, max(g.pos) AS hi FROM g WHERE g.unread GROUP BY g.grp) i),
         (SELECT min(r.txid) FROM r WHERE r.unread), (SELECT max(r.txid) FROM r WHERE r.unread)
$$;

-- A consumer from an older era, moved into this one: the restored records
-- it had not consumed become pending (by position); the records of this era
-- are all unread (no snapshot of this cluster has been taken for it yet).
CREATE OR REPLACE FUNCTION pulse_internal.consumer_rebase(c pulse_internal.consumers, era_id uuid, boundary bigint)
RETURNS pulse_internal.consumers
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  i record := pulse_internal.consumer_islands(c.stream, boundary, boundary, '3:3:', NULL, c);
BEGIN
  c.pending := i.pending; c.pend_txid := coalesce(i.first_txid, '0'); c.pend_pos := 0; c.pend_end := i.last_txid;
  c.era := era_id;
  c.floor_pos := boundary;
  c.snaps := ARRAY['3:3:'::pg_snapshot];
  c.done_txid := NULL; c.done_pos := NULL;
  c.reader := NULL; c.read_batch := 0; c.read_txid := NULL; c.read_pos := NULL;
  UPDATE pulse_internal.consumers x
     SET era = c.era, floor_pos = c.floor_pos, pending = c.pending, pend_txid = c.pend_txid, pend_pos = 0,
         pend_end = c.pend_end, snaps = c.snaps, done_txid = NULL, done_pos = NULL,
         reader = NULL, read_batch = 0, read_txid = NULL, read_pos = NULL
   WHERE x.name = c.name;
  RETURN c;
END $$;

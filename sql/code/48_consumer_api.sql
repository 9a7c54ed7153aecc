-- Stream consumers, the public surface (SPEC "HTTP ingest and consumers"):
-- pulse.create_consumer, pulse.read, pulse.commit, pulse.drop_consumer,
-- pulse.acknowledge_loss and the view pulse.consumers, over the machinery of
-- 47_consumers.sql. They run with their caller's rights: a consumer is its
-- creator's (row security on pulse_internal.consumers), role pulse_consumer
-- may make and read them.
--
-- pulse.read hands out records after the session's read-ahead cursor, which
-- starts at the committed position whenever another session (or none) read
-- last; pulse.commit(consumer, seq) commits every record read before seq and
-- seq itself. Read and commit in one transaction consume exactly once: the
-- read locks the consumer's row until the transaction ends, so a second
-- transaction reading the same consumer waits and then gets the next records.

-- The holder of an advisory lock, in words (for "being read by" errors).
CREATE OR REPLACE FUNCTION pulse_internal.advisory_holder(k bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((SELECT format('pid %s (role %s, %s)', l.pid, coalesce(a.usename::text, '?'),
                                 coalesce(nullif(a.application_name, ''), 'no application_name'))
                     FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
                      AND l.classid = ((k >> 32) & 4294967295)::oid AND l.objid = (k & 4294967295)::oid
                      AND l.objsubid = 1 AND l.mode = 'ExclusiveLock'
                    LIMIT 1), 'a session that has just ended')
$$;

-- A consumer's row, locked for this transaction, in this era, refused while
-- another session holds the consumer (pulse-load export takes
-- pg_advisory_lock(hashtextextended('pulse.consumer:' || name, 0)) for its
-- life) or while retention has dropped records it had not read.
CREATE OR REPLACE FUNCTION pulse_internal.consumer_open(consumer text, check_lost boolean DEFAULT true)
RETURNS pulse_internal.consumers
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c pulse_internal.consumers;
  e record;
  k bigint;
BEGIN
  IF consumer IS NULL THEN
    RAISE EXCEPTION 'consumer must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- Maintenance rewrites sealed landing partitions (clustering): the
  -- copied rows are newer than a snapshot taken before it, so a
  -- transaction-wide snapshot could miss records and a commit skip them.
  -- Each statement's snapshot is taken after its locks, so it sees them.
  IF check_lost AND current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'pulse.read and pulse.commit run in READ COMMITTED transactions, not %', current_setting('transaction_isolation')
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Reading and committing in one READ COMMITTED transaction is exactly once already: pulse.read locks the consumer until it ends.';
  END IF;
  k := hashtextextended('pulse.consumer:' || consumer, 0);
  IF NOT pg_try_advisory_xact_lock_shared(k) THEN
    RAISE EXCEPTION 'consumer % is being read by another session: %', consumer, pulse_internal.advisory_holder(k)
      USING ERRCODE = 'lock_not_available',
            HINT = 'A consumer held by pulse-load export is read by it alone: stop it first.';
  END IF;
  SELECT * INTO c FROM pulse_internal.consumers x WHERE x.name = consumer FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'consumer % does not exist', consumer USING ERRCODE = 'undefined_object',
      HINT = 'pulse.create_consumer(name, stream, start) makes one; pulse.consumers lists yours.';
  END IF;
  e := pulse_internal.era_current();
  IF c.era <> e.id THEN
    c := pulse_internal.consumer_rebase(c, e.id, e.boundary);
  END IF;
  IF check_lost AND c.lost > 0 THEN
    RAISE EXCEPTION 'consumer % fell behind retention: % of its unread records of stream % were dropped (records received before %)',
                    consumer, c.lost, c.stream, to_char(c.lost_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('SELECT pulse.acknowledge_loss(%L) accepts the loss and reads on with the records that are left.', consumer);
  END IF;
  RETURN c;
END $$;

CREATE OR REPLACE FUNCTION pulse.create_consumer(name text, stream text, start text DEFAULT 'latest')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e record;
  base pg_snapshot;
  since timestamptz;
  i record;
  pend int8multirange := '{}';
  pend_first xid8;
  pend_last xid8;
  gone text;
BEGIN
  IF name IS NULL OR stream IS NULL OR start IS NULL THEN
    RAISE EXCEPTION 'create_consumer needs a name, a stream and a start' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF name = '' OR length(name) > 200 OR stream = '' THEN
    RAISE EXCEPTION 'a consumer name must have 1 to 200 characters and a stream at least one'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  e := pulse_internal.era_current();
  IF lower(start) = 'latest' THEN
    base := pulse_internal.committed_snapshot();
  ELSIF lower(start) = 'trim_horizon' THEN
    -- nothing of this era consumed, every record of an earlier one pending
    base := '3:3:';
    IF e.boundary >= 1 THEN
      i := pulse_internal.consumer_islands(stream, e.boundary, e.boundary, base, '-infinity');
      pend := i.pending; pend_first := i.first_txid; pend_last := i.last_txid;
    END IF;
  ELSE
    BEGIN
      since := start::timestamptz;
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'start must be latest, trim_horizon or a timestamp, got %', quote_literal(start)
        USING ERRCODE = 'invalid_datetime_format';
    END;
    SELECT to_char(d.received_before AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') INTO gone
      FROM pulse_internal.landing_dropped d
     WHERE d.stream = create_consumer.stream AND d.received_before > since;
    IF FOUND THEN
      RAISE EXCEPTION 'records of stream % received before % were dropped by retention', stream, gone
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = format('Start at trim_horizon, or at %s or later.', gone);
    END IF;
    base := pulse_internal.committed_snapshot();
    i := pulse_internal.consumer_islands(stream, 9223372036854775807, e.boundary, base, since);
    pend := i.pending; pend_first := i.first_txid; pend_last := i.last_txid;
  END IF;
  BEGIN
    INSERT INTO pulse_internal.consumers (name, stream, owner, era, floor_pos, pending, pend_txid, pend_end, snaps)
    VALUES (create_consumer.name, create_consumer.stream, current_user::regrole, e.id, e.boundary, pend,
            coalesce(pend_first, '0'), pend_last, ARRAY[base]);
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'consumer % already exists', create_consumer.name USING ERRCODE = 'duplicate_object';
  END;
END $$;
COMMENT ON FUNCTION pulse.create_consumer(text, text, text) IS
  'Makes a consumer of a landing stream, owned by the current role, starting at latest (records committed from now on), trim_horizon (every record kept) or a timestamp (records received then or later, and every record committed from now on)';

CREATE OR REPLACE FUNCTION pulse.drop_consumer(consumer text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c pulse_internal.consumers := pulse_internal.consumer_open(consumer, check_lost => false);
BEGIN
  DELETE FROM pulse_internal.consumers x WHERE x.name = c.name;
END $$;
COMMENT ON FUNCTION pulse.drop_consumer(text) IS 'Removes a consumer and its position';

CREATE OR REPLACE FUNCTION pulse.acknowledge_loss(consumer text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c pulse_internal.consumers := pulse_internal.consumer_open(consumer, check_lost => false);
BEGIN
  UPDATE pulse_internal.consumers x SET lost = 0 WHERE x.name = c.name;
  RETURN c.lost;
END $$;
COMMENT ON FUNCTION pulse.acknowledge_loss(text) IS
  'Accepts that retention dropped records a consumer had not read (pulse.read and pulse.commit refuse it until then, SQLSTATE 55000); returns how many; reading goes on with the records that are left';

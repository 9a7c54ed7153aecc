-- The chunks' payloads are the text of a JSON array (install/tables.sql).
-- landing_length: the generated column n, which checks the text as jsonb's
-- input would (an error where jsonb would refuse it, NULL for JSON that is
-- not an array). landing_records: records first, ... (from 0, at most lim)
-- as jsonb, each parsed alone, with their number in the chunk (from 1).
-- landing_record: record i (from 0) as jsonb, for the view below, which
-- makes a record's payload only when a query reads it (a count or a look-up
-- by seq parses nothing); the chunk is cut once for all its records.
-- landing_slice: the same records as the text of a JSON array, each
-- record's text as stored.
CREATE OR REPLACE FUNCTION pulse_internal.landing_length(payloads text) RETURNS integer
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_landing_length';
CREATE OR REPLACE FUNCTION pulse_internal.landing_records(payloads text, first integer, lim integer)
  RETURNS TABLE(payload jsonb, i integer)
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE ROWS 100
  AS 'MODULE_PATHNAME', 'pulse_landing_records';
CREATE OR REPLACE FUNCTION pulse_internal.landing_record(payloads text, i integer) RETURNS jsonb
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_landing_record';
CREATE OR REPLACE FUNCTION pulse_internal.landing_slice(payloads text, first integer, lim integer) RETURNS text
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_landing_slice';

-- pulse.landing (SPEC "Tables"): the raw records, one row per record, over
-- the chunks they are stored in (install/tables.sql). A view with the
-- caller's rights: reading it needs SELECT on pulse_internal.landing_chunks,
-- which only loaders and consumers have (90_privileges.sql).
CREATE OR REPLACE VIEW pulse.landing WITH (security_invoker = true) AS
SELECT c.stream, c.format, c.batch_id, c.seq + i AS seq, c.received_at,
       pulse_internal.landing_record(c.payloads, i) AS payload, c.pos + i AS pos, c.txid
  FROM pulse_internal.landing_chunks c
 CROSS JOIN LATERAL pg_catalog.generate_series(0, c.n - 1) AS i;
ALTER VIEW pulse.landing ALTER COLUMN received_at SET DEFAULT now();

-- The records' positions without their payloads, for what only counts or
-- finds records (consumers' bookkeeping, retention): no payload is read.
-- Record p is in the chunk whose chunk_pos is between p - (2^20 - 1) and p
-- (chunks are drawn 2^20 apart; one split by a DELETE keeps its records'
-- positions), which an index can find (pos itself is computed).
CREATE OR REPLACE VIEW pulse_internal.landing_positions WITH (security_invoker = true) AS
SELECT c.stream, c.format, c.batch_id, c.seq + i AS seq, c.received_at, c.pos + i AS pos, c.txid,
       c.pos AS chunk_pos
  FROM pulse_internal.landing_chunks c
 CROSS JOIN LATERAL pg_catalog.generate_series(0, c.n - 1) AS i;

-- A row inserted into pulse.landing (INSERT, or COPY by hand as the SPEC
-- allows) becomes a chunk of one record; loaders write whole chunks. The
-- position and transaction are drawn as for a chunk, never given.
CREATE OR REPLACE FUNCTION pulse_internal.landing_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, received_at, payloads)
  VALUES (NEW.stream, NEW.format, NEW.batch_id, NEW.seq, coalesce(NEW.received_at, now()), jsonb_build_array(NEW.payload)::text)
  RETURNING received_at, pos, txid INTO NEW.received_at, NEW.pos, NEW.txid;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER landing_insert INSTEAD OF INSERT ON pulse.landing
  FOR EACH ROW EXECUTE FUNCTION pulse_internal.landing_insert();

-- A row deleted from pulse.landing (by its owner: nobody else has DELETE on
-- it) leaves its chunk: a chunk of that record alone is deleted, else it is
-- split around it, each piece keeping its records' seq, pos, transaction and
-- time. As definer, as the pieces are written with the positions they had
-- (which no writer may give); the caller's right to delete from the view is
-- checked before this runs, and it runs no code of a user.
CREATE OR REPLACE FUNCTION pulse_internal.landing_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c pulse_internal.landing_chunks;
  i integer;
BEGIN
  SELECT * INTO c FROM pulse_internal.landing_chunks k
   WHERE k.stream = OLD.stream AND k.txid = OLD.txid AND k.pos <= OLD.pos AND k.pos > OLD.pos - 1048576
     AND k.pos + k.n > OLD.pos AND k.received_at = OLD.received_at
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;  -- gone already (deleted by a concurrent transaction)
  END IF;
  i := OLD.pos - c.pos;
  IF i + 1 < c.n THEN
    INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, received_at, payloads, pos, txid)
    VALUES (c.stream, c.format, c.batch_id, c.seq + i + 1, c.received_at,
            pulse_internal.landing_slice(c.payloads, i + 1, c.n), c.pos + i + 1, c.txid);
  END IF;
  IF i = 0 THEN
    DELETE FROM pulse_internal.landing_chunks k
     WHERE k.stream = c.stream AND k.txid = c.txid AND k.pos = c.pos AND k.received_at = c.received_at;
  ELSE
    UPDATE pulse_internal.landing_chunks k
       SET payloads = pulse_internal.landing_slice(c.payloads, 0, i)
     WHERE k.stream = c.stream AND k.txid = c.txid AND k.pos = c.pos AND k.received_at = c.received_at;
  END IF;
  RETURN OLD;
END $$;
CREATE OR REPLACE TRIGGER landing_delete INSTEAD OF DELETE ON pulse.landing
  FOR EACH ROW EXECUTE FUNCTION pulse_internal.landing_delete();

COMMENT ON VIEW pulse.landing IS 'Raw records exactly as received, per stream and batch, one row per record; kept 7 days by default (stored in chunks: pulse_internal.landing_chunks)';
COMMENT ON COLUMN pulse.landing.stream IS 'The loader stream (checkpoint name) that received the record';
COMMENT ON COLUMN pulse.landing.format IS 'How to project the record: twitter_v2, twitter_v1, upbit, coinone, binance';
COMMENT ON COLUMN pulse.landing.batch_id IS 'The loader batch (one transaction) the record arrived in';
COMMENT ON COLUMN pulse.landing.seq IS 'Position of the record in its batch';
COMMENT ON COLUMN pulse.landing.received_at IS 'When the record was received; the partition key';
COMMENT ON COLUMN pulse.landing.payload IS 'The record as received';
COMMENT ON COLUMN pulse.landing.pos IS 'The record''s position for stream consumers (pulse.read returns it as seq): unique, increasing in insert order, not in commit order';
COMMENT ON COLUMN pulse.landing.txid IS 'The transaction that wrote the record: consumers cut their batches by transaction snapshots';
COMMENT ON TABLE pulse_internal.landing_chunks IS 'The raw records of pulse.landing: per chunk (consecutive records of one batch and format), their payloads as the text of one JSON array';
COMMENT ON COLUMN pulse_internal.landing_chunks.seq IS 'seq of the chunk''s first record in its batch (record i has seq + i)';
COMMENT ON COLUMN pulse_internal.landing_chunks.payloads IS 'The records as received, in seq order';
COMMENT ON COLUMN pulse_internal.landing_chunks.n IS 'How many records';
COMMENT ON COLUMN pulse_internal.landing_chunks.pos IS 'Position of the first record (record i has pos + i); drawn 2^20 apart';
COMMENT ON COLUMN pulse_internal.landing_chunks.txid IS 'The transaction that wrote the chunk';

-- Where a table's rows are kept: pulse.landing's are in its chunks, so
-- pulse.ensure_partitions and pulse.run_maintenance accept pulse.landing
-- for them (as loaders and scripts written for 0.1.0 call them).
CREATE OR REPLACE FUNCTION pulse_internal.storage_of(rel regclass) RETURNS regclass
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE WHEN rel = 'pulse.landing'::regclass THEN 'pulse_internal.landing_chunks'::regclass ELSE rel END $$;

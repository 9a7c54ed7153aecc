-- Raw records are kept in chunks (pulse_internal.landing_chunks): one row per
-- run of consecutive records, payloads the text of one JSON array, checked
-- as jsonb would check it. pulse.landing
-- shows one row per record, with the seq and pos of each; rows inserted into
-- it become chunks of one; a row deleted from it leaves its chunk (split
-- around it); a chunk must hold 1 to 2^20 records in a JSON array.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 hour') >= 0 AS landing;
RESET client_min_messages;

-- what a loader writes: chunks of a batch (a gap in seq: a rejected record)
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
VALUES ('chunks', 'json', 1, 1, '[{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}]'),
       ('chunks', 'json', 1, 7, '[{"id": 7}, {"id": 8}]');
SELECT seq, payload, dense_rank() OVER (ORDER BY pos >> 20) AS chunk, pos % 1048576 AS in_chunk
  FROM pulse.landing WHERE stream = 'chunks' ORDER BY pos;
SELECT seq, n, pos % 1048576 AS pos_low_bits FROM pulse_internal.landing_chunks WHERE stream = 'chunks' ORDER BY seq;
-- records of a chunk are consecutive positions; chunks are 2^20 apart
SELECT count(DISTINCT pos) AS positions, count(DISTINCT pos >> 20) AS chunks FROM pulse.landing WHERE stream = 'chunks';

-- a row inserted into the view (as psql users do) is a chunk of one, with
-- the position and transaction drawn for it; RETURNING gives them
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
VALUES ('chunks', 'json', 2, 1, '{"id": 21}'), ('chunks', 'json', 2, 2, '{"id": 22}')
RETURNING seq, payload, pos % 1048576 AS pos_low_bits, txid = pg_current_xact_id() AS this_xact, received_at = now() AS now;
SELECT batch_id, seq, n FROM pulse_internal.landing_chunks WHERE stream = 'chunks' AND batch_id = 2 ORDER BY seq;

-- deleting records from the middle, the start and the end of a chunk
CREATE TEMP TABLE before AS SELECT seq, pos, txid, received_at, payload FROM pulse.landing WHERE stream = 'chunks';
DELETE FROM pulse.landing WHERE stream = 'chunks' AND batch_id = 1 AND seq IN (1, 3, 8);
SELECT seq, payload FROM pulse.landing WHERE stream = 'chunks' AND batch_id = 1 ORDER BY seq;
SELECT seq, n, payloads FROM pulse_internal.landing_chunks WHERE stream = 'chunks' AND batch_id = 1 ORDER BY seq;
-- what is left keeps its seq, pos, transaction and time
SELECT count(*) AS kept, count(*) FILTER (WHERE b.pos = l.pos AND b.txid = l.txid AND b.received_at = l.received_at
                                          AND b.payload = l.payload) AS unchanged
  FROM pulse.landing l JOIN before b USING (seq) WHERE l.stream = 'chunks' AND l.batch_id = 1 AND b.pos >> 20 = l.pos >> 20;
DELETE FROM pulse.landing WHERE stream = 'chunks' AND batch_id = 1;
SELECT count(*) AS records, (SELECT count(*) FROM pulse_internal.landing_chunks WHERE stream = 'chunks' AND batch_id = 1) AS chunks
  FROM pulse.landing WHERE stream = 'chunks' AND batch_id = 1;

-- apply_batch reads a batch's chunks: two formats, one unknown
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
VALUES ('chunks-apply', 'json', 1, 1, '[{"a": 1}, {"a": 2}]'), ('chunks-apply', 'nope', 1, 3, '[{"b": 1}]');
SELECT * FROM pulse.apply_batch('chunks-apply', 1, '{"at": 1}');
SELECT format, convert_from(raw, 'UTF8') AS raw, reason FROM pulse.rejects WHERE stream = 'chunks-apply';
-- an applied batch sent again (in one transaction, as loaders do): nothing
-- done, and the chunks it brought are dropped
BEGIN;
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
VALUES ('chunks-apply', 'json', 1, 1, '[{"a": 1}, {"a": 2}]');
SELECT * FROM pulse.apply_batch('chunks-apply', 1, '{"at": 1}');
COMMIT;
SELECT count(*) AS records FROM pulse.landing WHERE stream = 'chunks-apply';

-- a consumer reads a chunk split by a DELETE, and commits a record of its
-- second piece (whose position is not a chunk's first)
SELECT pulse.create_consumer('chunks_c', 'chunks-split', 'latest');
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
VALUES ('chunks-split', 'json', 1, 1, '[{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}]');
DELETE FROM pulse.landing WHERE stream = 'chunks-split' AND seq = 2;
CREATE TEMP TABLE got AS SELECT r.seq, r.payload FROM pulse.read('chunks_c', 3) r;
SELECT payload FROM got ORDER BY seq;
SELECT pulse.commit('chunks_c', (SELECT max(seq) FROM got));
SELECT payload FROM pulse.read('chunks_c') ORDER BY seq;
SELECT position = (SELECT pos FROM pulse.landing WHERE stream = 'chunks-split' AND seq = 4) AS committed_id_4, lag_records
  FROM pulse.consumers WHERE consumer = 'chunks_c';
SELECT pulse.drop_consumer('chunks_c');
DELETE FROM pulse.landing WHERE stream = 'chunks-split';

-- what a chunk may not be
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  c text;
  col text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME, col = COLUMN_NAME;
  RETURN SQLSTATE || coalesce(' constraint ' || nullif(c, ''), '') || coalesce(' column ' || nullif(col, ''), '')
         || CASE WHEN coalesce(c, '') = '' AND coalesce(col, '') = '' THEN ': ' || SQLERRM ELSE '' END;
END $$;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) VALUES ('chunks', 'json', 3, 1, '[]')$$) AS empty;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) VALUES ('chunks', 'json', 3, 1, '{"id": 1}')$$) AS not_an_array;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) VALUES ('chunks', 'json', 3, 1, '[1,2,3')$$) AS not_json;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) VALUES ('chunks', 'json', 3, 2147483647, '[1, 2]')$$) AS seq_overflow;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads, n) VALUES ('chunks', 'json', 3, 1, '[1]', 5)$$) AS n_given;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
                     SELECT 'chunks', 'json', 3, 1, jsonb_agg(g) FROM generate_series(1, 1048577) g$$) AS too_many;

-- payloads are text checked as jsonb's input checks it: each of these is
-- refused by both or taken by both (with the same length), and the records
-- read back are what jsonb makes of the whole array, in order
CREATE FUNCTION pg_temp.answer(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE q INTO r;
  RETURN coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
  RETURN 'error ' || SQLSTATE;
END $$;
CREATE TEMP TABLE texts (k serial, t text);
INSERT INTO texts (t) VALUES
  ('[{"a": "x,]\"}", "b": [1, {"c": "]"}]}, "tail\\", 2, "\\\"", []]'),
  ('  [ 1 , 2 ]  '), (E'\n[\t1\r\n]\n'), ('[]'), ('[1,]'), ('[,1]'), ('[1 2]'), ('["a" "b"]'), ('[{"a" 1}]'),
  ('[1] x'), ('[1]]'), ('[[1]'), ('[tru]'), ('[01]'), ('[.5]'), ('[1.]'), ('["\u0000"]'), ('[{"\u0000": 1}]'),
  ('["\ud800"]'), ('["\ud83d\ude00", "\u00e9"]'), ('["\x"]'), ('[1e999999]'), ('[1e-999999]'), ('[1E+5, -0.0, 1e10]'),
  ('[' || repeat('9', 2000) || ']'), ('[{"k": 1, "k": 2}]'), ('"x"'), ('null'), ('{"a": [1]}'), (''), ('   '),
  (repeat('[', 100000) || repeat(']', 100000)), ('["' || E'\x01' || '"]'), ('[' || repeat('9', 140000) || ']'),
  ('[' || repeat('9', 130000) || ']'), ('[0.' || repeat('1', 17000) || ']'), ('["e", true, false, 1.5e3]');
SELECT k, pg_temp.answer(format('SELECT pulse_internal.landing_length(%L)', t)) AS landing_length,
       pg_temp.answer(format('SELECT CASE jsonb_typeof(%L::jsonb) WHEN ''array'' THEN jsonb_array_length(%1$L::jsonb) END', t)) AS jsonb
  FROM texts
 WHERE pg_temp.answer(format('SELECT pulse_internal.landing_length(%L)', t))
       IS DISTINCT FROM pg_temp.answer(format('SELECT CASE jsonb_typeof(%L::jsonb) WHEN ''array'' THEN jsonb_array_length(%1$L::jsonb) END', t));
SELECT count(*) AS arrays,
       count(*) FILTER (WHERE (SELECT array_agg(r.payload ORDER BY r.i) FROM pulse_internal.landing_records(t, 0, 1000000) r)
                              IS NOT DISTINCT FROM (SELECT array_agg(e ORDER BY o) FROM jsonb_array_elements(t::jsonb) WITH ORDINALITY AS x(e, o)))
         AS same_records
  FROM texts WHERE pg_temp.answer(format('SELECT pulse_internal.landing_length(%L)', t)) ~ '^[0-9]+$';
-- slices keep each record's text; records from first, at most lim
SELECT pulse_internal.landing_slice(t, 1, 3) AS middle, pulse_internal.landing_slice(t, 5, 9) AS last,
       pulse_internal.landing_slice(t, 9, 1) AS none, pulse_internal.landing_slice(t, -1, 1) AS first
  FROM texts WHERE k = 1;
SELECT i, payload FROM pulse_internal.landing_records((SELECT t FROM texts WHERE k = 1), 2, 2);
SELECT pg_temp.answer($$SELECT pulse_internal.landing_slice('{"a": 1}', 0, 1)$$) AS slice_of_object,
       pg_temp.answer($$SELECT count(*) FROM pulse_internal.landing_records('[1, 2', 0, 1)$$) AS records_of_broken;
-- a chunk holding these records, split by deletes, reads back the same
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
SELECT 'chunks-text', 'json', 1, 1, t FROM texts WHERE k = 1;
DELETE FROM pulse.landing WHERE stream = 'chunks-text' AND seq IN (2, 5);
SELECT seq, payload FROM pulse.landing WHERE stream = 'chunks-text' ORDER BY seq;
SELECT seq, n, payloads FROM pulse_internal.landing_chunks WHERE stream = 'chunks-text' ORDER BY seq;
DELETE FROM pulse.landing WHERE stream = 'chunks-text';

-- landing_record (the view's payload) cuts a chunk once and keeps it for
-- the next call: chunks stored out of line and in line, read in turn and
-- again, give what jsonb makes of each record; past the end it is NULL
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
SELECT 'chunks-cache', 'json', b, 1,
       jsonb_agg(jsonb_build_object('b', b, 'k', k, 'pad', CASE WHEN b % 2 = 0
                 THEN (SELECT string_agg(md5((b * 1000 + k)::text || g), '') FROM generate_series(1, 40) g) END) ORDER BY k)::text
  FROM generate_series(1, 4) b, generate_series(0, 29) k GROUP BY b;
SELECT count(*) FILTER (WHERE pg_column_size(payloads) > 2000) AS stored_apart, count(*) AS chunks
  FROM pulse_internal.landing_chunks WHERE stream = 'chunks-cache';
SELECT count(*) AS reads, count(*) FILTER (WHERE x.payload = y.e) AS same
  FROM (SELECT c.batch_id, k, pulse_internal.landing_record(c.payloads, k) AS payload
          FROM generate_series(1, 2) r, generate_series(0, 29) k, pulse_internal.landing_chunks c
         WHERE c.stream = 'chunks-cache') x
  JOIN (SELECT c.batch_id, (o - 1)::integer AS k, e
          FROM pulse_internal.landing_chunks c, jsonb_array_elements(c.payloads::jsonb) WITH ORDINALITY AS j(e, o)
         WHERE c.stream = 'chunks-cache') y USING (batch_id, k);
SELECT count(*) AS records, count(*) FILTER (WHERE (payload->>'k')::int = seq - 1 AND (payload->>'b')::int = batch_id) AS in_place
  FROM pulse.landing WHERE stream = 'chunks-cache';
SELECT pulse_internal.landing_record('[1, 2]', 2) IS NULL AS past_end, pulse_internal.landing_record('[1, 2]', -1) IS NULL AS before_start,
       pulse_internal.landing_record('[]', 0) IS NULL AS of_empty,
       pulse_internal.landing_record('[1, {"a": 2}]', 1) AS second;
DELETE FROM pulse.landing WHERE stream = 'chunks-cache';

-- a loader (pulse_writer) writes chunks, never their position or
-- transaction, and neither changes nor deletes them
CREATE ROLE regress_chunk_writer IN ROLE pulse_writer;
SET ROLE regress_chunk_writer;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads, pos) VALUES ('chunks', 'json', 4, 1, '[1]', 1)$$) AS pos_given;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads, txid) VALUES ('chunks', 'json', 4, 1, '[1]', '3')$$) AS txid_given;
SELECT pg_temp.try($$INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) VALUES ('chunks', 'json', 4, 1, '[1]')$$) AS chunk;
SELECT pg_temp.try($$INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('chunks', 'json', 4, 2, '2')$$) AS record;
SELECT count(*) AS records_seen FROM pulse.landing WHERE stream = 'chunks' AND batch_id = 4;
SELECT pg_temp.try($$DELETE FROM pulse.landing WHERE stream = 'chunks'$$) AS delete_records;
SELECT pg_temp.try($$DELETE FROM pulse_internal.landing_chunks WHERE stream = 'chunks'$$) AS delete_chunks;
SELECT pg_temp.try($$UPDATE pulse_internal.landing_chunks SET payloads = '[2]' WHERE stream = 'chunks'$$) AS update_chunks;
RESET ROLE;
SET ROLE pulse_reader;
SELECT pg_temp.try($$SELECT count(*) FROM pulse.landing$$) AS reader_records;
SELECT pg_temp.try($$SELECT count(*) FROM pulse_internal.landing_chunks$$) AS reader_chunks;
RESET ROLE;
DROP ROLE regress_chunk_writer;

DELETE FROM pulse.landing WHERE stream IN ('chunks', 'chunks-apply');
DELETE FROM pulse.rejects WHERE stream = 'chunks-apply';
DELETE FROM pulse.checkpoints WHERE stream = 'chunks-apply';

-- Stream consumers: pulse.create_consumer (latest, trim_horizon, a
-- timestamp), pulse.read and pulse.commit (read-ahead per session, commit
-- of what was read, exactly once in one transaction), the view
-- pulse.consumers, errors with their SQLSTATEs, a restored database's new
-- era (records whose transaction ids come from another cluster), retention
-- dropping unread records, and who may do what. Writers committing out of
-- order and concurrent consumers: tests/isolation/specs/consumers.spec.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
-- chunk positions from 1001 * 2^20 on in this file, whatever ran before
SELECT setval('pulse_internal.landing_pos', 1000 * 1048576);
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 day', now() + interval '1 day') >= 0 AS partitions;
-- records with ids, one transaction per call
CREATE FUNCTION regress.cons_put(s text, ids int[], at timestamptz DEFAULT now()) RETURNS void LANGUAGE sql AS $$
  INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
  SELECT s, 'json', 1, i, at, jsonb_build_object('id', i) FROM unnest(ids) i $$;
-- the ids pulse.read returns, in its order
CREATE FUNCTION regress.cons_ids(c text, n int DEFAULT 1000) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(r.payload->>'id', ',' ORDER BY r.o), '-')
    FROM pulse.read(c, n) WITH ORDINALITY AS r(seq, received_at, payload, o) $$;
-- commits the record with this id (of the consumer's stream)
CREATE FUNCTION regress.cons_done(c text, id int) RETURNS void LANGUAGE sql AS $$
  SELECT pulse.commit(c, (SELECT l.pos FROM pulse.landing l, pulse.consumers k
                           WHERE k.consumer = c AND l.stream = k.stream AND l.payload->>'id' = id::text)) $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA regress TO PUBLIC;

-- Arguments.
SELECT regress.try($$SELECT pulse.create_consumer(NULL, 's')$$);
SELECT regress.try($$SELECT pulse.create_consumer('c', NULL)$$);
SELECT regress.try($$SELECT pulse.create_consumer('c', 's', NULL)$$);
SELECT regress.try($$SELECT pulse.create_consumer('', 's')$$);
SELECT regress.try($$SELECT pulse.create_consumer(repeat('x', 201), 's')$$);
SELECT regress.try($$SELECT pulse.create_consumer('c', '')$$);
SELECT regress.try($$SELECT pulse.create_consumer('c', 's', 'the beginning')$$);
SELECT regress.try($$SELECT * FROM pulse.read('nobody')$$);
SELECT regress.try($$SELECT * FROM pulse.read(NULL)$$);
SELECT regress.try($$SELECT pulse.commit('nobody', 1)$$);
SELECT regress.try($$SELECT pulse.drop_consumer('nobody')$$);
SELECT regress.try($$SELECT pulse.acknowledge_loss('nobody')$$);

-- Starts: latest (what commits from now on), trim_horizon (everything kept),
-- a timestamp (records received then or later, and what commits from now on).
SELECT regress.cons_put('cons_s1', '{1,2}', now() - interval '3 hours');
SELECT regress.cons_put('cons_s1', '{3}', now() - interval '30 minutes');
SELECT pulse.create_consumer('c_latest', 'cons_s1');
SELECT pulse.create_consumer('c_trim', 'cons_s1', 'trim_horizon');
SELECT pulse.create_consumer('c_ts', 'cons_s1', (now() - interval '1 hour')::text);
SELECT pulse.create_consumer('c_upper', 'cons_s1', 'TRIM_HORIZON');
SELECT regress.try($$SELECT pulse.create_consumer('c_latest', 'cons_s1')$$);
SELECT regress.cons_put('cons_s1', '{4,5}');
SELECT regress.cons_ids('c_latest') AS latest, regress.cons_ids('c_trim') AS trim_horizon,
       regress.cons_ids('c_ts') AS since_an_hour, regress.cons_ids('c_upper') AS upper_case;
SELECT consumer, stream, position, lag_records, lag_seconds > 0 AS waiting, lost_records
  FROM pulse.consumers ORDER BY consumer;

-- Read-ahead: each read goes on after what this session read; a commit
-- makes records up to it consumed; a new session starts again at the
-- committed position, with the same records in the same order, then more.
SELECT pulse.create_consumer('c_ra', 'cons_s1', 'trim_horizon');
SELECT regress.cons_ids('c_ra', 2) AS first, regress.cons_ids('c_ra', 2) AS second;
SELECT regress.try($$SELECT regress.cons_done('c_ra', 5)$$);   -- not read yet
SELECT regress.cons_done('c_ra', 2);
SELECT regress.try($$SELECT regress.cons_done('c_ra', 1)$$);   -- consumed
SELECT regress.try($$SELECT regress.cons_done('c_ra', 2)$$);
SELECT regress.try($$SELECT pulse.commit('c_ra', 999999)$$);   -- no such record
SELECT regress.try($$SELECT pulse.commit('c_ra', NULL)$$);
SELECT regress.try($$SELECT * FROM pulse.read('c_ra', 0)$$);
SELECT regress.try($$SELECT * FROM pulse.read('c_ra', 100001)$$);
SELECT regress.try($$SELECT * FROM pulse.read('c_ra', NULL)$$);
SELECT position, lag_records FROM pulse.consumers WHERE consumer = 'c_ra';
\c
SET client_min_messages = warning;
SET TimeZone = 'UTC';
-- nothing read in this session yet
SELECT regress.try($$SELECT regress.cons_done('c_ra', 4)$$);
SELECT regress.cons_put('cons_s1', '{6}');
SELECT regress.cons_ids('c_ra', 3) AS again, regress.cons_ids('c_ra') AS rest;
SELECT regress.cons_done('c_ra', 6);
SELECT regress.cons_ids('c_ra') AS after_commit, position, lag_records FROM pulse.consumers WHERE consumer = 'c_ra';

-- Exactly once inside the database: read, act and commit in one
-- transaction. A rollback leaves the position (and the read-ahead) as it was.
CREATE TABLE cons_sink (id int);
SELECT pulse.create_consumer('c_tx', 'cons_s1', 'trim_horizon');
BEGIN;
INSERT INTO cons_sink SELECT (payload->>'id')::int FROM pulse.read('c_tx', 4);
SELECT regress.cons_done('c_tx', 4);
ROLLBACK;
BEGIN;
INSERT INTO cons_sink SELECT (payload->>'id')::int FROM pulse.read('c_tx', 4);
SELECT regress.cons_done('c_tx', 4);
COMMIT;
BEGIN;
INSERT INTO cons_sink SELECT (payload->>'id')::int FROM pulse.read('c_tx', 4);
SELECT regress.cons_done('c_tx', 6);
COMMIT;
SELECT string_agg(id::text, ',' ORDER BY id) AS sunk, count(*) = count(DISTINCT id) AS once FROM cons_sink;
-- Only in READ COMMITTED (a transaction-wide snapshot would not see the
-- rows maintenance's clustering copies).
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT regress.try($$SELECT * FROM pulse.read('c_tx')$$);
ROLLBACK;
-- A transaction's own records are not in its batch: they come once it commits.
BEGIN;
SELECT regress.cons_put('cons_s1', '{7}');
SELECT regress.cons_ids('c_tx') AS own_uncommitted;
COMMIT;
SELECT regress.cons_ids('c_tx') AS after_its_commit;

-- A restored database: records whose transaction ids come from another
-- cluster (far ahead of this one's), a consumer whose snapshot speaks of
-- them, then a new era (what CREATE EXTENSION in pg_restore makes). The old
-- snapshot says: ids 1 and 3 consumed (their transactions committed before
-- it), 2 and 4 not (still running, or after it); the new records of this
-- cluster, whose transaction ids are far below the old snapshot's, are unread.
SELECT regress.cons_put('cons_era', ARRAY[g]) FROM generate_series(1, 4) g;
UPDATE pulse_internal.landing_chunks SET txid = (100000000000 + (payloads::jsonb->0->>'id')::int * 10)::text::xid8 WHERE stream = 'cons_era';
SELECT pulse.create_consumer('c_era', 'cons_era', 'trim_horizon');
UPDATE pulse_internal.consumers SET snaps = '{100000000015:100000000035:100000000020}' WHERE name = 'c_era';
SELECT pulse.create_consumer('c_era_latest', 'cons_era');
UPDATE pulse_internal.consumers SET snaps = '{100000000099:100000000099:}' WHERE name = 'c_era_latest';
UPDATE pulse_internal.era SET id = gen_random_uuid(), boundary = NULL, closed_at = NULL;
SELECT regress.cons_put('cons_era', '{5}');
SELECT regress.cons_put('cons_era', '{6}');
SELECT boundary >= (SELECT max(pos) FROM pulse.landing WHERE stream = 'cons_era' AND payload->>'id' = '4')
       AND boundary < (SELECT min(pos) FROM pulse.landing WHERE stream = 'cons_era' AND payload->>'id' = '5') AS boundary_at_restore
  FROM pulse_internal.era;
SELECT consumer, lag_records FROM pulse.consumers WHERE stream = 'cons_era' ORDER BY consumer;
SELECT regress.cons_ids('c_era', 1) AS first, regress.cons_ids('c_era') AS rest, regress.cons_ids('c_era_latest') AS latest;
SELECT regress.cons_done('c_era', 2);
SELECT pending::text AS still_pending FROM pulse_internal.consumers WHERE name = 'c_era';
SELECT regress.cons_done('c_era', 6);
SELECT pending::text AS still_pending, lag_records FROM pulse_internal.consumers c JOIN pulse.consumers v ON v.consumer = c.name
 WHERE c.name = 'c_era';
\c
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT regress.cons_put('cons_era', '{7}');
SELECT regress.cons_ids('c_era') AS after_restart;

-- Retention drops unread records: the consumer is told (SQLSTATE 55000)
-- until the loss is acknowledged; one that had read them loses nothing.
-- (a partition made by hand: pulse never makes one retention would drop)
SELECT regress.cover('pulse_internal.landing_chunks', 'cons_landing_old', now() - interval '12 days', now() - interval '9 days');
SELECT regress.cons_put('cons_old', '{1,2,3}', now() - interval '10 days');
SELECT regress.cons_put('cons_old', '{4}');
SELECT pulse.create_consumer('c_behind', 'cons_old', 'trim_horizon');
SELECT pulse.create_consumer('c_ahead', 'cons_old', 'trim_horizon');
SELECT regress.cons_ids('c_ahead', 3) AS ahead_read;
SELECT regress.cons_done('c_ahead', 3);
SELECT regress.cons_ids('c_behind', 2) AS behind_read;   -- read, not committed
SELECT dropped > 0 AS dropped FROM pulse.run_maintenance('pulse.landing');
SELECT consumer, lag_records, lost_records FROM pulse.consumers WHERE stream = 'cons_old' ORDER BY consumer;
SELECT regexp_replace(regress.try($$SELECT * FROM pulse.read('c_behind')$$), '\d{4}-\d\d-\d\dT[0-9:.]+Z', '<time>') AS behind;
SELECT regexp_replace(regress.try($$SELECT pulse.commit('c_behind', 1)$$, false), '\d{4}-\d\d-\d\dT[0-9:.]+Z', '<time>') AS commit;
SELECT regress.cons_ids('c_ahead') AS ahead_goes_on;
SELECT pulse.acknowledge_loss('c_behind') AS acknowledged, pulse.acknowledge_loss('c_behind') AS again;
SELECT regress.cons_ids('c_behind') AS behind_goes_on;
SELECT stream, received_before > now() - interval '9 days' AS recent_bound FROM pulse_internal.landing_dropped WHERE stream = 'cons_old';
SELECT regexp_replace(regress.try(format($$SELECT pulse.create_consumer('c_late', 'cons_old', %L)$$, now() - interval '11 days')),
                      '\d{4}-\d\d-\d\dT[0-9:.]+Z', '<time>', 'g') AS too_old;
SELECT pulse.create_consumer('c_late', 'cons_old', (now() - interval '1 day')::text);
SELECT regress.cons_ids('c_late') AS since_yesterday;

-- Who may do what: role pulse_consumer makes consumers, which are its own;
-- another consumer role does not see them; readers and writers cannot read
-- through them; writers cannot choose a record's position or transaction.
DROP ROLE IF EXISTS cons_alice;
DROP ROLE IF EXISTS cons_bob;
CREATE ROLE cons_alice IN ROLE pulse_consumer;
CREATE ROLE cons_bob IN ROLE pulse_consumer;
SET ROLE cons_alice;
SELECT pulse.create_consumer('c_alice', 'cons_s1', 'trim_horizon');
SELECT regress.cons_ids('c_alice', 2) AS alice_reads;
SELECT regress.cons_done('c_alice', 2);
SELECT consumer, owner, position FROM pulse.consumers;
SELECT count(*) AS alice_sees FROM pulse_internal.consumers;
SELECT regress.try($$UPDATE pulse_internal.consumers SET owner = 'cons_bob'$$, false);
RESET ROLE;
SET ROLE cons_bob;
SELECT regress.try($$SELECT * FROM pulse.read('c_alice')$$);
SELECT regress.try($$SELECT pulse.drop_consumer('c_alice')$$);
SELECT regress.try($$SELECT pulse.create_consumer('c_alice', 'cons_s2')$$);
WITH u AS (UPDATE pulse_internal.consumers SET owner = 'cons_bob' RETURNING 1) SELECT count(*) AS bob_takes FROM u;
SELECT count(*) AS bob_sees FROM pulse.consumers;
RESET ROLE;
SET ROLE pulse_reader;
SELECT regress.try($$SELECT * FROM pulse.read('c_alice')$$, false);
SELECT regress.try($$SELECT pulse.create_consumer('c_reader', 'cons_s1')$$, false);
SELECT regress.try($$SELECT * FROM pulse.consumers$$, false);
RESET ROLE;
SET ROLE pulse_writer;
SELECT regress.try($$SELECT * FROM pulse.read('c_alice')$$, false);
SELECT regress.try($$INSERT INTO pulse.landing (stream, format, batch_id, seq, payload, txid) VALUES ('cons_s1', 'json', 1, 1, '{}', '3')$$, false);
SELECT regress.try($$INSERT INTO pulse.landing (stream, format, batch_id, seq, payload, pos) VALUES ('cons_s1', 'json', 1, 1, '{}', 1)$$, false);
SELECT regress.try($$INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('cons_w', 'json', 1, 1, '{}')$$, false);
RESET ROLE;
SET ROLE cons_alice;
SELECT pulse.drop_consumer('c_alice');
RESET ROLE;
SELECT count(*) AS left_of_alice FROM pulse_internal.consumers WHERE name = 'c_alice';

-- clean up
SELECT pulse.drop_consumer(name) FROM pulse_internal.consumers ORDER BY name;
DELETE FROM pulse.landing WHERE stream IN ('cons_s1', 'cons_era', 'cons_old', 'cons_w');
DELETE FROM pulse_internal.landing_dropped;
DROP TABLE cons_sink;
DROP FUNCTION regress.cons_put(text, int[], timestamptz), regress.cons_ids(text, int), regress.cons_done(text, int);
DROP ROLE cons_alice;
DROP ROLE cons_bob;

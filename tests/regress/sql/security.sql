-- Least privilege and search-path safety, beyond roles.sql:
--  * every SECURITY DEFINER, PL/pgSQL and SQL function of the extension
--    pins search_path (but the internal SQL helpers the planner inlines);
--  * pulse_internal is not callable or readable, but for the steps of the
--    public functions that run with their caller's rights;
--  * objects a user plants in a schema that comes first in the caller's
--    search_path (operators =, now(), format(), ...) are never used by the
--    pulse functions, even when a superuser calls them;
--  * pulse_writer can load (landing + apply_batch) and nothing else;
--  * pulse_reader can read and nothing else (no apply_batch, no reapply).
SET client_min_messages = warning;
SET TimeZone = 'UTC';

-- SECURITY DEFINER functions: each pins search_path (expect no row).
SELECT p.oid::regprocedure AS unpinned_definer
  FROM pg_proc p
 WHERE p.pronamespace IN ('pulse'::regnamespace, 'pulse_internal'::regnamespace) AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%');
-- ... and which they are (each one needs to be: see the COMMENTs)
SELECT p.oid::regprocedure AS definer, p.proconfig
  FROM pg_proc p WHERE p.pronamespace IN ('pulse'::regnamespace, 'pulse_internal'::regnamespace) AND p.prosecdef
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- Every PL/pgSQL and SQL function pins search_path in its own definition
-- (expect no row), except the SQL helpers the planner inlines into their
-- callers (a SET clause would stop that): those are internal, and no role
-- but the extension's owner may call them, so only pinned callers reach them.
SELECT p.oid::regprocedure AS unpinned, l.lanname
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace IN ('pulse'::regnamespace, 'pulse_internal'::regnamespace) AND l.lanname IN ('plpgsql', 'sql')
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
   AND NOT (p.pronamespace = 'pulse_internal'::regnamespace AND l.lanname = 'sql' AND NOT p.prosecdef
            AND NOT has_function_privilege('public', p.oid, 'EXECUTE'));
SELECT p.oid::regprocedure AS inlined_unpinned
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'pulse_internal'::regnamespace AND l.lanname IN ('plpgsql', 'sql')
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- Volatile functions PUBLIC may execute: only pulse.merge, which runs with
-- the caller's rights (SPEC); internal functions that write are revoked.
SELECT p.oid::regprocedure AS public_executable, p.provolatile
  FROM pg_proc p
 WHERE p.pronamespace = 'pulse'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND p.provolatile = 'v'
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- pulse_internal: what PUBLIC (and so pulse_reader and pulse_writer) may
-- call: only the steps of public functions that run with their caller's
-- rights (pulse.merge, the analytics, the view pulse.partitions). Nothing
-- else, and none that runs with more rights than its caller but the one
-- registry look-up merge needs.
SELECT p.oid::regprocedure AS internal_public, p.provolatile, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'pulse_internal'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text COLLATE "C";
-- A writer has one more: stage_ahead, the projection step of apply_batch
-- that pulse-load's second session runs before the batch's turn.
SELECT r.rolname, coalesce(string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text COLLATE "C")
                             FILTER (WHERE has_function_privilege(r.oid, p.oid, 'EXECUTE')
                                     AND NOT has_function_privilege('public', p.oid, 'EXECUTE')), '') AS beyond_public
  FROM pg_roles r CROSS JOIN pg_proc p
 WHERE r.rolname IN ('pulse_reader', 'pulse_writer') AND p.pronamespace = 'pulse_internal'::regnamespace
 GROUP BY 1 ORDER BY 1;
SELECT c.oid::regclass AS internal_table, has_table_privilege('pulse_reader', c.oid, 'SELECT') AS reader,
       has_table_privilege('pulse_writer', c.oid, 'SELECT') AS writer
  FROM pg_class c WHERE c.relnamespace = 'pulse_internal'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.oid::regclass::text COLLATE "C";

-- A hostile user plants look-alikes of built-ins in their own schema.
DROP ROLE IF EXISTS pulse_sec_evil;
CREATE ROLE pulse_sec_evil;
CREATE SCHEMA evil AUTHORIZATION pulse_sec_evil;
SET ROLE pulse_sec_evil;
CREATE TABLE evil.trap_log (what text);
GRANT INSERT, SELECT ON evil.trap_log TO PUBLIC;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['text', 'name', 'oid', 'regclass', 'bigint', 'integer', 'timestamptz', 'interval', 'boolean', 'jsonb']
  LOOP
    EXECUTE pg_catalog.format($f$
      CREATE FUNCTION evil.trap_eq(a %1$s, b %1$s) RETURNS boolean LANGUAGE plpgsql AS $b$
      BEGIN
        INSERT INTO evil.trap_log VALUES ('operator = (%1$s)');
        RETURN a OPERATOR(pg_catalog.=) b;
      END $b$;
      CREATE OPERATOR evil.= (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = evil.trap_eq)$f$, t);
  END LOOP;
END $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN INSERT INTO evil.trap_log VALUES ('now()'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION evil.format(f text, a text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO evil.trap_log VALUES ('format(text,text)'); RETURN pg_catalog.format(f, a); END $$;
CREATE FUNCTION evil.format(f text, a text, b text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO evil.trap_log VALUES ('format(text,text,text)'); RETURN pg_catalog.format(f, a, b); END $$;
CREATE FUNCTION evil.lower(a text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO evil.trap_log VALUES ('lower(text)'); RETURN pg_catalog.lower(a); END $$;
CREATE FUNCTION evil.quote_ident(a text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO evil.trap_log VALUES ('quote_ident(text)'); RETURN pg_catalog.quote_ident(a); END $$;
RESET ROLE;
-- The traps are armed: with evil first in the path, plain SQL uses them.
SET search_path = evil, pg_catalog, public;
SELECT 'a'::text = 'a'::text AS eq, now() IS NOT NULL AS now;
RESET search_path;
SELECT what FROM evil.trap_log ORDER BY what;
TRUNCATE evil.trap_log;

-- Now every pulse function, called by a superuser with that search path.
CREATE TABLE sec_probe (ts timestamptz NOT NULL, k text) PARTITION BY RANGE (ts);
SET search_path = evil, pg_catalog, public;
SELECT pulse.partition_by_time('sec_probe', 'ts', '1 day', premake => 1, retain => '30 days', cluster_by => '{k}') IS NOT NULL AS registered;
SELECT pulse.ensure_partitions('sec_probe', pg_catalog.now() - interval '3 days', pg_catalog.now()) >= 0 AS ensured;
SELECT count(*) >= 0 AS maintained FROM pulse.run_maintenance('sec_probe');
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
  ('security-test', 'upbit', 1, 1, '{"market":"KRW-SEC","period":"1m","record":{"market":"KRW-SEC","candle_date_time_utc":"2020-02-20T10:00:00","opening_price":1.5,"high_price":2,"low_price":1,"trade_price":1.25,"timestamp":1582192859000,"candle_acc_trade_price":100.5,"candle_acc_trade_volume":3,"unit":1}}');
SELECT * FROM pulse.apply_batch('security-test', 1, '{"probe":true}');
SELECT count(*) >= 0 AS reapplied FROM pulse.reapply('security-test', pg_catalog.now() - interval '1 hour', pg_catalog.now() + interval '1 hour');
RESET search_path;
-- no look-alike was used (expect no row)
SELECT what, count(*) FROM evil.trap_log GROUP BY what ORDER BY what;
SELECT market, open, close FROM pulse.candles WHERE market = 'KRW-SEC';

-- pulse_writer: loads (landing + apply_batch) ...
DROP ROLE IF EXISTS pulse_sec_loader;
CREATE ROLE pulse_sec_loader IN ROLE pulse_writer;
CREATE SCHEMA sec_other;
CREATE TABLE sec_other.secret (x int);
INSERT INTO sec_other.secret VALUES (42);
GRANT USAGE ON SCHEMA sec_other TO PUBLIC;  -- usage alone gives no rows
SET ROLE pulse_sec_loader;
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
  ('security-writer', 'upbit', 1, 1, '{"market":"KRW-SEC","period":"1m","record":{"market":"KRW-SEC","candle_date_time_utc":"2020-02-20T10:01:00","opening_price":2.5,"high_price":3,"low_price":2,"trade_price":2.75,"timestamp":1582192919000,"candle_acc_trade_price":10,"candle_acc_trade_volume":4,"unit":1}}');
SELECT * FROM pulse.apply_batch('security-writer', 1, '{"n":1}');
COMMIT;
-- ... cannot get its own code run with apply_batch's (the owner's) rights
-- through look-alike staging tables of the tweet projection in its session
CREATE FUNCTION pg_temp.spy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE WARNING 'spy trigger ran as %', current_user; RETURN NEW; END $$;
BEGIN;
SELECT pulse_internal.tweets_stage();  -- internal: not callable
ROLLBACK;
BEGIN;
CREATE TEMP TABLE pulse_tweet_stage (seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb,
    created_from_payload boolean, id bigint, created_at timestamptz, author_id bigint, text text, lang text,
    hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[]) ON COMMIT DROP;
CREATE TEMP TABLE pulse_tweet_src (id bigint NOT NULL, created_at timestamptz NOT NULL, author_id bigint,
    text text, lang text, hashtags text[] NOT NULL, cashtags text[] NOT NULL, mentions text[] NOT NULL,
    is_retweet boolean NOT NULL, retweeted_id bigint, retweet_count integer, like_count integer,
    reply_count integer, quote_count integer, matched_rules text[] NOT NULL, observed_at timestamptz NOT NULL) ON COMMIT DROP;
CREATE TRIGGER spy BEFORE INSERT ON pg_temp.pulse_tweet_stage FOR EACH ROW EXECUTE FUNCTION pg_temp.spy();
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES
  ('security-spy', 'twitter_v2', 1, 1, '{"data":{"id":"1724796000000000001","created_at":"2023-11-14T22:13:20.000Z","text":"hi"}}');
\set VERBOSITY terse
SELECT * FROM pulse.apply_batch('security-spy', 1, '{}');
\set VERBOSITY default
ROLLBACK;
DROP FUNCTION pg_temp.spy();
-- ... and nothing else
\set VERBOSITY sqlstate
SELECT count(*) FROM pulse.candles;
SELECT count(*) FROM pulse.tweets;
SELECT count(*) FROM sec_other.secret;
SELECT count(*) FROM evil.trap_log WHERE false;  -- granted to PUBLIC by its owner: allowed
SELECT * FROM pulse.reapply('security-writer', now() - interval '1 hour', now());
UPDATE pulse.landing SET payload = '{}' WHERE stream = 'security-writer';
DELETE FROM pulse.landing WHERE stream = 'security-writer';
TRUNCATE pulse.landing;
INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
  VALUES ('upbit', 'KRW-SEC', '1 minute', '2020-02-20 10:02+00', 1, 1, 1, 1, 1, 1, now());
CREATE TABLE public.sec_writer_table (x int);
CREATE TABLE pulse.sec_writer_table (x int);
CREATE TEMP TABLE sec_writer_tmp (x int);  -- temp tables are per session: allowed
ALTER TABLE pulse.landing ADD COLUMN evil int;
CREATE INDEX ON pulse.landing (stream);
SELECT pulse.partition_by_time('sec_probe', 'ts');
\set VERBOSITY default
DROP TABLE sec_writer_tmp;
RESET ROLE;

-- pulse_reader: reads ...
DROP ROLE IF EXISTS pulse_sec_bi;
CREATE ROLE pulse_sec_bi IN ROLE pulse_reader;
SET ROLE pulse_sec_bi;
SELECT market, open FROM pulse.candles WHERE market = 'KRW-SEC' ORDER BY bucket_start;
SELECT count(*) >= 0 AS reads FROM pulse.tweets;
SELECT count(*) >= 0 AS reads FROM pulse.stream_health;
-- ... and nothing else (not the raw records, not the loaders' positions)
\set VERBOSITY sqlstate
SELECT count(*) FROM pulse.checkpoints;
SELECT count(*) FROM pulse.landing;
SELECT count(*) FROM sec_other.secret;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('security-reader', 'upbit', 1, 1, '{}');
SELECT * FROM pulse.apply_batch('security-reader', 1, '{}');
SELECT * FROM pulse.reapply('security-writer', now() - interval '1 hour', now());
UPDATE pulse.candles SET close = 0 WHERE market = 'KRW-SEC';
DELETE FROM pulse.checkpoints;
SELECT pulse.run_maintenance();
SELECT pulse.ensure_partitions('pulse.candles', now(), now());
CREATE TABLE pulse.sec_reader_table (x int);
\set VERBOSITY default
-- with the message: the reader may not call apply_batch at all
SELECT * FROM pulse.apply_batch('security-reader', 1, '{}');
RESET ROLE;

-- clean up
SELECT count(*) AS landing_rows FROM pulse.landing WHERE stream IN ('security-test', 'security-writer');
DELETE FROM pulse.landing WHERE stream IN ('security-test', 'security-writer');
DELETE FROM pulse.candles WHERE market = 'KRW-SEC';
DELETE FROM pulse.checkpoints WHERE stream IN ('security-test', 'security-writer');
DELETE FROM pulse_internal.managed_tables WHERE parent = 'sec_probe'::regclass;
DROP TABLE sec_probe;
DROP SCHEMA sec_other CASCADE;
DROP SCHEMA evil CASCADE;
DROP ROLE pulse_sec_evil;
DROP ROLE pulse_sec_loader;
DROP ROLE pulse_sec_bi;

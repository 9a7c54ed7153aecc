-- Ingest tokens for pulse-gateway: made by the owner only, shown once, kept
-- as SHA-256 hashes, listed without secrets, revocable; role pulse_gateway
-- reads the hashes and nothing else of them. And the raw format `json`.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 hour') >= 0 AS landing_partitions;
SELECT pulse.create_ingest_token('events') AS tok \gset
SELECT :'tok' ~ '^pgi_[0-9a-f]{64}$' AS well_formed;
-- only the hash and the first 12 characters are kept
SELECT stream, hash = sha256(convert_to(:'tok', 'UTF8')) AS hashed, prefix = left(:'tok', 12) AS prefix_ok,
       created_by = session_user AS by_me, revoked_at IS NULL AS live
  FROM pulse_internal.ingest_tokens;
SELECT count(*) AS rows_holding_the_secret
  FROM pulse_internal.ingest_tokens t WHERE position(substr(:'tok', 13) IN t::text) > 0;
-- two tokens never share a secret
SELECT pulse.create_ingest_token('events') <> :'tok' AS different;
SELECT id, stream, created_by = session_user AS by_me, revoked_at IS NULL AS live FROM pulse.ingest_tokens ORDER BY id;

-- bad stream names
SELECT pulse.create_ingest_token(NULL);
SELECT pulse.create_ingest_token('');
SELECT pulse.create_ingest_token('a/b');
SELECT pulse.create_ingest_token('-x');
SELECT pulse.create_ingest_token(repeat('a', 201));
SELECT pulse.create_ingest_token(E'x''; DROP TABLE pulse.landing; --');
SELECT pulse.create_ingest_token('candles:upbit:KRW-BTC:1m') ~ '^pgi_' AS loader_style_name_ok;

-- revoking: by id, once
SELECT pulse.revoke_ingest_token(min(id)) FROM pulse.ingest_tokens;
SELECT pulse.revoke_ingest_token(min(id)) FROM pulse.ingest_tokens;
SELECT pulse.revoke_ingest_token(-1);
SELECT pulse.revoke_ingest_token(NULL);
SELECT id, stream, revoked_at IS NOT NULL AS revoked FROM pulse.ingest_tokens ORDER BY id;

-- who may do what
SET ROLE pulse_writer;
SELECT pulse.create_ingest_token('events');
SELECT pulse.revoke_ingest_token(1);
SELECT count(*) FROM pulse.ingest_tokens;
SELECT count(*) FROM pulse_internal.ingest_tokens;
SELECT count(*) FROM pulse_internal.ingest_keys;
RESET ROLE;
SET ROLE pulse_reader;
SELECT count(*) FROM pulse.ingest_tokens;
SELECT pulse.create_ingest_token('events');
RESET ROLE;
SET ROLE pulse_gateway;
SELECT pulse.create_ingest_token('events');
SELECT count(*) AS hashes, count(*) FILTER (WHERE revoked_at IS NULL) AS live
  FROM (SELECT stream, hash, revoked_at FROM pulse_internal.ingest_tokens) t;
SELECT prefix FROM pulse_internal.ingest_tokens;
INSERT INTO pulse_internal.ingest_keys (stream, key, fingerprint, response, expires_at)
VALUES ('events', 'k1', '\x00', '{}', now() + interval '1 day');
SELECT stream, key, response FROM pulse_internal.ingest_keys;
UPDATE pulse_internal.ingest_keys SET response = '{"forged":true}';
DELETE FROM pulse_internal.ingest_keys;
-- and it loads like a writer
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload) VALUES ('gw-probe', 'json', 1, 1, '{"a":1}');
SELECT * FROM pulse.apply_batch('gw-probe', 1, '{}');
RESET ROLE;
SELECT r.rolname, r.rolcanlogin, pg_has_role('pulse_gateway', 'pulse_writer', 'USAGE') AS gateway_is_writer,
       pg_has_role('pulse_writer', 'pulse_gateway', 'USAGE') AS writer_is_gateway
  FROM pg_roles r WHERE r.rolname = 'pulse_gateway';

-- format json: kept raw, nothing projected, nothing rejected
SELECT stream, format, payload FROM pulse.landing WHERE stream = 'gw-probe';
SELECT count(*) AS rejects FROM pulse.rejects WHERE stream = 'gw-probe';
SELECT format, apply, projection FROM pulse_internal.formats WHERE format = 'json';

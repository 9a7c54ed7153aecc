-- HTTP ingest (SPEC "HTTP ingest and consumers"): the bearer tokens
-- pulse-gateway accepts, one stream each, and the raw format `json` its
-- records land in by default.
--
-- A token is 'pgi_' and 64 hex digits from two gen_random_uuid() (244
-- random bits from the server's strong random source). Only its SHA-256 is
-- kept: a high-entropy secret needs no slow or salted hash, and the gateway
-- compares the hash of what a client presents with the stored ones in
-- constant time. The gateway reads the hashes (role pulse_gateway) and
-- reloads them on NOTIFY pulse_ingest_tokens, which creating and revoking
-- send at commit.

CREATE OR REPLACE FUNCTION pulse.create_ingest_token(stream text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  token text;
BEGIN
  IF stream IS NULL THEN
    RAISE EXCEPTION 'create_ingest_token needs a stream' USING ERRCODE = '22004';
  END IF;
  -- The names a stream may have over HTTP (the gateway refuses others in
  -- its URL before any look-up).
  IF stream !~ '^[A-Za-z0-9_][A-Za-z0-9._:-]{0,199}$' THEN
    RAISE EXCEPTION 'invalid stream name %', quote_literal(left(stream, 100))
      USING ERRCODE = '22023',
            DETAIL = 'A stream written over HTTP has 1 to 200 characters of A-Z a-z 0-9 . _ : - and does not start with . : or -.';
  END IF;
  token := 'pgi_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
  INSERT INTO pulse_internal.ingest_tokens (stream, hash, prefix, created_by)
  VALUES (stream, sha256(convert_to(token, 'UTF8')), left(token, 12), session_user);
  PERFORM pg_notify('pulse_ingest_tokens', stream);
  RETURN token;
END
$$;
COMMENT ON FUNCTION pulse.create_ingest_token(text) IS
  'A new bearer token for POST /v1/streams/<stream>/records on pulse-gateway; shown once, only its SHA-256 is kept. Revoke with pulse.revoke_ingest_token(id), list with pulse.ingest_tokens.';

CREATE OR REPLACE FUNCTION pulse.revoke_ingest_token(token_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s text;
BEGIN
  IF token_id IS NULL THEN
    RAISE EXCEPTION 'revoke_ingest_token needs a token id' USING ERRCODE = '22004';
  END IF;
  UPDATE pulse_internal.ingest_tokens t SET revoked_at = now()
   WHERE t.id = token_id AND t.revoked_at IS NULL
  RETURNING t.stream INTO s;
  IF s IS NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_notify('pulse_ingest_tokens', s);
  RETURN true;
END
$$;
COMMENT ON FUNCTION pulse.revoke_ingest_token(bigint) IS
  'Revokes an ingest token by its id (pulse.ingest_tokens); running gateways refuse it once they hear the NOTIFY (at once) or reload (every --token-refresh). false when there was no such live token.';

CREATE OR REPLACE VIEW pulse.ingest_tokens AS
  SELECT t.id, t.stream, t.prefix, t.created_at, t.created_by, t.revoked_at
    FROM pulse_internal.ingest_tokens t;
COMMENT ON VIEW pulse.ingest_tokens IS
  'Ingest tokens without their secrets: id (for revoke_ingest_token), stream, the first 12 characters, who made it and when, when revoked';
COMMENT ON COLUMN pulse.ingest_tokens.id IS 'The token''s id, for pulse.revoke_ingest_token';
COMMENT ON COLUMN pulse.ingest_tokens.stream IS 'The one stream the token may write (POST /v1/streams/<stream>/records)';
COMMENT ON COLUMN pulse.ingest_tokens.prefix IS 'The token''s first 12 characters, to tell tokens apart (the rest is not kept)';
COMMENT ON COLUMN pulse.ingest_tokens.created_at IS 'When it was made';
COMMENT ON COLUMN pulse.ingest_tokens.created_by IS 'The session user who made it';
COMMENT ON COLUMN pulse.ingest_tokens.revoked_at IS 'When it was revoked (NULL: valid)';

-- The `json` format: records kept raw in pulse.landing (what the gateway
-- stores by default); nothing to project, so its batches apply as zeros.
CREATE OR REPLACE FUNCTION pulse_internal.apply_raw(stream text, batch_id bigint, format text)
RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint, rejected bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT 0::bigint, 0::bigint, 0::bigint, 0::bigint $$;

INSERT INTO pulse_internal.formats AS f (format, apply, projection, description) VALUES
  ('json', 'pulse_internal.apply_raw(text,bigint,text)', NULL,
   'Any JSON records, kept raw in pulse.landing with no projection (pulse-gateway''s default)')
ON CONFLICT (format) DO UPDATE
  SET apply = excluded.apply, projection = excluded.projection, description = excluded.description;

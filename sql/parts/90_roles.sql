-- Roles (SPEC "Roles"), last so that the grants see every object of the
-- script. Group roles without LOGIN: grant them to login roles.
--   pulse_writer: loaders; write landing, call apply_batch; no DDL.
--   pulse_reader: BI tools; read tables and views, call analytics.
-- Roles are cluster-wide: CREATE EXTENSION running at once in two databases
-- may both find a role missing; the loser of that race takes the winner's.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_writer') THEN
    BEGIN
      CREATE ROLE pulse_writer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pulse_reader') THEN
    BEGIN
      CREATE ROLE pulse_reader NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA pulse TO pulse_writer, pulse_reader;

GRANT SELECT, INSERT ON pulse.landing TO pulse_writer;
GRANT INSERT ON pulse.rejects TO pulse_writer;
GRANT SELECT, INSERT, UPDATE ON pulse.checkpoints TO pulse_writer;
GRANT SELECT ON pulse.managed_tables TO pulse_writer;
GRANT EXECUTE ON FUNCTION pulse.ensure_partitions(regclass, timestamptz, timestamptz) TO pulse_writer;
-- The ingestion entry point (50_ingest.sql); reapply is for the owner.
GRANT EXECUTE ON FUNCTION pulse.apply_batch(text, bigint, jsonb) TO pulse_writer;
REVOKE EXECUTE ON FUNCTION pulse.reapply(text, timestamptz, timestamptz) FROM PUBLIC;

-- Readers see every table and view of the extension; functions not revoked
-- from PUBLIC (the analytics) stay callable by them.
GRANT SELECT ON ALL TABLES IN SCHEMA pulse TO pulse_reader;

-- Every privilege of the extension, in one place (SPEC "Roles"); last, so it
-- sees every object. Run by every install and upgrade: each statement says
-- the whole truth about its object, so an upgrade ends with exactly the
-- rights of a fresh install.
--   pulse_writer: loaders; write landing and rejects, move checkpoints
--                 through apply_batch, create partitions of what they load.
--   pulse_reader: BI tools; read the public tables and views, call the
--                 analytics.
--   pulse_gateway: pulse-gateway; a pulse_writer that also reads the
--                 ingest tokens' hashes and keeps idempotency keys.
--   pulse_consumer: stream consumers (pulse-load export); make consumers,
--                 read and commit their own.
-- Roles are cluster-wide and outlive the extension: made only when missing.
-- CREATE EXTENSION running at once in two databases may both find a role
-- missing; the loser of that race takes the winner's.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pulse_writer', 'pulse_reader', 'pulse_gateway', 'pulse_consumer'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
  -- Granted once (a second GRANT would only say it is there already).
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                  WHERE m.roleid = 'pulse_writer'::regrole AND m.member = 'pulse_gateway'::regrole) THEN
    GRANT pulse_writer TO pulse_gateway;
  END IF;
END $$;

GRANT USAGE ON SCHEMA pulse TO pulse_writer, pulse_reader, pulse_consumer;

-- Readers see every public table and view (but the list of ingest tokens,
-- which is the administrators').
GRANT SELECT ON ALL TABLES IN SCHEMA pulse TO pulse_reader;
-- ... except the raw records and the loaders' positions: a BI login reads
-- what is meant for analysis (pulse.stream_health summarises both); grant
-- more by hand where wanted. Partitions get their table's grants (here for
-- those that exist, and by create_partitions for later ones).
REVOKE ALL ON pulse.landing, pulse.checkpoints FROM pulse_reader;
DO $$
DECLARE
  p regclass;
BEGIN
  FOR p IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
            WHERE i.inhparent IN ('pulse_internal.landing_chunks'::regclass, 'pulse.checkpoints'::regclass) LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM pulse_reader', p);
  END LOOP;
END $$;
REVOKE ALL ON pulse.ingest_tokens FROM pulse_reader;

-- Loaders. A landing record's position and writing transaction are drawn
-- by the column defaults, never given: stream consumers rely on them.
-- (pulse.landing is a view over the chunks, with its caller's rights: the
-- chunks' grants are below, with pulse_internal's.)
GRANT SELECT ON pulse.landing TO pulse_writer;
REVOKE INSERT ON pulse.landing FROM pulse_writer;
GRANT INSERT (stream, format, batch_id, seq, received_at, payload) ON pulse.landing TO pulse_writer;
GRANT INSERT ON pulse.rejects TO pulse_writer;
-- A loader reads where its stream stands; only apply_batch moves it.
GRANT SELECT ON pulse.checkpoints TO pulse_writer;
REVOKE INSERT, UPDATE, DELETE ON pulse.checkpoints FROM pulse_writer;

-- Public functions not for everyone: the ingestion entry point (SECURITY
-- DEFINER, pinned search_path) and partition creation for loaders; reapply,
-- registration and maintenance for owners and administrators.
REVOKE ALL ON FUNCTION pulse.apply_batch(text, bigint, jsonb),
                       pulse.reapply(text, timestamptz, timestamptz),
                       pulse.ensure_partitions(regclass, timestamptz, timestamptz),
                       pulse.partition_by_time(regclass, name, interval, integer, interval, name[], interval),
                       pulse.run_maintenance(regclass),
                       pulse.declare_coverage(text, text, tstzrange),
                       pulse.distribute(integer),
                       pulse.create_ingest_token(text),
                       pulse.revoke_ingest_token(bigint)
  FROM PUBLIC;
-- Ingest tokens are made and revoked by the extension's owner (or whom an
-- administrator grants EXECUTE): a token is a right to write a stream.
GRANT EXECUTE ON FUNCTION pulse.apply_batch(text, bigint, jsonb),
                          pulse.declare_coverage(text, text, tstzrange),
                          pulse.ensure_partitions(regclass, timestamptz, timestamptz)
  TO pulse_writer;

-- pulse_internal: its registries are nobody's business but Pulse's, and no
-- function of it is callable, except the steps of the public functions that
-- run with their caller's rights (pulse.merge; pulse.activity,
-- rolling_correlation and hop; the view pulse.partitions): those only read
-- the catalog, check arguments, or run the statement the caller could run.
GRANT USAGE ON SCHEMA pulse_internal TO PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA pulse_internal FROM PUBLIC, pulse_writer, pulse_reader, pulse_gateway, pulse_consumer;
-- The gateway checks tokens against their hashes and keeps the answers of
-- requests with an Idempotency-Key (deleting expired ones).
GRANT SELECT (stream, hash, revoked_at) ON pulse_internal.ingest_tokens TO pulse_gateway;
GRANT SELECT, INSERT, DELETE ON pulse_internal.ingest_keys TO pulse_gateway;
-- The position of each landing record is drawn by the writer's INSERT or COPY.
GRANT USAGE ON SEQUENCE pulse_internal.landing_pos TO pulse_writer;
-- The raw records: loaders write chunks (and read what they wrote), stream
-- consumers read them, through pulse.landing or directly.
GRANT SELECT ON pulse_internal.landing_chunks, pulse_internal.landing_positions TO pulse_writer, pulse_consumer;
GRANT INSERT (stream, format, batch_id, seq, received_at, payloads) ON pulse_internal.landing_chunks TO pulse_writer;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pulse_internal FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  pulse_internal.storage_of(regclass),
  pulse_internal.ident_list(name[], text, text),
  pulse_internal.merge_operator(regtype, text),
  pulse_internal.managed_time_column(regclass),
  pulse_internal.merge_relation(regclass, text),
  pulse_internal.merge_relations(regclass, regclass, name[], name),
  pulse_internal.merge_columns(pulse_internal.merge_plan, name[]),
  pulse_internal.merge_check_types(pulse_internal.merge_plan),
  pulse_internal.merge_usable_keys(regclass),
  pulse_internal.merge_key(pulse_internal.merge_plan, name[]),
  pulse_internal.merge_plan(regclass, regclass, name[], name),
  pulse_internal.merge_checks(pulse_internal.merge_plan),
  pulse_internal.merge_hours(pulse_internal.merge_plan, timestamptz, timestamptz),
  pulse_internal.merge_quick_checks(pulse_internal.merge_plan),
  pulse_internal.merge_range_empty(pulse_internal.merge_plan, timestamptz, timestamptz),
  pulse_internal.merge_first_statement(pulse_internal.merge_plan),
  pulse_internal.merge_fresh_tuples(regclass, tid[]),
  pulse_internal.merge_partitions(pulse_internal.merge_plan, timestamptz[]),
  pulse_internal.merge_changes(pulse_internal.merge_plan, text, boolean),
  pulse_internal.merge_statement(pulse_internal.merge_plan, boolean),
  pulse_internal.merge_run(pulse_internal.merge_plan, text),
  pulse_internal.merge_run_distributed(pulse_internal.merge_plan, boolean),
  pulse_internal.merge_state_distributed(pulse_internal.merge_plan, name[]),
  pulse_internal.tweets_state_columns(),
  pulse_internal.citus_table(regclass),
  pulse_internal.citus_worker(),
  pulse_internal.partition_bytes(regclass),
  pulse_internal.interval_usecs(text, interval),
  pulse_internal.check_range(timestamptz, timestamptz),
  pulse_internal.bucket_range(timestamptz, timestamptz, bigint),
  pulse_internal.partitions_of(regclass),
  pulse_internal.partition_range(regclass),
  pulse_internal.literal_to_tstz(text, regtype),
  pulse_internal.period_label(interval),
  pulse_internal.candle_subject(text, text, interval),
  pulse_internal.covered(text),
  pulse_internal.landing_length(text),
  pulse_internal.landing_records(text, integer, integer),
  pulse_internal.landing_record(text, integer),
  pulse_internal.landing_slice(text, integer, integer)
  TO PUBLIC;
-- A loader's second session projects its batch before applying it
-- (SECURITY DEFINER; it checks the stream as apply_batch does).
GRANT EXECUTE ON FUNCTION pulse_internal.stage_ahead(text, bigint) TO pulse_writer;

-- Rollups: made and maintained by their base table's owner, with that
-- owner's rights; the registry and the panes are guarded by row security
-- (each role sees and moves its own rollups).
GRANT EXECUTE ON FUNCTION
  pulse_internal.rollup_shape(text),
  pulse_internal.rollup_hop(timestamptz, interval, interval),
  pulse_internal.rollup_session(timestamptz, interval),
  pulse_internal.rollup_list(jsonb, text, text),
  pulse_internal.rollup_emit(text),
  pulse_internal.rollup_subjects(regclass),
  pulse_internal.subject_watermark(text),
  pulse_internal.rollup_row_end(jsonb, text),
  pulse_internal.rollup_keys_sql(jsonb, text),
  pulse_internal.rollup_table_sql(jsonb, text),
  pulse_internal.rollup_same_group(jsonb, text, text, boolean),
  pulse_internal.rollup_fresh_sql(jsonb, text),
  pulse_internal.rollup_group_key_sql(jsonb, text),
  pulse_internal.rollup_values_sql(jsonb, text, boolean),
  pulse_internal.rollup_apply_sql(jsonb, text),
  pulse_internal.rollup_emit_sql(jsonb, text, boolean),
  pulse_internal.rollup_progress(regclass, bigint),
  pulse_internal.rollup_apply(regclass, jsonb, timestamptz[]),
  pulse_internal.rollup_recompute(regclass, timestamptz, timestamptz),
  pulse_internal.rollups_progress(text),
  pulse_internal.rollup_functions_sql(jsonb, text, text, text, text),
  pulse_internal.rollup_create(text, text, text, jsonb, interval, text, text),
  pulse_internal.rollup_const(text),
  pulse_internal.rollup_owned(regclass),
  pulse_internal.rollup_windows(regclass),
  pulse_internal.rollup_triggers(pulse_internal.rollups),
  pulse_internal.rollups_restored(),
  pulse_internal.rollup_call(pulse_internal.rollups, text, timestamptz, timestamptz),
  pulse_internal.rollup_objects_owned(pulse_internal.rollups),
  pulse_internal.rollup_config(regclass),
  pulse_internal.rollup_count_column(jsonb),
  pulse_internal.rollup_delta_rows_sql(jsonb, text, integer),
  pulse_internal.rollup_delta_sql(jsonb, text),
  pulse_internal.rollup_prune_sql(jsonb, text),
  pulse_internal.tag_counts(timestamptz, timestamptz),
  pulse_internal.trending_counts(timestamptz, timestamptz, timestamptz, bigint, bigint, bigint),
  pulse_internal.rollup_hop_sql(jsonb),
  pulse_internal.rollup_stem(text, text),
  pulse_internal.tweets_sentiment()
  TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON pulse_internal.rollups TO PUBLIC;
GRANT UPDATE (on_watermark, watermark, late_rows, beyond_lateness, rows_since_emit, last_emit_at, last_batch_at)
  ON pulse_internal.rollups TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON pulse.panes TO PUBLIC;

-- Stream consumers: made, read and committed with the caller's rights; the
-- registry's row security keeps each role to its own consumers. Readers of
-- the raw records (pulse.landing), not of other roles' positions.
GRANT SELECT ON pulse.landing, pulse.consumers TO pulse_consumer;
REVOKE ALL ON pulse.consumers FROM pulse_reader;
REVOKE ALL ON FUNCTION pulse.create_consumer(text, text, text), pulse.read(text, integer), pulse.commit(text, bigint),
                       pulse.drop_consumer(text), pulse.acknowledge_loss(text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pulse.create_consumer(text, text, text), pulse.read(text, integer), pulse.commit(text, bigint),
                          pulse.drop_consumer(text), pulse.acknowledge_loss(text)
  TO pulse_consumer;
GRANT SELECT, INSERT, UPDATE, DELETE ON pulse_internal.consumers TO pulse_consumer;
GRANT SELECT ON pulse_internal.era, pulse_internal.landing_dropped TO pulse_consumer;
GRANT EXECUTE ON FUNCTION
  pulse_internal.era_current(),
  pulse_internal.era_peek(),
  pulse_internal.session_id(),
  pulse_internal.committed_snapshot(),
  pulse_internal.chunk_slice(text, xid8, bigint, timestamptz, bigint, bigint),
  pulse_internal.consumer_batch(text, pg_snapshot, pg_snapshot, bigint, xid8, bigint, integer),
  pulse_internal.consumer_pending(text, int8multirange, pg_snapshot, bigint, xid8, bigint, xid8, integer),
  pulse_internal.consumer_find(pulse_internal.consumers, bigint),
  pulse_internal.consumer_backlog(pulse_internal.consumers, regclass),
  pulse_internal.consumer_islands(text, bigint, bigint, pg_snapshot, timestamptz, pulse_internal.consumers),
  pulse_internal.consumer_rebase(pulse_internal.consumers, uuid, bigint),
  pulse_internal.advisory_holder(bigint),
  pulse_internal.consumer_open(text, boolean)
  TO pulse_consumer;

-- The built-in tables are managed like any other: registered with the
-- defaults of pulse.partition_by_time and its (cluster_by..., time) indexes,
-- but without premaking partitions. A CREATE EXTENSION that pg_restore runs
-- must not make partitions the dump then brings again ("already exists", "is
-- already a partition"). Nothing needs them earlier: pulse.apply_batch (through
-- pulse.merge) creates the typed partitions a batch needs, the loader creates
-- the current landing partitions when COPY finds none, and the first
-- pulse.run_maintenance premakes from the clock.
INSERT INTO pulse_internal.managed_tables (parent, time_column, every, premake, retain, cluster_by, lateness, builtin)
VALUES ('pulse.tweets', 'created_at', '1 day', 3, NULL, '{}', '1 hour', true),
       ('pulse.candles', 'bucket_start', '1 day', 3, NULL, '{exchange,market}', '1 hour', true),
       ('pulse_internal.landing_chunks', 'received_at', '1 day', 3, '7 days', '{}', '1 hour', true);
-- The names partition_by_time's CREATE INDEX ON ... gave them in 0.1.0.
CREATE INDEX tweets_created_at_idx ON pulse.tweets (created_at);
CREATE INDEX candles_exchange_market_bucket_start_idx ON pulse.candles (exchange, market, bucket_start);
CREATE INDEX landing_chunks_received_at_idx ON pulse_internal.landing_chunks (received_at);

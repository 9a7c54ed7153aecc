-- Database set-up for the candle loader integration tests (candles_lib.sh):
-- without the partitioning code (or before it premade anything), give the
-- test data a home; with it, apply_batch creates what backfills need.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'pulse.landing'::regclass) THEN
    CREATE TABLE pulse.landing_test PARTITION OF pulse.landing FOR VALUES FROM ('2000-01-01') TO ('2200-01-01');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'pulse.candles'::regclass)
     AND to_regprocedure('pulse.ensure_partitions(regclass,timestamptz,timestamptz)') IS NULL THEN
    CREATE TABLE pulse.candles_test PARTITION OF pulse.candles FOR VALUES FROM ('2000-01-01') TO ('2200-01-01');
  END IF;
END
$$;

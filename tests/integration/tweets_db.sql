-- Database set-up for the tweet loader integration tests (tweets_lib.sh) and
-- bench/tweets_bench.sh: partitions come from the partition manager when the
-- built-in tables are managed, else one catch-all partition each (the tests
-- are about the loader, not about partitioning).
DO $$
DECLARE managed boolean := false;
BEGIN
  IF to_regclass('pulse.managed_tables') IS NOT NULL THEN
    EXECUTE 'SELECT EXISTS (SELECT FROM pulse.managed_tables WHERE parent = ''pulse.landing''::regclass)' INTO managed;
  END IF;
  IF NOT managed THEN
    CREATE TABLE public.test_landing PARTITION OF pulse.landing FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
    CREATE TABLE public.test_tweets PARTITION OF pulse.tweets FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
  END IF;
END $$;

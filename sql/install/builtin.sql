-- The built-in tables are managed like any other.
SELECT pulse.partition_by_time('pulse.tweets', 'created_at');
SELECT pulse.partition_by_time('pulse.candles', 'bucket_start', cluster_by => '{exchange,market}');
SELECT pulse.partition_by_time('pulse.landing', 'received_at', retain => '7 days');

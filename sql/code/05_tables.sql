-- What the tables mean (BI tools show these comments) and which rows pg_dump
-- keeps. Run by every install and upgrade, so a comment changed here reaches
-- existing databases too.

COMMENT ON SCHEMA pulse_internal IS 'Pulse''s internal functions and registries; not part of its public surface';

COMMENT ON TABLE pulse.tweets IS 'One row per tweet id, projected from landing records of formats twitter_v2 and twitter_v1';
COMMENT ON COLUMN pulse.tweets.id IS 'The tweet id (X snowflake)';
COMMENT ON COLUMN pulse.tweets.created_at IS 'When the tweet was posted (UTC); the partition key';
COMMENT ON COLUMN pulse.tweets.author_id IS 'The id of the posting user';
COMMENT ON COLUMN pulse.tweets.text IS 'Full text, never truncated; a retweet''s is RT @user: and the original''s full text';
COMMENT ON COLUMN pulse.tweets.lang IS 'Language code X detected (und when undetermined)';
COMMENT ON COLUMN pulse.tweets.hashtags IS 'Hashtags, lower case, without #, deduplicated in order of appearance';
COMMENT ON COLUMN pulse.tweets.cashtags IS 'Cashtags, lower case, without $';
COMMENT ON COLUMN pulse.tweets.mentions IS 'Mentioned user names, lower case, without @';
COMMENT ON COLUMN pulse.tweets.is_retweet IS 'Whether the tweet is a retweet';
COMMENT ON COLUMN pulse.tweets.retweeted_id IS 'The id of the retweeted tweet, for a retweet';
COMMENT ON COLUMN pulse.tweets.retweet_count IS 'Retweets at the newest observation (NULL when never observed)';
COMMENT ON COLUMN pulse.tweets.like_count IS 'Likes at the newest observation';
COMMENT ON COLUMN pulse.tweets.reply_count IS 'Replies at the newest observation';
COMMENT ON COLUMN pulse.tweets.quote_count IS 'Quotes at the newest observation';
COMMENT ON COLUMN pulse.tweets.matched_rules IS 'Filtered-stream rules (tag, else id) the tweet matched, over all observations';
COMMENT ON COLUMN pulse.tweets.observed_at IS 'When the newest observation that changed the row was made: the merge version';
COMMENT ON COLUMN pulse.tweets.ingested_at IS 'When the row was first written';
COMMENT ON COLUMN pulse.tweets.sentiment IS 'pulse.sentiment(text): VADER compound score, -1..1; set by every projection and by reapply';

COMMENT ON TABLE pulse.candles IS 'Exchange candles; prices and volumes are the exact decimals the API printed; observed_at is the merge version';
COMMENT ON COLUMN pulse.candles.exchange IS 'upbit, coinone or binance';
COMMENT ON COLUMN pulse.candles.market IS 'The exchange''s own market name (Upbit KRW-BTC, Binance BTCUSDT)';
COMMENT ON COLUMN pulse.candles.period IS 'Candle width (1 minute for the analytics)';
COMMENT ON COLUMN pulse.candles.bucket_start IS 'Start of the candle (UTC); the partition key';
COMMENT ON COLUMN pulse.candles.open IS 'First trade price, exactly as the API printed it';
COMMENT ON COLUMN pulse.candles.high IS 'Highest trade price';
COMMENT ON COLUMN pulse.candles.low IS 'Lowest trade price';
COMMENT ON COLUMN pulse.candles.close IS 'Last trade price';
COMMENT ON COLUMN pulse.candles.volume IS 'Traded volume in the base currency (BTC)';
COMMENT ON COLUMN pulse.candles.quote_volume IS 'Traded volume in the quote currency (KRW, USDT)';
COMMENT ON COLUMN pulse.candles.observed_at IS 'The API''s last-trade time (or when the loader saw an open candle): the merge version';
COMMENT ON COLUMN pulse.candles.ingested_at IS 'When the row was last written';

COMMENT ON TABLE pulse_internal.era IS 'The era of this database''s transaction ids: made by CREATE EXTENSION, never dumped; records at or below boundary came from an earlier era (a restore)';
COMMENT ON TABLE pulse_internal.consumers IS 'Stream consumers and their positions (pulse.create_consumer, pulse.read, pulse.commit); each role sees its own';
COMMENT ON TABLE pulse_internal.landing_dropped IS 'Per stream, what retention dropped from pulse.landing: every record received before received_before';

COMMENT ON TABLE pulse.rejects IS 'Every record a loader received but could not use: the bytes as received and the reason';
COMMENT ON COLUMN pulse.rejects.id IS 'Running number';
COMMENT ON COLUMN pulse.rejects.stream IS 'The loader stream that received the record';
COMMENT ON COLUMN pulse.rejects.batch_id IS 'The batch it arrived in (NULL when it never reached a batch)';
COMMENT ON COLUMN pulse.rejects.format IS 'The format it was read as';
COMMENT ON COLUMN pulse.rejects.rejected_at IS 'When it was rejected';
COMMENT ON COLUMN pulse.rejects.raw IS 'The bytes as received (invalid UTF-8 and NUL survive)';
COMMENT ON COLUMN pulse.rejects.reason IS 'Why it could not be used';

COMMENT ON TABLE pulse.checkpoints IS 'Per stream, the source position to resume from and the last applied batch';
COMMENT ON COLUMN pulse.checkpoints.stream IS 'The loader stream (--stream)';
COMMENT ON COLUMN pulse.checkpoints.position IS 'Where the loader resumes in its source (JSON object, per source)';
COMMENT ON COLUMN pulse.checkpoints.batch_id IS 'The last applied batch';
COMMENT ON COLUMN pulse.checkpoints.updated_at IS 'When the last batch was applied';

COMMENT ON TABLE pulse_internal.managed_tables IS 'Tables managed by pulse.partition_by_time: time column, partition width, premake, retention, clustering';
COMMENT ON TABLE pulse_internal.clustered_partitions IS 'Sealed partitions that maintenance has rewritten in (cluster_by..., time) order';

COMMENT ON TYPE pulse.activity_bucket IS 'A row of pulse.activity: tweets and the candle of one bucket';
COMMENT ON TYPE pulse.rolling_correlation_bucket IS 'A row of pulse.rolling_correlation';

-- What pg_dump keeps of the extension's tables (their definitions come back
-- with CREATE EXTENSION; the partitions of the built-in tables are ordinary
-- tables and are dumped with their rows). User registrations survive; the
-- built-in ones are made again by CREATE EXTENSION. Checkpoints and rejects
-- come back whole, so loaders resume where they were and reject ids go on
-- from the dumped sequence value. Which partitions are clustered comes back
-- too: a restored database is not re-sorted from scratch.
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.managed_tables', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.clustered_partitions', '');
SELECT pg_catalog.pg_extension_config_dump('pulse.checkpoints', '');
SELECT pg_catalog.pg_extension_config_dump('pulse.rejects', '');
SELECT pg_catalog.pg_extension_config_dump('pulse.rejects_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.landing_pos', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.coverage', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.consumers', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.landing_dropped', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.rollups', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('pulse.panes', '');
-- Ingest tokens and idempotency keys survive a dump and restore (a restored
-- gateway keeps accepting the same tokens and answering retries the same).
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.ingest_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.ingest_tokens_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pulse_internal.ingest_keys', '');

-- The objects that hold data: built-in tables (SPEC "Built-in tables"),
-- Pulse's own registries, and the row types of the analytics. Only a fresh
-- install runs this file; an upgrade changes these objects in its
-- sql/pulse--A--B.sql. Comments, grants and pg_dump registration are in
-- code/ (they run on upgrades too).

CREATE TABLE pulse.tweets (
  id            bigint      NOT NULL,
  created_at    timestamptz NOT NULL,
  author_id     bigint,
  text          text,
  lang          text,
  hashtags      text[]      NOT NULL DEFAULT '{}',
  cashtags      text[]      NOT NULL DEFAULT '{}',
  mentions      text[]      NOT NULL DEFAULT '{}',
  is_retweet    boolean     NOT NULL DEFAULT false,
  retweeted_id  bigint,
  retweet_count integer,
  like_count    integer,
  reply_count   integer,
  quote_count   integer,
  matched_rules text[]      NOT NULL DEFAULT '{}',
  observed_at   timestamptz NOT NULL DEFAULT now(),
  ingested_at   timestamptz NOT NULL DEFAULT now(),
  sentiment     float8,
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE TABLE pulse.candles (
  exchange     text        NOT NULL,
  market       text        NOT NULL,
  period       interval    NOT NULL DEFAULT '1 minute',
  bucket_start timestamptz NOT NULL,
  open         numeric,
  high         numeric,
  low          numeric,
  close        numeric,
  volume       numeric,
  quote_volume numeric,
  observed_at  timestamptz NOT NULL,
  ingested_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exchange, market, period, bucket_start)
) PARTITION BY RANGE (bucket_start);

CREATE TABLE pulse.landing (
  stream      text        NOT NULL,
  format      text        NOT NULL,
  batch_id    bigint      NOT NULL,
  seq         integer     NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payload     jsonb       NOT NULL
) PARTITION BY RANGE (received_at);

CREATE TABLE pulse.rejects (
  id          bigint GENERATED ALWAYS AS IDENTITY,
  stream      text        NOT NULL,
  batch_id    bigint,
  format      text,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  raw         bytea       NOT NULL,
  reason      text        NOT NULL,
  PRIMARY KEY (id)
);

CREATE TABLE pulse.checkpoints (
  stream     text        PRIMARY KEY,
  position   jsonb       NOT NULL,
  batch_id   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- apply_batch and reapply find a batch's rows by (stream, batch_id).
CREATE INDEX landing_stream_batch_idx ON pulse.landing (stream, batch_id);

-- Registry of managed tables. pulse.merge and the loaders read it.
CREATE TABLE pulse_internal.managed_tables (
  parent        regclass    PRIMARY KEY,
  time_column   name        NOT NULL,
  every         interval    NOT NULL,
  premake       integer     NOT NULL,
  retain        interval,
  cluster_by    name[]      NOT NULL DEFAULT '{}',
  lateness      interval    NOT NULL,
  builtin       boolean     NOT NULL DEFAULT false,
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- Partitions rewritten in cluster order (a partition is clustered once).
CREATE TABLE pulse_internal.clustered_partitions (
  partition    regclass    PRIMARY KEY,
  parent       regclass    NOT NULL,
  clustered_at timestamptz NOT NULL DEFAULT now()
);

-- Event time each source has loaded completely, per subject (SPEC
-- "Completeness and watermarks"); pulse.coverage shows it.
CREATE TABLE pulse_internal.coverage (
  source     text           NOT NULL,
  subject    text           NOT NULL,
  covered    tstzmultirange NOT NULL,
  updated_at timestamptz    NOT NULL DEFAULT now(),
  PRIMARY KEY (source, subject)
);

-- Streaming rollups (SPEC "Streaming rollups"): one row per rollup, visible
-- and writable only to its owner's roles (row security), so the rollup's
-- maintenance, which runs as that owner, keeps its own state.
CREATE TABLE pulse_internal.rollups (
  name            regclass    PRIMARY KEY,
  owner           regrole     NOT NULL,
  base            regclass    NOT NULL,
  query           text        NOT NULL,
  shape           jsonb       NOT NULL,
  lateness        interval    NOT NULL,
  emit            text        NOT NULL,
  on_watermark    boolean     NOT NULL,
  every_interval  interval,
  every_rows      bigint,
  mode            text        NOT NULL,
  subjects        text        NOT NULL,
  emit_sql        text        NOT NULL,
  advance_sql     text        NOT NULL,
  trigger_fn      regprocedure NOT NULL,
  tick_fn         regprocedure NOT NULL,
  apply_fn        regprocedure,
  watermark       timestamptz,
  late_rows       bigint      NOT NULL DEFAULT 0,
  beyond_lateness bigint      NOT NULL DEFAULT 0,
  rows_since_emit bigint      NOT NULL DEFAULT 0,
  last_emit_at    timestamptz,
  last_batch_at   timestamptz,
  builtin         boolean     NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE pulse_internal.rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY rollups_owner ON pulse_internal.rollups USING (pg_catalog.pg_has_role(owner, 'MEMBER'));

-- Emitted panes of every rollup; NOTIFY pulse_panes tells listeners.
CREATE TABLE pulse.panes (
  rollup       regclass    NOT NULL,
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  group_key    jsonb       NOT NULL,
  pane         integer     NOT NULL,
  timing       text        NOT NULL CHECK (timing IN ('early', 'on_time', 'late')),
  retraction   boolean     NOT NULL DEFAULT false,
  "values"     jsonb,
  emitted_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (rollup, window_start, window_end, group_key, pane)
);
CREATE INDEX panes_emitted_idx ON pulse.panes (emitted_at);
ALTER TABLE pulse.panes ENABLE ROW LEVEL SECURITY;
CREATE POLICY panes_read ON pulse.panes FOR SELECT USING (pg_catalog.has_table_privilege(rollup, 'SELECT'));
CREATE POLICY panes_write ON pulse.panes FOR INSERT
  WITH CHECK (EXISTS (SELECT FROM pulse_internal.rollups r WHERE r.name = rollup));
CREATE POLICY panes_drop ON pulse.panes FOR DELETE
  USING (EXISTS (SELECT FROM pulse_internal.rollups r WHERE r.name = rollup));

-- Hashtag state (SPEC "Hashtags and sentiment"): per tag, the first and
-- last tweet using it and how many do; kept by every change of pulse.tweets.
CREATE TABLE pulse.hashtags (
  hashtag        text        PRIMARY KEY,
  first_seen     timestamptz NOT NULL,
  first_tweet_id bigint      NOT NULL,
  last_seen      timestamptz NOT NULL,
  tweets         bigint      NOT NULL
);

-- Tweets per hashtag per hour (pulse.hashtags_hourly), kept with
-- pulse.hashtags.
CREATE TABLE pulse_internal.tag_hours (
  tag      text        NOT NULL,
  hour     timestamptz NOT NULL,
  tweets   bigint      NOT NULL,
  retweets bigint      NOT NULL,
  PRIMARY KEY (tag, hour)
);
CREATE INDEX tag_hours_hour_idx ON pulse_internal.tag_hours (hour);
-- Packed per-hashtag tweet sets (sql/code/57_tag_vectors.sql), kept with
-- pulse.hashtags: per minute every (hashtag, author, time) of its tweets;
-- per hour and per 6 hours (UTC-aligned; `hours` is 1 or 6) tweets per
-- hashtag, so a day's counts are at most 9 rows. Never compressed, so
-- reading needs no decompression: a minute (about 2 kB at 100 tweets a
-- minute) stays in its row up to 8 kB, a period goes out of line.
CREATE TABLE pulse_internal.tag_minutes (
  minute timestamptz PRIMARY KEY,
  tweets bytea       NOT NULL
) WITH (toast_tuple_target = 8160);
CREATE TABLE pulse_internal.tag_period_counts (
  start  timestamptz NOT NULL,
  hours  smallint    NOT NULL,
  counts bytea       NOT NULL,
  PRIMARY KEY (start, hours)
);
ALTER TABLE pulse_internal.tag_minutes ALTER COLUMN tweets SET STORAGE EXTERNAL;
ALTER TABLE pulse_internal.tag_period_counts ALTER COLUMN counts SET STORAGE EXTERNAL;

-- Rows of pulse.activity and pulse.rolling_correlation.
CREATE TYPE pulse.activity_bucket AS (
  bucket timestamptz, tweets bigint, volume numeric, quote_volume numeric,
  open numeric, high numeric, low numeric, close numeric);
CREATE TYPE pulse.rolling_correlation_bucket AS (bucket timestamptz, tweets bigint, volume numeric, corr float8);
-- Rows of pulse.hashtag_sentiment.
CREATE TYPE pulse.hashtag_sentiment_bucket AS (bucket timestamptz, hashtag text, tweets bigint, sentiment float8);

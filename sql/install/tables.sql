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

-- The raw records (0.2.0, issue 17): kept in chunks, one row per run of
-- records of one batch and format with consecutive seq, their payloads the
-- text of one JSON array. One row and a few index entries per chunk instead
-- of per record, and lz4 compresses a chunk as a whole (a tweet of about 450
-- bytes alone is below the 2 kB at which PostgreSQL compresses at all; a
-- chunk of them shrinks about 6 times), so the raw copy costs little WAL.
-- Text, not jsonb: jsonb's input over a whole chunk cost about 7 times a
-- text COPY of it (25 against 3.4 us a tweet); the text is checked as jsonb
-- would check it (landing_length, the generated n) and each record becomes
-- jsonb where it is read (the view pulse.landing). The view
-- pulse.landing (code/06_landing.sql) shows one row per record, as before.
-- seq is the first record's seq in its batch; record i (from 0) of a chunk
-- has seq + i and position pos + i. pos is drawn per chunk from
-- pulse_internal.landing_pos, 2^20 apart, so a chunk holds at most 2^20
-- records; positions number the records of all streams in insert order (not
-- commit order), and txid is the writing transaction (consumers cut their
-- batches by transaction snapshots).
-- Counts (and checks) the records of a chunk's payloads: made before the
-- table, whose generated column calls it (code/06_landing.sql defines it again).
CREATE FUNCTION pulse_internal.landing_length(payloads text) RETURNS integer
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_landing_length';
CREATE SEQUENCE pulse_internal.landing_pos INCREMENT BY 1048576 MINVALUE 1048576 START WITH 1048576;
CREATE TABLE pulse_internal.landing_chunks (
  stream      text        NOT NULL,
  format      text        NOT NULL,
  batch_id    bigint      NOT NULL,
  seq         integer     NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payloads    text        COMPRESSION lz4 NOT NULL,
  n           integer     NOT NULL GENERATED ALWAYS AS (pulse_internal.landing_length(payloads)) STORED,
  pos         bigint      NOT NULL DEFAULT nextval('pulse_internal.landing_pos'),
  txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
  CONSTRAINT landing_chunks_n_check CHECK (n BETWEEN 1 AND 1048576),
  CONSTRAINT landing_chunks_seq_check CHECK (seq::bigint + n - 1 <= 2147483647)
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

-- apply_batch and reapply find a batch's chunks by (stream, batch_id).
CREATE INDEX landing_chunks_stream_batch_idx ON pulse_internal.landing_chunks (stream, batch_id);
-- Stream consumers (0.2.0) read a batch as the records of the transactions
-- that committed between two snapshots, in (txid, pos) order.
CREATE INDEX landing_chunks_stream_txid_idx ON pulse_internal.landing_chunks (stream, txid, pos);

-- The era of this database's transaction ids (0.2.0): one row, made by
-- CREATE EXTENSION and never dumped, so a restored database starts a new
-- era. Records up to `boundary` (the position counter when the era's first
-- writer or consumer came) were written in an earlier era, in another
-- cluster's transaction ids, which say nothing here.
CREATE TABLE pulse_internal.era (
  id        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  boundary  bigint,
  closed_at timestamptz,
  began_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pulse_internal.era DEFAULT VALUES;

-- Stream consumers (SPEC "HTTP ingest and consumers"): one row per
-- consumer, visible and writable only to its owner's roles (row security).
-- A record is consumed when it is settled (written in an earlier era, at or
-- below floor_pos, or visible in snaps[1]) and not pending (its position in
-- `pending` and (txid, pos) after (pend_txid, pend_pos); pending records are
-- read in (txid, pos) order, none after pend_end), or when it is in
-- the first batch (visible in snaps[2], not in snaps[1]) at or before
-- (done_txid, done_pos). snaps[3..] are the ends of batches read ahead but
-- not committed; the read cursor (read_batch 0 = pending, i = the batch
-- between snaps[i] and snaps[i + 1]; read_txid, read_pos) belongs to the
-- session named in reader.
CREATE TABLE pulse_internal.consumers (
  name             text           PRIMARY KEY,
  stream           text           NOT NULL,
  owner            regrole        NOT NULL,
  era              uuid           NOT NULL,
  floor_pos        bigint         NOT NULL,
  pending          int8multirange NOT NULL DEFAULT '{}',
  pend_txid        xid8           NOT NULL DEFAULT '0',
  pend_pos         bigint         NOT NULL DEFAULT 0,
  pend_end         xid8,
  snaps            pg_snapshot[]  NOT NULL,
  done_txid        xid8,
  done_pos         bigint,
  reader           text,
  read_batch       integer        NOT NULL DEFAULT 0,
  read_txid        xid8,
  read_pos         bigint,
  last_seq         bigint,
  last_received_at timestamptz,
  committed_at     timestamptz,
  lost             bigint         NOT NULL DEFAULT 0,
  lost_before      timestamptz,
  created_at       timestamptz    NOT NULL DEFAULT now()
);
ALTER TABLE pulse_internal.consumers ENABLE ROW LEVEL SECURITY;
CREATE POLICY consumers_owner ON pulse_internal.consumers
  USING (pg_catalog.pg_has_role(owner, 'MEMBER')) WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER'));

-- What retention dropped from pulse.landing, per stream: every record
-- received before received_before is gone.
CREATE TABLE pulse_internal.landing_dropped (
  stream          text        PRIMARY KEY,
  received_before timestamptz NOT NULL,
  dropped_at      timestamptz NOT NULL DEFAULT now()
);

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

-- HTTP ingest (0.2.0, pulse-gateway): per-stream bearer tokens, kept only
-- as SHA-256 hashes, and the answers to requests sent with an
-- Idempotency-Key, stored in the transaction of their records.
CREATE TABLE pulse_internal.ingest_tokens (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream     text        NOT NULL,
  hash       bytea       NOT NULL UNIQUE,
  prefix     text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by name        NOT NULL,
  revoked_at timestamptz
);
CREATE TABLE pulse_internal.ingest_keys (
  stream      text        NOT NULL,
  key         text        NOT NULL,
  fingerprint bytea       NOT NULL,
  response    text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (stream, key)
);
CREATE INDEX ingest_keys_expires_idx ON pulse_internal.ingest_keys (expires_at);

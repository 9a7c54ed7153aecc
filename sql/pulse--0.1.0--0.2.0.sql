-- Upgrade 0.1.0 -> 0.2.0, the part that changes what already exists: the
-- objects that hold data, and the 0.1.0 code that 0.2.0 replaces. The build
-- appends every sql/code/*.sql (functions, views, comments, privileges: the
-- same files a fresh install runs), so the code an upgraded database runs is
-- the code a fresh install runs. tests/integration/test_upgrade.sh proves the
-- result equals a fresh install.
\echo Use "ALTER EXTENSION pulse UPDATE TO '0.2.0'" to load this file. \quit

CREATE SCHEMA pulse_internal;

-- Tweets are one row per id, keyed by the time a snowflake id encodes (SPEC
-- "Keys, versions and trust in the data"; 50_tweet_fields.sql). 0.1.0 keyed
-- a row by (id, created_at) with created_at as each record claimed it, so it
-- may hold two rows of one id, or a row whose created_at is not its id's
-- time. Each such id becomes one row: the newest observation's values
-- (greatest observed_at), fields it lacks from the newest row that has them,
-- rules unioned, ingested_at the first; created_at the id's time, or for an
-- id from before snowflakes (no time in it) the created_at first stored.
-- This runs before the loop below drops 0.1.0's functions: their
-- _create_partitions makes the partitions the moved rows need. The SQL of
-- 0.2.0's helpers is inlined (they do not exist yet).
DO $$
DECLARE
  merged pulse.tweets[];
  t timestamptz;
BEGIN
  WITH k AS (
    SELECT x.*, CASE WHEN x.id >= (86400000::bigint << 22)
                     THEN pg_catalog.to_timestamp(((x.id >> 22) + 1288834974657) / 1000) END AS id_time
      FROM pulse.tweets x
     WHERE x.id IN (SELECT y.id FROM pulse.tweets y GROUP BY y.id HAVING count(*) > 1
                    UNION
                    SELECT y.id FROM pulse.tweets y
                     WHERE y.id >= (86400000::bigint << 22)
                       AND y.created_at <> pg_catalog.to_timestamp(((y.id >> 22) + 1288834974657) / 1000))),
  a AS (
    SELECT k.id,
           coalesce(min(k.id_time), (array_agg(k.created_at ORDER BY k.ingested_at, k.created_at))[1]) AS created_at,
           (array_agg(k.author_id ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.author_id IS NOT NULL))[1] AS author_id,
           (array_agg(k.text ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.text IS NOT NULL))[1] AS text,
           (array_agg(k.lang ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.lang IS NOT NULL))[1] AS lang,
           (array_agg(k.retweet_count ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.retweet_count IS NOT NULL))[1] AS retweet_count,
           (array_agg(k.like_count ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.like_count IS NOT NULL))[1] AS like_count,
           (array_agg(k.reply_count ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.reply_count IS NOT NULL))[1] AS reply_count,
           (array_agg(k.quote_count ORDER BY k.observed_at DESC, k.ingested_at DESC) FILTER (WHERE k.quote_count IS NOT NULL))[1] AS quote_count,
           ARRAY(SELECT DISTINCT r FROM k AS k2, unnest(k2.matched_rules) AS r WHERE k2.id = k.id ORDER BY 1) AS matched_rules,
           max(k.observed_at) AS observed_at, min(k.ingested_at) AS ingested_at
      FROM k GROUP BY k.id),
  n AS (
    SELECT DISTINCT ON (k.id) k.* FROM k ORDER BY k.id, k.observed_at DESC, k.ingested_at DESC)
  SELECT array_agg(ROW(a.id, a.created_at, a.author_id, a.text, a.lang, n.hashtags, n.cashtags, n.mentions,
                       n.is_retweet, n.retweeted_id, a.retweet_count, a.like_count, a.reply_count, a.quote_count,
                       a.matched_rules, a.observed_at, a.ingested_at)::pulse.tweets)
    INTO merged
    FROM a JOIN n ON n.id = a.id;
  IF merged IS NULL THEN
    RETURN;
  END IF;
  DELETE FROM pulse.tweets x WHERE x.id IN (SELECT m.id FROM unnest(merged) AS m);
  IF EXISTS (SELECT FROM pulse.managed_tables m WHERE m.parent = 'pulse.tweets'::regclass) THEN
    FOR t IN SELECT DISTINCT m.created_at FROM unnest(merged) AS m ORDER BY 1 LOOP
      PERFORM pulse._create_partitions('pulse.tweets', t, t + interval '1 microsecond');
    END LOOP;
  END IF;
  INSERT INTO pulse.tweets SELECT * FROM unnest(merged);
END $$;

-- 0.1.0's internal functions (pulse._*) move to pulse_internal under new
-- names; the view that called them is made again by the code that follows.
DROP VIEW pulse.partitions;
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'pulse'::regnamespace AND p.proname LIKE '\_%'
            ORDER BY p.oid LOOP
    EXECUTE pg_catalog.format('DROP FUNCTION %s', f);
  END LOOP;
END $$;

-- The registries are internal.
ALTER TABLE pulse.managed_tables SET SCHEMA pulse_internal;
ALTER TABLE pulse.clustered_partitions SET SCHEMA pulse_internal;

-- Coverage (0.2.0). 0.1.0 read every missing minute as "nothing happened";
-- the span each subject's rows already have is declared covered by source
-- pulse-0.1.0 so that the analytics answer as before on the data loaded.
CREATE TABLE pulse_internal.coverage (
  source     text           NOT NULL,
  subject    text           NOT NULL,
  covered    tstzmultirange NOT NULL,
  updated_at timestamptz    NOT NULL DEFAULT now(),
  PRIMARY KEY (source, subject)
);
INSERT INTO pulse_internal.coverage (source, subject, covered)
SELECT 'pulse-0.1.0',
       'candles/' || c.exchange || '/' || c.market || '/' ||
         CASE WHEN s % 86400 = 0 THEN (s / 86400)::text || 'd' WHEN s % 3600 = 0 THEN (s / 3600)::text || 'h'
              WHEN s % 60 = 0 THEN (s / 60)::text || 'm' ELSE s::text || 's' END,
       tstzmultirange(tstzrange(min(c.bucket_start), max(c.bucket_start) + c.period))
  FROM pulse.candles c, LATERAL (SELECT extract(epoch FROM c.period)::bigint AS s) p
 GROUP BY c.exchange, c.market, c.period, s;
INSERT INTO pulse_internal.coverage (source, subject, covered)
SELECT 'pulse-0.1.0', 'tweets', tstzmultirange(tstzrange(min(t.created_at), max(t.created_at) + interval '1 microsecond'))
  FROM pulse.tweets t HAVING count(*) > 0;

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

-- from the tweets already loaded
INSERT INTO pulse.hashtags (hashtag, first_seen, first_tweet_id, last_seen, tweets)
SELECT g.tag, (array_agg(g.created_at ORDER BY g.created_at, g.id))[1], (array_agg(g.id ORDER BY g.created_at, g.id))[1],
       max(g.created_at), count(*)
  FROM (SELECT DISTINCT h.tag, t.id, t.created_at FROM pulse.tweets t, unnest(t.hashtags) AS h(tag) WHERE h.tag IS NOT NULL) g
 GROUP BY g.tag;

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

INSERT INTO pulse_internal.tag_hours (tag, hour, tweets, retweets)
SELECT g.tag, date_bin('1 hour', g.created_at, timestamptz '1970-01-01 00:00:00+00'), count(*), count(*) FILTER (WHERE g.is_retweet)
  FROM (SELECT DISTINCT h.tag, t.id, t.created_at, t.is_retweet FROM pulse.tweets t, unnest(t.hashtags) AS h(tag) WHERE h.tag IS NOT NULL) g
 GROUP BY 1, 2;
-- The packed sets are built by pulse.so's aggregates, made now because the
-- code that defines them (57_tag_vectors.sql) runs after this part; it
-- replaces them with the same definitions.
CREATE FUNCTION pulse_internal.tag_minute_delta_trans(internal, timestamptz, bigint, text[], int) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_minute_delta_trans';
CREATE FUNCTION pulse_internal.tag_count_delta_trans(internal, bytea) RETURNS internal
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_count_delta_trans';
CREATE FUNCTION pulse_internal.tag_delta_final(internal) RETURNS bytea
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_tag_delta_final';
CREATE AGGREGATE pulse_internal.tag_minute_delta(created_at timestamptz, author_id bigint, hashtags text[], sign int) (
  SFUNC = pulse_internal.tag_minute_delta_trans, STYPE = internal,
  FINALFUNC = pulse_internal.tag_delta_final, FINALFUNC_MODIFY = READ_WRITE);
CREATE AGGREGATE pulse_internal.tag_count_delta(minute_delta bytea) (
  SFUNC = pulse_internal.tag_count_delta_trans, STYPE = internal,
  FINALFUNC = pulse_internal.tag_delta_final, FINALFUNC_MODIFY = READ_WRITE);
INSERT INTO pulse_internal.tag_minutes (minute, tweets)
SELECT d.minute, d.v
  FROM (SELECT date_bin('1 minute', t.created_at, timestamptz '1970-01-01 00:00:00+00') AS minute,
               pulse_internal.tag_minute_delta(t.created_at, t.author_id, t.hashtags, 1) AS v
          FROM pulse.tweets t WHERE t.hashtags <> '{}' GROUP BY 1) d
 WHERE d.v IS NOT NULL;
INSERT INTO pulse_internal.tag_period_counts (start, hours, counts)
SELECT x.start, x.hours, x.v
  FROM (SELECT date_bin(l.hours * interval '1 hour', m.minute, timestamptz '1970-01-01 00:00:00+00') AS start, l.hours,
               pulse_internal.tag_count_delta(m.tweets) AS v
          FROM pulse_internal.tag_minutes m, (VALUES (1::smallint), (6::smallint)) AS l(hours) GROUP BY 1, 2) x
 WHERE x.v IS NOT NULL;

-- Sentiment (0.2.0): every tweet keeps pulse.sentiment(text), which the
-- projections set from now on; existing rows get it here. The function is
-- made now because the code that defines it (52_sentiment.sql) runs after
-- this part; it replaces it with the same definition.
ALTER TABLE pulse.tweets ADD COLUMN sentiment float8;
CREATE FUNCTION pulse.sentiment(text) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_sentiment';
UPDATE pulse.tweets SET sentiment = pulse.sentiment(text) WHERE text IS NOT NULL;

-- Rows of pulse.hashtag_sentiment (0.2.0).
CREATE TYPE pulse.hashtag_sentiment_bucket AS (bucket timestamptz, hashtag text, tweets bigint, sentiment float8);

-- Raw records (0.2.0, issue 17): kept in chunks, and pulse.landing becomes
-- a view over them (see install/tables.sql, code/06_landing.sql). Each 0.1.0
-- partition becomes a chunk partition of the same range, registered in its
-- place; its records become chunks (one per run of consecutive seq of a
-- batch and format), with positions in the order they were received and
-- this transaction as their writer (stream consumers are new in 0.2.0).
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
CREATE INDEX landing_chunks_stream_batch_idx ON pulse_internal.landing_chunks (stream, batch_id);
CREATE INDEX landing_chunks_stream_txid_idx ON pulse_internal.landing_chunks (stream, txid, pos);
CREATE INDEX landing_chunks_received_at_idx ON pulse_internal.landing_chunks (received_at);
DO $$
DECLARE
  p record;
  pname text;
BEGIN
  FOR p IN SELECT c.oid::regclass AS part, c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'pulse.landing'::regclass ORDER BY c.relname LOOP
    pname := left(regexp_replace(p.relname, '^landing_', 'landing_chunks_'), 63);
    EXECUTE format('CREATE TABLE pulse_internal.%I PARTITION OF pulse_internal.landing_chunks %s', pname, p.bound);
    -- a partition is an ordinary table (dumped with its rows), not a member
    EXECUTE format('ALTER EXTENSION pulse DROP TABLE pulse_internal.%I', pname);
    -- its chunks are written in received_at order below: clustered as the
    -- old partition was
    UPDATE pulse_internal.clustered_partitions
       SET partition = format('pulse_internal.%I', pname)::regclass, parent = 'pulse_internal.landing_chunks'
     WHERE partition = p.part;
  END LOOP;
END $$;
INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, received_at, payloads, pos, txid)
SELECT r.stream, r.format, r.batch_id, min(r.seq), r.received_at, jsonb_agg(r.payload ORDER BY r.seq)::text,
       1048576 * row_number() OVER (ORDER BY r.received_at, r.stream, r.batch_id, min(r.seq)), pg_current_xact_id()
  FROM (SELECT l.*, l.seq - row_number() OVER (PARTITION BY l.stream, l.batch_id, l.format, l.received_at ORDER BY l.seq) AS run
          FROM pulse.landing l) r
 GROUP BY r.stream, r.format, r.batch_id, r.received_at, r.run
 ORDER BY r.received_at, r.stream, r.batch_id, min(r.seq);
SELECT setval('pulse_internal.landing_pos', coalesce(max(pos), 0) + 1048576, false) FROM pulse_internal.landing_chunks;
UPDATE pulse_internal.managed_tables SET parent = 'pulse_internal.landing_chunks' WHERE parent = 'pulse.landing'::regclass;
-- (0.1.0's stream_health read the table; code/80_views.sql makes it again)
DROP VIEW pulse.stream_health;
DROP TABLE pulse.landing;

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

-- Stream consumers (0.2.0): how they find batches and records, the era of
-- the transaction ids, the consumers, and what retention dropped (see
-- install/tables.sql).
CREATE TABLE pulse_internal.era (
  id        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  boundary  bigint,
  closed_at timestamptz,
  began_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pulse_internal.era DEFAULT VALUES;
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
CREATE TABLE pulse_internal.landing_dropped (
  stream          text        PRIMARY KEY,
  received_before timestamptz NOT NULL,
  dropped_at      timestamptz NOT NULL DEFAULT now()
);

-- pg_restore of a Pulse database: pulse.so's utility hook skips the dump's
-- own ADD CONSTRAINT ... PRIMARY KEY / CREATE INDEX of a built-in partition
-- (ATTACH PARTITION already made those indexes from the extension member
-- parent's) with a NOTICE, and passes every other statement through.
-- The test cluster preloads pulse, so the hook is in every session.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
SELECT pulse.ensure_partitions('pulse.tweets', '2001-01-01', '2001-01-02') AS made;
SET client_min_messages = notice;

-- 1. Skipped: what pg_dump writes for a built-in partition, qualified or
-- through search_path, with or without ONLY.
ALTER TABLE ONLY pulse.tweets_p20010101 ADD CONSTRAINT tweets_p20010101_pkey PRIMARY KEY (id, created_at);
ALTER TABLE pulse.tweets_p20010101 ADD CONSTRAINT tweets_p20010101_pkey PRIMARY KEY (id, created_at);
CREATE INDEX tweets_p20010101_created_at_idx ON pulse.tweets_p20010101 USING btree (created_at);
SET search_path = pulse, public;
CREATE INDEX tweets_p20010101_created_at_idx ON tweets_p20010101 USING btree (created_at);
RESET search_path;
-- the partition keeps exactly its attached indexes
SELECT i.indexrelid::regclass AS index, h.inhparent::regclass AS attached_to
  FROM pg_index i LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
 WHERE i.indrelid = 'pulse.tweets_p20010101'::regclass ORDER BY i.indexrelid;

-- 2. Passed through on a Pulse partition: a new name is created as usual.
CREATE INDEX tweets_p20010101_lang_idx ON pulse.tweets_p20010101 (lang);
ALTER TABLE pulse.tweets_p20010101 ADD CONSTRAINT tweets_p20010101_id_key UNIQUE (id, created_at);
SELECT i.indexrelid::regclass AS index, h.inhparent::regclass AS attached_to
  FROM pg_index i LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
 WHERE i.indrelid = 'pulse.tweets_p20010101'::regclass ORDER BY i.indexrelid;
-- The same name but another kind, more than one subcommand, IF NOT EXISTS:
-- PostgreSQL's own answer.
CREATE UNIQUE INDEX tweets_p20010101_created_at_idx ON pulse.tweets_p20010101 (created_at);
ALTER TABLE pulse.tweets_p20010101 ADD CONSTRAINT tweets_p20010101_created_at_idx UNIQUE (id, created_at);
ALTER TABLE pulse.tweets_p20010101 ADD CONSTRAINT tweets_p20010101_pkey PRIMARY KEY (id, created_at),
                                   ALTER COLUMN lang SET STATISTICS 10;
CREATE INDEX IF NOT EXISTS tweets_p20010101_created_at_idx ON pulse.tweets_p20010101 (created_at);
-- a same-named table in another schema is another table
CREATE SCHEMA hook_other;
CREATE TABLE hook_other.tweets_p20010101 (id bigint NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX tweets_p20010101_created_at_idx ON hook_other.tweets_p20010101 (created_at);
ALTER TABLE ONLY hook_other.tweets_p20010101 ADD CONSTRAINT tweets_p20010101_pkey PRIMARY KEY (id, created_at);
SELECT indexrelid::regclass AS index FROM pg_index WHERE indrelid = 'hook_other.tweets_p20010101'::regclass ORDER BY i.indexrelid;
-- a Pulse member that is not a partition
ALTER TABLE ONLY pulse.rejects ADD CONSTRAINT rejects_pkey PRIMARY KEY (id);

-- 3. Passed through: a user table's partitions (not a Pulse member, even
-- when managed by pulse.partition_by_time) get PostgreSQL's normal errors.
CREATE TABLE hook_user (id int NOT NULL, ts timestamptz NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE INDEX hook_user_ts_idx ON hook_user (ts);
CREATE TABLE hook_user_p1 PARTITION OF hook_user FOR VALUES FROM ('2001-01-01') TO ('2001-01-02');
ALTER TABLE ONLY hook_user_p1 ADD CONSTRAINT hook_user_p1_pkey PRIMARY KEY (id, ts);
CREATE INDEX hook_user_p1_ts_idx ON hook_user_p1 USING btree (ts);
SET client_min_messages = warning;
SELECT pulse.partition_by_time('hook_user', 'ts', premake => 0) IS NOT NULL AS registered;
SET client_min_messages = notice;
ALTER TABLE ONLY hook_user_p1 ADD CONSTRAINT hook_user_p1_pkey PRIMARY KEY (id, ts);
CREATE INDEX hook_user_p1_ts_idx ON hook_user_p1 USING btree (ts);

SET client_min_messages = warning;
DROP TABLE hook_user;
DROP SCHEMA hook_other CASCADE;
DROP TABLE pulse.tweets_p20010101;

-- Tweet projections, part 2 (see 50_tweet_fields.sql for the rules): per
-- batch, each format's records are staged in temporary tables, collapsed to
-- one row per id, completed from the stored rows, and merged into
-- pulse.tweets with pulse.merge; unusable items go to pulse.rejects.

-- The staging tables of one apply call. Temporary, made once per session
-- and emptied at every commit (ON COMMIT DELETE ROWS truncates them in place):
-- creating and dropping them in every batch wrote catalog rows (and their
-- WAL) for each. A second call in the same transaction empties them (and
-- forgets what was staged ahead in them).
CREATE OR REPLACE FUNCTION pulse_internal.tweets_stage() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM pulse_internal.staged_forget();
  IF to_regclass('pg_temp.pulse_tweet_src') IS NOT NULL OR to_regclass('pg_temp.pulse_tweet_stage') IS NOT NULL THEN
    -- apply_batch (SECURITY DEFINER) writes into these: reuse them only
    -- if both are this role's own (own_temp_table, 40_ingest.sql).
    IF NOT (pulse_internal.own_temp_table('pulse_tweet_src') AND pulse_internal.own_temp_table('pulse_tweet_stage')) THEN
      RAISE EXCEPTION 'temporary tables pulse_tweet_stage/pulse_tweet_src exist but were not made by pulse'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Drop them (or end the transaction) before loading tweets in this session.';
    END IF;
    -- Empty unless an earlier call of this transaction used them.
    IF EXISTS (SELECT FROM pg_temp.pulse_tweet_stage) OR EXISTS (SELECT FROM pg_temp.pulse_tweet_src) THEN
      TRUNCATE pg_temp.pulse_tweet_stage, pg_temp.pulse_tweet_src;
    END IF;
    RETURN;
  END IF;
  CREATE TEMP TABLE pulse_tweet_stage (
    seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb, note text,
    id bigint, created_at timestamptz, author_id bigint, text text, lang text,
    hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[]
  ) ON COMMIT DELETE ROWS;
  -- Exactly the target's columns that a projection sets (ingested_at keeps
  -- the target's default), so pulse.merge matches them by name. sentiment is
  -- pulse.sentiment(text) of the text the row ends up with.
  CREATE TEMP TABLE pulse_tweet_src (
    id bigint NOT NULL, created_at timestamptz NOT NULL, author_id bigint, text text, lang text,
    hashtags text[] NOT NULL, cashtags text[] NOT NULL, mentions text[] NOT NULL,
    is_retweet boolean NOT NULL, retweeted_id bigint,
    retweet_count integer, like_count integer, reply_count integer, quote_count integer,
    matched_rules text[] NOT NULL, observed_at timestamptz NOT NULL,
    sentiment float8
  ) ON COMMIT DELETE ROWS;
END
$$;

-- Collapses the staged observations of each id into one row of
-- pg_temp.pulse_tweet_src: the newest observation (later records of a batch
-- are newer among equal observation times); for ids seen more than once,
-- fields the newest lacks from the newest that has them, rules unioned.
-- Notes name the format's items as its records do (twitter_v2: data/tweet,
-- twitter_v1: statuses/status).
CREATE OR REPLACE FUNCTION pulse_internal.tweets_collapse(format text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- (JIT's compile time exceeds the work of a batch: bench/tweets_bench.sh.)
SET jit = off
AS $fn$
DECLARE
  list text := CASE format WHEN 'twitter_v1' THEN 'statuses' ELSE 'data' END;
  noun text := CASE format WHEN 'twitter_v1' THEN 'status' ELSE 'tweet' END;
  n_valid bigint;
  n_ids bigint;
BEGIN
  -- A snowflake id's created_at is its own (set when staged). An id from
  -- before snowflakes keeps the created_at first stored for it, else the one
  -- of its first record in this batch; records claiming another are noted.
  -- Loaders of such ids take turns (the lock is held to commit), so two
  -- concurrent batches cannot store one id twice; the stored rows are all
  -- older than snowflakes, so the look-up reads only those partitions.
  IF EXISTS (SELECT FROM pg_temp.pulse_tweet_stage s
              WHERE s.problem IS NULL AND s.id < pulse_internal.tweet_snowflake_min()) THEN
    PERFORM pg_advisory_xact_lock(hashtext('pulse.tweets: ids before snowflakes'), 0);
    UPDATE pg_temp.pulse_tweet_stage s
       SET created_at = r.created_at,
           note = CASE WHEN abs(extract(epoch FROM s.created_at - r.created_at)) > 1 THEN
                    format('landing seq %s, %s[%s]: %s %s (an id from before snowflakes) claims created_at %s, but the first created_at stored for it is %s; stored with that',
                           s.seq, list, s.ord, noun, s.id, pulse_internal.tweet_ts(s.created_at),
                           pulse_internal.tweet_ts(r.created_at)) END
      FROM (SELECT DISTINCT ON (x.id) x.id, coalesce(o.created_at, x.created_at) AS created_at
              FROM pg_temp.pulse_tweet_stage x
              LEFT JOIN LATERAL (SELECT t.created_at FROM pulse.tweets t
                                  WHERE t.id = x.id
                                    AND t.created_at < pulse_internal.tweet_snowflake_time(pulse_internal.tweet_snowflake_min())
                                  ORDER BY t.ingested_at, t.created_at LIMIT 1) AS o ON true
             WHERE x.problem IS NULL AND x.id < pulse_internal.tweet_snowflake_min()
             ORDER BY x.id, x.seq, x.ord) AS r
     WHERE s.problem IS NULL AND s.id = r.id AND s.created_at <> r.created_at;
  END IF;

  SELECT count(*) INTO n_valid FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL;
  INSERT INTO pg_temp.pulse_tweet_src
  SELECT DISTINCT ON (s.id) s.id, s.created_at, s.author_id, s.text, s.lang,
         coalesce(s.hashtags, '{}'), coalesce(s.cashtags, '{}'), coalesce(s.mentions, '{}'),
         coalesce(s.is_retweet, false), s.retweeted_id,
         s.retweet_count, s.like_count, s.reply_count, s.quote_count,
         coalesce(s.matched_rules, '{}'), s.observed_at, pulse.sentiment(s.text)
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NULL
   ORDER BY s.id, s.observed_at DESC, s.seq DESC, s.ord DESC;
  GET DIAGNOSTICS n_ids = ROW_COUNT;

  IF n_ids = n_valid THEN
    RETURN;
  END IF;
  -- Ids seen more than once in the batch (all their records now have one
  -- created_at): fields the newest lacks from the newest that has them, rules
  -- unioned.
  UPDATE pg_temp.pulse_tweet_src d
     SET author_id    = coalesce(a.author_id, d.author_id),
         text         = coalesce(a.text, d.text),
         sentiment    = CASE WHEN a.text IS NULL THEN d.sentiment ELSE pulse.sentiment(a.text) END,
         lang         = coalesce(a.lang, d.lang),
         hashtags     = coalesce(a.hashtags, d.hashtags),
         cashtags     = coalesce(a.cashtags, d.cashtags),
         mentions     = coalesce(a.mentions, d.mentions),
         is_retweet   = coalesce(a.is_retweet, d.is_retweet),
         retweeted_id = CASE WHEN a.is_retweet IS NULL THEN d.retweeted_id ELSE a.retweeted_id END,
         retweet_count = coalesce(a.retweet_count, d.retweet_count),
         like_count   = coalesce(a.like_count, d.like_count),
         reply_count  = coalesce(a.reply_count, d.reply_count),
         quote_count  = coalesce(a.quote_count, d.quote_count),
         matched_rules = coalesce(a.matched_rules, '{}')
    FROM (SELECT s.id,
                 (array_agg(s.author_id ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.author_id IS NOT NULL))[1] AS author_id,
                 (array_agg(s.text ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.text IS NOT NULL))[1] AS text,
                 (array_agg(s.lang ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.lang IS NOT NULL))[1] AS lang,
                 (array_agg(s.is_retweet ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.is_retweet IS NOT NULL))[1] AS is_retweet,
                 (array_agg(s.retweeted_id ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.is_retweet IS NOT NULL))[1] AS retweeted_id,
                 (array_agg(s.retweet_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.retweet_count IS NOT NULL))[1] AS retweet_count,
                 (array_agg(s.like_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.like_count IS NOT NULL))[1] AS like_count,
                 (array_agg(s.reply_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.reply_count IS NOT NULL))[1] AS reply_count,
                 (array_agg(s.quote_count ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC) FILTER (WHERE s.quote_count IS NOT NULL))[1] AS quote_count
            FROM pg_temp.pulse_tweet_stage s
           WHERE s.problem IS NULL
             AND s.id IN (SELECT x.id FROM pg_temp.pulse_tweet_stage x WHERE x.problem IS NULL
                           GROUP BY x.id HAVING count(*) > 1)
           GROUP BY s.id) AS a0
   CROSS JOIN LATERAL (
          SELECT a0.author_id, a0.text, a0.lang, a0.is_retweet, a0.retweeted_id,
                 a0.retweet_count, a0.like_count, a0.reply_count, a0.quote_count,
                 (SELECT s.hashtags FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.hashtags IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS hashtags,
                 (SELECT s.cashtags FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.cashtags IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS cashtags,
                 (SELECT s.mentions FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = a0.id AND s.mentions IS NOT NULL
                   ORDER BY s.observed_at DESC, s.seq DESC, s.ord DESC LIMIT 1) AS mentions,
                 (SELECT ARRAY(SELECT DISTINCT r FROM pg_temp.pulse_tweet_stage s, unnest(s.matched_rules) AS r
                                WHERE s.problem IS NULL AND s.id = a0.id ORDER BY 1)) AS matched_rules) AS a
   WHERE d.id = a0.id;
END
$fn$;

-- Whether collapsing the staged tweets reads no stored row: none of the
-- usable ones has an id from before snowflakes (whose created_at is the
-- one first stored). Then the collapse depends on the batch's records
-- alone and stage_ahead does it.
CREATE OR REPLACE FUNCTION pulse_internal.tweets_collapse_alone() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT NOT EXISTS (SELECT FROM pg_temp.pulse_tweet_stage s
                      WHERE s.problem IS NULL AND s.id < pulse_internal.tweet_snowflake_min())
$$;

-- What the stored row already knows and this observation lacks is kept, and
-- an observation that changes nothing keeps the stored observed_at.
CREATE OR REPLACE FUNCTION pulse_internal.tweets_keep_stored() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
DECLARE
  lo timestamptz;
  hi timestamptz;
BEGIN
  -- The batch's created_at range: every stored row these ids can match is in
  -- it (the key holds created_at), so the joins below read only the
  -- partitions, and within them the index range, of the batch, not every
  -- stored tweet. PL/pgSQL passes lo and hi as parameters; the plan prunes
  -- partitions with them (at planning for custom plans, at executor start
  -- for generic ones).
  SELECT min(s.created_at), max(s.created_at) INTO lo, hi FROM pg_temp.pulse_tweet_src s;
  IF lo IS NULL THEN
    RETURN;
  END IF;
  -- Tweets none of which is stored yet (a stream's new tweets) need neither
  -- join below: one look, which stops at the first stored match, instead of
  -- two passes over the batch (9 ms against 13 per 5,000 new tweets).
  -- (It names a column: Citus, joining the temporary table to a distributed
  -- pulse.tweets, cannot pass on a row of none.)
  IF NOT EXISTS (SELECT d.id FROM pg_temp.pulse_tweet_src d JOIN pulse.tweets t ON t.id = d.id AND t.created_at = d.created_at
                  WHERE t.created_at >= lo AND t.created_at <= hi) THEN
    RETURN;
  END IF;
  -- What the stored row already knows and this observation lacks is kept, when
  -- this observation is not older (an older one changes nothing anyway).
  UPDATE pg_temp.pulse_tweet_src d
     SET author_id    = coalesce(d.author_id, t.author_id),
         text         = coalesce(d.text, t.text),
         sentiment    = CASE WHEN d.text IS NULL THEN pulse.sentiment(t.text) ELSE d.sentiment END,
         lang         = coalesce(d.lang, t.lang),
         hashtags     = CASE WHEN k.hashtags THEN d.hashtags ELSE t.hashtags END,
         cashtags     = CASE WHEN k.cashtags THEN d.cashtags ELSE t.cashtags END,
         mentions     = CASE WHEN k.mentions THEN d.mentions ELSE t.mentions END,
         is_retweet   = CASE WHEN k.is_retweet THEN d.is_retweet ELSE t.is_retweet END,
         retweeted_id = CASE WHEN k.is_retweet THEN d.retweeted_id ELSE t.retweeted_id END,
         retweet_count = coalesce(d.retweet_count, t.retweet_count),
         like_count   = coalesce(d.like_count, t.like_count),
         reply_count  = coalesce(d.reply_count, t.reply_count),
         quote_count  = coalesce(d.quote_count, t.quote_count),
         matched_rules = pulse_internal.tweet_union(d.matched_rules, t.matched_rules)
    FROM pulse.tweets t,
         LATERAL (SELECT bool_or(s.hashtags IS NOT NULL) AS hashtags, bool_or(s.cashtags IS NOT NULL) AS cashtags,
                         bool_or(s.mentions IS NOT NULL) AS mentions, bool_or(s.is_retweet IS NOT NULL) AS is_retweet
                    FROM pg_temp.pulse_tweet_stage s WHERE s.problem IS NULL AND s.id = t.id) AS k
   WHERE t.id = d.id AND t.created_at = d.created_at AND t.observed_at <= d.observed_at
     AND t.created_at >= lo AND t.created_at <= hi;

  -- An observation that changes nothing keeps the stored observed_at, so
  -- re-reading the same tweets writes nothing (observed_at is the time of the
  -- newest observation that changed the row).
  UPDATE pg_temp.pulse_tweet_src d
     SET observed_at = t.observed_at
    FROM pulse.tweets t
   WHERE t.id = d.id AND t.created_at = d.created_at AND t.observed_at <= d.observed_at
     AND t.created_at >= lo AND t.created_at <= hi
     AND (d.author_id, d.text, d.lang, d.hashtags, d.cashtags, d.mentions, d.is_retweet, d.retweeted_id,
          d.retweet_count, d.like_count, d.reply_count, d.quote_count, d.matched_rules)
         IS NOT DISTINCT FROM
         (t.author_id, t.text, t.lang, t.hashtags, t.cashtags, t.mentions, t.is_retweet, t.retweeted_id,
          t.retweet_count, t.like_count, t.reply_count, t.quote_count, t.matched_rules);

END
$fn$;

-- The staging rows carry their item's JSON (raw, what pulse.rejects keeps)
-- only when the projection gave them a problem or a note. A row that this
-- SQL gives one later (retention, a created_at overruled) gets it here, from
-- its landing record projected again: rare, where a copy of every tweet in
-- every batch was not.
CREATE OR REPLACE FUNCTION pulse_internal.tweets_fill_raw(stream text, batch_id bigint, format text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_temp.pulse_tweet_stage s
                  WHERE s.raw IS NULL AND (s.problem IS NOT NULL OR s.note IS NOT NULL)) THEN
    RETURN;
  END IF;
  EXECUTE format($q$
    UPDATE pg_temp.pulse_tweet_stage s
       SET raw = r.raw
      FROM pulse.landing l
     CROSS JOIN LATERAL %s(l.payload, l.received_at, l.seq, true) AS r
     WHERE l.stream = $1 AND l.batch_id = $2 AND l.format = $3
       AND l.seq IN (SELECT x.seq FROM pg_temp.pulse_tweet_stage x
                      WHERE x.raw IS NULL AND (x.problem IS NOT NULL OR x.note IS NOT NULL))
       AND r.seq = s.seq AND r.ord = s.ord
       AND s.raw IS NULL AND (s.problem IS NOT NULL OR s.note IS NOT NULL)$q$,
    CASE format WHEN 'twitter_v1' THEN 'pulse_internal.twitter_v1_rows' ELSE 'pulse_internal.twitter_v2_rows' END)
  USING stream, batch_id, format;
END
$fn$;

-- From staged tweets to pulse.tweets: rejects, one row per id, fields the
-- newest observation lacks kept from older ones, then pulse.merge.
CREATE OR REPLACE FUNCTION pulse_internal.tweets_merge_stage(stream text, batch_id bigint, format text,
  collapsed boolean, OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
-- The plans' cost estimates (set-returning JSON functions) trigger JIT, whose
-- compile time exceeds the work for a batch; measured in bench/tweets_bench.sh.
SET jit = off
AS $fn$
DECLARE
  keep_from timestamptz := pulse_internal.retention_floor('pulse.tweets');
BEGIN
  -- Tweets before what the retention of pulse.tweets keeps are rejected.
  UPDATE pg_temp.pulse_tweet_stage s
     SET problem = format('landing seq %s: tweet %s of %s is older than what the retention of pulse.tweets keeps (%s)',
                          s.seq, s.id, pulse_internal.utc_text(s.created_at), pulse_internal.utc_text(keep_from))
   WHERE s.problem IS NULL AND s.created_at < keep_from;
  IF collapsed THEN
    -- Collapsed ahead (tweets_collapse_alone), before the floor was read:
    -- an id's observations share its created_at, so the id goes whole.
    DELETE FROM pg_temp.pulse_tweet_src s WHERE s.created_at < keep_from;
  END IF;
  PERFORM pulse_internal.tweets_fill_raw(stream, batch_id, format);
  INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
  SELECT tweets_merge_stage.stream, tweets_merge_stage.batch_id, tweets_merge_stage.format,
         convert_to(s.raw::text, 'UTF8'), s.problem
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NOT NULL
   ORDER BY s.seq, s.ord;
  GET DIAGNOSTICS rejected = ROW_COUNT;

  IF NOT collapsed THEN
    PERFORM pulse_internal.tweets_collapse(format);
  END IF;
  -- Notes: stored tweets whose created_at claim was overruled by their key.
  -- They are not rejections (the tweet is stored) and are not counted.
  PERFORM pulse_internal.tweets_fill_raw(stream, batch_id, format);
  INSERT INTO pulse.rejects (stream, batch_id, format, raw, reason)
  SELECT tweets_merge_stage.stream, tweets_merge_stage.batch_id, tweets_merge_stage.format,
         convert_to(s.raw::text, 'UTF8'), s.note
    FROM pg_temp.pulse_tweet_stage s
   WHERE s.problem IS NULL AND s.note IS NOT NULL
   ORDER BY s.seq, s.ord;
  PERFORM pulse_internal.tweets_keep_stored();
  SELECT m.inserted, m.updated, m.unchanged INTO inserted, updated, unchanged
    FROM pulse.merge('pulse.tweets', 'pg_temp.pulse_tweet_src', ARRAY['id', 'created_at']::name[], 'observed_at') AS m;
END
$fn$;

-- Applies a batch's records of one tweet format: its staging function (the
-- format's projection in the registry) fills pg_temp.pulse_tweet_stage, then
-- tweets_merge_stage. The staging functions below are one INSERT each.
CREATE OR REPLACE FUNCTION pulse_internal.apply_tweets(stream text, batch_id bigint, format text,
  OUT inserted bigint, OUT updated bigint, OUT unchanged bigint, OUT rejected bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  collapsed boolean := false;
BEGIN
  IF pulse_internal.staged_ahead(stream, batch_id, format) THEN
    -- Then collapsed too, where the collapse needed no stored row.
    collapsed := pulse_internal.tweets_collapse_alone();
  ELSIF NOT pulse_internal.tweets_project(stream, batch_id, format) THEN
    RAISE EXCEPTION 'no tweet projection for format %', format USING ERRCODE = '22023';
  END IF;
  SELECT m.inserted, m.updated, m.unchanged, m.rejected INTO inserted, updated, unchanged, rejected
    FROM pulse_internal.tweets_merge_stage(stream, batch_id, format, collapsed) AS m;
END
$fn$;

-- Fills pg_temp.pulse_tweet_stage with a batch's records of one tweet format,
-- by that format's staging function (its projection in the registry); false
-- when the format has none.
CREATE OR REPLACE FUNCTION pulse_internal.tweets_project(stream text, batch_id bigint, format text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  stager regprocedure := (SELECT f.projection FROM pulse_internal.formats f
                           WHERE f.format = tweets_project.format
                             AND f.apply = 'pulse_internal.apply_tweets(text,bigint,text)'::regprocedure);
BEGIN
  IF stager IS NULL THEN
    RETURN false;
  END IF;
  PERFORM pulse_internal.tweets_stage();
  EXECUTE format('SELECT %s($1, $2)', stager::oid::regproc) USING stream, batch_id;
  RETURN true;
END
$fn$;

-- A loader's batch begun while the batch before it applies (pulse-load's
-- second session) may be projected then, in its own transaction: its
-- projection depends on its records alone (what is stored is looked at
-- later, by tweets_merge_stage and candle_merge). apply_batch, later in that
-- transaction, merges it instead of projecting again. Only a batch of one
-- format, a tweet or candle format, is staged ahead (the staging tables
-- hold one format at a time). The marker is a row in a temporary table of
-- Pulse's own, emptied at commit, with what the batch's landing records were
-- (their count and last position: records added or deleted since make
-- apply_batch project again); the caller needs the stream (claim_stream).
-- True when staged.
CREATE OR REPLACE FUNCTION pulse_internal.stage_ahead(stream text, batch_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
  fmts text[];
BEGIN
  IF stream IS NULL OR batch_id IS NULL THEN
    RETURN false;
  END IF;
  PERFORM pulse_internal.claim_stream(stage_ahead.stream);
  SELECT array_agg(DISTINCT l.format) INTO fmts FROM pulse_internal.landing_chunks l
   WHERE l.stream = stage_ahead.stream AND l.batch_id = stage_ahead.batch_id;
  IF cardinality(fmts) IS DISTINCT FROM 1 THEN
    RETURN false;
  END IF;
  IF pulse_internal.tweets_project(stream, batch_id, fmts[1]) THEN
    -- Collapsed as well (half the rest of a tweet batch's work), unless
    -- ids from before snowflakes need the stored rows (apply_tweets
    -- asks tweets_collapse_alone again).
    IF pulse_internal.tweets_collapse_alone() THEN
      PERFORM pulse_internal.tweets_collapse(fmts[1]);
    END IF;
  ELSIF pulse_internal.candles_project(stream, batch_id, fmts[1]) THEN
    PERFORM pulse_internal.candles_collapse();
  ELSE
    RETURN false;
  END IF;
  IF to_regclass('pg_temp.pulse_staged_ahead') IS NULL THEN
    CREATE TEMP TABLE pulse_staged_ahead (stream text NOT NULL, batch_id bigint NOT NULL, format text NOT NULL,
                                          records bigint, last_pos bigint)
      ON COMMIT DELETE ROWS;
  ELSIF NOT pulse_internal.own_temp_table('pulse_staged_ahead') THEN
    RAISE EXCEPTION 'temporary table pulse_staged_ahead exists but was not made by pulse'
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Drop it (or end the transaction) before loading in this session.';
  END IF;
  DELETE FROM pg_temp.pulse_staged_ahead;
  INSERT INTO pg_temp.pulse_staged_ahead
  SELECT stage_ahead.stream, stage_ahead.batch_id, fmts[1], sum(l.n), max(l.pos)
    FROM pulse_internal.landing_chunks l
   WHERE l.stream = stage_ahead.stream AND l.batch_id = stage_ahead.batch_id;
  RETURN true;
END
$fn$;

-- Whether stage_ahead staged this batch's records of this format in this
-- transaction (then the marker is used up).
CREATE OR REPLACE FUNCTION pulse_internal.staged_ahead(stream text, batch_id bigint, format text) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n_now bigint;
  pos_now bigint;
BEGIN
  IF to_regclass('pg_temp.pulse_staged_ahead') IS NULL OR NOT pulse_internal.own_temp_table('pulse_staged_ahead') THEN
    RETURN false;
  END IF;
  SELECT sum(l.n), max(l.pos) INTO n_now, pos_now FROM pulse_internal.landing_chunks l
   WHERE l.stream = staged_ahead.stream AND l.batch_id = staged_ahead.batch_id;
  DELETE FROM pg_temp.pulse_staged_ahead s
   WHERE s.stream = staged_ahead.stream AND s.batch_id = staged_ahead.batch_id
     AND s.format = staged_ahead.format
     AND s.records IS NOT DISTINCT FROM n_now AND s.last_pos IS NOT DISTINCT FROM pos_now;
  RETURN FOUND;
END
$fn$;

-- Forgets what stage_ahead staged: called wherever the staging tables are
-- emptied for a projection, so no marker vouches for another batch's rows.
CREATE OR REPLACE FUNCTION pulse_internal.staged_forget() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF to_regclass('pg_temp.pulse_staged_ahead') IS NOT NULL AND pulse_internal.own_temp_table('pulse_staged_ahead') THEN
    DELETE FROM pg_temp.pulse_staged_ahead;
  END IF;
END
$fn$;

-- The staging rows of one landing record, as pg_temp.pulse_tweet_stage takes
-- them (C++, extension/pg/tweet_rows.cpp): the tweets a record holds (a v2
-- stream line, page or bare tweet; a v1.1 status or search response), each
-- with its key, version, values, and the reason it cannot be stored (else
-- NULL), or one row with the record's own problem. raw (the item's JSON) is
-- in the rows with a problem or a note, or in every row with every_raw. The
-- rules are those at the top of 50_tweet_fields.sql. STABLE: tags are
-- lower-cased and rules sorted by the database's default collation.
CREATE OR REPLACE FUNCTION pulse_internal.twitter_v2_rows(payload jsonb, received_at timestamptz, landing_seq integer,
  every_raw boolean DEFAULT false)
RETURNS TABLE(seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb, note text,
              id bigint, created_at timestamptz, author_id bigint, text text, lang text,
              hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
              retweet_count integer, like_count integer, reply_count integer, quote_count integer,
              matched_rules text[])
LANGUAGE c STABLE STRICT PARALLEL SAFE
ROWS 1
AS 'MODULE_PATHNAME', 'pulse_twitter_v2_rows';

CREATE OR REPLACE FUNCTION pulse_internal.twitter_v1_rows(payload jsonb, received_at timestamptz, landing_seq integer,
  every_raw boolean DEFAULT false)
RETURNS TABLE(seq integer, ord bigint, observed_at timestamptz, problem text, raw jsonb, note text,
              id bigint, created_at timestamptz, author_id bigint, text text, lang text,
              hashtags text[], cashtags text[], mentions text[], is_retweet boolean, retweeted_id bigint,
              retweet_count integer, like_count integer, reply_count integer, quote_count integer,
              matched_rules text[])
LANGUAGE c STABLE STRICT PARALLEL SAFE
ROWS 1
AS 'MODULE_PATHNAME', 'pulse_twitter_v1_rows';

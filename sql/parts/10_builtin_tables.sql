-- Built-in tables (SPEC "Built-in tables"). Time-partitioned parents; the
-- partitions themselves are created and maintained by the partitioning code.

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
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE pulse.tweets IS 'One row per tweet id, projected from landing records of formats twitter_v2 and twitter_v1';

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
COMMENT ON TABLE pulse.candles IS 'Exchange candles; prices and volumes are the exact decimals the API printed; observed_at is the merge version';

CREATE TABLE pulse.landing (
  stream      text        NOT NULL,
  format      text        NOT NULL,
  batch_id    bigint      NOT NULL,
  seq         integer     NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payload     jsonb       NOT NULL
) PARTITION BY RANGE (received_at);
COMMENT ON TABLE pulse.landing IS 'Raw records exactly as received, per stream and batch; kept 7 days by default';

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
COMMENT ON TABLE pulse.rejects IS 'Every record a loader received but could not use: the bytes as received and the reason';

CREATE TABLE pulse.checkpoints (
  stream     text        PRIMARY KEY,
  position   jsonb       NOT NULL,
  batch_id   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pulse.checkpoints IS 'Per stream, the source position to resume from and the last applied batch';

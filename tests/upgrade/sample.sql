-- A sample of everything a Pulse database holds, loaded the way users load
-- it, into whatever version is installed (run before ALTER EXTENSION UPDATE):
-- candles and tweets through landing + apply_batch (so checkpoints too), a
-- record that is rejected, a user table managed by partition_by_time with a
-- merge into it, and a maintenance run that clusters sealed partitions.
-- Variables: upbit (the Upbit fixture), tweets_v2, statuses_v1 (JSON Lines).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

-- Landing partitions for the received_at the rows get (now()).
SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 day', now() + interval '1 day');

INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
SELECT 'upbit/KRW-BTC', 'upbit', 1, r.ord::int,
       jsonb_build_object('market', 'KRW-BTC', 'period', '1m', 'record', r.rec)
  FROM jsonb_array_elements(:'upbit'::jsonb) WITH ORDINALITY AS r(rec, ord);
-- A candle the projection cannot use: it goes to pulse.rejects.
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
VALUES ('upbit/KRW-BTC', 'upbit', 1, 10000,
        '{"market": "KRW-BTC", "period": "1m", "record": {"market": "KRW-BTC", "trade_price": "x"}}');
SELECT * FROM pulse.apply_batch('upbit/KRW-BTC', 1, '{"to": "2020-02-20T11:20:00Z"}');

INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
SELECT 'x/file', 'twitter_v2', 1, row_number() OVER ()::int, line::jsonb
  FROM regexp_split_to_table(:'tweets_v2', E'\n') AS line WHERE line <> '';
SELECT * FROM pulse.apply_batch('x/file', 1, '{"offset": 2}');
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
SELECT 'x/v1', 'twitter_v1', 1, row_number() OVER ()::int, line::jsonb
  FROM regexp_split_to_table(:'statuses_v1', E'\n') AS line WHERE line <> '';
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
VALUES ('x/v1', 'twitter_v1', 1, 1000, '{"delete": {"status": {"id": 1}}}');
SELECT * FROM pulse.apply_batch('x/v1', 1, '{"offset": 9}');

-- A user table under Pulse's partitioning, merged into.
CREATE TABLE public.trades (
  market text NOT NULL, traded_at timestamptz NOT NULL, price numeric NOT NULL, seen_at timestamptz NOT NULL,
  PRIMARY KEY (market, traded_at)) PARTITION BY RANGE (traded_at);
SELECT pulse.partition_by_time('public.trades', 'traded_at', '1 day', premake => 1,
                               retain => '3650 days', cluster_by => '{market}', lateness => '1 hour');
CREATE TEMP TABLE batch AS
SELECT m AS market, timestamptz '2024-03-11 00:00+00' + g * interval '7 minutes' AS traded_at,
       (100 + g)::numeric / 4 AS price, timestamptz '2024-03-12 00:00+00' AS seen_at
  FROM generate_series(0, 500) g, unnest('{KRW-BTC,BTCUSDT}'::text[]) m;
SELECT * FROM pulse.merge('public.trades', 'batch', '{market,traded_at}', 'seen_at');

SELECT parent, created, dropped, clustered, note FROM pulse.run_maintenance() ORDER BY parent::text;

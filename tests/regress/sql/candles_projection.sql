-- The candle projections (C++, entry/candles.cpp) against the SQL ones they
-- replaced, kept here only as the oracle: every row they return (candle
-- and reason, numerics by their text so a scale counts) must be the same
-- for valid payloads and for hostile mutations of them: wrong JSON types,
-- huge, negative, fractional and exponent numbers, decimal strings just
-- inside and outside what is accepted, NaN and Infinity strings, dates
-- that do not exist, deep nesting, scalars where objects or arrays belong.
SET client_min_messages = warning;
SET TimeZone = 'Asia/Seoul';
SET DateStyle = 'SQL, DMY';
RESET client_min_messages;

-- The 0.2.0 SQL projections (and the helpers only they used), verbatim
-- but for their names and one fix: json_epoch_ms multiplied the
-- milliseconds by an interval, through a double, so times after about 2255
-- were off by microseconds (all of them rejected as in the future, with that
-- time in the reason); the oracle's is exact, as the C++ projections are.
CREATE FUNCTION pg_temp.old_json_epoch_ms(v jsonb) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT timestamptz 'epoch' + (ms / 1000000) * interval '1000 seconds' + (ms % 1000000) * interval '1 millisecond'
    FROM (SELECT CASE jsonb_typeof(v)
      WHEN 'number' THEN
        CASE WHEN v::numeric >= 0 AND v::numeric < 1e15 AND trunc(v::numeric) = v::numeric THEN (v::numeric)::bigint END
      WHEN 'string' THEN
        CASE WHEN (v #>> '{}') ~ '^[0-9]+$' AND length(v #>> '{}') <= 15 THEN (v #>> '{}')::bigint END
    END AS ms) AS x
$$;
-- (The same as 0.2.0's where that was exact.)
SELECT pg_temp.old_json_epoch_ms(v) IS NOT DISTINCT FROM pulse_internal.json_epoch_ms(v) AS same
  FROM (VALUES ('1582197598691'::jsonb), ('"1624559579999"'), ('1.5'), ('0'), ('"x"'), ('null'), ('-1')) AS t(v);

CREATE FUNCTION pg_temp.old_num(t text, kind text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE kind
    WHEN 'number' THEN t::numeric
    WHEN 'string' THEN CASE WHEN t ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(t) <= 1000 THEN t::numeric END
  END
$$;

CREATE FUNCTION pg_temp.old_period(p text) RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p WHEN '1m' THEN interval '1 minute' WHEN '3m' THEN interval '3 minutes'
                WHEN '5m' THEN interval '5 minutes' WHEN '10m' THEN interval '10 minutes'
                WHEN '15m' THEN interval '15 minutes' WHEN '30m' THEN interval '30 minutes'
                WHEN '1h' THEN interval '1 hour' WHEN '4h' THEN interval '4 hours' END
$$;

CREATE FUNCTION pg_temp.old_candle_problem(noun text, shape_problem text, market text, period interval,
  record_problem text, time_problem text, bucket_start timestamptz, open numeric, high numeric, low numeric,
  close numeric, volume numeric, quote_volume numeric, observed_at timestamptz, range jsonb, later_problem text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  -- The arguments are plain values: the planner inlines this into the
  -- projections even where one is named twice.
  SELECT coalesce(shape_problem,
    CASE WHEN market IS NULL OR period IS NULL THEN 'landing payload lacks market or a known period' END,
    record_problem, time_problem,
    CASE
      WHEN open IS NULL OR high IS NULL OR low IS NULL OR close IS NULL OR volume IS NULL OR quote_volume IS NULL
        THEN noun || ' has a missing or non-numeric price or volume'
      WHEN least(open, high, low, close, volume, quote_volume) < 0
        THEN noun || ' has a negative price or volume'
      WHEN high < low THEN format('%s has high %s below low %s', noun, high, low)
      WHEN open NOT BETWEEN low AND high OR close NOT BETWEEN low AND high
        THEN format('%s has open %s or close %s outside [low %s, high %s]', noun, open, close, low, high)
      WHEN bucket_start <> date_bin(period, bucket_start, timestamptz '1970-01-01 00:00:00+00')
        THEN format('%s opens at %s, not on the %s grid', noun, pulse_internal.utc_text(bucket_start), to_char(period, 'HH24:MI:SS'))
      WHEN bucket_start > now() + period
        THEN format('%s opens at %s, more than %s in the future', noun, pulse_internal.utc_text(bucket_start), to_char(period, 'HH24:MI:SS'))
      WHEN observed_at > now() + period
        THEN format('%s last trade at %s, more than %s in the future', noun, pulse_internal.utc_text(observed_at), to_char(period, 'HH24:MI:SS'))
      WHEN bucket_start < pg_temp.old_json_epoch_ms(range -> 'range_from_ms')
        OR bucket_start >= pg_temp.old_json_epoch_ms(range -> 'range_until_ms')
        THEN format('%s opens at %s, outside the range its page was asked for', noun, pulse_internal.utc_text(bucket_start))
    END,
    later_problem)
$$;

CREATE FUNCTION pg_temp.old_candle_upbit(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume, v.observed_at,
         pg_temp.old_candle_problem('upbit candle',
           CASE WHEN v.kind IS DISTINCT FROM 'object' THEN 'upbit candle is not a JSON object' END,
           v.market, v.period,
           CASE WHEN v.rec_market IS NOT NULL AND v.rec_market <> v.market
                THEN 'upbit candle is for market ' || v.rec_market || ', not ' || v.market END,
           CASE WHEN v.bucket_start IS NULL THEN 'upbit candle_date_time_utc missing, malformed or not a date' END,
           v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume, v.observed_at, p,
           CASE WHEN v.observed_at IS NULL THEN 'upbit candle timestamp missing or malformed'
                WHEN v.unit IS NOT NULL AND v.unit IS DISTINCT FROM (extract(epoch FROM v.period) / 60)::int::text
                THEN 'upbit candle unit ' || v.unit || ' does not match period ' || (p->>'period') END)
  FROM (SELECT p->>'market' AS market, pg_temp.old_period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               r->>'market' AS rec_market, r->>'unit' AS unit,
               -- A day the month has (2020-02-30 passes the pattern but is no date).
               CASE WHEN r->>'candle_date_time_utc' ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$'
                    THEN CASE WHEN substr(r->>'candle_date_time_utc', 9, 2)::int <=
                                   extract(day FROM (substr(r->>'candle_date_time_utc', 1, 7) || '-01')::timestamp
                                                    + interval '1 month - 1 day')
                              THEN ((r->>'candle_date_time_utc') || '+00')::timestamptz END END AS bucket_start,
               pg_temp.old_num(r->>'opening_price', jsonb_typeof(r->'opening_price')) AS open, pg_temp.old_num(r->>'high_price', jsonb_typeof(r->'high_price')) AS high,
               pg_temp.old_num(r->>'low_price', jsonb_typeof(r->'low_price')) AS low, pg_temp.old_num(r->>'trade_price', jsonb_typeof(r->'trade_price')) AS close,
               pg_temp.old_num(r->>'candle_acc_trade_volume', jsonb_typeof(r->'candle_acc_trade_volume')) AS volume,
               pg_temp.old_num(r->>'candle_acc_trade_price', jsonb_typeof(r->'candle_acc_trade_price')) AS quote_volume,
               pg_temp.old_json_epoch_ms(r->'timestamp') AS observed_at
          -- OFFSET 0 keeps each level from being flattened, so the record is
          -- extracted once and each value parsed once per landing row.
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;

CREATE FUNCTION pg_temp.old_candle_binance(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
         CASE WHEN v.observed IS NULL THEN v.close_time + interval '1 millisecond'
              ELSE least(v.observed, v.close_time + interval '1 millisecond') END,
         pg_temp.old_candle_problem('binance kline',
           CASE WHEN v.kind IS DISTINCT FROM 'array' OR v.len < 8 THEN 'binance kline is not an array of at least 8 fields' END,
           v.market, v.period, NULL,
           CASE WHEN v.bucket_start IS NULL OR v.close_time IS NULL THEN 'binance kline open or close time malformed' END,
           v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
           least(v.observed, v.close_time + interval '1 millisecond'), p,
           -- (a page with one open time twice: the copy with the wrong close)
           CASE WHEN v.close_time <> v.bucket_start + v.period - interval '1 millisecond'
                THEN format('binance kline closes at %s, not one period after it opens at %s',
                            pulse_internal.utc_text(v.close_time), pulse_internal.utc_text(v.bucket_start)) END)
  FROM (SELECT p->>'market' AS market, pg_temp.old_period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               CASE WHEN jsonb_typeof(r) = 'array' THEN jsonb_array_length(r) END AS len,
               pg_temp.old_json_epoch_ms(r->0) AS bucket_start, pg_temp.old_json_epoch_ms(r->6) AS close_time,
               pg_temp.old_json_epoch_ms(p->'observed_ms') AS observed,
               pg_temp.old_num(r->>1, jsonb_typeof(r->1)) AS open, pg_temp.old_num(r->>2, jsonb_typeof(r->2)) AS high,
               pg_temp.old_num(r->>3, jsonb_typeof(r->3)) AS low, pg_temp.old_num(r->>4, jsonb_typeof(r->4)) AS close,
               pg_temp.old_num(r->>5, jsonb_typeof(r->5)) AS volume, pg_temp.old_num(r->>7, jsonb_typeof(r->7)) AS quote_volume
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;

CREATE FUNCTION pg_temp.old_candle_coinone(p jsonb)
RETURNS TABLE(market text, period interval, bucket_start timestamptz,
              open numeric, high numeric, low numeric, close numeric,
              volume numeric, quote_volume numeric, observed_at timestamptz, reason text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
  SELECT v.market, v.period, v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
         CASE WHEN v.observed IS NULL THEN v.bucket_start + v.period
              ELSE least(v.observed, v.bucket_start + v.period) END,
         pg_temp.old_candle_problem('coinone candle',
           CASE WHEN v.kind IS DISTINCT FROM 'object' THEN 'coinone candle is not a JSON object' END,
           v.market, v.period, NULL,
           CASE WHEN v.bucket_start IS NULL THEN 'coinone candle timestamp missing or malformed' END,
           v.bucket_start, v.open, v.high, v.low, v.close, v.volume, v.quote_volume,
           least(v.observed, v.bucket_start + v.period), p, NULL)
  FROM (SELECT p->>'market' AS market, pg_temp.old_period(p->>'period') AS period, jsonb_typeof(r) AS kind,
               pg_temp.old_json_epoch_ms(r->'timestamp') AS bucket_start,
               pg_temp.old_json_epoch_ms(p->'observed_ms') AS observed,
               pg_temp.old_num(r->>'open', jsonb_typeof(r->'open')) AS open, pg_temp.old_num(r->>'high', jsonb_typeof(r->'high')) AS high,
               pg_temp.old_num(r->>'low', jsonb_typeof(r->'low')) AS low, pg_temp.old_num(r->>'close', jsonb_typeof(r->'close')) AS close,
               pg_temp.old_num(r->>'target_volume', jsonb_typeof(r->'target_volume')) AS volume, pg_temp.old_num(r->>'quote_volume', jsonb_typeof(r->'quote_volume')) AS quote_volume
          FROM (SELECT p->'record' AS r OFFSET 0) AS x OFFSET 0) AS v
$$;

-- Values a field may hold.
CREATE TEMP TABLE vals (v jsonb);
INSERT INTO vals (v)
SELECT x::jsonb FROM unnest(ARRAY[
  'null', 'true', 'false', '0', '-0', '1', '-1', '1.5', '1.50', '-1.5', '0.000', '1e3', '1.0e-3', '2E+2',
  '123456789012345678901234567890.123456789', '1e400', '-1e400', '1e-400',
  '"1"', '"-1"', '"-0"', '"0.00"', '"1.50"', '"1."', '".5"', '"-.5"', '"1e3"', '"NaN"', '"nan"', '"Infinity"', '"-Infinity"',
  '" 1"', '"1 "', '"+1"', '"0x10"', '"1,5"', '"١"', '""', '"abc"', '"--1"', '"1.2.3"',
  '{}', '[]', '{"a": 1}', '[1, 2]', '["1"]', '{"market": "KRW-BTC"}',
  -- timestamps
  '1582197598691', '"1582197598691"', '1582197598691.0', '1582197598691.5', '1582197598691.000',
  '"1582197598691.0"', '999999999999999', '1000000000000000', '"999999999999999"', '"0999999999999999"',
  '"000000000000001"', '1e14', '1.5e3', '-1582197598691', '1624559520000', '1624559579999', '1624559580000',
  '1686787200000', '1686787260000', '1686787200001', '253402300740000', '999999999900000', '"1624559520000"',
  -- dates
  '"2020-02-20T11:19:00"', '"2020-02-30T11:19:00"', '"2100-02-29T00:00:00"', '"2000-02-29T00:00:00"',
  '"2021-04-31T00:00:00"', '"1000-01-01T00:00:00"', '"0999-01-01T00:00:00"', '"0000-01-01T00:00:00"',
  '"1969-12-31T23:58:00"', '"1960-01-01T00:00:00"', '"1960-01-01T00:01:00"', '"2020-02-20T24:00:00"',
  '"2020-02-20T11:19:00Z"', '"2020-02-20 11:19:00"', '"2020-2-20T11:19:00"', '"9999-12-31T23:59:00"',
  '"2020-02-20T11:19:30"', '"2020-02-20T11:20:00"', '"2020-02-20T12:00:00"', '"2020-02-20T11:19:00\n"',
  -- markets, periods, units
  '"KRW-BTC"', '"BTCUSDT"', '"OTHER"', '"1m"', '"3m"', '"4h"', '"1h"', '"2m"', '"1M"', '3', '"3"', '60', '1.0', '240',
  -- long decimals: 1,000 characters are read, 1,001 are not
  to_jsonb(repeat('9', 1000))::text, to_jsonb(repeat('9', 1001))::text, to_jsonb('-' || repeat('9', 999))::text,
  to_jsonb('-' || repeat('9', 1000))::text, to_jsonb('0.' || repeat('1', 998))::text, repeat('9', 1000),
  -- deep nesting
  repeat('[', 300) || repeat(']', 300), repeat('{"a":', 300) || '1' || repeat('}', 300)]) AS x;

-- Valid payloads of each format, and where each may be changed.
CREATE TEMP TABLE base (format text, p jsonb, paths text[]);
INSERT INTO base VALUES
 ('upbit', '{"market":"KRW-BTC","period":"1m","record":{"market":"KRW-BTC","candle_date_time_utc":"2020-02-20T11:19:00","opening_price":100,"high_price":110,"low_price":90.0,"trade_price":105,"timestamp":1582197598691,"candle_acc_trade_price":1000.5,"candle_acc_trade_volume":2.50,"unit":1}}',
  '{market,period,observed_ms,range_from_ms,range_until_ms,record,record.market,record.candle_date_time_utc,record.opening_price,record.high_price,record.low_price,record.trade_price,record.timestamp,record.candle_acc_trade_price,record.candle_acc_trade_volume,record.unit}'),
 ('upbit', '{"market":"KRW-BTC","period":"3m","range_from_ms":1582196400000,"range_until_ms":1582198200000,"record":{"market":"KRW-BTC","candle_date_time_utc":"2020-02-20T11:15:00","opening_price":"100","high_price":"110","low_price":"90","trade_price":"105","timestamp":"1582197598691","candle_acc_trade_price":"1000","candle_acc_trade_volume":"1","unit":"3"}}',
  '{market,period,range_from_ms,range_until_ms,record.candle_date_time_utc,record.opening_price,record.high_price,record.low_price,record.trade_price,record.timestamp,record.unit}'),
 ('binance', '{"market":"BTCUSDT","period":"1m","observed_ms":1624559600000,"record":[1624559520000,"34970.9","35047.03","34800.01","35047.03","0.419472",1624559579999,"14686.8781947",1,"0.4","14492.8","0"]}',
  '{market,period,observed_ms,range_from_ms,range_until_ms,record,record.0,record.1,record.2,record.3,record.4,record.5,record.6,record.7,record.8}'),
 ('binance', '{"market":"BTCUSDT","period":"4h","record":[1624550400000,34970.9,35047.03,34800.01,35047.03,0.419472,1624564799999,14686.8781947]}',
  '{period,observed_ms,record.0,record.1,record.2,record.3,record.5,record.6,record.7}'),
 ('coinone', '{"market":"KRW-BTC","period":"1m","observed_ms":1686787230000,"record":{"timestamp":1686787200000,"open":"1","high":"2","low":"0.5","close":"1.5","target_volume":"10","quote_volume":"12.000"}}',
  '{market,period,observed_ms,range_from_ms,range_until_ms,record,record.timestamp,record.open,record.high,record.low,record.close,record.target_volume,record.quote_volume}');

-- Every base payload, each path set to each value and removed, each pair of
-- number paths of a sample swapped, and payloads of the wrong shape.
CREATE TEMP TABLE cases AS
SELECT b.format, b.p FROM base b
UNION ALL
SELECT b.format, jsonb_set(b.p, string_to_array(path, '.'), v.v, true) FROM base b, unnest(b.paths) path, vals v
UNION ALL
SELECT b.format, b.p #- string_to_array(path, '.') FROM base b, unnest(b.paths) path
UNION ALL
SELECT b.format, jsonb_set(jsonb_set(b.p, string_to_array(x, '.'), b.p #> string_to_array(y, '.')),
                           string_to_array(y, '.'), b.p #> string_to_array(x, '.'))
  FROM base b, unnest(b.paths) x, unnest(b.paths) y
 WHERE x < y AND b.p #> string_to_array(x, '.') IS NOT NULL AND b.p #> string_to_array(y, '.') IS NOT NULL
UNION ALL
SELECT b.format, jsonb_set(b.p, '{record}', (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]') FROM jsonb_array_elements(b.p -> 'record') WITH ORDINALITY AS a(e, i) WHERE i <= n))
  FROM base b, generate_series(0, 8) n WHERE b.format = 'binance'
UNION ALL
SELECT f, x::jsonb FROM unnest(ARRAY['upbit', 'binance', 'coinone']) f,
       unnest(ARRAY['null', '1', '"x"', '[]', '{}', '[{"market":"KRW-BTC"}]', '{"record":null}', '{"market":"KRW-BTC","period":"1m"}']) x
UNION ALL
SELECT f, NULL FROM unnest(ARRAY['upbit', 'binance', 'coinone']) f;

CREATE FUNCTION pg_temp.new_row(format text, p jsonb) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE format
    WHEN 'upbit' THEN (SELECT n::text FROM pulse_internal.candle_upbit(p) n)
    WHEN 'binance' THEN (SELECT n::text FROM pulse_internal.candle_binance(p) n)
    WHEN 'coinone' THEN (SELECT n::text FROM pulse_internal.candle_coinone(p) n) END
$$;
CREATE FUNCTION pg_temp.old_row(format text, p jsonb) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE format
    WHEN 'upbit' THEN (SELECT n::text FROM pg_temp.old_candle_upbit(p) n)
    WHEN 'binance' THEN (SELECT n::text FROM pg_temp.old_candle_binance(p) n)
    WHEN 'coinone' THEN (SELECT n::text FROM pg_temp.old_candle_coinone(p) n) END
$$;
CREATE TEMP TABLE compared AS
SELECT c.format, c.p, pg_temp.new_row(c.format, c.p) AS new, pg_temp.old_row(c.format, c.p) AS old FROM cases c;

-- Enough cases, of every kind of reason (so the comparison below means something).
SELECT format, count(*) > 1000 AS many, count(*) FILTER (WHERE new LIKE '%,)') > 10 AS accepted,
       count(DISTINCT substring(new FROM '(is not a JSON object|is not an array|landing payload lacks|is for market|not a date|open or close time malformed|timestamp missing|non-numeric|negative|below low|outside \[low|grid|in the future|range its page|closes at|does not match period)')) AS reason_kinds
  FROM compared GROUP BY 1 ORDER BY 1;
-- Every row the same (none listed).
SELECT format, p, new, old FROM compared WHERE new IS DISTINCT FROM old ORDER BY 1, 2::text;
-- One row per payload, a NULL one too.
SELECT count(*) FILTER (WHERE new IS NULL) AS no_row FROM compared;
-- Called in a select list (value per call) as well as in FROM.
SELECT (pulse_internal.candle_upbit('{}')).reason, (pulse_internal.candle_coinone('[]')).reason;

-- Whole landing chunks read from their text (candle_chunk_rows, what
-- candles_project uses) against the per-record projections above: the same
-- row for every case, each alone in a chunk and in chunks of 40 records,
-- with the record as jsonb exactly where the row has a reason. The cases'
-- texts are jsonb's printing; texts jsonb would print otherwise follow
-- (duplicate and escaped keys, exponents, trailing zeros, white space,
-- surrogate pairs, deep nesting, huge numbers, containers where text is
-- read), each record in the format of the line's first word.
CREATE TEMP TABLE chunk_cases AS
SELECT c.format, row_number() OVER (PARTITION BY c.format ORDER BY c.p::text)::integer AS i, c.p::text AS x
  FROM cases c WHERE c.p IS NOT NULL;
INSERT INTO chunk_cases (format, i, x)
SELECT split_part(t, ' ', 1), 100000 + row_number() OVER (PARTITION BY split_part(t, ' ', 1) ORDER BY n)::integer,
       substr(t, strpos(t, ' ') + 1)
  FROM unnest(ARRAY[
  'binance {"market":"X","market":"BTCUSDT","period":"1m","record":[1624559520000,"34970.9","35047.03","34800.01","35047.03","0.419472",1624559579999,"14686.8781947"]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000,34970.90,35047.030,34800.01,35047.03,0.4194720,1624559579999,14686.8781947]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000,3.49709e4,35047.03,34800.01,35047.03,0.419472,1624559579999,1E1]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000,-0,0,-0.0,0,0,1624559579999,0]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000.000,"1","1","1","1","1",1624559579999.0,"1"]}',
  'binance { "market" : "BTCUSDT" ,	"period":"1m" ,
     "record" : [ 1624559520000 , "1" , "2" , "0.5" , "1" , "1" , 1624559579999 , "1" ] }',
  'binance {"market":"BTCUSDT","period":"1m","record":[18446744073709551616,"1","1","1","1","1",1624559579999,"1"]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"],"record":[1624559520000,"2","2","2","2","2",1624559579999,"2"]}',
  'binance {"market":"BTCUSDT","period":"1m","observed_ms":"1624559550000","record":[1624559520000,"1","1","1","1","1",1624559579999,"1",{"deep":' || repeat('[', 100) || repeat(']', 100) || '}]}',
  'binance {"market":["BTCUSDT"],"period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}',
  'binance {"market":"BTCUSDT","period":{"m":1},"record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}',
  'binance {"market":"BTCUSDT","period":"1m","record":"1624559520000"}',
  'binance {"market":"BTCUSDT","period":"1m","record":1624559520000}',
  'binance {"market":"\ud83d\ude00","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}',
  'binance {"mar\u006bet":"BTCUSDT","period":"1\u006d","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}',
  'binance {"market":"BTC\"USDT\\","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"1"]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,"' || repeat('9', 1001) || '"]}',
  'binance {"market":"BTCUSDT","period":"1m","record":[1624559520000,"1","1","1","1","1",1624559579999,' || repeat('9', 1001) || ']}',
  'binance {"market":"BTCUSDT","period":"1m","record":[true,false,null,{},[],"1","1",1]}',
  'upbit {"market":"KRW-BTC","period":"1m","record":{"market":"KRW-BTC","candle_date_time_utc":"2020-02-20T11:19:00","opening_price":100.0,"high_price":110.000,"low_price":9.0e1,"trade_price":105,"timestamp":1582197598691,"candle_acc_trade_price":1000.5,"candle_acc_trade_volume":2.50,"unit":1}}',
  'upbit {"market":"KRW-BTC","period":"1m","record":{"market":"KRW-BTC","candle_date_time_utc":"2020-02-20T11:19:00","opening_price":100,"opening_price":95,"high_price":110,"low_price":90,"trade_price":105,"timestamp":1582197598691,"candle_acc_trade_price":1000.5,"candle_acc_trade_volume":2.50,"unit":1.0}}',
  'upbit {"market":"KRW-BTC","period":"1m","record":{"market":"KRW-BTC","candle_date_time_utc":"2020-02-20T11\u003a19:00","opening_price":100,"high_price":110,"low_price":90,"trade_price":105,"timestamp":1582197598691,"candle_acc_trade_price":1000.5,"candle_acc_trade_volume":2.50,"unit":"1","market":"KRW-ETH"}}',
  'upbit {"market":"KRW-BTC","period":"1m","record":{"market":"KRW-BTC","candle_date_time_utc":"2020-02-20T11:19:00","opening_price":0.00000001,"high_price":123456789012345678901234567890.123456789,"low_price":0.00000001,"trade_price":1,"timestamp":1582197598691,"candle_acc_trade_price":0,"candle_acc_trade_volume":-0,"unit":true}}',
  'upbit {"market":"KRW-BTC","period":"1m","record":{"market":{"x":1},"candle_date_time_utc":"2020-02-20T11:19:00","opening_price":1,"high_price":1,"low_price":1,"trade_price":1,"timestamp":1582197598691,"candle_acc_trade_price":1,"candle_acc_trade_volume":1,"unit":[1]}}',
  'upbit {"market":"KRW-BTC","period":"1m","record":{"candle_date_time_utc":"2020-02-20T11:19:00","opening_price":1,"high_price":1,"low_price":1,"trade_price":1,"timestamp":1582197598691.5,"candle_acc_trade_price":1,"candle_acc_trade_volume":1}}',
  'coinone {"market":"KRW-BTC","period":"1m","observed_ms":1686787230000,"record":{"timestamp":"1686787200000","open":"1","high":"2","low":"0.5","close":"1.5","target_volume":"10","quote_volume":"12.000","timestamp":1686787260000}}',
  'coinone {"market":"KRW-BTC","period":"1m","observed_ms":1.68678723e12,"record":{"timestamp":1686787200000,"open":1,"high":2,"low":0.5,"close":1.5,"target_volume":10,"quote_volume":12.000}}',
  'coinone {"market":"KRW-BTC","period":"1m","record":{"timestamp":1686787200000,"open":"1","high":"2","low":"0.5","close":"1.5","target_volume":"10","quote_volume":"12.000"}}  ',
  'coinone {"market":"KRW-BTC","period":"1m","record":[{"timestamp":1686787200000}]}',
  'coinone {}', 'coinone null', 'coinone "x"', 'coinone 1.50', 'coinone []', 'upbit [1]', 'binance [[1]]'
  ]) WITH ORDINALITY AS h(t, n);
-- Each alone, then in chunks of 40 (the hostile ones in one chunk per format).
CREATE TEMP TABLE chunk_compared AS
SELECT 'alone' AS how, c.format, c.i, c.x, n.seq, n.payload,
       (n.market, n.period, n.bucket_start, n.open, n.high, n.low, n.close, n.volume, n.quote_volume,
        n.observed_at, n.reason)::text AS got
  FROM chunk_cases c CROSS JOIN LATERAL pulse_internal.candle_chunk_rows(c.format, '[' || c.x || ']', c.i) n
UNION ALL
SELECT 'chunk', c.format, c.i, c.x, n.seq, n.payload,
       (n.market, n.period, n.bucket_start, n.open, n.high, n.low, n.close, n.volume, n.quote_volume,
        n.observed_at, n.reason)::text
  FROM (SELECT k.format, min(k.i) AS first, '[' || string_agg(k.x, E',\n ' ORDER BY k.i) || ']' AS chunk
          FROM chunk_cases k GROUP BY k.format, (k.i - 1) / 40) g
 CROSS JOIN LATERAL pulse_internal.candle_chunk_rows(g.format, g.chunk, g.first) n
  LEFT JOIN chunk_cases c ON c.format = g.format AND c.i = n.seq;
-- One row per record each way; none differs (none listed).
SELECT how, count(*) = (SELECT count(*) FROM chunk_cases) AS one_each, count(*) FILTER (WHERE payload IS NOT NULL) > 1000 AS refused
  FROM chunk_compared GROUP BY 1 ORDER BY 1;
SELECT how, format, i, x, got, pg_temp.new_row(format, x::jsonb) AS want FROM chunk_compared
 WHERE x IS NULL OR got IS DISTINCT FROM pg_temp.new_row(format, x::jsonb)
    OR payload IS DISTINCT FROM CASE WHEN got NOT LIKE '%,)' THEN x::jsonb END
 ORDER BY 1, 2, 3;
-- Errors as jsonb's: an escape jsonb refuses, a chunk that is not an array,
-- an unknown exchange, seq past integer.
SELECT pulse_internal.candle_chunk_rows('binance', '[{"market":"a\u0000b"}]', 1);
SELECT pulse_internal.candle_chunk_rows('binance', '{"market":"BTCUSDT"}', 1);
SELECT pulse_internal.candle_chunk_rows('kraken', '[]', 1);
SELECT count(*) FROM pulse_internal.candle_chunk_rows('binance', '[1, 2]', 2147483646);
SELECT count(*) FROM pulse_internal.candle_chunk_rows('binance', '[1, 2]', 2147483647);
-- Decimals are packed into numerics without numeric_in where the short form
-- holds them (core/decimal_digits.h): every one must be numeric_in's to the
-- byte (numeric_send), read from a string (Binance) and from a JSON number
-- (Upbit), both through the record projections and a chunk. The texts:
-- zeros with and without sign and scale, leading and trailing zeros, every
-- group alignment, the short form's limits (63 digits after the point,
-- 256 before) and just past them, and random ones.
CREATE TEMP TABLE decimals AS
SELECT row_number() OVER () AS i, d FROM (
  SELECT unnest(ARRAY['0', '-0', '00', '-000.000', '0.0', '1', '-1', '10', '100', '1000', '10000', '100000000',
                      '0.1', '0.01', '0.001', '0.0001', '0.00001', '0.000000010', '-0.00000001', '12.3400',
                      '00012.340', '9999', '99999999.99999999', '1.' || repeat('0', 62) || '1',
                      '1.' || repeat('0', 63) || '1', '0.' || repeat('0', 62) || '5', repeat('9', 256), '1' || repeat('0', 256),
                      repeat('9', 256) || '.' || repeat('9', 63), '-' || repeat('0', 300) || '7.5']) AS d
  UNION ALL
  SELECT (CASE WHEN g % 3 = 0 THEN '-' ELSE '' END) || repeat('0', g % 3) ||
         substr(md5(g::text) || md5((g + 1)::text), 1, 1 + g % 23) ||
         CASE WHEN g % 5 = 0 THEN '' ELSE '.' || substr(md5((g * 7)::text) || md5(g::text), 1, 1 + g % 19) || repeat('0', g % 4) END
    FROM generate_series(1, 3000) g
) s;
UPDATE decimals SET d = translate(d, 'abcdef', '012345');
-- As a JSON number (Upbit's prices): no leading zeros.
ALTER TABLE decimals ADD COLUMN j text;
UPDATE decimals SET j = regexp_replace(d, '^(-?)0+(?=[0-9])', '\1');
SELECT count(*) AS decimals,
       count(*) FILTER (WHERE numeric_send(b.open) IS DISTINCT FROM numeric_send(d::numeric)) AS binance_differs,
       count(*) FILTER (WHERE numeric_send(c.open) IS DISTINCT FROM numeric_send(d::numeric)) AS chunk_differs,
       count(*) FILTER (WHERE numeric_send(u.open) IS DISTINCT FROM numeric_send(j::numeric)) AS upbit_chunk_differs,
       count(*) FILTER (WHERE (b.reason IS NULL) <> (d::numeric >= 0)) AS sign_rule_differs
  FROM decimals
 CROSS JOIN LATERAL (SELECT r.open, r.reason FROM pulse_internal.candle_binance(jsonb_build_object(
         'market', 'BTCUSDT', 'period', '1m', 'record',
         jsonb_build_array(1624559520000, d, d, d, d, d, 1624559579999, d))) r) b
 CROSS JOIN LATERAL (SELECT r.open FROM pulse_internal.candle_chunk_rows('binance',
         '[{"market":"BTCUSDT","period":"1m","record":[1624559520000,"' || d || '","' || d || '","' || d || '","' ||
         d || '","' || d || '",1624559579999,"' || d || '"]}]', 1) r) c
 CROSS JOIN LATERAL (SELECT r.open FROM pulse_internal.candle_chunk_rows('upbit',
         '[{"market":"KRW-BTC","record":{"market":"KRW-BTC","candle_date_time_utc":"2021-06-24T18:32:00",' ||
         '"timestamp":1624559579000,"opening_price":' || j || ',"high_price":' || j || ',"low_price":' || j ||
         ',"trade_price":' || j || ',"candle_acc_trade_volume":1,"candle_acc_trade_price":1}}]', 1) r) u;

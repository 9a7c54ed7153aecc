-- pulse.sentiment and pulse.sentiment_scores (VADER): a few sentences and
-- the edge cases, then every row of tests/data/vader_expected.tsv (the
-- reference implementation's scores) compared with the SQL functions.
SELECT t AS text, s.*, pulse.sentiment(t) AS sentiment
  FROM (VALUES ('VADER is smart, handsome, and funny.'),
               ('VADER is VERY SMART, handsome, and FUNNY!!!'),
               ('The book was not good.'),
               ('The plot was good, but the characters are uncompelling and the dialog is not great.'),
               ('At least it isn''t a horrible book.'),
               ('Today SUX!'),
               ('Make sure you :) or :D today!'),
               ('Bitcoin to the moon 🚀🚀🚀'),
               ('😭 so sad'),
               ('비트코인 상승 중! 좋아요'),
               ('$BTC dump incoming, scary https://t.co/abc @user #crypto'),
               (''),
               (E' \t\u3000'),
               ('no')) AS v(t),
       LATERAL pulse.sentiment_scores(t) AS s;

-- NULL in, NULL out (sentiment_scores: one row of NULLs, so a LATERAL call keeps its row).
SELECT pulse.sentiment(NULL) IS NULL AS sentiment_null;
SELECT * FROM pulse.sentiment_scores(NULL);

-- Very long input: 1200 copies of one sentence (about 70 kB).
SELECT length(t) AS chars, pulse.sentiment(t) AS sentiment, s.*
  FROM (SELECT string_agg('The movie was great, but the ending was not good at all!', ' ') AS t
          FROM generate_series(1, 1200)) AS v, LATERAL pulse.sentiment_scores(t) AS s;

-- Immutable, parallel safe, strict as declared.
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict, p.proretset
  FROM pg_proc p WHERE p.pronamespace = 'pulse'::regnamespace AND p.proname LIKE 'sentiment%' ORDER BY 1;

-- The reference's scores, row by row (the file's escapes undone in SQL).
CREATE TEMP TABLE vader_expected (line text);
\getenv source_dir PULSE_SOURCE_DIR
\set expected :source_dir '/tests/data/vader_expected.tsv'
COPY vader_expected FROM :'expected' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
CREATE FUNCTION pg_temp.unescape(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(string_agg(CASE WHEN m[1] IS NULL THEN m[2]
                                  WHEN m[1] = 't' THEN E'\t' WHEN m[1] = 'n' THEN E'\n'
                                  WHEN m[1] = 'r' THEN E'\r' WHEN m[1] = '\' THEN '\'
                                  ELSE chr(('x' || lpad(substr(m[1], 2), 8, '0'))::bit(32)::int) END, '' ORDER BY o), '')
    FROM regexp_matches(s, '\\(U[0-9a-f]{8}|u[0-9a-f]{4}|[tnr\\])|([^\\]+)', 'g') WITH ORDINALITY AS r(m, o)
$$;
CREATE TEMP TABLE vader_rows AS
SELECT f[1]::float8 AS neg, f[2]::float8 AS neu, f[3]::float8 AS pos, f[4]::float8 AS compound,
       pg_temp.unescape(array_to_string(f[9:], E'\t')) AS text
  FROM (SELECT string_to_array(line, E'\t') AS f FROM vader_expected WHERE line NOT LIKE '#%') AS l;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE (s.neg, s.neu, s.pos, s.compound) = (r.neg, r.neu, r.pos, r.compound)) AS equal,
       count(*) FILTER (WHERE pulse.sentiment(r.text) = r.compound) AS compound_equal,
       count(*) FILTER (WHERE r.compound > 0) AS positive, count(*) FILTER (WHERE r.compound < 0) AS negative
  FROM vader_rows r, LATERAL pulse.sentiment_scores(r.text) AS s;
-- Any that differ (none expected).
SELECT r.text, r.compound AS reference, s.compound
  FROM vader_rows r, LATERAL pulse.sentiment_scores(r.text) AS s
 WHERE (s.neg, s.neu, s.pos, s.compound) <> (r.neg, r.neu, r.pos, r.compound) LIMIT 5;

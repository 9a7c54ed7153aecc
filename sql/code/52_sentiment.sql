-- Sentiment of text (SPEC "Hashtags and sentiment"): VADER (Hutto & Gilbert,
-- ICWSM 2014) in C++ (extension/core/vader.cpp) over its published lexicons,
-- compiled into pulse.so (data/vader/), so the scores never change with the
-- server's files: IMMUTABLE. Scores equal the reference implementation's as
-- it prints them (neg, neu, pos to 3 decimals, compound to 4).

CREATE OR REPLACE FUNCTION pulse.sentiment(text) RETURNS float8
  LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'pulse_sentiment';
COMMENT ON FUNCTION pulse.sentiment(text) IS
  'VADER compound sentiment of the text, -1 (most negative) to 1 (most positive), 4 decimals; 0 for text without sentiment words, NULL for NULL';

CREATE OR REPLACE FUNCTION pulse.sentiment_scores(text)
  RETURNS TABLE(neg float8, neu float8, pos float8, compound float8)
  LANGUAGE c IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 1
  AS 'MODULE_PATHNAME', 'pulse_sentiment_scores';
COMMENT ON FUNCTION pulse.sentiment_scores(text) IS
  'VADER scores of the text: one row with the negative, neutral and positive proportions (3 decimals, summing to about 1) and the compound score (4 decimals); a row of NULLs for NULL';

-- Every row of pulse.tweets keeps the sentiment of its text, however it was
-- written: the projections set it themselves (the trigger then only checks),
-- a direct INSERT without it or an UPDATE of the text gets it here. When the
-- sentiment is NULL, or an UPDATE changes the text and not the sentiment,
-- it is set to pulse.sentiment(text). C++ (extension/pg/sentiment_trigger.cpp):
-- in PL/pgSQL the call alone cost about 3 us for every row a batch inserts.
CREATE OR REPLACE FUNCTION pulse_internal.tweets_sentiment() RETURNS trigger
  LANGUAGE c
  AS 'MODULE_PATHNAME', 'pulse_tweets_sentiment';
CREATE OR REPLACE TRIGGER tweets_sentiment BEFORE INSERT OR UPDATE ON pulse.tweets
  FOR EACH ROW EXECUTE FUNCTION pulse_internal.tweets_sentiment();

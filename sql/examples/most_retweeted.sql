-- The most retweeted tweets in a range: retweets seen in the range per
-- original, with the highest retweet_count X reported for it (X counts
-- retweets we did not receive too) and the original's text.
--   psql -f sql/examples/most_retweeted.sql [-v from=... -v until=... -v limit=10]
\ir _defaults.psql
SELECT r.retweeted_id                                      AS tweet_id,
       substring(min(r.text) FROM '^RT @([A-Za-z0-9_]+):') AS author,
       count(*)                                            AS retweets_seen,
       max(r.retweet_count)                                AS retweet_count_reported,
       left(coalesce(o.text, regexp_replace(min(r.text), '^RT @[A-Za-z0-9_]+: ', '')), 80) AS text
  FROM pulse.tweets r
  LEFT JOIN pulse.tweets o ON o.id = r.retweeted_id
 WHERE r.is_retweet
   AND r.created_at >= :'from' AND r.created_at < :'until'
 GROUP BY r.retweeted_id, o.text
 ORDER BY retweets_seen DESC, retweet_count_reported DESC NULLS LAST, tweet_id
 LIMIT :limit;

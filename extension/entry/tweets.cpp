// SQL entry points used by the tweet projections (sql/parts/60_tweets.sql).
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "utils/timestamp.h"
#include "utils/builtins.h"
}

#include <string_view>

#include "core/tweet_time.h"
#include "entry/boundary.h"

// pulse._tweet_time(text) RETURNS timestamptz: X's created_at in its v2 or
// v1.1 spelling; NULL (not an error) when the text is not a valid timestamp.
PULSE_FUNCTION(pulse_tweet_time) {
  text* t = PG_GETARG_TEXT_PP(0);
  std::string_view s(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  auto micros = pulse::parse_tweet_time(s);
  if (!micros) PG_RETURN_NULL();
  constexpr int64 kUnixToPostgresMicros =
      static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;
  PG_RETURN_TIMESTAMPTZ(static_cast<TimestampTz>(*micros - kUnixToPostgresMicros));
}

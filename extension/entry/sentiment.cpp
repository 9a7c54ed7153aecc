// pulse.sentiment(text) and pulse.sentiment_scores(text)
// (sql/code/52_sentiment.sql): VADER (core/vader.h) over the text.
#include <algorithm>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/vader.h"
#include "entry/boundary.h"
#include "pg/sentiment_trigger.h"
#include "pg/srf.h"
#include "pg/text.h"

namespace {

// The text argument as UTF-8. The lexicons and rules are UTF-8; in a database
// of another encoding only ASCII text means the same, so other text is
// refused rather than scored wrongly.
std::string_view utf8_text(std::string_view t) {
  if (!pulse::pg::database_is_utf8() &&
      std::any_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    throw pulse::Error(pulse::sqlstate::kFeatureNotSupported,
                       std::string("pulse.sentiment scores UTF8 text; this database's encoding is ") +
                           pulse::pg::database_encoding_name() + " and the text is not ASCII",
                       "", "Create the database with ENCODING 'UTF8'.");
  return t;
}
std::string_view utf8_arg(FunctionCallInfo fcinfo) { return utf8_text(pulse::pg::text_view(PG_GETARG_DATUM(0))); }

// The backend's scorer (a backend is one thread; a static costs less than
// the thread-local one of pulse::sentiment_compound in a shared library).
pulse::SentimentScorer& scorer() {
  static pulse::SentimentScorer s;
  return s;
}

double compound(std::string_view text) { return scorer().compound(utf8_text(text)); }

}  // namespace

// pulse.sentiment(text) RETURNS float8 (STRICT): VADER's compound score.
PULSE_FUNCTION(pulse_sentiment) { PG_RETURN_FLOAT8(scorer().compound(utf8_arg(fcinfo))); }

// pulse_internal.tweets_sentiment() RETURNS trigger: pulse.tweets' row
// trigger, which scores a row's text where the row lacks its score.
PULSE_FUNCTION(pulse_tweets_sentiment) { return pulse::pg::sentiment_row_trigger(fcinfo, compound); }

// pulse.sentiment_scores(text) RETURNS TABLE(neg, neu, pos, compound): one
// row; NULL text gives one row of NULLs (so a LATERAL call keeps its row).
PULSE_FUNCTION(pulse_sentiment_scores) {
  pulse::pg::MaterializedRows out(fcinfo);
  using pulse::pg::Cell;
  if (PG_ARGISNULL(0)) {
    out.put({Cell::null(), Cell::null(), Cell::null(), Cell::null()});
  } else {
    pulse::SentimentScores s = scorer().scores(utf8_arg(fcinfo));
    out.put({Cell::float8(s.neg), Cell::float8(s.neu), Cell::float8(s.pos), Cell::float8(s.compound)});
  }
  return static_cast<Datum>(0);
}

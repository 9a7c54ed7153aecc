// pulse.sentiment(text) and pulse.sentiment_scores(text)
// (sql/code/52_sentiment.sql): VADER (core/vader.h) over the text.
#include <algorithm>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/vader.h"
#include "entry/boundary.h"
#include "pg/srf.h"
#include "pg/text.h"

namespace {

// The text argument as UTF-8. The lexicons and rules are UTF-8; in a database
// of another encoding only ASCII text means the same, so other text is
// refused rather than scored wrongly.
std::string_view utf8_arg(FunctionCallInfo fcinfo) {
  std::string_view t = pulse::pg::text_view(PG_GETARG_DATUM(0));
  if (!pulse::pg::database_is_utf8() &&
      std::any_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    throw pulse::Error(pulse::sqlstate::kFeatureNotSupported,
                       std::string("pulse.sentiment scores UTF8 text; this database's encoding is ") +
                           pulse::pg::database_encoding_name() + " and the text is not ASCII",
                       "", "Create the database with ENCODING 'UTF8'.");
  return t;
}

// The backend's scorer (a backend is one thread; a static costs less than
// the thread-local one of pulse::sentiment_compound in a shared library).
pulse::SentimentScorer& scorer() {
  static pulse::SentimentScorer s;
  return s;
}

}  // namespace

// pulse.sentiment(text) RETURNS float8 (STRICT): VADER's compound score.
PULSE_FUNCTION(pulse_sentiment) { PG_RETURN_FLOAT8(scorer().compound(utf8_arg(fcinfo))); }

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

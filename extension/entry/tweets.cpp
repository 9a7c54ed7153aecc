// SQL entry points used by the tweet projections (sql/code/50_tweet_fields.sql).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tweet_fields.h"
#include "core/tweet_time.h"
#include "entry/boundary.h"
#include "pg/datetime.h"
#include "pg/jsonb.h"
#include "pg/text.h"
#include "pg/tweet_rows.h"

// pulse._tweet_time(text) RETURNS timestamptz: X's created_at in its v2 or
// v1.1 spelling; NULL (not an error) when the text is not a valid timestamp.
PULSE_FUNCTION(pulse_tweet_time) {
  std::optional<int64_t> micros = pulse::parse_tweet_time(pulse::pg::text_view(PG_GETARG_DATUM(0)));
  if (!micros) PG_RETURN_NULL();
  PG_RETURN_TIMESTAMPTZ(pulse::pg::timestamptz_from_unix_micros(*micros));
}

namespace {

// The text of the jsonb argument n when it is a JSON string or number.
std::optional<std::string> scalar_text_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  return pulse::pg::jsonb_scalar_text(PG_GETARG_DATUM(n));
}

}  // namespace

// pulse._tweet_bigint(jsonb) RETURNS bigint: a JSON string or number holding
// a non-negative 64-bit integer, else NULL.
PULSE_FUNCTION(pulse_tweet_bigint) {
  auto s = scalar_text_arg(fcinfo, 0);
  auto v = s ? pulse::parse_decimal(*s, INT64_MAX) : std::nullopt;
  if (!v) PG_RETURN_NULL();
  PG_RETURN_INT64(*v);
}

// pulse._tweet_count(jsonb) RETURNS integer: a JSON count that fits integer.
PULSE_FUNCTION(pulse_tweet_count) {
  auto s = scalar_text_arg(fcinfo, 0);
  auto v = s ? pulse::parse_decimal(*s, INT32_MAX) : std::nullopt;
  if (!v) PG_RETURN_NULL();
  PG_RETURN_INT32(static_cast<int32_t>(*v));
}

// pulse._tweet_tags(list jsonb, field text, sigils text) RETURNS text[]: the
// string `field` of each object in the JSON array `list`, without leading
// sigils, lower case (the database's default collation, as lower() does),
// deduplicated in order of first appearance. Not an array: {}.
PULSE_FUNCTION(pulse_tweet_tags) {
  if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_NULL();
  std::string field(pulse::pg::text_view(PG_GETARG_DATUM(1)));
  std::string sigils(pulse::pg::text_view(PG_GETARG_DATUM(2)));
  std::vector<std::string> tags;
  if (!PG_ARGISNULL(0)) {
    for (const std::string& raw : pulse::pg::jsonb_array_field_strings(PG_GETARG_DATUM(0), field)) {
      std::string_view tag = pulse::strip_sigils(raw, sigils);
      if (!tag.empty()) tags.push_back(pulse::pg::lower(tag));
    }
  }
  return pulse::pg::text_array_datum(pulse::dedupe_in_order(std::move(tags)));
}

// twitter_v2_rows(payload jsonb, received_at timestamptz, seq integer,
// every_raw boolean) and twitter_v1_rows(...) RETURNS SETOF
// pg_temp.pulse_tweet_stage's columns (STRICT): the staging rows of one
// landing record (pg/tweet_rows.h), with raw in every row or only in those
// with a problem or note.
PULSE_FUNCTION(pulse_twitter_v2_rows) {
  pulse::pg::MaterializedRows out(fcinfo, true);
  pulse::pg::tweet_stage_rows(pulse::pg::TweetFormat::kV2, PG_GETARG_DATUM(0), PG_GETARG_TIMESTAMPTZ(1),
                              PG_GETARG_INT32(2),
                              PG_GETARG_BOOL(3) ? pulse::pg::RawFor::kEvery : pulse::pg::RawFor::kNoted, out);
  return static_cast<Datum>(0);
}

// pulse_internal.tweet_chunk_rows(format text, payloads text, received_at
// timestamptz, first_seq integer): the rows of every record of a landing
// chunk of format twitter_v2 or twitter_v1, numbered from first_seq
// (stage_tweets).
PULSE_FUNCTION(pulse_tweet_chunk_rows) {
  pulse::pg::MaterializedRows out(fcinfo, true);
  std::string_view name = pulse::pg::text_view(PG_GETARG_DATUM(0));
  pulse::pg::TweetFormat format;
  if (name == "twitter_v2") {
    format = pulse::pg::TweetFormat::kV2;
  } else if (name == "twitter_v1") {
    format = pulse::pg::TweetFormat::kV1;
  } else {
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue,
                       "tweet_chunk_rows: unknown tweet format \"" + std::string(name) + "\"");
  }
  pulse::pg::tweet_chunk_rows(format, pulse::pg::text_view(PG_GETARG_DATUM(1)), PG_GETARG_TIMESTAMPTZ(2),
                              PG_GETARG_INT32(3), out);
  return static_cast<Datum>(0);
}

PULSE_FUNCTION(pulse_twitter_v1_rows) {
  pulse::pg::MaterializedRows out(fcinfo, true);
  pulse::pg::tweet_stage_rows(pulse::pg::TweetFormat::kV1, PG_GETARG_DATUM(0), PG_GETARG_TIMESTAMPTZ(1),
                              PG_GETARG_INT32(2),
                              PG_GETARG_BOOL(3) ? pulse::pg::RawFor::kEvery : pulse::pg::RawFor::kNoted, out);
  return static_cast<Datum>(0);
}

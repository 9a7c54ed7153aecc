// SQL entry points used by the tweet projections (sql/parts/60_tweets.sql).
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tweet_fields.h"
#include "core/tweet_time.h"
#include "entry/boundary.h"
#include "pg/guard.h"

// pulse._tweet_time(text) RETURNS timestamptz: X's created_at in its v2 or
// v1.1 spelling; NULL (not an error) when the text is not a valid timestamp.
PULSE_FUNCTION(pulse_tweet_time) {
  text* t = pulse::pg::pg_guard([&] { return PG_GETARG_TEXT_PP(0); });
  std::string_view s(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  auto micros = pulse::parse_tweet_time(s);
  if (!micros) PG_RETURN_NULL();
  constexpr int64 kUnixToPostgresMicros =
      static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;
  PG_RETURN_TIMESTAMPTZ(static_cast<TimestampTz>(*micros - kUnixToPostgresMicros));
}

namespace {

// The jsonb argument n, detoasted; nullptr when SQL NULL.
Jsonb* jsonb_arg(FunctionCallInfo fcinfo, int n) {
  if (PG_ARGISNULL(n)) return nullptr;
  return pulse::pg::pg_guard([&] { return PG_GETARG_JSONB_P(n); });
}

std::string_view text_arg(FunctionCallInfo fcinfo, int n) {
  text* t = pulse::pg::pg_guard([&] { return PG_GETARG_TEXT_PP(n); });
  return std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

// The text of a JSON scalar string or number (numbers as printed by jsonb).
std::optional<std::string> scalar_text(Jsonb* jb) {
  if (jb == nullptr || !JB_ROOT_IS_SCALAR(jb)) return std::nullopt;
  JsonbValue v;
  bool ok = pulse::pg::pg_guard([&] { return JsonbExtractScalar(&jb->root, &v); });
  if (!ok) return std::nullopt;
  if (v.type == jbvString) return std::string(v.val.string.val, v.val.string.len);
  if (v.type == jbvNumeric) {
    char* s = pulse::pg::pg_guard([&] {
      return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
    });
    return std::string(s);
  }
  return std::nullopt;
}

}  // namespace

// pulse._tweet_bigint(jsonb) RETURNS bigint: a JSON string or number holding
// a non-negative 64-bit integer, else NULL.
PULSE_FUNCTION(pulse_tweet_bigint) {
  auto s = scalar_text(jsonb_arg(fcinfo, 0));
  auto v = s ? pulse::parse_decimal(*s, INT64_MAX) : std::nullopt;
  if (!v) PG_RETURN_NULL();
  PG_RETURN_INT64(*v);
}

// pulse._tweet_count(jsonb) RETURNS integer: a JSON count that fits integer.
PULSE_FUNCTION(pulse_tweet_count) {
  auto s = scalar_text(jsonb_arg(fcinfo, 0));
  auto v = s ? pulse::parse_decimal(*s, INT32_MAX) : std::nullopt;
  if (!v) PG_RETURN_NULL();
  PG_RETURN_INT32(static_cast<int32>(*v));
}

// pulse._tweet_tags(list jsonb, field text, sigils text) RETURNS text[]: the
// string `field` of each object in the JSON array `list`, without leading
// sigils, lower case (the database's default collation, as lower() does),
// deduplicated in order of first appearance. Not an array: {}.
PULSE_FUNCTION(pulse_tweet_tags) {
  if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_NULL();
  Jsonb* jb = jsonb_arg(fcinfo, 0);
  std::string field(text_arg(fcinfo, 1));
  std::string sigils(text_arg(fcinfo, 2));
  std::vector<std::string> tags;
  if (jb != nullptr && JB_ROOT_IS_ARRAY(jb) && !JB_ROOT_IS_SCALAR(jb)) {
    JsonbIterator* it = pulse::pg::pg_guard([&] { return JsonbIteratorInit(&jb->root); });
    JsonbValue v;
    for (;;) {
      JsonbIteratorToken tok = pulse::pg::pg_guard([&] { return JsonbIteratorNext(&it, &v, true); });
      if (tok == WJB_DONE) break;
      if (tok != WJB_ELEM || v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data)) continue;
      JsonbValue member;
      JsonbValue* found = pulse::pg::pg_guard([&] {
        return getKeyJsonValueFromContainer(v.val.binary.data, field.data(), static_cast<int>(field.size()), &member);
      });
      if (found == nullptr || found->type != jbvString) continue;
      std::string_view tag = pulse::strip_sigils(std::string_view(found->val.string.val, found->val.string.len), sigils);
      if (tag.empty()) continue;
      char* lower = pulse::pg::pg_guard([&] { return str_tolower(tag.data(), tag.size(), DEFAULT_COLLATION_OID); });
      tags.emplace_back(lower);
    }
  }
  tags = pulse::dedupe_in_order(std::move(tags));
  Datum* elems = static_cast<Datum*>(pulse::pg::pg_guard([&] { return palloc(sizeof(Datum) * (tags.size() + 1)); }));
  for (size_t i = 0; i < tags.size(); ++i) {
    const std::string& t = tags[i];
    elems[i] = pulse::pg::pg_guard([&] { return PointerGetDatum(cstring_to_text_with_len(t.data(), static_cast<int>(t.size()))); });
  }
  int n = static_cast<int>(tags.size());
  ArrayType* arr = pulse::pg::pg_guard([&] { return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT); });
  PG_RETURN_ARRAYTYPE_P(arr);
}

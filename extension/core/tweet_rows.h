// The rules of the tweet projections (sql/code/50_tweet_fields.sql) that need
// no JSON: the times a tweet's key and version come from, why an item cannot
// be a tweet, and the note a claim that disagrees with its snowflake id gets.
// pg/tweet_rows.cpp reads the values out of the jsonb and calls these, once
// per item, so both formats word their rejects alike.
//
// Times are PostgreSQL's timestamptz values: microseconds since 2000-01-01
// 00:00:00 UTC, with INT64_MIN and INT64_MAX for -infinity and infinity.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pulse::tweet {

inline constexpr int64_t kUnixEpochInPg = 946684800LL * 1000000;  // 1970-01-01 as a timestamptz
inline constexpr int64_t kNoBegin = INT64_MIN;
inline constexpr int64_t kNoEnd = INT64_MAX;
// The smallest id tweet_snowflake_time reads a time from (X's epoch plus a day).
inline constexpr int64_t kSnowflakeMin = 86400000LL << 22;

// A timestamptz from microseconds since 1970.
inline constexpr int64_t from_unix_micros(int64_t micros) { return micros - kUnixEpochInPg; }

// The creation time a snowflake id encodes, to the second (as
// tweet_snowflake_time: to_timestamp of the whole seconds); nullopt below
// kSnowflakeMin.
std::optional<int64_t> snowflake_time(int64_t id);

// A time as reasons print it (tweet_ts: to_char(t AT TIME ZONE 'UTC',
// 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')); empty for an infinite time, as format()
// prints to_char's NULL.
std::string format_ts(int64_t t);

// json_epoch_ms (40_ingest.sql) of a JSON number, given as numeric_out
// prints it (no exponent), and of a JSON string: whole milliseconds since
// 1970 from 0 to 10^15 - 1, else nullopt.
std::optional<int64_t> epoch_ms_number(std::string_view numeric_text);
std::optional<int64_t> epoch_ms_string(std::string_view s);

// The names a format gives its parts in reasons: its list (data, statuses),
// its objects (tweet, status) and its id keys.
struct Wording {
  const char* list;
  const char* noun;
  const char* id_keys;
};

// What the projection read of one item (tweet_problem's arguments).
struct ItemFacts {
  int32_t seq = 0;
  int64_t ord = 0;
  std::string_view type;            // jsonb_typeof of the item
  std::optional<int64_t> id;        // the usable id
  bool has_created_at = false;      // the item has a created_at key
  std::optional<int64_t> payload_time;  // created_at, when readable
  std::optional<int64_t> created_at;    // the key: the id's time, else payload_time
  bool stated = false;              // the record states an observation time
  const char* stated_key = "";      // where (__twarc.retrieved_at, timestamp_ms)
  std::optional<int64_t> observed_at;   // that time, when readable
  int64_t received_at = 0;          // the landing record's
};

// Why the item cannot be a tweet (tweet_problem), nullopt when it can.
// created_at_json and stated_json give the JSON text of the item's
// created_at and of the stated time; they are called only for the reasons
// that print them.
std::optional<std::string> item_problem(const ItemFacts& f, const Wording& w,
                                        const std::function<std::string()>& created_at_json,
                                        const std::function<std::string()>& stated_json);

// A reason the record as a whole gives (no tweet in it): "landing seq N: ...".
std::string record_problem(int32_t seq, std::string_view problem);

// The note (tweet_note) when payload_time is more than a second away from
// the id's time; nullopt otherwise.
std::optional<std::string> item_note(int32_t seq, int64_t ord, std::optional<int64_t> id,
                                     std::optional<int64_t> payload_time, std::optional<int64_t> id_time,
                                     const Wording& w);

}  // namespace pulse::tweet

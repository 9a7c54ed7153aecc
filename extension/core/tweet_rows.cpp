// See tweet_rows.h.
#include "core/tweet_rows.h"

#include <cstdio>

#include "core/tweet_time.h"

namespace pulse::tweet {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMinute = 60 * kMicrosPerSecond;

bool finite(int64_t t) { return t != kNoBegin && t != kNoEnd; }

// t + 1 minute as timestamptz arithmetic gives it (infinities stay), without
// overflowing where PostgreSQL would raise "timestamp out of range".
int64_t plus_minute(int64_t t) {
  if (!finite(t) || t > kNoEnd - 1 - kMinute) return t;
  return t + kMinute;
}

std::string prefix(int32_t seq, int64_t ord, const Wording& w) {
  return "landing seq " + std::to_string(seq) + ", " + w.list + "[" + std::to_string(ord) + "]: ";
}

}  // namespace

std::optional<int64_t> snowflake_time(int64_t id) {
  if (id < kSnowflakeMin) return std::nullopt;
  const int64_t seconds = ((id >> 22) + 1288834974657LL) / 1000;
  return from_unix_micros(seconds * kMicrosPerSecond);
}

std::string format_ts(int64_t t) {
  if (!finite(t)) return std::string();
  // Days since 2000-01-01 first (t + the 1970 offset could pass INT64_MAX
  // near the end of timestamptz's range), then since 1970.
  const int64_t micros_per_day = 86400 * kMicrosPerSecond;
  const int64_t days2000 = floor_div(t, micros_per_day);
  const int64_t rest = t - days2000 * micros_per_day;
  const int64_t days = days2000 + kUnixEpochInPg / micros_per_day;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int64_t secs = rest / kMicrosPerSecond;
  const int64_t millis = (rest % kMicrosPerSecond) / 1000;
  // to_char's YYYY: at least four digits; a year BC prints as its number
  // (1 BC is year 0 here).
  const long long year = static_cast<long long>(y <= 0 ? 1 - y : y);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", year, m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(millis));
  return buf;
}

std::optional<int64_t> epoch_ms_number(std::string_view s) {
  // v >= 0 AND v < 1e15 AND trunc(v) = v
  if (s.empty() || s[0] == '-') return std::nullopt;
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 15) return std::nullopt;
  int64_t v = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (dot != std::string_view::npos) {
    for (char c : s.substr(dot + 1)) {
      if (c != '0') return std::nullopt;
    }
  }
  return from_unix_micros(v * 1000);
}

std::optional<int64_t> epoch_ms_string(std::string_view s) {
  // (v #>> '{}') ~ '^[0-9]+$' AND length(v #>> '{}') <= 15
  if (s.empty() || s.size() > 15) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return from_unix_micros(v * 1000);
}

std::string record_problem(int32_t seq, std::string_view problem) {
  std::string out = "landing seq " + std::to_string(seq) + ": ";
  out.append(problem);
  return out;
}

std::optional<std::string> item_problem(const ItemFacts& f, const Wording& w,
                                        const std::function<std::string()>& created_at_json,
                                        const std::function<std::string()>& stated_json) {
  const std::string at = prefix(f.seq, f.ord, w);
  if (f.type != "object") return at + "a JSON " + std::string(f.type) + ", not a " + w.noun + " object";
  if (!f.id) return at + "no usable " + w.id_keys + " (a decimal 64-bit integer)";
  const std::string tweet = at + w.noun + " " + std::to_string(*f.id) + " ";
  if (f.has_created_at && !f.payload_time) return tweet + "has an unreadable created_at " + created_at_json();
  if (!f.created_at) return tweet + "has no created_at and its id is not a snowflake";
  if (*f.id < kSnowflakeMin && *f.created_at >= *snowflake_time(kSnowflakeMin))
    return tweet + "has an id from before snowflake ids (2010) but claims created_at " + format_ts(*f.created_at);
  if (f.stated && !f.observed_at) return tweet + "has an unreadable " + f.stated_key + " " + stated_json();
  if (f.observed_at && *f.observed_at > plus_minute(f.received_at))
    return tweet + "says it was observed (" + f.stated_key + " " + format_ts(*f.observed_at) + ") after it landed (" +
           format_ts(f.received_at) + ")";
  const int64_t observed = f.observed_at ? *f.observed_at : f.received_at;
  if (*f.created_at > plus_minute(observed))
    return tweet + "was created (" + format_ts(*f.created_at) + ", " +
           (*f.id >= kSnowflakeMin ? "from its snowflake id" : "its created_at") +
           ") more than a minute after it was observed (" + format_ts(observed) + ")";
  return std::nullopt;
}

std::optional<std::string> item_note(int32_t seq, int64_t ord, std::optional<int64_t> id,
                                     std::optional<int64_t> payload_time, std::optional<int64_t> id_time,
                                     const Wording& w) {
  if (!id || !payload_time || !id_time) return std::nullopt;
  if (*payload_time >= *id_time - kMicrosPerSecond && *payload_time <= *id_time + kMicrosPerSecond) return std::nullopt;
  return prefix(seq, ord, w) + w.noun + " " + std::to_string(*id) + " claims created_at " + format_ts(*payload_time) +
         " but its snowflake id encodes " + format_ts(*id_time) + "; stored with the id's time";
}

}  // namespace pulse::tweet

// See coverage.h.
#include "core/coverage.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/cli.h"
#include "core/timefmt.h"

namespace pulse::load {

void merge_coverage(std::vector<CoverageSpan>& spans, CoverageSpan s) {
  if (s.empty()) return;
  // Fold every span of the subject that overlaps or touches `s` into it,
  // then keep the rest as they are.
  bool merged = true;
  while (merged) {
    merged = false;
    for (auto it = spans.begin(); it != spans.end(); ++it) {
      if (it->subject != s.subject) continue;
      bool apart = it->hi_ms < s.lo_ms || s.hi_ms < it->lo_ms;
      if (apart) continue;
      if (it->hi_ms > s.hi_ms || (it->hi_ms == s.hi_ms && it->hi_closed)) {
        s.hi_ms = it->hi_ms;
        s.hi_closed = it->hi_closed;
      }
      s.lo_ms = std::min(s.lo_ms, it->lo_ms);
      spans.erase(it);
      merged = true;
      break;
    }
  }
  spans.push_back(std::move(s));
}

std::string period_label(int64_t seconds) {
  if (seconds % 86400 == 0) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

std::string candle_subject(const std::string& exchange, const std::string& market, int64_t period_ms) {
  return "candles/" + exchange + "/" + market + "/" + period_label(period_ms / 1000);
}

CoversArg parse_covers(const std::string& value) {
  CoversArg c;
  if (value == "none") {
    c.mode = CoversArg::Mode::kNone;
    return c;
  }
  auto dots = value.find("..");
  if (dots == std::string::npos || value.find("..", dots + 2) != std::string::npos)
    throw UsageError("--covers must be FROM..UNTIL (ISO 8601 times, UNTIL exclusive) or none, got \"" + value + "\"");
  c.mode = CoversArg::Mode::kRange;
  c.from_ms = parse_time_arg("covers", value.substr(0, dots));
  c.until_ms = parse_time_arg("covers", value.substr(dots + 2));
  if (c.from_ms >= c.until_ms)
    throw UsageError("--covers FROM..UNTIL needs FROM before UNTIL, got \"" + value + "\"");
  return c;
}

std::optional<int64_t> snowflake_time_ms(std::string_view id) {
  if (id.empty() || id.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char ch : id) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + uint64_t(ch - '0');
  }
  if (v > uint64_t(INT64_MAX) || v < 362387865600000ULL) return std::nullopt;
  int64_t ms = int64_t(v >> 22) + 1288834974657LL;
  return ms - ms % 1000;
}

std::optional<int64_t> parse_http_date(std::string_view value) {
  // IMF-fixdate only: what every current server sends.
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string v(value);
  char wday[4] = {0}, mon[4] = {0}, zone[4] = {0};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0, used = 0;
  if (std::sscanf(v.c_str(), "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wday, &day, mon, &year, &hh, &mm, &ss, zone,
                  &used) != 8 ||
      size_t(used) != v.size() || std::string(zone) != "GMT")
    return std::nullopt;
  int m = -1;
  for (int i = 0; i < 12; ++i)
    if (std::string(mon) == months[i]) m = i;
  if (m < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = m;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  return int64_t(timegm(&tm)) * 1000;
}

}  // namespace pulse::load

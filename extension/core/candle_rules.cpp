// See candle_rules.h. Each rule restates, for one value, what the SQL
// projections of 0.2.0's first candle work decided with regular expressions
// and casts, so the accepted and rejected sets stay the same.
#include "core/candle_rules.h"

#include <cstdio>

#include "core/tweet_time.h"

namespace pulse::candle {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// Exactly n digits at s[i..].
bool digits_at(std::string_view s, size_t i, size_t n, int64_t& out) {
  if (s.size() < i + n) return false;
  int64_t v = 0;
  for (size_t k = i; k < i + n; ++k) {
    if (!digit(s[k])) return false;
    v = v * 10 + (s[k] - '0');
  }
  out = v;
  return true;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::optional<int> period_minutes(std::string_view name) {
  static constexpr struct {
    std::string_view name;
    int minutes;
  } kPeriods[] = {{"1m", 1}, {"3m", 3}, {"5m", 5}, {"10m", 10}, {"15m", 15}, {"30m", 30}, {"1h", 60}, {"4h", 240}};
  for (const auto& p : kPeriods)
    if (p.name == name) return p.minutes;
  return std::nullopt;
}

bool is_plain_decimal(std::string_view s) {
  if (s.size() > 1000) return false;
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const size_t int_start = i;
  while (i < s.size() && digit(s[i])) ++i;
  if (i == int_start) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  const size_t frac_start = ++i;
  while (i < s.size() && digit(s[i])) ++i;
  return i > frac_start && i == s.size();
}

std::optional<int64_t> epoch_ms_from_string(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (!digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v * 1000;
}

std::optional<int64_t> epoch_ms_from_number(std::string_view s) {
  // numeric_out: -?[0-9]+(\.[0-9]+)?, the integer part without leading zeros.
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  if (dot != std::string_view::npos) {
    const std::string_view frac = s.substr(dot + 1);
    if (frac.empty()) return std::nullopt;
    for (char c : frac)
      if (c != '0') return std::nullopt;  // not an integer (or not a number)
  }
  // Negative, or 1e15 and above (16 digits and more), or not digits.
  return epoch_ms_from_string(whole);
}

std::optional<int64_t> parse_upbit_utc(std::string_view s) {
  // ^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  int64_t y, mo, d, h, mi, sec;
  if (!digits_at(s, 0, 4, y) || !digits_at(s, 5, 2, mo) || !digits_at(s, 8, 2, d) || !digits_at(s, 11, 2, h) ||
      !digits_at(s, 14, 2, mi) || !digits_at(s, 17, 2, sec))
    return std::nullopt;
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int64_t month_days = mo == 2 && leap(y) ? 29 : kDays[mo - 1];
  if (d > month_days) return std::nullopt;  // 2020-02-30 passes the pattern but is no date
  const int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60 * 1'000'000 + sec * 1'000'000;
}

std::string utc_text(int64_t t) {
  const int64_t micros_per_day = 86'400'000'000;
  const int64_t days = floor_div(t, micros_per_day);
  const int64_t in_day = t - days * micros_per_day;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  const int64_t secs = in_day / 1'000'000;
  const int64_t ms = (in_day % 1'000'000) / 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(ms));
  return buf;
}

std::string period_text(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:00", minutes / 60, minutes % 60);
  return buf;
}

bool on_grid(int64_t t, int64_t period_micros) { return period_micros > 0 && t % period_micros == 0; }

}  // namespace pulse::candle

// See tweet_time.h. Hand-written rather than strptime(): strptime depends on
// the locale for month and day names and accepts out-of-range fields.
#include "core/tweet_time.h"

#include <cstring>

namespace pulse {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  bool lit(char c) {
    if (i_ < s_.size() && s_[i_] == c) { ++i_; return true; }
    return false;
  }
  // Exactly n decimal digits.
  bool digits(int n, int64_t& out) {
    if (s_.size() - i_ < static_cast<size_t>(n)) return false;
    int64_t v = 0;
    for (int k = 0; k < n; ++k) {
      char c = s_[i_ + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i_ += n;
    out = v;
    return true;
  }
  bool word(std::string_view& out, size_t n) {
    if (s_.size() - i_ < n) return false;
    out = s_.substr(i_, n);
    i_ += n;
    return true;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, int64_t m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

struct Fields {
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, micros = 0, offset_minutes = 0;
};

std::optional<int64_t> assemble(const Fields& f) {
  if (f.y < 1 || f.y > 9999 || f.mo < 1 || f.mo > 12 || f.d < 1 || f.d > days_in_month(f.y, f.mo)) return std::nullopt;
  if (f.h > 23 || f.mi > 59 || f.s > 59) return std::nullopt;
  int64_t secs = days_from_civil(f.y, static_cast<unsigned>(f.mo), static_cast<unsigned>(f.d)) * 86400 +
                 f.h * 3600 + f.mi * 60 + f.s - f.offset_minutes * 60;
  return secs * 1000000 + f.micros;
}

// "+0000", "+00:00" (colon optional), hours up to 15 as in PostgreSQL.
bool zone(Cursor& c, int64_t& offset_minutes, bool allow_z) {
  if (allow_z && c.lit('Z')) { offset_minutes = 0; return true; }
  int sign = c.lit('+') ? 1 : (c.lit('-') ? -1 : 0);
  if (sign == 0) return false;
  int64_t hh = 0, mm = 0;
  if (!c.digits(2, hh)) return false;
  c.lit(':');
  if (!c.digits(2, mm)) return false;
  if (hh > 15 || mm > 59) return false;
  offset_minutes = sign * (hh * 60 + mm);
  return true;
}

std::optional<int64_t> parse_iso(std::string_view s) {
  Cursor c(s);
  Fields f;
  if (!c.digits(4, f.y) || !c.lit('-') || !c.digits(2, f.mo) || !c.lit('-') || !c.digits(2, f.d)) return std::nullopt;
  if (!c.lit('T') && !c.lit(' ')) return std::nullopt;
  if (!c.digits(2, f.h) || !c.lit(':') || !c.digits(2, f.mi) || !c.lit(':') || !c.digits(2, f.s)) return std::nullopt;
  if (c.lit('.')) {
    // Up to microseconds are kept; further digits are truncated (X prints .000).
    int n = 0;
    int64_t digit = 0;
    while (c.peek() >= '0' && c.peek() <= '9') {
      c.digits(1, digit);
      if (n < 6) f.micros = f.micros * 10 + digit;
      ++n;
    }
    if (n == 0) return std::nullopt;
    for (int k = n; k < 6; ++k) f.micros *= 10;
  }
  if (!zone(c, f.offset_minutes, true) || !c.done()) return std::nullopt;
  return assemble(f);
}

std::optional<int64_t> parse_v1(std::string_view s) {
  static const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  Cursor c(s);
  Fields f;
  std::string_view w;
  if (!c.word(w, 3)) return std::nullopt;
  bool day_ok = false;
  for (const char* d : kDays) day_ok = day_ok || w == d;
  if (!day_ok || !c.lit(' ') || !c.word(w, 3)) return std::nullopt;
  for (int m = 0; m < 12; ++m)
    if (w == kMonths[m]) f.mo = m + 1;
  if (f.mo == 0 || !c.lit(' ')) return std::nullopt;
  if (!c.digits(2, f.d) || !c.lit(' ')) return std::nullopt;
  if (!c.digits(2, f.h) || !c.lit(':') || !c.digits(2, f.mi) || !c.lit(':') || !c.digits(2, f.s)) return std::nullopt;
  if (!c.lit(' ') || !zone(c, f.offset_minutes, false) || !c.lit(' ')) return std::nullopt;
  if (!c.digits(4, f.y) || !c.done()) return std::nullopt;
  // The weekday name is redundant; it is checked for shape only, as X's own
  // clients do, so a record with a wrong weekday is not thrown away.
  return assemble(f);
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Era arithmetic over 400-year cycles, with the year starting in March so
  // the leap day is the last day of the year.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::optional<int64_t> parse_tweet_time(std::string_view s) {
  if (s.size() >= 4 && s[0] >= '0' && s[0] <= '9') return parse_iso(s);
  return parse_v1(s);
}

}  // namespace pulse

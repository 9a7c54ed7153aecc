// See timefmt.h.
#include "core/timefmt.h"

#include <cstdio>
#include <ctime>
#include <algorithm>

#include "core/cli.h"

namespace pulse::load {

namespace {

// Reads fixed-width fields left to right (what the regular expressions
// these replaced matched, without <regex>'s cost in build time).
struct Reader {
  std::string_view s;
  std::size_t i = 0;
  bool done() const { return i == s.size(); }
  bool peek(char c) const { return i < s.size() && s[i] == c; }
  bool take(char c) {
    if (!peek(c)) return false;
    ++i;
    return true;
  }
  // Exactly n ASCII digits.
  bool digits(std::size_t n, int& out) {
    if (s.size() - i < n) return false;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    out = v;
    return true;
  }
};

// The fields into tm, if each is in its range (a day up to 31: the caller
// checks the month has it; a second up to max_sec).
bool fill_tm(std::tm& tm, int y, int mo, int d, int h, int mi, int se, int max_sec) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > max_sec) return false;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return true;
}

bool all_digits(std::string_view v) {
  return !v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::optional<int64_t> parse_utc_naive(std::string_view s) {
  // YYYY-MM-DD[T ]HH:MM:SS
  Reader r{s};
  int y, mo, d, h, mi, se;
  if (!(r.digits(4, y) && r.take('-') && r.digits(2, mo) && r.take('-') && r.digits(2, d) && (r.take('T') || r.take(' ')) &&
        r.digits(2, h) && r.take(':') && r.digits(2, mi) && r.take(':') && r.digits(2, se) && r.done()))
    return std::nullopt;
  std::tm tm{};
  if (!fill_tm(tm, y, mo, d, h, mi, se, 60)) return std::nullopt;
  return int64_t(timegm(&tm)) * 1000;
}

int64_t parse_time_arg(const std::string& flag, const std::string& v) {
  auto bad = [&] {
    return UsageError("--" + flag + " must be an ISO 8601 time (2020-02-20T11:19:00Z) or epoch milliseconds, got \"" +
                      v + "\"");
  };
  if (v.size() >= 10 && v.size() <= 14 && all_digits(v)) return std::stoll(v);
  // YYYY-MM-DD[(T| )HH:MM[:SS[.fraction (1-9 digits)]]][Z|+HH:MM|+HHMM|-...]
  Reader r{v};
  std::tm tm{};
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!(r.digits(4, y) && r.take('-') && r.digits(2, mo) && r.take('-') && r.digits(2, d))) throw bad();
  int64_t frac_ms = 0;
  if (r.take('T') || r.take(' ')) {
    if (!(r.digits(2, h) && r.take(':') && r.digits(2, mi))) throw bad();
    if (r.take(':')) {
      if (!r.digits(2, se)) throw bad();
      if (r.take('.')) {
        std::size_t from = r.i;
        while (r.i < v.size() && v[r.i] >= '0' && v[r.i] <= '9') ++r.i;
        std::size_t n = r.i - from;
        if (n < 1 || n > 9) throw bad();
        std::string frac = v.substr(from, std::min<std::size_t>(n, 3));
        frac.resize(3, '0');
        frac_ms = std::stoi(frac);
      }
    }
  }
  int zone_sign = 0, zh = 0, zm = 0;
  if (r.take('Z')) {
  } else if (r.peek('+') || r.peek('-')) {
    zone_sign = r.take('-') ? -1 : (r.take('+'), 1);
    if (!r.digits(2, zh)) throw bad();
    r.take(':');
    if (!r.digits(2, zm)) throw bad();
  }
  if (!r.done()) throw bad();
  if (!fill_tm(tm, y, mo, d, h, mi, se, 59)) throw bad();
  std::tm check = tm;
  int64_t secs = timegm(&check);
  if (check.tm_mday != tm.tm_mday) throw bad();  // 2021-02-30 normalizes to March
  int64_t ms = secs * 1000 + frac_ms;
  if (zone_sign != 0) {
    if (zh > 23 || zm > 59) throw bad();
    ms -= zone_sign * int64_t(zh * 3600 + zm * 60) * 1000;
  }
  return ms;
}

std::string format_utc(int64_t ms, bool with_z) {
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, with_z ? "Z" : "");
  return buf;
}

}  // namespace pulse::load

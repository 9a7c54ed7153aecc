// See timefmt.h.
#include "core/timefmt.h"

#include <cstdio>
#include <ctime>
#include <regex>

#include "core/cli.h"

namespace pulse::load {

std::optional<int64_t> parse_utc_naive(std::string_view s) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})$)");
  std::cmatch m;
  std::string str(s);
  if (!std::regex_match(str.c_str(), m, re)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  return int64_t(timegm(&tm)) * 1000;
}

int64_t parse_time_arg(const std::string& flag, const std::string& v) {
  static const std::regex ms_re(R"(^\d{10,14}$)");
  static const std::regex iso_re(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$)");
  auto bad = [&] {
    return UsageError("--" + flag + " must be an ISO 8601 time (2020-02-20T11:19:00Z) or epoch milliseconds, got \"" +
                      v + "\"");
  };
  if (std::regex_match(v, ms_re)) return std::stoll(v);
  std::smatch m;
  if (!std::regex_match(v, m, iso_re)) throw bad();
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = m[4].matched ? std::stoi(m[4]) : 0;
  tm.tm_min = m[5].matched ? std::stoi(m[5]) : 0;
  tm.tm_sec = m[6].matched ? std::stoi(m[6]) : 0;
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
    throw bad();
  std::tm check = tm;
  int64_t secs = timegm(&check);
  if (check.tm_mday != tm.tm_mday) throw bad();  // 2021-02-30 normalizes to March
  int64_t ms = secs * 1000;
  if (m[7].matched) {
    std::string frac = m[7].str();
    frac.resize(3, '0');
    ms += std::stoi(frac.substr(0, 3));
  }
  if (m[8].matched && m[8].str() != "Z") {
    std::string z = m[8].str();
    int sign = z[0] == '-' ? -1 : 1;
    std::string digits;
    for (char c : z.substr(1))
      if (c != ':') digits += c;
    int hh = std::stoi(digits.substr(0, 2)), mm = std::stoi(digits.substr(2, 2));
    if (hh > 23 || mm > 59) throw bad();
    ms -= sign * int64_t(hh * 3600 + mm * 60) * 1000;
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

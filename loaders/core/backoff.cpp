// See backoff.h.
#include "core/backoff.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace pulse::load {

Backoff::Backoff(Millis initial, Millis cap, double factor, bool jitter, bool linear, uint64_t seed)
    : initial_(initial), cap_(cap), factor_(factor), jitter_(jitter), linear_(linear), rng_(seed) {}

Millis Backoff::next() {
  double d;
  if (linear_) {
    d = double(initial_.count()) * (attempt_ + 1);
  } else {
    d = double(initial_.count());
    for (int i = 0; i < attempt_ && d < double(cap_.count()); ++i) d *= factor_;
  }
  d = std::min(d, double(cap_.count()));
  ++attempt_;
  if (jitter_) {
    std::uniform_real_distribution<double> u(d / 2, d);
    d = u(rng_);
  }
  return Millis(static_cast<long long>(d));
}

double time_scale() {
  static const double s = [] {
    const char* v = std::getenv("PULSE_LOAD_TEST_TIME_SCALE");
    if (!v || !*v) return 1.0;
    char* end = nullptr;
    double x = std::strtod(v, &end);
    return (end && *end == '\0' && x > 0) ? x : 1.0;
  }();
  return s;
}

Millis scaled(Millis d) { return Millis(static_cast<long long>(double(d.count()) * time_scale())); }

bool sleep_unless(Millis d, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + scaled(d);
  while (!stop.load()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, Millis(50)));
  }
  return false;
}

std::optional<Millis> parse_retry_after(std::string_view v, std::chrono::system_clock::time_point now) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::nullopt;
    return Millis(std::stoll(std::string(v)) * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  std::tm tm{};
  std::string s(v);
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto d = std::chrono::duration_cast<Millis>(when - now);
  return std::max(d, Millis(0));
}

std::optional<RemainingReq> parse_remaining_req(std::string_view v) {
  RemainingReq r;
  bool any = false;
  while (!v.empty()) {
    auto semi = v.find(';');
    std::string_view part = v.substr(0, semi);
    v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(part.substr(0, eq));
    std::string val(part.substr(eq + 1));
    try {
      if (key == "group") { r.group = val; any = true; }
      else if (key == "min") { r.min = std::stoi(val); any = true; }
      else if (key == "sec") { r.sec = std::stoi(val); any = true; }
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (!any || r.sec < 0) return std::nullopt;
  return r;
}

Millis binance_weight_delay(long used, long limit, std::chrono::system_clock::time_point now) {
  if (limit <= 0 || used < limit * 8 / 10) return Millis(0);
  auto ms = std::chrono::duration_cast<Millis>(now.time_since_epoch()).count();
  Millis to_next_minute(60000 - ms % 60000 + 50);
  if (used >= limit * 95 / 100) return to_next_minute;
  // Between 80 % and 95 %: spread the remaining budget over the minute.
  return std::min(to_next_minute, Millis(250));
}

}  // namespace pulse::load

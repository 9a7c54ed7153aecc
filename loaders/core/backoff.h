// Retry pacing for the loaders: exponential backoff with jitter, the rate-limit
// headers of the exchanges (Retry-After, Upbit Remaining-Req, Binance
// x-mbx-used-weight-1m), and interruptible sleeps that a test can speed up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace pulse::load {

using Millis = std::chrono::milliseconds;

// Exponential backoff: initial, initial*factor, ... capped at `cap`, each with
// "equal jitter" (a uniform draw in [d/2, d]) so that many loaders restarting
// together do not retry in step. Linear mode adds `initial` each time instead
// (the X stream's rule for network errors).
class Backoff {
 public:
  Backoff(Millis initial, Millis cap, double factor = 2.0, bool jitter = true, bool linear = false,
          uint64_t seed = std::random_device{}());
  Millis next();            // the delay before the next attempt
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  Millis initial_, cap_;
  double factor_;
  bool jitter_, linear_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

// PULSE_LOAD_TEST_TIME_SCALE (a positive float, default 1) multiplies every
// wait the loaders make, so tests can exercise minute-long backoffs quickly.
double time_scale();
Millis scaled(Millis d);

// Sleeps d (scaled) unless `stop` becomes true first; returns false if stopped.
bool sleep_unless(Millis d, const std::atomic<bool>& stop);

// Retry-After: delta-seconds or an HTTP-date. nullopt when absent/unparsable.
std::optional<Millis> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now =
                                                                   std::chrono::system_clock::now());

// Upbit's `Remaining-Req: group=candles; min=599; sec=9`.
struct RemainingReq {
  std::string group;
  int min = -1;
  int sec = -1;
};
std::optional<RemainingReq> parse_remaining_req(std::string_view value);

// How long to wait before the next request given Binance's used weight in the
// current minute (limit 6000 per minute on /api/v3): nothing below 80 %, then
// up to the end of the minute when nearly exhausted.
Millis binance_weight_delay(long used_weight_1m, long limit, std::chrono::system_clock::time_point now);

}  // namespace pulse::load

// Lagged correlation: one exact corr state per lag (see lagged_corr.h).
#include "core/lagged_corr.h"

#include <algorithm>
#include <memory>
#include <string>

#include "core/corr_limbs.h"
#include "core/error.h"
#include "core/interrupts.h"

namespace pulse {
namespace {

namespace lb = limbs;

struct Series {
  const double* x;
  const uint8_t* x_null;
  const double* y;
  const uint8_t* y_null;
  int64_t len;

  bool skipped(int64_t t, int64_t u) const {
    return (x_null != nullptr && x_null[t]) || (y_null != nullptr && y_null[u]);
  }
};

// For every lag, add(t, u) for each pair t, u = t + lag, then out(lag, n):
// a cancel check every chunk (up to 200 million pairs in all).
template <typename Begin, typename Add, typename End>
void each_pair(const Series& s, int64_t max_lag, Begin begin, Add add, End end) {
  for (int64_t lag = -max_lag; lag <= max_lag; ++lag) {
    begin();
    int64_t t0 = lag < 0 ? -lag : 0;
    int64_t t1 = lag > 0 ? s.len - lag : s.len;
    for (int64_t c0 = t0; c0 < t1; c0 += kInterruptCheckInterval) {
      check_interrupts();
      const int64_t c1 = std::min(t1, c0 + kInterruptCheckInterval);
      for (int64_t t = c0; t < c1; ++t)
        if (!s.skipped(t, t + lag)) add(t, t + lag);
    }
    end(lag);
  }
}

template <int L, int P, int W, int R>
std::vector<LagCorr> run_fixed(const Series& s, int64_t max_lag, int ex, int ey) {
  std::vector<LagCorr> out;
  out.reserve(static_cast<size_t>(2 * max_lag + 1));
  std::unique_ptr<lb::Accumulator<L, P, W, R>> acc;
  each_pair(
      s, max_lag, [&] { acc = std::make_unique<lb::Accumulator<L, P, W, R>>(ex, ey); },
      [&](int64_t t, int64_t u) { acc->apply(s.x[t], s.y[u], false); },
      [&](int64_t lag) { out.push_back({static_cast<int>(lag), acc->n, acc->result()}); });
  return out;
}

std::vector<LagCorr> run_wide(const Series& s, int64_t max_lag) {
  std::vector<LagCorr> out;
  out.reserve(static_cast<size_t>(2 * max_lag + 1));
  auto state = std::make_unique<CorrState>();
  each_pair(
      s, max_lag, [&] { corr_init(state.get()); },
      [&](int64_t t, int64_t u) { corr_add(state.get(), s.x[t], s.y[u]); },
      [&](int64_t lag) { out.push_back({static_cast<int>(lag), state->n, corr_result(state.get())}); });
  return out;
}

void check_arguments(size_t x_len, size_t y_len, int64_t max_lag) {
  const int64_t len = static_cast<int64_t>(x_len);
  if (x_len != y_len)
    throw Error(sqlstate::kInvalidParameterValue, "x and y must have the same length",
                "x has " + std::to_string(x_len) + " elements, y has " + std::to_string(y_len) + ".");
  if (max_lag < 0)
    throw Error(sqlstate::kInvalidParameterValue, "max_lag must not be negative");
  if (len > kLaggedCorrMaxLength)
    throw Error(sqlstate::kProgramLimitExceeded, "arrays are too long for lagged_corr",
                "At most " + std::to_string(kLaggedCorrMaxLength) + " elements are allowed.");
  if (max_lag >= len)
    throw Error(sqlstate::kInvalidParameterValue, "max_lag must be less than the array length",
                "max_lag is " + std::to_string(max_lag) + ", the arrays have " + std::to_string(len) +
                    " elements.");
  // Pairs visited: sum over lags of (len - |lag|).
  int64_t pairs = len + max_lag * (2 * len - max_lag - 1);
  if (pairs > kLaggedCorrMaxPairs)
    throw Error(sqlstate::kProgramLimitExceeded, "lagged_corr would visit too many pairs",
                std::to_string(pairs) + " pairs; at most " + std::to_string(kLaggedCorrMaxPairs) +
                    " are allowed.",
                "Use a smaller max_lag or shorter series.");
}

}  // namespace

std::vector<LagCorr> lagged_corr(const double* x, const uint8_t* x_null, size_t x_len, const double* y,
                                 const uint8_t* y_null, size_t y_len, int64_t max_lag) {
  check_arguments(x_len, y_len, max_lag);
  Series s{x, x_null, y, y_null, static_cast<int64_t>(x_len)};
  // Every non-NULL value may meet a non-NULL partner at some lag.
  lb::BitRange bx = lb::bit_range(x, x_null, nullptr, x_len), by = lb::bit_range(y, y_null, nullptr, y_len);
  int span = std::max(bx.span(), by.span());
  if (span <= lb::kCompactValueBits) return run_fixed<2, 3, 1, 3>(s, max_lag, bx.scale(), by.scale());
  if (span <= lb::kMediumValueBits) return run_fixed<3, 5, 2, 5>(s, max_lag, bx.scale(), by.scale());
  return run_wide(s, max_lag);
}

std::vector<LagCorr> lagged_corr_wide(const double* x, const uint8_t* x_null, const double* y,
                                      const uint8_t* y_null, size_t len, int64_t max_lag) {
  check_arguments(len, len, max_lag);
  return run_wide(Series{x, x_null, y, y_null, static_cast<int64_t>(len)}, max_lag);
}

std::vector<LagCorr> lagged_corr(const std::vector<double>& x, const std::vector<bool>& x_null,
                                 const std::vector<double>& y, const std::vector<bool>& y_null,
                                 int64_t max_lag) {
  auto flags = [](const std::vector<bool>& v) { return std::vector<uint8_t>(v.begin(), v.end()); };
  std::vector<uint8_t> xn = flags(x_null), yn = flags(y_null);
  if (!xn.empty() && xn.size() != x.size())
    throw Error(sqlstate::kInvalidParameterValue, "x_null must have one flag per element of x");
  if (!yn.empty() && yn.size() != y.size())
    throw Error(sqlstate::kInvalidParameterValue, "y_null must have one flag per element of y");
  return lagged_corr(x.data(), xn.empty() ? nullptr : xn.data(), x.size(), y.data(),
                     yn.empty() ? nullptr : yn.data(), y.size(), max_lag);
}

}  // namespace pulse

// Lagged correlation: one exact corr state per lag (see lagged_corr.h).
#include "core/lagged_corr.h"

#include <algorithm>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/interrupts.h"

namespace pulse {

std::vector<LagCorr> lagged_corr(const std::vector<double>& x, const std::vector<bool>& x_null,
                                 const std::vector<double>& y, const std::vector<bool>& y_null,
                                 int64_t max_lag) {
  const int64_t len = static_cast<int64_t>(x.size());
  if (x.size() != y.size())
    throw Error(sqlstate::kInvalidParameterValue, "x and y must have the same length",
                "x has " + std::to_string(x.size()) + " elements, y has " + std::to_string(y.size()) + ".");
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
  auto is_null = [](const std::vector<bool>& nulls, int64_t i) {
    return !nulls.empty() && nulls[static_cast<size_t>(i)];
  };
  std::vector<LagCorr> out;
  out.reserve(static_cast<size_t>(2 * max_lag + 1));
  auto state = std::make_unique<CorrState>();
  for (int64_t lag = -max_lag; lag <= max_lag; ++lag) {
    corr_init(state.get());
    int64_t t0 = lag < 0 ? -lag : 0;
    int64_t t1 = lag > 0 ? len - lag : len;
    // Up to 200 million pairs in all: check for a cancel every chunk.
    for (int64_t c0 = t0; c0 < t1; c0 += kInterruptCheckInterval) {
      check_interrupts();
      const int64_t c1 = std::min(t1, c0 + kInterruptCheckInterval);
      for (int64_t t = c0; t < c1; ++t) {
        int64_t u = t + lag;
        if (is_null(x_null, t) || is_null(y_null, u)) continue;
        corr_add(state.get(), x[static_cast<size_t>(t)], y[static_cast<size_t>(u)]);
      }
    }
    out.push_back({static_cast<int>(lag), state->n, corr_result(state.get())});
  }
  return out;
}

}  // namespace pulse

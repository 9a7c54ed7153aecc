// Cross-correlation of two equally long series at every lag in
// -max_lag..max_lag (pulse.lagged_corr): corr(x[t], y[t + lag]) with the exact
// arithmetic and the corr() semantics of moving_corr.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>
#include <vector>

#include "core/moving_corr.h"

namespace pulse {

struct LagCorr {
  int lag;
  int64_t n;  // pairs where neither side is NULL
  CorrResult corr;
};

// Bounds pulse.lagged_corr enforces before any work (a runaway guard).
inline constexpr int64_t kLaggedCorrMaxLength = 10'000'000;
inline constexpr int64_t kLaggedCorrMaxPairs = 200'000'000;

// x_null / y_null may be empty (no NULL element). Throws pulse::Error for
// different lengths, a negative max_lag, max_lag >= the length, or more than
// kLaggedCorrMaxPairs pairs in total. Checks for interrupts as it goes
// (core/interrupts.h): a cancel thrown by the hook propagates.
std::vector<LagCorr> lagged_corr(const std::vector<double>& x, const std::vector<bool>& x_null,
                                 const std::vector<double>& y, const std::vector<bool>& y_null,
                                 int64_t max_lag);

}  // namespace pulse

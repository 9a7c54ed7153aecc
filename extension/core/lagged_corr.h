// Cross-correlation of two equally long series at every lag in
// -max_lag..max_lag (pulse.lagged_corr): corr(x[t], y[t + lag]) with the exact
// arithmetic and the corr() semantics of moving_corr.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
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

// x_null / y_null: nullptr (no NULL element) or one flag per element
// (non-zero: NULL). Throws pulse::Error for different lengths, a negative
// max_lag, max_lag >= the length, or more than kLaggedCorrMaxPairs pairs in
// total. Checks for interrupts as it goes (core/interrupts.h): a cancel thrown
// by the hook propagates. Sums with the fixed-point states of corr_limbs.h
// when the values fit them, else with the wide state; the answers are the
// same bit for bit (corr_math.h).
std::vector<LagCorr> lagged_corr(const double* x, const uint8_t* x_null, size_t x_len, const double* y,
                                 const uint8_t* y_null, size_t y_len, int64_t max_lag);

// The same on vectors (an empty null vector: no NULL element).
std::vector<LagCorr> lagged_corr(const std::vector<double>& x, const std::vector<bool>& x_null,
                                 const std::vector<double>& y, const std::vector<bool>& y_null,
                                 int64_t max_lag);

// For tests: the wide state even where a fixed-point one fits.
std::vector<LagCorr> lagged_corr_wide(const double* x, const uint8_t* x_null, const double* y,
                                      const uint8_t* y_null, size_t len, int64_t max_lag);

}  // namespace pulse

// pulse.moving_corr_series: element i is moving_corr over the pairs among the
// trailing `frame` elements ending at i, computed in one pass over the arrays
// with the exact sums (the fixed-point ones of corr_limbs.h when the values
// fit them, else the wide state), so every element is bit for bit what the
// window aggregate gives over ROWS BETWEEN frame-1 PRECEDING AND CURRENT ROW.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>

namespace pulse {

// Which exact representation a series ran with (for tests and benchmarks).
enum class SeriesPath { kCompact, kMedium, kWide };

// x_null / y_null: nullptr (no NULL) or one flag per element (non-zero: NULL;
// the pair is skipped, as the aggregate skips it). Writes len results into
// out / out_null (non-zero: SQL NULL). Throws pulse::Error for frame <= 0 or
// arrays of different lengths. Checks for interrupts as it goes.
SeriesPath moving_corr_series(const double* x, const uint8_t* x_null, size_t x_len, const double* y,
                              const uint8_t* y_null, size_t y_len, int64_t frame, double* out,
                              uint8_t* out_null);

}  // namespace pulse

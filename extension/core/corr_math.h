// The arithmetic every exact correlation state of Pulse shares (the wide state
// of moving_corr.h, the fixed-point states of corr_fixed.h): splitting a double
// into an integer mantissa and an exponent, rounding an exact integer to the
// nearest double, and corr()'s final step. Each state computes the three
// centred sums n*Sab - Sa*Sb EXACTLY and rounds each of them correctly, so two
// states that hold the same rows give bit-identical answers whatever their
// representation (the series and aggregate paths rely on this).
#pragma once

#include "core/no_postgres.h"

#include <cstdint>

namespace pulse {

// Result of corr(): SQL NULL, or a value (possibly NaN as corr() gives it).
struct CorrResult {
  bool is_null;
  double value;
};

// m * 2^e with 0.5 <= |m| < 1, or m = 0 (the value zero).
struct Scaled {
  double m;
  int e;
};

// |v| = m * 2^e with m < 2^53 an integer and e >= -1074. False for zero.
bool decompose(double v, uint64_t* m, int* e, bool* neg);

// The integer sum(limb[i] * 2^(64 i)) * 2^scale_bits (sign neg) rounded to
// the nearest double (ties to even), as m * 2^e. len may be 0 (zero).
Scaled round_limbs64(const uint64_t* limb, int len, int scale_bits, bool neg);
// The same with 32-bit limbs.
Scaled round_limbs32(const uint32_t* limb, int len, int scale_bits, bool neg);

// Sxy / sqrt(Sxx * Syy) of three correctly rounded centred sums (non-zero,
// Sxx and Syy positive), on mantissas and exponents: no overflow or
// underflow, clamped to [-1, 1].
double corr_ratio(Scaled sxx, Scaled syy, Scaled sxy);

// corr() semantics over exact centred sums, computed only when needed:
// NULL for n < 1 or zero variance, NaN when a NaN or infinity takes part
// (unless the other side has zero variance, as corr() does), 0 for exactly
// uncorrelated data. Each centred(...) returns false for an exact zero.
template <typename Cxx, typename Cyy, typename Cxy>
CorrResult corr_finish(int64_t n, bool x_bad, bool y_bad, Cxx centred_xx, Cyy centred_yy, Cxy centred_xy) {
  if (n < 1) return {true, 0.0};
  Scaled sxx{0, 0}, syy{0, 0}, sxy{0, 0};
  // corr(): "NULL for horizontal and vertical lines", checked before NaN.
  if (!x_bad && !centred_xx(&sxx)) return {true, 0.0};
  if (!y_bad && !centred_yy(&syy)) return {true, 0.0};
  if (x_bad || y_bad) return {false, __builtin_nan("")};
  if (!centred_xy(&sxy)) return {false, 0.0};
  return {false, corr_ratio(sxx, syy, sxy)};
}

}  // namespace pulse

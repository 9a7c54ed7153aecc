// Exact state of a Pearson correlation over a bag of (x, y) pairs that rows can
// join and leave in any order (the pulse.moving_corr aggregate). Every finite
// double is an integer multiple of 2^-1074, so the sums of x, y, x*x, y*y and
// x*y are kept EXACTLY as wide fixed-point integers: adding and removing a row
// are exact inverses, and the only rounding happens in corr() at the end.
// Plain aggregation starts with the far smaller states of corr_fixed.h and
// moves to this one only when its values span too many bits for them.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>

#include "core/corr_math.h"

namespace pulse {

// Fixed-point accumulator of signed values k * 2^(kScaleBits) at any bit
// position. Digits are radix 2^32 held in int64 (redundant form: a digit may
// drift out of [0, 2^32) between normalizations; the value is sum d[i] 2^(32i)).
template <int kDigits>
struct WideSum {
  int64_t d[kDigits];
  int32_t lo;  // lowest digit ever touched (kDigits when none)
  int32_t hi;  // one past the highest digit ever touched (0 when none)
};

// What an aggregate state pointer points to: every state struct starts with
// its kind (the plain-aggregation state changes kind when it outgrows one).
enum CorrKind : uint32_t {
  kCorrWide = 0x43525731,     // CorrState
  kCorrCompact = 0x43525a31,  // CorrCompact (corr_fixed.h)
  kCorrMedium = 0x43524d31,   // CorrMedium (corr_fixed.h)
};

// Plain old data, trivially copyable: the aggregate's state is this struct
// palloc'd in the aggregate context and serialized with memcpy.
struct CorrState {
  // Linear sums: position of 2^-1074 is bit 0; largest |x| < 2^1024, plus 64
  // bits of headroom for the count.
  static constexpr int kLinDigits = (1074 + 1024 + 64) / 32 + 2;
  // Products: 2^-2148 is bit 0; largest |x*y| < 2^2048.
  static constexpr int kProdDigits = (2148 + 2048 + 64) / 32 + 2;
  // sizeof(CorrState) is 4424 bytes: MSSPACE in sql/code/70_analytics.sql.

  uint32_t kind;       // kCorrWide
  uint32_t unused;
  int64_t n;           // pairs with neither side NULL
  int64_t nonfinite_x; // of those, pairs whose x is NaN or +-Inf
  int64_t nonfinite_y;
  int64_t pending;     // digit additions since the last normalization
  WideSum<kLinDigits> sx, sy;          // over pairs with finite x (resp. y)
  WideSum<kProdDigits> sxx, syy, sxy;  // sxx: finite x; syy: finite y; sxy: both
};

void corr_init(CorrState* s);
// Adds the exact signed integer sum(limb[i] 2^(64 i)) * 2^scale_bits to a
// linear sum (product = false: scale_bits >= -1074) or a product sum (true:
// scale_bits >= -2148). Used to move a fixed-point state into a wide one.
enum class CorrSum { kX, kY, kXX, kYY, kXY };
void corr_add_integer(CorrState* s, CorrSum which, const uint64_t* limb, int len, bool neg, int scale_bits);
void corr_add(CorrState* s, double x, double y);
void corr_remove(CorrState* s, double x, double y);  // exact inverse of corr_add
void corr_combine(CorrState* into, const CorrState* other);
// Brings every digit back into [0, 2^32) (except the top one, which keeps the
// sign). Does not change the represented value.
void corr_normalize(CorrState* s);

// corr() semantics: NULL for n < 1 or zero variance (exactly zero here),
// NaN when a NaN or infinity takes part (unless the other side has zero
// variance, as corr() does), else Sxy / sqrt(Sxx * Syy) of the exact centred
// sums, each rounded correctly (corr_math.h), clamped to [-1, 1]. Normalizes s.
CorrResult corr_result(CorrState* s);

}  // namespace pulse

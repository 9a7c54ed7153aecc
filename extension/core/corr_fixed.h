// Small exact states for a Pearson correlation: the sums of x, y, x*x, y*y and
// x*y as fixed-point integers at one scale per side (x = vx * 2^ex with vx an
// integer), which is exact as long as every value of a side fits in VB bits
// at that scale. Most data does (values of one magnitude, integers, prices),
// so plain aggregation (GROUP BY) keeps 128 or 192 bytes per group instead of
// the 4,424 of the wide state (moving_corr.h), and moves to the wide state
// only when the values span more bits. Being exact, all of them give the same
// answer bit for bit (corr_math.h), whatever the order or parallel plan.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>

#include "core/corr_math.h"
#include "core/moving_corr.h"

namespace pulse {

// L limbs (64-bit, two's complement) for Sx and Sy, P limbs for the products;
// values of up to VB bits. Plain old data, copied with memcpy.
template <int L, int P, int VB, uint32_t Kind>
struct CorrFixed {
  static constexpr int kLin = L;
  static constexpr int kProd = P;
  static constexpr int kValueBits = VB;
  static constexpr uint32_t kKind = Kind;
  static constexpr int16_t kNoScale = INT16_MAX;  // no nonzero finite value yet

  uint32_t kind;
  int16_t ex, ey;  // scale of the x and y sums (kNoScale before the first value)
  int64_t n;       // pairs with neither side NULL
  int32_t nonfinite_x, nonfinite_y;
  uint64_t sx[L], sy[L];
  uint64_t sxx[P], syy[P], sxy[P];  // sxx: finite x; syy: finite y; sxy: both
};

// 128 bytes: one 128-byte chunk of PostgreSQL's allocator, like corr()'s state.
using CorrCompact = CorrFixed<2, 3, 63, kCorrCompact>;
// 192 bytes: values spanning up to 127 bits (e.g. 0.001 next to 10^6).
using CorrMedium = CorrFixed<3, 5, 127, kCorrMedium>;

static_assert(sizeof(CorrCompact) == 128);
static_assert(sizeof(CorrMedium) == 192);

template <typename S>
void fixed_init(S* s);

// Adds a pair (neither side NULL). False, with s unchanged, when the pair
// does not fit this representation (the caller moves to a larger one).
template <typename S>
bool fixed_add(S* s, double x, double y);

// into += other (the same kind). False, with into unchanged, when the sum
// does not fit.
template <typename S>
bool fixed_combine(S* into, const S* other);

// The same rows in a larger representation (always fits).
void fixed_widen(const CorrCompact* from, CorrMedium* to);
template <typename S>
void fixed_to_wide(const S* from, CorrState* to);  // to: corr_init'ed

template <typename S>
CorrResult fixed_result(const S* s);

}  // namespace pulse

// Shared exact-correlation arithmetic (see corr_math.h). Correct rounding is
// written out here because the states keep their integers in their own flat
// limb arrays (no allocation on the per-row path); a big-number library would
// need a copy into its own type for every row of a series.
#include "core/corr_math.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pulse {
namespace {

using u128 = unsigned __int128;

// Rounds the 64-bit window `top` (bit 63 set, the highest set bit of the
// integer, which sits at absolute bit position msb) with `sticky` telling
// whether any bit below the window is set.
Scaled round_top(uint64_t top, bool sticky, int msb, bool neg) {
  uint64_t mant = top >> 11;  // 53 bits
  uint64_t rest = top & 0x7ff;
  bool up = rest > 0x400 || (rest == 0x400 && (sticky || (mant & 1) != 0));
  if (up) ++mant;
  int e = msb + 1;
  if (mant == (uint64_t{1} << 53)) {  // rounding carried into a new bit
    mant >>= 1;
    ++e;
  }
  double m = static_cast<double>(static_cast<int64_t>(mant)) * 0x1p-53;  // exact, in [0.5, 1)
  return {neg ? -m : m, e};
}

}  // namespace

bool decompose(double v, uint64_t* m, int* e, bool* neg) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  *neg = (bits >> 63) != 0;
  int exp_field = static_cast<int>((bits >> 52) & 0x7ff);
  uint64_t frac = bits & ((uint64_t{1} << 52) - 1);
  if (exp_field == 0) {
    if (frac == 0) return false;
    *m = frac;
    *e = -1074;
  } else {
    *m = frac | (uint64_t{1} << 52);
    *e = exp_field - 1075;
  }
  return true;
}

Scaled round_limbs64(const uint64_t* limb, int len, int scale_bits, bool neg) {
  while (len > 0 && limb[len - 1] == 0) --len;
  if (len == 0) return {0.0, 0};
  int top_i = len - 1;
  int lead = 63 - __builtin_clzll(limb[top_i]);  // bit of the top limb's highest 1
  u128 window = static_cast<u128>(limb[top_i]) << 64;
  if (top_i > 0) window |= limb[top_i - 1];
  // window holds bits [64*(top_i-1), 64*top_i + 64); its highest 1 is at 64 + lead
  int shift = 64 + lead - 63;  // >= 1
  uint64_t top = static_cast<uint64_t>(window >> shift);
  bool sticky = (window & ((static_cast<u128>(1) << shift) - 1)) != 0;
  for (int i = top_i - 2; i >= 0 && !sticky; --i) sticky = limb[i] != 0;
  int msb = 64 * top_i + lead + scale_bits;
  return round_top(top, sticky, msb, neg);
}

Scaled round_limbs32(const uint32_t* limb, int len, int scale_bits, bool neg) {
  while (len > 0 && limb[len - 1] == 0) --len;
  if (len == 0) return {0.0, 0};
  // Gather the top three limbs (96 bits: the highest 1 and at least 64 below
  // it when they exist).
  int top_i = len - 1;
  int lead = 31 - __builtin_clz(limb[top_i]);
  u128 window = 0;
  int taken = 0;
  for (int i = top_i; i >= 0 && taken < 3; --i, ++taken) window = (window << 32) | limb[i];
  int low_i = top_i - taken + 1;        // limb index of the window's bit 0
  int high = 32 * (taken - 1) + lead;  // the highest 1 within the window
  uint64_t top;
  bool sticky = false;
  if (high >= 63) {
    int shift = high - 63;
    top = static_cast<uint64_t>(window >> shift);
    sticky = shift > 0 && (window & ((static_cast<u128>(1) << shift) - 1)) != 0;
  } else {
    top = static_cast<uint64_t>(window) << (63 - high);
  }
  for (int i = low_i - 1; i >= 0 && !sticky; --i) sticky = limb[i] != 0;
  int msb = 32 * low_i + high + scale_bits;
  return round_top(top, sticky, msb, neg);
}

double corr_ratio(Scaled sxx, Scaled syy, Scaled sxy) {
  double ab = sxx.m * syy.m;
  int e = sxx.e + syy.e;
  if (e % 2 != 0) {
    ab *= 2.0;
    e -= 1;
  }
  double q = sxy.m / std::sqrt(ab);  // |q| in (0.35, 2.9)
  int k = sxy.e - e / 2;
  // |r| <= 1 up to rounding, so 2^k is a normal double whenever r is not
  // tiny: build it from its bits (ldexp costs a call per row of a series).
  double r;
  if (k > -1000 && k < 1000) {
    uint64_t bits = static_cast<uint64_t>(k + 1023) << 52;
    double scale;
    std::memcpy(&scale, &bits, sizeof scale);
    r = q * scale;
  } else {
    r = std::ldexp(q, k);
  }
  return std::max(-1.0, std::min(1.0, r));
}

}  // namespace pulse

// Fixed-size integer arithmetic on little-endian arrays of 64-bit limbs (two's
// complement for signed values), inlined into the per-row loops of the
// fixed-point correlation states (corr_fixed.cpp, corr_series.cpp,
// lagged_corr.cpp). Sizes are template parameters so the loops unroll (with
// the pragmas: without them GCC kept them as loops); a general
// big-number type would allocate or dispatch on sizes per row.
#pragma once

#include "core/no_postgres.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/corr_math.h"

namespace pulse::limbs {

using u128 = unsigned __int128;

// a += v or a -= v (v: VN limbs, two's complement, sign-extended to N);
// wraps modulo 2^(64 N).
template <int N, int VN>
inline void add(uint64_t* a, const uint64_t* v, bool subtract) {
  static_assert(VN <= N);
  const uint64_t fill = static_cast<int64_t>(v[VN - 1]) < 0 ? ~uint64_t{0} : 0;
  if (!subtract) {
    uint64_t carry = 0;
    #pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      u128 t = static_cast<u128>(a[i]) + (i < VN ? v[i] : fill) + carry;
      a[i] = static_cast<uint64_t>(t);
      carry = static_cast<uint64_t>(t >> 64);
    }
  } else {
    uint64_t borrow = 0;
    #pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      u128 t = static_cast<u128>(a[i]) - (i < VN ? v[i] : fill) - borrow;
      a[i] = static_cast<uint64_t>(t);
      borrow = static_cast<uint64_t>(t >> 64) & 1;
    }
  }
}

template <int N>
inline bool is_negative(const uint64_t* a) {
  return static_cast<int64_t>(a[N - 1]) < 0;
}

// |a| into out (N limbs); returns the sign.
template <int N>
inline bool magnitude(const uint64_t* a, uint64_t* out) {
  bool neg = is_negative<N>(a);
  if (!neg) {
    #pragma GCC unroll 8
    for (int i = 0; i < N; ++i) out[i] = a[i];
    return false;
  }
  uint64_t carry = 1;
  #pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    u128 t = static_cast<u128>(~a[i]) + carry;
    out[i] = static_cast<uint64_t>(t);
    carry = static_cast<uint64_t>(t >> 64);
  }
  return true;
}

// Bits of |a| (0 for zero).
template <int N>
inline int bit_length(const uint64_t* a) {
  uint64_t m[N];
  magnitude<N>(a, m);
  #pragma GCC unroll 8
  for (int i = N - 1; i >= 0; --i)
    if (m[i] != 0) return 64 * i + 64 - __builtin_clzll(m[i]);
  return 0;
}

// True when |a| * 2^shift < 2^(64 N - 2): adding a value below 2^(64 N - 2)
// afterwards cannot overflow the signed range.
template <int N>
inline bool has_room(const uint64_t* a, int shift) {
  if (shift == 0) {
    // fast path: the top limb alone decides |a| < 2^(64 N - 2)
    uint64_t top = a[N - 1] + (uint64_t{1} << 62);
    if (top < (uint64_t{1} << 63)) return true;
  }
  return bit_length<N>(a) + shift <= 64 * N - 2;
}

// a <<= k (k >= 0; the caller made room).
template <int N>
inline void shift_left(uint64_t* a, int k) {
  if (k == 0) return;
  int whole = k / 64, bits = k % 64;
  #pragma GCC unroll 8
  for (int i = N - 1; i >= 0; --i) {
    int src = i - whole;
    uint64_t hi = src >= 0 ? a[src] : 0;
    uint64_t lo = src - 1 >= 0 ? a[src - 1] : 0;
    a[i] = bits == 0 ? hi : (hi << bits) | (lo >> (64 - bits));
  }
}

// a (AN limbs) sign-extended to R limbs.
template <int R, int AN>
inline void extend(const uint64_t* a, uint64_t* out) {
  const uint64_t fill = static_cast<int64_t>(a[AN - 1]) < 0 ? ~uint64_t{0} : 0;
  #pragma GCC unroll 8
  for (int i = 0; i < R; ++i) out[i] = i < AN ? a[i] : fill;
}

// out = a * b modulo 2^(64 R), two's complement: exact whenever the true
// product fits R limbs signed.
template <int R>
inline void mul_mod(const uint64_t* a, const uint64_t* b, uint64_t* out) {
  #pragma GCC unroll 8
  for (int i = 0; i < R; ++i) out[i] = 0;
  #pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    uint64_t carry = 0;
    #pragma GCC unroll 8
    for (int j = 0; j + i < R; ++j) {
      u128 t = static_cast<u128>(a[i]) * b[j] + out[i + j] + carry;
      out[i + j] = static_cast<uint64_t>(t);
      carry = static_cast<uint64_t>(t >> 64);
    }
  }
}

// A value of one side at some scale: W limbs, two's complement.
template <int W>
struct Value {
  uint64_t w[W];
};

// The product of two values as 2 W limbs, two's complement.
template <int W>
inline void product(const Value<W>& a, const Value<W>& b, uint64_t* out) {
  if constexpr (W == 1) {
    __int128 p = static_cast<__int128>(static_cast<int64_t>(a.w[0])) * static_cast<int64_t>(b.w[0]);
    out[0] = static_cast<uint64_t>(p);
    out[1] = static_cast<uint64_t>(static_cast<u128>(p) >> 64);
  } else {
    static_assert(W == 2);
    // magnitudes (below 2^127), four partial products, then the sign
    bool na = static_cast<int64_t>(a.w[1]) < 0, nb = static_cast<int64_t>(b.w[1]) < 0;
    u128 ma = (static_cast<u128>(a.w[1]) << 64) | a.w[0], mb = (static_cast<u128>(b.w[1]) << 64) | b.w[0];
    if (na) ma = ~ma + 1;
    if (nb) mb = ~mb + 1;
    uint64_t a0 = static_cast<uint64_t>(ma), a1 = static_cast<uint64_t>(ma >> 64);
    uint64_t b0 = static_cast<uint64_t>(mb), b1 = static_cast<uint64_t>(mb >> 64);
    u128 p00 = static_cast<u128>(a0) * b0, p01 = static_cast<u128>(a0) * b1;
    u128 p10 = static_cast<u128>(a1) * b0, p11 = static_cast<u128>(a1) * b1;
    u128 mid = (p00 >> 64) + static_cast<uint64_t>(p01) + static_cast<uint64_t>(p10);
    u128 high = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + static_cast<uint64_t>(p11);
    uint64_t m[4] = {static_cast<uint64_t>(p00), static_cast<uint64_t>(mid), static_cast<uint64_t>(high),
                     static_cast<uint64_t>(high >> 64) + static_cast<uint64_t>(p11 >> 64)};
    if (na != nb) {
      uint64_t carry = 1;
      for (int i = 0; i < 4; ++i) {
        u128 t = static_cast<u128>(~m[i]) + carry;
        m[i] = static_cast<uint64_t>(t);
        carry = static_cast<uint64_t>(t >> 64);
      }
    }
    for (int i = 0; i < 4; ++i) out[i] = m[i];
  }
}

// v (mantissa m at exponent e, sign neg) at scale 2^scale: +-(m << (e -
// scale)). The caller checked that it fits W limbs signed.
template <int W>
inline Value<W> at_scale(uint64_t m, int e, bool neg, int scale) {
  Value<W> out;
  u128 v = static_cast<u128>(m) << (e - scale);
  if (neg) v = ~v + 1;
  out.w[0] = static_cast<uint64_t>(v);
  if constexpr (W > 1) out.w[1] = static_cast<uint64_t>(v >> 64);
  return out;
}

// Splits a finite non-zero double into m (odd) and e; false for zero.
inline bool split(double v, uint64_t* m, int* e, bool* neg) {
  if (!decompose(v, m, e, neg)) return false;
  int tz = __builtin_ctzll(*m);
  *m >>= tz;
  *e += tz;
  return true;
}

// Bits of m << (e - scale).
inline int bits_at(uint64_t m, int e, int scale) { return 64 - __builtin_clzll(m) + (e - scale); }

// Sums of one fixed representation (L linear, P product limbs, values of W
// limbs) with add and remove of a pair already converted to the scale.
template <int L, int P, int W>
struct Sums {
  uint64_t sx[L], sy[L], sxx[P], syy[P], sxy[P];

  void clear() {
    #pragma GCC unroll 8
    for (int i = 0; i < L; ++i) sx[i] = sy[i] = 0;
    #pragma GCC unroll 8
    for (int i = 0; i < P; ++i) sxx[i] = syy[i] = sxy[i] = 0;
  }
};

template <int L, int P, int W>
inline void add_x(uint64_t* sx, uint64_t* sxx, const Value<W>& v, bool remove) {
  add<L, W>(sx, v.w, remove);
  uint64_t sq[2 * W];
  product<W>(v, v, sq);
  add<P, 2 * W>(sxx, sq, remove);
}

template <int P, int W>
inline void add_xy(uint64_t* sxy, const Value<W>& a, const Value<W>& b, bool remove) {
  uint64_t p[2 * W];
  product<W>(a, b, p);
  add<P, 2 * W>(sxy, p, remove);
}

// n * sab - sa * sb exactly, rounded at scale 2^scale_bits; false when zero.
// R limbs must hold the true result signed (the arithmetic is modulo
// 2^(64 R), so it needs no magnitudes on the way).
template <int L, int P, int R>
inline bool centred(const uint64_t* sab, const uint64_t* sa, const uint64_t* sb, int64_t n, int scale_bits,
                    Scaled* out) {
  static_assert(R >= L && R >= P);
  uint64_t ab[R], a[R], b[R], nn[R], left[R], right[R];
  extend<R, P>(sab, ab);
  extend<R, L>(sa, a);
  extend<R, L>(sb, b);
  #pragma GCC unroll 8
  for (int i = 0; i < R; ++i) nn[i] = 0;
  nn[0] = static_cast<uint64_t>(n);
  mul_mod<R>(ab, nn, left);
  mul_mod<R>(a, b, right);
  add<R, R>(left, right, true);
  uint64_t m[R];
  bool neg = magnitude<R>(left, m);
  int len = R;
  while (len > 0 && m[len - 1] == 0) --len;
  if (len == 0) return false;
  *out = round_limbs64(m, len, scale_bits, neg);
  return true;
}

// Running exact sums over pairs whose values all fit W limbs at the fixed
// scales ex / ey (the caller checked), with adding and removing of a pair;
// R limbs hold the centred sums of at most 2^31 pairs.
template <int L, int P, int W, int R>
struct Accumulator {
  Sums<L, P, W> s;
  int ex, ey;
  int64_t n = 0, bad_x = 0, bad_y = 0;

  Accumulator(int scale_x, int scale_y) : ex(scale_x), ey(scale_y) { s.clear(); }

  void apply(double x, double y, bool remove) {
    int64_t step = remove ? -1 : 1;
    n += step;
    uint64_t m;
    int e;
    bool neg;
    Value<W> ax, ay;
    bool zx = true, zy = true;
    if (!std::isfinite(x)) {
      bad_x += step;
    } else if (split(x, &m, &e, &neg)) {
      ax = at_scale<W>(m, e, neg, ex);
      add_x<L, P, W>(s.sx, s.sxx, ax, remove);
      zx = false;
    }
    if (!std::isfinite(y)) {
      bad_y += step;
    } else if (split(y, &m, &e, &neg)) {
      ay = at_scale<W>(m, e, neg, ey);
      add_x<L, P, W>(s.sy, s.syy, ay, remove);
      zy = false;
    }
    if (!zx && !zy) add_xy<P, W>(s.sxy, ax, ay, remove);
  }

  CorrResult result() const {
    return corr_finish(
        n, bad_x > 0, bad_y > 0, [&](Scaled* o) { return centred<L, P, R>(s.sxx, s.sx, s.sx, n, 2 * ex, o); },
        [&](Scaled* o) { return centred<L, P, R>(s.syy, s.sy, s.sy, n, 2 * ey, o); },
        [&](Scaled* o) { return centred<L, P, R>(s.sxy, s.sx, s.sy, n, ex + ey, o); });
  }
};

// Lowest and one past the highest bit any finite non-zero value of v sets
// (elements whose flag in null or other_null is set are left out; either may
// be nullptr); lo > hi when there is none.
struct BitRange {
  int lo = 1 << 20;
  int hi = -(1 << 20);
  int span() const { return lo <= hi ? hi - lo : 0; }
  int scale() const { return lo <= hi ? lo : 0; }
};

inline BitRange bit_range(const double* v, const uint8_t* null, const uint8_t* other_null, size_t len) {
  BitRange r;
  for (size_t i = 0; i < len; ++i) {
    if ((null != nullptr && null[i]) || (other_null != nullptr && other_null[i])) continue;
    uint64_t m;
    int e;
    bool neg;
    if (!std::isfinite(v[i]) || !split(v[i], &m, &e, &neg)) continue;
    if (e < r.lo) r.lo = e;
    int top = e + 64 - __builtin_clzll(m);
    if (top > r.hi) r.hi = top;
  }
  return r;
}

// Values of up to 63 bits fit the compact representation (L 2, P 3, W 1),
// up to 127 the medium one (3, 5, 2): with fewer than 2^31 pairs the sums
// keep room (63 + 31 < 126, 2 * 127 + 31 < 318 bits), and the centred sums
// n * Sab - Sa * Sb take under 2 * 63 + 2 * 31 + 1 = 189 bits (R = 3 limbs),
// resp. 2 * 127 + 2 * 31 + 1 = 317 (R = 5).
inline constexpr int kCompactValueBits = 63;
inline constexpr int kMediumValueBits = 127;

}  // namespace pulse::limbs

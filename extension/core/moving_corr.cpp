// Exact sums for pulse.moving_corr (see moving_corr.h). Written here rather
// than taken from a big-number library because the state must be a flat,
// trivially copyable struct (palloc'd, serialized by memcpy, no allocation on
// the per-row path) and only add/subtract/multiply of short integers is needed.
#include "core/moving_corr.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace pulse {
namespace {

using u128 = unsigned __int128;
constexpr int64_t kMask = 0xffffffffLL;
// A digit receives at most two 32-bit chunks per row operation, so 2^28
// operations between normalizations keep every |digit| far below 2^63.
constexpr int64_t kNormalizeEvery = int64_t{1} << 28;

template <int N>
void wide_init(WideSum<N>* w) {
  std::memset(w->d, 0, sizeof w->d);
  w->lo = N;
  w->hi = 0;
}

// Adds (or subtracts) m * 2^bit, m < 2^64, bit >= 0.
template <int N>
inline void wide_add(WideSum<N>* w, uint64_t m, int bit, bool subtract) {
  int digit = bit >> 5;
  u128 v = static_cast<u128>(m) << (bit & 31);
  int64_t c0 = static_cast<int64_t>(static_cast<uint64_t>(v) & kMask);
  int64_t c1 = static_cast<int64_t>(static_cast<uint64_t>(v >> 32) & kMask);
  int64_t c2 = static_cast<int64_t>(static_cast<uint64_t>(v >> 64));
  if (subtract) {
    w->d[digit] -= c0;
    w->d[digit + 1] -= c1;
    w->d[digit + 2] -= c2;
  } else {
    w->d[digit] += c0;
    w->d[digit + 1] += c1;
    w->d[digit + 2] += c2;
  }
  // One spare digit above the chunks keeps the top digit's carries small.
  if (digit < w->lo) w->lo = digit;
  if (digit + 4 > w->hi) w->hi = digit + 4;
}

template <int N>
void wide_normalize(WideSum<N>* w) {
  if (w->lo >= w->hi) return;
  int64_t carry = 0;
  for (int i = w->lo; i < w->hi - 1; ++i) {
    int64_t v = w->d[i] + carry;
    carry = v >> 32;  // arithmetic shift: floor division
    w->d[i] = v & kMask;
  }
  w->d[w->hi - 1] += carry;
}

template <int N>
void wide_combine(WideSum<N>* into, const WideSum<N>* other) {
  if (other->lo >= other->hi) return;
  for (int i = other->lo; i < other->hi; ++i) into->d[i] += other->d[i];
  into->lo = std::min(into->lo, other->lo);
  into->hi = std::max(into->hi, other->hi);
}

void apply(CorrState* s, double x, double y, bool subtract) {
  bool fx = std::isfinite(x), fy = std::isfinite(y);
  int64_t step = subtract ? -1 : 1;
  s->n += step;
  if (!fx) s->nonfinite_x += step;
  if (!fy) s->nonfinite_y += step;
  uint64_t mx = 0, my = 0;
  int ex = 0, ey = 0;
  bool nx = false, ny = false;
  bool zx = !fx || !decompose(x, &mx, &ex, &nx);
  bool zy = !fy || !decompose(y, &my, &ey, &ny);
  if (!zx) {
    wide_add(&s->sx, mx, ex + 1074, subtract != nx);
    u128 p = static_cast<u128>(mx) * mx;
    int bit = 2 * ex + 2148;
    wide_add(&s->sxx, static_cast<uint64_t>(p), bit, subtract);
    wide_add(&s->sxx, static_cast<uint64_t>(p >> 64), bit + 64, subtract);
  }
  if (!zy) {
    wide_add(&s->sy, my, ey + 1074, subtract != ny);
    u128 p = static_cast<u128>(my) * my;
    int bit = 2 * ey + 2148;
    wide_add(&s->syy, static_cast<uint64_t>(p), bit, subtract);
    wide_add(&s->syy, static_cast<uint64_t>(p >> 64), bit + 64, subtract);
  }
  if (!zx && !zy) {
    u128 p = static_cast<u128>(mx) * my;
    int bit = ex + ey + 2148;
    bool neg = subtract != (nx != ny);
    wide_add(&s->sxy, static_cast<uint64_t>(p), bit, neg);
    wide_add(&s->sxy, static_cast<uint64_t>(p >> 64), bit + 64, neg);
  }
  if (++s->pending >= kNormalizeEvery) corr_normalize(s);
}

// Sign-magnitude integer on a fixed stack buffer, value = mag * 2^(32*off).
// Big enough for (linear sum)^2 and count * (product sum).
struct Big {
  static constexpr int kCap = 2 * CorrState::kLinDigits + CorrState::kProdDigits + 8;
  uint32_t limb[kCap];
  int len;  // significant limbs; 0 means zero
  int off;  // digit offset of limb[0]
  bool neg;

  void trim() {
    while (len > 0 && limb[len - 1] == 0) --len;
    int skip = 0;
    while (skip < len && limb[skip] == 0) ++skip;
    if (skip > 0) {
      std::memmove(limb, limb + skip, sizeof(uint32_t) * (len - skip));
      len -= skip;
      off += skip;
    }
    if (len == 0) {
      neg = false;
      off = 0;
    }
  }
};

template <int N>
void to_big(const WideSum<N>* w, Big* out) {
  out->neg = false;
  out->off = 0;
  out->len = 0;
  if (w->lo >= w->hi) return;
  int k = 0;
  for (int i = w->lo; i < w->hi - 1; ++i) out->limb[k++] = static_cast<uint32_t>(w->d[i]);
  int64_t top = w->d[w->hi - 1];
  out->limb[k++] = static_cast<uint32_t>(static_cast<uint64_t>(top) & kMask);
  out->limb[k++] = static_cast<uint32_t>(static_cast<uint64_t>(top) >> 32);
  out->len = k;
  out->off = w->lo;
  if (top < 0) {  // two's complement over k limbs -> magnitude
    out->neg = true;
    uint64_t carry = 1;
    for (int i = 0; i < k; ++i) {
      uint64_t v = static_cast<uint64_t>(static_cast<uint32_t>(~out->limb[i])) + carry;
      out->limb[i] = static_cast<uint32_t>(v);
      carry = v >> 32;
    }
  }
  out->trim();
}

void mul(const Big& a, const Big& b, Big* out) {
  out->neg = a.neg != b.neg;
  out->off = a.off + b.off;
  out->len = a.len + b.len;
  if (a.len == 0 || b.len == 0) {
    out->len = 0;
    out->neg = false;
    out->off = 0;
    return;
  }
  std::memset(out->limb, 0, sizeof(uint32_t) * out->len);
  for (int i = 0; i < a.len; ++i) {
    uint64_t carry = 0;
    uint64_t ai = a.limb[i];
    for (int j = 0; j < b.len; ++j) {
      uint64_t t = ai * b.limb[j] + out->limb[i + j] + carry;
      out->limb[i + j] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    int k = i + b.len;
    while (carry != 0) {
      uint64_t t = static_cast<uint64_t>(out->limb[k]) + carry;
      out->limb[k++] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
  }
  out->trim();
}

void mul_small(const Big& a, uint64_t f, Big* out) {
  Big fb;
  fb.limb[0] = static_cast<uint32_t>(f);
  fb.limb[1] = static_cast<uint32_t>(f >> 32);
  fb.len = 2;
  fb.off = 0;
  fb.neg = false;
  fb.trim();
  mul(a, fb, out);
}

// Magnitude of v (whose limbs start at v.off) at digit `at` (<= v.off).
inline uint32_t limb_at(const Big& v, int digit) {
  int i = digit - v.off;
  return (i >= 0 && i < v.len) ? v.limb[i] : 0;
}

int cmp_mag(const Big& a, const Big& b) {
  if (a.len == 0 || b.len == 0) return (a.len != 0) - (b.len != 0);
  int top_a = a.off + a.len, top_b = b.off + b.len;
  int base = std::min(a.off, b.off);
  for (int d = std::max(top_a, top_b) - 1; d >= base; --d) {
    uint32_t x = limb_at(a, d), y = limb_at(b, d);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// out = a - b (signed).
void sub(const Big& a, const Big& b, Big* out) {
  bool b_neg = b.len != 0 && !b.neg;
  if (a.len == 0) {
    *out = b;
    out->neg = b_neg;
    return;
  }
  if (b.len == 0) {
    *out = a;
    return;
  }
  int base = std::min(a.off, b.off);
  int top = std::max(a.off + a.len, b.off + b.len) + 1;
  out->off = base;
  out->len = top - base;
  if (a.neg == b_neg) {  // magnitudes add
    uint64_t carry = 0;
    for (int d = base; d < top; ++d) {
      uint64_t t = static_cast<uint64_t>(limb_at(a, d)) + limb_at(b, d) + carry;
      out->limb[d - base] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    out->neg = a.neg;
  } else {
    int c = cmp_mag(a, b);
    const Big& big = c >= 0 ? a : b;
    const Big& small = c >= 0 ? b : a;
    int64_t borrow = 0;
    for (int d = base; d < top; ++d) {
      int64_t t = static_cast<int64_t>(limb_at(big, d)) - limb_at(small, d) - borrow;
      borrow = t < 0 ? 1 : 0;
      out->limb[d - base] = static_cast<uint32_t>(t + (borrow << 32));
    }
    out->neg = c >= 0 ? a.neg : b_neg;
  }
  out->trim();
}

// n * sum(ab) - sum(a) * sum(b), all exact, at scale 2^-2148, correctly
// rounded into *out; false when it is exactly zero.
bool centred(const WideSum<CorrState::kProdDigits>& prod, const WideSum<CorrState::kLinDigits>& a,
             const WideSum<CorrState::kLinDigits>& b, int64_t n, Scaled* out) {
  Big p, pa, pb, np, ab, r;
  to_big(&prod, &p);
  mul_small(p, static_cast<uint64_t>(n), &np);
  to_big(&a, &pa);
  to_big(&b, &pb);
  mul(pa, pb, &ab);
  sub(np, ab, &r);
  if (r.len == 0) return false;
  *out = round_limbs32(r.limb, r.len, 32 * r.off - 2148, r.neg);
  return true;
}

}  // namespace

void corr_init(CorrState* s) {
  s->kind = kCorrWide;
  s->unused = 0;
  s->n = s->nonfinite_x = s->nonfinite_y = s->pending = 0;
  wide_init(&s->sx);
  wide_init(&s->sy);
  wide_init(&s->sxx);
  wide_init(&s->syy);
  wide_init(&s->sxy);
}

void corr_add(CorrState* s, double x, double y) { apply(s, x, y, false); }
void corr_remove(CorrState* s, double x, double y) { apply(s, x, y, true); }

void corr_normalize(CorrState* s) {
  wide_normalize(&s->sx);
  wide_normalize(&s->sy);
  wide_normalize(&s->sxx);
  wide_normalize(&s->syy);
  wide_normalize(&s->sxy);
  s->pending = 0;
}

void corr_combine(CorrState* into, const CorrState* other) {
  corr_normalize(into);
  into->n += other->n;
  into->nonfinite_x += other->nonfinite_x;
  into->nonfinite_y += other->nonfinite_y;
  wide_combine(&into->sx, &other->sx);
  wide_combine(&into->sy, &other->sy);
  wide_combine(&into->sxx, &other->sxx);
  wide_combine(&into->syy, &other->syy);
  wide_combine(&into->sxy, &other->sxy);
  into->pending = kNormalizeEvery;  // other may not be normalized: do it now
  corr_normalize(into);
}

CorrResult corr_result(CorrState* s) {
  if (s->n < 1) return {true, 0.0};
  corr_normalize(s);
  return corr_finish(
      s->n, s->nonfinite_x > 0, s->nonfinite_y > 0,
      [&](Scaled* out) { return centred(s->sxx, s->sx, s->sx, s->n, out); },
      [&](Scaled* out) { return centred(s->syy, s->sy, s->sy, s->n, out); },
      [&](Scaled* out) { return centred(s->sxy, s->sx, s->sy, s->n, out); });
}

void corr_add_integer(CorrState* s, CorrSum which, const uint64_t* limb, int len, bool neg, int scale_bits) {
  bool product = which == CorrSum::kXX || which == CorrSum::kYY || which == CorrSum::kXY;
  int bit = scale_bits + (product ? 2148 : 1074);
  for (int i = 0; i < len; ++i) {
    if (limb[i] == 0) continue;
    switch (which) {
      case CorrSum::kX: wide_add(&s->sx, limb[i], bit + 64 * i, neg); break;
      case CorrSum::kY: wide_add(&s->sy, limb[i], bit + 64 * i, neg); break;
      case CorrSum::kXX: wide_add(&s->sxx, limb[i], bit + 64 * i, neg); break;
      case CorrSum::kYY: wide_add(&s->syy, limb[i], bit + 64 * i, neg); break;
      case CorrSum::kXY: wide_add(&s->sxy, limb[i], bit + 64 * i, neg); break;
    }
  }
  if (++s->pending >= kNormalizeEvery) corr_normalize(s);
}

}  // namespace pulse

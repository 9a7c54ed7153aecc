// Fixed-point exact correlation states (see corr_fixed.h).
#include "core/corr_fixed.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/corr_limbs.h"

namespace pulse {
namespace {

namespace lb = limbs;

template <typename S>
constexpr int value_limbs() {
  return S::kValueBits <= 63 ? 1 : 2;
}

// One side of a pair: what it adds (if anything) and the scale it needs.
struct Side {
  bool finite;
  bool nonzero;
  uint64_t m;
  int e;
  bool neg;
};

Side side_of(double v) {
  Side s{std::isfinite(v), false, 0, 0, false};
  if (s.finite) s.nonzero = lb::split(v, &s.m, &s.e, &s.neg);
  return s;
}

// The scale a side moves to with this value, and whether the value fits.
template <typename S>
bool new_scale(int16_t old_scale, const Side& v, int* scale, int* shift) {
  *scale = old_scale;
  *shift = 0;
  if (!v.finite || !v.nonzero) return true;
  if (old_scale == S::kNoScale) {
    *scale = v.e;
  } else if (v.e < old_scale) {
    *scale = v.e;
    *shift = old_scale - v.e;
  }
  return lb::bits_at(v.m, v.e, *scale) <= S::kValueBits;
}

}  // namespace

template <typename S>
void fixed_init(S* s) {
  std::memset(s, 0, sizeof *s);
  s->kind = S::kKind;
  s->ex = s->ey = S::kNoScale;
}

template <typename S>
bool fixed_add(S* s, double x, double y) {
  constexpr int L = S::kLin, P = S::kProd, W = value_limbs<S>();
  Side vx = side_of(x), vy = side_of(y);
  int ex, ey, kx, ky;
  if (!new_scale<S>(s->ex, vx, &ex, &kx) || !new_scale<S>(s->ey, vy, &ey, &ky)) return false;
  if (s->n == INT64_MAX || s->nonfinite_x == INT32_MAX || s->nonfinite_y == INT32_MAX) return false;
  if (!lb::has_room<L>(s->sx, kx) || !lb::has_room<P>(s->sxx, 2 * kx) || !lb::has_room<L>(s->sy, ky) ||
      !lb::has_room<P>(s->syy, 2 * ky) || !lb::has_room<P>(s->sxy, kx + ky))
    return false;
  if (kx != 0) {
    lb::shift_left<L>(s->sx, kx);
    lb::shift_left<P>(s->sxx, 2 * kx);
  }
  if (ky != 0) {
    lb::shift_left<L>(s->sy, ky);
    lb::shift_left<P>(s->syy, 2 * ky);
  }
  if (kx + ky != 0) lb::shift_left<P>(s->sxy, kx + ky);
  s->ex = static_cast<int16_t>(ex);
  s->ey = static_cast<int16_t>(ey);
  ++s->n;
  if (!vx.finite) ++s->nonfinite_x;
  if (!vy.finite) ++s->nonfinite_y;
  lb::Value<W> ax, ay;
  if (vx.nonzero) {
    ax = lb::at_scale<W>(vx.m, vx.e, vx.neg, ex);
    lb::add_x<L, P, W>(s->sx, s->sxx, ax, false);
  }
  if (vy.nonzero) {
    ay = lb::at_scale<W>(vy.m, vy.e, vy.neg, ey);
    lb::add_x<L, P, W>(s->sy, s->syy, ay, false);
  }
  if (vx.nonzero && vy.nonzero) lb::add_xy<P, W>(s->sxy, ax, ay, false);
  return true;
}

template <typename S>
bool fixed_combine(S* into, const S* other) {
  constexpr int L = S::kLin, P = S::kProd;
  if (other->n == 0) return true;
  if (into->n > INT64_MAX - other->n || into->nonfinite_x > INT32_MAX - other->nonfinite_x ||
      into->nonfinite_y > INT32_MAX - other->nonfinite_y)
    return false;
  S b = *other;
  auto common = [](int16_t a, int16_t c) { return a == S::kNoScale ? c : (c == S::kNoScale ? a : std::min(a, c)); };
  int ex = common(into->ex, b.ex), ey = common(into->ey, b.ey);
  auto shift_of = [](int16_t from, int to) { return from == S::kNoScale ? 0 : from - to; };
  int ax = shift_of(into->ex, ex), ay = shift_of(into->ey, ey);
  int bx = shift_of(b.ex, ex), by = shift_of(b.ey, ey);
  if (!lb::has_room<L>(into->sx, ax) || !lb::has_room<P>(into->sxx, 2 * ax) || !lb::has_room<L>(into->sy, ay) ||
      !lb::has_room<P>(into->syy, 2 * ay) || !lb::has_room<P>(into->sxy, ax + ay) || !lb::has_room<L>(b.sx, bx) ||
      !lb::has_room<P>(b.sxx, 2 * bx) || !lb::has_room<L>(b.sy, by) || !lb::has_room<P>(b.syy, 2 * by) ||
      !lb::has_room<P>(b.sxy, bx + by))
    return false;
  lb::shift_left<L>(into->sx, ax);
  lb::shift_left<P>(into->sxx, 2 * ax);
  lb::shift_left<L>(into->sy, ay);
  lb::shift_left<P>(into->syy, 2 * ay);
  lb::shift_left<P>(into->sxy, ax + ay);
  lb::shift_left<L>(b.sx, bx);
  lb::shift_left<P>(b.sxx, 2 * bx);
  lb::shift_left<L>(b.sy, by);
  lb::shift_left<P>(b.syy, 2 * by);
  lb::shift_left<P>(b.sxy, bx + by);
  // Both below 2^(64 N - 2) in magnitude: the sums cannot overflow.
  lb::add<L, L>(into->sx, b.sx, false);
  lb::add<L, L>(into->sy, b.sy, false);
  lb::add<P, P>(into->sxx, b.sxx, false);
  lb::add<P, P>(into->syy, b.syy, false);
  lb::add<P, P>(into->sxy, b.sxy, false);
  into->ex = static_cast<int16_t>(ex);
  into->ey = static_cast<int16_t>(ey);
  into->n += b.n;
  into->nonfinite_x += b.nonfinite_x;
  into->nonfinite_y += b.nonfinite_y;
  return true;
}

void fixed_widen(const CorrCompact* from, CorrMedium* to) {
  fixed_init(to);
  to->ex = from->ex;
  to->ey = from->ey;
  to->n = from->n;
  to->nonfinite_x = from->nonfinite_x;
  to->nonfinite_y = from->nonfinite_y;
  // sign-extend each sum into the longer limb arrays
  auto extend = [](const uint64_t* a, int an, uint64_t* out, int outn) {
    uint64_t fill = static_cast<int64_t>(a[an - 1]) < 0 ? ~uint64_t{0} : 0;
    for (int i = 0; i < outn; ++i) out[i] = i < an ? a[i] : fill;
  };
  extend(from->sx, CorrCompact::kLin, to->sx, CorrMedium::kLin);
  extend(from->sy, CorrCompact::kLin, to->sy, CorrMedium::kLin);
  extend(from->sxx, CorrCompact::kProd, to->sxx, CorrMedium::kProd);
  extend(from->syy, CorrCompact::kProd, to->syy, CorrMedium::kProd);
  extend(from->sxy, CorrCompact::kProd, to->sxy, CorrMedium::kProd);
}

template <typename S>
void fixed_to_wide(const S* from, CorrState* to) {
  constexpr int L = S::kLin, P = S::kProd;
  to->n += from->n;
  to->nonfinite_x += from->nonfinite_x;
  to->nonfinite_y += from->nonfinite_y;
  uint64_t m[P];
  auto move = [&](CorrSum which, const uint64_t* a, int len, int scale) {
    bool neg = len == L ? lb::magnitude<L>(a, m) : lb::magnitude<P>(a, m);
    corr_add_integer(to, which, m, len, neg, scale);
  };
  if (from->ex != S::kNoScale) {
    move(CorrSum::kX, from->sx, L, from->ex);
    move(CorrSum::kXX, from->sxx, P, 2 * from->ex);
  }
  if (from->ey != S::kNoScale) {
    move(CorrSum::kY, from->sy, L, from->ey);
    move(CorrSum::kYY, from->syy, P, 2 * from->ey);
  }
  if (from->ex != S::kNoScale && from->ey != S::kNoScale) move(CorrSum::kXY, from->sxy, P, from->ex + from->ey);
}

template <typename S>
CorrResult fixed_result(const S* s) {
  // n < 2^63 and sums below 2^(64 N - 1): the centred sums take under
  // 64 P + 63 bits, and 2 (64 L - 1) bits for the squares of the linear sums.
  constexpr int L = S::kLin, P = S::kProd, R = (P + 1 > 2 * L ? P + 1 : 2 * L);
  return corr_finish(
      s->n, s->nonfinite_x > 0, s->nonfinite_y > 0,
      [&](Scaled* out) { return lb::centred<L, P, R>(s->sxx, s->sx, s->sx, s->n, 2 * s->ex, out); },
      [&](Scaled* out) { return lb::centred<L, P, R>(s->syy, s->sy, s->sy, s->n, 2 * s->ey, out); },
      [&](Scaled* out) { return lb::centred<L, P, R>(s->sxy, s->sx, s->sy, s->n, s->ex + s->ey, out); });
}

template void fixed_init(CorrCompact*);
template void fixed_init(CorrMedium*);
template bool fixed_add(CorrCompact*, double, double);
template bool fixed_add(CorrMedium*, double, double);
template bool fixed_combine(CorrCompact*, const CorrCompact*);
template bool fixed_combine(CorrMedium*, const CorrMedium*);
template void fixed_to_wide(const CorrCompact*, CorrState*);
template void fixed_to_wide(const CorrMedium*, CorrState*);
template CorrResult fixed_result(const CorrCompact*);
template CorrResult fixed_result(const CorrMedium*);

}  // namespace pulse

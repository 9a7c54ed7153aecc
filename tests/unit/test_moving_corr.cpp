// moving_corr's exact states against an independent exact reference (GMP):
// sliding frames with level offsets, 1e12 spikes leaving the frame, frames of
// 100,000 rows, corr() edge semantics, combine; the correct rounding they all
// share; the compact states of plain aggregation (and their moves to larger
// ones), moving_corr_series and lagged_corr against the wide state bit for
// bit on the same edge cases; sessions.
#include <gmpxx.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "core/corr_agg.h"
#include "core/corr_fixed.h"
#include "core/corr_math.h"
#include "core/corr_series.h"
#include "core/error.h"
#include "core/lagged_corr.h"
#include "core/moving_corr.h"
#include "core/session.h"

namespace {

using pulse::CorrResult;
using pulse::CorrState;

// x as the exact integer x * 2^1074.
mpz_class fixed(double x) {
  int e = 0;
  double f = std::frexp(x, &e);  // x = f * 2^e, 0.5 <= |f| < 1
  mpz_class m;
  mpz_set_d(m.get_mpz_t(), std::ldexp(f, 53));  // exact: 53-bit integer
  int shift = e - 53 + 1074;
  if (shift >= 0) {
    m <<= shift;
  } else {
    mpz_class r = m >> -shift;
    EXPECT_EQ(r << -shift, m);  // subnormal: the low bits are zero
    m = r;
  }
  return m;
}

// Exact running sums, independent of the code under test.
struct Exact {
  mpz_class n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  void add(double x, double y, int sign = 1) {
    mpz_class fx = fixed(x), fy = fixed(y);
    n += sign;
    sx += sign * fx;
    sy += sign * fy;
    sxx += sign * fx * fx;
    syy += sign * fy * fy;
    sxy += sign * fx * fy;
  }
  // corr of the exact sums, to 400 bits; NaN for SQL NULL.
  double corr() const {
    mpz_class cxx = n * sxx - sx * sx, cyy = n * syy - sy * sy, cxy = n * sxy - sx * sy;
    if (n < 1 || cxx == 0 || cyy == 0) return std::numeric_limits<double>::quiet_NaN();
    mpf_class a(cxy, 400), b(cxx * cyy, 400);
    mpf_class r = a / sqrt(b);
    return r.get_d();
  }
};

std::unique_ptr<CorrState> fresh() {
  auto s = std::make_unique<CorrState>();
  pulse::corr_init(s.get());
  return s;
}

double value(CorrState* s) {
  CorrResult r = pulse::corr_result(s);
  return r.is_null ? std::numeric_limits<double>::quiet_NaN() : r.value;
}

void expect_close(double got, double want, double tol, const char* where, size_t i) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << where << " row " << i << ": got " << got << ", want NULL";
  } else {
    EXPECT_NEAR(got, want, tol) << where << " row " << i;
  }
}

// Slides a frame of `frame` rows over the series; compares every `check` rows.
void slide_and_compare(const std::vector<double>& x, const std::vector<double>& y, size_t frame,
                       size_t check, double tol, const char* where) {
  auto s = fresh();
  Exact e;
  for (size_t i = 0; i < x.size(); ++i) {
    pulse::corr_add(s.get(), x[i], y[i]);
    e.add(x[i], y[i]);
    if (i >= frame) {
      pulse::corr_remove(s.get(), x[i - frame], y[i - frame]);
      e.add(x[i - frame], y[i - frame], -1);
    }
    if (i % check == 0 || i + 1 == x.size()) expect_close(value(s.get()), e.corr(), tol, where, i);
  }
}

TEST(MovingCorr, PandasSpikeCaseExactPerRow) {
  // pandas issue 66678: rolling(3).corr() gives NaN after the spikes leave.
  std::vector<double> x{1, 2, 1e12, 1e7, 6, 5, 8, 7};
  std::vector<double> y{2, 1, 3, -1e12, 4, 7, 6, 9};
  slide_and_compare(x, y, 3, 1, 1e-15, "spike");
  // The last frames hold only small integers again: corr is exactly known.
  auto s = fresh();
  for (size_t i = 0; i < x.size(); ++i) {
    pulse::corr_add(s.get(), x[i], y[i]);
    if (i >= 3) pulse::corr_remove(s.get(), x[i - 3], y[i - 3]);
  }
  // frame (5,7) (8,6) (7,9): Sxy = 3*(35+48+63) - 20*22 = -2, Sxx = 3*138-400 = 14, Syy = 3*166-484 = 14
  EXPECT_DOUBLE_EQ(value(s.get()), -2.0 / 14.0);
}

TEST(MovingCorr, OffsetAndSpikesInLargeFrames) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, 999);
  const size_t n = 160000;
  std::vector<double> x(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    double common = noise(rng);
    x[i] = 1e9 + common + 0.5 * noise(rng);
    y[i] = -1e9 + 3.0 * common + noise(rng);
    if (pick(rng) == 0) x[i] = 1e12;  // spikes that enter and leave the frame
    if (pick(rng) == 0) y[i] = -1e12;
  }
  slide_and_compare(x, y, 100000, 7919, 1e-12, "frame 100000");
  slide_and_compare(x, y, 60, 997, 1e-12, "frame 60");
}

TEST(MovingCorr, RandomFramesAllMagnitudes) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_int_distribution<int> expo(-1070, 1000);
  std::uniform_int_distribution<int> small_expo(-40, 40);
  for (int round = 0; round < 6; ++round) {
    const size_t n = 3000;
    std::vector<double> x(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      // mostly moderate values, some at extreme exponents (incl. subnormals)
      bool wild = (i % 37) == 0;
      x[i] = std::ldexp(unit(rng), wild ? expo(rng) : small_expo(rng));
      y[i] = std::ldexp(unit(rng), wild ? expo(rng) : small_expo(rng)) + 0.25 * x[i];
      if (i % 101 == 0) x[i] = std::numeric_limits<double>::denorm_min() * (i % 5);
    }
    slide_and_compare(x, y, 1 + round * 97, 13, 1e-14, "magnitudes");
  }
}

TEST(MovingCorr, CorrSemantics) {
  auto s = fresh();
  EXPECT_TRUE(pulse::corr_result(s.get()).is_null);  // no rows
  pulse::corr_add(s.get(), 1, 2);
  EXPECT_TRUE(pulse::corr_result(s.get()).is_null);  // one row
  pulse::corr_add(s.get(), 1, 3);
  EXPECT_TRUE(pulse::corr_result(s.get()).is_null);  // x constant
  pulse::corr_add(s.get(), 2, 3);
  EXPECT_NEAR(value(s.get()), 0.5, 1e-16);
  // constant but not exactly representable sums: still exactly zero variance
  auto c = fresh();
  for (int i = 0; i < 10; ++i) pulse::corr_add(c.get(), 0.1, i);
  EXPECT_TRUE(pulse::corr_result(c.get()).is_null);

  // NaN / infinity: NaN as corr() gives, unless the other side is constant.
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto t = fresh();
  pulse::corr_add(t.get(), 1, 1);
  pulse::corr_add(t.get(), 2, 5);
  pulse::corr_add(t.get(), inf, 3);
  CorrResult r = pulse::corr_result(t.get());
  EXPECT_FALSE(r.is_null);
  EXPECT_TRUE(std::isnan(r.value));
  pulse::corr_remove(t.get(), inf, 3);  // exact again once it leaves
  EXPECT_DOUBLE_EQ(value(t.get()), 1.0);
  auto u = fresh();
  pulse::corr_add(u.get(), nan, 4);
  pulse::corr_add(u.get(), 2, 4);
  EXPECT_TRUE(pulse::corr_result(u.get()).is_null);  // y constant
  auto v = fresh();
  pulse::corr_add(v.get(), nan, nan);  // one row, both sides NaN
  r = pulse::corr_result(v.get());
  EXPECT_FALSE(r.is_null);
  EXPECT_TRUE(std::isnan(r.value));
  // Finite values whose squares overflow a double: corr() reports overflow;
  // the exact sums give the right answer.
  auto w = fresh();
  pulse::corr_add(w.get(), 1e300, -1e300);
  pulse::corr_add(w.get(), -1e300, 1e300);
  EXPECT_DOUBLE_EQ(value(w.get()), -1.0);
}

TEST(MovingCorr, CombineEqualsOneState) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(5e8, 1e3);
  auto all = fresh();
  auto a = fresh();
  auto b = fresh();
  Exact e;
  for (int i = 0; i < 5000; ++i) {
    double x = g(rng), y = (i % 3 == 0 ? -1.0 : 1.0) * g(rng);
    pulse::corr_add(all.get(), x, y);
    pulse::corr_add(i % 2 ? a.get() : b.get(), x, y);
    e.add(x, y);
  }
  pulse::corr_combine(a.get(), b.get());
  EXPECT_EQ(value(a.get()), value(all.get()));
  EXPECT_NEAR(value(a.get()), e.corr(), 1e-15);
  auto empty = fresh();
  pulse::corr_combine(empty.get(), a.get());
  EXPECT_EQ(value(empty.get()), value(all.get()));
}

TEST(MovingCorr, StateSizeMatchesSqlHint) {
  // MSSPACE / SSPACE of pulse.moving_corr (sql/code/70_analytics.sql)
  EXPECT_EQ(sizeof(CorrState), 4424u);
  EXPECT_EQ(sizeof(pulse::CorrCompact), 128u);
  EXPECT_EQ(sizeof(pulse::CorrMedium), 192u);
}

// ---------------------------------------------------------------- rounding

// True when m * 2^e is v * 2^scale rounded to nearest, ties to even.
void expect_correctly_rounded(const mpz_class& v, int scale, pulse::Scaled got) {
  ASSERT_NE(v, 0);
  mpz_class mag = abs(v);
  ASSERT_EQ(got.m < 0, v < 0);
  // got = M * 2^(e - 53) with M a 53-bit integer
  double am = std::fabs(got.m);
  ASSERT_GE(am, 0.5);
  ASSERT_LT(am, 1.0);
  mpz_class M;
  mpz_set_d(M.get_mpz_t(), std::ldexp(am, 53));
  // compare mag * 2^scale with M * 2^(e - 53) on a common exponent
  int lo = std::min(scale, got.e - 53);
  mpz_class a = mag << (scale - lo), b = M << (got.e - 53 - lo), ulp = mpz_class(1) << (got.e - 53 - lo);
  mpz_class err2 = 2 * abs(a - b);
  EXPECT_LE(err2, ulp) << "not nearest";
  if (err2 == ulp) {
    EXPECT_EQ(mpz_class(M % 2), 0) << "tie not to even";
  }
}

TEST(CorrMath, RoundingIsCorrectOnBothLimbWidths) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 4000; ++round) {
    int len = 1 + static_cast<int>(rng() % 6);
    std::vector<uint64_t> w(static_cast<size_t>(len));
    for (auto& x : w) x = rng();
    // exact ties and carries: a 53-bit head followed by 100..0 or 1..1
    if (round % 4 == 1 && len >= 2) {
      w[static_cast<size_t>(len - 1)] = (rng() | 1) >> 11;
      for (int i = 0; i < len - 1; ++i) w[static_cast<size_t>(i)] = i == len - 2 ? uint64_t{1} << 63 : 0;
    } else if (round % 4 == 2) {
      for (auto& x : w) x = ~uint64_t{0};
    } else if (round % 4 == 3) {
      w[static_cast<size_t>(len - 1)] >>= rng() % 64;
    }
    if (w[static_cast<size_t>(len - 1)] == 0) w[static_cast<size_t>(len - 1)] = 1;
    int scale = static_cast<int>(rng() % 4000) - 2200;
    bool neg = (rng() & 1) != 0;
    mpz_class v = 0;
    for (int i = len - 1; i >= 0; --i) v = (v << 64) + mpz_class(std::to_string(w[static_cast<size_t>(i)]));
    if (neg) v = -v;
    expect_correctly_rounded(v, scale, pulse::round_limbs64(w.data(), len, scale, neg));
    std::vector<uint32_t> h;
    for (uint64_t x : w) {
      h.push_back(static_cast<uint32_t>(x));
      h.push_back(static_cast<uint32_t>(x >> 32));
    }
    pulse::Scaled s32 = pulse::round_limbs32(h.data(), static_cast<int>(h.size()), scale, neg);
    pulse::Scaled s64 = pulse::round_limbs64(w.data(), len, scale, neg);
    EXPECT_EQ(s32.m, s64.m);
    EXPECT_EQ(s32.e, s64.e);
  }
}

// ------------------------------------------------- compact aggregate states

// Bit-identical results: the same double, or both NULL, or both NaN.
void expect_same(CorrResult a, CorrResult b, const char* where, size_t i) {
  ASSERT_EQ(a.is_null, b.is_null) << where << " row " << i;
  if (a.is_null) return;
  if (std::isnan(a.value) || std::isnan(b.value)) {
    EXPECT_TRUE(std::isnan(a.value) && std::isnan(b.value)) << where << " row " << i;
  } else {
    EXPECT_EQ(a.value, b.value) << where << " row " << i;
  }
}

pulse::CorrArena heap_arena() {
  return {[](void*, size_t size) { return std::malloc(size); }, [](void* chunk) { std::free(chunk); }, nullptr};
}

// The edge series: each a name, x and y (NaN stands for itself, not NULL).
struct Series {
  const char* name;
  std::vector<double> x, y;
};

std::vector<Series> edge_series() {
  std::vector<Series> out;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.push_back({"pandas spike", {1, 2, 1e12, 1e7, 6, 5, 8, 7}, {2, 1, 3, -1e12, 4, 7, 6, 9}});
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, 999);
  Series level{"level 1e9, spikes 1e12", {}, {}};
  for (int i = 0; i < 20000; ++i) {
    double common = noise(rng);
    level.x.push_back(pick(rng) == 0 ? 1e12 : 1e9 + common + 0.5 * noise(rng));
    level.y.push_back(pick(rng) == 0 ? -1e12 : -1e9 + 3.0 * common + noise(rng));
  }
  out.push_back(level);
  Series sines{"1e9 + 3 sin(i), as the benchmark", {}, {}};
  for (int i = 1; i <= 5000; ++i) {
    bool spike = i % 2500 == 1000;
    sines.x.push_back(spike ? 1e12 : 1e9 + 3 * std::sin(i));
    sines.y.push_back(spike ? -1e12 : -1e9 + 3 * std::sin(i) + std::cos(7.0 * i));
  }
  out.push_back(sines);
  Series prices{"prices and volumes (medium)", {}, {}};
  for (int i = 0; i < 5000; ++i) {
    prices.x.push_back(60000.0 + 0.01 * (i % 977) + noise(rng));
    prices.y.push_back(std::fabs(noise(rng)) * 1e-3 * (1 + i % 13));
  }
  out.push_back(prices);
  Series wild{"all magnitudes (wide)", {}, {}};
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_int_distribution<int> expo(-1070, 1000);
  for (int i = 0; i < 3000; ++i) {
    bool w = (i % 37) == 0;
    wild.x.push_back(std::ldexp(unit(rng), w ? expo(rng) : i % 40 - 20));
    wild.y.push_back(std::ldexp(unit(rng), w ? expo(rng) : i % 30 - 15) + 0.25 * wild.x.back());
    if (i % 101 == 0) wild.x.back() = std::numeric_limits<double>::denorm_min() * (i % 5);
  }
  out.push_back(wild);
  out.push_back({"integers with NaN and infinities",
                 {1, 2, inf, 3, 4, nan, 5, 6, 7, -inf, 8, 9, 10, 11, 12},
                 {5, 3, 4, nan, 1, 2, inf, 8, 9, 7, 6, 5, 4, 3, 2}});
  out.push_back({"constant x", std::vector<double>(50, 0.1), {}});
  for (int i = 0; i < 50; ++i) out.back().y.push_back(i);
  out.push_back({"zeros", std::vector<double>(10, 0.0), std::vector<double>(10, 0.0)});
  out.push_back({"overflowing squares", {1e300, -1e300, 0, 1e300}, {-1e300, 1e300, 0, 1e299}});
  return out;
}

TEST(CorrAggregate, CompactStatesEqualWideBitForBitAndGmp) {
  pulse::CorrArena arena = heap_arena();
  for (const Series& s : edge_series()) {
    void* agg = pulse::corr_agg_new(arena, false);
    auto wide = fresh();
    Exact e;
    for (size_t i = 0; i < s.x.size(); ++i) {
      agg = pulse::corr_agg_add(arena, agg, s.x[i], s.y[i]);
      pulse::corr_add(wide.get(), s.x[i], s.y[i]);
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) e.add(s.x[i], s.y[i]);
      if (i % 97 == 0 || i + 1 == s.x.size()) {
        expect_same(pulse::corr_agg_result(agg), pulse::corr_result(wide.get()), s.name, i);
        bool finite = wide->nonfinite_x == 0 && wide->nonfinite_y == 0;
        if (finite) expect_close(value(wide.get()), e.corr(), 1e-15, s.name, i);
      }
    }
    std::free(agg);
  }
}

TEST(CorrAggregate, StatesMoveToLargerKindsOnlyWhenNeeded) {
  pulse::CorrArena arena = heap_arena();
  void* s = pulse::corr_agg_new(arena, false);
  EXPECT_EQ(pulse::corr_agg_kind(s), pulse::kCorrCompact);
  for (int i = 0; i < 1000; ++i) s = pulse::corr_agg_add(arena, s, 1e9 + 3 * std::sin(i), i);
  s = pulse::corr_agg_add(arena, s, 1e12, -1e12);  // spikes: still 63 bits
  EXPECT_EQ(pulse::corr_agg_kind(s), pulse::kCorrCompact);
  s = pulse::corr_agg_add(arena, s, 0.001, 3);  // 0.001 next to 1e12: 90 bits
  EXPECT_EQ(pulse::corr_agg_kind(s), pulse::kCorrMedium);
  s = pulse::corr_agg_add(arena, s, 1e-300, 3);
  EXPECT_EQ(pulse::corr_agg_kind(s), pulse::kCorrWide);
  std::free(s);
  void* wide = pulse::corr_agg_new(arena, true);
  EXPECT_EQ(pulse::corr_agg_kind(wide), pulse::kCorrWide);
  std::free(wide);
}

// Partial states of every kind combine into the answer of one state.
TEST(CorrAggregate, CombineAcrossKindsAndScalesIsExact) {
  pulse::CorrArena arena = heap_arena();
  std::vector<Series> all = edge_series();
  for (const Series& s : all) {
    for (int parts : {2, 3, 7}) {
      std::vector<void*> partial;
      for (int p = 0; p < parts; ++p) partial.push_back(pulse::corr_agg_new(arena, p == 2));
      void* one = pulse::corr_agg_new(arena, false);
      for (size_t i = 0; i < s.x.size(); ++i) {
        // rows spread so the partials see different magnitudes first
        size_t p = (i * 7 + i / 5) % static_cast<size_t>(parts);
        partial[p] = pulse::corr_agg_add(arena, partial[p], s.x[i], s.y[i]);
        one = pulse::corr_agg_add(arena, one, s.x[i], s.y[i]);
      }
      void* into = pulse::corr_agg_new(arena, false);
      for (void* p : partial) {
        into = pulse::corr_agg_combine(arena, into, p);
        std::free(p);
      }
      expect_same(pulse::corr_agg_result(into), pulse::corr_agg_result(one), s.name, static_cast<size_t>(parts));
      std::free(into);
      std::free(one);
    }
  }
  // scales far apart: compact + compact needs a larger kind
  void* a = pulse::corr_agg_add(arena, pulse::corr_agg_new(arena, false), 1e-10, 1);
  a = pulse::corr_agg_add(arena, a, 2e-10, 3);
  void* b = pulse::corr_agg_add(arena, pulse::corr_agg_new(arena, false), 1e15, 2);
  b = pulse::corr_agg_add(arena, b, 3e15, 1);
  EXPECT_EQ(pulse::corr_agg_kind(a), pulse::kCorrCompact);
  EXPECT_EQ(pulse::corr_agg_kind(b), pulse::kCorrCompact);
  a = pulse::corr_agg_combine(arena, a, b);
  EXPECT_NE(pulse::corr_agg_kind(a), pulse::kCorrCompact);
  auto w = fresh();
  for (auto [x, y] : {std::pair{1e-10, 1.0}, {2e-10, 3.0}, {1e15, 2.0}, {3e15, 1.0}}) pulse::corr_add(w.get(), x, y);
  expect_same(pulse::corr_agg_result(a), pulse::corr_result(w.get()), "far scales", 0);
  std::free(a);
  std::free(b);
}

// ------------------------------------------------------------------ series

// The wide state sliding over the same frames, element by element.
std::vector<CorrResult> sliding_wide(const std::vector<double>& x, const std::vector<double>& y,
                                     const std::vector<uint8_t>& null, size_t frame) {
  auto s = fresh();
  std::vector<CorrResult> out;
  for (size_t i = 0; i < x.size(); ++i) {
    if (null.empty() || !null[i]) pulse::corr_add(s.get(), x[i], y[i]);
    if (i >= frame && (null.empty() || !null[i - frame])) pulse::corr_remove(s.get(), x[i - frame], y[i - frame]);
    out.push_back(pulse::corr_result(s.get()));
  }
  return out;
}

TEST(CorrSeries, EqualsSlidingWideStateBitForBit) {
  std::vector<pulse::SeriesPath> paths;
  for (const Series& s : edge_series()) {
    size_t len = s.x.size();
    for (size_t frame : {size_t{1}, size_t{3}, size_t{60}, size_t{1440}, len + 5}) {
      for (bool with_nulls : {false, true}) {
        std::vector<uint8_t> xn(len, 0), yn(len, 0), both(len, 0);
        if (with_nulls)
          for (size_t i = 0; i < len; ++i) {
            xn[i] = i % 4 == 1;
            yn[i] = i % 5 == 2;
            both[i] = xn[i] || yn[i];
          }
        std::vector<double> out(len);
        std::vector<uint8_t> out_null(len);
        paths.push_back(pulse::moving_corr_series(s.x.data(), with_nulls ? xn.data() : nullptr, len, s.y.data(),
                                                  with_nulls ? yn.data() : nullptr, len,
                                                  static_cast<int64_t>(frame), out.data(), out_null.data()));
        std::vector<CorrResult> want = sliding_wide(s.x, s.y, with_nulls ? both : std::vector<uint8_t>{}, frame);
        for (size_t i = 0; i < len; ++i) expect_same({out_null[i] != 0, out[i]}, want[i], s.name, i);
      }
    }
  }
  // every representation was exercised
  for (auto p : {pulse::SeriesPath::kCompact, pulse::SeriesPath::kMedium, pulse::SeriesPath::kWide})
    EXPECT_NE(std::find(paths.begin(), paths.end(), p), paths.end());
}

TEST(CorrSeries, LargeFrameAgainstGmp) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0.0, 1.0);
  const size_t n = 130000, frame = 100000;
  std::vector<double> x(n), y(n), out(n);
  std::vector<uint8_t> out_null(n);
  for (size_t i = 0; i < n; ++i) {
    double c = noise(rng);
    x[i] = i % 1000 == 7 ? 1e12 : 1e9 + c;
    y[i] = i % 1300 == 9 ? -1e12 : -1e9 + 2 * c + noise(rng);
  }
  EXPECT_EQ(pulse::moving_corr_series(x.data(), nullptr, n, y.data(), nullptr, n, frame, out.data(), out_null.data()),
            pulse::SeriesPath::kCompact);
  Exact e;
  for (size_t i = 0; i < n; ++i) {
    e.add(x[i], y[i]);
    if (i >= frame) e.add(x[i - frame], y[i - frame], -1);
    if (i % 4999 == 0 || i + 1 == n) expect_close(out_null[i] ? std::nan("") : out[i], e.corr(), 1e-15, "series", i);
  }
}

TEST(CorrSeries, Errors) {
  double v[3] = {1, 2, 3};
  double out[3];
  uint8_t out_null[3];
  EXPECT_THROW(pulse::moving_corr_series(v, nullptr, 3, v, nullptr, 2, 2, out, out_null), pulse::Error);
  EXPECT_THROW(pulse::moving_corr_series(v, nullptr, 3, v, nullptr, 3, 0, out, out_null), pulse::Error);
  EXPECT_THROW(pulse::moving_corr_series(v, nullptr, 3, v, nullptr, 3, -4, out, out_null), pulse::Error);
  EXPECT_EQ(pulse::moving_corr_series(v, nullptr, 0, v, nullptr, 0, 5, out, out_null), pulse::SeriesPath::kCompact);
}

TEST(LaggedCorr, FixedPointPathsEqualWideBitForBit) {
  for (const Series& s : edge_series()) {
    size_t len = s.x.size();
    if (len < 10) continue;
    std::vector<uint8_t> xn(len, 0), yn(len, 0);
    for (size_t i = 0; i < len; ++i) {
      xn[i] = i % 7 == 3;
      yn[i] = i % 11 == 5;
    }
    int64_t max_lag = std::min<int64_t>(30, static_cast<int64_t>(len) - 1);
    for (bool nulls : {false, true}) {
      const uint8_t* a = nulls ? xn.data() : nullptr;
      const uint8_t* b = nulls ? yn.data() : nullptr;
      auto got = pulse::lagged_corr(s.x.data(), a, len, s.y.data(), b, len, max_lag);
      auto want = pulse::lagged_corr_wide(s.x.data(), a, s.y.data(), b, len, max_lag);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].lag, want[i].lag);
        EXPECT_EQ(got[i].n, want[i].n);
        expect_same(got[i].corr, want[i].corr, s.name, i);
      }
    }
  }
}

TEST(LaggedCorr, FindsPlantedLead) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  const size_t n = 500;
  std::vector<double> x(n), y(n, 0.0);
  for (size_t i = 0; i < n; ++i) x[i] = g(rng);
  for (size_t i = 0; i < n; ++i) y[i] = (i >= 3 ? 2.0 * x[i - 3] + 10.0 : 0.0) + 0.01 * g(rng);
  auto rows = pulse::lagged_corr(x, {}, y, {}, 5);
  ASSERT_EQ(rows.size(), 11u);
  int best = 0;
  double best_corr = -2;
  for (const auto& r : rows) {
    EXPECT_EQ(r.n, static_cast<int64_t>(n) - std::abs(r.lag));
    if (!r.corr.is_null && r.corr.value > best_corr) {
      best_corr = r.corr.value;
      best = r.lag;
    }
  }
  EXPECT_EQ(best, 3);  // x leads y by 3
  EXPECT_GT(best_corr, 0.999);
}

TEST(LaggedCorr, NullsAndErrors) {
  std::vector<double> x{1, 2, 3, 4}, y{2, 4, 6, 9};
  std::vector<bool> xn{false, true, false, false};
  auto rows = pulse::lagged_corr(x, xn, y, {}, 1);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].lag, 0);
  EXPECT_EQ(rows[1].n, 3);  // the pair with the NULL x is skipped
  EXPECT_THROW(pulse::lagged_corr(x, {}, {1, 2, 3}, {}, 1), pulse::Error);
  EXPECT_THROW(pulse::lagged_corr(x, {}, y, {}, -1), pulse::Error);
  EXPECT_THROW(pulse::lagged_corr(x, {}, y, {}, 4), pulse::Error);
  std::vector<double> big(30000, 1.0);
  EXPECT_THROW(pulse::lagged_corr(big, {}, big, {}, 10000), pulse::Error);  // runaway guard
}

TEST(Session, StartsAndGaps) {
  pulse::SessionTracker t;
  EXPECT_EQ(t.next(100, 10), 100);
  EXPECT_EQ(t.next(109, 10), 100);
  EXPECT_EQ(t.next(119, 10), 119);  // exactly gap after the previous row
  EXPECT_EQ(t.next(119, 10), 119);
  EXPECT_THROW(t.next(50, 10), pulse::Error);  // out of order
  EXPECT_THROW(t.next(200, 0), pulse::Error);
  pulse::SessionTracker inf;
  EXPECT_EQ(inf.next(std::numeric_limits<int64_t>::min(), 10), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(inf.next(0, 10), 0);  // no overflow on the difference
}

TEST(Session, GapFromIntervalFields) {
  constexpr int64_t kDay = int64_t{86400} * 1000 * 1000;
  EXPECT_EQ(pulse::session_gap_micros(0, 0, 1), 1);
  EXPECT_EQ(pulse::session_gap_micros(0, 1, -1), kDay - 1);
  EXPECT_THROW(pulse::session_gap_micros(1, 0, 0), pulse::Error);   // months have no fixed length
  EXPECT_THROW(pulse::session_gap_micros(0, 0, 0), pulse::Error);   // not positive
  EXPECT_THROW(pulse::session_gap_micros(0, -1, 5), pulse::Error);
  EXPECT_THROW(pulse::session_gap_micros(0, INT32_MAX, INT64_MAX), pulse::Error);  // out of range
}

}  // namespace

// moving_corr's exact state against an independent exact reference (GMP):
// sliding frames with level offsets, 1e12 spikes leaving the frame, frames of
// 100,000 rows, corr() edge semantics, combine, and lagged_corr / sessions.
#include <gmpxx.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <vector>

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
  // SSPACE / MSSPACE of pulse.moving_corr (sql/code/70_analytics.sql)
  EXPECT_EQ(sizeof(CorrState), 4416u);
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

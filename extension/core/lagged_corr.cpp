// Lagged correlation: one exact corr state per lag (see lagged_corr.h).
#include "core/lagged_corr.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "core/corr_limbs.h"
#include "core/error.h"
#include "core/interrupts.h"

namespace pulse {
namespace {

namespace lb = limbs;

// The sliding path keeps each side's values scaled (up to 32 bytes an
// element): only for arrays up to this length.
constexpr int64_t kSlidingMaxLength = 2'000'000;

struct Series {
  const double* x;
  const uint8_t* x_null;
  const double* y;
  const uint8_t* y_null;
  int64_t len;

  bool skipped(int64_t t, int64_t u) const {
    return (x_null != nullptr && x_null[t]) || (y_null != nullptr && y_null[u]);
  }
};

// For every lag, add(t, u) for each pair t, u = t + lag, then out(lag, n):
// a cancel check every chunk (up to 200 million pairs in all).
template <typename Begin, typename Add, typename End>
void each_pair(const Series& s, int64_t max_lag, Begin begin, Add add, End end) {
  for (int64_t lag = -max_lag; lag <= max_lag; ++lag) {
    begin();
    int64_t t0 = lag < 0 ? -lag : 0;
    int64_t t1 = lag > 0 ? s.len - lag : s.len;
    for (int64_t c0 = t0; c0 < t1; c0 += kInterruptCheckInterval) {
      check_interrupts();
      const int64_t c1 = std::min(t1, c0 + kInterruptCheckInterval);
      for (int64_t t = c0; t < c1; ++t)
        if (!s.skipped(t, t + lag)) add(t, t + lag);
    }
    end(lag);
  }
}

// Per element: the value at the side's scale (0 for NULL, zero, NaN or an
// infinity) and whether it is a NaN or an infinity.
template <int W>
struct Scaled {
  std::vector<lb::Value<W>> v;
  std::vector<uint8_t> bad;
};

template <int W>
Scaled<W> scale_all(const double* a, const uint8_t* null, int64_t len, int scale) {
  Scaled<W> out;
  out.v.assign(static_cast<size_t>(len), lb::Value<W>{});
  out.bad.assign(static_cast<size_t>(len), 0);
  for (int64_t i = 0; i < len; ++i) {
    if (null != nullptr && null[i]) continue;
    uint64_t m;
    int e;
    bool neg;
    if (!std::isfinite(a[i])) {
      out.bad[static_cast<size_t>(i)] = 1;
    } else if (lb::split(a[i], &m, &e, &neg)) {
      out.v[static_cast<size_t>(i)] = lb::at_scale<W>(m, e, neg, scale);
    }
  }
  return out;
}

// Sa and Saa over a range of one side that grows or shrinks by one element.
template <int L, int P, int W>
struct SideSums {
  uint64_t s[L] = {}, ss[P] = {};
  int64_t bad = 0;
  void apply(const Scaled<W>& a, int64_t i, bool remove) {
    bad += a.bad[static_cast<size_t>(i)] ? (remove ? -1 : 1) : 0;
    lb::add_x<L, P, W>(s, ss, a.v[static_cast<size_t>(i)], remove);
  }
};

// sum over t in [t0, t1) of x[t] * y[t + lag], P limbs.
template <int P, int W>
void dot(const Scaled<W>& x, const Scaled<W>& y, int64_t t0, int64_t t1, int64_t lag, uint64_t* out) {
  for (int i = 0; i < P; ++i) out[i] = 0;
  if constexpr (W == 1) {
    // 64 x 64-bit products: sum the low and the high halves apart (each
    // below 2^64 per term), so a term costs one multiplication and two adds.
    using u128 = unsigned __int128;
    for (int64_t c0 = t0; c0 < t1; c0 += kInterruptCheckInterval) {
      check_interrupts();
      const int64_t c1 = std::min(t1, c0 + kInterruptCheckInterval);
      u128 lo = 0;
      __int128 hi = 0;
      for (int64_t t = c0; t < c1; ++t) {
        __int128 p = static_cast<__int128>(static_cast<int64_t>(x.v[static_cast<size_t>(t)].w[0])) *
                     static_cast<int64_t>(y.v[static_cast<size_t>(t + lag)].w[0]);
        lo += static_cast<uint64_t>(p);
        hi += static_cast<int64_t>(static_cast<u128>(p) >> 64);
      }
      // lo < 2^78 and |hi| < 2^76 per chunk: add lo + hi * 2^64 to out
      uint64_t part[3];
      __int128 h = hi + static_cast<__int128>(lo >> 64);
      part[0] = static_cast<uint64_t>(lo);
      part[1] = static_cast<uint64_t>(h);
      part[2] = static_cast<uint64_t>(static_cast<u128>(h) >> 64);
      lb::add<P, 3>(out, part, false);
    }
  } else {
    for (int64_t c0 = t0; c0 < t1; c0 += kInterruptCheckInterval) {
      check_interrupts();
      const int64_t c1 = std::min(t1, c0 + kInterruptCheckInterval);
      for (int64_t t = c0; t < c1; ++t)
        lb::add_xy<P, W>(out, x.v[static_cast<size_t>(t)], y.v[static_cast<size_t>(t + lag)], false);
    }
  }
}

// No NULL element: per lag, the pairs are t in [t0, t1) with t + lag; the
// one-side sums follow the ranges as the lag moves by one (exact integers, so
// removing is exact), and only Sxy is summed per pair.
template <int L, int P, int W, int R>
std::vector<LagCorr> run_sliding(const Series& s, int64_t max_lag, int ex, int ey) {
  Scaled<W> x = scale_all<W>(s.x, nullptr, s.len, ex), y = scale_all<W>(s.y, nullptr, s.len, ey);
  std::vector<LagCorr> out;
  out.reserve(static_cast<size_t>(2 * max_lag + 1));
  SideSums<L, P, W> sx, sy;
  // lag = -max_lag: x over [max_lag, len), y over [0, len - max_lag)
  for (int64_t t = max_lag; t < s.len; ++t) sx.apply(x, t, false);
  for (int64_t u = 0; u < s.len - max_lag; ++u) sy.apply(y, u, false);
  for (int64_t lag = -max_lag; lag <= max_lag; ++lag) {
    if (lag > -max_lag) {
      if (lag <= 0) {  // x gains t = -lag, y gains u = len + lag - 1
        sx.apply(x, -lag, false);
        sy.apply(y, s.len + lag - 1, false);
      } else {  // x loses t = len - lag, y loses u = lag - 1
        sx.apply(x, s.len - lag, true);
        sy.apply(y, lag - 1, true);
      }
    }
    int64_t t0 = lag < 0 ? -lag : 0, t1 = lag > 0 ? s.len - lag : s.len;
    uint64_t sxy[P];
    dot<P, W>(x, y, t0, t1, lag, sxy);
    int64_t n = t1 - t0;
    CorrResult r = corr_finish(
        n, sx.bad > 0, sy.bad > 0, [&](pulse::Scaled* o) { return lb::centred<L, P, R>(sx.ss, sx.s, sx.s, n, 2 * ex, o); },
        [&](pulse::Scaled* o) { return lb::centred<L, P, R>(sy.ss, sy.s, sy.s, n, 2 * ey, o); },
        [&](pulse::Scaled* o) { return lb::centred<L, P, R>(sxy, sx.s, sy.s, n, ex + ey, o); });
    out.push_back({static_cast<int>(lag), n, r});
  }
  return out;
}

// With NULL elements: every sum per pair.
template <int L, int P, int W, int R>
std::vector<LagCorr> run_fixed(const Series& s, int64_t max_lag, int ex, int ey) {
  if (s.x_null == nullptr && s.y_null == nullptr && s.len <= kSlidingMaxLength)
    return run_sliding<L, P, W, R>(s, max_lag, ex, ey);
  std::vector<LagCorr> out;
  out.reserve(static_cast<size_t>(2 * max_lag + 1));
  std::unique_ptr<lb::Accumulator<L, P, W, R>> acc;
  each_pair(
      s, max_lag, [&] { acc = std::make_unique<lb::Accumulator<L, P, W, R>>(ex, ey); },
      [&](int64_t t, int64_t u) { acc->apply(s.x[t], s.y[u], false); },
      [&](int64_t lag) { out.push_back({static_cast<int>(lag), acc->n, acc->result()}); });
  return out;
}

std::vector<LagCorr> run_wide(const Series& s, int64_t max_lag) {
  std::vector<LagCorr> out;
  out.reserve(static_cast<size_t>(2 * max_lag + 1));
  auto state = std::make_unique<CorrState>();
  each_pair(
      s, max_lag, [&] { corr_init(state.get()); },
      [&](int64_t t, int64_t u) { corr_add(state.get(), s.x[t], s.y[u]); },
      [&](int64_t lag) { out.push_back({static_cast<int>(lag), state->n, corr_result(state.get())}); });
  return out;
}

void check_arguments(size_t x_len, size_t y_len, int64_t max_lag) {
  const int64_t len = static_cast<int64_t>(x_len);
  if (x_len != y_len)
    throw Error(sqlstate::kInvalidParameterValue, "x and y must have the same length",
                "x has " + std::to_string(x_len) + " elements, y has " + std::to_string(y_len) + ".");
  if (max_lag < 0)
    throw Error(sqlstate::kInvalidParameterValue, "max_lag must not be negative");
  if (len > kLaggedCorrMaxLength)
    throw Error(sqlstate::kProgramLimitExceeded, "arrays are too long for lagged_corr",
                "At most " + std::to_string(kLaggedCorrMaxLength) + " elements are allowed.");
  if (max_lag >= len)
    throw Error(sqlstate::kInvalidParameterValue, "max_lag must be less than the array length",
                "max_lag is " + std::to_string(max_lag) + ", the arrays have " + std::to_string(len) +
                    " elements.");
  // Pairs visited: sum over lags of (len - |lag|).
  int64_t pairs = len + max_lag * (2 * len - max_lag - 1);
  if (pairs > kLaggedCorrMaxPairs)
    throw Error(sqlstate::kProgramLimitExceeded, "lagged_corr would visit too many pairs",
                std::to_string(pairs) + " pairs; at most " + std::to_string(kLaggedCorrMaxPairs) +
                    " are allowed.",
                "Use a smaller max_lag or shorter series.");
}

}  // namespace

std::vector<LagCorr> lagged_corr(const double* x, const uint8_t* x_null, size_t x_len, const double* y,
                                 const uint8_t* y_null, size_t y_len, int64_t max_lag) {
  check_arguments(x_len, y_len, max_lag);
  Series s{x, x_null, y, y_null, static_cast<int64_t>(x_len)};
  // Every non-NULL value may meet a non-NULL partner at some lag.
  lb::BitRange bx = lb::bit_range(x, x_null, nullptr, x_len), by = lb::bit_range(y, y_null, nullptr, y_len);
  int span = std::max(bx.span(), by.span());
  if (span <= lb::kCompactValueBits) return run_fixed<2, 3, 1, 3>(s, max_lag, bx.scale(), by.scale());
  if (span <= lb::kMediumValueBits) return run_fixed<3, 5, 2, 5>(s, max_lag, bx.scale(), by.scale());
  return run_wide(s, max_lag);
}

std::vector<LagCorr> lagged_corr_wide(const double* x, const uint8_t* x_null, const double* y,
                                      const uint8_t* y_null, size_t len, int64_t max_lag) {
  check_arguments(len, len, max_lag);
  return run_wide(Series{x, x_null, y, y_null, static_cast<int64_t>(len)}, max_lag);
}

std::vector<LagCorr> lagged_corr(const std::vector<double>& x, const std::vector<bool>& x_null,
                                 const std::vector<double>& y, const std::vector<bool>& y_null,
                                 int64_t max_lag) {
  auto flags = [](const std::vector<bool>& v) { return std::vector<uint8_t>(v.begin(), v.end()); };
  std::vector<uint8_t> xn = flags(x_null), yn = flags(y_null);
  if (!xn.empty() && xn.size() != x.size())
    throw Error(sqlstate::kInvalidParameterValue, "x_null must have one flag per element of x");
  if (!yn.empty() && yn.size() != y.size())
    throw Error(sqlstate::kInvalidParameterValue, "y_null must have one flag per element of y");
  return lagged_corr(x.data(), xn.empty() ? nullptr : xn.data(), x.size(), y.data(),
                     yn.empty() ? nullptr : yn.data(), y.size(), max_lag);
}

}  // namespace pulse

// One pass of exact sliding sums for pulse.moving_corr_series (corr_series.h).
#include "core/corr_series.h"

#include <algorithm>
#include <memory>
#include <string>

#include "core/corr_limbs.h"
#include "core/error.h"
#include "core/interrupts.h"
#include "core/moving_corr.h"

namespace pulse {
namespace {

namespace lb = limbs;

struct Inputs {
  const double* x;
  const uint8_t* x_null;
  const double* y;
  const uint8_t* y_null;
  size_t len;
  size_t frame;
  double* out;
  uint8_t* out_null;

  bool skipped(size_t i) const { return (x_null != nullptr && x_null[i]) || (y_null != nullptr && y_null[i]); }

  void put(size_t i, CorrResult r) const {
    out_null[i] = r.is_null ? 1 : 0;
    out[i] = r.is_null ? 0.0 : r.value;
  }
};

// Runs body(i) for every element, with a cancel check every chunk.
template <typename Body>
void each_element(size_t len, Body body) {
  for (size_t c0 = 0; c0 < len; c0 += static_cast<size_t>(kInterruptCheckInterval)) {
    check_interrupts();
    size_t c1 = std::min(len, c0 + static_cast<size_t>(kInterruptCheckInterval));
    for (size_t i = c0; i < c1; ++i) body(i);
  }
}

template <int L, int P, int W, int R>
void run_fixed(const Inputs& in, int ex, int ey) {
  lb::Accumulator<L, P, W, R> acc(ex, ey);
  each_element(in.len, [&](size_t i) {
    if (!in.skipped(i)) acc.apply(in.x[i], in.y[i], false);
    if (i >= in.frame && !in.skipped(i - in.frame)) acc.apply(in.x[i - in.frame], in.y[i - in.frame], true);
    in.put(i, acc.result());
  });
}

void run_wide(const Inputs& in) {
  auto s = std::make_unique<CorrState>();
  corr_init(s.get());
  each_element(in.len, [&](size_t i) {
    if (!in.skipped(i)) corr_add(s.get(), in.x[i], in.y[i]);
    if (i >= in.frame && !in.skipped(i - in.frame)) corr_remove(s.get(), in.x[i - in.frame], in.y[i - in.frame]);
    in.put(i, corr_result(s.get()));
  });
}

}  // namespace

SeriesPath moving_corr_series(const double* x, const uint8_t* x_null, size_t x_len, const double* y,
                              const uint8_t* y_null, size_t y_len, int64_t frame, double* out,
                              uint8_t* out_null) {
  if (x_len != y_len)
    throw Error(sqlstate::kInvalidParameterValue, "x and y must have the same length",
                "x has " + std::to_string(x_len) + " elements, y has " + std::to_string(y_len) + ".");
  if (frame <= 0)
    throw Error(sqlstate::kInvalidParameterValue, "frame must be positive",
                "frame is " + std::to_string(frame) + ".");
  // A frame never holds more pairs than the arrays.
  Inputs in{x, x_null, y, y_null, x_len, static_cast<size_t>(std::min<int64_t>(frame, INT32_MAX)), out, out_null};
  // Only pairs without a NULL side are ever summed.
  lb::BitRange bx = lb::bit_range(x, x_null, y_null, x_len), by = lb::bit_range(y, y_null, x_null, y_len);
  int span = std::max(bx.span(), by.span());
  if (span <= lb::kCompactValueBits) {
    run_fixed<2, 3, 1, 3>(in, bx.scale(), by.scale());
    return SeriesPath::kCompact;
  }
  if (span <= lb::kMediumValueBits) {
    run_fixed<3, 5, 2, 5>(in, bx.scale(), by.scale());
    return SeriesPath::kMedium;
  }
  run_wide(in);
  return SeriesPath::kWide;
}

}  // namespace pulse

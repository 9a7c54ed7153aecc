// Fuzz target for record validation of the candle sources: an exchange's
// response body (any bytes) is split into landing records. Never a crash;
// every record bound for pulse.landing is valid JSON that jsonb accepts,
// every reject carries a reason, and the page's time range is ordered.
// The first byte picks the exchange.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "sources/candles.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_candle_parse invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pulse::load;
  if (size == 0) return 0;
  static std::unique_ptr<Exchange> exchanges[3] = {make_upbit(), make_binance(), make_coinone()};
  static const char* markets[3] = {"KRW-BTC", "BTCUSDT", "KRW-BTC"};
  int which = data[0] % 3;
  CandleParams p;
  p.exchange = exchanges[which]->name();
  p.market = markets[which];
  p.period = "1m";
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  Page page = exchanges[which]->parse(p, body, 1582197598691);
  for (const auto& r : page.records) {
    if (r.reject_reason.empty()) {
      check(is_valid_json(r.payload), "a landing payload is not valid JSON");
      check(!r.format.empty(), "a landing record without a format");
    }
  }
  if (page.min_bucket_ms && page.max_bucket_ms) check(*page.min_bucket_ms <= *page.max_bucket_ms, "min > max bucket");
  return 0;
}

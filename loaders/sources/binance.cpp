// Binance spot: GET /api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=&endTime=&limit=1000
// Oldest first, arrays of 12 fields with decimals as strings, paged forward
// with startTime. Rate limits: request weight per minute (6000 on /api/v3;
// klines costs 2), reported in x-mbx-used-weight-1m; 429 and 418 carry
// Retry-After.
#include "core/json_scan.h"
#include "sources/candles.h"

namespace pulse::load {
namespace {

// The open time, the kline's first field.
std::optional<int64_t> binance_bucket(std::string_view el) { return record_element_integer(el, 0); }

class Binance : public Exchange {
 public:
  std::string name() const override { return "binance"; }
  void validate_market(const std::string& m) const override {
    if (!is_symbol_market(m))
      throw UsageError("unknown binance market \"" + m + "\": expected a symbol such as BTCUSDT");
  }
  bool pages_backwards() const override { return false; }
  int max_page() const override { return 1000; }
  std::string page_url(const CandleParams& p, std::optional<int64_t> start, std::optional<int64_t> end,
                       int count) const override {
    std::string u = "https://api.binance.com/api/v3/klines?symbol=" + url_encode(p.market) +
                    "&interval=" + p.period + "&limit=" + std::to_string(count);
    if (start) u += "&startTime=" + std::to_string(*start);
    if (end) u += "&endTime=" + std::to_string(*end - 1);
    return u;
  }
  FetchPolicy policy() const override {
    FetchPolicy f;
    f.pace = [](const HttpResponse& r) {
      auto h = r.header("x-mbx-used-weight-1m");
      if (!h) return Millis(0);
      try {
        return binance_weight_delay(std::stol(*h), 6000, std::chrono::system_clock::now());
      } catch (const std::exception&) {
        return Millis(0);
      }
    };
    f.on_client_error = [](const HttpResponse& r) {
      if (r.status == 400 && r.body.find("-1121") != std::string::npos)
        throw ConfigError("binance does not know this symbol: " + r.body.substr(0, 200));
    };
    return f;
  }
  Page parse(const CandleParams& p, std::string_view body, int64_t observed_ms) const override {
    return split_candle_array(p, "binance", body, body, observed_ms, binance_bucket);
  }
};

}  // namespace

std::unique_ptr<Exchange> make_binance() { return std::make_unique<Binance>(); }

}  // namespace pulse::load

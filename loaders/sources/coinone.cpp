// Coinone: GET /public/v2/chart/{quote}/{target}?interval=1m&timestamp=&size=200
// The response is {"result":"success","error_code":"0","is_last":..,
// "chart":[{"timestamp":ms,"open":"..",...,"target_volume":"..",
// "quote_volume":".."}]}, newest first, candles at or before `timestamp`;
// decimals are strings. --market KRW-BTC means quote KRW, target BTC.
#include "core/json_scan.h"
#include "sources/candles.h"

namespace pulse::load {
namespace {

// "timestamp": epoch milliseconds, a number or a string of digits.
std::optional<int64_t> coinone_bucket(std::string_view el) {
  RecordMember t = record_member(el, "timestamp");
  if (t.integer) return t.integer;
  const std::string& s = t.string.value_or("");
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(s);
}

class Coinone : public Exchange {
 public:
  std::string name() const override { return "coinone"; }
  void validate_market(const std::string& m) const override {
    if (!is_dashed_market(m))
      throw UsageError("unknown coinone market \"" + m + "\": expected QUOTE-TARGET such as KRW-BTC");
  }
  bool pages_backwards() const override { return true; }
  int max_page() const override { return 200; }
  std::string page_url(const CandleParams& p, std::optional<int64_t> bound, std::optional<int64_t>,
                       int count) const override {
    auto dash = p.market.find('-');
    std::string quote = p.market.substr(0, dash), target = p.market.substr(dash + 1);
    std::string u = "https://api.coinone.co.kr/public/v2/chart/" + quote + "/" + target +
                    "?interval=" + p.period + "&size=" + std::to_string(count);
    // `timestamp` is inclusive: ask for candles strictly before the bound.
    if (bound) u += "&timestamp=" + std::to_string(*bound - 1);
    return u;
  }
  FetchPolicy policy() const override {
    FetchPolicy f;
    f.default_429 = Millis(1000);
    return f;
  }
  Page parse(const CandleParams& p, std::string_view body, int64_t observed_ms) const override {
    Page bad;
    bad.malformed = true;
    std::optional<Span> chart;
    try {
      chart = find_json_member(body, "chart");
    } catch (const std::invalid_argument& e) {
      bad.records.push_back({"coinone", std::string(body), std::string("response is not a JSON object: ") + e.what()});
      return bad;
    }
    JsonPtr top = json_parse(body);
    const char* result = top ? json_string_value(json_object_get(top.get(), "result")) : nullptr;
    if (!chart || (result && std::string(result) != "success")) {
      bad.records.push_back({"coinone", std::string(body), "coinone response without a chart (an error response?)"});
      return bad;
    }
    Page page = split_candle_array(p, "coinone", chart->of(body), body, observed_ms, coinone_bucket);
    page.last = top && json_is_true(json_object_get(top.get(), "is_last"));
    return page;
  }
};

}  // namespace

std::unique_ptr<Exchange> make_coinone() { return std::make_unique<Coinone>(); }

}  // namespace pulse::load

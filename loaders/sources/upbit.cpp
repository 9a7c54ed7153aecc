// Upbit: GET /v1/candles/minutes/{unit}?market=KRW-BTC&count=200&to=...
// Newest first, at most 200 a page, paged backwards with `to` (exclusive).
// Rate limits: the Remaining-Req header counts what is left in the current
// second; 429 when exceeded, 418 when the IP is blocked for ignoring 429s.

#include "core/json_scan.h"
#include "sources/candles.h"

namespace pulse::load {
namespace {

std::optional<int64_t> upbit_bucket(std::string_view el) {
  RecordMember utc = record_member(el, "candle_date_time_utc");
  if (!utc.string) return std::nullopt;
  return parse_utc_naive(*utc.string);
}

class Upbit : public Exchange {
 public:
  std::string name() const override { return "upbit"; }
  void validate_market(const std::string& m) const override {
    if (!is_dashed_market(m))
      throw UsageError("unknown upbit market \"" + m + "\": expected QUOTE-BASE such as KRW-BTC");
  }
  bool pages_backwards() const override { return true; }
  int max_page() const override { return 200; }
  std::string page_url(const CandleParams& p, std::optional<int64_t> bound, std::optional<int64_t>,
                       int count) const override {
    std::string u = "https://api.upbit.com/v1/candles/minutes/" + std::to_string(p.period_ms / 60000) +
                    "?market=" + url_encode(p.market) + "&count=" + std::to_string(count);
    if (bound) u += "&to=" + url_encode(format_utc(*bound));
    return u;
  }
  FetchPolicy policy() const override {
    FetchPolicy f;
    f.default_429 = Millis(1000);  // Upbit's budget is per second
    f.pace = [](const HttpResponse& r) {
      auto h = r.header("Remaining-Req");
      if (!h) return Millis(0);
      auto rr = parse_remaining_req(*h);
      if (!rr) return Millis(0);
      if (rr->sec <= 0) return Millis(1000);  // wait for the next second's budget
      if (rr->min == 0) return Millis(60000);
      return Millis(0);
    };
    f.on_client_error = [](const HttpResponse& r) {
      if (r.status == 404 || r.status == 400) {
        throw ConfigError("upbit refused the request (HTTP " + std::to_string(r.status) +
                          "): " + r.body.substr(0, 200) + " - is the market name right?");
      }
    };
    return f;
  }
  Page parse(const CandleParams& p, std::string_view body, int64_t observed_ms) const override {
    return split_candle_array(p, "upbit", body, body, observed_ms, upbit_bucket);
  }
};

}  // namespace

std::unique_ptr<Exchange> make_upbit() { return std::make_unique<Upbit>(); }

}  // namespace pulse::load

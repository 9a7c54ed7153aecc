// `pulse-load candles`: the exchange-independent driver (backfill by paging,
// --follow polling, --file replay) and the interface each exchange
// (upbit.cpp, binance.cpp, coinone.cpp) implements: its URLs, its rate-limit
// rules, and how its response splits into raw landing records.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/cli.h"
#include "core/json_scan.h"
#include "core/source.h"
#include "core/timefmt.h"

namespace pulse::load {

struct CandleParams {
  std::string exchange, market, period;  // period as given: 1m, 3m, 5m, 15m, 30m, 1h
  int64_t period_ms = 60000;
  std::optional<int64_t> since_ms, until_ms;
  bool follow = false;
};

// One response, split into landing records (raw records wrapped with the
// market and period; unusable bodies as rejects).
struct Page {
  std::vector<Record> records;
  std::optional<int64_t> min_bucket_ms, max_bucket_ms;  // over records with a readable time
  bool malformed = false;  // the body was not the expected JSON shape
  bool last = false;       // the exchange said there is nothing older/newer
};

class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual std::string name() const = 0;
  // Throws UsageError for a market name this exchange cannot have.
  virtual void validate_market(const std::string& market) const = 0;
  // Upbit and Coinone page newest first below an upper bound; Binance pages
  // forward from a start time.
  virtual bool pages_backwards() const = 0;
  virtual int max_page() const = 0;
  // bound_ms: exclusive upper bound (backwards) or start (forwards); end_ms:
  // exclusive end for forward paging. nullopt: the newest candles.
  virtual std::string page_url(const CandleParams& p, std::optional<int64_t> bound_ms, std::optional<int64_t> end_ms,
                               int count) const = 0;
  virtual FetchPolicy policy() const = 0;
  virtual Page parse(const CandleParams& p, std::string_view body, int64_t observed_ms) const = 0;
};

std::unique_ptr<Exchange> make_upbit();
std::unique_ptr<Exchange> make_binance();
std::unique_ptr<Exchange> make_coinone();


// The landing payload for one record: {"market":..,"period":..,
// "observed_ms":..,"record":<raw bytes verbatim>}.
std::string wrap_candle(const CandleParams& p, std::string_view raw, int64_t observed_ms);
// Splits a JSON array body into wrapped records of `format`; the callback
// reads each element's bucket time from its text (nullopt if unreadable).
Page split_candle_array(const CandleParams& p, const std::string& format, std::string_view array_text,
                        std::string_view whole_body, int64_t observed_ms,
                        std::optional<int64_t> (*bucket_of)(std::string_view element));

// What the exchanges' bucket readers look at in a record's text (parsed
// with simdjson: only the paging times are read here, the stored bytes are
// the record as received): an array element or object member that is a
// JSON integer (int64), or a member's string. Nothing when the text is not
// JSON of that shape. A repeated key reads its last value, as jsonb does.
std::optional<int64_t> record_element_integer(std::string_view record, std::size_t index);
struct RecordMember {
  std::optional<int64_t> integer;
  std::optional<std::string> string;
};
RecordMember record_member(std::string_view record, std::string_view key);

// Market codes as the exchanges spell them: `head` (2-5 capital letters),
// "-", then 1-15 capitals or digits (Upbit, Coinone: KRW-BTC); with head
// empty, 2-30 capitals or digits (Binance: BTCUSDT).
bool is_dashed_market(std::string_view m);
bool is_symbol_market(std::string_view m);

int run_candles(const Options& opts);

}  // namespace pulse::load

// The candle projections (sql/code/45_candles.sql): one landing payload
// {"market", "period", "observed_ms"?, "range_from_ms"?, "range_until_ms"?,
// "record"} to one candle row and the reason it cannot be stored (NULL when
// it can). One pass over the already parsed jsonb per record; prices and
// volumes are the jsonb's own numerics, or numeric_in of a decimal string,
// never a double. The rules are core/candle_rules.h; the SQL projections they
// replace are kept as the oracle of tests/regress/sql/candles_projection.sql.
#include <cstdint>
#include <optional>
#include <string>

#include "core/candle_rules.h"
#include "entry/boundary.h"
#include "pg/datetime.h"
#include "pg/jsonb_value.h"
#include "pg/projection.h"

namespace {

namespace candle = pulse::candle;
using pulse::pg::Cell;
using pulse::pg::JsonKind;
using pulse::pg::JsonRef;

struct NumericOps {
  int cmp(Datum a, Datum b) const { return pulse::pg::numeric_cmp(a, b); }
  bool negative(Datum a) const { return pulse::pg::numeric_negative(a); }
  std::string text(Datum a) const { return pulse::pg::numeric_text(a); }
};

// pulse_internal.num: a JSON number as it is, or a string holding a plain
// decimal read by numeric_in; nothing for any other value.
std::optional<Datum> num(const JsonRef& v) {
  if (v.kind() == JsonKind::kNumber) return v.numeric();
  if (v.kind() == JsonKind::kString && candle::is_plain_decimal(v.string()))
    return pulse::pg::numeric_from_text(v.string());
  return std::nullopt;
}

// pulse_internal.json_epoch_ms, in microseconds since 1970.
std::optional<int64_t> epoch_ms(const JsonRef& v) {
  if (v.kind() == JsonKind::kNumber) return candle::epoch_ms_from_number(pulse::pg::numeric_text(v.numeric()));
  if (v.kind() == JsonKind::kString) return candle::epoch_ms_from_string(v.string());
  return std::nullopt;
}

std::optional<int64_t> least(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return *a < *b ? a : b;
}

Cell time_cell(std::optional<int64_t> unix_micros) {
  if (!unix_micros) return Cell::null();
  return Cell::timestamptz(pulse::pg::timestamptz_from_unix_micros(*unix_micros));
}

Cell num_cell(const std::optional<Datum>& v) { return v ? Cell{*v, false} : Cell::null(); }

Cell text_cell(const std::optional<std::string>& s) { return s ? Cell::text(*s) : Cell::null(); }

// What every format reads of the landing payload.
struct Payload {
  JsonRef root;
  JsonRef record;
  std::optional<std::string> market;
  std::optional<std::string> period_name;
  std::optional<int> minutes;
  candle::Check<Datum> check;

  // A NULL payload projects as one with no field at all.
  Payload(FunctionCallInfo fcinfo, const char* noun)
      : root(PG_ARGISNULL(0) ? JsonRef() : JsonRef::root(PG_GETARG_DATUM(0))), record(root.field("record")) {
    market = root.field("market").text();
    period_name = root.field("period").text();
    if (period_name) minutes = candle::period_minutes(*period_name);
    check.noun = noun;
    check.has_market_and_period = market.has_value() && minutes.has_value();
    check.period_minutes = minutes.value_or(0);
    check.period_micros = check.period_minutes * candle::kMicrosPerMinute;
    check.range_from = epoch_ms(root.field("range_from_ms"));
    check.range_until = epoch_ms(root.field("range_until_ms"));
    check.now = pulse::pg::transaction_start_unix_micros();
  }

  std::optional<int64_t> period_micros() const {
    if (!minutes) return std::nullopt;
    return check.period_micros;
  }

  // market, period, bucket_start, open, high, low, close, volume,
  // quote_volume, observed_at, reason
  Datum row(FunctionCallInfo fcinfo, std::optional<int64_t> observed_at) const {
    std::optional<std::string> reason = candle::problem(check, NumericOps{});
    const auto& v = check.values;
    return pulse::pg::one_row(
        fcinfo, {text_cell(market),
                 minutes ? Cell{pulse::pg::interval_datum(check.period_micros), false} : Cell::null(),
                 time_cell(check.bucket_start), num_cell(v[0]), num_cell(v[1]), num_cell(v[2]), num_cell(v[3]),
                 num_cell(v[4]), num_cell(v[5]), time_cell(observed_at), text_cell(reason)});
  }
};

}  // namespace

// pulse_internal.candle_upbit(p jsonb): an Upbit minute candle; its version
// is the record's `timestamp` (the candle's last trade).
PULSE_FUNCTION(pulse_candle_upbit) {
  Payload p(fcinfo, "upbit candle");
  const JsonRef& r = p.record;
  auto& c = p.check;
  if (r.kind() != JsonKind::kObject) c.shape_problem = "upbit candle is not a JSON object";
  std::optional<std::string> rec_market = r.field("market").text();
  if (rec_market && p.market && *rec_market != *p.market)
    c.record_problem = "upbit candle is for market " + *rec_market + ", not " + *p.market;
  JsonRef utc = r.field("candle_date_time_utc");
  if (utc.kind() == JsonKind::kString) c.bucket_start = candle::parse_upbit_utc(utc.string());
  if (!c.bucket_start) c.time_problem = "upbit candle_date_time_utc missing, malformed or not a date";
  static const char* const kFields[] = {"opening_price", "high_price", "low_price", "trade_price",
                                        "candle_acc_trade_volume", "candle_acc_trade_price"};
  for (int i = 0; i < 6; ++i) c.values[i] = num(r.field(kFields[i]));
  c.observed_at = epoch_ms(r.field("timestamp"));
  if (!c.observed_at) {
    c.later_problem = "upbit candle timestamp missing or malformed";
  } else if (std::optional<std::string> unit = r.field("unit").text();
             unit && (!p.minutes || *unit != std::to_string(*p.minutes))) {
    c.later_problem = "upbit candle unit " + *unit + " does not match period " + p.period_name.value_or("");
  }
  return p.row(fcinfo, c.observed_at);
}

// pulse_internal.candle_binance(p jsonb): a Binance kline; its version is
// least(observed_ms, close time + 1 ms).
PULSE_FUNCTION(pulse_candle_binance) {
  Payload p(fcinfo, "binance kline");
  const JsonRef& r = p.record;
  auto& c = p.check;
  if (r.kind() != JsonKind::kArray || r.array_length() < 8)
    c.shape_problem = "binance kline is not an array of at least 8 fields";
  c.bucket_start = epoch_ms(r.element(0));
  std::optional<int64_t> close_time = epoch_ms(r.element(6));
  if (!c.bucket_start || !close_time) c.time_problem = "binance kline open or close time malformed";
  static const int kFields[] = {1, 2, 3, 4, 5, 7};
  for (int i = 0; i < 6; ++i) c.values[i] = num(r.element(kFields[i]));
  std::optional<int64_t> closed;
  if (close_time) closed = *close_time + 1000;
  c.observed_at = least(epoch_ms(p.root.field("observed_ms")), closed);
  // (a page with one open time twice: the copy with the wrong close)
  if (c.bucket_start && close_time && p.minutes && *close_time != *c.bucket_start + c.period_micros - 1000)
    c.later_problem = "binance kline closes at " + candle::utc_text(*close_time) + ", not one period after it opens at " +
                      candle::utc_text(*c.bucket_start);
  return p.row(fcinfo, c.observed_at);
}

// pulse_internal.candle_coinone(p jsonb): a Coinone chart record; its
// version is least(observed_ms, bucket_start + period).
PULSE_FUNCTION(pulse_candle_coinone) {
  Payload p(fcinfo, "coinone candle");
  const JsonRef& r = p.record;
  auto& c = p.check;
  if (r.kind() != JsonKind::kObject) c.shape_problem = "coinone candle is not a JSON object";
  c.bucket_start = epoch_ms(r.field("timestamp"));
  if (!c.bucket_start) c.time_problem = "coinone candle timestamp missing or malformed";
  static const char* const kFields[] = {"open", "high", "low", "close", "target_volume", "quote_volume"};
  for (int i = 0; i < 6; ++i) c.values[i] = num(r.field(kFields[i]));
  std::optional<int64_t> closes;
  if (c.bucket_start && p.minutes) closes = *c.bucket_start + c.period_micros;
  c.observed_at = least(epoch_ms(p.root.field("observed_ms")), closes);
  return p.row(fcinfo, c.observed_at);
}

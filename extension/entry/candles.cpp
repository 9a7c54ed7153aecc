// The candle projections (sql/code/45_candles.sql): one landing payload
// {"market", "period", "observed_ms"?, "range_from_ms"?, "range_until_ms"?,
// "record"} to one candle row and the reason it cannot be stored (NULL when
// it can). Written once over a reader of the payload: the already parsed
// jsonb (JsonRef: candle_upbit/_binance/_coinone(jsonb), one payload) or the
// payload's text (TextRef over simdjson: candle_chunk_rows, a whole landing
// chunk, issue 17), which gives the same values or says it cannot
// (NeedsJsonb, and the record goes the jsonb way). Prices and volumes are
// numeric_in of the JSON number's text (what jsonb's input makes of it) or
// of a decimal string, never a double. The rules are core/candle_rules.h;
// the SQL projections they replace are kept as the oracle of
// tests/regress/sql/candles_projection.sql.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/candle_rules.h"
#include "core/error.h"
#include "core/json_array_text.h"
#include "core/json_tree.h"
#include "entry/boundary.h"
#include "pg/datetime.h"
#include "pg/guard.h"
#include "pg/interrupts.h"
#include "pg/json_text_value.h"
#include "pg/jsonb_value.h"
#include "pg/landing.h"
#include "pg/projection.h"
#include "pg/text.h"

namespace {

namespace candle = pulse::candle;
using pulse::pg::Cell;
using pulse::pg::JsonKind;
using pulse::pg::JsonRef;
using pulse::pg::TextRef;

struct NumericOps {
  int cmp(Datum a, Datum b) const { return pulse::pg::numeric_cmp(a, b); }
  bool negative(Datum a) const { return pulse::pg::numeric_negative(a); }
  std::string text(Datum a) const { return pulse::pg::numeric_text(a); }
};

// pulse_internal.num: a JSON number as it is, or a string holding a plain
// decimal read by numeric_in; nothing for any other value.
template <typename Ref>
std::optional<Datum> num(const Ref& v) {
  if (v.kind() == JsonKind::kNumber) return v.numeric();
  if (v.kind() == JsonKind::kString && candle::is_plain_decimal(v.string()))
    return pulse::pg::numeric_from_text(v.string());
  return std::nullopt;
}

// pulse_internal.json_epoch_ms, in microseconds since 1970.
template <typename Ref>
std::optional<int64_t> epoch_ms(const Ref& v) {
  if (v.kind() == JsonKind::kNumber) return candle::epoch_ms_from_number(v.number_text());
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

// market, period, bucket_start, open, high, low, close, volume,
// quote_volume, observed_at, reason
struct Row {
  std::array<Cell, 11> cells;
  bool refused;  // a reason is set
};

// What every format reads of the landing payload.
template <typename Ref>
struct Payload {
  Ref root;
  Ref record;
  std::optional<std::string> market;
  std::optional<std::string> period_name;
  std::optional<int> minutes;
  candle::Check<Datum> check;

  // An absent root (a NULL payload) projects as one with no field at all.
  Payload(const Ref& r, const char* noun, int64_t now) : root(r), record(r.field("record")) {
    market = root.field("market").text();
    period_name = root.field("period").text();
    if (period_name) minutes = candle::period_minutes(*period_name);
    check.noun = noun;
    check.has_market_and_period = market.has_value() && minutes.has_value();
    check.period_minutes = minutes.value_or(0);
    check.period_micros = check.period_minutes * candle::kMicrosPerMinute;
    check.range_from = epoch_ms(root.field("range_from_ms"));
    check.range_until = epoch_ms(root.field("range_until_ms"));
    check.now = now;
  }

  Row row(std::optional<int64_t> observed_at) const {
    std::optional<std::string> reason = candle::problem(check, NumericOps{});
    const auto& v = check.values;
    return Row{{text_cell(market), minutes ? Cell{pulse::pg::interval_datum(check.period_micros), false} : Cell::null(),
                time_cell(check.bucket_start), num_cell(v[0]), num_cell(v[1]), num_cell(v[2]), num_cell(v[3]),
                num_cell(v[4]), num_cell(v[5]), time_cell(observed_at), text_cell(reason)},
               reason.has_value()};
  }
};

// An Upbit minute candle; its version is the record's `timestamp` (the
// candle's last trade).
template <typename Ref>
Row upbit(const Ref& root, int64_t now) {
  Payload<Ref> p(root, "upbit candle", now);
  const Ref& r = p.record;
  auto& c = p.check;
  if (r.kind() != JsonKind::kObject) c.shape_problem = "upbit candle is not a JSON object";
  std::optional<std::string> rec_market = r.field("market").text();
  if (rec_market && p.market && *rec_market != *p.market)
    c.record_problem = "upbit candle is for market " + *rec_market + ", not " + *p.market;
  Ref utc = r.field("candle_date_time_utc");
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
  return p.row(c.observed_at);
}

// A Binance kline; its version is least(observed_ms, close time + 1 ms).
template <typename Ref>
Row binance(const Ref& root, int64_t now) {
  Payload<Ref> p(root, "binance kline", now);
  const Ref& r = p.record;
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
  return p.row(c.observed_at);
}

// A Coinone chart record; its version is least(observed_ms, bucket_start +
// period).
template <typename Ref>
Row coinone(const Ref& root, int64_t now) {
  Payload<Ref> p(root, "coinone candle", now);
  const Ref& r = p.record;
  auto& c = p.check;
  if (r.kind() != JsonKind::kObject) c.shape_problem = "coinone candle is not a JSON object";
  c.bucket_start = epoch_ms(r.field("timestamp"));
  if (!c.bucket_start) c.time_problem = "coinone candle timestamp missing or malformed";
  static const char* const kFields[] = {"open", "high", "low", "close", "target_volume", "quote_volume"};
  for (int i = 0; i < 6; ++i) c.values[i] = num(r.field(kFields[i]));
  std::optional<int64_t> closes;
  if (c.bucket_start && p.minutes) closes = *c.bucket_start + c.period_micros;
  c.observed_at = least(epoch_ms(p.root.field("observed_ms")), closes);
  return p.row(c.observed_at);
}

enum class Exchange { kUpbit, kBinance, kCoinone };

template <typename Ref>
Row project(Exchange e, const Ref& root, int64_t now) {
  switch (e) {
    case Exchange::kUpbit: return upbit(root, now);
    case Exchange::kBinance: return binance(root, now);
    case Exchange::kCoinone: break;
  }
  return coinone(root, now);
}

Datum one_payload(FunctionCallInfo fcinfo, Exchange e) {
  JsonRef root = PG_ARGISNULL(0) ? JsonRef() : JsonRef::root(PG_GETARG_DATUM(0));
  const auto& c = project(e, root, pulse::pg::transaction_start_unix_micros()).cells;
  return pulse::pg::one_row(fcinfo, {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]});
}

}  // namespace

PULSE_FUNCTION(pulse_candle_upbit) { return one_payload(fcinfo, Exchange::kUpbit); }
PULSE_FUNCTION(pulse_candle_binance) { return one_payload(fcinfo, Exchange::kBinance); }
PULSE_FUNCTION(pulse_candle_coinone) { return one_payload(fcinfo, Exchange::kCoinone); }

// pulse_internal.candle_chunk_rows(exchange text, payloads text, first_seq
// integer): the rows of every record of a landing chunk, numbered from
// first_seq, each with its payload as jsonb when it has a reason (what a
// reject keeps), NULL otherwise (candles_project).
PULSE_FUNCTION(pulse_candle_chunk_rows) {
  pulse::pg::MaterializedRows out(fcinfo, true);
  std::string_view name = pulse::pg::text_view(PG_GETARG_DATUM(0));
  Exchange e;
  if (name == "upbit") {
    e = Exchange::kUpbit;
  } else if (name == "binance") {
    e = Exchange::kBinance;
  } else if (name == "coinone") {
    e = Exchange::kCoinone;
  } else {
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "candle_chunk_rows: unknown exchange \"" + std::string(name) + "\"");
  }
  std::string_view chunk = pulse::pg::text_view(PG_GETARG_DATUM(1));
  const int32_t first_seq = PG_GETARG_INT32(2);
  auto spans = pulse::json_array_spans(chunk);
  if (!spans)
    throw pulse::Error(pulse::sqlstate::kInvalidTextRepresentation, "invalid input syntax for type json",
                       "The payloads of a landing chunk are not a JSON array.");
  // One reader per backend, its buffers reused from call to call; its
  // strings are UTF-8, so another database encoding reads jsonb only.
  static pulse::json::Tree tree;
  const bool utf8 = pulse::pg::database_is_utf8();
  const int64_t now = pulse::pg::transaction_start_unix_micros();
  for (std::size_t k = 0; k < spans->size(); ++k) {
    if (k % 256 == 255) pulse::pg::check_for_interrupts();
    const int64_t seq64 = static_cast<int64_t>(first_seq) + static_cast<int64_t>(k);
    if (seq64 > INT32_MAX) throw pulse::Error(pulse::sqlstate::kNumericValueOutOfRange, "integer out of range");
    const pulse::Span& s = (*spans)[k];
    const std::string_view text = chunk.substr(s.begin, s.end - s.begin);
    std::optional<Row> row;
    if (utf8 && tree.parse(text)) {
      try {
        row = project(e, TextRef::root(tree), now);
      } catch (const pulse::pg::NeedsJsonb&) {
      }
    }
    Datum payload = 0;
    if (!row || row->refused) payload = pulse::pg::jsonb_from_text(text);
    if (!row) row = project(e, JsonRef::root(payload), now);
    const auto& c = row->cells;
    out.put({Cell::int4(static_cast<int32_t>(seq64)), row->refused ? Cell{payload, false} : Cell::null(), c[0], c[1],
             c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]});
  }
  return static_cast<Datum>(0);
}
